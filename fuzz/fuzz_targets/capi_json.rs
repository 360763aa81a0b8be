//! Any bytes as each JSON string the C API accepts today, through the exported functions
//! themselves: `TIMSetConfig`'s config and `TIMMsgSendNewMsg`'s message (parsed before the
//! login check, which then refuses). Every call must return a TIMResult, never crash.
#![no_main]

use std::ffi::CString;

use libfuzzer_sys::fuzz_target;
use ImSDK::{TIMMsgSendNewMsg, TIMSetConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(json) = CString::new(data) else {
        return;
    };
    let conv = c"bob";
    // SAFETY: valid NUL-terminated strings; a NULL callback is allowed.
    unsafe {
        let r = TIMSetConfig(json.as_ptr(), None, std::ptr::null());
        assert!(r <= 0, "TIMSetConfig returned {r}");
        let r = TIMMsgSendNewMsg(conv.as_ptr(), 1, json.as_ptr(), None, std::ptr::null());
        assert!(r < 0, "TIMMsgSendNewMsg without TIMInit returned {r}");
    }
    // The model types behind the other JSON arguments.
    let text = String::from_utf8_lossy(data);
    let _ = serde_json::from_str::<opentim_model::message::Message>(&text);
    let _ = serde_json::from_str::<opentim_model::config::SdkConfig>(&text);
});
