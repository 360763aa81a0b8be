//! [`ProfileStore`] on PostgreSQL.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{clamp, PgStore};
use crate::store::profile::{upsert_sql, PROFILE_COLUMNS};
use crate::store::{ProfilePatch, ProfileRow, ProfileStore, Result};

fn profile_row(r: &Row) -> ProfileRow {
    ProfileRow {
        user: r.get(0),
        nick: r.get(1),
        gender: r.get(2),
        face_url: r.get(3),
        signature: r.get(4),
        add_permission: r.get(5),
        location: r.get(6),
        language: r.get(7),
        birthday: r.get(8),
        level: r.get(9),
        role: r.get(10),
        custom: r.get(11),
        updated: r.get::<_, i64>(12) as u64,
    }
}

#[async_trait]
impl ProfileStore for PgStore {
    async fn profiles(&self, users: Vec<String>) -> Result<Vec<ProfileRow>> {
        let users = &users;
        let rows = self
            .retrying("read profiles", || async {
                let client = self.pool.get().await?;
                let sql = format!("SELECT {PROFILE_COLUMNS} FROM profiles WHERE user_id = ANY($1)");
                Ok(client.query(&sql, &[users]).await?)
            })
            .await?;
        Ok(rows.iter().map(profile_row).collect())
    }

    async fn update_profile(
        &self,
        user: &str,
        patch: ProfilePatch,
        time: u64,
    ) -> Result<ProfileRow> {
        let p = &patch;
        let sql = upsert_sql('$');
        let row = self
            .retrying("change a profile", || async {
                let client = self.pool.get().await?;
                Ok(client
                    .query_one(
                        &sql,
                        &[
                            &user,
                            &p.nick,
                            &p.gender,
                            &p.face_url,
                            &p.signature,
                            &p.add_permission,
                            &p.location,
                            &p.language,
                            &p.birthday,
                            &p.level,
                            &p.role,
                            &p.custom,
                            &clamp(time),
                        ],
                    )
                    .await?)
            })
            .await?;
        Ok(profile_row(&row))
    }
}
