//! Group messages through the whole message API: stored once in the group's stream, pushed to
//! online members, caught up by seq at login, read, recalled and listed, with the membership
//! tips in the stream; on one node and across two.

use std::path::Path;

use opentim_model::codes;
use opentim_model::elem::Elem;
use opentim_model::enums::{ConvType, GroupTipType, GroupType, MsgStatus};
use opentim_model::group::{
    CreateGroupParam, GroupDeleteMemberParam, GroupInviteMemberParam, GroupMemberInfo,
};
use opentim_model::message::Message;
use opentim_sdk::SdkEvent;
use opentim_server::RunningServer;

use crate::cluster::Cluster;
use crate::support::*;

const G: &str = "g-talk";

fn create(id: &str, t: GroupType, members: &[&str]) -> CreateGroupParam {
    CreateGroupParam {
        group_name: Some("talk".into()),
        group_id: Some(id.into()),
        group_type: Some(t),
        group_member_array: Some(
            members
                .iter()
                .map(|m| GroupMemberInfo {
                    identifier: Some((*m).to_owned()),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

async fn say(c: &TestClient, group: &str, text: &str) -> opentim_sdk::Result<Message> {
    c.client
        .send_message(
            group,
            ConvType::GROUP,
            Message::text(group, ConvType::GROUP, text),
        )
        .await
}

/// The group messages among `got`, as (sender, text), tips as ("tip", its type and users).
fn seen(got: &[Message]) -> Vec<(String, String)> {
    got.iter()
        .map(|m| {
            assert_eq!(m.conv_type, Some(ConvType::GROUP), "{m:?}");
            assert_eq!(m.conv_id.as_deref(), Some(G), "{m:?}");
            match m.elem_array.first() {
                Some(Elem::GroupTips(t)) => (
                    m.sender.clone().unwrap_or_default(),
                    format!("{:?} {:?}", t.tip_type.unwrap(), t.user_array),
                ),
                _ => (m.sender.clone().unwrap_or_default(), text(m)),
            }
        })
        .collect()
}

/// The group messages that arrive until `n` did (or `secs` passed); notices to the user (the
/// system conversation) are left out.
async fn group_msgs(c: &mut TestClient, n: usize, secs: u64) -> Vec<Message> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while got.len() < n {
        match tokio::time::timeout_at(deadline, c.events.recv()).await {
            Ok(Some(SdkEvent::NewMessages(m))) => got.extend(
                m.into_iter()
                    .filter(|m| m.conv_type == Some(ConvType::GROUP)),
            ),
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    got
}

/// Group messages arriving within `ms` milliseconds (to prove nothing more comes).
async fn group_quiet(c: &mut TestClient, ms: u64) -> Vec<Message> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(ms);
    let mut got = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, c.events.recv()).await {
        if let SdkEvent::NewMessages(m) = ev {
            got.extend(
                m.into_iter()
                    .filter(|m| m.conv_type == Some(ConvType::GROUP)),
            );
        }
    }
    got
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

async fn unread_after_update(c: &mut TestClient, secs: u64) -> Option<u64> {
    c.wait_for(secs, |e| match e {
        SdkEvent::Conversations(_, convs) => convs
            .iter()
            .find(|i| i.conv_id.as_deref() == Some(G))
            .and_then(|i| i.unread_num),
        _ => None,
    })
    .await
}

async fn group_messages_reach_members_and_catch_up(
    s0: &RunningServer,
    s1: &RunningServer,
    dir: &Path,
) {
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    let mut carol = device(s1, dir, "carol", "carol-a", 0).await;
    alice
        .client
        .create_group(&create(G, GroupType::PUBLIC, &["bob", "carol"]))
        .await
        .unwrap();

    // Online members get it pushed; the sender's own send resolves with its seq.
    let hi = say(&alice, G, "hi").await.unwrap();
    let hi_seq = hi.seq.unwrap();
    assert!(hi_seq >= 1);
    assert_eq!(
        seen(&group_msgs(&mut bob, 1, 10).await),
        [pair("alice", "hi")]
    );
    assert_eq!(
        seen(&group_msgs(&mut carol, 1, 10).await),
        [pair("alice", "hi")]
    );

    // A member who was offline catches up at login, in order and once.
    carol.client.logout().await.unwrap();
    drop(carol);
    for t in ["m1", "m2", "m3", "m4"] {
        say(&alice, G, t).await.unwrap();
    }
    let b1 = say(&bob, G, "b1").await.unwrap();
    assert_eq!(group_msgs(&mut bob, 4, 10).await.len(), 4);
    let mut carol = device(s1, dir, "carol", "carol-a", 0).await;
    let got = group_msgs(&mut carol, 5, 10).await;
    assert_eq!(
        seen(&got),
        [
            pair("alice", "m1"),
            pair("alice", "m2"),
            pair("alice", "m3"),
            pair("alice", "m4"),
            pair("bob", "b1"),
        ]
    );
    let seqs: Vec<u64> = got.iter().map(|m| m.seq.unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(group_quiet(&mut carol, 500).await.is_empty(), "each once");
    let conv = carol
        .client
        .conversation(G, ConvType::GROUP)
        .unwrap()
        .unwrap();
    assert_eq!(conv.unread_num, Some(6), "hi, m1..m4, b1");

    // A new device of carol's sees the same count; a read on the first clears it there too.
    let mut carol_b = device(s0, dir, "carol", "carol-b", 2).await;
    let on_b = carol_b.client.conversation(G, ConvType::GROUP).unwrap();
    if on_b.as_ref().and_then(|c| c.unread_num) != Some(6) {
        assert_eq!(unread_after_update(&mut carol_b, 10).await, Some(6));
    }
    carol.client.mark_read(G, ConvType::GROUP, 0).await.unwrap();
    let conv = carol
        .client
        .conversation(G, ConvType::GROUP)
        .unwrap()
        .unwrap();
    assert_eq!(conv.unread_num, Some(0));
    let mut cleared = false;
    for _ in 0..5 {
        if unread_after_update(&mut carol_b, 10).await == Some(0) {
            cleared = true;
            break;
        }
    }
    assert!(cleared, "the other device's count is cleared");
    assert_eq!(carol.client.total_unread().unwrap(), 0);

    // Recall: the sender within the window, the owner any member's; a member not another's.
    bob.client
        .revoke(G, ConvType::GROUP, b1.seq.unwrap())
        .await
        .unwrap();
    let recalled = carol
        .wait_for(10, |e| match e {
            SdkEvent::Updated(ms) => ms.into_iter().find(|m| m.seq == b1.seq),
            _ => None,
        })
        .await
        .expect("carol sees b1 recalled");
    assert_eq!(recalled.status, Some(MsgStatus::REVOKED));
    let oops = say(&carol, G, "oops").await.unwrap();
    assert_eq!(
        bob.client
            .revoke(G, ConvType::GROUP, oops.seq.unwrap())
            .await
            .unwrap_err()
            .code,
        codes::ERR_SVR_GROUP_REVOKE_MSG_DENY
    );
    alice
        .client
        .revoke(G, ConvType::GROUP, oops.seq.unwrap())
        .await
        .unwrap();
    let mine = carol
        .wait_for(10, |e| match e {
            SdkEvent::Updated(ms) => ms.into_iter().find(|m| m.seq == oops.seq),
            _ => None,
        })
        .await
        .expect("carol sees her message recalled by the owner");
    assert_eq!(mine.status, Some(MsgStatus::REVOKED));

    // Roaming history for members, newest first, with the recalls marked.
    let history = bob
        .client
        .server_history(G, ConvType::GROUP, u64::MAX, 3)
        .await
        .unwrap();
    let h: Vec<(String, Option<MsgStatus>)> = history.iter().map(|m| (text(m), m.status)).collect();
    assert_eq!(
        h,
        [
            ("oops".into(), Some(MsgStatus::REVOKED)),
            ("b1".into(), Some(MsgStatus::REVOKED)),
            ("m4".into(), Some(MsgStatus::SEND_SUCC)),
        ]
    );

    // Outsiders neither send nor read.
    let zed = device(s0, dir, "zed", "zed", 0).await;
    assert_eq!(
        say(&zed, G, "let me in").await.unwrap_err().code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    assert_eq!(
        zed.client
            .server_history(G, ConvType::GROUP, u64::MAX, 10)
            .await
            .unwrap_err()
            .code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    assert_eq!(
        say(&zed, "g-none", "x").await.unwrap_err().code,
        codes::ERR_SVR_GROUP_NOT_FOUND
    );

    // Membership changes are tips in the stream, from the system; a new member's history
    // starts at joining, and a removed one gets nothing more.
    let mut dave = device(s1, dir, "dave", "dave", 0).await;
    group_quiet(&mut bob, 300).await;
    alice
        .client
        .invite_members(&GroupInviteMemberParam {
            group_id: Some(G.into()),
            identifier_array: Some(vec!["dave".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let tip = format!("{:?} {:?}", GroupTipType::INVITE, Some(vec!["dave"]));
    assert_eq!(
        seen(&group_msgs(&mut bob, 1, 10).await),
        [pair("@TIM#SYSTEM", &tip)]
    );
    say(&alice, G, "welcome").await.unwrap();
    let got = group_msgs(&mut dave, 2, 10).await;
    assert_eq!(
        seen(&got),
        [pair("@TIM#SYSTEM", &tip), pair("alice", "welcome")]
    );
    let history = dave
        .client
        .server_history(G, ConvType::GROUP, u64::MAX, 50)
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "nothing from before dave joined");
    group_quiet(&mut bob, 300).await;
    alice
        .client
        .kick_members(&GroupDeleteMemberParam {
            group_id: Some(G.into()),
            identifier_array: Some(vec!["dave".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let tip = format!("{:?} {:?}", GroupTipType::KICK, Some(vec!["dave"]));
    assert_eq!(
        seen(&group_msgs(&mut bob, 1, 10).await),
        [pair("@TIM#SYSTEM", &tip)]
    );
    group_quiet(&mut dave, 300).await;
    say(&alice, G, "bye").await.unwrap();
    assert_eq!(
        seen(&group_msgs(&mut bob, 1, 10).await),
        [pair("alice", "bye")]
    );
    assert!(
        group_quiet(&mut dave, 500).await.is_empty(),
        "a removed member gets nothing more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_messages_reach_members_and_catch_up_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    group_messages_reach_members_and_catch_up(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn group_messages_reach_members_and_catch_up_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    group_messages_reach_members_and_catch_up(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// An AVChatRoom: viewers enter with their connection, without membership rows; messages
/// reach whoever is in the room now and are never stored; a viewer whose connection comes
/// back is in the room again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_room_keeps_no_history_and_no_viewer_rows() {
    use opentim_model::enums::NetworkStatus;
    const L: &str = "g-live";
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    let addr = s.addr.to_string();
    let mut alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let mut bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let mut carol = device(&s, dir.path(), "carol", "carol", 0).await;
    alice
        .client
        .create_group(&create(L, GroupType::AV_CHAT_ROOM, &[]))
        .await
        .unwrap();
    bob.client.join_group(L, "").await.unwrap();
    carol.client.join_group(L, "").await.unwrap();
    // Who enters is told to who is in the room (a tip, not stored).
    let entered = bob
        .wait_for(10, |e| match e {
            SdkEvent::GroupTips(t) => t.into_iter().find(|t| {
                t.group_id.as_deref() == Some(L)
                    && t.user_array.as_deref() == Some(&["carol".to_owned()][..])
            }),
            _ => None,
        })
        .await
        .expect("bob sees carol enter");
    assert_eq!(
        (entered.tip_type, entered.user_array),
        (Some(GroupTipType::INVITE), Some(vec!["carol".to_owned()]))
    );
    for c in [&mut alice, &mut bob, &mut carol] {
        c.quiet(300).await;
    }
    assert!(
        bob.client.joined_groups().await.unwrap().is_empty(),
        "no membership"
    );
    let info = bob.client.group_info(&[L.into()]).await.unwrap();
    assert_eq!(
        info[0].info.as_ref().unwrap().member_num,
        Some(1),
        "the owner only"
    );

    // (The owner also gets the notice that the room was created.)
    group_quiet(&mut alice, 300).await;
    let texts = |got: Vec<Message>| -> Vec<(String, String)> {
        got.iter()
            .map(|m| (m.sender.clone().unwrap_or_default(), text(m)))
            .collect()
    };
    say(&alice, L, "live 1").await.unwrap();
    assert_eq!(
        texts(group_msgs(&mut bob, 1, 10).await),
        [pair("alice", "live 1")]
    );
    assert_eq!(
        texts(group_msgs(&mut carol, 1, 10).await),
        [pair("alice", "live 1")]
    );
    say(&bob, L, "hello room").await.unwrap();
    assert_eq!(
        texts(group_msgs(&mut alice, 1, 10).await),
        [pair("bob", "hello room")]
    );
    assert_eq!(
        texts(group_msgs(&mut carol, 1, 10).await),
        [pair("bob", "hello room")]
    );
    let history = alice
        .client
        .server_history(L, ConvType::GROUP, u64::MAX, 10)
        .await
        .unwrap();
    assert!(history.is_empty(), "no roaming history: {history:?}");
    let zed = device(&s, dir.path(), "zed", "zed", 0).await;
    assert_eq!(
        say(&zed, L, "not in").await.unwrap_err().code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );

    carol.client.quit_group(L).await.unwrap();
    let left = bob
        .wait_for(10, |e| match e {
            SdkEvent::GroupTips(t) => t
                .into_iter()
                .find(|t| t.tip_type == Some(GroupTipType::QUIT)),
            _ => None,
        })
        .await
        .expect("bob sees carol leave");
    assert_eq!(left.user_array, Some(vec!["carol".to_owned()]));
    bob.quiet(300).await;
    say(&alice, L, "live 2").await.unwrap();
    assert_eq!(
        texts(group_msgs(&mut bob, 1, 10).await),
        [pair("alice", "live 2")]
    );
    assert!(
        group_quiet(&mut carol, 500).await.is_empty(),
        "left the room"
    );

    // The connection drops and comes back: the viewer is in the room again.
    s.stop().await.unwrap();
    assert!(bob.wait_network(NetworkStatus::DISCONNECTED, 10).await);
    let s = server_at(&dir.path().join("server"), &addr).await;
    assert!(bob.wait_network(NetworkStatus::CONNECTED, 10).await);
    assert!(alice.wait_network(NetworkStatus::CONNECTED, 10).await);
    let mut got = Vec::new();
    for _ in 0..50 {
        say(&alice, L, "live 3").await.unwrap();
        // (Its own entering again is a tip from the system.)
        got = group_msgs(&mut bob, 1, 1).await;
        got.retain(|m| m.sender.as_deref() != Some("@TIM#SYSTEM"));
        if !got.is_empty() {
            break;
        }
    }
    assert_eq!(
        texts(got.into_iter().take(1).collect()),
        [pair("alice", "live 3")]
    );
    s.stop().await.unwrap();
}

async fn read_receipts_are_counted_and_listed(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let mut alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    let carol = device(s1, dir, "carol", "carol", 0).await;
    alice
        .client
        .create_group(&create(G, GroupType::PUBLIC, &["bob", "carol", "dave"]))
        .await
        .unwrap();
    let mut ask = Message::text(G, ConvType::GROUP, "did you read this?");
    ask.need_read_receipt = Some(true);
    let asked = alice
        .client
        .send_message(G, ConvType::GROUP, ask)
        .await
        .unwrap();
    let plain = say(&alice, G, "no receipts").await.unwrap();
    let got = group_msgs(&mut bob, 2, 10).await;
    assert_eq!(got[0].need_read_receipt, Some(true), "{:?}", got[0]);
    let (received, plain_received) = (got[0].clone(), got[1].clone());

    bob.client
        .send_group_receipts(std::slice::from_ref(&received))
        .await
        .unwrap();
    let told = alice
        .wait_for(10, |e| match e {
            SdkEvent::GroupReceipts(r) => Some(r),
            _ => None,
        })
        .await
        .expect("the sender hears of the read");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].msg_id, asked.msg_id);
    assert_eq!(
        (told[0].read_count, told[0].unread_count),
        (Some(1), Some(2))
    );
    let refused = |r: opentim_sdk::Result<()>| r.unwrap_err().code;
    assert_eq!(
        refused(bob.client.send_group_receipts(&[plain_received]).await),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
        "a message that did not ask"
    );
    assert_eq!(
        refused(
            alice
                .client
                .send_group_receipts(std::slice::from_ref(&asked))
                .await
        ),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
        "one's own"
    );
    carol
        .client
        .send_group_receipts(std::slice::from_ref(&received))
        .await
        .unwrap();
    // Told again: nothing changes.
    bob.client
        .send_group_receipts(std::slice::from_ref(&received))
        .await
        .unwrap();
    // A member who joins later is not waited for.
    alice
        .client
        .invite_members(&GroupInviteMemberParam {
            group_id: Some(G.into()),
            identifier_array: Some(vec!["erin".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let counts = alice
        .client
        .group_receipts(&[asked.clone(), plain.clone()])
        .await
        .unwrap();
    let c: Vec<(Option<u64>, Option<u64>)> = counts
        .iter()
        .map(|r| (r.read_count, r.unread_count))
        .collect();
    assert_eq!(c, [(Some(2), Some(1)), (Some(0), Some(3))]);
    // Who read it, a page at a time; who has not.
    let mut readers = Vec::new();
    let mut next = 0;
    loop {
        let (page, n, finished) = alice
            .client
            .group_read_members(&asked, true, next, 1)
            .await
            .unwrap();
        readers.extend(page.into_iter().map(|m| m.identifier.unwrap()));
        next = n;
        if finished {
            break;
        }
    }
    assert_eq!(readers, ["bob", "carol"]);
    let (unread, _, finished) = alice
        .client
        .group_read_members(&asked, false, 0, 10)
        .await
        .unwrap();
    let unread: Vec<String> = unread.into_iter().map(|m| m.identifier.unwrap()).collect();
    assert_eq!(unread, ["dave"]);
    assert!(finished);
    let zed = device(s0, dir, "zed", "zed", 0).await;
    assert_eq!(
        zed.client.group_receipts(&[asked]).await.unwrap_err().code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_receipts_are_counted_and_listed_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    read_receipts_are_counted_and_listed(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn read_receipts_are_counted_and_listed_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    read_receipts_are_counted_and_listed(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// A member deletes messages, clears the history, pins and takes the group conversation off
/// the list for themselves: their other device follows, other members keep everything.
async fn a_member_changes_their_own_view(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    let mut bob2 = device(s0, dir, "bob", "bob2", 2).await;
    alice
        .client
        .create_group(&create(G, GroupType::PUBLIC, &["bob"]))
        .await
        .unwrap();
    for t in ["m1", "m2", "m3"] {
        say(&alice, G, t).await.unwrap();
    }
    let got = group_msgs(&mut bob, 3, 10).await;
    assert_eq!(group_msgs(&mut bob2, 3, 10).await.len(), 3);
    let server_texts = |c: &TestClient| {
        let c = c.client.clone();
        async move {
            let mut h = c
                .server_history(G, ConvType::GROUP, u64::MAX, 50)
                .await
                .unwrap();
            h.reverse();
            h.iter().map(text).collect::<Vec<_>>()
        }
    };
    let local_texts = |c: &TestClient| -> Vec<String> {
        c.client
            .history(G, ConvType::GROUP, 50)
            .unwrap()
            .iter()
            .map(text)
            .collect()
    };

    // Delete for oneself.
    bob.client
        .delete_messages(G, ConvType::GROUP, &got[1..2])
        .await
        .unwrap();
    assert_eq!(server_texts(&bob).await, ["m1", "m3"]);
    assert_eq!(
        server_texts(&alice).await,
        ["m1", "m2", "m3"],
        "others keep it"
    );
    assert_eq!(local_texts(&bob), ["m1", "m3"]);
    let mut gone = false;
    for _ in 0..50 {
        if local_texts(&bob2) == ["m1", "m3"] {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "the other device deletes it too: {:?}",
        local_texts(&bob2)
    );

    // Pin: the other device sees it pinned.
    bob.client
        .pin_conversation(G, ConvType::GROUP, true)
        .await
        .unwrap();
    let mut pinned = false;
    for _ in 0..50 {
        if bob2
            .client
            .conversation(G, ConvType::GROUP)
            .unwrap()
            .and_then(|c| c.is_pinned)
            == Some(true)
        {
            pinned = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(pinned, "pinned on the other device");

    // Clear: the history starts after it; what comes later is there.
    bob.client.clear_history(G, ConvType::GROUP).await.unwrap();
    assert!(server_texts(&bob).await.is_empty());
    assert!(local_texts(&bob).is_empty());
    say(&alice, G, "m4").await.unwrap();
    group_msgs(&mut bob, 1, 10).await;
    assert_eq!(server_texts(&bob).await, ["m4"]);

    // Off the list until a newer message; a new device's list agrees.
    bob.client
        .delete_conversation(G, ConvType::GROUP)
        .await
        .unwrap();
    // (A C2C conversation shows when the new device has the list.)
    alice.send_text("bob", "psst").await;
    let bob3 = device(s1, dir, "bob", "bob3", 3).await;
    let has = |c: &TestClient, id: &str| {
        c.client
            .conversations()
            .unwrap()
            .iter()
            .any(|c| c.conv_id.as_deref() == Some(id))
    };
    let listed = |c: &TestClient| has(c, G);
    for _ in 0..50 {
        if has(&bob3, "alice") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(has(&bob3, "alice"), "the new device has the list");
    assert!(!listed(&bob3), "off the list");
    drop(bob3);
    say(&alice, G, "m5").await.unwrap();
    group_msgs(&mut bob, 1, 10).await;
    let bob4 = device(s1, dir, "bob", "bob4", 4).await;
    let mut back = false;
    for _ in 0..50 {
        if listed(&bob4) {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(back, "back with a newer message");
    assert!(listed(&bob));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_changes_their_own_view_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    a_member_changes_their_own_view(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn a_member_changes_their_own_view_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    a_member_changes_their_own_view(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
