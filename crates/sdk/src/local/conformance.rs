//! The behaviour every [`LocalStore`] must have, written once and run on each implementation.
//! A case gets a fresh cache and may reopen it (`Reopen`) to check what survives a restart.

use opentim_model::enums::{ConvEvent, ConvType, MsgStatus};
use opentim_model::message::Message;
use opentim_protocol::WireMessage;

use super::{Deletion, LocalStore, Mark, MarkAt, Search, Seed, SqliteStore, BOOTSTRAPPED};
use crate::convert::to_local;

/// Opens the cache under test again, as a restarted app would.
type Reopen<'a> = &'a dyn Fn() -> Box<dyn LocalStore>;

/// A named case of the suite.
type Case = (&'static str, fn(Reopen));

const ME: &str = "me";

/// A message `from` sent to `to` with server seq `seq` at `time`, as `ME` sees it, with its
/// client message id.
fn msg(from: &str, to: &str, seq: u64, time: u64, text: &str) -> (String, Message) {
    let client_msg_id = format!("{from}-{seq}");
    let wire = WireMessage {
        conv_type: ConvType::C2C,
        from: from.into(),
        to: to.into(),
        seq,
        rand: seq,
        server_time: time,
        client_msg_id: client_msg_id.clone(),
        message: Message::text(to, ConvType::C2C, text),
    };
    (client_msg_id, to_local(ME, &wire))
}

fn texts(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| serde_json::to_value(&m.elem_array[0]).unwrap()["text_elem_content"].to_string())
        .map(|t| t.trim_matches('"').to_owned())
        .collect()
}

fn state_values(open: Reopen) {
    let s = open();
    assert_eq!(s.state("nothing").unwrap(), 0);
    assert_eq!(s.cursor().unwrap(), 0);
    s.set_state("k", 7).unwrap();
    s.set_state("k", 9).unwrap();
    assert_eq!(s.state("k").unwrap(), 9);
    drop(s);
    assert_eq!(open().state("k").unwrap(), 9, "state survives a restart");
}

fn a_batch_stores_messages_conversations_and_the_cursor(open: Reopen) {
    let s = open();
    let batch = vec![
        msg("ann", ME, 1, 100, "a1"),
        msg("bob", ME, 2, 101, "b1"),
        msg("ann", ME, 3, 102, "a2"),
    ];
    let applied = s.apply(&batch, 3).unwrap();
    assert!(applied.iter().all(|a| a.is_new));
    let events: Vec<ConvEvent> = applied.iter().map(|a| a.conv_event).collect();
    assert_eq!(events, [ConvEvent::ADD, ConvEvent::ADD, ConvEvent::UPDATE]);
    let ids: Vec<u64> = applied
        .iter()
        .map(|a| a.message.unique_id.unwrap())
        .collect();
    assert!(
        ids[0] < ids[1] && ids[1] < ids[2],
        "local ids grow: {ids:?}"
    );
    assert_eq!(s.cursor().unwrap(), 3);
    drop(s);

    let s = open();
    assert_eq!(s.cursor().unwrap(), 3, "the cursor survives a restart");
    let convs = s.conversations().unwrap();
    let listed: Vec<(&str, u64)> = convs
        .iter()
        .map(|c| (c.conv_id.as_deref().unwrap(), c.unread_num.unwrap()))
        .collect();
    assert_eq!(listed, [("ann", 2), ("bob", 1)], "most recent first");
    let ann = s.conversation("ann", ConvType::C2C).unwrap().unwrap();
    assert_eq!(ann.active_time, Some(102));
    assert_eq!(ann.is_has_lastmsg, Some(true));
    assert_eq!(texts(&[ann.last_msg.unwrap()]), ["a2"]);
    assert_eq!(
        texts(&s.history("ann", ConvType::C2C, 10).unwrap()),
        ["a1", "a2"]
    );
    assert_eq!(texts(&s.history("ann", ConvType::C2C, 1).unwrap()), ["a2"]);
    assert!(s.conversation("carl", ConvType::C2C).unwrap().is_none());
}

fn a_message_applied_again_is_not_new_and_not_doubled(open: Reopen) {
    let s = open();
    let first = msg("ann", ME, 1, 100, "a1");
    s.apply(std::slice::from_ref(&first), 1).unwrap();
    let again = s.apply(&[first, msg("ann", ME, 2, 101, "a2")], 2).unwrap();
    assert!(!again[0].is_new && again[1].is_new);
    assert_eq!(again[0].conv_event, ConvEvent::UPDATE);
    let conv = s.conversation("ann", ConvType::C2C).unwrap().unwrap();
    assert_eq!(conv.unread_num, Some(2), "a duplicate is not unread twice");
    assert_eq!(
        texts(&s.history("ann", ConvType::C2C, 10).unwrap()),
        ["a1", "a2"]
    );
}

fn the_last_message_is_the_newest_and_the_later_of_equal_times(open: Reopen) {
    let s = open();
    s.apply(&[msg("ann", ME, 1, 200, "new")], 1).unwrap();
    // An older message arriving later does not replace the last message.
    s.apply(&[msg("ann", ME, 2, 150, "old")], 2).unwrap();
    let conv = s.conversation("ann", ConvType::C2C).unwrap().unwrap();
    assert_eq!(texts(&[conv.last_msg.unwrap()]), ["new"]);
    assert_eq!(conv.active_time, Some(200));
    s.apply(
        &[msg("ann", ME, 3, 200, "x"), msg("ann", ME, 4, 200, "y")],
        4,
    )
    .unwrap();
    let conv = s.conversation("ann", ConvType::C2C).unwrap().unwrap();
    assert_eq!(texts(&[conv.last_msg.unwrap()]), ["y"]);
}

fn an_outgoing_message_is_acked_once_and_its_inbox_copy_merges(open: Reopen) {
    let s = open();
    let (cid, sent) = msg(ME, "ann", 5, 300, "hello");
    let mut pending = sent.clone();
    pending.status = Some(MsgStatus::SENDING);
    pending.seq = None;
    let local_id = s.insert_outgoing(&cid, &pending).unwrap();
    let history = s.history("ann", ConvType::C2C, 10).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status, Some(MsgStatus::SENDING));
    assert_eq!(history[0].unique_id, Some(local_id));

    let acked = s.apply_ack(&cid, &sent).unwrap();
    assert!(
        !acked.is_new,
        "the ack updates the message stored at send time"
    );
    assert_eq!(acked.message.unique_id, Some(local_id));
    let inbox = s.apply(&[(cid, sent)], 1).unwrap();
    assert!(
        !inbox[0].is_new,
        "the inbox copy of the same message merges with it"
    );
    let history = s.history("ann", ConvType::C2C, 10).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status, Some(MsgStatus::SEND_SUCC));
    assert_eq!(history[0].seq, Some(5));
    let conv = s.conversation("ann", ConvType::C2C).unwrap().unwrap();
    assert_eq!(conv.unread_num, Some(0), "one's own message is not unread");
}

fn a_failed_send_is_marked_and_stays_in_history(open: Reopen) {
    let s = open();
    let (cid, mut pending) = msg(ME, "ann", 0, 0, "lost");
    pending.status = Some(MsgStatus::SENDING);
    pending.seq = None;
    s.insert_outgoing(&cid, &pending).unwrap();
    s.mark_failed(&cid).unwrap();
    s.mark_failed("no-such-message").unwrap();
    drop(s);
    let history = open().history("ann", ConvType::C2C, 10).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status, Some(MsgStatus::SEND_FAIL));
}

fn messages_without_a_seq_come_last(open: Reopen) {
    let s = open();
    s.apply(&[msg("ann", ME, 1, 100, "in")], 1).unwrap();
    let (cid, mut pending) = msg(ME, "ann", 0, 0, "out");
    pending.status = Some(MsgStatus::SENDING);
    pending.seq = None;
    s.insert_outgoing(&cid, &pending).unwrap();
    assert_eq!(
        texts(&s.history("ann", ConvType::C2C, 10).unwrap()),
        ["in", "out"]
    );
}

fn pages_go_outward_from_their_anchor(open: Reopen) {
    let s = open();
    let batch: Vec<_> = (1..=5)
        .map(|i| msg("ann", ME, i, 100 + i, &format!("a{i}")))
        .collect();
    s.apply(&batch, 5).unwrap();
    let (cid, mut pending) = msg(ME, "ann", 0, 0, "out");
    pending.seq = None;
    s.insert_outgoing(&cid, &pending).unwrap();
    let page = |anchor, forward, count| {
        texts(
            &s.page("ann", ConvType::C2C, anchor, forward, count)
                .unwrap(),
        )
    };
    assert_eq!(
        page(None, false, 3),
        ["out", "a5", "a4"],
        "newest first, unsent first"
    );
    assert_eq!(
        page(Some(4), false, 10),
        ["a3", "a2", "a1"],
        "the anchor left out"
    );
    assert_eq!(
        page(Some(2), true, 2),
        ["a3", "a4"],
        "forward: oldest first"
    );
    assert_eq!(page(None, true, 2), ["a1", "a2"]);
    assert!(page(Some(1), false, 10).is_empty());
}

fn read(conv: &str, read_seq: u64, unread: u64) -> Mark {
    Mark::Read {
        conv_type: ConvType::C2C,
        conv_id: conv.into(),
        read_seq,
        unread,
    }
}

fn read_marks_move_forward_and_flag_messages(open: Reopen) {
    let s = open();
    let batch = vec![
        msg("ann", ME, 1, 100, "a1"),
        msg(ME, "ann", 2, 101, "mine"),
        msg("ann", ME, 3, 102, "a2"),
    ];
    s.apply(&batch, 3).unwrap();
    assert_eq!(s.total_unread().unwrap(), 2);
    assert!(s.apply_mark(&read("ann", 1, 1), MarkAt::Entry(4)).unwrap());
    assert_eq!(s.cursor().unwrap(), 4, "an entry moves the cursor");
    assert!(
        !s.apply_mark(&read("ann", 1, 1), MarkAt::Entry(5)).unwrap(),
        "the same mark changes nothing"
    );
    assert_eq!(s.cursor().unwrap(), 5);
    assert!(
        !s.apply_mark(&read("ann", 0, 2), MarkAt::Entry(6)).unwrap(),
        "an older mark changes nothing"
    );
    let peer = Mark::PeerRead {
        conv_type: ConvType::C2C,
        conv_id: "ann".into(),
        read_seq: 2,
    };
    assert!(s.apply_mark(&peer, MarkAt::Entry(7)).unwrap());
    assert!(
        !s.apply_mark(&peer, MarkAt::Entry(8)).unwrap(),
        "a receipt counts once"
    );
    assert!(!s.apply_mark(&Mark::Skip, MarkAt::Entry(9)).unwrap());
    assert_eq!(
        s.cursor().unwrap(),
        9,
        "an unknown entry still moves the cursor"
    );
    drop(s);
    let s = open();
    let h = s.history("ann", ConvType::C2C, 10).unwrap();
    let flags: Vec<(bool, bool)> = h
        .iter()
        .map(|m| (m.is_read == Some(true), m.is_peer_read == Some(true)))
        .collect();
    assert_eq!(
        flags,
        [(true, false), (true, true), (false, false)],
        "after a restart"
    );
    assert_eq!(
        s.conversation("ann", ConvType::C2C)
            .unwrap()
            .unwrap()
            .unread_num,
        Some(1)
    );
    assert_eq!(s.total_unread().unwrap(), 1);
}

fn a_mark_ahead_of_its_entry_applies_once_and_keeps_the_cursor(open: Reopen) {
    let s = open();
    s.apply(
        &[msg("ann", ME, 1, 100, "a1"), msg("ann", ME, 2, 101, "a2")],
        2,
    )
    .unwrap();
    assert!(s.apply_mark(&read("ann", 2, 0), MarkAt::Ahead(3)).unwrap());
    assert_eq!(s.cursor().unwrap(), 2, "the cursor waits for the entry");
    assert!(!s.apply_mark(&read("ann", 2, 0), MarkAt::Entry(3)).unwrap());
    // Once the cache is past the entry, a late answer (with a count since overtaken) is ignored.
    s.apply(&[msg("ann", ME, 3, 102, "a3")], 4).unwrap();
    assert!(!s.apply_mark(&read("ann", 2, 0), MarkAt::Ahead(3)).unwrap());
    assert_eq!(
        s.conversation("ann", ConvType::C2C)
            .unwrap()
            .unwrap()
            .unread_num,
        Some(1)
    );
}

fn a_new_device_starts_from_the_list_and_backfills_without_counting_twice(open: Reopen) {
    let s = open();
    let (id, last) = msg("ann", ME, 5, 105, "a5");
    let seeds = [
        Seed {
            conv_type: ConvType::C2C,
            conv_id: "ann".into(),
            last: Some((id, last)),
            active_time: 105,
            unread: 2,
            read_seq: 3,
            peer_read_seq: 0,
            pinned: false,
        },
        Seed {
            conv_type: ConvType::C2C,
            conv_id: "bob".into(),
            last: None,
            active_time: 90,
            unread: 0,
            read_seq: 0,
            peer_read_seq: 0,
            pinned: false,
        },
    ];
    s.bootstrap(&seeds, 40).unwrap();
    assert_eq!(s.cursor().unwrap(), 40);
    assert_eq!(s.state(BOOTSTRAPPED).unwrap(), 1);
    let convs = s.conversations().unwrap();
    let ids: Vec<_> = convs.iter().map(|c| c.conv_id.clone().unwrap()).collect();
    assert_eq!(ids, ["ann", "bob"], "most recently active first");
    assert_eq!(convs[0].unread_num, Some(2));
    // The unread messages fetched behind the list: stored, the last one not doubled, the
    // count left at the server's.
    let applied = s
        .backfill(&[msg("ann", ME, 4, 104, "a4"), msg("ann", ME, 5, 105, "a5")])
        .unwrap();
    assert_eq!(
        applied.iter().map(|a| a.is_new).collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(
        texts(&s.history("ann", ConvType::C2C, 10).unwrap()),
        ["a4", "a5"]
    );
    assert_eq!(s.total_unread().unwrap(), 2);
    assert_eq!(s.cursor().unwrap(), 40, "a backfill leaves the cursor");
    // A list never moves the cursor back.
    s.bootstrap(&seeds, 10).unwrap();
    assert_eq!(s.cursor().unwrap(), 40);
}

/// Every case, each on a fresh cache made by `fresh` (which returns the reopen function).
fn deleted_messages_stay_deleted(open: Reopen) {
    let s = open();
    let batch = vec![
        msg("ann", ME, 1, 100, "a1"),
        msg("ann", ME, 2, 101, "a2"),
        msg("ann", ME, 3, 102, "a3"),
    ];
    s.apply(&batch, 3).unwrap();
    let gone = s
        .delete_messages("ann", ConvType::C2C, &Deletion::Seqs(vec![3, 99]))
        .unwrap();
    assert_eq!(gone, 1, "only messages that are there count");
    assert_eq!(
        texts(&s.history("ann", ConvType::C2C, 10).unwrap()),
        ["a1", "a2"]
    );
    let conv = s.conversation("ann", ConvType::C2C).unwrap().unwrap();
    assert_eq!(
        text_of(conv.last_msg.as_ref()),
        "a2",
        "the newest left is last"
    );
    let again = s.apply(&[batch[2].clone()], 4).unwrap();
    assert!(
        !again[0].is_new,
        "synced again, a deleted message is not new"
    );
    assert_eq!(s.history("ann", ConvType::C2C, 10).unwrap().len(), 2);
    let a1_id = batch[0].0.clone();
    s.delete_messages("ann", ConvType::C2C, &Deletion::Ids(vec![a1_id.clone()]))
        .unwrap();
    assert!(s.by_msg_ids(&[a1_id]).unwrap().is_empty());
    let mark = Mark::Cleared {
        conv_type: ConvType::C2C,
        conv_id: "ann".into(),
        seq: 3,
    };
    assert!(s.apply_mark(&mark, MarkAt::Entry(5)).unwrap());
    assert!(!s.apply_mark(&mark, MarkAt::Entry(6)).unwrap(), "once");
    drop(s);
    let s = open();
    assert!(s.history("ann", ConvType::C2C, 10).unwrap().is_empty());
    let conv = s.conversation("ann", ConvType::C2C).unwrap().unwrap();
    assert_eq!(
        (conv.unread_num, conv.is_has_lastmsg),
        (Some(0), Some(false)),
        "a cleared conversation stays, read, without a last message"
    );
    assert_eq!(s.cursor().unwrap(), 6);
}

fn pinned_conversations_list_first_and_a_deleted_one_comes_back(open: Reopen) {
    let s = open();
    s.apply(
        &[msg("ann", ME, 1, 100, "a1"), msg("bob", ME, 2, 200, "b1")],
        2,
    )
    .unwrap();
    let order = |s: &dyn LocalStore| -> Vec<(String, Option<bool>)> {
        s.conversations()
            .unwrap()
            .into_iter()
            .map(|c| (c.conv_id.unwrap(), c.is_pinned))
            .collect()
    };
    assert_eq!(order(&*s), [("bob".into(), None), ("ann".into(), None)]);
    let pin = Mark::Pin {
        conv_type: ConvType::C2C,
        conv_id: "ann".into(),
        pinned: true,
    };
    assert!(s.apply_mark(&pin, MarkAt::Entry(3)).unwrap());
    assert!(
        !s.apply_mark(&pin, MarkAt::Entry(4)).unwrap(),
        "pinned already"
    );
    drop(s);
    let s = open();
    assert_eq!(
        order(&*s),
        [("ann".into(), Some(true)), ("bob".into(), None)]
    );
    let gone = Mark::ConvDeleted {
        conv_type: ConvType::C2C,
        conv_id: "bob".into(),
    };
    assert!(s.apply_mark(&gone, MarkAt::Entry(5)).unwrap());
    assert_eq!(order(&*s), [("ann".into(), Some(true))]);
    assert_eq!(
        s.history("bob", ConvType::C2C, 10).unwrap().len(),
        1,
        "its messages stay"
    );
    let back = s.apply(&[msg("bob", ME, 3, 300, "b2")], 6).unwrap();
    assert_eq!(
        back[0].conv_event,
        ConvEvent::ADD,
        "a new message brings it back"
    );
    assert_eq!(order(&*s).len(), 2);
}

fn search_finds_one_message_among_ten_thousand(open: Reopen) {
    let s = open();
    let mut batch = Vec::new();
    for i in 0..10_000u64 {
        let from = if i % 2 == 0 { "ann" } else { "bob" };
        batch.push(msg(
            from,
            ME,
            i + 1,
            1_000 + i,
            &format!("filler number {i} 你好世界"),
        ));
    }
    batch[4321] = msg("bob", ME, 4322, 5_321, "where is the Needle, 针在这里");
    s.apply(&batch, 10_000).unwrap();
    let mut custom = msg("ann", ME, 10_001, 20_000, "");
    custom.1.elem_array = vec![opentim_model::elem::Elem::Custom(
        opentim_model::elem::CustomElem {
            data: Some("payload".into()),
            desc: Some("a needle in custom".into()),
            ..Default::default()
        },
    )];
    s.apply(&[custom], 10_001).unwrap();
    let find = |q: Search| -> Vec<(String, Vec<u64>)> {
        s.search(&q)
            .unwrap()
            .into_iter()
            .map(|g| {
                (
                    g.conv_id,
                    g.messages.iter().map(|m| m.seq.unwrap()).collect(),
                )
            })
            .collect()
    };
    let all = Search {
        keywords: vec!["needle".into()],
        until: u64::MAX,
        ..Search::default()
    };
    assert_eq!(
        find(all.clone()),
        [("ann".into(), vec![10_001]), ("bob".into(), vec![4322])],
        "case-insensitive, newest first, grouped by conversation"
    );
    let cjk = Search {
        keywords: vec!["针在".into()],
        ..all.clone()
    };
    assert_eq!(
        find(cjk),
        [("bob".into(), vec![4322])],
        "two characters, by scan"
    );
    let text_only = Search {
        elem_types: vec![opentim_model::enums::ElemType::TEXT],
        ..all.clone()
    };
    assert_eq!(find(text_only), [("bob".into(), vec![4322])]);
    let from_ann = Search {
        senders: vec!["ann".into()],
        ..all.clone()
    };
    assert_eq!(find(from_ann), [("ann".into(), vec![10_001])]);
    let window = Search {
        since: 5_000,
        until: 6_000,
        ..all.clone()
    };
    assert_eq!(find(window), [("bob".into(), vec![4322])]);
    let both = Search {
        keywords: vec!["needle".into(), "where".into()],
        all_keywords: true,
        ..all.clone()
    };
    assert_eq!(find(both), [("bob".into(), vec![4322])]);
    let either = Search {
        keywords: vec!["needle".into(), "number 9999 ".into()],
        ..all.clone()
    };
    assert_eq!(find(either).iter().map(|g| g.1.len()).sum::<usize>(), 3);
    s.delete_messages("bob", ConvType::C2C, &Deletion::Seqs(vec![4322]))
        .unwrap();
    assert_eq!(
        find(all),
        [("ann".into(), vec![10_001])],
        "deleted is not found"
    );
}

fn text_of(m: Option<&Message>) -> String {
    texts(m.map(std::slice::from_ref).unwrap_or_default())
        .pop()
        .unwrap_or_default()
}

fn local_custom_data_survives_the_servers_copy(open: Reopen) {
    let s = open();
    let (cid, sent) = msg(ME, "ann", 5, 300, "hello");
    let mut pending = sent.clone();
    pending.status = Some(MsgStatus::SENDING);
    pending.seq = None;
    s.insert_outgoing(&cid, &pending).unwrap();
    let m = s
        .set_local_custom(&cid, Some(7), Some("mine"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (m.custom_int, m.custom_str.as_deref()),
        (Some(7), Some("mine"))
    );
    assert!(s.set_local_custom("nope", Some(1), None).unwrap().is_none());
    let acked = s.apply_ack(&cid, &sent).unwrap();
    assert_eq!(acked.message.custom_int, Some(7), "the ack keeps it");
    s.set_local_custom(&cid, None, Some("changed")).unwrap();
    drop(s);
    let found = open().by_msg_ids(&[cid.clone(), "nope".into()]).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].msg_id.as_deref(), Some(cid.as_str()));
    assert_eq!(
        (
            found[0].custom_int,
            found[0].custom_str.as_deref(),
            found[0].seq
        ),
        (Some(7), Some("changed"), Some(5))
    );
}

fn imported_messages_join_their_conversation_read(open: Reopen) {
    let s = open();
    s.apply(&[msg("ann", ME, 1, 100, "a1")], 1).unwrap();
    let (cid, mut tip) = msg("ann", ME, 0, 200, "a local tip");
    tip.seq = None;
    tip.status = Some(MsgStatus::LOCAL_IMPORTED);
    let applied = s.import(&[(cid.clone(), tip.clone())]).unwrap();
    assert!(applied[0].is_new);
    assert!(!s.import(&[(cid, tip)]).unwrap()[0].is_new, "not doubled");
    let conv = s.conversation("ann", ConvType::C2C).unwrap().unwrap();
    assert_eq!(
        conv.unread_num,
        Some(1),
        "only the received message is unread"
    );
    assert_eq!(text_of(conv.last_msg.as_ref()), "a local tip");
    let h = s.history("ann", ConvType::C2C, 10).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].status, Some(MsgStatus::LOCAL_IMPORTED));
    let (cid2, mut pending) = msg(ME, "ann", 0, 0, "never sent");
    pending.status = Some(MsgStatus::SENDING);
    pending.seq = None;
    s.insert_outgoing(&cid2, &pending).unwrap();
    let cancelled = s.mark_unsent(&cid2, MsgStatus::CANCEL).unwrap().unwrap();
    assert_eq!(cancelled.status, Some(MsgStatus::CANCEL));
    assert!(
        s.mark_unsent(&cid2, MsgStatus::SEND_FAIL)
            .unwrap()
            .is_none(),
        "only a message still sending"
    );
}

fn run_all(fresh: &dyn Fn() -> Box<dyn Fn() -> Box<dyn LocalStore>>) {
    let cases: &[Case] = &[
        ("state_values", state_values),
        (
            "a_batch_stores_messages_conversations_and_the_cursor",
            a_batch_stores_messages_conversations_and_the_cursor,
        ),
        (
            "a_message_applied_again_is_not_new_and_not_doubled",
            a_message_applied_again_is_not_new_and_not_doubled,
        ),
        (
            "the_last_message_is_the_newest_and_the_later_of_equal_times",
            the_last_message_is_the_newest_and_the_later_of_equal_times,
        ),
        (
            "an_outgoing_message_is_acked_once_and_its_inbox_copy_merges",
            an_outgoing_message_is_acked_once_and_its_inbox_copy_merges,
        ),
        (
            "a_failed_send_is_marked_and_stays_in_history",
            a_failed_send_is_marked_and_stays_in_history,
        ),
        (
            "messages_without_a_seq_come_last",
            messages_without_a_seq_come_last,
        ),
        (
            "pages_go_outward_from_their_anchor",
            pages_go_outward_from_their_anchor,
        ),
        (
            "read_marks_move_forward_and_flag_messages",
            read_marks_move_forward_and_flag_messages,
        ),
        (
            "a_mark_ahead_of_its_entry_applies_once_and_keeps_the_cursor",
            a_mark_ahead_of_its_entry_applies_once_and_keeps_the_cursor,
        ),
        (
            "a_new_device_starts_from_the_list_and_backfills_without_counting_twice",
            a_new_device_starts_from_the_list_and_backfills_without_counting_twice,
        ),
        (
            "deleted_messages_stay_deleted",
            deleted_messages_stay_deleted,
        ),
        (
            "search_finds_one_message_among_ten_thousand",
            search_finds_one_message_among_ten_thousand,
        ),
        (
            "pinned_conversations_list_first_and_a_deleted_one_comes_back",
            pinned_conversations_list_first_and_a_deleted_one_comes_back,
        ),
        (
            "local_custom_data_survives_the_servers_copy",
            local_custom_data_survives_the_servers_copy,
        ),
        (
            "imported_messages_join_their_conversation_read",
            imported_messages_join_their_conversation_read,
        ),
    ];
    for (name, case) in cases {
        eprintln!("local store conformance: {name}");
        let open = fresh();
        case(&*open);
    }
}

#[test]
fn sqlite_store_conforms() {
    let root = tempfile::tempdir().unwrap();
    let n = std::cell::Cell::new(0u32);
    let dir = root.path().to_path_buf();
    run_all(&|| {
        n.set(n.get() + 1);
        let dir = dir.join(n.get().to_string());
        Box::new(move || {
            Box::new(SqliteStore::open(&dir, 1400000000, ME).unwrap()) as Box<dyn LocalStore>
        })
    });
}
