//! Learner-graph validity (digest §2.3): LG-1 symmetry, LG-2 condensation,
//! LG-3 upward closure, LG-4 quorum intersection inside every safe set (for
//! `a = b` too), and decision D5 (every learner keeps a self-edge).
//!
//! On expressions, LG-1..LG-3 hold by construction: edges are unordered, the
//! CLG is evaluated as the closure (`trust.rs`), and every expression is
//! monotone. LG-4 is decided per learner pair:
//! - when the graph is small enough to enumerate, by checking every pair of
//!   minimal quorums against every minimal CLG safe set (all violations);
//! - otherwise by the exact search of `search.rs`, within a work budget,
//!   reporting at most one violation per pair, or
//!   [`Violation::Undecided`] when the budget runs out.

use crate::bitset::AcceptorSet;
use crate::error::Violation;
use crate::graph::{EdgeMatrix, LearnerGraph, edge};
use crate::ids::LearnerId;
use crate::search::{Search, classes, find_split, shrink};

/// Work units (expression-node evaluations) the validity search may spend
/// on one graph by default: a few seconds at most on one core.
pub const DEFAULT_VALIDITY_BUDGET: u64 = 200_000_000;

/// Above this many `(q_a, q_b, s)` triples an enumerated pair is searched
/// instead of checked triple by triple.
const MAX_TRIPLES: usize = 1 << 21;

impl LearnerGraph {
    /// Checks every validity condition with the default budget and returns
    /// all violations found (empty when valid); see [`LearnerGraph::validity`].
    pub fn violations(&self) -> Vec<Violation> {
        self.validity(DEFAULT_VALIDITY_BUDGET)
    }

    /// Checks every validity condition, spending at most `budget` work units
    /// on the LG-4 search, and returns the violations found: empty when the
    /// graph is valid; [`Violation::Undecided`] for a pair the budget did not
    /// settle.
    pub fn validity(&self, budget: u64) -> Vec<Violation> {
        let mut out = Vec::new();
        if let Some(e) = self.enumerated() {
            out.extend(self.check_symmetry(&e.condensed));
            out.extend(self.check_minimal(&e.condensed));
            out.extend(self.check_condensed(&e.condensed));
        }
        out.extend(self.check_self_edges());
        out.extend(self.check_quorum_intersection(budget));
        out
    }

    /// `Ok` when the graph is valid; otherwise the first violation (which
    /// may be [`Violation::Undecided`]).
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

    /// LG-3 Closure as represented by enumeration: each listed family must
    /// be an antichain of minimal sets, so that "contains a listed set" is
    /// exactly membership in the upward-closed family.
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
            if let Some(qs) = self.minimal_quorums(a) {
                family(format!("quorums of {}", self.learner_name(a)), qs);
            }
        }
        for (a, b) in self.pairs() {
            family(
                format!("{}–{}", self.learner_name(a), self.learner_name(b)),
                edge(m, a, b),
            );
        }
        out
    }

    /// Decision D5: every learner has a safe set with itself in the CLG,
    /// i.e. the set of all acceptors belongs to its CLG self-edge.
    pub fn check_self_edges(&self) -> Vec<Violation> {
        let all = self.components(self.acceptors());
        self.learner_ids()
            .filter(|&a| !all.joined(a, a))
            .map(|a| Violation::NoSelfEdge {
                learner: self.learner_name(a).to_string(),
            })
            .collect()
    }

    /// LG-4 Validity on the CLG: for all learners `a, b` (including `a = b`),
    /// all `s ∈ a–b`, `q_a ∈ Q_a`, `q_b ∈ Q_b`: `q_a ∩ q_b ∩ s ≠ ∅` (module
    /// docs for how), spending at most `budget` work units on searches.
    pub fn check_quorum_intersection(&self, budget: u64) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut budget = budget;
        let mut classes_once = None;
        for a in self.learner_ids() {
            for b in self.learner_ids().filter(|b| *b >= a) {
                if let Some(found) = self.enumerated_intersection(a, b) {
                    out.extend(found);
                    continue;
                }
                let classes = classes_once.get_or_insert_with(|| classes(self));
                match find_split(self, classes, a, b, &mut budget) {
                    Search::Holds => {}
                    Search::Fails(split) => out.push(self.explain(a, b, *split)),
                    Search::OutOfBudget => out.push(Violation::Undecided {
                        a: self.learner_name(a).to_string(),
                        b: self.learner_name(b).to_string(),
                    }),
                }
            }
        }
        out
    }

    /// LG-4 for `a`, `b` by the exact search alone (no enumeration), within
    /// `budget`: `Ok(None)` when it holds, `Ok(Some(v))` with a violation,
    /// `Err(())` when the budget ran out. For tests and benchmarks.
    #[allow(clippy::result_unit_err)]
    pub fn search_quorum_intersection(
        &self,
        a: LearnerId,
        b: LearnerId,
        budget: u64,
    ) -> Result<Option<Violation>, ()> {
        let mut budget = budget;
        match find_split(self, &classes(self), a, b, &mut budget) {
            Search::Holds => Ok(None),
            Search::Fails(split) => Ok(Some(self.explain(a, b, *split))),
            Search::OutOfBudget => Err(()),
        }
    }

    /// Every violating triple for `a`, `b` by enumeration, when the graph is
    /// enumerable and the triples few enough.
    fn enumerated_intersection(&self, a: LearnerId, b: LearnerId) -> Option<Vec<Violation>> {
        let e = self.enumerated()?;
        let (qas, qbs) = (e.quorums.get(a.index())?, e.quorums.get(b.index())?);
        let ss = edge(&e.condensed, a, b);
        if qas.len().saturating_mul(qbs.len()).saturating_mul(ss.len()) > MAX_TRIPLES {
            return None;
        }
        let mut out = Vec::new();
        for &s in ss {
            for &qa in qas {
                for &qb in qbs {
                    if qa.intersection(qb).is_disjoint(s) {
                        out.push(self.violation(a, b, qa, qb, s));
                    }
                }
            }
        }
        Some(out)
    }

    /// A violation from a split: the minimal quorums and safe set inside it.
    fn explain(&self, a: LearnerId, b: LearnerId, split: crate::search::Split) -> Violation {
        let s = shrink(split.a_side.union(split.b_side), |x| {
            self.condensed_holds(a, b, x)
        });
        let qa = shrink(split.a_side.union(split.common), |x| self.is_quorum(a, x));
        let qb = shrink(split.b_side.union(split.common), |x| self.is_quorum(b, x));
        self.violation(a, b, qa, qb, s)
    }

    fn violation(
        &self,
        a: LearnerId,
        b: LearnerId,
        qa: AcceptorSet,
        qb: AcceptorSet,
        s: AcceptorSet,
    ) -> Violation {
        Violation::QuorumsMissSafeSet {
            a: self.learner_name(a).to_string(),
            b: self.learner_name(b).to_string(),
            qa: self.format_set(qa),
            qb: self.format_set(qb),
            safe_set: self.format_set(s),
        }
    }

    fn pairs(&self) -> impl Iterator<Item = (LearnerId, LearnerId)> + '_ {
        self.learner_ids()
            .flat_map(move |a| self.learner_ids().map(move |b| (a, b)))
    }
}

/// Membership of `s` in the upward closure of the minimal sets `family`.
fn contains(family: &[AcceptorSet], s: AcceptorSet) -> bool {
    family.iter().any(|m| m.is_subset(s))
}
