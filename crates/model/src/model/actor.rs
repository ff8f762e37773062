//! The actors of the stateright actor model: proposers (fixed 1as or the
//! real proposer), acceptor instances and the learner.

use super::*;

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
        /// With [`ModelConfig::acceptor_clock`]: the clock ticks (a timer
        /// whose firing is an action) until it reads this.
        clock_until: Option<u64>,
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
                clock_until,
                ..
            } => {
                if clock_until.is_some_and(|until| init.now() < until) {
                    o.set_timer((), model_timeout());
                }
                acceptor_start(init, *id, *forget_last_own, storage)
            }
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
            Node::Acceptor {
                clock_until: Some(until),
                ..
            },
            NodeState::Acceptor(acc),
        ) = (self, state.as_ref())
        {
            // One clock unit; held 1as now due are delivered in the step.
            let now = acc.now().saturating_add(1);
            if now < *until {
                o.set_timer((), model_timeout());
            }
            let next = self.acceptor_step(acc, Input::Tick { now }, o);
            *state = Cow::Owned(NodeState::Acceptor(next));
            return;
        }
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
        if self.ignores(state.as_ref(), &msg) {
            return;
        }
        match (self, state.as_ref()) {
            (Node::Acceptor { .. }, NodeState::Acceptor(acc)) => {
                let next = self.acceptor_step(acc, Input::Receive(msg), o);
                *state = Cow::Owned(NodeState::Acceptor(next));
            }
            (Node::RealProposer { peers, .. }, NodeState::RealProposer(p)) => {
                let mut p = p.clone();
                let effects = p.handle(ProposerInput::Receive(msg));
                apply_proposer_effects(effects, peers, o);
                *state = Cow::Owned(NodeState::RealProposer(p));
            }
            (Node::Learner { .. }, NodeState::Learner(l)) => {
                let mut l = l.clone();
                let _ = l.receive(msg);
                *state = Cow::Owned(NodeState::Learner(l));
            }
            _ => {}
        }
    }
}

impl Node {
    /// Whether receiving `msg` in `state` changes nothing, so the actor
    /// engine refuses the delivery: a message the actor holds already (a
    /// duplicate), a twin's message to its twin (only relays bring one:
    /// twins ignore each other, each stays an honest instance), or anything
    /// sent to a fixed proposer.
    pub(crate) fn ignores(&self, state: &NodeState, msg: &Message) -> bool {
        match (self, state) {
            (Node::Acceptor { id, .. }, NodeState::Acceptor(acc)) => {
                let held = acc.store().contains(&msg.id()) || acc.pending().holds(&msg.id());
                held || msg.signer() == Some(*id)
            }
            (Node::RealProposer { .. }, NodeState::RealProposer(p)) => {
                holds(p.observer(), &msg.id())
            }
            (Node::Learner { .. }, NodeState::Learner(l)) => holds(l, &msg.id()),
            _ => true,
        }
    }

    /// One step of an acceptor instance through the one effect driver: its
    /// relays (when on) and own messages broadcast, its log saved when the
    /// step synced it and the instance may crash.
    fn acceptor_step(&self, acc: &Acceptor, input: Input, o: &mut Out<Self>) -> Box<Acceptor> {
        let mut acc = Box::new(acc.clone());
        let Node::Acceptor {
            peers,
            relays,
            durable,
            ..
        } = self
        else {
            return acc;
        };
        let mut io = ModelIo::default();
        let Ok(synced) = driver::step(&mut acc, input, &mut io);
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
        acc
    }
}

/// An acceptor instance's state at start: `init`, or after a crash its
/// recovery from the synced log (rolled back by one emitting step under the
/// seeded fault [`Mutant::ForgetLastOwnOnRecovery`]).
fn acceptor_start(
    init: &Acceptor,
    id: AcceptorId,
    forget_last_own: bool,
    storage: &Option<DurableLog>,
) -> NodeState {
    // The re-sent own messages are dropped: a handler runs atomically here,
    // so every own message in the synced log was sent in the step that
    // synced it, and a copy would only pile up duplicates in the network
    // (each crash adding more, an unbounded state space) that receivers
    // ignore.
    match storage {
        None => NodeState::Acceptor(Box::new(init.clone())),
        Some(log) if forget_last_own => {
            let log = log.without_last_own(id);
            NodeState::Acceptor(Box::new(model_recover(init, id, &log).0))
        }
        Some(log) => NodeState::Acceptor(Box::new(model_recover(init, id, log).0)),
    }
}

/// Whether learner `l` already holds message `id` (accepted or waiting for
/// its references): delivering it again changes nothing.
pub(crate) fn holds(l: &Learner, id: &hetpaxos_messages::MessageId) -> bool {
    l.store().contains(id) || l.pending().holds(id)
}

/// The modelled clock of proposer `index` of `of` at its attempt `attempt`:
/// distinct for every (proposer, attempt) and increasing with the attempt,
/// so ballots are distinct and each proposer's grow. When timers fire is
/// explored by the checker (each firing is an action); the readings only
/// fix the order of ballots, which is what the protocol reads of time.
pub fn model_clock(index: u64, of: u64, attempt: u32) -> u64 {
    1 + index + of * u64::from(attempt)
}

/// The configuration of the real proposers in the model (and in a replay
/// of its traces): the defaults, stopping once every learner has decided.
pub fn model_proposer_config() -> ProposerConfig {
    ProposerConfig {
        stop: StopRule::AllDecided,
        ..ProposerConfig::default()
    }
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
pub(super) fn only_safe_acceptors_crash(cx: &Context, state: &HetState) -> bool {
    state
        .crashed
        .iter()
        .enumerate()
        .all(|(i, crashed)| !crashed || cx.honest_slots.contains(&i))
}

/// Feeds every first-sent message to the observing learner (instant mode).
pub(super) fn record_out(cx: &Context, h: &Observer, env: Envelope<&Message>) -> Option<Observer> {
    let l = h.learner.as_ref()?;
    if holds(l, &env.msg.id()) {
        return None;
    }
    let _ = cx;
    let mut l = l.clone();
    let _ = l.receive(env.msg.clone());
    Some(Observer { learner: Some(l) })
}

/// The actor engine tells which deliveries it refuses without taking them
/// (`Node::ignores`: what `on_msg` returns early on, or a crashed
/// receiver), so random walks need no trial step. A timer is always taken:
/// one that changes nothing is still cancelled.
impl Walkable for HetModel {
    fn takes(&self, s: &HetState, action: &ActorModelAction<Message, (), ()>) -> Option<bool> {
        match action {
            ActorModelAction::Deliver { dst, msg, .. } => {
                let i = usize::from(*dst);
                let up = s.crashed.get(i) == Some(&false);
                let node = self.actors.get(i);
                let state = s.actor_states.get(i);
                Some(match (node, state) {
                    (Some(node), Some(state)) => up && !node.ignores(state, msg),
                    _ => false,
                })
            }
            ActorModelAction::Timeout(..) => Some(true),
            _ => None,
        }
    }
}
