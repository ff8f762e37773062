//! Two chains of seven stake-weighted validators (distinct stakes) on
//! loopback, as real processes: acceptors R1..R7 and B1..B7, learners `red`
//! and `blue`. Every learner's quorums need at least `T − F` of red's stake
//! and `T − F` of blue's (`T` a chain's total stake, `F` the largest integer
//! strictly below `T/3`); `red` stays safe while red keeps `T − F` of its
//! stake safe, `blue` likewise, and the two agree while either chain does.
//! The heaviest validator of each chain is down (R7 never started, B7
//! killed), two proposers compete with different values: both learners
//! decide, the same value, on quorums without R7 and B7.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{Proc, acceptor_process, proposer_process_as, tmpdir};
use hetpaxos_config_gen::{generate_with, write_configs};
use hetpaxos_quorums::{AcceptorSet, FamilyDesc, GraphDescription, LearnerGraph, MemberDesc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LEARNER: &str = env!("CARGO_BIN_EXE_hetpaxos-learner");

const RED_STAKES: [u64; 7] = [10, 13, 16, 19, 22, 25, 28];
const BLUE_STAKES: [u64; 7] = [5, 8, 12, 17, 23, 30, 40];

fn names(prefix: &str) -> Vec<String> {
    (1..=7).map(|i| format!("{prefix}{i}")).collect()
}

/// At least `T − F` of the chain's stake, `F` the largest integer strictly
/// below `T/3`.
fn two_thirds(names: &[String], stakes: &[u64]) -> FamilyDesc {
    let total: u64 = stakes.iter().sum();
    let f = (total - 1) / 3;
    assert!(3 * f < total && 3 * (f + 1) >= total);
    FamilyDesc::Weighted {
        threshold: total - f,
        weights: names.iter().cloned().zip(stakes.iter().copied()).collect(),
    }
}

fn two_chains() -> GraphDescription {
    let (red, blue) = (names("R"), names("B"));
    let red_safe = || two_thirds(&red, &RED_STAKES);
    let blue_safe = || two_thirds(&blue, &BLUE_STAKES);
    let both = || {
        FamilyDesc::All(vec![
            MemberDesc::Family(red_safe()),
            MemberDesc::Family(blue_safe()),
        ])
    };
    GraphDescription {
        acceptors: red.iter().chain(&blue).cloned().collect(),
        learners: vec![("red".into(), both()), ("blue".into(), both())],
        safe_sets: vec![
            (("red".into(), "red".into()), red_safe()),
            (("blue".into(), "blue".into()), blue_safe()),
            (
                ("red".into(), "blue".into()),
                FamilyDesc::Any(vec![
                    MemberDesc::Family(red_safe()),
                    MemberDesc::Family(blue_safe()),
                ]),
            ),
        ],
    }
}

/// The `decided` lines of a learner's JSON output, by learner.
fn decisions(stdout: &str) -> BTreeMap<String, Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["event"] == "decided")
        .map(|v| (v["learner"].as_str().unwrap().to_string(), v))
        .collect()
}

#[test]
fn two_chains_with_one_validator_of_each_down_decide_one_value() {
    let desc = two_chains();
    let graph = LearnerGraph::from_description(&desc).unwrap();
    assert_eq!(
        graph.validate(),
        Ok(()),
        "the two-chain graph must be valid"
    );
    // The down validators are the heaviest of each chain: what is left is
    // still a quorum of both learners, and no longer is without either
    // chain's next heaviest too (liveness rests on the stakes, not on counts).
    let id = |n: &str| graph.acceptor_by_name(n).unwrap();
    let all = graph.acceptors();
    let mut up = all;
    up.remove(id("R7"));
    up.remove(id("B7"));
    for l in graph.learner_ids() {
        assert!(graph.is_quorum(l, up));
        let mut fewer: AcceptorSet = up;
        fewer.remove(id("B6"));
        assert!(!graph.is_quorum(l, fewer));
    }

    let dir = tmpdir("chains", "two");
    let addrs = common::free_addresses(desc.acceptors.len());
    let generated = generate_with(&desc, &addrs, &["learner"], &["proposer", "proposer2"]).unwrap();
    write_configs(&dir, &generated, None, false).unwrap();

    let mut acceptors: BTreeMap<String, Proc> = desc
        .acceptors
        .iter()
        .filter(|n| *n != "R7")
        .map(|n| (n.clone(), acceptor_process(&dir, n, &[], "warn")))
        .collect();
    // B7 runs for a moment, long enough for its peers to connect, and is
    // killed (SIGKILL) before anything is proposed.
    std::thread::sleep(Duration::from_millis(500));
    acceptors.get_mut("B7").unwrap().kill();

    let start = Instant::now();
    let learner = Command::new(LEARNER)
        .args(["--config", dir.join("learner.json").to_str().unwrap()])
        .args(["--json", "--until-decided", "--timeout", "90"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _p1 = proposer_process_as(&dir, "proposer", "red-value", &[]);
    let _p2 = proposer_process_as(&dir, "proposer2", "blue-value", &[]);
    let out = learner.wait_with_output().unwrap();
    let took = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "learner: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decided = decisions(&stdout);
    eprintln!(
        "two chains (7 + 7, R7 and B7 down): both learners decided in {} ms",
        took.as_millis()
    );
    assert_eq!(
        decided.keys().map(String::as_str).collect::<Vec<_>>(),
        vec!["blue", "red"],
        "{stdout}"
    );
    let (red, blue) = (&decided["red"], &decided["blue"]);
    assert_eq!(red["value"], blue["value"], "{stdout}");
    let value = red["value"].as_str().unwrap();
    assert!(value == "red-value" || value == "blue-value", "{value}");
    for d in [red, blue] {
        let quorum: Vec<&str> = d["quorum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(!quorum.contains(&"R7") && !quorum.contains(&"B7"), "{d}");
        let set: AcceptorSet = quorum.iter().map(|n| id(n)).collect();
        assert!(graph.is_quorum(graph.learner_ids().next().unwrap(), set));
    }
    let alerts = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["event"] == "conflict" || v["event"] == "caught")
        .count();
    assert_eq!(alerts, 0, "{stdout}");
    assert!(red["caught"].as_array().unwrap().is_empty(), "{stdout}");
    drop(acceptors);
    let _ = std::fs::remove_dir_all(&dir);
}
