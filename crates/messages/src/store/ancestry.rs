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
    fn reaches(&self, f: NodeIdx, m: NodeIdx) -> bool {
        let seq_m = self.node(m).d.seq;
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
        let keep: Vec<NodeIdx> = candidates
            .iter()
            .copied()
            .filter(|&c| !candidates.iter().any(|&d| d != c && self.reaches(d, c)))
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
