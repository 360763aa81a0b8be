//! Groups: create, dismiss, leave, and read profiles and memberships.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;
use opentim_model::group::{
    CreateGroupParam, GroupDeleteMemberParam, GroupGetMemberInfoListParam, GroupInviteMemberParam,
};

use crate::call::{spawn_call, Needs};
use crate::callbacks::TIMCommCallback;
use crate::ffi::{arg, guard, json_required, to_json, UserData};

/// A non-empty group id argument.
///
/// # Safety
/// `group_id` is NULL or a valid C string.
unsafe fn group_arg(group_id: *const c_char) -> Result<String, i32> {
    // SAFETY: forwarded from the caller's contract.
    match unsafe { arg(group_id) } {
        Ok(Some(id)) if !id.is_empty() => Ok(id.to_owned()),
        _ => Err(TIM_ERR_PARAM),
    }
}

/// The path of the exports that take a group parameter object: parse it, require its group
/// id (`group_id` of the parsed value), and run `work` on the SDK.
///
/// # Safety
/// `json` is NULL or a valid C string.
unsafe fn with_group_param<P, F, Fut>(
    json: *const c_char,
    group_id: fn(&P) -> Option<&str>,
    cb: TIMCommCallback,
    user_data: *const c_void,
    work: F,
) -> i32
where
    P: serde::de::DeserializeOwned + Send + 'static,
    F: FnOnce(opentim_sdk::Client, P) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<String, opentim_sdk::SdkError>> + Send + 'static,
{
    // SAFETY: forwarded from the caller's contract.
    let p: P = match unsafe { json_required(json) } {
        Ok(p) => p,
        Err(code) => return code,
    };
    if group_id(&p).is_none_or(str::is_empty) {
        return TIM_ERR_PARAM;
    }
    spawn_call(Needs::Login, cb, UserData(user_data), |client| {
        work(client, p)
    })
}

/// Create a group (`CreateGroupParam`); the callback gets its `CreateGroupResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupCreate(
    json_group_create_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let param: CreateGroupParam = match unsafe { json_required(json_group_create_param) } {
            Ok(p) => p,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.create_group(&param).await?))
        })
    })
}

/// Dismiss a group.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupDelete(
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
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.dismiss_group(&id).await?;
            Ok(String::new())
        })
    })
}

/// Leave a group.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupQuit(
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
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.quit_group(&id).await?;
            Ok(String::new())
        })
    })
}

/// The groups this user is a member of: an array of `GroupBaseInfo`.
#[no_mangle]
pub extern "C" fn TIMGroupGetJoinedGroupList(cb: TIMCommCallback, user_data: *const c_void) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.joined_groups().await?))
        })
    })
}

/// The profiles of the groups of `json_group_getinfo_param` (a JSON array of group ids): an
/// array of `GetGroupInfoResult`, one per group.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupGetGroupInfoList(
    json_group_getinfo_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let ids: Vec<String> = match unsafe { json_required(json_group_getinfo_param) } {
            Ok(ids) => ids,
            Err(code) => return code,
        };
        if ids.is_empty() {
            return TIM_ERR_PARAM;
        }
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.group_info(&ids).await?))
        })
    })
}

/// Add users to a group (`GroupInviteMemberParam`): an array of `GroupInviteMemberResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupInviteMember(
    json_group_invite_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        unsafe {
            with_group_param(
                json_group_invite_param,
                |p: &GroupInviteMemberParam| p.group_id.as_deref(),
                cb,
                user_data,
                |client, p| async move { Ok(to_json(&client.invite_members(&p).await?)) },
            )
        }
    })
}

/// Remove members (`GroupDeleteMemberParam`): an array of `GroupDeleteMemberResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupDeleteMember(
    json_group_delete_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        unsafe {
            with_group_param(
                json_group_delete_param,
                |p: &GroupDeleteMemberParam| p.group_id.as_deref(),
                cb,
                user_data,
                |client, p| async move { Ok(to_json(&client.kick_members(&p).await?)) },
            )
        }
    })
}

/// Members of a group (`GroupGetMemberInfoListParam`): a `GroupGetMemberInfoListResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupGetMemberInfoList(
    json_group_getmeminfos_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        unsafe {
            with_group_param(
                json_group_getmeminfos_param,
                |p: &GroupGetMemberInfoListParam| p.group_id.as_deref(),
                cb,
                user_data,
                |client, p| async move { Ok(to_json(&client.group_members(&p).await?)) },
            )
        }
    })
}
