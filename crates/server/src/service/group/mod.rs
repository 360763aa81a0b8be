//! Groups: creating and dismissing them, inviting and removing members, leaving them, and
//! reading their profiles, members and one's memberships. Every change is checked against the
//! table in [`rules`] first.
//!
//! Every membership change adds a tip to the group's stream ([`stream`]) and tells the users
//! who joined or left through their inboxes. Messages to a group are sent by the message
//! service, which checks them against the same table.

mod attributes;
mod join;
mod manage;
mod receipts;
pub mod rules;
pub mod stream;

use std::sync::Arc;

use opentim_model::codes;
use opentim_model::enums::{
    GroupAddOption, GroupMemberRole, GroupReportType, GroupTipType, GroupType,
    HandleGroupMemberResult,
};
use opentim_model::group::{
    CreateGroupParam, CreateGroupResult, GetGroupInfoResult, GroupBaseInfo, GroupDeleteMemberParam,
    GroupDeleteMemberResult, GroupDetailInfo, GroupGetMemberInfoListParam,
    GroupGetMemberInfoListResult, GroupInfoCustomString, GroupInviteMemberParam,
    GroupInviteMemberResult, GroupMemberInfo, GroupMemberInfoCustomString, GroupSelfInfo,
};
use opentim_model::ids::{GroupId, UserId};

use crate::clock::now_secs;
use crate::config::Config;
use crate::delivery::{Delivery, SessionId, Topic};
use crate::error::{Error, Result};
use crate::store::{Added, GroupRow, GroupStore, MemberRow, NewGroup, PendencyStore, ReceiptStore};
use crate::webhook::{self, Webhooks};
use rules::{decide, outranks, Op, Role};
use stream::SYSTEM_SENDER;

/// A group as a request names it, and the caller in it.
pub(crate) struct Found {
    pub group: GroupRow,
    pub member: Option<MemberRow>,
    pub role: Role,
}

/// The group `id` names (10015 for a bad id, 10010 when there is none) and the caller's
/// membership and role; a connection (`session`) that entered an AVChatRoom counts as a
/// member of it. The one lookup of every group request.
pub(crate) async fn find(
    store: &dyn GroupStore,
    delivery: &Delivery,
    config: &Config,
    user: &UserId,
    session: Option<SessionId>,
    id: &str,
) -> Result<Found> {
    let id = GroupId::parse(id, config.max_group_id_bytes).map_err(|e| {
        Error::refused(
            codes::ERR_SVR_GROUP_INVALID_GROUPID,
            format!("group id: {e}"),
        )
    })?;
    let group = store
        .group(id.as_str())
        .await
        .map_err(Error::internal("read the group"))?
        .ok_or_else(|| {
            Error::refused(
                codes::ERR_SVR_GROUP_NOT_FOUND,
                format!("there is no group {:?} (or it was dismissed)", id.as_str()),
            )
        })?;
    let member = store
        .member(id.as_str(), user.as_str())
        .await
        .map_err(Error::internal("read the membership"))?;
    let mut role = Role::of(member.as_ref().map(|m| m.role));
    // The app administrators (the REST API's callers) act under the table's AppAdmin role.
    if role == Role::Outsider && config.is_admin(user.as_str()) {
        role = Role::AppAdmin;
    }
    if role == Role::Outsider && group.group_type == GroupType::AV_CHAT_ROOM {
        if let Some(s) = session {
            if delivery.is_subscribed(s, &Topic::Group(id)) {
                role = Role::Member;
            }
        }
    }
    Ok(Found {
        group,
        member,
        role,
    })
}

/// The prefix of the ids the server makes; a caller's own id must not start with it.
pub const SERVER_ID_PREFIX: &str = "@TGS#";

pub struct GroupService {
    config: Arc<Config>,
    store: Arc<dyn GroupStore>,
    pendencies: Arc<dyn PendencyStore>,
    receipts: Arc<dyn ReceiptStore>,
    delivery: Arc<Delivery>,
    webhooks: Arc<Webhooks>,
}

/// A profile text and its limit.
fn within(what: &str, text: &str, max: usize) -> Result<()> {
    match text.len() <= max {
        true => Ok(()),
        false => Err(Error::refused(
            codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
            format!("{what} is {} bytes; the limit is {max}", text.len()),
        )),
    }
}

impl GroupService {
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn GroupStore>,
        pendencies: Arc<dyn PendencyStore>,
        receipts: Arc<dyn ReceiptStore>,
        delivery: Arc<Delivery>,
        webhooks: Arc<Webhooks>,
    ) -> Self {
        GroupService {
            config,
            store,
            pendencies,
            receipts,
            delivery,
            webhooks,
        }
    }

    /// Tell the app's back-end members joined (`join_type` "Apply" or "Invited").
    pub(super) fn after_join(&self, group: &GroupRow, join_type: &str, by: &str, who: &[String]) {
        if !who.is_empty() && self.webhooks.wants(webhook::GROUP_AFTER_JOIN) {
            let fields = webhook::members_joined(&group.id, group.group_type, join_type, by, who);
            self.webhooks.after(webhook::GROUP_AFTER_JOIN, fields);
        }
    }

    /// Tell the app's back-end members left (`exit_type` "Quit" or "Kicked").
    fn after_exit(&self, group: &GroupRow, exit_type: &str, by: &str, who: &[String]) {
        if !who.is_empty() && self.webhooks.wants(webhook::GROUP_AFTER_EXIT) {
            let fields = webhook::members_left(&group.id, group.group_type, exit_type, by, who);
            self.webhooks.after(webhook::GROUP_AFTER_EXIT, fields);
        }
    }

    fn group_id(&self, id: &str) -> Result<GroupId> {
        GroupId::parse(id, self.config.max_group_id_bytes).map_err(|e| {
            Error::refused(
                codes::ERR_SVR_GROUP_INVALID_GROUPID,
                format!("group id: {e}"),
            )
        })
    }

    /// The group and the caller's role in it.
    async fn group_and_role(&self, user: &UserId, id: &str) -> Result<(GroupRow, Role)> {
        let found = find(&*self.store, &self.delivery, &self.config, user, None, id).await?;
        Ok((found.group, found.role))
    }

    /// The groups as the app administrator lists them: up to `limit` ids after `after`, in id
    /// order, of `group_type` when given; and how many groups there are.
    pub async fn list(
        &self,
        after: &str,
        limit: u32,
        group_type: Option<GroupType>,
    ) -> Result<(Vec<String>, u64)> {
        let (ids, total) = self
            .store
            .group_ids(after, limit)
            .await
            .map_err(Error::internal("list the groups"))?;
        let ids = ids
            .into_iter()
            .filter(|(_, t)| group_type.is_none_or(|g| g == *t))
            .map(|(id, _)| id)
            .collect();
        Ok((ids, total))
    }

    /// A group as the app administrator reads it (`None`: no such group).
    pub async fn row(&self, id: &str) -> Result<Option<GroupRow>> {
        self.store
            .group(id)
            .await
            .map_err(Error::internal("read the group"))
    }

    /// A group and all its members as the app administrator reads them (`None`: no such
    /// group).
    pub async fn view(&self, id: &str) -> Result<Option<(GroupRow, Vec<MemberRow>)>> {
        let Some(group) = self.row(id).await? else {
            return Ok(None);
        };
        let members = self
            .store
            .members(id, 0, u32::MAX)
            .await
            .map_err(Error::internal("read the members"))?;
        Ok(Some((group, members)))
    }

    /// Messages of group `group` below seq `before`, newest first, at most `limit`, as its
    /// owner sees them (the app administrator's history).
    pub async fn messages(
        &self,
        group: &GroupRow,
        before: u64,
        limit: u32,
    ) -> Result<Vec<opentim_protocol::WireMessage>> {
        self.store
            .group_history(&group.id, &group.owner, before, limit)
            .await
            .map_err(Error::internal("read the group's history"))
    }

    /// The membership of `user` in group `id`, if any.
    pub async fn membership(&self, id: &str, user: &str) -> Result<Option<MemberRow>> {
        self.store
            .member(id, user)
            .await
            .map_err(Error::internal("read the membership"))
    }

    /// Put members in a group as they were elsewhere (the REST `import_group_member`): with
    /// their role and join time, without asking anyone. The users added.
    pub async fn import_members(
        &self,
        group: &GroupRow,
        users: Vec<String>,
        role: GroupMemberRole,
        time: u64,
    ) -> Result<Added> {
        let (users, _) = self.below_joined_limit(users).await?;
        let added = self
            .store
            .add_members(&group.id, users, role, time)
            .await
            .map_err(Error::internal("add the members"))?;
        self.tell(&group.id, true, added.notices.clone()).await;
        self.after_join(group, "Invited", "administrator", &added.added);
        Ok(added)
    }

    /// A system notice of the app to members of a group (all when `users` is empty).
    pub async fn notify_members(
        &self,
        group: &GroupRow,
        users: Vec<String>,
        text: &str,
    ) -> Result<()> {
        let users = match users.is_empty() {
            false => users,
            true => self
                .store
                .members(&group.id, 0, u32::MAX)
                .await
                .map_err(Error::internal("read the members"))?
                .into_iter()
                .map(|m| m.user)
                .collect(),
        };
        self.report(
            group,
            SYSTEM_SENDER,
            GroupReportType::USER_DEFINE,
            &users,
            text,
        )
        .await;
        Ok(())
    }

    /// Which of `users` may join one more group (`max_joined_groups`).
    async fn below_joined_limit(&self, users: Vec<String>) -> Result<(Vec<String>, Vec<String>)> {
        let max = self.config.max_joined_groups;
        let (mut ok, mut over) = (Vec::new(), Vec::new());
        for u in users {
            let n = self
                .store
                .joined_count(&u)
                .await
                .map_err(Error::internal("count the joined groups"))?;
            match n < max {
                true => ok.push(u),
                false => over.push(u),
            }
        }
        Ok((ok, over))
    }

    fn joined_limit(&self, user: &str) -> Error {
        Error::refused(
            codes::ERR_SVR_GROUP_COUNT_LIMIT,
            format!(
                "{user:?} is a member of {} groups, the most one may be (max_joined_groups)",
                self.config.max_joined_groups
            ),
        )
    }

    fn check(op: Op, role: Role, t: GroupType) -> Result<()> {
        decide(op, role, t).map_err(|d| Error::refused(d.code, d.desc))
    }

    /// Create a group owned by `user`, with the members the parameter names.
    pub async fn create(&self, user: &UserId, p: CreateGroupParam) -> Result<CreateGroupResult> {
        let c = &self.config;
        let name = p.group_name.unwrap_or_default();
        if name.is_empty() {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                "create_group_param_group_name is required",
            ));
        }
        within("the group name", &name, c.max_group_name_bytes)?;
        let notification = p.notification.unwrap_or_default();
        within(
            "the notification",
            &notification,
            c.max_group_notification_bytes,
        )?;
        let introduction = p.introduction.unwrap_or_default();
        within(
            "the introduction",
            &introduction,
            c.max_group_introduction_bytes,
        )?;
        let face_url = p.face_url.unwrap_or_default();
        within("the face URL", &face_url, c.max_group_face_url_bytes)?;
        let group_type = p.group_type.unwrap_or(GroupType::PUBLIC);
        if !rules::TYPES.contains(&group_type) {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                format!(
                    "group type {} is none of 0 to 4 (TIMGroupType)",
                    group_type.0
                ),
            ));
        }
        let id = match p.group_id.filter(|id| !id.is_empty()) {
            Some(id) if id.starts_with(SERVER_ID_PREFIX) => {
                return Err(Error::refused(
                    codes::ERR_SVR_GROUP_INVALID_GROUPID,
                    format!("a group id of one's own must not start with {SERVER_ID_PREFIX}"),
                ))
            }
            Some(id) => self.group_id(&id)?.into_string(),
            None => format!("{SERVER_ID_PREFIX}{:016x}", rand::random::<u64>()),
        };
        let custom = p.custom_info.unwrap_or_default();
        if custom.len() > c.max_group_custom_fields {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                format!(
                    "{} custom fields; a group has at most {} (max_group_custom_fields)",
                    custom.len(),
                    c.max_group_custom_fields
                ),
            ));
        }
        let cap = match group_type {
            GroupType::AV_CHAT_ROOM | GroupType::B_CHAT_ROOM => u32::MAX,
            _ => c.max_group_members,
        };
        let max_members = p.max_member_num.filter(|n| *n > 0).unwrap_or(cap).min(cap);
        let mut members = vec![(user.as_str().to_owned(), GroupMemberRole::OWNER)];
        for m in p.group_member_array.unwrap_or_default() {
            let Some(who) = m.identifier.filter(|w| !w.is_empty()) else {
                continue;
            };
            let who = UserId::parse(&who, c.max_user_id_bytes)
                .map_err(|e| {
                    Error::refused(
                        codes::ERR_SVR_GROUP_INVALID_ID,
                        format!("member {who:?}: {e}"),
                    )
                })?
                .into_string();
            let role = match m.member_role {
                Some(GroupMemberRole::ADMIN) if group_type != GroupType::PRIVATE => {
                    GroupMemberRole::ADMIN
                }
                _ => GroupMemberRole::NORMAL,
            };
            if !members.iter().any(|(u, _)| *u == who) {
                members.push((who, role));
            }
        }
        if members.len() as u64 > u64::from(max_members) {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT,
                format!(
                    "{} members for a group of at most {max_members}",
                    members.len()
                ),
            ));
        }
        let everyone: Vec<String> = members.iter().map(|(u, _)| u.clone()).collect();
        if let Some(u) = self.below_joined_limit(everyone).await?.1.first() {
            return Err(self.joined_limit(u));
        }
        let now = now_secs();
        let group = NewGroup {
            row: GroupRow {
                id: id.clone(),
                group_type,
                name,
                owner: user.as_str().to_owned(),
                notification,
                introduction,
                face_url,
                add_option: p.add_option.unwrap_or(GroupAddOption::ANY),
                max_members,
                shutup_all: false,
                custom: serde_json::to_string(&custom).unwrap_or_else(|_| "[]".into()),
                created: now,
                info_seq: 1,
                last_info_time: now,
                last_seq: 0,
                last_msg_time: 0,
                member_count: 0,
                visible: 2,
                searchable: 2,
            },
            members,
        };
        let row = group.row.clone();
        let created = self
            .store
            .create_group(group)
            .await
            .map_err(Error::internal("create the group"))?;
        let Some(notices) = created else {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_GROUPID_IN_USED,
                format!("the group id {id:?} is taken"),
            ));
        };
        let members: Vec<String> = notices.iter().map(|n| n.user.clone()).collect();
        self.tell(&id, true, notices).await;
        if self.webhooks.wants(webhook::GROUP_AFTER_CREATE) {
            let fields = webhook::group_created(
                &id,
                row.group_type,
                &row.name,
                user.as_str(),
                &row.owner,
                &members,
            );
            self.webhooks.after(webhook::GROUP_AFTER_CREATE, fields);
        }
        self.report(
            &row,
            user.as_str(),
            GroupReportType::CREATE,
            &[user.as_str().to_owned()],
            "",
        )
        .await;
        Ok(CreateGroupResult { group_id: Some(id) })
    }

    /// Dismiss a group (its owner, where the type allows; the app administrator, any).
    pub async fn dismiss(&self, user: &UserId, id: &str) -> Result<()> {
        let (group, role) = self.group_and_role(user, id).await?;
        Self::check(Op::Dismiss, role, group.group_type)?;
        let notices = self
            .store
            .dismiss(&group.id)
            .await
            .map_err(Error::internal("dismiss the group"))?
            .unwrap_or_default();
        let members: Vec<String> = notices.iter().map(|n| n.user.clone()).collect();
        self.tell(&group.id, false, notices).await;
        self.report(&group, user.as_str(), GroupReportType::DELETE, &members, "")
            .await;
        Ok(())
    }

    /// Leave a group (anyone but the owner, except in a Private group); a session leaves an
    /// AVChatRoom it entered.
    pub async fn quit(&self, user: &UserId, session: Option<SessionId>, id: &str) -> Result<()> {
        let (group, role) = self.group_and_role(user, id).await?;
        if let (Role::Outsider, Some(session), Some(topic)) =
            (role, session, stream::topic(&group.id))
        {
            if self.delivery.is_subscribed(session, &topic) {
                self.delivery.unsubscribe(session, topic).await;
                let who = user.as_str().to_owned();
                self.tip(&group, user.as_str(), GroupTipType::QUIT, vec![who])
                    .await;
                return Ok(());
            }
        }
        Self::check(Op::Quit, role, group.group_type)?;
        let notices = self
            .store
            .remove_members(&group.id, vec![user.as_str().to_owned()])
            .await
            .map_err(Error::internal("leave the group"))?;
        let gone: Vec<String> = notices.iter().map(|n| n.user.clone()).collect();
        self.tell(&group.id, false, notices).await;
        self.after_exit(&group, "Quit", user.as_str(), &gone);
        self.report(&group, user.as_str(), GroupReportType::QUIT, &gone, "")
            .await;
        self.tip(&group, user.as_str(), GroupTipType::QUIT, gone)
            .await;
        Ok(())
    }

    /// The users a member request names: 1 to `max_group_users_per_request`.
    fn users_of(&self, users: Option<Vec<String>>) -> Result<Vec<String>> {
        let users = users.unwrap_or_default();
        let max = self.config.max_group_users_per_request;
        if users.is_empty() || users.len() > max {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_ACOUNT_COUNT_LIMIT,
                format!(
                    "{} users named; name 1 to {max} (max_group_users_per_request)",
                    users.len()
                ),
            ));
        }
        Ok(users)
    }

    /// Add users to a group at once (those who may invite, per the group's type): one result
    /// per user in the order asked, added (1), already a member (2) or not added (0: an
    /// invalid id, or the group is full).
    pub async fn invite(
        &self,
        user: &UserId,
        p: GroupInviteMemberParam,
    ) -> Result<Vec<GroupInviteMemberResult>> {
        let (group, role) = self
            .group_and_role(user, p.group_id.as_deref().unwrap_or_default())
            .await?;
        Self::check(Op::Invite, role, group.group_type)?;
        let users = self.users_of(p.identifier_array)?;
        let valid: Vec<String> = users
            .iter()
            .filter(|u| UserId::parse(u, self.config.max_user_id_bytes).is_ok())
            .cloned()
            .collect();
        // The app administrator adds members without asking.
        if needs_consent(&group) && role != Role::AppAdmin {
            return self.invite_asking(&group, user, users, valid).await;
        }
        // Users at their limit of groups are not added (answered 0).
        let (valid, _) = self.below_joined_limit(valid).await?;
        let added = self
            .store
            .add_members(&group.id, valid, GroupMemberRole::NORMAL, now_secs())
            .await
            .map_err(Error::internal("add the members"))?;
        self.tell(&group.id, true, added.notices.clone()).await;
        self.after_join(&group, "Invited", user.as_str(), &added.added);
        self.report(
            &group,
            user.as_str(),
            GroupReportType::INVITE,
            &added.added,
            "",
        )
        .await;
        self.tip(
            &group,
            user.as_str(),
            GroupTipType::INVITE,
            added.added.clone(),
        )
        .await;
        Ok(users
            .into_iter()
            .map(|u| {
                let result = if added.added.contains(&u) {
                    HandleGroupMemberResult::HANDLED_SUC
                } else if added.already.contains(&u) {
                    HandleGroupMemberResult::INCLUDED
                } else {
                    HandleGroupMemberResult::HANDLED_ERR
                };
                GroupInviteMemberResult {
                    identifier: Some(u),
                    result: Some(result),
                }
            })
            .collect())
    }

    /// Invite into a group that lets nobody in without consent: members already in answer
    /// 2, the others get an invitation (3), invalid ids 0.
    async fn invite_asking(
        &self,
        group: &GroupRow,
        user: &UserId,
        users: Vec<String>,
        valid: Vec<String>,
    ) -> Result<Vec<GroupInviteMemberResult>> {
        let mut members = Vec::new();
        let mut asked = Vec::new();
        for u in valid {
            let member = self
                .store
                .member(&group.id, &u)
                .await
                .map_err(Error::internal("read the membership"))?;
            match member {
                Some(_) => members.push(u),
                None if !asked.contains(&u) => asked.push(u),
                None => {}
            }
        }
        self.invite_by_request(group, user.as_str(), &asked).await?;
        Ok(users
            .into_iter()
            .map(|u| {
                let result = if asked.contains(&u) {
                    HandleGroupMemberResult::INVITED
                } else if members.contains(&u) {
                    HandleGroupMemberResult::INCLUDED
                } else {
                    HandleGroupMemberResult::HANDLED_ERR
                };
                GroupInviteMemberResult {
                    identifier: Some(u),
                    result: Some(result),
                }
            })
            .collect())
    }

    /// Remove members (those who may kick, each only on members of a lower role): one result
    /// per user in the order asked, removed (1) or not (0: not a member, or not of a lower
    /// role).
    pub async fn kick(
        &self,
        user: &UserId,
        p: GroupDeleteMemberParam,
    ) -> Result<Vec<GroupDeleteMemberResult>> {
        let (group, role) = self
            .group_and_role(user, p.group_id.as_deref().unwrap_or_default())
            .await?;
        Self::check(Op::Kick, role, group.group_type)?;
        let users = self.users_of(p.identifier_array)?;
        let mut removable = Vec::new();
        for u in &users {
            let target = self
                .store
                .member(&group.id, u)
                .await
                .map_err(Error::internal("read the membership"))?;
            let target = Role::of(target.map(|m| m.role));
            if outranks(role, target, u == user.as_str()).is_ok() {
                removable.push(u.clone());
            }
        }
        let notices = self
            .store
            .remove_members(&group.id, removable)
            .await
            .map_err(Error::internal("remove the members"))?;
        let gone: Vec<String> = notices.iter().map(|n| n.user.clone()).collect();
        self.tell(&group.id, false, notices).await;
        self.after_exit(&group, "Kicked", user.as_str(), &gone);
        self.report(&group, user.as_str(), GroupReportType::BE_KICKED, &gone, "")
            .await;
        self.tip(&group, user.as_str(), GroupTipType::KICK, gone.clone())
            .await;
        Ok(users
            .into_iter()
            .map(|u| GroupDeleteMemberResult {
                result: Some(match gone.contains(&u) {
                    true => HandleGroupMemberResult::HANDLED_SUC,
                    false => HandleGroupMemberResult::HANDLED_ERR,
                }),
                identifier: Some(u),
            })
            .collect())
    }

    /// Members of a group (for its members): those named, or a page from
    /// `next_seq` (0 first; the answer's `next_seq` is 0 after the last page), of the roles
    /// the option's role flag keeps (0: all; Owner 1, Admin 2, Member 4).
    pub async fn members(
        &self,
        user: &UserId,
        p: GroupGetMemberInfoListParam,
    ) -> Result<GroupGetMemberInfoListResult> {
        let (group, role) = self
            .group_and_role(user, p.group_id.as_deref().unwrap_or_default())
            .await?;
        Self::check(Op::Read, role, group.group_type)?;
        let info_flag = p
            .option
            .as_ref()
            .and_then(|o| o.info_flag)
            .filter(|f| *f != 0)
            .unwrap_or(u64::MAX);
        let custom_keys = p
            .option
            .as_ref()
            .and_then(|o| o.custom_array.clone())
            .unwrap_or_default();
        let flag = p.option.and_then(|o| o.role_flag).unwrap_or(0);
        let keep = |m: &MemberRow| {
            flag == 0
                || (flag & 1 != 0 && m.role == GroupMemberRole::OWNER)
                || (flag & 2 != 0 && m.role == GroupMemberRole::ADMIN)
                || (flag & 4 != 0 && m.role == GroupMemberRole::NORMAL)
        };
        let named = p.identifier_array.unwrap_or_default();
        let (rows, next) = if !named.is_empty() {
            let mut rows = Vec::new();
            for u in named.iter().take(self.config.max_group_users_per_request) {
                rows.extend(
                    self.store
                        .member(&group.id, u)
                        .await
                        .map_err(Error::internal("read the membership"))?,
                );
            }
            (rows, 0)
        } else {
            let offset = p.next_seq.unwrap_or(0);
            let page = self.config.group_member_page;
            let rows = self
                .store
                .members(&group.id, offset, page)
                .await
                .map_err(Error::internal("read the members"))?;
            let next = match rows.len() as u32 == page {
                true => offset + u64::from(page),
                false => 0,
            };
            (rows, next)
        };
        Ok(GroupGetMemberInfoListResult {
            next_seq: Some(next),
            info_array: Some(
                rows.iter()
                    .filter(|m| keep(m))
                    .map(|m| only(member_info(m), info_flag, &custom_keys))
                    .collect(),
            ),
        })
    }

    /// The groups `user` is a member of (`GroupBaseInfo`, by group id).
    pub async fn joined(&self, user: &UserId) -> Result<Vec<GroupBaseInfo>> {
        let rows = self
            .store
            .joined(user.as_str())
            .await
            .map_err(Error::internal("read the joined groups"))?;
        Ok(rows.into_iter().map(|(g, m)| base_info(&g, &m)).collect())
    }

    /// The profiles of groups, one result each in the order asked: a group that does not
    /// exist, or a Private group the caller is not in, carries its code.
    pub async fn info(&self, user: &UserId, ids: Vec<String>) -> Result<Vec<GetGroupInfoResult>> {
        if ids.is_empty() || ids.len() > self.config.max_groups_per_info_request {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                format!(
                    "{} groups named; name 1 to {} (max_groups_per_info_request)",
                    ids.len(),
                    self.config.max_groups_per_info_request
                ),
            ));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let r = match self.group_and_role(user, &id).await {
                Ok((g, role)) if g.group_type != GroupType::PRIVATE || role != Role::Outsider => {
                    Ok(detail_info(&g))
                }
                Ok(_) => Err(Error::refused(
                    codes::ERR_SVR_GROUP_PERMISSION_DENY,
                    "only members see the profile of a Private group",
                )),
                Err(e) => Err(e),
            };
            out.push(match r {
                Ok(info) => GetGroupInfoResult {
                    code: Some(0),
                    desc: Some(String::new()),
                    info: Some(info.complete()),
                },
                Err(Error::Refused(refusal)) => GetGroupInfoResult {
                    code: Some(refusal.code),
                    desc: Some(refusal.desc),
                    info: Some(
                        GroupDetailInfo {
                            group_id: Some(id),
                            ..GroupDetailInfo::default()
                        }
                        .complete(),
                    ),
                },
                Err(e) => return Err(e),
            });
        }
        Ok(out)
    }
}

/// Whether invitees of `group` must accept first: a Public or ChatRoom group whose add option
/// is "need permission".
fn needs_consent(group: &GroupRow) -> bool {
    matches!(group.group_type, GroupType::PUBLIC | GroupType::CHAT_ROOM)
        && group.add_option == GroupAddOption::AUTH
}

fn custom_of(json: &str) -> Vec<GroupInfoCustomString> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A joined group as the API shows it.
pub fn base_info(g: &GroupRow, m: &MemberRow) -> GroupBaseInfo {
    GroupBaseInfo {
        group_id: Some(g.id.clone()),
        group_name: Some(g.name.clone()),
        group_type: Some(g.group_type),
        face_url: Some(g.face_url.clone()),
        info_seq: Some(g.info_seq),
        lastest_seq: Some(g.last_seq),
        readed_seq: Some(m.read_seq),
        msg_flag: Some(opentim_model::enums::GroupReceiveMessageOpt(m.msg_flag)),
        is_shutup_all: Some(g.shutup_all),
        self_info: Some(GroupSelfInfo {
            join_time: Some(m.join_time as u32),
            role: Some(m.role),
            unread_num: Some(g.last_seq.saturating_sub(m.read_seq) as u32),
            msg_flag: Some(opentim_model::enums::GroupReceiveMessageOpt(m.msg_flag)),
        }),
    }
    .complete()
}

/// A group's profile as the API shows it.
pub fn detail_info(g: &GroupRow) -> GroupDetailInfo {
    GroupDetailInfo {
        group_id: Some(g.id.clone()),
        group_type: Some(g.group_type),
        group_name: Some(g.name.clone()),
        notification: Some(g.notification.clone()),
        introduction: Some(g.introduction.clone()),
        face_url: Some(g.face_url.clone()),
        create_time: Some(g.created as u32),
        info_seq: Some(g.info_seq),
        last_info_time: Some(g.last_info_time as u32),
        next_msg_seq: Some(g.last_seq + 1),
        last_msg_time: Some(g.last_msg_time as u32),
        member_num: Some(g.member_count),
        max_member_num: Some(g.max_members),
        add_option: Some(g.add_option),
        online_member_num: Some(0),
        visible: Some(g.visible),
        searchable: Some(g.searchable),
        is_shutup_all: Some(g.shutup_all),
        owner_identifier: Some(g.owner.clone()),
        custom_info: Some(custom_of(&g.custom)),
    }
    .complete()
}

/// A member's info with only the fields of `TIMGroupMemberInfoFlag` bits `flag` filled (the
/// others keep their default values, as every key is written) and only the custom fields of
/// `keys` (all when empty). The id is always there.
fn only(mut m: GroupMemberInfo, flag: u64, keys: &[String]) -> GroupMemberInfo {
    let on = |bit: u64| flag & bit != 0;
    if !on(0x1) {
        m.join_time = Some(0);
    }
    if !on(0x2) {
        m.msg_flag = Some(opentim_model::enums::GroupReceiveMessageOpt(0));
    }
    if !on(0x4) {
        m.msg_seq = Some(0);
    }
    if !on(0x8) {
        m.member_role = Some(GroupMemberRole::NONE);
    }
    if !on(0x10) {
        m.shutup_time = Some(0);
    }
    if !on(0x20) {
        m.name_card = Some(String::new());
    }
    if !keys.is_empty() {
        if let Some(custom) = m.custom_info.as_mut() {
            custom.retain(|c| c.key.as_ref().is_some_and(|k| keys.contains(k)));
        }
    }
    m
}

/// A member as the API shows it.
pub fn member_info(m: &MemberRow) -> GroupMemberInfo {
    let custom: Vec<GroupMemberInfoCustomString> =
        serde_json::from_str(&m.custom).unwrap_or_default();
    GroupMemberInfo {
        identifier: Some(m.user.clone()),
        join_time: Some(m.join_time as u32),
        member_role: Some(m.role),
        msg_flag: Some(opentim_model::enums::GroupReceiveMessageOpt(m.msg_flag)),
        msg_seq: Some(m.read_seq as u32),
        shutup_time: Some(m.shutup_until as u32),
        name_card: Some(m.name_card.clone()),
        custom_info: Some(custom),
    }
    .complete()
}
