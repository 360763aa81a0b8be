//! Persistent state behind one async trait per domain, so the services never see SQL.
//!
//! A C2C conversation has its own gap-free sequence (`message_seq`); every message is stored
//! once. Each user has an inbox: an ordered list of what concerns them, numbered by a per-user
//! cursor that grows by one per entry. Sending a C2C message writes the message and one inbox
//! entry for the receiver and one for the sender (so the sender's other devices sync it too),
//! all in one transaction, and the sender is acknowledged only after that transaction is
//! durable.

mod friend;
mod group;
mod pendency;
mod postgres;
mod profile;
mod receipt;
mod retry;
mod sqlite;
mod webhook;

pub use friend::{
    AccountRow, AccountStore, Cap, Edit, FriendRow, FriendStore, RelationDelta, RelationLimits,
    RequestRow, GONE_BLOCKED, GONE_FRIEND, GONE_GROUP, GONE_REQUEST_IN, GONE_REQUEST_OUT,
};
pub use group::{
    group_key, Added, AttrChange, AttrLimits, AttrOutcome, GroupConv, GroupPatch, GroupRow,
    GroupStore, GroupStored, MemberPatch, MemberRow, NewGroup, NewGroupMessage, Notice, ViewChange,
};
pub use pendency::{system_key, Decision, NewPendency, NewReport, PendencyRow, PendencyStore};
pub use profile::{ProfilePatch, ProfileRow, ProfileStore};
pub use receipt::{ReceiptCount, ReceiptStore};
pub use webhook::{QueuedCallback, WebhookStore};

pub use postgres::PgStore;
pub use retry::DEFAULT_RETRY_DEADLINE;
pub use sqlite::SqliteStore;

use std::sync::Arc;

use async_trait::async_trait;
use opentim_model::message::Message;
use opentim_protocol::{InboxEntry, WireMessage};

/// Store failures. Details go to the log; peers only see a code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store is shut down")]
    Closed,
    /// The database could not be reached, or kept failing transiently (connection refused or
    /// reset, an administrator's shutdown, pool timeouts), for longer than the retry deadline.
    /// Nothing was changed; the request may be repeated.
    #[error("the database is temporarily unavailable: {0}")]
    Unavailable(String),
    /// A C2C message whose receiver blocked its sender: nothing was stored.
    #[error("the receiver blocked the sender")]
    Blocked,
    /// A C2C message to a user id that never existed: nothing was stored.
    #[error("the receiver does not exist")]
    NoSuchUser,
    /// A C2C message between users who are not friends while only friends may send them
    /// (`peer_has_sender`: whether the receiver has the sender in their list;
    /// `sender_has_peer`: the other way round). Nothing was stored.
    #[error("the users are not friends")]
    NotFriends {
        peer_has_sender: bool,
        sender_has_peer: bool,
    },
    /// A relationship change would pass a cap of `owner`: nothing was stored.
    #[error("{owner} would pass the {cap:?} limit")]
    LimitReached { owner: String, cap: Cap },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What the store found about the two users of a C2C message (sender to receiver).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct C2cFacts {
    pub receiver_exists: bool,
    pub receiver_blocked_sender: bool,
    pub peer_has_sender: bool,
    pub sender_has_peer: bool,
}

/// The rules of who may send whom C2C messages, the same for every backend and for stored
/// and online-only messages: the receiver exists, has not blocked the sender, and (with
/// `friends_only`) the two have each other as friends. A user writing to themself always may.
pub fn c2c_verdict(from: &str, to: &str, friends_only: bool, f: C2cFacts) -> Result<()> {
    if from == to {
        return Ok(());
    }
    if !f.receiver_exists {
        return Err(StoreError::NoSuchUser);
    }
    // A receiver who blocked the sender gets nothing of theirs.
    if f.receiver_blocked_sender {
        return Err(StoreError::Blocked);
    }
    if friends_only && !(f.peer_has_sender && f.sender_has_peer) {
        return Err(StoreError::NotFriends {
            peer_has_sender: f.peer_has_sender,
            sender_has_peer: f.sender_has_peer,
        });
    }
    Ok(())
}

/// A C2C message to store.
#[derive(Clone, Debug)]
pub struct NewC2c {
    pub from: String,
    pub to: String,
    pub client_msg_id: String,
    pub rand: u64,
    pub server_time: u64,
    pub message: Message,
    /// Store it only when the two users have each other as friends
    /// (`c2c_friends_only`); else [`StoreError::NotFriends`].
    pub friends_only: bool,
}

/// The result of storing a message.
#[derive(Clone, Debug)]
pub struct Stored {
    pub message: WireMessage,
    /// The sender's inbox cursor of the message.
    pub from_cursor: u64,
    /// The receiver's inbox cursor of the message (equal to `from_cursor` for a message to
    /// self); 0 when the receiver does not receive the sender's messages.
    pub to_cursor: u64,
    /// True when this client message id was already stored: nothing new was written and
    /// `message` is the first result.
    pub duplicate: bool,
}

/// Messages: stored once per conversation under its gap-free seq.
#[async_trait]
pub trait MessageStore: Send + Sync + 'static {
    /// Store a C2C message and its inbox entries atomically. Idempotent on
    /// (`from`, `client_msg_id`).
    async fn append_c2c(&self, msg: NewC2c) -> Result<Stored>;
    /// Store several messages of one sender in order (a pipelined session's sends): the same
    /// as calling [`MessageStore::append_c2c`] for each in turn, with one result each, but a
    /// backend may commit them together.
    async fn append_c2c_batch(&self, msgs: Vec<NewC2c>) -> Vec<Result<Stored>> {
        let mut out = Vec::with_capacity(msgs.len());
        for m in msgs {
            out.push(self.append_c2c(m).await);
        }
        out
    }
    /// Messages of a C2C conversation with seq below `before` (newest first), at most `limit`,
    /// as `a` sees them: what `a` deleted or cleared for themself is left out.
    async fn c2c_history(
        &self,
        a: &str,
        b: &str,
        before: u64,
        limit: u32,
    ) -> Result<Vec<WireMessage>>;
    /// Message `seq` of the C2C conversation of `a` and `b`, if stored.
    async fn c2c_message(&self, a: &str, b: &str, seq: u64) -> Result<Option<WireMessage>>;
    /// Whether `from` may send `to` a C2C message now ([`c2c_verdict`]), without storing
    /// anything: for online-only messages, which are never written (a stored message is checked
    /// inside its own write).
    async fn c2c_allowed(&self, from: &str, to: &str, friends_only: bool) -> Result<()>;
    /// Recall message `seq` of the C2C conversation of `a` and `b`: mark it revoked (its row
    /// stays; history shows it recalled) and write a `revoke` inbox entry for each of the two
    /// users (one when they are the same). `None` when there is no such message or it was
    /// recalled already: nothing changes then.
    async fn revoke_c2c(&self, a: &str, b: &str, seq: u64) -> Result<Option<Revoked>>;
    /// Keep the bundle of a merger element (its messages as JSON) under `key`, made by `owner`
    /// at `time`.
    async fn put_relay(&self, key: &str, owner: &str, body: String, time: u64) -> Result<()>;
    /// The bundle kept under `key`, if any.
    async fn relay(&self, key: &str) -> Result<Option<String>>;
}

/// What [`MessageStore::revoke_c2c`] wrote: each user's `revoke` inbox entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    pub cursors: Vec<(String, u64)>,
}

/// Inboxes: what concerns each user, in cursor order.
#[async_trait]
pub trait InboxStore: Send + Sync + 'static {
    /// Inbox entries of `user` after `cursor`, oldest first, at most `limit`.
    async fn inbox_after(&self, user: &str, cursor: u64, limit: u32) -> Result<Vec<InboxEntry>>;
    /// The newest inbox cursor of `user` (0 when empty).
    async fn inbox_head(&self, user: &str) -> Result<u64>;
}

/// One conversation of a user, from the user's side.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvRow {
    pub conv_type: opentim_model::enums::ConvType,
    /// The peer (C2C).
    pub peer: String,
    /// The newest message.
    pub last: Option<WireMessage>,
    /// Unix seconds of the newest message.
    pub active_time: u64,
    /// Messages from the peer after `read_seq`.
    pub unread: u64,
    pub read_seq: u64,
    /// The peer has read the user's messages up to this seq.
    pub peer_read_seq: u64,
    /// The user pinned it.
    pub pinned: bool,
}

/// Where a conversation's read mark stands after [`ConversationStore::mark_c2c_read`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadMark {
    pub read_seq: u64,
    pub unread: u64,
    /// The owner's inbox entry recording the mark, when it moved.
    pub owner_cursor: Option<u64>,
    /// The peer's read-receipt entry, when the mark moved past messages the peer sent.
    pub peer_cursor: Option<u64>,
}

/// Conversations and read marks, kept with the messages.
#[async_trait]
pub trait ConversationStore: Send + Sync + 'static {
    /// The `limit` most recently active conversations of `owner`, newest first, and the
    /// owner's inbox cursor they are current to (read together, as one snapshot).
    async fn conversations(&self, owner: &str, limit: u32) -> Result<(Vec<ConvRow>, u64)>;
    /// Mark the C2C conversation of `owner` with `peer` read up to `seq` (0 or past the newest
    /// message: up to the newest). A mark never moves back. When it moves, an inbox entry tells
    /// the owner's devices (`read`, with the unread count left) and, when the peer has
    /// messages up to the mark, one tells the peer (`peer_read`, at `time`).
    async fn mark_c2c_read(&self, owner: &str, peer: &str, seq: u64, time: u64)
        -> Result<ReadMark>;
    /// Delete messages `seqs` of the C2C conversation of `owner` with `peer` for the owner only
    /// (the peer keeps them): they leave the owner's history and conversation list, and each
    /// one newly deleted gets a `delete` entry in the owner's inbox. Seqs that name no message,
    /// or one deleted or cleared already, change nothing. The `(seq, cursor)` of each entry.
    async fn delete_c2c(&self, owner: &str, peer: &str, seqs: Vec<u64>) -> Result<Vec<(u64, u64)>>;
    /// Clear the owner's history of the C2C conversation with `peer` up to its newest message,
    /// for the owner only: the conversation stays in the list, read, without a last message,
    /// and one `clear` inbox entry tells the owner's devices.
    async fn clear_c2c(&self, owner: &str, peer: &str) -> Result<Cleared>;
    /// Pin (or unpin) the owner's C2C conversation with `peer`: the cursor of the owner's `pin`
    /// inbox entry, or `None` when there is no such conversation or it is so already.
    async fn pin_c2c(&self, owner: &str, peer: &str, pinned: bool) -> Result<Option<u64>>;
    /// Take the owner's C2C conversation with `peer` off their list until a newer message
    /// arrives (the messages stay, counted as read): the cursor of the owner's `conv_delete` inbox entry, or
    /// `None` when there is no such conversation or it is off the list already.
    async fn hide_c2c(&self, owner: &str, peer: &str) -> Result<Option<u64>>;
    /// Set how `owner` receives C2C messages from each of `peers` (`kTIMRecvMsgOpt_*`). Do not
    /// receive (1) is kept by the store itself: a message from such a peer is stored for its
    /// sender only, with no inbox entry and no history for the owner.
    async fn set_receive_opt(&self, owner: &str, peers: Vec<String>, opt: i64) -> Result<()>;
    /// How `owner` receives C2C messages from each of `peers`, in order (0 when never set).
    async fn receive_opts(&self, owner: &str, peers: Vec<String>) -> Result<Vec<i64>>;
}

/// `receive_opts.opt` of a peer whose messages the owner does not receive.
pub(crate) const NOT_RECEIVE: i64 = opentim_model::enums::ReceiveMessageOpt::NOT_RECEIVE.0;

/// What [`ConversationStore::clear_c2c`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cleared {
    /// History is cleared up to and including this seq (0: there was none).
    pub seq: u64,
    /// The owner's `clear` entry, when something was cleared.
    pub cursor: Option<u64>,
}

/// Reachability of the database.
#[async_trait]
pub trait StoreHealth: Send + Sync + 'static {
    /// Check the store is reachable.
    async fn ping(&self) -> Result<()>;
}

/// One backend's implementation of every store trait.
pub trait Backend:
    MessageStore
    + InboxStore
    + ConversationStore
    + GroupStore
    + PendencyStore
    + ReceiptStore
    + ProfileStore
    + FriendStore
    + AccountStore
    + WebhookStore
    + StoreHealth
{
}
impl<T> Backend for T where
    T: MessageStore
        + InboxStore
        + ConversationStore
        + GroupStore
        + PendencyStore
        + ReceiptStore
        + ProfileStore
        + FriendStore
        + AccountStore
        + WebhookStore
        + StoreHealth
{
}

/// The stores of one node, one handle per domain.
#[derive(Clone)]
pub struct Stores {
    pub messages: Arc<dyn MessageStore>,
    pub inbox: Arc<dyn InboxStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub groups: Arc<dyn GroupStore>,
    pub pendencies: Arc<dyn PendencyStore>,
    pub receipts: Arc<dyn ReceiptStore>,
    pub profiles: Arc<dyn ProfileStore>,
    pub friends: Arc<dyn FriendStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub health: Arc<dyn StoreHealth>,
}

impl Stores {
    /// Every domain on one backend.
    pub fn on<B: Backend>(backend: B) -> Self {
        Self::on_shared(Arc::new(backend))
    }

    /// Every domain on one backend that something else (the media store) shares.
    pub fn on_shared<B: Backend>(b: Arc<B>) -> Self {
        Stores {
            messages: b.clone(),
            inbox: b.clone(),
            conversations: b.clone(),
            groups: b.clone(),
            pendencies: b.clone(),
            receipts: b.clone(),
            profiles: b.clone(),
            friends: b.clone(),
            accounts: b.clone(),
            webhooks: b.clone(),
            health: b,
        }
    }
}

/// Inbox entry kinds as stored (both backends).
pub(crate) const KIND_MESSAGE: i64 = 1;
pub(crate) const KIND_READ: i64 = 2;
pub(crate) const KIND_PEER_READ: i64 = 3;
pub(crate) const KIND_REVOKE: i64 = 4;
pub(crate) const KIND_DELETE: i64 = 5;
pub(crate) const KIND_CLEAR: i64 = 6;
pub(crate) const KIND_PIN: i64 = 7;
pub(crate) const KIND_CONV_DELETE: i64 = 8;
/// Joined (`extra` 1) or left (0) a group; `seq`: the group's seq at the time.
pub(crate) const KIND_GROUP: i64 = 9;

/// The key of the C2C conversation between `a` and `b`, the same from both sides.
pub fn c2c_key(a: &str, b: &str) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    // Both ids are printable ASCII without '\n' (checked at the gateway), so '\n' separates them.
    format!("c2c\n{lo}\n{hi}")
}
