//! The spec-vs-store oracle: random message DAGs over several learner graphs,
//! every message fed to both [`hetpaxos_spec::Spec`] and
//! [`hetpaxos_messages::MessageStore`], every derived fact compared.
//!
//! Generation (see `Gen`): proposers issue 1as (half the time above the
//! highest ballot, otherwise at a random timestamp in 1..=6; three values);
//! honest acceptors extend their own chain (each new message references their
//! previous one plus a random subset of the accepted messages), biased towards
//! 1bs (referencing the newest 1a above their current ballot) and 2as
//! (referencing most same-ballot 1bs), sometimes in whole rounds (every honest
//! acceptor 1bs the newest 1a, then tries a 2a), and only "send" (extend their
//! chain with) messages the specification finds well-formed; Byzantine acceptors fork their chain (reference an older own
//! message, or none), send stale 1bs, stale or conflicting 2as built on old
//! own 1bs, and random reference sets; junk messages (no references, unknown
//! or ill-formed references, unknown signer) are mixed in. Every generated
//! message, accepted or not, goes to both sides (and
//! `MessageStore::check` must predict what `MessageStore::insert` does).
//!
//! A case is `(graph, number of Byzantine acceptors, seed, steps)`; the steps
//! are driven by a SplitMix64 stream from the seed, so a case with fewer steps
//! is a prefix of the same run and proptest shrinking shortens the DAG.
//!
//! *Wide forks* (`Mode::WideFork`): one Byzantine acceptor (the forker)
//! behaves like an honest one until, once, it sends at least
//! [`MIN_BRANCHES`] pairwise-incomparable 1bs with one sequence number (all
//! built on its latest message); afterwards the other acceptors' 1bs and 2as
//! reference many of those branches, and the forker keeps forking.
//!
//! Besides the spec-vs-store comparison, every generated DAG (its accepted
//! messages) is cross-checked (`Gen::cross_check`):
//! * inserted into a second store in a random topological order, every fact
//!   equals the first store's;
//! * delivered through [`hetpaxos_messages::Pending`] into a third store in a
//!   fully random order (with some repeated deliveries), every message is
//!   accepted, nothing is rejected or left held, and every fact equals the
//!   first store's;
//! * fed (every generated message, accepted or not, in a random order) to a
//!   [`hetpaxos_learner::Learner`], the values it reports decided for each
//!   learner (its decision and the other value of every conflict it reports)
//!   are exactly the values `V(S)` of the sets `S` of accepted messages that
//!   are a `Decision` for that learner by the specification.
//!
//! Case count: `HETPAXOS_ORACLE_CASES` (default [`DEFAULT_CASES`]; wide forks:
//! [`DEFAULT_FORK_CASES`]); steps per case: `HETPAXOS_ORACLE_STEPS` (default
//! [`MAX_STEPS`]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::cross::{
    OrderRng, deliver_through_pending, random_topological_order, run_learner, spec_decided_values,
    store_differences,
};
use common::{oracle_graphs, signed};
use hetpaxos_messages::{
    Ballot, Hash32, IllFormed, Message, MessageId, MessageStore, Rejection, ValueHash,
};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph};
use hetpaxos_spec::{Spec, compare_facts, compare_pair};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

/// Default number of proptest cases of [`spec_agrees_with_store`].
const DEFAULT_CASES: u32 = 64;
/// Default number of proptest cases of [`spec_agrees_with_store_on_wide_forks`].
const DEFAULT_FORK_CASES: u32 = 16;
/// Fewest pairwise-incomparable branches of a wide fork.
const MIN_BRANCHES: usize = 16;
/// Most attempts at sending a branch (an attempt fails only when it repeats
/// an earlier branch).
const FORK_ATTEMPTS: usize = 400;
/// A message of another acceptor that directly references at least this many
/// branches counts as joining the fork (non-vacuity).
const WIDE_JOIN: usize = 8;
/// Full-length runs per graph in the non-vacuity test.
const RUNS_PER_GRAPH: u64 = 8;
/// Most steps per case (a step sends one message, or one per honest acceptor
/// twice for a round).
const MAX_STEPS: usize = 70;
/// The proposed values.
const VALUES: [&str; 3] = ["v0", "v1", "v2"];

/// Most steps per case of [`spec_agrees_with_store`]: `HETPAXOS_ORACLE_STEPS`
/// (default [`MAX_STEPS`]).
fn max_steps() -> usize {
    std::env::var("HETPAXOS_ORACLE_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(MAX_STEPS)
}

fn cases(default: u32) -> u32 {
    std::env::var("HETPAXOS_ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// How a run's Byzantine acceptors behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Every Byzantine acceptor forks, sends stale messages and junk at random.
    Random,
    /// As `Random`, except that one Byzantine acceptor (the forker) extends
    /// its chain honestly until it makes one wide fork (see the module docs).
    WideFork,
}

/// SplitMix64: a tiny deterministic generator driven by the case's seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[self.below(items.len())])
        }
    }

    fn subset(&mut self, items: &[MessageId], percent: u64) -> Vec<MessageId> {
        items
            .iter()
            .copied()
            .filter(|_| self.chance(percent))
            .collect()
    }
}

/// What the generated DAGs exercised (summed over cases by the non-vacuity test).
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    accepted: usize,
    rejected: usize,
    one_as: usize,
    one_bs: usize,
    two_as: usize,
    multi_learner_2as: usize,
    messages_with_caught: usize,
    non_fresh_1bs: usize,
    buried_pairs: usize,
    unburied_conflict_pairs: usize,
    rej_missing_refs: usize,
    rej_no_ballot: usize,
    rej_one_b_same_ballot: usize,
    rej_not_2a: usize,
    rej_unknown_signer: usize,
    /// Deliveries through `Pending` that had to hold the message.
    pending_held: usize,
    /// Repeated deliveries through `Pending` (duplicates).
    pending_repeats: usize,
    /// DAGs in which some learner decided (by the specification).
    decided_dags: usize,
    /// (DAG, learner) pairs with a decision.
    decided_learners: usize,
    /// (DAG, learner) pairs where quorums of 2as decided different values.
    conflicting_learners: usize,
    /// Runs that made a wide fork.
    wide_forks: usize,
    /// Branches of those wide forks, summed.
    fork_branches: usize,
    /// Messages of other acceptors directly referencing at least
    /// [`WIDE_JOIN`] branches.
    wide_joins: usize,
    /// Accepted 2as of other acceptors with a branch among their references.
    two_as_on_branches: usize,
    /// Messages whose `Caught` holds the forker.
    forker_caught: usize,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.accepted += o.accepted;
        self.rejected += o.rejected;
        self.one_as += o.one_as;
        self.one_bs += o.one_bs;
        self.two_as += o.two_as;
        self.multi_learner_2as += o.multi_learner_2as;
        self.messages_with_caught += o.messages_with_caught;
        self.non_fresh_1bs += o.non_fresh_1bs;
        self.buried_pairs += o.buried_pairs;
        self.unburied_conflict_pairs += o.unburied_conflict_pairs;
        self.rej_missing_refs += o.rej_missing_refs;
        self.rej_no_ballot += o.rej_no_ballot;
        self.rej_one_b_same_ballot += o.rej_one_b_same_ballot;
        self.rej_not_2a += o.rej_not_2a;
        self.rej_unknown_signer += o.rej_unknown_signer;
        self.pending_held += o.pending_held;
        self.pending_repeats += o.pending_repeats;
        self.decided_dags += o.decided_dags;
        self.decided_learners += o.decided_learners;
        self.conflicting_learners += o.conflicting_learners;
        self.wide_forks += o.wide_forks;
        self.fork_branches += o.fork_branches;
        self.wide_joins += o.wide_joins;
        self.two_as_on_branches += o.two_as_on_branches;
        self.forker_caught += o.forker_caught;
    }
}

/// One generated run: the specification and the store fed the same messages.
struct Gen<'g> {
    graph: &'g LearnerGraph,
    spec: Spec<'g>,
    store: MessageStore,
    rng: Rng,
    byz: AcceptorSet,
    /// Accepted messages, in order.
    accepted: Vec<MessageId>,
    /// Rejected messages whose references were all known.
    rejected: Vec<MessageId>,
    /// Accepted 1as.
    proposals: Vec<MessageId>,
    /// Ballot and 1b-ness of accepted messages (from the specification).
    info: HashMap<MessageId, (Ballot, bool)>,
    /// Accepted messages per acceptor, in order.
    own: Vec<Vec<MessageId>>,
    /// Latest accepted message per acceptor.
    last: Vec<Option<MessageId>>,
    labels: HashMap<MessageId, usize>,
    log: String,
    phantoms: u64,
    stats: Stats,
    seed: u64,
    /// The acceptor that makes the wide fork (`Mode::WideFork`).
    forker: Option<usize>,
    /// Its branches, once it forked.
    branches: Vec<MessageId>,
}

impl<'g> Gen<'g> {
    fn new(graph: &'g Arc<LearnerGraph>, byz_count: usize, seed: u64, mode: Mode) -> Self {
        let n = graph.num_acceptors();
        let mut rng = Rng(seed);
        let mut byz = AcceptorSet::EMPTY;
        let byz_count = match mode {
            Mode::Random => byz_count,
            Mode::WideFork => byz_count.max(1),
        };
        while byz.len() < byz_count.min(n) {
            byz.insert(AcceptorId::new(rng.below(n)).unwrap());
        }
        let forker = match mode {
            Mode::Random => None,
            Mode::WideFork => byz.iter().next().map(AcceptorId::index),
        };
        Self {
            graph,
            spec: Spec::new(graph),
            store: MessageStore::new(graph.clone()),
            rng,
            byz,
            accepted: Vec::new(),
            rejected: Vec::new(),
            proposals: Vec::new(),
            info: HashMap::new(),
            own: vec![Vec::new(); n],
            last: vec![None; n],
            labels: HashMap::new(),
            log: String::new(),
            phantoms: 0,
            stats: Stats::default(),
            seed,
            forker,
            branches: Vec::new(),
        }
    }

    fn label(&self, id: &MessageId) -> String {
        match self.labels.get(id) {
            Some(i) => format!("#{i}"),
            None => format!("?{id}"),
        }
    }

    fn value_name(v: ValueHash) -> String {
        VALUES
            .iter()
            .find(|s| ValueHash::of(s.as_bytes()) == v)
            .map_or_else(|| v.to_string(), |s| s.to_string())
    }

    fn fail(&self, what: String) -> TestCaseError {
        TestCaseError::fail(format!(
            "{what}\nbyzantine: {}\nDAG (in generation order):\n{}",
            self.graph.format_set(self.byz),
            self.log
        ))
    }

    /// Feeds `m` to both sides and compares acceptance. `None` for a duplicate.
    fn feed(&mut self, m: Message, note: &str) -> Result<Option<bool>, TestCaseError> {
        let id = m.id();
        if self.spec.knows(id) {
            return Ok(None);
        }
        let label = self.labels.len();
        self.labels.insert(id, label);
        let who = match m.signer() {
            Some(s) => self.graph.acceptor_name(s).to_string(),
            None => "proposer".to_string(),
        };
        let refs: Vec<String> = m.refs().iter().map(|r| self.label(r)).collect();
        self.spec.insert(m.clone());
        let spec = self.spec.well_formed(id);
        let checked = self.store.check(&m);
        let store = self.store.insert(m.clone());
        if checked != store.as_ref().map(|_| ()).map_err(Clone::clone) {
            return Err(self.fail(format!(
                "#{label}: MessageStore::check {checked:?} but insert {store:?}"
            )));
        }
        let verdict = match (&spec, &store) {
            (Ok(()), Ok(_)) => {
                let b = self.spec.ballot(id).unwrap();
                let is_1b = self.spec.is_1b(id).unwrap();
                let kind = if m.signer().is_none() {
                    "1a".to_string()
                } else if is_1b {
                    "1b".to_string()
                } else {
                    let ls = self.spec.two_a_learners(id).unwrap();
                    format!("2a for {}", self.graph.format_learners(ls))
                };
                format!(
                    "accepted {kind} b=({}, {})",
                    b.timestamp,
                    Self::value_name(b.value)
                )
            }
            (Err(e), _) => format!("rejected by spec: {e}; store: {store:?}"),
            (Ok(()), Err(r)) => format!("accepted by spec; store: {r}"),
        };
        let _ = writeln!(
            self.log,
            "  #{label} by {who} refs [{}] ({note}): {verdict}",
            refs.join(", ")
        );
        match (spec, store) {
            (Ok(()), Ok(_)) => {
                let b = self.spec.ballot(id).unwrap();
                let is_1b = self.spec.is_1b(id).unwrap();
                self.info.insert(id, (b, is_1b));
                self.accepted.push(id);
                self.stats.accepted += 1;
                match m.signer() {
                    None => {
                        self.proposals.push(id);
                        self.stats.one_as += 1;
                    }
                    Some(s) => {
                        self.own[s.index()].push(id);
                        if is_1b {
                            self.stats.one_bs += 1;
                        } else {
                            self.stats.two_as += 1;
                            if self.spec.two_a_learners(id).unwrap().len() > 1 {
                                self.stats.multi_learner_2as += 1;
                            }
                        }
                    }
                }
                Ok(Some(true))
            }
            (Err(e), Err(r)) => {
                if !e.agrees_with(&r) {
                    return Err(self.fail(format!(
                        "#{label}: spec and store reject for different reasons: spec {e:?}, store {r:?}"
                    )));
                }
                self.stats.rejected += 1;
                match r {
                    Rejection::MissingRefs(_) => self.stats.rej_missing_refs += 1,
                    Rejection::IllFormed(IllFormed::NoBallot) => self.stats.rej_no_ballot += 1,
                    Rejection::IllFormed(IllFormed::OneBSameBallot { .. }) => {
                        self.stats.rej_one_b_same_ballot += 1;
                    }
                    Rejection::IllFormed(IllFormed::NotA2a { .. }) => self.stats.rej_not_2a += 1,
                    Rejection::IllFormed(IllFormed::UnknownSigner(_)) => {
                        self.stats.rej_unknown_signer += 1;
                    }
                    _ => {}
                }
                if m.refs().iter().all(|r| self.spec.knows(*r)) {
                    self.rejected.push(id);
                }
                Ok(Some(false))
            }
            (s, t) => Err(self.fail(format!(
                "#{label}: spec and store disagree on acceptance: spec {s:?}, store {t:?}"
            ))),
        }
    }

    fn ballot_of(&self, id: MessageId) -> Option<Ballot> {
        self.info.get(&id).map(|&(b, _)| b)
    }

    /// Accepted messages satisfying `keep` (by ballot and 1b-ness).
    fn accepted_where(&self, keep: impl Fn(Ballot, bool) -> bool) -> Vec<MessageId> {
        self.accepted
            .iter()
            .copied()
            .filter(|id| self.info.get(id).is_some_and(|&(b, one_b)| keep(b, one_b)))
            .collect()
    }

    fn propose(&mut self) -> Result<(), TestCaseError> {
        // Mostly a fresh highest ballot, sometimes any (possibly stale) one.
        let highest = self
            .proposals
            .iter()
            .filter_map(|&p| self.ballot_of(p))
            .map(|b| b.timestamp)
            .max()
            .unwrap_or(0);
        let timestamp = if self.rng.chance(50) {
            highest + 1
        } else {
            self.rng.below(6) as u64 + 1
        };
        let value = VALUES[self.rng.below(VALUES.len())];
        self.feed(
            Message::proposal(timestamp, value.as_bytes().to_vec()),
            "proposal",
        )?;
        Ok(())
    }

    /// References of a 1b for the 1a `p`: `p`, `parent` (when lower), and a
    /// random subset of lower-ballot messages.
    fn one_b_refs(&mut self, p: MessageId, parent: Option<MessageId>, pct: u64) -> Vec<MessageId> {
        let bp = self.ballot_of(p).unwrap_or_default();
        let mut refs = vec![p];
        if let Some(last) = parent
            && self.ballot_of(last).is_some_and(|b| b < bp)
        {
            refs.push(last);
        }
        let lower = self.accepted_where(|b, _| b < bp);
        refs.extend(self.rng.subset(&lower, pct));
        refs
    }

    /// References of a 2a at ballot `b` built on `base`: most same-ballot 1bs,
    /// some same-ballot 2as, a few lower messages.
    fn two_a_refs(&mut self, base: MessageId, b: Ballot, pct_1b: u64) -> Vec<MessageId> {
        let mut refs = vec![base];
        let one_bs = self.accepted_where(|mb, one_b| mb == b && one_b);
        refs.extend(self.rng.subset(&one_bs, pct_1b));
        let two_as = self.accepted_where(|mb, one_b| mb == b && !one_b);
        refs.extend(self.rng.subset(&two_as, 40));
        let lower = self.accepted_where(|mb, _| mb < b);
        refs.extend(self.rng.subset(&lower, 20));
        refs
    }

    fn honest_step(&mut self, i: usize) -> Result<(), TestCaseError> {
        let last = self.last[i];
        let current = last.and_then(|l| self.ballot_of(l));
        let newer: Vec<MessageId> = self
            .proposals
            .iter()
            .copied()
            .filter(|&p| current.is_none_or(|c| self.ballot_of(p).is_some_and(|b| b > c)))
            .collect();
        let (refs, note) = if !newer.is_empty() && self.rng.chance(55) {
            let p = if self.rng.chance(70) {
                newer
                    .iter()
                    .copied()
                    .max_by_key(|&p| self.ballot_of(p))
                    .unwrap()
            } else {
                self.rng.pick(&newer).unwrap()
            };
            let bp = self.ballot_of(p).unwrap_or_default();
            let mut refs = self.one_b_refs(p, last, 50);
            refs.extend(self.branch_refs(|b| b < bp));
            (refs, "honest 1b")
        } else if let (Some(l), Some(b)) = (last, current)
            && self.rng.chance(65)
        {
            let mut refs = self.two_a_refs(l, b, 85);
            refs.extend(self.branch_refs(|bb| bb <= b));
            (refs, "honest 2a")
        } else {
            let recent: Vec<MessageId> = self.accepted.iter().rev().take(10).copied().collect();
            let mut refs = self.rng.subset(&recent, 30);
            refs.extend(last);
            if refs.is_empty() {
                refs.extend(self.rng.pick(&recent));
            }
            (refs, "honest random")
        };
        let m = signed(i, &refs);
        let id = m.id();
        if self.feed(m, note)? == Some(true) {
            self.last[i] = Some(id);
        }
        Ok(())
    }

    fn byzantine_step(&mut self, i: usize) -> Result<(), TestCaseError> {
        let own = self.own[i].clone();
        let parent = match self.rng.below(10) {
            0..=3 => self.last[i],
            4..=6 => self.rng.pick(&own),
            _ => None,
        };
        let own_1bs: Vec<MessageId> = own
            .iter()
            .copied()
            .filter(|id| self.info.get(id).is_some_and(|&(_, one_b)| one_b))
            .collect();
        let (refs, note) = match self.rng.below(4) {
            0 if !self.proposals.is_empty() => {
                let proposals = self.proposals.clone();
                let p = self.rng.pick(&proposals).unwrap();
                (self.one_b_refs(p, parent, 40), "byzantine 1b")
            }
            1 if parent.is_some() => {
                let base = parent.unwrap();
                let b = self.ballot_of(base).unwrap_or_default();
                (self.two_a_refs(base, b, 85), "byzantine 2a on parent")
            }
            2 if !own_1bs.is_empty() => {
                let base = self.rng.pick(&own_1bs).unwrap();
                let b = self.ballot_of(base).unwrap_or_default();
                (self.two_a_refs(base, b, 90), "byzantine 2a on an own 1b")
            }
            _ => {
                let accepted = self.accepted.clone();
                let mut refs = self.rng.subset(&accepted, 20);
                refs.extend(parent);
                if refs.is_empty() {
                    refs.extend(self.rng.pick(&accepted));
                }
                (refs, "byzantine random")
            }
        };
        let m = signed(i, &refs);
        let id = m.id();
        if self.feed(m, note)? == Some(true) {
            self.last[i] = Some(id);
        }
        Ok(())
    }

    fn junk_step(&mut self) -> Result<(), TestCaseError> {
        let n = self.graph.num_acceptors();
        let signer = self.rng.below(n);
        let accepted = self.accepted.clone();
        let some = self.rng.pick(&accepted);
        let (m, note) = match self.rng.below(4) {
            0 => (signed(signer, &[]), "junk: no refs"),
            1 | 2 => {
                let bad = match self.rng.pick(&self.rejected.clone()) {
                    Some(r) if self.rng.chance(60) => r,
                    _ => {
                        self.phantoms += 1;
                        MessageId(Hash32::of(&[b"phantom", &self.phantoms.to_be_bytes()]))
                    }
                };
                let mut refs = vec![bad];
                refs.extend(some);
                (signed(signer, &refs), "junk: unknown or ill-formed ref")
            }
            _ => {
                let a = AcceptorId::new(n).unwrap();
                let refs: Vec<MessageId> = some.into_iter().collect();
                let m = hetpaxos_messages::Unsigned::new(a, refs)
                    .sign(&hetpaxos_messages::AbstractSigner(a));
                (m, "junk: unknown signer")
            }
        };
        self.feed(m, note)?;
        Ok(())
    }

    /// A phase of the newest ballot: every honest acceptor, in random order,
    /// sends a 1b for the newest 1a (if above its ballot), then every honest
    /// acceptor tries a 2a.
    fn round_step(&mut self) -> Result<(), TestCaseError> {
        let n = self.graph.num_acceptors();
        let Some(p) = self
            .proposals
            .iter()
            .copied()
            .max_by_key(|&p| self.ballot_of(p))
        else {
            return Ok(());
        };
        let bp = self.ballot_of(p).unwrap_or_default();
        let mut honest: Vec<usize> = (0..n)
            .filter(|&i| !self.byz.contains(AcceptorId::new(i).unwrap()))
            .collect();
        for k in (1..honest.len()).rev() {
            honest.swap(k, self.rng.below(k + 1));
        }
        for &i in &honest {
            let last = self.last[i];
            if last.and_then(|l| self.ballot_of(l)).is_none_or(|b| b < bp) {
                let mut refs = self.one_b_refs(p, last, 50);
                refs.extend(self.branch_refs(|b| b < bp));
                let m = signed(i, &refs);
                let id = m.id();
                if self.feed(m, "round 1b")? == Some(true) {
                    self.last[i] = Some(id);
                }
            }
        }
        for &i in &honest {
            if let Some(l) = self.last[i]
                && self.ballot_of(l) == Some(bp)
            {
                let mut refs = self.two_a_refs(l, bp, 90);
                refs.extend(self.branch_refs(|b| b <= bp));
                let m = signed(i, &refs);
                let id = m.id();
                if self.feed(m, "round 2a")? == Some(true) {
                    self.last[i] = Some(id);
                }
            }
        }
        Ok(())
    }

    fn step(&mut self) -> Result<(), TestCaseError> {
        let n = self.graph.num_acceptors();
        if let Some(f) = self.forker
            && self.branches.is_empty()
            && self
                .accepted
                .iter()
                .filter(|&&m| self.sig(m) != Some(f))
                .count()
                >= 6
            && self.rng.chance(30)
        {
            return self.fork_step(f);
        }
        match self.rng.below(20) {
            _ if self.proposals.is_empty() => self.propose(),
            0..=1 => self.propose(),
            2 => self.junk_step(),
            3 => self.round_step(),
            _ => {
                let i = self.rng.below(n);
                // The forker is honest until it forks.
                let honest_forker = self.forker == Some(i) && self.branches.is_empty();
                if self.byz.contains(AcceptorId::new(i).unwrap()) && !honest_forker {
                    self.byzantine_step(i)
                } else {
                    self.honest_step(i)
                }
            }
        }
    }

    fn sig(&self, m: MessageId) -> Option<usize> {
        self.spec.sig(m).map(AcceptorId::index)
    }

    /// The wide fork: a fresh highest 1a, then at least [`MIN_BRANCHES`] 1bs
    /// of the forker `f`, each referencing its latest message (so all have
    /// one sequence number), a 1a above that message's ballot, and a random
    /// set of lower-ballot messages sent before the fork (so no branch is in
    /// another's history).
    fn fork_step(&mut self, f: usize) -> Result<(), TestCaseError> {
        let highest = self
            .proposals
            .iter()
            .filter_map(|&p| self.ballot_of(p))
            .map(|b| b.timestamp)
            .max()
            .unwrap_or(0);
        let value = VALUES[self.rng.below(VALUES.len())];
        self.feed(
            Message::proposal(highest + 1, value.as_bytes().to_vec()),
            "proposal before the wide fork",
        )?;
        let parent = self.last[f];
        let pb = parent.and_then(|l| self.ballot_of(l));
        let mut eligible: Vec<MessageId> = self
            .proposals
            .iter()
            .copied()
            .filter(|&p| pb.is_none_or(|c| self.ballot_of(p).is_some_and(|b| b > c)))
            .collect();
        eligible.sort_by_key(|&p| self.ballot_of(p));
        let before = self.accepted.clone();
        let target = MIN_BRANCHES + self.rng.below(9);
        let mut branches = Vec::new();
        for _ in 0..FORK_ATTEMPTS {
            if branches.len() >= target {
                break;
            }
            let p = if self.rng.chance(50) {
                *eligible.last().unwrap()
            } else {
                self.rng.pick(&eligible).unwrap()
            };
            let bp = self.ballot_of(p).unwrap_or_default();
            let lower: Vec<MessageId> = before
                .iter()
                .copied()
                .filter(|&m| self.ballot_of(m).is_some_and(|b| b < bp))
                .collect();
            let mut refs = vec![p];
            refs.extend(parent);
            refs.extend(self.rng.subset(&lower, 50));
            let m = signed(f, &refs);
            let id = m.id();
            match self.feed(m, "wide-fork branch")? {
                Some(true) => branches.push(id),
                Some(false) => {
                    return Err(self.fail(format!(
                        "generator bug: a wide-fork branch was rejected: {}",
                        self.label(&id)
                    )));
                }
                None => {}
            }
        }
        if let Some(&b) = branches.last() {
            self.last[f] = Some(b);
        }
        self.branches = branches;
        Ok(())
    }

    /// After a wide fork, usually most branches whose ballot passes `keep`
    /// (for a message of another acceptor to reference); otherwise none.
    fn branch_refs(&mut self, keep: impl Fn(Ballot) -> bool) -> Vec<MessageId> {
        if self.branches.is_empty() || !self.rng.chance(60) {
            return Vec::new();
        }
        let fitting: Vec<MessageId> = self
            .branches
            .iter()
            .copied()
            .filter(|&m| self.ballot_of(m).is_some_and(&keep))
            .collect();
        self.rng.subset(&fitting, 75)
    }

    /// Compares every derived fact of every accepted message, and Buried and
    /// Tran membership for every pair of accepted messages.
    fn check_all(&mut self) -> Result<(), TestCaseError> {
        let accepted = self.accepted.clone();
        for &x in &accepted {
            let lx = self.label(&x);
            let spec = &self.spec;
            if self.store.facts(&x).is_none() {
                return Err(self.fail(format!("{lx}: accepted but no facts in the store")));
            }
            let mut diffs: Vec<String> = compare_facts(spec, &self.store, x)
                .iter()
                .map(ToString::to_string)
                .collect();
            for &m in &accepted {
                let lm = self.label(&m);
                diffs.extend(
                    compare_pair(spec, &self.store, m, x)
                        .iter()
                        .map(|d| format!("[{lm} = {m}] {d}")),
                );
            }
            if !diffs.is_empty() {
                return Err(self.fail(format!(
                    "facts of {lx} differ:\n    {}",
                    diffs.join("\n    ")
                )));
            }
        }
        self.count();
        Ok(())
    }

    /// Checks the shape of a wide fork and what it did to `Caught`: the
    /// branches have one sequence number and are pairwise incomparable, and
    /// every message with two branches in its history has the forker in its
    /// `Caught`, by the specification and by the store.
    fn check_fork(&mut self) -> Result<(), TestCaseError> {
        let (Some(f), false) = (self.forker, self.branches.is_empty()) else {
            return Ok(());
        };
        let forker = AcceptorId::new(f).unwrap();
        let branches = self.branches.clone();
        let seqs: BTreeSet<u32> = branches
            .iter()
            .map(|b| self.store.facts(b).unwrap().seq())
            .collect();
        if seqs.len() != 1 {
            return Err(self.fail(format!(
                "generator bug: wide-fork branches with sequence numbers {seqs:?}"
            )));
        }
        for &a in &branches {
            for &b in &branches {
                if a != b && self.spec.in_tran(a, b) != Some(false) {
                    return Err(self.fail(format!(
                        "generator bug: branch {} is in the history of branch {}",
                        self.label(&a),
                        self.label(&b)
                    )));
                }
            }
        }
        self.stats.wide_forks += 1;
        self.stats.fork_branches += branches.len();
        for &x in &self.accepted.clone() {
            let in_history = branches
                .iter()
                .filter(|&&b| self.spec.in_tran(b, x) == Some(true))
                .count();
            let spec_caught = self.spec.caught(x).unwrap_or_default();
            let store_caught = self.store.facts(&x).unwrap().caught();
            if in_history >= 2 && !(spec_caught.contains(forker) && store_caught.contains(forker)) {
                return Err(self.fail(format!(
                    "{}: {in_history} branches in its history, but Caught is {} (spec) / {} (store)",
                    self.label(&x),
                    self.graph.format_set(spec_caught),
                    self.graph.format_set(store_caught)
                )));
            }
            if store_caught.contains(forker) {
                self.stats.forker_caught += 1;
            }
            if self.sig(x).is_some_and(|s| s != f) {
                let direct = self
                    .spec
                    .message(x)
                    .unwrap()
                    .refs()
                    .iter()
                    .filter(|r| branches.contains(r))
                    .count();
                if direct >= WIDE_JOIN {
                    self.stats.wide_joins += 1;
                }
                if direct > 0 && self.spec.is_2a(x) == Some(true) {
                    self.stats.two_as_on_branches += 1;
                }
            }
        }
        Ok(())
    }

    /// The cross-checks of the module docs: a second store (random
    /// topological order), a third store (through `Pending`, random order,
    /// some repeats), and a learner (every generated message, random order)
    /// against the specification's `Decision`.
    fn cross_check(&mut self) -> Result<(), TestCaseError> {
        let graph = self.store.graph().clone();
        let dag = self.accepted.clone();
        let messages: Vec<Message> = dag
            .iter()
            .map(|id| self.store.get(id).unwrap().clone())
            .collect();
        let mut rng = OrderRng(self.seed ^ 0x0dd5_eed5_0dd5_eed5);

        // (a) The same DAG in a random topological order.
        let order = random_topological_order(&messages, &mut rng);
        let mut second = MessageStore::new(graph.clone());
        for m in &order {
            if let Err(r) = second.insert(m.clone()) {
                return Err(self.fail(format!(
                    "second store (random topological order) rejected {}: {r}",
                    self.label(&m.id())
                )));
            }
        }
        let diffs = store_differences(&self.store, &second, &dag);
        if !diffs.is_empty() {
            return Err(self.fail(format!(
                "second store (random topological order) differs:\n    {}",
                diffs.join("\n    ")
            )));
        }

        // (b) The same DAG in any order, through Pending, some messages twice.
        let mut shuffled = messages.clone();
        let repeats: Vec<Message> = messages
            .iter()
            .filter(|_| rng.below(10) == 0)
            .cloned()
            .collect();
        self.stats.pending_repeats += repeats.len();
        shuffled.extend(repeats);
        rng.shuffle(&mut shuffled);
        let run = deliver_through_pending(&graph, &shuffled);
        self.stats.pending_held += run.held_on_arrival;
        if !run.rejected.is_empty()
            || run.still_held != 0
            || run.dropped != 0
            || run.accepted != dag.len()
        {
            return Err(self.fail(format!(
                "through Pending: {} of {} accepted, {} still held, {} dropped, rejected: {:?}",
                run.accepted,
                dag.len(),
                run.still_held,
                run.dropped,
                run.rejected
            )));
        }
        let diffs = store_differences(&self.store, &run.store, &dag);
        if !diffs.is_empty() {
            return Err(self.fail(format!(
                "third store (through Pending) differs:\n    {}",
                diffs.join("\n    ")
            )));
        }

        // (d) A learner fed every generated message, in a random order.
        let mut all: Vec<Message> = self.spec.messages().cloned().collect();
        rng.shuffle(&mut all);
        let learned = run_learner(&graph, &all);
        let mut sorted = dag.clone();
        sorted.sort_unstable();
        if learned.accepted != sorted {
            return Err(self.fail(format!(
                "the learner accepted {} messages, the store {}",
                learned.accepted.len(),
                sorted.len()
            )));
        }
        if !learned.bad_decisions.is_empty() {
            return Err(self.fail(format!(
                "the learner reported bad decisions: {:?}",
                learned.bad_decisions
            )));
        }
        let mut decided = false;
        for l in self.graph.learner_ids() {
            let name = self.graph.learner_name(l);
            let spec = spec_decided_values(&self.spec, l, &dag);
            let empty = BTreeSet::new();
            let reported = learned.values.get(&l).unwrap_or(&empty);
            if &spec != reported {
                let names = |vs: &BTreeSet<ValueHash>| {
                    vs.iter().map(|&v| Self::value_name(v)).collect::<Vec<_>>()
                };
                return Err(self.fail(format!(
                    "learner {name}: the specification's Decision allows {:?}, the learner reported {:?}",
                    names(&spec),
                    names(reported)
                )));
            }
            let events = learned.decided_events.get(&l).copied().unwrap_or(0);
            if events != usize::from(!spec.is_empty()) {
                return Err(self.fail(format!(
                    "learner {name}: {events} Decided events for {} decidable values",
                    spec.len()
                )));
            }
            if !spec.is_empty() {
                decided = true;
                self.stats.decided_learners += 1;
            }
            if spec.len() > 1 {
                self.stats.conflicting_learners += 1;
            }
        }
        self.stats.decided_dags += usize::from(decided);
        Ok(())
    }

    /// Counts what the run exercised (from the specification).
    fn count(&mut self) {
        let learners: Vec<_> = self.graph.learner_ids().collect();
        for &x in &self.accepted {
            // Sanity of the generator (digest §7, "safe acceptors are never
            // caught"): only the Byzantine acceptors fork.
            let caught = self.spec.caught(x).unwrap_or_default();
            assert!(
                caught.is_subset(self.byz),
                "generator bug: honest acceptor caught at {}\n{}",
                self.label(&x),
                self.log
            );
            if self.spec.caught(x).is_some_and(|c| !c.is_empty()) {
                self.stats.messages_with_caught += 1;
            }
            if self.spec.is_1b(x) == Some(true)
                && learners
                    .iter()
                    .any(|&a| self.spec.fresh(a, x) == Some(false))
            {
                self.stats.non_fresh_1bs += 1;
            }
            for &m in &self.accepted {
                for &l in &learners {
                    if self.spec.is_2a_for(m, l) != Some(true) {
                        continue;
                    }
                    if self.spec.buried(m, l, x) == Some(true) {
                        self.stats.buried_pairs += 1;
                    } else if self.spec.witnesses(m, l, x).is_some_and(|w| !w.is_empty()) {
                        self.stats.unburied_conflict_pairs += 1;
                    }
                }
            }
        }
    }
}

/// Runs one case: generates `steps` steps, checks every fact, returns counts.
fn run_case(
    graph: &Arc<LearnerGraph>,
    byz_count: usize,
    seed: u64,
    steps: usize,
    mode: Mode,
) -> Result<Stats, TestCaseError> {
    let mut g = Gen::new(graph, byz_count, seed, mode);
    for _ in 0..steps {
        g.step()?;
    }
    g.check_all()?;
    g.check_fork()?;
    g.cross_check()?;
    Ok(g.stats)
}

/// [`run_case`] on the oracle graph with this index.
fn run_on_graph(
    graph_index: usize,
    byz_count: usize,
    seed: u64,
    steps: usize,
    mode: Mode,
) -> Result<Stats, TestCaseError> {
    let graphs = oracle_graphs();
    let (_, graph) = &graphs[graph_index % graphs.len()];
    run_case(&Arc::new(graph.clone()), byz_count, seed, steps, mode)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(DEFAULT_CASES),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    /// The oracle: on random DAGs over every oracle graph, the store accepts
    /// exactly the messages the specification finds well-formed (rejecting
    /// for the same class of reason), and every derived fact agrees.
    #[test]
    fn spec_agrees_with_store(
        graph_index in 0..oracle_graphs().len(),
        byz_count in 0..=2usize,
        seed in any::<u64>(),
        steps in 1..=max_steps(),
    ) {
        run_on_graph(graph_index, byz_count, seed, steps, Mode::Random)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(DEFAULT_FORK_CASES),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    /// The oracle on wide forks: one Byzantine acceptor makes at least
    /// [`MIN_BRANCHES`] pairwise-incomparable branches with one sequence
    /// number, which the other acceptors' messages then reference; the store
    /// and the specification keep agreeing on every fact (`Caught` included),
    /// and every message with two branches in its history has the forker
    /// caught.
    #[test]
    fn spec_agrees_with_store_on_wide_forks(
        graph_index in 0..oracle_graphs().len(),
        byz_count in 1..=2usize,
        seed in any::<u64>(),
        steps in 1..=max_steps(),
    ) {
        run_on_graph(graph_index, byz_count, seed, steps, Mode::WideFork)?;
    }
}

/// The oracle graphs are valid learner graphs (LG-1..LG-4 and D5 hold).
#[test]
fn oracle_graphs_are_valid() {
    for (name, g) in oracle_graphs() {
        assert!(g.validate().is_ok(), "{name}: {:?}", g.violations());
    }
}

/// Non-vacuity: over a fixed set of generated DAGs (full-length runs, every
/// graph, 0–2 Byzantine acceptors), the oracle sees accepted 1bs and 2as,
/// caught acceptors, non-fresh 1bs, buried pairs, and each rejection class.
#[test]
fn generated_dags_exercise_every_definition() {
    let mut total = Stats::default();
    let mut report = String::new();
    for (name, graph) in oracle_graphs() {
        let graph = Arc::new(graph);
        let mut per_graph = Stats::default();
        for k in 0..RUNS_PER_GRAPH {
            let seed = 0x5eed_0000 + k * 7919 + (name.len() as u64) * 104_729;
            let stats = run_case(&graph, (k % 3) as usize, seed, MAX_STEPS, Mode::Random)
                .unwrap_or_else(|e| panic!("{name}, seed {seed:#x}: {e}"));
            per_graph.add(&stats);
        }
        let _ = writeln!(report, "{name}: {per_graph:?}");
        assert!(per_graph.one_bs > 0, "{name}: no 1b accepted\n{report}");
        assert!(per_graph.two_as > 0, "{name}: no 2a accepted\n{report}");
        total.add(&per_graph);
    }
    eprintln!("{report}total: {total:?}");
    assert!(total.one_bs > 0, "no 1b\n{report}");
    assert!(total.two_as > 0, "no 2a\n{report}");
    assert!(total.multi_learner_2as > 0, "no multi-learner 2a\n{report}");
    assert!(total.messages_with_caught > 0, "nobody caught\n{report}");
    assert!(total.non_fresh_1bs > 0, "no non-fresh 1b\n{report}");
    assert!(total.buried_pairs > 0, "nothing buried\n{report}");
    assert!(
        total.unburied_conflict_pairs > 0,
        "no partial witness set\n{report}"
    );
    assert!(total.rej_missing_refs > 0, "no MissingRefs\n{report}");
    assert!(total.rej_no_ballot > 0, "no NoBallot\n{report}");
    assert!(
        total.rej_one_b_same_ballot > 0,
        "no OneBSameBallot\n{report}"
    );
    assert!(total.rej_not_2a > 0, "no NotA2a\n{report}");
    assert!(total.rej_unknown_signer > 0, "no UnknownSigner\n{report}");
    assert!(
        total.pending_held > 0,
        "Pending never had to hold a message\n{report}"
    );
    assert!(total.pending_repeats > 0, "no repeated delivery\n{report}");
    assert!(
        total.decided_dags > 0,
        "no DAG reached a decision\n{report}"
    );
}

/// Non-vacuity of the wide forks: over fixed seeds (full-length runs, every
/// graph), every run forks into at least [`MIN_BRANCHES`] branches, other
/// acceptors' messages reference at least [`WIDE_JOIN`] of them directly,
/// their 2as reference branches, the forker is caught, and some DAGs decide.
#[test]
fn wide_forks_are_wide_and_joined() {
    let mut total = Stats::default();
    let mut report = String::new();
    let mut runs = 0;
    for (name, graph) in oracle_graphs() {
        let graph = Arc::new(graph);
        for k in 0..2u64 {
            let seed = 0xf0_4c00 + k * 7919 + (name.len() as u64) * 104_729;
            let stats = run_case(&graph, 1 + k as usize, seed, MAX_STEPS, Mode::WideFork)
                .unwrap_or_else(|e| panic!("{name}, seed {seed:#x}: {e}"));
            let _ = writeln!(report, "{name}, seed {seed:#x}: {stats:?}");
            assert_eq!(stats.wide_forks, 1, "{name}, seed {seed:#x}: no wide fork");
            assert!(stats.fork_branches >= MIN_BRANCHES);
            runs += 1;
            total.add(&stats);
        }
    }
    eprintln!("{report}total: {total:?}");
    assert_eq!(runs, 2 * oracle_graphs().len());
    assert!(total.wide_joins > 0, "nobody joined the fork\n{report}");
    assert!(
        total.two_as_on_branches > 0,
        "no 2a references a branch\n{report}"
    );
    assert!(
        total.forker_caught > 0,
        "the forker was never caught\n{report}"
    );
    assert!(
        total.decided_dags > 0,
        "no DAG reached a decision\n{report}"
    );
}
