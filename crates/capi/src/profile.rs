//! User profiles.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;
use opentim_model::profile::{FriendShipGetProfileListParam, UserProfileItem};

use crate::call::{json_call, spawn_call, Needs};
use crate::callbacks::TIMCommCallback;
use crate::ffi::{guard, json_required, to_json, UserData};

/// The profiles of the users of `FriendShipGetProfileListParam`: an array of `UserProfile`.
#[no_mangle]
pub unsafe extern "C" fn TIMProfileGetUserProfileList(
    json_get_user_profile_list_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let p: FriendShipGetProfileListParam =
            match unsafe { json_required(json_get_user_profile_list_param) } {
                Ok(p) => p,
                Err(code) => return code,
            };
        if p.identifier_array.as_ref().is_none_or(Vec::is_empty) {
            return TIM_ERR_PARAM;
        }
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move { Ok(to_json(&client.user_profiles(&p).await?)) },
        )
    })
}

/// Change fields of this user's profile (`UserProfileItem`).
#[no_mangle]
pub unsafe extern "C" fn TIMProfileModifySelfUserProfile(
    json_modify_self_user_profile_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        json_call(
            json_modify_self_user_profile_param,
            true,
            cb,
            user_data,
            |client, item: UserProfileItem| async move { client.modify_self_profile(&item).await },
        )
    }
}
