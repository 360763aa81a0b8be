//! [`GroupStore`] on SQLite: reads on the reader connection, writes as jobs of the writer.

use async_trait::async_trait;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{db_err, SqliteStore, Writer};
use crate::store::{Added, GroupRow, GroupStore, MemberRow, NewGroup, Result, StoreError};

const GROUP_COLUMNS: &str = "g.group_id, g.group_type, g.name, g.owner, g.notification,
     g.introduction, g.face_url, g.add_option, g.max_members, g.shutup_all, g.custom, g.created,
     g.info_seq, g.last_info_time, g.last_seq, g.last_msg_time,
     (SELECT COUNT(*) FROM group_members c WHERE c.group_id = g.group_id)";

const MEMBER_COLUMNS: &str = "m.group_id, m.user_id, m.role, m.join_time, m.msg_flag,
     m.shutup_until, m.name_card, m.custom, m.read_seq";

fn group_row(r: &Row<'_>, o: usize) -> rusqlite::Result<GroupRow> {
    Ok(GroupRow {
        id: r.get(o)?,
        group_type: GroupType(r.get(o + 1)?),
        name: r.get(o + 2)?,
        owner: r.get(o + 3)?,
        notification: r.get(o + 4)?,
        introduction: r.get(o + 5)?,
        face_url: r.get(o + 6)?,
        add_option: GroupAddOption(r.get(o + 7)?),
        max_members: r.get::<_, i64>(o + 8)? as u32,
        shutup_all: r.get::<_, i64>(o + 9)? != 0,
        custom: r.get(o + 10)?,
        created: r.get::<_, i64>(o + 11)? as u64,
        info_seq: r.get::<_, i64>(o + 12)? as u64,
        last_info_time: r.get::<_, i64>(o + 13)? as u64,
        last_seq: r.get::<_, i64>(o + 14)? as u64,
        last_msg_time: r.get::<_, i64>(o + 15)? as u64,
        member_count: r.get::<_, i64>(o + 16)? as u32,
    })
}

fn member_row(r: &Row<'_>, o: usize) -> rusqlite::Result<MemberRow> {
    Ok(MemberRow {
        group_id: r.get(o)?,
        user: r.get(o + 1)?,
        role: GroupMemberRole(r.get(o + 2)?),
        join_time: r.get::<_, i64>(o + 3)? as u64,
        msg_flag: r.get(o + 4)?,
        shutup_until: r.get::<_, i64>(o + 5)? as u64,
        name_card: r.get(o + 6)?,
        custom: r.get(o + 7)?,
        read_seq: r.get::<_, i64>(o + 8)? as u64,
    })
}

fn insert_member(
    conn: &Connection,
    id: &str,
    user: &str,
    role: GroupMemberRole,
    time: u64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO group_members (group_id, user_id, role, join_time) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (group_id, user_id) DO NOTHING",
    )?
    .execute(params![id, user, role.0, time as i64])
}

/// Members to add (the writer's job item).
pub(super) struct AddMembers {
    id: String,
    users: Vec<String>,
    role: GroupMemberRole,
    time: u64,
}

/// Members to remove (the writer's job item).
pub(super) struct RemoveMembers {
    id: String,
    users: Vec<String>,
}

impl Writer {
    fn create_group(&mut self, g: &NewGroup) -> Result<bool> {
        let r = &g.row;
        let created = self
            .conn
            .prepare_cached(
                "INSERT INTO groups (group_id, group_type, name, owner, notification, introduction,
                    face_url, add_option, max_members, shutup_all, custom, created, info_seq,
                    last_info_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, ?12)
                 ON CONFLICT (group_id) DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    r.id,
                    r.group_type.0,
                    r.name,
                    r.owner,
                    r.notification,
                    r.introduction,
                    r.face_url,
                    r.add_option.0,
                    r.max_members,
                    i64::from(r.shutup_all),
                    r.custom,
                    r.created as i64
                ])
            })
            .map_err(db_err)?;
        if created == 0 {
            return Ok(false);
        }
        for (user, role) in &g.members {
            insert_member(&self.conn, &r.id, user, *role, r.created).map_err(db_err)?;
        }
        Ok(true)
    }

    fn add_members(&mut self, a: &AddMembers) -> Result<Added> {
        let max: Option<i64> = self
            .conn
            .prepare_cached("SELECT max_members FROM groups WHERE group_id = ?1")
            .and_then(|mut s| s.query_row([&a.id], |r| r.get(0)).optional())
            .map_err(db_err)?;
        let Some(max) = max else {
            return Err(StoreError::Database(format!("no group {:?}", a.id)));
        };
        let mut count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM group_members WHERE group_id = ?1")
            .and_then(|mut s| s.query_row([&a.id], |r| r.get(0)))
            .map_err(db_err)?;
        let mut out = Added::default();
        for user in &a.users {
            let member = self
                .conn
                .prepare_cached("SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2")
                .and_then(|mut s| s.exists(params![a.id, user]))
                .map_err(db_err)?;
            if member {
                out.already.push(user.clone());
            } else if count >= max {
                out.full.push(user.clone());
            } else {
                insert_member(&self.conn, &a.id, user, a.role, a.time).map_err(db_err)?;
                count += 1;
                out.added.push(user.clone());
            }
        }
        Ok(out)
    }

    fn remove_members(&mut self, r: &RemoveMembers) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for user in &r.users {
            let n = self
                .conn
                .prepare_cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")
                .and_then(|mut s| s.execute(params![r.id, user]))
                .map_err(db_err)?;
            if n > 0 {
                out.push(user.clone());
            }
        }
        Ok(out)
    }

    fn dismiss_group(&mut self, id: &String) -> Result<bool> {
        self.conn
            .execute("DELETE FROM group_members WHERE group_id = ?1", [id])
            .map_err(db_err)?;
        let n = self
            .conn
            .execute("DELETE FROM groups WHERE group_id = ?1", [id])
            .map_err(db_err)?;
        Ok(n > 0)
    }
}

#[async_trait]
impl GroupStore for SqliteStore {
    async fn create_group(&self, group: NewGroup) -> Result<bool> {
        self.write(vec![group], Writer::create_group)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn group(&self, id: &str) -> Result<Option<GroupRow>> {
        let id = id.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.group_id = ?1"
            ))?
            .query_row([id], |r| group_row(r, 0))
            .optional()
        })
        .await
    }

    async fn member(&self, id: &str, user: &str) -> Result<Option<MemberRow>> {
        let (id, user) = (id.to_owned(), user.to_owned());
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS} FROM group_members m WHERE m.group_id = ?1 AND m.user_id = ?2"
            ))?
            .query_row(params![id, user], |r| member_row(r, 0))
            .optional()
        })
        .await
    }

    async fn joined(&self, user: &str) -> Result<Vec<(GroupRow, MemberRow)>> {
        let user = user.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {GROUP_COLUMNS}, {MEMBER_COLUMNS} FROM group_members m
                 JOIN groups g ON g.group_id = m.group_id
                 WHERE m.user_id = ?1 ORDER BY m.group_id"
            ))?;
            let rows = stmt.query_map([user], |r| Ok((group_row(r, 0)?, member_row(r, 17)?)))?;
            rows.collect()
        })
        .await
    }

    async fn members(&self, id: &str, offset: u64, limit: u32) -> Result<Vec<MemberRow>> {
        let id = id.to_owned();
        let offset = offset.min(i64::MAX as u64) as i64;
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS} FROM group_members m
                 WHERE m.group_id = ?1 ORDER BY m.user_id LIMIT ?3 OFFSET ?2"
            ))?;
            let rows = stmt.query_map(params![id, offset, limit], |r| member_row(r, 0))?;
            rows.collect()
        })
        .await
    }

    async fn add_members(
        &self,
        id: &str,
        users: Vec<String>,
        role: GroupMemberRole,
        time: u64,
    ) -> Result<Added> {
        let job = AddMembers {
            id: id.to_owned(),
            users,
            role,
            time,
        };
        self.write(vec![job], Writer::add_members)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn remove_members(&self, id: &str, users: Vec<String>) -> Result<Vec<String>> {
        let job = RemoveMembers {
            id: id.to_owned(),
            users,
        };
        self.write(vec![job], Writer::remove_members)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn dismiss(&self, id: &str) -> Result<bool> {
        self.write(vec![id.to_owned()], Writer::dismiss_group)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }
}
