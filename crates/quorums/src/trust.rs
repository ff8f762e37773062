//! Queries over a learner graph: quorums, connected learners given caught
//! acceptors, entanglement and accuracy given the actually-safe acceptors.

use crate::bitset::{AcceptorSet, LearnerSet};
use crate::graph::LearnerGraph;
use crate::ids::LearnerId;

impl LearnerGraph {
    /// Whether `set` contains a quorum of learner `a` (quorums are upward
    /// closed, so testing the minimal ones suffices). O(|Q_a|).
    pub fn is_quorum(&self, a: LearnerId, set: AcceptorSet) -> bool {
        self.quorums(a).iter().any(|q| q.is_subset(set))
    }

    /// `Con_a`: the learners `b` for which some safe set of `a–b` in the
    /// condensed learner graph has no caught member — the learners `a` must
    /// still agree with given the evidence `caught` (digest §3.2, "Con_a";
    /// decision D5: over the CLG, self-edges included). O(L · S).
    pub fn connected(&self, a: LearnerId, caught: AcceptorSet) -> LearnerSet {
        self.learner_ids()
            .filter(|&b| self.safe_sets(a, b).iter().any(|s| s.is_disjoint(caught)))
            .collect()
    }

    /// Entangled(a, b): some safe set of `a–b` in the CLG consists of
    /// actually-safe acceptors only (digest §2.2, "Entangled").
    pub fn entangled(&self, a: LearnerId, b: LearnerId, safe: AcceptorSet) -> bool {
        self.safe_sets(a, b).iter().any(|s| s.is_subset(safe))
    }

    /// Accurate(a) = Entangled(a, a) (digest §2.2, "Accurate").
    pub fn accurate(&self, a: LearnerId, safe: AcceptorSet) -> bool {
        self.entangled(a, a, safe)
    }
}
