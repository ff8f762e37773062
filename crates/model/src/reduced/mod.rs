//! The reduced model (the default engine): the same actors, network and
//! properties as the stateright [`ActorModel`](stateright::actor::ActorModel)
//! of [`crate::model`], over a far smaller state space (reductions R1–R6
//! below and R7 in [`crate::symmetry`], each with its soundness argument).
//! It implements [`stateright::Model`] directly; every step still runs the
//! real [`Acceptor::handle`] and [`Learner::receive`] through their public
//! API (no protocol logic here, only scheduling).
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
//! is emitted (checked at run time: the step must sign nothing, i.e. send no
//! [`hetpaxos_acceptor::Effect::Send`] and leave the outbox empty; relays are
//! off). So this delivery (a) is never
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
//! # Twins are interchangeable (reduction R5, symmetry)
//! The two instances of a Byzantine twin pair start in the same state, sign as
//! the same acceptor, and are sent the same messages (a message reaches an
//! instance iff it is not signed as that instance's acceptor); no property
//! reads their states (they are not safe; the learner is shared). So swapping
//! the two instances' states maps transitions to transitions
//! (`Deliver(twin1, m)` to `Deliver(twin2, m)`), fixes the initial state and
//! preserves every property: it is an automorphism of the model, and states
//! are compared and hashed up to it (each pair as an unordered pair). Search
//! over the quotient visits each orbit once and reaches the same property
//! values. Traces stay concrete (stateright replays the actions).
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
//! # Deliveries in blocks that end with an emission (reduction R6)
//! Only emissions are visible: every property is a function of the learner
//! (fed each message when first sent), because the properties that read
//! acceptor stores read per-message facts, and the learner's store is a
//! superset of every acceptor's (see R4). Take any execution and a delivery
//! `d` to instance `a` that emits nothing. Move `d` later, to just before
//! `a`'s next emitting delivery, or drop it if there is none. It only moves
//! past deliveries to other instances, which do not read `a`'s state and
//! which `d` does not enable (it sends nothing), and past non-emitting
//! deliveries to `a` that are moved the same way (so `a`'s deliveries keep
//! their order). `d`'s message was sent before its old position, and its
//! references reach `a`'s store before it as they did, so the moved delivery
//! is enabled; `a` receives the same messages in the same order, so its state
//! at each emitting delivery, and what it emits, are unchanged, and every
//! other instance and the learner see the same messages at the same points.
//! Doing this for every non-emitting delivery gives an execution made of
//! *blocks*: deliveries to one instance, of which only the last emits, with
//! the same sequence of sent messages, hence the same learner states and the
//! same property values along the way (dropped trailing deliveries only grow
//! acceptor stores, invisible as in R4). The engine explores exactly such
//! executions: an action is a block, and `ReducedModel::blocks` enumerates
//! them by a local search over the instance's states reachable by
//! non-emitting deliveries, everything else fixed, keeping one block per
//! distinct resulting instance state (two such blocks have the same
//! successor: the messages sent are the instance's own messages new in its
//! store, in chain order). R4 is subsumed (a finished instance has no block)
//! and kept as a cheap shortcut. With [`ReducedModel::check_reductions`] the
//! engine explores single deliveries instead (R1–R5), to test R3 and R4.
//!
//! # The search bound
//! With [`ModelConfig::max_own_messages`] `= Some(K)`, a block after which
//! an instance holds more than `K` own messages is not explored (and
//! [`ReducedModel::bound_hit`] is set). This is a bound, not a reduction: a
//! completed search covers every execution in which each instance signs at
//! most `K` messages, and nothing beyond. The reductions' arguments are
//! unchanged by it: R6 moves only non-emitting deliveries, so an execution
//! within the bound maps to block executions within the bound; R7 maps an
//! instance's messages one to one.
//!
//! With [`ModelConfig::max_signed`] `= Some(N)` (the default of
//! `hetpaxos-check`), a step after which the acceptors would have signed
//! more than `N` messages in all (own messages of every instance, and
//! forgeries) is not explored (and [`ReducedModel::signed_bound_hit`] is
//! set). With R6 every action signs one message, so the count is a function
//! of the state (`ReducedState::signed`, the instances' chains plus the
//! forgeries): a depth-first search with a visited set that cuts there
//! still reaches, and checks, every state within the bound. A state at the
//! bound gets no actions; they are computed only until some state shows
//! that the bound cut one.
//!
//! # Arbitrary Byzantine acceptors
//! With [`ModelConfig::arbitrary`], an action may also be a *forgery*
//! ([`ReducedAction::Forge`]): an arbitrary acceptor sends a well-formed
//! message of its choice, within the bound of [`crate::forge`], which also
//! argues why R1–R6 still hold. `sent` then also holds the forgeries, which
//! the learner's store holds too, so states are still told apart by the
//! acceptors and the learner; R7 hashes the set of forgeries as well.
//!
//! # Symmetry among acceptors (reduction R7)
//! States are hashed up to the permutations of acceptors that preserve the
//! graph, the twins and the silent acceptors, renaming every message; see
//! [`crate::symmetry`] for the argument and its run-time test.
//!
//! # The learner is fed lazily
//! Not a reduction: the same states and properties, less work. Most
//! generated states are repeats (about 3.7 per unique state on n = 4 with a
//! twin), and feeding the learner was about a quarter of the cost of generating
//! one. With R7, a state's hash reads the learner's decisions only (see
//! [`crate::symmetry`]), and the learner decides only on 2as (it tallies
//! 2a signers; a 1b changes no decision). So a step whose new messages are
//! not 2as (by the emitting instance's own derived facts, which depend
//! only on the message's history) records them as sent and *defers*
//! feeding them to the learner; the state is hashed with the learner before
//! them, whose decisions are the same. The learner is fed on the first read
//! ([`ReducedState::learner`]: the properties of every new state, the next
//! step that sends a 2a), in the order the messages were sent, so it ends in
//! the state eager feeding gives; a repeated state is dropped by the search
//! without ever being fed. The assumption is checked whenever a deferred
//! message is fed: the decisions must not change.
//!
//! # Crashes
//! The reduced engine explores no crash: with persist-before-send, a crash
//! of a safe acceptor adds no behaviour it could show. Its states are at
//! emission points (R6), where the last own message was synced together with
//! every record before it: recovering from that log rebuilds the very same
//! acceptor state and only re-sends messages already sent. A crash inside a
//! block loses the block's non-emitting deliveries (their records were not
//! synced), which R6 already treats as not yet made; a crash between an
//! emission and its sync loses the emission, which was never sent. So every
//! state after a crash and recovery is a state of this engine, or one whose
//! acceptor missed some deliveries for good (message loss, which only removes
//! behaviours). With [`ReducedModel::check_reductions`] the engine checks the
//! first point in every state it visits (recovery from an instance's log
//! gives an equal state and re-sends nothing new); the actor engine explores
//! real crashes at every point ([`ModelConfig::crashes`]).
//!
//! Reduction not taken: partial-order reduction across receivers is unsound
//! here without more care (a delivery to `b` can send a new message to `a`,
//! whose order relative to `a`'s other deliveries matters).

mod instance;
mod render;
mod state;
mod steps;

pub use instance::Instance;
pub use state::{ReducedAction, ReducedState};
pub use steps::MAX_LOCAL_SEARCH;
use steps::{BlocksMemo, LocalStep};

use hetpaxos_acceptor::driver;
use hetpaxos_acceptor::{Acceptor, Input};
use hetpaxos_learner::Learner;
use hetpaxos_messages::{
    AbstractSignatures, Ballot, Kind, Message, MessageId, MessageStore, PendingLimits, Verifier,
};
use hetpaxos_quorums::{AcceptorId, LearnerSet};
use stateright::{Model, Property};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::coverage::{Coverage, CoverageReport};
use crate::forge::{Forgery, Verdicts, forged_count, forgeries_touching};
use crate::memo::{FastSet, Memo, fast_hash, hash64};
use crate::model::{
    Context, DurableLog, LearnerDelivery, ModelConfig, ModelIo, model_acceptor, model_recover,
    proposals,
};
use crate::properties::{self, Observed};
use crate::symmetry::Symmetry;
use crate::trace::{describe, render_final, write_new_decisions};

/// The reduced model (see the module documentation). A clone shares the
/// original's caches (memoized steps, R6 blocks, forgery verdicts) and its
/// flags: it is the same model, for a second reader such as the random
/// walks' chooser ([`crate::chooser::TakenChooser`]).
#[derive(Clone)]
pub struct ReducedModel {
    /// Shared context (names are the acceptor instances').
    pub cx: Context,
    /// The acceptor each instance signs as.
    pub ids: Vec<AcceptorId>,
    init_acceptors: Vec<Arc<Instance>>,
    twin_pairs: Arc<[usize]>,
    proposals: Vec<Message>,
    learner: Arc<Learner>,
    b_max: Option<Ballot>,
    step_memo: Arc<Memo<Instance, Arc<LocalStep>>>,
    blocks_memo: Arc<Memo<Instance, BlocksMemo>>,
    verdicts: Arc<Verdicts>,
    /// The run's acceptor automorphisms (reduction R7), when it applies.
    pub symmetry: Option<Arc<Symmetry>>,
    /// Set when a step was not explored because of
    /// [`ModelConfig::max_own_messages`]: the search was then complete only
    /// up to that bound.
    pub bound_hit: Arc<AtomicBool>,
    /// Set when a state had used up [`ModelConfig::max_forged`] while a
    /// forger could still have sent a well-formed message: the search was
    /// then complete only up to that bound.
    pub forge_bound_hit: Arc<AtomicBool>,
    /// Set when a state had signed [`ModelConfig::max_signed`] messages while
    /// a step was still possible: the search was then complete only up to
    /// that bound.
    pub signed_bound_hit: Arc<AtomicBool>,
    /// Set when one state's R6 local search expanded more than
    /// [`MAX_LOCAL_SEARCH`] instance states: the configuration is
    /// too large for this engine. From then on no state has actions, so
    /// the search drains at once, and it is not exhaustive.
    pub expansion_limit_hit: Arc<AtomicBool>,
    /// When set (sampled searches), every state reached is recorded here.
    pub coverage: Option<Arc<Coverage>>,
    /// Check reductions R3 and R4 while exploring (slow; for tests): every
    /// delivery R4 skips is tried on a copy and must emit nothing.
    pub check_reductions: bool,
}

/// Whether `config` can be checked by the reduced model: relays off, no
/// duplication, instant learner, no crashes, fixed proposals (otherwise use
/// [`crate::model::build`]).
pub fn supports(config: &ModelConfig) -> bool {
    !config.relays
        && !config.duplicating
        && config.learner_delivery == LearnerDelivery::Instant
        && config.crashes == 0
        && config.real_proposers.is_none()
        && !config.acceptor_clock
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
    let mut twin_pairs = Vec::new();
    for a in graph.acceptor_ids() {
        if config.without_instance().contains(a) {
            continue;
        }
        let copies = if config.twins.contains(a) { 2 } else { 1 };
        if copies == 2 && config.reductions.twin_symmetry {
            twin_pairs.push(ids.len());
        }
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
            #[allow(unused_mut)] // seeded faults need the feature `mutants`
            let mut acceptor = model_acceptor(&graph, a, &verifier);
            #[cfg(feature = "mutants")]
            if config.mutant == Some(crate::Mutant::StoreWithoutD2) {
                acceptor.seed_store_fault(hetpaxos_messages::StoreFault::WithoutD2);
            }
            init_acceptors.push(Arc::new(Instance::new(acceptor)));
        }
    }
    let (proposals, proposed) = proposals(config.proposals);
    #[allow(unused_mut)] // seeded faults need the feature `mutants`
    let mut learner = Learner::new(graph.clone(), verifier, PendingLimits::default());
    #[cfg(feature = "mutants")]
    match config.mutant {
        Some(crate::Mutant::StoreWithoutD2) => {
            learner.seed_store_fault(hetpaxos_messages::StoreFault::WithoutD2);
        }
        Some(crate::Mutant::LearnerDecidesOneEarly) => {
            learner.seed_fault(hetpaxos_learner::LearnerFault::DecideOneEarly);
        }
        _ => {}
    }
    let learner = Arc::new(learner);
    let b_max = proposals
        .iter()
        .filter_map(|m| m.as_proposal().map(|p| p.ballot()))
        .max();
    let r = config.reductions;
    let symmetry = (r.acceptor_symmetry && r.batch_to_emission && r.eager_stale_1a)
        .then(|| Symmetry::new(&graph, config.twins, config.silent, config.arbitrary))
        .filter(|s| s.order() > 1)
        .map(Arc::new);
    ReducedModel {
        symmetry,
        step_memo: Arc::default(),
        blocks_memo: Arc::default(),
        verdicts: Arc::default(),
        twin_pairs: twin_pairs.into(),
        b_max,
        check_reductions: false,
        coverage: None,
        bound_hit: Arc::new(AtomicBool::new(false)),
        forge_bound_hit: Arc::new(AtomicBool::new(false)),
        signed_bound_hit: Arc::new(AtomicBool::new(false)),
        expansion_limit_hit: Arc::new(AtomicBool::new(false)),
        cx: Context {
            config,
            safe,
            names,
            honest_slots,
            learner_slot: None,
            proposed,
            spec_checked: crate::properties::CheckedIds::default(),
            caught_checked: crate::properties::CheckedIds::default(),
        },
        ids,
        init_acceptors,
        proposals,
        learner,
    }
}

impl Model for ReducedModel {
    type State = ReducedState;
    type Action = ReducedAction;

    fn init_states(&self) -> Vec<ReducedState> {
        let mut s = ReducedState {
            acceptors: self.init_acceptors.clone(),
            fed: self.learner.clone(),
            unfed: Vec::new(),
            learner_cell: OnceLock::new(),
            sent: Arc::new(BTreeMap::new()),
            twin_pairs: self.twin_pairs.clone(),
            // R7 needs every state at an emission point (R6 blocks).
            symmetry: self.symmetry.clone().filter(|_| !self.check_reductions),
            forgeable: Arc::new(Vec::new()),
            signed: 0,
        };
        for p in &self.proposals {
            self.send(&mut s, p.clone(), false);
        }
        self.update_forgeable(&mut s, &BTreeMap::new());
        // No store holds a 1a yet: nothing is stale (R3).
        vec![s]
    }

    fn actions(&self, state: &ReducedState, actions: &mut Vec<ReducedAction>) {
        if self.expansion_limit_hit.load(Ordering::Relaxed) {
            return;
        }
        let at_bound = self.cx.config.max_signed.is_some_and(|n| state.signed >= n);
        if at_bound && self.actions_are_blocks() {
            // Every action signs a message (a block ends with an emission, a
            // forgery is one); the actions are computed only to learn whether
            // the bound cut anything, until some state shows that it did.
            // (Without R6 a single delivery may sign nothing: `next_state`
            // cuts the steps that sign too many.)
            if !self.signed_bound_hit.load(Ordering::Relaxed) {
                self.enabled(state, actions);
                if !actions.is_empty() {
                    self.signed_bound_hit.store(true, Ordering::Relaxed);
                }
                actions.clear();
            }
            return;
        }
        self.enabled(state, actions);
    }

    fn next_state(&self, last: &ReducedState, action: ReducedAction) -> Option<ReducedState> {
        let (to, ids) = match action {
            ReducedAction::Deliver { to, ids } => (to, ids),
            ReducedAction::Forge(f) => {
                let m = f.message();
                if last.sent.contains_key(&m.id()) {
                    return None;
                }
                if self.over_signed_bound(last.signed + 1) {
                    return None;
                }
                let mut s = last.clone();
                s.signed += 1;
                self.send(&mut s, m, false);
                return Some(self.finish_step(last, s));
            }
        };
        let mut s = last.clone();
        for id in ids {
            let m = last.sent.get(&id)?;
            let r = self.local_step(to, s.acceptors.get(to)?, m);
            if self.over_bound(to, &r.next) {
                self.bound_hit.store(true, Ordering::Relaxed);
                return None;
            }
            s.signed += r.emitted.len();
            if self.over_signed_bound(s.signed) {
                return None;
            }
            for own in &r.emitted {
                let is_2a = r
                    .next
                    .store()
                    .facts(&own.id())
                    .is_none_or(|f| matches!(f.kind(), Kind::TwoA(_)));
                self.send(&mut s, own.clone(), !is_2a);
            }
            s.acceptors[to] = r.next.clone();
        }
        Some(self.finish_step(last, s))
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

/// Only taking a step tells whether the bound cuts it: random walks try it.
impl crate::chooser::Walkable for ReducedModel {}
