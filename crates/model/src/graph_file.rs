//! The learner-graph JSON file (shared shape with the node crate's loader):
//!
//! ```json
//! {"acceptors": ["A", "B", {"name": "C", "address": "10.0.0.3:7000"}],
//!  "learners": {"red": [["A", "B"], ["B", "C"]]},
//!  "safe_sets": [{"between": ["red", "red"], "sets": [["A"], ["B"]]}]}
//! ```
//!
//! Learners keep their file order. Addresses are ignored by the model.

use hetpaxos_quorums::GraphDescription;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(untagged)]
enum AcceptorEntry {
    Name(String),
    Object {
        name: String,
        #[serde(default)]
        #[allow(dead_code)] // read by the node crate, not by the model
        address: Option<String>,
    },
}

#[derive(Deserialize)]
struct SafeEdge {
    between: (String, String),
    sets: Vec<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphFile {
    acceptors: Vec<AcceptorEntry>,
    learners: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    safe_sets: Vec<SafeEdge>,
}

/// Parses a graph JSON document into a [`GraphDescription`].
pub fn parse_graph(json: &str) -> anyhow::Result<GraphDescription> {
    let file: GraphFile = serde_json::from_str(json)?;
    let acceptors = file
        .acceptors
        .into_iter()
        .map(|a| match a {
            AcceptorEntry::Name(n) | AcceptorEntry::Object { name: n, .. } => n,
        })
        .collect();
    let mut learners = Vec::new();
    for (name, quorums) in file.learners {
        let quorums: Vec<Vec<String>> = serde_json::from_value(quorums)
            .map_err(|e| anyhow::anyhow!("quorums of learner {name}: {e}"))?;
        learners.push((name, quorums));
    }
    // Merge repeated edges (either orientation) into one entry.
    let mut merged: BTreeMap<(String, String), Vec<Vec<String>>> = BTreeMap::new();
    let mut order = Vec::new();
    for e in file.safe_sets {
        let (a, b) = e.between;
        let key = if a <= b { (a, b) } else { (b, a) };
        if !merged.contains_key(&key) {
            order.push(key.clone());
        }
        merged.entry(key).or_default().extend(e.sets);
    }
    let safe_sets = order
        .into_iter()
        .map(|k| {
            let sets = merged.remove(&k).unwrap_or_default();
            (k, sets)
        })
        .collect();
    Ok(GraphDescription {
        acceptors,
        learners,
        safe_sets,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_names_objects_and_edges() {
        let d = parse_graph(
            r#"{"acceptors": ["A", {"name": "B", "address": "x:1"}],
                "learners": {"z": [["A"]], "a": [["B"]]},
                "safe_sets": [{"between": ["z", "z"], "sets": [["A"]]},
                              {"between": ["a", "z"], "sets": [["A", "B"]]}]}"#,
        )
        .unwrap();
        assert_eq!(d.acceptors, vec!["A", "B"]);
        assert_eq!(d.learners[0].0, "z");
        assert_eq!(d.safe_sets.len(), 2);
        assert!(parse_graph(r#"{"acceptors": 3}"#).is_err());
    }
}
