//! The stateright actor model: thin adapters around the pure acceptor and
//! learner state machines, proposers that send their 1as at start, Byzantine
//! twins and silent acceptors, and crashes of safe acceptors that lose what
//! their log had not synced and recover from the rest.

use hetpaxos_acceptor::driver::{self, Io};
use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Input, LogPosition, Record};
use hetpaxos_learner::Learner;
use hetpaxos_messages::{
    AbstractProposalSigner, AbstractSignatures, AbstractSigner, Message, PendingLimits, ProposerId,
    Verifier,
};
use hetpaxos_proposer::{
    Effect as ProposerEffect, Input as ProposerInput, Proposer, ProposerConfig, StopRule,
};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Envelope, Id, Network, Out, model_timeout,
};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use crate::chooser::Walkable;
use crate::properties;

mod actor;
mod config;
mod durable;

pub(crate) use actor::holds;
pub use actor::{Node, NodeState, model_clock, model_proposer_config};
use actor::{only_safe_acceptors_crash, record_out};
pub use config::{
    DEFAULT_MAX_FORGED, DEFAULT_MAX_SIGNED, LearnerDelivery, ModelConfig, Mutant, Reductions,
    proposal_value, proposals,
};
pub use durable::{DurableLog, ModelIo, model_acceptor, model_acceptor_at, model_recover};

/// Shared, read-only context of a run (stateright's model "cfg").
#[derive(Clone)]
pub struct Context {
    /// The run's configuration.
    pub config: ModelConfig,
    /// The actually-safe acceptors.
    pub safe: AcceptorSet,
    /// Display name of every actor, by actor index.
    pub names: Vec<String>,
    /// Actor indices of the acceptor instances of safe acceptors (the only
    /// actors that may crash).
    pub honest_slots: Vec<usize>,
    /// Actor index of the network learner, if any.
    pub learner_slot: Option<usize>,
    /// Hashes of the proposed values.
    pub proposed: BTreeSet<hetpaxos_messages::ValueHash>,
    /// Message ids whose store facts were already compared with the spec.
    pub(crate) spec_checked: properties::CheckedIds,
    /// Message ids already checked for caught safe acceptors (`Caught` is a
    /// fact of a message's history, the same in every store; store = spec
    /// checks that each store derives it so).
    pub(crate) caught_checked: properties::CheckedIds,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// Auxiliary state: the learner in [`LearnerDelivery::Instant`] mode.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Observer {
    /// The learner fed with every message when it is first sent.
    pub learner: Option<Box<Learner>>,
}

/// The checked model.
pub type HetModel = ActorModel<Node, Context, Observer>;
/// A state of the checked model.
pub type HetState = ActorModelState<Node, Observer>;

/// Builds the model for `config`, with every property of [`properties`].
pub fn build(config: ModelConfig) -> HetModel {
    let graph = config.graph.clone();
    let n_prop = config.proposals;
    let mut names = Vec::new();
    for i in 0..n_prop {
        names.push(format!("P{}", i + 1));
    }
    // Acceptor instances.
    let mut slots: Vec<(AcceptorId, u8)> = Vec::new();
    for a in graph.acceptor_ids() {
        if config.without_instance().contains(a) {
            continue;
        }
        let copies = if config.twins.contains(a) { 2 } else { 1 };
        for t in 0..copies {
            slots.push((a, t));
            let name = graph.acceptor_name(a);
            names.push(if copies == 2 {
                format!("{name}/twin{}", t + 1)
            } else {
                name.to_string()
            });
        }
    }
    let first_slot = n_prop;
    let learner_slot = match config.learner_delivery {
        LearnerDelivery::Network => {
            names.push("learner".into());
            Some(first_slot + slots.len())
        }
        LearnerDelivery::Instant => None,
    };
    let verifier: Arc<dyn Verifier> = Arc::new(AbstractSignatures {
        acceptors: graph.num_acceptors(),
    });
    let safe = config.safe();
    let honest_slots = slots
        .iter()
        .enumerate()
        .filter(|(_, (a, _))| safe.contains(*a))
        .map(|(i, _)| first_slot + i)
        .collect();
    let (proposals, proposed) = proposals(n_prop);
    let all_slots: Vec<Id> = (0..slots.len())
        .map(|i| Id::from(first_slot + i))
        .chain(learner_slot.map(Id::from))
        .collect();
    let context = Context {
        config: config.clone(),
        safe,
        names,
        honest_slots,
        learner_slot,
        proposed,
        spec_checked: properties::CheckedIds::default(),
        caught_checked: properties::CheckedIds::default(),
    };
    let observer = Observer {
        learner: match config.learner_delivery {
            LearnerDelivery::Instant => Some(Box::new(Learner::new(
                graph.clone(),
                verifier.clone(),
                PendingLimits::default(),
            ))),
            LearnerDelivery::Network => None,
        },
    };
    let network = if config.duplicating {
        Network::new_unordered_duplicating([])
    } else {
        Network::new_unordered_nonduplicating([])
    };
    let mut model = ActorModel::new(context, observer)
        .init_network(network)
        .record_msg_out(record_out)
        .max_crashes(config.crashes)
        .within_boundary(only_safe_acceptors_crash);
    for (i, p) in proposals.into_iter().enumerate() {
        let node = match config.real_proposers {
            None => Node::Proposer {
                proposal: p,
                peers: all_slots.clone(),
            },
            Some(max_attempts) => Node::RealProposer {
                init: Box::new(Proposer::new(
                    graph.clone(),
                    verifier.clone(),
                    Arc::new(AbstractProposalSigner(ProposerId(i as u32))),
                    proposal_value(i).into_bytes(),
                    model_proposer_config(),
                )),
                index: i as u64,
                of: n_prop as u64,
                // Also the other proposers: their 1as reach a proposer as
                // the acceptors' relays and fetches would, and its observer
                // needs them to accept the messages that reference them.
                peers: all_slots
                    .iter()
                    .copied()
                    .chain((0..n_prop).filter(|&j| j != i).map(Id::from))
                    .collect(),
                max_attempts,
            },
        };
        model = model.actor(node);
    }
    for (i, &(a, twin)) in slots.iter().enumerate() {
        let me = first_slot + i;
        let peers = slots
            .iter()
            .enumerate()
            .filter(|(j, (b, _))| first_slot + j != me && *b != a)
            .map(|(j, _)| Id::from(first_slot + j))
            .chain(learner_slot.map(Id::from))
            // Real proposers watch the acceptors' messages (D9).
            .chain(
                (0..n_prop)
                    .filter(|_| config.real_proposers.is_some())
                    .map(Id::from),
            )
            .collect();
        let init = if config.acceptor_clock {
            model_acceptor_at(&graph, a, &verifier, 0)
        } else {
            model_acceptor(&graph, a, &verifier)
        };
        model = model.actor(Node::Acceptor {
            id: a,
            twin,
            peers,
            relays: config.relays,
            durable: config.crashes > 0 && safe.contains(a),
            init: Box::new(init),
            forget_last_own: config.mutant == Some(Mutant::ForgetLastOwnOnRecovery),
            // The largest timestamp of any 1a of the run: proposal `i` of
            // `P` at attempt `k` reads `1 + i + k·P` (see `model_clock`).
            clock_until: config
                .acceptor_clock
                .then(|| n_prop as u64 * u64::from(config.real_proposers.unwrap_or(1))),
        });
    }
    if learner_slot.is_some() {
        model = model.actor(Node::Learner {
            init: Box::new(Learner::new(
                graph.clone(),
                verifier.clone(),
                PendingLimits::default(),
            )),
        });
    }
    let mut model = properties::add_all(model);
    if config.real_proposers.is_some() {
        model = model.property(
            stateright::Expectation::Sometimes,
            properties::PROPOSERS_CONVERGE,
            |_, s| properties::proposers_converged(s),
        );
    }
    if config.acceptor_clock {
        model = model.property(
            stateright::Expectation::Sometimes,
            properties::FUTURE_1A_HELD,
            |_, s| properties::future_1a_held(s),
        );
    }
    model
}
