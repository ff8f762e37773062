//! The learner role: every learner of the cluster, in one task.

use super::{NodeHandle, connectors, identity};
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
    let cluster = &client.cluster;
    let identity = identity(client.key(), &net)?;
    let (events, mut inbox) = mpsc::channel(net.inbox);
    let (report, reports) = mpsc::channel(cluster.graph.num_learners().max(1) + 16);
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
                            LearnerEvent::Rejected { reason, .. } => {
                                debug!(%reason, class = reason.class(), "rejected");
                            }
                            LearnerEvent::Accepted(_) => {}
                            e @ (LearnerEvent::Decided(_)
                            | LearnerEvent::Caught { .. }
                            | LearnerEvent::Conflict { .. }) => {
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
    ));
    Ok((NodeHandle { tasks }, reports))
}
