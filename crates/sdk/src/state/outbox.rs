//! Messages sent but not yet acknowledged, in send order.
//!
//! Each keeps its client message id for life: after a reconnect every one is sent again with
//! the same id, and the server, which stores the first copy of an id, answers the retry with
//! the first result. Nothing is lost and nothing is stored twice.

use std::collections::BTreeMap;

use opentim_protocol::op::send::SendRequest;
use tokio::time::Instant;

/// The key of a queued send, in send order.
pub type SendKey = u64;

/// One queued send.
#[derive(Debug, Clone)]
pub struct Queued {
    pub request: SendRequest,
    /// When the caller stops waiting for the acknowledgement.
    pub deadline: Instant,
    /// The server answered "temporarily unavailable": send again at the next tick.
    pub again: bool,
    /// A frame of it was handed to a connection: the server may have it, so it can no longer
    /// be cancelled.
    pub written: bool,
}

#[derive(Debug, Default)]
pub struct Outbox {
    queued: BTreeMap<SendKey, Queued>,
    next: SendKey,
}

impl Outbox {
    /// Queue a send; its key.
    pub fn push(&mut self, request: SendRequest, deadline: Instant) -> SendKey {
        self.next += 1;
        self.queued.insert(
            self.next,
            Queued {
                request,
                deadline,
                again: false,
                written: false,
            },
        );
        self.next
    }

    pub fn get(&self, key: SendKey) -> Option<&Queued> {
        self.queued.get(&key)
    }

    pub fn get_mut(&mut self, key: SendKey) -> Option<&mut Queued> {
        self.queued.get_mut(&key)
    }

    /// Take a send out (acknowledged, refused or expired).
    pub fn remove(&mut self, key: SendKey) -> Option<Queued> {
        self.queued.remove(&key)
    }

    /// Every queued key, oldest first.
    pub fn keys(&self) -> Vec<SendKey> {
        self.queued.keys().copied().collect()
    }

    /// Mark `key` to be sent again at the next tick; false when it is no longer queued.
    pub fn again(&mut self, key: SendKey) -> bool {
        match self.queued.get_mut(&key) {
            Some(q) => {
                q.again = true;
                true
            }
            None => false,
        }
    }

    /// Take the keys marked to be sent again, oldest first.
    pub fn take_again(&mut self) -> Vec<SendKey> {
        self.queued
            .iter_mut()
            .filter(|(_, q)| q.again)
            .map(|(k, q)| {
                q.again = false;
                *k
            })
            .collect()
    }

    /// Keys whose deadline passed.
    pub fn expired(&self, now: Instant) -> Vec<SendKey> {
        self.queued
            .iter()
            .filter(|(_, q)| q.deadline <= now)
            .map(|(k, _)| *k)
            .collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.queued.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }
}
