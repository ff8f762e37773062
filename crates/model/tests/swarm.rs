//! Swarm mode (seeded random walks, `Strategy::Simulation`) reports what it
//! covered: distinct states over all walks, and which protocol events of
//! the configuration it reached and missed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_model::coverage::Event;
use hetpaxos_model::properties::AGREEMENT;
use hetpaxos_model::{
    CheckOptions, Engine, LearnerDelivery, ModelConfig, Outcome, Strategy, check,
};
use hetpaxos_quorums::{AcceptorSet, examples};
use std::sync::Arc;

fn walk(twins: &str, silent: &str, strategy: Strategy, states: usize) -> (ModelConfig, Outcome) {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let one = |name: &str| {
        let mut s = AcceptorSet::EMPTY;
        if !name.is_empty() {
            s.insert(graph.acceptor_by_name(name).unwrap());
        }
        s
    };
    let mut config = ModelConfig::new(graph.clone());
    config.twins = one(twins);
    config.silent = one(silent);
    let options = CheckOptions {
        strategy,
        seed: 11,
        max_states: Some(states),
        ..CheckOptions::default()
    };
    (config.clone(), check(config, &options))
}

#[test]
fn walks_report_what_they_covered() {
    let (config, o) = walk("D", "", Strategy::Simulation, 4_000);
    assert!(!o.exhaustive);
    assert!(o.all_always_hold());
    let c = o.coverage.expect("a sampled search reports coverage");
    assert!(c.distinct_states > 10 && c.distinct_states <= o.states + 1);
    // 4 acceptors × {1b, 2a} × 2 ballots, 1 learner × 2 ballots, D forking.
    assert_eq!(c.reached.len() + c.missed.len(), 19);
    let d = config.graph.acceptor_by_name("D").unwrap();
    assert!(c.reached.contains(&Event::OneB(d, 1)) || c.reached.contains(&Event::OneB(d, 2)));
    assert!(c.reached.iter().any(|e| matches!(e, Event::Decided(..))));

    // A silent D signs nothing: its events do not exist in that
    // configuration (3 × 2 × 2 + 2 remain), and a walk too short to decide
    // reports the decisions missed.
    let (_, silent) = walk("", "D", Strategy::Simulation, 2);
    let c = silent.coverage.unwrap();
    assert_eq!(c.reached.len() + c.missed.len(), 14);
    assert!(!c.reached.iter().chain(&c.missed).any(|e| matches!(e,
        Event::OneB(a, _) | Event::TwoA(a, _) if *a == d)));
    assert!(c.missed.iter().any(|e| matches!(e, Event::Decided(..))));

    // An exhaustive search reports no sampled coverage.
    let (_, dfs) = walk("", "D", Strategy::Dfs, 4_000);
    assert!(dfs.coverage.is_none());
}

/// A random walk's counterexample is the walk that found it: its last state
/// violates the property. (stateright's own chooser could record refused
/// actions in a walk, whose rebuilt path then left the walk: on the actor
/// engine, where a duplicate delivery is refused, the trace of seed 0 with
/// clocks, real proposers and a network learner ended with one learner
/// decided. See `hetpaxos_model::chooser`.)
#[test]
fn a_walks_counterexample_ends_in_the_violation() {
    let graph = Arc::new(
        hetpaxos_quorums::LearnerGraph::from_description(
            &hetpaxos_model::graph_file::parse_graph(include_str!("../graphs/outside_safe.json"))
                .unwrap(),
        )
        .unwrap(),
    );
    let mut checked = 0;
    for (seed, engine) in [(0, Engine::Actor), (1, Engine::Actor), (0, Engine::Reduced)] {
        let mut config = ModelConfig::new(graph.clone());
        config.twins.insert(graph.acceptor_by_name("B").unwrap());
        if engine == Engine::Actor {
            config.real_proposers = Some(1);
            config.acceptor_clock = true;
            config.learner_delivery = LearnerDelivery::Network;
        }
        let o = check(
            config,
            &CheckOptions {
                strategy: Strategy::Simulation,
                engine,
                seed,
                threads: 1,
                max_states: Some(2_000_000),
                ..CheckOptions::default()
            },
        );
        let trace = o
            .property(AGREEMENT)
            .and_then(|p| p.discovery.clone())
            .expect("B's equivocation breaks agreement");
        assert!(
            trace.contains(&format!("violated {AGREEMENT}")),
            "seed {seed}, {engine:?}: the trace does not end in the violation:\n{trace}"
        );
        checked += 1;
    }
    assert_eq!(checked, 3);
}
