//! Shared by the oracle and the definition tests: learner graphs and a small
//! harness feeding every message to both the specification and the store.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod cross;

use hetpaxos_messages::{
    AbstractSigner, Message, MessageId, MessageStore, Rejection, Unsigned, ValueHash,
};
use hetpaxos_quorums::{
    AcceptorId, AcceptorSet, FamilyDesc, GraphDescription, LearnerGraph, LearnerId, MemberDesc,
    examples,
};
use hetpaxos_spec::{NotWellFormed, Spec};
use std::sync::Arc;

/// Acceptor `i`.
pub fn acc(i: usize) -> AcceptorId {
    AcceptorId::new(i).unwrap()
}

/// Learner `i`.
pub fn lrn(i: usize) -> LearnerId {
    LearnerId::new(i).unwrap()
}

/// The acceptor set with these indices.
pub fn accs(ids: &[usize]) -> AcceptorSet {
    ids.iter().map(|&i| acc(i)).collect()
}

/// The hash of value `v`.
pub fn vh(v: &str) -> ValueHash {
    ValueHash::of(v.as_bytes())
}

/// A signed message by acceptor `signer` referencing `refs`.
pub fn signed(signer: usize, refs: &[MessageId]) -> Message {
    let a = AcceptorId::new(signer).unwrap();
    Unsigned::new(a, refs.iter().copied()).sign(&AbstractSigner(a))
}

/// Five acceptors `A..E`, three learners: `x` (BFT over all five, quorums:
/// any four), `y` (BFT over `ABCD`, quorums: any three of them) and `z`
/// (crash-fault over `BCD`, quorums: any two of them). Safe sets: `x–x`: any
/// four; `y–y`, `x–y`: any three of `ABCD`; `z–z`, `x–z`, `y–z`: `BCD`
/// (condensation adds more; the graph is valid).
pub fn three_learners() -> LearnerGraph {
    let names = examples::acceptor_names(5);
    let four_of_five = examples::subsets_of_size(5, 4);
    let three_of_abcd = examples::subsets_of_size(4, 3);
    let bcd = accs(&[1, 2, 3]);
    let z_quorums = vec![accs(&[1, 2]), accs(&[1, 3]), accs(&[2, 3])];
    LearnerGraph::new(
        names,
        vec!["x".into(), "y".into(), "z".into()],
        vec![four_of_five.clone(), three_of_abcd.clone(), z_quorums],
        vec![
            (lrn(0), lrn(0), four_of_five),
            (lrn(1), lrn(1), three_of_abcd.clone()),
            (lrn(0), lrn(1), three_of_abcd),
            (lrn(2), lrn(2), vec![bcd]),
            (lrn(0), lrn(2), vec![bcd]),
            (lrn(1), lrn(2), vec![bcd]),
        ],
    )
    .unwrap()
}

/// A graph written in the expression language: five acceptors weighted
/// 3, 2, 2, 1, 1 (total 9) and learner `w` with quorums and safe sets of
/// weight at least 7; six acceptors `A..F` and learner `x` with quorums
/// "two of `ABC` and two of `DEF`", safe while all of `ABC` or all of `DEF`
/// are; learner `y` with quorums "three of `ABCD`", safe while three of
/// them are; `x–y` safe while `ABC` are.
pub fn expression_graphs() -> Vec<(&'static str, LearnerGraph)> {
    let names = |s: &str| -> Vec<MemberDesc> {
        s.chars()
            .map(|c| MemberDesc::Acceptor(c.to_string()))
            .collect()
    };
    let threshold = |k: u64, s: &str| FamilyDesc::Threshold { k, of: names(s) };
    let weighted = FamilyDesc::Weighted {
        threshold: 7,
        weights: [("A", 3), ("B", 2), ("C", 2), ("D", 1), ("E", 1)]
            .iter()
            .map(|&(n, w)| (n.to_string(), w))
            .collect(),
    };
    let w = GraphDescription {
        acceptors: examples::acceptor_names(5),
        learners: vec![("w".into(), weighted.clone())],
        safe_sets: vec![(("w".into(), "w".into()), weighted)],
    };
    let x_quorums = FamilyDesc::All(vec![
        MemberDesc::Family(threshold(2, "ABC")),
        MemberDesc::Family(threshold(2, "DEF")),
    ]);
    let x_safe = FamilyDesc::Any(vec![
        MemberDesc::Family(FamilyDesc::All(names("ABC"))),
        MemberDesc::Family(FamilyDesc::All(names("DEF"))),
    ]);
    let xy = GraphDescription {
        acceptors: examples::acceptor_names(6),
        learners: vec![("x".into(), x_quorums), ("y".into(), threshold(3, "ABCD"))],
        safe_sets: vec![
            (("x".into(), "x".into()), x_safe),
            (("y".into(), "y".into()), threshold(3, "ABCD")),
            (("x".into(), "y".into()), FamilyDesc::All(names("ABC"))),
        ],
    };
    vec![
        (
            "weighted(5 acceptors)",
            LearnerGraph::from_description(&w).unwrap(),
        ),
        (
            "nested(6 acceptors)",
            LearnerGraph::from_description(&xy).unwrap(),
        ),
    ]
}

/// The learner graphs the oracle runs on, with a name each: listed sets,
/// thresholds (`homogeneous`), stake weights and nesting.
pub fn oracle_graphs() -> Vec<(&'static str, LearnerGraph)> {
    let mut graphs = vec![
        ("homogeneous(4,1)", examples::homogeneous(4, 1).unwrap()),
        ("homogeneous(4,2)", examples::homogeneous(4, 2).unwrap()),
        ("red_blue", examples::red_blue().unwrap()),
        ("three_learners(5 acceptors)", three_learners()),
    ];
    graphs.extend(expression_graphs());
    graphs
}

/// The specification and the store, fed the same messages.
pub struct Net<'g> {
    /// The executable specification.
    pub spec: Spec<'g>,
    /// The optimized store.
    pub store: MessageStore,
}

impl<'g> Net<'g> {
    /// Both empty, over `graph`.
    pub fn new(graph: &'g Arc<LearnerGraph>) -> Self {
        Self {
            spec: Spec::new(graph),
            store: MessageStore::new(graph.clone()),
        }
    }

    /// Feeds `m` to both; asserts they agree on acceptance and on the class of
    /// the rejection. `Ok(id)` when accepted.
    pub fn feed(&mut self, m: Message) -> Result<MessageId, (NotWellFormed, Rejection)> {
        let id = m.id();
        self.spec.insert(m.clone());
        let spec = self.spec.well_formed(id);
        let store = self.store.insert(m);
        match (spec, store) {
            (Ok(()), Ok(_)) => Ok(id),
            (Err(e), Err(r)) => {
                assert!(
                    e.agrees_with(&r),
                    "spec and store reject for different reasons: spec {e:?}, store {r:?}"
                );
                Err((e, r))
            }
            (s, t) => panic!("spec and store disagree on acceptance: spec {s:?}, store {t:?}"),
        }
    }

    /// A 1a at `timestamp` for `value`, which must be accepted.
    pub fn propose(&mut self, timestamp: u64, value: &str) -> MessageId {
        self.feed(Message::proposal(timestamp, value.as_bytes().to_vec()))
            .unwrap()
    }

    /// A signed message that must be accepted.
    pub fn ok(&mut self, signer: usize, refs: &[MessageId]) -> MessageId {
        match self.feed(signed(signer, refs)) {
            Ok(id) => id,
            Err((e, r)) => panic!("expected accepted, got spec {e:?} / store {r:?}"),
        }
    }

    /// A signed message that must be rejected; returns both reasons.
    pub fn rejected(&mut self, signer: usize, refs: &[MessageId]) -> (NotWellFormed, Rejection) {
        match self.feed(signed(signer, refs)) {
            Ok(id) => panic!("expected rejected, but {id:?} was accepted"),
            Err(e) => e,
        }
    }
}
