//! Reduction R7 of the reduced engine: symmetry among acceptors.
//!
//! A permutation `π` of the acceptors is an *automorphism* of a run when it
//! maps every learner's quorums onto that learner's quorums, every pair of
//! learners' safe sets (given and condensed) onto that pair's safe sets, and
//! the twins and the silent acceptors onto themselves (so also the safe
//! set). Renaming every acceptor `a` to `π(a)` — in signatures, in the
//! instances, and so in every message (a message is its signer and its
//! references: renaming recomputes ids bottom-up) — then maps the initial
//! state to itself (proposals have no signer), every transition to a
//! transition, and leaves every property unchanged: the acceptor, learner
//! and store read acceptor ids only through the graph and message ids only
//! through equality (references are kept sorted by id, so a renamed message
//! is built exactly as the renamed acceptor would build it). The search can
//! then visit one state per orbit: states are hashed by the least of their
//! images' hashes (stateright keeps only state fingerprints), which preserves
//! every reachable property value and every invariant.
//!
//! With R3 and R6 a state is determined, up to the learner's decisions, by
//! each instance's last own message (after a block ending with an emission,
//! an instance's store is that message's history plus the stale 1as, and its
//! `recent` is just that message; without a message it is still initial),
//! and the learner's store is the history of all of them. So the image of a
//! state under `π` is determined by the renamed last own messages of each
//! acceptor's instances and the renamed decisions, and that is what is
//! hashed.
//!
//! With arbitrary acceptors ([`crate::forge`]) an instance's store is still
//! its last own message's history (plus stale 1as), but the learner also
//! holds the forgeries that no instance has received yet; and the forgeries
//! an arbitrary acceptor may send are a function of the messages sent. So a
//! state is determined by the heads, the set of forgeries and the
//! decisions, and the set of forgeries (renamed; arbitrary acceptors are
//! mapped onto themselves) is hashed too.
//!
//! The equivariance of the real code is an assumption checked by the test
//! `symmetry_visits_one_state_per_orbit` (same orbits with and without R7).

use hetpaxos_learner::Learner;
use hetpaxos_messages::{Message, MessageId, Unsigned};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use crate::memo::{FastMap, MEMO_SHARDS, thread_slot};

/// The automorphisms of a run, with a memo of renamed message ids.
pub struct Symmetry {
    /// Every automorphism (the identity first): `perms[k][a] = π_k(a)`.
    perms: Vec<Vec<AcceptorId>>,
    /// The arbitrary acceptors: their messages are hashed as a set.
    arbitrary: AcceptorSet,
    /// Per message id, its images under every automorphism.
    memo: Vec<Mutex<FastMap<MessageId, Arc<[MessageId]>>>>,
}

/// Memoized ids per shard (one shard per worker thread, see
/// [`thread_slot`]) before it is cleared.
const SHARD_LIMIT: usize = 1 << 17;

/// Largest number of acceptors whose permutations are enumerated.
const MAX_ACCEPTORS: usize = 8;

fn map_set(perm: &[AcceptorId], set: AcceptorSet) -> AcceptorSet {
    set.iter().map(|a| perm[a.index()]).collect()
}

fn family(perm: &[AcceptorId], sets: &[AcceptorSet]) -> BTreeSet<AcceptorSet> {
    sets.iter().map(|s| map_set(perm, *s)).collect()
}

fn preserves(
    graph: &LearnerGraph,
    perm: &[AcceptorId],
    twins: AcceptorSet,
    silent: AcceptorSet,
    arbitrary: AcceptorSet,
) -> bool {
    // The families as minimal sets: a permutation preserves a family exactly
    // when it preserves its minimal sets. A graph too large to enumerate gets
    // no symmetry (the identity only), never a guessed one.
    let Some(e) = graph.enumerated() else {
        return false;
    };
    let same = |sets: &[AcceptorSet]| family(perm, sets) == sets.iter().copied().collect();
    let edges = |m: &hetpaxos_quorums::EdgeMatrix| m.iter().flatten().all(|sets| same(sets));
    map_set(perm, twins) == twins
        && map_set(perm, silent) == silent
        && map_set(perm, arbitrary) == arbitrary
        && e.quorums.iter().all(|qs| same(qs))
        && edges(&e.condensed)
        && edges(&e.given)
}

/// Every permutation of `0..n`, in lexicographic order.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut p: Vec<usize> = (0..n).collect();
    loop {
        out.push(p.clone());
        // Next permutation.
        let Some(i) = (1..n).rev().find(|&i| p[i - 1] < p[i]) else {
            return out;
        };
        let Some(j) = (i..n).rev().find(|&j| p[j] > p[i - 1]) else {
            return out;
        };
        p.swap(i - 1, j);
        p[i..].reverse();
    }
}

impl Symmetry {
    /// The automorphisms of `graph` with these twins, silent and arbitrary
    /// acceptors (only the identity above eight acceptors).
    pub fn new(
        graph: &LearnerGraph,
        twins: AcceptorSet,
        silent: AcceptorSet,
        arbitrary: AcceptorSet,
    ) -> Self {
        let ids: Vec<AcceptorId> = graph.acceptor_ids().collect();
        let n = ids.len();
        let mut perms = vec![ids.clone()];
        if n <= MAX_ACCEPTORS {
            for p in permutations(n).into_iter().skip(1) {
                let perm: Vec<AcceptorId> = p.iter().map(|&i| ids[i]).collect();
                if preserves(graph, &perm, twins, silent, arbitrary) {
                    perms.push(perm);
                }
            }
        }
        Self {
            perms,
            arbitrary,
            memo: (0..MEMO_SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// Number of automorphisms (the identity included).
    pub fn order(&self) -> usize {
        self.perms.len()
    }

    /// The ids of message `id` renamed by every automorphism, in the order
    /// of `perms` (`sent` holds it and its whole history). Memoized per id:
    /// a message's images are a function of its content.
    fn images(&self, id: MessageId, sent: &BTreeMap<MessageId, Message>) -> Arc<[MessageId]> {
        let shard = &self.memo[thread_slot() % MEMO_SHARDS];
        if let Some(r) = shard.lock().ok().and_then(|map| map.get(&id).cloned()) {
            return r;
        }
        let images: Arc<[MessageId]> = match sent.get(&id) {
            Some(m) if m.signer().is_some() => {
                let refs: Vec<Arc<[MessageId]>> =
                    m.refs().iter().map(|r| self.images(*r, sent)).collect();
                let signer = m.signer().map_or(0, |s| s.index());
                (0..self.perms.len())
                    .map(|k| {
                        let refs: Vec<MessageId> = refs.iter().map(|r| r[k]).collect();
                        Unsigned::new(self.perms[k][signer], refs).id()
                    })
                    .collect()
            }
            // Proposals carry no acceptor.
            Some(_) => vec![id; self.perms.len()].into(),
            // Not memoized: `sent` may hold it later.
            None => return vec![id; self.perms.len()].into(),
        };
        if let Ok(mut map) = shard.lock() {
            if map.len() >= SHARD_LIMIT {
                map.clear();
            }
            map.insert(id, images.clone());
        }
        images
    }

    /// The orbit's hash of a state given by each instance's (acceptor, last
    /// own message), the learner and the sent messages (of which the
    /// forgeries of arbitrary acceptors are a set).
    ///
    /// A state's image under `π_k` is the multiset of its instances'
    /// (renamed acceptor, renamed last own message) and the set of its
    /// renamed forgeries. Each image is hashed without ordering it, as the
    /// wrapping sum of a strong mix of each element (`element`; the
    /// message ids are SHA-256 digests), and the orbit's hash is the least
    /// of its images' hashes: every state of an orbit has the same set of
    /// images, so the same least hash. No allocation or sorting per image.
    pub fn canonical_hash(
        &self,
        heads: &[(AcceptorId, Option<MessageId>)],
        learner: &Learner,
        sent: &BTreeMap<MessageId, Message>,
    ) -> u64 {
        let head_images: Vec<(AcceptorId, Option<Arc<[MessageId]>>)> = heads
            .iter()
            .map(|&(a, head)| (a, head.map(|m| self.images(m, sent))))
            .collect();
        let forged: Vec<Arc<[MessageId]>> = if self.arbitrary.is_empty() {
            Vec::new()
        } else {
            sent.iter()
                .filter(|(_, m)| m.signer().is_some_and(|a| self.arbitrary.contains(a)))
                .map(|(id, _)| self.images(*id, sent))
                .collect()
        };
        let mut least = u64::MAX;
        for (k, perm) in self.perms.iter().enumerate() {
            let heads = head_images.iter().fold(0u64, |sum, (a, images)| {
                let head = images.as_ref().map(|i| i[k]);
                sum.wrapping_add(element(perm[a.index()].index() as u64, head))
            });
            let forged = forged.iter().fold(0u64, |sum, i| {
                sum.wrapping_add(element(u64::MAX, Some(i[k])))
            });
            least = least.min(mix(heads ^ mix(forged.wrapping_add(1))));
        }
        #[allow(deprecated)]
        let mut h = std::hash::SipHasher::new();
        least.hash(&mut h);
        // As the learner's own `Hash`: which ballot each learner decided
        // (its future depends only on that; no acceptor in it to rename).
        for d in learner.decisions() {
            d.learner.hash(&mut h);
            d.ballot.hash(&mut h);
        }
        h.finish()
    }
}

/// A 64-bit finalizer with full avalanche (MurmurHash3's `fmix64`).
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// One element of an image, mixed so that sums of distinct multisets
/// collide only by chance: a tag (an acceptor's index, or `u64::MAX` for a
/// forgery) and a message id (its first 8 bytes), or none.
fn element(tag: u64, id: Option<MessageId>) -> u64 {
    let id = id.map_or(0, |m| {
        let b = m.0.as_bytes();
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) | 1
    });
    mix(id ^ mix(tag.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hetpaxos_quorums::examples;

    fn set(graph: &LearnerGraph, names: &str) -> AcceptorSet {
        names
            .chars()
            .map(|c| graph.acceptor_by_name(&c.to_string()).unwrap())
            .collect()
    }

    #[test]
    fn permutations_are_all_distinct() {
        let p = permutations(4);
        assert_eq!(p.len(), 24);
        assert_eq!(p.iter().collect::<BTreeSet<_>>().len(), 24);
        assert_eq!(permutations(1), vec![vec![0]]);
    }

    #[test]
    fn automorphism_groups_of_the_example_runs() {
        let h = examples::homogeneous(4, 1).unwrap();
        let none = AcceptorSet::EMPTY;
        assert_eq!(Symmetry::new(&h, none, none, none).order(), 24);
        assert_eq!(Symmetry::new(&h, set(&h, "D"), none, none).order(), 6);
        assert_eq!(
            Symmetry::new(&h, set(&h, "C"), set(&h, "D"), none).order(),
            2
        );
        // An arbitrary acceptor is only ever mapped onto itself.
        assert_eq!(Symmetry::new(&h, none, none, set(&h, "D")).order(), 6);
        assert_eq!(
            Symmetry::new(&h, none, set(&h, "C"), set(&h, "D")).order(),
            2
        );
        let rb = examples::red_blue().unwrap();
        // Blue trusts only A, B, C: D is never interchangeable with them.
        assert_eq!(Symmetry::new(&rb, none, none, none).order(), 6);
        assert_eq!(Symmetry::new(&rb, set(&rb, "D"), none, none).order(), 6);
        assert_eq!(Symmetry::new(&rb, set(&rb, "C"), none, none).order(), 2);
    }

    /// Symmetry of expression graphs comes from what the expressions mean:
    /// weights 3, 2, 2, 1, 1 allow swapping B with C and D with E only; a
    /// graph too large to enumerate gets the identity.
    #[test]
    fn automorphisms_of_weighted_graphs() {
        use hetpaxos_quorums::{Expr, LearnerId};
        let ids: Vec<_> = (0..5).map(|i| AcceptorId::new(i).unwrap()).collect();
        let w = Expr::weighted(
            7,
            vec![
                (ids[0], 3),
                (ids[1], 2),
                (ids[2], 2),
                (ids[3], 1),
                (ids[4], 1),
            ],
        )
        .unwrap();
        let l = LearnerId::new(0).unwrap();
        let g = LearnerGraph::from_exprs(
            examples::acceptor_names(5),
            vec!["w".into()],
            vec![w.clone()],
            vec![(l, l, w)],
        )
        .unwrap();
        let none = AcceptorSet::EMPTY;
        assert_eq!(Symmetry::new(&g, none, none, none).order(), 4);
        assert_eq!(Symmetry::new(&g, set(&g, "B"), none, none).order(), 2);
        // C(30, 20) minimal quorums: not enumerated, no symmetry assumed.
        let big = examples::homogeneous(30, 1).unwrap();
        assert!(big.enumerated().is_none());
        assert_eq!(Symmetry::new(&big, none, none, none).order(), 1);
    }
}
