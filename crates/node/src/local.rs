//! A local cluster on loopback over real gRPC (free ports), for the
//! `hetpaxos-cluster` demo and the tests. Each acceptor has a data
//! directory (temporary unless a root is given), so acceptors can be killed
//! and restarted from their logs.

use crate::metrics::Metrics;
use crate::{AcceptorHandle, NetConfig, Storage, open_acceptor, serve_acceptor_metered};
use ed25519_dalek::SigningKey;
use hetpaxos_acceptor::AcceptorLimits;
use hetpaxos_config::{AcceptorSetup, ClientSetup, Cluster, GraphCheck, Role, check_names};
use hetpaxos_config_gen::{cluster_config, fresh_key};
use hetpaxos_quorums::GraphDescription;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

/// Acceptors of a generated cluster running in this process.
#[derive(Debug)]
pub struct LocalCluster {
    /// The cluster (public).
    pub cluster: Cluster,
    /// Each acceptor's setup, by index.
    pub setups: Vec<AcceptorSetup>,
    /// The learner client (any number of learner processes may use it).
    pub learner: ClientSetup,
    /// The proposers `proposer` and `proposer2` (each with its own key; any
    /// number of proposer processes may use one).
    pub proposers: Vec<ClientSetup>,
    acceptors: Vec<Option<AcceptorHandle>>,
    /// Listeners reserved for acceptors not started yet.
    listeners: Vec<Option<TcpListener>>,
    root: PathBuf,
    /// Deletes a temporary root when the cluster is dropped.
    _temporary: Option<tempfile::TempDir>,
}

impl LocalCluster {
    /// Binds a free 127.0.0.1 port per acceptor and generates fresh keys, with
    /// data directories in a temporary directory; starts no acceptor yet.
    pub async fn bind(desc: &GraphDescription) -> anyhow::Result<Self> {
        Self::bind_in(desc, None).await
    }

    /// [`LocalCluster::bind`] with the data directories under `root` (one per
    /// acceptor, named after it), or in a temporary directory when `None`.
    /// `root` must be missing or empty: the keys are fresh, so data
    /// directories of an earlier cluster would be refused.
    pub async fn bind_in(desc: &GraphDescription, root: Option<&Path>) -> anyhow::Result<Self> {
        Self::bind_with(desc, root, GraphCheck::Strict).await
    }

    /// [`LocalCluster::bind_in`], with `check` deciding whether a learner
    /// graph whose validity is undecided within the work budget runs
    /// ([`GraphCheck`]; a graph with a violation never does).
    pub async fn bind_with(
        desc: &GraphDescription,
        root: Option<&Path>,
        check: GraphCheck,
    ) -> anyhow::Result<Self> {
        check_names(desc).map_err(anyhow::Error::msg)?;
        let (root, temporary) = match root {
            Some(r) => {
                let used = std::fs::read_dir(r).is_ok_and(|mut d| d.next().is_some());
                if used {
                    anyhow::bail!(
                        "{}: not empty; a local cluster has fresh keys, so it needs a new \
                         directory for its acceptors' data",
                        r.display()
                    );
                }
                (r.to_path_buf(), None)
            }
            None => {
                let t = tempfile::Builder::new().prefix("hetpaxos-").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let mut listeners = Vec::new();
        let mut addresses = Vec::new();
        for _ in &desc.acceptors {
            let l = crate::bind("127.0.0.1:0").await?;
            addresses.push(l.local_addr()?.to_string());
            listeners.push(Some(l));
        }
        let acceptor_keys: Vec<SigningKey> = desc.acceptors.iter().map(|_| fresh_key()).collect();
        let learner_key = fresh_key();
        let proposer_keys: Vec<(&str, SigningKey)> = ["proposer", "proposer2"]
            .into_iter()
            .map(|name| (name, fresh_key()))
            .collect();
        let clients: Vec<(Role, &str, &SigningKey)> =
            std::iter::once((Role::Learner, "learner", &learner_key))
                .chain(proposer_keys.iter().map(|(n, k)| (Role::Proposer, *n, k)))
                .collect();
        let config = cluster_config(desc, &acceptor_keys, &addresses, &clients);
        let cluster = Cluster::new_with(config, check).map_err(|(_, m)| anyhow::anyhow!(m))?;
        let mut setups = Vec::new();
        for (name, key) in desc.acceptors.iter().zip(acceptor_keys) {
            setups
                .push(AcceptorSetup::new(cluster.clone(), name, key).map_err(anyhow::Error::msg)?);
        }
        let learner = ClientSetup::new(cluster.clone(), Role::Learner, "learner", learner_key)
            .map_err(anyhow::Error::msg)?;
        let mut proposers = Vec::new();
        for (name, key) in proposer_keys {
            proposers.push(
                ClientSetup::new(cluster.clone(), Role::Proposer, name, key)
                    .map_err(anyhow::Error::msg)?,
            );
        }
        let acceptors = desc.acceptors.iter().map(|_| None).collect();
        Ok(Self {
            cluster,
            setups,
            learner,
            proposers,
            acceptors,
            listeners,
            root,
            _temporary: temporary,
        })
    }

    /// Number of acceptors.
    pub fn len(&self) -> usize {
        self.setups.len()
    }

    /// The proposer client for the `i`-th of several proposers (they take
    /// turns among the configured ones).
    pub fn proposer(&self, i: usize) -> &ClientSetup {
        &self.proposers[i % self.proposers.len()]
    }

    /// Whether the cluster has no acceptor.
    pub fn is_empty(&self) -> bool {
        self.setups.is_empty()
    }

    /// The data directory of acceptor `i`.
    pub fn data_dir(&self, i: usize) -> PathBuf {
        let name = self.setups.get(i).map_or("?", |s| s.name.as_str());
        self.root.join(name)
    }

    /// Whether acceptor `i` was started and not killed since.
    pub fn is_up(&self, i: usize) -> bool {
        self.acceptors.get(i).is_some_and(Option::is_some)
    }

    /// Acceptors that were started, not killed, and stopped by themselves (a
    /// failed log write or sync, or a halt).
    pub fn stopped_by_themselves(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| {
                self.acceptors
                    .get(i)
                    .and_then(Option::as_ref)
                    .is_some_and(|a| !a.is_running())
            })
            .collect()
    }

    /// Starts acceptor `i` from its data directory (recovering what its log
    /// holds) on its port. No-op if it runs.
    pub async fn start(&mut self, i: usize, net: NetConfig) -> anyhow::Result<()> {
        self.start_metered(i, net, Metrics::new()).await
    }

    /// [`LocalCluster::start`], reporting into `metrics`.
    pub async fn start_metered(
        &mut self,
        i: usize,
        net: NetConfig,
        metrics: Metrics,
    ) -> anyhow::Result<()> {
        if i >= self.len() || self.is_up(i) {
            return Ok(());
        }
        let listener = match self.listeners[i].take() {
            Some(l) => l,
            None => crate::bind(self.setups[i].address()).await?,
        };
        let storage = Storage::DataDir(self.data_dir(i));
        let opened = open_acceptor(&self.setups[i], &storage, AcceptorLimits::default())?;
        self.acceptors[i] = Some(serve_acceptor_metered(opened, listener, net, metrics)?);
        Ok(())
    }

    /// Starts every acceptor not in `down`; the others' ports are closed.
    pub async fn start_all_but(&mut self, down: &[usize], net: NetConfig) -> anyhow::Result<()> {
        for i in 0..self.len() {
            if down.contains(&i) {
                self.listeners[i] = None;
            } else {
                self.start(i, net).await?;
            }
        }
        Ok(())
    }

    /// Kills acceptor `i` as a crash (what its log had not written is lost)
    /// and waits until its data directory is unlocked.
    pub async fn kill(&mut self, i: usize) {
        if let Some(a) = self.acceptors.get_mut(i).and_then(Option::take) {
            a.kill().await;
        }
    }

    /// Stops acceptor `i` gracefully (its log synced).
    pub async fn shutdown(&mut self, i: usize) -> anyhow::Result<()> {
        match self.acceptors.get_mut(i).and_then(Option::take) {
            Some(a) => a.shutdown().await,
            None => Ok(()),
        }
    }

    /// Kills acceptor `i` and starts it again from its log.
    pub async fn restart(&mut self, i: usize, net: NetConfig) -> anyhow::Result<()> {
        self.kill(i).await;
        self.start(i, net).await
    }
}
