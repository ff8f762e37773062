//! What accepting one message from the network costs: decoding the protobuf
//! bytes, verifying the Ed25519 signature, deriving the message's facts and
//! inserting it into the store. Criterion reports the time of a batch of
//! messages and, from the throughput, messages per second; divide the time
//! by the batch (or read `thrpt`) for the per-message figure.
//!
//! `cargo bench -p hetpaxos-benches --bench ingest` (all groups: about 4½
//! minutes on the 2-core development machine, 35 s with `-- --quick`), or
//! one group, e.g.
//! `cargo bench -p hetpaxos-benches --bench ingest -- ingest_history --quick`.
//!
//! Groups (n acceptors, homogeneous thresholds; histories are the honest
//! best-case histories of `hetpaxos_benches::honest_history`, checked
//! against the simulator for small n at start-up):
//!
//! - `ingest_history/H`, H = 100 … 100,000: the full path (decode, verify,
//!   derive, insert) for the next [`BATCH`] messages of an n = 4 history
//!   whose store holds H messages (H to 1.5 H: successive batches go into
//!   one store until it has grown by half). Flat per-message time is the
//!   goal.
//! - `ingest_derive_store_history/H`: the same without decoding and
//!   verification (the store alone).
//! - `ingest_decode/n`, `ingest_verify_single/n`, `ingest_verify_batch/n`:
//!   one steady-state ballot (a 1a, n 1bs, n 2as) decoded; verified one
//!   signature at a time (`Ed25519Verifier::verify`: ZIP 215, decision D13); verified as
//!   one `ed25519_dalek::verify_batch` (payloads built in the timing).
//! - `ingest_derive_store/learnersL/n`: that ballot inserted into a store
//!   holding the ballots before it (2 to 5), for 1, 4 and 16 learners.
//! - `ingest_acceptors/n`: that ballot through the full path.
//! - `ingest_fork_flood/merge/K`, `ingest_fork_flood/after/K`: a Byzantine
//!   history whose forks keep growing (acceptor 3 of 4 sends K forks; one
//!   message merges them; [`AFTER`] honest messages inherit the K-wide
//!   frontier), through the full path.
//!
//! Stores are built by insertion and never cloned, and only the batch is
//! timed (see `hetpaxos_benches::Grown`: the first insertion into a clone
//! copies the whole store, which an earlier bench charged to the messages
//! measured).
//!
//! Stored bytes per message at the same sizes: the `store_bytes` bench.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hetpaxos_benches::{
    Batch, Grown, Keys, check_against_sim, decode, encode_all, fork_flood, homogeneous,
    honest_history, ingest, time_batches, verifier,
};
use hetpaxos_messages::{Message, MessageStore, Verifier};
use std::cell::OnceCell;
use std::hint::black_box;
use std::sync::LazyLock;
use std::time::Duration;

/// Messages ingested per timed iteration of the history groups.
const BATCH: usize = 64;
/// History sizes at n = 4.
const HISTORY: [usize; 4] = [100, 1_000, 10_000, 100_000];
/// Cluster sizes of the stage groups.
const ACCEPTORS: [usize; 4] = [4, 16, 64, 256];
/// Learner counts of the derive+store group.
const LEARNERS: [usize; 3] = [1, 4, 16];
/// Ballots a stage-group store may grow by before it is built again.
const STAGE_WINDOW: usize = 4;
/// Forks of the Byzantine history.
const FORKS: [usize; 3] = [100, 1_000, 10_000];
/// Honest messages after the merge of the forks, per timed iteration.
const AFTER: usize = 64;
/// Timed iterations of `AFTER` messages a fork-flood store serves.
const AFTER_WINDOW: usize = 8;

/// A ballot of n acceptors: one 1a, n 1bs, n 2as.
fn ballot_len(n: usize) -> usize {
    1 + 2 * n
}

/// How far a history-group store at `h` grows before it is built again.
fn history_window(h: usize) -> usize {
    (h / 2).max(BATCH)
}

/// The n = 4 history, long enough for the largest size and its window;
/// built once per run (150,000 signatures: a few seconds).
static HISTORY_4: LazyLock<(Vec<Message>, Vec<Vec<u8>>)> = LazyLock::new(|| {
    check_against_sim(4, 5);
    let h = HISTORY[HISTORY.len() - 1];
    let needed = h + history_window(h) + BATCH;
    let history = honest_history(4, needed.div_ceil(ballot_len(4)));
    let bytes = encode_all(&history);
    (history, bytes)
});

/// `2 + STAGE_WINDOW` ballots of `n` acceptors: stores start with two, and
/// each timed iteration inserts the next (its 1bs reference the previous
/// ballot's 2as, as in any later ballot).
struct Ballots {
    n: usize,
    history: Vec<Message>,
    bytes: Vec<Vec<u8>>,
}

impl Ballots {
    /// The third ballot (for decoding and verification alone).
    fn third(&self) -> &[Message] {
        &self.history[2 * ballot_len(self.n)..3 * ballot_len(self.n)]
    }

    fn third_bytes(&self) -> &[Vec<u8>] {
        &self.bytes[2 * ballot_len(self.n)..3 * ballot_len(self.n)]
    }

    /// Stores of `learners` learners starting with two ballots.
    fn grown(&self, learners: usize) -> Grown {
        let len = ballot_len(self.n);
        Grown::new(
            homogeneous(self.n, learners),
            &self.history,
            2 * len,
            STAGE_WINDOW * len,
        )
    }
}

static BALLOTS: LazyLock<Vec<Ballots>> = LazyLock::new(|| {
    // The direct construction must match the simulator where the simulator
    // is fast enough to run (it matches up to 64 acceptors).
    check_against_sim(16, 3);
    ACCEPTORS
        .into_iter()
        .map(|n| {
            let history = honest_history(n, 2 + STAGE_WINDOW);
            let bytes = encode_all(&history);
            Ballots { n, history, bytes }
        })
        .collect()
});

fn ballots_of(n: usize) -> &'static Ballots {
    BALLOTS.iter().find(|b| b.n == n).unwrap()
}

/// The full receive path against history size (n = 4).
fn ingest_history(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_history");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(BATCH as u64));
    let v = verifier(4);
    for h in HISTORY {
        let mut grown = None;
        group.bench_with_input(BenchmarkId::from_parameter(h), &h, |b, &h| {
            let (history, bytes) = &*HISTORY_4;
            let grown = grown.get_or_insert_with(|| {
                Grown::new(homogeneous(4, 1), history, h, history_window(h))
            });
            time_batches(b, grown, BATCH, |store, at| {
                for m in &bytes[at..at + BATCH] {
                    ingest(store, &v, m);
                }
            });
        });
    }
    group.finish();
}

/// Derive + insert alone against history size (n = 4).
fn derive_store_history(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_derive_store_history");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(BATCH as u64));
    for h in HISTORY {
        let mut grown = None;
        group.bench_with_input(BenchmarkId::from_parameter(h), &h, |b, &h| {
            let (history, _) = &*HISTORY_4;
            let grown = grown.get_or_insert_with(|| {
                Grown::new(homogeneous(4, 1), history, h, history_window(h))
            });
            time_batches(b, grown, BATCH, |store, at| {
                insert_all(store, &history[at..at + BATCH]);
            });
        });
    }
    group.finish();
}

fn insert_all(store: &mut MessageStore, messages: &[Message]) {
    for m in messages {
        black_box(store.insert(m.clone()).unwrap());
    }
}

/// Decoding alone, one ballot, per cluster size.
fn decode_stage(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_decode");
    for n in ACCEPTORS {
        group.throughput(Throughput::Elements(ballot_len(n) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let bytes = ballots_of(n).third_bytes();
            b.iter(|| {
                for m in bytes {
                    black_box(decode(black_box(m)));
                }
            });
        });
    }
    group.finish();
}

/// Verification one signature at a time (`Ed25519Verifier::verify`), per cluster size.
fn verify_single_stage(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_verify_single");
    for n in ACCEPTORS {
        let v = verifier(n);
        group.throughput(Throughput::Elements(ballot_len(n) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let ballot = ballots_of(n).third();
            b.iter(|| {
                for m in ballot {
                    v.verify(black_box(m)).unwrap();
                }
            });
        });
    }
    group.finish();
}

/// One batch verification of the whole ballot, per cluster size: building
/// the payloads and `ed25519_dalek::verify_batch`.
fn verify_batch_stage(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_verify_batch");
    for n in ACCEPTORS {
        let keys = Keys::new(n);
        group.throughput(Throughput::Elements(ballot_len(n) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let ballot = ballots_of(n).third();
            b.iter(|| Batch::of(black_box(ballot), &keys).verify().unwrap());
        });
    }
    group.finish();
}

/// Derive + insert of one ballot into a store holding the ballots before
/// it, per cluster size and learner count.
fn derive_store_stage(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_derive_store");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    for n in ACCEPTORS {
        let len = ballot_len(n);
        group.throughput(Throughput::Elements(len as u64));
        for learners in LEARNERS {
            let mut grown = None;
            group.bench_with_input(
                BenchmarkId::new(format!("learners{learners}"), n),
                &n,
                |b, &n| {
                    let bl = ballots_of(n);
                    let grown = grown.get_or_insert_with(|| bl.grown(learners));
                    time_batches(b, grown, len, |store, at| {
                        insert_all(store, &bl.history[at..at + len]);
                    });
                },
            );
        }
    }
    group.finish();
}

/// The full path for one ballot, per cluster size (1 learner).
fn full_path_acceptors(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_acceptors");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    for n in ACCEPTORS {
        let v = verifier(n);
        let len = ballot_len(n);
        group.throughput(Throughput::Elements(len as u64));
        let mut grown = None;
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let bl = ballots_of(n);
            let grown = grown.get_or_insert_with(|| bl.grown(1));
            time_batches(b, grown, len, |store, at| {
                for m in &bl.bytes[at..at + len] {
                    ingest(store, &v, m);
                }
            });
        });
    }
    group.finish();
}

/// The full path through a Byzantine history whose forks keep growing.
fn fork_flood_full_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_fork_flood");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    let v = verifier(4);
    for k in FORKS {
        // Signing 2K messages: built once per K, on first use. The history
        // in acceptance order, its encoding, and where the merge is.
        let flood: OnceCell<(Vec<Message>, Vec<Vec<u8>>, usize)> = OnceCell::new();
        let flood = || {
            flood.get_or_init(|| {
                let f = fork_flood(k, AFTER * AFTER_WINDOW, true);
                let at = f.before.len();
                let mut all = f.before;
                all.push(f.merge);
                all.extend(f.after);
                let bytes = encode_all(&all);
                (all, bytes, at)
            })
        };
        let mut merge = None;
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("merge", k), &k, |b, _| {
            let (all, bytes, at) = flood();
            let grown = merge.get_or_insert_with(|| Grown::new(homogeneous(4, 1), all, *at, 1));
            time_batches(b, grown, 1, |store, at| ingest(store, &v, &bytes[at]));
        });
        let mut after = None;
        group.throughput(Throughput::Elements(AFTER as u64));
        group.bench_with_input(BenchmarkId::new("after", k), &k, |b, _| {
            let (all, bytes, at) = flood();
            let grown = after.get_or_insert_with(|| {
                Grown::new(homogeneous(4, 1), all, at + 1, AFTER * AFTER_WINDOW)
            });
            time_batches(b, grown, AFTER, |store, at| {
                for m in &bytes[at..at + AFTER] {
                    ingest(store, &v, m);
                }
            });
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    ingest_history,
    derive_store_history,
    decode_stage,
    verify_single_stage,
    verify_batch_stage,
    derive_store_stage,
    full_path_acceptors,
    fork_flood_full_path
);
criterion_main!(benches);
