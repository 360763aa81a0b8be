//! Blacklists: block and unblock, one result per user.

use opentim_model::codes;
use opentim_model::elem::FriendChangeElem;
use opentim_model::enums::FriendChangeType;
use opentim_model::ids::UserId;
use opentim_model::profile::FriendResult;

use super::{in_order, FriendshipService};
use crate::clock::now_secs;
use crate::error::{Error, Result};
use crate::store::Edit;

impl FriendshipService {
    /// For each of `users`: (whether `user` blocked them, whether they blocked `user`).
    pub async fn block_relations(
        &self,
        user: &UserId,
        users: &[String],
    ) -> Result<Vec<(bool, bool)>> {
        self.users_of(users)?;
        let me = user.as_str();
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            let mine = self.friends.is_blocked(me, u).await;
            let theirs = self.friends.is_blocked(u, me).await;
            out.push((
                mine.map_err(Error::internal("read the blacklist"))?,
                theirs.map_err(Error::internal("read the blacklist"))?,
            ));
        }
        Ok(out)
    }

    /// `user` blocks `users`: one result each, in the order asked. A friendship with a
    /// blocked user ends both ways, and the requests between the two are dropped.
    pub async fn block(&self, user: &UserId, users: Vec<String>) -> Result<Vec<FriendResult>> {
        self.users_of(&users)?;
        let (valid, mut results) = self.valid_others(user, &users);
        let me = user.as_str();
        let blocked = self
            .friends
            .blocked(me)
            .await
            .map_err(Error::internal("read the blacklist"))?;
        let mine = self.rows_of(me, valid.clone()).await?;
        let theirs = self
            .friends
            .who_have(valid.clone(), me)
            .await
            .map_err(Error::internal("read the friends"))?;
        let requests = self
            .friends
            .requests(me)
            .await
            .map_err(Error::internal("read the friend requests"))?;
        let max = self.config.max_blacklist;
        let mut room = max.saturating_sub(blocked.len() as u64);
        let (mut edits, mut added, mut unfriended) = (Vec::new(), Vec::new(), Vec::new());
        let mut told = Vec::new();
        let now = now_secs();
        for u in valid {
            if blocked.iter().any(|(b, _)| *b == u) {
                results.push(FriendResult::ok(u));
                continue;
            }
            if room == 0 {
                let (code, desc) = self.cap_refusal(user, me, crate::store::Cap::Blocked);
                results.push(FriendResult::failed(u, code, desc));
                continue;
            }
            room -= 1;
            edits.push(Edit::Block {
                owner: me.to_owned(),
                user: u.clone(),
                time: now,
            });
            if mine.contains_key(&u) {
                edits.push(Edit::Unfriend {
                    owner: me.to_owned(),
                    friend: u.clone(),
                });
                unfriended.push(u.clone());
            }
            if theirs.contains(&u) {
                edits.push(Edit::Unfriend {
                    owner: u.clone(),
                    friend: me.to_owned(),
                });
                told.push((u.clone(), friend_del(vec![me.to_owned()])));
            }
            for r in requests.iter().filter(|r| r.other == u) {
                edits.push(Edit::DropRequest {
                    owner: me.to_owned(),
                    other: u.clone(),
                    incoming: r.incoming,
                });
                edits.push(Edit::DropRequest {
                    owner: u.clone(),
                    other: me.to_owned(),
                    incoming: !r.incoming,
                });
                told.push((u.clone(), pendency_del(vec![me.to_owned()])));
            }
            added.push(u.clone());
            results.push(FriendResult::ok(u));
        }
        if let Some((owner, cap)) = self.relate(edits).await? {
            // Another device blocked users at the same moment: nothing of this was stored.
            let (code, desc) = self.cap_refusal(user, &owner, cap);
            return Err(Error::refused(code, desc));
        }
        let mut changes = Vec::new();
        if !added.is_empty() {
            let change = FriendChangeElem {
                change_type: Some(FriendChangeType::BLACK_LIST_ADD),
                blacklist_add_identifier_array: Some(added),
                ..Default::default()
            };
            changes.push((me.to_owned(), change));
        }
        if !unfriended.is_empty() {
            changes.push((me.to_owned(), friend_del(unfriended)));
        }
        changes.extend(told);
        self.notify(changes).await;
        Ok(in_order(&users, results))
    }

    /// `user` unblocks `users`: one result each, in the order asked.
    pub async fn unblock(&self, user: &UserId, users: Vec<String>) -> Result<Vec<FriendResult>> {
        self.users_of(&users)?;
        let (valid, mut results) = self.valid_others(user, &users);
        let me = user.as_str();
        let blocked = self
            .friends
            .blocked(me)
            .await
            .map_err(Error::internal("read the blacklist"))?;
        let (mut edits, mut removed) = (Vec::new(), Vec::new());
        for u in valid {
            if blocked.iter().any(|(b, _)| *b == u) {
                edits.push(Edit::Unblock {
                    owner: me.to_owned(),
                    user: u.clone(),
                });
                removed.push(u.clone());
                results.push(FriendResult::ok(u));
            } else {
                results.push(FriendResult::failed(
                    u,
                    codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                    "not in your blacklist",
                ));
            }
        }
        self.relate(edits).await?;
        if !removed.is_empty() {
            let change = FriendChangeElem {
                change_type: Some(FriendChangeType::BLACK_LIST_DEL),
                blacklist_del_identifier_array: Some(removed),
                ..Default::default()
            };
            self.notify(vec![(me.to_owned(), change)]).await;
        }
        Ok(in_order(&users, results))
    }
}

/// The notice of friends removed.
pub(super) fn friend_del(users: Vec<String>) -> FriendChangeElem {
    FriendChangeElem {
        change_type: Some(FriendChangeType::FRIEND_DEL),
        friend_del_identifier_array: Some(users),
        ..Default::default()
    }
}

/// The notice of requests removed.
pub(super) fn pendency_del(users: Vec<String>) -> FriendChangeElem {
    FriendChangeElem {
        change_type: Some(FriendChangeType::PENDENCY_DEL),
        pendency_del_identifier_array: Some(users),
        ..Default::default()
    }
}
