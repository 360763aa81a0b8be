//! The opentim server as a library: `opentim serve` and the tests start it through [`start`].
//!
//! ```text
//! gateway (WebSocket sessions) -> service (rules) -> store (SQLite) ; hub (online sessions)
//! ```
//! See DESIGN.md at the repository's shared root for the message flow and the no-loss rules.

pub mod auth;
pub mod config;
pub mod gateway;
pub mod hub;
pub mod metrics;
pub mod service;
pub mod store;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

pub use config::Config;
use hub::Hub;
use metrics::Metrics;
use service::MessageService;
use store::{SqliteStore, Store};

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
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// State shared by every connection.
pub struct AppState {
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub hub: Arc<Hub>,
    pub messages: MessageService,
    connections: Arc<Semaphore>,
    shutdown: watch::Receiver<bool>,
}

/// A running server.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Result<(), ServerError>>,
}

impl RunningServer {
    /// Close every session, stop listening, and wait until the server is down.
    pub async fn stop(self) -> Result<(), ServerError> {
        let _ = self.shutdown.send(true);
        self.task.await.unwrap_or(Ok(()))
    }

    /// Wait until the server stops by itself (it only does on an I/O error).
    pub async fn wait(self) -> Result<(), ServerError> {
        self.task.await.unwrap_or(Ok(()))
    }

    /// A handle that stops the server when `true` is sent.
    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Open the store and start serving on `config.listen`.
pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
    let listener =
        TcpListener::bind(&config.listen)
            .await
            .map_err(|source| ServerError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
    start_on(config, listener)
}

/// Open the store and start serving on an already bound listener.
pub fn start_on(config: Config, listener: TcpListener) -> Result<RunningServer, ServerError> {
    config.validate().map_err(ServerError::Config)?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(
        &config.data_dir,
        &config.sqlite_synchronous,
        config.write_batch,
    )?);
    let config = Arc::new(config);
    let metrics = Arc::new(Metrics::default());
    let hub = Arc::new(Hub::new(config.session_queue_len, metrics.clone()));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = Arc::new(AppState {
        messages: MessageService {
            store,
            hub: hub.clone(),
            metrics: metrics.clone(),
            config: config.clone(),
        },
        connections: Arc::new(Semaphore::new(config.max_connections)),
        config,
        metrics,
        hub,
        shutdown: shutdown_rx.clone(),
    });
    let app = Router::new()
        .route(opentim_protocol::WS_PATH, get(ws_handler))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
        .with_state(state);
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "opentim server listening (WebSocket path {})", opentim_protocol::WS_PATH);
    let mut stop = shutdown_rx;
    let task = tokio::spawn(async move {
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
    })
}

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
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            state.metrics.connections.fetch_add(1, Ordering::Relaxed);
            let shutdown = state.shutdown.clone();
            gateway::serve_socket(state.clone(), socket, shutdown).await;
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
