//! Who may add whom as a friend, from one table: the rules below are tried in order and the
//! first that holds decides. The friendship service gathers the facts of one request
//! ([`AddFacts`]) from the store and asks [`decide_add`] before any change; the tests walk
//! every combination of the facts and every row of the table.
//!
//! The table follows the SDK's documented rules: a blacklist on either side refuses first;
//! asking again for a friendship that exists is an error; a target who already has the asker
//! as a friend needs no confirmation; otherwise the target's add permission decides (allow
//! anyone: added; deny anyone: refused; need confirmation, or never set: a request waits for
//! the target's answer).

use opentim_model::codes;
use opentim_model::enums::ProfileAddPermission;

/// What holds for one add request (asker adds target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddFacts {
    /// The target is in the asker's blacklist.
    pub asker_blocked_target: bool,
    /// The asker is in the target's blacklist.
    pub target_blocked_asker: bool,
    /// The asker already has the target as a friend.
    pub asker_has_target: bool,
    /// The target already has the asker as a friend.
    pub target_has_asker: bool,
    /// The asker asks for a two-way friendship.
    pub both_ways: bool,
    /// The target's add permission.
    pub permission: ProfileAddPermission,
}

/// What happens to an add request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddVerdict {
    /// Refused with this code (nothing changes).
    Refuse(i32),
    /// The friendship is made at once (the sides asked for).
    Direct,
    /// A request waits for the target's answer (30539 to the asker).
    Request,
}

/// A condition of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    AskerBlockedTarget,
    TargetBlockedAsker,
    /// Every side asked for exists already.
    AlreadyFriends,
    TargetHasAsker,
    Permission(ProfileAddPermission),
    Otherwise,
}

impl Rule {
    fn holds(self, f: &AddFacts) -> bool {
        match self {
            Rule::AskerBlockedTarget => f.asker_blocked_target,
            Rule::TargetBlockedAsker => f.target_blocked_asker,
            Rule::AlreadyFriends => f.asker_has_target && (!f.both_ways || f.target_has_asker),
            Rule::TargetHasAsker => f.target_has_asker,
            Rule::Permission(p) => f.permission == p,
            Rule::Otherwise => true,
        }
    }
}

/// The table, in the order the rules are tried.
pub const ADD_RULES: &[(Rule, AddVerdict)] = &[
    (
        Rule::AskerBlockedTarget,
        AddVerdict::Refuse(codes::ERR_SVR_FRIENDSHIP_IN_SELF_BLACKLIST),
    ),
    (
        Rule::TargetBlockedAsker,
        AddVerdict::Refuse(codes::ERR_SVR_FRIENDSHIP_IN_PEER_BLACKLIST),
    ),
    (
        Rule::AlreadyFriends,
        AddVerdict::Refuse(codes::ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS),
    ),
    (Rule::TargetHasAsker, AddVerdict::Direct),
    (
        Rule::Permission(ProfileAddPermission::ALLOW_ANY),
        AddVerdict::Direct,
    ),
    (
        Rule::Permission(ProfileAddPermission::DENY_ANY),
        AddVerdict::Refuse(codes::ERR_SVR_FRIENDSHIP_ALLOW_TYPE_DENY_ANY),
    ),
    // Need confirmation, and a permission never set (Unknown).
    (Rule::Otherwise, AddVerdict::Request),
];

/// The verdict of the first rule of [`ADD_RULES`] that holds, and that rule's place.
pub fn decide_add(f: &AddFacts) -> (usize, AddVerdict) {
    ADD_RULES
        .iter()
        .enumerate()
        .find(|(_, (rule, _))| rule.holds(f))
        .map(|(i, (_, verdict))| (i, *verdict))
        .unwrap_or((ADD_RULES.len(), AddVerdict::Request))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERMISSIONS: [ProfileAddPermission; 4] = [
        ProfileAddPermission::UNKNOWN,
        ProfileAddPermission::ALLOW_ANY,
        ProfileAddPermission::NEED_CONFIRM,
        ProfileAddPermission::DENY_ANY,
    ];

    /// Every combination of the facts.
    fn all_facts() -> Vec<AddFacts> {
        let mut out = Vec::new();
        for bits in 0..32u32 {
            for permission in PERMISSIONS {
                let bit = |i: u32| bits & (1 << i) != 0;
                out.push(AddFacts {
                    asker_blocked_target: bit(0),
                    target_blocked_asker: bit(1),
                    asker_has_target: bit(2),
                    target_has_asker: bit(3),
                    both_ways: bit(4),
                    permission,
                });
            }
        }
        out
    }

    #[test]
    fn every_combination_gets_the_documented_verdict() {
        for f in all_facts() {
            let (_, verdict) = decide_add(&f);
            let already = f.asker_has_target && (!f.both_ways || f.target_has_asker);
            let expected = if f.asker_blocked_target {
                AddVerdict::Refuse(30515)
            } else if f.target_blocked_asker {
                AddVerdict::Refuse(30525)
            } else if already {
                AddVerdict::Refuse(30001)
            } else if f.target_has_asker {
                AddVerdict::Direct
            } else {
                match f.permission {
                    ProfileAddPermission::ALLOW_ANY => AddVerdict::Direct,
                    ProfileAddPermission::DENY_ANY => AddVerdict::Refuse(30516),
                    _ => AddVerdict::Request,
                }
            };
            assert_eq!(verdict, expected, "{f:?}");
        }
    }

    #[test]
    fn a_blacklist_refuses_whatever_else_holds() {
        for f in all_facts() {
            if f.asker_blocked_target || f.target_blocked_asker {
                assert!(matches!(decide_add(&f).1, AddVerdict::Refuse(_)), "{f:?}");
            }
        }
    }

    #[test]
    fn nobody_is_added_against_deny_any_unless_they_have_the_asker() {
        for f in all_facts() {
            if f.permission == ProfileAddPermission::DENY_ANY && !f.target_has_asker {
                assert_ne!(decide_add(&f).1, AddVerdict::Direct, "{f:?}");
                assert_ne!(decide_add(&f).1, AddVerdict::Request, "{f:?}");
            }
        }
    }

    #[test]
    fn every_row_of_the_table_decides_some_request() {
        let decided: std::collections::BTreeSet<usize> =
            all_facts().iter().map(|f| decide_add(f).0).collect();
        assert_eq!(
            decided,
            (0..ADD_RULES.len()).collect(),
            "a row no request reaches"
        );
    }
}
