//! Friend groups: named lists of one's friends. A friend's groups are kept in the friend's
//! row, so moving friends is a change of their rows.

use opentim_model::codes;
use opentim_model::elem::FriendChangeElem;
use opentim_model::enums::FriendChangeType;
use opentim_model::friend::{FriendshipCreateFriendGroupParam, FriendshipModifyFriendGroupParam};
use opentim_model::ids::UserId;
use opentim_model::profile::FriendResult;

use super::{invalid, FriendshipService};
use crate::error::{Error, Result};
use crate::store::{Edit, FriendRow};

fn group_change(change_type: FriendChangeType, names: Vec<String>) -> FriendChangeElem {
    let mut c = FriendChangeElem {
        change_type: Some(change_type),
        ..Default::default()
    };
    match change_type {
        FriendChangeType::FRIEND_GROUP_ADD => c.friend_group_add_array = Some(names),
        FriendChangeType::FRIEND_GROUP_DEL => c.friend_group_del_array = Some(names),
        _ => c.friend_group_update_array = Some(names),
    }
    c
}

/// The result of naming a user who is not a friend in a friend group call (seed Example 26).
fn not_a_friend(u: &str, what: &str) -> FriendResult {
    FriendResult::failed(
        u,
        codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
        format!("Err_SNS_{what}_Friend_Not_Exist"),
    )
}

impl FriendshipService {
    async fn groups_of(&self, user: &str) -> Result<Vec<String>> {
        self.friends
            .friend_groups(user)
            .await
            .map_err(Error::internal("read the friend groups"))
    }

    /// Distinct valid group names, 1 to `max_friendship_users_per_request` of them.
    fn names_of(&self, names: &[String]) -> Result<Vec<String>> {
        let max = self.config.max_friendship_users_per_request;
        if names.is_empty() || names.len() > max {
            return Err(invalid(format!(
                "{} group names; name 1 to {max} (max_friendship_users_per_request)",
                names.len()
            )));
        }
        let mut out: Vec<String> = Vec::new();
        for n in names {
            self.group_name(n)?;
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        Ok(out)
    }

    /// Friends of `user` among `users` (each once), and the results of the others.
    async fn friends_among(
        &self,
        user: &UserId,
        users: &[String],
        what: &str,
    ) -> Result<(Vec<FriendRow>, Vec<FriendResult>)> {
        let rows = self.rows_of(user.as_str(), users.to_vec()).await?;
        let (mut found, mut refused) = (Vec::new(), Vec::new());
        for u in users {
            match rows.get(u) {
                Some(r) if !found.iter().any(|f: &FriendRow| f.friend == *u) => {
                    found.push(r.clone())
                }
                Some(_) => {}
                None => refused.push(not_a_friend(u, what)),
            }
        }
        Ok((found, refused))
    }

    /// Create friend groups and put friends in each: one result per user named.
    pub async fn create_groups(
        &self,
        user: &UserId,
        p: FriendshipCreateFriendGroupParam,
    ) -> Result<Vec<FriendResult>> {
        let names = self.names_of(&p.name_array.unwrap_or_default())?;
        let users = p.identifier_array.unwrap_or_default();
        if users.len() > self.config.max_friendship_users_per_request {
            self.users_of(&users)?;
        }
        let me = user.as_str();
        let existing = self.groups_of(me).await?;
        if let Some(n) = names.iter().find(|n| existing.contains(n)) {
            return Err(invalid(format!(
                "Err_SNS_GroupAdd_Group_Exist: the friend group {n:?} exists already"
            )));
        }
        let (rows, refused) = self.friends_among(user, &users, "GroupAdd").await?;
        let mut edits: Vec<Edit> = names
            .iter()
            .map(|n| Edit::Group {
                owner: me.to_owned(),
                name: n.clone(),
            })
            .collect();
        let mut results = Vec::new();
        for mut row in rows {
            for n in &names {
                if !row.groups.contains(n) {
                    row.groups.push(n.clone());
                }
            }
            results.push(FriendResult {
                desc: Some(String::new()),
                ..FriendResult::ok(&row.friend)
            });
            edits.push(Edit::Friend(row));
        }
        if let Some((owner, cap)) = self.relate(edits).await? {
            let (code, desc) = self.cap_refusal(user, &owner, cap);
            return Err(Error::refused(code, desc));
        }
        self.notify(vec![(
            me.to_owned(),
            group_change(FriendChangeType::FRIEND_GROUP_ADD, names),
        )])
        .await;
        results.extend(refused);
        Ok(super::in_order(&users, results))
    }

    /// Rename a friend group and move friends out of and into it: one result per user named.
    pub async fn modify_group(
        &self,
        user: &UserId,
        p: FriendshipModifyFriendGroupParam,
    ) -> Result<Vec<FriendResult>> {
        let me = user.as_str();
        let name = p.name.unwrap_or_default();
        let existing = self.groups_of(me).await?;
        if !existing.contains(&name) {
            return Err(invalid(format!(
                "Err_SNS_GroupUpdate_Group_Not_Exist: there is no friend group {name:?}"
            )));
        }
        let new_name = p.new_name.filter(|n| !n.is_empty() && *n != name);
        if let Some(n) = &new_name {
            self.group_name(n)?;
            if existing.contains(n) {
                return Err(invalid(format!(
                    "Err_SNS_GroupUpdate_Group_Exist: the friend group {n:?} exists already"
                )));
            }
        }
        let out = p.delete_identifier_array.unwrap_or_default();
        let into = p.add_identifier_array.unwrap_or_default();
        let named: Vec<String> = out.iter().chain(&into).cloned().collect();
        if named.len() > self.config.max_friendship_users_per_request {
            self.users_of(&named)?;
        }
        let target = new_name.clone().unwrap_or_else(|| name.clone());
        let mut edits = Vec::new();
        // Every friend row of the group, changed once.
        let mut rows: Vec<FriendRow> = Vec::new();
        if new_name.is_some() {
            edits.push(Edit::DropGroup {
                owner: me.to_owned(),
                name: name.clone(),
            });
            edits.push(Edit::Group {
                owner: me.to_owned(),
                name: target.clone(),
            });
            let all = self
                .friends
                .friends(me, vec![])
                .await
                .map_err(Error::internal("read the friends"))?;
            rows.extend(all.into_iter().filter(|r| r.groups.contains(&name)));
        }
        let (leaving, mut results) = self.friends_among(user, &out, "GroupUpdate").await?;
        let (joining, refused) = self.friends_among(user, &into, "GroupUpdate").await?;
        results.extend(refused);
        for (row, join) in leaving
            .into_iter()
            .map(|r| (r, false))
            .chain(joining.into_iter().map(|r| (r, true)))
        {
            results.push(FriendResult {
                desc: Some(String::new()),
                ..FriendResult::ok(&row.friend)
            });
            if !rows.iter().any(|r| r.friend == row.friend) {
                rows.push(row.clone());
            }
            let r = rows
                .iter_mut()
                .find(|r| r.friend == row.friend)
                .expect("just added");
            r.groups.retain(|g| *g != name && *g != target);
            if join {
                r.groups.push(target.clone());
            }
        }
        for r in &mut rows {
            if let Some(g) = r.groups.iter_mut().find(|g| **g == name) {
                *g = target.clone();
            }
            edits.push(Edit::Friend(r.clone()));
        }
        self.relate(edits).await?;
        self.notify(vec![(
            me.to_owned(),
            group_change(FriendChangeType::FRIEND_GROUP_MODIFY, vec![target]),
        )])
        .await;
        Ok(super::in_order(&named, results))
    }

    /// Delete friend groups; their friends stay friends.
    pub async fn delete_groups(&self, user: &UserId, names: Vec<String>) -> Result<()> {
        let names = self.names_of(&names)?;
        let me = user.as_str();
        let existing = self.groups_of(me).await?;
        if let Some(n) = names.iter().find(|n| !existing.contains(n)) {
            return Err(invalid(format!(
                "Err_SNS_GroupDelete_Group_Not_Exist: there is no friend group {n:?}"
            )));
        }
        let mut edits: Vec<Edit> = names
            .iter()
            .map(|n| Edit::DropGroup {
                owner: me.to_owned(),
                name: n.clone(),
            })
            .collect();
        let all = self
            .friends
            .friends(me, vec![])
            .await
            .map_err(Error::internal("read the friends"))?;
        for mut r in all {
            if r.groups.iter().any(|g| names.contains(g)) {
                r.groups.retain(|g| !names.contains(g));
                edits.push(Edit::Friend(r));
            }
        }
        self.relate(edits).await?;
        self.notify(vec![(
            me.to_owned(),
            group_change(FriendChangeType::FRIEND_GROUP_DEL, names),
        )])
        .await;
        Ok(())
    }
}
