//! Conversations: the cached list, single conversations, the total unread count.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;
use opentim_model::conv::{GetConversationListParam, GetTotalUnreadNumberResult};

use crate::call::{spawn_call, Needs};
use crate::callbacks::{
    set_slot, TIMCommCallback, TIMConvEventCallback, TIMConvTotalUnreadMessageCountChangedCallback,
};
use crate::ffi::{guard, json_required, to_json, UserData};

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
