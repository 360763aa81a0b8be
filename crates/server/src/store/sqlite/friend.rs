//! [`FriendStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::{db_err, SqliteStore, Writer};
use crate::store::{FriendStore, Result, StoreError};

/// Users to block (the writer's job item).
pub(super) struct Block {
    owner: String,
    users: Vec<String>,
    time: u64,
    max: u64,
}

/// Users to unblock (the writer's job item).
pub(super) struct Unblock {
    owner: String,
    users: Vec<String>,
}

impl Writer {
    fn block(&mut self, b: &Block) -> Result<Vec<Option<bool>>> {
        let mut count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM blacklist WHERE owner = ?1")
            .and_then(|mut s| s.query_row([&b.owner], |r| r.get(0)))
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(b.users.len());
        for u in &b.users {
            let there = self
                .conn
                .prepare_cached("SELECT 1 FROM blacklist WHERE owner = ?1 AND blocked = ?2")
                .and_then(|mut s| s.exists(params![b.owner, u]))
                .map_err(db_err)?;
            if there {
                out.push(Some(false));
            } else if count as u64 >= b.max {
                out.push(None);
            } else {
                self.conn
                    .prepare_cached(
                        "INSERT INTO blacklist (owner, blocked, add_time) VALUES (?1, ?2, ?3)",
                    )
                    .and_then(|mut s| s.execute(params![b.owner, u, b.time as i64]))
                    .map_err(db_err)?;
                count += 1;
                out.push(Some(true));
            }
        }
        Ok(out)
    }

    fn unblock(&mut self, u: &Unblock) -> Result<Vec<bool>> {
        let mut stmt = self
            .conn
            .prepare_cached("DELETE FROM blacklist WHERE owner = ?1 AND blocked = ?2")
            .map_err(db_err)?;
        u.users
            .iter()
            .map(|who| {
                stmt.execute(params![u.owner, who])
                    .map(|n| n > 0)
                    .map_err(db_err)
            })
            .collect()
    }
}

#[async_trait]
impl FriendStore for SqliteStore {
    async fn block(
        &self,
        owner: &str,
        users: Vec<String>,
        time: u64,
        max: u64,
    ) -> Result<Vec<Option<bool>>> {
        let job = Block {
            owner: owner.to_owned(),
            users,
            time,
            max,
        };
        self.write(vec![job], Writer::block)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn unblock(&self, owner: &str, users: Vec<String>) -> Result<Vec<bool>> {
        let job = Unblock {
            owner: owner.to_owned(),
            users,
        };
        self.write(vec![job], Writer::unblock)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn blocked(&self, owner: &str) -> Result<Vec<(String, u64)>> {
        let owner = owner.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT blocked, add_time FROM blacklist WHERE owner = ?1 ORDER BY add_time, blocked",
            )?;
            let rows = stmt.query_map([owner], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            rows.collect()
        })
        .await
    }

    async fn is_blocked(&self, owner: &str, user: &str) -> Result<bool> {
        let (owner, user) = (owner.to_owned(), user.to_owned());
        self.read(move |conn| {
            conn.prepare_cached("SELECT 1 FROM blacklist WHERE owner = ?1 AND blocked = ?2")?
                .exists(params![owner, user])
        })
        .await
    }
}
