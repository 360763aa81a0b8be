//! Webhooks against a real HTTP receiver started by the test: each command arrives with the
//! documented query and body; a before-callback refuses one message (the SDK sender gets its
//! code), rewrites another (the receiver gets the rewrite) and once does not answer (the
//! message goes through after 2 s); after-callbacks survive a restart and are delivered once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use opentim_model::enums::ConvType;
use opentim_model::enums::{FriendType, GroupType};
use opentim_model::friend::FriendshipAddFriendParam;
use opentim_model::group::{CreateGroupParam, GroupMemberInfo};
use opentim_model::message::Message;
use opentim_server::RunningServer;
use serde_json::{json, Value};

use crate::support::*;

/// One callback the receiver got.
#[derive(Clone, Debug)]
struct Seen {
    query: HashMap<String, String>,
    body: Value,
    /// Answered with HTTP 200.
    ok: bool,
}

/// The app's back-end as the test plays it.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Answer after-callbacks with HTTP 500.
    failing: Arc<AtomicBool>,
}

impl Receiver {
    async fn start(&self) -> String {
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hook")
    }

    fn of(&self, command: &str) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.body["CallbackCommand"] == command)
            .cloned()
            .collect()
    }

    /// Wait until `n` callbacks of `command` arrived (answered or not).
    async fn wait(&self, command: &str, n: usize) -> Vec<Seen> {
        for _ in 0..100 {
            let got = self.of(command);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{command}: {n} callbacks expected, got {:?}",
            self.of(command)
        );
    }
}

async fn hook(
    State(r): State<Receiver>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let command = body["CallbackCommand"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let text = body["MsgBody"][0]["MsgContent"]["Text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let before = command.contains("CallbackBefore");
    let failing = !before && r.failing.load(Ordering::SeqCst);
    r.seen.lock().unwrap().push(Seen {
        query,
        body,
        ok: !failing,
    });
    if failing {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    }
    let answer = match text.as_str() {
        _ if !before => json!({ "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "" }),
        "forbidden" => {
            json!({ "ActionStatus": "FAIL", "ErrorCode": 120001, "ErrorInfo": "blocked word" })
        }
        "rewrite me" => json!({
            "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
            "MsgBody": [{ "MsgType": "TIMTextElem", "MsgContent": { "Text": "rewritten" } }],
        }),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(4)).await;
            json!({ "ActionStatus": "OK", "ErrorCode": 0 })
        }
        _ => json!({ "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "" }),
    };
    (StatusCode::OK, Json(answer))
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

async fn server_with_hooks(dir: &std::path::Path, url: &str, addr: &str) -> RunningServer {
    let mut last = None;
    for _ in 0..50 {
        let config = opentim_server::Config {
            webhook_url: Some(url.to_owned()),
            webhook_token: Some("hook-token".into()),
            webhook_retry_secs: 1,
            webhook_retry_max_secs: 1,
            ..config(dir, addr)
        };
        match opentim_server::start(config).await {
            Ok(s) => return s,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not start on {addr}: {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_end_sees_each_command_and_may_refuse_or_rewrite_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let s = server_with_hooks(dir.path(), &url, "127.0.0.1:0").await;
    let alice = login(&s, &dir.path().join("alice"), "alice").await;
    let mut bob = login(&s, &dir.path().join("bob"), "bob").await;

    // Login state changes, with the documented query (signed with the token).
    let logins = receiver.wait("State.StateChange", 2).await;
    let first = &logins[0];
    assert_eq!(first.body["Info"]["Action"], "Login");
    assert_eq!(first.body["Info"]["Reason"], "Register");
    assert_eq!(first.body["Info"]["To_Account"], "alice");
    assert_eq!(
        keys(&first.body),
        sorted(&["CallbackCommand", "EventTime", "Info"])
    );
    let q = &first.query;
    assert_eq!(q["SdkAppid"], APPID.to_string());
    assert_eq!(q["CallbackCommand"], "State.StateChange");
    assert_eq!(q["contenttype"], "json");
    assert!(q.contains_key("ClientIP") && q.contains_key("OptPlatform"));
    assert_eq!(
        q["Sign"],
        opentim_server::webhook::sign("hook-token", &q["RequestTime"])
    );

    // Allowed: the before-callback sees the message, the after-callback its MsgKey.
    let sent = alice.send_text("bob", "hello").await;
    assert_eq!(text(&bob.receive(1, 5).await[0]), "hello");
    let before = &receiver.wait("C2C.CallbackBeforeSendMsg", 1).await[0].body;
    let c2c_keys = [
        "CallbackCommand",
        "EventTime",
        "From_Account",
        "To_Account",
        "MsgSeq",
        "MsgRandom",
        "MsgTime",
        "MsgKey",
        "OnlineOnlyFlag",
        "MsgBody",
        "CloudCustomData",
    ];
    assert_eq!(keys(before), sorted(&c2c_keys));
    assert_eq!(before["From_Account"], "alice");
    assert_eq!(before["To_Account"], "bob");
    assert_eq!(
        before["MsgBody"],
        json!([{ "MsgType": "TIMTextElem", "MsgContent": { "Text": "hello" } }])
    );
    let after = &receiver.wait("C2C.CallbackAfterSendMsg", 1).await[0].body;
    let mut after_keys = c2c_keys.to_vec();
    after_keys.extend(["SendMsgResult", "ErrorInfo"]);
    assert_eq!(keys(after), sorted(&after_keys));
    let key = format!(
        "{}_{}_{}",
        sent.seq.unwrap(),
        sent.rand.unwrap(),
        sent.server_time.unwrap()
    );
    assert_eq!(after["MsgKey"], key);

    // Refused: the sender gets the back-end's code; nothing reaches bob.
    let refused = alice
        .client
        .send_message(
            "bob",
            ConvType::C2C,
            Message::text("bob", ConvType::C2C, "forbidden"),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, 120001, "{refused}");
    // Rewritten: bob gets what the back-end wrote, and so does the after-callback.
    alice.send_text("bob", "rewrite me").await;
    assert_eq!(text(&bob.receive(1, 5).await[0]), "rewritten");
    let afters = receiver.wait("C2C.CallbackAfterSendMsg", 2).await;
    assert_eq!(
        afters[1].body["MsgBody"][0]["MsgContent"]["Text"],
        "rewritten"
    );
    // No answer within 2 s: the message goes through.
    let started = Instant::now();
    alice.send_text("bob", "slow").await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_millis(3500),
        "{took:?}"
    );
    assert_eq!(text(&bob.receive(1, 5).await[0]), "slow");
    assert!(
        bob.quiet(300).await.is_empty(),
        "the refused message never arrives"
    );
    assert_eq!(receiver.wait("C2C.CallbackAfterSendMsg", 3).await.len(), 3);

    // Groups: created, joined, messages before and after, left.
    let param = CreateGroupParam {
        group_name: Some("hooks".into()),
        group_id: Some("g-hooks".into()),
        group_type: Some(GroupType::PUBLIC),
        group_member_array: Some(vec![GroupMemberInfo {
            identifier: Some("bob".into()),
            ..Default::default()
        }]),
        ..Default::default()
    };
    alice.client.create_group(&param).await.unwrap();
    let created = &receiver.wait("Group.CallbackAfterCreateGroup", 1).await[0].body;
    assert_eq!(
        keys(created),
        sorted(&[
            "CallbackCommand",
            "EventTime",
            "GroupId",
            "Type",
            "Name",
            "Operator_Account",
            "Owner_Account",
            "MemberList",
            "UserDefinedDataList"
        ])
    );
    assert_eq!(created["GroupId"], "g-hooks");
    assert_eq!(created["Type"], "Public");
    assert_eq!(created["Owner_Account"], "alice");
    let carol = login(&s, &dir.path().join("carol"), "carol").await;
    carol.client.join_group("g-hooks", "hi").await.unwrap();
    let joined = &receiver.wait("Group.CallbackAfterNewMemberJoin", 1).await[0].body;
    assert_eq!(
        keys(joined),
        sorted(&[
            "CallbackCommand",
            "EventTime",
            "GroupId",
            "Type",
            "JoinType",
            "Operator_Account",
            "NewMemberList"
        ])
    );
    assert_eq!(
        joined["NewMemberList"],
        json!([{ "Member_Account": "carol" }])
    );
    let msg = Message::text("g-hooks", ConvType::GROUP, "to the group");
    alice
        .client
        .send_message("g-hooks", ConvType::GROUP, msg)
        .await
        .unwrap();
    let before = &receiver.wait("Group.CallbackBeforeSendMsg", 1).await[0].body;
    let group_keys = [
        "CallbackCommand",
        "EventTime",
        "GroupId",
        "Type",
        "From_Account",
        "Operator_Account",
        "Random",
        "OnlineOnlyFlag",
        "MsgBody",
        "CloudCustomData",
    ];
    assert_eq!(keys(before), sorted(&group_keys));
    let after = &receiver.wait("Group.CallbackAfterSendMsg", 1).await[0].body;
    let mut stored_keys = group_keys.to_vec();
    stored_keys.extend(["MsgSeq", "MsgTime"]);
    assert_eq!(keys(after), sorted(&stored_keys));
    assert!(after["MsgSeq"].as_u64().is_some_and(|s| s > 0), "{after}");
    let refused = alice
        .client
        .send_message(
            "g-hooks",
            ConvType::GROUP,
            Message::text("g-hooks", ConvType::GROUP, "forbidden"),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, 120001);
    carol.client.quit_group("g-hooks").await.unwrap();
    let left = &receiver.wait("Group.CallbackAfterMemberExit", 1).await[0].body;
    assert_eq!(
        keys(left),
        sorted(&[
            "CallbackCommand",
            "EventTime",
            "GroupId",
            "Type",
            "ExitType",
            "Operator_Account",
            "ExitMemberList"
        ])
    );
    assert_eq!(left["ExitType"], "Quit");

    // Friends: alice asks, bob agrees and adds her (both ways at once), then she deletes him.
    let add = FriendshipAddFriendParam {
        identifier: Some("bob".into()),
        friend_type: Some(FriendType::BOTH),
        add_source: Some("AddSource_Type_Test".into()),
        ..Default::default()
    };
    alice.client.add_friend(&add).await.unwrap();
    let yes = opentim_model::friend::FriendResponse {
        identifier: Some("alice".into()),
        action: Some(opentim_model::enums::FriendResponseAction::AGREE_AND_ADD),
        ..Default::default()
    };
    bob.client.answer_friend_request(&yes).await.unwrap();
    let added = &receiver.wait("Sns.CallbackFriendAdd", 1).await[0].body;
    assert_eq!(
        keys(added),
        sorted(&["CallbackCommand", "EventTime", "PairList", "ClientCmd"])
    );
    assert_eq!(added["ClientCmd"], "friend_response");
    let mut pairs: Vec<(String, String)> = added["PairList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["From_Account"].as_str().unwrap().into(),
                p["To_Account"].as_str().unwrap().into(),
            )
        })
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("alice".into(), "bob".into()),
            ("bob".into(), "alice".into())
        ]
    );
    assert_eq!(added["PairList"][0]["Initiator_Account"], "alice");
    alice
        .client
        .delete_friends(&opentim_model::friend::FriendshipDeleteFriendParam {
            identifier_array: Some(vec!["bob".into()]),
            friend_type: Some(FriendType::BOTH),
        })
        .await
        .unwrap();
    let deleted = &receiver.wait("Sns.CallbackFriendDelete", 1).await[0].body;
    assert_eq!(deleted["ClientCmd"], "friend_delete");
    assert_eq!(deleted["PairList"].as_array().unwrap().len(), 2);

    // Logging out is a state change too.
    bob.client.logout().await.unwrap();
    let changes = receiver.wait("State.StateChange", 4).await;
    assert!(
        changes.iter().any(|c| c.body["Info"]
            == json!({ "Action": "Logout", "To_Account": "bob", "Reason": "Unregister" })),
        "{changes:?}"
    );
    let metrics = reqwest::get(format!("http://{}/metrics", s.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("opentim_webhook_timeouts_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("opentim_webhook_calls_total{command=\"C2C.CallbackBeforeSendMsg\"}"),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_callbacks_survive_a_restart_and_are_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::default();
    receiver.failing.store(true, Ordering::SeqCst);
    let url = receiver.start().await;
    let s = server_with_hooks(dir.path(), &url, "127.0.0.1:0").await;
    let addr = s.addr.to_string();
    let alice = login(&s, &dir.path().join("alice"), "alice").await;
    accounts(&s, dir.path(), &["bob"]).await;
    let mut keys = Vec::new();
    for i in 0..3 {
        let m = alice.send_text("bob", &format!("m{i}")).await;
        keys.push(format!(
            "{}_{}_{}",
            m.seq.unwrap(),
            m.rand.unwrap(),
            m.server_time.unwrap()
        ));
    }
    // The back-end is down: each after-callback was tried and refused.
    receiver.wait("C2C.CallbackAfterSendMsg", 3).await;
    alice.client.logout().await.unwrap();
    s.stop().await.unwrap();
    // The back-end comes back while the server restarts: each callback arrives once.
    receiver.failing.store(false, Ordering::SeqCst);
    let s = server_with_hooks(dir.path(), &url, &addr).await;
    let delivered = |r: &Receiver| -> Vec<String> {
        r.of("C2C.CallbackAfterSendMsg")
            .iter()
            .filter(|c| c.ok)
            .map(|c| c.body["MsgKey"].as_str().unwrap().to_owned())
            .collect()
    };
    for _ in 0..100 {
        if delivered(&receiver).len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut got = delivered(&receiver);
    got.sort();
    keys.sort();
    assert_eq!(got, keys, "each after-callback delivered exactly once");
    s.stop().await.unwrap();
}
