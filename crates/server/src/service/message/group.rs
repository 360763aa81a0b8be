//! Sending to a group: membership, mute and rate are checked here, then the message is stored
//! once under the group's seq and handed to the group's topic, which reaches every member
//! online with one publish (per node). Nothing is written or sent per member: members offline
//! catch up by seq when they connect.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use opentim_model::codes;
use opentim_model::enums::{ConvType, GroupType};
use opentim_model::ids::UserId;
use opentim_protocol::op::send::{SendRequest, SendResponse};
use opentim_protocol::{GroupEntry, WireMessage};

use super::{Fanout, MessageService};
use crate::delivery::SessionId;
use crate::error::{Error, Result};
use crate::service::group::find;
use crate::service::group::rules::{decide, Op, Role};
use crate::store::{GroupStored, NewGroupMessage, StoreError};
use crate::webhook;

/// What to do with a group send after its checks.
pub(super) enum Outcome {
    /// Answered already (a broadcast room's message, delivered online only).
    Answered(SendResponse),
    /// Store it (a message of a group of this type).
    Store(NewGroupMessage, GroupType),
}

/// Messages per group in the current second.
#[derive(Default)]
pub(super) struct RateLimit {
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

/// Groups remembered before the map is emptied (windows older than a second mean nothing).
const RATE_GROUPS: usize = 100_000;

impl RateLimit {
    /// Count one message to `group` at second `now`: false when it is over `max` this second.
    fn admit(&self, group: &str, now: u64, max: u32) -> bool {
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if w.len() >= RATE_GROUPS && !w.contains_key(group) {
            w.retain(|_, (second, _)| *second == now);
        }
        let slot = w.entry(group.to_owned()).or_insert((now, 0));
        if slot.0 != now {
            *slot = (now, 0);
        }
        if slot.1 >= max {
            return false;
        }
        slot.1 += 1;
        true
    }
}

impl MessageService {
    /// Check a send to a group; broadcast rooms' messages are delivered now.
    pub(super) async fn group_send(
        &self,
        from: &UserId,
        origin: Option<SessionId>,
        mut req: SendRequest,
        now: u64,
        fanout: &mut Fanout,
    ) -> Result<Outcome> {
        self.check_content(&req)?;
        let found = find(
            &*self.groups,
            &self.delivery,
            &self.config,
            from,
            origin,
            &req.conv_id,
        )
        .await?;
        let (group, member, role) = (found.group, found.member, found.role);
        decide(Op::Send, role, group.group_type)
            .map_err(|d| Error::refused(d.code, format!("{} (sending to the group)", d.desc)))?;
        if let Some(m) = &member {
            if m.shutup_until > now {
                return Err(Error::refused(
                    codes::ERR_SVR_GROUP_SHUTUP_DENY,
                    format!(
                        "you are muted in this group until {} (Unix time, {} s from now)",
                        m.shutup_until,
                        m.shutup_until - now
                    ),
                ));
            }
        }
        if group.shutup_all && role == Role::Member {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_SHUTUP_DENY,
                "the group is muted for members (mute-all); only the owner and admins may speak",
            ));
        }
        let max = self.config.group_messages_per_sec;
        if !self.group_rate.admit(group.id.as_str(), now, max) {
            return Err(Error::refused(
                codes::ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT,
                format!(
                    "the group takes at most {max} messages per second (group_messages_per_sec); \
                     send again in a moment"
                ),
            ));
        }
        if self.webhooks.wants(webhook::GROUP_BEFORE_SEND) {
            let fields = webhook::group_message(
                group.id.as_str(),
                group.group_type,
                from.as_str(),
                req.rand,
                None,
                &req.message,
            );
            self.before_send(webhook::GROUP_BEFORE_SEND, fields, &mut req)
                .await?;
        }
        if group.group_type == GroupType::AV_CHAT_ROOM || req.message.is_online_msg == Some(true) {
            return Ok(Outcome::Answered(self.group_online(
                from,
                origin,
                req,
                group.group_type,
                now,
                fanout,
            )));
        }
        Ok(Outcome::Store(
            NewGroupMessage {
                group: group.id,
                from: from.as_str().to_owned(),
                client_msg_id: req.client_msg_id,
                rand: req.rand,
                server_time: now,
                message: req.message.content(),
            },
            group.group_type,
        ))
    }

    /// Tell the app's back-end a group message went out (an after-callback, queued).
    fn after_group(&self, m: &WireMessage, group_type: GroupType) {
        if self.webhooks.wants(webhook::GROUP_AFTER_SEND) {
            let fields = webhook::group_message(
                &m.to,
                group_type,
                &m.from,
                m.rand,
                Some((m.seq, m.server_time)),
                &m.message,
            );
            self.webhooks.after(webhook::GROUP_AFTER_SEND, fields);
        }
    }

    /// A message of a broadcast room, or an online-only one: never stored, delivered to the
    /// members online now as an entry without a seq (seq 0: it takes no place in the stream).
    fn group_online(
        &self,
        from: &UserId,
        origin: Option<SessionId>,
        req: SendRequest,
        group_type: GroupType,
        now: u64,
        fanout: &mut Fanout,
    ) -> SendResponse {
        self.metrics.online_messages.fetch_add(1, Ordering::Relaxed);
        let message = WireMessage {
            conv_type: ConvType::GROUP,
            from: from.as_str().to_owned(),
            to: req.conv_id.clone(),
            seq: 0,
            rand: req.rand,
            server_time: now,
            client_msg_id: req.client_msg_id,
            message: req.message.content(),
        };
        self.after_group(&message, group_type);
        fanout.group(
            GroupEntry {
                group_id: req.conv_id,
                seq: 0,
                message: Some(message.clone()),
                revoke: None,
            },
            origin,
        );
        SendResponse { cursor: 0, message }
    }

    /// The answer to a stored group send, and its delivery.
    pub(super) fn group_stored(
        &self,
        r: std::result::Result<GroupStored, StoreError>,
        group_type: GroupType,
        origin: Option<SessionId>,
        fanout: &mut Fanout,
    ) -> Result<SendResponse> {
        let s = r.map_err(Error::internal("store the group message"))?;
        let message = s.entry.message.clone().ok_or_else(|| Error::Internal {
            what: "store the group message",
            source: StoreError::Corrupt("a stored group message came back as a recall".into()),
        })?;
        if !s.duplicate {
            self.metrics.messages_stored.fetch_add(1, Ordering::Relaxed);
            self.after_group(&message, group_type);
            fanout.group(s.entry, origin);
        }
        Ok(SendResponse { cursor: 0, message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_counts_per_group_and_per_second() {
        let r = RateLimit::default();
        assert!((0..3).all(|_| r.admit("g", 10, 3)));
        assert!(!r.admit("g", 10, 3), "the fourth in one second");
        assert!(r.admit("h", 10, 3), "another group has its own count");
        assert!(r.admit("g", 11, 3), "the next second starts again");
    }
}
