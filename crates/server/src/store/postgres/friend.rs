//! [`FriendStore`] and [`AccountStore`] on PostgreSQL. A change takes an advisory lock of each
//! user it touches (in id order, so two changes never wait on each other in a cycle), so the
//! limits hold across nodes.

use std::collections::HashMap;

use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::{clamp, Failure, PgStore};
use crate::store::friend::*;
use crate::store::{Result, StoreError};

fn friend_row(r: &Row) -> FriendRow {
    FriendRow {
        owner: r.get(0),
        friend: r.get(1),
        remark: r.get(2),
        groups: from_text(&r.get::<_, String>(3)),
        custom: from_text(&r.get::<_, String>(4)),
        add_source: r.get(5),
        add_wording: r.get(6),
        add_time: r.get::<_, i64>(7) as u64,
    }
}

fn request_row(r: &Row) -> RequestRow {
    RequestRow {
        owner: r.get(0),
        other: r.get(1),
        incoming: r.get::<_, i32>(2) != 0,
        friend_type: r.get(3),
        remark: r.get(4),
        group_name: r.get(5),
        add_source: r.get(6),
        add_wording: r.get(7),
        add_time: r.get::<_, i64>(8) as u64,
    }
}

impl PgStore {
    async fn try_relate(
        &self,
        edits: &[Edit],
        limits: RelationLimits,
    ) -> std::result::Result<(), Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut owners: Vec<&str> = edits.iter().map(Edit::owner).collect();
        owners.sort_unstable();
        owners.dedup();
        for o in &owners {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('relation' || $1::TEXT))",
                &[o],
            )
            .await?;
        }
        let mut versions: HashMap<&str, i64> = HashMap::new();
        for edit in edits {
            let owner = edit.owner();
            let version = match versions.get(owner) {
                Some(v) => *v,
                None => {
                    let v: i64 = tx.query_one(NEXT_VERSION, &[&owner]).await?.get(0);
                    versions.insert(owner, v);
                    v
                }
            };
            let (sql, params) = edit_sql(edit, version);
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|b| b.as_ref() as &(dyn ToSql + Sync))
                .collect();
            tx.execute(sql, &refs).await?;
            if let Some((kind, item)) = gone_of(edit) {
                tx.execute(PUT_GONE, &[&owner, &kind, &item, &version])
                    .await?;
            }
            if let Some((kind, item)) = cleared_by(edit) {
                tx.execute(CLEAR_GONE, &[&owner, &kind, &item]).await?;
            }
        }
        let mut checked = Vec::new();
        for edit in edits {
            let Some((cap, count)) = caps_of(edit) else {
                continue;
            };
            if checked.contains(&(edit.owner(), cap)) {
                continue;
            }
            checked.push((edit.owner(), cap));
            let n: i64 = tx.query_one(count, &[&edit.owner()]).await?.get(0);
            if n as u64 > limits.of(cap) {
                return Err(Failure::Fatal(StoreError::LimitReached {
                    owner: edit.owner().to_owned(),
                    cap,
                }));
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn query_rows(
        &self,
        what: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        self.retrying(what, || async {
            let client = self.pool.get().await?;
            Ok(client.query(sql, params).await?)
        })
        .await
    }
}

type Param = Box<dyn ToSql + Sync + Send>;

fn p<T: ToSql + Sync + Send + 'static>(v: T) -> Param {
    Box::new(v)
}

/// The statement of one edit and its parameters (`version` is the owner's new version).
fn edit_sql(edit: &Edit, version: i64) -> (&'static str, Vec<Param>) {
    match edit.clone() {
        Edit::Friend(f) => (
            PUT_FRIEND,
            vec![
                p(f.owner),
                p(f.friend),
                p(f.remark),
                p(to_text(&f.groups)),
                p(to_text(&f.custom)),
                p(f.add_source),
                p(f.add_wording),
                p(clamp(f.add_time)),
                p(version),
            ],
        ),
        Edit::Unfriend { owner, friend } => (DROP_FRIEND, vec![p(owner), p(friend)]),
        Edit::Request(r) => (
            PUT_REQUEST,
            vec![
                p(r.owner),
                p(r.other),
                p(r.incoming as i32),
                p(r.friend_type),
                p(r.remark),
                p(r.group_name),
                p(r.add_source),
                p(r.add_wording),
                p(clamp(r.add_time)),
                p(version),
            ],
        ),
        Edit::DropRequest {
            owner,
            other,
            incoming,
        } => (DROP_REQUEST, vec![p(owner), p(other), p(incoming as i32)]),
        Edit::Block { owner, user, time } => (
            PUT_BLOCK,
            vec![p(owner), p(user), p(clamp(time)), p(version)],
        ),
        Edit::Unblock { owner, user } => (DROP_BLOCK, vec![p(owner), p(user)]),
        Edit::Group { owner, name } => (PUT_GROUP, vec![p(owner), p(name), p(version)]),
        Edit::DropGroup { owner, name } => (DROP_GROUP, vec![p(owner), p(name)]),
        Edit::ReadTime { owner, time } => (READ_TIME, vec![p(clamp(time)), p(owner)]),
        Edit::Touch { owner, friend } => (TOUCH, vec![p(version), p(owner), p(friend)]),
    }
}

#[async_trait]
impl FriendStore for PgStore {
    async fn relate(&self, edits: Vec<Edit>, limits: RelationLimits) -> Result<()> {
        if edits.is_empty() {
            return Ok(());
        }
        let edits = &edits;
        self.retrying("change relationships", || self.try_relate(edits, limits))
            .await
    }

    async fn friends(&self, owner: &str, users: Vec<String>) -> Result<Vec<FriendRow>> {
        let rows = if users.is_empty() {
            let sql = format!(
                "SELECT {FRIEND_COLUMNS} FROM friends WHERE owner = $1 ORDER BY add_time, friend"
            );
            self.query_rows("read friends", &sql, &[&owner]).await?
        } else {
            let sql = format!(
                "SELECT {FRIEND_COLUMNS} FROM friends WHERE owner = $1 AND friend = ANY($2)
                 ORDER BY add_time, friend"
            );
            self.query_rows("read friends", &sql, &[&owner, &users])
                .await?
        };
        Ok(rows.iter().map(friend_row).collect())
    }

    async fn who_have(&self, owners: Vec<String>, friend: &str) -> Result<Vec<String>> {
        let rows = self
            .query_rows(
                "read friends",
                "SELECT owner FROM friends WHERE owner = ANY($1) AND friend = $2",
                &[&owners, &friend],
            )
            .await?;
        let have: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        Ok(owners.into_iter().filter(|o| have.contains(o)).collect())
    }

    async fn friend_owners(&self, friend: &str) -> Result<Vec<String>> {
        let rows = self
            .query_rows(
                "read friends",
                "SELECT owner FROM friends WHERE friend = $1",
                &[&friend],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn requests(&self, owner: &str) -> Result<Vec<RequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM friend_requests WHERE owner = $1
             ORDER BY add_time DESC, other"
        );
        let rows = self
            .query_rows("read friend requests", &sql, &[&owner])
            .await?;
        Ok(rows.iter().map(request_row).collect())
    }

    async fn friend_groups(&self, owner: &str) -> Result<Vec<String>> {
        let rows = self
            .query_rows(
                "read friend groups",
                "SELECT name FROM friend_groups WHERE owner = $1 ORDER BY name",
                &[&owner],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn blocked(&self, owner: &str) -> Result<Vec<(String, u64)>> {
        let rows = self
            .query_rows(
                "read a blacklist",
                "SELECT blocked, add_time FROM blacklist WHERE owner = $1
                 ORDER BY add_time, blocked",
                &[&owner],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
            .collect())
    }

    async fn is_blocked(&self, owner: &str, user: &str) -> Result<bool> {
        let rows = self
            .query_rows(
                "read a blacklist",
                "SELECT 1 FROM blacklist WHERE owner = $1 AND blocked = $2",
                &[&owner, &user],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    async fn delta(&self, owner: &str, since: u64) -> Result<RelationDelta> {
        let since = clamp(since);
        let what = "read relationship changes";
        let head = self
            .query_rows(
                what,
                "SELECT version, read_time FROM relation_versions WHERE owner = $1",
                &[&owner],
            )
            .await?;
        let (version, read_time) = head
            .first()
            .map_or((0, 0), |r| (r.get::<_, i64>(0), r.get::<_, i64>(1)));
        let args: [&(dyn ToSql + Sync); 2] = [&owner, &since];
        Ok(RelationDelta {
            version: version as u64,
            read_time: read_time as u64,
            friends: self
                .query_rows(what, DELTA_FRIENDS, &args)
                .await?
                .iter()
                .map(friend_row)
                .collect(),
            blocked: self
                .query_rows(what, DELTA_BLOCKED, &args)
                .await?
                .iter()
                .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
                .collect(),
            requests: self
                .query_rows(what, DELTA_REQUESTS, &args)
                .await?
                .iter()
                .map(request_row)
                .collect(),
            groups: self
                .query_rows(what, DELTA_GROUPS, &args)
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect(),
            gone: self
                .query_rows(what, DELTA_GONE, &args)
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect(),
        })
    }
}

#[async_trait]
impl AccountStore for PgStore {
    async fn register(&self, user: &str, time: u64) -> Result<bool> {
        let time = clamp(time);
        self.retrying("register an account", || async {
            let client = self.pool.get().await?;
            let n = client
                .execute(
                    "INSERT INTO accounts (user_id, created) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&user, &time],
                )
                .await?;
            Ok(n > 0)
        })
        .await
    }

    async fn existing(&self, users: Vec<String>) -> Result<Vec<bool>> {
        let rows = self
            .query_rows(
                "read accounts",
                "SELECT user_id FROM accounts WHERE user_id = ANY($1)",
                &[&users],
            )
            .await?;
        let known: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        Ok(users.iter().map(|u| known.contains(u)).collect())
    }

    async fn account(&self, user: &str) -> Result<Option<AccountRow>> {
        let rows = self
            .query_rows(
                "read an account",
                "SELECT created, sigs_from, c2c_muted_until, group_muted_until
                 FROM accounts WHERE user_id = $1",
                &[&user],
            )
            .await?;
        Ok(rows.first().map(|r| AccountRow {
            created: r.get::<_, i64>(0).max(0) as u64,
            sigs_from: r.get::<_, i64>(1).max(0) as u64,
            c2c_muted_until: r.get::<_, i64>(2).max(0) as u64,
            group_muted_until: r.get::<_, i64>(3).max(0) as u64,
        }))
    }

    async fn delete_accounts(&self, users: Vec<String>) -> Result<Vec<bool>> {
        let rows = self
            .query_rows(
                "delete accounts",
                "DELETE FROM accounts WHERE user_id = ANY($1) RETURNING user_id",
                &[&users],
            )
            .await?;
        let gone: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        Ok(users.iter().map(|u| gone.contains(u)).collect())
    }

    async fn set_mutes(
        &self,
        user: &str,
        c2c_until: Option<u64>,
        group_until: Option<u64>,
    ) -> Result<bool> {
        let (c2c, group) = (c2c_until.map(clamp), group_until.map(clamp));
        self.retrying("mute an account", || async {
            let client = self.pool.get().await?;
            let n = client
                .execute(
                    "UPDATE accounts SET c2c_muted_until = COALESCE($2, c2c_muted_until),
                                         group_muted_until = COALESCE($3, group_muted_until)
                     WHERE user_id = $1",
                    &[&user, &c2c, &group],
                )
                .await?;
            Ok(n > 0)
        })
        .await
    }

    async fn revoke_sigs(&self, user: &str, time: u64) -> Result<bool> {
        let time = clamp(time);
        self.retrying("revoke UserSigs", || async {
            let client = self.pool.get().await?;
            let n = client
                .execute(
                    "UPDATE accounts SET sigs_from = GREATEST(sigs_from, $2) WHERE user_id = $1",
                    &[&user, &time],
                )
                .await?;
            Ok(n > 0)
        })
        .await
    }
}
