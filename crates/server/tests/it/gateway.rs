//! The gateway over real sockets: frames a client should never send, limits, and the HTTP
//! endpoints.

use futures_util::{SinkExt, StreamExt};
use opentim_protocol::{ClientFrame, ServerFrame, PROTOCOL_VERSION};
use opentim_server::{Config, RunningServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as Ws;

const KEY: &str = "gateway-test-key";

async fn server(dir: &std::path::Path) -> RunningServer {
    opentim_server::start(Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        secret_key: KEY.into(),
        max_frame_bytes: 4096,
        ..Config::default()
    })
    .await
    .unwrap()
}

type Conn =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(s: &RunningServer) -> Conn {
    tokio_tungstenite::connect_async(format!("ws://{}/ws", s.addr))
        .await
        .unwrap()
        .0
}

async fn next_frame(c: &mut Conn) -> Option<ServerFrame> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), c.next())
            .await
            .ok()??
        {
            Ok(Ws::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Ws::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

async fn logged_in(s: &RunningServer, user: &str) -> Conn {
    let mut c = connect(s).await;
    let sig = opentim_server::auth::mint(
        KEY,
        1_400_000_000,
        user,
        opentim_server::service::now_secs(),
        600,
    );
    let login = ClientFrame::Login {
        id: 1,
        protocol: PROTOCOL_VERSION,
        user_id: user.into(),
        user_sig: sig,
        platform: 0,
    };
    c.send(Ws::text(serde_json::to_string(&login).unwrap()))
        .await
        .unwrap();
    match next_frame(&mut c).await {
        Some(ServerFrame::Reply { id: 1, code: 0, .. }) => c,
        other => panic!("login failed: {other:?}"),
    }
}

#[tokio::test]
async fn the_first_frame_must_be_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let mut c = connect(&s).await;
    c.send(Ws::text(r#"{"op":"ping","id":9}"#)).await.unwrap();
    match next_frame(&mut c).await {
        Some(ServerFrame::Reply { code, desc, .. }) => {
            assert_ne!(code, 0);
            assert!(desc.contains("login"), "{desc}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        next_frame(&mut c).await.is_none(),
        "the connection is closed"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_frames_are_answered_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let mut c = logged_in(&s, "alice").await;
    for bad in [
        "{",
        r#"{"op":"send","id":5}"#,
        r#"{"op":"teleport","id":6}"#,
        "[]",
    ] {
        c.send(Ws::text(bad)).await.unwrap();
        match next_frame(&mut c).await {
            Some(ServerFrame::Reply { code, .. }) => assert_eq!(
                code,
                opentim_model::codes::ERR_SVR_MSG_PKG_PARSE_FAILED,
                "{bad}"
            ),
            other => panic!("{bad}: {other:?}"),
        }
    }
    c.send(Ws::text(r#"{"op":"ping","id":7}"#)).await.unwrap();
    assert!(matches!(
        next_frame(&mut c).await,
        Some(ServerFrame::Reply { id: 7, code: 0, .. })
    ));
    s.stop().await.unwrap();
}

#[tokio::test]
async fn frames_over_the_limit_close_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let mut c = logged_in(&s, "alice").await;
    let _ = c
        .send(Ws::text(format!(
            r#"{{"op":"ping","id":1,"pad":"{}"}}"#,
            "x".repeat(10_000)
        )))
        .await;
    assert!(next_frame(&mut c).await.is_none());
    // The server is fine afterwards.
    let _ok = logged_in(&s, "bob").await;
    s.stop().await.unwrap();
}

async fn http_get(s: &RunningServer, path: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    tcp.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    tcp.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn health_readiness_and_metrics_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    assert!(http_get(&s, "/healthz").await.starts_with("HTTP/1.1 200"));
    assert!(http_get(&s, "/readyz").await.starts_with("HTTP/1.1 200"));
    let _c = logged_in(&s, "alice").await;
    let metrics = http_get(&s, "/metrics").await;
    assert!(
        metrics.contains("# TYPE opentim_logins_total counter"),
        "{metrics}"
    );
    assert!(metrics.contains("\nopentim_logins_total 1\n"), "{metrics}");
    assert!(metrics.contains("\nopentim_sessions 1\n"), "{metrics}");
    s.stop().await.unwrap();
}
