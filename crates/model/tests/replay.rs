//! Counterexamples replay through the simulated cluster (`hetpaxos-sim`,
//! real Ed25519 signatures): a violation the reduced engine finds becomes a
//! trace file whose schedule, run in the simulation, makes the simulated
//! acceptors sign exactly the model's messages and violates the same
//! property; and the trace files kept in `tests/regressions/` keep doing so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_messages::{AbstractProposalSigner, Message, ProposerId};
use hetpaxos_model::graph_file::parse_graph;
use hetpaxos_model::model::{LearnerDelivery, model_clock, proposal_value};
use hetpaxos_model::properties::{AGREEMENT, NEVER_CAUGHT};
use hetpaxos_model::replay::{ReplayError, TraceFile, TraceStep, replay};
use hetpaxos_model::{CheckOptions, Engine, ModelConfig, Strategy, check};
use hetpaxos_quorums::LearnerGraph;
use std::path::Path;
use std::sync::Arc;

const OWN_GRAPH: &str = include_str!("../graphs/outside_safe.json");

/// The trace file of the agreement violation a search with `options`
/// finds on `outside_safe.json` with B a twin and `set` applied to the
/// configuration, through JSON as a file on disk would be.
fn trace_of(options: CheckOptions, set: impl Fn(&mut ModelConfig)) -> TraceFile {
    let graph = Arc::new(LearnerGraph::from_description(&parse_graph(OWN_GRAPH).unwrap()).unwrap());
    let mut config = ModelConfig::new(graph.clone());
    config.twins.insert(graph.acceptor_by_name("B").unwrap());
    set(&mut config);
    let engine = options.engine;
    let o = check(config, &options);
    assert_eq!(o.engine, engine);
    let mut file = o
        .property(AGREEMENT)
        .and_then(|p| p.trace_file.clone())
        .expect("B equivocating breaks agreement between x and y");
    file.graph = serde_json::from_str(OWN_GRAPH).unwrap();
    serde_json::from_str(&serde_json::to_string(&file).unwrap()).unwrap()
}

/// The trace file of the violation `engine` finds breadth first, with up
/// to `crashes` crashes.
fn found_trace(engine: Engine, crashes: usize) -> TraceFile {
    let options = CheckOptions {
        strategy: Strategy::Bfs,
        engine,
        ..CheckOptions::default()
    };
    trace_of(options, |c| c.crashes = crashes)
}

#[test]
fn a_found_violation_replays_in_the_simulation() {
    let file = found_trace(Engine::Reduced, 0);
    let reproduced = replay(&file).expect("the violation replays");
    assert!(
        reproduced.contains("chose different values"),
        "{reproduced}"
    );

    // The control: a property the trace does not violate is reported as
    // not reproduced, and a trace whose schedule is cut short does not
    // replay (the message it delivers next was never sent).
    let mut holds = file.clone();
    holds.property = NEVER_CAUGHT.to_string();
    assert!(matches!(
        replay(&holds),
        Err(ReplayError::NotReproduced { .. })
    ));
    let mut cut = file.clone();
    let first_sign = cut
        .steps
        .iter()
        .position(|s| matches!(s, TraceStep::Deliver { signs, .. } if !signs.is_empty()))
        .unwrap();
    let later = cut
        .steps
        .iter()
        .rposition(|s| matches!(s, TraceStep::Deliver { ids, .. } if ids.len() > 1))
        .unwrap();
    assert!(later > first_sign);
    cut.steps.remove(first_sign);
    assert!(replay(&cut).is_err());
}

/// Every trace file kept as a regression test still replays to its
/// violation (written by `hetpaxos-check … --save-traces DIR`).
#[test]
fn kept_counterexamples_still_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let file: TraceFile =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let why = replay(&file).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("{}: {why}", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= 1, "no trace file in {}", dir.display());
}

/// A violation the actor engine finds, with a safe acceptor that may crash,
/// also becomes a trace file that replays in the simulation; a crash and
/// recovery of a safe acceptor put in front of it (the same run, as far as
/// the properties go) replay too, through the simulated acceptor's real log.
/// The control: a message delivered to the crashed instance is refused.
#[test]
fn an_actor_engine_violation_replays_across_a_crash() {
    let file = found_trace(Engine::Actor, 1);
    assert!(
        file.steps.iter().all(|s| matches!(
            s,
            TraceStep::Receive { .. } | TraceStep::Crash { .. } | TraceStep::Recover { .. }
        )),
        "{:?}",
        file.steps
    );
    let reproduced = replay(&file).expect("the violation replays");
    assert!(
        reproduced.contains("chose different values"),
        "{reproduced}"
    );

    // A safe acceptor that took part crashes after its first signed step
    // and recovers at once: its log had synced what it signed, so the rest
    // of the schedule replays unchanged.
    let (k, who) = file
        .steps
        .iter()
        .enumerate()
        .find_map(|(k, s)| match s {
            TraceStep::Receive { to, signs, .. } if !signs.is_empty() && !to.contains("twin") => {
                Some((k, to.clone()))
            }
            _ => None,
        })
        .expect("a safe acceptor signs");
    let mut crashed = file.clone();
    crashed
        .steps
        .insert(k + 1, TraceStep::Crash { of: who.clone() });
    crashed
        .steps
        .insert(k + 2, TraceStep::Recover { of: who.clone() });
    let again = replay(&crashed).expect("replays across the crash");
    assert!(again.contains("chose different values"), "{again}");

    // Without the recovery, the next message for that instance is not
    // delivered to it.
    let next_for_it = crashed.steps[k + 3..]
        .iter()
        .position(|s| matches!(s, TraceStep::Receive { to, .. } if *to == who))
        .expect("it receives again later");
    let mut down = crashed.clone();
    down.steps.remove(k + 2);
    assert!(
        matches!(replay(&down), Err(ReplayError::NotInFlight { step, .. }) if step == k + 3 + next_for_it),
        "{:?}",
        replay(&down)
    );
}

/// The trace file of the violation a random walk of the actor engine
/// finds with `set` applied to the configuration (one thread, fixed seed:
/// the same walk every run).
fn walked_trace(set: impl Fn(&mut ModelConfig)) -> TraceFile {
    let options = CheckOptions {
        strategy: Strategy::Simulation,
        engine: Engine::Actor,
        threads: 1,
        seed: 0,
        max_states: Some(2_000_000),
        ..CheckOptions::default()
    };
    trace_of(options, set)
}

fn replays_to_disagreement(file: &TraceFile) {
    let reproduced = replay(file).unwrap_or_else(|e| panic!("{e}: {:?}", file.steps));
    assert!(
        reproduced.contains("chose different values"),
        "{reproduced}"
    );
}

/// With the learner as a network actor, each delivery to it is a step of
/// the trace; without them the simulated learner decides nothing, so the
/// violation is not reproduced (the control).
#[test]
fn a_violation_with_a_network_learner_replays() {
    let file = walked_trace(|c| c.learner_delivery = LearnerDelivery::Network);
    assert!(file.network_learner);
    replays_to_disagreement(&file);
    let mut deaf = file.clone();
    deaf.steps
        .retain(|s| !matches!(s, TraceStep::LearnerReceive { .. }));
    assert!(deaf.steps.len() < file.steps.len());
    assert!(matches!(
        replay(&deaf),
        Err(ReplayError::NotReproduced { .. })
    ));
}

/// With modelled clocks every 1a is held until the acceptor's clock
/// reaches its ballot, so the trace has ticks, and the simulated acceptors
/// (clocks at 0 too) sign only after them: without the ticks the replay
/// diverges (the control).
#[test]
fn a_violation_with_acceptor_clocks_replays() {
    let file = walked_trace(|c| c.acceptor_clock = true);
    assert!(file.acceptor_clock);
    replays_to_disagreement(&file);
    let mut frozen = file.clone();
    frozen
        .steps
        .retain(|s| !matches!(s, TraceStep::Tick { .. }));
    assert!(frozen.steps.len() < file.steps.len());
    assert!(replay(&frozen).is_err());
}

/// With the real proposers, the simulated proposers start and fire their
/// timers with the model's clock readings, so they broadcast the model's
/// 1as. A timer that sends a 1a is checked: the walk's first one, or else
/// one appended that names the 1a the model's P1 sends at its second
/// attempt (ballot 3 of 2 proposers). Claiming it sends nothing diverges
/// at that step (the control).
#[test]
fn a_violation_with_real_proposers_replays() {
    let file = walked_trace(|c| c.real_proposers = Some(2));
    assert_eq!(file.real_proposers, Some(2));
    replays_to_disagreement(&file);

    let sends = |s: &TraceStep| matches!(s, TraceStep::Timer { signs, .. } if !signs.is_empty());
    let mut retry = file.clone();
    let k = match file.steps.iter().position(sends) {
        Some(k) => k,
        None => {
            let second = Message::signed_proposal(
                model_clock(0, 2, 1),
                proposal_value(0).into_bytes(),
                &AbstractProposalSigner(ProposerId(0)),
            );
            retry.steps.push(TraceStep::Timer {
                proposer: 1,
                signs: vec![second.id().0.to_hex()],
            });
            replays_to_disagreement(&retry);
            retry.steps.len() - 1
        }
    };
    let TraceStep::Timer { signs, .. } = &mut retry.steps[k] else {
        unreachable!("step {k} is a timer");
    };
    signs.clear();
    assert!(
        matches!(replay(&retry), Err(ReplayError::Diverged { step, .. }) if step == k + 1),
        "{:?}",
        replay(&retry)
    );
}

/// All three at once, with one attempt per proposer (its timer then does
/// nothing, in the model and in the replay alike).
#[test]
fn a_violation_with_proposers_clocks_and_network_learner_replays() {
    let file = walked_trace(|c| {
        c.real_proposers = Some(1);
        c.acceptor_clock = true;
        c.learner_delivery = LearnerDelivery::Network;
    });
    for kind in ["tick", "learner_receive", "proposer_receive"] {
        assert!(
            serde_json::to_string(&file).unwrap().contains(kind),
            "no {kind} step"
        );
    }
    replays_to_disagreement(&file);
}
