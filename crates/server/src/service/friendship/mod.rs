//! Relationships: friends (added directly or through a request the other side answers),
//! friend groups, friend requests and blacklists.
//!
//! The server decides every rule: who may add whom (the target's add permission, blacklists
//! both ways: the table of [`rules`], which its tests walk), the limits (settings
//! `max_friends`, `max_friend_requests`, `max_friend_groups`, `max_blacklist` and the text
//! lengths). A change is one store transaction
//! ([`FriendStore::relate`]) and reaches every device of each user concerned as a
//! `FriendChangeElem` notice in their system conversation, through their inbox, so a device
//! that was offline gets it once at its next sync; the notice also tells a device to fetch
//! what changed since the relation version it holds ([`FriendshipService::sync`]).
//!
//! A blocked user's C2C messages to the blocker are refused (20007) by the store inside the
//! message's own write; blocking also ends the friendship both ways and drops the requests
//! between the two.

mod blacklist;
mod friends;
mod groups;
mod requests;
pub mod rules;

use std::collections::HashMap;
use std::sync::Arc;

use opentim_model::codes;
use opentim_model::elem::{Elem, FriendChangeElem};
use opentim_model::enums::FriendChangeType;
use opentim_model::ids::UserId;
use opentim_model::message::Message;
use opentim_model::profile::{
    FriendProfile, FriendProfileCustomStringInfo, FriendResult, UserProfile,
};
use opentim_protocol::Event;

use crate::clock::now_secs;
use crate::config::Config;
use crate::delivery::{Delivery, Topic};
use crate::error::{Error, Result};
use crate::service::group::stream::SYSTEM_SENDER;
use crate::service::profile::profile_info;
use crate::store::{
    AccountStore, Cap, Edit, FriendRow, FriendStore, NewReport, PendencyStore, ProfileRow,
    ProfileStore, RelationLimits, StoreError,
};
use crate::webhook::{self, Webhooks};

/// What every custom friend key starts with; callers may leave it out.
pub const SNS_CUSTOM_PREFIX: &str = "Tag_SNS_Custom_";

pub struct FriendshipService {
    config: Arc<Config>,
    friends: Arc<dyn FriendStore>,
    accounts: Arc<dyn AccountStore>,
    profiles: Arc<dyn ProfileStore>,
    notices: Arc<dyn PendencyStore>,
    delivery: Arc<Delivery>,
    webhooks: Arc<Webhooks>,
}

fn invalid(desc: impl Into<String>) -> Error {
    Error::refused(codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS, desc)
}

impl FriendshipService {
    pub fn new(
        config: Arc<Config>,
        friends: Arc<dyn FriendStore>,
        accounts: Arc<dyn AccountStore>,
        profiles: Arc<dyn ProfileStore>,
        notices: Arc<dyn PendencyStore>,
        delivery: Arc<Delivery>,
        webhooks: Arc<Webhooks>,
    ) -> Self {
        FriendshipService {
            config,
            friends,
            accounts,
            profiles,
            notices,
            delivery,
            webhooks,
        }
    }

    /// Tell the app's back-end of the friendships `changes` made and ended (after-callbacks):
    /// `client_cmd` is what the user did (`friend_add`, `friend_response`, `friend_delete`).
    fn after_relations(
        &self,
        changes: &[(String, FriendChangeElem)],
        initiator: &str,
        client_cmd: &str,
    ) {
        let pairs = |t: FriendChangeType| -> Vec<(String, String)> {
            changes
                .iter()
                .filter(|(_, c)| c.change_type == Some(t))
                .flat_map(|(owner, c)| {
                    let ids = match t {
                        FriendChangeType::FRIEND_ADD => c.friend_add_identifier_array.clone(),
                        _ => c.friend_del_identifier_array.clone(),
                    };
                    ids.unwrap_or_default()
                        .into_iter()
                        .map(move |f| (owner.clone(), f))
                })
                .collect()
        };
        let added = pairs(FriendChangeType::FRIEND_ADD);
        if !added.is_empty() && self.webhooks.wants(webhook::FRIEND_ADD) {
            let fields = webhook::friends_added(&added, initiator, client_cmd);
            self.webhooks.after(webhook::FRIEND_ADD, fields);
        }
        let deleted = pairs(FriendChangeType::FRIEND_DEL);
        if !deleted.is_empty() && self.webhooks.wants(webhook::FRIEND_DELETE) {
            self.webhooks
                .after(webhook::FRIEND_DELETE, webhook::friends_deleted(&deleted));
        }
    }

    fn limits(&self) -> RelationLimits {
        let c = &self.config;
        RelationLimits {
            friends: c.max_friends,
            incoming_requests: c.max_friend_requests,
            groups: c.max_friend_groups,
            blocked: c.max_blacklist,
        }
    }

    /// Apply a change: `Some((owner, cap))` when it would pass a cap of `owner` (nothing was
    /// stored then).
    async fn relate(&self, edits: Vec<Edit>) -> Result<Option<(String, Cap)>> {
        match self.friends.relate(edits, self.limits()).await {
            Ok(()) => Ok(None),
            Err(StoreError::LimitReached { owner, cap }) => Ok(Some((owner, cap))),
            Err(e) => Err(Error::internal("change the relationships")(e)),
        }
    }

    /// The refusal of a cap `owner` would pass, as `user` (who asked) is told.
    fn cap_refusal(&self, user: &UserId, owner: &str, cap: Cap) -> (i32, String) {
        let c = &self.config;
        let mine = owner == user.as_str();
        match cap {
            Cap::Friends if mine => (
                codes::ERR_SVR_FRIENDSHIP_COUNT_LIMIT,
                format!(
                    "you have {} friends, the most there may be (max_friends)",
                    c.max_friends
                ),
            ),
            Cap::Friends => (
                codes::ERR_SVR_FRIENDSHIP_PEER_FRIEND_LIMIT,
                format!(
                    "{owner} has {} friends, the most there may be (max_friends)",
                    c.max_friends
                ),
            ),
            Cap::IncomingRequests => (
                codes::ERR_SVR_FRIENDSHIP_PENDENCY_LIMIT,
                format!(
                    "{owner} has {} friend requests waiting, the most there may be \
                     (max_friend_requests)",
                    c.max_friend_requests
                ),
            ),
            Cap::Groups => (
                codes::ERR_SVR_FRIENDSHIP_GROUP_COUNT_LIMIT,
                format!(
                    "you have {} friend groups, the most there may be (max_friend_groups)",
                    c.max_friend_groups
                ),
            ),
            Cap::Blocked => (
                codes::ERR_SVR_FRIENDSHIP_BLACKLIST_LIMIT,
                format!(
                    "the blacklist holds at most {} users (max_blacklist)",
                    c.max_blacklist
                ),
            ),
        }
    }

    /// The users of a batch request: 1 to `max_friendship_users_per_request`.
    fn users_of(&self, users: &[String]) -> Result<()> {
        let max = self.config.max_friendship_users_per_request;
        match users.is_empty() || users.len() > max {
            true => Err(invalid(format!(
                "{} users named; name 1 to {max} (max_friendship_users_per_request)",
                users.len()
            ))),
            false => Ok(()),
        }
    }

    /// Split `users` into those that may be acted on (valid ids, not `user`, each once) and
    /// the results of the others.
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

    /// A text field within `max` bytes.
    fn text(&self, what: &str, v: Option<String>, max: usize) -> Result<String> {
        let v = v.unwrap_or_default();
        match v.len() > max {
            true => Err(invalid(format!(
                "{what} is {} bytes; the limit is {max}",
                v.len()
            ))),
            false => Ok(v),
        }
    }

    /// A friend group name: 1 to `max_friend_group_name_bytes` bytes.
    fn group_name(&self, name: &str) -> Result<()> {
        let max = self.config.max_friend_group_name_bytes;
        match name.is_empty() || name.len() > max {
            true => Err(invalid(format!(
                "friend group name {name:?} is {} bytes; names are 1 to {max} bytes \
                 (max_friend_group_name_bytes)",
                name.len()
            ))),
            false => Ok(()),
        }
    }

    /// Tell every device of each user of `changes` (one notice per user, its changes in
    /// order, in their system conversation).
    async fn notify(&self, changes: Vec<(String, FriendChangeElem)>) {
        let mut per_user: Vec<(String, Vec<Elem>)> = Vec::new();
        for (user, change) in changes {
            match per_user.iter_mut().find(|(u, _)| *u == user) {
                Some((_, elems)) => elems.push(Elem::FriendChange(change)),
                None => per_user.push((user, vec![Elem::FriendChange(change)])),
            }
        }
        if per_user.is_empty() {
            return;
        }
        let now = now_secs();
        let reports = per_user
            .into_iter()
            .map(|(user, elem_array)| NewReport {
                user,
                from: SYSTEM_SENDER.to_owned(),
                client_msg_id: format!("{:032x}", rand::random::<u128>()),
                rand: rand::random::<u32>().into(),
                server_time: now,
                message: Message {
                    elem_array,
                    ..Default::default()
                },
            })
            .collect();
        match self.notices.append_reports(reports).await {
            Ok(entries) => {
                for (user, entry) in entries {
                    let Ok(user) = UserId::parse(&user, usize::MAX) else {
                        continue;
                    };
                    self.delivery
                        .publish_with(&Topic::User(user), None, || Event::Inbox(entry))
                        .await;
                }
            }
            Err(e) => tracing::error!(error = %e, "could not store a friendship notice"),
        }
    }

    /// The user profiles of `users` (the empty one for a user who never set theirs).
    async fn user_profiles(&self, users: Vec<String>) -> Result<HashMap<String, UserProfile>> {
        let rows = self
            .profiles
            .profiles(users.clone())
            .await
            .map_err(Error::internal("read the profiles"))?;
        let mut out: HashMap<String, UserProfile> = rows
            .iter()
            .map(|r| (r.user.clone(), profile_info(r)))
            .collect();
        for u in users {
            out.entry(u.clone()).or_insert_with(|| {
                profile_info(&ProfileRow {
                    user: u,
                    custom: "[]".into(),
                    ..Default::default()
                })
            });
        }
        Ok(out)
    }

    /// Which of `users` exist.
    async fn existing(&self, users: &[String]) -> Result<Vec<bool>> {
        self.accounts
            .existing(users.to_vec())
            .await
            .map_err(Error::internal("read the accounts"))
    }

    /// The friend rows of `user` for `users`, by friend.
    async fn rows_of(&self, user: &str, users: Vec<String>) -> Result<HashMap<String, FriendRow>> {
        Ok(self
            .friends
            .friends(user, users)
            .await
            .map_err(Error::internal("read the friends"))?
            .into_iter()
            .map(|r| (r.friend.clone(), r))
            .collect())
    }
}

/// A friend row as the API shows it, with the friend's user profile.
fn friend_profile(row: &FriendRow, profile: Option<&UserProfile>) -> FriendProfile {
    FriendProfile {
        identifier: Some(row.friend.clone()),
        group_name_array: Some(row.groups.clone()),
        remark: Some(row.remark.clone()),
        add_wording: Some(row.add_wording.clone()),
        add_source: Some(row.add_source.clone()),
        add_time: Some(row.add_time),
        user_profile: profile.cloned(),
        custom_string_array: Some(
            row.custom
                .iter()
                .map(|(k, v)| FriendProfileCustomStringInfo::new(k.clone(), v.clone()))
                .collect(),
        ),
    }
    .complete()
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
