//! Quorum systems at scale: the questions the protocol asks of a learner
//! graph, for 4 to 1,024 acceptors (thresholds, never enumerated), and what
//! a graph costs to check.
//!
//! `cargo bench -p hetpaxos-benches --bench quorums`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{
    BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hetpaxos_benches::{Grown, homogeneous, honest_history, time_batches};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, Expr, LearnerGraph, LearnerId, examples};
use std::hint::black_box;

const SIZES: [usize; 5] = [4, 16, 64, 256, 1024];

fn l(i: usize) -> LearnerId {
    LearnerId::new(i).unwrap()
}

/// Every other acceptor of the first three quarters, and the last quarter:
/// a set just above the two-thirds threshold.
fn probe(n: usize) -> AcceptorSet {
    (0..n)
        .filter(|i| i % 4 != 1)
        .map(|i| AcceptorId::new(i).unwrap())
        .collect()
}

fn is_quorum(c: &mut Criterion) {
    let mut group = c.benchmark_group("is_quorum");
    for n in SIZES {
        let g = examples::homogeneous(n, 1).unwrap();
        let set = probe(n);
        group.bench_with_input(BenchmarkId::new("threshold", n), &n, |b, _| {
            b.iter(|| black_box(g.is_quorum(l(0), black_box(set))));
        });
        let w = weighted_graph(n);
        group.bench_with_input(BenchmarkId::new("weighted", n), &n, |b, _| {
            b.iter(|| black_box(w.is_quorum(l(0), black_box(set))));
        });
    }
    group.finish();
}

/// One learner whose quorums and safe sets are two thirds of the stake,
/// acceptor `i` holding stake `1 + i % 7`.
fn weighted_graph(n: usize) -> LearnerGraph {
    let weights: Vec<(AcceptorId, u64)> = (0..n)
        .map(|i| (AcceptorId::new(i).unwrap(), 1 + (i % 7) as u64))
        .collect();
    let total: u64 = weights.iter().map(|w| w.1).sum();
    let e = Expr::weighted(total - (total - 1) / 3, weights).unwrap();
    LearnerGraph::from_exprs(
        examples::acceptor_names(n),
        vec!["w".into()],
        vec![e.clone()],
        vec![(l(0), l(0), e)],
    )
    .unwrap()
}

fn connected(c: &mut Criterion) {
    let mut group = c.benchmark_group("connected");
    for n in SIZES {
        for learners in [1usize, 4, 16] {
            let g = examples::homogeneous(n, learners).unwrap();
            let caught = (0..(n - 1) / 3)
                .map(|i| AcceptorId::new(i).unwrap())
                .collect::<AcceptorSet>();
            group.bench_with_input(
                BenchmarkId::new(format!("learners{learners}"), n),
                &n,
                |b, _| b.iter(|| black_box(g.connected_all(black_box(caught)))),
            );
        }
    }
    group.finish();
}

fn validity(c: &mut Criterion) {
    let mut group = c.benchmark_group("validity");
    group.sample_size(10);
    for n in SIZES {
        for learners in [1usize, 4] {
            let g = examples::homogeneous(n, learners).unwrap();
            group.bench_with_input(
                BenchmarkId::new(format!("homogeneous_learners{learners}"), n),
                &n,
                |b, _| {
                    b.iter_batched(
                        // A fresh graph: validity must not be served from a cache.
                        || g.clone(),
                        |g| assert!(g.violations().is_empty()),
                        BatchSize::SmallInput,
                    )
                },
            );
        }
        let w = weighted_graph(n);
        group.bench_with_input(BenchmarkId::new("weighted", n), &n, |b, _| {
            b.iter_batched(
                || w.clone(),
                |g| assert!(g.violations().is_empty()),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// Inserting the second ballot of an honest history into a store that holds
/// the first: the store's per-message cost as sets widen.
///
/// (The history was `hetpaxos_sim::honest_history(graph, 2)`, whose second
/// ballot is a 1a only: acceptors join one proposer's ballots at most every
/// 50 ms of its timestamps, and the simulated proposer's clock advances by
/// 1 ns a ballot; so this timed the second half of the first ballot. And
/// each iteration cloned the store, whose first insertion then copied it;
/// see `hetpaxos_benches::Grown`.) The group `ingest_derive_store` of the
/// `ingest` bench measures the same for more learners.
fn store_insert(c: &mut Criterion) {
    let mut group = c.benchmark_group("store_insert");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    for n in [4usize, 16, 64, 256] {
        let history = honest_history(n, 2);
        let ballot = history.len() / 2;
        group.throughput(Throughput::Elements(ballot as u64));
        let mut grown = Grown::new(homogeneous(n, 1), &history, ballot, ballot);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            time_batches(b, &mut grown, ballot, |store, at| {
                for m in &history[at..at + ballot] {
                    black_box(store.insert(m.clone()).unwrap());
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, is_quorum, connected, validity, store_insert);
criterion_main!(benches);
