//! The REST API (`/v4`) with SDK clients on the other side: an administrator's messages reach
//! a client on another node of a cluster, online state and kicks span the nodes, and a message's
//! `MsgKey` is what the SDK's locator says.

use opentim_sdk::SdkEvent;
use opentim_server::RunningServer;
use serde_json::{json, Value};

use crate::cluster::Cluster;
use crate::support::*;

/// A back-end calling one node's REST API as `administrator`.
pub(crate) struct Rest {
    base: String,
    http: reqwest::Client,
    sig: String,
}

impl Rest {
    pub(crate) fn new(s: &RunningServer) -> Self {
        Rest {
            base: format!("http://{}", s.addr),
            http: reqwest::Client::new(),
            sig: opentim_server::auth::mint(KEY, APPID, "administrator", now(), 300),
        }
    }

    /// POST `body` to `/v4/<path>`; the answer must be a success.
    pub(crate) async fn ok(&self, path: &str, body: Value) -> Value {
        let url = format!(
            "{}/v4/{path}?sdkappid={APPID}&identifier=administrator&usersig={}&random=1&contenttype=json",
            self.base, self.sig
        );
        let v: Value = self
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["ErrorCode"], 0, "{path}: {v}");
        v
    }
}

pub(crate) fn text_body(t: &str) -> Value {
    json!([{ "MsgType": "TIMTextElem", "MsgContent": { "Text": t } }])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn rest_on_one_node_reaches_sessions_on_another() {
    let c = Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    let rest = Rest::new(&a);
    rest.ok(
        "im_open_login_svc/account_import",
        json!({ "UserID": "bob" }),
    )
    .await;
    let bob_sig = sig("bob");
    let mut bob = client_with(options(&b, &c.dir.path().join("bob")), "bob");
    bob.client.login("bob", &bob_sig).await.expect("login");

    // A message from the administrator, sent on node a, reaches bob on node b.
    let v = rest
        .ok("openim/sendmsg", json!({ "To_Account": "bob", "MsgRandom": 4242, "MsgBody": text_body("from the back-end") }))
        .await;
    let got = bob.receive(1, 10).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(text(m), "from the back-end");
    assert_eq!(m.sender.as_deref(), Some("administrator"));
    // The MsgKey is the SDK message's seq, random and server time.
    let key = format!(
        "{}_{}_{}",
        m.seq.unwrap(),
        m.rand.unwrap(),
        m.server_time.unwrap()
    );
    assert_eq!(v["MsgKey"], key);

    // Node a sees bob's session on node b.
    let v = rest
        .ok(
            "openim/query_online_status",
            json!({ "To_Account": ["bob"], "IsNeedDetail": 1 }),
        )
        .await;
    assert_eq!(v["QueryResult"][0]["Status"], "Online", "{v}");
    assert_eq!(
        v["QueryResult"][0]["Detail"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );

    // A kick on node a closes bob's session on node b, and his UserSig no longer logs in.
    rest.ok("im_open_login_svc/kick", json!({ "UserID": "bob" }))
        .await;
    let kicked = bob
        .wait_for(10, |e| matches!(e, SdkEvent::KickedOffline).then_some(()))
        .await;
    assert!(kicked.is_some(), "bob was not told he was kicked");
    let again = client_with(options(&b, &c.dir.path().join("bob2")), "bob");
    let e = again.client.login("bob", &bob_sig).await.unwrap_err();
    assert_eq!(e.code, 70001, "{e}");
    let v = rest
        .ok(
            "openim/query_online_status",
            json!({ "To_Account": ["bob"] }),
        )
        .await;
    assert_eq!(v["QueryResult"][0]["Status"], "Offline", "{v}");
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_messages_are_history_not_news() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let rest = Rest::new(&s);
    rest.ok(
        "im_open_login_svc/multiaccount_import",
        json!({ "Accounts": ["alice", "bob"] }),
    )
    .await;
    let old = now() - 86_400;
    rest.ok("openim/importmsg", json!({ "SyncFromOldSystem": 2, "From_Account": "alice", "To_Account": "bob", "MsgRandom": 7, "MsgTimeStamp": old, "MsgBody": text_body("from the old system") }))
        .await;
    rest.ok("openim/sendmsg", json!({ "From_Account": "alice", "To_Account": "bob", "MsgRandom": 8, "MsgBody": text_body("today") }))
        .await;
    let mut bob = login(&s, &dir.path().join("bob"), "bob").await;
    // Only today's message is news; the imported one is in the history, marked imported.
    let news = bob.receive(1, 5).await;
    assert_eq!(news.iter().map(text).collect::<Vec<_>>(), ["today"]);
    assert!(
        bob.quiet(500).await.is_empty(),
        "the imported message is not announced"
    );
    let history = bob
        .client
        .history("alice", opentim_model::enums::ConvType::C2C, 10)
        .unwrap();
    let imported = history
        .iter()
        .find(|m| text(m) == "from the old system")
        .expect("in history");
    assert_eq!(
        imported.status,
        Some(opentim_model::enums::MsgStatus::LOCAL_IMPORTED)
    );
    assert_eq!(imported.server_time, Some(old));
    s.stop().await.unwrap();
}
