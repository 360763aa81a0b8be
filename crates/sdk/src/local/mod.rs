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

use opentim_model::conv::ConvInfo;
use opentim_model::enums::{ConvEvent, ConvType};
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
    fn insert_outgoing(&self, client_msg_id: &str, msg: &Message) -> Result<u64, SdkError>;

    /// Mark an outgoing message that is still sending as failed.
    fn mark_failed(&self, client_msg_id: &str) -> Result<(), SdkError>;

    /// Apply inbox messages in order and advance the cursor to `cursor`, in one transaction.
    /// `messages` are complete messages from the owner's point of view, each with its client
    /// message id; one already stored (the same sender and client id) is updated, not doubled.
    fn apply(&self, messages: &[(String, Message)], cursor: u64) -> Result<Vec<Applied>, SdkError>;

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

    /// Every conversation, most recently active first.
    fn conversations(&self) -> Result<Vec<ConvInfo>, SdkError>;

    /// One conversation, if it exists.
    fn conversation(
        &self,
        conv_id: &str,
        conv_type: ConvType,
    ) -> Result<Option<ConvInfo>, SdkError>;
}

/// The state key of the inbox cursor.
pub const CURSOR: &str = "cursor";
