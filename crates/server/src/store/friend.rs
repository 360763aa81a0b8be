//! What the store keeps of accounts and relationships: friends, friend groups, friend requests
//! and blacklists.
//!
//! Every row of a user's relationships carries the user's *relation version* of its last
//! change, and a removed row leaves a tombstone (`relation_gone`) with the version of its
//! removal, so a device holding version `v` fetches only what changed after `v`
//! ([`FriendStore::delta`]). A change ([`FriendStore::relate`]) is a list of [`Edit`]s applied
//! in one transaction; each user it touches gets one new version for it, and the limits are
//! checked after the edits, so a change that would pass one is not stored at all.
//!
//! The SQL here runs on both backends: SQLite numbers `$n` placeholders in the order they first
//! appear, so each statement names them first in numeric order.

use async_trait::async_trait;

use super::Result;

/// Accounts: a user exists once they logged in (or were imported).
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Record that `user` exists (from `time`); `true` when they were not known before.
    async fn register(&self, user: &str, time: u64) -> Result<bool>;
    /// For each of `users`, whether it exists.
    async fn existing(&self, users: Vec<String>) -> Result<Vec<bool>>;
    /// The account of `user`, if it exists.
    async fn account(&self, user: &str) -> Result<Option<AccountRow>>;
    /// Remove each of `users` from the accounts (an administrator's delete); for each, whether
    /// it existed. What the user stored (messages, relationships) stays.
    async fn delete_accounts(&self, users: Vec<String>) -> Result<Vec<bool>>;
    /// Refuse the UserSigs of `user` issued up to `time` (an administrator's kick): `false`
    /// when there is no such account.
    async fn revoke_sigs(&self, user: &str, time: u64) -> Result<bool>;
    /// Mute `user` everywhere (an administrator's `setnospeaking`): C2C and group sends are
    /// refused until the Unix seconds given (0 lifts a mute; `None` leaves it as it is).
    /// `false` when there is no such account.
    async fn set_mutes(
        &self,
        user: &str,
        c2c_until: Option<u64>,
        group_until: Option<u64>,
    ) -> Result<bool>;
}

/// One account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountRow {
    /// Unix seconds of its first login or import.
    pub created: u64,
    /// When an administrator last kicked the user (0: never): UserSigs issued (`TLS.time`)
    /// up to this second do not log in.
    pub sigs_from: u64,
    /// Muted everywhere until these Unix seconds (0: not muted).
    pub c2c_muted_until: u64,
    pub group_muted_until: u64,
}

/// One friend in its owner's list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FriendRow {
    pub owner: String,
    pub friend: String,
    pub remark: String,
    /// Friend groups the friend is in, in the order they were added.
    pub groups: Vec<String>,
    /// Custom friend fields (`Tag_SNS_Custom_*` key, value).
    pub custom: Vec<(String, String)>,
    pub add_source: String,
    pub add_wording: String,
    pub add_time: u64,
}

/// One side of a friend request: the requester's row (outgoing) and the target's (incoming).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestRow {
    pub owner: String,
    pub other: String,
    /// True on the target's side.
    pub incoming: bool,
    /// The friend type asked for (`TIMFriendType`).
    pub friend_type: i32,
    /// What the requester wants for the target once added.
    pub remark: String,
    pub group_name: String,
    pub add_source: String,
    pub add_wording: String,
    pub add_time: u64,
}

/// One edit of a relationship change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Put (or replace) a friend row.
    Friend(FriendRow),
    Unfriend {
        owner: String,
        friend: String,
    },
    /// Put (or replace) one side of a request.
    Request(RequestRow),
    DropRequest {
        owner: String,
        other: String,
        incoming: bool,
    },
    Block {
        owner: String,
        user: String,
        time: u64,
    },
    Unblock {
        owner: String,
        user: String,
    },
    Group {
        owner: String,
        name: String,
    },
    DropGroup {
        owner: String,
        name: String,
    },
    /// The owner read their incoming requests up to `time`.
    ReadTime {
        owner: String,
        time: u64,
    },
    /// A new version of a friend row whose friend's profile changed (the devices of `owner`
    /// fetch it again).
    Touch {
        owner: String,
        friend: String,
    },
}

impl Edit {
    pub fn owner(&self) -> &str {
        match self {
            Edit::Friend(f) => &f.owner,
            Edit::Request(r) => &r.owner,
            Edit::Unfriend { owner, .. }
            | Edit::DropRequest { owner, .. }
            | Edit::Block { owner, .. }
            | Edit::Unblock { owner, .. }
            | Edit::Group { owner, .. }
            | Edit::DropGroup { owner, .. }
            | Edit::ReadTime { owner, .. }
            | Edit::Touch { owner, .. } => owner,
        }
    }
}

/// The caps a change must keep, per owner it touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelationLimits {
    pub friends: u64,
    pub incoming_requests: u64,
    pub groups: u64,
    pub blocked: u64,
}

/// Which cap a change would have passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    Friends,
    IncomingRequests,
    Groups,
    Blocked,
}

/// The kinds of tombstone.
pub const GONE_FRIEND: i32 = 1;
pub const GONE_BLOCKED: i32 = 2;
pub const GONE_REQUEST_IN: i32 = 3;
pub const GONE_REQUEST_OUT: i32 = 4;
pub const GONE_GROUP: i32 = 5;

/// What changed in a user's relationships after a version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelationDelta {
    /// The user's version now (0: never changed).
    pub version: u64,
    /// Up to when the user read their incoming requests.
    pub read_time: u64,
    pub friends: Vec<FriendRow>,
    /// Blocked users with when.
    pub blocked: Vec<(String, u64)>,
    pub requests: Vec<RequestRow>,
    pub groups: Vec<String>,
    /// Removed since: (kind, user or group name).
    pub gone: Vec<(i32, String)>,
}

/// Relationships.
#[async_trait]
pub trait FriendStore: Send + Sync + 'static {
    /// Apply `edits` in one transaction. [`StoreError::LimitReached`](super::StoreError) when
    /// an owner would pass one of `limits` (nothing is stored then).
    async fn relate(&self, edits: Vec<Edit>, limits: RelationLimits) -> Result<()>;
    /// The friend rows of `owner` for `users` (every friend when empty), in add order.
    async fn friends(&self, owner: &str, users: Vec<String>) -> Result<Vec<FriendRow>>;
    /// Of `owners`, those who have `friend` in their list.
    async fn who_have(&self, owners: Vec<String>, friend: &str) -> Result<Vec<String>>;
    /// Everyone who has `friend` in their list.
    async fn friend_owners(&self, friend: &str) -> Result<Vec<String>>;
    /// Both sides of the requests `owner` sent and received, newest first.
    async fn requests(&self, owner: &str) -> Result<Vec<RequestRow>>;
    /// The friend groups of `owner`, by name.
    async fn friend_groups(&self, owner: &str) -> Result<Vec<String>>;
    /// Who `owner` blocked, with when, oldest first.
    async fn blocked(&self, owner: &str) -> Result<Vec<(String, u64)>>;
    /// Whether `owner` blocked `user`.
    async fn is_blocked(&self, owner: &str, user: &str) -> Result<bool>;
    /// What changed in `owner`'s relationships after version `since` (everything for 0).
    async fn delta(&self, owner: &str, since: u64) -> Result<RelationDelta>;
}

/// A relation version for `owner`: the next one (created at 1).
pub(crate) const NEXT_VERSION: &str =
    "INSERT INTO relation_versions (owner, version) VALUES ($1, 1)
     ON CONFLICT (owner) DO UPDATE SET version = relation_versions.version + 1
     RETURNING version";

pub(crate) const PUT_FRIEND: &str = "INSERT INTO friends (owner, friend, remark, groups, custom,
        add_source, add_wording, add_time, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (owner, friend) DO UPDATE SET remark = excluded.remark,
        groups = excluded.groups, custom = excluded.custom, add_source = excluded.add_source,
        add_wording = excluded.add_wording, add_time = excluded.add_time,
        version = excluded.version";
pub(crate) const DROP_FRIEND: &str = "DELETE FROM friends WHERE owner = $1 AND friend = $2";
pub(crate) const PUT_REQUEST: &str = "INSERT INTO friend_requests (owner, other, incoming,
        friend_type, remark, group_name, add_source, add_wording, add_time, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (owner, other, incoming) DO UPDATE SET friend_type = excluded.friend_type,
        remark = excluded.remark, group_name = excluded.group_name,
        add_source = excluded.add_source, add_wording = excluded.add_wording,
        add_time = excluded.add_time, version = excluded.version";
pub(crate) const DROP_REQUEST: &str =
    "DELETE FROM friend_requests WHERE owner = $1 AND other = $2 AND incoming = $3";
pub(crate) const PUT_BLOCK: &str = "INSERT INTO blacklist (owner, blocked, add_time, version)
     VALUES ($1, $2, $3, $4) ON CONFLICT (owner, blocked) DO NOTHING";
pub(crate) const DROP_BLOCK: &str = "DELETE FROM blacklist WHERE owner = $1 AND blocked = $2";
pub(crate) const PUT_GROUP: &str = "INSERT INTO friend_groups (owner, name, version)
     VALUES ($1, $2, $3) ON CONFLICT (owner, name) DO UPDATE SET version = excluded.version";
pub(crate) const DROP_GROUP: &str = "DELETE FROM friend_groups WHERE owner = $1 AND name = $2";
/// (`$1` time, `$2` owner.)
pub(crate) const READ_TIME: &str =
    "UPDATE relation_versions SET read_time = $1 WHERE owner = $2 AND read_time < $1";
/// (`$1` version, `$2` owner, `$3` friend.)
pub(crate) const TOUCH: &str = "UPDATE friends SET version = $1 WHERE owner = $2 AND friend = $3";
pub(crate) const PUT_GONE: &str = "INSERT INTO relation_gone (owner, kind, item, version)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (owner, kind, item) DO UPDATE SET version = excluded.version";
pub(crate) const CLEAR_GONE: &str =
    "DELETE FROM relation_gone WHERE owner = $1 AND kind = $2 AND item = $3";

/// The counts a change's limits are checked on, for one owner.
pub(crate) const COUNT_FRIENDS: &str = "SELECT COUNT(*) FROM friends WHERE owner = $1";
pub(crate) const COUNT_INCOMING: &str =
    "SELECT COUNT(*) FROM friend_requests WHERE owner = $1 AND incoming = 1";
pub(crate) const COUNT_GROUPS: &str = "SELECT COUNT(*) FROM friend_groups WHERE owner = $1";
pub(crate) const COUNT_BLOCKED: &str = "SELECT COUNT(*) FROM blacklist WHERE owner = $1";

/// What changed after a version, per table (`$1` owner, `$2` version).
pub(crate) const DELTA_FRIENDS: &str = "SELECT owner, friend, remark, groups, custom, add_source,
        add_wording, add_time
     FROM friends WHERE owner = $1 AND version > $2 ORDER BY add_time, friend";
pub(crate) const DELTA_REQUESTS: &str = "SELECT owner, other, incoming, friend_type, remark,
        group_name, add_source, add_wording, add_time
     FROM friend_requests WHERE owner = $1 AND version > $2 ORDER BY add_time DESC, other";
pub(crate) const DELTA_BLOCKED: &str = "SELECT blocked, add_time FROM blacklist
     WHERE owner = $1 AND version > $2 ORDER BY add_time, blocked";
pub(crate) const DELTA_GROUPS: &str =
    "SELECT name FROM friend_groups WHERE owner = $1 AND version > $2 ORDER BY name";
pub(crate) const DELTA_GONE: &str =
    "SELECT kind, item FROM relation_gone WHERE owner = $1 AND version > $2 ORDER BY version";

pub(crate) const FRIEND_COLUMNS: &str =
    "owner, friend, remark, groups, custom, add_source, add_wording, add_time";
pub(crate) const REQUEST_COLUMNS: &str =
    "owner, other, incoming, friend_type, remark, group_name, add_source, add_wording, add_time";

/// The tombstone of a removal (kind, item), when the edit removes a row.
pub(crate) fn gone_of(edit: &Edit) -> Option<(i32, &str)> {
    match edit {
        Edit::Unfriend { friend, .. } => Some((GONE_FRIEND, friend)),
        Edit::Unblock { user, .. } => Some((GONE_BLOCKED, user)),
        Edit::DropRequest {
            other, incoming, ..
        } => Some((request_kind(*incoming), other)),
        Edit::DropGroup { name, .. } => Some((GONE_GROUP, name)),
        _ => None,
    }
}

/// The tombstone an edit that puts a row clears (kind, item).
pub(crate) fn cleared_by(edit: &Edit) -> Option<(i32, &str)> {
    match edit {
        Edit::Friend(f) => Some((GONE_FRIEND, &f.friend)),
        Edit::Block { user, .. } => Some((GONE_BLOCKED, user)),
        Edit::Request(r) => Some((request_kind(r.incoming), &r.other)),
        Edit::Group { name, .. } => Some((GONE_GROUP, name)),
        _ => None,
    }
}

pub(crate) fn request_kind(incoming: bool) -> i32 {
    match incoming {
        true => GONE_REQUEST_IN,
        false => GONE_REQUEST_OUT,
    }
}

/// The caps an edit can push its owner past.
pub(crate) fn caps_of(edit: &Edit) -> Option<(Cap, &'static str)> {
    match edit {
        Edit::Friend(_) => Some((Cap::Friends, COUNT_FRIENDS)),
        Edit::Request(r) if r.incoming => Some((Cap::IncomingRequests, COUNT_INCOMING)),
        Edit::Group { .. } => Some((Cap::Groups, COUNT_GROUPS)),
        Edit::Block { .. } => Some((Cap::Blocked, COUNT_BLOCKED)),
        _ => None,
    }
}

impl RelationLimits {
    pub(crate) fn of(&self, cap: Cap) -> u64 {
        match cap {
            Cap::Friends => self.friends,
            Cap::IncomingRequests => self.incoming_requests,
            Cap::Groups => self.groups,
            Cap::Blocked => self.blocked,
        }
    }
}

/// A JSON list as stored (groups, custom fields).
pub(crate) fn to_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// A stored JSON list; an unreadable one reads as empty.
pub(crate) fn from_text<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_str(s).unwrap_or_default()
}
