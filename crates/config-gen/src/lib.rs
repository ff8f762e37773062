//! Generation of hetpaxos cluster configurations: fresh Ed25519 keys for the
//! acceptors and for one learner client and one proposer, the files of
//! `proto/config.proto` (`cluster.json`, `<acceptor>.json`, `learner.json`,
//! `proposer.json`), adding clients to an existing cluster, and the
//! `hetpaxos-config-gen` command line. Loading and validation are in
//! `hetpaxos-config`.
//!
//! Learner graphs: [`homogeneous`] and [`homogeneous_with_faults`] (one
//! trust domain, thresholds) and [`chains()`] (one learner per chain of
//! stake-weighted validators, agreeing across chains); [`graph_file`]
//! writes any graph in the hand-written graph-file language.
#![forbid(unsafe_code)]

pub mod chains;

pub use chains::{
    Chain, ChainBound, ChainsError, ChainsSpec, Fraction, chain_bounds, chains, chains_unchecked,
};

use ed25519_dalek::SigningKey;
use hetpaxos_config::family::{family_to_json, family_to_pb};
use hetpaxos_config::{
    Cluster, ConfigError, ErrorKind, Role, check_names, context_of, load_cluster, pb, read,
};
use hetpaxos_quorums::{FamilyDesc, GraphDescription, LearnerGraph, MemberDesc, examples};
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// A homogeneous cluster: `n` acceptors `A`, `B`, …, learners `L0`, `L1`, …,
/// tolerating `f = ⌊(n − 1)/3⌋` Byzantine acceptors (see
/// [`homogeneous_with_faults`]).
pub fn homogeneous(n: usize, learners: usize) -> Result<GraphDescription, String> {
    homogeneous_with_faults(n, n.saturating_sub(1) / 3, learners)
}

/// A homogeneous cluster tolerating `f` faults: every learner's quorums, and
/// the safe sets of every learner pair, are "at least `n − f` of all
/// acceptors" — a threshold, never enumerated, so `n` may be anything up to
/// [`hetpaxos_quorums::MAX_ACCEPTORS`]. Needs `n ≥ 3f + 1`: two quorums of
/// `n − f` meet in at least `n − 2f` acceptors, of which at most `f` are
/// outside a safe set.
pub fn homogeneous_with_faults(
    n: usize,
    f: usize,
    learners: usize,
) -> Result<GraphDescription, String> {
    if n == 0 {
        return Err("0 acceptors: need at least one".into());
    }
    if learners == 0 {
        return Err("0 learners: need at least one".into());
    }
    if n > hetpaxos_quorums::MAX_ACCEPTORS {
        return Err(format!(
            "{n} acceptors: at most {}",
            hetpaxos_quorums::MAX_ACCEPTORS
        ));
    }
    if learners > hetpaxos_quorums::MAX_LEARNERS {
        return Err(format!(
            "{learners} learners: at most {}",
            hetpaxos_quorums::MAX_LEARNERS
        ));
    }
    let needed = f.saturating_mul(3).saturating_add(1);
    if n < needed {
        return Err(format!(
            "{n} acceptors cannot tolerate {f} Byzantine faults: that needs at least 3·{f} + 1"
        ));
    }
    let acceptors = examples::acceptor_names(n);
    let family = || FamilyDesc::Threshold {
        k: (n - f) as u64,
        of: acceptors
            .iter()
            .cloned()
            .map(MemberDesc::Acceptor)
            .collect(),
    };
    let names: Vec<String> = (0..learners).map(|i| format!("L{i}")).collect();
    let mut safe_sets = Vec::new();
    for (i, a) in names.iter().enumerate() {
        for b in &names[i..] {
            safe_sets.push(((a.clone(), b.clone()), family()));
        }
    }
    Ok(GraphDescription {
        learners: names.iter().map(|l| (l.clone(), family())).collect(),
        acceptors,
        safe_sets,
    })
}

/// A learner graph as a graph file (the language of
/// `hetpaxos_config::family`, read back by `hetpaxos_config::parse_graph`):
/// acceptors (with `addresses[i]` when given), learners with their quorums,
/// and one `safe_sets` entry per edge.
pub fn graph_file(desc: &GraphDescription, addresses: &[Option<String>]) -> serde_json::Value {
    let acceptors: Vec<serde_json::Value> = desc
        .acceptors
        .iter()
        .enumerate()
        .map(|(i, name)| match addresses.get(i) {
            Some(Some(a)) => serde_json::json!({"name": name, "address": a}),
            _ => serde_json::Value::String(name.clone()),
        })
        .collect();
    let learners: serde_json::Map<String, serde_json::Value> = desc
        .learners
        .iter()
        .map(|(n, f)| (n.clone(), family_to_json(f)))
        .collect();
    let safe_sets: Vec<serde_json::Value> = desc
        .safe_sets
        .iter()
        .map(|((a, b), f)| serde_json::json!({"between": [a, b], "sets": family_to_json(f)}))
        .collect();
    serde_json::json!({"acceptors": acceptors, "learners": learners, "safe_sets": safe_sets})
}

/// A generated cluster: the public config, each acceptor's config and the
/// clients' configs.
#[derive(Clone)]
pub struct Generated {
    /// `cluster.json`.
    pub cluster: pb::ClusterConfig,
    /// `<name>.json` per acceptor, in index order.
    pub acceptors: Vec<pb::AcceptorConfig>,
    /// `<name>.json` per client (`learner.json`, `proposer.json`).
    pub clients: Vec<pb::ClientConfig>,
}

impl std::fmt::Debug for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generated")
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

/// A fresh Ed25519 key from the operating system's generator.
pub fn fresh_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

fn client_info(name: &str, key: &SigningKey) -> pb::ClientInfo {
    pb::ClientInfo {
        name: name.to_string(),
        public_key: hex::encode(key.verifying_key().as_bytes()),
    }
}

/// Generates fresh Ed25519 keys and the configs for `desc`, with
/// `addresses[i]` for acceptor `i`, and one learner client (`learner`) and
/// one proposer (`proposer`), each with a key of its own. Checks the graph
/// first.
pub fn generate(desc: &GraphDescription, addresses: &[String]) -> Result<Generated, ConfigError> {
    generate_with(desc, addresses, &["learner"], &["proposer"])
}

/// [`generate`] with the given learner clients and proposers (by name).
pub fn generate_with(
    desc: &GraphDescription,
    addresses: &[String],
    learners: &[&str],
    proposers: &[&str],
) -> Result<Generated, ConfigError> {
    let here = "generated cluster";
    check_names(desc).map_err(|m| ConfigError::bad(here, m))?;
    let graph =
        LearnerGraph::from_description(desc).map_err(|e| ConfigError::bad(here, e.to_string()))?;
    graph.validate().map_err(|v| {
        if v.is_undecided() {
            ConfigError::new(
                here,
                format!("learner graph not checked: {v}"),
                ErrorKind::UncheckedGraph,
            )
        } else {
            ConfigError::new(
                here,
                format!("invalid learner graph: {v}"),
                ErrorKind::InvalidGraph,
            )
        }
    })?;
    let keys: Vec<SigningKey> = desc.acceptors.iter().map(|_| fresh_key()).collect();
    let clients: Vec<(Role, &str, SigningKey)> = learners
        .iter()
        .map(|n| (Role::Learner, *n, fresh_key()))
        .chain(proposers.iter().map(|n| (Role::Proposer, *n, fresh_key())))
        .collect();
    let listed: Vec<(Role, &str, &SigningKey)> =
        clients.iter().map(|(r, n, k)| (*r, *n, k)).collect();
    let cluster = cluster_config(desc, &keys, addresses, &listed);
    Cluster::new(cluster.clone()).map_err(|(kind, m)| ConfigError::new(here, m, kind))?;
    let acceptors = desc
        .acceptors
        .iter()
        .zip(&keys)
        .map(|(name, key)| pb::AcceptorConfig {
            cluster: Some(cluster.clone()),
            name: name.clone(),
            private_key: hex::encode(key.to_bytes()),
        })
        .collect();
    let clients = clients
        .iter()
        .map(|(role, name, key)| client_config(&cluster, *role, name, key))
        .collect();
    Ok(Generated {
        cluster,
        acceptors,
        clients,
    })
}

/// The public cluster config of `desc` (not validated): acceptor `i` with
/// `keys[i]` at `addresses[i]`, families in the listed form when listed and
/// as `Family` otherwise, and these learner clients and proposers.
pub fn cluster_config(
    desc: &GraphDescription,
    keys: &[SigningKey],
    addresses: &[String],
    clients: &[(Role, &str, &SigningKey)],
) -> pb::ClusterConfig {
    let listed = |role: Role| -> Vec<pb::ClientInfo> {
        clients
            .iter()
            .filter(|(r, _, _)| *r == role)
            .map(|(_, n, k)| client_info(n, k))
            .collect()
    };
    pb::ClusterConfig {
        acceptors: desc
            .acceptors
            .iter()
            .zip(keys)
            .zip(addresses)
            .map(|((name, key), address)| pb::AcceptorInfo {
                name: name.clone(),
                address: address.clone(),
                public_key: hex::encode(key.verifying_key().as_bytes()),
            })
            .collect(),
        learners: desc
            .learners
            .iter()
            .map(|(name, quorums)| pb::LearnerInfo {
                name: name.clone(),
                quorums: listed_sets(quorums),
                quorum_family: quorums.as_sets().is_none().then(|| family_to_pb(quorums)),
            })
            .collect(),
        safe_sets: desc
            .safe_sets
            .iter()
            .map(|((a, b), family)| pb::SafeSets {
                learner_a: a.clone(),
                learner_b: b.clone(),
                sets: listed_sets(family),
                family: family.as_sets().is_none().then(|| family_to_pb(family)),
            })
            .collect(),
        learner_clients: listed(Role::Learner),
        proposers: listed(Role::Proposer),
    }
}

/// The sets of a family in the listed form (none for an expression).
fn listed_sets(family: &FamilyDesc) -> Vec<pb::AcceptorNames> {
    family
        .as_sets()
        .unwrap_or_default()
        .iter()
        .map(|s| pb::AcceptorNames {
            acceptors: s.clone(),
        })
        .collect()
}

fn client_config(
    cluster: &pb::ClusterConfig,
    role: Role,
    name: &str,
    key: &SigningKey,
) -> pb::ClientConfig {
    pb::ClientConfig {
        cluster: Some(cluster.clone()),
        role: role.name().to_string(),
        name: name.to_string(),
        private_key: hex::encode(key.to_bytes()),
    }
}

/// One file to write: path, contents, mode.
type File = (PathBuf, String, u32);

/// Writes `files`, refusing to overwrite any unless `force` (all paths are
/// checked before anything is written). Private files are mode 0600.
fn write_files(dir: &Path, files: &[File], force: bool) -> Result<(), ConfigError> {
    if !force {
        for (p, _, _) in files {
            if p.exists() {
                return Err(ConfigError::bad(
                    p,
                    "already exists; not overwriting (use --force to replace)",
                ));
            }
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| ConfigError::bad(dir, format!("cannot create directory: {e}")))?;
    for (p, text, mode) in files {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(*mode)
            .open(p)
            .map_err(|e| ConfigError::bad(p, format!("cannot write: {e}")))?;
        // An existing file keeps its old mode on open: set it explicitly.
        f.set_permissions(std::fs::Permissions::from_mode(*mode))
            .and_then(|()| f.write_all(text.as_bytes()))
            .and_then(|()| f.sync_all())
            .map_err(|e| ConfigError::bad(p, format!("cannot write: {e}")))?;
    }
    Ok(())
}

/// Writes `DIR/cluster.json` (mode 0644), `DIR/<acceptor>.json` and
/// `DIR/<client>.json` (mode 0600), plus `DIR/<prefix>_<i>_config.json`
/// (0600) per acceptor when `prefix` is given. Refuses to overwrite any
/// existing file unless `force`, checking all paths before writing any.
/// Returns the paths written.
pub fn write_configs(
    dir: &Path,
    generated: &Generated,
    prefix: Option<&str>,
    force: bool,
) -> Result<Vec<PathBuf>, ConfigError> {
    let json = |v: &dyn erased::Json| v.to_json();
    let mut files: Vec<File> = vec![(dir.join("cluster.json"), json(&generated.cluster), 0o644)];
    for (i, a) in generated.acceptors.iter().enumerate() {
        files.push((dir.join(format!("{}.json", a.name)), json(a), 0o600));
        if let Some(p) = prefix {
            files.push((dir.join(format!("{p}_{i}_config.json")), json(a), 0o600));
        }
    }
    for c in &generated.clients {
        files.push((dir.join(format!("{}.json", c.name)), json(c), 0o600));
    }
    write_files(dir, &files, force)?;
    Ok(files.into_iter().map(|(p, _, _)| p).collect())
}

/// Adds a client of `role` named `name` (with a fresh key) to the cluster in
/// `dir`: rewrites `cluster.json`, every acceptor's config and every client's
/// config in `dir` with the longer client list, and writes `DIR/<name>.json`
/// (mode 0600). The cluster context does not change (client lists are not
/// part of it), so running acceptors keep their logs; they accept the new
/// client once restarted with their new configs. Returns the paths written.
pub fn add_client(dir: &Path, role: Role, name: &str) -> Result<Vec<PathBuf>, ConfigError> {
    let cluster_path = dir.join("cluster.json");
    let cluster = load_cluster(&cluster_path)?;
    let mut config = cluster.config.clone();
    let key = fresh_key();
    let info = client_info(name, &key);
    match role {
        Role::Learner => config.learner_clients.push(info),
        Role::Proposer => config.proposers.push(info),
    }
    let checked = Cluster::new(config.clone())
        .map_err(|(kind, m)| ConfigError::new(&cluster_path, m, kind))?;
    debug_assert_eq!(checked.context, context_of(&cluster.config));
    let json = |v: &dyn erased::Json| v.to_json();
    let mine = dir.join(format!("{name}.json"));
    if mine.exists() {
        return Err(ConfigError::bad(&mine, "already exists; not overwriting"));
    }
    let mut files: Vec<File> = vec![(cluster_path, json(&config), 0o644)];
    for a in &config.acceptors {
        let p = dir.join(format!("{}.json", a.name));
        let v = read(&p)?;
        let mut ac: pb::AcceptorConfig = serde_json::from_value(v)
            .map_err(|e| ConfigError::bad(&p, format!("not a valid acceptor config: {e}")))?;
        ac.cluster = Some(config.clone());
        files.push((p, json(&ac), 0o600));
    }
    for c in config.learner_clients.iter().chain(&config.proposers) {
        let p = dir.join(format!("{}.json", c.name));
        if c.name == name || !p.exists() {
            continue;
        }
        let v = read(&p)?;
        let mut cc: pb::ClientConfig = serde_json::from_value(v)
            .map_err(|e| ConfigError::bad(&p, format!("not a valid client config: {e}")))?;
        cc.cluster = Some(config.clone());
        files.push((p, json(&cc), 0o600));
    }
    files.push((mine, json(&client_config(&config, role, name, &key)), 0o600));
    write_files(dir, &files, true)?;
    Ok(files.into_iter().map(|(p, _, _)| p).collect())
}

mod erased {
    /// Pretty JSON of a config message.
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

#[cfg(test)]
mod tests;
