//! Relationships: friends, friend requests, friend groups, blacklists and their callbacks.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;
use opentim_model::friend::{
    FriendResponse, FriendSearchParam, FriendshipAddFriendParam, FriendshipCheckFriendTypeParam,
    FriendshipCreateFriendGroupParam, FriendshipDeleteFriendParam, FriendshipDeletePendencyParam,
    FriendshipGetPendencyListParam, FriendshipModifyFriendGroupParam,
    FriendshipModifyFriendProfileParam,
};

use crate::call::{json_call, spawn_call, Needs};
use crate::callbacks::{
    set_slot, TIMCommCallback, TIMFriendAddRequestCallback,
    TIMFriendApplicationListDeletedCallback, TIMFriendApplicationListReadCallback,
    TIMFriendBlackListAddedCallback, TIMFriendBlackListDeletedCallback, TIMOnAddFriendCallback,
    TIMOnDeleteFriendCallback, TIMUpdateFriendProfileCallback,
};
use crate::ffi::{guard, json_required, to_json, UserData};

/// Every friend with their data: an array of `FriendProfile` (this device's list).
#[no_mangle]
pub extern "C" fn TIMFriendshipGetFriendProfileList(
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.friend_list().await?))
        })
    })
}

/// Add a friend, or ask to (`FriendshipAddFriendParam`): one `FriendResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipAddFriend(
    json_add_friend_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: the caller passes NULL or a valid C string.
    unsafe {
        json_call(
            json_add_friend_param,
            true,
            cb,
            user_data,
            |c, p: FriendshipAddFriendParam| async move { c.add_friend(&p).await },
        )
    }
}

/// Answer a friend request (`FriendRespone`): one `FriendResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipHandleFriendAddRequest(
    json_handle_friend_add_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_handle_friend_add_param,
            true,
            cb,
            user_data,
            |c, p: FriendResponse| async move { c.answer_friend_request(&p).await },
        )
    }
}

/// Change this user's data of a friend: "".
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipModifyFriendProfile(
    json_modify_friend_info_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_modify_friend_info_param,
            true,
            cb,
            user_data,
            |c, p: FriendshipModifyFriendProfileParam| async move { c.modify_friend(&p).await },
        )
    }
}

/// Delete friends one-way or two-way: an array of `FriendResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipDeleteFriend(
    json_delete_friend_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_delete_friend_param,
            true,
            cb,
            user_data,
            |c, p: FriendshipDeleteFriendParam| async move { c.delete_friends(&p).await },
        )
    }
}

/// The relation with each user: an array of `FriendshipCheckFriendTypeResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipCheckFriendType(
    json_check_friend_list_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_check_friend_list_param,
            true,
            cb,
            user_data,
            |c, p: FriendshipCheckFriendTypeParam| async move { c.check_friends(&p).await },
        )
    }
}

/// Create friend groups: an array of `FriendResult` for the friends put in them.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipCreateFriendGroup(
    json_create_friend_group_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_create_friend_group_param,
            true,
            cb,
            user_data,
            |c, p: FriendshipCreateFriendGroupParam| async move { c.create_friend_groups(&p).await },
        )
    }
}

/// Friend groups by name (a JSON array; NULL or [] for all): an array of `FriendGroupInfo`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipGetFriendGroupList(
    json_get_friend_group_list_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_get_friend_group_list_param,
            false,
            cb,
            user_data,
            |c, names: Vec<String>| async move { c.friend_groups(&names).await },
        )
    }
}

/// Rename a friend group, move friends in or out: an array of `FriendResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipModifyFriendGroup(
    json_modify_friend_group_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_modify_friend_group_param,
            true,
            cb,
            user_data,
            |c, p: FriendshipModifyFriendGroupParam| async move { c.modify_friend_group(&p).await },
        )
    }
}

/// Delete friend groups (a JSON array of names): "".
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipDeleteFriendGroup(
    json_delete_friend_group_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_delete_friend_group_param,
            true,
            cb,
            user_data,
            |c, names: Vec<String>| async move { c.delete_friend_groups(&names).await },
        )
    }
}

/// A page of friend requests: a `PendencyPage`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipGetPendencyList(
    json_get_pendency_list_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_get_pendency_list_param,
            true,
            cb,
            user_data,
            |c, p: FriendshipGetPendencyListParam| async move { c.pendency_list(&p).await },
        )
    }
}

/// Delete friend requests: an array of `FriendResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipDeletePendency(
    json_delete_pendency_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_delete_pendency_param,
            true,
            cb,
            user_data,
            |c, p: FriendshipDeletePendencyParam| async move { c.delete_pendencies(&p).await },
        )
    }
}

/// Mark incoming friend requests up to `time_stamp` read (0: now): "".
#[no_mangle]
pub extern "C" fn TIMFriendshipReportPendencyReaded(
    time_stamp: u64,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move {
                client.report_pendency_read(time_stamp).await?;
                Ok(String::new())
            },
        )
    })
}

/// Friends matching keywords: an array of `FriendProfile` (this device's list).
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipSearchFriends(
    json_search_friends_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    unsafe {
        json_call(
            json_search_friends_param,
            true,
            cb,
            user_data,
            |c, p: FriendSearchParam| async move { c.search_friends(&p).await },
        )
    }
}

/// Friend data and relation of users (a JSON array of ids): an array of
/// `FriendInfoGetResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMFriendshipGetFriendsInfo(
    json_get_friends_info_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: as above.
    let ids = match unsafe { user_ids(json_get_friends_info_param) } {
        Ok(ids) => ids,
        Err(code) => return code,
    };
    guard(TIM_ERR_PARAM, || {
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move { Ok(to_json(&client.friends_info(&ids).await?)) },
        )
    })
}

/// Hear of friends added on any device of this user.
#[no_mangle]
pub extern "C" fn TIMSetOnAddFriendCallback(cb: TIMOnAddFriendCallback, user_data: *const c_void) {
    set_slot(|r| &mut r.friend_added, cb, user_data);
}

/// Hear of friends deleted on any device of this user.
#[no_mangle]
pub extern "C" fn TIMSetOnDeleteFriendCallback(
    cb: TIMOnDeleteFriendCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.friend_deleted, cb, user_data);
}

/// Hear of friend data changes.
#[no_mangle]
pub extern "C" fn TIMSetUpdateFriendProfileCallback(
    cb: TIMUpdateFriendProfileCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.friend_profile_updated, cb, user_data);
}

/// Hear of friend requests received.
#[no_mangle]
pub extern "C" fn TIMSetFriendAddRequestCallback(
    cb: TIMFriendAddRequestCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.friend_request, cb, user_data);
}

/// Hear of friend requests removed.
#[no_mangle]
pub extern "C" fn TIMSetFriendApplicationListDeletedCallback(
    cb: TIMFriendApplicationListDeletedCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.requests_deleted, cb, user_data);
}

/// Hear of incoming friend requests marked read.
#[no_mangle]
pub extern "C" fn TIMSetFriendApplicationListReadCallback(
    cb: TIMFriendApplicationListReadCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.requests_read, cb, user_data);
}

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
