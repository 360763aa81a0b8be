use opentim_model::codes;
use opentim_model::elem::{CustomElem, Elem};
use opentim_model::enums::{ConvType, MsgStatus};
use opentim_model::message::Message;

use crate::support::*;

#[tokio::test]
async fn bad_sends_get_clear_codes_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    let alice = login(&server, &dir.path().join("a"), "alice").await;
    let mut bob = login(&server, &dir.path().join("b"), "bob").await;

    // Over the 12 KB body limit.
    let big = "x".repeat(13 * 1024);
    let err = alice
        .client
        .send_message(
            "bob",
            ConvType::C2C,
            Message::text("bob", ConvType::C2C, big),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, codes::ERR_SVR_COMM_BODY_SIZE_LIMIT, "{err}");
    assert!(err.desc.contains("max_message_bytes"), "{err}");
    // The server decides the rest: a group that does not exist has no stream to send to, an
    // empty message has nothing to send, a receiver id must follow the id rules.
    let err = alice
        .client
        .send_message(
            "g1",
            ConvType::GROUP,
            Message::text("g1", ConvType::GROUP, "x"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, codes::ERR_SVR_GROUP_NOT_FOUND, "{err}");
    let err = alice
        .client
        .send_message("bob", ConvType::C2C, Message::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, codes::ERR_INVALID_MSG_ELEM);
    let err = alice
        .client
        .send_message(
            "b o b",
            ConvType::C2C,
            Message::text("b o b", ConvType::C2C, "x"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, codes::ERR_SVR_MSG_INVALID_ID, "{err}");

    // Nothing of that was stored or delivered; the failed messages are marked failed locally.
    assert!(bob.quiet(300).await.is_empty());
    let local = alice.client.history("bob", ConvType::C2C, 10).unwrap();
    assert_eq!(local.len(), 2);
    assert!(local.iter().all(|m| m.status == Some(MsgStatus::SEND_FAIL)));

    // A custom element goes through intact.
    let custom = Message {
        elem_array: vec![Elem::Custom(CustomElem {
            data: Some("{\"k\":1}".into()),
            desc: Some("d".into()),
            ..CustomElem::default()
        })],
        ..Message::default()
    };
    let sent = alice
        .client
        .send_message("bob", ConvType::C2C, custom)
        .await
        .unwrap();
    assert_eq!(sent.seq, Some(1), "refused sends consumed no seq");
    let got = bob.receive(1, 5).await;
    match &got[0].elem_array[0] {
        Elem::Custom(c) => assert_eq!(c.data.as_deref(), Some("{\"k\":1}")),
        other => panic!("unexpected element {other:?}"),
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn calls_before_login_and_bad_user_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("srv")).await;
    let c = client_with(options(&server, &dir.path().join("c")), "x");
    let err = c
        .client
        .send_message(
            "bob",
            ConvType::C2C,
            Message::text("bob", ConvType::C2C, "x"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, codes::ERR_SDK_NOT_LOGGED_IN);
    // Ids that cannot name a local cache are refused by the SDK itself...
    for bad in ["", "has space", "tab\tid"] {
        let err = c.client.login(bad, "sig").await.unwrap_err();
        assert_eq!(err.code, codes::ERR_SDK_COMM_INVALID_IDENTIFIER, "{bad:?}");
    }
    // ...the length is the server's setting (max_user_id_bytes, 32 here).
    let long = "u".repeat(33);
    let sig = super::support::sig(&long);
    let err = c.client.login(&long, &sig).await.unwrap_err();
    assert_eq!(err.code, codes::ERR_SVR_COMM_INVALID_ID_FORMAT, "{err}");
    assert!(err.desc.contains("max_user_id_bytes"), "{err}");
    let err = c.client.login("alice", "").await.unwrap_err();
    assert_eq!(err.code, codes::ERR_INVALID_PARAMETERS);
    server.stop().await.unwrap();
}
