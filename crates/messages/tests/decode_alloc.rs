//! Decoding never allocates in proportion to a length the input claims, only
//! to the bytes it has: tiny inputs whose length prefixes claim gigabytes (the
//! wire schema has no count fields; every size on the wire is a length prefix
//! of a `bytes` field, a nested message or an unknown field) are refused
//! quickly, with allocations bounded by a small multiple of the input.
//!
//! Allocations are counted by an instrumented global allocator, so this file
//! holds a single test (tests of one binary run on parallel threads, and the
//! counter is global).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use hetpaxos_messages::wire::{self, DecodeError, Limits};
use hetpaxos_proto::v1 as pb;
use proptest::prelude::*;
use prost::Message as _;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Most bytes one decode may allocate for an input of `len` bytes.
fn budget(len: usize) -> usize {
    16 * 1024 + 64 * len
}

/// Most time one decode may take (generous: a debug build on a busy machine).
const SLOW: Duration = Duration::from_millis(200);

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// A length-delimited field `field` whose prefix claims `claim` bytes but
/// which carries only `body`.
fn claim(field: u32, claim: u64, body: &[u8]) -> Vec<u8> {
    let mut out = varint(u64::from(field << 3 | 2));
    out.extend(varint(claim));
    out.extend_from_slice(body);
    out
}

/// A length-delimited field with an honest length.
fn field(field: u32, body: &[u8]) -> Vec<u8> {
    claim(field, body.len() as u64, body)
}

/// Tiny inputs whose length prefixes claim far more than they carry, at
/// every level of the schema.
fn liars() -> Vec<(String, Vec<u8>)> {
    let claims = [1u64 << 31, u64::from(u32::MAX), 1 << 40, 1 << 62, u64::MAX];
    let mut out = Vec::new();
    for &c in &claims {
        let tail = [0xAB; 8];
        // ConsensusMessage.proposal / .signed / an unknown field.
        for f in [1, 2, 15, 1000] {
            out.push((format!("top field {f} claims {c}"), claim(f, c, &tail)));
        }
        // Proposal.ballot / .value / .signature.
        for f in [1, 2, 4] {
            let inner = claim(f, c, &tail);
            out.push((format!("proposal field {f} claims {c}"), field(1, &inner)));
        }
        // Ballot.value_hash.
        let ballot = claim(2, c, &tail);
        out.push((
            format!("ballot.value_hash claims {c}"),
            field(1, &field(1, &ballot)),
        ));
        // SignedReferences.refs (after two honest refs) / .signature.
        let mut refs = field(2, &[1; 32]);
        refs.extend(field(2, &[2; 32]));
        refs.extend(claim(2, c, &tail));
        out.push((format!("third ref claims {c}"), field(2, &refs)));
        out.push((
            format!("signature claims {c}"),
            field(2, &claim(3, c, &tail)),
        ));
        // A nested message claiming more than its parent holds.
        let nested = claim(2, c, &tail);
        out.push((
            format!("nested claim {c} inside an honest parent"),
            field(2, &nested),
        ));
    }
    // Many empty refs: allocation follows the actual count.
    let many: Vec<u8> = (0..2000).flat_map(|_| field(2, &[])).collect();
    out.push(("2000 empty refs".to_string(), field(2, &many)));
    // Deep nesting through unknown groups.
    let mut deep = Vec::new();
    for _ in 0..200 {
        deep.extend(varint(u64::from(7u32 << 3 | 3)));
    }
    out.push(("200 nested start-groups".to_string(), deep));
    out
}

/// Decodes `bytes` the node's way (prost, then `from_proto`) and with
/// `wire::decode`; returns the allocated bytes and the time taken.
fn measure(bytes: &[u8]) -> (usize, Duration, Result<(), DecodeError>) {
    let limits = Limits::default();
    let region = Region::new(GLOBAL);
    let start = Instant::now();
    let via_node = match pb::ConsensusMessage::decode(bytes) {
        Ok(p) => wire::from_proto(p, &limits).map(|_| ()),
        Err(e) => Err(DecodeError::Protobuf(e.to_string())),
    };
    let direct = wire::decode(bytes, &limits).map(|_| ());
    let took = start.elapsed();
    let change = region.change();
    assert_eq!(via_node, direct);
    let allocated = change.bytes_allocated + change.bytes_reallocated.max(0) as usize;
    (allocated, took, direct)
}

#[test]
fn lengths_claimed_by_tiny_inputs_are_never_allocated() {
    let liars = liars();
    assert!(liars.len() > 40);
    for (name, bytes) in &liars {
        let (allocated, took, result) = measure(bytes);
        assert!(
            allocated <= budget(bytes.len()),
            "{name} ({} bytes): allocated {allocated} bytes",
            bytes.len()
        );
        assert!(took < SLOW, "{name}: took {took:?}");
        assert!(result.is_err(), "{name}: decoded");
    }

    // And mutated liars and random tiny inputs with large varints.
    let seeds: Vec<Vec<u8>> = liars.into_iter().map(|(_, b)| b).collect();
    let ran = mutate::run(
        mutate::cases(400),
        (0..seeds.len(), mutate::mutations(4)),
        |(k, edits)| {
            let bytes = mutate::mutate(&seeds[k], &edits, &seeds);
            let (allocated, took, _) = measure(&bytes);
            prop_assert!(
                allocated <= budget(bytes.len()),
                "{} bytes: allocated {}",
                bytes.len(),
                allocated
            );
            prop_assert!(took < SLOW, "took {:?}", took);
            Ok(())
        },
    );
    assert!(ran > 0);

    // The instrumentation works: a decode that keeps 2000 refs is seen.
    let big: Vec<u8> = (0..2000u32)
        .flat_map(|i| {
            let mut id = [0u8; 32];
            id[..4].copy_from_slice(&i.to_be_bytes());
            field(2, &id)
        })
        .collect();
    let mut msg = field(2, &big);
    msg.extend(field(2, &field(3, &[0; 64])));
    let (allocated, _, _) = measure(&msg);
    assert!(
        allocated > 2000 * 32,
        "allocations not counted: {allocated}"
    );
}
