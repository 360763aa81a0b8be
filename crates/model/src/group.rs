//! Group member information carried inside messages and elements.

use crate::enums::{GroupMemberRole, GroupReceiveMessageOpt};
use crate::serde_util::{kv_list, KeyValue};

json_struct! {
    /// One custom member field (`GroupMemberInfoCustemString`). The group-info key spelling
    /// (`group_info_custom_string_info_*`), seen inside member info in a 2021 example, is read
    /// as an alias.
    pub struct GroupMemberInfoCustomString {
        #[serde(alias = "group_info_custom_string_info_key")]
        key: String = ("kTIMGroupMemberInfoCustemStringInfoKey", "group_member_info_custom_string_info_key"),
        #[serde(alias = "group_info_custom_string_info_value")]
        value: String = ("kTIMGroupMemberInfoCustemStringInfoValue", "group_member_info_custom_string_info_value"),
    }
}

impl KeyValue for GroupMemberInfoCustomString {
    fn from_pair(key: String, value: String) -> Self {
        Self::new(key, value)
    }
}

impl GroupMemberInfoCustomString {
    /// A field with both keys set.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            value: Some(value.into()),
        }
    }

    /// Fills absent keys with empty strings.
    pub fn complete(mut self) -> Self {
        fill!(self; key, value);
        self
    }
}

json_struct! {
    /// A group member (`GroupMemberInfo`).
    pub struct GroupMemberInfo {
        identifier: String = ("kTIMGroupMemberInfoIdentifier", "group_member_info_identifier"),
        join_time: u32 = ("kTIMGroupMemberInfoJoinTime", "group_member_info_join_time"),
        /// 200 / 300 / 400 on output; 1 / 2 / 3 accepted on input (decision 3).
        member_role: GroupMemberRole = ("kTIMGroupMemberInfoMemberRole", "group_member_info_member_role"),
        msg_flag: GroupReceiveMessageOpt = ("kTIMGroupMemberInfoMsgFlag", "group_member_info_msg_flag"),
        msg_seq: u32 = ("kTIMGroupMemberInfoMsgSeq", "group_member_info_msg_seq"),
        shutup_time: u32 = ("kTIMGroupMemberInfoShutupTime", "group_member_info_shutup_time"),
        name_card: String = ("kTIMGroupMemberInfoNameCard", "group_member_info_name_card"),
        /// Custom fields; `{}` on input (as in the seed) reads as `[]` (decision 5).
        #[serde(deserialize_with = "kv_list")]
        custom_info: Vec<GroupMemberInfoCustomString> = ("kTIMGroupMemberInfoCustomInfo", "group_member_info_custom_info"),
    }
}

impl GroupMemberInfo {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; identifier, join_time, member_role, msg_flag, msg_seq, shutup_time, name_card);
        fill_vec!(self; custom_info => GroupMemberInfoCustomString::complete);
        self
    }
}
