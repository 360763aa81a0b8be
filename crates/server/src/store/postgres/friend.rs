//! [`FriendStore`] on PostgreSQL. Changes of one owner's blacklist take an advisory lock of
//! the owner, so the cap holds across nodes.

use async_trait::async_trait;

use super::{clamp, Failure, PgStore};
use crate::store::{FriendStore, Result};

impl PgStore {
    async fn try_block(
        &self,
        owner: &str,
        users: &[String],
        time: u64,
        max: u64,
    ) -> std::result::Result<Vec<Option<bool>>, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('blacklist' || $1))",
            &[&owner],
        )
        .await?;
        let mut count: i64 = tx
            .query_one("SELECT COUNT(*) FROM blacklist WHERE owner = $1", &[&owner])
            .await?
            .get(0);
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            let there = tx
                .query_opt(
                    "SELECT 1 FROM blacklist WHERE owner = $1 AND blocked = $2",
                    &[&owner, u],
                )
                .await?
                .is_some();
            if there {
                out.push(Some(false));
            } else if count as u64 >= max {
                out.push(None);
            } else {
                tx.execute(
                    "INSERT INTO blacklist (owner, blocked, add_time) VALUES ($1, $2, $3)",
                    &[&owner, u, &clamp(time)],
                )
                .await?;
                count += 1;
                out.push(Some(true));
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

#[async_trait]
impl FriendStore for PgStore {
    async fn block(
        &self,
        owner: &str,
        users: Vec<String>,
        time: u64,
        max: u64,
    ) -> Result<Vec<Option<bool>>> {
        let users = &users;
        self.retrying("block users", || self.try_block(owner, users, time, max))
            .await
    }

    async fn unblock(&self, owner: &str, users: Vec<String>) -> Result<Vec<bool>> {
        let users = &users;
        self.retrying("unblock users", || async {
            let client = self.pool.get().await?;
            let mut out = Vec::with_capacity(users.len());
            for u in users {
                let n = client
                    .execute(
                        "DELETE FROM blacklist WHERE owner = $1 AND blocked = $2",
                        &[&owner, u],
                    )
                    .await?;
                out.push(n > 0);
            }
            Ok(out)
        })
        .await
    }

    async fn blocked(&self, owner: &str) -> Result<Vec<(String, u64)>> {
        let rows = self
            .retrying("read a blacklist", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query(
                        "SELECT blocked, add_time FROM blacklist WHERE owner = $1
                         ORDER BY add_time, blocked",
                        &[&owner],
                    )
                    .await?)
            })
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
            .collect())
    }

    async fn is_blocked(&self, owner: &str, user: &str) -> Result<bool> {
        let row = self
            .retrying("read a blacklist", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_opt(
                        "SELECT 1 FROM blacklist WHERE owner = $1 AND blocked = $2",
                        &[&owner, &user],
                    )
                    .await?)
            })
            .await?;
        Ok(row.is_some())
    }
}
