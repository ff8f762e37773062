//! Queries over a learner graph: quorums, the condensed learner graph (CLG)
//! evaluated on a set of acceptors, connected learners given caught
//! acceptors, entanglement and accuracy given the actually-safe acceptors.
//!
//! **The CLG without enumeration.** The CLG closes the given edges under
//! composition: `s ∈ a–k` and `s' ∈ k–b` give `s ∪ s' ∈ a–b` (digest §2.3,
//! LG-2). For upward-closed families, "`X` contains some `s ∪ s'`" is "`X`
//! belongs to `a–k` *and* to `k–b`": composition is conjunction, and several
//! ways to reach `b` are a disjunction. So `X` belongs to the CLG edge `a–b`
//! exactly when some walk of at least one edge leads from `a` to `b` using
//! only given edges that `X` belongs to. Edges are symmetric (LG-1), so that
//! is: `a` has such an edge, and `b` is in `a`'s connected component of the
//! graph of such edges. One evaluation of every given edge and a union–find
//! answer it for all pairs at once: O(total expression size) word operations.

use crate::bitset::{AcceptorSet, LearnerSet};
use crate::graph::LearnerGraph;
use crate::ids::LearnerId;

/// The CLG evaluated on one set of acceptors `X`: for every learner, the
/// learners `b` such that `X` belongs to the CLG edge `a–b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Components {
    /// Per learner: its component (empty when no given edge at it holds).
    pub of: Vec<LearnerSet>,
}

impl Components {
    /// Whether `X` belongs to the CLG edge `a–b`.
    pub fn joined(&self, a: LearnerId, b: LearnerId) -> bool {
        self.of.get(a.index()).is_some_and(|c| c.contains(b))
    }
}

impl LearnerGraph {
    /// Whether `set` contains a quorum of learner `a` (`Q_a` is upward
    /// closed). O(size of `a`'s quorum expression).
    pub fn is_quorum(&self, a: LearnerId, set: AcceptorSet) -> bool {
        self.quorums.get(a.index()).is_some_and(|q| q.holds(set))
    }

    /// The CLG evaluated on `set` for all learner pairs (module docs).
    pub fn components(&self, set: AcceptorSet) -> Components {
        let n = self.num_learners();
        let mut parent: Vec<usize> = (0..n).collect();
        let mut has_edge = vec![false; n];
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for e in &self.edges {
            let (a, b) = (e.a.index(), e.b.index());
            // An edge between learners already joined adds nothing, unless
            // it is the first edge at one of them.
            if has_edge[a] && has_edge[b] && root(&mut parent, a) == root(&mut parent, b) {
                continue;
            }
            if e.safe.holds(set) {
                has_edge[a] = true;
                has_edge[b] = true;
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra] = rb;
            }
        }
        let mut by_root = vec![LearnerSet::EMPTY; n];
        let mut roots = vec![0; n];
        for (l, r) in roots.iter_mut().enumerate() {
            *r = root(&mut parent, l);
            if let (true, Some(id)) = (has_edge[l], LearnerId::new(l)) {
                by_root[*r].insert(id);
            }
        }
        Components {
            of: (0..n)
                .map(|l| {
                    if has_edge[l] {
                        by_root[roots[l]]
                    } else {
                        LearnerSet::EMPTY
                    }
                })
                .collect(),
        }
    }

    /// Whether `set` belongs to the CLG edge `a–b` (module docs).
    pub fn condensed_holds(&self, a: LearnerId, b: LearnerId, set: AcceptorSet) -> bool {
        self.components(set).joined(a, b)
    }

    /// `Con_a`: the learners `b` for which some safe set of `a–b` in the
    /// condensed learner graph has no caught member — the learners `a` must
    /// still agree with given the evidence `caught` (digest §3.2, "Con_a";
    /// decision D5: over the CLG, self-edges included). A safe set avoids
    /// `caught` exactly when the uncaught acceptors belong to the edge.
    pub fn connected(&self, a: LearnerId, caught: AcceptorSet) -> LearnerSet {
        self.connected_all(caught)
            .get(a.index())
            .copied()
            .unwrap_or(LearnerSet::EMPTY)
    }

    /// `Con_a` for every learner `a` at once (one CLG evaluation).
    pub fn connected_all(&self, caught: AcceptorSet) -> Vec<LearnerSet> {
        self.components(self.acceptors().difference(caught)).of
    }

    /// Entangled(a, b): some safe set of `a–b` in the CLG consists of
    /// actually-safe acceptors only (digest §2.2, "Entangled").
    pub fn entangled(&self, a: LearnerId, b: LearnerId, safe: AcceptorSet) -> bool {
        self.condensed_holds(a, b, safe)
    }

    /// Accurate(a) = Entangled(a, a) (digest §2.2, "Accurate").
    pub fn accurate(&self, a: LearnerId, safe: AcceptorSet) -> bool {
        self.entangled(a, a, safe)
    }
}
