//! The acceptor binary and its data directory: a second process, another
//! key, a damaged or torn log, a graceful stop, `--in-memory`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::write_cluster;

fn tmpdir(tag: &str) -> PathBuf {
    common::tmpdir("node-data", tag)
}
use hetpaxos_config_gen::homogeneous;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ACCEPTOR: &str = env!("CARGO_BIN_EXE_hetpaxos-acceptor");
const PROPOSER: &str = env!("CARGO_BIN_EXE_hetpaxos-proposer");

/// Configs of a four-acceptor cluster on free ports.
fn configs(dir: &Path) {
    write_cluster(dir, &homogeneous(4, 1).unwrap());
}

fn acceptor(dir: &Path, name: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(ACCEPTOR);
    c.args([
        "--config",
        dir.join(format!("{name}.json")).to_str().unwrap(),
    ])
    .args(extra)
    .env("RUST_LOG", "warn")
    .env("RUST_BACKTRACE", "1");
    c
}

fn spawn(mut c: Command) -> Child {
    c.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

/// Exit 2, the last stderr line an error containing `needle`, no panic.
fn assert_refused(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "stderr: {err}");
    assert!(last.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

/// Runs all four acceptors and a proposer until it decided; stops the
/// acceptors with SIGTERM and returns their exit codes.
fn decide_and_terminate(dir: &Path) -> Vec<Option<i32>> {
    let mut children: Vec<Child> = ["A", "B", "C", "D"]
        .iter()
        .map(|n| spawn(acceptor(dir, n, &[])))
        .collect();
    let out = Command::new(PROPOSER)
        .args([
            "--config",
            dir.join("proposer.json").to_str().unwrap(),
            "--value",
            "kept",
        ])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    children
        .iter_mut()
        .map(|c| {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            wait(c, Duration::from_secs(10))
        })
        .collect()
}

fn wait(c: &mut Child, timeout: Duration) -> Option<i32> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(s) = c.try_wait().unwrap() {
            return s.code();
        }
        if Instant::now() > end {
            let _ = c.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM: the acceptor finishes, syncs and exits 0; its data directory
/// (default: beside its config) then holds its log.
///
/// A decision needs signed messages from a quorum (3 of the 4), each logged
/// before it was sent, so at least three logs hold records; the fourth may
/// still be empty when the proposer is done (it may not have started in
/// time, or heard the 1a only after the decision).
#[test]
fn sigterm_exits_zero_with_the_log_synced() {
    let d = tmpdir("term");
    configs(&d);
    assert_eq!(decide_and_terminate(&d), vec![Some(0); 4]);
    let lens: Vec<u64> = logs(&d).into_iter().map(|(_, _, len)| len).collect();
    let written = lens.iter().filter(|&&len| len > 100).count();
    assert!(written >= 3, "log sizes {lens:?}");
}

/// Each acceptor's name, log path and log length.
fn logs(d: &Path) -> Vec<(&'static str, PathBuf, u64)> {
    ["A", "B", "C", "D"]
        .into_iter()
        .map(|n| {
            let wal = d.join(format!("{n}.data")).join("acceptor.wal");
            let len = std::fs::metadata(&wal).unwrap().len();
            (n, wal, len)
        })
        .collect()
}

/// A second process on the same data directory is refused with the lock
/// holder's pid, before it tries the port.
#[test]
fn a_second_process_on_the_data_directory_is_refused() {
    let d = tmpdir("lock");
    configs(&d);
    let mut first = spawn(acceptor(&d, "A", &[]));
    // Wait until the first one holds the lock.
    let lock = d.join("A.data").join("LOCK");
    let end = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&lock).map_or(true, |s| s.trim().is_empty()) {
        assert!(
            Instant::now() < end,
            "the first acceptor never locked its directory"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = acceptor(&d, "A", &[]).output().unwrap();
    assert_refused(&out, &format!("pid {}", first.id()));
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first one must keep running"
    );
    let _ = first.kill();
    let _ = first.wait();
}

/// A data directory of another acceptor (another key) or of another
/// cluster is refused.
#[test]
fn another_key_or_cluster_is_refused() {
    let d = tmpdir("identity");
    configs(&d);
    let out = acceptor(&d, "A", &["--data-dir", d.join("shared").to_str().unwrap()])
        .arg("--listen")
        .arg("127.0.0.1:0")
        .stderr(Stdio::null())
        .spawn()
        .map(|mut c| {
            std::thread::sleep(Duration::from_millis(500));
            let _ = c.kill();
            c.wait()
        });
    assert!(out.is_ok());
    let out = acceptor(&d, "B", &["--data-dir", d.join("shared").to_str().unwrap()])
        .output()
        .unwrap();
    assert_refused(&out, "public_key");
    // Same acceptor name and key file, another cluster (freshly generated).
    let other = tmpdir("identity-other");
    configs(&other);
    let out = acceptor(
        &other,
        "A",
        &["--data-dir", d.join("shared").to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert_refused(&out, "public_key");
}

/// A log damaged before its tail stops the acceptor with exit 2 naming the
/// file and the offset; a torn tail is cut off with a warning and the
/// acceptor starts.
#[test]
fn a_damaged_log_is_refused_and_a_torn_tail_is_cut() {
    let d = tmpdir("corrupt");
    configs(&d);
    assert_eq!(decide_and_terminate(&d), vec![Some(0); 4]);
    // The longest log: a quorum wrote records, one acceptor may not have.
    let (name, wal, len) = logs(&d).into_iter().max_by_key(|l| l.2).unwrap();
    assert!(len > 100, "log of {len} bytes");
    let bytes = std::fs::read(&wal).unwrap();
    // Torn: cut the file in the middle of its last record.
    std::fs::write(&wal, &bytes[..bytes.len() - 5]).unwrap();
    let mut c = spawn(acceptor(&d, name, &[]));
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        c.try_wait().unwrap().is_none(),
        "a torn tail must not stop it"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status();
    assert_eq!(wait(&mut c, Duration::from_secs(10)), Some(0));
    let err = stderr_of(&mut c);
    assert!(err.contains("torn"), "no warning: {err}");
    // Damaged: flip the first payload byte of the first record (the record
    // starts at byte 8, after the magic; its payload at byte 20).
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&wal)
        .unwrap();
    f.seek(SeekFrom::Start(20)).unwrap();
    let mut b = [0u8; 1];
    f.read_exact(&mut b).unwrap();
    f.seek(SeekFrom::Start(20)).unwrap();
    f.write_all(&[b[0] ^ 0xff]).unwrap();
    drop(f);
    let out = acceptor(&d, name, &[]).output().unwrap();
    assert_refused(&out, "byte 8 of");
    assert_refused(&out, "acceptor.wal");
}

/// `--in-memory` warns, and cannot be combined with `--data-dir`.
#[test]
fn in_memory_warns() {
    let d = tmpdir("memory");
    configs(&d);
    let mut c = spawn(acceptor(&d, "A", &["--in-memory"]));
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status();
    assert_eq!(wait(&mut c, Duration::from_secs(10)), Some(0));
    let err = stderr_of(&mut c);
    assert!(err.contains("--in-memory"), "{err}");
    assert!(!d.join("A.data").exists(), "nothing on disk");
    let out = acceptor(&d, "A", &["--in-memory", "--data-dir", "/tmp/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
