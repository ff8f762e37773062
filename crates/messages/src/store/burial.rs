//! Burial without scanning the history (digest §3.2 "Buried", decisions D1 and
//! D6; sketch in `incremental-store.md`, "Burial without scanning the history").
//!
//! `Buried_ℓ(m, y)` holds when the signers of the witnesses `w ∈ Tran(y)` —
//! messages that have `m` in their `Tran` and also a 2a `z` for `ℓ` with
//! `b(z) > b(m)` and `V(z) ≠ V(m)` — contain a quorum of `ℓ`. Both conditions
//! are monotone in `Tran(w)`, so per signer only its frontier members in
//! `Tran(y)` need asking: O(n) frontier members, each asked in O(1) (O(own
//! messages) for a forked signer) using the [`Top2a`] summary.

use super::MessageStore;
use super::node::{Front, NodeIdx, Top2a};
use hetpaxos_quorums::{AcceptorSet, LearnerId};

impl MessageStore {
    /// The witness signers `W(m, y)` for learner `ℓ`, given `y`'s per-signer
    /// frontiers `fronts` (decision D1: each witness has `m` in its `Tran`).
    /// `own` optionally replaces the frontier of `y`'s own signer by `y`'s own
    /// summary, for a message being derived and not yet stored.
    pub(crate) fn witnesses(
        &self,
        m: NodeIdx,
        learner: LearnerId,
        fronts: &[Front],
        own: Option<(hetpaxos_quorums::AcceptorId, Top2a)>,
    ) -> AcceptorSet {
        let b = self.node(m).d.ballot;
        if self.node(m).d.signer.is_none() {
            return AcceptorSet::EMPTY;
        }
        let mut w = AcceptorSet::EMPTY;
        for (t, front) in fronts.iter().enumerate() {
            let Some(t) = hetpaxos_quorums::AcceptorId::new(t) else {
                continue;
            };
            if let Some((own_signer, summary)) = own
                && own_signer == t
            {
                // `y` itself dominates its signer's frontier, and `m ∈ Tran(y)`.
                if summary.conflicts_with(b) {
                    w.insert(t);
                }
                continue;
            }
            let hit = front.as_slice().iter().any(|&f| {
                self.node(f).d.top2a[learner.index()].conflicts_with(b) && self.in_tran(m, f)
            });
            if hit {
                w.insert(t);
            }
        }
        w
    }

    /// `Buried(m, y)` for learner `ℓ`, both messages stored: the witnesses
    /// contain a quorum of `ℓ`. `false` unless `m` is a 2a for `ℓ` in `Tran(y)`.
    /// O(n) in honest runs.
    pub fn buried_at(&self, m: NodeIdx, learner: LearnerId, y: NodeIdx) -> bool {
        if !self.node(m).d.kind.two_a_learners().contains(learner) || !self.in_tran(m, y) {
            return false;
        }
        // Fast path: no conflicting higher 2a for ℓ anywhere in Tran(y).
        if !self.node(y).d.top2a[learner.index()].conflicts_with(self.node(m).d.ballot) {
            return false;
        }
        let w = self.witnesses(m, learner, &self.node(y).d.front, None);
        self.graph.is_quorum(learner, w)
    }
}
