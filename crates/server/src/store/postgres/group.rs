//! [`GroupStore`] on PostgreSQL. Changes of a group's membership lock its row, so the member
//! cap holds across nodes.

use async_trait::async_trait;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
use tokio_postgres::Row;

use super::{Failure, PgStore};
use crate::store::{Added, GroupRow, GroupStore, MemberRow, NewGroup, Result};

const GROUP_COLUMNS: &str = "g.group_id, g.group_type, g.name, g.owner, g.notification,
     g.introduction, g.face_url, g.add_option, g.max_members, g.shutup_all, g.custom, g.created,
     g.info_seq, g.last_info_time, g.last_seq, g.last_msg_time,
     (SELECT COUNT(*) FROM group_members c WHERE c.group_id = g.group_id)";

const MEMBER_COLUMNS: &str = "m.group_id, m.user_id, m.role, m.join_time, m.msg_flag,
     m.shutup_until, m.name_card, m.custom, m.read_seq";

fn group_row(r: &Row, o: usize) -> GroupRow {
    GroupRow {
        id: r.get(o),
        group_type: GroupType(r.get(o + 1)),
        name: r.get(o + 2),
        owner: r.get(o + 3),
        notification: r.get(o + 4),
        introduction: r.get(o + 5),
        face_url: r.get(o + 6),
        add_option: GroupAddOption(r.get(o + 7)),
        max_members: r.get::<_, i64>(o + 8) as u32,
        shutup_all: r.get::<_, i64>(o + 9) != 0,
        custom: r.get(o + 10),
        created: r.get::<_, i64>(o + 11) as u64,
        info_seq: r.get::<_, i64>(o + 12) as u64,
        last_info_time: r.get::<_, i64>(o + 13) as u64,
        last_seq: r.get::<_, i64>(o + 14) as u64,
        last_msg_time: r.get::<_, i64>(o + 15) as u64,
        member_count: r.get::<_, i64>(o + 16) as u32,
    }
}

fn member_row(r: &Row, o: usize) -> MemberRow {
    MemberRow {
        group_id: r.get(o),
        user: r.get(o + 1),
        role: GroupMemberRole(r.get(o + 2)),
        join_time: r.get::<_, i64>(o + 3) as u64,
        msg_flag: r.get(o + 4),
        shutup_until: r.get::<_, i64>(o + 5) as u64,
        name_card: r.get(o + 6),
        custom: r.get(o + 7),
        read_seq: r.get::<_, i64>(o + 8) as u64,
    }
}

const INSERT_MEMBER: &str = "INSERT INTO group_members (group_id, user_id, role, join_time)
     VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, user_id) DO NOTHING";

impl PgStore {
    async fn try_create_group(&self, g: &NewGroup) -> std::result::Result<bool, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let r = &g.row;
        let created = tx
            .execute(
                "INSERT INTO groups (group_id, group_type, name, owner, notification, introduction,
                    face_url, add_option, max_members, shutup_all, custom, created, info_seq,
                    last_info_time)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $12)
                 ON CONFLICT (group_id) DO NOTHING",
                &[
                    &r.id,
                    &r.group_type.0,
                    &r.name,
                    &r.owner,
                    &r.notification,
                    &r.introduction,
                    &r.face_url,
                    &r.add_option.0,
                    &i64::from(r.max_members),
                    &i64::from(r.shutup_all),
                    &r.custom,
                    &(r.created as i64),
                ],
            )
            .await?;
        if created == 0 {
            return Ok(false);
        }
        for (user, role) in &g.members {
            tx.execute(INSERT_MEMBER, &[&r.id, user, &role.0, &(r.created as i64)])
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn try_add_members(
        &self,
        id: &str,
        users: &[String],
        role: GroupMemberRole,
        time: u64,
    ) -> std::result::Result<Added, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(max) = tx
            .query_opt(
                "SELECT max_members FROM groups WHERE group_id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
            .map(|r| r.get::<_, i64>(0))
        else {
            return Err(Failure::Fatal(crate::store::StoreError::Database(format!(
                "no group {id:?}"
            ))));
        };
        let mut count: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM group_members WHERE group_id = $1",
                &[&id],
            )
            .await?
            .get(0);
        let mut out = Added::default();
        for user in users {
            let member = tx
                .query_opt(
                    "SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2",
                    &[&id, user],
                )
                .await?
                .is_some();
            if member {
                out.already.push(user.clone());
            } else if count >= max {
                out.full.push(user.clone());
            } else {
                tx.execute(INSERT_MEMBER, &[&id, user, &role.0, &(time as i64)])
                    .await?;
                count += 1;
                out.added.push(user.clone());
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

#[async_trait]
impl GroupStore for PgStore {
    async fn create_group(&self, group: NewGroup) -> Result<bool> {
        let group = &group;
        // A retry after a lost commit finds the group there and answers false: the caller
        // then reads it and sees its own group.
        self.retrying("create a group", || self.try_create_group(group))
            .await
    }

    async fn group(&self, id: &str) -> Result<Option<GroupRow>> {
        let row = self
            .retrying("read a group", || async {
                let client = self.pool.get().await?;
                let sql = format!("SELECT {GROUP_COLUMNS} FROM groups g WHERE g.group_id = $1");
                Ok(client.query_opt(&sql, &[&id]).await?)
            })
            .await?;
        Ok(row.map(|r| group_row(&r, 0)))
    }

    async fn member(&self, id: &str, user: &str) -> Result<Option<MemberRow>> {
        let row = self
            .retrying("read a group member", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {MEMBER_COLUMNS} FROM group_members m
                     WHERE m.group_id = $1 AND m.user_id = $2"
                );
                Ok(client.query_opt(&sql, &[&id, &user]).await?)
            })
            .await?;
        Ok(row.map(|r| member_row(&r, 0)))
    }

    async fn joined(&self, user: &str) -> Result<Vec<(GroupRow, MemberRow)>> {
        let rows = self
            .retrying("read the joined groups", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {GROUP_COLUMNS}, {MEMBER_COLUMNS} FROM group_members m
                     JOIN groups g ON g.group_id = m.group_id
                     WHERE m.user_id = $1 ORDER BY m.group_id"
                );
                Ok(client.query(&sql, &[&user]).await?)
            })
            .await?;
        Ok(rows
            .iter()
            .map(|r| (group_row(r, 0), member_row(r, 17)))
            .collect())
    }

    async fn members(&self, id: &str, offset: u64, limit: u32) -> Result<Vec<MemberRow>> {
        let offset = offset.min(i64::MAX as u64) as i64;
        let rows = self
            .retrying("read group members", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {MEMBER_COLUMNS} FROM group_members m
                     WHERE m.group_id = $1 ORDER BY m.user_id LIMIT $3 OFFSET $2"
                );
                Ok(client
                    .query(&sql, &[&id, &offset, &i64::from(limit)])
                    .await?)
            })
            .await?;
        Ok(rows.iter().map(|r| member_row(r, 0)).collect())
    }

    async fn add_members(
        &self,
        id: &str,
        users: Vec<String>,
        role: GroupMemberRole,
        time: u64,
    ) -> Result<Added> {
        let users = &users;
        self.retrying("add group members", || {
            self.try_add_members(id, users, role, time)
        })
        .await
    }

    async fn remove_members(&self, id: &str, users: Vec<String>) -> Result<Vec<String>> {
        let users = &users;
        let rows = self
            .retrying("remove group members", || async move {
                let client = self.pool.get().await?;
                Ok(client
                    .query(
                        "DELETE FROM group_members WHERE group_id = $1 AND user_id = ANY($2)
                         RETURNING user_id",
                        &[&id, users],
                    )
                    .await?)
            })
            .await?;
        let gone: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        Ok(users.iter().filter(|u| gone.contains(u)).cloned().collect())
    }

    async fn dismiss(&self, id: &str) -> Result<bool> {
        self.retrying("dismiss a group", || async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            tx.execute("DELETE FROM group_members WHERE group_id = $1", &[&id])
                .await?;
            let n = tx
                .execute("DELETE FROM groups WHERE group_id = $1", &[&id])
                .await?;
            tx.commit().await?;
            Ok(n > 0)
        })
        .await
    }
}
