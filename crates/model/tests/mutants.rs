//! Seeded faults that a model-checking run must catch within a minute, each
//! beside a positive control: the same search without the fault, over at
//! least as many states, finds no violation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_model::properties::{JUSTIFIED, NEVER_CAUGHT, STORE_EQ_SPEC};
use hetpaxos_model::{CheckOptions, ModelConfig, Mutant, Strategy, check};
use hetpaxos_quorums::{AcceptorSet, examples};
use std::sync::Arc;
use std::time::Duration;

/// n = 3 (every quorum is all three), two proposals, one safe acceptor
/// crashed at a time: an acceptor that forgets its last own message on
/// recovery signs a second message in its place, and is caught.
#[test]
fn forgetting_the_last_own_message_on_recovery_is_caught() {
    let graph = Arc::new(examples::homogeneous(3, 1).unwrap());
    let mut config = ModelConfig::new(graph);
    config.crashes = 1;
    let trace = caught_with_control(
        config,
        Mutant::ForgetLastOwnOnRecovery,
        NEVER_CAUGHT,
        Strategy::Dfs,
    );
    assert!(trace.contains("catches"), "{trace}");
}

/// Runs `config` with `mutant` seeded until property `name` is violated
/// (within a minute), then the same search without it over at least as many
/// states (or all of them), which must find no violation. Returns the violation's trace.
fn caught_with_control(
    mut config: ModelConfig,
    mutant: Mutant,
    name: &str,
    strategy: Strategy,
) -> String {
    let options = CheckOptions {
        strategy,
        timeout: Some(Duration::from_secs(60)),
        ..CheckOptions::default()
    };
    config.mutant = Some(mutant);
    let found = check(config.clone(), &options);
    eprintln!(
        "{mutant:?}: {} states in {:.1} s, {name} violated: {}",
        found.states,
        found.elapsed.as_secs_f64(),
        found.found(name)
    );
    assert!(
        found.found(name),
        "{mutant:?} was not found in {:.1} s ({} states)",
        found.elapsed.as_secs_f64(),
        found.states
    );
    config.mutant = None;
    let control = check(
        config,
        &CheckOptions {
            max_states: Some(found.states.max(1)),
            ..options
        },
    );
    // As many states, or all of them (the fault may add states).
    assert!(control.states >= found.states || control.exhaustive);
    assert!(control.all_always_hold(), "the control found a violation");
    found.property(name).unwrap().discovery.clone().unwrap()
}

/// Stores without decision D2 accept a 2a that D, arbitrary, forges over
/// the 1bs of A, B and C without its own; the executable spec (with D2)
/// says it is ill-formed.
#[test]
fn a_store_without_d2_is_caught() {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let mut config = ModelConfig::new(graph.clone());
    config.arbitrary = AcceptorSet::singleton(graph.acceptor_by_name("D").unwrap());
    config.proposals = 1;
    config.max_forged = 1;
    let trace = caught_with_control(config, Mutant::StoreWithoutD2, STORE_EQ_SPEC, Strategy::Bfs);
    assert!(trace.contains("(arbitrary) forges"), "{trace}");
}

/// A learner that decides one 2a early decides on 2as that hold no quorum:
/// no Byzantine acceptor is needed.
#[test]
fn a_learner_deciding_one_2a_early_is_caught() {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let mut config = ModelConfig::new(graph);
    config.proposals = 1;
    caught_with_control(
        config,
        Mutant::LearnerDecidesOneEarly,
        JUSTIFIED,
        Strategy::Bfs,
    );
}
