//! `im_open_login_svc`: importing, deleting, checking and kicking accounts.

use opentim_model::codes;
use opentim_model::ids::UserId;
use opentim_model::profile::UserProfileItem;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{fields, refusal, Answer, Call, Handled};
use crate::error::Refusal;
use crate::service::account::AccountState;

const BAD: i32 = codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS;

#[derive(Deserialize)]
struct Import {
    #[serde(rename = "UserID", alias = "Identifier")]
    user: String,
    #[serde(rename = "Nick", default)]
    nick: Option<String>,
    #[serde(rename = "FaceUrl", default)]
    face_url: Option<String>,
}

/// `account_import`: the account exists from now on; `Nick` and `FaceUrl` go to its profile.
pub async fn import(call: &Call<'_>) -> Handled {
    let req: Import = call.parse(BAD)?;
    let user = call.user(&req.user, BAD, "UserID")?;
    let services = &call.gw().services;
    services.account.register(&user).await.map_err(refusal)?;
    if req.nick.is_some() || req.face_url.is_some() {
        let item = UserProfileItem {
            nick_name: req.nick,
            face_url: req.face_url,
            ..Default::default()
        };
        services
            .modify_profile(&user, item)
            .await
            .map_err(refusal)?;
    }
    Ok(Answer::new())
}

/// The accounts of a per-account request, at most `max_rest_accounts_per_request`.
fn bounded<T>(call: &Call<'_>, items: Vec<T>, field: &str) -> Result<Vec<T>, Refusal> {
    let max = call.gw().config.max_rest_accounts_per_request;
    if items.is_empty() || items.len() > max {
        return Err(Refusal::new(
            BAD,
            format!(
                "{field} holds {} accounts; 1 to {max} are taken (max_rest_accounts_per_request)",
                items.len()
            ),
        ));
    }
    Ok(items)
}

#[derive(Deserialize)]
struct ImportMany {
    #[serde(rename = "Accounts")]
    accounts: Vec<String>,
}

/// `multiaccount_import`: every account that could not be imported is in `FailAccounts`.
pub async fn import_many(call: &Call<'_>) -> Handled {
    let req: ImportMany = call.parse(BAD)?;
    let accounts = bounded(call, req.accounts, "Accounts")?;
    let mut failed = Vec::new();
    for id in accounts {
        let ok = match call.user(&id, BAD, "an account") {
            Ok(user) => call.gw().services.account.register(&user).await.is_ok(),
            Err(_) => false,
        };
        if !ok {
            failed.push(id);
        }
    }
    Ok(fields([("FailAccounts", json!(failed))]))
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "UserID", alias = "Identifier")]
    user: String,
}

/// The valid ids of `items` and, in order, each item's id and whether it was valid.
fn split(call: &Call<'_>, items: Vec<Item>) -> (Vec<UserId>, Vec<(String, Option<Refusal>)>) {
    let mut valid = Vec::new();
    let mut all = Vec::new();
    for item in items {
        match call.user(&item.user, BAD, "UserID") {
            Ok(u) => {
                valid.push(u);
                all.push((item.user, None));
            }
            Err(r) => all.push((item.user, Some(r))),
        }
    }
    (valid, all)
}

fn result_item(user: &str, code: i32, info: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("UserID".into(), user.into());
    m.insert("ResultCode".into(), code.into());
    m.insert("ResultInfo".into(), info.into());
    m
}

#[derive(Deserialize)]
struct Delete {
    #[serde(rename = "DeleteItem")]
    items: Vec<Item>,
}

/// `account_delete`: one `ResultItem` per account; an account that does not exist is 70107.
pub async fn delete(call: &Call<'_>) -> Handled {
    let req: Delete = call.parse(BAD)?;
    let (valid, all) = split(call, bounded(call, req.items, "DeleteItem")?);
    let gone = call
        .gw()
        .services
        .account
        .delete(&valid)
        .await
        .map_err(refusal)?;
    let mut gone = gone.into_iter();
    let items: Vec<Value> = all
        .iter()
        .map(|(user, bad)| {
            let item = match bad {
                Some(r) => result_item(user, r.code, &r.desc),
                None if gone.next() == Some(true) => result_item(user, 0, ""),
                None => result_item(user, codes::ERR_SVR_ACCOUNT_NOT_FOUND, "no such account"),
            };
            Value::Object(item)
        })
        .collect();
    Ok(fields([("ResultItem", Value::Array(items))]))
}

#[derive(Deserialize)]
struct Check {
    #[serde(rename = "CheckItem")]
    items: Vec<Item>,
}

/// `account_check`: whether each account is `Imported` or `NotImported`.
pub async fn check(call: &Call<'_>) -> Handled {
    let req: Check = call.parse(BAD)?;
    let (valid, all) = split(call, bounded(call, req.items, "CheckItem")?);
    let states = call
        .gw()
        .services
        .account
        .check(&valid)
        .await
        .map_err(refusal)?;
    let mut states = states.into_iter();
    let items: Vec<Value> = all
        .iter()
        .map(|(user, bad)| {
            let mut item = match bad {
                Some(r) => result_item(user, r.code, &r.desc),
                None => result_item(user, 0, ""),
            };
            if bad.is_none() {
                let state = match states.next() {
                    Some(AccountState::Imported) => "Imported",
                    _ => "NotImported",
                };
                item.insert("AccountStatus".into(), state.into());
            }
            Value::Object(item)
        })
        .collect();
    Ok(fields([("ResultItem", Value::Array(items))]))
}

/// `kick`: the user's sessions close on every node, and their UserSigs issued before now no
/// longer log in.
pub async fn kick(call: &Call<'_>) -> Handled {
    let req: Item = call.parse(BAD)?;
    let user = call.user(&req.user, BAD, "UserID")?;
    let known = call
        .gw()
        .services
        .account
        .kick(&user)
        .await
        .map_err(refusal)?;
    if !known {
        return Err(Refusal::new(
            codes::ERR_SVR_ACCOUNT_NOT_FOUND,
            format!("{user} is not an account: import it first"),
        ));
    }
    Ok(Answer::new())
}
