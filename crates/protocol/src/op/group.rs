//! Groups: create, dismiss, join, leave, invite and remove members, change profiles and
//! memberships, decide requests and invitations, and read profiles, members and memberships.
//! The bodies are the API's own JSON objects (`CreateGroupParam`, `GroupBaseInfo`,
//! `GetGroupInfoResult`, `GroupPendencyResult` ...).

use opentim_model::group::{
    CreateGroupParam, CreateGroupResult, GetGroupInfoResult, GroupAttributes, GroupBaseInfo,
    GroupDeleteMemberParam, GroupDeleteMemberResult, GroupGetMemberInfoListParam,
    GroupGetMemberInfoListResult, GroupGetOnlineMemberCountResult, GroupHandlePendencyParam,
    GroupInviteMemberParam, GroupInviteMemberResult, GroupModifyInfoParam,
    GroupModifyMemberInfoParam, GroupPendencyOption, GroupPendencyResult,
};
use serde::{Deserialize, Serialize};

use super::{Empty, Op};

/// Create a group owned by the caller.
pub struct CreateGroup;

impl Op for CreateGroup {
    const NAME: &'static str = "group.create";
    const SERVES: &'static [&'static str] = &["TIMGroupCreate"];
    type Request = CreateGroupParam;
    type Response = CreateGroupResult;
}

/// One group, by id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRequest {
    pub group_id: String,
}

/// Dismiss a group.
pub struct DismissGroup;

impl Op for DismissGroup {
    const NAME: &'static str = "group.dismiss";
    const SERVES: &'static [&'static str] = &["TIMGroupDelete"];
    type Request = GroupRequest;
    type Response = Empty;
}

/// Leave a group.
pub struct QuitGroup;

impl Op for QuitGroup {
    const NAME: &'static str = "group.quit";
    const SERVES: &'static [&'static str] = &["TIMGroupQuit"];
    type Request = GroupRequest;
    type Response = Empty;
}

/// The groups the caller is a member of.
pub struct JoinedGroups;

impl Op for JoinedGroups {
    const NAME: &'static str = "group.joined";
    const SERVES: &'static [&'static str] = &["TIMGroupGetJoinedGroupList"];
    type Request = Empty;
    type Response = JoinedGroupsResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinedGroupsResponse {
    pub groups: Vec<GroupBaseInfo>,
}

/// The profiles of some groups.
pub struct GroupInfo;

impl Op for GroupInfo {
    const NAME: &'static str = "group.info";
    const SERVES: &'static [&'static str] = &["TIMGroupGetGroupInfoList"];
    type Request = GroupInfoRequest;
    type Response = GroupInfoResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupInfoRequest {
    pub group_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupInfoResponse {
    pub results: Vec<GetGroupInfoResult>,
}

/// Add users to a group at once.
pub struct InviteMembers;

impl Op for InviteMembers {
    const NAME: &'static str = "group.invite";
    const SERVES: &'static [&'static str] = &["TIMGroupInviteMember"];
    type Request = GroupInviteMemberParam;
    type Response = InviteResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InviteResponse {
    pub results: Vec<GroupInviteMemberResult>,
}

/// Remove members from a group.
pub struct KickMembers;

impl Op for KickMembers {
    const NAME: &'static str = "group.kick";
    const SERVES: &'static [&'static str] = &["TIMGroupDeleteMember"];
    type Request = GroupDeleteMemberParam;
    type Response = KickResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KickResponse {
    pub results: Vec<GroupDeleteMemberResult>,
}

/// Members of a group.
pub struct GroupMembers;

impl Op for GroupMembers {
    const NAME: &'static str = "group.members";
    const SERVES: &'static [&'static str] = &["TIMGroupGetMemberInfoList"];
    type Request = GroupGetMemberInfoListParam;
    type Response = GroupGetMemberInfoListResult;
}

/// Where each of the caller's groups stands: sent by a client at every connection, before it
/// relies on live group events. From then on the session gets the live entries of each group
/// (until the connection ends); what came before is fetched with [`GroupSync`].
pub struct GroupHeads;

impl Op for GroupHeads {
    const NAME: &'static str = "group.heads";
    const SERVES: &'static [&'static str] = &["TIMRecvNewMsgCallback (group messages)"];
    type Request = Empty;
    type Response = GroupHeadsResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupHeadsResponse {
    pub groups: Vec<GroupHead>,
}

/// One group of [`GroupHeads`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupHead {
    pub group_id: String,
    /// The seq of the group's newest entry.
    pub seq: u64,
    /// The caller's entries start after this seq (where they joined).
    pub join_seq: u64,
    /// The caller has read the group up to this seq.
    pub read_seq: u64,
}

/// Entries of a group's stream after a seq, oldest first. The session also gets the group's
/// live entries from now on.
pub struct GroupSync;

impl Op for GroupSync {
    const NAME: &'static str = "group.sync";
    const SERVES: &'static [&'static str] = &["TIMRecvNewMsgCallback (group messages)"];
    type Request = GroupSyncRequest;
    type Response = GroupSyncResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSyncRequest {
    pub group_id: String,
    pub after: u64,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSyncResponse {
    pub entries: Vec<crate::GroupEntry>,
    /// More entries follow the last one.
    pub more: bool,
}

/// Join a group, or ask to.
pub struct JoinGroup;

impl Op for JoinGroup {
    const NAME: &'static str = "group.join";
    const SERVES: &'static [&'static str] = &["TIMGroupJoin"];
    type Request = JoinGroupRequest;
    type Response = JoinGroupResponse;
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JoinGroupResponse {
    /// The caller entered a broadcast room (AVChatRoom) with this connection only, without
    /// becoming a member: a client enters again after it reconnects.
    #[serde(default)]
    pub session_only: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinGroupRequest {
    pub group_id: String,
    /// Why the caller asks (shown to whoever decides).
    #[serde(default)]
    pub hello_msg: String,
}

/// Change a group's profile, or hand it to another member.
pub struct ModifyGroup;

impl Op for ModifyGroup {
    const NAME: &'static str = "group.modify";
    const SERVES: &'static [&'static str] = &["TIMGroupModifyGroupInfo"];
    type Request = GroupModifyInfoParam;
    type Response = Empty;
}

/// Change one membership.
pub struct ModifyMember;

impl Op for ModifyMember {
    const NAME: &'static str = "group.modify_member";
    const SERVES: &'static [&'static str] = &["TIMGroupModifyMemberInfo"];
    type Request = GroupModifyMemberInfoParam;
    type Response = Empty;
}

/// The requests and invitations the caller decides.
pub struct Pendencies;

impl Op for Pendencies {
    const NAME: &'static str = "group.pendencies";
    const SERVES: &'static [&'static str] = &["TIMGroupGetPendencyList"];
    type Request = GroupPendencyOption;
    type Response = GroupPendencyResult;
}

/// Mark the caller's requests and invitations seen up to a time.
pub struct PendenciesRead;

impl Op for PendenciesRead {
    const NAME: &'static str = "group.pendencies_read";
    const SERVES: &'static [&'static str] = &["TIMGroupReportPendencyReaded"];
    type Request = PendenciesReadRequest;
    type Response = Empty;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendenciesReadRequest {
    /// Seconds (milliseconds are accepted too).
    pub time_stamp: u64,
}

/// Accept or refuse a request or invitation.
pub struct HandlePendency;

impl Op for HandlePendency {
    const NAME: &'static str = "group.handle";
    const SERVES: &'static [&'static str] = &["TIMGroupHandlePendency"];
    type Request = GroupHandlePendencyParam;
    type Response = Empty;
}

/// Change a group's attributes: replace the set, set keys, or delete keys.
pub struct ChangeGroupAttributes;

impl Op for ChangeGroupAttributes {
    const NAME: &'static str = "group.attributes.change";
    const SERVES: &'static [&'static str] = &[
        "TIMGroupInitGroupAttributes",
        "TIMGroupSetGroupAttributes",
        "TIMGroupDeleteGroupAttributes",
    ];
    type Request = AttributesChange;
    type Response = Empty;
}

/// How [`ChangeGroupAttributes`] changes the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributesMode {
    /// The attributes given become the whole set.
    Init,
    /// The attributes given are added or overwritten.
    Set,
    /// The keys given are removed.
    Delete,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributesChange {
    pub group_id: String,
    pub mode: AttributesMode,
    #[serde(default)]
    pub attributes: Vec<GroupAttributes>,
    #[serde(default)]
    pub keys: Vec<String>,
}

/// Read a group's attributes (those named, or all).
pub struct GetGroupAttributes;

impl Op for GetGroupAttributes {
    const NAME: &'static str = "group.attributes.get";
    const SERVES: &'static [&'static str] = &["TIMGroupGetGroupAttributes"];
    type Request = AttributesRequest;
    type Response = AttributesResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributesRequest {
    pub group_id: String,
    /// The keys to read; empty: all.
    #[serde(default)]
    pub keys: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributesResponse {
    pub attributes: Vec<GroupAttributes>,
}

/// How many members of a broadcast room are online.
pub struct OnlineMemberCount;

impl Op for OnlineMemberCount {
    const NAME: &'static str = "group.online_count";
    const SERVES: &'static [&'static str] = &["TIMGroupGetOnlineMemberCount"];
    type Request = GroupRequest;
    type Response = GroupGetOnlineMemberCountResult;
}

/// Report that the caller read group messages that asked for read receipts.
pub struct SendGroupReceipts;

impl Op for SendGroupReceipts {
    const NAME: &'static str = "group.receipts.send";
    const SERVES: &'static [&'static str] = &["TIMMsgSendGroupMessageReceipts"];
    type Request = ReceiptsRequest;
    type Response = Empty;
}

/// Messages of one group, by seq.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptsRequest {
    pub group_id: String,
    pub seqs: Vec<u64>,
}

/// The read and unread counts of group messages.
pub struct GetGroupReceipts;

impl Op for GetGroupReceipts {
    const NAME: &'static str = "group.receipts.get";
    const SERVES: &'static [&'static str] = &["TIMMsgGetGroupMessageReceipts"];
    type Request = ReceiptsRequest;
    type Response = ReceiptsResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptsResponse {
    pub receipts: Vec<crate::GroupReceipt>,
}

/// A page of the members who read (or have not read) a group message.
pub struct GroupReceiptMembers;

impl Op for GroupReceiptMembers {
    const NAME: &'static str = "group.receipts.members";
    const SERVES: &'static [&'static str] = &["TIMMsgGetGroupMessageReadMembers"];
    type Request = ReceiptMembersRequest;
    type Response = ReceiptMembersResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptMembersRequest {
    pub group_id: String,
    pub seq: u64,
    /// Those who read it (true) or those who have not.
    pub read: bool,
    /// Where the page starts (0 first, then the answer's `next`).
    pub next: u64,
    pub count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptMembersResponse {
    pub members: Vec<opentim_model::group::GroupMemberInfo>,
    pub next: u64,
    /// This is the last page.
    pub finished: bool,
}
