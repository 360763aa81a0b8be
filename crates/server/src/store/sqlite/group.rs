//! [`GroupStore`] on SQLite: reads on the reader connection, writes as jobs of the writer.

use async_trait::async_trait;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
use opentim_protocol::{GroupEntry, GroupRevoke, WireMessage};
use rusqlite::{params, OptionalExtension, Row};

use super::{db_err, row_to_wire, SqliteStore, Writer, WIRE_COLUMNS};
use crate::store::group::{apply_attr_change, group_key, ROW_MESSAGE, ROW_REVOKE};
use crate::store::{
    Added, AttrChange, AttrLimits, AttrOutcome, GroupConv, GroupPatch, GroupRow, GroupStore,
    GroupStored, MemberPatch, MemberRow, NewGroup, NewGroupMessage, Notice, ReadMark, Result,
    StoreError, ViewChange, KIND_CLEAR, KIND_CONV_DELETE, KIND_DELETE, KIND_GROUP, KIND_PIN,
    KIND_READ,
};

const GROUP_COLUMNS: &str = "g.group_id, g.group_type, g.name, g.owner, g.notification,
     g.introduction, g.face_url, g.add_option, g.max_members, g.shutup_all, g.custom, g.created,
     g.info_seq, g.last_info_time, g.last_seq, g.last_msg_time,
     (SELECT COUNT(*) FROM group_members c WHERE c.group_id = g.group_id), g.visible,
     g.searchable";

/// How many columns `GROUP_COLUMNS` has.
const GROUP_WIDTH: usize = 19;

pub(super) const MEMBER_COLUMNS: &str = "m.group_id, m.user_id, m.role, m.join_time, m.msg_flag,
     m.shutup_until, m.name_card, m.custom, m.read_seq, m.join_seq";

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
        visible: r.get::<_, i64>(o + 17)? as u32,
        searchable: r.get::<_, i64>(o + 18)? as u32,
    })
}

pub(super) fn member_row(r: &Row<'_>, o: usize) -> rusqlite::Result<MemberRow> {
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
        join_seq: r.get::<_, i64>(o + 9)? as u64,
    })
}

/// The columns of [`entry_row`]: a stream row, and for a recall the row it recalls.
const ENTRY_COLUMNS: &str = "m.kind, m.target, t.sender, t.rand, t.server_time";

/// A stream entry from a row of `ENTRY_COLUMNS, WIRE_COLUMNS`.
fn entry_row(r: &Row<'_>, group_id: &str) -> rusqlite::Result<GroupEntry> {
    let wire = row_to_wire(r, 5)?;
    let seq = wire.seq;
    let revoke = match r.get::<_, i64>(0)? {
        ROW_REVOKE => Some(GroupRevoke {
            seq: r.get::<_, i64>(1)? as u64,
            from: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            rand: r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
            time: r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
            by: wire.from.clone(),
        }),
        _ => None,
    };
    Ok(GroupEntry {
        group_id: group_id.to_owned(),
        seq,
        message: revoke.is_none().then_some(wire),
        revoke,
    })
}

/// Group `id`'s attributes, by key.
fn read_attributes(
    conn: &rusqlite::Connection,
    id: &str,
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT attr_key, value FROM group_attributes WHERE group_id = ?1 ORDER BY attr_key",
    )?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
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

/// A profile change (the writer's job item).
pub(super) struct UpdateGroup {
    id: String,
    patch: GroupPatch,
    time: u64,
}

/// A membership change (the writer's job item).
pub(super) struct UpdateMember {
    id: String,
    user: String,
    patch: MemberPatch,
}

/// A follow notice to write (the writer's job item).
pub(super) struct FollowNotice {
    id: String,
    user: String,
    joined: bool,
}

/// A change of one member's view (the writer's job item).
pub(super) struct ChangeView {
    id: String,
    user: String,
    change: ViewChange,
}

/// An attribute change (the writer's job item).
pub(super) struct ChangeAttrs {
    id: String,
    change: AttrChange,
    limits: AttrLimits,
}

/// A group message to recall (the writer's job item).
pub(super) struct RevokeGroup {
    id: String,
    seq: u64,
    by: String,
    time: u64,
}

/// A read mark to move (the writer's job item).
pub(super) struct MarkGroupRead {
    id: String,
    user: String,
    seq: u64,
}

impl Writer {
    /// Add `user` to group `id` (nothing when a member already), their messages starting
    /// after `join_seq`, and tell them with a `group` inbox entry: its cursor, or `None` when
    /// they were a member already.
    fn insert_member(
        &mut self,
        id: &str,
        user: &str,
        role: GroupMemberRole,
        time: u64,
        join_seq: i64,
    ) -> Result<Option<u64>> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO group_members (group_id, user_id, role, join_time, join_seq, read_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (group_id, user_id) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![id, user, role.0, time as i64, join_seq]))
            .map_err(db_err)?;
        if n == 0 {
            return Ok(None);
        }
        self.entry_with(user, KIND_GROUP, &group_key(id), join_seq, 1)
            .map(Some)
    }

    /// The seq of group `id`'s newest stream entry.
    fn group_seq(&mut self, id: &str) -> Result<i64> {
        self.last_seq(&group_key(id)).map_err(db_err)
    }

    fn append_group(&mut self, msg: &NewGroupMessage) -> Result<GroupStored> {
        let key = group_key(&msg.group);
        let earlier = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS}, {WIRE_COLUMNS} FROM messages m
                 LEFT JOIN messages t ON 0
                 WHERE m.sender = ?1 AND m.client_msg_id = ?2 AND m.conv_key = ?3"
            ))
            .and_then(|mut s| {
                s.query_row(params![msg.from, msg.client_msg_id, key], |r| {
                    entry_row(r, &msg.group)
                })
                .optional()
            })
            .map_err(db_err)?;
        if let Some(entry) = earlier {
            return Ok(GroupStored {
                entry,
                duplicate: true,
            });
        }
        let seq = self.last_seq(&key).map_err(db_err)? + 1;
        let body =
            serde_json::to_string(&msg.message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn
            .prepare_cached(
                "INSERT INTO messages (conv_key, seq, conv_type, sender, receiver, client_msg_id,
                                       rand, server_time, body, sender_cursor, receiver_cursor)
                 VALUES (?1, ?2, 2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    key,
                    seq,
                    msg.from,
                    msg.group,
                    msg.client_msg_id,
                    msg.rand as i64,
                    msg.server_time as i64,
                    body
                ])
            })
            .map_err(db_err)?;
        self.conn
            .prepare_cached(
                "UPDATE groups SET last_seq = ?2, last_msg_time = ?3 WHERE group_id = ?1",
            )
            .and_then(|mut s| s.execute(params![msg.group, seq, msg.server_time as i64]))
            .map_err(db_err)?;
        // The sender has read what they answer.
        self.conn
            .prepare_cached(
                "UPDATE group_members SET read_seq = ?3 WHERE group_id = ?1 AND user_id = ?2",
            )
            .and_then(|mut s| s.execute(params![msg.group, msg.from, seq]))
            .map_err(db_err)?;
        self.seqs.insert(key, seq);
        Ok(GroupStored {
            entry: msg.entry(seq as u64),
            duplicate: false,
        })
    }

    fn revoke_group(&mut self, r: &RevokeGroup) -> Result<Option<GroupEntry>> {
        let key = group_key(&r.id);
        let target = self
            .conn
            .prepare_cached(
                "UPDATE messages SET revoked = 1
                 WHERE conv_key = ?1 AND seq = ?2 AND kind = ?3 AND revoked = 0
                 RETURNING sender, rand, server_time",
            )
            .and_then(|mut s| {
                s.query_row(params![key, r.seq as i64, ROW_MESSAGE], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                })
                .optional()
            })
            .map_err(db_err)?;
        let Some((from, rand, time)) = target else {
            return Ok(None);
        };
        let seq = self.last_seq(&key).map_err(db_err)? + 1;
        self.conn
            .prepare_cached(
                "INSERT INTO messages (conv_key, seq, conv_type, sender, receiver, client_msg_id,
                                       rand, server_time, body, sender_cursor, receiver_cursor,
                                       kind, target)
                 VALUES (?1, ?2, 2, ?3, ?4, ?5, 0, ?6, '{}', 0, 0, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    key,
                    seq,
                    r.by,
                    r.id,
                    format!("revoke\n{}\n{}", r.id, r.seq),
                    r.time as i64,
                    ROW_REVOKE,
                    r.seq as i64
                ])
            })
            .map_err(db_err)?;
        self.conn
            .prepare_cached("UPDATE groups SET last_seq = ?2 WHERE group_id = ?1")
            .and_then(|mut s| s.execute(params![r.id, seq]))
            .map_err(db_err)?;
        self.seqs.insert(key, seq);
        Ok(Some(GroupEntry {
            group_id: r.id.clone(),
            seq: seq as u64,
            message: None,
            revoke: Some(GroupRevoke {
                seq: r.seq,
                rand: rand as u64,
                time: time as u64,
                from,
                by: r.by.clone(),
            }),
        }))
    }

    fn mark_group_read(&mut self, m: &MarkGroupRead) -> Result<ReadMark> {
        let key = group_key(&m.id);
        let read: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT MAX(read_seq, join_seq) FROM group_members WHERE group_id = ?1 AND user_id = ?2",
            )
            .and_then(|mut s| s.query_row(params![m.id, m.user], |r| r.get(0)).optional())
            .map_err(db_err)?;
        let Some(read) = read else {
            return Ok(ReadMark {
                read_seq: 0,
                unread: 0,
                owner_cursor: None,
                peer_cursor: None,
            });
        };
        let last = self.last_seq(&key).map_err(db_err)?;
        let target = match m.seq as i64 {
            s if s <= 0 || s > last => last,
            s => s,
        };
        let left: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM messages WHERE conv_key = ?1 AND seq > ?2 AND kind = ?3
                 AND sender <> ?4",
            )
            .and_then(|mut s| {
                s.query_row(params![key, target.max(read), ROW_MESSAGE, m.user], |r| {
                    r.get(0)
                })
            })
            .map_err(db_err)?;
        if target <= read {
            return Ok(ReadMark {
                read_seq: read as u64,
                unread: left as u64,
                owner_cursor: None,
                peer_cursor: None,
            });
        }
        self.conn
            .prepare_cached(
                "UPDATE group_members SET read_seq = ?3 WHERE group_id = ?1 AND user_id = ?2",
            )
            .and_then(|mut s| s.execute(params![m.id, m.user, target]))
            .map_err(db_err)?;
        let cursor = self.entry_with(&m.user, KIND_READ, &key, target, left)?;
        Ok(ReadMark {
            read_seq: target as u64,
            unread: left as u64,
            owner_cursor: Some(cursor),
            peer_cursor: None,
        })
    }

    fn create_group(&mut self, g: &NewGroup) -> Result<Option<Vec<Notice>>> {
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
            return Ok(None);
        }
        let mut notices = Vec::new();
        for (user, role) in &g.members {
            if let Some(cursor) = self.insert_member(&r.id, user, *role, r.created, 0)? {
                notices.push(Notice {
                    user: user.clone(),
                    cursor,
                    seq: 0,
                });
            }
        }
        Ok(Some(notices))
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
        let join_seq = self.group_seq(&a.id)?;
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
            } else if let Some(cursor) =
                self.insert_member(&a.id, user, a.role, a.time, join_seq)?
            {
                count += 1;
                out.added.push(user.clone());
                out.notices.push(Notice {
                    user: user.clone(),
                    cursor,
                    seq: join_seq as u64,
                });
            }
        }
        Ok(out)
    }

    fn remove_members(&mut self, r: &RemoveMembers) -> Result<Vec<Notice>> {
        let (key, seq) = (group_key(&r.id), self.group_seq(&r.id)?);
        let mut out = Vec::new();
        for user in &r.users {
            let n = self
                .conn
                .prepare_cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")
                .and_then(|mut s| s.execute(params![r.id, user]))
                .map_err(db_err)?;
            if n > 0 {
                let cursor = self.entry_with(user, KIND_GROUP, &key, seq, 0)?;
                out.push(Notice {
                    user: user.clone(),
                    cursor,
                    seq: seq as u64,
                });
            }
        }
        Ok(out)
    }

    fn update_group(&mut self, u: &UpdateGroup) -> Result<Option<GroupRow>> {
        let p = &u.patch;
        let old_owner: Option<String> = self
            .conn
            .prepare_cached("SELECT owner FROM groups WHERE group_id = ?1")
            .and_then(|mut s| s.query_row([&u.id], |r| r.get(0)).optional())
            .map_err(db_err)?;
        let Some(old_owner) = old_owner else {
            return Ok(None);
        };
        if let Some(owner) = p.owner.as_ref().filter(|o| **o != old_owner) {
            let member = self
                .conn
                .prepare_cached("SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2")
                .and_then(|mut s| s.exists(params![u.id, owner]))
                .map_err(db_err)?;
            if !member {
                return Ok(None);
            }
            let mut set_role = self
                .conn
                .prepare_cached(
                    "UPDATE group_members SET role = ?3 WHERE group_id = ?1 AND user_id = ?2",
                )
                .map_err(db_err)?;
            set_role
                .execute(params![u.id, owner, GroupMemberRole::OWNER.0])
                .and_then(|_| set_role.execute(params![u.id, old_owner, GroupMemberRole::NORMAL.0]))
                .map_err(db_err)?;
        }
        self.conn
            .prepare_cached(
                "UPDATE groups SET name = COALESCE(?2, name),
                    notification = COALESCE(?3, notification),
                    introduction = COALESCE(?4, introduction), face_url = COALESCE(?5, face_url),
                    add_option = COALESCE(?6, add_option), max_members = COALESCE(?7, max_members),
                    visible = COALESCE(?8, visible), searchable = COALESCE(?9, searchable),
                    shutup_all = COALESCE(?10, shutup_all), custom = COALESCE(?11, custom),
                    owner = COALESCE(?12, owner), info_seq = info_seq + 1, last_info_time = ?13
                 WHERE group_id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    u.id,
                    p.name,
                    p.notification,
                    p.introduction,
                    p.face_url,
                    p.add_option.map(|o| o.0),
                    p.max_members,
                    p.visible,
                    p.searchable,
                    p.shutup_all.map(i64::from),
                    p.custom,
                    p.owner,
                    u.time as i64
                ])
            })
            .map_err(db_err)?;
        self.conn
            .prepare_cached(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.group_id = ?1"
            ))
            .and_then(|mut s| s.query_row([&u.id], |r| group_row(r, 0)).optional())
            .map_err(db_err)
    }

    fn update_member(&mut self, u: &UpdateMember) -> Result<Option<MemberRow>> {
        let p = &u.patch;
        let n = self
            .conn
            .prepare_cached(
                "UPDATE group_members SET role = COALESCE(?3, role),
                    msg_flag = COALESCE(?4, msg_flag), shutup_until = COALESCE(?5, shutup_until),
                    name_card = COALESCE(?6, name_card), custom = COALESCE(?7, custom)
                 WHERE group_id = ?1 AND user_id = ?2",
            )
            .and_then(|mut s| {
                s.execute(params![
                    u.id,
                    u.user,
                    p.role.map(|r| r.0),
                    p.msg_flag,
                    p.shutup_until.map(|t| t.min(i64::MAX as u64) as i64),
                    p.name_card,
                    p.custom
                ])
            })
            .map_err(db_err)?;
        if n == 0 {
            return Ok(None);
        }
        self.conn
            .prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS} FROM group_members m WHERE m.group_id = ?1 AND m.user_id = ?2"
            ))
            .and_then(|mut s| s.query_row(params![u.id, u.user], |r| member_row(r, 0)).optional())
            .map_err(db_err)
    }

    fn follow_notice(&mut self, f: &FollowNotice) -> Result<Option<Notice>> {
        let member = self
            .conn
            .prepare_cached("SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2")
            .and_then(|mut s| s.exists(params![f.id, f.user]))
            .map_err(db_err)?;
        if !member {
            return Ok(None);
        }
        let seq = self.group_seq(&f.id)?;
        let cursor = self.entry_with(
            &f.user,
            KIND_GROUP,
            &group_key(&f.id),
            seq,
            i64::from(f.joined),
        )?;
        Ok(Some(Notice {
            user: f.user.clone(),
            cursor,
            seq: seq as u64,
        }))
    }

    fn change_view(&mut self, v: &ChangeView) -> Result<Option<Vec<(u64, u64)>>> {
        let member: Option<(i64, i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT MAX(join_seq, cleared_seq), pinned, hidden_seq * hidden
                 FROM group_members WHERE group_id = ?1 AND user_id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![v.id, v.user], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(db_err)?;
        let Some((start, pinned, hidden_at)) = member else {
            return Ok(None);
        };
        let key = group_key(&v.id);
        let last = self.group_seq(&v.id)?;
        let set = |w: &mut Self, sql: &str, value: i64| -> Result<()> {
            w.conn
                .prepare_cached(sql)
                .and_then(|mut s| s.execute(params![v.id, v.user, value]))
                .map_err(db_err)
                .map(drop)
        };
        let mut out = Vec::new();
        match &v.change {
            ViewChange::Delete(seqs) => {
                for &seq in seqs {
                    let seq = seq.min(i64::MAX as u64) as i64;
                    if seq <= start {
                        continue;
                    }
                    let hidden = self
                        .conn
                        .prepare_cached(&format!(
                            "INSERT INTO hidden_messages (owner, conv_key, seq)
                             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM messages
                                 WHERE conv_key = ?2 AND seq = ?3 AND kind = {ROW_MESSAGE})
                             ON CONFLICT DO NOTHING"
                        ))
                        .and_then(|mut s| s.execute(params![v.user, key, seq]))
                        .map_err(db_err)?;
                    if hidden > 0 {
                        out.push((seq as u64, self.entry(&v.user, KIND_DELETE, &key, seq)?));
                    }
                }
            }
            ViewChange::Clear if last > start => {
                set(
                    self,
                    "UPDATE group_members SET cleared_seq = ?3, read_seq = MAX(read_seq, ?3)
                     WHERE group_id = ?1 AND user_id = ?2",
                    last,
                )?;
                out.push((last as u64, self.entry(&v.user, KIND_CLEAR, &key, last)?));
            }
            ViewChange::Pin(p) if i64::from(*p) != pinned => {
                set(
                    self,
                    "UPDATE group_members SET pinned = ?3 WHERE group_id = ?1 AND user_id = ?2",
                    i64::from(*p),
                )?;
                let cursor = self.entry_with(&v.user, KIND_PIN, &key, 0, i64::from(*p))?;
                out.push((0, cursor));
            }
            ViewChange::Hide if hidden_at < last.max(1) => {
                set(
                    self,
                    "UPDATE group_members SET hidden = 1, hidden_seq = ?3,
                        read_seq = MAX(read_seq, ?3) WHERE group_id = ?1 AND user_id = ?2",
                    last,
                )?;
                out.push((
                    last as u64,
                    self.entry(&v.user, KIND_CONV_DELETE, &key, last)?,
                ));
            }
            ViewChange::Clear | ViewChange::Pin(_) | ViewChange::Hide => {}
        }
        Ok(Some(out))
    }

    fn change_attributes(&mut self, c: &ChangeAttrs) -> Result<Option<AttrOutcome>> {
        let exists = self
            .conn
            .prepare_cached("SELECT 1 FROM groups WHERE group_id = ?1")
            .and_then(|mut s| s.exists([&c.id]))
            .map_err(db_err)?;
        if !exists {
            return Ok(None);
        }
        let current = read_attributes(&self.conn, &c.id).map_err(db_err)?;
        let next = match apply_attr_change(current, &c.change, c.limits) {
            Ok(next) => next,
            Err(why) => return Ok(Some(AttrOutcome::OverLimit(why))),
        };
        self.conn
            .execute("DELETE FROM group_attributes WHERE group_id = ?1", [&c.id])
            .map_err(db_err)?;
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO group_attributes (group_id, attr_key, value) VALUES (?1, ?2, ?3)",
            )
            .map_err(db_err)?;
        for (k, v) in &next {
            insert.execute(params![c.id, k, v]).map_err(db_err)?;
        }
        Ok(Some(AttrOutcome::Changed(next)))
    }

    fn dismiss_group(&mut self, id: &String) -> Result<Option<Vec<Notice>>> {
        let members: Vec<String> = self
            .conn
            .prepare_cached("SELECT user_id FROM group_members WHERE group_id = ?1")
            .and_then(|mut s| s.query_map([id], |r| r.get(0))?.collect())
            .map_err(db_err)?;
        let users = RemoveMembers {
            id: id.clone(),
            users: members,
        };
        let notices = self.remove_members(&users)?;
        let n = self
            .conn
            .execute("DELETE FROM groups WHERE group_id = ?1", [id])
            .map_err(db_err)?;
        Ok((n > 0).then_some(notices))
    }
}

#[async_trait]
impl GroupStore for SqliteStore {
    async fn create_group(&self, group: NewGroup) -> Result<Option<Vec<Notice>>> {
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

    async fn joined_count(&self, user: &str) -> Result<u64> {
        let user = user.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT COUNT(*) FROM group_members WHERE user_id = ?1")?
                .query_row([user], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
        .await
    }

    async fn group_ids(&self, after: &str, limit: u32) -> Result<(Vec<(String, GroupType)>, u64)> {
        let after = after.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT group_id, group_type FROM groups WHERE group_id > ?1 ORDER BY group_id LIMIT ?2",
            )?;
            let ids = stmt
                .query_map(params![after, limit], |r| Ok((r.get(0)?, GroupType(r.get(1)?))))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total = conn
                .prepare_cached("SELECT COUNT(*) FROM groups")?
                .query_row([], |r| r.get::<_, i64>(0))? as u64;
            Ok((ids, total))
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
            let rows = stmt.query_map([user], |r| {
                Ok((group_row(r, 0)?, member_row(r, GROUP_WIDTH)?))
            })?;
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

    async fn remove_members(&self, id: &str, users: Vec<String>) -> Result<Vec<Notice>> {
        let job = RemoveMembers {
            id: id.to_owned(),
            users,
        };
        self.write(vec![job], Writer::remove_members)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn update_group(
        &self,
        id: &str,
        patch: GroupPatch,
        time: u64,
    ) -> Result<Option<GroupRow>> {
        let job = UpdateGroup {
            id: id.to_owned(),
            patch,
            time,
        };
        self.write(vec![job], Writer::update_group)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn update_member(
        &self,
        id: &str,
        user: &str,
        patch: MemberPatch,
    ) -> Result<Option<MemberRow>> {
        let job = UpdateMember {
            id: id.to_owned(),
            user: user.to_owned(),
            patch,
        };
        self.write(vec![job], Writer::update_member)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn follow_notice(&self, id: &str, user: &str, joined: bool) -> Result<Option<Notice>> {
        let job = FollowNotice {
            id: id.to_owned(),
            user: user.to_owned(),
            joined,
        };
        self.write(vec![job], Writer::follow_notice)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn change_view(
        &self,
        id: &str,
        user: &str,
        change: ViewChange,
    ) -> Result<Option<Vec<(u64, u64)>>> {
        let job = ChangeView {
            id: id.to_owned(),
            user: user.to_owned(),
            change,
        };
        self.write(vec![job], Writer::change_view)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn change_attributes(
        &self,
        id: &str,
        change: AttrChange,
        limits: AttrLimits,
    ) -> Result<Option<AttrOutcome>> {
        let job = ChangeAttrs {
            id: id.to_owned(),
            change,
            limits,
        };
        self.write(vec![job], Writer::change_attributes)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn attributes(&self, id: &str) -> Result<Vec<(String, String)>> {
        let id = id.to_owned();
        self.read(move |conn| read_attributes(conn, &id)).await
    }

    async fn managers(&self, id: &str) -> Result<Vec<String>> {
        let id = id.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user_id FROM group_members WHERE group_id = ?1 AND role IN (?2, ?3)
                 ORDER BY role DESC, user_id",
            )?;
            let rows = stmt.query_map(
                params![id, GroupMemberRole::ADMIN.0, GroupMemberRole::OWNER.0],
                |r| r.get(0),
            )?;
            rows.collect()
        })
        .await
    }

    async fn dismiss(&self, id: &str) -> Result<Option<Vec<Notice>>> {
        self.write(vec![id.to_owned()], Writer::dismiss_group)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn append_group(&self, msgs: Vec<NewGroupMessage>) -> Vec<Result<GroupStored>> {
        self.write(msgs, Writer::append_group).await
    }

    async fn group_entries(&self, id: &str, after: u64, limit: u32) -> Result<Vec<GroupEntry>> {
        let id = id.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS}, {WIRE_COLUMNS} FROM messages m
                 LEFT JOIN messages t ON m.kind = {ROW_REVOKE} AND t.conv_key = m.conv_key
                                      AND t.seq = m.target
                 WHERE m.conv_key = ?1 AND m.seq > ?2 ORDER BY m.seq LIMIT ?3"
            ))?;
            let rows = stmt.query_map(
                params![group_key(&id), after.min(i64::MAX as u64) as i64, limit],
                |r| entry_row(r, &id),
            )?;
            rows.collect()
        })
        .await
    }

    async fn group_history(
        &self,
        id: &str,
        user: &str,
        before: u64,
        limit: u32,
    ) -> Result<Vec<WireMessage>> {
        let (key, id, user) = (group_key(id), id.to_owned(), user.to_owned());
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {WIRE_COLUMNS} FROM messages m WHERE m.conv_key = ?1 AND m.seq < ?2
                 AND m.kind = {ROW_MESSAGE}
                 AND m.seq > COALESCE((SELECT MAX(join_seq, cleared_seq) FROM group_members
                                       WHERE group_id = ?4 AND user_id = ?5), 0)
                 AND NOT EXISTS (SELECT 1 FROM hidden_messages h
                                 WHERE h.owner = ?5 AND h.conv_key = ?1 AND h.seq = m.seq)
                 ORDER BY m.seq DESC LIMIT ?3"
            ))?;
            let rows = stmt.query_map(
                params![key, before.min(i64::MAX as u64) as i64, limit, id, user],
                |r| row_to_wire(r, 0),
            )?;
            rows.collect()
        })
        .await
    }

    async fn group_message(&self, id: &str, seq: u64) -> Result<Option<WireMessage>> {
        let key = group_key(id);
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {WIRE_COLUMNS} FROM messages m
                 WHERE m.conv_key = ?1 AND m.seq = ?2 AND m.kind = {ROW_MESSAGE}"
            ))?
            .query_row(params![key, seq.min(i64::MAX as u64) as i64], |r| {
                row_to_wire(r, 0)
            })
            .optional()
        })
        .await
    }

    async fn revoke_group(
        &self,
        id: &str,
        seq: u64,
        by: &str,
        time: u64,
    ) -> Result<Option<GroupEntry>> {
        let job = RevokeGroup {
            id: id.to_owned(),
            seq,
            by: by.to_owned(),
            time,
        };
        self.write(vec![job], Writer::revoke_group)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn mark_group_read(&self, id: &str, user: &str, seq: u64) -> Result<ReadMark> {
        let job = MarkGroupRead {
            id: id.to_owned(),
            user: user.to_owned(),
            seq,
        };
        self.write(vec![job], Writer::mark_group_read)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn group_conversations(&self, user: &str) -> Result<Vec<GroupConv>> {
        let user = user.to_owned();
        self.read(move |conn| {
            // Off the list: hidden until a message after hidden_seq.
            let groups: Vec<(String, i64, i64, i64, bool)> = conn
                .prepare_cached(
                    "SELECT g.group_id, g.last_msg_time,
                        CASE m.msg_flag WHEN 1 THEN g.last_seq ELSE m.read_seq END,
                        MAX(m.join_seq, m.cleared_seq), m.pinned <> 0
                     FROM group_members m JOIN groups g ON g.group_id = m.group_id
                     WHERE m.user_id = ?1 AND g.group_type <> ?2
                     AND NOT (m.hidden <> 0 AND g.last_seq <= m.hidden_seq)",
                )?
                .query_map(params![user, GroupType::AV_CHAT_ROOM.0], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut last = conn.prepare_cached(&format!(
                "SELECT {WIRE_COLUMNS} FROM messages m WHERE m.conv_key = ?1 AND m.kind = {ROW_MESSAGE}
                 AND m.seq > ?2 AND NOT EXISTS (SELECT 1 FROM hidden_messages h
                     WHERE h.owner = ?3 AND h.conv_key = ?1 AND h.seq = m.seq)
                 ORDER BY m.seq DESC LIMIT 1"
            ))?;
            let mut unread = conn.prepare_cached(&format!(
                "SELECT COUNT(*) FROM messages WHERE conv_key = ?1 AND seq > ?2
                 AND kind = {ROW_MESSAGE} AND sender <> ?3"
            ))?;
            let mut out = Vec::with_capacity(groups.len());
            for (group_id, time, read_seq, join_seq, pinned) in groups {
                let key = group_key(&group_id);
                let read = read_seq.max(join_seq);
                out.push(GroupConv {
                    last: last
                        .query_row(params![key, join_seq, user], |r| row_to_wire(r, 0))
                        .optional()?,
                    unread: unread.query_row(params![key, read, user], |r| r.get::<_, i64>(0))?
                        as u64,
                    group_id,
                    active_time: time as u64,
                    read_seq: read as u64,
                    pinned,
                });
            }
            Ok(out)
        })
        .await
    }
}
