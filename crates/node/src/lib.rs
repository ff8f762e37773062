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
//! bounded inbox (readers wait when it is full: backpressure onto TCP).
//!
//! **Dissemination.** An acceptor sends its own messages on every stream
//! and relays nothing else; a proposer sends its 1as (and its latest 1a
//! first on every new stream). Everything else travels by difference
//! (`src/history.rs` has the argument): each end of a stream
//! summarises what it holds (`Have`: per signer or proposer, a count and a
//! digest) when the stream opens and whenever its holdings changed, at
//! most every [`NetConfig::summary_interval`], and the other end sends what
//! it lacks, in causal order, from its stream task rather than its role
//! task. So what one safe acceptor accepted still reaches every safe acceptor
//! and learner (digest §2), a late joiner or a reconnecting peer gets only
//! what it missed, and an honest ballot costs O(n²) deliveries instead of
//! O(n³). References still missing are fetched by id ([`fetch`]).
//!
//! **Drop policy.** Each stream has a bounded outbound queue
//! ([`NetConfig::peer_queue`]). The owning task never waits on it: when a
//! peer's queue is full, that connection is dropped; the peer (or this node)
//! reconnects and catches up by difference, so nothing is lost for good.
//!
//! **Persistence.** An acceptor keeps its log in a data directory
//! ([`acceptor_log`], `docs/reliability.md`): every accepted message and every
//! own message is a record, and own messages leave the process only after
//! the log was synced up to them (the pure acceptor holds them in its outbox
//! until then). A restarted acceptor recovers from its log and continues its
//! chain; a second process on the same directory, another key or another
//! cluster is refused, and so is a damaged log.
//!
//! Logs use `tracing`; every message sent and received is logged at debug
//! level (`RUST_LOG=hetpaxos_node=debug`).
#![forbid(unsafe_code)]

pub mod acceptor_log;
pub mod bench;
pub mod chaos;
pub mod cli;
pub mod fetch;
mod history;
pub mod local;
pub mod metrics;
mod net;
pub mod pace;
mod roles;
pub mod tls;
mod transport;

pub use acceptor_log::Storage;
pub use net::NetConfig;
pub use roles::{
    AcceptorHandle, NodeHandle, OpenedAcceptor, bind, now_nanos, open_acceptor, recover_acceptor,
    serve_acceptor, serve_acceptor_metered, spawn_learner, spawn_learner_metered, spawn_proposer,
    spawn_proposer_metered, start_acceptor,
};

/// The gRPC service generated from `proto/hetpaxos.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod rpc {
    tonic::include_proto!("hetpaxos.v1");
}
