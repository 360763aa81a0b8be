//! The `storm` scenario: N sessions lose their node at once and come back on another.
//!
//! Two `opentim serve` nodes share a PostgreSQL and a NATS, with the node's login admission at
//! its default (per-user rates off: the bench's one sender stands for many users). A few
//! pingers on node b ping every 10 ms throughout. Then, in one run:
//!
//! 1. **Fresh logins** (the baseline): N users who each have one message waiting log in to b
//!    all at once, as the SDK does (a login refused as overloaded is retried with jittered,
//!    doubling backoff), and sync their inbox to its head.
//! 2. **Storm**: N other users are logged in to node a, synced, and sent one message each
//!    while online. Node a is killed (SIGKILL); each session notices, waits its first backoff
//!    (200 ms, jittered, as the SDK does), reconnects to b, logs in, and syncs to the head.
//!
//! Both phases end when the last session has synced (and found its message); the storm's
//! clock starts at the kill. The pingers' round trips are taken during each phase and while
//! idle before them; the storm's figures are also given as ratios of the fresh logins'.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use opentim_protocol::op::sync::{Sync, SyncRequest, SyncResponse};
use opentim_protocol::{decode_body, encode_request, ServerFrame};
use tokio_tungstenite::tungstenite::Message as Ws;

use super::opentim::{send_frame, Conn, OpentimDriver, Target};
use super::stats::{percentile, Clock};
use super::{fig, BenchArgs, Figure, ServerUnderTest};

/// Text of the message each session waits for.
const MARK: &str = "storm-mark";
/// Pinging sessions on the surviving node.
const PINGERS: usize = 4;
/// The SDK's defaults: first and largest reconnect delay.
const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Longest a phase may take before the bench gives up on it.
const PHASE_LIMIT: Duration = Duration::from_secs(180);

/// A node of the cluster under test.
struct Node {
    server: ServerUnderTest,
    driver: Arc<OpentimDriver>,
}

impl Node {
    async fn start(args: &BenchArgs, name: &str, tag: &str, clock: Clock) -> Result<Node, String> {
        let database = args.database_url.clone().ok_or(
            "storm needs --database-url (PostgreSQL) and --nats-url: two nodes share them",
        )?;
        let nats = args.nats_url.clone().ok_or("storm needs --nats-url")?;
        let mut extra = [
            "--database-url",
            &database,
            "--database-schema",
            &format!("bench_{tag}"),
            "--nats-url",
            &nats,
            "--nats-prefix",
            tag,
            "--node-id",
            name,
        ]
        .map(String::from)
        .to_vec();
        if let Some(rate) = args.max_logins_per_sec {
            extra.extend(["--max-logins-per-sec".into(), rate.to_string()]);
        }
        let server = ServerUnderTest::spawn(args, &extra, true).await?;
        let driver = Arc::new(OpentimDriver::new(
            Target {
                url: server.url.clone(),
                sdkappid: server.sdkappid,
                secret_key: server.secret_key.clone(),
            },
            clock,
        ));
        Ok(Node { server, driver })
    }
}

fn jittered(d: Duration) -> Duration {
    d.mul_f64(0.75 + rand::random::<f64>() * 0.5)
}

/// Log in as the SDK does: a refused or failed attempt is retried after a jittered, doubling
/// backoff. Returns the connection and how many attempts were refused as overloaded.
async fn login_retrying(d: &OpentimDriver, user: &str) -> Result<(Conn, u64), String> {
    let mut backoff = BACKOFF_MIN;
    let mut overloaded = 0;
    let deadline = Instant::now() + PHASE_LIMIT;
    loop {
        match d.connect(user).await {
            Ok(ws) => return Ok((ws, overloaded)),
            Err(e) if Instant::now() < deadline => {
                if e.contains("-10114") {
                    overloaded += 1;
                }
                tokio::time::sleep(jittered(backoff)).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            Err(e) => return Err(format!("{user}: {e}")),
        }
    }
}

/// Sync from the start of the inbox to its head; the marked message must be in it.
async fn sync_to_head(ws: &mut Conn) -> Result<(), String> {
    let (mut id, mut cursor, mut marked) = (100, 0, false);
    let request = |id: u64, cursor: u64| {
        Ws::text(encode_request::<Sync>(
            id,
            &SyncRequest { cursor, limit: 200 },
        ))
    };
    ws.send(request(id, cursor))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        let frame = match ws.next().await {
            Some(Ok(Ws::Text(t))) => t,
            Some(Ok(_)) => continue,
            _ => return Err("closed while syncing".into()),
        };
        if !frame.starts_with("{\"reply\":") {
            continue; // a live event
        }
        let f = ServerFrame::decode(&frame).map_err(|e| e.to_string())?;
        if f.reply != Some(id) {
            continue;
        }
        if f.code != 0 {
            // Refused for now (-10113 / 20004): ask again shortly.
            tokio::time::sleep(jittered(BACKOFF_MIN)).await;
            ws.send(request(id, cursor))
                .await
                .map_err(|e| e.to_string())?;
            continue;
        }
        let page = decode_body::<SyncResponse>(f.body).map_err(|e| e.to_string())?;
        marked |= frame.contains(MARK);
        if let Some(last) = page.entries.last() {
            cursor = last.cursor;
        }
        if !page.more {
            return match marked {
                true => Ok(()),
                false => Err("synced to the head without the message sent to it".into()),
            };
        }
        id += 1;
        ws.send(request(id, cursor))
            .await
            .map_err(|e| e.to_string())?;
    }
}

/// Ping every 10 ms until `stop`; records (time since `t0`, round trip).
async fn pinger(
    d: Arc<OpentimDriver>,
    user: String,
    t0: Instant,
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<(Duration, Duration)>>>,
) -> Result<(), String> {
    let mut ws = d.connect(&user).await?;
    let mut id = 1u64;
    while !stop.load(Ordering::Relaxed) {
        id += 1;
        let sent = Instant::now();
        ws.send(Ws::text(format!("{{\"op\":\"ping\",\"id\":{id}}}")))
            .await
            .map_err(|e| e.to_string())?;
        let needle = format!("{{\"reply\":{id},");
        loop {
            match ws.next().await {
                Some(Ok(Ws::Text(t))) if t.starts_with(&needle) => break,
                Some(Ok(_)) => continue,
                _ => return Err("pinger disconnected".into()),
            }
        }
        let rtt = sent.elapsed();
        samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((sent - t0, rtt));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Send one marked message to each of `users` from `sender` on node `d`, pipelined, numbered
/// from `first` (the client message ids must differ between calls); waits for every answer
/// and returns how many failed.
async fn mark_all(
    d: &OpentimDriver,
    sender: &str,
    users: &[String],
    first: u64,
) -> Result<u64, String> {
    let ws = d.connect(sender).await?;
    let (mut sink, mut stream) = ws.split();
    let n = users.len();
    let answers = tokio::spawn(async move {
        let (mut got, mut failed) = (0, 0u64);
        while got < n {
            match stream.next().await {
                Some(Ok(Ws::Text(t))) if t.starts_with("{\"reply\":") => {
                    got += 1;
                    if !t.contains("\"code\":0,") {
                        failed += 1;
                    }
                }
                Some(Ok(_)) => {}
                _ => return failed + (n - got) as u64,
            }
        }
        failed
    });
    for (i, to) in users.iter().enumerate() {
        let n = first + i as u64;
        let frame = send_frame(n + 2, sender, to, n, MARK);
        sink.feed(Ws::text(frame))
            .await
            .map_err(|e| e.to_string())?;
    }
    sink.flush().await.map_err(|e| e.to_string())?;
    answers.await.map_err(|e| e.to_string())
}

/// Round trips recorded within `[from, to)`, sorted, in ns.
fn window(samples: &[(Duration, Duration)], from: Duration, to: Duration) -> Vec<u64> {
    let mut v: Vec<u64> = samples
        .iter()
        .filter(|(at, _)| *at >= from && *at < to)
        .map(|(_, rtt)| rtt.as_nanos() as u64)
        .collect();
    v.sort_unstable();
    v
}

/// Run the scenario with `args.connections` sessions per phase.
pub async fn run(
    args: &BenchArgs,
    tag: &str,
    quiet: bool,
) -> Result<(serde_json::Value, Vec<Figure>), String> {
    let n = args.connections as usize;
    let clock = Clock::new();
    let mut a = Node::start(args, "a", tag, clock).await?;
    let b = Node::start(args, "b", tag, clock).await?;
    let fresh: Vec<String> = (0..n).map(|i| format!("{tag}f{i}")).collect();
    let stormed: Vec<String> = (0..n).map(|i| format!("{tag}s{i}")).collect();
    let sender = format!("{tag}sender");
    let pingers: Vec<String> = (0..PINGERS).map(|i| format!("{tag}p{i}")).collect();
    for d in [&a.driver, &b.driver] {
        d.premint(fresh.iter().chain(&stormed).chain(&pingers).cloned());
        d.premint([sender.clone()]);
    }
    let say = |s: String| {
        if !quiet {
            eprintln!("  {s}");
        }
    };

    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    // The pingers run on a thread and runtime of their own, so the bench's thousands of
    // sessions do not delay their wake-ups: what they measure is the server.
    let ping_thread = {
        let (d, users, stop, samples) = (
            b.driver.clone(),
            pingers.clone(),
            stop.clone(),
            samples.clone(),
        );
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let tasks = users
                    .into_iter()
                    .map(|u| tokio::spawn(pinger(d.clone(), u, t0, stop.clone(), samples.clone())));
                for t in futures_util::future::join_all(tasks).await {
                    t.map_err(|e| e.to_string())??;
                }
                Ok::<(), String>(())
            })
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_end = t0.elapsed();

    // 1. Fresh logins, each with a message waiting.
    let failed_marks = mark_all(&b.driver, &sender, &fresh, 0).await?;
    let fresh_overloaded = Arc::new(AtomicU64::new(0));
    let fresh_start = t0.elapsed();
    let started = Instant::now();
    let tasks: Vec<_> = fresh
        .iter()
        .map(|u| {
            let (d, u, over) = (b.driver.clone(), u.clone(), fresh_overloaded.clone());
            tokio::spawn(async move {
                let (mut ws, refused) = login_retrying(&d, &u).await?;
                over.fetch_add(refused, Ordering::Relaxed);
                sync_to_head(&mut ws).await?;
                let took = started.elapsed();
                let _ = ws.close(None).await;
                Ok::<Duration, String>(took)
            })
        })
        .collect();
    let fresh_times = collect(tasks).await;
    let fresh_end = t0.elapsed();
    say(format!(
        "fresh: {} of {n} logged in and synced in {:.2} s",
        fresh_times.0.len(),
        fresh_times.0.last().map_or(0.0, |d| d.as_secs_f64())
    ));
    tokio::time::sleep(Duration::from_secs(1)).await;

    // 2. The storm: N sessions on node a, which dies.
    let killed_at: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let storm_overloaded = Arc::new(AtomicU64::new(0));
    let ready = Arc::new(tokio::sync::Semaphore::new(0));
    let admit = Arc::new(tokio::sync::Semaphore::new(args.in_flight.max(1)));
    let tasks: Vec<_> = stormed
        .iter()
        .map(|u| {
            let (da, db, u) = (a.driver.clone(), b.driver.clone(), u.clone());
            let (killed_at, over, ready, admit) = (
                killed_at.clone(),
                storm_overloaded.clone(),
                ready.clone(),
                admit.clone(),
            );
            tokio::spawn(async move {
                let mut ws = {
                    let _turn = admit.acquire().await.map_err(|e| e.to_string())?;
                    let (mut ws, _) = login_retrying(&da, &u).await?;
                    ws.send(Ws::text(encode_request::<Sync>(
                        2,
                        &SyncRequest {
                            cursor: 0,
                            limit: 200,
                        },
                    )))
                    .await
                    .map_err(|e| e.to_string())?;
                    ws.next().await; // the (empty) first page
                    ws
                };
                ready.add_permits(1);
                // Hold the session until its node dies.
                while let Some(Ok(_)) = ws.next().await {}
                tokio::time::sleep(jittered(BACKOFF_MIN)).await;
                let (mut ws, refused) = login_retrying(&db, &u).await?;
                over.fetch_add(refused, Ordering::Relaxed);
                sync_to_head(&mut ws).await?;
                let took = killed_at.get().map(|t| t.elapsed()).unwrap_or_default();
                let _ = ws.close(None).await;
                Ok::<Duration, String>(took)
            })
        })
        .collect();
    let all_ready = ready.acquire_many(n as u32);
    tokio::time::timeout(PHASE_LIMIT, all_ready)
        .await
        .map_err(|_| "the storm's sessions did not all log in to node a")?
        .map_err(|e| e.to_string())?
        .forget();
    // Their messages arrive while they are online on a (the sessions let them pass).
    let failed_marks = failed_marks + mark_all(&b.driver, &sender, &stormed, n as u64).await?;
    say(format!("storm: {n} sessions on node a; killing it"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let storm_start = t0.elapsed();
    let _ = killed_at.set(Instant::now());
    a.server.kill().await;
    let storm_times = collect(tasks).await;
    let storm_end = t0.elapsed();
    say(format!(
        "storm: {} of {n} back on node b and synced {:.2} s after the kill",
        storm_times.0.len(),
        storm_times.0.last().map_or(0.0, |d| d.as_secs_f64())
    ));
    stop.store(true, Ordering::Relaxed);
    tokio::task::spawn_blocking(move || ping_thread.join())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|_| "the pinger thread panicked")??;
    b.server.stop().await;
    a.server.stop().await;

    let samples = samples.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let idle = window(&samples, Duration::ZERO, idle_end);
    let fresh_pings = window(&samples, fresh_start, fresh_end);
    let storm_pings = window(&samples, storm_start, storm_end);
    let ms = |ns: u64| ns as f64 / 1e6;
    let last = |t: &[Duration]| t.last().map_or(0.0, |d| d.as_secs_f64());
    let figures = vec![
        fig("idle ping p99", ms(percentile(&idle, 99.0)), "ms"),
        fig("fresh: all synced", last(&fresh_times.0), "s"),
        fig(
            "fresh: synced p50",
            fresh_times.0.get(n / 2).map_or(0.0, |d| d.as_secs_f64()),
            "s",
        ),
        fig("fresh: ping p99", ms(percentile(&fresh_pings, 99.0)), "ms"),
        fig(
            "fresh: ping max",
            ms(fresh_pings.last().copied().unwrap_or(0)),
            "ms",
        ),
        fig(
            "fresh: refused -10114",
            fresh_overloaded.load(Ordering::Relaxed) as f64,
            "login",
        ),
        fig("storm: all resynced", last(&storm_times.0), "s"),
        fig(
            "storm: resynced p50",
            storm_times.0.get(n / 2).map_or(0.0, |d| d.as_secs_f64()),
            "s",
        ),
        fig("storm: ping p99", ms(percentile(&storm_pings, 99.0)), "ms"),
        fig(
            "storm: ping max",
            ms(storm_pings.last().copied().unwrap_or(0)),
            "ms",
        ),
        fig(
            "storm: refused -10114",
            storm_overloaded.load(Ordering::Relaxed) as f64,
            "login",
        ),
        fig(
            "storm/fresh time",
            last(&storm_times.0) / last(&fresh_times.0).max(1e-9),
            "x",
        ),
        fig(
            "storm/fresh ping p99",
            percentile(&storm_pings, 99.0) as f64 / percentile(&fresh_pings, 99.0).max(1) as f64,
            "x",
        ),
        fig(
            "failures",
            (fresh_times.1 + storm_times.1) as f64 + failed_marks as f64,
            "session",
        ),
    ];
    Ok((
        serde_json::json!({"sessions": n, "pingers": PINGERS, "backoff_min_ms": BACKOFF_MIN.as_millis(), "max_logins_per_sec": args.max_logins_per_sec}),
        figures,
    ))
}

/// Wait for every task (bounded); the successes' durations, sorted, and the failure count.
async fn collect(
    tasks: Vec<tokio::task::JoinHandle<Result<Duration, String>>>,
) -> (Vec<Duration>, u64) {
    let mut ok = Vec::new();
    let mut failed = 0;
    let mut first_error = None;
    let deadline = tokio::time::Instant::now() + PHASE_LIMIT;
    for t in tasks {
        match tokio::time::timeout_at(deadline, t).await {
            Ok(Ok(Ok(d))) => ok.push(d),
            Ok(Ok(Err(e))) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
            Ok(Err(e)) => {
                failed += 1;
                first_error.get_or_insert(e.to_string());
            }
            Err(_) => {
                failed += 1;
                first_error.get_or_insert(format!("not done within {PHASE_LIMIT:?}"));
            }
        }
    }
    if let Some(e) = first_error {
        eprintln!("  first failure: {e}");
    }
    ok.sort();
    (ok, failed)
}
