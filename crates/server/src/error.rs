//! What a service answers when it does not do what was asked.
//!
//! A [`Refusal`] is the peer's fault or a rule (a TIM code and a text that says what to do); an
//! [`Error::Internal`] is ours (a store failure), logged in full once at the edge and shown to
//! the peer only as a retryable code. The gateway turns either into a reply in one function.

use opentim_model::codes;

use crate::store::StoreError;

/// A refused request: a TIM error code and a text that says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: i32,
    pub desc: String,
}

impl Refusal {
    pub fn new(code: i32, desc: impl Into<String>) -> Self {
        Refusal {
            code,
            desc: desc.into(),
        }
    }
}

/// A service failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a rule; nothing was changed.
    #[error("refused ({}): {}", .0.code, .0.desc)]
    Refused(Refusal),
    /// The server could not do its part; the request may be retried.
    #[error("could not {what}: {source}")]
    Internal {
        /// What the service was doing, as "read the inbox".
        what: &'static str,
        #[source]
        source: StoreError,
    },
}

impl Error {
    pub fn refused(code: i32, desc: impl Into<String>) -> Self {
        Error::Refused(Refusal::new(code, desc))
    }

    /// A closure for `map_err` on a store result.
    pub fn internal(what: &'static str) -> impl FnOnce(StoreError) -> Error {
        move |source| Error::Internal { what, source }
    }

    /// The code and text the peer sees. Internal details stay in the log.
    pub fn to_refusal(&self) -> Refusal {
        match self {
            Error::Refused(r) => r.clone(),
            Error::Internal {
                what,
                source: StoreError::Unavailable(_),
            } => Refusal::new(
                codes::ERR_SVR_MSG_NET_ERROR,
                format!(
                    "the server could not {what}: its database is temporarily unavailable; \
                     nothing was changed, repeat the request (the SDK resends messages by itself)"
                ),
            ),
            Error::Internal { what, .. } => Refusal::new(
                codes::ERR_SVR_MSG_INTERNAL_ERROR1,
                format!("the server could not {what}; retry"),
            ),
        }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Error::Refused(r)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
