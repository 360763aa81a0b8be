//! Test fixtures: a real server, UserSig minting, clients and event waiting.

use std::path::Path;
use std::time::Duration;

use opentim_model::enums::{ConvType, NetworkStatus};
use opentim_model::message::Message;
use opentim_sdk::{Client, ClientOptions, SdkEvent};
use opentim_server::{Config, RunningServer};
use tokio::sync::mpsc::UnboundedReceiver;

pub const APPID: u64 = 1_400_000_123;
pub const KEY: &str = "test-secret-key-0123456789";

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn sig(user: &str) -> String {
    opentim_server::auth::mint(KEY, APPID, user, now(), 3600)
}

pub fn config(data_dir: &Path, listen: &str) -> Config {
    Config {
        listen: listen.into(),
        data_dir: data_dir.to_path_buf(),
        sdkappid: APPID,
        secret_key: KEY.into(),
        ..Config::default()
    }
}

/// A server on a free loopback port with its data in `dir`.
pub async fn server(dir: &Path) -> RunningServer {
    opentim_server::start(config(dir, "127.0.0.1:0"))
        .await
        .expect("server starts")
}

/// A server on a given address (to restart one where clients expect it).
pub async fn server_at(dir: &Path, addr: &str) -> RunningServer {
    let mut last = None;
    for _ in 0..50 {
        match opentim_server::start(config(dir, addr)).await {
            Ok(s) => return s,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not restart on {addr}: {last:?}");
}

pub struct TestClient {
    pub client: Client,
    pub events: UnboundedReceiver<SdkEvent>,
    pub user: String,
}

pub fn options(server: &RunningServer, cache: &Path) -> ClientOptions {
    options_for(&[format!("ws://{}", server.addr)], cache)
}

/// Options for a client of `servers`, tried in turn.
pub fn options_for(servers: &[String], cache: &Path) -> ClientOptions {
    let mut o = ClientOptions::new(APPID, servers[0].clone(), cache);
    o.servers = servers.to_vec();
    o.backoff_min = Duration::from_millis(50);
    o.backoff_max = Duration::from_millis(300);
    o.login_timeout = Duration::from_secs(3);
    o
}

pub fn client_with(options: ClientOptions, user: &str) -> TestClient {
    let (client, events) = Client::new(options);
    TestClient {
        client,
        events,
        user: user.to_owned(),
    }
}

/// A logged-in client with its cache under `cache`.
pub async fn login(server: &RunningServer, cache: &Path, user: &str) -> TestClient {
    let c = client_with(options(server, cache), user);
    c.client
        .login(user, &sig(user))
        .await
        .expect("login succeeds");
    c
}

/// A logged-in client of `server` on `platform`, its cache under `dir/cache`.
pub async fn device(
    server: &RunningServer,
    dir: &Path,
    user: &str,
    cache: &str,
    platform: i64,
) -> TestClient {
    let mut o = options(server, &dir.join(cache));
    o.platform = platform;
    let c = client_with(o, user);
    c.client.login(user, &sig(user)).await.expect("login");
    c
}

impl TestClient {
    pub async fn send_text(&self, to: &str, text: &str) -> Message {
        self.client
            .send_message(to, ConvType::C2C, Message::text(to, ConvType::C2C, text))
            .await
            .unwrap_or_else(|e| panic!("{} could not send {text:?}: {e}", self.user))
    }

    /// Wait for the next event matching `pred`, up to `secs`; other events are skipped.
    pub async fn wait_for<T>(
        &mut self,
        secs: u64,
        mut pred: impl FnMut(SdkEvent) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(ev)) => {
                    if let Some(v) = pred(ev) {
                        return Some(v);
                    }
                }
                _ => return None,
            }
        }
    }

    /// Collect new messages until `n` arrived (or `secs` passed); returns what arrived.
    pub async fn receive(&mut self, n: usize, secs: u64) -> Vec<Message> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while got.len() < n {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(SdkEvent::NewMessages(m))) => got.extend(m),
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        got
    }

    /// New messages arriving within `ms` milliseconds (used to prove nothing more comes).
    pub async fn quiet(&mut self, ms: u64) -> Vec<Message> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            if let SdkEvent::NewMessages(m) = ev {
                got.extend(m);
            }
        }
        got
    }

    pub async fn wait_network(&mut self, status: NetworkStatus, secs: u64) -> bool {
        self.wait_for(secs, |e| {
            matches!(e, SdkEvent::Network { status: s, .. } if s == status).then_some(())
        })
        .await
        .is_some()
    }
}

pub fn text(m: &Message) -> String {
    match m.elem_array.first() {
        Some(opentim_model::elem::Elem::Text(t)) => t.content.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Make `users` exist on `server`: a user exists from their first login on, and C2C messages
/// reach only users who exist. Each logs in once from a cache of its own and logs out.
pub async fn accounts(server: &RunningServer, dir: &Path, users: &[&str]) {
    for u in users {
        let c = login(server, &dir.join(format!("account-{u}")), u).await;
        c.client.logout().await.expect("logout");
    }
}
