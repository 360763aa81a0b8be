//! The sessions online on this node, by topic, and delivery to their queues.
//!
//! Each session registers with its user id and platform and gets a bounded queue of encoded
//! frames; it is subscribed to its user's topic at once, and to more topics (a group's) when a
//! service asks. Delivery never waits: a session whose queue is full is told to close (slow
//! reader) and resyncs from its cursor when it reconnects, so one slow client never slows anyone
//! else. A new login of a user on a platform tells the older session of that user and platform to
//! close as kicked.
//!
//! An event is encoded at most once per node, and only when at least one session here receives
//! it (see [`Outgoing`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use opentim_model::ids::UserId;
use tokio::sync::{mpsc, watch};

use super::{Outgoing, Topic};
use crate::http::metrics::Metrics;

/// Why the registry asks a session to close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// Still open.
    Open,
    /// Another login of the same user and platform took over.
    Kicked,
    /// The session's queue overflowed.
    SlowReader,
}

/// The id of a session on this node.
pub type SessionId = u64;

/// The platform argument of [`Registry::kick`] that closes sessions on every platform.
pub const ALL_PLATFORMS: i64 = -1;

struct Entry {
    user: UserId,
    platform: i64,
    topics: Vec<Topic>,
    queue: mpsc::Sender<Arc<str>>,
    close: watch::Sender<CloseReason>,
}

/// A registered session's ends.
pub struct Registration {
    pub id: SessionId,
    pub user: UserId,
    pub queue: mpsc::Receiver<Arc<str>>,
    pub close: watch::Receiver<CloseReason>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<SessionId, Entry>,
    topics: HashMap<Topic, Vec<SessionId>>,
}

/// Online sessions of this node.
pub struct Registry {
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    queue_len: usize,
    metrics: Arc<Metrics>,
}

/// The queues an event goes to.
pub struct Targets(Vec<(SessionId, mpsc::Sender<Arc<str>>)>);

impl Targets {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a registration changed, for a cluster transport that follows topics.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TopicChanges {
    /// Topics that had no session on this node before.
    pub first: Vec<Topic>,
    /// Topics that have no session on this node any more.
    pub last: Vec<Topic>,
}

impl Inner {
    /// Subscribe; true when `session` is the topic's first subscriber here.
    fn subscribe(&mut self, session: SessionId, topic: &Topic) -> bool {
        let list = self.topics.entry(topic.clone()).or_default();
        let first = list.is_empty();
        if !list.contains(&session) {
            list.push(session);
        }
        first
    }

    /// Unsubscribe; true when the topic has no subscriber here any more.
    fn unsubscribe(&mut self, session: SessionId, topic: &Topic) -> bool {
        let Some(list) = self.topics.get_mut(topic) else {
            return false;
        };
        list.retain(|s| *s != session);
        if list.is_empty() {
            self.topics.remove(topic);
            return true;
        }
        false
    }

    /// Drop a session and its subscriptions; the topics it was the last one on.
    fn remove(&mut self, id: SessionId) -> Vec<Topic> {
        let Some(entry) = self.sessions.remove(&id) else {
            return Vec::new();
        };
        entry
            .topics
            .iter()
            .filter(|t| self.unsubscribe(id, t))
            .cloned()
            .collect()
    }
}

impl Registry {
    pub fn new(queue_len: usize, metrics: Arc<Metrics>) -> Self {
        Registry {
            inner: Mutex::new(Inner::default()),
            next_id: AtomicU64::new(1),
            queue_len,
            metrics,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register a session on its user's topic, kicking any other session of `user` on
    /// `platform` on this node.
    pub fn register(&self, user: &UserId, platform: i64) -> (Registration, TopicChanges) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.queue_len);
        let (close_tx, close_rx) = watch::channel(CloseReason::Open);
        let topic = Topic::User(user.clone());
        let mut inner = self.lock();
        let mut changes =
            self.close_platform(&mut inner, user, platform, "a new login on this node");
        inner.sessions.insert(
            id,
            Entry {
                user: user.clone(),
                platform,
                topics: vec![topic.clone()],
                queue: tx,
                close: close_tx,
            },
        );
        if inner.subscribe(id, &topic) {
            // A kicked session may have been the last one on the topic a moment ago.
            if let Some(pos) = changes.last.iter().position(|t| *t == topic) {
                changes.last.remove(pos);
            } else {
                changes.first.push(topic);
            }
        }
        let reg = Registration {
            id,
            user: user.clone(),
            queue: rx,
            close: close_rx,
        };
        (reg, changes)
    }

    /// Also deliver `topic` to `session` (a group it belongs to). True when the topic is new on
    /// this node.
    pub fn subscribe(&self, session: SessionId, topic: Topic) -> bool {
        let mut inner = self.lock();
        let Some(entry) = inner.sessions.get_mut(&session) else {
            return false;
        };
        if entry.topics.contains(&topic) {
            return false;
        }
        entry.topics.push(topic.clone());
        inner.subscribe(session, &topic)
    }

    /// Stop delivering `topic` to the sessions of `user` here (they left the group); true when
    /// no session here follows the topic any more.
    pub fn unsubscribe_user(&self, user: &UserId, topic: &Topic) -> bool {
        let mut inner = self.lock();
        let sessions: Vec<SessionId> = inner
            .topics
            .get(&Topic::User(user.clone()))
            .cloned()
            .unwrap_or_default();
        let mut last = false;
        for s in sessions {
            if let Some(entry) = inner.sessions.get_mut(&s) {
                entry.topics.retain(|t| t != topic);
            }
            last |= inner.unsubscribe(s, topic);
        }
        last
    }

    /// Stop delivering `topic` to `session`; true when no session here follows the topic any
    /// more.
    pub fn unsubscribe(&self, session: SessionId, topic: &Topic) -> bool {
        let mut inner = self.lock();
        let Some(entry) = inner.sessions.get_mut(&session) else {
            return false;
        };
        let before = entry.topics.len();
        entry.topics.retain(|t| t != topic);
        if entry.topics.len() == before {
            return false;
        }
        inner.unsubscribe(session, topic)
    }

    /// Whether `session` follows `topic`.
    pub fn is_subscribed(&self, session: SessionId, topic: &Topic) -> bool {
        self.lock()
            .sessions
            .get(&session)
            .is_some_and(|e| e.topics.contains(topic))
    }

    /// Close every session of `user` on `platform` ([`ALL_PLATFORMS`]: on every platform):
    /// a login elsewhere took over, or an administrator kicked the user.
    pub fn kick(&self, user: &UserId, platform: i64) -> TopicChanges {
        let mut inner = self.lock();
        let by = match platform {
            ALL_PLATFORMS => "an administrator",
            _ => "a login on another node",
        };
        self.close_platform(&mut inner, user, platform, by)
    }

    /// The platforms of each session of `user` here.
    pub fn platforms(&self, user: &UserId) -> Vec<i64> {
        let inner = self.lock();
        inner
            .topics
            .get(&Topic::User(user.clone()))
            .into_iter()
            .flatten()
            .filter_map(|id| Some(inner.sessions.get(id)?.platform))
            .collect()
    }

    /// Tell the sessions of `user` on `platform` to close as kicked, and drop them.
    fn close_platform(
        &self,
        inner: &mut Inner,
        user: &UserId,
        platform: i64,
        by: &str,
    ) -> TopicChanges {
        let topic = Topic::User(user.clone());
        let victims: Vec<SessionId> = inner
            .topics
            .get(&topic)
            .into_iter()
            .flatten()
            .copied()
            .filter(|id| {
                inner
                    .sessions
                    .get(id)
                    .is_some_and(|e| platform == ALL_PLATFORMS || e.platform == platform)
            })
            .collect();
        let mut changes = TopicChanges::default();
        for id in victims {
            if let Some(e) = inner.sessions.get(&id) {
                let _ = e.close.send(CloseReason::Kicked);
            }
            self.metrics.kicked.fetch_add(1, Ordering::Relaxed);
            tracing::info!(%user, platform, session = id, by, "session kicked");
            changes.last.extend(inner.remove(id));
        }
        changes
    }

    /// Remove a session (when its connection ends). Returns the topics nobody here follows now.
    pub fn unregister(&self, id: SessionId) -> Vec<Topic> {
        self.lock().remove(id)
    }

    /// The queues of every session on `topic` but `except` (the session that caused the event
    /// and learns of it from its reply), taken under one lock.
    pub fn targets(&self, topic: &Topic, except: Option<SessionId>) -> Targets {
        let inner = self.lock();
        let queues = inner
            .topics
            .get(topic)
            .into_iter()
            .flatten()
            .filter(|id| Some(**id) != except)
            .filter_map(|id| Some((*id, inner.sessions.get(id)?.queue.clone())))
            .collect();
        Targets(queues)
    }

    /// The queues of every session on this node.
    pub fn everyone(&self) -> Targets {
        let inner = self.lock();
        Targets(
            inner
                .sessions
                .iter()
                .map(|(id, e)| (*id, e.queue.clone()))
                .collect(),
        )
    }

    /// Queue `frame` for `targets`; a session whose queue is full is told to close. Returns how
    /// many sessions got it.
    pub fn send(&self, targets: Targets, frame: &Arc<str>) -> usize {
        let mut delivered = 0;
        for (id, queue) in targets.0 {
            match queue.try_send(frame.clone()) {
                Ok(()) => delivered += 1,
                Err(mpsc::error::TrySendError::Full(_)) => self.slow_reader(id),
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        self.metrics
            .deliveries
            .fetch_add(delivered as u64, Ordering::Relaxed);
        delivered
    }

    fn slow_reader(&self, id: SessionId) {
        let inner = self.lock();
        if let Some(e) = inner.sessions.get(&id) {
            if e.close.send(CloseReason::SlowReader).is_ok() {
                self.metrics.slow_readers.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(user = %e.user, session = id, "session queue full; disconnecting slow reader");
            }
        }
    }

    /// Queue the event for every session on `topic` but `except`. The event is encoded only
    /// if someone receives it, and outside the lock. Returns how many sessions got it.
    pub fn deliver(&self, topic: &Topic, event: &Outgoing, except: Option<SessionId>) -> usize {
        let targets = self.targets(topic, except);
        if targets.is_empty() {
            return 0;
        }
        self.send(targets, &event.frame())
    }

    /// Number of online sessions.
    pub fn session_count(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether any session here follows `topic`.
    pub fn has_topic(&self, topic: &Topic) -> bool {
        self.lock().topics.contains_key(topic)
    }

    /// How many sessions here follow `topic`.
    pub fn topic_sessions(&self, topic: &Topic) -> usize {
        self.lock().topics.get(topic).map_or(0, Vec::len)
    }
}
