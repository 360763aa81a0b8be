//! Group conversations: the same requests as C2C ones, over the group's stream. Read marks are
//! per member and reach the member's devices through their inbox; a recall is an entry of the
//! group's stream, so every member (online now or later) learns it once.

use opentim_model::codes;
use opentim_model::enums::ConvType;
use opentim_model::ids::{GroupId, UserId};
use opentim_protocol::op::conv::{
    ConvSummary, MarkReadRequest, MarkReadResponse, RevokeRequest, RevokeResponse,
};
use opentim_protocol::op::history::{HistoryRequest, HistoryResponse};
use opentim_protocol::{Event, InboxItem};

use super::ConversationService;
use crate::clock::now_secs;
use crate::delivery::Topic;
use crate::error::{Error, Result};
use crate::service::group::rules::Role;
use crate::store::{MemberRow, ViewChange};

impl ConversationService {
    /// The caller's membership of the group a request names.
    async fn membership(&self, user: &UserId, conv_id: &str) -> Result<(GroupId, MemberRow)> {
        let id = GroupId::parse(conv_id, self.config.max_group_id_bytes).map_err(|e| {
            Error::refused(
                codes::ERR_SVR_GROUP_INVALID_GROUPID,
                format!("group id: {e}"),
            )
        })?;
        let member = self
            .groups
            .member(id.as_str(), user.as_str())
            .await
            .map_err(Error::internal("read the membership"))?
            .ok_or_else(|| {
                Error::refused(
                    codes::ERR_SVR_GROUP_PERMISSION_DENY,
                    format!("you are not a member of group {conv_id:?}"),
                )
            })?;
        Ok((id, member))
    }

    /// Add the caller's group conversations to a list, most recently active first (pinned
    /// ones first, as the list is), at most `max_conversations` in all.
    pub(super) async fn add_groups(
        &self,
        user: &UserId,
        list: &mut Vec<ConvSummary>,
    ) -> Result<()> {
        let groups = self
            .groups
            .group_conversations(user.as_str())
            .await
            .map_err(Error::internal("read the group conversations"))?;
        if groups.is_empty() {
            return Ok(());
        }
        list.extend(groups.into_iter().map(|g| ConvSummary {
            conv_type: ConvType::GROUP,
            conv_id: g.group_id,
            last_message: g.last,
            active_time: g.active_time,
            unread: g.unread,
            read_seq: g.read_seq,
            peer_read_seq: 0,
            pinned: g.pinned,
        }));
        list.sort_by(|a, b| {
            (b.pinned, b.active_time)
                .cmp(&(a.pinned, a.active_time))
                .then_with(|| a.conv_id.cmp(&b.conv_id))
        });
        list.truncate(self.config.max_conversations as usize);
        Ok(())
    }

    /// Mark a group read by the caller; their devices learn the mark from their inbox.
    pub(super) async fn mark_group_read(
        &self,
        user: &UserId,
        req: MarkReadRequest,
    ) -> Result<MarkReadResponse> {
        let (id, _) = self.membership(user, &req.conv_id).await?;
        let mark = self
            .groups
            .mark_group_read(id.as_str(), user.as_str(), req.seq)
            .await
            .map_err(Error::internal("mark the group read"))?;
        if let Some(cursor) = mark.owner_cursor {
            let item = InboxItem::Read {
                conv_type: ConvType::GROUP,
                conv_id: id.as_str().to_owned(),
                read_seq: mark.read_seq,
                unread: mark.unread,
            };
            self.tell(user, cursor, item).await;
        }
        Ok(MarkReadResponse {
            read_seq: mark.read_seq,
            unread: mark.unread,
            cursor: mark.owner_cursor.unwrap_or(0),
        })
    }

    /// Recall a group message: its sender within `revoke_window_secs`, or the owner or an
    /// admin at any time. Every member online gets the recall from the group's topic; the
    /// others find it in the stream.
    pub(super) async fn revoke_group(
        &self,
        user: &UserId,
        req: RevokeRequest,
    ) -> Result<RevokeResponse> {
        // The group lookup every group request makes (the app administrators' role included).
        let found = crate::service::group::find(
            &*self.groups,
            &self.delivery,
            &self.config,
            user,
            None,
            &req.conv_id,
        )
        .await?;
        if found.role == Role::Outsider {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_PERMISSION_DENY,
                format!("you are not a member of group {:?}", req.conv_id),
            ));
        }
        let id = GroupId::parse_unbounded(&found.group.id).map_err(|e| {
            Error::refused(
                codes::ERR_SVR_GROUP_INVALID_GROUPID,
                format!("group id: {e}"),
            )
        })?;
        let message = self
            .groups
            .group_message(id.as_str(), req.seq)
            .await
            .map_err(Error::internal("read the message to recall"))?
            .ok_or_else(|| {
                Error::refused(
                    codes::ERR_SVR_GROUP_REVOKE_MSG_NOT_FOUND,
                    format!("no message with seq {} in the group", req.seq),
                )
            })?;
        let manager = found.role >= Role::Admin;
        if message.from != user.as_str() && !manager {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_REVOKE_MSG_DENY,
                "only the sender, the owner or an admin may recall a group message",
            ));
        }
        let window = self.config.revoke_window_secs;
        if !manager && now_secs() > message.server_time.saturating_add(window) {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_REVOKE_MSG_TIME_LIMIT,
                format!("a message may be recalled within {window} s of sending it"),
            ));
        }
        let entry = self
            .groups
            .revoke_group(id.as_str(), req.seq, user.as_str(), now_secs())
            .await
            .map_err(Error::internal("recall the message"))?;
        if let Some(entry) = entry {
            self.delivery
                .publish_with(&Topic::Group(id), None, || Event::Group(Box::new(entry)))
                .await;
        }
        Ok(RevokeResponse { cursor: 0 })
    }

    /// A page of a group's history as the caller sees it (from when they joined).
    pub(super) async fn group_history(
        &self,
        user: &UserId,
        req: HistoryRequest,
    ) -> Result<HistoryResponse> {
        let (id, _) = self.membership(user, &req.conv_id).await?;
        let count = req.count.clamp(1, self.config.max_history_page);
        let messages = self
            .groups
            .group_history(id.as_str(), user.as_str(), req.before_seq, count)
            .await
            .map_err(Error::internal("read the history"))?;
        Ok(HistoryResponse { messages })
    }

    /// Change how the caller sees a group's conversation (delete messages for themselves,
    /// clear their history, pin, take it off the list); every session of theirs gets the
    /// inbox entries, made by `item` from each entry's seq. The cursor of the last entry (0:
    /// nothing changed).
    pub(super) async fn change_group_view(
        &self,
        user: &UserId,
        conv_id: &str,
        change: ViewChange,
        item: impl Fn(String, u64) -> InboxItem,
    ) -> Result<(u64, u64)> {
        let (id, _) = self.membership(user, conv_id).await?;
        let entries = self
            .groups
            .change_view(id.as_str(), user.as_str(), change)
            .await
            .map_err(Error::internal("change the group conversation"))?
            .ok_or_else(|| {
                Error::refused(
                    codes::ERR_SVR_GROUP_PERMISSION_DENY,
                    format!("you are not a member of group {conv_id:?}"),
                )
            })?;
        let mut last = (0, 0);
        for (seq, cursor) in entries {
            last = (seq, cursor);
            self.tell(user, cursor, item(id.as_str().to_owned(), seq))
                .await;
        }
        Ok(last)
    }
}
