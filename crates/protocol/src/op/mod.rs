//! The operations, one module each. An operation is a request type and its response type,
//! named on the wire by [`Op::NAME`]; [`OPS`] lists every name, and the server's dispatch table
//! is checked against it.

pub mod conv;
pub mod friend;
pub mod group;
pub mod history;
pub mod login;
pub mod logout;
pub mod ping;
pub mod profile;
pub mod send;
pub mod sync;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// One request/response pair of the protocol.
pub trait Op {
    /// The name in the envelope's `op`.
    const NAME: &'static str;
    /// The TIM functions this operation serves.
    const SERVES: &'static [&'static str];
    type Request: Serialize + DeserializeOwned + Send + 'static;
    type Response: Serialize + DeserializeOwned + Send + 'static;
}

/// Every operation's name.
pub const OPS: &[&str] = &[
    login::Login::NAME,
    logout::Logout::NAME,
    ping::Ping::NAME,
    send::SendMessage::NAME,
    sync::Sync::NAME,
    history::History::NAME,
    conv::ConvList::NAME,
    conv::MarkRead::NAME,
    conv::RevokeMessage::NAME,
    conv::DeleteMessages::NAME,
    conv::ClearHistory::NAME,
    conv::PinConversation::NAME,
    conv::DeleteConversation::NAME,
    conv::SetReceiveOpt::NAME,
    conv::GetReceiveOpt::NAME,
    send::PutRelay::NAME,
    send::GetRelay::NAME,
    group::CreateGroup::NAME,
    group::DismissGroup::NAME,
    group::QuitGroup::NAME,
    group::JoinedGroups::NAME,
    group::GroupInfo::NAME,
    group::InviteMembers::NAME,
    group::KickMembers::NAME,
    group::GroupMembers::NAME,
    group::GroupHeads::NAME,
    group::GroupSync::NAME,
    group::JoinGroup::NAME,
    group::ModifyGroup::NAME,
    group::ModifyMember::NAME,
    group::Pendencies::NAME,
    group::PendenciesRead::NAME,
    group::HandlePendency::NAME,
    group::ChangeGroupAttributes::NAME,
    group::GetGroupAttributes::NAME,
    group::OnlineMemberCount::NAME,
    group::SendGroupReceipts::NAME,
    group::GetGroupReceipts::NAME,
    group::GroupReceiptMembers::NAME,
    profile::GetProfiles::NAME,
    friend::Block::NAME,
    friend::Unblock::NAME,
    friend::AddFriend::NAME,
    friend::AnswerRequest::NAME,
    friend::DeleteFriends::NAME,
    friend::ModifyFriend::NAME,
    friend::CheckFriends::NAME,
    friend::FriendsInfo::NAME,
    friend::CreateFriendGroups::NAME,
    friend::ModifyFriendGroup::NAME,
    friend::DeleteFriendGroups::NAME,
    friend::DeleteRequests::NAME,
    friend::RequestsRead::NAME,
    friend::RelationSync::NAME,
    profile::ModifyProfile::NAME,
];

/// A body with nothing in it (`{}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Empty {}
