//! Graphs at the sizes the expression representation exists for: hundreds of
//! acceptors as thresholds and stake weights, decided exactly (no budget
//! exhaustion) and with the right verdict either side of the boundary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_quorums::{
    AcceptorId, AcceptorSet, Expr, LearnerGraph, LearnerId, MAX_ACCEPTORS, Violation, examples,
};

fn l(i: usize) -> LearnerId {
    LearnerId::new(i).unwrap()
}

/// Homogeneous clusters up to the maximum: `f = ⌊(n − 1)/3⌋` is valid, one
/// more fault is a violation that names two quorums and a safe set whose
/// common part is empty.
#[test]
fn homogeneous_thresholds_up_to_the_maximum() {
    for n in [4usize, 31, 100, 257, MAX_ACCEPTORS] {
        let f = (n - 1) / 3;
        let g = examples::homogeneous_with(n, f, 2).unwrap();
        assert_eq!(g.violations(), vec![], "n = {n}, f = {f}");
        let g = examples::homogeneous_with(n, f + 1, 2).unwrap();
        let v = g.violations();
        assert!(!v.is_empty(), "n = {n}, f = {}", f + 1);
        assert!(
            v.iter()
                .all(|v| matches!(v, Violation::QuorumsMissSafeSet { .. })),
            "{v:?}"
        );
    }
}

fn weighted(threshold: u64, weights: &[(usize, u64)]) -> Expr {
    Expr::weighted(
        threshold,
        weights
            .iter()
            .map(|&(i, w)| (AcceptorId::new(i).unwrap(), w))
            .collect(),
    )
    .unwrap()
}

/// Two chains of stake-weighted validators with distinct stakes: quorums
/// need two thirds of each chain's stake; each chain's learner is safe while
/// its chain has less than a third faulty; the two agree while either chain
/// does. Valid; and with quorums at half the stake, not.
#[test]
fn two_weighted_chains() {
    let per_chain = 7;
    let stakes: Vec<u64> = (0..per_chain as u64).map(|i| 10 + 3 * i).collect();
    let total: u64 = stakes.iter().sum();
    let chain = |c: usize, threshold: u64| {
        let ws: Vec<(usize, u64)> = stakes
            .iter()
            .enumerate()
            .map(|(i, &w)| (c * per_chain + i, w))
            .collect();
        weighted(threshold, &ws)
    };
    let build = |quorum: u64, safe: u64| {
        let q = Expr::Threshold {
            k: 2,
            of: vec![chain(0, quorum), chain(1, quorum)],
        };
        let cross = Expr::Threshold {
            k: 1,
            of: vec![chain(0, safe), chain(1, safe)],
        };
        LearnerGraph::from_exprs(
            examples::acceptor_names(2 * per_chain),
            vec!["red".into(), "blue".into()],
            vec![q.clone(), q],
            vec![
                (l(0), l(0), chain(0, safe)),
                (l(1), l(1), chain(1, safe)),
                (l(0), l(1), cross),
            ],
        )
        .unwrap()
    };
    let f = (total - 1) / 3; // largest stake strictly below a third
    let g = build(total - f, total - f);
    assert_eq!(g.violations(), vec![]);
    let g = build(total / 2, total - f);
    let v = g.violations();
    assert!(
        v.iter()
            .any(|v| matches!(v, Violation::QuorumsMissSafeSet { .. })),
        "{v:?}"
    );
    assert!(!v.iter().any(Violation::is_undecided), "{v:?}");
    let all = AcceptorSet::first(2 * per_chain);
    assert!(g.is_quorum(l(0), all));
}

/// `chains` chains of `per_chain` validators with distinct stakes, quorums
/// of `quorum` thirds... of every chain's stake (a fraction `num/den`), each
/// chain's learner safe while its chain has less than a third faulty, and
/// every pair agreeing while either chain does.
fn chains(chains: usize, per_chain: usize, num: u64, den: u64) -> LearnerGraph {
    let stake = |c: usize, i: usize| 5 + ((c * 31 + i * 17) % 97) as u64;
    let total = |c: usize| (0..per_chain).map(|i| stake(c, i)).sum::<u64>();
    let family = |c: usize, threshold: u64| {
        let ws: Vec<(usize, u64)> = (0..per_chain)
            .map(|i| (c * per_chain + i, stake(c, i)))
            .collect();
        weighted(threshold, &ws)
    };
    let safe = |c: usize| total(c) - (total(c) - 1) / 3;
    let quorum = Expr::Threshold {
        k: chains,
        of: (0..chains)
            .map(|c| family(c, (total(c) * num).div_ceil(den)))
            .collect(),
    };
    let mut edges = Vec::new();
    for c in 0..chains {
        edges.push((l(c), l(c), family(c, safe(c))));
        for d in c + 1..chains {
            let either = Expr::Threshold {
                k: 1,
                of: vec![family(c, safe(c)), family(d, safe(d))],
            };
            edges.push((l(c), l(d), either));
        }
    }
    LearnerGraph::from_exprs(
        examples::acceptor_names(chains * per_chain),
        (0..chains).map(|c| format!("chain{c}")).collect(),
        vec![quorum; chains],
        edges,
    )
    .unwrap()
}

/// Several chains, each placed and summarised in turn by the search: four
/// chains of 25 validators and two of 100 are decided, valid with quorums
/// of two thirds of each chain's stake and invalid with half.
#[test]
fn many_weighted_chains_are_decided() {
    for (k, v) in [(3usize, 7usize), (4, 25), (2, 100)] {
        let g = chains(k, v, 2, 3);
        assert_eq!(g.violations(), vec![], "{k} chains of {v}: two thirds");
        let g = chains(k, v, 1, 2);
        let found = g.violations();
        assert!(
            found
                .iter()
                .any(|x| matches!(x, Violation::QuorumsMissSafeSet { .. })),
            "{k} chains of {v}: half: {found:?}"
        );
        assert!(!found.iter().any(Violation::is_undecided), "{found:?}");
    }
}

/// Enumeration gives up early instead of building millions of unions: all of
/// four stake thresholds over groups of 15 (each with thousands of minimal
/// sets) is not enumerated, and its validity is still decided.
#[test]
fn large_families_are_not_enumerated() {
    let g = chains(4, 15, 2, 3);
    assert!(g.enumerated().is_none());
    assert_eq!(g.violations(), vec![]);
}
