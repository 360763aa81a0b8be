//! Conversations, drafts and message locators.

use crate::enums::ConvType;
use crate::message::Message;

json_struct! {
    /// A conversation draft (`Draft`).
    pub struct Draft {
        msg: Message = ("kTIMDraftMsg", "draft_msg"),
        user_define: String = ("kTIMDraftUserDefine", "draft_user_define"),
        edit_time: u32 = ("kTIMDraftEditTime", "draft_edit_time"),
    }
}

impl Draft {
    /// Fills every absent key with its default, completing the draft message.
    pub fn complete(mut self) -> Self {
        fill!(self; msg => Message::complete, user_define, edit_time);
        self
    }
}

json_struct! {
    /// A conversation (`ConvInfo`).
    pub struct ConvInfo {
        conv_id: String = ("kTIMConvId", "conv_id"),
        conv_type: ConvType = ("kTIMConvType", "conv_type"),
        owner: String = ("kTIMConvOwner", "conv_owner"),
        unread_num: u64 = ("kTIMConvUnReadNum", "conv_unread_num"),
        active_time: u64 = ("kTIMConvActiveTime", "conv_active_time"),
        /// Whether `conv_last_msg` is present.
        is_has_lastmsg: bool = ("kTIMConvIsHasLastMsg", "conv_is_has_lastmsg"),
        last_msg: Message = ("kTIMConvLastMsg", "conv_last_msg"),
        /// Whether `conv_draft` is present.
        is_has_draft: bool = ("kTIMConvIsHasDraft", "conv_is_has_draft"),
        draft: Draft = ("kTIMConvDraft", "conv_draft"),
        /// `true` for a pinned conversation (listed first); absent otherwise, so an unpinned
        /// conversation has the seed's key set.
        is_pinned: bool = ("kTIMConvIsPinned", "conv_is_pinned"),
    }
}

impl ConvInfo {
    /// Fills every absent scalar key with its default. `conv_last_msg` and `conv_draft` are
    /// not invented (the `conv_is_has_*` flags say whether they exist, as in the seed's
    /// examples); when present they are completed, and absent flags are set from their
    /// presence.
    pub fn complete(mut self) -> Self {
        if self.is_has_lastmsg.is_none() {
            self.is_has_lastmsg = Some(self.last_msg.is_some());
        }
        if self.is_has_draft.is_none() {
            self.is_has_draft = Some(self.draft.is_some());
        }
        fill!(self; conv_id, conv_type, owner, unread_num, active_time);
        self.last_msg = self.last_msg.map(Message::complete);
        self.draft = self.draft.map(Draft::complete);
        self
    }
}

json_struct! {
    /// Identifies one message (`MsgLocator`): revoke notices, find-by-locator.
    pub struct MsgLocator {
        conv_id: String = ("kTIMMsgLocatorConvId", "message_locator_conv_id"),
        conv_type: ConvType = ("kTIMMsgLocatorConvType", "message_locator_conv_type"),
        is_revoked: bool = ("kTIMMsgLocatorIsRevoked", "message_locator_is_revoked"),
        time: u64 = ("kTIMMsgLocatorTime", "message_locator_time"),
        seq: u64 = ("kTIMMsgLocatorSeq", "message_locator_seq"),
        is_self: bool = ("kTIMMsgLocatorIsSelf", "message_locator_is_self"),
        rand: u64 = ("kTIMMsgLocatorRand", "message_locator_rand"),
        unique_id: u64 = ("kTIMMsgLocatorUniqueId", "message_locator_unique_id"),
    }
}

impl MsgLocator {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; conv_id, conv_type, is_revoked, time, seq, is_self, rand, unique_id);
        self
    }
}

json_struct! {
    /// One conversation to look up (`GetConversationListParam`), in the array
    /// `TIMConvGetConvInfo` takes.
    pub struct GetConversationListParam {
        conv_id: String = ("kTIMGetConversationListParamConvId", "get_conversation_list_param_conv_id"),
        conv_type: ConvType = ("kTIMGetConversationListParamConvType", "get_conversation_list_param_conv_type"),
    }
}

json_struct! {
    /// The answer of `TIMConvGetTotalUnreadMessageCount` (`GetTotalUnreadNumberResult`).
    pub struct GetTotalUnreadNumberResult {
        unread_count: u64 = ("kTIMConvGetTotalUnreadMessageCountResultUnreadCount", "conv_get_total_unread_message_count_result_unread_count"),
    }
}
