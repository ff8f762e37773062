//! A deterministic in-memory network that drives the pure hetpaxos state
//! machines — acceptors, a learner process and proposers — for scenario tests
//! and benchmarks. Randomness comes from a seeded generator here, outside the
//! protocol crates.
//!
//! Delivery order is either by *rounds* (every message sent in reaction to a
//! message that arrived after `h` network hops arrives after `h + 1`, and
//! messages are delivered in hop order: the best case) or seeded-random.
#![forbid(unsafe_code)]

use ed25519_dalek::SigningKey;
use hetpaxos_acceptor::driver::{self, Io, MemLog};
use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Halt, Input as AInput, LogPosition, Record};
use hetpaxos_learner::{Decision, Learner, LearnerEvent};
use hetpaxos_messages::{
    ClusterContext, Ed25519ProposalSigner, Ed25519Signer, Ed25519Verifier, Hash32, Message,
    MessageId, PendingLimits, ProposerId, Refusal, Verifier,
};
use hetpaxos_proposer::{Effect as PEffect, Input as PInput, Proposer, ProposerConfig};
use hetpaxos_quorums::{AcceptorId, LearnerGraph};
use std::sync::Arc;

/// Who receives a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// An acceptor slot (twins of one acceptor have different slots).
    Acceptor(usize),
    /// The learner process.
    Learner,
    /// A proposer.
    Proposer(usize),
}

/// Delivery order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// By network hops, FIFO within a hop count: the best case.
    Rounds,
    /// Seeded-random among all messages in flight.
    Random,
}

/// A message in flight.
#[derive(Clone, Debug)]
struct InFlight {
    to: Node,
    message: Message,
    hops: u32,
    seq: u64,
}

/// One acceptor slot.
#[derive(Debug)]
pub struct Slot {
    /// The state machine.
    pub acceptor: Acceptor,
    /// Whether it still takes steps.
    pub up: bool,
    /// Its log (what survives a crash is the durable part).
    pub log: MemLog,
    /// Own messages in the order they were sent (re-sends after a restart
    /// included).
    pub sent: Vec<Message>,
    /// Set if an own message was ever sent while its record was not durable.
    pub sent_unpersisted: bool,
    /// Set if the acceptor halted.
    pub halted: Option<Halt>,
}

/// The acceptor's outside world during one driver call: the slot's log, and
/// what to put on the network afterwards.
struct SlotIo<'a> {
    log: &'a mut MemLog,
    sent: &'a mut Vec<Message>,
    sent_unpersisted: &'a mut bool,
    halted: &'a mut Option<Halt>,
    out: Vec<Message>,
    rejections: Vec<String>,
}

impl Io for SlotIo<'_> {
    type Error = std::convert::Infallible;

    fn append(&mut self, records: &[Record], _up_to: LogPosition) -> Result<(), Self::Error> {
        self.log.append(records);
        Ok(())
    }

    fn sync(&mut self, _up_to: LogPosition) -> Result<(), Self::Error> {
        self.log.sync();
        Ok(())
    }

    fn relay(&mut self, message: &Message) {
        self.out.push(message.clone());
    }

    fn send(&mut self, message: &Message) {
        let durable = &self.log.records[..self.log.durable];
        if !durable.iter().any(|r| r.message().id() == message.id()) {
            *self.sent_unpersisted = true;
        }
        self.sent.push(message.clone());
        self.out.push(message.clone());
    }

    fn refused(&mut self, _id: MessageId, reason: &Refusal) {
        self.rejections.push(reason.to_string());
    }

    fn halted(&mut self, why: &Halt) {
        *self.halted = Some(why.clone());
    }
}

impl Slot {
    /// Runs `f` on the acceptor with this slot's I/O (the one driver);
    /// returns the messages to put on the network and the refusals.
    fn drive(
        &mut self,
        f: impl FnOnce(&mut Acceptor, &mut SlotIo<'_>) -> Result<(), std::convert::Infallible>,
    ) -> (Vec<Message>, Vec<String>) {
        let mut io = SlotIo {
            log: &mut self.log,
            sent: &mut self.sent,
            sent_unpersisted: &mut self.sent_unpersisted,
            halted: &mut self.halted,
            out: Vec::new(),
            rejections: Vec::new(),
        };
        let Ok(()) = f(&mut self.acceptor, &mut io);
        (io.out, io.rejections)
    }
}

/// A dropping rule: returns `true` to drop a message to a node.
pub type DropRule = Box<dyn FnMut(Node, &Message) -> bool>;

/// The simulated cluster.
pub struct Sim {
    /// The learner graph.
    pub graph: Arc<LearnerGraph>,
    /// Acceptor slots.
    pub slots: Vec<Slot>,
    /// The learner process (all learners of the graph).
    pub learner: Learner,
    /// Proposers.
    pub proposers: Vec<Proposer>,
    timers: Vec<Option<u64>>,
    queue: Vec<InFlight>,
    order: Order,
    rng: u64,
    seq: u64,
    now: u64,
    verifier: Arc<dyn Verifier>,
    keys: Vec<SigningKey>,
    context: ClusterContext,
    drop_rule: Option<DropRule>,
    /// Decisions with the hop count of the message that completed them.
    pub decisions: Vec<(Decision, u32)>,
    /// Rejections: who refused, and why.
    pub rejections: Vec<(Node, String)>,
    /// Acceptors the learner reported caught, in order.
    pub caught: Vec<AcceptorId>,
    /// Conflicts the learner reported: its decision and the other quorum.
    pub conflicts: Vec<(Decision, Decision)>,
    /// Messages delivered so far.
    pub delivered: u64,
    /// Each proposer's 1as, in the order it broadcast them.
    pub proposer_sent: Vec<Vec<Message>>,
    /// The clock of a new or restarted acceptor slot.
    acceptor_start: u64,
}

/// The deterministic test key of acceptor `i`.
pub fn test_key(i: usize) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    seed[8] = 0x5a;
    SigningKey::from_bytes(&seed)
}

/// The deterministic test key of proposer `i`.
pub fn test_proposer_key(i: usize) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    seed[8] = 0xa5;
    SigningKey::from_bytes(&seed)
}

/// How many proposers the simulated cluster configures (and may add).
pub const MAX_PROPOSERS: usize = 16;

/// The clock of [`Sim::new`]'s acceptors: far ahead of every proposer's
/// timestamp, so no 1a is ever held as one from the future.
pub const FAR_AHEAD: u64 = u64::MAX / 2;

impl Sim {
    /// One slot per acceptor of `graph`, with real Ed25519 keys, and one
    /// learner; acceptor clocks read [`FAR_AHEAD`].
    pub fn new(graph: Arc<LearnerGraph>, order: Order, seed: u64) -> Self {
        Self::with_acceptor_clock(graph, order, seed, FAR_AHEAD)
    }

    /// [`Sim::new`] with every acceptor's clock at `start` (also after a
    /// restart): 1as with a later timestamp are held until [`Sim::tick`]
    /// brings the clock to it.
    pub fn with_acceptor_clock(
        graph: Arc<LearnerGraph>,
        order: Order,
        seed: u64,
        start: u64,
    ) -> Self {
        let n = graph.num_acceptors();
        let context = ClusterContext(Hash32::of(&[b"hetpaxos-sim"]));
        let keys: Vec<SigningKey> = (0..n).map(test_key).collect();
        let verifier: Arc<dyn Verifier> = Arc::new(Ed25519Verifier::new(
            keys.iter().map(SigningKey::verifying_key).collect(),
            (0..MAX_PROPOSERS)
                .map(|i| test_proposer_key(i).verifying_key())
                .collect(),
            context,
        ));
        let learner = Learner::new(graph.clone(), verifier.clone(), PendingLimits::default());
        let mut sim = Self {
            graph,
            slots: Vec::new(),
            learner,
            proposers: Vec::new(),
            timers: Vec::new(),
            queue: Vec::new(),
            order,
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            seq: 0,
            now: 1_000,
            verifier,
            keys,
            context,
            drop_rule: None,
            decisions: Vec::new(),
            rejections: Vec::new(),
            caught: Vec::new(),
            conflicts: Vec::new(),
            delivered: 0,
            proposer_sent: Vec::new(),
            acceptor_start: start,
        };
        for a in sim.graph.clone().acceptor_ids() {
            sim.add_slot(a);
        }
        sim
    }

    /// Adds another slot signing as `acceptor` — a twin, for equivocation.
    /// Returns its slot index.
    pub fn add_slot(&mut self, acceptor: AcceptorId) -> usize {
        let key = self.keys[acceptor.index()].clone();
        let signer = Arc::new(Ed25519Signer::new(acceptor, key, self.context));
        let mut acc = Acceptor::new(
            self.graph.clone(),
            signer,
            self.verifier.clone(),
            AcceptorLimits::default(),
        );
        let _ = acc.handle(AInput::Tick {
            now: self.acceptor_start,
        });
        self.slots.push(Slot {
            acceptor: acc,
            up: true,
            log: MemLog::default(),
            sent: Vec::new(),
            sent_unpersisted: false,
            halted: None,
        });
        self.slots.len() - 1
    }

    fn slot_signer(&self, slot: usize) -> Option<Arc<Ed25519Signer>> {
        let id = self.slots.get(slot)?.acceptor.id();
        Some(Arc::new(self.signer(id)))
    }

    /// The signer of proposer `i` (for crafting 1as in tests).
    pub fn proposal_signer(&self, i: usize) -> Ed25519ProposalSigner {
        Ed25519ProposalSigner::new(ProposerId(i as u32), test_proposer_key(i), self.context)
    }

    /// Adds a proposer of `value` (at most [`MAX_PROPOSERS`] in all; beyond,
    /// its 1as do not verify). Returns its index.
    pub fn add_proposer(&mut self, value: &[u8], config: ProposerConfig) -> usize {
        let signer = Arc::new(self.proposal_signer(self.proposers.len()));
        self.proposers.push(Proposer::new(
            self.graph.clone(),
            self.verifier.clone(),
            signer,
            value.to_vec(),
            config,
        ));
        self.timers.push(None);
        self.proposer_sent.push(Vec::new());
        self.proposers.len() - 1
    }

    /// Stops slot `slot` (crash: it takes no more steps, and its log loses
    /// every record that was not synced). Messages in flight to it are lost.
    pub fn crash(&mut self, slot: usize) {
        self.crash_keeping(slot, 0);
    }

    /// A crash after which the first `kept` unsynced records of the log
    /// survive (a write that reached the disk without a sync).
    pub fn crash_keeping(&mut self, slot: usize, kept: usize) {
        if let Some(s) = self.slots.get_mut(slot) {
            s.up = false;
            s.log.crash(kept);
        }
    }

    /// Restarts a crashed slot from its log ([`Acceptor::recover`]) and, as
    /// the network runtime does on reconnection, has every live slot replay
    /// what it may send to it. Returns the recovery error, if any.
    pub fn restart(&mut self, slot: usize) -> Result<(), hetpaxos_acceptor::RecoveryError> {
        let Some(signer) = self.slot_signer(slot) else {
            return Ok(());
        };
        if self.slots[slot].up {
            return Ok(());
        }
        let (acceptor, effects) = Acceptor::recover(
            self.graph.clone(),
            signer,
            self.verifier.clone(),
            AcceptorLimits::default(),
            self.slots[slot].log.records.clone(),
        )?;
        let start = self.acceptor_start;
        let s = &mut self.slots[slot];
        s.acceptor = acceptor;
        s.up = true;
        let (out, _) = s.drive(|a, io| {
            driver::apply(effects, io)?;
            driver::step(a, AInput::Tick { now: start }, io).map(|_| ())
        });
        for m in out {
            self.broadcast(Some(Node::Acceptor(slot)), &m, 1);
        }
        for other in 0..self.slots.len() {
            if other == slot || !self.slots[other].up {
                continue;
            }
            let replay: Vec<Message> = self.slots[other].acceptor.sendable().cloned().collect();
            for m in replay {
                self.send(Node::Acceptor(slot), m, 1);
            }
        }
        Ok(())
    }

    /// Drops every message for which `rule` returns `true`.
    pub fn set_drop_rule(&mut self, rule: DropRule) {
        self.drop_rule = Some(rule);
    }

    /// The verifier of this cluster's keys.
    pub fn verifier(&self) -> Arc<dyn Verifier> {
        self.verifier.clone()
    }

    /// The signer of acceptor `i` (for crafting messages in tests).
    pub fn signer(&self, i: AcceptorId) -> Ed25519Signer {
        Ed25519Signer::new(i, self.keys[i.index()].clone(), self.context)
    }

    /// Starts proposer `p`.
    pub fn start(&mut self, p: usize) {
        self.now += 1;
        let random = self.next_random();
        let input = PInput::Start {
            now: self.now,
            random,
        };
        self.proposer_input(p, input, 0);
    }

    /// Starts proposer `p` with the clock reading `now` and the random
    /// number `random` (for replaying a chosen schedule; [`Sim::start`]
    /// takes both from the simulation).
    pub fn start_at(&mut self, p: usize, now: u64, random: u64) {
        self.proposer_input(p, PInput::Start { now, random }, 0);
    }

    /// Fires proposer `p`'s timer with the clock reading `now` and the
    /// random number `random` (for replaying a chosen schedule;
    /// [`Sim::run`] fires the earliest timer itself).
    pub fn fire_timer_at(&mut self, p: usize, now: u64, random: u64) {
        if let Some(t) = self.timers.get_mut(p) {
            *t = None;
        }
        self.proposer_input(p, PInput::Timer { now, random }, 0);
    }

    /// Advances the clock of the acceptor in `slot` by one unit: the 1as it
    /// held that are now due are taken in, and what it sends is broadcast.
    /// `false` when the slot is down (or there is no such slot).
    pub fn tick(&mut self, slot: usize) -> bool {
        let Some(s) = self.slots.get_mut(slot).filter(|s| s.up) else {
            return false;
        };
        let now = s.acceptor.now().saturating_add(1);
        let (out, rejections) =
            s.drive(|a, io| driver::step(a, AInput::Tick { now }, io).map(|_| ()));
        for reason in rejections {
            self.rejections.push((Node::Acceptor(slot), reason));
        }
        for m in out {
            self.broadcast(Some(Node::Acceptor(slot)), &m, 1);
        }
        true
    }

    /// Sends `message` from outside to node `to`, arriving after one hop.
    pub fn inject(&mut self, to: Node, message: Message) {
        self.send(to, message, 1);
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn send(&mut self, to: Node, message: Message, hops: u32) {
        // Twins (slots signing as one acceptor) never see each other's
        // messages: each stays an honest instance, together they equivocate.
        if let Node::Acceptor(s) = to
            && let Some(signer) = message.signer()
            && self.slots.get(s).is_some_and(|s| s.acceptor.id() == signer)
        {
            return;
        }
        if let Some(rule) = self.drop_rule.as_mut()
            && rule(to, &message)
        {
            return;
        }
        self.seq += 1;
        self.queue.push(InFlight {
            to,
            message,
            hops,
            seq: self.seq,
        });
    }

    fn broadcast(&mut self, from: Option<Node>, message: &Message, hops: u32) {
        for i in 0..self.slots.len() {
            if from != Some(Node::Acceptor(i)) {
                self.send(Node::Acceptor(i), message.clone(), hops);
            }
        }
        if message.as_proposal().is_none() || from.is_some() {
            self.send(Node::Learner, message.clone(), hops);
            for p in 0..self.proposers.len() {
                self.send(Node::Proposer(p), message.clone(), hops);
            }
        }
    }

    fn proposer_input(&mut self, p: usize, input: PInput, hops: u32) {
        let Some(proposer) = self.proposers.get_mut(p) else {
            return;
        };
        for effect in proposer.handle(input) {
            match effect {
                PEffect::Broadcast(m) => {
                    for i in 0..self.slots.len() {
                        self.send(Node::Acceptor(i), m.clone(), hops + 1);
                    }
                    if let Some(sent) = self.proposer_sent.get_mut(p) {
                        sent.push(m);
                    }
                }
                PEffect::SetTimer { at } => self.timers[p] = Some(at),
                PEffect::Stopped => self.timers[p] = None,
                PEffect::Decided(_) => {}
            }
        }
    }

    /// Delivers one message; `false` when nothing is in flight.
    pub fn step(&mut self) -> bool {
        if self.queue.is_empty() {
            return false;
        }
        let i = match self.order {
            Order::Rounds => {
                let mut best = 0;
                for (j, m) in self.queue.iter().enumerate() {
                    let b = &self.queue[best];
                    if (m.hops, m.seq) < (b.hops, b.seq) {
                        best = j;
                    }
                }
                best
            }
            Order::Random => (self.next_random() % self.queue.len() as u64) as usize,
        };
        self.deliver_at(i);
        true
    }

    /// Delivers the message `id` in flight to `to` (for replaying a chosen
    /// schedule, such as a model checker's counterexample); `false` when no
    /// such message is in flight.
    pub fn deliver(&mut self, to: Node, id: MessageId) -> bool {
        match self
            .queue
            .iter()
            .position(|m| m.to == to && m.message.id() == id)
        {
            Some(i) => {
                self.deliver_at(i);
                true
            }
            None => false,
        }
    }

    /// Delivers every message in flight to `to`, and what that sends to
    /// it in turn; returns how many.
    pub fn deliver_all_to(&mut self, to: Node) -> usize {
        let mut n = 0;
        while let Some(i) = self.queue.iter().position(|m| m.to == to) {
            self.deliver_at(i);
            n += 1;
        }
        n
    }

    fn deliver_at(&mut self, i: usize) {
        let m = self.queue.swap_remove(i);
        self.delivered += 1;
        match m.to {
            Node::Acceptor(s) => self.acceptor_input(s, m.message, m.hops),
            Node::Learner => {
                for e in self.learner.receive(m.message) {
                    match e {
                        LearnerEvent::Decided(d) => self.decisions.push((d, m.hops)),
                        LearnerEvent::Rejected { reason, .. } => {
                            self.rejections.push((Node::Learner, reason.to_string()));
                        }
                        LearnerEvent::Caught { acceptor, .. } => self.caught.push(acceptor),
                        LearnerEvent::Conflict { decided, other } => {
                            self.conflicts.push((decided, other));
                        }
                        LearnerEvent::Accepted(_) => {}
                    }
                }
            }
            Node::Proposer(p) => self.proposer_input(p, PInput::Receive(m.message), m.hops),
        }
    }

    fn acceptor_input(&mut self, s: usize, message: Message, hops: u32) {
        let Some(slot) = self.slots.get_mut(s) else {
            return;
        };
        if !slot.up {
            return;
        }
        let (out, rejections) =
            slot.drive(|a, io| driver::step(a, AInput::Receive(message), io).map(|_| ()));
        for reason in rejections {
            self.rejections.push((Node::Acceptor(s), reason));
        }
        for m in out {
            self.broadcast(Some(Node::Acceptor(s)), &m, hops + 1);
        }
    }

    /// Delivers until nothing is in flight or `max` deliveries; then, while
    /// the learner is undecided, fires the earliest proposer timer and goes on.
    /// Returns the number of deliveries.
    pub fn run(&mut self, max: u64) -> u64 {
        let start = self.delivered;
        while self.delivered - start < max {
            if self.step() {
                continue;
            }
            if self.learner.all_decided() {
                break;
            }
            let Some((p, at)) = self
                .timers
                .iter()
                .enumerate()
                .filter_map(|(p, t)| t.map(|t| (p, t)))
                .min_by_key(|&(_, t)| t)
            else {
                break;
            };
            self.timers[p] = None;
            self.now = self.now.max(at);
            let random = self.next_random();
            self.proposer_input(
                p,
                PInput::Timer {
                    now: self.now,
                    random,
                },
                0,
            );
        }
        self.delivered - start
    }

    /// Number of messages in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }
}

/// An honest history: `ballots` successive ballots of one value on `graph`,
/// each run to quiescence in the best-case order. Returns acceptor 0's
/// accepted messages in acceptance (causal) order.
pub fn honest_history(graph: Arc<LearnerGraph>, ballots: usize) -> Vec<Message> {
    let mut sim = Sim::new(graph, Order::Rounds, 1);
    for _ in 0..ballots {
        // Acceptors join one proposer's ballots at most once per interval
        // of ballot time: without this step every ballot after the first
        // would be a lone 1a.
        sim.now += AcceptorLimits::default().min_proposal_interval;
        let p = sim.add_proposer(b"benchmark value", ProposerConfig::default());
        sim.start(p);
        sim.run(u64::MAX);
        // Retire the proposer: its observer need not see later ballots.
        sim.proposers.clear();
        sim.timers.clear();
        sim.proposer_sent.clear();
    }
    sim.slots[0].acceptor.store().messages().cloned().collect()
}
