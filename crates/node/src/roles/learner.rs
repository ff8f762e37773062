//! The learner role: every learner of the cluster, in one task.

use super::{NodeHandle, connectors, identity};
use crate::fetch::{Asks, Fetcher};
use crate::metrics::Metrics;
use crate::net::{Event, Hub, NetConfig};
use hetpaxos_config::ClientSetup;
use hetpaxos_learner::{Learner, LearnerEvent};
use hetpaxos_messages::PendingLimits;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::debug;

/// Starts a learner process for every learner of the cluster, as the learner
/// client `client`. What operators
/// need arrives on the returned channel: each learner's decision
/// ([`LearnerEvent::Decided`], once per learner), proof that an acceptor
/// equivocated ([`LearnerEvent::Caught`], once per acceptor) and a second
/// quorum for another value after a decision ([`LearnerEvent::Conflict`]).
pub fn spawn_learner(
    client: &ClientSetup,
    net: NetConfig,
) -> anyhow::Result<(NodeHandle, mpsc::Receiver<LearnerEvent>)> {
    spawn_learner_metered(client, net, Metrics::new())
}

/// [`spawn_learner`], reporting into `metrics` (serve them with
/// [`Metrics::serve`]).
pub fn spawn_learner_metered(
    client: &ClientSetup,
    net: NetConfig,
    metrics: Metrics,
) -> anyhow::Result<(NodeHandle, mpsc::Receiver<LearnerEvent>)> {
    let cluster = &client.cluster;
    let identity = identity(client.key(), &net)?;
    let (events, mut inbox) = mpsc::channel(net.inbox);
    let (report, reports) = mpsc::channel(cluster.graph.num_learners().max(1) + 16);
    let mut learner = Learner::new(
        cluster.graph.clone(),
        cluster.verifier(),
        PendingLimits::default(),
    );
    let fetch_limits = net.fetch;
    let connector_metrics = metrics.clone();
    let role = tokio::spawn(async move {
        let mut hub = Hub::default();
        let mut fetcher = Fetcher::new(fetch_limits);
        let mut asks = Asks::new();
        let mut retry = tokio::time::interval(fetch_limits.retry / 2);
        retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let ev = tokio::select! {
                ev = inbox.recv() => match ev {
                    Some(ev) => ev,
                    None => return,
                },
                _ = retry.tick() => {
                    let (store, pending) = (learner.store(), learner.pending());
                    metrics.store_messages.set(store.len() as i64);
                    metrics.pending_messages.set(pending.len() as i64);
                    metrics.pending_bytes.set(pending.bytes() as i64);
                    let f = fetcher.stats();
                    Metrics::raise_to(&metrics.fetches, "asked", f.asked);
                    Metrics::raise_to(&metrics.fetches, "arrived", f.arrived);
                    Metrics::raise_to(&metrics.fetches, "given_up", f.given_up);
                    let peers = hub.ids();
                    fetcher.tick(
                        Instant::now(),
                        &peers,
                        |id| pending.waiting_for(id).next().is_some(),
                        &mut asks,
                    );
                    hub.send_asks(&mut asks);
                    continue;
                }
            };
            match ev {
                Event::Peer(reg) => hub.add(reg, Vec::new()),
                // A learner serves no one.
                Event::Want { .. } => {}
                Event::Message { from, message } => {
                    let id = message.id();
                    let refs = message.refs().to_vec();
                    let events = learner.receive(message);
                    if learner.store().contains(&id) {
                        fetcher.arrived(&id);
                    } else if learner.pending().holds(&id) {
                        let (store, pending) = (learner.store(), learner.pending());
                        for r in refs {
                            if !store.contains(&r) && !pending.holds(&r) && !pending.is_rejected(&r)
                            {
                                fetcher.want(r, from, Instant::now(), &mut asks);
                            }
                        }
                        hub.send_asks(&mut asks);
                    }
                    for e in events {
                        match e {
                            LearnerEvent::Rejected { reason, .. } => {
                                metrics.refuse(reason.class());
                                debug!(%reason, class = reason.class(), "rejected");
                            }
                            LearnerEvent::Accepted(_) => {
                                metrics.accepted.inc();
                            }
                            e @ (LearnerEvent::Decided(_)
                            | LearnerEvent::Caught { .. }
                            | LearnerEvent::Conflict { .. }) => {
                                if matches!(e, LearnerEvent::Decided(_)) {
                                    metrics.decisions.inc();
                                } else if matches!(e, LearnerEvent::Caught { .. }) {
                                    metrics.caught_acceptors.inc();
                                }
                                if report.send(e).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                }
            }
        }
    });
    let mut tasks = vec![role];
    tasks.extend(connectors(
        cluster,
        &client.member(),
        identity.as_ref(),
        |_| true,
        &events,
        net,
        &connector_metrics,
    ));
    Ok((NodeHandle { tasks }, reports))
}
