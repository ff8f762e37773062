//! Generation of hetpaxos cluster configurations: fresh Ed25519 keys for the
//! acceptors and for one learner client and one proposer, the files of
//! `proto/config.proto` (`cluster.json`, `<acceptor>.json`, `learner.json`,
//! `proposer.json`), adding clients to an existing cluster, and the
//! `hetpaxos-config-gen` command line. Loading and validation are in
//! `hetpaxos-config`.
#![forbid(unsafe_code)]

use ed25519_dalek::SigningKey;
use hetpaxos_config::{
    Cluster, ConfigError, ErrorKind, Role, check_names, context_of, load_cluster, pb, read,
};
use hetpaxos_quorums::{GraphDescription, LearnerGraph, examples};
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

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

fn fresh_key() -> SigningKey {
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
        ConfigError::new(
            here,
            format!("invalid learner graph: {v}"),
            ErrorKind::InvalidGraph,
        )
    })?;
    let keys: Vec<SigningKey> = desc.acceptors.iter().map(|_| fresh_key()).collect();
    let names = |s: &Vec<String>| pb::AcceptorNames {
        acceptors: s.clone(),
    };
    let clients: Vec<(Role, &str, SigningKey)> = learners
        .iter()
        .map(|n| (Role::Learner, *n, fresh_key()))
        .chain(proposers.iter().map(|n| (Role::Proposer, *n, fresh_key())))
        .collect();
    let listed = |role: Role| -> Vec<pb::ClientInfo> {
        clients
            .iter()
            .filter(|(r, _, _)| *r == role)
            .map(|(_, n, k)| client_info(n, k))
            .collect()
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
        learner_clients: listed(Role::Learner),
        proposers: listed(Role::Proposer),
    };
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
