//! Seeded faults that a model-checking run must catch within a minute, each
//! beside a positive control: the same search without the fault, over at
//! least as many states, finds no violation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_model::properties::NEVER_CAUGHT;
use hetpaxos_model::{CheckOptions, ModelConfig, Mutant, Strategy, check};
use hetpaxos_quorums::examples;
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
    config.mutant = Some(Mutant::ForgetLastOwnOnRecovery);
    let options = CheckOptions {
        strategy: Strategy::Dfs,
        timeout: Some(Duration::from_secs(60)),
        ..CheckOptions::default()
    };
    let mutant = check(config.clone(), &options);
    eprintln!(
        "mutant: {} states in {:.1} s, found: {}",
        mutant.states,
        mutant.elapsed.as_secs_f64(),
        mutant.found(NEVER_CAUGHT)
    );
    assert!(
        mutant.found(NEVER_CAUGHT),
        "the seeded fault was not found in {:.1} s ({} states)",
        mutant.elapsed.as_secs_f64(),
        mutant.states
    );
    let trace = mutant
        .property(NEVER_CAUGHT)
        .unwrap()
        .discovery
        .clone()
        .unwrap();
    assert!(trace.contains("catches"), "{trace}");

    config.mutant = None;
    let control = check(
        config,
        &CheckOptions {
            max_states: Some(mutant.states.max(1)),
            ..options
        },
    );
    assert!(control.states >= mutant.states);
    assert!(control.all_always_hold(), "the control found a violation");
}
