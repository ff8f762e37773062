//! The cluster a node runs in: the public configuration, validated.

use crate::error::{ConfigError, ErrorKind};
use crate::family::{quorums_of, safe_sets_of};
use ed25519_dalek::VerifyingKey;
use hetpaxos_messages::{ClusterContext, Ed25519Verifier, Hash32};
use hetpaxos_quorums::{DEFAULT_VALIDITY_BUDGET, GraphDescription, LearnerGraph, Violation};
use prost::Message as _;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::pb;

/// What a client of the acceptors is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A learner process: receives every message, sends none.
    Learner,
    /// A proposer: sends signed 1as.
    Proposer,
}

impl Role {
    /// The name used in configs and file names: `learner` or `proposer`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Proposer => "proposer",
        }
    }

    /// Parses [`Role::name`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "learner" => Some(Role::Learner),
            "proposer" => Some(Role::Proposer),
            _ => None,
        }
    }
}

/// A node of the cluster, as its key identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Member {
    /// Acceptor number `.0` (its dense index).
    Acceptor(usize),
    /// Client `name` with `role`; for a proposer, `index` is the number it
    /// signs 1as as.
    Client {
        /// Learner or proposer.
        role: Role,
        /// Its name.
        name: String,
        /// Its position in its list.
        index: usize,
    },
}

/// What loading does with a learner graph whose validity could not be
/// decided within the work budget (LG-4 is NP-hard in general; see
/// `hetpaxos_quorums::LearnerGraph::validity`). A graph with a violation is
/// refused whatever this says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GraphCheck {
    /// Refuse it with [`ErrorKind::UncheckedGraph`]: only graphs shown valid
    /// load.
    #[default]
    Strict,
    /// Load it anyway, at the operator's risk (`--accept-unchecked-graph`);
    /// [`Cluster::unchecked`] names the learner pairs left unchecked.
    AcceptUnchecked,
}

/// A loaded, validated cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The public description as read.
    pub config: pb::ClusterConfig,
    /// The learner graph: valid, or with validity undecided for the pairs
    /// of [`Cluster::unchecked`] when loaded with
    /// [`GraphCheck::AcceptUnchecked`].
    pub graph: Arc<LearnerGraph>,
    /// Learner pairs whose LG-4 check did not finish within the work budget
    /// (empty unless loaded with [`GraphCheck::AcceptUnchecked`]): the graph
    /// was accepted without knowing whether quorums of these learners
    /// intersect inside every safe set.
    pub unchecked: Vec<(String, String)>,
    /// Acceptor public keys, by dense index.
    pub keys: Vec<VerifyingKey>,
    /// Learner clients' public keys, in config order.
    pub learner_clients: Vec<(String, VerifyingKey)>,
    /// Proposers' public keys, by proposer index.
    pub proposers: Vec<(String, VerifyingKey)>,
    /// SHA-256 of the protobuf encoding of `config` without its client lists.
    pub context: ClusterContext,
}

impl Cluster {
    /// Validates a cluster description: names, addresses (distinct), public
    /// keys (valid, and one per member: one private key must never sign as
    /// two members) and the learner graph. The error names the violated
    /// condition, never a key. A graph whose validity is undecided within
    /// the work budget is refused ([`GraphCheck::Strict`]; see
    /// [`Cluster::new_with`]).
    pub fn new(config: pb::ClusterConfig) -> Result<Self, (ErrorKind, String)> {
        Self::new_with(config, GraphCheck::Strict)
    }

    /// [`Cluster::new`], with `check` deciding what happens to a graph whose
    /// validity is undecided within the default work budget
    /// ([`DEFAULT_VALIDITY_BUDGET`]): refused with
    /// [`ErrorKind::UncheckedGraph`], or loaded with the learner pairs left
    /// unchecked in [`Cluster::unchecked`]. A violation is always refused
    /// ([`ErrorKind::InvalidGraph`]).
    pub fn new_with(
        config: pb::ClusterConfig,
        check: GraphCheck,
    ) -> Result<Self, (ErrorKind, String)> {
        Self::new_with_budget(config, check, DEFAULT_VALIDITY_BUDGET)
    }

    /// [`Cluster::new_with`] spending at most `budget` work units on the
    /// LG-4 search (for tests and measurements: a small budget makes any
    /// graph that is not decided in closed form or by enumeration
    /// undecided).
    pub fn new_with_budget(
        config: pb::ClusterConfig,
        check: GraphCheck,
        budget: u64,
    ) -> Result<Self, (ErrorKind, String)> {
        let bad = |m: String| (ErrorKind::BadInput, m);
        let desc = description_of(&config).map_err(bad)?;
        let graph = LearnerGraph::from_description(&desc).map_err(|e| bad(e.to_string()))?;
        let unchecked = judge_graph(&graph, check, budget)?;
        let mut seen_keys: BTreeMap<[u8; 32], String> = BTreeMap::new();
        let mut remember =
            |key: &VerifyingKey, who: String| match seen_keys.insert(key.to_bytes(), who.clone()) {
                Some(first) => Err(bad(format!(
                    "{who} has the same public key as {first}: one private key would sign as both"
                ))),
                None => Ok(()),
            };
        let mut keys = Vec::new();
        let mut addresses: BTreeMap<&str, &str> = BTreeMap::new();
        for a in &config.acceptors {
            check_address(&a.address).map_err(|m| bad(format!("acceptor {}: {m}", a.name)))?;
            if let Some(first) = addresses.insert(&a.address, &a.name) {
                return Err(bad(format!(
                    "acceptors {first} and {} have the same address {}",
                    a.name, a.address
                )));
            }
            let key = parse_key(&a.public_key)
                .map_err(|m| bad(format!("acceptor {}: public key {m}", a.name)))?;
            remember(&key, format!("acceptor {}", a.name))?;
            keys.push(key);
        }
        let mut names: BTreeMap<String, &str> = config
            .acceptors
            .iter()
            .map(|a| (a.name.clone(), "an acceptor"))
            .collect();
        let mut clients = |list: &[pb::ClientInfo], role: Role| {
            let mut out = Vec::new();
            for c in list {
                check_file_name(&c.name)
                    .map_err(|m| bad(format!("{} client name {m}", role.name())))?;
                if let Some(first) = names.insert(c.name.clone(), role.name()) {
                    return Err(bad(format!(
                        "{} client {:?} has the name of {first}",
                        role.name(),
                        c.name
                    )));
                }
                let key = parse_key(&c.public_key)
                    .map_err(|m| bad(format!("{} {}: public key {m}", role.name(), c.name)))?;
                remember(&key, format!("{} {}", role.name(), c.name))?;
                out.push((c.name.clone(), key));
            }
            Ok(out)
        };
        let learner_clients = clients(&config.learner_clients, Role::Learner)?;
        let proposers = clients(&config.proposers, Role::Proposer)?;
        let context = context_of(&config);
        Ok(Self {
            config,
            graph: Arc::new(graph),
            unchecked,
            keys,
            learner_clients,
            proposers,
            context,
        })
    }

    /// Acceptor addresses, by dense index.
    pub fn addresses(&self) -> Vec<String> {
        self.config
            .acceptors
            .iter()
            .map(|a| a.address.clone())
            .collect()
    }

    /// Acceptor names, by dense index.
    pub fn acceptor_names(&self) -> Vec<String> {
        self.config
            .acceptors
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    /// A verifier of this cluster's signatures.
    pub fn verifier(&self) -> Arc<Ed25519Verifier> {
        Arc::new(Ed25519Verifier::new(
            self.keys.clone(),
            self.proposers.iter().map(|(_, k)| *k).collect(),
            self.context,
        ))
    }

    /// The member whose public key is `key`, if any.
    pub fn member(&self, key: &[u8; 32]) -> Option<Member> {
        if let Some(i) = self.keys.iter().position(|k| k.as_bytes() == key) {
            return Some(Member::Acceptor(i));
        }
        for (role, list) in [
            (Role::Learner, &self.learner_clients),
            (Role::Proposer, &self.proposers),
        ] {
            if let Some(index) = list.iter().position(|(_, k)| k.as_bytes() == key) {
                return Some(Member::Client {
                    role,
                    name: list[index].0.clone(),
                    index,
                });
            }
        }
        None
    }

    /// The clients of `role`, in config order.
    pub fn clients(&self, role: Role) -> &[(String, VerifyingKey)] {
        match role {
            Role::Learner => &self.learner_clients,
            Role::Proposer => &self.proposers,
        }
    }

    /// The warning to log when the graph was accepted unchecked (see
    /// [`Cluster::unchecked`]); `None` when it was shown valid.
    pub fn unchecked_warning(&self) -> Option<String> {
        if self.unchecked.is_empty() {
            return None;
        }
        Some(format!(
            "running with an unchecked learner graph (--accept-unchecked-graph): the LG-4 check \
             for learners {} did not finish within the work budget, so quorums of these \
             learners may fail to intersect inside a safe set and they may decide differently \
             even while their trust assumptions hold; at the operator's risk",
            pairs_text(&self.unchecked)
        ))
    }

    /// A one-line summary.
    pub fn summary(&self) -> String {
        let mut s = description_of(&self.config)
            .map(|d| summarize(&d))
            .unwrap_or_default();
        if !self.unchecked.is_empty() {
            let rest = s.strip_prefix("valid: ").unwrap_or(&s);
            s = format!(
                "NOT CHECKED (LG-4 undecided for {}): {rest}",
                pairs_text(&self.unchecked)
            );
        }
        if !self.learner_clients.is_empty() || !self.proposers.is_empty() {
            s.push_str(&format!(
                "; clients: {} learner(s), {} proposer(s)",
                self.learner_clients.len(),
                self.proposers.len()
            ));
        }
        s
    }
}

/// Checks `graph` within `budget`: the learner pairs left undecided (empty
/// when valid, or when `check` refuses them), or the error refusing it —
/// a definite violation first, whatever `check` says.
fn judge_graph(
    graph: &LearnerGraph,
    check: GraphCheck,
    budget: u64,
) -> Result<Vec<(String, String)>, (ErrorKind, String)> {
    let violations = graph.validity(budget);
    if let Some(v) = violations.iter().find(|v| !v.is_undecided()) {
        return Err((
            ErrorKind::InvalidGraph,
            format!("invalid learner graph: {v}"),
        ));
    }
    let pairs: Vec<(String, String)> = violations
        .into_iter()
        .filter_map(|v| match v {
            Violation::Undecided { a, b } => Some((a, b)),
            _ => None,
        })
        .collect();
    if pairs.is_empty() || check == GraphCheck::AcceptUnchecked {
        return Ok(pairs);
    }
    Err((
        ErrorKind::UncheckedGraph,
        format!(
            "learner graph not checked: its LG-4 check (quorums intersect inside every safe \
             set) for learners {} did not finish within the work budget ({budget} units), so \
             it may or may not be valid; --accept-unchecked-graph runs it anyway, at the \
             operator's risk",
            pairs_text(&pairs)
        ),
    ))
}

/// `a–b, c–d`, abbreviated after four pairs.
fn pairs_text(pairs: &[(String, String)]) -> String {
    const SHOWN: usize = 4;
    let mut s: Vec<String> = pairs
        .iter()
        .take(SHOWN)
        .map(|(a, b)| format!("{a}–{b}"))
        .collect();
    if pairs.len() > SHOWN {
        s.push(format!("and {} more pairs", pairs.len() - SHOWN));
    }
    s.join(", ")
}

/// The cluster context: SHA-256 of the protobuf encoding of the config
/// without its client lists (adding a client changes no signature).
pub fn context_of(config: &pb::ClusterConfig) -> ClusterContext {
    let mut core = config.clone();
    core.learner_clients.clear();
    core.proposers.clear();
    ClusterContext(Hash32::of(&[&core.encode_to_vec()]))
}

/// The learner-graph description of a cluster config.
pub fn description_of(config: &pb::ClusterConfig) -> Result<GraphDescription, String> {
    Ok(GraphDescription {
        acceptors: config.acceptors.iter().map(|a| a.name.clone()).collect(),
        learners: config
            .learners
            .iter()
            .map(|l| Ok((l.name.clone(), quorums_of(l)?)))
            .collect::<Result<_, String>>()?,
        safe_sets: config
            .safe_sets
            .iter()
            .map(|s| Ok(((s.learner_a.clone(), s.learner_b.clone()), safe_sets_of(s)?)))
            .collect::<Result<_, String>>()?,
    })
}

/// A one-line summary of a learner graph.
pub fn summarize(desc: &GraphDescription) -> String {
    let learners: Vec<String> = desc
        .learners
        .iter()
        .map(|(n, q)| match q.as_sets() {
            Some(sets) => format!("{n} ({} quorums)", sets.len()),
            None => format!("{n} (quorums by expression)"),
        })
        .collect();
    format!(
        "valid: {} acceptors ({}), {} learners: {}; safe sets on {} learner pairs",
        desc.acceptors.len(),
        desc.acceptors.join(", "),
        desc.learners.len(),
        learners.join(", "),
        desc.safe_sets.len()
    )
}

/// Checks `host:port`.
pub fn check_address(address: &str) -> Result<(), String> {
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err(format!("address {address:?} is not host:port"));
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!("address {address:?} is not host:port"));
    }
    Ok(())
}

/// Names become file names (`<name>.json`): letters, digits, `_`, `-`, `.`
/// only, not starting with `.`, and not `cluster`.
pub fn check_file_name(n: &str) -> Result<(), String> {
    let ok = !n.is_empty()
        && n != "cluster"
        && !n.starts_with('.')
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{n:?} must be letters, digits, '_', '-' or '.' (and not \"cluster\")"
        ))
    }
}

/// Parses 32 bytes written as 64 hex digits; the error never echoes the input.
pub fn parse_hex32(s: &str) -> Result<[u8; 32], String> {
    let s = s.trim();
    if s.len() != 64 {
        return Err(format!("must be 64 hex digits, got {} characters", s.len()));
    }
    let v =
        hex::decode(s).map_err(|_| "contains a character that is not a hex digit".to_string())?;
    <[u8; 32]>::try_from(v.as_slice()).map_err(|_| "must be 32 bytes".to_string())
}

fn parse_key(s: &str) -> Result<VerifyingKey, String> {
    let bytes = parse_hex32(s)?;
    let key =
        VerifyingKey::from_bytes(&bytes).map_err(|_| "is not a valid Ed25519 point".to_string())?;
    // Under the ZIP 215 rules (decision D13) anyone can sign for a key of
    // small order: such a key is refused.
    if key.is_weak() {
        return Err("is a point of small order (anyone could sign for it)".to_string());
    }
    Ok(key)
}

/// [`Cluster::new_with`] for a config read from `path`.
pub(crate) fn cluster_at_with(
    path: &Path,
    config: pb::ClusterConfig,
    check: GraphCheck,
) -> Result<Cluster, ConfigError> {
    Cluster::new_with(config, check)
        .map_err(|(kind, message)| ConfigError::new(path, message, kind))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A key of small order (here the identity point) is refused: under the
    /// ZIP 215 rules anyone could sign for it. A real key is taken (the
    /// control).
    #[test]
    fn keys_of_small_order_are_refused() {
        let identity = format!("01{}", "0".repeat(62));
        let err = parse_key(&identity).unwrap_err();
        assert!(err.contains("small order"), "{err}");
        let real = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        assert_eq!(parse_key(&hex::encode(real.to_bytes())).unwrap(), real);
    }
}
