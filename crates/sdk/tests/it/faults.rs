//! Faults an operator sees, on real parts: a PostgreSQL (initdb in a temp dir, a free port) and
//! a NATS server of the test's own, restarted or killed mid-stream without touching the
//! machine's services, and (as root) a small tmpfs under SQLite that fills up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_server::Config;

use crate::support::*;

/// A PostgreSQL cluster in a temporary directory, stopped when dropped.
struct PrivatePg {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

/// The server options of a private PostgreSQL in `dir` on `port`.
fn pg_options(dir: &Path, port: u16) -> String {
    format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
        dir.display()
    )
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

impl PrivatePg {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A PostgreSQL tool, run as the `postgres` user when this is root (the server refuses
    /// to run as root).
    fn command(bin: &Path, name: &str) -> Command {
        let exe = bin.join(name);
        if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// Run a PostgreSQL tool; it must succeed.
    fn tool(bin: &Path, name: &str, args: &[&str]) {
        let out = Self::command(bin, name)
            .args(args)
            .output()
            .expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{name} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start() -> Self {
        let bin = PathBuf::from(std::env::var("OPENTIM_TEST_PG_BINDIR").expect(
            "OPENTIM_TEST_PG_BINDIR: the directory of initdb and pg_ctl (scripts/test.sh finds it)",
        ));
        let dir = tempfile::tempdir().unwrap();
        if running_as_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown the cluster directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = PrivatePg { bin, dir, port };
        let data = pg.data();
        let data = data.to_str().unwrap();
        Self::tool(
            &pg.bin,
            "initdb",
            &[
                "-D",
                data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let opts = pg_options(pg.dir.path(), port);
        let log = pg.dir.path().join("log");
        Self::tool(
            &pg.bin,
            "pg_ctl",
            &[
                "-D",
                data,
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        pg
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl restart -m fast`: every connection is cut, the server is down for a moment.
    fn restart(&self) {
        Self::restart_at(&self.bin, &self.data());
    }

    /// `pg_ctl stop -m fast`, or `start` again.
    fn ctl(&self, action: &str) {
        let data = self.data();
        let log = data.with_file_name("log");
        let opts = pg_options(self.dir.path(), self.port);
        Self::tool(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                action,
            ],
        );
    }

    fn restart_at(bin: &Path, data: &Path) {
        // With a log file: without one the new server would keep this tool's output pipe open.
        let log = data.with_file_name("log");
        let data = data.to_str().unwrap();
        let log = log.to_str().unwrap();
        Self::tool(
            bin,
            "pg_ctl",
            &["-D", data, "-l", log, "-m", "fast", "-w", "restart"],
        );
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.data();
        let _ = Self::command(&self.bin, "pg_ctl")
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
    }
}

/// A NATS server of the test's own on a fixed free port, which it can kill and start again.
struct PrivateNats {
    exe: PathBuf,
    port: u16,
    child: Option<std::process::Child>,
}

impl PrivateNats {
    fn start() -> Self {
        let exe = PathBuf::from(std::env::var("OPENTIM_TEST_NATS_SERVER").expect(
            "OPENTIM_TEST_NATS_SERVER: the nats-server program (scripts/test.sh finds it)",
        ));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut nats = PrivateNats {
            exe,
            port,
            child: None,
        };
        nats.up();
        nats
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Start the server and wait until it accepts connections.
    fn up(&mut self) {
        let child = Command::new(&self.exe)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nats-server did not listen on {}", self.port);
    }

    /// Kill the server (SIGKILL: no goodbye to its clients).
    fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.down();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_bin_tests, nats_bin_tests)),
    ignore = "needs PostgreSQL's programs and nats-server: set OPENTIM_TEST_PG_BINDIR (e.g. /usr/lib/postgresql/15/bin) and OPENTIM_TEST_NATS_SERVER (e.g. /usr/sbin/nats-server); scripts/test.sh finds both"
)]
async fn messages_sent_while_nats_is_down_reach_the_other_node() {
    let pg = PrivatePg::start();
    let mut nats = PrivateNats::start();
    let dir = tempfile::tempdir().unwrap();
    let node = |name: &str| {
        opentim_server::start(Config {
            database_url: Some(pg.url()),
            nats_url: Some(nats.url()),
            node_id: name.into(),
            ..config(&dir.path().join(name), "127.0.0.1:0")
        })
    };
    let a = node("a").await.expect("node a");
    let b = node("b").await.expect("node b");
    let alice = login(&a, &dir.path().join("alice"), "alice").await;
    let mut bob = login(&b, &dir.path().join("bob"), "bob").await;
    for i in 0..5 {
        alice.send_text("bob", &format!("before {i}")).await;
    }
    assert_eq!(bob.receive(5, 10).await.len(), 5);

    nats.down();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Stored by node a while neither node can reach the other.
    for i in 0..5 {
        alice.send_text("bob", &format!("during {i}")).await;
    }
    nats.up();
    let during = bob.receive(5, 20).await;
    assert_eq!(
        during.iter().map(text).collect::<Vec<_>>(),
        (0..5).map(|i| format!("during {i}")).collect::<Vec<_>>(),
        "the outage's messages arrive without a later message to reveal them"
    );
    for i in 0..5 {
        alice.send_text("bob", &format!("after {i}")).await;
    }
    assert_eq!(bob.receive(5, 10).await.len(), 5);
    assert!(bob.quiet(500).await.is_empty(), "nothing twice");
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_bin_tests),
    ignore = "needs PostgreSQL's programs: set OPENTIM_TEST_PG_BINDIR to the directory of initdb and pg_ctl, e.g. /usr/lib/postgresql/15/bin (scripts/test.sh finds them)"
)]
async fn a_postgresql_restart_mid_stream_costs_latency_not_messages() {
    // The server repeats what failed until the database is back (deadline 10 s).
    restart_mid_stream(10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_bin_tests),
    ignore = "needs PostgreSQL's programs: set OPENTIM_TEST_PG_BINDIR to the directory of initdb and pg_ctl, e.g. /usr/lib/postgresql/15/bin (scripts/test.sh finds them)"
)]
async fn sends_refused_during_an_outage_longer_than_the_deadline_complete_by_themselves() {
    // The server gives up at once (20004, temporarily unavailable); the SDK keeps the sends
    // queued and resends them with their client ids until the database is back.
    restart_mid_stream(0).await;
}

/// 100 sends, then a `pg_ctl restart -m fast` while 200 more are on their way: every send
/// succeeds, every message arrives once.
async fn restart_mid_stream(store_retry_secs: u64) {
    let pg = PrivatePg::start();
    let dir = tempfile::tempdir().unwrap();
    let server = opentim_server::start(Config {
        database_url: Some(pg.url()),
        store_retry_secs,
        ..config(&dir.path().join("srv"), "127.0.0.1:0")
    })
    .await
    .expect("server starts on the private PostgreSQL");
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    let mut bob = login(&server, &dir.path().join("b"), "bob").await;

    let send = |i: usize| {
        let c = alice.client.clone();
        tokio::spawn(async move {
            c.send_message(
                "bob",
                ConvType::C2C,
                Message::text("bob", ConvType::C2C, format!("m{i}")),
            )
            .await
        })
    };
    let mut sends: Vec<_> = (0..100).map(send).collect();
    for s in sends.drain(..) {
        s.await.unwrap().expect("sent before the restart");
    }
    // The database restarts while 200 more sends are on their way.
    let restart = {
        let (bin, data) = (pg.bin.clone(), pg.data());
        tokio::task::spawn_blocking(move || PrivatePg::restart_at(&bin, &data))
    };
    for i in 100..300 {
        sends.push(send(i));
        if i % 20 == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    restart.await.unwrap();
    let mut failed = Vec::new();
    for (i, s) in sends.into_iter().enumerate() {
        if let Err(e) = s.await.unwrap() {
            failed.push((i + 100, e.code, e.desc));
        }
    }
    assert!(
        failed.is_empty(),
        "sends failed across the restart: {failed:?}"
    );

    let got = bob.receive(300, 30).await;
    let mut texts: Vec<String> = got.iter().map(text).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 300, "every message arrives once");
    assert!(bob.quiet(500).await.is_empty(), "and nothing twice");
    // A second restart with nothing in flight: the server's pool heals by itself.
    pg.restart();
    alice.send_text("bob", "after").await;
    assert_eq!(text(&bob.receive(1, 10).await[0]), "after");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_bin_tests),
    ignore = "needs PostgreSQL's programs: set OPENTIM_TEST_PG_BINDIR to the directory of initdb and pg_ctl, e.g. /usr/lib/postgresql/15/bin (scripts/test.sh finds them)"
)]
async fn the_store_itself_rides_out_a_restart_with_gap_free_seqs() {
    use opentim_server::store::{AccountStore, MessageStore, NewC2c, PgStore};
    let pg = PrivatePg::start();
    let store = PgStore::connect(&pg.url(), None, 2).await.unwrap();
    store.register("bob", 1).await.unwrap();
    let msg = |i: u64| NewC2c {
        from: "alice".into(),
        to: "bob".into(),
        client_msg_id: format!("c{i}"),
        rand: i,
        server_time: 1_700_000_000,
        message: Message::text("bob", ConvType::C2C, format!("m{i}")),
        friends_only: false,
    };
    assert_eq!(store.append_c2c(msg(0)).await.unwrap().message.seq, 1);
    let restart = {
        let (bin, data) = (pg.bin.clone(), pg.data());
        tokio::task::spawn_blocking(move || PrivatePg::restart_at(&bin, &data))
    };
    let mut seqs = Vec::new();
    for i in 1..=60 {
        let stored = store
            .append_c2c(msg(i))
            .await
            .expect("stored across the restart");
        assert!(!stored.duplicate);
        seqs.push(stored.message.seq);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    restart.await.unwrap();
    assert_eq!(
        seqs,
        (2..=61).collect::<Vec<u64>>(),
        "no seq lost or doubled"
    );
}

/// A tmpfs of `size` mounted on a new temp dir, unmounted when dropped (needs root).
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount")
            .success();
        assert!(ok, "mount a {size} tmpfs (needs root)");
        SmallFs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        // Lazily: a server thread may still hold its database open for a moment.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fill `dir`'s filesystem up; the filler file's path.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    let one = [0u8; 1];
    while f.write_all(&one).is_ok() {}
    let _ = f.sync_all();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(small_fs_tests),
    ignore = "mounts a small tmpfs, so it needs root: set OPENTIM_TEST_SMALL_FS=1 when running as root (scripts/test.sh does)"
)]
async fn a_full_disk_refuses_writes_for_now_and_they_complete_when_space_returns() {
    let fs = SmallFs::mount("4m");
    let dir = tempfile::tempdir().unwrap();
    let server = opentim_server::start(config(&fs.path().join("srv"), "127.0.0.1:0"))
        .await
        .expect("server on the small filesystem");
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    let mut bob = login(&server, &dir.path().join("b"), "bob").await;
    for i in 0..5 {
        alice.send_text("bob", &format!("before {i}")).await;
    }
    assert_eq!(bob.receive(5, 10).await.len(), 5);

    let filler = fill(fs.path());
    // Sends while the disk is full: refused for now (20004), kept queued by the SDK.
    let sends: Vec<_> = (0..5)
        .map(|i| {
            let c = alice.client.clone();
            tokio::spawn(async move {
                c.send_message(
                    "bob",
                    ConvType::C2C,
                    Message::text("bob", ConvType::C2C, format!("full {i}")),
                )
                .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        sends.iter().all(|s| !s.is_finished()),
        "no send completes (or fails) while the disk is full"
    );
    assert!(bob.quiet(200).await.is_empty());
    std::fs::remove_file(filler).unwrap();
    for s in sends {
        s.await.unwrap().expect("sent once space returned");
    }
    let got = bob.receive(5, 10).await;
    let mut texts: Vec<String> = got.iter().map(text).collect();
    texts.sort();
    assert_eq!(
        texts,
        (0..5).map(|i| format!("full {i}")).collect::<Vec<_>>()
    );
    server.stop().await.unwrap();
    // Nothing is corrupt, and every message is stored once.
    let db = rusqlite::Connection::open(fs.path().join("srv").join("opentim.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let n: i64 = db
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 10);
}

/// The status line of `GET /readyz`.
async fn readyz(server: &opentim_server::RunningServer) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    tcp.read_to_string(&mut out).await.unwrap();
    out.lines().next().unwrap_or_default().to_owned()
        + " "
        + out.rsplit("\r\n\r\n").next().unwrap_or_default().trim()
}

/// Poll `/readyz` until its answer starts with `status` (within 15 s); the answer.
async fn ready_becomes(server: &opentim_server::RunningServer, status: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let got = readyz(server).await;
        if got.starts_with(status) || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_bin_tests, nats_bin_tests)),
    ignore = "needs PostgreSQL's programs and nats-server: set OPENTIM_TEST_PG_BINDIR (e.g. /usr/lib/postgresql/15/bin) and OPENTIM_TEST_NATS_SERVER (e.g. /usr/sbin/nats-server); scripts/test.sh finds them"
)]
async fn a_node_is_not_ready_while_its_database_or_its_bus_is_down() {
    let pg = PrivatePg::start();
    let mut nats = PrivateNats::start();
    let dir = tempfile::tempdir().unwrap();
    let node = opentim_server::start(Config {
        database_url: Some(pg.url()),
        nats_url: Some(nats.url()),
        ..config(&dir.path().join("srv"), "127.0.0.1:0")
    })
    .await
    .expect("node starts");
    let ok = "HTTP/1.1 200";
    let down = "HTTP/1.1 503";
    assert!(readyz(&node).await.starts_with(ok));

    nats.down();
    let answer = ready_becomes(&node, down).await;
    assert!(
        answer.starts_with(down) && answer.contains("bus"),
        "{answer}"
    );
    nats.up();
    let answer = ready_becomes(&node, ok).await;
    assert!(
        answer.starts_with(ok),
        "ready again once NATS is back: {answer}"
    );

    pg.ctl("stop");
    let t = std::time::Instant::now();
    let answer = readyz(&node).await;
    assert!(
        answer.starts_with(down) && answer.contains("store"),
        "{answer}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "answered at once, not after the store's retries: {:?}",
        t.elapsed()
    );
    pg.ctl("start");
    let answer = ready_becomes(&node, ok).await;
    assert!(
        answer.starts_with(ok),
        "ready again once PostgreSQL is back: {answer}"
    );
    node.stop().await.unwrap();
}
