//! The stateright actor model: thin adapters around the pure acceptor and
//! learner state machines, proposers that send their 1as at start, Byzantine
//! twins and silent acceptors, and crashes of safe acceptors that lose what
//! their log had not synced and recover from the rest.

use hetpaxos_acceptor::driver::{self, Io};
use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Input, LogPosition, Record};
use hetpaxos_learner::Learner;
use hetpaxos_messages::{
    AbstractProposalSigner, AbstractSignatures, AbstractSigner, Message, MessageId, PendingLimits,
    ProposerId, Verifier,
};
use hetpaxos_proposer::{
    Effect as ProposerEffect, Input as ProposerInput, Proposer, ProposerConfig, StopRule,
};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph};
use stateright::actor::{
    Actor, ActorModel, ActorModelState, Envelope, Id, Network, Out, model_timeout,
};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::properties;

/// How messages reach the learner process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LearnerDelivery {
    /// The learner observes every message the moment it is first sent (it is
    /// kept in the model's history, fed through the real [`Learner`]). Sound
    /// for every property checked here: they are all monotone in the set of
    /// messages the learner holds, and this learner holds, in every state, a
    /// superset of what any network-delivered learner could hold.
    #[default]
    Instant,
    /// The learner is a network actor like the acceptors: every interleaving
    /// of deliveries to it is explored (much larger state spaces).
    Network,
}

/// What to model.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// The learner graph.
    pub graph: Arc<LearnerGraph>,
    /// Byzantine acceptors that equivocate: each runs as two independent
    /// honest instances (twins) signing as it.
    pub twins: AcceptorSet,
    /// Byzantine acceptors that stay silent (no instance at all).
    pub silent: AcceptorSet,
    /// Arbitrary Byzantine acceptors: no instance, but each may sign any
    /// well-formed message over what was sent, within the bound of
    /// [`crate::forge`] (reduced engine only; the actor engine runs them as
    /// silent, and `hetpaxos-check` refuses that combination). A forger's
    /// choices grow as the product over the signers of their message counts:
    /// keep graphs small (`hetpaxos-check` refuses it above 7 acceptors).
    pub arbitrary: AcceptorSet,
    /// At most this many messages signed by the [`Self::arbitrary`]
    /// acceptors per run, all together (the forgery bound).
    pub max_forged: usize,
    /// Number of distinct (ballot, value) proposals: proposal `i` has ballot
    /// timestamp `i + 1` and value `v{i+1}`.
    pub proposals: usize,
    /// Whether the network may deliver a message more than once.
    pub duplicating: bool,
    /// Whether acceptors relay the messages they accept (the real effect). Off
    /// by default: in a loss-free network where every sender broadcasts to
    /// everyone, a relay only ever delivers a copy of a message the receiver is
    /// also sent directly, so relays add states but no behaviours.
    pub relays: bool,
    /// How the learner receives messages.
    pub learner_delivery: LearnerDelivery,
    /// Which optional reductions the reduced engine applies (all by default;
    /// turning them off is for measuring them).
    pub reductions: Reductions,
    /// How many safe acceptors may be crashed at once (stateright's
    /// crash/recover, actor engine only). A crash loses the acceptor's
    /// volatile state and every log record not yet synced (the messages it
    /// received since its last own message); recovery rebuilds it from the
    /// synced log with [`Acceptor::recover`]. (The own messages recovery
    /// re-sends are dropped: each was sent in the step that synced it.)
    pub crashes: usize,
    /// The search bound of the reduced engine: at most this many own messages
    /// per acceptor instance (`None`: unbounded). A step that would make an
    /// instance sign more is not explored, so a search that completes covers
    /// exactly the executions in which every instance signs at most this many
    /// messages ("exhaustive up to K own messages per instance"); whether any
    /// step was cut is reported ([`crate::Outcome::message_bound_hit`]).
    /// Ignored by the actor engine.
    pub max_own_messages: Option<usize>,
    /// A seeded fault, to show that the checker catches it (`None`: the
    /// real behaviour).
    pub mutant: Option<Mutant>,
    /// `Some(k)`: each proposer is the real `hetpaxos_proposer::Proposer`
    /// (D9 adoption, back-off), sending at most `k` 1as; its timer firing is
    /// an action, and the acceptors send it their messages over the network
    /// (actor engine only). `None`: each proposer sends one fixed 1a at start.
    pub real_proposers: Option<u32>,
}

/// The default of [`ModelConfig::max_forged`]: one forgery per run. The
/// largest bound under which n = 4 with D arbitrary and two proposals
/// completes within minutes on the development machine (two forgeries do
/// not finish in 150 s; docs/model-checking.md has the figures).
pub const DEFAULT_MAX_FORGED: usize = 1;

/// Seeded faults that a model-checking run must report as violations
/// (tests in `crates/model/tests/mutants.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutant {
    /// A recovering acceptor reads its log without its last own message and
    /// the deliveries that led to it (a log that lost its newest synced
    /// step, [`DurableLog::without_last_own`]), so it may sign a different
    /// message in that message's place: it forks its own chain. Needs
    /// [`ModelConfig::crashes`] (actor engine).
    ForgetLastOwnOnRecovery,
    /// Every store of the run (acceptors' and learner's) accepts 2as
    /// without decision D2 (the signer's own fresh 1b in `q_a(x)`): a
    /// forged 2a that honest stores refuse is accepted, and its facts differ
    /// from the executable spec's. Needs [`ModelConfig::arbitrary`] (an
    /// honest or twin signer always has its own 1b). Reduced engine, feature
    /// `mutants`.
    #[cfg(feature = "mutants")]
    StoreWithoutD2,
    /// The learner decides one 2a early (when one more signer would
    /// complete a quorum). Reduced engine, feature `mutants`.
    #[cfg(feature = "mutants")]
    LearnerDecidesOneEarly,
}

/// The optional reductions of the reduced engine (see [`crate::reduced`]);
/// R1 (deliver when ready) and R2 (derived in-flight set) are always on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reductions {
    /// R3: stale 1as are delivered eagerly.
    pub eager_stale_1a: bool,
    /// R4: deliveries to finished acceptors are not explored.
    pub absorb_finished: bool,
    /// R5: twin instances are interchangeable.
    pub twin_symmetry: bool,
    /// R6: deliveries to an acceptor are explored in blocks ending with the
    /// first delivery that makes it emit.
    pub batch_to_emission: bool,
    /// R7: states are explored up to the automorphisms of the run that
    /// permute acceptors (needs R3 and R6; see [`crate::symmetry`]).
    pub acceptor_symmetry: bool,
}

impl Default for Reductions {
    fn default() -> Self {
        Self {
            eager_stale_1a: true,
            absorb_finished: true,
            twin_symmetry: true,
            batch_to_emission: true,
            acceptor_symmetry: true,
        }
    }
}

impl ModelConfig {
    /// Every acceptor safe, two proposals, defaults elsewhere.
    pub fn new(graph: Arc<LearnerGraph>) -> Self {
        Self {
            graph,
            twins: AcceptorSet::EMPTY,
            silent: AcceptorSet::EMPTY,
            arbitrary: AcceptorSet::EMPTY,
            max_forged: DEFAULT_MAX_FORGED,
            proposals: 2,
            duplicating: false,
            relays: false,
            learner_delivery: LearnerDelivery::Instant,
            reductions: Reductions::default(),
            crashes: 0,
            max_own_messages: None,
            mutant: None,
            real_proposers: None,
        }
    }

    /// The Byzantine acceptors (twins, silent and arbitrary).
    pub fn byzantine(&self) -> AcceptorSet {
        self.twins.union(self.silent).union(self.arbitrary)
    }

    /// The acceptors that have no instance: silent and arbitrary ones.
    pub fn without_instance(&self) -> AcceptorSet {
        self.silent.union(self.arbitrary)
    }

    /// The actually-safe acceptors: all but the Byzantine ones.
    pub fn safe(&self) -> AcceptorSet {
        self.graph.acceptors().difference(self.byzantine())
    }
}

/// One actor of the model.
#[derive(Clone, Debug)]
pub enum Node {
    /// Sends its 1a to every acceptor instance (and the learner) at start.
    Proposer {
        /// The 1a.
        proposal: Message,
        /// Recipients.
        peers: Vec<Id>,
    },
    /// One instance of an acceptor (a safe acceptor has one, a twin two).
    Acceptor {
        /// The acceptor it signs as.
        id: AcceptorId,
        /// Twin number (0 for a safe acceptor).
        twin: u8,
        /// Recipients of its broadcasts: every other instance except its own
        /// twin, and the learner when it is a network actor.
        peers: Vec<Id>,
        /// Whether relays of accepted messages are sent.
        relays: bool,
        /// Whether it may crash, so its synced log is kept in stateright's
        /// storage (only then: storage is part of the state).
        durable: bool,
        /// Its initial state.
        init: Box<Acceptor>,
        /// The seeded fault [`Mutant::ForgetLastOwnOnRecovery`].
        forget_last_own: bool,
    },
    /// The real proposer ([`ModelConfig::real_proposers`]).
    RealProposer {
        /// Its initial state.
        init: Box<Proposer>,
        /// Its index (for the modelled clock).
        index: u64,
        /// How many proposers there are (for the modelled clock).
        of: u64,
        /// Recipients of its 1as.
        peers: Vec<Id>,
        /// At most this many 1as.
        max_attempts: u32,
    },
    /// The learner process (all learners of the graph), as a network actor.
    Learner {
        /// Its initial state.
        init: Box<Learner>,
    },
}

/// The state of one actor.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// Proposers have no state after start.
    Proposer,
    /// The real proposer state machine.
    RealProposer(Box<Proposer>),
    /// The real acceptor state machine.
    Acceptor(Box<Acceptor>),
    /// The real learner state machine.
    Learner(Box<Learner>),
}

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
    pub(crate) spec_checked: Arc<Mutex<HashSet<MessageId>>>,
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

impl Actor for Node {
    type Msg = Message;
    type State = NodeState;
    type Timer = ();
    type Random = ();
    type Storage = DurableLog;

    fn on_start(&self, _id: Id, storage: &Option<DurableLog>, o: &mut Out<Self>) -> NodeState {
        match self {
            Node::Proposer { proposal, peers } => {
                o.broadcast(peers, proposal);
                NodeState::Proposer
            }
            Node::Acceptor {
                init,
                id,
                forget_last_own,
                ..
            } => match storage {
                None => NodeState::Acceptor(init.clone()),
                // The re-sent own messages are dropped: a handler runs
                // atomically here, so every own message in the synced log
                // was sent in the step that synced it, and a copy would only
                // pile up duplicates in the network (each crash adding more,
                // an unbounded state space) that receivers ignore.
                Some(log) if *forget_last_own => {
                    let log = log.without_last_own(*id);
                    NodeState::Acceptor(Box::new(model_recover(init, *id, &log).0))
                }
                Some(log) => NodeState::Acceptor(Box::new(model_recover(init, *id, log).0)),
            },
            Node::RealProposer {
                init,
                index,
                of,
                peers,
                ..
            } => {
                let mut p = init.clone();
                let now = model_clock(*index, *of, p.attempts());
                let effects = p.handle(ProposerInput::Start { now, random: 0 });
                apply_proposer_effects(effects, peers, o);
                NodeState::RealProposer(p)
            }
            Node::Learner { init } => NodeState::Learner(init.clone()),
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<NodeState>, _timer: &(), o: &mut Out<Self>) {
        if let (
            Node::RealProposer {
                index,
                of,
                peers,
                max_attempts,
                ..
            },
            NodeState::RealProposer(p),
        ) = (self, state.as_ref())
        {
            if p.attempts() >= *max_attempts {
                return; // the bound: no more 1as, and no timer again
            }
            let mut p = p.clone();
            let now = model_clock(*index, *of, p.attempts());
            let effects = p.handle(ProposerInput::Timer { now, random: 0 });
            apply_proposer_effects(effects, peers, o);
            *state = Cow::Owned(NodeState::RealProposer(p));
        }
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<NodeState>,
        _src: Id,
        msg: Message,
        o: &mut Out<Self>,
    ) {
        match (self, state.as_ref()) {
            (
                Node::Acceptor {
                    id,
                    peers,
                    relays,
                    durable,
                    ..
                },
                NodeState::Acceptor(acc),
            ) => {
                if acc.store().contains(&msg.id()) || acc.pending().holds(&msg.id()) {
                    return; // a duplicate: no step
                }
                if msg.signer() == Some(*id) {
                    // Only a twin's relayed message gets here: twins ignore
                    // each other (each stays an honest instance).
                    return;
                }
                let mut acc = acc.clone();
                let mut io = ModelIo::default();
                let Ok(synced) = driver::step(&mut acc, Input::Receive(msg), &mut io);
                if *relays {
                    for m in &io.relayed {
                        o.broadcast(peers, m);
                    }
                }
                for m in &io.sent {
                    o.broadcast(peers, m);
                }
                if synced && *durable {
                    o.save(DurableLog::of(&acc));
                }
                *state = Cow::Owned(NodeState::Acceptor(acc));
            }
            (Node::RealProposer { peers, .. }, NodeState::RealProposer(p)) => {
                let mut p = p.clone();
                let effects = p.handle(ProposerInput::Receive(msg));
                apply_proposer_effects(effects, peers, o);
                *state = Cow::Owned(NodeState::RealProposer(p));
            }
            (Node::Learner { .. }, NodeState::Learner(l)) => {
                if l.store().contains(&msg.id()) || l.pending().holds(&msg.id()) {
                    return;
                }
                let mut l = l.clone();
                let _ = l.receive(msg);
                *state = Cow::Owned(NodeState::Learner(l));
            }
            _ => {}
        }
    }
}

/// The modelled clock of proposer `index` of `of` at its attempt `attempt`:
/// distinct for every (proposer, attempt) and increasing with the attempt,
/// so ballots are distinct and each proposer's grow. When timers fire is
/// explored by the checker (each firing is an action); the readings only
/// fix the order of ballots, which is what the protocol reads of time.
fn model_clock(index: u64, of: u64, attempt: u32) -> u64 {
    1 + index + of * u64::from(attempt)
}

/// Carries out a proposer's effects: 1as to every acceptor instance (and a
/// network learner), a timer (when it fires is the checker's choice).
fn apply_proposer_effects(effects: Vec<ProposerEffect>, peers: &[Id], o: &mut Out<Node>) {
    for e in effects {
        match e {
            ProposerEffect::Broadcast(m) => o.broadcast(peers, &m),
            ProposerEffect::SetTimer { .. } => o.set_timer((), model_timeout()),
            ProposerEffect::Decided(_) | ProposerEffect::Stopped => {}
        }
    }
}

/// Only safe acceptor instances crash: proposers and the learner are not
/// under study, and a Byzantine acceptor may do anything anyway.
fn only_safe_acceptors_crash(cx: &Context, state: &HetState) -> bool {
    state
        .crashed
        .iter()
        .enumerate()
        .all(|(i, crashed)| !crashed || cx.honest_slots.contains(&i))
}

/// Feeds every first-sent message to the observing learner (instant mode).
fn record_out(cx: &Context, h: &Observer, env: Envelope<&Message>) -> Option<Observer> {
    let l = h.learner.as_ref()?;
    if l.store().contains(&env.msg.id()) || l.pending().holds(&env.msg.id()) {
        return None;
    }
    let _ = cx;
    let mut l = l.clone();
    let _ = l.receive(env.msg.clone());
    Some(Observer { learner: Some(l) })
}

/// The value of proposal `i` (0-based).
pub fn proposal_value(i: usize) -> String {
    format!("v{}", i + 1)
}

/// The 1as both engines send: proposal `i` has ballot timestamp `i + 1` and
/// value [`proposal_value`]`(i)`; with the hashes of the proposed values.
pub fn proposals(n: usize) -> (Vec<Message>, BTreeSet<hetpaxos_messages::ValueHash>) {
    // Each signed by its own proposer (decision D12; signatures abstracted).
    let proposals: Vec<Message> = (0..n)
        .map(|i| {
            let signer = AbstractProposalSigner(ProposerId(i as u32));
            Message::signed_proposal(i as u64 + 1, proposal_value(i).into_bytes(), &signer)
        })
        .collect();
    let proposed = proposals
        .iter()
        .filter_map(|m| m.as_proposal().map(|p| p.ballot().value))
        .collect();
    (proposals, proposed)
}

/// The real acceptor state machine as both engines run it: signatures
/// abstracted to the signer id, default limits, and a clock far ahead of
/// every ballot timestamp, so 1as are never held.
pub fn model_acceptor(
    graph: &Arc<LearnerGraph>,
    a: AcceptorId,
    verifier: &Arc<dyn Verifier>,
) -> Acceptor {
    let mut acceptor = Acceptor::new(
        graph.clone(),
        Arc::new(AbstractSigner(a)),
        verifier.clone(),
        AcceptorLimits::default(),
    );
    let _ = acceptor.handle(Input::Tick { now: u64::MAX / 2 });
    acceptor
}

/// The network side of the one acceptor driver ([`driver`]) in the model:
/// what the step relays and sends. The log lives in stateright's storage,
/// saved by the caller when the step synced ([`DurableLog`]).
#[derive(Default)]
pub struct ModelIo {
    /// Relayed messages, in order.
    pub relayed: Vec<Message>,
    /// Own messages sent, in order.
    pub sent: Vec<Message>,
}

impl Io for ModelIo {
    type Error = std::convert::Infallible;

    fn append(&mut self, _: &[Record], _: LogPosition) -> Result<(), Self::Error> {
        Ok(())
    }

    fn sync(&mut self, _: LogPosition) -> Result<(), Self::Error> {
        Ok(())
    }

    fn relay(&mut self, message: &Message) {
        self.relayed.push(message.clone());
    }

    fn send(&mut self, message: &Message) {
        self.sent.push(message.clone());
    }
}

/// An acceptor's durable log (stateright's crash-surviving storage): after a
/// step that synced, every record appended so far, i.e. the acceptor's log
/// image, in order (recovery depends on the order: a 1a is stale or not
/// depending on which 1as came before it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DurableLog(pub Arc<Vec<Record>>);

impl DurableLog {
    /// The log rolled back by one emitting step of acceptor `a`: without
    /// its last own message and the records accepted since its previous own
    /// message (what a recovery that forgets its last own message reads,
    /// [`Mutant::ForgetLastOwnOnRecovery`]). Dropping the own message alone
    /// would be harmless: recovery re-derives and re-signs the very same
    /// message from the records before it.
    pub fn without_last_own(&self, a: AcceptorId) -> Self {
        let own = |r: &Record| r.message().signer() == Some(a);
        let mut records = (*self.0).clone();
        if let Some(last) = records.iter().rposition(own) {
            let from = records[..last].iter().rposition(own).map_or(0, |p| p + 1);
            records.drain(from..=last);
        }
        Self(Arc::new(records))
    }

    /// The log image of `acceptor` ([`Acceptor::log_image`]).
    pub fn of(acceptor: &Acceptor) -> Self {
        Self(Arc::new(acceptor.log_image()))
    }
}

/// A crashed instance of acceptor `a` recovered from `log` as the model runs
/// it (clock far ahead, like [`model_acceptor`]), with the own messages it
/// re-sends.
pub fn model_recover(init: &Acceptor, a: AcceptorId, log: &DurableLog) -> (Acceptor, Vec<Message>) {
    let graph = init.store().graph().clone();
    let verifier: Arc<dyn Verifier> = Arc::new(AbstractSignatures {
        acceptors: graph.num_acceptors(),
    });
    let recovered = Acceptor::recover(
        graph,
        Arc::new(AbstractSigner(a)),
        verifier,
        AcceptorLimits::default(),
        log.0.iter().cloned(),
    );
    let Ok((mut acceptor, effects)) = recovered else {
        // A log the acceptor wrote always recovers; the never-caught and
        // store properties would flag the damage a refusal stands for.
        return (init.clone(), Vec::new());
    };
    let mut io = ModelIo::default();
    let Ok(()) = driver::apply(effects, &mut io);
    let Ok(_) = driver::step(&mut acceptor, Input::Tick { now: u64::MAX / 2 }, &mut io);
    (acceptor, io.sent)
}

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
        spec_checked: Arc::new(Mutex::new(HashSet::new())),
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
                    ProposerConfig {
                        stop: StopRule::AllDecided,
                        ..ProposerConfig::default()
                    },
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
        let init = model_acceptor(&graph, a, &verifier);
        model = model.actor(Node::Acceptor {
            id: a,
            twin,
            peers,
            relays: config.relays,
            durable: config.crashes > 0 && safe.contains(a),
            init: Box::new(init),
            forget_last_own: config.mutant == Some(Mutant::ForgetLastOwnOnRecovery),
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
    let model = properties::add_all(model);
    if config.real_proposers.is_some() {
        model.property(
            stateright::Expectation::Sometimes,
            properties::PROPOSERS_CONVERGE,
            |_, s| properties::proposers_converged(s),
        )
    } else {
        model
    }
}
