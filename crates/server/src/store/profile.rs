//! What the store keeps of user profiles.

use async_trait::async_trait;

use super::Result;

/// A user's profile as stored. A user who never set theirs has the default (empty) one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileRow {
    pub user: String,
    pub nick: String,
    pub gender: i64,
    pub face_url: String,
    pub signature: String,
    pub add_permission: i64,
    pub location: String,
    pub language: i64,
    pub birthday: i64,
    pub level: i64,
    pub role: i64,
    /// The custom fields, a JSON array of `UserProfileCustemStringInfo`.
    pub custom: String,
    /// Unix seconds of the last change (0: never set).
    pub updated: u64,
}

/// A change of a profile: each field that is `Some` is set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    pub nick: Option<String>,
    pub gender: Option<i64>,
    pub face_url: Option<String>,
    pub signature: Option<String>,
    pub add_permission: Option<i64>,
    pub location: Option<String>,
    pub language: Option<i64>,
    pub birthday: Option<i64>,
    pub level: Option<i64>,
    pub role: Option<i64>,
    /// The custom fields, a JSON array, replacing the stored ones.
    pub custom: Option<String>,
}

/// User profiles.
#[async_trait]
pub trait ProfileStore: Send + Sync + 'static {
    /// The stored profiles of `users` (users without one are left out), in no set order.
    async fn profiles(&self, users: Vec<String>) -> Result<Vec<ProfileRow>>;
    /// Change `user`'s profile at `time` (creating it): the profile as it now is.
    async fn update_profile(
        &self,
        user: &str,
        patch: ProfilePatch,
        time: u64,
    ) -> Result<ProfileRow>;
}

/// The columns of [`ProfileRow`], in its order.
pub(crate) const PROFILE_COLUMNS: &str = "user_id, nick, gender, face_url, signature,
     add_permission, location, language, birthday, level, role, custom, updated";

/// The upsert both backends run: parameter 1 the user, 2 to 12 the patch in field order (NULL:
/// keep), 13 the time; `p` is the backend's placeholder prefix (`?` or `$`).
pub(crate) fn upsert_sql(p: char) -> String {
    let cols = [
        ("nick", "''"),
        ("gender", "0"),
        ("face_url", "''"),
        ("signature", "''"),
        ("add_permission", "0"),
        ("location", "''"),
        ("language", "0"),
        ("birthday", "0"),
        ("level", "0"),
        ("role", "0"),
        ("custom", "'[]'"),
    ];
    // PostgreSQL infers a parameter's type from its use: say it.
    let param = |n: usize, default: &str| match (p, default.starts_with('\'')) {
        ('$', true) => format!("${n}::TEXT"),
        ('$', false) => format!("${n}::BIGINT"),
        _ => format!("{p}{n}"),
    };
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let values: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (_, d))| format!("COALESCE({}, {d})", param(i + 2, d)))
        .collect();
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (c, d))| format!("{c} = COALESCE({}, profiles.{c})", param(i + 2, d)))
        .collect();
    let time = match p {
        '$' => "$13::BIGINT".to_owned(),
        _ => format!("{p}13"),
    };
    format!(
        "INSERT INTO profiles (user_id, {}, updated) VALUES ({p}1, {}, {time})
         ON CONFLICT (user_id) DO UPDATE SET {}, updated = {time}
         RETURNING {PROFILE_COLUMNS}",
        names.join(", "),
        values.join(", "),
        sets.join(", ")
    )
}
