//! The callback thread: every callback into C runs here, one at a time, in the order it was
//! queued. Nothing of the library is locked while C code runs, so a callback may call any TIM
//! function (those only queue work and return).

use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};
use std::thread::{self, ThreadId};

type Job = Box<dyn FnOnce() + Send>;

struct Dispatcher {
    jobs: Mutex<Sender<Job>>,
    thread: ThreadId,
}

static DISPATCHER: OnceLock<Dispatcher> = OnceLock::new();

fn dispatcher() -> &'static Dispatcher {
    DISPATCHER.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let handle = thread::Builder::new()
            .name("opentim-callback".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    crate::ffi::guard((), job);
                }
            })
            .expect("cannot start the SDK callback thread");
        Dispatcher {
            jobs: Mutex::new(tx),
            thread: handle.thread().id(),
        }
    })
}

/// Queue a callback job.
pub fn post(job: impl FnOnce() + Send + 'static) {
    let d = dispatcher();
    let tx = d.jobs.lock().unwrap_or_else(|p| p.into_inner());
    let _ = tx.send(Box::new(job));
}

/// Wait until every job queued before this call has run (unless called from the callback
/// thread itself, where waiting would deadlock).
pub fn drain() {
    let d = dispatcher();
    if thread::current().id() == d.thread {
        return;
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
    post(move || {
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(std::time::Duration::from_secs(5));
}
