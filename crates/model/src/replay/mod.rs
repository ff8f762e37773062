//! Counterexamples a person can keep: a violation found by the reduced
//! engine becomes a *trace file* (JSON: the graph, the Byzantine acceptors,
//! the proposals, and each step: which messages an acceptor instance
//! received and what it signed, or what an arbitrary acceptor forged), as
//! does one found by the actor engine (one message received by an
//! acceptor, a real proposer or the network learner per step, a proposer's
//! timer, an acceptor clock's tick, a crash or a recovery:
//! [`crate::trace::trace_file`]), and [`replay`] runs that schedule through
//! the simulated cluster (`hetpaxos-sim`), with real Ed25519 signatures,
//! checking at every step that the simulated acceptor or proposer signs
//! exactly the messages the model's did, and at the end that the same
//! property is violated there.
//!
//! Message ids are functions of the content only (signer and references,
//! or ballot), never of the signature, so the ids in a trace file are the
//! ids in the simulation.

use hetpaxos_messages::{Message, MessageId, MessageStore, Unsigned};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph};
use hetpaxos_sim::{FAR_AHEAD, Node as SimNode, Order, Sim};
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::model::{
    Context, ModelConfig, holds, model_clock, model_proposer_config, proposal_value,
};
use crate::properties::{self, Observed};

mod file;

pub(crate) use file::hex;
use file::parse_id;
pub use file::{ReplayError, TraceFile, TraceStep, trace_file};

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

/// Gives proposer `p`'s 1as `sent` to the other proposers and the learner,
/// as the model's proposers send them (the simulated proposers send their
/// 1as to the acceptors only).
fn hand_on(sim: &mut Sim, p: usize, sent: Vec<Message>) {
    for m in sent {
        for q in (0..sim.proposers.len()).filter(|&q| q != p) {
            sim.inject(SimNode::Proposer(q), m.clone());
        }
        sim.inject(SimNode::Learner, m);
    }
}

/// Checks that proposer `p` broadcast exactly the 1as `signs` since it had
/// sent `before`, and hands them on ([`hand_on`]).
fn proposer_sent(
    sim: &mut Sim,
    p: usize,
    before: usize,
    signs: &[String],
    step: usize,
) -> Result<(), ReplayError> {
    let new: Vec<Message> = sim
        .proposer_sent
        .get(p)
        .and_then(|s| s.get(before..))
        .unwrap_or_default()
        .to_vec();
    let got: BTreeSet<MessageId> = new.iter().map(Message::id).collect();
    let want = signs
        .iter()
        .map(|s| parse_id(s))
        .collect::<Result<BTreeSet<_>, _>>()?;
    if let Some(id) = want.symmetric_difference(&got).next() {
        return Err(ReplayError::Diverged {
            step,
            to: format!("P{}", p + 1),
            id: hex(id),
        });
    }
    hand_on(sim, p, new);
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
    if file.real_proposers.is_some() && file.proposals > hetpaxos_sim::MAX_PROPOSERS {
        return Err(ReplayError::Invalid(format!(
            "at most {} real proposers",
            hetpaxos_sim::MAX_PROPOSERS
        )));
    }
    // The reduced model gives the instances, their names and the
    // properties' context (the same for both engines); not its symmetry
    // (R7), whose automorphisms a large graph would make costly to find.
    let mut for_names = config.clone();
    for_names.reductions.acceptor_symmetry = false;
    let model = crate::reduced::build_reduced(for_names);

    let clock = if file.acceptor_clock { 0 } else { FAR_AHEAD };
    let mut sim = Sim::with_acceptor_clock(graph.clone(), Order::Rounds, 0, clock);
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
    let n = file.proposals;
    let proposer_of = |number: usize| -> Result<usize, ReplayError> {
        (file.real_proposers.is_some() && (1..=n).contains(&number))
            .then(|| number - 1)
            .ok_or_else(|| ReplayError::Invalid(format!("no real proposer P{number}")))
    };
    match file.real_proposers {
        None => {
            for i in 0..n {
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
        }
        Some(_) => {
            for i in 0..n {
                sim.add_proposer(proposal_value(i).as_bytes(), model_proposer_config());
            }
            for p in 0..n {
                sim.start_at(p, model_clock(p as u64, n as u64, 0), 0);
                let sent = sim.proposer_sent[p].clone();
                hand_on(&mut sim, p, sent);
            }
        }
    }
    // The model's instant learner is handed every message once sent.
    let instant = !file.network_learner;
    if instant {
        sim.deliver_all_to(SimNode::Learner);
    }
    for (k, step) in file.steps.iter().enumerate() {
        let step_no = k + 1;
        let not_in_flight = |to: &str, id: &str| ReplayError::NotInFlight {
            step: step_no,
            to: to.to_string(),
            id: id.to_string(),
        };
        match step {
            TraceStep::Deliver { to, ids, signs } => {
                let slot = slot_of(to)?;
                for id in ids {
                    if !sim.deliver(SimNode::Acceptor(slot), parse_id(id)?) {
                        return Err(not_in_flight(to, id));
                    }
                }
                check_signed(&sim, slot, signs, step_no, to)?;
            }
            TraceStep::Receive { to, id, signs } => {
                let slot = slot_of(to)?;
                let want = parse_id(id)?;
                let (up, held) = sim.slots.get(slot).map_or((false, false), |s| {
                    let a = &s.acceptor;
                    (s.up, a.store().contains(&want) || a.pending().holds(&want))
                });
                if !up || (!held && !sim.deliver(SimNode::Acceptor(slot), want)) {
                    return Err(not_in_flight(to, id));
                }
                check_signed(&sim, slot, signs, step_no, to)?;
            }
            TraceStep::ProposerReceive {
                proposer,
                id,
                signs,
            } => {
                let p = proposer_of(*proposer)?;
                let want = parse_id(id)?;
                let held = holds(sim.proposers[p].observer(), &want);
                let before = sim.proposer_sent[p].len();
                if !held && !sim.deliver(SimNode::Proposer(p), want) {
                    return Err(not_in_flight(&format!("P{proposer}"), id));
                }
                proposer_sent(&mut sim, p, before, signs, step_no)?;
            }
            TraceStep::Timer { proposer, signs } => {
                let p = proposer_of(*proposer)?;
                let before = sim.proposer_sent[p].len();
                // As the model's proposer: no attempt beyond the bound.
                let attempts = sim.proposers[p].attempts();
                if file.real_proposers.is_some_and(|max| attempts < max) {
                    let now = model_clock(p as u64, n as u64, attempts);
                    sim.fire_timer_at(p, now, 0);
                }
                proposer_sent(&mut sim, p, before, signs, step_no)?;
            }
            TraceStep::Tick { of, signs } => {
                if !file.acceptor_clock {
                    return Err(ReplayError::Invalid(format!(
                        "step {step_no}: a tick, but acceptor clocks are not modelled"
                    )));
                }
                let slot = slot_of(of)?;
                if !sim.tick(slot) {
                    return Err(ReplayError::Down {
                        step: step_no,
                        of: of.clone(),
                    });
                }
                check_signed(&sim, slot, signs, step_no, of)?;
            }
            TraceStep::LearnerReceive { id } => {
                let want = parse_id(id)?;
                let held = holds(&sim.learner, &want);
                if !held && !sim.deliver(SimNode::Learner, want) {
                    return Err(not_in_flight("learner", id));
                }
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
        if instant {
            sim.deliver_all_to(SimNode::Learner);
        }
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
