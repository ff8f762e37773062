//! The role tasks: one task owns each state machine.

use crate::net::{Event, Hub, NetConfig, Service, connector};
use crate::rpc::acceptor_server::AcceptorServer;
use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Effect as AEffect, Input as AInput};
use hetpaxos_config_gen::{AcceptorSetup, Cluster};
use hetpaxos_learner::{Decision, Learner, LearnerEvent};
use hetpaxos_messages::{Message, PendingLimits};
use hetpaxos_proposer::{Effect as PEffect, Input as PInput, Proposer, ProposerConfig};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

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

async fn sleep_until(at: Option<Instant>) {
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

fn connectors(
    addresses: &[String],
    skip: Option<usize>,
    events: &mpsc::Sender<Event>,
    net: NetConfig,
) -> Vec<JoinHandle<()>> {
    addresses
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != skip)
        .map(|(_, a)| tokio::spawn(connector(a.clone(), events.clone(), net)))
        .collect()
}

/// Starts an acceptor serving on `listener`, connected to every other acceptor.
pub fn spawn_acceptor(setup: &AcceptorSetup, listener: TcpListener, net: NetConfig) -> NodeHandle {
    let cluster = &setup.cluster;
    let (events, mut inbox) = mpsc::channel(net.inbox);
    let mut acceptor = Acceptor::new(
        cluster.graph.clone(),
        setup.signer(),
        cluster.verifier(),
        AcceptorLimits::default(),
    );
    let name = setup.name.clone();
    let role = tokio::spawn(async move {
        let mut hub = Hub::default();
        let apply = |effects: Vec<AEffect>, hub: &mut Hub| {
            for e in effects {
                match e {
                    // In-memory persistence: the message is kept in the store.
                    AEffect::Persist(m) => debug!(acceptor = %name, id = %m.id().0, "persist"),
                    AEffect::Broadcast(m) => hub.broadcast(&m),
                    AEffect::Rejected { id, reason } => {
                        debug!(acceptor = %name, id = %id.0, %reason, "rejected");
                    }
                }
            }
        };
        apply(acceptor.handle(AInput::Tick { now: now_nanos() }), &mut hub);
        loop {
            let wake = acceptor.next_wakeup().map(deadline);
            tokio::select! {
                ev = inbox.recv() => match ev {
                    None => return,
                    Some(Event::Peer(reg)) => {
                        let replay: Vec<Message> = acceptor.store().messages().cloned().collect();
                        hub.add(reg, replay);
                    }
                    Some(Event::Message(m)) => {
                        let mut effects = acceptor.handle(AInput::Tick { now: now_nanos() });
                        effects.extend(acceptor.handle(AInput::Receive(m)));
                        apply(effects, &mut hub);
                    }
                },
                () = sleep_until(wake) => {
                    apply(acceptor.handle(AInput::Tick { now: now_nanos() }), &mut hub);
                }
            }
        }
    });
    let service = AcceptorServer::new(Service {
        events: events.clone(),
        net,
    })
    .max_decoding_message_size(net.limits.max_encoded_bytes)
    .max_encoding_message_size(net.limits.max_encoded_bytes);
    let local = listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let name = setup.name.clone();
    let server = tokio::spawn(async move {
        info!(acceptor = %name, listen = %local, "serving");
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        if let Err(e) = tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(incoming)
            .await
        {
            warn!(acceptor = %name, error = %e, "server stopped");
        }
    });
    let mut tasks = vec![role, server];
    tasks.extend(connectors(
        &cluster.addresses(),
        Some(setup.id.index()),
        &events,
        net,
    ));
    NodeHandle { tasks }
}

/// Starts a learner process for every learner of the cluster; decisions
/// arrive on the returned channel (one per learner).
pub fn spawn_learner(cluster: &Cluster, net: NetConfig) -> (NodeHandle, mpsc::Receiver<Decision>) {
    let (events, mut inbox) = mpsc::channel(net.inbox);
    let (decided, decisions) = mpsc::channel(cluster.graph.num_learners().max(1));
    let mut learner = Learner::new(
        cluster.graph.clone(),
        cluster.verifier(),
        PendingLimits::default(),
    );
    let role = tokio::spawn(async move {
        let mut hub = Hub::default();
        while let Some(ev) = inbox.recv().await {
            match ev {
                Event::Peer(reg) => hub.add(reg, Vec::new()),
                Event::Message(m) => {
                    for e in learner.receive(m) {
                        match e {
                            LearnerEvent::Decided(d) => {
                                if decided.send(d).await.is_err() {
                                    return;
                                }
                            }
                            LearnerEvent::Rejected { reason, .. } => {
                                debug!(%reason, "rejected");
                            }
                            LearnerEvent::Accepted(_) => {}
                        }
                    }
                }
            }
        }
    });
    let mut tasks = vec![role];
    tasks.extend(connectors(&cluster.addresses(), None, &events, net));
    (NodeHandle { tasks }, decisions)
}

/// Starts a proposer of `value`; decisions it observes arrive on the returned
/// channel, which closes when the proposer stops.
pub fn spawn_proposer(
    cluster: &Cluster,
    value: Vec<u8>,
    config: ProposerConfig,
    net: NetConfig,
) -> (NodeHandle, mpsc::Receiver<Decision>) {
    let (events, mut inbox) = mpsc::channel(net.inbox);
    let (decided, decisions) = mpsc::channel(cluster.graph.num_learners().max(1));
    let mut proposer = Proposer::new(cluster.graph.clone(), cluster.verifier(), value, config);
    let role = tokio::spawn(async move {
        let mut hub = Hub::default();
        // The latest 1a, replayed to every new stream.
        let mut latest: Option<Message> = None;
        let mut timer: Option<Instant> = None;
        let mut effects = proposer.handle(PInput::Start {
            now: now_nanos(),
            random: rand::random(),
        });
        loop {
            for e in effects.drain(..) {
                match e {
                    PEffect::Broadcast(m) => {
                        info!(id = %m.id().0, "proposing");
                        hub.broadcast(&m);
                        latest = Some(m);
                    }
                    PEffect::SetTimer { at } => timer = Some(deadline(at)),
                    PEffect::Decided(d) => {
                        // Capacity is the number of learners: never blocks.
                        let _ = decided.try_send(d);
                    }
                    PEffect::Stopped => {
                        info!("proposer stopped");
                        return;
                    }
                }
            }
            tokio::select! {
                ev = inbox.recv() => match ev {
                    None => return,
                    Some(Event::Peer(reg)) => hub.add(reg, latest.iter().cloned().collect()),
                    Some(Event::Message(m)) => effects = proposer.handle(PInput::Receive(m)),
                },
                () = sleep_until(timer) => {
                    timer = None;
                    effects = proposer.handle(PInput::Timer { now: now_nanos(), random: rand::random() });
                }
            }
        }
    });
    let mut tasks = vec![role];
    tasks.extend(connectors(&cluster.addresses(), None, &events, net));
    (NodeHandle { tasks }, decisions)
}
