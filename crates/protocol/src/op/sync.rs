//! Catch up with the inbox.

use serde::{Deserialize, Serialize};

use super::Op;
use crate::InboxEntry;

/// Inbox entries after a cursor (reconnect and gap recovery).
pub struct Sync;

impl Op for Sync {
    const NAME: &'static str = "sync";
    const SERVES: &'static [&'static str] = &["TIMLogin", "TIMRecvNewMsgCallback"];
    type Request = SyncRequest;
    type Response = SyncResponse;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub cursor: u64,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub entries: Vec<InboxEntry>,
    /// More entries are waiting after the last one returned.
    pub more: bool,
}
