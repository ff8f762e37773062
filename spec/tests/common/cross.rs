//! Cross-checks of one message DAG beyond the spec-vs-store comparison: the
//! same DAG inserted into other stores in other orders (directly, in a random
//! topological order, or through [`Pending`] in any order) must give the same
//! facts, and a [`Learner`] fed the DAG must decide exactly the values the
//! specification's `Decision` allows.

use hetpaxos_learner::{Learner, LearnerEvent};
use hetpaxos_messages::{
    AbstractSignatures, Ballot, Bytes, Kind, Message, MessageId, MessageStore, Pending,
    PendingLimits, ValueHash,
};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph, LearnerId, LearnerSet};
use hetpaxos_spec::{MessageSet, Spec};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

/// The per-learner facts of one message, read through [`hetpaxos_messages::Facts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnerFacts {
    /// `Con_a(x)`.
    pub connected: LearnerSet,
    /// `fresh_a(x)`.
    pub fresh: bool,
    /// `Sig(q_a(x))`.
    pub q_signers: AcceptorSet,
    /// `{V(m) | m ∈ Con2as_a(x)}`.
    pub con2as_values: BTreeSet<ValueHash>,
}

/// Every fact of one accepted message that the oracle compares with the
/// specification (`hetpaxos_spec::compare_facts` and `compare_pair`), read
/// from one store: the per-message facts, and for every message `m` of the
/// DAG whether `m ∈ Tran(x)` and for which learners `Buried(m, x)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactsSnapshot {
    /// `Sig(x)`.
    pub signer: Option<AcceptorId>,
    /// `Get1a(x)`.
    pub get1a: MessageId,
    /// `b(x)`.
    pub ballot: Ballot,
    /// `V(x)` as a hash.
    pub value_hash: ValueHash,
    /// `V(x)` as bytes.
    pub value: Bytes,
    /// `Caught(x)`.
    pub caught: AcceptorSet,
    /// Whether `x` is a 1b.
    pub is_1b: bool,
    /// The learners `x` is a 2a for.
    pub two_a_learners: LearnerSet,
    /// 1a, 1b or 2a.
    pub kind: Kind,
    /// Per learner, in learner order.
    pub per_learner: Vec<LearnerFacts>,
    /// Per message of the DAG (in the order given): `m ∈ Tran(x)`, and the
    /// learners `l` with `Buried(m, x)` for `l`.
    pub pairs: Vec<(bool, LearnerSet)>,
}

/// The facts of `x` in `store`, with pair facts against every message of
/// `dag`; `None` if `store` did not accept `x`.
pub fn snapshot(store: &MessageStore, x: MessageId, dag: &[MessageId]) -> Option<FactsSnapshot> {
    let f = store.facts(&x)?;
    let graph = store.graph();
    let per_learner = graph
        .learner_ids()
        .map(|a| LearnerFacts {
            connected: f.connected(a),
            fresh: f.fresh().contains(a),
            q_signers: f.q_signers(a),
            con2as_values: f.con2as_values(a),
        })
        .collect();
    let pairs = dag
        .iter()
        .map(|&m| {
            let buried = graph.learner_ids().filter(|&l| f.buries(m, l)).collect();
            (f.has_in_history(m), buried)
        })
        .collect();
    Some(FactsSnapshot {
        signer: f.signer(),
        get1a: f.get1a(),
        ballot: f.ballot(),
        value_hash: f.value_hash(),
        value: f.value().clone(),
        caught: f.caught(),
        is_1b: f.is_1b(),
        two_a_learners: f.two_a_learners(),
        kind: f.kind(),
        per_learner,
        pairs,
    })
}

/// Where `other` disagrees with `reference` on the facts of the messages of
/// `dag` (all accepted by `reference`). Empty when they agree on every fact.
pub fn store_differences(
    reference: &MessageStore,
    other: &MessageStore,
    dag: &[MessageId],
) -> Vec<String> {
    let mut out = Vec::new();
    if other.len() != reference.len() {
        out.push(format!(
            "{} messages accepted, the reference store has {}",
            other.len(),
            reference.len()
        ));
    }
    for (k, &x) in dag.iter().enumerate() {
        let want = snapshot(reference, x, dag);
        let got = snapshot(other, x, dag);
        match (want, got) {
            (Some(w), Some(g)) if w == g => {}
            (Some(w), Some(g)) => out.push(describe(k, &w, &g, dag)),
            (w, g) => out.push(format!(
                "#{k} {x}: accepted by reference {} / other {}",
                w.is_some(),
                g.is_some()
            )),
        }
    }
    out
}

/// Names the first differing fields of two snapshots of message number `k`.
fn describe(k: usize, w: &FactsSnapshot, g: &FactsSnapshot, dag: &[MessageId]) -> String {
    let mut parts = Vec::new();
    macro_rules! field {
        ($f:ident) => {
            if w.$f != g.$f {
                parts.push(format!(
                    "{}: reference {:?} / other {:?}",
                    stringify!($f),
                    w.$f,
                    g.$f
                ));
            }
        };
    }
    field!(signer);
    field!(get1a);
    field!(ballot);
    field!(value_hash);
    field!(value);
    field!(caught);
    field!(is_1b);
    field!(two_a_learners);
    field!(kind);
    for (a, (wl, gl)) in w.per_learner.iter().zip(&g.per_learner).enumerate() {
        if wl != gl {
            parts.push(format!("learner {a}: reference {wl:?} / other {gl:?}"));
        }
    }
    for (m, (wp, gp)) in w.pairs.iter().zip(&g.pairs).enumerate() {
        if wp != gp {
            parts.push(format!(
                "pair with #{m} {}: (in Tran, Buried for) reference {wp:?} / other {gp:?}",
                dag[m]
            ));
        }
    }
    format!("facts of #{k} {} differ: {}", dag[k], parts.join("; "))
}

/// A tiny deterministic generator (SplitMix64) for orders, independent of the
/// DAG generator's stream.
pub struct OrderRng(pub u64);

impl OrderRng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for k in (1..items.len()).rev() {
            items.swap(k, self.below(k + 1));
        }
    }
}

/// A uniformly random choice among the topological orders reachable by
/// repeatedly taking a random message whose references are all taken:
/// `messages` (closed under references) reordered so that every message comes
/// after all of its references.
pub fn random_topological_order(messages: &[Message], rng: &mut OrderRng) -> Vec<Message> {
    let ids: HashSet<MessageId> = messages.iter().map(Message::id).collect();
    let mut done: HashSet<MessageId> = HashSet::new();
    let mut left: Vec<Message> = messages.to_vec();
    let mut out = Vec::with_capacity(messages.len());
    while !left.is_empty() {
        let ready: Vec<usize> = (0..left.len())
            .filter(|&k| left[k].refs().iter().all(|r| done.contains(r)))
            .collect();
        assert!(
            !ready.is_empty(),
            "the DAG is not closed under references: {} messages left, refs outside: {:?}",
            left.len(),
            left.iter()
                .flat_map(|m| m.refs().iter().filter(|r| !ids.contains(r)))
                .collect::<Vec<_>>()
        );
        let m = left.swap_remove(ready[rng.below(ready.len())]);
        done.insert(m.id());
        out.push(m);
    }
    out
}

/// What delivering a DAG through [`Pending`] did.
#[derive(Debug)]
pub struct PendingRun {
    /// The store the messages were delivered into.
    pub store: MessageStore,
    /// Messages reported accepted, summed over deliveries.
    pub accepted: usize,
    /// Rejections reported, with the message.
    pub rejected: Vec<String>,
    /// Deliveries of a message whose references were not all accepted yet
    /// (it was held).
    pub held_on_arrival: usize,
    /// Messages still held at the end.
    pub still_held: usize,
    /// Messages dropped because the buffer was full.
    pub dropped: u64,
}

/// Delivers `order` (any order, repetitions allowed) through one [`Pending`]
/// buffer into an empty store over `graph`.
pub fn deliver_through_pending(graph: &Arc<LearnerGraph>, order: &[Message]) -> PendingRun {
    let mut store = MessageStore::new(graph.clone());
    let mut pending = Pending::new(PendingLimits::default());
    let (mut accepted, mut held_on_arrival, mut rejected) = (0, 0, Vec::new());
    for m in order {
        let d = pending.deliver(&mut store, m.clone());
        accepted += d.accepted.len();
        held_on_arrival += usize::from(d.held);
        rejected.extend(d.rejected.iter().map(|(id, why)| format!("{id}: {why}")));
    }
    PendingRun {
        accepted,
        rejected,
        held_on_arrival,
        still_held: pending.len(),
        dropped: pending.dropped(),
        store,
    }
}

/// The values the specification's `Decision` allows learner `l` to decide
/// from the messages `dag`: `V(S)` for every `S ⊆ dag` with `Decision_l(S)`.
///
/// Such an `S` holds 2as for `l` of one ballot whose signers contain a quorum
/// of `l`; quorums are upward closed, so `S` exists for a ballot exactly when
/// the set of **all** 2as for `l` of that ballot in `dag` is a decision. So
/// [`Spec::decision`] is asked once per ballot, about that whole set.
pub fn spec_decided_values(
    spec: &Spec<'_>,
    l: LearnerId,
    dag: &[MessageId],
) -> BTreeSet<ValueHash> {
    let mut by_ballot: BTreeMap<Ballot, MessageSet> = BTreeMap::new();
    for &m in dag {
        if spec.is_2a_for(m, l) == Some(true)
            && let Some(b) = spec.ballot(m)
        {
            by_ballot.entry(b).or_default().insert(m);
        }
    }
    by_ballot
        .values()
        .filter_map(|set| spec.decision(l, set))
        .collect()
}

/// What a [`Learner`] fed a DAG reported.
#[derive(Debug)]
pub struct LearnerRun {
    /// Per learner: the decided value, then every value of a conflicting
    /// quorum it reported (as hashes).
    pub values: BTreeMap<LearnerId, BTreeSet<ValueHash>>,
    /// `Decided` events per learner (must be at most one).
    pub decided_events: BTreeMap<LearnerId, usize>,
    /// Decided events whose signers are not a quorum of their learner, or
    /// whose value is not the value of their ballot.
    pub bad_decisions: Vec<String>,
    /// Ids the learner's store accepted, sorted.
    pub accepted: Vec<MessageId>,
}

/// Feeds `order` to one [`Learner`] (every learner of `graph`, signatures
/// abstracted) and collects the values it reports decided per learner: the
/// first decision, and the other value of every conflict it reports.
pub fn run_learner(graph: &Arc<LearnerGraph>, order: &[Message]) -> LearnerRun {
    let verifier = Arc::new(AbstractSignatures {
        acceptors: graph.num_acceptors(),
    });
    let mut learner = Learner::new(graph.clone(), verifier, PendingLimits::default());
    let mut run = LearnerRun {
        values: BTreeMap::new(),
        decided_events: BTreeMap::new(),
        bad_decisions: Vec::new(),
        accepted: Vec::new(),
    };
    let check = |d: &hetpaxos_learner::Decision, what: &str, run: &mut LearnerRun| {
        if !graph.is_quorum(d.learner, d.signers) {
            run.bad_decisions
                .push(format!("{what} by non-quorum {:?}: {d:?}", d.signers));
        }
        if ValueHash::of(&d.value) != d.ballot.value {
            run.bad_decisions
                .push(format!("{what} with a value not of its ballot: {d:?}"));
        }
    };
    for m in order {
        for e in learner.receive(m.clone()) {
            match e {
                LearnerEvent::Decided(d) => {
                    check(&d, "decision", &mut run);
                    *run.decided_events.entry(d.learner).or_default() += 1;
                    run.values
                        .entry(d.learner)
                        .or_default()
                        .insert(ValueHash::of(&d.value));
                }
                LearnerEvent::Conflict { decided, other } => {
                    check(&other, "conflict", &mut run);
                    run.values
                        .entry(decided.learner)
                        .or_default()
                        .insert(ValueHash::of(&other.value));
                }
                _ => {}
            }
        }
    }
    run.accepted = learner.store().sorted_ids();
    run
}
