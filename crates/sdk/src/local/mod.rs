//! The SDK's local cache of one logged-in user: messages, conversations and small state values
//! (the sync cursor among them), so a restarted app shows its history at once and a sync only
//! fetches what is new.
//!
//! [`LocalStore`] is what the session and the API need from a cache; [`SqliteStore`] keeps it in
//! one SQLite file per user. Every implementation passes the suite in `conformance`.
//!
//! Applying inbox entries (store the messages, update their conversations, advance the cursor)
//! is one transaction: after a crash either all of it happened or none, and the entries are
//! simply synced again.

#[cfg(test)]
mod conformance;
mod sqlite;

use opentim_model::conv::{ConvInfo, Draft};
use opentim_model::enums::{ConvEvent, ConvType, MsgStatus};
use opentim_model::message::Message;

use crate::error::SdkError;

pub use sqlite::SqliteStore;

/// What applying one message changed.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The message as stored, complete (with its local unique id).
    pub message: Message,
    /// True when this device had not seen the message before.
    pub is_new: bool,
    /// Add for the message that brought its conversation into the cache, Update otherwise.
    pub conv_event: ConvEvent,
}

/// One user's local cache.
pub trait LocalStore: Send + Sync {
    /// A state value (0 when unset).
    fn state(&self, key: &str) -> Result<u64, SdkError>;

    /// Set a state value.
    fn set_state(&self, key: &str, value: u64) -> Result<(), SdkError>;

    /// The last inbox cursor applied.
    fn cursor(&self) -> Result<u64, SdkError> {
        self.state(CURSOR)
    }

    /// Store a message being sent (status Sending), before the server has it. Returns its
    /// local unique id.
    /// The relationship lists kept: (list, id, JSON body) of every entry.
    fn relations(&self) -> Result<Vec<(String, String, String)>, SdkError>;
    /// Apply a change of the relationship lists and the version it brings, in one
    /// transaction.
    fn apply_relations(&self, change: &RelationChange) -> Result<(), SdkError>;
    /// A file of media `id` was downloaded to `path`: the cached messages whose element names
    /// it (as its original, or as a video's snapshot when `snapshot`) keep the path, so a
    /// restarted app shows the file without downloading it again. The messages changed.
    fn record_download(
        &self,
        id: &str,
        snapshot: bool,
        path: &str,
    ) -> Result<Vec<Message>, SdkError>;
    /// The kept friends (JSON bodies) one of whose `fields` contains one of `keywords`,
    /// ignoring case, from a trigram index of their ids, nicknames and remarks: the cost
    /// follows the matches, not the number of friends; a keyword shorter than three characters
    /// is matched by a scan of that index.
    fn search_friends(
        &self,
        keywords: &[String],
        fields: FriendFields,
    ) -> Result<Vec<String>, SdkError>;
    /// The cached profiles of `users` (those cached), in the order asked.
    fn profiles(
        &self,
        users: &[String],
    ) -> Result<Vec<opentim_model::profile::UserProfile>, SdkError>;
    /// Cache these profiles, as just read from the server.
    fn put_profiles(
        &self,
        profiles: &[opentim_model::profile::UserProfile],
    ) -> Result<(), SdkError>;
    fn insert_outgoing(&self, client_msg_id: &str, msg: &Message) -> Result<u64, SdkError>;

    /// Mark an outgoing message that is still sending as failed.
    fn mark_failed(&self, client_msg_id: &str) -> Result<(), SdkError> {
        self.mark_unsent(client_msg_id, MsgStatus::SEND_FAIL)
            .map(drop)
    }

    /// Give an outgoing message that is still sending its final status (failed, cancelled);
    /// the message as it now is, or `None` when no message of this device with that id is
    /// still sending.
    fn mark_unsent(
        &self,
        client_msg_id: &str,
        status: MsgStatus,
    ) -> Result<Option<Message>, SdkError>;

    /// The cached messages with these ids (`message_msg_id`), in the order asked, from any
    /// conversation; ids not cached (or deleted here) are left out.
    fn by_msg_ids(&self, ids: &[String]) -> Result<Vec<Message>, SdkError>;

    /// Keep `message_custom_int` / `message_custom_str` (each when given) with a cached
    /// message; they stay on this device and survive every later update of the message. The
    /// message as it now is, or `None` when it is not cached.
    fn set_local_custom(
        &self,
        msg_id: &str,
        custom_int: Option<u32>,
        custom_str: Option<&str>,
    ) -> Result<Option<Message>, SdkError>;

    /// Store messages made on this device and never sent (`TIMMsgSaveMsg`,
    /// `TIMMsgImportMsgList`), each with its message id: they join their conversations (as
    /// their last message when newest) without counting as unread; one already stored is
    /// updated, not doubled.
    fn import(&self, messages: &[(String, Message)]) -> Result<Vec<Applied>, SdkError>;

    /// The cached messages matching `search` (deleted ones never), newest first, grouped by
    /// conversation. Keywords are looked up in a full-text index of each message's text
    /// (text, custom, face, location and file elements), so the cost follows the matches, not
    /// the size of the history; a keyword shorter than three characters is matched by a scan
    /// of that index.
    fn search(&self, search: &Search) -> Result<Vec<SearchGroup>, SdkError>;

    /// Delete messages of a conversation from this device; how many were deleted. A deleted
    /// message stays deleted: the same message synced or fetched again is not shown again.
    /// The conversation's last message becomes the newest one left.
    fn delete_messages(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        which: &Deletion,
    ) -> Result<usize, SdkError>;

    /// Apply inbox messages in order and advance the cursor to `cursor`, in one transaction.
    /// `messages` are complete messages from the owner's point of view, each with its client
    /// message id; one already stored (the same sender and client id) is updated, not doubled.
    fn apply(&self, messages: &[(String, Message)], cursor: u64) -> Result<Vec<Applied>, SdkError>;

    /// Apply messages of group streams in order and move each group's stream cursor
    /// (`cursors`: group id, seq) in one transaction; otherwise as [`LocalStore::apply`].
    fn apply_group(
        &self,
        messages: &[(String, Message)],
        cursors: &[(String, u64)],
    ) -> Result<Vec<Applied>, SdkError>;

    /// The stream cursor of every group this device follows.
    fn group_cursors(&self) -> Result<std::collections::HashMap<String, u64>, SdkError>;

    /// Store older messages fetched from the server's history (a new device filling in the
    /// unread messages behind the conversation list): the cursor and the unread counts stay as
    /// they are; a message already cached is updated, not doubled.
    fn backfill(&self, messages: &[(String, Message)]) -> Result<Vec<Applied>, SdkError>;

    /// Record the server's acknowledgement of a message this device sent (outside the inbox
    /// order: the inbox entry of the same message may come before or after it).
    fn apply_ack(&self, client_msg_id: &str, msg: &Message) -> Result<Applied, SdkError>;

    /// The newest `count` messages of a conversation, oldest first; messages still without a
    /// server seq (sending, failed) come last.
    fn history(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        count: u32,
    ) -> Result<Vec<Message>, SdkError>;

    /// A page of a conversation's messages from the one with seq `anchor` outward (the anchor
    /// left out): at most `count` older ones, newest first, or with `forward` newer ones,
    /// oldest first. Without an anchor, backward pages start at the newest message (those
    /// still without a seq first) and forward ones at the oldest.
    fn page(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        anchor: Option<u64>,
        forward: bool,
        count: u32,
    ) -> Result<Vec<Message>, SdkError>;

    /// Set (or with `None` clear) the draft of a conversation; false when it is not cached.
    fn set_draft(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        draft: Option<&Draft>,
    ) -> Result<bool, SdkError>;

    /// Add an empty conversation active at `time`; false when it exists already.
    fn create_conversation(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        time: u64,
    ) -> Result<bool, SdkError>;

    /// Remove a conversation from the list (its messages stay, for history); false when it
    /// was not there. A later message brings it back.
    fn delete_conversation(&self, conv_id: &str, conv_type: ConvType) -> Result<bool, SdkError>;

    /// The cached message of a conversation with server seq `seq`, if any.
    fn by_seq(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        seq: u64,
    ) -> Result<Option<Message>, SdkError>;

    /// Every conversation, most recently active first.
    fn conversations(&self) -> Result<Vec<ConvInfo>, SdkError>;

    /// The sum of the unread counts of every conversation (asked after each batch that adds
    /// unread messages: one query, not the whole list).
    fn total_unread(&self) -> Result<u64, SdkError>;

    /// One conversation, if it exists.
    fn conversation(
        &self,
        conv_id: &str,
        conv_type: ConvType,
    ) -> Result<Option<ConvInfo>, SdkError>;

    /// Apply an inbox entry that is not a message (a read mark, a receipt, a kind this SDK does
    /// not know), in one transaction with what `at` says about the cursor. True when it changed
    /// what the cache held (a mark already there, or older than the cached one, changes nothing).
    fn apply_mark(&self, mark: &Mark, at: MarkAt) -> Result<bool, SdkError>;

    /// Start the cache of a device new to the account from the server's conversation list:
    /// the conversations with their last messages, unread counts and marks, and the cursor the
    /// list is current to (never moving the cursor back), in one transaction. Each group
    /// conversation's stream cursor starts at its last message.
    fn bootstrap(&self, seeds: &[Seed], cursor: u64) -> Result<(), SdkError>;
}

/// A non-message inbox entry to apply.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// This user read the conversation up to `read_seq`; `unread` is what the server counts
    /// as left.
    Read {
        conv_type: ConvType,
        conv_id: String,
        read_seq: u64,
        unread: u64,
    },
    /// The peer read this user's messages up to `read_seq`.
    PeerRead {
        conv_type: ConvType,
        conv_id: String,
        read_seq: u64,
    },
    /// Message `seq` of the conversation was recalled by its sender.
    Revoke {
        conv_type: ConvType,
        conv_id: String,
        seq: u64,
    },
    /// This user deleted message `seq` of the conversation (on another device, or this one).
    Deleted {
        conv_type: ConvType,
        conv_id: String,
        seq: u64,
    },
    /// This user cleared the conversation's history up to `seq`.
    Cleared {
        conv_type: ConvType,
        conv_id: String,
        seq: u64,
    },
    /// This user pinned (or unpinned) the conversation.
    Pin {
        conv_type: ConvType,
        conv_id: String,
        pinned: bool,
    },
    /// This user took the conversation off their list (its messages stay).
    ConvDeleted {
        conv_type: ConvType,
        conv_id: String,
    },
    /// An entry of a kind this SDK does not know: only its cursor counts.
    Skip,
}

/// What [`LocalStore::search`] looks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    /// Words the message's text holds (any of them, or with `all_keywords` every one); none:
    /// every message the other filters let through.
    pub keywords: Vec<String>,
    pub all_keywords: bool,
    /// Only messages with an element of one of these types (none: any).
    pub elem_types: Vec<opentim_model::enums::ElemType>,
    /// Only messages of these senders (none: any).
    pub senders: Vec<String>,
    /// Only this conversation (none: every one).
    pub conv: Option<(ConvType, String)>,
    /// Server times from `since` to `until`, inclusive.
    pub since: u64,
    pub until: u64,
}

/// The matches of a [`Search`], newest first, grouped by conversation (the conversation of
/// the newest match first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchGroup {
    pub conv_type: ConvType,
    pub conv_id: String,
    pub messages: Vec<Message>,
}

/// Which messages of a conversation [`LocalStore::delete_messages`] deletes.
#[derive(Debug, Clone, PartialEq)]
pub enum Deletion {
    /// These messages (by `message_msg_id`).
    Ids(Vec<String>),
    /// The messages with these server seqs.
    Seqs(Vec<u64>),
    /// Every message with a server seq up to this one.
    UpTo(u64),
    /// Every message, sent or not.
    All,
}

/// Where a [`Mark`] comes from, and so what happens to the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkAt {
    /// The inbox entry at this cursor: apply it and move the cursor there.
    Entry(u64),
    /// The server's answer to this device's own request, whose inbox entry at this cursor is
    /// still to come: apply it now unless the cache is already past the cursor (the entry, or
    /// what followed it, is then in the cache already); the cursor stays.
    Ahead(u64),
    /// A change made on this device alone (no inbox entry comes for it): apply it; the cursor
    /// stays.
    Local,
}

/// One conversation of the server's list, for [`LocalStore::bootstrap`].
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    pub conv_type: ConvType,
    pub conv_id: String,
    /// The last message (its client message id, and the message from the owner's side).
    pub last: Option<(String, Message)>,
    pub active_time: u64,
    pub unread: u64,
    pub read_seq: u64,
    pub peer_read_seq: u64,
    pub pinned: bool,
}

/// The state key of the inbox cursor.
pub const CURSOR: &str = "cursor";
/// The state key of group `id`'s stream cursor.
pub fn group_cursor_key(id: &str) -> String {
    format!("{GROUP_CURSOR_PREFIX}{id}")
}

/// What every group cursor's state key starts with.
pub const GROUP_CURSOR_PREFIX: &str = "group_seq\n";

/// The state key set once the cache was started from the server's conversation list.
pub const BOOTSTRAPPED: &str = "bootstrapped";

/// State keys: the relation version the kept lists are at (0: never fetched), and up to when
/// incoming friend requests were read.
pub const RELATION_VERSION: &str = "relation_version";
pub const RELATION_READ_TIME: &str = "relation_read_time";

/// Which fields of a friend a search looks in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FriendFields {
    pub id: bool,
    pub nick: bool,
    pub remark: bool,
}

/// A change of the kept relationship lists: entries removed and put, as (list, id[, body]);
/// `replace`: everything kept before goes first (a whole fetch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelationChange {
    pub replace: bool,
    pub removed: Vec<(String, String)>,
    pub put: Vec<(String, String, String)>,
    pub version: u64,
    pub read_time: u64,
}
