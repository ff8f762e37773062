//! Real acceptor processes killed with SIGKILL at random points and restarted
//! from their data directories, many times in one run, while two proposers
//! compete: every learner decides, entangled learners agree, and no acceptor
//! is ever caught (the learner process reports equivocation). Then every
//! acceptor is killed and restarted, and a new learner learns the same
//! decisions (nothing lost). The positive control at the end forges an
//! equivocation of one acceptor: the learner reports it caught, and that
//! acceptor halts (exit 2) on seeing a message signed with its key that its
//! log does not hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{Proc, acceptor_process, proposer_process, red_blue, write_cluster};
use hetpaxos_config::{Role, load_acceptor, load_client};
use hetpaxos_config_gen::homogeneous;
use hetpaxos_messages::{Message, Unsigned, wire};
use hetpaxos_quorums::{AcceptorId, GraphDescription, LearnerGraph};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LEARNER: &str = env!("CARGO_BIN_EXE_hetpaxos-learner");

/// Kills per graph (two graphs: at least 30 in the run).
fn kills_per_graph() -> usize {
    std::env::var("HETPAXOS_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16)
}

/// A learner process printing JSON lines, collected by a reader thread.
struct LearnerProc {
    _proc: Proc,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl LearnerProc {
    fn start(dir: &Path, until_decided: bool) -> Self {
        let mut cmd = Command::new(LEARNER);
        cmd.args([
            "--config",
            dir.join("learner.json").to_str().unwrap(),
            "--json",
        ]);
        if until_decided {
            cmd.arg("--until-decided");
        }
        let mut child = cmd
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        Self {
            _proc: Proc(child),
            lines,
        }
    }

    fn events(&self, kind: &str) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|v| v["event"] == kind)
            .cloned()
            .collect()
    }

    /// Waits until `n` events of `kind` arrived; returns them.
    fn wait_for(&self, kind: &str, n: usize, timeout: Duration) -> Vec<Value> {
        let end = Instant::now() + timeout;
        loop {
            let got = self.events(kind);
            if got.len() >= n || Instant::now() > end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn start_acceptor(dir: &Path, name: &str) -> Proc {
    acceptor_process(dir, name, &[], "warn,hetpaxos_node::roles=info")
}

/// A fresh directory with the configs of `desc` on free loopback ports.
fn setup(tag: &str, desc: &GraphDescription) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hp-restarts-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_cluster(&dir, desc);
    dir
}

/// The value each learner decided, by learner name.
fn decided(events: &[Value]) -> std::collections::BTreeMap<String, String> {
    events
        .iter()
        .map(|v| {
            (
                v["learner"].as_str().unwrap().to_string(),
                v["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Forges an equivocation of acceptor `name`: two first messages (1bs of two
/// ancient ballots), signed with its key, sent to acceptor number `to` over
/// a TLS stream authenticated with that (stolen) key.
async fn forge_equivocation(dir: &Path, name: &str, to: usize) {
    let setup = load_acceptor(&dir.join(format!("{name}.json"))).unwrap();
    let signer = setup.signer();
    let proposer = load_client(&dir.join("proposer.json"), Role::Proposer)
        .unwrap()
        .proposal_signer()
        .unwrap();
    let p1 = Message::signed_proposal(1, &b"forged one"[..], &*proposer);
    let p2 = Message::signed_proposal(2, &b"forged two"[..], &*proposer);
    let b1 = Unsigned::new(setup.id, [p1.id()]).sign(&*signer);
    let b2 = Unsigned::new(setup.id, [p2.id()]).sign(&*signer);
    let msgs: Vec<_> = [p1, p2, b1, b2].iter().map(wire::to_proto).collect();
    let mut client = common::tls_client(&setup.cluster, setup.key(), to)
        .await
        .unwrap();
    let response = client
        .exchange(futures_util::stream::iter(msgs).chain(futures_util::stream::pending()))
        .await
        .unwrap();
    // Keep the stream open a moment so the acceptor takes the messages.
    let _stream = response.into_inner();
    tokio::time::sleep(Duration::from_secs(2)).await;
}

use futures_util::StreamExt as _;

/// The whole scenario on one graph. Returns the number of kills.
async fn kill_and_restart(tag: &str, desc: GraphDescription, seed: u64) -> usize {
    let dir = setup(tag, &desc);
    let graph = LearnerGraph::from_description(&desc).unwrap();
    let names = desc.acceptors.clone();
    let mut acceptors: Vec<Option<Proc>> = names
        .iter()
        .map(|n| Some(start_acceptor(&dir, n)))
        .collect();
    let learner = LearnerProc::start(&dir, false);
    let proposers = [
        proposer_process(&dir, "left", &["--forever"]),
        proposer_process(&dir, "right", &["--forever"]),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut kills = 0;
    while kills < kills_per_graph() {
        std::thread::sleep(Duration::from_millis(rng.gen_range(50..400)));
        // Kill one acceptor such that every learner keeps a live quorum
        // (here: one at a time), at a random point of its work.
        let up: Vec<usize> = (0..names.len())
            .filter(|&i| acceptors[i].is_some())
            .collect();
        let killable: Vec<usize> = up
            .iter()
            .copied()
            .filter(|&i| {
                let alive = up
                    .iter()
                    .filter(|&&j| j != i)
                    .filter_map(|&j| AcceptorId::new(j))
                    .collect();
                graph.learner_ids().all(|l| graph.is_quorum(l, alive))
            })
            .collect();
        let i = killable[rng.gen_range(0..killable.len())];
        acceptors[i].take().unwrap().kill();
        kills += 1;
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..300)));
        acceptors[i] = Some(start_acceptor(&dir, &names[i]));
    }
    drop(proposers);
    let learners = graph.num_learners();
    let decisions = learner.wait_for("decided", learners, Duration::from_secs(30));
    assert_eq!(
        decisions.len(),
        learners,
        "{tag}: not every learner decided"
    );
    let values = decided(&decisions);
    for a in graph.learner_ids() {
        for b in graph.learner_ids() {
            if graph.entangled(a, b, graph.acceptors()) {
                assert_eq!(
                    values[graph.learner_name(a)],
                    values[graph.learner_name(b)],
                    "{tag}: entangled learners disagree"
                );
            }
        }
    }
    assert!(
        learner.events("caught").is_empty(),
        "{tag}: {:?}",
        learner.events("caught")
    );
    assert!(
        learner.events("conflict").is_empty(),
        "{tag}: {:?}",
        learner.events("conflict")
    );
    let (mut recoveries, mut torn) = (0, 0);
    for (i, name) in names.iter().enumerate() {
        let err = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
        assert!(!err.contains("halted"), "{tag}: acceptor {i} halted: {err}");
        recoveries += err.matches("recovered from the log").count();
        torn += err.matches("torn").count();
    }
    eprintln!(
        "{tag}: {kills} kills; {recoveries} restarts recovered a non-empty log, {torn} cut a \
         torn tail; decided {values:?}"
    );

    // Nothing lost: every acceptor killed at once and restarted; a new
    // learner learns the same decisions from their logs.
    for a in acceptors.iter_mut() {
        a.take().unwrap().kill();
    }
    for (i, name) in names.iter().enumerate() {
        acceptors[i] = Some(start_acceptor(&dir, name));
    }
    let fresh = LearnerProc::start(&dir, true);
    let again = fresh.wait_for("decided", learners, Duration::from_secs(30));
    assert_eq!(
        decided(&again),
        values,
        "{tag}: a new learner learned otherwise"
    );

    // Positive control: a forged equivocation of A is reported, and A halts.
    forge_equivocation(&dir, &names[0], 1).await;
    let caught = learner.wait_for("caught", 1, Duration::from_secs(15));
    assert_eq!(
        caught.len(),
        1,
        "{tag}: the forged equivocation was not reported"
    );
    assert_eq!(caught[0]["acceptor"], names[0].as_str());
    let a = acceptors[0].as_mut().unwrap();
    let end = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = a.0.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > end {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(2),
        "{tag}: A did not halt"
    );
    let err = std::fs::read_to_string(dir.join(format!("{}.log", names[0]))).unwrap();
    assert!(err.contains("signed with this acceptor's key"), "{err}");
    drop(learner);
    drop(fresh);
    drop(acceptors);
    let _ = std::fs::remove_dir_all(&dir);
    kills + names.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_acceptors_restart_without_equivocating() {
    let seed: u64 = std::env::var("HETPAXOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("seed {seed} (HETPAXOS_SEED to replay)");
    let started = Instant::now();
    let mut kills = kill_and_restart("homogeneous", homogeneous(4, 1).unwrap(), seed).await;
    kills += kill_and_restart("red-blue", red_blue(), seed ^ 1).await;
    eprintln!(
        "{kills} SIGKILLs (with the final kill of every acceptor), {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(kills >= 30);
}
