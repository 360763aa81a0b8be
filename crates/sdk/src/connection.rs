//! The connection manager: one task per logged-in session.
//!
//! It dials the servers in turn, logs in, syncs the inbox from the cached cursor, resends every
//! message not yet acknowledged (with its original client message id, so the server stores it
//! once), and then applies live events. When the connection drops it reports Disconnected, waits
//! (exponential backoff with jitter), and starts over; sends made meanwhile wait in the queue.
//!
//! Inbox entries are applied strictly in cursor order. A live entry that skips a cursor means
//! something was missed: it is set aside and a sync fetches the gap; after every sync, if an entry
//! newer than the cursor was seen, another sync runs. Entries at or below the cursor are ignored,
//! so replays never duplicate.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use opentim_model::codes;
use opentim_model::enums::{ConvEvent, NetworkStatus};
use opentim_model::message::Message;
use opentim_protocol::op::login::{Login, LoginRequest};
use opentim_protocol::op::logout::Logout;
use opentim_protocol::op::ping::Ping;
use opentim_protocol::op::send::{SendMessage, SendRequest, SendResponse};
use opentim_protocol::op::sync::{Sync, SyncRequest, SyncResponse};
use opentim_protocol::op::Empty;
use opentim_protocol::{
    decode_body, encode_request, Event, InboxEntry, InboxItem, Op, ServerFrame, PROTOCOL_VERSION,
    WS_PATH,
};
use serde_json::value::RawValue;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::client::{SdkEvent, Shared};
use crate::convert::to_local;
use crate::error::{Result, SdkError};
use crate::local::LocalStore;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Entries asked for per sync request.
const SYNC_PAGE: u32 = 200;

/// Requests from the API to the session task.
#[allow(clippy::large_enum_variant)] // One command per API call; boxing buys nothing.
pub(crate) enum Command {
    Send {
        client_msg_id: String,
        message: Message,
        deadline: Instant,
        reply: oneshot::Sender<Result<Message>>,
    },
    Logout(oneshot::Sender<()>),
}

struct Pending {
    client_msg_id: String,
    message: Message,
    deadline: Instant,
    reply: oneshot::Sender<Result<Message>>,
}

/// A new client message id: 128 random bits in hex.
pub(crate) fn new_client_msg_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub(crate) struct Session {
    id: u64,
    user: String,
    sig: String,
    store: Arc<LocalStore>,
    shared: Arc<Shared>,
    /// Unacknowledged sends in send order.
    pending: BTreeMap<u64, Pending>,
    next_pending: u64,
}

enum End {
    /// The connection dropped; dial again.
    Dropped(String),
    Kicked,
    SigExpired,
    LoggedOut(Option<oneshot::Sender<()>>),
}

enum LoginError {
    /// Could not reach a server (worth retrying).
    Network(String),
    /// The server refused the login (not worth retrying).
    Refused(SdkError),
}

fn ws_url(addr: &str) -> String {
    let base = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("ws://{addr}")
    };
    let rest = base.split_once("://").map(|(_, r)| r).unwrap_or("");
    if rest.contains('/') {
        base
    } else {
        format!("{base}{WS_PATH}")
    }
}

impl Session {
    pub(crate) fn new(
        id: u64,
        user: String,
        sig: String,
        store: Arc<LocalStore>,
        shared: Arc<Shared>,
    ) -> Self {
        Session {
            id,
            user,
            sig,
            store,
            shared,
            pending: BTreeMap::new(),
            next_pending: 1,
        }
    }

    fn network(&self, status: NetworkStatus, code: i32, desc: impl Into<String>) {
        self.shared.emit(SdkEvent::Network {
            status,
            code,
            desc: desc.into(),
        });
    }

    fn enqueue(&mut self, cmd: Command) -> Option<oneshot::Sender<()>> {
        match cmd {
            Command::Send {
                client_msg_id,
                message,
                deadline,
                reply,
            } => {
                let n = self.next_pending;
                self.next_pending += 1;
                self.pending.insert(
                    n,
                    Pending {
                        client_msg_id,
                        message,
                        deadline,
                        reply,
                    },
                );
                None
            }
            Command::Logout(done) => Some(done),
        }
    }

    fn fail_pending(&mut self, pred: impl Fn(&Pending) -> bool, err: &SdkError) {
        let keys: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| pred(p))
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            if let Some(p) = self.pending.remove(&k) {
                if let Err(e) = self.store.mark_failed(&p.client_msg_id) {
                    tracing::warn!(error = %e, "could not mark a message failed");
                }
                let _ = p.reply.send(Err(err.clone()));
            }
        }
    }

    fn expire_pending(&mut self) {
        let now = Instant::now();
        self.fail_pending(
            |p| p.deadline <= now,
            &SdkError::new(
                codes::ERR_SDK_NET_WAIT_ACK_TIMEOUT,
                "the server did not acknowledge the message in time",
            ),
        );
    }

    async fn login(&self, url: &str) -> std::result::Result<Ws, LoginError> {
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .map_err(|e| LoginError::Network(format!("cannot connect to {url}: {e}")))?;
        let frame = encode_request::<Login>(
            1,
            &LoginRequest {
                protocol: PROTOCOL_VERSION,
                user_id: self.user.clone(),
                user_sig: self.sig.clone(),
                platform: self.shared.options.platform,
            },
        );
        ws.send(WsMessage::text(frame))
            .await
            .map_err(|e| LoginError::Network(e.to_string()))?;
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Text(t))) => {
                    return match ServerFrame::decode(&t) {
                        Ok(f) if f.reply == Some(1) && f.code == 0 => Ok(ws),
                        Ok(f) if f.reply.is_some() => {
                            Err(LoginError::Refused(SdkError::new(f.code, f.desc)))
                        }
                        _ => Err(LoginError::Network(
                            "unexpected first frame from the server".into(),
                        )),
                    };
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(LoginError::Network(e.to_string())),
                None => {
                    return Err(LoginError::Network(
                        "the server closed the connection during login".into(),
                    ))
                }
            }
        }
    }
}

/// Run a session until it ends (logout, kick, expiry, or a refused login).
pub(crate) async fn run(
    mut s: Session,
    mut commands: mpsc::UnboundedReceiver<Command>,
    ready: oneshot::Sender<Result<()>>,
) {
    let opts = s.shared.options.clone();
    let mut ready = Some(ready);
    let mut backoff = opts.backoff_min;
    let mut server_index = 0usize;
    let started = Instant::now();
    let end = loop {
        let url = ws_url(&opts.servers[server_index % opts.servers.len().max(1)]);
        server_index += 1;
        s.network(NetworkStatus::CONNECTING, 0, "");
        let attempt = tokio::time::timeout(opts.login_timeout, s.login(&url)).await;
        let failure = match attempt {
            Ok(Ok(ws)) => {
                tracing::info!(user = %s.user, server = %url, "connected and logged in");
                s.network(NetworkStatus::CONNECTED, 0, "");
                s.store.set_state("logged_in_before", 1).ok();
                if let Some(r) = ready.take() {
                    let _ = r.send(Ok(()));
                }
                backoff = opts.backoff_min;
                match connected(&mut s, ws, &mut commands).await {
                    End::Dropped(why) => {
                        tracing::info!(user = %s.user, reason = %why, "disconnected; will reconnect");
                        s.network(
                            NetworkStatus::DISCONNECTED,
                            codes::ERR_SDK_NET_DISCONNECT,
                            why,
                        );
                        None
                    }
                    other => break other,
                }
            }
            Ok(Err(LoginError::Refused(e))) => Some(e),
            Ok(Err(LoginError::Network(why))) => {
                s.network(
                    NetworkStatus::CONNECT_FAILED,
                    codes::ERR_SDK_NET_DISCONNECT,
                    why.clone(),
                );
                tracing::info!(user = %s.user, reason = %why, "connect failed");
                None
            }
            Err(_) => {
                s.network(
                    NetworkStatus::CONNECT_FAILED,
                    codes::ERR_REQUEST_TIMEOUT,
                    "login timed out",
                );
                None
            }
        };
        if let Some(e) = failure {
            // The server refused this login: retrying the same ticket cannot help.
            tracing::warn!(user = %s.user, code = e.code, desc = %e.desc, "login refused");
            let expired = matches!(
                e.code,
                codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED | codes::ERR_USER_SIG_EXPIRED
            );
            match ready.take() {
                Some(r) => {
                    let _ = r.send(Err(e.clone()));
                }
                None if expired => s.shared.emit(SdkEvent::UserSigExpired),
                None => {}
            }
            s.fail_pending(|_| true, &e);
            s.shared.end_session(s.id);
            return;
        }
        if let Some(r) = ready.take() {
            // Unreachable server: let a user who has a cache here in, offline; refuse otherwise.
            if s.store.state("logged_in_before").unwrap_or(0) == 1 {
                let _ = r.send(Ok(()));
            } else if started.elapsed() >= opts.login_timeout {
                let _ = r.send(Err(SdkError::new(
                    codes::ERR_SDK_NET_DISCONNECT,
                    "cannot reach the opentim server; check opentim_server_address",
                )));
                s.shared.end_session(s.id);
                return;
            } else {
                ready = Some(r);
            }
        }
        // Back off, still taking commands.
        let jitter = rand::random::<f64>() * 0.5 + 0.75;
        let wait = backoff.mul_f64(jitter);
        backoff = (backoff * 2).min(opts.backoff_max);
        let until = Instant::now() + wait;
        let mut logout = None;
        loop {
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(cmd) => if let Some(done) = s.enqueue(cmd) { logout = Some(done); break; },
                    None => { logout = None; break; }
                },
                () = tokio::time::sleep_until(until) => break,
            }
        }
        s.expire_pending();
        if logout.is_some() || commands.is_closed() {
            break End::LoggedOut(logout);
        }
    };
    let err = match &end {
        End::Kicked => {
            s.shared.emit(SdkEvent::KickedOffline);
            SdkError::new(
                codes::ERR_LOGIN_KICKED_OFF_BY_OTHER,
                "this account logged in on another device of the same platform",
            )
        }
        End::SigExpired => {
            s.shared.emit(SdkEvent::UserSigExpired);
            SdkError::new(
                codes::ERR_USER_SIG_EXPIRED,
                "the UserSig expired; log in again with a new one",
            )
        }
        _ => SdkError::new(
            codes::ERR_SDK_NOT_LOGGED_IN,
            "logged out before the message was acknowledged",
        ),
    };
    s.fail_pending(|_| true, &err);
    s.shared.end_session(s.id);
    if let End::LoggedOut(Some(done)) = end {
        let _ = done.send(());
    }
}

/// State of one live connection.
struct Live {
    next_id: u64,
    /// Request id -> client message id of sends in flight.
    sends: HashMap<u64, String>,
    /// Id of the sync request in flight.
    syncing: Option<u64>,
    /// Newest cursor seen in a live event.
    max_seen: u64,
    last_rx: Instant,
}

async fn send_request<O: Op>(ws: &mut Ws, id: u64, body: &O::Request) -> bool {
    ws.send(WsMessage::text(encode_request::<O>(id, body)))
        .await
        .is_ok()
}

async fn connected(
    s: &mut Session,
    mut ws: Ws,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) -> End {
    let mut live = Live {
        next_id: 2,
        sends: HashMap::new(),
        syncing: None,
        max_seen: 0,
        last_rx: Instant::now(),
    };
    if !start_sync(s, &mut ws, &mut live).await {
        return End::Dropped("connection lost while starting sync".into());
    }
    // Resend everything unacknowledged, in send order.
    let keys: Vec<u64> = s.pending.keys().copied().collect();
    for k in keys {
        if !send_pending(s, &mut ws, &mut live, k).await {
            return End::Dropped("connection lost while resending".into());
        }
    }
    let ping_every = s.shared.options.ping_interval;
    let mut ticker = tokio::time::interval(
        ping_every
            .min(Duration::from_secs(1))
            .max(Duration::from_millis(100)),
    );
    let mut last_ping = Instant::now();
    loop {
        tokio::select! {
            frame = ws.next() => {
                let text = match frame {
                    Some(Ok(WsMessage::Text(t))) => t,
                    Some(Ok(WsMessage::Close(_))) | None => return End::Dropped("the server closed the connection".into()),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return End::Dropped(e.to_string()),
                };
                live.last_rx = Instant::now();
                let frame = match ServerFrame::decode(&text) {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::warn!(error = %e, "undecodable frame from the server; ignored");
                        continue;
                    }
                };
                if let Some(id) = frame.reply {
                    if !on_reply(s, &mut ws, &mut live, id, frame.code, frame.desc, frame.body).await {
                        return End::Dropped("connection lost while syncing".into());
                    }
                    continue;
                }
                let event = match frame.event.map(|name| Event::decode(name, frame.body)) {
                    Some(Ok(Some(e))) => e,
                    Some(Ok(None)) | None => continue,
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "undecodable event from the server; ignored");
                        continue;
                    }
                };
                match event {
                    Event::KickedOffline => return End::Kicked,
                    Event::UserSigExpired => return End::SigExpired,
                    Event::Inbox(entry) => {
                        if !on_live_entry(s, &mut ws, &mut live, entry).await {
                            return End::Dropped("connection lost while syncing".into());
                        }
                    }
                }
            }
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { return End::LoggedOut(None) };
                let n = s.next_pending;
                if let Some(done) = s.enqueue(cmd) {
                    let id = live.next_id;
                    let _ = send_request::<Logout>(&mut ws, id, &Empty {}).await;
                    // Wait briefly for the server to confirm, then close either way.
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        while let Some(Ok(m)) = ws.next().await {
                            if m.is_close() { break; }
                        }
                    }).await;
                    let _ = ws.close(None).await;
                    return End::LoggedOut(Some(done));
                }
                if !send_pending(s, &mut ws, &mut live, n).await {
                    return End::Dropped("connection lost while sending".into());
                }
            }
            _ = ticker.tick() => {
                s.expire_pending();
                if live.last_rx.elapsed() > ping_every * 3 {
                    return End::Dropped("the server stopped answering".into());
                }
                if last_ping.elapsed() >= ping_every {
                    last_ping = Instant::now();
                    let id = live.next_id;
                    live.next_id += 1;
                    if !send_request::<Ping>(&mut ws, id, &Empty {}).await {
                        return End::Dropped("connection lost while pinging".into());
                    }
                }
            }
        }
    }
}

async fn start_sync(s: &Session, ws: &mut Ws, live: &mut Live) -> bool {
    let cursor = s.store.cursor().unwrap_or(0);
    let id = live.next_id;
    live.next_id += 1;
    live.syncing = Some(id);
    send_request::<Sync>(
        ws,
        id,
        &SyncRequest {
            cursor,
            limit: SYNC_PAGE,
        },
    )
    .await
}

async fn send_pending(s: &Session, ws: &mut Ws, live: &mut Live, key: u64) -> bool {
    let Some(p) = s.pending.get(&key) else {
        return true;
    };
    let id = live.next_id;
    live.next_id += 1;
    live.sends.insert(id, p.client_msg_id.clone());
    let req = SendRequest {
        client_msg_id: p.client_msg_id.clone(),
        conv_id: p.message.conv_id.clone().unwrap_or_default(),
        conv_type: p.message.conv_type.unwrap_or_default(),
        rand: p.message.rand.unwrap_or_default(),
        message: p.message.clone(),
    };
    send_request::<SendMessage>(ws, id, &req).await
}

async fn on_live_entry(s: &mut Session, ws: &mut Ws, live: &mut Live, entry: InboxEntry) -> bool {
    let cursor = s.store.cursor().unwrap_or(0);
    if entry.cursor <= cursor {
        return true;
    }
    if live.syncing.is_none() && entry.cursor == cursor + 1 {
        apply_entries(s, vec![entry]);
        return true;
    }
    live.max_seen = live.max_seen.max(entry.cursor);
    if live.syncing.is_none() {
        return start_sync(s, ws, live).await;
    }
    true
}

#[allow(clippy::too_many_arguments)]
async fn on_reply(
    s: &mut Session,
    ws: &mut Ws,
    live: &mut Live,
    id: u64,
    code: i32,
    desc: String,
    body: Option<&RawValue>,
) -> bool {
    if live.syncing == Some(id) {
        live.syncing = None;
        match decode_body::<SyncResponse>(body) {
            Ok(SyncResponse { entries, more }) if code == 0 => {
                let last = entries.last().map(|e| e.cursor).unwrap_or(0);
                apply_entries(s, entries);
                live.max_seen = live.max_seen.max(last);
                let cursor = s.store.cursor().unwrap_or(0);
                if more || live.max_seen > cursor {
                    return start_sync(s, ws, live).await;
                }
            }
            _ => {
                tracing::warn!(code, desc = %desc, "sync failed; it is retried on the next event or reconnect")
            }
        }
        return true;
    }
    let Some(client_msg_id) = live.sends.remove(&id) else {
        return true;
    };
    let Some(key) = s
        .pending
        .iter()
        .find(|(_, p)| p.client_msg_id == client_msg_id)
        .map(|(k, _)| *k)
    else {
        return true;
    };
    let Some(p) = s.pending.remove(&key) else {
        return true;
    };
    let sent = match code {
        0 => decode_body::<SendResponse>(body).ok(),
        _ => None,
    };
    match sent {
        Some(SendResponse { message, cursor }) => {
            let local = to_local(&s.user, &message);
            match s.store.apply_ack(&client_msg_id, &local) {
                Ok(applied) => {
                    s.shared.emit(SdkEvent::Conversations(
                        applied.conv_event,
                        conv_of(s, &applied.message),
                    ));
                    let _ = p.reply.send(Ok(applied.message));
                }
                Err(e) => {
                    let _ = p.reply.send(Err(e));
                }
            }
            // The server sends this session no inbox event for its own message: the reply is
            // that entry of our inbox, so it advances the cursor like one.
            let entry = InboxEntry {
                cursor,
                item: InboxItem::Message { message },
            };
            return on_live_entry(s, ws, live, entry).await;
        }
        _ => {
            let err = SdkError::new(
                if code == 0 {
                    codes::ERR_SVR_MSG_INTERNAL_ERROR1
                } else {
                    code
                },
                desc,
            );
            if let Err(e) = s.store.mark_failed(&client_msg_id) {
                tracing::warn!(error = %e, "could not mark a message failed");
            }
            let _ = p.reply.send(Err(err));
        }
    }
    true
}

fn conv_of(s: &Session, m: &Message) -> Vec<opentim_model::conv::ConvInfo> {
    let conv_id = m.conv_id.clone().unwrap_or_default();
    s.store
        .conversation(&conv_id, m.conv_type.unwrap_or_default())
        .ok()
        .flatten()
        .into_iter()
        .collect()
}

/// Apply consecutive inbox entries (already in cursor order) and report what was new.
fn apply_entries(s: &mut Session, entries: Vec<InboxEntry>) {
    let cursor = s.store.cursor().unwrap_or(0);
    let mut expected = cursor + 1;
    let mut batch = Vec::new();
    for e in entries {
        if e.cursor < expected {
            continue;
        }
        if e.cursor != expected {
            break;
        }
        expected += 1;
        match e.item {
            InboxItem::Message { message } => {
                batch.push((message.client_msg_id.clone(), to_local(&s.user, &message)))
            }
        }
    }
    if expected == cursor + 1 {
        return;
    }
    match s.store.apply(&batch, expected - 1) {
        Ok(applied) => {
            let new: Vec<Message> = applied
                .iter()
                .filter(|a| a.is_new)
                .map(|a| a.message.clone())
                .collect();
            if !new.is_empty() {
                s.shared.emit(SdkEvent::NewMessages(new));
            }
            let mut added = Vec::new();
            let mut updated = Vec::new();
            let key = |a: &crate::local::Applied| {
                (
                    a.message.conv_type.unwrap_or_default(),
                    a.message.conv_id.clone().unwrap_or_default(),
                )
            };
            let new_convs: std::collections::HashSet<_> = applied
                .iter()
                .filter(|a| a.conv_event == ConvEvent::ADD)
                .map(key)
                .collect();
            let mut seen = std::collections::HashSet::new();
            for a in applied.iter().rev() {
                let k = key(a);
                if !seen.insert(k.clone()) {
                    continue;
                }
                let infos = conv_of(s, &a.message);
                if new_convs.contains(&k) {
                    added.extend(infos);
                } else {
                    updated.extend(infos);
                }
            }
            if !added.is_empty() {
                s.shared
                    .emit(SdkEvent::Conversations(ConvEvent::ADD, added));
            }
            if !updated.is_empty() {
                s.shared
                    .emit(SdkEvent::Conversations(ConvEvent::UPDATE, updated));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store synced messages; they are synced again later")
        }
    }
}
