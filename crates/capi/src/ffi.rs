//! Helpers every export uses: the panic guard and checked string arguments.

use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `TIMResult` values.
pub const TIM_SUCC: i32 = 0;
pub const TIM_ERR_SDKUNINIT: i32 = -1;
pub const TIM_ERR_NOTLOGIN: i32 = -2;
pub const TIM_ERR_JSON: i32 = -3;
pub const TIM_ERR_PARAM: i32 = -4;
pub const TIM_ERR_CONV: i32 = -5;

/// Run `f`, turning a panic into `fallback` so it never unwinds into C.
pub fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            tracing::error!("internal panic caught at the C boundary");
            fallback
        }
    }
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
