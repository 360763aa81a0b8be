//! Admission and flood limits over real sockets: a user sending ten times its rate is throttled
//! with the documented codes while another user's sends keep their latency, and a burst of
//! logins is admitted at the node's login rate.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use opentim_model::codes;
use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_protocol::op::login::{Login, LoginRequest};
use opentim_protocol::op::send::{SendMessage, SendRequest};
use opentim_protocol::op::sync::{Sync, SyncRequest};
use opentim_protocol::{encode_request, PROTOCOL_VERSION};
use opentim_server::{Config, RunningServer};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::gateway::{connect, http_get, logged_in, next_frame, Conn, KEY};

async fn server(dir: &std::path::Path, tune: impl FnOnce(&mut Config)) -> RunningServer {
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        secret_key: KEY.into(),
        ..Config::default()
    };
    tune(&mut config);
    opentim_server::start(config).await.unwrap()
}

fn send_frame(id: u64, to: &str, text: &str) -> String {
    encode_request::<SendMessage>(
        id,
        &SendRequest {
            client_msg_id: format!("{to}-{id}-{text}"),
            conv_id: to.into(),
            conv_type: ConvType::C2C,
            rand: id,
            message: Message::text(to, ConvType::C2C, text),
        },
    )
}

/// Read replies until `ids` are all answered; their codes by id.
async fn codes_of(c: &mut Conn, n: usize) -> Vec<i64> {
    let mut out = Vec::new();
    while out.len() < n {
        let f = next_frame(c).await.expect("a reply");
        if f["reply"].is_u64() {
            out.push(f["code"].as_i64().unwrap());
        }
    }
    out
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

/// `calm` sends to `friend` every 20 ms for `secs`; the time each send took to be acknowledged.
async fn calm_sends(s: &RunningServer, from: &str, secs: f64) -> Vec<Duration> {
    let mut c = logged_in(s, from).await;
    let mut took = Vec::new();
    let start = Instant::now();
    let mut id = 10;
    while start.elapsed().as_secs_f64() < secs {
        id += 1;
        let t = Instant::now();
        c.send(Ws::text(send_frame(id, "friend", "hello")))
            .await
            .unwrap();
        assert_eq!(
            codes_of(&mut c, 1).await,
            [0],
            "the calm user is never throttled"
        );
        took.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_sending_ten_times_its_rate_is_throttled_and_others_keep_their_latency() {
    const RATE: u32 = 50;
    const SECS: f64 = 3.0;
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), |c| {
        c.max_sends_per_sec = RATE;
        c.max_frames_per_sec = 40 * RATE; // only the send rate is under test here
        c.rate_burst_secs = 1;
        c.sqlite_synchronous = "normal".into();
    })
    .await;
    let _friend = logged_in(&s, "friend").await;
    drop(logged_in(&s, "sink").await); // the flood's receiver exists
    let before = p99(calm_sends(&s, "calm", 1.0).await);

    // The flooder: 10 × RATE messages a second, pipelined, topped up every 5 ms.
    let mut flood = logged_in(&s, "flooder").await;
    let flooding = async {
        let start = Instant::now();
        let mut sent = 0u64;
        let mut codes = Vec::new();
        while start.elapsed().as_secs_f64() < SECS {
            let due = (start.elapsed().as_secs_f64() * 10.0 * f64::from(RATE)) as u64 + 1;
            while sent < due {
                sent += 1;
                flood
                    .feed(Ws::text(send_frame(100 + sent, "sink", "spam")))
                    .await
                    .unwrap();
            }
            flood.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
            // Read what has arrived so far, without waiting.
            while let Some(Some(Ok(Ws::Text(t)))) = flood.next().now_or_never() {
                let f: Value = serde_json::from_str(&t).unwrap();
                codes.push(f["code"].as_i64().unwrap());
            }
        }
        let rest = sent as usize - codes.len();
        codes.extend(codes_of(&mut flood, rest).await);
        (sent, codes, start.elapsed())
    };
    let ((sent, codes, took), during) = tokio::join!(flooding, calm_sends(&s, "calm2", SECS - 0.5));
    let during = p99(during);
    let ok = codes.iter().filter(|c| **c == 0).count() as f64;
    let throttled = codes
        .iter()
        .filter(|c| **c == i64::from(codes::ERR_SVR_COMM_REQ_FREQ_LIMIT))
        .count();
    println!(
        "flooder: {sent} sends in {took:?}, {ok} stored, {throttled} refused; calm p99 {before:?} \
         before, {during:?} during"
    );
    assert!(
        sent as f64 >= 9.5 * f64::from(RATE) * SECS,
        "the flood reached {sent}"
    );
    assert_eq!(
        ok as usize + throttled,
        codes.len(),
        "only the two outcomes: {codes:?}"
    );
    // The allowance: a burst of one second's worth, then RATE a second.
    let allowed = f64::from(RATE) * (1.0 + took.as_secs_f64());
    assert!(
        ok <= allowed * 1.1 && ok >= allowed * 0.6,
        "{ok} stored, {allowed} allowed"
    );
    assert!(
        during < Duration::from_millis(100) && during < before * 4 + Duration::from_millis(20),
        "the calm user's p99 went from {before:?} to {during:?}"
    );

    // Nothing refused was stored: the sink's inbox holds exactly the acknowledged sends.
    let mut sink = logged_in(&s, "sink").await;
    sink.send(Ws::text(encode_request::<Sync>(
        2,
        &SyncRequest {
            cursor: 0,
            limit: 1000,
        },
    )))
    .await
    .unwrap();
    let page = next_frame(&mut sink).await.unwrap();
    let entries = page["body"]["entries"].as_array().unwrap().len();
    assert_eq!(entries, ok as usize);
    let metrics = http_get(&s, "/metrics").await;
    assert!(
        metrics.contains(&format!("\nopentim_throttled_sends_total {throttled}\n")),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn requests_beyond_the_frame_rate_are_refused_unserved() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), |c| {
        c.max_frames_per_sec = 20;
        c.rate_burst_secs = 1;
    })
    .await;
    let mut c = logged_in(&s, "pinger").await;
    for id in 2..102 {
        c.feed(Ws::text(format!(r#"{{"op":"ping","id":{id}}}"#)))
            .await
            .unwrap();
    }
    c.flush().await.unwrap();
    let got = codes_of(&mut c, 100).await;
    let ok = got.iter().filter(|c| **c == 0).count();
    let limited = got
        .iter()
        .filter(|c| **c == i64::from(codes::ERR_SVR_SSO_FREQ_LIMIT))
        .count();
    assert_eq!(ok + limited, 100, "{got:?}");
    assert!((20..=23).contains(&ok), "{ok} served of a burst of 20");
    // The allowance comes back at the rate, and logging out is always served.
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.send(Ws::text(r#"{"op":"ping","id":200}"#)).await.unwrap();
    assert_eq!(codes_of(&mut c, 1).await, [0]);
    for id in 300..340 {
        c.feed(Ws::text(format!(r#"{{"op":"ping","id":{id}}}"#)))
            .await
            .unwrap();
    }
    c.send(Ws::text(r#"{"op":"account.logout","id":400}"#))
        .await
        .unwrap();
    let mut logout = None;
    while let Some(f) = next_frame(&mut c).await {
        if f["reply"] == 400 {
            logout = Some(f["code"].clone());
        }
    }
    assert_eq!(logout, Some(Value::from(0)));
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_logins_is_admitted_at_the_login_rate() {
    const RATE: u32 = 40;
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), |c| {
        c.max_logins_per_sec = RATE;
        c.login_queue_secs = 0.5;
    })
    .await;
    // Every connection is open before the first login is sent, so the burst arrives at once
    // however slowly a busy machine opens sockets.
    let conns = futures_util::future::join_all((0..60).map(|_| connect(&s))).await;
    let start = Instant::now();
    let logins = conns.into_iter().enumerate().map(|(i, mut c)| async move {
        let user = format!("u{i}");
        let sig = opentim_server::auth::mint(
            KEY,
            1_400_000_000,
            &user,
            opentim_server::clock::now_secs(),
            600,
        );
        c.send(Ws::text(encode_request::<Login>(
            1,
            &LoginRequest {
                protocol: PROTOCOL_VERSION,
                user_id: user,
                user_sig: sig,
                platform: 0,
            },
        )))
        .await
        .unwrap();
        let f = next_frame(&mut c).await.unwrap();
        (f["code"].as_i64().unwrap(), start.elapsed(), c)
    });
    let results = futures_util::future::join_all(logins).await;
    let admitted: Vec<Duration> = results.iter().filter(|r| r.0 == 0).map(|r| r.1).collect();
    let refused = results
        .iter()
        .filter(|r| r.0 == i64::from(codes::ERR_SVR_SSO_OVERLOAD))
        .count();
    assert_eq!(admitted.len() + refused, 60, "only the two outcomes");
    // Half a second of queue at 40 a second, plus the small burst.
    assert!(
        (18..=26).contains(&admitted.len()),
        "{} admitted",
        admitted.len()
    );
    let last = admitted.iter().max().unwrap();
    assert!(
        *last >= Duration::from_millis(400),
        "admitted over the queue's length, not at once: the last after {last:?}"
    );
    let metrics = http_get(&s, "/metrics").await;
    assert!(
        metrics.contains(&format!("\nopentim_logins_overloaded_total {refused}\n")),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

use futures_util::FutureExt;
