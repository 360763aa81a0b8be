//! Sending and receiving messages.

use std::ffi::{c_char, c_void};

use opentim_model::codes::{TIM_ERR_CONV, TIM_ERR_PARAM};
use opentim_model::conv::MsgLocator;
use opentim_model::enums::ConvType;
use opentim_model::message::{Message, MsgGetMsgListParam};

use crate::call::{spawn_call, Needs};
use crate::callbacks::{
    registry, set_slot, TIMCommCallback, TIMMsgReadedReceiptCallback, TIMMsgRevokeCallback,
    TIMRecvNewMsgCallback,
};
use crate::ffi::{arg, guard, json_arg, json_required, to_json, UserData};

/// The conversation types the API knows (the server decides which it serves).
pub fn conv_type(n: i32) -> Result<ConvType, i32> {
    let t = ConvType(i64::from(n));
    match t == ConvType::C2C || t == ConvType::GROUP {
        true => Ok(t),
        false => Err(TIM_ERR_CONV),
    }
}

/// The conversation id and type arguments of an export: a non-empty UTF-8 id and a type the
/// API knows.
///
/// # Safety
/// `conv_id` is NULL or a valid C string.
pub unsafe fn conv_args(conv_id: *const c_char, conv_type: i32) -> Result<(String, ConvType), i32> {
    // SAFETY: forwarded from the caller's contract.
    match unsafe { arg(conv_id) } {
        Ok(Some(id)) if !id.is_empty() => Ok((id.to_owned(), self::conv_type(conv_type)?)),
        _ => Err(TIM_ERR_PARAM),
    }
}

#[no_mangle]
pub unsafe extern "C" fn TIMMsgSendNewMsg(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let (conv, conv_type) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        // SAFETY: as above.
        let message: Message = match unsafe { json_required(json_msg_param) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            let sent = client.send_message(&conv, conv_type, message).await?;
            Ok(to_json(&sent))
        })
    })
}

/// Mark a conversation read up to a message (NULL or "": up to its newest one); a NULL or ""
/// `conv_id` marks every conversation of `conv_type` read.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgReportReaded(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let Ok(conv) = (unsafe { arg(conv_id) }) else {
            return TIM_ERR_PARAM;
        };
        let conv = conv.filter(|c| !c.is_empty()).map(str::to_owned);
        let conv_type = match self::conv_type(conv_type) {
            Ok(t) => t,
            Err(code) => return code,
        };
        // SAFETY: as above.
        let up_to: Message = match unsafe { json_arg(json_msg_param) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            match conv {
                Some(conv) => {
                    let seq = up_to.seq.unwrap_or(0);
                    client.mark_read(&conv, conv_type, seq).await?
                }
                None => client.mark_all_read(Some(conv_type)).await?,
            }
            Ok(String::new())
        })
    })
}

/// Recall a message this user sent (one the SDK handed out: its `message_seq` names it).
#[no_mangle]
pub unsafe extern "C" fn TIMMsgRevoke(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let (conv, conv_type) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        // SAFETY: as above.
        let message: Message = match unsafe { json_required(json_msg_param) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        let Some(seq) = message.seq.filter(|s| *s > 0) else {
            return TIM_ERR_PARAM; // not a message the server stored
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.revoke(&conv, conv_type, seq).await?;
            Ok(String::new())
        })
    })
}

#[no_mangle]
pub extern "C" fn TIMSetMsgRevokeCallback(cb: TIMMsgRevokeCallback, user_data: *const c_void) {
    set_slot(|r| &mut r.revoke, cb, user_data);
}

/// A page of a conversation's history (`MsgGetMsgListParam`), from the cache, completed from
/// the server with `msg_getmsglist_param_is_remble`.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgGetMsgList(
    conv_id: *const c_char,
    conv_type: i32,
    json_get_msg_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let (conv, conv_type) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        // SAFETY: as above.
        let param: MsgGetMsgListParam = match unsafe { json_arg(json_get_msg_param) } {
            Ok(p) => p,
            Err(code) => return code,
        };
        let anchor = param.last_msg.as_ref().and_then(|m| m.seq);
        if param.last_msg.is_some() && anchor.is_none() {
            return TIM_ERR_PARAM; // an anchor the server never stored
        }
        let count = param.count.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let (forward, roaming) = (
            param.is_forward.unwrap_or(false),
            param.is_remble.unwrap_or(false),
        );
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            let page = client
                .message_page(&conv, conv_type, anchor, forward, count, roaming)
                .await?;
            Ok(to_json(&page))
        })
    })
}

/// The cached messages of one conversation that the locators name (by `message_locator_seq`).
#[no_mangle]
pub unsafe extern "C" fn TIMMsgFindByMsgLocatorList(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_locator_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let (conv, conv_type) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        // SAFETY: as above.
        let locators: Vec<MsgLocator> = match unsafe { json_required(json_msg_locator_array) } {
            Ok(l) => l,
            Err(code) => return code,
        };
        let seqs: Vec<u64> = locators.iter().filter_map(|l| l.seq).collect();
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.find_by_seqs(&conv, conv_type, &seqs)?))
        })
    })
}

/// Messages per `TIMMsgGetMsgList` page when `msg_getmsglist_param_count` is absent, and the
/// most one page holds.
const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;

/// Mark every conversation read.
#[no_mangle]
pub extern "C" fn TIMMsgMarkAllMessageAsRead(cb: TIMCommCallback, user_data: *const c_void) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.mark_all_read(None).await?;
            Ok(String::new())
        })
    })
}

#[no_mangle]
pub extern "C" fn TIMSetMsgReadedReceiptCallback(
    cb: TIMMsgReadedReceiptCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.receipt, cb, user_data);
}

#[no_mangle]
pub extern "C" fn TIMAddRecvNewMsgCallback(cb: TIMRecvNewMsgCallback, user_data: *const c_void) {
    guard((), || {
        let Some(cb) = cb else { return };
        let mut reg = registry();
        reg.recv_new_msg.retain(|(f, _)| *f as usize != cb as usize);
        reg.recv_new_msg.push((cb, UserData(user_data)));
    })
}

#[no_mangle]
pub extern "C" fn TIMRemoveRecvNewMsgCallback(cb: TIMRecvNewMsgCallback) {
    guard((), || {
        let Some(cb) = cb else { return };
        registry()
            .recv_new_msg
            .retain(|(f, _)| *f as usize != cb as usize);
    })
}
