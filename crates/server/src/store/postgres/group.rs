//! [`GroupStore`] on PostgreSQL. Changes of a group's membership lock its row, so the member
//! cap holds across nodes.

use async_trait::async_trait;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
use opentim_protocol::{GroupEntry, GroupRevoke, WireMessage};
use tokio_postgres::{Row, Transaction};

use super::{clamp, inbox_entry, lock_conversation, row_to_wire, Failure, PgStore, WIRE_COLUMNS};
use crate::store::group::{apply_attr_change, group_key, ROW_MESSAGE, ROW_REVOKE};
use crate::store::ViewChange;
use crate::store::{
    Added, AttrChange, AttrLimits, AttrOutcome, GroupConv, GroupPatch, GroupRow, GroupStore,
    GroupStored, MemberPatch, MemberRow, NewGroup, NewGroupMessage, Notice, ReadMark, Result,
    StoreError,
};

const KIND_GROUP: i32 = crate::store::KIND_GROUP as i32;
const KIND_READ: i32 = crate::store::KIND_READ as i32;
const KIND_DELETE: i32 = crate::store::KIND_DELETE as i32;
const KIND_CLEAR: i32 = crate::store::KIND_CLEAR as i32;
const KIND_PIN: i32 = crate::store::KIND_PIN as i32;
const KIND_CONV_DELETE: i32 = crate::store::KIND_CONV_DELETE as i32;

const GROUP_COLUMNS: &str = "g.group_id, g.group_type, g.name, g.owner, g.notification,
     g.introduction, g.face_url, g.add_option, g.max_members, g.shutup_all, g.custom, g.created,
     g.info_seq, g.last_info_time, g.last_seq, g.last_msg_time,
     (SELECT COUNT(*) FROM group_members c WHERE c.group_id = g.group_id), g.visible,
     g.searchable";

/// How many columns `GROUP_COLUMNS` has.
const GROUP_WIDTH: usize = 19;

pub(super) const MEMBER_COLUMNS: &str = "m.group_id, m.user_id, m.role, m.join_time, m.msg_flag,
     m.shutup_until, m.name_card, m.custom, m.read_seq, m.join_seq";

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
        visible: r.get::<_, i64>(o + 17) as u32,
        searchable: r.get::<_, i64>(o + 18) as u32,
    }
}

pub(super) fn member_row(r: &Row, o: usize) -> MemberRow {
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
        join_seq: r.get::<_, i64>(o + 9) as u64,
    }
}

/// The columns of [`entry_row`]: a stream row, and for a recall the row it recalls.
const ENTRY_COLUMNS: &str = "m.kind, m.target, t.sender, t.rand, t.server_time";

/// A stream entry from a row of `ENTRY_COLUMNS, WIRE_COLUMNS`.
fn entry_row(r: &Row, group_id: &str) -> Result<GroupEntry> {
    let wire = row_to_wire(r, 5)?;
    let revoke = match r.get::<_, i64>(0) {
        ROW_REVOKE => Some(GroupRevoke {
            seq: r.get::<_, i64>(1) as u64,
            from: r.get::<_, Option<String>>(2).unwrap_or_default(),
            rand: r.get::<_, Option<i64>>(3).unwrap_or(0) as u64,
            time: r.get::<_, Option<i64>>(4).unwrap_or(0) as u64,
            by: wire.from.clone(),
        }),
        _ => None,
    };
    Ok(GroupEntry {
        group_id: group_id.to_owned(),
        seq: wire.seq,
        message: revoke.is_none().then_some(wire),
        revoke,
    })
}

/// The next seq of the stream `key` (taking its counter row for the rest of `tx`).
async fn next_seq(tx: &Transaction<'_>, key: &str) -> std::result::Result<i64, Failure> {
    Ok(tx
        .query_one(
            "INSERT INTO counters (name, value) VALUES ($1, 1)
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
            &[&key],
        )
        .await?
        .get(0))
}

/// Lock group `id`'s row for the rest of `tx` (every change of its membership or profile
/// takes it first); false when there is no such group.
async fn lock_group(tx: &Transaction<'_>, id: &str) -> std::result::Result<bool, Failure> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM groups WHERE group_id = $1 FOR UPDATE",
            &[&id],
        )
        .await?
        .is_some())
}

/// The seq of the newest entry of the stream `key`, its counter row locked for the rest of
/// `tx` (so the stream does not grow meanwhile).
async fn current_seq_locked(c: &Transaction<'_>, key: &str) -> std::result::Result<i64, Failure> {
    Ok(c.query_opt(
        "SELECT value FROM counters WHERE name = $1 FOR UPDATE",
        &[&key],
    )
    .await?
    .map_or(0, |r| r.get(0)))
}

/// The seq of the newest entry of the stream `key`.
async fn current_seq(c: &Transaction<'_>, key: &str) -> std::result::Result<i64, Failure> {
    Ok(
        c.query_opt("SELECT value FROM counters WHERE name = $1", &[&key])
            .await?
            .map_or(0, |r| r.get(0)),
    )
}

/// Add `user` to group `id` in `tx` (see the SQLite writer's `insert_member`).
async fn insert_member(
    tx: &Transaction<'_>,
    id: &str,
    user: &str,
    role: GroupMemberRole,
    time: u64,
    join_seq: i64,
) -> std::result::Result<Option<u64>, Failure> {
    let n = tx
        .execute(
            "INSERT INTO group_members (group_id, user_id, role, join_time, join_seq, read_seq)
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (group_id, user_id) DO NOTHING",
            &[&id, &user, &role.0, &(time as i64), &join_seq],
        )
        .await?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(
        inbox_entry(tx, user, (KIND_GROUP, &group_key(id), join_seq, 1)).await?,
    ))
}

/// Remove `users` from group `id` in `tx`, each told by a `group` entry (left).
async fn delete_members(
    tx: &Transaction<'_>,
    id: &str,
    users: &[String],
) -> std::result::Result<Vec<Notice>, Failure> {
    let key = group_key(id);
    let seq = current_seq(tx, &key).await?;
    let rows = tx
        .query(
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = ANY($2)
             RETURNING user_id",
            &[&id, &users],
        )
        .await?;
    let mut gone: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    // Inbox counters in user-id order, as every transaction takes them.
    gone.sort_unstable();
    let mut cursors = std::collections::HashMap::new();
    for u in &gone {
        let c = inbox_entry(tx, u, (KIND_GROUP, &key, seq, 0)).await?;
        cursors.insert(u.clone(), c);
    }
    Ok(users
        .iter()
        .filter_map(|u| {
            cursors.remove(u).map(|cursor| Notice {
                user: u.clone(),
                cursor,
                seq: seq as u64,
            })
        })
        .collect())
}

impl PgStore {
    async fn try_create_group(
        &self,
        g: &NewGroup,
    ) -> std::result::Result<Option<Vec<Notice>>, Failure> {
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
            return Ok(None);
        }
        let mut members: Vec<&(String, GroupMemberRole)> = g.members.iter().collect();
        members.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut notices = Vec::new();
        for (user, role) in members {
            if let Some(cursor) = insert_member(&tx, &r.id, user, *role, r.created, 0).await? {
                notices.push(Notice {
                    user: user.clone(),
                    cursor,
                    seq: 0,
                });
            }
        }
        tx.commit().await?;
        Ok(Some(notices))
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
        let join_seq = current_seq(&tx, &group_key(id)).await?;
        let mut out = Added::default();
        // Inbox counters in user-id order, as every transaction takes them; the answer keeps
        // the order asked.
        let asked = users;
        let mut users: Vec<&String> = users.iter().collect();
        users.sort_unstable();
        users.dedup();
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
            } else if let Some(cursor) = insert_member(&tx, id, user, role, time, join_seq).await? {
                count += 1;
                out.added.push(user.clone());
                out.notices.push(Notice {
                    user: user.clone(),
                    cursor,
                    seq: join_seq as u64,
                });
            }
        }
        tx.commit().await?;
        let place = |u: &String| asked.iter().position(|a| a == u);
        out.added.sort_by_key(place);
        out.already.sort_by_key(place);
        out.full.sort_by_key(place);
        out.notices.sort_by_key(|n| place(&n.user));
        Ok(out)
    }
}

impl PgStore {
    async fn try_update_group(
        &self,
        id: &str,
        p: &GroupPatch,
        time: u64,
    ) -> std::result::Result<Option<GroupRow>, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(old_owner) = tx
            .query_opt(
                "SELECT owner FROM groups WHERE group_id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
            .map(|r| r.get::<_, String>(0))
        else {
            return Ok(None);
        };
        if let Some(owner) = p.owner.as_ref().filter(|o| **o != old_owner) {
            let set = "UPDATE group_members SET role = $3 WHERE group_id = $1 AND user_id = $2";
            if tx
                .execute(set, &[&id, owner, &GroupMemberRole::OWNER.0])
                .await?
                == 0
            {
                return Ok(None);
            }
            tx.execute(set, &[&id, &old_owner, &GroupMemberRole::NORMAL.0])
                .await?;
        }
        tx.execute(
            "UPDATE groups SET name = COALESCE($2, name),
                notification = COALESCE($3, notification),
                introduction = COALESCE($4, introduction), face_url = COALESCE($5, face_url),
                add_option = COALESCE($6, add_option), max_members = COALESCE($7, max_members),
                visible = COALESCE($8, visible), searchable = COALESCE($9, searchable),
                shutup_all = COALESCE($10, shutup_all), custom = COALESCE($11, custom),
                owner = COALESCE($12, owner), info_seq = info_seq + 1, last_info_time = $13
             WHERE group_id = $1",
            &[
                &id,
                &p.name,
                &p.notification,
                &p.introduction,
                &p.face_url,
                &p.add_option.map(|o| o.0),
                &p.max_members.map(i64::from),
                &p.visible.map(i64::from),
                &p.searchable.map(i64::from),
                &p.shutup_all.map(i64::from),
                &p.custom,
                &p.owner,
                &(time as i64),
            ],
        )
        .await?;
        let sql = format!("SELECT {GROUP_COLUMNS} FROM groups g WHERE g.group_id = $1");
        let row = tx.query_opt(&sql, &[&id]).await?;
        tx.commit().await?;
        Ok(row.map(|r| group_row(&r, 0)))
    }
}

impl PgStore {
    async fn try_change_view(
        &self,
        id: &str,
        user: &str,
        change: &ViewChange,
    ) -> std::result::Result<Option<Vec<(u64, u64)>>, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let key = group_key(id);
        // The group's counter first, as every write to the group's stream takes it.
        let last = current_seq_locked(&tx, &key).await?;
        let Some(row) = tx
            .query_opt(
                "SELECT GREATEST(join_seq, cleared_seq), pinned, hidden_seq * hidden
                 FROM group_members WHERE group_id = $1 AND user_id = $2 FOR UPDATE",
                &[&id, &user],
            )
            .await?
        else {
            return Ok(None);
        };
        let (start, pinned, hidden_at): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        let mut out = Vec::new();
        match change {
            ViewChange::Delete(seqs) => {
                for &seq in seqs {
                    let seq = clamp(seq);
                    if seq <= start {
                        continue;
                    }
                    let n = tx
                        .execute(
                            &format!(
                                "INSERT INTO hidden_messages (owner, conv_key, seq)
                                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM messages
                                     WHERE conv_key = $2 AND seq = $3 AND kind = {ROW_MESSAGE})
                                 ON CONFLICT DO NOTHING"
                            ),
                            &[&user, &key, &seq],
                        )
                        .await?;
                    if n > 0 {
                        let c = inbox_entry(&tx, user, (KIND_DELETE, &key, seq, 0)).await?;
                        out.push((seq as u64, c));
                    }
                }
            }
            ViewChange::Clear if last > start => {
                tx.execute(
                    "UPDATE group_members SET cleared_seq = $3, read_seq = GREATEST(read_seq, $3)
                     WHERE group_id = $1 AND user_id = $2",
                    &[&id, &user, &last],
                )
                .await?;
                let c = inbox_entry(&tx, user, (KIND_CLEAR, &key, last, 0)).await?;
                out.push((last as u64, c));
            }
            ViewChange::Pin(p) if i64::from(*p) != pinned => {
                tx.execute(
                    "UPDATE group_members SET pinned = $3 WHERE group_id = $1 AND user_id = $2",
                    &[&id, &user, &i64::from(*p)],
                )
                .await?;
                let c = inbox_entry(&tx, user, (KIND_PIN, &key, 0, i64::from(*p))).await?;
                out.push((0, c));
            }
            ViewChange::Hide if hidden_at < last.max(1) => {
                tx.execute(
                    "UPDATE group_members SET hidden = 1, hidden_seq = $3,
                        read_seq = GREATEST(read_seq, $3) WHERE group_id = $1 AND user_id = $2",
                    &[&id, &user, &last],
                )
                .await?;
                let c = inbox_entry(&tx, user, (KIND_CONV_DELETE, &key, last, 0)).await?;
                out.push((last as u64, c));
            }
            ViewChange::Clear | ViewChange::Pin(_) | ViewChange::Hide => {}
        }
        tx.commit().await?;
        Ok(Some(out))
    }

    async fn try_change_attributes(
        &self,
        id: &str,
        change: &AttrChange,
        limits: AttrLimits,
    ) -> std::result::Result<Option<AttrOutcome>, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if !lock_group(&tx, id).await? {
            return Ok(None);
        }
        let current = read_attributes(&tx, id).await?;
        let next = match apply_attr_change(current, change, limits) {
            Ok(next) => next,
            Err(why) => return Ok(Some(AttrOutcome::OverLimit(why))),
        };
        tx.execute("DELETE FROM group_attributes WHERE group_id = $1", &[&id])
            .await?;
        for (k, v) in &next {
            tx.execute(
                "INSERT INTO group_attributes (group_id, attr_key, value) VALUES ($1, $2, $3)",
                &[&id, k, v],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(AttrOutcome::Changed(next)))
    }
}

/// Group `id`'s attributes, by key.
async fn read_attributes(
    c: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> std::result::Result<Vec<(String, String)>, tokio_postgres::Error> {
    let rows = c
        .query(
            "SELECT attr_key, value FROM group_attributes WHERE group_id = $1 ORDER BY attr_key",
            &[&id],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

#[async_trait]
impl GroupStore for PgStore {
    async fn follow_notice(&self, id: &str, user: &str, joined: bool) -> Result<Option<Notice>> {
        self.retrying("tell a member they follow a group", || async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let key = group_key(id);
            let seq = current_seq_locked(&tx, &key).await?;
            if tx
                .query_opt(
                    "SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2",
                    &[&id, &user],
                )
                .await?
                .is_none()
            {
                return Ok(None);
            }
            let cursor = inbox_entry(&tx, user, (KIND_GROUP, &key, seq, i64::from(joined))).await?;
            tx.commit().await?;
            Ok(Some(Notice {
                user: user.to_owned(),
                cursor,
                seq: seq as u64,
            }))
        })
        .await
    }

    async fn change_view(
        &self,
        id: &str,
        user: &str,
        change: ViewChange,
    ) -> Result<Option<Vec<(u64, u64)>>> {
        let change = &change;
        self.retrying("change a member's view of a group", || {
            self.try_change_view(id, user, change)
        })
        .await
    }

    async fn change_attributes(
        &self,
        id: &str,
        change: AttrChange,
        limits: AttrLimits,
    ) -> Result<Option<AttrOutcome>> {
        let change = &change;
        self.retrying("change a group's attributes", || {
            self.try_change_attributes(id, change, limits)
        })
        .await
    }

    async fn attributes(&self, id: &str) -> Result<Vec<(String, String)>> {
        self.retrying("read a group's attributes", || async {
            let client = self.pool.get().await?;
            Ok(read_attributes(&client, id).await?)
        })
        .await
    }

    async fn update_group(
        &self,
        id: &str,
        patch: GroupPatch,
        time: u64,
    ) -> Result<Option<GroupRow>> {
        let patch = &patch;
        self.retrying("change a group's profile", || {
            self.try_update_group(id, patch, time)
        })
        .await
    }

    async fn update_member(
        &self,
        id: &str,
        user: &str,
        patch: MemberPatch,
    ) -> Result<Option<MemberRow>> {
        let p = &patch;
        let sql = "UPDATE group_members m SET role = COALESCE($3, role),
                msg_flag = COALESCE($4, msg_flag), shutup_until = COALESCE($5, shutup_until),
                name_card = COALESCE($6, name_card), custom = COALESCE($7, custom)
             WHERE m.group_id = $1 AND m.user_id = $2"
            .to_owned()
            + " RETURNING "
            + MEMBER_COLUMNS;
        let row = self
            .retrying("change a group member", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_opt(
                        &sql,
                        &[
                            &id,
                            &user,
                            &p.role.map(|r| r.0),
                            &p.msg_flag,
                            &p.shutup_until.map(clamp),
                            &p.name_card,
                            &p.custom,
                        ],
                    )
                    .await?)
            })
            .await?;
        Ok(row.map(|r| member_row(&r, 0)))
    }

    async fn managers(&self, id: &str) -> Result<Vec<String>> {
        let rows = self
            .retrying("read a group's owner and admins", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query(
                        "SELECT user_id FROM group_members WHERE group_id = $1
                         AND role IN ($2, $3) ORDER BY role DESC, user_id",
                        &[&id, &GroupMemberRole::ADMIN.0, &GroupMemberRole::OWNER.0],
                    )
                    .await?)
            })
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn create_group(&self, group: NewGroup) -> Result<Option<Vec<Notice>>> {
        let group = &group;
        // A retry after a lost commit finds the group there and answers `None`: the caller
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

    async fn group_ids(&self, after: &str, limit: u32) -> Result<(Vec<(String, GroupType)>, u64)> {
        let limit = i64::from(limit);
        let (rows, total) = self
            .retrying("list the groups", || async {
                let client = self.pool.get().await?;
                let rows = client
                    .query(
                        "SELECT group_id, group_type FROM groups WHERE group_id > $1
                         ORDER BY group_id LIMIT $2",
                        &[&after, &limit],
                    )
                    .await?;
                let total = client.query_one("SELECT COUNT(*) FROM groups", &[]).await?;
                Ok((rows, total))
            })
            .await?;
        let ids = rows
            .iter()
            .map(|r| (r.get::<_, String>(0), GroupType(r.get::<_, i64>(1))))
            .collect();
        Ok((ids, total.get::<_, i64>(0).max(0) as u64))
    }

    async fn joined_count(&self, user: &str) -> Result<u64> {
        let row = self
            .retrying("count the joined groups", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_one(
                        "SELECT COUNT(*) FROM group_members WHERE user_id = $1",
                        &[&user],
                    )
                    .await?)
            })
            .await?;
        Ok(row.get::<_, i64>(0) as u64)
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
            .map(|r| (group_row(r, 0), member_row(r, GROUP_WIDTH)))
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

    async fn remove_members(&self, id: &str, users: Vec<String>) -> Result<Vec<Notice>> {
        let users = &users;
        self.retrying("remove group members", || async move {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            // The group's row first, as every change of its membership takes it.
            lock_group(&tx, id).await?;
            let notices = delete_members(&tx, id, users).await?;
            tx.commit().await?;
            Ok(notices)
        })
        .await
    }

    async fn dismiss(&self, id: &str) -> Result<Option<Vec<Notice>>> {
        self.retrying("dismiss a group", || async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            if !lock_group(&tx, id).await? {
                return Ok(None);
            }
            let members: Vec<String> = tx
                .query(
                    "SELECT user_id FROM group_members WHERE group_id = $1",
                    &[&id],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let notices = delete_members(&tx, id, &members).await?;
            tx.execute("DELETE FROM groups WHERE group_id = $1", &[&id])
                .await?;
            tx.commit().await?;
            Ok(Some(notices))
        })
        .await
    }

    async fn append_group(&self, msgs: Vec<NewGroupMessage>) -> Vec<Result<GroupStored>> {
        let mut out = Vec::with_capacity(msgs.len());
        for msg in &msgs {
            out.push(
                self.retrying("store a group message", || self.try_append_group(msg))
                    .await,
            );
        }
        out
    }

    async fn group_entries(&self, id: &str, after: u64, limit: u32) -> Result<Vec<GroupEntry>> {
        let key = group_key(id);
        let rows = self
            .retrying("read a group's messages", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {ENTRY_COLUMNS}, {WIRE_COLUMNS} FROM messages m
                     LEFT JOIN messages t ON m.kind = {ROW_REVOKE} AND t.conv_key = m.conv_key
                                          AND t.seq = m.target
                     WHERE m.conv_key = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"
                );
                Ok(client
                    .query(&sql, &[&key, &clamp(after), &i64::from(limit)])
                    .await?)
            })
            .await?;
        rows.iter().map(|r| entry_row(r, id)).collect()
    }

    async fn group_history(
        &self,
        id: &str,
        user: &str,
        before: u64,
        limit: u32,
    ) -> Result<Vec<WireMessage>> {
        let key = group_key(id);
        let rows = self
            .retrying("read a group's history", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {WIRE_COLUMNS} FROM messages m WHERE m.conv_key = $1 AND m.seq < $2
                     AND m.kind = {ROW_MESSAGE}
                     AND m.seq > COALESCE((SELECT GREATEST(join_seq, cleared_seq) FROM group_members
                                           WHERE group_id = $4 AND user_id = $5), 0)
                     AND NOT EXISTS (SELECT 1 FROM hidden_messages h
                                     WHERE h.owner = $5 AND h.conv_key = $1 AND h.seq = m.seq)
                     ORDER BY m.seq DESC LIMIT $3"
                );
                Ok(client
                    .query(&sql, &[&key, &clamp(before), &i64::from(limit), &id, &user])
                    .await?)
            })
            .await?;
        rows.iter().map(|r| row_to_wire(r, 0)).collect()
    }

    async fn group_message(&self, id: &str, seq: u64) -> Result<Option<WireMessage>> {
        let key = group_key(id);
        let row = self
            .retrying("read a group message", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {WIRE_COLUMNS} FROM messages m
                     WHERE m.conv_key = $1 AND m.seq = $2 AND m.kind = {ROW_MESSAGE}"
                );
                Ok(client.query_opt(&sql, &[&key, &clamp(seq)]).await?)
            })
            .await?;
        row.map(|r| row_to_wire(&r, 0)).transpose()
    }

    async fn revoke_group(
        &self,
        id: &str,
        seq: u64,
        by: &str,
        time: u64,
    ) -> Result<Option<GroupEntry>> {
        self.retrying("recall a group message", || {
            self.try_revoke_group(id, seq, by, time)
        })
        .await
    }

    async fn mark_group_read(&self, id: &str, user: &str, seq: u64) -> Result<ReadMark> {
        self.retrying("mark a group read", || {
            self.try_mark_group_read(id, user, seq)
        })
        .await
    }

    async fn group_conversations(&self, user: &str) -> Result<Vec<GroupConv>> {
        let rows = self
            .retrying("read the group conversations", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT g.group_id, g.last_msg_time,
                        CASE m.msg_flag WHEN 1 THEN g.last_seq ELSE GREATEST(m.read_seq, m.join_seq) END,
                        (SELECT COUNT(*) FROM messages u WHERE u.conv_key = 'group' || chr(10) || g.group_id
                           AND u.seq > GREATEST(m.read_seq, m.join_seq) AND u.kind = {ROW_MESSAGE}
                           AND m.msg_flag <> 1
                           AND u.sender <> m.user_id),
                        l.seq IS NOT NULL, m.pinned <> 0, {WIRE_COLUMNS}
                     FROM group_members m JOIN groups g ON g.group_id = m.group_id
                     LEFT JOIN messages l ON l.conv_key = 'group' || chr(10) || g.group_id AND l.seq = (
                        SELECT v.seq FROM messages v WHERE v.conv_key = l.conv_key
                          AND v.kind = {ROW_MESSAGE} AND v.seq > GREATEST(m.join_seq, m.cleared_seq)
                          AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.owner = m.user_id
                                          AND h.conv_key = v.conv_key AND h.seq = v.seq)
                        ORDER BY v.seq DESC LIMIT 1)
                     WHERE m.user_id = $1 AND g.group_type <> $2
                     AND NOT (m.hidden <> 0 AND g.last_seq <= m.hidden_seq)"
                )
                .replace("m.conv_type, m.sender, m.receiver, m.seq, m.rand, m.server_time,
     m.client_msg_id, m.body, m.revoked", "l.conv_type, l.sender, l.receiver, l.seq, l.rand,
     l.server_time, l.client_msg_id, l.body, l.revoked");
                Ok(client
                    .query(&sql, &[&user, &GroupType::AV_CHAT_ROOM.0])
                    .await?)
            })
            .await?;
        rows.iter()
            .map(|r| {
                Ok(GroupConv {
                    group_id: r.get(0),
                    active_time: r.get::<_, i64>(1) as u64,
                    read_seq: r.get::<_, i64>(2) as u64,
                    unread: r.get::<_, i64>(3) as u64,
                    last: match r.get::<_, bool>(4) {
                        true => Some(row_to_wire(r, 6)?),
                        false => None,
                    },
                    pinned: r.get(5),
                })
            })
            .collect()
    }
}

impl PgStore {
    async fn try_append_group(
        &self,
        msg: &NewGroupMessage,
    ) -> std::result::Result<GroupStored, Failure> {
        let mut client = self.pool.get().await?;
        let key = group_key(&msg.group);
        let earlier = format!(
            "SELECT {ENTRY_COLUMNS}, {WIRE_COLUMNS} FROM messages m LEFT JOIN messages t ON FALSE
             WHERE m.sender = $1 AND m.client_msg_id = $2 AND m.conv_key = $3"
        );
        if let Some(r) = client
            .query_opt(&earlier, &[&msg.from, &msg.client_msg_id, &key])
            .await?
        {
            return Ok(GroupStored {
                entry: entry_row(&r, &msg.group).map_err(Failure::Fatal)?,
                duplicate: true,
            });
        }
        let body = serde_json::to_string(&msg.message)
            .map_err(|e| Failure::Fatal(StoreError::Corrupt(e.to_string())))?;
        let tx = client.transaction().await?;
        let seq = next_seq(&tx, &key).await?;
        let inserted = tx
            .execute(
                "INSERT INTO messages (conv_key, seq, conv_type, sender, receiver, client_msg_id,
                                       rand, server_time, body, sender_cursor, receiver_cursor)
                 VALUES ($1, $2, 2, $3, $4, $5, $6, $7, $8, 0, 0)",
                &[
                    &key,
                    &seq,
                    &msg.from,
                    &msg.group,
                    &msg.client_msg_id,
                    &(msg.rand as i64),
                    &(msg.server_time as i64),
                    &body,
                ],
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(e) if super::unique_violation(&e) => {
                // Stored concurrently (a retry on another node): answer with the first.
                drop(tx);
                if let Some(r) = client
                    .query_opt(&earlier, &[&msg.from, &msg.client_msg_id, &key])
                    .await?
                {
                    return Ok(GroupStored {
                        entry: entry_row(&r, &msg.group).map_err(Failure::Fatal)?,
                        duplicate: true,
                    });
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
        tx.execute(
            "UPDATE groups SET last_seq = $2, last_msg_time = $3 WHERE group_id = $1",
            &[&msg.group, &seq, &(msg.server_time as i64)],
        )
        .await?;
        // The sender has read what they answer.
        tx.execute(
            "UPDATE group_members SET read_seq = $3 WHERE group_id = $1 AND user_id = $2",
            &[&msg.group, &msg.from, &seq],
        )
        .await?;
        tx.commit().await?;
        Ok(GroupStored {
            entry: msg.entry(seq as u64),
            duplicate: false,
        })
    }

    async fn try_revoke_group(
        &self,
        id: &str,
        seq: u64,
        by: &str,
        time: u64,
    ) -> std::result::Result<Option<GroupEntry>, Failure> {
        let mut client = self.pool.get().await?;
        let key = group_key(id);
        let tx = client.transaction().await?;
        lock_conversation(&tx, &key).await?;
        let Some(target) = tx
            .query_opt(
                "UPDATE messages SET revoked = 1
                 WHERE conv_key = $1 AND seq = $2 AND kind = $3 AND revoked = 0
                 RETURNING sender, rand, server_time",
                &[&key, &clamp(seq), &ROW_MESSAGE],
            )
            .await?
        else {
            return Ok(None);
        };
        let own = next_seq(&tx, &key).await?;
        tx.execute(
            "INSERT INTO messages (conv_key, seq, conv_type, sender, receiver, client_msg_id,
                                   rand, server_time, body, sender_cursor, receiver_cursor,
                                   kind, target)
             VALUES ($1, $2, 2, $3, $4, $5, 0, $6, '{}', 0, 0, $7, $8)",
            &[
                &key,
                &own,
                &by,
                &id,
                &format!("revoke\n{id}\n{seq}"),
                &(time as i64),
                &ROW_REVOKE,
                &clamp(seq),
            ],
        )
        .await?;
        tx.execute(
            "UPDATE groups SET last_seq = $2 WHERE group_id = $1",
            &[&id, &own],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(GroupEntry {
            group_id: id.to_owned(),
            seq: own as u64,
            message: None,
            revoke: Some(GroupRevoke {
                seq,
                from: target.get(0),
                rand: target.get::<_, i64>(1) as u64,
                time: target.get::<_, i64>(2) as u64,
                by: by.to_owned(),
            }),
        }))
    }

    async fn try_mark_group_read(
        &self,
        id: &str,
        user: &str,
        seq: u64,
    ) -> std::result::Result<ReadMark, Failure> {
        let mut client = self.pool.get().await?;
        let key = group_key(id);
        let tx = client.transaction().await?;
        let Some(read) = tx
            .query_opt(
                "SELECT GREATEST(read_seq, join_seq) FROM group_members
                 WHERE group_id = $1 AND user_id = $2 FOR UPDATE",
                &[&id, &user],
            )
            .await?
            .map(|r| r.get::<_, i64>(0))
        else {
            return Ok(ReadMark {
                read_seq: 0,
                unread: 0,
                owner_cursor: None,
                peer_cursor: None,
            });
        };
        let last = current_seq(&tx, &key).await?;
        let target = match clamp(seq) {
            s if s <= 0 || s > last => last,
            s => s,
        };
        let left: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM messages WHERE conv_key = $1 AND seq > $2 AND kind = $3
                 AND sender <> $4",
                &[&key, &target.max(read), &ROW_MESSAGE, &user],
            )
            .await?
            .get(0);
        if target <= read {
            return Ok(ReadMark {
                read_seq: read as u64,
                unread: left as u64,
                owner_cursor: None,
                peer_cursor: None,
            });
        }
        tx.execute(
            "UPDATE group_members SET read_seq = $3 WHERE group_id = $1 AND user_id = $2",
            &[&id, &user, &target],
        )
        .await?;
        let cursor = inbox_entry(&tx, user, (KIND_READ, &key, target, left)).await?;
        tx.commit().await?;
        Ok(ReadMark {
            read_seq: target as u64,
            unread: left as u64,
            owner_cursor: Some(cursor),
            peer_cursor: None,
        })
    }
}
