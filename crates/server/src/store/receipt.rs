//! What the store keeps of group read receipts: who read which message that asked for them.
//! Counts and member lists derive from these rows and the membership; nothing is written for
//! members who have not read.

use async_trait::async_trait;

use super::{MemberRow, Result};

/// The read and unread counts of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptCount {
    pub seq: u64,
    /// Members (now) who reported reading it.
    pub read: u64,
    /// Members (now) who joined before it, other than its sender, who have not.
    pub unread: u64,
}

/// Group read receipts.
#[async_trait]
pub trait ReceiptStore: Send + Sync + 'static {
    /// Record that `user` read messages `seqs` of group `group` at `time`: the seqs recorded
    /// now (not before).
    async fn add_receipts(
        &self,
        group: &str,
        user: &str,
        seqs: &[u64],
        time: u64,
    ) -> Result<Vec<u64>>;
    /// The counts of messages `seqs` of group `group`, in the order asked.
    async fn receipt_counts(&self, group: &str, seqs: &[u64]) -> Result<Vec<ReceiptCount>>;
    /// The members of group `group` who read message `seq` (`read`), or who joined before it
    /// and have not (its sender left out), in user id order, from the `offset`-th, at most
    /// `limit`.
    async fn receipt_members(
        &self,
        group: &str,
        seq: u64,
        read: bool,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<MemberRow>>;
}
