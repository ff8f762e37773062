//! Counterexamples a person can keep: a violation found by the reduced
//! engine becomes a *trace file* (JSON: the graph, the Byzantine acceptors,
//! the proposals, and each step: which messages an acceptor instance
//! received and what it signed, or what an arbitrary acceptor forged), as
//! does one found by the actor engine (one message received per step, and
//! crashes and recoveries: [`crate::trace::trace_file`]), and
//! [`replay`] runs that schedule through the simulated cluster
//! (`hetpaxos-sim`), with real Ed25519 signatures, checking at every step
//! that the simulated acceptor signs exactly the messages the model's did,
//! and at the end that the same property is violated there.
//!
//! Message ids are functions of the content only (signer and references,
//! or ballot), never of the signature, so the ids in a trace file are the
//! ids in the simulation.

use hetpaxos_messages::{Hash32, Message, MessageId, MessageStore, Unsigned};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph};
use hetpaxos_sim::{Node as SimNode, Order, Sim};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::model::{Context, ModelConfig, proposal_value};
use crate::properties::{self, Observed};
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
    /// Number of proposals (proposal `i`: ballot `i + 1`, value `v{i+1}`).
    pub proposals: usize,
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
    /// The simulated acceptor did not sign what the model's did.
    #[error("step {step}: {to} in the simulation did not sign {id}")]
    Diverged {
        /// Step number (from 1).
        step: usize,
        /// The instance.
        to: String,
        /// The expected id.
        id: String,
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

fn parse_id(s: &str) -> Result<MessageId, ReplayError> {
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

/// A simulated run, seen by the model's properties.
struct SimView<'a> {
    sim: &'a Sim,
    /// Simulation slot of each model instance.
    slots: &'a [usize],
}

impl Observed for SimView<'_> {
    fn learner_of(&self, _cx: &Context) -> Option<&hetpaxos_learner::Learner> {
        Some(&self.sim.learner)
    }

    fn honest_acceptor_stores<'a>(&'a self, cx: &'a Context) -> Vec<(&'a str, &'a MessageStore)> {
        cx.honest_slots
            .iter()
            .filter_map(|&i| {
                let slot = self.sim.slots.get(*self.slots.get(i)?)?;
                Some((cx.names.get(i)?.as_str(), slot.acceptor.store()))
            })
            .collect()
    }

    fn all_stores(&self, _cx: &Context) -> Vec<&MessageStore> {
        std::iter::once(self.sim.learner.store())
            .chain(self.sim.slots.iter().map(|s| s.acceptor.store()))
            .collect()
    }
}

/// Checks that the simulated instance in `slot` holds every message of
/// `signs` (the model's instance signed them in step `step`).
fn check_signed(
    sim: &Sim,
    slot: usize,
    signs: &[String],
    step: usize,
    to: &str,
) -> Result<(), ReplayError> {
    for id in signs {
        let want = parse_id(id)?;
        let held = sim
            .slots
            .get(slot)
            .is_some_and(|s| s.acceptor.store().contains(&want));
        if !held {
            return Err(ReplayError::Diverged {
                step,
                to: to.to_string(),
                id: id.clone(),
            });
        }
    }
    Ok(())
}

/// Replays `file` through the simulated cluster (see the module
/// documentation). `Ok` with the simulation's description of the violation.
pub fn replay(file: &TraceFile) -> Result<String, ReplayError> {
    let desc = crate::graph_file::parse_graph(&file.graph.to_string())
        .map_err(|e| ReplayError::Invalid(e.to_string()))?;
    let graph = Arc::new(
        LearnerGraph::from_description(&desc).map_err(|e| ReplayError::Invalid(e.to_string()))?,
    );
    let set = |names: &[String]| -> Result<AcceptorSet, ReplayError> {
        let mut s = AcceptorSet::EMPTY;
        for n in names {
            s.insert(
                graph
                    .acceptor_by_name(n)
                    .ok_or_else(|| ReplayError::Invalid(format!("unknown acceptor {n:?}")))?,
            );
        }
        Ok(s)
    };
    let mut config = ModelConfig::new(graph.clone());
    config.twins = set(&file.twins)?;
    config.silent = set(&file.silent)?;
    config.arbitrary = set(&file.arbitrary)?;
    config.proposals = file.proposals;
    if !(1..=64).contains(&file.proposals) {
        return Err(ReplayError::Invalid("proposals must be 1 to 64".into()));
    }
    let model = crate::reduced::build_reduced(config.clone());

    let mut sim = Sim::new(graph.clone(), Order::Rounds, 0);
    // Model instance i runs in simulation slot slots[i]: an acceptor's
    // first instance in its own slot, a second twin in an added one.
    let mut slots = Vec::new();
    let mut used = AcceptorSet::EMPTY;
    for &a in &model.ids {
        if used.contains(a) {
            slots.push(sim.add_slot(a));
        } else {
            used.insert(a);
            slots.push(a.index());
        }
    }
    for a in config.without_instance().iter() {
        sim.crash(a.index());
    }
    let slot_of = |name: &str| -> Result<usize, ReplayError> {
        model
            .cx
            .names
            .iter()
            .position(|n| n == name)
            .and_then(|i| slots.get(i).copied())
            .ok_or_else(|| ReplayError::Invalid(format!("unknown instance {name:?}")))
    };
    for i in 0..file.proposals {
        let p = Message::signed_proposal(
            i as u64 + 1,
            proposal_value(i).into_bytes(),
            &sim.proposal_signer(i),
        );
        for &s in &slots {
            sim.inject(SimNode::Acceptor(s), p.clone());
        }
        sim.inject(SimNode::Learner, p);
    }
    sim.deliver_all_to(SimNode::Learner);
    for (k, step) in file.steps.iter().enumerate() {
        let step_no = k + 1;
        match step {
            TraceStep::Deliver { to, ids, signs } => {
                let slot = slot_of(to)?;
                for id in ids {
                    if !sim.deliver(SimNode::Acceptor(slot), parse_id(id)?) {
                        return Err(ReplayError::NotInFlight {
                            step: step_no,
                            to: to.clone(),
                            id: id.clone(),
                        });
                    }
                }
                check_signed(&sim, slot, signs, step_no, to)?;
            }
            TraceStep::Receive { to, id, signs } => {
                let slot = slot_of(to)?;
                let want = parse_id(id)?;
                let up = sim.slots.get(slot).is_some_and(|s| s.up);
                let held = sim
                    .slots
                    .get(slot)
                    .is_some_and(|s| s.acceptor.store().contains(&want));
                if !up || (!held && !sim.deliver(SimNode::Acceptor(slot), want)) {
                    return Err(ReplayError::NotInFlight {
                        step: step_no,
                        to: to.clone(),
                        id: id.clone(),
                    });
                }
                check_signed(&sim, slot, signs, step_no, to)?;
            }
            TraceStep::Crash { of } => sim.crash(slot_of(of)?),
            TraceStep::Recover { of } => {
                sim.restart(slot_of(of)?)
                    .map_err(|e| ReplayError::Recovery {
                        step: step_no,
                        of: of.clone(),
                        why: e.to_string(),
                    })?;
            }
            TraceStep::Forge { by, refs, id } => {
                let a: AcceptorId = graph
                    .acceptor_by_name(by)
                    .filter(|a| config.arbitrary.contains(*a))
                    .ok_or_else(|| ReplayError::Invalid(format!("{by:?} is not arbitrary")))?;
                let refs = refs
                    .iter()
                    .map(|r| parse_id(r))
                    .collect::<Result<Vec<_>, _>>()?;
                let m = Unsigned::new(a, refs).sign(&sim.signer(a));
                if hex(&m.id()) != *id {
                    return Err(ReplayError::Invalid(format!(
                        "step {step_no}: the forgery's id is {}, not {id}",
                        hex(&m.id())
                    )));
                }
                for &s in &slots {
                    sim.inject(SimNode::Acceptor(s), m.clone());
                }
                sim.inject(SimNode::Learner, m);
            }
        }
        sim.deliver_all_to(SimNode::Learner);
    }
    let view = SimView {
        sim: &sim,
        slots: &slots,
    };
    properties::always_violation(&file.property, &model.cx, &view).ok_or_else(|| {
        ReplayError::NotReproduced {
            property: file.property.clone(),
        }
    })
}
