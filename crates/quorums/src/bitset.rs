//! Sets of acceptors and of learners as 128-bit bitsets (Copy, O(1) set algebra).

use crate::ids::{AcceptorId, LearnerId};
use std::fmt;

macro_rules! bitset {
    ($(#[$doc:meta])* $name:ident, $id:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(u128);

        impl $name {
            /// The empty set.
            pub const EMPTY: Self = Self(0);

            /// The set of the first `n` ids (`n` ≤ 128).
            pub fn first(n: usize) -> Self {
                if n >= 128 { Self(u128::MAX) } else { Self((1u128 << n) - 1) }
            }

            /// The set holding just `id`.
            pub fn singleton(id: $id) -> Self {
                Self(1u128 << id.index())
            }

            /// The raw bits (bit i = id with index i).
            pub fn bits(self) -> u128 {
                self.0
            }

            /// The set with these raw bits.
            pub fn from_bits(bits: u128) -> Self {
                Self(bits)
            }

            /// Whether `id` is in the set.
            pub fn contains(self, id: $id) -> bool {
                self.0 & (1u128 << id.index()) != 0
            }

            /// Adds `id`.
            pub fn insert(&mut self, id: $id) {
                self.0 |= 1u128 << id.index();
            }

            /// Removes `id`.
            pub fn remove(&mut self, id: $id) {
                self.0 &= !(1u128 << id.index());
            }

            /// Set union.
            #[must_use]
            pub fn union(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }

            /// Set intersection.
            #[must_use]
            pub fn intersection(self, other: Self) -> Self {
                Self(self.0 & other.0)
            }

            /// Set difference.
            #[must_use]
            pub fn difference(self, other: Self) -> Self {
                Self(self.0 & !other.0)
            }

            /// Whether every member of `self` is in `other`.
            pub fn is_subset(self, other: Self) -> bool {
                self.0 & !other.0 == 0
            }

            /// Whether the two sets share no member.
            pub fn is_disjoint(self, other: Self) -> bool {
                self.0 & other.0 == 0
            }

            /// Whether the set is empty.
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// Number of members.
            pub fn len(self) -> usize {
                self.0.count_ones() as usize
            }

            /// Members in increasing index order.
            pub fn iter(self) -> impl Iterator<Item = $id> {
                let mut bits = self.0;
                std::iter::from_fn(move || {
                    if bits == 0 {
                        return None;
                    }
                    let i = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    $id::new(i)
                })
            }
        }

        impl FromIterator<$id> for $name {
            fn from_iter<I: IntoIterator<Item = $id>>(iter: I) -> Self {
                let mut s = Self::EMPTY;
                for id in iter {
                    s.insert(id);
                }
                s
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_set().entries(self.iter().map(|i| i.index())).finish()
            }
        }
    };
}

bitset!(
    /// A set of acceptors.
    AcceptorSet,
    AcceptorId
);
bitset!(
    /// A set of learners.
    LearnerSet,
    LearnerId
);

/// Keeps only the minimal sets of `sets` (no listed set is a strict superset of
/// another), sorted and deduplicated. Upward-closed families are represented by
/// their minimal sets throughout this crate.
pub fn minimize(mut sets: Vec<AcceptorSet>) -> Vec<AcceptorSet> {
    sets.sort_by_key(|s| (s.len(), s.bits()));
    sets.dedup();
    let mut out: Vec<AcceptorSet> = Vec::with_capacity(sets.len());
    for s in sets {
        if !out.iter().any(|m| m.is_subset(s)) {
            out.push(s);
        }
    }
    out.sort();
    out
}
