//! [`PendencyStore`] on SQLite: reads on the reader connection, writes as jobs of the writer.

use async_trait::async_trait;
use opentim_model::enums::{ConvType, GroupMemberRole, GroupPendencyType};
use opentim_protocol::{InboxEntry, InboxItem, WireMessage};
use rusqlite::{params, OptionalExtension, Row};

use super::{db_err, SqliteStore, Writer};
use crate::store::{
    system_key, Decision, NewPendency, NewReport, PendencyRow, PendencyStore, Result, StoreError,
    KIND_MESSAGE,
};

const COLUMNS: &str = "p.group_id, p.kind, p.from_user, p.to_user, p.add_time, p.apply_msg,
     p.handled, p.handle_result, p.handled_by, p.approval_msg";

fn pendency_row(r: &Row<'_>) -> rusqlite::Result<PendencyRow> {
    Ok(PendencyRow {
        group_id: r.get(0)?,
        kind: GroupPendencyType(r.get(1)?),
        from: r.get(2)?,
        to: r.get(3)?,
        add_time: r.get::<_, i64>(4)? as u64,
        apply_msg: r.get(5)?,
        handled: r.get::<_, i64>(6)? != 0,
        accepted: r.get::<_, i64>(7)? != 0,
        handled_by: r.get(8)?,
        approval_msg: r.get(9)?,
    })
}

/// The pendencies user `?1` decides: join requests of the groups they own or run, and their
/// invitations. `{cond}` narrows both halves (columns of `p`).
fn decided_by(select: &str, cond: &str) -> String {
    format!(
        "SELECT {select} FROM group_pendencies p JOIN group_members m
            ON m.group_id = p.group_id AND m.user_id = ?1 AND m.role IN ({admin}, {owner})
         WHERE p.kind = {request} AND {cond}
         UNION ALL
         SELECT {select} FROM group_pendencies p
         WHERE p.kind <> {request} AND p.to_user = ?1 AND {cond}",
        admin = GroupMemberRole::ADMIN.0,
        owner = GroupMemberRole::OWNER.0,
        request = GroupPendencyType::REQUEST_JOIN.0,
    )
}

fn clamp(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

impl Writer {
    fn add_pendency(&mut self, p: &NewPendency) -> Result<PendencyRow> {
        let newest: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(add_time), 0) FROM group_pendencies")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(db_err)?;
        let time = clamp(p.time_ms).max(newest + 1);
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO group_pendencies (group_id, kind, from_user, to_user, add_time, apply_msg)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (group_id, kind, from_user, to_user) DO UPDATE SET
                    add_time = excluded.add_time, apply_msg = excluded.apply_msg, handled = 0,
                    handle_result = 0, handled_by = '', approval_msg = ''
                 RETURNING {}",
                COLUMNS.replace("p.", "")
            ))
            .and_then(|mut s| {
                s.query_row(
                    params![p.group_id, p.kind.0, p.from, p.to, time, p.apply_msg],
                    pendency_row,
                )
            })
            .map_err(db_err)
    }

    fn set_pendency_read(&mut self, (user, time): &(String, u64)) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO pendency_reads (user_id, read_time) VALUES (?1, ?2)
                 ON CONFLICT (user_id) DO UPDATE SET read_time = MAX(read_time, excluded.read_time)",
            )
            .and_then(|mut s| s.execute(params![user, clamp(*time)]))
            .map_err(db_err)?;
        Ok(())
    }

    fn decide_pendency(&mut self, d: &Decision) -> Result<Option<PendencyRow>> {
        self.conn
            .prepare_cached(&format!(
                "UPDATE group_pendencies SET handled = 1, handle_result = ?3, handled_by = ?4,
                    approval_msg = ?5
                 WHERE group_id = ?1 AND add_time = ?2 AND handled = 0
                 RETURNING {}",
                COLUMNS.replace("p.", "")
            ))
            .and_then(|mut s| {
                s.query_row(
                    params![
                        d.group_id,
                        clamp(d.add_time),
                        i64::from(d.accept),
                        d.by,
                        d.message
                    ],
                    pendency_row,
                )
                .optional()
            })
            .map_err(db_err)
    }

    fn append_reports(&mut self, reports: &Vec<NewReport>) -> Result<Vec<(String, InboxEntry)>> {
        let mut out = Vec::with_capacity(reports.len());
        for r in reports {
            let key = system_key(&r.user);
            let seq = self.last_seq(&key).map_err(db_err)? + 1;
            let cursor = self.entry(&r.user, KIND_MESSAGE, &key, seq)?;
            let body = serde_json::to_string(&r.message)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            self.conn
                .prepare_cached(
                    "INSERT INTO messages (conv_key, seq, conv_type, sender, receiver,
                        client_msg_id, rand, server_time, body, sender_cursor, receiver_cursor)
                     VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, ?7, ?8, 0, ?9)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        key,
                        seq,
                        ConvType::SYSTEM.0,
                        r.from,
                        r.client_msg_id,
                        clamp(r.rand),
                        clamp(r.server_time),
                        body,
                        cursor as i64
                    ])
                })
                .map_err(db_err)?;
            self.seqs.insert(key, seq);
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
        Ok(out)
    }
}

#[async_trait]
impl PendencyStore for SqliteStore {
    async fn add_pendency(&self, p: NewPendency) -> Result<PendencyRow> {
        self.write(vec![p], Writer::add_pendency)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn pendency(&self, group_id: &str, add_time: u64) -> Result<Option<PendencyRow>> {
        let group_id = group_id.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM group_pendencies p WHERE p.group_id = ?1 AND p.add_time = ?2"
            ))?
            .query_row(params![group_id, clamp(add_time)], pendency_row)
            .optional()
        })
        .await
    }

    async fn pendencies(&self, user: &str, before: u64, limit: u32) -> Result<Vec<PendencyRow>> {
        let user = user.to_owned();
        let sql = format!(
            "SELECT * FROM ({}) ORDER BY 5 DESC LIMIT ?3",
            decided_by(COLUMNS, "(?2 = 0 OR p.add_time < ?2)")
        );
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![user, clamp(before), limit], pendency_row)?;
            rows.collect()
        })
        .await
    }

    async fn unread_pendencies(&self, user: &str, after: u64) -> Result<u64> {
        let user = user.to_owned();
        let sql = format!(
            "SELECT COUNT(*) FROM ({})",
            decided_by("1", "p.handled = 0 AND p.add_time > ?2")
        );
        self.read(move |conn| {
            conn.prepare_cached(&sql)?
                .query_row(params![user, clamp(after)], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
        .await
    }

    async fn pendency_read_time(&self, user: &str) -> Result<u64> {
        let user = user.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT read_time FROM pendency_reads WHERE user_id = ?1")?
                .query_row([user], |r| r.get::<_, i64>(0))
                .optional()
                .map(|t| t.unwrap_or(0) as u64)
        })
        .await
    }

    async fn set_pendency_read_time(&self, user: &str, time: u64) -> Result<()> {
        self.write(vec![(user.to_owned(), time)], Writer::set_pendency_read)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn decide_pendency(&self, d: Decision) -> Result<Option<PendencyRow>> {
        self.write(vec![d], Writer::decide_pendency)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn append_reports(&self, reports: Vec<NewReport>) -> Result<Vec<(String, InboxEntry)>> {
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        self.write(vec![reports], Writer::append_reports)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }
}
