//! The queue of after-callbacks (webhooks that tell the app's back-end what happened): each is
//! kept until its delivery succeeds, so a restart or a back-end outage loses none.

use async_trait::async_trait;

use super::Result;

/// A callback waiting for delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedCallback {
    pub id: u64,
    /// The callback command, as `C2C.CallbackAfterSendMsg`.
    pub command: String,
    /// The JSON body.
    pub body: String,
    /// Deliveries tried so far, this one included.
    pub attempts: u32,
}

/// The callback queue, shared by the nodes of a cluster.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Queue callbacks (command, JSON body), due at `now`.
    async fn enqueue_callbacks(&self, items: Vec<(String, String)>, now: u64) -> Result<()>;
    /// Take up to `limit` callbacks due at `now`, oldest first, for `lease` seconds: nobody
    /// else takes them meanwhile (a node that dies holding them gives them back when the lease
    /// ends). Each one's attempt count goes up by one.
    async fn claim_callbacks(
        &self,
        now: u64,
        lease: u64,
        limit: u32,
    ) -> Result<Vec<QueuedCallback>>;
    /// Callback `id` was delivered (or given up): it leaves the queue.
    async fn drop_callback(&self, id: u64) -> Result<()>;
    /// Delivering callback `id` failed: it is due again at `at`.
    async fn retry_callback(&self, id: u64, at: u64) -> Result<()>;
    /// How many callbacks wait.
    async fn callbacks_waiting(&self) -> Result<u64>;
}
