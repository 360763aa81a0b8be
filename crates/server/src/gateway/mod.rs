//! The WebSocket gateway: accept connections under a cap, log them in, run each session, and
//! route its requests through the dispatch table to the services. It holds no rules of its own.
//!
//! A connection must log in with its first frame within `login_timeout_secs`. After that one task
//! drives the session: it reads requests, writes replies, forwards queued events, and closes the
//! connection when delivery says so (kicked, slow reader), when the UserSig expires, or when the
//! server shuts down.

pub(crate) mod admission;
mod dispatch;
mod login;
mod session;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::{watch, Semaphore};
use tokio::task::AbortHandle;

use crate::config::Config;
use crate::delivery::Delivery;
use crate::http::metrics::Metrics;
use crate::service::Services;

pub use dispatch::{reply_for, Caller, Table};

/// Bytes read from a connection's socket at a time.
const READ_BUFFER: usize = 1024;
/// Bytes of outgoing frames collected before they are written to the socket.
const WRITE_BUFFER: usize = 16 * 1024;

/// What every session of a node shares.
pub struct Gateway {
    pub(crate) config: Arc<Config>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) services: Arc<Services>,
    pub(crate) delivery: Arc<Delivery>,
    table: Table,
    admission: admission::Admission,
    connections: Arc<Semaphore>,
    shutdown: watch::Receiver<bool>,
    /// Abort handles of live sessions, for a simulated crash.
    sessions: Mutex<HashMap<u64, AbortHandle>>,
    next_conn: AtomicU64,
}

impl Gateway {
    pub fn new(
        config: Arc<Config>,
        metrics: Arc<Metrics>,
        services: Arc<Services>,
        delivery: Arc<Delivery>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Gateway {
            connections: Arc::new(Semaphore::new(config.max_connections)),
            admission: admission::Admission::new(config.clone(), metrics.clone()),
            config,
            metrics,
            services,
            delivery,
            table: Table::new(),
            shutdown,
            sessions: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<u64, AbortHandle>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drop every session at once, without a goodbye (a crash, for failure tests).
    pub fn abort_sessions(&self) {
        for (_, handle) in std::mem::take(&mut *self.sessions()) {
            handle.abort();
        }
    }
}

/// `GET /ws`: upgrade, unless the connection cap is reached.
pub async fn ws_handler(State(gw): State<Arc<Gateway>>, ws: WebSocketUpgrade) -> Response {
    let Ok(permit) = gw.connections.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "connection limit (max_connections) reached\n",
        )
            .into_response();
    };
    let max = gw.config.max_frame_bytes;
    ws.max_message_size(max)
        // Small buffers: an idle session should cost a few KB, not the 128 KiB default.
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            gw.metrics.connections.fetch_add(1, Ordering::Relaxed);
            let conn = gw.next_conn.fetch_add(1, Ordering::Relaxed);
            let session = tokio::spawn(session::serve(gw.clone(), socket, gw.shutdown.clone()));
            gw.sessions().insert(conn, session.abort_handle());
            let _ = session.await;
            gw.sessions().remove(&conn);
            gw.metrics.connections.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        })
}
