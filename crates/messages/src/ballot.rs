//! Ballots: `(timestamp, value hash)`, ordered lexicographically.

use crate::hash::ValueHash;
use std::fmt;

/// A ballot (digest §3.2 "b(x)", §6). Totally ordered by timestamp, then value
/// hash; a ballot names exactly one value, so ballots are unique to values.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ballot {
    /// Nanoseconds since the Unix epoch when the proposer made it (an input to
    /// the proposer, never read from a clock inside the protocol crates).
    pub timestamp: u64,
    /// SHA-256 of the value this ballot proposes.
    pub value: ValueHash,
}

impl Ballot {
    /// A ballot for `value` at `timestamp`.
    pub fn new(timestamp: u64, value: ValueHash) -> Self {
        Self { timestamp, value }
    }
}

impl fmt::Debug for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.timestamp, self.value)
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
