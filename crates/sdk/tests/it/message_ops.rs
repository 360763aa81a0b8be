//! Deleting for oneself on every device (the peer keeps theirs), messages found by id with
//! their local custom data, messages kept without sending, cancelled sends and batch sends.

use std::path::Path;

use opentim_model::codes;
use opentim_model::enums::{ConvType, MsgStatus, NetworkStatus};
use opentim_model::message::Message;
use opentim_sdk::SdkEvent;
use opentim_server::RunningServer;

use crate::cluster::Cluster;
use crate::support::*;

fn texts(ms: &[Message]) -> Vec<String> {
    ms.iter().map(text).collect()
}

impl TestClient {
    fn cached_texts(&self, peer: &str) -> Vec<String> {
        texts(&self.client.history(peer, ConvType::C2C, 100).unwrap())
    }

    /// Wait until the cached history with `peer` reads `want` (it follows the sync).
    async fn history_becomes(&mut self, peer: &str, want: &[&str]) -> bool {
        for _ in 0..100 {
            if self.cached_texts(peer) == want {
                return true;
            }
            let _ = self.wait_for(0, |_| None::<()>).await;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    }

    async fn server_texts(&self, peer: &str) -> Vec<String> {
        let mut page = self
            .client
            .server_history(peer, ConvType::C2C, u64::MAX, 100)
            .await
            .unwrap();
        page.reverse();
        texts(&page)
    }
}

/// Alice deletes two messages and then clears the conversation from one of her devices: her
/// other devices and the server's history for her follow; bob keeps everything.
async fn deleting_is_for_oneself_on_every_device(
    s0: &RunningServer,
    s1: &RunningServer,
    dir: &Path,
) {
    let mut alice1 = device(s0, dir, "alice", "alice1", 0).await;
    let mut alice2 = device(s1, dir, "alice", "alice2", 2).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(alice1.send_text("bob", &format!("m{i}")).await);
    }
    assert_eq!(bob.receive(5, 10).await.len(), 5);
    assert_eq!(alice2.receive(5, 10).await.len(), 5);

    alice1
        .client
        .delete_messages("bob", ConvType::C2C, &[sent[1].clone(), sent[4].clone()])
        .await
        .unwrap();
    let left = ["m0", "m2", "m3"];
    assert_eq!(alice1.cached_texts("bob"), left, "at once on this device");
    assert_eq!(alice1.server_texts("bob").await, left);
    assert!(
        alice2.history_becomes("bob", &left).await,
        "alice2 follows: {:?}",
        alice2.cached_texts("bob")
    );
    let all = ["m0", "m1", "m2", "m3", "m4"];
    assert_eq!(bob.server_texts("alice").await, all, "bob keeps his");
    assert_eq!(bob.cached_texts("alice"), all);
    let conv = alice2.client.conversation("bob", ConvType::C2C).unwrap();
    let last = conv.and_then(|c| c.last_msg).expect("a last message");
    assert_eq!(text(&last), "m3", "the newest message left is the last one");

    // A device new to the account sees what is left, from the server.
    let alice3 = device(s0, dir, "alice", "alice3", 4).await;
    let page = alice3
        .client
        .message_page("bob", ConvType::C2C, None, false, 10, true)
        .await
        .unwrap();
    let mut seen = texts(&page);
    seen.reverse();
    assert_eq!(seen, left);

    alice2
        .client
        .clear_history("bob", ConvType::C2C)
        .await
        .unwrap();
    assert!(alice2.cached_texts("bob").is_empty());
    assert!(alice1.history_becomes("bob", &[]).await, "alice1 follows");
    assert!(alice1.server_texts("bob").await.is_empty());
    assert_eq!(bob.server_texts("alice").await, all, "bob still keeps his");
    let conv = alice1
        .client
        .conversation("bob", ConvType::C2C)
        .unwrap()
        .expect("a cleared conversation stays");
    assert_eq!(conv.is_has_lastmsg, Some(false));

    // What comes after the clear is there as usual.
    bob.send_text("alice", "after").await;
    assert_eq!(alice1.receive(1, 10).await.len(), 1);
    assert_eq!(alice1.cached_texts("bob"), ["after"]);
    assert_eq!(alice1.server_texts("bob").await, ["after"]);

    // Deleting on this device only: the server keeps it, and fetching it again from there
    // does not bring it back.
    let after = alice1.client.history("bob", ConvType::C2C, 1).unwrap();
    let id = after[0].msg_id.clone().expect("every message has an id");
    alice1
        .client
        .delete_local("bob", ConvType::C2C, Some(&id))
        .unwrap();
    assert!(alice1.cached_texts("bob").is_empty());
    alice1
        .client
        .message_page("bob", ConvType::C2C, None, false, 10, true)
        .await
        .unwrap();
    assert!(
        alice1.cached_texts("bob").is_empty(),
        "deleted stays deleted"
    );
    assert_eq!(alice1.server_texts("bob").await, ["after"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_is_for_oneself_on_every_device_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    deleting_is_for_oneself_on_every_device(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn deleting_is_for_oneself_on_every_device_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    deleting_is_for_oneself_on_every_device(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_found_by_id_and_keep_their_local_data() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let mut bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let id = opentim_sdk::Client::new_message_id();
    let mut hello = Message::text("bob", ConvType::C2C, "hello");
    hello.cloud_custom_str = Some("for bob too".into());
    hello.custom_int = Some(41);
    let sent = alice
        .client
        .send_message_with_id("bob", ConvType::C2C, hello, id.clone())
        .await
        .unwrap();
    assert_eq!(sent.msg_id.as_deref(), Some(id.as_str()));
    assert_eq!(sent.custom_int, Some(41), "local data given at send stays");
    let got = bob.receive(1, 10).await;
    assert_eq!(
        got[0].msg_id.as_deref(),
        Some(id.as_str()),
        "one id on both sides"
    );
    assert_eq!(got[0].cloud_custom_str.as_deref(), Some("for bob too"));
    assert_eq!(got[0].custom_int, Some(0), "local data is not sent");

    let found = bob
        .client
        .find_messages(&[id.clone(), "nope".into()])
        .unwrap();
    assert_eq!(texts(&found), ["hello"]);
    let mut mine = found[0].clone();
    mine.custom_int = Some(7);
    mine.custom_str = Some("bob's note".into());
    bob.client.set_local_custom_data(&mine).unwrap();
    let updated = bob
        .wait_for(5, |e| match e {
            SdkEvent::Updated(m) => m.into_iter().next(),
            _ => None,
        })
        .await
        .expect("the update is reported");
    assert_eq!(updated.custom_str.as_deref(), Some("bob's note"));

    // The recall updates the message; its local data stays, and survives a restart.
    alice
        .client
        .revoke("bob", ConvType::C2C, sent.seq.unwrap())
        .await
        .unwrap();
    let recalled = bob
        .wait_for(10, |e| match e {
            SdkEvent::Updated(m) => m.into_iter().next(),
            _ => None,
        })
        .await
        .expect("the recalled message is reported updated");
    assert_eq!(recalled.status, Some(MsgStatus::REVOKED));
    bob.client.logout().await.unwrap();
    let bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let again = bob.client.find_messages(std::slice::from_ref(&id)).unwrap();
    assert_eq!(
        (
            again[0].custom_int,
            again[0].custom_str.as_deref(),
            again[0].status
        ),
        (Some(7), Some("bob's note"), Some(MsgStatus::REVOKED))
    );

    // Messages kept without sending: in the conversation, never unread, found by their id.
    let mut tip = Message::text("bob", ConvType::C2C, "a local tip");
    tip.sender = Some("bob".into());
    let kept = alice
        .client
        .import_messages("bob", ConvType::C2C, vec![tip])
        .unwrap();
    assert_eq!(kept[0].status, Some(MsgStatus::LOCAL_IMPORTED));
    assert_eq!(kept[0].is_from_self, Some(false));
    let conv = alice
        .client
        .conversation("bob", ConvType::C2C)
        .unwrap()
        .unwrap();
    assert_eq!(text(conv.last_msg.as_ref().unwrap()), "a local tip");
    assert_eq!(conv.unread_num, Some(0));
    let kept_id = kept[0].msg_id.clone().unwrap();
    assert_eq!(
        texts(&alice.client.find_messages(&[kept_id]).unwrap()),
        ["a local tip"]
    );
    assert!(
        bob.client
            .history("alice", ConvType::C2C, 10)
            .unwrap()
            .len()
            == 1,
        "the peer never sees it"
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_is_cancelled_only_before_it_leaves_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    accounts(&s, dir.path(), &["bob"]).await;
    let addr = s.addr.to_string();
    let mut alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let sent = alice.send_text("bob", "delivered").await;
    let e = alice
        .client
        .cancel_send(sent.msg_id.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::ERR_SDK_INVALID_CANCEL_MESSAGE, "{e}");

    s.stop().await.unwrap();
    assert!(alice.wait_network(NetworkStatus::DISCONNECTED, 10).await);
    let id = opentim_sdk::Client::new_message_id();
    let client = alice.client.clone();
    let (conv_id, msg_id) = ("bob".to_owned(), id.clone());
    let pending = tokio::spawn(async move {
        let m = Message::text(&conv_id, ConvType::C2C, "never mind");
        client
            .send_message_with_id(&conv_id, ConvType::C2C, m, msg_id)
            .await
    });
    // The send is queued once it is in the cache.
    for _ in 0..100 {
        if !alice
            .client
            .find_messages(std::slice::from_ref(&id))
            .unwrap()
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    alice.client.cancel_send(&id).await.unwrap();
    let e = pending.await.unwrap().unwrap_err();
    assert_eq!(
        e.code,
        codes::ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL,
        "{e}"
    );
    let m = alice
        .client
        .find_messages(std::slice::from_ref(&id))
        .unwrap();
    assert_eq!(m[0].status, Some(MsgStatus::CANCEL));

    // Back online, the cancelled message never reaches the server.
    let s = server_at(&dir.path().join("server"), &addr).await;
    assert!(alice.wait_network(NetworkStatus::CONNECTED, 10).await);
    let bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let page = bob
        .client
        .server_history("alice", ConvType::C2C, u64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(texts(&page), ["delivered"]);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_send_has_one_result_per_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let mut bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let mut carol = device(&s, dir.path(), "carol", "carol", 0).await;
    let bad = "x".repeat(300);
    let to = ["bob".to_owned(), bad.clone(), "carol".to_owned()];
    let results = alice
        .client
        .batch_send(&to, Message::text("", ConvType::C2C, "to all"))
        .await
        .unwrap();
    let summary: Vec<(&str, bool)> = results
        .iter()
        .map(|r| (r.identifier.as_deref().unwrap(), r.code == Some(0)))
        .collect();
    assert_eq!(
        summary,
        [("bob", true), (bad.as_str(), false), ("carol", true)]
    );
    assert_eq!(results[1].code, Some(codes::ERR_SVR_MSG_INVALID_ID));
    assert!(!results[1].desc.as_deref().unwrap_or("").is_empty());
    let sent = results[0].msg.as_ref().unwrap();
    assert_eq!(
        (sent.conv_id.as_deref(), sent.status),
        (Some("bob"), Some(MsgStatus::SEND_SUCC))
    );
    assert_eq!(texts(&bob.receive(1, 10).await), ["to all"]);
    assert_eq!(texts(&carol.receive(1, 10).await), ["to all"]);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_only_messages_reach_who_is_online_and_are_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    accounts(&s, dir.path(), &["dave"]).await;
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let mut bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let typing = || {
        let mut m = Message::text("", ConvType::C2C, "typing...");
        m.is_online_msg = Some(true);
        m
    };
    let sent = alice
        .client
        .send_message("bob", ConvType::C2C, typing())
        .await
        .unwrap();
    assert_eq!(
        (sent.status, sent.is_online_msg),
        (Some(MsgStatus::SEND_SUCC), Some(true))
    );
    let got = bob.receive(1, 10).await;
    assert_eq!(texts(&got), ["typing..."]);
    assert_eq!(got[0].is_online_msg, Some(true));
    assert!(bob
        .client
        .history("alice", ConvType::C2C, 10)
        .unwrap()
        .is_empty());
    assert!(alice
        .client
        .history("bob", ConvType::C2C, 10)
        .unwrap()
        .is_empty());
    assert!(bob.server_texts("alice").await.is_empty(), "not stored");

    // Nobody online: nobody ever gets it.
    alice
        .client
        .send_message("dave", ConvType::C2C, typing())
        .await
        .unwrap();
    alice.send_text("dave", "stored").await;
    let mut dave = device(&s, dir.path(), "dave", "dave", 0).await;
    assert_eq!(texts(&dave.receive(1, 10).await), ["stored"]);
    assert!(
        dave.quiet(500).await.is_empty(),
        "the online message never comes"
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_search_finds_messages_by_keyword_conversation_and_page() {
    use opentim_model::message::MessageSearchParam;
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let carol = device(&s, dir.path(), "carol", "carol", 0).await;
    let mut bob = device(&s, dir.path(), "bob", "bob", 0).await;
    for i in 0..6 {
        alice.send_text("bob", &format!("lunch plan {i}")).await;
    }
    carol.send_text("bob", "Lunch with carol?").await;
    carol.send_text("bob", "unrelated").await;
    assert_eq!(bob.receive(8, 10).await.len(), 8);
    let param = |conv: Option<&str>, page: u32| MessageSearchParam {
        keyword_array: Some(vec!["lunch".into()]),
        conv_id: conv.map(str::to_owned),
        conv_type: conv.map(|_| ConvType::C2C),
        page_size: Some(4),
        page_index: Some(page),
        ..Default::default()
    };
    let everywhere = bob.client.search_local(&param(None, 0)).unwrap();
    assert_eq!(everywhere.total_count, Some(2), "two conversations match");
    let items = everywhere.item_array.unwrap();
    let counts: Vec<(Option<String>, Option<u32>, usize)> = items
        .iter()
        .map(|i| {
            (
                i.conv_id.clone(),
                i.total_message_count,
                i.message_array.as_ref().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            (Some("carol".into()), Some(1), 1),
            (Some("alice".into()), Some(6), 0)
        ],
        "newest first; the message itself when it is the only match"
    );
    let first = bob.client.search_local(&param(Some("alice"), 0)).unwrap();
    assert_eq!(first.total_count, Some(6));
    let page1 = &first.item_array.unwrap()[0];
    assert_eq!(
        texts(page1.message_array.as_ref().unwrap()),
        [
            "lunch plan 5",
            "lunch plan 4",
            "lunch plan 3",
            "lunch plan 2"
        ]
    );
    let second = bob.client.search_local(&param(Some("alice"), 1)).unwrap();
    assert_eq!(
        texts(
            second.item_array.unwrap()[0]
                .message_array
                .as_ref()
                .unwrap()
        ),
        ["lunch plan 1", "lunch plan 0"]
    );
    let nothing = MessageSearchParam::default();
    assert_eq!(
        bob.client.search_local(&nothing).unwrap_err().code,
        codes::ERR_INVALID_PARAMETERS
    );
    s.stop().await.unwrap();
}

/// Bob stops receiving alice's messages from one device: the server keeps alice's sends from
/// him on every device, until he receives her again.
async fn a_peer_not_received_reaches_no_device(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    use opentim_model::enums::ReceiveMessageOpt;
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob1 = device(s0, dir, "bob", "bob1", 0).await;
    let mut bob2 = device(s1, dir, "bob", "bob2", 2).await;
    let peers = ["alice".to_owned(), "carol".to_owned()];
    bob1.client
        .set_c2c_receive_opt(&peers[..1], ReceiveMessageOpt::NOT_RECEIVE)
        .await
        .unwrap();
    let opts = bob2.client.c2c_receive_opts(&peers).await.unwrap();
    let opts: Vec<_> = opts
        .iter()
        .map(|o| (o.identifier.clone().unwrap(), o.opt.unwrap()))
        .collect();
    assert_eq!(
        opts,
        [
            ("alice".into(), ReceiveMessageOpt::NOT_RECEIVE),
            ("carol".into(), ReceiveMessageOpt::RECEIVE)
        ],
        "the server keeps it for every device"
    );
    let sent = alice.send_text("bob", "are you there?").await;
    assert_eq!(sent.status, Some(MsgStatus::SEND_SUCC), "the send succeeds");
    assert!(bob1.quiet(500).await.is_empty());
    assert!(bob2.quiet(100).await.is_empty());
    assert!(bob1.server_texts("alice").await.is_empty());
    assert_eq!(alice.server_texts("bob").await, ["are you there?"]);

    bob2.client
        .set_c2c_receive_opt(&peers[..1], ReceiveMessageOpt::RECEIVE)
        .await
        .unwrap();
    alice.send_text("bob", "now?").await;
    assert_eq!(texts(&bob1.receive(1, 10).await), ["now?"]);
    assert_eq!(texts(&bob2.receive(1, 10).await), ["now?"]);
    let e = bob1
        .client
        .set_c2c_receive_opt(&[], ReceiveMessageOpt::RECEIVE)
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::ERR_INVALID_PARAMETERS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_not_received_reaches_no_device_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    a_peer_not_received_reaches_no_device(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn a_peer_not_received_reaches_no_device_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    a_peer_not_received_reaches_no_device(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// Alice forwards three messages to carol as one merged message: carol receives the title and
/// summary with the bundle's key, and fetches the three messages with it.
async fn a_merged_message_carries_its_bundle_by_key(
    s0: &RunningServer,
    s1: &RunningServer,
    dir: &Path,
) {
    use opentim_model::elem::{Elem, MergerElem};
    let mut alice = device(s0, dir, "alice", "alice", 0).await;
    let bob = device(s0, dir, "bob", "bob", 0).await;
    let mut carol = device(s1, dir, "carol", "carol", 0).await;
    for t in ["one", "two", "three"] {
        bob.send_text("alice", t).await;
    }
    let got = alice.receive(3, 10).await;
    let merger = MergerElem {
        title: Some("chat with bob".into()),
        abstract_array: Some(vec!["bob: one".into(), "bob: two".into()]),
        compatible_text: Some("[chat history]".into()),
        message_array: Some(got.clone()),
        ..Default::default()
    };
    let mut m = Message::text("carol", ConvType::C2C, "");
    m.elem_array = vec![Elem::Merger(merger.clone())];
    let sent = alice
        .client
        .send_message("carol", ConvType::C2C, m)
        .await
        .unwrap();
    let received = carol.receive(1, 10).await;
    let Some(Elem::Merger(r)) = received[0].elem_array.first() else {
        panic!("carol got {:?}", received[0]);
    };
    assert_eq!(r.title.as_deref(), Some("chat with bob"));
    assert_eq!(r.abstract_array.as_ref().map(Vec::len), Some(2));
    assert!(r.message_array.is_none(), "the bundle travels by key");
    assert!(r.relay_json_key.as_deref().is_some_and(|k| k.len() == 32));
    let inner = carol.client.download_merger(&received[0]).await.unwrap();
    assert_eq!(texts(&inner), ["one", "two", "three"]);
    assert_eq!(inner[0].sender.as_deref(), Some("bob"));
    let again = alice.client.download_merger(&sent).await.unwrap();
    assert_eq!(
        texts(&again),
        ["one", "two", "three"],
        "the sender's copy too"
    );

    let mut unknown = received[0].clone();
    if let Some(Elem::Merger(u)) = unknown.elem_array.first_mut() {
        u.relay_json_key = Some("0".repeat(32));
        u.relay_pb_key = None;
    }
    let e = carol.client.download_merger(&unknown).await.unwrap_err();
    assert_eq!(e.code, codes::ERR_INVALID_PARAMETERS, "{e}");
    let mut bare = Message::text("carol", ConvType::C2C, "");
    bare.elem_array = vec![Elem::Merger(MergerElem {
        compatible_text: Some("x".into()),
        ..Default::default()
    })];
    let e = alice
        .client
        .send_message("carol", ConvType::C2C, bare)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        codes::ERR_INVALID_MSG_ELEM,
        "a merger without a bundle: {e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merged_message_carries_its_bundle_by_key_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    a_merged_message_carries_its_bundle_by_key(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn a_merged_message_carries_its_bundle_by_key_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    a_merged_message_carries_its_bundle_by_key(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sendable_element_and_message_field_round_trips() {
    use opentim_model::elem::{CustomElem, Elem, FaceElem, LocationElem};
    use opentim_model::enums::MsgPriority;
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let mut bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let elems = vec![
        Elem::text("text \u{1F600} \"quoted\""),
        Elem::Custom(CustomElem {
            data: Some("{\"k\":[1,2]}".into()),
            desc: Some("desc".into()),
            ext: Some("ext".into()),
            sound: Some("ding".into()),
        }),
        Elem::Face(FaceElem {
            index: Some(7),
            buf: Some("smile".into()),
        }),
        Elem::Location(LocationElem {
            desc: Some("Shenzhen".into()),
            longitude: Some(113.93),
            latitude: Some(22.54),
        }),
    ];
    let mut m = Message::text("bob", ConvType::C2C, "");
    m.elem_array = elems.clone();
    m.priority = Some(MsgPriority::HIGH);
    m.cloud_custom_str = Some("cloud".into());
    let sent = alice
        .client
        .send_message("bob", ConvType::C2C, m)
        .await
        .unwrap();
    let got = bob.receive(1, 10).await.pop().unwrap();
    let complete: Vec<Elem> = elems.into_iter().map(Elem::complete).collect();
    assert_eq!(got.elem_array, complete, "every element unchanged");
    assert_eq!(sent.elem_array, complete);
    assert_eq!(got.priority, Some(MsgPriority::HIGH));
    assert_eq!(got.cloud_custom_str.as_deref(), Some("cloud"));
    assert_eq!(
        (got.status, got.is_read, got.is_from_self),
        (Some(MsgStatus::SEND_SUCC), Some(false), Some(false))
    );
    let page = bob.server_texts("alice").await;
    assert_eq!(page.len(), 1, "stored once");
    s.stop().await.unwrap();
}
