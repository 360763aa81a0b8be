//! The PostgreSQL store, for clusters: every node of a deployment shares one database.
//!
//! Each message is one transaction. Sequence numbers come from a `counters` row updated in that
//! transaction (`INSERT .. ON CONFLICT DO UPDATE .. RETURNING`), so concurrent writers on any
//! number of nodes queue on the row lock and a rolled-back transaction gives its number back:
//! sequences stay gap-free and strictly increasing. Locks are always taken in one order (the
//! conversation's counter, then the inbox counters by user id), so two transactions never wait
//! on each other in a cycle; a serialisation or deadlock failure is retried anyway.
//!
//! Every operation rides out a database that blinks: a broken or refused connection, an
//! administrator's shutdown or a pool timeout is repeated with backoff until the retry deadline
//! (`store_retry_secs`) passes, and only then reported, as [`StoreError::Unavailable`]. The pool
//! replaces the connections that broke by itself.

mod tls;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use opentim_model::enums::{ConvType, MsgStatus};
use opentim_model::message::Message;
use opentim_protocol::{InboxEntry, InboxItem, WireMessage};
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{GenericClient, NoTls, Row, Socket};

mod friend;
mod group;
mod pendency;
mod profile;
mod receipt;
mod webhook;

use super::retry::{Backoff, DEFAULT_RETRY_DEADLINE};
use super::{
    c2c_key, c2c_verdict, C2cFacts, Cleared, ConvRow, ConversationStore, InboxStore, MessageStore,
    NewC2c, ReadMark, Result, Revoked, StoreError, StoreHealth, Stored, NOT_RECEIVE,
};

/// Numbered migrations, applied in order, one transaction each, under an advisory lock so
/// nodes starting together do not race.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/001_messages_inbox_counters.sql"),
    include_str!("../migrations/postgres/002_conversations.sql"),
    include_str!("../migrations/postgres/003_revoke.sql"),
    include_str!("../migrations/postgres/004_delete.sql"),
    include_str!("../migrations/postgres/005_pin_hide.sql"),
    include_str!("../migrations/postgres/006_receive_opts.sql"),
    include_str!("../migrations/postgres/007_relays.sql"),
    include_str!("../migrations/postgres/008_groups.sql"),
    include_str!("../migrations/postgres/009_group_messages.sql"),
    include_str!("../migrations/postgres/010_group_admin.sql"),
    include_str!("../migrations/postgres/011_group_attributes.sql"),
    include_str!("../migrations/postgres/012_group_receipts.sql"),
    include_str!("../migrations/postgres/013_group_member_view.sql"),
    include_str!("../migrations/postgres/014_profiles.sql"),
    include_str!("../migrations/postgres/015_blacklist.sql"),
    include_str!("../migrations/postgres/016_friends.sql"),
    include_str!("../migrations/postgres/017_media.sql"),
    include_str!("../migrations/postgres/018_account_sigs.sql"),
    include_str!("../migrations/postgres/019_callbacks.sql"),
    include_str!("../migrations/postgres/020_account_mutes.sql"),
];

/// Advisory lock key guarding migrations ("opentim" in ASCII).
const MIGRATION_LOCK: i64 = 0x006f_7065_6e74_696d;

const KIND_MESSAGE: i32 = super::KIND_MESSAGE as i32;
const KIND_READ: i32 = super::KIND_READ as i32;
const KIND_PEER_READ: i32 = super::KIND_PEER_READ as i32;
const KIND_REVOKE: i32 = super::KIND_REVOKE as i32;
const KIND_DELETE: i32 = super::KIND_DELETE as i32;
const KIND_CLEAR: i32 = super::KIND_CLEAR as i32;
const KIND_PIN: i32 = super::KIND_PIN as i32;
const KIND_CONV_DELETE: i32 = super::KIND_CONV_DELETE as i32;
const KIND_GROUP: i32 = super::KIND_GROUP as i32;

fn db_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

/// A PostgreSQL error with the server's own message (the plain Display says only "db error").
fn pg_err(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Database(format!(
            "{} ({}): {}",
            db.severity(),
            db.code().code(),
            db.message()
        )),
        None => StoreError::Database(e.to_string()),
    }
}

/// Whether repeating the operation may succeed: the connection broke or could not be made,
/// the server is shutting down, starting or out of connections, or the transaction lost a
/// serialisation race.
fn transient(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        Some(c) => {
            c.code().starts_with("08") // connection exceptions
                || [
                    SqlState::T_R_SERIALIZATION_FAILURE,
                    SqlState::T_R_DEADLOCK_DETECTED,
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::TOO_MANY_CONNECTIONS,
                ]
                .contains(c)
        }
        None => {
            e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        }
    }
}

/// Why one attempt failed.
enum Failure {
    /// Worth repeating (see [`transient`]); the text says what happened.
    Retry(String),
    Fatal(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        if transient(&e) {
            Failure::Retry(pg_err(e).to_string())
        } else {
            Failure::Fatal(pg_err(e))
        }
    }
}

impl From<deadpool_postgres::PoolError> for Failure {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::PoolError;
        match e {
            PoolError::Backend(e) => e.into(),
            PoolError::Timeout(_) => Failure::Retry(format!("no database connection: {e}")),
            PoolError::Closed => Failure::Fatal(StoreError::Closed),
            other => Failure::Fatal(db_err(other)),
        }
    }
}

pub(super) fn unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// The PostgreSQL implementation of [`Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    retry_deadline: Duration,
}

impl PgStore {
    /// The connection pool (the media store shares it).
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Connect, create `schema` if given, and apply migrations.
    pub async fn connect(url: &str, schema: Option<&str>, pool_size: usize) -> Result<Self> {
        Self::connect_with(url, schema, pool_size, None).await
    }

    /// As [`PgStore::connect`]; with `sslmode=require` in the URL the connections use TLS,
    /// verified against `ca_file` when one is given.
    pub async fn connect_with(
        url: &str,
        schema: Option<&str>,
        pool_size: usize,
        ca_file: Option<&Path>,
    ) -> Result<Self> {
        let mut pg: tokio_postgres::Config = url
            .parse()
            .map_err(|e| db_err(format!("bad database_url: {e}")))?;
        let tls = match pg.get_ssl_mode() {
            SslMode::Require => Some(tls::connector(ca_file)?),
            // `prefer` (the default) and `disable`: plain, never a half-verified attempt.
            _ => {
                pg.ssl_mode(SslMode::Disable);
                None
            }
        };
        if let Some(schema) = schema {
            // Schema names are validated by the config (letters, digits, underscores).
            let sql = format!(
                "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
                 CREATE SCHEMA IF NOT EXISTS {schema}; COMMIT;"
            );
            // Under the migration lock: nodes starting together would race on the catalog.
            match &tls {
                Some(t) => run_once(&pg, t.clone(), &sql).await?,
                None => run_once(&pg, NoTls, &sql).await?,
            }
            pg.options(format!("-c search_path={schema}"));
        }
        pg.connect_timeout(Duration::from_secs(5));
        let config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls {
            Some(t) => Manager::from_config(pg, t, config),
            None => Manager::from_config(pg, NoTls, config),
        };
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .build()
            .map_err(db_err)?;
        let store = PgStore {
            pool,
            retry_deadline: DEFAULT_RETRY_DEADLINE,
        };
        store.migrate().await?;
        tracing::info!(
            schema = schema.unwrap_or("(default)"),
            "PostgreSQL store open"
        );
        Ok(store)
    }

    /// How long a transiently failing operation is repeated before it fails as
    /// [`StoreError::Unavailable`].
    pub fn with_retry_deadline(mut self, deadline: Duration) -> Self {
        self.retry_deadline = deadline;
        self
    }

    /// Run `attempt` until it succeeds, fails for good, or keeps failing transiently past the
    /// retry deadline.
    async fn retrying<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, Failure>>,
    {
        let mut backoff = Backoff::new(self.retry_deadline);
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(why)) => {
                    if backoff.attempts == 1 {
                        tracing::warn!(%why, what, "database operation failed; retrying");
                    }
                    if !backoff.wait().await {
                        tracing::error!(%why, what, attempts = backoff.attempts, "database unavailable; giving up");
                        return Err(StoreError::Unavailable(why));
                    }
                }
            }
        }
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.pool.get().await.map_err(db_err)?;
        client
            .batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
                 CREATE TABLE IF NOT EXISTS opentim_migrations (
                    version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
                 COMMIT;"
            ))
            .await
            .map_err(pg_err)?;
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let version = (i + 1) as i32;
            let tx = client.transaction().await.map_err(pg_err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(pg_err)?;
            let done = tx
                .query_opt(
                    "SELECT 1 FROM opentim_migrations WHERE version = $1",
                    &[&version],
                )
                .await
                .map_err(pg_err)?
                .is_some();
            if !done {
                tx.batch_execute(sql).await.map_err(pg_err)?;
                tx.execute(
                    "INSERT INTO opentim_migrations (version) VALUES ($1)",
                    &[&version],
                )
                .await
                .map_err(pg_err)?;
                tracing::info!(version, "applied PostgreSQL migration");
            }
            tx.commit().await.map_err(pg_err)?;
        }
        Ok(())
    }

    async fn existing(
        client: &impl GenericClient,
        msg: &NewC2c,
    ) -> std::result::Result<Option<Stored>, Failure> {
        let row = client
            .query_opt(
                "SELECT seq, rand, server_time, body, sender_cursor, receiver_cursor
                 FROM messages WHERE sender = $1 AND client_msg_id = $2",
                &[&msg.from, &msg.client_msg_id],
            )
            .await?;
        row.map(|r| stored_from(&r, msg)).transpose()
    }

    async fn try_append(&self, msg: &NewC2c) -> std::result::Result<Stored, Failure> {
        let mut client = self.pool.get().await?;
        // One round trip: an earlier copy of this client message id, and whether the receiver
        // receives the sender's messages.
        let row = client
            .query_one(
                "SELECT m.seq, m.rand, m.server_time, m.body, m.sender_cursor, m.receiver_cursor,
                        EXISTS (SELECT 1 FROM receive_opts WHERE owner = $3 AND peer = $1
                                AND opt = $4 AND owner <> peer),
                        EXISTS (SELECT 1 FROM blacklist WHERE owner = $3 AND blocked = $1
                                AND owner <> blocked),
                        $1 = $3 OR EXISTS (SELECT 1 FROM accounts WHERE user_id = $3),
                        EXISTS (SELECT 1 FROM friends WHERE owner = $3 AND friend = $1),
                        EXISTS (SELECT 1 FROM friends WHERE owner = $1 AND friend = $3)
                 FROM (SELECT 1) AS one
                 LEFT JOIN messages m ON m.sender = $1 AND m.client_msg_id = $2",
                &[&msg.from, &msg.client_msg_id, &msg.to, &NOT_RECEIVE],
            )
            .await?;
        if row.get::<_, Option<i64>>(0).is_some() {
            return stored_from(&row, msg);
        }
        let facts = C2cFacts {
            receiver_blocked_sender: row.get(7),
            receiver_exists: row.get(8),
            peer_has_sender: row.get(9),
            sender_has_peer: row.get(10),
        };
        c2c_verdict(&msg.from, &msg.to, msg.friends_only, facts).map_err(Failure::Fatal)?;
        let refused: bool = row.get(6);
        let key = c2c_key(&msg.from, &msg.to);
        let body = serde_json::to_string(&msg.message)
            .map_err(|e| Failure::Fatal(StoreError::Corrupt(e.to_string())))?;
        let tx = client.transaction().await?;
        let next = "INSERT INTO counters (name, value) VALUES ($1, 1)
                    ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value";
        let seq: i64 = tx.query_one(next, &[&key]).await?.get(0);
        // Inbox counters in user-id order: the same lock order in every transaction. A
        // receiver who does not receive the sender's messages gets no entry (nor a cursor).
        let mut users = vec![msg.from.as_str()];
        if msg.to != msg.from && !refused {
            users.push(msg.to.as_str());
        }
        users.sort_unstable();
        let (mut from_cursor, mut to_cursor) = (0i64, 0i64);
        for u in users {
            let c: i64 = tx.query_one(next, &[&inbox_counter(u)]).await?.get(0);
            if u == msg.from {
                from_cursor = c;
            }
            if u == msg.to {
                to_cursor = c;
            }
        }
        let insert_inbox =
            "INSERT INTO inbox (user_id, cursor, kind, conv_key, seq) VALUES ($1, $2, $3, $4, $5)";
        if !refused {
            tx.execute(
                insert_inbox,
                &[&msg.to, &to_cursor, &KIND_MESSAGE, &key, &seq],
            )
            .await?;
        } else {
            tx.execute(
                "INSERT INTO hidden_messages (owner, conv_key, seq) VALUES ($1, $2, $3)",
                &[&msg.to, &key, &seq],
            )
            .await?;
        }
        if msg.from != msg.to {
            tx.execute(
                insert_inbox,
                &[&msg.from, &from_cursor, &KIND_MESSAGE, &key, &seq],
            )
            .await?;
        }
        let inserted = tx
            .execute(
                "INSERT INTO messages (conv_key, seq, conv_type, sender, receiver, client_msg_id, rand, server_time, body,
                                       sender_cursor, receiver_cursor)
                 VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &key,
                    &seq,
                    &msg.from,
                    &msg.to,
                    &msg.client_msg_id,
                    &(msg.rand as i64),
                    &(msg.server_time as i64),
                    &body,
                    &from_cursor,
                    &to_cursor,
                ],
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => {
                // The same client message id was stored concurrently (a retry on another node):
                // give the numbers back and answer with the first result.
                drop(tx);
                if let Some(found) = Self::existing(&**client, msg).await? {
                    return Ok(found);
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
        // Both sides' conversation: its newest message, and one more unread for the receiver.
        let upsert = "INSERT INTO conversations (owner, conv_key, conv_type, peer, last_seq, last_time, unread)
                      VALUES ($1, $2, 1, $3, $4, $5, $6)
                      ON CONFLICT (owner, conv_key) DO UPDATE SET last_seq = EXCLUDED.last_seq,
                         last_time = EXCLUDED.last_time, unread = conversations.unread + EXCLUDED.unread";
        let time = msg.server_time as i64;
        let unread = i64::from(msg.from != msg.to);
        if !refused {
            tx.execute(upsert, &[&msg.to, &key, &msg.from, &seq, &time, &unread])
                .await?;
        }
        if msg.from != msg.to {
            tx.execute(upsert, &[&msg.from, &key, &msg.to, &seq, &time, &0i64])
                .await?;
        }
        tx.commit().await?;
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
}

impl PgStore {
    async fn try_revoke(
        &self,
        a: &str,
        b: &str,
        seq: u64,
    ) -> std::result::Result<Option<Revoked>, Failure> {
        let mut client = self.pool.get().await?;
        let key = c2c_key(a, b);
        let tx = client.transaction().await?;
        // The conversation's counter first, then the inbox counters in user-id order, as sends
        // take them.
        lock_conversation(&tx, &key).await?;
        let changed = tx
            .execute(
                "UPDATE messages SET revoked = 1 WHERE conv_key = $1 AND seq = $2 AND revoked = 0",
                &[&key, &clamp(seq)],
            )
            .await?;
        if changed == 0 {
            return Ok(None);
        }
        let mut users = vec![a, b];
        users.sort_unstable();
        users.dedup();
        let mut cursors = Vec::new();
        for u in users {
            let c = inbox_entry(&tx, u, (KIND_REVOKE, &key, clamp(seq), 0)).await?;
            cursors.push((u.to_owned(), c));
        }
        tx.commit().await?;
        Ok(Some(Revoked { cursors }))
    }

    async fn try_mark_read(
        &self,
        owner: &str,
        peer: &str,
        seq: u64,
        time: u64,
    ) -> std::result::Result<ReadMark, Failure> {
        let mut client = self.pool.get().await?;
        let key = c2c_key(owner, peer);
        let tx = client.transaction().await?;
        // The conversation's counter first, as every send to it takes it first: the mark and
        // the sends of the conversation are serialised in one lock order.
        lock_conversation(&tx, &key).await?;
        let row = tx
            .query_opt(
                "SELECT read_seq, last_seq, unread FROM conversations WHERE owner = $1 AND conv_key = $2",
                &[&owner, &key],
            )
            .await?;
        let Some(row) = row else {
            return Ok(ReadMark {
                read_seq: 0,
                unread: 0,
                owner_cursor: None,
                peer_cursor: None,
            });
        };
        let (read, last, unread): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        let target = match clamp(seq) {
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
        let count = "SELECT COUNT(*) FROM messages WHERE conv_key = $1 AND seq > $2 AND seq <= $3
                     AND sender = $4 AND sender <> $5";
        let left: i64 = tx
            .query_one(count, &[&key, &target, &i64::MAX, &peer, &owner])
            .await?
            .get(0);
        let theirs: i64 = tx
            .query_one(count, &[&key, &read, &target, &peer, &owner])
            .await?
            .get(0);
        tx.execute(
            "UPDATE conversations SET read_seq = $3, unread = $4 WHERE owner = $1 AND conv_key = $2",
            &[&owner, &key, &target, &left],
        )
        .await?;
        // Inbox counters in user-id order, as sends take them; only those that get an entry.
        let next = "INSERT INTO counters (name, value) VALUES ($1, 1)
                    ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value";
        let mut users = vec![owner];
        if theirs > 0 {
            users.push(peer);
        }
        users.sort_unstable();
        let mut cursors = std::collections::HashMap::new();
        for u in users {
            let c: i64 = tx.query_one(next, &[&inbox_counter(u)]).await?.get(0);
            cursors.insert(u, c);
        }
        let insert = "INSERT INTO inbox (user_id, cursor, kind, conv_key, seq, extra)
                      VALUES ($1, $2, $3, $4, $5, $6)";
        let owner_cursor = cursors[owner];
        tx.execute(
            insert,
            &[&owner, &owner_cursor, &KIND_READ, &key, &target, &left],
        )
        .await?;
        let mut peer_cursor = None;
        if let Some(&c) = cursors.get(peer).filter(|_| theirs > 0) {
            tx.execute(
                "UPDATE conversations SET peer_read_seq = GREATEST(peer_read_seq, $3)
                 WHERE owner = $1 AND conv_key = $2",
                &[&peer, &key, &target],
            )
            .await?;
            tx.execute(
                insert,
                &[&peer, &c, &KIND_PEER_READ, &key, &target, &(time as i64)],
            )
            .await?;
            peer_cursor = Some(c as u64);
        }
        tx.commit().await?;
        Ok(ReadMark {
            read_seq: target as u64,
            unread: left as u64,
            owner_cursor: Some(owner_cursor as u64),
            peer_cursor,
        })
    }
}

impl PgStore {
    /// See [`ConversationStore::delete_c2c`].
    async fn try_delete(
        &self,
        owner: &str,
        peer: &str,
        seqs: &[u64],
    ) -> std::result::Result<Vec<(u64, u64)>, Failure> {
        let mut client = self.pool.get().await?;
        let key = c2c_key(owner, peer);
        let tx = client.transaction().await?;
        // The lock order of sends: the conversation's counter, then the inbox counter.
        lock_conversation(&tx, &key).await?;
        let Some(cleared) = tx
            .query_opt(
                "SELECT cleared_seq FROM conversations WHERE owner = $1 AND conv_key = $2",
                &[&owner, &key],
            )
            .await?
            .map(|r| r.get::<_, i64>(0))
        else {
            return Ok(Vec::new()); // not a conversation of the owner
        };
        let mut out = Vec::new();
        for &seq in seqs {
            let seq = clamp(seq);
            if seq <= cleared {
                continue;
            }
            let hidden = tx
                .execute(
                    "INSERT INTO hidden_messages (owner, conv_key, seq)
                     SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM messages WHERE conv_key = $2 AND seq = $3)
                     ON CONFLICT DO NOTHING",
                    &[&owner, &key, &seq],
                )
                .await?;
            if hidden > 0 {
                let c = inbox_entry(&tx, owner, (KIND_DELETE, &key, seq, 0)).await?;
                out.push((seq as u64, c));
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// See [`ConversationStore::clear_c2c`].
    async fn try_clear(&self, owner: &str, peer: &str) -> std::result::Result<Cleared, Failure> {
        let mut client = self.pool.get().await?;
        let key = c2c_key(owner, peer);
        let tx = client.transaction().await?;
        lock_conversation(&tx, &key).await?;
        let row = tx
            .query_opt(
                "SELECT last_seq, cleared_seq FROM conversations WHERE owner = $1 AND conv_key = $2",
                &[&owner, &key],
            )
            .await?;
        let Some((last, cleared)) = row.map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1))) else {
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
        tx.execute(
            "UPDATE conversations SET cleared_seq = $3, read_seq = GREATEST(read_seq, $3), unread = 0
             WHERE owner = $1 AND conv_key = $2",
            &[&owner, &key, &last],
        )
        .await?;
        tx.execute(
            "DELETE FROM hidden_messages WHERE owner = $1 AND conv_key = $2 AND seq <= $3",
            &[&owner, &key, &last],
        )
        .await?;
        let c = inbox_entry(&tx, owner, (KIND_CLEAR, &key, last, 0)).await?;
        tx.commit().await?;
        Ok(Cleared {
            seq: last as u64,
            cursor: Some(c),
        })
    }
}

impl PgStore {
    /// See [`ConversationStore::pin_c2c`].
    async fn try_pin(
        &self,
        owner: &str,
        peer: &str,
        pinned: bool,
    ) -> std::result::Result<Option<u64>, Failure> {
        let mut client = self.pool.get().await?;
        let key = c2c_key(owner, peer);
        let pinned = i64::from(pinned);
        let tx = client.transaction().await?;
        let changed = tx
            .execute(
                "UPDATE conversations SET pinned = $3 WHERE owner = $1 AND conv_key = $2 AND pinned <> $3",
                &[&owner, &key, &pinned],
            )
            .await?;
        if changed == 0 {
            return Ok(None);
        }
        let c = inbox_entry(&tx, owner, (KIND_PIN, &key, 0, pinned)).await?;
        tx.commit().await?;
        Ok(Some(c))
    }

    /// See [`ConversationStore::hide_c2c`].
    async fn try_hide(&self, owner: &str, peer: &str) -> std::result::Result<Option<u64>, Failure> {
        let mut client = self.pool.get().await?;
        let key = c2c_key(owner, peer);
        let tx = client.transaction().await?;
        // The lock order of sends: the conversation's counter, then the inbox counter.
        lock_conversation(&tx, &key).await?;
        let Some(last) = tx
            .query_opt(
                "UPDATE conversations SET deleted_seq = last_seq,
                    read_seq = GREATEST(read_seq, last_seq), unread = 0
                 WHERE owner = $1 AND conv_key = $2 AND deleted_seq < last_seq RETURNING last_seq",
                &[&owner, &key],
            )
            .await?
            .map(|r| r.get::<_, i64>(0))
        else {
            return Ok(None);
        };
        let c = inbox_entry(&tx, owner, (KIND_CONV_DELETE, &key, last, 0)).await?;
        tx.commit().await?;
        Ok(Some(c))
    }
}

/// The first result of a stored client message id, from a row whose first six columns are
/// its seq, rand, server time, body and both cursors.
fn stored_from(r: &Row, msg: &NewC2c) -> std::result::Result<Stored, Failure> {
    // A stored body that does not parse is corruption, never an empty message.
    let message: Message = serde_json::from_str(r.get::<_, &str>(3))
        .map_err(|e| Failure::Fatal(StoreError::Corrupt(e.to_string())))?;
    Ok(Stored {
        message: WireMessage {
            conv_type: ConvType::C2C,
            from: msg.from.clone(),
            to: msg.to.clone(),
            seq: r.get::<_, i64>(0) as u64,
            rand: r.get::<_, i64>(1) as u64,
            server_time: r.get::<_, i64>(2) as u64,
            client_msg_id: msg.client_msg_id.clone(),
            message,
        },
        from_cursor: r.get::<_, i64>(4) as u64,
        to_cursor: r.get::<_, i64>(5) as u64,
        duplicate: true,
    })
}

/// Take the counter of conversation `key` for the rest of `tx`: the first lock of every write
/// to a conversation (sends, marks, recalls, deletions), so they all take locks in one order.
pub(super) async fn lock_conversation(
    tx: &tokio_postgres::Transaction<'_>,
    key: &str,
) -> std::result::Result<(), tokio_postgres::Error> {
    tx.query_opt(
        "SELECT value FROM counters WHERE name = $1 FOR UPDATE",
        &[&key],
    )
    .await?;
    Ok(())
}

/// An inbox entry of `user` (kind, conversation, seq and second number) with the next cursor
/// of their inbox counter, inside `tx`.
pub(super) async fn inbox_entry(
    tx: &tokio_postgres::Transaction<'_>,
    user: &str,
    (kind, key, seq, extra): (i32, &str, i64, i64),
) -> std::result::Result<u64, tokio_postgres::Error> {
    let c: i64 = tx
        .query_one(
            "INSERT INTO counters (name, value) VALUES ($1, 1)
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
            &[&inbox_counter(user)],
        )
        .await?
        .get(0);
    tx.execute(
        "INSERT INTO inbox (user_id, cursor, kind, conv_key, seq, extra) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&user, &c, &kind, &key, &seq, &extra],
    )
    .await?;
    Ok(c as u64)
}

#[async_trait]
impl ConversationStore for PgStore {
    async fn conversations(&self, owner: &str, limit: u32) -> Result<(Vec<ConvRow>, u64)> {
        let name = inbox_counter(owner);
        let (rows, head) = self
            .retrying("read the conversations", || async {
                let mut client = self.pool.get().await?;
                // One snapshot for the list and the cursor.
                let tx = client
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await?;
                let sql = format!(
                    "SELECT c.conv_type, c.peer, c.last_time, c.unread, c.read_seq, c.peer_read_seq,
                            c.pinned, m.seq IS NOT NULL, {WIRE_COLUMNS}
                     FROM conversations c
                     LEFT JOIN messages m ON m.conv_key = c.conv_key AND m.seq = (
                        SELECT v.seq FROM messages v WHERE v.conv_key = c.conv_key
                          AND v.seq <= c.last_seq AND v.seq > c.cleared_seq
                          AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.owner = c.owner
                                          AND h.conv_key = c.conv_key AND h.seq = v.seq)
                        ORDER BY v.seq DESC LIMIT 1)
                     WHERE c.owner = $1 AND c.last_seq > c.deleted_seq
                     ORDER BY c.pinned DESC, c.last_time DESC, c.conv_key LIMIT $2"
                );
                let rows = tx.query(&sql, &[&owner, &i64::from(limit)]).await?;
                let head = tx
                    .query_opt("SELECT value FROM counters WHERE name = $1", &[&name])
                    .await?
                    .map_or(0, |r| r.get::<_, i64>(0) as u64);
                tx.commit().await?;
                Ok((rows, head))
            })
            .await?;
        let list = rows
            .iter()
            .map(|r| {
                Ok(ConvRow {
                    conv_type: ConvType(i64::from(r.get::<_, i32>(0))),
                    peer: r.get(1),
                    active_time: r.get::<_, i64>(2) as u64,
                    unread: r.get::<_, i64>(3) as u64,
                    read_seq: r.get::<_, i64>(4) as u64,
                    peer_read_seq: r.get::<_, i64>(5) as u64,
                    pinned: r.get::<_, i64>(6) != 0,
                    last: match r.get::<_, bool>(7) {
                        true => Some(row_to_wire(r, 8)?),
                        false => None,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((list, head))
    }

    async fn mark_c2c_read(
        &self,
        owner: &str,
        peer: &str,
        seq: u64,
        time: u64,
    ) -> Result<ReadMark> {
        self.retrying("mark a conversation read", || {
            self.try_mark_read(owner, peer, seq, time)
        })
        .await
    }

    async fn delete_c2c(&self, owner: &str, peer: &str, seqs: Vec<u64>) -> Result<Vec<(u64, u64)>> {
        self.retrying("delete messages", || self.try_delete(owner, peer, &seqs))
            .await
    }

    async fn clear_c2c(&self, owner: &str, peer: &str) -> Result<Cleared> {
        self.retrying("clear a history", || self.try_clear(owner, peer))
            .await
    }

    async fn pin_c2c(&self, owner: &str, peer: &str, pinned: bool) -> Result<Option<u64>> {
        self.retrying("pin a conversation", || self.try_pin(owner, peer, pinned))
            .await
    }

    async fn hide_c2c(&self, owner: &str, peer: &str) -> Result<Option<u64>> {
        self.retrying("delete a conversation", || self.try_hide(owner, peer))
            .await
    }

    async fn set_receive_opt(&self, owner: &str, peers: Vec<String>, opt: i64) -> Result<()> {
        self.retrying("set receive options", || async {
            let client = self.pool.get().await?;
            client
                .execute(
                    "INSERT INTO receive_opts (owner, peer, opt) SELECT $1, p, $3 FROM unnest($2::text[]) AS p
                     ON CONFLICT (owner, peer) DO UPDATE SET opt = EXCLUDED.opt",
                    &[&owner, &peers, &opt],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn receive_opts(&self, owner: &str, peers: Vec<String>) -> Result<Vec<i64>> {
        let rows = self
            .retrying("read receive options", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query(
                        "SELECT peer, opt FROM receive_opts WHERE owner = $1 AND peer = ANY($2)",
                        &[&owner, &peers],
                    )
                    .await?)
            })
            .await?;
        let set: std::collections::HashMap<String, i64> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        Ok(peers
            .iter()
            .map(|p| set.get(p).copied().unwrap_or(0))
            .collect())
    }
}

/// Run `sql` on a connection of its own.
async fn run_once<T>(pg: &tokio_postgres::Config, tls: T, sql: &str) -> Result<()>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, conn) = pg
        .connect(tls)
        .await
        .map_err(|e| db_err(format!("cannot connect to PostgreSQL: {e}")))?;
    let task = tokio::spawn(conn);
    client.batch_execute(sql).await.map_err(pg_err)?;
    drop(client);
    let _ = task.await;
    Ok(())
}

fn inbox_counter(user: &str) -> String {
    format!("inbox\n{user}")
}

pub(super) fn row_to_wire(r: &Row, offset: usize) -> Result<WireMessage> {
    let message: Message = serde_json::from_str(r.get::<_, &str>(offset + 7))
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut message = message;
    if r.get::<_, i64>(offset + 8) != 0 {
        message.status = Some(MsgStatus::REVOKED);
    }
    Ok(WireMessage {
        conv_type: ConvType(i64::from(r.get::<_, i32>(offset))),
        from: r.get(offset + 1),
        to: r.get(offset + 2),
        seq: r.get::<_, i64>(offset + 3) as u64,
        rand: r.get::<_, i64>(offset + 4) as u64,
        server_time: r.get::<_, i64>(offset + 5) as u64,
        client_msg_id: r.get(offset + 6),
        message,
    })
}

pub(super) const WIRE_COLUMNS: &str =
    "m.conv_type, m.sender, m.receiver, m.seq, m.rand, m.server_time,
     m.client_msg_id, m.body, m.revoked";

pub(super) fn clamp(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

#[async_trait]
impl MessageStore for PgStore {
    async fn append_c2c(&self, msg: NewC2c) -> Result<Stored> {
        let msg = &msg;
        let mut attempts = 0;
        self.retrying("store a message", || {
            attempts += 1;
            let retried = attempts > 1;
            async move {
                let mut stored = self.try_append(msg).await?;
                // Found by a repeat of this very call: an earlier attempt committed it but its
                // answer was lost with the connection. Nobody was told of it yet.
                stored.duplicate &= !retried;
                Ok(stored)
            }
        })
        .await
    }

    /// In order, one result each; once the database is found unavailable (the deadline spent
    /// on one message), the rest fail at once instead of each waiting out the deadline again.
    async fn append_c2c_batch(&self, msgs: Vec<NewC2c>) -> Vec<Result<Stored>> {
        let mut out = Vec::with_capacity(msgs.len());
        let mut down: Option<String> = None;
        for m in msgs {
            let r = match &down {
                Some(why) => Err(StoreError::Unavailable(why.clone())),
                None => self.append_c2c(m).await,
            };
            if let Err(StoreError::Unavailable(why)) = &r {
                down = Some(why.clone());
            }
            out.push(r);
        }
        out
    }

    async fn c2c_history(
        &self,
        a: &str,
        b: &str,
        before: u64,
        limit: u32,
    ) -> Result<Vec<WireMessage>> {
        let key = c2c_key(a, b);
        let rows = self
            .retrying("read the history", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {WIRE_COLUMNS} FROM messages m WHERE m.conv_key = $1 AND m.seq < $2
                     AND m.seq > COALESCE((SELECT cleared_seq FROM conversations
                                           WHERE owner = $4 AND conv_key = $1), 0)
                     AND NOT EXISTS (SELECT 1 FROM hidden_messages h
                                     WHERE h.owner = $4 AND h.conv_key = $1 AND h.seq = m.seq)
                     ORDER BY m.seq DESC LIMIT $3"
                );
                Ok(client
                    .query(&sql, &[&key, &clamp(before), &i64::from(limit), &a])
                    .await?)
            })
            .await?;
        rows.iter().map(|r| row_to_wire(r, 0)).collect()
    }

    async fn c2c_message(&self, a: &str, b: &str, seq: u64) -> Result<Option<WireMessage>> {
        let key = c2c_key(a, b);
        let row = self
            .retrying("read a message", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT {WIRE_COLUMNS} FROM messages m WHERE m.conv_key = $1 AND m.seq = $2"
                );
                Ok(client.query_opt(&sql, &[&key, &clamp(seq)]).await?)
            })
            .await?;
        row.map(|r| row_to_wire(&r, 0)).transpose()
    }

    async fn c2c_allowed(&self, from: &str, to: &str, friends_only: bool) -> Result<()> {
        let row = self
            .retrying("check who may write to whom", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM accounts WHERE user_id = $2),
                                EXISTS (SELECT 1 FROM blacklist WHERE owner = $2 AND blocked = $1),
                                EXISTS (SELECT 1 FROM friends WHERE owner = $2 AND friend = $1),
                                EXISTS (SELECT 1 FROM friends WHERE owner = $1 AND friend = $2)",
                        &[&from, &to],
                    )
                    .await?)
            })
            .await?;
        let facts = C2cFacts {
            receiver_exists: row.get(0),
            receiver_blocked_sender: row.get(1),
            peer_has_sender: row.get(2),
            sender_has_peer: row.get(3),
        };
        c2c_verdict(from, to, friends_only, facts)
    }

    async fn revoke_c2c(&self, a: &str, b: &str, seq: u64) -> Result<Option<Revoked>> {
        self.retrying("recall a message", || self.try_revoke(a, b, seq))
            .await
    }

    async fn put_relay(&self, key: &str, owner: &str, body: String, time: u64) -> Result<()> {
        let body = &body;
        self.retrying("keep a forwarded bundle", || async move {
            let client = self.pool.get().await?;
            // A retry after a lost answer finds its own row: the key is new each time.
            client
                .execute(
                    "INSERT INTO relays (relay_key, owner, body, created) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (relay_key) DO NOTHING",
                    &[&key, &owner, body, &(time as i64)],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn relay(&self, key: &str) -> Result<Option<String>> {
        let row = self
            .retrying("read a forwarded bundle", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_opt("SELECT body FROM relays WHERE relay_key = $1", &[&key])
                    .await?)
            })
            .await?;
        Ok(row.map(|r| r.get(0)))
    }
}

#[async_trait]
impl InboxStore for PgStore {
    async fn inbox_after(&self, user: &str, cursor: u64, limit: u32) -> Result<Vec<InboxEntry>> {
        let rows = self
            .retrying("read the inbox", || async {
                let client = self.pool.get().await?;
                let sql = format!(
                    "SELECT i.cursor, i.kind, i.seq, i.extra, COALESCE(c.conv_type, 2),
                            COALESCE(c.peer, substr(i.conv_key, 7)), {WIRE_COLUMNS}
                     FROM inbox i
                     LEFT JOIN messages m ON i.kind IN ({KIND_MESSAGE}, {KIND_REVOKE})
                                          AND m.conv_key = i.conv_key AND m.seq = i.seq
                     LEFT JOIN conversations c ON i.kind <> {KIND_MESSAGE} AND c.owner = i.user_id
                                               AND c.conv_key = i.conv_key
                     WHERE i.user_id = $1 AND i.cursor > $2 ORDER BY i.cursor LIMIT $3"
                );
                Ok(client
                    .query(&sql, &[&user, &clamp(cursor), &i64::from(limit)])
                    .await?)
            })
            .await?;
        rows.iter()
            .map(|r| {
                let conv = || -> Result<(ConvType, String)> {
                    let t: Option<i32> = r.get(4);
                    let peer: Option<String> = r.get(5);
                    match (t, peer) {
                        (Some(t), Some(p)) => Ok((ConvType(i64::from(t)), p)),
                        _ => Err(StoreError::Corrupt(
                            "an inbox entry names a conversation that is not there".into(),
                        )),
                    }
                };
                let item = match r.get::<_, i32>(1) {
                    KIND_MESSAGE => InboxItem::Message {
                        message: Box::new(row_to_wire(r, 6)?),
                    },
                    KIND_READ => {
                        let (conv_type, conv_id) = conv()?;
                        InboxItem::Read {
                            conv_type,
                            conv_id,
                            read_seq: r.get::<_, i64>(2) as u64,
                            unread: r.get::<_, i64>(3) as u64,
                        }
                    }
                    KIND_PEER_READ => {
                        let (conv_type, conv_id) = conv()?;
                        InboxItem::PeerRead {
                            conv_type,
                            conv_id,
                            read_seq: r.get::<_, i64>(2) as u64,
                            time: r.get::<_, i64>(3) as u64,
                        }
                    }
                    KIND_REVOKE => {
                        let (conv_type, conv_id) = conv()?;
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
                        let (conv_type, conv_id) = conv()?;
                        let seq = r.get::<_, i64>(2) as u64;
                        match r.get::<_, i32>(1) {
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
                        let (conv_type, conv_id) = conv()?;
                        InboxItem::Pin {
                            conv_type,
                            conv_id,
                            pinned: r.get::<_, i64>(3) != 0,
                        }
                    }
                    KIND_CONV_DELETE => {
                        let (conv_type, conv_id) = conv()?;
                        InboxItem::ConvDelete { conv_type, conv_id }
                    }
                    KIND_GROUP => InboxItem::Group {
                        conv_id: conv()?.1,
                        joined: r.get::<_, i64>(3) != 0,
                        seq: r.get::<_, i64>(2) as u64,
                    },
                    _ => InboxItem::Unknown,
                };
                Ok(InboxEntry {
                    cursor: r.get::<_, i64>(0) as u64,
                    item,
                })
            })
            .collect()
    }

    async fn inbox_head(&self, user: &str) -> Result<u64> {
        let name = inbox_counter(user);
        let row = self
            .retrying("read the inbox head", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_opt("SELECT value FROM counters WHERE name = $1", &[&name])
                    .await?)
            })
            .await?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u64).unwrap_or(0))
    }
}

#[async_trait]
impl StoreHealth for PgStore {
    async fn ping(&self) -> Result<()> {
        let client = self.pool.get().await.map_err(db_err)?;
        client.simple_query("SELECT 1").await.map_err(pg_err)?;
        Ok(())
    }
}
