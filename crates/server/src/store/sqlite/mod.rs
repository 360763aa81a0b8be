//! The embedded SQLite store: one file in WAL mode, nothing to install.
//!
//! Writes go to one writer thread that owns the write connection. It drains every write waiting
//! in its queue (up to `write_batch`) into one transaction and commits once, so many concurrent
//! sends cost one fsync between them (group commit); each caller is answered only after that
//! commit returns. Reads run on a separate read-only connection under `spawn_blocking`; WAL lets
//! them proceed while the writer commits.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;

use async_trait::async_trait;
use opentim_model::enums::{ConvType, MsgStatus};
use opentim_model::message::Message;
use opentim_protocol::{InboxEntry, InboxItem, WireMessage};
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

mod friend;
mod group;
mod pendency;
mod profile;
mod receipt;
mod webhook;

use super::{
    c2c_key, c2c_verdict, C2cFacts, Cleared, ConvRow, ConversationStore, InboxStore, MessageStore,
    NewC2c, ReadMark, Result, Revoked, StoreError, StoreHealth, Stored, KIND_CLEAR,
    KIND_CONV_DELETE, KIND_DELETE, KIND_GROUP, KIND_MESSAGE, KIND_PEER_READ, KIND_PIN, KIND_READ,
    KIND_REVOKE, NOT_RECEIVE,
};

/// Numbered migrations (`store/migrations/sqlite/NNN_*.sql`), applied in order, one transaction
/// each; `PRAGMA user_version` holds how many are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/001_messages_inbox.sql"),
    include_str!("../migrations/sqlite/002_conversations.sql"),
    include_str!("../migrations/sqlite/003_revoke.sql"),
    include_str!("../migrations/sqlite/004_delete.sql"),
    include_str!("../migrations/sqlite/005_pin_hide.sql"),
    include_str!("../migrations/sqlite/006_receive_opts.sql"),
    include_str!("../migrations/sqlite/007_relays.sql"),
    include_str!("../migrations/sqlite/008_groups.sql"),
    include_str!("../migrations/sqlite/009_group_messages.sql"),
    include_str!("../migrations/sqlite/010_group_admin.sql"),
    include_str!("../migrations/sqlite/011_group_attributes.sql"),
    include_str!("../migrations/sqlite/012_group_receipts.sql"),
    include_str!("../migrations/sqlite/013_group_member_view.sql"),
    include_str!("../migrations/sqlite/014_profiles.sql"),
    include_str!("../migrations/sqlite/015_blacklist.sql"),
    include_str!("../migrations/sqlite/016_friends.sql"),
    include_str!("../migrations/sqlite/017_account_sigs.sql"),
    include_str!("../migrations/sqlite/018_callbacks.sql"),
    include_str!("../migrations/sqlite/019_account_mutes.sql"),
];

/// A full disk is a passing condition, not a broken database: the transaction rolled back,
/// nothing changed, and the same write succeeds once space is freed.
fn db_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => {
            tracing::error!(error = %e, "the disk of the SQLite database is full; writes are refused until space is freed");
            StoreError::Unavailable(format!("the disk is full: {e}"))
        }
        _ => StoreError::Database(e.to_string()),
    }
}

fn open(path: &Path, synchronous: &str) -> Result<Connection> {
    let conn = Connection::open(path).map_err(db_err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(db_err)?;
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(db_err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(db_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db_err)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(db_err)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute_batch(sql).map_err(db_err)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        tracing::info!(version = i + 1, "applied SQLite migration");
    }
    Ok(())
}

/// Work for the writer thread: a typed batch of writes of any domain. The writer runs the jobs
/// waiting in its queue inside one transaction and commits once (group commit); if any write
/// fails, the transaction is rolled back and each job is run again on its own, each write in
/// its own transaction, so one bad write fails alone.
trait Job: Send {
    /// Writes in the job (for the batch size).
    fn len(&self) -> usize;
    /// Run every write inside the open transaction; `false` when one failed (the caller rolls
    /// back).
    fn run(&mut self, w: &mut Writer) -> bool;
    /// Run every write in a transaction of its own.
    fn run_alone(&mut self, w: &mut Writer);
    /// Forget results of a rolled-back `run`.
    fn reset(&mut self);
    /// Hand the results to the caller.
    fn reply(self: Box<Self>);
}

/// One write kind of one caller: `apply` does one write inside a transaction.
struct Writes<T, R> {
    items: Vec<T>,
    results: Vec<Result<R>>,
    apply: fn(&mut Writer, &T) -> Result<R>,
    reply: oneshot::Sender<Vec<Result<R>>>,
}

impl<T: Send + 'static, R: Send + 'static> Job for Writes<T, R> {
    fn len(&self) -> usize {
        self.items.len()
    }

    fn run(&mut self, w: &mut Writer) -> bool {
        for item in &self.items {
            match (self.apply)(w, item) {
                Ok(r) => self.results.push(Ok(r)),
                Err(_) => return false,
            }
        }
        true
    }

    fn run_alone(&mut self, w: &mut Writer) {
        for item in &self.items {
            let r = w.in_transaction(|w| (self.apply)(w, item));
            self.results.push(r);
        }
    }

    fn reset(&mut self) {
        self.results.clear();
    }

    fn reply(self: Box<Self>) {
        let _ = self.reply.send(self.results);
    }
}

/// The SQLite implementation of [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    writes: mpsc::Sender<Box<dyn Job>>,
    reader: Arc<Mutex<Connection>>,
    /// The checkpoint thread runs while any clone of the store is alive.
    _alive: Arc<()>,
}

impl SqliteStore {
    /// Open (creating if needed) the database `opentim.db` in `dir`.
    pub fn open(dir: &Path, synchronous: &str, write_batch: usize) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Database(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join("opentim.db");
        let mut writer = open(&path, synchronous)?;
        migrate(&mut writer)?;
        // Checkpoints run on their own thread (below), never in the middle of a write batch.
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(db_err)?;
        let reader = open(&path, synchronous)?;
        let checkpointer = open(&path, synchronous)?;
        let (tx, rx) = mpsc::channel(write_batch.max(1) * 4);
        let batch = write_batch.max(1);
        let alive = Arc::new(());
        let watch = Arc::downgrade(&alive);
        thread::Builder::new()
            .name("opentim-sqlite-writer".into())
            .spawn(move || writer_loop(writer, rx, batch))
            .map_err(|e| StoreError::Database(format!("cannot start writer thread: {e}")))?;
        thread::Builder::new()
            .name("opentim-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, watch))
            .map_err(|e| StoreError::Database(format!("cannot start checkpoint thread: {e}")))?;
        tracing::info!(path = %path.display(), synchronous, "SQLite store open");
        Ok(SqliteStore {
            writes: tx,
            reader: Arc::new(Mutex::new(reader)),
            _alive: alive,
        })
    }

    /// Queue writes of one kind for the writer thread; one result each, in order.
    async fn write<T: Send + 'static, R: Send + 'static>(
        &self,
        items: Vec<T>,
        apply: fn(&mut Writer, &T) -> Result<R>,
    ) -> Vec<Result<R>> {
        let n = items.len();
        let (reply, rx) = oneshot::channel();
        let job = Box::new(Writes {
            items,
            results: Vec::with_capacity(n),
            apply,
            reply,
        });
        if self.writes.send(job).await.is_err() {
            return (0..n).map(|_| Err(StoreError::Closed)).collect();
        }
        rx.await
            .unwrap_or_else(|_| (0..n).map(|_| Err(StoreError::Closed)).collect())
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().unwrap_or_else(|p| p.into_inner());
            f(&conn).map_err(db_err)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

/// The writer thread's state. It is the only writer of the file, so it keeps the newest seq of
/// each conversation and the newest cursor of each inbox in memory (read once from the tables,
/// then counted up), and a message costs three inserts. Any rolled-back transaction clears
/// both maps, which are then read again from what was committed.
struct Writer {
    conn: Connection,
    seqs: HashMap<String, i64>,
    cursors: HashMap<String, i64>,
}

/// Entries kept in each counter map before it is emptied (it refills from the tables).
const COUNTER_CACHE: usize = 100_000;

impl Writer {
    fn last_seq(&mut self, key: &str) -> rusqlite::Result<i64> {
        if let Some(v) = self.seqs.get(key) {
            return Ok(*v);
        }
        let v = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv_key = ?1")?
            .query_row([key], |r| r.get(0))?;
        if self.seqs.len() >= COUNTER_CACHE {
            self.seqs.clear();
        }
        self.seqs.insert(key.to_owned(), v);
        Ok(v)
    }

    fn last_cursor(&mut self, user: &str) -> rusqlite::Result<i64> {
        if let Some(v) = self.cursors.get(user) {
            return Ok(*v);
        }
        let v = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(cursor), 0) FROM inbox WHERE user_id = ?1")?
            .query_row([user], |r| r.get(0))?;
        if self.cursors.len() >= COUNTER_CACHE {
            self.cursors.clear();
        }
        self.cursors.insert(user.to_owned(), v);
        Ok(v)
    }

    fn forget_counters(&mut self) {
        self.seqs.clear();
        self.cursors.clear();
    }

    /// The rules of who may send whom C2C messages ([`c2c_verdict`]), checked inside the
    /// message's own write. Answers whether the receiver does not receive the sender's
    /// messages (its receive option), so that the message is kept from them.
    fn c2c_rules(&mut self, msg: &NewC2c) -> Result<bool> {
        let (facts, opt) =
            c2c_facts(&self.conn, &msg.from, &msg.to, msg.friends_only).map_err(db_err)?;
        c2c_verdict(&msg.from, &msg.to, msg.friends_only, facts)?;
        Ok(opt == Some(NOT_RECEIVE))
    }

    /// Store one message inside the open transaction. The counters move only when it is new.
    fn append_c2c(&mut self, msg: &NewC2c) -> Result<Stored> {
        // A receiver who does not receive the sender's messages gets no entry and no history.
        let refused = msg.from != msg.to && self.c2c_rules(msg)?;
        let key = c2c_key(&msg.from, &msg.to);
        let seq = self.last_seq(&key).map_err(db_err)? + 1;
        let from_cursor = self.last_cursor(&msg.from).map_err(db_err)? + 1;
        let to_cursor = match (msg.from == msg.to, refused) {
            (true, _) => from_cursor,
            (false, true) => 0,
            (false, false) => self.last_cursor(&msg.to).map_err(db_err)? + 1,
        };
        let body =
            serde_json::to_string(&msg.message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // A retry of a stored client message id inserts nothing and gets the first result.
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO messages (conv_key, seq, conv_type, sender, receiver, client_msg_id, rand, server_time,
                                       body, sender_cursor, receiver_cursor)
                 VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (sender, client_msg_id) DO NOTHING",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    key,
                    seq,
                    msg.from,
                    msg.to,
                    msg.client_msg_id,
                    msg.rand as i64,
                    msg.server_time as i64,
                    body,
                    from_cursor,
                    to_cursor
                ])
            })
            .map_err(db_err)?;
        if inserted == 0 {
            return existing(&self.conn, msg)?.ok_or_else(|| {
                StoreError::Corrupt(
                    "a message insert was ignored but no earlier copy exists".into(),
                )
            });
        }
        {
            let mut stmt = self
                .conn
                .prepare_cached("INSERT INTO inbox (user_id, cursor, kind, conv_key, seq) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(db_err)?;
            if !refused {
                stmt.execute(params![msg.to, to_cursor, KIND_MESSAGE, key, seq])
                    .map_err(db_err)?;
            }
            if msg.from != msg.to {
                stmt.execute(params![msg.from, from_cursor, KIND_MESSAGE, key, seq])
                    .map_err(db_err)?;
            }
        }
        if refused {
            self.conn
                .prepare_cached(
                    "INSERT INTO hidden_messages (owner, conv_key, seq) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut stmt| stmt.execute(params![msg.to, key, seq]))
                .map_err(db_err)?;
        }
        {
            // Both sides' conversation: its newest message, and one more unread for the receiver.
            let mut stmt = self
                .conn
                .prepare_cached(
                    "INSERT INTO conversations (owner, conv_key, conv_type, peer, last_seq, last_time, unread)
                     VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)
                     ON CONFLICT (owner, conv_key) DO UPDATE SET last_seq = excluded.last_seq,
                        last_time = excluded.last_time, unread = unread + excluded.unread",
                )
                .map_err(db_err)?;
            let time = msg.server_time as i64;
            let unread = i64::from(msg.from != msg.to);
            if !refused {
                stmt.execute(params![msg.to, key, msg.from, seq, time, unread])
                    .map_err(db_err)?;
            }
            if msg.from != msg.to {
                stmt.execute(params![msg.from, key, msg.to, seq, time, 0])
                    .map_err(db_err)?;
            }
        }
        self.seqs.insert(key, seq);
        if !refused {
            self.cursors.insert(msg.to.clone(), to_cursor);
        }
        self.cursors.insert(msg.from.clone(), from_cursor);
        Ok(Stored {
            message: WireMessage {
                conv_type: ConvType::C2C,
                from: msg.from.clone(),
                to: msg.to.clone(),
                seq: seq as u64,
                rand: msg.rand,
                server_time: msg.server_time,
                client_msg_id: msg.client_msg_id.clone(),
                message: msg.message.clone(),
            },
            from_cursor: from_cursor as u64,
            to_cursor: to_cursor as u64,
            duplicate: false,
        })
    }

    /// Move a read mark inside the open transaction (see [`ConversationStore::mark_c2c_read`]).
    fn mark_c2c_read(&mut self, r: &MarkRead) -> Result<ReadMark> {
        let key = c2c_key(&r.owner, &r.peer);
        let row = self
            .conn
            .prepare_cached(
                "SELECT read_seq, last_seq, unread FROM conversations WHERE owner = ?1 AND conv_key = ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![r.owner, key], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
                })
                .optional()
            })
            .map_err(db_err)?;
        let Some((read, last, unread)) = row else {
            return Ok(ReadMark {
                read_seq: 0,
                unread: 0,
                owner_cursor: None,
                peer_cursor: None,
            });
        };
        let target = match r.seq as i64 {
            s if s <= 0 || s > last => last,
            s => s,
        };
        if target <= read {
            return Ok(ReadMark {
                read_seq: read as u64,
                unread: unread as u64,
                owner_cursor: None,
                peer_cursor: None,
            });
        }
        let count = |w: &Writer, from: i64, to: i64| -> Result<i64> {
            w.conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM messages WHERE conv_key = ?1 AND seq > ?2 AND seq <= ?3
                     AND sender = ?4 AND sender <> ?5",
                )
                .and_then(|mut stmt| {
                    stmt.query_row(params![key, from, to, r.peer, r.owner], |row| row.get(0))
                })
                .map_err(db_err)
        };
        let left = count(self, target, i64::MAX)?;
        let theirs = count(self, read, target)?;
        self.conn
            .prepare_cached(
                "UPDATE conversations SET read_seq = ?3, unread = ?4 WHERE owner = ?1 AND conv_key = ?2",
            )
            .and_then(|mut stmt| stmt.execute(params![r.owner, key, target, left]))
            .map_err(db_err)?;
        let owner_cursor = self.last_cursor(&r.owner).map_err(db_err)? + 1;
        let insert = "INSERT INTO inbox (user_id, cursor, kind, conv_key, seq, extra)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
        self.conn
            .prepare_cached(insert)
            .and_then(|mut stmt| {
                stmt.execute(params![r.owner, owner_cursor, KIND_READ, key, target, left])
            })
            .map_err(db_err)?;
        let mut peer_cursor = None;
        if theirs > 0 {
            self.conn
                .prepare_cached(
                    "UPDATE conversations SET peer_read_seq = MAX(peer_read_seq, ?3)
                     WHERE owner = ?1 AND conv_key = ?2",
                )
                .and_then(|mut stmt| stmt.execute(params![r.peer, key, target]))
                .map_err(db_err)?;
            let c = self.last_cursor(&r.peer).map_err(db_err)? + 1;
            self.conn
                .prepare_cached(insert)
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        r.peer,
                        c,
                        KIND_PEER_READ,
                        key,
                        target,
                        r.time as i64
                    ])
                })
                .map_err(db_err)?;
            self.cursors.insert(r.peer.clone(), c);
            peer_cursor = Some(c as u64);
        }
        self.cursors.insert(r.owner.clone(), owner_cursor);
        Ok(ReadMark {
            read_seq: target as u64,
            unread: left as u64,
            owner_cursor: Some(owner_cursor as u64),
            peer_cursor,
        })
    }

    fn revoke_c2c(&mut self, r: &Revoke) -> Result<Option<Revoked>> {
        let key = c2c_key(&r.a, &r.b);
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE messages SET revoked = 1 WHERE conv_key = ?1 AND seq = ?2 AND revoked = 0",
            )
            .and_then(|mut stmt| stmt.execute(params![key, r.seq as i64]))
            .map_err(db_err)?;
        if changed == 0 {
            return Ok(None);
        }
        let mut users = vec![r.a.clone(), r.b.clone()];
        users.dedup();
        let mut cursors = Vec::new();
        for u in users {
            let c = self.entry(&u, KIND_REVOKE, &key, r.seq as i64)?;
            cursors.push((u, c));
        }
        Ok(Some(Revoked { cursors }))
    }

    /// An inbox entry of `user` with the next cursor, inside the open transaction.
    fn entry(&mut self, user: &str, kind: i64, key: &str, seq: i64) -> Result<u64> {
        self.entry_with(user, kind, key, seq, 0)
    }

    /// [`Writer::entry`] with the entry's second number (`extra`).
    fn entry_with(
        &mut self,
        user: &str,
        kind: i64,
        key: &str,
        seq: i64,
        extra: i64,
    ) -> Result<u64> {
        let c = self.last_cursor(user).map_err(db_err)? + 1;
        self.conn
            .prepare_cached(
                "INSERT INTO inbox (user_id, cursor, kind, conv_key, seq, extra)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut stmt| stmt.execute(params![user, c, kind, key, seq, extra]))
            .map_err(db_err)?;
        self.cursors.insert(user.to_owned(), c);
        Ok(c as u64)
    }

    /// See [`ConversationStore::delete_c2c`].
    fn delete_c2c(&mut self, d: &Hide) -> Result<Vec<(u64, u64)>> {
        let key = c2c_key(&d.owner, &d.peer);
        let cleared: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT cleared_seq FROM conversations WHERE owner = ?1 AND conv_key = ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![d.owner, key], |r| r.get(0))
                    .optional()
            })
            .map_err(db_err)?;
        let Some(cleared) = cleared else {
            return Ok(Vec::new()); // not a conversation of the owner
        };
        let mut out = Vec::new();
        for &seq in &d.seqs {
            let seq = seq.min(i64::MAX as u64) as i64;
            if seq <= cleared {
                continue;
            }
            let hidden = self
                .conn
                .prepare_cached(
                    "INSERT INTO hidden_messages (owner, conv_key, seq)
                     SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM messages WHERE conv_key = ?2 AND seq = ?3)
                     ON CONFLICT DO NOTHING",
                )
                .and_then(|mut stmt| stmt.execute(params![d.owner, key, seq]))
                .map_err(db_err)?;
            if hidden > 0 {
                let cursor = self.entry(&d.owner, KIND_DELETE, &key, seq)?;
                out.push((seq as u64, cursor));
            }
        }
        Ok(out)
    }

    /// See [`ConversationStore::clear_c2c`].
    fn clear_c2c(&mut self, c: &ClearJob) -> Result<Cleared> {
        let key = c2c_key(&c.owner, &c.peer);
        let row: Option<(i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT last_seq, cleared_seq FROM conversations WHERE owner = ?1 AND conv_key = ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![c.owner, key], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(db_err)?;
        let Some((last, cleared)) = row else {
            return Ok(Cleared {
                seq: 0,
                cursor: None,
            });
        };
        if last <= cleared {
            return Ok(Cleared {
                seq: cleared as u64,
                cursor: None,
            });
        }
        self.conn
            .prepare_cached(
                "UPDATE conversations SET cleared_seq = ?3, read_seq = MAX(read_seq, ?3), unread = 0
                 WHERE owner = ?1 AND conv_key = ?2",
            )
            .and_then(|mut stmt| stmt.execute(params![c.owner, key, last]))
            .map_err(db_err)?;
        self.conn
            .prepare_cached(
                "DELETE FROM hidden_messages WHERE owner = ?1 AND conv_key = ?2 AND seq <= ?3",
            )
            .and_then(|mut stmt| stmt.execute(params![c.owner, key, last]))
            .map_err(db_err)?;
        let cursor = self.entry(&c.owner, KIND_CLEAR, &key, last)?;
        Ok(Cleared {
            seq: last as u64,
            cursor: Some(cursor),
        })
    }

    /// See [`ConversationStore::pin_c2c`].
    fn pin_c2c(&mut self, p: &Pin) -> Result<Option<u64>> {
        let key = c2c_key(&p.owner, &p.peer);
        let pinned = i64::from(p.pinned);
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE conversations SET pinned = ?3 WHERE owner = ?1 AND conv_key = ?2 AND pinned <> ?3",
            )
            .and_then(|mut stmt| stmt.execute(params![p.owner, key, pinned]))
            .map_err(db_err)?;
        if changed == 0 {
            return Ok(None);
        }
        self.entry_with(&p.owner, KIND_PIN, &key, 0, pinned)
            .map(Some)
    }

    /// See [`ConversationStore::hide_c2c`].
    fn hide_c2c(&mut self, c: &ClearJob) -> Result<Option<u64>> {
        let key = c2c_key(&c.owner, &c.peer);
        let last: Option<i64> = self
            .conn
            .prepare_cached(
                "UPDATE conversations SET deleted_seq = last_seq, read_seq = MAX(read_seq, last_seq),
                    unread = 0
                 WHERE owner = ?1 AND conv_key = ?2 AND deleted_seq < last_seq RETURNING last_seq",
            )
            .and_then(|mut stmt| stmt.query_row(params![c.owner, key], |r| r.get(0)).optional())
            .map_err(db_err)?;
        match last {
            Some(last) => self.entry(&c.owner, KIND_CONV_DELETE, &key, last).map(Some),
            None => Ok(None),
        }
    }

    /// See [`MessageStore::put_relay`].
    fn put_relay(&mut self, r: &Relay) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO relays (relay_key, owner, body, created) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![r.key, r.owner, r.body, r.time as i64]))
            .map_err(db_err)?;
        Ok(())
    }

    /// See [`ConversationStore::set_receive_opt`].
    fn set_receive_opt(&mut self, r: &ReceiveOpt) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO receive_opts (owner, peer, opt) VALUES (?1, ?2, ?3)
                 ON CONFLICT (owner, peer) DO UPDATE SET opt = excluded.opt",
            )
            .map_err(db_err)?;
        for peer in &r.peers {
            stmt.execute(params![r.owner, peer, r.opt])
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// Run every job in one transaction. False when a write or the commit failed (all of it
    /// rolled back).
    fn commit_jobs(&mut self, jobs: &mut [Box<dyn Job>]) -> bool {
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::warn!(error = %e, "cannot begin a SQLite transaction");
            return false;
        }
        let ok = jobs.iter_mut().all(|j| j.run(self));
        if !ok {
            self.rollback();
            return false;
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            tracing::warn!(error = %e, "batched SQLite commit failed");
            self.rollback();
            return false;
        }
        true
    }

    /// `f` in a transaction of its own, committed when it succeeds.
    fn in_transaction<R>(&mut self, f: impl FnOnce(&mut Writer) -> Result<R>) -> Result<R> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db_err)?;
        let result = f(self).and_then(|r| {
            self.conn
                .execute_batch("COMMIT")
                .map(|()| r)
                .map_err(db_err)
        });
        if result.is_err() {
            self.rollback();
        }
        result
    }

    fn rollback(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
        self.forget_counters();
    }
}

/// A message to recall (the writer's job item).
struct Revoke {
    a: String,
    b: String,
    seq: u64,
}

/// Messages to delete for their owner (the writer's job item).
struct Hide {
    owner: String,
    peer: String,
    seqs: Vec<u64>,
}

/// A bundle of forwarded messages to keep (the writer's job item).
struct Relay {
    key: String,
    owner: String,
    body: String,
    time: u64,
}

/// Receive options to set (the writer's job item).
struct ReceiveOpt {
    owner: String,
    peers: Vec<String>,
    opt: i64,
}

/// A conversation to pin or unpin (the writer's job item).
struct Pin {
    owner: String,
    peer: String,
    pinned: bool,
}

/// A history to clear, or a conversation to take off the list, for its owner (the writer's
/// job item).
struct ClearJob {
    owner: String,
    peer: String,
}

/// A read mark to move (the writer's job item).
struct MarkRead {
    owner: String,
    peer: String,
    seq: u64,
    time: u64,
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Copy committed WAL frames into the database file in the background. A PASSIVE checkpoint
/// never blocks the writer, so a write batch never waits for one (with SQLite's automatic
/// checkpoints it did, adding tens of milliseconds to every message behind it).
fn checkpoint_loop(conn: Connection, alive: std::sync::Weak<()>) {
    while alive.strong_count() > 0 {
        std::thread::sleep(CHECKPOINT_EVERY);
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
        }
    }
}

fn writer_loop(conn: Connection, mut rx: mpsc::Receiver<Box<dyn Job>>, batch: usize) {
    let mut w = Writer {
        conn,
        seqs: HashMap::new(),
        cursors: HashMap::new(),
    };
    let mut jobs: Vec<Box<dyn Job>> = Vec::with_capacity(batch);
    while let Some(first) = rx.blocking_recv() {
        let mut count = first.len();
        jobs.push(first);
        while count < batch {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        // Fast path: every write of the batch in one transaction, one commit (group commit).
        if !w.commit_jobs(&mut jobs) {
            tracing::debug!("a batched write failed; writing one by one");
            for job in jobs.iter_mut() {
                job.reset();
                job.run_alone(&mut w);
            }
        }
        for job in jobs.drain(..) {
            job.reply();
        }
    }
}

/// What `c2c_verdict` needs about a C2C message from `from` to `to`, and the receiver's
/// receive option for the sender, in one probe (the friend rows only with `friends_only`).
fn c2c_facts(
    conn: &Connection,
    from: &str,
    to: &str,
    friends_only: bool,
) -> rusqlite::Result<(C2cFacts, Option<i64>)> {
    let (receiver_exists, receiver_blocked_sender, opt) = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE user_id = ?1),
                    EXISTS (SELECT 1 FROM blacklist WHERE owner = ?1 AND blocked = ?2),
                    (SELECT opt FROM receive_opts WHERE owner = ?1 AND peer = ?2)",
        )
        .and_then(|mut s| {
            s.query_row(params![to, from], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<i64>>(2)?))
            })
        })?;
    let friend = |a: &str, b: &str| {
        conn.prepare_cached("SELECT 1 FROM friends WHERE owner = ?1 AND friend = ?2")
            .and_then(|mut s| s.exists(params![a, b]))
    };
    let (peer_has_sender, sender_has_peer) = match friends_only {
        true => (friend(to, from)?, friend(from, to)?),
        false => (false, false),
    };
    let facts = C2cFacts {
        receiver_exists,
        receiver_blocked_sender,
        peer_has_sender,
        sender_has_peer,
    };
    Ok((facts, opt))
}

fn existing(conn: &Connection, msg: &NewC2c) -> Result<Option<Stored>> {
    let row = conn
        .prepare_cached(
            "SELECT seq, rand, server_time, body, sender_cursor, receiver_cursor
             FROM messages WHERE sender = ?1 AND client_msg_id = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![msg.from, msg.client_msg_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .optional()
        })
        .map_err(db_err)?;
    let Some((seq, rand, time, body, from_cursor, to_cursor)) = row else {
        return Ok(None);
    };
    let message: Message =
        serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(Stored {
        message: WireMessage {
            conv_type: ConvType::C2C,
            from: msg.from.clone(),
            to: msg.to.clone(),
            seq: seq as u64,
            rand: rand as u64,
            server_time: time as u64,
            client_msg_id: msg.client_msg_id.clone(),
            message,
        },
        from_cursor: from_cursor as u64,
        to_cursor: to_cursor as u64,
        duplicate: true,
    }))
}

pub(super) fn row_to_wire(r: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<WireMessage> {
    let body: String = r.get(offset + 7)?;
    let message: Message = serde_json::from_str(&body).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            offset + 7,
            rusqlite::types::Type::Text,
            Box::new(e),
        )
    })?;
    let mut message = message;
    if r.get::<_, i64>(offset + 8)? != 0 {
        message.status = Some(MsgStatus::REVOKED);
    }
    Ok(WireMessage {
        conv_type: ConvType(r.get(offset)?),
        from: r.get(offset + 1)?,
        to: r.get(offset + 2)?,
        seq: r.get::<_, i64>(offset + 3)? as u64,
        rand: r.get::<_, i64>(offset + 4)? as u64,
        server_time: r.get::<_, i64>(offset + 5)? as u64,
        client_msg_id: r.get(offset + 6)?,
        message,
    })
}

pub(super) const WIRE_COLUMNS: &str =
    "m.conv_type, m.sender, m.receiver, m.seq, m.rand, m.server_time,
     m.client_msg_id, m.body, m.revoked";

#[async_trait]
impl MessageStore for SqliteStore {
    async fn c2c_allowed(&self, from: &str, to: &str, friends_only: bool) -> Result<()> {
        let (a, b) = (from.to_owned(), to.to_owned());
        let facts = self
            .read(move |conn| c2c_facts(conn, &a, &b, friends_only).map(|(f, _)| f))
            .await?;
        c2c_verdict(from, to, friends_only, facts)
    }

    async fn append_c2c(&self, msg: NewC2c) -> Result<Stored> {
        self.append_c2c_batch(vec![msg])
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn append_c2c_batch(&self, msgs: Vec<NewC2c>) -> Vec<Result<Stored>> {
        self.write(msgs, Writer::append_c2c).await
    }

    async fn c2c_history(
        &self,
        a: &str,
        b: &str,
        before: u64,
        limit: u32,
    ) -> Result<Vec<WireMessage>> {
        let key = c2c_key(a, b);
        let owner = a.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {WIRE_COLUMNS} FROM messages m WHERE m.conv_key = ?1 AND m.seq < ?2
                 AND m.seq > COALESCE((SELECT cleared_seq FROM conversations
                                       WHERE owner = ?4 AND conv_key = ?1), 0)
                 AND NOT EXISTS (SELECT 1 FROM hidden_messages h
                                 WHERE h.owner = ?4 AND h.conv_key = ?1 AND h.seq = m.seq)
                 ORDER BY m.seq DESC LIMIT ?3"
            ))?;
            let rows = stmt.query_map(
                params![key, before.min(i64::MAX as u64) as i64, limit, owner],
                |r| row_to_wire(r, 0),
            )?;
            rows.collect()
        })
        .await
    }

    async fn c2c_message(&self, a: &str, b: &str, seq: u64) -> Result<Option<WireMessage>> {
        let key = c2c_key(a, b);
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {WIRE_COLUMNS} FROM messages m WHERE m.conv_key = ?1 AND m.seq = ?2"
            ))?
            .query_row(params![key, seq.min(i64::MAX as u64) as i64], |r| {
                row_to_wire(r, 0)
            })
            .optional()
        })
        .await
    }

    async fn put_relay(&self, key: &str, owner: &str, body: String, time: u64) -> Result<()> {
        let job = Relay {
            key: key.to_owned(),
            owner: owner.to_owned(),
            body,
            time,
        };
        self.write(vec![job], Writer::put_relay)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn relay(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT body FROM relays WHERE relay_key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn revoke_c2c(&self, a: &str, b: &str, seq: u64) -> Result<Option<Revoked>> {
        let job = Revoke {
            a: a.to_owned(),
            b: b.to_owned(),
            seq,
        };
        self.write(vec![job], Writer::revoke_c2c)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }
}

#[async_trait]
impl InboxStore for SqliteStore {
    async fn inbox_after(&self, user: &str, cursor: u64, limit: u32) -> Result<Vec<InboxEntry>> {
        let user = user.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT i.cursor, i.kind, i.seq, i.extra, COALESCE(c.conv_type, 2),
                        COALESCE(c.peer, substr(i.conv_key, 7)), {WIRE_COLUMNS}
                 FROM inbox i
                 LEFT JOIN messages m ON i.kind IN ({KIND_MESSAGE}, {KIND_REVOKE})
                                      AND m.conv_key = i.conv_key AND m.seq = i.seq
                 LEFT JOIN conversations c ON i.kind <> {KIND_MESSAGE} AND c.owner = i.user_id
                                           AND c.conv_key = i.conv_key
                 WHERE i.user_id = ?1 AND i.cursor > ?2 ORDER BY i.cursor LIMIT ?3"
            ))?;
            let rows = stmt.query_map(params![user, cursor as i64, limit], |r| {
                let kind: i64 = r.get(1)?;
                let conv = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(ConvType, String)> {
                    Ok((ConvType(r.get(4)?), r.get(5)?))
                };
                let item = match kind {
                    KIND_MESSAGE => InboxItem::Message {
                        message: Box::new(row_to_wire(r, 6)?),
                    },
                    KIND_READ => {
                        let (conv_type, conv_id) = conv(r)?;
                        InboxItem::Read {
                            conv_type,
                            conv_id,
                            read_seq: r.get::<_, i64>(2)? as u64,
                            unread: r.get::<_, i64>(3)? as u64,
                        }
                    }
                    KIND_PEER_READ => {
                        let (conv_type, conv_id) = conv(r)?;
                        InboxItem::PeerRead {
                            conv_type,
                            conv_id,
                            read_seq: r.get::<_, i64>(2)? as u64,
                            time: r.get::<_, i64>(3)? as u64,
                        }
                    }
                    KIND_REVOKE => {
                        let (conv_type, conv_id) = conv(r)?;
                        let m = row_to_wire(r, 6)?;
                        InboxItem::Revoke {
                            conv_type,
                            conv_id,
                            seq: m.seq,
                            rand: m.rand,
                            time: m.server_time,
                            from: m.from,
                        }
                    }
                    KIND_DELETE | KIND_CLEAR => {
                        let (conv_type, conv_id) = conv(r)?;
                        let seq = r.get::<_, i64>(2)? as u64;
                        match kind {
                            KIND_DELETE => InboxItem::Delete {
                                conv_type,
                                conv_id,
                                seq,
                            },
                            _ => InboxItem::Clear {
                                conv_type,
                                conv_id,
                                seq,
                            },
                        }
                    }
                    KIND_PIN => {
                        let (conv_type, conv_id) = conv(r)?;
                        InboxItem::Pin {
                            conv_type,
                            conv_id,
                            pinned: r.get::<_, i64>(3)? != 0,
                        }
                    }
                    KIND_CONV_DELETE => {
                        let (conv_type, conv_id) = conv(r)?;
                        InboxItem::ConvDelete { conv_type, conv_id }
                    }
                    KIND_GROUP => InboxItem::Group {
                        conv_id: conv(r)?.1,
                        joined: r.get::<_, i64>(3)? != 0,
                        seq: r.get::<_, i64>(2)? as u64,
                    },
                    _ => InboxItem::Unknown,
                };
                Ok(InboxEntry {
                    cursor: r.get::<_, i64>(0)? as u64,
                    item,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn inbox_head(&self, user: &str) -> Result<u64> {
        let user = user.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT COALESCE(MAX(cursor), 0) FROM inbox WHERE user_id = ?1")?
                .query_row([user], |r| r.get::<_, i64>(0))
                .map(|v| v as u64)
        })
        .await
    }
}

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn conversations(&self, owner: &str, limit: u32) -> Result<(Vec<ConvRow>, u64)> {
        let owner = owner.to_owned();
        self.read(move |conn| {
            // One read transaction: the list and the cursor are one snapshot.
            let tx = conn.unchecked_transaction()?;
            let list = {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT c.conv_type, c.peer, c.last_time, c.unread, c.read_seq, c.peer_read_seq,
                            c.pinned, m.seq IS NOT NULL, {WIRE_COLUMNS}
                     FROM conversations c
                     LEFT JOIN messages m ON m.conv_key = c.conv_key AND m.seq = (
                        SELECT v.seq FROM messages v WHERE v.conv_key = c.conv_key
                          AND v.seq <= c.last_seq AND v.seq > c.cleared_seq
                          AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.owner = c.owner
                                          AND h.conv_key = c.conv_key AND h.seq = v.seq)
                        ORDER BY v.seq DESC LIMIT 1)
                     WHERE c.owner = ?1 AND c.last_seq > c.deleted_seq
                     ORDER BY c.pinned DESC, c.last_time DESC, c.conv_key LIMIT ?2"
                ))?;
                let rows = stmt.query_map(params![owner, limit], |r| {
                    Ok(ConvRow {
                        conv_type: ConvType(r.get(0)?),
                        peer: r.get(1)?,
                        active_time: r.get::<_, i64>(2)? as u64,
                        unread: r.get::<_, i64>(3)? as u64,
                        read_seq: r.get::<_, i64>(4)? as u64,
                        peer_read_seq: r.get::<_, i64>(5)? as u64,
                        pinned: r.get::<_, i64>(6)? != 0,
                        last: match r.get::<_, bool>(7)? {
                            true => Some(row_to_wire(r, 8)?),
                            false => None,
                        },
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            let head = tx
                .prepare_cached("SELECT COALESCE(MAX(cursor), 0) FROM inbox WHERE user_id = ?1")?
                .query_row([&owner], |r| r.get::<_, i64>(0))? as u64;
            tx.commit()?;
            Ok((list, head))
        })
        .await
    }

    async fn mark_c2c_read(
        &self,
        owner: &str,
        peer: &str,
        seq: u64,
        time: u64,
    ) -> Result<ReadMark> {
        let job = MarkRead {
            owner: owner.to_owned(),
            peer: peer.to_owned(),
            seq,
            time,
        };
        self.write(vec![job], Writer::mark_c2c_read)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn delete_c2c(&self, owner: &str, peer: &str, seqs: Vec<u64>) -> Result<Vec<(u64, u64)>> {
        let job = Hide {
            owner: owner.to_owned(),
            peer: peer.to_owned(),
            seqs,
        };
        self.write(vec![job], Writer::delete_c2c)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn clear_c2c(&self, owner: &str, peer: &str) -> Result<Cleared> {
        let job = ClearJob {
            owner: owner.to_owned(),
            peer: peer.to_owned(),
        };
        self.write(vec![job], Writer::clear_c2c)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn pin_c2c(&self, owner: &str, peer: &str, pinned: bool) -> Result<Option<u64>> {
        let job = Pin {
            owner: owner.to_owned(),
            peer: peer.to_owned(),
            pinned,
        };
        self.write(vec![job], Writer::pin_c2c)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn hide_c2c(&self, owner: &str, peer: &str) -> Result<Option<u64>> {
        let job = ClearJob {
            owner: owner.to_owned(),
            peer: peer.to_owned(),
        };
        self.write(vec![job], Writer::hide_c2c)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn set_receive_opt(&self, owner: &str, peers: Vec<String>, opt: i64) -> Result<()> {
        let job = ReceiveOpt {
            owner: owner.to_owned(),
            peers,
            opt,
        };
        self.write(vec![job], Writer::set_receive_opt)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }

    async fn receive_opts(&self, owner: &str, peers: Vec<String>) -> Result<Vec<i64>> {
        let owner = owner.to_owned();
        self.read(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT opt FROM receive_opts WHERE owner = ?1 AND peer = ?2")?;
            peers
                .iter()
                .map(|p| {
                    stmt.query_row(params![owner, p], |r| r.get::<_, i64>(0))
                        .optional()
                        .map(Option::unwrap_or_default)
                })
                .collect()
        })
        .await
    }
}

#[async_trait]
impl StoreHealth for SqliteStore {
    async fn ping(&self) -> Result<()> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }
}
