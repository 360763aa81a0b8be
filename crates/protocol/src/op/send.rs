//! Send one message.

use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use serde::{Deserialize, Serialize};

use super::Op;
use crate::WireMessage;

/// Store a message and deliver it. Idempotent on the client message id.
pub struct SendMessage;

impl Op for SendMessage {
    const NAME: &'static str = "msg.send";
    const SERVES: &'static [&'static str] = &["TIMMsgSendNewMsg"];
    type Request = SendRequest;
    type Response = SendResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    pub client_msg_id: String,
    /// The peer's user id (C2C) or the group id.
    pub conv_id: String,
    pub conv_type: ConvType,
    /// Random number chosen by the client (`message_rand`).
    pub rand: u64,
    /// The content: elements, priority, client time, platform, push settings. Envelope fields
    /// (sender, seq, status, ...) are the server's and are ignored.
    pub message: Message,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SendResponse {
    /// The message as stored.
    pub message: WireMessage,
    /// The sender's inbox cursor of this message.
    pub cursor: u64,
}
