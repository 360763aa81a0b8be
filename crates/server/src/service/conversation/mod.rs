//! Conversations: the list each user has (last message, unread count, read marks), read
//! marks and receipts, and paging back through stored messages (roaming history).

mod group;

use std::sync::Arc;

use opentim_model::codes;
use opentim_model::enums::{ConvType, ReceiveMessageOpt};
use opentim_model::ids::UserId;
use opentim_protocol::op::conv::{
    ClearRequest, ClearResponse, ConvListResponse, ConvRequest, ConvSummary, DeleteRequest,
    DeleteResponse, EntryResponse, MarkReadRequest, MarkReadResponse, PeersRequest, PinRequest,
    ReceiveOptRequest, ReceiveOptResponse, RevokeRequest, RevokeResponse,
};
use opentim_protocol::op::history::{HistoryRequest, HistoryResponse};
use opentim_protocol::op::Empty;
use opentim_protocol::{Event, InboxEntry, InboxItem, WireMessage};

use crate::clock::now_secs;
use crate::config::Config;
use crate::delivery::{Delivery, Topic};
use crate::error::{Error, Result};
use crate::store::ViewChange;
use crate::store::{ConversationStore, GroupStore, MessageStore};

pub struct ConversationService {
    config: Arc<Config>,
    messages: Arc<dyn MessageStore>,
    conversations: Arc<dyn ConversationStore>,
    groups: Arc<dyn GroupStore>,
    delivery: Arc<Delivery>,
}

impl ConversationService {
    pub fn new(
        config: Arc<Config>,
        messages: Arc<dyn MessageStore>,
        conversations: Arc<dyn ConversationStore>,
        groups: Arc<dyn GroupStore>,
        delivery: Arc<Delivery>,
    ) -> Self {
        ConversationService {
            config,
            messages,
            conversations,
            groups,
            delivery,
        }
    }

    /// The peer of a C2C conversation request.
    fn c2c_peer(&self, conv_type: ConvType, conv_id: &str) -> Result<UserId> {
        if conv_type != ConvType::C2C {
            let why = match conv_type {
                ConvType::GROUP => "is for C2C conversations only".to_owned(),
                t => format!("knows no conv_type {}; C2C (1) and group (2) are", t.0),
            };
            return Err(Error::refused(
                codes::ERR_INVALID_CONVERSATION,
                format!("this request {why}"),
            ));
        }
        UserId::parse(conv_id, self.config.max_user_id_bytes)
            .map_err(|e| Error::refused(codes::ERR_INVALID_CONVERSATION, format!("conv_id: {e}")))
    }

    /// The user's conversations, most recently active first (at most `max_conversations`),
    /// and the inbox cursor the list is current to.
    pub async fn list(&self, user: &UserId) -> Result<ConvListResponse> {
        let (rows, cursor) = self
            .conversations
            .conversations(user.as_str(), self.config.max_conversations)
            .await
            .map_err(Error::internal("read the conversations"))?;
        let mut conversations: Vec<ConvSummary> = rows
            .into_iter()
            .map(|r| ConvSummary {
                conv_type: r.conv_type,
                conv_id: r.peer,
                last_message: r.last,
                active_time: r.active_time,
                unread: r.unread,
                read_seq: r.read_seq,
                peer_read_seq: r.peer_read_seq,
                pinned: r.pinned,
            })
            .collect();
        self.add_groups(user, &mut conversations).await?;
        Ok(ConvListResponse {
            conversations,
            cursor,
        })
    }

    /// Messages of `owner`'s C2C conversation with `peer` below seq `before`, newest first,
    /// at most `limit`, as the owner sees them (what they deleted or cleared is left out).
    pub async fn c2c_page(
        &self,
        owner: &UserId,
        peer: &UserId,
        before: u64,
        limit: u32,
    ) -> Result<Vec<WireMessage>> {
        self.messages
            .c2c_history(owner.as_str(), peer.as_str(), before, limit)
            .await
            .map_err(Error::internal("read the history"))
    }

    /// The C2C conversations of `owner` (their `max_conversations` most recent), for the app
    /// administrator's reads: read marks and unread counts per peer.
    pub async fn c2c_rows(&self, owner: &UserId) -> Result<Vec<crate::store::ConvRow>> {
        let (rows, _) = self
            .conversations
            .conversations(owner.as_str(), self.config.max_conversations)
            .await
            .map_err(Error::internal("read the conversations"))?;
        Ok(rows
            .into_iter()
            .filter(|r| r.conv_type == ConvType::C2C)
            .collect())
    }

    /// Mark a conversation of `user` read (up to `req.seq`, or all of it). Every session of the
    /// user learns the new mark as an inbox entry (the calling one too: the entry keeps its
    /// cursor in order), and the peer gets a receipt when messages of theirs were read.
    pub async fn mark_read(&self, user: &UserId, req: MarkReadRequest) -> Result<MarkReadResponse> {
        if req.conv_type == ConvType::GROUP {
            return self.mark_group_read(user, req).await;
        }
        let peer = self.c2c_peer(req.conv_type, &req.conv_id)?;
        let now = now_secs();
        let mark = self
            .conversations
            .mark_c2c_read(user.as_str(), peer.as_str(), req.seq, now)
            .await
            .map_err(Error::internal("mark the conversation read"))?;
        if let Some(cursor) = mark.owner_cursor {
            let item = InboxItem::Read {
                conv_type: ConvType::C2C,
                conv_id: peer.as_str().to_owned(),
                read_seq: mark.read_seq,
                unread: mark.unread,
            };
            self.tell(user, cursor, item).await;
        }
        if let Some(cursor) = mark.peer_cursor.filter(|_| peer != *user) {
            let item = InboxItem::PeerRead {
                conv_type: ConvType::C2C,
                conv_id: user.as_str().to_owned(),
                read_seq: mark.read_seq,
                time: now,
            };
            self.delivery
                .publish_with(&Topic::User(peer), None, || {
                    Event::Inbox(InboxEntry { cursor, item })
                })
                .await;
        }
        Ok(MarkReadResponse {
            read_seq: mark.read_seq,
            unread: mark.unread,
            cursor: mark.owner_cursor.unwrap_or(0),
        })
    }

    /// Recall message `req.seq` of a conversation of `user`: only its sender may, within
    /// `revoke_window_secs` of sending it. Both users' sessions learn it (inbox `revoke`
    /// entries); a message recalled already is answered as done.
    pub async fn revoke(&self, user: &UserId, req: RevokeRequest) -> Result<RevokeResponse> {
        if req.conv_type == ConvType::GROUP {
            return self.revoke_group(user, req).await;
        }
        let peer = self.c2c_peer(req.conv_type, &req.conv_id)?;
        let message = self
            .messages
            .c2c_message(user.as_str(), peer.as_str(), req.seq)
            .await
            .map_err(Error::internal("read the message to recall"))?
            .ok_or_else(|| {
                Error::refused(
                    codes::ERR_INVALID_PARAMETERS,
                    format!("no message with seq {} with {}", req.seq, peer.as_str()),
                )
            })?;
        if message.from != user.as_str() {
            return Err(Error::refused(
                codes::ERR_INVALID_PARAMETERS,
                "only the sender of a message may recall it",
            ));
        }
        let window = self.config.revoke_window_secs;
        if now_secs() > message.server_time.saturating_add(window) {
            return Err(Error::refused(
                codes::ERR_SVR_MSG_REVOKE_TIME_LIMIT,
                format!("a message may be recalled within {window} s of sending it"),
            ));
        }
        self.recall(user, &peer, message).await
    }

    /// Recall C2C message `seq` from `from` to `to` as the app administrator (the REST API):
    /// at any time. `None` when there is no such message from `from`; a message recalled
    /// already is answered as done.
    pub async fn revoke_as_admin(
        &self,
        from: &UserId,
        to: &UserId,
        seq: u64,
    ) -> Result<Option<WireMessage>> {
        let message = self
            .messages
            .c2c_message(from.as_str(), to.as_str(), seq)
            .await
            .map_err(Error::internal("read the message to recall"))?;
        let Some(message) = message.filter(|m| m.from == from.as_str()) else {
            return Ok(None);
        };
        self.recall(from, to, message.clone()).await?;
        Ok(Some(message))
    }

    /// Mark `message` (sent by `user` to `peer`) recalled and tell both users' sessions.
    async fn recall(
        &self,
        user: &UserId,
        peer: &UserId,
        message: WireMessage,
    ) -> Result<RevokeResponse> {
        let Some(done) = self
            .messages
            .revoke_c2c(user.as_str(), peer.as_str(), message.seq)
            .await
            .map_err(Error::internal("recall the message"))?
        else {
            return Ok(RevokeResponse { cursor: 0 });
        };
        let mut own = 0;
        for (who, cursor) in done.cursors {
            let (topic, conv_id) = if who == user.as_str() {
                own = cursor;
                (Topic::User(user.clone()), peer.as_str().to_owned())
            } else {
                (Topic::User(peer.clone()), user.as_str().to_owned())
            };
            let item = InboxItem::Revoke {
                conv_type: ConvType::C2C,
                conv_id,
                seq: message.seq,
                rand: message.rand,
                time: message.server_time,
                from: message.from.clone(),
            };
            self.delivery
                .publish_with(&topic, None, || Event::Inbox(InboxEntry { cursor, item }))
                .await;
        }
        Ok(RevokeResponse { cursor: own })
    }

    /// Delete messages of a conversation for `user` only (the peer keeps them), at most
    /// `max_delete_messages` per request. Each message newly deleted is a `delete` entry for
    /// every session of the user; seqs already deleted, or naming nothing, change nothing.
    pub async fn delete(&self, user: &UserId, req: DeleteRequest) -> Result<DeleteResponse> {
        let max = self.config.max_delete_messages as usize;
        if req.seqs.is_empty() || req.seqs.len() > max {
            return Err(Error::refused(
                codes::ERR_INVALID_PARAMETERS,
                format!(
                    "{} messages named; delete 1 to {max} (max_delete_messages) per request",
                    req.seqs.len()
                ),
            ));
        }
        if req.conv_type == ConvType::GROUP {
            let (_, cursor) = self
                .change_group_view(
                    user,
                    &req.conv_id,
                    ViewChange::Delete(req.seqs),
                    |g, seq| InboxItem::Delete {
                        conv_type: ConvType::GROUP,
                        conv_id: g,
                        seq,
                    },
                )
                .await?;
            return Ok(DeleteResponse { cursor });
        }
        let peer = self.c2c_peer(req.conv_type, &req.conv_id)?;
        let deleted = self
            .conversations
            .delete_c2c(user.as_str(), peer.as_str(), req.seqs)
            .await
            .map_err(Error::internal("delete the messages"))?;
        let mut last = 0;
        for (seq, cursor) in deleted {
            last = cursor;
            let item = InboxItem::Delete {
                conv_type: ConvType::C2C,
                conv_id: peer.as_str().to_owned(),
                seq,
            };
            self.tell(user, cursor, item).await;
        }
        Ok(DeleteResponse { cursor: last })
    }

    /// Clear a conversation's history for `user` only, up to its newest message; every session
    /// of the user gets the `clear` entry.
    pub async fn clear(&self, user: &UserId, req: ClearRequest) -> Result<ClearResponse> {
        if req.conv_type == ConvType::GROUP {
            let (seq, cursor) = self
                .change_group_view(user, &req.conv_id, ViewChange::Clear, |g, seq| {
                    InboxItem::Clear {
                        conv_type: ConvType::GROUP,
                        conv_id: g,
                        seq,
                    }
                })
                .await?;
            return Ok(ClearResponse { seq, cursor });
        }
        let peer = self.c2c_peer(req.conv_type, &req.conv_id)?;
        let cleared = self
            .conversations
            .clear_c2c(user.as_str(), peer.as_str())
            .await
            .map_err(Error::internal("clear the history"))?;
        if let Some(cursor) = cleared.cursor {
            let item = InboxItem::Clear {
                conv_type: ConvType::C2C,
                conv_id: peer.as_str().to_owned(),
                seq: cleared.seq,
            };
            self.tell(user, cursor, item).await;
        }
        Ok(ClearResponse {
            seq: cleared.seq,
            cursor: cleared.cursor.unwrap_or(0),
        })
    }

    /// Tell every session of `user` an entry of theirs.
    async fn tell(&self, user: &UserId, cursor: u64, item: InboxItem) {
        self.delivery
            .publish_with(&Topic::User(user.clone()), None, || {
                Event::Inbox(InboxEntry { cursor, item })
            })
            .await;
    }

    /// Pin or unpin a conversation of `user`; every session of the user gets the `pin` entry.
    pub async fn pin(&self, user: &UserId, req: PinRequest) -> Result<EntryResponse> {
        if req.conv_type == ConvType::GROUP {
            let pinned = req.pinned;
            let (_, cursor) = self
                .change_group_view(user, &req.conv_id, ViewChange::Pin(pinned), |g, _| {
                    InboxItem::Pin {
                        conv_type: ConvType::GROUP,
                        conv_id: g,
                        pinned,
                    }
                })
                .await?;
            return Ok(EntryResponse { cursor });
        }
        let peer = self.c2c_peer(req.conv_type, &req.conv_id)?;
        let cursor = self
            .conversations
            .pin_c2c(user.as_str(), peer.as_str(), req.pinned)
            .await
            .map_err(Error::internal("pin the conversation"))?;
        if let Some(cursor) = cursor {
            let item = InboxItem::Pin {
                conv_type: ConvType::C2C,
                conv_id: peer.as_str().to_owned(),
                pinned: req.pinned,
            };
            self.tell(user, cursor, item).await;
        }
        Ok(EntryResponse {
            cursor: cursor.unwrap_or(0),
        })
    }

    /// Take a conversation off the list of `user` (until a newer message); every session of
    /// the user gets the `conv_delete` entry.
    pub async fn delete_conversation(
        &self,
        user: &UserId,
        req: ConvRequest,
    ) -> Result<EntryResponse> {
        if req.conv_type == ConvType::GROUP {
            let (_, cursor) = self
                .change_group_view(user, &req.conv_id, ViewChange::Hide, |g, _| {
                    InboxItem::ConvDelete {
                        conv_type: ConvType::GROUP,
                        conv_id: g,
                    }
                })
                .await?;
            return Ok(EntryResponse { cursor });
        }
        let peer = self.c2c_peer(req.conv_type, &req.conv_id)?;
        let cursor = self
            .conversations
            .hide_c2c(user.as_str(), peer.as_str())
            .await
            .map_err(Error::internal("delete the conversation"))?;
        if let Some(cursor) = cursor {
            let item = InboxItem::ConvDelete {
                conv_type: ConvType::C2C,
                conv_id: peer.as_str().to_owned(),
            };
            self.tell(user, cursor, item).await;
        }
        Ok(EntryResponse {
            cursor: cursor.unwrap_or(0),
        })
    }

    /// A receive-option request names 1 to `max_receive_opt_users` users.
    fn receive_opt_count(&self, n: usize) -> Result<()> {
        let max = self.config.max_receive_opt_users as usize;
        match n == 0 || n > max {
            true => Err(Error::refused(
                codes::ERR_INVALID_PARAMETERS,
                format!("{n} users named; name 1 to {max} (max_receive_opt_users) per request"),
            )),
            false => Ok(()),
        }
    }

    /// The users a receive-option request names: 1 to `max_receive_opt_users` valid ids,
    /// each once.
    fn receive_opt_peers(&self, peers: Vec<String>) -> Result<Vec<String>> {
        self.receive_opt_count(peers.len())?;
        let mut out: Vec<String> = Vec::with_capacity(peers.len());
        for p in peers {
            UserId::parse(&p, self.config.max_user_id_bytes).map_err(|e| {
                Error::refused(codes::ERR_INVALID_PARAMETERS, format!("user id {p:?}: {e}"))
            })?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Set how `user` receives C2C messages from some users; "do not receive" is enforced by
    /// the store for every later message.
    pub async fn set_receive_opt(&self, user: &UserId, req: ReceiveOptRequest) -> Result<Empty> {
        let opt = ReceiveMessageOpt(req.opt);
        if !ReceiveMessageOpt::MEMBERS.iter().any(|(_, v)| *v == opt.0) {
            return Err(Error::refused(
                codes::ERR_INVALID_PARAMETERS,
                format!(
                    "receive option {} is none of 0, 1, 2 (kTIMRecvMsgOpt_*)",
                    req.opt
                ),
            ));
        }
        let peers = self.receive_opt_peers(req.peers)?;
        self.conversations
            .set_receive_opt(user.as_str(), peers, opt.0)
            .await
            .map_err(Error::internal("set the receive options"))?;
        Ok(Empty {})
    }

    /// How `user` receives C2C messages from some users.
    pub async fn receive_opts(
        &self,
        user: &UserId,
        req: PeersRequest,
    ) -> Result<ReceiveOptResponse> {
        self.receive_opt_count(req.peers.len())?;
        let opts = self
            .conversations
            .receive_opts(user.as_str(), req.peers)
            .await
            .map_err(Error::internal("read the receive options"))?;
        Ok(ReceiveOptResponse { opts })
    }

    /// Up to `count` (at most `max_history_page`) messages of a conversation of `user`, with
    /// seq below `before_seq`, newest first.
    pub async fn history(&self, user: &UserId, req: HistoryRequest) -> Result<HistoryResponse> {
        if req.conv_type == ConvType::GROUP {
            return self.group_history(user, req).await;
        }
        let peer = self.c2c_peer(req.conv_type, &req.conv_id)?;
        let count = req.count.clamp(1, self.config.max_history_page);
        let messages = self
            .messages
            .c2c_history(user.as_str(), peer.as_str(), req.before_seq, count)
            .await
            .map_err(Error::internal("read the history"))?;
        Ok(HistoryResponse { messages })
    }
}
