//! [`ReceiptStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::group::{member_row, MEMBER_COLUMNS};
use super::{db_err, SqliteStore, Writer};
use crate::store::group::group_key;
use crate::store::{MemberRow, ReceiptCount, ReceiptStore, Result, StoreError};

/// Receipts to record (the writer's job item).
pub(super) struct AddReceipts {
    group: String,
    user: String,
    seqs: Vec<u64>,
    time: u64,
}

/// The sender of message `?2` of group `?1` (its key `?3`), as SQL.
const SENDER: &str = "(SELECT sender FROM messages WHERE conv_key = ?3 AND seq = ?2 AND kind = 0)";

fn clamp(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

impl Writer {
    fn add_receipts(&mut self, a: &AddReceipts) -> Result<Vec<u64>> {
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO group_receipts (group_id, seq, user_id, time) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (group_id, seq, user_id) DO NOTHING",
            )
            .map_err(db_err)?;
        let mut added = Vec::new();
        for &seq in &a.seqs {
            let n = insert
                .execute(params![a.group, clamp(seq), a.user, clamp(a.time)])
                .map_err(db_err)?;
            if n > 0 {
                added.push(seq);
            }
        }
        Ok(added)
    }
}

#[async_trait]
impl ReceiptStore for SqliteStore {
    async fn add_receipts(
        &self,
        group: &str,
        user: &str,
        seqs: &[u64],
        time: u64,
    ) -> Result<Vec<u64>> {
        let job = AddReceipts {
            group: group.to_owned(),
            user: user.to_owned(),
            seqs: seqs.to_vec(),
            time,
        };
        self.write(vec![job], Writer::add_receipts)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn receipt_counts(&self, group: &str, seqs: &[u64]) -> Result<Vec<ReceiptCount>> {
        let (group, seqs) = (group.to_owned(), seqs.to_vec());
        self.read(move |conn| {
            let mut read = conn.prepare_cached(
                "SELECT COUNT(*) FROM group_receipts r JOIN group_members m
                   ON m.group_id = r.group_id AND m.user_id = r.user_id
                 WHERE r.group_id = ?1 AND r.seq = ?2",
            )?;
            let mut unread = conn.prepare_cached(&format!(
                "SELECT COUNT(*) FROM group_members m
                 WHERE m.group_id = ?1 AND m.join_seq < ?2 AND m.user_id <> {SENDER}
                 AND NOT EXISTS (SELECT 1 FROM group_receipts r
                     WHERE r.group_id = ?1 AND r.seq = ?2 AND r.user_id = m.user_id)"
            ))?;
            let key = group_key(&group);
            seqs.iter()
                .map(|&seq| {
                    let s = clamp(seq);
                    Ok(ReceiptCount {
                        seq,
                        read: read.query_row(params![group, s], |r| r.get::<_, i64>(0))? as u64,
                        unread: unread.query_row(params![group, s, key], |r| r.get::<_, i64>(0))?
                            as u64,
                    })
                })
                .collect()
        })
        .await
    }

    async fn receipt_members(
        &self,
        group: &str,
        seq: u64,
        read: bool,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<MemberRow>> {
        let group = group.to_owned();
        let sql = match read {
            true => format!(
                "SELECT {MEMBER_COLUMNS} FROM group_members m JOIN group_receipts r
                   ON r.group_id = m.group_id AND r.user_id = m.user_id
                 WHERE m.group_id = ?1 AND r.seq = ?2 AND ?3 = ?3
                 ORDER BY m.user_id LIMIT ?5 OFFSET ?4"
            ),
            false => format!(
                "SELECT {MEMBER_COLUMNS} FROM group_members m
                 WHERE m.group_id = ?1 AND m.join_seq < ?2 AND m.user_id <> {SENDER}
                 AND NOT EXISTS (SELECT 1 FROM group_receipts r
                     WHERE r.group_id = ?1 AND r.seq = ?2 AND r.user_id = m.user_id)
                 ORDER BY m.user_id LIMIT ?5 OFFSET ?4"
            ),
        };
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![group, clamp(seq), group_key(&group), clamp(offset), limit],
                |r| member_row(r, 0),
            )?;
            rows.collect()
        })
        .await
    }
}
