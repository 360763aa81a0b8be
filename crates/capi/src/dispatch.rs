//! The callback thread: every callback into C runs here, one at a time, in the order it was
//! queued. Nothing of the library is locked while C code runs, so a callback may call any TIM
//! function (those only queue work and return).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};
use std::thread;

type Job = Box<dyn FnOnce() + Send>;

/// Jobs queued under an older epoch are dropped instead of run (see [`cancel_pending`]).
static EPOCH: AtomicU64 = AtomicU64::new(0);

struct Dispatcher {
    jobs: Mutex<Sender<Job>>,
}

static DISPATCHER: OnceLock<Dispatcher> = OnceLock::new();

fn dispatcher() -> &'static Dispatcher {
    DISPATCHER.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        thread::Builder::new()
            .name("opentim-callback".into())
            .spawn(move || {
                crate::log::adopt_thread();
                while let Ok(job) = rx.recv() {
                    crate::ffi::guard((), job);
                }
            })
            .expect("cannot start the SDK callback thread");
        Dispatcher {
            jobs: Mutex::new(tx),
        }
    })
}

/// Queue a callback job.
pub fn post(job: impl FnOnce() + Send + 'static) {
    let d = dispatcher();
    let epoch = EPOCH.load(Ordering::Acquire);
    let tx = d.jobs.lock().unwrap_or_else(|p| p.into_inner());
    let _ = tx.send(Box::new(move || {
        if EPOCH.load(Ordering::Acquire) == epoch {
            job();
        }
    }));
}

/// Drop every job queued but not started, without waiting for the callback thread (a running
/// callback finishes on its own).
pub fn cancel_pending() {
    EPOCH.fetch_add(1, Ordering::AcqRel);
}
