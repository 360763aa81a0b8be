//! Keep-alive.

use serde::{Deserialize, Serialize};

use super::{Empty, Op};

/// Ask the server for a sign of life.
pub struct Ping;

impl Op for Ping {
    const NAME: &'static str = "ping";
    const SERVES: &'static [&'static str] = &[];
    type Request = Empty;
    type Response = Pong;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    /// Server time, Unix seconds.
    pub server_time: u64,
}
