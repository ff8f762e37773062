//! What one equivocating acceptor costs the store: `K` pairwise incomparable
//! messages of acceptor 3 (forks), one honest-signed 2a that references all
//! of them (`merge`), and then honest messages that inherit the `K`-wide
//! frontier through it (`after`: 64 of them per timed iteration). The store
//! alone: signatures are abstracted to the signer (the full path with real
//! signatures is the group `ingest_fork_flood` of the `ingest` bench).
//!
//! `cargo bench -p hetpaxos-benches --bench fork_flood`
//!
//! The figure that matters is how `after` grows with `K`: every later
//! message should not pay the fork again.
//!
//! Moved from `crates/sim/benches/fork_flood.rs`. Stores are now built by
//! insertion and only the timed messages inserted in the timing (see
//! `hetpaxos_benches::Grown`); before, each iteration cloned the store and
//! the clone's first insertion, the merge, paid for copying it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hetpaxos_benches::{Grown, fork_flood, homogeneous, time_batches};
use std::hint::black_box;

/// Honest messages after the merge, per timed iteration.
const AFTER: usize = 64;
/// Timed iterations of `AFTER` messages one store serves.
const AFTER_WINDOW: usize = 8;

fn fork_flood_store(c: &mut Criterion) {
    let mut group = c.benchmark_group("fork_flood");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    for k in [100usize, 1_000, 10_000] {
        let f = fork_flood(k, AFTER * AFTER_WINDOW, false);
        let at = f.before.len();
        let mut all = f.before;
        all.push(f.merge);
        all.extend(f.after);
        let mut merge = Grown::new(homogeneous(4, 1), &all, at, 1);
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("merge", k), &k, |b, _| {
            time_batches(b, &mut merge, 1, |store, i| {
                black_box(store.insert(all[i].clone()).unwrap());
            });
        });
        let mut after = Grown::new(homogeneous(4, 1), &all, at + 1, AFTER * AFTER_WINDOW);
        group.throughput(Throughput::Elements(AFTER as u64));
        group.bench_with_input(BenchmarkId::new("after", k), &k, |b, _| {
            time_batches(b, &mut after, AFTER, |store, i| {
                for m in &all[i..i + AFTER] {
                    black_box(store.insert(m.clone()).unwrap());
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, fork_flood_store);
criterion_main!(benches);
