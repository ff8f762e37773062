//! The project's criterion benchmarks, one file per concern under
//! `benches/benches/`; figures and the commands that reproduce them are in
//! `docs/benchmarks.md`.
//!
//! - `quorums`: `is_quorum`, `connected` (the condensed learner graph
//!   evaluated on a set), validity checking, and message-store insertion for
//!   clusters of 4 to 1,024 acceptors written as thresholds and stake
//!   weights: `cargo bench -p hetpaxos-benches --bench quorums`.
#![forbid(unsafe_code)]
