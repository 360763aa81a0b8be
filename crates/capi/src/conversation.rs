//! Conversations: the cached list, single conversations, the total unread count.

use std::ffi::{c_char, c_void};

use opentim_model::codes::{
    TIM_ERR_CONV, TIM_ERR_NOTLOGIN, TIM_ERR_PARAM, TIM_ERR_SDKUNINIT, TIM_SUCC,
};
use opentim_model::conv::{Draft, GetConversationListParam, GetTotalUnreadNumberResult};
use opentim_model::enums::ConvType;

use crate::call::{sdk, spawn_call, Needs};
use crate::callbacks::{
    set_slot, TIMCommCallback, TIMConvEventCallback, TIMConvTotalUnreadMessageCountChangedCallback,
};
use crate::ffi::{guard, json_required, to_json, UserData};
use crate::message::conv_args;

#[no_mangle]
pub extern "C" fn TIMSetConvEventCallback(cb: TIMConvEventCallback, user_data: *const c_void) {
    set_slot(|r| &mut r.conv_event, cb, user_data);
}

#[no_mangle]
pub extern "C" fn TIMSetConvTotalUnreadMessageCountChangedCallback(
    cb: TIMConvTotalUnreadMessageCountChangedCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.total_unread, cb, user_data);
}

#[no_mangle]
pub extern "C" fn TIMConvGetConvList(cb: TIMCommCallback, user_data: *const c_void) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.conversations()?))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn TIMConvGetConvInfo(
    json_get_conv_list_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let wanted: Vec<GetConversationListParam> =
            match unsafe { json_required(json_get_conv_list_param) } {
                Ok(w) => w,
                Err(code) => return code,
            };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            let mut found = Vec::new();
            for w in wanted {
                let (Some(id), Some(t)) = (w.conv_id, w.conv_type) else {
                    continue;
                };
                found.extend(client.conversation(&id, t)?);
            }
            Ok(to_json(&found))
        })
    })
}

#[no_mangle]
pub extern "C" fn TIMConvGetTotalUnreadMessageCount(
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            let answer = GetTotalUnreadNumberResult {
                unread_count: Some(client.total_unread()?),
            };
            Ok(to_json(&answer))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn TIMConvCreate(
    conv_id: *const c_char,
    conv_type: i32,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let (id, t) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.create_conversation(&id, t)?))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn TIMConvDelete(
    conv_id: *const c_char,
    conv_type: i32,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let (id, t) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.delete_conversation(&id, t).await?;
            Ok(String::new())
        })
    })
}

/// Pin a conversation to the top of the list, or unpin it, on every device of this user.
#[no_mangle]
pub unsafe extern "C" fn TIMConvPinConversation(
    conv_id: *const c_char,
    conv_type: i32,
    is_pinned: bool,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let (id, t) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.pin_conversation(&id, t, is_pinned).await?;
            Ok(String::new())
        })
    })
}

/// The logged-in client, or the `TIMResult` saying why there is none.
fn logged_in() -> Result<opentim_sdk::Client, i32> {
    let sdk = sdk().ok_or(TIM_ERR_SDKUNINIT)?;
    match sdk.client.login_user() {
        Some(_) => Ok(sdk.client.clone()),
        None => Err(TIM_ERR_NOTLOGIN),
    }
}

/// Set or clear a draft for the synchronous draft exports.
fn draft_result(id: &str, t: ConvType, draft: Option<&Draft>) -> i32 {
    let client = match logged_in() {
        Ok(c) => c,
        Err(code) => return code,
    };
    match client.set_draft(id, t, draft) {
        Ok(()) => TIM_SUCC,
        Err(_) => TIM_ERR_CONV,
    }
}

#[no_mangle]
pub unsafe extern "C" fn TIMConvSetDraft(
    conv_id: *const c_char,
    conv_type: i32,
    json_draft_param: *const c_char,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let (id, t) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        // SAFETY: as above.
        let draft: Draft = match unsafe { json_required(json_draft_param) } {
            Ok(d) => d,
            Err(code) => return code,
        };
        draft_result(&id, t, Some(&draft))
    })
}

#[no_mangle]
pub unsafe extern "C" fn TIMConvCancelDraft(conv_id: *const c_char, conv_type: i32) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        match unsafe { conv_args(conv_id, conv_type) } {
            Ok((id, t)) => draft_result(&id, t, None),
            Err(code) => code,
        }
    })
}
