//! Reading configuration files: a cluster, an acceptor's config, a client's
//! config, and `check`.

use crate::cluster::{Cluster, GraphCheck, Role, cluster_at_with, description_of, parse_hex32};
use crate::error::{ConfigError, ErrorKind};
use crate::graph_file::load_graph;
use crate::pb;
use crate::setup::{AcceptorSetup, ClientSetup};
use ed25519_dalek::SigningKey;
use hetpaxos_quorums::{Expr, LearnerGraph, LearnerId, Violation, listing};
use std::path::Path;

/// Reads `path` as JSON.
pub fn read(path: &Path) -> Result<serde_json::Value, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::bad(path, format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| ConfigError::bad(path, format!("not valid JSON: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
    v: serde_json::Value,
) -> Result<T, ConfigError> {
    serde_json::from_value(v)
        .map_err(|e| ConfigError::bad(path, format!("not a valid {what}: {e}")))
}

/// What a configuration file is, from its top-level fields.
enum Kind {
    Cluster,
    Acceptor,
    Client,
}

fn kind_of(v: &serde_json::Value) -> Kind {
    match (v.get("cluster").is_some(), v.get("role").is_some()) {
        (true, true) => Kind::Client,
        (true, false) => Kind::Acceptor,
        _ => Kind::Cluster,
    }
}

/// Loads a cluster from `cluster.json`, or from an acceptor's or a client's
/// config (whose private key is then ignored). A graph whose validity is
/// undecided within the work budget is refused ([`load_cluster_with`]).
pub fn load_cluster(path: &Path) -> Result<Cluster, ConfigError> {
    load_cluster_with(path, GraphCheck::Strict)
}

/// [`load_cluster`], with `check` deciding whether a graph whose validity
/// is undecided within the work budget loads ([`GraphCheck`]).
pub fn load_cluster_with(path: &Path, check: GraphCheck) -> Result<Cluster, ConfigError> {
    let v = read(path)?;
    let config = match kind_of(&v) {
        Kind::Acceptor => {
            let a: pb::AcceptorConfig = parse(path, "acceptor config", v)?;
            a.cluster.unwrap_or_default()
        }
        Kind::Client => {
            let c: pb::ClientConfig = parse(path, "client config", v)?;
            c.cluster.unwrap_or_default()
        }
        Kind::Cluster => parse(path, "cluster config", v)?,
    };
    cluster_at_with(path, config, check)
}

fn private_key(path: &Path, hex: &str) -> Result<SigningKey, ConfigError> {
    let seed = parse_hex32(hex).map_err(|m| ConfigError::bad(path, format!("private key {m}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Loads an acceptor config: its cluster, name and private key. A graph
/// whose validity is undecided within the work budget is refused
/// ([`load_acceptor_with`]).
pub fn load_acceptor(path: &Path) -> Result<AcceptorSetup, ConfigError> {
    load_acceptor_with(path, GraphCheck::Strict)
}

/// [`load_acceptor`], with `check` deciding whether a graph whose validity
/// is undecided within the work budget loads ([`GraphCheck`]).
pub fn load_acceptor_with(path: &Path, check: GraphCheck) -> Result<AcceptorSetup, ConfigError> {
    let v = read(path)?;
    match kind_of(&v) {
        Kind::Acceptor => {}
        Kind::Client => {
            return Err(ConfigError::bad(
                path,
                "a client's config, not an acceptor's (use DIR/<acceptor>.json)",
            ));
        }
        Kind::Cluster => {
            return Err(ConfigError::bad(
                path,
                "not an acceptor config (no \"cluster\" field; is this cluster.json? use \
                 DIR/<acceptor>.json)",
            ));
        }
    }
    let a: pb::AcceptorConfig = parse(path, "acceptor config", v)?;
    let cluster = cluster_at_with(path, a.cluster.unwrap_or_default(), check)?;
    let key = private_key(path, &a.private_key)?;
    AcceptorSetup::new(cluster, &a.name, key).map_err(|m| ConfigError::bad(path, m))
}

/// Loads a client config of `role`: its cluster, name and private key.
/// `cluster.json` (no key) or another role's config is refused with a line
/// naming the file to use. A graph whose validity is undecided within the
/// work budget is refused ([`load_client_with`]).
pub fn load_client(path: &Path, role: Role) -> Result<ClientSetup, ConfigError> {
    load_client_with(path, role, GraphCheck::Strict)
}

/// [`load_client`], with `check` deciding whether a graph whose validity is
/// undecided within the work budget loads ([`GraphCheck`]).
pub fn load_client_with(
    path: &Path,
    role: Role,
    check: GraphCheck,
) -> Result<ClientSetup, ConfigError> {
    let v = read(path)?;
    let wanted = format!("DIR/{}.json", role.name());
    match kind_of(&v) {
        Kind::Client => {}
        Kind::Acceptor => {
            return Err(ConfigError::bad(
                path,
                format!(
                    "an acceptor's config, not a {}'s (use {wanted})",
                    role.name()
                ),
            ));
        }
        Kind::Cluster => {
            return Err(ConfigError::bad(
                path,
                format!(
                    "holds no key: a {} needs its client config (use {wanted}, written by \
                     hetpaxos-config-gen beside cluster.json)",
                    role.name()
                ),
            ));
        }
    }
    let c: pb::ClientConfig = parse(path, "client config", v)?;
    let Some(found) = Role::parse(&c.role) else {
        return Err(ConfigError::bad(
            path,
            format!("role {:?} is neither \"learner\" nor \"proposer\"", c.role),
        ));
    };
    if found != role {
        return Err(ConfigError::bad(
            path,
            format!(
                "a {}'s config, not a {}'s (use {wanted})",
                found.name(),
                role.name()
            ),
        ));
    }
    let cluster = cluster_at_with(path, c.cluster.unwrap_or_default(), check)?;
    let key = private_key(path, &c.private_key)?;
    ClientSetup::new(cluster, role, &c.name, key).map_err(|m| ConfigError::bad(path, m))
}

/// `check FILE`: validates a graph file (enumerated or expression form), a
/// cluster config, an acceptor's or a client's config.
///
/// When valid, returns a report: a summary line, then one line per learner
/// with its fault tolerance in words — its quorums, the acceptors whose
/// safety keeps it safe (its self-edge in the condensed graph, i.e. any of
/// its given edges), and the learners it agrees with through its given
/// edges and under which condition (the words are explained in
/// `docs/configuration.md`).
///
/// Errors: [`ErrorKind::InvalidGraph`] with the violation (learners, the two
/// quorums and the safe set) when the graph is invalid;
/// [`ErrorKind::UncheckedGraph`] when no violation was found but its
/// validity is undecided within the work budget (saying that the binaries
/// refuse it unless given `--accept-unchecked-graph`);
/// [`ErrorKind::BadInput`] otherwise.
pub fn check_file(path: &Path) -> Result<String, ConfigError> {
    let v = read(path)?;
    let is_graph = v.get("learners").is_some_and(serde_json::Value::is_object);
    if is_graph {
        let spec = load_graph(path)?;
        let graph = LearnerGraph::from_description(&spec.description)
            .map_err(|e| ConfigError::bad(path, e.to_string()))?;
        judge(path, &graph)?;
        return Ok(report(format!("graph, {}", summary(&graph)), &graph));
    }
    // The loaders check the graph; when they find it invalid, it is checked
    // again here for the full explanation (a valid graph is checked once).
    let explain = |e: ConfigError| explain_invalid(path, &v, e);
    let (head, cluster) = match kind_of(&v) {
        Kind::Acceptor => {
            let a = load_acceptor(path).map_err(explain)?;
            (format!("acceptor config of {}", a.name), a.cluster)
        }
        Kind::Client => {
            let role = v
                .get("role")
                .and_then(serde_json::Value::as_str)
                .and_then(Role::parse)
                .unwrap_or(Role::Learner);
            let c = load_client(path, role).map_err(explain)?;
            (format!("{} config of {}", role.name(), c.name), c.cluster)
        }
        Kind::Cluster => (
            "cluster config".to_string(),
            load_cluster(path).map_err(explain)?,
        ),
    };
    let clients = format!(
        "; clients: {} learner(s), {} proposer(s)",
        cluster.learner_clients.len(),
        cluster.proposers.len()
    );
    Ok(report(
        format!("{head}, {}{clients}", summary(&cluster.graph)),
        &cluster.graph,
    ))
}

/// `Ok` when `graph` is valid; otherwise the error `check` reports.
fn judge(path: &Path, graph: &LearnerGraph) -> Result<(), ConfigError> {
    let violations = graph.violations();
    // A definite violation first; "undecided" only when there is none.
    let first = violations
        .iter()
        .find(|v| !v.is_undecided())
        .or_else(|| violations.first());
    match first {
        None => Ok(()),
        Some(v) => Err(ConfigError::new(
            path,
            describe_violation(v, violations.len()),
            if v.is_undecided() {
                ErrorKind::UncheckedGraph
            } else {
                ErrorKind::InvalidGraph
            },
        )),
    }
}

fn describe_violation(v: &Violation, count: usize) -> String {
    if v.is_undecided() {
        return format!(
            "learner graph not checked: {v}; the hetpaxos binaries refuse a graph whose validity \
             is undecided unless given --accept-unchecked-graph"
        );
    }
    let more = match count {
        0 | 1 => String::new(),
        n => format!(" ({n} violations in all; this is the first)"),
    };
    format!("invalid learner graph: {v}{more}")
}

/// A loader's error; when the graph was found invalid, the full explanation
/// from checking it again.
fn explain_invalid(path: &Path, v: &serde_json::Value, e: ConfigError) -> ConfigError {
    if e.kind == ErrorKind::BadInput {
        return e;
    }
    let cluster = match kind_of(v) {
        Kind::Cluster => serde_json::from_value::<pb::ClusterConfig>(v.clone()).ok(),
        Kind::Acceptor => serde_json::from_value::<pb::AcceptorConfig>(v.clone())
            .ok()
            .and_then(|a| a.cluster),
        Kind::Client => serde_json::from_value::<pb::ClientConfig>(v.clone())
            .ok()
            .and_then(|c| c.cluster),
    };
    let graph = cluster
        .and_then(|c| description_of(&c).ok())
        .and_then(|d| LearnerGraph::from_description(&d).ok());
    match graph.map(|g| judge(path, &g)) {
        Some(Err(explained)) => explained,
        _ => e,
    }
}

/// One line of summary: acceptors and learners, abbreviated.
fn summary(g: &LearnerGraph) -> String {
    let acceptors: Vec<String> = g
        .acceptor_ids()
        .map(|a| g.acceptor_name(a).to_string())
        .collect();
    let learners: Vec<String> = g
        .learner_ids()
        .map(|l| g.learner_name(l).to_string())
        .collect();
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let (acc, _) = listing(&acceptors, ", ", "acceptors");
    let (lrn, _) = listing(&learners, ", ", "learners");
    format!(
        "valid: {} ({acc}), {} ({lrn}), safe sets given on {}",
        plural(acceptors.len(), "acceptor", "acceptors"),
        plural(learners.len(), "learner", "learners"),
        plural(g.edges().len(), "learner pair", "learner pairs"),
    )
}

/// The summary line, then the [`tolerance`] lines indented.
fn report(head: String, g: &LearnerGraph) -> String {
    let mut out = head;
    for line in tolerance(g) {
        out.push_str("\n  ");
        out.push_str(&line);
    }
    out
}

/// The members of `e` as a disjunction: the children of nested `any`s,
/// and `e` itself otherwise.
fn alternatives<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Threshold { k: 1, of } => {
            for x in of {
                alternatives(x, out);
            }
        }
        _ => {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
}

/// Each learner's fault tolerance in words, one line per learner, derived
/// from the expressions only:
///
/// - `quorums:` its quorum expression;
/// - `safe while the actually-safe acceptors include …`: its self-edge in
///   the condensed graph, which is exactly the disjunction of all its given
///   edges (a safe set `s` of `a–b` gives `s ∪ s = s` in `a–a` by symmetry
///   and composition) — when the actually-safe acceptors satisfy it, the
///   learner is accurate (digest §2.2) and never decides two values;
/// - `agrees with b while …`: each given edge to another learner (learners
///   with the same condition grouped) — a sufficient condition for the two
///   to be entangled (digest §2.2), and the exact one when the graph has
///   two learners.
///
/// With three or more learners and different edge conditions, a last line
/// says that learners are also entangled through paths of edges.
pub(crate) fn tolerance(g: &LearnerGraph) -> Vec<String> {
    let never = |e: &Expr| matches!(e, Expr::Sets(s) if s.is_empty());
    let learner_names = |ls: &[LearnerId]| -> String {
        let names: Vec<String> = ls.iter().map(|&l| g.learner_name(l).to_string()).collect();
        match listing(&names, ", ", "learners") {
            (list, None) => list,
            (list, Some(count)) => format!("{list} {count}"),
        }
    };
    let mut lines = Vec::new();
    let mut conditions: Vec<&Expr> = Vec::new();
    for a in g.learner_ids() {
        let mut line = format!("{}: quorums: ", g.learner_name(a));
        match g.quorum_expr(a) {
            Some(q) => line.push_str(&g.describe(q)),
            None => line.push_str("none"),
        }
        let incident: Vec<_> = g
            .edges()
            .iter()
            .filter(|e| (e.a == a || e.b == a) && !never(&e.safe))
            .collect();
        let mut any: Vec<&Expr> = Vec::new();
        for e in &incident {
            alternatives(&e.safe, &mut any);
            if !conditions.contains(&&e.safe) {
                conditions.push(&e.safe);
            }
        }
        match any.as_slice() {
            [] => line.push_str("; never safe: no safe set with itself"),
            [one] => {
                line.push_str("; safe while the actually-safe acceptors include ");
                line.push_str(&g.describe(one));
            }
            many => {
                let either = Expr::Threshold {
                    k: 1,
                    of: many.iter().map(|&x| x.clone()).collect(),
                };
                line.push_str("; safe while the actually-safe acceptors include ");
                line.push_str(&g.describe(&either));
            }
        }
        let mut groups: Vec<(&Expr, Vec<LearnerId>)> = Vec::new();
        for e in &incident {
            let other = if e.a == a { e.b } else { e.a };
            if other == a {
                continue;
            }
            match groups.iter_mut().find(|(x, _)| *x == &e.safe) {
                Some((_, ls)) => ls.push(other),
                None => groups.push((&e.safe, vec![other])),
            }
        }
        for (condition, others) in groups {
            line.push_str(&format!(
                "; agrees with {} while the actually-safe acceptors include {}",
                learner_names(&others),
                g.describe(condition)
            ));
        }
        lines.push(line);
    }
    if g.num_learners() >= 3 && conditions.len() > 1 {
        lines.push(
            "(two learners are also entangled through a path of given edges whose conditions \
             all hold; the conditions above are per given edge)"
                .to_string(),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hetpaxos_quorums::{FamilyDesc, GraphDescription, MemberDesc};

    fn graph(n: usize, quorums: FamilyDesc, safe: FamilyDesc) -> LearnerGraph {
        let acceptors: Vec<String> = (0..n).map(|i| format!("V{i}")).collect();
        LearnerGraph::from_description(&GraphDescription {
            acceptors,
            learners: vec![("L".into(), quorums)],
            safe_sets: vec![(("L".into(), "L".into()), safe)],
        })
        .unwrap()
    }

    fn names(r: std::ops::Range<usize>) -> Vec<MemberDesc> {
        r.map(|i| MemberDesc::Acceptor(format!("V{i}"))).collect()
    }

    /// Short lists are written out in full.
    #[test]
    fn short_lists_are_written_out() {
        let nested = FamilyDesc::Any(vec![
            MemberDesc::Family(FamilyDesc::Threshold {
                k: 2,
                of: names(0..3),
            }),
            MemberDesc::Family(FamilyDesc::Weighted {
                threshold: 5,
                weights: vec![("V3".into(), 2), ("V4".into(), 3), ("V5".into(), 1)],
            }),
            MemberDesc::Family(FamilyDesc::Sets(vec![
                vec!["V0".into(), "V5".into()],
                vec!["V1".into()],
            ])),
            MemberDesc::Family(FamilyDesc::All(names(4..6))),
        ]);
        let g = graph(
            6,
            nested,
            FamilyDesc::Threshold {
                k: 6,
                of: names(0..6),
            },
        );
        let l = g.learner_by_name("L").unwrap();
        assert!(
            g.describe(g.quorum_expr(l).unwrap())
                .starts_with("any of (at least 2 of {V0, V1, V2}; ")
        );
        assert_eq!(
            g.describe(g.given_edge(l, l).unwrap()),
            "all of {V0, V1, V2, V3, V4, V5}"
        );
    }

    /// Long lists: first three, …, last two, and the count.
    #[test]
    fn long_lists_are_abbreviated() {
        let g = graph(
            100,
            FamilyDesc::Threshold {
                k: 67,
                of: names(0..100),
            },
            FamilyDesc::Weighted {
                threshold: 40,
                weights: (0..10).map(|i| (format!("V{i}"), i + 1)).collect(),
            },
        );
        let l = g.learner_by_name("L").unwrap();
        assert_eq!(
            g.describe(g.quorum_expr(l).unwrap()),
            "at least 67 of {V0, V1, V2, …, V98, V99} (100 acceptors)"
        );
        assert_eq!(
            g.describe(g.given_edge(l, l).unwrap()),
            "weight at least 40 of 55 in {V0: 1, V1: 2, V2: 3, …, V8: 9, V9: 10} (10 acceptors)"
        );
    }

    /// Per learner: quorums, the self-edge as the disjunction of all its
    /// edges, and the edges to others grouped by condition; the note on
    /// paths only when edges differ among three or more learners.
    #[test]
    fn tolerance_names_edges_and_notes_paths() {
        let three = || FamilyDesc::Threshold {
            k: 3,
            of: names(0..4),
        };
        let four = FamilyDesc::All(names(0..4));
        let edge = |a: &str, b: &str, f: FamilyDesc| ((a.to_string(), b.to_string()), f);
        let desc = GraphDescription {
            acceptors: (0..4).map(|i| format!("V{i}")).collect(),
            learners: ["x", "y", "z"]
                .iter()
                .map(|n| (n.to_string(), three()))
                .collect(),
            safe_sets: vec![
                edge("x", "x", three()),
                edge("x", "y", four.clone()),
                edge("z", "x", four),
                edge("y", "z", three()),
            ],
        };
        let g = LearnerGraph::from_description(&desc).unwrap();
        let lines = tolerance(&g);
        let (t, f) = ("at least 3 of {V0, V1, V2, V3}", "all of {V0, V1, V2, V3}");
        assert_eq!(
            lines,
            [
                format!(
                    "x: quorums: {t}; safe while the actually-safe acceptors include any of \
                     ({t}; {f}); agrees with y, z while the actually-safe acceptors include {f}"
                ),
                format!(
                    "y: quorums: {t}; safe while the actually-safe acceptors include any of \
                     ({f}; {t}); agrees with x while the actually-safe acceptors include {f}; \
                     agrees with z while the actually-safe acceptors include {t}"
                ),
                format!(
                    "z: quorums: {t}; safe while the actually-safe acceptors include any of \
                     ({f}; {t}); agrees with x while the actually-safe acceptors include {f}; \
                     agrees with y while the actually-safe acceptors include {t}"
                ),
                "(two learners are also entangled through a path of given edges whose \
                 conditions all hold; the conditions above are per given edge)"
                    .to_string(),
            ]
        );
        // One condition everywhere: no note.
        let same = GraphDescription {
            safe_sets: desc
                .safe_sets
                .iter()
                .map(|(k, _)| (k.clone(), three()))
                .collect(),
            ..desc
        };
        let g = LearnerGraph::from_description(&same).unwrap();
        let lines = tolerance(&g);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].ends_with(&format!(
            "agrees with y, z while the actually-safe acceptors include {t}"
        )));
    }
}
