//! Decoding alone: protobuf bytes to a `Message` (`wire::decode` with the
//! default limits: length checks, protobuf parsing, hash and signature
//! lengths, canonical order of references, and the message id, a SHA-256
//! over its content), for small and large messages.
//!
//! `cargo bench -p hetpaxos-benches --bench wire`
//!
//! Ids `wire_decode/NAME`: `1a` (a signed 1a), `1b_n4` and `2a_n4` (a
//! steady-state ballot of 4 acceptors: 5 and 3 references), `1b_n64` and
//! `2a_n64` (65 and 43 references), and `refs129_n64`, a message with
//! 2n + 1 = 129 references at n = 64 (the most an honest acceptor's
//! `recent` holds). Throughput is in bytes of the encoding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hetpaxos_benches::{acceptor, context, decode, honest_history};
use hetpaxos_messages::{Ed25519Signer, Hash32, Message, MessageId, Unsigned, wire};
use hetpaxos_sim::test_key;
use std::hint::black_box;

/// The 1a, a 1b and a 2a of the last of three ballots of `n` acceptors.
fn ballot(n: usize) -> (Message, Message, Message) {
    let h = honest_history(n, 3);
    let last = &h[h.len() - (1 + 2 * n)..];
    (
        last[0].clone(),
        last[1].clone(),
        last[last.len() - 1].clone(),
    )
}

fn decode_alone(c: &mut Criterion) {
    let (one_a, b4, a4) = ballot(4);
    let (_, b64, a64) = ballot(64);
    let refs: Vec<MessageId> = (0u32..129)
        .map(|i| MessageId(Hash32::of(&[&i.to_be_bytes()])))
        .collect();
    let wide = Unsigned::new(acceptor(0), refs).sign(&Ed25519Signer::new(
        acceptor(0),
        test_key(0),
        context(),
    ));
    assert_eq!(b4.refs().len(), 5);
    assert_eq!(a4.refs().len(), 3);
    let mut group = c.benchmark_group("wire_decode");
    for (name, m) in [
        ("1a", &one_a),
        ("1b_n4", &b4),
        ("2a_n4", &a4),
        ("1b_n64", &b64),
        ("2a_n64", &a64),
        ("refs129_n64", &wide),
    ] {
        let bytes = wire::encode(m);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |b, bytes| {
            b.iter(|| black_box(decode(black_box(bytes))))
        });
    }
    group.finish();
}

criterion_group!(benches, decode_alone);
criterion_main!(benches);
