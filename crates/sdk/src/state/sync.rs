//! The inbox cursor and gap detection.
//!
//! Entries are applied strictly in cursor order. The cursor lives here, in memory: the session
//! is its only writer, so it is read from the local store once, when the session starts, and
//! advanced as entries are staged for the store. A live entry that skips a cursor means
//! something was missed: a sync fetches from the cursor; after every sync page, if more is
//! waiting or an entry newer than the cursor was seen meanwhile, another sync runs. Entries at
//! or below the cursor are ignored, so replays never duplicate.

use opentim_protocol::InboxEntry;

/// What to do with an entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The next one: stage it (the cursor moved).
    Stage,
    /// Already applied or staged.
    Old,
    /// Beyond a gap: a sync is needed (or running).
    Gap,
}

#[derive(Debug, Default)]
pub struct SyncState {
    /// The last cursor staged (applied or about to be).
    cursor: u64,
    /// The cursor the local store has committed.
    stored: u64,
    /// A sync request is in flight.
    pub syncing: bool,
    /// The newest cursor seen in a live event or a reply.
    max_seen: u64,
}

impl SyncState {
    /// Start from the cursor the local store holds.
    pub fn new(stored: u64) -> Self {
        SyncState {
            cursor: stored,
            stored,
            syncing: false,
            max_seen: stored,
        }
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Judge a live entry (an event, or the reply to this device's own send).
    pub fn live(&mut self, entry: &InboxEntry) -> Verdict {
        if entry.cursor <= self.cursor {
            return Verdict::Old;
        }
        self.max_seen = self.max_seen.max(entry.cursor);
        if !self.syncing && entry.cursor == self.cursor + 1 {
            self.cursor = entry.cursor;
            return Verdict::Stage;
        }
        Verdict::Gap
    }

    /// Judge an entry of a sync page (pages run from the cursor, in order).
    pub fn synced(&mut self, entry: &InboxEntry) -> Verdict {
        if entry.cursor <= self.cursor {
            return Verdict::Old;
        }
        self.max_seen = self.max_seen.max(entry.cursor);
        if entry.cursor == self.cursor + 1 {
            self.cursor = entry.cursor;
            return Verdict::Stage;
        }
        Verdict::Gap
    }

    /// Whether another sync page is needed after one ended.
    pub fn behind(&self, more: bool) -> bool {
        more || self.max_seen > self.cursor
    }

    /// The local store was started at `cursor` (from the server's conversation list): continue
    /// from there, never going back. Ends the wait that [`SyncState::syncing`] imposed.
    pub fn jump(&mut self, cursor: u64) {
        self.cursor = self.cursor.max(cursor);
        self.stored = self.stored.max(cursor);
        self.max_seen = self.max_seen.max(self.cursor);
        self.syncing = false;
    }

    /// The local store committed everything staged up to `cursor`.
    pub fn stored(&mut self, cursor: u64) {
        self.stored = self.stored.max(cursor);
    }

    /// The local store failed to commit what was staged: go back to what it holds, so the
    /// entries are fetched again by the next sync.
    pub fn store_failed(&mut self) {
        self.cursor = self.stored;
        self.max_seen = self.max_seen.max(self.cursor + 1);
    }
}
