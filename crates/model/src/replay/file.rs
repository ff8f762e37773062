//! The trace file format: a counterexample's configuration and schedule,
//! and how replaying it can fail; and the trace file of a reduced-engine
//! path.

use hetpaxos_messages::{Hash32, MessageId};
use hetpaxos_quorums::{AcceptorSet, LearnerGraph};
use serde::{Deserialize, Serialize};

use crate::model::{LearnerDelivery, ModelConfig};
use crate::reduced::{ReducedAction, ReducedModel, ReducedState};

/// A counterexample as a file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TraceFile {
    /// The learner graph, as in a graph file.
    pub graph: serde_json::Value,
    /// Twin (equivocating) acceptors, by name.
    pub twins: Vec<String>,
    /// Silent acceptors, by name.
    pub silent: Vec<String>,
    /// Arbitrary acceptors, by name.
    pub arbitrary: Vec<String>,
    /// Number of proposals (proposal `i`: ballot `i + 1`, value `v{i+1}`),
    /// or of real proposers (proposer `i` proposes `v{i+1}`).
    pub proposals: usize,
    /// (Actor engine.) `Some(k)`: the proposers are the real proposer
    /// state machine, at most `k` 1as each ([`ModelConfig::real_proposers`]);
    /// `None`: each proposal is one fixed 1a.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_proposers: Option<u32>,
    /// (Actor engine.) Acceptor clocks start at 0 and advance by `tick`
    /// steps ([`ModelConfig::acceptor_clock`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub acceptor_clock: bool,
    /// (Actor engine.) The learner receives messages only in
    /// `learner_receive` steps ([`LearnerDelivery::Network`]); otherwise it
    /// is handed every message once it is sent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub network_learner: bool,
    /// The Always property violated at the end.
    pub property: String,
    /// The schedule.
    pub steps: Vec<TraceStep>,
}

impl TraceFile {
    /// The trace file of `steps` in a run of `config` that violates
    /// `property`; `graph` is the graph file's JSON.
    pub fn new(
        config: &ModelConfig,
        graph: serde_json::Value,
        property: &str,
        steps: Vec<TraceStep>,
    ) -> Self {
        let g = &config.graph;
        Self {
            graph,
            twins: names(g, config.twins),
            silent: names(g, config.silent),
            arbitrary: names(g, config.arbitrary),
            proposals: config.proposals,
            real_proposers: config.real_proposers,
            acceptor_clock: config.acceptor_clock,
            network_learner: config.learner_delivery == LearnerDelivery::Network,
            property: property.to_string(),
            steps,
        }
    }
}

/// One step of a trace file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum TraceStep {
    /// Acceptor instance `to` (its name, e.g. `D/twin2`) receives `ids` in
    /// order and then holds the messages `signs` signed by itself.
    Deliver {
        /// The instance.
        to: String,
        /// Message ids (hex), in delivery order.
        ids: Vec<String>,
        /// Own messages it signed in this step (hex ids).
        signs: Vec<String>,
    },
    /// (Actor engine.) Acceptor instance `to` receives the one message `id`
    /// (a no-op when it holds it already, as a duplicate is in the model)
    /// and then holds the messages `signs` signed by itself.
    Receive {
        /// The instance.
        to: String,
        /// The message id (hex).
        id: String,
        /// Own messages it signed in this step (hex ids).
        signs: Vec<String>,
    },
    /// (Actor engine, real proposers.) Proposer number `proposer` (1 for
    /// `P1`) receives the message `id` (a no-op when it holds it already)
    /// and then broadcasts exactly the 1as `signs`.
    ProposerReceive {
        /// The proposer's number, from 1.
        proposer: usize,
        /// The message id (hex).
        id: String,
        /// The 1as it broadcast in this step (hex ids).
        signs: Vec<String>,
    },
    /// (Actor engine, real proposers.) Proposer number `proposer`'s timer
    /// fires with its clock reading the model's ([`crate::model::model_clock`]);
    /// it then broadcasts exactly the 1as `signs` (none once it made its
    /// last allowed attempt, or when the timer only waits again).
    Timer {
        /// The proposer's number, from 1.
        proposer: usize,
        /// The 1as it broadcast in this step (hex ids).
        signs: Vec<String>,
    },
    /// (Actor engine, acceptor clocks.) Acceptor instance `of`'s clock
    /// advances one unit; it takes in the 1as it held that are now due and
    /// then holds the messages `signs` signed by itself.
    Tick {
        /// The instance.
        of: String,
        /// Own messages it signed in this step (hex ids).
        signs: Vec<String>,
    },
    /// (Actor engine, network learner.) The learner receives the message
    /// `id` (a no-op when it holds it already).
    LearnerReceive {
        /// The message id (hex).
        id: String,
    },
    /// (Actor engine.) Safe acceptor instance `of` crashes: it loses what
    /// its log had not synced, and takes no step until it recovers.
    Crash {
        /// The instance.
        of: String,
    },
    /// (Actor engine.) Instance `of` recovers from its log.
    Recover {
        /// The instance.
        of: String,
    },
    /// Arbitrary acceptor `by` signs and sends a message over `refs`.
    Forge {
        /// The acceptor's name.
        by: String,
        /// Reference ids (hex).
        refs: Vec<String>,
        /// The message's id (hex).
        id: String,
    },
}

/// Why a trace file did not replay.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file's graph or names are not usable.
    #[error("trace file: {0}")]
    Invalid(String),
    /// A message the trace delivers was not in flight to that instance.
    #[error("step {step}: {id} is not in flight to {to}")]
    NotInFlight {
        /// Step number (from 1).
        step: usize,
        /// The instance.
        to: String,
        /// The message id.
        id: String,
    },
    /// The simulated acceptor or proposer did not sign what the model's did.
    #[error("step {step}: {to} in the simulation and in the model signed differently ({id})")]
    Diverged {
        /// Step number (from 1).
        step: usize,
        /// The instance or proposer.
        to: String,
        /// The id signed by one and not the other.
        id: String,
    },
    /// A step of an instance that is down (crashed, silent or arbitrary).
    #[error("step {step}: {of} is down")]
    Down {
        /// Step number (from 1).
        step: usize,
        /// The instance.
        of: String,
    },
    /// A crashed instance could not recover from its log.
    #[error("step {step}: {of} did not recover: {why}")]
    Recovery {
        /// Step number (from 1).
        step: usize,
        /// The instance.
        of: String,
        /// The recovery error.
        why: String,
    },
    /// The replayed run does not violate the property.
    #[error("the replay ran every step, but {property} holds in the simulation")]
    NotReproduced {
        /// The property.
        property: String,
    },
}

pub(crate) fn hex(id: &MessageId) -> String {
    id.0.to_hex()
}

pub(super) fn parse_id(s: &str) -> Result<MessageId, ReplayError> {
    let bytes: Result<Vec<u8>, _> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16))
        .collect();
    bytes
        .ok()
        .and_then(|b| Hash32::from_slice(&b))
        .map(MessageId)
        .ok_or_else(|| ReplayError::Invalid(format!("not a message id: {s:?}")))
}

fn names(graph: &LearnerGraph, set: AcceptorSet) -> Vec<String> {
    set.iter()
        .map(|a| graph.acceptor_name(a).to_string())
        .collect()
}

/// The trace file of a path of `model` that violates `property`; `graph` is
/// the graph file's JSON.
pub fn trace_file(
    model: &ReducedModel,
    path: &stateright::Path<ReducedState, ReducedAction>,
    graph: serde_json::Value,
    property: &str,
) -> TraceFile {
    let config = &model.cx.config;
    let g = &config.graph;
    let mut steps = Vec::new();
    for w in path.clone().into_vec().windows(2) {
        let (prev, action, next) = (&w[0].0, &w[0].1, &w[1].0);
        match action {
            Some(ReducedAction::Deliver { to, ids }) => {
                let me = model.ids.get(*to).copied();
                let ids = model.delivered_in_block(prev, *to, ids);
                let signs = next
                    .sent
                    .iter()
                    .filter(|(id, m)| !prev.sent.contains_key(id) && m.signer() == me)
                    .map(|(id, _)| hex(id))
                    .collect();
                steps.push(TraceStep::Deliver {
                    to: model.cx.names.get(*to).cloned().unwrap_or_default(),
                    ids: ids.iter().map(hex).collect(),
                    signs,
                });
            }
            Some(ReducedAction::Forge(f)) => steps.push(TraceStep::Forge {
                by: g.acceptor_name(f.by).to_string(),
                refs: f.refs.iter().map(hex).collect(),
                id: hex(&f.id),
            }),
            None => {}
        }
    }
    TraceFile::new(config, graph, property, steps)
}
