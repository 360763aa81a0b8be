//! Group read receipts (the 6.0 functions): a member reports reading messages that asked for
//! receipts (`message_need_read_receipt`); their senders see the counts change, and may list
//! who read and who has not. One row per reader and message; the counts derive from those
//! rows and the membership.

use std::collections::HashMap;

use opentim_model::codes;
use opentim_model::ids::UserId;
use opentim_protocol::op::group::{ReceiptMembersRequest, ReceiptMembersResponse, ReceiptsRequest};
use opentim_protocol::{Event, GroupReceipt, GroupReceipts};

use super::rules::Op;
use super::{member_info, GroupService};
use crate::clock::now_secs;
use crate::delivery::Topic;
use crate::error::{Error, Result};
use crate::store::GroupRow;

fn invalid(desc: impl Into<String>) -> Error {
    Error::refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, desc)
}

impl GroupService {
    /// The group, checked for the caller's membership, and the seqs of a receipt request
    /// (1 to `max_group_receipts_per_request`).
    async fn receipts_of(&self, user: &UserId, req: &ReceiptsRequest) -> Result<GroupRow> {
        let (group, role) = self.group_and_role(user, &req.group_id).await?;
        Self::check(Op::Read, role, group.group_type)?;
        let max = self.config.max_group_receipts_per_request;
        if req.seqs.is_empty() || req.seqs.len() > max {
            return Err(invalid(format!(
                "{} messages named; name 1 to {max} (max_group_receipts_per_request)",
                req.seqs.len()
            )));
        }
        Ok(group)
    }

    /// The caller read these messages of a group: each must ask for receipts and be
    /// another's; their senders online are told the new counts.
    pub async fn send_receipts(&self, user: &UserId, req: ReceiptsRequest) -> Result<()> {
        let group = self.receipts_of(user, &req).await?;
        let mut senders: HashMap<u64, (String, String)> = HashMap::new();
        for &seq in &req.seqs {
            let m = self
                .store
                .group_message(&group.id, seq)
                .await
                .map_err(Error::internal("read the message"))?
                .ok_or_else(|| invalid(format!("the group has no message {seq}")))?;
            if m.message.need_read_receipt != Some(true) {
                return Err(invalid(format!(
                    "message {seq} was not sent with message_need_read_receipt"
                )));
            }
            if m.from == user.as_str() {
                return Err(invalid(format!("message {seq} is your own")));
            }
            senders.insert(seq, (m.from, m.client_msg_id));
        }
        let added = self
            .receipts
            .add_receipts(&group.id, user.as_str(), &req.seqs, now_secs())
            .await
            .map_err(Error::internal("record the receipts"))?;
        if added.is_empty() {
            return Ok(());
        }
        let counts = self
            .receipts
            .receipt_counts(&group.id, &added)
            .await
            .map_err(Error::internal("count the receipts"))?;
        let mut by_sender: HashMap<String, Vec<GroupReceipt>> = HashMap::new();
        for c in counts {
            let Some((from, msg_id)) = senders.get(&c.seq) else {
                continue;
            };
            by_sender
                .entry(from.clone())
                .or_default()
                .push(GroupReceipt {
                    seq: c.seq,
                    msg_id: msg_id.clone(),
                    read: c.read,
                    unread: c.unread,
                });
        }
        for (from, receipts) in by_sender {
            let Ok(sender) = UserId::parse_unbounded(&from) else {
                continue;
            };
            let body = GroupReceipts {
                group_id: group.id.clone(),
                receipts,
            };
            self.delivery
                .publish_with(&Topic::User(sender), None, || {
                    Event::GroupReceipts(Box::new(body))
                })
                .await;
        }
        Ok(())
    }

    /// The read and unread counts of messages of a group, in the order asked.
    pub async fn receipts(&self, user: &UserId, req: ReceiptsRequest) -> Result<Vec<GroupReceipt>> {
        let group = self.receipts_of(user, &req).await?;
        let counts = self
            .receipts
            .receipt_counts(&group.id, &req.seqs)
            .await
            .map_err(Error::internal("count the receipts"))?;
        let mut out = Vec::with_capacity(counts.len());
        for c in counts {
            let msg_id = self
                .store
                .group_message(&group.id, c.seq)
                .await
                .map_err(Error::internal("read the message"))?
                .map(|m| m.client_msg_id)
                .unwrap_or_default();
            out.push(GroupReceipt {
                seq: c.seq,
                msg_id,
                read: c.read,
                unread: c.unread,
            });
        }
        Ok(out)
    }

    /// A page of the members who read (or have not read) a message of a group.
    pub async fn receipt_members(
        &self,
        user: &UserId,
        req: ReceiptMembersRequest,
    ) -> Result<ReceiptMembersResponse> {
        let (group, role) = self.group_and_role(user, &req.group_id).await?;
        Self::check(Op::Read, role, group.group_type)?;
        let page = self.config.group_member_page.max(1);
        let count = match req.count {
            0 => page,
            n => n.min(page),
        };
        let rows = self
            .receipts
            .receipt_members(&group.id, req.seq, req.read, req.next, count)
            .await
            .map_err(Error::internal("read the members"))?;
        let finished = (rows.len() as u32) < count;
        Ok(ReceiptMembersResponse {
            next: match finished {
                true => 0,
                false => req.next + u64::from(count),
            },
            finished,
            members: rows.iter().map(member_info).collect(),
        })
    }
}
