//! The 2021 group functions: attributes and their callback, the online member count, searching
//! groups and members, and a group's receive option.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;
use opentim_model::enums::{GroupReceiveMessageOpt, ReceiveMessageOpt};
use opentim_model::group::{GroupAttributes, GroupMemberSearchParam, GroupSearchParam};
use opentim_sdk::AttributesMode;

use crate::call::{json_call, spawn_call, Needs};
use crate::callbacks::{set_slot, TIMCommCallback, TIMGroupAttributeChangedCallback};
use crate::ffi::{guard, json_arg, json_required, to_json, UserData};
use crate::group::group_arg;

/// The path of the attribute changes: the group id, then the attributes (Init, Set) or the
/// keys (Delete) as JSON.
///
/// # Safety
/// `group_id` and `json` are NULL or valid C strings.
unsafe fn change(
    group_id: *const c_char,
    json: *const c_char,
    mode: AttributesMode,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: forwarded from the caller's contract.
    let id = match unsafe { group_arg(group_id) } {
        Ok(id) => id,
        Err(code) => return code,
    };
    let (attributes, keys) = match mode {
        // SAFETY: as above.
        AttributesMode::Delete => match unsafe { json_required::<Vec<String>>(json) } {
            Ok(keys) => (Vec::new(), keys),
            Err(code) => return code,
        },
        // SAFETY: as above.
        _ => match unsafe { json_required::<Vec<GroupAttributes>>(json) } {
            Ok(attributes) => (attributes, Vec::new()),
            Err(code) => return code,
        },
    };
    spawn_call(
        Needs::Login,
        cb,
        UserData(user_data),
        move |client| async move {
            client
                .change_group_attributes(&id, mode, attributes, keys)
                .await?;
            Ok(String::new())
        },
    )
}

/// Replace a group's attributes with those of `json_group_atrributes` (an array of
/// `GroupAttributes`).
#[no_mangle]
pub unsafe extern "C" fn TIMGroupInitGroupAttributes(
    group_id: *const c_char,
    json_group_atrributes: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: the caller passes NULL or valid C strings.
    guard(TIM_ERR_PARAM, || unsafe {
        change(
            group_id,
            json_group_atrributes,
            AttributesMode::Init,
            cb,
            user_data,
        )
    })
}

/// Add or overwrite a group's attributes (an array of `GroupAttributes`).
#[no_mangle]
pub unsafe extern "C" fn TIMGroupSetGroupAttributes(
    group_id: *const c_char,
    json_group_atrributes: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: the caller passes NULL or valid C strings.
    guard(TIM_ERR_PARAM, || unsafe {
        change(
            group_id,
            json_group_atrributes,
            AttributesMode::Set,
            cb,
            user_data,
        )
    })
}

/// Remove a group's attributes by key (`json_keys`: an array of strings).
#[no_mangle]
pub unsafe extern "C" fn TIMGroupDeleteGroupAttributes(
    group_id: *const c_char,
    json_keys: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: the caller passes NULL or valid C strings.
    guard(TIM_ERR_PARAM, || unsafe {
        change(group_id, json_keys, AttributesMode::Delete, cb, user_data)
    })
}

/// A group's attributes: those of `json_keys` (an array of strings), or all (NULL, "" or
/// `[]`): an array of `GroupAttributes`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupGetGroupAttributes(
    group_id: *const c_char,
    json_keys: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let (id, keys) = match unsafe { (group_arg(group_id), json_arg::<Vec<String>>(json_keys)) }
        {
            (Ok(id), Ok(keys)) => (id, keys),
            (Err(code), _) | (_, Err(code)) => return code,
        };
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move { Ok(to_json(&client.group_attributes(&id, &keys).await?)) },
        )
    })
}

/// Receive every change of the attributes of this user's groups (the whole set each time).
#[no_mangle]
pub extern "C" fn TIMSetGroupAttributeChangedCallback(
    cb: TIMGroupAttributeChangedCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.group_attributes, cb, user_data);
}

/// How many of a group's members are online (an AVChatRoom: how many are in the room): a
/// `GroupGetOnlineMemberCountResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupGetOnlineMemberCount(
    group_id: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let id = match unsafe { group_arg(group_id) } {
            Ok(id) => id,
            Err(code) => return code,
        };
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move {
                let count = client.online_member_count(&id).await?;
                Ok(to_json(
                    &opentim_model::group::GroupGetOnlineMemberCountResult { count: Some(count) },
                ))
            },
        )
    })
}

/// This user's groups whose id or name contains a keyword (`GroupSearchParam`): an array of
/// `GroupDetailInfo`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupSearchGroups(
    json_group_search_groups_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        json_call(
            json_group_search_groups_param,
            true,
            cb,
            user_data,
            |client, p: GroupSearchParam| async move { client.search_groups(&p).await },
        )
    }
}

/// Members of this user's groups whose id or name card contains a keyword
/// (`GroupMemberSearchParam`): an array of `GroupSearchGroupMembersdResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupSearchGroupMembers(
    json_group_search_group_members_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        json_call(
            json_group_search_group_members_param,
            true,
            cb,
            user_data,
            |client, p: GroupMemberSearchParam| async move { client.search_group_members(&p).await },
        )
    }
}

/// Set how this user receives a group's messages (`TIMReceiveMessageOpt`).
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSetGroupReceiveMessageOpt(
    group_id: *const c_char,
    opt: i32,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let id = match unsafe { group_arg(group_id) } {
            Ok(id) => id,
            Err(code) => return code,
        };
        if !ReceiveMessageOpt::MEMBERS
            .iter()
            .any(|(_, v)| *v == i64::from(opt))
        {
            return TIM_ERR_PARAM;
        }
        // The two enums number the options alike: receive 0, not receive 1, not notify 2.
        let opt = GroupReceiveMessageOpt(i64::from(opt));
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move {
                client.set_group_receive_opt(&id, opt).await?;
                Ok(String::new())
            },
        )
    })
}
