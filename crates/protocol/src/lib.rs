//! Frames exchanged between the opentim SDK and server over one WebSocket.
//!
//! Every frame is one JSON text message. The client sends [`ClientFrame`]s, each carrying a
//! request id chosen by the client; the server answers each with exactly one
//! [`ServerFrame::Reply`] holding the same id, and pushes [`ServerFrame::Event`]s whenever
//! something concerns the logged-in user.
//!
//! ## Cursors
//!
//! Everything that concerns one user (a C2C message sent or received, later receipts, revokes,
//! friendship and group notices) is appended to that user's *inbox* under a per-user cursor that
//! increases by exactly one per entry. Live events carry their cursor, so a client that sees a
//! gap knows it missed something and asks for [`ClientFrame::Sync`] from the last cursor it
//! applied. Replaying is therefore idempotent and loss-free: the client's cursor only advances
//! after the entry is stored locally.
//!
//! ## Sends
//!
//! [`ClientFrame::Send`] carries a client message id; the server stores the first send of an id
//! and answers any retry of it with the first result, so a client may resend everything it has
//! not seen acknowledged after a reconnect.

use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use serde::{Deserialize, Serialize};

/// Version of this protocol; the server refuses logins of a different major version.
pub const PROTOCOL_VERSION: u32 = 1;

/// Path of the WebSocket endpoint on the server.
pub const WS_PATH: &str = "/ws";

/// A frame sent by the client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // Frames live briefly; boxing would only add allocations.
pub enum ClientFrame {
    /// First frame of every connection (serves `TIMLogin`).
    Login {
        id: u64,
        protocol: u32,
        user_id: String,
        user_sig: String,
        /// `TIMPlatform` number of the device; one session per user and platform.
        platform: i64,
    },
    /// Send one message (serves `TIMMsgSendNewMsg`).
    Send {
        id: u64,
        client_msg_id: String,
        conv_id: String,
        conv_type: ConvType,
        /// Random number chosen by the client (`message_rand`).
        rand: u64,
        message: Message,
    },
    /// Ask for inbox entries after `cursor` (reconnect and gap recovery).
    Sync { id: u64, cursor: u64, limit: u32 },
    /// Page back through a conversation's stored messages (roaming history for
    /// `TIMMsgGetMsgList`): up to `count` messages with seq below `before_seq`, newest first.
    History {
        id: u64,
        conv_id: String,
        conv_type: ConvType,
        before_seq: u64,
        count: u32,
    },
    /// End the session (serves `TIMLogout`).
    Logout { id: u64 },
    /// Keep-alive.
    Ping { id: u64 },
}

impl ClientFrame {
    /// The request id of the frame.
    pub fn id(&self) -> u64 {
        match self {
            ClientFrame::Login { id, .. }
            | ClientFrame::Send { id, .. }
            | ClientFrame::Sync { id, .. }
            | ClientFrame::History { id, .. }
            | ClientFrame::Logout { id }
            | ClientFrame::Ping { id } => *id,
        }
    }
}

/// A frame sent by the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "frame", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The answer to the client frame with the same `id`. `code` 0 means success; otherwise it is
    /// a TIM error code and `desc` says what went wrong.
    Reply {
        id: u64,
        code: i32,
        #[serde(default)]
        desc: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<ReplyBody>,
    },
    /// Something happened that concerns the session's user.
    Event(Event),
}

/// Successful reply payloads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // Frames live briefly; boxing would only add allocations.
pub enum ReplyBody {
    LoggedIn {
        /// Server time, Unix seconds.
        server_time: u64,
    },
    Sent {
        message: WireMessage,
        /// The sender's inbox cursor of this message.
        cursor: u64,
    },
    Synced {
        entries: Vec<InboxEntry>,
        /// More entries are waiting after the last one returned.
        more: bool,
    },
    Pong {
        server_time: u64,
    },
    History {
        messages: Vec<WireMessage>,
    },
}

/// A pushed event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // Frames live briefly; boxing would only add allocations.
pub enum Event {
    /// A new inbox entry of the user.
    Inbox(InboxEntry),
    /// Another login of the same user on the same platform took this session over.
    KickedOffline,
    /// The UserSig of this session expired; the connection closes after this event.
    UserSigExpired,
}

/// One entry of a user's inbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub cursor: u64,
    #[serde(flatten)]
    pub item: InboxItem,
}

/// What an inbox entry holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxItem {
    /// A C2C message the user sent or received.
    Message { message: WireMessage },
}

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

/// Encode a frame as JSON text.
pub fn encode<T: Serialize>(frame: &T) -> String {
    // Serialising these types cannot fail: every map key is a string.
    serde_json::to_string(frame).expect("frames always serialise")
}

/// Decode a frame from JSON text.
pub fn decode<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, serde_json::Error> {
    serde_json::from_str(text)
}
