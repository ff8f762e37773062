//! The cluster a node runs in: the public configuration, validated.

use crate::error::{ConfigError, ErrorKind};
use ed25519_dalek::VerifyingKey;
use hetpaxos_messages::{ClusterContext, Ed25519Verifier, Hash32};
use hetpaxos_quorums::{GraphDescription, LearnerGraph};
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

/// A loaded, validated cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The public description as read.
    pub config: pb::ClusterConfig,
    /// The learner graph (valid).
    pub graph: Arc<LearnerGraph>,
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
    /// condition, never a key.
    pub fn new(config: pb::ClusterConfig) -> Result<Self, (ErrorKind, String)> {
        let bad = |m: String| (ErrorKind::BadInput, m);
        let desc = description_of(&config);
        let graph = LearnerGraph::from_description(&desc).map_err(|e| bad(e.to_string()))?;
        graph.validate().map_err(|v| {
            (
                ErrorKind::InvalidGraph,
                format!("invalid learner graph: {v}"),
            )
        })?;
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

    /// A one-line summary.
    pub fn summary(&self) -> String {
        let mut s = summarize(&description_of(&self.config));
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

/// The cluster context: SHA-256 of the protobuf encoding of the config
/// without its client lists (adding a client changes no signature).
pub fn context_of(config: &pb::ClusterConfig) -> ClusterContext {
    let mut core = config.clone();
    core.learner_clients.clear();
    core.proposers.clear();
    ClusterContext(Hash32::of(&[&core.encode_to_vec()]))
}

/// The learner-graph description of a cluster config.
pub fn description_of(config: &pb::ClusterConfig) -> GraphDescription {
    GraphDescription {
        acceptors: config.acceptors.iter().map(|a| a.name.clone()).collect(),
        learners: config
            .learners
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    l.quorums.iter().map(|q| q.acceptors.clone()).collect(),
                )
            })
            .collect(),
        safe_sets: config
            .safe_sets
            .iter()
            .map(|s| {
                (
                    (s.learner_a.clone(), s.learner_b.clone()),
                    s.sets.iter().map(|q| q.acceptors.clone()).collect(),
                )
            })
            .collect(),
    }
}

/// A one-line summary of a learner graph.
pub fn summarize(desc: &GraphDescription) -> String {
    let learners: Vec<String> = desc
        .learners
        .iter()
        .map(|(n, q)| format!("{n} ({} quorums)", q.len()))
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
    VerifyingKey::from_bytes(&bytes).map_err(|_| "is not a valid Ed25519 point".to_string())
}

/// [`Cluster::new`] for a config read from `path`.
pub(crate) fn cluster_at(path: &Path, config: pb::ClusterConfig) -> Result<Cluster, ConfigError> {
    Cluster::new(config).map_err(|(kind, message)| ConfigError::new(path, message, kind))
}
