//! [`LocalStore`] on SQLite: one file per user (`<dir>/<sdkappid>/<user>/opentim.db`), so two
//! processes logged in as different users never share a file.
//!
//! A batch of inbox messages costs one transaction with prepared statements: per message an
//! insert (or, for a message already cached, an update), and per conversation one upsert.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use opentim_model::conv::{ConvInfo, Draft};
use opentim_model::elem::Elem;
use opentim_model::enums::{ConvEvent, ConvType, MsgStatus};
use opentim_model::message::Message;
use opentim_model::profile::UserProfile;
use rusqlite::{params, Connection, OptionalExtension};

use super::{
    Applied, Deletion, FriendFields, LocalStore, Mark, MarkAt, RelationChange, Search, SearchGroup,
    Seed, CURSOR, RELATION_READ_TIME, RELATION_VERSION,
};
use crate::error::SdkError;

/// The searchable text of a message body (SQL over the JSON column `$b`): the words of its
/// text, custom, face, location and file elements.
macro_rules! body_text {
    ($b:literal) => {
        concat!(
            "(SELECT group_concat(v, ' ') FROM (SELECT ",
            "COALESCE(json_extract(e.value, '$.text_elem_content'), '') || ' ' || ",
            "COALESCE(json_extract(e.value, '$.custom_elem_data'), '') || ' ' || ",
            "COALESCE(json_extract(e.value, '$.custom_elem_desc'), '') || ' ' || ",
            "COALESCE(json_extract(e.value, '$.custom_elem_ext'), '') || ' ' || ",
            "COALESCE(json_extract(e.value, '$.face_elem_buf'), '') || ' ' || ",
            "COALESCE(json_extract(e.value, '$.location_elem_desc'), '') || ' ' || ",
            "COALESCE(json_extract(e.value, '$.file_elem_file_name'), '') AS v ",
            "FROM json_each(",
            $b,
            ", '$.message_elem_array') e))"
        )
    };
}

/// SQL of a friend's nickname (its user profile's) in the JSON `$body` of a relations row.
macro_rules! friend_nick {
    ($body:literal) => {
        concat!(
            "coalesce(json_extract(",
            $body,
            ", '$.friend_profile_user_profile.user_profile_nick_name'), '')"
        )
    };
}

/// SQL of a friend's remark in the JSON `$body` of a relations row.
macro_rules! friend_remark {
    ($body:literal) => {
        concat!(
            "coalesce(json_extract(",
            $body,
            ", '$.friend_profile_remark'), '')"
        )
    };
}

/// The element types of a message body as a bit mask (bit n: an element of type n).
macro_rules! body_mask {
    ($b:literal) => {
        concat!(
            "COALESCE((SELECT SUM(DISTINCT 1 << json_extract(e.value, '$.elem_type')) FROM json_each(",
            $b,
            ", '$.message_elem_array') e), 0)"
        )
    };
}

const MIGRATIONS: &[&str] = &[
    // 1: messages, conversations, key/value state.
    "CREATE TABLE messages (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        conv_type     INTEGER NOT NULL,
        conv_id       TEXT    NOT NULL,
        sender        TEXT    NOT NULL,
        client_msg_id TEXT    NOT NULL,
        seq           INTEGER,
        status        INTEGER NOT NULL,
        body          TEXT    NOT NULL,
        UNIQUE (sender, client_msg_id)
     );
     CREATE INDEX messages_by_conv ON messages (conv_type, conv_id, seq);
     CREATE TABLE conversations (
        conv_type   INTEGER NOT NULL,
        conv_id     TEXT    NOT NULL,
        unread      INTEGER NOT NULL,
        active_time INTEGER NOT NULL,
        last_msg_id INTEGER,
        PRIMARY KEY (conv_type, conv_id)
     );
     CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    // 2: read marks: how far this user and the peer have read each conversation.
    "ALTER TABLE conversations ADD COLUMN read_seq INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE conversations ADD COLUMN peer_read_seq INTEGER NOT NULL DEFAULT 0;",
    // 3: each conversation's draft (a Draft as JSON), kept on this device.
    "ALTER TABLE conversations ADD COLUMN draft TEXT;",
    // 4: messages found by their id (`message_msg_id`, the client message id), which every
    // cached message now carries in its body.
    "CREATE INDEX messages_by_msg_id ON messages (client_msg_id);
     UPDATE messages SET body = json_set(body, '$.message_msg_id', client_msg_id)
     WHERE json_extract(body, '$.message_msg_id') IS NULL;",
    // 5: pinned conversations (listed first).
    "ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;",
    // 6: local search: a trigram full-text index of each message's text (any substring of three
    // characters or more, in any script), with its element types, kept by triggers in the
    // transaction of every write.
    concat!(
        "CREATE VIRTUAL TABLE message_text USING fts5(text, mask UNINDEXED, tokenize = 'trigram');
         CREATE TRIGGER message_text_insert AFTER INSERT ON messages BEGIN
            INSERT INTO message_text (rowid, text, mask) VALUES (new.id, ",
        body_text!("new.body"),
        ", ",
        body_mask!("new.body"),
        ");
         END;
         CREATE TRIGGER message_text_update AFTER UPDATE OF body ON messages
         WHEN json_extract(old.body, '$.message_elem_array') IS NOT json_extract(new.body, '$.message_elem_array')
         BEGIN
            DELETE FROM message_text WHERE rowid = old.id;
            INSERT INTO message_text (rowid, text, mask) VALUES (new.id, ",
        body_text!("new.body"),
        ", ",
        body_mask!("new.body"),
        ");
         END;
         CREATE TRIGGER message_text_delete AFTER DELETE ON messages BEGIN
            DELETE FROM message_text WHERE rowid = old.id;
         END;
         INSERT INTO message_text (rowid, text, mask) SELECT id, ",
        body_text!("body"),
        ", ",
        body_mask!("body"),
        " FROM messages;"
    ),
    // 7: user profiles as last read from the server (the profile as JSON).
    "CREATE TABLE profiles (user_id TEXT PRIMARY KEY, body TEXT NOT NULL);",
    // 8: the user's friends, blacklist, friend requests and friend groups as of the relation
    // version in `state` (each entry's JSON; a group's body is empty).
    "CREATE TABLE relations (list TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                             PRIMARY KEY (list, id));",
    // 9: friend search: a trigram full-text index of each friend's id, nickname and remark,
    // kept by triggers on `relations` (a put is an upsert, so an UPDATE) in the transaction of
    // every change of the lists.
    concat!(
        "CREATE VIRTUAL TABLE friend_text USING fts5(id, nick, remark, tokenize = 'trigram');
         CREATE TRIGGER friend_text_insert AFTER INSERT ON relations WHEN new.list = 'friend' BEGIN
            INSERT INTO friend_text (rowid, id, nick, remark) VALUES (new.rowid, new.id, ",
        friend_nick!("new.body"),
        ", ",
        friend_remark!("new.body"),
        ");
         END;
         CREATE TRIGGER friend_text_update AFTER UPDATE OF body ON relations WHEN new.list = 'friend'
         BEGIN
            DELETE FROM friend_text WHERE rowid = old.rowid;
            INSERT INTO friend_text (rowid, id, nick, remark) VALUES (new.rowid, new.id, ",
        friend_nick!("new.body"),
        ", ",
        friend_remark!("new.body"),
        ");
         END;
         CREATE TRIGGER friend_text_delete AFTER DELETE ON relations WHEN old.list = 'friend' BEGIN
            DELETE FROM friend_text WHERE rowid = old.rowid;
         END;
         INSERT INTO friend_text (rowid, id, nick, remark) SELECT rowid, id, ",
        friend_nick!("body"),
        ", ",
        friend_remark!("body"),
        " FROM relations WHERE list = 'friend';"
    ),
];

/// `messages.status` of a message deleted from this device: the row stays (a tombstone), so the
/// same message synced or fetched again stays deleted.
const DELETED: i64 = MsgStatus::DELETED.0;

fn db(e: rusqlite::Error) -> SdkError {
    SdkError::new(
        opentim_model::codes::ERR_DATABASE_OPERATE_FAILED,
        format!("local database: {e}"),
    )
}

/// One user's local cache in SQLite.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    owner: String,
}

impl SqliteStore {
    /// The database path of `user` under `dir`.
    pub fn path_for(dir: &Path, sdkappid: u64, user: &str) -> PathBuf {
        dir.join(sdkappid.to_string()).join(user).join("opentim.db")
    }

    /// Open or create the cache of `user`.
    pub fn open(dir: &Path, sdkappid: u64, user: &str) -> Result<Self, SdkError> {
        let path = Self::path_for(dir, sdkappid, user);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                SdkError::new(
                    opentim_model::codes::ERR_IO_OPERATION_FAILED,
                    format!(
                        "cannot create the cache directory {}: {e}",
                        parent.display()
                    ),
                )
            })?;
        }
        let mut conn = Connection::open(&path).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        // The server keeps every message; NORMAL loses at most the newest local commits on power
        // loss, and the cursor rolls back with them, so they are synced again.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction().map_err(db)?;
            tx.execute_batch(sql).map_err(db)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(db)?;
            tx.commit().map_err(db)?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
            owner: user.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store `messages` in order, update their conversations once each, and set the cursor
    /// when given, in one transaction.
    fn write<'a>(
        &self,
        messages: impl ExactSizeIterator<Item = (&'a str, &'a Message)>,
        states: &[(&str, u64)],
        backfill: bool,
    ) -> Result<Vec<Applied>, SdkError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        let mut convs = Conversations {
            backfill,
            ..Default::default()
        };
        let mut out = Vec::with_capacity(messages.len());
        for (client_msg_id, msg) in messages {
            out.push(store_message(&tx, client_msg_id, msg, &mut convs)?);
        }
        convs.write(&tx)?;
        for (key, value) in states {
            set_state(&tx, key, *value)?;
        }
        tx.commit().map_err(db)?;
        Ok(out)
    }

    fn query_conversations(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<ConvInfo>, SdkError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT c.conv_type, c.conv_id, c.unread, c.active_time, m.id, m.body, c.read_seq,
                        c.peer_read_seq, c.draft, c.pinned FROM conversations c
                 LEFT JOIN messages m ON m.id = c.last_msg_id {filter}
                 ORDER BY c.pinned DESC, c.active_time DESC"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map(args, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, bool>(9)?,
                ))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (conv_type, conv_id, unread, active, id, body, read, peer_read, draft, pinned) =
                row.map_err(db)?;
            let draft: Option<Draft> = draft.as_deref().map(draft_from_json).transpose()?;
            let last = match body {
                Some(b) => {
                    let mut m: Message = from_json(&b)?;
                    m.unique_id = id.map(|i| i as u64);
                    mark_flags(&mut m, read as u64, peer_read as u64);
                    Some(m)
                }
                None => None,
            };
            out.push(
                ConvInfo {
                    conv_id: Some(conv_id),
                    conv_type: Some(ConvType(conv_type)),
                    owner: Some(self.owner.clone()),
                    unread_num: Some(unread as u64),
                    active_time: Some(active as u64),
                    is_has_lastmsg: Some(last.is_some()),
                    last_msg: last,
                    is_has_draft: Some(draft.is_some()),
                    draft,
                    is_pinned: pinned.then_some(true),
                }
                .complete(),
            );
        }
        Ok(out)
    }
}

impl LocalStore for SqliteStore {
    fn state(&self, key: &str) -> Result<u64, SdkError> {
        get_state(&self.lock(), key)
    }

    fn set_state(&self, key: &str, value: u64) -> Result<(), SdkError> {
        set_state(&self.lock(), key, value)
    }

    fn relations(&self) -> Result<Vec<(String, String, String)>, SdkError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT list, id, body FROM relations")
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db)?;
        rows.collect::<rusqlite::Result<_>>().map_err(db)
    }

    fn apply_relations(&self, change: &RelationChange) -> Result<(), SdkError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO relations (list, id, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (list, id) DO UPDATE SET body = excluded.body",
                )
                .map_err(db)?;
            let mut drop = tx
                .prepare_cached("DELETE FROM relations WHERE list = ?1 AND id = ?2")
                .map_err(db)?;
            if change.replace {
                tx.execute("DELETE FROM relations", []).map_err(db)?;
            }
            for (list, id) in &change.removed {
                drop.execute(params![list, id]).map_err(db)?;
            }
            for (list, id, body) in &change.put {
                put.execute(params![list, id, body]).map_err(db)?;
            }
        }
        set_state(&tx, RELATION_VERSION, change.version)?;
        set_state(&tx, RELATION_READ_TIME, change.read_time)?;
        tx.commit().map_err(db)
    }

    fn record_download(
        &self,
        id: &str,
        snapshot: bool,
        path: &str,
    ) -> Result<Vec<Message>, SdkError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        // Ids are 32 random hex digits: a body naming one is a message holding that file.
        let rows: Vec<(i64, String)> = tx
            .prepare_cached(
                "SELECT id, body FROM messages WHERE instr(body, ?1) > 0 AND status <> ?2",
            )
            .and_then(|mut st| {
                st.query_map(params![id, DELETED], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(db)?;
        let mut changed = Vec::new();
        for (row, body) in rows {
            let mut m = from_json(&body)?;
            let mut hit = false;
            for e in &mut m.elem_array {
                let (orig, snap) = e.local_paths();
                let (orig, snap) = (orig.map(str::to_owned), snap.map(str::to_owned));
                let (orig_id, snap_id) = e.media_ids();
                let named = if snapshot { snap_id } else { orig_id };
                if named == Some(id) {
                    match snapshot {
                        true => e.set_local_paths(orig, Some(path.to_owned())),
                        false => e.set_local_paths(Some(path.to_owned()), snap),
                    }
                    hit = true;
                }
            }
            if hit {
                tx.prepare_cached("UPDATE messages SET body = ?2 WHERE id = ?1")
                    .and_then(|mut st| st.execute(params![row, to_json(&m)]))
                    .map_err(db)?;
                changed.push(cached(row, &to_json(&m))?);
            }
        }
        tx.commit().map_err(db)?;
        Ok(changed)
    }

    fn search_friends(
        &self,
        keywords: &[String],
        fields: FriendFields,
    ) -> Result<Vec<String>, SdkError> {
        let columns: Vec<&str> = [
            (fields.id, "id"),
            (fields.nick, "nick"),
            (fields.remark, "remark"),
        ]
        .into_iter()
        .filter_map(|(on, c)| on.then_some(c))
        .collect();
        let keywords: Vec<&str> = keywords
            .iter()
            .map(|k| k.trim())
            .filter(|k| !k.is_empty())
            .collect();
        if columns.is_empty() || keywords.is_empty() {
            return Ok(vec![]);
        }
        let mut args: Vec<String> = Vec::new();
        let filter = match keywords.iter().all(|k| k.chars().count() >= 3) {
            // The index answers: each keyword a quoted phrase in the columns asked.
            true => {
                let phrases: Vec<String> = keywords
                    .iter()
                    .map(|k| format!("\"{}\"", k.replace('"', "\"\"")))
                    .collect();
                args.push(format!(
                    "{{{}}} : ({})",
                    columns.join(" "),
                    phrases.join(" OR ")
                ));
                "friend_text MATCH ?1".to_owned()
            }
            false => {
                let mut likes = Vec::new();
                for k in &keywords {
                    let escaped = k
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_");
                    args.push(format!("%{escaped}%"));
                    for c in &columns {
                        likes.push(format!("t.{c} LIKE ?{} ESCAPE '\\'", args.len()));
                    }
                }
                likes.join(" OR ")
            }
        };
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT r.body FROM friend_text t JOIN relations r ON r.rowid = t.rowid
                 WHERE {filter}"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))
            .map_err(db)?;
        rows.collect::<rusqlite::Result<_>>().map_err(db)
    }

    fn profiles(&self, users: &[String]) -> Result<Vec<UserProfile>, SdkError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT body FROM profiles WHERE user_id = ?1")
            .map_err(db)?;
        let mut out = Vec::new();
        for u in users {
            let body: Option<String> = stmt.query_row([u], |r| r.get(0)).optional().map_err(db)?;
            if let Some(p) = body.and_then(|b| serde_json::from_str(&b).ok()) {
                out.push(p);
            }
        }
        Ok(out)
    }

    fn put_profiles(&self, profiles: &[UserProfile]) -> Result<(), SdkError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO profiles (user_id, body) VALUES (?1, ?2)
                     ON CONFLICT (user_id) DO UPDATE SET body = excluded.body",
                )
                .map_err(db)?;
            for p in profiles {
                let body = serde_json::to_string(p).map_err(|e| {
                    SdkError::new(
                        opentim_model::codes::ERR_SERIALIZE_REQ_FAILED,
                        e.to_string(),
                    )
                })?;
                stmt.execute(params![p.identifier.as_deref().unwrap_or_default(), body])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }

    fn insert_outgoing(&self, client_msg_id: &str, msg: &Message) -> Result<u64, SdkError> {
        let conn = self.lock();
        let conv_type = msg.conv_type.unwrap_or_default().0;
        let conv_id = msg.conv_id.as_deref().unwrap_or_default();
        conn.prepare_cached(
            "INSERT INTO messages (conv_type, conv_id, sender, client_msg_id, seq, status, body)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                conv_type,
                conv_id,
                self.owner,
                client_msg_id,
                MsgStatus::SENDING.0,
                to_json(msg)
            ])
        })
        .map_err(db)?;
        Ok(conn.last_insert_rowid() as u64)
    }

    fn mark_unsent(
        &self,
        client_msg_id: &str,
        status: MsgStatus,
    ) -> Result<Option<Message>, SdkError> {
        let conn = self.lock();
        let row = conn
            .prepare_cached(
                "UPDATE messages SET status = ?4, body = json_set(body, '$.message_status', ?4)
                 WHERE sender = ?1 AND client_msg_id = ?2 AND status = ?3 RETURNING id, body",
            )
            .and_then(|mut st| {
                st.query_row(
                    params![self.owner, client_msg_id, MsgStatus::SENDING.0, status.0],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                )
                .optional()
            })
            .map_err(db)?;
        row.map(|(id, body)| cached(id, &body)).transpose()
    }

    fn by_msg_ids(&self, ids: &[String]) -> Result<Vec<Message>, SdkError> {
        let conn = self.lock();
        let mut out = Vec::with_capacity(ids.len());
        for msg_id in ids {
            let row = conn
                .prepare_cached(
                    "SELECT id, conv_type, conv_id, body FROM messages
                     WHERE client_msg_id = ?1 AND status <> ?2 ORDER BY id LIMIT 1",
                )
                .and_then(|mut st| {
                    st.query_row(params![msg_id, DELETED], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    })
                    .optional()
                })
                .map_err(db)?;
            if let Some((id, conv_type, conv_id, body)) = row {
                let mut m = cached(id, &body)?;
                let (read, peer_read) = marks(&conn, ConvType(conv_type), &conv_id)?;
                mark_flags(&mut m, read, peer_read);
                out.push(m);
            }
        }
        Ok(out)
    }

    fn set_local_custom(
        &self,
        msg_id: &str,
        custom_int: Option<u32>,
        custom_str: Option<&str>,
    ) -> Result<Option<Message>, SdkError> {
        let conn = self.lock();
        let row = conn
            .prepare_cached(
                "UPDATE messages SET body = json_set(body,
                    '$.message_custom_int', COALESCE(?2, json_extract(body, '$.message_custom_int'), 0),
                    '$.message_custom_str', COALESCE(?3, json_extract(body, '$.message_custom_str'), ''))
                 WHERE id = (SELECT id FROM messages WHERE client_msg_id = ?1 AND status <> ?4
                             ORDER BY id LIMIT 1)
                 RETURNING id, conv_type, conv_id, body",
            )
            .and_then(|mut st| {
                st.query_row(params![msg_id, custom_int, custom_str, DELETED], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .optional()
            })
            .map_err(db)?;
        let Some((id, conv_type, conv_id, body)) = row else {
            return Ok(None);
        };
        let mut m = cached(id, &body)?;
        let (read, peer_read) = marks(&conn, ConvType(conv_type), &conv_id)?;
        mark_flags(&mut m, read, peer_read);
        Ok(Some(m))
    }

    fn import(&self, messages: &[(String, Message)]) -> Result<Vec<Applied>, SdkError> {
        // Stored like older messages filled in from the server: never unread.
        self.write(messages.iter().map(|(c, m)| (c.as_str(), m)), &[], true)
    }

    fn search(&self, search: &Search) -> Result<Vec<SearchGroup>, SdkError> {
        let mut sql = format!(
            "SELECT m.id, m.conv_type, m.conv_id, m.body FROM message_text t
             JOIN messages m ON m.id = t.rowid
             WHERE m.status <> {DELETED}
               AND json_extract(m.body, '$.message_server_time') BETWEEN ?1 AND ?2"
        );
        let clamp = |v: u64| v.min(i64::MAX as u64) as i64;
        let mut args: Vec<Box<dyn rusqlite::ToSql>> =
            vec![Box::new(clamp(search.since)), Box::new(clamp(search.until))];
        let mut arg = |sql: &mut String, fragment: &str, value: Box<dyn rusqlite::ToSql>| {
            args.push(value);
            sql.push_str(&fragment.replace('?', &format!("?{}", args.len())));
        };
        let keywords: Vec<&str> = search
            .keywords
            .iter()
            .map(|k| k.trim())
            .filter(|k| !k.is_empty())
            .collect();
        let join = if search.all_keywords { " AND " } else { " OR " };
        if keywords.iter().all(|k| k.chars().count() >= 3) && !keywords.is_empty() {
            // The index answers: each keyword a quoted phrase.
            let phrases: Vec<String> = keywords
                .iter()
                .map(|k| format!("\"{}\"", k.replace('"', "\"\"")))
                .collect();
            arg(
                &mut sql,
                " AND t.message_text MATCH ?",
                Box::new(phrases.join(join)),
            );
        } else if !keywords.is_empty() {
            sql.push_str(" AND (");
            for (i, k) in keywords.iter().enumerate() {
                if i > 0 {
                    sql.push_str(join);
                }
                let escaped = k
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                arg(
                    &mut sql,
                    "t.text LIKE ? ESCAPE '\\'",
                    Box::new(format!("%{escaped}%")),
                );
            }
            sql.push(')');
        }
        if !search.elem_types.is_empty() {
            let mask: i64 = search
                .elem_types
                .iter()
                .filter(|t| (0..63).contains(&t.0))
                .fold(0, |m, t| m | (1 << t.0));
            arg(&mut sql, " AND (t.mask & ?) <> 0", Box::new(mask));
        }
        if !search.senders.is_empty() {
            sql.push_str(" AND m.sender IN (");
            for (i, who) in search.senders.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                arg(&mut sql, "?", Box::new(who.clone()));
            }
            sql.push(')');
        }
        if let Some((conv_type, conv_id)) = &search.conv {
            arg(&mut sql, " AND m.conv_type = ?", Box::new(conv_type.0));
            arg(&mut sql, " AND m.conv_id = ?", Box::new(conv_id.clone()));
        }
        sql.push_str(" ORDER BY json_extract(m.body, '$.message_server_time') DESC, m.id DESC");
        let conn = self.lock();
        let mut stmt = conn.prepare(&sql).map_err(db)?;
        let params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt
            .query_map(params.as_slice(), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(db)?;
        let mut groups: Vec<SearchGroup> = Vec::new();
        let mut index: HashMap<(i64, String), usize> = HashMap::new();
        let mut marks_of: HashMap<(i64, String), (u64, u64)> = HashMap::new();
        for row in rows {
            let (id, conv_type, conv_id, body) = row.map_err(db)?;
            let mut m = cached(id, &body)?;
            let key = (conv_type, conv_id);
            let (read, peer_read) = match marks_of.get(&key) {
                Some(v) => *v,
                None => {
                    let v = marks(&conn, ConvType(key.0), &key.1)?;
                    marks_of.insert(key.clone(), v);
                    v
                }
            };
            mark_flags(&mut m, read, peer_read);
            let slot = *index.entry(key.clone()).or_insert_with(|| {
                groups.push(SearchGroup {
                    conv_type: ConvType(key.0),
                    conv_id: key.1.clone(),
                    messages: Vec::new(),
                });
                groups.len() - 1
            });
            groups[slot].messages.push(m);
        }
        Ok(groups)
    }

    fn delete_messages(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        which: &Deletion,
    ) -> Result<usize, SdkError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        let n = delete_in(&tx, conv_id, conv_type, which)?;
        tx.commit().map_err(db)?;
        Ok(n)
    }

    fn apply(&self, messages: &[(String, Message)], cursor: u64) -> Result<Vec<Applied>, SdkError> {
        self.write(
            messages.iter().map(|(c, m)| (c.as_str(), m)),
            &[(CURSOR, cursor)],
            false,
        )
    }

    fn apply_group(
        &self,
        messages: &[(String, Message)],
        cursors: &[(String, u64)],
    ) -> Result<Vec<Applied>, SdkError> {
        let keys: Vec<(String, u64)> = cursors
            .iter()
            .map(|(g, seq)| (super::group_cursor_key(g), *seq))
            .collect();
        let states: Vec<(&str, u64)> = keys.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.write(
            messages.iter().map(|(c, m)| (c.as_str(), m)),
            &states,
            false,
        )
    }

    fn group_cursors(&self) -> Result<HashMap<String, u64>, SdkError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT key, value FROM state WHERE substr(key, 1, ?2) = ?1")
            .map_err(db)?;
        let prefix = super::GROUP_CURSOR_PREFIX;
        let rows = stmt
            .query_map(params![prefix, prefix.len() as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(db)?;
        let mut out = HashMap::new();
        for row in rows {
            let (key, value) = row.map_err(db)?;
            out.insert(key[prefix.len()..].to_owned(), value);
        }
        Ok(out)
    }

    fn backfill(&self, messages: &[(String, Message)]) -> Result<Vec<Applied>, SdkError> {
        self.write(messages.iter().map(|(c, m)| (c.as_str(), m)), &[], true)
    }

    fn apply_ack(&self, client_msg_id: &str, msg: &Message) -> Result<Applied, SdkError> {
        let mut applied = self.write(std::iter::once((client_msg_id, msg)), &[], false)?;
        applied
            .pop()
            .ok_or_else(|| db(rusqlite::Error::QueryReturnedNoRows))
    }

    fn history(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        count: u32,
    ) -> Result<Vec<Message>, SdkError> {
        // The newest page, oldest first (and so what is still unsent last).
        let mut out = self.page(conv_id, conv_type, None, false, count)?;
        out.reverse();
        Ok(out)
    }

    fn page(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        anchor: Option<u64>,
        forward: bool,
        count: u32,
    ) -> Result<Vec<Message>, SdkError> {
        let conn = self.lock();
        let (read, peer_read) = marks(&conn, conv_type, conv_id)?;
        let mut out = Vec::new();
        let mut take =
            |filter: &str, order: &str, value: i64, count: u32| -> Result<u32, SdkError> {
                // Each shape walks the (conversation, seq) index from where it starts.
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT id, body FROM messages WHERE conv_type = ?1 AND conv_id = ?2
                     AND status <> {DELETED} AND {filter} ORDER BY {order} LIMIT ?4"
                    ))
                    .map_err(db)?;
                let rows = stmt
                    .query_map(params![conv_type.0, conv_id, value, count], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                    })
                    .map_err(db)?;
                let mut n = 0;
                for row in rows {
                    let (id, body) = row.map_err(db)?;
                    let mut m = cached(id, &body)?;
                    mark_flags(&mut m, read, peer_read);
                    out.push(m);
                    n += 1;
                }
                Ok(n)
            };
        let clamp = |a: u64| a.min(i64::MAX as u64) as i64;
        match (forward, anchor) {
            (false, None) => {
                // The newest: what has no seq yet (sending, failed, kept locally) first.
                let unsent = take("seq IS NULL AND ?3 = ?3", "id DESC", 0, count)?;
                if unsent < count {
                    take("seq < ?3", "seq DESC", i64::MAX, count - unsent)?;
                }
            }
            (false, Some(a)) => {
                take("seq < ?3", "seq DESC", clamp(a), count)?;
            }
            (true, a) => {
                take("seq > ?3", "seq ASC", a.map_or(0, clamp), count)?;
            }
        }
        Ok(out)
    }

    fn total_unread(&self) -> Result<u64, SdkError> {
        self.lock()
            .prepare_cached("SELECT COALESCE(SUM(unread), 0) FROM conversations")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .map(|v| v as u64)
            .map_err(db)
    }

    fn by_seq(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        seq: u64,
    ) -> Result<Option<Message>, SdkError> {
        // The first message after seq - 1, if it is that one.
        let next = self.page(conv_id, conv_type, Some(seq.saturating_sub(1)), true, 1)?;
        Ok(next.into_iter().find(|m| m.seq == Some(seq)))
    }

    fn set_draft(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        draft: Option<&Draft>,
    ) -> Result<bool, SdkError> {
        let text = draft.map(|d| serde_json::to_string(d).unwrap_or_default());
        let n = self
            .lock()
            .prepare_cached(
                "UPDATE conversations SET draft = ?3 WHERE conv_type = ?1 AND conv_id = ?2",
            )
            .and_then(|mut s| s.execute(params![conv_type.0, conv_id, text]))
            .map_err(db)?;
        Ok(n > 0)
    }

    fn create_conversation(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        time: u64,
    ) -> Result<bool, SdkError> {
        let n = self
            .lock()
            .prepare_cached(
                "INSERT INTO conversations (conv_type, conv_id, unread, active_time) VALUES (?1, ?2, 0, ?3)
                 ON CONFLICT (conv_type, conv_id) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![conv_type.0, conv_id, time as i64]))
            .map_err(db)?;
        Ok(n > 0)
    }

    fn delete_conversation(&self, conv_id: &str, conv_type: ConvType) -> Result<bool, SdkError> {
        let n = self
            .lock()
            .prepare_cached("DELETE FROM conversations WHERE conv_type = ?1 AND conv_id = ?2")
            .and_then(|mut s| s.execute(params![conv_type.0, conv_id]))
            .map_err(db)?;
        Ok(n > 0)
    }

    fn conversations(&self) -> Result<Vec<ConvInfo>, SdkError> {
        self.query_conversations("", &[])
    }

    fn apply_mark(&self, mark: &Mark, at: MarkAt) -> Result<bool, SdkError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        if let MarkAt::Ahead(cursor) = at {
            if get_state(&tx, CURSOR)? >= cursor {
                return Ok(false);
            }
        }
        let changed = match mark {
            Mark::Read {
                conv_type,
                conv_id,
                read_seq,
                unread,
            } => {
                tx.prepare_cached(
                    "UPDATE conversations SET read_seq = ?3, unread = ?4
                     WHERE conv_type = ?1 AND conv_id = ?2 AND read_seq <= ?3
                       AND (read_seq < ?3 OR unread != ?4)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        conv_type.0,
                        conv_id,
                        *read_seq as i64,
                        *unread as i64
                    ])
                })
                .map_err(db)?
                    > 0
            }
            Mark::PeerRead {
                conv_type,
                conv_id,
                read_seq,
            } => {
                tx.prepare_cached(
                    "UPDATE conversations SET peer_read_seq = ?3
                     WHERE conv_type = ?1 AND conv_id = ?2 AND peer_read_seq < ?3",
                )
                .and_then(|mut s| s.execute(params![conv_type.0, conv_id, *read_seq as i64]))
                .map_err(db)?
                    > 0
            }
            Mark::Revoke {
                conv_type,
                conv_id,
                seq,
            } => {
                tx.prepare_cached(&format!(
                    "UPDATE messages SET status = ?4, body = json_set(body, '$.message_status', ?4)
                     WHERE conv_type = ?1 AND conv_id = ?2 AND seq = ?3
                       AND status NOT IN (?4, {DELETED})"
                ))
                .and_then(|mut s| {
                    s.execute(params![
                        conv_type.0,
                        conv_id,
                        *seq as i64,
                        MsgStatus::REVOKED.0
                    ])
                })
                .map_err(db)?
                    > 0
            }
            Mark::Deleted {
                conv_type,
                conv_id,
                seq,
            } => delete_in(&tx, conv_id, *conv_type, &Deletion::Seqs(vec![*seq]))? > 0,
            Mark::Cleared {
                conv_type,
                conv_id,
                seq,
            } => {
                // What was cleared is read, as the server counts it.
                let marked = tx
                    .prepare_cached(
                        "UPDATE conversations SET read_seq = MAX(read_seq, ?3), unread = 0
                         WHERE conv_type = ?1 AND conv_id = ?2 AND (read_seq < ?3 OR unread <> 0)",
                    )
                    .and_then(|mut s| s.execute(params![conv_type.0, conv_id, *seq as i64]))
                    .map_err(db)?;
                let deleted = delete_in(&tx, conv_id, *conv_type, &Deletion::UpTo(*seq))?;
                marked + deleted > 0
            }
            Mark::Pin {
                conv_type,
                conv_id,
                pinned,
            } => {
                tx.prepare_cached(
                    "UPDATE conversations SET pinned = ?3
                     WHERE conv_type = ?1 AND conv_id = ?2 AND pinned <> ?3",
                )
                .and_then(|mut s| s.execute(params![conv_type.0, conv_id, pinned]))
                .map_err(db)?
                    > 0
            }
            Mark::ConvDeleted { conv_type, conv_id } => {
                tx.prepare_cached("DELETE FROM conversations WHERE conv_type = ?1 AND conv_id = ?2")
                    .and_then(|mut s| s.execute(params![conv_type.0, conv_id]))
                    .map_err(db)?
                    > 0
            }
            Mark::Skip => false,
        };
        if let MarkAt::Entry(cursor) = at {
            set_state(&tx, CURSOR, cursor)?;
        }
        tx.commit().map_err(db)?;
        Ok(changed)
    }

    fn bootstrap(&self, seeds: &[Seed], cursor: u64) -> Result<(), SdkError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        for seed in seeds {
            let last_id = match &seed.last {
                Some((client_msg_id, m)) => {
                    let mut convs = Conversations::default();
                    let applied = store_message(&tx, client_msg_id, m, &mut convs)?;
                    applied.message.unique_id.map(|i| i as i64)
                }
                None => None,
            };
            tx.prepare_cached(
                "INSERT INTO conversations (conv_type, conv_id, unread, active_time, last_msg_id,
                                            read_seq, peer_read_seq, pinned)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (conv_type, conv_id) DO UPDATE SET unread = ?3,
                    active_time = MAX(active_time, ?4), last_msg_id = COALESCE(?5, last_msg_id),
                    read_seq = MAX(read_seq, ?6), peer_read_seq = MAX(peer_read_seq, ?7),
                    pinned = ?8",
            )
            .and_then(|mut s| {
                s.execute(params![
                    seed.conv_type.0,
                    seed.conv_id,
                    seed.unread as i64,
                    seed.active_time as i64,
                    last_id,
                    seed.read_seq as i64,
                    seed.peer_read_seq as i64,
                    seed.pinned
                ])
            })
            .map_err(db)?;
            if seed.conv_type == ConvType::GROUP {
                let seq = seed.last.as_ref().and_then(|(_, m)| m.seq).unwrap_or(0);
                let key = super::group_cursor_key(&seed.conv_id);
                let current = get_state(&tx, &key)?;
                set_state(&tx, &key, seq.max(current))?;
            }
        }
        let current = get_state(&tx, CURSOR)?;
        set_state(&tx, CURSOR, cursor.max(current))?;
        set_state(&tx, super::BOOTSTRAPPED, 1)?;
        tx.commit().map_err(db)
    }

    fn conversation(
        &self,
        conv_id: &str,
        conv_type: ConvType,
    ) -> Result<Option<ConvInfo>, SdkError> {
        Ok(self
            .query_conversations(
                "WHERE c.conv_type = ?1 AND c.conv_id = ?2",
                &[&conv_type.0, &conv_id],
            )?
            .pop())
    }
}

/// The read marks of a conversation (0, 0 when it is not cached).
fn marks(conn: &Connection, conv_type: ConvType, conv_id: &str) -> Result<(u64, u64), SdkError> {
    conn.prepare_cached(
        "SELECT read_seq, peer_read_seq FROM conversations WHERE conv_type = ?1 AND conv_id = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![conv_type.0, conv_id], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })
        .optional()
    })
    .map(Option::unwrap_or_default)
    .map_err(db)
}

/// `message_is_read` and `message_is_peer_read` from the conversation's marks.
fn mark_flags(m: &mut Message, read_seq: u64, peer_read_seq: u64) {
    let seq = m.seq.unwrap_or(0);
    let own = m.is_from_self == Some(true);
    m.is_read = Some(own || (seq > 0 && seq <= read_seq));
    m.is_peer_read = Some(own && seq > 0 && seq <= peer_read_seq);
}

/// Delete messages of a conversation inside the open transaction `tx` (see
/// [`LocalStore::delete_messages`]).
fn delete_in(
    tx: &Connection,
    conv_id: &str,
    conv_type: ConvType,
    which: &Deletion,
) -> Result<usize, SdkError> {
    let tombstone = "UPDATE messages SET status = ?3, body = json_set(body, '$.message_status', ?3)
                     WHERE conv_type = ?1 AND conv_id = ?2 AND status <> ?3";
    let mut n = 0;
    let mut each = |filter: &str, value: &dyn rusqlite::ToSql| -> Result<(), SdkError> {
        n += tx
            .prepare_cached(&format!("{tombstone} AND {filter}"))
            .and_then(|mut st| st.execute(params![conv_type.0, conv_id, DELETED, value]))
            .map_err(db)?;
        Ok(())
    };
    match which {
        Deletion::Ids(ids) => {
            for id in ids {
                each("client_msg_id = ?4", id)?;
            }
        }
        Deletion::Seqs(seqs) => {
            for seq in seqs {
                each("seq = ?4", &(*seq as i64))?;
            }
        }
        Deletion::UpTo(seq) => each("seq <= ?4", &(*seq as i64))?,
        Deletion::All => each("?4 = ?4", &0)?,
    }
    if n > 0 {
        tx.prepare_cached(
            "UPDATE conversations SET last_msg_id = (
                SELECT id FROM messages WHERE conv_type = ?1 AND conv_id = ?2 AND status <> ?3
                ORDER BY seq IS NULL DESC, seq DESC, id DESC LIMIT 1)
             WHERE conv_type = ?1 AND conv_id = ?2",
        )
        .and_then(|mut st| st.execute(params![conv_type.0, conv_id, DELETED]))
        .map_err(db)?;
    }
    Ok(n)
}

/// A cached message from its row: the body, with its local id.
fn cached(id: i64, body: &str) -> Result<Message, SdkError> {
    let mut m = from_json(body)?;
    m.unique_id = Some(id as u64);
    Ok(m)
}

fn to_json(m: &Message) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

fn from_json(body: &str) -> Result<Message, SdkError> {
    serde_json::from_str(body).map_err(corrupt)
}

fn draft_from_json(text: &str) -> Result<Draft, SdkError> {
    serde_json::from_str(text).map_err(corrupt)
}

fn corrupt(e: serde_json::Error) -> SdkError {
    SdkError::new(
        opentim_model::codes::ERR_DATABASE_OPERATE_FAILED,
        format!("corrupt cached data: {e}"),
    )
}

fn get_state(conn: &Connection, key: &str) -> Result<u64, SdkError> {
    conn.prepare_cached("SELECT value FROM state WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get::<_, i64>(0)).optional())
        .map(|v| v.unwrap_or(0) as u64)
        .map_err(db)
}

fn set_state(conn: &Connection, key: &str, value: u64) -> Result<(), SdkError> {
    conn.prepare_cached(
        "INSERT INTO state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut s| s.execute(params![key, value as i64]))
    .map(|_| ())
    .map_err(db)
}

/// How a batch changes one conversation, written once at the end of the batch.
struct ConvChange {
    /// Messages that count as unread.
    unread: i64,
    /// The newest server time in the batch, and the last message in order carrying it.
    time: i64,
    last_id: i64,
}

/// The conversations a batch touches.
#[derive(Default)]
struct Conversations {
    changes: HashMap<(i64, String), ConvChange>,
    /// Older messages filled in behind the server's counts: they count as read.
    backfill: bool,
}

impl Conversations {
    /// Count message `id` into its conversation; Add when the message brings the conversation
    /// into the cache.
    fn touch(
        &mut self,
        tx: &Connection,
        key: (i64, String),
        id: i64,
        time: i64,
        unread: bool,
    ) -> Result<ConvEvent, SdkError> {
        let unread = i64::from(unread && !self.backfill);
        if let Some(c) = self.changes.get_mut(&key) {
            c.unread += unread;
            if time >= c.time {
                (c.time, c.last_id) = (time, id);
            }
            return Ok(ConvEvent::UPDATE);
        }
        let known = tx
            .prepare_cached("SELECT 1 FROM conversations WHERE conv_type = ?1 AND conv_id = ?2")
            .and_then(|mut s| s.exists(params![key.0, key.1]))
            .map_err(db)?;
        self.changes.insert(
            key,
            ConvChange {
                unread,
                time,
                last_id: id,
            },
        );
        Ok(if known {
            ConvEvent::UPDATE
        } else {
            ConvEvent::ADD
        })
    }

    fn write(self, tx: &Connection) -> Result<(), SdkError> {
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO conversations (conv_type, conv_id, unread, active_time, last_msg_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (conv_type, conv_id) DO UPDATE SET
                    unread = unread + ?3,
                    active_time = MAX(active_time, ?4),
                    last_msg_id = CASE WHEN ?4 >= active_time THEN ?5 ELSE last_msg_id END",
            )
            .map_err(db)?;
        for ((conv_type, conv_id), c) in self.changes {
            upsert
                .execute(params![conv_type, conv_id, c.unread, c.time, c.last_id])
                .map_err(db)?;
        }
        Ok(())
    }
}

/// Store one message (insert, or update the copy already cached) and count it into its
/// conversation.
fn store_message(
    tx: &Connection,
    client_msg_id: &str,
    msg: &Message,
    convs: &mut Conversations,
) -> Result<Applied, SdkError> {
    let sender = msg.sender.as_deref().unwrap_or_default();
    let conv_type = msg.conv_type.unwrap_or_default();
    let conv_id = msg.conv_id.as_deref().unwrap_or_default();
    let seq = msg.seq.map(|s| s as i64);
    let status = msg.status.unwrap_or_default().0;
    let body = to_json(msg);
    let inserted = tx
        .prepare_cached(
            "INSERT INTO messages (conv_type, conv_id, sender, client_msg_id, seq, status, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sender, client_msg_id) DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![
                conv_type.0,
                conv_id,
                sender,
                client_msg_id,
                seq,
                status,
                body
            ])
        })
        .map_err(db)?;
    let is_new = inserted == 1;
    let (id, message) = if is_new {
        let mut message = msg.clone();
        let id = tx.last_insert_rowid();
        message.unique_id = Some(id as u64);
        (id, message)
    } else {
        // The server's copy replaces the cached one, but what only this device knows stays:
        // the local custom data, a deletion, and the local files of media elements.
        let body = match msg.elem_array.iter().any(Elem::is_media) {
            true => {
                let old: Option<String> = tx
                    .prepare_cached(
                        "SELECT body FROM messages WHERE sender = ?1 AND client_msg_id = ?2",
                    )
                    .and_then(|mut s| {
                        s.query_row(params![sender, client_msg_id], |r| r.get(0))
                            .optional()
                    })
                    .map_err(db)?;
                match old.map(|o| from_json(&o)).transpose()? {
                    Some(old) => {
                        let mut merged = msg.clone();
                        merged.keep_local_paths(&old);
                        to_json(&merged)
                    }
                    None => body,
                }
            }
            false => body,
        };
        let (id, body) = tx
            .prepare_cached(
                "UPDATE messages SET seq = ?1,
                    status = CASE WHEN status = ?6 THEN status ELSE ?2 END,
                    body = CASE WHEN status = ?6 THEN body ELSE json_set(?3,
                        '$.message_custom_int', COALESCE(json_extract(body, '$.message_custom_int'), 0),
                        '$.message_custom_str', COALESCE(json_extract(body, '$.message_custom_str'), ''))
                    END
                 WHERE sender = ?4 AND client_msg_id = ?5 RETURNING id, body",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![seq, status, body, sender, client_msg_id, DELETED],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                )
            })
            .map_err(db)?;
        (id, cached(id, &body)?)
    };
    if message.status == Some(MsgStatus::DELETED) {
        return Ok(Applied {
            message,
            is_new: false,
            conv_event: ConvEvent::UPDATE,
        });
    }
    let unread = is_new && msg.is_from_self != Some(true);
    let time = msg.server_time.unwrap_or(0) as i64;
    let conv_event = convs.touch(tx, (conv_type.0, conv_id.to_owned()), id, time, unread)?;
    Ok(Applied {
        message,
        is_new,
        conv_event,
    })
}
