//! `opentim`: run the server, mint UserSigs, watch two clients talk, chat from a terminal.
//!
//! ```text
//! opentim serve --secret-key KEY            # the server on embedded SQLite
//! opentim usersig --user alice --secret-key KEY
//! opentim demo                              # a server plus two clients talking
//! opentim chat --user alice --peer bob --secret-key KEY
//! opentim admin --secret-key KEY send --to bob "hello"   # the REST API (/v4) as the admin
//! ```

mod admin;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use opentim_model::elem::Elem;
use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_sdk::{Client, ClientOptions, SdkEvent};
use opentim_server::Config;
use tokio::io::AsyncBufReadExt;

#[derive(Parser)]
#[command(
    name = "opentim",
    version,
    about = "opentim: a self-hosted instant-messaging server compatible with the Tencent Cloud IM C SDK"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (embedded SQLite under --data-dir). Settings come from the TOML file given
    /// by --config, then OPENTIM_* environment variables, then flags. SIGINT/SIGTERM stop it
    /// gracefully.
    #[command(
        after_help = "Settings only the TOML file sets: login_timeout_secs (10, seconds a new \
connection has to log in), sync_page (200, inbox entries per sync reply), max_history_page (100, \
messages per history page). See README.md, \"Settings\"."
    )]
    Serve(ServeArgs),
    /// Print a UserSig (login ticket) for a user, signed with the app's secret key.
    Usersig(UsersigArgs),
    /// Start a server and two clients, alice and bob, and print what they say to each other.
    Demo(DemoArgs),
    /// Chat from the terminal: each line you type is sent to --peer; what arrives is printed.
    Chat(ChatArgs),
    /// Drive a server's REST API (/v4) as the app administrator: import accounts, send a
    /// message, create a group, ask who is online, follow webhook deliveries, or call any
    /// endpoint. The administrator's UserSig is minted from --secret-key (300 s).
    Admin(admin::AdminArgs),
}

#[derive(Args, Clone)]
struct ServerSettings {
    /// TOML file with any of the settings below (snake_case keys, e.g. max_message_bytes = 12288).
    #[arg(long, env = "OPENTIM_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free one). Default 127.0.0.1:9300.
    #[arg(long, env = "OPENTIM_LISTEN")]
    listen: Option<String>,
    /// Directory of the SQLite database, created if missing. Default ./opentim-data.
    #[arg(long, env = "OPENTIM_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The app id (SDKAppID) whose UserSigs are accepted. Default 1400000000.
    #[arg(long, env = "OPENTIM_SDKAPPID")]
    sdkappid: Option<u64>,
    /// The app's secret key that signs UserSigs (required).
    #[arg(long, env = "OPENTIM_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Largest message body in bytes (all elements as JSON). Default 12288.
    #[arg(long, env = "OPENTIM_MAX_MESSAGE_BYTES")]
    max_message_bytes: Option<usize>,
    /// Longest user id in bytes. Default 32.
    #[arg(long, env = "OPENTIM_MAX_USER_ID_BYTES")]
    max_user_id_bytes: Option<usize>,
    /// Largest WebSocket frame from a client in bytes. Default 65536.
    #[arg(long, env = "OPENTIM_MAX_FRAME_BYTES")]
    max_frame_bytes: Option<usize>,
    /// Events queued per session before it is cut off as a slow reader. Default 4096.
    #[arg(long, env = "OPENTIM_SESSION_QUEUE_LEN")]
    session_queue_len: Option<usize>,
    /// Most concurrent connections. Default 100000.
    #[arg(long, env = "OPENTIM_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Logins admitted per second on this node; more wait their turn, so a reconnect storm
    /// does not stall the sessions already here. 0: no limit. Default 1000.
    #[arg(long, env = "OPENTIM_MAX_LOGINS_PER_SEC")]
    max_logins_per_sec: Option<u32>,
    /// Longest a login waits for its turn before it is refused with -10114 (overloaded; the
    /// client retries). Default 5.
    #[arg(long, env = "OPENTIM_LOGIN_QUEUE_SECS")]
    login_queue_secs: Option<f64>,
    /// Sync pages read at once on this node. Default 16.
    #[arg(long, env = "OPENTIM_MAX_CONCURRENT_SYNCS")]
    max_concurrent_syncs: Option<usize>,
    /// Requests per second one user may make on one node; beyond, -10113. 0: no limit.
    /// Default 200.
    #[arg(long, env = "OPENTIM_MAX_FRAMES_PER_SEC")]
    max_frames_per_sec: Option<u32>,
    /// Messages per second one user may send on one node; beyond, 60018. 0: no limit.
    /// Default 100.
    #[arg(long, env = "OPENTIM_MAX_SENDS_PER_SEC")]
    max_sends_per_sec: Option<u32>,
    /// Seconds of the per-user rates a user may spend at once. Default 10.
    #[arg(long, env = "OPENTIM_RATE_BURST_SECS")]
    rate_burst_secs: Option<u32>,
    /// SQLite synchronous mode: full (default), extra or normal.
    #[arg(long, env = "OPENTIM_SQLITE_SYNCHRONOUS")]
    sqlite_synchronous: Option<String>,
    /// Most writes per SQLite transaction (group commit). Default 512.
    #[arg(long, env = "OPENTIM_WRITE_BATCH")]
    write_batch: Option<usize>,
    /// Seconds a database operation failing transiently (the database restarting, connections
    /// refused or reset) is repeated before the request fails with 20004. Default 10.
    #[arg(long, env = "OPENTIM_STORE_RETRY_SECS")]
    store_retry_secs: Option<u64>,
    /// PostgreSQL URL (postgres://user@host:5432/db): use PostgreSQL instead of SQLite. Every
    /// node of a cluster points at the same database.
    #[arg(long, env = "OPENTIM_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// PostgreSQL schema (created if missing). Default: the database's default schema.
    #[arg(long, env = "OPENTIM_DATABASE_SCHEMA")]
    database_schema: Option<String>,
    /// PostgreSQL connections per node. Default 16.
    #[arg(long, env = "OPENTIM_DATABASE_POOL_SIZE")]
    database_pool_size: Option<usize>,
    /// NATS URL (nats://host:4222): deliver events across nodes. Needed with more than one node.
    #[arg(long, env = "OPENTIM_NATS_URL")]
    nats_url: Option<String>,
    /// NATS subject prefix (to share one NATS between deployments). Default "opentim".
    #[arg(long, env = "OPENTIM_NATS_PREFIX")]
    nats_prefix: Option<String>,
    /// This node's name in logs and cluster messages. Default: random.
    #[arg(long, env = "OPENTIM_NODE_ID")]
    node_id: Option<String>,
    /// PEM certificate chain: with --tls-key-file the server speaks TLS itself (wss://).
    /// Without both it serves plain ws:// (put a TLS proxy in front for the internet).
    #[arg(long, env = "OPENTIM_TLS_CERT_FILE")]
    tls_cert_file: Option<PathBuf>,
    /// PEM private key of --tls-cert-file.
    #[arg(long, env = "OPENTIM_TLS_KEY_FILE")]
    tls_key_file: Option<PathBuf>,
    /// PEM file of the CA that signed PostgreSQL's certificate: with sslmode=require in the
    /// database URL the connection is encrypted, and with this also verified.
    #[arg(long, env = "OPENTIM_DATABASE_CA_FILE")]
    database_ca_file: Option<PathBuf>,
}

impl ServerSettings {
    fn load(&self) -> Result<Config, String> {
        let mut c = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str::<Config>(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Config::default(),
        };
        macro_rules! over {
            ($($f:ident),*) => { $( if let Some(v) = self.$f.clone() { c.$f = v; } )* };
        }
        over!(
            listen,
            data_dir,
            sdkappid,
            secret_key,
            max_message_bytes,
            max_user_id_bytes,
            max_frame_bytes,
            session_queue_len,
            max_connections,
            max_logins_per_sec,
            login_queue_secs,
            max_concurrent_syncs,
            max_frames_per_sec,
            max_sends_per_sec,
            rate_burst_secs,
            sqlite_synchronous,
            write_batch,
            store_retry_secs,
            database_pool_size,
            nats_prefix,
            node_id
        );
        macro_rules! over_opt {
            ($($f:ident),*) => { $( if let Some(v) = self.$f.clone() { c.$f = Some(v); } )* };
        }
        over_opt!(
            database_url,
            database_schema,
            nats_url,
            tls_cert_file,
            tls_key_file,
            database_ca_file
        );
        Ok(c)
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    settings: ServerSettings,
    /// Write the bound address ("127.0.0.1:PORT") to this file once listening (for scripts).
    #[arg(long)]
    ready_file: Option<PathBuf>,
}

#[derive(Args)]
struct UsersigArgs {
    /// The user id the ticket is for.
    #[arg(long)]
    user: String,
    /// Lifetime in seconds. Default 180 days.
    #[arg(long, default_value_t = 180 * 86_400)]
    expire: u64,
    #[command(flatten)]
    settings: ServerSettings,
}

#[derive(Args)]
struct DemoArgs {
    /// Address the demo server listens on; other clients may connect to it too.
    #[arg(long, default_value = "127.0.0.1:9300")]
    listen: String,
    /// Messages each client sends before the demo keeps serving quietly.
    #[arg(long, default_value_t = 3)]
    messages: u32,
    /// Exit after the exchange instead of serving on.
    #[arg(long)]
    exit: bool,
}

#[derive(Args)]
struct ChatArgs {
    /// Server address, e.g. ws://127.0.0.1:9300.
    #[arg(
        long,
        env = "OPENTIM_SERVER_ADDRESS",
        default_value = "ws://127.0.0.1:9300"
    )]
    server: String,
    /// Your user id.
    #[arg(long)]
    user: String,
    /// Who to talk to.
    #[arg(long)]
    peer: String,
    /// A UserSig for --user; minted from --secret-key when absent.
    #[arg(long)]
    usersig: Option<String>,
    /// Directory of the local cache. Default: a temporary directory.
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    settings: ServerSettings,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OPENTIM_LOG")
        .unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn text_of(m: &Message) -> String {
    m.elem_array
        .iter()
        .map(|e| match e {
            Elem::Text(t) => t.content.clone().unwrap_or_default(),
            other => format!("[elem_type {}]", other.elem_type().0),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let config = args.settings.load()?;
    let server = opentim_server::start(config)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(path) = &args.ready_file {
        std::fs::write(path, format!("{}\n", server.addr))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let stop = server.shutdown_handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested; closing sessions");
        let _ = stop.send(true);
    });
    server.wait().await.map_err(|e| e.to_string())
}

async fn demo(args: DemoArgs) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let key = format!("demo-key-{}", now());
    let config = Config {
        listen: args.listen.clone(),
        data_dir: dir.path().join("server"),
        secret_key: key.clone(),
        ..Config::default()
    };
    let appid = config.sdkappid;
    let server = opentim_server::start(config)
        .await
        .map_err(|e| e.to_string())?;
    let url = format!("ws://{}", server.addr);
    println!(
        "opentim server on {url} (SQLite in {})",
        dir.path().join("server").display()
    );
    let mut clients = Vec::new();
    for name in ["alice", "bob"] {
        let (client, mut events) = Client::new(ClientOptions::new(
            appid,
            url.clone(),
            dir.path().join("clients"),
        ));
        let sig = opentim_server::auth::mint(&key, appid, name, now(), 86_400);
        client.login(name, &sig).await.map_err(|e| e.to_string())?;
        println!("{name} logged in");
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                if let SdkEvent::NewMessages(msgs) = ev {
                    for m in msgs {
                        println!(
                            "  {name} received from {}: {:?} (seq {})",
                            m.sender.clone().unwrap_or_default(),
                            text_of(&m),
                            m.seq.unwrap_or(0)
                        );
                    }
                }
            }
        });
        clients.push(client);
    }
    for i in 1..=args.messages {
        for (me, peer, c) in [("alice", "bob", &clients[0]), ("bob", "alice", &clients[1])] {
            let text = format!("hello {peer}, message {i} from {me}");
            let sent = c
                .send_message(
                    peer,
                    ConvType::C2C,
                    Message::text(peer, ConvType::C2C, text.clone()),
                )
                .await
                .map_err(|e| e.to_string())?;
            println!("{me} sent {text:?} (seq {}, stored)", sent.seq.unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    if args.exit {
        for c in &clients {
            let _ = c.logout().await;
        }
        return server.stop().await.map_err(|e| e.to_string());
    }
    println!(
        "demo done; the server keeps running on {url} with secret key {key:?} (Ctrl-C to stop)"
    );
    println!("try: opentim chat --server {url} --user carol --peer alice --secret-key {key}");
    shutdown_signal().await;
    server.stop().await.map_err(|e| e.to_string())
}

async fn chat(args: ChatArgs) -> Result<(), String> {
    let cfg = args.settings.load()?;
    let sig = match args.usersig {
        Some(s) => s,
        None if !cfg.secret_key.is_empty() => {
            opentim_server::auth::mint(&cfg.secret_key, cfg.sdkappid, &args.user, now(), 86_400)
        }
        None => return Err("give --usersig, or --secret-key to mint one".into()),
    };
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = args.cache_dir.unwrap_or_else(|| tmp.path().to_path_buf());
    let (client, mut events) =
        Client::new(ClientOptions::new(cfg.sdkappid, args.server.clone(), dir));
    client
        .login(&args.user, &sig)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "logged in as {} on {}; type a line to send it to {}",
        args.user, args.server, args.peer
    );
    let reader = client.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            match ev {
                SdkEvent::NewMessages(msgs) => {
                    let mut shown = Vec::new();
                    for m in msgs.into_iter().filter(|m| m.is_from_self != Some(true)) {
                        println!("{}: {}", m.sender.clone().unwrap_or_default(), text_of(&m));
                        shown.extend(m.conv_id.clone().zip(m.seq));
                    }
                    // Shown is read: the peer gets a receipt, this user's other devices
                    // clear their unread count.
                    if let Some((conv, seq)) = shown.pop() {
                        let reader = reader.clone();
                        tokio::spawn(async move {
                            let _ = reader.mark_read(&conv, ConvType::C2C, seq).await;
                        });
                    }
                }
                SdkEvent::Receipts(receipts) => {
                    for r in receipts {
                        eprintln!("(read by {})", r.conv_id.unwrap_or_default());
                    }
                }
                SdkEvent::Network { status, desc, .. } => eprintln!(
                    "(network status {}{}{})",
                    status.0,
                    if desc.is_empty() { "" } else { ": " },
                    desc
                ),
                SdkEvent::KickedOffline => eprintln!("(kicked: this user logged in elsewhere)"),
                SdkEvent::UserSigExpired => eprintln!("(UserSig expired)"),
                SdkEvent::Revoked(locators) => {
                    for l in locators {
                        eprintln!(
                            "(a message of {} was recalled)",
                            l.conv_id.unwrap_or_default()
                        );
                    }
                }
                SdkEvent::Conversations(..)
                | SdkEvent::TotalUnread(_)
                | SdkEvent::Updated(_)
                | SdkEvent::GroupTips(_)
                | SdkEvent::GroupAttributes { .. }
                | SdkEvent::GroupReceipts(_)
                | SdkEvent::FriendChanges(_)
                | SdkEvent::UploadProgress { .. } => {}
            }
        }
    });
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        if let Err(e) = client
            .send_message(
                &args.peer,
                ConvType::C2C,
                Message::text(&args.peer, ConvType::C2C, line),
            )
            .await
        {
            eprintln!("(not sent: {e})");
        }
    }
    client.logout().await.map_err(|e| e.to_string())
}

fn main() {
    let cli = Cli::parse();
    if let Command::Usersig(args) = &cli.command {
        match args.settings.load() {
            Ok(cfg) if !cfg.secret_key.is_empty() => {
                println!(
                    "{}",
                    opentim_server::auth::mint(
                        &cfg.secret_key,
                        cfg.sdkappid,
                        &args.user,
                        now(),
                        args.expire
                    )
                );
                return;
            }
            Ok(_) => {
                eprintln!("error: the secret key is missing: pass --secret-key, set OPENTIM_SECRET_KEY, or put secret_key in --config");
                std::process::exit(2);
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        }
    }
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(a) => serve(a).await,
            Command::Demo(a) => demo(a).await,
            Command::Chat(a) => chat(a).await,
            Command::Admin(a) => admin::run(a).await,
            Command::Usersig(_) => Ok(()),
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
