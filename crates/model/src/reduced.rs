//! The reduced model (the default engine): the same actors, network and
//! properties as the stateright [`ActorModel`](stateright::actor::ActorModel)
//! of [`crate::model`], with a state space small enough to search
//! exhaustively. It implements [`stateright::Model`] directly; every step
//! still runs the real [`Acceptor::handle`] and [`Learner::receive`]
//! through their public API (no protocol logic here, only scheduling).
//!
//! # What is modelled (as in [`crate::model`] with its defaults)
//! - Proposer `i` sends its 1a to every acceptor instance at start; the
//!   learner process observes every message when it is first sent
//!   ([`LearnerDelivery::Instant`]).
//! - Each acceptor instance (one per safe acceptor, two *twins* per Byzantine
//!   equivocator, none for a silent one) sends each of its own messages to
//!   every instance that does not sign as itself. Relays are off and the
//!   network is unordered, loss-free and non-duplicating. Clocks are ticked far
//!   ahead at start, so 1as are never held.
//!
//! # State and canonical hashing (reduction R2)
//! A state is the vector of acceptor states, the learner, and the set `sent`
//! of every message sent so far. The messages *in flight* to instance `i` are
//! not stored: they are `{m ∈ sent : signer(m) ≠ id(i), m ∉ store(i)}`. This
//! is exact, because with relays off a message reaches `i` only from its
//! signer, each sender sends it to every instance not signing as itself, and
//! delivering a message already in the receiver's store is a no-op (the
//! actor model also drops it without a step). It merges states that differ
//! only in copies of one message from two senders (twins that produce the
//! same message, whose ids are equal; or a copy still in flight to a receiver
//! that already holds the message), which never behave differently.
//! `sent` itself is a function of the acceptor states (the proposals, plus
//! each instance's own messages, which are exactly the messages in its store
//! signed as itself: twins never receive each other's messages), so `Hash`
//! and `Eq` cover the acceptors and the learner only, using their own
//! order-independent `Hash`/`Eq` (sets of accepted ids, `recent`, 2a
//! bookkeeping, decisions).
//!
//! # Deliver when ready (reduction R1)
//! `Deliver(i, m)` is enabled only when every reference of `m` is already in
//! instance `i`'s store (for the learner nothing changes: it sees each message
//! when it is sent, after all its references were sent). In the unrestricted
//! model, delivering `m` earlier only parks it in the acceptor's pending buffer
//! (the store, `recent`, the 2a bookkeeping and the sent messages are
//! unchanged, and the properties do not read the buffer), and when its last
//! missing reference `r` is delivered, `Pending::deliver` accepts `r`, then `m`
//! and whatever else it unblocks, in order, and the acceptor runs its step
//! (relay, `recent`, emission attempt) after each accepted message in that
//! order. The restricted model reaches the same acceptor state (up to the
//! buffer) by delivering `r` and then each unblocked message as the very next
//! actions, in that same order, each of which is ready at its turn; the
//! messages sent are the same, in the same order, so the learner is fed the
//! same sequence. Hence every state of the unrestricted model, with parked
//! messages put back in flight, is reachable in the restricted one, and every
//! restricted state is reachable in the unrestricted one. All properties are
//! functions of the learner and the stores (not of pending buffers), so they
//! hold in one model iff they hold in the other, and every Sometimes example
//! of one is one of the other.
//!
//! # Stale 1as are delivered eagerly (reduction R3)
//! A 1a whose ballot is at most the highest ballot of a 1a in instance `i`'s
//! store is *stale* at `i` (and stays so: that maximum only grows). Delivering
//! it is, by the acceptor's rule D11, "accepted and relayed only": it enters
//! the store, but not `recent`, the highest ballot does not change and nothing
//! is emitted (checked at run time: the step must not produce an
//! [`Effect::Persist`]; relays are off). So this delivery (a) is never
//! disabled by another action, (b) commutes with every other action (the other
//! instances are untouched; for `i`, an emission is derived from the
//! references in `recent` and their histories only, which never contain the
//! stale 1a's absence or presence, and readiness only grows with the store),
//! and (c) is invisible to every property: no message is sent, so the learner
//! is unchanged, and a 1a catches nobody and has the spec's facts by
//! construction (the learner already holds it). A transition with (a)–(c) is
//! a singleton *ample set* (Peled's conditions C0–C2; C3 holds because the
//! state graph is acyclic: every step grows a store), so taking it at once,
//! as part of the step that made it enabled (or stale), preserves every state
//! invariant and every reachable property value. This removes the
//! interleavings of a stale 1a's delivery with all other deliveries.
//!
//! # Finished acceptors absorb (reduction R4)
//! An instance is *finished* when its store holds the highest proposed 1a
//! (`b_max`; all 1as are sent at start, so no higher ballot ever arrives),
//! its last own message is a 2a at `b_max`, and its own 2as at `b_max` cover
//! every learner. A finished instance never emits again: every later
//! candidate references its last own message until the next emission, so its
//! ballot is `b_max`; it is not a 1b (`1a(b_max)` was accepted, entered
//! `recent` and was cleared by the emission that followed it, and is never
//! accepted again); so it is a 2a at `b_max` for learners it already sent a 2a
//! for, which rule D7 drops. Deliveries to a finished instance are therefore
//! not explored: they change only that instance's store and `recent`, never
//! enable another action (nothing is sent), and are invisible to every
//! property. The last point holds because each property that reads an
//! acceptor store (never caught, store = spec) reads per-message facts, and a
//! message's facts depend only on its history (derived from its references'
//! facts), so they are the same in every store; the learner's store holds
//! every message sent (each is fed when sent, after its references), a
//! superset of every acceptor's store, and it is checked in every state.
//! [`ReducedModel::check_reductions`] tests R3 and R4 at run time by trying
//! every skipped delivery on a copy.
//!
//! Reductions not taken: partial-order reduction across receivers is unsound
//! here without more care (a delivery to `b` can send a new message to `a`,
//! whose order relative to `a`'s other deliveries matters), and symmetry
//! among safe acceptors would need re-signing every message.

use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Effect, Input};
use hetpaxos_learner::Learner;
use hetpaxos_messages::{
    AbstractSignatures, AbstractSigner, Ballot, Kind, Message, MessageId, MessageStore,
    PendingLimits, Verifier,
};
use hetpaxos_quorums::{AcceptorId, LearnerSet};
use stateright::{Model, Property};
use std::collections::{BTreeMap, HashSet};
use std::fmt::{self, Write as _};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use crate::model::{Context, LearnerDelivery, ModelConfig, proposal_value};
use crate::properties::{self, Observed};
use crate::trace::{decisions, describe, render_final};

/// The reduced model (see the module documentation).
pub struct ReducedModel {
    /// Shared context (names are the acceptor instances').
    pub cx: Context,
    /// The acceptor each instance signs as.
    pub ids: Vec<AcceptorId>,
    init_acceptors: Vec<Arc<Acceptor>>,
    proposals: Vec<Message>,
    learner: Arc<Learner>,
    b_max: Option<Ballot>,
    /// Check reductions R3 and R4 while exploring (slow; for tests): every
    /// delivery R4 skips is tried on a copy and must emit nothing.
    pub check_reductions: bool,
}

/// A state of the reduced model.
#[derive(Clone)]
pub struct ReducedState {
    /// The real acceptor state machines, one per instance.
    pub acceptors: Vec<Arc<Acceptor>>,
    /// The real learner, fed every message when first sent.
    pub learner: Arc<Learner>,
    /// Every message sent so far, by id (a function of `acceptors`; not hashed).
    pub sent: Arc<BTreeMap<MessageId, Message>>,
}

impl fmt::Debug for ReducedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReducedState")
            .field("acceptors", &self.acceptors)
            .field("learner", &self.learner)
            .field("sent", &self.sent.len())
            .finish()
    }
}

impl PartialEq for ReducedState {
    fn eq(&self, other: &Self) -> bool {
        self.acceptors == other.acceptors && self.learner == other.learner
    }
}

impl Eq for ReducedState {}

impl Hash for ReducedState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.acceptors.hash(state);
        self.learner.hash(state);
    }
}

/// An action of the reduced model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReducedAction {
    /// Deliver message `id` (in `sent`) to acceptor instance `to`.
    Deliver {
        /// Instance index.
        to: usize,
        /// The message.
        id: MessageId,
    },
}

impl Observed for ReducedState {
    fn learner_of(&self, _cx: &Context) -> Option<&Learner> {
        Some(&self.learner)
    }

    fn honest_acceptor_stores(&self, cx: &Context) -> Vec<(String, &MessageStore)> {
        cx.honest_slots
            .iter()
            .filter_map(|&i| Some((cx.names.get(i)?.clone(), self.acceptors.get(i)?.store())))
            .collect()
    }

    fn all_stores(&self, _cx: &Context) -> Vec<&MessageStore> {
        std::iter::once(self.learner.store())
            .chain(self.acceptors.iter().map(|a| a.store()))
            .collect()
    }
}

/// Whether `config` can be checked by the reduced model: relays off, no
/// duplication, instant learner (otherwise use [`crate::model::build`]).
pub fn supports(config: &ModelConfig) -> bool {
    !config.relays && !config.duplicating && config.learner_delivery == LearnerDelivery::Instant
}

/// Builds the reduced model for `config` (see [`supports`]).
pub fn build_reduced(config: ModelConfig) -> ReducedModel {
    let graph = config.graph.clone();
    let verifier: Arc<dyn Verifier> = Arc::new(AbstractSignatures {
        acceptors: graph.num_acceptors(),
    });
    let safe = config.safe();
    let mut names = Vec::new();
    let mut ids = Vec::new();
    let mut init_acceptors = Vec::new();
    let mut honest_slots = Vec::new();
    for a in graph.acceptor_ids() {
        if config.silent.contains(a) {
            continue;
        }
        let copies = if config.twins.contains(a) { 2 } else { 1 };
        for t in 0..copies {
            let name = graph.acceptor_name(a);
            if safe.contains(a) {
                honest_slots.push(ids.len());
            }
            names.push(if copies == 2 {
                format!("{name}/twin{}", t + 1)
            } else {
                name.to_string()
            });
            ids.push(a);
            let mut acc = Acceptor::new(
                graph.clone(),
                Arc::new(AbstractSigner(a)),
                verifier.clone(),
                AcceptorLimits::default(),
            );
            // Clocks far ahead of every ballot timestamp: 1as are never held.
            let _ = acc.handle(Input::Tick { now: u64::MAX / 2 });
            init_acceptors.push(Arc::new(acc));
        }
    }
    let proposals: Vec<Message> = (0..config.proposals)
        .map(|i| Message::proposal(i as u64 + 1, proposal_value(i).into_bytes()))
        .collect();
    let proposed = proposals
        .iter()
        .filter_map(|m| m.as_proposal().map(|p| p.ballot().value))
        .collect();
    let learner = Arc::new(Learner::new(graph, verifier, PendingLimits::default()));
    let b_max = proposals
        .iter()
        .filter_map(|m| m.as_proposal().map(|p| p.ballot()))
        .max();
    ReducedModel {
        b_max,
        check_reductions: false,
        cx: Context {
            config,
            safe,
            names,
            honest_slots,
            learner_slot: None,
            proposed,
            spec_checked: Arc::new(Mutex::new(HashSet::new())),
        },
        ids,
        init_acceptors,
        proposals,
        learner,
    }
}

/// The highest ballot of a 1a in `store`: the acceptor's highest known ballot
/// (1as are never held, and are accepted as soon as delivered).
fn max_1a(store: &MessageStore) -> Option<Ballot> {
    store
        .messages()
        .filter_map(|m| m.as_proposal().map(|p| p.ballot()))
        .max()
}

impl ReducedModel {
    /// Reduction R4: whether instance `acc` can never emit again.
    pub fn finished(&self, acc: &Acceptor) -> bool {
        let store = acc.store();
        let Some(b_max) = self.b_max else {
            return false;
        };
        if max_1a(store) != Some(b_max) {
            return false;
        }
        let Some(last) = acc.last_own().and_then(|id| store.facts(&id)) else {
            return false;
        };
        if last.ballot() != b_max || !matches!(last.kind(), Kind::TwoA(_)) {
            return false;
        }
        let mut done = LearnerSet::EMPTY;
        for m in store.messages() {
            if m.signer() == Some(acc.id())
                && let Some(f) = store.facts(&m.id())
                && f.ballot() == b_max
            {
                done = done.union(f.two_a_learners());
            }
        }
        self.cx.config.graph.learners().is_subset(done)
    }

    /// Whether `m` is sent to instance `i` (by its signer, or a proposer).
    fn addressed_to(&self, i: usize, m: &Message) -> bool {
        m.signer() != Some(self.ids[i])
    }

    /// Records `m` as sent (once per id) and feeds it to the learner.
    fn send(state: &mut ReducedState, m: Message) {
        if state.sent.contains_key(&m.id()) {
            return;
        }
        Arc::make_mut(&mut state.sent).insert(m.id(), m.clone());
        let l = Arc::make_mut(&mut state.learner);
        if !l.store().contains(&m.id()) && !l.pending().holds(&m.id()) {
            let _ = l.receive(m);
        }
    }

    /// Runs the real acceptor step on `m` at instance `i` and sends its own
    /// messages; returns whether it emitted any.
    fn step(&self, state: &mut ReducedState, i: usize, m: Message) -> bool {
        let effects = Arc::make_mut(&mut state.acceptors[i]).handle(Input::Receive(m));
        let mut emitted = false;
        for e in effects {
            if let Effect::Persist(own) = e {
                emitted = true;
                Self::send(state, own);
            }
        }
        emitted
    }

    /// Reduction R3: delivers every 1a that is stale at its receiver.
    fn settle(&self, state: &mut ReducedState) {
        for i in 0..state.acceptors.len() {
            let store = state.acceptors[i].store();
            let Some(max) = max_1a(store) else { continue };
            let stale: Vec<Message> = state
                .sent
                .values()
                .filter(|m| {
                    m.as_proposal().is_some_and(|p| p.ballot() <= max)
                        && !store.contains(&m.id())
                        && self.addressed_to(i, m)
                })
                .cloned()
                .collect();
            for m in stale {
                let emitted = self.step(state, i, m);
                assert!(
                    !emitted,
                    "reduction R3 assumes a stale 1a emits nothing (acceptor rule D11)"
                );
            }
        }
    }

    /// Renders a path of this model as numbered steps.
    pub fn render(&self, path: &stateright::Path<ReducedState, ReducedAction>) -> String {
        let cx = &self.cx;
        let steps = path.clone().into_vec();
        let mut out = String::new();
        if let Some((first, _)) = steps.first() {
            for (k, m) in self.proposals.iter().enumerate() {
                let _ = writeln!(out, "  init: P{} sends {}", k + 1, describe(cx, first, m));
            }
        }
        for (k, w) in steps.windows(2).enumerate() {
            let (prev, action) = (&w[0].0, &w[0].1);
            let next = &w[1].0;
            if let Some(ReducedAction::Deliver { to, id }) = action {
                let name = cx.names.get(*to).cloned().unwrap_or_default();
                if let Some(m) = prev.sent.get(id) {
                    let from = m
                        .signer()
                        .map(|a| cx.config.graph.acceptor_name(a).to_string())
                        .unwrap_or_else(|| "a proposer".into());
                    let _ = writeln!(
                        out,
                        "{:>3}. {name} receives {} from {from}",
                        k + 1,
                        describe(cx, next, m)
                    );
                }
                for (id, m) in next.sent.iter() {
                    if !prev.sent.contains_key(id) {
                        let _ = writeln!(out, "       {name} sends {}", describe(cx, next, m));
                    }
                }
                for (j, (a, b)) in prev.acceptors.iter().zip(&next.acceptors).enumerate() {
                    let extra = b.store().len() - a.store().len();
                    if j != *to && extra > 0 {
                        let _ = writeln!(
                            out,
                            "       ({} also takes {extra} stale 1a(s))",
                            cx.names.get(j).cloned().unwrap_or_default()
                        );
                    }
                }
            }
            let (d0, d1) = (decisions(cx, prev), decisions(cx, next));
            for d in d1.iter().filter(|d| !d0.contains(d)) {
                let _ = writeln!(out, "       => {d}");
            }
        }
        if let Some((last, _)) = steps.last() {
            out.push_str(&render_final(cx, last));
        }
        out
    }
}

impl Model for ReducedModel {
    type State = ReducedState;
    type Action = ReducedAction;

    fn init_states(&self) -> Vec<ReducedState> {
        let mut s = ReducedState {
            acceptors: self.init_acceptors.clone(),
            learner: self.learner.clone(),
            sent: Arc::new(BTreeMap::new()),
        };
        for p in &self.proposals {
            Self::send(&mut s, p.clone());
        }
        self.settle(&mut s);
        vec![s]
    }

    fn actions(&self, state: &ReducedState, actions: &mut Vec<ReducedAction>) {
        for (i, acc) in state.acceptors.iter().enumerate() {
            let store = acc.store();
            let finished = self.finished(acc);
            for (id, m) in state.sent.iter() {
                if self.addressed_to(i, m)
                    && !store.contains(id)
                    && m.refs().iter().all(|r| store.contains(r))
                {
                    if !finished {
                        actions.push(ReducedAction::Deliver { to: i, id: *id });
                    } else if self.check_reductions {
                        let mut copy = (**acc).clone();
                        let effects = copy.handle(Input::Receive(m.clone()));
                        assert!(
                            !effects.iter().any(|e| matches!(e, Effect::Persist(_))),
                            "reduction R4: a finished acceptor emitted"
                        );
                    }
                }
            }
        }
    }

    fn next_state(&self, last: &ReducedState, action: ReducedAction) -> Option<ReducedState> {
        let ReducedAction::Deliver { to, id } = action;
        let m = last.sent.get(&id)?.clone();
        let mut s = last.clone();
        self.step(&mut s, to, m);
        self.settle(&mut s);
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(properties::AGREEMENT, |m: &Self, s| {
                properties::agreement_violation(&m.cx, s).is_none()
            }),
            Property::always(properties::VALIDITY, |m: &Self, s| {
                properties::validity_violation(&m.cx, s).is_none()
            }),
            Property::always(properties::JUSTIFIED, |m: &Self, s| {
                properties::justification_violation(&m.cx, s).is_none()
            }),
            Property::always(properties::NEVER_CAUGHT, |m: &Self, s| {
                properties::caught_violation(&m.cx, s).is_none()
            }),
            Property::always(properties::STORE_EQ_SPEC, |m: &Self, s| {
                properties::store_spec_violation(&m.cx, s).is_none()
            }),
            Property::sometimes(properties::SOME_DECISION, |m: &Self, s| {
                properties::some_decision(&m.cx, s)
            }),
            Property::sometimes(properties::DISAGREEMENT, |m: &Self, s| {
                properties::disagreement(&m.cx, s)
            }),
        ]
    }
}
