//! The REST API of the app administrator: `/v4/<service>/<command>`, with the paths, fields
//! and answers of the hosted service's server API, over the same services the gateway uses.
//!
//! A request names the app, an administrator and their UserSig in its query
//! (`?sdkappid=&identifier=&usersig=&random=&contenttype=json`) and carries a JSON object as
//! its body. Everything real back-ends send is accepted: no `Content-Type`, escaped or raw
//! UTF-8, a percent-encoded or raw UserSig, the same `random` on every request, `GET` with or
//! without a body, and older field names. Every answer is HTTP 200 with `ActionStatus`,
//! `ErrorCode` and `ErrorInfo`; per-item APIs answer per item as well.
//!
//! Checks, in order: the app id (60012 missing, 60006 another app), the administrator
//! (`admin_accounts`, else 60010), the UserSig (as for logins, 700xx), the endpoint (60002
//! unknown), its rate (60007), the body (size 93000, JSON 90001/60003). Then the command's
//! handler answers.

mod account;
mod body;
mod group;
mod openconfig;
mod openim;
mod profile;
mod sns;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use opentim_model::codes;
use opentim_model::ids::UserId;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Refusal};
use crate::gateway::admission::Bucket;
use crate::gateway::Gateway;

pub use body::{from_elems, msg_key, parse_msg_key, to_elems};

/// What a handler adds to a successful answer.
pub(crate) type Answer = Map<String, Value>;

/// A handler's result.
pub(crate) type Handled = Result<Answer, Refusal>;

/// The REST API's state: the node's services and the rate of each endpoint.
pub struct Admin {
    gw: Arc<Gateway>,
    buckets: Mutex<HashMap<&'static str, Option<Bucket>>>,
}

/// One authenticated request, as its handler sees it.
pub(crate) struct Call<'a> {
    pub admin: &'a Admin,
    /// The administrator calling.
    pub caller: UserId,
    pub body: Value,
}

impl Call<'_> {
    pub fn gw(&self) -> &Gateway {
        &self.admin.gw
    }

    /// The body as `T`; a body that is not one is refused with `code` and serde's words.
    pub fn parse<T: DeserializeOwned>(&self, code: i32) -> Result<T, Refusal> {
        T::deserialize(&self.body)
            .map_err(|e| Refusal::new(code, format!("the request body does not fit: {e}")))
    }

    /// A user id of the request (`what` names its field in the refusal).
    pub fn user(&self, id: &str, code: i32, what: &str) -> Result<UserId, Refusal> {
        self.gw()
            .services
            .account
            .user_id(id, code, what)
            .map_err(|e| e.to_refusal())
    }
}

/// A string field of a request body.
pub(crate) fn text<'a>(b: &'a Value, key: &str) -> Option<&'a str> {
    b.get(key).and_then(Value::as_str)
}

/// An unsigned integer field of a request body (a numeric string is read too, as some
/// clients send them); `Err` when it is present but not one.
pub(crate) fn uint(b: &Value, key: &str) -> Result<Option<u64>, ()> {
    match b.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or(()),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// The array of strings under `key` of a request body; refused with `code` when it is
/// missing or holds anything else.
pub(crate) fn strings(b: &Value, key: &str, code: i32) -> Result<Vec<String>, Refusal> {
    let Some(Value::Array(list)) = b.get(key) else {
        return Err(Refusal::new(
            code,
            format!("{key} must be an array of strings"),
        ));
    };
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| Refusal::new(code, format!("{key} must hold strings")))
        })
        .collect()
}

/// The array under `key` of a request body (empty when there is none).
pub(crate) fn array<'a>(b: &'a Value, key: &str) -> &'a [Value] {
    b.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// An answer of these fields.
pub(crate) fn fields<const N: usize>(fields: [(&str, Value); N]) -> Answer {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A service failure as a REST refusal (internal details go to the log).
pub(crate) fn refusal(e: Error) -> Refusal {
    if let Error::Internal { .. } = &e {
        tracing::error!(error = %e, "REST request failed");
    }
    e.to_refusal()
}

/// How an endpoint is rate limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    /// `rest_sendmsg_per_sec` requests a second.
    Sends,
    /// `rest_batchsendmsg_per_min` recipients a minute.
    BatchRecipients,
    /// `rest_requests_per_sec` requests a second.
    Requests,
}

/// Every endpoint served (`service/command`) and its rate. The handlers are chosen in
/// [`dispatch`], which serves exactly these (a test walks both).
pub const ENDPOINTS: &[(&str, Rate)] = &[
    ("im_open_login_svc/account_import", Rate::Requests),
    ("im_open_login_svc/multiaccount_import", Rate::Requests),
    ("im_open_login_svc/account_delete", Rate::Requests),
    ("im_open_login_svc/account_check", Rate::Requests),
    ("im_open_login_svc/kick", Rate::Requests),
    ("openim/sendmsg", Rate::Sends),
    ("openim/batchsendmsg", Rate::BatchRecipients),
    ("openim/importmsg", Rate::Sends),
    ("openim/admin_getroammsg", Rate::Requests),
    ("openim/admin_msgwithdraw", Rate::Requests),
    ("openim/admin_set_msg_read", Rate::Requests),
    ("openim/get_c2c_unread_msg_num", Rate::Requests),
    ("openim/query_online_status", Rate::Requests),
    ("openim/querystate", Rate::Requests),
    ("profile/portrait_get", Rate::Requests),
    ("profile/portrait_set", Rate::Requests),
    ("sns/friend_import", Rate::Requests),
    ("sns/friend_add", Rate::Requests),
    ("sns/friend_update", Rate::Requests),
    ("sns/friend_delete", Rate::Requests),
    ("sns/friend_delete_all", Rate::Requests),
    ("sns/friend_check", Rate::Requests),
    ("sns/friend_get", Rate::Requests),
    ("sns/friend_get_list", Rate::Requests),
    ("sns/black_list_add", Rate::Requests),
    ("sns/black_list_delete", Rate::Requests),
    ("sns/black_list_get", Rate::Requests),
    ("sns/black_list_check", Rate::Requests),
    ("sns/group_add", Rate::Requests),
    ("sns/group_delete", Rate::Requests),
    ("sns/group_get", Rate::Requests),
    ("group_open_http_svc/get_appid_group_list", Rate::Requests),
    ("group_open_http_svc/create_group", Rate::Requests),
    ("group_open_http_svc/get_group_info", Rate::Requests),
    ("group_open_http_svc/get_group_member_info", Rate::Requests),
    ("group_open_http_svc/modify_group_base_info", Rate::Requests),
    ("group_open_http_svc/add_group_member", Rate::Requests),
    ("group_open_http_svc/delete_group_member", Rate::Requests),
    (
        "group_open_http_svc/modify_group_member_info",
        Rate::Requests,
    ),
    ("group_open_http_svc/destroy_group", Rate::Requests),
    ("group_open_http_svc/get_joined_group_list", Rate::Requests),
    ("group_open_http_svc/get_role_in_group", Rate::Requests),
    ("group_open_http_svc/forbid_send_msg", Rate::Requests),
    ("group_open_http_svc/get_group_shutted_uin", Rate::Requests),
    ("group_open_http_svc/send_group_msg", Rate::Requests),
    (
        "group_open_http_svc/send_group_system_notification",
        Rate::Requests,
    ),
    ("group_open_http_svc/change_group_owner", Rate::Requests),
    ("group_open_http_svc/group_msg_recall", Rate::Requests),
    ("group_open_http_svc/import_group", Rate::Requests),
    ("group_open_http_svc/import_group_msg", Rate::Requests),
    ("group_open_http_svc/import_group_member", Rate::Requests),
    ("group_open_http_svc/set_unread_msg_num", Rate::Requests),
    (
        "group_open_http_svc/delete_group_msg_by_sender",
        Rate::Requests,
    ),
    ("group_open_http_svc/group_msg_get_simple", Rate::Requests),
    ("group_open_http_svc/get_online_member_num", Rate::Requests),
    ("group_open_http_svc/modify_group_attr", Rate::Requests),
    ("group_open_http_svc/clear_group_attr", Rate::Requests),
    ("group_open_attr_http_svc/get_group_attr", Rate::Requests),
    ("openconfigsvr/setnospeaking", Rate::Requests),
    ("openconfigsvr/getnospeaking", Rate::Requests),
    ("openconfigsvr/getappinfo", Rate::Requests),
    ("open_msg_svc/get_history", Rate::Requests),
    // opentim's own: recent webhook deliveries, for `opentim admin webhooks`.
    ("opentim/webhook_deliveries", Rate::Requests),
];

async fn dispatch(call: &Call<'_>, service: &str, command: &str) -> Handled {
    match (service, command) {
        ("im_open_login_svc", "account_import") => account::import(call).await,
        ("im_open_login_svc", "multiaccount_import") => account::import_many(call).await,
        ("im_open_login_svc", "account_delete") => account::delete(call).await,
        ("im_open_login_svc", "account_check") => account::check(call).await,
        ("im_open_login_svc", "kick") => account::kick(call).await,
        ("openim", "sendmsg") => openim::sendmsg(call, false).await,
        ("openim", "importmsg") => openim::sendmsg(call, true).await,
        ("openim", "batchsendmsg") => openim::batchsendmsg(call).await,
        ("openim", "admin_getroammsg") => openim::roam(call).await,
        ("openim", "admin_msgwithdraw") => openim::withdraw(call).await,
        ("openim", "admin_set_msg_read") => openim::set_read(call).await,
        ("openim", "get_c2c_unread_msg_num") => openim::unread(call).await,
        ("openim", "query_online_status") => openim::online_status(call, false).await,
        ("openim", "querystate") => openim::online_status(call, true).await,
        ("profile", "portrait_get") => profile::get(call).await,
        ("profile", "portrait_set") => profile::set(call).await,
        ("sns", "friend_import") => sns::add(call, true).await,
        ("sns", "friend_add") => sns::add(call, false).await,
        ("sns", "friend_update") => sns::update(call).await,
        ("sns", "friend_delete") => sns::delete(call).await,
        ("sns", "friend_delete_all") => sns::delete_all(call).await,
        ("sns", "friend_check") => sns::check(call).await,
        ("sns", "friend_get") => sns::get(call).await,
        ("sns", "friend_get_list") => sns::get_list(call).await,
        ("sns", "black_list_add") => sns::block(call, true).await,
        ("sns", "black_list_delete") => sns::block(call, false).await,
        ("sns", "black_list_get") => sns::block_list(call).await,
        ("sns", "black_list_check") => sns::block_check(call).await,
        ("sns", "group_add") => sns::group_add(call).await,
        ("sns", "group_delete") => sns::group_delete(call).await,
        ("sns", "group_get") => sns::group_get(call).await,
        ("group_open_http_svc", c) => match c {
            "get_appid_group_list" => group::list(call).await,
            "create_group" | "import_group" => group::create(call).await,
            "get_group_info" => group::info(call).await,
            "get_group_member_info" => group::members(call).await,
            "modify_group_base_info" => group::modify(call).await,
            "add_group_member" => group::add_members(call).await,
            "delete_group_member" => group::delete_members(call).await,
            "modify_group_member_info" => group::modify_member(call).await,
            "destroy_group" => group::destroy(call).await,
            "get_joined_group_list" => group::joined(call).await,
            "get_role_in_group" => group::roles(call).await,
            "forbid_send_msg" => group::mute(call).await,
            "get_group_shutted_uin" => group::muted(call).await,
            "send_group_msg" => group::send(call).await,
            "send_group_system_notification" => group::notify(call).await,
            "change_group_owner" => group::change_owner(call).await,
            "group_msg_recall" => group::recall(call).await,
            "import_group_msg" => group::import_messages(call).await,
            "import_group_member" => group::import_members(call).await,
            "set_unread_msg_num" => group::set_unread(call).await,
            "delete_group_msg_by_sender" => group::delete_by_sender(call).await,
            "group_msg_get_simple" => group::history(call).await,
            "get_online_member_num" => group::online(call).await,
            "modify_group_attr" => group::set_attributes(call, false).await,
            "clear_group_attr" => group::set_attributes(call, true).await,
            _ => Err(unknown(service, command)),
        },
        ("group_open_attr_http_svc", "get_group_attr") => group::attributes(call).await,
        ("openconfigsvr", "setnospeaking") => openconfig::set_mutes(call).await,
        ("openconfigsvr", "getnospeaking") => openconfig::mutes(call).await,
        ("openconfigsvr", "getappinfo") => openconfig::not_kept("getappinfo (daily usage figures)"),
        ("open_msg_svc", "get_history") => {
            openconfig::not_kept("get_history (hourly message archives)")
        }
        ("opentim", "webhook_deliveries") => webhook_deliveries(call).await,
        _ => Err(unknown(service, command)),
    }
}

/// `opentim/webhook_deliveries`: this node's recent callback attempts after `After` (an
/// attempt `Id`), and how many after-callbacks wait in the queue.
async fn webhook_deliveries(call: &Call<'_>) -> Handled {
    let after = call.body.get("After").and_then(Value::as_u64).unwrap_or(0);
    let hooks = &call.gw().services.webhooks;
    let attempts = serde_json::to_value(hooks.attempts_after(after)).unwrap_or_default();
    Ok(fields([
        ("Deliveries", attempts),
        ("Waiting", hooks.waiting().await.into()),
    ]))
}

fn unknown(service: &str, command: &str) -> Refusal {
    Refusal::new(
        codes::ERR_SVR_COMM_INVALID_HTTP_URL,
        format!("/v4/{service}/{command} is not an endpoint of this server"),
    )
}

/// Whether answers of this service carry `ErrorDisplay` (profile and relationship APIs).
fn displays_errors(service: &str) -> bool {
    matches!(service, "profile" | "sns")
}

/// The code a body that is not JSON is refused with: the messaging service has its own.
fn json_code(service: &str) -> i32 {
    match service {
        "openim" => codes::ERR_SVR_MSG_JSON_PARSE_FAILED,
        _ => codes::ERR_SVR_COMM_REQ_JSON_PARSE_FAILED,
    }
}

/// The routes: `/v4/<service>/<command>` for every method (clients send GET and POST).
pub fn routes(admin: Arc<Admin>) -> Router<Arc<Gateway>> {
    Router::new()
        .route("/v4/{service}/{command}", any(handle))
        .with_state(admin)
}

impl Admin {
    pub fn new(gw: Arc<Gateway>) -> Self {
        Admin {
            gw,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take `n` units of the endpoint's allowance, or refuse with 60007.
    fn admit(&self, name: &'static str, rate: Rate, n: usize) -> Result<(), Refusal> {
        let c = &self.gw.config;
        let now = tokio::time::Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(name).or_insert_with(|| match rate {
            Rate::Sends => Bucket::new(c.rest_sendmsg_per_sec, 1.0, now),
            // A minute's allowance, refilled evenly.
            Rate::BatchRecipients => {
                Bucket::new(c.rest_batchsendmsg_per_min.div_ceil(60).max(1), 60.0, now)
                    .filter(|_| c.rest_batchsendmsg_per_min > 0)
            }
            Rate::Requests => Bucket::new(c.rest_requests_per_sec, 1.0, now),
        });
        let allowed = bucket
            .as_mut()
            .is_none_or(|b| b.take_many(now, n.max(1) as f64));
        drop(buckets);
        match allowed {
            false => {
                self.gw
                    .metrics
                    .rest_throttled
                    .fetch_add(1, Ordering::Relaxed);
                let (setting, per) = match rate {
                    Rate::Sends => ("rest_sendmsg_per_sec", "a second"),
                    Rate::BatchRecipients => ("rest_batchsendmsg_per_min", "recipients a minute"),
                    Rate::Requests => ("rest_requests_per_sec", "a second"),
                };
                Err(Refusal::new(
                    codes::ERR_SVR_COMM_REST_FREQ_LIMIT,
                    format!("{name} is over its rate ({setting} {per}); slow down and retry"),
                ))
            }
            true => Ok(()),
        }
    }

    /// Check the query's app, administrator and UserSig.
    fn authenticate(&self, query: &HashMap<String, String>) -> Result<UserId, Refusal> {
        let c = &self.gw.config;
        let app = query.get("sdkappid").ok_or_else(|| {
            Refusal::new(
                codes::ERR_SVR_COMM_SDKAPPID_MISS,
                "the query has no sdkappid: add ?sdkappid=<app id>&identifier=<admin>&usersig=<UserSig>",
            )
        })?;
        if app.trim().parse::<u64>().ok() != Some(c.sdkappid) {
            return Err(Refusal::new(
                codes::ERR_SVR_COMM_INVALID_SDKAPPID,
                format!("sdkappid {app:?} is not this server's app ({})", c.sdkappid),
            ));
        }
        let who = query.get("identifier").map(String::as_str).unwrap_or("");
        let account = &self.gw.services.account;
        if !account.is_admin(who) {
            return Err(Refusal::new(
                codes::ERR_SVR_COMM_ID_NOT_ADMIN,
                format!("identifier {who:?} is not an app administrator (admin_accounts)"),
            ));
        }
        let sig = query.get("usersig").map(String::as_str).unwrap_or("");
        account
            .authenticate(who, sig)
            .map(|(user, _)| user)
            .map_err(|e| e.to_refusal())
    }

    async fn serve(
        &self,
        service: &str,
        command: &str,
        query: Option<String>,
        body: Body,
    ) -> Handled {
        let query = parse_query(query.as_deref().unwrap_or(""));
        let caller = self.authenticate(&query)?;
        let Some(&(name, rate)) = ENDPOINTS
            .iter()
            .find(|(n, _)| n.split_once('/') == Some((service, command)))
        else {
            return Err(unknown(service, command));
        };
        let bytes = axum::body::to_bytes(body, self.gw.config.max_rest_body_bytes)
            .await
            .map_err(|_| {
                Refusal::new(
                    codes::ERR_SVR_MSG_BODY_SIZE_LIMIT,
                    format!(
                        "the request body is over {} bytes (max_rest_body_bytes)",
                        self.gw.config.max_rest_body_bytes
                    ),
                )
            })?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                Refusal::new(
                    json_code(service),
                    format!("the request body is not JSON: {e}"),
                )
            })?
        };
        if !body.is_object() {
            return Err(Refusal::new(
                json_code(service),
                "the request body must be a JSON object",
            ));
        }
        let units = match rate {
            Rate::BatchRecipients => body
                .get("To_Account")
                .and_then(Value::as_array)
                .map_or(1, Vec::len),
            _ => 1,
        };
        self.admit(name, rate, units)?;
        let call = Call {
            admin: self,
            caller,
            body,
        };
        dispatch(&call, service, command).await
    }
}

/// `service/command` of an endpoint served, else "unknown" (for metrics).
fn endpoint_name(service: &str, command: &str) -> &'static str {
    ENDPOINTS
        .iter()
        .find(|(n, _)| n.split_once('/') == Some((service, command)))
        .map_or("unknown", |(n, _)| n)
}

/// The query's parameters, names in lower case, values percent-decoded (a raw UserSig has no
/// `%`, so it reads the same either way).
fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
            (k.to_ascii_lowercase(), v.into_owned())
        })
        .collect()
}

/// The JSON answer of a request: `ActionStatus`, `ErrorCode`, `ErrorInfo` (and `ErrorDisplay`
/// for profile and relationship APIs), then what the handler added.
fn answer(service: &str, result: &Handled) -> Value {
    let mut out = Map::new();
    let (status, code, info) = match result {
        Ok(_) => ("OK", 0, String::new()),
        Err(r) => ("FAIL", r.code, r.desc.clone()),
    };
    out.insert("ActionStatus".into(), status.into());
    out.insert("ErrorCode".into(), code.into());
    out.insert("ErrorInfo".into(), info.into());
    if displays_errors(service) {
        out.insert("ErrorDisplay".into(), "".into());
    }
    if let Ok(fields) = result {
        out.extend(fields.clone());
    }
    Value::Object(out)
}

async fn handle(
    State(admin): State<Arc<Admin>>,
    Path((service, command)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Response {
    let started = Instant::now();
    let result = admin.serve(&service, &command, query, body).await;
    let name = endpoint_name(&service, &command);
    admin
        .gw
        .metrics
        .rest
        .record(name, result.is_err(), started.elapsed());
    if let Err(r) = &result {
        tracing::info!(endpoint = %format!("{service}/{command}"), code = r.code, reason = %r.desc, "REST request refused");
    }
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        answer(&service, &result).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_percent_encoded_and_raw_sigs_alike() {
        let q = parse_query("SdkAppId=1400000000&identifier=administrator&usersig=eJw%2Aab-c_&random=7&contenttype=json");
        assert_eq!(q["sdkappid"], "1400000000");
        assert_eq!(q["usersig"], "eJw*ab-c_");
        let raw = parse_query("usersig=eJw*ab-c_");
        assert_eq!(raw["usersig"], "eJw*ab-c_");
    }

    /// Every endpoint back-ends call (the repository's list) is served.
    #[test]
    fn every_documented_endpoint_is_in_the_table() {
        let listed = include_str!("../../../../spec/rest-v4-endpoints.txt");
        let missing: Vec<&str> = listed
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter(|l| !ENDPOINTS.iter().any(|(n, _)| n == l))
            .collect();
        assert!(missing.is_empty(), "not served: {missing:?}");
    }

    #[test]
    fn every_endpoint_has_a_name() {
        for (name, _) in ENDPOINTS {
            let (s, c) = name.split_once('/').unwrap();
            assert_eq!(endpoint_name(s, c), *name);
        }
        assert_eq!(endpoint_name("openim", "nope"), "unknown");
    }
}
