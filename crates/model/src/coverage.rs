//! What a sampled search (swarm mode: many seeded random walks,
//! [`crate::Strategy::Simulation`]) covered, since it is not exhaustive:
//! how many distinct states the walks visited together, and which protocol
//! events they reached out of those that exist in the configuration
//! (each acceptor signing a 1b and a 2a at each ballot, each learner
//! deciding at each ballot, an acceptor proven to have forked).

use hetpaxos_messages::{Kind, MessageId};
use hetpaxos_quorums::{AcceptorId, LearnerGraph, LearnerId};
use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use crate::reduced::ReducedState;

/// Most distinct state fingerprints kept (8 bytes each, about 400 MB of
/// table at the cap); beyond it the count is a lower bound.
const MAX_FINGERPRINTS: usize = 1 << 25;

/// A protocol event a walk may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// An acceptor signed a 1b of this ballot (timestamp).
    OneB(AcceptorId, u64),
    /// An acceptor signed a 2a of this ballot (timestamp).
    TwoA(AcceptorId, u64),
    /// A learner decided at this ballot (timestamp).
    Decided(LearnerId, u64),
    /// The learner's store proves that this acceptor forked.
    Forked(AcceptorId),
}

impl Event {
    /// A readable name, such as `A signs a 2a at ballot 2`.
    pub fn describe(&self, graph: &LearnerGraph) -> String {
        match *self {
            Event::OneB(a, b) => format!("{} signs a 1b at ballot {b}", graph.acceptor_name(a)),
            Event::TwoA(a, b) => format!("{} signs a 2a at ballot {b}", graph.acceptor_name(a)),
            Event::Decided(l, b) => format!("{} decides at ballot {b}", graph.learner_name(l)),
            Event::Forked(a) => format!("{} is caught forking", graph.acceptor_name(a)),
        }
    }
}

/// Coverage gathered while a sampled search runs (shared by its threads).
#[derive(Default)]
pub struct Coverage {
    fingerprints: Mutex<HashSet<u64>>,
    events: Mutex<BTreeSet<Event>>,
}

/// What a sampled search covered.
#[derive(Clone, Debug)]
pub struct CoverageReport {
    /// Distinct states the walks visited together (a lower bound when
    /// `capped`).
    pub distinct_states: usize,
    /// Whether the fingerprint table reached its cap.
    pub capped: bool,
    /// The events reached.
    pub reached: Vec<Event>,
    /// The events that exist in the configuration but were not reached.
    pub missed: Vec<Event>,
}

impl Coverage {
    /// Records a visited state with fingerprint `fingerprint`, and the
    /// events that the messages `new` (just sent) and its decisions show.
    pub fn record(&self, fingerprint: u64, state: &ReducedState, new: &[MessageId]) {
        if let Ok(mut f) = self.fingerprints.lock()
            && f.len() < MAX_FINGERPRINTS
        {
            f.insert(fingerprint);
        }
        let store = state.learner().store();
        let mut events = Vec::new();
        for id in new {
            let Some(f) = store.facts(id) else { continue };
            let (Some(a), b) = (f.signer(), f.ballot().timestamp) else {
                continue;
            };
            events.push(match f.kind() {
                Kind::OneB => Event::OneB(a, b),
                _ => Event::TwoA(a, b),
            });
            if store.is_forked(a) {
                events.push(Event::Forked(a));
            }
        }
        for d in state.learner().decisions() {
            events.push(Event::Decided(d.learner, d.ballot.timestamp));
        }
        if let Ok(mut e) = self.events.lock() {
            e.extend(events);
        }
    }

    /// The report, against the events that exist with these signers
    /// (`signers`: the acceptors that sign anything), `ballots` and
    /// `byzantine` acceptors (only they can fork).
    pub fn report(
        &self,
        graph: &LearnerGraph,
        signers: &BTreeSet<AcceptorId>,
        ballots: &[u64],
        byzantine: &BTreeSet<AcceptorId>,
    ) -> CoverageReport {
        let (distinct_states, capped) = self
            .fingerprints
            .lock()
            .map(|f| (f.len(), f.len() >= MAX_FINGERPRINTS))
            .unwrap_or_default();
        let reached: BTreeSet<Event> = self.events.lock().map(|e| e.clone()).unwrap_or_default();
        let mut possible = BTreeSet::new();
        for &b in ballots {
            for &a in signers {
                possible.insert(Event::OneB(a, b));
                possible.insert(Event::TwoA(a, b));
            }
            for l in graph.learner_ids() {
                possible.insert(Event::Decided(l, b));
            }
        }
        possible.extend(byzantine.iter().map(|&a| Event::Forked(a)));
        CoverageReport {
            distinct_states,
            capped,
            missed: possible.difference(&reached).copied().collect(),
            reached: reached.into_iter().collect(),
        }
    }
}
