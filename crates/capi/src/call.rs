//! The SDK instance behind the C API, and the one path every asynchronous export takes:
//! guard → arguments → SDK initialised → logged in → spawn → `TIMCommCallback`.

use std::future::Future;
use std::sync::{Arc, Mutex};

use opentim_model::codes::{ERR_SUCC, TIM_ERR_NOTLOGIN, TIM_ERR_SDKUNINIT, TIM_SUCC};
use opentim_sdk::{Client, SdkError};

use crate::callbacks::{complete, TIMCommCallback};
use crate::ffi::UserData;

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
