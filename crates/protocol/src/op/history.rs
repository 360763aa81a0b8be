//! Page back through a conversation.

use opentim_model::enums::ConvType;
use serde::{Deserialize, Serialize};

use super::Op;
use crate::WireMessage;

/// Stored messages of a conversation, newest first (roaming history).
pub struct History;

impl Op for History {
    const NAME: &'static str = "msg.history";
    const SERVES: &'static [&'static str] = &["TIMMsgGetMsgList"];
    type Request = HistoryRequest;
    type Response = HistoryResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryRequest {
    pub conv_id: String,
    pub conv_type: ConvType,
    /// Messages with a seq below this one.
    pub before_seq: u64,
    pub count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryResponse {
    pub messages: Vec<WireMessage>,
}
