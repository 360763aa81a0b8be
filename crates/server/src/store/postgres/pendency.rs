//! [`PendencyStore`] on PostgreSQL. New pendencies take one advisory lock so their times stay
//! unique across nodes; reports take their users' counters in user-id order, as every
//! transaction does.

use async_trait::async_trait;
use opentim_model::enums::{ConvType, GroupMemberRole, GroupPendencyType};
use opentim_protocol::{InboxEntry, InboxItem, WireMessage};
use tokio_postgres::Row;

use super::{clamp, inbox_entry, Failure, PgStore};
use crate::store::{
    system_key, Decision, NewPendency, NewReport, PendencyRow, PendencyStore, Result, StoreError,
};

const KIND_MESSAGE: i32 = crate::store::KIND_MESSAGE as i32;

/// The advisory lock that orders new pendencies ("pendency" in ASCII).
const PENDENCY_LOCK: i64 = 0x7065_6e64_656e_6379;

const COLUMNS: &str = "p.group_id, p.kind, p.from_user, p.to_user, p.add_time, p.apply_msg,
     p.handled, p.handle_result, p.handled_by, p.approval_msg";

fn pendency_row(r: &Row) -> PendencyRow {
    PendencyRow {
        group_id: r.get(0),
        kind: GroupPendencyType(r.get(1)),
        from: r.get(2),
        to: r.get(3),
        add_time: r.get::<_, i64>(4) as u64,
        apply_msg: r.get(5),
        handled: r.get::<_, i64>(6) != 0,
        accepted: r.get::<_, i64>(7) != 0,
        handled_by: r.get(8),
        approval_msg: r.get(9),
    }
}

/// The pendencies user `$1` decides (see the SQLite store's `decided_by`).
fn decided_by(select: &str, cond: &str) -> String {
    format!(
        "SELECT {select} FROM group_pendencies p JOIN group_members m
            ON m.group_id = p.group_id AND m.user_id = $1 AND m.role IN ({admin}, {owner})
         WHERE p.kind = {request} AND {cond}
         UNION ALL
         SELECT {select} FROM group_pendencies p
         WHERE p.kind <> {request} AND p.to_user = $1 AND {cond}",
        admin = GroupMemberRole::ADMIN.0,
        owner = GroupMemberRole::OWNER.0,
        request = GroupPendencyType::REQUEST_JOIN.0,
    )
}

impl PgStore {
    async fn try_add_pendency(&self, p: &NewPendency) -> std::result::Result<PendencyRow, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PENDENCY_LOCK])
            .await?;
        let newest: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(add_time), 0) FROM group_pendencies",
                &[],
            )
            .await?
            .get(0);
        let time = clamp(p.time_ms).max(newest + 1);
        let sql = format!(
            "INSERT INTO group_pendencies AS p (group_id, kind, from_user, to_user, add_time, apply_msg)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (group_id, kind, from_user, to_user) DO UPDATE SET
                add_time = excluded.add_time, apply_msg = excluded.apply_msg, handled = 0,
                handle_result = 0, handled_by = '', approval_msg = ''
             RETURNING {COLUMNS}"
        );
        let row = tx
            .query_one(
                &sql,
                &[&p.group_id, &p.kind.0, &p.from, &p.to, &time, &p.apply_msg],
            )
            .await?;
        tx.commit().await?;
        Ok(pendency_row(&row))
    }

    async fn try_append_reports(
        &self,
        reports: &[NewReport],
    ) -> std::result::Result<Vec<(String, InboxEntry)>, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut order: Vec<&NewReport> = reports.iter().collect();
        order.sort_by(|a, b| a.user.cmp(&b.user));
        let mut out = Vec::with_capacity(reports.len());
        for r in order {
            // A retry after a commit that was lost finds the report stored: it is not told twice.
            let stored = tx
                .query_opt(
                    "SELECT 1 FROM messages WHERE sender = $1 AND client_msg_id = $2",
                    &[&r.from, &r.client_msg_id],
                )
                .await?
                .is_some();
            if stored {
                continue;
            }
            let key = system_key(&r.user);
            let seq: i64 = tx
                .query_one(
                    "INSERT INTO counters (name, value) VALUES ($1, 1)
                     ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
                    &[&key],
                )
                .await?
                .get(0);
            let cursor = inbox_entry(&tx, &r.user, (KIND_MESSAGE, &key, seq, 0)).await?;
            let body = serde_json::to_string(&r.message)
                .map_err(|e| Failure::Fatal(StoreError::Corrupt(e.to_string())))?;
            tx.execute(
                "INSERT INTO messages (conv_key, seq, conv_type, sender, receiver, client_msg_id,
                    rand, server_time, body, sender_cursor, receiver_cursor)
                 VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, 0, $9)",
                &[
                    &key,
                    &seq,
                    &(ConvType::SYSTEM.0 as i32),
                    &r.from,
                    &r.client_msg_id,
                    &clamp(r.rand),
                    &clamp(r.server_time),
                    &body,
                    &(cursor as i64),
                ],
            )
            .await?;
            let message = WireMessage {
                conv_type: ConvType::SYSTEM,
                from: r.from.clone(),
                to: String::new(),
                seq: seq as u64,
                rand: r.rand,
                server_time: r.server_time,
                client_msg_id: r.client_msg_id.clone(),
                message: r.message.clone(),
            };
            out.push((
                r.user.clone(),
                InboxEntry {
                    cursor,
                    item: InboxItem::Message {
                        message: Box::new(message),
                    },
                },
            ));
        }
        tx.commit().await?;
        Ok(out)
    }
}

#[async_trait]
impl PendencyStore for PgStore {
    async fn add_pendency(&self, p: NewPendency) -> Result<PendencyRow> {
        let p = &p;
        self.retrying("store a group pendency", || self.try_add_pendency(p))
            .await
    }

    async fn pendency(&self, group_id: &str, add_time: u64) -> Result<Option<PendencyRow>> {
        let row = self
            .retrying("read a group pendency", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {COLUMNS} FROM group_pendencies p
                     WHERE p.group_id = $1 AND p.add_time = $2"
                );
                Ok(client
                    .query_opt(&sql, &[&group_id, &clamp(add_time)])
                    .await?)
            })
            .await?;
        Ok(row.map(|r| pendency_row(&r)))
    }

    async fn pendencies(&self, user: &str, before: u64, limit: u32) -> Result<Vec<PendencyRow>> {
        let sql = format!(
            "SELECT * FROM ({}) q ORDER BY 5 DESC LIMIT $3",
            decided_by(COLUMNS, "($2::BIGINT = 0 OR p.add_time < $2)")
        );
        let rows = self
            .retrying("read group pendencies", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query(&sql, &[&user, &clamp(before), &i64::from(limit)])
                    .await?)
            })
            .await?;
        Ok(rows.iter().map(pendency_row).collect())
    }

    async fn unread_pendencies(&self, user: &str, after: u64) -> Result<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM ({}) q",
            decided_by("1", "p.handled = 0 AND p.add_time > $2")
        );
        let row = self
            .retrying("count unread group pendencies", || async {
                let client = self.pool.get().await?;
                Ok(client.query_one(&sql, &[&user, &clamp(after)]).await?)
            })
            .await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn pendency_read_time(&self, user: &str) -> Result<u64> {
        let row = self
            .retrying("read when pendencies were seen", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_opt(
                        "SELECT read_time FROM pendency_reads WHERE user_id = $1",
                        &[&user],
                    )
                    .await?)
            })
            .await?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    async fn set_pendency_read_time(&self, user: &str, time: u64) -> Result<()> {
        self.retrying("mark pendencies seen", || async {
            let client = self.pool.get().await?;
            client
                .execute(
                    "INSERT INTO pendency_reads (user_id, read_time) VALUES ($1, $2)
                     ON CONFLICT (user_id) DO UPDATE
                     SET read_time = GREATEST(pendency_reads.read_time, excluded.read_time)",
                    &[&user, &clamp(time)],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn decide_pendency(&self, d: Decision) -> Result<Option<PendencyRow>> {
        let d = &d;
        let sql = format!(
            "UPDATE group_pendencies p SET handled = 1, handle_result = $3, handled_by = $4,
                approval_msg = $5
             WHERE p.group_id = $1 AND p.add_time = $2 AND p.handled = 0
             RETURNING {COLUMNS}"
        );
        let row = self
            .retrying("decide a group pendency", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_opt(
                        &sql,
                        &[
                            &d.group_id,
                            &clamp(d.add_time),
                            &i64::from(d.accept),
                            &d.by,
                            &d.message,
                        ],
                    )
                    .await?)
            })
            .await?;
        Ok(row.map(|r| pendency_row(&r)))
    }

    async fn append_reports(&self, reports: Vec<NewReport>) -> Result<Vec<(String, InboxEntry)>> {
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        let reports = &reports;
        self.retrying("store group notices", || self.try_append_reports(reports))
            .await
    }
}
