//! An administrator's global mutes (`setnospeaking`), as the send path reads them: each
//! sender's mute is read from the store at most once per [`FRESH`], so a mute set on any node
//! takes effect everywhere within that time without a read per message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentim_model::ids::UserId;

use crate::error::{Error, Result};
use crate::store::AccountStore;

/// How long a sender's mute read from the store is used.
pub const FRESH: Duration = Duration::from_secs(1);

/// Senders remembered before the cache is emptied.
const MAX_SENDERS: usize = 100_000;

pub(super) struct Mutes {
    accounts: Arc<dyn AccountStore>,
    /// user → (C2C muted until, group muted until, when read).
    cache: Mutex<HashMap<String, (u64, u64, Instant)>>,
}

impl Mutes {
    pub fn new(accounts: Arc<dyn AccountStore>) -> Self {
        Mutes {
            accounts,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Until when `user` is muted for C2C and group messages (Unix seconds; 0: not).
    pub async fn of(&self, user: &UserId) -> Result<(u64, u64)> {
        let now = Instant::now();
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((c2c, group, at)) = cache.get(user.as_str()) {
                if now.duration_since(*at) < FRESH {
                    return Ok((*c2c, *group));
                }
            }
        }
        let row = self
            .accounts
            .account(user.as_str())
            .await
            .map_err(Error::internal("read the sender's account"))?;
        let (c2c, group) = row.map_or((0, 0), |r| (r.c2c_muted_until, r.group_muted_until));
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_SENDERS {
            cache.clear();
        }
        cache.insert(user.as_str().to_owned(), (c2c, group, now));
        Ok((c2c, group))
    }

    /// Read `user`'s mutes from the store at their next send (they were just changed here).
    pub fn forget(&self, user: &UserId) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(user.as_str());
    }
}
