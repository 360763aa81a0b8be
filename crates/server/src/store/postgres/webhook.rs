//! [`WebhookStore`] on PostgreSQL: the nodes of a cluster share one queue; a claim skips rows
//! another node holds.

use async_trait::async_trait;

use super::{clamp, PgStore};
use crate::store::webhook::{QueuedCallback, WebhookStore};
use crate::store::Result;

#[async_trait]
impl WebhookStore for PgStore {
    async fn enqueue_callbacks(&self, items: Vec<(String, String)>, now: u64) -> Result<()> {
        let (commands, bodies): (Vec<String>, Vec<String>) = items.into_iter().unzip();
        let now = clamp(now);
        let (commands, bodies) = (&commands, &bodies);
        self.retrying("queue callbacks", || async {
            let client = self.pool.get().await?;
            client
                .execute(
                    "INSERT INTO callbacks (command, body, due)
                     SELECT c, b, $3 FROM UNNEST($1::text[], $2::text[]) AS t(c, b)",
                    &[commands, bodies, &now],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn claim_callbacks(
        &self,
        now: u64,
        lease: u64,
        limit: u32,
    ) -> Result<Vec<QueuedCallback>> {
        let (now, until, limit) = (
            clamp(now),
            clamp(now.saturating_add(lease)),
            i64::from(limit),
        );
        let rows = self
            .retrying("claim callbacks", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query(
                        "UPDATE callbacks SET due = $2, attempts = attempts + 1 WHERE id IN
                           (SELECT id FROM callbacks WHERE due <= $1 ORDER BY due, id LIMIT $3
                            FOR UPDATE SKIP LOCKED)
                         RETURNING id, command, body, attempts",
                        &[&now, &until, &limit],
                    )
                    .await?)
            })
            .await?;
        let mut out: Vec<QueuedCallback> = rows
            .iter()
            .map(|r| QueuedCallback {
                id: r.get::<_, i64>(0) as u64,
                command: r.get(1),
                body: r.get(2),
                attempts: r.get::<_, i32>(3).max(0) as u32,
            })
            .collect();
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    async fn drop_callback(&self, id: u64) -> Result<()> {
        let id = clamp(id);
        self.retrying("drop a callback", || async {
            let client = self.pool.get().await?;
            client
                .execute("DELETE FROM callbacks WHERE id = $1", &[&id])
                .await?;
            Ok(())
        })
        .await
    }

    async fn retry_callback(&self, id: u64, at: u64) -> Result<()> {
        let (id, at) = (clamp(id), clamp(at));
        self.retrying("delay a callback", || async {
            let client = self.pool.get().await?;
            client
                .execute("UPDATE callbacks SET due = $2 WHERE id = $1", &[&id, &at])
                .await?;
            Ok(())
        })
        .await
    }

    async fn callbacks_waiting(&self) -> Result<u64> {
        let row = self
            .retrying("count callbacks", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_one("SELECT COUNT(*) FROM callbacks", &[])
                    .await?)
            })
            .await?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }
}
