//! The public async API.

mod friends;

pub use friends::{RelationStats, MAX_SEARCH_KEYWORDS};
mod group_receipts;
mod group_search;
mod groups;
mod media;
mod messages;
mod profiles;

pub(crate) use group_receipts::to_api as receipt_to_api;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentim_model::codes;
use opentim_model::config::SdkConfig;
use opentim_model::conv::ConvInfo;
use opentim_model::enums::{ConvEvent, ConvType, LoginStatus, NetworkStatus};
use opentim_model::message::Message;
use tokio::sync::{mpsc, oneshot};

use opentim_model::ids::UserId;
use opentim_protocol::op::conv::{
    ConvRequest, DeleteConversation, MarkRead, MarkReadRequest, PinConversation, PinRequest,
    RevokeMessage, RevokeRequest,
};
use opentim_protocol::op::history::{History, HistoryRequest};
use opentim_protocol::op::send::SendRequest;
use opentim_protocol::Op;

use crate::connection::{self, Command, Session};
use crate::convert::to_local;
use crate::error::{Result, SdkError};
use crate::local::{LocalStore, Mark, MarkAt, SqliteStore};
use crate::state::calls::Call;

/// Settings of a [`Client`].
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The app id the UserSigs are issued for.
    pub sdkappid: u64,
    /// Server addresses ("ws://host:port" or "host:port"); the client tries them in turn.
    pub servers: Vec<String>,
    /// Directory of the local caches (one database per user under it).
    pub data_dir: PathBuf,
    /// `TIMPlatform` number of this device; one session per user and platform.
    pub platform: i64,
    /// How long a send or a call may wait for the server's answer, reconnects included.
    pub send_timeout: Duration,
    /// How long the first connection of a login may take.
    pub login_timeout: Duration,
    /// First and largest delay between reconnect attempts (doubling with jitter in between).
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Keep-alive interval; a connection silent for three intervals is dropped and redialled.
    pub ping_interval: Duration,
    /// Extra CA certificates (PEM) to trust for `wss://` servers, besides the system's.
    pub tls_ca_file: Option<PathBuf>,
    /// A device new to the account starts from the server's conversation list and fetches at
    /// most this many unread messages of each conversation (announced as new messages); older
    /// ones stay in the server's history. 0 fetches none.
    pub backfill_unread: u32,
}

impl ClientOptions {
    pub fn new(sdkappid: u64, server: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        ClientOptions {
            sdkappid,
            servers: vec![server.into()],
            data_dir: data_dir.into(),
            platform: default_platform(),
            send_timeout: Duration::from_secs(60),
            login_timeout: Duration::from_secs(10),
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_secs(5),
            ping_interval: Duration::from_secs(20),
            tls_ca_file: None,
            backfill_unread: 100,
        }
    }
}

/// Default server when neither `opentim_server_address` nor `OPENTIM_SERVER_ADDRESS` is set.
pub const DEFAULT_SERVER: &str = "ws://127.0.0.1:9300";
/// Environment variable read when the SDK config has no `opentim_server_address`.
pub const SERVER_ENV: &str = "OPENTIM_SERVER_ADDRESS";

impl ClientOptions {
    /// Options from `TIMInit`'s `json_sdk_config`: the servers from `opentim_server_address`
    /// (comma-separated), else `OPENTIM_SERVER_ADDRESS`, else [`DEFAULT_SERVER`]; the cache under
    /// `sdk_config_config_file_path`, else `$XDG_DATA_HOME/opentim`, else
    /// `~/.local/share/opentim`.
    pub fn from_sdk_config(sdkappid: u64, config: &SdkConfig) -> Self {
        let servers: Vec<String> = config
            .opentim_server_address
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                std::env::var(SERVER_ENV)
                    .ok()
                    .filter(|s| !s.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned())
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let data_dir = config
            .config_file_path
            .clone()
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(default_data_dir);
        let mut options = ClientOptions::new(sdkappid, "", data_dir);
        options.servers = servers;
        if let Some(secs) = config.opentim_send_timeout_secs.filter(|s| *s > 0) {
            options.send_timeout = Duration::from_secs(secs);
        }
        options.tls_ca_file = config
            .opentim_tls_ca_file
            .clone()
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        options
    }
}

fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("opentim");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/share/opentim"),
        None => std::env::temp_dir().join("opentim"),
    }
}

/// The `TIMPlatform` of the machine the SDK runs on.
pub fn default_platform() -> i64 {
    if cfg!(target_os = "windows") {
        1
    } else if cfg!(target_os = "macos") {
        4
    } else {
        0
    }
}

/// What the SDK reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum SdkEvent {
    /// Messages this device had not seen (`TIMRecvNewMsgCallback`).
    NewMessages(Vec<Message>),
    /// Group tips (membership, role and profile changes) that arrived, each also carried by
    /// a message of [`SdkEvent::NewMessages`] (`TIMGroupTipsEventCallback`).
    GroupTips(Vec<opentim_model::elem::GroupTipsElem>),
    /// A group's attributes changed: the whole set as it now is
    /// (`TIMGroupAttributeChangedCallback`).
    GroupAttributes {
        group_id: String,
        attributes: Vec<opentim_model::group::GroupAttributes>,
    },
    /// Members read this user's group messages that asked for receipts: their counts now
    /// (`TIMMsgGroupReadReceiptCallback`).
    GroupReceipts(Vec<opentim_model::message::GroupMessageReceipt>),
    /// Relationship changes of this user (blacklist added or removed ...), each also carried
    /// by a message of the system conversation (the friendship callbacks).
    FriendChanges(Vec<opentim_model::elem::FriendChangeElem>),
    /// Conversations added or changed (`TIMConvEventCallback`).
    Conversations(ConvEvent, Vec<ConvInfo>),
    /// The connection's state (`TIMNetworkStatusListenerCallback`).
    Network {
        status: NetworkStatus,
        code: i32,
        desc: String,
    },
    /// The peer read this user's messages (`TIMMsgReadedReceiptCallback`).
    Receipts(Vec<opentim_model::message::MessageReceipt>),
    /// Messages were recalled by their sender (`TIMMsgRevokeCallback`).
    Revoked(Vec<opentim_model::conv::MsgLocator>),
    /// Cached messages changed after they were reported (recalled, failed or cancelled, local
    /// custom data set): each as it now is (`TIMMsgUpdateCallback`).
    Updated(Vec<Message>),
    /// The total unread count of all conversations changed, or may have
    /// (`TIMConvTotalUnreadMessageCountChangedCallback`).
    TotalUnread(u64),
    /// Another login of this user on this platform took over; the session is over.
    KickedOffline,
    /// The UserSig expired; log in again with a new one.
    UserSigExpired,
    /// An element of a message being sent is uploading: `cur` of `total` bytes are on the
    /// server (`TIMMsgElemUploadProgressCallback`; `index` is the element's place in
    /// `message_elem_array`). The last report of an element has `cur == total`.
    UploadProgress {
        message: Box<Message>,
        index: u32,
        cur: u64,
        total: u64,
    },
}

pub(crate) struct Shared {
    pub options: ClientOptions,
    pub events: mpsc::UnboundedSender<SdkEvent>,
    pub session: Mutex<Option<SessionSlot>>,
    pub next_session: AtomicU64,
    /// Server clock minus local clock, in seconds, as of the last login reply.
    pub clock_offset: AtomicI64,
    /// The server the connection logged in to last (its WebSocket URL): media go over HTTP to
    /// the same server.
    pub connected: Mutex<Option<String>>,
}

pub(crate) struct SessionSlot {
    pub id: u64,
    pub user: String,
    /// The UserSig of this login (media uploads present it).
    pub sig: String,
    pub status: LoginStatus,
    pub commands: mpsc::UnboundedSender<Command>,
    pub store: Arc<dyn LocalStore>,
    /// This login's copy of the user's friends, requests, friend groups and blacklist.
    pub relations: Arc<tokio::sync::Mutex<friends::Relations>>,
}

impl Shared {
    pub fn emit(&self, event: SdkEvent) {
        let _ = self.events.send(event);
    }

    /// The server's clock was `server_time` (seconds) just now.
    pub fn server_clock(&self, server_time: u64) {
        let offset = i64::try_from(server_time).unwrap_or(i64::MAX) - local_secs() as i64;
        self.clock_offset.store(offset, Ordering::Relaxed);
    }

    fn set_status(&self, id: u64, status: LoginStatus) {
        let mut slot = self.session.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slot.as_mut().filter(|s| s.id == id) {
            s.status = status;
        }
    }

    /// Forget session `id` if it is still the current one.
    pub fn end_session(&self, id: u64) {
        let mut slot = self.session.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|s| s.id == id) {
            *slot = None;
        }
    }
}

fn local_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One SDK instance: at most one logged-in user at a time.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

fn not_logged_in() -> SdkError {
    SdkError::new(
        codes::ERR_SDK_NOT_LOGGED_IN,
        "not logged in; call login first",
    )
}

fn no_conversation(conv_id: &str) -> SdkError {
    SdkError::new(
        codes::ERR_INVALID_CONVERSATION,
        format!("there is no conversation {conv_id:?} on this device"),
    )
}

impl Client {
    /// A client and the receiver of its events. Nothing connects until [`Client::login`].
    pub fn new(options: ClientOptions) -> (Client, mpsc::UnboundedReceiver<SdkEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            options,
            events: tx,
            session: Mutex::new(None),
            next_session: AtomicU64::new(1),
            clock_offset: AtomicI64::new(0),
            connected: Mutex::new(None),
        });
        (Client { shared }, rx)
    }

    pub fn options(&self) -> &ClientOptions {
        &self.shared.options
    }

    /// The client of the shared state (for the connection's tasks).
    pub(crate) fn of(shared: Arc<Shared>) -> Client {
        Client { shared }
    }

    fn slot<T>(&self, f: impl FnOnce(&SessionSlot) -> T) -> Result<T> {
        let slot = self
            .shared
            .session
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        slot.as_ref().map(f).ok_or_else(not_logged_in)
    }

    /// The logged-in user, if any.
    pub fn login_user(&self) -> Option<String> {
        self.slot(|s| s.user.clone()).ok()
    }

    /// Where the login stands (`TIMGetLoginStatus`).
    pub fn login_status(&self) -> LoginStatus {
        self.slot(|s| s.status).unwrap_or(LoginStatus::UNLOGINED)
    }

    /// The server's clock in seconds, as estimated from the last login reply (the local clock
    /// before the first login).
    pub fn server_time(&self) -> u64 {
        let offset = self.shared.clock_offset.load(Ordering::Relaxed);
        local_secs().saturating_add_signed(offset)
    }

    /// Log in as `user_id`. Resolves once the server accepted the UserSig; or, when the server is
    /// unreachable but this user has logged in on this device before, at once with the cached
    /// history available (the client keeps reconnecting in the background).
    pub async fn login(&self, user_id: &str, user_sig: &str) -> Result<()> {
        // Only what the local cache needs (its directory is named by the id); the server
        // decides the rest (length, existence) and its code comes back from the login.
        if let Err(e) = UserId::parse_unbounded(user_id) {
            return Err(SdkError::new(
                codes::ERR_SDK_COMM_INVALID_IDENTIFIER,
                format!("user id {user_id:?}: {e}"),
            ));
        }
        if user_sig.is_empty() {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                "user_sig is empty",
            ));
        }
        let (id, ready) = {
            let mut slot = self
                .shared
                .session
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(s) = slot.as_ref() {
                return if s.user == user_id {
                    Ok(())
                } else {
                    Err(SdkError::new(
                        codes::ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS,
                        format!("already logged in as {}; log out first", s.user),
                    ))
                };
            }
            let o = &self.shared.options;
            let store: Arc<dyn LocalStore> =
                Arc::new(SqliteStore::open(&o.data_dir, o.sdkappid, user_id)?);
            let id = self.shared.next_session.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = mpsc::unbounded_channel();
            let (ready_tx, ready_rx) = oneshot::channel();
            *slot = Some(SessionSlot {
                id,
                user: user_id.to_owned(),
                sig: user_sig.to_owned(),
                status: LoginStatus::LOGINING,
                commands: tx,
                store: store.clone(),
                relations: Default::default(),
            });
            let session = Session::new(
                id,
                user_id.to_owned(),
                user_sig.to_owned(),
                store,
                self.shared.clone(),
            );
            tokio::spawn(connection::run(session, rx, ready_tx));
            (id, ready_rx)
        };
        match ready.await {
            Ok(Ok(())) => {
                self.shared.set_status(id, LoginStatus::LOGINED);
                Ok(())
            }
            Ok(Err(e)) => {
                self.shared.end_session(id);
                Err(e)
            }
            Err(_) => {
                self.shared.end_session(id);
                Err(SdkError::new(
                    codes::ERR_SDK_NOT_LOGGED_IN,
                    "login was interrupted",
                ))
            }
        }
    }

    /// Log out: tell the server, close the connection, fail what is still unsent.
    pub async fn logout(&self) -> Result<()> {
        let (commands, id) = self.slot(|s| (s.commands.clone(), s.id))?;
        self.shared.set_status(id, LoginStatus::LOGOUTING);
        let (tx, rx) = oneshot::channel();
        if commands.send(Command::Logout(tx)).is_ok() {
            let _ = rx.await;
        }
        let id = self.slot(|s| s.id).ok();
        if let Some(id) = id {
            self.shared.end_session(id);
        }
        Ok(())
    }

    /// Send a message to a conversation. Resolves with the message as stored by the server
    /// (seq, rand, server time, status sent), after it is durable there.
    pub async fn send_message(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        message: Message,
    ) -> Result<Message> {
        let id = Self::new_message_id();
        self.send_message_with_id(conv_id, conv_type, message, id)
            .await
    }

    /// A new message id (`message_msg_id`), unique across users and devices: 128 random bits.
    pub fn new_message_id() -> String {
        connection::new_client_msg_id()
    }

    /// [`Client::send_message`] with the message id chosen by the caller (from
    /// [`Client::new_message_id`]), so it is known before the send resolves
    /// (`TIMMsgSendMessage`, `TIMMsgCancelSend`).
    pub async fn send_message_with_id(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        message: Message,
        client_msg_id: String,
    ) -> Result<Message> {
        let (commands, store, user) =
            self.slot(|s| (s.commands.clone(), s.store.clone(), s.user.clone()))?;
        // A merged message travels with the key of its bundle, kept on the server first.
        let mut message = self.keep_bundles(message).await?;
        // Media elements travel with the ids and URLs of their files, uploaded first. A failed
        // upload leaves the message failed here, to be sent again.
        if let Err(e) = self.upload_media(&mut message).await {
            let mut failed = message;
            failed.conv_id = Some(conv_id.to_owned());
            failed.conv_type = Some(conv_type);
            failed.sender = Some(user.clone());
            failed.is_from_self = Some(true);
            failed.msg_id = Some(client_msg_id.clone());
            if failed.is_online_msg != Some(true) {
                store.insert_outgoing(&client_msg_id, &failed)?;
                store.mark_failed(&client_msg_id)?;
            }
            return Err(e);
        }
        // What may be sent is the server's rule: its code and text come back in the reply.
        let rand = u64::from(rand::random::<u32>());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut local = message;
        local.conv_id = Some(conv_id.to_owned());
        local.conv_type = Some(conv_type);
        local.sender = Some(user);
        local.is_from_self = Some(true);
        local.is_read = Some(true);
        local.status = Some(opentim_model::enums::MsgStatus::SENDING);
        local.rand = Some(rand);
        local.client_time = Some(local.client_time.unwrap_or(now));
        local.platform = Some(opentim_model::enums::Platform(self.shared.options.platform));
        local.msg_id = Some(client_msg_id.clone());
        // An online-only message is never stored, on the server or here.
        if local.is_online_msg != Some(true) {
            store.insert_outgoing(&client_msg_id, &local)?;
        }
        let (tx, rx) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + self.shared.options.send_timeout;
        let request = SendRequest {
            client_msg_id,
            conv_id: conv_id.to_owned(),
            conv_type,
            rand,
            message: local.content(),
        };
        commands
            .send(Command::Send {
                request,
                deadline,
                reply: tx,
            })
            .map_err(|_| not_logged_in())?;
        rx.await.unwrap_or_else(|_| Err(not_logged_in()))
    }

    /// The newest `count` cached messages of a conversation, oldest first. Works offline.
    pub fn history(&self, conv_id: &str, conv_type: ConvType, count: u32) -> Result<Vec<Message>> {
        let store = self.slot(|s| s.store.clone())?;
        store.history(conv_id, conv_type, count)
    }

    /// A page of a conversation's history from the message with seq `anchor` (the newest
    /// when `None`; the anchor left out): `count` older messages, newest first, or with
    /// `forward` newer ones, oldest first. From the cache; with `roaming`, an older page the
    /// cache cannot fill is completed from the server's history (and cached).
    pub async fn message_page(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        anchor: Option<u64>,
        forward: bool,
        count: u32,
        roaming: bool,
    ) -> Result<Vec<Message>> {
        let (store, user) = self.slot(|s| (s.store.clone(), s.user.clone()))?;
        let mut page = store.page(conv_id, conv_type, anchor, forward, count)?;
        let missing = count.saturating_sub(page.len() as u32);
        if forward || !roaming || missing == 0 {
            return Ok(page);
        }
        // Older than the oldest the cache gave (or than the anchor).
        let before = page
            .iter()
            .filter_map(|m| m.seq)
            .min()
            .or(anchor)
            .unwrap_or(u64::MAX);
        let request = HistoryRequest {
            conv_id: conv_id.to_owned(),
            conv_type,
            before_seq: before,
            count: missing,
        };
        let older = self.call::<History>(&request).await?;
        let rows: Vec<(String, Message)> = older
            .messages
            .iter()
            .map(|w| (w.client_msg_id.clone(), to_local(&user, w)))
            .collect();
        store.backfill(&rows)?;
        // Read again: the cache now holds the page, with each message's read flags.
        page = store.page(conv_id, conv_type, anchor, false, count)?;
        Ok(page)
    }

    /// The cached messages of a conversation with these server seqs, in the order asked;
    /// seqs this device does not have are left out. Works offline.
    pub fn find_by_seqs(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        seqs: &[u64],
    ) -> Result<Vec<Message>> {
        let store = self.slot(|s| s.store.clone())?;
        let mut out = Vec::new();
        for &seq in seqs {
            out.extend(store.by_seq(conv_id, conv_type, seq)?);
        }
        Ok(out)
    }

    /// Cached conversations, most recently active first. Works offline.
    pub fn conversations(&self) -> Result<Vec<ConvInfo>> {
        let store = self.slot(|s| s.store.clone())?;
        store.conversations()
    }

    /// One cached conversation. Works offline.
    pub fn conversation(&self, conv_id: &str, conv_type: ConvType) -> Result<Option<ConvInfo>> {
        let store = self.slot(|s| s.store.clone())?;
        store.conversation(conv_id, conv_type)
    }

    /// Set (`Some`) or clear (`None`) the draft of a cached conversation, kept on this
    /// device; the conversation is reported updated.
    pub fn set_draft(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        draft: Option<&opentim_model::conv::Draft>,
    ) -> Result<()> {
        let store = self.slot(|s| s.store.clone())?;
        if !store.set_draft(conv_id, conv_type, draft)? {
            return Err(no_conversation(conv_id));
        }
        if let Some(info) = store.conversation(conv_id, conv_type)? {
            self.shared
                .emit(SdkEvent::Conversations(ConvEvent::UPDATE, vec![info]));
        }
        Ok(())
    }

    /// The conversation with `conv_id`, added to the list (empty, active now) when it is not
    /// there yet, which is then reported added.
    pub fn create_conversation(&self, conv_id: &str, conv_type: ConvType) -> Result<ConvInfo> {
        let store = self.slot(|s| s.store.clone())?;
        let created = store.create_conversation(conv_id, conv_type, self.server_time())?;
        let info = store
            .conversation(conv_id, conv_type)?
            .ok_or_else(|| no_conversation(conv_id))?;
        if created {
            self.shared
                .emit(SdkEvent::Conversations(ConvEvent::ADD, vec![info.clone()]));
        }
        Ok(info)
    }

    /// Take a conversation off the list on every device of this user (its messages stay for
    /// history; a new message brings it back, and what was unread counts as read); it is
    /// reported deleted. A conversation only this device has (created here, never written
    /// in) is deleted here.
    pub async fn delete_conversation(&self, conv_id: &str, conv_type: ConvType) -> Result<()> {
        let store = self.slot(|s| s.store.clone())?;
        let info = store
            .conversation(conv_id, conv_type)?
            .ok_or_else(|| no_conversation(conv_id))?;
        let request = ConvRequest {
            conv_id: conv_id.to_owned(),
            conv_type,
        };
        self.call::<DeleteConversation>(&request).await?;
        // Unless the inbox entry, arriving first, did it already.
        if store.delete_conversation(conv_id, conv_type)? {
            self.shared
                .emit(SdkEvent::Conversations(ConvEvent::DEL, vec![info]));
            self.shared
                .emit(SdkEvent::TotalUnread(store.total_unread()?));
        }
        Ok(())
    }

    /// Pin a conversation to the top of the list (or unpin it), on every device of this user;
    /// it is reported updated. A conversation only this device has is pinned here.
    pub async fn pin_conversation(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        pinned: bool,
    ) -> Result<ConvInfo> {
        let store = self.slot(|s| s.store.clone())?;
        if store.conversation(conv_id, conv_type)?.is_none() {
            return Err(no_conversation(conv_id));
        }
        let request = PinRequest {
            conv_id: conv_id.to_owned(),
            conv_type,
            pinned,
        };
        let answer = self.call::<PinConversation>(&request).await?;
        let mark = Mark::Pin {
            conv_type,
            conv_id: conv_id.to_owned(),
            pinned,
        };
        let at = match answer.cursor {
            0 => MarkAt::Local,
            c => MarkAt::Ahead(c),
        };
        let changed = store.apply_mark(&mark, at)?;
        let info = store
            .conversation(conv_id, conv_type)?
            .ok_or_else(|| no_conversation(conv_id))?;
        if changed {
            self.shared.emit(SdkEvent::Conversations(
                ConvEvent::UPDATE,
                vec![info.clone()],
            ));
        }
        Ok(info)
    }

    /// The unread messages of every conversation together (the server's count as of the last
    /// sync). Works offline.
    pub fn total_unread(&self) -> Result<u64> {
        let store = self.slot(|s| s.store.clone())?;
        store.total_unread()
    }

    /// Mark a conversation read up to the message with seq `up_to`, or (0) up to its newest
    /// message. The server keeps the mark: the user's other devices clear their count and the
    /// peer gets a read receipt. Resolves once the server has it, with this cache updated.
    pub async fn mark_read(&self, conv_id: &str, conv_type: ConvType, up_to: u64) -> Result<()> {
        let store = self.slot(|s| s.store.clone())?;
        let request = MarkReadRequest {
            conv_id: conv_id.to_owned(),
            conv_type,
            seq: up_to,
        };
        let answer = self.call::<MarkRead>(&request).await?;
        if answer.cursor == 0 {
            return Ok(()); // nothing was left to read
        }
        let mark = Mark::Read {
            conv_type,
            conv_id: conv_id.to_owned(),
            read_seq: answer.read_seq,
            unread: answer.unread,
        };
        // The inbox entry of the mark follows to every session; applied now, the app sees the
        // count cleared when its callback runs.
        if store.apply_mark(&mark, MarkAt::Ahead(answer.cursor))? {
            if let Some(info) = store.conversation(conv_id, conv_type)? {
                self.shared
                    .emit(SdkEvent::Conversations(ConvEvent::UPDATE, vec![info]));
            }
            self.shared
                .emit(SdkEvent::TotalUnread(store.total_unread()?));
        }
        Ok(())
    }

    /// Recall message `seq` of a conversation, one this user sent (within the server's recall
    /// window, else 20016). Every device of both users sees it recalled; resolves once the
    /// server has it, with this cache updated.
    pub async fn revoke(&self, conv_id: &str, conv_type: ConvType, seq: u64) -> Result<()> {
        let store = self.slot(|s| s.store.clone())?;
        let request = RevokeRequest {
            conv_id: conv_id.to_owned(),
            conv_type,
            seq,
        };
        let answer = self.call::<RevokeMessage>(&request).await?;
        if answer.cursor == 0 {
            return Ok(()); // recalled already
        }
        let mark = Mark::Revoke {
            conv_type,
            conv_id: conv_id.to_owned(),
            seq,
        };
        if store.apply_mark(&mark, MarkAt::Ahead(answer.cursor))? {
            if let Some(m) = store.by_seq(conv_id, conv_type, seq)? {
                self.shared.emit(SdkEvent::Updated(vec![m]));
            }
            if let Some(info) = store.conversation(conv_id, conv_type)? {
                self.shared
                    .emit(SdkEvent::Conversations(ConvEvent::UPDATE, vec![info]));
            }
        }
        Ok(())
    }

    /// Mark every cached conversation of `conv_type` (every type when `None`) that has unread
    /// messages read.
    pub async fn mark_all_read(&self, conv_type: Option<ConvType>) -> Result<()> {
        let convs = self.conversations()?;
        for c in convs {
            let (Some(id), Some(t)) = (c.conv_id.as_deref(), c.conv_type) else {
                continue;
            };
            if c.unread_num.unwrap_or(0) == 0 || conv_type.is_some_and(|want| want != t) {
                continue;
            }
            self.mark_read(id, t, 0).await?;
        }
        Ok(())
    }

    /// Call operation `O` on the server and wait for its answer. Made while the connection is
    /// down, the request goes out when it is back; without an answer within the send timeout,
    /// or when the connection drops before the answer, it fails with the network's code.
    pub async fn call<O: Op>(&self, request: &O::Request) -> Result<O::Response> {
        let commands = self.slot(|s| s.commands.clone())?;
        let body = serde_json::value::to_raw_value(request).map_err(|e| {
            SdkError::new(codes::ERR_SERIALIZE_REQ_FAILED, format!("{}: {e}", O::NAME))
        })?;
        let call = Call {
            op: O::NAME,
            body,
            deadline: tokio::time::Instant::now() + self.shared.options.send_timeout,
        };
        let (tx, rx) = oneshot::channel();
        commands
            .send(Command::Call { call, reply: tx })
            .map_err(|_| not_logged_in())?;
        let text = rx.await.unwrap_or_else(|_| Err(not_logged_in()))?;
        serde_json::from_str(&text).map_err(|e| {
            SdkError::new(
                codes::ERR_PARSE_RESPONSE_FAILED,
                format!("the server's answer to {} is not understood: {e}", O::NAME),
            )
        })
    }

    /// Messages of a conversation stored on the server (roaming history) with a seq below
    /// `before_seq`, newest first, at most `count`; not cached locally.
    pub async fn server_history(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        before_seq: u64,
        count: u32,
    ) -> Result<Vec<Message>> {
        let user = self.slot(|s| s.user.clone())?;
        let request = HistoryRequest {
            conv_id: conv_id.to_owned(),
            conv_type,
            before_seq,
            count,
        };
        let page = self.call::<History>(&request).await?;
        Ok(page.messages.iter().map(|w| to_local(&user, w)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_config_sets_how_long_a_message_may_wait() {
        let parse = |json: &str| {
            let config: SdkConfig = serde_json::from_str(json).unwrap();
            ClientOptions::from_sdk_config(1, &config).send_timeout
        };
        assert_eq!(
            parse(r#"{"opentim_send_timeout_secs": 300}"#),
            Duration::from_secs(300)
        );
        assert_eq!(parse("{}"), Duration::from_secs(60), "the default");
        assert_eq!(
            parse(r#"{"opentim_send_timeout_secs": 0}"#),
            Duration::from_secs(60)
        );
    }
}
