//! What the store keeps of groups: their profiles and their members.

use async_trait::async_trait;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};

use super::Result;

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
    /// Users asked for who were members already.
    pub already: Vec<String>,
    /// Users not added because the group reached `max_members`.
    pub full: Vec<String>,
}

/// Groups and their members.
#[async_trait]
pub trait GroupStore: Send + Sync + 'static {
    /// Create a group with its first members, in one transaction; false (nothing written)
    /// when the id is taken.
    async fn create_group(&self, group: NewGroup) -> Result<bool>;
    /// A group, with its member count.
    async fn group(&self, id: &str) -> Result<Option<GroupRow>>;
    /// The membership of `user` in group `id`.
    async fn member(&self, id: &str, user: &str) -> Result<Option<MemberRow>>;
    /// Every group `user` is a member of, with the membership, by group id.
    async fn joined(&self, user: &str) -> Result<Vec<(GroupRow, MemberRow)>>;
    /// Members of group `id` in user id order, from the `offset`-th, at most `limit`.
    async fn members(&self, id: &str, offset: u64, limit: u32) -> Result<Vec<MemberRow>>;
    /// Add `users` with `role`, joined at `time`, without going past the group's
    /// `max_members`, in one transaction.
    async fn add_members(
        &self,
        id: &str,
        users: Vec<String>,
        role: GroupMemberRole,
        time: u64,
    ) -> Result<Added>;
    /// Remove `users` from group `id`: the users who were members.
    async fn remove_members(&self, id: &str, users: Vec<String>) -> Result<Vec<String>>;
    /// Delete group `id` and its members; false when there is no such group.
    async fn dismiss(&self, id: &str) -> Result<bool>;
}
