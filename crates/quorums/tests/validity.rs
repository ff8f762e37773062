//! Table tests for learner-graph validity (digest §2.3, LG-1..LG-4; decision
//! D5), the example configurations of digest §8, and structural errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_quorums::{
    AcceptorId, AcceptorSet, DEFAULT_VALIDITY_BUDGET, EdgeMatrix, Expr, FamilyDesc,
    GraphDescription, LearnerGraph, LearnerId, MAX_ACCEPTORS, MAX_LEARNERS, MAX_SAFE_SETS_PER_EDGE,
    MemberDesc, StructureError, Violation, examples,
};

/// An acceptor set from single-letter names: `"ABC"` is `{A, B, C}` (A = 0).
fn s(letters: &str) -> AcceptorSet {
    letters
        .bytes()
        .map(|c| AcceptorId::new(usize::from(c - b'A')).unwrap())
        .collect()
}

fn sets(list: &[&str]) -> Vec<AcceptorSet> {
    list.iter().map(|x| s(x)).collect()
}

fn l(i: usize) -> LearnerId {
    LearnerId::new(i).unwrap()
}

/// Splits `"AB"` into `["A", "B"]`.
fn names(letters: &str) -> Vec<String> {
    letters.chars().map(|c| c.to_string()).collect()
}

/// A description with single-letter acceptor names.
fn desc(
    acceptors: &str,
    learners: &[(&str, &[&str])],
    safe: &[(&str, &str, &[&str])],
) -> GraphDescription {
    GraphDescription {
        acceptors: names(acceptors),
        learners: learners
            .iter()
            .map(|(n, qs)| (n.to_string(), family(qs)))
            .collect(),
        safe_sets: safe
            .iter()
            .map(|(a, b, ss)| ((a.to_string(), b.to_string()), family(ss)))
            .collect(),
    }
}

/// A listed family from single-letter names: `["AB", "C"]` is `{A, B}, {C}`.
fn family(list: &[&str]) -> FamilyDesc {
    list.iter().map(|x| names(x)).collect::<Vec<_>>().into()
}

/// The minimal quorums of `a` (the graphs here are all enumerable).
fn quorums(g: &LearnerGraph, a: LearnerId) -> &[AcceptorSet] {
    g.minimal_quorums(a).expect("enumerable")
}

/// The minimal safe sets of the CLG edge `a–b`.
fn safe_sets(g: &LearnerGraph, a: LearnerId, b: LearnerId) -> &[AcceptorSet] {
    g.minimal_safe_sets(a, b).expect("enumerable")
}

/// The minimal safe sets of `a–b` as given (empty when not given).
fn given_safe_sets(g: &LearnerGraph, a: LearnerId, b: LearnerId) -> &[AcceptorSet] {
    g.minimal_given_safe_sets(a, b).expect("enumerable")
}

/// Whether the given edges are already their own CLG.
fn given_is_condensed(g: &LearnerGraph) -> bool {
    let e = g.enumerated().expect("enumerable");
    e.given == e.condensed
}

fn graph(
    acceptors: &str,
    learners: &[(&str, &[&str])],
    safe: &[(&str, &str, &[&str])],
) -> LearnerGraph {
    LearnerGraph::from_description(&desc(acceptors, learners, safe)).unwrap()
}

/// An edge matrix over `n` learners from `(a, b, sets)` entries, set exactly as
/// listed (no symmetrisation, no minimisation).
fn matrix(n: usize, entries: &[(usize, usize, &[&str])]) -> EdgeMatrix {
    let mut m: EdgeMatrix = vec![vec![Vec::new(); n]; n];
    for &(a, b, ss) in entries {
        m[a][b] = sets(ss);
    }
    m
}

/// Three learners x, y, z over ABCD with BFT quorums and no edges between
/// distinct learners: a host on which to run the checks on hand-built matrices.
fn three_learners() -> LearnerGraph {
    const BFT: &[&str] = &["ABC", "ABD", "ACD", "BCD"];
    graph(
        "ABCD",
        &[("x", BFT), ("y", BFT), ("z", BFT)],
        &[("x", "x", BFT), ("y", "y", BFT), ("z", "z", BFT)],
    )
}

const RED: &[&str] = &["ABC", "ABD", "ACD", "BCD"];

// ---------------------------------------------------------------- LG-1

/// LG-1 Symmetry: `s ∈ a–b ⇒ s ∈ b–a`. A set listed on one direction only is
/// reported, naming both learners and the set; upward closure counts (a
/// superset on the other side is not enough, a subset is).
#[test]
fn lg1_symmetry_table() {
    let g = three_learners();
    // (matrix, expected violations as (a, b, set))
    type Row = (EdgeMatrix, Vec<(&'static str, &'static str, &'static str)>);
    let rows: Vec<Row> = vec![
        (matrix(3, &[]), vec![]),
        (matrix(3, &[(0, 1, &["AB"]), (1, 0, &["AB"])]), vec![]),
        (matrix(3, &[(0, 0, &["A"])]), vec![]),
        (matrix(3, &[(0, 1, &["AB"])]), vec![("x", "y", "{A, B}")]),
        (
            matrix(3, &[(2, 0, &["C", "D"]), (0, 2, &["C"])]),
            vec![("z", "x", "{D}")],
        ),
        // {A} ⊆ {A, B}: {A, B} ∈ y–x by upward closure, but {A} ∉ y–x.
        (
            matrix(3, &[(0, 1, &["A"]), (1, 0, &["AB"])]),
            vec![("x", "y", "{A}")],
        ),
        (
            matrix(3, &[(0, 1, &["AB"]), (1, 0, &["A"])]),
            vec![("y", "x", "{A}")],
        ),
        (
            matrix(3, &[(0, 1, &["A"]), (1, 2, &["B"])]),
            vec![("x", "y", "{A}"), ("y", "z", "{B}")],
        ),
    ];
    for (m, want) in rows {
        let got = g.check_symmetry(&m);
        let want: Vec<Violation> = want
            .into_iter()
            .map(|(a, b, set)| Violation::Asymmetric {
                a: a.into(),
                b: b.into(),
                set: set.into(),
            })
            .collect();
        assert_eq!(got, want, "check_symmetry({m:?})");
    }
}

/// LG-1 message names both directions of the edge.
#[test]
fn lg1_message_names_both_directions() {
    let g = three_learners();
    let v = g.check_symmetry(&matrix(3, &[(0, 1, &["AB"])]));
    assert_eq!(v.len(), 1);
    let msg = v[0].to_string();
    assert!(msg.contains("LG-1"), "{msg}");
    assert!(msg.contains("{A, B} is in x–y but not in y–x"), "{msg}");
}

// ---------------------------------------------------------------- LG-2

/// LG-2 Transitivity (condensation): `s ∈ a–b ∧ s' ∈ b–c ⇒ s ∪ s' ∈ a–c`,
/// membership by upward closure. Includes the self-composition `a–b–a`, which
/// requires `s ∈ a–a` for every `s ∈ a–b`.
#[test]
fn lg2_condensation_table() {
    let g = three_learners();
    // A fully condensed matrix: everything is {A} (x–y), and all its compositions.
    let all_a: Vec<(usize, usize, &[&str])> = (0..3)
        .flat_map(|a| (0..3).map(move |b| (a, b, &["A"][..])))
        .collect();
    let condensed = matrix(3, &all_a);
    assert_eq!(g.check_condensed(&condensed), vec![]);
    assert_eq!(g.check_condensed(&matrix(3, &[])), vec![]);
    // Only self-edges: nothing composes beyond them.
    assert_eq!(
        g.check_condensed(&matrix(3, &[(0, 0, &["A"]), (1, 1, &["B"])])),
        vec![]
    );

    // (matrix, a violation that must be reported as (a, b, c, s1, s2, union),
    //  number of violations)
    type Row = (
        EdgeMatrix,
        (
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        ),
        usize,
    );
    let rows: Vec<Row> = vec![
        // x–y = {A} without x–x: x–y–x gives {A} ∉ x–x, and y–x–y gives {A} ∉ y–y.
        (
            matrix(3, &[(0, 1, &["A"]), (1, 0, &["A"])]),
            ("x", "y", "x", "{A}", "{A}", "{A}"),
            2,
        ),
        // x–y = {A}, y–z = {B}, every self-edge and symmetric, but x–z missing.
        (
            matrix(
                3,
                &[
                    (0, 0, &["A", "AB"]),
                    (1, 1, &["A", "B"]),
                    (2, 2, &["B", "AB"]),
                    (0, 1, &["A"]),
                    (1, 0, &["A"]),
                    (1, 2, &["B"]),
                    (2, 1, &["B"]),
                ],
            ),
            ("x", "y", "z", "{A}", "{B}", "{A, B}"),
            2, // x–y–z and z–y–x
        ),
        // x–z holds {A, B, C}, a strict superset of the union: not enough.
        (
            matrix(
                3,
                &[
                    (0, 0, &["A"]),
                    (1, 1, &["A", "B"]),
                    (2, 2, &["B"]),
                    (0, 1, &["A"]),
                    (1, 0, &["A"]),
                    (1, 2, &["B"]),
                    (2, 1, &["B"]),
                    (0, 2, &["ABC"]),
                    (2, 0, &["ABC"]),
                ],
            ),
            ("x", "y", "z", "{A}", "{B}", "{A, B}"),
            2,
        ),
    ];
    for (m, (a, b, c, s1, s2, union), count) in rows {
        let got = g.check_condensed(&m);
        let want = Violation::NotCondensed {
            a: a.into(),
            b: b.into(),
            c: c.into(),
            s1: s1.into(),
            s2: s2.into(),
            union: union.into(),
        };
        assert!(got.contains(&want), "{want:?} not in {got:?} for {m:?}");
        assert_eq!(got.len(), count, "violations {got:?} for {m:?}");
        assert!(
            got.iter()
                .all(|v| matches!(v, Violation::NotCondensed { .. })),
            "{got:?}"
        );
    }
}

/// LG-2: a subset of the union in `a–c` satisfies the condition (upward
/// closure): with `x–x = {A}, {B}`, the composition `x–x–x` gives `{A, B}`,
/// which is in `x–x` because `{A} ⊆ {A, B}`.
#[test]
fn lg2_subset_of_union_suffices() {
    let g = three_learners();
    let m = matrix(
        3,
        &[
            (0, 0, &["A", "B"]),
            (0, 1, &["A"]),
            (1, 0, &["A"]),
            (1, 1, &["A"]),
        ],
    );
    assert_eq!(g.check_condensed(&m), vec![]);
    // ...whereas dropping {A} from x–x leaves {A, B} ∪ ... unimplied.
    let m = matrix(
        3,
        &[
            (0, 0, &["B"]),
            (0, 1, &["A"]),
            (1, 0, &["A"]),
            (1, 1, &["A"]),
        ],
    );
    assert!(g.check_condensed(&m).contains(&Violation::NotCondensed {
        a: "x".into(),
        b: "y".into(),
        c: "x".into(),
        s1: "{A}".into(),
        s2: "{A}".into(),
        union: "{A}".into(),
    }));
}

// ---------------------------------------------------------------- LG-3

/// LG-3 Closure (upward), as represented by minimal sets: every listed family
/// must be an antichain, or "contains a listed set" would not be the family's
/// membership test for the representation. A listed set containing another
/// listed set is reported with both.
#[test]
fn lg3_minimal_table() {
    let g = three_learners();
    // (matrix, expected (context, bigger, smaller))
    type Row = (EdgeMatrix, Vec<(&'static str, &'static str, &'static str)>);
    let rows: Vec<Row> = vec![
        (matrix(3, &[]), vec![]),
        (matrix(3, &[(0, 1, &["AB", "BC", "AC"])]), vec![]),
        (matrix(3, &[(0, 0, &["A", "B", "C"])]), vec![]),
        (
            matrix(3, &[(0, 1, &["AB", "ABC"])]),
            vec![("x–y", "{A, B, C}", "{A, B}")],
        ),
        (
            matrix(3, &[(2, 2, &["ABCD", "C", "D"])]),
            vec![
                ("z–z", "{A, B, C, D}", "{C}"),
                ("z–z", "{A, B, C, D}", "{D}"),
            ],
        ),
        (
            matrix(3, &[(1, 0, &["A", "AB"]), (0, 2, &["B", "BC"])]),
            vec![("x–z", "{B, C}", "{B}"), ("y–x", "{A, B}", "{A}")],
        ),
    ];
    for (m, want) in rows {
        let got = g.check_minimal(&m);
        let want: Vec<Violation> = want
            .into_iter()
            .map(|(context, bigger, smaller)| Violation::NotMinimal {
                context: context.into(),
                bigger: bigger.into(),
                smaller: smaller.into(),
            })
            .collect();
        assert_eq!(got, want, "check_minimal({m:?})");
    }
}

/// LG-3: quorums and safe sets given non-minimal are stored minimal, so the
/// built graph never has an LG-3 violation.
#[test]
fn lg3_given_sets_are_minimized() {
    let g = graph(
        "ABC",
        &[("x", &["AB", "ABC", "BC"])],
        &[("x", "x", &["B", "AB", "ABC"])],
    );
    assert_eq!(quorums(&g, l(0)), sets(&["AB", "BC"]).as_slice());
    assert_eq!(given_safe_sets(&g, l(0), l(0)), sets(&["B"]).as_slice());
    assert_eq!(safe_sets(&g, l(0), l(0)), sets(&["B"]).as_slice());
    assert_eq!(g.violations(), vec![]);
}

// ---------------------------------------------------------------- LG-4

/// LG-4 Validity: for all learners `a, b` (including `a = b`), all `s ∈ a–b`,
/// `q_a ∈ Q_a`, `q_b ∈ Q_b`: `q_a ∩ q_b ∩ s ≠ ∅`. Each row is a graph and the
/// LG-4 violations expected on it, as (a, b, q_a, q_b, s).
#[test]
fn lg4_quorum_intersection_table() {
    type Row = (
        &'static str,
        LearnerGraph,
        Vec<(
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        )>,
    );
    let rows: Vec<Row> = vec![
        (
            "a = b: one learner whose two quorums are disjoint",
            graph("ABCD", &[("a", &["AB", "CD"])], &[("a", "a", &["ABCD"])]),
            vec![("a", "a", "{A, B}", "{C, D}", "{A, B, C, D}")],
        ),
        (
            "a = b: a quorum must meet itself inside every safe set",
            graph("ABC", &[("a", &["AB"])], &[("a", "a", &["C"])]),
            vec![("a", "a", "{A, B}", "{A, B}", "{C}")],
        ),
        (
            "a = b: quorums meet only outside the safe set",
            graph("ABC", &[("a", &["AB", "BC"])], &[("a", "a", &["AC"])]),
            vec![("a", "a", "{A, B}", "{B, C}", "{A, C}")],
        ),
        (
            "a = b, valid: 2-of-3 with a 2-of-3 safe set",
            graph(
                "ABC",
                &[("a", &["AB", "AC", "BC"])],
                &[("a", "a", &["ABC"])],
            ),
            vec![],
        ),
        (
            "a = b, invalid: 2-of-3 quorums with a 2-of-3 listed as safe sets",
            graph(
                "ABC",
                &[("a", &["AB", "AC", "BC"])],
                &[("a", "a", &["AB", "AC", "BC"])],
            ),
            vec![
                ("a", "a", "{A, C}", "{B, C}", "{A, B}"),
                ("a", "a", "{A, B}", "{B, C}", "{A, C}"),
                ("a", "a", "{A, B}", "{A, C}", "{B, C}"),
            ],
        ),
        (
            "a ≠ b: quorums meet in B, only outside the claimed safe set AC",
            graph(
                "ABC",
                &[("a", &["AB"]), ("b", &["BC"])],
                &[
                    ("a", "a", &["AB"]),
                    ("b", "b", &["BC"]),
                    ("a", "b", &["AC"]),
                ],
            ),
            vec![("a", "b", "{A, B}", "{B, C}", "{A, C}")],
        ),
        (
            "a ≠ b, valid: quorums meet in B inside the safe set",
            graph(
                "ABC",
                &[("a", &["AB"]), ("b", &["BC"])],
                &[("a", "a", &["AB"]), ("b", "b", &["BC"]), ("a", "b", &["B"])],
            ),
            vec![],
        ),
    ];
    for (name, g, want) in rows {
        let got = normalize(g.check_quorum_intersection(DEFAULT_VALIDITY_BUDGET));
        let want = normalize(
            want.into_iter()
                .map(|(a, b, qa, qb, safe_set)| Violation::QuorumsMissSafeSet {
                    a: a.into(),
                    b: b.into(),
                    qa: qa.into(),
                    qb: qb.into(),
                    safe_set: safe_set.into(),
                })
                .collect(),
        );
        assert_eq!(got, want, "{name}");
        // LG-4 violations are all that violations() reports on these graphs.
        assert_eq!(normalize(g.violations()), want, "{name}");
        assert_eq!(g.validate().is_ok(), want.is_empty(), "{name}");
    }
}

/// LG-4 violations as a sorted, deduplicated list, with the two quorums of a
/// self-pair (`a = b`) in a canonical order: `(q, q')` and `(q', q)` on `a–a`
/// are the same failure.
fn normalize(vs: Vec<Violation>) -> Vec<Violation> {
    let mut out: Vec<Violation> = vs
        .into_iter()
        .map(|v| match v {
            Violation::QuorumsMissSafeSet {
                a,
                b,
                qa,
                qb,
                safe_set,
            } if a == b && qb < qa => Violation::QuorumsMissSafeSet {
                a,
                b,
                qa: qb,
                qb: qa,
                safe_set,
            },
            v => v,
        })
        .collect();
    out.sort_by_key(|v| v.to_string());
    out.dedup();
    out
}

/// LG-4 is checked on the CLG, not only on the given edges: here `a–c` is not
/// given but implied (`{A} ∈ a–b`, `{C} ∈ b–c` give `{A, C} ∈ a–c`), and the
/// quorums of `a` and `c` meet only in `B`, outside `{A, C}`.
#[test]
fn lg4_is_checked_on_implied_edges() {
    let g = graph(
        "ABC",
        &[("a", &["AB"]), ("b", &["ABC"]), ("c", &["BC"])],
        &[("a", "b", &["A"]), ("b", "c", &["C"])],
    );
    assert_eq!(safe_sets(&g, l(0), l(2)), sets(&["AC"]).as_slice());
    let v = g.check_quorum_intersection(DEFAULT_VALIDITY_BUDGET);
    assert_eq!(
        v,
        vec![Violation::QuorumsMissSafeSet {
            a: "a".into(),
            b: "c".into(),
            qa: "{A, B}".into(),
            qb: "{B, C}".into(),
            safe_set: "{A, C}".into(),
        }]
    );
    assert_eq!(g.validate(), Err(v[0].clone()));
}

// ---------------------------------------------------------------- D5

/// Decision D5: every learner must have a safe set with itself in the CLG; a
/// learner without one (even after condensation) is refused, with a message
/// that says so.
#[test]
fn d5_missing_self_edge_is_refused() {
    // b has no edge at all.
    let g = graph(
        "ABC",
        &[("a", &["AB"]), ("b", &["BC"])],
        &[("a", "a", &["A"])],
    );
    assert_eq!(
        g.check_self_edges(),
        vec![Violation::NoSelfEdge {
            learner: "b".into()
        }]
    );
    let err = g.validate().unwrap_err();
    assert_eq!(
        err,
        Violation::NoSelfEdge {
            learner: "b".into()
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("learner b has no safe set with itself (b–b)"),
        "{msg}"
    );

    // No edges at all: both learners refused.
    let g = graph("ABC", &[("a", &["AB"]), ("b", &["BC"])], &[]);
    assert_eq!(
        g.check_self_edges(),
        vec![
            Violation::NoSelfEdge {
                learner: "a".into()
            },
            Violation::NoSelfEdge {
                learner: "b".into()
            },
        ]
    );
}

/// D5 is judged after condensation: `a–b` implies `a–a` and `b–b` (`s ∪ s`),
/// so a graph with only the edge `a–b` has both self-edges in its CLG.
#[test]
fn d5_self_edge_implied_by_condensation() {
    let g = graph(
        "ABC",
        &[("a", &["AB"]), ("b", &["BC"])],
        &[("a", "b", &["B"])],
    );
    assert!(given_safe_sets(&g, l(0), l(0)).is_empty());
    assert_eq!(safe_sets(&g, l(0), l(0)), sets(&["B"]).as_slice());
    assert_eq!(safe_sets(&g, l(1), l(1)), sets(&["B"]).as_slice());
    assert_eq!(g.check_self_edges(), vec![]);
    assert_eq!(g.validate(), Ok(()));
    assert!(!given_is_condensed(&g));
}

// ---------------------------------------------------------------- digest §8

/// Digest §8 Config 1 (homogeneous BFT, n = 4, f = 1) and variant 1b (two
/// learners with identical data) are valid and already condensed.
#[test]
fn config1_homogeneous_is_valid() {
    for learners in [1, 2] {
        let g = examples::homogeneous(4, learners).unwrap();
        assert_eq!(g.num_acceptors(), 4);
        assert_eq!(g.num_learners(), learners);
        assert_eq!(g.violations(), vec![], "homogeneous(4, {learners})");
        assert_eq!(g.validate(), Ok(()));
        assert!(given_is_condensed(&g));
        for a in g.learner_ids() {
            assert_eq!(quorums(&g, a), sets(RED).as_slice());
            for b in g.learner_ids() {
                assert_eq!(safe_sets(&g, a, b), sets(RED).as_slice());
            }
        }
    }
}

fn binomial(n: usize, k: usize) -> usize {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// Larger homogeneous graphs are valid too (n − f quorums, f = ⌊(n − 1)/3⌋).
#[test]
fn homogeneous_larger_are_valid() {
    for (n, learners, quorum_size) in [(1, 1, 1), (3, 1, 3), (5, 2, 4), (7, 3, 5)] {
        let g = examples::homogeneous(n, learners).unwrap();
        assert_eq!(g.validate(), Ok(()), "homogeneous({n}, {learners})");
        let qs = quorums(&g, l(0));
        assert_eq!(
            qs.len(),
            binomial(n, quorum_size),
            "homogeneous({n}, {learners})"
        );
        for q in qs {
            assert_eq!(q.len(), quorum_size, "homogeneous({n}, {learners})");
        }
    }
    assert_eq!(
        examples::homogeneous(0, 1).unwrap_err(),
        StructureError::NoAcceptors
    );
}

/// Digest §8 Config 2 (red: BFT over ABCD, blue: crash-fault over ABC) is
/// valid and already condensed.
#[test]
fn config2_red_blue_is_valid() {
    let g = examples::red_blue().unwrap();
    let red = g.learner_by_name("red").unwrap();
    let blue = g.learner_by_name("blue").unwrap();
    assert_eq!(g.violations(), vec![]);
    assert_eq!(g.validate(), Ok(()));
    assert!(given_is_condensed(&g));
    assert_eq!(safe_sets(&g, red, red), sets(RED).as_slice());
    assert_eq!(safe_sets(&g, blue, blue), sets(&["ABC"]).as_slice());
    assert_eq!(safe_sets(&g, red, blue), sets(&["ABC"]).as_slice());
    assert_eq!(safe_sets(&g, blue, red), sets(&["ABC"]).as_slice());
}

/// Digest §8 Config 3 (disjoint quorums AB and CD with `a–b = {ABCD}`) fails
/// LG-4 for the pair a, b, and the error names both learners and both quorums.
#[test]
fn config3_disjoint_fails_lg4() {
    let g = examples::disjoint().unwrap();
    let err = g.validate().unwrap_err();
    assert_eq!(
        err,
        Violation::QuorumsMissSafeSet {
            a: "a".into(),
            b: "b".into(),
            qa: "{A, B}".into(),
            qb: "{C, D}".into(),
            safe_set: "{A, B, C, D}".into(),
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("LG-4"), "{msg}");
    assert!(msg.contains("quorum {A, B} of a"), "{msg}");
    assert!(msg.contains("quorum {C, D} of b"), "{msg}");
    assert!(msg.contains("safe set {A, B, C, D} of a–b"), "{msg}");
    // That is the only violation: the self-edges are fine.
    assert_eq!(g.violations(), vec![err]);
}

/// Digest §8 Config 3, minimal variant: singleton quorums {A}, {B}.
#[test]
fn config3_minimal_variant_fails_lg4() {
    let g = graph(
        "AB",
        &[("a", &["A"]), ("b", &["B"])],
        &[("a", "a", &["A"]), ("b", "b", &["B"]), ("a", "b", &["AB"])],
    );
    assert_eq!(
        g.violations(),
        vec![Violation::QuorumsMissSafeSet {
            a: "a".into(),
            b: "b".into(),
            qa: "{A}".into(),
            qb: "{B}".into(),
            safe_set: "{A, B}".into(),
        }]
    );
}

/// Digest §8 Config 4: `x–y` and `y–z` given, `x–z` not. Loading computes the
/// CLG, which holds the implied `x–z` sets; the given graph is reported as not
/// condensed, and the CLG is valid.
#[test]
fn config4_non_condensed_input_gets_implied_edges() {
    let g = graph(
        "ABCD",
        &[("x", RED), ("y", RED), ("z", RED)],
        &[
            ("x", "x", RED),
            ("y", "y", RED),
            ("z", "z", RED),
            ("x", "y", &["ABC"]),
            ("y", "z", &["ABD"]),
        ],
    );
    let (x, y, z) = (l(0), l(1), l(2));
    assert!(!given_is_condensed(&g));
    assert!(given_safe_sets(&g, x, z).is_empty());
    assert!(given_safe_sets(&g, z, x).is_empty());
    assert_eq!(safe_sets(&g, x, z), sets(&["ABCD"]).as_slice());
    assert_eq!(safe_sets(&g, z, x), sets(&["ABCD"]).as_slice());
    // given edges are kept (they were already minimal and closed otherwise)
    assert_eq!(safe_sets(&g, x, y), sets(&["ABC"]).as_slice());
    assert_eq!(safe_sets(&g, y, z), sets(&["ABD"]).as_slice());
    assert_eq!(g.validate(), Ok(()));
}

/// Config 4 with crash-style singleton safe sets: `x–y = {A}`, `y–z = {B}`
/// imply `x–z = {AB}`, and (through `x–y–x`) `x–x ∋ {A}`.
#[test]
fn config4_implied_sets_are_unions() {
    let g = graph(
        "AB",
        &[("x", &["AB"]), ("y", &["AB"]), ("z", &["AB"])],
        &[("x", "y", &["A"]), ("y", "z", &["B"])],
    );
    let (x, y, z) = (l(0), l(1), l(2));
    assert!(!given_is_condensed(&g));
    assert_eq!(safe_sets(&g, x, z), sets(&["AB"]).as_slice());
    assert_eq!(safe_sets(&g, x, x), sets(&["A"]).as_slice());
    assert_eq!(safe_sets(&g, y, y), sets(&["A", "B"]).as_slice());
    assert_eq!(safe_sets(&g, z, z), sets(&["B"]).as_slice());
    assert_eq!(safe_sets(&g, x, y), sets(&["A"]).as_slice());
    assert_eq!(safe_sets(&g, y, z), sets(&["B"]).as_slice());
    // The CLG passes the checks that a given non-condensed graph would fail.
    assert_eq!(g.violations(), vec![]);
}

/// A given graph that fails LG-2 fails `check_condensed` on its given edges
/// but not on the CLG that `violations()` checks.
#[test]
fn given_edges_fail_lg2_but_clg_does_not() {
    let g = graph(
        "AB",
        &[("x", &["AB"]), ("y", &["AB"]), ("z", &["AB"])],
        &[("x", "y", &["A"]), ("y", "z", &["B"])],
    );
    let n = g.num_learners();
    let given: EdgeMatrix = (0..n)
        .map(|a| {
            (0..n)
                .map(|b| given_safe_sets(&g, l(a), l(b)).to_vec())
                .collect()
        })
        .collect();
    let clg: EdgeMatrix = (0..n)
        .map(|a| (0..n).map(|b| safe_sets(&g, l(a), l(b)).to_vec()).collect())
        .collect();
    assert!(!g.check_condensed(&given).is_empty());
    assert_eq!(g.check_condensed(&clg), vec![]);
    assert_eq!(g.check_symmetry(&given), vec![]);
    assert_eq!(g.check_symmetry(&clg), vec![]);
    assert_eq!(
        hetpaxos_quorums::condense(&given, MAX_SAFE_SETS_PER_EDGE),
        Ok(clg)
    );
}

// ---------------------------------------------------------------- structure

/// Structural errors: each malformed description gives its own
/// `StructureError` variant.
#[test]
fn structure_errors_table() {
    let ok_learner: &[(&str, &[&str])] = &[("a", &["AB"])];
    let rows: Vec<(&str, GraphDescription, StructureError)> = vec![
        (
            "unknown acceptor in a quorum",
            desc("AB", &[("a", &["AZ"])], &[]),
            StructureError::UnknownName {
                what: "acceptor",
                name: "Z".into(),
                context: "quorums of learner \"a\"".into(),
            },
        ),
        (
            "unknown acceptor in a safe set",
            desc("AB", ok_learner, &[("a", "a", &["C"])]),
            StructureError::UnknownName {
                what: "acceptor",
                name: "C".into(),
                context: "safe sets between \"a\" and \"a\"".into(),
            },
        ),
        (
            "unknown learner in a safe-set pair",
            desc("AB", ok_learner, &[("a", "q", &["A"])]),
            StructureError::UnknownName {
                what: "learner",
                name: "q".into(),
                context: "safe sets between \"a\" and \"q\"".into(),
            },
        ),
        (
            "duplicate learner name",
            desc("AB", &[("a", &["AB"]), ("a", &["A"])], &[]),
            StructureError::DuplicateName {
                what: "learner",
                name: "a".into(),
            },
        ),
        (
            "duplicate acceptor name",
            GraphDescription {
                acceptors: vec!["A".into(), "B".into(), "A".into()],
                learners: vec![("a".into(), family(&["A"]))],
                safe_sets: vec![],
            },
            StructureError::DuplicateName {
                what: "acceptor",
                name: "A".into(),
            },
        ),
        (
            "duplicate edge, same order",
            desc("AB", ok_learner, &[("a", "a", &["A"]), ("a", "a", &["B"])]),
            StructureError::DuplicateEdge {
                a: "a".into(),
                b: "a".into(),
            },
        ),
        (
            "duplicate edge, reversed order",
            desc(
                "AB",
                &[("a", &["AB"]), ("b", &["AB"])],
                &[("a", "b", &["A"]), ("b", "a", &["B"])],
            ),
            // Pairs are unordered: the error names the pair in learner order.
            StructureError::DuplicateEdge {
                a: "a".into(),
                b: "b".into(),
            },
        ),
        (
            "empty quorum",
            desc("AB", &[("a", &["AB", ""])], &[]),
            StructureError::EmptySet {
                context: "quorums of learner \"a\"".into(),
            },
        ),
        (
            "empty safe set",
            desc("AB", ok_learner, &[("a", "a", &[""])]),
            StructureError::EmptySet {
                context: "safe sets between \"a\" and \"a\"".into(),
            },
        ),
        (
            "no quorums",
            desc("AB", &[("a", &["AB"]), ("b", &[])], &[]),
            StructureError::NoQuorums {
                learner: "b".into(),
            },
        ),
        (
            "no acceptors",
            desc("", ok_learner, &[]),
            StructureError::NoAcceptors,
        ),
        (
            "no learners",
            desc("AB", &[], &[]),
            StructureError::NoLearners,
        ),
        (
            "empty learner name",
            desc("AB", &[(" ", &["A"])], &[]),
            StructureError::EmptyName { what: "learner" },
        ),
        (
            "too many acceptors",
            GraphDescription {
                acceptors: examples::acceptor_names(MAX_ACCEPTORS + 1),
                learners: vec![("a".into(), family(&["A"]))],
                safe_sets: vec![],
            },
            StructureError::TooMany {
                what: "acceptors",
                count: MAX_ACCEPTORS + 1,
                max: MAX_ACCEPTORS,
            },
        ),
        (
            "too many learners",
            GraphDescription {
                acceptors: vec!["A".into()],
                learners: (0..=MAX_LEARNERS)
                    .map(|i| (format!("L{i}"), family(&["A"])))
                    .collect(),
                safe_sets: vec![],
            },
            StructureError::TooMany {
                what: "learners",
                count: MAX_LEARNERS + 1,
                max: MAX_LEARNERS,
            },
        ),
    ];
    for (name, d, want) in rows {
        assert_eq!(LearnerGraph::from_description(&d), Err(want), "{name}");
    }
}

/// Exactly `MAX_ACCEPTORS` (1,024) acceptors are accepted; one more is not.
#[test]
fn max_acceptors_boundary() {
    let names = examples::acceptor_names(MAX_ACCEPTORS);
    let all: Vec<String> = names.clone();
    let last = names[MAX_ACCEPTORS - 1].clone();
    let d = GraphDescription {
        acceptors: names,
        learners: vec![("a".into(), vec![all.clone()].into())],
        safe_sets: vec![(("a".into(), "a".into()), vec![all].into())],
    };
    let g = LearnerGraph::from_description(&d).unwrap();
    assert_eq!(g.num_acceptors(), MAX_ACCEPTORS);
    assert_eq!(g.acceptors(), AcceptorSet::first(MAX_ACCEPTORS));
    assert_eq!(g.acceptors().len(), MAX_ACCEPTORS);
    let id = AcceptorId::new(MAX_ACCEPTORS - 1).unwrap();
    assert_eq!(g.acceptor_by_name(&last), Some(id));
    assert!(g.is_quorum(l(0), g.acceptors()));
    let mut missing_last = g.acceptors();
    missing_last.remove(id);
    assert!(!g.is_quorum(l(0), missing_last));
    assert_eq!(g.validate(), Ok(()));
    let mut d2 = d.clone();
    d2.acceptors.push("extra".into());
    assert_eq!(
        LearnerGraph::from_description(&d2),
        Err(StructureError::TooMany {
            what: "acceptors",
            count: 1025,
            max: 1024
        })
    );
}

/// Exactly `MAX_LEARNERS` (128) learners are accepted; one more is not.
#[test]
fn max_learners_boundary() {
    let learners = |n: usize| -> Vec<(String, FamilyDesc)> {
        (0..n).map(|i| (format!("L{i}"), family(&["A"]))).collect()
    };
    let self_edges = |n: usize| -> Vec<((String, String), FamilyDesc)> {
        (0..n)
            .map(|i| ((format!("L{i}"), format!("L{i}")), family(&["A"])))
            .collect()
    };
    let d = GraphDescription {
        acceptors: names("A"),
        learners: learners(MAX_LEARNERS),
        safe_sets: self_edges(MAX_LEARNERS),
    };
    let g = LearnerGraph::from_description(&d).unwrap();
    assert_eq!(g.num_learners(), MAX_LEARNERS);
    assert_eq!(g.learner_ids().count(), MAX_LEARNERS);
    assert_eq!(g.validate(), Ok(()));
    let d2 = GraphDescription {
        acceptors: names("A"),
        learners: learners(MAX_LEARNERS + 1),
        safe_sets: self_edges(MAX_LEARNERS + 1),
    };
    assert_eq!(
        LearnerGraph::from_description(&d2),
        Err(StructureError::TooMany {
            what: "learners",
            count: 129,
            max: 128
        })
    );
}

/// Expressions that cannot denote a family of acceptor sets are refused
/// with `BadExpression`, naming the place and the reason; an unknown acceptor
/// nested inside an expression is still an `UnknownName`.
#[test]
fn bad_expression_table() {
    let acc = |n: &str| MemberDesc::Acceptor(n.into());
    let quorum_context = "quorums of learner \"a\"";
    let edge_context = "safe sets between \"a\" and \"a\"";
    // (name, quorums of a, safe sets of a–a, expected error)
    let rows: Vec<(&str, FamilyDesc, FamilyDesc, StructureError)> = vec![
        (
            "threshold 0",
            FamilyDesc::Threshold {
                k: 0,
                of: vec![acc("A"), acc("B")],
            },
            family(&["A"]),
            StructureError::BadExpression {
                context: quorum_context.into(),
                reason: "a threshold of 0 is met by the empty set".into(),
            },
        ),
        (
            "threshold above the members",
            family(&["A"]),
            FamilyDesc::Threshold {
                k: 3,
                of: vec![acc("A"), acc("B")],
            },
            StructureError::BadExpression {
                context: edge_context.into(),
                reason: "threshold 3 of 2 members: never met".into(),
            },
        ),
        (
            "threshold without members",
            FamilyDesc::Threshold { k: 1, of: vec![] },
            family(&["A"]),
            StructureError::BadExpression {
                context: quorum_context.into(),
                reason: "no members".into(),
            },
        ),
        (
            "empty all, nested",
            FamilyDesc::Any(vec![acc("A"), MemberDesc::Family(FamilyDesc::All(vec![]))]),
            family(&["A"]),
            StructureError::BadExpression {
                context: quorum_context.into(),
                reason: "no members".into(),
            },
        ),
        (
            "acceptor weighted twice",
            FamilyDesc::Weighted {
                threshold: 1,
                weights: vec![("A".into(), 1), ("B".into(), 1), ("A".into(), 2)],
            },
            family(&["A"]),
            StructureError::BadExpression {
                context: quorum_context.into(),
                reason: "acceptor \"A\" is weighted twice".into(),
            },
        ),
        (
            "weight threshold above the total",
            FamilyDesc::Weighted {
                threshold: 4,
                weights: vec![("A".into(), 1), ("B".into(), 2)],
            },
            family(&["A"]),
            StructureError::BadExpression {
                context: quorum_context.into(),
                reason: "weight threshold 4 exceeds the total weight 3: never met".into(),
            },
        ),
        (
            "weight threshold 0",
            family(&["A"]),
            FamilyDesc::Weighted {
                threshold: 0,
                weights: vec![("A".into(), 1)],
            },
            StructureError::BadExpression {
                context: edge_context.into(),
                reason: "a weight threshold of 0 is met by the empty set".into(),
            },
        ),
        (
            "unknown acceptor nested in an expression",
            FamilyDesc::Threshold {
                k: 1,
                of: vec![
                    acc("A"),
                    MemberDesc::Family(FamilyDesc::All(vec![acc("B"), acc("Z")])),
                ],
            },
            family(&["A"]),
            StructureError::UnknownName {
                what: "acceptor",
                name: "Z".into(),
                context: quorum_context.into(),
            },
        ),
    ];
    for (name, quorums, safe, want) in rows {
        let d = GraphDescription {
            acceptors: names("AB"),
            learners: vec![("a".into(), quorums)],
            safe_sets: vec![(("a".into(), "a".into()), safe)],
        };
        assert_eq!(LearnerGraph::from_description(&d), Err(want), "{name}");
    }
    // The same forms with sound parameters are accepted.
    let d = GraphDescription {
        acceptors: names("AB"),
        learners: vec![(
            "a".into(),
            FamilyDesc::Weighted {
                threshold: 3,
                weights: vec![("A".into(), 1), ("B".into(), 2)],
            },
        )],
        safe_sets: vec![(
            ("a".into(), "a".into()),
            FamilyDesc::Threshold {
                k: 2,
                of: vec![acc("A"), acc("B")],
            },
        )],
    };
    let g = LearnerGraph::from_description(&d).unwrap();
    assert_eq!(quorums(&g, l(0)), sets(&["AB"]).as_slice());
    assert_eq!(g.validate(), Ok(()));
}

/// The same structural checks through `LearnerGraph::new` (dense ids).
#[test]
fn structure_errors_via_new() {
    let names = |n: usize| examples::acceptor_names(n);
    let learners = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // acceptor index beyond the declared acceptors
    assert!(matches!(
        LearnerGraph::new(names(2), learners(&["a"]), vec![sets(&["AC"])], vec![]),
        Err(StructureError::UnknownName {
            what: "acceptor",
            ..
        })
    ));
    // learner id beyond the declared learners
    assert!(matches!(
        LearnerGraph::new(
            names(2),
            learners(&["a"]),
            vec![sets(&["A"])],
            vec![(l(0), l(1), sets(&["A"]))]
        ),
        Err(StructureError::UnknownName {
            what: "learner",
            ..
        })
    ));
    assert_eq!(
        LearnerGraph::new(
            names(2),
            learners(&["a"]),
            vec![sets(&["A"])],
            vec![(l(0), l(0), sets(&["A"])), (l(0), l(0), sets(&["B"]))]
        ),
        Err(StructureError::DuplicateEdge {
            a: "a".into(),
            b: "a".into()
        })
    );
    assert_eq!(
        LearnerGraph::new(
            names(2),
            learners(&["a"]),
            vec![vec![AcceptorSet::EMPTY]],
            vec![]
        ),
        Err(StructureError::EmptySet {
            context: "quorums of learner \"a\"".into()
        })
    );
    assert_eq!(
        LearnerGraph::new(names(2), learners(&["a"]), vec![vec![]], vec![]),
        Err(StructureError::NoQuorums {
            learner: "a".into()
        })
    );
    // fewer quorum lists than learners: both counts are named
    assert_eq!(
        LearnerGraph::new(names(2), learners(&["a", "b"]), vec![sets(&["A"])], vec![]),
        Err(StructureError::QuorumListCount {
            learners: 2,
            lists: 1
        })
    );
    assert_eq!(
        LearnerGraph::new(
            names(MAX_ACCEPTORS + 1),
            learners(&["a"]),
            vec![sets(&["A"])],
            vec![]
        ),
        Err(StructureError::TooMany {
            what: "acceptors",
            count: MAX_ACCEPTORS + 1,
            max: MAX_ACCEPTORS
        })
    );
    assert_eq!(
        LearnerGraph::new(
            names(2),
            learners(&["a", "a"]),
            vec![sets(&["A"]); 2],
            vec![]
        ),
        Err(StructureError::DuplicateName {
            what: "learner",
            name: "a".into()
        })
    );
}

/// The same structural checks through `LearnerGraph::from_exprs` (compiled
/// expressions): a family met by the empty set is an empty set, a quorum
/// family never met leaves the learner without quorums, acceptors must be
/// the graph's; an edge never met is allowed (it has no safe sets).
#[test]
fn structure_errors_via_from_exprs() {
    let names = |n: usize| examples::acceptor_names(n);
    let learners = vec!["a".to_string()];
    let count = |k: usize, of: &str| Expr::Count { k, of: s(of) };
    let build = |q: Expr, edges: Vec<(LearnerId, LearnerId, Expr)>| {
        LearnerGraph::from_exprs(names(2), learners.clone(), vec![q], edges)
    };
    // Counts of 0 (met by the empty set) or above their members (never met)
    // are refused as expressions, wherever they are nested.
    for bad in [
        count(0, "AB"),
        count(3, "AB"),
        Expr::Threshold {
            k: 0,
            of: vec![count(1, "A")],
        },
        Expr::Threshold {
            k: 1,
            of: vec![count(1, "A"), count(0, "B")],
        },
        Expr::Weighted {
            threshold: 0,
            weights: vec![(AcceptorId::new(0).unwrap(), 1)],
        },
    ] {
        assert!(
            matches!(
                build(bad.clone(), vec![]),
                Err(StructureError::BadExpression { ref context, .. })
                    if context == "quorums of learner \"a\""
            ),
            "{bad:?}"
        );
    }
    // Listed sets that are never met: no quorums.
    assert_eq!(
        build(Expr::Sets(vec![]), vec![]),
        Err(StructureError::NoQuorums {
            learner: "a".into()
        })
    );
    assert!(matches!(
        build(count(1, "AC"), vec![]),
        Err(StructureError::UnknownName {
            what: "acceptor",
            ..
        })
    ));
    assert!(matches!(
        build(count(1, "AB"), vec![(l(0), l(0), count(0, "A"))]),
        Err(StructureError::BadExpression { ref context, .. })
            if context == "safe sets between \"a\" and \"a\""
    ));
    assert_eq!(
        build(count(1, "AB"), vec![(l(0), l(0), count(1, "AB")); 2]),
        Err(StructureError::DuplicateEdge {
            a: "a".into(),
            b: "a".into()
        })
    );
    assert_eq!(
        LearnerGraph::from_exprs(names(2), learners.clone(), vec![], vec![]),
        Err(StructureError::QuorumListCount {
            learners: 1,
            lists: 0
        })
    );
    // An edge that no set meets is no edge: D5 then refuses the learner.
    let g = build(count(2, "AB"), vec![(l(0), l(0), Expr::Sets(vec![]))]).unwrap();
    assert_eq!(
        g.validate(),
        Err(Violation::NoSelfEdge {
            learner: "a".into()
        })
    );
    let g = build(count(2, "AB"), vec![(l(0), l(0), count(1, "AB"))]).unwrap();
    assert_eq!(g.validate(), Ok(()));
}

/// `validate()` returns the first of `violations()`, and `Ok` exactly when
/// there are none.
#[test]
fn validate_agrees_with_violations() {
    let graphs = [
        examples::homogeneous(4, 1).unwrap(),
        examples::red_blue().unwrap(),
        examples::disjoint().unwrap(),
        graph("ABC", &[("a", &["AB"]), ("b", &["BC"])], &[]),
    ];
    for g in graphs {
        let v = g.violations();
        match g.validate() {
            Ok(()) => assert!(v.is_empty(), "{v:?}"),
            Err(e) => assert_eq!(Some(&e), v.first()),
        }
    }
}
