use std::time::Duration;

use opentim_model::codes;
use opentim_model::enums::{ConvType, NetworkStatus};
use opentim_sdk::SdkEvent;

use crate::support::*;

#[tokio::test]
async fn reconnects_after_server_restart_without_loss_or_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("srv");
    let server = server(&data).await;
    let addr = server.addr.to_string();
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    let mut bob = login(&server, &dir.path().join("b"), "bob").await;
    for i in 0..5 {
        alice.send_text("bob", &format!("m{i}")).await;
    }
    assert_eq!(bob.receive(5, 5).await.len(), 5);

    server.stop().await.unwrap();
    assert!(
        bob.wait_network(NetworkStatus::DISCONNECTED, 5).await,
        "bob sees the connection drop"
    );
    // Sends made while the server is down wait and go out after the reconnect.
    let sender = alice.client.clone();
    let pending = tokio::spawn(async move {
        let mut seqs = Vec::new();
        for i in 5..10 {
            let m = sender
                .send_message(
                    "bob",
                    ConvType::C2C,
                    opentim_model::message::Message::text("bob", ConvType::C2C, format!("m{i}")),
                )
                .await
                .expect("a send made while offline completes after the reconnect");
            seqs.push(m.seq.unwrap());
        }
        seqs
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server = server_at(&data, &addr).await;
    assert!(
        bob.wait_network(NetworkStatus::CONNECTED, 10).await,
        "bob reconnects by itself"
    );
    let seqs = tokio::time::timeout(Duration::from_secs(15), pending)
        .await
        .unwrap()
        .unwrap();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let got = bob.receive(5, 10).await;
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        (5..10).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    assert!(
        bob.quiet(500).await.is_empty(),
        "no duplicate after the resync"
    );
    assert_eq!(
        bob.client
            .history("alice", ConvType::C2C, 100)
            .unwrap()
            .len(),
        10
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn second_login_on_the_same_platform_kicks_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    let mut first = login(&server, &dir.path().join("b1"), "bob").await;
    let _second = login(&server, &dir.path().join("b2"), "bob").await;
    assert!(first
        .wait_for(5, |e| (e == SdkEvent::KickedOffline).then_some(()))
        .await
        .is_some());
    // The kicked session is over: it does not reconnect, and sending says so.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = first
        .client
        .send_message(
            "alice",
            ConvType::C2C,
            opentim_model::message::Message::text("alice", ConvType::C2C, "x"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, codes::ERR_SDK_NOT_LOGGED_IN);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn ticket_expiring_while_logged_in_fires_user_sig_expired() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    let mut c = client_with(options(&server, &dir.path().join("c")), "carol");
    let short = opentim_server::auth::mint(KEY, APPID, "carol", now(), 1);
    c.client.login("carol", &short).await.unwrap();
    assert!(c
        .wait_for(6, |e| (e == SdkEvent::UserSigExpired).then_some(()))
        .await
        .is_some());
    assert!(
        c.client.login_user().is_none(),
        "the session ends with the ticket"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn refused_logins_carry_the_documented_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    let cases = [
        (
            opentim_server::auth::mint(KEY, APPID + 1, "dave", now(), 600),
            codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID,
        ),
        (
            opentim_server::auth::mint(KEY, APPID, "erin", now(), 600),
            codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID,
        ),
        (
            opentim_server::auth::mint("other-key", APPID, "dave", now(), 600),
            codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_PUBLICKEY,
        ),
        (
            opentim_server::auth::mint(KEY, APPID, "dave", now() - 1000, 10),
            codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED,
        ),
        (
            "not-a-ticket".to_owned(),
            codes::ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED,
        ),
    ];
    for (i, (ticket, code)) in cases.into_iter().enumerate() {
        let c = client_with(options(&server, &dir.path().join(format!("d{i}"))), "dave");
        let err = c.client.login("dave", &ticket).await.unwrap_err();
        assert_eq!(err.code, code, "case {i}: {err}");
        assert!(!err.desc.is_empty());
        assert!(c.client.login_user().is_none());
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn restarted_app_shows_history_before_the_network_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    let opts = options(&server, &dir.path().join("b"));
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    let mut bob = login(&server, &dir.path().join("b"), "bob").await;
    alice.send_text("bob", "kept locally").await;
    assert_eq!(bob.receive(1, 5).await.len(), 1);
    bob.client.logout().await.unwrap();
    server.stop().await.unwrap();

    // The "restarted app": a new client on the same cache directory, server down.
    let mut again = client_with(opts, "bob");
    again
        .client
        .login("bob", &sig("bob"))
        .await
        .expect("a known user logs in offline");
    let history = again.client.history("alice", ConvType::C2C, 10).unwrap();
    assert_eq!(
        history.iter().map(text).collect::<Vec<_>>(),
        vec!["kept locally".to_owned()]
    );
    assert!(again.wait_network(NetworkStatus::CONNECT_FAILED, 5).await);
    // A user never seen on this device cannot log in without the server.
    let stranger = client_with(options_for_addr(&again), "zed");
    let err = stranger.client.login("zed", &sig("zed")).await.unwrap_err();
    assert_eq!(err.code, codes::ERR_SDK_NET_DISCONNECT);
}

fn options_for_addr(c: &TestClient) -> opentim_sdk::ClientOptions {
    let mut o = c.client.options().clone();
    o.data_dir = o.data_dir.join("stranger");
    o.login_timeout = Duration::from_secs(1);
    o
}

#[tokio::test]
async fn login_status_and_server_time_follow_the_session() {
    use opentim_model::enums::LoginStatus;
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    let c = client_with(options(&server, &dir.path().join("a")), "alice");
    assert_eq!(c.client.login_status(), LoginStatus::UNLOGINED);
    let login = {
        let client = c.client.clone();
        tokio::spawn(async move { client.login("alice", &sig("alice")).await })
    };
    // While the login runs it is "logging in"; afterwards "logged in".
    let mut seen_logining = false;
    while !login.is_finished() {
        seen_logining |= c.client.login_status() == LoginStatus::LOGINING;
        tokio::task::yield_now().await;
    }
    login.await.unwrap().unwrap();
    assert!(seen_logining, "the status passed through LOGINING");
    assert_eq!(c.client.login_status(), LoginStatus::LOGINED);
    assert_eq!(c.client.login_user().as_deref(), Some("alice"));
    assert!(c.client.server_time().abs_diff(now()) <= 2);
    c.client.logout().await.unwrap();
    assert_eq!(c.client.login_status(), LoginStatus::UNLOGINED);
    assert_eq!(c.client.login_user(), None);
    server.stop().await.unwrap();
}
