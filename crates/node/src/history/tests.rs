//! Catch-up by difference between two histories, over one simulated
//! stream: what each end holds is random (down-closed, accepted in a random
//! causal order), with forks and 1as whose order differs between the ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use hetpaxos_messages::{AbstractProposalSigner, AbstractSigner, ProposerId, Unsigned};
use hetpaxos_quorums::AcceptorId;
use proptest::prelude::*;
use std::collections::{BTreeSet, HashSet};

const ACCEPTORS: usize = 3;
const PROPOSERS: usize = 2;

/// A small deterministic generator (the test draws only seeds).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A random DAG in causal order: 1as of two proposers, and acceptor
/// messages that reference their signer's previous message (acceptor 2
/// forks when `forks`) and random earlier ones.
fn universe(rng: &mut Rng, size: usize, forks: bool) -> Vec<Message> {
    let mut all: Vec<Message> = Vec::new();
    let mut last: Vec<Vec<MessageId>> = vec![Vec::new(); ACCEPTORS];
    for t in 0..size {
        if all.is_empty() || rng.below(5) == 0 {
            let p = ProposerId(u32::try_from(rng.below(PROPOSERS)).unwrap());
            let m = Message::signed_proposal(t as u64 + 1, vec![1], &AbstractProposalSigner(p));
            all.push(m);
            continue;
        }
        let a = rng.below(ACCEPTORS);
        let mut refs = BTreeSet::new();
        let tips = &last[a];
        if !tips.is_empty() {
            let fork = forks && a == 2 && tips.len() < 4 && rng.below(3) == 0;
            if !fork {
                refs.insert(tips[rng.below(tips.len())]);
            }
        }
        for _ in 0..2 {
            refs.insert(all[rng.below(all.len())].id());
        }
        let signer = AcceptorId::new(a).unwrap();
        let m = Unsigned::new(signer, refs.iter().copied()).sign(&AbstractSigner(signer));
        // The new message's signer-tips: it replaces the tip it extends.
        let tips = &mut last[a];
        tips.retain(|t| !refs.contains(t));
        tips.push(m.id());
        all.push(m);
    }
    all
}

/// One end: its history and what it holds, accepting only messages whose
/// references it holds (others wait, as in `Pending`).
struct End {
    history: History,
    held: HashSet<MessageId>,
    waiting: Vec<Message>,
}

impl End {
    fn new() -> Self {
        Self {
            history: History::new(ACCEPTORS, PROPOSERS),
            held: HashSet::new(),
            waiting: Vec::new(),
        }
    }

    fn receive(&mut self, m: Message) {
        self.waiting.push(m);
        loop {
            let ready = self
                .waiting
                .iter()
                .position(|m| m.refs().iter().all(|r| self.held.contains(r)));
            let Some(i) = ready else { return };
            let m = self.waiting.swap_remove(i);
            if self.held.insert(m.id()) {
                self.history.extend([&m]);
            }
        }
    }
}

/// A random down-closed subset of `all`, received in a random order.
fn random_end(rng: &mut Rng, all: &[Message]) -> End {
    let mut end = End::new();
    let keep = rng.below(all.len() + 1);
    let mut chosen: HashSet<MessageId> = HashSet::new();
    // Keep the closure of `keep` random picks.
    let index: HashMap<MessageId, &Message> = all.iter().map(|m| (m.id(), m)).collect();
    for _ in 0..keep {
        let mut stack = vec![all[rng.below(all.len())].id()];
        while let Some(id) = stack.pop() {
            if chosen.insert(id) {
                stack.extend(index[&id].refs().iter().copied());
            }
        }
    }
    let mut order: Vec<Message> = all
        .iter()
        .filter(|m| chosen.contains(&m.id()))
        .cloned()
        .collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    for m in order {
        end.receive(m);
    }
    end
}

/// One direction of a stream: `from` summarises for `to`, which (serving)
/// plans the difference and sends it; see `Writer::next`. Returns whether
/// anything happened.
fn half(
    from: &mut End,
    to: &End,
    x_from: &mut Exchange,
    x_to: &mut Exchange,
    sent: &mut Vec<MessageId>,
) -> bool {
    let mut busy = false;
    let (have, len) = from.history.summary();
    if x_from.summary_due(len) {
        busy = true;
        x_from.summarised(len);
        x_to.on_have(&have, &to.history, true);
    }
    loop {
        let (batch, more) = x_to.next_batch(&to.history, 3, Instant::now(), Duration::ZERO);
        busy |= !batch.is_empty();
        for m in batch {
            sent.push(m.id());
            from.receive(m);
        }
        if more.is_none() {
            break;
        }
    }
    busy
}

/// Runs summaries and differences both ways until neither end has anything
/// to say. Returns the messages sent to A and to B, in order.
fn exchange(a: &mut End, b: &mut End) -> (Vec<MessageId>, Vec<MessageId>) {
    let (mut xa, mut xb) = (Exchange::default(), Exchange::default());
    let (mut to_a, mut to_b) = (Vec::new(), Vec::new());
    for _ in 0..1000 {
        let busy_a = half(a, b, &mut xa, &mut xb, &mut to_a);
        let busy_b = half(b, a, &mut xb, &mut xa, &mut to_b);
        if !busy_a && !busy_b {
            return (to_a, to_b);
        }
    }
    panic!("the exchange never went quiet");
}

fn check(seed: u64, size: usize, forks: bool) {
    let mut rng = Rng(seed | 1);
    let all = universe(&mut rng, size, forks);
    let mut a = random_end(&mut rng, &all);
    let mut b = random_end(&mut rng, &all);
    let (held_a, held_b) = (a.held.clone(), b.held.clone());
    let (to_a, to_b) = exchange(&mut a, &mut b);
    let union: HashSet<MessageId> = held_a.union(&held_b).copied().collect();
    assert_eq!(a.held, union, "A lacks something B held");
    assert_eq!(b.held, union, "B lacks something A held");
    assert!(a.waiting.is_empty() && b.waiting.is_empty());
    for (sent, receiver_had) in [(&to_a, &held_a), (&to_b, &held_b)] {
        if !forks {
            let distinct: HashSet<_> = sent.iter().collect();
            assert_eq!(
                distinct.len(),
                sent.len(),
                "a message was sent twice on one stream"
            );
            // Honest chains and 1as: never sent what the receiver held,
            // except 1as (their order may differ between the ends).
            let needless = sent
                .iter()
                .filter(|id| receiver_had.contains(*id))
                .filter(|id| a.history.get(id).is_some_and(|m| m.signer().is_some()))
                .count();
            assert_eq!(needless, 0, "sent an acceptor's message the receiver held");
        } else {
            // An origin is sent whole again at most once per stream.
            let mut times: HashMap<MessageId, usize> = HashMap::new();
            for id in sent {
                *times.entry(*id).or_default() += 1;
            }
            assert!(
                times.values().all(|&t| t <= 2),
                "a message was sent three times"
            );
        }
    }
}

proptest! {
    #[test]
    fn both_ends_end_up_with_the_union(seed in any::<u64>(), size in 1usize..60) {
        check(seed, size, false);
    }

    #[test]
    fn forks_are_exchanged_too(seed in any::<u64>(), size in 1usize..60) {
        check(seed, size, true);
    }
}

#[test]
fn a_peer_holding_a_prefix_gets_exactly_the_rest() {
    let mut rng = Rng(7);
    let all = universe(&mut rng, 40, false);
    let mut a = End::new();
    let mut b = End::new();
    for m in &all {
        a.receive(m.clone());
    }
    for m in &all[..10] {
        b.receive(m.clone());
    }
    let (_, to_b) = exchange(&mut a, &mut b);
    let expected: Vec<MessageId> = all[10..].iter().map(Message::id).collect();
    assert_eq!(to_b, expected);
}

/// Four ends, each holding a random down-closed part of one DAG (with
/// forks), exchange over six links that break at random (a lost message
/// ends its stream; the next stream starts afresh, as a reconnect does).
/// Once links stop breaking, every end holds the union: what one end held,
/// every end receives.
fn lossy(seed: u64) {
    let mut rng = Rng(seed | 1);
    let all = universe(&mut rng, 50, true);
    let mut ends: Vec<End> = (0..4).map(|_| random_end(&mut rng, &all)).collect();
    let union: HashSet<MessageId> = ends.iter().flat_map(|e| e.held.iter().copied()).collect();
    let pairs: Vec<(usize, usize)> = (0..4)
        .flat_map(|i| (i + 1..4).map(move |j| (i, j)))
        .collect();
    let mut links: Vec<(Exchange, Exchange)> = pairs.iter().map(|_| Default::default()).collect();
    let mut broken = 0;
    for step in 0..4000 {
        let lossy = step < 2000;
        let k = rng.below(pairs.len());
        let (i, j) = pairs[k];
        let (from, to) = if rng.below(2) == 0 { (i, j) } else { (j, i) };
        let (x_i, x_j) = &mut links[k];
        let (x_from, x_to) = if from == i { (x_i, x_j) } else { (x_j, x_i) };
        let (have, len) = ends[from].history.summary();
        if x_from.summary_due(len) {
            x_from.summarised(len);
            x_to.on_have(&have, &ends[to].history, true);
        }
        let (batch, _) = x_to.next_batch(&ends[to].history, 4, Instant::now(), Duration::ZERO);
        let mut lost = false;
        for m in batch {
            if lossy && rng.below(10) == 0 {
                lost = true;
                break;
            }
            ends[from].receive(m);
        }
        if lost {
            broken += 1;
            links[k] = Default::default();
        }
    }
    assert!(
        broken > 0,
        "no link broke: the test exercised nothing lossy"
    );
    for (n, e) in ends.iter().enumerate() {
        assert_eq!(e.held, union, "end {n} lacks something another end held");
    }
}

proptest! {
    #[test]
    fn a_lossy_mesh_converges(seed in any::<u64>()) {
        lossy(seed);
    }
}

/// Messages held for less than the grace period are not sent by difference
/// yet (they are most likely on their way from their signer); the answer
/// says when they will be, and then they are, without a new summary.
#[test]
fn young_messages_wait_for_the_grace_period() {
    let mut rng = Rng(11);
    let all = universe(&mut rng, 10, false);
    let mut a = End::new();
    for m in &all {
        a.receive(m.clone());
    }
    let b = End::new();
    let mut x = Exchange::default();
    let (have, _) = b.history.summary();
    x.on_have(&have, &a.history, true);
    let now = Instant::now();
    let grace = Duration::from_secs(3600);
    let (batch, more) = x.next_batch(&a.history, 100, now, grace);
    assert!(batch.is_empty(), "sent a message younger than the grace");
    let ready = more.expect("the planned difference was forgotten");
    assert!(ready > now);
    // (Later messages were added a little later: allow a second.)
    let (batch, _) = x.next_batch(&a.history, 100, ready + Duration::from_secs(1), grace);
    assert_eq!(batch.len(), all.len());
}
