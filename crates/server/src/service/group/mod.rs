//! Groups: creating and dismissing them, leaving them, and reading their profiles and one's
//! memberships. Every change is checked against the table in [`rules`] first.
//!
//! This step serves no group messages yet (a send to a group is refused as before), no
//! invitations, kicks, join requests, profile changes or tips: those build on it.

pub mod rules;

use std::sync::Arc;

use opentim_model::codes;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
use opentim_model::group::{
    CreateGroupParam, CreateGroupResult, GetGroupInfoResult, GroupBaseInfo, GroupDetailInfo,
    GroupInfoCustomString, GroupSelfInfo,
};
use opentim_model::ids::{GroupId, UserId};

use crate::clock::now_secs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::{GroupRow, GroupStore, MemberRow, NewGroup};
use rules::{decide, Op, Role};

/// The prefix of the ids the server makes; a caller's own id must not start with it.
pub const SERVER_ID_PREFIX: &str = "@TGS#";

pub struct GroupService {
    config: Arc<Config>,
    store: Arc<dyn GroupStore>,
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
    pub fn new(config: Arc<Config>, store: Arc<dyn GroupStore>) -> Self {
        GroupService { config, store }
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
        let id = self.group_id(id)?;
        let group = self
            .store
            .group(id.as_str())
            .await
            .map_err(Error::internal("read the group"))?
            .ok_or_else(|| {
                Error::refused(
                    codes::ERR_SVR_GROUP_NOT_FOUND,
                    format!("there is no group {:?} (or it was dismissed)", id.as_str()),
                )
            })?;
        let member = self
            .store
            .member(id.as_str(), user.as_str())
            .await
            .map_err(Error::internal("read the membership"))?;
        Ok((group, Role::of(member.map(|m| m.role))))
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
            },
            members,
        };
        let created = self
            .store
            .create_group(group)
            .await
            .map_err(Error::internal("create the group"))?;
        if !created {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_GROUPID_IN_USED,
                format!("the group id {id:?} is taken"),
            ));
        }
        Ok(CreateGroupResult { group_id: Some(id) })
    }

    /// Dismiss a group (its owner, where the type allows).
    pub async fn dismiss(&self, user: &UserId, id: &str) -> Result<()> {
        let (group, role) = self.group_and_role(user, id).await?;
        Self::check(Op::Dismiss, role, group.group_type)?;
        self.store
            .dismiss(&group.id)
            .await
            .map_err(Error::internal("dismiss the group"))?;
        Ok(())
    }

    /// Leave a group (anyone but the owner, except in a Private group).
    pub async fn quit(&self, user: &UserId, id: &str) -> Result<()> {
        let (group, role) = self.group_and_role(user, id).await?;
        Self::check(Op::Quit, role, group.group_type)?;
        self.store
            .remove_members(&group.id, vec![user.as_str().to_owned()])
            .await
            .map_err(Error::internal("leave the group"))?;
        Ok(())
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
        visible: Some(2),
        searchable: Some(2),
        is_shutup_all: Some(g.shutup_all),
        owner_identifier: Some(g.owner.clone()),
        custom_info: Some(custom_of(&g.custom)),
    }
    .complete()
}
