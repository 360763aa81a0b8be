//! Webhooks: the server calls the app's back-end (`webhook_url`) as the hosted service does.
//!
//! A call is `POST <webhook_url>?SdkAppid=&CallbackCommand=&contenttype=json&ClientIP=&OptPlatform=`
//! (plus `RequestTime` and `Sign` = hex(sha256(token + RequestTime)) when `webhook_token` is
//! set) with a JSON body that names the command in `CallbackCommand` and carries `EventTime`
//! (Unix milliseconds).
//!
//! - **Before-callbacks** (`*.CallbackBefore*`) are asked in the request's path and wait at most
//!   `webhook_timeout_ms` (2 s). `ErrorCode` 0 lets the request through, possibly with a new
//!   `MsgBody` (and `CloudCustomData`) that is then what gets stored and delivered; any other
//!   code refuses it and is the code the sender gets. No answer in time, a failed call or an
//!   answer that is not JSON lets it through: that is logged and counted
//!   (`opentim_webhook_timeouts_total`, the per-command failure counts).
//! - **After-callbacks** never hold up what they report: they go to a queue in the store
//!   ([`WebhookStore`]), written in batches off the request's path, and a worker delivers them
//!   with retries (`webhook_retry_secs` doubling up to `webhook_retry_max_secs`, at most
//!   `webhook_max_attempts` tries). A delivery is an HTTP 200; a callback stays queued until
//!   then, across restarts. In a cluster the nodes share the queue. What was accepted in the
//!   last moment before a crash (not yet written to the queue) can be lost.
//!
//! Recent delivery attempts are kept in memory for `opentim admin webhooks` to follow.

mod events;

pub use events::*;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

use crate::clock::now_secs;
use crate::config::Config;
use crate::error::Refusal;
use crate::http::metrics::Metrics;
use crate::store::WebhookStore;

/// How many recent delivery attempts are kept for `opentim admin webhooks`.
const LOG_LEN: usize = 1000;
/// After-callbacks claimed at once by a node's worker.
const CLAIM: u32 = 64;
/// After-callbacks written to the queue in one batch at most.
const ENQUEUE_BATCH: usize = 512;

/// What a before-callback decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Go on as asked.
    Allow,
    /// Go on with this `MsgBody` (REST form) and, when given, this `CloudCustomData`.
    Rewrite {
        body: Value,
        cloud_custom_data: Option<String>,
    },
    /// Refuse; the sender gets this code and text.
    Refuse(Refusal),
}

/// One delivery attempt, as `opentim admin webhooks` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// Increasing per node: ask for those after the last one seen.
    #[serde(rename = "Id")]
    pub id: u64,
    #[serde(rename = "Time")]
    pub time: u64,
    #[serde(rename = "CallbackCommand")]
    pub command: String,
    /// Which try this was (1 for a before-callback).
    #[serde(rename = "Attempt")]
    pub attempt: u32,
    /// "delivered", "refused <code>", "rewritten", "timeout", "failed: <why>", "given up".
    #[serde(rename = "Outcome")]
    pub outcome: String,
    #[serde(rename = "Milliseconds")]
    pub millis: u64,
}

/// The webhooks of a node.
pub struct Webhooks {
    config: Arc<Config>,
    http: reqwest::Client,
    store: Arc<dyn WebhookStore>,
    metrics: Arc<Metrics>,
    queue: mpsc::UnboundedSender<(String, String)>,
    queued: Mutex<Option<mpsc::UnboundedReceiver<(String, String)>>>,
    wake: Notify,
    log: Mutex<VecDeque<Attempt>>,
    next_attempt: AtomicU64,
}

impl Webhooks {
    pub fn new(config: Arc<Config>, store: Arc<dyn WebhookStore>, metrics: Arc<Metrics>) -> Self {
        let (queue, queued) = mpsc::unbounded_channel();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.webhook_timeout_ms.max(1)))
            .build()
            .unwrap_or_default();
        Webhooks {
            config,
            http,
            store,
            metrics,
            queue,
            queued: Mutex::new(Some(queued)),
            wake: Notify::new(),
            log: Mutex::new(VecDeque::new()),
            next_attempt: AtomicU64::new(1),
        }
    }

    /// Whether `command` is called: a URL is set and the command is among `webhook_commands`
    /// (all when that list is empty).
    pub fn wants(&self, command: &str) -> bool {
        self.config.webhook_url.is_some()
            && (self.config.webhook_commands.is_empty()
                || self.config.webhook_commands.iter().any(|c| c == command))
    }

    /// Ask a before-callback: `fields` is the body without `CallbackCommand` and
    /// `EventTime`. Allows at once when the command is not called.
    pub async fn before(
        &self,
        command: &'static str,
        platform: &str,
        fields: Map<String, Value>,
    ) -> Verdict {
        if !self.wants(command) {
            return Verdict::Allow;
        }
        let body = body(command, fields);
        let started = Instant::now();
        let answer = self.post(command, platform, &body).await;
        let took = started.elapsed();
        let answer_failed = answer.is_err();
        let (verdict, outcome) = match answer {
            Ok(v) => judge(&v),
            Err(e) => {
                if e.is_timeout() {
                    self.metrics
                        .webhook_timeouts
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        command,
                        ms = took.as_millis() as u64,
                        "before-callback timed out; the request goes through"
                    );
                    (Verdict::Allow, "timeout".to_owned())
                } else {
                    tracing::warn!(command, error = %e, "before-callback failed; the request goes through");
                    (Verdict::Allow, format!("failed: {e}"))
                }
            }
        };
        self.metrics.webhooks.record(command, answer_failed, took);
        self.note(command, 1, outcome, took);
        verdict
    }

    /// Queue an after-callback: returns at once; it is written to the store's queue in the
    /// background and delivered from there.
    pub fn after(&self, command: &'static str, fields: Map<String, Value>) {
        if !self.wants(command) {
            return;
        }
        let body = body(command, fields).to_string();
        let _ = self.queue.send((command.to_owned(), body));
    }

    /// Recent delivery attempts after `since` (oldest first).
    pub fn attempts_after(&self, since: u64) -> Vec<Attempt> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.iter().filter(|a| a.id > since).cloned().collect()
    }

    /// After-callbacks waiting in the queue.
    pub async fn waiting(&self) -> u64 {
        self.store.callbacks_waiting().await.unwrap_or(0)
    }

    fn note(&self, command: &str, attempt: u32, outcome: String, took: Duration) {
        let id = self.next_attempt.fetch_add(1, Ordering::Relaxed);
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() == LOG_LEN {
            log.pop_front();
        }
        log.push_back(Attempt {
            id,
            time: now_secs(),
            command: command.to_owned(),
            attempt,
            outcome,
            millis: took.as_millis() as u64,
        });
    }

    /// POST `body` for `command`; the answer as JSON (an empty or non-JSON answer to an HTTP
    /// 200 reads as `{}`).
    async fn post(
        &self,
        command: &str,
        platform: &str,
        body: &Value,
    ) -> Result<Value, reqwest::Error> {
        let Some(url) = &self.config.webhook_url else {
            return Ok(Value::Object(Map::new()));
        };
        let mut query = vec![
            ("SdkAppid", self.config.sdkappid.to_string()),
            ("CallbackCommand", command.to_owned()),
            ("contenttype", "json".to_owned()),
            ("ClientIP", String::new()),
            ("OptPlatform", platform.to_owned()),
        ];
        if let Some(token) = &self.config.webhook_token {
            let time = now_secs().to_string();
            query.push(("Sign", sign(token, &time)));
            query.push(("RequestTime", time));
        }
        let resp = self
            .http
            .post(url)
            .query(&query)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await?
            .error_for_status()?;
        let bytes = resp.bytes().await?;
        Ok(serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::Object(Map::new())))
    }

    /// Start the queue's writer and this node's delivery worker; both stop when `stop` turns
    /// true (the writer writes what it holds first).
    pub fn start(self: &Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let mut tasks = Vec::new();
        let queued = self.queued.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(queued) = queued {
            tasks.push(tokio::spawn(self.clone().write_queue(queued, stop.clone())));
        }
        if self.config.webhook_url.is_some() {
            tasks.push(tokio::spawn(self.clone().deliver(stop)));
        }
        tasks
    }

    async fn write_queue(
        self: Arc<Self>,
        mut queued: mpsc::UnboundedReceiver<(String, String)>,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let first = tokio::select! {
                item = queued.recv() => item,
                _ = stop.wait_for(|s| *s) => None,
            };
            let Some(first) = first else {
                // Stopping: write what is held, then end.
                let mut rest = Vec::new();
                while let Ok(item) = queued.try_recv() {
                    rest.push(item);
                }
                if !rest.is_empty() {
                    self.write_batch(rest).await;
                }
                return;
            };
            let mut batch = vec![first];
            while batch.len() < ENQUEUE_BATCH {
                match queued.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            self.write_batch(batch).await;
        }
    }

    async fn write_batch(&self, batch: Vec<(String, String)>) {
        let n = batch.len();
        for attempt in 0u32.. {
            match self
                .store
                .enqueue_callbacks(batch.clone(), now_secs())
                .await
            {
                Ok(()) => {
                    self.wake.notify_one();
                    return;
                }
                Err(e) if attempt < 5 => {
                    tracing::warn!(error = %e, callbacks = n, "could not queue callbacks; retrying");
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, callbacks = n, "after-callbacks lost: the store refused them");
                    self.metrics
                        .webhook_given_up
                        .fetch_add(n as u64, Ordering::Relaxed);
                    return;
                }
            }
        }
    }

    async fn deliver(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let lease = self.config.webhook_lease_secs.max(1);
            let due = match self.store.claim_callbacks(now_secs(), lease, CLAIM).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the callback queue");
                    Vec::new()
                }
            };
            if due.is_empty() {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                continue;
            }
            let tries = due.into_iter().map(|c| self.deliver_one(c));
            futures_util::future::join_all(tries).await;
        }
    }

    async fn deliver_one(&self, c: crate::store::QueuedCallback) {
        let body: Value = serde_json::from_str(&c.body).unwrap_or(Value::Null);
        let started = Instant::now();
        let result = self.post(&c.command, "", &body).await;
        let took = started.elapsed();
        self.metrics
            .webhooks
            .record(&c.command, result.is_err(), took);
        let outcome = match result {
            Ok(_) => {
                if let Err(e) = self.store.drop_callback(c.id).await {
                    tracing::warn!(error = %e, id = c.id, "a delivered callback stays queued (it may be delivered again)");
                }
                "delivered".to_owned()
            }
            Err(e) if c.attempts >= self.config.webhook_max_attempts => {
                tracing::error!(command = %c.command, attempts = c.attempts, error = %e, "after-callback given up (webhook_max_attempts)");
                self.metrics
                    .webhook_given_up
                    .fetch_add(1, Ordering::Relaxed);
                let _ = self.store.drop_callback(c.id).await;
                "given up".to_owned()
            }
            Err(e) => {
                let delay = backoff(&self.config, c.attempts);
                tracing::info!(command = %c.command, attempt = c.attempts, retry_in = delay, error = %e, "after-callback failed; will retry");
                let _ = self.store.retry_callback(c.id, now_secs() + delay).await;
                format!("failed: {e}")
            }
        };
        self.note(&c.command, c.attempts, outcome, took);
    }
}

/// Seconds before try `attempts + 1`: `webhook_retry_secs` doubling each time, at most
/// `webhook_retry_max_secs`.
fn backoff(c: &Config, attempts: u32) -> u64 {
    let base = c.webhook_retry_secs.max(1);
    base.saturating_mul(1u64 << attempts.saturating_sub(1).min(20))
        .min(c.webhook_retry_max_secs.max(base))
}

/// hex(sha256(token + time)).
pub fn sign(token: &str, time: &str) -> String {
    let digest = Sha256::digest(format!("{token}{time}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The body of a callback: its command, what it reports, and when.
fn body(command: &str, fields: Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert("CallbackCommand".into(), command.into());
    out.extend(fields);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    out.insert("EventTime".into(), millis.into());
    Value::Object(out)
}

/// What a before-callback's answer says.
fn judge(answer: &Value) -> (Verdict, String) {
    let code = answer.get("ErrorCode").and_then(Value::as_i64).unwrap_or(0);
    if code != 0 {
        let info = answer
            .get("ErrorInfo")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("refused by the app's back-end (a before-callback)")
            .to_owned();
        return (
            Verdict::Refuse(Refusal::new(code as i32, info)),
            format!("refused {code}"),
        );
    }
    match answer.get("MsgBody") {
        Some(body @ Value::Array(_)) => (
            Verdict::Rewrite {
                body: body.clone(),
                cloud_custom_data: answer
                    .get("CloudCustomData")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            },
            "rewritten".to_owned(),
        ),
        _ => (Verdict::Allow, "delivered".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_allow_refuse_or_rewrite() {
        assert_eq!(
            judge(&json!({"ActionStatus": "OK", "ErrorCode": 0})).0,
            Verdict::Allow
        );
        assert_eq!(judge(&json!({})).0, Verdict::Allow);
        match judge(&json!({"ErrorCode": 120001, "ErrorInfo": "no"})).0 {
            Verdict::Refuse(r) => assert_eq!((r.code, r.desc.as_str()), (120001, "no")),
            other => panic!("{other:?}"),
        }
        let body = json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "***"}}]);
        match judge(&json!({"ErrorCode": 0, "MsgBody": body})).0 {
            Verdict::Rewrite {
                body: b,
                cloud_custom_data: None,
            } => assert_eq!(b, body),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retries_back_off_to_a_ceiling() {
        let c = Config {
            webhook_retry_secs: 2,
            webhook_retry_max_secs: 30,
            ..Config::default()
        };
        let delays: Vec<u64> = (1..=6).map(|a| backoff(&c, a)).collect();
        assert_eq!(delays, [2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn the_signature_is_the_hex_sha256_of_token_and_time() {
        assert_eq!(
            sign("", ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(sign("tok", "1700000000").len(), 64);
    }
}
