//! What the store keeps of groups: their profiles and their members.

use async_trait::async_trait;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
use opentim_model::message::Message;
use opentim_protocol::{GroupEntry, WireMessage};

use super::{ReadMark, Result};

/// A group as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRow {
    pub id: String,
    pub group_type: GroupType,
    pub name: String,
    pub owner: String,
    pub notification: String,
    pub introduction: String,
    pub face_url: String,
    pub add_option: GroupAddOption,
    pub max_members: u32,
    pub shutup_all: bool,
    /// The custom fields, a JSON array of `GroupInfoCustemString`.
    pub custom: String,
    /// Unix seconds.
    pub created: u64,
    /// Grows by one with every change of the profile.
    pub info_seq: u64,
    pub last_info_time: u64,
    /// The seq of the group's newest message (0: none yet).
    pub last_seq: u64,
    pub last_msg_time: u64,
    pub member_count: u32,
    /// `group_detail_info_visible` / `…_searchable` as set (2: the default).
    pub visible: u32,
    pub searchable: u32,
}

/// One member of a group as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    pub group_id: String,
    pub user: String,
    pub role: GroupMemberRole,
    pub join_time: u64,
    /// `TIMGroupReceiveMessageOpt`.
    pub msg_flag: i64,
    /// Muted until this Unix second (0: not muted).
    pub shutup_until: u64,
    pub name_card: String,
    /// The custom fields, a JSON array of `GroupMemberInfoCustemString`.
    pub custom: String,
    /// The member has read the group up to this seq.
    pub read_seq: u64,
    /// The group's seq when the user joined: their messages, history and unread count start
    /// after it.
    pub join_seq: u64,
}

/// A group to create, with its first members (the owner among them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGroup {
    pub row: GroupRow,
    pub members: Vec<(String, GroupMemberRole)>,
}

/// What [`GroupStore::add_members`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Added {
    /// The users who became members, in the order asked.
    pub added: Vec<String>,
    /// The `group` inbox entry of each user added.
    pub notices: Vec<Notice>,
    /// Users asked for who were members already.
    pub already: Vec<String>,
    /// Users not added because the group reached `max_members`.
    pub full: Vec<String>,
}

/// A change of a group's profile: each field that is `Some` is set. Every change bumps the
/// group's `info_seq` and `last_info_time`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupPatch {
    pub name: Option<String>,
    pub notification: Option<String>,
    pub introduction: Option<String>,
    pub face_url: Option<String>,
    pub add_option: Option<GroupAddOption>,
    pub max_members: Option<u32>,
    pub visible: Option<u32>,
    pub searchable: Option<u32>,
    pub shutup_all: Option<bool>,
    /// The custom fields, a JSON array, replacing the stored ones.
    pub custom: Option<String>,
    /// Hand ownership to this member: they become the owner, the owner a member.
    pub owner: Option<String>,
}

/// A change of one membership: each field that is `Some` is set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberPatch {
    pub role: Option<GroupMemberRole>,
    pub msg_flag: Option<i64>,
    pub shutup_until: Option<u64>,
    pub name_card: Option<String>,
    /// The custom fields, a JSON array, replacing the stored ones.
    pub custom: Option<String>,
}

/// A change of a group's attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrChange {
    /// Replace the whole set (`TIMGroupInitGroupAttributes`).
    Replace(Vec<(String, String)>),
    /// Add or overwrite these keys (`TIMGroupSetGroupAttributes`).
    Set(Vec<(String, String)>),
    /// Remove these keys (`TIMGroupDeleteGroupAttributes`).
    Delete(Vec<String>),
}

/// How big a group's attribute set may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrLimits {
    pub max_count: usize,
    /// Keys and values together, in bytes.
    pub max_bytes: usize,
}

/// What [`GroupStore::change_attributes`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrOutcome {
    /// The set as it now is, by key.
    Changed(Vec<(String, String)>),
    /// The change would break a limit (the text says which); nothing was stored.
    OverLimit(String),
}

/// The set `current` becomes with `change`, by key, or why it may not.
pub(crate) fn apply_attr_change(
    current: Vec<(String, String)>,
    change: &AttrChange,
    limits: AttrLimits,
) -> std::result::Result<Vec<(String, String)>, String> {
    let mut set: std::collections::BTreeMap<String, String> = match change {
        AttrChange::Replace(_) => Default::default(),
        _ => current.into_iter().collect(),
    };
    match change {
        AttrChange::Replace(kv) | AttrChange::Set(kv) => {
            for (k, v) in kv {
                set.insert(k.clone(), v.clone());
            }
        }
        AttrChange::Delete(keys) => {
            for k in keys {
                set.remove(k);
            }
        }
    }
    if set.len() > limits.max_count {
        return Err(format!(
            "{} attributes; a group has at most {} (max_group_attributes)",
            set.len(),
            limits.max_count
        ));
    }
    let bytes: usize = set.iter().map(|(k, v)| k.len() + v.len()).sum();
    if bytes > limits.max_bytes {
        return Err(format!(
            "the attributes come to {bytes} bytes; at most {} (max_group_attributes_bytes)",
            limits.max_bytes
        ));
    }
    Ok(set.into_iter().collect())
}

/// A change of how one member sees a group's conversation (their own, on every device).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewChange {
    /// Delete these messages for the member (`delete` entries).
    Delete(Vec<u64>),
    /// Clear the member's history up to the newest message, which counts as read (`clear`).
    Clear,
    /// Pin or unpin the conversation (`pin`).
    Pin(bool),
    /// Take the conversation off the list until a newer message; what is there counts as
    /// read (`conv_delete`).
    Hide,
}

/// A group message to store (a member's, or a tip of the server's).
#[derive(Clone, Debug)]
pub struct NewGroupMessage {
    pub group: String,
    pub from: String,
    pub client_msg_id: String,
    pub rand: u64,
    pub server_time: u64,
    pub message: Message,
}

impl NewGroupMessage {
    /// The message as the entry `seq` of its group's stream (0: an entry that is not stored).
    pub fn entry(&self, seq: u64) -> GroupEntry {
        GroupEntry {
            group_id: self.group.clone(),
            seq,
            message: Some(WireMessage {
                conv_type: opentim_model::enums::ConvType::GROUP,
                from: self.from.clone(),
                to: self.group.clone(),
                seq,
                rand: self.rand,
                server_time: self.server_time,
                client_msg_id: self.client_msg_id.clone(),
                message: self.message.clone(),
            }),
            revoke: None,
        }
    }
}

/// What [`GroupStore::append_group`] stored.
#[derive(Clone, Debug)]
pub struct GroupStored {
    /// The message's entry in the group's stream.
    pub entry: GroupEntry,
    /// This client message id was stored already: nothing was written, `entry` is the first.
    pub duplicate: bool,
}

/// One group conversation of a member, for the conversation list.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupConv {
    pub group_id: String,
    /// The newest message the member may see.
    pub last: Option<WireMessage>,
    pub active_time: u64,
    /// Messages of others after `read_seq`.
    pub unread: u64,
    pub read_seq: u64,
    pub pinned: bool,
}

/// The `group` inbox entry (joined or left) written for a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub user: String,
    pub cursor: u64,
    /// The group's seq when it happened.
    pub seq: u64,
}

/// Groups and their members.
#[async_trait]
pub trait GroupStore: Send + Sync + 'static {
    /// Create a group with its first members, in one transaction, each member told by a
    /// `group` inbox entry (joined); `None` (nothing written) when the id is taken.
    async fn create_group(&self, group: NewGroup) -> Result<Option<Vec<Notice>>>;
    /// A group, with its member count.
    async fn group(&self, id: &str) -> Result<Option<GroupRow>>;
    /// The membership of `user` in group `id`.
    async fn member(&self, id: &str, user: &str) -> Result<Option<MemberRow>>;
    /// How many groups `user` is a member of.
    async fn joined_count(&self, user: &str) -> Result<u64>;
    /// The ids and types of up to `limit` groups with ids after `after` (`""`: from the
    /// first), in id order, and how many groups there are.
    async fn group_ids(&self, after: &str, limit: u32) -> Result<(Vec<(String, GroupType)>, u64)>;
    /// Every group `user` is a member of, with the membership, by group id.
    async fn joined(&self, user: &str) -> Result<Vec<(GroupRow, MemberRow)>>;
    /// Members of group `id` in user id order, from the `offset`-th, at most `limit`.
    async fn members(&self, id: &str, offset: u64, limit: u32) -> Result<Vec<MemberRow>>;
    /// Add `users` with `role`, joined at `time`, without going past the group's
    /// `max_members`, in one transaction. Each user added gets a `group` entry (joined) in
    /// their inbox, and their messages start after the group's current seq.
    async fn add_members(
        &self,
        id: &str,
        users: Vec<String>,
        role: GroupMemberRole,
        time: u64,
    ) -> Result<Added>;
    /// Remove `users` from group `id`: each user who was a member, with the cursor of their
    /// `group` inbox entry (left).
    async fn remove_members(&self, id: &str, users: Vec<String>) -> Result<Vec<Notice>>;
    /// Change group `id`'s profile at `time` (Unix seconds); `None` when there is no such
    /// group, or the new owner of `patch.owner` is not a member (nothing is changed then).
    async fn update_group(
        &self,
        id: &str,
        patch: GroupPatch,
        time: u64,
    ) -> Result<Option<GroupRow>>;
    /// Change `user`'s membership of group `id`; `None` when they are not a member.
    async fn update_member(
        &self,
        id: &str,
        user: &str,
        patch: MemberPatch,
    ) -> Result<Option<MemberRow>>;
    /// Change group `id`'s attributes within `limits`, atomically; `None` when there is no
    /// such group.
    async fn change_attributes(
        &self,
        id: &str,
        change: AttrChange,
        limits: AttrLimits,
    ) -> Result<Option<AttrOutcome>>;
    /// Group `id`'s attributes, by key.
    async fn attributes(&self, id: &str) -> Result<Vec<(String, String)>>;
    /// Tell member `user` of group `id` that they follow the group's messages again
    /// (`joined`) or not any more: a `group` inbox entry at the group's current seq, written
    /// without a change of the membership; `None` when `user` is not a member.
    async fn follow_notice(&self, id: &str, user: &str, joined: bool) -> Result<Option<Notice>>;
    /// Change how member `user` sees group `id`'s conversation: the `(seq, cursor)` of each
    /// inbox entry written (none when nothing changed), or `None` when `user` is not a
    /// member.
    async fn change_view(
        &self,
        id: &str,
        user: &str,
        change: ViewChange,
    ) -> Result<Option<Vec<(u64, u64)>>>;
    /// The owner and admins of group `id`.
    async fn managers(&self, id: &str) -> Result<Vec<String>>;
    /// Delete group `id` and its members, each member told by a `group` inbox entry (left);
    /// `None` when there is no such group.
    async fn dismiss(&self, id: &str) -> Result<Option<Vec<Notice>>>;

    /// Store messages of groups in order, each under the next seq of its group, with one
    /// result each. Idempotent on (`from`, `client_msg_id`). The group's newest seq moves,
    /// and the sender's read mark with it; nothing is written per other member.
    async fn append_group(&self, msgs: Vec<NewGroupMessage>) -> Vec<Result<GroupStored>>;
    /// The entries of group `id`'s stream with seq after `after`, oldest first, at most
    /// `limit`.
    async fn group_entries(&self, id: &str, after: u64, limit: u32) -> Result<Vec<GroupEntry>>;
    /// Messages of group `id` with seq below `before` (newest first), at most `limit`, as
    /// member `user` sees them: from after they joined, without what they deleted.
    async fn group_history(
        &self,
        id: &str,
        user: &str,
        before: u64,
        limit: u32,
    ) -> Result<Vec<WireMessage>>;
    /// Message `seq` of group `id`, if stored.
    async fn group_message(&self, id: &str, seq: u64) -> Result<Option<WireMessage>>;
    /// Recall message `seq` of group `id` on behalf of `by` at `time`: mark it recalled and
    /// append the recall to the group's stream. `None` when there is no such message or it
    /// was recalled already.
    async fn revoke_group(
        &self,
        id: &str,
        seq: u64,
        by: &str,
        time: u64,
    ) -> Result<Option<GroupEntry>>;
    /// Mark group `id` read by member `user` up to `seq` (0 or past the newest: up to the
    /// newest); a mark never moves back. When it moves, a `read` entry tells the user's
    /// devices.
    async fn mark_group_read(&self, id: &str, user: &str, seq: u64) -> Result<ReadMark>;
    /// The group conversations of `user` (every group they are a member of, except broadcast
    /// rooms), with last message and unread count.
    async fn group_conversations(&self, user: &str) -> Result<Vec<GroupConv>>;
}

/// The key of group `id`'s message stream in the message tables.
pub fn group_key(id: &str) -> String {
    format!("{GROUP_KEY_PREFIX}{id}")
}

/// What every group key starts with (6 bytes: in SQL the id is `substr(conv_key, 7)`).
pub(crate) const GROUP_KEY_PREFIX: &str = "group\n";

/// Message rows of the message tables (`messages.kind`).
pub(crate) const ROW_MESSAGE: i64 = 0;
/// A recall in a group's stream: `target` names the recalled seq.
pub(crate) const ROW_REVOKE: i64 = 1;
