//! `hetpaxos-replay`: a kept counterexample reproduces (exit 0); the same
//! schedule claimed to violate a property it does not is reported not
//! reproduced (exit 1, the control); a file that is not a trace file is bad
//! input (exit 2, no panic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use hetpaxos_model::properties::NEVER_CAUGHT;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REPLAY: &str = env!("CARGO_BIN_EXE_hetpaxos-replay");

fn kept(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(name)
}

fn replay(files: &[&Path]) -> Output {
    Command::new(REPLAY).args(files).output().unwrap()
}

/// A file in a fresh temporary directory of this test.
fn scratch(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hetpaxos-replay-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn kept_counterexamples_reproduce_and_a_false_claim_does_not() {
    let actor = kept("outside_safe_b_twin_actor_clocks_proposers_network_agreement.json");
    let reduced = kept("outside_safe_b_twin_agreement.json");
    let out = replay(&[&actor, &reduced]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout.matches("reproduced in").count(), 2, "{stdout}");
    assert!(stdout.contains("chose different values"), "{stdout}");

    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&actor).unwrap()).unwrap();
    file["property"] = NEVER_CAUGHT.into();
    let claim = scratch("claim", "never_caught.json", &file.to_string());
    let out = replay(&[&reduced, &claim]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stdout.contains("NOT reproduced"), "{stdout}");
    assert!(stdout.contains("reproduced in 8 steps"), "{stdout}");
}

#[test]
fn what_is_not_a_trace_file_exits_2() {
    for (name, text, needle) in [
        ("empty.json", "{}", "not a trace file"),
        ("garbage.json", "\u{0}\u{1}not json", "not a trace file"),
        (
            "graph.json",
            r#"{"graph": {"acceptors": []}, "twins": [], "silent": [], "arbitrary": [],
                "proposals": 2, "property": "agreement (§7.1)", "steps": []}"#,
            "not a valid graph",
        ),
    ] {
        let path = scratch("bad", name, text);
        let out = replay(&[&path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(stderr.contains(needle), "{name}: {stderr}");
    }
    let out = replay(&[Path::new("/nonexistent/trace.json")]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
