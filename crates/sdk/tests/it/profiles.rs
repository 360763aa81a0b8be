//! User profiles: set one's own (standard and custom fields, with their limits) and read
//! anyone's, from this device's cache or the server; on one node and across two.

use std::path::Path;

use opentim_model::codes;
use opentim_model::enums::{GenderType, ProfileAddPermission};
use opentim_model::profile::{
    FriendShipGetProfileListParam, UserProfile, UserProfileCustomStringInfo, UserProfileItem,
};
use opentim_server::RunningServer;

use crate::cluster::Cluster;
use crate::support::*;

fn ask(users: &[&str], force: bool) -> FriendShipGetProfileListParam {
    FriendShipGetProfileListParam {
        identifier_array: Some(users.iter().map(|u| (*u).to_owned()).collect()),
        force_update: Some(force),
    }
}

fn custom(p: &UserProfile) -> Vec<(String, String)> {
    p.custom_string_array
        .iter()
        .flatten()
        .map(|c| (c.key.clone().unwrap(), c.value.clone().unwrap()))
        .collect()
}

async fn profiles_are_set_and_read(s0: &RunningServer, s1: &RunningServer, dir: &Path) {
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let bob = device(s1, dir, "bob", "bob", 0).await;
    let item = UserProfileItem {
        nick_name: Some("Alice A.".into()),
        gender: Some(GenderType(2)),
        add_permission: Some(ProfileAddPermission(2)),
        location: Some("Oslo".into()),
        level: Some(7),
        custom_string_array: Some(vec![
            UserProfileCustomStringInfo::new("Tag_Profile_Custom_hobby", "ski"),
            UserProfileCustomStringInfo::new("city", "Oslo"),
        ]),
        ..Default::default()
    };
    alice.client.modify_self_profile(&item).await.unwrap();
    let got = bob
        .client
        .user_profiles(&ask(&["alice", "never-set"], true))
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    let a = &got[0];
    assert_eq!(
        (
            a.identifier.as_deref(),
            a.nick_name.as_deref(),
            a.gender,
            a.add_permission,
            a.location.as_deref(),
            a.level
        ),
        (
            Some("alice"),
            Some("Alice A."),
            Some(GenderType(2)),
            Some(ProfileAddPermission(2)),
            Some("Oslo"),
            Some(7)
        )
    );
    assert_eq!(
        custom(a),
        [
            ("Tag_Profile_Custom_hobby".to_owned(), "ski".to_owned()),
            ("Tag_Profile_Custom_city".to_owned(), "Oslo".to_owned())
        ],
        "the prefix is added"
    );
    assert_eq!(got[1].identifier.as_deref(), Some("never-set"));
    assert_eq!(got[1].nick_name.as_deref(), Some(""), "the empty profile");

    // Only what the item names changes; custom fields are set over the stored ones.
    let rename = UserProfileItem {
        nick_name: Some("Al".into()),
        custom_string_array: Some(vec![UserProfileCustomStringInfo::new("hobby", "chess")]),
        ..Default::default()
    };
    alice.client.modify_self_profile(&rename).await.unwrap();
    let cached = bob
        .client
        .user_profiles(&ask(&["alice"], false))
        .await
        .unwrap();
    assert_eq!(
        cached[0].nick_name.as_deref(),
        Some("Alice A."),
        "from the cache"
    );
    let fresh = bob
        .client
        .user_profiles(&ask(&["alice"], true))
        .await
        .unwrap();
    assert_eq!(
        (fresh[0].nick_name.as_deref(), fresh[0].location.as_deref()),
        (Some("Al"), Some("Oslo"))
    );
    assert_eq!(
        custom(&fresh[0]),
        [
            ("Tag_Profile_Custom_hobby".to_owned(), "chess".to_owned()),
            ("Tag_Profile_Custom_city".to_owned(), "Oslo".to_owned())
        ]
    );
    let own = alice
        .client
        .user_profiles(&ask(&["alice"], false))
        .await
        .unwrap();
    assert_eq!(
        own[0].nick_name.as_deref(),
        Some("Al"),
        "one's own cache follows"
    );

    // Limits: at them passes, over them is refused and changes nothing.
    let code = |r: opentim_sdk::Result<()>| r.unwrap_err().code;
    let at = UserProfileItem {
        self_signature: Some("s".repeat(500)),
        custom_string_array: Some(vec![UserProfileCustomStringInfo::new(
            "12345678",
            "v".repeat(500),
        )]),
        ..Default::default()
    };
    alice.client.modify_self_profile(&at).await.unwrap();
    let over = |item: UserProfileItem| {
        let c = alice.client.clone();
        async move { c.modify_self_profile(&item).await }
    };
    assert_eq!(
        code(
            over(UserProfileItem {
                nick_name: Some("n".repeat(501)),
                ..Default::default()
            })
            .await
        ),
        codes::ERR_SVR_PROFILE_SIZE_LIMIT
    );
    assert_eq!(
        code(
            over(UserProfileItem {
                custom_string_array: Some(vec![UserProfileCustomStringInfo::new(
                    "k",
                    "v".repeat(501)
                )]),
                ..Default::default()
            })
            .await
        ),
        codes::ERR_SVR_PROFILE_SIZE_LIMIT
    );
    assert_eq!(
        code(
            over(UserProfileItem {
                custom_string_array: Some(vec![UserProfileCustomStringInfo::new("123456789", "v")]),
                ..Default::default()
            })
            .await
        ),
        codes::ERR_SVR_PROFILE_INVALID_PARAMETERS
    );
    let many: Vec<UserProfileCustomStringInfo> = (0..18)
        .map(|i| UserProfileCustomStringInfo::new(format!("f{i}"), "v"))
        .collect();
    assert_eq!(
        code(
            over(UserProfileItem {
                custom_string_array: Some(many),
                ..Default::default()
            })
            .await
        ),
        codes::ERR_SVR_PROFILE_INVALID_PARAMETERS,
        "3 stored and 18 more is over 20"
    );
    assert_eq!(
        code(
            over(UserProfileItem {
                gender: Some(GenderType(3)),
                ..Default::default()
            })
            .await
        ),
        codes::ERR_SVR_PROFILE_VALUE_ERROR
    );
    let after = bob
        .client
        .user_profiles(&ask(&["alice"], true))
        .await
        .unwrap();
    assert_eq!(after[0].nick_name.as_deref(), Some("Al"), "unchanged");
    assert_eq!(custom(&after[0]).len(), 3);
    let hundred_one: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let refs: Vec<&str> = hundred_one.iter().map(String::as_str).collect();
    assert_eq!(
        bob.client
            .user_profiles(&ask(&refs, true))
            .await
            .unwrap_err()
            .code,
        codes::ERR_SVR_PROFILE_INVALID_PARAMETERS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_set_and_read_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    profiles_are_set_and_read(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn profiles_are_set_and_read_across_nodes() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    profiles_are_set_and_read(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
