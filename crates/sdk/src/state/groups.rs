//! The streams of the user's groups: one seq cursor per group, and gap detection per group.
//!
//! A group's entries (messages and recalls) are numbered by the group's own seq, one by one.
//! Each group here has the cursor of the last entry staged for the local store; an entry right
//! after it is staged, one already seen is ignored, and one beyond a gap starts a sync of that
//! group from the cursor (one at a time per group). At every connection the server's heads say
//! where each group stands, and every group behind is synced, so a device that was offline
//! catches up in order, exactly once.

use std::collections::HashMap;

/// What to do with a group entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The next one: stage it (the cursor moved).
    Stage,
    /// Already staged or stored.
    Old,
    /// Beyond a gap: sync the group (`true`: start the sync now; `false`: one is running).
    Gap(bool),
    /// A group this device does not follow (yet, or any more): drop it.
    Unknown,
}

#[derive(Debug, Default, Clone)]
struct Stream {
    /// The last seq staged.
    cursor: u64,
    /// The last seq the local store committed.
    stored: u64,
    syncing: bool,
    /// The newest seq seen live or in a reply.
    max_seen: u64,
}

/// Every followed group's stream.
#[derive(Debug, Default)]
pub struct Groups {
    streams: HashMap<String, Stream>,
}

impl Groups {
    /// Start from the cursors the local store holds.
    pub fn new(stored: HashMap<String, u64>) -> Self {
        let streams = stored
            .into_iter()
            .map(|(g, c)| {
                let s = Stream {
                    cursor: c,
                    stored: c,
                    syncing: false,
                    max_seen: c,
                };
                (g, s)
            })
            .collect();
        Groups { streams }
    }

    /// A connection is up: no sync is running any more.
    pub fn connected(&mut self) {
        for s in self.streams.values_mut() {
            s.syncing = false;
        }
    }

    /// Where `group` stands on the server (`seq`); for a group not followed yet, follow it
    /// from `start`. True when a sync of the group should start now.
    pub fn head(&mut self, group: &str, seq: u64, start: u64) -> bool {
        let s = self.streams.entry(group.to_owned()).or_insert(Stream {
            cursor: start,
            stored: start,
            syncing: false,
            max_seen: start,
        });
        s.max_seen = s.max_seen.max(seq);
        if s.syncing || s.max_seen <= s.cursor {
            return false;
        }
        s.syncing = true;
        true
    }

    /// Follow `group` from `start` (the user joined it); true when a sync should start now.
    /// A group followed already keeps its cursor.
    pub fn joined(&mut self, group: &str, start: u64) -> bool {
        let s = self.streams.entry(group.to_owned()).or_insert(Stream {
            cursor: start,
            stored: start,
            syncing: false,
            max_seen: start,
        });
        if s.syncing {
            return false;
        }
        s.syncing = true;
        true
    }

    /// Stop following `group` (the user left it).
    pub fn left(&mut self, group: &str) {
        self.streams.remove(group);
    }

    /// The cursor of `group` (0 when not followed).
    pub fn cursor(&self, group: &str) -> u64 {
        self.streams.get(group).map_or(0, |s| s.cursor)
    }

    /// Judge a live entry of `group` with `seq`.
    pub fn live(&mut self, group: &str, seq: u64) -> Verdict {
        let Some(s) = self.streams.get_mut(group) else {
            return Verdict::Unknown;
        };
        if seq <= s.cursor {
            return Verdict::Old;
        }
        s.max_seen = s.max_seen.max(seq);
        if !s.syncing && seq == s.cursor + 1 {
            s.cursor = seq;
            return Verdict::Stage;
        }
        if s.syncing {
            return Verdict::Gap(false);
        }
        s.syncing = true;
        Verdict::Gap(true)
    }

    /// Judge an entry of a sync page of `group` (pages run from the cursor, in order).
    pub fn synced(&mut self, group: &str, seq: u64) -> Verdict {
        let Some(s) = self.streams.get_mut(group) else {
            return Verdict::Unknown;
        };
        if seq <= s.cursor {
            return Verdict::Old;
        }
        s.max_seen = s.max_seen.max(seq);
        // A page starts right after the cursor unless entries were never there (a cursor
        // from before the user joined): take the page's first entry as the next.
        s.cursor = seq;
        Verdict::Stage
    }

    /// A sync page of `group` ended: true when another page is needed (more waiting, or a
    /// newer entry seen meanwhile); the group's sync is then still running.
    pub fn page_done(&mut self, group: &str, more: bool) -> bool {
        let Some(s) = self.streams.get_mut(group) else {
            return false;
        };
        s.syncing = more || s.max_seen > s.cursor;
        s.syncing
    }

    /// A sync of `group` failed: it runs again at the next entry or connection.
    pub fn sync_failed(&mut self, group: &str) {
        if let Some(s) = self.streams.get_mut(group) {
            s.syncing = false;
        }
    }

    /// The local store committed `group` up to `seq`.
    pub fn stored(&mut self, group: &str, seq: u64) {
        if let Some(s) = self.streams.get_mut(group) {
            s.stored = s.stored.max(seq);
        }
    }

    /// The local store failed to commit what was staged of `group`: go back to what it
    /// holds; true when a sync should start now.
    pub fn store_failed(&mut self, group: &str) -> bool {
        let Some(s) = self.streams.get_mut(group) else {
            return false;
        };
        s.cursor = s.stored;
        s.max_seen = s.max_seen.max(s.cursor + 1);
        if s.syncing {
            return false;
        }
        s.syncing = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_staged_in_order_and_a_gap_starts_one_sync() {
        let mut g = Groups::new(HashMap::from([("g".to_owned(), 3)]));
        assert_eq!(g.live("g", 3), Verdict::Old);
        assert_eq!(g.live("g", 4), Verdict::Stage);
        assert_eq!(g.live("g", 6), Verdict::Gap(true));
        assert_eq!(g.live("g", 7), Verdict::Gap(false), "one sync at a time");
        assert_eq!(g.synced("g", 5), Verdict::Stage);
        assert_eq!(g.synced("g", 6), Verdict::Stage);
        assert!(
            g.page_done("g", false),
            "7 was seen meanwhile: another page"
        );
        assert_eq!(g.synced("g", 7), Verdict::Stage);
        assert!(!g.page_done("g", false));
        assert_eq!(g.live("g", 8), Verdict::Stage);
        assert_eq!(g.live("h", 1), Verdict::Unknown);
    }

    #[test]
    fn heads_start_syncs_only_for_groups_behind() {
        let mut g = Groups::new(HashMap::from([("a".to_owned(), 5)]));
        assert!(!g.head("a", 5, 0), "up to date");
        assert!(g.head("b", 9, 4), "a new group behind its head");
        assert_eq!(g.cursor("b"), 4);
        assert!(!g.head("b", 9, 4), "its sync is running");
        assert_eq!(g.synced("b", 5), Verdict::Stage);
        g.stored("b", 5);
        g.left("b");
        assert_eq!(
            g.live("b", 6),
            Verdict::Unknown,
            "a group left is not followed"
        );
        assert!(g.joined("c", 2));
        assert!(!g.joined("c", 2), "its sync is running");
    }
}
