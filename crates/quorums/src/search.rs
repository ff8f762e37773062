//! The exact search behind LG-4 on expression graphs.
//!
//! LG-4 fails for learners `a`, `b` exactly when there are a quorum `q_a`, a
//! quorum `q_b` and a CLG safe set `s` of `a–b` with `q_a ∩ q_b ∩ s = ∅`.
//! Families are upward closed, so that is the same as a split of all
//! acceptors into three parts `A`, `B`, `C` with
//! `A ∪ B ∈ a–b` (CLG), `A ∪ C ∈ Q_a` and `B ∪ C ∈ Q_b`: take `s = A ∪ B`,
//! `q_a = A ∪ C`, `q_b = B ∪ C`, whose common part is empty; conversely
//! grow `q_a`, `q_b`, `s` as far as possible while keeping their common part
//! empty. The problem is NP-hard in general (it contains quorum
//! intersection), so the search is a branch-and-bound with a work budget:
//!
//! - **Symmetry.** Acceptors that every expression treats alike (same
//!   weights in the same places, and listed sets unchanged when the two are
//!   swapped) form a class; the search chooses how many of a class go to
//!   `A`, `B` and `C`, not which. A homogeneous cluster of any size is one
//!   class: `O(n²)` leaves.
//! - **Bound.** With some classes still unplaced, each predicate is tried on
//!   its part plus every unplaced acceptor; if one fails, no completion can
//!   succeed (monotonicity) and the branch is cut.
//! - **Budget.** Every expression evaluation costs its size; when the budget
//!   is spent the answer is "undecided", never a guess.

use crate::bitset::AcceptorSet;
use crate::expr::Expr;
use crate::graph::LearnerGraph;
use crate::ids::{AcceptorId, LearnerId};
use crate::packing::{Placement, WeightedGroup};
pub(crate) use crate::symmetry::classes;
use std::collections::BTreeMap;

/// A split refuting LG-4 for one learner pair (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// In `s` and `q_a`.
    pub a_side: AcceptorSet,
    /// In `s` and `q_b`.
    pub b_side: AcceptorSet,
    /// In `q_a` and `q_b`, not in `s`.
    pub common: AcceptorSet,
}

/// What the search found for one learner pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// No split exists: LG-4 holds for the pair.
    Holds,
    /// A split: LG-4 fails.
    Fails(Box<Split>),
    /// The budget ran out first.
    OutOfBudget,
}

/// Searches for a split refuting LG-4 for `a`, `b`, spending at most
/// `budget` work units (it is decreased by what was spent).
pub(crate) fn find_split(
    graph: &LearnerGraph,
    classes: &[Vec<AcceptorId>],
    a: LearnerId,
    b: LearnerId,
    budget: &mut u64,
) -> Search {
    let (Some(qa), Some(qb)) = (graph.quorum_expr(a), graph.quorum_expr(b)) else {
        return Search::Holds;
    };
    let edge_cost: u64 = graph.edges.iter().map(|e| e.safe.size() as u64).sum();
    // The leaves the three predicates read, and the groups of acceptors they
    // tie together; classes are placed group after group.
    let mut leaves: Vec<&Expr> = Vec::new();
    for e in std::iter::once(qa)
        .chain(std::iter::once(qb))
        .chain(graph.edges.iter().map(|e| &e.safe))
    {
        collect_leaves(e, &mut leaves);
    }
    let supports: Vec<AcceptorSet> = leaves.iter().map(|l| l.support()).collect();
    let group = groups(graph.num_acceptors(), &supports);
    let classes = order_by_group(classes, &group);
    let mut finished_after = vec![AcceptorSet::EMPTY; classes.len()];
    let mut placed = AcceptorSet::EMPTY;
    for (i, c) in classes.iter().enumerate() {
        placed.extend_from(c);
        // Classes after `i` in another group: every group so far is done.
        let next_group = classes.get(i + 1).map(|n| group[n[0].index()]);
        if next_group != Some(group[c[0].index()]) {
            finished_after[i] = placed;
        }
    }
    // Weighted groups are placed in one step (see `packing.rs`).
    let mut plans: Vec<Option<Plan>> = vec![None; classes.len()];
    let mut start = 0;
    while start < classes.len() {
        let g = group[classes[start][0].index()];
        let end = (start..classes.len())
            .find(|&i| group[classes[i][0].index()] != g)
            .unwrap_or(classes.len());
        let mut members = AcceptorSet::EMPTY;
        for c in &classes[start..end] {
            members.extend_from(c);
        }
        if let Some(w) = WeightedGroup::of(members, &leaves) {
            match w.placements(budget) {
                Some(placements) => {
                    plans[start] = Some(Plan {
                        end,
                        members,
                        placements,
                    })
                }
                None => return Search::OutOfBudget,
            }
        }
        start = end;
    }
    let mut s = Searcher {
        plans,
        graph,
        a,
        b,
        qa,
        qb,
        costs: [edge_cost.max(1), qa.size() as u64, qb.size() as u64],
        budget,
        out_of_budget: false,
        prefixes: classes
            .iter()
            .map(|c| {
                let mut acc = AcceptorSet::EMPTY;
                let mut p = vec![acc];
                for &x in c {
                    acc.insert(x);
                    p.push(acc);
                }
                p
            })
            .collect(),
        supports,
        leaves,
        finished_after,
        seen: std::collections::HashSet::new(),
    };
    let all = graph.acceptors();
    match s.dfs(
        0,
        AcceptorSet::EMPTY,
        AcceptorSet::EMPTY,
        AcceptorSet::EMPTY,
        all,
    ) {
        Some(split) => Search::Fails(Box::new(split)),
        None if s.out_of_budget => Search::OutOfBudget,
        None => Search::Holds,
    }
}

/// A weighted group placed in one step: the class after it, its members and
/// the placements to try.
#[derive(Debug, Clone)]
struct Plan {
    end: usize,
    members: AcceptorSet,
    placements: Vec<Placement>,
}

/// The leaves of an expression: listed sets, counts and weights.
fn collect_leaves<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Threshold { of, .. } => of.iter().for_each(|c| collect_leaves(c, out)),
        leaf => out.push(leaf),
    }
}

/// Group number per acceptor: acceptors read by a common leaf share one.
fn groups(n: usize, supports: &[AcceptorSet]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for support in supports {
        let mut members = support.iter().map(AcceptorId::index);
        if let Some(first) = members.next() {
            for m in members {
                let (r1, r2) = (root(&mut parent, first), root(&mut parent, m));
                parent[r1] = r2;
            }
        }
    }
    (0..n).map(|i| root(&mut parent, i)).collect()
}

/// The classes group by group, smaller groups first (the largest class of
/// the last group stays last, for [`Searcher::last_class`]).
fn order_by_group(classes: &[Vec<AcceptorId>], group: &[usize]) -> Vec<Vec<AcceptorId>> {
    let mut size: BTreeMap<usize, usize> = BTreeMap::new();
    for c in classes {
        *size.entry(group[c[0].index()]).or_default() += c.len();
    }
    let last = classes.last().map(|c| group[c[0].index()]);
    let mut out: Vec<Vec<AcceptorId>> = classes.to_vec();
    // Stable: keeps the weight order within a group.
    out.sort_by_key(|c| {
        let g = group[c[0].index()];
        (Some(g) == last, size[&g], g)
    });
    if let (Some(l), Some(pos)) = (
        classes.last(),
        out.iter().position(|c| Some(c) == classes.last()),
    ) {
        let c = out.remove(pos);
        let at = out
            .iter()
            .rposition(|x| group[x[0].index()] == group[l[0].index()])
            .map_or(out.len(), |p| p + 1);
        out.insert(at, c);
    }
    out
}

struct Searcher<'g, 'b> {
    graph: &'g LearnerGraph,
    a: LearnerId,
    b: LearnerId,
    qa: &'g Expr,
    qb: &'g Expr,
    /// Cost of evaluating the CLG, `Q_a`, `Q_b`.
    costs: [u64; 3],
    budget: &'b mut u64,
    out_of_budget: bool,
    /// Per class: the sets of its first `k` members.
    prefixes: Vec<Vec<AcceptorSet>>,
    /// Per class starting a weighted group: the group's placements.
    plans: Vec<Option<Plan>>,
    /// The leaves the predicates read, and the acceptors each reads.
    leaves: Vec<&'g Expr>,
    supports: Vec<AcceptorSet>,
    /// Per class: the acceptors of the groups finished once it is placed
    /// (empty while its group goes on).
    finished_after: Vec<AcceptorSet>,
    /// Signatures of finished groups already explored, per depth.
    seen: std::collections::HashSet<(usize, Vec<u64>)>,
}

impl Searcher<'_, '_> {
    fn spend(&mut self, cost: u64) -> bool {
        if *self.budget < cost {
            self.out_of_budget = true;
            *self.budget = 0;
            return false;
        }
        *self.budget -= cost;
        true
    }

    /// The three predicates on `(s, q_a, q_b)`, cheapest first; `None` when
    /// the budget ran out.
    fn all_hold(&mut self, s: AcceptorSet, qa: AcceptorSet, qb: AcceptorSet) -> Option<bool> {
        if !self.spend(self.costs[1]) {
            return None;
        }
        if !self.qa.holds(qa) {
            return Some(false);
        }
        if !self.spend(self.costs[2]) {
            return None;
        }
        if !self.qb.holds(qb) {
            return Some(false);
        }
        if !self.spend(self.costs[0]) {
            return None;
        }
        Some(self.graph.condensed_holds(self.a, self.b, s))
    }

    fn dfs(
        &mut self,
        class: usize,
        a: AcceptorSet,
        b: AcceptorSet,
        c: AcceptorSet,
        unplaced: AcceptorSet,
    ) -> Option<Split> {
        // Memo: once whole groups are placed, what the rest of the search
        // can find depends only on which of their leaves hold on each of the
        // three parts; a signature seen before was explored without success.
        if class > 0 && !self.finished_after[class - 1].is_empty() && !self.fresh(class, a, b, c)? {
            return None;
        }
        // Bound: even with every unplaced acceptor on every side.
        let u = unplaced;
        if !self.all_hold(
            a.union(b).union(u),
            a.union(c).union(u),
            b.union(c).union(u),
        )? {
            return None;
        }
        // Done: the placed acceptors suffice; the rest join the common part.
        if self.all_hold(a.union(b), a.union(c), b.union(c))? {
            return Some(Split {
                a_side: a,
                b_side: b,
                common: c.union(u),
            });
        }
        if let Some(plan) = self.plans.get(class).cloned().flatten() {
            let rest = unplaced.difference(plan.members);
            for (pa, pb, pc) in plan.placements {
                let found = self.dfs(plan.end, a.union(pa), b.union(pb), c.union(pc), rest);
                if found.is_some() || self.out_of_budget {
                    return found;
                }
            }
            return None;
        }
        let m = self.prefixes.get(class)?.len() - 1;
        let members = self.prefixes[class][m];
        let rest = unplaced.difference(members);
        if rest.is_empty() {
            return self.last_class(class, a, b, c);
        }
        for xa in (0..=m).rev() {
            for xb in (0..=m - xa).rev() {
                let to_a = self.prefixes[class][xa];
                let ab = self.prefixes[class][xa + xb];
                let to_b = ab.difference(to_a);
                let to_c = members.difference(ab);
                if let Some(split) =
                    self.dfs(class + 1, a.union(to_a), b.union(to_b), c.union(to_c), rest)
                {
                    return Some(split);
                }
                if self.out_of_budget {
                    return None;
                }
            }
        }
        None
    }
}

impl Searcher<'_, '_> {
    /// Whether the finished groups' signature before placing `class` is new
    /// (and records it); `None` when the budget ran out.
    fn fresh(
        &mut self,
        class: usize,
        a: AcceptorSet,
        b: AcceptorSet,
        c: AcceptorSet,
    ) -> Option<bool> {
        let done = self.finished_after[class - 1];
        let parts = [a.union(b), a.union(c), b.union(c)];
        let mut bits = vec![0u64; (3 * self.leaves.len()).div_ceil(64)];
        let mut cost = 1u64;
        let mut i = 0usize;
        for (leaf, support) in self.leaves.iter().zip(&self.supports) {
            if !support.is_subset(done) {
                continue;
            }
            cost += leaf.size() as u64;
            for part in parts {
                if leaf.holds(part) {
                    bits[i / 64] |= 1 << (i % 64);
                }
                i += 1;
            }
        }
        if !self.spend(cost) {
            return None;
        }
        Some(self.seen.insert((class, bits)))
    }

    /// The last class, in O(log size) evaluations: its members are
    /// interchangeable, so each predicate depends only on how many of them
    /// join its part, monotonically. With `t₁`, `t₂`, `t₃` the fewest members
    /// the safe set, `q_a` and `q_b` need, and `x_A + x_B + x_C = m`, a split
    /// needs `x_C ≤ m − t₁`, `x_B ≤ m − t₂`, `x_A ≤ m − t₃`: it exists
    /// exactly when those bounds add up to at least `m`.
    fn last_class(
        &mut self,
        class: usize,
        a: AcceptorSet,
        b: AcceptorSet,
        c: AcceptorSet,
    ) -> Option<Split> {
        let m = self.prefixes[class].len() - 1;
        let t1 = self.fewest(class, a.union(b), 0)?;
        let t2 = self.fewest(class, a.union(c), 1)?;
        let t3 = self.fewest(class, b.union(c), 2)?;
        let (ca, cb, cc) = (m - t3, m - t2, m - t1);
        if ca + cb + cc < m {
            return None;
        }
        let xa = ca.min(m);
        let xb = cb.min(m - xa);
        let p = &self.prefixes[class];
        let (to_a, ab) = (p[xa], p[xa + xb]);
        Some(Split {
            a_side: a.union(to_a),
            b_side: b.union(ab.difference(to_a)),
            common: c.union(p[m].difference(ab)),
        })
    }

    /// The fewest members of `class` that, added to `base`, make predicate
    /// `which` (0: the CLG edge, 1: `Q_a`, 2: `Q_b`) hold; `None` if even all
    /// of them do not, or the budget ran out (then `out_of_budget` is set).
    fn fewest(&mut self, class: usize, base: AcceptorSet, which: usize) -> Option<usize> {
        let m = self.prefixes[class].len() - 1;
        let test = |s: &mut Self, k: usize| -> Option<bool> {
            if !s.spend(s.costs[which]) {
                return None;
            }
            let x = base.union(s.prefixes[class][k]);
            Some(match which {
                0 => s.graph.condensed_holds(s.a, s.b, x),
                1 => s.qa.holds(x),
                _ => s.qb.holds(x),
            })
        };
        if !test(self, m)? {
            return None;
        }
        let (mut lo, mut hi) = (0usize, m);
        // Invariant: the predicate holds at `hi`; below `lo` it does not.
        while lo < hi {
            let mid = (lo + hi) / 2;
            if test(self, mid)? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(hi)
    }
}

/// Drops members of `set` one by one while `holds` keeps holding: a minimal
/// member of the family inside `set`.
pub(crate) fn shrink(set: AcceptorSet, holds: impl Fn(AcceptorSet) -> bool) -> AcceptorSet {
    let mut s = set;
    for x in set.iter() {
        let mut t = s;
        t.remove(x);
        if holds(t) {
            s = t;
        }
    }
    s
}
