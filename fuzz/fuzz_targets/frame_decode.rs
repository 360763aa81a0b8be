//! Any bytes as a frame, on both ends: the server's request envelope and every operation's body,
//! the client's reply/event envelope and every event. Decoding may fail; it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opentim_protocol::op::{history, login, logout, ping, send, sync};
use opentim_protocol::{Event, Request, ServerFrame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(req) = Request::decode(text) {
        let _ = req.body::<login::Login>();
        let _ = req.body::<logout::Logout>();
        let _ = req.body::<ping::Ping>();
        let _ = req.body::<send::SendMessage>();
        let _ = req.body::<sync::Sync>();
        let _ = req.body::<history::History>();
    }
    if let Ok(frame) = ServerFrame::decode(text) {
        if let Some(name) = frame.event {
            let _ = Event::decode(name, frame.body);
        }
        let _ = opentim_protocol::decode_body::<sync::SyncResponse>(frame.body);
        let _ = opentim_protocol::decode_body::<send::SendResponse>(frame.body);
    }
});
