//! The opentim server as a library: `opentim serve` and the tests start it through [`start`].
//!
//! ```text
//! gateway (WebSocket sessions, dispatch table) -> service (rules, one per domain)
//!     -> store (traits per domain: SQLite | PostgreSQL)
//!     -> delivery (topics: user, group; in process | NATS) -> the sessions' queues
//! ```
//!
//! `app` is the composition root; `http` serves health and metrics beside the gateway.

pub mod admin;
mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod error;
pub mod gateway;
pub mod http;
pub mod media;
pub mod service;
pub mod store;
pub mod tls;
pub mod webhook;

pub use app::{open_stores, start, start_on, RunningServer, ServerError};
pub use config::Config;
