//! Relationships: blacklists. The bodies are the API's own JSON objects (`FriendResult`,
//! `FriendProfile`).

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

/// The caller's blacklist.
pub struct Blacklist;

impl Op for Blacklist {
    const NAME: &'static str = "friend.blacklist";
    const SERVES: &'static [&'static str] = &["TIMFriendshipGetBlackList"];
    type Request = Empty;
    type Response = BlacklistResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlacklistResponse {
    pub blocked: Vec<FriendProfile>,
}
