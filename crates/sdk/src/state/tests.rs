//! The session logic, driven by frames alone.

use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_protocol::op::send::{SendMessage, SendRequest, SendResponse};
use opentim_protocol::op::sync::{Sync, SyncResponse};
use opentim_protocol::{
    encode_reply, encode_reply_error, Event, InboxEntry, InboxItem, Op, Request, WireMessage,
};
use tokio::time::{Duration, Instant};

use super::*;

fn wire(seq: u64, id: &str) -> WireMessage {
    WireMessage {
        conv_type: ConvType::C2C,
        from: "alice".into(),
        to: "bob".into(),
        seq,
        rand: 1,
        server_time: 1_700_000_000,
        client_msg_id: id.into(),
        message: Message::text("bob", ConvType::C2C, id),
    }
}

fn entry(cursor: u64) -> InboxEntry {
    InboxEntry {
        cursor,
        item: InboxItem::Message {
            message: Box::new(wire(cursor, &format!("m{cursor}"))),
        },
    }
}

fn event(cursor: u64) -> String {
    Event::Inbox(entry(cursor)).encode()
}

/// The request frames among `actions`: (op, id, body as JSON).
fn requests(actions: &[Action]) -> Vec<(String, u64, serde_json::Value)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(text) => {
                let r = Request::decode(text).unwrap();
                let body = r.body.map(|b| serde_json::from_str(b.get()).unwrap());
                Some((r.op.to_owned(), r.id, body.unwrap_or_default()))
            }
            _ => None,
        })
        .collect()
}

fn sync_page(id: u64, cursors: impl Iterator<Item = u64>, more: bool) -> String {
    encode_reply::<Sync>(
        id,
        &SyncResponse {
            entries: cursors.map(entry).collect(),
            more,
        },
    )
}

fn staged_cursors(core: &mut Core) -> Vec<u64> {
    core.take_batch()
        .map(|b| b.entries.iter().map(|s| s.entry.cursor).collect())
        .unwrap_or_default()
}

/// A core that connected and finished its first (empty) sync.
fn online(cursor: u64) -> Core {
    let mut core = Core::new(cursor);
    let first = requests(&core.connected());
    assert_eq!(first[0].0, Sync::NAME);
    assert_eq!(first[0].2["cursor"], cursor);
    assert!(core
        .frame(&sync_page(first[0].1, std::iter::empty(), false))
        .is_empty());
    core
}

fn send_request(id: &str) -> SendRequest {
    SendRequest {
        client_msg_id: id.into(),
        conv_id: "bob".into(),
        conv_type: ConvType::C2C,
        rand: 7,
        message: Message::text("bob", ConvType::C2C, "hi"),
    }
}

#[test]
fn consecutive_live_entries_are_stored_as_one_batch() {
    let mut core = online(0);
    for c in 1..=50 {
        assert!(core.frame(&event(c)).is_empty());
    }
    let batch = core.take_batch().unwrap();
    assert_eq!(batch.entries.len(), 50);
    assert_eq!(batch.cursor, 50);
    core.stored(&batch);
    assert!(core.take_batch().is_none());
}

#[test]
fn duplicates_and_replays_are_ignored() {
    let mut core = online(5);
    assert!(core.frame(&event(3)).is_empty());
    assert!(core.frame(&event(5)).is_empty());
    assert!(core.frame(&event(6)).is_empty());
    assert!(core.frame(&event(6)).is_empty());
    assert_eq!(staged_cursors(&mut core), vec![6]);
}

#[test]
fn a_gap_starts_one_sync_from_the_cursor_and_the_page_fills_it() {
    let mut core = online(0);
    assert!(core.frame(&event(1)).is_empty());
    let actions = core.frame(&event(4));
    let reqs = requests(&actions);
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        (reqs[0].0.as_str(), &reqs[0].2["cursor"]),
        (Sync::NAME, &serde_json::json!(1))
    );
    // More entries while the sync runs: no second sync, nothing staged out of order.
    assert!(core.frame(&event(5)).is_empty());
    assert!(core.frame(&event(2)).is_empty());
    assert!(core.frame(&sync_page(reqs[0].1, 2..=5, false)).is_empty());
    assert_eq!(staged_cursors(&mut core), vec![1, 2, 3, 4, 5]);
}

#[test]
fn entries_arriving_out_of_order_are_applied_in_order() {
    let mut core = online(0);
    let reqs = requests(&core.frame(&event(2)));
    assert_eq!(reqs.len(), 1, "a sync for the missing entry 1");
    assert!(core.frame(&event(3)).is_empty());
    assert!(
        core.frame(&event(1)).is_empty(),
        "still syncing: wait for the page"
    );
    // The page stops at 2, but 3 was seen: another page follows.
    let next = requests(&core.frame(&sync_page(reqs[0].1, 1..=2, false)));
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].2["cursor"], 2);
    assert!(core.frame(&sync_page(next[0].1, 3..=3, false)).is_empty());
    assert_eq!(staged_cursors(&mut core), vec![1, 2, 3]);
}

#[test]
fn a_long_backlog_is_synced_page_by_page() {
    let mut core = Core::new(0);
    let id = requests(&core.connected())[0].1;
    let next = requests(&core.frame(&sync_page(id, 1..=200, true)));
    assert_eq!(next[0].2["cursor"], 200);
    assert!(core
        .frame(&sync_page(next[0].1, 201..=250, false))
        .is_empty());
    assert_eq!(staged_cursors(&mut core).len(), 250);
}

#[test]
fn after_a_cut_the_sync_resumes_from_the_stored_cursor() {
    let mut core = online(0);
    core.frame(&event(1));
    core.frame(&event(2));
    let batch = core.take_batch().unwrap();
    core.stored(&batch);
    // The connection drops with a sync in flight; its reply never comes.
    let lost = requests(&core.frame(&event(5)));
    assert_eq!(lost.len(), 1);
    core.disconnected();
    let again = requests(&core.connected());
    assert_eq!(
        (again[0].0.as_str(), &again[0].2["cursor"]),
        (Sync::NAME, &serde_json::json!(2))
    );
    // A late reply to the old request is ignored.
    assert!(core.frame(&sync_page(lost[0].1, 3..=5, false)).is_empty());
    assert!(core.take_batch().is_none());
}

#[test]
fn a_failed_local_write_is_synced_again() {
    let mut core = online(0);
    core.frame(&event(1));
    core.frame(&event(2));
    let _lost = core.take_batch().unwrap();
    let reqs = requests(&core.store_failed());
    assert_eq!(reqs[0].2["cursor"], 0);
}

#[test]
fn unacknowledged_sends_are_resent_with_their_original_client_id() {
    let mut core = online(0);
    let deadline = Instant::now() + Duration::from_secs(60);
    let (k1, a1) = core.send(send_request("c-1"), deadline);
    let (k2, _) = core.send(send_request("c-2"), deadline);
    assert_eq!(requests(&a1)[0].2["client_msg_id"], "c-1");
    core.disconnected();
    let resent: Vec<_> = requests(&core.connected())
        .into_iter()
        .filter(|r| r.0 == SendMessage::NAME)
        .collect();
    assert_eq!(resent.len(), 2);
    assert_eq!(resent[0].2["client_msg_id"], "c-1");
    assert_eq!(resent[1].2["client_msg_id"], "c-2");
    assert_ne!(k1, k2);
    // Sending offline queues without a frame; the next connection sends it.
    core.disconnected();
    let (_, offline) = core.send(send_request("c-3"), deadline);
    assert!(offline.is_empty());
    assert_eq!(core.outbox().len(), 3);
}

#[test]
fn only_a_send_that_never_left_the_device_can_be_cancelled() {
    let mut core = online(0);
    let deadline = Instant::now() + Duration::from_secs(60);
    let (written, _) = core.send(send_request("c-1"), deadline);
    core.disconnected();
    let (queued, offline) = core.send(send_request("c-2"), deadline);
    assert!(offline.is_empty());
    let e = core.cancel(written).unwrap_err();
    assert_eq!(
        e.code,
        codes::ERR_SDK_INVALID_CANCEL_MESSAGE,
        "the server may have it"
    );
    let actions = core.cancel(queued).unwrap();
    assert!(matches!(
        &actions[..],
        [Action::Failed { key, error }]
            if *key == queued && error.code == codes::ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL
    ));
    assert_eq!(
        core.cancel(queued).unwrap_err().code,
        codes::ERR_SDK_INVALID_CANCEL_MESSAGE
    );
    let resent: Vec<_> = requests(&core.connected())
        .into_iter()
        .filter(|r| r.0 == SendMessage::NAME)
        .collect();
    assert_eq!(resent.len(), 1, "the cancelled send never goes out");
    assert_eq!(resent[0].2["client_msg_id"], "c-1");
}

#[test]
fn the_reply_to_a_send_is_its_inbox_entry_stored_once() {
    let mut core = online(0);
    let (key, actions) = core.send(
        send_request("c-1"),
        Instant::now() + Duration::from_secs(60),
    );
    let id = requests(&actions)[0].1;
    let reply = encode_reply::<SendMessage>(
        id,
        &SendResponse {
            message: wire(1, "c-1"),
            cursor: 1,
        },
    );
    assert!(
        core.frame(&reply).is_empty(),
        "resolved with the batch, not on its own"
    );
    let batch = core.take_batch().unwrap();
    assert_eq!(batch.entries.len(), 1);
    assert_eq!(batch.entries[0].ack, Some(key));
    assert!(core.outbox().is_empty());
}

#[test]
fn an_ack_beyond_a_gap_resolves_the_send_at_once_and_syncs() {
    let mut core = online(0);
    let (key, actions) = core.send(
        send_request("c-1"),
        Instant::now() + Duration::from_secs(60),
    );
    let id = requests(&actions)[0].1;
    let reply = encode_reply::<SendMessage>(
        id,
        &SendResponse {
            message: wire(1, "c-1"),
            cursor: 3,
        },
    );
    let actions = core.frame(&reply);
    assert!(matches!(&actions[0], Action::Acked { key: k, .. } if *k == key));
    assert_eq!(requests(&actions)[0].0, Sync::NAME);
}

#[test]
fn a_refused_send_fails_and_an_unanswered_one_expires() {
    let mut core = online(0);
    let now = Instant::now();
    let (k1, a1) = core.send(send_request("c-1"), now + Duration::from_secs(60));
    let (k2, _) = core.send(send_request("c-2"), now + Duration::from_secs(1));
    let refused = core.frame(&encode_reply_error(requests(&a1)[0].1, 80002, "too big"));
    assert_eq!(
        refused,
        vec![Action::Failed {
            key: k1,
            error: SdkError::new(80002, "too big")
        }]
    );
    let expired = core.expire(now + Duration::from_secs(2));
    assert!(matches!(&expired[..], [Action::Failed { key, .. }] if *key == k2));
    assert!(core.outbox().is_empty());
}

#[test]
fn kicks_expiry_and_unknown_events() {
    let mut core = online(0);
    assert_eq!(
        core.frame(&Event::KickedOffline.encode()),
        vec![Action::Kicked]
    );
    assert_eq!(
        core.frame(&Event::UserSigExpired.encode()),
        vec![Action::SigExpired]
    );
    assert!(core
        .frame(r#"{"event":"from_a_newer_server","body":{}}"#)
        .is_empty());
    assert!(core.frame("not json").is_empty());
}

fn history_call(deadline: Instant) -> Call {
    use opentim_protocol::op::history::{History, HistoryRequest};
    let request = HistoryRequest {
        conv_id: "bob".into(),
        conv_type: ConvType::C2C,
        before_seq: 9,
        count: 20,
    };
    Call {
        op: History::NAME,
        body: serde_json::value::to_raw_value(&request).unwrap(),
        deadline,
    }
}

fn answers(actions: &[Action]) -> Vec<(CallKey, Result<serde_json::Value, i32>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Answered { key, result } => Some((
                *key,
                result
                    .as_ref()
                    .map(|t| serde_json::from_str(t).unwrap())
                    .map_err(|e| e.code),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_call_goes_out_with_its_op_and_body_and_its_reply_answers_it() {
    let mut core = online(0);
    let later = Instant::now() + Duration::from_secs(60);
    let (key, actions) = core.call(history_call(later));
    let reqs = requests(&actions);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].0, "msg.history");
    assert_eq!(reqs[0].2["before_seq"], 9);
    let reply = format!(
        r#"{{"reply":{},"code":0,"desc":"","body":{{"messages":[]}}}}"#,
        reqs[0].1
    );
    assert_eq!(
        answers(&core.frame(&reply)),
        [(key, Ok(serde_json::json!({"messages": []})))]
    );
    // A second reply to the same id changes nothing.
    assert!(core.frame(&reply).is_empty());
}

#[test]
fn a_refused_call_carries_the_servers_code() {
    let mut core = online(0);
    let (key, actions) = core.call(history_call(Instant::now() + Duration::from_secs(60)));
    let id = requests(&actions)[0].1;
    let refusal = encode_reply_error(id, 70107, "no such user");
    assert_eq!(answers(&core.frame(&refusal)), [(key, Err(70107))]);
}

#[test]
fn a_call_made_offline_waits_for_the_connection_and_one_cut_off_fails() {
    let mut core = Core::new(0);
    let later = Instant::now() + Duration::from_secs(60);
    let (first, actions) = core.call(history_call(later));
    assert!(actions.is_empty(), "nothing to write while offline");
    let reqs = requests(&core.connected());
    let ops: Vec<&str> = reqs.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(ops, ["sync", "group.heads", "msg.history"]);
    // The connection drops before the answer: the call fails; it is not sent again.
    assert_eq!(
        answers(&core.disconnected()),
        [(first, Err(opentim_model::codes::ERR_SDK_NET_DISCONNECT))]
    );
    let ops: Vec<String> = requests(&core.connected())
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(ops, ["sync", "group.heads"]);
}

#[test]
fn a_call_past_its_deadline_times_out_online_or_offline() {
    let now = Instant::now();
    let mut core = online(0);
    let (sent, _) = core.call(history_call(now + Duration::from_secs(1)));
    assert!(answers(&core.expire(now)).is_empty());
    assert_eq!(
        answers(&core.expire(now + Duration::from_secs(2))),
        [(sent, Err(opentim_model::codes::ERR_REQUEST_TIMEOUT))]
    );
    let mut offline = Core::new(0);
    let (waiting, _) = offline.call(history_call(now + Duration::from_secs(1)));
    assert_eq!(
        answers(&offline.expire(now + Duration::from_secs(2))),
        [(waiting, Err(opentim_model::codes::ERR_REQUEST_TIMEOUT))]
    );
    assert!(requests(&offline.connected())
        .iter()
        .all(|r| r.0 == "sync" || r.0 == "group.heads"));
}

#[test]
fn a_send_the_server_could_not_store_for_now_goes_again_at_the_next_tick() {
    let mut core = online(0);
    let now = Instant::now();
    let (key, actions) = core.send(send_request("c1"), now + Duration::from_secs(60));
    let id = requests(&actions)[0].1;
    let unavailable = encode_reply_error(
        id,
        opentim_model::codes::ERR_SVR_MSG_NET_ERROR,
        "database temporarily unavailable",
    );
    assert!(core.frame(&unavailable).is_empty(), "not failed");
    assert_eq!(core.outbox().len(), 1, "still queued");
    let again = requests(&core.expire(now));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, SendMessage::NAME);
    assert_eq!(again[0].2["client_msg_id"], "c1", "the original client id");
    assert!(requests(&core.expire(now)).is_empty(), "once per refusal");
    // Then it is stored: one final result.
    let reply = encode_reply::<SendMessage>(
        again[0].1,
        &SendResponse {
            cursor: 1,
            message: wire(1, "c1"),
        },
    );
    core.frame(&reply);
    let batch = core.take_batch().unwrap();
    assert_eq!(batch.entries[0].ack, Some(key));
    assert!(core.outbox().is_empty());
}

#[test]
fn a_send_refused_for_now_and_then_cut_off_goes_once_at_the_reconnect() {
    let mut core = online(0);
    let now = Instant::now();
    let (_, actions) = core.send(send_request("c1"), now + Duration::from_secs(60));
    let id = requests(&actions)[0].1;
    core.frame(&encode_reply_error(
        id,
        opentim_model::codes::ERR_SVR_MSG_NET_ERROR,
        "later",
    ));
    assert!(core.disconnected().is_empty());
    let sends: Vec<_> = requests(&core.connected())
        .into_iter()
        .filter(|r| r.0 == SendMessage::NAME)
        .collect();
    assert_eq!(sends.len(), 1);
    assert!(requests(&core.expire(now)).is_empty(), "not a second time");
}

#[test]
fn a_resync_event_starts_one_sync_from_the_cursor() {
    let mut core = online(4);
    let resync = Event::Resync.encode();
    let reqs = requests(&core.frame(&resync));
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        (reqs[0].0.as_str(), &reqs[0].2["cursor"]),
        (Sync::NAME, &serde_json::json!(4))
    );
    assert!(
        core.frame(&resync).is_empty(),
        "no second sync while one runs"
    );
    assert!(core.frame(&sync_page(reqs[0].1, 5..=6, false)).is_empty());
    assert_eq!(staged_cursors(&mut core), vec![5, 6]);
}

#[test]
fn a_sync_refused_for_now_goes_again_at_the_next_tick() {
    let mut core = Core::new(7);
    let first = requests(&core.connected());
    let busy = encode_reply_error(
        first[0].1,
        opentim_model::codes::ERR_SVR_SSO_FREQ_LIMIT,
        "too many requests",
    );
    assert!(core.frame(&busy).is_empty());
    let again = requests(&core.expire(Instant::now()));
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].0.as_str(), &again[0].2["cursor"]),
        (Sync::NAME, &7.into())
    );
    assert!(
        requests(&core.expire(Instant::now())).is_empty(),
        "once per refusal"
    );
}

#[test]
fn a_send_refused_for_the_users_rate_fails_with_that_code() {
    let mut core = online(0);
    let now = Instant::now();
    let (key, actions) = core.send(send_request("c1"), now + Duration::from_secs(60));
    let id = requests(&actions)[0].1;
    let throttled = encode_reply_error(
        id,
        opentim_model::codes::ERR_SVR_COMM_REQ_FREQ_LIMIT,
        "more than 100 messages a second",
    );
    match core.frame(&throttled).as_slice() {
        [Action::Failed { key: k, error }] => {
            assert_eq!(*k, key);
            assert_eq!(
                error.code,
                opentim_model::codes::ERR_SVR_COMM_REQ_FREQ_LIMIT
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(core.outbox().is_empty());
    assert!(requests(&core.expire(now)).is_empty(), "not sent again");
}

#[test]
fn a_new_device_starts_from_the_list_then_syncs_from_its_cursor() {
    use opentim_protocol::op::conv::{ConvList, ConvListResponse};
    let mut core = Core::with_groups(0, true, HashMap::new());
    let first = requests(&core.connected());
    assert_eq!(first[0].0, ConvList::NAME, "the list first, not the inbox");
    assert!(!first.iter().any(|r| r.0 == Sync::NAME));
    // Live entries wait while the list is on its way.
    assert!(core.frame(&event(41)).is_empty());
    assert!(core.take_batch().is_none());
    let list = ConvListResponse {
        conversations: Vec::new(),
        cursor: 40,
    };
    let actions = core.frame(&encode_reply::<ConvList>(first[0].1, &list));
    assert!(matches!(&actions[..], [Action::Bootstrap(l)] if l.cursor == 40));
    let next = requests(&core.bootstrapped(40));
    assert_eq!(next[0].0, Sync::NAME);
    assert_eq!(
        next[0].2["cursor"], 40,
        "the sync starts where the list is current"
    );
    assert!(core.frame(&sync_page(next[0].1, 41..=41, false)).is_empty());
    assert_eq!(staged_cursors(&mut core), vec![41]);
}

#[test]
fn without_a_list_a_new_device_syncs_the_whole_inbox() {
    use opentim_protocol::op::conv::ConvList;
    let mut core = Core::with_groups(0, true, HashMap::new());
    let first = requests(&core.connected());
    let reply = encode_reply_error(first[0].1, 20004, "temporarily unavailable");
    let next = requests(&core.frame(&reply));
    assert_eq!(first[0].0, ConvList::NAME);
    assert_eq!(next[0].0, Sync::NAME);
    assert_eq!(next[0].2["cursor"], 0);
}
