//! Groups: member information carried inside messages and elements, and the parameters and
//! answers of the group API.

use crate::enums::{
    GroupAddOption, GroupMemberRole, GroupPendencyHandle, GroupPendencyHandleResult,
    GroupPendencyType, GroupReceiveMessageOpt, GroupType, HandleGroupMemberResult,
};
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

json_struct! {
    /// One custom group field (`GroupInfoCustemString`).
    pub struct GroupInfoCustomString {
        key: String = ("kTIMGroupInfoCustemStringInfoKey", "group_info_custom_string_info_key"),
        value: String = ("kTIMGroupInfoCustemStringInfoValue", "group_info_custom_string_info_value"),
    }
}

impl KeyValue for GroupInfoCustomString {
    fn from_pair(key: String, value: String) -> Self {
        Self {
            key: Some(key),
            value: Some(value),
        }
    }
}

impl GroupInfoCustomString {
    /// Fills absent keys with empty strings.
    pub fn complete(mut self) -> Self {
        fill!(self; key, value);
        self
    }
}

json_struct! {
    /// What `TIMGroupCreate` takes (`CreateGroupParam`).
    pub struct CreateGroupParam {
        group_name: String = ("kTIMCreateGroupParamGroupName", "create_group_param_group_name"),
        group_id: String = ("kTIMCreateGroupParamGroupId", "create_group_param_group_id"),
        group_type: GroupType = ("kTIMCreateGroupParamGroupType", "create_group_param_group_type"),
        group_member_array: Vec<GroupMemberInfo> = ("kTIMCreateGroupParamGroupMemberArray", "create_group_param_group_member_array"),
        notification: String = ("kTIMCreateGroupParamNotification", "create_group_param_notification"),
        introduction: String = ("kTIMCreateGroupParamIntroduction", "create_group_param_introduction"),
        face_url: String = ("kTIMCreateGroupParamFaceUrl", "create_group_param_face_url"),
        add_option: GroupAddOption = ("kTIMCreateGroupParamAddOption", "create_group_param_add_option"),
        max_member_num: u32 = ("kTIMCreateGroupParamMaxMemberCount", "create_group_param_max_member_num"),
        #[serde(deserialize_with = "kv_list")]
        custom_info: Vec<GroupInfoCustomString> = ("kTIMCreateGroupParamCustomInfo", "create_group_param_custom_info"),
    }
}

json_struct! {
    /// The answer of `TIMGroupCreate` (`CreateGroupResult`, seed Example 9).
    pub struct CreateGroupResult {
        group_id: String = ("kTIMCreateGroupResultGroupId", "create_group_result_groupid"),
    }
}

json_struct! {
    /// What `TIMGroupInviteMember` takes (`GroupInviteMemberParam`).
    pub struct GroupInviteMemberParam {
        group_id: String = ("kTIMGroupInviteMemberParamGroupId", "group_invite_member_param_group_id"),
        identifier_array: Vec<String> = ("kTIMGroupInviteMemberParamIdentifierArray", "group_invite_member_param_identifier_array"),
        user_data: String = ("kTIMGroupInviteMemberParamUserData", "group_invite_member_param_user_data"),
    }
}

json_struct! {
    /// One user's result of `TIMGroupInviteMember` (`GroupInviteMemberResult`, Example 10).
    pub struct GroupInviteMemberResult {
        identifier: String = ("kTIMGroupInviteMemberResultIdentifier", "group_invite_member_result_identifier"),
        result: HandleGroupMemberResult = ("kTIMGroupInviteMemberResultResult", "group_invite_member_result_result"),
    }
}

json_struct! {
    /// What `TIMGroupDeleteMember` takes (`GroupDeleteMemberParam`).
    pub struct GroupDeleteMemberParam {
        group_id: String = ("kTIMGroupDeleteMemberParamGroupId", "group_delete_member_param_group_id"),
        identifier_array: Vec<String> = ("kTIMGroupDeleteMemberParamIdentifierArray", "group_delete_member_param_identifier_array"),
        user_data: String = ("kTIMGroupDeleteMemberParamUserData", "group_delete_member_param_user_data"),
    }
}

json_struct! {
    /// One user's result of `TIMGroupDeleteMember` (`GroupDeleteMemberResult`, Example 11).
    pub struct GroupDeleteMemberResult {
        identifier: String = ("kTIMGroupDeleteMemberResultIdentifier", "group_delete_member_result_identifier"),
        result: HandleGroupMemberResult = ("kTIMGroupDeleteMemberResultResult", "group_delete_member_result_result"),
    }
}

json_struct! {
    /// The caller's membership of a group (`GroupSelfInfo`).
    pub struct GroupSelfInfo {
        join_time: u32 = ("kTIMGroupSelfInfoJoinTime", "group_self_info_join_time"),
        /// 200 / 300 / 400 on output (decision 3).
        role: GroupMemberRole = ("kTIMGroupSelfInfoRole", "group_self_info_role"),
        unread_num: u32 = ("kTIMGroupSelfInfoUnReadNum", "group_self_info_unread_num"),
        msg_flag: GroupReceiveMessageOpt = ("kTIMGroupSelfInfoMsgFlag", "group_self_info_msg_flag"),
    }
}

impl GroupSelfInfo {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; join_time, role, unread_num, msg_flag);
        self
    }
}

json_struct! {
    /// A joined group in `TIMGroupGetJoinedGroupList` (`GroupBaseInfo`, Example 12).
    pub struct GroupBaseInfo {
        group_id: String = ("kTIMGroupBaseInfoGroupId", "group_base_info_group_id"),
        group_name: String = ("kTIMGroupBaseInfoGroupName", "group_base_info_group_name"),
        group_type: GroupType = ("kTIMGroupBaseInfoGroupType", "group_base_info_group_type"),
        face_url: String = ("kTIMGroupBaseInfoFaceUrl", "group_base_info_face_url"),
        info_seq: u64 = ("kTIMGroupBaseInfoInfoSeq", "group_base_info_info_seq"),
        /// The SDK's spelling, "lastest".
        lastest_seq: u64 = ("kTIMGroupBaseInfoLastestSeq", "group_base_info_lastest_seq"),
        readed_seq: u64 = ("kTIMGroupBaseInfoReadedSeq", "group_base_info_readed_seq"),
        msg_flag: GroupReceiveMessageOpt = ("kTIMGroupBaseInfoMsgFlag", "group_base_info_msg_flag"),
        is_shutup_all: bool = ("kTIMGroupBaseInfoIsShutupAll", "group_base_info_is_shutup_all"),
        self_info: GroupSelfInfo = ("kTIMGroupBaseInfoSelfInfo", "group_base_info_self_info"),
    }
}

impl GroupBaseInfo {
    /// Fills every absent key with its default, the self info included.
    pub fn complete(mut self) -> Self {
        fill!(self; group_id, group_name, group_type, face_url, info_seq, lastest_seq,
            readed_seq, msg_flag, is_shutup_all, self_info => GroupSelfInfo::complete);
        self
    }
}

json_struct! {
    /// A group's profile (`GroupDetailInfo`; the SDK spells the keys "detial", and the owner
    /// key "owener").
    pub struct GroupDetailInfo {
        group_id: String = ("kTIMGroupDetialInfoGroupId", "group_detial_info_group_id"),
        group_type: GroupType = ("kTIMGroupDetialInfoGroupType", "group_detial_info_group_type"),
        group_name: String = ("kTIMGroupDetialInfoGroupName", "group_detial_info_group_name"),
        notification: String = ("kTIMGroupDetialInfoNotification", "group_detial_info_notification"),
        introduction: String = ("kTIMGroupDetialInfoIntroduction", "group_detial_info_introduction"),
        face_url: String = ("kTIMGroupDetialInfoFaceUrl", "group_detial_info_face_url"),
        create_time: u32 = ("kTIMGroupDetialInfoCreateTime", "group_detial_info_create_time"),
        info_seq: u64 = ("kTIMGroupDetialInfoInfoSeq", "group_detial_info_info_seq"),
        last_info_time: u32 = ("kTIMGroupDetialInfoLastInfoTime", "group_detial_info_last_info_time"),
        next_msg_seq: u64 = ("kTIMGroupDetialInfoNextMsgSeq", "group_detial_info_next_msg_seq"),
        last_msg_time: u32 = ("kTIMGroupDetialInfoLastMsgTime", "group_detial_info_last_msg_time"),
        member_num: u32 = ("kTIMGroupDetialInfoMemberNum", "group_detial_info_member_num"),
        max_member_num: u32 = ("kTIMGroupDetialInfoMaxMemberNum", "group_detial_info_max_member_num"),
        add_option: GroupAddOption = ("kTIMGroupDetialInfoAddOption", "group_detial_info_add_option"),
        online_member_num: u32 = ("kTIMGroupDetialInfoOnlineMemberNum", "group_detial_info_online_member_num"),
        visible: u32 = ("kTIMGroupDetialInfoVisible", "group_detial_info_visible"),
        searchable: u32 = ("kTIMGroupDetialInfoSearchable", "group_detial_info_searchable"),
        is_shutup_all: bool = ("kTIMGroupDetialInfoIsShutupAll", "group_detial_info_is_shutup_all"),
        owner_identifier: String = ("kTIMGroupDetialInfoOwnerIdentifier", "group_detial_info_owener_identifier"),
        /// `{}` on input (as in the seed) reads as `[]` (decision 5).
        #[serde(deserialize_with = "kv_list")]
        custom_info: Vec<GroupInfoCustomString> = ("kTIMGroupDetialInfoCustomInfo", "group_detial_info_custom_info"),
    }
}

impl GroupDetailInfo {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; group_id, group_type, group_name, notification, introduction, face_url,
            create_time, info_seq, last_info_time, next_msg_seq, last_msg_time, member_num,
            max_member_num, add_option, online_member_num, visible, searchable, is_shutup_all,
            owner_identifier);
        fill_vec!(self; custom_info => GroupInfoCustomString::complete);
        self
    }
}

json_struct! {
    /// One group's answer of `TIMGroupGetGroupInfoList` (`GetGroupInfoResult`, Example 13).
    pub struct GetGroupInfoResult {
        code: i32 = ("kTIMGetGroupInfoResultCode", "get_groups_info_result_code"),
        desc: String = ("kTIMGetGroupInfoResultDesc", "get_groups_info_result_desc"),
        info: GroupDetailInfo = ("kTIMGetGroupInfoResultInfo", "get_groups_info_result_info"),
    }
}

json_struct! {
    /// What `TIMGroupModifyGroupInfo` takes (`GroupModifyInfoParam`): the fields named by
    /// `modify_flag` (`TIMGroupModifyInfoFlag` bits).
    pub struct GroupModifyInfoParam {
        group_id: String = ("kTIMGroupModifyInfoParamGroupId", "group_modify_info_param_group_id"),
        /// `TIMGroupModifyInfoFlag` bits. A signed number: the owner bit (0x80000000) arrives
        /// as -2147483648 from callers that write it as a 32-bit int; read it as `as u32`.
        modify_flag: i64 = ("kTIMGroupModifyInfoParamModifyFlag", "group_modify_info_param_modify_flag"),
        group_name: String = ("kTIMGroupModifyInfoParamGroupName", "group_modify_info_param_group_name"),
        notification: String = ("kTIMGroupModifyInfoParamNotification", "group_modify_info_param_notification"),
        introduction: String = ("kTIMGroupModifyInfoParamIntroduction", "group_modify_info_param_introduction"),
        face_url: String = ("kTIMGroupModifyInfoParamFaceUrl", "group_modify_info_param_face_url"),
        add_option: GroupAddOption = ("kTIMGroupModifyInfoParamAddOption", "group_modify_info_param_add_option"),
        max_member_num: u32 = ("kTIMGroupModifyInfoParamMaxMemberNum", "group_modify_info_param_max_member_num"),
        visible: u32 = ("kTIMGroupModifyInfoParamVisible", "group_modify_info_param_visible"),
        searchable: u32 = ("kTIMGroupModifyInfoParamSearchAble", "group_modify_info_param_searchable"),
        is_shutup_all: bool = ("kTIMGroupModifyInfoParamIsShutupAll", "group_modify_info_param_is_shutup_all"),
        owner: String = ("kTIMGroupModifyInfoParamOwner", "group_modify_info_param_owner"),
        #[serde(deserialize_with = "kv_list")]
        custom_info: Vec<GroupInfoCustomString> = ("kTIMGroupModifyInfoParamCustomInfo", "group_modify_info_param_custom_info"),
    }
}

json_struct! {
    /// What `TIMGroupGetMemberInfoList` takes (`GroupGetMemberInfoListParam`).
    pub struct GroupGetMemberInfoListParam {
        group_id: String = ("kTIMGroupGetMemberInfoListParamGroupId", "group_get_members_info_list_param_group_id"),
        identifier_array: Vec<String> = ("kTIMGroupGetMemberInfoListParamIdentifierArray", "group_get_members_info_list_param_identifier_array"),
        option: crate::config::GroupMemberGetInfoOption = ("kTIMGroupGetMemberInfoListParamOption", "group_get_members_info_list_param_option"),
        next_seq: u64 = ("kTIMGroupGetMemberInfoListParamNextSeq", "group_get_members_info_list_param_next_seq"),
    }
}

json_struct! {
    /// The answer of `TIMGroupGetMemberInfoList` (`GroupGetMemberInfoListResult`, Example 14;
    /// the SDK spells the keys "memeber").
    pub struct GroupGetMemberInfoListResult {
        next_seq: u64 = ("kTIMGroupGetMemberInfoListResultNexSeq", "group_get_memeber_info_list_result_next_seq"),
        info_array: Vec<GroupMemberInfo> = ("kTIMGroupGetMemberInfoListResultInfoArray", "group_get_memeber_info_list_result_info_array"),
    }
}

json_struct! {
    /// What `TIMGroupModifyMemberInfo` takes (`GroupModifyMemberInfoParam`): the fields named
    /// by `modify_flag` (`TIMGroupMemberModifyInfoFlag` bits).
    pub struct GroupModifyMemberInfoParam {
        group_id: String = ("kTIMGroupModifyMemberInfoParamGroupId", "group_modify_member_info_group_id"),
        identifier: String = ("kTIMGroupModifyMemberInfoParamIdentifier", "group_modify_member_info_identifier"),
        /// `TIMGroupMemberModifyInfoFlag` bits.
        modify_flag: i64 = ("kTIMGroupModifyMemberInfoParamModifyFlag", "group_modify_member_info_modify_flag"),
        msg_flag: GroupReceiveMessageOpt = ("kTIMGroupModifyMemberInfoParamMsgFlag", "group_modify_member_info_msg_flag"),
        member_role: GroupMemberRole = ("kTIMGroupModifyMemberInfoParamMemberRole", "group_modify_member_info_member_role"),
        shutup_time: u32 = ("kTIMGroupModifyMemberInfoParamShutupTime", "group_modify_member_info_shutup_time"),
        name_card: String = ("kTIMGroupModifyMemberInfoParamNameCard", "group_modify_member_info_name_card"),
        #[serde(deserialize_with = "kv_list")]
        custom_info: Vec<GroupMemberInfoCustomString> = ("kTIMGroupModifyMemberInfoParamCustomInfo", "group_modify_member_info_custom_info"),
    }
}

json_struct! {
    /// What `TIMGroupGetPendencyList` takes (`GroupPendencyOption`).
    pub struct GroupPendencyOption {
        start_time: u64 = ("kTIMGroupPendencyOptionStartTime", "group_pendency_option_start_time"),
        max_limited: u32 = ("kTIMGroupPendencyOptionMaxLimited", "group_pendency_option_max_limited"),
    }
}

json_struct! {
    /// A join request or invitation waiting for a decision (`GroupPendency`; the SDK spells
    /// the sender keys "form").
    pub struct GroupPendency {
        group_id: String = ("kTIMGroupPendencyGroupId", "group_pendency_group_id"),
        from_identifier: String = ("kTIMGroupPendencyFromIdentifier", "group_pendency_form_identifier"),
        to_identifier: String = ("kTIMGroupPendencyToIdentifier", "group_pendency_to_identifier"),
        /// Milliseconds.
        add_time: u64 = ("kTIMGroupPendencyAddTime", "group_pendency_add_time"),
        pendency_type: GroupPendencyType = ("kTIMGroupPendencyPendencyType", "group_pendency_pendency_type"),
        handled: GroupPendencyHandle = ("kTIMGroupPendencyHandled", "group_pendency_handled"),
        handle_result: GroupPendencyHandleResult = ("kTIMGroupPendencyHandleResult", "group_pendency_handle_result"),
        apply_invite_msg: String = ("kTIMGroupPendencyApplyInviteMsg", "group_pendency_apply_invite_msg"),
        from_user_defined_data: String = ("kTIMGroupPendencyFromUserDefinedData", "group_pendency_form_user_defined_data"),
        approval_msg: String = ("kTIMGroupPendencyApprovalMsg", "group_pendency_approval_msg"),
        to_user_defined_data: String = ("kTIMGroupPendencyToUserDefinedData", "group_pendency_to_user_defined_data"),
        /// Later keys, written only when known.
        key: String = ("kTIMGroupPendencyKey", "group_pendency_key"),
        authentication: String = ("kTIMGroupPendencyAuthentication", "group_pendency_authentication"),
        self_identifier: String = ("kTIMGroupPendencySelfIdentifier", "group_pendency_self_identifier"),
    }
}

impl GroupPendency {
    /// Fills the keys of the seed's Example 15 with their defaults; the later keys stay as
    /// they are.
    pub fn complete(mut self) -> Self {
        fill!(self; group_id, from_identifier, to_identifier, add_time, pendency_type, handled,
            handle_result, apply_invite_msg, from_user_defined_data, approval_msg,
            to_user_defined_data);
        self
    }
}

json_struct! {
    /// The answer of `TIMGroupGetPendencyList` (`GroupPendencyResult`, Example 15).
    pub struct GroupPendencyResult {
        next_start_time: u64 = ("kTIMGroupPendencyResultNextStartTime", "group_pendency_result_next_start_time"),
        read_time_seq: u64 = ("kTIMGroupPendencyResultReadTimeSeq", "group_pendency_result_read_time_seq"),
        unread_num: u32 = ("kTIMGroupPendencyResultUnReadNum", "group_pendency_result_unread_num"),
        pendency_array: Vec<GroupPendency> = ("kTIMGroupPendencyResultPendencyArray", "group_pendency_result_pendency_array"),
    }
}

json_struct! {
    /// What `TIMGroupHandlePendency` takes (`GroupHandlePendencyParam`).
    pub struct GroupHandlePendencyParam {
        is_accept: bool = ("kTIMGroupHandlePendencyParamIsAccept", "group_handle_pendency_param_is_accept"),
        handle_msg: String = ("kTIMGroupHandlePendencyParamHandleMsg", "group_handle_pendency_param_handle_msg"),
        pendency: GroupPendency = ("kTIMGroupHandlePendencyParamPendency", "group_handle_pendency_param_pendency"),
    }
}

json_struct! {
    /// One group attribute (`GroupAttributes`; the SDK spells the keys "atrribute").
    pub struct GroupAttributes {
        key: String = ("TIMGroupAttributeKey", "group_atrribute_key"),
        value: String = ("TIMGroupAttributeValue", "group_atrribute_value"),
    }
}

json_struct! {
    /// The answer of `TIMGroupGetOnlineMemberCount`.
    pub struct GroupGetOnlineMemberCountResult {
        count: u64 = ("TIMGroupGetOnlineMemberCountResulCount", "group_get_online_member_count_result"),
    }
}

json_struct! {
    /// What `TIMGroupSearchGroups` looks for (`GroupSearchParam`): groups of this user whose
    /// fields (`TIMGroupSearchFieldKey`: id 1, name 2) contain a keyword.
    pub struct GroupSearchParam {
        keyword_list: Vec<String> = ("TIMGroupSearchParamKeywordList", "group_search_params_keyword_list"),
        field_list: Vec<u32> = ("TIMGroupSearchParamFieldList", "group_search_params_field_list"),
    }
}

json_struct! {
    /// What `TIMGroupSearchGroupMembers` looks for (`GroupMemberSearchParam`): members of
    /// these groups (all of this user's when empty) whose fields
    /// (`TIMGroupMemberSearchFieldKey`: id 1, nick 2, remark 4, name card 8) contain a keyword.
    pub struct GroupMemberSearchParam {
        groupid_list: Vec<String> = ("TIMGroupMemberSearchParamGroupidList", "group_search_member_params_groupid_list"),
        keyword_list: Vec<String> = ("TIMGroupMemberSearchParamKeywordList", "group_search_member_params_keyword_list"),
        field_list: Vec<u32> = ("TIMGroupMemberSearchParamFieldList", "group_search_member_params_field_list"),
    }
}

json_struct! {
    /// One group's matches of `TIMGroupSearchGroupMembers` (`GroupSearchGroupMembersdResult`;
    /// the SDK spells the list key "menber").
    pub struct GroupSearchGroupMembersdResult {
        group_id: String = ("TIMGroupSearchGroupMembersdResultGroupID", "group_search_member_result_groupid"),
        member_info_list: Vec<GroupMemberInfo> = ("TIMGroupSearchGroupMembersdResultMemberInfoList", "group_search_member_result_menber_info_list"),
    }
}
