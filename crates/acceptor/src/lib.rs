//! The [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253) acceptor as a
//! pure, deterministic state machine: the receive step of TR Fig. 3
//! (`acceptor_on_receipt`, digest §4), driven by [`Acceptor::handle`].
//!
//! Time is an input ([`Input::Tick`]); there is no I/O, no clock and no
//! randomness inside, and collections are ordered, so the network runtime and
//! the model checker run exactly the same code.
//!
//! # The step
//! On each message whose references are known (others wait in a bounded
//! buffer, decision D10) and whose signature verifies:
//! 1. a 1a is held until the clock input passes its ballot's timestamp;
//! 2. a newly accepted well-formed message is relayed ([`Effect::Broadcast`]);
//! 3. the acceptor builds its next message over `recent` (every message
//!    accepted since, and including, its last own message), keeps it only if
//!    well-formed, signs it, hands it to storage ([`Effect::Persist`]) and only
//!    then sends it ([`Effect::Broadcast`]), and receives it itself.
//!
//! # Deviations from the report, and why they are safe
//! - **Redundant 2as are not emitted** (decision D7): a candidate that is a 2a
//!   only for learners this acceptor already sent a 2a for at that ballot is
//!   dropped, so an acceptor sends at most one 1b and `L` 2as per ballot.
//!   Safety depends only on every sent message being well-formed and chaining
//!   to the previous one, which still holds; a learner needs one 2a per
//!   acceptor of a quorum, which is still sent.
//! - **Stale 1as are not kept in `recent`** (decision D11): they are accepted
//!   and relayed, but a new message never references a 1a below the highest
//!   ballot already known (such a reference would not change any fact).
//! - **An attempt follows every accepted message**, not only 1as and 1bs: a
//!   received 2a can carry 1bs that complete a quorum (as in the earlier
//!   implementation). More attempts cannot break safety (see above).
//! - **Future 1as are held by the clock input** (as in the earlier
//!   implementation), in a bounded buffer that drops the farthest-future 1a
//!   when full.
//!
//! See `spec/README.md` for the traceability table.
#![forbid(unsafe_code)]

use hetpaxos_messages::{
    Ballot, Kind, Message, MessageId, MessageStore, Pending, PendingLimits, Signer, Unsigned,
    Verifier,
};
use hetpaxos_quorums::{AcceptorId, LearnerGraph, LearnerSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Bounds of an acceptor's buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcceptorLimits {
    /// Messages waiting for unknown references.
    pub pending: PendingLimits,
    /// 1as held until the clock passes their timestamp.
    pub max_future_proposals: usize,
}

impl Default for AcceptorLimits {
    fn default() -> Self {
        Self {
            pending: PendingLimits::default(),
            max_future_proposals: 1024,
        }
    }
}

/// An input to the acceptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A message from the network (signature not yet checked).
    Receive(Message),
    /// The local clock now reads `now` (nanoseconds since the Unix epoch).
    Tick {
        /// Clock reading.
        now: u64,
    },
}

/// An effect the runtime must carry out, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Durably store this own message (e.g. append and fsync). Always precedes
    /// the [`Effect::Broadcast`] of the same message: the runtime must not
    /// send an own message before it is persisted.
    Persist(Message),
    /// Send to every acceptor and learner: relays of accepted messages and
    /// own messages (after their [`Effect::Persist`]).
    Broadcast(Message),
    /// A message was refused (bad signature or ill-formed), for logs.
    Rejected {
        /// The message.
        id: MessageId,
        /// Why.
        reason: String,
    },
}

/// The acceptor state machine.
#[derive(Clone)]
pub struct Acceptor {
    id: AcceptorId,
    signer: Arc<dyn Signer>,
    verifier: Arc<dyn Verifier>,
    limits: AcceptorLimits,
    store: MessageStore,
    pending: Pending,
    /// 1as waiting for the clock, by (timestamp, id).
    future: BTreeMap<(u64, MessageId), Message>,
    now: u64,
    /// Messages accepted since, and including, the last own message.
    recent: BTreeSet<MessageId>,
    /// Highest ballot of any accepted 1a.
    max_ballot: Option<Ballot>,
    /// Learners already sent a 2a for, at the ballot of the last 2a (D7).
    sent_2a: Option<(Ballot, LearnerSet)>,
    last_own: Option<MessageId>,
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor")
            .field("id", &self.id)
            .field("messages", &self.store.len())
            .field("pending", &self.pending.len())
            .field("future", &self.future.len())
            .field("recent", &self.recent.len())
            .field("max_ballot", &self.max_ballot)
            .finish_non_exhaustive()
    }
}

/// States are equal when they would behave the same: same accepted set, held
/// messages, clock, `recent`, highest ballot, 2a bookkeeping and last own
/// message (the acceptance order inside the store does not matter).
impl PartialEq for Acceptor {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.now == other.now
            && self.recent == other.recent
            && self.max_ballot == other.max_ballot
            && self.sent_2a == other.sent_2a
            && self.last_own == other.last_own
            && self.future.keys().eq(other.future.keys())
            && self.store.len() == other.store.len()
            && self.store.set_digest() == other.store.set_digest()
            && self.store.sorted_ids() == other.store.sorted_ids()
            && self.pending.sorted_ids() == other.pending.sorted_ids()
    }
}

impl Eq for Acceptor {}

/// Hashes what [`PartialEq`] compares (the store by its set digest), in
/// O(|recent| + |future| + |pending|).
impl std::hash::Hash for Acceptor {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        self.now.hash(state);
        self.recent.hash(state);
        self.max_ballot.hash(state);
        self.sent_2a.hash(state);
        self.last_own.hash(state);
        for k in self.future.keys() {
            k.hash(state);
        }
        self.store.len().hash(state);
        self.store.set_digest().hash(state);
        // Held messages change future behaviour: hash which (usually none).
        if !self.pending.is_empty() {
            self.pending.sorted_ids().hash(state);
        }
    }
}

impl Acceptor {
    /// Acceptor `signer.acceptor()` of `graph`, verifying others with `verifier`.
    pub fn new(
        graph: Arc<LearnerGraph>,
        signer: Arc<dyn Signer>,
        verifier: Arc<dyn Verifier>,
        limits: AcceptorLimits,
    ) -> Self {
        Self {
            id: signer.acceptor(),
            signer,
            verifier,
            limits,
            store: MessageStore::new(graph),
            pending: Pending::new(limits.pending),
            future: BTreeMap::new(),
            now: 0,
            recent: BTreeSet::new(),
            max_ballot: None,
            sent_2a: None,
            last_own: None,
        }
    }

    /// This acceptor's id.
    pub fn id(&self) -> AcceptorId {
        self.id
    }

    /// The message store (read-only).
    pub fn store(&self) -> &MessageStore {
        &self.store
    }

    /// Messages waiting for references (read-only).
    pub fn pending(&self) -> &Pending {
        &self.pending
    }

    /// The last message this acceptor sent.
    pub fn last_own(&self) -> Option<MessageId> {
        self.last_own
    }

    /// Number of 1as held until the clock passes their timestamp.
    pub fn future_proposals(&self) -> usize {
        self.future.len()
    }

    /// The clock reading at which the earliest held 1a becomes deliverable:
    /// the runtime should deliver [`Input::Tick`] then (a timer, not a sleep).
    pub fn next_wakeup(&self) -> Option<u64> {
        self.future.keys().next().map(|(t, _)| *t)
    }

    /// Handles one input; returns the effects to carry out, in order.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut effects = Vec::new();
        match input {
            Input::Receive(m) => self.receive(m, &mut effects),
            Input::Tick { now } => {
                self.now = self.now.max(now);
                while let Some(entry) = self.future.first_entry() {
                    if entry.key().0 > self.now {
                        break;
                    }
                    let m = entry.remove();
                    self.deliver(m, &mut effects);
                }
            }
        }
        effects
    }

    fn receive(&mut self, m: Message, effects: &mut Vec<Effect>) {
        if self.store.contains(&m.id()) {
            return;
        }
        if let Err(e) = self.verifier.verify(&m) {
            effects.push(Effect::Rejected {
                id: m.id(),
                reason: e.to_string(),
            });
            return;
        }
        if let Some(p) = m.as_proposal()
            && p.ballot().timestamp > self.now
        {
            self.hold_future(p.ballot().timestamp, m);
            return;
        }
        self.deliver(m, effects);
    }

    fn hold_future(&mut self, timestamp: u64, m: Message) {
        self.future.insert((timestamp, m.id()), m);
        while self.future.len() > self.limits.max_future_proposals {
            // Drop the farthest-future 1a.
            self.future.pop_last();
        }
    }

    /// Accepts `m` (and whatever it unblocks) and runs the rest of the step
    /// after each accepted message, in acceptance order.
    fn deliver(&mut self, m: Message, effects: &mut Vec<Effect>) {
        let delivery = self.pending.deliver(&mut self.store, m);
        for (id, why) in delivery.rejected {
            effects.push(Effect::Rejected {
                id,
                reason: why.to_string(),
            });
        }
        for idx in delivery.accepted {
            let facts = self.store.facts_at(idx);
            let (id, kind, ballot) = (facts.id(), facts.kind(), facts.ballot());
            effects.push(Effect::Broadcast(facts.message().clone()));
            if kind == Kind::OneA {
                if self.max_ballot.is_some_and(|b| b >= ballot) {
                    continue; // A stale 1a: accepted and relayed only (D11).
                }
                self.max_ballot = Some(ballot);
            }
            self.recent.insert(id);
            self.emit(effects);
        }
    }

    /// Builds, checks, signs, persists and sends own messages over `recent`
    /// while each is well-formed and not redundant (D7). Terminates: each
    /// emission either is a 1b for a new highest ballot or adds a learner to
    /// `sent_2a` at its ballot.
    fn emit(&mut self, effects: &mut Vec<Effect>) {
        loop {
            if self
                .last_own
                .is_some_and(|o| self.recent.len() == 1 && self.recent.contains(&o))
            {
                return; // Nothing new since the last own message.
            }
            let candidate = Unsigned::new(self.id, self.recent.iter().copied());
            let sent_2a = self.sent_2a;
            let result = self
                .store
                .insert_own(candidate, &*self.signer, |_, c| match c.kind() {
                    Kind::OneB => true,
                    Kind::TwoA(learners) => match sent_2a {
                        Some((b, done)) if b == c.ballot() => !learners.is_subset(done),
                        _ => true,
                    },
                    Kind::OneA => false,
                });
            let Ok(Some((idx, message))) = result else {
                return;
            };
            let facts = self.store.facts_at(idx);
            if let Kind::TwoA(learners) = facts.kind() {
                let ballot = facts.ballot();
                self.sent_2a = Some(match self.sent_2a {
                    Some((b, done)) if b == ballot => (b, done.union(learners)),
                    _ => (ballot, learners),
                });
            }
            self.last_own = Some(message.id());
            self.recent.clear();
            self.recent.insert(message.id());
            effects.push(Effect::Persist(message.clone()));
            effects.push(Effect::Broadcast(message));
        }
    }
}
