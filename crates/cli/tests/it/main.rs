//! The `opentim` binary end to end: `usersig` and `serve --help`.

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
