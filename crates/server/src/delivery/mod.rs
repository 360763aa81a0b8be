//! Delivery: events to every online session they concern, on this node or, in a cluster,
//! through NATS.
//!
//! Events are addressed to a [`Topic`]: a user (their C2C messages, receipts, kicks) or a group
//! (its messages and tips, reaching every member with a session online). The services hand over
//! typed events; [`Outgoing`] encodes one at most once, and only when a session on this node
//! receives it or another node may. Delivery is at-most-once by design: a lost event is
//! recovered from the store, because the client notices the cursor gap at the next event or
//! resyncs at its next connection.
//!
//! In a cluster every node subscribes to the NATS subjects of exactly the topics that have a
//! session on it (before the session's login is answered, so nothing published after the
//! client's first sync is missed). A node delivers to its own sessions directly and publishes
//! for the others; it ignores its own publications when they come back. When its NATS link
//! comes back after an outage, it tells each of its sessions to resync (`Event::Resync`): what
//! other nodes published meanwhile never reached it, but it is in the store.

mod nats;
mod registry;

/// How long a node waits for the other nodes' counts of a topic's sessions.
pub const COUNT_WINDOW: std::time::Duration = std::time::Duration::from_millis(300);

use std::sync::{Arc, OnceLock};

use opentim_model::ids::{GroupId, UserId};
use opentim_protocol::Event;

pub use nats::{NatsError, NatsLink};
pub use registry::{CloseReason, Registration, Registry, SessionId, TopicChanges, ALL_PLATFORMS};

use crate::http::metrics::Metrics;

/// Who an event is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Every session of one user.
    User(UserId),
    /// Every session subscribed to one group (its members online).
    Group(GroupId),
}

/// A typed event on its way out, encoded on first use and then shared by every receiver.
pub struct Outgoing {
    /// `None` for a frame that arrived encoded (from another node).
    frame: Option<Event>,
    encoded: OnceLock<Arc<str>>,
}

impl Outgoing {
    pub fn new(event: Event) -> Self {
        Outgoing {
            frame: Some(event),
            encoded: OnceLock::new(),
        }
    }

    /// A frame that is already encoded.
    fn encoded(frame: Arc<str>) -> Self {
        Outgoing {
            frame: None,
            encoded: OnceLock::from(frame),
        }
    }

    /// The encoded frame (encoded now if this is the first call).
    pub fn frame(&self) -> Arc<str> {
        self.encoded
            .get_or_init(|| match &self.frame {
                Some(e) => e.encode().into(),
                None => Arc::from(""),
            })
            .clone()
    }

    /// Whether the frame has been encoded (tests check that nobody online means no encoding).
    pub fn is_encoded(&self) -> bool {
        self.encoded.get().is_some()
    }
}

/// Delivery of events to sessions wherever they are.
pub struct Delivery {
    registry: Registry,
    cluster: Option<NatsLink>,
}

impl Delivery {
    /// Delivery within this process only (one node).
    pub fn local(queue_len: usize, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Delivery {
            registry: Registry::new(queue_len, metrics),
            cluster: None,
        })
    }

    /// Delivery across the nodes sharing one NATS.
    pub async fn clustered(
        queue_len: usize,
        metrics: Arc<Metrics>,
        url: &str,
        prefix: &str,
        node: &str,
    ) -> Result<Arc<Self>, nats::NatsError> {
        let link = NatsLink::connect(url, prefix, node).await?;
        let delivery = Arc::new(Delivery {
            registry: Registry::new(queue_len, metrics),
            cluster: Some(link.clone()),
        });
        link.start(Arc::downgrade(&delivery));
        Ok(delivery)
    }

    /// Register a session of `user` on `platform`: kick same-platform sessions here and on
    /// other nodes, and make sure events for the user reach this node.
    pub async fn open_session(&self, user: &UserId, platform: i64) -> Registration {
        let (reg, changes) = self.registry.register(user, platform);
        if let Some(link) = &self.cluster {
            link.follow(&changes).await;
            link.kick_elsewhere(user, platform).await;
        }
        reg
    }

    /// Also deliver `topic` to a session (a group the user belongs to). In a cluster, returns
    /// once the bus delivers the topic here, even when another session of this node started
    /// following it a moment earlier.
    pub async fn subscribe(&self, session: SessionId, topic: Topic) {
        if let (Some(link), false) = (&self.cluster, self.registry.has_topic(&topic)) {
            // Before the registry has it, so a session joining next waits for the bus.
            link.pending(&topic);
        }
        let new = self.registry.subscribe(session, topic.clone());
        if let Some(link) = &self.cluster {
            match new {
                true => {
                    link.follow(&TopicChanges {
                        first: vec![topic],
                        last: Vec::new(),
                    })
                    .await
                }
                false => link.wait_ready(&topic).await,
            }
        }
    }

    /// Stop delivering `topic` to the sessions of `user` on this node (they left the group).
    /// Sessions on other nodes keep getting it until they reconnect; clients drop entries of
    /// groups they are not in.
    pub async fn unsubscribe_user(&self, user: &UserId, topic: Topic) {
        if self.registry.unsubscribe_user(user, &topic) {
            if let Some(link) = &self.cluster {
                link.follow(&TopicChanges {
                    first: Vec::new(),
                    last: vec![topic],
                })
                .await;
            }
        }
    }

    /// Stop delivering `topic` to one session (it left a broadcast room).
    pub async fn unsubscribe(&self, session: SessionId, topic: Topic) {
        if self.registry.unsubscribe(session, &topic) {
            if let Some(link) = &self.cluster {
                link.follow(&TopicChanges {
                    first: Vec::new(),
                    last: vec![topic],
                })
                .await;
            }
        }
    }

    /// How many sessions follow group `group`'s topic: here, and on the other nodes that
    /// answer within [`COUNT_WINDOW`].
    pub async fn online_count(&self, group: &GroupId) -> u64 {
        let here = self.registry.topic_sessions(&Topic::Group(group.clone())) as u64;
        match &self.cluster {
            Some(link) => here + link.remote_count(group).await,
            None => here,
        }
    }

    /// Close every session of `user`, on every platform and every node (an administrator's
    /// kick). The sessions are told they were kicked.
    pub async fn kick_user(&self, user: &UserId) {
        let changes = self.registry.kick(user, ALL_PLATFORMS);
        if let Some(link) = &self.cluster {
            link.follow(&changes).await;
            link.kick_elsewhere(user, ALL_PLATFORMS).await;
        }
    }

    /// The platforms of every session each of `users` has: here, and on the other nodes that
    /// answer within [`COUNT_WINDOW`] (a cluster answers as one node would).
    pub async fn platforms(&self, users: &[UserId]) -> Vec<Vec<i64>> {
        let mut found: Vec<Vec<i64>> = users.iter().map(|u| self.registry.platforms(u)).collect();
        if let Some(link) = &self.cluster {
            for (here, there) in found.iter_mut().zip(link.remote_platforms(users).await) {
                here.extend(there);
            }
        }
        found
    }

    /// Whether `session` (of this node) follows `topic`.
    pub fn is_subscribed(&self, session: SessionId, topic: &Topic) -> bool {
        self.registry.is_subscribed(session, topic)
    }

    /// A session ended.
    pub async fn close_session(&self, session: SessionId) {
        let last = self.registry.unregister(session);
        if let Some(link) = &self.cluster {
            link.follow(&TopicChanges {
                first: Vec::new(),
                last,
            })
            .await;
        }
    }

    /// Deliver `event` to every session on `topic` except `except` (a session of this node).
    pub async fn publish(&self, topic: &Topic, event: Outgoing, except: Option<SessionId>) {
        self.registry.deliver(topic, &event, except);
        if let Some(link) = &self.cluster {
            link.publish(topic, &event).await;
        }
    }

    /// As [`Delivery::publish`], but the event is made only when a session here receives it or
    /// another node may: nothing is built or encoded for a user who is offline.
    pub async fn publish_with(
        &self,
        topic: &Topic,
        except: Option<SessionId>,
        make: impl FnOnce() -> Event,
    ) {
        let targets = self.registry.targets(topic, except);
        if targets.is_empty() && self.cluster.is_none() {
            return;
        }
        let event = Outgoing::new(make());
        if !targets.is_empty() {
            self.registry.send(targets, &event.frame());
        }
        if let Some(link) = &self.cluster {
            link.publish(topic, &event).await;
        }
    }

    /// Tell every session on this node to sync from its cursor (events may have been missed).
    /// Returns how many were told.
    fn resync_all(&self) -> usize {
        let everyone = self.registry.everyone();
        if everyone.is_empty() {
            return 0;
        }
        self.registry
            .send(everyone, &Outgoing::new(Event::Resync).frame())
    }

    /// Deliver a frame that came from another node.
    fn deliver_remote(&self, topic: &Topic, frame: Arc<str>) {
        self.registry
            .deliver(topic, &Outgoing::encoded(frame), None);
    }

    /// A login on another node took over `user` on `platform`.
    fn kicked_remote(&self, user: &UserId, platform: i64) {
        let changes = self.registry.kick(user, platform);
        if let Some(link) = &self.cluster {
            let link = link.clone();
            tokio::spawn(async move { link.follow(&changes).await });
        }
    }

    /// Whether events can be delivered (for `/readyz`).
    pub fn ready(&self) -> Result<(), String> {
        match &self.cluster {
            Some(link) => link.ready(),
            None => Ok(()),
        }
    }

    /// Online sessions on this node.
    pub fn session_count(&self) -> usize {
        self.registry.session_count()
    }

    /// Stop background work (node shutdown).
    pub fn shutdown(&self) {
        if let Some(link) = &self.cluster {
            link.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentim_protocol::Event;

    fn user(s: &str) -> UserId {
        UserId::parse_unbounded(s).unwrap()
    }

    fn delivery() -> Arc<Delivery> {
        Delivery::local(8, Arc::new(Metrics::default()))
    }

    #[tokio::test]
    async fn nothing_is_encoded_when_nobody_here_receives_it() {
        let d = delivery();
        let event = Outgoing::new(Event::KickedOffline);
        d.registry
            .deliver(&Topic::User(user("nobody")), &event, None);
        assert!(!event.is_encoded());
        // The only session on the topic is the one excepted: still nothing to encode.
        let reg = d.open_session(&user("alice"), 0).await;
        let event = Outgoing::new(Event::KickedOffline);
        d.registry
            .deliver(&Topic::User(user("alice")), &event, Some(reg.id));
        assert!(!event.is_encoded());
    }

    #[tokio::test]
    async fn no_event_is_even_built_for_a_user_nobody_here_receives() {
        let d = delivery();
        let mut built = 0;
        d.publish_with(&Topic::User(user("offline")), None, || {
            built += 1;
            Event::KickedOffline
        })
        .await;
        let reg = d.open_session(&user("alice"), 0).await;
        d.publish_with(&Topic::User(user("alice")), Some(reg.id), || {
            built += 1;
            Event::KickedOffline
        })
        .await;
        assert_eq!(built, 0, "offline, or only the excepted session online");
        d.publish_with(&Topic::User(user("alice")), None, || {
            built += 1;
            Event::KickedOffline
        })
        .await;
        assert_eq!(built, 1);
    }

    #[tokio::test]
    async fn an_event_is_encoded_once_for_every_receiver() {
        let d = delivery();
        let mut a = d.open_session(&user("alice"), 0).await;
        let mut b = d.open_session(&user("alice"), 1).await;
        let event = Outgoing::new(Event::UserSigExpired);
        assert_eq!(
            d.registry
                .deliver(&Topic::User(user("alice")), &event, None),
            2
        );
        let (fa, fb) = (a.queue.recv().await.unwrap(), b.queue.recv().await.unwrap());
        assert!(
            Arc::ptr_eq(&fa, &fb),
            "one encoding shared by both sessions"
        );
    }

    #[tokio::test]
    async fn group_topics_reach_subscribed_sessions_only() {
        let d = delivery();
        let group = Topic::Group(GroupId::parse_unbounded("g1").unwrap());
        let mut a = d.open_session(&user("alice"), 0).await;
        let mut b = d.open_session(&user("bob"), 0).await;
        d.subscribe(a.id, group.clone()).await;
        d.publish(&group, Outgoing::new(Event::UserSigExpired), None)
            .await;
        assert!(a.queue.try_recv().is_ok());
        assert!(b.queue.try_recv().is_err());
        // A user topic does not leak into another user's sessions.
        d.publish(
            &Topic::User(user("bob")),
            Outgoing::new(Event::KickedOffline),
            None,
        )
        .await;
        assert!(a.queue.try_recv().is_err());
        assert!(b.queue.try_recv().is_ok());
        d.close_session(a.id).await;
        assert!(!d.registry.has_topic(&group));
    }

    #[tokio::test]
    async fn a_second_login_on_a_platform_kicks_the_first() {
        let d = delivery();
        let first = d.open_session(&user("alice"), 2).await;
        let other_platform = d.open_session(&user("alice"), 3).await;
        let _second = d.open_session(&user("alice"), 2).await;
        assert_eq!(*first.close.borrow(), CloseReason::Kicked);
        assert_eq!(*other_platform.close.borrow(), CloseReason::Open);
        assert_eq!(d.session_count(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_cuts_the_slow_reader_off() {
        let d = delivery();
        let slow = d.open_session(&user("alice"), 0).await;
        for _ in 0..9 {
            d.publish(
                &Topic::User(user("alice")),
                Outgoing::new(Event::KickedOffline),
                None,
            )
            .await;
        }
        assert_eq!(*slow.close.borrow(), CloseReason::SlowReader);
    }
}
