//! The conversation list, unread counts and read receipts across a user's devices and their
//! peers: on one node (SQLite) and across two nodes (PostgreSQL and NATS).

use std::path::Path;

use opentim_model::conv::ConvInfo;
use opentim_model::enums::{ConvEvent, ConvType, MsgStatus};
use opentim_sdk::SdkEvent;
use opentim_server::RunningServer;

use crate::cluster::Cluster;
use crate::support::*;

impl TestClient {
    /// Wait until the conversation with `peer` is reported (added or updated) with `unread`.
    async fn conv_unread(&mut self, peer: &str, unread: u64) -> Option<ConvInfo> {
        self.wait_for(10, |e| match e {
            SdkEvent::Conversations(_, convs) => convs
                .into_iter()
                .find(|c| c.conv_id.as_deref() == Some(peer) && c.unread_num == Some(unread)),
            _ => None,
        })
        .await
    }

    async fn total_unread(&mut self, total: u64) -> bool {
        self.wait_for(10, |e| (e == SdkEvent::TotalUnread(total)).then_some(()))
            .await
            .is_some()
    }

    fn cached(&self, peer: &str) -> ConvInfo {
        self.client
            .conversation(peer, ConvType::C2C)
            .unwrap()
            .unwrap_or_else(|| panic!("{} has no conversation with {peer}", self.user))
    }
}

/// Alice writes to bob, who has one device on `s0` and gets new ones on `s1`.
async fn read_marks_follow_every_device(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let mut alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob1 = device(s0, dir, "bob", "bob1", 0).await;
    let mut sent = Vec::new();
    for i in 0..3 {
        sent.push(alice.send_text("bob", &format!("m{i}")).await);
    }
    assert_eq!(bob1.receive(3, 10).await.len(), 3);
    assert!(bob1.total_unread(3).await, "bob1 counts 3 unread");
    assert_eq!(bob1.cached("alice").unread_num, Some(3));

    // A device that never saw the account starts from the server's list: the conversation,
    // its last message, its unread count, and the unread messages announced once.
    let mut bob2 = device(s1, dir, "bob", "bob2", 2).await;
    let news = bob2.receive(3, 10).await;
    assert_eq!(
        news.iter().map(text).collect::<Vec<_>>(),
        ["m0", "m1", "m2"],
        "the unread messages reach the new device as new messages"
    );
    assert!(bob2.quiet(300).await.is_empty(), "and only once");
    let conv = bob2.cached("alice");
    assert_eq!(conv.unread_num, Some(3));
    let last = conv.last_msg.expect("the last message comes with the list");
    assert_eq!(text(&last), "m2");
    assert_eq!(
        bob2.client
            .history("alice", ConvType::C2C, 10)
            .unwrap()
            .len(),
        3
    );

    // bob reads up to m1 on his first device: the count follows on the second, and alice
    // learns it as a receipt with her copies marked read by the peer.
    let m1 = sent[1].seq.expect("a sent message has its seq");
    bob1.client
        .mark_read("alice", ConvType::C2C, m1)
        .await
        .unwrap();
    assert_eq!(
        bob1.cached("alice").unread_num,
        Some(1),
        "at once on the reading device"
    );
    assert!(bob2.conv_unread("alice", 1).await.is_some(), "bob2 follows");
    assert!(bob2.total_unread(1).await);
    let receipt = alice
        .wait_for(10, |e| match e {
            SdkEvent::Receipts(r) => r.into_iter().next(),
            _ => None,
        })
        .await
        .expect("alice gets a read receipt");
    assert_eq!(receipt.conv_id.as_deref(), Some("bob"));
    let peer_read: Vec<bool> = alice
        .client
        .history("bob", ConvType::C2C, 10)
        .unwrap()
        .iter()
        .map(|m| m.is_peer_read == Some(true))
        .collect();
    assert_eq!(peer_read, [true, true, false]);
    let read: Vec<bool> = bob1
        .client
        .history("alice", ConvType::C2C, 10)
        .unwrap()
        .iter()
        .map(|m| m.is_read == Some(true))
        .collect();
    assert_eq!(read, [true, true, false], "bob's copies say what he read");

    // Reading everything on the second device clears the first; an older mark changes nothing.
    bob2.client.mark_all_read(None).await.unwrap();
    assert!(bob1.conv_unread("alice", 0).await.is_some());
    assert!(bob1.total_unread(0).await);
    bob1.client
        .mark_read("alice", ConvType::C2C, 1)
        .await
        .unwrap();
    assert_eq!(bob1.cached("alice").unread_num, Some(0));
    assert_eq!(bob2.cached("alice").unread_num, Some(0));

    // A third new device: everything is read, so nothing is announced, and the list is there.
    let mut bob3 = device(s1, dir, "bob", "bob3", 3).await;
    let added = bob3
        .wait_for(10, |e| match e {
            SdkEvent::Conversations(ConvEvent::ADD, c) => Some(c),
            _ => None,
        })
        .await
        .expect("the list is announced");
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].unread_num, Some(0));
    assert!(
        bob3.quiet(300).await.is_empty(),
        "read messages are not new"
    );
    let convs = bob3.client.conversations().unwrap();
    assert_eq!(convs.len(), 1);
    assert_eq!(text(convs[0].last_msg.as_ref().unwrap()), "m2");
    assert_eq!(bob3.client.total_unread().unwrap(), 0);

    // New traffic after the start: counted on every device of bob.
    alice.send_text("bob", "m3").await;
    for d in [&mut bob1, &mut bob2, &mut bob3] {
        assert!(d.total_unread(1).await, "{} counts the new message", d.user);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_marks_follow_every_device_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    read_marks_follow_every_device(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn read_marks_follow_every_device_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    read_marks_follow_every_device(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// Alice recalls a message from one of her two devices: each device of both users is told once
/// and sees it recalled; only the sender may recall.
async fn a_recall_reaches_every_device(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let mut alice1 = device(s0, dir, "alice", "alice1", 0).await;
    let mut alice2 = device(s1, dir, "alice", "alice2", 2).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    let oops = alice1.send_text("bob", "oops").await;
    alice1.send_text("bob", "fine").await;
    assert_eq!(bob.receive(2, 10).await.len(), 2);
    assert_eq!(alice2.receive(2, 10).await.len(), 2);
    let seq = oops.seq.unwrap();

    let refused = bob
        .client
        .revoke("alice", ConvType::C2C, seq)
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        opentim_model::codes::ERR_INVALID_PARAMETERS,
        "{refused}"
    );

    alice1
        .client
        .revoke("bob", ConvType::C2C, seq)
        .await
        .unwrap();
    let status = |c: &TestClient, peer: &str| -> Vec<MsgStatus> {
        c.client
            .history(peer, ConvType::C2C, 10)
            .unwrap()
            .iter()
            .map(|m| m.status.unwrap())
            .collect()
    };
    let recalled = [MsgStatus::REVOKED, MsgStatus::SEND_SUCC];
    assert_eq!(
        status(&alice1, "bob"),
        recalled,
        "at once on the recalling device"
    );
    for (d, peer, is_self) in [
        (&mut bob, "alice", false),
        (&mut alice2, "bob", true),
        (&mut alice1, "bob", true),
    ] {
        let l = d
            .wait_for(10, |e| match e {
                SdkEvent::Revoked(l) => l.into_iter().next(),
                _ => None,
            })
            .await
            .unwrap_or_else(|| panic!("{} hears of the recall", d.user));
        assert_eq!(
            (l.conv_id.as_deref(), l.seq, l.is_self, l.is_revoked),
            (Some(peer), Some(seq), Some(is_self), Some(true))
        );
        assert_eq!(status(d, peer), recalled, "{}'s copy", d.user);
        let found = d
            .client
            .find_by_seqs(peer, ConvType::C2C, &[seq, 999])
            .unwrap();
        assert_eq!(found.len(), 1, "the locator names the recalled message");
        assert_eq!(found[0].status, Some(MsgStatus::REVOKED));
    }
    // Once each: recalling again succeeds and tells nobody anything new.
    alice1
        .client
        .revoke("bob", ConvType::C2C, seq)
        .await
        .unwrap();
    for d in [&mut alice1, &mut alice2, &mut bob] {
        let again = d
            .wait_for(1, |e| matches!(e, SdkEvent::Revoked(_)).then_some(()))
            .await;
        assert!(again.is_none(), "{} is told once", d.user);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recall_reaches_every_device_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    a_recall_reaches_every_device(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn a_recall_reaches_every_device_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    a_recall_reaches_every_device(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_past_the_recall_window_stays() {
    let dir = tempfile::tempdir().unwrap();
    let config = opentim_server::Config {
        revoke_window_secs: 0,
        ..config(&dir.path().join("server"), "127.0.0.1:0")
    };
    let s = opentim_server::start(config).await.unwrap();
    accounts(&s, dir.path(), &["bob"]).await;
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let sent = alice.send_text("bob", "too late").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let e = alice
        .client
        .revoke("bob", ConvType::C2C, sent.seq.unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        opentim_model::codes::ERR_SVR_MSG_REVOKE_TIME_LIMIT,
        "{e}"
    );
    let h = alice.client.history("bob", ConvType::C2C, 10).unwrap();
    assert_eq!(h[0].status, Some(MsgStatus::SEND_SUCC));
    s.stop().await.unwrap();
}

/// History pages from the cache, completed from the server's history where the cache has no
/// older messages (a new device keeps only the newest).
async fn history_pages_come_from_the_cache_then_the_server(
    s0: &RunningServer,
    s1: &RunningServer,
    dir: &Path,
) {
    accounts(s1, dir, &["bob"]).await;
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let mut seqs = Vec::new();
    for i in 0..25 {
        seqs.push(alice.send_text("bob", &format!("m{i}")).await.seq.unwrap());
    }
    let mut o = options(s1, &dir.join("bob"));
    o.backfill_unread = 5;
    let mut bob = client_with(o, "bob");
    bob.client.login("bob", &sig("bob")).await.unwrap();
    assert_eq!(
        bob.receive(5, 10).await.len(),
        5,
        "the newest five come with the start"
    );
    let texts = |page: &[opentim_model::message::Message]| -> Vec<String> {
        page.iter().map(text).collect()
    };
    let names = |r: std::ops::RangeInclusive<usize>, rev: bool| -> Vec<String> {
        let mut v: Vec<String> = r.map(|i| format!("m{i}")).collect();
        if rev {
            v.reverse();
        }
        v
    };
    let c = &bob.client;
    let local = c
        .message_page("alice", ConvType::C2C, None, false, 10, false)
        .await
        .unwrap();
    assert_eq!(texts(&local), names(20..=24, true), "the cache alone");
    let page = c
        .message_page("alice", ConvType::C2C, None, false, 10, true)
        .await
        .unwrap();
    assert_eq!(
        texts(&page),
        names(15..=24, true),
        "completed from the server"
    );
    assert!(
        page.iter().all(|m| m.is_read == Some(false)),
        "unread stays unread"
    );
    let older = c
        .message_page("alice", ConvType::C2C, Some(seqs[15]), false, 10, true)
        .await
        .unwrap();
    assert_eq!(
        texts(&older),
        names(5..=14, true),
        "paging back from an anchor"
    );
    let newer = c
        .message_page("alice", ConvType::C2C, Some(seqs[5]), true, 3, false)
        .await
        .unwrap();
    assert_eq!(
        texts(&newer),
        names(6..=8, false),
        "forward, from the cache now"
    );
    let end = c
        .message_page("alice", ConvType::C2C, Some(seqs[0]), false, 10, true)
        .await
        .unwrap();
    assert!(end.is_empty(), "nothing before the first message");

    // Hundreds: the whole conversation back from the newest in pages of 20 (the cache, then
    // the server), then forward again from the oldest, from the cache filled on the way back.
    let carol = device(s0, dir, "carol", "carol", 0).await;
    let total = 300;
    for i in 0..total {
        carol.send_text("bob", &format!("c{i}")).await;
    }
    assert_eq!(bob.receive(total, 20).await.len(), total);
    let c = &bob.client;
    let mut back = Vec::new();
    let mut anchor = None;
    loop {
        let page = c
            .message_page("carol", ConvType::C2C, anchor, false, 20, true)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        anchor = page.last().and_then(|m| m.seq);
        back.extend(texts(&page));
    }
    let want: Vec<String> = (0..total).rev().map(|i| format!("c{i}")).collect();
    assert_eq!(back, want, "every message once, newest first");
    let mut forward = Vec::new();
    let mut anchor = None;
    loop {
        let page = c
            .message_page("carol", ConvType::C2C, anchor, true, 20, false)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        anchor = page.last().and_then(|m| m.seq);
        forward.extend(texts(&page));
    }
    forward.reverse();
    assert_eq!(forward, want, "and forward again from the cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_come_from_the_cache_then_the_server_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    history_pages_come_from_the_cache_then_the_server(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn history_pages_come_from_the_cache_then_the_server_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    history_pages_come_from_the_cache_then_the_server(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_created_drafted_and_deleted_on_the_device() {
    use opentim_model::conv::Draft;
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let mut bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let conv = bob
        .client
        .create_conversation("alice", ConvType::C2C)
        .unwrap();
    assert_eq!(
        (conv.unread_num, conv.is_has_lastmsg),
        (Some(0), Some(false))
    );
    assert!(bob
        .wait_for(5, |e| matches!(
            e,
            SdkEvent::Conversations(ConvEvent::ADD, _)
        )
        .then_some(()))
        .await
        .is_some());
    let again = bob
        .client
        .create_conversation("alice", ConvType::C2C)
        .unwrap();
    assert_eq!(
        again.conv_id, conv.conv_id,
        "creating it again answers the same one"
    );

    let draft = Draft {
        msg: Some(opentim_model::message::Message::text(
            "alice",
            ConvType::C2C,
            "half a thought",
        )),
        user_define: Some("cursor at 4".into()),
        edit_time: Some(1_700_000_000),
    };
    bob.client
        .set_draft("alice", ConvType::C2C, Some(&draft))
        .unwrap();
    let updated = bob
        .wait_for(5, |e| match e {
            SdkEvent::Conversations(ConvEvent::UPDATE, c) => c.into_iter().next(),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(updated.is_has_draft, Some(true));
    assert!(bob
        .client
        .set_draft("nobody", ConvType::C2C, Some(&draft))
        .is_err());
    // The draft survives a restart of the app.
    bob.client.logout().await.unwrap();
    let mut bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let cached = bob.cached("alice");
    assert_eq!(cached.is_has_draft, Some(true));
    let kept = cached.draft.unwrap();
    assert_eq!(kept.user_define.as_deref(), Some("cursor at 4"));
    assert_eq!(text(kept.msg.as_ref().unwrap()), "half a thought");
    bob.client.set_draft("alice", ConvType::C2C, None).unwrap();
    assert_eq!(bob.cached("alice").is_has_draft, Some(false));

    // Deleted: off the list, its messages kept; a new message brings it back.
    alice.send_text("bob", "hi").await;
    assert_eq!(bob.receive(1, 10).await.len(), 1);
    bob.client
        .delete_conversation("alice", ConvType::C2C)
        .await
        .unwrap();
    assert!(bob
        .wait_for(5, |e| matches!(
            e,
            SdkEvent::Conversations(ConvEvent::DEL, _)
        )
        .then_some(()))
        .await
        .is_some());
    assert!(bob
        .client
        .conversation("alice", ConvType::C2C)
        .unwrap()
        .is_none());
    assert_eq!(
        bob.client
            .history("alice", ConvType::C2C, 10)
            .unwrap()
            .len(),
        1
    );
    assert!(bob
        .client
        .delete_conversation("alice", ConvType::C2C)
        .await
        .is_err());
    alice.send_text("bob", "still there?").await;
    assert!(bob
        .wait_for(10, |e| matches!(
            e,
            SdkEvent::Conversations(ConvEvent::ADD, _)
        )
        .then_some(()))
        .await
        .is_some());
    assert_eq!(
        text(bob.cached("alice").last_msg.as_ref().unwrap()),
        "still there?"
    );
    s.stop().await.unwrap();
}

/// The conversation ids of a device's list, in order, each with its pinned flag.
fn listed(c: &TestClient) -> Vec<(String, bool)> {
    c.client
        .conversations()
        .unwrap()
        .into_iter()
        .map(|c| (c.conv_id.unwrap(), c.is_pinned == Some(true)))
        .collect()
}

/// Wait until a device lists `want`.
async fn lists(c: &mut TestClient, want: &[(&str, bool)]) -> bool {
    let want: Vec<(String, bool)> = want.iter().map(|(c, p)| (c.to_string(), *p)).collect();
    for _ in 0..100 {
        if listed(c) == want {
            return true;
        }
        let _ = c.wait_for(0, |_| None::<()>).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// Alice pins one conversation and deletes another on one device: her other device and a
/// device new to the account list them the same way.
async fn pins_and_deletions_follow_every_device(
    s0: &RunningServer,
    s1: &RunningServer,
    dir: &Path,
) {
    let mut alice1 = device(s0, dir, "alice", "alice1", 0).await;
    let mut alice2 = device(s1, dir, "alice", "alice2", 2).await;
    let bob = device(s0, dir, "bob", "bob", 0).await;
    let carol = device(s1, dir, "carol", "carol", 0).await;
    bob.send_text("alice", "from bob").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // a later active time
    carol.send_text("alice", "from carol").await;
    let both = [("carol", false), ("bob", false)];
    assert!(lists(&mut alice1, &both).await, "{:?}", listed(&alice1));
    assert!(lists(&mut alice2, &both).await);

    let info = alice1
        .client
        .pin_conversation("bob", ConvType::C2C, true)
        .await
        .unwrap();
    assert_eq!(info.is_pinned, Some(true));
    let pinned = [("bob", true), ("carol", false)];
    assert!(lists(&mut alice1, &pinned).await, "pinned first, at once");
    assert!(lists(&mut alice2, &pinned).await, "{:?}", listed(&alice2));
    let e = alice1
        .client
        .pin_conversation("nobody", ConvType::C2C, true)
        .await
        .unwrap_err();
    assert_eq!(e.code, opentim_model::codes::ERR_INVALID_CONVERSATION);

    alice2
        .client
        .delete_conversation("carol", ConvType::C2C)
        .await
        .unwrap();
    let deleted = alice1
        .wait_for(10, |e| match e {
            SdkEvent::Conversations(ConvEvent::DEL, c) => c.into_iter().next(),
            _ => None,
        })
        .await
        .expect("alice1 hears of the deletion");
    assert_eq!(deleted.conv_id.as_deref(), Some("carol"));
    assert_eq!(listed(&alice1), [("bob".to_owned(), true)]);

    let mut alice3 = device(s0, dir, "alice", "alice3", 4).await;
    assert!(
        lists(&mut alice3, &[("bob", true)]).await,
        "a new device starts from the same list: {:?}",
        listed(&alice3)
    );
    carol.send_text("alice", "again").await;
    for d in [&mut alice1, &mut alice2, &mut alice3] {
        assert!(
            lists(d, &[("bob", true), ("carol", false)]).await,
            "a new message brings it back on {}",
            d.user
        );
    }
    alice1
        .client
        .pin_conversation("bob", ConvType::C2C, false)
        .await
        .unwrap();
    assert!(lists(&mut alice2, &[("carol", false), ("bob", false)]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_and_deletions_follow_every_device_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    pins_and_deletions_follow_every_device(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn pins_and_deletions_follow_every_device_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    pins_and_deletions_follow_every_device(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
