//! Element dispatch, enum aliases, 64-bit numbers and completion.

use std::collections::BTreeSet;

use opentim_model::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn all_elems() -> Vec<Elem> {
    vec![
        TextElem::default().into(),
        ImageElem::default().into(),
        SoundElem::default().into(),
        CustomElem::default().into(),
        FileElem::default().into(),
        GroupTipsElem::default().into(),
        FaceElem::default().into(),
        LocationElem::default().into(),
        GroupReportElem::default().into(),
        VideoElem::default().into(),
        FriendChangeElem::default().into(),
        ProfileChangeElem::default().into(),
    ]
}

#[test]
fn elem_type_dispatch() {
    let expected = [
        (ElemType::TEXT, 0),
        (ElemType::IMAGE, 1),
        (ElemType::SOUND, 2),
        (ElemType::CUSTOM, 3),
        (ElemType::FILE, 4),
        (ElemType::GROUP_TIPS, 5),
        (ElemType::FACE, 6),
        (ElemType::LOCATION, 7),
        (ElemType::GROUP_REPORT, 8),
        (ElemType::VIDEO, 9),
        (ElemType::FRIEND_CHANGE, 10),
        (ElemType::PROFILE_CHANGE, 11),
    ];
    for (elem, (ty, number)) in all_elems().into_iter().zip(expected) {
        let elem = elem.complete();
        assert_eq!(elem.elem_type(), ty);
        let v = serde_json::to_value(&elem).unwrap();
        assert_eq!(v["elem_type"], json!(number));
        let back: Elem = serde_json::from_value(v).unwrap();
        assert_eq!(back, elem);
        // An element with no body keys dispatches on elem_type alone.
        let bare: Elem = serde_json::from_value(json!({ "elem_type": number })).unwrap();
        assert_eq!(bare.elem_type(), ty);
    }
}

#[test]
fn elem_type_is_written_first() {
    let text = serde_json::to_string(&Elem::text("hi")).unwrap();
    assert_eq!(text, r#"{"elem_type":0,"text_elem_content":"hi"}"#);
}

#[test]
fn unknown_elem_type_is_preserved() {
    let input = json!({"elem_type": 99, "future_elem_title": "t", "future_elem_lines": ["a"]});
    let elem: Elem = serde_json::from_value(input.clone()).unwrap();
    assert!(matches!(elem, Elem::Unknown(_)));
    assert_eq!(elem.elem_type(), ElemType(99));
    assert_eq!(serde_json::to_value(&elem).unwrap(), input);
    assert_eq!(serde_json::to_value(elem.complete()).unwrap(), input);

    let invalid: Elem = serde_json::from_value(json!({"elem_type": -1})).unwrap();
    assert_eq!(invalid.elem_type(), ElemType::INVALID);
}

#[test]
fn missing_or_bad_elem_type_is_rejected() {
    let msg = json!({"message_elem_array": [{"text_elem_content": "x"}]});
    let err = serde_json::from_value::<Message>(msg).unwrap_err();
    assert!(err.to_string().contains("elem_type"), "{err}");
    assert!(serde_json::from_value::<Elem>(json!({"elem_type": "0"})).is_err());
    assert!(serde_json::from_value::<Elem>(json!({"elem_type": 0.5})).is_err());
    assert!(serde_json::from_value::<Elem>(json!([0])).is_err());
}

#[test]
fn keys_decide_only_when_elem_type_names_an_absent_struct() {
    // Seed numbering: 6 with group tip keys is a group tip.
    let e: Elem =
        serde_json::from_value(json!({"elem_type": 6, "group_tips_elem_tip_type": 1})).unwrap();
    assert_eq!(e.elem_type(), ElemType::GROUP_TIPS);
    // Declared type's own keys present: elem_type wins, foreign keys are ignored.
    let e: Elem = serde_json::from_value(
        json!({"elem_type": 6, "face_elem_index": 1, "text_elem_content": "x"}),
    )
    .unwrap();
    assert_eq!(
        e,
        Elem::Face(FaceElem {
            index: Some(1),
            ..FaceElem::default()
        })
    );
    // Keys of two other types: ambiguous, elem_type wins.
    let e: Elem = serde_json::from_value(
        json!({"elem_type": 0, "face_elem_index": 1, "custom_elem_data": "x"}),
    )
    .unwrap();
    assert_eq!(e, Elem::Text(TextElem::default()));
}

#[test]
fn u64_max_round_trips() {
    let text = format!(
        r#"{{"message_elem_array":[],"message_rand":{m},"message_seq":{m},"message_unique_id":{m},"message_client_time":{m},"message_server_time":{m}}}"#,
        m = u64::MAX
    );
    let msg: Message = serde_json::from_str(&text).unwrap();
    assert_eq!(msg.rand, Some(u64::MAX));
    assert_eq!(msg.seq, Some(u64::MAX));
    assert_eq!(msg.unique_id, Some(u64::MAX));
    let out = serde_json::to_string(&msg).unwrap();
    assert_eq!(out.matches("18446744073709551615").count(), 5, "{out}");

    let loc: MsgLocator = serde_json::from_value(
        json!({"message_locator_seq": u64::MAX, "message_locator_rand": u64::MAX - 1}),
    )
    .unwrap();
    assert_eq!(loc.seq, Some(u64::MAX));
    assert_eq!(loc.rand, Some(u64::MAX - 1));
    // Above 2^53: a double would round it.
    let m: Message = serde_json::from_str(r#"{"message_seq":9007199254740993}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"message_elem_array":[],"message_seq":9007199254740993}"#
    );
}

#[test]
fn group_member_role_aliases() {
    for (input, output) in [
        (0, 0),
        (1, 200),
        (2, 300),
        (3, 400),
        (200, 200),
        (300, 300),
        (400, 400),
        (7, 7),
    ] {
        let m: GroupMemberInfo =
            serde_json::from_value(json!({ "group_member_info_member_role": input })).unwrap();
        assert_eq!(m.member_role, Some(GroupMemberRole(output)));
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["group_member_info_member_role"], json!(output));
    }
    assert_eq!(GroupMemberRole::MEMBERS[3], ("kTIMMemberRole_Owner", 400));
}

#[test]
fn group_type_from_name_or_number() {
    for (name, ty) in [
        ("Public", GroupType::PUBLIC),
        ("Private", GroupType::PRIVATE),
        ("ChatRoom", GroupType::CHAT_ROOM),
        ("BChatRoom", GroupType::B_CHAT_ROOM),
        ("AVChatRoom", GroupType::AV_CHAT_ROOM),
    ] {
        assert_eq!(
            serde_json::from_value::<GroupType>(json!(name)).unwrap(),
            ty
        );
        assert_eq!(
            serde_json::from_value::<GroupType>(json!(ty.0)).unwrap(),
            ty
        );
        assert_eq!(serde_json::to_value(ty).unwrap(), json!(ty.0));
        assert_eq!(ty.name(), Some(name));
    }
    assert!(serde_json::from_value::<GroupType>(json!("Community")).is_err());
    assert_eq!(
        serde_json::from_value::<GroupType>(json!(5)).unwrap(),
        GroupType(5)
    );
}

#[test]
fn custom_info_shapes() {
    let m: GroupMemberInfo =
        serde_json::from_value(json!({"group_member_info_custom_info": {}})).unwrap();
    assert_eq!(m.custom_info, Some(vec![]));
    let m: GroupMemberInfo =
        serde_json::from_value(json!({"group_member_info_custom_info": {"k": "v", "n": 1}}))
            .unwrap();
    assert_eq!(
        m.custom_info,
        Some(vec![
            GroupMemberInfoCustomString::new("k", "v"),
            GroupMemberInfoCustomString::new("n", "1")
        ])
    );
    let m: GroupMemberInfo = serde_json::from_value(json!({"group_member_info_custom_info": [
        {"group_member_info_custom_string_info_key": "a", "group_member_info_custom_string_info_value": "b"},
        {"group_info_custom_string_info_key": "c", "group_info_custom_string_info_value": "d"},
    ]}))
    .unwrap();
    assert_eq!(
        m.custom_info,
        Some(vec![
            GroupMemberInfoCustomString::new("a", "b"),
            GroupMemberInfoCustomString::new("c", "d")
        ])
    );
    let m: GroupMemberInfo =
        serde_json::from_value(json!({"group_member_info_custom_info": null})).unwrap();
    assert_eq!(m.custom_info, None);
    assert!(
        serde_json::from_value::<GroupMemberInfo>(json!({"group_member_info_custom_info": 3}))
            .is_err()
    );

    let p: UserProfile =
        serde_json::from_value(json!({"user_profile_custom_string_array": {}})).unwrap();
    assert_eq!(p.custom_string_array, Some(vec![]));
    let item: UserProfileItem =
        serde_json::from_value(json!({"user_profile_item_location": 7})).unwrap();
    assert_eq!(item.location.as_deref(), Some("7"));
}

#[test]
fn unknown_keys_are_ignored() {
    let m: Message = serde_json::from_value(json!({
        "message_conv_id": "a",
        "message_is_forward_message": true,
        "message_elem_array": [{"elem_type": 0, "text_elem_content": "x", "text_elem_extra": 1}],
    }))
    .unwrap();
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"message_conv_id": "a", "message_elem_array": [{"elem_type": 0, "text_elem_content": "x"}]})
    );
    let m: Message = serde_json::from_value(json!({"message_elem_array": null})).unwrap();
    assert!(m.elem_array.is_empty());
}

#[test]
fn text_constructor_and_body_size() {
    let m = Message::text("bob", ConvType::C2C, "hi");
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"message_conv_id": "bob", "message_conv_type": 1, "message_elem_array": [{"elem_type": 0, "text_elem_content": "hi"}]})
    );
    assert_eq!(
        m.body_size(),
        r#"[{"elem_type":0,"text_elem_content":"hi"}]"#.len()
    );
    let big = Message::text("bob", ConvType::C2C, "x".repeat(12 * 1024));
    assert!(big.body_size() > 12 * 1024);
}

#[test]
fn locator_of_message() {
    let m = Message {
        conv_id: Some("g".into()),
        conv_type: Some(ConvType::GROUP),
        server_time: Some(10),
        seq: Some(3),
        rand: Some(4),
        unique_id: Some(5),
        is_from_self: Some(true),
        status: Some(MsgStatus::REVOKED),
        ..Message::default()
    };
    let l = m.locator();
    assert_eq!(l.conv_id.as_deref(), Some("g"));
    assert_eq!(
        (l.time, l.seq, l.rand, l.unique_id),
        (Some(10), Some(3), Some(4), Some(5))
    );
    assert_eq!((l.is_self, l.is_revoked), (Some(true), Some(true)));
}

/// `complete()` of a default value emits exactly the type's documented keys: nothing missing,
/// nothing `null`, nothing extra.
#[test]
fn complete_emits_every_documented_key() {
    fn check<T: Default + Serialize>(
        complete: fn(T) -> T,
        keys: &[(&str, &str)],
        not_filled: &[&str],
    ) {
        let v = serde_json::to_value(complete(T::default())).unwrap();
        let got: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let want: BTreeSet<&str> = keys
            .iter()
            .map(|(_, k)| *k)
            .filter(|k| !not_filled.contains(k))
            .collect();
        assert_eq!(got, want);
        assert!(!v.to_string().contains("null"), "{v}");
    }
    check(
        Message::complete,
        Message::KEYS,
        &[
            "message_sender_profile",
            "message_sender_group_member_info",
            "message_offlie_push_config",
            "message_msg_id",
            "message_cloud_custom_str",
            "message_need_read_receipt",
            "message_has_sent_receipt",
            "message_receipt_read_count",
            "message_receipt_unread_count",
        ],
    );
    check(TextElem::complete, TextElem::KEYS, &[]);
    check(ImageElem::complete, ImageElem::KEYS, &[]);
    check(SoundElem::complete, SoundElem::KEYS, &[]);
    check(CustomElem::complete, CustomElem::KEYS, &[]);
    check(FileElem::complete, FileElem::KEYS, &[]);
    check(GroupSelfInfo::complete, GroupSelfInfo::KEYS, &[]);
    check(GroupBaseInfo::complete, GroupBaseInfo::KEYS, &[]);
    check(GroupDetailInfo::complete, GroupDetailInfo::KEYS, &[]);
    check(
        GroupPendency::complete,
        GroupPendency::KEYS,
        &[
            "group_pendency_key",
            "group_pendency_authentication",
            "group_pendency_self_identifier",
        ],
    );
    check(
        MergerElem::complete,
        MergerElem::KEYS,
        &["merge_elem_message_array"],
    );
    // The keys the seed's tip and notice do not carry are written only when set.
    check(
        GroupTipsElem::complete,
        GroupTipsElem::KEYS,
        &[
            "group_tips_elem_op_user_info",
            "group_tips_elem_changed_user_info_array",
        ],
    );
    check(
        GroupTipGroupChangeInfo::complete,
        GroupTipGroupChangeInfo::KEYS,
        &["group_tips_group_change_info_key"],
    );
    check(
        GroupTipMemberChangeInfo::complete,
        GroupTipMemberChangeInfo::KEYS,
        &[],
    );
    check(FaceElem::complete, FaceElem::KEYS, &[]);
    check(LocationElem::complete, LocationElem::KEYS, &[]);
    check(
        GroupReportElem::complete,
        GroupReportElem::KEYS,
        &["group_report_elem_op_user_info"],
    );
    check(VideoElem::complete, VideoElem::KEYS, &[]);
    check(FriendChangeElem::complete, FriendChangeElem::KEYS, &[]);
    check(ProfileChangeElem::complete, ProfileChangeElem::KEYS, &[]);
    check(OfflinePushConfig::complete, OfflinePushConfig::KEYS, &[]);
    check(
        IosOfflinePushConfig::complete,
        IosOfflinePushConfig::KEYS,
        &[],
    );
    check(
        AndroidOfflinePushConfig::complete,
        AndroidOfflinePushConfig::KEYS,
        &[],
    );
    // Custom fields only when there are some, as in the seed's profile (Example 16).
    check(
        UserProfile::complete,
        UserProfile::KEYS,
        &[
            "user_profile_remark",
            "user_profile_item_custom_string_array",
        ],
    );
    check(UserProfileItem::complete, UserProfileItem::KEYS, &[]);
    check(GroupMemberInfo::complete, GroupMemberInfo::KEYS, &[]);
    check(FriendProfileItem::complete, FriendProfileItem::KEYS, &[]);
    check(
        FriendProfileUpdate::complete,
        FriendProfileUpdate::KEYS,
        &[],
    );
    check(FriendAddPendency::complete, FriendAddPendency::KEYS, &[]);
    check(
        ConvInfo::complete,
        ConvInfo::KEYS,
        &["conv_last_msg", "conv_draft", "conv_is_pinned"],
    );
    check(Draft::complete, Draft::KEYS, &[]);
    check(MsgLocator::complete, MsgLocator::KEYS, &[]);
    check(
        SdkConfig::complete,
        SdkConfig::KEYS,
        &[
            "opentim_server_address",
            "opentim_tls_ca_file",
            "opentim_send_timeout_secs",
        ],
    );
    check(
        SetConfig::complete,
        SetConfig::KEYS,
        &["set_config_proxy_info"],
    );
    check(UserConfig::complete, UserConfig::KEYS, &[]);
    check(GroupGetInfoOption::complete, GroupGetInfoOption::KEYS, &[]);
    check(
        GroupMemberGetInfoOption::complete,
        GroupMemberGetInfoOption::KEYS,
        &[],
    );
    check(HttpProxyInfo::complete, HttpProxyInfo::KEYS, &[]);
    check(Socks5ProxyInfo::complete, Socks5ProxyInfo::KEYS, &[]);
    check(ProxyInfo::complete, ProxyInfo::KEYS, &[]);
}

#[test]
fn complete_keeps_values_and_is_idempotent() {
    let m = Message::text("bob", ConvType::C2C, "hi");
    let once = m.clone().complete();
    assert_eq!(once.conv_id.as_deref(), Some("bob"));
    assert_eq!(once.priority, Some(MsgPriority::NORMAL));
    assert_eq!(once.clone().complete(), once);
    let conv = ConvInfo {
        last_msg: Some(m),
        ..ConvInfo::default()
    }
    .complete();
    assert_eq!(conv.is_has_lastmsg, Some(true));
    assert_eq!(conv.is_has_draft, Some(false));
    assert_eq!(conv.last_msg.unwrap().is_read, Some(false));
}

/// Every object type's keys, parsed from a completed value, come back identical.
#[test]
fn completed_values_round_trip() {
    fn rt<T: Default + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
        complete: fn(T) -> T,
    ) {
        let v = complete(T::default());
        let back: T = serde_json::from_value(serde_json::to_value(&v).unwrap()).unwrap();
        assert_eq!(back, v);
    }
    rt(Message::complete);
    rt(ConvInfo::complete);
    rt(Draft::complete);
    rt(MsgLocator::complete);
    rt(SdkConfig::complete);
    rt(SetConfig::complete);
    rt(GroupTipsElem::complete);
    rt(FriendChangeElem::complete);
    rt(ProfileChangeElem::complete);
    for elem in all_elems() {
        let elem = elem.complete();
        let back: Elem = serde_json::from_value(serde_json::to_value(&elem).unwrap()).unwrap();
        assert_eq!(back, elem);
    }
    let _: Value = serde_json::to_value(ALL_KEYS).unwrap();
}

#[test]
fn custom_fields_are_written_under_the_seeds_item_keys_and_read_under_both() {
    use opentim_model::profile::FriendProfile;
    // TIMCommCallback Example 16 (friend list): a friend with custom fields carries them under
    // `friend_profile_item_custom_string_array`, its user profile under
    // `user_profile_item_custom_string_array`.
    let friend: FriendProfile = serde_json::from_value(json!({
        "friend_profile_identifier": "asd12341",
        "friend_profile_custom_string_array": [
            {"friend_profile_custom_string_info_key": "Tag_SNS_Custom_Str",
             "friend_profile_custom_string_info_value": "qcloud"}],
        "friend_profile_user_profile": {
            "user_profile_identifier": "asd12341",
            "user_profile_custom_string_array": [
                {"user_profile_custom_string_info_key": "Tag_Profile_Custom_Str",
                 "user_profile_custom_string_info_value": "qcloud"}]
        }
    }))
    .unwrap();
    let out = serde_json::to_value(friend.complete()).unwrap();
    let keys: BTreeSet<&str> = out
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "friend_profile_add_source",
            "friend_profile_add_time",
            "friend_profile_add_wording",
            "friend_profile_group_name_array",
            "friend_profile_identifier",
            "friend_profile_item_custom_string_array",
            "friend_profile_remark",
            "friend_profile_user_profile",
        ])
    );
    let user = &out["friend_profile_user_profile"];
    assert_eq!(
        user["user_profile_item_custom_string_array"][0]["user_profile_custom_string_info_value"],
        "qcloud"
    );
    assert!(user.get("user_profile_custom_string_array").is_none());
    assert_eq!(user.as_object().unwrap().len(), 12);
}
