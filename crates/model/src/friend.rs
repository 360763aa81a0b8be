//! The parameters and answers of the friendship calls (friends, requests, friend groups).

use crate::enums::{
    FriendCheckRelation, FriendPendencyType, FriendResponseAction, FriendType,
    FriendshipRelationType,
};
use crate::profile::{FriendProfile, FriendProfileItem};

json_struct! {
    /// What `TIMFriendshipAddFriend` takes (`FriendshipAddFriendParam`).
    pub struct FriendshipAddFriendParam {
        identifier: String = ("kTIMFriendshipAddFriendParamIdentifier", "friendship_add_friend_param_identifier"),
        friend_type: FriendType = ("kTIMFriendshipAddFriendParamFriendType", "friendship_add_friend_param_friend_type"),
        remark: String = ("kTIMFriendshipAddFriendParamRemark", "friendship_add_friend_param_remark"),
        group_name: String = ("kTIMFriendshipAddFriendParamGroupName", "friendship_add_friend_param_group_name"),
        add_source: String = ("kTIMFriendshipAddFriendParamAddSource", "friendship_add_friend_param_add_source"),
        add_wording: String = ("kTIMFriendshipAddFriendParamAddWording", "friendship_add_friend_param_add_wording"),
    }
}

json_struct! {
    /// An answer to a friend request (`FriendRespone`, sic).
    pub struct FriendResponse {
        identifier: String = ("kTIMFriendResponeIdentifier", "friend_respone_identifier"),
        action: FriendResponseAction = ("kTIMFriendResponeAction", "friend_respone_action"),
        remark: String = ("kTIMFriendResponeRemark", "friend_respone_remark"),
        group_name: String = ("kTIMFriendResponeGroupName", "friend_respone_group_name"),
    }
}

json_struct! {
    /// What `TIMFriendshipModifyFriendProfile` takes.
    pub struct FriendshipModifyFriendProfileParam {
        identifier: String = ("kTIMFriendshipModifyFriendProfileParamIdentifier", "friendship_modify_friend_profile_param_identifier"),
        item: FriendProfileItem = ("kTIMFriendshipModifyFriendProfileParamItem", "friendship_modify_friend_profile_param_item"),
    }
}

json_struct! {
    /// What `TIMFriendshipGetPendencyList` takes: direction and page.
    pub struct FriendshipGetPendencyListParam {
        pendency_type: FriendPendencyType = ("kTIMFriendshipGetPendencyListParamType", "friendship_get_pendency_list_param_type"),
        start_seq: u64 = ("kTIMFriendshipGetPendencyListParamStartSeq", "friendship_get_pendency_list_param_start_seq"),
        start_time: u64 = ("kTIMFriendshipGetPendencyListParamStartTime", "friendship_get_pendency_list_param_start_time"),
        limited_size: i64 = ("kTIMFriendshipGetPendencyListParamLimitedSize", "friendship_get_pendency_list_param_limited_size"),
    }
}

json_struct! {
    /// One page of friend requests (`PendencyPage`, Example 21).
    pub struct PendencyPage {
        start_time: u64 = ("kTIMPendencyPageStartTime", "pendency_page_start_time"),
        unread_num: u64 = ("kTIMPendencyPageUnReadNum", "pendency_page_unread_num"),
        current_seq: u64 = ("kTIMPendencyPageCurrentSeq", "pendency_page_current_seq"),
        pendency_info_array: Vec<FriendAddPendencyInfo> = ("kTIMPendencyPagePendencyInfoArray", "pendency_page_pendency_info_array"),
    }
}

json_struct! {
    /// One friend request of a page (`FriendAddPendencyInfo`; "idenitifer" sic).
    pub struct FriendAddPendencyInfo {
        pendency_type: FriendPendencyType = ("kTIMFriendAddPendencyInfoType", "friend_add_pendency_info_type"),
        identifier: String = ("kTIMFriendAddPendencyInfoIdentifier", "friend_add_pendency_info_idenitifer"),
        nick_name: String = ("kTIMFriendAddPendencyInfoNickName", "friend_add_pendency_info_nick_name"),
        add_time: u64 = ("kTIMFriendAddPendencyInfoAddTime", "friend_add_pendency_info_add_time"),
        add_source: String = ("kTIMFriendAddPendencyInfoAddSource", "friend_add_pendency_info_add_source"),
        add_wording: String = ("kTIMFriendAddPendencyInfoAddWording", "friend_add_pendency_info_add_wording"),
    }
}

json_struct! {
    /// What `TIMFriendshipDeletePendency` takes.
    pub struct FriendshipDeletePendencyParam {
        pendency_type: FriendPendencyType = ("kTIMFriendshipDeletePendencyParamType", "friendship_delete_pendency_param_type"),
        identifier_array: Vec<String> = ("kTIMFriendshipDeletePendencyParamIdentifierArray", "friendship_delete_pendency_param_identifier_array"),
    }
}

json_struct! {
    /// What `TIMFriendshipDeleteFriend` takes.
    pub struct FriendshipDeleteFriendParam {
        friend_type: FriendType = ("kTIMFriendshipDeleteFriendParamFriendType", "friendship_delete_friend_param_friend_type"),
        identifier_array: Vec<String> = ("kTIMFriendshipDeleteFriendParamIdentifierArray", "friendship_delete_friend_param_identifier_array"),
    }
}

json_struct! {
    /// What `TIMFriendshipCreateFriendGroup` takes.
    pub struct FriendshipCreateFriendGroupParam {
        name_array: Vec<String> = ("kTIMFriendshipCreateFriendGroupParamNameArray", "friendship_create_friend_group_param_name_array"),
        identifier_array: Vec<String> = ("kTIMFriendshipCreateFriendGroupParamIdentifierArray", "friendship_create_friend_group_param_identifier_array"),
    }
}

json_struct! {
    /// A friend group (`FriendGroupInfo`, Example 25).
    pub struct FriendGroupInfo {
        name: String = ("kTIMFriendGroupInfoName", "friend_group_info_name"),
        count: u64 = ("kTIMFriendGroupInfoCount", "friend_group_info_count"),
        identifier_array: Vec<String> = ("kTIMFriendGroupInfoIdentifierArray", "friend_group_info_identifier_array"),
    }
}

json_struct! {
    /// What `TIMFriendshipModifyFriendGroup` takes.
    pub struct FriendshipModifyFriendGroupParam {
        name: String = ("kTIMFriendshipModifyFriendGroupParamName", "friendship_modify_friend_group_param_name"),
        new_name: String = ("kTIMFriendshipModifyFriendGroupParamNewName", "friendship_modify_friend_group_param_new_name"),
        delete_identifier_array: Vec<String> = ("kTIMFriendshipModifyFriendGroupParamDeleteIdentifierArray", "friendship_modify_friend_group_param_delete_identifier_array"),
        add_identifier_array: Vec<String> = ("kTIMFriendshipModifyFriendGroupParamAddIdentifierArray", "friendship_modify_friend_group_param_add_identifier_array"),
    }
}

json_struct! {
    /// What `TIMFriendshipCheckFriendType` takes.
    pub struct FriendshipCheckFriendTypeParam {
        check_type: FriendType = ("kTIMFriendshipCheckFriendTypeParamCheckType", "friendship_check_friendtype_param_check_type"),
        identifier_array: Vec<String> = ("kTIMFriendshipCheckFriendTypeParamIdentifierArray", "friendship_check_friendtype_param_identifier_array"),
    }
}

json_struct! {
    /// One user's relation (`FriendshipCheckFriendTypeResult`, Example 23).
    pub struct FriendshipCheckFriendTypeResult {
        identifier: String = ("kTIMFriendshipCheckFriendTypeResultIdentifier", "friendship_check_friendtype_result_identifier"),
        relation: FriendCheckRelation = ("kTIMFriendshipCheckFriendTypeResultRelation", "friendship_check_friendtype_result_relation"),
        code: i32 = ("kTIMFriendshipCheckFriendTypeResultCode", "friendship_check_friendtype_result_code"),
        desc: String = ("kTIMFriendshipCheckFriendTypeResultDesc", "friendship_check_friendtype_result_desc"),
    }
}

json_struct! {
    /// What `TIMFriendshipSearchFriends` looks for: keywords, and the fields
    /// (`TIMFriendshipSearchFieldKey` bits: id 1, nick 2, remark 4) to look in.
    pub struct FriendSearchParam {
        keyword_list: Vec<String> = ("kTIMFriendshipSearchParamKeywordList", "friendship_search_param_keyword_list"),
        search_field_list: Vec<i64> = ("kTIMFriendshipSearchParamSearchFieldList", "friendship_search_param_search_field_list"),
    }
}

json_struct! {
    /// One user's answer of `TIMFriendshipGetFriendsInfo` (the friend data is an array, as the
    /// header types it).
    pub struct FriendInfoGetResult {
        identifier: String = ("kTIMFriendshipFriendInfoGetResultIdentifier", "friendship_friend_info_get_result_identifier"),
        relation_type: FriendshipRelationType = ("kTIMFriendshipFriendInfoGetResultRelationType", "friendship_friend_info_get_result_relation_type"),
        error_code: i32 = ("kTIMFriendshipFriendInfoGetResultErrorCode", "friendship_friend_info_get_result_error_code"),
        error_message: String = ("kTIMFriendshipFriendInfoGetResultErrorMessage", "friendship_friend_info_get_result_error_message"),
        field_info: Vec<FriendProfile> = ("kTIMFriendshipFriendInfoGetResultFriendInfo", "friendship_friend_info_get_result_field_info"),
    }
}
