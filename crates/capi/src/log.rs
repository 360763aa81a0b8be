//! SDK log lines to `TIMLogCallback`, the console and the log file, filtered by the levels
//! `TIMSetConfig` sets.
//!
//! The SDK logs with `tracing` through a dispatcher of its own: the SDK's threads (its runtime
//! and the callback thread) use it as their default, and the exports use it while they run,
//! so the log callback and the file get every line even when the host process installed a
//! global subscriber of its own (ours then leaves the host's alone; otherwise it is the global
//! one too).
//!
//! The file is `opentim-sdk.log` in `sdk_config_log_file_path` (by default the SDK's data
//! directory), rotated at [`MAX_LOG_BYTES`] and bounded to [`LOG_FILES`] files.

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, Once, OnceLock};

use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
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

/// Size at which the log file is rotated.
pub const MAX_LOG_BYTES: u64 = 8 * 1024 * 1024;
/// Log files kept: the current one and `LOG_FILES - 1` rotated ones (`.1` the newest).
pub const LOG_FILES: usize = 5;
/// Name of the log file.
pub const LOG_FILE: &str = "opentim-sdk.log";

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

/// Whether a line at `level` passes the `TIMLogLevel` threshold `at` (0: nothing does).
fn passes(level: &Level, at: &AtomicI32) -> bool {
    let at = at.load(Ordering::Relaxed);
    at != 0 && tim_level(level) >= at
}

/// Lines of the SDK's own crates only.
fn ours(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("opentim") || meta.target().starts_with("ImSDK")
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

/// The log callback and the console.
struct TimLayer;

impl<S: Subscriber> Layer<S> for TimLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !ours(meta) {
            return;
        }
        let level = tim_level(meta.level());
        let to_callback = passes(meta.level(), &CALLBACK_LEVEL);
        let to_console = CONSOLE.load(Ordering::Relaxed) && passes(meta.level(), &FILE_LEVEL);
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

/// A log file rotated by size: `name`, then `name.1` (newest) to `name.{keep - 1}`.
pub struct RotatingFile {
    path: PathBuf,
    file: File,
    size: u64,
    max: u64,
    keep: usize,
}

impl RotatingFile {
    /// Open (appending) `name` in `dir`, creating the directory.
    pub fn open(dir: &Path, name: &str, max: u64, keep: usize) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let path = dir.join(name);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        Ok(RotatingFile {
            path,
            file,
            size,
            max,
            keep: keep.max(1),
        })
    }

    fn numbered(&self, n: usize) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    }

    fn rotate(&mut self) -> io::Result<()> {
        if self.keep == 1 {
            self.file.set_len(0)?;
        } else {
            let _ = fs::remove_file(self.numbered(self.keep - 1));
            for n in (1..self.keep - 1).rev() {
                let _ = fs::rename(self.numbered(n), self.numbered(n + 1));
            }
            fs::rename(&self.path, self.numbered(1))?;
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
        }
        self.size = 0;
        Ok(())
    }

    /// Append one line (rotating first when it would pass the size limit).
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.size > 0 && self.size + line.len() as u64 > self.max {
            self.rotate()?;
        }
        self.file.write_all(line)?;
        self.size += line.len() as u64;
        Ok(())
    }
}

/// The log file of this process, once `TIMInit` named its directory.
static FILE: Mutex<Option<RotatingFile>> = Mutex::new(None);

/// Start writing the log file in `dir` (called by `TIMInit`); a failure is reported on
/// stderr and the SDK goes on without a file.
pub fn open_file(dir: &Path) {
    match RotatingFile::open(dir, LOG_FILE, MAX_LOG_BYTES, LOG_FILES) {
        Ok(f) => *FILE.lock().unwrap_or_else(|p| p.into_inner()) = Some(f),
        Err(e) => eprintln!(
            "opentim: cannot write the SDK log in {}: {e}; logging to the callback only",
            dir.display()
        ),
    }
}

/// The file sink of the fmt layer: each formatted line goes to the log file, if any.
struct FileWriter;

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(f) = FILE.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            // A full disk or a removed directory must not disturb the SDK: the line is lost.
            let _ = f.write_line(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for FileWriter {
    type Writer = FileWriter;
    fn make_writer(&'a self) -> FileWriter {
        FileWriter
    }
}

/// The SDK's dispatcher: the callback and console layer, and the file (timestamped lines).
fn sdk_dispatch() -> &'static Dispatch {
    static DISPATCH: OnceLock<Dispatch> = OnceLock::new();
    DISPATCH.get_or_init(|| {
        let file = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(FileWriter)
            .with_filter(filter_fn(|meta| {
                ours(meta) && passes(meta.level(), &FILE_LEVEL)
            }));
        Dispatch::new(tracing_subscriber::registry().with(TimLayer).with(file))
    })
}

/// Make the SDK's dispatcher the global one, unless the host installed its own (once per
/// process).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tracing::dispatcher::set_global_default(sdk_dispatch().clone());
    });
}

/// Make the SDK's dispatcher the default of the calling thread for the rest of its life (the
/// SDK's own threads).
pub fn adopt_thread() {
    std::mem::forget(tracing::dispatcher::set_default(sdk_dispatch()));
}

/// Run `f` (an export, on the caller's thread) with the SDK's dispatcher as the default.
pub fn scoped<R>(f: impl FnOnce() -> R) -> R {
    tracing::dispatcher::with_default(sdk_dispatch(), f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_file_rotates_at_its_size_and_keeps_a_bounded_number_of_files() {
        let dir = std::env::temp_dir().join(format!("opentim-log-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut f = RotatingFile::open(&dir, "t.log", 100, 3).unwrap();
        for i in 0..40 {
            f.write_line(format!("line {i:03} of the test log\n").as_bytes())
                .unwrap();
        }
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["t.log", "t.log.1", "t.log.2"]);
        for n in &names {
            assert!(fs::metadata(dir.join(n)).unwrap().len() <= 100, "{n}");
        }
        let newest = fs::read_to_string(dir.join("t.log")).unwrap();
        assert!(newest.ends_with("line 039 of the test log\n"), "{newest}");
        let older = fs::read_to_string(dir.join("t.log.1")).unwrap();
        assert!(older.contains("line 03"), "{older}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
