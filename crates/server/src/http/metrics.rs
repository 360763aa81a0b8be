//! Counters exposed at `/metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

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
        out
    }
}
