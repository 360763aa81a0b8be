//! The opentim protocol: what the SDK and the server say to each other over one WebSocket.
//!
//! Both ends use these types, so a change here changes both at once.
//!
//! ## Frames
//!
//! Every frame is one JSON text message.
//! - A client request: `{"op": "<name>", "id": <n>, "body": {...}}`. Each operation is one
//!   module of [`op`]: a type implementing [`Op`] with its request and response and the TIM
//!   functions it serves.
//! - The server's answer to request `n`, exactly one per request:
//!   `{"reply": <n>, "code": 0, "desc": "", "body": {...}}`; a non-zero `code` is a TIM error
//!   code, `desc` says what to do, and there is no body.
//! - A pushed event: `{"event": "<name>", "body": {...}}` (see [`event`]).
//!
//! ## Versions
//!
//! The login request carries [`PROTOCOL_VERSION`]; the server refuses any other version with a
//! reply that names the version it speaks. The refusal is readable by clients of version 1 too.
//!
//! ## Cursors
//!
//! Everything that concerns one user (a C2C message sent or received, later receipts, revokes,
//! friendship and group notices) is appended to that user's *inbox* under a per-user cursor that
//! increases by exactly one per entry. Live events carry their cursor, so a client that sees a
//! gap knows it missed something and asks for [`op::sync::Sync`] from the last cursor it
//! applied. Replaying is therefore idempotent and loss-free: the client's cursor only advances
//! after the entry is stored locally.
//!
//! ## Sends
//!
//! [`op::send::SendMessage`] carries a client message id; the server stores the first send of
//! an id and answers any retry of it with the first result, so a client may resend everything it
//! has not seen acknowledged after a reconnect.

pub mod event;
pub mod frame;
pub mod op;
mod wire;

pub use event::{
    Event, GroupAttributesChanged, GroupEntry, GroupReceipt, GroupReceipts, GroupRevoke,
    InboxEntry, InboxItem,
};
pub use frame::{
    decode_body, encode_reply, encode_reply_error, encode_request, encode_request_raw, FrameError,
    Request, ServerFrame,
};
pub use op::{Op, OPS};
pub use wire::WireMessage;

/// Version of this protocol; the server refuses logins of another version.
pub const PROTOCOL_VERSION: u32 = 2;

/// Path of the WebSocket endpoint on the server.
pub const WS_PATH: &str = "/ws";
