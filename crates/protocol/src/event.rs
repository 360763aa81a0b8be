//! Events the server pushes: `{"event": "<name>", "body": {...}}`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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
}

const INBOX: &str = "inbox";
const KICKED_OFFLINE: &str = "kicked_offline";
const USER_SIG_EXPIRED: &str = "user_sig_expired";

/// Every event's name.
pub const EVENTS: &[&str] = &[INBOX, KICKED_OFFLINE, USER_SIG_EXPIRED];

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
        }
    }

    /// The event as a frame.
    pub fn encode(&self) -> String {
        match self {
            Event::Inbox(entry) => encode(INBOX, entry),
            Event::KickedOffline | Event::UserSigExpired => encode(self.name(), &Empty {}),
        }
    }

    /// Read an event from its name and body. `Ok(None)` for an event this side does not know
    /// (a newer server), which the client skips.
    pub fn decode(name: &str, body: Option<&RawValue>) -> Result<Option<Event>, FrameError> {
        Ok(Some(match name {
            INBOX => Event::Inbox(decode_body(body)?),
            KICKED_OFFLINE => Event::KickedOffline,
            USER_SIG_EXPIRED => Event::UserSigExpired,
            _ => return Ok(None),
        }))
    }
}

/// One entry of a user's inbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub cursor: u64,
    #[serde(flatten)]
    pub item: InboxItem,
}

/// What an inbox entry holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxItem {
    /// A C2C message the user sent or received.
    Message { message: WireMessage },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::ServerFrame;

    #[test]
    fn events_round_trip_and_unknown_ones_are_skipped() {
        for e in [Event::KickedOffline, Event::UserSigExpired] {
            let text = e.encode();
            let f = ServerFrame::decode(&text).unwrap();
            assert_eq!(Event::decode(f.event.unwrap(), f.body).unwrap(), Some(e));
        }
        assert_eq!(Event::decode("from_the_future", None).unwrap(), None);
    }
}
