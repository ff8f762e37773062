//! Wire schema of [hetpaxos](https://arxiv.org/abs/2011.08253): the prost types
//! generated from `proto/hetpaxos.proto`.
//!
//! These are plain data; all validation (size limits, canonical reference order,
//! signatures, well-formedness) lives in `hetpaxos-messages`.
#![forbid(unsafe_code)]

/// Version 1 of the wire schema (`package hetpaxos.v1`).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/hetpaxos.v1.rs"));
}

/// The schema source, for tools that need the descriptor (e.g. the node crate).
pub const PROTO_SOURCE: &str = include_str!("../hetpaxos.proto");
