//! [`ReceiptStore`] on PostgreSQL.

use async_trait::async_trait;

use super::group::{member_row, MEMBER_COLUMNS};
use super::{clamp, PgStore};
use crate::store::group::group_key;
use crate::store::{MemberRow, ReceiptCount, ReceiptStore, Result};

/// The sender of message `$2` of the group whose key is `$3`, as SQL.
const SENDER: &str = "(SELECT sender FROM messages WHERE conv_key = $3 AND seq = $2 AND kind = 0)";

#[async_trait]
impl ReceiptStore for PgStore {
    async fn add_receipts(
        &self,
        group: &str,
        user: &str,
        seqs: &[u64],
        time: u64,
    ) -> Result<Vec<u64>> {
        let seqs: Vec<i64> = seqs.iter().map(|s| clamp(*s)).collect();
        let rows = self
            .retrying("record read receipts", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query(
                        "INSERT INTO group_receipts (group_id, seq, user_id, time)
                         SELECT $1, s, $3, $4 FROM unnest($2::BIGINT[]) AS s
                         ON CONFLICT (group_id, seq, user_id) DO NOTHING RETURNING seq",
                        &[&group, &seqs, &user, &clamp(time)],
                    )
                    .await?)
            })
            .await?;
        let mut added: Vec<u64> = rows.iter().map(|r| r.get::<_, i64>(0) as u64).collect();
        added.sort_unstable();
        Ok(added)
    }

    async fn receipt_counts(&self, group: &str, seqs: &[u64]) -> Result<Vec<ReceiptCount>> {
        let key = group_key(group);
        let unread_sql = format!(
            "SELECT COUNT(*) FROM group_members m
             WHERE m.group_id = $1 AND m.join_seq < $2 AND m.user_id <> {SENDER}
             AND NOT EXISTS (SELECT 1 FROM group_receipts r
                 WHERE r.group_id = $1 AND r.seq = $2 AND r.user_id = m.user_id)"
        );
        let mut out = Vec::with_capacity(seqs.len());
        for &seq in seqs {
            let s = clamp(seq);
            let (read, unread) = self
                .retrying("count read receipts", || async {
                    let client = self.pool.get().await?;
                    let read: i64 = client
                        .query_one(
                            "SELECT COUNT(*) FROM group_receipts r JOIN group_members m
                               ON m.group_id = r.group_id AND m.user_id = r.user_id
                             WHERE r.group_id = $1 AND r.seq = $2",
                            &[&group, &s],
                        )
                        .await?
                        .get(0);
                    let unread: i64 = client
                        .query_one(&unread_sql, &[&group, &s, &key])
                        .await?
                        .get(0);
                    Ok((read, unread))
                })
                .await?;
            out.push(ReceiptCount {
                seq,
                read: read as u64,
                unread: unread as u64,
            });
        }
        Ok(out)
    }

    async fn receipt_members(
        &self,
        group: &str,
        seq: u64,
        read: bool,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<MemberRow>> {
        let key = group_key(group);
        let sql = match read {
            true => format!(
                "SELECT {MEMBER_COLUMNS} FROM group_members m JOIN group_receipts r
                   ON r.group_id = m.group_id AND r.user_id = m.user_id
                 WHERE m.group_id = $1 AND r.seq = $2 AND $3 = $3
                 ORDER BY m.user_id LIMIT $5 OFFSET $4"
            ),
            false => format!(
                "SELECT {MEMBER_COLUMNS} FROM group_members m
                 WHERE m.group_id = $1 AND m.join_seq < $2 AND m.user_id <> {SENDER}
                 AND NOT EXISTS (SELECT 1 FROM group_receipts r
                     WHERE r.group_id = $1 AND r.seq = $2 AND r.user_id = m.user_id)
                 ORDER BY m.user_id LIMIT $5 OFFSET $4"
            ),
        };
        let rows = self
            .retrying("read the members of a receipt", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query(
                        &sql,
                        &[&group, &clamp(seq), &key, &clamp(offset), &i64::from(limit)],
                    )
                    .await?)
            })
            .await?;
        Ok(rows.iter().map(|r| member_row(r, 0)).collect())
    }
}
