//! What one equivocating acceptor costs the store: `K` pairwise incomparable
//! messages of acceptor 3 (forks), one honest-signed 2a that references all
//! of them (`merge`), and then honest messages that inherit the `K`-wide
//! frontier through it (`after`: 64 of them).
//!
//! `cargo bench -p hetpaxos-sim --bench fork_flood`
//!
//! The figure that matters is how `after` grows with `K`: every later
//! message should not pay the fork again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hetpaxos_messages::{AbstractSigner, Message, MessageStore, Unsigned};
use hetpaxos_quorums::{AcceptorId, examples};
use std::hint::black_box;
use std::sync::Arc;

const AFTER: usize = 64;

fn signed(i: usize, refs: &[&Message]) -> Message {
    let a = AcceptorId::new(i).unwrap();
    Unsigned::new(a, refs.iter().map(|m| m.id())).sign(&AbstractSigner(a))
}

/// The store before the merge, the merge, and the messages after it.
fn scenario(k: usize) -> (MessageStore, Message, Vec<Message>) {
    let mut store = MessageStore::new(Arc::new(examples::homogeneous(4, 1).unwrap()));
    let p = Message::proposal(1 << 40, &b"v"[..]);
    store.insert(p.clone()).unwrap();
    let mut forks = Vec::with_capacity(k);
    for i in 0..k {
        let low = Message::proposal(i as u64 + 1, &b"low"[..]);
        store.insert(low.clone()).unwrap();
        let f = signed(3, &[&p, &low]);
        store.insert(f.clone()).unwrap();
        forks.push(f);
    }
    let b0 = signed(0, &[&p]);
    let b1 = signed(1, &[&p]);
    let b2 = signed(2, &[&p]);
    for b in [&b0, &b1, &b2] {
        store.insert(b.clone()).unwrap();
    }
    let mut refs: Vec<&Message> = vec![&b1, &b2];
    refs.extend(forks.iter());
    let merge = signed(1, &refs);
    let mut probe = store.clone();
    probe.insert(merge.clone()).unwrap();
    let mut after = Vec::with_capacity(AFTER);
    let mut prev = merge.clone();
    let mut last = [b0, merge.clone(), b2.clone()];
    for j in 0..AFTER {
        let s = j % 3;
        let m = signed(s, &[&prev, &last[s]]);
        probe.insert(m.clone()).unwrap();
        last[s] = m.clone();
        prev = m.clone();
        after.push(m);
    }
    (store, merge, after)
}

fn fork_flood(c: &mut Criterion) {
    let mut group = c.benchmark_group("fork_flood");
    group.sample_size(10);
    for k in [100usize, 1_000, 10_000] {
        let (store, merge, after) = scenario(k);
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("merge", k), &k, |b, _| {
            b.iter_batched(
                || store.clone(),
                |mut s| {
                    black_box(s.insert(merge.clone()).unwrap());
                    s
                },
                BatchSize::LargeInput,
            );
        });
        let mut merged = store.clone();
        merged.insert(merge.clone()).unwrap();
        group.throughput(Throughput::Elements(AFTER as u64));
        group.bench_with_input(BenchmarkId::new("after", k), &k, |b, _| {
            b.iter_batched(
                || merged.clone(),
                |mut s| {
                    for m in &after {
                        black_box(s.insert(m.clone()).unwrap());
                    }
                    s
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, fork_flood);
criterion_main!(benches);
