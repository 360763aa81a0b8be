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

/// Inviting and removing members, and paging through them, with the rank rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_invited_removed_and_listed_by_rank() {
    use opentim_model::config::GroupMemberGetInfoOption;
    use opentim_model::enums::HandleGroupMemberResult as R;
    use opentim_model::group::{
        GroupDeleteMemberParam, GroupGetMemberInfoListParam, GroupInviteMemberParam,
    };
    let dir = tempfile::tempdir().unwrap();
    let config = opentim_server::Config {
        group_member_page: 3,
        ..config(&dir.path().join("server"), "127.0.0.1:0")
    };
    let s = opentim_server::start(config).await.unwrap();
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let mut p = param(Some("g-team"), GroupType::PUBLIC, &["bob"]);
    p.max_member_num = Some(6);
    alice.client.create_group(&p).await.unwrap();
    let invite = |who: &[&str]| GroupInviteMemberParam {
        group_id: Some("g-team".into()),
        identifier_array: Some(who.iter().map(|w| (*w).to_owned()).collect()),
        ..Default::default()
    };
    let e = bob
        .client
        .invite_members(&invite(&["carol"]))
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY,
        "members do not invite here"
    );
    let results = alice
        .client
        .invite_members(&invite(&[
            "carol", "bob", "dave", "erin", "frank", "gina", "bad id",
        ]))
        .await
        .unwrap();
    let got: Vec<(String, R)> = results
        .iter()
        .map(|r| (r.identifier.clone().unwrap(), r.result.unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("carol".into(), R::HANDLED_SUC),
            ("bob".into(), R::INCLUDED),
            ("dave".into(), R::HANDLED_SUC),
            ("erin".into(), R::HANDLED_SUC),
            ("frank".into(), R::HANDLED_SUC),
            ("gina".into(), R::HANDLED_ERR),
            ("bad id".into(), R::HANDLED_ERR),
        ],
        "the cap of 6 holds; an invalid id is not added"
    );

    let list = |next: u64, flag: u64| GroupGetMemberInfoListParam {
        group_id: Some("g-team".into()),
        next_seq: Some(next),
        option: Some(GroupMemberGetInfoOption {
            role_flag: Some(flag),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut all = Vec::new();
    let mut next = 0;
    loop {
        let page = bob.client.group_members(&list(next, 0)).await.unwrap();
        all.extend(
            page.info_array
                .unwrap()
                .into_iter()
                .map(|m| m.identifier.unwrap()),
        );
        next = page.next_seq.unwrap();
        if next == 0 {
            break;
        }
    }
    assert_eq!(all, ["alice", "bob", "carol", "dave", "erin", "frank"]);
    let owners = bob.client.group_members(&list(0, 1)).await.unwrap();
    let owners: Vec<_> = owners.info_array.unwrap();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].member_role, Some(GroupMemberRole::OWNER));
    assert!(owners[0].join_time.unwrap() > 0, "every field by default");
    // The info flag keeps the fields asked for (role 0x8 here); the others keep their defaults.
    let mut only_role = list(0, 1);
    only_role.option.as_mut().unwrap().info_flag = Some(0x8);
    let owners = bob.client.group_members(&only_role).await.unwrap();
    let o = &owners.info_array.unwrap()[0];
    assert_eq!(
        (o.member_role, o.join_time, o.identifier.as_deref()),
        (Some(GroupMemberRole::OWNER), Some(0), Some("alice"))
    );
    let outsider = device(&s, dir.path(), "zed", "zed", 0).await;
    assert_eq!(
        outsider
            .client
            .group_members(&list(0, 0))
            .await
            .unwrap_err()
            .code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );

    let kick = |who: &[&str]| GroupDeleteMemberParam {
        group_id: Some("g-team".into()),
        identifier_array: Some(who.iter().map(|w| (*w).to_owned()).collect()),
        ..Default::default()
    };
    let e = bob
        .client
        .kick_members(&kick(&["carol"]))
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_GROUP_PERMISSION_DENY);
    let results = alice
        .client
        .kick_members(&kick(&["carol", "alice", "nobody"]))
        .await
        .unwrap();
    let got: Vec<R> = results.iter().map(|r| r.result.unwrap()).collect();
    assert_eq!(
        got,
        [R::HANDLED_SUC, R::HANDLED_ERR, R::HANDLED_ERR],
        "not oneself, not a non-member"
    );
    let info = alice.client.group_info(&["g-team".into()]).await.unwrap();
    assert_eq!(info[0].info.as_ref().unwrap().member_num, Some(5));
    s.stop().await.unwrap();
}

/// A user is a member of at most `max_joined_groups` groups: creating, inviting and joining
/// past it are refused (10037, or a failed invitation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_joins_at_most_max_joined_groups() {
    use opentim_model::enums::HandleGroupMemberResult as R;
    use opentim_model::group::GroupInviteMemberParam;
    let dir = tempfile::tempdir().unwrap();
    let config = opentim_server::Config {
        max_joined_groups: 2,
        ..config(&dir.path().join("server"), "127.0.0.1:0")
    };
    let s = opentim_server::start(config).await.unwrap();
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let bob = device(&s, dir.path(), "bob", "bob", 0).await;
    for id in ["g-1", "g-2"] {
        alice
            .client
            .create_group(&param(Some(id), GroupType::PUBLIC, &["bob"]))
            .await
            .unwrap();
    }
    let e = alice
        .client
        .create_group(&param(Some("g-3"), GroupType::PUBLIC, &["bob"]))
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_GROUP_COUNT_LIMIT, "{e}");
    let carol = device(&s, dir.path(), "carol", "carol", 0).await;
    carol
        .client
        .create_group(&param(Some("g-c"), GroupType::PUBLIC, &[]))
        .await
        .unwrap();
    let results = carol
        .client
        .invite_members(&GroupInviteMemberParam {
            group_id: Some("g-c".into()),
            identifier_array: Some(vec!["bob".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(results[0].result, Some(R::HANDLED_ERR));
    assert_eq!(
        bob.client.join_group("g-c", "").await.unwrap_err().code,
        codes::ERR_SVR_GROUP_COUNT_LIMIT
    );
    bob.client.quit_group("g-1").await.unwrap();
    bob.client.join_group("g-c", "").await.unwrap();
    s.stop().await.unwrap();
}
