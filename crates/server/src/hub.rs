//! The in-process bus: which sessions are online on this node, and delivery to them.
//!
//! Each session registers with its user id and platform and gets a bounded queue of encoded
//! frames. Delivery never waits: a session whose queue is full is told to close (slow reader) and
//! resyncs from its cursor when it reconnects, so one slow client never slows anyone else. A new
//! login of a user on a platform tells the older session of that user and platform to close as
//! kicked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use crate::metrics::Metrics;

/// Why the hub asks a session to close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// Still open.
    Open,
    /// Another login of the same user and platform took over.
    Kicked,
    /// The session's queue overflowed.
    SlowReader,
}

struct Entry {
    id: u64,
    platform: i64,
    queue: mpsc::Sender<Arc<str>>,
    close: watch::Sender<CloseReason>,
}

/// A registered session's ends.
pub struct Registration {
    pub id: u64,
    pub queue: mpsc::Receiver<Arc<str>>,
    pub close: watch::Receiver<CloseReason>,
}

/// Online sessions of this node by user.
pub struct Hub {
    sessions: Mutex<HashMap<String, Vec<Entry>>>,
    next_id: AtomicU64,
    queue_len: usize,
    metrics: Arc<Metrics>,
}

impl Hub {
    pub fn new(queue_len: usize, metrics: Arc<Metrics>) -> Self {
        Hub {
            sessions: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            queue_len,
            metrics,
        }
    }

    /// Register a session, kicking any other session of `user` on `platform`.
    pub fn register(&self, user: &str, platform: i64) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.queue_len);
        let (close_tx, close_rx) = watch::channel(CloseReason::Open);
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let list = sessions.entry(user.to_owned()).or_default();
        self.close_platform(list, user, platform, "a new login on this node");
        list.push(Entry {
            id,
            platform,
            queue: tx,
            close: close_tx,
        });
        Registration {
            id,
            queue: rx,
            close: close_rx,
        }
    }

    /// Close every session of `user` on `platform` (a login elsewhere took over).
    pub fn kick(&self, user: &str, platform: i64) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = sessions.get_mut(user) {
            self.close_platform(list, user, platform, "a login on another node");
        }
    }

    /// Tell the sessions of `platform` in `list` to close as kicked, and drop them.
    fn close_platform(&self, list: &mut Vec<Entry>, user: &str, platform: i64, by: &str) {
        list.retain(|e| {
            if e.platform != platform {
                return true;
            }
            let _ = e.close.send(CloseReason::Kicked);
            self.metrics.kicked.fetch_add(1, Ordering::Relaxed);
            tracing::info!(user, platform, session = e.id, by, "session kicked");
            false
        });
    }

    /// Remove a session (when its connection ends).
    pub fn unregister(&self, user: &str, id: u64) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = sessions.get_mut(user) {
            list.retain(|e| e.id != id);
            if list.is_empty() {
                sessions.remove(user);
            }
        }
    }

    /// Queue an encoded frame for every session of `user` but `except` (the session that caused
    /// the event and learns of it from its reply). Returns how many sessions got it.
    pub fn deliver(&self, user: &str, frame: &Arc<str>, except: Option<u64>) -> usize {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = sessions.get(user) else {
            return 0;
        };
        let mut delivered = 0;
        for e in list.iter().filter(|e| Some(e.id) != except) {
            match e.queue.try_send(frame.clone()) {
                Ok(()) => delivered += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    if e.close.send(CloseReason::SlowReader).is_ok() {
                        self.metrics.slow_readers.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            user,
                            session = e.id,
                            "session queue full; disconnecting slow reader"
                        );
                    }
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        delivered
    }

    /// Number of online sessions.
    pub fn session_count(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(Vec::len)
            .sum()
    }
}
