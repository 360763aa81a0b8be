//! The connection task: one per logged-in session, a thin shell around the sans-I/O [`Core`].
//!
//! It dials the servers in turn, logs in, and then feeds the core what the socket, the API and
//! the clock bring, doing what the core answers: writing frames, storing batches of inbox
//! entries in one local transaction, resolving sends, reporting events. When the connection
//! drops it reports Disconnected, waits (exponential backoff with jitter), and starts over;
//! sends made meanwhile wait in the core's outbox and go out, with their original client message
//! ids, at the next connection.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use opentim_model::codes;
use opentim_model::conv::{ConvInfo, MsgLocator};
use opentim_model::elem::{Elem, FriendChangeElem, GroupTipsElem};
use opentim_model::enums::{ConvEvent, ConvType, MsgStatus, NetworkStatus};
use opentim_model::message::{Message, MessageReceipt};
use opentim_protocol::op::conv::ConvListResponse;
use opentim_protocol::op::history::{History, HistoryRequest, HistoryResponse};
use opentim_protocol::op::login::{Login, LoginRequest, LoginResponse};
use opentim_protocol::op::send::SendRequest;
use opentim_protocol::{
    decode_body, encode_request, InboxItem, ServerFrame, PROTOCOL_VERSION, WS_PATH,
};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::client::{SdkEvent, Shared};
use crate::convert::to_local;
use crate::error::{Result, SdkError};
use crate::local::{Applied, LocalStore, Mark, MarkAt, Seed, BOOTSTRAPPED};
use crate::state::calls::{Call, CallKey};
use crate::state::outbox::SendKey;
use crate::state::{Action, Batch, Core, GroupStaged, Staged};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Most frames taken from the socket before their entries are stored together.
const MAX_BURST: usize = 512;

/// Requests from the API to the session task.
#[allow(clippy::large_enum_variant)] // One command per API call; boxing buys nothing.
pub(crate) enum Command {
    Send {
        request: SendRequest,
        deadline: Instant,
        reply: oneshot::Sender<Result<Message>>,
    },
    Call {
        call: Call,
        reply: oneshot::Sender<Result<String>>,
    },
    /// Cancel the send of this client message id, if it never left the device.
    Cancel {
        client_msg_id: String,
        reply: oneshot::Sender<Result<()>>,
    },
    /// The session entered (or left) a broadcast room, to enter again at reconnects.
    Room {
        group_id: String,
        entered: bool,
    },
    Logout(oneshot::Sender<()>),
}

/// Fill in each conversation's unread messages from the server's history (`jobs`: the request
/// and the conversation's read mark) and announce them as new messages.
async fn backfill(
    shared: Arc<Shared>,
    store: Arc<dyn LocalStore>,
    user: String,
    commands: mpsc::UnboundedSender<Command>,
    jobs: Vec<(HistoryRequest, u64)>,
    held: Arc<Mutex<Held>>,
) {
    let release = |request: &HistoryRequest| {
        let conv = (request.conv_type, request.conv_id.clone());
        let later = held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .release(&conv);
        announce_released(&shared, later);
    };
    for (request, read_seq) in jobs {
        let Ok(body) = serde_json::value::to_raw_value(&request) else {
            release(&request);
            continue;
        };
        let call = Call {
            op: <History as opentim_protocol::Op>::NAME,
            body,
            deadline: Instant::now() + shared.options.send_timeout,
        };
        let (tx, rx) = oneshot::channel();
        let ended = |held: &Mutex<Held>| {
            // The session ended: nothing is held any more.
            let mut h = held.lock().unwrap_or_else(|p| p.into_inner());
            h.pending.clear();
            let rest = std::mem::take(&mut h.queued);
            drop(h);
            announce_released(&shared, rest);
        };
        if commands.send(Command::Call { call, reply: tx }).is_err() {
            ended(&held);
            return;
        }
        let page = match rx.await {
            Ok(Ok(text)) => {
                serde_json::from_str::<HistoryResponse>(&text).map_err(|e| e.to_string())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => {
                ended(&held);
                return;
            }
        };
        let page = match page {
            Ok(page) => page,
            Err(why) => {
                tracing::warn!(conv = %request.conv_id, %why, "could not fetch the unread messages of a conversation; they stay in its history on the server");
                release(&request);
                continue;
            }
        };
        // Newest first from the server; stored and announced oldest first.
        let rows: Vec<(String, Message)> = page
            .messages
            .iter()
            .rev()
            .map(|w| (w.client_msg_id.clone(), to_local(&user, w)))
            .collect();
        match store.backfill(&rows) {
            Ok(applied) => {
                let unread: Vec<Message> = applied
                    .into_iter()
                    .map(|a| a.message)
                    .filter(|m| m.is_from_self != Some(true) && m.seq.unwrap_or(0) > read_seq)
                    .filter(|m| !imported(m))
                    .collect();
                if !unread.is_empty() {
                    shared.emit(SdkEvent::NewMessages(unread));
                }
            }
            Err(e) => tracing::error!(error = %e, "could not store fetched unread messages"),
        }
        release(&request);
    }
}

/// New messages of conversations whose unread messages are still being fetched for a new
/// device: held until that fetch is done, so the older ones are announced first.
#[derive(Default)]
pub(crate) struct Held {
    pending: HashSet<(ConvType, String)>,
    queued: Vec<Message>,
}

fn conv_key_of(m: &Message) -> (ConvType, String) {
    (
        m.conv_type.unwrap_or_default(),
        m.conv_id.clone().unwrap_or_default(),
    )
}

impl Held {
    /// Keep the messages of pending conversations; the others are answered.
    fn hold(&mut self, msgs: Vec<Message>) -> Vec<Message> {
        if self.pending.is_empty() {
            return msgs;
        }
        let (held, pass): (Vec<Message>, Vec<Message>) = msgs
            .into_iter()
            .partition(|m| self.pending.contains(&conv_key_of(m)));
        self.queued.extend(held);
        pass
    }

    /// The fetch of `conv` is done: its held messages, in order.
    fn release(&mut self, conv: &(ConvType, String)) -> Vec<Message> {
        self.pending.remove(conv);
        let (out, keep): (Vec<Message>, Vec<Message>) = std::mem::take(&mut self.queued)
            .into_iter()
            .partition(|m| conv_key_of(m) == *conv);
        self.queued = keep;
        out
    }
}

/// The group tips `msgs` carry (also told on their own, `TIMGroupTipsEventCallback`).
fn tips_of(msgs: &[Message]) -> Vec<GroupTipsElem> {
    msgs.iter()
        .flat_map(|m| &m.elem_array)
        .filter_map(|e| match e {
            Elem::GroupTips(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Whether the app's back-end imported `m` from an old system (history, never news).
fn imported(m: &Message) -> bool {
    m.status == Some(opentim_model::enums::MsgStatus::LOCAL_IMPORTED)
}

/// Announce messages held during a backfill, with the tips they carry.
fn announce_released(shared: &Shared, later: Vec<Message>) {
    if later.is_empty() {
        return;
    }
    let tips = tips_of(&later);
    shared.emit(SdkEvent::NewMessages(later));
    if !tips.is_empty() {
        shared.emit(SdkEvent::GroupTips(tips));
    }
}

/// A new client message id: 128 random bits in hex.
pub(crate) fn new_client_msg_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The caller waiting for a send.
struct Waiting {
    client_msg_id: String,
    reply: oneshot::Sender<Result<Message>>,
}

pub(crate) struct Session {
    id: u64,
    user: String,
    sig: String,
    store: Arc<dyn LocalStore>,
    shared: Arc<Shared>,
    core: Core,
    waiting: HashMap<SendKey, Waiting>,
    calls: HashMap<CallKey, oneshot::Sender<Result<String>>>,
    held: Arc<Mutex<Held>>,
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
        store: Arc<dyn LocalStore>,
        shared: Arc<Shared>,
    ) -> Self {
        // The session is the cursor's only writer: read it once. A cache that never synced and
        // was never started from the server's list starts from the list, at the inbox head.
        let cursor = store.cursor().unwrap_or(0);
        let fresh = cursor == 0 && store.state(BOOTSTRAPPED).unwrap_or(0) == 0;
        let groups = store.group_cursors().unwrap_or_default();
        Session {
            id,
            user,
            sig,
            store,
            shared,
            core: Core::with_groups(cursor, fresh, groups),
            waiting: HashMap::new(),
            calls: HashMap::new(),
            held: Arc::default(),
        }
    }

    fn network(&self, status: NetworkStatus, code: i32, desc: impl Into<String>) {
        self.shared.emit(SdkEvent::Network {
            status,
            code,
            desc: desc.into(),
        });
    }

    /// Take an API command; a logout hands back its completion.
    fn command(&mut self, cmd: Command) -> (Vec<Action>, Option<oneshot::Sender<()>>) {
        match cmd {
            Command::Send {
                request,
                deadline,
                reply,
            } => {
                let client_msg_id = request.client_msg_id.clone();
                let (key, actions) = self.core.send(request, deadline);
                self.waiting.insert(
                    key,
                    Waiting {
                        client_msg_id,
                        reply,
                    },
                );
                (actions, None)
            }
            Command::Call { call, reply } => {
                let (key, actions) = self.core.call(call);
                self.calls.insert(key, reply);
                (actions, None)
            }
            Command::Room { group_id, entered } => {
                self.core.set_room(&group_id, entered);
                (Vec::new(), None)
            }
            Command::Cancel {
                client_msg_id,
                reply,
            } => {
                let key = self
                    .waiting
                    .iter()
                    .find(|(_, w)| w.client_msg_id == client_msg_id)
                    .map(|(k, _)| *k);
                let result = match key {
                    Some(key) => self.core.cancel(key),
                    None => Err(SdkError::new(
                        codes::ERR_SDK_INVALID_CANCEL_MESSAGE,
                        "no message with this id is being sent",
                    )),
                };
                match result {
                    Ok(actions) => {
                        let _ = reply.send(Ok(()));
                        (actions, None)
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                        (Vec::new(), None)
                    }
                }
            }
            Command::Logout(done) => (Vec::new(), Some(done)),
        }
    }

    fn resolve(&mut self, key: SendKey, result: Result<Message>) {
        if let Some(w) = self.waiting.remove(&key) {
            if let Err(e) = &result {
                let status = match e.code {
                    codes::ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL => MsgStatus::CANCEL,
                    _ => MsgStatus::SEND_FAIL,
                };
                match self.store.mark_unsent(&w.client_msg_id, status) {
                    Ok(Some(m)) => self.shared.emit(SdkEvent::Updated(vec![m])),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "could not mark a message failed"),
                }
            }
            let _ = w.reply.send(result);
        }
    }

    /// Do what the core asked, writing frames to `ws` (without flushing) when connected.
    /// Returns how the connection ends, if it does.
    async fn perform(&mut self, mut ws: Option<&mut Ws>, actions: Vec<Action>) -> Option<End> {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Bootstrap(list) => {
                    let after = self.bootstrap(list);
                    queue.extend(after);
                }
                Action::Send(text) => {
                    if let Some(ws) = ws.as_deref_mut() {
                        if let Err(e) = ws.feed(WsMessage::text(text)).await {
                            return Some(End::Dropped(e.to_string()));
                        }
                    }
                }
                Action::Online(message) => {
                    let local = to_local(&self.user, &message);
                    let tips = tips_of(std::slice::from_ref(&local));
                    self.shared.emit(SdkEvent::NewMessages(vec![local]));
                    if !tips.is_empty() {
                        self.shared.emit(SdkEvent::GroupTips(tips));
                    }
                }
                Action::GroupReceipts(r) => {
                    let receipts = r
                        .receipts
                        .iter()
                        .map(|x| crate::client::receipt_to_api(&r.group_id, x))
                        .collect();
                    self.shared.emit(SdkEvent::GroupReceipts(receipts));
                }
                Action::GroupAttributes(change) => {
                    self.shared.emit(SdkEvent::GroupAttributes {
                        group_id: change.group_id,
                        attributes: change.attributes,
                    });
                }
                Action::Acked { key, message } => {
                    let Some(client_msg_id) =
                        self.waiting.get(&key).map(|w| w.client_msg_id.clone())
                    else {
                        continue;
                    };
                    let local = to_local(&self.user, &message);
                    if message.message.is_online_msg == Some(true) || message.seq == 0 {
                        // Never stored, here or on the server (online-only, or a broadcast
                        // room's message).
                        self.resolve(key, Ok(local));
                        continue;
                    }
                    match self.store.apply_ack(&client_msg_id, &local) {
                        Ok(applied) => {
                            self.announce(std::slice::from_ref(&applied), &[true]);
                            self.resolve(key, Ok(applied.message));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "could not record an acknowledgement locally");
                            self.resolve(key, Ok(local));
                        }
                    }
                }
                Action::Failed { key, error } => self.resolve(key, Err(error)),
                Action::Answered { key, result } => {
                    if let Some(reply) = self.calls.remove(&key) {
                        let _ = reply.send(result);
                    }
                }
                Action::Kicked => return Some(End::Kicked),
                Action::SigExpired => return Some(End::SigExpired),
            }
        }
        None
    }

    /// Store what the core staged, in one transaction, and report it.
    async fn store_staged(&mut self, ws: Option<&mut Ws>) -> Option<End> {
        let batch = self.core.take_batch()?;
        let actions = self.store_batch(&batch);
        self.perform(ws, actions).await
    }

    /// Start a new device's cache from the server's conversation list; the actions that follow
    /// (the sync from the list's cursor).
    fn bootstrap(&mut self, list: ConvListResponse) -> Vec<Action> {
        let seeds: Vec<Seed> = list
            .conversations
            .iter()
            .map(|c| Seed {
                conv_type: c.conv_type,
                conv_id: c.conv_id.clone(),
                last: c
                    .last_message
                    .as_ref()
                    .map(|m| (m.client_msg_id.clone(), to_local(&self.user, m))),
                active_time: c.active_time,
                unread: c.unread,
                read_seq: c.read_seq,
                peer_read_seq: c.peer_read_seq,
                pinned: c.pinned,
            })
            .collect();
        match self.store.bootstrap(&seeds, list.cursor) {
            Ok(()) => {
                let infos: Vec<ConvInfo> = seeds
                    .iter()
                    .filter_map(|s| self.conversation(&s.conv_id, s.conv_type))
                    .collect();
                tracing::info!(user = %self.user, conversations = infos.len(), cursor = list.cursor, "started from the server's conversation list");
                if !infos.is_empty() {
                    self.shared
                        .emit(SdkEvent::Conversations(ConvEvent::ADD, infos));
                    self.unread_changed();
                }
                self.start_backfill(&seeds);
                self.core.bootstrapped(list.cursor)
            }
            Err(e) => {
                tracing::error!(error = %e, "could not store the conversation list; syncing the inbox instead");
                self.core.bootstrapped(0)
            }
        }
    }

    /// Fetch the unread messages behind the conversation list (at most
    /// `backfill_unread` per conversation) in the background: they reach the app as new
    /// messages, as they would have had this device been online.
    fn start_backfill(&self, seeds: &[Seed]) {
        let cap = u64::from(self.shared.options.backfill_unread);
        let jobs: Vec<(HistoryRequest, u64)> = seeds
            .iter()
            .filter(|s| s.unread > 0 && cap > 0)
            .filter_map(|s| {
                let last_seq = s.last.as_ref()?.1.seq?;
                let request = HistoryRequest {
                    conv_id: s.conv_id.clone(),
                    conv_type: s.conv_type,
                    before_seq: last_seq.saturating_add(1),
                    count: s.unread.min(cap) as u32,
                };
                Some((request, s.read_seq))
            })
            .collect();
        let commands = {
            let slot = self
                .shared
                .session
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            slot.as_ref()
                .filter(|s| s.id == self.id)
                .map(|s| s.commands.clone())
        };
        if let (false, Some(commands)) = (jobs.is_empty(), commands) {
            {
                let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
                for (r, _) in &jobs {
                    held.pending.insert((r.conv_type, r.conv_id.clone()));
                }
            }
            let (shared, store, user) =
                (self.shared.clone(), self.store.clone(), self.user.clone());
            let held = self.held.clone();
            tokio::spawn(backfill(shared, store, user, commands, jobs, held));
        }
    }

    /// Report the total unread count.
    fn unread_changed(&self) {
        if let Ok(total) = self.store.total_unread() {
            self.shared.emit(SdkEvent::TotalUnread(total));
        }
    }

    /// Store a batch: runs of messages in one transaction each (normally the whole batch), and
    /// each mark (read mark, receipt, unknown kind) in order between them.
    fn store_batch(&mut self, batch: &Batch) -> Vec<Action> {
        let mut start = 0;
        let entries = &batch.entries;
        while start < entries.len() {
            let is_message = |s: &Staged| matches!(s.entry.item, InboxItem::Message { .. });
            if !is_message(&entries[start]) {
                if let Err(actions) = self.store_mark(&entries[start]) {
                    return actions;
                }
                start += 1;
                continue;
            }
            let end = entries[start..]
                .iter()
                .position(|s| !is_message(s))
                .map_or(entries.len(), |p| start + p);
            let cursor = match end == entries.len() {
                true => batch.cursor,
                false => entries[end - 1].entry.cursor,
            };
            if let Err(actions) = self.store_messages(&entries[start..end], cursor) {
                return actions;
            }
            start = end;
        }
        if let Err(actions) = self.store_group_entries(&batch.groups) {
            return actions;
        }
        self.core.stored(batch);
        Vec::new()
    }

    /// Store group stream entries: runs of messages in one transaction each (with the
    /// cursors of their groups), and each recall in order between them.
    fn store_group_entries(
        &mut self,
        entries: &[GroupStaged],
    ) -> std::result::Result<(), Vec<Action>> {
        let mut start = 0;
        while start < entries.len() {
            if let Some(revoke) = &entries[start].entry.revoke {
                let entry = &entries[start].entry;
                self.store_group_revoke(&entry.group_id, entry.seq, revoke)?;
                start += 1;
                continue;
            }
            let end = entries[start..]
                .iter()
                .position(|s| s.entry.revoke.is_some())
                .map_or(entries.len(), |p| start + p);
            let run = &entries[start..end];
            let rows: Vec<(String, Message)> = run
                .iter()
                .filter_map(|s| s.entry.message.as_ref())
                .map(|m| (m.client_msg_id.clone(), to_local(&self.user, m)))
                .collect();
            let mut cursors: Vec<(String, u64)> = Vec::new();
            for s in run {
                match cursors.iter_mut().find(|(g, _)| *g == s.entry.group_id) {
                    Some(c) => c.1 = c.1.max(s.entry.seq),
                    None => cursors.push((s.entry.group_id.clone(), s.entry.seq)),
                }
            }
            match self.store.apply_group(&rows, &cursors) {
                Ok(applied) => {
                    let acks: Vec<bool> = run.iter().map(|s| s.ack.is_some()).collect();
                    let new_unread = applied
                        .iter()
                        .zip(&acks)
                        .any(|(a, own)| a.is_new && !own && a.message.is_from_self != Some(true));
                    self.announce(&applied, &acks);
                    if new_unread {
                        self.unread_changed();
                    }
                    for (staged, a) in run.iter().zip(applied) {
                        if let Some(key) = staged.ack {
                            self.resolve(key, Ok(a.message));
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not store group messages; they are synced again");
                    for (staged, (_, local)) in run.iter().zip(rows) {
                        if let Some(key) = staged.ack {
                            self.resolve(key, Ok(local));
                        }
                    }
                    let mut out = Vec::new();
                    for (g, _) in cursors {
                        out.extend(self.core.group_store_failed(&g));
                    }
                    return Err(out);
                }
            }
            start = end;
        }
        Ok(())
    }

    /// Apply the recall of a group message (entry `seq` of the group's stream) and tell the
    /// app, once per entry.
    fn store_group_revoke(
        &mut self,
        group: &str,
        seq: u64,
        revoke: &opentim_protocol::GroupRevoke,
    ) -> std::result::Result<(), Vec<Action>> {
        let mark = Mark::Revoke {
            conv_type: ConvType::GROUP,
            conv_id: group.to_owned(),
            seq: revoke.seq,
        };
        let applied = self
            .store
            .apply_mark(&mark, MarkAt::Local)
            .and_then(|changed| {
                self.store
                    .set_state(&crate::local::group_cursor_key(group), seq)
                    .map(|()| changed)
            });
        let changed = match applied {
            Ok(changed) => changed,
            Err(e) => {
                tracing::error!(error = %e, "could not store a group recall; it is synced again");
                return Err(self.core.group_store_failed(group));
            }
        };
        let locator = MsgLocator {
            conv_id: Some(group.to_owned()),
            conv_type: Some(ConvType::GROUP),
            is_revoked: Some(true),
            time: Some(revoke.time),
            seq: Some(revoke.seq),
            is_self: Some(revoke.from == self.user),
            rand: Some(revoke.rand),
            unique_id: None,
        }
        .complete();
        self.shared.emit(SdkEvent::Revoked(vec![locator]));
        if changed {
            if let Ok(Some(m)) = self.store.by_seq(group, ConvType::GROUP, revoke.seq) {
                self.shared.emit(SdkEvent::Updated(vec![m]));
            }
            if let Some(info) = self.conversation(group, ConvType::GROUP) {
                self.shared
                    .emit(SdkEvent::Conversations(ConvEvent::UPDATE, vec![info]));
            }
        }
        Ok(())
    }

    /// Apply one non-message entry; on a local failure, what the core says to do.
    fn store_mark(&mut self, staged: &Staged) -> std::result::Result<(), Vec<Action>> {
        let (mark, conv) = match &staged.entry.item {
            InboxItem::Read {
                conv_type,
                conv_id,
                read_seq,
                unread,
            } => (
                Mark::Read {
                    conv_type: *conv_type,
                    conv_id: conv_id.clone(),
                    read_seq: *read_seq,
                    unread: *unread,
                },
                Some((*conv_type, conv_id.clone(), None)),
            ),
            InboxItem::PeerRead {
                conv_type,
                conv_id,
                read_seq,
                time,
            } => (
                Mark::PeerRead {
                    conv_type: *conv_type,
                    conv_id: conv_id.clone(),
                    read_seq: *read_seq,
                },
                Some((*conv_type, conv_id.clone(), Some(*time))),
            ),
            InboxItem::Revoke {
                conv_type,
                conv_id,
                seq,
                rand,
                time,
                from,
            } => {
                let mark = Mark::Revoke {
                    conv_type: *conv_type,
                    conv_id: conv_id.clone(),
                    seq: *seq,
                };
                let locator = MsgLocator {
                    conv_id: Some(conv_id.clone()),
                    conv_type: Some(*conv_type),
                    is_revoked: Some(true),
                    time: Some(*time),
                    seq: Some(*seq),
                    is_self: Some(*from == self.user),
                    rand: Some(*rand),
                    unique_id: None,
                }
                .complete();
                return self.store_revoke(&mark, staged.entry.cursor, locator);
            }
            InboxItem::Delete {
                conv_type,
                conv_id,
                seq,
            } => (
                Mark::Deleted {
                    conv_type: *conv_type,
                    conv_id: conv_id.clone(),
                    seq: *seq,
                },
                Some((*conv_type, conv_id.clone(), None)),
            ),
            InboxItem::Clear {
                conv_type,
                conv_id,
                seq,
            } => (
                Mark::Cleared {
                    conv_type: *conv_type,
                    conv_id: conv_id.clone(),
                    seq: *seq,
                },
                Some((*conv_type, conv_id.clone(), None)),
            ),
            InboxItem::Pin {
                conv_type,
                conv_id,
                pinned,
            } => (
                Mark::Pin {
                    conv_type: *conv_type,
                    conv_id: conv_id.clone(),
                    pinned: *pinned,
                },
                Some((*conv_type, conv_id.clone(), None)),
            ),
            InboxItem::ConvDelete { conv_type, conv_id } => {
                let before = self.conversation(conv_id, *conv_type);
                let mark = Mark::ConvDeleted {
                    conv_type: *conv_type,
                    conv_id: conv_id.clone(),
                };
                match self
                    .store
                    .apply_mark(&mark, MarkAt::Entry(staged.entry.cursor))
                {
                    Ok(true) => {
                        self.shared.emit(SdkEvent::Conversations(
                            ConvEvent::DEL,
                            before.into_iter().collect(),
                        ));
                        self.unread_changed();
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "could not store a conversation deletion; it is synced again");
                        return Err(self.core.store_failed());
                    }
                }
                return Ok(());
            }
            // The group streams followed changed already (the core saw the entry staged).
            InboxItem::Message { .. } | InboxItem::Group { .. } | InboxItem::Unknown => {
                (Mark::Skip, None)
            }
        };
        let changed = match self
            .store
            .apply_mark(&mark, MarkAt::Entry(staged.entry.cursor))
        {
            Ok(changed) => changed,
            Err(e) => {
                tracing::error!(error = %e, "could not store a read mark; it is synced again");
                return Err(self.core.store_failed());
            }
        };
        if let Some((conv_type, conv_id, receipt)) = conv.filter(|_| changed) {
            if let Some(time) = receipt {
                self.shared.emit(SdkEvent::Receipts(vec![MessageReceipt {
                    conv_id: Some(conv_id.clone()),
                    conv_type: Some(conv_type),
                    time_stamp: Some(time),
                }]));
            }
            if let Some(info) = self.conversation(&conv_id, conv_type) {
                self.shared
                    .emit(SdkEvent::Conversations(ConvEvent::UPDATE, vec![info]));
            }
            if receipt.is_none() {
                self.unread_changed();
            }
        }
        Ok(())
    }

    /// Apply a recall; when it changed the cache, tell the app (the revoke callback, and the
    /// conversation, whose last message may be the recalled one).
    fn store_revoke(
        &mut self,
        mark: &Mark,
        cursor: u64,
        locator: MsgLocator,
    ) -> std::result::Result<(), Vec<Action>> {
        let changed = match self.store.apply_mark(mark, MarkAt::Entry(cursor)) {
            Ok(changed) => changed,
            Err(e) => {
                tracing::error!(error = %e, "could not store a recall; it is synced again");
                return Err(self.core.store_failed());
            }
        };
        // Announced once per inbox entry, so on every device of both users exactly once, the
        // recalling one too (whether or not its own answer updated the cache first).
        let (conv_id, conv_type, seq) = (locator.conv_id.clone(), locator.conv_type, locator.seq);
        self.shared.emit(SdkEvent::Revoked(vec![locator]));
        if let (true, Some(id), Some(t)) = (changed, conv_id, conv_type) {
            if let Ok(Some(m)) = self.store.by_seq(&id, t, seq.unwrap_or(0)) {
                self.shared.emit(SdkEvent::Updated(vec![m]));
            }
            if let Some(info) = self.conversation(&id, t) {
                self.shared
                    .emit(SdkEvent::Conversations(ConvEvent::UPDATE, vec![info]));
            }
        }
        Ok(())
    }

    /// Store consecutive message entries and move the cursor to `cursor`, in one transaction.
    fn store_messages(
        &mut self,
        entries: &[Staged],
        cursor: u64,
    ) -> std::result::Result<(), Vec<Action>> {
        let rows: Vec<(String, Message)> = entries
            .iter()
            .filter_map(|s| match &s.entry.item {
                InboxItem::Message { message } => {
                    Some((message.client_msg_id.clone(), to_local(&self.user, message)))
                }
                _ => None,
            })
            .collect();
        match self.store.apply(&rows, cursor) {
            Ok(applied) => {
                let acks: Vec<bool> = entries.iter().map(|s| s.ack.is_some()).collect();
                let new_unread = applied
                    .iter()
                    .zip(&acks)
                    .any(|(a, own)| a.is_new && !own && a.message.is_from_self != Some(true));
                self.announce(&applied, &acks);
                if new_unread {
                    self.unread_changed();
                }
                for (staged, a) in entries.iter().zip(applied) {
                    if let Some(key) = staged.ack {
                        self.resolve(key, Ok(a.message));
                    }
                }
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "could not store synced messages; they are synced again");
                for (staged, (_, local)) in entries.iter().zip(rows) {
                    if let Some(key) = staged.ack {
                        self.resolve(key, Ok(local));
                    }
                }
                Err(self.core.store_failed())
            }
        }
    }

    /// Report stored messages: new ones (not this device's own sends, `own`, nor messages the
    /// app's back-end imported from an old system, which are history) to the message callback,
    /// and each touched conversation once.
    fn announce(&self, applied: &[Applied], own: &[bool]) {
        let new: Vec<Message> = applied
            .iter()
            .zip(own)
            .filter(|(a, own)| a.is_new && !**own && !imported(&a.message))
            .map(|(a, _)| a.message.clone())
            .collect();
        // Newer messages of a conversation whose unread ones are still being fetched wait.
        let new = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .hold(new);
        // A group's tips are also told on their own (`TIMGroupTipsEventCallback`), after the
        // messages that carry them.
        let tips = tips_of(&new);
        // Relationship changes too (the friendship and blacklist callbacks).
        let friend_changes: Vec<FriendChangeElem> = new
            .iter()
            .flat_map(|m| &m.elem_array)
            .filter_map(|e| match e {
                Elem::FriendChange(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        if !new.is_empty() {
            self.shared.emit(SdkEvent::NewMessages(new));
        }
        if !tips.is_empty() {
            self.shared.emit(SdkEvent::GroupTips(tips));
        }
        if !friend_changes.is_empty() {
            // The lists this device keeps are brought up to date before the app is told.
            let client = crate::client::Client::of(self.shared.clone());
            tokio::spawn(async move { client.relation_notices(friend_changes).await });
        }
        let key = |a: &Applied| {
            (
                a.message.conv_type.unwrap_or_default(),
                a.message.conv_id.clone().unwrap_or_default(),
            )
        };
        let added: HashSet<(ConvType, String)> = applied
            .iter()
            .filter(|a| a.conv_event == ConvEvent::ADD)
            .map(key)
            .collect();
        let (mut add, mut update) = (Vec::new(), Vec::new());
        let mut seen = HashSet::new();
        for a in applied.iter().rev() {
            let k = key(a);
            if !seen.insert(k.clone()) {
                continue;
            }
            let infos = self.conversation(&k.1, k.0);
            if added.contains(&k) {
                add.extend(infos);
            } else {
                update.extend(infos);
            }
        }
        if !add.is_empty() {
            self.shared
                .emit(SdkEvent::Conversations(ConvEvent::ADD, add));
        }
        if !update.is_empty() {
            self.shared
                .emit(SdkEvent::Conversations(ConvEvent::UPDATE, update));
        }
    }

    async fn fail_all(&mut self, error: &SdkError) {
        let failed = self.core.fail_all(error);
        let _ = self.perform(None, failed).await;
    }

    fn conversation(&self, conv_id: &str, conv_type: ConvType) -> Option<ConvInfo> {
        self.store.conversation(conv_id, conv_type).ok().flatten()
    }

    async fn login(&self, url: &str) -> std::result::Result<Ws, LoginError> {
        let connector = match url.starts_with("wss://") {
            true => Some(Connector::Rustls(
                crate::tls::client_config(self.shared.options.tls_ca_file.as_deref())
                    .map_err(LoginError::Refused)?,
            )),
            false => None,
        };
        let (mut ws, _) =
            tokio_tungstenite::connect_async_tls_with_config(url, None, true, connector)
                .await
                .map_err(|e| match crate::tls::untrusted_certificate(&e) {
                    Some(why) => LoginError::Refused(SdkError::new(
                        codes::ERR_SDK_NET_AUTH_INVALID,
                        format!(
                            "the TLS certificate of {url} is not trusted ({why}); if the server \
                             uses its own CA, name its certificate in opentim_tls_ca_file"
                        ),
                    )),
                    None => LoginError::Network(format!("cannot connect to {url}: {e}")),
                })?;
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
                        Ok(f) if f.reply == Some(1) && f.code == 0 => {
                            if let Ok(r) = decode_body::<LoginResponse>(f.body) {
                                self.shared.server_clock(r.server_time);
                            }
                            Ok(ws)
                        }
                        // Busy with other logins (a reconnect storm): back off and try again.
                        Ok(f) if f.code == codes::ERR_SVR_SSO_OVERLOAD => Err(LoginError::Network(
                            format!("the server is busy: {}", f.desc),
                        )),
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
                *s.shared.connected.lock().unwrap_or_else(|p| p.into_inner()) = Some(url.clone());
                s.network(NetworkStatus::CONNECTED, 0, "");
                s.store.set_state("logged_in_before", 1).ok();
                if let Some(r) = ready.take() {
                    let _ = r.send(Ok(()));
                }
                backoff = opts.backoff_min;
                let end = connected(&mut s, ws, &mut commands).await;
                let lost = s.core.disconnected();
                let _ = s.perform(None, lost).await;
                match end {
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
            s.fail_all(&e).await;
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
                    Some(cmd) => {
                        let (actions, done) = s.command(cmd);
                        let _ = s.perform(None, actions).await;
                        if let Some(done) = done { logout = Some(done); break; }
                    }
                    None => { logout = None; break; }
                },
                () = tokio::time::sleep_until(until) => break,
            }
        }
        let expired = s.core.expire(Instant::now());
        let _ = s.perform(None, expired).await;
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
    s.fail_all(&err).await;
    s.shared.end_session(s.id);
    if let End::LoggedOut(Some(done)) = end {
        let _ = done.send(());
    }
}

async fn flush(ws: &mut Ws) -> bool {
    ws.flush().await.is_ok()
}

async fn connected(
    s: &mut Session,
    mut ws: Ws,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) -> End {
    let actions = s.core.connected();
    if let Some(end) = s.perform(Some(&mut ws), actions).await {
        return end;
    }
    if !flush(&mut ws).await {
        return End::Dropped("connection lost while starting sync".into());
    }
    let ping_every = s.shared.options.ping_interval;
    let mut ticker = tokio::time::interval(
        ping_every
            .min(Duration::from_secs(1))
            .max(Duration::from_millis(100)),
    );
    let mut last_ping = Instant::now();
    let mut last_rx = Instant::now();
    loop {
        tokio::select! {
            frame = ws.next() => {
                // Take the whole burst that already arrived, then store it in one go.
                let mut next = Some(frame);
                let mut taken = 0;
                while let Some(frame) = next.take() {
                    let text = match frame {
                        Some(Ok(WsMessage::Text(t))) => t,
                        Some(Ok(WsMessage::Close(_))) | None => return End::Dropped("the server closed the connection".into()),
                        Some(Ok(_)) => String::new().into(),
                        Some(Err(e)) => return End::Dropped(e.to_string()),
                    };
                    last_rx = Instant::now();
                    if !text.is_empty() {
                        let actions = s.core.frame(&text);
                        if let Some(end) = s.perform(Some(&mut ws), actions).await {
                            return end;
                        }
                    }
                    taken += 1;
                    if taken < MAX_BURST {
                        next = ws.next().now_or_never();
                    }
                }
                // What the burst asked for (the next sync page) goes out before the store
                // works, so the server prepares it meanwhile.
                if !flush(&mut ws).await {
                    return End::Dropped("connection lost while syncing".into());
                }
                if let Some(end) = s.store_staged(Some(&mut ws)).await {
                    return end;
                }
                if !flush(&mut ws).await {
                    return End::Dropped("connection lost while syncing".into());
                }
            }
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { return End::LoggedOut(None) };
                let (actions, logout) = s.command(cmd);
                if let Some(done) = logout {
                    let bye = s.core.logout();
                    let _ = s.perform(Some(&mut ws), vec![bye]).await;
                    let _ = flush(&mut ws).await;
                    // Wait briefly for the server to confirm, then close either way.
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        while let Some(Ok(m)) = ws.next().await {
                            if m.is_close() { break; }
                        }
                    }).await;
                    let _ = ws.close(None).await;
                    return End::LoggedOut(Some(done));
                }
                if let Some(end) = s.perform(Some(&mut ws), actions).await {
                    return end;
                }
                if !flush(&mut ws).await {
                    return End::Dropped("connection lost while sending".into());
                }
            }
            _ = ticker.tick() => {
                let due = s.core.expire(Instant::now());
                if s.perform(Some(&mut ws), due).await.is_some() || !flush(&mut ws).await {
                    return End::Dropped("connection lost while sending".into());
                }
                if last_rx.elapsed() > ping_every * 3 {
                    return End::Dropped("the server stopped answering".into());
                }
                if last_ping.elapsed() >= ping_every {
                    last_ping = Instant::now();
                    let ping = s.core.ping();
                    if s.perform(Some(&mut ws), vec![ping]).await.is_some() || !flush(&mut ws).await {
                        return End::Dropped("connection lost while pinging".into());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod held_tests {
    use super::*;

    fn msg(conv: &str, seq: u64) -> Message {
        Message {
            conv_id: Some(conv.into()),
            conv_type: Some(ConvType::C2C),
            seq: Some(seq),
            ..Default::default()
        }
    }

    #[test]
    fn newer_messages_of_a_conversation_being_backfilled_wait_for_it() {
        let mut held = Held::default();
        assert_eq!(
            held.hold(vec![msg("a", 1)]).len(),
            1,
            "nothing pending: passes"
        );
        held.pending.insert((ConvType::C2C, "a".into()));
        let passed = held.hold(vec![msg("a", 5), msg("b", 1), msg("a", 6)]);
        assert_eq!(passed.len(), 1, "only the other conversation passes");
        let later = held.release(&(ConvType::C2C, "a".into()));
        let seqs: Vec<u64> = later.iter().map(|m| m.seq.unwrap()).collect();
        assert_eq!(seqs, [5, 6], "in order, after the backfill");
        assert_eq!(
            held.hold(vec![msg("a", 7)]).len(),
            1,
            "released: passes again"
        );
    }
}
