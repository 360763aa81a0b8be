//! Friends end to end through the SDK, on one node (SQLite) and across two (PostgreSQL +
//! NATS): the add permissions, requests and their answers, one-way and two-way deletes and
//! the relation each side then sees, friend groups, remarks and custom fields at and over
//! their limits, blacklists against requests, the callbacks on a second device and on an
//! offline device at its next login (exactly once), and a reconnect that fetches one change.

use std::path::Path;

use opentim_model::codes;
use opentim_model::elem::FriendChangeElem;
use opentim_model::enums::{
    ConvType, FriendChangeType, FriendCheckRelation, FriendPendencyType, FriendResponseAction,
    FriendType, FriendshipRelationType, ProfileAddPermission,
};
use opentim_model::friend::{
    FriendResponse, FriendSearchParam, FriendshipAddFriendParam, FriendshipCheckFriendTypeParam,
    FriendshipCreateFriendGroupParam, FriendshipDeleteFriendParam, FriendshipDeletePendencyParam,
    FriendshipGetPendencyListParam, FriendshipModifyFriendGroupParam,
    FriendshipModifyFriendProfileParam,
};
use opentim_model::message::Message;
use opentim_model::profile::{
    FriendProfileCustomStringInfo, FriendProfileItem, FriendResult, UserProfileItem,
};
use opentim_sdk::SdkEvent;
use opentim_server::RunningServer;

use crate::cluster::Cluster;
use crate::support::*;

/// The next relationship notice of `want` on `c`.
async fn change(c: &mut TestClient, want: FriendChangeType) -> FriendChangeElem {
    c.wait_for(10, |e| match e {
        SdkEvent::FriendChanges(cs) => cs.into_iter().find(|x| x.change_type == Some(want)),
        _ => None,
    })
    .await
    .unwrap_or_else(|| panic!("{} heard of no {want:?}", c.user))
}

/// Every relationship notice `c` hears in `ms` milliseconds.
async fn changes_within(c: &mut TestClient, ms: u64) -> Vec<FriendChangeElem> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(ms);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, c.events.recv()).await {
        if let SdkEvent::FriendChanges(cs) = e {
            out.extend(cs);
        }
    }
    out
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn codes_of(results: &[FriendResult]) -> Vec<(String, i32)> {
    results
        .iter()
        .map(|r| (r.identifier.clone().unwrap(), r.code.unwrap()))
        .collect()
}

async fn permission(c: &TestClient, p: ProfileAddPermission) {
    let item = UserProfileItem {
        add_permission: Some(p),
        ..Default::default()
    };
    c.client.modify_self_profile(&item).await.unwrap();
}

fn add(to: &str, friend_type: FriendType) -> FriendshipAddFriendParam {
    FriendshipAddFriendParam {
        identifier: Some(to.into()),
        friend_type: Some(friend_type),
        remark: Some(format!("my {to}")),
        add_source: Some("AddSource_Type_Test".into()),
        add_wording: Some("hello".into()),
        ..Default::default()
    }
}

async fn relation(c: &TestClient, other: &str, check: FriendType) -> FriendCheckRelation {
    let p = FriendshipCheckFriendTypeParam {
        check_type: Some(check),
        identifier_array: Some(ids(&[other])),
    };
    let r = c.client.check_friends(&p).await.unwrap();
    assert_eq!(r[0].code, Some(0), "{r:?}");
    r[0].relation.unwrap()
}

async fn friend_ids(c: &TestClient) -> Vec<String> {
    let list = c.client.friend_list().await.unwrap();
    list.into_iter().map(|f| f.identifier.unwrap()).collect()
}

async fn pendencies(c: &TestClient, kind: FriendPendencyType) -> Vec<String> {
    let p = FriendshipGetPendencyListParam {
        pendency_type: Some(kind),
        ..Default::default()
    };
    let page = c.client.pendency_list(&p).await.unwrap();
    page.pendency_info_array
        .unwrap()
        .into_iter()
        .map(|r| r.identifier.unwrap())
        .collect()
}

/// AllowAny adds at once (two-way: both lists); NeedConfirm and Unknown make a request that
/// is accepted, agreed-and-added or rejected; DenyAny refuses.
async fn permissions_requests_and_answers(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let mut alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    let carol = device(s1, dir, "carol", "carol", 0).await;
    let dave = device(s0, dir, "dave", "dave", 0).await;
    permission(&bob, ProfileAddPermission::ALLOW_ANY).await;
    permission(&carol, ProfileAddPermission::DENY_ANY).await;
    permission(&dave, ProfileAddPermission::NEED_CONFIRM).await;

    // AllowAny, two-way.
    let r = alice
        .client
        .add_friend(&add("bob", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!((r.code, r.identifier.as_deref()), (Some(0), Some("bob")));
    let c = change(&mut bob, FriendChangeType::FRIEND_ADD).await;
    assert_eq!(c.friend_add_identifier_array, Some(ids(&["alice"])));
    // The adder's own devices are told too.
    let c = change(&mut alice, FriendChangeType::FRIEND_ADD).await;
    assert_eq!(c.friend_add_identifier_array, Some(ids(&["bob"])));
    assert_eq!(friend_ids(&alice).await, ["bob"]);
    assert_eq!(friend_ids(&bob).await, ["alice"]);
    let mine = &alice.client.friend_list().await.unwrap()[0];
    assert_eq!(mine.remark.as_deref(), Some("my bob"));
    assert_eq!(mine.add_wording.as_deref(), Some("hello"));
    assert_eq!(
        relation(&alice, "bob", FriendType::BOTH).await,
        FriendCheckRelation::BOTH_WAY
    );
    let again = alice
        .client
        .add_friend(&add("bob", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!(
        again.code,
        Some(codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS),
        "{again:?}"
    );

    // DenyAny.
    let r = alice
        .client
        .add_friend(&add("carol", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!(
        r.code,
        Some(codes::ERR_SVR_FRIENDSHIP_ALLOW_TYPE_DENY_ANY),
        "{r:?}"
    );
    assert!(pendencies(&carol, FriendPendencyType::COME_IN)
        .await
        .is_empty());

    // An id that never existed.
    let r = alice
        .client
        .add_friend(&add("nobody", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!(
        r.code,
        Some(codes::ERR_SVR_FRIENDSHIP_ACCOUNT_NOT_FOUND),
        "{r:?}"
    );

    // NeedConfirm: a request, seen on both sides; then agree (one-way).
    let mut dave_events = dave;
    let r = alice
        .client
        .add_friend(&add("dave", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!(
        r.code,
        Some(codes::ERR_SVR_FRIENDSHIP_ALLOW_TYPE_NEED_CONFIRM),
        "{r:?}"
    );
    let c = change(&mut dave_events, FriendChangeType::PENDENCY_ADD).await;
    let p = &c.friend_add_pendency_array.unwrap()[0];
    assert_eq!(p.identifier.as_deref(), Some("alice"));
    assert_eq!(p.add_wording.as_deref(), Some("hello"));
    assert_eq!(
        pendencies(&dave_events, FriendPendencyType::COME_IN).await,
        ["alice"]
    );
    assert_eq!(
        pendencies(&alice, FriendPendencyType::SEND_OUT).await,
        ["dave"]
    );
    let page = dave_events
        .client
        .pendency_list(&FriendshipGetPendencyListParam {
            pendency_type: Some(FriendPendencyType::BOTH),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.unread_num, Some(1));
    dave_events.client.report_pendency_read(0).await.unwrap();
    let page = dave_events
        .client
        .pendency_list(&FriendshipGetPendencyListParam::default())
        .await
        .unwrap();
    assert_eq!(page.unread_num, Some(0), "read");
    let answer = FriendResponse {
        identifier: Some("alice".into()),
        action: Some(FriendResponseAction::AGREE),
        ..Default::default()
    };
    let r = dave_events
        .client
        .answer_friend_request(&answer)
        .await
        .unwrap();
    assert_eq!(r.code, Some(0), "{r:?}");
    // The requester's devices are told (and their lists follow) at once.
    let c = change(&mut alice, FriendChangeType::FRIEND_ADD).await;
    assert_eq!(c.friend_add_identifier_array, Some(ids(&["dave"])));
    assert_eq!(friend_ids(&alice).await, ["bob", "dave"]);
    assert!(
        friend_ids(&dave_events).await.is_empty(),
        "agree is one-way"
    );
    assert_eq!(
        relation(&alice, "dave", FriendType::BOTH).await,
        FriendCheckRelation::A_WITH_B
    );
    assert_eq!(
        relation(&dave_events, "alice", FriendType::BOTH).await,
        FriendCheckRelation::B_WITH_A
    );
    assert_eq!(
        relation(&dave_events, "alice", FriendType::SINGLE).await,
        FriendCheckRelation::NO_RELATION
    );
    assert!(pendencies(&alice, FriendPendencyType::SEND_OUT)
        .await
        .is_empty());
    let again = dave_events
        .client
        .answer_friend_request(&answer)
        .await
        .unwrap();
    assert_eq!(
        again.code,
        Some(codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS),
        "no request left"
    );

    // Unknown counts as NeedConfirm; agree-and-add makes it two-way.
    let erin = device(s1, dir, "erin", "erin", 0).await;
    let r = alice
        .client
        .add_friend(&add("erin", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!(
        r.code,
        Some(codes::ERR_SVR_FRIENDSHIP_ALLOW_TYPE_NEED_CONFIRM)
    );
    let r = erin
        .client
        .answer_friend_request(&FriendResponse {
            identifier: Some("alice".into()),
            action: Some(FriendResponseAction::AGREE_AND_ADD),
            remark: Some("Alice!".into()),
            group_name: Some("work".into()),
        })
        .await
        .unwrap();
    assert_eq!(r.code, Some(0));
    change(&mut alice, FriendChangeType::FRIEND_ADD).await;
    assert_eq!(
        relation(&erin, "alice", FriendType::BOTH).await,
        FriendCheckRelation::BOTH_WAY
    );
    let mine = erin.client.friend_list().await.unwrap();
    assert_eq!(mine[0].remark.as_deref(), Some("Alice!"));
    assert_eq!(mine[0].group_name_array, Some(ids(&["work"])));

    // Reject: the request is gone on both sides.
    let frank = device(s0, dir, "frank", "frank", 0).await;
    alice
        .client
        .add_friend(&add("frank", FriendType::BOTH))
        .await
        .unwrap();
    let r = frank
        .client
        .answer_friend_request(&FriendResponse {
            identifier: Some("alice".into()),
            action: Some(FriendResponseAction::REJECT),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.code, Some(0));
    change(&mut alice, FriendChangeType::PENDENCY_DEL).await;
    assert!(pendencies(&frank, FriendPendencyType::COME_IN)
        .await
        .is_empty());
    assert!(pendencies(&alice, FriendPendencyType::SEND_OUT)
        .await
        .is_empty());
    assert_eq!(
        relation(&alice, "frank", FriendType::BOTH).await,
        FriendCheckRelation::NO_RELATION
    );

    // Delete: one-way leaves the other's list; two-way empties both.
    let del = |t, who: &[&str]| FriendshipDeleteFriendParam {
        friend_type: Some(t),
        identifier_array: Some(ids(who)),
    };
    let r = alice
        .client
        .delete_friends(&del(FriendType::SINGLE, &["bob", "frank"]))
        .await
        .unwrap();
    assert_eq!(
        codes_of(&r),
        [
            ("bob".to_owned(), 0),
            (
                "frank".to_owned(),
                codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS
            )
        ]
    );
    assert_eq!(
        relation(&alice, "bob", FriendType::BOTH).await,
        FriendCheckRelation::B_WITH_A
    );
    assert_eq!(
        relation(&bob, "alice", FriendType::BOTH).await,
        FriendCheckRelation::A_WITH_B
    );
    alice
        .client
        .delete_friends(&del(FriendType::BOTH, &["erin"]))
        .await
        .unwrap();
    assert_eq!(
        relation(&erin, "alice", FriendType::BOTH).await,
        FriendCheckRelation::NO_RELATION
    );
    assert!(friend_ids(&erin).await.is_empty());

    // Friends info: the relation and the data.
    let info = bob
        .client
        .friends_info(&ids(&["alice", "carol"]))
        .await
        .unwrap();
    assert_eq!(
        info[0].relation_type,
        Some(FriendshipRelationType::IN_MY_FRIEND_LIST)
    );
    assert_eq!(info[1].relation_type, Some(FriendshipRelationType::NONE));
    let field = &info[0].field_info.as_ref().unwrap()[0];
    assert_eq!(field.identifier.as_deref(), Some("alice"));
}

/// Friend groups, remarks and custom fields within and over their limits; search.
async fn groups_remarks_and_search(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let mut alice2 = device(s1, dir, "alice", "alice2", 2).await;
    let bob = device(s1, dir, "bob", "bob", 0).await;
    let carol = device(s0, dir, "carol", "carol", 0).await;
    accounts(s0, dir, &["zed"]).await;
    for c in [&bob, &carol] {
        permission(c, ProfileAddPermission::ALLOW_ANY).await;
    }
    let nick = UserProfileItem {
        nick_name: Some("Bobby Tables".into()),
        ..Default::default()
    };
    bob.client.modify_self_profile(&nick).await.unwrap();
    for f in ["bob", "carol"] {
        let r = alice
            .client
            .add_friend(&add(f, FriendType::BOTH))
            .await
            .unwrap();
        assert_eq!(r.code, Some(0), "{r:?}");
    }
    // Create with a non-friend in the list: one result each.
    let r = alice
        .client
        .create_friend_groups(&FriendshipCreateFriendGroupParam {
            name_array: Some(ids(&["g1"])),
            identifier_array: Some(ids(&["bob", "zed"])),
        })
        .await
        .unwrap();
    assert_eq!(
        codes_of(&r),
        [
            ("bob".to_owned(), 0),
            (
                "zed".to_owned(),
                codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS
            )
        ]
    );
    assert_eq!(
        r[1].desc.as_deref(),
        Some("Err_SNS_GroupAdd_Friend_Not_Exist")
    );
    let e = alice
        .client
        .create_friend_groups(&FriendshipCreateFriendGroupParam {
            name_array: Some(ids(&["g1"])),
            identifier_array: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
        "an existing name: {e}"
    );
    let r = alice
        .client
        .modify_friend_group(&FriendshipModifyFriendGroupParam {
            name: Some("g1".into()),
            new_name: Some("close".into()),
            add_identifier_array: Some(ids(&["carol", "zed"])),
            delete_identifier_array: None,
        })
        .await
        .unwrap();
    assert_eq!(
        codes_of(&r),
        [
            ("carol".to_owned(), 0),
            (
                "zed".to_owned(),
                codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS
            )
        ]
    );
    assert_eq!(
        r[1].desc.as_deref(),
        Some("Err_SNS_GroupUpdate_Friend_Not_Exist")
    );
    change(&mut alice2, FriendChangeType::FRIEND_GROUP_MODIFY).await;
    let groups = alice2.client.friend_groups(&[]).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name.as_deref(), Some("close"));
    assert_eq!(groups[0].count, Some(2));
    assert_eq!(groups[0].identifier_array, Some(ids(&["bob", "carol"])));
    alice
        .client
        .delete_friend_groups(&ids(&["close"]))
        .await
        .unwrap();
    assert!(alice.client.friend_groups(&[]).await.unwrap().is_empty());
    assert!(friend_ids(&alice).await.len() == 2, "the friends stay");

    // Remark and custom fields: at their limits, then over.
    let modify = |item: FriendProfileItem| FriendshipModifyFriendProfileParam {
        identifier: Some("bob".into()),
        item: Some(item),
    };
    let ok = FriendProfileItem {
        remark: Some("r".repeat(96)),
        group_name_array: Some(ids(&["new group"])),
        custom_string_array: Some(vec![
            FriendProfileCustomStringInfo::new("k8charss", "v".repeat(500)),
            FriendProfileCustomStringInfo::new("Tag_SNS_Custom_short", "x"),
        ]),
    };
    alice
        .client
        .modify_friend(&modify(ok.clone()))
        .await
        .unwrap();
    let up = change(&mut alice2, FriendChangeType::FRIEND_PROFILE_UPDATE).await;
    let u = &up.friend_profile_update_item_array.unwrap()[0];
    assert_eq!(u.identifier.as_deref(), Some("bob"));
    let b = alice2
        .client
        .friend_list()
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.identifier.as_deref() == Some("bob"))
        .unwrap();
    assert_eq!(b.remark.as_deref(), Some("r".repeat(96).as_str()));
    assert_eq!(b.group_name_array, Some(ids(&["new group"])));
    let keys: Vec<String> = b
        .custom_string_array
        .unwrap()
        .into_iter()
        .map(|c| c.key.unwrap())
        .collect();
    assert_eq!(keys, ["Tag_SNS_Custom_k8charss", "Tag_SNS_Custom_short"]);
    for over in [
        FriendProfileItem {
            remark: Some("r".repeat(97)),
            ..Default::default()
        },
        FriendProfileItem {
            custom_string_array: Some(vec![FriendProfileCustomStringInfo::new("k9charsss", "v")]),
            ..Default::default()
        },
        FriendProfileItem {
            custom_string_array: Some(vec![FriendProfileCustomStringInfo::new(
                "k",
                "v".repeat(501),
            )]),
            ..Default::default()
        },
    ] {
        let e = alice.client.modify_friend(&modify(over)).await.unwrap_err();
        assert_eq!(e.code, codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS, "{e}");
    }
    let b = alice.client.friends_info(&ids(&["bob"])).await.unwrap();
    let kept = &b[0].field_info.as_ref().unwrap()[0];
    assert_eq!(
        kept.remark.as_deref(),
        Some("r".repeat(96).as_str()),
        "nothing changed"
    );

    // Search by nick, id and remark: the ids found on a device for a keyword in the fields.
    async fn found(c: &TestClient, keyword: &str, fields: Vec<i64>) -> Vec<String> {
        let param = FriendSearchParam {
            keyword_list: Some(ids(&[keyword])),
            search_field_list: Some(fields),
        };
        let v = c.client.search_friends(&param).await.unwrap();
        v.into_iter().map(|f| f.identifier.unwrap()).collect()
    }
    assert_eq!(found(&alice, "tables", vec![2]).await, ["bob"]);
    assert_eq!(found(&alice, "CAR", vec![1]).await, ["carol"]);
    assert!(found(&alice, "rrr", vec![1, 2]).await.is_empty());
    assert_eq!(found(&alice, "rrr", vec![4]).await, ["bob"]);
    // A keyword of fewer than three characters (no trigram) is matched too, ignoring case.
    assert_eq!(found(&alice, "cA", vec![1]).await, ["carol"]);
    // A new device of the same user searches the lists it fetched.
    let other = device(s1, dir, "alice", "alice-2", 3).await;
    assert_eq!(found(&other, "TABLES", vec![]).await, ["bob"]);
}

/// The blacklist refuses friend requests both ways; unblocking restores them.
async fn blacklists_and_requests(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let bob = device(s1, dir, "bob", "bob", 0).await;
    permission(&bob, ProfileAddPermission::ALLOW_ANY).await;
    permission(&alice, ProfileAddPermission::ALLOW_ANY).await;
    alice
        .client
        .add_friend(&add("bob", FriendType::BOTH))
        .await
        .unwrap();
    bob.client.block_users(&ids(&["alice"])).await.unwrap();
    assert!(
        friend_ids(&bob).await.is_empty(),
        "blocking ends the friendship"
    );
    assert!(friend_ids(&alice).await.is_empty(), "both ways");
    let r = alice
        .client
        .add_friend(&add("bob", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!(
        r.code,
        Some(codes::ERR_SVR_FRIENDSHIP_IN_PEER_BLACKLIST),
        "{r:?}"
    );
    let r = bob
        .client
        .add_friend(&add("alice", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!(
        r.code,
        Some(codes::ERR_SVR_FRIENDSHIP_IN_SELF_BLACKLIST),
        "{r:?}"
    );
    bob.client.unblock_users(&ids(&["alice"])).await.unwrap();
    let r = alice
        .client
        .add_friend(&add("bob", FriendType::BOTH))
        .await
        .unwrap();
    assert_eq!(r.code, Some(0), "{r:?}");

    // Pending requests can be deleted by either side.
    let carol = device(s1, dir, "carol", "carol", 0).await;
    permission(&carol, ProfileAddPermission::NEED_CONFIRM).await;
    alice
        .client
        .add_friend(&add("carol", FriendType::BOTH))
        .await
        .unwrap();
    let r = alice
        .client
        .delete_pendencies(&FriendshipDeletePendencyParam {
            pendency_type: Some(FriendPendencyType::SEND_OUT),
            identifier_array: Some(ids(&["carol", "bob"])),
        })
        .await
        .unwrap();
    assert_eq!(
        codes_of(&r),
        [
            ("carol".to_owned(), 0),
            (
                "bob".to_owned(),
                codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS
            )
        ]
    );
    assert!(pendencies(&carol, FriendPendencyType::COME_IN)
        .await
        .is_empty());
}

/// Callbacks reach the other device at once and an offline device at its next login, exactly
/// once; a reconnect after one change fetches that one change; a friend's profile change is
/// told.
async fn every_device_is_told_once(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let mut alice2 = device(s1, dir, "alice", "alice2", 2).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    permission(&bob, ProfileAddPermission::ALLOW_ANY).await;
    // bob's second device syncs (a message reaches it), then goes offline.
    let mut bob_off = device(s0, dir, "bob", "bob-off", 3).await;
    alice.send_text("bob", "hello").await;
    assert_eq!(bob_off.receive(1, 10).await.len(), 1);
    bob_off.client.logout().await.unwrap();

    // The lists of alice2 and bob are loaded (so they fetch changes from now on).
    assert!(friend_ids(&alice2).await.is_empty());
    assert!(friend_ids(&bob).await.is_empty());
    alice
        .client
        .add_friend(&add("bob", FriendType::BOTH))
        .await
        .unwrap();
    let c = change(&mut alice2, FriendChangeType::FRIEND_ADD).await;
    assert_eq!(c.friend_add_identifier_array, Some(ids(&["bob"])));
    assert_eq!(
        friend_ids(&alice2).await,
        ["bob"],
        "the list followed before the callback"
    );
    change(&mut bob, FriendChangeType::FRIEND_ADD).await;

    // A profile change reaches the friends.
    let nick = UserProfileItem {
        nick_name: Some("B".into()),
        ..Default::default()
    };
    bob.client.modify_self_profile(&nick).await.unwrap();
    let up = change(&mut alice2, FriendChangeType::FRIEND_PROFILE_UPDATE).await;
    assert_eq!(
        up.friend_profile_update_item_array.unwrap()[0]
            .identifier
            .as_deref(),
        Some("bob")
    );
    let f = &alice2.client.friend_list().await.unwrap()[0];
    assert_eq!(
        f.user_profile.as_ref().unwrap().nick_name.as_deref(),
        Some("B")
    );

    // The offline device hears of the add once at its next login.
    let mut o = options(s1, &dir.join("bob-off"));
    o.platform = 3;
    let mut back = client_with(o, "bob");
    back.client.login("bob", &sig("bob")).await.unwrap();
    let got = changes_within(&mut back, 1500).await;
    let adds = got
        .iter()
        .filter(|c| c.change_type == Some(FriendChangeType::FRIEND_ADD))
        .count();
    assert_eq!(adds, 1, "{got:?}");
    assert!(
        changes_within(&mut back, 500).await.is_empty(),
        "and never again"
    );

    // alice2 goes offline; one change happens meanwhile; back, it fetches that one change
    // (its lists are kept on the device with their version), never the whole list.
    alice2.client.logout().await.unwrap();
    alice
        .client
        .modify_friend(&FriendshipModifyFriendProfileParam {
            identifier: Some("bob".into()),
            item: Some(FriendProfileItem {
                remark: Some("changed".into()),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let mut o = options(s1, &dir.join("alice2"));
    o.platform = 2;
    let mut again = client_with(o, "alice");
    again.client.login("alice", &sig("alice")).await.unwrap();
    change(&mut again, FriendChangeType::FRIEND_PROFILE_UPDATE).await;
    let stats = again.client.relation_stats().await.unwrap();
    assert_eq!(
        (stats.syncs, stats.entries),
        (1, 1),
        "one sync carrying one entry"
    );
    assert_eq!(
        again.client.friend_list().await.unwrap()[0]
            .remark
            .as_deref(),
        Some("changed")
    );
    assert_eq!(
        again.client.relation_stats().await.unwrap(),
        stats,
        "served from the device"
    );
    assert!(
        changes_within(&mut again, 300).await.is_empty(),
        "told once"
    );
}

macro_rules! both_stores {
    ($name:ident, $one:ident, $two:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $one() {
            let dir = tempfile::tempdir().unwrap();
            let s = server(&dir.path().join("server")).await;
            $name(&s, &s, dir.path()).await;
            s.stop().await.unwrap();
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(
            not(all(pg_tests, nats_tests)),
            ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
        )]
        async fn $two() {
            let c = Cluster::new();
            let (a, b) = (c.node("a").await, c.node("b").await);
            $name(&a, &b, c.dir.path()).await;
            a.stop().await.unwrap();
            b.stop().await.unwrap();
        }
    };
}

both_stores!(
    permissions_requests_and_answers,
    permissions_requests_and_answers_on_one_node,
    permissions_requests_and_answers_across_nodes
);
both_stores!(
    groups_remarks_and_search,
    groups_remarks_and_search_on_one_node,
    groups_remarks_and_search_across_nodes
);
both_stores!(
    blacklists_and_requests,
    blacklists_and_requests_on_one_node,
    blacklists_and_requests_across_nodes
);
both_stores!(
    every_device_is_told_once,
    every_device_is_told_once_on_one_node,
    every_device_is_told_once_across_nodes
);

/// With `c2c_friends_only`, only users who have each other as friends may write; a message to
/// an id that never existed is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_friends_may_write_when_the_setting_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = opentim_server::Config {
        c2c_friends_only: true,
        ..config(&dir.path().join("server"), "127.0.0.1:0")
    };
    let s = opentim_server::start(config).await.unwrap();
    let alice = device(&s, dir.path(), "alice", "alice", 0).await;
    let bob = device(&s, dir.path(), "bob", "bob", 0).await;
    let send = |to: &str| {
        let client = alice.client.clone();
        let to = to.to_owned();
        async move {
            client
                .send_message(&to, ConvType::C2C, Message::text(&to, ConvType::C2C, "hi"))
                .await
        }
    };
    let e = send("ghost").await.unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_MSG_INVALID_ID, "{e}");
    let e = send("bob").await.unwrap_err();
    assert_eq!(e.code, codes::ERR_SVR_MSG_BOTH_NOT_FRIEND, "{e}");
    permission(&bob, ProfileAddPermission::NEED_CONFIRM).await;
    alice
        .client
        .add_friend(&add("bob", FriendType::BOTH))
        .await
        .unwrap();
    bob.client
        .answer_friend_request(&FriendResponse {
            identifier: Some("alice".into()),
            action: Some(FriendResponseAction::AGREE),
            ..Default::default()
        })
        .await
        .unwrap();
    let e = send("bob").await.unwrap_err();
    assert_eq!(
        e.code,
        codes::ERR_SVR_MSG_NOT_PEER_FRIEND,
        "alice has bob, bob not alice: {e}"
    );
    bob.client
        .add_friend(&add("alice", FriendType::SINGLE))
        .await
        .unwrap();
    send("bob").await.unwrap();
    s.stop().await.unwrap();
}
