//! Cluster configuration of hetpaxos: the JSON files of `proto/config.proto`
//! (protobuf JSON mapping), learner-graph files written by hand, and loading
//! with validation into the types the node runs on ([`Cluster`],
//! [`AcceptorSetup`], [`ClientSetup`]). Generation lives in
//! `hetpaxos-config-gen`.
//!
//! Loading checks the learner graph with `hetpaxos-quorums` and refuses an
//! invalid one, naming the violated condition. Validity is decided within a
//! work budget; a graph it leaves undecided is refused as well
//! ([`ErrorKind::UncheckedGraph`]) unless loaded with
//! [`GraphCheck::AcceptUnchecked`] (the `*_with` loaders;
//! `--accept-unchecked-graph` in the binaries). Loading also refuses two members
//! (acceptors, learner clients, proposers) with one public key — one private
//! key would sign as both — and two acceptors with one address. The
//! [`hetpaxos_messages::ClusterContext`] every signature is bound to is the
//! SHA-256 of the protobuf encoding of the public [`pb::ClusterConfig`]
//! without its client lists ([`context_of`]): acceptors of different clusters
//! never accept each other's signatures, and adding a client changes none.
//! Error messages never contain key material: a run of hex digits long enough
//! to be a key is replaced by `[redacted]`, wherever it was pasted.
#![forbid(unsafe_code)]

mod cluster;
mod error;
pub mod family;
mod graph_file;
mod load;
mod setup;

pub use cluster::{
    Cluster, GraphCheck, Member, Role, check_address, check_file_name, context_of, description_of,
    parse_hex32, summarize,
};
pub use error::{ConfigError, ErrorKind, redact};
pub use graph_file::{GraphSpec, check_names, load_graph, parse_graph};
pub use load::{
    check_file, load_acceptor, load_acceptor_with, load_client, load_client_with, load_cluster,
    load_cluster_with, read,
};
pub use setup::{AcceptorSetup, ClientSetup};

/// The configuration messages (`package hetpaxos.config.v1`).
pub use hetpaxos_proto::config as pb;
