//! The `group` scenario: one sender to one group of `--members` members of whom `--online`
//! are connected, at `--group-rate` messages per second or flat out (0), beside the bench's
//! relay broadcasting the same frames to the same number of sockets in the same run.
//!
//! Figures: deliveries per second, send-to-receive latency, the server's CPU time per
//! delivery, and the rows the store holds more per message sent (fan-out on read: a constant,
//! however many members the group has).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use futures_util::SinkExt;
use opentim_protocol::op::group::{CreateGroup, GroupHeads, InviteMembers};
use opentim_protocol::op::Empty;
use tokio_tungstenite::tungstenite::Message as Ws;

use super::baseline::{self, BaselineDriver};
use super::driver::{parse_payload, payload, PairPlan};
use super::opentim::{request, scan_text, Conn, OpentimDriver, Target};
use super::stats::{Clock, Pacer, Receipts, Stats};
use super::{
    delivery_figures, fig, proc_usage, BenchArgs, Figure, Report, Scenario, ServerUnderTest,
};

/// Members added per invitation (the server's default `max_group_users_per_request`).
const INVITE_BATCH: usize = 500;

/// Every row of every table of the SQLite store under `data`.
fn store_rows(data: &std::path::Path) -> Result<u64, String> {
    let db = rusqlite::Connection::open_with_flags(
        data.join("opentim.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .map_err(|e| format!("open the store: {e}"))?;
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| e.to_string())?;
    let mut n = 0u64;
    for t in tables {
        let rows: i64 = db
            .query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        n += rows as u64;
    }
    Ok(n)
}

/// Read frames on `conn` until `n` payloads arrived (each counted once) or `deadline`; `pick`
/// finds a payload in a frame.
async fn receive<S>(
    mut conn: S,
    n: usize,
    stats: Arc<Stats>,
    clock: Clock,
    deadline: tokio::time::Instant,
    pick: fn(&str) -> Option<&str>,
) where
    S: futures_util::Stream<Item = Result<Ws, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut receipts = Receipts::new(n, stats, clock);
    while !receipts.complete() {
        let t = match tokio::time::timeout_at(deadline, conn.next()).await {
            Ok(Some(Ok(Ws::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
            _ => break,
        };
        if let Some((seq, sent)) = pick(&t).and_then(parse_payload) {
            receipts.arrived(seq, sent);
        }
    }
    receipts.finish();
}

/// A group entry's payload (other frames: none).
fn group_payload(frame: &str) -> Option<&str> {
    frame
        .starts_with("{\"event\":\"group\"")
        .then(|| scan_text(frame))
        .flatten()
}

fn relay_payload(frame: &str) -> Option<&str> {
    Some(frame)
}

/// How long receivers wait: the sends' schedule plus the drain timeout.
fn receive_deadline(plan: &PairPlan) -> tokio::time::Instant {
    let schedule = plan.rate.map(|r| plan.messages as f64 / r).unwrap_or(0.0);
    tokio::time::Instant::now() + plan.drain_timeout + Duration::from_secs_f64(schedule)
}

/// The opentim half: a server of its own, the group made and filled, the online members
/// connected, then the sends.
async fn run_opentim(
    args: &BenchArgs,
    plan: PairPlan,
    clock: Clock,
    quiet: bool,
) -> Result<Vec<Figure>, String> {
    let (members, online) = (args.members.max(2), args.online.max(1));
    let conf_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let conf = conf_dir.path().join("bench.toml");
    // Capacity, not the per-group rate limit of production, is measured.
    std::fs::write(
        &conf,
        format!(
            "max_group_members = {}\ngroup_messages_per_sec = 1000000000\n",
            members + 1
        ),
    )
    .map_err(|e| e.to_string())?;
    let server = ServerUnderTest::spawn(
        args,
        &["--config".into(), conf.display().to_string()],
        false,
    )
    .await?;
    let data = server
        ._dir
        .as_ref()
        .map(|d| d.path().join("data"))
        .ok_or("the bench started no server")?;
    let raw = Arc::new(OpentimDriver::new(
        Target {
            url: server.url.clone(),
            sdkappid: server.sdkappid,
            secret_key: server.secret_key.clone(),
        },
        clock,
    ));
    let tag = format!("g{:x}", std::process::id());
    let group = format!("{tag}-group");
    let users: Vec<String> = (0..members).map(|i| format!("{tag}m{i}")).collect();
    raw.premint(users.iter().cloned());
    if !quiet {
        eprintln!("  opentim: a group of {members} members, {online} of them online");
    }
    let mut owner = raw.connect(&users[0]).await?;
    let create = opentim_model::group::CreateGroupParam {
        group_name: Some("bench".into()),
        group_id: Some(group.clone()),
        group_type: Some(opentim_model::enums::GroupType::PUBLIC),
        ..Default::default()
    };
    request::<CreateGroup>(&mut owner, 2, &create).await?;
    for (k, batch) in users[1..].chunks(INVITE_BATCH).enumerate() {
        let invite = opentim_model::group::GroupInviteMemberParam {
            group_id: Some(group.clone()),
            identifier_array: Some(batch.to_vec()),
            ..Default::default()
        };
        request::<InviteMembers>(&mut owner, 3 + k as u64, &invite).await?;
    }
    // The online members connect and follow the group (as the SDK does at every login).
    let receivers: Vec<Conn> = stream::iter(users[1..=online.min(members - 1) as usize].to_vec())
        .map(|u| {
            let raw = raw.clone();
            async move {
                let mut c = raw.connect(&u).await?;
                request::<GroupHeads>(&mut c, 2, &Empty {}).await?;
                Ok::<Conn, String>(c)
            }
        })
        .buffer_unordered(args.in_flight.max(1))
        .try_collect()
        .await?;
    // Drop what the joins sent (inbox entries, tips) before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows_before = store_rows(&data)?;
    let before = server.pid.and_then(proc_usage);
    let stats = Arc::new(Stats::new());
    let ticker = super::progress(stats.clone(), quiet);
    let deadline = receive_deadline(&plan);
    let n = plan.messages as usize;
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|c| tokio::spawn(receive(c, n, stats.clone(), clock, deadline, group_payload)))
        .collect();
    raw.blast_to(owner, &users[0], (&group, 2), 0, plan, &stats)
        .await;
    for t in tasks {
        let _ = t.await;
    }
    ticker.abort();
    let after = server.pid.and_then(proc_usage);
    let rows_after = store_rows(&data)?;
    server.stop().await;
    let delivered = stats.delivered.load(Ordering::Relaxed);
    let mut figures = delivery_figures(&stats, plan.messages * online.min(members - 1));
    if let (Some(b), Some(a)) = (before, after) {
        figures.push(fig(
            "server CPU per delivery",
            (a.0 - b.0) * 1e6 / delivered.max(1) as f64,
            "us",
        ));
    }
    figures.push(fig(
        "store rows per message",
        rows_after.saturating_sub(rows_before) as f64 / plan.messages.max(1) as f64,
        "row",
    ));
    Ok(figures)
}

/// The baseline half: the relay broadcasts each frame of one sender to the same number of
/// sockets.
async fn run_relay(
    args: &BenchArgs,
    plan: PairPlan,
    clock: Clock,
    quiet: bool,
) -> Result<Vec<Figure>, String> {
    let online = args.online.max(1).min(args.members.max(2) - 1);
    let (addr, relay) = baseline::start_relay().await.map_err(|e| e.to_string())?;
    let b = Arc::new(BaselineDriver {
        url: format!("ws://{addr}"),
        clock,
    });
    if !quiet {
        eprintln!("  baseline: the relay broadcasting to {online} sockets");
    }
    let receivers: Vec<_> = stream::iter(0..online)
        .map(|i| {
            let b = b.clone();
            async move { b.connect(&format!("r{i}")).await }
        })
        .buffer_unordered(args.in_flight.max(1))
        .try_collect()
        .await?;
    let sender = b.connect("sender").await?;
    let stats = Arc::new(Stats::new());
    let deadline = receive_deadline(&plan);
    let n = plan.messages as usize;
    let before = proc_usage(std::process::id());
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|c| tokio::spawn(receive(c, n, stats.clone(), clock, deadline, relay_payload)))
        .collect();
    let (mut sink, mut acks) = sender.split();
    let window = Arc::new(tokio::sync::Semaphore::new(plan.window.max(1)));
    let ack_window = window.clone();
    let ack_task = tokio::spawn(async move {
        while let Some(Ok(_)) = acks.next().await {
            ack_window.add_permits(1);
        }
    });
    let mut pacer = Pacer::new(plan.rate);
    for i in 0..plan.messages {
        pacer.wait().await;
        if let Ok(p) = window.acquire().await {
            p.forget();
        }
        let now = clock.now_ns();
        stats.on_send(now);
        if sink
            .send(Ws::text(format!("*\n{}", payload(i, now))))
            .await
            .is_err()
        {
            stats.failures.fetch_add(1, Ordering::Relaxed);
            break;
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    ack_task.abort();
    relay.abort();
    let after = proc_usage(std::process::id());
    let delivered = stats.delivered.load(Ordering::Relaxed);
    let mut figures = delivery_figures(&stats, plan.messages * online);
    if let (Some(b), Some(a)) = (before, after) {
        // The relay runs in the bench process, beside its own receivers: an upper bound.
        figures.push(fig(
            "server CPU per delivery",
            (a.0 - b.0) * 1e6 / delivered.max(1) as f64,
            "us",
        ));
    }
    Ok(figures)
}

/// Run the `group` scenario and its baseline; the report carries both.
pub async fn run(args: &BenchArgs) -> Result<Report, String> {
    let quiet = args.json;
    let clock = Clock::new();
    let plan = PairPlan {
        messages: args.messages,
        rate: (args.group_rate > 0.0).then_some(args.group_rate),
        window: args.window,
        drain_timeout: Duration::from_secs_f64(args.drain_timeout),
    };
    let params = serde_json::json!({
        "members": args.members,
        "online": args.online,
        "messages": args.messages,
        "rate": if args.group_rate > 0.0 { serde_json::json!(args.group_rate) } else { serde_json::json!("flat out") },
        "window": args.window,
    });
    let figures = run_opentim(args, plan, clock, quiet).await?;
    let base = run_relay(args, plan, clock, quiet).await?;
    Ok(Report {
        scenario: Scenario::Group,
        driver: "opentim".into(),
        params: params.clone(),
        figures,
        server: None,
        baseline: Some(Box::new(Report {
            scenario: Scenario::Group,
            driver: "baseline".into(),
            params,
            figures: base,
            server: None,
            baseline: None,
        })),
    })
}
