//! The acceptor state machine: the receive step of TR Fig. 3, with an outbox
//! that holds own messages until the log is durable.

use crate::io::{AcceptorLimits, Effect, Halt, Input, LogPosition, Record};
use hetpaxos_messages::{
    Ballot, Kind, Message, MessageId, MessageStore, NodeIdx, Pending, ProposerId, Refusal, Signer,
    Unsigned, Verifier,
};
use hetpaxos_quorums::{AcceptorId, LearnerGraph, LearnerSet};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// Most messages of one signer proven to equivocate (forked in the store)
/// that `recent` holds: two are the proof; more would only let the
/// equivocator widen every later honest message.
pub const MAX_FORKED_IN_RECENT: usize = 2;

/// The acceptor state machine.
#[derive(Clone)]
pub struct Acceptor {
    pub(crate) id: AcceptorId,
    pub(crate) signer: Arc<dyn Signer>,
    pub(crate) verifier: Arc<dyn Verifier>,
    pub(crate) limits: AcceptorLimits,
    pub(crate) store: MessageStore,
    pub(crate) pending: Pending,
    /// 1as waiting for the clock, by (timestamp, id).
    pub(crate) future: BTreeMap<(u64, MessageId), Message>,
    /// [`Message::approx_bytes`] of the held 1as.
    pub(crate) future_bytes: usize,
    pub(crate) now: u64,
    /// Messages accepted since, and including, the last own message.
    pub(crate) recent: BTreeSet<MessageId>,
    /// Highest ballot of any accepted 1a.
    pub(crate) max_ballot: Option<Ballot>,
    /// Timestamp of the last 1a of each proposer this acceptor joined.
    pub(crate) joined: BTreeMap<ProposerId, u64>,
    /// Learners already sent a 2a for, at the ballot of the last 2a (D7).
    pub(crate) sent_2a: Option<(Ballot, LearnerSet)>,
    pub(crate) last_own: Option<MessageId>,
    /// The accepted messages in the order of their log records, which can
    /// differ from the store's insertion order: a delivery that unblocks held
    /// messages inserts them all before the acceptor's step runs after each.
    pub(crate) log_order: Vec<NodeIdx>,
    /// Records handed out so far (the log's length once they are appended).
    pub(crate) log_end: LogPosition,
    /// The log length the runtime last reported durable.
    pub(crate) durable: LogPosition,
    /// Records of the step in progress (empty between steps).
    pub(crate) staged: Vec<Record>,
    /// Own messages not yet sent, each with the log length that makes it
    /// durable, in chain order.
    pub(crate) outbox: VecDeque<(LogPosition, Message)>,
    pub(crate) halted: Option<Halt>,
}

impl Acceptor {
    /// Acceptor `signer.acceptor()` of `graph`, verifying others with
    /// `verifier`, with an empty log. To restart an acceptor that has a log,
    /// use [`Acceptor::recover`].
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
            future_bytes: 0,
            now: 0,
            recent: BTreeSet::new(),
            max_ballot: None,
            joined: BTreeMap::new(),
            sent_2a: None,
            last_own: None,
            log_order: Vec::new(),
            log_end: LogPosition(0),
            durable: LogPosition(0),
            staged: Vec::new(),
            outbox: VecDeque::new(),
            halted: None,
        }
    }

    /// This acceptor's id.
    pub fn id(&self) -> AcceptorId {
        self.id
    }

    /// Seeds `fault` into this acceptor's store (feature `mutants`, for the
    /// model checker's mutant tests only).
    #[cfg(feature = "mutants")]
    pub fn seed_store_fault(&mut self, fault: hetpaxos_messages::StoreFault) {
        self.store.seed_fault(fault);
    }

    /// The message store (read-only). It includes own messages still in the
    /// outbox; what may be shown to peers is [`Acceptor::sendable`].
    pub fn store(&self) -> &MessageStore {
        &self.store
    }

    /// Accepted messages that may leave the process, in causal order: the
    /// store without the own messages still waiting for durability (for
    /// replays to peers).
    pub fn sendable(&self) -> impl Iterator<Item = &Message> {
        self.store
            .messages()
            .filter(|m| !self.outbox.iter().any(|(_, o)| o.id() == m.id()))
    }

    /// The accepted message `id`, if it may leave the process (it is not an
    /// own message still waiting for durability): to answer a peer's fetch.
    pub fn sendable_message(&self, id: &MessageId) -> Option<&Message> {
        let m = self.store.get(id)?;
        (!self.outbox.iter().any(|(_, o)| o.id() == *id)).then_some(m)
    }

    /// Messages waiting for references (read-only).
    pub fn pending(&self) -> &Pending {
        &self.pending
    }

    /// The last message this acceptor signed (sent, or in the outbox).
    pub fn last_own(&self) -> Option<MessageId> {
        self.last_own
    }

    /// Messages accepted since, and including, the last own message: what
    /// the next own message will reference (TR Fig. 3).
    pub fn recent(&self) -> &BTreeSet<MessageId> {
        &self.recent
    }

    /// The highest ballot of an accepted 1a.
    pub fn max_ballot(&self) -> Option<Ballot> {
        self.max_ballot
    }

    /// The ballot of the last own 2a and the learners it was sent for at
    /// that ballot (decision D7's bookkeeping).
    pub fn sent_2a(&self) -> Option<(Ballot, LearnerSet)> {
        self.sent_2a
    }

    /// The local clock's last reading (from [`Input::Tick`]): 1as with a
    /// later ballot timestamp are held until it reaches them.
    pub fn now(&self) -> u64 {
        self.now
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

    /// The log length once every record handed out so far is appended.
    pub fn log_end(&self) -> LogPosition {
        self.log_end
    }

    /// The log length last reported durable ([`Input::Persisted`]).
    pub fn durable(&self) -> LogPosition {
        self.durable
    }

    /// Own messages waiting in the outbox for the log to be durable.
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// The log length that must be durable before the outbox can be sent,
    /// if own messages wait: the runtime syncs and answers
    /// [`Input::Persisted`] (group commit: one sync may cover many steps).
    pub fn awaiting_persist(&self) -> Option<LogPosition> {
        self.outbox.back().map(|(p, _)| *p)
    }

    /// Why the acceptor stopped, if it did.
    pub fn halted(&self) -> Option<&Halt> {
        self.halted.as_ref()
    }

    /// Handles one input; returns the effects to carry out, in order. Records
    /// of the step come as one [`Effect::Persist`] at its end.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.halted.is_some() {
            return effects;
        }
        match input {
            Input::Receive(m) => self.receive(m, &mut effects),
            Input::Tick { now } => {
                self.now = self.now.max(now);
                while let Some(entry) = self.future.first_entry() {
                    if entry.key().0 > self.now {
                        break;
                    }
                    let m = entry.remove();
                    self.future_bytes -= m.approx_bytes();
                    self.deliver(m, &mut effects);
                }
            }
            Input::Persisted { up_to } => self.persisted(up_to, &mut effects),
        }
        self.end_step(&mut effects);
        effects
    }

    /// Hands the step's records to the runtime.
    pub(crate) fn end_step(&mut self, effects: &mut Vec<Effect>) {
        if !self.staged.is_empty() {
            effects.push(Effect::Persist {
                records: std::mem::take(&mut self.staged),
                up_to: self.log_end,
            });
        }
    }

    fn stage(&mut self, record: Record) -> LogPosition {
        self.staged.push(record);
        self.log_end = LogPosition(self.log_end.0 + 1);
        self.log_end
    }

    fn persisted(&mut self, up_to: LogPosition, effects: &mut Vec<Effect>) {
        // A report beyond what was handed out cannot cover records not yet
        // written: clamp it.
        self.durable = self.durable.max(up_to.min(self.log_end));
        while self.outbox.front().is_some_and(|(p, _)| *p <= self.durable) {
            if let Some((_, m)) = self.outbox.pop_front() {
                effects.push(Effect::Send(m));
            }
        }
    }

    fn receive(&mut self, m: Message, effects: &mut Vec<Effect>) {
        let id = m.id();
        if self.store.contains(&id) {
            return;
        }
        if let Err(e) = self.verifier.verify(&m) {
            effects.push(Effect::Refused {
                id,
                reason: Refusal::Signature(e),
            });
            return;
        }
        if m.signer() == Some(self.id) {
            let halt = Halt::ForeignOwnMessage { id };
            self.halted = Some(halt.clone());
            effects.push(Effect::Halted(halt));
            return;
        }
        if let Some(p) = m.as_proposal()
            && p.ballot().timestamp > self.now
        {
            let key = (p.ballot().timestamp, id);
            if !self.future.contains_key(&key) {
                self.stage(Record::Held(m.clone()));
                self.hold_future(key, m);
            }
            return;
        }
        self.deliver(m, effects);
    }

    pub(crate) fn hold_future(&mut self, key: (u64, MessageId), m: Message) {
        self.future_bytes += m.approx_bytes();
        if let Some(old) = self.future.insert(key, m) {
            self.future_bytes -= old.approx_bytes();
        }
        while self.future.len() > self.limits.max_future_proposals
            || self.future_bytes > self.limits.max_future_bytes
        {
            // Drop the farthest-future 1a.
            match self.future.pop_last() {
                Some((_, m)) => self.future_bytes -= m.approx_bytes(),
                None => break,
            }
        }
    }

    /// Stops holding the 1a `key` (it was accepted).
    pub(crate) fn unhold_future(&mut self, key: &(u64, MessageId)) {
        if let Some(m) = self.future.remove(key) {
            self.future_bytes -= m.approx_bytes();
        }
    }

    /// Accepts `m` (and whatever it unblocks) and runs the rest of the step
    /// after each accepted message, in acceptance order.
    fn deliver(&mut self, m: Message, effects: &mut Vec<Effect>) {
        let delivery = self.pending.deliver(&mut self.store, m);
        for (id, why) in delivery.rejected {
            effects.push(Effect::Refused {
                id,
                reason: Refusal::Store(why),
            });
        }
        for idx in delivery.accepted {
            let message = self.store.facts_at(idx).message().clone();
            self.log_order.push(idx);
            self.stage(Record::Accepted(message.clone()));
            effects.push(Effect::Relay(message));
            if self.note_accepted(idx) {
                self.emit();
            }
        }
    }

    /// Bookkeeping of an accepted message from someone else: whether it
    /// enters `recent` (see [`Acceptor::enter_recent`] for its bound). A stale 1a does not (D11), nor does a 1a of a
    /// proposer that this acceptor joined less than
    /// [`AcceptorLimits::min_proposal_interval`] earlier (by their ballot
    /// timestamps): both are accepted and relayed only.
    pub(crate) fn note_accepted(&mut self, idx: NodeIdx) -> bool {
        let facts = self.store.facts_at(idx);
        let (kind, ballot) = (facts.kind(), facts.ballot());
        if kind == Kind::OneA {
            if self.max_ballot.is_some_and(|b| b >= ballot) {
                return false; // A stale 1a: accepted and relayed only (D11).
            }
            let proposer = facts
                .message()
                .as_proposal()
                .and_then(|p| p.signed())
                .map(|s| s.proposer);
            if let Some(p) = proposer {
                let interval = self.limits.min_proposal_interval;
                if self
                    .joined
                    .get(&p)
                    .is_some_and(|&last| ballot.timestamp < last.saturating_add(interval))
                {
                    return false; // Too soon after this proposer's last ballot.
                }
                self.joined.insert(p, ballot.timestamp);
            }
            self.max_ballot = Some(ballot);
        }
        self.enter_recent(idx)
    }

    /// Puts the accepted message `idx` into `recent`, keeping `recent` an
    /// antichain of at most `1 + 2n` entries ("Bounded `recent`" in the crate
    /// documentation): a signed message drops every signed member of
    /// `recent` in its `Tran`; a 1a drops the older 1as; a signer proven to
    /// equivocate keeps at most [`MAX_FORKED_IN_RECENT`] messages there.
    /// Returns whether it entered.
    fn enter_recent(&mut self, idx: NodeIdx) -> bool {
        let facts = self.store.facts_at(idx);
        let id = facts.id();
        let store = &self.store;
        match facts.signer() {
            None => {
                self.recent
                    .retain(|r| store.get(r).is_some_and(|m| m.signer().is_some()));
            }
            Some(s) => {
                if store.is_forked(s)
                    && self
                        .recent
                        .iter()
                        .filter(|r| store.get(r).and_then(Message::signer) == Some(s))
                        .count()
                        >= MAX_FORKED_IN_RECENT
                {
                    return false;
                }
                self.recent.retain(|r| {
                    store.get(r).and_then(Message::signer).is_none() || !facts.has_in_history(*r)
                });
            }
        }
        self.recent.insert(id);
        true
    }

    /// Bookkeeping of an own message: the 2a learners sent at its ballot
    /// (D7), the chain head, and a fresh `recent`.
    pub(crate) fn note_own(&mut self, idx: NodeIdx) {
        let facts = self.store.facts_at(idx);
        let id = facts.id();
        if let Kind::TwoA(learners) = facts.kind() {
            let ballot = facts.ballot();
            self.sent_2a = Some(match self.sent_2a {
                Some((b, done)) if b == ballot => (b, done.union(learners)),
                _ => (ballot, learners),
            });
        }
        self.last_own = Some(id);
        self.recent.clear();
        self.recent.insert(id);
    }

    /// Builds, checks and signs own messages over `recent` while each is
    /// well-formed and not redundant (D7); each is logged and put in the
    /// outbox, to be sent once durable. Terminates: each emission either is a
    /// 1b for a new highest ballot or adds a learner to `sent_2a` at its
    /// ballot.
    pub(crate) fn emit(&mut self) {
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
            self.note_own(idx);
            self.log_order.push(idx);
            let position = self.stage(Record::Accepted(message.clone()));
            self.outbox.push_back((position, message));
        }
    }
}
