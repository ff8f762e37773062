//! Dense identifiers for acceptors and learners.

use std::fmt;

/// The most acceptors a cluster may have: sets of them are
/// [`ACCEPTOR_WORDS`](crate::bitset::ACCEPTOR_WORDS)-word bitsets.
pub const MAX_ACCEPTORS: usize = 1024;

/// The most learners a cluster may have: sets of them are 128-bit bitsets.
pub const MAX_LEARNERS: usize = 128;

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident, $repr:ty, $max:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name($repr);

        impl $name {
            #[doc = concat!("The id with dense index `index`, if it is below [`", stringify!($max), "`].")]
            pub fn new(index: usize) -> Option<Self> {
                if index < $max {
                    <$repr>::try_from(index).ok().map(Self)
                } else {
                    None
                }
            }

            /// The dense index.
            pub fn index(self) -> usize {
                usize::from(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

dense_id!(
    /// An acceptor: a dense index into the cluster's acceptor list.
    AcceptorId,
    u16,
    MAX_ACCEPTORS,
    "acceptor#"
);
dense_id!(
    /// A learner: a dense index into the cluster's learner list.
    LearnerId,
    u8,
    MAX_LEARNERS,
    "learner#"
);
