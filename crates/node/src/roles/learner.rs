//! The learner role: every learner of the cluster, in one task.

use super::{NodeHandle, connectors, identity, shows};
use crate::fetch::{Asks, Fetcher};
use crate::metrics::Metrics;
use crate::net::{Event, Hub, NetConfig};
use hetpaxos_config::ClientSetup;
use hetpaxos_learner::{Learner, LearnerEvent};
use hetpaxos_messages::PendingLimits;
use tokio::sync::mpsc;
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
        // Signatures are checked in the stream tasks (crate::net).
        std::sync::Arc::new(hetpaxos_messages::PreVerified),
        PendingLimits::default(),
    );
    let fetch_limits = net.fetch;
    let connector_metrics = metrics.clone();
    let shows = shows(cluster, false);
    let history = shows.history.clone();
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
                    metrics.report(learner.store(), learner.pending(), fetcher.stats());
                    fetcher.retry(&hub.ids(), learner.pending(), &mut asks);
                    hub.send_asks(&mut asks);
                    continue;
                }
            };
            match ev {
                Event::Peer(reg) => hub.add(reg, Vec::new()),
                Event::Message { from, message } => {
                    let events = learner.receive(message.clone());
                    // Shown to acceptors, so that they send what it lacks.
                    history.extend(learner.store().messages_from(history.len()));
                    let (store, pending) = (learner.store(), learner.pending());
                    fetcher.received(&message, from, store, pending, &mut asks);
                    hub.send_asks(&mut asks);
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
                                // (Caught acceptors are counted from the
                                // store, by `Metrics::report`.)
                                if matches!(e, LearnerEvent::Decided(_)) {
                                    metrics.decisions.inc();
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
        &shows,
    ));
    Ok((NodeHandle { tasks }, reports))
}
