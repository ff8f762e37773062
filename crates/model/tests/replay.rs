//! Counterexamples replay through the simulated cluster (`hetpaxos-sim`,
//! real Ed25519 signatures): a violation the reduced engine finds becomes a
//! trace file whose schedule, run in the simulation, makes the simulated
//! acceptors sign exactly the model's messages and violates the same
//! property; and the trace files kept in `tests/regressions/` keep doing so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_model::graph_file::parse_graph;
use hetpaxos_model::properties::{AGREEMENT, NEVER_CAUGHT};
use hetpaxos_model::replay::{ReplayError, TraceFile, TraceStep, replay};
use hetpaxos_model::{CheckOptions, Engine, ModelConfig, Strategy, check};
use hetpaxos_quorums::LearnerGraph;
use std::path::Path;
use std::sync::Arc;

const OWN_GRAPH: &str = include_str!("../graphs/outside_safe.json");

/// The trace file of the agreement violation `engine` finds (breadth
/// first) on `outside_safe.json` with B a twin and up to `crashes` crashes,
/// through JSON as a file on disk would be.
fn found_trace(engine: Engine, crashes: usize) -> TraceFile {
    let graph = Arc::new(LearnerGraph::from_description(&parse_graph(OWN_GRAPH).unwrap()).unwrap());
    let mut config = ModelConfig::new(graph.clone());
    config.twins.insert(graph.acceptor_by_name("B").unwrap());
    config.crashes = crashes;
    let o = check(
        config,
        &CheckOptions {
            strategy: Strategy::Bfs,
            engine,
            ..CheckOptions::default()
        },
    );
    assert_eq!(o.engine, engine);
    let mut file = o
        .property(AGREEMENT)
        .and_then(|p| p.trace_file.clone())
        .expect("B equivocating breaks agreement between x and y");
    file.graph = serde_json::from_str(OWN_GRAPH).unwrap();
    serde_json::from_str(&serde_json::to_string(&file).unwrap()).unwrap()
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
