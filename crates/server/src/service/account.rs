//! Accounts and logins: who may open a session.
//!
//! A login names the protocol version, the user id and a UserSig; the version must be ours, the
//! id must follow the id rules under `max_user_id_bytes`, and the UserSig must verify against
//! the app's secret key for that id and app. The kick policy (one session per user and platform)
//! is applied by delivery when the session registers.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use opentim_model::codes;
use opentim_model::ids::UserId;
use opentim_protocol::op::login::LoginRequest;
use opentim_protocol::PROTOCOL_VERSION;

use crate::auth;
use crate::clock::now_secs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::metrics::Metrics;

/// A login the service accepted.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub user: UserId,
    pub platform: i64,
    /// Unix seconds when the UserSig expires (the session closes then).
    pub expires_at: u64,
}

pub struct AccountService {
    config: Arc<Config>,
    metrics: Arc<Metrics>,
}

impl AccountService {
    pub fn new(config: Arc<Config>, metrics: Arc<Metrics>) -> Self {
        AccountService { config, metrics }
    }

    /// A user id as this server accepts it; `code` is what a bad one is refused with.
    pub fn user_id(&self, id: &str, code: i32, what: &str) -> Result<UserId> {
        UserId::parse(id, self.config.max_user_id_bytes).map_err(|e| {
            Error::refused(
                code,
                format!(
                    "{what}: {e}; ids are 1 to {} bytes (max_user_id_bytes) of printable ASCII",
                    self.config.max_user_id_bytes
                ),
            )
        })
    }

    /// Check a login request.
    pub fn login(&self, req: &LoginRequest) -> Result<LoggedIn> {
        let checked = self.check_login(req);
        if let Err(e) = &checked {
            self.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
            tracing::info!(user = %req.user_id, reason = %e, "login refused");
        }
        checked
    }

    fn check_login(&self, req: &LoginRequest) -> Result<LoggedIn> {
        if req.protocol != PROTOCOL_VERSION {
            return Err(protocol_refusal(req.protocol));
        }
        let user = self.user_id(
            &req.user_id,
            codes::ERR_SVR_COMM_INVALID_ID_FORMAT,
            "bad user id",
        )?;
        if req.user_sig.is_empty() {
            return Err(Error::refused(
                codes::ERR_SVR_ACCOUNT_USERSIG_EMPTY,
                "UserSig is empty",
            ));
        }
        let cfg = &self.config;
        let ticket = auth::verify(
            &cfg.secret_key,
            cfg.sdkappid,
            user.as_str(),
            &req.user_sig,
            now_secs(),
        )
        .map_err(|e| Error::refused(e.code(), e.to_string()))?;
        Ok(LoggedIn {
            user,
            platform: req.platform,
            expires_at: ticket.expires_at(),
        })
    }
}

/// The refusal of a client that speaks another protocol version.
pub fn protocol_refusal(version: u32) -> Error {
    Error::refused(
        codes::ERR_SVR_MSG_PKG_PARSE_FAILED,
        format!(
            "protocol {version} is not supported; this server speaks protocol {PROTOCOL_VERSION}: \
             update the SDK"
        ),
    )
}
