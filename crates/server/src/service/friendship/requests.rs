//! Friend requests (deleting them, marking them read) and the incremental sync of a user's
//! lists.

use opentim_model::codes;
use opentim_model::elem::FriendChangeElem;
use opentim_model::enums::{FriendChangeType, FriendPendencyType};
use opentim_model::friend::{FriendAddPendencyInfo, FriendshipDeletePendencyParam};
use opentim_model::ids::UserId;
use opentim_model::profile::{FriendProfile, FriendResult};
use opentim_protocol::op::friend::{Gone, GoneList, SyncResponse};

use super::blacklist::pendency_del;
use super::{friend_profile, in_order, invalid, FriendshipService};
use crate::clock::now_secs;
use crate::error::{Error, Result};
use crate::store::{
    Edit, GONE_BLOCKED, GONE_FRIEND, GONE_GROUP, GONE_REQUEST_IN, GONE_REQUEST_OUT,
};

impl FriendshipService {
    /// Delete `user`'s requests of one direction (or both) with each user named; the other
    /// side's half goes with them.
    pub async fn delete_requests(
        &self,
        user: &UserId,
        p: FriendshipDeletePendencyParam,
    ) -> Result<Vec<FriendResult>> {
        let users = p.identifier_array.unwrap_or_default();
        self.users_of(&users)?;
        let kind = p.pendency_type.unwrap_or(FriendPendencyType::COME_IN);
        let directions: &[bool] = match kind {
            FriendPendencyType::COME_IN => &[true],
            FriendPendencyType::SEND_OUT => &[false],
            FriendPendencyType::BOTH => &[true, false],
            other => {
                return Err(invalid(format!(
                    "pendency type {} is none of 0 (incoming), 1 (outgoing) and 2 (both)",
                    other.0
                )))
            }
        };
        let me = user.as_str();
        let (valid, mut results) = self.valid_others(user, &users);
        let requests = self
            .friends
            .requests(me)
            .await
            .map_err(Error::internal("read the friend requests"))?;
        let (mut edits, mut removed, mut changes) = (Vec::new(), Vec::new(), Vec::new());
        for u in valid {
            let mine: Vec<bool> = requests
                .iter()
                .filter(|r| r.other == u && directions.contains(&r.incoming))
                .map(|r| r.incoming)
                .collect();
            if mine.is_empty() {
                results.push(FriendResult::failed(
                    &u,
                    codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS,
                    format!("Err_SNS_PendencyDelete_Pendency_Not_Exist: no such request with {u}"),
                ));
                continue;
            }
            for incoming in mine {
                edits.push(Edit::DropRequest {
                    owner: me.to_owned(),
                    other: u.clone(),
                    incoming,
                });
                edits.push(Edit::DropRequest {
                    owner: u.clone(),
                    other: me.to_owned(),
                    incoming: !incoming,
                });
            }
            changes.push((u.clone(), pendency_del(vec![me.to_owned()])));
            removed.push(u.clone());
            results.push(FriendResult::ok(u));
        }
        self.relate(edits).await?;
        if !removed.is_empty() {
            changes.insert(0, (me.to_owned(), pendency_del(removed)));
        }
        self.notify(changes).await;
        Ok(in_order(&users, results))
    }

    /// `user` read their incoming requests up to `time` (Unix seconds; 0: now).
    pub async fn requests_read(&self, user: &UserId, time: u64) -> Result<()> {
        let time = match time {
            0 => now_secs(),
            t => t,
        };
        let me = user.as_str().to_owned();
        self.relate(vec![Edit::ReadTime {
            owner: me.clone(),
            time,
        }])
        .await?;
        let change = FriendChangeElem {
            change_type: Some(FriendChangeType::PENDENCY_READED_REPORT),
            pendency_readed_report_timestamp: Some(time),
            ..Default::default()
        };
        self.notify(vec![(me, change)]).await;
        Ok(())
    }

    /// What changed in `user`'s friends, friend groups, requests and blacklist after version
    /// `since` (everything for 0), with the profiles they show.
    pub async fn sync(&self, user: &UserId, since: u64) -> Result<SyncResponse> {
        let d = self
            .friends
            .delta(user.as_str(), since)
            .await
            .map_err(Error::internal("read the relationship changes"))?;
        let mut users: Vec<String> = d.friends.iter().map(|f| f.friend.clone()).collect();
        users.extend(d.blocked.iter().map(|(u, _)| u.clone()));
        users.extend(d.requests.iter().map(|r| r.other.clone()));
        users.sort_unstable();
        users.dedup();
        let profiles = match users.is_empty() {
            true => Default::default(),
            false => self.user_profiles(users).await?,
        };
        let gone = d
            .gone
            .into_iter()
            .filter_map(|(kind, id)| {
                let list = match kind {
                    GONE_FRIEND => GoneList::Friend,
                    GONE_BLOCKED => GoneList::Blocked,
                    GONE_REQUEST_IN => GoneList::RequestIn,
                    GONE_REQUEST_OUT => GoneList::RequestOut,
                    GONE_GROUP => GoneList::Group,
                    _ => return None,
                };
                Some(Gone { list, id })
            })
            .collect();
        Ok(SyncResponse {
            version: d.version,
            read_time: d.read_time,
            friends: d
                .friends
                .iter()
                .map(|f| friend_profile(f, profiles.get(&f.friend)))
                .collect(),
            blocked: d
                .blocked
                .into_iter()
                .map(|(u, time)| {
                    FriendProfile {
                        user_profile: profiles.get(&u).cloned(),
                        identifier: Some(u),
                        add_time: Some(time),
                        ..Default::default()
                    }
                    .complete()
                })
                .collect(),
            requests: d
                .requests
                .into_iter()
                .map(|r| FriendAddPendencyInfo {
                    pendency_type: Some(match r.incoming {
                        true => FriendPendencyType::COME_IN,
                        false => FriendPendencyType::SEND_OUT,
                    }),
                    nick_name: profiles.get(&r.other).and_then(|p| p.nick_name.clone()),
                    identifier: Some(r.other),
                    add_time: Some(r.add_time),
                    add_source: Some(r.add_source),
                    add_wording: Some(r.add_wording),
                })
                .collect(),
            groups: d.groups,
            gone,
        })
    }
}
