//! The `opentim` binary end to end: `usersig`, `serve --help` and `admin`.

use std::process::Command;

fn opentim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opentim"));
    c.env_remove("OPENTIM_DATABASE_URL")
        .env_remove("OPENTIM_NATS_URL")
        .env_remove("OPENTIM_CONFIG");
    c
}

#[test]
fn usersig_mints_a_ticket_the_server_accepts() {
    let out = opentim()
        .args([
            "usersig",
            "--user",
            "alice",
            "--secret-key",
            "k",
            "--sdkappid",
            "1400000001",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let sig = String::from_utf8(out.stdout).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(opentim_server::auth::verify("k", 1_400_000_001, "alice", sig.trim(), now).is_ok());
    let missing = opentim()
        .args(["usersig", "--user", "alice"])
        .env_remove("OPENTIM_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("secret key"));
}

#[test]
fn serve_help_explains_every_setting() {
    let out = opentim().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--data-dir",
        "--sdkappid",
        "--secret-key",
        "--max-message-bytes",
        "--database-url",
        "--nats-url",
        "OPENTIM_LISTEN",
    ] {
        assert!(help.contains(flag), "serve --help lacks {flag}");
    }
}

/// `opentim admin` against a real server: import, send, create a group, online state, any
/// endpoint, webhook deliveries; a refusal is an error exit with the server's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_drives_the_rest_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = opentim_server::start(opentim_server::Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        secret_key: "cli-key".into(),
        ..opentim_server::Config::default()
    })
    .await
    .unwrap();
    let url = format!("http://{}", server.addr);
    let admin = |args: &[&str]| {
        let mut c = opentim();
        c.args(["admin", "--url", &url, "--secret-key", "cli-key"])
            .args(args);
        async move {
            tokio::task::spawn_blocking(move || c.output().unwrap())
                .await
                .unwrap()
        }
    };
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout.clone()).unwrap()
    };
    assert!(ok(&admin(&["import", "alice", "bob"]).await).contains("imported 2"));
    assert!(
        ok(&admin(&["send", "--to", "bob", "--from", "alice", "hello"]).await)
            .contains("MsgKey 1_")
    );
    let group = ok(&admin(&[
        "create-group",
        "--name",
        "lunch",
        "--member",
        "alice",
        "--member",
        "bob",
    ])
    .await);
    assert!(group.trim().starts_with("@TGS#"), "{group}");
    assert_eq!(
        ok(&admin(&["online", "alice"]).await).trim(),
        "alice\tOffline"
    );
    let roam = ok(&admin(&["call", "openim/admin_getroammsg", r#"{"Operator_Account":"bob","Peer_Account":"alice","MaxCnt":5,"MinTime":0,"MaxTime":4000000000}"#]).await);
    let v: serde_json::Value = serde_json::from_str(&roam).unwrap();
    assert_eq!(v["MsgList"][0]["MsgBody"][0]["MsgContent"]["Text"], "hello");
    assert!(ok(&admin(&["webhooks"]).await).contains("0 after-callback(s) waiting"));
    let refused = admin(&["send", "--to", "nobody", "x"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("90012"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let help = ok(&admin(&["--help"]).await);
    for sub in [
        "import",
        "send",
        "create-group",
        "online",
        "webhooks",
        "call",
    ] {
        assert!(help.contains(sub), "admin --help lacks {sub}");
    }
    server.stop().await.unwrap();
}
