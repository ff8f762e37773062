//! The role tasks: one task owns each state machine.

mod acceptor;
mod learner;
mod proposer;

pub use acceptor::{
    AcceptorHandle, OpenedAcceptor, open_acceptor, recover_acceptor, serve_acceptor,
    serve_acceptor_metered, start_acceptor,
};
pub use learner::{spawn_learner, spawn_learner_metered};
pub use proposer::{spawn_proposer, spawn_proposer_metered};

use crate::history::History;
use crate::metrics::Metrics;
use crate::net::{Dial, Event, NetConfig, Shows, connector, member_label};
use crate::tls::TlsIdentity;
use ed25519_dalek::SigningKey;
use hetpaxos_config::{Cluster, Member};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Wall-clock nanoseconds since the Unix epoch.
pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The tokio instant at which the wall clock reads `at`.
fn deadline(at: u64) -> Instant {
    Instant::now() + Duration::from_nanos(at.saturating_sub(now_nanos()))
}

pub(crate) async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The tasks of a running node; dropping the handle stops them.
#[derive(Debug, Default)]
pub struct NodeHandle {
    tasks: Vec<JoinHandle<()>>,
}

impl NodeHandle {
    /// Stops the node (as a crash: nothing is flushed).
    pub fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }

    /// Stops the node and waits until its tasks are gone.
    pub async fn stop_and_wait(&mut self) {
        let tasks: Vec<_> = self.tasks.drain(..).collect();
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
    }
}

impl Drop for NodeHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds `addr` with a one-line error naming it (e.g. address in use).
pub async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// This node's TLS identity for `key` (`None` with `--insecure`).
fn identity(key: &SigningKey, net: &NetConfig) -> anyhow::Result<Option<TlsIdentity>> {
    if net.insecure {
        return Ok(None);
    }
    Ok(Some(TlsIdentity::new(key)?))
}

/// An empty history for `cluster`, shown to peers (and, if `serves`, sent
/// from).
fn shows(cluster: &Cluster, serves: bool) -> Shows {
    Shows {
        history: std::sync::Arc::new(History::new(
            cluster.graph.num_acceptors(),
            cluster.proposers.len(),
        )),
        serves,
        verifier: cluster.verifier(),
    }
}

/// Keeps a stream open to each acceptor whose index `dial` approves, as
/// `me` with `identity`, showing `shows`.
#[allow(clippy::too_many_arguments)]
fn connectors(
    cluster: &Cluster,
    me: &Member,
    identity: Option<&TlsIdentity>,
    dial: impl Fn(usize) -> bool,
    events: &mpsc::Sender<Event>,
    net: NetConfig,
    metrics: &Metrics,
    shows: &Shows,
) -> Vec<JoinHandle<()>> {
    let claim = member_label(cluster, me);
    cluster
        .config
        .acceptors
        .iter()
        .enumerate()
        .filter(|(i, _)| dial(*i))
        .map(|(i, a)| {
            let d = Dial {
                address: a.address.clone(),
                tls: identity.map(|id| (id.clone(), cluster.keys[i].to_bytes())),
                claim: claim.clone(),
                metrics: metrics.clone(),
                shows: shows.clone(),
            };
            tokio::spawn(connector(d, events.clone(), net))
        })
        .collect()
}
