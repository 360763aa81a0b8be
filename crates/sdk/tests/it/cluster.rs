//! Several nodes as one service: two servers in this process share one PostgreSQL schema and one
//! NATS; clients on different nodes talk, and a node is killed in the middle of a stream.

use std::time::Duration;

use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_sdk::SdkEvent;
use opentim_server::{Config, RunningServer};

use crate::support::*;

fn unique() -> String {
    use std::hash::{BuildHasher, RandomState};
    format!(
        "{}_{:08x}",
        std::process::id(),
        RandomState::new().hash_one(std::time::SystemTime::now()) as u32
    )
}

/// One test's cluster: a schema and a NATS subject prefix of its own.
pub(crate) struct Cluster {
    schema: String,
    prefix: String,
    pub dir: tempfile::TempDir,
}

impl Cluster {
    pub fn new() -> Self {
        let id = unique();
        Cluster {
            schema: format!("c_{id}"),
            prefix: format!("t{id}"),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub async fn node(&self, name: &str) -> RunningServer {
        opentim_server::start(self.node_config(name))
            .await
            .expect("node starts")
    }

    /// The settings of node `name` of this cluster.
    pub fn node_config(&self, name: &str) -> Config {
        Config {
            database_url: Some(
                std::env::var("OPENTIM_TEST_POSTGRES_URL").expect("OPENTIM_TEST_POSTGRES_URL"),
            ),
            database_schema: Some(self.schema.clone()),
            nats_url: Some(std::env::var("OPENTIM_TEST_NATS_URL").expect("OPENTIM_TEST_NATS_URL")),
            nats_prefix: self.prefix.clone(),
            node_id: name.into(),
            ..config(&self.dir.path().join(name), "127.0.0.1:0")
        }
    }

    async fn client(&self, servers: &[&RunningServer], user: &str, cache: &str) -> TestClient {
        let mut o = options(servers[0], &self.dir.path().join(cache));
        o.servers = servers.iter().map(|s| format!("ws://{}", s.addr)).collect();
        let c = client_with(o, user);
        c.client.login(user, &sig(user)).await.expect("login");
        c
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn users_on_different_nodes_chat_both_ways() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    let mut alice = c.client(&[&a], "alice", "alice").await;
    let mut bob = c.client(&[&b], "bob", "bob").await;
    for i in 0..10 {
        alice.send_text("bob", &format!("a{i}")).await;
    }
    let got = bob.receive(10, 10).await;
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        (0..10).map(|i| format!("a{i}")).collect::<Vec<_>>()
    );
    for i in 0..10 {
        bob.send_text("alice", &format!("b{i}")).await;
    }
    let got = alice.receive(10, 10).await;
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        (0..10).map(|i| format!("b{i}")).collect::<Vec<_>>()
    );
    assert!(bob.quiet(300).await.is_empty() && alice.quiet(300).await.is_empty());
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn offline_messages_cross_nodes_and_logins_kick_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    accounts(&b, c.dir.path(), &["bob"]).await;
    let alice = c.client(&[&a], "alice", "alice").await;
    for i in 0..5 {
        alice.send_text("bob", &format!("o{i}")).await;
    }
    let mut bob_on_b = c.client(&[&b], "bob", "bob-1").await;
    let got = bob_on_b.receive(5, 10).await;
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        (0..5).map(|i| format!("o{i}")).collect::<Vec<_>>()
    );
    assert!(bob_on_b.quiet(300).await.is_empty());
    // bob logs in on node a with the same platform: the session on node b is kicked.
    let _bob_on_a = c.client(&[&a], "bob", "bob-2").await;
    assert!(bob_on_b
        .wait_for(5, |e| (e == SdkEvent::KickedOffline).then_some(()))
        .await
        .is_some());
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn killing_a_node_mid_stream_loses_and_duplicates_nothing() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    let alice = c.client(&[&a, &b], "alice", "alice").await;
    let mut bob = c.client(&[&a, &b], "bob", "bob").await;
    const N: usize = 60;
    let sender = alice.client.clone();
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel();
    let stream = tokio::spawn(async move {
        for i in 0..N {
            let m = sender
                .send_message(
                    "bob",
                    ConvType::C2C,
                    Message::text("bob", ConvType::C2C, format!("s{i}")),
                )
                .await
                .expect("every send completes, across the node loss");
            let _ = acked_tx.send(m.seq.unwrap());
        }
    });
    // Kill node a once a third of the stream is acknowledged.
    for _ in 0..N / 3 {
        acked_rx.recv().await.unwrap();
    }
    a.kill();
    tokio::time::timeout(Duration::from_secs(30), stream)
        .await
        .expect("stream finishes")
        .unwrap();
    let mut seqs = Vec::new();
    while let Ok(s) = acked_rx.try_recv() {
        seqs.push(s);
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "acked seqs increase");
    let got = bob.receive(N, 30).await;
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        (0..N).map(|i| format!("s{i}")).collect::<Vec<_>>(),
        "every message exactly once, in order"
    );
    assert!(
        bob.quiet(500).await.is_empty(),
        "no duplicates after the resync"
    );
    let history = bob.client.history("alice", ConvType::C2C, 1000).unwrap();
    assert_eq!(history.len(), N);
    assert_eq!(
        history.iter().map(|m| m.seq.unwrap()).collect::<Vec<_>>(),
        (1..=N as u64).collect::<Vec<_>>()
    );
    b.stop().await.unwrap();
}
