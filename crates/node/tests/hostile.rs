//! A hostile peer against real acceptor processes: A, B and C of a
//! homogeneous n = 4 cluster run as processes; the test holds D's key (a
//! Byzantine acceptor: TLS does not stop it) and a configured proposer's
//! key, and attacks A through its own transport (`hostile/raw.rs`: rustls,
//! h2 and gRPC framing by hand, not the node's client). After each attack A
//! must still run and stay under [`RSS_BOUND_MIB`]; after all of them the
//! cluster (A, B, C) must still decide.
//!
//! Counts can be scaled with `HETPAXOS_HOSTILE_SCALE` (a divisor, default
//! 1, the counts); the figures of `docs/reliability.md` come from
//! `cargo test --release -p hetpaxos-node --test hostile -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;
#[path = "hostile/raw.rs"]
mod raw;

use common::{Proc, acceptor_process, proposer_process, tmpdir, write_cluster};
use ed25519_dalek::SigningKey;
use hetpaxos_config::{Role, load_acceptor, load_client};
use hetpaxos_config_gen::homogeneous;
use hetpaxos_messages::{Message, MessageId, ProposalSigner, Signer, Unsigned, signed_id, wire};
use hetpaxos_node::now_nanos;
use hetpaxos_proto::v1 as pb;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt as _;

/// The resident set A must stay under throughout (debug or release build).
const RSS_BOUND_MIB: u64 = 512;

fn scale(n: u64) -> u64 {
    let div: u64 = std::env::var("HETPAXOS_HOSTILE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&d| d > 0)
        .unwrap_or(1);
    (n / div).max(1)
}

/// A process's resident set, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// A process's CPU time so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Waits (up to 60 s) until the process has been nearly idle for 300 ms:
/// it worked through what it was sent.
async fn settle(pid: u32) {
    let end = Instant::now() + Duration::from_secs(60);
    let mut last = cpu_ticks(pid);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = cpu_ticks(pid);
        if now - last <= 3 {
            return;
        }
        last = now;
    }
}

/// The metrics served at `addr`, by a plain HTTP/1.1 GET.
async fn scrape(addr: &str) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).await.unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text
}

fn wait_for_log(dir: &Path, name: &str, needle: &str) {
    let end = Instant::now() + Duration::from_secs(20);
    while Instant::now() < end {
        let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
        if log.contains(needle) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{name} never logged {needle:?}");
}

/// One row of the report.
struct Row {
    attack: &'static str,
    tried: u64,
    rss_before: u64,
    rss_after: u64,
    secs: f64,
}

struct Rig {
    dir: std::path::PathBuf,
    a: Proc,
    addr: String,
    d_key: SigningKey,
    d: std::sync::Arc<dyn Signer>,
    proposer: std::sync::Arc<dyn ProposalSigner>,
    rows: Vec<Row>,
}

impl Rig {
    fn alive(&mut self) -> bool {
        self.a.0.try_wait().unwrap().is_none()
    }

    async fn run<F, Fut>(&mut self, attack: &'static str, f: F)
    where
        F: FnOnce(String, SigningKey) -> Fut,
        Fut: std::future::Future<Output = u64>,
    {
        let pid = self.a.0.id();
        let rss_before = rss_kib(pid);
        let start = Instant::now();
        let tried = f(self.addr.clone(), self.d_key.clone()).await;
        // Until A has worked through what it was sent.
        settle(pid).await;
        let secs = start.elapsed().as_secs_f64();
        assert!(self.alive(), "A died under {attack}");
        let rss_after = rss_kib(pid);
        eprintln!(
            "{attack}: {tried} tried in {secs:.1} s, RSS {} -> {} MiB",
            rss_before / 1024,
            rss_after / 1024
        );
        assert!(
            rss_after / 1024 < RSS_BOUND_MIB,
            "{attack}: RSS {} MiB",
            rss_after / 1024
        );
        self.rows.push(Row {
            attack,
            tried,
            rss_before,
            rss_after,
            secs,
        });
    }
}

fn signed_by(signer: &dyn Signer, refs: impl IntoIterator<Item = MessageId>) -> Message {
    Unsigned::new(signer.acceptor(), refs).sign(signer)
}

/// A made-up id nobody has (an unknown reference).
fn unknown(k: u64) -> MessageId {
    signed_id(
        hetpaxos_quorums::AcceptorId::new(0).unwrap(),
        &[Message::proposal(k, &b"nobody"[..]).id()],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_peer_cannot_crash_bloat_or_stall_an_acceptor() {
    let dir = tmpdir("hostile", "all");
    write_cluster(&dir, &homogeneous(4, 1).unwrap());
    let logs = "warn,hetpaxos_node::roles=info";
    // C starts only after the attacks: with A and B alone (quorums are any
    // three), nothing the attacks propose can be decided, so the decision
    // at the end is made after them.
    let metrics_addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let a = acceptor_process(&dir, "A", &["--metrics", &metrics_addr], logs);
    let _b = acceptor_process(&dir, "B", &[], logs);
    for n in ["A", "B"] {
        wait_for_log(&dir, n, "serving");
    }
    let d_setup = load_acceptor(&dir.join("D.json")).unwrap();
    let proposer = load_client(&dir.join("proposer.json"), Role::Proposer).unwrap();
    let mut rig = Rig {
        addr: load_acceptor(&dir.join("A.json"))
            .unwrap()
            .address()
            .to_string(),
        dir: dir.clone(),
        a,
        d_key: d_setup.key().clone(),
        d: d_setup.signer(),
        proposer: proposer.proposal_signer().unwrap(),
        rows: Vec::new(),
    };
    let d = rig.d.clone();
    let prop = rig.proposer.clone();

    rig.run("garbage bytes (no TLS)", |addr, _| async move {
        let n = scale(1_000);
        for i in 0..n {
            if let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await {
                let junk: Vec<u8> = (0..4096)
                    .map(|j| (i as u8) ^ (j as u8).wrapping_mul(31))
                    .collect();
                let _ = s.write_all(&junk).await;
            }
        }
        n
    })
    .await;

    let d2 = d.clone();
    let mut wanted = 0;
    let wanted_ref = &mut wanted;
    rig.run("distinct unknown references", |addr, key| async move {
        let n = scale(100_000);
        let mut s = raw::open(&addr, &key).await.unwrap();
        for k in 0..n {
            let m = signed_by(&*d2, [unknown(k)]);
            s.message(&wire::to_proto(&m)).await.unwrap();
        }
        s.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        *wanted_ref = s.received.wanted.load(Ordering::Relaxed);
        n
    })
    .await;
    // A asked the sender for the references it lacked (fetch by id).
    assert!(wanted > 0, "A never asked for a missing reference");

    let d3 = d.clone();
    rig.run("bad and foreign signatures", |addr, key| async move {
        let n = scale(10_000);
        let foreign = SigningKey::from_bytes(&[9u8; 32]);
        let p = Message::proposal(1, &b"x"[..]);
        let mut s = raw::open(&addr, &key).await.unwrap();
        for k in 0..n {
            let m = signed_by(&*d3, [p.id(), unknown(k)]);
            let mut pbm = wire::to_proto(&m);
            if let Some(pb::consensus_message::Kind::Signed(sr)) = &mut pbm.kind {
                if k % 2 == 0 {
                    sr.signature[0] ^= 1; // a bad signature
                } else {
                    // A valid Ed25519 signature by a key of no cluster.
                    use ed25519_dalek::Signer as _;
                    sr.signature = foreign.sign(m.id().0.as_bytes()).to_bytes().to_vec();
                }
            }
            s.message(&pbm).await.unwrap();
        }
        s.flush().await.unwrap();
        n
    })
    .await;

    let (d4, p4) = (d.clone(), prop.clone());
    rig.run("equivocating forks from D's key", |addr, key| async move {
        let n = scale(10_000);
        let mut s = raw::open(&addr, &key).await.unwrap();
        let high = Message::signed_proposal(now_nanos() - 1_000_000_000, &b"fork"[..], &*p4);
        s.message(&wire::to_proto(&high)).await.unwrap();
        for k in 0..n {
            // Each fork is a 1b of `high` that also references its own stale 1a.
            let low = Message::signed_proposal(k + 1, &b"low"[..], &*p4);
            let fork = signed_by(&*d4, [high.id(), low.id()]);
            s.message(&wire::to_proto(&low)).await.unwrap();
            s.message(&wire::to_proto(&fork)).await.unwrap();
        }
        s.flush().await.unwrap();
        n
    })
    .await;

    let p5 = prop.clone();
    rig.run("far-future 1as", |addr, key| async move {
        let n = scale(10_000);
        let mut s = raw::open(&addr, &key).await.unwrap();
        let far = now_nanos() + 3_600_000_000_000;
        for k in 0..n {
            let m = Message::signed_proposal(far + k, vec![b'f'; 1024], &*p5);
            s.message(&wire::to_proto(&m)).await.unwrap();
        }
        s.flush().await.unwrap();
        n
    })
    .await;

    // Each malformed frame ends its stream, and each new stream spends the
    // member's allowance: most of these go into refused streams.
    rig.run("malformed protobuf", |addr, key| async move {
        let n = scale(10_000);
        let mut s = raw::open(&addr, &key).await.unwrap();
        for i in 0..n {
            let junk: Vec<u8> = (0..64u8)
                .map(|j| (i as u8).wrapping_add(j.wrapping_mul(7)))
                .collect();
            if s.frame(&junk, junk.len() as u32).await.is_err() {
                s = raw::open(&addr, &key).await.unwrap();
            }
        }
        n
    })
    .await;

    rig.run("oversized frames", |addr, key| async move {
        let n = scale(20);
        let mut refused = 0;
        for _ in 0..n {
            let mut s = raw::open(&addr, &key).await.unwrap();
            // Claims 64 MiB, sends 5 MiB of it: refused beyond the 4 MiB
            // limit (or, once the member's allowance of new streams is
            // spent, the stream itself is refused).
            let _ = s.frame(&vec![0u8; 5 << 20], 64 << 20).await;
            if s.ended(Duration::from_secs(2))
                .await
                .is_some_and(|c| c != 0)
            {
                refused += 1;
            }
        }
        assert!(refused > 0, "no oversized frame was refused");
        n
    })
    .await;

    let mut refused = 0;
    let refused_ref = &mut refused;
    rig.run("reconnect loop", |addr, key| async move {
        let n = scale(500);
        for _ in 0..n {
            if let Ok(s) = raw::open(&addr, &key).await
                // 8: RESOURCE_EXHAUSTED.
                && s.ended(Duration::from_millis(200)).await == Some(8)
            {
                *refused_ref += 1;
            }
        }
        n
    })
    .await;
    // Most were refused: a member opens 8 streams at once, then one per 2 s.
    assert!(refused > 0, "no stream was refused for opening too often");

    // The cluster still decides: a proposer and a learner, A, B and C.
    let start = Instant::now();
    let _c = acceptor_process(&dir, "C", &[], logs);
    wait_for_log(&dir, "C", "serving");
    let _proposer = proposer_process(&rig.dir, "after", &[]);
    let out = Command::new(env!("CARGO_BIN_EXE_hetpaxos-learner"))
        .args(["--config", rig.dir.join("learner.json").to_str().unwrap()])
        .args(["--until-decided", "--timeout", "60"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let took = start.elapsed().as_secs_f64();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Either value: the attack's own (signed, valid) 1a may win the ballot
    // race once C is up; either way the decision is made after the attacks.
    assert!(
        stdout.contains("decided \"after\"") || stdout.contains("decided \"fork\""),
        "{stdout}"
    );
    // The forks were noticed: the learner reports D as caught.
    assert!(stdout.contains("acceptor D equivocated"), "{stdout}");
    assert!(rig.alive());
    eprintln!("\n| attack | tried | seconds | RSS before (MiB) | RSS after (MiB) |");
    eprintln!("|---|---|---|---|---|");
    for r in &rig.rows {
        eprintln!(
            "| {} | {} | {:.1} | {} | {} |",
            r.attack,
            r.tried,
            r.secs,
            r.rss_before / 1024,
            r.rss_after / 1024
        );
    }
    eprintln!("decided afterwards: yes, in {took:.1} s: {}", stdout.trim());
    let log = std::fs::read_to_string(rig.dir.join("A.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");

    // A's metrics account for what it refused, dropped, fetched and caught.
    let text = scrape(&metrics_addr).await;
    let value = |line: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(line))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {line} in\n{text}"))
    };
    for line in [
        "hetpaxos_messages_refused_total{reason=\"signature\"}",
        "hetpaxos_pending_dropped_total{reason=\"total\"}",
        "hetpaxos_fetches_total{reason=\"asked\"}",
        "hetpaxos_caught_acceptors",
        "hetpaxos_messages_accepted_total",
        "hetpaxos_fsync_seconds_count",
        // Malformed protobuf and oversized frames end their streams.
        "hetpaxos_messages_refused_total{reason=\"broken_stream\"}",
        "hetpaxos_messages_refused_total{reason=\"stream_opened_too_often\"}",
    ] {
        eprintln!("{line} {}", value(line));
        assert!(value(line) > 0.0, "{line}");
    }
}
