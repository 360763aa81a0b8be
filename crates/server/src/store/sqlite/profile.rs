//! [`ProfileStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{db_err, SqliteStore, Writer};
use crate::store::profile::{upsert_sql, PROFILE_COLUMNS};
use crate::store::{ProfilePatch, ProfileRow, ProfileStore, Result, StoreError};

fn profile_row(r: &Row<'_>) -> rusqlite::Result<ProfileRow> {
    Ok(ProfileRow {
        user: r.get(0)?,
        nick: r.get(1)?,
        gender: r.get(2)?,
        face_url: r.get(3)?,
        signature: r.get(4)?,
        add_permission: r.get(5)?,
        location: r.get(6)?,
        language: r.get(7)?,
        birthday: r.get(8)?,
        level: r.get(9)?,
        role: r.get(10)?,
        custom: r.get(11)?,
        updated: r.get::<_, i64>(12)? as u64,
    })
}

/// A profile change (the writer's job item).
pub(super) struct UpdateProfile {
    user: String,
    patch: ProfilePatch,
    time: u64,
}

impl Writer {
    fn update_profile(&mut self, u: &UpdateProfile) -> Result<ProfileRow> {
        let p = &u.patch;
        self.conn
            .prepare_cached(&upsert_sql('?'))
            .and_then(|mut s| {
                s.query_row(
                    params![
                        u.user,
                        p.nick,
                        p.gender,
                        p.face_url,
                        p.signature,
                        p.add_permission,
                        p.location,
                        p.language,
                        p.birthday,
                        p.level,
                        p.role,
                        p.custom,
                        u.time.min(i64::MAX as u64) as i64
                    ],
                    profile_row,
                )
            })
            .map_err(db_err)
    }
}

#[async_trait]
impl ProfileStore for SqliteStore {
    async fn profiles(&self, users: Vec<String>) -> Result<Vec<ProfileRow>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {PROFILE_COLUMNS} FROM profiles WHERE user_id = ?1"
            ))?;
            let mut out = Vec::new();
            for u in &users {
                let mut rows = stmt.query_map([u], profile_row)?;
                if let Some(r) = rows.next() {
                    out.push(r?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn update_profile(
        &self,
        user: &str,
        patch: ProfilePatch,
        time: u64,
    ) -> Result<ProfileRow> {
        let job = UpdateProfile {
            user: user.to_owned(),
            patch,
            time,
        };
        self.write(vec![job], Writer::update_profile)
            .await
            .pop()
            .unwrap_or(Err(StoreError::Closed))
    }
}
