//! Group read receipts (the 6.0 functions the later desktop wrappers bind at load time).

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;
use opentim_model::enums::GroupMessageReadMembersFilter;
use opentim_model::message::Message;

use crate::call::{spawn_call, spawn_task, Needs};
use crate::callbacks::{
    set_slot, TIMCommCallback, TIMMsgGroupReadMembersCallback, TIMMsgGroupReadReceiptCallback,
};
use crate::dispatch;
use crate::ffi::{cstring, guard, json_required, to_json, UserData};

/// The messages of a `json_msg_array` argument: a non-empty JSON array of `Message`.
///
/// # Safety
/// `json` is NULL or a valid C string.
unsafe fn messages(json: *const c_char) -> Result<Vec<Message>, i32> {
    // SAFETY: forwarded from the caller's contract.
    match unsafe { json_required::<Vec<Message>>(json) } {
        Ok(m) if m.is_empty() => Err(TIM_ERR_PARAM),
        other => other,
    }
}

/// Report that this user read these group messages (an array of `Message` as received).
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSendGroupMessageReceipts(
    json_msg_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let msgs = match unsafe { messages(json_msg_array) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move {
                client.send_group_receipts(&msgs).await?;
                Ok(String::new())
            },
        )
    })
}

/// The read and unread counts of these group messages: an array of `GroupMessageReceipt`.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgGetGroupMessageReceipts(
    json_msg_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let msgs = match unsafe { messages(json_msg_array) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move { Ok(to_json(&client.group_receipts(&msgs).await?)) },
        )
    })
}

/// A page of the members who read (or have not read) a group message: the callback gets an
/// array of `GroupMemberInfo`, where the next page starts, and whether this is the last. The
/// callback has no error code: a request the server refuses answers an empty, last page (the
/// reason is logged).
#[no_mangle]
pub unsafe extern "C" fn TIMMsgGetGroupMessageReadMembers(
    json_msg: *const c_char,
    filter: i32,
    next_seq: u64,
    count: u32,
    cb: TIMMsgGroupReadMembersCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let msg: Message = match unsafe { json_required(json_msg) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        let read = match GroupMessageReadMembersFilter(i64::from(filter)) {
            GroupMessageReadMembersFilter::READ => true,
            GroupMessageReadMembersFilter::UNREAD => false,
            _ => return TIM_ERR_PARAM,
        };
        let Some(cb) = cb else {
            return TIM_ERR_PARAM;
        };
        let ud = UserData(user_data);
        spawn_task(Needs::Login, move |client| async move {
            let (json, next, finished) = match client
                .group_read_members(&msg, read, next_seq, count)
                .await
            {
                Ok((members, next, finished)) => (to_json(&members), next, finished),
                Err(e) => {
                    tracing::warn!(code = e.code, desc = %e.desc, "TIMMsgGetGroupMessageReadMembers failed");
                    ("[]".to_owned(), 0, true)
                }
            };
            dispatch::post(move || {
                let json = cstring(json);
                // SAFETY: the caller registered this function with this user_data; the string
                // lives until it returns.
                unsafe { cb(json.as_ptr(), next, finished, ud.ptr()) };
            });
        })
    })
}

/// Receive the read counts of this user's group messages as members read them (an array of
/// `GroupMessageReceipt`).
#[no_mangle]
pub extern "C" fn TIMSetMsgGroupMessageReceiptCallback(
    cb: TIMMsgGroupReadReceiptCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.group_receipts, cb, user_data);
}
