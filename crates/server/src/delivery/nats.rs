//! The cluster transport over NATS: one subject per topic (`<prefix>.user.<hex id>`,
//! `<prefix>.group.<hex id>`), subscribed by exactly the nodes that have a session on it.
//!
//! What travels on a subject, first byte first:
//! - `E<node>\n<encoded frame>`: an event, published by `<node>` (which delivered it to its own
//!   sessions already and skips it when it comes back);
//! - `K<platform> <node>`: a login on `<node>` took the user's `<platform>` over; other nodes
//!   close their session of that user and platform.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use opentim_model::ids::{GroupId, UserId};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Delivery, Outgoing, Topic, TopicChanges};

/// The NATS server could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to NATS at {url}: {source}")]
pub struct NatsError {
    url: String,
    #[source]
    source: async_nats::ConnectError,
}

/// What a payload says.
#[derive(Debug, PartialEq, Eq)]
enum Wire<'a> {
    Event { node: &'a str, frame: &'a str },
    Kick { platform: i64, node: &'a str },
}

fn encode_event(node: &str, frame: &str) -> Vec<u8> {
    let mut payload = Vec::with_capacity(frame.len() + node.len() + 2);
    payload.push(b'E');
    payload.extend_from_slice(node.as_bytes());
    payload.push(b'\n');
    payload.extend_from_slice(frame.as_bytes());
    payload
}

fn encode_kick(platform: i64, node: &str) -> Vec<u8> {
    format!("K{platform} {node}").into_bytes()
}

fn decode(payload: &[u8]) -> Option<Wire<'_>> {
    let text = std::str::from_utf8(payload).ok()?;
    match text.as_bytes().first()? {
        b'E' => {
            let (node, frame) = text[1..].split_once('\n')?;
            Some(Wire::Event { node, frame })
        }
        b'K' => {
            let (platform, node) = text[1..].split_once(' ')?;
            Some(Wire::Kick {
                platform: platform.parse().ok()?,
                node,
            })
        }
        _ => None,
    }
}

/// An id as one NATS subject token (ids may contain `.`, `*` or `>`).
fn token(id: &str) -> String {
    id.bytes().map(|b| format!("{b:02x}")).collect()
}

struct Inner {
    client: async_nats::Client,
    prefix: String,
    node: String,
    delivery: Mutex<Weak<Delivery>>,
    subs: tokio::sync::Mutex<HashMap<Topic, JoinHandle<()>>>,
    /// Each followed topic: true once the NATS server has its subscription (flushed), so a
    /// session that joins a topic another session of this node is still subscribing to can
    /// wait for it before it reads what it may have missed.
    ready: Mutex<HashMap<Topic, tokio::sync::watch::Sender<bool>>>,
    /// Publishes go through one task, so events leave in the order they were produced.
    publish: mpsc::Sender<(String, Vec<u8>)>,
    publisher: Mutex<Option<JoinHandle<()>>>,
    /// Each (re)connection of the client, until [`NatsLink::start`] takes it over.
    connected: Mutex<Option<mpsc::UnboundedReceiver<()>>>,
    reconnects: Mutex<Option<JoinHandle<()>>>,
    /// Answers the other nodes' session counts.
    counts: Mutex<Option<JoinHandle<()>>>,
}

/// A node's link to the other nodes.
#[derive(Clone)]
pub struct NatsLink {
    inner: Arc<Inner>,
}

impl NatsLink {
    pub async fn connect(url: &str, prefix: &str, node: &str) -> Result<Self, NatsError> {
        let (connected_tx, connected_rx) = mpsc::unbounded_channel();
        let client = async_nats::ConnectOptions::new()
            .name(format!("opentim {node}"))
            .event_callback(move |event| {
                let tx = connected_tx.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            let _ = tx.send(());
                        }
                        async_nats::Event::Disconnected => {
                            tracing::warn!(
                                "NATS link down; reconnecting (events from other nodes wait)"
                            )
                        }
                        _ => {}
                    }
                }
            })
            .connect(url)
            .await
            .map_err(|source| NatsError {
                url: url.to_owned(),
                source,
            })?;
        let (tx, mut rx) = mpsc::channel::<(String, Vec<u8>)>(65_536);
        let publisher_client = client.clone();
        let publisher = tokio::spawn(async move {
            while let Some((subject, payload)) = rx.recv().await {
                if let Err(e) = publisher_client.publish(subject, payload.into()).await {
                    tracing::warn!(error = %e, "NATS publish failed; the client resyncs from the store");
                }
            }
        });
        tracing::info!(url, node, "NATS link connected");
        Ok(NatsLink {
            inner: Arc::new(Inner {
                client,
                prefix: prefix.to_owned(),
                node: node.to_owned(),
                delivery: Mutex::new(Weak::new()),
                subs: tokio::sync::Mutex::new(HashMap::new()),
                ready: Mutex::new(HashMap::new()),
                publish: tx,
                publisher: Mutex::new(Some(publisher)),
                connected: Mutex::new(Some(connected_rx)),
                reconnects: Mutex::new(None),
                counts: Mutex::new(None),
            }),
        })
    }

    /// Hand what arrives to `delivery`. After every reconnection, once the client has its
    /// subscriptions back, every session here is told to resync: events other nodes published
    /// while the link was down are in the store, not on the wire.
    pub(super) fn start(&self, delivery: Weak<Delivery>) {
        *self
            .inner
            .delivery
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = delivery;
        self.serve_counts();
        let connected = self
            .inner
            .connected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(mut connected) = connected {
            let link = self.clone();
            let task = tokio::spawn(async move {
                while connected.recv().await.is_some() {
                    // The PONG of a flush comes after the resubscriptions the client sent.
                    if let Err(e) = link.inner.client.flush().await {
                        tracing::warn!(error = %e, "NATS flush after reconnecting failed");
                    }
                    if let Some(delivery) = link.delivery() {
                        let n = delivery.resync_all();
                        tracing::info!(sessions = n, "NATS link up; sessions told to resync");
                    }
                }
            });
            *self
                .inner
                .reconnects
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(task);
        }
    }

    /// The subject on which nodes are asked how many sessions follow a topic.
    fn count_subject(&self) -> String {
        format!("{}.count", self.inner.prefix)
    }

    /// The subject on which nodes are asked which platforms users have sessions on.
    fn presence_subject(&self) -> String {
        format!("{}.presence", self.inner.prefix)
    }

    /// Answer the other nodes' questions: how many sessions here follow a group's topic (the
    /// payload of a count request is the group id), and on which platforms users have
    /// sessions here (a presence request's payload is one user id per line; the answer is the
    /// node, then one line per user of comma-separated platforms).
    fn serve_counts(&self) {
        let link = self.clone();
        let task = tokio::spawn(async move {
            use futures_util::StreamExt;
            let client = &link.inner.client;
            let (counts, presence) = match (
                client.subscribe(link.count_subject()).await,
                client.subscribe(link.presence_subject()).await,
            ) {
                (Ok(c), Ok(p)) => (c, p),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "NATS subscribe failed; online counts and states are this node's only");
                    return;
                }
            };
            let count_subject = link.count_subject();
            let mut questions = futures_util::stream::select(counts, presence);
            while let Some(msg) = questions.next().await {
                let (Some(reply), Some(delivery)) = (msg.reply, link.delivery()) else {
                    continue;
                };
                let asked = String::from_utf8_lossy(&msg.payload);
                let answer = if msg.subject.as_str() == count_subject {
                    let n = GroupId::parse_unbounded(&asked)
                        .map_or(0, |g| delivery.registry.topic_sessions(&Topic::Group(g)));
                    format!("{} {n}", link.inner.node)
                } else {
                    let mut answer = link.inner.node.clone();
                    for user in asked.split('\n') {
                        let platforms = UserId::parse_unbounded(user)
                            .map(|u| delivery.registry.platforms(&u))
                            .unwrap_or_default();
                        let list: Vec<String> = platforms.iter().map(i64::to_string).collect();
                        answer.push('\n');
                        answer.push_str(&list.join(","));
                    }
                    answer
                };
                let _ = client.publish(reply, answer.into()).await;
            }
        });
        *self.inner.counts.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
    }

    /// The sessions following group `group`'s topic on the other nodes that answer within
    /// [`super::COUNT_WINDOW`].
    pub(super) async fn remote_count(&self, group: &GroupId) -> u64 {
        use futures_util::StreamExt;
        let client = &self.inner.client;
        let inbox = client.new_inbox();
        let Ok(mut answers) = client.subscribe(inbox.clone()).await else {
            return 0;
        };
        let asked = group.as_str().to_owned();
        if client
            .publish_with_reply(self.count_subject(), inbox, asked.into())
            .await
            .is_err()
        {
            return 0;
        }
        let mut total = 0;
        let deadline = tokio::time::Instant::now() + super::COUNT_WINDOW;
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, answers.next()).await {
            let text = String::from_utf8_lossy(&msg.payload);
            let mut parts = text.split(' ');
            let (Some(node), Some(n)) = (parts.next(), parts.next()) else {
                continue;
            };
            if node != self.inner.node {
                total += n.parse::<u64>().unwrap_or(0);
            }
        }
        total
    }

    /// The platforms of the sessions each of `users` has on the other nodes that answer
    /// within [`super::COUNT_WINDOW`], in the order asked.
    pub(super) async fn remote_platforms(&self, users: &[UserId]) -> Vec<Vec<i64>> {
        use futures_util::StreamExt;
        let mut found = vec![Vec::new(); users.len()];
        let client = &self.inner.client;
        let inbox = client.new_inbox();
        let Ok(mut answers) = client.subscribe(inbox.clone()).await else {
            return found;
        };
        let asked: Vec<&str> = users.iter().map(UserId::as_str).collect();
        if client
            .publish_with_reply(self.presence_subject(), inbox, asked.join("\n").into())
            .await
            .is_err()
        {
            return found;
        }
        let deadline = tokio::time::Instant::now() + super::COUNT_WINDOW;
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, answers.next()).await {
            let text = String::from_utf8_lossy(&msg.payload);
            let mut lines = text.split('\n');
            if lines.next() == Some(self.inner.node.as_str()) {
                continue;
            }
            for (slot, line) in found.iter_mut().zip(lines) {
                slot.extend(line.split(',').filter_map(|p| p.parse::<i64>().ok()));
            }
        }
        found
    }

    fn delivery(&self) -> Option<Arc<Delivery>> {
        self.inner
            .delivery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .upgrade()
    }

    fn subject(&self, topic: &Topic) -> String {
        match topic {
            Topic::User(u) => format!("{}.user.{}", self.inner.prefix, token(u.as_str())),
            Topic::Group(g) => format!("{}.group.{}", self.inner.prefix, token(g.as_str())),
        }
    }

    /// Bring the subscriptions of the changed topics in line with the sessions on this node.
    /// Each topic is decided from the registry's state at the time, under one lock, so changes
    /// applied in any order end in the right state.
    pub(super) async fn follow(&self, changes: &TopicChanges) {
        let Some(delivery) = self.delivery() else {
            return;
        };
        let mut subs = self.inner.subs.lock().await;
        let mut subscribed = Vec::new();
        for topic in changes.first.iter().chain(&changes.last) {
            let want = delivery.registry.has_topic(topic);
            match (want, subs.contains_key(topic)) {
                (true, false) => {
                    self.pending(topic);
                    match self.inner.client.subscribe(self.subject(topic)).await {
                        Ok(sub) => {
                            subs.insert(topic.clone(), self.forward(topic.clone(), sub));
                            subscribed.push(topic.clone());
                        }
                        Err(e) => {
                            self.ready_map().remove(topic);
                            tracing::error!(error = %e, ?topic, "NATS subscribe failed; these sessions get events only by sync")
                        }
                    }
                }
                (true, true) => {
                    if let Some(tx) = self.ready_map().get(topic) {
                        tx.send_replace(true);
                    }
                }
                (false, true) => {
                    self.ready_map().remove(topic);
                    if let Some(task) = subs.remove(topic) {
                        // Dropping the subscriber unsubscribes.
                        task.abort();
                    }
                }
                _ => {}
            }
        }
        drop(subs);
        if !subscribed.is_empty() {
            // Make sure the server has the subscriptions before the login is answered.
            if let Err(e) = self.inner.client.flush().await {
                tracing::warn!(error = %e, "NATS flush failed");
            }
            let ready = self.ready_map();
            for topic in &subscribed {
                if let Some(tx) = ready.get(topic) {
                    tx.send_replace(true);
                }
            }
        }
    }

    fn ready_map(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<Topic, tokio::sync::watch::Sender<bool>>> {
        self.inner.ready.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Mark `topic` as being subscribed to: sessions that join it meanwhile wait for it.
    pub(super) fn pending(&self, topic: &Topic) {
        self.ready_map()
            .entry(topic.clone())
            .or_insert_with(|| tokio::sync::watch::channel(false).0);
    }

    /// Wait (at most a few seconds) until the NATS server has this node's subscription to
    /// `topic`, when another session is still subscribing to it.
    pub(super) async fn wait_ready(&self, topic: &Topic) {
        let rx = self.ready_map().get(topic).map(|tx| tx.subscribe());
        if let Some(mut rx) = rx {
            let wait = rx.wait_for(|ready| *ready);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), wait).await;
        }
    }

    fn forward(&self, topic: Topic, mut sub: async_nats::Subscriber) -> JoinHandle<()> {
        let link = self.clone();
        tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some(msg) = sub.next().await {
                let Some(delivery) = link.delivery() else {
                    return;
                };
                match decode(&msg.payload) {
                    Some(Wire::Event { node, .. }) if node == link.inner.node => {}
                    Some(Wire::Event { frame, .. }) => {
                        delivery.deliver_remote(&topic, Arc::from(frame));
                    }
                    Some(Wire::Kick { node, .. }) if node == link.inner.node => {}
                    Some(Wire::Kick { platform, .. }) => {
                        if let Topic::User(user) = &topic {
                            delivery.kicked_remote(user, platform);
                        }
                    }
                    None => tracing::warn!("undecodable message on the NATS bus"),
                }
            }
        })
    }

    /// Tell the other nodes that `user` logged in on `platform` here.
    pub(super) async fn kick_elsewhere(&self, user: &UserId, platform: i64) {
        let subject = self.subject(&Topic::User(user.clone()));
        let _ = self
            .inner
            .publish
            .send((subject, encode_kick(platform, &self.inner.node)))
            .await;
    }

    /// Publish an event for the sessions of other nodes.
    pub(super) async fn publish(&self, topic: &Topic, event: &Outgoing) {
        let payload = encode_event(&self.inner.node, &event.frame());
        let _ = self
            .inner
            .publish
            .send((self.subject(topic), payload))
            .await;
    }

    pub(super) fn ready(&self) -> Result<(), String> {
        match self.inner.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            other => Err(format!("NATS connection is {other:?}")),
        }
    }

    pub(super) fn shutdown(&self) {
        for task in [
            &self.inner.publisher,
            &self.inner.reconnects,
            &self.inner.counts,
        ] {
            if let Some(t) = task.lock().unwrap_or_else(|p| p.into_inner()).take() {
                t.abort();
            }
        }
        if let Ok(mut subs) = self.inner.subs.try_lock() {
            for (_, task) in subs.drain() {
                task.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let e = encode_event("node-1", "{\"frame\":\"event\"}\nsecond line");
        assert_eq!(
            decode(&e),
            Some(Wire::Event {
                node: "node-1",
                frame: "{\"frame\":\"event\"}\nsecond line"
            })
        );
        assert_eq!(
            decode(&encode_kick(2, "node-7")),
            Some(Wire::Kick {
                platform: 2,
                node: "node-7"
            })
        );
        assert_eq!(decode(b"Xjunk"), None);
        assert_eq!(decode(b"Kx node"), None);
        assert_eq!(decode(&[0xff, 0xfe]), None);
    }

    #[test]
    fn subjects_are_one_token_per_id() {
        assert_eq!(token("a.b*"), "612e622a");
    }
}
