//! Blacklists: blocking refuses the blocked user's messages, every device of the blocker
//! hears of each change, unblocking restores; one result per user; on one node and across two.

use std::path::Path;

use opentim_model::codes;
use opentim_model::elem::FriendChangeElem;
use opentim_model::enums::{ConvType, FriendChangeType};
use opentim_model::message::Message;
use opentim_sdk::SdkEvent;
use opentim_server::RunningServer;

use crate::cluster::Cluster;
use crate::support::*;

async fn change(c: &mut TestClient, want: FriendChangeType) -> FriendChangeElem {
    c.wait_for(10, |e| match e {
        SdkEvent::FriendChanges(cs) => cs.into_iter().find(|x| x.change_type == Some(want)),
        _ => None,
    })
    .await
    .unwrap_or_else(|| panic!("{} heard of no {want:?}", c.user))
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

async fn blocking_refuses_and_unblocking_restores(
    s0: &RunningServer,
    s1: &RunningServer,
    dir: &Path,
) {
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let bob = device(s1, dir, "bob", "bob", 0).await;
    let mut bob2 = device(s0, dir, "bob", "bob2", 2).await;
    alice.send_text("bob", "hi").await;

    let results = bob
        .client
        .block_users(&ids(&["alice", "bad id", "bob"]))
        .await
        .unwrap();
    let r: Vec<(String, i32)> = results
        .iter()
        .map(|r| (r.identifier.clone().unwrap(), r.code.unwrap()))
        .collect();
    assert_eq!(
        r,
        [
            ("alice".to_owned(), 0),
            (
                "bad id".to_owned(),
                codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS
            ),
            (
                "bob".to_owned(),
                codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS
            ),
        ]
    );
    assert_eq!(results[0].desc.as_deref(), Some("OK"));
    let c = change(&mut bob2, FriendChangeType::BLACK_LIST_ADD).await;
    assert_eq!(c.blacklist_add_identifier_array, Some(ids(&["alice"])));

    let e = alice
        .client
        .send_message(
            "bob",
            ConvType::C2C,
            Message::text("bob", ConvType::C2C, "?"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_MSG_IN_PEER_BLACKLIST, "{e}");
    // An online-only message (never stored) is refused the same way, and so is one to an id
    // that never existed.
    let online = |to: &str| {
        let mut m = Message::text(to, ConvType::C2C, "typing");
        m.is_online_msg = Some(true);
        m
    };
    let e = alice
        .client
        .send_message("bob", ConvType::C2C, online("bob"))
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_MSG_IN_PEER_BLACKLIST, "{e}");
    let e = alice
        .client
        .send_message("nobody-ever", ConvType::C2C, online("nobody-ever"))
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_MSG_INVALID_ID, "{e}");
    bob.send_text("alice", "the blocker still writes").await;

    let list = bob2.client.blacklist().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].identifier.as_deref(), Some("alice"));
    assert!(list[0].add_time.unwrap() > 0);
    assert_eq!(
        list[0].user_profile.as_ref().unwrap().identifier.as_deref(),
        Some("alice")
    );

    let results = bob
        .client
        .unblock_users(&ids(&["alice", "carol"]))
        .await
        .unwrap();
    let codes_: Vec<i32> = results.iter().map(|r| r.code.unwrap()).collect();
    assert_eq!(codes_, [0, codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS]);
    let c = change(&mut bob2, FriendChangeType::BLACK_LIST_DEL).await;
    assert_eq!(c.blacklist_del_identifier_array, Some(ids(&["alice"])));
    alice.send_text("bob", "again").await;
    alice
        .client
        .send_message("bob", ConvType::C2C, online("bob"))
        .await
        .expect("an online-only message once unblocked");
    assert!(bob.client.blacklist().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_refuses_and_unblocking_restores_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    blocking_refuses_and_unblocking_restores(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn blocking_refuses_and_unblocking_restores_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    blocking_refuses_and_unblocking_restores(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// A blacklist holds at most `max_blacklist` users.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blacklist_holds_at_most_max_blacklist() {
    let dir = tempfile::tempdir().unwrap();
    let config = opentim_server::Config {
        max_blacklist: 2,
        ..config(&dir.path().join("server"), "127.0.0.1:0")
    };
    let s = opentim_server::start(config).await.unwrap();
    let bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let results = bob
        .client
        .block_users(&ids(&["u1", "u2", "u3"]))
        .await
        .unwrap();
    let c: Vec<i32> = results.iter().map(|r| r.code.unwrap()).collect();
    assert_eq!(c, [0, 0, codes::ERR_SVR_FRIENDSHIP_BLACKLIST_LIMIT]);
    let again = bob.client.block_users(&ids(&["u1"])).await.unwrap();
    assert_eq!(again[0].code, Some(0), "already blocked is fine");
    s.stop().await.unwrap();
}
