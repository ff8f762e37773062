//! What durability costs per own message: an acceptor step that signs a 1b
//! (on a new 1a), with its log in a data directory on this machine's disk
//! (append + `fdatasync` before the send), against the same step with the log
//! in memory; and group commit, eight such steps per sync.
//!
//! `cargo bench -p hetpaxos-node --bench durable_step`
//!
//! The data directories go under `HETPAXOS_BENCH_DIR`, or the system's
//! temporary directory: it must be on a real disk (not tmpfs) for the figure
//! to mean anything.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use hetpaxos_acceptor::driver::{self, Io};
use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Input, LogPosition, Record};
use hetpaxos_config::{AcceptorSetup, ClientSetup, Cluster, Role, parse_hex32};
use hetpaxos_config_gen::{generate, homogeneous};
use hetpaxos_messages::{Ed25519ProposalSigner, Message};
use hetpaxos_node::Storage;
use hetpaxos_node::acceptor_log::{AcceptorLog, LogError};
use std::sync::Arc;
use std::time::Duration;

/// The log, and nothing on the network.
struct Bench<'a>(&'a mut AcceptorLog);

impl Io for Bench<'_> {
    type Error = LogError;
    fn append(&mut self, records: &[Record], up_to: LogPosition) -> Result<(), LogError> {
        self.0.append(records, up_to)
    }
    fn sync(&mut self, _: LogPosition) -> Result<(), LogError> {
        self.0.sync()
    }
    fn relay(&mut self, _: &Message) {}
    fn send(&mut self, _: &Message) {}
}

/// Acceptor A of a generated four-acceptor cluster, and the signer of the
/// cluster's proposer.
fn setup() -> (AcceptorSetup, Arc<Ed25519ProposalSigner>) {
    let desc = homogeneous(4, 1).unwrap();
    let addrs: Vec<String> = (0..4).map(|i| format!("127.0.0.1:{}", 7000 + i)).collect();
    let generated = generate(&desc, &addrs).unwrap();
    let cluster = Cluster::new(generated.cluster.clone()).unwrap();
    let key = |hex: &str| SigningKey::from_bytes(&parse_hex32(hex).unwrap());
    let a = &generated.acceptors[0];
    let acceptor = AcceptorSetup::new(cluster.clone(), &a.name, key(&a.private_key)).unwrap();
    let p = generated
        .clients
        .iter()
        .find(|c| c.role == "proposer")
        .unwrap();
    let proposer = ClientSetup::new(cluster, Role::Proposer, &p.name, key(&p.private_key)).unwrap();
    (acceptor, proposer.proposal_signer().unwrap())
}

fn acceptor(setup: &AcceptorSetup, storage: &Storage) -> (Acceptor, AcceptorLog) {
    let (log, records) = AcceptorLog::open(setup, storage).unwrap();
    let (mut a, _) = Acceptor::recover(
        setup.cluster.graph.clone(),
        setup.signer(),
        setup.cluster.verifier(),
        AcceptorLimits::default(),
        records,
    )
    .unwrap();
    let _ = a.handle(Input::Tick { now: u64::MAX / 2 });
    (a, log)
}

fn own_message(c: &mut Criterion) {
    let (setup, proposer) = setup();
    let base = std::env::var_os("HETPAXOS_BENCH_DIR")
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let dir = tempfile::tempdir_in(base).unwrap();
    let mut group = c.benchmark_group("own_message");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    for (name, storage, per_sync) in [
        ("in_memory", Storage::InMemory, 1u64),
        (
            "disk_sync_each",
            Storage::DataDir(dir.path().join("each")),
            1,
        ),
        (
            "disk_sync_per_8",
            Storage::DataDir(dir.path().join("per8")),
            8,
        ),
    ] {
        let (mut a, mut log) = acceptor(&setup, &storage);
        let mut ballot = 1u64;
        group.throughput(Throughput::Elements(per_sync));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut io = Bench(&mut log);
                for _ in 0..per_sync {
                    ballot += 1;
                    let p = Message::signed_proposal(ballot, &b"value"[..], &*proposer);
                    driver::input(&mut a, Input::Receive(p), &mut io).unwrap();
                }
                assert!(driver::flush(&mut a, &mut io).unwrap(), "one sync");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, own_message);
criterion_main!(benches);
