//! The [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253) learner as a
//! pure, deterministic state machine.
//!
//! One `Learner` tracks every learner of the configuration (learners are
//! identities defined by their trust assumptions, not machines; digest §1). It
//! accepts well-formed messages whose references are known (the delivery rule;
//! others wait in a bounded buffer) and emits [`Decision`] for a learner `a`
//! exactly once, as soon as its accepted 2as for `a` at one ballot have signers
//! containing a quorum of `a` — the 2a that completes the quorum included
//! (digest §3.2 "Decision"; decision D8). Learners do not check Caught.
//!
//! For operators it also reports evidence, once each: [`LearnerEvent::Caught`]
//! the first time its store holds two messages of one acceptor that prove it
//! equivocated, and [`LearnerEvent::Conflict`] when, after a learner decided,
//! a quorum of 2as for it forms at another ballot for a different value (the
//! learner's trust assumptions failed: it is not *accurate*, digest §2.4).
//!
//! See `spec/README.md` for the traceability table.
#![forbid(unsafe_code)]

use hetpaxos_messages::{
    Ballot, Bytes, Message, MessageId, MessageStore, NodeIdx, Pending, PendingLimits, Refusal,
    Verifier,
};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph, LearnerId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A learner's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The learner that decided.
    pub learner: LearnerId,
    /// The ballot of the deciding 2as.
    pub ballot: Ballot,
    /// The decided value.
    pub value: Bytes,
    /// The deciding 2as' signers (a quorum of `learner`).
    pub signers: AcceptorSet,
    /// Acceptors proven Byzantine in the history of the deciding 2as
    /// (the union of their `Caught`).
    pub caught: AcceptorSet,
}

/// What the learner reports.
// A decision carries two acceptor sets (128 bytes each, for up to 1,024
// acceptors); decisions are rare and events short-lived, so they stay inline.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LearnerEvent {
    /// A learner decided (once per learner).
    Decided(Decision),
    /// A message was accepted into the store (for observers such as proposers).
    Accepted(MessageId),
    /// A message was refused: bad signature or ill-formed.
    Rejected {
        /// The message.
        id: MessageId,
        /// Why.
        reason: Refusal,
    },
    /// The store holds proof that `acceptor` equivocated: two of its messages,
    /// neither in the other's history (reported once per acceptor).
    Caught {
        /// The acceptor.
        acceptor: AcceptorId,
        /// The two messages.
        evidence: (MessageId, MessageId),
    },
    /// After `decided`, a quorum of 2as for the same learner formed at
    /// another ballot for a different value (reported once per learner and
    /// ballot): the learner's safety assumptions do not hold.
    Conflict {
        /// The decision the learner made.
        decided: Decision,
        /// The other quorum's ballot, value and signers.
        other: Decision,
    },
}

/// Votes for one (learner, ballot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    signers: AcceptorSet,
    caught: AcceptorSet,
}

/// The learner state machine.
#[derive(Clone)]
pub struct Learner {
    store: MessageStore,
    pending: Pending,
    verifier: Arc<dyn Verifier>,
    tallies: BTreeMap<(LearnerId, Ballot), Tally>,
    decided: BTreeMap<LearnerId, Decision>,
    /// Acceptors already reported caught (a function of the store).
    reported_caught: AcceptorSet,
    /// Conflicts already reported (a function of the tallies).
    reported_conflicts: BTreeSet<(LearnerId, Ballot)>,
    /// A seeded fault (feature `mutants` only; see [`LearnerFault`]).
    #[cfg(feature = "mutants")]
    fault: Option<LearnerFault>,
}

/// Seeded faults of the learner, compiled only with the feature `mutants`:
/// the model checker's mutant tests seed one to show that it is caught.
/// Nothing seeds one unless asked to; a node never does.
#[cfg(feature = "mutants")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnerFault {
    /// Decides one 2a early: as soon as the signers of its 2as at a ballot
    /// would contain a quorum with one more acceptor (instead of D8).
    DecideOneEarly,
}

impl std::fmt::Debug for Learner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Learner")
            .field("messages", &self.store.len())
            .field("pending", &self.pending.len())
            .field("decided", &self.decided)
            .finish_non_exhaustive()
    }
}

/// States are equal when they hold the same accepted and waiting messages and
/// the same decisions (acceptance order does not matter; the tallies and what
/// was reported caught or conflicting are functions of those).
impl PartialEq for Learner {
    fn eq(&self, other: &Self) -> bool {
        self.decided == other.decided
            && self.store.same_messages(&other.store)
            && self.pending.sorted_ids() == other.pending.sorted_ids()
    }
}

impl Eq for Learner {}

/// Hashes what [`PartialEq`] compares (the store by its set digest), except
/// the signers and caught sets of each decision: which ballot each learner
/// decided is all its future behaviour depends on. O(decisions + |pending|).
impl std::hash::Hash for Learner {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for (a, d) in &self.decided {
            a.hash(state);
            d.ballot.hash(state);
        }
        self.store.len().hash(state);
        self.store.set_digest().hash(state);
        // Held messages change future behaviour: hash which (usually none).
        if !self.pending.is_empty() {
            self.pending.sorted_ids().hash(state);
        }
    }
}

impl Learner {
    /// A learner process for every learner of `graph`.
    pub fn new(
        graph: Arc<LearnerGraph>,
        verifier: Arc<dyn Verifier>,
        limits: PendingLimits,
    ) -> Self {
        Self {
            store: MessageStore::new(graph),
            pending: Pending::new(limits),
            verifier,
            tallies: BTreeMap::new(),
            decided: BTreeMap::new(),
            reported_caught: AcceptorSet::EMPTY,
            reported_conflicts: BTreeSet::new(),
            #[cfg(feature = "mutants")]
            fault: None,
        }
    }

    /// Seeds `fault` into this learner (feature `mutants`, for tests only).
    #[cfg(feature = "mutants")]
    pub fn seed_fault(&mut self, fault: LearnerFault) {
        self.fault = Some(fault);
    }

    /// Seeds `fault` into this learner's store (feature `mutants`, for tests
    /// only).
    #[cfg(feature = "mutants")]
    pub fn seed_store_fault(&mut self, fault: hetpaxos_messages::StoreFault) {
        self.store.seed_fault(fault);
    }

    /// Whether `signers`' 2as for learner `a` complete a decision (D8: they
    /// contain a quorum of `a`).
    #[cfg(not(feature = "mutants"))]
    fn decides(&self, a: LearnerId, signers: AcceptorSet) -> bool {
        self.store.graph().is_quorum(a, signers)
    }

    /// Whether `signers`' 2as for learner `a` complete a decision (D8: they
    /// contain a quorum of `a`), or with [`LearnerFault::DecideOneEarly`]
    /// would with one more signer.
    #[cfg(feature = "mutants")]
    fn decides(&self, a: LearnerId, signers: AcceptorSet) -> bool {
        let graph = self.store.graph();
        graph.is_quorum(a, signers)
            || (self.fault == Some(LearnerFault::DecideOneEarly)
                && graph.acceptor_ids().any(|x| {
                    let mut more = signers;
                    more.insert(x);
                    graph.is_quorum(a, more)
                }))
    }

    /// Handles one received message; returns what happened, in order.
    pub fn receive(&mut self, message: Message) -> Vec<LearnerEvent> {
        let mut events = Vec::new();
        if let Err(e) = self.verifier.verify(&message) {
            events.push(LearnerEvent::Rejected {
                id: message.id(),
                reason: Refusal::Signature(e),
            });
            return events;
        }
        let delivery = self.pending.deliver(&mut self.store, message);
        for (id, why) in delivery.rejected {
            events.push(LearnerEvent::Rejected {
                id,
                reason: Refusal::Store(why),
            });
        }
        for idx in delivery.accepted {
            events.push(LearnerEvent::Accepted(self.store.facts_at(idx).id()));
            self.report_fork(idx, &mut events);
            self.count(idx, &mut events);
        }
        events
    }

    /// Reports the signer of `idx` caught if this message proved it forked.
    fn report_fork(&mut self, idx: NodeIdx, events: &mut Vec<LearnerEvent>) {
        let Some(signer) = self.store.facts_at(idx).signer() else {
            return;
        };
        if self.reported_caught.contains(signer) {
            return;
        }
        if let Some(evidence) = self.store.fork_evidence(signer) {
            self.reported_caught.insert(signer);
            events.push(LearnerEvent::Caught {
                acceptor: signer,
                evidence,
            });
        }
    }

    /// Counts an accepted message if it is a 2a; decides where a quorum is complete.
    fn count(&mut self, idx: NodeIdx, events: &mut Vec<LearnerEvent>) {
        let facts = self.store.facts_at(idx);
        let Some(signer) = facts.signer() else {
            return;
        };
        let (ballot, caught, learners) = (facts.ballot(), facts.caught(), facts.two_a_learners());
        let value = facts.value().clone();
        for a in learners.iter() {
            let tally = self.tallies.entry((a, ballot)).or_default();
            tally.signers.insert(signer);
            tally.caught = tally.caught.union(caught);
            let tally = *tally;
            if !self.decides(a, tally.signers) {
                continue;
            }
            let d = Decision {
                learner: a,
                ballot,
                value: value.clone(),
                signers: tally.signers,
                caught: tally.caught,
            };
            match self.decided.get(&a) {
                None => {
                    self.decided.insert(a, d.clone());
                    events.push(LearnerEvent::Decided(d));
                }
                Some(first) if first.value != d.value => {
                    if self.reported_conflicts.insert((a, ballot)) {
                        events.push(LearnerEvent::Conflict {
                            decided: first.clone(),
                            other: d,
                        });
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// The decision of learner `a`, if any.
    pub fn decision(&self, a: LearnerId) -> Option<&Decision> {
        self.decided.get(&a)
    }

    /// All decisions so far.
    pub fn decisions(&self) -> impl Iterator<Item = &Decision> {
        self.decided.values()
    }

    /// Whether every learner of the graph has decided.
    pub fn all_decided(&self) -> bool {
        self.decided.len() == self.store.graph().num_learners()
    }

    /// The message store (read-only).
    pub fn store(&self) -> &MessageStore {
        &self.store
    }

    /// The buffer of messages waiting for references (read-only).
    pub fn pending(&self) -> &Pending {
        &self.pending
    }
}
