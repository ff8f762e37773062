//! The memory the message store holds per accepted message, at the sizes of
//! the `ingest` bench: honest histories of 100 to 100,000 messages of 4
//! acceptors, and a store holding six ballots of 4 to 256 acceptors with
//! 1, 4 and 16 learners. Not a criterion benchmark: it prints a table.
//!
//! `cargo bench -p hetpaxos-benches --bench store_bytes` (about a minute;
//! run without `--bench`, as by `cargo test --benches`, it prints only the
//! small sizes, as a smoke test).
//!
//! Each message is decoded from its protobuf bytes (as from the network)
//! and inserted into an empty store; the heap bytes allocated and not freed
//! meanwhile, counted by an instrumented global allocator, are what the
//! store holds: messages, references, derived facts, the index, and the
//! spare capacity of its vectors and maps (a store that just doubled holds
//! up to twice what it uses). Divided by the number of messages, next to
//! the encoded size of a message for comparison.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use hetpaxos_benches::{decode, encode_all, homogeneous, honest_history};
use hetpaxos_messages::MessageStore;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap bytes a store of `graph` holds after accepting `bytes`, decoded.
fn held(n: usize, learners: usize, bytes: &[Vec<u8>]) -> i128 {
    let graph = homogeneous(n, learners);
    let region = Region::new(GLOBAL);
    let mut store = MessageStore::new(graph);
    for b in bytes {
        store.insert(decode(b)).unwrap();
    }
    let s = region.change();
    let held =
        s.bytes_allocated as i128 - s.bytes_deallocated as i128 + s.bytes_reallocated as i128;
    drop(store);
    held
}

fn row(what: &str, n: usize, learners: usize, bytes: &[Vec<u8>]) {
    let h = held(n, learners, bytes);
    let count = bytes.len() as i128;
    let encoded: usize = bytes.iter().map(Vec::len).sum();
    println!(
        "{what:<28} {:>8} {:>14} {:>10} {:>10}",
        count,
        h,
        h / count,
        encoded / bytes.len()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let full = std::env::args().any(|a| a == "--bench");
    println!(
        "{:<28} {:>8} {:>14} {:>10} {:>10}",
        "store", "messages", "held bytes", "per msg", "wire/msg"
    );
    let sizes: &[usize] = if full {
        &[100, 1_000, 10_000, 100_000]
    } else {
        &[100, 1_000]
    };
    let max = sizes[sizes.len() - 1];
    let history = encode_all(&honest_history(4, max.div_ceil(9)));
    for &h in sizes {
        row(&format!("n=4 learners=1 history={h}"), 4, 1, &history[..h]);
    }
    let acceptors: &[usize] = if full { &[4, 16, 64, 256] } else { &[4, 16] };
    for &n in acceptors {
        let six = encode_all(&honest_history(n, 6));
        for learners in [1usize, 4, 16] {
            row(
                &format!("n={n} learners={learners} 6 ballots"),
                n,
                learners,
                &six,
            );
        }
    }
}
