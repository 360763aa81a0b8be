//! The registered event callbacks and how SDK events reach them.
//!
//! Registration works before `TIMInit` and survives it. Delivery copies what is registered out
//! of the lock before calling C, so a callback may register or remove callbacks itself.

use std::ffi::{c_char, c_void};
use std::sync::Mutex;

use opentim_sdk::SdkEvent;

use crate::dispatch;
use crate::ffi::{cstring, UserData};

pub type TIMCommCallback =
    Option<unsafe extern "C" fn(i32, *const c_char, *const c_char, *const c_void)>;
pub type TIMRecvNewMsgCallback = Option<unsafe extern "C" fn(*const c_char, *const c_void)>;
pub type TIMNetworkStatusListenerCallback =
    Option<unsafe extern "C" fn(i32, i32, *const c_char, *const c_void)>;
pub type TIMKickedOfflineCallback = Option<unsafe extern "C" fn(*const c_void)>;
pub type TIMUserSigExpiredCallback = Option<unsafe extern "C" fn(*const c_void)>;
pub type TIMLogCallback = Option<unsafe extern "C" fn(i32, *const c_char, *const c_void)>;

pub type RecvFn = unsafe extern "C" fn(*const c_char, *const c_void);

#[derive(Default)]
pub struct Registry {
    pub recv_new_msg: Vec<(RecvFn, UserData)>,
    pub network: Option<(
        unsafe extern "C" fn(i32, i32, *const c_char, *const c_void),
        UserData,
    )>,
    pub kicked: Option<(unsafe extern "C" fn(*const c_void), UserData)>,
    pub sig_expired: Option<(unsafe extern "C" fn(*const c_void), UserData)>,
    pub log: Option<(
        unsafe extern "C" fn(i32, *const c_char, *const c_void),
        UserData,
    )>,
}

pub static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    recv_new_msg: Vec::new(),
    network: None,
    kicked: None,
    sig_expired: None,
    log: None,
});

pub fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Queue a `TIMCommCallback` call on the callback thread.
pub fn complete(cb: TIMCommCallback, user_data: UserData, code: i32, desc: String, json: String) {
    let Some(cb) = cb else { return };
    dispatch::post(move || {
        let desc = cstring(desc);
        let json = cstring(json);
        // SAFETY: the caller registered this function with this user_data; the strings live
        // until it returns.
        unsafe { cb(code, desc.as_ptr(), json.as_ptr(), user_data.ptr()) };
    });
}

/// Deliver one SDK event to the registered callbacks (on the callback thread).
pub fn deliver(event: SdkEvent) {
    dispatch::post(move || match event {
        SdkEvent::NewMessages(msgs) => {
            let json = cstring(serde_json::to_string(&msgs).unwrap_or_else(|_| "[]".into()));
            let targets = registry().recv_new_msg.clone();
            for (cb, ud) in targets {
                // SAFETY: registered by the application; json lives until the loop ends.
                unsafe { cb(json.as_ptr(), ud.ptr()) };
            }
        }
        SdkEvent::Network { status, code, desc } => {
            let target = registry().network;
            if let Some((cb, ud)) = target {
                let desc = cstring(desc);
                // SAFETY: as above.
                unsafe { cb(status.0 as i32, code, desc.as_ptr(), ud.ptr()) };
            }
        }
        SdkEvent::KickedOffline => {
            let target = registry().kicked;
            if let Some((cb, ud)) = target {
                // SAFETY: as above.
                unsafe { cb(ud.ptr()) };
            }
        }
        SdkEvent::UserSigExpired => {
            let target = registry().sig_expired;
            if let Some((cb, ud)) = target {
                // SAFETY: as above.
                unsafe { cb(ud.ptr()) };
            }
        }
        // Conversation events reach C once TIMSetConvEventCallback is exported.
        SdkEvent::Conversations(..) => {}
    });
}
