//! `wss://` end to end: a throwaway CA signs the server's certificate; a client that trusts the
//! CA logs in and chats, one that trusts another CA is refused with a clear error.

use std::path::{Path, PathBuf};

use opentim_model::codes;
use opentim_server::RunningServer;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

use crate::support::*;

/// A CA: its certificate (PEM) and what signs with it.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    Ca {
        cert: params.self_signed(&key).unwrap(),
        key,
    }
}

fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, pem).unwrap();
    p
}

/// A TLS server on localhost whose certificate `ca` signed.
async fn tls_server(dir: &Path, ca: &Ca) -> RunningServer {
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &ca.cert, &ca.key).unwrap();
    opentim_server::start(opentim_server::Config {
        tls_cert_file: Some(write(dir, "server.pem", &cert.pem())),
        tls_key_file: Some(write(dir, "server.key", &key.serialize_pem())),
        ..config(&dir.join("srv"), "127.0.0.1:0")
    })
    .await
    .unwrap()
}

fn wss_options(server: &RunningServer, cache: &Path, ca_file: &Path) -> opentim_sdk::ClientOptions {
    let mut o = options(server, cache);
    o.servers = vec![format!("wss://localhost:{}", server.addr.port())];
    o.tls_ca_file = Some(ca_file.to_path_buf());
    o
}

#[tokio::test]
async fn login_and_a_message_over_wss() {
    let dir = tempfile::tempdir().unwrap();
    let ours = ca("opentim test CA");
    let server = tls_server(dir.path(), &ours).await;
    let ca_file = write(dir.path(), "ca.pem", &ours.cert.pem());
    let alice = client_with(
        wss_options(&server, &dir.path().join("a"), &ca_file),
        "alice",
    );
    alice.client.login("alice", &sig("alice")).await.unwrap();
    let mut bob = client_with(wss_options(&server, &dir.path().join("b"), &ca_file), "bob");
    bob.client.login("bob", &sig("bob")).await.unwrap();
    let sent = alice.send_text("bob", "over TLS").await;
    assert!(sent.seq.is_some());
    let got = bob.receive(1, 5).await;
    assert_eq!(got.iter().map(text).collect::<Vec<_>>(), vec!["over TLS"]);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = tls_server(dir.path(), &ca("the server's CA")).await;
    let other = write(dir.path(), "other.pem", &ca("some other CA").cert.pem());
    let c = client_with(wss_options(&server, &dir.path().join("c"), &other), "carol");
    let started = std::time::Instant::now();
    let err = c.client.login("carol", &sig("carol")).await.unwrap_err();
    assert_eq!(err.code, codes::ERR_SDK_NET_AUTH_INVALID, "{err}");
    assert!(
        err.desc.contains("not trusted") && err.desc.contains("opentim_tls_ca_file"),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "refused at once, not retried"
    );
    server.stop().await.unwrap();
}
