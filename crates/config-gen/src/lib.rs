//! Cluster configuration of hetpaxos: the JSON files of `proto/config.proto`
//! (protobuf JSON mapping), learner-graph files written by hand, key
//! generation, and loading with validation.
//!
//! Loading a configuration checks the learner graph with `hetpaxos-quorums`
//! and refuses an invalid one, naming the violated condition. The
//! [`ClusterContext`] every signature is bound to is the SHA-256 of the
//! protobuf binary encoding of the public [`pb::ClusterConfig`], so acceptors
//! of different clusters (or of a changed cluster) never accept each other's
//! signatures. Errors never echo a private key.
#![forbid(unsafe_code)]

use ed25519_dalek::{SigningKey, VerifyingKey};
use hetpaxos_messages::{ClusterContext, Ed25519Signer, Ed25519Verifier, Hash32};
use hetpaxos_quorums::{AcceptorId, GraphDescription, LearnerGraph, examples};
use prost::Message as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The configuration messages (`package hetpaxos.config.v1`).
pub use hetpaxos_proto::config as pb;

/// What kind of problem a configuration has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Unreadable, malformed, or inconsistent input (exit code 2 in the binaries).
    BadInput,
    /// A well-formed learner graph that violates a validity condition (exit code 1 for `check`).
    InvalidGraph,
}

/// A configuration error: which file, and what is wrong, on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// The file (or a description of the input).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Bad input or an invalid graph.
    pub kind: ErrorKind,
}

impl ConfigError {
    fn bad(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self {
            path: path.as_ref().display().to_string(),
            message: one_line(&message.into()),
            kind: ErrorKind::BadInput,
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
    /// SHA-256 of the protobuf encoding of `config`.
    pub context: ClusterContext,
}

impl Cluster {
    /// Validates a cluster description: names, addresses, public keys and the
    /// learner graph. The error message names the violated condition.
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
        let mut keys = Vec::new();
        for a in &config.acceptors {
            check_address(&a.address).map_err(|m| bad(format!("acceptor {}: {m}", a.name)))?;
            let bytes = parse_hex32(&a.public_key)
                .map_err(|m| bad(format!("acceptor {}: public key {m}", a.name)))?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|_| {
                bad(format!(
                    "acceptor {}: public key is not a valid Ed25519 point",
                    a.name
                ))
            })?;
            keys.push(key);
        }
        let context = ClusterContext(Hash32::of(&[&config.encode_to_vec()]));
        Ok(Self {
            config,
            graph: Arc::new(graph),
            keys,
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
        Arc::new(Ed25519Verifier::new(self.keys.clone(), self.context))
    }

    /// A one-line summary.
    pub fn summary(&self) -> String {
        summarize(&description_of(&self.config))
    }
}

/// One acceptor's configuration: its cluster, id and private key.
#[derive(Clone)]
pub struct AcceptorSetup {
    /// The cluster.
    pub cluster: Cluster,
    /// This acceptor.
    pub id: AcceptorId,
    /// Its name.
    pub name: String,
    key: SigningKey,
}

impl std::fmt::Debug for AcceptorSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptorSetup")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl AcceptorSetup {
    /// Checks that `name` is in the cluster and `key` matches its public key.
    pub fn new(cluster: Cluster, name: &str, key: SigningKey) -> Result<Self, String> {
        let index = cluster
            .config
            .acceptors
            .iter()
            .position(|a| a.name == name)
            .ok_or_else(|| format!("acceptor {name:?} is not in the cluster"))?;
        let id = AcceptorId::new(index).ok_or("too many acceptors")?;
        if cluster.keys[index] != key.verifying_key() {
            return Err(format!(
                "private key does not match the public key of acceptor {name} in the cluster"
            ));
        }
        Ok(Self {
            cluster,
            id,
            name: name.to_string(),
            key,
        })
    }

    /// The signer of this acceptor.
    pub fn signer(&self) -> Arc<Ed25519Signer> {
        Arc::new(Ed25519Signer::new(
            self.id,
            self.key.clone(),
            self.cluster.context,
        ))
    }

    /// The address this acceptor listens on, per the cluster.
    pub fn address(&self) -> &str {
        &self.cluster.config.acceptors[self.id.index()].address
    }
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

fn summarize(desc: &GraphDescription) -> String {
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

fn check_address(address: &str) -> Result<(), String> {
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err(format!("address {address:?} is not host:port"));
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!("address {address:?} is not host:port"));
    }
    Ok(())
}

/// Parses 32 bytes written as 64 hex digits; the error never echoes the input.
fn parse_hex32(s: &str) -> Result<[u8; 32], String> {
    let s = s.trim();
    if s.len() != 64 {
        return Err(format!("must be 64 hex digits, got {} characters", s.len()));
    }
    let v =
        hex::decode(s).map_err(|_| "contains a character that is not a hex digit".to_string())?;
    <[u8; 32]>::try_from(v.as_slice()).map_err(|_| "must be 32 bytes".to_string())
}

fn read(path: &Path) -> Result<serde_json::Value, ConfigError> {
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

fn cluster_of(path: &Path, config: pb::ClusterConfig) -> Result<Cluster, ConfigError> {
    Cluster::new(config).map_err(|(kind, message)| ConfigError {
        path: path.display().to_string(),
        message: one_line(&message),
        kind,
    })
}

/// Loads a cluster from `cluster.json`, or from an acceptor config (whose
/// private key is then ignored).
pub fn load_cluster(path: &Path) -> Result<Cluster, ConfigError> {
    let v = read(path)?;
    let config = if v.get("cluster").is_some() {
        let a: pb::AcceptorConfig = parse(path, "acceptor config", v)?;
        a.cluster.unwrap_or_default()
    } else {
        parse(path, "cluster config", v)?
    };
    cluster_of(path, config)
}

/// Loads an acceptor config: its cluster, name and private key.
pub fn load_acceptor(path: &Path) -> Result<AcceptorSetup, ConfigError> {
    let v = read(path)?;
    if v.get("cluster").is_none() {
        return Err(ConfigError::bad(
            path,
            "not an acceptor config (no \"cluster\" field; is this cluster.json?)",
        ));
    }
    let a: pb::AcceptorConfig = parse(path, "acceptor config", v)?;
    let cluster = cluster_of(path, a.cluster.unwrap_or_default())?;
    let seed = parse_hex32(&a.private_key)
        .map_err(|m| ConfigError::bad(path, format!("private key {m}")))?;
    AcceptorSetup::new(cluster, &a.name, SigningKey::from_bytes(&seed))
        .map_err(|m| ConfigError::bad(path, m))
}

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
    sets: Vec<Vec<String>>,
}

/// A learner graph read from a hand-written graph file.
#[derive(Debug, Clone)]
pub struct GraphSpec {
    /// The graph by names.
    pub description: GraphDescription,
    /// Addresses given in the file, by acceptor index.
    pub addresses: Vec<Option<String>>,
}

/// Parses a graph file's JSON (see the shape); structure only.
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
        let qs: Vec<Vec<String>> = serde_json::from_value(qs)
            .map_err(|e| format!("learner {name}: quorums must be lists of acceptor names: {e}"))?;
        learners.push((name, qs));
    }
    let safe_sets = g
        .safe_sets
        .into_iter()
        .map(|e| {
            let [a, b] = e.between;
            ((a, b), e.sets)
        })
        .collect();
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

/// Acceptor names become file names: letters, digits, `_`, `-`, `.` only.
fn check_names(desc: &GraphDescription) -> Result<(), String> {
    for n in &desc.acceptors {
        let ok = !n.is_empty()
            && n != "cluster"
            && !n.starts_with('.')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if !ok {
            return Err(format!(
                "acceptor name {n:?} must be letters, digits, '_', '-' or '.' (and not \"cluster\")"
            ));
        }
    }
    Ok(())
}

/// `check FILE`: validates a graph file, a cluster config or an acceptor
/// config; returns a one-line summary.
pub fn check_file(path: &Path) -> Result<String, ConfigError> {
    let v = read(path)?;
    let is_graph = v.get("learners").is_some_and(serde_json::Value::is_object);
    if is_graph {
        let spec = load_graph(path)?;
        let graph = LearnerGraph::from_description(&spec.description)
            .map_err(|e| ConfigError::bad(path, e.to_string()))?;
        graph.validate().map_err(|v| ConfigError {
            path: path.display().to_string(),
            message: format!("invalid learner graph: {v}"),
            kind: ErrorKind::InvalidGraph,
        })?;
        Ok(format!("graph {}", summarize(&spec.description)))
    } else if v.get("cluster").is_some() {
        let a = load_acceptor(path)?;
        Ok(format!(
            "acceptor config of {}, cluster {}",
            a.name,
            a.cluster.summary()
        ))
    } else {
        Ok(format!("cluster config, {}", load_cluster(path)?.summary()))
    }
}

/// The description of [`examples::homogeneous`]: `n` acceptors `A`, `B`, …,
/// learners `L0`, `L1`, …, all `(n − f)`-subsets as quorums and safe sets.
pub fn homogeneous(n: usize, learners: usize) -> Result<GraphDescription, String> {
    if n == 0 || learners == 0 {
        return Err("need at least one acceptor and one learner".into());
    }
    let f = (n - 1) / 3;
    let count = binomial(n, n - f);
    if n > 64 || count > hetpaxos_quorums::MAX_SAFE_SETS_PER_EDGE as u128 {
        return Err(format!(
            "{n} acceptors would give {count} quorums per learner (at most {})",
            hetpaxos_quorums::MAX_SAFE_SETS_PER_EDGE
        ));
    }
    let g = examples::homogeneous(n, learners).map_err(|e| e.to_string())?;
    let names = |s: hetpaxos_quorums::AcceptorSet| {
        s.iter()
            .map(|a| g.acceptor_name(a).to_string())
            .collect::<Vec<_>>()
    };
    let ls: Vec<_> = g.learner_ids().collect();
    let mut safe_sets = Vec::new();
    for (i, &a) in ls.iter().enumerate() {
        for &b in &ls[i..] {
            safe_sets.push((
                (g.learner_name(a).to_string(), g.learner_name(b).to_string()),
                g.given_safe_sets(a, b).iter().map(|&s| names(s)).collect(),
            ));
        }
    }
    Ok(GraphDescription {
        acceptors: g
            .acceptor_ids()
            .map(|a| g.acceptor_name(a).to_string())
            .collect(),
        learners: ls
            .iter()
            .map(|&l| {
                (
                    g.learner_name(l).to_string(),
                    g.quorums(l).iter().map(|&s| names(s)).collect(),
                )
            })
            .collect(),
        safe_sets,
    })
}

fn binomial(n: usize, k: usize) -> u128 {
    let mut r: u128 = 1;
    for i in 0..k.min(n - k) {
        r = r * (n - i) as u128 / (i + 1) as u128;
    }
    r
}

/// A generated cluster: the public config and each acceptor's config.
#[derive(Clone)]
pub struct Generated {
    /// `cluster.json`.
    pub cluster: pb::ClusterConfig,
    /// `<name>.json` per acceptor, in index order.
    pub acceptors: Vec<pb::AcceptorConfig>,
}

impl std::fmt::Debug for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generated")
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

/// Generates fresh Ed25519 keys and the configs for `desc`, with
/// `addresses[i]` for acceptor `i`. Checks the graph first.
pub fn generate(desc: &GraphDescription, addresses: &[String]) -> Result<Generated, ConfigError> {
    let here = "generated cluster";
    check_names(desc).map_err(|m| ConfigError::bad(here, m))?;
    let graph =
        LearnerGraph::from_description(desc).map_err(|e| ConfigError::bad(here, e.to_string()))?;
    graph.validate().map_err(|v| ConfigError {
        path: here.into(),
        message: format!("invalid learner graph: {v}"),
        kind: ErrorKind::InvalidGraph,
    })?;
    let mut rng = rand::rngs::OsRng;
    let keys: Vec<SigningKey> = desc
        .acceptors
        .iter()
        .map(|_| SigningKey::generate(&mut rng))
        .collect();
    let names = |s: &Vec<String>| pb::AcceptorNames {
        acceptors: s.clone(),
    };
    let cluster = pb::ClusterConfig {
        acceptors: desc
            .acceptors
            .iter()
            .zip(&keys)
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
            .map(|(name, qs)| pb::LearnerInfo {
                name: name.clone(),
                quorums: qs.iter().map(names).collect(),
            })
            .collect(),
        safe_sets: desc
            .safe_sets
            .iter()
            .map(|((a, b), sets)| pb::SafeSets {
                learner_a: a.clone(),
                learner_b: b.clone(),
                sets: sets.iter().map(names).collect(),
            })
            .collect(),
    };
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
    Ok(Generated { cluster, acceptors })
}

/// Writes `DIR/cluster.json` (mode 0644) and `DIR/<acceptor>.json` (mode
/// 0600), plus `DIR/<prefix>_<i>_config.json` (0600) per acceptor when
/// `prefix` is given. Refuses to overwrite any existing file unless `force`,
/// checking all paths before writing any. Returns the paths written.
pub fn write_configs(
    dir: &Path,
    generated: &Generated,
    prefix: Option<&str>,
    force: bool,
) -> Result<Vec<PathBuf>, ConfigError> {
    let json = |v: &dyn erased::Json| v.to_json();
    let mut files: Vec<(PathBuf, String, u32)> =
        vec![(dir.join("cluster.json"), json(&generated.cluster), 0o644)];
    for (i, a) in generated.acceptors.iter().enumerate() {
        files.push((dir.join(format!("{}.json", a.name)), json(a), 0o600));
        if let Some(p) = prefix {
            files.push((dir.join(format!("{p}_{i}_config.json")), json(a), 0o600));
        }
    }
    if !force {
        for (p, _, _) in &files {
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
    for (p, text, mode) in &files {
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
