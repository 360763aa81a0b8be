//! `sns`: friends, friend groups and blacklists, as the app administrator sees and changes
//! them for a user (`From_Account`).

use opentim_model::codes;
use opentim_model::enums::{FriendCheckRelation, FriendType};
use opentim_model::friend::{
    FriendshipAddFriendParam, FriendshipCreateFriendGroupParam, FriendshipDeleteFriendParam,
    FriendshipModifyFriendProfileParam,
};
use opentim_model::ids::UserId;
use opentim_model::profile::{
    FriendProfile, FriendProfileCustomStringInfo, FriendProfileItem, FriendResult,
};
use opentim_protocol::op::friend::SyncResponse;
use serde::Deserialize;
use serde_json::{json, Value};

use super::profile::{is_profile_tag, value_of};
use super::{fields, refusal, Answer, Call, Handled};
use crate::error::Refusal;

const BAD: i32 = codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS;

pub const REMARK: &str = "Tag_SNS_IM_Remark";
pub const GROUP: &str = "Tag_SNS_IM_Group";
pub const ADD_SOURCE: &str = "Tag_SNS_IM_AddSource";
pub const ADD_TIME: &str = "Tag_SNS_IM_AddTime";
pub const ADD_WORDING: &str = "Tag_SNS_IM_AddWording";
pub const CUSTOM_PREFIX: &str = "Tag_SNS_Custom_";

/// The relationship tags of a friend, in the order `friend_get` writes them.
const SNS_TAGS: &[&str] = &[GROUP, REMARK, ADD_SOURCE, ADD_WORDING, ADD_TIME];

/// The value of relationship tag `tag` of friend `f`; profile tags come from their profile.
fn value_of_friend(f: &FriendProfile, tag: &str) -> Option<Value> {
    let s = |v: &Option<String>| json!(v.clone().unwrap_or_default());
    Some(match tag {
        REMARK => s(&f.remark),
        GROUP => json!(f.group_name_array.clone().unwrap_or_default()),
        ADD_SOURCE => s(&f.add_source),
        ADD_WORDING => s(&f.add_wording),
        ADD_TIME => json!(f.add_time.unwrap_or(0)),
        custom if custom.starts_with(CUSTOM_PREFIX) => {
            let list = f.custom_string_array.as_deref().unwrap_or_default();
            json!(list
                .iter()
                .find(|c| c.key.as_deref() == Some(custom))?
                .value
                .clone()
                .unwrap_or_default())
        }
        profile if is_profile_tag(profile) => value_of(f.user_profile.as_ref()?, profile)?,
        _ => return None,
    })
}

fn owner(call: &Call<'_>) -> Result<UserId, Refusal> {
    let id = call
        .body
        .get("From_Account")
        .and_then(Value::as_str)
        .unwrap_or("");
    call.user(id, BAD, "From_Account")
}

fn users(call: &Call<'_>, key: &str) -> Result<Vec<String>, Refusal> {
    super::strings(&call.body, key, BAD)
}

/// One `ResultItem` entry of a friendship result; `Fail_Account` gets the failed ones.
fn result_item(r: &FriendResult, failed: &mut Vec<String>) -> Value {
    let code = r.code.unwrap_or(0);
    let who = r.identifier.clone().unwrap_or_default();
    if code != 0 {
        failed.push(who.clone());
    }
    let info = match code {
        0 => String::new(),
        _ => r.desc.clone().unwrap_or_default(),
    };
    json!({ "To_Account": who, "ResultCode": code, "ResultInfo": info })
}

fn results(rs: &[FriendResult]) -> Answer {
    let mut failed = Vec::new();
    let items: Vec<Value> = rs.iter().map(|r| result_item(r, &mut failed)).collect();
    fields([
        ("ResultItem", Value::Array(items)),
        ("Fail_Account", json!(failed)),
    ])
}

/// Everything of `user`'s relationships (friends with profiles, blacklist, groups).
async fn everything(call: &Call<'_>, user: &UserId) -> Result<SyncResponse, Refusal> {
    call.gw()
        .services
        .friendship
        .sync(user, 0)
        .await
        .map_err(refusal)
}

#[derive(Deserialize)]
struct AddItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "Remark", default)]
    remark: Option<String>,
    /// A name, or (friend_import) a list of names of which the first is taken.
    #[serde(rename = "GroupName", default)]
    group: Option<Value>,
    #[serde(rename = "AddSource", default)]
    source: Option<String>,
    #[serde(rename = "AddWording", default)]
    wording: Option<String>,
}

#[derive(Deserialize)]
struct Add {
    #[serde(rename = "AddFriendItem")]
    items: Vec<AddItem>,
    #[serde(rename = "AddType", default)]
    add_type: Option<String>,
    #[serde(rename = "ForceAddFlags", default)]
    force: Option<i64>,
}

/// `friend_add` (both ways unless `AddType` is `Add_Type_Single`; `ForceAddFlags` 1 ignores the
/// targets' add permission) and `friend_import` (one way, forced).
pub async fn add(call: &Call<'_>, import: bool) -> Handled {
    let user = owner(call)?;
    let req: Add = call.parse(BAD)?;
    let friend_type = match (import, req.add_type.as_deref()) {
        (true, _) | (false, Some("Add_Type_Single")) => FriendType::SINGLE,
        (false, None | Some("Add_Type_Both")) => FriendType::BOTH,
        (false, Some(other)) => {
            return Err(Refusal::new(
                BAD,
                format!("AddType is Add_Type_Both or Add_Type_Single, not {other:?}"),
            ))
        }
    };
    let forced = import || req.force == Some(1);
    let max = call.gw().config.max_friendship_users_per_request;
    if req.items.is_empty() || req.items.len() > max {
        return Err(Refusal::new(
            BAD,
            format!(
                "AddFriendItem holds {}; 1 to {max} are taken",
                req.items.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for item in req.items {
        let group = match item.group {
            Some(Value::String(g)) => Some(g),
            Some(Value::Array(list)) => list.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        let param = FriendshipAddFriendParam {
            identifier: Some(item.to),
            friend_type: Some(friend_type),
            remark: item.remark,
            group_name: group,
            add_source: item.source,
            add_wording: item.wording,
        };
        let r = call
            .gw()
            .services
            .friendship
            .add_as(&user, param, forced)
            .await
            .map_err(refusal)?;
        out.push(r);
    }
    Ok(results(&out))
}

#[derive(Deserialize)]
struct SnsItem {
    #[serde(rename = "Tag")]
    tag: String,
    #[serde(rename = "Value")]
    value: Value,
}

#[derive(Deserialize)]
struct UpdateItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "SnsItem")]
    items: Vec<SnsItem>,
}

#[derive(Deserialize)]
struct Update {
    #[serde(rename = "UpdateItem")]
    items: Vec<UpdateItem>,
}

/// `friend_update`: a friend's remark, groups and custom relationship fields.
pub async fn update(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let req: Update = call.parse(BAD)?;
    let mut out = Vec::new();
    for u in req.items {
        let mut item = FriendProfileItem::default();
        for i in &u.items {
            match (i.tag.as_str(), &i.value) {
                (REMARK, Value::String(r)) => item.remark = Some(r.clone()),
                (GROUP, Value::Array(list)) => {
                    item.group_name_array = Some(list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                }
                (custom, v) if custom.starts_with(CUSTOM_PREFIX) => {
                    let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    item.custom_string_array
                        .get_or_insert_with(Vec::new)
                        .push(FriendProfileCustomStringInfo::new(custom.to_owned(), value));
                }
                (tag, _) => {
                    return Err(Refusal::new(
                        BAD,
                        format!("{tag} cannot be updated: {REMARK} (a string), {GROUP} (an array) and {CUSTOM_PREFIX}* can"),
                    ))
                }
            }
        }
        let param = FriendshipModifyFriendProfileParam {
            identifier: Some(u.to.clone()),
            item: Some(item),
        };
        let r = match call.gw().services.friendship.modify(&user, param).await {
            Ok(()) => FriendResult::ok(u.to),
            Err(crate::error::Error::Refused(r)) => FriendResult::failed(u.to, r.code, r.desc),
            Err(e) => return Err(refusal(e)),
        };
        out.push(r);
    }
    Ok(results(&out))
}

fn delete_type(call: &Call<'_>) -> Result<FriendType, Refusal> {
    match call.body.get("DeleteType").and_then(Value::as_str) {
        None | Some("Delete_Type_Both") => Ok(FriendType::BOTH),
        Some("Delete_Type_Single") => Ok(FriendType::SINGLE),
        Some(other) => Err(Refusal::new(
            BAD,
            format!("DeleteType is Delete_Type_Both or Delete_Type_Single, not {other:?}"),
        )),
    }
}

async fn delete_users(
    call: &Call<'_>,
    user: &UserId,
    users: Vec<String>,
    t: FriendType,
) -> Result<Vec<FriendResult>, Refusal> {
    let param = FriendshipDeleteFriendParam {
        friend_type: Some(t),
        identifier_array: Some(users),
    };
    call.gw()
        .services
        .friendship
        .delete(user, param)
        .await
        .map_err(refusal)
}

/// `friend_delete`: one `ResultItem` per friend.
pub async fn delete(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let t = delete_type(call)?;
    let out = delete_users(call, &user, users(call, "To_Account")?, t).await?;
    Ok(results(&out))
}

/// `friend_delete_all`: every friend of `From_Account`.
pub async fn delete_all(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let t = delete_type(call)?;
    let all: Vec<String> = everything(call, &user)
        .await?
        .friends
        .into_iter()
        .filter_map(|f| f.identifier)
        .collect();
    let max = call.gw().config.max_friendship_users_per_request.max(1);
    for chunk in all.chunks(max) {
        delete_users(call, &user, chunk.to_vec(), t).await?;
    }
    Ok(fields([]))
}

/// `friend_check`: `CheckResult_Type_Both` (default) tells both directions.
pub async fn check(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let t = match call.body.get("CheckType").and_then(Value::as_str) {
        None | Some("CheckResult_Type_Both") => FriendType::BOTH,
        Some("CheckResult_Type_Single") => FriendType::SINGLE,
        Some(other) => {
            return Err(Refusal::new(
                BAD,
                format!(
                    "CheckType is CheckResult_Type_Both or CheckResult_Type_Single, not {other:?}"
                ),
            ))
        }
    };
    let list = call
        .gw()
        .services
        .friendship
        .check(&user, t, users(call, "To_Account")?)
        .await
        .map_err(refusal)?;
    let mut failed = Vec::new();
    let items: Vec<Value> = list
        .iter()
        .map(|r| {
            let relation = match r.relation.unwrap_or(FriendCheckRelation::NO_RELATION) {
                FriendCheckRelation::BOTH_WAY => "CheckResult_Type_BothWay",
                FriendCheckRelation::A_WITH_B => "CheckResult_Type_AWithB",
                FriendCheckRelation::B_WITH_A => "CheckResult_Type_BWithA",
                _ => "CheckResult_Type_NoRelation",
            };
            let code = r.code.unwrap_or(0);
            let who = r.identifier.clone().unwrap_or_default();
            if code != 0 {
                failed.push(who.clone());
            }
            json!({ "To_Account": who, "Relation": relation, "ResultCode": code, "ResultInfo": r.desc.clone().unwrap_or_default() })
        })
        .collect();
    Ok(fields([
        ("InfoItem", Value::Array(items)),
        ("Fail_Account", json!(failed)),
    ]))
}

fn uint(call: &Call<'_>, key: &str) -> u64 {
    super::uint(&call.body, key).ok().flatten().unwrap_or(0)
}

/// `friend_get`: a page of friends from `StartIndex`, each with its relationship tags.
pub async fn get(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let all = everything(call, &user).await?;
    let start = uint(call, "StartIndex") as usize;
    let page = call.gw().config.max_friendship_users_per_request.max(1);
    let total = all.friends.len();
    let items: Vec<Value> = all
        .friends
        .iter()
        .skip(start)
        .take(page)
        .map(|f| {
            let values: Vec<Value> = SNS_TAGS
                .iter()
                .filter_map(|t| value_of_friend(f, t).map(|v| json!({ "Tag": t, "Value": v })))
                .collect();
            json!({ "To_Account": f.identifier.clone().unwrap_or_default(), "ValueItem": values })
        })
        .collect();
    let next = (start + items.len()).min(total);
    Ok(fields([
        ("UserDataItem", Value::Array(items)),
        ("StandardSequence", json!(all.version)),
        ("CustomSequence", json!(all.version)),
        ("FriendNum", json!(total)),
        ("CompleteFlag", json!(u8::from(next >= total))),
        (
            "NextStartIndex",
            json!(if next >= total { 0 } else { next }),
        ),
    ]))
}

/// `friend_get_list`: the tags asked (relationship and profile tags) of the friends named; one
/// that is not a friend gets 30001 in its entry.
pub async fn get_list(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let wanted = users(call, "To_Account")?;
    let tags: Vec<String> = call
        .body
        .get("TagList")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let all = everything(call, &user).await?;
    let mut failed = Vec::new();
    let items: Vec<Value> = wanted
        .iter()
        .map(|who| match all.friends.iter().find(|f| f.identifier.as_deref() == Some(who)) {
            Some(f) => {
                let values: Vec<Value> = tags
                    .iter()
                    .filter_map(|t| value_of_friend(f, t).map(|v| json!({ "Tag": t, "Value": v })))
                    .collect();
                json!({ "To_Account": who, "SnsProfileItem": values, "ResultCode": 0, "ResultInfo": "" })
            }
            None => {
                failed.push(who.clone());
                json!({ "To_Account": who, "SnsProfileItem": [], "ResultCode": BAD, "ResultInfo": format!("{who} is not a friend of {user}") })
            }
        })
        .collect();
    Ok(fields([
        ("InfoItem", Value::Array(items)),
        ("Fail_Account", json!(failed)),
    ]))
}

/// `black_list_add` and `black_list_delete`.
pub async fn block(call: &Call<'_>, add: bool) -> Handled {
    let user = owner(call)?;
    let list = users(call, "To_Account")?;
    let f = &call.gw().services.friendship;
    let out = match add {
        true => f.block(&user, list).await,
        false => f.unblock(&user, list).await,
    }
    .map_err(refusal)?;
    Ok(results(&out))
}

/// `black_list_get`: a page of at most `MaxLimited` blocked users from `StartIndex`.
pub async fn block_list(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let all = everything(call, &user).await?;
    let start = uint(call, "StartIndex") as usize;
    let max = (uint(call, "MaxLimited") as usize).clamp(1, call.gw().config.max_blacklist as usize);
    let items: Vec<Value> = all
        .blocked
        .iter()
        .skip(start)
        .take(max)
        .map(|b| json!({ "To_Account": b.identifier.clone().unwrap_or_default(), "AddBlackTimeStamp": b.add_time.unwrap_or(0) }))
        .collect();
    let next = start + items.len();
    Ok(fields([
        ("BlackListItem", Value::Array(items)),
        (
            "StartIndex",
            json!(if next >= all.blocked.len() { 0 } else { next }),
        ),
        // The hosted service's spelling.
        ("CurruentSequence", json!(all.version)),
    ]))
}

/// `black_list_check`: `BlackCheckResult_Type_Both` (default) tells both directions.
pub async fn block_check(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let both = match call.body.get("CheckType").and_then(Value::as_str) {
        None | Some("BlackCheckResult_Type_Both") => true,
        Some("BlackCheckResult_Type_Single") => false,
        Some(other) => return Err(Refusal::new(BAD, format!("CheckType is BlackCheckResult_Type_Both or BlackCheckResult_Type_Single, not {other:?}"))),
    };
    let list = users(call, "To_Account")?;
    let relations = call
        .gw()
        .services
        .friendship
        .block_relations(&user, &list)
        .await
        .map_err(refusal)?;
    let items: Vec<Value> = list
        .iter()
        .zip(relations)
        .map(|(who, (mine, theirs))| {
            let relation = match (mine, theirs && both) {
                (true, true) => "BlackCheckResult_Type_BothWay",
                (true, false) => "BlackCheckResult_Type_AWithB",
                (false, true) => "BlackCheckResult_Type_BWithA",
                (false, false) => "BlackCheckResult_Type_NO",
            };
            json!({ "To_Account": who, "Relation": relation, "ResultCode": 0, "ResultInfo": "" })
        })
        .collect();
    Ok(fields([
        ("BlackListCheckItem", Value::Array(items)),
        ("Fail_Account", json!([])),
    ]))
}

fn names(call: &Call<'_>) -> Result<Vec<String>, Refusal> {
    users(call, "GroupName").map_err(|_| Refusal::new(BAD, "GroupName must be an array of names"))
}

/// `group_add`: new friend groups, with the friends `To_Account` put in them.
pub async fn group_add(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let param = FriendshipCreateFriendGroupParam {
        name_array: Some(names(call)?),
        identifier_array: call
            .body
            .get("To_Account")
            .map(|_| users(call, "To_Account"))
            .transpose()?,
    };
    let f = &call.gw().services.friendship;
    let out = f.create_groups(&user, param).await.map_err(refusal)?;
    let mut answer = results(&out);
    answer.insert(
        "CurrentSequence".into(),
        json!(everything(call, &user).await?.version),
    );
    Ok(answer)
}

/// `group_delete`: friend groups removed (their friends stay friends).
pub async fn group_delete(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let f = &call.gw().services.friendship;
    f.delete_groups(&user, names(call)?)
        .await
        .map_err(refusal)?;
    Ok(fields([(
        "CurrentSequence",
        json!(everything(call, &user).await?.version),
    )]))
}

/// `group_get`: every friend group, its size and (`NeedFriend` `Need_Friend_Type_Yes`) its
/// friends.
pub async fn group_get(call: &Call<'_>) -> Handled {
    let user = owner(call)?;
    let with_friends =
        call.body.get("NeedFriend").and_then(Value::as_str) == Some("Need_Friend_Type_Yes");
    let all = everything(call, &user).await?;
    let items: Vec<Value> = all
        .groups
        .iter()
        .map(|g| {
            let members: Vec<String> = all
                .friends
                .iter()
                .filter(|f| {
                    f.group_name_array
                        .as_deref()
                        .unwrap_or_default()
                        .contains(g)
                })
                .filter_map(|f| f.identifier.clone())
                .collect();
            let mut item = json!({ "GroupName": g, "FriendNumber": members.len() });
            if with_friends {
                item["To_Account"] = json!(members);
            }
            item
        })
        .collect();
    Ok(fields([
        ("ResultItem", Value::Array(items)),
        ("CurrentSequence", json!(all.version)),
    ]))
}
