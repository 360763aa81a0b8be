//! [`WebhookStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::{db_err, SqliteStore, Writer};
use crate::store::webhook::{QueuedCallback, WebhookStore};
use crate::store::{Result, StoreError};

fn secs(t: u64) -> i64 {
    t.min(i64::MAX as u64) as i64
}

impl Writer {
    fn enqueue_callback(&mut self, (command, body, now): &(String, String, u64)) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO callbacks (command, body, due) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![command, body, secs(*now)]))
            .map(|_| ())
            .map_err(db_err)
    }

    fn claim_callbacks(
        &mut self,
        (now, lease, limit): &(u64, u64, u32),
    ) -> Result<Vec<QueuedCallback>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "UPDATE callbacks SET due = ?2, attempts = attempts + 1 WHERE id IN
                   (SELECT id FROM callbacks WHERE due <= ?1 ORDER BY due, id LIMIT ?3)
                 RETURNING id, command, body, attempts",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map(
                params![secs(*now), secs(now.saturating_add(*lease)), limit],
                |r| {
                    Ok(QueuedCallback {
                        id: r.get::<_, i64>(0)? as u64,
                        command: r.get(1)?,
                        body: r.get(2)?,
                        attempts: r.get::<_, i64>(3)? as u32,
                    })
                },
            )
            .map_err(db_err)?;
        let mut out: Vec<QueuedCallback> = rows.collect::<rusqlite::Result<_>>().map_err(db_err)?;
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    fn drop_callback(&mut self, id: &u64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM callbacks WHERE id = ?1")
            .and_then(|mut s| s.execute([secs(*id)]))
            .map(|_| ())
            .map_err(db_err)
    }

    fn retry_callback(&mut self, (id, at): &(u64, u64)) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE callbacks SET due = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![secs(*id), secs(*at)]))
            .map(|_| ())
            .map_err(db_err)
    }
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn enqueue_callbacks(&self, items: Vec<(String, String)>, now: u64) -> Result<()> {
        let jobs = items.into_iter().map(|(c, b)| (c, b, now)).collect();
        self.write(jobs, Writer::enqueue_callback)
            .await
            .into_iter()
            .collect()
    }

    async fn claim_callbacks(
        &self,
        now: u64,
        lease: u64,
        limit: u32,
    ) -> Result<Vec<QueuedCallback>> {
        self.write(vec![(now, lease, limit)], Writer::claim_callbacks)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn drop_callback(&self, id: u64) -> Result<()> {
        self.write(vec![id], Writer::drop_callback)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn retry_callback(&self, id: u64, at: u64) -> Result<()> {
        self.write(vec![(id, at)], Writer::retry_callback)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn callbacks_waiting(&self) -> Result<u64> {
        self.read(|conn| {
            conn.prepare_cached("SELECT COUNT(*) FROM callbacks")?
                .query_row([], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
        .await
    }
}
