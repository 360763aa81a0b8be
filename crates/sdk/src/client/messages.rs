//! Messages by id, local-only messages, batch sends and deletion: the message API beyond
//! sending, paging and recall.

use opentim_model::codes;
use opentim_model::elem::Elem;
use opentim_model::enums::{
    ConvEvent, ConvType, KeywordListMatchType, MsgStatus, ReceiveMessageOpt,
};
use opentim_model::message::{
    GetC2CRecvMsgOptResult, Message, MessageSearchParam, MessageSearchResult,
    MessageSearchResultItem, MsgBatchSendResult,
};
use opentim_protocol::op::conv::{
    ClearHistory, ClearRequest, DeleteMessages, DeleteRequest, GetReceiveOpt, PeersRequest,
    ReceiveOptRequest, SetReceiveOpt,
};
use opentim_protocol::op::send::{GetRelay, PutRelay, PutRelayRequest, RelayKey};
use tokio::sync::oneshot;

use super::{not_logged_in, Client, SdkEvent};
use crate::connection::Command;
use crate::error::{Result, SdkError};
use crate::local::{Deletion, LocalStore, Mark, MarkAt, Search, SearchGroup};

/// Most recipients of one batch send (the REST API's `batchsendmsg` allows as many).
pub const MAX_BATCH_RECIPIENTS: usize = 500;

impl Client {
    /// Report a cached conversation changed, and the total unread count with it.
    fn conversation_changed(&self, store: &dyn LocalStore, conv_id: &str, conv_type: ConvType) {
        if let Ok(Some(info)) = store.conversation(conv_id, conv_type) {
            self.shared
                .emit(SdkEvent::Conversations(ConvEvent::UPDATE, vec![info]));
        }
        if let Ok(total) = store.total_unread() {
            self.shared.emit(SdkEvent::TotalUnread(total));
        }
    }

    /// The cached messages with these ids (`message_msg_id`), in the order asked, from any
    /// conversation; ids not cached here are left out. Works offline.
    pub fn find_messages(&self, ids: &[String]) -> Result<Vec<Message>> {
        let store = self.slot(|s| s.store.clone())?;
        store.by_msg_ids(ids)
    }

    /// Keep `message_custom_int` and `message_custom_str` of `message` (named by its
    /// `message_msg_id`) with the cached message, on this device only; the message is reported
    /// updated.
    pub fn set_local_custom_data(&self, message: &Message) -> Result<Message> {
        let store = self.slot(|s| s.store.clone())?;
        let Some(id) = message.msg_id.as_deref().filter(|id| !id.is_empty()) else {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                "message_msg_id is missing: pass a message the SDK handed out",
            ));
        };
        let updated = store
            .set_local_custom(id, message.custom_int, message.custom_str.as_deref())?
            .ok_or_else(|| {
                SdkError::new(
                    codes::ERR_INVALID_PARAMETERS,
                    format!("no message with id {id:?} on this device"),
                )
            })?;
        self.shared.emit(SdkEvent::Updated(vec![updated.clone()]));
        Ok(updated)
    }

    /// Cancel the send of message `msg_id` while it has not left this device (queued while
    /// offline, or waiting to be sent again): its send fails with 8021 and the message becomes
    /// `kTIMMsg_Cancel`. A message the server may already have cannot be cancelled (8020).
    pub async fn cancel_send(&self, msg_id: &str) -> Result<()> {
        let commands = self.slot(|s| s.commands.clone())?;
        let (tx, rx) = oneshot::channel();
        commands
            .send(Command::Cancel {
                client_msg_id: msg_id.to_owned(),
                reply: tx,
            })
            .map_err(|_| not_logged_in())?;
        rx.await.unwrap_or_else(|_| Err(not_logged_in()))
    }

    /// Store messages in a conversation of this device without sending them
    /// (`TIMMsgSaveMsg`, `TIMMsgImportMsgList`): each gets the status `kTIMMsg_LocalImported`,
    /// a message id (its own `message_msg_id` when it has one: importing it again updates it)
    /// and a local unique id. The sender is the message's or this user; nothing counts as
    /// unread. The stored messages, in order.
    pub fn import_messages(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        messages: Vec<Message>,
    ) -> Result<Vec<Message>> {
        let (store, user) = self.slot(|s| (s.store.clone(), s.user.clone()))?;
        let now = self.server_time();
        let rows: Vec<(String, Message)> = messages
            .into_iter()
            .map(|mut m| {
                let id = m
                    .msg_id
                    .clone()
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(Self::new_message_id);
                m.conv_id = Some(conv_id.to_owned());
                m.conv_type = Some(conv_type);
                let sender = m.sender.clone().filter(|s| !s.is_empty());
                m.is_from_self = Some(sender.as_deref().is_none_or(|s| s == user));
                m.sender = Some(sender.unwrap_or_else(|| user.clone()));
                m.status = Some(MsgStatus::LOCAL_IMPORTED);
                m.seq = None;
                m.client_time = Some(m.client_time.unwrap_or(now));
                m.server_time = Some(m.server_time.unwrap_or(now));
                m.msg_id = Some(id.clone());
                (id, m.complete())
            })
            .collect();
        let applied = store.import(&rows)?;
        if let Some(info) = store.conversation(conv_id, conv_type)? {
            let added = applied.iter().any(|a| a.conv_event == ConvEvent::ADD);
            let event = if added {
                ConvEvent::ADD
            } else {
                ConvEvent::UPDATE
            };
            self.shared.emit(SdkEvent::Conversations(event, vec![info]));
        }
        Ok(applied.into_iter().map(|a| a.message).collect())
    }

    /// Send one message to each of `recipients` as separate C2C messages, all at once; one
    /// result per recipient, in order (a refused recipient carries its code and text, the
    /// others their sent message).
    pub async fn batch_send(
        &self,
        recipients: &[String],
        message: Message,
    ) -> Result<Vec<MsgBatchSendResult>> {
        self.slot(|_| ())?;
        if recipients.is_empty() || recipients.len() > MAX_BATCH_RECIPIENTS {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                format!(
                    "{} recipients; a batch send has 1 to {MAX_BATCH_RECIPIENTS}",
                    recipients.len()
                ),
            ));
        }
        let sends = recipients.iter().map(|to| {
            let message = message.clone();
            async move {
                let result = self.send_message(to, ConvType::C2C, message.clone()).await;
                let (code, desc, msg) = match result {
                    Ok(m) => (0, String::new(), m),
                    Err(e) => {
                        let mut m = message;
                        m.conv_id = Some(to.clone());
                        m.conv_type = Some(ConvType::C2C);
                        m.status = Some(MsgStatus::SEND_FAIL);
                        (e.code, e.desc, m.complete())
                    }
                };
                MsgBatchSendResult {
                    identifier: Some(to.clone()),
                    code: Some(code),
                    desc: Some(desc),
                    msg: Some(msg),
                }
            }
        });
        Ok(futures_util::future::join_all(sends).await)
    }

    /// Delete from this device one message (by its `message_msg_id`) or, with `None`, every
    /// message of the conversation (`TIMMsgDelete`). The server and other devices keep theirs.
    pub fn delete_local(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        msg_id: Option<&str>,
    ) -> Result<()> {
        let store = self.slot(|s| s.store.clone())?;
        let which = match msg_id {
            Some(id) => Deletion::Ids(vec![id.to_owned()]),
            None => Deletion::All,
        };
        if store.delete_messages(conv_id, conv_type, &which)? > 0 {
            self.conversation_changed(&*store, conv_id, conv_type);
        }
        Ok(())
    }

    /// Delete messages for this user on every device of theirs and in their history on the
    /// server (`TIMMsgListDelete`); the peer keeps them. Messages that never reached the server
    /// (failed, cancelled, imported) are deleted here only.
    pub async fn delete_messages(
        &self,
        conv_id: &str,
        conv_type: ConvType,
        messages: &[Message],
    ) -> Result<()> {
        let store = self.slot(|s| s.store.clone())?;
        let seqs: Vec<u64> = messages
            .iter()
            .filter_map(|m| m.seq.filter(|s| *s > 0))
            .collect();
        let local: Vec<String> = messages
            .iter()
            .filter(|m| m.seq.unwrap_or(0) == 0)
            .filter_map(|m| m.msg_id.clone())
            .collect();
        if seqs.is_empty() && local.is_empty() {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                "no message to delete: pass messages the SDK handed out",
            ));
        }
        if !seqs.is_empty() {
            let request = DeleteRequest {
                conv_id: conv_id.to_owned(),
                conv_type,
                seqs: seqs.clone(),
            };
            self.call::<DeleteMessages>(&request).await?;
        }
        // The inbox entries follow and change nothing more.
        let mut n = store.delete_messages(conv_id, conv_type, &Deletion::Seqs(seqs))?;
        n += store.delete_messages(conv_id, conv_type, &Deletion::Ids(local))?;
        if n > 0 {
            self.conversation_changed(&*store, conv_id, conv_type);
        }
        Ok(())
    }

    /// Clear a conversation's history for this user on every device of theirs and on the
    /// server (`TIMMsgClearHistoryMessage`); the peer keeps theirs. The conversation stays,
    /// read and without a last message.
    pub async fn clear_history(&self, conv_id: &str, conv_type: ConvType) -> Result<()> {
        let store = self.slot(|s| s.store.clone())?;
        let request = ClearRequest {
            conv_id: conv_id.to_owned(),
            conv_type,
        };
        let answer = self.call::<ClearHistory>(&request).await?;
        let mut changed = false;
        if answer.cursor > 0 {
            let mark = Mark::Cleared {
                conv_type,
                conv_id: conv_id.to_owned(),
                seq: answer.seq,
            };
            changed |= store.apply_mark(&mark, MarkAt::Ahead(answer.cursor))?;
        }
        // What this device alone holds (unsent, imported) goes too.
        changed |= store.delete_messages(conv_id, conv_type, &Deletion::All)? > 0;
        if changed {
            self.conversation_changed(&*store, conv_id, conv_type);
        }
        Ok(())
    }
}

/// Most keywords of one local search.
pub const MAX_SEARCH_KEYWORDS: usize = 5;

impl Client {
    /// Search the cached messages (`TIMMsgSearchLocalMessages`): in one conversation, the
    /// matches (`total_count` of them) as one item, paged by `page_index` and `page_size` (0:
    /// all); across every conversation, one item per conversation with matches
    /// (`total_count` of them, paged the same way), each with its number of matches and, when
    /// that is one, the message. Newest first. Works offline.
    pub fn search_local(&self, param: &MessageSearchParam) -> Result<MessageSearchResult> {
        let store = self.slot(|s| s.store.clone())?;
        let keywords = param.keyword_array.clone().unwrap_or_default();
        let elem_types = param.message_type_array.clone().unwrap_or_default();
        let senders = param.sender_identifier_array.clone().unwrap_or_default();
        if keywords.len() > MAX_SEARCH_KEYWORDS {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                format!(
                    "{} keywords; a search takes at most {MAX_SEARCH_KEYWORDS}",
                    keywords.len()
                ),
            ));
        }
        if keywords.iter().all(|k| k.trim().is_empty())
            && elem_types.is_empty()
            && senders.is_empty()
        {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                "say what to look for: keywords, element types or senders",
            ));
        }
        let until = match param.search_time_position.unwrap_or(0) {
            0 => u64::MAX,
            t => t,
        };
        let since = match param.search_time_period.unwrap_or(0) {
            0 => 0,
            p => until.min(self.server_time()).saturating_sub(p),
        };
        let conv = param
            .conv_id
            .clone()
            .filter(|id| !id.is_empty())
            .map(|id| (param.conv_type.unwrap_or(ConvType::C2C), id));
        let search = Search {
            keywords,
            all_keywords: param.keyword_list_match_type == Some(KeywordListMatchType::AND),
            elem_types,
            senders,
            conv: conv.clone(),
            since,
            until,
        };
        let groups = store.search(&search)?;
        let page = |n: usize| -> (usize, usize) {
            match param.page_size.unwrap_or(0) as usize {
                0 => (0, n),
                size => (param.page_index.unwrap_or(0) as usize * size, size),
            }
        };
        let item = |g: SearchGroup, messages: Vec<Message>| MessageSearchResultItem {
            conv_id: Some(g.conv_id),
            conv_type: Some(g.conv_type),
            total_message_count: Some(g.messages.len() as u32),
            message_array: Some(messages),
        };
        if conv.is_some() {
            let Some(g) = groups.into_iter().next() else {
                return Ok(MessageSearchResult {
                    total_count: Some(0),
                    item_array: Some(Vec::new()),
                });
            };
            let total = g.messages.len();
            let (skip, take) = page(total);
            let messages = g.messages.iter().skip(skip).take(take).cloned().collect();
            return Ok(MessageSearchResult {
                total_count: Some(total as u32),
                item_array: Some(vec![item(g, messages)]),
            });
        }
        let total = groups.len();
        let (skip, take) = page(total);
        let items = groups
            .into_iter()
            .skip(skip)
            .take(take)
            .map(|g| {
                let messages = match g.messages.len() {
                    1 => g.messages.clone(),
                    _ => Vec::new(),
                };
                item(g, messages)
            })
            .collect();
        Ok(MessageSearchResult {
            total_count: Some(total as u32),
            item_array: Some(items),
        })
    }
}

impl Client {
    /// Set how this user receives C2C messages from `peers` (the server keeps it, on every
    /// device): receive, do not receive (the server stores nothing for this user from them),
    /// or receive without notification.
    pub async fn set_c2c_receive_opt(
        &self,
        peers: &[String],
        opt: ReceiveMessageOpt,
    ) -> Result<()> {
        let request = ReceiveOptRequest {
            peers: peers.to_vec(),
            opt: opt.0,
        };
        self.call::<SetReceiveOpt>(&request).await?;
        Ok(())
    }

    /// How this user receives C2C messages from each of `peers`, in order.
    pub async fn c2c_receive_opts(&self, peers: &[String]) -> Result<Vec<GetC2CRecvMsgOptResult>> {
        let request = PeersRequest {
            peers: peers.to_vec(),
        };
        let answer = self.call::<GetReceiveOpt>(&request).await?;
        Ok(peers
            .iter()
            .zip(answer.opts)
            .map(|(p, opt)| GetC2CRecvMsgOptResult {
                identifier: Some(p.clone()),
                opt: Some(ReceiveMessageOpt(opt)),
            })
            .collect())
    }
}

impl Client {
    /// Keep the bundled messages of each merger element of `message` on the server and put
    /// the bundle's key in their place.
    pub(crate) async fn keep_bundles(&self, mut message: Message) -> Result<Message> {
        for elem in &mut message.elem_array {
            let Elem::Merger(m) = elem else { continue };
            let Some(messages) = m.message_array.take().filter(|a| !a.is_empty()) else {
                continue;
            };
            if m.compatible_text.as_deref().is_none_or(str::is_empty) {
                return Err(SdkError::new(
                    codes::ERR_INVALID_PARAMETERS,
                    "merge_elem_compatible_text is empty: give the text older clients show",
                ));
            }
            let key = self
                .call::<PutRelay>(&PutRelayRequest { messages })
                .await?
                .key;
            m.relay_json_key = Some(key.clone());
            m.relay_pb_key = Some(key);
            m.layer_over_limit = Some(false);
        }
        Ok(message)
    }

    /// The messages of the merged message `message` (`TIMMsgDownloadMergerMessage`): fetched
    /// from the server by the key its merger element carries (a merger never sent holds them
    /// itself).
    pub async fn download_merger(&self, message: &Message) -> Result<Vec<Message>> {
        self.slot(|_| ())?;
        let Some(m) = message.elem_array.iter().find_map(|e| match e {
            Elem::Merger(m) => Some(m),
            _ => None,
        }) else {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                "the message has no merger element (elem_type 12)",
            ));
        };
        let key = m
            .relay_json_key
            .clone()
            .or_else(|| m.relay_pb_key.clone())
            .filter(|k| !k.is_empty());
        let messages = match key {
            Some(key) => self.call::<GetRelay>(&RelayKey { key }).await?.messages,
            None => m.message_array.clone().unwrap_or_default(),
        };
        Ok(messages.into_iter().map(Message::complete).collect())
    }
}
