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
use crate::delivery::Delivery;
use crate::error::{Error, Result};
use crate::http::metrics::Metrics;
use crate::store::{AccountStore, StoreError};

/// A login the service accepted.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub user: UserId,
    pub platform: i64,
    /// Unix seconds when the UserSig expires (the session closes then).
    pub expires_at: u64,
    /// Unix seconds when the UserSig was issued (`TLS.time`).
    pub issued_at: u64,
}

/// An account as [`AccountService::check`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    Imported,
    NotImported,
}

pub struct AccountService {
    config: Arc<Config>,
    accounts: Arc<dyn AccountStore>,
    delivery: Arc<Delivery>,
    metrics: Arc<Metrics>,
}

impl AccountService {
    pub fn new(
        config: Arc<Config>,
        accounts: Arc<dyn AccountStore>,
        delivery: Arc<Delivery>,
        metrics: Arc<Metrics>,
    ) -> Self {
        AccountService {
            config,
            accounts,
            delivery,
            metrics,
        }
    }

    /// Let in a login whose UserSig verified: a user exists from their first login on, and a
    /// UserSig issued before an administrator's kick is refused. One read for a known user.
    pub async fn admit(&self, login: &LoggedIn) -> Result<()> {
        let account = self
            .accounts
            .account(login.user.as_str())
            .await
            .map_err(Error::internal("read the account"))?;
        if let Err(e) = kicked(&login.user, login.issued_at, account.as_ref()) {
            self.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
            tracing::info!(user = %login.user, "login refused: UserSig issued before a kick");
            return Err(e);
        }
        match account {
            Some(_) => Ok(()),
            None => self.register(&login.user).await.map(|_| ()),
        }
    }

    /// As [`Self::authenticate`], and the UserSig was not issued before an administrator's
    /// kick (one read): for requests outside a session (the media routes).
    pub async fn authenticate_current(&self, user_id: &str, sig: &str) -> Result<(UserId, u64)> {
        let (user, ticket) = self.verify(user_id, sig)?;
        let account = self
            .accounts
            .account(user.as_str())
            .await
            .map_err(Error::internal("read the account"))?;
        kicked(&user, ticket.time, account.as_ref())?;
        Ok((user, ticket.expires_at()))
    }

    /// Record that `user` exists (a login, an import): `true` when they were new.
    pub async fn register(&self, user: &UserId) -> Result<bool> {
        let new = self
            .accounts
            .register(user.as_str(), now_secs())
            .await
            .map_err(Error::internal("record the account"))?;
        if new {
            tracing::info!(user = %user, "new account");
        }
        Ok(new)
    }

    /// Whether each of `users` exists.
    pub async fn check(&self, users: &[UserId]) -> Result<Vec<AccountState>> {
        let ids = users.iter().map(|u| u.as_str().to_owned()).collect();
        let known = self
            .accounts
            .existing(ids)
            .await
            .map_err(Error::internal("read the accounts"))?;
        Ok(known
            .into_iter()
            .map(|k| match k {
                true => AccountState::Imported,
                false => AccountState::NotImported,
            })
            .collect())
    }

    /// Delete accounts (an administrator's request): each stops existing (messages to it are
    /// refused until it logs in or is imported again) and its sessions are closed. What it
    /// stored stays. For each, whether it existed.
    pub async fn delete(&self, users: &[UserId]) -> Result<Vec<bool>> {
        let ids = users.iter().map(|u| u.as_str().to_owned()).collect();
        let gone = self
            .accounts
            .delete_accounts(ids)
            .await
            .map_err(Error::internal("delete the accounts"))?;
        for user in users {
            self.delivery.kick_user(user).await;
        }
        tracing::info!(count = users.len(), "accounts deleted");
        Ok(gone)
    }

    /// Kick `user` (an administrator's request): their sessions on every node close as kicked
    /// and the UserSigs they hold, issued before now, no longer log in. `false` when there is
    /// no such account (nothing changes then).
    pub async fn kick(&self, user: &UserId) -> Result<bool> {
        let known = self
            .accounts
            .revoke_sigs(user.as_str(), now_secs())
            .await
            .map_err(Error::internal("revoke the UserSigs"))?;
        if known {
            self.delivery.kick_user(user).await;
            tracing::info!(%user, "kicked by an administrator");
        }
        Ok(known)
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

    /// Mute `user` everywhere until the Unix seconds given (0 lifts; `None` keeps): `false`
    /// when there is no such account.
    pub async fn set_mutes(
        &self,
        user: &UserId,
        c2c: Option<u64>,
        group: Option<u64>,
    ) -> Result<bool> {
        self.accounts
            .set_mutes(user.as_str(), c2c, group)
            .await
            .map_err(Error::internal("mute the account"))
    }

    /// Until when `user` is muted (C2C, group), `None` when there is no such account.
    pub async fn mutes(&self, user: &UserId) -> Result<Option<(u64, u64)>> {
        let row = self
            .accounts
            .account(user.as_str())
            .await
            .map_err(Error::internal("read the account"))?;
        Ok(row.map(|r| (r.c2c_muted_until, r.group_muted_until)))
    }

    /// The platforms of the sessions each of `users` has online, on every node.
    pub async fn platforms(&self, users: &[UserId]) -> Vec<Vec<i64>> {
        self.delivery.platforms(users).await
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
        let (user, ticket) = self.verify(&req.user_id, &req.user_sig)?;
        Ok(LoggedIn {
            user,
            platform: req.platform,
            expires_at: ticket.expires_at(),
            issued_at: ticket.time,
        })
    }

    /// Check that `sig` is a valid UserSig of `user_id` now (as at login; also for the media
    /// routes): the user and when the ticket expires.
    pub fn authenticate(&self, user_id: &str, sig: &str) -> Result<(UserId, u64)> {
        self.verify(user_id, sig)
            .map(|(user, ticket)| (user, ticket.expires_at()))
    }

    /// Whether `user` is one of the app administrators (`admin_accounts`).
    pub fn is_admin(&self, user: &str) -> bool {
        self.config.is_admin(user)
    }

    fn verify(&self, user_id: &str, sig: &str) -> Result<(UserId, auth::Ticket)> {
        let user = self.user_id(
            user_id,
            codes::ERR_SVR_COMM_INVALID_ID_FORMAT,
            "bad user id",
        )?;
        if sig.is_empty() {
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
            sig,
            now_secs(),
        )
        .map_err(|e| Error::refused(e.code(), e.to_string()))?;
        Ok((user, ticket))
    }
}

/// The refusal of a UserSig issued (at `issued_at`) up to the second of an administrator's
/// kick of `user`.
fn kicked(user: &UserId, issued_at: u64, account: Option<&crate::store::AccountRow>) -> Result<()> {
    match account {
        Some(a) if a.sigs_from > 0 && issued_at <= a.sigs_from => Err(Error::refused(
            codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED,
            format!(
                "this UserSig was issued at {issued_at} and an administrator kicked {user} at {}: \
                 UserSigs issued up to the second of the kick no longer work; mint a new one",
                a.sigs_from
            ),
        )),
        _ => Ok(()),
    }
}

/// The rules of who may send whom C2C messages, as the sender is told: the receiver must
/// exist (a user exists once they logged in or were imported), must not have blocked the
/// sender, and, with `c2c_friends_only`, the two must have each other as friends. The store
/// checks them inside the message's own write (no read before each send); this maps what it
/// found to the documented codes. `None` for any other store failure.
pub fn c2c_refusal(e: &StoreError, to: &str) -> Option<Error> {
    let (code, text) = match e {
        StoreError::NoSuchUser => (
            codes::ERR_SVR_MSG_INVALID_ID,
            format!("{to} does not exist: a user exists once they logged in or were imported"),
        ),
        StoreError::Blocked => (
            codes::ERR_SVR_MSG_IN_PEER_BLACKLIST,
            format!("{to} blocked you; your messages do not reach them"),
        ),
        StoreError::NotFriends {
            peer_has_sender,
            sender_has_peer,
        } => match (peer_has_sender, sender_has_peer) {
            (false, false) => (
                codes::ERR_SVR_MSG_BOTH_NOT_FRIEND,
                format!("you and {to} are not friends; only friends may send C2C messages (c2c_friends_only)"),
            ),
            (false, true) => (
                codes::ERR_SVR_MSG_NOT_PEER_FRIEND,
                format!("{to} does not have you as a friend; only friends may send C2C messages (c2c_friends_only)"),
            ),
            _ => (
                codes::ERR_SVR_MSG_NOT_SELF_FRIEND,
                format!("{to} is not in your friend list; only friends may send C2C messages (c2c_friends_only)"),
            ),
        },
        _ => return None,
    };
    Some(Error::refused(code, text))
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
