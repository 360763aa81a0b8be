//! Login, logout and the session's events.

use std::ffi::{c_char, c_void};

use opentim_model::codes::{TIM_ERR_NOTLOGIN, TIM_ERR_PARAM, TIM_ERR_SDKUNINIT, TIM_SUCC};
use opentim_model::enums::LoginStatus;

use crate::call::{sdk, spawn_call, Needs};
use crate::callbacks::{
    set_slot, TIMCommCallback, TIMKickedOfflineCallback, TIMNetworkStatusListenerCallback,
    TIMUserSigExpiredCallback,
};
use crate::ffi::{arg, guard, write_c_buffer, UserData};

#[no_mangle]
pub unsafe extern "C" fn TIMLogin(
    user_id: *const c_char,
    user_sig: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or valid C strings.
        let (Ok(Some(user)), Ok(Some(sig))) = (unsafe { arg(user_id) }, unsafe { arg(user_sig) })
        else {
            return TIM_ERR_PARAM;
        };
        let (user, sig) = (user.to_owned(), sig.to_owned());
        spawn_call(Needs::Init, cb, UserData(user_data), |client| async move {
            client.login(&user, &sig).await.map(|()| String::new())
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn TIMLogout(cb: TIMCommCallback, user_data: *const c_void) -> i32 {
    guard(TIM_ERR_PARAM, || {
        spawn_call(Needs::Init, cb, UserData(user_data), |client| async move {
            client.logout().await.map(|()| String::new())
        })
    })
}

#[no_mangle]
pub extern "C" fn TIMSetNetworkStatusListenerCallback(
    cb: TIMNetworkStatusListenerCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.network, cb, user_data);
}

#[no_mangle]
pub extern "C" fn TIMSetKickedOfflineCallback(
    cb: TIMKickedOfflineCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.kicked, cb, user_data);
}

#[no_mangle]
pub extern "C" fn TIMSetUserSigExpiredCallback(
    cb: TIMUserSigExpiredCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.sig_expired, cb, user_data);
}

/// Room the caller's buffer of `TIMGetLoginUserID` is documented to have, NUL included.
const USER_ID_BUFFER: usize = 128;

/// Where the login stands: `kTIMLoginStatus_UnLogined` before `TIMInit` or any login.
#[no_mangle]
pub extern "C" fn TIMGetLoginStatus() -> i32 {
    guard(LoginStatus::UNLOGINED.0 as i32, || {
        sdk()
            .map_or(LoginStatus::UNLOGINED, |s| s.client.login_status())
            .0 as i32
    })
}

/// Copy the logged-in user id, NUL-terminated, into `user_id_buffer` (at least 128 bytes).
#[no_mangle]
pub unsafe extern "C" fn TIMGetLoginUserID(user_id_buffer: *mut c_char) -> i32 {
    guard(TIM_ERR_PARAM, || {
        if user_id_buffer.is_null() {
            return TIM_ERR_PARAM;
        }
        let Some(sdk) = sdk() else {
            return TIM_ERR_SDKUNINIT;
        };
        let Some(user) = sdk.client.login_user() else {
            return TIM_ERR_NOTLOGIN;
        };
        // SAFETY: the caller's buffer holds at least 128 bytes (the documented contract).
        match unsafe { write_c_buffer(user_id_buffer, USER_ID_BUFFER, &user) } {
            true => TIM_SUCC,
            false => TIM_ERR_PARAM,
        }
    })
}
