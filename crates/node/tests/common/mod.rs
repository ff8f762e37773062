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
