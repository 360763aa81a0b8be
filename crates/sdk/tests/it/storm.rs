//! A reconnect storm: 2,000 SDK sessions on one node of a cluster lose it at once and reconnect
//! to the other, which admits their logins at its login rate. Every session resyncs (it gets
//! the message sent to it meanwhile) within a stated bound, and a bystander already on the
//! surviving node keeps a fast ping throughout.
//!
//! Each node runs on a Tokio runtime of its own, so the 2,000 clients of this process (their
//! local caches and all) do not share the node's worker threads; the bystander pings from a
//! thread of its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_protocol::op::login::{Login, LoginRequest};
use opentim_protocol::{encode_request, PROTOCOL_VERSION};
use opentim_sdk::SdkEvent;
use opentim_server::{Config, RunningServer};
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::cluster::Cluster;
use crate::support::*;

const SESSIONS: usize = 2_000;
/// Every session must have resynced this long after its node died.
const RESYNC_BOUND: Duration = Duration::from_secs(30);
/// The bystander's 99th-percentile ping during the storm: the node keeps serving.
const PING_P99_BOUND: Duration = Duration::from_millis(50);
/// Its slowest ping. Looser: on a 2-core machine whose other tests run beside this one, the
/// single slowest of a thousand pings measures the OS scheduler as much as the node.
const PING_MAX_BOUND: Duration = Duration::from_millis(500);

/// A node on a runtime of its own.
struct Node {
    rt: Option<tokio::runtime::Runtime>,
    server: Option<RunningServer>,
}

impl Node {
    async fn start(config: Config) -> Node {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt
            .spawn(opentim_server::start(config))
            .await
            .unwrap()
            .expect("node starts");
        Node {
            rt: Some(rt),
            server: Some(server),
        }
    }

    fn url(&self) -> String {
        format!("ws://{}", self.server.as_ref().unwrap().addr)
    }

    fn kill(&mut self) {
        if let Some(s) = self.server.take() {
            let _guard = self.rt.as_ref().unwrap().enter();
            s.kill();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Ping `url` as `user` every 10 ms from a thread of its own until `stop`; the round trips.
fn bystander(url: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Duration>> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}/ws"))
                .await
                .unwrap();
            let login = encode_request::<Login>(
                1,
                &LoginRequest {
                    protocol: PROTOCOL_VERSION,
                    user_id: "bystander".into(),
                    user_sig: sig("bystander"),
                    platform: 0,
                },
            );
            ws.send(Ws::text(login)).await.unwrap();
            ws.next().await.unwrap().unwrap();
            let mut rtts = Vec::new();
            let mut id = 1;
            while !stop.load(Ordering::Relaxed) {
                id += 1;
                let t = Instant::now();
                ws.send(Ws::text(format!(r#"{{"op":"ping","id":{id}}}"#)))
                    .await
                    .unwrap();
                loop {
                    let Ws::Text(f) = ws.next().await.unwrap().unwrap() else {
                        continue;
                    };
                    if f.contains(&format!(r#""reply":{id}"#)) {
                        break;
                    }
                }
                rtts.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            rtts
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn two_thousand_sessions_losing_their_node_resync_on_the_other_and_a_bystander_keeps_a_fast_ping(
) {
    let c = Cluster::new();
    // One sender stands for many users here: its rate is not what is under test.
    let tune = |name: &str| Config {
        max_sends_per_sec: 0,
        ..c.node_config(name)
    };
    let mut a = Node::start(tune("a")).await;
    let b = Node::start(tune("b")).await;
    let servers = vec![a.url(), b.url()];

    let t = Instant::now();
    let logins = (0..SESSIONS).map(|i| {
        let mut o = options_for(&servers, &c.dir.path().join(format!("u{i}")));
        o.servers = servers.clone();
        let user = format!("u{i}");
        async move {
            let mut tc = client_with(o, &user);
            tc.client.login(&user, &sig(&user)).await.expect("login");
            // Settle: the first sync has run.
            tc.wait_network(opentim_model::enums::NetworkStatus::CONNECTED, 0)
                .await;
            tc
        }
    });
    let mut clients = futures_util::future::join_all(logins).await;
    println!(
        "{SESSIONS} sessions logged in to node a in {:?}",
        t.elapsed()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let pinger = bystander(b.url(), stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sender = client_with(
        options_for(&[b.url()], &c.dir.path().join("sender")),
        "sender",
    );
    sender.client.login("sender", &sig("sender")).await.unwrap();

    // Node a dies; while its sessions come back on b, each is sent a message.
    let killed = Instant::now();
    a.kill();
    let sends = futures_util::future::join_all((0..SESSIONS).map(|i| {
        let to = format!("u{i}");
        let sender = &sender;
        async move {
            sender
                .client
                .send_message(
                    &to,
                    ConvType::C2C,
                    Message::text(&to, ConvType::C2C, "back?"),
                )
                .await
                .expect("send");
        }
    }));
    let arrivals = clients.iter_mut().map(|tc| async move {
        let got = tc
            .wait_for(RESYNC_BOUND.as_secs(), |e| match e {
                SdkEvent::NewMessages(m) => m.iter().any(|m| text(m) == "back?").then_some(()),
                _ => None,
            })
            .await;
        got.map(|()| killed.elapsed())
    });
    let (_, arrived) = tokio::join!(sends, futures_util::future::join_all(arrivals));
    stop.store(true, Ordering::Relaxed);
    let rtts = pinger.join().unwrap();

    let missing = arrived.iter().filter(|a| a.is_none()).count();
    let slowest = arrived.iter().flatten().max().copied().unwrap_or_default();
    let mut sorted = rtts;
    sorted.sort();
    let p99 = sorted[sorted.len() * 99 / 100];
    let max = *sorted.last().unwrap();
    println!(
        "storm: {} of {SESSIONS} resynced, the last {slowest:?} after the kill; bystander ping \
         over {} pings: p50 {:?}, p99 {p99:?}, max {max:?}",
        SESSIONS - missing,
        sorted.len(),
        sorted[sorted.len() / 2]
    );
    assert_eq!(
        missing, 0,
        "sessions that did not resync within {RESYNC_BOUND:?}"
    );
    assert!(
        p99 < PING_P99_BOUND,
        "the bystander's p99 ping was {p99:?} (max {max:?})"
    );
    assert!(
        max < PING_MAX_BOUND,
        "the bystander's ping reached {max:?} (p99 {p99:?})"
    );
    drop(clients);
    drop(b);
}
