//! End the session.

use super::{Empty, Op};

/// Log out; the server closes the connection after the reply.
pub struct Logout;

impl Op for Logout {
    const NAME: &'static str = "account.logout";
    const SERVES: &'static [&'static str] = &["TIMLogout"];
    type Request = Empty;
    type Response = Empty;
}
