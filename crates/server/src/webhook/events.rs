//! The callback commands and the bodies they carry (the fields besides `CallbackCommand` and
//! `EventTime`), with the hosted service's field names.

use opentim_model::enums::GroupType;
use opentim_model::message::Message;
use serde_json::{json, Map, Value};

use crate::admin::{from_elems, msg_key};

pub const C2C_BEFORE_SEND: &str = "C2C.CallbackBeforeSendMsg";
pub const C2C_AFTER_SEND: &str = "C2C.CallbackAfterSendMsg";
pub const GROUP_BEFORE_SEND: &str = "Group.CallbackBeforeSendMsg";
pub const GROUP_AFTER_SEND: &str = "Group.CallbackAfterSendMsg";
pub const STATE_CHANGE: &str = "State.StateChange";
pub const GROUP_AFTER_CREATE: &str = "Group.CallbackAfterCreateGroup";
pub const GROUP_AFTER_JOIN: &str = "Group.CallbackAfterNewMemberJoin";
pub const GROUP_AFTER_EXIT: &str = "Group.CallbackAfterMemberExit";
pub const FRIEND_ADD: &str = "Sns.CallbackFriendAdd";
pub const FRIEND_DELETE: &str = "Sns.CallbackFriendDelete";

/// Every command the server calls.
pub const COMMANDS: &[&str] = &[
    C2C_BEFORE_SEND,
    C2C_AFTER_SEND,
    GROUP_BEFORE_SEND,
    GROUP_AFTER_SEND,
    STATE_CHANGE,
    GROUP_AFTER_CREATE,
    GROUP_AFTER_JOIN,
    GROUP_AFTER_EXIT,
    FRIEND_ADD,
    FRIEND_DELETE,
];

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A C2C message: before it is stored `seq` is 0 (no seq yet) and `MsgKey` says so too.
pub fn c2c_message(
    from: &str,
    to: &str,
    seq: u64,
    rand: u64,
    time: u64,
    m: &Message,
) -> Map<String, Value> {
    object(json!({
        "From_Account": from,
        "To_Account": to,
        "MsgSeq": seq,
        "MsgRandom": rand,
        "MsgTime": time,
        "MsgKey": msg_key(seq, rand, time),
        "OnlineOnlyFlag": u8::from(m.is_online_msg == Some(true)),
        "MsgBody": from_elems(&m.elem_array),
        "CloudCustomData": m.cloud_custom_str.clone().unwrap_or_default(),
    }))
}

/// A C2C message after it was stored.
pub fn c2c_sent(m: &opentim_protocol::WireMessage) -> Map<String, Value> {
    let mut out = c2c_message(&m.from, &m.to, m.seq, m.rand, m.server_time, &m.message);
    out.insert("SendMsgResult".into(), 0.into());
    out.insert("ErrorInfo".into(), "send msg succeed".into());
    out
}

/// The hosted service's name of a group type.
pub fn group_type_name(t: GroupType) -> &'static str {
    t.name().unwrap_or("Public")
}

/// A group message; `seq` and `time` once stored (`None` before).
pub fn group_message(
    group: &str,
    group_type: GroupType,
    from: &str,
    rand: u64,
    stored: Option<(u64, u64)>,
    m: &Message,
) -> Map<String, Value> {
    let mut out = object(json!({
        "GroupId": group,
        "Type": group_type_name(group_type),
        "From_Account": from,
        "Operator_Account": from,
        "Random": rand,
        "OnlineOnlyFlag": u8::from(m.is_online_msg == Some(true)),
        "MsgBody": from_elems(&m.elem_array),
        "CloudCustomData": m.cloud_custom_str.clone().unwrap_or_default(),
    }));
    if let Some((seq, time)) = stored {
        out.insert("MsgSeq".into(), seq.into());
        out.insert("MsgTime".into(), time.into());
    }
    out
}

/// A user's session came (`Login`) or went (`Logout`, `Disconnect`).
pub fn state_change(user: &str, action: &str, reason: &str) -> Map<String, Value> {
    object(json!({
        "Info": { "Action": action, "To_Account": user, "Reason": reason },
    }))
}

/// A group was created with these members.
pub fn group_created(
    group: &str,
    group_type: GroupType,
    name: &str,
    operator: &str,
    owner: &str,
    members: &[String],
) -> Map<String, Value> {
    object(json!({
        "GroupId": group,
        "Type": group_type_name(group_type),
        "Name": name,
        "Operator_Account": operator,
        "Owner_Account": owner,
        "MemberList": members.iter().map(|m| json!({ "Member_Account": m })).collect::<Vec<_>>(),
        "UserDefinedDataList": [],
    }))
}

/// Members joined a group: `join_type` is "Apply" or "Invited".
pub fn members_joined(
    group: &str,
    group_type: GroupType,
    join_type: &str,
    operator: &str,
    members: &[String],
) -> Map<String, Value> {
    object(json!({
        "GroupId": group,
        "Type": group_type_name(group_type),
        "JoinType": join_type,
        "Operator_Account": operator,
        "NewMemberList": members.iter().map(|m| json!({ "Member_Account": m })).collect::<Vec<_>>(),
    }))
}

/// Members left a group: `exit_type` is "Quit" or "Kicked".
pub fn members_left(
    group: &str,
    group_type: GroupType,
    exit_type: &str,
    operator: &str,
    members: &[String],
) -> Map<String, Value> {
    object(json!({
        "GroupId": group,
        "Type": group_type_name(group_type),
        "ExitType": exit_type,
        "Operator_Account": operator,
        "ExitMemberList": members.iter().map(|m| json!({ "Member_Account": m })).collect::<Vec<_>>(),
    }))
}

/// Friendships were made: each pair (from, to) with who started it; `client_cmd` is
/// `friend_add` or `friend_response`.
pub fn friends_added(
    pairs: &[(String, String)],
    initiator: &str,
    client_cmd: &str,
) -> Map<String, Value> {
    object(json!({
        "PairList": pairs.iter().map(|(f, t)| json!({
            "From_Account": f, "To_Account": t, "Initiator_Account": initiator,
        })).collect::<Vec<_>>(),
        "ClientCmd": client_cmd,
    }))
}

/// Friendships were ended (pairs of from, to).
pub fn friends_deleted(pairs: &[(String, String)]) -> Map<String, Value> {
    object(json!({
        "PairList": pairs.iter().map(|(f, t)| json!({ "From_Account": f, "To_Account": t })).collect::<Vec<_>>(),
        "ClientCmd": "friend_delete",
    }))
}
