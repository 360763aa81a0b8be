//! Groups, first step: creating, reading, leaving and dismissing, with the server's rules, on
//! one node and across two.

use std::path::Path;

use opentim_model::codes;
use opentim_model::enums::{GroupMemberRole, GroupType};
use opentim_model::group::{CreateGroupParam, GroupMemberInfo};
use opentim_server::RunningServer;

use crate::cluster::Cluster;
use crate::support::*;

fn param(id: Option<&str>, t: GroupType, members: &[&str]) -> CreateGroupParam {
    CreateGroupParam {
        group_name: Some("lunch".into()),
        group_id: id.map(str::to_owned),
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
        notification: Some("noon".into()),
        ..Default::default()
    }
}

async fn groups_are_created_read_left_and_dismissed(
    s0: &RunningServer,
    s1: &RunningServer,
    dir: &Path,
) {
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let bob = device(s1, dir, "bob", "bob", 0).await;
    let carol = device(s1, dir, "carol", "carol", 0).await;
    let code = |r: opentim_sdk::Result<()>| r.unwrap_err().code;

    let made = alice
        .client
        .create_group(&param(Some("g-lunch"), GroupType::PUBLIC, &["bob"]))
        .await
        .unwrap();
    assert_eq!(made.group_id.as_deref(), Some("g-lunch"));
    let taken = alice
        .client
        .create_group(&param(Some("g-lunch"), GroupType::PUBLIC, &[]))
        .await
        .unwrap_err();
    assert_eq!(taken.code, codes::ERR_SVR_GROUP_GROUPID_IN_USED, "{taken}");
    let reserved = alice
        .client
        .create_group(&param(Some("@TGS#mine"), GroupType::PUBLIC, &[]))
        .await
        .unwrap_err();
    assert_eq!(reserved.code, codes::ERR_SVR_GROUP_INVALID_GROUPID);
    let private = alice
        .client
        .create_group(&param(None, GroupType::PRIVATE, &["bob"]))
        .await
        .unwrap()
        .group_id
        .unwrap();
    assert!(private.starts_with("@TGS#"), "{private}");

    let joined = bob.client.joined_groups().await.unwrap();
    let mut ids: Vec<(String, GroupMemberRole)> = joined
        .iter()
        .map(|g| {
            (
                g.group_id.clone().unwrap(),
                g.self_info.as_ref().unwrap().role.unwrap(),
            )
        })
        .collect();
    ids.sort();
    let mut want = vec![
        ("g-lunch".to_owned(), GroupMemberRole::NORMAL),
        (private.clone(), GroupMemberRole::NORMAL),
    ];
    want.sort();
    assert_eq!(ids, want);

    let info = carol
        .client
        .group_info(&["g-lunch".into(), "nope".into(), private.clone()])
        .await
        .unwrap();
    let lunch = info[0].info.as_ref().unwrap();
    assert_eq!(info[0].code, Some(0));
    assert_eq!(
        (
            lunch.owner_identifier.as_deref(),
            lunch.member_num,
            lunch.notification.as_deref(),
            lunch.group_type
        ),
        (
            Some("alice"),
            Some(2),
            Some("noon"),
            Some(GroupType::PUBLIC)
        )
    );
    assert_eq!(info[1].code, Some(codes::ERR_SVR_GROUP_NOT_FOUND));
    assert_eq!(
        info[2].code,
        Some(codes::ERR_SVR_GROUP_PERMISSION_DENY),
        "a Private group's profile is for its members"
    );

    assert_eq!(
        code(alice.client.quit_group("g-lunch").await),
        codes::ERR_SVR_GROUP_SUPER_NOT_ALLOW_QUIT
    );
    assert_eq!(
        code(bob.client.dismiss_group("g-lunch").await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY,
        "only the owner dismisses"
    );
    bob.client.quit_group("g-lunch").await.unwrap();
    assert_eq!(
        code(bob.client.quit_group("g-lunch").await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY,
        "not a member any more"
    );
    assert_eq!(bob.client.joined_groups().await.unwrap().len(), 1);
    alice.client.dismiss_group("g-lunch").await.unwrap();
    let gone = alice.client.group_info(&["g-lunch".into()]).await.unwrap();
    assert_eq!(gone[0].code, Some(codes::ERR_SVR_GROUP_NOT_FOUND));

    // A Private group: nobody dismisses it; its owner may leave.
    assert_eq!(
        code(alice.client.dismiss_group(&private).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    alice.client.quit_group(&private).await.unwrap();
    assert!(alice.client.joined_groups().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_created_read_left_and_dismissed_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    groups_are_created_read_left_and_dismissed(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn groups_are_created_read_left_and_dismissed_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    groups_are_created_read_left_and_dismissed(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
