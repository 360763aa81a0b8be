//! `openim`: messages sent, imported, read, recalled and counted as the app administrator, and
//! who is online.

use opentim_model::codes;
use opentim_model::enums::{ConvType, MsgStatus, Platform};
use opentim_model::ids::UserId;
use opentim_model::message::Message;
use opentim_protocol::op::conv::MarkReadRequest;
use opentim_protocol::op::send::SendRequest;
use opentim_protocol::WireMessage;
use serde_json::{json, Map, Value};

use super::{
    fields, from_elems, msg_key, parse_msg_key, refusal, text, to_elems, uint, Call, Handled,
};
use crate::clock::now_secs;
use crate::error::Refusal;

fn need_uint(b: &Value, key: &str, code: i32) -> Result<u64, Refusal> {
    uint(b, key)
        .ok()
        .flatten()
        .ok_or_else(|| Refusal::new(code, format!("{key} must be an unsigned integer")))
}

fn opt_uint(b: &Value, key: &str, code: i32) -> Result<Option<u64>, Refusal> {
    uint(b, key).map_err(|()| Refusal::new(code, format!("{key} must be an unsigned integer")))
}

/// The first of `keys` present, as a user id.
fn account(call: &Call<'_>, keys: &[&str], code: i32) -> Result<UserId, Refusal> {
    let id = keys
        .iter()
        .find_map(|k| text(&call.body, k))
        .ok_or_else(|| Refusal::new(code, format!("{} must be a user id", keys.join(" or "))))?;
    call.user(id, code, keys[0])
}

/// The sender: `From_Account`, else the administrator calling.
fn sender(call: &Call<'_>) -> Result<UserId, Refusal> {
    match text(&call.body, "From_Account").filter(|s| !s.is_empty()) {
        Some(id) => call.user(id, codes::ERR_SVR_MSG_INVALID_JSON_FORMAT, "From_Account"),
        None => Ok(call.caller.clone()),
    }
}

/// A list of user ids; ids that are not valid are returned apart.
fn accounts(call: &Call<'_>, key: &str, max: usize, code: i32) -> Result<Vec<String>, Refusal> {
    let list = super::strings(&call.body, key, codes::ERR_SVR_MSG_INVALID_TO_ACCOUNT)?;
    if list.is_empty() || list.len() > max {
        return Err(Refusal::new(
            code,
            format!("{key} holds {} accounts; 1 to {max} are taken", list.len()),
        ));
    }
    Ok(list)
}

/// What every send carries: the message and its random, and how it is synced.
struct Content {
    message: Message,
    rand: u64,
    /// `SyncOtherMachine` 1 (default): the sender's devices get it too; 2: they do not.
    sync_sender: bool,
    /// Unix seconds: `MsgTimeStamp`, else now.
    time: u64,
}

fn content(call: &Call<'_>) -> Result<Content, Refusal> {
    let b = &call.body;
    let elems = to_elems(b.get("MsgBody"))?;
    let rand = need_uint(b, "MsgRandom", codes::ERR_SVR_MSG_INVALID_RAND)?;
    if rand > u64::from(u32::MAX) {
        return Err(Refusal::new(
            codes::ERR_SVR_MSG_INVALID_RAND,
            "MsgRandom must be a 32-bit unsigned integer",
        ));
    }
    let sync_sender = match opt_uint(
        b,
        "SyncOtherMachine",
        codes::ERR_SVR_MSG_INVALID_SYNCOTHERMACHINE,
    )? {
        None | Some(1) => true,
        Some(2) => false,
        Some(other) => {
            return Err(Refusal::new(
                codes::ERR_SVR_MSG_INVALID_SYNCOTHERMACHINE,
                format!(
                "SyncOtherMachine is 1 (sync to the sender's devices) or 2 (do not), not {other}"
            ),
            ))
        }
    };
    let life = opt_uint(b, "MsgLifeTime", codes::ERR_SVR_MSG_INVALID_MSGLIFETIME)?;
    let time =
        opt_uint(b, "MsgTimeStamp", codes::ERR_SVR_MSG_INVALID_TIMESTAMP)?.unwrap_or_else(now_secs);
    let message = Message {
        elem_array: elems,
        cloud_custom_str: text(b, "CloudCustomData").map(str::to_owned),
        // A lifetime of 0: delivered to whoever is online now, never stored.
        is_online_msg: (life == Some(0)).then_some(true),
        ..Message::default()
    };
    Ok(Content {
        message,
        rand,
        sync_sender,
        time,
    })
}

/// The request of one C2C send. The client message id makes a repeated request (same
/// receiver, random and second) store nothing new, as the hosted service deduplicates.
fn request(to: &UserId, c: &Content) -> SendRequest {
    SendRequest {
        client_msg_id: format!("rest:{to}:{}:{}", c.rand, c.time),
        conv_id: to.as_str().to_owned(),
        conv_type: ConvType::C2C,
        rand: c.rand,
        message: c.message.clone(),
    }
}

/// A send's refusal as REST reports it: a receiver that does not exist is 90012 here.
fn send_refusal(e: crate::error::Error) -> Refusal {
    let mut r = refusal(e);
    if r.code == codes::ERR_SVR_MSG_INVALID_ID {
        r.code = codes::ERR_SVR_MSG_TO_ACCOUNT_NOT_FOUND;
    }
    r
}

fn key_of(m: &WireMessage) -> String {
    msg_key(m.seq, m.rand, m.server_time)
}

/// `sendmsg` (and `importmsg`, which stores at `MsgTimeStamp`, marked imported, and pushes to
/// nobody): `MsgTime` and `MsgKey`.
pub async fn sendmsg(call: &Call<'_>, import: bool) -> Handled {
    let to = account(call, &["To_Account"], codes::ERR_SVR_MSG_INVALID_TO_ACCOUNT)?;
    let from = sender(call)?;
    let c = content(call)?;
    let services = &call.gw().services;
    let stored = if import {
        let time = need_uint(
            &call.body,
            "MsgTimeStamp",
            codes::ERR_SVR_MSG_INVALID_TIMESTAMP,
        )?;
        let old = opt_uint(
            &call.body,
            "SyncFromOldSystem",
            codes::ERR_SVR_MSG_INVALID_JSON_FORMAT,
        )?;
        if !matches!(old, None | Some(1) | Some(2)) {
            return Err(Refusal::new(
                codes::ERR_SVR_MSG_INVALID_JSON_FORMAT,
                "SyncFromOldSystem is 1 (a message of the old system) or 2 (history)",
            ));
        }
        services
            .message
            .import(&from, request(&to, &c), time)
            .await
            .map_err(send_refusal)?
    } else {
        let (mut results, mut fanout) = services
            .message
            .send_batch(&from, None, vec![request(&to, &c)])
            .await;
        if !c.sync_sender {
            fanout.skip_user(&from);
        }
        fanout.run().await;
        results
            .pop()
            .unwrap_or_else(|| {
                Err(crate::error::Error::refused(
                    codes::ERR_SVR_MSG_INTERNAL_ERROR4,
                    "nothing stored",
                ))
            })
            .map_err(send_refusal)?
    };
    Ok(fields([
        ("MsgTime", json!(stored.message.server_time)),
        ("MsgKey", json!(key_of(&stored.message))),
    ]))
}

/// `batchsendmsg`: one message to each of `To_Account` (at most `max_batch_recipients`),
/// stored together. `MsgKey` names the first recipient's copy (`admin_msgwithdraw` finds each
/// copy by it); `ErrorList` holds the recipients that were refused.
pub async fn batchsendmsg(call: &Call<'_>) -> Handled {
    let max = call.gw().config.max_batch_recipients;
    let ids = accounts(
        call,
        "To_Account",
        max,
        codes::ERR_SVR_MSG_TO_ACCOUNT_COUNT_LIMIT,
    )?;
    let from = sender(call)?;
    let c = content(call)?;
    let mut errors = Vec::new();
    let mut reqs = Vec::new();
    let mut sent_to = Vec::new();
    for id in ids {
        match call.user(&id, codes::ERR_SVR_MSG_INVALID_TO_ACCOUNT, "To_Account") {
            Ok(to) => {
                reqs.push(request(&to, &c));
                sent_to.push(id);
            }
            Err(r) => errors.push(json!({ "To_Account": id, "ErrorCode": r.code })),
        }
    }
    let (results, mut fanout) = call
        .gw()
        .services
        .message
        .send_batch(&from, None, reqs)
        .await;
    if !c.sync_sender {
        fanout.skip_user(&from);
    }
    fanout.run().await;
    let mut key = None;
    for (id, r) in sent_to.into_iter().zip(results) {
        match r {
            Ok(s) => {
                key.get_or_insert_with(|| (key_of(&s.message), s.message.server_time));
            }
            Err(e) => errors.push(json!({ "To_Account": id, "ErrorCode": send_refusal(e).code })),
        }
    }
    let (key, time) = key.unwrap_or_else(|| (String::new(), c.time));
    let mut out = fields([("MsgKey", json!(key)), ("MsgTime", json!(time))]);
    if !errors.is_empty() {
        out.insert("ErrorList".into(), Value::Array(errors));
    }
    Ok(out)
}

/// The message from `from` to `to` that `key` names: by its seq, else (a batch send's key, or
/// a key from before) by its random and time among the conversation's messages of that second.
async fn find(
    call: &Call<'_>,
    from: &UserId,
    to: &UserId,
    key: &str,
) -> Result<Option<WireMessage>, Refusal> {
    let (seq, rand, time) = parse_msg_key(key).ok_or_else(|| {
        Refusal::new(
            codes::ERR_SVR_MSG_INVALID_JSON_FORMAT,
            format!("MsgKey {key:?} is not <seq>_<random>_<time>"),
        )
    })?;
    let conv = &call.gw().services.conversation;
    let page = call.gw().config.max_history_page;
    let same = |m: &WireMessage| m.rand == rand && m.server_time == time && m.from == from.as_str();
    let mut before = seq.saturating_add(1);
    let mut first = true;
    loop {
        let list = conv
            .c2c_page(from, to, before, if first { 1 } else { page })
            .await
            .map_err(refusal)?;
        if let Some(m) = list.iter().find(|m| same(m)) {
            return Ok(Some(m.clone()));
        }
        if first {
            // Not at its seq: search from the newest message down to that second.
            first = false;
            before = u64::MAX;
            continue;
        }
        match list.last() {
            Some(last) if last.server_time >= time && list.len() as u32 == page => {
                before = last.seq
            }
            _ => return Ok(None),
        }
    }
}

/// `admin_msgwithdraw`: recall a C2C message by its `MsgKey`, at any time.
pub async fn withdraw(call: &Call<'_>) -> Handled {
    let from = account(
        call,
        &["From_Account"],
        codes::ERR_SVR_MSG_INVALID_JSON_FORMAT,
    )?;
    let to = account(call, &["To_Account"], codes::ERR_SVR_MSG_INVALID_TO_ACCOUNT)?;
    let key = text(&call.body, "MsgKey").unwrap_or("");
    let Some(m) = find(call, &from, &to, key).await? else {
        return Err(Refusal::new(
            codes::ERR_INVALID_PARAMETERS,
            format!("no message from {from} to {to} has MsgKey {key:?}"),
        ));
    };
    call.gw()
        .services
        .conversation
        .revoke_as_admin(&from, &to, m.seq)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// `admin_getroammsg`: the messages of a C2C conversation as `Operator_Account` sees them,
/// newest first, between `MinTime` and `MaxTime`, at most `MaxCnt` (and `max_history_page`)
/// a page; the next page starts below `LastMsgKey`. Recalled messages stay, flagged 2.
pub async fn roam(call: &Call<'_>) -> Handled {
    const BAD: i32 = codes::ERR_SVR_MSG_INVALID_JSON_FORMAT;
    let op = account(call, &["Operator_Account", "From_Account"], BAD)?;
    let peer = account(call, &["Peer_Account", "To_Account"], BAD)?;
    let b = &call.body;
    let page = call.gw().config.max_history_page;
    let max = opt_uint(b, "MaxCnt", BAD)?
        .unwrap_or(u64::from(page))
        .clamp(1, u64::from(page)) as usize;
    let min_time = opt_uint(b, "MinTime", BAD)?.unwrap_or(0);
    let max_time = opt_uint(b, "MaxTime", BAD)?.unwrap_or(u64::MAX);
    let mut before = match text(b, "LastMsgKey").filter(|k| !k.is_empty()) {
        Some(k) => {
            parse_msg_key(k)
                .ok_or_else(|| {
                    Refusal::new(
                        BAD,
                        format!("LastMsgKey {k:?} is not <seq>_<random>_<time>"),
                    )
                })?
                .0
        }
        None => u64::MAX,
    };
    let conv = &call.gw().services.conversation;
    let mut found: Vec<WireMessage> = Vec::new();
    let mut complete = true;
    'pages: loop {
        let list = conv
            .c2c_page(&op, &peer, before, page)
            .await
            .map_err(refusal)?;
        for m in &list {
            if m.server_time > max_time {
                continue;
            }
            if m.server_time < min_time {
                break 'pages;
            }
            if found.len() == max {
                complete = false;
                break 'pages;
            }
            found.push(m.clone());
        }
        match list.last() {
            Some(last) if list.len() as u32 == page => before = last.seq,
            _ => break,
        }
    }
    let rows = conv.c2c_rows(&op).await.map_err(refusal)?;
    let (read_seq, peer_read_seq) = rows
        .iter()
        .find(|r| r.peer == peer.as_str())
        .map_or((0, 0), |r| (r.read_seq, r.peer_read_seq));
    let items: Vec<Value> = found
        .iter()
        .map(|m| {
            let read = if m.from == op.as_str() {
                peer_read_seq
            } else {
                read_seq
            };
            let recalled = m.message.status == Some(MsgStatus::REVOKED);
            json!({
                "From_Account": m.from,
                "To_Account": m.to,
                "MsgSeq": m.seq,
                "MsgRandom": m.rand,
                "MsgTimeStamp": m.server_time,
                "MsgFlagBits": if recalled { 2 } else { 0 },
                "IsPeerRead": u8::from(m.seq <= read),
                "MsgKey": key_of(m),
                "MsgBody": from_elems(&m.message.elem_array),
                "CloudCustomData": m.message.cloud_custom_str.clone().unwrap_or_default(),
            })
        })
        .collect();
    let last = found.last();
    Ok(fields([
        ("Complete", json!(u8::from(complete))),
        ("MsgCnt", json!(items.len())),
        ("LastMsgTime", json!(last.map_or(0, |m| m.server_time))),
        ("LastMsgKey", json!(last.map(key_of).unwrap_or_default())),
        ("MsgList", Value::Array(items)),
    ]))
}

/// `admin_set_msg_read`: `Report_Account` has read every message `Peer_Account` sent them.
pub async fn set_read(call: &Call<'_>) -> Handled {
    const BAD: i32 = codes::ERR_SVR_MSG_INVALID_JSON_FORMAT;
    let reader = account(call, &["Report_Account"], BAD)?;
    let peer = account(call, &["Peer_Account"], BAD)?;
    let req = MarkReadRequest {
        conv_id: peer.as_str().to_owned(),
        conv_type: ConvType::C2C,
        seq: 0,
    };
    call.gw()
        .services
        .conversation
        .mark_read(&reader, req)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// `get_c2c_unread_msg_num`: `To_Account`'s unread C2C messages, in all and (with
/// `Peer_Account`) from each peer asked about.
pub async fn unread(call: &Call<'_>) -> Handled {
    let user = account(call, &["To_Account"], codes::ERR_SVR_MSG_INVALID_TO_ACCOUNT)?;
    let rows = call
        .gw()
        .services
        .conversation
        .c2c_rows(&user)
        .await
        .map_err(refusal)?;
    let per_peer: Vec<(String, u64)> = rows.into_iter().map(|r| (r.peer, r.unread)).collect();
    let total: u64 = per_peer.iter().map(|(_, n)| n).sum();
    let mut out = fields([
        ("To_Account", json!(user.as_str())),
        ("AllC2CUnreadMsgNum", json!(total)),
    ]);
    if let Some(peers) = call.body.get("Peer_Account").and_then(Value::as_array) {
        let list: Vec<Value> = peers
            .iter()
            .filter_map(Value::as_str)
            .map(|p| {
                let n = per_peer.iter().find(|(q, _)| q == p).map_or(0, |(_, n)| *n);
                json!({ "Peer_Account": p, "C2CUnreadMsgNum": n })
            })
            .collect();
        out.insert("C2CUnreadMsgNumList".into(), Value::Array(list));
    }
    Ok(out)
}

/// The hosted service's name of a platform in online-state details.
fn platform_name(p: i64) -> &'static str {
    match Platform(p) {
        Platform::WINDOWS => "PC",
        Platform::ANDROID => "Android",
        Platform::IOS => "iPhone",
        Platform::MAC => "Mac",
        Platform::SIMULATOR => "Simulator",
        _ => "Other",
    }
}

/// `query_online_status` (and the old `querystate`, which answers in `State`): whether each
/// of `To_Account` has a session on any node, with the platform of each when `IsNeedDetail`
/// is 1. Accounts that do not exist are in `ErrorList` (70107).
pub async fn online_status(call: &Call<'_>, old: bool) -> Handled {
    let max = call.gw().config.max_online_status_accounts;
    let ids = accounts(
        call,
        "To_Account",
        max,
        codes::ERR_SVR_MSG_TO_ACCOUNT_COUNT_LIMIT,
    )?;
    let detail = matches!(uint(&call.body, "IsNeedDetail"), Ok(Some(1)));
    let account = &call.gw().services.account;
    let mut errors = Vec::new();
    let mut users = Vec::new();
    for id in &ids {
        match call.user(id, codes::ERR_SVR_MSG_INVALID_TO_ACCOUNT, "To_Account") {
            Ok(u) => users.push(u),
            Err(r) => errors.push(json!({ "To_Account": id, "ErrorCode": r.code })),
        }
    }
    let states = account.check(&users).await.map_err(refusal)?;
    let known: Vec<UserId> = users
        .into_iter()
        .zip(states)
        .filter_map(|(u, s)| match s {
            crate::service::account::AccountState::Imported => Some(u),
            crate::service::account::AccountState::NotImported => {
                errors.push(json!({ "To_Account": u.as_str(), "ErrorCode": codes::ERR_SVR_ACCOUNT_NOT_FOUND }));
                None
            }
        })
        .collect();
    let platforms = account.platforms(&known).await;
    let results: Vec<Value> = known
        .iter()
        .zip(platforms)
        .map(|(u, ps)| {
            let status = if ps.is_empty() { "Offline" } else { "Online" };
            let mut item = Map::new();
            item.insert("To_Account".into(), u.as_str().into());
            item.insert(if old { "State" } else { "Status" }.into(), status.into());
            if detail && !ps.is_empty() {
                let d: Vec<Value> = ps
                    .iter()
                    .map(|p| json!({ "Platform": platform_name(*p), "Status": "Online" }))
                    .collect();
                item.insert("Detail".into(), Value::Array(d));
            }
            Value::Object(item)
        })
        .collect();
    let mut out = fields([("QueryResult", Value::Array(results))]);
    if !errors.is_empty() {
        out.insert("ErrorList".into(), Value::Array(errors));
    }
    Ok(out)
}
