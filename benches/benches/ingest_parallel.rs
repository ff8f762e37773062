//! Ingest on both cores, as a node runs it: decoding and signature
//! verification spread over worker threads (the node does them in its
//! stream tasks), derivation and insertion on one (the role task).
//!
//! `cargo bench -p hetpaxos-benches --bench ingest_parallel`
//!
//! Group `ingest_parallel/threadsT` and `.../threadsT_batch64`: 1,024
//! messages of an n = 4 honest history, after 1,000 messages already in the
//! store; T threads each decode and verify a share (one at a time, or 64 at
//! a time with `Verifier::verify_many` as the node's stream tasks do), then
//! one thread inserts them in order. The throughput (`thrpt`) is the figure
//! the performance target names (messages per second with one and with two
//! cores busy).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hetpaxos_benches::{decode, encode_all, homogeneous, honest_history, store_of, verifier};
use hetpaxos_messages::{Message, Verifier};
use std::time::Duration;

const BEFORE: usize = 1_000;
const BATCH: usize = 1_024;

fn bench(c: &mut Criterion) {
    let history = honest_history(4, (BEFORE + BATCH).div_ceil(9));
    let bytes = encode_all(&history[BEFORE..BEFORE + BATCH]);
    let verifier = verifier(4);
    let graph = homogeneous(4, 1);
    let mut group = c.benchmark_group("ingest_parallel");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(BATCH as u64));
    for (threads, batch) in [(1usize, 1usize), (2, 1), (1, 64), (2, 64)] {
        let name = if batch == 1 {
            format!("threads{threads}")
        } else {
            format!("threads{threads}_batch{batch}")
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || store_of(graph.clone(), &history[..BEFORE]),
                |mut store| {
                    let share = BATCH.div_ceil(threads);
                    let checked: Vec<Vec<Message>> = std::thread::scope(|s| {
                        let workers: Vec<_> = bytes
                            .chunks(share)
                            .map(|chunk| {
                                let verifier = &verifier;
                                s.spawn(move || {
                                    let ms: Vec<Message> =
                                        chunk.iter().map(|b| decode(b)).collect();
                                    for group in ms.chunks(batch) {
                                        if batch == 1 {
                                            verifier.verify(&group[0]).unwrap();
                                        } else {
                                            let ok = verifier.verify_many(group);
                                            assert!(ok.iter().all(Result::is_ok));
                                        }
                                    }
                                    ms
                                })
                            })
                            .collect();
                        workers.into_iter().map(|w| w.join().unwrap()).collect()
                    });
                    for m in checked.into_iter().flatten() {
                        store.insert(m).unwrap();
                    }
                    store
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
