//! Helpers shared by the node's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use hetpaxos_config::parse_graph;
use hetpaxos_config_gen::{generate, write_configs};
use hetpaxos_node::NetConfig;
use hetpaxos_quorums::GraphDescription;
use std::path::Path;
use std::time::Duration;

/// Fast reconnects, for tests.
pub fn net() -> NetConfig {
    NetConfig {
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..NetConfig::default()
    }
}

/// Digest §8 Config 2: red trusts any three of four, blue any two of A, B, C.
pub fn red_blue() -> GraphDescription {
    parse_graph(serde_json::json!({
      "acceptors": ["A", "B", "C", "D"],
      "learners": {
        "red":  [["A","B","C"], ["A","B","D"], ["A","C","D"], ["B","C","D"]],
        "blue": [["A","B"], ["A","C"], ["B","C"]]
      },
      "safe_sets": [
        {"between": ["red", "red"],   "sets": [["A","B","C"], ["A","B","D"], ["A","C","D"], ["B","C","D"]]},
        {"between": ["blue", "blue"], "sets": [["A","B","C"]]},
        {"between": ["red", "blue"],  "sets": [["A","B","C"]]}
      ]
    }))
    .unwrap()
    .description
}

/// Writes the configs of `desc` into `dir`, on free loopback ports.
pub fn write_cluster(dir: &Path, desc: &GraphDescription) {
    let held: Vec<_> = desc
        .acceptors
        .iter()
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let addrs: Vec<String> = held
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect();
    drop(held);
    write_configs(dir, &generate(desc, &addrs).unwrap(), None, false).unwrap();
}

/// A raw gRPC client of acceptor `acceptor` of `cluster`, over mutual TLS
/// with `key`'s certificate (whoever that key is), pinning the acceptor's
/// configured key.
pub async fn tls_client(
    cluster: &hetpaxos_config::Cluster,
    key: &ed25519_dalek::SigningKey,
    acceptor: usize,
) -> Result<
    hetpaxos_node::rpc::acceptor_client::AcceptorClient<tonic::transport::Channel>,
    tonic::transport::Error,
> {
    use hetpaxos_node::tls::{PinnedServer, TlsIdentity};
    let identity = TlsIdentity::new(key).unwrap();
    let address = &cluster.config.acceptors[acceptor].address;
    let endpoint = tonic::transport::Endpoint::from_shared(format!("https://{address}"))
        .unwrap()
        .tls_config_with_verifier(
            tonic::transport::ClientTlsConfig::new()
                .identity(identity.tonic())
                .assume_http2(true),
            std::sync::Arc::new(PinnedServer::new(cluster.keys[acceptor].to_bytes())),
        )
        .unwrap();
    Ok(hetpaxos_node::rpc::acceptor_client::AcceptorClient::new(
        endpoint.connect().await?,
    ))
}
