//! The first frame of a connection: a login request, checked by the account service.

use opentim_model::codes;
use opentim_protocol::op::login::Login;
use opentim_protocol::{Op, Request};

use super::reply_for;
use crate::error::Error;
use crate::service::account::{protocol_refusal, LoggedIn};
use crate::service::AccountService;

/// Check the first frame; on refusal, the reply to send before closing.
pub fn check(account: &AccountService, text: &str) -> Result<(u64, LoggedIn), String> {
    let req = Request::decode(text);
    let id = req.as_ref().map_or(0, |r| r.id);
    let body = match &req {
        Ok(r) if r.op == Login::NAME => r.body::<Login>().ok(),
        _ => None,
    };
    let Some(body) = body else {
        // A client of protocol 1 puts the login's fields in the envelope: tell it our version.
        let version = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("protocol")?.as_u64());
        let e = match version {
            Some(v) => protocol_refusal(u32::try_from(v).unwrap_or(u32::MAX)),
            None => Error::refused(
                codes::ERR_SVR_MSG_PKG_PARSE_FAILED,
                format!(
                    "the first frame must be a login ({:?} with protocol, user_id, user_sig, \
                     platform)",
                    Login::NAME
                ),
            ),
        };
        return Err(reply_for(id, &e));
    };
    account
        .login(&body)
        .map(|ok| (id, ok))
        .map_err(|e| reply_for(id, &e))
}
