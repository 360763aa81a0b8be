//! Media elements: upload progress of the elements of a message being sent, and downloads of a
//! received element's file.

use std::ffi::{c_char, c_void};

use opentim_model::codes::{ERR_SUCC, TIM_ERR_PARAM};
use opentim_model::message::MsgDownloadElemParam;

use crate::call::{spawn_task, Needs};
use crate::callbacks::{complete, set_slot, TIMCommCallback, TIMMsgElemUploadProgressCallback};
use crate::ffi::{arg, guard, json_required, to_json, UserData};

/// Upload progress of each media element of a message being sent: `index` in
/// `message_elem_array`, bytes on the server and in all; the last report of an element has
/// `cur_size == total_size`.
#[no_mangle]
pub extern "C" fn TIMSetMsgElemUploadProgressCallback(
    cb: TIMMsgElemUploadProgressCallback,
    user_data: *const c_void,
) {
    set_slot(|r| &mut r.upload_progress, cb, user_data);
}

/// Download a received element's file to `path`: `cb` reports MsgDownloadElemResult (code 0)
/// as bytes arrive, then once more with every byte when the file is in place; a failure is
/// reported once with its code. Calling again after a cut resumes the download.
///
/// # Safety
/// `json_download_elem_param` and `path` are NULL or valid C strings.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgDownloadElemToPath(
    json_download_elem_param: *const c_char,
    path: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> i32 {
    guard(TIM_ERR_PARAM, || {
        // SAFETY: forwarded from the caller's contract.
        let param = match unsafe { json_required::<MsgDownloadElemParam>(json_download_elem_param) }
        {
            Ok(p) => p,
            Err(code) => return code,
        };
        // SAFETY: as above.
        let path = match unsafe { arg(path) } {
            Ok(Some(p)) if !p.is_empty() => std::path::PathBuf::from(p),
            _ => return TIM_ERR_PARAM,
        };
        let ud = UserData(user_data);
        spawn_task(Needs::Login, move |client| async move {
            let progress = |r| complete(cb, ud, ERR_SUCC, String::new(), to_json(&r));
            if let Err(e) = client.download_elem(&param, &path, progress).await {
                complete(cb, ud, e.code, e.desc, String::new());
            }
        })
    })
}
