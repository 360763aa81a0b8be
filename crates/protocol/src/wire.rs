use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use serde::{Deserialize, Serialize};

/// A stored message as it travels between server and clients. `message` holds the content the
/// sender gave (elements, priority, client time, push config); the envelope fields are the
/// server's. Each side turns it into a TIM `Message` from its own point of view (conversation id
/// and `message_is_from_self` differ between sender and receiver).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireMessage {
    pub conv_type: ConvType,
    pub from: String,
    /// Receiver user id (C2C) or group id.
    pub to: String,
    pub seq: u64,
    pub rand: u64,
    /// Unix seconds.
    pub server_time: u64,
    pub client_msg_id: String,
    pub message: Message,
}
