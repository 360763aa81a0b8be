//! Requests of any operation made through the API ([`crate::Client::call`]): queued until a
//! connection is up, sent once, resolved by their reply or their deadline.
//!
//! Unlike message sends, which carry a client message id the server deduplicates on, a call in
//! flight when the connection drops is not sent again: its outcome is unknown, so it fails with
//! a network code and the caller decides whether to repeat it.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use tokio::time::Instant;

/// The key of a call, in call order.
pub type CallKey = u64;

/// One request: the operation's name and its body, already JSON.
#[derive(Debug)]
pub struct Call {
    pub op: &'static str,
    pub body: Box<RawValue>,
    /// When the caller stops waiting for the answer.
    pub deadline: Instant,
}

#[derive(Debug, Default)]
pub struct Calls {
    /// Not sent yet (made while offline).
    waiting: BTreeMap<CallKey, Call>,
    /// Sent on the current connection, with their deadlines.
    sent: BTreeMap<CallKey, Instant>,
    next: CallKey,
}

impl Calls {
    pub fn push(&mut self, call: Call) -> CallKey {
        self.next += 1;
        self.waiting.insert(self.next, call);
        self.next
    }

    /// Take the waiting calls to send them, oldest first; they count as sent.
    pub fn take_waiting(&mut self) -> Vec<(CallKey, Call)> {
        let waiting = std::mem::take(&mut self.waiting);
        self.sent
            .extend(waiting.iter().map(|(key, call)| (*key, call.deadline)));
        waiting.into_iter().collect()
    }

    /// The reply to `key` arrived: true when the call was still waiting for it.
    pub fn answered(&mut self, key: CallKey) -> bool {
        self.sent.remove(&key).is_some()
    }

    /// Forget the calls sent on a connection that is gone.
    pub fn drop_sent(&mut self) -> Vec<CallKey> {
        std::mem::take(&mut self.sent).into_keys().collect()
    }

    /// Forget the calls whose deadline passed.
    pub fn expired(&mut self, now: Instant) -> Vec<CallKey> {
        let mut out: Vec<CallKey> = self
            .sent
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(k, _)| *k)
            .collect();
        out.extend(
            self.waiting
                .iter()
                .filter(|(_, c)| c.deadline <= now)
                .map(|(k, _)| *k),
        );
        for k in &out {
            self.sent.remove(k);
            self.waiting.remove(k);
        }
        out
    }

    /// Forget every call (the session ended).
    pub fn drain(&mut self) -> Vec<CallKey> {
        let mut out = self.drop_sent();
        out.extend(std::mem::take(&mut self.waiting).into_keys());
        out
    }
}
