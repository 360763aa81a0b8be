//! Helpers every export uses: the panic guard, checked string and JSON arguments.

use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use opentim_model::codes::{TIM_ERR_JSON, TIM_ERR_PARAM};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Run `f`, turning a panic into `fallback` so it never unwinds into C.
pub fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    // What the export logs goes to the SDK's log, whatever the host's subscriber is.
    crate::log::scoped(|| match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            tracing::error!("internal panic caught at the C boundary");
            fallback
        }
    })
}

/// A string argument: `Ok(None)` for NULL, `Err` for invalid UTF-8.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid during the call.
pub unsafe fn arg<'a>(p: *const c_char) -> Result<Option<&'a str>, ()> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller promises a NUL-terminated string.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| ())
}

/// A C string for a callback argument; interior NULs (never produced by us) are dropped.
pub fn cstring(s: impl Into<Vec<u8>>) -> CString {
    let mut bytes: Vec<u8> = s.into();
    bytes.retain(|b| *b != 0);
    CString::new(bytes).unwrap_or_default()
}

/// The caller's opaque pointer, handed back untouched on the callback thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserData(pub *const c_void);

impl UserData {
    /// The pointer (a method, so closures capture the whole `Send` wrapper).
    pub fn ptr(self) -> *const c_void {
        self.0
    }
}

// SAFETY: the library never dereferences user_data; it only passes it back to the caller's own
// callback, which is what the API promises.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// Parse an optional JSON argument: NULL and "" mean `T::default()`.
///
/// # Safety
/// As [`arg`].
pub unsafe fn json_arg<T: DeserializeOwned + Default>(p: *const c_char) -> Result<T, i32> {
    // SAFETY: forwarded from the caller's contract.
    match unsafe { arg(p) } {
        Err(()) => Err(TIM_ERR_PARAM),
        Ok(None) => Ok(T::default()),
        Ok(Some(s)) if s.trim().is_empty() => Ok(T::default()),
        Ok(Some(s)) => parse(s),
    }
}

/// Parse a JSON argument that must be there: NULL or invalid UTF-8 is `TIM_ERR_PARAM`.
///
/// # Safety
/// As [`arg`].
pub unsafe fn json_required<T: DeserializeOwned>(p: *const c_char) -> Result<T, i32> {
    // SAFETY: forwarded from the caller's contract.
    match unsafe { arg(p) } {
        Ok(Some(s)) => parse(s),
        _ => Err(TIM_ERR_PARAM),
    }
}

fn parse<T: DeserializeOwned>(s: &str) -> Result<T, i32> {
    serde_json::from_str(s).map_err(|e| {
        tracing::warn!(error = %e, "malformed JSON parameter");
        TIM_ERR_JSON
    })
}

/// JSON for a callback. Our model types always serialise.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

/// Copy `s` and a NUL into a caller's buffer documented to hold `cap` bytes; false (nothing
/// written) when `buf` is NULL or `s` does not fit.
///
/// # Safety
/// `buf` is NULL or points to at least `cap` writable bytes.
pub unsafe fn write_c_buffer(buf: *mut c_char, cap: usize, s: &str) -> bool {
    if buf.is_null() || s.len() >= cap {
        return false;
    }
    // SAFETY: the buffer holds `cap` bytes (the caller's contract); `s` and its NUL fit.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
        *buf.add(s.len()) = 0;
    }
    true
}
