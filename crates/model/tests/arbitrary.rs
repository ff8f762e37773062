//! Arbitrary Byzantine acceptors (`ModelConfig::arbitrary`, the module
//! `hetpaxos_model::forge`): agreement holds against them on a valid graph,
//! the search says when the forgery bound cut it, and a graph that is
//! invalid only when its intersection is Byzantine yields a violation
//! exactly when that acceptor is arbitrary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_messages::{Facts, Kind, Message};
use hetpaxos_model::graph_file::parse_graph;
use hetpaxos_model::properties::{SOME_DECISION, agreement_violation};
use hetpaxos_model::reduced::ReducedState;
use hetpaxos_model::{
    CheckOptions, ModelConfig, Outcome, ReducedModel, Strategy, build_reduced, check,
};
use hetpaxos_quorums::{AcceptorSet, LearnerGraph, examples};
use stateright::Model;
use std::sync::Arc;

fn set(graph: &LearnerGraph, names: &str) -> AcceptorSet {
    names
        .chars()
        .map(|c| graph.acceptor_by_name(&c.to_string()).unwrap())
        .collect()
}

fn run(
    graph: LearnerGraph,
    arbitrary: &str,
    proposals: usize,
    max_forged: usize,
    strategy: Strategy,
) -> Outcome {
    let graph = Arc::new(graph);
    let mut config = ModelConfig::new(graph.clone());
    config.arbitrary = set(&graph, arbitrary);
    config.proposals = proposals;
    config.max_forged = max_forged;
    let o = check(
        config,
        &CheckOptions {
            strategy,
            ..CheckOptions::default()
        },
    );
    eprintln!(
        "arbitrary {arbitrary:?}, {proposals} proposal(s), max_forged {max_forged}: {} states, \
         {} unique, {:.1} s, exhaustive {}, forge bound hit {}",
        o.states,
        o.unique_states,
        o.elapsed.as_secs_f64(),
        o.exhaustive,
        o.forge_bound_hit
    );
    o
}

/// Homogeneous n = 4 with D arbitrary: every Always property holds over
/// every execution with at most two forgeries, a learner decides, and the
/// bound was what stopped D (it could have forged more).
#[test]
fn homogeneous_n4_d_arbitrary_all_hold() {
    let o = run(
        examples::homogeneous(4, 1).unwrap(),
        "D",
        1,
        2,
        Strategy::Dfs,
    );
    assert!(o.exhaustive);
    assert!(o.all_always_hold());
    assert!(o.found(SOME_DECISION));
    assert!(o.forge_bound_hit);
    assert_eq!(o.unique_states, N4_D_ARBITRARY_ONE_PROPOSAL_UNIQUE);
    // More forgeries reach more states: the forged messages are explored.
    let fewer = run(
        examples::homogeneous(4, 1).unwrap(),
        "D",
        1,
        1,
        Strategy::Dfs,
    );
    assert!(fewer.exhaustive && fewer.all_always_hold());
    assert!(fewer.unique_states < o.unique_states);
    // No forgery at all: D is silent, and the bound cut nothing.
    let none = run(
        examples::homogeneous(4, 1).unwrap(),
        "D",
        1,
        0,
        Strategy::Dfs,
    );
    assert!(none.forge_bound_hit, "D could have forged its 1b");
    assert!(none.unique_states < fewer.unique_states);
}
const N4_D_ARBITRARY_ONE_PROPOSAL_UNIQUE: usize = 348;

fn own_graph() -> LearnerGraph {
    let desc = parse_graph(include_str!("../graphs/outside_safe.json")).unwrap();
    LearnerGraph::from_description(&desc).unwrap()
}

/// Takes an enabled action of `model` in `s` that sends exactly one new
/// message satisfying `want` (its signer's name, its facts in the learner's
/// store, and the message), and returns the next state.
fn step(
    model: &ReducedModel,
    s: &ReducedState,
    what: &str,
    want: impl Fn(&str, Facts<'_>, &Message) -> bool,
) -> ReducedState {
    let graph = &model.cx.config.graph;
    let mut actions = Vec::new();
    model.actions(s, &mut actions);
    for a in actions {
        let Some(next) = model.next_state(s, a) else {
            continue;
        };
        let new: Vec<&Message> = next
            .sent
            .iter()
            .filter(|(id, _)| !s.sent.contains_key(id))
            .map(|(_, m)| m)
            .collect();
        if let [m] = new[..]
            && let (Some(signer), Some(f)) = (m.signer(), next.learner().store().facts(&m.id()))
            && want(graph.acceptor_name(signer), f, m)
        {
            return next;
        }
    }
    panic!("no enabled action sends {what}");
}

fn is_2a_for(graph: &LearnerGraph, f: &Facts<'_>, learner: &str) -> bool {
    let l = graph.learner_by_name(learner).unwrap();
    matches!(f.kind(), Kind::TwoA(ls) if ls.contains(l))
}

/// x and y meet only in B, outside their safe set {A, C}. With B arbitrary,
/// the model has an execution in which x and y choose different values
/// with four forgeries (a 1b and a 2a for each side, B forking between
/// them), walked here action by action: each is enabled, and agreement is
/// violated at the end. (A search does not reach it within minutes: the
/// state space to depth 8 is large, docs/model-checking.md.) Without
/// forgeries, or with A arbitrary (the control; one forgery), the exhaustive
/// search finds no violation.
#[test]
fn own_graph_violation_exactly_when_the_intersection_is_arbitrary() {
    let graph = Arc::new(own_graph());
    let mut config = ModelConfig::new(graph.clone());
    config.arbitrary = set(&graph, "B");
    config.max_forged = 4;
    let model = build_reduced(config);
    let g = &*graph;
    let mut s = model.init_states().pop().unwrap();
    // The attack, step by step: who signs what (`None`: a 1b over the 1a
    // of that ballot alone; `Some(l)`: a 2a for learner l).
    let attack: [(&str, u64, Option<&str>); 8] = [
        ("B", 1, None),
        ("A", 1, None),
        ("A", 1, Some("x")),
        ("B", 1, Some("x")),
        ("B", 2, None),
        ("C", 2, None),
        ("C", 2, Some("y")),
        ("B", 2, Some("y")),
    ];
    for (signer, ballot, two_a) in attack {
        let what = format!("{signer}'s {two_a:?} message at ballot {ballot}");
        s = step(&model, &s, &what, |who, f, m| {
            who == signer
                && f.ballot().timestamp == ballot
                && match two_a {
                    None => f.kind() == Kind::OneB && m.refs().len() == 1,
                    Some(l) => is_2a_for(g, &f, l),
                }
        });
    }
    let violation = agreement_violation(&model.cx, &s);
    assert!(violation.is_some(), "x and y chose different values");
    eprintln!("{}", violation.unwrap());

    let none = run(own_graph(), "B", 2, 0, Strategy::Dfs);
    assert!(none.exhaustive && none.all_always_hold());
    let control = run(own_graph(), "A", 2, 1, Strategy::Dfs);
    assert!(control.exhaustive);
    assert!(control.all_always_hold());
    assert!(control.found(SOME_DECISION));
}
