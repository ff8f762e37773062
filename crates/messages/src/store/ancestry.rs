//! Causal ancestry without `Tran` sets: per-signer sequence numbers and
//! frontiers (sketch in `incremental-store.md`, "Per-signer frontiers").
//!
//! A signer is *forked* once the store holds two of its messages with the same
//! sequence number; decided at insertion over the whole store. While a signer
//! has never forked its messages form one chain, and "is `m` in `Tran(w)`" is
//! one comparison of sequence numbers: O(1). For a forked signer the test is a
//! depth-first search over that signer's own messages through their `prev`
//! antichains, pruned by sequence number: O(messages of that signer).

use super::MessageStore;
use super::node::{Front, NodeIdx};
use hetpaxos_quorums::AcceptorId;
use std::collections::HashSet;
use std::sync::Arc;

/// Per-acceptor bookkeeping.
#[derive(Clone, Debug, Default)]
pub(crate) struct SignerState {
    /// While not forked: the signer's messages by sequence number.
    pub(crate) chain: Vec<NodeIdx>,
    /// Whether two of its messages share a sequence number.
    pub(crate) forked: bool,
    /// The first two messages found with one sequence number (the proof).
    pub(crate) fork: Option<(NodeIdx, NodeIdx)>,
    /// How many of its messages the store holds.
    pub(crate) messages: usize,
}

impl MessageStore {
    /// Whether the signed message `m` is in `Tran(w)` (`m = w` included).
    pub(crate) fn in_tran(&self, m: NodeIdx, w: NodeIdx) -> bool {
        let Some(s) = self.node(m).d.signer else {
            return false;
        };
        let front = &self.node(w).d.front[s.index()];
        self.below_front(m, s, front)
    }

    /// Whether the `s`-message `m` is at or below some member of `front`.
    pub(crate) fn below_front(&self, m: NodeIdx, s: AcceptorId, front: &Front) -> bool {
        let forked = self.signers[s.index()].forked;
        let seq_m = self.node(m).d.seq;
        front.as_slice().iter().any(|&f| {
            if !forked {
                seq_m <= self.node(f).d.seq
            } else {
                self.reaches(f, m)
            }
        })
    }

    /// Whether `m` is reachable from `f` (both by the same signer) through the
    /// signer's own `prev` antichains: exact ancestry for forked signers.
    /// Every own ancestor has a smaller sequence number, so `f` reaches
    /// nothing at or above its own other than itself.
    fn reaches(&self, f: NodeIdx, m: NodeIdx) -> bool {
        let seq_m = self.node(m).d.seq;
        if f == m {
            return true;
        }
        if self.node(f).d.seq <= seq_m {
            return false;
        }
        let mut stack = vec![f];
        let mut seen = std::collections::HashSet::new();
        while let Some(g) = stack.pop() {
            if g == m {
                return true;
            }
            if !seen.insert(g) {
                continue;
            }
            for &p in self.node(g).d.prev.as_slice() {
                if self.node(p).d.seq >= seq_m {
                    stack.push(p);
                }
            }
        }
        false
    }

    /// `front_s` of a message from its references' `front_s`: the antichain
    /// of their union. Costs O(r) unless `s` forked; then the widest front is
    /// kept as it is (shared, not copied) and only members of the others that
    /// it does not hold are compared, by sequence number first: a signer
    /// whose `K` forks are all in one reference's frontier costs each later
    /// message O(r · log K), not O(K²) (the equivocation bound of
    /// `spec/README.md`, "Cost of an equivocator").
    pub(crate) fn merge_fronts<'a>(
        &self,
        s: AcceptorId,
        fronts: impl Iterator<Item = &'a Front>,
    ) -> Front {
        // Distinct fronts: wide ones by pointer (shared fronts are the same
        // allocation), single members by value.
        let mut wide: Vec<&Arc<[NodeIdx]>> = Vec::new();
        let mut seen = HashSet::new();
        let mut single: Vec<NodeIdx> = Vec::new();
        for f in fronts {
            match f {
                Front::None => {}
                Front::One(i) => single.push(*i),
                Front::Many(a) => {
                    if seen.insert(Arc::as_ptr(a) as *const NodeIdx as usize) {
                        wide.push(a);
                    }
                }
            }
        }
        single.sort_unstable();
        single.dedup();
        if wide.is_empty() {
            return self.antichain(s, single);
        }
        if !self.signers[s.index()].forked {
            // Unreachable in a consistent store (a wide front proves a fork);
            // computed exactly all the same.
            let mut all = single;
            all.extend(wide.iter().flat_map(|a| a.iter().copied()));
            return self.antichain(s, all);
        }
        wide.sort_by_key(|a| std::cmp::Reverse(a.len()));
        let base: &Arc<[NodeIdx]> = wide[0]; // sorted: see `Front::from_vec`
        let mut extra: Vec<NodeIdx> = wide[1..]
            .iter()
            .flat_map(|a| a.iter().copied())
            .chain(single)
            .filter(|c| base.binary_search(c).is_err())
            .collect();
        extra.sort_unstable();
        extra.dedup();
        if extra.is_empty() {
            return Front::Many(base.clone());
        }
        // Members of `base` are pairwise incomparable; compare the rest.
        let dominated =
            |c: NodeIdx, pool: &[NodeIdx]| pool.iter().any(|&d| d != c && self.reaches(d, c));
        let mut keep: Vec<NodeIdx> = extra
            .iter()
            .copied()
            .filter(|&c| !dominated(c, base) && !dominated(c, &extra))
            .collect();
        keep.extend(base.iter().copied().filter(|&c| !dominated(c, &extra)));
        Front::from_vec(keep)
    }

    /// The maximal elements of `candidates` (all by signer `s`): the antichain
    /// of their union under `Tran`.
    pub(crate) fn antichain(&self, s: AcceptorId, mut candidates: Vec<NodeIdx>) -> Front {
        candidates.sort_unstable();
        candidates.dedup();
        if candidates.len() <= 1 {
            return Front::from_vec(candidates);
        }
        if !self.signers[s.index()].forked {
            // One chain: the highest sequence number dominates.
            let best = candidates
                .iter()
                .copied()
                .max_by_key(|&c| self.node(c).d.seq);
            return Front::from_vec(best.into_iter().collect());
        }
        // Only a message of higher sequence number can be above another:
        // compare each candidate with those above it in that order.
        candidates.sort_by_key(|&c| std::cmp::Reverse(self.node(c).d.seq));
        let keep: Vec<NodeIdx> = candidates
            .iter()
            .enumerate()
            .filter(|&(i, &c)| {
                let seq = self.node(c).d.seq;
                !candidates[..i]
                    .iter()
                    .take_while(|&&d| self.node(d).d.seq > seq)
                    .any(|&d| self.reaches(d, c))
            })
            .map(|(_, &c)| c)
            .collect();
        Front::from_vec(keep)
    }
}

impl MessageStore {
    /// Whether the 1a `p` is in `Tran(w)`: a search down the references,
    /// pruned by ballot (nothing in `Tran(y)` has a ballot above `b(y)`).
    /// O(messages of ballot ≥ `b(p)` below `w`); not used on hot paths.
    pub(crate) fn proposal_in_tran(&self, p: NodeIdx, w: NodeIdx) -> bool {
        let bp = self.node(p).d.ballot;
        let mut stack = vec![w];
        let mut seen = std::collections::HashSet::new();
        while let Some(x) = stack.pop() {
            if x == p {
                return true;
            }
            if !seen.insert(x) {
                continue;
            }
            for r in self.node(x).message.refs() {
                if let Some(ri) = self.index_of(r)
                    && self.node(ri).d.ballot >= bp
                {
                    stack.push(ri);
                }
            }
        }
        false
    }
}
