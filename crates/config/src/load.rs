//! Reading configuration files: a cluster, an acceptor's config, a client's
//! config, and `check`.

use crate::cluster::{Cluster, Role, cluster_at, parse_hex32};
use crate::error::{ConfigError, ErrorKind};
use crate::graph_file::load_graph;
use crate::pb;
use crate::setup::{AcceptorSetup, ClientSetup};
use ed25519_dalek::SigningKey;
use hetpaxos_quorums::LearnerGraph;
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
/// config (whose private key is then ignored).
pub fn load_cluster(path: &Path) -> Result<Cluster, ConfigError> {
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
    cluster_at(path, config)
}

fn private_key(path: &Path, hex: &str) -> Result<SigningKey, ConfigError> {
    let seed = parse_hex32(hex).map_err(|m| ConfigError::bad(path, format!("private key {m}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Loads an acceptor config: its cluster, name and private key.
pub fn load_acceptor(path: &Path) -> Result<AcceptorSetup, ConfigError> {
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
    let cluster = cluster_at(path, a.cluster.unwrap_or_default())?;
    let key = private_key(path, &a.private_key)?;
    AcceptorSetup::new(cluster, &a.name, key).map_err(|m| ConfigError::bad(path, m))
}

/// Loads a client config of `role`: its cluster, name and private key.
/// `cluster.json` (no key) or another role's config is refused with a line
/// naming the file to use.
pub fn load_client(path: &Path, role: Role) -> Result<ClientSetup, ConfigError> {
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
    let cluster = cluster_at(path, c.cluster.unwrap_or_default())?;
    let key = private_key(path, &c.private_key)?;
    ClientSetup::new(cluster, role, &c.name, key).map_err(|m| ConfigError::bad(path, m))
}

/// `check FILE`: validates a graph file, a cluster config, an acceptor's or a
/// client's config; returns a one-line summary.
pub fn check_file(path: &Path) -> Result<String, ConfigError> {
    let v = read(path)?;
    let is_graph = v.get("learners").is_some_and(serde_json::Value::is_object);
    if is_graph {
        let spec = load_graph(path)?;
        let graph = LearnerGraph::from_description(&spec.description)
            .map_err(|e| ConfigError::bad(path, e.to_string()))?;
        graph.validate().map_err(|v| {
            ConfigError::new(
                path,
                format!("invalid learner graph: {v}"),
                ErrorKind::InvalidGraph,
            )
        })?;
        return Ok(format!(
            "graph {}",
            crate::cluster::summarize(&spec.description)
        ));
    }
    match kind_of(&v) {
        Kind::Acceptor => {
            let a = load_acceptor(path)?;
            Ok(format!(
                "acceptor config of {}, cluster {}",
                a.name,
                a.cluster.summary()
            ))
        }
        Kind::Client => {
            let role = v
                .get("role")
                .and_then(serde_json::Value::as_str)
                .and_then(Role::parse)
                .unwrap_or(Role::Learner);
            let c = load_client(path, role)?;
            Ok(format!(
                "{} config of {}, cluster {}",
                role.name(),
                c.name,
                c.cluster.summary()
            ))
        }
        Kind::Cluster => Ok(format!("cluster config, {}", load_cluster(path)?.summary())),
    }
}
