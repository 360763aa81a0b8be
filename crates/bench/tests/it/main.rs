//! `opentim-bench` end to end: a smoke run of every scenario at a tiny size (each starts its own
//! `opentim serve` process, the binary built next to the bench) checking zero loss.

use std::process::Command;

fn opentim_bench() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opentim-bench"));
    c.env_remove("OPENTIM_DATABASE_URL")
        .env_remove("OPENTIM_NATS_URL")
        .env_remove("OPENTIM_CONFIG");
    c
}

/// Run `opentim-bench ... --json` and return its report.
fn bench(args: &[&str]) -> serde_json::Value {
    let out = opentim_bench().args(args).arg("--json").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("bench {args:?} printed no JSON ({e}): {stdout}"))
}

fn figure(report: &serde_json::Value, name: &str) -> f64 {
    report["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no figure {name:?} in {report}"))["value"]
        .as_f64()
        .unwrap()
}

fn assert_no_loss(r: &serde_json::Value) {
    assert_eq!(figure(r, "lost"), 0.0, "{r}");
    assert_eq!(figure(r, "duplicates"), 0.0, "{r}");
    assert_eq!(figure(r, "delivered"), figure(r, "expected"), "{r}");
    assert!(figure(r, "delivered/s") > 0.0);
}

#[test]
fn one2one_smoke_with_baseline() {
    let r = bench(&["one2one", "--pairs", "3", "--messages", "40", "--baseline"]);
    assert_no_loss(&r);
    assert_eq!(figure(&r, "expected"), 120.0);
    assert!(
        r["server"]["cpu_seconds"].as_f64().is_some(),
        "server usage read from /proc: {r}"
    );
    assert_no_loss(&r["baseline"]);
    assert_eq!(r["baseline"]["driver"], "baseline");
}

#[test]
fn rate_smoke() {
    let r = bench(&["rate", "--pairs", "2", "--rate", "200", "--seconds", "1"]);
    assert_no_loss(&r);
    assert_eq!(figure(&r, "expected"), 200.0);
    assert!(figure(&r, "latency p99") >= figure(&r, "latency p50"));
}

#[test]
fn login_smoke() {
    let r = bench(&["login", "--connections", "30", "--in-flight", "5"]);
    assert_eq!(figure(&r, "failures"), 0.0);
    assert!(figure(&r, "logins/s") > 0.0);
}

#[test]
fn idle_smoke() {
    let r = bench(&["idle", "--connections", "30", "--in-flight", "5"]);
    assert_eq!(figure(&r, "sessions"), 30.0);
    assert_eq!(figure(&r, "failures"), 0.0);
    assert!(figure(&r, "server RSS per session").is_finite());
}

#[test]
fn history_smoke() {
    let r = bench(&["history", "--history", "300"]);
    assert_eq!(figure(&r, "conversation size @ 30"), 30.0);
    assert_eq!(figure(&r, "conversation size @ 300"), 300.0);
    assert!(figure(&r, "page of 100 @ 300 p50") > 0.0);
    assert!(figure(&r, "page of 20: p50 at 300 / at 30") > 0.0);
}

#[test]
fn cache_smoke() {
    let r = bench(&["cache", "--history", "3000"]);
    assert_eq!(r["driver"], "opentim-sdk-cache");
    assert!(figure(&r, "conversation list of 1000 @ 3000 p50") > 0.0);
    assert!(
        figure(
            &r,
            "keyword search over every message: p50 at 3000 / at 2000"
        ) > 0.0
    );
}

#[test]
fn sdk_smoke() {
    let r = bench(&["sdk", "--pairs", "2", "--messages", "20"]);
    assert_no_loss(&r);
    assert_eq!(r["driver"], "opentim-sdk");
}

#[test]
fn group_smoke_with_its_relay_baseline() {
    let r = bench(&[
        "group",
        "--members",
        "30",
        "--online",
        "10",
        "--messages",
        "20",
    ]);
    assert_no_loss(&r);
    assert_eq!(
        figure(&r, "expected"),
        200.0,
        "20 messages to 10 online members"
    );
    // Fan-out on read: one message is one row, however many members.
    assert_eq!(figure(&r, "store rows per message"), 1.0, "{r}");
    assert!(figure(&r, "server CPU per delivery") >= 0.0);
    assert_no_loss(&r["baseline"]);
    assert_eq!(r["baseline"]["driver"], "baseline");
}
