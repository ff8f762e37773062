//! The `hetpaxos-config-gen` binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_hetpaxos-config-gen");

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hp-cg-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

const GRAPH: &str = r#"{
  "acceptors": ["A", "B", "C", {"name": "D", "address": "127.0.0.1:9999"}],
  "learners": {
    "red":  [["A","B","C"], ["A","B","D"], ["A","C","D"], ["B","C","D"]],
    "blue": [["A","B"], ["A","C"], ["B","C"]]
  },
  "safe_sets": [
    {"between": ["red", "red"],   "sets": [["A","B","C"], ["A","B","D"], ["A","C","D"], ["B","C","D"]]},
    {"between": ["blue", "blue"], "sets": [["A","B","C"]]},
    {"between": ["red", "blue"],  "sets": [["A","B","C"]]}
  ]
}"#;

#[test]
fn from_graph_writes_checks_and_refuses_overwrite() {
    let d = tmpdir("graph");
    let g = d.join("graph.json");
    std::fs::write(&g, GRAPH).unwrap();
    let out_dir = d.join("out");
    let (gs, os) = (g.to_str().unwrap(), out_dir.to_str().unwrap());
    let o = run(&["from-graph", gs, "--out", os, "--base-port", "7100"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cluster = std::fs::read_to_string(out_dir.join("cluster.json")).unwrap();
    assert!(cluster.contains("127.0.0.1:7100") && cluster.contains("127.0.0.1:9999"));
    assert!(run(&["check", gs]).status.success());
    let o = run(&["check", out_dir.join("cluster.json").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["check", out_dir.join("B.json").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = std::fs::read_to_string(out_dir.join("A.json")).unwrap();
    let o = run(&["from-graph", gs, "--out", os]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(
        before,
        std::fs::read_to_string(out_dir.join("A.json")).unwrap()
    );
    assert!(
        run(&["from-graph", gs, "--out", os, "--force"])
            .status
            .success()
    );
}

#[test]
fn unknown_acceptor_in_graph_is_exit_2_naming_the_file() {
    let d = tmpdir("unknown");
    let g = d.join("graph.json");
    std::fs::write(
        &g,
        GRAPH.replace(r#"["A","B"], ["A","C"]"#, r#"["A","Z"], ["A","C"]"#),
    )
    .unwrap();
    let o = run(&[
        "from-graph",
        g.to_str().unwrap(),
        "--out",
        d.join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(e.contains("graph.json") && e.contains("\"Z\""), "{e}");
}

#[test]
fn invalid_graph_check_is_exit_1_with_the_condition() {
    let d = tmpdir("invalid");
    let g = d.join("graph.json");
    let bad = GRAPH.replace(
        r#""blue": [["A","B"], ["A","C"], ["B","C"]]"#,
        r#""blue": [["A"], ["D"]]"#,
    );
    std::fs::write(&g, bad).unwrap();
    let o = run(&["check", g.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("LG-"), "{}", stderr(&o));
}

#[test]
fn homogeneous_with_prefix() {
    let d = tmpdir("homog");
    let o = run(&[
        "homogeneous",
        "--acceptors",
        "4",
        "--out",
        d.to_str().unwrap(),
        "--prefix",
        "XXX",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "cluster.json",
        "A.json",
        "D.json",
        "XXX_0_config.json",
        "XXX_3_config.json",
    ] {
        assert!(d.join(f).exists(), "{f}");
    }
}
