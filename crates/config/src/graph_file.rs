//! Learner-graph files written by hand: acceptors (names, optionally with
//! addresses), learners with their quorums, and safe sets.

use crate::cluster::{check_address, check_file_name};
use crate::error::ConfigError;
use crate::family::family_from_json;
use crate::load::read;
use hetpaxos_quorums::{FamilyDesc, GraphDescription, LearnerGraph, MemberDesc};
use std::path::Path;

/// An acceptor in a graph file: a name, or a name and an address.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
enum GraphAcceptor {
    Name(String),
    Full {
        name: String,
        #[serde(default)]
        address: Option<String>,
    },
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphFile {
    acceptors: Vec<GraphAcceptor>,
    learners: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    safe_sets: Vec<GraphEdge>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphEdge {
    between: [String; 2],
    sets: serde_json::Value,
}

/// A learner graph read from a hand-written graph file.
#[derive(Debug, Clone)]
pub struct GraphSpec {
    /// The graph by names.
    pub description: GraphDescription,
    /// Addresses given in the file, by acceptor index.
    pub addresses: Vec<Option<String>>,
}

/// Parses a graph file's JSON; structure only. Quorums and safe sets are
/// families in the language of [`crate::family`].
pub fn parse_graph(v: serde_json::Value) -> Result<GraphSpec, String> {
    let g: GraphFile = serde_json::from_value(v).map_err(|e| format!("not a valid graph: {e}"))?;
    let mut acceptors = Vec::new();
    let mut addresses = Vec::new();
    for a in g.acceptors {
        match a {
            GraphAcceptor::Name(n) => {
                acceptors.push(n);
                addresses.push(None);
            }
            GraphAcceptor::Full { name, address } => {
                if let Some(addr) = &address {
                    check_address(addr).map_err(|m| format!("acceptor {name}: {m}"))?;
                }
                acceptors.push(name);
                addresses.push(address);
            }
        }
    }
    let mut learners = Vec::new();
    for (name, qs) in g.learners {
        let family =
            family_from_json(&qs).map_err(|e| format!("quorums of learner {name}: {e}"))?;
        learners.push((name, family));
    }
    // An edge listed twice (either orientation) is one edge whose safe sets
    // are either family: parallel edges are a disjunction.
    let mut safe_sets: Vec<((String, String), FamilyDesc)> = Vec::new();
    for e in g.safe_sets {
        let [a, b] = e.between;
        let family =
            family_from_json(&e.sets).map_err(|m| format!("safe sets between {a} and {b}: {m}"))?;
        let key = if a <= b { (a, b) } else { (b, a) };
        match safe_sets.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => {
                let first = std::mem::replace(existing, FamilyDesc::Any(Vec::new()));
                *existing =
                    FamilyDesc::Any(vec![MemberDesc::Family(first), MemberDesc::Family(family)]);
            }
            None => safe_sets.push((key, family)),
        }
    }
    Ok(GraphSpec {
        description: GraphDescription {
            acceptors,
            learners,
            safe_sets,
        },
        addresses,
    })
}

/// Loads and structurally checks a graph file (validity is checked separately).
pub fn load_graph(path: &Path) -> Result<GraphSpec, ConfigError> {
    let v = read(path)?;
    let spec = parse_graph(v).map_err(|m| ConfigError::bad(path, m))?;
    check_names(&spec.description).map_err(|m| ConfigError::bad(path, m))?;
    LearnerGraph::from_description(&spec.description)
        .map_err(|e| ConfigError::bad(path, e.to_string()))?;
    Ok(spec)
}

/// Acceptor names become file names: see [`check_file_name`].
pub fn check_names(desc: &GraphDescription) -> Result<(), String> {
    for n in &desc.acceptors {
        check_file_name(n).map_err(|m| format!("acceptor name {m}"))?;
    }
    Ok(())
}
