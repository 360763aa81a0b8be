//! Conversations.

use std::ffi::c_void;

use crate::callbacks::{set_slot, TIMConvEventCallback};

#[no_mangle]
pub extern "C" fn TIMSetConvEventCallback(cb: TIMConvEventCallback, user_data: *const c_void) {
    set_slot(|r| &mut r.conv_event, cb, user_data);
}
