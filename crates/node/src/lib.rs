//! Networked [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253) nodes: a
//! tokio + tonic runtime that drives the pure acceptor, learner and proposer
//! state machines. It adds no protocol logic.
//!
//! # Network
//! Acceptors serve `hetpaxos.v1.Acceptor/Exchange`, a bidirectional stream of
//! consensus messages. Every node (acceptors, learners, proposers) connects to
//! every acceptor (acceptors skip themselves) and reconnects with capped,
//! jittered exponential backoff, so start order does not matter.
//!
//! One task owns each state machine and receives everything through one
//! bounded inbox (readers wait when it is full: backpressure onto TCP). On
//! every new stream, in either direction, the node first replays what it has
//! (an acceptor: every message in its store, in causal order; a proposer: its
//! latest 1a) and then forwards live messages, so late joiners catch up.
//!
//! **Drop policy.** Each stream has a bounded outbound queue
//! ([`NetConfig::peer_queue`]). The owning task never waits on it: when a
//! peer's queue is full, that connection is dropped; the peer (or this node)
//! reconnects and receives the full replay, so nothing is lost for good.
//!
//! **Persistence.** An acceptor's `Persist` effects are carried out before the
//! matching `Broadcast`, in order; for now persistence is in memory only (a
//! debug log line), so a restarted acceptor starts empty and must be treated
//! as a new member. Do not restart an acceptor of a live cluster.
//!
//! Logs use `tracing`; every message sent and received is logged at debug
//! level (`RUST_LOG=hetpaxos_node=debug`).
#![forbid(unsafe_code)]

pub mod cli;
pub mod local;
mod net;
mod roles;

pub use net::NetConfig;
pub use roles::{NodeHandle, bind, now_nanos, spawn_acceptor, spawn_learner, spawn_proposer};

/// The gRPC service generated from `proto/hetpaxos.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod rpc {
    tonic::include_proto!("hetpaxos.v1");
}
