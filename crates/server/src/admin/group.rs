//! `group_open_http_svc` (and `group_open_attr_http_svc/get_group_attr`): groups run by the
//! app administrator, who has the owner's rights in every group.

use opentim_model::codes;
use opentim_model::enums::{
    ConvType, GroupAddOption, GroupMemberRole, GroupReceiveMessageOpt, GroupType,
};
use opentim_model::group::{
    CreateGroupParam, GroupAttributes, GroupDeleteMemberParam, GroupInfoCustomString,
    GroupInviteMemberParam, GroupMemberInfo, GroupMemberInfoCustomString, GroupModifyInfoParam,
    GroupModifyMemberInfoParam,
};
use opentim_model::ids::UserId;
use opentim_model::message::Message;
use opentim_protocol::op::conv::{MarkReadRequest, RevokeRequest};
use opentim_protocol::op::group::{AttributesChange, AttributesMode, AttributesRequest};
use opentim_protocol::op::send::SendRequest;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{array, fields, refusal, text, to_elems, Call, Handled};
use crate::clock::now_secs;
use crate::error::Refusal;
use crate::store::{GroupRow, MemberRow};

const BAD: i32 = codes::ERR_SVR_GROUP_INVALID_PARAMETERS;

/// REST group type names, old and new, and the type each is.
const TYPES: &[(&str, GroupType)] = &[
    ("Public", GroupType::PUBLIC),
    ("Private", GroupType::PRIVATE),
    ("Work", GroupType::PRIVATE),
    ("ChatRoom", GroupType::CHAT_ROOM),
    ("Meeting", GroupType::CHAT_ROOM),
    ("BChatRoom", GroupType::B_CHAT_ROOM),
    ("AVChatRoom", GroupType::AV_CHAT_ROOM),
];

const APPLY_OPTIONS: &[(&str, GroupAddOption)] = &[
    ("FreeAccess", GroupAddOption::ANY),
    ("NeedPermission", GroupAddOption::AUTH),
    ("DisableApply", GroupAddOption::FORBID),
];

fn group_type(name: &str) -> Result<GroupType, Refusal> {
    TYPES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).ok_or_else(|| {
        Refusal::new(
            BAD,
            format!("Type {name:?} is none of Public, Private (Work), ChatRoom (Meeting), AVChatRoom"),
        )
    })
}

fn type_name(t: GroupType) -> &'static str {
    t.name().unwrap_or("Public")
}

fn apply_option(name: &str) -> Result<GroupAddOption, Refusal> {
    APPLY_OPTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, o)| *o)
        .ok_or_else(|| {
            Refusal::new(
                BAD,
                format!(
                    "ApplyJoinOption {name:?} is none of FreeAccess, NeedPermission, DisableApply"
                ),
            )
        })
}

fn option_name(o: GroupAddOption) -> &'static str {
    APPLY_OPTIONS
        .iter()
        .find(|(_, v)| *v == o)
        .map_or("FreeAccess", |(n, _)| n)
}

fn role_name(r: GroupMemberRole) -> &'static str {
    match r {
        GroupMemberRole::OWNER => "Owner",
        GroupMemberRole::ADMIN => "Admin",
        _ => "Member",
    }
}

fn msg_flag_name(flag: i64) -> &'static str {
    match GroupReceiveMessageOpt(flag) {
        GroupReceiveMessageOpt::NOT_RECEIVE => "Discard",
        GroupReceiveMessageOpt::RECEIVE_NOT_NOTIFY => "AcceptNotNotify",
        _ => "AcceptAndNotify",
    }
}

/// A lenient unsigned integer field (absent or not one: `None`).
fn uint(b: &Value, key: &str) -> Option<u64> {
    super::uint(b, key).ok().flatten()
}

fn group_id(call: &Call<'_>) -> Result<String, Refusal> {
    text(&call.body, "GroupId")
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Refusal::new(BAD, "GroupId is required"))
}

fn no_group(id: &str) -> Refusal {
    Refusal::new(
        codes::ERR_SVR_GROUP_NOT_FOUND,
        format!("there is no group {id:?}"),
    )
}

/// The group the request names (10010 when there is none), with all its members.
async fn group(call: &Call<'_>) -> Result<(GroupRow, Vec<MemberRow>), Refusal> {
    let id = group_id(call)?;
    let services = &call.gw().services;
    let found = services.group.view(&id).await.map_err(refusal)?;
    found.ok_or_else(|| no_group(&id))
}

/// The group the request names (10010 when there is none), without its members.
async fn group_row(call: &Call<'_>) -> Result<GroupRow, Refusal> {
    let id = group_id(call)?;
    let found = call.gw().services.group.row(&id).await.map_err(refusal)?;
    found.ok_or_else(|| no_group(&id))
}

/// The strings under `key` (group requests refuse others with 10004).
fn strings(b: &Value, key: &str) -> Result<Vec<String>, Refusal> {
    super::strings(b, key, BAD)
}

/// `[{Key, Value}]` custom fields.
fn custom(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            Some((
                text(kv, "Key")?.to_owned(),
                text(kv, "Value").unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

fn custom_json(stored: &str) -> Value {
    let list: Vec<GroupInfoCustomString> = serde_json::from_str(stored).unwrap_or_default();
    Value::Array(
        list.into_iter()
            .map(|c| json!({ "Key": c.key.unwrap_or_default(), "Value": c.value.unwrap_or_default() }))
            .collect(),
    )
}

fn member_custom_json(stored: &str) -> Value {
    let list: Vec<GroupMemberInfoCustomString> = serde_json::from_str(stored).unwrap_or_default();
    Value::Array(
        list.into_iter()
            .map(|c| json!({ "Key": c.key.unwrap_or_default(), "Value": c.value.unwrap_or_default() }))
            .collect(),
    )
}

fn member_json(m: &MemberRow) -> Value {
    json!({
        "Member_Account": m.user,
        "Role": role_name(m.role),
        "JoinTime": m.join_time,
        "MsgSeq": m.read_seq,
        "MsgFlag": msg_flag_name(m.msg_flag),
        "LastSendMsgTime": 0,
        "ShutUpUntil": m.shutup_until,
        "NameCard": m.name_card,
        "AppMemberDefinedData": member_custom_json(&m.custom),
    })
}

fn group_json(call: &Call<'_>, g: &GroupRow, members: &[MemberRow]) -> Value {
    json!({
        "GroupId": g.id,
        "ErrorCode": 0,
        "ErrorInfo": "",
        "Type": type_name(g.group_type),
        "Name": g.name,
        "Appid": call.gw().config.sdkappid,
        "Introduction": g.introduction,
        "Notification": g.notification,
        "FaceUrl": g.face_url,
        "Owner_Account": g.owner,
        "CreateTime": g.created,
        "InfoSeq": g.info_seq,
        "LastInfoTime": g.last_info_time,
        "LastMsgTime": g.last_msg_time,
        "NextMsgSeq": g.last_seq + 1,
        "MemberNum": g.member_count,
        "MaxMemberNum": g.max_members,
        "ApplyJoinOption": option_name(g.add_option),
        "ShutUpAllMember": if g.shutup_all { "On" } else { "Off" },
        "AppDefinedData": custom_json(&g.custom),
        "MemberList": members.iter().map(member_json).collect::<Vec<_>>(),
    })
}

/// `get_appid_group_list`: the app's groups in pages (`Limit`, default and at most 10000;
/// `Next` from the previous answer), of `GroupType` when given.
pub async fn list(call: &Call<'_>) -> Handled {
    let b = &call.body;
    let limit = uint(b, "Limit").unwrap_or(10_000).clamp(1, 10_000) as u32;
    let after = text(b, "Next").unwrap_or("");
    let t = text(b, "GroupType").map(group_type).transpose()?;
    let (ids, total) = call
        .gw()
        .services
        .group
        .list(after, limit, t)
        .await
        .map_err(refusal)?;
    let next = if ids.len() as u32 == limit {
        ids.last().cloned().unwrap_or_default()
    } else {
        String::new()
    };
    Ok(fields([
        ("TotalCount", json!(total)),
        (
            "GroupIdList",
            Value::Array(ids.iter().map(|g| json!({ "GroupId": g })).collect()),
        ),
        ("Next", json!(next)),
    ]))
}

/// `create_group` (and `import_group`): the owner is `Owner_Account`, else the
/// administrator.
pub async fn create(call: &Call<'_>) -> Handled {
    let b = &call.body;
    let owner = match text(b, "Owner_Account").filter(|o| !o.is_empty()) {
        Some(o) => call.user(o, BAD, "Owner_Account")?,
        None => call.caller.clone(),
    };
    let t = group_type(text(b, "Type").unwrap_or("Public"))?;
    let mut members = Vec::new();
    for m in b
        .get("MemberList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let who = text(m, "Member_Account").unwrap_or_default();
        let role = match text(m, "Role") {
            Some("Admin") => GroupMemberRole::ADMIN,
            _ => GroupMemberRole::NORMAL,
        };
        members.push(GroupMemberInfo {
            identifier: Some(who.to_owned()),
            member_role: Some(role),
            ..Default::default()
        });
    }
    let param = CreateGroupParam {
        group_name: text(b, "Name").map(str::to_owned),
        group_id: text(b, "GroupId").map(str::to_owned),
        group_type: Some(t),
        group_member_array: Some(members),
        notification: text(b, "Notification").map(str::to_owned),
        introduction: text(b, "Introduction").map(str::to_owned),
        face_url: text(b, "FaceUrl").map(str::to_owned),
        add_option: text(b, "ApplyJoinOption").map(apply_option).transpose()?,
        max_member_num: uint(b, "MaxMemberCount").map(|n| n as u32),
        custom_info: Some(
            custom(b.get("AppDefinedData"))
                .into_iter()
                .map(|(k, v)| GroupInfoCustomString {
                    key: Some(k),
                    value: Some(v),
                })
                .collect(),
        ),
    };
    let services = &call.gw().services;
    services.account.register(&owner).await.map_err(refusal)?;
    let created = services
        .group
        .create(&owner, param)
        .await
        .map_err(refusal)?;
    Ok(fields([(
        "GroupId",
        json!(created.group_id.unwrap_or_default()),
    )]))
}

/// `get_group_info`: each group asked, with its members; one that does not exist gets 10010
/// in its entry.
pub async fn info(call: &Call<'_>) -> Handled {
    let ids = strings(&call.body, "GroupIdList")?;
    let max = call.gw().config.max_groups_per_info_request;
    if ids.is_empty() || ids.len() > max {
        return Err(Refusal::new(
            BAD,
            format!(
                "GroupIdList holds {}; 1 to {max} are taken (max_groups_per_info_request)",
                ids.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for id in ids {
        match call.gw().services.group.view(&id).await.map_err(refusal)? {
            Some((g, members)) => out.push(group_json(call, &g, &members)),
            None => out.push(json!({
                "GroupId": id,
                "ErrorCode": codes::ERR_SVR_GROUP_NOT_FOUND,
                "ErrorInfo": "there is no such group (or it was dismissed)",
            })),
        }
    }
    Ok(fields([("GroupInfo", Value::Array(out))]))
}

/// `get_group_member_info`: members from `Offset` (at most `Limit`), of the roles in
/// `MemberRoleFilter` when given.
pub async fn members(call: &Call<'_>) -> Handled {
    let (g, members) = group(call).await?;
    let b = &call.body;
    let roles = b
        .get("MemberRoleFilter")
        .map(|_| strings(b, "MemberRoleFilter"))
        .transpose()?;
    let kept: Vec<&MemberRow> = members
        .iter()
        .filter(|m| {
            roles
                .as_ref()
                .is_none_or(|r| r.iter().any(|r| r == role_name(m.role)))
        })
        .collect();
    let offset = uint(b, "Offset").unwrap_or(0) as usize;
    let limit = uint(b, "Limit").map_or(usize::MAX, |l| l as usize);
    let page: Vec<Value> = kept
        .iter()
        .skip(offset)
        .take(limit)
        .map(|m| member_json(m))
        .collect();
    Ok(fields([
        ("MemberNum", json!(g.member_count)),
        ("MemberList", Value::Array(page)),
    ]))
}

/// `modify_group_base_info`: the fields given of the group's profile.
pub async fn modify(call: &Call<'_>) -> Handled {
    let b = &call.body;
    let mut p = GroupModifyInfoParam {
        group_id: Some(group_id(call)?),
        ..Default::default()
    };
    let mut flag = 0i64;
    let mut set = |bit: i64| flag |= bit;
    if let Some(n) = text(b, "Name") {
        p.group_name = Some(n.to_owned());
        set(0x1);
    }
    if let Some(n) = text(b, "Notification") {
        p.notification = Some(n.to_owned());
        set(0x2);
    }
    if let Some(n) = text(b, "Introduction") {
        p.introduction = Some(n.to_owned());
        set(0x4);
    }
    if let Some(n) = text(b, "FaceUrl") {
        p.face_url = Some(n.to_owned());
        set(0x8);
    }
    if let Some(o) = text(b, "ApplyJoinOption") {
        p.add_option = Some(apply_option(o)?);
        set(0x10);
    }
    if let Some(n) = uint(b, "MaxMemberNum") {
        p.max_member_num = Some(n as u32);
        set(0x20);
    }
    if let Some(s) = text(b, "ShutUpAllMember") {
        p.is_shutup_all = Some(match s {
            "On" => true,
            "Off" => false,
            other => {
                return Err(Refusal::new(
                    BAD,
                    format!("ShutUpAllMember is On or Off, not {other:?}"),
                ))
            }
        });
        set(0x100);
    }
    if b.get("AppDefinedData").is_some() {
        p.custom_info = Some(
            custom(b.get("AppDefinedData"))
                .into_iter()
                .map(|(k, v)| GroupInfoCustomString {
                    key: Some(k),
                    value: Some(v),
                })
                .collect(),
        );
        set(0x200);
    }
    if flag == 0 {
        return Err(Refusal::new(BAD, "nothing to change: give Name, Notification, Introduction, FaceUrl, ApplyJoinOption, MaxMemberNum, ShutUpAllMember or AppDefinedData"));
    }
    p.modify_flag = Some(flag);
    call.gw()
        .services
        .group
        .modify_info(&call.caller, p)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// `change_group_owner`: hand the group to `NewOwner_Account`, a member.
pub async fn change_owner(call: &Call<'_>) -> Handled {
    let new = text(&call.body, "NewOwner_Account").unwrap_or_default();
    let p = GroupModifyInfoParam {
        group_id: Some(group_id(call)?),
        modify_flag: Some(0x8000_0000),
        owner: Some(new.to_owned()),
        ..Default::default()
    };
    call.gw()
        .services
        .group
        .modify_info(&call.caller, p)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// `add_group_member`: `Result` 1 added, 2 a member already, 3 invited (the group asks
/// first), 0 not added.
pub async fn add_members(call: &Call<'_>) -> Handled {
    let users: Vec<String> = array(&call.body, "MemberList")
        .iter()
        .filter_map(|m| text(m, "Member_Account").map(str::to_owned))
        .collect();
    let p = GroupInviteMemberParam {
        group_id: Some(group_id(call)?),
        identifier_array: Some(users),
        ..Default::default()
    };
    let results = call
        .gw()
        .services
        .group
        .invite(&call.caller, p)
        .await
        .map_err(refusal)?;
    let list: Vec<Value> = results
        .into_iter()
        .map(|r| json!({ "Member_Account": r.identifier.unwrap_or_default(), "Result": r.result.map_or(0, |x| x.0) }))
        .collect();
    Ok(fields([("MemberList", Value::Array(list))]))
}

/// `delete_group_member`: remove `MemberToDel_Account`.
pub async fn delete_members(call: &Call<'_>) -> Handled {
    let p = GroupDeleteMemberParam {
        group_id: Some(group_id(call)?),
        identifier_array: Some(strings(&call.body, "MemberToDel_Account")?),
        user_data: text(&call.body, "Reason").map(str::to_owned),
    };
    call.gw()
        .services
        .group
        .kick(&call.caller, p)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// `modify_group_member_info`: a member's role, mute, name card, custom fields (as the
/// administrator) and message option (as the member).
pub async fn modify_member(call: &Call<'_>) -> Handled {
    let b = &call.body;
    let id = group_id(call)?;
    let who = text(b, "Member_Account").unwrap_or_default().to_owned();
    let mut p = GroupModifyMemberInfoParam {
        group_id: Some(id.clone()),
        identifier: Some(who.clone()),
        ..Default::default()
    };
    let mut flag = 0i64;
    if let Some(r) = text(b, "Role") {
        p.member_role = Some(match r {
            "Admin" => GroupMemberRole::ADMIN,
            "Member" => GroupMemberRole::NORMAL,
            other => {
                return Err(Refusal::new(
                    BAD,
                    format!("Role is Admin or Member, not {other:?}"),
                ))
            }
        });
        flag |= 0x2;
    }
    if let Some(t) = uint(b, "ShutUpTime") {
        p.shutup_time = Some(t.min(u64::from(u32::MAX)) as u32);
        flag |= 0x4;
    }
    if let Some(n) = text(b, "NameCard") {
        p.name_card = Some(n.to_owned());
        flag |= 0x8;
    }
    if b.get("AppMemberDefinedData").is_some() {
        p.custom_info = Some(
            custom(b.get("AppMemberDefinedData"))
                .into_iter()
                .map(|(k, v)| GroupMemberInfoCustomString::new(k, v))
                .collect(),
        );
        flag |= 0x10;
    }
    let group = &call.gw().services.group;
    if let Some(f) = text(b, "MsgFlag") {
        let opt = match f {
            "AcceptAndNotify" => GroupReceiveMessageOpt::RECEIVE_AND_NOTIFY,
            "AcceptNotNotify" => GroupReceiveMessageOpt::RECEIVE_NOT_NOTIFY,
            "Discard" => GroupReceiveMessageOpt::NOT_RECEIVE,
            other => {
                return Err(Refusal::new(
                    BAD,
                    format!(
                        "MsgFlag is AcceptAndNotify, AcceptNotNotify or Discard, not {other:?}"
                    ),
                ))
            }
        };
        // A member's message option is theirs: set on their behalf.
        let member = call.user(&who, BAD, "Member_Account")?;
        let own = GroupModifyMemberInfoParam {
            group_id: Some(id),
            identifier: Some(who.clone()),
            modify_flag: Some(0x1),
            msg_flag: Some(opt),
            ..Default::default()
        };
        group.modify_member(&member, own).await.map_err(refusal)?;
    } else if flag == 0 {
        return Err(Refusal::new(
            BAD,
            "nothing to change: give Role, MsgFlag, NameCard, AppMemberDefinedData or ShutUpTime",
        ));
    }
    if flag != 0 {
        p.modify_flag = Some(flag);
        group
            .modify_member(&call.caller, p)
            .await
            .map_err(refusal)?;
    }
    Ok(fields([]))
}

/// `destroy_group`.
pub async fn destroy(call: &Call<'_>) -> Handled {
    let id = group_id(call)?;
    call.gw()
        .services
        .group
        .dismiss(&call.caller, &id)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// `get_joined_group_list`: the groups `Member_Account` is in.
pub async fn joined(call: &Call<'_>) -> Handled {
    let who = text(&call.body, "Member_Account").unwrap_or_default();
    let user = call.user(who, BAD, "Member_Account")?;
    let t = text(&call.body, "GroupType").map(group_type).transpose()?;
    let list = call
        .gw()
        .services
        .group
        .joined(&user)
        .await
        .map_err(refusal)?;
    let items: Vec<Value> = list
        .into_iter()
        .filter(|g| t.is_none_or(|t| g.group_type == Some(t)))
        .map(|g| {
            json!({
                "GroupId": g.group_id.unwrap_or_default(),
                "Name": g.group_name.unwrap_or_default(),
                "Type": type_name(g.group_type.unwrap_or(GroupType::PUBLIC)),
                "FaceUrl": g.face_url.unwrap_or_default(),
            })
        })
        .collect();
    Ok(fields([
        ("TotalCount", json!(items.len())),
        ("GroupIdList", Value::Array(items)),
    ]))
}

/// `get_role_in_group`: Owner, Admin, Member or NotMember for each of `User_Account`.
pub async fn roles(call: &Call<'_>) -> Handled {
    let g = group_row(call).await?;
    let users = strings(&call.body, "User_Account")?;
    let mut list = Vec::with_capacity(users.len());
    for u in users {
        let member = call
            .gw()
            .services
            .group
            .membership(&g.id, &u)
            .await
            .map_err(refusal)?;
        let role = member.map_or("NotMember", |m| role_name(m.role));
        list.push(json!({ "Member_Account": u, "Role": role }));
    }
    Ok(fields([("UserIdList", Value::Array(list))]))
}

/// `forbid_send_msg`: mute `Members_Account` for `MuteTime` seconds (0: unmute).
pub async fn mute(call: &Call<'_>) -> Handled {
    let id = group_id(call)?;
    let users = strings(&call.body, "Members_Account")?;
    let secs = uint(&call.body, "MuteTime")
        .ok_or_else(|| Refusal::new(BAD, "MuteTime is required (seconds; 0 unmutes)"))?;
    for u in users {
        let p = GroupModifyMemberInfoParam {
            group_id: Some(id.clone()),
            identifier: Some(u),
            modify_flag: Some(0x4),
            shutup_time: Some(secs.min(u64::from(u32::MAX)) as u32),
            ..Default::default()
        };
        call.gw()
            .services
            .group
            .modify_member(&call.caller, p)
            .await
            .map_err(refusal)?;
    }
    Ok(fields([]))
}

/// `get_group_shutted_uin`: the members muted now, and until when.
pub async fn muted(call: &Call<'_>) -> Handled {
    let (g, members) = group(call).await?;
    let now = now_secs();
    let list: Vec<Value> = members
        .iter()
        .filter(|m| m.shutup_until > now)
        .map(|m| json!({ "Member_Account": m.user, "ShuttedUntil": m.shutup_until }))
        .collect();
    Ok(fields([
        ("GroupId", json!(g.id)),
        ("ShuttedUinList", Value::Array(list)),
    ]))
}

/// A client message id for an administrator's group send: a repeat of the same request
/// (group, random, second) stores nothing new.
fn client_id(group: &str, from: &str, rand: u64, time: u64) -> String {
    let digest = Sha256::digest(format!("{group}\n{from}\n{rand}\n{time}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("rest:{hex}")
}

fn message_of(b: &Value) -> Result<Message, Refusal> {
    Ok(Message {
        elem_array: to_elems(b.get("MsgBody"))?,
        cloud_custom_str: text(b, "CloudCustomData").map(str::to_owned),
        is_online_msg: (uint(b, "OnlineOnlyFlag") == Some(1)).then_some(true),
        ..Message::default()
    })
}

/// `send_group_msg`: from `From_Account` (a member) or the administrator; `MsgSeq` and
/// `MsgTime`.
pub async fn send(call: &Call<'_>) -> Handled {
    let b = &call.body;
    let id = group_id(call)?;
    if b.get("To_Account").is_some() {
        return Err(Refusal::new(BAD, "messages to some members only (To_Account) are not supported by this server; send to the whole group"));
    }
    let from = match text(b, "From_Account").filter(|f| !f.is_empty()) {
        Some(f) => call.user(f, BAD, "From_Account")?,
        None => call.caller.clone(),
    };
    let rand =
        uint(b, "Random").ok_or_else(|| Refusal::new(BAD, "Random must be an unsigned integer"))?;
    let req = SendRequest {
        client_msg_id: client_id(&id, from.as_str(), rand, now_secs()),
        conv_id: id,
        conv_type: ConvType::GROUP,
        rand,
        message: message_of(b)?,
    };
    let (mut results, fanout) = call
        .gw()
        .services
        .message
        .send_batch(&from, None, vec![req])
        .await;
    fanout.run().await;
    let sent = results
        .pop()
        .unwrap_or_else(|| {
            Err(crate::error::Error::refused(
                codes::ERR_SVR_GROUP_INTERNAL_ERROR,
                "nothing stored",
            ))
        })
        .map_err(refusal)?;
    Ok(fields([
        ("MsgTime", json!(sent.message.server_time)),
        ("MsgSeq", json!(sent.message.seq)),
    ]))
}

/// `send_group_system_notification`: a notice to `ToMembers_Account` (all members when
/// absent).
pub async fn notify(call: &Call<'_>) -> Handled {
    let g = group_row(call).await?;
    let to = match call.body.get("ToMembers_Account") {
        Some(_) => strings(&call.body, "ToMembers_Account")?,
        None => Vec::new(),
    };
    let content = text(&call.body, "Content").unwrap_or_default();
    call.gw()
        .services
        .group
        .notify_members(&g, to, content)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// `group_msg_recall`: each of `MsgSeqList`, with its own `RetCode`.
pub async fn recall(call: &Call<'_>) -> Handled {
    let id = group_id(call)?;
    let seqs: Vec<u64> = array(&call.body, "MsgSeqList")
        .iter()
        .filter_map(|s| uint(s, "MsgSeq"))
        .collect();
    let mut out = Vec::new();
    for seq in seqs {
        let req = RevokeRequest {
            conv_id: id.clone(),
            conv_type: ConvType::GROUP,
            seq,
        };
        let code = match call
            .gw()
            .services
            .conversation
            .revoke(&call.caller, req)
            .await
        {
            Ok(_) => 0,
            Err(e) => refusal(e).code,
        };
        out.push(json!({ "MsgSeq": seq, "RetCode": code }));
    }
    Ok(fields([("RecallRetList", Value::Array(out))]))
}

/// `import_group_msg`: messages of the old system, stored at their `SendTime` and pushed to
/// nobody; `Result` 0 imported, 1 imported before, 2 refused.
pub async fn import_messages(call: &Call<'_>) -> Handled {
    let g = group_row(call).await?;
    let list = array(&call.body, "MsgList").to_vec();
    let mut out = Vec::new();
    for m in list {
        let from = call.user(
            text(&m, "From_Account").unwrap_or_default(),
            BAD,
            "From_Account",
        )?;
        let time = uint(&m, "SendTime").unwrap_or_else(now_secs);
        let rand = uint(&m, "Random").unwrap_or_else(|| rand::random::<u32>().into());
        let req = SendRequest {
            client_msg_id: client_id(&g.id, from.as_str(), rand, time),
            conv_id: g.id.clone(),
            conv_type: ConvType::GROUP,
            rand,
            message: message_of(&m)?,
        };
        match call
            .gw()
            .services
            .message
            .import_group(&g.id, &from, req, time)
            .await
        {
            Ok(w) => out.push(json!({ "MsgSeq": w.seq, "MsgTime": w.server_time, "Result": 0 })),
            Err(e) => out.push(
                json!({ "MsgSeq": 0, "MsgTime": time, "Result": 2, "ErrorInfo": refusal(e).desc }),
            ),
        }
    }
    Ok(fields([("ImportMsgResult", Value::Array(out))]))
}

/// `import_group_member`: members with their role and join time; `Result` 1 added,
/// 2 a member already, 0 not added.
pub async fn import_members(call: &Call<'_>) -> Handled {
    let g = group_row(call).await?;
    let list = array(&call.body, "MemberList").to_vec();
    let mut out = Vec::new();
    for m in list {
        let who = text(&m, "Member_Account").unwrap_or_default().to_owned();
        let role = match text(&m, "Role") {
            Some("Admin") => GroupMemberRole::ADMIN,
            _ => GroupMemberRole::NORMAL,
        };
        let time = uint(&m, "JoinTime").unwrap_or_else(now_secs);
        let result = match UserId::parse(&who, call.gw().config.max_user_id_bytes) {
            Err(_) => 0,
            Ok(_) => {
                let added = call
                    .gw()
                    .services
                    .group
                    .import_members(&g, vec![who.clone()], role, time)
                    .await
                    .map_err(refusal)?;
                if !added.added.is_empty() {
                    1
                } else if !added.already.is_empty() {
                    2
                } else {
                    0
                }
            }
        };
        out.push(json!({ "Member_Account": who, "Result": result }));
    }
    Ok(fields([("MemberList", Value::Array(out))]))
}

/// `set_unread_msg_num`: a member's unread count, lowered by reading up to the seq that
/// leaves `UnreadMsgNum` unread (a read mark never moves back).
pub async fn set_unread(call: &Call<'_>) -> Handled {
    let g = group_row(call).await?;
    let who = text(&call.body, "Member_Account").unwrap_or_default();
    let user = call.user(who, BAD, "Member_Account")?;
    let n = uint(&call.body, "UnreadMsgNum")
        .ok_or_else(|| Refusal::new(BAD, "UnreadMsgNum is required"))?;
    let services = &call.gw().services;
    let m = services
        .group
        .membership(&g.id, who)
        .await
        .map_err(refusal)?;
    let m = m.ok_or_else(|| Refusal::new(BAD, format!("{who} is not a member of {}", g.id)))?;
    let seq = g.last_seq.saturating_sub(n).max(m.join_seq);
    if seq < m.read_seq {
        return Err(Refusal::new(
            BAD,
            format!("{who} has fewer unread messages already; a read mark never moves back"),
        ));
    }
    let req = MarkReadRequest {
        conv_id: g.id.clone(),
        conv_type: ConvType::GROUP,
        seq: seq.max(1),
    };
    call.gw()
        .services
        .conversation
        .mark_read(&user, req)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// The group's messages as its owner sees them, newest first, below `before`, at most `n`.
async fn messages(
    call: &Call<'_>,
    g: &GroupRow,
    before: u64,
    n: u32,
) -> Result<Vec<opentim_protocol::WireMessage>, Refusal> {
    call.gw()
        .services
        .group
        .messages(g, before, n)
        .await
        .map_err(refusal)
}

/// `delete_group_msg_by_sender`: recall every message `Sender_Account` sent to the group.
pub async fn delete_by_sender(call: &Call<'_>) -> Handled {
    let g = group_row(call).await?;
    let sender = text(&call.body, "Sender_Account")
        .unwrap_or_default()
        .to_owned();
    let page = call.gw().config.max_history_page;
    let mut before = u64::MAX;
    loop {
        let list = messages(call, &g, before, page).await?;
        for m in list.iter().filter(|m| m.from == sender) {
            let req = RevokeRequest {
                conv_id: g.id.clone(),
                conv_type: ConvType::GROUP,
                seq: m.seq,
            };
            call.gw()
                .services
                .conversation
                .revoke(&call.caller, req)
                .await
                .map_err(refusal)?;
        }
        match list.last() {
            Some(last) if list.len() as u32 == page => before = last.seq,
            _ => break,
        }
    }
    Ok(fields([]))
}

/// `group_msg_get_simple`: up to `ReqMsgNumber` messages at and below `ReqMsgSeq` (newest
/// first); recalled ones only with `WithRecalledMsg` 1.
pub async fn history(call: &Call<'_>) -> Handled {
    let g = group_row(call).await?;
    let b = &call.body;
    let n = uint(b, "ReqMsgNumber")
        .unwrap_or(20)
        .clamp(1, u64::from(call.gw().config.max_history_page)) as u32;
    let before = uint(b, "ReqMsgSeq").map_or(u64::MAX, |s| s.saturating_add(1));
    let with_recalled = uint(b, "WithRecalledMsg") == Some(1);
    let list = messages(call, &g, before, n).await?;
    let finished = (list.len() as u32) < n || list.last().is_some_and(|m| m.seq <= 1);
    let items: Vec<Value> = list
        .iter()
        .filter(|m| {
            with_recalled || m.message.status != Some(opentim_model::enums::MsgStatus::REVOKED)
        })
        .map(|m| {
            json!({
                "From_Account": m.from,
                "IsPlaceMsg": 0,
                "MsgBody": super::from_elems(&m.message.elem_array),
                "MsgPriority": 1,
                "MsgRandom": m.rand,
                "MsgSeq": m.seq,
                "MsgTimeStamp": m.server_time,
            })
        })
        .collect();
    Ok(fields([
        ("GroupId", json!(g.id)),
        ("IsFinished", json!(u8::from(finished))),
        ("RspMsgList", Value::Array(items)),
    ]))
}

/// `get_online_member_num`: sessions following the group on every node.
pub async fn online(call: &Call<'_>) -> Handled {
    let id = group_id(call)?;
    let n = call
        .gw()
        .services
        .group
        .online_count(&call.caller, None, &id)
        .await
        .map_err(refusal)?;
    Ok(fields([("OnlineMemberNum", json!(n))]))
}

/// `modify_group_attr` (set the keys given) and `clear_group_attr` (remove them all).
pub async fn set_attributes(call: &Call<'_>, clear: bool) -> Handled {
    let id = group_id(call)?;
    let change = match clear {
        true => AttributesChange {
            group_id: id,
            mode: AttributesMode::Init,
            attributes: Vec::new(),
            keys: Vec::new(),
        },
        false => {
            let attrs: Vec<(String, String)> = array(&call.body, "GroupAttr")
                .iter()
                .filter_map(|kv| {
                    Some((
                        text(kv, "key")?.to_owned(),
                        text(kv, "value").unwrap_or("").to_owned(),
                    ))
                })
                .collect();
            if attrs.is_empty() {
                return Err(Refusal::new(BAD, "GroupAttr holds no {key, value}"));
            }
            AttributesChange {
                group_id: id,
                mode: AttributesMode::Set,
                attributes: attrs
                    .into_iter()
                    .map(|(k, v)| GroupAttributes {
                        key: Some(k),
                        value: Some(v),
                    })
                    .collect(),
                keys: Vec::new(),
            }
        }
    };
    call.gw()
        .services
        .group
        .change_attributes(&call.caller, None, change)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

/// `get_group_attr`: every attribute of the group.
pub async fn attributes(call: &Call<'_>) -> Handled {
    let id = group_id(call)?;
    let req = AttributesRequest {
        group_id: id,
        keys: Vec::new(),
    };
    let list = call
        .gw()
        .services
        .group
        .attributes(&call.caller, None, req)
        .await
        .map_err(refusal)?;
    let items: Vec<Value> = list
        .into_iter()
        .map(|a| json!({ "key": a.key.unwrap_or_default(), "value": a.value.unwrap_or_default() }))
        .collect();
    let mut out = Map::new();
    out.insert("GroupAttrAry".into(), Value::Array(items));
    Ok(out)
}
