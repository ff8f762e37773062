//! Sets of acceptors and of learners as fixed-size bitsets (Copy, set algebra
//! in a handful of word operations): up to 1,024 acceptors and 128 learners.

use crate::ids::{AcceptorId, LearnerId, MAX_ACCEPTORS, MAX_LEARNERS};
use std::fmt;

/// Words of an [`AcceptorSet`].
pub const ACCEPTOR_WORDS: usize = MAX_ACCEPTORS / 64;
const LEARNER_WORDS: usize = MAX_LEARNERS / 64;

macro_rules! bitset {
    ($(#[$doc:meta])* $name:ident, $id:ident, $words:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name([u64; $words]);

        impl Default for $name {
            fn default() -> Self {
                Self::EMPTY
            }
        }

        impl $name {
            /// The empty set.
            pub const EMPTY: Self = Self([0; $words]);

            #[doc = concat!("The set of the first `n` ids (all ", stringify!($max), " when `n` is larger).")]
            pub fn first(n: usize) -> Self {
                let mut s = Self::EMPTY;
                for (i, w) in s.0.iter_mut().enumerate() {
                    let lo = i * 64;
                    *w = if n >= lo + 64 {
                        u64::MAX
                    } else if n > lo {
                        (1u64 << (n - lo)) - 1
                    } else {
                        0
                    };
                }
                s
            }

            /// The set holding just `id`.
            pub fn singleton(id: $id) -> Self {
                let mut s = Self::EMPTY;
                s.insert(id);
                s
            }

            /// The words (bit `i % 64` of word `i / 64` is the id with index `i`).
            pub fn words(&self) -> &[u64] {
                &self.0
            }

            /// Whether `id` is in the set.
            pub fn contains(self, id: $id) -> bool {
                let i = id.index();
                self.0[i / 64] & (1u64 << (i % 64)) != 0
            }

            /// Adds `id`.
            pub fn insert(&mut self, id: $id) {
                let i = id.index();
                self.0[i / 64] |= 1u64 << (i % 64);
            }

            /// Removes `id`.
            pub fn remove(&mut self, id: $id) {
                let i = id.index();
                self.0[i / 64] &= !(1u64 << (i % 64));
            }

            /// Adds every id of `ids`.
            pub fn extend_from(&mut self, ids: &[$id]) {
                for &id in ids {
                    self.insert(id);
                }
            }

            /// Set union.
            #[must_use]
            pub fn union(mut self, other: Self) -> Self {
                for (w, o) in self.0.iter_mut().zip(other.0) {
                    *w |= o;
                }
                self
            }

            /// Set intersection.
            #[must_use]
            pub fn intersection(mut self, other: Self) -> Self {
                for (w, o) in self.0.iter_mut().zip(other.0) {
                    *w &= o;
                }
                self
            }

            /// Set difference.
            #[must_use]
            pub fn difference(mut self, other: Self) -> Self {
                for (w, o) in self.0.iter_mut().zip(other.0) {
                    *w &= !o;
                }
                self
            }

            /// Whether every member of `self` is in `other`.
            pub fn is_subset(self, other: Self) -> bool {
                self.0.iter().zip(other.0).all(|(w, o)| w & !o == 0)
            }

            /// Whether the two sets share no member.
            pub fn is_disjoint(self, other: Self) -> bool {
                self.0.iter().zip(other.0).all(|(w, o)| w & o == 0)
            }

            /// Whether the set is empty.
            pub fn is_empty(self) -> bool {
                self.0.iter().all(|&w| w == 0)
            }

            /// Number of members.
            pub fn len(self) -> usize {
                self.0.iter().map(|w| w.count_ones() as usize).sum()
            }

            /// Members in increasing index order.
            pub fn iter(self) -> impl Iterator<Item = $id> {
                let words = self.0;
                let mut word = 0usize;
                let mut bits = words[0];
                std::iter::from_fn(move || {
                    while bits == 0 {
                        word += 1;
                        bits = *words.get(word)?;
                    }
                    let i = word * 64 + bits.trailing_zeros() as usize;
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
    AcceptorId,
    ACCEPTOR_WORDS,
    MAX_ACCEPTORS
);
bitset!(
    /// A set of learners.
    LearnerSet,
    LearnerId,
    LEARNER_WORDS,
    MAX_LEARNERS
);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::enumerate::minimize;
    use crate::examples::subsets_of_size;
    use crate::ids::{MAX_ACCEPTORS, MAX_LEARNERS};

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
        assert!(AcceptorSet::EMPTY.words().iter().all(|&w| w == 0));
        assert_eq!(AcceptorSet::EMPTY.iter().count(), 0);
        assert!(LearnerSet::EMPTY.is_empty());
    }

    #[test]
    fn first_n_holds_exactly_the_first_n_ids() {
        for n in [
            0usize, 1, 3, 8, 63, 64, 65, 127, 128, 129, 1000, 1023, 1024, 2000,
        ] {
            let s = AcceptorSet::first(n);
            let m = n.min(MAX_ACCEPTORS);
            assert_eq!(s.len(), m, "first({n}).len()");
            let ids: Vec<usize> = s.iter().map(AcceptorId::index).collect();
            assert_eq!(ids, (0..m).collect::<Vec<_>>(), "first({n}).iter()");
            let ones: u32 = s.words().iter().map(|w| w.count_ones()).sum();
            assert_eq!(ones as usize, m, "first({n}) bits");
        }
        assert_eq!(LearnerSet::first(500).len(), MAX_LEARNERS);
    }

    #[test]
    fn singleton_insert_remove_contains() {
        let probes = [0usize, 1, 63, 64, 127, 128, 500, 1023];
        for i in probes {
            let s = AcceptorSet::singleton(a(i));
            assert_eq!(s.len(), 1);
            assert!(s.contains(a(i)));
            assert_eq!(s.words()[i / 64], 1u64 << (i % 64));
            for j in probes {
                assert_eq!(s.contains(a(j)), i == j, "singleton({i}) contains {j}");
            }
        }
        let mut s = AcceptorSet::EMPTY;
        s.insert(a(5));
        s.insert(a(1023));
        s.insert(a(5));
        assert_eq!(s, set(&[5, 1023]));
        assert_eq!(s.len(), 2);
        s.remove(a(5));
        assert_eq!(s, set(&[1023]));
        s.remove(a(5)); // removing an absent member is a no-op
        assert_eq!(s, set(&[1023]));
        s.remove(a(1023));
        assert!(s.is_empty());
        assert!(AcceptorId::new(MAX_ACCEPTORS).is_none());
        assert!(LearnerId::new(MAX_LEARNERS).is_none());
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
                &[0, 900],
                &[900, 1023],
                &[0, 900, 1023],
                &[900],
                &[0],
                false,
                false,
            ),
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
        let s = set(&[100, 3, 64, 0, 127, 3, 1023, 640]);
        let ids: Vec<usize> = s.iter().map(AcceptorId::index).collect();
        assert_eq!(ids, vec![0, 3, 64, 100, 127, 640, 1023]);
        assert_eq!(s.iter().collect::<AcceptorSet>(), s);
        assert_eq!(s.len(), 7);
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
