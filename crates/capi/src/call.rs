//! The SDK instance behind the C API, and the one path every asynchronous export takes:
//! guard → arguments → SDK initialised → logged in → spawn → `TIMCommCallback`.

use std::ffi::{c_char, c_void};
use std::future::Future;
use std::sync::{Arc, Mutex};

use opentim_model::codes::{
    ERR_SUCC, TIM_ERR_NOTLOGIN, TIM_ERR_PARAM, TIM_ERR_SDKUNINIT, TIM_SUCC,
};
use opentim_sdk::{Client, SdkError};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::callbacks::{complete, TIMCommCallback};
use crate::ffi::{guard, json_arg, json_required, to_json, UserData};

pub struct Sdk {
    pub runtime: tokio::runtime::Runtime,
    pub client: Client,
}

pub static SDK: Mutex<Option<Arc<Sdk>>> = Mutex::new(None);

/// The initialised SDK, if any.
pub fn sdk() -> Option<Arc<Sdk>> {
    SDK.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// What an export needs before it may start.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// `TIMInit` done.
    Init,
    /// `TIMInit` done and a user logged in.
    Login,
}

/// Start `work` on the SDK runtime and report its result to `cb` with `user_data`: code 0 and
/// the JSON on success, the SDK's code and text otherwise. Returns the `TIMResult`.
pub fn spawn_call<F, Fut>(needs: Needs, cb: TIMCommCallback, ud: UserData, work: F) -> i32
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = Result<String, SdkError>> + Send + 'static,
{
    spawn_task(needs, move |client| {
        let fut = work(client);
        async move {
            match fut.await {
                Ok(json) => complete(cb, ud, ERR_SUCC, String::new(), json),
                Err(e) => complete(cb, ud, e.code, e.desc, String::new()),
            }
        }
    })
}

/// Start `work` on the SDK runtime, once the SDK is ready as `needs` says; `work` reports its
/// own result (an export whose callback is not a `TIMCommCallback`). Returns the `TIMResult`.
pub fn spawn_task<F, Fut>(needs: Needs, work: F) -> i32
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(sdk) = sdk() else {
        return TIM_ERR_SDKUNINIT;
    };
    if needs == Needs::Login && sdk.client.login_user().is_none() {
        return TIM_ERR_NOTLOGIN;
    }
    sdk.runtime.spawn(work(sdk.client.clone()));
    TIM_SUCC
}

/// The one shape of an export taking one JSON parameter: parse `json` as `P` (`required`:
/// NULL is `TIM_ERR_PARAM`; else NULL reads as the default), then run `work` on the logged-in
/// client and answer its result as JSON (`T = ()` answers "").
///
/// # Safety
/// `json` is NULL or a valid C string.
pub unsafe fn json_call<P, T, F, Fut>(
    json: *const c_char,
    required: bool,
    cb: TIMCommCallback,
    user_data: *const c_void,
    work: F,
) -> i32
where
    P: DeserializeOwned + Default + Send + 'static,
    T: Serialize,
    F: FnOnce(Client, P) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, SdkError>> + Send + 'static,
{
    guard(TIM_ERR_PARAM, || {
        // SAFETY: forwarded from the caller's contract.
        let param = match required {
            true => unsafe { json_required::<P>(json) },
            false => unsafe { json_arg::<P>(json) },
        };
        let param = match param {
            Ok(p) => p,
            Err(code) => return code,
        };
        spawn_call(
            Needs::Login,
            cb,
            UserData(user_data),
            move |client| async move {
                let answer = work(client, param).await?;
                let json = to_json(&answer);
                Ok(if json == "null" { String::new() } else { json })
            },
        )
    })
}
