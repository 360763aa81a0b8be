//! SDK log lines to `TIMLogCallback` and the console, filtered by the levels `TIMSetConfig` sets.
//!
//! The SDK logs with `tracing`; this layer is installed as the process's global subscriber the
//! first time the library is initialised (if the host already installed one, that one stays and
//! the log callback receives nothing).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Once;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::callbacks::registry;
use crate::dispatch;
use crate::ffi::cstring;

/// `set_config_log_level` (console/file), a `TIMLogLevel` number. Default Info (4).
pub static FILE_LEVEL: AtomicI32 = AtomicI32::new(4);
/// `set_config_callback_log_level`. Default Info (4).
pub static CALLBACK_LEVEL: AtomicI32 = AtomicI32::new(4);
/// `set_config_is_log_output_console`. Default false (the SDK stays quiet on stderr).
pub static CONSOLE: AtomicBool = AtomicBool::new(false);

/// The `TIMLogLevel` of a tracing level.
fn tim_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 6,
        Level::WARN => 5,
        Level::INFO => 4,
        Level::DEBUG => 3,
        Level::TRACE => 2,
    }
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

struct TimLayer;

impl<S: Subscriber> Layer<S> for TimLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !meta.target().starts_with("opentim") && !meta.target().starts_with("ImSDK") {
            return;
        }
        let level = tim_level(meta.level());
        let to_callback = level >= CALLBACK_LEVEL.load(Ordering::Relaxed)
            && CALLBACK_LEVEL.load(Ordering::Relaxed) != 0;
        let to_console = CONSOLE.load(Ordering::Relaxed)
            && level >= FILE_LEVEL.load(Ordering::Relaxed)
            && FILE_LEVEL.load(Ordering::Relaxed) != 0;
        if !to_callback && !to_console {
            return;
        }
        let mut line = Line(format!("[{}] {}:", meta.level(), meta.target()));
        event.record(&mut line);
        if to_console {
            eprintln!("{}", line.0);
        }
        if to_callback && registry().log.is_some() {
            dispatch::post(move || {
                let target = registry().log;
                if let Some((cb, ud)) = target {
                    let text = cstring(line.0);
                    // SAFETY: registered by the application; text lives until it returns.
                    unsafe { cb(level, text.as_ptr(), ud.ptr()) };
                }
            });
        }
    }
}

/// Install the layer once per process.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ =
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(TimLayer));
    });
}
