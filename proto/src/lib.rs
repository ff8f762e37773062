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

/// Cluster configuration (`package hetpaxos.config.v1`), with serde in the
/// protobuf JSON mapping.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod config {
    include!(concat!(env!("OUT_DIR"), "/hetpaxos.config.v1.rs"));
}

/// The configuration schema source.
pub const CONFIG_PROTO_SOURCE: &str = include_str!("../config.proto");

/// The schema source, for tools that need the descriptor (e.g. the node crate).
pub const PROTO_SOURCE: &str = include_str!("../hetpaxos.proto");
