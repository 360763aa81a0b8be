//! Relationships: friends, friend requests, friend groups and blacklists. The server decides
//! and answers one result per user; this device keeps the lists (friends with their
//! profiles, friend groups, requests, blacklist) and serves the list calls from them.
//!
//! The lists are kept in the device's local database with the relation version they are at.
//! They are fetched whole once, at the first call that reads them on a device that has none;
//! after that only what changed: each relationship notice (a `FriendChangeElem` of the system
//! conversation, which also reaches a device that was offline at its next sync) and each
//! change made here fetch the changes after the version the device holds (`friend.sync`),
//! before the friendship callbacks are told.

use opentim_model::codes;
use opentim_model::elem::FriendChangeElem;
use opentim_model::enums::{FriendPendencyType, FriendshipSearchFieldKey};
use opentim_model::friend::{
    FriendAddPendencyInfo, FriendGroupInfo, FriendInfoGetResult, FriendResponse, FriendSearchParam,
    FriendshipAddFriendParam, FriendshipCheckFriendTypeParam, FriendshipCheckFriendTypeResult,
    FriendshipCreateFriendGroupParam, FriendshipDeleteFriendParam, FriendshipDeletePendencyParam,
    FriendshipGetPendencyListParam, FriendshipModifyFriendGroupParam,
    FriendshipModifyFriendProfileParam, PendencyPage,
};
use opentim_model::profile::{FriendProfile, FriendResult};
use opentim_protocol::op::friend::{
    AddFriend, AnswerRequest, Block, CheckFriends, CreateFriendGroups, DeleteFriendGroups,
    DeleteFriends, DeleteRequests, FriendsInfo, GoneList, ModifyFriend, ModifyFriendGroup,
    NamesRequest, ReadRequest, RelationSync, RequestsRead, SyncRequest, SyncResponse, Unblock,
    UsersRequest,
};

use super::{Client, SdkEvent};
use crate::error::{Result, SdkError};
use crate::local::{
    FriendFields, LocalStore, RelationChange, RELATION_READ_TIME, RELATION_VERSION,
};

/// Most keywords of one friend search.
pub const MAX_SEARCH_KEYWORDS: usize = 5;

/// This device's copy of the user's lists.
#[derive(Debug, Default)]
pub(crate) struct Relations {
    /// Whether the version kept on disk was read (once per login).
    checked_disk: bool,
    /// Whether the lists were ever fetched on this device (`version` is theirs).
    loaded: bool,
    /// Whether the vectors below hold the lists: read from disk only when a list call needs
    /// them, so a login that only applies a change never reads every entry.
    in_memory: bool,
    version: u64,
    read_time: u64,
    /// In the order they were added.
    friends: Vec<FriendProfile>,
    blocked: Vec<FriendProfile>,
    /// Newest first.
    requests: Vec<FriendAddPendencyInfo>,
    groups: Vec<String>,
    stats: RelationStats,
}

/// What this device fetched of its lists since login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelationStats {
    /// `friend.sync` calls.
    pub syncs: u64,
    /// Entries they carried (friends, blocked users, requests, groups, removals).
    pub entries: u64,
}

fn id_of(p: &FriendProfile) -> &str {
    p.identifier.as_deref().unwrap_or_default()
}

fn upsert(list: &mut Vec<FriendProfile>, p: FriendProfile) {
    match list.iter_mut().find(|q| id_of(q) == id_of(&p)) {
        Some(q) => *q = p,
        None => list.push(p),
    }
}

fn request_key(r: &FriendAddPendencyInfo) -> String {
    let kind = r.pendency_type.unwrap_or_default().0;
    format!("{kind}\n{}", r.identifier.as_deref().unwrap_or_default())
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The request direction of a removed request.
fn request_kind(list: GoneList) -> FriendPendencyType {
    match list {
        GoneList::RequestIn => FriendPendencyType::COME_IN,
        _ => FriendPendencyType::SEND_OUT,
    }
}

/// What to keep on disk for an answer of the server.
fn change_of(d: &SyncResponse, replace: bool) -> RelationChange {
    let removed = d.gone.iter().map(|g| match g.list {
        GoneList::Friend => ("friend".into(), g.id.clone()),
        GoneList::Blocked => ("blocked".into(), g.id.clone()),
        GoneList::RequestIn | GoneList::RequestOut => (
            "request".into(),
            format!("{}\n{}", request_kind(g.list).0, g.id),
        ),
        GoneList::Group => ("group".into(), g.id.clone()),
    });
    let friends = d
        .friends
        .iter()
        .map(|f| ("friend".into(), id_of(f).into(), json(f)));
    let blocked = d
        .blocked
        .iter()
        .map(|b| ("blocked".into(), id_of(b).into(), json(b)));
    let requests = d
        .requests
        .iter()
        .map(|r| ("request".into(), request_key(r), json(r)));
    let groups = d
        .groups
        .iter()
        .map(|g| ("group".into(), g.clone(), String::new()));
    RelationChange {
        replace,
        removed: removed.collect(),
        put: friends
            .chain(blocked)
            .chain(requests)
            .chain(groups)
            .collect(),
        version: d.version,
        read_time: d.read_time,
    }
}

impl Relations {
    /// The version (and request read time) kept on this device, read once per login.
    fn load(&mut self, store: &dyn LocalStore) -> Result<()> {
        if self.checked_disk {
            return Ok(());
        }
        self.checked_disk = true;
        let version = store.state(RELATION_VERSION)?;
        if version == 0 {
            return Ok(());
        }
        self.version = version;
        self.read_time = store.state(RELATION_READ_TIME)?;
        self.loaded = true;
        Ok(())
    }

    /// The lists kept on disk, into memory (once per login, at the first list call).
    fn read_lists(&mut self, store: &dyn LocalStore) -> Result<()> {
        if self.in_memory || !self.loaded {
            return Ok(());
        }
        for (list, id, body) in store.relations()? {
            match list.as_str() {
                "friend" => self.friends.extend(serde_json::from_str(&body).ok()),
                "blocked" => self.blocked.extend(serde_json::from_str(&body).ok()),
                "request" => self.requests.extend(serde_json::from_str(&body).ok()),
                "group" => self.groups.push(id),
                _ => {}
            }
        }
        self.sort();
        self.in_memory = true;
        Ok(())
    }

    fn sort(&mut self) {
        let key = |p: &FriendProfile| (p.add_time.unwrap_or(0), id_of(p).to_owned());
        self.friends.sort_by_key(key);
        self.blocked.sort_by_key(key);
        self.requests
            .sort_by(|a, b| (b.add_time, &a.identifier).cmp(&(a.add_time, &b.identifier)));
        self.groups.sort();
    }

    /// Apply what the server answered (to the lists in memory, when they are); what to keep
    /// on disk for it.
    fn apply(&mut self, d: SyncResponse) -> RelationChange {
        let change = change_of(&d, !self.loaded);
        if change.replace {
            *self = Relations {
                checked_disk: true,
                in_memory: true,
                stats: self.stats,
                ..Default::default()
            };
        }
        self.stats.syncs += 1;
        self.stats.entries +=
            (d.friends.len() + d.blocked.len() + d.requests.len() + d.groups.len() + d.gone.len())
                as u64;
        self.version = d.version;
        self.read_time = d.read_time;
        self.loaded = true;
        if self.in_memory {
            self.absorb(d);
        }
        change
    }

    /// The lists in memory follow an answer of the server.
    fn absorb(&mut self, d: SyncResponse) {
        for g in d.gone {
            let id = g.id.as_str();
            match g.list {
                GoneList::Friend => self.friends.retain(|p| id_of(p) != id),
                GoneList::Blocked => self.blocked.retain(|p| id_of(p) != id),
                GoneList::RequestIn | GoneList::RequestOut => {
                    let kind = request_kind(g.list);
                    self.requests.retain(|r| {
                        !(r.identifier.as_deref() == Some(id) && r.pendency_type == Some(kind))
                    });
                }
                GoneList::Group => self.groups.retain(|n| n != id),
            }
        }
        for f in d.friends {
            upsert(&mut self.friends, f);
        }
        for b in d.blocked {
            upsert(&mut self.blocked, b);
        }
        for r in d.requests {
            self.requests.retain(|q| request_key(q) != request_key(&r));
            self.requests.push(r);
        }
        for g in d.groups {
            if !self.groups.contains(&g) {
                self.groups.push(g);
            }
        }
        self.sort();
    }
}

impl Client {
    fn relations(&self) -> Result<std::sync::Arc<tokio::sync::Mutex<Relations>>> {
        self.slot(|s| s.relations.clone())
    }

    /// Bring this device's lists up to date: all of them the first time, then what changed.
    /// `only_if_loaded`: do nothing while they were never fetched.
    async fn sync_relations(&self, rel: &mut Relations, only_if_loaded: bool) -> Result<()> {
        let store = self.slot(|s| s.store.clone())?;
        rel.load(store.as_ref())?;
        if only_if_loaded && !rel.loaded {
            return Ok(());
        }
        let since = if rel.loaded { rel.version } else { 0 };
        let d = self.call::<RelationSync>(&SyncRequest { since }).await?;
        let change = rel.apply(d);
        store.apply_relations(&change)
    }

    /// Run `f` on the lists, fetched first when they never were.
    async fn with_lists<T>(&self, f: impl FnOnce(&Relations) -> T) -> Result<T> {
        let rel = self.relations()?;
        let mut rel = rel.lock().await;
        let store = self.slot(|s| s.store.clone())?;
        rel.load(store.as_ref())?;
        match rel.loaded {
            false => self.sync_relations(&mut rel, false).await?,
            true => rel.read_lists(store.as_ref())?,
        }
        Ok(f(&rel))
    }

    /// After a change made here: the lists follow it (when they were fetched).
    async fn changed_here(&self) {
        if let Ok(rel) = self.relations() {
            let mut rel = rel.lock().await;
            if let Err(e) = self.sync_relations(&mut rel, true).await {
                tracing::warn!(error = %e, "could not fetch the relationship changes");
            }
        }
    }

    /// Relationship notices arrived (through the inbox): fetch what changed, then tell the
    /// app (the friendship callbacks see the lists as they now are).
    pub(crate) async fn relation_notices(&self, changes: Vec<FriendChangeElem>) {
        if let Ok(rel) = self.relations() {
            let mut rel = rel.lock().await;
            if let Err(e) = self.sync_relations(&mut rel, true).await {
                tracing::warn!(error = %e, "could not fetch the relationship changes");
            }
            self.shared.emit(SdkEvent::FriendChanges(changes));
            return;
        }
        self.shared.emit(SdkEvent::FriendChanges(changes));
    }

    /// What this device fetched of its lists since login.
    pub async fn relation_stats(&self) -> Result<RelationStats> {
        let rel = self.relations()?;
        let stats = rel.lock().await.stats;
        Ok(stats)
    }

    /// Block users (`TIMFriendshipAddToBlackList`): their C2C messages and friend requests to
    /// this user are refused from now on, and a friendship with them ends.
    pub async fn block_users(&self, users: &[String]) -> Result<Vec<FriendResult>> {
        let request = UsersRequest {
            users: users.to_vec(),
        };
        let results = self.call::<Block>(&request).await?.results;
        self.changed_here().await;
        Ok(results)
    }

    /// Unblock users (`TIMFriendshipDeleteFromBlackList`).
    pub async fn unblock_users(&self, users: &[String]) -> Result<Vec<FriendResult>> {
        let request = UsersRequest {
            users: users.to_vec(),
        };
        let results = self.call::<Unblock>(&request).await?.results;
        self.changed_here().await;
        Ok(results)
    }

    /// Who this user blocked, oldest first (`TIMFriendshipGetBlackList`).
    pub async fn blacklist(&self) -> Result<Vec<FriendProfile>> {
        self.with_lists(|r| r.blocked.clone()).await
    }

    /// Add a friend or ask to (`TIMFriendshipAddFriend`): the result's code is 0 when added,
    /// 30539 when the request waits for the other's answer.
    pub async fn add_friend(&self, param: &FriendshipAddFriendParam) -> Result<FriendResult> {
        let r = self.call::<AddFriend>(param).await?;
        self.changed_here().await;
        Ok(r)
    }

    /// Answer a friend request (`TIMFriendshipHandleFriendAddRequest`).
    pub async fn answer_friend_request(&self, response: &FriendResponse) -> Result<FriendResult> {
        let r = self.call::<AnswerRequest>(response).await?;
        self.changed_here().await;
        Ok(r)
    }

    /// Delete friends, one-way or two-way (`TIMFriendshipDeleteFriend`).
    pub async fn delete_friends(
        &self,
        param: &FriendshipDeleteFriendParam,
    ) -> Result<Vec<FriendResult>> {
        let r = self.call::<DeleteFriends>(param).await?.results;
        self.changed_here().await;
        Ok(r)
    }

    /// Change this user's remark, groups or custom fields of a friend
    /// (`TIMFriendshipModifyFriendProfile`).
    pub async fn modify_friend(&self, param: &FriendshipModifyFriendProfileParam) -> Result<()> {
        self.call::<ModifyFriend>(param).await?;
        self.changed_here().await;
        Ok(())
    }

    /// The relation with each user (`TIMFriendshipCheckFriendType`), asked of the server.
    pub async fn check_friends(
        &self,
        param: &FriendshipCheckFriendTypeParam,
    ) -> Result<Vec<FriendshipCheckFriendTypeResult>> {
        Ok(self.call::<CheckFriends>(param).await?.results)
    }

    /// Friend data and relation of users (`TIMFriendshipGetFriendsInfo`), asked of the
    /// server.
    pub async fn friends_info(&self, users: &[String]) -> Result<Vec<FriendInfoGetResult>> {
        let request = UsersRequest {
            users: users.to_vec(),
        };
        Ok(self.call::<FriendsInfo>(&request).await?.infos)
    }

    /// Every friend with their data (`TIMFriendshipGetFriendProfileList`).
    pub async fn friend_list(&self) -> Result<Vec<FriendProfile>> {
        self.with_lists(|r| r.friends.clone()).await
    }

    /// Friend groups by name, every one when `names` is empty
    /// (`TIMFriendshipGetFriendGroupList`); names that are no group are left out.
    pub async fn friend_groups(&self, names: &[String]) -> Result<Vec<FriendGroupInfo>> {
        self.with_lists(|r| {
            r.groups
                .iter()
                .filter(|g| names.is_empty() || names.contains(g))
                .map(|g| {
                    let ids: Vec<String> = r
                        .friends
                        .iter()
                        .filter(|f| f.group_name_array.as_ref().is_some_and(|a| a.contains(g)))
                        .map(|f| id_of(f).to_owned())
                        .collect();
                    FriendGroupInfo {
                        name: Some(g.clone()),
                        count: Some(ids.len() as u64),
                        identifier_array: Some(ids),
                    }
                })
                .collect()
        })
        .await
    }

    /// Create friend groups (`TIMFriendshipCreateFriendGroup`).
    pub async fn create_friend_groups(
        &self,
        param: &FriendshipCreateFriendGroupParam,
    ) -> Result<Vec<FriendResult>> {
        let r = self.call::<CreateFriendGroups>(param).await?.results;
        self.changed_here().await;
        Ok(r)
    }

    /// Rename a friend group, move friends in or out (`TIMFriendshipModifyFriendGroup`).
    pub async fn modify_friend_group(
        &self,
        param: &FriendshipModifyFriendGroupParam,
    ) -> Result<Vec<FriendResult>> {
        let r = self.call::<ModifyFriendGroup>(param).await?.results;
        self.changed_here().await;
        Ok(r)
    }

    /// Delete friend groups (`TIMFriendshipDeleteFriendGroup`).
    pub async fn delete_friend_groups(&self, names: &[String]) -> Result<()> {
        let request = NamesRequest {
            names: names.to_vec(),
        };
        self.call::<DeleteFriendGroups>(&request).await?;
        self.changed_here().await;
        Ok(())
    }

    /// A page of friend requests (`TIMFriendshipGetPendencyList`), newest first:
    /// `start_seq` is where the page starts (0 first; then the `current_seq` answered, which
    /// is 0 when there are no more), `limited_size` its length (0: all).
    pub async fn pendency_list(&self, p: &FriendshipGetPendencyListParam) -> Result<PendencyPage> {
        let kind = p.pendency_type.unwrap_or(FriendPendencyType::COME_IN);
        if ![
            FriendPendencyType::COME_IN,
            FriendPendencyType::SEND_OUT,
            FriendPendencyType::BOTH,
        ]
        .contains(&kind)
        {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                format!(
                    "pendency type {} is none of 0 (incoming), 1 (outgoing), 2 (both)",
                    kind.0
                ),
            ));
        }
        let start = p.start_seq.unwrap_or(0) as usize;
        let size = match p.limited_size.unwrap_or(0) {
            n if n <= 0 => usize::MAX,
            n => n as usize,
        };
        self.with_lists(|r| {
            let matching: Vec<&FriendAddPendencyInfo> = r
                .requests
                .iter()
                .filter(|q| kind == FriendPendencyType::BOTH || q.pendency_type == Some(kind))
                .collect();
            let page: Vec<FriendAddPendencyInfo> = matching
                .iter()
                .skip(start)
                .take(size)
                .map(|q| (*q).clone())
                .collect();
            let next = start + page.len();
            let unread = r
                .requests
                .iter()
                .filter(|q| q.pendency_type == Some(FriendPendencyType::COME_IN))
                .filter(|q| q.add_time.unwrap_or(0) > r.read_time)
                .count();
            PendencyPage {
                start_time: Some(0),
                unread_num: Some(unread as u64),
                current_seq: Some(if next < matching.len() {
                    next as u64
                } else {
                    0
                }),
                pendency_info_array: Some(page),
            }
        })
        .await
    }

    /// Delete friend requests (`TIMFriendshipDeletePendency`).
    pub async fn delete_pendencies(
        &self,
        param: &FriendshipDeletePendencyParam,
    ) -> Result<Vec<FriendResult>> {
        let r = self.call::<DeleteRequests>(param).await?.results;
        self.changed_here().await;
        Ok(r)
    }

    /// Mark incoming friend requests up to `time` read, 0 meaning now
    /// (`TIMFriendshipReportPendencyReaded`).
    pub async fn report_pendency_read(&self, time: u64) -> Result<()> {
        self.call::<RequestsRead>(&ReadRequest { time }).await?;
        self.changed_here().await;
        Ok(())
    }

    /// Friends whose id, nickname or remark (the fields asked; all when none) contains one of
    /// the keywords, ignoring case (`TIMFriendshipSearchFriends`), from the index this device
    /// keeps of its friends (see [`LocalStore::search_friends`]).
    pub async fn search_friends(&self, p: &FriendSearchParam) -> Result<Vec<FriendProfile>> {
        let keywords: Vec<String> = p
            .keyword_list
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|k| !k.is_empty())
            .collect();
        if keywords.is_empty() || keywords.len() > MAX_SEARCH_KEYWORDS {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                format!(
                    "{} keywords; a friend search takes 1 to {MAX_SEARCH_KEYWORDS}",
                    keywords.len()
                ),
            ));
        }
        let fields = p
            .search_field_list
            .clone()
            .unwrap_or_default()
            .into_iter()
            .fold(0, |a, f| a | f);
        let fields = match fields {
            0 => 7,
            f => f,
        };
        let has = |bit: FriendshipSearchFieldKey| fields & bit.0 != 0;
        let fields = FriendFields {
            id: has(FriendshipSearchFieldKey::IDENTIFIER),
            nick: has(FriendshipSearchFieldKey::NIKE_NAME),
            remark: has(FriendshipSearchFieldKey::REMARK),
        };
        // The lists are fetched first when they never were; the index of the kept friends
        // answers.
        self.with_lists(|_| ()).await?;
        let store = self.slot(|s| s.store.clone())?;
        let mut found: Vec<FriendProfile> = store
            .search_friends(&keywords, fields)?
            .iter()
            .filter_map(|body| serde_json::from_str(body).ok())
            .collect();
        found.sort_by_key(|p| (p.add_time.unwrap_or(0), id_of(p).to_owned()));
        Ok(found)
    }
}
