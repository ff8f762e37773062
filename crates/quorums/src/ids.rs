//! Dense identifiers for acceptors and learners.

use std::fmt;

/// The most acceptors (and, separately, learners) a cluster may have: sets of
/// them are 128-bit bitsets. Quorum systems that enumerate subsets become
/// impractical long before this bound.
pub const MAX_MEMBERS: usize = 128;

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name(u8);

        impl $name {
            /// The id with dense index `index`, if it is below [`MAX_MEMBERS`].
            pub fn new(index: usize) -> Option<Self> {
                (index < MAX_MEMBERS).then(|| Self(index as u8))
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
    "acceptor#"
);
dense_id!(
    /// A learner: a dense index into the cluster's learner list.
    LearnerId,
    "learner#"
);
