//! Property tests over random small learner graphs (≤ 5 acceptors, ≤ 3
//! learners): minimization, condensation (the CLG), `Con_a`, entanglement, and
//! the fact the safety proof uses from a valid graph (`EntanglementTrustLive`,
//! digest §2.3). Graphs are given as listed minimal sets, so every one of them
//! is enumerable ([`LearnerGraph::enumerated`]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_quorums::{
    AcceptorId, AcceptorSet, EdgeMatrix, LearnerGraph, LearnerId, LearnerSet,
    MAX_SAFE_SETS_PER_EDGE, Violation, condense, examples, minimize,
};
use proptest::prelude::*;

const MAX_ACCEPTORS: usize = 5;
const MAX_LEARNERS: usize = 3;

fn l(i: usize) -> LearnerId {
    LearnerId::new(i).unwrap()
}

/// The acceptor set whose members are the bits of `mask` (bit `i` = index `i`).
fn set_of(mask: u32) -> AcceptorSet {
    (0..32)
        .filter(|i| mask >> i & 1 == 1)
        .map(|i| AcceptorId::new(i).unwrap())
        .collect()
}

/// The minimal quorums of `a` (every graph here is enumerable).
fn quorums(g: &LearnerGraph, a: LearnerId) -> &[AcceptorSet] {
    g.minimal_quorums(a)
        .expect("small listed graphs are enumerable")
}

/// The minimal safe sets of the CLG edge `a–b`.
fn safe_sets(g: &LearnerGraph, a: LearnerId, b: LearnerId) -> &[AcceptorSet] {
    g.minimal_safe_sets(a, b)
        .expect("small listed graphs are enumerable")
}

/// A random graph description by dense ids: number of acceptors, quorums per
/// learner, and optional safe sets per unordered learner pair.
#[derive(Debug, Clone)]
struct RawGraph {
    acceptors: usize,
    quorums: Vec<Vec<AcceptorSet>>,
    edges: Vec<(LearnerId, LearnerId, Vec<AcceptorSet>)>,
}

impl RawGraph {
    fn build(&self) -> LearnerGraph {
        let learner_names = (0..self.quorums.len()).map(|i| format!("L{i}")).collect();
        LearnerGraph::new(
            examples::acceptor_names(self.acceptors),
            learner_names,
            self.quorums.clone(),
            self.edges.clone(),
        )
        .unwrap()
    }
}

/// A non-empty subset of the first `n` acceptors.
fn nonempty_set(n: usize) -> impl Strategy<Value = AcceptorSet> {
    (1u32..(1u32 << n)).prop_map(set_of)
}

fn raw_graph() -> impl Strategy<Value = RawGraph> {
    (1..=MAX_ACCEPTORS, 1..=MAX_LEARNERS).prop_flat_map(|(n, learners)| {
        let pairs: Vec<(usize, usize)> = (0..learners)
            .flat_map(|a| (a..learners).map(move |b| (a, b)))
            .collect();
        let quorums =
            prop::collection::vec(prop::collection::vec(nonempty_set(n), 1..=3), learners);
        let edges = prop::collection::vec(
            prop::option::weighted(0.7, prop::collection::vec(nonempty_set(n), 1..=3)),
            pairs.len(),
        );
        (Just(n), Just(pairs), quorums, edges).prop_map(|(n, pairs, quorums, edges)| RawGraph {
            acceptors: n,
            quorums,
            edges: pairs
                .into_iter()
                .zip(edges)
                .filter_map(|((a, b), sets)| sets.map(|s| (l(a), l(b), s)))
                .collect(),
        })
    })
}

fn graph() -> impl Strategy<Value = LearnerGraph> {
    raw_graph().prop_map(|r| r.build())
}

/// A random graph made valid: every learner gets a self-edge (all acceptors)
/// if it has none, then quorums are grown, one acceptor of the offending safe
/// set at a time, until LG-4 holds. Growing quorums only shrinks each
/// learner's (upward-closed) quorum family, so this terminates.
fn valid_graph() -> impl Strategy<Value = LearnerGraph> {
    raw_graph().prop_map(|mut r| {
        let all = AcceptorSet::first(r.acceptors);
        for a in 0..r.quorums.len() {
            if !r
                .edges
                .iter()
                .any(|(x, y, _)| x.index() == a && y.index() == a)
            {
                r.edges.push((l(a), l(a), vec![all]));
            }
        }
        for _ in 0..1000 {
            let g = r.build();
            let Some((a, b, qa, qb, s)) = first_lg4_failure(&g) else {
                assert_eq!(g.validate(), Ok(()));
                return g;
            };
            let x = s
                .intersection(qa.union(qb))
                .iter()
                .next()
                .or_else(|| s.iter().next())
                .unwrap();
            let grow = |qs: &mut Vec<AcceptorSet>, q: AcceptorSet| {
                for m in qs.iter_mut().filter(|m| **m == q) {
                    m.insert(x);
                }
            };
            grow(&mut r.quorums[a.index()], qa);
            grow(&mut r.quorums[b.index()], qb);
            r.quorums = r.quorums.iter().map(|qs| minimize(qs.clone())).collect();
        }
        panic!("repair did not converge for {r:?}");
    })
}

/// The first LG-4 failure, found by brute force over the CLG.
fn first_lg4_failure(
    g: &LearnerGraph,
) -> Option<(LearnerId, LearnerId, AcceptorSet, AcceptorSet, AcceptorSet)> {
    for a in g.learner_ids() {
        for b in g.learner_ids() {
            for &s in safe_sets(g, a, b) {
                for &qa in quorums(g, a) {
                    for &qb in quorums(g, b) {
                        if qa.intersection(qb).intersection(s).is_empty() {
                            return Some((a, b, qa, qb, s));
                        }
                    }
                }
            }
        }
    }
    None
}

fn given_matrix(g: &LearnerGraph) -> EdgeMatrix {
    let n = g.num_learners();
    (0..n)
        .map(|a| {
            (0..n)
                .map(|b| g.minimal_given_safe_sets(l(a), l(b)).unwrap().to_vec())
                .collect()
        })
        .collect()
}

fn clg_matrix(g: &LearnerGraph) -> EdgeMatrix {
    let n = g.num_learners();
    (0..n)
        .map(|a| (0..n).map(|b| safe_sets(g, l(a), l(b)).to_vec()).collect())
        .collect()
}

/// Upward closure of `family` within the subsets of `0..n` (n ≤ 6), as a
/// 64-bit membership mask indexed by subset bits.
fn up_closure(family: &[AcceptorSet], n: usize) -> u64 {
    let mut mask = 0u64;
    for x in 0..(1u32 << n) {
        if family.iter().any(|m| m.is_subset(set_of(x))) {
            mask |= 1 << x;
        }
    }
    mask
}

/// Reference CLG: the least upward-closed, LG-2-closed families containing the
/// given edges, computed by naive fixpoint iteration over all subsets.
fn reference_closure(given: &EdgeMatrix, n: usize) -> Vec<Vec<u64>> {
    let l = given.len();
    let mut fam: Vec<Vec<u64>> = given
        .iter()
        .map(|row| row.iter().map(|e| up_closure(e, n)).collect())
        .collect();
    let members = |mask: u64| (0..(1u32 << n)).filter(move |&x| mask & (1 << x) != 0);
    loop {
        let mut changed = false;
        for a in 0..l {
            for b in 0..l {
                for c in 0..l {
                    let mut add = 0u64;
                    for x in members(fam[a][b]) {
                        for y in members(fam[b][c]) {
                            add |= 1 << (x | y);
                        }
                    }
                    let new = fam[a][c] | add;
                    if new != fam[a][c] {
                        fam[a][c] = new;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return fam;
        }
    }
}

fn subset_of(set: LearnerSet, other: LearnerSet) -> bool {
    set.is_subset(other)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// `minimize` returns a sorted antichain of input sets whose upward
    /// closure equals the input's.
    #[test]
    fn minimize_is_antichain_with_same_closure(
        input in prop::collection::vec((0u32..64).prop_map(set_of), 0..10)
    ) {
        let out = minimize(input.clone());
        for (i, &x) in out.iter().enumerate() {
            prop_assert!(input.contains(&x), "{x:?} not from input");
            for (j, &y) in out.iter().enumerate() {
                if i != j {
                    prop_assert!(!x.is_subset(y), "{x:?} ⊆ {y:?} in {out:?}");
                }
            }
        }
        prop_assert!(out.windows(2).all(|w| w[0] < w[1]), "not sorted: {out:?}");
        prop_assert_eq!(up_closure(&out, 6), up_closure(&input, 6));
        prop_assert_eq!(minimize(out.clone()), out, "minimize is idempotent");
    }

    /// `condense` gives a CLG that passes LG-1, LG-2 and LG-3 with no
    /// violations, implies every given set, is a fixpoint of `condense`, and is
    /// exactly the least closed family (checked against a naive fixpoint); the
    /// CLG the graph evaluates on demand (`condensed_holds`) is the same family.
    #[test]
    fn condense_is_the_least_closed_graph(g in graph()) {
        let given = given_matrix(&g);
        let c = condense(&given, MAX_SAFE_SETS_PER_EDGE).unwrap();
        prop_assert_eq!(&c, &clg_matrix(&g), "the graph enumerates condense(given)");
        prop_assert_eq!(g.check_symmetry(&c), Vec::<Violation>::new());
        prop_assert_eq!(g.check_condensed(&c), Vec::<Violation>::new());
        prop_assert_eq!(g.check_minimal(&c), Vec::<Violation>::new());
        for a in 0..g.num_learners() {
            for b in 0..g.num_learners() {
                for &s in &given[a][b] {
                    prop_assert!(
                        c[a][b].iter().any(|m| m.is_subset(s)),
                        "given {:?} ∈ L{}–L{} not implied by {:?}", s, a, b, c[a][b]
                    );
                }
            }
        }
        prop_assert_eq!(
            condense(&c, MAX_SAFE_SETS_PER_EDGE).unwrap(),
            c.clone(),
            "condense is idempotent"
        );
        let reference = reference_closure(&given, g.num_acceptors());
        for a in 0..g.num_learners() {
            for b in 0..g.num_learners() {
                prop_assert_eq!(
                    up_closure(&c[a][b], g.num_acceptors()),
                    reference[a][b],
                    "L{}–L{}: {:?}", a, b, c[a][b]
                );
                for x in 0..(1u32 << g.num_acceptors()) {
                    prop_assert_eq!(
                        g.condensed_holds(l(a), l(b), set_of(x)),
                        reference[a][b] & (1 << x) != 0,
                        "condensed_holds(L{}, L{}, {:?})", a, b, set_of(x)
                    );
                }
            }
        }
        // The given graph is already condensed exactly when it passes LG-2.
        prop_assert_eq!(given == c, g.check_condensed(&given).is_empty());
    }

    /// `Con_a` is antitone in the caught set: more caught acceptors, fewer (or
    /// the same) connected learners; and `b ∈ Con_a(caught)` ⟺ `a` and `b`
    /// would be entangled if exactly the uncaught acceptors were safe.
    #[test]
    fn connected_is_monotone(
        g in graph(),
        caught in 0u32..32,
        more in 0u32..32,
    ) {
        let all = g.acceptors();
        let caught = set_of(caught).intersection(all);
        let bigger = caught.union(set_of(more).intersection(all));
        for a in g.learner_ids() {
            let con = g.connected(a, caught);
            let con_bigger = g.connected(a, bigger);
            prop_assert!(
                subset_of(con_bigger, con),
                "Con_{}({:?}) = {:?} ⊄ Con_{}({:?}) = {:?}", a, bigger, con_bigger, a, caught, con
            );
            prop_assert!(subset_of(con, g.learners()));
            prop_assert!(subset_of(con, g.connected(a, AcceptorSet::EMPTY)));
            prop_assert_eq!(g.connected(a, all), LearnerSet::EMPTY);
            for b in g.learner_ids() {
                prop_assert_eq!(
                    con.contains(b),
                    g.entangled(a, b, all.difference(caught)),
                    "{} {} caught {:?}", a, b, caught
                );
            }
        }
    }

    /// Entanglement over the CLG is symmetric and transitive, and a learner
    /// entangled with anyone is accurate (`EntanglementSelf`). These hold for
    /// every condensed graph, valid or not.
    #[test]
    fn entanglement_symmetric_transitive_self(g in graph(), safe in 0u32..32) {
        let safe = set_of(safe).intersection(g.acceptors());
        for a in g.learner_ids() {
            for b in g.learner_ids() {
                let ab = g.entangled(a, b, safe);
                prop_assert_eq!(ab, g.entangled(b, a, safe), "symmetry {} {}", a, b);
                if ab {
                    prop_assert!(g.accurate(a, safe), "EntanglementSelf {} {}", a, b);
                    prop_assert!(g.accurate(b, safe), "EntanglementSelf {} {}", b, a);
                    for c in g.learner_ids() {
                        if g.entangled(b, c, safe) {
                            prop_assert!(g.entangled(a, c, safe), "transitivity {} {} {}", a, b, c);
                        }
                    }
                }
            }
            // Entanglement only grows with the safe set.
            prop_assert!(!g.accurate(a, safe) || g.accurate(a, g.acceptors()));
        }
    }

    /// `validate()` agrees with a brute-force check of LG-4 over upward
    /// closures (every safe set, not just minimal ones) plus D5.
    #[test]
    fn validate_matches_brute_force(g in graph()) {
        let n = g.num_acceptors();
        let mut ok = g.learner_ids().all(|a| !safe_sets(&g, a, a).is_empty());
        for a in g.learner_ids() {
            for b in g.learner_ids() {
                let fam = up_closure(safe_sets(&g, a, b), n);
                for x in 0..(1u32 << n) {
                    if fam & (1 << x) == 0 {
                        continue;
                    }
                    let s = set_of(x);
                    for &qa in quorums(&g, a) {
                        for &qb in quorums(&g, b) {
                            if qa.intersection(qb).is_disjoint(s) {
                                ok = false;
                            }
                        }
                    }
                }
            }
        }
        prop_assert_eq!(g.validate().is_ok(), ok, "{:?}", g.violations());
        prop_assert_eq!(g.violations().is_empty(), ok);
    }

    /// `EntanglementTrustLive` (digest §2.3): in a valid graph, for entangled
    /// `a, b` (for whatever set of actually-safe acceptors), every quorum of
    /// `a` and every quorum of `b` share an actually-safe acceptor.
    #[test]
    fn entanglement_trust_live(g in valid_graph()) {
        prop_assert_eq!(g.validate(), Ok(()));
        let n = g.num_acceptors();
        for bits in 0..(1u32 << n) {
            let safe = set_of(bits);
            for a in g.learner_ids() {
                for b in g.learner_ids() {
                    if !g.entangled(a, b, safe) {
                        continue;
                    }
                    for &qa in quorums(&g, a) {
                        for &qb in quorums(&g, b) {
                            prop_assert!(
                                !qa.intersection(qb).is_disjoint(safe),
                                "{} {} entangled with safe {:?}, quorums {:?} {:?}",
                                a, b, safe, qa, qb
                            );
                        }
                    }
                }
            }
        }
    }
}

/// The repaired generator really produces varied valid graphs (not only
/// trivial ones), so `entanglement_trust_live` is not vacuous.
#[test]
fn valid_graph_generator_is_not_trivial() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = valid_graph();
    let mut entangled_distinct_pairs = 0;
    let mut multi_learner = 0;
    for _ in 0..200 {
        let g = strategy.new_tree(&mut runner).unwrap().current();
        assert_eq!(g.validate(), Ok(()));
        if g.num_learners() > 1 {
            multi_learner += 1;
            let (a, b) = (l(0), l(1));
            if g.entangled(a, b, g.acceptors()) {
                entangled_distinct_pairs += 1;
            }
        }
    }
    assert!(multi_learner > 50, "{multi_learner}");
    assert!(entangled_distinct_pairs > 20, "{entangled_distinct_pairs}");
}
