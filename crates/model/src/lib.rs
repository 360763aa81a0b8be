//! The Tencent Cloud IM (TIM) data model: Rust types whose serde names are the C SDK's JSON keys.
//!
//! This crate is pure data (no I/O) shared by every other opentim crate: the C layer parses the
//! application's JSON into these types, the SDK and the server pass them around, and the C
//! layer serialises them back for callbacks. The facts (enum numbers, JSON keys, error codes)
//! are those of `spec/tim-data.json`, from which [`tables`] and [`codes`] are generated.
//!
//! # Decisions
//!
//! Where the Tencent headers of different years disagree, or the seed's examples differ from
//! them, this crate decides; the code cites these numbers.
//!
//! 2. Enum numbering is that of the 4.9.1–5.6 headers (e.g. GroupTips 5, GroupReport 8), and the
//!    seed's shifted element numbers are read too (see [`elem`]).
//! 3. Group member roles are 0/200/300/400 on the wire; 1/2/3 are read as aliases.
//! 4. A group type is also read from its name (`"Public"`).
//! 5. Custom-info arrays of key/value objects also accept an object: `{}` reads as `[]`.
//! 6. 64-bit integers are `u64` and never pass through a double.
//! 7. Output is complete: every documented key present, none `null`.
//! 9. Settings the Tencent API has no key for use an `opentim_` key in the same object.
//!
//! # Design
//!
//! * **Exact keys.** Every field is `#[serde(rename = "...")]` to the exact JSON key of the 2019–
//!   2021 ("era") headers, the SDK's misspellings included (`message_offlie_push_config`,
//!   `group_tips_member_change_info_shutupTime`, `profile_change_elem_from_identifer`,
//!   `user_config_is_is_disable_storage`, ...). Each object type lists its `(C constant, key)`
//!   pairs in `KEYS`, and a test checks them against [`tables`], generated from the spec.
//! * **Absent is not default.** Fields are `Option<T>` and skipped when `None`, so an object
//!   parsed and re-serialised has the same key set as the input (the one exception,
//!   [`Message::elem_array`], is always present). For output the SDK calls `complete()`, which
//!   fills every documented key with its default so no key is missing and none is `null`
//!   (decision 7). Unknown keys are ignored on input.
//! * **Forward-compatible enums.** Enums are `i64` newtypes with associated constants
//!   ([`enums`]): unknown numbers survive a round trip. Numbering is that of the 4.9.1–5.6
//!   headers (decision 2). Group member roles are 200/300/400 on the wire and 1/2/3 are read as
//!   aliases (decision 3); a group type is also read from its name, e.g. `"Public"`
//!   (decision 4).
//! * **Polymorphic elements.** [`Elem`] is dispatched on `elem_type`; an unknown type is kept
//!   whole in [`Elem::Unknown`] (see [`elem`] for the rule that also reads the seed's shifted
//!   element numbers).
//! * **64-bit integers** (`message_rand`, `message_seq`, `message_unique_id`, times) are `u64`
//!   and never pass through a double (decision 6).
//! * **Custom info** arrays of key/value objects also accept an object, so `{}` reads as `[]`
//!   (decision 5).
//! * **Extensions** use an `opentim_` key: [`SdkConfig::opentim_server_address`] (decision 9).
#![forbid(unsafe_code)]

#[macro_use]
mod macros;
mod serde_util;

pub mod codes;
pub mod config;
pub mod conv;
pub mod elem;
pub mod enums;
pub mod friend;
pub mod group;
pub mod ids;
pub mod message;
pub mod profile;
pub mod tables;

pub use config::{
    GroupGetInfoOption, GroupMemberGetInfoOption, HttpProxyInfo, ProxyInfo, SdkConfig, SetConfig,
    Socks5ProxyInfo, UserConfig,
};
pub use conv::{ConvInfo, Draft, GetConversationListParam, GetTotalUnreadNumberResult, MsgLocator};
pub use elem::{
    CustomElem, Elem, FaceElem, FileElem, FriendChangeElem, GroupReportElem,
    GroupTipGroupChangeInfo, GroupTipMemberChangeInfo, GroupTipsElem, ImageElem, LocationElem,
    MergerElem, ProfileChangeElem, SoundElem, TextElem, VideoElem,
};
pub use enums::*;
pub use group::{
    CreateGroupParam, CreateGroupResult, GetGroupInfoResult, GroupBaseInfo, GroupDeleteMemberParam,
    GroupDeleteMemberResult, GroupDetailInfo, GroupGetMemberInfoListParam,
    GroupGetMemberInfoListResult, GroupHandlePendencyParam, GroupInfoCustomString,
    GroupInviteMemberParam, GroupInviteMemberResult, GroupMemberInfo, GroupMemberInfoCustomString,
    GroupModifyInfoParam, GroupModifyMemberInfoParam, GroupPendency, GroupPendencyOption,
    GroupPendencyResult, GroupSelfInfo,
};
pub use message::{
    AndroidOfflinePushConfig, IosOfflinePushConfig, Message, MessageReceipt, MsgBatchSendParam,
    MsgBatchSendResult, MsgDeleteParam, MsgGetMsgListParam, OfflinePushConfig,
};
pub use profile::{
    FriendAddPendency, FriendProfileCustomStringInfo, FriendProfileItem, FriendProfileUpdate,
    UserProfile, UserProfileCustomStringInfo, UserProfileItem,
};

/// `(type name, KEYS)` of every object type of this crate.
pub const ALL_KEYS: &[(&str, &[(&str, &str)])] = &[
    ("SdkConfig", SdkConfig::KEYS),
    ("ProxyInfo", ProxyInfo::KEYS),
    ("HttpProxyInfo", HttpProxyInfo::KEYS),
    ("Socks5ProxyInfo", Socks5ProxyInfo::KEYS),
    ("GroupGetInfoOption", GroupGetInfoOption::KEYS),
    ("GroupMemberGetInfoOption", GroupMemberGetInfoOption::KEYS),
    ("UserConfig", UserConfig::KEYS),
    ("SetConfig", SetConfig::KEYS),
    ("IosOfflinePushConfig", IosOfflinePushConfig::KEYS),
    ("AndroidOfflinePushConfig", AndroidOfflinePushConfig::KEYS),
    ("OfflinePushConfig", OfflinePushConfig::KEYS),
    ("Message", Message::KEYS),
    ("MessageReceipt", MessageReceipt::KEYS),
    ("GroupMessageReceipt", message::GroupMessageReceipt::KEYS),
    ("MsgGetMsgListParam", MsgGetMsgListParam::KEYS),
    ("GroupInfoCustemString", GroupInfoCustomString::KEYS),
    ("CreateGroupParam", CreateGroupParam::KEYS),
    ("CreateGroupResult", CreateGroupResult::KEYS),
    ("GroupInviteMemberParam", GroupInviteMemberParam::KEYS),
    ("GroupInviteMemberResult", GroupInviteMemberResult::KEYS),
    ("GroupDeleteMemberParam", GroupDeleteMemberParam::KEYS),
    ("GroupDeleteMemberResult", GroupDeleteMemberResult::KEYS),
    ("GroupSelfInfo", GroupSelfInfo::KEYS),
    ("GroupBaseInfo", GroupBaseInfo::KEYS),
    ("GroupDetailInfo", GroupDetailInfo::KEYS),
    ("GetGroupInfoResult", GetGroupInfoResult::KEYS),
    ("GroupModifyInfoParam", GroupModifyInfoParam::KEYS),
    (
        "GroupGetMemberInfoListParam",
        GroupGetMemberInfoListParam::KEYS,
    ),
    (
        "GroupGetMemberInfoListResult",
        GroupGetMemberInfoListResult::KEYS,
    ),
    (
        "GroupModifyMemberInfoParam",
        GroupModifyMemberInfoParam::KEYS,
    ),
    ("GroupPendencyOption", GroupPendencyOption::KEYS),
    ("GroupPendency", GroupPendency::KEYS),
    ("GroupPendencyResult", GroupPendencyResult::KEYS),
    ("GroupHandlePendencyParam", GroupHandlePendencyParam::KEYS),
    ("GroupAttributes", group::GroupAttributes::KEYS),
    (
        "GroupGetOnlineMemberCountResult",
        group::GroupGetOnlineMemberCountResult::KEYS,
    ),
    ("GroupSearchParam", group::GroupSearchParam::KEYS),
    (
        "GroupMemberSearchParam",
        group::GroupMemberSearchParam::KEYS,
    ),
    (
        "GroupSearchGroupMembersdResult",
        group::GroupSearchGroupMembersdResult::KEYS,
    ),
    ("MsgBatchSendParam", MsgBatchSendParam::KEYS),
    ("MsgBatchSendResult", MsgBatchSendResult::KEYS),
    ("DownloadElemParam", message::MsgDownloadElemParam::KEYS),
    (
        "MsgDownloadElemResult",
        message::MsgDownloadElemResult::KEYS,
    ),
    ("MsgDeleteParam", MsgDeleteParam::KEYS),
    ("MessageSearchParam", message::MessageSearchParam::KEYS),
    (
        "MessageSearchResultItem",
        message::MessageSearchResultItem::KEYS,
    ),
    ("MessageSearchResult", message::MessageSearchResult::KEYS),
    (
        "GetC2CRecvMsgOptResult",
        message::GetC2CRecvMsgOptResult::KEYS,
    ),
    ("TextElem", TextElem::KEYS),
    ("ImageElem", ImageElem::KEYS),
    ("SoundElem", SoundElem::KEYS),
    ("CustomElem", CustomElem::KEYS),
    ("FileElem", FileElem::KEYS),
    ("GroupTipGroupChangeInfo", GroupTipGroupChangeInfo::KEYS),
    ("GroupTipMemberChangeInfo", GroupTipMemberChangeInfo::KEYS),
    ("GroupTipsElem", GroupTipsElem::KEYS),
    ("FaceElem", FaceElem::KEYS),
    ("LocationElem", LocationElem::KEYS),
    ("GroupReportElem", GroupReportElem::KEYS),
    ("VideoElem", VideoElem::KEYS),
    ("MergerElem", MergerElem::KEYS),
    ("FriendChangeElem", FriendChangeElem::KEYS),
    ("ProfileChangeElem", ProfileChangeElem::KEYS),
    ("Draft", Draft::KEYS),
    ("ConvInfo", ConvInfo::KEYS),
    ("GetConversationListParam", GetConversationListParam::KEYS),
    (
        "GetTotalUnreadNumberResult",
        GetTotalUnreadNumberResult::KEYS,
    ),
    ("MsgLocator", MsgLocator::KEYS),
    (
        "GroupMemberInfoCustomString",
        GroupMemberInfoCustomString::KEYS,
    ),
    ("GroupMemberInfo", GroupMemberInfo::KEYS),
    (
        "UserProfileCustomStringInfo",
        UserProfileCustomStringInfo::KEYS,
    ),
    ("UserProfile", UserProfile::KEYS),
    ("UserProfileItem", UserProfileItem::KEYS),
    (
        "FriendShipGetProfileListParam",
        profile::FriendShipGetProfileListParam::KEYS,
    ),
    ("FriendResult", profile::FriendResult::KEYS),
    ("FriendProfile", profile::FriendProfile::KEYS),
    (
        "FriendProfileCustomStringInfo",
        FriendProfileCustomStringInfo::KEYS,
    ),
    ("FriendProfileItem", FriendProfileItem::KEYS),
    ("FriendProfileUpdate", FriendProfileUpdate::KEYS),
    ("FriendAddPendency", FriendAddPendency::KEYS),
    (
        "FriendshipAddFriendParam",
        friend::FriendshipAddFriendParam::KEYS,
    ),
    ("FriendRespone", friend::FriendResponse::KEYS),
    (
        "FriendshipModifyFriendProfileParam",
        friend::FriendshipModifyFriendProfileParam::KEYS,
    ),
    (
        "FriendshipGetPendencyListParam",
        friend::FriendshipGetPendencyListParam::KEYS,
    ),
    ("PendencyPage", friend::PendencyPage::KEYS),
    ("FriendAddPendencyInfo", friend::FriendAddPendencyInfo::KEYS),
    (
        "FriendshipDeletePendencyParam",
        friend::FriendshipDeletePendencyParam::KEYS,
    ),
    (
        "FriendshipDeleteFriendParam",
        friend::FriendshipDeleteFriendParam::KEYS,
    ),
    (
        "FriendshipCreateFriendGroupParam",
        friend::FriendshipCreateFriendGroupParam::KEYS,
    ),
    ("FriendGroupInfo", friend::FriendGroupInfo::KEYS),
    (
        "FriendshipModifyFriendGroupParam",
        friend::FriendshipModifyFriendGroupParam::KEYS,
    ),
    (
        "FriendshipCheckFriendTypeParam",
        friend::FriendshipCheckFriendTypeParam::KEYS,
    ),
    (
        "FriendshipCheckFriendTypeResult",
        friend::FriendshipCheckFriendTypeResult::KEYS,
    ),
    ("FriendSearchParam", friend::FriendSearchParam::KEYS),
    ("FriendInfoGetResult", friend::FriendInfoGetResult::KEYS),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key constant resolves, through the generated tables, to the key we serialise.
    #[test]
    fn keys_match_tables() {
        if tables::json_key("kTIMMsgElemArray").is_none() {
            return; // tables not generated yet
        }
        for (ty, keys) in ALL_KEYS {
            for (constant, key) in *keys {
                if constant.is_empty() {
                    assert!(key.starts_with("opentim_"), "{ty}: extension key {key}");
                    continue;
                }
                assert_eq!(tables::json_key(constant), Some(*key), "{ty}: {constant}");
            }
        }
    }

    #[test]
    fn keys_are_unique_per_type() {
        for (ty, keys) in ALL_KEYS {
            for (i, (_, key)) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].iter().any(|(_, k)| k == key), "{ty}: {key}");
            }
        }
    }
}
