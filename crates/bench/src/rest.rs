//! The `rest` scenario: an app back-end's sends through the REST API beside SDK sends, on one
//! server in the same run, and what a before-send webhook adds to a send:
//!
//! * SDK sends (the baseline): `--messages` sends of one SDK client, `--in-flight` at once,
//!   acked once stored: sends/s and ack latency; and sends one at a time;
//! * `openim/sendmsg`: the same number with `--in-flight` requests at once: messages/s and
//!   latency per request;
//! * `openim/batchsendmsg` to 500 recipients: recipients/s and latency per request;
//! * SDK sends one at a time on a second server whose `C2C.CallbackBeforeSendMsg` goes to a
//!   local receiver that answers at once: the ack latency, and what it adds to the same sends
//!   without it (the baseline's column shows those).
//!
//! The servers run with the REST rates off (`rest_*` 0): the bench measures capacity.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_sdk::ClientOptions;
use serde_json::{json, Value};

use super::opentim::Target;
use super::stats::percentile;
use super::{fig, BenchArgs, Figure, Report, Scenario, ServerUnderTest};

/// Recipients of each batch send.
const BATCH: usize = 500;
/// Batch sends timed.
const BATCHES: usize = 20;

/// A back-end calling one server's REST API as the administrator.
struct Api {
    base: String,
    query: String,
    http: reqwest::Client,
}

impl Api {
    fn new(target: &Target) -> Self {
        let base = target
            .url
            .replace("ws://", "http://")
            .trim_end_matches("/ws")
            .to_owned();
        let sig = opentim_server::auth::mint(
            &target.secret_key,
            target.sdkappid,
            "administrator",
            super::opentim::now_secs(),
            86_400,
        );
        Api {
            base,
            query: format!(
                "sdkappid={}&identifier=administrator&usersig={sig}&random=1&contenttype=json",
                target.sdkappid
            ),
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, endpoint: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{}/v4/{endpoint}?{}", self.base, self.query);
        let v: Value = self
            .http
            .post(url)
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("{endpoint}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("{endpoint}: {e}"))?;
        match v["ErrorCode"].as_i64() {
            Some(0) => Ok(v),
            _ => Err(format!("{endpoint} refused: {v}")),
        }
    }
}

fn text(t: &str) -> Value {
    json!([{ "MsgType": "TIMTextElem", "MsgContent": { "Text": t } }])
}

/// (p50, p99) in milliseconds of nanosecond samples.
fn p50_p99(mut ns: Vec<u64>) -> (f64, f64) {
    ns.sort_unstable();
    (
        percentile(&ns, 50.0) as f64 / 1e6,
        percentile(&ns, 99.0) as f64 / 1e6,
    )
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos() as u64
}

/// `n` SDK sends of one client to `to`, `in_flight` at once: (sends/s, ack latencies in ns).
async fn sdk_sends(
    target: &Target,
    dir: &std::path::Path,
    from: &str,
    to: &str,
    n: u64,
    in_flight: usize,
) -> Result<(f64, Vec<u64>), String> {
    let cache = dir.join(format!("{from}-{in_flight}"));
    let (client, _events) = target
        .sdk_login(
            ClientOptions::new(target.sdkappid, target.url.clone(), cache),
            from,
        )
        .await?;
    let started = Instant::now();
    let lat: Vec<u64> = stream::iter(0..n)
        .map(|i| {
            let client = &client;
            async move {
                let t = Instant::now();
                let m = Message::text(to, ConvType::C2C, format!("sdk {i}"));
                client
                    .send_message(to, ConvType::C2C, m)
                    .await
                    .map(|_| nanos(t.elapsed()))
                    .map_err(|e| format!("SDK send: {e}"))
            }
        })
        .buffer_unordered(in_flight.max(1))
        .try_collect()
        .await?;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    client.logout().await.map_err(|e| e.to_string())?;
    Ok((rate, lat))
}

/// Import `users` 100 at a time.
async fn import(api: &Api, users: &[String]) -> Result<(), String> {
    for chunk in users.chunks(100) {
        api.call(
            "im_open_login_svc/multiaccount_import",
            &json!({ "Accounts": chunk }),
        )
        .await?;
    }
    Ok(())
}

/// The REST config of a server under test: rates off, and a before-send webhook when given.
fn config_file(dir: &std::path::Path, webhook: Option<&str>) -> Result<std::path::PathBuf, String> {
    let mut toml = String::from(
        "rest_sendmsg_per_sec = 0\nrest_batchsendmsg_per_min = 0\nrest_requests_per_sec = 0\n",
    );
    if let Some(url) = webhook {
        toml.push_str(&format!(
            "webhook_url = \"{url}\"\nwebhook_commands = [\"C2C.CallbackBeforeSendMsg\"]\n"
        ));
    }
    let path = dir.join("rest-bench.toml");
    std::fs::write(&path, toml).map_err(|e| e.to_string())?;
    Ok(path)
}

/// A local back-end that allows every message at once; counts what it was asked.
async fn receiver(asked: Arc<AtomicU64>) -> Result<String, String> {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/hook",
        post(move || {
            let asked = asked.clone();
            async move {
                asked.fetch_add(1, Ordering::Relaxed);
                axum::Json(json!({ "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "" }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/hook"))
}

fn target_of(s: &ServerUnderTest) -> Target {
    Target {
        url: s.url.clone(),
        sdkappid: s.sdkappid,
        secret_key: s.secret_key.clone(),
    }
}

/// Run the scenario.
pub async fn run(args: &BenchArgs) -> Result<Report, String> {
    let quiet = args.json;
    let n = args.messages.max(10);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let plain = config_file(dir.path(), None)?;
    let server = ServerUnderTest::spawn(
        args,
        &["--config".into(), plain.display().to_string()],
        false,
    )
    .await?;
    let target = target_of(&server);
    let api = Api::new(&target);
    let recipients: Vec<String> = (0..BATCH).map(|i| format!("r{i:03}")).collect();
    import(&api, &recipients).await?;
    import(&api, &["alice".into(), "bob".into()]).await?;

    // The baseline: SDK sends, as many at once as the REST sends below, and one at a time.
    let in_flight = args.in_flight.max(1);
    let (sdk_rate, sdk_lat) = sdk_sends(&target, dir.path(), "alice", "bob", n, in_flight).await?;
    let (sdk_p50, sdk_p99) = p50_p99(sdk_lat);
    let (_, one_lat) = sdk_sends(&target, dir.path(), "alice", "bob", n.min(1000), 1).await?;
    let (one_p50, one_p99) = p50_p99(one_lat);
    if !quiet {
        eprintln!("  SDK: {sdk_rate:.0} sends/s with {in_flight} in flight");
    }

    // sendmsg, --in-flight at once.
    let started = Instant::now();
    let lat: Vec<u64> = stream::iter(0..n)
        .map(|i| {
            let api = &api;
            async move {
                let body = json!({ "From_Account": "alice", "To_Account": "bob", "MsgRandom": i, "MsgBody": text(&format!("rest {i}")) });
                let t = Instant::now();
                api.call("openim/sendmsg", &body).await.map(|_| nanos(t.elapsed()))
            }
        })
        .buffer_unordered(in_flight)
        .try_collect()
        .await?;
    let send_rate = n as f64 / started.elapsed().as_secs_f64();
    let (send_p50, send_p99) = p50_p99(lat);
    if !quiet {
        eprintln!("  sendmsg: {send_rate:.0} messages/s");
    }

    // batchsendmsg to 500, one at a time.
    let mut batch_lat = Vec::new();
    let started = Instant::now();
    for b in 0..BATCHES {
        let body = json!({ "From_Account": "alice", "To_Account": recipients, "MsgRandom": b, "MsgBody": text(&format!("batch {b}")) });
        let t = Instant::now();
        let v = api.call("openim/batchsendmsg", &body).await?;
        batch_lat.push(nanos(t.elapsed()));
        if v.get("ErrorList")
            .is_some_and(|e| e.as_array().is_some_and(|l| !l.is_empty()))
        {
            return Err(format!(
                "batchsendmsg refused recipients: {}",
                v["ErrorList"]
            ));
        }
    }
    let batch_rate = (BATCHES * BATCH) as f64 / started.elapsed().as_secs_f64();
    let (batch_p50, batch_p99) = p50_p99(batch_lat);
    if !quiet {
        eprintln!("  batchsendmsg: {batch_rate:.0} recipients/s");
    }
    server.stop().await;

    // SDK sends through a before-send webhook answering at once.
    let asked = Arc::new(AtomicU64::new(0));
    let hook = receiver(asked.clone()).await?;
    let hooked = config_file(dir.path(), Some(&hook))?;
    let server = ServerUnderTest::spawn(
        args,
        &["--config".into(), hooked.display().to_string()],
        false,
    )
    .await?;
    let target = target_of(&server);
    import(&Api::new(&target), &["alice".into(), "bob".into()]).await?;
    let (_, hook_lat) = sdk_sends(&target, dir.path(), "alice", "bob", n.min(1000), 1).await?;
    let (hook_p50, hook_p99) = p50_p99(hook_lat);
    server.stop().await;
    if asked.load(Ordering::Relaxed) < n.min(1000) {
        return Err(format!(
            "the webhook was asked {} times for {} sends",
            asked.load(Ordering::Relaxed),
            n.min(1000)
        ));
    }

    let params = json!({ "messages": n, "in_flight": in_flight, "batch_recipients": BATCH, "batches": BATCHES });
    // Same names on both sides: the table shows REST / SDK (and webhook / none) ratios.
    let figures: Vec<Figure> = vec![
        fig("messages/s", send_rate, "msg/s"),
        fig("latency p50", send_p50, "ms"),
        fig("latency p99", send_p99, "ms"),
        fig("batchsendmsg recipients/s", batch_rate, "msg/s"),
        fig("batchsendmsg (500) latency p50", batch_p50, "ms"),
        fig("batchsendmsg (500) latency p99", batch_p99, "ms"),
        fig("one send's ack p50 (before-send webhook)", hook_p50, "ms"),
        fig("one send's ack p99 (before-send webhook)", hook_p99, "ms"),
        fig("before-send webhook adds p50", hook_p50 - one_p50, "ms"),
    ];
    let baseline = vec![
        fig("messages/s", sdk_rate, "msg/s"),
        fig("latency p50", sdk_p50, "ms"),
        fig("latency p99", sdk_p99, "ms"),
        fig("one send's ack p50 (before-send webhook)", one_p50, "ms"),
        fig("one send's ack p99 (before-send webhook)", one_p99, "ms"),
    ];
    Ok(Report {
        scenario: Scenario::Rest,
        driver: "opentim-rest".into(),
        params: params.clone(),
        figures,
        server: None,
        baseline: Some(Box::new(Report {
            scenario: Scenario::Rest,
            driver: "opentim-sdk".into(),
            params,
            figures: baseline,
            server: None,
            baseline: None,
        })),
    })
}
