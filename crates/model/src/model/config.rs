//! What a model-checking run checks: the configuration, seeded faults,
//! optional reductions, and the proposals.

use super::*;

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
    /// The search bound of the reduced engine over a whole run: at most this
    /// many messages signed by acceptors in all (every instance's own
    /// messages and every forgery; the proposals' 1as are not counted).
    /// `None`: unbounded. A completed search covers exactly the executions
    /// that sign at most this many ("exhaustive up to N signed messages"),
    /// and checks every property in each of their states; whether a step
    /// was cut is reported ([`crate::Outcome::signed_bound_hit`]). The
    /// documented default of `hetpaxos-check` is [`crate::DEFAULT_MAX_SIGNED`].
    /// Ignored by the actor engine.
    pub max_signed: Option<usize>,
    /// The reduced engine gives up on the run (not exhaustive,
    /// [`crate::Outcome::expansion_limit_hit`]) when expanding one state
    /// takes more than this many acceptor states in R6's local search.
    /// Default [`crate::reduced::MAX_LOCAL_SEARCH`].
    pub max_local_search: usize,
    /// A seeded fault, to show that the checker catches it (`None`: the
    /// real behaviour).
    pub mutant: Option<Mutant>,
    /// `Some(k)`: each proposer is the real `hetpaxos_proposer::Proposer`
    /// (D9 adoption, back-off), sending at most `k` 1as; its timer firing is
    /// an action, and the acceptors send it their messages over the network
    /// (actor engine only). `None`: each proposer sends one fixed 1a at start.
    pub real_proposers: Option<u32>,
    /// Model the acceptors' clocks (actor engine only): each acceptor
    /// instance starts at time 0, so every 1a arrives from the future and is
    /// held ([`Acceptor::future_proposals`]) until the instance's clock
    /// reaches its ballot's timestamp; a clock tick (one unit) is an action
    /// of the search, enabled until the clock reaches the largest timestamp
    /// of the run's 1as (the bound). A recovered instance restarts at 0: a
    /// superset of the behaviours of a clock that never goes back, since
    /// ticks may come first. `false`: clocks are far ahead at start, so no
    /// 1a is ever held.
    pub acceptor_clock: bool,
}

/// The default of [`ModelConfig::max_forged`]: one forgery per run. The
/// largest bound under which n = 4 with D arbitrary and two proposals
/// completes within minutes on the development machine (two forgeries do
/// not finish in 150 s; docs/model-checking.md has the figures).
pub const DEFAULT_MAX_FORGED: usize = 1;

/// The default bound of `hetpaxos-check` on the messages signed by acceptors
/// in a run ([`ModelConfig::max_signed`]): twelve, the fewest with which two
/// quorums of three can each send a 1b and a 2a at a different ballot, i.e.
/// the fewest in which two decisions at different ballots (what agreement
/// is about) can happen on the four-acceptor configurations. Under it, the
/// key configurations complete within minutes on the development machine
/// (docs/model-checking.md).
pub const DEFAULT_MAX_SIGNED: usize = 12;

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
            acceptor_clock: false,
            max_signed: None,
            max_local_search: crate::reduced::MAX_LOCAL_SEARCH,
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
