//! User profiles: anyone's read (`TIMProfileGetUserProfileList`), one's own changed
//! (`TIMProfileModifySelfUserProfile`) within the limits of the settings.

use std::sync::Arc;

use opentim_model::codes;
use opentim_model::enums::{GenderType, ProfileAddPermission};
use opentim_model::ids::UserId;
use opentim_model::profile::{UserProfile, UserProfileCustomStringInfo, UserProfileItem};

use crate::clock::now_secs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::{ProfilePatch, ProfileRow, ProfileStore};

/// What every custom profile key starts with; callers may leave it out.
pub const CUSTOM_PREFIX: &str = "Tag_Profile_Custom_";

pub struct ProfileService {
    config: Arc<Config>,
    store: Arc<dyn ProfileStore>,
}

fn invalid(desc: impl Into<String>) -> Error {
    Error::refused(codes::ERR_SVR_PROFILE_INVALID_PARAMETERS, desc)
}

fn bad_value(desc: impl Into<String>) -> Error {
    Error::refused(codes::ERR_SVR_PROFILE_VALUE_ERROR, desc)
}

/// A stored profile as the API shows it.
pub fn profile_info(r: &ProfileRow) -> UserProfile {
    UserProfile {
        identifier: Some(r.user.clone()),
        nick_name: Some(r.nick.clone()),
        gender: Some(GenderType(r.gender)),
        face_url: Some(r.face_url.clone()),
        self_signature: Some(r.signature.clone()),
        add_permission: Some(ProfileAddPermission(r.add_permission)),
        location: Some(r.location.clone()),
        language: Some(r.language as u32),
        birthday: Some(r.birthday as u32),
        level: Some(r.level as u32),
        role: Some(r.role as u32),
        custom_string_array: Some(serde_json::from_str(&r.custom).unwrap_or_default()),
        remark: None,
    }
    .complete()
}

impl ProfileService {
    pub fn new(config: Arc<Config>, store: Arc<dyn ProfileStore>) -> Self {
        ProfileService { config, store }
    }

    /// The profiles of `users` (1 to `max_profiles_per_request` valid ids), one each in the
    /// order asked; a user who never set theirs has the empty one.
    pub async fn get(&self, users: Vec<String>) -> Result<Vec<UserProfile>> {
        let max = self.config.max_profiles_per_request;
        if users.is_empty() || users.len() > max {
            return Err(invalid(format!(
                "{} users named; name 1 to {max} (max_profiles_per_request)",
                users.len()
            )));
        }
        for u in &users {
            UserId::parse(u, self.config.max_user_id_bytes).map_err(|e| {
                Error::refused(
                    codes::ERR_SVR_PROFILE_INVALID_PARAMETERS,
                    format!("{u:?}: {e}"),
                )
            })?;
        }
        let rows = self
            .store
            .profiles(users.clone())
            .await
            .map_err(Error::internal("read the profiles"))?;
        Ok(users
            .into_iter()
            .map(|u| {
                let row = rows.iter().find(|r| r.user == u).cloned();
                profile_info(&row.unwrap_or(ProfileRow {
                    user: u,
                    custom: "[]".into(),
                    ..Default::default()
                }))
            })
            .collect())
    }

    /// Change the fields `item` sets of `user`'s profile; custom fields are set over the
    /// stored ones (a key without the `Tag_Profile_Custom_` prefix gets it).
    pub async fn modify(&self, user: &UserId, item: UserProfileItem) -> Result<UserProfile> {
        let c = &self.config;
        let text = |what: &str, v: Option<String>, max: usize| -> Result<Option<String>> {
            match v {
                Some(v) if v.len() > max => Err(Error::refused(
                    codes::ERR_SVR_PROFILE_SIZE_LIMIT,
                    format!("{what} is {} bytes; the limit is {max}", v.len()),
                )),
                v => Ok(v),
            }
        };
        let mut patch = ProfilePatch {
            nick: text("the nickname", item.nick_name, c.max_profile_text_bytes)?,
            face_url: text("the face URL", item.face_url, c.max_profile_text_bytes)?,
            signature: text(
                "the signature",
                item.self_signature,
                c.max_profile_text_bytes,
            )?,
            location: text("the location", item.location, c.max_profile_text_bytes)?,
            language: item.language.map(i64::from),
            birthday: item.birthday.map(i64::from),
            level: item.level.map(i64::from),
            role: item.role.map(i64::from),
            ..Default::default()
        };
        if let Some(g) = item.gender {
            if !(0..=2).contains(&g.0) {
                return Err(bad_value(format!(
                    "gender {} is none of 0 to 2 (TIMGenderType)",
                    g.0
                )));
            }
            patch.gender = Some(g.0);
        }
        if let Some(p) = item.add_permission {
            if !(0..=3).contains(&p.0) {
                return Err(bad_value(format!(
                    "add permission {} is none of 0 to 3 (TIMProfileAddPermission)",
                    p.0
                )));
            }
            patch.add_permission = Some(p.0);
        }
        if let Some(custom) = item.custom_string_array {
            let current = self
                .store
                .profiles(vec![user.as_str().to_owned()])
                .await
                .map_err(Error::internal("read the profile"))?;
            let mut fields: Vec<UserProfileCustomStringInfo> = current
                .first()
                .and_then(|r| serde_json::from_str(&r.custom).ok())
                .unwrap_or_default();
            for f in custom {
                let key = f.key.unwrap_or_default();
                let short = key.strip_prefix(CUSTOM_PREFIX).unwrap_or(&key);
                if short.is_empty() || short.len() > c.max_profile_custom_key_bytes {
                    return Err(Error::refused(
                        codes::ERR_SVR_PROFILE_INVALID_PARAMETERS,
                        format!(
                            "custom key {key:?}: 1 to {} bytes after {CUSTOM_PREFIX} \
                             (max_profile_custom_key_bytes)",
                            c.max_profile_custom_key_bytes
                        ),
                    ));
                }
                let value = f.value.unwrap_or_default();
                if value.len() > c.max_profile_custom_value_bytes {
                    return Err(Error::refused(
                        codes::ERR_SVR_PROFILE_SIZE_LIMIT,
                        format!(
                            "custom field {key:?} is {} bytes; the limit is {} \
                             (max_profile_custom_value_bytes)",
                            value.len(),
                            c.max_profile_custom_value_bytes
                        ),
                    ));
                }
                let full = format!("{CUSTOM_PREFIX}{short}");
                match fields.iter().position(|x| x.key.as_deref() == Some(&full)) {
                    Some(i) => fields[i] = UserProfileCustomStringInfo::new(full, value),
                    None => fields.push(UserProfileCustomStringInfo::new(full, value)),
                }
            }
            if fields.len() > c.max_profile_custom_fields {
                return Err(Error::refused(
                    codes::ERR_SVR_PROFILE_INVALID_PARAMETERS,
                    format!(
                        "{} custom fields; a profile has at most {} (max_profile_custom_fields)",
                        fields.len(),
                        c.max_profile_custom_fields
                    ),
                ));
            }
            patch.custom = Some(serde_json::to_string(&fields).unwrap_or_else(|_| "[]".into()));
        }
        let row = self
            .store
            .update_profile(user.as_str(), patch, now_secs())
            .await
            .map_err(Error::internal("change the profile"))?;
        Ok(profile_info(&row))
    }
}
