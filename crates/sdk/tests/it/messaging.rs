use opentim_model::enums::{ConvType, MsgStatus};

use crate::support::*;

#[tokio::test]
async fn c2c_text_is_acked_and_delivered_in_order_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    let mut bob = login(&server, &dir.path().join("b"), "bob").await;

    let mut last_seq = 0;
    for i in 0..20 {
        let sent = alice.send_text("bob", &format!("msg {i}")).await;
        assert_eq!(sent.status, Some(MsgStatus::SEND_SUCC));
        assert_eq!(sent.is_from_self, Some(true));
        assert_eq!(sent.sender.as_deref(), Some("alice"));
        assert_eq!(sent.conv_id.as_deref(), Some("bob"));
        assert!(sent.seq.unwrap() > last_seq, "seqs increase");
        assert!(sent.server_time.unwrap() > 0 && sent.rand.is_some());
        last_seq = sent.seq.unwrap();
    }
    let got = bob.receive(20, 10).await;
    let texts: Vec<String> = got.iter().map(text).collect();
    let want: Vec<String> = (0..20).map(|i| format!("msg {i}")).collect();
    assert_eq!(texts, want);
    for m in &got {
        assert_eq!(m.is_from_self, Some(false));
        assert_eq!(m.conv_id.as_deref(), Some("alice"));
        assert_eq!(m.conv_type, Some(ConvType::C2C));
        assert_eq!(m.status, Some(MsgStatus::SEND_SUCC));
    }
    assert!(
        bob.quiet(300).await.is_empty(),
        "nothing is delivered twice"
    );
    // The receiver's conversation counts the unread messages.
    let conv = bob.client.conversations().unwrap();
    assert_eq!(conv.len(), 1);
    assert_eq!(conv[0].unread_num, Some(20));
    assert_eq!(
        conv[0].last_msg.as_ref().map(text).as_deref(),
        Some("msg 19")
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn offline_messages_arrive_at_next_login_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    accounts(&server, dir.path(), &["bob"]).await;
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    for i in 0..5 {
        alice.send_text("bob", &format!("offline {i}")).await;
    }
    let mut bob = login(&server, &dir.path().join("b"), "bob").await;
    let got = bob.receive(5, 10).await;
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        (0..5).map(|i| format!("offline {i}")).collect::<Vec<_>>()
    );
    assert!(bob.quiet(300).await.is_empty());
    // Logging in again on the same device replays nothing.
    bob.client.logout().await.unwrap();
    let mut bob2 = client_with(options(&server, &dir.path().join("b")), "bob");
    bob2.client.login("bob", &sig("bob")).await.unwrap();
    assert!(
        bob2.quiet(500).await.is_empty(),
        "an applied message is never delivered again"
    );
    assert_eq!(
        bob2.client
            .history("alice", ConvType::C2C, 100)
            .unwrap()
            .len(),
        5
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn messages_to_self_and_from_another_device_sync() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    accounts(&server, dir.path(), &["bob"]).await;
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    // alice's second device on another platform sees what the first one sent.
    let mut o = options(&server, &dir.path().join("a2"));
    o.platform = 4;
    let mut alice2 = client_with(o, "alice");
    alice2.client.login("alice", &sig("alice")).await.unwrap();
    alice.send_text("bob", "from device one").await;
    let got = alice2.receive(1, 5).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].is_from_self, Some(true));
    assert_eq!(got[0].conv_id.as_deref(), Some("bob"));
    server.stop().await.unwrap();
}

/// The longest user id is the server's setting; the SDK takes whatever the server accepts.
#[tokio::test]
async fn a_server_configured_for_long_ids_serves_them_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let server = opentim_server::start(opentim_server::Config {
        max_user_id_bytes: 64,
        ..config(&dir.path().join("srv"), "127.0.0.1:0")
    })
    .await
    .unwrap();
    let (a, b) = ("a".repeat(40), format!("{}b", "x".repeat(39)));
    let alice = login(&server, &dir.path().join("a"), &a).await;
    let mut bob = login(&server, &dir.path().join("b"), &b).await;
    let sent = alice.send_text(&b, "long ids").await;
    assert_eq!(sent.conv_id.as_deref(), Some(b.as_str()));
    let got = bob.receive(1, 5).await;
    assert_eq!(got[0].sender.as_deref(), Some(a.as_str()));
    assert_eq!(text(&got[0]), "long ids");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn roaming_history_comes_from_the_server_through_a_typed_call() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    accounts(&server, dir.path(), &["bob"]).await;
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    for i in 0..5 {
        alice.send_text("bob", &format!("h{i}")).await;
    }
    // A device that has never seen the conversation pages it from the server.
    let bob = login(&server, &dir.path().join("b"), "bob").await;
    let newest = bob
        .client
        .server_history("alice", ConvType::C2C, u64::MAX, 3)
        .await
        .unwrap();
    assert_eq!(
        newest.iter().map(text).collect::<Vec<_>>(),
        ["h4", "h3", "h2"]
    );
    assert!(newest
        .iter()
        .all(|m| m.conv_id.as_deref() == Some("alice") && m.is_from_self == Some(false)));
    let older = bob
        .client
        .server_history("alice", ConvType::C2C, newest[2].seq.unwrap(), 3)
        .await
        .unwrap();
    assert_eq!(older.iter().map(text).collect::<Vec<_>>(), ["h1", "h0"]);
    // The server's refusal comes back with its code.
    let bad = bob
        .client
        .server_history("", ConvType::C2C, u64::MAX, 3)
        .await
        .unwrap_err();
    assert_eq!(bad.code, opentim_model::codes::ERR_INVALID_CONVERSATION);
    server.stop().await.unwrap();
}
