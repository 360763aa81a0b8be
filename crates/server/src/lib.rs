//! The opentim server as a library: `opentim serve` and the tests start it through [`start`].
//!
//! ```text
//! gateway (WebSocket sessions) -> service (rules) -> store (SQLite | PostgreSQL)
//!                                             \-> bus (in process | NATS) -> hub (sessions)
//! ```
//! See DESIGN.md at the repository's shared root for the message flow and the no-loss rules.

pub mod auth;
pub mod bus;
pub mod config;
pub mod gateway;
pub mod hub;
pub mod metrics;
pub mod service;
pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::{AbortHandle, JoinHandle};

use bus::{Bus, LocalBus, NatsBus};
pub use config::Config;
use hub::Hub;
use metrics::Metrics;
use service::MessageService;
use store::{PgStore, SqliteStore, Store};

/// Server start-up failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot open the store: {0}")]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot connect the bus: {0}")]
    Bus(String),
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// State shared by every connection.
pub struct AppState {
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub hub: Arc<Hub>,
    pub bus: Arc<dyn Bus>,
    pub messages: MessageService,
    connections: Arc<Semaphore>,
    shutdown: watch::Receiver<bool>,
    /// Abort handles of live sessions, for [`RunningServer::kill`].
    sessions: Mutex<HashMap<u64, AbortHandle>>,
    next_conn: AtomicU64,
}

/// A running server.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Result<(), ServerError>>,
    state: Arc<AppState>,
}

impl RunningServer {
    /// Close every session, stop listening, and wait until the server is down.
    pub async fn stop(self) -> Result<(), ServerError> {
        let _ = self.shutdown.send(true);
        let result = self.task.await.unwrap_or(Ok(()));
        self.state.bus.shutdown();
        result
    }

    /// Stop at once, as a crash would: connections are dropped without a goodbye and work in
    /// flight is abandoned (what was committed stays committed). For failure tests.
    pub fn kill(self) {
        self.task.abort();
        let sessions = std::mem::take(
            &mut *self
                .state
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for (_, handle) in sessions {
            handle.abort();
        }
        self.state.bus.shutdown();
        tracing::warn!(node = %self.state.config.node_id, "server killed");
    }

    /// Wait until the server stops by itself (it only does on an I/O error).
    pub async fn wait(self) -> Result<(), ServerError> {
        let result = self.task.await.unwrap_or(Ok(()));
        self.state.bus.shutdown();
        result
    }

    /// A handle that stops the server when `true` is sent.
    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Open the store, connect the bus and start serving on `config.listen`.
pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
    let listener =
        TcpListener::bind(&config.listen)
            .await
            .map_err(|source| ServerError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
    start_on(config, listener).await
}

/// Open the store chosen by the config: PostgreSQL when `database_url` is set, else SQLite.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, ServerError> {
    Ok(match &config.database_url {
        Some(url) => Arc::new(
            PgStore::connect(
                url,
                config.database_schema.as_deref(),
                config.database_pool_size,
            )
            .await?,
        ),
        None => Arc::new(SqliteStore::open(
            &config.data_dir,
            &config.sqlite_synchronous,
            config.write_batch,
        )?),
    })
}

/// Open the store, connect the bus and start serving on an already bound listener.
pub async fn start_on(config: Config, listener: TcpListener) -> Result<RunningServer, ServerError> {
    config.validate().map_err(ServerError::Config)?;
    let store = open_store(&config).await?;
    let config = Arc::new(config);
    let metrics = Arc::new(Metrics::default());
    let hub = Arc::new(Hub::new(config.session_queue_len, metrics.clone()));
    let bus: Arc<dyn Bus> = match &config.nats_url {
        Some(url) => NatsBus::connect(
            url,
            &config.nats_prefix,
            &config.node_id,
            hub.clone(),
            metrics.clone(),
        )
        .await
        .map_err(ServerError::Bus)?,
        None => Arc::new(LocalBus::new(hub.clone(), metrics.clone())),
    };
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = Arc::new(AppState {
        messages: MessageService {
            store,
            bus: bus.clone(),
            metrics: metrics.clone(),
            config: config.clone(),
        },
        connections: Arc::new(Semaphore::new(config.max_connections)),
        config,
        metrics,
        hub,
        bus,
        shutdown: shutdown_rx.clone(),
        sessions: Mutex::new(HashMap::new()),
        next_conn: AtomicU64::new(1),
    });
    let app = Router::new()
        .route(opentim_protocol::WS_PATH, get(ws_handler))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
        .with_state(state.clone());
    let addr = listener.local_addr()?;
    tracing::info!(%addr, node = %state.config.node_id, "opentim server listening (WebSocket path {})", opentim_protocol::WS_PATH);
    let mut stop = shutdown_rx;
    let task = tokio::spawn(async move {
        // No Nagle delay: chat frames are small and must leave at once.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await?;
        tracing::info!("opentim server stopped");
        Ok(())
    });
    Ok(RunningServer {
        addr,
        shutdown: shutdown_tx,
        task,
        state,
    })
}

/// Bytes read from a connection's socket at a time.
const READ_BUFFER: usize = 1024;
/// Bytes of outgoing frames collected before they are written to the socket.
const WRITE_BUFFER: usize = 16 * 1024;

async fn ws_handler(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    let Ok(permit) = state.connections.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "connection limit (max_connections) reached\n",
        )
            .into_response();
    };
    let max = state.config.max_frame_bytes;
    ws.max_message_size(max)
        // Small buffers: an idle session should cost a few KB, not the 128 KiB default.
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            state.metrics.connections.fetch_add(1, Ordering::Relaxed);
            let conn = state.next_conn.fetch_add(1, Ordering::Relaxed);
            let session = tokio::spawn(gateway::serve_socket(
                state.clone(),
                socket,
                state.shutdown.clone(),
            ));
            state
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(conn, session.abort_handle());
            let _ = session.await;
            state
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&conn);
            state.metrics.connections.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        })
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    match state.messages.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unreachable: {e}\n"),
        )
            .into_response(),
    }
}

async fn metrics_handler(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(state.hub.session_count()),
    )
        .into_response()
}
