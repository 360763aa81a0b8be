//! Joining a group (`TIMGroupJoin`), and the requests and invitations waiting for a decision
//! (`TIMGroupGetPendencyList`, `TIMGroupReportPendencyReaded`, `TIMGroupHandlePendency`).
//!
//! A request to join a group whose add option is "need permission" becomes a pendency that
//! any owner or admin decides; an invitation into such a group (Public or ChatRoom) becomes a
//! pendency the invitee decides. Each party is told with a system notice (`GroupReportElem`):
//! the managers of the request, the requester of the decision, the invitee of the invitation,
//! the inviter of the answer.

use opentim_model::codes;
use opentim_model::enums::{
    GroupMemberRole, GroupPendencyHandle, GroupPendencyHandleResult, GroupPendencyType,
    GroupReportType, GroupTipType, GroupType,
};
use opentim_model::group::{
    GroupHandlePendencyParam, GroupPendency, GroupPendencyOption, GroupPendencyResult,
};
use opentim_model::ids::UserId;

use super::rules::{decide_join, Join, Op, Role};
use super::stream::topic;
use super::{within, GroupService};
use crate::clock::now_secs;
use crate::delivery::SessionId;
use crate::error::{Error, Result};
use crate::store::{Decision, GroupRow, NewPendency, PendencyRow};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A pendency as `viewer` (who decides it) sees it.
fn pendency_info(r: &PendencyRow, viewer: &str) -> GroupPendency {
    GroupPendency {
        group_id: Some(r.group_id.clone()),
        from_identifier: Some(r.from.clone()),
        to_identifier: Some(match r.to.is_empty() {
            true => viewer.to_owned(),
            false => r.to.clone(),
        }),
        add_time: Some(r.add_time),
        pendency_type: Some(r.kind),
        handled: Some(match (r.handled, r.handled_by == viewer) {
            (false, _) => GroupPendencyHandle::NOT_HANDLE,
            (true, true) => GroupPendencyHandle::OPERATOR_HANDLE,
            (true, false) => GroupPendencyHandle::OTHER_HANDLE,
        }),
        handle_result: Some(match r.accepted {
            true => GroupPendencyHandleResult::ACCEPT,
            false => GroupPendencyHandleResult::REFUSE,
        }),
        apply_invite_msg: Some(r.apply_msg.clone()),
        approval_msg: Some(r.approval_msg.clone()),
        ..Default::default()
    }
    .complete()
}

impl GroupService {
    /// Join a group: at once where its type and add option let anyone in, else by a request
    /// its owner and admins decide. An AVChatRoom is entered by the session `session` alone,
    /// without a membership row (true back: the client enters again after a reconnect).
    pub async fn join(
        &self,
        user: &UserId,
        session: Option<SessionId>,
        id: &str,
        hello: &str,
    ) -> Result<bool> {
        let (group, role) = self.group_and_role(user, id).await?;
        if role != Role::Outsider {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_ALLREADY_MEMBER,
                "you are a member of this group already",
            ));
        }
        if group.group_type == GroupType::AV_CHAT_ROOM {
            let (Some(session), Some(topic)) = (session, topic(&group.id)) else {
                return Err(Error::refused(
                    codes::ERR_SVR_GROUP_INVALID_REQ,
                    "an AVChatRoom is entered from a connection",
                ));
            };
            self.delivery.subscribe(session, topic).await;
            let who = user.as_str().to_owned();
            self.tip(&group, user.as_str(), GroupTipType::INVITE, vec![who])
                .await;
            return Ok(true);
        }
        within(
            "the request message",
            hello,
            self.config.max_group_notification_bytes,
        )?;
        match decide_join(group.group_type, group.add_option) {
            Join::Refused(d) => Err(Error::refused(d.code, d.desc)),
            Join::Joined => self
                .admit(&group, user.as_str(), user.as_str())
                .await
                .map(|()| false),
            Join::NeedsApproval => {
                self.pendencies
                    .add_pendency(NewPendency {
                        group_id: group.id.clone(),
                        kind: GroupPendencyType::REQUEST_JOIN,
                        from: user.as_str().to_owned(),
                        to: String::new(),
                        apply_msg: hello.to_owned(),
                        time_ms: now_ms(),
                    })
                    .await
                    .map_err(Error::internal("store the request"))?;
                let managers = self
                    .store
                    .managers(&group.id)
                    .await
                    .map_err(Error::internal("read the group's managers"))?;
                self.report(
                    &group,
                    user.as_str(),
                    GroupReportType::ADD_REQUEST,
                    &managers,
                    hello,
                )
                .await;
                Ok(false)
            }
        }
    }

    /// Make `who` a member (let in by `by`): told through their inbox, with a tip for the
    /// group.
    async fn admit(&self, group: &GroupRow, who: &str, by: &str) -> Result<()> {
        if self
            .below_joined_limit(vec![who.to_owned()])
            .await?
            .0
            .is_empty()
        {
            return Err(self.joined_limit(who));
        }
        let added = self
            .store
            .add_members(
                &group.id,
                vec![who.to_owned()],
                GroupMemberRole::NORMAL,
                now_secs(),
            )
            .await
            .map_err(Error::internal("add the member"))?;
        if !added.already.is_empty() {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_ALLREADY_MEMBER,
                format!("{who:?} is a member of this group already"),
            ));
        }
        if !added.full.is_empty() {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT,
                format!("the group is full ({} members)", group.max_members),
            ));
        }
        self.tell(&group.id, true, added.notices).await;
        self.after_join(group, "Apply", by, &added.added);
        self.tip(group, by, GroupTipType::INVITE, added.added).await;
        Ok(())
    }

    /// Invite `users` into a group that lets nobody in without consent: each gets an
    /// invitation to accept or refuse, and a notice.
    pub(super) async fn invite_by_request(
        &self,
        group: &GroupRow,
        inviter: &str,
        users: &[String],
    ) -> Result<()> {
        for u in users {
            self.pendencies
                .add_pendency(NewPendency {
                    group_id: group.id.clone(),
                    kind: GroupPendencyType::INVITE_JOIN,
                    from: inviter.to_owned(),
                    to: u.clone(),
                    apply_msg: String::new(),
                    time_ms: now_ms(),
                })
                .await
                .map_err(Error::internal("store the invitation"))?;
        }
        self.report(group, inviter, GroupReportType::INVITE_REQ, users, "")
            .await;
        Ok(())
    }

    /// The requests and invitations `user` decides, newest first, from `start_time` (0: the
    /// newest), with how many are undecided and unseen.
    pub async fn pendencies(
        &self,
        user: &UserId,
        option: GroupPendencyOption,
    ) -> Result<GroupPendencyResult> {
        let page = self.config.group_pendency_page.max(1);
        let limit = option
            .max_limited
            .filter(|n| (1..=page).contains(n))
            .unwrap_or(page);
        let before = option.start_time.unwrap_or(0);
        let rows = self
            .pendencies
            .pendencies(user.as_str(), before, limit)
            .await
            .map_err(Error::internal("read the pendencies"))?;
        let read = self
            .pendencies
            .pendency_read_time(user.as_str())
            .await
            .map_err(Error::internal("read the pendencies"))?;
        let unread = self
            .pendencies
            .unread_pendencies(user.as_str(), read)
            .await
            .map_err(Error::internal("count the pendencies"))?;
        let next = match rows.len() as u32 == limit {
            true => rows.last().map_or(0, |r| r.add_time),
            false => 0,
        };
        Ok(GroupPendencyResult {
            next_start_time: Some(next),
            read_time_seq: Some(read),
            unread_num: Some(unread.min(u64::from(u32::MAX)) as u32),
            pendency_array: Some(
                rows.iter()
                    .map(|r| pendency_info(r, user.as_str()))
                    .collect(),
            ),
        })
    }

    /// Mark `user`'s pendencies added up to `time` seen. The time is in seconds as the API
    /// documents it, or in milliseconds as pendency times are (a value past the year 5138 in
    /// seconds is read as milliseconds).
    pub async fn pendencies_read(&self, user: &UserId, time: u64) -> Result<()> {
        let ms = match time < 100_000_000_000 {
            true => time.saturating_mul(1000),
            false => time,
        };
        self.pendencies
            .set_pendency_read_time(user.as_str(), ms)
            .await
            .map_err(Error::internal("mark the pendencies seen"))
    }

    /// Accept or refuse a pendency `user` decides, once.
    pub async fn handle_pendency(&self, user: &UserId, p: GroupHandlePendencyParam) -> Result<()> {
        let asked = p.pendency.unwrap_or_default();
        let gone = || {
            Error::refused(
                codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                "no such pendency: pass group_handle_pendency_param_pendency as \
                 TIMGroupGetPendencyList returned it",
            )
        };
        let row = self
            .pendencies
            .pendency(
                asked.group_id.as_deref().unwrap_or_default(),
                asked.add_time.unwrap_or(0),
            )
            .await
            .map_err(Error::internal("read the pendency"))?
            .ok_or_else(gone)?;
        let (group, role) = self.group_and_role(user, &row.group_id).await?;
        let request = row.kind == GroupPendencyType::REQUEST_JOIN;
        if request {
            Self::check(Op::Approve, role, group.group_type)?;
        } else if row.to != user.as_str() {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_PERMISSION_DENY,
                format!("this invitation is for {:?} to answer", row.to),
            ));
        }
        let decided_already = |r: &PendencyRow| {
            Error::refused(
                codes::ERR_SVR_GROUP_REQ_ALLREADY_BEEN_PROCESSED,
                format!("this pendency was decided already by {:?}", r.handled_by),
            )
        };
        if row.handled {
            return Err(decided_already(&row));
        }
        let accept = p.is_accept.unwrap_or(false);
        if accept && group.member_count >= group.max_members {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT,
                format!("the group is full ({} members)", group.max_members),
            ));
        }
        let message = p.handle_msg.unwrap_or_default();
        let decision = Decision {
            group_id: row.group_id.clone(),
            add_time: row.add_time,
            accept,
            by: user.as_str().to_owned(),
            message: message.clone(),
        };
        let decided = self
            .pendencies
            .decide_pendency(decision)
            .await
            .map_err(Error::internal("decide the pendency"))?;
        if decided.is_none() {
            // Decided meanwhile: by this very call when a lost commit was retried, else by
            // someone else.
            let now = self
                .pendencies
                .pendency(&row.group_id, row.add_time)
                .await
                .map_err(Error::internal("read the pendency"))?
                .ok_or_else(gone)?;
            if now.handled_by != user.as_str() || now.accepted != accept {
                return Err(decided_already(&now));
            }
        }
        let (joiner, by, report, told) = match (request, accept) {
            (true, true) => (
                &row.from,
                user.as_str(),
                GroupReportType::ADD_ACCEPT,
                &row.from,
            ),
            (true, false) => (
                &row.from,
                user.as_str(),
                GroupReportType::ADD_REFUSE,
                &row.from,
            ),
            (false, true) => (
                &row.to,
                row.from.as_str(),
                GroupReportType::INVITE_ACCEPT,
                &row.from,
            ),
            (false, false) => (
                &row.to,
                row.from.as_str(),
                GroupReportType::INVITE_REFUSE,
                &row.from,
            ),
        };
        if accept {
            match self.admit(&group, joiner, by).await {
                // Joined since by other means: the request is answered all the same.
                Err(Error::Refused(r)) if r.code == codes::ERR_SVR_GROUP_ALLREADY_MEMBER => {}
                other => other?,
            }
        }
        self.report(
            &group,
            user.as_str(),
            report,
            std::slice::from_ref(told),
            &message,
        )
        .await;
        Ok(())
    }
}
