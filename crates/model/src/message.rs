//! The message object and its offline-push settings.

use serde::{Deserialize, Serialize};

use crate::conv::MsgLocator;
use crate::elem::Elem;
use crate::enums::{
    AndroidOfflinePushNotifyMode, ConvType, DownloadType, MsgPriority, MsgStatus, OfflinePushFlag,
    Platform,
};
use crate::group::GroupMemberInfo;
use crate::profile::UserProfile;
use crate::serde_util::null_as_default;

json_struct! {
    /// iOS part of an offline push (`IOSOfflinePushConfig`).
    pub struct IosOfflinePushConfig {
        title: String = ("kTIMIOSOfflinePushConfigTitle", "ios_offline_push_config_title"),
        /// `"push.no_sound"` means silent.
        sound: String = ("kTIMIOSOfflinePushConfigSound", "ios_offline_push_config_sound"),
        ignore_badge: bool = ("kTIMIOSOfflinePushConfigIgnoreBadge", "ios_offline_push_config_ignore_badge"),
    }
}

impl IosOfflinePushConfig {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; title, sound, ignore_badge);
        self
    }
}

json_struct! {
    /// Android part of an offline push (`AndroidOfflinePushConfig`).
    pub struct AndroidOfflinePushConfig {
        title: String = ("kTIMAndroidOfflinePushConfigTitle", "android_offline_push_config_title"),
        sound: String = ("kTIMAndroidOfflinePushConfigSound", "android_offline_push_config_sound"),
        notify_mode: AndroidOfflinePushNotifyMode = ("kTIMAndroidOfflinePushConfigNotifyMode", "android_offline_push_config_notify_mode"),
        oppo_channel_id: String = ("kTIMAndroidOfflinePushConfigOPPOChannelID", "android_offline_push_config_oppo_channel_id"),
    }
}

impl AndroidOfflinePushConfig {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; title, sound, notify_mode, oppo_channel_id);
        self
    }
}

json_struct! {
    /// Offline push settings of a message (`OfflinePushConfig`).
    pub struct OfflinePushConfig {
        desc: String = ("kTIMOfflinePushConfigDesc", "offline_push_config_desc"),
        ext: String = ("kTIMOfflinePushConfigExt", "offline_push_config_ext"),
        flag: OfflinePushFlag = ("kTIMOfflinePushConfigFlag", "offline_push_config_flag"),
        ios_config: IosOfflinePushConfig = ("kTIMOfflinePushConfigIOSConfig", "offline_push_config_ios_config"),
        android_config: AndroidOfflinePushConfig = ("kTIMOfflinePushConfigAndroidConfig", "offline_push_config_android_config"),
    }
}

impl OfflinePushConfig {
    /// Fills every absent key with its default, completing the platform objects.
    pub fn complete(mut self) -> Self {
        fill!(self; desc, ext, flag, ios_config => IosOfflinePushConfig::complete,
            android_config => AndroidOfflinePushConfig::complete);
        self
    }
}

/// A message (`Message`): sent, received, stored, a conversation's last message or a draft.
///
/// Every field but `elem_array` is optional and skipped when `None`, so parsing and
/// re-serialising keeps the key set of the input. [`Message::complete`] fills the gaps for
/// output. `u64` fields are read and written as 64-bit integers (decision 6).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `message_elem_array`: always written (possibly `[]`); absent or `null` on input is `[]`.
    #[serde(
        rename = "message_elem_array",
        default,
        deserialize_with = "null_as_default"
    )]
    pub elem_array: Vec<Elem>,
    /// `message_conv_id`: peer user ID or group ID.
    #[serde(
        rename = "message_conv_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub conv_id: Option<String>,
    /// `message_conv_type`.
    #[serde(
        rename = "message_conv_type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub conv_type: Option<ConvType>,
    /// `message_sender`: sender user ID ("@TIM#SYSTEM" for system notices).
    #[serde(
        rename = "message_sender",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sender: Option<String>,
    /// `message_priority`.
    #[serde(
        rename = "message_priority",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub priority: Option<MsgPriority>,
    /// `message_client_time` (Unix seconds).
    #[serde(
        rename = "message_client_time",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_time: Option<u64>,
    /// `message_server_time` (Unix seconds).
    #[serde(
        rename = "message_server_time",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub server_time: Option<u64>,
    /// `message_is_from_self`.
    #[serde(
        rename = "message_is_from_self",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_from_self: Option<bool>,
    /// `message_platform`.
    #[serde(
        rename = "message_platform",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub platform: Option<Platform>,
    /// `message_is_read`.
    #[serde(
        rename = "message_is_read",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_read: Option<bool>,
    /// `message_is_online_msg`: online-only message, never stored.
    #[serde(
        rename = "message_is_online_msg",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_online_msg: Option<bool>,
    /// `message_is_peer_read`: C2C peer has read it.
    #[serde(
        rename = "message_is_peer_read",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_peer_read: Option<bool>,
    /// `message_status`.
    #[serde(
        rename = "message_status",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<MsgStatus>,
    /// `message_unique_id`.
    #[serde(
        rename = "message_unique_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub unique_id: Option<u64>,
    /// `message_rand`.
    #[serde(
        rename = "message_rand",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub rand: Option<u64>,
    /// `message_seq`.
    #[serde(
        rename = "message_seq",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub seq: Option<u64>,
    /// `message_custom_int`: local-only app data.
    #[serde(
        rename = "message_custom_int",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub custom_int: Option<u32>,
    /// `message_custom_str`: local-only app data.
    #[serde(
        rename = "message_custom_str",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub custom_str: Option<String>,
    /// `message_sender_profile`.
    #[serde(
        rename = "message_sender_profile",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sender_profile: Option<UserProfile>,
    /// `message_sender_group_member_info` (group messages).
    #[serde(
        rename = "message_sender_group_member_info",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sender_group_member_info: Option<GroupMemberInfo>,
    /// `message_offlie_push_config` (the SDK's spelling, "offlie").
    #[serde(
        rename = "message_offlie_push_config",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub offline_push_config: Option<OfflinePushConfig>,
    /// `message_msg_id`: the message's id, unique across users and devices, known from the
    /// moment the message is created (`TIMMsgSendMessage` writes it to its buffer) and used by
    /// `TIMMsgFindMessages` and `TIMMsgCancelSend`. The SDK sets it on every message it hands
    /// out; [`Message::complete`] leaves it as it is.
    #[serde(
        rename = "message_msg_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub msg_id: Option<String>,
    /// `message_cloud_custom_str`: app data stored with the message and delivered to the peer
    /// (unlike `message_custom_str`, which stays on the device). Absent unless set.
    #[serde(
        rename = "message_cloud_custom_str",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cloud_custom_str: Option<String>,
    /// `message_need_read_receipt` (6.0): the sender of a group message asks its members for
    /// read receipts. Absent unless set.
    #[serde(
        rename = "message_need_read_receipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub need_read_receipt: Option<bool>,
    /// `message_has_sent_receipt` (6.0): this user reported reading it. Absent unless set.
    #[serde(
        rename = "message_has_sent_receipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub has_sent_receipt: Option<bool>,
    /// `message_receipt_read_count` / `…_unread_count` (6.0): members who read it so far, and
    /// who have not. Absent unless set.
    #[serde(
        rename = "message_receipt_read_count",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub receipt_read_count: Option<i32>,
    #[serde(
        rename = "message_receipt_unread_count",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub receipt_unread_count: Option<i32>,
}

impl Message {
    /// `(C constant name, JSON key)` of every field, in header order.
    pub const KEYS: &'static [(&'static str, &'static str)] = &[
        ("kTIMMsgElemArray", "message_elem_array"),
        ("kTIMMsgConvId", "message_conv_id"),
        ("kTIMMsgConvType", "message_conv_type"),
        ("kTIMMsgSender", "message_sender"),
        ("kTIMMsgPriority", "message_priority"),
        ("kTIMMsgClientTime", "message_client_time"),
        ("kTIMMsgServerTime", "message_server_time"),
        ("kTIMMsgIsFormSelf", "message_is_from_self"),
        ("kTIMMsgPlatform", "message_platform"),
        ("kTIMMsgIsRead", "message_is_read"),
        ("kTIMMsgIsOnlineMsg", "message_is_online_msg"),
        ("kTIMMsgIsPeerRead", "message_is_peer_read"),
        ("kTIMMsgStatus", "message_status"),
        ("kTIMMsgUniqueId", "message_unique_id"),
        ("kTIMMsgRand", "message_rand"),
        ("kTIMMsgSeq", "message_seq"),
        ("kTIMMsgCustomInt", "message_custom_int"),
        ("kTIMMsgCustomStr", "message_custom_str"),
        ("kTIMMsgSenderProfile", "message_sender_profile"),
        (
            "kTIMMsgSenderGroupMemberInfo",
            "message_sender_group_member_info",
        ),
        ("kTIMMsgOfflinePushConfig", "message_offlie_push_config"),
        ("kTIMMsgMsgId", "message_msg_id"),
        ("kTIMMsgCloudCustomStr", "message_cloud_custom_str"),
        ("kTIMMsgNeedReadReceipt", "message_need_read_receipt"),
        ("kTIMMsgHasSentReceipt", "message_has_sent_receipt"),
        ("kTIMMsgReceiptReadCount", "message_receipt_read_count"),
        ("kTIMMsgReceiptUnreadCount", "message_receipt_unread_count"),
    ];

    /// A one-element text message to `conv_id`; every other field is unset.
    pub fn text(conv_id: impl Into<String>, conv_type: ConvType, text: impl Into<String>) -> Self {
        Message {
            conv_id: Some(conv_id.into()),
            conv_type: Some(conv_type),
            elem_array: vec![Elem::text(text)],
            ..Message::default()
        }
    }

    /// The message with every absent scalar key filled, for SDK output (decision 7): empty
    /// string, 0, false, and `kTIMMsgPriority_Normal` for the priority (the SDK's default).
    /// Every element is completed too.
    ///
    /// `message_sender_profile`, `message_sender_group_member_info` and
    /// `message_offlie_push_config` stay absent when absent: they are optional objects that the
    /// SDK only reports when it has them, and an all-empty profile would claim data we do not
    /// have. When present they are completed.
    pub fn complete(mut self) -> Self {
        fill!(self; conv_id, conv_type, sender, priority = MsgPriority::NORMAL, client_time,
            server_time, is_from_self, platform, is_read, is_online_msg, is_peer_read, status,
            unique_id, rand, seq, custom_int, custom_str);
        self.elem_array = self.elem_array.into_iter().map(Elem::complete).collect();
        self.sender_profile = self.sender_profile.map(UserProfile::complete);
        self.sender_group_member_info =
            self.sender_group_member_info.map(GroupMemberInfo::complete);
        self.offline_push_config = self.offline_push_config.map(OfflinePushConfig::complete);
        self
    }

    /// What a sender says about a message: its elements, priority, client time, platform,
    /// online flag, push settings and cloud custom data, without the envelope (sender, seq, status, ...) that the
    /// server assigns.
    pub fn content(&self) -> Message {
        // Local file paths stay on this device.
        let elem_array = self
            .elem_array
            .iter()
            .cloned()
            .map(|mut e| {
                e.set_local_paths(None, None);
                e
            })
            .collect();
        Message {
            elem_array,
            priority: self.priority,
            client_time: self.client_time,
            platform: self.platform,
            is_online_msg: self.is_online_msg,
            offline_push_config: self.offline_push_config.clone(),
            cloud_custom_str: self.cloud_custom_str.clone(),
            need_read_receipt: self.need_read_receipt.filter(|n| *n),
            ..Message::default()
        }
    }

    /// Take the local file paths of `other`'s media elements (the same message as this
    /// device holds it), element by element.
    pub fn keep_local_paths(&mut self, other: &Message) {
        for (e, o) in self.elem_array.iter_mut().zip(&other.elem_array) {
            if e.elem_type() == o.elem_type() {
                let (orig, snapshot) = o.local_paths();
                if orig.is_some() || snapshot.is_some() {
                    e.set_local_paths(orig.map(str::to_owned), snapshot.map(str::to_owned));
                }
            }
        }
    }

    /// Size in bytes of the serialised `message_elem_array` plus the cloud custom data
    /// (checked against the message body size limit).
    pub fn body_size(&self) -> usize {
        let elems = serde_json::to_vec(&self.elem_array)
            .map(|v| v.len())
            .unwrap_or(0);
        elems + self.cloud_custom_str.as_ref().map_or(0, String::len)
    }

    /// The locator of this message (revoke / find-by-locator): conversation, server time, seq,
    /// rand, unique id, self flag, and revoked when the status is `kTIMMsg_Revoked`.
    pub fn locator(&self) -> MsgLocator {
        MsgLocator {
            conv_id: self.conv_id.clone(),
            conv_type: self.conv_type,
            is_revoked: Some(self.status == Some(MsgStatus::REVOKED)),
            time: self.server_time,
            seq: self.seq,
            is_self: self.is_from_self,
            rand: self.rand,
            unique_id: self.unique_id,
        }
    }
}

json_struct! {
    /// A read receipt (`MessageReceipt`): the peer of `conv_id` read this user's messages of
    /// the conversation, at `time_stamp`. The array of `TIMMsgReadedReceiptCallback`.
    pub struct MessageReceipt {
        conv_id: String = ("kTIMMsgReceiptConvId", "msg_receipt_conv_id"),
        conv_type: ConvType = ("kTIMMsgReceiptConvType", "msg_receipt_conv_type"),
        time_stamp: u64 = ("kTIMMsgReceiptTimeStamp", "msg_receipt_time_stamp"),
    }
}

json_struct! {
    /// Read and unread counts of one group message (`GroupMessageReceipt`, 6.0): the array of
    /// `TIMMsgGetGroupMessageReceipts` and of `TIMMsgGroupReadReceiptCallback`.
    pub struct GroupMessageReceipt {
        group_id: String = ("kTIMMsgGroupMessageReceiptGroupId", "msg_group_message_receipt_group_id"),
        msg_id: String = ("kTIMMsgGroupMessageReceiptMsgId", "msg_group_message_receipt_msg_id"),
        read_count: u64 = ("kTIMMsgGroupMessageReceiptReadCount", "msg_group_message_receipt_read_count"),
        unread_count: u64 = ("kTIMMsgGroupMessageReceiptUnreadCount", "msg_group_message_receipt_unread_count"),
    }
}

json_struct! {
    /// What `TIMMsgGetMsgList` pages (`MsgGetMsgListParam`): from an anchor message (the
    /// newest when absent, the anchor itself left out), `count` messages older (or, with
    /// `is_forward`, newer); `is_remble` (sic) fetches from the server what the cache lacks.
    pub struct MsgGetMsgListParam {
        last_msg: Message = ("kTIMMsgGetMsgListParamLastMsg", "msg_getmsglist_param_last_msg"),
        count: u32 = ("kTIMMsgGetMsgListParamCount", "msg_getmsglist_param_count"),
        is_remble: bool = ("kTIMMsgGetMsgListParamIsRamble", "msg_getmsglist_param_is_remble"),
        is_forward: bool = ("kTIMMsgGetMsgListParamIsForward", "msg_getmsglist_param_is_forward"),
    }
}

json_struct! {
    /// What `TIMMsgBatchSend` takes (`MsgBatchSendParam`): one message for each recipient, sent
    /// as separate C2C messages.
    pub struct MsgBatchSendParam {
        identifier_array: Vec<String> = ("kTIMMsgBatchSendParamIdentifierArray", "msg_batch_send_param_identifier_array"),
        msg: Message = ("kTIMMsgBatchSendParamMsg", "msg_batch_send_param_msg"),
    }
}

json_struct! {
    /// One recipient's result of `TIMMsgBatchSend` (`MsgBatchSendResult`): the code and text of
    /// its send (0 and "" when it was sent) and the message as sent to it.
    pub struct MsgBatchSendResult {
        identifier: String = ("kTIMMsgBatchSendResultIdentifier", "msg_batch_send_result_identifier"),
        code: i32 = ("kTIMMsgBatchSendResultCode", "msg_batch_send_result_code"),
        desc: String = ("kTIMMsgBatchSendResultDesc", "msg_batch_send_result_desc"),
        msg: Message = ("kTIMMsgBatchSendResultMsg", "msg_batch_send_result_msg"),
    }
}

json_struct! {
    /// What `TIMMsgDownloadElemToPath` takes (`DownloadElemParam`): copied from the received
    /// element (its download flag, the type of file, its id, business id and URL).
    pub struct MsgDownloadElemParam {
        flag: u32 = ("kTIMMsgDownloadElemParamFlag", "msg_download_elem_param_flag"),
        download_type: DownloadType = ("kTIMMsgDownloadElemParamType", "msg_download_elem_param_type"),
        id: String = ("kTIMMsgDownloadElemParamId", "msg_download_elem_param_id"),
        business_id: u32 = ("kTIMMsgDownloadElemParamBusinessId", "msg_download_elem_param_business_id"),
        url: String = ("kTIMMsgDownloadElemParamUrl", "msg_download_elem_param_url"),
    }
}

json_struct! {
    /// Progress and result of `TIMMsgDownloadElemToPath` (`MsgDownloadElemResult`, seed
    /// Example 7): bytes on disk so far and in all.
    pub struct MsgDownloadElemResult {
        current_size: u64 = ("kTIMMsgDownloadElemResultCurrentSize", "msg_download_elem_result_current_size"),
        total_size: u64 = ("kTIMMsgDownloadElemResultTotalSize", "msg_download_elem_result_total_size"),
    }
}

json_struct! {
    /// What `TIMMsgDelete` takes (`MsgDeleteParam`): one message, or with none every message
    /// of the conversation, deleted from this device. `is_remble` (sic) is read and ignored, as
    /// the SDK has done since 5.0.6: deleting from the server is `TIMMsgListDelete`.
    pub struct MsgDeleteParam {
        msg: Message = ("kTIMMsgDeleteParamMsg", "msg_delete_param_msg"),
        is_remble: bool = ("kTIMMsgDeleteParamIsRamble", "msg_delete_param_is_remble"),
    }
}

json_struct! {
    /// What `TIMMsgSearchLocalMessages` looks for (`MessageSearchParam`): messages containing
    /// the keywords (any, or with `keyword_list_match_type` And all of them), optionally only of
    /// some element types, senders, one conversation, and a time window ending at
    /// `search_time_position` (0: now) and reaching back `search_time_period` seconds (0: all).
    pub struct MessageSearchParam {
        keyword_array: Vec<String> = ("kTIMMsgSearchParamKeywordArray", "msg_search_param_keyword_array"),
        message_type_array: Vec<crate::enums::ElemType> = ("kTIMMsgSearchParamMessageTypeArray", "msg_search_param_message_type_array"),
        conv_id: String = ("kTIMMsgSearchParamConvId", "msg_search_param_conv_id"),
        conv_type: ConvType = ("kTIMMsgSearchParamConvType", "msg_search_param_conv_type"),
        search_time_position: u64 = ("kTIMMsgSearchParamSearchTimePosition", "msg_search_param_search_time_position"),
        search_time_period: u64 = ("kTIMMsgSearchParamSearchTimePeriod", "msg_search_param_search_time_period"),
        page_index: u32 = ("kTIMMsgSearchParamPageIndex", "msg_search_param_page_index"),
        page_size: u32 = ("kTIMMsgSearchParamPageSize", "msg_search_param_page_size"),
        keyword_list_match_type: crate::enums::KeywordListMatchType = ("kTIMMsgSearchParamKeywordListMatchType", "msg_search_param_keyword_list_match_type"),
        /// The SDK's spelling, "indentifier".
        sender_identifier_array: Vec<String> = ("kTIMMsgSearchParamSenderIdentifierArray", "msg_search_param_send_indentifier_array"),
    }
}

json_struct! {
    /// One conversation's matches (`MessageSearchResultItem`).
    pub struct MessageSearchResultItem {
        conv_id: String = ("kTIMMsgSearchResultItemConvId", "msg_search_result_item_conv_id"),
        conv_type: ConvType = ("kTIMMsgSearchResultItemConvType", "msg_search_result_item_conv_type"),
        total_message_count: u32 = ("kTIMMsgSearchResultItemTotalMessageCount", "msg_search_result_item_total_message_count"),
        message_array: Vec<Message> = ("kTIMMsgSearchResultItemMessageArray", "msg_search_result_item_message_array"),
    }
}

json_struct! {
    /// The answer of `TIMMsgSearchLocalMessages` (`MessageSearchResult`): the number of matching
    /// messages in one conversation, or of matching conversations when searching them all, and
    /// the matches grouped by conversation.
    pub struct MessageSearchResult {
        total_count: u32 = ("kTIMMsgSearchResultTotalCount", "msg_search_result_total_count"),
        item_array: Vec<MessageSearchResultItem> = ("kTIMMsgSearchResultItemArray", "msg_search_result_item_array"),
    }
}

json_struct! {
    /// A user's receive option (`GetC2CRecvMsgOptResult`).
    pub struct GetC2CRecvMsgOptResult {
        identifier: String = ("kTIMMsgGetC2CRecvMsgOptResultIdentifier", "msg_recv_msg_opt_result_identifier"),
        opt: crate::enums::ReceiveMessageOpt = ("kTIMMsgGetC2CRecvMsgOptResultOpt", "msg_recv_msg_opt_result_opt"),
    }
}
