//! Running a group: joining by request and approval with the notices each party sees,
//! invitations that need consent, mute (per member, with a duration, and mute-all), roles,
//! owner transfer and profile changes, each checked on the server.

use std::path::Path;
use std::time::Duration;

use opentim_model::codes;
use opentim_model::elem::{Elem, GroupReportElem, GroupTipsElem};
use opentim_model::enums::{
    ConvType, GroupAddOption, GroupMemberRole, GroupPendencyHandle, GroupPendencyHandleResult,
    GroupPendencyType, GroupReportType, GroupTipGroupChangeFlag, GroupTipType, GroupType,
};
use opentim_model::group::{
    CreateGroupParam, GroupHandlePendencyParam, GroupInviteMemberParam, GroupMemberInfo,
    GroupModifyInfoParam, GroupModifyMemberInfoParam, GroupPendency, GroupPendencyOption,
};
use opentim_model::message::Message;
use opentim_sdk::SdkEvent;
use opentim_server::RunningServer;

use crate::cluster::Cluster;
use crate::support::*;

fn create(
    id: &str,
    t: GroupType,
    opt: GroupAddOption,
    members: &[(&str, GroupMemberRole)],
) -> CreateGroupParam {
    CreateGroupParam {
        group_name: Some(format!("{id} name")),
        group_id: Some(id.into()),
        group_type: Some(t),
        add_option: Some(opt),
        group_member_array: Some(
            members
                .iter()
                .map(|(m, r)| GroupMemberInfo {
                    identifier: Some((*m).to_owned()),
                    member_role: Some(*r),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// The next group notice this client is shown.
async fn notice(c: &mut TestClient) -> GroupReportElem {
    c.wait_for(10, |e| match e {
        SdkEvent::NewMessages(ms) => ms
            .into_iter()
            .filter(|m| m.conv_type == Some(ConvType::SYSTEM))
            .find_map(|m| {
                assert_eq!(m.sender.as_deref(), Some("@TIM#SYSTEM"));
                match m.elem_array.into_iter().next() {
                    Some(Elem::GroupReport(r)) => Some(r),
                    _ => None,
                }
            }),
        _ => None,
    })
    .await
    .unwrap_or_else(|| panic!("{} got no group notice", c.user))
}

/// The next tip of group `group` this client is told of (through the tips event) of type
/// `want`; tips of other types are skipped.
async fn tip(c: &mut TestClient, group: &str, want: GroupTipType) -> GroupTipsElem {
    c.wait_for(10, |e| match e {
        SdkEvent::GroupTips(tips) => tips
            .into_iter()
            .find(|t| t.group_id.as_deref() == Some(group) && t.tip_type == Some(want)),
        _ => None,
    })
    .await
    .unwrap_or_else(|| panic!("{} got no {want:?} tip of {group}", c.user))
}

fn kind(r: &GroupReportElem) -> (GroupReportType, &str, &str) {
    (
        r.report_type.unwrap(),
        r.op_user.as_deref().unwrap_or_default(),
        r.msg.as_deref().unwrap_or_default(),
    )
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

/// How `c` sees the pendency from `from`: handled by whom, with what result.
async fn decided_as(
    c: &TestClient,
    from: &str,
) -> (GroupPendencyHandle, GroupPendencyHandleResult) {
    let list = c
        .client
        .group_pendencies(&GroupPendencyOption::default())
        .await
        .unwrap();
    let p = list
        .pendency_array
        .unwrap()
        .into_iter()
        .find(|x| x.from_identifier.as_deref() == Some(from))
        .unwrap();
    (p.handled.unwrap(), p.handle_result.unwrap())
}

fn decide(p: &GroupPendency, accept: bool, msg: &str) -> GroupHandlePendencyParam {
    GroupHandlePendencyParam {
        is_accept: Some(accept),
        handle_msg: Some(msg.into()),
        pendency: Some(p.clone()),
    }
}

async fn joining_by_request(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    use GroupMemberRole as R;
    let mut alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    let mut carol = device(s1, dir, "carol", "carol", 0).await;
    alice
        .client
        .create_group(&create(
            "g-club",
            GroupType::PUBLIC,
            GroupAddOption::AUTH,
            &[("bob", R::ADMIN)],
        ))
        .await
        .unwrap();
    assert_eq!(kind(&notice(&mut alice).await).0, GroupReportType::CREATE);

    // A request goes to the owner and the admins.
    carol
        .client
        .join_group("g-club", "let me in")
        .await
        .unwrap();
    for who in [&mut alice, &mut bob] {
        let n = notice(who).await;
        assert_eq!(
            kind(&n),
            (GroupReportType::ADD_REQUEST, "carol", "let me in")
        );
        assert_eq!(n.group_id.as_deref(), Some("g-club"));
    }
    let all = GroupPendencyOption {
        start_time: Some(0),
        max_limited: Some(0),
    };
    let list = bob.client.group_pendencies(&all).await.unwrap();
    assert_eq!(list.unread_num, Some(1));
    let items = list.pendency_array.unwrap();
    assert_eq!(items.len(), 1);
    let p = items[0].clone();
    assert_eq!(
        (
            p.from_identifier.as_deref(),
            p.pendency_type,
            p.handled,
            p.apply_invite_msg.as_deref()
        ),
        (
            Some("carol"),
            Some(GroupPendencyType::REQUEST_JOIN),
            Some(GroupPendencyHandle::NOT_HANDLE),
            Some("let me in")
        )
    );
    assert!(
        carol
            .client
            .group_pendencies(&all)
            .await
            .unwrap()
            .pendency_array
            .unwrap()
            .is_empty(),
        "only who decides sees it"
    );
    bob.client
        .group_pendencies_read(p.add_time.unwrap())
        .await
        .unwrap();
    assert_eq!(
        bob.client.group_pendencies(&all).await.unwrap().unread_num,
        Some(0)
    );
    // Not a member until decided.
    assert_eq!(
        say(&carol, "g-club", "hi").await.unwrap_err().code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    // A member does not decide; an admin does, once.
    let mut dave = device(s0, dir, "dave", "dave", 0).await;
    alice
        .client
        .invite_members(&GroupInviteMemberParam {
            group_id: Some("g-club".into()),
            identifier_array: Some(vec!["dave".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    bob.client
        .handle_group_pendency(&decide(&p, true, "welcome"))
        .await
        .unwrap();
    let n = notice(&mut carol).await;
    assert_eq!(kind(&n), (GroupReportType::ADD_ACCEPT, "bob", "welcome"));
    let t = tip(&mut alice, "g-club", GroupTipType::INVITE).await;
    assert_eq!(
        (t.tip_type, t.op_user.as_deref(), t.user_array.as_deref()),
        (
            Some(GroupTipType::INVITE),
            Some("bob"),
            Some(&["carol".to_owned()][..])
        )
    );
    assert_eq!(
        alice
            .client
            .handle_group_pendency(&decide(&p, false, ""))
            .await
            .unwrap_err()
            .code,
        codes::ERR_SVR_GROUP_REQ_ALLREADY_BEEN_PROCESSED
    );
    say(&carol, "g-club", "thanks").await.unwrap();
    assert_eq!(
        decided_as(&bob, "carol").await,
        (
            GroupPendencyHandle::OPERATOR_HANDLE,
            GroupPendencyHandleResult::ACCEPT
        )
    );
    assert_eq!(
        decided_as(&alice, "carol").await,
        (
            GroupPendencyHandle::OTHER_HANDLE,
            GroupPendencyHandleResult::ACCEPT
        )
    );

    // An invitation into a group that needs consent waits for the invitee, who was told.
    let n = notice(&mut dave).await;
    assert_eq!(kind(&n), (GroupReportType::INVITE_REQ, "alice", ""));
    let mine = dave
        .client
        .group_pendencies(&all)
        .await
        .unwrap()
        .pendency_array
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].pendency_type, Some(GroupPendencyType::INVITE_JOIN));
    assert_eq!(
        bob.client
            .handle_group_pendency(&decide(&mine[0], true, ""))
            .await
            .unwrap_err()
            .code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY,
        "an invitation is the invitee's to answer"
    );
    dave.client
        .handle_group_pendency(&decide(&mine[0], true, "ok"))
        .await
        .unwrap();
    assert_eq!(
        kind(&notice(&mut alice).await),
        (GroupReportType::INVITE_ACCEPT, "dave", "ok")
    );
    say(&dave, "g-club", "in").await.unwrap();

    // A refusal reaches a requester who was offline at their next login, once.
    let erin = device(s1, dir, "erin", "erin", 0).await;
    erin.client.join_group("g-club", "me too").await.unwrap();
    erin.client.logout().await.unwrap();
    drop(erin);
    let list = alice
        .client
        .group_pendencies(&all)
        .await
        .unwrap()
        .pendency_array
        .unwrap();
    let theirs = list
        .iter()
        .find(|x| x.from_identifier.as_deref() == Some("erin"))
        .unwrap();
    alice
        .client
        .handle_group_pendency(&decide(theirs, false, "full"))
        .await
        .unwrap();
    let mut erin = device(s1, dir, "erin", "erin", 0).await;
    assert_eq!(
        kind(&notice(&mut erin).await),
        (GroupReportType::ADD_REFUSE, "alice", "full")
    );
    assert!(erin.quiet(500).await.is_empty(), "once");
    assert!(erin.client.joined_groups().await.unwrap().is_empty());

    // The other add options and types.
    let code = |r: opentim_sdk::Result<()>| r.unwrap_err().code;
    assert_eq!(
        code(carol.client.join_group("g-club", "").await),
        codes::ERR_SVR_GROUP_ALLREADY_MEMBER
    );
    alice
        .client
        .create_group(&create(
            "g-open",
            GroupType::PUBLIC,
            GroupAddOption::ANY,
            &[],
        ))
        .await
        .unwrap();
    alice
        .client
        .create_group(&create(
            "g-shut",
            GroupType::PUBLIC,
            GroupAddOption::FORBID,
            &[],
        ))
        .await
        .unwrap();
    alice
        .client
        .create_group(&create(
            "g-work",
            GroupType::PRIVATE,
            GroupAddOption::ANY,
            &[],
        ))
        .await
        .unwrap();
    erin.client.join_group("g-open", "").await.unwrap();
    let t = tip(&mut alice, "g-open", GroupTipType::INVITE).await;
    assert_eq!(
        (t.tip_type, t.op_user.as_deref()),
        (Some(GroupTipType::INVITE), Some("erin"))
    );
    say(&erin, "g-open", "joined at once").await.unwrap();
    assert_eq!(
        code(erin.client.join_group("g-shut", "").await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    assert_eq!(
        code(erin.client.join_group("g-work", "").await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    assert_eq!(
        code(erin.client.join_group("g-none", "").await),
        codes::ERR_SVR_GROUP_NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_by_request_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    joining_by_request(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn joining_by_request_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    joining_by_request(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

fn modify_member(group: &str, who: &str, flag: i64) -> GroupModifyMemberInfoParam {
    GroupModifyMemberInfoParam {
        group_id: Some(group.into()),
        identifier: Some(who.into()),
        modify_flag: Some(flag),
        ..Default::default()
    }
}

fn modify_group(group: &str, flag: i64) -> GroupModifyInfoParam {
    GroupModifyInfoParam {
        group_id: Some(group.into()),
        modify_flag: Some(flag),
        ..Default::default()
    }
}

const MUTE: i64 = 0x4;
const ROLE: i64 = 0x2;
const NAME_CARD: i64 = 0x8;
const MSG_FLAG: i64 = 0x1;

async fn running_a_group(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    const G: &str = "g-mod";
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let bob = device(s1, dir, "bob", "bob", 0).await;
    let mut carol = device(s1, dir, "carol", "carol", 0).await;
    alice
        .client
        .create_group(&create(
            G,
            GroupType::PUBLIC,
            GroupAddOption::ANY,
            &[
                ("bob", GroupMemberRole::NORMAL),
                ("carol", GroupMemberRole::NORMAL),
            ],
        ))
        .await
        .unwrap();
    let code = |r: opentim_sdk::Result<()>| r.unwrap_err().code;

    // Mute one member for a time: their sends fail saying until when; the others see a tip.
    let mute = |who: &str, secs: u32| GroupModifyMemberInfoParam {
        shutup_time: Some(secs),
        ..modify_member(G, who, MUTE)
    };
    alice.client.modify_member(&mute("bob", 60)).await.unwrap();
    let t = tip(&mut carol, G, GroupTipType::MEMBER_INFO_CHANGE).await;
    let change = &t.member_change_info_array.unwrap()[0];
    assert_eq!(
        (change.identifier.as_deref(), change.shutup_time),
        (Some("bob"), Some(60))
    );
    let e = say(&bob, G, "can I?").await.unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_GROUP_SHUTUP_DENY);
    assert!(e.desc.contains("until"), "{e}");
    assert_eq!(
        code(bob.client.modify_member(&mute("carol", 60)).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    alice.client.modify_member(&mute("bob", 0)).await.unwrap();
    say(&bob, G, "free").await.unwrap();
    // A mute ends by itself.
    alice.client.modify_member(&mute("bob", 1)).await.unwrap();
    assert_eq!(
        say(&bob, G, "x").await.unwrap_err().code,
        codes::ERR_SVR_GROUP_SHUTUP_DENY
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    say(&bob, G, "after the mute").await.unwrap();

    // Roles: the owner makes an admin, who then mutes members but not the owner.
    let admin = GroupModifyMemberInfoParam {
        member_role: Some(GroupMemberRole::ADMIN),
        ..modify_member(G, "carol", ROLE)
    };
    assert_eq!(
        code(bob.client.modify_member(&admin).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    alice.client.modify_member(&admin).await.unwrap();
    assert_eq!(
        kind(&notice(&mut carol).await).0,
        GroupReportType::GRANT_ADMIN
    );
    carol.client.modify_member(&mute("bob", 30)).await.unwrap();
    assert_eq!(
        code(carol.client.modify_member(&mute("alice", 30)).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    carol.client.modify_member(&mute("bob", 0)).await.unwrap();

    // Mute-all: members are quiet, the owner and admins speak.
    let all = |on: bool| GroupModifyInfoParam {
        is_shutup_all: Some(on),
        ..modify_group(G, 0x100)
    };
    assert_eq!(
        code(bob.client.modify_group(&all(true)).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    alice.client.modify_group(&all(true)).await.unwrap();
    let e = say(&bob, G, "?").await.unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_GROUP_SHUTUP_DENY);
    assert!(e.desc.contains("mute-all"), "{e}");
    say(&carol, G, "admins speak").await.unwrap();
    say(&alice, G, "owners speak").await.unwrap();
    let info = bob.client.group_info(&[G.into()]).await.unwrap();
    assert_eq!(info[0].info.as_ref().unwrap().is_shutup_all, Some(true));
    alice.client.modify_group(&all(false)).await.unwrap();
    say(&bob, G, "unmuted").await.unwrap();

    // The profile: managers change it (tips say what changed); limits hold, nothing stored
    // then.
    let rename = |name: &str| GroupModifyInfoParam {
        group_name: Some(name.into()),
        ..modify_group(G, 0x1)
    };
    assert_eq!(
        code(bob.client.modify_group(&rename("mine")).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    carol.client.modify_group(&rename("renamed")).await.unwrap();
    let t = loop {
        let t = tip(&mut carol, G, GroupTipType::GROUP_INFO_CHANGE).await;
        if t.group_change_info_array
            .as_ref()
            .is_some_and(|a| !a.is_empty())
        {
            break t;
        }
    };
    let c = &t.group_change_info_array.unwrap()[0];
    assert_eq!(
        (c.flag, c.value.as_deref()),
        (Some(GroupTipGroupChangeFlag::NAME), Some("renamed"))
    );
    assert_eq!(
        code(alice.client.modify_group(&rename(&"x".repeat(31))).await),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS
    );
    assert_eq!(
        code(alice.client.modify_group(&modify_group(G, 0x4000)).await),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS
    );
    let info = bob.client.group_info(&[G.into()]).await.unwrap();
    assert_eq!(
        info[0].info.as_ref().unwrap().group_name.as_deref(),
        Some("renamed")
    );

    // Name cards and the message option: one's own, or a lower member's by a manager.
    let card = |who: &str, c: &str| GroupModifyMemberInfoParam {
        name_card: Some(c.into()),
        ..modify_member(G, who, NAME_CARD)
    };
    bob.client
        .modify_member(&card("bob", "Bobby"))
        .await
        .unwrap();
    assert_eq!(
        code(bob.client.modify_member(&card("carol", "C")).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    assert_eq!(
        code(
            bob.client
                .modify_member(&card("bob", &"b".repeat(51)))
                .await
        ),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS
    );
    let quiet = GroupModifyMemberInfoParam {
        msg_flag: Some(opentim_model::enums::GroupReceiveMessageOpt::RECEIVE_NOT_NOTIFY),
        ..modify_member(G, "bob", MSG_FLAG)
    };
    bob.client.modify_member(&quiet).await.unwrap();
    assert_eq!(
        code(alice.client.modify_member(&quiet).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    let members = alice
        .client
        .group_members(&opentim_model::group::GroupGetMemberInfoListParam {
            group_id: Some(G.into()),
            identifier_array: Some(vec!["bob".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let b = &members.info_array.unwrap()[0];
    assert_eq!(b.name_card.as_deref(), Some("Bobby"));
    assert_eq!(
        b.msg_flag,
        Some(opentim_model::enums::GroupReceiveMessageOpt::RECEIVE_NOT_NOTIFY)
    );

    // Owner transfer: alone in its request, to a member; then the old owner may leave.
    let to = |who: &str, flag: i64| GroupModifyInfoParam {
        owner: Some(who.into()),
        ..modify_group(G, flag)
    };
    let owner_flag = -2_147_483_648; // 0x80000000 as the SDK's callers write it
    assert_eq!(
        code(alice.client.quit_group(G).await),
        codes::ERR_SVR_GROUP_SUPER_NOT_ALLOW_QUIT
    );
    assert_eq!(
        code(carol.client.modify_group(&to("carol", owner_flag)).await),
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );
    assert_eq!(
        code(alice.client.modify_group(&to("zed", owner_flag)).await),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS
    );
    assert_eq!(
        code(
            alice
                .client
                .modify_group(&to("carol", owner_flag | 0x1))
                .await
        ),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS
    );
    alice
        .client
        .modify_group(&to("carol", owner_flag))
        .await
        .unwrap();
    let info = bob.client.group_info(&[G.into()]).await.unwrap();
    assert_eq!(
        info[0].info.as_ref().unwrap().owner_identifier.as_deref(),
        Some("carol")
    );
    alice.client.quit_group(G).await.unwrap();
    carol.client.modify_member(&mute("bob", 10)).await.unwrap();
    assert_eq!(
        say(&bob, G, "x").await.unwrap_err().code,
        codes::ERR_SVR_GROUP_SHUTUP_DENY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_a_group_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    running_a_group(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn running_a_group_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    running_a_group(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// The next attribute set of `group` this client is told of.
async fn attributes_pushed(
    c: &mut TestClient,
    group: &str,
) -> Vec<opentim_model::group::GroupAttributes> {
    c.wait_for(10, |e| match e {
        SdkEvent::GroupAttributes {
            group_id,
            attributes,
        } if group_id == group => Some(attributes),
        _ => None,
    })
    .await
    .unwrap_or_else(|| panic!("{} is not told the attributes of {group}", c.user))
}

async fn attributes_counts_and_searches(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    use opentim_model::group::{GroupAttributes, GroupMemberSearchParam, GroupSearchParam};
    use opentim_sdk::AttributesMode as M;
    const G: &str = "g-attrs";
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    alice
        .client
        .create_group(&create(
            G,
            GroupType::PUBLIC,
            GroupAddOption::ANY,
            &[("bob", GroupMemberRole::NORMAL)],
        ))
        .await
        .unwrap();
    let attr = |k: &str, v: &str| GroupAttributes {
        key: Some(k.into()),
        value: Some(v.into()),
    };
    let keys = |set: &[GroupAttributes]| -> Vec<(String, String)> {
        set.iter()
            .map(|a| (a.key.clone().unwrap(), a.value.clone().unwrap()))
            .collect()
    };
    // Bob follows the group before its attributes change: alice's first message reached him.
    say(&alice, G, "hi").await.unwrap();
    bob.wait_for(10, |e| match e {
        SdkEvent::NewMessages(ms) => ms
            .iter()
            .any(|m| m.conv_id.as_deref() == Some(G))
            .then_some(()),
        _ => None,
    })
    .await
    .expect("bob follows the group he was put in");
    // Members change them; every member online gets the whole new set.
    alice
        .client
        .change_group_attributes(
            G,
            M::Init,
            vec![attr("topic", "lunch"), attr("room", "2")],
            vec![],
        )
        .await
        .unwrap();
    let mut want = vec![
        ("room".to_owned(), "2".to_owned()),
        ("topic".to_owned(), "lunch".to_owned()),
    ];
    assert_eq!(keys(&attributes_pushed(&mut bob, G).await), want);
    bob.client
        .change_group_attributes(G, M::Set, vec![attr("room", "3")], vec![])
        .await
        .unwrap();
    want[0].1 = "3".into();
    assert_eq!(keys(&attributes_pushed(&mut bob, G).await), want);
    alice
        .client
        .change_group_attributes(G, M::Delete, vec![], vec!["topic".into()])
        .await
        .unwrap();
    assert_eq!(
        keys(&attributes_pushed(&mut bob, G).await),
        [("room".to_owned(), "3".to_owned())]
    );
    let all = bob.client.group_attributes(G, &[]).await.unwrap();
    assert_eq!(keys(&all), [("room".to_owned(), "3".to_owned())]);
    // Limits, and outsiders.
    let many: Vec<GroupAttributes> = (0..17).map(|i| attr(&format!("k{i}"), "v")).collect();
    let code = |r: opentim_sdk::Result<()>| r.unwrap_err().code;
    assert_eq!(
        code(
            alice
                .client
                .change_group_attributes(G, M::Set, many, vec![])
                .await
        ),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS
    );
    assert_eq!(
        code(
            alice
                .client
                .change_group_attributes(G, M::Set, vec![attr("big", &"x".repeat(4097))], vec![])
                .await
        ),
        codes::ERR_SVR_GROUP_INVALID_PARAMETERS
    );
    assert_eq!(
        keys(&bob.client.group_attributes(G, &[]).await.unwrap()).len(),
        1,
        "unchanged"
    );
    let zed = device(s0, dir, "zed", "zed", 0).await;
    assert_eq!(
        zed.client.group_attributes(G, &[]).await.unwrap_err().code,
        codes::ERR_SVR_GROUP_PERMISSION_DENY
    );

    // Online members, counted on every node.
    assert_eq!(alice.client.online_member_count(G).await.unwrap(), 2);
    bob.client.logout().await.unwrap();
    assert_eq!(alice.client.online_member_count(G).await.unwrap(), 1);
    let mut bob = device(s1, dir, "bob", "bob", 0).await;

    // Searching one's groups and their members.
    alice
        .client
        .create_group(&create(
            "g-other",
            GroupType::PUBLIC,
            GroupAddOption::ANY,
            &[],
        ))
        .await
        .unwrap();
    let found = alice
        .client
        .search_groups(&GroupSearchParam {
            keyword_list: Some(vec!["ATTRS".into()]),
            field_list: Some(vec![1]),
        })
        .await
        .unwrap();
    let ids: Vec<_> = found.iter().map(|g| g.group_id.clone().unwrap()).collect();
    assert_eq!(ids, [G]);
    let by_name = alice
        .client
        .search_groups(&GroupSearchParam {
            keyword_list: Some(vec!["other name".into()]),
            field_list: Some(vec![2]),
        })
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(
        alice
            .client
            .search_groups(&GroupSearchParam::default())
            .await
            .unwrap_err()
            .code,
        codes::ERR_INVALID_PARAMETERS
    );
    let card = GroupModifyMemberInfoParam {
        name_card: Some("Bobby Tables".into()),
        ..modify_member(G, "bob", NAME_CARD)
    };
    bob.client.modify_member(&card).await.unwrap();
    let members = alice
        .client
        .search_group_members(&GroupMemberSearchParam {
            keyword_list: Some(vec!["tables".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].group_id.as_deref(), Some(G));
    let m = members[0].member_info_list.as_ref().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].identifier.as_deref(), Some("bob"));

    // The receive option is the member's own, read back in the joined list.
    bob.client
        .set_group_receive_opt(G, opentim_model::enums::GroupReceiveMessageOpt::NOT_RECEIVE)
        .await
        .unwrap();
    let joined = bob.client.joined_groups().await.unwrap();
    let g = joined
        .iter()
        .find(|g| g.group_id.as_deref() == Some(G))
        .unwrap();
    assert_eq!(
        g.msg_flag,
        Some(opentim_model::enums::GroupReceiveMessageOpt::NOT_RECEIVE)
    );
    // Not receiving: nothing arrives and nothing counts as unread; receiving again, what
    // comes next arrives.
    let group_texts = |got: Vec<Message>| -> Vec<String> {
        got.iter()
            .filter(|m| m.conv_type == Some(ConvType::GROUP))
            .map(text)
            .collect()
    };
    bob.quiet(300).await; // the tips of the changes above
    let unread = |c: &TestClient| {
        c.client
            .conversation(G, ConvType::GROUP)
            .unwrap()
            .and_then(|c| c.unread_num)
            .unwrap_or(0)
    };
    let unread_before = unread(&bob);
    say(&alice, G, "unheard").await.unwrap();
    let heard = group_texts(bob.quiet(700).await);
    assert!(heard.is_empty(), "not received: {heard:?}");
    assert_eq!(unread(&bob), unread_before, "nothing more unread");
    bob.client
        .set_group_receive_opt(
            G,
            opentim_model::enums::GroupReceiveMessageOpt::RECEIVE_AND_NOTIFY,
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    say(&alice, G, "heard").await.unwrap();
    let mut got = Vec::new();
    for _ in 0..20 {
        got.extend(group_texts(bob.receive(1, 1).await));
        if !got.is_empty() {
            break;
        }
    }
    assert_eq!(got, ["heard"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributes_counts_and_searches_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    attributes_counts_and_searches(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn attributes_counts_and_searches_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    attributes_counts_and_searches(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
