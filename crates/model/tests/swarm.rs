//! Swarm mode (seeded random walks, `Strategy::Simulation`) reports what it
//! covered: distinct states over all walks, and which protocol events of
//! the configuration it reached and missed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_model::coverage::Event;
use hetpaxos_model::{CheckOptions, ModelConfig, Outcome, Strategy, check};
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
