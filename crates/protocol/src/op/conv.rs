//! The conversation list and read marks, as the server keeps them.

use opentim_model::enums::ConvType;
use serde::{Deserialize, Serialize};

use super::Op;
use crate::WireMessage;

/// Every conversation of the user, most recently active first, with its last message and
/// unread count: what a device that has never seen the account starts from.
pub struct ConvList;

impl Op for ConvList {
    const NAME: &'static str = "conv.list";
    const SERVES: &'static [&'static str] = &["TIMConvGetConvList", "TIMLogin"];
    type Request = ConvListRequest;
    type Response = ConvListResponse;
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConvListRequest {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvListResponse {
    pub conversations: Vec<ConvSummary>,
    /// The user's inbox cursor the list is current to: entries after it come by sync.
    pub cursor: u64,
}

/// One conversation as the server knows it, from its owner's side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvSummary {
    pub conv_type: ConvType,
    /// The peer (C2C).
    pub conv_id: String,
    /// The newest message, if it is still there.
    pub last_message: Option<WireMessage>,
    /// Unix seconds of the newest message.
    pub active_time: u64,
    /// Messages from the peer after `read_seq`.
    pub unread: u64,
    /// The owner has read up to this seq.
    pub read_seq: u64,
    /// The peer has read the owner's messages up to this seq.
    pub peer_read_seq: u64,
    /// The owner pinned the conversation (it lists first).
    #[serde(default)]
    pub pinned: bool,
}

/// Mark a conversation read, up to a message or (seq 0) up to its newest one. The user's other
/// devices are told (their unread count follows) and so is the peer (a read receipt).
pub struct MarkRead;

impl Op for MarkRead {
    const NAME: &'static str = "msg.read";
    const SERVES: &'static [&'static str] = &["TIMMsgReportReaded", "TIMMsgMarkAllMessageAsRead"];
    type Request = MarkReadRequest;
    type Response = MarkReadResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkReadRequest {
    pub conv_id: String,
    pub conv_type: ConvType,
    /// Read up to this seq; 0: up to the newest message.
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkReadResponse {
    pub read_seq: u64,
    pub unread: u64,
    /// The inbox cursor of the user's own read entry (0 when nothing changed).
    pub cursor: u64,
}

/// Recall a message the caller sent, within the server's recall window. Both users' devices
/// learn it as a `revoke` inbox entry.
pub struct RevokeMessage;

impl Op for RevokeMessage {
    const NAME: &'static str = "msg.revoke";
    const SERVES: &'static [&'static str] = &["TIMMsgRevoke"];
    type Request = RevokeRequest;
    type Response = RevokeResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevokeRequest {
    pub conv_id: String,
    pub conv_type: ConvType,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevokeResponse {
    /// The inbox cursor of the caller's own `revoke` entry (0 when it was recalled already).
    pub cursor: u64,
}

/// Delete messages of a conversation for the caller only, on every device of theirs (the peer
/// keeps them): they leave the caller's history on the server, and each is a `delete` inbox
/// entry.
pub struct DeleteMessages;

impl Op for DeleteMessages {
    const NAME: &'static str = "msg.delete";
    const SERVES: &'static [&'static str] = &["TIMMsgListDelete"];
    type Request = DeleteRequest;
    type Response = DeleteResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeleteRequest {
    pub conv_id: String,
    pub conv_type: ConvType,
    /// The seqs of the messages to delete.
    pub seqs: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeleteResponse {
    /// The inbox cursor of the caller's last `delete` entry (0 when nothing was deleted).
    pub cursor: u64,
}

/// Clear a conversation's history for the caller only, on every device of theirs: every message
/// up to the newest leaves the caller's history, as one `clear` inbox entry.
pub struct ClearHistory;

impl Op for ClearHistory {
    const NAME: &'static str = "msg.clear";
    const SERVES: &'static [&'static str] = &["TIMMsgClearHistoryMessage"];
    type Request = ClearRequest;
    type Response = ClearResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClearRequest {
    pub conv_id: String,
    pub conv_type: ConvType,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClearResponse {
    /// History is cleared up to and including this seq (0: there was none).
    pub seq: u64,
    /// The inbox cursor of the caller's `clear` entry (0 when nothing changed).
    pub cursor: u64,
}

/// Pin a conversation to the top of the caller's list, or unpin it, on every device of theirs
/// (a `pin` inbox entry).
pub struct PinConversation;

impl Op for PinConversation {
    const NAME: &'static str = "conv.pin";
    const SERVES: &'static [&'static str] = &["TIMConvPinConversation"];
    type Request = PinRequest;
    type Response = EntryResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PinRequest {
    pub conv_id: String,
    pub conv_type: ConvType,
    pub pinned: bool,
}

/// Take a conversation off the caller's list on every device of theirs (a `conv_delete` inbox
/// entry); its messages stay in history, and a new message brings it back.
pub struct DeleteConversation;

impl Op for DeleteConversation {
    const NAME: &'static str = "conv.delete";
    const SERVES: &'static [&'static str] = &["TIMConvDelete"];
    type Request = ConvRequest;
    type Response = EntryResponse;
}

/// One conversation of the caller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvRequest {
    pub conv_id: String,
    pub conv_type: ConvType,
}

/// The answer of a request that writes one inbox entry of the caller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntryResponse {
    /// The cursor of that entry (0 when nothing changed).
    pub cursor: u64,
}

/// Set how the caller receives C2C messages from some users (`kTIMRecvMsgOpt_*`: 0 receive,
/// 1 do not receive, 2 receive without notification). The server keeps it and enforces 1.
pub struct SetReceiveOpt;

impl Op for SetReceiveOpt {
    const NAME: &'static str = "msg.set_receive_opt";
    const SERVES: &'static [&'static str] = &["TIMMsgSetC2CReceiveMessageOpt"];
    type Request = ReceiveOptRequest;
    type Response = crate::op::Empty;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiveOptRequest {
    pub peers: Vec<String>,
    pub opt: i64,
}

/// How the caller receives C2C messages from some users.
pub struct GetReceiveOpt;

impl Op for GetReceiveOpt {
    const NAME: &'static str = "msg.get_receive_opt";
    const SERVES: &'static [&'static str] = &["TIMMsgGetC2CReceiveMessageOpt"];
    type Request = PeersRequest;
    type Response = ReceiveOptResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeersRequest {
    pub peers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiveOptResponse {
    /// One option per user asked, in order.
    pub opts: Vec<i64>,
}
