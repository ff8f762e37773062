//! The learner-graph JSON file, read by the configuration crate's parser
//! (`hetpaxos_config::parse_graph`; the language of families is documented
//! in `hetpaxos_config::family`):
//!
//! ```json
//! {"acceptors": ["A", "B", {"name": "C", "address": "10.0.0.3:7000"}],
//!  "learners": {"red": [["A", "B"], ["B", "C"]],
//!               "blue": {"threshold": 2, "of": ["A", "B", "C"]}},
//!  "safe_sets": [{"between": ["red", "red"], "sets": [["A"], ["B"]]}]}
//! ```
//!
//! Addresses are ignored by the model.

use hetpaxos_quorums::GraphDescription;

/// Parses a graph JSON document into a [`GraphDescription`].
pub fn parse_graph(json: &str) -> anyhow::Result<GraphDescription> {
    let v: serde_json::Value = serde_json::from_str(json)?;
    let spec = hetpaxos_config::parse_graph(v).map_err(anyhow::Error::msg)?;
    Ok(spec.description)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hetpaxos_quorums::FamilyDesc;

    #[test]
    fn parses_names_objects_and_edges() {
        let d = parse_graph(
            r#"{"acceptors": ["A", {"name": "B", "address": "x:1"}],
                "learners": {"z": [["A"]], "a": {"threshold": 1, "of": ["A", "B"]}},
                "safe_sets": [{"between": ["z", "z"], "sets": [["A"]]},
                              {"between": ["a", "z"], "sets": [["A", "B"]]},
                              {"between": ["z", "a"], "sets": [["B"]]}]}"#,
        )
        .unwrap();
        assert_eq!(d.acceptors, vec!["A", "B"]);
        assert_eq!(d.learners.len(), 2);
        // A repeated edge (either orientation) is one edge: either family.
        assert_eq!(d.safe_sets.len(), 2);
        assert!(matches!(d.safe_sets[1].1, FamilyDesc::Any(ref m) if m.len() == 2));
        assert!(parse_graph(r#"{"acceptors": 3}"#).is_err());
    }
}
