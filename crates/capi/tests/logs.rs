//! The SDK's log reaches `TIMLogCallback` and its log file even when the host process
//! installed a tracing subscriber of its own first (as a Rust host embedding the library may).
//! A process of its own: the SDK and the subscriber are process-wide.

use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static LINES: Mutex<Vec<(i32, String)>> = Mutex::new(Vec::new());

unsafe extern "C" fn on_log(level: i32, log: *const c_char, _user_data: *const c_void) {
    // SAFETY: the library passes a valid C string for the duration of the call.
    let text = unsafe { CStr::from_ptr(log) }
        .to_string_lossy()
        .into_owned();
    LINES.lock().unwrap().push((level, text));
}

unsafe extern "C" fn on_comm(_: i32, _: *const c_char, _: *const c_char, _: *const c_void) {}

fn wait_for(what: &str, pred: impl Fn(&[(i32, String)]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if pred(&LINES.lock().unwrap()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what}: lines were {:?}", LINES.lock().unwrap());
}

#[test]
fn log_lines_reach_the_callback_and_the_file_under_a_hosts_subscriber() {
    // The host's own subscriber, installed before the library starts.
    tracing::subscriber::set_global_default(tracing_subscriber::registry())
        .expect("the host installs its subscriber first");
    let dir = std::env::temp_dir().join(format!("opentim-capi-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = serde_json::json!({
        "sdk_config_config_file_path": dir.join("data"),
        "sdk_config_log_file_path": dir.join("log"),
        "opentim_server_address": "ws://127.0.0.1:9",
    })
    .to_string();
    let config = CString::new(config).unwrap();
    ImSDK::TIMSetLogCallback(Some(on_log), std::ptr::null());
    // SAFETY: a valid C string.
    assert_eq!(unsafe { ImSDK::TIMInit(1_400_000_000, config.as_ptr()) }, 0);
    wait_for("the TIMInit line, logged on the caller's thread", |lines| {
        lines.iter().any(|(_, l)| l.contains("TIMInit done"))
    });
    // A line logged on the SDK's runtime.
    let op = CString::new(
        r#"{"request_internal_operation":"internal_operation_set_ui_platform","request_set_ui_platform_param":27}"#,
    )
    .unwrap();
    // SAFETY: valid C strings and a callback that ignores its arguments.
    assert_eq!(
        unsafe { ImSDK::callExperimentalAPI(op.as_ptr(), Some(on_comm), std::ptr::null()) },
        0
    );
    wait_for("the runtime's line", |lines| {
        lines
            .iter()
            .any(|(level, l)| *level == 4 && l.contains("ui_platform=27"))
    });
    let file = std::fs::read_to_string(dir.join("log").join("opentim-sdk.log")).unwrap();
    assert!(file.contains("TIMInit done"), "{file}");
    assert!(file.contains("ui_platform=27"), "{file}");
    assert_eq!(ImSDK::TIMUninit(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
