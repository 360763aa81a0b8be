//! What the store keeps of relationships: blacklists.

use async_trait::async_trait;

use super::Result;

/// Blacklists.
#[async_trait]
pub trait FriendStore: Send + Sync + 'static {
    /// `owner` blocks `users` at `time`, without going past `max` blocked users: for each
    /// user in the order asked, whether it is blocked now (newly or already), or `None` when
    /// the list is full.
    async fn block(
        &self,
        owner: &str,
        users: Vec<String>,
        time: u64,
        max: u64,
    ) -> Result<Vec<Option<bool>>>;
    /// `owner` unblocks `users`: for each, whether it was blocked.
    async fn unblock(&self, owner: &str, users: Vec<String>) -> Result<Vec<bool>>;
    /// Who `owner` blocked, with when, oldest first.
    async fn blocked(&self, owner: &str) -> Result<Vec<(String, u64)>>;
    /// Whether `owner` blocked `user`.
    async fn is_blocked(&self, owner: &str, user: &str) -> Result<bool>;
}
