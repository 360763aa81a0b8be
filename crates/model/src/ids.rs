//! Validated identifiers, shared by the server and the SDK.
//!
//! An id is checked once, where it enters (a frame, a C argument), and carried as its newtype
//! from then on, so a user id can never be passed where a group id belongs. The longest allowed
//! id is a server setting (`max_user_id_bytes`), so parsing takes the limit; the SDK, which does
//! not know the server's setting, parses with [`UserId::parse_unbounded`] and lets the server
//! decide.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Empty,
    TooLong { max: usize },
    BadChar,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Empty => f.write_str("the id is empty"),
            IdError::TooLong { max } => write!(f, "the id is longer than {max} bytes"),
            IdError::BadChar => {
                f.write_str("the id must be printable ASCII without spaces or control characters")
            }
        }
    }
}

impl std::error::Error for IdError {}

fn check(id: &str, max_bytes: usize) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > max_bytes {
        return Err(IdError::TooLong { max: max_bytes });
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(IdError::BadChar);
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Check `id` against the id rules with `max_bytes` as the longest length.
            pub fn parse(id: &str, max_bytes: usize) -> Result<Self, IdError> {
                check(id, max_bytes).map(|()| $name(id.to_owned()))
            }

            /// Check everything but the length (the server checks that against its setting).
            pub fn parse_unbounded(id: &str) -> Result<Self, IdError> {
                Self::parse(id, usize::MAX)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
    };
}

id_type!(
    /// A user id (`identifier`): 1 to `max_user_id_bytes` bytes of printable ASCII.
    UserId
);
id_type!(
    /// A group id: 1 to `max_group_id_bytes` bytes of printable ASCII.
    GroupId
);

/// The key of one conversation as the server stores it: a C2C pair (the same from both sides)
/// or a group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConvKey {
    /// The two users, lower id first.
    C2c(UserId, UserId),
    Group(GroupId),
}

impl ConvKey {
    /// The C2C conversation between `a` and `b`.
    pub fn c2c(a: &UserId, b: &UserId) -> Self {
        if a <= b {
            ConvKey::C2c(a.clone(), b.clone())
        } else {
            ConvKey::C2c(b.clone(), a.clone())
        }
    }

    /// The conversation as one stored string. Ids are printable ASCII, so `'\n'` separates them
    /// and the forms cannot collide.
    pub fn storage_key(&self) -> String {
        match self {
            ConvKey::C2c(lo, hi) => format!("c2c\n{lo}\n{hi}"),
            ConvKey::Group(g) => format!("group\n{g}"),
        }
    }
}
