//! `--accept-unchecked-graph`: a learner graph whose validity the LG-4 search
//! does not decide within the work budget is refused by the loaders
//! (`ErrorKind::UncheckedGraph`) and by every node binary (exit 2, the
//! message naming the flag), and runs with the flag (with a warning); a
//! graph with a violation is refused with or without it, and a graph shown
//! valid loads without it (the positive controls, in the same runs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::tmpdir;
use hetpaxos_config::family::{family_to_json, family_to_pb};
use hetpaxos_config::{
    Cluster, ErrorKind, GraphCheck, Role, load_acceptor, load_acceptor_with, load_client,
    load_client_with, load_cluster, load_cluster_with, pb,
};
use hetpaxos_config_gen::{Generated, generate, write_configs};
use hetpaxos_quorums::{FamilyDesc, GraphDescription, LearnerGraph, MemberDesc, Violation};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const ACCEPTOR: &str = env!("CARGO_BIN_EXE_hetpaxos-acceptor");
const LEARNER: &str = env!("CARGO_BIN_EXE_hetpaxos-learner");
const PROPOSER: &str = env!("CARGO_BIN_EXE_hetpaxos-proposer");
const CLUSTER: &str = env!("CARGO_BIN_EXE_hetpaxos-cluster");

/// Acceptors of every graph here.
const N: usize = 40;

fn acceptor_names() -> Vec<String> {
    (0..N).map(|i| format!("V{i}")).collect()
}

/// At least two thirds (`T − F`, `F` the largest integer below `T/3`) of
/// the stake of acceptors `range`, with varied stakes.
fn two_thirds_of(range: std::ops::Range<usize>, salt: u64) -> MemberDesc {
    let names = acceptor_names();
    let weights: Vec<(String, u64)> = range
        .map(|i| {
            let x = i as u64;
            (names[i].clone(), 10 + (x * 7 + salt * 3) % 23 + x)
        })
        .collect();
    let total: u64 = weights.iter().map(|(_, w)| w).sum();
    MemberDesc::Family(FamilyDesc::Weighted {
        threshold: total - (total - 1) / 3,
        weights,
    })
}

/// One learner `L` over two overlapping stake-weighted groups (V0..V24 and
/// V15..V39): its quorums hold two thirds of both groups' stake, its safe
/// sets two thirds of either. Valid (two quorums share more than a third of
/// each group's stake, a safe set holds two thirds of one of them), but the
/// LG-4 search does not settle it within the default budget.
fn undecided_graph() -> GraphDescription {
    let groups = || vec![two_thirds_of(0..25, 1), two_thirds_of(15..N, 2)];
    GraphDescription {
        acceptors: acceptor_names(),
        learners: vec![("L".into(), FamilyDesc::All(groups()))],
        safe_sets: vec![(("L".into(), "L".into()), FamilyDesc::Any(groups()))],
    }
}

/// The same acceptors and learner, quorums and safe sets "at least `N − f`
/// of all": valid for `f = ⌊(N − 1)/3⌋`, decided at once; one more fault is
/// a violation.
fn threshold_graph(f: usize) -> GraphDescription {
    let family = || FamilyDesc::Threshold {
        k: (N - f) as u64,
        of: acceptor_names()
            .into_iter()
            .map(MemberDesc::Acceptor)
            .collect(),
    };
    GraphDescription {
        acceptors: acceptor_names(),
        learners: vec![("L".into(), family())],
        safe_sets: vec![(("L".into(), "L".into()), family())],
    }
}

fn valid_graph() -> GraphDescription {
    threshold_graph((N - 1) / 3)
}

fn invalid_graph() -> GraphDescription {
    threshold_graph((N - 1) / 3 + 1)
}

/// `config` with the learners and safe sets of `desc` (same acceptors).
fn with_graph(config: &mut pb::ClusterConfig, desc: &GraphDescription) {
    config.learners = desc
        .learners
        .iter()
        .map(|(name, q)| pb::LearnerInfo {
            name: name.clone(),
            quorums: Vec::new(),
            quorum_family: Some(family_to_pb(q)),
        })
        .collect();
    config.safe_sets = desc
        .safe_sets
        .iter()
        .map(|((a, b), s)| pb::SafeSets {
            learner_a: a.clone(),
            learner_b: b.clone(),
            sets: Vec::new(),
            family: Some(family_to_pb(s)),
        })
        .collect();
}

/// Three directories of configs with one set of keys and addresses: the
/// valid graph, the undecided one and the invalid one (generation checks
/// the graph, so the last two are written over a generated valid cluster).
struct Dirs {
    valid: PathBuf,
    undecided: PathBuf,
    invalid: PathBuf,
}

fn write_dirs(tag: &str) -> Dirs {
    let addrs = common::free_addresses(N);
    let generated = generate(&valid_graph(), &addrs).unwrap();
    let write = |kind: &str, desc: Option<&GraphDescription>| -> PathBuf {
        let dir = tmpdir(&format!("unchecked-{tag}"), kind);
        let mut g: Generated = generated.clone();
        if let Some(desc) = desc {
            with_graph(&mut g.cluster, desc);
            for a in &mut g.acceptors {
                with_graph(a.cluster.as_mut().unwrap(), desc);
            }
            for c in &mut g.clients {
                with_graph(c.cluster.as_mut().unwrap(), desc);
            }
        }
        write_configs(&dir, &g, None, false).unwrap();
        dir
    };
    Dirs {
        valid: write("valid", None),
        undecided: write("undecided", Some(&undecided_graph())),
        invalid: write("invalid", Some(&invalid_graph())),
    }
}

/// The graphs are what the tests below take them for.
#[test]
fn the_graphs_are_valid_undecided_and_invalid() {
    let verdict = |d: &GraphDescription| LearnerGraph::from_description(d).unwrap().violations();
    assert_eq!(verdict(&valid_graph()), vec![]);
    assert_eq!(
        verdict(&undecided_graph()),
        vec![Violation::Undecided {
            a: "L".into(),
            b: "L".into()
        }],
        "the undecided graph got decided: give the test a harder one"
    );
    let v = verdict(&invalid_graph());
    assert!(
        !v.is_empty() && !v.iter().any(Violation::is_undecided),
        "{v:?}"
    );
}

#[test]
fn loaders_refuse_an_undecided_graph_unless_accepted() {
    let dirs = write_dirs("load");
    // Control: the valid graph loads strictly, with nothing unchecked.
    let c = load_cluster(&dirs.valid.join("cluster.json")).unwrap();
    assert!(c.unchecked.is_empty() && c.unchecked_warning().is_none());
    assert!(c.summary().starts_with("valid: "), "{}", c.summary());

    let cluster = dirs.undecided.join("cluster.json");
    let e = load_cluster(&cluster).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UncheckedGraph, "{e}");
    for needle in [
        "LG-4",
        "learners L–L",
        "did not finish within the work budget",
        "--accept-unchecked-graph",
        "operator's risk",
    ] {
        assert!(e.to_string().contains(needle), "{needle:?} not in {e}");
    }
    let acceptor = dirs.undecided.join("V0.json");
    let learner = dirs.undecided.join("learner.json");
    let proposer = dirs.undecided.join("proposer.json");
    assert_eq!(
        load_acceptor(&acceptor).unwrap_err().kind,
        ErrorKind::UncheckedGraph
    );
    assert_eq!(
        load_client(&learner, Role::Learner).unwrap_err().kind,
        ErrorKind::UncheckedGraph
    );

    let accept = GraphCheck::AcceptUnchecked;
    let c = load_cluster_with(&cluster, accept).unwrap();
    assert_eq!(c.unchecked, vec![("L".to_string(), "L".to_string())]);
    let warning = c.unchecked_warning().unwrap();
    assert!(warning.contains("learners L–L"), "{warning}");
    assert!(c.summary().starts_with("NOT CHECKED"), "{}", c.summary());
    let a = load_acceptor_with(&acceptor, accept).unwrap();
    assert_eq!(a.cluster.unchecked.len(), 1);
    let l = load_client_with(&learner, Role::Learner, accept).unwrap();
    assert_eq!(l.cluster.unchecked.len(), 1);
    let p = load_client_with(&proposer, Role::Proposer, accept).unwrap();
    assert_eq!(p.cluster.unchecked.len(), 1);

    // A violation is refused whatever the option says.
    for check in [GraphCheck::Strict, GraphCheck::AcceptUnchecked] {
        let e = load_cluster_with(&dirs.invalid.join("cluster.json"), check).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidGraph, "{e}");
        assert!(e.message.contains("invalid learner graph: LG-4"), "{e}");
    }
    for d in [dirs.valid, dirs.undecided, dirs.invalid] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// The budget decides: the valid threshold graph, settled at once with the
/// default budget, is undecided with a budget of one work unit.
#[test]
fn the_budget_decides_what_is_undecided() {
    let addrs: Vec<String> = (0..N).map(|i| format!("127.0.0.1:{}", 20000 + i)).collect();
    let config = generate(&valid_graph(), &addrs).unwrap().cluster;
    let c = Cluster::new_with_budget(
        config.clone(),
        GraphCheck::Strict,
        hetpaxos_quorums::DEFAULT_VALIDITY_BUDGET,
    )
    .unwrap();
    assert!(c.unchecked.is_empty());
    let (kind, message) =
        Cluster::new_with_budget(config.clone(), GraphCheck::Strict, 1).unwrap_err();
    assert_eq!(kind, ErrorKind::UncheckedGraph, "{message}");
    assert!(message.contains("(1 units)"), "{message}");
    let c = Cluster::new_with_budget(config.clone(), GraphCheck::AcceptUnchecked, 1).unwrap();
    assert_eq!(c.unchecked, vec![("L".to_string(), "L".to_string())]);
    // A violation found within the budget is refused even so.
    let mut bad = config;
    with_graph(&mut bad, &invalid_graph());
    let (kind, _) = Cluster::new_with(bad, GraphCheck::AcceptUnchecked).unwrap_err();
    assert_eq!(kind, ErrorKind::InvalidGraph);
}

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn assert_refused(bin: &str, out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{bin}: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{bin}: {n:?} not in {stderr}");
    }
}

/// Starts `bin` with `args` and waits until a line of its stderr contains
/// `needle` (then kills it) or it exits; returns whether the line came and
/// everything it wrote to stderr.
fn runs_with(bin: &str, args: &[&str], needle: &str) -> (bool, String) {
    let mut child = Command::new(bin)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let mut found = false;
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(needle) {
            found = true;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    (found, seen)
}

#[test]
fn node_binaries_refuse_an_undecided_graph_unless_given_the_flag() {
    let dirs = write_dirs("bins");
    let flag = "--accept-unchecked-graph";
    let refused = [
        "learners L–L",
        "did not finish within the work budget",
        flag,
    ];
    let warning = "unchecked learner graph";
    let runs: [(&str, &str, Vec<&str>); 3] = [
        (ACCEPTOR, "V0.json", vec!["--in-memory"]),
        (LEARNER, "learner.json", vec!["--timeout", "30"]),
        (PROPOSER, "proposer.json", vec!["--value", "x"]),
    ];
    for (bin, file, extra) in &runs {
        let config = dirs.undecided.join(file);
        let mut args = vec!["--config", path(&config)];
        args.extend(extra);
        assert_refused(bin, &run(bin, &args), &refused);
        args.push(flag);
        let (ran, stderr) = runs_with(bin, &args, warning);
        assert!(ran, "{bin} {flag}: no warning: {stderr}");
        assert!(stderr.contains("learners L–L"), "{bin}: {stderr}");
        // A violation is refused with the flag too.
        let config = dirs.invalid.join(file);
        let mut args = vec!["--config", path(&config), flag];
        args.extend(extra);
        assert_refused(bin, &run(bin, &args), &["invalid learner graph"]);
    }
    // Control: the valid cluster's learner loads without the flag, warns of
    // nothing and times out waiting for acceptors that are not running.
    let out = run(
        LEARNER,
        &[
            "--config",
            path(&dirs.valid.join("learner.json")),
            "--timeout",
            "0.5",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains(warning), "{stderr}");
    for d in [dirs.valid, dirs.undecided, dirs.invalid] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// `hetpaxos-cluster --graph` on the undecided graph: refused, and with the
/// flag its 40 acceptors decide (the runtime needs no decided graph).
#[test]
fn cluster_demo_runs_an_undecided_graph_only_with_the_flag() {
    let dir = tmpdir("unchecked", "demo");
    let desc = undecided_graph();
    let file = dir.join("graph.json");
    let json = serde_json::json!({
        "acceptors": desc.acceptors,
        "learners": {"L": family_to_json(&desc.learners[0].1)},
        "safe_sets": [{"between": ["L", "L"], "sets": family_to_json(&desc.safe_sets[0].1)}],
    });
    std::fs::write(&file, json.to_string()).unwrap();
    let graph = path(&file);
    let out = run(CLUSTER, &["--graph", graph, "--timeout", "60"]);
    assert_refused(
        CLUSTER,
        &out,
        &[
            "did not finish within the work budget",
            "--accept-unchecked-graph",
        ],
    );
    let out = run(
        CLUSTER,
        &[
            "--graph",
            graph,
            "--timeout",
            "60",
            "--value",
            "unchecked",
            "--accept-unchecked-graph",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("NOT CHECKED"), "{stdout}");
    assert!(
        stdout.contains("learner L decided \"unchecked\""),
        "{stdout}"
    );
    assert!(stderr.contains("unchecked learner graph"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
