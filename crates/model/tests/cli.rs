//! Bad input to `hetpaxos-check` exits 2 with a one-line reason and no
//! panic; a search that would not finish is refused up front unless bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CHECK: &str = env!("CARGO_BIN_EXE_hetpaxos-check");

fn graphs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("graphs")
}

fn run(args: &[&str]) -> Output {
    Command::new(CHECK).args(args).output().unwrap()
}

/// The standard output of a run that must exit 0.
fn text(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_bad(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err}");
}

#[test]
fn out_of_range_options_exit_2() {
    let g = graphs().join("homogeneous4.json");
    let g = g.to_str().unwrap();
    assert_bad(
        &run(&[g, "--proposals", "18446744073709551615"]),
        "proposals",
    );
    assert_bad(&run(&[g, "--proposals", "0"]), "proposals");
    assert_bad(&run(&[g, "--threads", "0"]), "threads");
    assert_bad(&run(&[g, "--max-states", "0"]), "max-states");
    assert_bad(&run(&[g, "--crashes", "5"]), "exceeds the 4 acceptors");
}

/// 30 acceptors: an unbounded exhaustive search is refused at once. The
/// control: the same command on 4 acceptors, bounded to a few states, runs.
#[test]
fn an_unbounded_search_of_a_large_graph_is_refused_up_front() {
    let names: Vec<String> = (0..30).map(|i| format!("\"V{i}\"")).collect();
    let list = names.join(",");
    let graph = format!(
        r#"{{"acceptors": [{list}], "learners": {{"L": {{"threshold": 21, "of": [{list}]}}}},
            "safe_sets": [{{"between": ["L", "L"], "sets": {{"threshold": 21, "of": [{list}]}}}}]}}"#
    );
    let dir = std::env::temp_dir().join(format!("hp-check-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("thirty.json");
    std::fs::write(&path, graph).unwrap();
    let start = std::time::Instant::now();
    let refused = run(&[path.to_str().unwrap()]);
    assert_bad(&refused, "would not finish");
    assert!(
        start.elapsed().as_secs() < 10,
        "the refusal was not up front"
    );
    assert_bad(
        &run(&[
            path.to_str().unwrap(),
            "--arbitrary",
            "V0",
            "--timeout",
            "5",
        ]),
        "--arbitrary over 30 acceptors is refused",
    );
    let small = graphs().join("homogeneous4.json");
    let control = run(&[small.to_str().unwrap(), "--max-states", "20"]);
    let err = String::from_utf8_lossy(&control.stderr);
    assert!(matches!(control.status.code(), Some(0 | 1)), "{err}");
}

/// The result line says "exhaustive up to" the message bound exactly when
/// the bound cut a step, and plain "exhaustive" when it did not.
#[test]
fn the_result_names_the_bound_it_reached() {
    let g = graphs().join("homogeneous4.json");
    let g = g.to_str().unwrap();
    let cut = text(&[g, "--silent", "D", "--max-messages", "2"]);
    assert!(
        cut.contains("search: exhaustive up to 2 own messages per acceptor instance"),
        "{cut}"
    );
    let roomy = text(&[g, "--silent", "D", "--max-messages", "64"]);
    assert!(
        roomy.contains("search: exhaustive (no bound was reached)"),
        "{roomy}"
    );
    let unbounded = text(&[g, "--silent", "D"]);
    assert!(unbounded.contains("bound: none"), "{unbounded}");
    assert!(unbounded.contains("search: exhaustive (no bound was reached)"));
    assert_bad(&run(&[g, "--max-messages", "2000000"]), "max-messages");
}

/// The default bound, on messages signed in a run: printed with every
/// result, named in the result line exactly when it cut a step (D silent
/// signs at most 12, so the default cuts nothing there), 0 lifts it, and the
/// actor engine refuses it.
#[test]
fn the_default_bound_on_signed_messages() {
    let g = graphs().join("homogeneous4.json");
    let g = g.to_str().unwrap();
    let default = text(&[g, "--silent", "D"]);
    assert!(
        default.contains("bound: at most 12 messages signed by acceptors in all"),
        "{default}"
    );
    assert!(default.contains("search: exhaustive (no bound was reached)"));
    let cut = text(&[g, "--silent", "D", "--max-signed", "6"]);
    assert!(
        cut.contains("search: exhaustive up to 6 signed messages (bound reached)"),
        "{cut}"
    );
    let lifted = text(&[g, "--silent", "D", "--max-signed", "0"]);
    assert!(
        lifted.contains("bound: none on the messages signed in all"),
        "{lifted}"
    );
    assert!(lifted.contains("search: exhaustive (no bound was reached)"));
    assert_bad(
        &run(&[g, "--max-signed", "6", "--engine", "actor"]),
        "--max-signed bounds the reduced engine only",
    );
    assert_bad(&run(&[g, "--max-signed", "2000000"]), "max-signed");
}

/// `--arbitrary` runs on the reduced engine and names the forgery bound in
/// the result; combined with an option that needs the actor engine, or
/// with an acceptor that is also a twin, it is refused (as is
/// `--max-messages` with the actor engine).
#[test]
fn arbitrary_acceptors_and_their_bound() {
    let g = graphs().join("homogeneous4.json");
    let g = g.to_str().unwrap();
    let out = run(&[
        g,
        "--arbitrary",
        "D",
        "--proposals",
        "1",
        "--max-forged",
        "1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("arbitrary {D}"), "{text}");
    assert!(
        text.contains("bound: at most 1 forged message by the arbitrary acceptors"),
        "{text}"
    );
    assert!(
        text.contains("search: exhaustive up to 1 forged message (bound reached)"),
        "{text}"
    );
    assert_bad(
        &run(&[g, "--arbitrary", "D", "--engine", "actor"]),
        "--arbitrary needs the reduced engine",
    );
    assert_bad(
        &run(&[g, "--arbitrary", "D", "--relays"]),
        "--arbitrary needs the reduced engine",
    );
    assert_bad(
        &run(&[g, "--arbitrary", "D", "--byzantine", "D"]),
        "only one of",
    );
    assert_bad(&run(&[g, "--arbitrary", "E"]), "unknown acceptor");
    assert_bad(&run(&[g, "--max-forged", "17"]), "max-forged");
    assert_bad(
        &run(&[g, "--arbitrary", "D", "--real-proposers", "2"]),
        "--arbitrary needs the reduced engine",
    );
    assert_bad(&run(&[g, "--real-proposers", "0"]), "real-proposers");
    assert_bad(
        &run(&[g, "--max-messages", "2", "--engine", "actor"]),
        "--max-messages bounds the reduced engine only",
    );
}
