//! What a protocol adapter of the load generator provides. Each scenario is written once against
//! [`Driver`]; adapters exist for opentim's own protocol, the Rust SDK, the baseline relay and
//! XMPP servers.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::stats::Stats;

/// How one sender of a pair sends.
#[derive(Clone, Copy, Debug)]
pub struct PairPlan {
    /// Messages to send.
    pub messages: u64,
    /// Messages per second for this pair; `None` sends as fast as the window allows.
    pub rate: Option<f64>,
    /// Most messages sent and not yet acknowledged (or, for protocols without acks, not yet
    /// received) at once.
    pub window: usize,
    /// Give up waiting for deliveries this long after the last send.
    pub drain_timeout: Duration,
}

/// Payload convention: every message body is `"<seq> <send time in ns since the bench clock's
/// origin>"`, so the receiver measures latency on the same clock and detects loss and
/// duplicates by seq.
pub fn payload(seq: u64, sent_ns: u64) -> String {
    format!("{seq} {sent_ns}")
}

/// Parse a payload written by [`payload`].
pub fn parse_payload(text: &str) -> Option<(u64, u64)> {
    let (a, b) = text.trim().split_once(' ')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// A connection kept open by the idle scenario; dropping it closes the connection.
pub trait Held: Send {}
impl<T: Send> Held for T {}

/// A protocol adapter.
#[async_trait]
pub trait Driver: Send + Sync + 'static {
    /// Short name for tables ("opentim", "baseline", "ejabberd", ...).
    fn name(&self) -> String;

    /// Connect `sender` and `receiver` (both logged in), wait at `ready` until every pair is
    /// connected, then send `plan.messages` messages from sender to receiver, recording on
    /// `stats` every send, every delivery (with its latency from the payload), every duplicate
    /// and, at the end, every message that never arrived.
    async fn run_pair(
        &self,
        sender: String,
        receiver: String,
        plan: PairPlan,
        ready: Arc<tokio::sync::Barrier>,
        stats: Arc<Stats>,
    ) -> anyhow_like::Result<()>;

    /// Connect and log in `user`, returning when the login is acknowledged; the connection is
    /// closed afterwards.
    async fn login_once(&self, user: String) -> anyhow_like::Result<()>;

    /// Connect and log in `user` and hand back the open connection.
    async fn hold(&self, user: String) -> anyhow_like::Result<Box<dyn Held>>;
}

/// A tiny error type for adapters: a message.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, String>;
}
