//! The store conformance suite. Each test takes a fresh store from a constructor, so the same
//! suite runs on every backend (`conformance!` below instantiates it).

use std::sync::Arc;

use opentim_model::enums::{ConvType, MsgStatus};
use opentim_model::message::Message;
use opentim_protocol::InboxItem;
use opentim_server::store::{
    Backend as Store, Cap, Edit, FriendRow, GroupRow, InboxStore, MessageStore, NewC2c, NewGroup,
    NewGroupMessage, ReadMark, RelationDelta, RelationLimits, RequestRow, StoreError, GONE_FRIEND,
};

fn msg(from: &str, to: &str, id: &str) -> NewC2c {
    NewC2c {
        from: from.into(),
        to: to.into(),
        client_msg_id: id.into(),
        rand: 42,
        server_time: 1_700_000_000,
        message: Message::text(to, ConvType::C2C, format!("body of {id}")),
        friends_only: false,
    }
}

/// The users the suite writes to: a C2C message reaches only an existing account.
const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "g", "m1"];

async fn with_users(store: Arc<dyn Store>) -> Arc<dyn Store> {
    for u in USERS {
        store.register(u, 1).await.unwrap();
    }
    store
}

pub async fn seqs_and_cursors_are_gap_free_under_concurrent_writers(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..25 {
                let (from, to) = if (w + i) % 2 == 0 {
                    ("alice", "bob")
                } else {
                    ("bob", "alice")
                };
                out.push(
                    store
                        .append_c2c(msg(from, to, &format!("w{w}-{i}")))
                        .await
                        .unwrap(),
                );
            }
            out
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        for s in t.await.unwrap() {
            assert!(!s.duplicate);
            seqs.push(s.message.seq);
        }
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=200).collect::<Vec<u64>>(),
        "one conversation, one gap-free sequence"
    );
    for user in ["alice", "bob"] {
        let entries = store.inbox_after(user, 0, 1000).await.unwrap();
        let cursors: Vec<u64> = entries.iter().map(|e| e.cursor).collect();
        assert_eq!(
            cursors,
            (1..=200).collect::<Vec<u64>>(),
            "{user}'s inbox is gap-free"
        );
        assert_eq!(store.inbox_head(user).await.unwrap(), 200);
    }
}

pub async fn a_retried_client_message_id_is_stored_once(store: Arc<dyn Store>) {
    let first = store.append_c2c(msg("alice", "bob", "same")).await.unwrap();
    let mut retry = msg("alice", "bob", "same");
    retry.server_time += 5;
    let second = store.append_c2c(retry).await.unwrap();
    assert!(!first.duplicate && second.duplicate);
    assert_eq!(
        first.message, second.message,
        "the retry gets the first result"
    );
    assert_eq!(
        (first.from_cursor, first.to_cursor),
        (second.from_cursor, second.to_cursor)
    );
    assert_eq!(store.inbox_after("bob", 0, 10).await.unwrap().len(), 1);
    // Another sender may reuse the id: ids are per sender.
    let other = store.append_c2c(msg("carol", "bob", "same")).await.unwrap();
    assert!(!other.duplicate);
}

pub async fn inbox_pages_in_cursor_order(store: Arc<dyn Store>) {
    for i in 0..10 {
        store
            .append_c2c(msg("alice", "bob", &format!("p{i}")))
            .await
            .unwrap();
    }
    let page1 = store.inbox_after("bob", 0, 4).await.unwrap();
    let page2 = store
        .inbox_after("bob", page1.last().unwrap().cursor, 100)
        .await
        .unwrap();
    assert_eq!(page1.len(), 4);
    assert_eq!(page2.len(), 6);
    let ids: Vec<String> = page1
        .iter()
        .chain(page2.iter())
        .map(|e| match &e.item {
            InboxItem::Message { message } => message.client_msg_id.clone(),
            other => panic!("only messages were stored: {other:?}"),
        })
        .collect();
    assert_eq!(ids, (0..10).map(|i| format!("p{i}")).collect::<Vec<_>>());
    assert!(store.inbox_after("nobody", 0, 10).await.unwrap().is_empty());
    assert_eq!(store.inbox_head("nobody").await.unwrap(), 0);
}

pub async fn history_pages_newest_first(store: Arc<dyn Store>) {
    for i in 0..5 {
        store
            .append_c2c(msg(
                if i % 2 == 0 { "alice" } else { "bob" },
                if i % 2 == 0 { "bob" } else { "alice" },
                &format!("h{i}"),
            ))
            .await
            .unwrap();
    }
    let newest = store
        .c2c_history("bob", "alice", u64::MAX, 2)
        .await
        .unwrap();
    assert_eq!(newest.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![5, 4]);
    let older = store.c2c_history("alice", "bob", 4, 10).await.unwrap();
    assert_eq!(
        older.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    assert_eq!(
        older[0].message.elem_array,
        Message::text("x", ConvType::C2C, "body of h2").elem_array
    );
}

pub async fn a_batch_is_stored_in_order_with_one_result_each(store: Arc<dyn Store>) {
    let batch = vec![
        msg("alice", "bob", "b0"),
        msg("alice", "bob", "b1"),
        msg("alice", "bob", "b0"),
        msg("alice", "bob", "b2"),
    ];
    let results: Vec<_> = store
        .append_c2c_batch(batch)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        results.iter().map(|r| r.message.seq).collect::<Vec<_>>(),
        vec![1, 2, 1, 3]
    );
    assert_eq!(
        results.iter().map(|r| r.duplicate).collect::<Vec<_>>(),
        vec![false, false, true, false]
    );
    assert_eq!(store.inbox_head("bob").await.unwrap(), 3);
    assert_eq!(store.inbox_head("alice").await.unwrap(), 3);
}

pub async fn self_messages_take_one_inbox_entry(store: Arc<dyn Store>) {
    let s = store
        .append_c2c(msg("alice", "alice", "note"))
        .await
        .unwrap();
    assert_eq!(s.from_cursor, s.to_cursor);
    assert_eq!(store.inbox_after("alice", 0, 10).await.unwrap().len(), 1);
}

fn at(mut m: NewC2c, time: u64) -> NewC2c {
    m.server_time = time;
    m
}

pub async fn conversations_follow_messages_on_both_sides(store: Arc<dyn Store>) {
    store
        .append_c2c(at(msg("alice", "bob", "a1"), 100))
        .await
        .unwrap();
    store
        .append_c2c(at(msg("bob", "alice", "b1"), 101))
        .await
        .unwrap();
    store
        .append_c2c(at(msg("alice", "bob", "a2"), 102))
        .await
        .unwrap();
    store
        .append_c2c(at(msg("carol", "bob", "c1"), 103))
        .await
        .unwrap();
    store
        .append_c2c(at(msg("alice", "alice", "note"), 90))
        .await
        .unwrap();

    let (bobs, head) = store.conversations("bob", 100).await.unwrap();
    assert_eq!(head, store.inbox_head("bob").await.unwrap());
    let view: Vec<_> = bobs
        .iter()
        .map(|c| {
            (
                c.peer.as_str(),
                c.unread,
                c.active_time,
                c.last.as_ref().map(|m| m.seq),
            )
        })
        .collect();
    assert_eq!(
        view,
        [("carol", 1, 103, Some(1)), ("alice", 2, 102, Some(3))],
        "newest first; unread counts only the peer's messages"
    );
    let (alices, _) = store.conversations("alice", 100).await.unwrap();
    let view: Vec<_> = alices.iter().map(|c| (c.peer.as_str(), c.unread)).collect();
    assert_eq!(
        view,
        [("bob", 1), ("alice", 0)],
        "a note to oneself is never unread"
    );
    assert_eq!(
        store.conversations("bob", 1).await.unwrap().0.len(),
        1,
        "the limit holds"
    );
    assert!(store
        .conversations("nobody", 10)
        .await
        .unwrap()
        .0
        .is_empty());
}

pub async fn read_marks_move_forward_and_tell_both_sides(store: Arc<dyn Store>) {
    for i in 0..3 {
        store
            .append_c2c(msg("alice", "bob", &format!("a{i}")))
            .await
            .unwrap();
    }
    store.append_c2c(msg("bob", "alice", "b0")).await.unwrap(); // seq 4
    let bob_head = store.inbox_head("bob").await.unwrap();
    let alice_head = store.inbox_head("alice").await.unwrap();

    // Bob reads up to seq 2: one of alice's messages is left.
    let m = store.mark_c2c_read("bob", "alice", 2, 500).await.unwrap();
    assert_eq!((m.read_seq, m.unread), (2, 1));
    assert_eq!(m.owner_cursor, Some(bob_head + 1));
    assert_eq!(m.peer_cursor, Some(alice_head + 1));
    let bob_entries = store.inbox_after("bob", bob_head, 10).await.unwrap();
    assert_eq!(bob_entries.len(), 1);
    assert_eq!(
        bob_entries[0].item,
        InboxItem::Read {
            conv_type: ConvType::C2C,
            conv_id: "alice".into(),
            read_seq: 2,
            unread: 1
        }
    );
    let alice_entries = store.inbox_after("alice", alice_head, 10).await.unwrap();
    assert_eq!(
        alice_entries[0].item,
        InboxItem::PeerRead {
            conv_type: ConvType::C2C,
            conv_id: "bob".into(),
            read_seq: 2,
            time: 500
        }
    );
    // A mark never moves back, and repeating it writes nothing.
    let again = store.mark_c2c_read("bob", "alice", 1, 501).await.unwrap();
    assert_eq!(
        again,
        ReadMark {
            read_seq: 2,
            unread: 1,
            owner_cursor: None,
            peer_cursor: None
        }
    );
    // Up to the newest (seq 0): nothing left; bob's own message at seq 4 was never unread.
    let all = store.mark_c2c_read("bob", "alice", 0, 502).await.unwrap();
    assert_eq!((all.read_seq, all.unread), (4, 0));
    let (list, _) = store.conversations("bob", 10).await.unwrap();
    assert_eq!((list[0].read_seq, list[0].unread), (4, 0));
    let (list, _) = store.conversations("alice", 10).await.unwrap();
    assert_eq!(list[0].peer_read_seq, 4, "alice sees how far bob read");
    assert_eq!(list[0].unread, 1, "alice has not read bob's message");
    // Alice reads: bob sent seq 4, so bob gets a receipt; nothing of alice's is involved.
    let a = store.mark_c2c_read("alice", "bob", 0, 503).await.unwrap();
    assert_eq!((a.read_seq, a.unread), (4, 0));
    assert!(a.peer_cursor.is_some());
    // Cursors stay gap-free with the new kinds.
    let cursors: Vec<u64> = store
        .inbox_after("bob", 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.cursor)
        .collect();
    assert_eq!(cursors, (1..=cursors.len() as u64).collect::<Vec<_>>());
    // A conversation that does not exist has nothing to mark.
    let none = store.mark_c2c_read("bob", "nobody", 0, 1).await.unwrap();
    assert_eq!((none.read_seq, none.owner_cursor), (0, None));
}

pub async fn a_recalled_message_stays_marked_and_both_sides_are_told(store: Arc<dyn Store>) {
    let sent = store.append_c2c(msg("alice", "bob", "oops")).await.unwrap();
    store.append_c2c(msg("alice", "bob", "fine")).await.unwrap();
    let (alice_head, bob_head) = (
        store.inbox_head("alice").await.unwrap(),
        store.inbox_head("bob").await.unwrap(),
    );
    let seq = sent.message.seq;
    let done = store
        .revoke_c2c("alice", "bob", seq)
        .await
        .unwrap()
        .expect("recalled");
    let mut cursors = done.cursors.clone();
    cursors.sort();
    assert_eq!(
        cursors,
        [
            ("alice".to_owned(), alice_head + 1),
            ("bob".to_owned(), bob_head + 1)
        ]
    );
    for (user, head, peer) in [("alice", alice_head, "bob"), ("bob", bob_head, "alice")] {
        let entries = store.inbox_after(user, head, 10).await.unwrap();
        assert_eq!(
            entries[0].item,
            InboxItem::Revoke {
                conv_type: ConvType::C2C,
                conv_id: peer.into(),
                seq,
                rand: sent.message.rand,
                time: sent.message.server_time,
                from: "alice".into()
            },
            "{user}'s revoke entry"
        );
    }
    // The row stays, marked; the other message is untouched.
    let history = store
        .c2c_history("bob", "alice", u64::MAX, 10)
        .await
        .unwrap();
    let status: Vec<_> = history.iter().map(|m| m.message.status).collect();
    assert_eq!(status, [None, Some(MsgStatus::REVOKED)]);
    let one = store
        .c2c_message("alice", "bob", seq)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.message.status, Some(MsgStatus::REVOKED));
    // The message entry in the inbox shows it recalled too (a device syncing late).
    let first = store.inbox_after("bob", 0, 1).await.unwrap();
    let InboxItem::Message { message } = &first[0].item else {
        panic!("a message entry first");
    };
    assert_eq!(message.message.status, Some(MsgStatus::REVOKED));
    // Twice, or a message that is not there: nothing changes.
    assert_eq!(store.revoke_c2c("alice", "bob", seq).await.unwrap(), None);
    assert_eq!(store.revoke_c2c("alice", "bob", 99).await.unwrap(), None);
    assert_eq!(store.inbox_head("bob").await.unwrap(), bob_head + 1);
    assert!(store
        .c2c_message("alice", "bob", 99)
        .await
        .unwrap()
        .is_none());
    // A message to oneself: one entry.
    let own = store
        .append_c2c(msg("carol", "carol", "note"))
        .await
        .unwrap();
    let head = store.inbox_head("carol").await.unwrap();
    let done = store
        .revoke_c2c("carol", "carol", own.message.seq)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.cursors, [("carol".to_owned(), head + 1)]);
}

pub async fn deleting_and_clearing_are_for_the_owner_only(store: Arc<dyn Store>) {
    let mut seqs = Vec::new();
    for i in 0..5 {
        let s = store
            .append_c2c(at(msg("alice", "bob", &format!("d{i}")), 100 + i))
            .await
            .unwrap();
        seqs.push(s.message.seq);
    }
    let history = |who: &'static str, peer: &'static str| {
        let store = store.clone();
        async move {
            let page = store.c2c_history(who, peer, u64::MAX, 10).await.unwrap();
            page.iter().map(|m| m.seq).collect::<Vec<_>>()
        }
    };
    let head = store.inbox_head("alice").await.unwrap();
    let done = store
        .delete_c2c("alice", "bob", vec![seqs[1], seqs[4], seqs[1], 999])
        .await
        .unwrap();
    assert_eq!(
        done,
        [(seqs[1], head + 1), (seqs[4], head + 2)],
        "one entry per message newly deleted"
    );
    assert_eq!(history("alice", "bob").await, [seqs[3], seqs[2], seqs[0]]);
    assert_eq!(history("bob", "alice").await.len(), 5, "bob keeps his");
    let entries = store.inbox_after("alice", head, 10).await.unwrap();
    assert_eq!(
        entries[0].item,
        InboxItem::Delete {
            conv_type: ConvType::C2C,
            conv_id: "bob".into(),
            seq: seqs[1]
        }
    );
    let (alice_convs, _) = store.conversations("alice", 10).await.unwrap();
    assert_eq!(
        alice_convs[0].last.as_ref().map(|m| m.seq),
        Some(seqs[3]),
        "the newest message left is the last"
    );
    let (bob_convs, _) = store.conversations("bob", 10).await.unwrap();
    assert_eq!(bob_convs[0].last.as_ref().map(|m| m.seq), Some(seqs[4]));
    assert!(store
        .delete_c2c("alice", "bob", vec![seqs[1]])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .delete_c2c("alice", "nobody", vec![1])
        .await
        .unwrap()
        .is_empty());

    let head = store.inbox_head("alice").await.unwrap();
    let cleared = store.clear_c2c("alice", "bob").await.unwrap();
    assert_eq!((cleared.seq, cleared.cursor), (seqs[4], Some(head + 1)));
    assert!(history("alice", "bob").await.is_empty());
    assert_eq!(history("bob", "alice").await.len(), 5);
    let entries = store.inbox_after("alice", head, 10).await.unwrap();
    assert_eq!(
        entries[0].item,
        InboxItem::Clear {
            conv_type: ConvType::C2C,
            conv_id: "bob".into(),
            seq: seqs[4]
        }
    );
    let (alice_convs, _) = store.conversations("alice", 10).await.unwrap();
    assert_eq!(
        (alice_convs[0].last.is_none(), alice_convs[0].unread),
        (true, 0)
    );
    let again = store.clear_c2c("alice", "bob").await.unwrap();
    assert_eq!(again.cursor, None, "nothing new to clear");
    // Bob's unread messages to alice are cleared as read for her, not for him.
    let later = store
        .append_c2c(at(msg("bob", "alice", "after"), 200))
        .await
        .unwrap();
    assert_eq!(history("alice", "bob").await, [later.message.seq]);
    let (alice_convs, _) = store.conversations("alice", 10).await.unwrap();
    assert_eq!(alice_convs[0].unread, 1);
    assert_eq!(
        alice_convs[0].last.as_ref().map(|m| m.seq),
        Some(later.message.seq)
    );
}

pub async fn pinned_conversations_list_first_and_deleted_ones_until_a_new_message(
    store: Arc<dyn Store>,
) {
    store
        .append_c2c(at(msg("bob", "alice", "b"), 100))
        .await
        .unwrap();
    store
        .append_c2c(at(msg("carol", "alice", "c"), 200))
        .await
        .unwrap();
    let list = |store: Arc<dyn Store>| async move {
        let (rows, _) = store.conversations("alice", 10).await.unwrap();
        rows.into_iter()
            .map(|r| (r.peer, r.pinned, r.unread))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(store.clone()).await,
        [("carol".into(), false, 1), ("bob".into(), false, 1)]
    );
    let head = store.inbox_head("alice").await.unwrap();
    assert_eq!(
        store.pin_c2c("alice", "bob", true).await.unwrap(),
        Some(head + 1)
    );
    assert_eq!(
        store.pin_c2c("alice", "bob", true).await.unwrap(),
        None,
        "so already"
    );
    assert_eq!(store.pin_c2c("alice", "nobody", true).await.unwrap(), None);
    let entries = store.inbox_after("alice", head, 10).await.unwrap();
    assert_eq!(
        entries[0].item,
        InboxItem::Pin {
            conv_type: ConvType::C2C,
            conv_id: "bob".into(),
            pinned: true
        }
    );
    assert_eq!(
        list(store.clone()).await,
        [("bob".into(), true, 1), ("carol".into(), false, 1)]
    );
    let (bob_rows, _) = store.conversations("bob", 10).await.unwrap();
    assert!(!bob_rows[0].pinned, "for the owner only");

    let head = store.inbox_head("alice").await.unwrap();
    assert_eq!(
        store.hide_c2c("alice", "carol").await.unwrap(),
        Some(head + 1)
    );
    assert_eq!(store.hide_c2c("alice", "carol").await.unwrap(), None);
    let entries = store.inbox_after("alice", head, 10).await.unwrap();
    assert_eq!(
        entries[0].item,
        InboxItem::ConvDelete {
            conv_type: ConvType::C2C,
            conv_id: "carol".into()
        }
    );
    assert_eq!(list(store.clone()).await, [("bob".into(), true, 1)]);
    assert_eq!(
        store
            .c2c_history("alice", "carol", u64::MAX, 10)
            .await
            .unwrap()
            .len(),
        1,
        "the messages stay"
    );
    store
        .append_c2c(at(msg("carol", "alice", "c2"), 300))
        .await
        .unwrap();
    assert_eq!(
        list(store.clone()).await,
        [("bob".into(), true, 1), ("carol".into(), false, 1)],
        "a new message brings it back, only it unread"
    );
}

pub async fn a_user_who_does_not_receive_a_peer_gets_nothing_of_theirs(store: Arc<dyn Store>) {
    store
        .append_c2c(at(msg("alice", "bob", "before"), 100))
        .await
        .unwrap();
    store
        .set_receive_opt("bob", vec!["alice".into(), "carol".into()], 1)
        .await
        .unwrap();
    store
        .set_receive_opt("bob", vec!["carol".into()], 2)
        .await
        .unwrap();
    assert_eq!(
        store
            .receive_opts("bob", vec!["alice".into(), "dave".into(), "carol".into()])
            .await
            .unwrap(),
        [1, 0, 2]
    );
    let head = store.inbox_head("bob").await.unwrap();
    let refused = store
        .append_c2c(at(msg("alice", "bob", "unwanted"), 200))
        .await
        .unwrap();
    assert_eq!(refused.to_cursor, 0, "no entry for bob");
    assert!(refused.from_cursor > 0);
    assert_eq!(store.inbox_head("bob").await.unwrap(), head);
    let seqs = |who: &'static str, peer: &'static str| {
        let store = store.clone();
        async move {
            let page = store.c2c_history(who, peer, u64::MAX, 10).await.unwrap();
            page.iter().map(|m| m.seq).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        seqs("alice", "bob").await.len(),
        2,
        "alice keeps what she sent"
    );
    assert_eq!(seqs("bob", "alice").await.len(), 1, "bob never has it");
    let (bob_convs, _) = store.conversations("bob", 10).await.unwrap();
    assert_eq!(
        (
            bob_convs[0].unread,
            bob_convs[0].last.as_ref().map(|m| m.server_time)
        ),
        (1, Some(100))
    );
    let again = store
        .append_c2c(at(msg("alice", "bob", "unwanted"), 200))
        .await
        .unwrap();
    assert!(
        again.duplicate && again.to_cursor == 0,
        "a retry answers the same"
    );
    // Silently received (2) is received; back to 0, alice's messages arrive again.
    let from_carol = store
        .append_c2c(at(msg("carol", "bob", "hi"), 300))
        .await
        .unwrap();
    assert!(from_carol.to_cursor > 0);
    store
        .set_receive_opt("bob", vec!["alice".into()], 0)
        .await
        .unwrap();
    let later = store
        .append_c2c(at(msg("alice", "bob", "later"), 400))
        .await
        .unwrap();
    assert!(later.to_cursor > from_carol.to_cursor);
    assert_eq!(seqs("bob", "alice").await.len(), 2);
    // One's own messages to oneself are always received.
    store
        .set_receive_opt("erin", vec!["erin".into()], 1)
        .await
        .unwrap();
    let own = store.append_c2c(msg("erin", "erin", "note")).await.unwrap();
    assert!(own.to_cursor > 0);
}

pub async fn forwarded_bundles_are_kept_under_their_key(store: Arc<dyn Store>) {
    let body = r#"[{"message_elem_array":[{"elem_type":0,"text_elem_content":"fwd"}]}]"#;
    store
        .put_relay("k1", "alice", body.to_owned(), 100)
        .await
        .unwrap();
    assert_eq!(store.relay("k1").await.unwrap().as_deref(), Some(body));
    assert_eq!(store.relay("k2").await.unwrap(), None);
}

fn group(id: &str, owner: &str, max: u32) -> NewGroup {
    use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
    NewGroup {
        row: GroupRow {
            id: id.into(),
            group_type: GroupType::PUBLIC,
            name: format!("group {id}"),
            owner: owner.into(),
            notification: "notice".into(),
            introduction: "intro".into(),
            face_url: String::new(),
            add_option: GroupAddOption::AUTH,
            max_members: max,
            shutup_all: false,
            custom: "[]".into(),
            created: 1_700_000_000,
            info_seq: 1,
            last_info_time: 1_700_000_000,
            last_seq: 0,
            last_msg_time: 0,
            member_count: 0,
            visible: 2,
            searchable: 2,
        },
        members: vec![
            (owner.into(), GroupMemberRole::OWNER),
            ("m1".into(), GroupMemberRole::NORMAL),
        ],
    }
}

pub async fn groups_keep_their_profile_and_members_within_the_cap(store: Arc<dyn Store>) {
    use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
    let notices = store
        .create_group(group("g1", "alice", 4))
        .await
        .unwrap()
        .expect("created");
    let told: Vec<&str> = notices.iter().map(|n| n.user.as_str()).collect();
    assert_eq!(told, ["alice", "m1"], "each first member is told");
    assert!(
        store
            .create_group(group("g1", "bob", 4))
            .await
            .unwrap()
            .is_none(),
        "an id is taken once"
    );
    let g = store.group("g1").await.unwrap().expect("the group");
    assert_eq!(
        (
            g.owner.as_str(),
            g.group_type,
            g.add_option,
            g.member_count,
            g.info_seq
        ),
        ("alice", GroupType::PUBLIC, GroupAddOption::AUTH, 2, 1)
    );
    assert!(store.group("nope").await.unwrap().is_none());
    let owner = store.member("g1", "alice").await.unwrap().unwrap();
    assert_eq!(
        (owner.role, owner.join_time),
        (GroupMemberRole::OWNER, 1_700_000_000)
    );
    assert!(store.member("g1", "bob").await.unwrap().is_none());

    let added = store
        .add_members(
            "g1",
            vec!["m1".into(), "m2".into(), "m3".into(), "m4".into()],
            GroupMemberRole::NORMAL,
            1_700_000_100,
        )
        .await
        .unwrap();
    assert_eq!(added.already, ["m1"]);
    assert_eq!(added.added, ["m2", "m3"]);
    assert_eq!(added.full, ["m4"], "the cap of 4 holds");
    let page1 = store.members("g1", 0, 2).await.unwrap();
    let page2 = store.members("g1", 2, 10).await.unwrap();
    let all: Vec<&str> = page1
        .iter()
        .chain(&page2)
        .map(|m| m.user.as_str())
        .collect();
    assert_eq!(all, ["alice", "m1", "m2", "m3"], "paged in user id order");

    assert!(store
        .create_group(group("g0", "m2", 10))
        .await
        .unwrap()
        .is_some());
    let joined: Vec<String> = store
        .joined("m2")
        .await
        .unwrap()
        .into_iter()
        .map(|(g, m)| format!("{}:{}", g.id, m.role.0))
        .collect();
    assert_eq!(joined, ["g0:400", "g1:200"]);

    let gone = store
        .remove_members("g1", vec!["m3".into(), "nobody".into()])
        .await
        .unwrap();
    let gone: Vec<&str> = gone.iter().map(|n| n.user.as_str()).collect();
    assert_eq!(gone, ["m3"]);
    assert_eq!(store.group("g1").await.unwrap().unwrap().member_count, 3);
    let left = store.dismiss("g1").await.unwrap().expect("dismissed");
    assert_eq!(left.len(), 3, "every member is told");
    assert!(store.dismiss("g1").await.unwrap().is_none());
    assert!(store.group("g1").await.unwrap().is_none());
    assert!(store.member("g1", "alice").await.unwrap().is_none());
    assert_eq!(store.joined("m2").await.unwrap().len(), 1, "g0 stays");
}

fn group_msg(group: &str, from: &str, id: &str, text: &str) -> NewGroupMessage {
    NewGroupMessage {
        group: group.into(),
        from: from.into(),
        client_msg_id: id.into(),
        rand: 7,
        server_time: 1_700_000_500,
        message: Message::text(group, ConvType::GROUP, text),
    }
}

pub async fn a_group_stream_is_stored_once_and_read_by_seq(store: Arc<dyn Store>) {
    use opentim_model::enums::GroupMemberRole;
    store.create_group(group("g", "alice", 10)).await.unwrap();
    // Stored once, numbered by the group's own seq; nothing is written per member.
    let stored = store
        .append_group(vec![
            group_msg("g", "alice", "a1", "one"),
            group_msg("g", "m1", "b1", "two"),
            group_msg("g", "alice", "a1", "one again"),
        ])
        .await;
    let seqs: Vec<(u64, bool)> = stored
        .iter()
        .map(|r| {
            let s = r.as_ref().unwrap();
            (s.entry.seq, s.duplicate)
        })
        .collect();
    assert_eq!(
        seqs,
        [(1, false), (2, false), (1, true)],
        "a retry gets the first"
    );
    assert_eq!(
        store.inbox_head("m1").await.unwrap(),
        1,
        "only the joined entry"
    );
    let g = store.group("g").await.unwrap().unwrap();
    assert_eq!(g.last_seq, 2);
    // A member who joins later sees what comes after.
    let added = store
        .add_members("g", vec!["late".into()], GroupMemberRole::NORMAL, 1)
        .await
        .unwrap();
    assert_eq!(added.notices[0].seq, 2, "joined at seq 2");
    store
        .append_group(vec![group_msg("g", "alice", "a3", "three")])
        .await;
    let history = store
        .group_history("g", "late", u64::MAX, 10)
        .await
        .unwrap();
    let texts: Vec<u64> = history.iter().map(|m| m.seq).collect();
    assert_eq!(texts, [3], "history starts after joining");
    let all = store
        .group_history("g", "alice", u64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(all.iter().map(|m| m.seq).collect::<Vec<_>>(), [3, 2, 1]);
    // Unread counts derive from the seqs; a read mark moves forward only.
    let convs = store.group_conversations("m1").await.unwrap();
    assert_eq!(
        (convs[0].unread, convs[0].read_seq),
        (1, 2),
        "m1 read their own"
    );
    let mark = store.mark_group_read("g", "m1", 0).await.unwrap();
    assert_eq!((mark.read_seq, mark.unread), (3, 0));
    assert!(mark.owner_cursor.is_some());
    let again = store.mark_group_read("g", "m1", 1).await.unwrap();
    assert_eq!(
        (again.read_seq, again.owner_cursor),
        (3, None),
        "never back"
    );
    let inbox = store.inbox_after("m1", 0, 10).await.unwrap();
    assert!(matches!(
        &inbox[1].item,
        InboxItem::Read { conv_type, conv_id, read_seq: 3, .. }
            if *conv_type == ConvType::GROUP && conv_id == "g"
    ));
    // A recall is an entry of the stream, after the messages.
    let revoke = store
        .revoke_group("g", 2, "alice", 1_700_000_600)
        .await
        .unwrap()
        .expect("recalled");
    assert_eq!(revoke.seq, 4);
    let r = revoke.revoke.as_ref().unwrap();
    assert_eq!((r.seq, r.from.as_str(), r.by.as_str()), (2, "m1", "alice"));
    assert!(store
        .revoke_group("g", 2, "alice", 1)
        .await
        .unwrap()
        .is_none());
    let entries = store.group_entries("g", 1, 10).await.unwrap();
    let kinds: Vec<(u64, bool)> = entries
        .iter()
        .map(|e| (e.seq, e.revoke.is_some()))
        .collect();
    assert_eq!(kinds, [(2, false), (3, false), (4, true)]);
    assert_eq!(
        entries[0].message.as_ref().unwrap().message.status,
        Some(opentim_model::enums::MsgStatus::REVOKED)
    );
    assert!(
        store.group_message("g", 4).await.unwrap().is_none(),
        "a recall is no message"
    );
}

pub async fn profiles_memberships_pendencies_and_notices_are_kept(store: Arc<dyn Store>) {
    use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupPendencyType};
    use opentim_server::store::{Decision, GroupPatch, MemberPatch, NewPendency, NewReport};
    store.create_group(group("g", "alice", 10)).await.unwrap();
    let patch = GroupPatch {
        name: Some("renamed".into()),
        add_option: Some(GroupAddOption::ANY),
        shutup_all: Some(true),
        visible: Some(1),
        ..Default::default()
    };
    let g = store
        .update_group("g", patch, 1_700_000_100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (g.name.as_str(), g.notification.as_str()),
        ("renamed", "notice")
    );
    assert!(g.shutup_all && g.add_option == GroupAddOption::ANY && g.visible == 1);
    assert_eq!((g.info_seq, g.last_info_time), (2, 1_700_000_100));
    // Ownership goes to a member only; the old owner becomes a member.
    let to_outsider = GroupPatch {
        owner: Some("zed".into()),
        ..Default::default()
    };
    assert!(store
        .update_group("g", to_outsider, 1)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.group("g").await.unwrap().unwrap().owner,
        "alice",
        "unchanged"
    );
    let to_m1 = GroupPatch {
        owner: Some("m1".into()),
        ..Default::default()
    };
    let g = store.update_group("g", to_m1, 1).await.unwrap().unwrap();
    assert_eq!(g.owner, "m1");
    let role = |u: &'static str| {
        let store = store.clone();
        async move { store.member("g", u).await.unwrap().unwrap().role }
    };
    assert_eq!(role("m1").await, GroupMemberRole::OWNER);
    assert_eq!(role("alice").await, GroupMemberRole::NORMAL);
    assert!(store
        .update_group("nope", GroupPatch::default(), 1)
        .await
        .unwrap()
        .is_none());

    let m = store
        .update_member(
            "g",
            "alice",
            MemberPatch {
                role: Some(GroupMemberRole::ADMIN),
                shutup_until: Some(1_700_000_900),
                name_card: Some("Al".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (m.role, m.shutup_until, m.name_card.as_str(), m.msg_flag),
        (GroupMemberRole::ADMIN, 1_700_000_900, "Al", 0)
    );
    assert!(store
        .update_member("g", "zed", MemberPatch::default())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.managers("g").await.unwrap(),
        ["m1", "alice"],
        "owner first"
    );

    // A request is decided by the group's managers, an invitation by its invitee; times are
    // unique and a repeated request replaces the first.
    let ask = |from: &str, to: &str, kind, time_ms| NewPendency {
        group_id: "g".into(),
        kind,
        from: from.into(),
        to: to.into(),
        apply_msg: format!("{from} asks"),
        time_ms,
    };
    let r1 = store
        .add_pendency(ask("bob", "", GroupPendencyType::REQUEST_JOIN, 5_000))
        .await
        .unwrap();
    let i1 = store
        .add_pendency(ask("alice", "carol", GroupPendencyType::INVITE_JOIN, 5_000))
        .await
        .unwrap();
    assert_eq!((r1.add_time, i1.add_time), (5_000, 5_001), "unique times");
    let r2 = store
        .add_pendency(ask("bob", "", GroupPendencyType::REQUEST_JOIN, 4_000))
        .await
        .unwrap();
    assert_eq!(r2.add_time, 5_002, "the request again, later");
    assert!(
        store.pendency("g", 5_000).await.unwrap().is_none(),
        "replaced"
    );
    let times = |rows: Vec<opentim_server::store::PendencyRow>| -> Vec<u64> {
        rows.iter().map(|r| r.add_time).collect()
    };
    assert_eq!(
        times(store.pendencies("alice", 0, 10).await.unwrap()),
        [5_002],
        "an admin sees requests"
    );
    assert_eq!(times(store.pendencies("m1", 0, 10).await.unwrap()), [5_002]);
    assert_eq!(
        times(store.pendencies("carol", 0, 10).await.unwrap()),
        [5_001],
        "the invitee"
    );
    assert!(
        store.pendencies("bob", 0, 10).await.unwrap().is_empty(),
        "not the requester"
    );
    assert_eq!(store.unread_pendencies("m1", 0).await.unwrap(), 1);
    assert_eq!(store.unread_pendencies("m1", 5_002).await.unwrap(), 0);
    assert_eq!(store.pendency_read_time("m1").await.unwrap(), 0);
    store.set_pendency_read_time("m1", 6_000).await.unwrap();
    store.set_pendency_read_time("m1", 1_000).await.unwrap();
    assert_eq!(
        store.pendency_read_time("m1").await.unwrap(),
        6_000,
        "never back"
    );
    let decide = |by: &str, accept| Decision {
        group_id: "g".into(),
        add_time: 5_002,
        accept,
        by: by.into(),
        message: "welcome".into(),
    };
    let d = store
        .decide_pendency(decide("alice", true))
        .await
        .unwrap()
        .unwrap();
    assert!(d.handled && d.accepted && d.handled_by == "alice");
    assert!(
        store
            .decide_pendency(decide("m1", false))
            .await
            .unwrap()
            .is_none(),
        "once"
    );
    let kept = store.pendencies("m1", 0, 10).await.unwrap();
    assert!(kept[0].handled, "decided items stay listed");
    // Pages end at an exact time.
    for t in 0..3 {
        store
            .add_pendency(ask(
                &format!("u{t}"),
                "",
                GroupPendencyType::REQUEST_JOIN,
                9_000,
            ))
            .await
            .unwrap();
    }
    let first = times(store.pendencies("m1", 0, 2).await.unwrap());
    assert_eq!(first, [9_002, 9_001]);
    let rest = times(store.pendencies("m1", 9_001, 10).await.unwrap());
    assert_eq!(rest, [9_000, 5_002]);

    // Notices go to each user's system conversation through their inbox.
    let report = |user: &str, id: &str| NewReport {
        user: user.into(),
        from: "@TIM#SYSTEM".into(),
        client_msg_id: id.into(),
        rand: 1,
        server_time: 1_700_000_200,
        message: Message::text("", ConvType::SYSTEM, "notice"),
    };
    let head = store.inbox_head("bob").await.unwrap();
    let told = store
        .append_reports(vec![
            report("bob", "n1"),
            report("carol", "n2"),
            report("bob", "n3"),
        ])
        .await
        .unwrap();
    assert_eq!(told.len(), 3);
    let inbox = store.inbox_after("bob", head, 10).await.unwrap();
    let seqs: Vec<(u64, ConvType, String)> = inbox
        .iter()
        .map(|e| match &e.item {
            InboxItem::Message { message } => {
                (message.seq, message.conv_type, message.from.clone())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        seqs,
        [
            (1, ConvType::SYSTEM, "@TIM#SYSTEM".to_owned()),
            (2, ConvType::SYSTEM, "@TIM#SYSTEM".to_owned())
        ]
    );
    assert!(
        store.conversations("bob", 10).await.unwrap().0.is_empty(),
        "not a conversation"
    );
}

pub async fn profiles_are_created_and_patched(store: Arc<dyn Store>) {
    use opentim_server::store::ProfilePatch;
    assert!(store
        .profiles(vec!["alice".into()])
        .await
        .unwrap()
        .is_empty());
    let p = store
        .update_profile(
            "alice",
            ProfilePatch {
                nick: Some("A".into()),
                level: Some(3),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        (p.nick.as_str(), p.level, p.custom.as_str(), p.updated),
        ("A", 3, "[]", 100)
    );
    let p = store
        .update_profile(
            "alice",
            ProfilePatch {
                signature: Some("hi".into()),
                custom: Some("[{\"k\":1}]".into()),
                ..Default::default()
            },
            200,
        )
        .await
        .unwrap();
    assert_eq!(
        (p.nick.as_str(), p.level, p.signature.as_str()),
        ("A", 3, "hi"),
        "the rest kept"
    );
    let got = store
        .profiles(vec!["bob".into(), "alice".into()])
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].user.as_str(), got[0].updated), ("alice", 200));
}

const LIMITS: RelationLimits = RelationLimits {
    friends: 3,
    incoming_requests: 2,
    groups: 2,
    blocked: 2,
};

fn friend(owner: &str, friend: &str, time: u64) -> Edit {
    Edit::Friend(FriendRow {
        owner: owner.into(),
        friend: friend.into(),
        groups: vec!["g1".into()],
        custom: vec![("Tag_SNS_Custom_k".into(), "v".into())],
        add_time: time,
        ..Default::default()
    })
}

pub async fn blacklists_hold_their_cap_and_order(store: Arc<dyn Store>) {
    let block = |u: &str, time| Edit::Block {
        owner: "bob".into(),
        user: u.into(),
        time,
    };
    store
        .relate(vec![block("a", 10), block("b", 11)], LIMITS)
        .await
        .unwrap();
    let over = store.relate(vec![block("c", 12)], LIMITS).await;
    assert!(
        matches!(over, Err(StoreError::LimitReached { ref owner, cap: Cap::Blocked }) if owner == "bob"),
        "{over:?}"
    );
    assert!(store.is_blocked("bob", "a").await.unwrap());
    assert!(
        !store.is_blocked("bob", "c").await.unwrap(),
        "nothing of it stored"
    );
    assert!(!store.is_blocked("a", "bob").await.unwrap(), "one way");
    let r = store.c2c_allowed("a", "bob", false).await;
    assert!(matches!(r, Err(StoreError::Blocked)), "{r:?}");
    let list: Vec<String> = store
        .blocked("bob")
        .await
        .unwrap()
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    assert_eq!(list, ["a", "b"]);
    let unblock = Edit::Unblock {
        owner: "bob".into(),
        user: "a".into(),
    };
    store.relate(vec![unblock], LIMITS).await.unwrap();
    assert!(!store.is_blocked("bob", "a").await.unwrap());
}

/// Friends, requests and groups carry versions; a device holding a version gets only what
/// changed after it, removals as tombstones; caps hold per owner.
pub async fn relation_changes_are_versioned_and_capped(store: Arc<dyn Store>) {
    let all = store.delta("alice", 0).await.unwrap();
    assert_eq!(all, RelationDelta::default(), "nothing yet");
    store
        .relate(
            vec![
                friend("alice", "bob", 5),
                friend("bob", "alice", 5),
                Edit::Group {
                    owner: "alice".into(),
                    name: "g1".into(),
                },
                Edit::Request(RequestRow {
                    owner: "alice".into(),
                    other: "carol".into(),
                    incoming: false,
                    friend_type: 1,
                    add_wording: "hi".into(),
                    add_time: 6,
                    ..Default::default()
                }),
                Edit::Request(RequestRow {
                    owner: "carol".into(),
                    other: "alice".into(),
                    incoming: true,
                    friend_type: 1,
                    add_wording: "hi".into(),
                    add_time: 6,
                    ..Default::default()
                }),
            ],
            LIMITS,
        )
        .await
        .unwrap();
    let d = store.delta("alice", 0).await.unwrap();
    assert_eq!(d.version, 1, "one version per change and owner");
    assert_eq!(d.friends.len(), 1);
    assert_eq!(d.friends[0].groups, ["g1"]);
    assert_eq!(
        d.friends[0].custom,
        [("Tag_SNS_Custom_k".to_owned(), "v".to_owned())]
    );
    assert_eq!(d.groups, ["g1"]);
    assert_eq!(d.requests.len(), 1);
    assert!(!d.requests[0].incoming);
    let carol = store.requests("carol").await.unwrap();
    assert_eq!((carol.len(), carol[0].incoming), (1, true));
    // One more change: only it comes after version 1.
    store
        .relate(
            vec![Edit::Unfriend {
                owner: "alice".into(),
                friend: "bob".into(),
            }],
            LIMITS,
        )
        .await
        .unwrap();
    let d = store.delta("alice", 1).await.unwrap();
    assert_eq!(d.version, 2);
    assert!(d.friends.is_empty() && d.groups.is_empty() && d.requests.is_empty());
    assert_eq!(d.gone, [(GONE_FRIEND, "bob".to_owned())]);
    assert_eq!(
        store
            .who_have(vec!["alice".into(), "bob".into()], "alice")
            .await
            .unwrap(),
        ["bob"]
    );
    assert_eq!(store.friend_owners("alice").await.unwrap(), ["bob"]);
    // Adding back clears the tombstone; a touch brings the row again.
    store
        .relate(vec![friend("alice", "bob", 9)], LIMITS)
        .await
        .unwrap();
    let d = store.delta("alice", 2).await.unwrap();
    assert_eq!((d.friends.len(), d.gone.len()), (1, 0));
    store
        .relate(
            vec![Edit::Touch {
                owner: "alice".into(),
                friend: "bob".into(),
            }],
            LIMITS,
        )
        .await
        .unwrap();
    assert_eq!(store.delta("alice", 3).await.unwrap().friends.len(), 1);
    // Caps: a change that passes one stores nothing.
    let over = store
        .relate(
            vec![
                friend("alice", "carol", 10),
                friend("alice", "dave", 11),
                friend("alice", "erin", 12),
            ],
            LIMITS,
        )
        .await;
    assert!(
        matches!(
            over,
            Err(StoreError::LimitReached {
                cap: Cap::Friends,
                ..
            })
        ),
        "{over:?}"
    );
    assert_eq!(store.friends("alice", vec![]).await.unwrap().len(), 1);
    // Read time only moves forward.
    for t in [50, 40] {
        store
            .relate(
                vec![Edit::ReadTime {
                    owner: "carol".into(),
                    time: t,
                }],
                LIMITS,
            )
            .await
            .unwrap();
    }
    assert_eq!(store.delta("carol", 0).await.unwrap().read_time, 50);
    // Accounts.
    assert!(store.register("zed", 7).await.unwrap());
    assert!(!store.register("zed", 8).await.unwrap());
    assert_eq!(
        store
            .existing(vec!["zed".into(), "nobody".into()])
            .await
            .unwrap(),
        [true, false]
    );
}

/// Accounts are read, deleted, and have their UserSigs revoked (a kick) without moving back.
pub async fn accounts_are_read_deleted_and_their_sigs_revoked(store: Arc<dyn Store>) {
    assert!(store.register("kim", 70).await.unwrap());
    let row = store.account("kim").await.unwrap().unwrap();
    assert_eq!((row.created, row.sigs_from), (70, 0));
    assert!(store.revoke_sigs("kim", 500).await.unwrap());
    assert!(store.revoke_sigs("kim", 400).await.unwrap());
    assert_eq!(store.account("kim").await.unwrap().unwrap().sigs_from, 500);
    assert!(!store.revoke_sigs("nobody", 500).await.unwrap());
    assert_eq!(store.account("nobody").await.unwrap(), None);
    assert_eq!(
        store
            .delete_accounts(vec!["kim".into(), "nobody".into()])
            .await
            .unwrap(),
        [true, false]
    );
    assert_eq!(store.account("kim").await.unwrap(), None);
    assert_eq!(store.existing(vec!["kim".into()]).await.unwrap(), [false]);
    // Messages to a deleted account are refused; it comes back with a new registration.
    let r = store.append_c2c(msg("alice", "kim", "x")).await;
    assert!(matches!(r, Err(StoreError::NoSuchUser)), "{r:?}");
    assert!(store.register("kim", 900).await.unwrap());
    assert_eq!(store.account("kim").await.unwrap().unwrap().sigs_from, 0);
}

/// The callback queue: claimed oldest first for a lease, retried later, dropped once done.
pub async fn callbacks_wait_until_delivered(store: Arc<dyn Store>) {
    let items = |names: &[&str]| -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| {
                (
                    "C2C.CallbackAfterSendMsg".to_owned(),
                    format!("{{\"n\":\"{n}\"}}"),
                )
            })
            .collect()
    };
    store
        .enqueue_callbacks(items(&["a", "b", "c"]), 100)
        .await
        .unwrap();
    assert_eq!(store.callbacks_waiting().await.unwrap(), 3);
    assert!(
        store.claim_callbacks(99, 30, 10).await.unwrap().is_empty(),
        "not due yet"
    );
    let first = store.claim_callbacks(100, 30, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|c| c.body.as_str()).collect::<Vec<_>>(),
        ["{\"n\":\"a\"}", "{\"n\":\"b\"}"]
    );
    assert!(first
        .iter()
        .all(|c| c.attempts == 1 && c.command == "C2C.CallbackAfterSendMsg"));
    // Held for the lease: only c is left to take.
    let second = store.claim_callbacks(101, 30, 10).await.unwrap();
    assert_eq!(second.len(), 1);
    store.drop_callback(first[0].id).await.unwrap();
    store.retry_callback(first[1].id, 105).await.unwrap();
    assert!(store.claim_callbacks(104, 30, 10).await.unwrap().is_empty());
    let again = store.claim_callbacks(105, 30, 10).await.unwrap();
    assert_eq!(
        (again.len(), again[0].id, again[0].attempts),
        (1, first[1].id, 2)
    );
    // A lease that ends gives the callback back (its node died).
    let back = store.claim_callbacks(131, 30, 10).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].id, second[0].id);
    assert_eq!(store.callbacks_waiting().await.unwrap(), 2);
}

/// A C2C message to an id that never existed is refused and nothing is stored.
pub async fn c2c_messages_reach_only_existing_accounts(store: Arc<dyn Store>) {
    let r = store.append_c2c(msg("alice", "ghost", "x")).await;
    assert!(matches!(r, Err(StoreError::NoSuchUser)), "{r:?}");
    // The check without a write (online-only messages) says the same.
    let r = store.c2c_allowed("alice", "ghost", false).await;
    assert!(matches!(r, Err(StoreError::NoSuchUser)), "{r:?}");
    store.c2c_allowed("alice", "bob", false).await.unwrap();
    store.c2c_allowed("ghost", "ghost", true).await.unwrap();
    let r = store.c2c_allowed("alice", "bob", true).await;
    assert!(
        matches!(
            r,
            Err(StoreError::NotFriends {
                peer_has_sender: false,
                sender_has_peer: false
            })
        ),
        "{r:?}"
    );
    assert!(store.inbox_after("alice", 0, 10).await.unwrap().is_empty());
    let mut m = msg("alice", "bob", "y");
    m.friends_only = true;
    let r = store.append_c2c(m.clone()).await;
    assert!(
        matches!(
            r,
            Err(StoreError::NotFriends {
                peer_has_sender: false,
                sender_has_peer: false
            })
        ),
        "{r:?}"
    );
    store
        .relate(vec![friend("bob", "alice", 1)], LIMITS)
        .await
        .unwrap();
    let r = store.append_c2c(m.clone()).await;
    assert!(
        matches!(
            r,
            Err(StoreError::NotFriends {
                peer_has_sender: true,
                sender_has_peer: false
            })
        ),
        "{r:?}"
    );
    store
        .relate(vec![friend("alice", "bob", 1)], LIMITS)
        .await
        .unwrap();
    store.c2c_allowed("alice", "bob", true).await.unwrap();
    store.append_c2c(m).await.unwrap();
}

macro_rules! conformance {
    ($backend:ident, $make:path, #[$attr:meta]) => {
        mod $backend {
            conformance!(@each $make, $attr;
                seqs_and_cursors_are_gap_free_under_concurrent_writers,
                a_retried_client_message_id_is_stored_once,
                inbox_pages_in_cursor_order,
                history_pages_newest_first,
                a_batch_is_stored_in_order_with_one_result_each,
                self_messages_take_one_inbox_entry,
                conversations_follow_messages_on_both_sides,
                read_marks_move_forward_and_tell_both_sides,
                a_recalled_message_stays_marked_and_both_sides_are_told,
                deleting_and_clearing_are_for_the_owner_only,
                pinned_conversations_list_first_and_deleted_ones_until_a_new_message,
                a_user_who_does_not_receive_a_peer_gets_nothing_of_theirs,
                forwarded_bundles_are_kept_under_their_key,
                groups_keep_their_profile_and_members_within_the_cap,
                a_group_stream_is_stored_once_and_read_by_seq,
                profiles_memberships_pendencies_and_notices_are_kept,
                profiles_are_created_and_patched,
                blacklists_hold_their_cap_and_order,
                relation_changes_are_versioned_and_capped,
                accounts_are_read_deleted_and_their_sigs_revoked,
                callbacks_wait_until_delivered,
                c2c_messages_reach_only_existing_accounts);
        }
    };
    (@each $make:path, $attr:meta; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[$attr]
            async fn $name() {
                let dir = tempfile::tempdir().unwrap();
                super::$name($make(dir.path()).await).await;
            }
        )*
    };
}

async fn sqlite(dir: &std::path::Path) -> Arc<dyn Store> {
    with_users(Arc::new(
        opentim_server::store::SqliteStore::open(dir, "full", 64).unwrap(),
    ))
    .await
}

/// A PostgreSQL store in a schema of its own, so test runs never see each other's data.
pub async fn postgres(_dir: &std::path::Path) -> Arc<dyn Store> {
    let url = std::env::var("OPENTIM_TEST_POSTGRES_URL")
        .expect("set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run the PostgreSQL tests");
    let schema = format!("t_{}_{:08x}", std::process::id(), rand_u32());
    with_users(Arc::new(
        opentim_server::store::PgStore::connect(&url, Some(&schema), 8)
            .await
            .expect("PostgreSQL reachable"),
    ))
    .await
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) as u32
}

conformance!(sqlite, super::sqlite, #[cfg_attr(any(), ignore)]);
conformance!(
    postgres,
    super::postgres,
    #[cfg_attr(not(pg_tests), ignore = "needs PostgreSQL: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test (.ci/run does)")]
);

#[tokio::test]
async fn sqlite_data_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store: Arc<dyn Store> =
            Arc::new(opentim_server::store::SqliteStore::open(dir.path(), "full", 64).unwrap());
        let store = with_users(store).await;
        store
            .append_c2c(msg("alice", "bob", "durable"))
            .await
            .unwrap();
    }
    let store = opentim_server::store::SqliteStore::open(dir.path(), "full", 64).unwrap();
    assert_eq!(store.inbox_after("bob", 0, 10).await.unwrap().len(), 1);
    let next = store
        .append_c2c(msg("alice", "bob", "after"))
        .await
        .unwrap();
    assert_eq!(next.message.seq, 2, "counters continue after a reopen");
}

/// Two stores on one PostgreSQL schema stand for two nodes: their concurrent writers to the same
/// conversation still get one gap-free sequence and gap-free inboxes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test (.ci/run does)"
)]
async fn postgres_sequences_stay_gap_free_across_two_nodes() {
    let url = std::env::var("OPENTIM_TEST_POSTGRES_URL").unwrap();
    let schema = format!("t_{}_{:08x}_2n", std::process::id(), rand_u32());
    // Both nodes start at once on a fresh schema: schema creation and migrations must not race.
    let (a, b) = tokio::join!(
        opentim_server::store::PgStore::connect(&url, Some(&schema), 4),
        opentim_server::store::PgStore::connect(&url, Some(&schema), 4)
    );
    let a: Arc<dyn Store> = with_users(Arc::new(a.unwrap())).await;
    let b: Arc<dyn Store> = Arc::new(b.unwrap());
    let mut tasks = Vec::new();
    for w in 0..8 {
        let node = if w % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..20 {
                let (from, to) = if i % 2 == 0 {
                    ("alice", "bob")
                } else {
                    ("bob", "alice")
                };
                let s = node
                    .append_c2c(msg(from, to, &format!("n{w}-{i}")))
                    .await
                    .unwrap();
                seqs.push(s.message.seq);
            }
            seqs
        }));
    }
    // The same client message id sent to both nodes at once is stored once.
    let (x, y) = tokio::join!(
        a.append_c2c(msg("carol", "dave", "twice")),
        b.append_c2c(msg("carol", "dave", "twice"))
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.message.seq, y.message.seq);
    assert!(x.duplicate != y.duplicate, "exactly one of the two wrote");
    let mut seqs: Vec<u64> = Vec::new();
    for t in tasks {
        let per_task = t.await.unwrap();
        assert!(
            per_task.windows(2).all(|w| w[0] < w[1]),
            "one writer's seqs increase"
        );
        seqs.extend(per_task);
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=160).collect::<Vec<u64>>());
    for user in ["alice", "bob"] {
        let cursors: Vec<u64> = a
            .inbox_after(user, 0, 1000)
            .await
            .unwrap()
            .iter()
            .map(|e| e.cursor)
            .collect();
        assert_eq!(cursors, (1..=160).collect::<Vec<u64>>());
    }
    assert_eq!(b.inbox_after("dave", 0, 10).await.unwrap().len(), 1);
}

/// `sslmode=require` in the URL: the store's connections are encrypted (checked from the
/// server's side, in `pg_stat_ssl`); with a CA file that did not sign the server's certificate,
/// connecting fails.
#[tokio::test]
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test (.ci/run does)"
)]
async fn postgres_connections_use_tls_when_the_url_asks() {
    let url = std::env::var("OPENTIM_TEST_POSTGRES_URL").unwrap();
    let app = format!("opentim_tls_{:08x}", rand_u32());
    let sep = if url.contains('?') { '&' } else { '?' };
    let tls_url = format!("{url}{sep}sslmode=require&application_name={app}");
    let schema = format!("t_{}_{:08x}_tls", std::process::id(), rand_u32());
    let store = opentim_server::store::PgStore::connect(&tls_url, Some(&schema), 2)
        .await
        .expect("PostgreSQL over TLS (the server must have ssl = on)");
    let store = with_users(Arc::new(store)).await;
    store
        .append_c2c(msg("alice", "bob", "secret"))
        .await
        .unwrap();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let encrypted: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = $1 AND s.ssl",
            &[&app],
        )
        .await
        .unwrap()
        .get(0);
    assert!(encrypted >= 1, "the store's connections are encrypted");
    let plain: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = $1 AND NOT s.ssl",
            &[&app],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(plain, 0);

    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let stranger = params.self_signed(&key).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, stranger.pem()).unwrap();
    let refused =
        opentim_server::store::PgStore::connect_with(&tls_url, Some(&schema), 1, Some(&ca)).await;
    assert!(
        refused.is_err(),
        "a certificate this CA did not sign is refused"
    );
}

/// A stored row that does not parse is an error on every path that reads it, never an empty
/// message: history, inbox pages, and the retry of a stored client message id.
async fn corrupt_rows_are_errors<F, Fut>(store: Arc<dyn Store>, corrupt: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    store.append_c2c(msg("alice", "bob", "fine")).await.unwrap();
    corrupt().await;
    assert!(store
        .c2c_history("alice", "bob", u64::MAX, 10)
        .await
        .is_err());
    assert!(store.inbox_after("bob", 0, 10).await.is_err());
    let retry = store.append_c2c(msg("alice", "bob", "fine")).await;
    assert!(
        retry.is_err(),
        "a retry must not answer with an empty message: {retry:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_corrupt_rows_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path()).await;
    let path = dir.path().join("opentim.db");
    corrupt_rows_are_errors(store, || async move {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute("UPDATE messages SET body = '{not json'", [])
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test (.ci/run does)"
)]
async fn postgres_corrupt_rows_are_errors() {
    let url = std::env::var("OPENTIM_TEST_POSTGRES_URL").unwrap();
    let schema = format!("t_{}_{:08x}_bad", std::process::id(), rand_u32());
    let store: Arc<dyn Store> = with_users(Arc::new(
        opentim_server::store::PgStore::connect(&url, Some(&schema), 2)
            .await
            .unwrap(),
    ))
    .await;
    corrupt_rows_are_errors(store, || async move {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .batch_execute(&format!("UPDATE {schema}.messages SET body = '{{not json'"))
            .await
            .unwrap();
    })
    .await;
}
