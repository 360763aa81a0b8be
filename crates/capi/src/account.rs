//! Login, logout and the session's events.

use std::ffi::{c_char, c_void};

use opentim_model::codes::TIM_ERR_PARAM;

use crate::call::{spawn_call, Needs};
use crate::callbacks::{
    set_slot, TIMCommCallback, TIMKickedOfflineCallback, TIMNetworkStatusListenerCallback,
    TIMUserSigExpiredCallback,
};
use crate::ffi::{arg, guard, UserData};

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
