//! The bus: how an event for a user reaches every session of that user, on any node.
//!
//! One node: [`LocalBus`] hands events straight to this node's [`Hub`]. Several nodes:
//! [`NatsBus`] publishes each event on the user's NATS subject; every node subscribes to the
//! subjects of exactly the users that have a session on it (subscribed before the session's
//! login is answered, so nothing published after the client's first sync is missed), and hands
//! what arrives to its hub. A login also publishes a kick on the user's subject so that a
//! session of the same user and platform on another node closes.
//!
//! The bus is at-most-once by design: a lost event is recovered from the store, because the
//! client notices the cursor gap at the next event or resyncs at the next connection.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::hub::Hub;
use crate::metrics::Metrics;

/// Delivery of events to a user's sessions wherever they are.
#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Deliver an encoded frame to every session of `user`, except the session `except` of this
    /// node (the sender's own session, which learns of its message from the reply).
    async fn deliver(&self, user: &str, frame: Arc<str>, except: Option<u64>);
    /// A session of `user` on `platform` opened on this node (already registered with the hub,
    /// which kicked same-platform sessions of this node): make sure events for `user` reach this
    /// node, and kick same-platform sessions elsewhere.
    async fn session_opened(&self, user: &str, platform: i64, session: u64);
    /// A session of `user` closed on this node.
    async fn session_closed(&self, user: &str);
    /// Whether the bus can deliver (for `/readyz`).
    fn ready(&self) -> Result<(), String>;
    /// Stop background work (node shutdown).
    fn shutdown(&self);
}

/// The single-node bus.
pub struct LocalBus {
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
}

impl LocalBus {
    pub fn new(hub: Arc<Hub>, metrics: Arc<Metrics>) -> Self {
        LocalBus { hub, metrics }
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn deliver(&self, user: &str, frame: Arc<str>, except: Option<u64>) {
        let n = self.hub.deliver(user, &frame, except);
        self.metrics
            .deliveries
            .fetch_add(n as u64, Ordering::Relaxed);
    }
    async fn session_opened(&self, _user: &str, _platform: i64, _session: u64) {}
    async fn session_closed(&self, _user: &str) {}
    fn ready(&self) -> Result<(), String> {
        Ok(())
    }
    fn shutdown(&self) {}
}

/// What travels on a user's subject. The first byte says which.
enum Wire<'a> {
    /// `E` + `node session` of the session to skip (or nothing) + `\n` + an encoded frame.
    Event {
        except: Option<(&'a str, u64)>,
        frame: &'a str,
    },
    /// `K` + `platform node session`: close sessions of this platform except that one.
    Kick { platform: i64, node: &'a str },
}

fn encode_kick(platform: i64, node: &str, session: u64) -> Vec<u8> {
    format!("K{platform} {node} {session}").into_bytes()
}

fn decode(payload: &[u8]) -> Option<Wire<'_>> {
    let text = std::str::from_utf8(payload).ok()?;
    match text.as_bytes().first()? {
        b'E' => {
            let (head, frame) = text[1..].split_once('\n')?;
            let except = match head.split_once(' ') {
                Some((node, session)) => Some((node, session.parse().ok()?)),
                None => None,
            };
            Some(Wire::Event { except, frame })
        }
        b'K' => {
            let mut parts = text[1..].split(' ');
            let platform = parts.next()?.parse().ok()?;
            let node = parts.next()?;
            Some(Wire::Kick { platform, node })
        }
        _ => None,
    }
}

struct Subscription {
    sessions: usize,
    task: JoinHandle<()>,
}

/// The cluster bus over NATS.
pub struct NatsBus {
    client: async_nats::Client,
    prefix: String,
    node: String,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
    subs: tokio::sync::Mutex<HashMap<String, Subscription>>,
    /// Publishes go through one task, so events leave in the order they were produced.
    publish: mpsc::Sender<(String, Vec<u8>)>,
    publisher: Mutex<Option<JoinHandle<()>>>,
}

/// A user id as one NATS subject token (ids may contain `.`, `*` or `>`).
fn token(user: &str) -> String {
    user.bytes().map(|b| format!("{b:02x}")).collect()
}

impl NatsBus {
    pub async fn connect(
        url: &str,
        prefix: &str,
        node: &str,
        hub: Arc<Hub>,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, String> {
        let client = async_nats::ConnectOptions::new()
            .name(format!("opentim {node}"))
            .connect(url)
            .await
            .map_err(|e| format!("cannot connect to NATS at {url}: {e}"))?;
        let (tx, mut rx) = mpsc::channel::<(String, Vec<u8>)>(65_536);
        let publisher_client = client.clone();
        let publisher = tokio::spawn(async move {
            while let Some((subject, payload)) = rx.recv().await {
                if let Err(e) = publisher_client.publish(subject, payload.into()).await {
                    tracing::warn!(error = %e, "NATS publish failed; the client resyncs from the store");
                }
            }
        });
        tracing::info!(url, node, "NATS bus connected");
        Ok(Arc::new(NatsBus {
            client,
            prefix: prefix.to_owned(),
            node: node.to_owned(),
            hub,
            metrics,
            subs: tokio::sync::Mutex::new(HashMap::new()),
            publish: tx,
            publisher: Mutex::new(Some(publisher)),
        }))
    }

    fn subject(&self, user: &str) -> String {
        format!("{}.user.{}", self.prefix, token(user))
    }
}

#[async_trait]
impl Bus for NatsBus {
    async fn deliver(&self, user: &str, frame: Arc<str>, except: Option<u64>) {
        let mut payload = Vec::with_capacity(frame.len() + 32);
        payload.push(b'E');
        if let Some(session) = except {
            payload.extend_from_slice(format!("{} {session}", self.node).as_bytes());
        }
        payload.push(b'\n');
        payload.extend_from_slice(frame.as_bytes());
        let _ = self.publish.send((self.subject(user), payload)).await;
    }

    async fn session_opened(&self, user: &str, platform: i64, session: u64) {
        let mut subs = self.subs.lock().await;
        if let Some(s) = subs.get_mut(user) {
            s.sessions += 1;
        } else {
            match self.client.subscribe(self.subject(user)).await {
                Ok(mut sub) => {
                    // Make sure the server has the subscription before the login is answered.
                    if let Err(e) = self.client.flush().await {
                        tracing::warn!(error = %e, "NATS flush failed");
                    }
                    let (hub, metrics, node, user_owned) = (
                        self.hub.clone(),
                        self.metrics.clone(),
                        self.node.clone(),
                        user.to_owned(),
                    );
                    let task = tokio::spawn(async move {
                        use futures_util::StreamExt;
                        while let Some(msg) = sub.next().await {
                            match decode(&msg.payload) {
                                Some(Wire::Event { except, frame }) => {
                                    let skip = except.filter(|(n, _)| *n == node).map(|(_, s)| s);
                                    let n = hub.deliver(&user_owned, &Arc::from(frame), skip);
                                    metrics.deliveries.fetch_add(n as u64, Ordering::Relaxed);
                                }
                                Some(Wire::Kick {
                                    platform,
                                    node: from,
                                }) if from != node => {
                                    hub.kick(&user_owned, platform);
                                }
                                Some(Wire::Kick { .. }) => {}
                                None => tracing::warn!("undecodable message on the NATS bus"),
                            }
                        }
                    });
                    subs.insert(user.to_owned(), Subscription { sessions: 1, task });
                }
                Err(e) => {
                    tracing::error!(error = %e, user, "NATS subscribe failed; this session gets events only by sync")
                }
            }
        }
        drop(subs);
        let _ = self
            .publish
            .send((
                self.subject(user),
                encode_kick(platform, &self.node, session),
            ))
            .await;
    }

    async fn session_closed(&self, user: &str) {
        let mut subs = self.subs.lock().await;
        if let Some(s) = subs.get_mut(user) {
            s.sessions -= 1;
            if s.sessions == 0 {
                if let Some(s) = subs.remove(user) {
                    // Dropping the subscriber unsubscribes.
                    s.task.abort();
                }
            }
        }
    }

    fn ready(&self) -> Result<(), String> {
        match self.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            other => Err(format!("NATS connection is {other:?}")),
        }
    }

    fn shutdown(&self) {
        if let Some(p) = self
            .publisher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            p.abort();
        }
        if let Ok(mut subs) = self.subs.try_lock() {
            for (_, s) in subs.drain() {
                s.task.abort();
            }
        }
    }
}
