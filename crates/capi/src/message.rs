//! Sending and receiving messages.

use std::ffi::{c_char, c_void};

use opentim_model::codes::{
    ERR_SUCC, TIM_ERR_CONV, TIM_ERR_NOTLOGIN, TIM_ERR_PARAM, TIM_ERR_SDKUNINIT,
};
use opentim_model::conv::MsgLocator;
use opentim_model::enums::ConvType;
use opentim_model::message::{Message, MsgBatchSendParam, MsgGetMsgListParam};
use opentim_sdk::Client;

use crate::call::{sdk, spawn_call, Needs};
use crate::callbacks::{
    complete, registry, set_slot, TIMCommCallback, TIMMsgReadedReceiptCallback,
    TIMMsgRevokeCallback, TIMRecvNewMsgCallback,
};
use crate::ffi::{arg, guard, json_arg, json_required, to_json, write_c_buffer, UserData};

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

/// Room the caller's buffer of `TIMMsgSendMessage` is documented to have, NUL included.
const MESSAGE_ID_BUFFER: usize = 128;

/// The send of `TIMMsgSendMessage` and `TIMMsgSendNewMsgEx`: check the arguments, give the
/// message its id (handed to `with_id` before anything is sent), and send it.
///
/// # Safety
/// `conv_id` and `json_msg_param` are NULL or valid C strings.
unsafe fn send_with_id(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_param: *const c_char,
    with_id: impl FnOnce(&str) -> Result<(), i32>,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: forwarded from the caller's contract.
    let (conv, conv_type) = match unsafe { conv_args(conv_id, conv_type) } {
        Ok(a) => a,
        Err(code) => return code,
    };
    // SAFETY: as above.
    let message: Message = match unsafe { json_required(json_msg_param) } {
        Ok(m) => m,
        Err(code) => return code,
    };
    let Some(sdk) = sdk() else {
        return TIM_ERR_SDKUNINIT;
    };
    if sdk.client.login_user().is_none() {
        return TIM_ERR_NOTLOGIN;
    }
    let id = Client::new_message_id();
    if let Err(code) = with_id(&id) {
        return code;
    }
    spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
        let sent = client
            .send_message_with_id(&conv, conv_type, message, id)
            .await?;
        Ok(to_json(&sent))
    })
}

/// Send a message, writing its id (`message_msg_id`, NUL-terminated) into
/// `message_id_buffer` (at least 128 bytes; may be NULL) before returning.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSendMessage(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_param: *const c_char,
    message_id_buffer: *mut c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        let write = |id: &str| {
            if message_id_buffer.is_null() {
                return Ok(());
            }
            // SAFETY: a non-NULL buffer holds at least 128 bytes (the documented contract).
            match unsafe { write_c_buffer(message_id_buffer, MESSAGE_ID_BUFFER, id) } {
                true => Ok(()),
                false => Err(TIM_ERR_PARAM),
            }
        };
        // SAFETY: the caller passes NULL or valid C strings.
        unsafe { send_with_id(conv_id, conv_type, json_msg_param, write, cb, user_data) }
    })
}

/// Send a message; `msgid_cb` gets its id (as the JSON string argument, code 0) before
/// `res_cb` gets the result of the send.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSendNewMsgEx(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_param: *const c_char,
    msgid_cb: TIMCommCallback,
    res_cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        let report = |id: &str| {
            let ud = UserData(user_data);
            complete(msgid_cb, ud, ERR_SUCC, String::new(), id.to_owned());
            Ok(())
        };
        // SAFETY: the caller passes NULL or valid C strings.
        unsafe {
            send_with_id(
                conv_id,
                conv_type,
                json_msg_param,
                report,
                res_cb,
                user_data,
            )
        }
    })
}

/// Cancel the send of a message (by its `message_msg_id`) that has not left this device yet;
/// its send callback then reports 8021 and it becomes `kTIMMsg_Cancel`. Too late: 8020.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgCancelSend(
    conv_id: *const c_char,
    conv_type: i32,
    message_id: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        if let Err(code) = unsafe { conv_args(conv_id, conv_type) } {
            return code;
        }
        // SAFETY: as above.
        let id = match unsafe { arg(message_id) } {
            Ok(Some(id)) if !id.is_empty() => id.to_owned(),
            _ => return TIM_ERR_PARAM,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.cancel_send(&id).await?;
            Ok(String::new())
        })
    })
}

/// Send one message to many users as separate C2C messages (`MsgBatchSendParam`); the
/// callback gets one `MsgBatchSendResult` per recipient, in order.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgBatchSend(
    json_batch_send_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let param: MsgBatchSendParam = match unsafe { json_required(json_batch_send_param) } {
            Ok(p) => p,
            Err(code) => return code,
        };
        let (Some(recipients), Some(message)) = (param.identifier_array, param.msg) else {
            return TIM_ERR_PARAM;
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            let results = client.batch_send(&recipients, message).await?;
            Ok(to_json(&results))
        })
    })
}
