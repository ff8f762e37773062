//! Small learner graphs from the digest (§8), for tests, benchmarks, the model
//! checker and demos.

use crate::bitset::AcceptorSet;
use crate::error::StructureError;
use crate::expr::Expr;
use crate::graph::{GraphDescription, LearnerGraph};
use crate::ids::{AcceptorId, LearnerId};

/// Acceptor names `A`, `B`, … (then `A1`… past `Z`).
pub fn acceptor_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let letter = char::from(b'A' + (i % 26) as u8);
            if i < 26 {
                letter.to_string()
            } else {
                format!("{letter}{}", i / 26)
            }
        })
        .collect()
}

/// All subsets of `0..n` of size `k`, as acceptor sets.
pub fn subsets_of_size(n: usize, k: usize) -> Vec<AcceptorSet> {
    let mut out = Vec::new();
    let mut stack = vec![(0usize, AcceptorSet::EMPTY)];
    while let Some((next, set)) = stack.pop() {
        if set.len() == k {
            out.push(set);
            continue;
        }
        if n - next < k - set.len() {
            continue;
        }
        for i in (next..n).rev() {
            if let Some(id) = AcceptorId::new(i) {
                let mut s = set;
                s.insert(id);
                stack.push((i + 1, s));
            }
        }
    }
    out.sort();
    out
}

/// Homogeneous BFT (digest §8 Config 1 for `n = 4`, `learners = 1`): `n`
/// acceptors tolerating `f = ⌊(n − 1)/3⌋` Byzantine ones; every learner's
/// quorums, and its safe sets with every learner (itself included), are the
/// sets of at least `n − f` acceptors. Learners are called `L0`, `L1`, …
pub fn homogeneous(n: usize, learners: usize) -> Result<LearnerGraph, StructureError> {
    homogeneous_with(n, n.saturating_sub(1) / 3, learners)
}

/// Like [`homogeneous`] with `f` faults tolerated: quorums and safe sets of
/// at least `n − f` acceptors, as thresholds (never enumerated).
pub fn homogeneous_with(
    n: usize,
    f: usize,
    learners: usize,
) -> Result<LearnerGraph, StructureError> {
    let all = AcceptorSet::first(n);
    let family = || Expr::Count {
        k: n.saturating_sub(f),
        of: all,
    };
    let names: Vec<String> = (0..learners).map(|i| format!("L{i}")).collect();
    let mut edges = Vec::new();
    for a in 0..learners {
        for b in a..learners {
            if let (Some(la), Some(lb)) = (LearnerId::new(a), LearnerId::new(b)) {
                edges.push((la, lb, family()));
            }
        }
    }
    LearnerGraph::from_exprs(
        acceptor_names(n),
        names,
        (0..learners).map(|_| family()).collect(),
        edges,
    )
}

fn by_names(
    acceptors: &[&str],
    learners: &[(&str, &[&str])],
    safe: &[(&str, &str, &[&str])],
) -> Result<LearnerGraph, StructureError> {
    let split = |s: &&str| s.chars().map(|c| c.to_string()).collect::<Vec<_>>();
    let desc = GraphDescription {
        acceptors: acceptors.iter().map(|s| s.to_string()).collect(),
        learners: learners
            .iter()
            .map(|(n, qs)| {
                let sets: Vec<Vec<String>> = qs.iter().map(split).collect();
                (n.to_string(), sets.into())
            })
            .collect(),
        safe_sets: safe
            .iter()
            .map(|(a, b, ss)| {
                let sets: Vec<Vec<String>> = ss.iter().map(split).collect();
                ((a.to_string(), b.to_string()), sets.into())
            })
            .collect(),
    };
    LearnerGraph::from_description(&desc)
}

/// Digest §8 Config 2: `red` (BFT over `ABCD`) and `blue` (crash-fault over
/// `ABC`); `red–red = {ABC, ABD, ACD, BCD}`, `blue–blue = red–blue = {ABC}`.
pub fn red_blue() -> Result<LearnerGraph, StructureError> {
    const RED: &[&str] = &["ABC", "ABD", "ACD", "BCD"];
    by_names(
        &["A", "B", "C", "D"],
        &[("red", RED), ("blue", &["AB", "AC", "BC"])],
        &[
            ("red", "red", RED),
            ("blue", "blue", &["ABC"]),
            ("red", "blue", &["ABC"]),
        ],
    )
}

/// Digest §8 Config 3 (invalid): disjoint quorums `Q_a = {AB}`, `Q_b = {CD}`
/// with `a–a = {A, B}`, `b–b = {C, D}`, `a–b = {ABCD}`. Violates LG-4.
pub fn disjoint() -> Result<LearnerGraph, StructureError> {
    by_names(
        &["A", "B", "C", "D"],
        &[("a", &["AB"]), ("b", &["CD"])],
        &[
            ("a", "a", &["A", "B"]),
            ("b", "b", &["C", "D"]),
            ("a", "b", &["ABCD"]),
        ],
    )
}
