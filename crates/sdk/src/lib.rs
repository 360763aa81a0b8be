//! The opentim client core.
//!
//! [`Client`] logs one user in to an opentim server, keeps the connection up (reconnecting with
//! backoff and resyncing what it missed), sends messages (retried until acknowledged, never
//! duplicated), and caches everything in a local SQLite file per user. What happens arrives as
//! [`SdkEvent`]s on the receiver given by [`Client::new`].

mod client;
mod connection;
pub mod convert;
pub mod error;
pub mod local;
mod state;
mod tls;

pub use client::{Client, ClientOptions, RelationStats, SdkEvent, MAX_SEARCH_KEYWORDS};
pub use error::{Result, SdkError};
/// How [`Client::change_group_attributes`] changes a group's attributes.
pub use opentim_protocol::op::group::AttributesMode;

/// The SDK version string reported by `TIMGetSDKVersion`.
pub const VERSION: &str = concat!("opentim-", env!("CARGO_PKG_VERSION"));
