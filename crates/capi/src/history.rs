//! Stored messages: finding them by id, local custom data, messages kept without sending,
//! deleting for oneself, and the message update callback.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;
use opentim_model::enums::ReceiveMessageOpt;
use opentim_model::message::{Message, MessageSearchParam, MsgDeleteParam};

use crate::call::{spawn_call, Needs};
use crate::callbacks::{set_slot, TIMCommCallback, TIMMsgUpdateCallback};
use crate::ffi::{guard, json_arg, json_required, to_json, UserData};
use crate::message::conv_args;

/// The cached messages with these ids (a JSON array of `message_msg_id` strings), from any
/// conversation, in the order asked; ids not on this device are left out.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgFindMessages(
    json_message_id_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let ids: Vec<String> = match unsafe { json_required(json_message_id_array) } {
            Ok(ids) => ids,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.find_messages(&ids)?))
        })
    })
}

/// Keep a message's `message_custom_int` / `message_custom_str` on this device (the message
/// named by its `message_msg_id`); `TIMMsgUpdateCallback` reports it changed.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSetLocalCustomData(
    json_msg_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let message: Message = match unsafe { json_required(json_msg_param) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        if message.msg_id.as_deref().is_none_or(str::is_empty) {
            return TIM_ERR_PARAM;
        }
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.set_local_custom_data(&message)?;
            Ok(String::new())
        })
    })
}

#[no_mangle]
pub extern "C" fn TIMSetMsgUpdateCallback(cb: TIMMsgUpdateCallback, user_data: *const c_void) {
    set_slot(|r| &mut r.msg_update, cb, user_data);
}

/// Keep caller-built messages in a conversation of this device without sending them
/// (`kTIMMsg_LocalImported`).
///
/// # Safety
/// `conv_id` and `json` are NULL or valid C strings.
unsafe fn import(
    conv_id: *const c_char,
    conv_type: i32,
    messages: Result<Vec<Message>, i32>,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    // SAFETY: forwarded from the caller's contract.
    let (conv, conv_type) = match unsafe { conv_args(conv_id, conv_type) } {
        Ok(a) => a,
        Err(code) => return code,
    };
    let messages = match messages {
        Ok(m) if !m.is_empty() => m,
        Ok(_) => return TIM_ERR_PARAM,
        Err(code) => return code,
    };
    spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
        client.import_messages(&conv, conv_type, messages)?;
        Ok(String::new())
    })
}

/// Keep one caller-built message in a conversation of this device, unsent.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSaveMsg(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let message = unsafe { json_required::<Message>(json_msg_param) }.map(|m| vec![m]);
        // SAFETY: as above.
        unsafe { import(conv_id, conv_type, message, cb, user_data) }
    })
}

/// Keep caller-built messages (a JSON array of `Message`) in a conversation of this device.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgImportMsgList(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let messages = unsafe { json_required::<Vec<Message>>(json_msg_array) };
        // SAFETY: as above.
        unsafe { import(conv_id, conv_type, messages, cb, user_data) }
    })
}

/// Delete from this device one message (`msg_delete_param_msg`, by its `message_msg_id`) or,
/// without one, every message of the conversation. The server keeps them (use
/// `TIMMsgListDelete` for that); `msg_delete_param_is_remble` is ignored, as since 5.0.6.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgDelete(
    conv_id: *const c_char,
    conv_type: i32,
    json_msgdel_param: *const c_char,
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
        let param: MsgDeleteParam = match unsafe { json_arg(json_msgdel_param) } {
            Ok(p) => p,
            Err(code) => return code,
        };
        let id = match param.msg {
            Some(m) => match m.msg_id.filter(|id| !id.is_empty()) {
                Some(id) => Some(id),
                None => return TIM_ERR_PARAM, // not a message the SDK handed out
            },
            None => None,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.delete_local(&conv, conv_type, id.as_deref())?;
            Ok(String::new())
        })
    })
}

/// Delete messages (a JSON array of `Message`) for this user on every device and on the
/// server; the peer keeps theirs.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgListDelete(
    conv_id: *const c_char,
    conv_type: i32,
    json_msg_array: *const c_char,
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
        let messages: Vec<Message> = match unsafe { json_required(json_msg_array) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        if messages.is_empty() {
            return TIM_ERR_PARAM;
        }
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.delete_messages(&conv, conv_type, &messages).await?;
            Ok(String::new())
        })
    })
}

/// Clear a conversation's history for this user on every device and on the server; the peer
/// keeps theirs.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgClearHistoryMessage(
    conv_id: *const c_char,
    conv_type: i32,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let (conv, conv_type) = match unsafe { conv_args(conv_id, conv_type) } {
            Ok(a) => a,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.clear_history(&conv, conv_type).await?;
            Ok(String::new())
        })
    })
}

/// Search the cached messages (`MessageSearchParam`); the callback gets a
/// `MessageSearchResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSearchLocalMessages(
    json_search_message_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let param: MessageSearchParam = match unsafe { json_required(json_search_message_param) } {
            Ok(p) => p,
            Err(code) => return code,
        };
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.search_local(&param)?))
        })
    })
}

/// Set how this user receives C2C messages from the users of `json_identifier_array` (on the
/// server, for every device).
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSetC2CReceiveMessageOpt(
    json_identifier_array: *const c_char,
    opt: i32,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let peers: Vec<String> = match unsafe { json_required(json_identifier_array) } {
            Ok(p) => p,
            Err(code) => return code,
        };
        let opt = ReceiveMessageOpt(i64::from(opt));
        if peers.is_empty() || !ReceiveMessageOpt::MEMBERS.iter().any(|(_, v)| *v == opt.0) {
            return TIM_ERR_PARAM;
        }
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            client.set_c2c_receive_opt(&peers, opt).await?;
            Ok(String::new())
        })
    })
}

/// How this user receives C2C messages from the users of `json_identifier_array`: an array of
/// `GetC2CRecvMsgOptResult`.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgGetC2CReceiveMessageOpt(
    json_identifier_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let peers: Vec<String> = match unsafe { json_required(json_identifier_array) } {
            Ok(p) => p,
            Err(code) => return code,
        };
        if peers.is_empty() {
            return TIM_ERR_PARAM;
        }
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.c2c_receive_opts(&peers).await?))
        })
    })
}

/// The messages of a merged (forwarded bundle) message: an array of `Message`.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgDownloadMergerMessage(
    json_single_msg: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let message: Message = match unsafe { json_required(json_single_msg) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        if !message
            .elem_array
            .iter()
            .any(|e| matches!(e, opentim_model::elem::Elem::Merger(_)))
        {
            return TIM_ERR_PARAM;
        }
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            Ok(to_json(&client.download_merger(&message).await?))
        })
    })
}
