//! Snapshots of a completed instance of every type: any key drift (misspellings included)
//! changes a snapshot. Regenerate with `INSTA_UPDATE=always` and review the diff.

use opentim_model::*;
use serde_json::{json, Map, Value};

/// A received C2C message with realistic header values, before completion.
fn base_message(elem: Elem) -> Message {
    Message {
        conv_id: Some("user2".into()),
        conv_type: Some(ConvType::C2C),
        sender: Some("user2".into()),
        client_time: Some(1551101578),
        server_time: Some(1551101578),
        status: Some(MsgStatus::SEND_SUCC),
        rand: Some(3726251374),
        seq: Some(56858),
        unique_id: Some(6_683_544_735_612_321_234),
        elem_array: vec![elem],
        ..Message::default()
    }
}

fn snapshot_elem(name: &str, elem: Elem) {
    let msg = base_message(elem).complete();
    insta::assert_json_snapshot!(name, msg);
}

#[test]
fn message_text() {
    snapshot_elem("message_text", Elem::text("hello"));
}

#[test]
fn message_image() {
    snapshot_elem("message_image", ImageElem::default().into());
}

#[test]
fn message_sound() {
    snapshot_elem("message_sound", SoundElem::default().into());
}

#[test]
fn message_custom() {
    let custom = CustomElem {
        data: Some("{\"k\":1}".into()),
        ..CustomElem::default()
    };
    snapshot_elem("message_custom", custom.into());
}

#[test]
fn message_file() {
    snapshot_elem("message_file", FileElem::default().into());
}

#[test]
fn message_group_tips() {
    let tips = GroupTipsElem {
        tip_type: Some(GroupTipType::MEMBER_INFO_CHANGE),
        group_change_info_array: Some(vec![GroupTipGroupChangeInfo::default()]),
        member_change_info_array: Some(vec![GroupTipMemberChangeInfo::default()]),
        changed_user_info_array: Some(vec![UserProfile::default()]),
        changed_group_memberinfo_array: Some(vec![GroupMemberInfo {
            custom_info: Some(vec![GroupMemberInfoCustomString::new("k", "v")]),
            ..GroupMemberInfo::default()
        }]),
        ..GroupTipsElem::default()
    };
    snapshot_elem("message_group_tips", tips.into());
}

#[test]
fn message_face() {
    snapshot_elem("message_face", FaceElem::default().into());
}

#[test]
fn message_location() {
    let location = LocationElem {
        longitude: Some(113.93),
        latitude: Some(22.54),
        ..LocationElem::default()
    };
    snapshot_elem("message_location", location.into());
}

#[test]
fn message_group_report() {
    snapshot_elem("message_group_report", GroupReportElem::default().into());
}

#[test]
fn message_video() {
    snapshot_elem("message_video", VideoElem::default().into());
}

#[test]
fn message_friend_change() {
    let change = FriendChangeElem {
        friend_add_pendency_array: Some(vec![FriendAddPendency::default()]),
        friend_profile_update_item_array: Some(vec![FriendProfileUpdate::default()]),
        ..FriendChangeElem::default()
    };
    snapshot_elem("message_friend_change", change.into());
}

#[test]
fn message_profile_change() {
    let change = ProfileChangeElem {
        user_profile_item: Some(UserProfileItem {
            custom_string_array: Some(vec![UserProfileCustomStringInfo::new(
                "Tag_Profile_Custom_Str",
                "qcloud",
            )]),
            ..UserProfileItem::default()
        }),
        ..ProfileChangeElem::default()
    };
    snapshot_elem("message_profile_change", change.into());
}

#[test]
fn message_unknown_elem() {
    let Value::Object(map) = json!({"elem_type": 99, "future_elem_title": "t"}) else {
        unreachable!()
    };
    snapshot_elem("message_unknown_elem", Elem::Unknown(map));
}

/// A group message with every optional object present.
#[test]
fn message_with_objects() {
    let msg = Message {
        conv_type: Some(ConvType::GROUP),
        sender_profile: Some(UserProfile::default()),
        sender_group_member_info: Some(GroupMemberInfo::default()),
        offline_push_config: Some(OfflinePushConfig::default()),
        ..base_message(Elem::text("hi all"))
    }
    .complete();
    insta::assert_json_snapshot!("message_with_objects", msg);
}

/// Completing an empty message: every scalar key, and no optional object.
#[test]
fn message_empty() {
    insta::assert_json_snapshot!("message_empty", Message::default().complete());
}

#[test]
fn conv_info() {
    let conv = ConvInfo {
        conv_id: Some("user2".into()),
        conv_type: Some(ConvType::C2C),
        last_msg: Some(base_message(Elem::text("12"))),
        draft: Some(Draft::default()),
        ..ConvInfo::default()
    }
    .complete();
    insta::assert_json_snapshot!("conv_info", conv);
}

#[test]
fn msg_locator() {
    insta::assert_json_snapshot!("msg_locator", MsgLocator::default().complete());
}

#[test]
fn sdk_config() {
    let config = SdkConfig {
        opentim_server_address: Some("ws://127.0.0.1:8080".into()),
        ..SdkConfig::default()
    };
    insta::assert_json_snapshot!("sdk_config", config.complete());
}

#[test]
fn set_config() {
    let config = SetConfig {
        proxy_info: Some(ProxyInfo::default()),
        ..SetConfig::default()
    };
    insta::assert_json_snapshot!("set_config", config.complete());
}

/// The unknown element's map is kept exactly (also checked without insta).
#[test]
fn unknown_elem_is_verbatim() {
    let mut map = Map::new();
    map.insert("elem_type".into(), json!(99));
    map.insert("x".into(), json!([1, 2]));
    let v = serde_json::to_value(Elem::Unknown(map.clone())).unwrap();
    assert_eq!(v, Value::Object(map));
}
