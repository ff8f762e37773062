//! Table tests for the trust queries of a learner graph: quorums, `Con_a`
//! (connected learners given caught acceptors), entanglement and accuracy
//! (digest §2.2, §3.2, §8; decision D5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_quorums::{
    AcceptorId, AcceptorSet, GraphDescription, LearnerGraph, LearnerId, LearnerSet, examples,
};

/// An acceptor set from single-letter names: `"ABC"` is `{A, B, C}` (A = 0).
fn s(letters: &str) -> AcceptorSet {
    letters
        .bytes()
        .map(|c| AcceptorId::new(usize::from(c - b'A')).unwrap())
        .collect()
}

/// The acceptor set whose members are the bits of `mask` (bit `i` = index `i`).
fn set_of(mask: u32) -> AcceptorSet {
    (0..32)
        .filter(|i| mask >> i & 1 == 1)
        .map(|i| AcceptorId::new(i).unwrap())
        .collect()
}

/// Splits `"AB"` into `["A", "B"]`.
fn names(letters: &str) -> Vec<String> {
    letters.chars().map(|c| c.to_string()).collect()
}

fn learners(g: &LearnerGraph, names: &[&str]) -> LearnerSet {
    names
        .iter()
        .map(|n| g.learner_by_name(n).unwrap())
        .collect()
}

fn red_blue() -> (LearnerGraph, LearnerId, LearnerId) {
    let g = examples::red_blue().unwrap();
    let red = g.learner_by_name("red").unwrap();
    let blue = g.learner_by_name("blue").unwrap();
    (g, red, blue)
}

/// `is_quorum(a, S)`: `S` contains a (minimal) quorum of `a` (quorums are
/// upward closed). Digest §2.1.
#[test]
fn is_quorum_table() {
    let (g, red, blue) = red_blue();
    let rows: &[(&str, &str, bool)] = &[
        ("red", "ABC", true),
        ("red", "BCD", true),
        ("red", "ABCD", true),
        ("red", "AB", false),
        ("red", "CD", false),
        ("red", "", false),
        ("blue", "AB", true),
        ("blue", "AC", true),
        ("blue", "BC", true),
        ("blue", "ABD", true),
        ("blue", "A", false),
        ("blue", "AD", false),
        ("blue", "D", false),
        ("blue", "CD", false),
        ("blue", "", false),
    ];
    for &(who, set, want) in rows {
        let a = if who == "red" { red } else { blue };
        assert_eq!(g.is_quorum(a, s(set)), want, "is_quorum({who}, {set})");
    }
    // A learner id outside the graph has no quorums.
    let unknown = LearnerId::new(5).unwrap();
    assert!(!g.has_learner(unknown));
    assert!(!g.is_quorum(unknown, s("ABCD")));
    assert!(g.quorum_expr(unknown).is_none());
    assert!(g.minimal_quorums(unknown).is_none());
    // ...while the known learners' minimal quorums are what the rows say.
    assert_eq!(
        g.minimal_quorums(blue).unwrap(),
        [s("AB"), s("AC"), s("BC")].as_slice()
    );
}

/// `is_quorum` on Config 1: exactly the sets of at least 3 of the 4 acceptors.
#[test]
fn is_quorum_homogeneous_is_three_of_four() {
    let g = examples::homogeneous(4, 1).unwrap();
    let l0 = LearnerId::new(0).unwrap();
    for bits in 0u32..16 {
        let set = set_of(bits);
        assert_eq!(g.is_quorum(l0, set), set.len() >= 3, "{set:?}");
    }
}

/// `Con_a(caught)`: the learners `b` such that some safe set of `a–b` in the
/// CLG has no caught member (digest §3.2; D5: self-edges included). Rows on
/// Config 2 as (a, caught, Con_a).
#[test]
fn connected_red_blue_table() {
    let (g, _, _) = red_blue();
    let rows: &[(&str, &str, &[&str])] = &[
        // No evidence: everyone connected to everyone.
        ("red", "", &["red", "blue"]),
        ("blue", "", &["red", "blue"]),
        // D is in no safe set of red–blue or blue–blue: nothing changes.
        ("red", "D", &["red", "blue"]),
        ("blue", "D", &["red", "blue"]),
        // C is in every safe set of blue: blue is cut off from red and from
        // itself; red keeps itself (ABD avoids C).
        ("red", "C", &["red"]),
        ("blue", "C", &[]),
        ("red", "A", &["red"]),
        ("blue", "B", &[]),
        // Two caught: no 3-of-4 safe set of red avoids both.
        ("red", "CD", &[]),
        ("red", "AD", &[]),
        ("red", "AB", &[]),
        ("blue", "AD", &[]),
        ("red", "ABCD", &[]),
        ("blue", "ABCD", &[]),
    ];
    for &(who, caught, want) in rows {
        let a = g.learner_by_name(who).unwrap();
        assert_eq!(
            g.connected(a, s(caught)),
            learners(&g, want),
            "Con_{who}({caught})"
        );
    }
}

/// `Con_a` on Config 1: with at most one caught acceptor `L` stays connected
/// to itself; with two it is not.
#[test]
fn connected_homogeneous() {
    let g = examples::homogeneous(4, 2).unwrap();
    let all = g.learners();
    for a in g.learner_ids() {
        for bits in 0u32..16 {
            let caught = set_of(bits);
            let want = if caught.len() <= 1 {
                all
            } else {
                LearnerSet::EMPTY
            };
            assert_eq!(g.connected(a, caught), want, "{a} caught {caught:?}");
        }
    }
}

/// `Con_a` is computed over the CLG (D5): an edge `x–z` that is only implied
/// (`x–y = {A}`, `y–z = {B}` give `x–z = {AB}`) connects x and z until A or B
/// is caught.
#[test]
fn connected_uses_condensed_edges() {
    let d = GraphDescription {
        acceptors: names("ABC"),
        learners: ["x", "y", "z"]
            .iter()
            .map(|n| (n.to_string(), vec![names("ABC")].into()))
            .collect(),
        safe_sets: vec![
            (("x".into(), "y".into()), vec![names("A")].into()),
            (("y".into(), "z".into()), vec![names("B")].into()),
        ],
    };
    let g = LearnerGraph::from_description(&d).unwrap();
    let x = g.learner_by_name("x").unwrap();
    let z = g.learner_by_name("z").unwrap();
    let rows: &[(&str, &str, &[&str])] = &[
        ("x", "", &["x", "y", "z"]),
        ("x", "C", &["x", "y", "z"]),
        ("x", "A", &[]),
        ("x", "B", &["x", "y"]),
        ("z", "", &["x", "y", "z"]),
        ("z", "A", &["y", "z"]),
        ("y", "A", &["y", "z"]),
        ("y", "B", &["x", "y"]),
        ("y", "AB", &[]),
    ];
    for &(who, caught, want) in rows {
        let a = g.learner_by_name(who).unwrap();
        assert_eq!(
            g.connected(a, s(caught)),
            learners(&g, want),
            "Con_{who}({caught})"
        );
    }
    // x–z is not given: it is only implied.
    assert!(g.given_edge(x, z).is_none());
    assert_eq!(g.minimal_given_safe_sets(x, z), Some(&[][..]));
    assert_eq!(g.minimal_safe_sets(x, z), Some(&[s("AB")][..]));
    assert!(g.condensed_holds(x, z, s("AB")));
    assert!(!g.condensed_holds(x, z, s("AC")));
}

/// `Entangled(a, b)` ⟺ some safe set of `a–b` in the CLG is made of actually
/// safe acceptors only; `Accurate(a)` ⟺ `Entangled(a, a)` (digest §2.2).
/// Digest §8 Config 2 scenarios as (Byzantine acceptors, red accurate, blue
/// accurate, red–blue entangled).
#[test]
fn entangled_accurate_red_blue_scenarios() {
    let (g, red, blue) = red_blue();
    let rows: &[(&str, bool, bool, bool)] = &[
        // Everyone safe.
        ("", true, true, true),
        // D Byzantine: all three pairs entangled, red and blue must agree.
        ("D", true, true, true),
        // C Byzantine: red accurate, blue not, red–blue not entangled.
        ("C", true, false, false),
        ("A", true, false, false),
        ("B", true, false, false),
        // Two Byzantine: nobody is promised anything.
        ("CD", false, false, false),
        ("AB", false, false, false),
        ("ABCD", false, false, false),
    ];
    let all = g.acceptors();
    for &(byzantine, red_ok, blue_ok, together) in rows {
        let safe = all.difference(s(byzantine));
        assert_eq!(
            g.accurate(red, safe),
            red_ok,
            "red accurate, {byzantine} Byzantine"
        );
        assert_eq!(g.entangled(red, red, safe), red_ok);
        assert_eq!(
            g.accurate(blue, safe),
            blue_ok,
            "blue accurate, {byzantine} Byzantine"
        );
        assert_eq!(g.entangled(blue, blue, safe), blue_ok);
        assert_eq!(
            g.entangled(red, blue, safe),
            together,
            "red–blue, {byzantine} Byzantine"
        );
        assert_eq!(
            g.entangled(blue, red, safe),
            together,
            "blue–red, {byzantine} Byzantine"
        );
    }
}

/// Digest §8 Config 1: with at most one Byzantine acceptor `L` is accurate
/// (and, in variant 1b, `L1`, `L2` are entangled); with two, nothing is
/// promised.
#[test]
fn entangled_accurate_homogeneous() {
    let g = examples::homogeneous(4, 2).unwrap();
    let (l1, l2) = (LearnerId::new(0).unwrap(), LearnerId::new(1).unwrap());
    for bits in 0u32..16 {
        let safe = set_of(bits);
        let want = safe.len() >= 3;
        assert_eq!(g.accurate(l1, safe), want, "safe {safe:?}");
        assert_eq!(g.accurate(l2, safe), want, "safe {safe:?}");
        assert_eq!(g.entangled(l1, l2, safe), want, "safe {safe:?}");
    }
}

/// Digest §8 Config 3: with all acceptors safe, a and b are entangled (which
/// is why the graph's LG-4 violation breaks agreement); with any acceptor
/// Byzantine they are not.
#[test]
fn entangled_disjoint_config() {
    let g = examples::disjoint().unwrap();
    let a = g.learner_by_name("a").unwrap();
    let b = g.learner_by_name("b").unwrap();
    assert!(g.entangled(a, b, s("ABCD")));
    assert!(!g.entangled(a, b, s("ABC")));
    assert!(g.accurate(a, s("A")));
    assert!(g.accurate(a, s("B")));
    assert!(!g.accurate(a, s("CD")));
    assert!(g.accurate(b, s("CD")));
    assert!(!g.accurate(b, s("AB")));
    // Even so, quorums of entangled a and b share no acceptor at all.
    let (qas, qbs) = (g.minimal_quorums(a).unwrap(), g.minimal_quorums(b).unwrap());
    assert!(!qas.is_empty() && !qbs.is_empty());
    for &qa in qas {
        for &qb in qbs {
            assert!(qa.is_disjoint(qb));
        }
    }
}

/// A learner with no self-edge (refused by D5) is never accurate and connected
/// to nobody, whatever is safe or caught.
#[test]
fn learner_without_edges_is_never_accurate() {
    let d = GraphDescription {
        acceptors: names("AB"),
        learners: vec![
            ("a".into(), vec![names("AB")].into()),
            ("b".into(), vec![names("AB")].into()),
        ],
        safe_sets: vec![(("a".into(), "a".into()), vec![names("A")].into())],
    };
    let g = LearnerGraph::from_description(&d).unwrap();
    let a = g.learner_by_name("a").unwrap();
    let b = g.learner_by_name("b").unwrap();
    assert!(!g.accurate(b, s("AB")));
    assert!(!g.entangled(a, b, s("AB")));
    assert_eq!(g.connected(b, AcceptorSet::EMPTY), LearnerSet::EMPTY);
    assert_eq!(g.connected(a, AcceptorSet::EMPTY), LearnerSet::singleton(a));
    assert!(g.accurate(a, s("A")));
    assert!(!g.accurate(a, s("B")));
}
