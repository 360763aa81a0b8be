//! Relationships, first part: blacklists. A blocked user's C2C messages to the blocker are
//! refused (20007): the store checks the rule in the message's own write, so a send costs no
//! extra read. Every change reaches the owner's devices as a
//! `FriendChangeElem` notice of their system conversation, through their inbox.

use std::sync::Arc;

use opentim_model::codes;
use opentim_model::elem::{Elem, FriendChangeElem};
use opentim_model::enums::FriendChangeType;
use opentim_model::ids::UserId;
use opentim_model::message::Message;
use opentim_model::profile::{FriendProfile, FriendResult};
use opentim_protocol::Event;

use crate::clock::now_secs;
use crate::config::Config;
use crate::delivery::{Delivery, Topic};
use crate::error::{Error, Result};
use crate::service::group::stream::SYSTEM_SENDER;
use crate::service::profile::profile_info;
use crate::store::{FriendStore, NewReport, PendencyStore, ProfileRow, ProfileStore};

pub struct FriendshipService {
    config: Arc<Config>,
    friends: Arc<dyn FriendStore>,
    profiles: Arc<dyn ProfileStore>,
    notices: Arc<dyn PendencyStore>,
    delivery: Arc<Delivery>,
}

impl FriendshipService {
    pub fn new(
        config: Arc<Config>,
        friends: Arc<dyn FriendStore>,
        profiles: Arc<dyn ProfileStore>,
        notices: Arc<dyn PendencyStore>,
        delivery: Arc<Delivery>,
    ) -> Self {
        FriendshipService {
            config,
            friends,
            profiles,
            notices,
            delivery,
        }
    }

    /// The users of a batch request: 1 to `max_friendship_users_per_request`.
    fn users_of(&self, users: &[String]) -> Result<()> {
        let max = self.config.max_friendship_users_per_request;
        match users.is_empty() || users.len() > max {
            true => Err(Error::refused(
                codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                format!(
                    "{} users named; name 1 to {max} (max_friendship_users_per_request)",
                    users.len()
                ),
            )),
            false => Ok(()),
        }
    }

    /// Split `users` into those that may be acted on (valid ids, not `user`) and the results
    /// of the others.
    fn valid_others(&self, user: &UserId, users: &[String]) -> (Vec<String>, Vec<FriendResult>) {
        let (mut ok, mut refused) = (Vec::new(), Vec::new());
        for u in users {
            if UserId::parse(u, self.config.max_user_id_bytes).is_err() {
                refused.push(FriendResult::failed(
                    u,
                    codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                    "not a valid user id",
                ));
            } else if u == user.as_str() {
                refused.push(FriendResult::failed(
                    u,
                    codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                    "this cannot be done to oneself",
                ));
            } else if !ok.contains(u) {
                ok.push(u.clone());
            }
        }
        (ok, refused)
    }

    /// Tell every device of `user` of a change (a notice in their system conversation).
    async fn notify(&self, user: &UserId, change: FriendChangeElem) {
        let report = NewReport {
            user: user.as_str().to_owned(),
            from: SYSTEM_SENDER.to_owned(),
            client_msg_id: format!("{:032x}", rand::random::<u128>()),
            rand: rand::random::<u32>().into(),
            server_time: now_secs(),
            message: Message {
                elem_array: vec![Elem::FriendChange(change.complete())],
                ..Default::default()
            },
        };
        match self.notices.append_reports(vec![report]).await {
            Ok(entries) => {
                for (_, entry) in entries {
                    self.delivery
                        .publish_with(&Topic::User(user.clone()), None, || Event::Inbox(entry))
                        .await;
                }
            }
            Err(e) => tracing::error!(error = %e, "could not store a friendship notice"),
        }
    }

    /// `user` blocks `users`: one result each, in the order asked.
    pub async fn block(&self, user: &UserId, users: Vec<String>) -> Result<Vec<FriendResult>> {
        self.users_of(&users)?;
        let (valid, refused) = self.valid_others(user, &users);
        let max = self.config.max_blacklist;
        let done = self
            .friends
            .block(user.as_str(), valid.clone(), now_secs(), max)
            .await
            .map_err(Error::internal("block the users"))?;
        let mut added = Vec::new();
        let mut results = refused;
        for (u, d) in valid.into_iter().zip(done) {
            match d {
                Some(newly) => {
                    if newly {
                        added.push(u.clone());
                    }
                    results.push(FriendResult::ok(u));
                }
                None => results.push(FriendResult::failed(
                    u,
                    codes::ERR_SVR_FRIENDSHIP_BLACKLIST_LIMIT,
                    format!("the blacklist holds at most {max} users (max_blacklist)"),
                )),
            }
        }
        if !added.is_empty() {
            let change = FriendChangeElem {
                change_type: Some(FriendChangeType::BLACK_LIST_ADD),
                blacklist_add_identifier_array: Some(added),
                ..Default::default()
            };
            self.notify(user, change).await;
        }
        Ok(in_order(&users, results))
    }

    /// `user` unblocks `users`: one result each, in the order asked.
    pub async fn unblock(&self, user: &UserId, users: Vec<String>) -> Result<Vec<FriendResult>> {
        self.users_of(&users)?;
        let (valid, refused) = self.valid_others(user, &users);
        let done = self
            .friends
            .unblock(user.as_str(), valid.clone())
            .await
            .map_err(Error::internal("unblock the users"))?;
        let mut removed = Vec::new();
        let mut results = refused;
        for (u, was) in valid.into_iter().zip(done) {
            match was {
                true => {
                    removed.push(u.clone());
                    results.push(FriendResult::ok(u));
                }
                false => results.push(FriendResult::failed(
                    u,
                    codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                    "not in your blacklist",
                )),
            }
        }
        if !removed.is_empty() {
            let change = FriendChangeElem {
                change_type: Some(FriendChangeType::BLACK_LIST_DEL),
                blacklist_del_identifier_array: Some(removed),
                ..Default::default()
            };
            self.notify(user, change).await;
        }
        Ok(in_order(&users, results))
    }

    /// Who `user` blocked, oldest first, each with their profile.
    pub async fn blacklist(&self, user: &UserId) -> Result<Vec<FriendProfile>> {
        let blocked = self
            .friends
            .blocked(user.as_str())
            .await
            .map_err(Error::internal("read the blacklist"))?;
        let users: Vec<String> = blocked.iter().map(|(u, _)| u.clone()).collect();
        let profiles = self
            .profiles
            .profiles(users)
            .await
            .map_err(Error::internal("read the profiles"))?;
        Ok(blocked
            .into_iter()
            .map(|(u, time)| {
                let row = profiles.iter().find(|p| p.user == u).cloned();
                let profile = profile_info(&row.unwrap_or(ProfileRow {
                    user: u.clone(),
                    custom: "[]".into(),
                    ..Default::default()
                }));
                FriendProfile {
                    identifier: Some(u),
                    add_time: Some(time),
                    user_profile: Some(profile),
                    ..Default::default()
                }
                .complete()
            })
            .collect())
    }
}

/// `results` in the order of `asked` (one each; a user asked twice answers twice).
fn in_order(asked: &[String], results: Vec<FriendResult>) -> Vec<FriendResult> {
    asked
        .iter()
        .filter_map(|u| {
            results
                .iter()
                .find(|r| r.identifier.as_deref() == Some(u.as_str()))
                .cloned()
        })
        .collect()
}
