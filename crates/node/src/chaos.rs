//! Fault injection on a [`LocalCluster`]: acceptors killed (as crashes) and
//! restarted from their logs at random while proposers compete, then a
//! report of what the learners saw. Used by `hetpaxos-cluster --chaos`.

use crate::local::LocalCluster;
use crate::{NetConfig, spawn_learner, spawn_proposer};
use hetpaxos_learner::{Decision, LearnerEvent};
use hetpaxos_messages::MessageId;
use hetpaxos_proposer::{ProposerConfig, StopRule};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerId};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How to run the chaos.
#[derive(Clone, Debug)]
pub struct ChaosConfig {
    /// How long to kill and restart acceptors.
    pub duration: Duration,
    /// Seed of the choices (which acceptor, when).
    pub seed: u64,
    /// Values of the competing proposers (they keep proposing all along).
    pub values: Vec<Vec<u8>>,
    /// How long to wait for every learner to decide after the chaos.
    pub settle: Duration,
    /// Network parameters.
    pub net: NetConfig,
}

/// What the learners saw.
#[derive(Debug, Default)]
pub struct ChaosReport {
    /// Acceptor kills.
    pub kills: usize,
    /// Acceptor restarts.
    pub restarts: usize,
    /// Each learner's decision.
    pub decisions: BTreeMap<LearnerId, Decision>,
    /// Acceptors proven to have equivocated, with the two messages.
    pub caught: BTreeMap<AcceptorId, (MessageId, MessageId)>,
    /// Conflicts: a decision and a later quorum for another value.
    pub conflicts: Vec<(Decision, Decision)>,
    /// Entangled learners (with every acceptor safe) that decided differently.
    pub disagreements: Vec<(LearnerId, LearnerId)>,
    /// After every acceptor was killed and restarted: whether a new learner
    /// learned exactly the decisions above (`None`: not checked).
    pub relearned: Option<bool>,
    /// Acceptors (by index) that stopped by themselves: a storage failure or
    /// a halt on a foreign own message.
    pub stopped: Vec<usize>,
}

impl ChaosReport {
    /// Whether the run went as it must: every learner decided, no
    /// disagreement, nobody caught, no conflict, nothing lost on restart.
    pub fn ok(&self, learners: usize) -> bool {
        self.decisions.len() == learners
            && self.disagreements.is_empty()
            && self.caught.is_empty()
            && self.conflicts.is_empty()
            && self.stopped.is_empty()
            && self.relearned != Some(false)
    }

    fn record(&mut self, e: LearnerEvent) {
        match e {
            LearnerEvent::Decided(d) => {
                self.decisions.insert(d.learner, d);
            }
            LearnerEvent::Caught { acceptor, evidence } => {
                self.caught.insert(acceptor, evidence);
            }
            LearnerEvent::Conflict { decided, other } => self.conflicts.push((decided, other)),
            LearnerEvent::Accepted(_) | LearnerEvent::Rejected { .. } => {}
        }
    }
}

/// The acceptors of `local` that may go down now, besides those down
/// already, such that every learner keeps a live quorum.
fn killable(local: &LocalCluster, down: AcceptorSet) -> Vec<usize> {
    let graph = &local.cluster.graph;
    (0..local.len())
        .filter(|&i| local.is_up(i))
        .filter(|&i| {
            let Some(a) = AcceptorId::new(i) else {
                return false;
            };
            let mut d = down;
            d.insert(a);
            let up = graph.acceptors().difference(d);
            graph.learner_ids().all(|l| graph.is_quorum(l, up))
        })
        .collect()
}

/// Kills and restarts random acceptors of `local` (all started) for
/// `config.duration` — never more at once than leaves every learner a live
/// quorum — while one proposer per value keeps proposing; then restarts
/// every acceptor, waits for every learner to decide, kills and restarts
/// every acceptor once more and checks that a new learner learns the same.
pub async fn run_chaos(
    local: &mut LocalCluster,
    config: &ChaosConfig,
) -> anyhow::Result<ChaosReport> {
    let net = config.net;
    let mut rng = rand::rngs::StdRng::seed_from_u64(config.seed);
    let mut report = ChaosReport::default();
    let (learner, mut events) = spawn_learner(&local.learner, net)?;
    let proposer_config = ProposerConfig {
        initial_backoff: 50_000_000,
        max_backoff: 400_000_000,
        stop: StopRule::Never,
    };
    let proposers = config
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| spawn_proposer(local.proposer(i), v.clone(), proposer_config, net))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let end = Instant::now() + config.duration;
    let mut down = AcceptorSet::EMPTY;
    while Instant::now() < end {
        let pause = Duration::from_millis(rng.gen_range(50..400));
        drain(&mut events, &mut report, pause).await;
        report.stopped.extend(local.stopped_by_themselves());
        // Restart one that is down, or kill one more.
        let revive: Vec<usize> = (0..local.len()).filter(|&i| !local.is_up(i)).collect();
        let candidates = killable(local, down);
        if !revive.is_empty() && (candidates.is_empty() || rng.gen_bool(0.6)) {
            let i = revive[rng.gen_range(0..revive.len())];
            local.start(i, net).await?;
            report.restarts += 1;
            if let Some(a) = AcceptorId::new(i) {
                down.remove(a);
            }
        } else if !candidates.is_empty() {
            let i = candidates[rng.gen_range(0..candidates.len())];
            local.kill(i).await;
            report.kills += 1;
            if let Some(a) = AcceptorId::new(i) {
                down.insert(a);
            }
        }
    }
    for i in 0..local.len() {
        if !local.is_up(i) {
            local.start(i, net).await?;
            report.restarts += 1;
        }
    }
    let learners = local.cluster.graph.num_learners();
    let settle = Instant::now() + config.settle;
    while report.decisions.len() < learners && Instant::now() < settle {
        drain(&mut events, &mut report, Duration::from_millis(100)).await;
    }
    drop(proposers);
    drain(&mut events, &mut report, Duration::from_millis(300)).await;
    drop(learner);
    report.stopped.extend(local.stopped_by_themselves());
    report.stopped.sort_unstable();
    report.stopped.dedup();
    let graph = local.cluster.graph.clone();
    for (a, da) in &report.decisions {
        for (b, db) in &report.decisions {
            if a < b && graph.entangled(*a, *b, graph.acceptors()) && da.value != db.value {
                report.disagreements.push((*a, *b));
            }
        }
    }
    if report.decisions.len() == learners {
        // Nothing acknowledged may be lost: every acceptor killed at once,
        // restarted, and a new learner must learn the same decisions.
        for i in 0..local.len() {
            local.kill(i).await;
            report.kills += 1;
        }
        for i in 0..local.len() {
            local.start(i, net).await?;
            report.restarts += 1;
        }
        let (_fresh, mut fresh_events) = spawn_learner(&local.learner, net)?;
        let mut again = ChaosReport::default();
        let deadline = Instant::now() + config.settle;
        while again.decisions.len() < learners && Instant::now() < deadline {
            drain(&mut fresh_events, &mut again, Duration::from_millis(100)).await;
        }
        let same = again.decisions.len() == learners
            && again
                .decisions
                .iter()
                .all(|(l, d)| report.decisions.get(l).is_some_and(|x| x.value == d.value));
        report.caught.extend(again.caught);
        report.relearned = Some(same);
    }
    Ok(report)
}

/// Records the learner's events for `for_` (or until it stops).
async fn drain(
    events: &mut mpsc::Receiver<LearnerEvent>,
    report: &mut ChaosReport,
    for_: Duration,
) {
    let until = Instant::now() + for_;
    while let Ok(Some(e)) = tokio::time::timeout_at(until, events.recv()).await {
        report.record(e);
    }
}
