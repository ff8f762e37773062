//! The search bound `ModelConfig::max_own_messages`: a bounded search that
//! completes is reported as bounded exactly when the bound cut a step, it
//! explores a subset of the unbounded search, and a bound no instance
//! reaches changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_model::properties::SOME_DECISION;
use hetpaxos_model::{CheckOptions, ModelConfig, Outcome, check};
use hetpaxos_quorums::{AcceptorSet, LearnerGraph, examples};
use std::sync::Arc;

fn homogeneous4() -> Arc<LearnerGraph> {
    Arc::new(examples::homogeneous(4, 1).unwrap())
}

fn run(
    graph: &Arc<LearnerGraph>,
    twins: &str,
    silent: &str,
    proposals: usize,
    bound: Option<usize>,
) -> Outcome {
    let set = |names: &str| {
        let mut s = AcceptorSet::EMPTY;
        for n in names.split(',').filter(|n| !n.is_empty()) {
            s.insert(graph.acceptor_by_name(n).unwrap());
        }
        s
    };
    let mut config = ModelConfig::new(graph.clone());
    config.twins = set(twins);
    config.silent = set(silent);
    config.proposals = proposals;
    config.max_own_messages = bound;
    let o = check(config, &CheckOptions::default());
    assert!(o.exhaustive, "every search here completes");
    assert!(o.all_always_hold());
    o
}

/// n = 4, D silent, two proposals: unbounded, bounded at 2 own messages per
/// instance (a 1b and a 2a), and bounded above what any instance signs.
#[test]
fn bound_cuts_only_when_reached() {
    let g = homogeneous4();
    let full = run(&g, "", "D", 2, None);
    assert!(!full.message_bound_hit);
    assert_eq!(full.unique_states, SILENT_D_P2_UNIQUE);

    let cut = run(&g, "", "D", 2, Some(2));
    assert!(
        cut.message_bound_hit,
        "a second ballot needs a third message"
    );
    assert!(cut.unique_states < full.unique_states);
    assert!(
        cut.found(SOME_DECISION),
        "one ballot's 1b and 2a suffice to decide"
    );
    assert_eq!(cut.unique_states, SILENT_D_P2_BOUND2_UNIQUE);

    let roomy = run(&g, "", "D", 2, Some(64));
    assert!(!roomy.message_bound_hit);
    assert_eq!(roomy.unique_states, full.unique_states);
}
const SILENT_D_P2_UNIQUE: usize = 171;
const SILENT_D_P2_BOUND2_UNIQUE: usize = 60;

/// n = 4, D a twin, two proposals, bounded at 2 own messages per instance:
/// the search completes (unbounded, it does not finish in 45 minutes:
/// docs/model-checking.md), the twins still equivocate, every Always
/// property holds and a learner decides.
#[test]
fn bounded_twin_run_completes() {
    let g = homogeneous4();
    let cut = run(&g, "D", "", 2, Some(2));
    assert!(cut.message_bound_hit);
    assert!(cut.found(SOME_DECISION));
    assert_eq!(cut.unique_states, TWIN_D_P2_BOUND2_UNIQUE);
}
const TWIN_D_P2_BOUND2_UNIQUE: usize = 13_101;
