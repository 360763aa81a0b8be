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

/// Keep the messages of a merger element on the server: the element then travels with the key
/// only, and whoever received it fetches the messages with [`GetRelay`].
pub struct PutRelay;

impl Op for PutRelay {
    const NAME: &'static str = "msg.relay_put";
    const SERVES: &'static [&'static str] = &["TIMMsgSendNewMsg", "TIMMsgSendMessage"];
    type Request = PutRelayRequest;
    type Response = RelayKey;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PutRelayRequest {
    pub messages: Vec<opentim_model::message::Message>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RelayKey {
    pub key: String,
}

/// The messages of a merger element, by its key.
pub struct GetRelay;

impl Op for GetRelay {
    const NAME: &'static str = "msg.relay_get";
    const SERVES: &'static [&'static str] = &["TIMMsgDownloadMergerMessage"];
    type Request = RelayKey;
    type Response = RelayMessages;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RelayMessages {
    pub messages: Vec<opentim_model::message::Message>,
}
