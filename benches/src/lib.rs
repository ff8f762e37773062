//! The project's criterion benchmarks, one file per concern under
//! `benches/benches/`; figures and the commands that reproduce them are in
//! `docs/benchmarks.md`. Run one with
//! `cargo bench -p hetpaxos-benches --bench NAME` (add `-- --quick` for a
//! short run).
//!
//! - `ingest`: the receive path of one message (decode from protobuf
//!   bytes, Ed25519 verification, derived facts and store insertion),
//!   together (`ingest_history/100` … `ingest_history/100000`) and stage by
//!   stage, for 4 to 256 acceptors and 1 to 16 learners, and for a
//!   Byzantine history whose forks keep growing.
//! - `store_bytes`: the memory the store holds per accepted message at the
//!   sizes of `ingest` (a table on stdout, not a criterion benchmark).
//! - `fork_flood`: what one equivocating acceptor's `K` forks cost the
//!   store alone (signatures abstracted).
//! - `crypto`: Ed25519 signing, verification one at a time, and batch
//!   verification of 16, 64 and 256 messages.
//! - `wire`: protobuf decoding alone, for small and large messages.
//! - `config`: loading a cluster config written by `hetpaxos-config-gen`.
//! - `quorums`: `is_quorum`, `connected` (the condensed learner graph
//!   evaluated on a set), validity checking, and message-store insertion for
//!   clusters of 4 to 1,024 acceptors written as thresholds and stake
//!   weights.
//!
//! This library holds what several of them share: honest histories with real
//! signatures, the keys and cluster context of the simulator, and batch
//! verification written against the public API of `hetpaxos-messages`.
#![forbid(unsafe_code)]
// Set-up code of benchmarks: a failure is a bug in the set-up, reported at once.
#![allow(clippy::panic, clippy::expect_used)]

use criterion::Bencher;
use ed25519_dalek::VerifyingKey;
use hetpaxos_messages::{
    AbstractSigner, Body, ClusterContext, Ed25519ProposalSigner, Ed25519Signer, Ed25519Verifier,
    Hash32, Message, MessageId, MessageStore, ProposerId, Signer, Unsigned, Verifier,
    proposal_signing_payload, signing_payload, wire,
};
use hetpaxos_quorums::{AcceptorId, LearnerGraph, examples};
use hetpaxos_sim::{MAX_PROPOSERS, Node, Order, Sim, test_key, test_proposer_key};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The cluster context the simulator signs in (`hetpaxos-sim` keeps it
/// private; it is the hash of this fixed label). [`verifier`] checks
/// against it, so a mismatch would fail every benchmark's set-up.
pub fn context() -> ClusterContext {
    ClusterContext(Hash32::of(&[b"hetpaxos-sim"]))
}

/// The verifier of the simulator's keys for `n` acceptors (and all its
/// proposers), as a node would build it from its cluster config.
pub fn verifier(n: usize) -> Ed25519Verifier {
    Ed25519Verifier::new(
        (0..n).map(|i| test_key(i).verifying_key()).collect(),
        (0..MAX_PROPOSERS)
            .map(|i| test_proposer_key(i).verifying_key())
            .collect(),
        context(),
    )
}

/// The homogeneous graph of `n` acceptors and `learners` learners (quorums
/// and safe sets "at least `n − ⌊(n − 1)/3⌋` of all acceptors").
pub fn homogeneous(n: usize, learners: usize) -> Arc<LearnerGraph> {
    match examples::homogeneous(n, learners) {
        Ok(g) => Arc::new(g),
        Err(e) => panic!("homogeneous({n}, {learners}): {e}"),
    }
}

/// The honest history of `n` acceptors over `ballots` ballots of one value,
/// as the simulator produces it in its best-case delivery order (see
/// [`simulated_history`]), built directly: each ballot `k` (from 1) is
///
/// - the 1a at timestamp `k ×` [`BALLOT_SPACING`], signed by proposer 0;
/// - the 1b of every acceptor, referencing that 1a and every 2a of ballot
///   `k − 1` (what each acceptor accepted since its own last message);
/// - the 2a of every acceptor `i`, referencing the first `q = n − f` 1bs
///   to arrive, which in that order are those of acceptors `0 … q − 1`,
///   or for `i ≥ q` those of `0 … q − 2` and its own.
///
/// In acceptance order: the 1a, the 1bs, the 2as (acceptor 0 accepts some
/// 2as before the last 1bs; the set of messages is the same). The ids are
/// the simulator's ([`check_against_sim`] checks it), and so are the
/// signatures: Ed25519 is deterministic, and the keys and cluster context
/// are the simulator's. Running the simulator took about 1.5 s for two
/// ballots of 64 acceptors and 37 s for 128 here (deriving the candidate
/// messages of every acceptor dominates), so minutes for 256; this takes
/// one signature per message.
///
/// The messages do not depend on the number of learners of a homogeneous
/// graph (every learner has the same quorums, so every acceptor sends one
/// 2a for all of them at the same moment), so one history serves 1, 4 or
/// 16 learners.
pub fn honest_history(n: usize, ballots: usize) -> Vec<Message> {
    let f = n.saturating_sub(1) / 3;
    let q = n - f;
    let signers: Vec<Ed25519Signer> = (0..n)
        .map(|i| Ed25519Signer::new(acceptor(i), test_key(i), context()))
        .collect();
    let proposer = Ed25519ProposalSigner::new(ProposerId(0), test_proposer_key(0), context());
    let mut out = Vec::with_capacity(ballots * (1 + 2 * n));
    let mut last_2as: Vec<MessageId> = Vec::new();
    for k in 1..=ballots as u64 {
        let one_a =
            Message::signed_proposal(k * BALLOT_SPACING, &b"benchmark value"[..], &proposer);
        let one_bs: Vec<Message> = signers
            .iter()
            .map(|s| {
                let refs = std::iter::once(one_a.id()).chain(last_2as.iter().copied());
                Unsigned::new(s.acceptor(), refs).sign(s)
            })
            .collect();
        let two_as: Vec<Message> = signers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let first = if i < q { q } else { q - 1 };
                let refs = one_bs[..first]
                    .iter()
                    .chain((i >= q).then(|| &one_bs[i]))
                    .map(Message::id);
                Unsigned::new(s.acceptor(), refs).sign(s)
            })
            .collect();
        last_2as = two_as.iter().map(Message::id).collect();
        out.push(one_a);
        out.extend(one_bs);
        out.extend(two_as);
    }
    out
}

/// Acceptor `i`.
pub fn acceptor(i: usize) -> AcceptorId {
    AcceptorId::new(i).expect("acceptor index in range")
}

/// Panics unless [`honest_history`] of `n` acceptors over `ballots` ballots
/// is, as a set, the history the simulator produces ([`simulated_history`]):
/// the benchmarks call it for small clusters before trusting the direct
/// construction for large ones.
pub fn check_against_sim(n: usize, ballots: usize) {
    let direct: HashSet<MessageId> = honest_history(n, ballots).iter().map(Message::id).collect();
    let simulated: HashSet<MessageId> = simulated_history(homogeneous(n, 1), ballots)
        .iter()
        .map(Message::id)
        .collect();
    assert!(
        direct == simulated,
        "the direct honest history of {n} acceptors differs from the simulator's \
         ({} vs {} messages): update honest_history to the acceptor's behaviour",
        direct.len(),
        simulated.len()
    );
}

/// An honest history on `graph` of `ballots` ballots of one value, each run
/// to quiescence in the simulator's best-case order with real Ed25519
/// signatures; acceptor 0's accepted messages in acceptance (causal) order.
///
/// Two differences from [`hetpaxos_sim::honest_history`]:
/// - Each ballot's 1a is signed here (by proposer 0) with a timestamp
///   [`BALLOT_SPACING`] after the previous one and handed to every
///   acceptor. The simulated proposers take their timestamps from a clock
///   that advances by 1 ns per ballot, and acceptors join one proposer's
///   ballots at most every 50 ms (`AcceptorLimits::min_proposal_interval`),
///   so after the first ballot theirs are accepted but not joined: such a
///   history is one ballot followed by 1as only (`honest_history(graph,
///   400)` holds 408 messages).
/// - Every node receives each message once: the simulated relay delivers a
///   message to each acceptor once per acceptor that accepted it (O(n²)
///   deliveries per message), and the copies after the first are refused
///   as duplicates without changing what anyone sends.
pub fn simulated_history(graph: Arc<LearnerGraph>, ballots: usize) -> Vec<Message> {
    let mut sim = Sim::new(graph, Order::Rounds, 1);
    let mut seen: HashSet<(Node, MessageId)> = HashSet::new();
    sim.set_drop_rule(Box::new(move |to, m| !seen.insert((to, m.id()))));
    let proposer = sim.proposal_signer(0);
    for k in 1..=ballots as u64 {
        let before = sim.slots[0].acceptor.store().len();
        let one_a =
            Message::signed_proposal(k * BALLOT_SPACING, &b"benchmark value"[..], &proposer);
        for slot in 0..sim.slots.len() {
            sim.inject(Node::Acceptor(slot), one_a.clone());
        }
        sim.run(u64::MAX);
        let added = sim.slots[0].acceptor.store().len() - before;
        assert!(added > 1, "ballot {k} added {added} message(s): not joined");
    }
    sim.slots[0].acceptor.store().messages().cloned().collect()
}

/// Ballot timestamps of the histories are this far apart (100 ms in
/// nanoseconds, above the acceptors' 50 ms between one proposer's ballots).
pub const BALLOT_SPACING: u64 = 100_000_000;

/// The protobuf encoding of each message.
pub fn encode_all(messages: &[Message]) -> Vec<Vec<u8>> {
    messages.iter().map(wire::encode).collect()
}

/// A store for `graph` holding `messages` (in causal order).
pub fn store_of(graph: Arc<LearnerGraph>, messages: &[Message]) -> MessageStore {
    let mut store = MessageStore::new(graph);
    for m in messages {
        if let Err(e) = store.insert(m.clone()) {
            panic!("history not accepted in order: {e}");
        }
    }
    store
}

/// Decodes protobuf bytes from the network, with the default limits.
pub fn decode(bytes: &[u8]) -> Message {
    wire::decode(bytes, &wire::Limits::default()).expect("decodes")
}

/// The full receive path of one message, as a node runs it: decode the
/// bytes, verify the signature, derive the facts and insert.
pub fn ingest(store: &mut MessageStore, verifier: &Ed25519Verifier, bytes: &[u8]) {
    let m = decode(bytes);
    if let Err(e) = verifier.verify(&m) {
        panic!("verify: {e}");
    }
    if let Err(e) = store.insert(m) {
        panic!("insert: {e}");
    }
}

/// A store built by inserting a history's first `start` messages, never
/// cloned, from which timed batches take the messages that follow; once
/// they would take it more than `window` messages past `start`, it is
/// dropped and built again (outside the timing, see [`time_batches`]).
///
/// Why not a clone per iteration: `Vec::clone` allocates exactly the
/// length, so the first insertion into a cloned store reallocates and
/// copies its whole node vector (and each signer's chain), which a store
/// that grew by insertion pays once per doubling. The old
/// `crates/sim/benches/per_message.rs` timed the first messages after such
/// a clone and charged that copy, which grows with the history, to them
/// (at 10,000 and 100,000 messages, 3 to 4 times the per-message cost of a
/// store grown by insertion, in one run of this machine). Priming the clone
/// with a few untimed insertions removes the copy, but at 100,000 messages
/// the timed ones were still slower than in a grown store (caches and
/// allocator state after copying hundreds of megabytes). A store grown by
/// insertion is what a node has.
#[derive(Debug)]
pub struct Grown {
    graph: Arc<LearnerGraph>,
    history: Vec<Message>,
    start: usize,
    window: usize,
    store: Option<MessageStore>,
    next: usize,
}

impl Grown {
    /// Batches from `history[start..start + window]` (at least one batch).
    pub fn new(graph: Arc<LearnerGraph>, history: &[Message], start: usize, window: usize) -> Self {
        Self {
            graph,
            history: history.to_vec(),
            start,
            window,
            store: None,
            next: start,
        }
    }

    /// The store, and the index in the history of the first of the next
    /// `len` messages, which the caller inserts. Builds the store first if
    /// there is none or those messages would pass the window.
    pub fn next_batch(&mut self, len: usize) -> (&mut MessageStore, usize) {
        if self.store.is_none() || self.next + len > self.start + self.window.max(len) {
            // Drop the old store before building the next (memory).
            self.store = None;
            self.store = Some(store_of(self.graph.clone(), &self.history[..self.start]));
            self.next = self.start;
        }
        let at = self.next;
        self.next += len;
        (self.store.as_mut().expect("built above"), at)
    }
}

/// Times `f(store, at)` once per iteration, where `store` and `at` come
/// from [`Grown::next_batch`] with `len` messages: only `f` is timed, not
/// building the store. `f` must insert `history[at..at + len]`.
pub fn time_batches(
    b: &mut Bencher<'_>,
    grown: &mut Grown,
    len: usize,
    mut f: impl FnMut(&mut MessageStore, usize),
) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let (store, at) = grown.next_batch(len);
            let t = Instant::now();
            f(store, at);
            total += t.elapsed();
        }
        total
    });
}

/// The public keys of the simulator's acceptors and proposers, to look up
/// the key of a signature in a batch.
#[derive(Clone, Debug)]
pub struct Keys {
    acceptors: Vec<VerifyingKey>,
    proposers: Vec<VerifyingKey>,
}

impl Keys {
    /// The keys of `n` acceptors and of all proposers.
    pub fn new(n: usize) -> Self {
        Self {
            acceptors: (0..n).map(|i| test_key(i).verifying_key()).collect(),
            proposers: (0..MAX_PROPOSERS)
                .map(|i| test_proposer_key(i).verifying_key())
                .collect(),
        }
    }
}

/// A batch for `ed25519_dalek::verify_batch`: each signature with the
/// bytes it covers and the key that must have made it.
///
/// Written against the public API of `hetpaxos-messages`:
/// [`signing_payload`] and [`proposal_signing_payload`] give the
/// domain-separated bytes, and the keys come from the benchmark's own
/// [`Keys`]. (A node holds its keys inside an [`Ed25519Verifier`], which
/// does not expose them; batching there needs a method on the verifier.)
#[derive(Clone, Debug, Default)]
pub struct Batch {
    payloads: Vec<Vec<u8>>,
    signatures: Vec<ed25519_dalek::Signature>,
    keys: Vec<VerifyingKey>,
}

impl Batch {
    /// The signatures of `messages` (an unsigned 1a has none).
    pub fn of(messages: &[Message], keys: &Keys) -> Self {
        let mut b = Self {
            payloads: Vec::with_capacity(messages.len()),
            signatures: Vec::with_capacity(messages.len()),
            keys: Vec::with_capacity(messages.len()),
        };
        for m in messages {
            b.push(m, keys);
        }
        b
    }

    /// Adds the signature of `m`, if it has one.
    pub fn push(&mut self, m: &Message, keys: &Keys) {
        let (payload, signature, key) = match m.body() {
            Body::Proposal(p) => {
                let Some(s) = p.signed() else { return };
                (
                    proposal_signing_payload(context(), s.proposer, m.id()),
                    s.signature,
                    &keys.proposers[s.proposer.0 as usize],
                )
            }
            Body::Signed(s) => (
                signing_payload(context(), m.id()).to_vec(),
                *s.signature(),
                &keys.acceptors[s.signer().index()],
            ),
        };
        self.payloads.push(payload);
        self.signatures
            .push(ed25519_dalek::Signature::from_bytes(&signature.0));
        self.keys.push(*key);
    }

    /// Number of signatures.
    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    /// Whether the batch holds no signature.
    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty()
    }

    /// Verifies every signature at once (`ed25519_dalek::verify_batch`).
    pub fn verify(&self) -> Result<(), ed25519_dalek::SignatureError> {
        let payloads: Vec<&[u8]> = self.payloads.iter().map(Vec::as_slice).collect();
        ed25519_dalek::verify_batch(&payloads, &self.signatures, &self.keys)
    }
}

/// One equivocating acceptor of a homogeneous cluster of 4 (acceptor 3)
/// with `k` forks: the store before the merge, the merge, and the messages
/// after it (see [`fork_flood`]).
#[derive(Clone, Debug)]
pub struct ForkFlood {
    /// What precedes the merge: a 1a, `k` lower 1as with one fork of
    /// acceptor 3 each, and the 1bs of acceptors 0, 1 and 2.
    pub before: Vec<Message>,
    /// Acceptor 1's message referencing all `k` forks.
    pub merge: Message,
    /// Honest messages after the merge, inheriting its `k`-wide frontier.
    pub after: Vec<Message>,
}

/// The fork flood of `k` forks followed by `after` honest messages:
/// acceptor 3 sends `k` pairwise incomparable messages (each referencing
/// the highest 1a and a 1a of its own, so all have one sequence number),
/// acceptor 1 sends one message referencing all of them, and acceptors 0,
/// 1 and 2 then take turns, each referencing the previous message and its
/// own last one. With `signed`, signatures are real (Ed25519 with the
/// simulator's keys, 1as signed by proposer 0); otherwise abstracted to
/// the signer (`AbstractSigner`, unsigned 1as), for the store alone.
pub fn fork_flood(k: usize, after: usize, signed: bool) -> ForkFlood {
    let signers: Vec<Box<dyn Signer>> = (0..4)
        .map(|i| -> Box<dyn Signer> {
            if signed {
                Box::new(Ed25519Signer::new(acceptor(i), test_key(i), context()))
            } else {
                Box::new(AbstractSigner(acceptor(i)))
            }
        })
        .collect();
    let proposer = Ed25519ProposalSigner::new(ProposerId(0), test_proposer_key(0), context());
    let proposal = |timestamp: u64, value: &'static [u8]| {
        if signed {
            Message::signed_proposal(timestamp, value, &proposer)
        } else {
            Message::proposal(timestamp, value)
        }
    };
    let sign = |i: usize, refs: &[&Message]| {
        Unsigned::new(acceptor(i), refs.iter().map(|m| m.id())).sign(signers[i].as_ref())
    };
    let p = proposal(1 << 40, b"v");
    let mut before = vec![p.clone()];
    let mut forks = Vec::with_capacity(k);
    for i in 0..k {
        let low = proposal(i as u64 + 1, b"low");
        let f = sign(3, &[&p, &low]);
        before.push(low);
        before.push(f.clone());
        forks.push(f);
    }
    let b0 = sign(0, &[&p]);
    let b1 = sign(1, &[&p]);
    let b2 = sign(2, &[&p]);
    before.extend([b0.clone(), b1.clone(), b2.clone()]);
    let mut refs: Vec<&Message> = vec![&b1, &b2];
    refs.extend(forks.iter());
    let merge = sign(1, &refs);
    let mut later = Vec::with_capacity(after);
    let mut prev = merge.clone();
    let mut last = [b0, merge.clone(), b2];
    for j in 0..after {
        let s = j % 3;
        let m = sign(s, &[&prev, &last[s]]);
        last[s] = m.clone();
        prev = m.clone();
        later.push(m);
    }
    ForkFlood {
        before,
        merge,
        after: later,
    }
}
