//! The gateway over real sockets: frames a client should never send, limits, and the HTTP
//! endpoints.

use futures_util::{SinkExt, StreamExt};
use opentim_protocol::op::login::{Login, LoginRequest};
use opentim_protocol::{encode_request, PROTOCOL_VERSION};
use opentim_server::{Config, RunningServer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as Ws;

pub(crate) const KEY: &str = "gateway-test-key";

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

pub(crate) type Conn =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn connect(s: &RunningServer) -> Conn {
    tokio_tungstenite::connect_async(format!("ws://{}/ws", s.addr))
        .await
        .unwrap()
        .0
}

/// The next frame, as JSON.
pub(crate) async fn next_frame(c: &mut Conn) -> Option<Value> {
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

pub(crate) async fn logged_in(s: &RunningServer, user: &str) -> Conn {
    let mut c = connect(s).await;
    let sig = opentim_server::auth::mint(
        KEY,
        1_400_000_000,
        user,
        opentim_server::clock::now_secs(),
        600,
    );
    let login = encode_request::<Login>(
        1,
        &LoginRequest {
            protocol: PROTOCOL_VERSION,
            user_id: user.into(),
            user_sig: sig,
            platform: 0,
        },
    );
    c.send(Ws::text(login)).await.unwrap();
    match next_frame(&mut c).await {
        Some(f) if f["reply"] == 1 && f["code"] == 0 => c,
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
        Some(f) if f["reply"].is_u64() => {
            assert_ne!(f["code"], 0);
            assert!(f["desc"].as_str().unwrap().contains("login"), "{f}");
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
    use opentim_model::codes::{ERR_SVR_COMM_INVALID_SERVICE, ERR_SVR_MSG_PKG_PARSE_FAILED};
    for (bad, code) in [
        ("{", ERR_SVR_MSG_PKG_PARSE_FAILED),
        (r#"{"op":"msg.send","id":5}"#, ERR_SVR_MSG_PKG_PARSE_FAILED),
        (
            r#"{"op":"msg.send","id":5,"body":{"conv_id":3}}"#,
            ERR_SVR_MSG_PKG_PARSE_FAILED,
        ),
        (
            r#"{"op":"sync","id":5,"body":[]}"#,
            ERR_SVR_MSG_PKG_PARSE_FAILED,
        ),
        (r#"{"op":"teleport","id":6}"#, ERR_SVR_COMM_INVALID_SERVICE),
        ("[]", ERR_SVR_MSG_PKG_PARSE_FAILED),
    ] {
        c.send(Ws::text(bad)).await.unwrap();
        match next_frame(&mut c).await {
            Some(f) if f["reply"].is_u64() => assert_eq!(f["code"], code, "{bad}: {f}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    c.send(Ws::text(r#"{"op":"ping","id":7}"#)).await.unwrap();
    let pong = next_frame(&mut c).await.unwrap();
    assert_eq!(
        (&pong["reply"], &pong["code"]),
        (&Value::from(7), &Value::from(0))
    );
    assert!(pong["body"]["server_time"].as_u64().unwrap() > 0);
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

pub(crate) async fn http_get(s: &RunningServer, path: &str) -> String {
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

#[tokio::test]
async fn a_client_of_another_protocol_version_is_told_which_one_the_server_speaks() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let mut c = connect(&s).await;
    // The login of a version 1 client: the fields sit in the envelope.
    c.send(Ws::text(
        r#"{"op":"login","id":1,"protocol":1,"user_id":"old","user_sig":"x","platform":0}"#,
    ))
    .await
    .unwrap();
    let f = next_frame(&mut c).await.unwrap();
    // Readable by a version 1 client ({"frame":"reply","id":1,...}) and by this one.
    assert_eq!(
        (&f["frame"], &f["id"], &f["reply"]),
        (&Value::from("reply"), &Value::from(1), &Value::from(1))
    );
    assert_eq!(
        f["code"],
        opentim_model::codes::ERR_SVR_MSG_PKG_PARSE_FAILED
    );
    let desc = f["desc"].as_str().unwrap();
    assert!(
        desc.contains(&format!("speaks protocol {PROTOCOL_VERSION}")),
        "{desc}"
    );
    assert!(
        next_frame(&mut c).await.is_none(),
        "the connection is closed"
    );
    s.stop().await.unwrap();
}
