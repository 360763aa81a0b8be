//! Groups: create, dismiss, join, leave, change, decide requests and invitations, and read
//! profiles and memberships.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;
use opentim_model::group::{
    CreateGroupParam, GroupDeleteMemberParam, GroupGetMemberInfoListParam,
    GroupHandlePendencyParam, GroupInviteMemberParam, GroupModifyInfoParam,
    GroupModifyMemberInfoParam, GroupPendencyOption,
};

use crate::call::{spawn_call, Needs};
use crate::callbacks::{set_slot, TIMCommCallback, TIMGroupTipsEventCallback};
use crate::ffi::{arg, guard, json_required, to_json, UserData};

/// A non-empty group id argument.
///
/// # Safety
/// `group_id` is NULL or a valid C string.
pub(crate) unsafe fn group_arg(group_id: *const c_char) -> Result<String, i32> {
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

/// Receive the group tips that arrive (a JSON array of `GroupTipsElem`), each also carried by
/// a message to the new-message receivers.
#[no_mangle]
pub extern "C" fn TIMSetGroupTipsEventCallback(
    cb: TIMGroupTipsEventCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.group_tips, cb, user_data);
}

/// Join a group, or ask to (`hello_msg`, optional, is shown to whoever decides).
#[no_mangle]
pub unsafe extern "C" fn TIMGroupJoin(
    group_id: *const c_char,
    hello_msg: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let (id, hello) = match unsafe { (group_arg(group_id), arg(hello_msg)) } {
            (Ok(id), Ok(hello)) => (id, hello.unwrap_or_default().to_owned()),
            _ => return TIM_ERR_PARAM,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.join_group(&id, &hello).await?;
            Ok(String::new())
        })
    })
}

/// Change a group's profile, mute-all or owner (`GroupModifyInfoParam`).
#[no_mangle]
pub unsafe extern "C" fn TIMGroupModifyGroupInfo(
    json_group_modifyinfo_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        unsafe {
            with_group_param(
                json_group_modifyinfo_param,
                |p: &GroupModifyInfoParam| p.group_id.as_deref(),
                cb,
                user_data,
                |client, p| async move {
                    client.modify_group(&p).await?;
                    Ok(String::new())
                },
            )
        }
    })
}

/// Change one membership (`GroupModifyMemberInfoParam`).
#[no_mangle]
pub unsafe extern "C" fn TIMGroupModifyMemberInfo(
    json_group_modifymeminfo_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        unsafe {
            with_group_param(
                json_group_modifymeminfo_param,
                |p: &GroupModifyMemberInfoParam| p.group_id.as_deref(),
                cb,
                user_data,
                |client, p| async move {
                    client.modify_member(&p).await?;
                    Ok(String::new())
                },
            )
        }
    })
}

/// The requests to join and invitations this user decides (`GroupPendencyOption`): a
/// `GroupPendencyResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMGroupGetPendencyList(
    json_group_getpendence_list_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let option: GroupPendencyOption =
            match unsafe { json_required(json_group_getpendence_list_param) } {
                Ok(o) => o,
                Err(code) => return code,
            };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.group_pendencies(&option).await?))
        })
    })
}

/// Mark this user's pendencies seen up to `time_stamp` (seconds; milliseconds accepted).
#[no_mangle]
pub extern "C" fn TIMGroupReportPendencyReaded(
    time_stamp: u64,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.group_pendencies_read(time_stamp).await?;
            Ok(String::new())
        })
    })
}

/// Accept or refuse a request or invitation (`GroupHandlePendencyParam`, its pendency as the
/// list gave it).
#[no_mangle]
pub unsafe extern "C" fn TIMGroupHandlePendency(
    json_group_handle_pendency_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        unsafe {
            with_group_param(
                json_group_handle_pendency_param,
                |p: &GroupHandlePendencyParam| {
                    p.pendency.as_ref().and_then(|x| x.group_id.as_deref())
                },
                cb,
                user_data,
                |client, p| async move {
                    client.handle_group_pendency(&p).await?;
                    Ok(String::new())
                },
            )
        }
    })
}
