//! Friends: adding (directly or by request, as the target's add permission says), answering
//! requests, deleting, the caller's data of a friend, and relation checks.

use opentim_model::codes;
use opentim_model::elem::FriendChangeElem;
use opentim_model::enums::{
    FriendChangeType, FriendCheckRelation, FriendResponseAction, FriendType,
    FriendshipRelationType, ProfileAddPermission,
};
use opentim_model::friend::{
    FriendInfoGetResult, FriendResponse, FriendshipAddFriendParam, FriendshipCheckFriendTypeResult,
    FriendshipDeleteFriendParam, FriendshipModifyFriendProfileParam,
};
use opentim_model::ids::UserId;
use opentim_model::profile::{
    FriendAddPendency, FriendProfile, FriendProfileItem, FriendProfileUpdate, FriendResult,
};

use super::blacklist::{friend_del, pendency_del};
use super::rules::{decide_add, AddFacts, AddVerdict};
use super::{friend_profile, in_order, invalid, FriendshipService, SNS_CUSTOM_PREFIX};
use crate::clock::now_secs;
use crate::error::{Error, Result};
use crate::store::{Edit, FriendRow, RequestRow};

/// What the requester asked for the target, checked.
struct Ask {
    friend_type: FriendType,
    remark: String,
    group_name: String,
    add_source: String,
    add_wording: String,
}

fn friend_add(users: Vec<String>) -> FriendChangeElem {
    FriendChangeElem {
        change_type: Some(FriendChangeType::FRIEND_ADD),
        friend_add_identifier_array: Some(users),
        ..Default::default()
    }
}

impl FriendshipService {
    fn ask_of(&self, p: FriendshipAddFriendParam) -> Result<Ask> {
        let c = &self.config;
        let friend_type = p.friend_type.unwrap_or(FriendType::BOTH);
        if friend_type != FriendType::SINGLE && friend_type != FriendType::BOTH {
            return Err(invalid(format!(
                "friend type {} is neither 0 (one-way) nor 1 (two-way)",
                friend_type.0
            )));
        }
        let group_name = p.group_name.unwrap_or_default();
        if !group_name.is_empty() {
            self.group_name(&group_name)?;
        }
        Ok(Ask {
            friend_type,
            remark: self.text("the remark", p.remark, c.max_friend_remark_bytes)?,
            group_name,
            add_source: self.text("the add source", p.add_source, c.max_friend_source_bytes)?,
            add_wording: self.text("the add wording", p.add_wording, c.max_friend_wording_bytes)?,
        })
    }

    /// A friend row of `owner` for `friend` as asked, now.
    fn new_row(owner: &str, friend: &str, remark: &str, group: &str, ask: &Ask) -> FriendRow {
        FriendRow {
            owner: owner.to_owned(),
            friend: friend.to_owned(),
            remark: remark.to_owned(),
            groups: match group.is_empty() {
                true => vec![],
                false => vec![group.to_owned()],
            },
            custom: vec![],
            add_source: ask.add_source.clone(),
            add_wording: ask.add_wording.clone(),
            add_time: now_secs(),
        }
    }

    /// The edits that put `row` in (creating its group when new).
    async fn put_friend(&self, row: FriendRow, edits: &mut Vec<Edit>) -> Result<()> {
        if let Some(g) = row.groups.first() {
            let groups = self
                .friends
                .friend_groups(&row.owner)
                .await
                .map_err(Error::internal("read the friend groups"))?;
            if !groups.contains(g) {
                edits.push(Edit::Group {
                    owner: row.owner.clone(),
                    name: g.clone(),
                });
            }
        }
        edits.push(Edit::Friend(row));
        Ok(())
    }

    /// `user` adds a friend, or asks to: one `FriendResult`. The target's add permission
    /// decides (Unknown counts as NeedConfirm); a target who already has `user` as a friend
    /// needs no confirmation. 30539 means the request now waits for the target's answer.
    pub async fn add(&self, user: &UserId, p: FriendshipAddFriendParam) -> Result<FriendResult> {
        self.add_as(user, p, false).await
    }

    /// As [`Self::add`]; `forced` (the app administrator's forced add) takes the target's
    /// add permission as allowing anyone. Blacklists still apply.
    pub async fn add_as(
        &self,
        user: &UserId,
        p: FriendshipAddFriendParam,
        forced: bool,
    ) -> Result<FriendResult> {
        let target = p.identifier.clone().unwrap_or_default();
        let (valid, refused) = self.valid_others(user, std::slice::from_ref(&target));
        if let Some(r) = refused.into_iter().next() {
            return Ok(r);
        }
        let target = valid.into_iter().next().unwrap_or_default();
        let ask = self.ask_of(p)?;
        let me = user.as_str();
        let fail = |code, desc: String| Ok(FriendResult::failed(&target, code, desc));
        if self.existing(std::slice::from_ref(&target)).await?.first() != Some(&true) {
            return fail(
                codes::ERR_SVR_FRIENDSHIP_ACCOUNT_NOT_FOUND,
                format!("{target} does not exist"),
            );
        }
        let blocked = |owner: String, other: String| async move {
            self.friends
                .is_blocked(&owner, &other)
                .await
                .map_err(Error::internal("read the blacklist"))
        };
        let have = self
            .rows_of(me, vec![target.clone()])
            .await?
            .remove(&target);
        let has_me = self.rows_of(&target, vec![me.to_owned()]).await?.remove(me);
        let both = ask.friend_type == FriendType::BOTH;
        let facts = AddFacts {
            asker_blocked_target: blocked(me.to_owned(), target.clone()).await?,
            target_blocked_asker: blocked(target.clone(), me.to_owned()).await?,
            asker_has_target: have.is_some(),
            target_has_asker: has_me.is_some(),
            both_ways: both,
            permission: match forced {
                true => ProfileAddPermission::ALLOW_ANY,
                false => self
                    .user_profiles(vec![target.clone()])
                    .await?
                    .remove(&target)
                    .and_then(|p| p.add_permission)
                    .unwrap_or_default(),
            },
        };
        let direct = match decide_add(&facts).1 {
            AddVerdict::Direct => true,
            AddVerdict::Request => false,
            AddVerdict::Refuse(code) => {
                let desc = match code {
                    codes::ERR_SVR_FRIENDSHIP_IN_SELF_BLACKLIST => {
                        format!("{target} is in your blacklist; remove them from it first")
                    }
                    codes::ERR_SVR_FRIENDSHIP_IN_PEER_BLACKLIST => format!("{target} blocked you"),
                    codes::ERR_SVR_FRIENDSHIP_ALLOW_TYPE_DENY_ANY => {
                        format!("{target} accepts no friend requests")
                    }
                    _ => format!("Err_SNS_FriendAdd_Friend_Exist: {target} is your friend already"),
                };
                return fail(code, desc);
            }
        };
        let mut edits = Vec::new();
        let mut changes = Vec::new();
        if direct {
            if have.is_none() {
                let row = Self::new_row(me, &target, &ask.remark, &ask.group_name, &ask);
                self.put_friend(row, &mut edits).await?;
                changes.push((me.to_owned(), friend_add(vec![target.clone()])));
            }
            if both && has_me.is_none() {
                edits.push(Edit::Friend(Self::new_row(&target, me, "", "", &ask)));
                changes.push((target.clone(), friend_add(vec![me.to_owned()])));
            }
            // Requests between the two are answered by this.
            for (owner, other, incoming) in [
                (me, target.as_str(), false),
                (target.as_str(), me, true),
                (me, target.as_str(), true),
                (target.as_str(), me, false),
            ] {
                edits.push(Edit::DropRequest {
                    owner: owner.to_owned(),
                    other: other.to_owned(),
                    incoming,
                });
            }
        } else {
            let side = |owner: &str, other: &str, incoming| RequestRow {
                owner: owner.to_owned(),
                other: other.to_owned(),
                incoming,
                friend_type: ask.friend_type.0 as i32,
                remark: ask.remark.clone(),
                group_name: ask.group_name.clone(),
                add_source: ask.add_source.clone(),
                add_wording: ask.add_wording.clone(),
                add_time: now_secs(),
            };
            edits.push(Edit::Request(side(me, &target, false)));
            edits.push(Edit::Request(side(&target, me, true)));
            let nick = self
                .user_profiles(vec![me.to_owned()])
                .await?
                .remove(me)
                .and_then(|p| p.nick_name)
                .unwrap_or_default();
            let pendency = FriendAddPendency {
                identifier: Some(me.to_owned()),
                nick_name: Some(nick),
                add_source: Some(ask.add_source.clone()),
                add_wording: Some(ask.add_wording.clone()),
            };
            changes.push((
                target.clone(),
                FriendChangeElem {
                    change_type: Some(FriendChangeType::PENDENCY_ADD),
                    friend_add_pendency_array: Some(vec![pendency]),
                    ..Default::default()
                },
            ));
            // The requester's other devices learn of their outgoing request (no callback).
            changes.push((me.to_owned(), outgoing_request()));
        }
        if let Some((owner, cap)) = self.relate(edits).await? {
            let (code, desc) = self.cap_refusal(user, &owner, cap);
            return fail(code, desc);
        }
        self.after_relations(&changes, me, "friend_add");
        self.notify(changes).await;
        match direct {
            true => Ok(FriendResult {
                desc: Some(String::new()),
                ..FriendResult::ok(&target)
            }),
            false => fail(
                codes::ERR_SVR_FRIENDSHIP_ALLOW_TYPE_NEED_CONFIRM,
                format!("the request waits for {target}'s answer"),
            ),
        }
    }

    /// `user` answers the friend request of `r.identifier`: agree (the requester gets `user`
    /// as a friend), agree and add (both get each other), or reject.
    pub async fn answer(&self, user: &UserId, r: FriendResponse) -> Result<FriendResult> {
        let me = user.as_str();
        let from = r.identifier.clone().unwrap_or_default();
        let action = r.action.unwrap_or(FriendResponseAction::AGREE);
        if ![
            FriendResponseAction::AGREE,
            FriendResponseAction::AGREE_AND_ADD,
            FriendResponseAction::REJECT,
        ]
        .contains(&action)
        {
            return Err(invalid(format!(
                "action {} is none of 0 (agree), 1 (agree and add) and 2 (reject)",
                action.0
            )));
        }
        let remark = self.text("the remark", r.remark, self.config.max_friend_remark_bytes)?;
        let group = r.group_name.unwrap_or_default();
        if !group.is_empty() {
            self.group_name(&group)?;
        }
        let requests = self
            .friends
            .requests(me)
            .await
            .map_err(Error::internal("read the friend requests"))?;
        let Some(request) = requests.into_iter().find(|q| q.incoming && q.other == from) else {
            return Ok(FriendResult::failed(
                &from,
                codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                format!("Err_SNS_FriendResponse_Pendency_Not_Exist: no friend request from {from}"),
            ));
        };
        let mut edits = vec![
            Edit::DropRequest {
                owner: me.to_owned(),
                other: from.clone(),
                incoming: true,
            },
            Edit::DropRequest {
                owner: from.clone(),
                other: me.to_owned(),
                incoming: false,
            },
        ];
        let mut changes = vec![
            (me.to_owned(), pendency_del(vec![from.clone()])),
            (from.clone(), pendency_del(vec![me.to_owned()])),
        ];
        if action != FriendResponseAction::REJECT {
            let ask = Ask {
                friend_type: FriendType(i64::from(request.friend_type)),
                remark: request.remark.clone(),
                group_name: request.group_name.clone(),
                add_source: request.add_source.clone(),
                add_wording: request.add_wording.clone(),
            };
            let theirs = self.rows_of(&from, vec![me.to_owned()]).await?;
            if theirs.is_empty() {
                let row = Self::new_row(&from, me, &ask.remark, &ask.group_name, &ask);
                self.put_friend(row, &mut edits).await?;
                changes.push((from.clone(), friend_add(vec![me.to_owned()])));
            }
            let mine = self.rows_of(me, vec![from.clone()]).await?;
            if action == FriendResponseAction::AGREE_AND_ADD && mine.is_empty() {
                let row = Self::new_row(me, &from, &remark, &group, &ask);
                self.put_friend(row, &mut edits).await?;
                changes.push((me.to_owned(), friend_add(vec![from.clone()])));
            }
        }
        if let Some((owner, cap)) = self.relate(edits).await? {
            let (code, desc) = self.cap_refusal(user, &owner, cap);
            return Ok(FriendResult::failed(&from, code, desc));
        }
        self.after_relations(&changes, &from, "friend_response");
        self.notify(changes).await;
        Ok(FriendResult {
            desc: Some(String::new()),
            ..FriendResult::ok(&from)
        })
    }

    /// `user` deletes friends, one-way (from their list) or two-way (from both lists).
    pub async fn delete(
        &self,
        user: &UserId,
        p: FriendshipDeleteFriendParam,
    ) -> Result<Vec<FriendResult>> {
        let users = p.identifier_array.unwrap_or_default();
        self.users_of(&users)?;
        let both = p.friend_type.unwrap_or(FriendType::BOTH) == FriendType::BOTH;
        let (valid, mut results) = self.valid_others(user, &users);
        let me = user.as_str();
        let mine = self.rows_of(me, valid.clone()).await?;
        let theirs = self
            .friends
            .who_have(valid.clone(), me)
            .await
            .map_err(Error::internal("read the friends"))?;
        let (mut edits, mut removed, mut changes) = (Vec::new(), Vec::new(), Vec::new());
        for u in valid {
            if !mine.contains_key(&u) {
                results.push(FriendResult::failed(
                    &u,
                    codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                    format!("Err_SNS_FriendDelete_Friend_Not_Exist: {u} is not your friend"),
                ));
                continue;
            }
            edits.push(Edit::Unfriend {
                owner: me.to_owned(),
                friend: u.clone(),
            });
            if both && theirs.contains(&u) {
                edits.push(Edit::Unfriend {
                    owner: u.clone(),
                    friend: me.to_owned(),
                });
                changes.push((u.clone(), friend_del(vec![me.to_owned()])));
            }
            removed.push(u.clone());
            results.push(FriendResult::ok(u));
        }
        self.relate(edits).await?;
        if !removed.is_empty() {
            changes.insert(0, (me.to_owned(), friend_del(removed)));
        }
        self.after_relations(&changes, me, "friend_delete");
        self.notify(changes).await;
        Ok(in_order(&users, results))
    }

    /// `user` changes their remark, friend groups or custom fields of one friend. Custom keys
    /// may leave out `Tag_SNS_Custom_`; a field set to "" is removed; groups that do not exist
    /// are created.
    pub async fn modify(&self, user: &UserId, p: FriendshipModifyFriendProfileParam) -> Result<()> {
        let me = user.as_str();
        let friend = p.identifier.unwrap_or_default();
        let Some(mut row) = self
            .rows_of(me, vec![friend.clone()])
            .await?
            .remove(&friend)
        else {
            return Err(invalid(format!("{friend:?} is not your friend")));
        };
        let item = p.item.unwrap_or_default();
        let c = &self.config;
        let mut edits = Vec::new();
        if let Some(remark) = item.remark.clone() {
            row.remark = self.text("the remark", Some(remark), c.max_friend_remark_bytes)?;
        }
        if let Some(groups) = item.group_name_array.clone() {
            let existing = self
                .friends
                .friend_groups(me)
                .await
                .map_err(Error::internal("read the friend groups"))?;
            let mut names: Vec<String> = Vec::new();
            for g in groups {
                self.group_name(&g)?;
                if !names.contains(&g) {
                    if !existing.contains(&g) {
                        edits.push(Edit::Group {
                            owner: me.to_owned(),
                            name: g.clone(),
                        });
                    }
                    names.push(g);
                }
            }
            row.groups = names;
        }
        for f in item.custom_string_array.clone().unwrap_or_default() {
            let key = f.key.unwrap_or_default();
            let key = key
                .strip_prefix(SNS_CUSTOM_PREFIX)
                .unwrap_or(&key)
                .to_owned();
            let value = f.value.unwrap_or_default();
            if key.is_empty() || key.len() > c.max_profile_custom_key_bytes {
                return Err(invalid(format!(
                    "custom key {key:?} is {} bytes after {SNS_CUSTOM_PREFIX}; keys are 1 to {} \
                     bytes (max_profile_custom_key_bytes)",
                    key.len(),
                    c.max_profile_custom_key_bytes
                )));
            }
            if value.len() > c.max_profile_custom_value_bytes {
                return Err(invalid(format!(
                    "the value of {key} is {} bytes; the limit is {} (max_profile_custom_value_bytes)",
                    value.len(),
                    c.max_profile_custom_value_bytes
                )));
            }
            let full = format!("{SNS_CUSTOM_PREFIX}{key}");
            row.custom.retain(|(k, _)| *k != full);
            if !value.is_empty() {
                row.custom.push((full, value));
            }
        }
        if row.custom.len() > c.max_profile_custom_fields {
            return Err(invalid(format!(
                "{} custom fields; a friend has at most {} (max_profile_custom_fields)",
                row.custom.len(),
                c.max_profile_custom_fields
            )));
        }
        edits.push(Edit::Friend(row));
        if let Some((owner, cap)) = self.relate(edits).await? {
            let (code, desc) = self.cap_refusal(user, &owner, cap);
            return Err(Error::refused(code, desc));
        }
        let update = FriendProfileUpdate {
            identifier: Some(friend),
            item: Some(item),
        };
        self.notify(vec![(me.to_owned(), profile_update(vec![update]))])
            .await;
        Ok(())
    }

    /// The relation of `user` with each of `users` (one-way check: whether `user` has them;
    /// two-way: both directions).
    pub async fn check(
        &self,
        user: &UserId,
        check_type: FriendType,
        users: Vec<String>,
    ) -> Result<Vec<FriendshipCheckFriendTypeResult>> {
        self.users_of(&users)?;
        let relations = self.relations(user, &users).await?;
        Ok(users
            .iter()
            .zip(relations)
            .map(|(u, rel)| {
                let relation = match (rel, check_type == FriendType::BOTH) {
                    (Ok((mine, _)), false) => Ok(match mine {
                        true => FriendCheckRelation::A_WITH_B,
                        false => FriendCheckRelation::NO_RELATION,
                    }),
                    (Ok((mine, theirs)), true) => Ok(match (mine, theirs) {
                        (true, true) => FriendCheckRelation::BOTH_WAY,
                        (true, false) => FriendCheckRelation::A_WITH_B,
                        (false, true) => FriendCheckRelation::B_WITH_A,
                        (false, false) => FriendCheckRelation::NO_RELATION,
                    }),
                    (Err(e), _) => Err(e),
                };
                let (relation, code, desc) = match relation {
                    Ok(r) => (r, 0, String::new()),
                    Err(desc) => (
                        FriendCheckRelation::NO_RELATION,
                        codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                        desc,
                    ),
                };
                FriendshipCheckFriendTypeResult {
                    identifier: Some(u.clone()),
                    relation: Some(relation),
                    code: Some(code),
                    desc: Some(desc),
                }
            })
            .collect())
    }

    /// For each of `users`: (whether `user` has them, whether they have `user`), or why the id
    /// cannot be checked.
    async fn relations(
        &self,
        user: &UserId,
        users: &[String],
    ) -> Result<Vec<std::result::Result<(bool, bool), String>>> {
        let (valid, _) = self.valid_others(user, users);
        let mine = self.rows_of(user.as_str(), valid.clone()).await?;
        let theirs = self
            .friends
            .who_have(valid.clone(), user.as_str())
            .await
            .map_err(Error::internal("read the friends"))?;
        Ok(users
            .iter()
            .map(|u| match valid.contains(u) {
                true => Ok((mine.contains_key(u), theirs.contains(u))),
                false => Err(format!("{u:?} is not a user id that can be checked")),
            })
            .collect())
    }

    /// The friend data and relation of each of `users`.
    pub async fn info(
        &self,
        user: &UserId,
        users: Vec<String>,
    ) -> Result<Vec<FriendInfoGetResult>> {
        self.users_of(&users)?;
        let relations = self.relations(user, &users).await?;
        let mine = self.rows_of(user.as_str(), users.clone()).await?;
        let profiles = self.user_profiles(users.clone()).await?;
        Ok(users
            .iter()
            .zip(relations)
            .map(|(u, rel)| {
                let (relation, code, message) = match rel {
                    Ok((mine, theirs)) => (
                        match (mine, theirs) {
                            (true, true) => FriendshipRelationType::BOTH_FRIEND,
                            (true, false) => FriendshipRelationType::IN_MY_FRIEND_LIST,
                            (false, true) => FriendshipRelationType::IN_OTHER_FRIEND_LIST,
                            (false, false) => FriendshipRelationType::NONE,
                        },
                        0,
                        String::new(),
                    ),
                    Err(m) => (
                        FriendshipRelationType::NONE,
                        codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                        m,
                    ),
                };
                let profile = match mine.get(u) {
                    Some(row) => friend_profile(row, profiles.get(u)),
                    None => FriendProfile {
                        identifier: Some(u.clone()),
                        user_profile: profiles.get(u).cloned(),
                        ..Default::default()
                    }
                    .complete(),
                };
                FriendInfoGetResult {
                    identifier: Some(u.clone()),
                    relation_type: Some(relation),
                    error_code: Some(code),
                    error_message: Some(message),
                    field_info: Some(vec![profile]),
                }
            })
            .collect())
    }

    /// `user` changed their profile: everyone who has them as a friend is told
    /// (`TIMUpdateFriendProfileCallback`), and their devices fetch the friend again.
    pub async fn profile_changed(&self, user: &UserId) -> Result<()> {
        let owners = self
            .friends
            .friend_owners(user.as_str())
            .await
            .map_err(Error::internal("read the friends"))?;
        let edits = owners
            .iter()
            .map(|o| Edit::Touch {
                owner: o.clone(),
                friend: user.as_str().to_owned(),
            })
            .collect();
        self.relate(edits).await?;
        let update = FriendProfileUpdate {
            identifier: Some(user.as_str().to_owned()),
            item: Some(FriendProfileItem::default()),
        };
        let changes = owners
            .into_iter()
            .map(|o| (o, profile_update(vec![update.clone()])))
            .collect();
        self.notify(changes).await;
        Ok(())
    }
}

fn profile_update(updates: Vec<FriendProfileUpdate>) -> FriendChangeElem {
    FriendChangeElem {
        change_type: Some(FriendChangeType::FRIEND_PROFILE_UPDATE),
        friend_profile_update_item_array: Some(updates),
        ..Default::default()
    }
}

/// The notice of a change the API has no callback for (the requester's own outgoing request):
/// the devices fetch what changed.
pub(super) fn outgoing_request() -> FriendChangeElem {
    FriendChangeElem {
        change_type: Some(FriendChangeType::NONE),
        ..Default::default()
    }
}
