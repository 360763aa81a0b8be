//! Group read receipts (the 6.0 functions): report reading group messages that asked for
//! receipts, read their counts, and list who read them and who has not. Messages are named as
//! received: a group conversation and a seq each.

use std::collections::BTreeMap;

use opentim_model::codes;
use opentim_model::enums::ConvType;
use opentim_model::group::GroupMemberInfo;
use opentim_model::message::{GroupMessageReceipt, Message};
use opentim_protocol::op::group::{
    GetGroupReceipts, GroupReceiptMembers, ReceiptMembersRequest, ReceiptsRequest,
    SendGroupReceipts,
};

use super::Client;
use crate::error::{Result, SdkError};

/// The group and seq of a message as received.
fn group_seq(m: &Message) -> Result<(String, u64)> {
    match (m.conv_type, m.conv_id.as_deref(), m.seq) {
        (Some(ConvType::GROUP), Some(g), Some(seq)) if !g.is_empty() && seq > 0 => {
            Ok((g.to_owned(), seq))
        }
        _ => Err(SdkError::new(
            codes::ERR_INVALID_PARAMETERS,
            "read receipts are for group messages as received (message_conv_type 2, \
             message_conv_id and message_seq set)",
        )),
    }
}

/// Messages by group, each group's seqs in the order given.
fn by_group(messages: &[Message]) -> Result<BTreeMap<String, Vec<u64>>> {
    if messages.is_empty() {
        return Err(SdkError::new(
            codes::ERR_INVALID_PARAMETERS,
            "no messages named",
        ));
    }
    let mut groups: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for m in messages {
        let (g, seq) = group_seq(m)?;
        groups.entry(g).or_default().push(seq);
    }
    Ok(groups)
}

pub(crate) fn to_api(group_id: &str, r: &opentim_protocol::GroupReceipt) -> GroupMessageReceipt {
    GroupMessageReceipt {
        group_id: Some(group_id.to_owned()),
        msg_id: Some(r.msg_id.clone()),
        read_count: Some(r.read),
        unread_count: Some(r.unread),
    }
}

impl Client {
    /// Report that this user read these group messages (`TIMMsgSendGroupMessageReceipts`);
    /// their senders are told.
    pub async fn send_group_receipts(&self, messages: &[Message]) -> Result<()> {
        for (group_id, seqs) in by_group(messages)? {
            self.call::<SendGroupReceipts>(&ReceiptsRequest { group_id, seqs })
                .await?;
        }
        Ok(())
    }

    /// The read and unread counts of these group messages (`TIMMsgGetGroupMessageReceipts`).
    pub async fn group_receipts(&self, messages: &[Message]) -> Result<Vec<GroupMessageReceipt>> {
        let mut out = Vec::new();
        for (group_id, seqs) in by_group(messages)? {
            let answer = self
                .call::<GetGroupReceipts>(&ReceiptsRequest {
                    group_id: group_id.clone(),
                    seqs,
                })
                .await?;
            out.extend(answer.receipts.iter().map(|r| to_api(&group_id, r)));
        }
        Ok(out)
    }

    /// A page of the members who read (`read`) or have not read a group message, from
    /// `next` (0 first): the members, where the next page starts, and whether this was the
    /// last (`TIMMsgGetGroupMessageReadMembers`).
    pub async fn group_read_members(
        &self,
        message: &Message,
        read: bool,
        next: u64,
        count: u32,
    ) -> Result<(Vec<GroupMemberInfo>, u64, bool)> {
        let (group_id, seq) = group_seq(message)?;
        let answer = self
            .call::<GroupReceiptMembers>(&ReceiptMembersRequest {
                group_id,
                seq,
                read,
                next,
                count,
            })
            .await?;
        Ok((answer.members, answer.next, answer.finished))
    }
}
