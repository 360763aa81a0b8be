//! The SDK's session logic without I/O: frames in, actions out.
//!
//! [`Core`] holds the inbox cursor, the requests in flight, the outbox and the calls. The
//! connection task feeds it what arrives ([`Core::frame`]), what the API asks ([`Core::send`],
//! [`Core::call`]) and the clock ([`Core::expire`]); it answers with [`Action`]s: frames to
//! write, sends and calls to resolve, and a batch of entries to store ([`Core::take_batch`]). Everything that arrived together is stored
//! in one local transaction, and the reply to this device's own send is that message's inbox
//! entry, so a sent message is written and announced once. Being pure, all of it is tested
//! without sockets (see the tests below).

pub mod calls;
pub mod groups;
pub mod outbox;
pub mod sync;

use std::collections::HashMap;

use opentim_model::codes;
use opentim_model::enums::ConvType;
use opentim_protocol::op::conv::{ConvList, ConvListRequest, ConvListResponse};
use opentim_protocol::op::group::{
    GroupHeads, GroupHeadsResponse, GroupSync, GroupSyncRequest, GroupSyncResponse, JoinGroup,
    JoinGroupRequest,
};
use opentim_protocol::op::logout::Logout;
use opentim_protocol::op::ping::Ping;
use opentim_protocol::op::send::{SendMessage, SendRequest, SendResponse};
use opentim_protocol::op::sync::{Sync, SyncRequest, SyncResponse};
use opentim_protocol::op::Empty;
use opentim_protocol::{
    decode_body, encode_request, encode_request_raw, Event, GroupEntry, InboxEntry, InboxItem,
    ServerFrame, WireMessage,
};
use tokio::time::Instant;

use crate::error::SdkError;
use calls::{Call, CallKey, Calls};
use groups::Groups;
use outbox::{Outbox, SendKey};
use sync::{SyncState, Verdict};

/// Entries asked for per sync request.
pub const SYNC_PAGE: u32 = 200;

/// What the connection task must do.
#[derive(Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // Actions live briefly; boxing would only add allocations.
pub enum Action {
    /// Write this frame.
    Send(String),
    /// A send was acknowledged before its inbox entry could be applied in order: record the
    /// acknowledgement now (the entry follows in order later and changes nothing).
    Acked { key: SendKey, message: WireMessage },
    /// A send failed for good: the server refused it or it expired.
    Failed { key: SendKey, error: SdkError },
    /// A call is resolved: the reply's body as JSON (`null` when it has none), or why not.
    Answered {
        key: CallKey,
        result: Result<String, SdkError>,
    },
    /// The server's conversation list for a device new to the account: store it (with the
    /// cursor it is current to), then call [`Core::bootstrapped`].
    Bootstrap(ConvListResponse),
    /// An online-only message: report it as new, store nothing (it has no seq or cursor).
    Online(Box<WireMessage>),
    /// A group's attributes changed: report the whole set.
    GroupAttributes(Box<opentim_protocol::GroupAttributesChanged>),
    /// Members read this user's group messages: report their counts.
    GroupReceipts(Box<opentim_protocol::GroupReceipts>),
    /// Another login took this session over.
    Kicked,
    /// The UserSig expired.
    SigExpired,
}

/// One inbox entry to store, and the send it acknowledges, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Staged {
    pub entry: InboxEntry,
    pub ack: Option<SendKey>,
}

/// One group stream entry to store, and the send it acknowledges, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStaged {
    pub entry: GroupEntry,
    pub ack: Option<SendKey>,
}

/// Consecutive entries to store in one transaction; the cursor moves to `cursor` with them.
/// Group entries come in each group's seq order; each group's cursor moves with its entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub entries: Vec<Staged>,
    pub cursor: u64,
    pub groups: Vec<GroupStaged>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum InFlight {
    Sync,
    Bootstrap,
    Send(SendKey),
    Call(CallKey),
    Heads,
    GroupSync(String),
    Other,
}

/// The state of one logged-in session across its connections.
#[derive(Debug)]
pub struct Core {
    sync: SyncState,
    outbox: Outbox,
    calls: Calls,
    in_flight: HashMap<u64, InFlight>,
    next_id: u64,
    online: bool,
    staged: Vec<Staged>,
    groups: Groups,
    group_staged: Vec<GroupStaged>,
    /// The last sync was refused for now (the server busy or throttling): sync at the next tick.
    sync_again: bool,
    /// This device has never started from the server's conversation list: it does so at the
    /// next connection instead of replaying the whole inbox.
    bootstrap: bool,
    /// The broadcast rooms this session entered (by connection, without membership): entered
    /// again at every connection.
    rooms: std::collections::BTreeSet<String>,
}

/// Codes that refuse a request for now, not for good: the same request may succeed later.
fn busy(code: i32) -> bool {
    matches!(
        code,
        codes::ERR_SVR_MSG_NET_ERROR | codes::ERR_SVR_SSO_FREQ_LIMIT | codes::ERR_SVR_SSO_OVERLOAD
    )
}

impl Core {
    /// A session whose local store holds everything up to `cursor` (a device that was started
    /// from the server's list, or one that syncs the inbox from the start).
    #[cfg(test)]
    pub fn new(cursor: u64) -> Self {
        Self::with_groups(cursor, false, HashMap::new())
    }

    /// A session that first fetches the conversation list when `bootstrap` (a device new to
    /// the account), and syncs from the cursor that list is current to; `groups`: the stream
    /// cursors of the groups the local store holds.
    pub fn with_groups(cursor: u64, bootstrap: bool, groups: HashMap<String, u64>) -> Self {
        Core {
            groups: Groups::new(groups),
            group_staged: Vec::new(),
            rooms: Default::default(),
            bootstrap,
            sync: SyncState::new(cursor),
            outbox: Outbox::default(),
            calls: Calls::default(),
            in_flight: HashMap::new(),
            next_id: 2,
            online: false,
            staged: Vec::new(),
            sync_again: false,
        }
    }

    /// Sends not yet acknowledged.
    #[cfg(test)]
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    fn request<F: FnOnce(u64) -> String>(&mut self, kind: InFlight, encode: F) -> Action {
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight.insert(id, kind);
        Action::Send(encode(id))
    }

    fn start_sync(&mut self) -> Action {
        self.sync.syncing = true;
        let cursor = self.sync.cursor();
        self.request(InFlight::Sync, |id| {
            encode_request::<Sync>(
                id,
                &SyncRequest {
                    cursor,
                    limit: SYNC_PAGE,
                },
            )
        })
    }

    fn heads(&mut self) -> Action {
        self.request(InFlight::Heads, |id| {
            encode_request::<GroupHeads>(id, &Empty {})
        })
    }

    fn group_sync(&mut self, group: &str) -> Action {
        let after = self.groups.cursor(group);
        let req = GroupSyncRequest {
            group_id: group.to_owned(),
            after,
            limit: SYNC_PAGE,
        };
        self.request(InFlight::GroupSync(group.to_owned()), |id| {
            encode_request::<GroupSync>(id, &req)
        })
    }

    fn send_frame(&mut self, key: SendKey) -> Option<Action> {
        let queued = self.outbox.get_mut(key)?;
        queued.written = true;
        let request = queued.request.clone();
        Some(self.request(InFlight::Send(key), |id| {
            encode_request::<SendMessage>(id, &request)
        }))
    }

    fn send_calls(&mut self) -> Vec<Action> {
        let waiting = self.calls.take_waiting();
        waiting
            .into_iter()
            .map(|(key, call)| {
                self.request(InFlight::Call(key), |id| {
                    encode_request_raw(call.op, id, &call.body)
                })
            })
            .collect()
    }

    /// A connection is logged in: sync from the cursor, resend every unacknowledged message
    /// with its original client message id, oldest first, and send the calls made meanwhile.
    pub fn connected(&mut self) -> Vec<Action> {
        self.online = true;
        self.in_flight.clear();
        self.sync.syncing = false;
        self.sync_again = false;
        self.groups.connected();
        let mut out = if self.bootstrap {
            // Live entries wait (as during a sync) until the list says where the cursor is.
            self.sync.syncing = true;
            vec![self.request(InFlight::Bootstrap, |id| {
                encode_request::<ConvList>(id, &ConvListRequest {})
            })]
        } else {
            vec![self.start_sync(), self.heads()]
        };
        let rooms: Vec<String> = self.rooms.iter().cloned().collect();
        for group_id in rooms {
            let req = JoinGroupRequest {
                group_id,
                hello_msg: String::new(),
            };
            out.push(self.request(InFlight::Other, |id| encode_request::<JoinGroup>(id, &req)));
        }
        self.outbox.take_again(); // every queued send goes now
        for key in self.outbox.keys() {
            out.extend(self.send_frame(key));
        }
        out.extend(self.send_calls());
        out
    }

    /// The connection is gone. Requests in flight are forgotten; sends stay queued; calls in
    /// flight fail (whether the server did them is unknown).
    pub fn disconnected(&mut self) -> Vec<Action> {
        self.online = false;
        self.in_flight.clear();
        self.sync.syncing = false;
        let lost = self.calls.drop_sent();
        answer_all(lost, || {
            SdkError::new(
                codes::ERR_SDK_NET_DISCONNECT,
                "the connection dropped before the server answered; the request may or may not \
                 have taken effect",
            )
        })
    }

    /// This session entered (or left) broadcast room `group_id`: it is entered again at every
    /// connection from now on (or no more).
    pub fn set_room(&mut self, group_id: &str, entered: bool) {
        match entered {
            true => self.rooms.insert(group_id.to_owned()),
            false => self.rooms.remove(group_id),
        };
    }

    /// Make a call; it goes out now when online, else at the next connection.
    pub fn call(&mut self, call: Call) -> (CallKey, Vec<Action>) {
        let key = self.calls.push(call);
        let out = match self.online {
            true => self.send_calls(),
            false => Vec::new(),
        };
        (key, out)
    }

    /// Queue a send; it goes out now when online, else at the next connection.
    pub fn send(&mut self, request: SendRequest, deadline: Instant) -> (SendKey, Vec<Action>) {
        let key = self.outbox.push(request, deadline);
        let out = match self.online {
            true => self.send_frame(key).into_iter().collect(),
            false => Vec::new(),
        };
        (key, out)
    }

    /// Cancel a queued send that never left this device; it fails with
    /// `ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL`. A send already written to a connection may be
    /// stored by the server, so it is not cancelled: `ERR_SDK_INVALID_CANCEL_MESSAGE`.
    pub fn cancel(&mut self, key: SendKey) -> Result<Vec<Action>, SdkError> {
        match self.outbox.get(key) {
            Some(q) if !q.written => {
                self.outbox.remove(key);
                Ok(vec![Action::Failed {
                    key,
                    error: SdkError::new(
                        codes::ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL,
                        "the message was cancelled before it was sent",
                    ),
                }])
            }
            Some(_) => Err(SdkError::new(
                codes::ERR_SDK_INVALID_CANCEL_MESSAGE,
                "the message already went to the server; it can no longer be cancelled",
            )),
            None => Err(SdkError::new(
                codes::ERR_SDK_INVALID_CANCEL_MESSAGE,
                "no message with this id is being sent",
            )),
        }
    }

    /// A keep-alive request.
    pub fn ping(&mut self) -> Action {
        self.request(InFlight::Other, |id| encode_request::<Ping>(id, &Empty {}))
    }

    /// The logout request.
    pub fn logout(&mut self) -> Action {
        self.request(InFlight::Other, |id| {
            encode_request::<Logout>(id, &Empty {})
        })
    }

    /// The conversation list of [`Action::Bootstrap`] is stored, current to `cursor`: the
    /// inbox is synced from there.
    pub fn bootstrapped(&mut self, cursor: u64) -> Vec<Action> {
        self.bootstrap = false;
        self.sync.jump(cursor);
        match self.online {
            true => vec![self.start_sync(), self.heads()],
            false => Vec::new(),
        }
    }

    /// The clock ticked: fail every send and call whose deadline passed, and send again what
    /// the server asked to have repeated.
    pub fn expire(&mut self, now: Instant) -> Vec<Action> {
        let keys = self.outbox.expired(now);
        let mut out = self.fail(keys, || {
            SdkError::new(
                codes::ERR_SDK_NET_WAIT_ACK_TIMEOUT,
                "the server did not acknowledge the message in time",
            )
        });
        if self.online {
            if self.sync_again && !self.sync.syncing {
                self.sync_again = false;
                out.push(self.start_sync());
            }
            for key in self.outbox.take_again() {
                out.extend(self.send_frame(key));
            }
        }
        out.extend(answer_all(self.calls.expired(now), || {
            SdkError::new(
                codes::ERR_REQUEST_TIMEOUT,
                "the server did not answer in time",
            )
        }));
        out
    }

    /// Fail every queued send and call (the session ended).
    pub fn fail_all(&mut self, error: &SdkError) -> Vec<Action> {
        let keys = self.outbox.keys();
        let mut out = self.fail(keys, || error.clone());
        out.extend(answer_all(self.calls.drain(), || error.clone()));
        out
    }

    fn fail(&mut self, keys: Vec<SendKey>, error: impl Fn() -> SdkError) -> Vec<Action> {
        keys.into_iter()
            .filter(|k| self.outbox.remove(*k).is_some())
            .map(|key| Action::Failed {
                key,
                error: error(),
            })
            .collect()
    }

    /// Take what a frame from the server means.
    pub fn frame(&mut self, text: &str) -> Vec<Action> {
        let frame = match ServerFrame::decode(text) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable frame from the server; ignored");
                return Vec::new();
            }
        };
        if let Some(id) = frame.reply {
            return self.reply(id, frame);
        }
        let event = match frame.event.map(|name| Event::decode(name, frame.body)) {
            Some(Ok(Some(e))) => e,
            // An event of a newer server, or a frame of neither kind: nothing to do.
            Some(Ok(None)) | None => return Vec::new(),
            Some(Err(e)) => {
                tracing::warn!(error = %e, "undecodable event from the server; ignored");
                return Vec::new();
            }
        };
        match event {
            Event::KickedOffline => vec![Action::Kicked],
            Event::UserSigExpired => vec![Action::SigExpired],
            Event::Resync if !self.sync.syncing => vec![self.start_sync()],
            Event::Resync => Vec::new(), // the sync under way reads to the head
            Event::Inbox(entry) => self.live(entry, None),
            Event::Online(message) => vec![Action::Online(message)],
            Event::Group(entry) => self.group_live(*entry, None),
            Event::GroupAttributes(change) => vec![Action::GroupAttributes(change)],
            Event::GroupReceipts(r) => vec![Action::GroupReceipts(r)],
        }
    }

    /// What a staged inbox entry means for the group streams: a group joined is followed
    /// (and synced from where the user joined), a group left is not any more.
    fn membership(&mut self, item: &InboxItem) -> Option<Action> {
        match item {
            InboxItem::Group {
                conv_id,
                joined: true,
                seq,
            } => self
                .groups
                .joined(conv_id, *seq)
                .then(|| self.group_sync(conv_id)),
            InboxItem::Group {
                conv_id,
                joined: false,
                ..
            } => {
                self.groups.left(conv_id);
                None
            }
            _ => None,
        }
    }

    /// A live group entry, or the reply to an own send to a group (`ack`).
    fn group_live(&mut self, entry: GroupEntry, ack: Option<SendKey>) -> Vec<Action> {
        if entry.seq == 0 {
            // Never stored: a broadcast room's message, or an online-only one.
            return match (entry.message, ack) {
                (Some(message), Some(key)) => vec![Action::Acked { key, message }],
                (Some(message), None) => vec![Action::Online(Box::new(message))],
                (None, _) => Vec::new(),
            };
        }
        let verdict = self.groups.live(&entry.group_id, entry.seq);
        if verdict == groups::Verdict::Stage {
            self.group_staged.push(GroupStaged { entry, ack });
            return Vec::new();
        }
        let mut out = Vec::new();
        if let groups::Verdict::Gap(true) = verdict {
            out.push(self.group_sync(&entry.group_id));
        }
        if let (Some(key), Some(message)) = (ack, entry.message) {
            // Resolve the send now; the entry is stored in order later (or was).
            out.push(Action::Acked { key, message });
        }
        out
    }

    /// A live entry, or the reply to an own send (`ack`).
    fn live(&mut self, entry: InboxEntry, ack: Option<SendKey>) -> Vec<Action> {
        match self.sync.live(&entry) {
            Verdict::Stage => {
                let out = self.membership(&entry.item).into_iter().collect();
                self.staged.push(Staged { entry, ack });
                out
            }
            verdict => {
                let mut out = Vec::new();
                if let (Some(key), InboxItem::Message { message }) = (ack, entry.item) {
                    // Resolve the send now; the entry is applied in order later (or was).
                    out.push(Action::Acked {
                        key,
                        message: *message,
                    });
                }
                if verdict == Verdict::Gap && !self.sync.syncing {
                    out.push(self.start_sync());
                }
                out
            }
        }
    }

    fn reply(&mut self, id: u64, frame: ServerFrame<'_>) -> Vec<Action> {
        match self.in_flight.remove(&id) {
            Some(InFlight::Bootstrap) => {
                let list = match frame.code {
                    0 => decode_body::<ConvListResponse>(frame.body).map_err(|e| e.to_string()),
                    _ => Err(format!("{} {}", frame.code, frame.desc)),
                };
                match list {
                    Ok(list) => vec![Action::Bootstrap(list)],
                    Err(why) => {
                        // A server without the list: sync the inbox from the start instead.
                        tracing::warn!(%why, "no conversation list; syncing the whole inbox");
                        self.bootstrap = false;
                        vec![self.start_sync()]
                    }
                }
            }
            Some(InFlight::Sync) => {
                self.sync.syncing = false;
                let page = match frame.code {
                    0 => decode_body::<SyncResponse>(frame.body).map_err(|e| e.to_string()),
                    code => {
                        self.sync_again = busy(code);
                        Err(format!("{} {}", frame.code, frame.desc))
                    }
                };
                match page {
                    Ok(page) => {
                        let mut out = Vec::new();
                        for entry in page.entries {
                            if self.sync.synced(&entry) == Verdict::Stage {
                                out.extend(self.membership(&entry.item));
                                self.staged.push(Staged { entry, ack: None });
                            }
                        }
                        if self.sync.behind(page.more) {
                            out.push(self.start_sync());
                        }
                        return out;
                    }
                    Err(why) if self.sync_again => {
                        tracing::info!(%why, "sync refused for now; it is retried at the next tick")
                    }
                    Err(why) => {
                        tracing::warn!(%why, "sync failed; it is retried on the next event or reconnect")
                    }
                }
                Vec::new()
            }
            Some(InFlight::Send(key)) => {
                if frame.code == codes::ERR_SVR_MSG_NET_ERROR {
                    // The server's database is down for now; nothing was stored. The send stays
                    // queued and goes again at the next tick, until its deadline.
                    self.outbox.again(key);
                    return Vec::new();
                }
                if self.outbox.remove(key).is_none() {
                    // Already expired.
                    return Vec::new();
                }
                let sent = match frame.code {
                    0 => decode_body::<SendResponse>(frame.body).map_err(|e| {
                        SdkError::new(codes::ERR_SVR_MSG_INTERNAL_ERROR1, e.to_string())
                    }),
                    code => Err(SdkError::new(code, frame.desc)),
                };
                match sent {
                    // A group message's reply is its entry of the group's stream.
                    Ok(SendResponse { message, .. }) if message.conv_type == ConvType::GROUP => {
                        let entry = GroupEntry {
                            group_id: message.to.clone(),
                            seq: message.seq,
                            message: Some(message),
                            revoke: None,
                        };
                        self.group_live(entry, Some(key))
                    }
                    // The server sends this session no inbox event for its own message: the
                    // reply is that entry of our inbox.
                    Ok(SendResponse { message, cursor }) => self.live(
                        InboxEntry {
                            cursor,
                            item: InboxItem::Message {
                                message: Box::new(message),
                            },
                        },
                        Some(key),
                    ),
                    Err(error) => vec![Action::Failed { key, error }],
                }
            }
            Some(InFlight::Call(key)) => {
                if !self.calls.answered(key) {
                    return Vec::new(); // Already expired.
                }
                let result = match frame.code {
                    0 => Ok(frame.body.map_or("null", |b| b.get()).to_owned()),
                    code => Err(SdkError::new(code, frame.desc)),
                };
                vec![Action::Answered { key, result }]
            }
            Some(InFlight::Heads) => {
                let heads = match frame.code {
                    0 => decode_body::<GroupHeadsResponse>(frame.body).map_err(|e| e.to_string()),
                    _ => Err(format!("{} {}", frame.code, frame.desc)),
                };
                match heads {
                    Ok(heads) => {
                        let mut out = Vec::new();
                        for h in heads.groups {
                            let start = h.join_seq.max(h.read_seq);
                            if self.groups.head(&h.group_id, h.seq, start) {
                                out.push(self.group_sync(&h.group_id));
                            }
                        }
                        out
                    }
                    Err(why) => {
                        tracing::warn!(%why, "could not read where the groups stand; their messages come at the next connection");
                        Vec::new()
                    }
                }
            }
            Some(InFlight::GroupSync(group)) => {
                let page = match frame.code {
                    0 => decode_body::<GroupSyncResponse>(frame.body).map_err(|e| e.to_string()),
                    codes::ERR_SVR_GROUP_PERMISSION_DENY => {
                        // Not a member (any more): the `group` inbox entry says so too.
                        self.groups.left(&group);
                        return Vec::new();
                    }
                    _ => Err(format!("{} {}", frame.code, frame.desc)),
                };
                match page {
                    Ok(page) => {
                        for entry in page.entries {
                            if self.groups.synced(&group, entry.seq) == groups::Verdict::Stage {
                                self.group_staged.push(GroupStaged { entry, ack: None });
                            }
                        }
                        match self.groups.page_done(&group, page.more) {
                            true => vec![self.group_sync(&group)],
                            false => Vec::new(),
                        }
                    }
                    Err(why) => {
                        tracing::warn!(%group, %why, "group sync failed; it is retried on the next entry or reconnect");
                        self.groups.sync_failed(&group);
                        Vec::new()
                    }
                }
            }
            Some(InFlight::Other) | None => Vec::new(),
        }
    }

    /// Everything staged since the last call, to store in one transaction.
    pub fn take_batch(&mut self) -> Option<Batch> {
        if self.staged.is_empty() && self.group_staged.is_empty() {
            return None;
        }
        Some(Batch {
            entries: std::mem::take(&mut self.staged),
            cursor: self.sync.cursor(),
            groups: std::mem::take(&mut self.group_staged),
        })
    }

    /// The local store committed a batch.
    pub fn stored(&mut self, batch: &Batch) {
        self.sync.stored(batch.cursor);
        for g in &batch.groups {
            self.groups.stored(&g.entry.group_id, g.entry.seq);
        }
    }

    /// The local store could not commit the entries of `group`: they are synced again.
    pub fn group_store_failed(&mut self, group: &str) -> Vec<Action> {
        match self.groups.store_failed(group) && self.online {
            true => vec![self.group_sync(group)],
            false => Vec::new(),
        }
    }

    /// The local store could not commit a batch: its entries are synced again.
    pub fn store_failed(&mut self) -> Vec<Action> {
        self.sync.store_failed();
        match self.online && !self.sync.syncing {
            true => vec![self.start_sync()],
            false => Vec::new(),
        }
    }
}

/// Fail the calls `keys` with `error`.
fn answer_all(keys: Vec<CallKey>, error: impl Fn() -> SdkError) -> Vec<Action> {
    keys.into_iter()
        .map(|key| Action::Answered {
            key,
            result: Err(error()),
        })
        .collect()
}

#[cfg(test)]
mod tests;
