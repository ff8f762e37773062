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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::examples::subsets_of_size;

    fn a(i: usize) -> AcceptorId {
        AcceptorId::new(i).unwrap()
    }

    fn set(ids: &[usize]) -> AcceptorSet {
        ids.iter().map(|&i| a(i)).collect()
    }

    fn binomial(n: usize, k: usize) -> usize {
        if k > n {
            return 0;
        }
        (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
    }

    #[test]
    fn empty_and_default_are_the_same_empty_set() {
        assert!(AcceptorSet::EMPTY.is_empty());
        assert_eq!(AcceptorSet::EMPTY.len(), 0);
        assert_eq!(AcceptorSet::default(), AcceptorSet::EMPTY);
        assert_eq!(AcceptorSet::EMPTY.bits(), 0);
        assert_eq!(AcceptorSet::EMPTY.iter().count(), 0);
        assert!(LearnerSet::EMPTY.is_empty());
    }

    #[test]
    fn first_n_holds_exactly_the_first_n_ids() {
        for (n, bits) in [
            (0usize, 0u128),
            (1, 0b1),
            (3, 0b111),
            (8, 0xff),
            (127, u128::MAX >> 1),
            (128, u128::MAX),
            (200, u128::MAX),
        ] {
            let s = AcceptorSet::first(n);
            assert_eq!(s.bits(), bits, "first({n})");
            assert_eq!(s.len(), n.min(128), "first({n}).len()");
            let ids: Vec<usize> = s.iter().map(AcceptorId::index).collect();
            assert_eq!(
                ids,
                (0..n.min(128)).collect::<Vec<_>>(),
                "first({n}).iter()"
            );
        }
    }

    #[test]
    fn singleton_insert_remove_contains() {
        for i in [0usize, 1, 63, 64, 127] {
            let s = AcceptorSet::singleton(a(i));
            assert_eq!(s.len(), 1);
            assert!(s.contains(a(i)));
            assert_eq!(s.bits(), 1u128 << i);
            for j in [0usize, 1, 63, 64, 127] {
                assert_eq!(s.contains(a(j)), i == j, "singleton({i}) contains {j}");
            }
        }
        let mut s = AcceptorSet::EMPTY;
        s.insert(a(5));
        s.insert(a(127));
        s.insert(a(5));
        assert_eq!(s, set(&[5, 127]));
        assert_eq!(s.len(), 2);
        s.remove(a(5));
        assert_eq!(s, set(&[127]));
        s.remove(a(5)); // removing an absent member is a no-op
        assert_eq!(s, set(&[127]));
        s.remove(a(127));
        assert!(s.is_empty());
    }

    #[test]
    fn bits_round_trip() {
        for bits in [0u128, 1, 0b1010, u128::MAX, 1 << 127] {
            assert_eq!(AcceptorSet::from_bits(bits).bits(), bits);
            assert_eq!(LearnerSet::from_bits(bits).bits(), bits);
        }
    }

    #[test]
    fn set_algebra_table() {
        // (x, y, x ∪ y, x ∩ y, x \ y, x ⊆ y, disjoint)
        type Row = (
            &'static [usize],
            &'static [usize],
            &'static [usize],
            &'static [usize],
            &'static [usize],
            bool,
            bool,
        );
        let rows: &[Row] = &[
            (&[], &[], &[], &[], &[], true, true),
            (&[], &[1], &[1], &[], &[], true, true),
            (&[1], &[], &[1], &[], &[1], false, true),
            (&[0, 1], &[1, 2], &[0, 1, 2], &[1], &[0], false, false),
            (&[1], &[0, 1, 2], &[0, 1, 2], &[1], &[], true, false),
            (&[0, 127], &[127], &[0, 127], &[127], &[0], false, false),
            (
                &[3, 64],
                &[4, 65],
                &[3, 4, 64, 65],
                &[],
                &[3, 64],
                false,
                true,
            ),
            (&[2, 3], &[2, 3], &[2, 3], &[2, 3], &[], true, false),
        ];
        for &(x, y, u, i, d, sub, disj) in rows {
            let (sx, sy) = (set(x), set(y));
            assert_eq!(sx.union(sy), set(u), "{x:?} ∪ {y:?}");
            assert_eq!(sy.union(sx), set(u), "{y:?} ∪ {x:?}");
            assert_eq!(sx.intersection(sy), set(i), "{x:?} ∩ {y:?}");
            assert_eq!(sy.intersection(sx), set(i), "{y:?} ∩ {x:?}");
            assert_eq!(sx.difference(sy), set(d), "{x:?} \\ {y:?}");
            assert_eq!(sx.is_subset(sy), sub, "{x:?} ⊆ {y:?}");
            assert_eq!(sx.is_disjoint(sy), disj, "{x:?} disjoint {y:?}");
            assert_eq!(sy.is_disjoint(sx), disj, "{y:?} disjoint {x:?}");
            assert_eq!(sx.is_empty(), x.is_empty());
            assert_eq!(sx.len(), x.len());
        }
    }

    #[test]
    fn iter_is_increasing_and_from_iter_inverts_it() {
        let s = set(&[100, 3, 64, 0, 127, 3]);
        let ids: Vec<usize> = s.iter().map(AcceptorId::index).collect();
        assert_eq!(ids, vec![0, 3, 64, 100, 127]);
        assert_eq!(s.iter().collect::<AcceptorSet>(), s);
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn learner_sets_behave_like_acceptor_sets() {
        let l = |i| LearnerId::new(i).unwrap();
        let s: LearnerSet = [l(2), l(0)].into_iter().collect();
        assert!(s.contains(l(0)) && s.contains(l(2)) && !s.contains(l(1)));
        assert_eq!(s.len(), 2);
        assert_eq!(s.union(LearnerSet::singleton(l(1))), LearnerSet::first(3));
        assert!(s.is_subset(LearnerSet::first(3)));
        assert!(!LearnerSet::first(3).is_subset(s));
        let ids: Vec<usize> = s.iter().map(LearnerId::index).collect();
        assert_eq!(ids, vec![0, 2]);
    }

    #[test]
    fn debug_lists_member_indices() {
        assert_eq!(format!("{:?}", set(&[2, 0, 64])), "{0, 2, 64}");
        assert_eq!(format!("{:?}", AcceptorSet::EMPTY), "{}");
    }

    #[test]
    fn minimize_table() {
        // (input, minimal sets in sorted order)
        type Row = (&'static [&'static [usize]], &'static [&'static [usize]]);
        let rows: &[Row] = &[
            (&[], &[]),
            (&[&[0]], &[&[0]]),
            (&[&[0, 1], &[0]], &[&[0]]),
            (&[&[0], &[0, 1], &[1], &[0, 1, 2]], &[&[0], &[1]]),
            (&[&[1, 2], &[1, 2], &[1, 2]], &[&[1, 2]]),
            (&[&[0, 1], &[1, 2], &[0, 2]], &[&[0, 1], &[0, 2], &[1, 2]]),
            (&[&[0, 1, 2], &[3], &[0, 1]], &[&[0, 1], &[3]]),
            // the empty set is below everything
            (&[&[0], &[], &[1, 2]], &[&[]]),
        ];
        for &(input, expected) in rows {
            let got = minimize(input.iter().map(|s| set(s)).collect());
            let want: Vec<AcceptorSet> = expected.iter().map(|s| set(s)).collect();
            let mut want_sorted = want.clone();
            want_sorted.sort();
            assert_eq!(got, want_sorted, "minimize({input:?})");
        }
    }

    #[test]
    fn minimize_output_is_sorted() {
        let got = minimize(vec![set(&[5]), set(&[0, 1]), set(&[2]), set(&[5, 6])]);
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn subsets_of_size_has_binomial_many_distinct_sorted_sets() {
        for n in 0..=8 {
            for k in 0..=n + 1 {
                let subs = subsets_of_size(n, k);
                assert_eq!(subs.len(), binomial(n, k), "C({n}, {k})");
                let all = AcceptorSet::first(n);
                for s in &subs {
                    assert_eq!(s.len(), k, "size in subsets_of_size({n}, {k})");
                    assert!(s.is_subset(all), "{s:?} within first({n})");
                }
                assert!(
                    subs.windows(2).all(|w| w[0] < w[1]),
                    "subsets_of_size({n}, {k}) sorted and distinct"
                );
            }
        }
    }

    #[test]
    fn subsets_of_size_small_cases() {
        assert_eq!(subsets_of_size(0, 0), vec![AcceptorSet::EMPTY]);
        assert_eq!(subsets_of_size(3, 0), vec![AcceptorSet::EMPTY]);
        assert_eq!(subsets_of_size(3, 4), Vec::<AcceptorSet>::new());
        assert_eq!(subsets_of_size(3, 3), vec![AcceptorSet::first(3)]);
        let mut want = vec![set(&[0, 1]), set(&[0, 2]), set(&[1, 2])];
        want.sort();
        assert_eq!(subsets_of_size(3, 2), want);
        let mut singles: Vec<AcceptorSet> = (0..4).map(|i| set(&[i])).collect();
        singles.sort();
        assert_eq!(subsets_of_size(4, 1), singles);
    }
}
