//! Bad input to the binaries: exit code 2 and a one-line error, no panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use hetpaxos_config_gen::{generate, homogeneous, write_configs};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hp-node-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn configs(dir: &Path, port: u16) {
    let desc = homogeneous(4, 1).unwrap();
    let addrs: Vec<String> = (0..4).map(|i| format!("127.0.0.1:{}", port + i)).collect();
    write_configs(dir, &generate(&desc, &addrs).unwrap(), None, false).unwrap();
}

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env_remove("RUST_LOG")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

/// Exit 2, one line on stderr containing `needle`, no panic.
fn assert_bad(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("error: "), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

const ACCEPTOR: &str = env!("CARGO_BIN_EXE_hetpaxos-acceptor");
const LEARNER: &str = env!("CARGO_BIN_EXE_hetpaxos-learner");
const PROPOSER: &str = env!("CARGO_BIN_EXE_hetpaxos-proposer");

#[test]
fn missing_config() {
    let out = run(ACCEPTOR, &["--config", "/nonexistent/A.json"]);
    assert_bad(&out, "/nonexistent/A.json");
    let out = run(LEARNER, &["--config", "/nonexistent/cluster.json"]);
    assert_bad(&out, "/nonexistent/cluster.json");
    let out = run(
        PROPOSER,
        &["--config", "/nonexistent/cluster.json", "--value", "v"],
    );
    assert_bad(&out, "/nonexistent/cluster.json");
}

#[test]
fn malformed_config() {
    let d = tmpdir("malformed");
    let p = d.join("A.json");
    std::fs::write(&p, "{ not json").unwrap();
    assert_bad(
        &run(ACCEPTOR, &["--config", p.to_str().unwrap()]),
        "not valid JSON",
    );
    std::fs::write(&p, r#"{"acceptorz": []}"#).unwrap();
    assert_bad(&run(LEARNER, &["--config", p.to_str().unwrap()]), "A.json");
}

#[test]
fn wrong_key_is_refused_and_not_echoed() {
    let d = tmpdir("key");
    configs(&d, 17_000);
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("A.json")).unwrap()).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("B.json")).unwrap()).unwrap();
    let mut bad = a.clone();
    bad["privateKey"] = b["privateKey"].clone();
    let p = d.join("bad.json");
    std::fs::write(&p, bad.to_string()).unwrap();
    let out = run(ACCEPTOR, &["--config", p.to_str().unwrap()]);
    assert_bad(&out, "does not match");
    let key = b["privateKey"].as_str().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(key));
    bad["privateKey"] = serde_json::json!("not-a-key");
    std::fs::write(&p, bad.to_string()).unwrap();
    let out = run(ACCEPTOR, &["--config", p.to_str().unwrap()]);
    assert_bad(&out, "private key");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not-a-key"));
}

#[test]
fn port_in_use() {
    let d = tmpdir("port");
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    configs(&d, port);
    let out = run(ACCEPTOR, &["--config", d.join("A.json").to_str().unwrap()]);
    assert_bad(&out, &format!("cannot listen on 127.0.0.1:{port}"));
}

#[test]
fn learner_times_out_with_exit_3() {
    let d = tmpdir("timeout");
    configs(&d, 17_100);
    let out = run(
        LEARNER,
        &[
            "--config",
            d.join("learner.json").to_str().unwrap(),
            "--until-decided",
            "--timeout",
            "0.5",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
}

/// The learner and the proposer need their client configs: given
/// cluster.json (which holds no key) they say which file to use.
#[test]
fn clients_given_cluster_json_name_their_config() {
    let d = tmpdir("client");
    configs(&d, 17_200);
    let cluster = d.join("cluster.json");
    assert_bad(
        &run(LEARNER, &["--config", cluster.to_str().unwrap()]),
        "DIR/learner.json",
    );
    assert_bad(
        &run(
            PROPOSER,
            &["--config", cluster.to_str().unwrap(), "--value", "v"],
        ),
        "DIR/proposer.json",
    );
    // The other client's config is refused too.
    assert_bad(
        &run(
            LEARNER,
            &["--config", d.join("proposer.json").to_str().unwrap()],
        ),
        "DIR/learner.json",
    );
}

/// Each binary's --help describes that binary.
#[test]
fn help_describes_each_binary() {
    for (bin, words) in [
        (ACCEPTOR, "Runs one hetpaxos acceptor"),
        (LEARNER, "prints one line per learner decision"),
        (PROPOSER, "Proposes a value"),
    ] {
        let out = run(bin, &["--help"]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(words), "{bin}: {text}");
    }
}

const BENCH: &str = env!("CARGO_BIN_EXE_hetpaxos-bench");

/// `hetpaxos-bench --json` prints one JSON object with the documented keys,
/// from rounds that really decided (messages were sent, a ballot ran); out
/// of range options exit 2.
#[test]
fn bench_prints_one_json_object() {
    let out = run(BENCH, &["--acceptors", "4", "--rounds", "2", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim_end().lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "p50_ms",
        "p99_ms",
        "msgs_per_decision",
        "bytes_per_decision",
    ] {
        assert!(
            v[key].as_f64().is_some_and(|x| x > 0.0),
            "{key} in {stdout}"
        );
    }
    let rounds = v["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    assert!(rounds.iter().all(|r| r["ballots"].as_u64() >= Some(1)));
    for bad in [
        ["--acceptors", "0"],
        ["--rounds", "0"],
        ["--acceptors", "5000"],
    ] {
        let out = run(BENCH, &bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}
