//! The real proposer (`hetpaxos_proposer::Proposer`) as an actor of the
//! model (`ModelConfig::real_proposers`): its timer firing is an action, it
//! watches the acceptors' messages, and by decision D9 re-proposes the value
//! of the highest 2a it has seen. Every Always property holds with it, and
//! competing proposers converge; with a single 1a each (no retry) they
//! cannot, which is the control.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_model::properties::{PROPOSERS_CONVERGE, SOME_DECISION};
use hetpaxos_model::{CheckOptions, Engine, ModelConfig, Outcome, Strategy, check};
use hetpaxos_quorums::examples;
use std::sync::Arc;

fn walks(max_attempts: u32) -> Outcome {
    let graph = Arc::new(examples::homogeneous(3, 1).unwrap());
    let mut config = ModelConfig::new(graph);
    config.proposals = 2;
    config.real_proposers = Some(max_attempts);
    let o = check(
        config,
        &CheckOptions {
            strategy: Strategy::Simulation,
            seed: 1,
            max_states: Some(400_000),
            ..CheckOptions::default()
        },
    );
    eprintln!(
        "at most {max_attempts} 1a(s) per proposer: {} states in {:.1} s, converged: {}",
        o.states,
        o.elapsed.as_secs_f64(),
        o.found(PROPOSERS_CONVERGE)
    );
    assert_eq!(o.engine, Engine::Actor);
    assert!(o.all_always_hold());
    assert!(o.found(SOME_DECISION));
    o
}

#[test]
fn competing_proposers_converge_and_every_property_holds() {
    let retrying = walks(2);
    let trace = retrying
        .property(PROPOSERS_CONVERGE)
        .and_then(|p| p.discovery.clone())
        .expect("two proposers with a retry each converge (D9)");
    assert!(trace.contains("timer fires"), "{trace}");
    let once = walks(1);
    assert!(once.states >= 400_000);
    assert!(
        !once.found(PROPOSERS_CONVERGE),
        "a proposer that never retries keeps its own value"
    );
}
