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
use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Effect as AEffect, Input as AInput};
use hetpaxos_learner::{Decision, Learner, LearnerEvent};
use hetpaxos_messages::{
    ClusterContext, Ed25519Signer, Ed25519Verifier, Hash32, Message, PendingLimits, Verifier,
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
    /// Own messages in the order they were persisted.
    pub persisted: Vec<Message>,
    /// Set if an own message was ever broadcast before being persisted.
    pub sent_unpersisted: bool,
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
    /// Messages delivered so far.
    pub delivered: u64,
}

/// The deterministic test key of acceptor `i`.
pub fn test_key(i: usize) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    seed[8] = 0x5a;
    SigningKey::from_bytes(&seed)
}

impl Sim {
    /// One slot per acceptor of `graph`, with real Ed25519 keys, and one learner.
    pub fn new(graph: Arc<LearnerGraph>, order: Order, seed: u64) -> Self {
        let n = graph.num_acceptors();
        let context = ClusterContext(Hash32::of(&[b"hetpaxos-sim"]));
        let keys: Vec<SigningKey> = (0..n).map(test_key).collect();
        let verifier: Arc<dyn Verifier> = Arc::new(Ed25519Verifier::new(
            keys.iter().map(SigningKey::verifying_key).collect(),
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
            delivered: 0,
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
        // Clocks are far ahead of the proposers' timestamps, so 1as are not held.
        let _ = acc.handle(AInput::Tick { now: u64::MAX / 2 });
        self.slots.push(Slot {
            acceptor: acc,
            up: true,
            persisted: Vec::new(),
            sent_unpersisted: false,
        });
        self.slots.len() - 1
    }

    /// Adds a proposer of `value`. Returns its index.
    pub fn add_proposer(&mut self, value: &[u8], config: ProposerConfig) -> usize {
        self.proposers.push(Proposer::new(
            self.graph.clone(),
            self.verifier.clone(),
            value.to_vec(),
            config,
        ));
        self.timers.push(None);
        self.proposers.len() - 1
    }

    /// Stops slot `slot` (crash: it takes no more steps).
    pub fn crash(&mut self, slot: usize) {
        if let Some(s) = self.slots.get_mut(slot) {
            s.up = false;
        }
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
        let m = self.queue.swap_remove(i);
        self.delivered += 1;
        match m.to {
            Node::Acceptor(s) => self.acceptor_input(s, m.message, m.hops),
            Node::Learner => {
                for e in self.learner.receive(m.message) {
                    match e {
                        LearnerEvent::Decided(d) => self.decisions.push((d, m.hops)),
                        LearnerEvent::Rejected { reason, .. } => {
                            self.rejections.push((Node::Learner, reason));
                        }
                        LearnerEvent::Accepted(_) => {}
                    }
                }
            }
            Node::Proposer(p) => self.proposer_input(p, PInput::Receive(m.message), m.hops),
        }
        true
    }

    fn acceptor_input(&mut self, s: usize, message: Message, hops: u32) {
        let Some(slot) = self.slots.get_mut(s) else {
            return;
        };
        if !slot.up {
            return;
        }
        let effects = slot.acceptor.handle(AInput::Receive(message));
        for e in effects {
            match e {
                AEffect::Persist(m) => self.slots[s].persisted.push(m),
                AEffect::Broadcast(m) => {
                    let own = m.signer() == Some(self.slots[s].acceptor.id());
                    if own && !self.slots[s].persisted.iter().any(|p| p.id() == m.id()) {
                        self.slots[s].sent_unpersisted = true;
                    }
                    self.broadcast(Some(Node::Acceptor(s)), &m, hops + 1);
                }
                AEffect::Rejected { reason, .. } => {
                    self.rejections.push((Node::Acceptor(s), reason));
                }
            }
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
        let p = sim.add_proposer(b"benchmark value", ProposerConfig::default());
        sim.start(p);
        sim.run(u64::MAX);
        // Retire the proposer: its observer need not see later ballots.
        sim.proposers.clear();
        sim.timers.clear();
    }
    sim.slots[0].acceptor.store().messages().cloned().collect()
}
