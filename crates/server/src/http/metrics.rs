//! Counters exposed at `/metrics` in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Calls, failures and time spent, per name (a REST command, a webhook command).
#[derive(Default)]
pub struct CallStats {
    by_name: Mutex<BTreeMap<String, CallCounts>>,
}

#[derive(Default, Clone, Copy)]
struct CallCounts {
    calls: u64,
    failures: u64,
    seconds: f64,
}

impl CallStats {
    /// Count one call of `name` that took `took`.
    pub fn record(&self, name: &str, failed: bool, took: Duration) {
        let mut map = self.by_name.lock().unwrap_or_else(|p| p.into_inner());
        if !map.contains_key(name) {
            map.insert(name.to_owned(), CallCounts::default());
        }
        if let Some(c) = map.get_mut(name) {
            c.calls += 1;
            c.failures += u64::from(failed);
            c.seconds += took.as_secs_f64();
        }
    }

    /// Calls of `name` so far (tests).
    pub fn calls(&self, name: &str) -> u64 {
        let map = self.by_name.lock().unwrap_or_else(|p| p.into_inner());
        map.get(name).map_or(0, |c| c.calls)
    }

    /// `<prefix>_total`, `<prefix>_failures_total` and `<prefix>_seconds` (a summary's sum and
    /// count), labelled `command`.
    fn render(&self, out: &mut String, prefix: &str, what: &str) {
        let map = self
            .by_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let _ = writeln!(
            out,
            "# HELP {prefix}_total {what} calls.\n# TYPE {prefix}_total counter"
        );
        for (name, c) in &map {
            let _ = writeln!(out, "{prefix}_total{{command=\"{name}\"}} {}", c.calls);
        }
        let _ = writeln!(
            out,
            "# HELP {prefix}_failures_total {what} calls that failed.\n# TYPE {prefix}_failures_total counter"
        );
        for (name, c) in &map {
            let _ = writeln!(
                out,
                "{prefix}_failures_total{{command=\"{name}\"}} {}",
                c.failures
            );
        }
        let _ = writeln!(
            out,
            "# HELP {prefix}_seconds Time {what} calls took.\n# TYPE {prefix}_seconds summary"
        );
        for (name, c) in &map {
            let _ = writeln!(
                out,
                "{prefix}_seconds_sum{{command=\"{name}\"}} {}",
                c.seconds
            );
            let _ = writeln!(
                out,
                "{prefix}_seconds_count{{command=\"{name}\"}} {}",
                c.calls
            );
        }
    }
}

/// Process-wide counters of one node.
#[derive(Default)]
pub struct Metrics {
    pub connections: AtomicU64,
    pub logins: AtomicU64,
    pub login_failures: AtomicU64,
    pub messages_stored: AtomicU64,
    pub messages_rejected: AtomicU64,
    pub online_messages: AtomicU64,
    pub deliveries: AtomicU64,
    pub sync_entries: AtomicU64,
    pub kicked: AtomicU64,
    pub slow_readers: AtomicU64,
    pub logins_overloaded: AtomicU64,
    pub throttled_requests: AtomicU64,
    pub throttled_sends: AtomicU64,
    pub media_uploads: AtomicU64,
    pub media_upload_bytes: AtomicU64,
    pub media_refused: AtomicU64,
    pub media_downloads: AtomicU64,
    pub media_removed_uploads: AtomicU64,
    pub media_removed_files: AtomicU64,
    /// REST (`/v4`) requests, per `service/command`.
    pub rest: CallStats,
    pub rest_throttled: AtomicU64,
    /// Webhook calls, per callback command.
    pub webhooks: CallStats,
    pub webhook_timeouts: AtomicU64,
    pub webhook_given_up: AtomicU64,
}

impl Metrics {
    /// Render every counter; `sessions` is the current number of logged-in sessions.
    pub fn render(&self, sessions: usize) -> String {
        let mut out = String::new();
        let mut put = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        put(
            "opentim_connections",
            "gauge",
            "Open WebSocket connections.",
            get(&self.connections),
        );
        put(
            "opentim_sessions",
            "gauge",
            "Logged-in sessions on this node.",
            sessions as u64,
        );
        put(
            "opentim_logins_total",
            "counter",
            "Successful logins.",
            get(&self.logins),
        );
        put(
            "opentim_login_failures_total",
            "counter",
            "Refused logins.",
            get(&self.login_failures),
        );
        put(
            "opentim_messages_stored_total",
            "counter",
            "Messages durably stored.",
            get(&self.messages_stored),
        );
        put(
            "opentim_messages_rejected_total",
            "counter",
            "Sends refused.",
            get(&self.messages_rejected),
        );
        put(
            "opentim_online_messages_total",
            "counter",
            "Online-only messages handed to the sessions online (never stored).",
            get(&self.online_messages),
        );
        put(
            "opentim_deliveries_total",
            "counter",
            "Events queued to online sessions.",
            get(&self.deliveries),
        );
        put(
            "opentim_sync_entries_total",
            "counter",
            "Inbox entries sent by sync.",
            get(&self.sync_entries),
        );
        put(
            "opentim_kicked_total",
            "counter",
            "Sessions kicked by a newer login.",
            get(&self.kicked),
        );
        put(
            "opentim_slow_reader_disconnects_total",
            "counter",
            "Sessions cut off for a full queue.",
            get(&self.slow_readers),
        );
        put(
            "opentim_logins_overloaded_total",
            "counter",
            "Logins refused because the login queue was full (max_logins_per_sec, login_queue_secs).",
            get(&self.logins_overloaded),
        );
        put(
            "opentim_throttled_requests_total",
            "counter",
            "Requests refused for a user's frame rate (max_frames_per_sec).",
            get(&self.throttled_requests),
        );
        put(
            "opentim_throttled_sends_total",
            "counter",
            "Sends refused for a user's message rate (max_sends_per_sec).",
            get(&self.throttled_sends),
        );
        put(
            "opentim_media_uploads_total",
            "counter",
            "Uploads finished (files kept).",
            get(&self.media_uploads),
        );
        put(
            "opentim_media_upload_bytes_total",
            "counter",
            "Bytes of the uploads finished.",
            get(&self.media_upload_bytes),
        );
        put(
            "opentim_media_refused_total",
            "counter",
            "Media requests refused (size, kind, authentication, URL signature or expiry).",
            get(&self.media_refused),
        );
        put(
            "opentim_media_downloads_total",
            "counter",
            "Downloads started through signed URLs.",
            get(&self.media_downloads),
        );
        put(
            "opentim_media_removed_uploads_total",
            "counter",
            "Unfinished uploads removed after media_upload_ttl_secs.",
            get(&self.media_removed_uploads),
        );
        put(
            "opentim_media_removed_files_total",
            "counter",
            "Files removed after media_retention_secs.",
            get(&self.media_removed_files),
        );
        put(
            "opentim_rest_throttled_total",
            "counter",
            "REST requests refused for their endpoint's rate (rest_*_per_sec, rest_batchsendmsg_per_min).",
            get(&self.rest_throttled),
        );
        put(
            "opentim_webhook_timeouts_total",
            "counter",
            "Before-callbacks that did not answer within webhook_timeout_ms (the request went through).",
            get(&self.webhook_timeouts),
        );
        put(
            "opentim_webhook_given_up_total",
            "counter",
            "After-callbacks given up after webhook_max_attempts tries.",
            get(&self.webhook_given_up),
        );
        self.rest
            .render(&mut out, "opentim_rest_requests", "REST API");
        self.webhooks
            .render(&mut out, "opentim_webhook_calls", "Webhook");
        out
    }
}
