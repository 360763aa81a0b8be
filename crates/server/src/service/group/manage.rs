//! Changing a group: its profile, mute-all and owner (`TIMGroupModifyGroupInfo`), and one
//! membership: role, mute, name card, custom fields, message option
//! (`TIMGroupModifyMemberInfo`). Each field the flag names is checked against the table in
//! [`super::rules`] and its limit before anything is stored; every change the members should
//! see becomes a tip in the group's stream.

use opentim_model::codes;
use opentim_model::elem::{GroupTipGroupChangeInfo, GroupTipMemberChangeInfo, GroupTipsElem};
use opentim_model::enums::{
    GroupAddOption, GroupMemberRole, GroupReceiveMessageOpt, GroupReportType,
    GroupTipGroupChangeFlag, GroupTipType, GroupType,
};
use opentim_model::group::{
    GroupInfoCustomString, GroupMemberInfoCustomString, GroupModifyInfoParam,
    GroupModifyMemberInfoParam,
};
use opentim_model::ids::UserId;

use super::rules::{outranks, Op, Role};
use super::{member_info, within, GroupService};
use crate::clock::now_secs;
use crate::error::{Error, Result};
use crate::store::{GroupPatch, MemberPatch};

/// `TIMGroupModifyInfoFlag` bits.
mod info_flag {
    pub const NAME: u32 = 0x1;
    pub const NOTIFICATION: u32 = 0x2;
    pub const INTRODUCTION: u32 = 0x4;
    pub const FACE_URL: u32 = 0x8;
    pub const ADD_OPTION: u32 = 0x10;
    pub const MAX_MEMBER_NUM: u32 = 0x20;
    pub const VISIBLE: u32 = 0x40;
    pub const SEARCHABLE: u32 = 0x80;
    pub const SHUTUP_ALL: u32 = 0x100;
    pub const CUSTOM: u32 = 0x200;
    pub const OWNER: u32 = 0x8000_0000;
    pub const KNOWN: u32 = 0x3ff | OWNER;
}

/// `TIMGroupMemberModifyInfoFlag` bits.
mod member_flag {
    pub const MSG_FLAG: u32 = 0x1;
    pub const ROLE: u32 = 0x2;
    pub const SHUTUP_TIME: u32 = 0x4;
    pub const NAME_CARD: u32 = 0x8;
    pub const CUSTOM: u32 = 0x10;
    pub const KNOWN: u32 = 0x1f;
}

fn invalid(desc: impl Into<String>) -> Error {
    Error::refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, desc)
}

/// Custom fields to store: the stored ones with `new` set over them (same key: the new
/// value), checked against the count and size limits.
fn merge_custom<T: serde::Serialize + serde::de::DeserializeOwned>(
    stored: &str,
    new: Vec<(String, String)>,
    make: fn(String, String) -> T,
    key_of: fn(&T) -> Option<&str>,
    limits: (usize, usize, usize),
) -> Result<String> {
    let (max_fields, max_key, max_value) = limits;
    let mut fields: Vec<T> = serde_json::from_str(stored).unwrap_or_default();
    for (key, value) in new {
        if key.is_empty() || key.len() > max_key {
            return Err(invalid(format!(
                "custom field key {key:?}: 1 to {max_key} bytes (max_group_custom_key_bytes)"
            )));
        }
        if value.len() > max_value {
            return Err(invalid(format!(
                "custom field {key:?} is {} bytes; the limit is {max_value} \
                 (max_group_custom_value_bytes)",
                value.len()
            )));
        }
        match fields.iter().position(|f| key_of(f) == Some(key.as_str())) {
            Some(i) => fields[i] = make(key, value),
            None => fields.push(make(key, value)),
        }
    }
    if fields.len() > max_fields {
        return Err(invalid(format!(
            "{} custom fields; at most {max_fields} are kept",
            fields.len()
        )));
    }
    serde_json::to_string(&fields).map_err(|e| invalid(format!("custom fields: {e}")))
}

impl GroupService {
    fn custom_limits(&self, fields: usize) -> (usize, usize, usize) {
        let c = &self.config;
        (
            fields,
            c.max_group_custom_key_bytes,
            c.max_group_custom_value_bytes,
        )
    }

    /// Change what `modify_flag` names of a group's profile, or (the owner flag, alone) hand
    /// the group to another member.
    pub async fn modify_info(&self, user: &UserId, p: GroupModifyInfoParam) -> Result<()> {
        use info_flag as F;
        let (group, role) = self
            .group_and_role(user, p.group_id.as_deref().unwrap_or_default())
            .await?;
        let flag = p.modify_flag.unwrap_or(0) as u32;
        if flag == 0 || flag & !F::KNOWN != 0 {
            return Err(invalid(format!(
                "group_modify_info_param_modify_flag {flag:#x} names nothing known to change \
                 (TIMGroupModifyInfoFlag bits)"
            )));
        }
        if flag & F::OWNER != 0 {
            return self.transfer(user, role, &group, flag, p.owner).await;
        }
        if flag & F::SHUTUP_ALL != 0 {
            Self::check(Op::MuteAll, role, group.group_type)?;
        }
        if flag & !F::SHUTUP_ALL != 0 {
            Self::check(Op::ModifyInfo, role, group.group_type)?;
        }
        let c = &self.config;
        let mut patch = GroupPatch::default();
        let mut changes = Vec::new();
        let mut change = |flag: GroupTipGroupChangeFlag, value: &str| {
            changes.push(
                GroupTipGroupChangeInfo {
                    flag: Some(flag),
                    value: Some(value.to_owned()),
                    ..Default::default()
                }
                .complete(),
            )
        };
        let texts = [
            (
                F::NAME,
                p.group_name,
                "the group name",
                c.max_group_name_bytes,
            ),
            (
                F::NOTIFICATION,
                p.notification,
                "the notification",
                c.max_group_notification_bytes,
            ),
            (
                F::INTRODUCTION,
                p.introduction,
                "the introduction",
                c.max_group_introduction_bytes,
            ),
            (
                F::FACE_URL,
                p.face_url,
                "the face URL",
                c.max_group_face_url_bytes,
            ),
        ];
        for (bit, text, what, max) in texts {
            if flag & bit == 0 {
                continue;
            }
            let text = text.unwrap_or_default();
            within(what, &text, max)?;
            let (slot, tip) = match bit {
                F::NAME if text.is_empty() => return Err(invalid("a group name cannot be empty")),
                F::NAME => (&mut patch.name, GroupTipGroupChangeFlag::NAME),
                F::NOTIFICATION => (
                    &mut patch.notification,
                    GroupTipGroupChangeFlag::NOTIFICATION,
                ),
                F::INTRODUCTION => (
                    &mut patch.introduction,
                    GroupTipGroupChangeFlag::INTRODUCTION,
                ),
                _ => (&mut patch.face_url, GroupTipGroupChangeFlag::FACE_URL),
            };
            change(tip, &text);
            *slot = Some(text);
        }
        if flag & F::ADD_OPTION != 0 {
            let opt = p.add_option.unwrap_or(GroupAddOption::ANY);
            if ![
                GroupAddOption::FORBID,
                GroupAddOption::AUTH,
                GroupAddOption::ANY,
            ]
            .contains(&opt)
            {
                return Err(invalid(format!(
                    "add option {} is none of 0 to 2 (TIMGroupAddOption)",
                    opt.0
                )));
            }
            patch.add_option = Some(opt);
        }
        if flag & F::MAX_MEMBER_NUM != 0 {
            let cap = match group.group_type {
                GroupType::AV_CHAT_ROOM | GroupType::B_CHAT_ROOM => u32::MAX,
                _ => c.max_group_members,
            };
            let n = p.max_member_num.unwrap_or(0);
            if n == 0 || n > cap || n < group.member_count {
                return Err(invalid(format!(
                    "a member limit of {n}: the group has {} members and may have at most \
                     {cap} (max_group_members)",
                    group.member_count
                )));
            }
            patch.max_members = Some(n);
        }
        for (bit, value, slot) in [
            (F::VISIBLE, p.visible, &mut patch.visible),
            (F::SEARCHABLE, p.searchable, &mut patch.searchable),
        ] {
            if flag & bit != 0 {
                *slot = Some(value.unwrap_or(2));
            }
        }
        if flag & F::SHUTUP_ALL != 0 {
            patch.shutup_all = Some(p.is_shutup_all.unwrap_or(false));
        }
        if flag & F::CUSTOM != 0 {
            let new: Vec<(String, String)> = p
                .custom_info
                .unwrap_or_default()
                .into_iter()
                .map(|f| (f.key.unwrap_or_default(), f.value.unwrap_or_default()))
                .collect();
            for (key, value) in &new {
                changes.push(
                    GroupTipGroupChangeInfo {
                        flag: Some(GroupTipGroupChangeFlag::CUSTOM),
                        value: Some(value.clone()),
                        key: Some(key.clone()),
                    }
                    .complete(),
                );
            }
            patch.custom = Some(merge_custom::<GroupInfoCustomString>(
                &group.custom,
                new,
                |key, value| GroupInfoCustomString {
                    key: Some(key),
                    value: Some(value),
                },
                |f| f.key.as_deref(),
                self.custom_limits(c.max_group_custom_fields),
            )?);
        }
        let updated = self
            .store
            .update_group(&group.id, patch, now_secs())
            .await
            .map_err(Error::internal("change the group"))?
            .ok_or_else(|| Error::refused(codes::ERR_SVR_GROUP_NOT_FOUND, "the group is gone"))?;
        // Mute-all, the add option and the limits have no change flag of their own: their
        // tip lists no change, and says who changed the group.
        let elem = GroupTipsElem {
            tip_type: Some(GroupTipType::GROUP_INFO_CHANGE),
            op_user: Some(user.as_str().to_owned()),
            group_change_info_array: Some(changes),
            member_num: Some(updated.member_count),
            ..Default::default()
        };
        self.post_tip(&updated, elem).await;
        Ok(())
    }

    /// Hand `group` to member `to` (the owner only, and the owner flag alone).
    async fn transfer(
        &self,
        user: &UserId,
        role: Role,
        group: &crate::store::GroupRow,
        flag: u32,
        to: Option<String>,
    ) -> Result<()> {
        if flag != info_flag::OWNER {
            return Err(invalid(
                "kTIMGroupModifyInfoFlag_Owner must be the only flag of its request",
            ));
        }
        Self::check(Op::TransferOwner, role, group.group_type)?;
        let to = to.filter(|t| !t.is_empty()).ok_or_else(|| {
            invalid("group_modify_info_param_owner names the new owner; it is empty")
        })?;
        if to == user.as_str() {
            return Err(invalid("you are the owner already"));
        }
        let patch = GroupPatch {
            owner: Some(to.clone()),
            ..Default::default()
        };
        let updated = self
            .store
            .update_group(&group.id, patch, now_secs())
            .await
            .map_err(Error::internal("hand over the group"))?
            .ok_or_else(|| {
                invalid(format!(
                    "{to:?} is not a member of the group; the new owner must be one"
                ))
            })?;
        let elem = GroupTipsElem {
            tip_type: Some(GroupTipType::GROUP_INFO_CHANGE),
            op_user: Some(user.as_str().to_owned()),
            group_change_info_array: Some(vec![GroupTipGroupChangeInfo {
                flag: Some(GroupTipGroupChangeFlag::OWNER),
                value: Some(to),
                ..Default::default()
            }
            .complete()]),
            member_num: Some(updated.member_count),
            ..Default::default()
        };
        self.post_tip(&updated, elem).await;
        Ok(())
    }

    /// Change what `modify_flag` names of one membership: a member's own message option,
    /// name card and custom fields; the role, mute, name card and custom fields of a member of
    /// a lower role, as the table allows.
    pub async fn modify_member(&self, user: &UserId, p: GroupModifyMemberInfoParam) -> Result<()> {
        use member_flag as F;
        let (group, role) = self
            .group_and_role(user, p.group_id.as_deref().unwrap_or_default())
            .await?;
        Self::check(Op::Read, role, group.group_type)?;
        let flag = p.modify_flag.unwrap_or(0) as u32;
        if flag == 0 || flag & !F::KNOWN != 0 {
            return Err(invalid(format!(
                "group_modify_member_info_modify_flag {flag:#x} names nothing known to change \
                 (TIMGroupMemberModifyInfoFlag bits)"
            )));
        }
        let who = p.identifier.unwrap_or_default();
        let target = self
            .store
            .member(&group.id, &who)
            .await
            .map_err(Error::internal("read the membership"))?
            .ok_or_else(|| invalid(format!("{who:?} is not a member of the group")))?;
        let own = who == user.as_str();
        let target_role = Role::of(Some(target.role));
        let over = || outranks(role, target_role, own).map_err(|d| Error::refused(d.code, d.desc));
        let c = &self.config;
        let mut patch = MemberPatch::default();
        if flag & F::MSG_FLAG != 0 {
            if !own {
                return Err(Error::refused(
                    codes::ERR_SVR_GROUP_PERMISSION_DENY,
                    "a member's message option is theirs to set",
                ));
            }
            let opt = p
                .msg_flag
                .unwrap_or(GroupReceiveMessageOpt::RECEIVE_AND_NOTIFY);
            if !(0..=2).contains(&opt.0) {
                return Err(invalid(format!(
                    "message option {} is none of 0 to 2 (TIMGroupReceiveMessageOpt)",
                    opt.0
                )));
            }
            patch.msg_flag = Some(opt.0);
        }
        let mut new_role = None;
        if flag & F::ROLE != 0 {
            Self::check(Op::SetRole, role, group.group_type)?;
            over()?;
            let r = p.member_role.unwrap_or(GroupMemberRole::NORMAL);
            if r != GroupMemberRole::ADMIN && r != GroupMemberRole::NORMAL {
                return Err(invalid(
                    "a member's role becomes Admin (300) or Normal (200); ownership is handed \
                     over with kTIMGroupModifyInfoFlag_Owner",
                ));
            }
            if r != target.role {
                patch.role = Some(r);
                new_role = Some(r);
            }
        }
        let mut muted = None;
        if flag & F::SHUTUP_TIME != 0 {
            Self::check(Op::Mute, role, group.group_type)?;
            over()?;
            let secs = p.shutup_time.unwrap_or(0);
            patch.shutup_until = Some(match secs {
                0 => 0,
                s => now_secs() + u64::from(s),
            });
            muted = Some(secs);
        }
        if flag & (F::NAME_CARD | F::CUSTOM) != 0 && !own {
            Self::check(Op::EditMember, role, group.group_type)?;
            over()?;
        }
        if flag & F::NAME_CARD != 0 {
            let card = p.name_card.unwrap_or_default();
            within("the name card", &card, c.max_group_name_card_bytes)?;
            patch.name_card = Some(card);
        }
        if flag & F::CUSTOM != 0 {
            let new = p
                .custom_info
                .unwrap_or_default()
                .into_iter()
                .map(|f| (f.key.unwrap_or_default(), f.value.unwrap_or_default()))
                .collect();
            patch.custom = Some(merge_custom::<GroupMemberInfoCustomString>(
                &target.custom,
                new,
                GroupMemberInfoCustomString::new,
                |f| f.key.as_deref(),
                self.custom_limits(c.max_member_custom_fields),
            )?);
        }
        let profile = patch.name_card.is_some() || patch.custom.is_some();
        // Not receiving a group's messages is not following it: the member's devices stop
        // (or start again) through a `group` entry of their inbox.
        let follows = |flag: i64| flag != super::stream::NOT_RECEIVE;
        let follow_change = patch
            .msg_flag
            .filter(|f| follows(*f) != follows(target.msg_flag))
            .map(follows);
        let updated = self
            .store
            .update_member(&group.id, &who, patch)
            .await
            .map_err(Error::internal("change the membership"))?
            .ok_or_else(|| invalid(format!("{who:?} is not a member of the group")))?;
        if let Some(joined) = follow_change {
            let notice = self
                .store
                .follow_notice(&group.id, &who, joined)
                .await
                .map_err(Error::internal("tell the member's devices"))?;
            self.tell(&group.id, joined, notice.into_iter().collect())
                .await;
        }
        let op = user.as_str().to_owned();
        if let Some(r) = new_role {
            let (tip, report) = match r {
                GroupMemberRole::ADMIN => (GroupTipType::SET_ADMIN, GroupReportType::GRANT_ADMIN),
                _ => (GroupTipType::CANCEL_ADMIN, GroupReportType::CANCEL_ADMIN),
            };
            self.tip(&group, &op, tip, vec![who.clone()]).await;
            self.report(&group, &op, report, std::slice::from_ref(&who), "")
                .await;
        }
        if muted.is_some() || profile {
            let elem = GroupTipsElem {
                tip_type: Some(GroupTipType::MEMBER_INFO_CHANGE),
                op_user: Some(op),
                user_array: Some(vec![who.clone()]),
                member_change_info_array: Some(
                    muted
                        .map(|secs| {
                            GroupTipMemberChangeInfo {
                                identifier: Some(who.clone()),
                                shutup_time: Some(secs),
                            }
                            .complete()
                        })
                        .into_iter()
                        .collect(),
                ),
                changed_group_memberinfo_array: Some(vec![member_info(&updated)]),
                member_num: Some(group.member_count),
                ..Default::default()
            };
            self.post_tip(&group, elem).await;
        }
        Ok(())
    }
}
