//! Turning server messages into TIM messages from the logged-in user's point of view. Pure
//! functions, tested without sockets.

use opentim_model::enums::{ConvType, MsgStatus};
use opentim_model::message::Message;
use opentim_protocol::WireMessage;

/// The complete TIM message `me` sees for a stored message.
pub fn to_local(me: &str, wire: &WireMessage) -> Message {
    let from_self = wire.from == me;
    let conv_id = if wire.conv_type == ConvType::C2C && !from_self {
        wire.from.clone()
    } else {
        wire.to.clone()
    };
    let mut m = wire.message.clone();
    m.conv_id = Some(conv_id);
    m.conv_type = Some(wire.conv_type);
    m.sender = Some(wire.from.clone());
    m.is_from_self = Some(from_self);
    // System notices are not waiting to be read.
    m.is_read = Some(from_self || wire.conv_type == ConvType::SYSTEM);
    m.is_peer_read = Some(false);
    m.status = Some(match wire.message.status {
        Some(MsgStatus::REVOKED) => MsgStatus::REVOKED,
        // Imported by the app's back-end from an old system (REST importmsg).
        Some(MsgStatus::LOCAL_IMPORTED) => MsgStatus::LOCAL_IMPORTED,
        _ => MsgStatus::SEND_SUCC,
    });
    m.seq = Some(wire.seq);
    m.rand = Some(wire.rand);
    m.server_time = Some(wire.server_time);
    if m.client_time.is_none() {
        m.client_time = Some(wire.server_time);
    }
    m.msg_id = Some(wire.client_msg_id.clone());
    m.complete()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire() -> WireMessage {
        WireMessage {
            conv_type: ConvType::C2C,
            from: "alice".into(),
            to: "bob".into(),
            seq: 7,
            rand: 2207687390,
            server_time: 1_700_000_000,
            client_msg_id: "c1".into(),
            message: Message::text("bob", ConvType::C2C, "hi"),
        }
    }

    #[test]
    fn each_side_sees_its_own_conversation() {
        let at_bob = to_local("bob", &wire());
        assert_eq!(at_bob.conv_id.as_deref(), Some("alice"));
        assert_eq!(at_bob.is_from_self, Some(false));
        assert_eq!(at_bob.is_read, Some(false));
        let at_alice = to_local("alice", &wire());
        assert_eq!(at_alice.conv_id.as_deref(), Some("bob"));
        assert_eq!(at_alice.is_from_self, Some(true));
        assert_eq!(at_alice.status, Some(MsgStatus::SEND_SUCC));
        assert_eq!(at_alice.rand, Some(2207687390));
        assert_eq!(at_alice.seq, Some(7));
    }
}
