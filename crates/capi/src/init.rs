//! Initialisation, configuration, version and the log callback.

use std::ffi::{c_char, c_void};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentim_model::codes::{
    self, ERR_INVALID_PARAMETERS, TIM_ERR_JSON, TIM_ERR_PARAM, TIM_ERR_SDKUNINIT, TIM_SUCC,
};
use opentim_model::config::{SdkConfig, SetConfig};
use opentim_sdk::{Client, ClientOptions, SdkError};

use crate::call::{sdk, spawn_call, Needs, Sdk, SDK};
use crate::callbacks::{complete, deliver, registry, TIMCommCallback, TIMLogCallback};
use crate::dispatch;
use crate::ffi::{guard, json_arg, json_required, UserData};
use crate::log;

static CONFIG: Mutex<Option<SetConfig>> = Mutex::new(None);

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
        let options = ClientOptions::from_sdk_config(sdk_app_id, &config);
        let log_dir = match config.log_file_path.as_deref() {
            Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
            _ => options.data_dir.join("log"),
        };
        log::open_file(&log_dir);
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("opentim-sdk")
            .on_thread_start(log::adopt_thread)
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the SDK runtime");
                return TIM_ERR_PARAM;
            }
        };
        let (client, mut events) = Client::new(options);
        runtime.spawn(async move {
            while let Some(event) = events.recv().await {
                deliver(event);
            }
        });
        tracing::info!(sdkappid = sdk_app_id, log = %log_dir.display(), "TIMInit done");
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
        // Callbacks not yet started are dropped: the application may free their user data once
        // this returns. Nothing here waits for the callback thread, which the host may not be
        // able to run right now (an FFI host that runs callbacks on the thread calling us).
        dispatch::cancel_pending();
        if let Ok(sdk) = Arc::try_unwrap(sdk) {
            sdk.runtime.shutdown_timeout(Duration::from_secs(2));
        }
        TIM_SUCC
    })
}

static VERSION: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();

#[no_mangle]
pub extern "C" fn TIMGetSDKVersion() -> *const c_char {
    VERSION
        .get_or_init(|| crate::ffi::cstring(opentim_sdk::VERSION))
        .as_ptr()
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
    serde_json::to_string(&cfg.answer()).unwrap_or_else(|_| "{}".into())
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
pub extern "C" fn TIMSetLogCallback(cb: TIMLogCallback, user_data: *const c_void) {
    guard((), || {
        log::install();
        registry().log = cb.map(|f| (f, UserData(user_data)));
    })
}

/// The server's clock in seconds (the local clock before the first login).
#[no_mangle]
pub extern "C" fn TIMGetServerTime() -> u64 {
    guard(0, || {
        let local = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        sdk().map_or(local, |s| s.client.server_time())
    })
}

/// Internal operations `callExperimentalAPI` carries out (they only inform or have nothing to
/// change here): setting the UI platform tag, the environment, an IPv6 preference.
const ACCEPTED_OPERATIONS: &[&str] = &[
    "internal_operation_set_ui_platform",
    "internal_operation_set_env",
    "internal_operation_set_ipv6_prior",
];

#[derive(serde::Deserialize)]
struct ExperimentalRequest {
    request_internal_operation: Option<String>,
    request_set_env_param: Option<bool>,
    request_set_ui_platform_param: Option<u32>,
}

/// Answer the documented internal operations that make sense here with 0; every other one
/// (tiny ids, SSO data, custom servers, encryption, ...) with ERR_INVALID_PARAMETERS (6017) and
/// a text naming it.
#[no_mangle]
pub unsafe extern "C" fn callExperimentalAPI(
    json_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: the caller passes NULL or a valid C string.
        let req: ExperimentalRequest = match unsafe { json_required(json_param) } {
            Ok(r) => r,
            Err(code) => return code,
        };
        let Some(op) = req.request_internal_operation else {
            return TIM_ERR_JSON;
        };
        spawn_call(Needs::Init, cb, UserData(user_data), move |_| async move {
            if !ACCEPTED_OPERATIONS.contains(&op.as_str()) {
                return Err(SdkError::new(
                    ERR_INVALID_PARAMETERS,
                    format!("internal operation {op:?} is not supported by opentim"),
                ));
            }
            if let Some(p) = req.request_set_ui_platform_param {
                tracing::info!(ui_platform = p, "UI platform set");
            }
            let mut answer = serde_json::json!({ "response_internal_operation": op });
            if op == "internal_operation_set_env" {
                // One environment only, the server of opentim_server_address: never "test".
                tracing::info!(requested_test = ?req.request_set_env_param, "environment kept");
                answer["response_set_env_res"] = false.into();
            }
            Ok(answer.to_string())
        })
    })
}
