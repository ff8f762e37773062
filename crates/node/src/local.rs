//! A local cluster on loopback over real gRPC (free ports), for the
//! `hetpaxos-cluster` demo and the tests.

use crate::{NetConfig, NodeHandle, spawn_acceptor};
use hetpaxos_config_gen::{AcceptorSetup, Cluster, generate};
use hetpaxos_quorums::GraphDescription;
use tokio::net::TcpListener;

/// Acceptors of a generated cluster running in this process.
#[derive(Debug)]
pub struct LocalCluster {
    /// The cluster (public).
    pub cluster: Cluster,
    /// Each acceptor's setup, by index.
    pub setups: Vec<AcceptorSetup>,
    /// Running acceptors (`None`: down).
    pub acceptors: Vec<Option<NodeHandle>>,
    /// Listeners of acceptors not started yet.
    listeners: Vec<Option<TcpListener>>,
}

impl LocalCluster {
    /// Binds a free 127.0.0.1 port per acceptor and generates fresh keys;
    /// starts no acceptor yet.
    pub async fn bind(desc: &GraphDescription) -> anyhow::Result<Self> {
        let mut listeners = Vec::new();
        let mut addresses = Vec::new();
        for _ in &desc.acceptors {
            let l = crate::bind("127.0.0.1:0").await?;
            addresses.push(l.local_addr()?.to_string());
            listeners.push(Some(l));
        }
        let generated = generate(desc, &addresses)?;
        let cluster =
            Cluster::new(generated.cluster.clone()).map_err(|(_, m)| anyhow::anyhow!(m))?;
        let mut setups = Vec::new();
        for a in &generated.acceptors {
            let seed = hex::decode(&a.private_key)?;
            let seed: [u8; 32] = seed
                .try_into()
                .map_err(|_| anyhow::anyhow!("bad generated key"))?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            setups.push(
                AcceptorSetup::new(cluster.clone(), &a.name, key).map_err(anyhow::Error::msg)?,
            );
        }
        let acceptors = desc.acceptors.iter().map(|_| None).collect();
        Ok(Self {
            cluster,
            setups,
            acceptors,
            listeners,
        })
    }

    /// Starts acceptor `i` (once; its port stays reserved until then).
    pub fn start(&mut self, i: usize, net: NetConfig) {
        if let Some(l) = self.listeners.get_mut(i).and_then(Option::take) {
            self.acceptors[i] = Some(spawn_acceptor(&self.setups[i], l, net));
        }
    }

    /// Starts every acceptor not in `down`; the others' ports are closed.
    pub fn start_all_but(&mut self, down: &[usize], net: NetConfig) {
        for i in 0..self.setups.len() {
            if down.contains(&i) {
                self.listeners[i] = None;
            } else {
                self.start(i, net);
            }
        }
    }

    /// Stops acceptor `i` (a crash).
    pub fn stop(&mut self, i: usize) {
        if let Some(slot) = self.acceptors.get_mut(i) {
            *slot = None;
        }
    }
}
