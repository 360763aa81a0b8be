//! User profiles: read (from this device's cache, or the server) and change one's own.

use opentim_model::codes;
use opentim_model::profile::{FriendShipGetProfileListParam, UserProfile, UserProfileItem};
use opentim_protocol::op::profile::{GetProfiles, ModifyProfile, ProfilesRequest};

use super::Client;
use crate::error::{Result, SdkError};

impl Client {
    /// The profiles of the users of `param` in the order asked
    /// (`TIMProfileGetUserProfileList`): from this device's cache, the server asked for those
    /// it lacks; with `force_update`, all from the server. What the server answers is cached.
    pub async fn user_profiles(
        &self,
        param: &FriendShipGetProfileListParam,
    ) -> Result<Vec<UserProfile>> {
        let users = param.identifier_array.clone().unwrap_or_default();
        if users.is_empty() {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                "friendship_getprofilelist_param_identifier_array names no user",
            ));
        }
        let store = self.slot(|s| s.store.clone())?;
        let cached = match param.force_update.unwrap_or(false) {
            true => Vec::new(),
            false => store.profiles(&users)?,
        };
        let has = |u: &String| cached.iter().any(|p| p.identifier.as_ref() == Some(u));
        let missing: Vec<String> = users.iter().filter(|u| !has(u)).cloned().collect();
        let fetched = match missing.is_empty() {
            true => Vec::new(),
            false => {
                let answer = self
                    .call::<GetProfiles>(&ProfilesRequest { users: missing })
                    .await?;
                store.put_profiles(&answer.profiles)?;
                answer.profiles
            }
        };
        Ok(users
            .iter()
            .filter_map(|u| {
                cached
                    .iter()
                    .chain(&fetched)
                    .find(|p| p.identifier.as_ref() == Some(u))
                    .cloned()
            })
            .collect())
    }

    /// Change fields of this user's profile (`TIMProfileModifySelfUserProfile`); the cached
    /// copy follows.
    pub async fn modify_self_profile(&self, item: &UserProfileItem) -> Result<()> {
        let (store, user) = self.slot(|s| (s.store.clone(), s.user.clone()))?;
        self.call::<ModifyProfile>(item).await?;
        let answer = self
            .call::<GetProfiles>(&ProfilesRequest { users: vec![user] })
            .await?;
        store.put_profiles(&answer.profiles)
    }
}
