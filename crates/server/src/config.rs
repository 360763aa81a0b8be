//! Server settings. Every limit the server enforces is a named field here with its default; the
//! `opentim serve` command layers a TOML file, `OPENTIM_*` environment variables and flags over
//! these defaults.

use std::path::PathBuf;

use serde::Deserialize;

/// All settings of one server node.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. "0.0.0.0:9300". Port 0 picks a free port.
    pub listen: String,
    /// Directory holding the embedded SQLite database (created if missing).
    pub data_dir: PathBuf,
    /// The app id (SDKAppID) whose UserSigs this server accepts.
    pub sdkappid: u64,
    /// The app's secret key: UserSigs are HMAC-SHA256 signed with it.
    pub secret_key: String,
    /// Largest message body (all elements, as JSON) in bytes. Default 12 KB.
    pub max_message_bytes: usize,
    /// Longest user id in bytes. Default 32.
    pub max_user_id_bytes: usize,
    /// Largest WebSocket frame accepted from a client, in bytes. Default 64 KB.
    pub max_frame_bytes: usize,
    /// Events queued for one session before it is treated as a slow reader and disconnected
    /// (it resyncs on reconnect). Default 4096.
    pub session_queue_len: usize,
    /// Most concurrent client connections. Default 100000.
    pub max_connections: usize,
    /// Seconds a new connection has to send its login frame. Default 10.
    pub login_timeout_secs: u64,
    /// Logins this node admits per second; more wait their turn (a reconnect storm after a node
    /// dies is spread out, so sessions already here stay responsive). 0: no limit. Default 1000.
    pub max_logins_per_sec: u32,
    /// Longest a login waits for its turn; beyond, it is refused at once with
    /// ERR_SVR_SSO_OVERLOAD (-10114) and the client backs off. Default 5.
    pub login_queue_secs: f64,
    /// Sync pages this node reads at once; more wait. Default 16.
    pub max_concurrent_syncs: usize,
    /// Requests (frames) one user may make per second on one node; beyond, a request is answered
    /// with ERR_SVR_SSO_FREQ_LIMIT (-10113) unserved. 0: no limit. Default 200.
    pub max_frames_per_sec: u32,
    /// Messages one user may send per second on one node; beyond, a send is refused with
    /// ERR_SVR_COMM_REQ_FREQ_LIMIT (60018) and nothing is stored. 0: no limit. Default 100.
    pub max_sends_per_sec: u32,
    /// Seconds of `max_frames_per_sec` and `max_sends_per_sec` a user may use at once (a client
    /// flushing what it queued offline is not refused). Default 10.
    pub rate_burst_secs: u32,
    /// Inbox entries returned per sync page. Default 200.
    pub sync_page: u32,
    /// Most messages per history page. Default 100.
    pub max_history_page: u32,
    /// Most conversations a conversation list holds (the most recently active). Default 1000.
    pub max_conversations: u32,
    /// How long after sending its sender may recall a message, in seconds (past it: 20016).
    /// Default 120.
    pub revoke_window_secs: u64,
    /// Most messages one request may delete (`TIMMsgListDelete`). Default 30.
    pub max_delete_messages: u32,
    /// Most users one request may set or read the receive option of
    /// (`TIMMsgSetC2CReceiveMessageOpt`). Default 30.
    pub max_receive_opt_users: u32,
    /// Most messages one merged (forwarded bundle) message holds. Default 300.
    pub max_merger_messages: u32,
    /// Longest group id, in bytes (printable ASCII). Default 48.
    pub max_group_id_bytes: usize,
    /// Longest group name, notification, introduction and face URL, in bytes. Defaults 30,
    /// 300, 240 and 100.
    pub max_group_name_bytes: usize,
    pub max_group_notification_bytes: usize,
    pub max_group_introduction_bytes: usize,
    pub max_group_face_url_bytes: usize,
    /// Most custom fields of a group. Default 10.
    pub max_group_custom_fields: usize,
    /// Most members of a group other than a broadcast room (AVChatRoom and BChatRoom have no
    /// cap). Default 2000.
    pub max_group_members: u32,
    /// Most groups one user may be a member of (broadcast rooms entered without membership
    /// do not count). Default 1000.
    pub max_joined_groups: u64,
    /// Most groups one `TIMGroupGetGroupInfoList` may name. Default 50.
    pub max_groups_per_info_request: usize,
    /// Most users one invitation, removal or member lookup may name. Default 500.
    pub max_group_users_per_request: usize,
    /// Members per page of `TIMGroupGetMemberInfoList`. Default 100.
    pub group_member_page: u32,
    /// Most messages per second one group takes (on each node); more are refused with
    /// ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT (10023). Default 40.
    pub group_messages_per_sec: u32,
    /// Longest member name card, in bytes. Default 50.
    pub max_group_name_card_bytes: usize,
    /// Longest key and value of a group's or member's custom field, in bytes. Defaults 16
    /// and 512.
    pub max_group_custom_key_bytes: usize,
    pub max_group_custom_value_bytes: usize,
    /// Most custom fields of a member. Default 5.
    pub max_member_custom_fields: usize,
    /// Most pendencies per page of `TIMGroupGetPendencyList` (the caller may ask fewer).
    /// Default 20.
    pub group_pendency_page: u32,
    /// Most attributes of a group, longest key and value, and most bytes of keys and values
    /// together. Defaults 16, 32, 4096 and 16384.
    pub max_group_attributes: usize,
    pub max_group_attribute_key_bytes: usize,
    pub max_group_attribute_value_bytes: usize,
    pub max_group_attributes_bytes: usize,
    /// Longest profile text (nickname, face URL, signature, location), in bytes. Default 500.
    pub max_profile_text_bytes: usize,
    /// Most custom profile fields, longest key (after `Tag_Profile_Custom_`) and value, in
    /// bytes. Defaults 20, 8 and 500.
    pub max_profile_custom_fields: usize,
    pub max_profile_custom_key_bytes: usize,
    pub max_profile_custom_value_bytes: usize,
    /// Most users one blacklist holds. Default 1000.
    pub max_blacklist: u64,
    /// Most users one friendship request (block, unblock ...) may name. Default 100.
    pub max_friendship_users_per_request: usize,
    /// Most friends of one user (else 30010, or 30014 for the other side). Default 3000.
    pub max_friends: u64,
    /// Most friend requests waiting for one user's answer (else 30012). Default 100.
    pub max_friend_requests: u64,
    /// Most friend groups of one user (else 30011) and longest group name in bytes.
    /// Defaults 32 and 30.
    pub max_friend_groups: u64,
    pub max_friend_group_name_bytes: usize,
    /// Longest friend remark, and longest add wording and add source, in bytes. Defaults 96,
    /// 256 and 64. Custom friend fields keep the custom profile field limits.
    pub max_friend_remark_bytes: usize,
    pub max_friend_wording_bytes: usize,
    pub max_friend_source_bytes: usize,
    /// Only friends (each in the other's list) may send each other C2C messages (else 20009,
    /// 20010 or 20011). Default off.
    pub c2c_friends_only: bool,
    /// The app administrators: the identifiers whose UserSigs may call the REST API (`/v4`).
    /// Default `["administrator"]`.
    pub admin_accounts: Vec<String>,
    /// REST `openim/sendmsg` (and `importmsg`) calls per second, for the app (else 60007).
    /// Default 200.
    pub rest_sendmsg_per_sec: u32,
    /// REST `openim/batchsendmsg` recipients per minute, for the app: a send to 500 users
    /// counts 500 (else 60007). Default 12000.
    pub rest_batchsendmsg_per_min: u32,
    /// Calls per second of every other REST endpoint, each counted on its own (else 60007).
    /// Default 200.
    pub rest_requests_per_sec: u32,
    /// Most recipients of one `batchsendmsg` (else 90011). Default 500.
    pub max_batch_recipients: usize,
    /// Most accounts in one `multiaccount_import`, `account_delete` or `account_check` (else
    /// 70402). Default 100.
    pub max_rest_accounts_per_request: usize,
    /// Most accounts in one `query_online_status` (else 90011). Default 500.
    pub max_online_status_accounts: usize,
    /// Largest REST request body in bytes (else 93000). Default 1 MiB.
    pub max_rest_body_bytes: usize,
    /// The app back-end's callback URL (webhooks). Unset: no callbacks.
    pub webhook_url: Option<String>,
    /// When set, each callback's query carries `RequestTime` and `Sign` =
    /// hex(sha256(token + RequestTime)).
    pub webhook_token: Option<String>,
    /// The callback commands to call (e.g. `C2C.CallbackBeforeSendMsg`); empty: all of them.
    pub webhook_commands: Vec<String>,
    /// How long a callback may take, in milliseconds; a before-callback that takes longer lets
    /// the request through. Default 2000.
    pub webhook_timeout_ms: u64,
    /// Seconds before the first retry of a failed after-callback; each retry doubles it.
    /// Default 1.
    pub webhook_retry_secs: u64,
    /// Longest wait between retries, in seconds. Default 300.
    pub webhook_retry_max_secs: u64,
    /// Tries of an after-callback before it is given up (logged and counted). Default 20.
    pub webhook_max_attempts: u32,
    /// Seconds a node holds an after-callback it is delivering before another node may take
    /// it (a node that died). Default 30.
    pub webhook_lease_secs: u64,
    /// Most users one profile read may name. Default 100.
    pub max_profiles_per_request: usize,
    /// Largest image and voice upload, and largest file and video upload, in bytes (else
    /// 7005, ERR_SDK_COMM_FILE_TOO_LARGE). Defaults 28 MiB, 28 MiB, 100 MiB and 100 MiB.
    pub max_image_bytes: u64,
    pub max_sound_bytes: u64,
    pub max_file_bytes: u64,
    pub max_video_bytes: u64,
    /// Long side, in pixels, of the large and thumbnail variants the server makes of an
    /// uploaded image (an image no bigger keeps its size). Defaults 720 and 198.
    pub image_large_px: u32,
    pub image_thumb_px: u32,
    /// Largest chunk of one upload request, in bytes: what the server holds in memory per
    /// upload at a time, whatever the file's size. Default 4 MiB.
    pub media_chunk_bytes: usize,
    /// How long a download URL handed out with a message stays valid, in seconds. Default
    /// 604800 (7 days).
    pub media_url_ttl_secs: u64,
    /// Base of the download URLs put in messages (`https://chat.example.com`). Default none:
    /// the URLs are paths (`/media/files/...`) that the SDK resolves against the server it
    /// is connected to.
    pub media_public_url: Option<String>,
    /// Files older than this are removed (the roaming period: the messages naming them are
    /// gone from the server's history by then), in seconds. Default 604800 (7 days).
    pub media_retention_secs: u64,
    /// Uploads not finished within this are removed, in seconds. Default 86400.
    pub media_upload_ttl_secs: u64,
    /// Files that no message named within this of their upload are removed, in seconds.
    /// Default 86400.
    pub media_unreferenced_secs: u64,
    /// How often the removal runs, in seconds. Default 3600.
    pub media_sweep_secs: u64,
    /// Most messages one read-receipt request may name. Default 30.
    pub max_group_receipts_per_request: usize,
    /// SQLite `synchronous` mode: "full" (default; an ack means the message survived power
    /// loss) or "normal" (survives a process crash, may lose the last commits on power loss).
    pub sqlite_synchronous: String,
    /// Most writes committed in one SQLite transaction (group commit). Default 512.
    pub write_batch: usize,
    /// PostgreSQL URL (`postgres://user@host/db`). When set, the store is PostgreSQL instead of
    /// SQLite under `data_dir`; every node of a cluster points at the same database.
    pub database_url: Option<String>,
    /// PostgreSQL schema to use (created if missing). Default: the server's default
    /// (`public`). Lets several deployments or test runs share one database.
    pub database_schema: Option<String>,
    /// Connections in the PostgreSQL pool. Default 16.
    pub database_pool_size: usize,
    /// Seconds a database operation that fails transiently (connection refused or reset, the
    /// database restarting, pool timeouts) is repeated before the request fails with
    /// ERR_SVR_MSG_NET_ERROR (20004, "temporarily unavailable"). Default 10.
    pub store_retry_secs: u64,
    /// PEM file of the CA that signed the PostgreSQL server's certificate. With
    /// `sslmode=require` in `database_url` the connection is encrypted; with this set, the
    /// server's certificate is also verified against it.
    pub database_ca_file: Option<PathBuf>,
    /// NATS URL (`nats://host:4222`). When set, events reach sessions on every node through
    /// NATS; otherwise they stay in this process (one node).
    pub nats_url: Option<String>,
    /// NATS subject prefix, so several deployments can share one NATS. Default "opentim".
    pub nats_prefix: String,
    /// Name of this node in logs and cluster messages. Default: random.
    pub node_id: String,
    /// PEM file with the TLS certificate chain. With `tls_key_file`, the server speaks TLS
    /// itself (`wss://`, `https://`); without, it serves plain `ws://` (put a TLS proxy in
    /// front for the internet).
    pub tls_cert_file: Option<PathBuf>,
    /// PEM file with the private key of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:9300".into(),
            data_dir: PathBuf::from("opentim-data"),
            sdkappid: 1_400_000_000,
            secret_key: String::new(),
            max_message_bytes: 12 * 1024,
            max_user_id_bytes: 32,
            max_frame_bytes: 64 * 1024,
            session_queue_len: 4096,
            max_connections: 100_000,
            login_timeout_secs: 10,
            max_logins_per_sec: 1000,
            login_queue_secs: 5.0,
            max_concurrent_syncs: 16,
            max_frames_per_sec: 200,
            max_sends_per_sec: 100,
            rate_burst_secs: 10,
            sync_page: 200,
            max_history_page: 100,
            max_conversations: 1000,
            revoke_window_secs: 120,
            max_delete_messages: 30,
            max_receive_opt_users: 30,
            max_merger_messages: 300,
            max_group_id_bytes: 48,
            max_group_name_bytes: 30,
            max_group_notification_bytes: 300,
            max_group_introduction_bytes: 240,
            max_group_face_url_bytes: 100,
            max_group_custom_fields: 10,
            max_group_members: 2000,
            max_joined_groups: 1000,
            max_groups_per_info_request: 50,
            max_group_users_per_request: 500,
            group_member_page: 100,
            group_messages_per_sec: 40,
            max_group_name_card_bytes: 50,
            max_group_custom_key_bytes: 16,
            max_group_custom_value_bytes: 512,
            max_member_custom_fields: 5,
            group_pendency_page: 20,
            max_group_attributes: 16,
            max_group_attribute_key_bytes: 32,
            max_group_attribute_value_bytes: 4096,
            max_group_attributes_bytes: 16384,
            max_group_receipts_per_request: 30,
            max_profile_text_bytes: 500,
            max_profile_custom_fields: 20,
            max_profile_custom_key_bytes: 8,
            max_profile_custom_value_bytes: 500,
            max_profiles_per_request: 100,
            max_image_bytes: 28 << 20,
            max_sound_bytes: 28 << 20,
            max_file_bytes: 100 << 20,
            max_video_bytes: 100 << 20,
            image_large_px: 720,
            image_thumb_px: 198,
            media_chunk_bytes: 4 << 20,
            media_url_ttl_secs: 7 * 86_400,
            media_public_url: None,
            media_retention_secs: 7 * 86_400,
            media_upload_ttl_secs: 86_400,
            media_unreferenced_secs: 86_400,
            media_sweep_secs: 3600,
            max_blacklist: 1000,
            max_friendship_users_per_request: 100,
            max_friends: 3000,
            max_friend_requests: 100,
            max_friend_groups: 32,
            max_friend_group_name_bytes: 30,
            max_friend_remark_bytes: 96,
            max_friend_wording_bytes: 256,
            max_friend_source_bytes: 64,
            c2c_friends_only: false,
            admin_accounts: vec!["administrator".into()],
            rest_sendmsg_per_sec: 200,
            rest_batchsendmsg_per_min: 12_000,
            rest_requests_per_sec: 200,
            max_batch_recipients: 500,
            max_rest_accounts_per_request: 100,
            max_online_status_accounts: 500,
            max_rest_body_bytes: 1 << 20,
            webhook_url: None,
            webhook_token: None,
            webhook_commands: Vec::new(),
            webhook_timeout_ms: 2000,
            webhook_retry_secs: 1,
            webhook_retry_max_secs: 300,
            webhook_max_attempts: 20,
            webhook_lease_secs: 30,
            sqlite_synchronous: "full".into(),
            write_batch: 512,
            store_retry_secs: 10,
            database_url: None,
            database_schema: None,
            database_pool_size: 16,
            database_ca_file: None,
            nats_url: None,
            nats_prefix: "opentim".into(),
            node_id: format!("node-{:08x}", rand::random::<u32>()),
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

impl Config {
    /// Whether `user` is one of the app administrators (`admin_accounts`).
    pub fn is_admin(&self, user: &str) -> bool {
        self.admin_accounts.iter().any(|a| a == user)
    }

    /// Check the settings for values the server cannot run with.
    pub fn validate(&self) -> Result<(), String> {
        if self.secret_key.is_empty() {
            return Err("secret_key is empty: set it in the config file, OPENTIM_SECRET_KEY or --secret-key".into());
        }
        if !matches!(
            self.sqlite_synchronous.as_str(),
            "full" | "normal" | "extra"
        ) {
            return Err(format!(
                "sqlite_synchronous must be \"full\", \"extra\" or \"normal\", not {:?}",
                self.sqlite_synchronous
            ));
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(format!("database_url must start with postgres:// (got {url:?}); leave it unset for SQLite"));
            }
        }
        if let Some(schema) = &self.database_schema {
            if schema.is_empty()
                || !schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(format!(
                    "database_schema must be letters, digits and underscores (got {schema:?})"
                ));
            }
        }
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return Err(
                "set both tls_cert_file and tls_key_file (or neither, for plain ws://)".into(),
            );
        }
        if self.nats_prefix.is_empty() || self.nats_prefix.contains(['*', '>', ' ']) {
            return Err("nats_prefix must be a plain NATS subject token".into());
        }
        if !(self.login_queue_secs.is_finite() && self.login_queue_secs >= 0.0) {
            return Err("login_queue_secs must be a number of seconds, 0 or more".into());
        }
        if self.max_message_bytes == 0
            || self.max_user_id_bytes == 0
            || self.session_queue_len == 0
            || self.max_concurrent_syncs == 0
            || self.rate_burst_secs == 0
        {
            return Err("limits must be greater than zero".into());
        }
        Ok(())
    }
}
