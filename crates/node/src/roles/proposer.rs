//! The proposer role.

use super::{NodeHandle, connectors, deadline, identity, now_nanos, shows, sleep_until};
use crate::metrics::Metrics;
use crate::net::{Event, Hub, NetConfig};
use hetpaxos_config::ClientSetup;
use hetpaxos_learner::Decision;
use hetpaxos_messages::Message;
use hetpaxos_proposer::{Effect as PEffect, Input as PInput, Proposer, ProposerConfig};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::info;

/// Starts a proposer of `value` as the proposer client `client` (it signs
/// its 1as with the client's key); decisions it observes arrive on the
/// returned channel, which closes when the proposer stops. Fails if `client`
/// is not a proposer.
pub fn spawn_proposer(
    client: &ClientSetup,
    value: Vec<u8>,
    config: ProposerConfig,
    net: NetConfig,
) -> anyhow::Result<(NodeHandle, mpsc::Receiver<Decision>)> {
    spawn_proposer_metered(client, value, config, net, &Metrics::new(), None)
}

/// [`spawn_proposer`], reporting into `metrics`, and connecting at once but
/// proposing only when `start` fires (or is dropped), if given.
pub fn spawn_proposer_metered(
    client: &ClientSetup,
    value: Vec<u8>,
    config: ProposerConfig,
    net: NetConfig,
    metrics: &Metrics,
    start: Option<tokio::sync::oneshot::Receiver<()>>,
) -> anyhow::Result<(NodeHandle, mpsc::Receiver<Decision>)> {
    let Some(signer) = client.proposal_signer() else {
        anyhow::bail!(
            "{} is a {}, not a proposer",
            client.name,
            client.role.name()
        );
    };
    let cluster = &client.cluster;
    let identity = identity(client.key(), &net)?;
    let (events, mut inbox) = mpsc::channel(net.inbox);
    let (decided, decisions) = mpsc::channel(cluster.graph.num_learners().max(1));
    let mut proposer = Proposer::new(
        cluster.graph.clone(),
        // Signatures are checked in the stream tasks (crate::net).
        std::sync::Arc::new(hetpaxos_messages::PreVerified),
        signer,
        value,
        config,
    );
    let shows = shows(cluster, false);
    let history = shows.history.clone();
    let role = tokio::spawn(async move {
        let mut hub = Hub::default();
        // The latest 1a, replayed to every new stream.
        let mut latest: Option<Message> = None;
        let mut timer: Option<Instant> = None;
        if let Some(start) = start {
            // Streams registered meanwhile get the 1a live.
            tokio::pin!(start);
            loop {
                tokio::select! {
                    _ = &mut start => break,
                    ev = inbox.recv() => match ev {
                        None => return,
                        Some(Event::Peer(reg)) => hub.add(reg, Vec::new()),
                        Some(Event::Message { message, .. }) => {
                            proposer.handle(PInput::Receive(message));
                        }
                    },
                }
            }
        }
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
                    Some(Event::Message { message, .. }) => {
                        effects = proposer.handle(PInput::Receive(message));
                        // Shown to acceptors, so that they send what it lacks.
                        let store = proposer.observer().store();
                        history.extend(store.messages_from(history.len()));
                    }
                },
                () = sleep_until(timer) => {
                    timer = None;
                    effects = proposer.handle(PInput::Timer { now: now_nanos(), random: rand::random() });
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
        metrics,
        &shows,
    ));
    Ok((NodeHandle { tasks }, decisions))
}
