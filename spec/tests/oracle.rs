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
//! Case count: `HETPAXOS_ORACLE_CASES` (default [`DEFAULT_CASES`]); steps per
//! case: `HETPAXOS_ORACLE_STEPS` (default [`MAX_STEPS`]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{oracle_graphs, signed};
use hetpaxos_messages::{
    Ballot, Hash32, IllFormed, Message, MessageId, MessageStore, Rejection, ValueHash,
};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph};
use hetpaxos_spec::{Spec, compare_facts, compare_pair};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Default number of proptest cases of [`spec_agrees_with_store`].
const DEFAULT_CASES: u32 = 64;
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

fn cases() -> u32 {
    std::env::var("HETPAXOS_ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CASES)
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
}

impl<'g> Gen<'g> {
    fn new(graph: &'g Arc<LearnerGraph>, byz_count: usize, seed: u64) -> Self {
        let n = graph.num_acceptors();
        let mut rng = Rng(seed);
        let mut byz = AcceptorSet::EMPTY;
        while byz.len() < byz_count.min(n) {
            byz.insert(AcceptorId::new(rng.below(n)).unwrap());
        }
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
            (self.one_b_refs(p, last, 50), "honest 1b")
        } else if let (Some(l), Some(b)) = (last, current)
            && self.rng.chance(65)
        {
            (self.two_a_refs(l, b, 85), "honest 2a")
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
                let refs = self.one_b_refs(p, last, 50);
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
                let refs = self.two_a_refs(l, bp, 90);
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
        match self.rng.below(20) {
            _ if self.proposals.is_empty() => self.propose(),
            0..=1 => self.propose(),
            2 => self.junk_step(),
            3 => self.round_step(),
            _ => {
                let i = self.rng.below(n);
                if self.byz.contains(AcceptorId::new(i).unwrap()) {
                    self.byzantine_step(i)
                } else {
                    self.honest_step(i)
                }
            }
        }
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
) -> Result<Stats, TestCaseError> {
    let mut g = Gen::new(graph, byz_count, seed);
    for _ in 0..steps {
        g.step()?;
    }
    g.check_all()?;
    Ok(g.stats)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    /// The oracle: on random DAGs over every oracle graph, the store accepts
    /// exactly the messages the specification finds well-formed (rejecting
    /// for the same class of reason), and every derived fact agrees.
    #[test]
    fn spec_agrees_with_store(
        graph_index in 0..4usize,
        byz_count in 0..=2usize,
        seed in any::<u64>(),
        steps in 1..=max_steps(),
    ) {
        let graphs = oracle_graphs();
        let (_, graph) = &graphs[graph_index % graphs.len()];
        let graph = Arc::new(graph.clone());
        run_case(&graph, byz_count, seed, steps)?;
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
            let stats = run_case(&graph, (k % 3) as usize, seed, MAX_STEPS)
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
}
