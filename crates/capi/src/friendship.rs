//! Relationships: blacklists and their callbacks.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;

use crate::call::{spawn_call, Needs};
use crate::callbacks::{
    set_slot, TIMCommCallback, TIMFriendBlackListAddedCallback, TIMFriendBlackListDeletedCallback,
};
use crate::ffi::{guard, json_required, to_json, UserData};

/// A non-empty JSON array of user ids.
///
/// # Safety
/// `json` is NULL or a valid C string.
unsafe fn user_ids(json: *const c_char) -> Result<Vec<String>, i32> {
    // SAFETY: forwarded from the caller's contract.
    match unsafe { json_required::<Vec<String>>(json) } {
        Ok(ids) if ids.is_empty() => Err(TIM_ERR_PARAM),
        other => other,
    }
}

/// Block the users of `json_add_to_blacklist_param` (an array of ids): an array of
/// `FriendResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipAddToBlackList(
    json_add_to_blacklist_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let ids = match unsafe { user_ids(json_add_to_blacklist_param) } {
            Ok(ids) => ids,
            Err(code) => return code,
        };
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move { Ok(to_json(&client.block_users(&ids).await?)) },
        )
    })
}

/// Unblock the users of `json_delete_from_blacklist_param` (an array of ids): an array of
/// `FriendResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipDeleteFromBlackList(
    json_delete_from_blacklist_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let ids = match unsafe { user_ids(json_delete_from_blacklist_param) } {
            Ok(ids) => ids,
            Err(code) => return code,
        };
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move { Ok(to_json(&client.unblock_users(&ids).await?)) },
        )
    })
}

/// Who this user blocked: an array of `FriendProfile`.
#[no_mangle]
pub extern "C" fn TIMFriendshipGetBlackList(cb: TIMCommCallback, user_data: *const c_void) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.blacklist().await?))
        })
    })
}

/// Hear of users added to this user's blacklist (an array of `FriendProfile`), on every device.
#[no_mangle]
pub extern "C" fn TIMSetFriendBlackListAddedCallback(
    cb: TIMFriendBlackListAddedCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.blacklist_added, cb, user_data);
}

/// Hear of users removed from this user's blacklist (an array of ids), on every device.
#[no_mangle]
pub extern "C" fn TIMSetFriendBlackListDeletedCallback(
    cb: TIMFriendBlackListDeletedCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.blacklist_deleted, cb, user_data);
}
