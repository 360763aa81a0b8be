//! The REST API (`/v4`) over real HTTP: authentication, the request shapes real back-ends send,
//! accounts, messages and online state, answers checked field by field.

use futures_util::SinkExt;
use opentim_protocol::op::login::{Login, LoginRequest};
use opentim_protocol::{encode_request, PROTOCOL_VERSION};
use opentim_server::clock::now_secs;
use opentim_server::{Config, RunningServer};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::gateway::{connect, next_frame, Conn, KEY};

const APP: u64 = 1_400_000_000;
const ADMIN: &str = "administrator";

pub(crate) fn config(dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        secret_key: KEY.into(),
        ..Config::default()
    }
}

/// A back-end calling the REST API of one server.
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
            // As back-ends mint them: short-lived.
            sig: opentim_server::auth::mint(KEY, APP, ADMIN, now_secs(), 300),
        }
    }

    /// The query of an authenticated request (the UserSig percent-encoded, as most clients do).
    fn query(&self) -> String {
        let sig = self.sig.replace('*', "%2A");
        format!("sdkappid={APP}&identifier={ADMIN}&usersig={sig}&random=99999999&contenttype=json")
    }

    /// POST `body` to `/v4/<path>` without a Content-Type, as several clients do.
    pub(crate) async fn call(&self, path: &str, body: Value) -> Value {
        self.raw("POST", path, &self.query(), body.to_string())
            .await
    }

    pub(crate) async fn raw(&self, method: &str, path: &str, query: &str, body: String) -> Value {
        let url = format!("{}/v4/{path}?{query}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        let resp = req.body(body).send().await.unwrap();
        assert_eq!(resp.status(), 200, "REST answers are HTTP 200");
        resp.json().await.unwrap()
    }

    /// A call that must succeed.
    pub(crate) async fn ok(&self, path: &str, body: Value) -> Value {
        let v = self.call(path, body).await;
        assert_eq!(v["ActionStatus"], "OK", "{path}: {v}");
        assert_eq!(v["ErrorCode"], 0, "{path}: {v}");
        assert_eq!(v["ErrorInfo"], "", "{path}: {v}");
        v
    }
}

/// A server on SQLite in a temp dir, a back-end calling it, and `accounts` imported.
async fn started(accounts: &[&str]) -> (tempfile::TempDir, RunningServer, Rest) {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(config(dir.path())).await.unwrap();
    let r = Rest::new(&s);
    r.ok(
        "im_open_login_svc/multiaccount_import",
        json!({ "Accounts": accounts }),
    )
    .await;
    (dir, s, r)
}

/// A raw WebSocket session of `user` on `platform`.
async fn session(s: &RunningServer, user: &str, platform: i64) -> Conn {
    let sig = opentim_server::auth::mint(KEY, APP, user, now_secs(), 600);
    try_login(s, user, &sig, platform)
        .await
        .unwrap_or_else(|f| panic!("login of {user} refused: {f}"))
}

async fn try_login(s: &RunningServer, user: &str, sig: &str, platform: i64) -> Result<Conn, Value> {
    let mut c = connect(s).await;
    let login = encode_request::<Login>(
        1,
        &LoginRequest {
            protocol: PROTOCOL_VERSION,
            user_id: user.into(),
            user_sig: sig.into(),
            platform,
        },
    );
    c.send(Ws::text(login)).await.unwrap();
    match next_frame(&mut c).await {
        Some(f) if f["reply"] == 1 && f["code"] == 0 => Ok(c),
        other => Err(other.unwrap_or(Value::Null)),
    }
}

/// The next event named `name` (others are skipped), as its body.
async fn event(c: &mut Conn, name: &str) -> Option<Value> {
    while let Some(f) = next_frame(c).await {
        if f["event"] == name {
            return Some(f["body"].clone());
        }
    }
    None
}

/// The text of the message an inbox event carries.
fn text_of(body: &Value) -> String {
    body["message"]["message"]["message_elem_array"][0]["text_elem_content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn text_body(t: &str) -> Value {
    json!([{ "MsgType": "TIMTextElem", "MsgContent": { "Text": t } }])
}

#[tokio::test]
async fn requests_are_refused_unless_an_administrator_signs_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(config(dir.path())).await.unwrap();
    let r = Rest::new(&s);
    let body = || json!({ "CheckItem": [{ "UserID": "u1" }] }).to_string();
    let path = "im_open_login_svc/account_check";
    let sig =
        |who: &str, time: u64, life: u64| opentim_server::auth::mint(KEY, APP, who, time, life);
    let cases = [
        (
            format!("identifier={ADMIN}&usersig={}", r.sig),
            60012,
            "no sdkappid",
        ),
        (
            format!("sdkappid=1400000001&identifier={ADMIN}&usersig={}", r.sig),
            60006,
            "another app",
        ),
        (
            format!(
                "sdkappid={APP}&identifier=u1&usersig={}",
                sig("u1", now_secs(), 300)
            ),
            60010,
            "not an administrator",
        ),
        (
            format!("sdkappid={APP}&identifier={ADMIN}&usersig=garbage"),
            70003,
            "a malformed sig",
        ),
        (
            format!("sdkappid={APP}&identifier={ADMIN}&usersig="),
            70002,
            "an empty sig",
        ),
        (
            format!(
                "sdkappid={APP}&identifier={ADMIN}&usersig={}",
                sig(ADMIN, now_secs() - 1000, 300)
            ),
            70001,
            "an expired sig",
        ),
        (
            format!(
                "sdkappid={APP}&identifier={ADMIN}&usersig={}",
                opentim_server::auth::mint("other-key", APP, ADMIN, now_secs(), 300)
            ),
            70009,
            "another key",
        ),
        (
            format!(
                "sdkappid={APP}&identifier={ADMIN}&usersig={}",
                sig("u1", now_secs(), 300)
            ),
            70013,
            "another user's sig",
        ),
    ];
    for (query, code, what) in cases {
        let v = r.raw("POST", path, &query, body()).await;
        assert_eq!(v["ActionStatus"], "FAIL", "{what}: {v}");
        assert_eq!(v["ErrorCode"], code, "{what}: {v}");
        assert!(
            !v["ErrorInfo"].as_str().unwrap().is_empty(),
            "{what}: a refusal says why"
        );
    }
    // Accepted: a raw sig, a percent-encoded one, keys in any case, repeated random values.
    for query in [
        format!(
            "sdkappid={APP}&identifier={ADMIN}&usersig={}&random=1&contenttype=json",
            r.sig
        ),
        format!(
            "SdkAppId={APP}&Identifier={ADMIN}&UserSig={}&random=1",
            r.sig.replace('*', "%2A")
        ),
    ] {
        for _ in 0..2 {
            let v = r.raw("POST", path, &query, body()).await;
            assert_eq!(v["ErrorCode"], 0, "{v}");
        }
    }
    // GET with a JSON body (account_check), and an unknown endpoint.
    let v = r.raw("GET", path, &r.query(), body()).await;
    assert_eq!(v["ResultItem"][0]["AccountStatus"], "NotImported");
    let v = r.call("openim/no_such_command", json!({})).await;
    assert_eq!(v["ErrorCode"], 60002);
    // Not JSON, and not an object.
    let v = r
        .raw("POST", "openim/sendmsg", &r.query(), "{not json".into())
        .await;
    assert_eq!(v["ErrorCode"], 90001);
    let v = r.raw("POST", path, &r.query(), "[1]".into()).await;
    assert_eq!(v["ErrorCode"], 60003);
    let metrics = crate::gateway::http_get(&s, "/metrics").await;
    assert!(
        metrics
            .contains("opentim_rest_requests_total{command=\"im_open_login_svc/account_check\"}"),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn every_endpoint_in_the_table_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(config(dir.path())).await.unwrap();
    let r = Rest::new(&s);
    for (name, _) in opentim_server::admin::ENDPOINTS {
        // An empty body is refused by each handler for what it lacks, never as an unknown path.
        let v = r.call(name, json!({})).await;
        assert_ne!(v["ErrorCode"], 60002, "{name}: {v}");
        assert!(v["ErrorCode"].is_i64(), "{name}: {v}");
    }
    s.stop().await.unwrap();
}

#[tokio::test]
async fn accounts_are_imported_checked_deleted_and_kicked() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(config(dir.path())).await.unwrap();
    let r = Rest::new(&s);
    // Today's field name and the old one; Nick and FaceUrl go to the profile.
    r.ok(
        "im_open_login_svc/account_import",
        json!({ "UserID": "alice", "Nick": "Alice \u{00e9}", "FaceUrl": "http://x/a.png" }),
    )
    .await;
    // Raw UTF-8 in the body works as well as escaped.
    let raw = r#"{"Identifier":"bob","Nick":"Bób"}"#.to_owned();
    let v = r
        .raw("POST", "im_open_login_svc/account_import", &r.query(), raw)
        .await;
    assert_eq!(v["ErrorCode"], 0, "{v}");
    let bad = r
        .call("im_open_login_svc/account_import", json!({ "UserID": "" }))
        .await;
    assert_eq!(bad["ErrorCode"], 70402);
    let v = r
        .ok(
            "im_open_login_svc/multiaccount_import",
            json!({ "Accounts": ["carol", "dave", "bad\nid"] }),
        )
        .await;
    assert_eq!(v["FailAccounts"], json!(["bad\nid"]));
    let v = r
        .ok("im_open_login_svc/account_check", json!({ "CheckItem": [{ "UserID": "alice" }, { "UserID": "bob" }, { "UserID": "zed" }] }))
        .await;
    let items = v["ResultItem"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for (item, (user, state)) in items.iter().zip([
        ("alice", "Imported"),
        ("bob", "Imported"),
        ("zed", "NotImported"),
    ]) {
        assert_eq!(item["UserID"], user);
        assert_eq!(item["ResultCode"], 0);
        assert_eq!(item["ResultInfo"], "");
        assert_eq!(item["AccountStatus"], state);
    }
    let v = r
        .ok(
            "im_open_login_svc/account_delete",
            json!({ "DeleteItem": [{ "UserID": "dave" }, { "UserID": "zed" }] }),
        )
        .await;
    assert_eq!(
        v["ResultItem"][0],
        json!({ "UserID": "dave", "ResultCode": 0, "ResultInfo": "" })
    );
    assert_eq!(v["ResultItem"][1]["UserID"], "zed");
    assert_eq!(v["ResultItem"][1]["ResultCode"], 70107);
    let v = r
        .ok(
            "im_open_login_svc/account_check",
            json!({ "CheckItem": [{ "UserID": "dave" }] }),
        )
        .await;
    assert_eq!(v["ResultItem"][0]["AccountStatus"], "NotImported");
    // A deleted account no longer receives messages.
    let v = r
        .call(
            "openim/sendmsg",
            json!({ "To_Account": "dave", "MsgRandom": 1, "MsgBody": text_body("x") }),
        )
        .await;
    assert_eq!(v["ErrorCode"], 90012, "{v}");

    // Kick: the session is told and closed; the UserSig it held no longer logs in; a new one does.
    let old_sig = opentim_server::auth::mint(KEY, APP, "alice", now_secs() - 5, 600);
    let mut a = try_login(&s, "alice", &old_sig, 1).await.unwrap();
    r.ok("im_open_login_svc/kick", json!({ "Identifier": "alice" }))
        .await;
    assert!(event(&mut a, "kicked_offline").await.is_some());
    let refused = try_login(&s, "alice", &old_sig, 1).await.err().unwrap();
    assert_eq!(refused["code"], 70001, "{refused}");
    // Nor does it open uploads.
    let upload = |sig: String| {
        reqwest::Client::new()
            .post(format!("http://{}/media/uploads", s.addr))
            .header("X-Opentim-User", "alice")
            .header("X-Opentim-Usersig", sig)
            .body(json!({ "kind": "file", "size": 1, "name": "a.txt" }).to_string())
            .send()
    };
    assert_eq!(upload(old_sig.clone()).await.unwrap().status(), 401);
    let fresh = opentim_server::auth::mint(KEY, APP, "alice", now_secs() + 1, 600);
    assert!(try_login(&s, "alice", &fresh, 1).await.is_ok());
    assert_eq!(upload(fresh).await.unwrap().status(), 201);
    let v = r
        .call("im_open_login_svc/kick", json!({ "UserID": "nobody" }))
        .await;
    assert_eq!(v["ErrorCode"], 70107);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn admin_messages_are_sent_batched_imported_read_and_recalled() {
    let (_dir, s, r) = started(&["alice", "bob", "carol"]).await;
    let mut bob = session(&s, "bob", 2).await;
    let mut alice = session(&s, "alice", 1).await;

    // As alice, synced to her devices (SyncOtherMachine 1); escaped UTF-8 in the body.
    let body = r#"{"SyncOtherMachine":1,"From_Account":"alice","To_Account":"bob","MsgRandom":1287657,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi \ud83d\ude00"}}],"CloudCustomData":"cc"}"#;
    let v = r
        .raw("POST", "openim/sendmsg", &r.query(), body.into())
        .await;
    assert_eq!(v["ErrorCode"], 0, "{v}");
    let time = v["MsgTime"].as_u64().unwrap();
    assert!(time.abs_diff(now_secs()) < 5);
    assert_eq!(v["MsgKey"], format!("1_1287657_{time}"));
    let got = event(&mut bob, "inbox").await.unwrap();
    assert_eq!(text_of(&got), "hi \u{1F600}");
    assert_eq!(got["message"]["from"], "alice");
    assert_eq!(
        event(&mut alice, "inbox").await.map(|b| text_of(&b)),
        Some("hi \u{1F600}".into())
    );

    // As the administrator (no From_Account); not synced to the sender (SyncOtherMachine 2).
    let stamp = now_secs();
    let v = r
        .ok("openim/sendmsg", json!({ "SyncOtherMachine": 2, "To_Account": "bob", "MsgRandom": 5, "MsgTimeStamp": stamp, "MsgBody": text_body("system notice") }))
        .await;
    assert!(v["MsgKey"].as_str().unwrap().starts_with("1_5_"));
    let got = event(&mut bob, "inbox").await.unwrap();
    assert_eq!(got["message"]["from"], ADMIN);
    // The same request again (a retry) stores nothing new.
    let again = r
        .ok("openim/sendmsg", json!({ "SyncOtherMachine": 2, "To_Account": "bob", "MsgRandom": 5, "MsgTimeStamp": stamp, "MsgBody": text_body("system notice") }))
        .await;
    assert_eq!(again["MsgKey"], v["MsgKey"]);

    // Refusals: a receiver that does not exist, no MsgRandom, a body that is not an array.
    let e = r
        .call(
            "openim/sendmsg",
            json!({ "To_Account": "nobody", "MsgRandom": 1, "MsgBody": text_body("x") }),
        )
        .await;
    assert_eq!(e["ErrorCode"], 90012);
    let e = r
        .call(
            "openim/sendmsg",
            json!({ "To_Account": "bob", "MsgBody": text_body("x") }),
        )
        .await;
    assert_eq!(e["ErrorCode"], 90005);
    let e = r
        .call(
            "openim/sendmsg",
            json!({ "To_Account": "bob", "MsgRandom": 1, "MsgBody": {} }),
        )
        .await;
    assert_eq!(e["ErrorCode"], 90007);
    let e = r.call("openim/sendmsg", json!({ "To_Account": "bob", "MsgRandom": 1, "SyncOtherMachine": 3, "MsgBody": text_body("x") })).await;
    assert_eq!(e["ErrorCode"], 90031);

    // A batch: failed recipients only in ErrorList; the others get it.
    let v = r
        .ok("openim/batchsendmsg", json!({ "From_Account": "alice", "To_Account": ["bob", "carol", "nobody"], "MsgRandom": 77, "MsgBody": text_body("to all") }))
        .await;
    assert_eq!(
        v["ErrorList"],
        json!([{ "To_Account": "nobody", "ErrorCode": 90012 }])
    );
    assert!(v["MsgKey"].as_str().unwrap().contains("_77_"));
    assert_eq!(
        event(&mut bob, "inbox").await.map(|b| text_of(&b)),
        Some("to all".into())
    );
    let over: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    let e = r
        .call(
            "openim/batchsendmsg",
            json!({ "To_Account": over, "MsgRandom": 1, "MsgBody": text_body("x") }),
        )
        .await;
    assert_eq!(e["ErrorCode"], 90011);

    // Imported: stored at its own time, marked imported, pushed to nobody.
    let old_time = now_secs() - 86_400;
    let v = r
        .ok("openim/importmsg", json!({ "SyncFromOldSystem": 2, "From_Account": "carol", "To_Account": "bob", "MsgRandom": 9, "MsgTimeStamp": old_time, "MsgBody": text_body("from the old system") }))
        .await;
    assert_eq!(v["MsgTime"], old_time);
    let e = r.call("openim/importmsg", json!({ "From_Account": "carol", "To_Account": "bob", "MsgRandom": 9, "MsgBody": text_body("x") })).await;
    assert_eq!(e["ErrorCode"], 90006);

    // Roaming history as alice sees her conversation with bob, newest first, in pages.
    for i in 0..4 {
        r.ok("openim/sendmsg", json!({ "From_Account": "bob", "To_Account": "alice", "MsgRandom": 100 + i, "MsgBody": text_body(&format!("reply {i}")) }))
            .await;
    }
    let page = r
        .ok("openim/admin_getroammsg", json!({ "Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 3, "MinTime": 0, "MaxTime": now_secs() + 10 }))
        .await;
    assert_eq!(page["Complete"], 0);
    assert_eq!(page["MsgCnt"], 3);
    let list = page["MsgList"].as_array().unwrap();
    assert_eq!(list[0]["MsgBody"], text_body("reply 3"));
    assert_eq!(list[0]["From_Account"], "bob");
    assert_eq!(list[0]["To_Account"], "alice");
    assert_eq!(list[0]["MsgRandom"], 103);
    assert_eq!(list[0]["MsgFlagBits"], 0);
    assert_eq!(list[0]["IsPeerRead"], 0);
    assert_eq!(list[0]["CloudCustomData"], "");
    let seq = list[0]["MsgSeq"].as_u64().unwrap();
    assert_eq!(
        list[0]["MsgKey"],
        format!("{seq}_103_{}", list[0]["MsgTimeStamp"])
    );
    assert_eq!(page["LastMsgKey"], list[2]["MsgKey"]);
    assert_eq!(page["LastMsgTime"], list[2]["MsgTimeStamp"]);
    // The next page, with the old field names.
    let rest = r
        .ok("openim/admin_getroammsg", json!({ "From_Account": "alice", "To_Account": "bob", "MaxCnt": 10, "MinTime": 0, "MaxTime": now_secs() + 10, "LastMsgKey": page["LastMsgKey"] }))
        .await;
    assert_eq!(rest["Complete"], 1);
    let older = rest["MsgList"].as_array().unwrap();
    assert_eq!(older.len(), 3);
    assert_eq!(older[0]["MsgBody"], text_body("reply 0"));
    assert_eq!(older[1]["MsgBody"], text_body("to all"));
    assert_eq!(older[2]["MsgBody"], text_body("hi \u{1F600}"));
    assert_eq!(older[2]["CloudCustomData"], "cc");

    // Unread counts, then read by the administrator's report.
    let v = r
        .ok(
            "openim/get_c2c_unread_msg_num",
            json!({ "To_Account": "alice", "Peer_Account": ["bob", "carol"] }),
        )
        .await;
    assert_eq!(v["AllC2CUnreadMsgNum"], 4);
    assert_eq!(
        v["C2CUnreadMsgNumList"],
        json!([{ "Peer_Account": "bob", "C2CUnreadMsgNum": 4 }, { "Peer_Account": "carol", "C2CUnreadMsgNum": 0 }])
    );
    r.ok(
        "openim/admin_set_msg_read",
        json!({ "Report_Account": "alice", "Peer_Account": "bob" }),
    )
    .await;
    let v = r
        .ok(
            "openim/get_c2c_unread_msg_num",
            json!({ "To_Account": "alice" }),
        )
        .await;
    assert_eq!(v["AllC2CUnreadMsgNum"], 0);
    // Bob now sees his messages to alice as read.
    let page = r
        .ok("openim/admin_getroammsg", json!({ "Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 1, "MinTime": 0, "MaxTime": now_secs() + 10 }))
        .await;
    assert_eq!(page["MsgList"][0]["IsPeerRead"], 1);

    // Recalled by its MsgKey at any time: both sides are told, and history keeps it flagged.
    let key = list[0]["MsgKey"].clone();
    r.ok(
        "openim/admin_msgwithdraw",
        json!({ "From_Account": "bob", "To_Account": "alice", "MsgKey": key }),
    )
    .await;
    let page = r
        .ok("openim/admin_getroammsg", json!({ "Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 1, "MinTime": 0, "MaxTime": now_secs() + 10 }))
        .await;
    assert_eq!(page["MsgList"][0]["MsgFlagBits"], 2);
    let e = r
        .call(
            "openim/admin_msgwithdraw",
            json!({ "From_Account": "bob", "To_Account": "alice", "MsgKey": "999_1_1" }),
        )
        .await;
    assert_ne!(e["ErrorCode"], 0);
    // A batch's key recalls each recipient's copy.
    let batch_key = r
        .ok("openim/batchsendmsg", json!({ "From_Account": "alice", "To_Account": ["bob", "carol"], "MsgRandom": 555, "MsgBody": text_body("oops") }))
        .await["MsgKey"]
        .clone();
    for to in ["bob", "carol"] {
        r.ok(
            "openim/admin_msgwithdraw",
            json!({ "From_Account": "alice", "To_Account": to, "MsgKey": batch_key }),
        )
        .await;
    }
    s.stop().await.unwrap();
}

#[tokio::test]
async fn online_state_lists_every_session_with_its_platform() {
    let (_dir, s, r) = started(&["alice", "bob"]).await;
    let _pc = session(&s, "alice", 1).await;
    let _phone = session(&s, "alice", 3).await;
    let v = r
        .ok(
            "openim/query_online_status",
            json!({ "To_Account": ["alice", "bob", "ghost"], "IsNeedDetail": 1 }),
        )
        .await;
    let results = v["QueryResult"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["To_Account"], "alice");
    assert_eq!(results[0]["Status"], "Online");
    let mut platforms: Vec<&str> = results[0]["Detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Platform"].as_str().unwrap())
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["PC", "iPhone"]);
    assert_eq!(
        results[1],
        json!({ "To_Account": "bob", "Status": "Offline" })
    );
    assert_eq!(
        v["ErrorList"],
        json!([{ "To_Account": "ghost", "ErrorCode": 70107 }])
    );
    // Without detail, and on the old path (State).
    let v = r
        .ok(
            "openim/query_online_status",
            json!({ "To_Account": ["alice"] }),
        )
        .await;
    assert_eq!(
        v["QueryResult"],
        json!([{ "To_Account": "alice", "Status": "Online" }])
    );
    let v = r
        .ok(
            "openim/querystate",
            json!({ "To_Account": ["alice", "bob"] }),
        )
        .await;
    assert_eq!(
        v["QueryResult"],
        json!([{ "To_Account": "alice", "State": "Online" }, { "To_Account": "bob", "State": "Offline" }])
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn each_endpoint_has_its_own_rate() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(Config {
        rest_requests_per_sec: 2,
        rest_batchsendmsg_per_min: 120,
        ..config(dir.path())
    })
    .await
    .unwrap();
    let r = Rest::new(&s);
    let check = json!({ "CheckItem": [{ "UserID": "u" }] });
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(
            r.call("im_open_login_svc/account_check", check.clone())
                .await["ErrorCode"]
                .clone(),
        );
    }
    assert_eq!(codes, [json!(0), json!(0), json!(60007)]);
    // Another endpoint is counted on its own.
    let v = r
        .call("openim/query_online_status", json!({ "To_Account": ["u"] }))
        .await;
    assert_eq!(v["ErrorCode"], 0, "{v}");
    // A batch counts its recipients: 120 a minute is 2 a second, 120 at most at once.
    let many: Vec<String> = (0..100).map(|i| format!("u{i}")).collect();
    let body = json!({ "To_Account": many, "MsgRandom": 1, "MsgBody": text_body("x") });
    assert_eq!(
        r.call("openim/batchsendmsg", body.clone()).await["ErrorCode"],
        0
    );
    assert_eq!(
        r.call("openim/batchsendmsg", body).await["ErrorCode"],
        60007
    );
    let metrics = crate::gateway::http_get(&s, "/metrics").await;
    assert!(
        metrics.contains("opentim_rest_throttled_total 2"),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn profiles_are_read_and_written_by_tag() {
    let (_dir, s, r) = started(&["alice", "bob"]).await;
    let v = r
        .ok(
            "profile/portrait_set",
            json!({ "From_Account": "alice", "ProfileItem": [
            { "Tag": "Tag_Profile_IM_Nick", "Value": "Alice" },
            { "Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female" },
            { "Tag": "Tag_Profile_IM_BirthDay", "Value": 19900101 },
            { "Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_AllowAny" },
            { "Tag": "Tag_Profile_IM_SelfSignature", "Value": "hi" },
            { "Tag": "Tag_Profile_IM_Image", "Value": "http://x/a.png" },
            { "Tag": "Tag_Profile_IM_Level", "Value": 3 },
            { "Tag": "Tag_Profile_Custom_city", "Value": "Lyon" },
        ] }),
        )
        .await;
    assert_eq!(v["ErrorDisplay"], "", "profile answers carry ErrorDisplay");
    let tags = [
        "Tag_Profile_IM_Nick",
        "Tag_Profile_IM_Gender",
        "Tag_Profile_IM_BirthDay",
        "Tag_Profile_IM_AllowType",
        "Tag_Profile_IM_SelfSignature",
        "Tag_Profile_IM_Image",
        "Tag_Profile_IM_Level",
        "Tag_Profile_Custom_city",
    ];
    let v = r
        .ok(
            "profile/portrait_get",
            json!({ "To_Account": ["alice", "bob", "ghost"], "TagList": tags }),
        )
        .await;
    let items = v["UserProfileItem"].as_array().unwrap();
    assert_eq!(items[0]["To_Account"], "alice");
    assert_eq!(items[0]["ResultCode"], 0);
    assert_eq!(
        items[0]["ProfileItem"],
        json!([
            { "Tag": "Tag_Profile_IM_Nick", "Value": "Alice" },
            { "Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female" },
            { "Tag": "Tag_Profile_IM_BirthDay", "Value": 19900101 },
            { "Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_AllowAny" },
            { "Tag": "Tag_Profile_IM_SelfSignature", "Value": "hi" },
            { "Tag": "Tag_Profile_IM_Image", "Value": "http://x/a.png" },
            { "Tag": "Tag_Profile_IM_Level", "Value": 3 },
            { "Tag": "Tag_Profile_Custom_city", "Value": "Lyon" },
        ])
    );
    // An account never set has the defaults; one that does not exist is refused in its entry.
    assert_eq!(
        items[1]["ProfileItem"][0],
        json!({ "Tag": "Tag_Profile_IM_Nick", "Value": "" })
    );
    assert_eq!(items[2]["ResultCode"], 40003);
    assert_eq!(v["Fail_Account"], json!(["ghost"]));
    let e = r.call("profile/portrait_set", json!({ "From_Account": "alice", "ProfileItem": [{ "Tag": "Tag_Profile_IM_Gender", "Value": "Robot" }] })).await;
    assert_eq!(e["ErrorCode"], 40001, "{e}");
    let e = r
        .call(
            "profile/portrait_get",
            json!({ "To_Account": ["alice"], "TagList": ["Tag_Nope"] }),
        )
        .await;
    assert_eq!(e["ErrorCode"], 40009);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn friends_groups_and_blacklists_are_managed_for_a_user() {
    let (_dir, s, r) = started(&["alice", "bob", "carol", "dave"]).await;
    // bob asks for confirmation: a forced add goes through, a plain one waits.
    r.ok("profile/portrait_set", json!({ "From_Account": "bob", "ProfileItem": [{ "Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_NeedConfirm" }] })).await;
    let v = r
        .ok("sns/friend_add", json!({ "From_Account": "alice", "AddType": "Add_Type_Both", "ForceAddFlags": 1,
            "AddFriendItem": [{ "To_Account": "bob", "Remark": "B", "GroupName": "work", "AddSource": "AddSource_Type_Web", "AddWording": "hi" }] }))
        .await;
    assert_eq!(
        v["ResultItem"],
        json!([{ "To_Account": "bob", "ResultCode": 0, "ResultInfo": "" }])
    );
    assert_eq!(v["Fail_Account"], json!([]));
    assert_eq!(v["ErrorDisplay"], "");
    let v = r
        .ok("sns/friend_add", json!({ "From_Account": "carol", "AddFriendItem": [{ "To_Account": "bob", "AddSource": "AddSource_Type_Web" }] }))
        .await;
    assert_eq!(v["ResultItem"][0]["ResultCode"], 30539);
    assert_eq!(v["Fail_Account"], json!(["bob"]));
    // One-way import.
    r.ok("sns/friend_import", json!({ "From_Account": "alice", "AddFriendItem": [{ "To_Account": "carol", "GroupName": ["family"], "AddSource": "AddSource_Type_Import" }] })).await;
    let v = r
        .ok("sns/friend_check", json!({ "From_Account": "alice", "To_Account": ["bob", "carol", "dave"], "CheckType": "CheckResult_Type_Both" }))
        .await;
    let relations: Vec<&str> = v["InfoItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Relation"].as_str().unwrap())
        .collect();
    assert_eq!(
        relations,
        [
            "CheckResult_Type_BothWay",
            "CheckResult_Type_AWithB",
            "CheckResult_Type_NoRelation"
        ]
    );
    // Updated, then read back by tag.
    r.ok("sns/friend_update", json!({ "From_Account": "alice", "UpdateItem": [{ "To_Account": "bob", "SnsItem": [{ "Tag": "Tag_SNS_IM_Remark", "Value": "Bobby" }] }] })).await;
    let v = r
        .ok(
            "sns/friend_get",
            json!({ "From_Account": "alice", "StartIndex": 0 }),
        )
        .await;
    assert_eq!(v["FriendNum"], 2);
    assert_eq!(v["CompleteFlag"], 1);
    assert_eq!(v["NextStartIndex"], 0);
    let bob = v["UserDataItem"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["To_Account"] == "bob")
        .unwrap()
        .clone();
    let value = |item: &Value, tag: &str| {
        item["ValueItem"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["Tag"] == tag)
            .map(|t| t["Value"].clone())
    };
    assert_eq!(value(&bob, "Tag_SNS_IM_Remark"), Some(json!("Bobby")));
    assert_eq!(value(&bob, "Tag_SNS_IM_Group"), Some(json!(["work"])));
    assert_eq!(
        value(&bob, "Tag_SNS_IM_AddSource"),
        Some(json!("AddSource_Type_Web"))
    );
    assert_eq!(value(&bob, "Tag_SNS_IM_AddWording"), Some(json!("hi")));
    assert!(value(&bob, "Tag_SNS_IM_AddTime").unwrap().as_u64().unwrap() > 0);
    let v = r
        .ok("sns/friend_get_list", json!({ "From_Account": "alice", "To_Account": ["bob", "dave"], "TagList": ["Tag_SNS_IM_Remark", "Tag_Profile_IM_AllowType"] }))
        .await;
    assert_eq!(
        v["InfoItem"][0]["SnsProfileItem"],
        json!([
            { "Tag": "Tag_SNS_IM_Remark", "Value": "Bobby" },
            { "Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_NeedConfirm" },
        ])
    );
    assert_eq!(v["InfoItem"][1]["ResultCode"], 30001);
    assert_eq!(v["Fail_Account"], json!(["dave"]));
    // Friend groups.
    let v = r
        .ok(
            "sns/group_add",
            json!({ "From_Account": "alice", "GroupName": ["close"], "To_Account": ["bob"] }),
        )
        .await;
    assert!(v["CurrentSequence"].as_u64().unwrap() > 0);
    let v = r
        .ok(
            "sns/group_get",
            json!({ "From_Account": "alice", "NeedFriend": "Need_Friend_Type_Yes" }),
        )
        .await;
    let groups = v["ResultItem"].as_array().unwrap();
    let close = groups.iter().find(|g| g["GroupName"] == "close").unwrap();
    assert_eq!(close["FriendNumber"], 1);
    assert_eq!(close["To_Account"], json!(["bob"]));
    r.ok(
        "sns/group_delete",
        json!({ "From_Account": "alice", "GroupName": ["close"] }),
    )
    .await;
    let v = r
        .ok("sns/group_get", json!({ "From_Account": "alice" }))
        .await;
    assert!(v["ResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["GroupName"] != "close"));
    // Blacklists.
    let v = r
        .ok(
            "sns/black_list_add",
            json!({ "From_Account": "alice", "To_Account": ["dave"] }),
        )
        .await;
    assert_eq!(
        v["ResultItem"],
        json!([{ "To_Account": "dave", "ResultCode": 0, "ResultInfo": "" }])
    );
    r.ok(
        "sns/black_list_add",
        json!({ "From_Account": "dave", "To_Account": ["alice"] }),
    )
    .await;
    let v = r.ok("sns/black_list_get", json!({ "From_Account": "alice", "StartIndex": 0, "MaxLimited": 10, "LastSequence": 0 })).await;
    assert_eq!(v["BlackListItem"][0]["To_Account"], "dave");
    assert!(v["BlackListItem"][0]["AddBlackTimeStamp"].as_u64().unwrap() > 0);
    assert_eq!(v["StartIndex"], 0);
    assert!(v["CurruentSequence"].as_u64().is_some());
    let v = r.ok("sns/black_list_check", json!({ "From_Account": "alice", "To_Account": ["dave", "bob"], "CheckType": "BlackCheckResult_Type_Both" })).await;
    let relations: Vec<&str> = v["BlackListCheckItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Relation"].as_str().unwrap())
        .collect();
    assert_eq!(
        relations,
        ["BlackCheckResult_Type_BothWay", "BlackCheckResult_Type_NO"]
    );
    r.ok(
        "sns/black_list_delete",
        json!({ "From_Account": "alice", "To_Account": ["dave"] }),
    )
    .await;
    let v = r
        .ok(
            "sns/black_list_get",
            json!({ "From_Account": "alice", "StartIndex": 0, "MaxLimited": 10 }),
        )
        .await;
    assert_eq!(v["BlackListItem"], json!([]));
    // Deleted: one, then all.
    let v = r.ok("sns/friend_delete", json!({ "From_Account": "alice", "To_Account": ["carol"], "DeleteType": "Delete_Type_Single" })).await;
    assert_eq!(v["ResultItem"][0]["ResultCode"], 0);
    r.ok(
        "sns/friend_delete_all",
        json!({ "From_Account": "alice", "DeleteType": "Delete_Type_Both" }),
    )
    .await;
    let v = r
        .ok(
            "sns/friend_get",
            json!({ "From_Account": "alice", "StartIndex": 0 }),
        )
        .await;
    assert_eq!(v["FriendNum"], 0);
    let v = r
        .ok(
            "sns/friend_check",
            json!({ "From_Account": "bob", "To_Account": ["alice"] }),
        )
        .await;
    assert_eq!(v["InfoItem"][0]["Relation"], "CheckResult_Type_NoRelation");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn groups_are_run_by_the_administrator() {
    let (_dir, s, r) = started(&["alice", "bob", "carol", "dave"]).await;
    // Created for alice with members, custom data and options; Owner_Account may be empty too.
    let v = r
        .ok("group_open_http_svc/create_group", json!({
            "Owner_Account": "alice", "Type": "Public", "GroupId": "g-rest", "Name": "rest",
            "Introduction": "intro", "Notification": "notice", "FaceUrl": "http://x/g.png",
            "MaxMemberCount": 50, "ApplyJoinOption": "NeedPermission",
            "MemberList": [{ "Member_Account": "bob", "Role": "Admin" }, { "Member_Account": "carol" }],
            "AppDefinedData": [{ "Key": "k1", "Value": "v1" }],
        }))
        .await;
    assert_eq!(v["GroupId"], "g-rest");
    let v = r
        .ok(
            "group_open_http_svc/create_group",
            json!({ "Owner_Account": "", "Type": "Work", "Name": "ownerless" }),
        )
        .await;
    let generated = v["GroupId"].as_str().unwrap().to_owned();
    assert!(generated.starts_with("@TGS#"), "{generated}");
    let e = r
        .call(
            "group_open_http_svc/create_group",
            json!({ "Type": "Community", "Name": "x" }),
        )
        .await;
    assert_eq!(e["ErrorCode"], 10004, "{e}");

    let v = r
        .ok(
            "group_open_http_svc/get_group_info",
            json!({ "GroupIdList": ["g-rest", "g-none"] }),
        )
        .await;
    let g = &v["GroupInfo"][0];
    for (key, want) in [
        ("GroupId", json!("g-rest")),
        ("ErrorCode", json!(0)),
        ("Type", json!("Public")),
        ("Name", json!("rest")),
        ("Appid", json!(APP)),
        ("Introduction", json!("intro")),
        ("Notification", json!("notice")),
        ("FaceUrl", json!("http://x/g.png")),
        ("Owner_Account", json!("alice")),
        ("MemberNum", json!(3)),
        ("MaxMemberNum", json!(50)),
        ("ApplyJoinOption", json!("NeedPermission")),
        ("ShutUpAllMember", json!("Off")),
        ("AppDefinedData", json!([{ "Key": "k1", "Value": "v1" }])),
        ("NextMsgSeq", json!(1)),
    ] {
        assert_eq!(g[key], want, "{key}: {g}");
    }
    for key in ["CreateTime", "LastInfoTime", "LastMsgTime"] {
        assert!(g[key].is_u64(), "{key}");
    }
    let roles: Vec<(String, String)> = g["MemberList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["Member_Account"].as_str().unwrap().into(),
                m["Role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        roles.contains(&("alice".into(), "Owner".into()))
            && roles.contains(&("bob".into(), "Admin".into()))
            && roles.contains(&("carol".into(), "Member".into())),
        "{roles:?}"
    );
    let m = &g["MemberList"][0];
    for key in [
        "JoinTime",
        "MsgSeq",
        "MsgFlag",
        "LastSendMsgTime",
        "ShutUpUntil",
        "AppMemberDefinedData",
    ] {
        assert!(!m[key].is_null(), "{key}: {m}");
    }
    assert_eq!(v["GroupInfo"][1]["GroupId"], "g-none");
    assert_eq!(v["GroupInfo"][1]["ErrorCode"], 10010);

    // Profile changes and members.
    r.ok("group_open_http_svc/modify_group_base_info", json!({ "GroupId": "g-rest", "Name": "renamed", "ShutUpAllMember": "On", "AppDefinedData": [{ "Key": "k1", "Value": "v2" }] })).await;
    let v = r
        .ok(
            "group_open_http_svc/get_group_info",
            json!({ "GroupIdList": ["g-rest"] }),
        )
        .await;
    assert_eq!(v["GroupInfo"][0]["Name"], "renamed");
    assert_eq!(v["GroupInfo"][0]["ShutUpAllMember"], "On");
    assert_eq!(
        v["GroupInfo"][0]["AppDefinedData"],
        json!([{ "Key": "k1", "Value": "v2" }])
    );
    r.ok(
        "group_open_http_svc/modify_group_base_info",
        json!({ "GroupId": "g-rest", "ShutUpAllMember": "Off" }),
    )
    .await;
    let v = r.ok("group_open_http_svc/add_group_member", json!({ "GroupId": "g-rest", "MemberList": [{ "Member_Account": "dave" }, { "Member_Account": "bob" }] })).await;
    assert_eq!(
        v["MemberList"],
        json!([{ "Member_Account": "dave", "Result": 1 }, { "Member_Account": "bob", "Result": 2 }])
    );
    let v = r
        .ok(
            "group_open_http_svc/get_group_member_info",
            json!({ "GroupId": "g-rest", "Limit": 10, "Offset": 0, "MemberRoleFilter": ["Admin"] }),
        )
        .await;
    assert_eq!(v["MemberNum"], 4);
    assert_eq!(v["MemberList"].as_array().unwrap().len(), 1);
    assert_eq!(v["MemberList"][0]["Member_Account"], "bob");
    r.ok("group_open_http_svc/modify_group_member_info", json!({ "GroupId": "g-rest", "Member_Account": "dave", "NameCard": "D", "Role": "Admin", "MsgFlag": "AcceptNotNotify" })).await;
    let v = r
        .ok(
            "group_open_http_svc/get_role_in_group",
            json!({ "GroupId": "g-rest", "User_Account": ["alice", "dave", "carol", "zed"] }),
        )
        .await;
    assert_eq!(
        v["UserIdList"],
        json!([
            { "Member_Account": "alice", "Role": "Owner" }, { "Member_Account": "dave", "Role": "Admin" },
            { "Member_Account": "carol", "Role": "Member" }, { "Member_Account": "zed", "Role": "NotMember" },
        ])
    );
    let v = r
        .ok(
            "group_open_http_svc/get_group_member_info",
            json!({ "GroupId": "g-rest", "MemberRoleFilter": ["Admin"] }),
        )
        .await;
    let dave = v["MemberList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Member_Account"] == "dave")
        .unwrap()
        .clone();
    assert_eq!(dave["NameCard"], "D");
    assert_eq!(dave["MsgFlag"], "AcceptNotNotify");
    // Mutes.
    r.ok(
        "group_open_http_svc/forbid_send_msg",
        json!({ "GroupId": "g-rest", "Members_Account": ["carol"], "MuteTime": 600 }),
    )
    .await;
    let v = r
        .ok(
            "group_open_http_svc/get_group_shutted_uin",
            json!({ "GroupId": "g-rest" }),
        )
        .await;
    assert_eq!(v["ShuttedUinList"][0]["Member_Account"], "carol");
    assert!(v["ShuttedUinList"][0]["ShuttedUntil"].as_u64().unwrap() > now_secs());
    let e = r.call("group_open_http_svc/send_group_msg", json!({ "GroupId": "g-rest", "From_Account": "carol", "Random": 1, "MsgBody": text_body("x") })).await;
    assert_eq!(e["ErrorCode"], 10017, "a muted member cannot send: {e}");
    r.ok(
        "group_open_http_svc/forbid_send_msg",
        json!({ "GroupId": "g-rest", "Members_Account": ["carol"], "MuteTime": 0 }),
    )
    .await;

    // Messages: sent as a member and as the administrator, reaching a member online.
    let mut bob = session(&s, "bob", 2).await;
    // Follow the groups (what the SDK does after its login).
    let heads = encode_request::<opentim_protocol::op::group::GroupHeads>(
        2,
        &opentim_protocol::op::Empty {},
    );
    bob.send(Ws::text(heads)).await.unwrap();
    let v = r.ok("group_open_http_svc/send_group_msg", json!({ "GroupId": "g-rest", "From_Account": "alice", "Random": 11, "MsgBody": text_body("hello group") })).await;
    let first = v["MsgSeq"].as_u64().unwrap();
    assert!(v["MsgTime"].as_u64().unwrap() > 0);
    let got = event(&mut bob, "group").await.unwrap();
    assert_eq!(
        got["message"]["message"]["message_elem_array"][0]["text_elem_content"], "hello group",
        "{got}"
    );
    r.ok(
        "group_open_http_svc/send_group_msg",
        json!({ "GroupId": "g-rest", "Random": 12, "MsgBody": text_body("from the app") }),
    )
    .await;
    let v = r
        .ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({ "GroupId": "g-rest", "ReqMsgNumber": 10 }),
        )
        .await;
    let list = v["RspMsgList"].as_array().unwrap();
    assert_eq!(list[0]["MsgBody"], text_body("from the app"));
    assert_eq!(list[0]["From_Account"], ADMIN);
    assert_eq!(list[1]["MsgSeq"], first);
    for key in ["IsPlaceMsg", "MsgPriority", "MsgRandom", "MsgTimeStamp"] {
        assert!(!list[1][key].is_null(), "{key}");
    }
    // Recalled, per seq.
    let v = r
        .ok(
            "group_open_http_svc/group_msg_recall",
            json!({ "GroupId": "g-rest", "MsgSeqList": [{ "MsgSeq": first }, { "MsgSeq": 999 }] }),
        )
        .await;
    assert_eq!(
        v["RecallRetList"][0],
        json!({ "MsgSeq": first, "RetCode": 0 })
    );
    assert_ne!(v["RecallRetList"][1]["RetCode"], 0);
    let v = r
        .ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({ "GroupId": "g-rest", "ReqMsgNumber": 10 }),
        )
        .await;
    assert!(
        v["RspMsgList"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["MsgSeq"] != first),
        "recalled messages are left out"
    );
    let v = r
        .ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({ "GroupId": "g-rest", "ReqMsgNumber": 10, "WithRecalledMsg": 1 }),
        )
        .await;
    assert!(v["RspMsgList"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["MsgSeq"] == first));
    // Imported messages and members; by-sender deletion.
    let old = now_secs() - 3600;
    let v = r.ok("group_open_http_svc/import_group_msg", json!({ "GroupId": "g-rest", "MsgList": [
        { "From_Account": "carol", "SendTime": old, "Random": 1, "MsgBody": text_body("old 1") },
        { "From_Account": "carol", "SendTime": old + 1, "Random": 2, "MsgBody": text_body("old 2") },
    ] })).await;
    assert_eq!(v["ImportMsgResult"][0]["Result"], 0);
    assert_eq!(v["ImportMsgResult"][1]["MsgTime"], old + 1);
    r.ok(
        "group_open_http_svc/delete_group_msg_by_sender",
        json!({ "GroupId": "g-rest", "Sender_Account": "carol" }),
    )
    .await;
    let v = r
        .ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({ "GroupId": "g-rest", "ReqMsgNumber": 10 }),
        )
        .await;
    assert!(v["RspMsgList"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["From_Account"] != "carol"));
    r.ok(
        "im_open_login_svc/account_import",
        json!({ "UserID": "erin" }),
    )
    .await;
    let v = r.ok("group_open_http_svc/import_group_member", json!({ "GroupId": "g-rest", "MemberList": [{ "Member_Account": "erin", "Role": "Admin", "JoinTime": old }, { "Member_Account": "bob" }] })).await;
    assert_eq!(
        v["MemberList"],
        json!([{ "Member_Account": "erin", "Result": 1 }, { "Member_Account": "bob", "Result": 2 }])
    );
    // Unread: bob has read nothing; set to 1.
    r.ok(
        "group_open_http_svc/set_unread_msg_num",
        json!({ "GroupId": "g-rest", "Member_Account": "bob", "UnreadMsgNum": 1 }),
    )
    .await;
    // Attributes, online count, notices, lists.
    r.ok("group_open_http_svc/modify_group_attr", json!({ "GroupId": "g-rest", "GroupAttr": [{ "key": "a", "value": "1" }, { "key": "b", "value": "2" }] })).await;
    let v = r
        .ok(
            "group_open_attr_http_svc/get_group_attr",
            json!({ "GroupId": "g-rest" }),
        )
        .await;
    let mut attrs = v["GroupAttrAry"].as_array().unwrap().clone();
    attrs.sort_by_key(|a| a["key"].as_str().unwrap().to_owned());
    assert_eq!(
        attrs,
        [
            json!({ "key": "a", "value": "1" }),
            json!({ "key": "b", "value": "2" })
        ]
    );
    r.ok(
        "group_open_http_svc/clear_group_attr",
        json!({ "GroupId": "g-rest" }),
    )
    .await;
    let v = r
        .ok(
            "group_open_attr_http_svc/get_group_attr",
            json!({ "GroupId": "g-rest" }),
        )
        .await;
    assert_eq!(v["GroupAttrAry"], json!([]));
    let v = r
        .ok(
            "group_open_http_svc/get_online_member_num",
            json!({ "GroupId": "g-rest" }),
        )
        .await;
    assert_eq!(v["OnlineMemberNum"], 1);
    r.ok("group_open_http_svc/send_group_system_notification", json!({ "GroupId": "g-rest", "ToMembers_Account": ["bob"], "Content": "maintenance at 10" })).await;
    let mut noticed = false;
    while let Some(e) = event(&mut bob, "inbox").await {
        if e.to_string().contains("maintenance at 10") {
            noticed = true;
            break;
        }
    }
    assert!(noticed, "bob got the group's system notice");
    let v = r
        .ok(
            "group_open_http_svc/get_joined_group_list",
            json!({ "Member_Account": "bob" }),
        )
        .await;
    assert_eq!(v["TotalCount"], 1);
    assert_eq!(v["GroupIdList"][0]["GroupId"], "g-rest");
    // A group imported from an old system, with its creation time.
    let v = r
        .ok("group_open_http_svc/import_group", json!({ "Owner_Account": "alice", "Type": "Private", "GroupId": "g-old", "Name": "old", "CreateTime": old }))
        .await;
    assert_eq!(v["GroupId"], "g-old");
    r.ok(
        "group_open_http_svc/destroy_group",
        json!({ "GroupId": "g-old" }),
    )
    .await;
    // GET with no body, and paging.
    let v = r
        .raw(
            "GET",
            "group_open_http_svc/get_appid_group_list",
            &r.query(),
            String::new(),
        )
        .await;
    assert_eq!(v["TotalCount"], 2, "{v}");
    let v = r
        .ok(
            "group_open_http_svc/get_appid_group_list",
            json!({ "Limit": 1 }),
        )
        .await;
    assert_eq!(v["GroupIdList"].as_array().unwrap().len(), 1);
    let next = v["Next"].clone();
    let v = r
        .ok(
            "group_open_http_svc/get_appid_group_list",
            json!({ "Limit": 1, "Next": next }),
        )
        .await;
    assert_eq!(v["GroupIdList"].as_array().unwrap().len(), 1);
    assert_ne!(v["GroupIdList"][0]["GroupId"], next);
    // Owner handed over; members removed; destroyed.
    r.ok(
        "group_open_http_svc/change_group_owner",
        json!({ "GroupId": "g-rest", "NewOwner_Account": "bob" }),
    )
    .await;
    let v = r
        .ok(
            "group_open_http_svc/get_role_in_group",
            json!({ "GroupId": "g-rest", "User_Account": ["alice", "bob"] }),
        )
        .await;
    assert_eq!(v["UserIdList"][1]["Role"], "Owner");
    assert_eq!(v["UserIdList"][0]["Role"], "Member");
    r.ok(
        "group_open_http_svc/delete_group_member",
        json!({ "GroupId": "g-rest", "MemberToDel_Account": ["carol"] }),
    )
    .await;
    let v = r
        .ok(
            "group_open_http_svc/get_role_in_group",
            json!({ "GroupId": "g-rest", "User_Account": ["carol"] }),
        )
        .await;
    assert_eq!(v["UserIdList"][0]["Role"], "NotMember");
    r.ok(
        "group_open_http_svc/destroy_group",
        json!({ "GroupId": "g-rest" }),
    )
    .await;
    let v = r
        .ok(
            "group_open_http_svc/get_group_info",
            json!({ "GroupIdList": ["g-rest"] }),
        )
        .await;
    assert_eq!(v["GroupInfo"][0]["ErrorCode"], 10010);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn an_account_muted_everywhere_sends_nothing_until_unmuted() {
    let (_dir, s, r) = started(&["alice", "bob"]).await;
    r.ok(
        "group_open_http_svc/create_group",
        json!({ "Owner_Account": "alice", "Type": "Public", "GroupId": "g-mute", "Name": "m" }),
    )
    .await;
    let send = || json!({ "From_Account": "alice", "To_Account": "bob", "MsgRandom": rand_u32(), "MsgBody": text_body("x") });
    let group_send = || json!({ "GroupId": "g-mute", "From_Account": "alice", "Random": rand_u32(), "MsgBody": text_body("x") });
    r.ok("openim/sendmsg", send()).await;
    r.ok(
        "openconfigsvr/setnospeaking",
        json!({ "Set_Account": "alice", "C2CmsgNospeakingTime": 60 }),
    )
    .await;
    let v = r
        .ok(
            "openconfigsvr/getnospeaking",
            json!({ "Get_Account": "alice" }),
        )
        .await;
    assert!(
        (58..=60).contains(&v["C2CmsgNospeakingTime"].as_u64().unwrap()),
        "{v}"
    );
    assert_eq!(v["GroupmsgNospeakingTime"], 0);
    assert_eq!(r.call("openim/sendmsg", send()).await["ErrorCode"], 20012);
    r.ok("group_open_http_svc/send_group_msg", group_send())
        .await;
    r.ok(
        "openconfigsvr/setnospeaking",
        json!({ "Set_Account": "alice", "GroupmsgNospeakingTime": 4294967295u64 }),
    )
    .await;
    assert_eq!(
        r.call("group_open_http_svc/send_group_msg", group_send())
            .await["ErrorCode"],
        10017
    );
    let v = r
        .ok(
            "openconfigsvr/getnospeaking",
            json!({ "Get_Account": "alice" }),
        )
        .await;
    assert_eq!(v["GroupmsgNospeakingTime"], 4294967295u64);
    // Lifted: both kinds go again at once on this node.
    r.ok(
        "openconfigsvr/setnospeaking",
        json!({ "Set_Account": "alice", "C2CmsgNospeakingTime": 0, "GroupmsgNospeakingTime": 0 }),
    )
    .await;
    r.ok("openim/sendmsg", send()).await;
    r.ok("group_open_http_svc/send_group_msg", group_send())
        .await;
    assert_eq!(
        r.call(
            "openconfigsvr/setnospeaking",
            json!({ "Set_Account": "ghost", "C2CmsgNospeakingTime": 5 })
        )
        .await["ErrorCode"],
        70107
    );
    // What this server does not keep says so.
    let e = r.call("openconfigsvr/getappinfo", json!({})).await;
    assert_eq!(e["ErrorCode"], 60020);
    assert!(e["ErrorInfo"].as_str().unwrap().contains("/metrics"));
    assert_eq!(
        r.call(
            "open_msg_svc/get_history",
            json!({ "ChatType": "C2C", "MsgTime": "2026120100" })
        )
        .await["ErrorCode"],
        60020
    );
    s.stop().await.unwrap();
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::Instant::now()) as u32
}
