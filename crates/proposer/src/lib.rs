//! The [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253) proposer as a
//! pure, deterministic state machine.
//!
//! It sends 1as with ballot `(timestamp input, SHA-256(value))` and retries with
//! randomised exponential back-off, where both the clock reading and the random
//! numbers are inputs. A ballot that is progressing is not pre-empted: when the
//! back-off ends and acceptors not heard from before have sent messages of the
//! current ballot since the timer was set, the timer is set again for the same
//! delay instead of proposing (at most once per acceptor, so a Byzantine
//! acceptor cannot hold a ballot open alone). So the wait adapts to how long a
//! ballot takes: a large cluster, whose ballots take longer than the first
//! back-off, is not kept pre-empting itself. It watches the acceptors' messages through an embedded
//! [`Learner`] and
//! - proposes the value of the highest-ballot 2a it has seen, if any, and its
//!   own value otherwise (decision D9) — the Paxos rule that lets competing
//!   proposers converge, since 1bs for that value are fresh wherever the
//!   conflicting 2as are buried;
//! - stops once every learner has decided (per [`StopRule`]).
//!
//! Safety never depends on proposers: acceptors and learners only count
//! well-formed messages.
#![forbid(unsafe_code)]

mod state_eq;

use hetpaxos_learner::{Decision, Learner, LearnerEvent};
use hetpaxos_messages::{Ballot, Bytes, Message, PendingLimits, ProposalSigner, Verifier};
use hetpaxos_quorums::{AcceptorSet, LearnerGraph};
use std::sync::Arc;

/// When the proposer stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopRule {
    /// After the first decision of any learner. With several learners this
    /// can stop too early: a learner whose quorum holds acceptors that already
    /// sent 2as for another learner at a ballot that others then moved past
    /// needs a new ballot (of the adopted value) to decide.
    AnyDecision,
    /// After every learner of the configuration decided (the default). A
    /// learner that can never decide keeps the proposer proposing, with
    /// back-off.
    AllDecided,
    /// Never (keeps proposing, as the earlier implementation did).
    Never,
}

/// Retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposerConfig {
    /// First back-off, in nanoseconds.
    pub initial_backoff: u64,
    /// Largest back-off, in nanoseconds.
    pub max_backoff: u64,
    /// When to stop.
    pub stop: StopRule,
}

impl Default for ProposerConfig {
    /// 200 ms doubling up to 10 s; stop once every learner decided.
    fn default() -> Self {
        Self {
            initial_backoff: 200_000_000,
            max_backoff: 10_000_000_000,
            stop: StopRule::AllDecided,
        }
    }
}

/// An input to the proposer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start proposing. `random` is a fresh random number (for back-off jitter).
    Start {
        /// Clock reading, nanoseconds since the Unix epoch.
        now: u64,
        /// A random number.
        random: u64,
    },
    /// The timer set by the last [`Effect::SetTimer`] fired.
    Timer {
        /// Clock reading.
        now: u64,
        /// A random number.
        random: u64,
    },
    /// A message relayed by an acceptor.
    Receive(Message),
}

/// An effect the runtime must carry out.
// `Decided` carries a decision (two 128-byte acceptor sets); it is rare and
// short-lived, so it stays inline.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Send this 1a to every acceptor.
    Broadcast(Message),
    /// Deliver [`Input::Timer`] when the clock reads `at` (replaces any earlier timer).
    SetTimer {
        /// Clock reading to fire at.
        at: u64,
    },
    /// A learner decided (reported once per learner).
    Decided(Decision),
    /// The proposer has stopped: it will emit nothing more but decisions.
    Stopped,
}

/// The proposer state machine.
#[derive(Clone)]
pub struct Proposer {
    config: ProposerConfig,
    signer: Arc<dyn ProposalSigner>,
    value: Bytes,
    observer: Learner,
    /// Highest-ballot 2a seen: its ballot and value.
    adopted: Option<(Ballot, Bytes)>,
    last_timestamp: u64,
    attempts: u32,
    started: bool,
    stopped: bool,
    /// The ballot of the last 1a sent, and the delay its timer was set for.
    current: Option<(Ballot, u64)>,
    /// Acceptors heard from in the current ballot, in all and when the timer
    /// was last set.
    heard: AcceptorSet,
    heard_when_set: usize,
}

impl std::fmt::Debug for Proposer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proposer")
            .field("proposer", &self.signer.proposer())
            .field("attempts", &self.attempts)
            .field("adopted", &self.adopted.as_ref().map(|(b, _)| b))
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl Proposer {
    /// A proposer of `value` for `graph`, signing its 1as with `signer`
    /// (decision D12).
    pub fn new(
        graph: Arc<LearnerGraph>,
        verifier: Arc<dyn Verifier>,
        signer: Arc<dyn ProposalSigner>,
        value: impl Into<Bytes>,
        config: ProposerConfig,
    ) -> Self {
        Self {
            config,
            signer,
            value: value.into(),
            observer: Learner::new(graph, verifier, PendingLimits::default()),
            adopted: None,
            last_timestamp: 0,
            attempts: 0,
            started: false,
            stopped: false,
            current: None,
            heard: AcceptorSet::EMPTY,
            heard_when_set: 0,
        }
    }

    /// Whether the proposer has stopped.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Number of 1as sent.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The value the next 1a will carry (decision D9).
    pub fn next_value(&self) -> &Bytes {
        self.adopted.as_ref().map_or(&self.value, |(_, v)| v)
    }

    /// The ballot of the last 1a sent, if any.
    pub fn current_ballot(&self) -> Option<Ballot> {
        self.current.map(|(b, _)| b)
    }

    /// The embedded observer.
    pub fn observer(&self) -> &Learner {
        &self.observer
    }

    /// Handles one input; returns the effects to carry out, in order.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut effects = Vec::new();
        match input {
            Input::Start { now, random } => {
                if !self.started && !self.stopped {
                    self.started = true;
                    self.propose(now, random, &mut effects);
                }
            }
            Input::Timer { now, random } => {
                if self.started && !self.stopped {
                    match self.current {
                        Some((_, delay)) if self.heard.len() > self.heard_when_set => {
                            // Progress since the timer was set: wait again.
                            self.heard_when_set = self.heard.len();
                            effects.push(Effect::SetTimer {
                                at: now.saturating_add(delay),
                            });
                        }
                        _ => self.propose(now, random, &mut effects),
                    }
                }
            }
            Input::Receive(m) => self.observe(m, &mut effects),
        }
        effects
    }

    fn propose(&mut self, now: u64, random: u64, effects: &mut Vec<Effect>) {
        let timestamp = now.max(self.last_timestamp.saturating_add(1));
        self.last_timestamp = timestamp;
        let value = self.next_value().clone();
        let proposal = Message::signed_proposal(timestamp, value, &*self.signer);
        let ballot = proposal.as_proposal().map(|p| p.ballot());
        // Its own 1a, so that the acceptors' answers are understood
        // without waiting for it to come back.
        self.observe(proposal.clone(), effects);
        effects.push(Effect::Broadcast(proposal));
        let backoff = self
            .config
            .initial_backoff
            .saturating_mul(1u64 << self.attempts.min(32))
            .min(self.config.max_backoff)
            .max(1);
        // Uniform jitter in [backoff/2, backoff).
        let half = backoff / 2;
        let delay = half + random % (backoff - half).max(1);
        self.attempts = self.attempts.saturating_add(1);
        self.current = ballot.map(|b| (b, delay));
        self.heard = AcceptorSet::EMPTY;
        self.heard_when_set = 0;
        effects.push(Effect::SetTimer {
            at: now.saturating_add(delay),
        });
    }

    fn observe(&mut self, m: Message, effects: &mut Vec<Effect>) {
        for event in self.observer.receive(m) {
            match event {
                LearnerEvent::Accepted(id) => {
                    let store = self.observer.store();
                    if let (Some((current, _)), Some(f)) = (self.current, store.facts(&id))
                        && f.ballot() == current
                        && let Some(signer) = store.get(&id).and_then(Message::signer)
                    {
                        self.heard.insert(signer);
                    }
                    if let Some(f) = self.observer.store().facts(&id)
                        && !f.two_a_learners().is_empty()
                        && self.adopted.as_ref().is_none_or(|(b, _)| f.ballot() > *b)
                    {
                        self.adopted = Some((f.ballot(), f.value().clone()));
                    }
                }
                LearnerEvent::Decided(d) => {
                    effects.push(Effect::Decided(d));
                    let stop = match self.config.stop {
                        StopRule::AnyDecision => true,
                        StopRule::AllDecided => self.observer.all_decided(),
                        StopRule::Never => false,
                    };
                    if stop && !self.stopped {
                        self.stopped = true;
                        effects.push(Effect::Stopped);
                    }
                }
                LearnerEvent::Rejected { .. }
                | LearnerEvent::Caught { .. }
                | LearnerEvent::Conflict { .. } => {}
            }
        }
    }
}
