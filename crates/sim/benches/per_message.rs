//! Per-message cost of the message store as the history grows.
//!
//! `cargo bench -p hetpaxos-sim --bench per_message`
//!
//! Each benchmark accepts the next 64 messages of an honest history into a
//! store that already holds `h` messages; criterion reports the time for the
//! batch. The ratio between history sizes is the figure that matters: it
//! should stay near 1 (flat per-message cost).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hetpaxos_messages::{ClusterContext, Ed25519Verifier, Hash32, MessageStore, Verifier, wire};
use hetpaxos_quorums::examples;
use hetpaxos_sim::{honest_history, test_key};
use std::hint::black_box;
use std::sync::Arc;

const BATCH: usize = 64;

fn store_insert(c: &mut Criterion) {
    for (name, graph) in [
        ("homogeneous4", examples::homogeneous(4, 1).unwrap()),
        ("red_blue", examples::red_blue().unwrap()),
    ] {
        let graph = Arc::new(graph);
        let history = honest_history(graph.clone(), 400);
        let mut group = c.benchmark_group(format!("store_insert/{name}"));
        group.throughput(Throughput::Elements(BATCH as u64));
        for h in [200usize, 2_000] {
            if history.len() < h + BATCH {
                continue;
            }
            let mut base = MessageStore::new(graph.clone());
            for m in &history[..h] {
                base.insert(m.clone()).unwrap();
            }
            let next = &history[h..h + BATCH];
            group.bench_with_input(BenchmarkId::from_parameter(h), &h, |b, _| {
                b.iter_batched(
                    || base.clone(),
                    |mut store| {
                        for m in next {
                            black_box(store.insert(m.clone()).unwrap());
                        }
                        store
                    },
                    BatchSize::LargeInput,
                );
            });
        }
        group.finish();
    }
}

fn decode_and_verify(c: &mut Criterion) {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let history = honest_history(graph, 20);
    let signed: Vec<Vec<u8>> = history
        .iter()
        .filter(|m| m.signer().is_some())
        .map(wire::encode)
        .collect();
    let context = ClusterContext(Hash32::of(&[b"hetpaxos-sim"]));
    let verifier = Ed25519Verifier::new(
        (0..4).map(|i| test_key(i).verifying_key()).collect(),
        Vec::new(),
        context,
    );
    let limits = wire::Limits::default();
    let mut group = c.benchmark_group("wire");
    group.throughput(Throughput::Elements(signed.len() as u64));
    group.bench_function("decode_and_verify", |b| {
        b.iter(|| {
            for bytes in &signed {
                let m = wire::decode(bytes, &limits).unwrap();
                verifier.verify(&m).unwrap();
                black_box(m);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, store_insert, decode_and_verify);
criterion_main!(benches);
