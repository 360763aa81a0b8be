//! Sending and receiving messages.

use std::ffi::{c_char, c_void};

use opentim_model::codes::{TIM_ERR_CONV, TIM_ERR_PARAM};
use opentim_model::enums::ConvType;
use opentim_model::message::Message;

use crate::call::{spawn_call, Needs};
use crate::callbacks::{registry, TIMCommCallback, TIMRecvNewMsgCallback};
use crate::ffi::{arg, guard, json_required, to_json, UserData};

/// The conversation types the API knows (the server decides which it serves).
pub fn conv_type(n: i32) -> Result<ConvType, i32> {
    let t = ConvType(i64::from(n));
    match t == ConvType::C2C || t == ConvType::GROUP {
        true => Ok(t),
        false => Err(TIM_ERR_CONV),
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
        let Ok(Some(conv)) = (unsafe { arg(conv_id) }) else {
            return TIM_ERR_PARAM;
        };
        let conv_type = match self::conv_type(conv_type) {
            Ok(t) => t,
            Err(code) => return code,
        };
        // SAFETY: as above.
        let message: Message = match unsafe { json_required(json_msg_param) } {
            Ok(m) => m,
            Err(code) => return code,
        };
        let conv = conv.to_owned();
        spawn_call(Needs::Login, cb, UserData(user_data), |client| async move {
            let sent = client.send_message(&conv, conv_type, message).await?;
            Ok(to_json(&sent))
        })
    })
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
