//! `profile`: user profiles as `{Tag, Value}` items (`portrait_get`, `portrait_set`), and the
//! tag names the relationship API shares.

use opentim_model::codes;
use opentim_model::enums::{GenderType, ProfileAddPermission};
use opentim_model::ids::UserId;
use opentim_model::profile::{UserProfile, UserProfileCustomStringInfo, UserProfileItem};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{fields, refusal, Call, Handled};
use crate::error::Refusal;
use crate::service::account::AccountState;

pub const NICK: &str = "Tag_Profile_IM_Nick";
pub const GENDER: &str = "Tag_Profile_IM_Gender";
pub const BIRTHDAY: &str = "Tag_Profile_IM_BirthDay";
pub const LOCATION: &str = "Tag_Profile_IM_Location";
pub const SIGNATURE: &str = "Tag_Profile_IM_SelfSignature";
pub const ALLOW_TYPE: &str = "Tag_Profile_IM_AllowType";
pub const LANGUAGE: &str = "Tag_Profile_IM_Language";
pub const IMAGE: &str = "Tag_Profile_IM_Image";
pub const LEVEL: &str = "Tag_Profile_IM_Level";
pub const ROLE: &str = "Tag_Profile_IM_Role";
pub const CUSTOM_PREFIX: &str = "Tag_Profile_Custom_";

/// The standard tags this server keeps.
pub const TAGS: &[&str] = &[
    NICK, GENDER, BIRTHDAY, LOCATION, SIGNATURE, ALLOW_TYPE, LANGUAGE, IMAGE, LEVEL, ROLE,
];

const GENDERS: &[(&str, GenderType)] = &[
    ("Gender_Type_Unknown", GenderType::UNKNOWN),
    ("Gender_Type_Male", GenderType::MALE),
    ("Gender_Type_Female", GenderType::FEMALE),
];

const ALLOW_TYPES: &[(&str, ProfileAddPermission)] = &[
    (
        "AllowType_Type_NeedConfirm",
        ProfileAddPermission::NEED_CONFIRM,
    ),
    ("AllowType_Type_AllowAny", ProfileAddPermission::ALLOW_ANY),
    ("AllowType_Type_DenyAny", ProfileAddPermission::DENY_ANY),
];

const BAD: i32 = codes::ERR_SVR_PROFILE_INVALID_PARAMETERS;

/// Whether `tag` is one of the profile's (standard or custom).
pub fn is_profile_tag(tag: &str) -> bool {
    TAGS.contains(&tag) || tag.starts_with(CUSTOM_PREFIX)
}

/// The value of `tag` in `p` (`None` for a custom tag it does not have, or a tag that is not
/// a profile's).
pub fn value_of(p: &UserProfile, tag: &str) -> Option<Value> {
    let s = |v: &Option<String>| json!(v.clone().unwrap_or_default());
    let n = |v: &Option<u32>| json!(v.unwrap_or(0));
    Some(match tag {
        NICK => s(&p.nick_name),
        GENDER => {
            let g = p.gender.unwrap_or(GenderType::UNKNOWN);
            json!(GENDERS
                .iter()
                .find(|(_, v)| *v == g)
                .map_or("Gender_Type_Unknown", |(n, _)| n))
        }
        BIRTHDAY => n(&p.birthday),
        LOCATION => s(&p.location),
        SIGNATURE => s(&p.self_signature),
        ALLOW_TYPE => {
            let a = p
                .add_permission
                .unwrap_or(ProfileAddPermission::NEED_CONFIRM);
            json!(ALLOW_TYPES
                .iter()
                .find(|(_, v)| *v == a)
                .map_or("AllowType_Type_NeedConfirm", |(n, _)| n))
        }
        LANGUAGE => n(&p.language),
        IMAGE => s(&p.face_url),
        LEVEL => n(&p.level),
        ROLE => n(&p.role),
        custom if custom.starts_with(CUSTOM_PREFIX) => {
            let list = p.custom_string_array.as_deref().unwrap_or_default();
            let found = list.iter().find(|c| c.key.as_deref() == Some(custom))?;
            json!(found.value.clone().unwrap_or_default())
        }
        _ => return None,
    })
}

fn text(tag: &str, v: &Value) -> Result<String, Refusal> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(Refusal::new(BAD, format!("{tag} takes a string"))),
    }
}

fn number(tag: &str, v: &Value) -> Result<u32, Refusal> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| Refusal::new(BAD, format!("{tag} takes an unsigned 32-bit integer")))
}

fn named<T: Copy>(tag: &str, v: &Value, names: &[(&str, T)]) -> Result<T, Refusal> {
    let name = text(tag, v)?;
    names
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let allowed: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
            Refusal::new(
                BAD,
                format!("{tag} is one of {}, not {name:?}", allowed.join(", ")),
            )
        })
}

/// Set `tag` to `v` in the change `item`.
pub fn apply(item: &mut UserProfileItem, tag: &str, v: &Value) -> Result<(), Refusal> {
    match tag {
        NICK => item.nick_name = Some(text(tag, v)?),
        GENDER => item.gender = Some(named(tag, v, GENDERS)?),
        BIRTHDAY => item.birthday = Some(number(tag, v)?),
        LOCATION => item.location = Some(text(tag, v)?),
        SIGNATURE => item.self_signature = Some(text(tag, v)?),
        ALLOW_TYPE => item.add_permission = Some(named(tag, v, ALLOW_TYPES)?),
        LANGUAGE => item.language = Some(number(tag, v)?),
        IMAGE => item.face_url = Some(text(tag, v)?),
        LEVEL => item.level = Some(number(tag, v)?),
        ROLE => item.role = Some(number(tag, v)?),
        custom if custom.starts_with(CUSTOM_PREFIX) => {
            let value = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            item.custom_string_array
                .get_or_insert_with(Vec::new)
                .push(UserProfileCustomStringInfo::new(custom.to_owned(), value));
        }
        other => {
            return Err(Refusal::new(
                codes::ERR_SVR_PROFILE_TAG_NOT_FOUND,
                format!(
                    "{other} is not a profile tag this server keeps: {} and {CUSTOM_PREFIX}*",
                    TAGS.join(", ")
                ),
            ))
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "Tag")]
    tag: String,
    #[serde(rename = "Value")]
    value: Value,
}

#[derive(Deserialize)]
struct Set {
    #[serde(rename = "From_Account")]
    from: String,
    #[serde(rename = "ProfileItem")]
    items: Vec<Item>,
}

/// `portrait_set`: change the tags given of `From_Account`'s profile; friends are told.
pub async fn set(call: &Call<'_>) -> Handled {
    let req: Set = call.parse(BAD)?;
    let user = call.user(&req.from, BAD, "From_Account")?;
    if req.items.is_empty() {
        return Err(Refusal::new(BAD, "ProfileItem is empty"));
    }
    let mut item = UserProfileItem::default();
    for i in &req.items {
        apply(&mut item, &i.tag, &i.value)?;
    }
    let services = &call.gw().services;
    services.account.register(&user).await.map_err(refusal)?;
    services
        .modify_profile(&user, item)
        .await
        .map_err(refusal)?;
    Ok(fields([]))
}

#[derive(Deserialize)]
struct Get {
    #[serde(rename = "To_Account")]
    to: Vec<String>,
    #[serde(rename = "TagList")]
    tags: Vec<String>,
}

/// `portrait_get`: the tags asked of each account; an account that does not exist gets
/// 40003 in its entry (and is in `Fail_Account`).
pub async fn get(call: &Call<'_>) -> Handled {
    let req: Get = call.parse(BAD)?;
    if let Some(bad) = req.tags.iter().find(|t| !is_profile_tag(t)) {
        return Err(Refusal::new(
            codes::ERR_SVR_PROFILE_TAG_NOT_FOUND,
            format!(
                "{bad} is not a profile tag this server keeps: {} and {CUSTOM_PREFIX}*",
                TAGS.join(", ")
            ),
        ));
    }
    let services = &call.gw().services;
    let mut ids = Vec::new();
    for u in &req.to {
        ids.push(call.user(u, BAD, "To_Account")?);
    }
    let states = services.account.check(&ids).await.map_err(refusal)?;
    let profiles = services
        .profile
        .get(req.to.clone())
        .await
        .map_err(refusal)?;
    let mut failed = Vec::new();
    let items: Vec<Value> = ids
        .iter()
        .zip(states)
        .zip(profiles)
        .map(|((id, state), p)| entry(id, state, &p, &req.tags, &mut failed))
        .collect();
    Ok(fields([
        ("UserProfileItem", Value::Array(items)),
        ("Fail_Account", json!(failed)),
    ]))
}

fn entry(
    id: &UserId,
    state: AccountState,
    p: &UserProfile,
    tags: &[String],
    failed: &mut Vec<String>,
) -> Value {
    if state == AccountState::NotImported {
        failed.push(id.as_str().to_owned());
        return json!({
            "To_Account": id.as_str(), "ProfileItem": [],
            "ResultCode": codes::ERR_SVR_PROFILE_ACCOUNT_NOT_FOUND, "ResultInfo": "no such account",
        });
    }
    let items: Vec<Value> = tags
        .iter()
        .filter_map(|t| value_of(p, t).map(|v| json!({ "Tag": t, "Value": v })))
        .collect();
    json!({ "To_Account": id.as_str(), "ProfileItem": items, "ResultCode": 0, "ResultInfo": "" })
}
