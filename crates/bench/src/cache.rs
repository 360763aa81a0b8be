//! The `cache` scenario: the SDK's local cache (the SQLite store every device keeps) at two
//! history sizes side by side, the smaller one the baseline of the larger.
//!
//! Each cache holds 1,000 conversations: one with all but 999 of the messages, and 999 with one
//! message each. Measured, each `REPEAT` times: the conversation list (all 1,000), the newest
//! page of 20 of the big conversation, and a keyword search over every message (one match). A
//! cost that follows what is asked for, not what is stored, shows as a ratio near 1.

use std::time::Instant;

use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_protocol::WireMessage;
use opentim_sdk::local::{LocalStore, Search, SqliteStore};

use crate::stats::percentile;
use crate::{fig, Figure};

/// Conversations in each cache.
pub const CONVERSATIONS: u64 = 1000;
/// Timed runs of each operation.
const REPEAT: usize = 50;
/// Messages stored per transaction while filling.
const FILL_BATCH: usize = 1000;

const ME: &str = "me";
const BIG: &str = "peer0";

fn message(from: &str, seq: u64, text: String) -> (String, Message) {
    let wire = WireMessage {
        conv_type: ConvType::C2C,
        from: from.to_owned(),
        to: ME.to_owned(),
        seq,
        rand: seq,
        server_time: 1_700_000_000 + seq,
        client_msg_id: format!("{from}-{seq}"),
        message: Message::text(ME, ConvType::C2C, text),
    };
    (
        wire.client_msg_id.clone(),
        opentim_sdk::convert::to_local(ME, &wire),
    )
}

/// A cache of `total` messages in 1,000 conversations.
fn fill(dir: &std::path::Path, total: u64, quiet: bool) -> Result<SqliteStore, String> {
    let store = SqliteStore::open(dir, 1, ME).map_err(|e| e.to_string())?;
    let big = total.saturating_sub(CONVERSATIONS - 1).max(1);
    let needle = big / 2;
    let mut batch = Vec::with_capacity(FILL_BATCH);
    let mut cursor = 0;
    let started = Instant::now();
    let rows = (1..=big)
        .map(|seq| {
            let text = match seq == needle {
                true => "the one with the needle in it".to_owned(),
                false => format!("message {seq} of a long conversation about lunch"),
            };
            message(BIG, seq, text)
        })
        .chain((1..CONVERSATIONS).map(|p| message(&format!("peer{p}"), 1, format!("hello {p}"))));
    for row in rows {
        batch.push(row);
        if batch.len() == FILL_BATCH {
            cursor += batch.len() as u64;
            store.apply(&batch, cursor).map_err(|e| e.to_string())?;
            batch.clear();
        }
    }
    cursor += batch.len() as u64;
    store.apply(&batch, cursor).map_err(|e| e.to_string())?;
    if !quiet {
        eprintln!(
            "  cache of {total} messages filled in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(store)
}

/// p50 and p99 of `f` over `REPEAT` runs, in milliseconds, checking each answer with `check`.
fn time<T>(
    mut f: impl FnMut() -> Result<T, String>,
    check: impl Fn(&T) -> bool,
) -> Result<(f64, f64), String> {
    let mut ns = Vec::with_capacity(REPEAT);
    for _ in 0..REPEAT {
        let t = Instant::now();
        let v = f()?;
        ns.push(t.elapsed().as_nanos() as u64);
        if !check(&v) {
            return Err("an answer of the cache was not what was asked".into());
        }
    }
    ns.sort_unstable();
    Ok((
        percentile(&ns, 50.0) as f64 / 1e6,
        percentile(&ns, 99.0) as f64 / 1e6,
    ))
}

/// The figures of one cache size: (operation, p50, p99).
fn measure(store: &SqliteStore) -> Result<Vec<(&'static str, f64, f64)>, String> {
    let e = |e: opentim_sdk::SdkError| e.to_string();
    let list = time(
        || store.conversations().map_err(e),
        |l| l.len() as u64 == CONVERSATIONS,
    )?;
    let page = time(
        || store.page(BIG, ConvType::C2C, None, false, 20).map_err(e),
        |p| p.len() == 20,
    )?;
    let search = Search {
        keywords: vec!["needle".into()],
        until: u64::MAX,
        ..Search::default()
    };
    let found = time(
        || store.search(&search).map_err(e),
        |g| g.len() == 1 && g[0].messages.len() == 1,
    )?;
    Ok(vec![
        ("conversation list of 1000", list.0, list.1),
        ("newest 20 of the big conversation", page.0, page.1),
        ("keyword search over every message", found.0, found.1),
    ])
}

/// Run the scenario at `history / 10` and `history` messages.
pub fn run(history: u64, quiet: bool) -> Result<(serde_json::Value, Vec<Figure>), String> {
    // At least 1,000 messages in the big conversation, so a page of 20 is full.
    let sizes = [
        (history / 10).max(2 * CONVERSATIONS),
        history.max(2 * CONVERSATIONS),
    ];
    let mut results = Vec::new();
    for size in sizes {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let store = fill(dir.path(), size, quiet)?;
        results.push(measure(&store)?);
    }
    let mut figures = Vec::new();
    for (i, (name, _, _)) in results[0].iter().enumerate() {
        for (size, r) in sizes.iter().zip(&results) {
            figures.push(fig(&format!("{name} @ {size} p50"), r[i].1, "ms"));
            figures.push(fig(&format!("{name} @ {size} p99"), r[i].2, "ms"));
        }
        let ratio = results[1][i].1 / results[0][i].1.max(1e-6);
        figures.push(fig(
            &format!("{name}: p50 at {} / at {}", sizes[1], sizes[0]),
            ratio,
            "x",
        ));
    }
    Ok((
        serde_json::json!({"messages": sizes, "conversations": CONVERSATIONS}),
        figures,
    ))
}
