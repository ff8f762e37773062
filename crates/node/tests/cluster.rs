//! Whole clusters on loopback over real gRPC.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{net, red_blue};
use hetpaxos_config_gen::homogeneous;
use hetpaxos_learner::{Decision, LearnerEvent};
use hetpaxos_node::local::LocalCluster;
use hetpaxos_node::{spawn_learner, spawn_proposer};
use hetpaxos_proposer::ProposerConfig;
use hetpaxos_quorums::GraphDescription;
use std::time::Duration;

fn proposer_config() -> ProposerConfig {
    ProposerConfig {
        initial_backoff: 100_000_000,
        max_backoff: 1_000_000_000,
        ..ProposerConfig::default()
    }
}

/// Runs a cluster with acceptors `down` never started and one proposer per
/// value; returns every learner's decision, or `None` on timeout.
async fn decide(
    desc: &GraphDescription,
    down: &[usize],
    values: &[&str],
    timeout: Duration,
) -> (LocalCluster, Option<Vec<Decision>>) {
    let mut local = LocalCluster::bind(desc).await.unwrap();
    local.start_all_but(down, net()).await.unwrap();
    let (_learner, mut rx) = spawn_learner(&local.learner, net()).unwrap();
    let _proposers: Vec<_> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            spawn_proposer(
                local.proposer(i),
                v.as_bytes().to_vec(),
                proposer_config(),
                net(),
            )
            .unwrap()
        })
        .collect();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    while out.len() < local.cluster.graph.num_learners() {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(LearnerEvent::Decided(d))) => out.push(d),
            Ok(Some(e)) => panic!("unexpected {e:?}"),
            _ => return (local, None),
        }
    }
    (local, Some(out))
}

fn values(ds: &[Decision]) -> Vec<Vec<u8>> {
    ds.iter().map(|d| d.value.to_vec()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_acceptors_decide() {
    let (_c, d) = decide(
        &homogeneous(4, 1).unwrap(),
        &[],
        &["v"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(values(&d.expect("no decision")), vec![b"v".to_vec()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_four_down_decides() {
    let (_c, d) = decide(
        &homogeneous(4, 1).unwrap(),
        &[3],
        &["v"],
        Duration::from_secs(20),
    )
    .await;
    let d = d.expect("no decision");
    assert_eq!(values(&d), vec![b"v".to_vec()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_four_down_does_not_decide() {
    let (_c, d) = decide(
        &homogeneous(4, 1).unwrap(),
        &[2, 3],
        &["v"],
        Duration::from_secs(3),
    )
    .await;
    assert!(d.is_none(), "decided without a quorum: {d:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_proposers_one_value_everywhere() {
    let (_c, d) = decide(
        &homogeneous(4, 2).unwrap(),
        &[],
        &["x", "y"],
        Duration::from_secs(30),
    )
    .await;
    let v = values(&d.expect("no decision"));
    assert_eq!(v.len(), 2);
    assert_eq!(v[0], v[1]);
    assert!(v[0] == b"x" || v[0] == b"y");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_blue_both_decide_the_same_value() {
    let (_c, d) = decide(&red_blue(), &[], &["rb"], Duration::from_secs(20)).await;
    assert_eq!(values(&d.expect("no decision")), vec![b"rb".to_vec(); 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_blue_with_d_down() {
    let (_c, d) = decide(&red_blue(), &[3], &["rb"], Duration::from_secs(20)).await;
    assert_eq!(values(&d.expect("no decision")), vec![b"rb".to_vec(); 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_learner_learns_the_decision() {
    let (local, d) = decide(
        &homogeneous(4, 1).unwrap(),
        &[],
        &["early"],
        Duration::from_secs(20),
    )
    .await;
    d.expect("no decision");
    // No proposer runs any more: the new learner can only learn by replay.
    let (_late, mut rx) = spawn_learner(&local.learner, net()).unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("late learner did not learn")
        .unwrap();
    let LearnerEvent::Decided(got) = got else {
        panic!("{got:?}")
    };
    assert_eq!(got.value.as_ref(), b"early");
}

/// `hetpaxos-cluster --acceptors 31` (the command of the README) decides: a
/// homogeneous cluster is a threshold ("21 of 31"), never enumerated (it
/// used to be refused above 15 acceptors). Prints the decision time.
#[test]
fn hetpaxos_cluster_with_31_acceptors_decides() {
    let start = std::time::Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hetpaxos-cluster"))
        .args([
            "--acceptors",
            "31",
            "--value",
            "thirty-one",
            "--timeout",
            "90",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("learner L0 decided \"thirty-one\""))
        .unwrap_or_else(|| panic!("no decision line: {stdout}"));
    assert!(stdout.contains("31 acceptors"), "{stdout}");
    eprintln!(
        "31 acceptors: {line} (whole run {} ms)",
        start.elapsed().as_millis()
    );
}
