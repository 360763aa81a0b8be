//! `opentim-bench`: a load generator for opentim (and, through adapters, for other servers). It
//! is its own binary, so the shipped `opentim` carries no XMPP client and no relay.
//!
//! Each scenario is bounded in count and time and stops by itself. The server under test is
//! started by the bench as a separate process (so its CPU and memory can be read from /proc),
//! or given by address. `--baseline` runs the same scenario against a minimal WebSocket relay
//! of the bench itself and prints every figure also as a ratio of that ceiling.

mod baseline;
mod cache;
mod driver;
mod friends;
mod group;
mod media;
mod opentim;
mod rest;
mod sdk;
mod stats;
mod storm;
mod xmpp;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde::Serialize;

use driver::{Driver, PairPlan};
use stats::{percentile, Clock, Stats};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// P pairs, N messages each, as fast as the window allows: delivered/s, losses.
    One2one,
    /// P pairs at a fixed total rate R for S seconds: send-to-receive latency percentiles.
    Rate,
    /// One sender to a group of --members members of whom --online are connected, at
    /// --group-rate or flat out: deliveries/s, latency, server CPU per delivery and store rows
    /// per message, beside the bench relay broadcasting to as many sockets.
    Group,
    /// C logins with K in flight: logins/s and login time percentiles.
    Login,
    /// C idle sessions: server memory per session.
    Idle,
    /// Conversations of M/10 and M messages side by side: time per page of 20 and of 100 of
    /// the server's history (roaming), and the ratio of the two sizes.
    History,
    /// The SDK's local cache at M/10 and M messages side by side (1,000 conversations, one of
    /// them big): the conversation list, the newest page of 20, a keyword search; and the
    /// ratio of the two sizes. No server.
    Cache,
    /// one2one through the Rust SDK (local cache and all) instead of raw frames.
    Sdk,
    /// P raw senders blast N messages each at one Rust SDK client: messages per second that
    /// one client stores in its local cache and announces.
    SdkReceive,
    /// A user with --friends friends beside one with a hundredth of them, through the SDK: the
    /// friend list on a new device, a device's resync after one change made while it was
    /// offline (time and entries fetched), and a search by id; the ratio of the two sizes.
    Friends,
    /// Files of 1 MB and --media-mb MB sent and downloaded through the SDK, beside a plain
    /// HTTP copy of the same bytes over loopback; server memory while 20 uploads run at once.
    Media,
    /// An app back-end's sends through the REST API (sendmsg with --in-flight at once,
    /// batchsendmsg to 500) beside SDK sends in the same run, and what a before-send webhook
    /// answering at once adds to an SDK send's ack (--messages sends each).
    Rest,
    /// Two nodes on PostgreSQL + NATS: C sessions lose node a at once and reconnect to b;
    /// time until all have resynced and b's ping p99 meanwhile, beside C fresh logins to b
    /// (needs --database-url and --nats-url).
    Storm,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DriverKind {
    /// opentim's WebSocket protocol.
    Opentim,
    /// An XMPP server (ejabberd, prosody) over plain c2s with SASL ANONYMOUS.
    Xmpp,
}

#[derive(Args, Clone)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    scenario: Scenario,
    /// Sender/receiver pairs (one2one, rate, sdk).
    #[arg(long, default_value_t = 50)]
    pairs: u64,
    /// Messages per pair (one2one, sdk).
    #[arg(long, default_value_t = 2000)]
    messages: u64,
    /// Total messages per second (rate).
    #[arg(long, default_value_t = 10_000.0)]
    rate: f64,
    /// Duration in seconds (rate).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Unacknowledged sends per sender.
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// Connections (login, idle; sessions per phase of storm).
    #[arg(long, default_value_t = 2000)]
    connections: u64,
    /// Logins or connects in flight at once (login, idle).
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Messages of the larger history (history, cache); the smaller one has a tenth.
    #[arg(long, default_value_t = 100_000)]
    history: u64,
    /// Protocol adapter.
    #[arg(long, value_enum, default_value_t = DriverKind::Opentim)]
    driver: DriverKind,
    /// An opentim server to use instead of starting one (ws://host:port).
    #[arg(long)]
    server: Option<String>,
    /// Secret key of --server's app (to mint UserSigs).
    #[arg(long, env = "OPENTIM_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// SDKAppID of --server.
    #[arg(long, default_value_t = 1_400_000_000)]
    sdkappid: u64,
    /// Pid of the server under test when it was not started by the bench (for CPU and memory).
    #[arg(long)]
    server_pid: Option<u32>,
    /// The `opentim` binary the bench starts as the server under test. Default: the one next
    /// to this program.
    #[arg(long)]
    opentim: Option<std::path::PathBuf>,
    /// XMPP server address for --driver xmpp.
    #[arg(long, default_value = "127.0.0.1:5222")]
    xmpp: String,
    /// XMPP domain for --driver xmpp.
    #[arg(long, default_value = "bench.local")]
    xmpp_domain: String,
    /// Also run the scenario against the bench's minimal WebSocket relay and print ratios.
    #[arg(long)]
    baseline: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// sdk-receive: the SDK client logs in only after every message is sent, and syncs them.
    #[arg(long)]
    offline: bool,
    /// PostgreSQL URL for the two nodes of `storm` (they get a schema of their own).
    #[arg(long)]
    database_url: Option<String>,
    /// NATS URL for the two nodes of `storm` (they get a subject prefix of their own).
    #[arg(long)]
    nats_url: Option<String>,
    /// `storm`: the nodes' max_logins_per_sec (0: no admission). Default: the server's default.
    #[arg(long)]
    max_logins_per_sec: Option<u32>,
    /// Members of the group (group).
    #[arg(long, default_value_t = 1000)]
    members: u64,
    /// Members connected while the group's messages are sent (group).
    #[arg(long, default_value_t = 1000)]
    online: u64,
    /// Messages per second of the group's sender; 0: as fast as the window allows (group).
    #[arg(long, default_value_t = 0.0)]
    group_rate: f64,
    /// Friends of the larger user (friends; 100 to 3,000, the server's max_friends); the
    /// baseline user has a hundredth of them.
    #[arg(long, default_value_t = 3000)]
    friends: u64,
    /// Size in MB of the larger file of `media` (the smaller is 1 MB).
    #[arg(long, default_value_t = 50)]
    media_mb: u64,
    /// Seconds to wait for deliveries after the last send before counting the rest as lost.
    #[arg(long, default_value_t = 20.0)]
    drain_timeout: f64,
}

#[derive(Serialize, Clone, Debug)]
pub struct Figure {
    name: String,
    value: f64,
    unit: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct ServerUsage {
    pid: u32,
    cpu_seconds: f64,
    rss_kb_before: u64,
    rss_kb_after: u64,
}

#[derive(Serialize, Clone, Debug)]
pub struct Report {
    scenario: Scenario,
    driver: String,
    params: serde_json::Value,
    figures: Vec<Figure>,
    server: Option<ServerUsage>,
    baseline: Option<Box<Report>>,
}

fn fig(name: &str, value: f64, unit: &str) -> Figure {
    Figure {
        name: name.into(),
        value,
        unit: unit.into(),
    }
}

/// Linux /proc readings of a process: (CPU seconds, resident KB).
fn proc_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the full line: 11 and 12 after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    // USER_HZ is 100 on Linux for every architecture the kernel exposes to user space.
    Some((ticks / 100.0, rss))
}

/// The server under test.
struct ServerUnderTest {
    url: String,
    secret_key: String,
    sdkappid: u64,
    pid: Option<u32>,
    child: Option<tokio::process::Child>,
    _dir: Option<tempfile::TempDir>,
}

impl ServerUnderTest {
    async fn start(args: &BenchArgs) -> Result<Self, String> {
        if let Some(url) = &args.server {
            let secret_key = args
                .secret_key
                .clone()
                .ok_or("--server needs --secret-key (or OPENTIM_SECRET_KEY)")?;
            return Ok(ServerUnderTest {
                url: url.clone(),
                secret_key,
                sdkappid: args.sdkappid,
                pid: args.server_pid,
                child: None,
                _dir: None,
            });
        }
        Self::spawn(args, &[], false).await
    }

    /// Start the `opentim` binary with `extra` flags. The bench measures capacity, so the
    /// per-user rates are off (its senders stand for many users), and so is the node's login
    /// rate unless `login_limit` (the storm scenario measures it at its default).
    async fn spawn(args: &BenchArgs, extra: &[String], login_limit: bool) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let ready = dir.path().join("ready");
        let key = format!("bench-{}", std::process::id());
        let exe = opentim_exe(args.opentim.as_deref())?;
        let mut command = tokio::process::Command::new(&exe);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--ready-file"])
            .arg(&ready)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args([
                "--secret-key",
                &key,
                "--sdkappid",
                &args.sdkappid.to_string(),
            ])
            .args(["--max-connections", "1000000"])
            .args(extra)
            .env("OPENTIM_LOG", "warn")
            // Environment, not flags, so a server older than these settings still starts.
            .env("OPENTIM_MAX_SENDS_PER_SEC", "0")
            .env("OPENTIM_MAX_FRAMES_PER_SEC", "0")
            .env_remove("OPENTIM_DATABASE_URL")
            .env_remove("OPENTIM_NATS_URL")
            .env_remove("OPENTIM_CONFIG")
            .kill_on_drop(true);
        match login_limit {
            true => command.env_remove("OPENTIM_MAX_LOGINS_PER_SEC"),
            false => command.env("OPENTIM_MAX_LOGINS_PER_SEC", "0"),
        };
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start the server {}: {e}", exe.display()))?;
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            if let Ok(a) = std::fs::read_to_string(&ready) {
                if a.ends_with('\n') {
                    break a.trim().to_owned();
                }
            }
            if Instant::now() > deadline {
                return Err("the server did not start within 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Ok(ServerUnderTest {
            url: format!("ws://{addr}/ws"),
            secret_key: key,
            sdkappid: args.sdkappid,
            pid,
            child: Some(child),
            _dir: Some(dir),
        })
    }

    /// SIGKILL, as a crash would.
    async fn kill(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }

    async fn stop(mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }
}

/// Print progress once a second until `done` is set.
fn progress(stats: Arc<Stats>, quiet: bool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if quiet {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tick.tick().await;
            eprintln!(
                "  sent {} acked {} delivered {} lost {} dup {}",
                stats.sent.load(Ordering::Relaxed),
                stats.acked.load(Ordering::Relaxed),
                stats.delivered.load(Ordering::Relaxed),
                stats.lost.load(Ordering::Relaxed),
                stats.duplicates.load(Ordering::Relaxed)
            );
        }
    })
}

/// Run `pairs` sender/receiver pairs named `<prefix>s<p>` / `<prefix>r<p>`. On opentim their
/// UserSigs are minted first, so minting is not measured.
async fn run_pairs(
    driver: Arc<dyn Driver>,
    opentim: Option<&opentim::OpentimDriver>,
    prefix: &str,
    pairs: u64,
    plan: PairPlan,
    quiet: bool,
) -> Result<Arc<Stats>, String> {
    if let Some(o) = opentim {
        o.premint((0..pairs).flat_map(|p| [format!("{prefix}s{p}"), format!("{prefix}r{p}")]));
    }
    let stats = Arc::new(Stats::new());
    let ready = Arc::new(tokio::sync::Barrier::new(pairs as usize));
    let ticker = progress(stats.clone(), quiet);
    let mut tasks = Vec::new();
    for p in 0..pairs {
        let (d, s, r) = (driver.clone(), stats.clone(), ready.clone());
        let (from, to) = (format!("{prefix}s{p}"), format!("{prefix}r{p}"));
        tasks.push(tokio::spawn(async move {
            d.run_pair(from, to, plan, r, s).await
        }));
    }
    let mut first_err = None;
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => first_err = first_err.or(Some(e)),
            Err(e) => first_err = first_err.or(Some(e.to_string())),
        }
    }
    ticker.abort();
    match first_err {
        Some(e) => Err(format!("{}: {e}", driver.name())),
        None => Ok(stats),
    }
}

fn delivery_figures(stats: &Stats, expected: u64) -> Vec<Figure> {
    let lat = stats.latencies();
    vec![
        fig("delivered/s", stats.delivery_rate(), "msg/s"),
        fig(
            "delivered",
            stats.delivered.load(Ordering::Relaxed) as f64,
            "msg",
        ),
        fig("expected", expected as f64, "msg"),
        fig("lost", stats.lost.load(Ordering::Relaxed) as f64, "msg"),
        fig(
            "duplicates",
            stats.duplicates.load(Ordering::Relaxed) as f64,
            "msg",
        ),
        fig(
            "send failures",
            stats.failures.load(Ordering::Relaxed) as f64,
            "msg",
        ),
        fig("latency p50", percentile(&lat, 50.0) as f64 / 1e6, "ms"),
        fig("latency p99", percentile(&lat, 99.0) as f64 / 1e6, "ms"),
        fig(
            "latency max",
            lat.last().copied().unwrap_or(0) as f64 / 1e6,
            "ms",
        ),
    ]
}

async fn timed_ops(
    n: u64,
    in_flight: usize,
    op: impl Fn(u64) -> futures_util::future::BoxFuture<'static, Result<(), String>>,
) -> (Vec<u64>, u64, Duration) {
    use futures_util::stream::{self, StreamExt};
    let t0 = Instant::now();
    let results: Vec<Result<u64, String>> = stream::iter(0..n)
        .map(|i| {
            let f = op(i);
            async move {
                let t = Instant::now();
                f.await.map(|()| t.elapsed().as_nanos() as u64)
            }
        })
        .buffer_unordered(in_flight.max(1))
        .collect()
        .await;
    let elapsed = t0.elapsed();
    let failures = results.iter().filter(|r| r.is_err()).count() as u64;
    let mut ok: Vec<u64> = results.into_iter().filter_map(Result::ok).collect();
    ok.sort_unstable();
    (ok, failures, elapsed)
}

async fn run_scenario(
    args: &BenchArgs,
    driver: Arc<dyn Driver>,
    opentim: Option<Arc<opentim::OpentimDriver>>,
    sdk: Option<Arc<sdk::SdkDriver>>,
    pid: Option<u32>,
) -> Result<Report, String> {
    let before = pid.and_then(proc_usage);
    let quiet = args.json;
    let drain = Duration::from_secs_f64(args.drain_timeout);
    let run_tag = format!(
        "b{:x}",
        std::process::id() ^ (Instant::now().elapsed().subsec_nanos())
    );
    let (params, figures) = match args.scenario {
        Scenario::One2one | Scenario::Sdk => {
            let plan = PairPlan {
                messages: args.messages,
                rate: None,
                window: args.window,
                drain_timeout: drain,
            };
            let stats = run_pairs(
                driver.clone(),
                opentim.as_deref(),
                &run_tag,
                args.pairs,
                plan,
                quiet,
            )
            .await?;
            (
                serde_json::json!({"pairs": args.pairs, "messages_per_pair": args.messages, "window": args.window}),
                delivery_figures(&stats, args.pairs * args.messages),
            )
        }
        Scenario::SdkReceive => {
            let sdk = sdk.ok_or("sdk-receive needs the opentim driver")?;
            let raw = opentim
                .clone()
                .ok_or("sdk-receive needs the opentim driver")?;
            let senders: Vec<String> = (0..args.pairs).map(|k| format!("{run_tag}s{k}")).collect();
            let receiver = format!("{run_tag}r");
            raw.premint(senders.iter().cloned());
            let plan = PairPlan {
                messages: args.messages,
                rate: None,
                window: args.window,
                drain_timeout: drain,
            };
            let stats = Arc::new(Stats::new());
            let ticker = progress(stats.clone(), quiet);
            let run = sdk
                .receive_blast(raw, senders, receiver, plan, args.offline, stats.clone())
                .await;
            ticker.abort();
            run.map_err(|e| format!("opentim-sdk: {e}"))?;
            (
                serde_json::json!({"senders": args.pairs, "messages_per_sender": args.messages, "window": args.window, "offline": args.offline}),
                delivery_figures(&stats, args.pairs * args.messages),
            )
        }
        Scenario::Rate => {
            let per_pair = args.rate / args.pairs as f64;
            let messages = (per_pair * args.seconds).round().max(1.0) as u64;
            let plan = PairPlan {
                messages,
                rate: Some(per_pair),
                window: args.window.max(1024),
                drain_timeout: drain,
            };
            let stats = run_pairs(
                driver.clone(),
                opentim.as_deref(),
                &run_tag,
                args.pairs,
                plan,
                quiet,
            )
            .await?;
            (
                serde_json::json!({"pairs": args.pairs, "rate": args.rate, "seconds": args.seconds}),
                delivery_figures(&stats, args.pairs * messages),
            )
        }
        Scenario::Login => {
            if let Some(o) = &opentim {
                o.premint((0..args.connections).map(|i| format!("{run_tag}l{i}")));
            }
            let d = driver.clone();
            let tag = run_tag.clone();
            let (ok, failures, elapsed) = timed_ops(args.connections, args.in_flight, move |i| {
                let (d, u) = (d.clone(), format!("{tag}l{i}"));
                Box::pin(async move { d.login_once(u).await })
            })
            .await;
            (
                serde_json::json!({"connections": args.connections, "in_flight": args.in_flight}),
                vec![
                    fig(
                        "logins/s",
                        ok.len() as f64 / elapsed.as_secs_f64(),
                        "login/s",
                    ),
                    fig("login p50", percentile(&ok, 50.0) as f64 / 1e6, "ms"),
                    fig("login p99", percentile(&ok, 99.0) as f64 / 1e6, "ms"),
                    fig("failures", failures as f64, "login"),
                ],
            )
        }
        Scenario::Idle => {
            if let Some(o) = &opentim {
                o.premint((0..args.connections).map(|i| format!("{run_tag}i{i}")));
            }
            let held = Arc::new(std::sync::Mutex::new(Vec::new()));
            let (d, h, tag) = (driver.clone(), held.clone(), run_tag.clone());
            let rss_before = pid.and_then(proc_usage).map(|u| u.1);
            let (ok, failures, _) = timed_ops(args.connections, args.in_flight, move |i| {
                let (d, h, u) = (d.clone(), h.clone(), format!("{tag}i{i}"));
                Box::pin(async move {
                    let c = d.hold(u).await?;
                    h.lock().unwrap_or_else(|p| p.into_inner()).push(c);
                    Ok(())
                })
            })
            .await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let rss_after = pid.and_then(proc_usage).map(|u| u.1);
            let per = match (rss_before, rss_after) {
                (Some(b), Some(a)) if !ok.is_empty() => {
                    (a.saturating_sub(b)) as f64 / ok.len() as f64
                }
                _ => f64::NAN,
            };
            let open = held.lock().unwrap_or_else(|p| p.into_inner()).len();
            let figures = vec![
                fig("sessions", open as f64, "session"),
                fig("failures", failures as f64, "session"),
                fig("server RSS per session", per, "KB"),
            ];
            held.lock().unwrap_or_else(|p| p.into_inner()).clear();
            (
                serde_json::json!({"connections": args.connections}),
                figures,
            )
        }
        Scenario::History => {
            let Some(o) = &opentim else {
                return Err("history is measured on opentim only".into());
            };
            // The smaller conversation is the baseline of the larger one.
            let sizes = [(args.history / 10).max(1), args.history];
            let mut figures = Vec::new();
            let mut p50s = Vec::new();
            for (i, size) in sizes.into_iter().enumerate() {
                let (a, b) = (format!("{run_tag}h{i}a"), format!("{run_tag}h{i}b"));
                o.premint([a.clone(), b.clone()]);
                let fill = PairPlan {
                    messages: size,
                    rate: None,
                    window: 512,
                    drain_timeout: drain,
                };
                let stats = Arc::new(Stats::new());
                let one = Arc::new(tokio::sync::Barrier::new(1));
                if !quiet {
                    eprintln!("  filling a conversation with {size} messages");
                }
                o.run_pair(a.clone(), b.clone(), fill, one, stats.clone())
                    .await?;
                figures.push(fig(
                    &format!("conversation size @ {size}"),
                    stats.acked.load(Ordering::Relaxed) as f64,
                    "msg",
                ));
                for page in [20u32, 100] {
                    let mut times: Vec<u64> = o
                        .history_pages(&b, &a, page, 50)
                        .await?
                        .iter()
                        .map(|d| d.as_nanos() as u64)
                        .collect();
                    times.sort_unstable();
                    let p50 = percentile(&times, 50.0) as f64 / 1e6;
                    figures.push(fig(&format!("page of {page} @ {size} p50"), p50, "ms"));
                    figures.push(fig(
                        &format!("page of {page} @ {size} p99"),
                        percentile(&times, 99.0) as f64 / 1e6,
                        "ms",
                    ));
                    p50s.push(p50);
                }
            }
            for (k, page) in [20u32, 100].iter().enumerate() {
                figures.push(fig(
                    &format!("page of {page}: p50 at {} / at {}", sizes[1], sizes[0]),
                    p50s[2 + k] / p50s[k].max(1e-6),
                    "x",
                ));
            }
            (serde_json::json!({"messages": sizes}), figures)
        }
        Scenario::Storm => return Err("storm starts its own nodes (see storm::run)".into()),
        Scenario::Cache => return Err("cache measures the local store (see cache::run)".into()),
        Scenario::Group => return Err("group starts its own server (see group::run)".into()),
        Scenario::Friends => return Err("friends starts its own server (see friends::run)".into()),
        Scenario::Media => return Err("media starts its own server (see media::run)".into()),
        Scenario::Rest => return Err("rest starts its own servers (see rest::run)".into()),
    };
    let after = pid.and_then(proc_usage);
    let server = match (pid, before, after) {
        (Some(pid), Some(b), Some(a)) => Some(ServerUsage {
            pid,
            cpu_seconds: a.0 - b.0,
            rss_kb_before: b.1,
            rss_kb_after: a.1,
        }),
        _ => None,
    };
    Ok(Report {
        scenario: args.scenario,
        driver: driver.name(),
        params,
        figures,
        server,
        baseline: None,
    })
}

fn print_table(r: &Report) {
    println!(
        "\nopentim bench {:?} ({}), {}",
        r.scenario, r.driver, r.params
    );
    let base = r.baseline.as_deref();
    match base {
        Some(b) => println!(
            "{:<28} {:>14} {:>14} {:>8}",
            "figure", r.driver, b.driver, "ratio"
        ),
        None => println!("{:<28} {:>14}", "figure", r.driver),
    }
    for f in &r.figures {
        let v = format!("{:.2} {}", f.value, f.unit);
        match base.and_then(|b| b.figures.iter().find(|x| x.name == f.name)) {
            Some(bf) => {
                let ratio = if bf.value != 0.0 {
                    format!("{:.3}", f.value / bf.value)
                } else {
                    "-".into()
                };
                println!(
                    "{:<28} {:>14} {:>14} {:>8}",
                    f.name,
                    v,
                    format!("{:.2} {}", bf.value, bf.unit),
                    ratio
                );
            }
            None => println!("{:<28} {:>14}", f.name, v),
        }
    }
    if let Some(s) = &r.server {
        println!(
            "server pid {}: {:.2} CPU s during the run, RSS {} KB -> {} KB",
            s.pid, s.cpu_seconds, s.rss_kb_before, s.rss_kb_after
        );
    }
}

/// Run `opentim bench`.
/// What a run drives: the scenario's adapter, and for opentim the raw protocol and SDK adapters
/// and the server under test.
struct Drivers {
    driver: Arc<dyn Driver>,
    raw: Option<Arc<opentim::OpentimDriver>>,
    sdk: Option<Arc<sdk::SdkDriver>>,
    server: Option<ServerUnderTest>,
}

pub async fn run(args: BenchArgs) -> Result<(), String> {
    if args.scenario == Scenario::Storm {
        return run_storm(&args).await;
    }
    if args.scenario == Scenario::Cache {
        return run_cache(&args).await;
    }
    if args.scenario == Scenario::Friends {
        return run_friends(&args).await;
    }
    if args.scenario == Scenario::Media {
        if args.driver != DriverKind::Opentim || args.server.is_some() || args.baseline {
            return Err("media starts its own opentim server: no --driver xmpp, --server or --baseline (its baseline, a plain HTTP copy, runs in the same run)".into());
        }
        let report = media::run(&args).await?;
        return report_out(&args, &report);
    }
    if args.scenario == Scenario::Group {
        return run_group(&args).await;
    }
    if args.scenario == Scenario::Rest {
        if args.driver != DriverKind::Opentim || args.server.is_some() || args.baseline {
            return Err("rest starts its own opentim servers: no --driver xmpp, --server or --baseline (its baseline, SDK sends, runs in the same run)".into());
        }
        let report = rest::run(&args).await?;
        return report_out(&args, &report);
    }
    let clock = Clock::new();
    let Drivers {
        driver,
        raw: opentim_driver,
        sdk: sdk_driver,
        server,
    } = match args.driver {
        DriverKind::Xmpp => {
            let (host, port) = args
                .xmpp
                .rsplit_once(':')
                .ok_or("--xmpp must be HOST:PORT")?;
            let port = port.parse().map_err(|_| "--xmpp port is not a number")?;
            Drivers {
                driver: Arc::new(xmpp::XmppDriver::new(
                    host.into(),
                    port,
                    args.xmpp_domain.clone(),
                    clock,
                )),
                raw: None,
                sdk: None,
                server: None,
            }
        }
        DriverKind::Opentim => {
            let s = ServerUnderTest::start(&args).await?;
            let target = opentim::Target {
                url: s.url.clone(),
                sdkappid: s.sdkappid,
                secret_key: s.secret_key.clone(),
            };
            let raw = Arc::new(opentim::OpentimDriver::new(target.clone(), clock));
            let sdk = matches!(args.scenario, Scenario::Sdk | Scenario::SdkReceive).then(|| {
                let cache = s
                    ._dir
                    .as_ref()
                    .map(|d| d.path().join("sdk-cache"))
                    .unwrap_or_else(|| std::env::temp_dir().join("opentim-bench-sdk"));
                Arc::new(sdk::SdkDriver {
                    target,
                    clock,
                    cache,
                })
            });
            let d: Arc<dyn Driver> = match &sdk {
                Some(sdk) => sdk.clone(),
                None => raw.clone(),
            };
            Drivers {
                driver: d,
                raw: Some(raw),
                sdk,
                server: Some(s),
            }
        }
    };
    let pid = server.as_ref().and_then(|s| s.pid).or(args.server_pid);
    if !args.json {
        eprintln!(
            "opentim bench {:?} against {}",
            args.scenario,
            driver.name()
        );
    }
    let result = run_scenario(&args, driver, opentim_driver, sdk_driver, pid).await;
    if let Some(s) = server {
        s.stop().await;
    }
    let mut report = result?;
    if args.baseline {
        let (addr, relay) = baseline::start_relay().await.map_err(|e| e.to_string())?;
        let b: Arc<dyn Driver> = Arc::new(baseline::BaselineDriver {
            url: format!("ws://{addr}"),
            clock,
        });
        if !args.json {
            eprintln!("baseline: the same scenario against the bench's WebSocket relay");
        }
        let mut bargs = args.clone();
        if matches!(bargs.scenario, Scenario::Sdk | Scenario::SdkReceive) {
            bargs.scenario = Scenario::One2one;
        }
        let base = run_scenario(&bargs, b, None, None, Some(std::process::id())).await;
        relay.abort();
        report.baseline = Some(Box::new(base?));
    }
    report_out(&args, &report)
}

/// The `group` scenario, with the relay's broadcast as its baseline.
async fn run_group(args: &BenchArgs) -> Result<(), String> {
    if args.driver != DriverKind::Opentim || args.server.is_some() {
        return Err("group starts its own opentim server: no --driver xmpp or --server (its baseline, the relay, runs in the same run)".into());
    }
    if !args.json {
        eprintln!(
            "opentim bench group: {} members, {} online, {} messages",
            args.members, args.online, args.messages
        );
    }
    let report = group::run(args).await?;
    report_out(args, &report)
}

/// The `friends` scenario, with the smaller user as its baseline.
async fn run_friends(args: &BenchArgs) -> Result<(), String> {
    if args.driver != DriverKind::Opentim || args.server.is_some() || args.baseline {
        return Err("friends starts its own opentim server: no --driver xmpp, --server or --baseline (its baseline is the user with a hundredth of the friends, in the same run)".into());
    }
    if !args.json {
        eprintln!(
            "opentim bench friends: {} friends beside {}",
            args.friends.clamp(100, 3000),
            args.friends.clamp(100, 3000) / 100
        );
    }
    let report = friends::run(args).await?;
    report_out(args, &report)
}

/// Print a report (JSON or the table) and fail when messages were lost or duplicated.
fn report_out(args: &BenchArgs, report: &Report) -> Result<(), String> {
    match args.json {
        true => println!(
            "{}",
            serde_json::to_string(report).map_err(|e| e.to_string())?
        ),
        false => print_table(report),
    }
    let count = |name: &str| {
        report
            .figures
            .iter()
            .find(|f| f.name == name)
            .map_or(0.0, |f| f.value)
    };
    let (lost, dups) = (count("lost"), count("duplicates"));
    if lost > 0.0 || dups > 0.0 {
        return Err(format!("{lost} messages lost and {dups} duplicated"));
    }
    Ok(())
}

/// The `cache` scenario: the SDK's local store, no server.
async fn run_cache(args: &BenchArgs) -> Result<(), String> {
    if args.driver != DriverKind::Opentim || args.server.is_some() || args.baseline {
        return Err("cache measures the SDK's local store: no --driver xmpp, --server or --baseline (its baseline is the smaller cache of the same run)".into());
    }
    let (history, quiet) = (args.history, args.json);
    if !quiet {
        eprintln!("opentim bench Cache: the SDK's local store");
    }
    let (params, figures) = tokio::task::spawn_blocking(move || cache::run(history, quiet))
        .await
        .map_err(|e| e.to_string())??;
    let report = Report {
        scenario: Scenario::Cache,
        driver: "opentim-sdk-cache".into(),
        params,
        figures,
        server: None,
        baseline: None,
    };
    report_out(args, &report)
}

async fn run_storm(args: &BenchArgs) -> Result<(), String> {
    if args.driver != DriverKind::Opentim || args.server.is_some() || args.baseline {
        return Err("storm starts two opentim nodes itself: no --driver xmpp, --server or --baseline (its baseline is the fresh logins of the same run)".into());
    }
    if !args.json {
        eprintln!(
            "opentim bench storm: {} sessions per phase",
            args.connections
        );
    }
    let tag = format!("st{:x}", std::process::id());
    let (params, figures) = storm::run(args, &tag, args.json).await?;
    let report = Report {
        scenario: Scenario::Storm,
        driver: "opentim".into(),
        params,
        figures,
        server: None,
        baseline: None,
    };
    report_out(args, &report)?;
    match report.figures.iter().find(|f| f.name == "failures") {
        Some(f) if f.value > 0.0 => Err(format!("{} sessions failed", f.value)),
        _ => Ok(()),
    }
}

/// The `opentim` binary that serves the bench: the one given, else the one next to this
/// program (both are built into the same target directory).
fn opentim_exe(given: Option<&std::path::Path>) -> Result<std::path::PathBuf, String> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let exe = me.with_file_name(format!("opentim{}", std::env::consts::EXE_SUFFIX));
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!(
            "no opentim binary next to {}: build it (cargo build --release -p opentim), pass \
             --opentim PATH, or bench a running server with --server",
            me.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_usage_reads_this_process() {
        let (cpu, rss) = proc_usage(std::process::id()).expect("/proc is readable");
        assert!(cpu >= 0.0);
        assert!(rss > 0);
    }

    #[test]
    fn report_json_has_the_documented_shape() {
        let r = Report {
            scenario: Scenario::One2one,
            driver: "opentim".into(),
            params: serde_json::json!({"pairs": 1}),
            figures: vec![fig("delivered/s", 10.0, "msg/s")],
            server: Some(ServerUsage {
                pid: 1,
                cpu_seconds: 0.5,
                rss_kb_before: 10,
                rss_kb_after: 20,
            }),
            baseline: None,
        };
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(v["scenario"], "one2one");
        assert_eq!(v["figures"][0]["name"], "delivered/s");
        assert_eq!(v["figures"][0]["unit"], "msg/s");
        assert_eq!(v["server"]["rss_kb_after"], 20);
        assert!(v["baseline"].is_null());
    }

    #[test]
    fn payloads_round_trip() {
        assert_eq!(
            driver::parse_payload(&driver::payload(42, 123_456_789)),
            Some((42, 123_456_789))
        );
        assert_eq!(driver::parse_payload("nonsense"), None);
    }
}
