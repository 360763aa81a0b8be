//! [`FriendStore`] and [`AccountStore`] on SQLite: a change is one writer job, so it is one
//! transaction and the limits hold without locks.

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{db_err, SqliteStore, Writer};
use crate::store::friend::*;
use crate::store::{Result, StoreError};

/// A change (the writer's job item).
pub(super) struct Relate {
    edits: Vec<Edit>,
    limits: RelationLimits,
}

impl Writer {
    fn relate(&mut self, job: &Relate) -> Result<()> {
        let mut versions: HashMap<&str, i64> = HashMap::new();
        for edit in &job.edits {
            let owner = edit.owner();
            let version = match versions.get(owner) {
                Some(v) => *v,
                None => {
                    let v: i64 = self
                        .conn
                        .prepare_cached(NEXT_VERSION)
                        .and_then(|mut s| s.query_row([owner], |r| r.get(0)))
                        .map_err(db_err)?;
                    versions.insert(owner, v);
                    v
                }
            };
            self.apply_edit(edit, version).map_err(db_err)?;
            if let Some((kind, item)) = gone_of(edit) {
                self.conn
                    .prepare_cached(PUT_GONE)
                    .and_then(|mut s| s.execute(params![owner, kind, item, version]))
                    .map_err(db_err)?;
            }
            if let Some((kind, item)) = cleared_by(edit) {
                self.conn
                    .prepare_cached(CLEAR_GONE)
                    .and_then(|mut s| s.execute(params![owner, kind, item]))
                    .map_err(db_err)?;
            }
        }
        let mut checked = Vec::new();
        for edit in &job.edits {
            let Some((cap, count)) = caps_of(edit) else {
                continue;
            };
            if checked.contains(&(edit.owner(), cap)) {
                continue;
            }
            checked.push((edit.owner(), cap));
            let n: i64 = self
                .conn
                .prepare_cached(count)
                .and_then(|mut s| s.query_row([edit.owner()], |r| r.get(0)))
                .map_err(db_err)?;
            if n as u64 > job.limits.of(cap) {
                return Err(StoreError::LimitReached {
                    owner: edit.owner().to_owned(),
                    cap,
                });
            }
        }
        Ok(())
    }

    fn apply_edit(&mut self, edit: &Edit, version: i64) -> rusqlite::Result<()> {
        let c = &self.conn;
        match edit {
            Edit::Friend(f) => c.prepare_cached(PUT_FRIEND)?.execute(params![
                f.owner,
                f.friend,
                f.remark,
                to_text(&f.groups),
                to_text(&f.custom),
                f.add_source,
                f.add_wording,
                f.add_time as i64,
                version
            ])?,
            Edit::Unfriend { owner, friend } => c
                .prepare_cached(DROP_FRIEND)?
                .execute(params![owner, friend])?,
            Edit::Request(r) => c.prepare_cached(PUT_REQUEST)?.execute(params![
                r.owner,
                r.other,
                r.incoming as i32,
                r.friend_type,
                r.remark,
                r.group_name,
                r.add_source,
                r.add_wording,
                r.add_time as i64,
                version
            ])?,
            Edit::DropRequest {
                owner,
                other,
                incoming,
            } => {
                c.prepare_cached(DROP_REQUEST)?
                    .execute(params![owner, other, *incoming as i32])?
            }
            Edit::Block { owner, user, time } => {
                c.prepare_cached(PUT_BLOCK)?
                    .execute(params![owner, user, *time as i64, version])?
            }
            Edit::Unblock { owner, user } => c
                .prepare_cached(DROP_BLOCK)?
                .execute(params![owner, user])?,
            Edit::Group { owner, name } => c
                .prepare_cached(PUT_GROUP)?
                .execute(params![owner, name, version])?,
            Edit::DropGroup { owner, name } => c
                .prepare_cached(DROP_GROUP)?
                .execute(params![owner, name])?,
            Edit::ReadTime { owner, time } => c
                .prepare_cached(READ_TIME)?
                .execute(params![*time as i64, owner])?,
            Edit::Touch { owner, friend } => c
                .prepare_cached(TOUCH)?
                .execute(params![version, owner, friend])?,
        };
        Ok(())
    }

    fn register(&mut self, (user, time): &(String, u64)) -> Result<bool> {
        self.conn
            .prepare_cached(
                "INSERT INTO accounts (user_id, created) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![user, *time as i64]))
            .map(|n| n > 0)
            .map_err(db_err)
    }

    fn delete_account(&mut self, user: &String) -> Result<bool> {
        self.conn
            .prepare_cached("DELETE FROM accounts WHERE user_id = ?1")
            .and_then(|mut s| s.execute([user]))
            .map(|n| n > 0)
            .map_err(db_err)
    }

    fn set_mutes(
        &mut self,
        (user, c2c, group): &(String, Option<u64>, Option<u64>),
    ) -> Result<bool> {
        let secs = |v: &Option<u64>| v.map(|t| t.min(i64::MAX as u64) as i64);
        self.conn
            .prepare_cached(
                "UPDATE accounts SET c2c_muted_until = COALESCE(?2, c2c_muted_until),
                                     group_muted_until = COALESCE(?3, group_muted_until)
                 WHERE user_id = ?1",
            )
            .and_then(|mut s| s.execute(params![user, secs(c2c), secs(group)]))
            .map(|n| n > 0)
            .map_err(db_err)
    }

    fn revoke_sigs(&mut self, (user, time): &(String, u64)) -> Result<bool> {
        self.conn
            .prepare_cached("UPDATE accounts SET sigs_from = MAX(sigs_from, ?2) WHERE user_id = ?1")
            .and_then(|mut s| s.execute(params![user, *time as i64]))
            .map(|n| n > 0)
            .map_err(db_err)
    }
}

fn friend_row(r: &Row<'_>) -> rusqlite::Result<FriendRow> {
    Ok(FriendRow {
        owner: r.get(0)?,
        friend: r.get(1)?,
        remark: r.get(2)?,
        groups: from_text(&r.get::<_, String>(3)?),
        custom: from_text(&r.get::<_, String>(4)?),
        add_source: r.get(5)?,
        add_wording: r.get(6)?,
        add_time: r.get::<_, i64>(7)? as u64,
    })
}

fn request_row(r: &Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        owner: r.get(0)?,
        other: r.get(1)?,
        incoming: r.get::<_, i32>(2)? != 0,
        friend_type: r.get(3)?,
        remark: r.get(4)?,
        group_name: r.get(5)?,
        add_source: r.get(6)?,
        add_wording: r.get(7)?,
        add_time: r.get::<_, i64>(8)? as u64,
    })
}

/// Rows of `sql` (one `$1` = owner, `$2` = since) mapped by `f`.
fn rows<T>(
    conn: &Connection,
    sql: &str,
    owner: &str,
    since: i64,
    f: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let out = stmt.query_map(params![owner, since], f)?.collect();
    out
}

#[async_trait]
impl FriendStore for SqliteStore {
    async fn relate(&self, edits: Vec<Edit>, limits: RelationLimits) -> Result<()> {
        if edits.is_empty() {
            return Ok(());
        }
        self.write(vec![Relate { edits, limits }], Writer::relate)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn friends(&self, owner: &str, users: Vec<String>) -> Result<Vec<FriendRow>> {
        let owner = owner.to_owned();
        self.read(move |conn| {
            if users.is_empty() {
                let sql = format!(
                    "SELECT {FRIEND_COLUMNS} FROM friends WHERE owner = ?1 ORDER BY add_time, friend"
                );
                let mut stmt = conn.prepare_cached(&sql)?;
                let out = stmt.query_map([&owner], friend_row)?.collect();
                return out;
            }
            let sql = format!("SELECT {FRIEND_COLUMNS} FROM friends WHERE owner = ?1 AND friend = ?2");
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut out = Vec::new();
            for u in &users {
                if let Some(row) = stmt.query_row(params![owner, u], friend_row).optional()? {
                    out.push(row);
                }
            }
            out.sort_by(|a, b| (a.add_time, &a.friend).cmp(&(b.add_time, &b.friend)));
            Ok(out)
        })
        .await
    }

    async fn who_have(&self, owners: Vec<String>, friend: &str) -> Result<Vec<String>> {
        let friend = friend.to_owned();
        self.read(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT 1 FROM friends WHERE owner = ?1 AND friend = ?2")?;
            let mut out = Vec::new();
            for o in owners {
                if stmt.exists(params![o, friend])? {
                    out.push(o);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn friend_owners(&self, friend: &str) -> Result<Vec<String>> {
        let friend = friend.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT owner FROM friends WHERE friend = ?1")?;
            let out = stmt.query_map([friend], |r| r.get(0))?.collect();
            out
        })
        .await
    }

    async fn requests(&self, owner: &str) -> Result<Vec<RequestRow>> {
        let owner = owner.to_owned();
        self.read(move |conn| {
            let sql = format!(
                "SELECT {REQUEST_COLUMNS} FROM friend_requests WHERE owner = ?1
                 ORDER BY add_time DESC, other"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let out = stmt.query_map([owner], request_row)?.collect();
            out
        })
        .await
    }

    async fn friend_groups(&self, owner: &str) -> Result<Vec<String>> {
        let owner = owner.to_owned();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT name FROM friend_groups WHERE owner = ?1 ORDER BY name")?;
            let out = stmt.query_map([owner], |r| r.get(0))?.collect();
            out
        })
        .await
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

    async fn delta(&self, owner: &str, since: u64) -> Result<RelationDelta> {
        let owner = owner.to_owned();
        let since = since.min(i64::MAX as u64) as i64;
        self.read(move |conn| {
            let (version, read_time) = conn
                .prepare_cached(
                    "SELECT version, read_time FROM relation_versions WHERE owner = ?1",
                )?
                .query_row([&owner], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
                .optional()?
                .unwrap_or((0, 0));
            Ok(RelationDelta {
                version: version as u64,
                read_time: read_time as u64,
                friends: rows(conn, DELTA_FRIENDS, &owner, since, friend_row)?,
                blocked: rows(conn, DELTA_BLOCKED, &owner, since, |r| {
                    Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
                })?,
                requests: rows(conn, DELTA_REQUESTS, &owner, since, request_row)?,
                groups: rows(conn, DELTA_GROUPS, &owner, since, |r| r.get(0))?,
                gone: rows(conn, DELTA_GONE, &owner, since, |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?,
            })
        })
        .await
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn register(&self, user: &str, time: u64) -> Result<bool> {
        self.write(vec![(user.to_owned(), time)], Writer::register)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn existing(&self, users: Vec<String>) -> Result<Vec<bool>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT 1 FROM accounts WHERE user_id = ?1")?;
            users.iter().map(|u| stmt.exists([u])).collect()
        })
        .await
    }

    async fn account(&self, user: &str) -> Result<Option<AccountRow>> {
        let user = user.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT created, sigs_from, c2c_muted_until, group_muted_until
                 FROM accounts WHERE user_id = ?1",
            )?
            .query_row([user], |r| {
                Ok(AccountRow {
                    created: r.get::<_, i64>(0)? as u64,
                    sigs_from: r.get::<_, i64>(1)? as u64,
                    c2c_muted_until: r.get::<_, i64>(2)? as u64,
                    group_muted_until: r.get::<_, i64>(3)? as u64,
                })
            })
            .optional()
        })
        .await
    }

    async fn delete_accounts(&self, users: Vec<String>) -> Result<Vec<bool>> {
        self.write(users, Writer::delete_account)
            .await
            .into_iter()
            .collect()
    }

    async fn set_mutes(
        &self,
        user: &str,
        c2c_until: Option<u64>,
        group_until: Option<u64>,
    ) -> Result<bool> {
        self.write(
            vec![(user.to_owned(), c2c_until, group_until)],
            Writer::set_mutes,
        )
        .await
        .pop()
        .unwrap_or(Err(StoreError::Closed))
    }

    async fn revoke_sigs(&self, user: &str, time: u64) -> Result<bool> {
        self.write(vec![(user.to_owned(), time)], Writer::revoke_sigs)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }
}
