//! Inbox pages for clients catching up (reconnect, gap recovery).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use opentim_model::ids::UserId;
use opentim_protocol::op::sync::{SyncRequest, SyncResponse};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::metrics::Metrics;
use crate::store::InboxStore;

pub struct SyncService {
    config: Arc<Config>,
    /// Pages read at once (`max_concurrent_syncs`): a storm of reconnecting clients queues here
    /// instead of crowding out everyone else's requests.
    reading: Semaphore,
    inbox: Arc<dyn InboxStore>,
    metrics: Arc<Metrics>,
}

impl SyncService {
    pub fn new(config: Arc<Config>, inbox: Arc<dyn InboxStore>, metrics: Arc<Metrics>) -> Self {
        SyncService {
            reading: Semaphore::new(config.max_concurrent_syncs),
            config,
            inbox,
            metrics,
        }
    }

    /// Entries of `user`'s inbox after the request's cursor, at most `sync_page`.
    pub async fn page(&self, user: &UserId, req: SyncRequest) -> Result<SyncResponse> {
        let limit = req.limit.clamp(1, self.config.sync_page);
        let _turn = self.reading.acquire().await.ok(); // never closed
        let mut entries = self
            .inbox
            .inbox_after(user.as_str(), req.cursor, limit + 1)
            .await
            .map_err(Error::internal("read the inbox"))?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        self.metrics
            .sync_entries
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        Ok(SyncResponse { entries, more })
    }
}
