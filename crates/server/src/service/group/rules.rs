//! Who may do what in a group, from one table: for each operation and group type, the roles
//! allowed. The group service asks [`decide`] (and [`decide_join`] for a join) before every
//! change, and refuses with the code and text the verdict carries. The tests below walk every
//! cell of the table.
//!
//! The table follows the SDK's documented rules: a Private (work) group is run by its members
//! and joined by invitation only; Public and ChatRoom groups by the owner and admins, joined
//! as the add option says; AVChatRoom and BChatRoom (broadcast) groups have no invitations,
//! kicks or roles, and are joined freely. The owner never quits a group other than a Private
//! one: it transfers ownership or dismisses the group. An app administrator (the REST API's
//! caller, who is no member) may do whatever the owner may, and dismiss a Private group, which
//! nobody else can; it never quits.

use opentim_model::codes;
use opentim_model::enums::{GroupAddOption, GroupMemberRole, GroupType};

/// What the caller is in the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Not a member.
    Outsider,
    Member,
    Admin,
    Owner,
    /// An app administrator (`admin_accounts`) who is not a member.
    AppAdmin,
}

impl Role {
    /// The role of a member row (`None` for no row).
    pub fn of(role: Option<GroupMemberRole>) -> Role {
        match role {
            None | Some(GroupMemberRole::NONE) => Role::Outsider,
            Some(GroupMemberRole::OWNER) => Role::Owner,
            Some(GroupMemberRole::ADMIN) => Role::Admin,
            Some(_) => Role::Member,
        }
    }

    pub const ALL: [Role; 5] = [
        Role::Outsider,
        Role::Member,
        Role::Admin,
        Role::Owner,
        Role::AppAdmin,
    ];
}

/// An operation on a group, other than joining it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Add users to the group (`TIMGroupInviteMember`).
    Invite,
    /// Remove members (`TIMGroupDeleteMember`).
    Kick,
    /// Leave the group (`TIMGroupQuit`).
    Quit,
    /// Dismiss the group (`TIMGroupDelete`).
    Dismiss,
    /// Change the name, notice, introduction, face, add option, limits, mute-all or custom
    /// fields (`TIMGroupModifyGroupInfo` without the owner flag).
    ModifyInfo,
    /// Hand ownership to another member (`kTIMGroupModifyInfoFlag_Owner`).
    TransferOwner,
    /// Make a member an admin, or an admin a member (`kTIMGroupMemberModifyFlag_MemberRole`).
    SetRole,
    /// Mute a member for a time, or unmute (`kTIMGroupMemberModifyFlag_ShutupTime`).
    Mute,
    /// Mute or unmute every member but the owner and admins (`kTIMGroupModifyInfoFlag_ShutupAll`).
    MuteAll,
    /// Change another member's name card or custom fields (one's own is always allowed).
    EditMember,
    /// Accept or refuse a request to join (`TIMGroupHandlePendency`).
    Approve,
    /// Change the group's attributes (`TIMGroupSetGroupAttributes` ...).
    SetAttributes,
    /// Read the group's profile and member list.
    Read,
    /// Send a message to the group.
    Send,
}

impl Op {
    pub const ALL: [Op; 14] = [
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
        Op::Approve,
        Op::SetAttributes,
        Op::Read,
        Op::Send,
    ];
}

/// The group types the table covers.
pub const TYPES: [GroupType; 5] = [
    GroupType::PUBLIC,
    GroupType::PRIVATE,
    GroupType::CHAT_ROOM,
    GroupType::B_CHAT_ROOM,
    GroupType::AV_CHAT_ROOM,
];

const MEMBERS: &[Role] = &[Role::Member, Role::Admin, Role::Owner, Role::AppAdmin];
const MANAGERS: &[Role] = &[Role::Admin, Role::Owner, Role::AppAdmin];
const OWNER: &[Role] = &[Role::Owner, Role::AppAdmin];
/// Who may quit a Private group: its members (an administrator is none).
const ANY_MEMBER: &[Role] = &[Role::Member, Role::Admin, Role::Owner];
const NOT_OWNER: &[Role] = &[Role::Member, Role::Admin];
const APP_ADMIN: &[Role] = &[Role::AppAdmin];
const NOBODY: &[Role] = &[];

/// Whether a group type is a broadcast room (no invitations, kicks or roles).
fn broadcast(t: GroupType) -> bool {
    t == GroupType::AV_CHAT_ROOM || t == GroupType::B_CHAT_ROOM
}

/// The roles allowed to do `op` in a group of type `t`.
pub fn allowed(op: Op, t: GroupType) -> &'static [Role] {
    let private = t == GroupType::PRIVATE;
    match op {
        Op::Invite if broadcast(t) => NOBODY,
        Op::Invite if private => MEMBERS,
        Op::Invite => MANAGERS,
        Op::Kick if broadcast(t) => NOBODY,
        Op::Kick if private => OWNER,
        Op::Kick => MANAGERS,
        Op::Quit if private => ANY_MEMBER,
        Op::Quit => NOT_OWNER,
        Op::Dismiss if private => APP_ADMIN,
        Op::Dismiss => OWNER,
        Op::ModifyInfo if private => MEMBERS,
        Op::ModifyInfo => MANAGERS,
        Op::TransferOwner if broadcast(t) => NOBODY,
        Op::TransferOwner => OWNER,
        Op::SetRole if broadcast(t) || private => NOBODY,
        Op::SetRole => OWNER,
        Op::Mute | Op::MuteAll | Op::EditMember if private => OWNER,
        Op::Mute | Op::MuteAll | Op::EditMember => MANAGERS,
        Op::Approve if private || broadcast(t) => NOBODY,
        Op::Approve => MANAGERS,
        Op::Read | Op::Send | Op::SetAttributes => MEMBERS,
    }
}

/// A refusal: the code the caller gets and a text that says why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    pub code: i32,
    pub desc: String,
}

fn denied(code: i32, desc: impl Into<String>) -> Denied {
    Denied {
        code,
        desc: desc.into(),
    }
}

/// The name of a group type in texts.
pub fn type_name(t: GroupType) -> &'static str {
    GroupType::NAMES
        .iter()
        .find(|(_, g)| *g == t)
        .map_or("unknown", |(n, _)| n)
}

/// May `role` do `op` in a group of type `t`?
pub fn decide(op: Op, role: Role, t: GroupType) -> Result<(), Denied> {
    if allowed(op, t).contains(&role) {
        return Ok(());
    }
    let kind = type_name(t);
    Err(match (op, role) {
        (_, Role::Outsider) if op != Op::Quit => denied(
            codes::ERR_SVR_GROUP_PERMISSION_DENY,
            "only members of the group may do this; join it first",
        ),
        (Op::Quit, Role::Outsider | Role::AppAdmin) => denied(
            codes::ERR_SVR_GROUP_PERMISSION_DENY,
            "you are not a member of this group",
        ),
        (Op::Quit, Role::Owner) => denied(
            codes::ERR_SVR_GROUP_SUPER_NOT_ALLOW_QUIT,
            format!("the owner cannot quit a {kind} group: transfer ownership or dismiss it"),
        ),
        _ if allowed(op, t).is_empty() => denied(
            codes::ERR_SVR_GROUP_PERMISSION_DENY,
            format!("{op:?} is not possible in a {kind} group"),
        ),
        _ => {
            let who: Vec<&str> = allowed(op, t).iter().map(|r| role_name(*r)).collect();
            denied(
                codes::ERR_SVR_GROUP_PERMISSION_DENY,
                format!(
                    "in a {kind} group only the {} may do {op:?}",
                    who.join(" or ")
                ),
            )
        }
    })
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Outsider => "outsiders",
        Role::Member => "members",
        Role::Admin => "admins",
        Role::Owner => "owner",
        Role::AppAdmin => "app administrators",
    }
}

/// May `actor` act on `target` (kick, mute, change the role of)? Only on someone of a lower
/// role: admins on members, the owner (and an app administrator) on admins and members; nobody
/// on the owner, nobody on oneself.
pub fn outranks(actor: Role, target: Role, same_user: bool) -> Result<(), Denied> {
    if same_user {
        return Err(denied(
            codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
            "this cannot be done to oneself",
        ));
    }
    if target == Role::Outsider {
        return Err(denied(
            codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
            "the user is not a member of the group",
        ));
    }
    match actor > target && target != Role::Owner {
        true => Ok(()),
        false => Err(denied(
            codes::ERR_SVR_GROUP_PERMISSION_DENY,
            format!(
                "only the owner acts on admins, and nobody on the owner ({} on {})",
                role_name(actor),
                role_name(target)
            ),
        )),
    }
}

/// How a join request is answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Join {
    /// Joined at once.
    Joined,
    /// A request goes to the owner and admins, who approve or reject it.
    NeedsApproval,
    /// Refused.
    Refused(Denied),
}

/// How a request by an outsider to join a group of type `t` with add option `opt` is answered.
pub fn decide_join(t: GroupType, opt: GroupAddOption) -> Join {
    if t == GroupType::PRIVATE {
        return Join::Refused(denied(
            codes::ERR_SVR_GROUP_PERMISSION_DENY,
            "a Private group is joined by invitation only",
        ));
    }
    if broadcast(t) {
        return Join::Joined;
    }
    match opt {
        GroupAddOption::ANY => Join::Joined,
        GroupAddOption::AUTH => Join::NeedsApproval,
        _ => Join::Refused(denied(
            codes::ERR_SVR_GROUP_PERMISSION_DENY,
            format!("this {} group accepts no requests to join", type_name(t)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cell of the table: an allowed role passes; every other role is refused with a
    /// documented group code and a text that says why.
    #[test]
    fn every_cell_of_the_table_has_a_verdict_with_a_documented_code() {
        let documented = [
            codes::ERR_SVR_GROUP_PERMISSION_DENY,
            codes::ERR_SVR_GROUP_SUPER_NOT_ALLOW_QUIT,
        ];
        let mut cells = 0;
        for op in Op::ALL {
            for t in TYPES {
                for role in Role::ALL {
                    cells += 1;
                    match decide(op, role, t) {
                        Ok(()) => assert!(allowed(op, t).contains(&role)),
                        Err(d) => {
                            assert!(!allowed(op, t).contains(&role), "{op:?} {role:?} {t:?}");
                            assert!(documented.contains(&d.code), "{op:?} {role:?} {t:?}: {d:?}");
                            assert!(!d.desc.is_empty());
                            assert!(
                                opentim_model::tables::ERROR_CODES
                                    .iter()
                                    .any(|(_, n)| *n == d.code),
                                "code {} is in the spec's table",
                                d.code
                            );
                        }
                    }
                }
            }
        }
        assert_eq!(cells, Op::ALL.len() * TYPES.len() * Role::ALL.len());
        // An outsider may do nothing but ask to join.
        for op in Op::ALL {
            for t in TYPES {
                assert!(decide(op, Role::Outsider, t).is_err(), "{op:?} {t:?}");
            }
        }
    }

    /// The rules of the SDK's documentation, one statement each.
    #[test]
    fn the_table_says_what_the_documentation_says() {
        let ok = |op, role, t| decide(op, role, t).is_ok();
        use GroupType as G;
        use Role::*;
        // Private: members invite directly; only the creator kicks; anyone quits; nobody
        // dismisses; any member edits the profile.
        assert!(ok(Op::Invite, Member, G::PRIVATE));
        assert!(!ok(Op::Kick, Admin, G::PRIVATE) && ok(Op::Kick, Owner, G::PRIVATE));
        assert!(ok(Op::Quit, Owner, G::PRIVATE) && ok(Op::Quit, Member, G::PRIVATE));
        assert!(!ok(Op::Dismiss, Owner, G::PRIVATE));
        // An app administrator: the owner's rights everywhere, the only one to dismiss a
        // Private group, never quitting.
        for t in TYPES {
            for op in Op::ALL {
                if op != Op::Quit && decide(op, Owner, t).is_ok() {
                    assert!(ok(op, AppAdmin, t), "{op:?} {t:?}");
                }
            }
            assert!(!ok(Op::Quit, AppAdmin, t));
        }
        assert!(ok(Op::Dismiss, AppAdmin, G::PRIVATE));
        assert!(ok(Op::ModifyInfo, Member, G::PRIVATE));
        for t in [G::PUBLIC, G::CHAT_ROOM] {
            assert!(ok(Op::Invite, Admin, t) && !ok(Op::Invite, Member, t));
            assert!(ok(Op::Kick, Admin, t) && ok(Op::Kick, Owner, t) && !ok(Op::Kick, Member, t));
            assert!(ok(Op::Dismiss, Owner, t) && !ok(Op::Dismiss, Admin, t));
            assert!(ok(Op::ModifyInfo, Admin, t) && !ok(Op::ModifyInfo, Member, t));
            assert!(ok(Op::SetRole, Owner, t) && !ok(Op::SetRole, Admin, t));
            assert!(ok(Op::Mute, Admin, t) && !ok(Op::Mute, Member, t));
            assert!(ok(Op::TransferOwner, Owner, t) && !ok(Op::TransferOwner, Admin, t));
            assert!(ok(Op::MuteAll, Admin, t) && !ok(Op::MuteAll, Member, t));
            assert!(ok(Op::Approve, Admin, t) && !ok(Op::Approve, Member, t));
        }
        // Nobody approves requests where nobody asks: Private groups and broadcast rooms.
        for t in [G::PRIVATE, G::AV_CHAT_ROOM, G::B_CHAT_ROOM] {
            assert!(allowed(Op::Approve, t).is_empty());
        }
        // The owner of anything but a Private group cannot quit.
        for t in [G::PUBLIC, G::CHAT_ROOM, G::AV_CHAT_ROOM, G::B_CHAT_ROOM] {
            let e = decide(Op::Quit, Owner, t).unwrap_err();
            assert_eq!(e.code, codes::ERR_SVR_GROUP_SUPER_NOT_ALLOW_QUIT);
            assert!(ok(Op::Quit, Member, t));
        }
        // Broadcast rooms: no invitations, kicks, roles or ownership transfer.
        for t in [G::AV_CHAT_ROOM, G::B_CHAT_ROOM] {
            for op in [Op::Invite, Op::Kick, Op::SetRole, Op::TransferOwner] {
                for role in Role::ALL {
                    assert!(!ok(op, role, t), "{op:?} {role:?} {t:?}");
                }
            }
            assert!(ok(Op::Dismiss, Owner, t));
        }
    }

    #[test]
    fn joining_follows_the_type_and_the_add_option() {
        use GroupAddOption as A;
        use GroupType as G;
        for opt in [A::ANY, A::AUTH, A::FORBID] {
            assert!(matches!(decide_join(G::PRIVATE, opt), Join::Refused(_)));
            assert_eq!(decide_join(G::AV_CHAT_ROOM, opt), Join::Joined);
            assert_eq!(decide_join(G::B_CHAT_ROOM, opt), Join::Joined);
        }
        for t in [G::PUBLIC, G::CHAT_ROOM] {
            assert_eq!(decide_join(t, A::ANY), Join::Joined);
            assert_eq!(decide_join(t, A::AUTH), Join::NeedsApproval);
            let Join::Refused(d) = decide_join(t, A::FORBID) else {
                panic!("a Forbid group refuses");
            };
            assert_eq!(d.code, codes::ERR_SVR_GROUP_PERMISSION_DENY);
        }
    }

    #[test]
    fn only_a_higher_role_acts_on_a_member() {
        use Role::*;
        assert!(outranks(Admin, Member, false).is_ok());
        assert!(outranks(Owner, Admin, false).is_ok());
        assert!(outranks(Admin, Admin, false).is_err());
        assert!(outranks(Admin, Owner, false).is_err());
        assert!(outranks(AppAdmin, Admin, false).is_ok());
        assert!(
            outranks(AppAdmin, Owner, false).is_err(),
            "nobody on the owner"
        );
        assert!(outranks(Owner, Owner, true).is_err(), "not on oneself");
        assert_eq!(
            outranks(Owner, Outsider, false).unwrap_err().code,
            codes::ERR_SVR_GROUP_INVALID_PARAMETERS
        );
    }
}
