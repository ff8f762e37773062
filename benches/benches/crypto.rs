//! Ed25519 on real messages: signing a message id (the domain-separated
//! payload of `hetpaxos-messages`), verifying one signature
//! (`Ed25519Verifier::verify`, ZIP 215 since decision D13), and verifying
//! 16, 64 or 256 signatures one at a time or as one
//! `ed25519_dalek::verify_batch` (payloads built in the timing).
//!
//! `cargo bench -p hetpaxos-benches --bench crypto`
//!
//! Groups: `crypto/sign`, `crypto/verify`, `crypto/verify_1a` (a proposer's
//! signature on a 1a), and `crypto_batch/single/S`, `crypto_batch/batch/S`
//! for S = 16, 64, 256 (throughput: signatures per second).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hetpaxos_benches::{Batch, Keys, context, honest_history, verifier};
use hetpaxos_messages::{Ed25519Signer, Message, Signer, Verifier};
use hetpaxos_sim::test_key;
use std::hint::black_box;

const SIZES: [usize; 3] = [16, 64, 256];

/// At least `count` messages signed by acceptors (1bs and 2as) of an honest
/// history of 4 acceptors, and its 1as.
fn messages(count: usize) -> (Vec<Message>, Vec<Message>) {
    // A ballot of 4 acceptors has 8 acceptor-signed messages.
    let h = honest_history(4, count.div_ceil(8) + 1);
    let (signed, one_as): (Vec<Message>, Vec<Message>) =
        h.into_iter().partition(|m| m.signer().is_some());
    (signed, one_as)
}

fn single(c: &mut Criterion) {
    let (signed, one_as) = messages(16);
    // A steady-state 2a (of the last ballot).
    let m = signed.last().unwrap().clone();
    let a = m.signer().unwrap();
    let signer = Ed25519Signer::new(a, test_key(a.index()), context());
    // The signature of a deterministic scheme: signing again gives the same.
    assert_eq!(m.as_signed().unwrap().signature(), &signer.sign_id(m.id()));
    let v = verifier(4);
    let mut group = c.benchmark_group("crypto");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign", |b| {
        b.iter(|| black_box(signer.sign_id(black_box(m.id()))))
    });
    group.bench_function("verify", |b| b.iter(|| v.verify(black_box(&m)).unwrap()));
    let one_a = one_as.last().unwrap();
    group.bench_function("verify_1a", |b| {
        b.iter(|| v.verify(black_box(one_a)).unwrap())
    });
    group.finish();
}

fn batches(c: &mut Criterion) {
    let (signed, _) = messages(SIZES[SIZES.len() - 1]);
    let v = verifier(4);
    let keys = Keys::new(4);
    let mut group = c.benchmark_group("crypto_batch");
    for size in SIZES {
        let batch = &signed[..size];
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("single", size), &size, |b, _| {
            b.iter(|| {
                for m in batch {
                    v.verify(black_box(m)).unwrap();
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("batch", size), &size, |b, _| {
            b.iter(|| Batch::of(black_box(batch), &keys).verify().unwrap())
        });
        // What the node runs (ZIP 215, decision D13).
        group.bench_with_input(BenchmarkId::new("verify_many", size), &size, |b, _| {
            b.iter(|| assert!(v.verify_many(black_box(batch)).iter().all(Result::is_ok)))
        });
    }
    group.finish();
}

criterion_group!(benches, single, batches);
criterion_main!(benches);
