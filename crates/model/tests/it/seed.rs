//! The seed's JSON examples, round-tripped through the model.
//!
//! `fixtures/*.json` are the seed's examples copied verbatim, with only these edits to make
//! them JSON: the trailing comma of TIMRecvNewMsgCallback Example 4 (`},\n]`) removed; the
//! `0xffffffff` literals of TIMCommCallback Example 1 written as 4294967295; and the `...`
//! elision line (plus the comma before it) removed from TIMCommCallback Examples 5 and 6.

use opentim_model::{
    ConvInfo, CreateGroupResult, Elem, ElemType, FriendAddPendency, FriendProfileUpdate,
    GetGroupInfoResult, GroupBaseInfo, GroupDeleteMemberResult, GroupInviteMemberResult,
    GroupMemberInfo, GroupMemberRole, GroupPendencyResult, GroupReportType, GroupTipType,
    GroupType, HandleGroupMemberResult, Message, MsgStatus, SetConfig, UserConfig, UserProfile,
};
use serde_json::{json, Value};

use crate::util::{assert_same_shape, key_paths, leaves, round_trip};

macro_rules! fixture {
    ($name:literal) => {
        ($name, include_str!(concat!("fixtures/", $name, ".json")))
    };
}

/// TIMRecvNewMsgCallback Example 2 (also the shape of TIMMsgUpdateCallback).
#[test]
fn recv_new_msg_text() {
    let (name, text) = fixture!("recv_new_msg_text");
    let (msgs, out) = round_trip::<Vec<Message>>(name, text);
    let m = &msgs[0];
    assert_eq!(m.elem_array[0], Elem::text("123213213"));
    assert_eq!(m.rand, Some(2130485001));
    assert_eq!(m.status, Some(MsgStatus::SEND_SUCC));
    assert_eq!(out[0]["message_rand"], json!(2130485001u64));
}

/// TIMRecvNewMsgCallback Example 3: a group report sent with the seed's elem_type 9, read as
/// kTIMElem_GroupReport (8) by its keys.
#[test]
fn recv_new_msg_group_report() {
    let (name, text) = fixture!("recv_new_msg_group_report");
    let (msgs, out) = round_trip::<Vec<Message>>(name, text);
    let m = &msgs[0];
    assert_eq!(m.rand, Some(2207687390));
    assert_eq!(out[0]["message_rand"].as_u64(), Some(2207687390));
    assert_eq!(m.sender.as_deref(), Some("@TIM#SYSTEM"));
    let Elem::GroupReport(report) = &m.elem_array[0] else {
        panic!("not a group report: {:?}", m.elem_array[0]);
    };
    assert_eq!(report.report_type, Some(GroupReportType::CREATE));
    let member = report.op_group_memberinfo.as_ref().unwrap();
    assert_eq!(member.identifier.as_deref(), Some("user1"));
    assert_eq!(member.custom_info, Some(vec![]));
    let elem = &out[0]["message_elem_array"][0];
    assert_eq!(elem["elem_type"], json!(8));
    // `{}` is read as an empty array and written as one (decision 5); the key stays.
    assert_eq!(
        elem["group_report_elem_op_group_memberinfo"]["group_member_info_custom_info"],
        json!([])
    );
}

/// TIMRecvNewMsgCallback Example 4: a group tip sent with the seed's elem_type 6, read as
/// kTIMElem_GroupTips (5); the old change flag 10 is kept as an unknown value.
#[test]
fn recv_new_msg_group_tips() {
    let (name, text) = fixture!("recv_new_msg_group_tips");
    let (msgs, out) = round_trip::<Vec<Message>>(name, text);
    let Elem::GroupTips(tips) = &msgs[0].elem_array[0] else {
        panic!("not group tips: {:?}", msgs[0].elem_array[0]);
    };
    assert_eq!(tips.tip_type, Some(GroupTipType::GROUP_INFO_CHANGE));
    let change = &tips.group_change_info_array.as_ref().unwrap()[0];
    assert_eq!(change.flag.map(|f| f.0), Some(10));
    assert_eq!(
        out[0]["message_elem_array"][0]["elem_type"],
        json!(ElemType::GROUP_TIPS.0)
    );
}

/// TIMCommCallback Example 2 (TIMConvCreate).
#[test]
fn conv_create() {
    let (name, text) = fixture!("conv_create");
    let (conv, out) = round_trip::<ConvInfo>(name, text);
    let last = conv.last_msg.as_ref().unwrap();
    assert_eq!(last.rand, Some(3726251374));
    assert_eq!(last.seq, Some(56858));
    assert_eq!(
        out["conv_last_msg"]["message_rand"].as_u64(),
        Some(3726251374)
    );
    assert_eq!(conv.is_has_draft, Some(false));
    assert!(conv.draft.is_none());
}

/// TIMCommCallback Example 3 (TIMConvGetConvList).
#[test]
fn conv_get_conv_list() {
    let (name, text) = fixture!("conv_get_conv_list");
    let (convs, _) = round_trip::<Vec<ConvInfo>>(name, text);
    assert_eq!(convs[0].last_msg.as_ref().unwrap().seq, Some(16373));
}

/// TIMCommCallback Example 4 (TIMMsgSendNewMsg).
#[test]
fn msg_send_new_msg() {
    let (name, text) = fixture!("msg_send_new_msg");
    let (m, _) = round_trip::<Message>(name, text);
    assert_eq!(m.custom_int, Some(0));
    assert_eq!(m.is_online_msg, Some(false));
    assert_eq!(m.rand, Some(1340036983));
    assert_eq!(m.seq, Some(20447));
}

/// TIMCommCallback Examples 5 and 6 (TIMMsgFindByMsgLocatorList, TIMMsgGetMsgList).
#[test]
fn msg_lists() {
    for (name, text) in [
        fixture!("msg_find_by_msg_locator_list"),
        fixture!("msg_get_msg_list"),
    ] {
        let (msgs, _) = round_trip::<Vec<Message>>(name, text);
        assert_eq!(msgs.len(), 1);
    }
}

/// TIMCommCallback Example 8 (TIMMsgBatchSend): the messages inside each result.
#[test]
fn msg_batch_send() {
    let (name, text) = fixture!("msg_batch_send");
    let results: Vec<Value> = serde_json::from_str(text).unwrap();
    assert_eq!(results.len(), 2);
    for r in &results {
        let inner = &r["msg_batch_send_result_msg"];
        let m: Message = serde_json::from_value(inner.clone()).unwrap();
        assert_same_shape(name, inner, &serde_json::to_value(&m).unwrap());
        assert_eq!(m.seq, inner["message_seq"].as_u64());
    }
}

/// TIMCommCallback Example 14 (TIMGroupGetMemberInfoList): member info, owner role 400.
#[test]
fn group_get_member_info_list() {
    let (name, text) = fixture!("group_get_member_info_list");
    let v: Value = serde_json::from_str(text).unwrap();
    let items = &v["group_get_memeber_info_list_result_info_array"];
    let (members, _) = round_trip::<Vec<GroupMemberInfo>>(name, &items.to_string());
    assert_eq!(members[0].member_role, Some(GroupMemberRole::OWNER));
    assert_eq!(members[0].join_time, Some(1551344977));
}

/// TIMCommCallback Example 9 (TIMGroupCreate).
#[test]
fn group_create() {
    let (name, text) = fixture!("group_create");
    let (r, _) = round_trip::<CreateGroupResult>(name, text);
    assert_eq!(r.group_id.as_deref(), Some("first group id"));
}

/// TIMCommCallback Examples 10 and 11 (TIMGroupInviteMember, TIMGroupDeleteMember).
#[test]
fn group_invite_and_delete_member() {
    let (name, text) = fixture!("group_invite_member");
    let (invited, _) = round_trip::<Vec<GroupInviteMemberResult>>(name, text);
    assert_eq!(invited[1].identifier.as_deref(), Some("user3"));
    assert_eq!(
        invited[0].result,
        Some(HandleGroupMemberResult::HANDLED_SUC)
    );
    let (name, text) = fixture!("group_delete_member");
    let (deleted, _) = round_trip::<Vec<GroupDeleteMemberResult>>(name, text);
    assert_eq!(deleted.len(), 2);
}

/// TIMCommCallback Example 12 (TIMGroupGetJoinedGroupList): the group type arrives as a name.
#[test]
fn group_get_joined_group_list() {
    let (name, text) = fixture!("group_get_joined_group_list");
    let groups: Vec<GroupBaseInfo> = serde_json::from_str(text).unwrap();
    assert_eq!(groups[0].group_type, Some(GroupType::PUBLIC));
    // Written as the number (decision 4); everything else unchanged.
    let (groups, out) = round_trip::<Vec<GroupBaseInfo>>(name, &text.replace("\"Public\"", "0"));
    let own = groups[0].self_info.as_ref().unwrap();
    assert_eq!(own.role, Some(GroupMemberRole::OWNER));
    let completed = serde_json::to_value(groups[0].clone().complete()).unwrap();
    assert_eq!(
        key_paths(&out[0]),
        key_paths(&completed),
        "complete() adds no key"
    );
}

/// TIMCommCallback Example 13 (TIMGroupGetGroupInfoList): `{}` custom info reads as `[]`.
#[test]
fn group_get_group_info_list() {
    let (name, text) = fixture!("group_get_group_info_list");
    let parsed: Vec<GetGroupInfoResult> = serde_json::from_str(text).unwrap();
    let info = parsed[0].info.as_ref().unwrap();
    assert_eq!(info.group_type, Some(GroupType::PUBLIC));
    // Written as the number (decision 4); everything else unchanged.
    let (results, out) =
        round_trip::<Vec<GetGroupInfoResult>>(name, &text.replace("\"Public\"", "0"));
    let info = results[0].info.as_ref().unwrap();
    assert_eq!(info.owner_identifier.as_deref(), Some("user1"));
    assert_eq!(info.max_member_num, Some(2000));
    assert_eq!(info.custom_info, Some(vec![]));
    let completed = serde_json::to_value(info.clone().complete()).unwrap();
    assert_eq!(
        key_paths(&out[0]["get_groups_info_result_info"]),
        key_paths(&completed),
        "complete() adds no key"
    );
}

/// TIMCommCallback Example 15 (TIMGroupGetPendencyList): a millisecond add time.
#[test]
fn group_get_pendency_list() {
    let (name, text) = fixture!("group_get_pendency_list");
    let (r, out) = round_trip::<GroupPendencyResult>(name, text);
    let p = &r.pendency_array.as_ref().unwrap()[0];
    assert_eq!(p.add_time, Some(1551414487947));
    assert_eq!(p.from_identifier.as_deref(), Some("user2"));
    let completed = serde_json::to_value(p.clone().complete()).unwrap();
    assert_eq!(
        key_paths(&out["group_pendency_result_pendency_array"][0]),
        key_paths(&completed),
        "complete() adds no later key"
    );
}

/// TIMCommCallback Example 16 (TIMProfileGetUserProfileList).
#[test]
fn profile_get_user_profile_list() {
    let (name, text) = fixture!("profile_get_user_profile_list");
    let (profiles, _) = round_trip::<Vec<UserProfile>>(name, text);
    assert_eq!(profiles[0].nick_name.as_deref(), Some("User1NickName"));
}

/// TIMUpdateFriendProfileCallback example (the item of a FriendChange element).
#[test]
fn update_friend_profile() {
    let (name, text) = fixture!("update_friend_profile");
    let (updates, _) = round_trip::<Vec<FriendProfileUpdate>>(name, text);
    let item = updates[0].item.as_ref().unwrap();
    assert_eq!(item.remark.as_deref(), Some("New Remark"));
}

/// TIMFriendAddRequestCallback example (the item of a FriendChange element).
#[test]
fn friend_add_request() {
    let (name, text) = fixture!("friend_add_request");
    let (pendencies, _) = round_trip::<Vec<FriendAddPendency>>(name, text);
    assert_eq!(pendencies[0].identifier.as_deref(), Some("v222"));
}

/// TIMCommCallback Example 1 (TIMSetConfig): the answer has exactly the example's keys and
/// values (`set_config_proxy_info` included, the options under their `get_info_option_*`
/// names), and those names are read on input too.
#[test]
fn set_config() {
    let (name, text) = fixture!("set_config");
    let input: Value = serde_json::from_str(text).unwrap();
    let config: SetConfig = serde_json::from_str(text).unwrap();
    let answer = serde_json::to_value(config.answer()).unwrap();
    assert_eq!(key_paths(&input), key_paths(&answer), "{name}");
    assert_eq!(leaves(&input), leaves(&answer), "{name}");

    assert_eq!(config.proxy_info.as_ref().unwrap().port, Some(0));
    let user = config.user_config.as_ref().unwrap();
    assert_eq!(user.is_ignore_grouptips_unread, Some(false));
    let member = user.group_member_getinfo_option.as_ref().unwrap();
    assert_eq!(
        member.info_flag,
        Some(0xffff_ffff),
        "read from get_info_option_info_flag"
    );
    assert_eq!(member.role_flag, Some(0));
    assert_eq!(member.custom_array, Some(vec![]));
    // The spec's names are read as well, and win over nothing: both spellings mean one field.
    let spec: UserConfig = serde_json::from_str(
        r#"{"user_config_group_member_getinfo_option": {"group_member_get_info_option_role_flag": 4}}"#,
    )
    .unwrap();
    assert_eq!(spec.group_member_getinfo_option.unwrap().role_flag, Some(4));
    let default = serde_json::to_value(SetConfig::default().answer()).unwrap();
    assert_eq!(
        key_paths(&input),
        key_paths(&default),
        "the default answer has the same keys"
    );
}

/// A group tip and a group notice as the server makes them (every key filled by `complete`)
/// have exactly the key sets of the seed's examples.
#[test]
fn completed_tips_and_notices_have_the_seeds_key_sets() {
    use opentim_model::{GroupReportElem, GroupTipsElem};
    for (name, text, elem) in [
        (
            "recv_new_msg_group_tips",
            include_str!("fixtures/recv_new_msg_group_tips.json"),
            Elem::GroupTips(GroupTipsElem::default().complete()),
        ),
        (
            "recv_new_msg_group_report",
            include_str!("fixtures/recv_new_msg_group_report.json"),
            Elem::GroupReport(GroupReportElem::default().complete()),
        ),
    ] {
        // Keys of objects, not of the items of the example's arrays.
        let objects = |v: &Value| -> std::collections::BTreeSet<String> {
            key_paths(v)
                .into_iter()
                .filter(|p| !p.split('/').any(|s| s.parse::<usize>().is_ok()))
                .collect()
        };
        let seed: Value = serde_json::from_str(text).unwrap();
        let want = objects(&seed[0]["message_elem_array"][0]);
        let got = objects(&serde_json::to_value(&elem).unwrap());
        assert_eq!(got, want, "{name}");
    }
}

/// A profile the server makes (every key filled by `complete`, no custom fields) has exactly
/// the key set of the seed's TIMProfileGetUserProfileList answer (Example 16).
#[test]
fn a_completed_profile_has_the_seeds_key_set() {
    let seed: Value =
        serde_json::from_str(include_str!("fixtures/profile_get_user_profile_list.json")).unwrap();
    let profile = UserProfile {
        identifier: Some("user1".into()),
        custom_string_array: Some(vec![]),
        ..Default::default()
    }
    .complete();
    let got = key_paths(&serde_json::to_value(&profile).unwrap());
    assert_eq!(got, key_paths(&seed[0]));
}
