#![allow(non_snake_case)] // The library is named ImSDK, as the C SDK it replaces.
//! libImSDK: the Tencent Cloud IM C API, exported with the same names, types, enum numbers and
//! JSON keys, over the opentim SDK.
//!
//! Every export:
//! - catches panics ([`ffi::guard`]) and returns an error code instead of unwinding into C;
//! - checks pointers and UTF-8 before use (NULL or invalid strings give `TIM_ERR_PARAM`,
//!   malformed JSON gives `TIM_ERR_JSON`), and calls its callback only when it returned
//!   `TIM_SUCC`;
//! - never blocks on the network: work runs on the SDK's runtime and results come back through
//!   the callback thread ([`dispatch`]), one callback at a time, in order.
//!
//! Strings handed to callbacks are borrowed and valid only until the callback returns.

#![allow(clippy::missing_safety_doc)] // Safety contracts are documented in TIMCloud.h.

mod callbacks;
mod dispatch;
mod ffi;
mod log;

use std::ffi::{c_char, c_void};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentim_model::codes;
use opentim_model::config::{SdkConfig, SetConfig};
use opentim_model::enums::{ConvType, ElemType};
use opentim_model::message::Message;
use opentim_sdk::{Client, ClientOptions};

use callbacks::*;
use ffi::*;

/// Default server when neither `opentim_server_address` nor OPENTIM_SERVER_ADDRESS is set.
pub const DEFAULT_SERVER: &str = "ws://127.0.0.1:9300";
/// Environment variable read when `json_sdk_config` has no `opentim_server_address`.
pub const SERVER_ENV: &str = "OPENTIM_SERVER_ADDRESS";

struct Sdk {
    runtime: tokio::runtime::Runtime,
    client: Client,
}

static SDK: Mutex<Option<Arc<Sdk>>> = Mutex::new(None);
static CONFIG: Mutex<Option<SetConfig>> = Mutex::new(None);

fn sdk() -> Option<Arc<Sdk>> {
    SDK.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("opentim");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/share/opentim"),
        None => std::env::temp_dir().join("opentim"),
    }
}

/// Parse an optional JSON argument: NULL and "" mean `T::default()`.
unsafe fn json_arg<T: serde::de::DeserializeOwned + Default>(p: *const c_char) -> Result<T, i32> {
    // SAFETY: forwarded from the caller's contract.
    match unsafe { arg(p) } {
        Err(()) => Err(TIM_ERR_PARAM),
        Ok(None) => Ok(T::default()),
        Ok(Some(s)) if s.trim().is_empty() => Ok(T::default()),
        Ok(Some(s)) => serde_json::from_str(s).map_err(|e| {
            tracing::warn!(error = %e, "malformed JSON parameter");
            TIM_ERR_JSON
        }),
    }
}

#[no_mangle]
pub unsafe extern "C" fn TIMInit(sdk_app_id: u64, json_sdk_config: *const c_char) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let config: SdkConfig = match unsafe { json_arg(json_sdk_config) } {
            Ok(c) => c,
            Err(code) => return code,
        };
        let mut slot = SDK.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return TIM_SUCC;
        }
        log::install();
        let servers: Vec<String> = config
            .opentim_server_address
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                std::env::var(SERVER_ENV)
                    .ok()
                    .filter(|s| !s.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned())
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let data_dir = config
            .config_file_path
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(default_data_dir);
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("opentim-sdk")
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the SDK runtime");
                return TIM_ERR_PARAM;
            }
        };
        let mut options = ClientOptions::new(sdk_app_id, "", data_dir);
        options.servers = servers;
        let (client, mut events) = Client::new(options);
        runtime.spawn(async move {
            while let Some(event) = events.recv().await {
                deliver(event);
            }
        });
        tracing::info!(sdkappid = sdk_app_id, "TIMInit done");
        *slot = Some(Arc::new(Sdk { runtime, client }));
        TIM_SUCC
    })
}

#[no_mangle]
pub extern "C" fn TIMUninit() -> i32 {
    guard(TIM_ERR_SDKUNINIT, || {
        let Some(sdk) = SDK.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return TIM_ERR_SDKUNINIT;
        };
        let client = sdk.client.clone();
        let _ = sdk.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(3), client.logout()).await
        });
        // Let queued callbacks run before the runtime goes away (skipped on the callback thread).
        dispatch::drain();
        if let Ok(sdk) = Arc::try_unwrap(sdk) {
            sdk.runtime.shutdown_timeout(Duration::from_secs(2));
        }
        TIM_SUCC
    })
}

static VERSION: &str = concat!("opentim-", env!("CARGO_PKG_VERSION"), "\0");

#[no_mangle]
pub extern "C" fn TIMGetSDKVersion() -> *const c_char {
    VERSION.as_ptr().cast()
}

fn config_json() -> String {
    let cfg = CONFIG
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_default();
    let mut cfg = cfg;
    cfg.log_level = Some(opentim_model::enums::LogLevel(i64::from(
        log::FILE_LEVEL.load(Ordering::Relaxed),
    )));
    cfg.callback_log_level = Some(opentim_model::enums::LogLevel(i64::from(
        log::CALLBACK_LEVEL.load(Ordering::Relaxed),
    )));
    cfg.is_log_output_console = Some(log::CONSOLE.load(Ordering::Relaxed));
    serde_json::to_string(&cfg.complete()).unwrap_or_else(|_| "{}".into())
}

/// Keys present in `update` replace those of `current`; the others stay.
fn merge_config(current: SetConfig, update: SetConfig) -> SetConfig {
    SetConfig {
        log_level: update.log_level.or(current.log_level),
        callback_log_level: update.callback_log_level.or(current.callback_log_level),
        is_log_output_console: update
            .is_log_output_console
            .or(current.is_log_output_console),
        user_config: update.user_config.or(current.user_config),
        user_define_data: update.user_define_data.or(current.user_define_data),
        http_proxy_info: update.http_proxy_info.or(current.http_proxy_info),
        socks5_proxy_info: update.socks5_proxy_info.or(current.socks5_proxy_info),
        is_only_local_dns_source: update
            .is_only_local_dns_source
            .or(current.is_only_local_dns_source),
        proxy_info: update.proxy_info.or(current.proxy_info),
    }
}

#[no_mangle]
pub unsafe extern "C" fn TIMSetConfig(
    json_config: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let update: SetConfig = match unsafe { json_arg(json_config) } {
            Ok(c) => c,
            Err(code) => return code,
        };
        log::install();
        if let Some(l) = update.log_level {
            log::FILE_LEVEL.store(l.0 as i32, Ordering::Relaxed);
        }
        if let Some(l) = update.callback_log_level {
            log::CALLBACK_LEVEL.store(l.0 as i32, Ordering::Relaxed);
        }
        if let Some(c) = update.is_log_output_console {
            log::CONSOLE.store(c, Ordering::Relaxed);
        }
        {
            let mut current = CONFIG.lock().unwrap_or_else(|p| p.into_inner());
            let merged = merge_config(current.take().unwrap_or_default(), update);
            *current = Some(merged);
        }
        complete(
            cb,
            UserData(user_data),
            codes::ERR_SUCC,
            String::new(),
            config_json(),
        );
        TIM_SUCC
    })
}

#[no_mangle]
pub unsafe extern "C" fn TIMLogin(
    user_id: *const c_char,
    user_sig: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        let Some(sdk) = sdk() else {
            return TIM_ERR_SDKUNINIT;
        };
        // SAFETY: the caller passes NULL or valid C strings.
        let (Ok(Some(user)), Ok(Some(sig))) = (unsafe { arg(user_id) }, unsafe { arg(user_sig) })
        else {
            return TIM_ERR_PARAM;
        };
        let (user, sig, ud) = (user.to_owned(), sig.to_owned(), UserData(user_data));
        let client = sdk.client.clone();
        sdk.runtime.spawn(async move {
            let (code, desc) = match client.login(&user, &sig).await {
                Ok(()) => (codes::ERR_SUCC, String::new()),
                Err(e) => (e.code, e.desc),
            };
            complete(cb, ud, code, desc, String::new());
        });
        TIM_SUCC
    })
}

#[no_mangle]
pub unsafe extern "C" fn TIMLogout(cb: TIMCommCallback, user_data: *const c_void) -> i32 {
    guard(TIM_ERR_PARAM, || {
        let Some(sdk) = sdk() else {
            return TIM_ERR_SDKUNINIT;
        };
        let client = sdk.client.clone();
        let ud = UserData(user_data);
        sdk.runtime.spawn(async move {
            let (code, desc) = match client.logout().await {
                Ok(()) => (codes::ERR_SUCC, String::new()),
                Err(e) => (e.code, e.desc),
            };
            complete(cb, ud, code, desc, String::new());
        });
        TIM_SUCC
    })
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
        let Some(sdk) = sdk() else {
            return TIM_ERR_SDKUNINIT;
        };
        // SAFETY: the caller passes NULL or valid C strings.
        let (Ok(Some(conv)), Ok(Some(json))) =
            (unsafe { arg(conv_id) }, unsafe { arg(json_msg_param) })
        else {
            return TIM_ERR_PARAM;
        };
        let conv_type = ConvType(i64::from(conv_type));
        if conv_type != ConvType::C2C && conv_type != ConvType::GROUP {
            return TIM_ERR_CONV;
        }
        if sdk.client.login_user().is_none() {
            return TIM_ERR_NOTLOGIN;
        }
        let message: Message = match serde_json::from_str(json) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "TIMMsgSendNewMsg: malformed message JSON");
                return TIM_ERR_JSON;
            }
        };
        let ud = UserData(user_data);
        if let Some(bad) = message
            .elem_array
            .iter()
            .find(|e| !matches!(e.elem_type(), ElemType::TEXT | ElemType::CUSTOM))
        {
            let desc = format!(
                "elem_type {} cannot be sent yet: text (kTIMElem_Text) and custom (kTIMElem_Custom) elements can",
                bad.elem_type().0
            );
            complete(cb, ud, codes::ERR_INVALID_MSG_ELEM, desc, String::new());
            return TIM_SUCC;
        }
        let (client, conv) = (sdk.client.clone(), conv.to_owned());
        sdk.runtime.spawn(async move {
            match client.send_message(&conv, conv_type, message).await {
                Ok(sent) => {
                    let json = serde_json::to_string(&sent).unwrap_or_default();
                    complete(cb, ud, codes::ERR_SUCC, String::new(), json);
                }
                Err(e) => complete(cb, ud, e.code, e.desc, String::new()),
            }
        });
        TIM_SUCC
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

#[no_mangle]
pub extern "C" fn TIMSetNetworkStatusListenerCallback(
    cb: TIMNetworkStatusListenerCallback,
    user_data: *const c_void,
) {
    guard((), || {
        registry().network = cb.map(|f| (f, UserData(user_data)))
    })
}

#[no_mangle]
pub extern "C" fn TIMSetKickedOfflineCallback(
    cb: TIMKickedOfflineCallback,
    user_data: *const c_void,
) {
    guard((), || {
        registry().kicked = cb.map(|f| (f, UserData(user_data)))
    })
}

#[no_mangle]
pub extern "C" fn TIMSetUserSigExpiredCallback(
    cb: TIMUserSigExpiredCallback,
    user_data: *const c_void,
) {
    guard((), || {
        registry().sig_expired = cb.map(|f| (f, UserData(user_data)))
    })
}

#[no_mangle]
pub extern "C" fn TIMSetLogCallback(cb: TIMLogCallback, user_data: *const c_void) {
    guard((), || {
        log::install();
        registry().log = cb.map(|f| (f, UserData(user_data)));
    })
}
