//! Events the server pushes: `{"event": "<name>", "body": {...}}`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use opentim_model::enums::ConvType;

use crate::frame::{decode_body, FrameError};
use crate::op::Empty;
use crate::WireMessage;

/// A pushed event.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // Events live briefly; boxing would only add allocations.
pub enum Event {
    /// A new inbox entry of the user.
    Inbox(InboxEntry),
    /// Another login of the same user on the same platform took this session over.
    KickedOffline,
    /// The UserSig of this session expired; the connection closes after this event.
    UserSigExpired,
    /// Events may have been missed (the node's link to the other nodes was down): sync from
    /// the cursor. Added in protocol 2 without a version change: older clients skip it.
    Resync,
    /// An online-only message (`message_is_online_msg`): never stored, so it has no seq and
    /// no inbox cursor, and only the sessions online when it was sent get it. Older clients
    /// skip it.
    Online(Box<WireMessage>),
    /// A new entry of a group's stream (a message or a recall), for the members online. Each
    /// group numbers its entries by its own seq, one by one, so a member that sees a gap asks
    /// for the missing ones ([`crate::op::group::GroupSync`]). Nothing about it is written per
    /// member.
    Group(Box<GroupEntry>),
    /// A group's attributes changed: the whole set as it now is, for the members online
    /// (nothing is stored per member; `group.attributes.get` reads the current set).
    GroupAttributes(Box<GroupAttributesChanged>),
    /// Members read messages of the user's that asked for read receipts: their counts now.
    /// Sent to the sender's sessions online; not stored (`group.receipts.get` reads them).
    GroupReceipts(Box<GroupReceipts>),
}

/// The read and unread counts of one group message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupReceipt {
    pub seq: u64,
    /// The message's id (`message_msg_id`).
    pub msg_id: String,
    pub read: u64,
    pub unread: u64,
}

/// The body of [`Event::GroupReceipts`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupReceipts {
    pub group_id: String,
    pub receipts: Vec<GroupReceipt>,
}

/// The body of [`Event::GroupAttributes`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupAttributesChanged {
    pub group_id: String,
    pub attributes: Vec<opentim_model::group::GroupAttributes>,
}

const INBOX: &str = "inbox";
const KICKED_OFFLINE: &str = "kicked_offline";
const USER_SIG_EXPIRED: &str = "user_sig_expired";
const RESYNC: &str = "resync";
const ONLINE: &str = "online";
const GROUP: &str = "group";
const GROUP_ATTRIBUTES: &str = "group_attributes";
const GROUP_RECEIPTS: &str = "group_receipts";

/// Every event's name.
pub const EVENTS: &[&str] = &[
    INBOX,
    KICKED_OFFLINE,
    USER_SIG_EXPIRED,
    RESYNC,
    ONLINE,
    GROUP,
    GROUP_ATTRIBUTES,
    GROUP_RECEIPTS,
];

#[derive(Serialize)]
struct EventOut<'a, T> {
    event: &'static str,
    body: &'a T,
}

fn encode<T: Serialize>(event: &'static str, body: &T) -> String {
    serde_json::to_string(&EventOut { event, body }).expect("events always serialise")
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::Inbox(_) => INBOX,
            Event::KickedOffline => KICKED_OFFLINE,
            Event::UserSigExpired => USER_SIG_EXPIRED,
            Event::Resync => RESYNC,
            Event::Online(_) => ONLINE,
            Event::Group(_) => GROUP,
            Event::GroupAttributes(_) => GROUP_ATTRIBUTES,
            Event::GroupReceipts(_) => GROUP_RECEIPTS,
        }
    }

    /// The event as a frame.
    pub fn encode(&self) -> String {
        match self {
            Event::Inbox(entry) => encode(INBOX, entry),
            Event::Online(message) => encode(ONLINE, message),
            Event::Group(entry) => encode(GROUP, entry),
            Event::GroupAttributes(change) => encode(GROUP_ATTRIBUTES, change),
            Event::GroupReceipts(r) => encode(GROUP_RECEIPTS, r),
            Event::KickedOffline | Event::UserSigExpired | Event::Resync => {
                encode(self.name(), &Empty {})
            }
        }
    }

    /// Read an event from its name and body. `Ok(None)` for an event this side does not know
    /// (a newer server), which the client skips.
    pub fn decode(name: &str, body: Option<&RawValue>) -> Result<Option<Event>, FrameError> {
        Ok(Some(match name {
            INBOX => Event::Inbox(decode_body(body)?),
            KICKED_OFFLINE => Event::KickedOffline,
            USER_SIG_EXPIRED => Event::UserSigExpired,
            RESYNC => Event::Resync,
            ONLINE => Event::Online(decode_body(body)?),
            GROUP => Event::Group(decode_body(body)?),
            GROUP_ATTRIBUTES => Event::GroupAttributes(decode_body(body)?),
            GROUP_RECEIPTS => Event::GroupReceipts(decode_body(body)?),
            _ => return Ok(None),
        }))
    }
}

/// One entry of a group's stream: `seq` is its place in the group's sequence; it holds either
/// a message (`message.seq == seq`) or the recall of an earlier message (`revoke`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupEntry {
    pub group_id: String,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<WireMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<GroupRevoke>,
}

/// The recall of message `seq` of a group (sent by `from` at `time` with `rand`), by `by`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRevoke {
    pub seq: u64,
    pub rand: u64,
    pub time: u64,
    pub from: String,
    pub by: String,
}

/// One entry of a user's inbox: `{"cursor": n, "type": "message", "message": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InboxEntry {
    pub cursor: u64,
    #[serde(flatten)]
    pub item: InboxItem,
}

// Written out rather than derived: a derived `flatten` buffers the whole entry, message and
// all, before decoding it again, which was most of the cost of receiving a message.
impl<'de> Deserialize<'de> for InboxEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        struct Flat {
            cursor: u64,
            #[serde(rename = "type")]
            kind: String,
            message: Option<Box<WireMessage>>,
            conv_type: Option<ConvType>,
            conv_id: Option<String>,
            read_seq: Option<u64>,
            unread: Option<u64>,
            time: Option<u64>,
            seq: Option<u64>,
            rand: Option<u64>,
            from: Option<String>,
            pinned: Option<bool>,
            joined: Option<bool>,
        }
        let f = Flat::deserialize(d)?;
        let conv = |f: &Flat| -> Result<(ConvType, String), D::Error> {
            Ok((
                f.conv_type
                    .ok_or_else(|| Error::missing_field("conv_type"))?,
                f.conv_id
                    .clone()
                    .ok_or_else(|| Error::missing_field("conv_id"))?,
            ))
        };
        let read_seq = |f: &Flat| f.read_seq.ok_or_else(|| Error::missing_field("read_seq"));
        let item = match f.kind.as_str() {
            "message" => InboxItem::Message {
                message: f.message.ok_or_else(|| Error::missing_field("message"))?,
            },
            "read" => {
                let (conv_type, conv_id) = conv(&f)?;
                InboxItem::Read {
                    conv_type,
                    conv_id,
                    read_seq: read_seq(&f)?,
                    unread: f.unread.unwrap_or(0),
                }
            }
            "peer_read" => {
                let (conv_type, conv_id) = conv(&f)?;
                InboxItem::PeerRead {
                    conv_type,
                    conv_id,
                    read_seq: read_seq(&f)?,
                    time: f.time.unwrap_or(0),
                }
            }
            "revoke" => {
                let (conv_type, conv_id) = conv(&f)?;
                InboxItem::Revoke {
                    conv_type,
                    conv_id,
                    seq: f.seq.ok_or_else(|| Error::missing_field("seq"))?,
                    rand: f.rand.unwrap_or(0),
                    time: f.time.unwrap_or(0),
                    from: f.from.clone().ok_or_else(|| Error::missing_field("from"))?,
                }
            }
            "delete" | "clear" => {
                let (conv_type, conv_id) = conv(&f)?;
                let seq = f.seq.ok_or_else(|| Error::missing_field("seq"))?;
                match f.kind.as_str() {
                    "delete" => InboxItem::Delete {
                        conv_type,
                        conv_id,
                        seq,
                    },
                    _ => InboxItem::Clear {
                        conv_type,
                        conv_id,
                        seq,
                    },
                }
            }
            "pin" => {
                let (conv_type, conv_id) = conv(&f)?;
                InboxItem::Pin {
                    conv_type,
                    conv_id,
                    pinned: f.pinned.ok_or_else(|| Error::missing_field("pinned"))?,
                }
            }
            "conv_delete" => {
                let (conv_type, conv_id) = conv(&f)?;
                InboxItem::ConvDelete { conv_type, conv_id }
            }
            "group" => InboxItem::Group {
                conv_id: f
                    .conv_id
                    .clone()
                    .ok_or_else(|| Error::missing_field("conv_id"))?,
                joined: f.joined.ok_or_else(|| Error::missing_field("joined"))?,
                seq: f.seq.unwrap_or(0),
            },
            _ => InboxItem::Unknown,
        };
        Ok(InboxEntry {
            cursor: f.cursor,
            item,
        })
    }
}

/// What an inbox entry holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxItem {
    /// A C2C message the user sent or received.
    Message { message: Box<WireMessage> },
    /// The user read a conversation up to `read_seq` (on any of their devices); `unread`
    /// messages of the conversation are left unread. `conv_id` is the peer.
    Read {
        conv_type: ConvType,
        conv_id: String,
        read_seq: u64,
        unread: u64,
    },
    /// The peer `conv_id` read this user's messages of the conversation up to `read_seq`, at
    /// `time` (Unix seconds): a read receipt.
    PeerRead {
        conv_type: ConvType,
        conv_id: String,
        read_seq: u64,
        time: u64,
    },
    /// Message `seq` of the conversation (sent by `from` at `time` with `rand`) was recalled
    /// by its sender.
    Revoke {
        conv_type: ConvType,
        conv_id: String,
        seq: u64,
        rand: u64,
        time: u64,
        from: String,
    },
    /// The user deleted message `seq` of the conversation for themself (the peer keeps it).
    Delete {
        conv_type: ConvType,
        conv_id: String,
        seq: u64,
    },
    /// The user cleared the conversation's history, up to and including `seq`, for themself.
    Clear {
        conv_type: ConvType,
        conv_id: String,
        seq: u64,
    },
    /// The user pinned (or unpinned) the conversation.
    Pin {
        conv_type: ConvType,
        conv_id: String,
        pinned: bool,
    },
    /// The user took the conversation off their list (its messages stay; a new one brings it
    /// back).
    ConvDelete {
        conv_type: ConvType,
        conv_id: String,
    },
    /// The user became a member of group `conv_id` (`joined`), their messages starting after
    /// the group's `seq`, or stopped being one (quit, removed, or the group was dismissed).
    Group {
        conv_id: String,
        joined: bool,
        seq: u64,
    },
    /// An entry of a kind this side does not know (from a newer server): nothing to apply,
    /// but its cursor counts.
    #[serde(other)]
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::ServerFrame;

    #[test]
    fn events_round_trip_and_unknown_ones_are_skipped() {
        for e in [Event::KickedOffline, Event::UserSigExpired, Event::Resync] {
            let text = e.encode();
            let f = ServerFrame::decode(&text).unwrap();
            assert_eq!(Event::decode(f.event.unwrap(), f.body).unwrap(), Some(e));
        }
        assert_eq!(Event::decode("from_the_future", None).unwrap(), None);
    }

    #[test]
    fn an_inbox_entry_keeps_its_flat_wire_shape_both_ways() {
        let text = r#"{"cursor":4,"type":"message","message":{"conv_type":1,"from":"a","to":"b",
            "seq":2,"rand":3,"server_time":5,"client_msg_id":"c","message":{"message_elem_array":[]}}}"#;
        let entry: InboxEntry = serde_json::from_str(text).unwrap();
        assert_eq!(entry.cursor, 4);
        let InboxItem::Message { message } = &entry.item else {
            panic!("{entry:?}")
        };
        assert_eq!((message.from.as_str(), message.seq), ("a", 2));
        let again: serde_json::Value = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
        for bad in [
            r#"{"cursor":4,"type":"message"}"#,
            r#"{"cursor":4,"type":"read","conv_id":"b","read_seq":3}"#,
            r#"{"type":"message","message":{}}"#,
        ] {
            assert!(serde_json::from_str::<InboxEntry>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn read_entries_round_trip_and_unknown_kinds_keep_their_cursor() {
        for item in [
            InboxItem::Read {
                conv_type: ConvType::C2C,
                conv_id: "b".into(),
                read_seq: 7,
                unread: 2,
            },
            InboxItem::PeerRead {
                conv_type: ConvType::C2C,
                conv_id: "a".into(),
                read_seq: 7,
                time: 1_700_000_000,
            },
            InboxItem::Revoke {
                conv_type: ConvType::C2C,
                conv_id: "a".into(),
                seq: 3,
                rand: 4,
                time: 5,
                from: "a".into(),
            },
            InboxItem::Delete {
                conv_type: ConvType::C2C,
                conv_id: "a".into(),
                seq: 3,
            },
            InboxItem::Clear {
                conv_type: ConvType::C2C,
                conv_id: "a".into(),
                seq: 8,
            },
            InboxItem::Pin {
                conv_type: ConvType::C2C,
                conv_id: "a".into(),
                pinned: true,
            },
            InboxItem::ConvDelete {
                conv_type: ConvType::C2C,
                conv_id: "a".into(),
            },
            InboxItem::Group {
                conv_id: "g".into(),
                joined: true,
                seq: 4,
            },
        ] {
            let entry = InboxEntry { cursor: 9, item };
            let text = serde_json::to_string(&entry).unwrap();
            assert_eq!(
                serde_json::from_str::<InboxEntry>(&text).unwrap(),
                entry,
                "{text}"
            );
        }
        let newer: InboxEntry =
            serde_json::from_str(r#"{"cursor":5,"type":"teleport","where":"mars"}"#).unwrap();
        assert_eq!((newer.cursor, newer.item), (5, InboxItem::Unknown));
    }
}
