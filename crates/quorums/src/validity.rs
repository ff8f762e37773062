//! Learner-graph validity (digest §2.3): LG-1 symmetry, LG-2 condensation,
//! LG-3 upward closure (as minimal-set antichains), LG-4 quorum intersection
//! inside every safe set (for `a = b` too), and decision D5 (every learner keeps
//! a self-edge).

use crate::bitset::AcceptorSet;
use crate::error::Violation;
use crate::graph::{EdgeMatrix, LearnerGraph};
use crate::ids::LearnerId;

impl LearnerGraph {
    /// Checks every validity condition on the condensed learner graph and
    /// returns all violations found (empty when valid). LG-1..LG-3 hold by
    /// construction of the CLG and are re-checked as a guard; LG-4 and D5 are
    /// the conditions a configuration can actually violate.
    pub fn violations(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        out.extend(self.check_symmetry(&self.condensed));
        out.extend(self.check_minimal(&self.condensed));
        out.extend(self.check_condensed(&self.condensed));
        out.extend(self.check_self_edges());
        out.extend(self.check_quorum_intersection());
        out
    }

    /// `Ok` when the graph is valid; otherwise the first violation.
    // Validation runs once at load; a large error (names, sets) is fine there.
    #[allow(clippy::result_large_err)]
    pub fn validate(&self) -> Result<(), Violation> {
        match self.violations().into_iter().next() {
            None => Ok(()),
            Some(v) => Err(v),
        }
    }

    /// LG-1 Symmetry on an edge matrix: `s ∈ a–b ⇒ s ∈ b–a`.
    pub fn check_symmetry(&self, m: &EdgeMatrix) -> Vec<Violation> {
        let mut out = Vec::new();
        for (a, b) in self.pairs() {
            for &s in edge(m, a, b) {
                if !contains(edge(m, b, a), s) {
                    out.push(Violation::Asymmetric {
                        a: self.learner_name(a).to_string(),
                        b: self.learner_name(b).to_string(),
                        set: self.format_set(s),
                    });
                }
            }
        }
        out
    }

    /// LG-2 Transitivity on an edge matrix: `s ∈ a–b ∧ s' ∈ b–c ⇒ s ∪ s' ∈ a–c`.
    pub fn check_condensed(&self, m: &EdgeMatrix) -> Vec<Violation> {
        let mut out = Vec::new();
        for (a, b) in self.pairs() {
            for c in self.learner_ids() {
                for &s1 in edge(m, a, b) {
                    for &s2 in edge(m, b, c) {
                        let union = s1.union(s2);
                        if !contains(edge(m, a, c), union) {
                            out.push(Violation::NotCondensed {
                                a: self.learner_name(a).to_string(),
                                b: self.learner_name(b).to_string(),
                                c: self.learner_name(c).to_string(),
                                s1: self.format_set(s1),
                                s2: self.format_set(s2),
                                union: self.format_set(union),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// LG-3 Closure as represented here: each listed family (quorums and safe
    /// sets) must be an antichain of minimal sets, so that "contains a listed
    /// set" is exactly membership in the upward-closed family.
    pub fn check_minimal(&self, m: &EdgeMatrix) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut family = |context: String, sets: &[AcceptorSet]| {
            for &x in sets {
                for &y in sets {
                    if x != y && y.is_subset(x) {
                        out.push(Violation::NotMinimal {
                            context: context.clone(),
                            bigger: self.format_set(x),
                            smaller: self.format_set(y),
                        });
                    }
                }
            }
        };
        for a in self.learner_ids() {
            family(
                format!("quorums of {}", self.learner_name(a)),
                self.quorums(a),
            );
        }
        for (a, b) in self.pairs() {
            family(
                format!("{}–{}", self.learner_name(a), self.learner_name(b)),
                edge(m, a, b),
            );
        }
        out
    }

    /// Decision D5: every learner has a safe set with itself in the CLG.
    pub fn check_self_edges(&self) -> Vec<Violation> {
        self.learner_ids()
            .filter(|&a| self.safe_sets(a, a).is_empty())
            .map(|a| Violation::NoSelfEdge {
                learner: self.learner_name(a).to_string(),
            })
            .collect()
    }

    /// LG-4 Validity on the CLG: for all learners `a, b` (including `a = b`),
    /// all `s ∈ a–b`, `q_a ∈ Q_a`, `q_b ∈ Q_b`: `q_a ∩ q_b ∩ s ≠ ∅`. Checking
    /// minimal sets suffices: supersets only make intersections larger.
    pub fn check_quorum_intersection(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        for a in self.learner_ids() {
            for b in self.learner_ids().filter(|b| *b >= a) {
                for &s in self.safe_sets(a, b) {
                    for &qa in self.quorums(a) {
                        for &qb in self.quorums(b) {
                            if qa.intersection(qb).is_disjoint(s) {
                                out.push(Violation::QuorumsMissSafeSet {
                                    a: self.learner_name(a).to_string(),
                                    b: self.learner_name(b).to_string(),
                                    qa: self.format_set(qa),
                                    qb: self.format_set(qb),
                                    safe_set: self.format_set(s),
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn pairs(&self) -> impl Iterator<Item = (LearnerId, LearnerId)> + '_ {
        self.learner_ids()
            .flat_map(move |a| self.learner_ids().map(move |b| (a, b)))
    }
}

fn edge(m: &EdgeMatrix, a: LearnerId, b: LearnerId) -> &[AcceptorSet] {
    m.get(a.index())
        .and_then(|row| row.get(b.index()))
        .map_or(&[], Vec::as_slice)
}

/// Membership of `s` in the upward closure of the minimal sets `family`.
fn contains(family: &[AcceptorSet], s: AcceptorSet) -> bool {
    family.iter().any(|m| m.is_subset(s))
}
