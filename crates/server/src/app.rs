//! The composition root: open the stores, connect delivery, build the services and the gateway,
//! and serve the router until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::delivery::Delivery;
use crate::gateway::{self, Gateway};
use crate::http::{self, metrics::Metrics};
use crate::media::fs::FsMediaStore;
use crate::media::MediaStore;
use crate::service::Services;
use crate::store::{self, PgStore, SqliteStore, Stores};

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
    Bus(#[from] crate::delivery::NatsError),
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
}

/// A running server.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Result<(), ServerError>>,
    gateway: Arc<Gateway>,
    /// Work that ends when the server stops (webhook queue and deliveries).
    background: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// Close every session, stop listening, and wait until the server is down.
    pub async fn stop(self) -> Result<(), ServerError> {
        let _ = self.shutdown.send(true);
        let result = self.task.await.unwrap_or(Ok(()));
        // Callbacks in hand are written to the queue, or their delivery finished, first.
        let wait = Duration::from_millis(self.gateway.config.webhook_timeout_ms + 1000);
        for task in self.background {
            let _ = tokio::time::timeout(wait, task).await;
        }
        self.gateway.delivery.shutdown();
        result
    }

    /// Stop at once, as a crash would: connections are dropped without a goodbye and work in
    /// flight is abandoned (what was committed stays committed). For failure tests.
    pub fn kill(self) {
        self.task.abort();
        self.gateway.abort_sessions();
        // Background work (webhook deliveries, sweeps) ends with the process too.
        let _ = self.shutdown.send(true);
        self.gateway.delivery.shutdown();
        tracing::warn!(node = %self.gateway.config.node_id, "server killed");
    }

    /// Wait until the server stops by itself (it only does on an I/O error).
    pub async fn wait(self) -> Result<(), ServerError> {
        let result = self.task.await.unwrap_or(Ok(()));
        self.gateway.delivery.shutdown();
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

/// Open the stores chosen by the config: PostgreSQL when `database_url` is set (media in it
/// too, so every node serves every file), else SQLite under `data_dir` (media as files under
/// `data_dir/media`).
pub async fn open_stores(config: &Config) -> Result<(Stores, Arc<dyn MediaStore>), ServerError> {
    Ok(match &config.database_url {
        Some(url) => {
            let pg = Arc::new(
                PgStore::connect_with(
                    url,
                    config.database_schema.as_deref(),
                    config.database_pool_size,
                    config.database_ca_file.as_deref(),
                )
                .await?
                .with_retry_deadline(Duration::from_secs(config.store_retry_secs)),
            );
            (Stores::on_shared(pg.clone()), pg)
        }
        None => {
            let stores = Stores::on(SqliteStore::open(
                &config.data_dir,
                &config.sqlite_synchronous,
                config.write_batch,
            )?);
            let dir = config.data_dir.join("media");
            let media = FsMediaStore::open(&dir).map_err(|e| {
                ServerError::Config(format!(
                    "cannot open the media directory {}: {e}",
                    dir.display()
                ))
            })?;
            (stores, Arc::new(media))
        }
    })
}

/// Open the store, connect the bus and start serving on an already bound listener.
pub async fn start_on(config: Config, listener: TcpListener) -> Result<RunningServer, ServerError> {
    config.validate().map_err(ServerError::Config)?;
    let (stores, media) = open_stores(&config).await?;
    let config = Arc::new(config);
    let metrics = Arc::new(Metrics::default());
    let delivery = match &config.nats_url {
        Some(url) => {
            Delivery::clustered(
                config.session_queue_len,
                metrics.clone(),
                url,
                &config.nats_prefix,
                &config.node_id,
            )
            .await?
        }
        None => Delivery::local(config.session_queue_len, metrics.clone()),
    };
    let services = Arc::new(Services::new(
        config.clone(),
        stores,
        media,
        delivery.clone(),
        metrics.clone(),
    ));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let background = services.webhooks.start(shutdown_rx.clone());
    // Media retention: a sweep now and then, until the server stops (or is dropped).
    {
        let (services, every) = (services.clone(), config.media_sweep_secs.max(1));
        let mut stop = shutdown_rx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(every));
            loop {
                tokio::select! {
                    _ = tick.tick() => services.media.sweep().await,
                    changed = stop.changed() => if changed.is_err() || *stop.borrow() { break },
                }
            }
        });
    }
    let gateway = Arc::new(Gateway::new(
        config.clone(),
        metrics,
        services,
        delivery,
        shutdown_rx.clone(),
    ));
    // The administrators exist as users: they send messages, and users answer them.
    for admin in &config.admin_accounts {
        match opentim_model::ids::UserId::parse(admin, config.max_user_id_bytes) {
            Ok(id) => {
                if let Err(e) = gateway.services.account.register(&id).await {
                    tracing::warn!(error = %e, %admin, "could not record the administrator's account");
                }
            }
            Err(e) => {
                return Err(ServerError::Config(format!(
                    "admin_accounts: {admin:?}: {e}"
                )))
            }
        }
    }
    let admin = Arc::new(crate::admin::Admin::new(gateway.clone()));
    let app = Router::new()
        .route(opentim_protocol::WS_PATH, get(gateway::ws_handler))
        .merge(http::routes())
        .merge(crate::admin::routes(admin))
        .merge(crate::media::routes::routes(config.media_chunk_bytes))
        .with_state(gateway.clone());
    let addr = listener.local_addr()?;
    let tls = match (&config.tls_cert_file, &config.tls_key_file) {
        (Some(cert), Some(key)) => Some(crate::tls::server_config(cert, key)?),
        _ => None,
    };
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    tracing::info!(%addr, node = %config.node_id, "opentim server listening ({scheme}://{addr}{})", opentim_protocol::WS_PATH);
    let mut stop = shutdown_rx;
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let task = match tls {
        Some(tls) => {
            let listener = crate::tls::TlsListener::new(listener, tls)?;
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await?;
                tracing::info!("opentim server stopped");
                Ok(())
            })
        }
        None => tokio::spawn(async move {
            // No Nagle delay: chat frames are small and must leave at once.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await?;
            tracing::info!("opentim server stopped");
            Ok(())
        }),
    };
    Ok(RunningServer {
        addr,
        shutdown: shutdown_tx,
        task,
        gateway,
        background,
    })
}
