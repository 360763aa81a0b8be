//! User profiles: read any users' profiles, change one's own. The bodies are the API's own
//! JSON objects (`UserProfile`, `UserProfileItem`).

use opentim_model::profile::{UserProfile, UserProfileItem};
use serde::{Deserialize, Serialize};

use super::{Empty, Op};

/// The profiles of some users.
pub struct GetProfiles;

impl Op for GetProfiles {
    const NAME: &'static str = "profile.get";
    const SERVES: &'static [&'static str] = &["TIMProfileGetUserProfileList"];
    type Request = ProfilesRequest;
    type Response = ProfilesResponse;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfilesRequest {
    pub users: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfilesResponse {
    /// One per user asked, in the order asked.
    pub profiles: Vec<UserProfile>,
}

/// Change fields of the caller's own profile.
pub struct ModifyProfile;

impl Op for ModifyProfile {
    const NAME: &'static str = "profile.modify";
    const SERVES: &'static [&'static str] = &["TIMProfileModifySelfUserProfile"];
    type Request = UserProfileItem;
    type Response = Empty;
}
