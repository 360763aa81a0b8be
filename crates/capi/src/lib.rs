#![allow(non_snake_case)] // The library is named ImSDK, as the C SDK it replaces.
//! libImSDK: the Tencent Cloud IM C API, exported with the same names, types, enum numbers and
//! JSON keys, over the opentim SDK.
//!
//! This crate is glue: JSON in, JSON out, callback dispatch. Rules live in the server; the SDK
//! holds the session logic. Every export:
//! - catches panics ([`ffi::guard`]) and returns an error code instead of unwinding into C;
//! - checks pointers and UTF-8 before use (NULL or invalid strings give `TIM_ERR_PARAM`,
//!   malformed JSON gives `TIM_ERR_JSON`), and calls its callback only when it returned
//!   `TIM_SUCC`;
//! - never blocks on the network: work runs on the SDK's runtime ([`call::spawn_call`]) and
//!   results come back through the callback thread ([`dispatch`]), one callback at a time, in
//!   order.
//!
//! Strings handed to callbacks are borrowed and valid only until the callback returns.
//!
//! One file per section of `TIMCloud.h`: [`init`] (init, config, version, log), [`account`]
//! (login, logout, session events), [`message`] (sending, receiving), [`history`] (stored
//! messages: by id, kept locally, deleted), [`conversation`] (conversation events), [`group`]
//! (groups).

#![allow(clippy::missing_safety_doc)] // Safety contracts are documented in TIMCloud.h.

mod account;
mod call;
mod callbacks;
mod conversation;
mod dispatch;
mod ffi;
mod friendship;
mod group;
mod group_more;
mod group_receipts;
mod history;
mod init;
mod log;
mod media;
mod message;
mod profile;

// The exports, reachable from Rust too (the fuzz targets call them as C would).
pub use account::*;
pub use conversation::*;
pub use group::*;
pub use history::*;
pub use init::*;
pub use message::*;
