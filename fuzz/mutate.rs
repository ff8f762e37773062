//! Byte mutations and a bounded proptest runner for the stable-toolchain fuzz
//! tests (`crates/messages/tests/fuzz_wire.rs`, `crates/config/tests/fuzz_load.rs`,
//! `crates/wal/tests/fuzz_records.rs`), which include this file with
//! `#[path = "../../../fuzz/mutate.rs"] mod mutate;`. See `fuzz/README.md`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseResult, TestRunner};
use std::path::PathBuf;

/// One edit of a byte string. Positions are [`Index`]es, scaled to the
/// current length when applied, so that shrinking keeps them meaningful.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Flips bit `.1 % 8` of the byte at `.0`.
    FlipBit(Index, u8),
    /// Overwrites the byte at `.0`.
    SetByte(Index, u8),
    /// Inserts bytes before `.0`.
    Insert(Index, Vec<u8>),
    /// Removes up to `.1` bytes from `.0`.
    Delete(Index, usize),
    /// Cuts everything from `.0` on.
    Truncate(Index),
    /// Copies up to `.1` bytes starting at `.0` to before `.2`.
    Duplicate(Index, usize, Index),
    /// Inserts up to `.2` bytes of corpus entry `.0` (from `.1`) before `.3`.
    Splice(Index, Index, usize, Index),
    /// Overwrites the bytes at `.0` with "interesting" value `.1`: zero, all
    /// ones, sign bits, a maximal varint, `u32::MAX` little-endian, ...
    Interesting(Index, Index),
}

/// Values that often reach edge cases: lengths and counts at their limits.
const INTERESTING: &[&[u8]] = &[
    &[0x00],
    &[0xff],
    &[0x7f],
    &[0x80],
    &[0xff, 0xff, 0xff, 0xff],
    &[0x00, 0x00, 0x00, 0x80],
    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    &[0x80, 0x80, 0x80, 0x80, 0x10],
    &[
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
    ],
    &[0x00, 0x00, 0x00, 0x04],
    b"\"",
    b"\\",
    b"{",
    b"]",
    b"-1",
    b"1e999",
    b"18446744073709551616",
    b"null",
];

fn at(i: &Index, len: usize) -> usize {
    if len == 0 { 0 } else { i.index(len) }
}

fn at_or_end(i: &Index, len: usize) -> usize {
    i.index(len + 1)
}

/// Applies `m` to `bytes`; `corpus` supplies splices.
pub fn apply(bytes: &mut Vec<u8>, m: &Mutation, corpus: &[Vec<u8>]) {
    let len = bytes.len();
    match m {
        Mutation::FlipBit(i, bit) => {
            if len > 0 {
                bytes[at(i, len)] ^= 1 << (bit % 8);
            }
        }
        Mutation::SetByte(i, b) => {
            if len > 0 {
                bytes[at(i, len)] = *b;
            }
        }
        Mutation::Insert(i, new) => {
            let p = at_or_end(i, len);
            bytes.splice(p..p, new.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let p = at(i, len);
            let end = (p + n).min(len);
            bytes.drain(p..end);
        }
        Mutation::Truncate(i) => bytes.truncate(at_or_end(i, len)),
        Mutation::Duplicate(from, n, to) => {
            let p = at(from, len);
            let chunk: Vec<u8> = bytes[p..(p + n).min(len)].to_vec();
            let q = at_or_end(to, len);
            bytes.splice(q..q, chunk);
        }
        Mutation::Splice(entry, from, n, to) => {
            if corpus.is_empty() {
                return;
            }
            let other = &corpus[entry.index(corpus.len())];
            let p = at(from, other.len());
            let chunk = &other[p..(p + n).min(other.len())];
            let q = at_or_end(to, len);
            bytes.splice(q..q, chunk.iter().copied());
        }
        Mutation::Interesting(i, which) => {
            let v = INTERESTING[which.index(INTERESTING.len())];
            let p = at(i, len);
            for (k, &b) in v.iter().enumerate() {
                match bytes.get_mut(p + k) {
                    Some(slot) => *slot = b,
                    None => bytes.push(b),
                }
            }
        }
    }
}

/// Applies every mutation of `ms` in order to a copy of `seed`.
pub fn mutate(seed: &[u8], ms: &[Mutation], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for m in ms {
        apply(&mut bytes, m, corpus);
    }
    bytes
}

/// Any one mutation, mostly small point edits.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        2 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), 1usize..64, any::<Index>())
            .prop_map(|(a, n, b)| Mutation::Duplicate(a, n, b)),
        1 => (any::<Index>(), any::<Index>(), 1usize..64, any::<Index>())
            .prop_map(|(e, a, n, b)| Mutation::Splice(e, a, n, b)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, w)| Mutation::Interesting(i, w)),
    ]
}

/// One to `max` mutations.
pub fn mutations(max: usize) -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..=max)
}

/// Number of cases: `PROPTEST_CASES` if set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The corpus folder `fuzz/corpus/<target>` of the repository.
pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

/// The files of `fuzz/corpus/<target>`, sorted by name.
pub fn read_corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "empty corpus {}", dir.display());
    out
}

/// Replaces the files of `fuzz/corpus/<target>` with `files`.
pub fn write_corpus(target: &str, files: &[(String, Vec<u8>)]) {
    let dir = corpus_dir(target);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// Runs `test` on `cases` inputs drawn from `strategy` (random seed unless
/// `PROPTEST_RNG_SEED` is set); on a failure or a panic, shrinks and panics
/// with the minimal input. Returns how many inputs ran.
pub fn run<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult) -> u32
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let ran = std::cell::Cell::new(0u32);
    let outcome = runner.run(&strategy, |v| {
        ran.set(ran.get() + 1);
        test(v)
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    ran.get()
}
