//! A group's stream as its members see it: where each group stands at a connection
//! (`group.heads`), the entries a member missed (`group.sync`), the tips the server adds to the
//! stream for every membership change, and the `group` inbox entries that tell a user they
//! joined or left.

use opentim_model::codes;
use opentim_model::elem::{Elem, GroupReportElem, GroupTipsElem};
use opentim_model::enums::{GroupReportType, GroupTipType, GroupType};
use opentim_model::ids::{GroupId, UserId};
use opentim_model::message::Message;
use opentim_protocol::op::group::{GroupHead, GroupSyncRequest, GroupSyncResponse};
use opentim_protocol::{Event, InboxEntry, InboxItem};

use super::GroupService;
use crate::clock::now_secs;
use crate::delivery::{SessionId, Topic};
use crate::error::{Error, Result};
use crate::store::{GroupRow, NewGroupMessage, NewReport, Notice};

/// `msg_flag` of a member who does not receive the group's messages.
pub(crate) const NOT_RECEIVE: i64 = opentim_model::enums::GroupReceiveMessageOpt::NOT_RECEIVE.0;

/// The sender of the server's tips and notices.
pub const SYSTEM_SENDER: &str = "@TIM#SYSTEM";

/// The delivery topic of group `id`.
pub(crate) fn topic(id: &str) -> Option<Topic> {
    GroupId::parse_unbounded(id).ok().map(Topic::Group)
}

impl GroupService {
    /// Where each of the caller's groups stands; from now on this session gets each group's
    /// live entries.
    pub async fn heads(&self, user: &UserId, session: SessionId) -> Result<Vec<GroupHead>> {
        let read = || async {
            self.store
                .joined(user.as_str())
                .await
                .map_err(Error::internal("read the joined groups"))
        };
        // Groups whose messages the member does not receive are not followed.
        let receives = |m: &crate::store::MemberRow| m.msg_flag != NOT_RECEIVE;
        for (g, m) in read().await? {
            if let (true, Some(t)) = (receives(&m), topic(&g.id)) {
                self.delivery.subscribe(session, t).await;
            }
        }
        // Subscribed first, then read again: an entry stored meanwhile is in the answer or
        // comes live (or both; the client keeps one). A group joined meanwhile is announced by
        // its `group` inbox entry, and its sync subscribes.
        let heads = read()
            .await?
            .into_iter()
            .filter(|(_, m)| receives(m))
            .map(|(g, m)| GroupHead {
                seq: match g.group_type {
                    GroupType::AV_CHAT_ROOM => 0,
                    _ => g.last_seq,
                },
                group_id: g.id,
                join_seq: m.join_seq,
                read_seq: m.read_seq.max(m.join_seq),
            })
            .collect();
        Ok(heads)
    }

    /// A member's entries of a group after `after` (never from before they joined); from now
    /// on this session gets the group's live entries.
    pub async fn sync(
        &self,
        user: &UserId,
        session: SessionId,
        req: GroupSyncRequest,
    ) -> Result<GroupSyncResponse> {
        let id = self.group_id(&req.group_id)?;
        let member = self
            .store
            .member(id.as_str(), user.as_str())
            .await
            .map_err(Error::internal("read the membership"))?
            .ok_or_else(|| {
                Error::refused(
                    codes::ERR_SVR_GROUP_PERMISSION_DENY,
                    "you are not a member of this group",
                )
            })?;
        self.delivery
            .subscribe(session, Topic::Group(id.clone()))
            .await;
        let limit = req.limit.clamp(1, self.config.sync_page);
        let after = req.after.max(member.join_seq);
        let mut entries = self
            .store
            .group_entries(id.as_str(), after, limit + 1)
            .await
            .map_err(Error::internal("read the group's messages"))?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        Ok(GroupSyncResponse { entries, more })
    }

    /// Tell each user of `notices` (their devices online now) that they joined or left group
    /// `id`; devices offline find the same entry in their inbox.
    pub(super) async fn tell(&self, id: &str, joined: bool, notices: Vec<Notice>) {
        let group = topic(id);
        for n in notices {
            let Ok(user) = UserId::parse_unbounded(&n.user) else {
                continue;
            };
            if let (false, Some(t)) = (joined, &group) {
                self.delivery.unsubscribe_user(&user, t.clone()).await;
            }
            let entry = InboxEntry {
                cursor: n.cursor,
                item: InboxItem::Group {
                    conv_id: id.to_owned(),
                    joined,
                    seq: n.seq,
                },
            };
            self.delivery
                .publish_with(&Topic::User(user), None, || Event::Inbox(entry))
                .await;
        }
    }

    /// Add a tip to the group's stream (members who joined, quit or were removed), from
    /// `@TIM#SYSTEM`, and deliver it.
    pub(super) async fn tip(
        &self,
        group: &GroupRow,
        op_user: &str,
        tip_type: GroupTipType,
        users: Vec<String>,
    ) {
        if users.is_empty() {
            return;
        }
        let member_num = match self.store.group(&group.id).await {
            Ok(Some(g)) => g.member_count,
            _ => group.member_count,
        };
        let elem = GroupTipsElem {
            tip_type: Some(tip_type),
            op_user: Some(op_user.to_owned()),
            user_array: Some(users),
            member_num: Some(member_num),
            ..Default::default()
        };
        self.post_tip(group, elem).await
    }

    /// Add tip `elem` (its group, name and time filled in here) to the group's stream and
    /// deliver it. Broadcast rooms keep no stream: their tips are not stored. A tip that cannot
    /// be stored is logged: the change it reports has happened.
    pub(super) async fn post_tip(&self, group: &GroupRow, elem: GroupTipsElem) {
        let now = now_secs();
        let elem = GroupTipsElem {
            group_name: Some(group.name.clone()),
            group_id: Some(group.id.clone()),
            time: Some(now as u32),
            ..elem
        }
        .complete();
        let message = Message {
            elem_array: vec![Elem::GroupTips(elem)],
            ..Default::default()
        };
        let msg = NewGroupMessage {
            group: group.id.clone(),
            from: SYSTEM_SENDER.to_owned(),
            client_msg_id: format!("{:032x}", rand::random::<u128>()),
            rand: rand::random::<u32>().into(),
            server_time: now,
            message,
        };
        if group.group_type == GroupType::AV_CHAT_ROOM {
            // A broadcast room keeps no stream: its tips reach who is in the room now.
            if let Some(t) = topic(&group.id) {
                let entry = msg.entry(0);
                self.delivery
                    .publish_with(&t, None, || Event::Group(Box::new(entry)))
                    .await;
            }
            return;
        }
        match self.store.append_group(vec![msg]).await.pop() {
            Some(Ok(s)) => {
                if let Some(t) = topic(&group.id) {
                    let entry = s.entry;
                    self.delivery
                        .publish_with(&t, None, || Event::Group(Box::new(entry)))
                        .await;
                }
            }
            Some(Err(e)) => {
                tracing::error!(group = %group.id, error = %e, "could not store a group tip")
            }
            None => {}
        }
    }

    /// Send a system notice about `group` (a `GroupReportElem` from `@TIM#SYSTEM`) to each of
    /// `users`: kept in their inbox, so devices offline get it at their next login.
    pub(super) async fn report(
        &self,
        group: &GroupRow,
        op_user: &str,
        report_type: GroupReportType,
        users: &[String],
        msg: &str,
    ) {
        let now = now_secs();
        let reports = users
            .iter()
            .map(|user| {
                let elem = GroupReportElem {
                    report_type: Some(report_type),
                    group_id: Some(group.id.clone()),
                    group_name: Some(group.name.clone()),
                    op_user: Some(op_user.to_owned()),
                    msg: Some(msg.to_owned()),
                    ..Default::default()
                }
                .complete();
                NewReport {
                    user: user.clone(),
                    from: SYSTEM_SENDER.to_owned(),
                    client_msg_id: format!("{:032x}", rand::random::<u128>()),
                    rand: rand::random::<u32>().into(),
                    server_time: now,
                    message: Message {
                        elem_array: vec![Elem::GroupReport(elem)],
                        ..Default::default()
                    },
                }
            })
            .collect();
        match self.pendencies.append_reports(reports).await {
            Ok(entries) => {
                for (user, entry) in entries {
                    let Ok(user) = UserId::parse_unbounded(&user) else {
                        continue;
                    };
                    self.delivery
                        .publish_with(&Topic::User(user), None, || Event::Inbox(entry))
                        .await;
                }
            }
            Err(e) => {
                tracing::error!(group = %group.id, error = %e, "could not store group notices")
            }
        }
    }
}
