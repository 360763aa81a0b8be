//! The first request of every connection.

use serde::{Deserialize, Serialize};

use super::Op;

/// Log a connection in.
pub struct Login;

impl Op for Login {
    const NAME: &'static str = "account.login";
    const SERVES: &'static [&'static str] = &["TIMLogin"];
    type Request = LoginRequest;
    type Response = LoginResponse;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// [`crate::PROTOCOL_VERSION`] of the client.
    pub protocol: u32,
    pub user_id: String,
    pub user_sig: String,
    /// `TIMPlatform` number of the device; one session per user and platform.
    pub platform: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Server time, Unix seconds.
    pub server_time: u64,
}
