//! Relationships: friends, friend requests, friend groups and blacklists. The bodies are the
//! API's own JSON objects where it has them (`FriendResult`, `FriendProfile`, the call
//! parameters).

use opentim_model::friend::{
    FriendAddPendencyInfo, FriendInfoGetResult, FriendResponse, FriendshipAddFriendParam,
    FriendshipCheckFriendTypeParam, FriendshipCheckFriendTypeResult,
    FriendshipCreateFriendGroupParam, FriendshipDeleteFriendParam, FriendshipDeletePendencyParam,
    FriendshipModifyFriendGroupParam, FriendshipModifyFriendProfileParam,
};
use opentim_model::profile::{FriendProfile, FriendResult};
use serde::{Deserialize, Serialize};

use super::{Empty, Op};

/// Users of a batch request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsersRequest {
    pub users: Vec<String>,
}

/// One result per user asked, in the order asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultsResponse {
    pub results: Vec<FriendResult>,
}

/// Block users.
pub struct Block;

impl Op for Block {
    const NAME: &'static str = "friend.block";
    const SERVES: &'static [&'static str] = &["TIMFriendshipAddToBlackList"];
    type Request = UsersRequest;
    type Response = ResultsResponse;
}

/// Unblock users.
pub struct Unblock;

impl Op for Unblock {
    const NAME: &'static str = "friend.unblock";
    const SERVES: &'static [&'static str] = &["TIMFriendshipDeleteFromBlackList"];
    type Request = UsersRequest;
    type Response = ResultsResponse;
}

/// Add a friend (or ask to): the target's add permission decides. One `FriendResult`; 30539
/// when the request waits for the target's answer.
pub struct AddFriend;

impl Op for AddFriend {
    const NAME: &'static str = "friend.add";
    const SERVES: &'static [&'static str] = &["TIMFriendshipAddFriend"];
    type Request = FriendshipAddFriendParam;
    type Response = FriendResult;
}

/// Answer a friend request.
pub struct AnswerRequest;

impl Op for AnswerRequest {
    const NAME: &'static str = "friend.answer";
    const SERVES: &'static [&'static str] = &["TIMFriendshipHandleFriendAddRequest"];
    type Request = FriendResponse;
    type Response = FriendResult;
}

/// Delete friends, one-way or two-way.
pub struct DeleteFriends;

impl Op for DeleteFriends {
    const NAME: &'static str = "friend.delete";
    const SERVES: &'static [&'static str] = &["TIMFriendshipDeleteFriend"];
    type Request = FriendshipDeleteFriendParam;
    type Response = ResultsResponse;
}

/// Change the caller's remark, groups or custom fields of one friend.
pub struct ModifyFriend;

impl Op for ModifyFriend {
    const NAME: &'static str = "friend.modify";
    const SERVES: &'static [&'static str] = &["TIMFriendshipModifyFriendProfile"];
    type Request = FriendshipModifyFriendProfileParam;
    type Response = Empty;
}

/// The relation between the caller and each user named.
pub struct CheckFriends;

impl Op for CheckFriends {
    const NAME: &'static str = "friend.check";
    const SERVES: &'static [&'static str] = &["TIMFriendshipCheckFriendType"];
    type Request = FriendshipCheckFriendTypeParam;
    type Response = CheckResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResponse {
    pub results: Vec<FriendshipCheckFriendTypeResult>,
}

/// Friend data and relation of the users named.
pub struct FriendsInfo;

impl Op for FriendsInfo {
    const NAME: &'static str = "friend.info";
    const SERVES: &'static [&'static str] = &["TIMFriendshipGetFriendsInfo"];
    type Request = UsersRequest;
    type Response = InfoResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InfoResponse {
    pub infos: Vec<FriendInfoGetResult>,
}

/// Create friend groups, putting friends in them.
pub struct CreateFriendGroups;

impl Op for CreateFriendGroups {
    const NAME: &'static str = "friend.group.create";
    const SERVES: &'static [&'static str] = &["TIMFriendshipCreateFriendGroup"];
    type Request = FriendshipCreateFriendGroupParam;
    type Response = ResultsResponse;
}

/// Rename a friend group, or move friends in or out of it.
pub struct ModifyFriendGroup;

impl Op for ModifyFriendGroup {
    const NAME: &'static str = "friend.group.modify";
    const SERVES: &'static [&'static str] = &["TIMFriendshipModifyFriendGroup"];
    type Request = FriendshipModifyFriendGroupParam;
    type Response = ResultsResponse;
}

/// Delete friend groups (the friends stay).
pub struct DeleteFriendGroups;

impl Op for DeleteFriendGroups {
    const NAME: &'static str = "friend.group.delete";
    const SERVES: &'static [&'static str] = &["TIMFriendshipDeleteFriendGroup"];
    type Request = NamesRequest;
    type Response = Empty;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamesRequest {
    pub names: Vec<String>,
}

/// Delete friend requests of one direction (or both) with the users named.
pub struct DeleteRequests;

impl Op for DeleteRequests {
    const NAME: &'static str = "friend.requests.delete";
    const SERVES: &'static [&'static str] = &["TIMFriendshipDeletePendency"];
    type Request = FriendshipDeletePendencyParam;
    type Response = ResultsResponse;
}

/// Mark incoming friend requests up to `time` (Unix seconds; 0: now) read.
pub struct RequestsRead;

impl Op for RequestsRead {
    const NAME: &'static str = "friend.requests.read";
    const SERVES: &'static [&'static str] = &["TIMFriendshipReportPendencyReaded"];
    type Request = ReadRequest;
    type Response = Empty;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadRequest {
    pub time: u64,
}

/// What changed in the caller's friends, friend groups, requests and blacklist after the
/// version the device holds (0: everything). The SDK keeps the lists and serves the list
/// calls (friend list, friend groups, requests, blacklist, search) from them.
pub struct RelationSync;

impl Op for RelationSync {
    const NAME: &'static str = "friend.sync";
    const SERVES: &'static [&'static str] = &[
        "TIMFriendshipGetFriendProfileList",
        "TIMFriendshipGetFriendGroupList",
        "TIMFriendshipGetPendencyList",
        "TIMFriendshipSearchFriends",
        "TIMFriendshipGetBlackList",
    ];
    type Request = SyncRequest;
    type Response = SyncResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub since: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// The version the device holds after applying this.
    pub version: u64,
    /// Up to when incoming requests were read.
    pub read_time: u64,
    /// Friends added or changed (with their user profiles).
    pub friends: Vec<FriendProfile>,
    /// Users blocked since.
    pub blocked: Vec<FriendProfile>,
    /// Requests added or changed, each with its direction.
    pub requests: Vec<FriendAddPendencyInfo>,
    /// Friend groups created since.
    pub groups: Vec<String>,
    /// What was removed since.
    pub gone: Vec<Gone>,
}

/// A removed entry of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gone {
    pub list: GoneList,
    /// The user (or, for a group, its name).
    pub id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoneList {
    Friend,
    Blocked,
    RequestIn,
    RequestOut,
    Group,
}
