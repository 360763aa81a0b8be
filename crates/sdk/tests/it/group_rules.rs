//! The server's authorization table walked end to end: for every group type, every role and
//! every operation a caller can ask for through the SDK, a fresh group is made and the
//! operation tried; what the table allows succeeds, everything else is refused with the code
//! the table's verdict carries.

use opentim_model::enums::ConvType;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};
use opentim_model::group::{
    CreateGroupParam, GroupDeleteMemberParam, GroupGetMemberInfoListParam, GroupInviteMemberParam,
    GroupMemberInfo, GroupModifyInfoParam, GroupModifyMemberInfoParam,
};
use opentim_model::message::Message;
use opentim_sdk::{AttributesMode, Client};
use opentim_server::service::group::rules::{allowed, decide, Op, Role, TYPES};

use crate::support::*;

/// The operations tried (approving a join request has its own test: it needs a request).
const OPS: [Op; 13] = [
    Op::Invite,
    Op::Kick,
    Op::Quit,
    Op::Dismiss,
    Op::ModifyInfo,
    Op::TransferOwner,
    Op::SetRole,
    Op::Mute,
    Op::MuteAll,
    Op::EditMember,
    Op::SetAttributes,
    Op::Read,
    Op::Send,
];

/// Try `op` in group `g` as `c`; the target of member operations is `tgt`, a member.
async fn attempt(c: &Client, g: &str, op: Op) -> opentim_sdk::Result<()> {
    let member = |flag: i64| GroupModifyMemberInfoParam {
        group_id: Some(g.into()),
        identifier: Some("tgt".into()),
        modify_flag: Some(flag),
        member_role: Some(GroupMemberRole::ADMIN),
        shutup_time: Some(60),
        name_card: Some("card".into()),
        ..Default::default()
    };
    let info = |flag: i64| GroupModifyInfoParam {
        group_id: Some(g.into()),
        modify_flag: Some(flag),
        group_name: Some("renamed".into()),
        is_shutup_all: Some(true),
        owner: Some("tgt".into()),
        ..Default::default()
    };
    match op {
        Op::Invite => c
            .invite_members(&GroupInviteMemberParam {
                group_id: Some(g.into()),
                identifier_array: Some(vec!["newbie".into()]),
                ..Default::default()
            })
            .await
            .map(drop),
        Op::Kick => c
            .kick_members(&GroupDeleteMemberParam {
                group_id: Some(g.into()),
                identifier_array: Some(vec!["tgt".into()]),
                ..Default::default()
            })
            .await
            .map(drop),
        Op::Quit => c.quit_group(g).await,
        Op::Dismiss => c.dismiss_group(g).await,
        Op::ModifyInfo => c.modify_group(&info(0x1)).await,
        Op::TransferOwner => c.modify_group(&info(-2_147_483_648)).await,
        Op::MuteAll => c.modify_group(&info(0x100)).await,
        Op::SetRole => c.modify_member(&member(0x2)).await,
        Op::Mute => c.modify_member(&member(0x4)).await,
        Op::EditMember => c.modify_member(&member(0x8)).await,
        Op::SetAttributes => {
            let a = opentim_model::group::GroupAttributes {
                key: Some("k".into()),
                value: Some("v".into()),
            };
            c.change_group_attributes(g, AttributesMode::Set, vec![a], vec![])
                .await
        }
        Op::Read => c
            .group_members(&GroupGetMemberInfoListParam {
                group_id: Some(g.into()),
                ..Default::default()
            })
            .await
            .map(drop),
        Op::Send => c
            .send_message(g, ConvType::GROUP, Message::text(g, ConvType::GROUP, "hi"))
            .await
            .map(drop),
        Op::Approve => unreachable!("not walked here"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cell_of_the_table_holds_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    let owner = device(&s, dir.path(), "owner", "owner", 0).await;
    let admin = device(&s, dir.path(), "adm", "adm", 0).await;
    let member = device(&s, dir.path(), "mem", "mem", 0).await;
    let outsider = device(&s, dir.path(), "out", "out", 0).await;
    // One of the server's admin_accounts (the default), acting as the app administrator.
    let app_admin = device(&s, dir.path(), "administrator", "administrator", 0).await;
    let by = |role: Role| match role {
        Role::AppAdmin => &app_admin.client,
        Role::Owner => &owner.client,
        Role::Admin => &admin.client,
        Role::Member => &member.client,
        Role::Outsider => &outsider.client,
    };
    let mut cells = 0;
    for t in TYPES {
        for role in Role::ALL {
            // A Private group has no admins: its "admin" is a member.
            if t == GroupType::PRIVATE && role == Role::Admin {
                continue;
            }
            for op in OPS {
                let g = format!("g-{}-{:?}-{:?}", t.0, role, op);
                let m = |id: &str, r| GroupMemberInfo {
                    identifier: Some(id.into()),
                    member_role: Some(r),
                    ..Default::default()
                };
                owner
                    .client
                    .create_group(&CreateGroupParam {
                        group_name: Some("rules".into()),
                        group_id: Some(g.clone()),
                        group_type: Some(t),
                        add_option: Some(GroupAddOption::ANY),
                        group_member_array: Some(vec![
                            m("adm", GroupMemberRole::ADMIN),
                            m("mem", GroupMemberRole::NORMAL),
                            m("tgt", GroupMemberRole::NORMAL),
                        ]),
                        ..Default::default()
                    })
                    .await
                    .unwrap_or_else(|e| panic!("create {g}: {e}"));
                let got = attempt(by(role), &g, op).await;
                let want = decide(op, role, t);
                match (&got, &want) {
                    (Ok(()), Ok(())) => {}
                    (Err(e), Err(d)) => assert_eq!(
                        e.code, d.code,
                        "{op:?} by {role:?} in type {}: {e} (the table: {})",
                        t.0, d.desc
                    ),
                    _ => panic!(
                        "{op:?} by {role:?} in type {}: got {got:?}, the table says {:?} (allowed: {:?})",
                        t.0,
                        want,
                        allowed(op, t)
                    ),
                }
                cells += 1;
            }
        }
    }
    assert_eq!(cells, OPS.len() * (TYPES.len() * Role::ALL.len() - 1));
    s.stop().await.unwrap();
}
