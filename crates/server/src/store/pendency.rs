//! What the store keeps of requests to join groups and invitations (pendencies), and the
//! system notices about groups it sends to single users (`GroupReportElem` messages).

use async_trait::async_trait;
use opentim_model::enums::GroupPendencyType;
use opentim_model::message::Message;
use opentim_protocol::InboxEntry;

use super::Result;

/// A join request or an invitation as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendencyRow {
    pub group_id: String,
    pub kind: GroupPendencyType,
    /// Who asked to join, or who invited.
    pub from: String,
    /// The invitee of an invitation; empty for a join request (any owner or admin decides).
    pub to: String,
    /// Milliseconds, unique across pendencies.
    pub add_time: u64,
    pub apply_msg: String,
    pub handled: bool,
    /// Accepted (when handled).
    pub accepted: bool,
    pub handled_by: String,
    pub approval_msg: String,
}

/// A new request or invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPendency {
    pub group_id: String,
    pub kind: GroupPendencyType,
    pub from: String,
    pub to: String,
    pub apply_msg: String,
    /// Now, in milliseconds; the stored time is later when another pendency has it.
    pub time_ms: u64,
}

/// The decision on a pendency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub group_id: String,
    pub add_time: u64,
    pub accept: bool,
    pub by: String,
    pub message: String,
}

/// A system notice to one user (a message from `@TIM#SYSTEM` in their system conversation).
#[derive(Clone, Debug)]
pub struct NewReport {
    pub user: String,
    /// The sender shown (`@TIM#SYSTEM`).
    pub from: String,
    pub client_msg_id: String,
    pub rand: u64,
    pub server_time: u64,
    pub message: Message,
}

/// Pendencies and system notices.
#[async_trait]
pub trait PendencyStore: Send + Sync + 'static {
    /// Store a request or invitation; one from the same user (and to the same invitee) to the
    /// same group replaces the earlier one, undecided again.
    async fn add_pendency(&self, p: NewPendency) -> Result<PendencyRow>;
    /// The pendency of group `group_id` added at `add_time`.
    async fn pendency(&self, group_id: &str, add_time: u64) -> Result<Option<PendencyRow>>;
    /// The pendencies `user` decides (join requests of the groups they own or run, their
    /// invitations), newest first, added before `before` (0: from the newest), at most
    /// `limit`.
    async fn pendencies(&self, user: &str, before: u64, limit: u32) -> Result<Vec<PendencyRow>>;
    /// How many pendencies `user` decides that are undecided and added after `after`.
    async fn unread_pendencies(&self, user: &str, after: u64) -> Result<u64>;
    /// Up to when (milliseconds) `user` has seen their pendencies (0: never).
    async fn pendency_read_time(&self, user: &str) -> Result<u64>;
    /// Move that time forward to `time` (never back).
    async fn set_pendency_read_time(&self, user: &str, time: u64) -> Result<()>;
    /// Decide an undecided pendency: the decided row, or `None` when it was decided already
    /// (or does not exist).
    async fn decide_pendency(&self, d: Decision) -> Result<Option<PendencyRow>>;
    /// Store system notices, each in its user's system conversation with an inbox entry:
    /// the entries, in order.
    async fn append_reports(&self, reports: Vec<NewReport>) -> Result<Vec<(String, InboxEntry)>>;
}

/// The key of `user`'s system conversation (group notices) in the message tables.
pub fn system_key(user: &str) -> String {
    format!("system\n{user}")
}
