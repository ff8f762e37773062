//! Scenario tests over the pure state machines, driven by the in-memory
//! network of `hetpaxos-sim`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_messages::{Message, Unsigned};
use hetpaxos_proposer::ProposerConfig;
use hetpaxos_quorums::{AcceptorId, LearnerId, examples};
use hetpaxos_sim::{Node, Order, Sim};
use std::collections::BTreeSet;
use std::sync::Arc;

fn acc(i: usize) -> AcceptorId {
    AcceptorId::new(i).unwrap()
}

fn lrn(i: usize) -> LearnerId {
    LearnerId::new(i).unwrap()
}

fn decided_values(sim: &Sim) -> BTreeSet<Vec<u8>> {
    sim.decisions
        .iter()
        .map(|(d, _)| d.value.to_vec())
        .collect()
}

/// Homogeneous n = 4, f = 1: the best case decides after three message
/// delays (1a → 1b → 2a → learner), and no own message is sent unpersisted.
#[test]
fn homogeneous_decides_in_three_message_delays() {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let mut sim = Sim::new(graph, Order::Rounds, 1);
    let p = sim.add_proposer(b"hello", ProposerConfig::default());
    sim.start(p);
    sim.run(10_000);
    assert_eq!(
        sim.decisions.len(),
        1,
        "exactly one decision: {:?}",
        sim.decisions
    );
    let (d, hops) = &sim.decisions[0];
    assert_eq!(d.learner, lrn(0));
    assert_eq!(&d.value[..], b"hello");
    assert_eq!(*hops, 3, "decided after {hops} message delays");
    assert!(d.caught.is_empty());
    for s in &sim.slots {
        assert!(
            !s.sent_unpersisted,
            "an own message was sent before it was persisted"
        );
        assert!(!s.sent.is_empty());
    }
    assert!(sim.rejections.is_empty(), "{:?}", sim.rejections);
    assert!(sim.caught.is_empty() && sim.conflicts.is_empty());
}

/// Emission is bounded: after a decision the cluster goes quiet (no endless
/// stream of redundant 2as), with at most one 1b and L 2as per acceptor per ballot.
#[test]
fn emission_is_bounded() {
    let graph = Arc::new(examples::homogeneous(4, 2).unwrap());
    let mut sim = Sim::new(graph, Order::Random, 7);
    let p = sim.add_proposer(b"v", ProposerConfig::default());
    sim.start(p);
    let delivered = sim.run(1_000_000);
    assert!(delivered < 1_000_000, "the network never went quiet");
    assert_eq!(sim.in_flight(), 0);
    for s in &sim.slots {
        // One ballot: one 1b and at most one 2a per learner.
        assert!(s.sent.len() <= 3, "acceptor sent {} messages", s.sent.len());
    }
    assert_eq!(sim.decisions.len(), 2);
}

/// One of four acceptors crashed from the start: the other three still decide.
#[test]
fn one_of_four_crashed_still_decides() {
    for crashed in 0..4 {
        let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
        let mut sim = Sim::new(graph, Order::Random, crashed as u64);
        sim.crash(crashed);
        let p = sim.add_proposer(b"x", ProposerConfig::default());
        sim.start(p);
        sim.run(100_000);
        assert_eq!(decided_values(&sim), BTreeSet::from([b"x".to_vec()]));
    }
}

/// Two of four acceptors crashed: no quorum of live acceptors, no decision.
#[test]
fn two_of_four_crashed_does_not_decide() {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let mut sim = Sim::new(graph, Order::Random, 3);
    sim.crash(0);
    sim.crash(2);
    let p = sim.add_proposer(b"x", ProposerConfig::default());
    sim.start(p);
    sim.run(20_000);
    assert!(sim.decisions.is_empty());
}

/// An equivocating acceptor (twins signing as D, each fed a different 1a) is
/// caught by every honest acceptor and by the learner; agreement still holds.
#[test]
fn equivocating_acceptor_is_caught_and_agreement_holds() {
    let graph = Arc::new(examples::homogeneous(4, 2).unwrap());
    let mut sim = Sim::new(graph, Order::Random, 11);
    let twin = sim.add_slot(acc(3)); // slots 3 and 4 both sign as D
    let p1 = sim.add_proposer(b"one", ProposerConfig::default());
    let p2 = sim.add_proposer(b"two", ProposerConfig::default());
    let (v1, v2) = (b"one".to_vec(), b"two".to_vec());
    // Each twin sees only one proposer's 1as until both have sent a 1b.
    sim.set_drop_rule(Box::new(move |to, m: &Message| {
        match (to, m.as_proposal()) {
            (Node::Acceptor(3), Some(p)) => p.value().as_ref() == v2.as_slice(),
            (Node::Acceptor(s), Some(p)) if s == twin => p.value().as_ref() == v1.as_slice(),
            _ => false,
        }
    }));
    sim.start(p1);
    sim.start(p2);
    sim.run(200_000);
    // A later ballot makes every honest acceptor reference what it received
    // since its last message, the twins' conflicting messages included.
    let p3 = sim.add_proposer(b"three", ProposerConfig::default());
    sim.start(p3);
    sim.run(200_000);
    let d = acc(3);
    for (i, s) in sim.slots.iter().enumerate().take(3) {
        let store = s.acceptor.store();
        let last = store.facts(&s.acceptor.last_own().unwrap()).unwrap();
        assert!(
            last.caught().contains(d),
            "honest acceptor {i}'s last message does not catch D"
        );
        assert!(
            !last.caught().contains(acc(i)),
            "honest acceptor {i} caught"
        );
    }
    let learner_caught = sim
        .learner
        .store()
        .messages()
        .filter_map(|m| sim.learner.store().facts(&m.id()))
        .any(|f| f.caught().contains(d));
    assert!(learner_caught, "the learner never caught D");
    assert_eq!(sim.caught, vec![d], "the learner reports D caught, once");
    assert!(sim.conflicts.is_empty());
    assert!(!sim.decisions.is_empty(), "no decision");
    assert_eq!(
        decided_values(&sim).len(),
        1,
        "disagreement: {:?}",
        sim.decisions
    );
}

/// Digest §8 Config 2 (red/blue): both learners decide the same value, also
/// with D (trusted by red only) crashed.
#[test]
fn red_blue_decide_the_same_value() {
    for crash_d in [false, true] {
        let graph = Arc::new(examples::red_blue().unwrap());
        let mut sim = Sim::new(graph, Order::Random, 5);
        if crash_d {
            sim.crash(3);
        }
        let p = sim.add_proposer(b"purple", ProposerConfig::default());
        sim.start(p);
        sim.run(100_000);
        let learners: BTreeSet<_> = sim.decisions.iter().map(|(d, _)| d.learner).collect();
        assert_eq!(
            learners,
            BTreeSet::from([lrn(0), lrn(1)]),
            "crash_d={crash_d}"
        );
        assert_eq!(decided_values(&sim), BTreeSet::from([b"purple".to_vec()]));
    }
}

/// Two proposers with different values never yield two decided values, over
/// many random delivery orders (and red/blue too).
#[test]
fn two_proposers_never_yield_two_decisions() {
    for seed in 0..40 {
        let graph = Arc::new(if seed % 2 == 0 {
            examples::homogeneous(4, 2).unwrap()
        } else {
            examples::red_blue().unwrap()
        });
        let mut sim = Sim::new(graph, Order::Random, seed);
        let p1 = sim.add_proposer(b"left", ProposerConfig::default());
        let p2 = sim.add_proposer(b"right", ProposerConfig::default());
        sim.start(p1);
        sim.start(p2);
        sim.run(200_000);
        assert!(!sim.decisions.is_empty(), "seed {seed}: no decision");
        assert_eq!(
            decided_values(&sim).len(),
            1,
            "seed {seed}: {:?}",
            sim.decisions
        );
    }
}

/// A learner decides once, even when more 2as for a decided ballot (and for
/// later ballots) keep arriving.
#[test]
fn a_learner_decides_once() {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let mut sim = Sim::new(graph, Order::Random, 9);
    let p1 = sim.add_proposer(b"a", ProposerConfig::default());
    let p2 = sim.add_proposer(b"b", ProposerConfig::default());
    sim.start(p1);
    sim.run(100_000);
    sim.start(p2);
    sim.run(100_000);
    assert_eq!(sim.decisions.len(), 1, "{:?}", sim.decisions);
    // Replaying every message to the learner changes nothing.
    let all: Vec<Message> = sim.slots[0].acceptor.store().messages().cloned().collect();
    for m in all {
        sim.inject(Node::Learner, m);
    }
    sim.run(100_000);
    assert_eq!(sim.decisions.len(), 1);
}

/// Messages that are unsigned-by-the-right-key, ill-formed, or reference
/// unknown messages are refused with the right reason.
#[test]
fn bad_messages_are_rejected_with_the_right_reason() {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let mut sim = Sim::new(graph, Order::Rounds, 2);
    let p = sim.add_proposer(b"v", ProposerConfig::default());
    sim.start(p);
    sim.run(10_000);
    let one_a = sim.slots[0]
        .acceptor
        .store()
        .messages()
        .find(|m| m.as_proposal().is_some())
        .cloned()
        .unwrap();
    // Wrongly signed: B's content signed with C's key.
    let forged = Unsigned::new(acc(1), [one_a.id()]).sign(&sim.signer(acc(2)));
    sim.inject(Node::Learner, forged);
    // Signed by a signer index outside the cluster.
    let outsider = Unsigned::new(acc(9), [one_a.id()]).sign(&sim.signer(acc(0)));
    sim.inject(Node::Learner, outsider);
    // Well signed but ill-formed: no references, hence no ballot.
    let empty = Unsigned::new(acc(0), []).sign(&sim.signer(acc(0)));
    sim.inject(Node::Learner, empty);
    // 1as: unsigned, and signed as a proposer the cluster does not have
    // (decision D12), to an acceptor.
    sim.inject(Node::Acceptor(0), Message::proposal(99, &b"anyone"[..]));
    let outsider = Message::signed_proposal(98, &b"outsider"[..], &sim.proposal_signer(40));
    sim.inject(Node::Acceptor(0), outsider);
    sim.run(100);
    let reasons: Vec<&str> = sim.rejections.iter().map(|(_, r)| r.as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("invalid signature by acceptor#1")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("acceptor#9 is not an acceptor")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("no 1a in its history")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("unsigned 1a")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("proposer#40 is not a proposer")),
        "{reasons:?}"
    );
}

/// A learner whose trust assumptions fail reports a conflict: B and C
/// equivocate (two of four, beyond what L0 tolerates). First {A, B, C}
/// decide one value while B', C' and D hear nothing; then {B', C', D}, who
/// never see those messages, decide another. The learner decides once, then
/// reports the second quorum, and reports B and C caught. (The honest runs
/// above report neither.)
#[test]
fn a_learner_whose_assumptions_fail_reports_a_conflict() {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let mut sim = Sim::new(graph, Order::Rounds, 1);
    let right: BTreeSet<usize> = [3, sim.add_slot(acc(1)), sim.add_slot(acc(2))].into();
    let left = right.clone();
    sim.set_drop_rule(Box::new(
        move |to, _| matches!(to, Node::Acceptor(s) if left.contains(&s)),
    ));
    let p1 = sim.add_proposer(b"one", ProposerConfig::default());
    sim.start(p1);
    sim.run(100_000);
    assert_eq!(decided_values(&sim), BTreeSet::from([b"one".to_vec()]));
    assert!(sim.conflicts.is_empty(), "nothing conflicts yet");
    let first: std::collections::HashSet<_> =
        sim.learner.store().messages().map(Message::id).collect();
    sim.set_drop_rule(Box::new(move |to, m: &Message| match to {
        Node::Acceptor(s) => !right.contains(&s) || first.contains(&m.id()),
        _ => false,
    }));
    let p2 = sim.add_proposer(b"two", ProposerConfig::default());
    sim.start(p2);
    sim.run(100_000);
    assert_eq!(sim.decisions.len(), 1, "a learner decides once");
    assert_eq!(sim.conflicts.len(), 1, "{:?}", sim.conflicts);
    let (decided, other) = &sim.conflicts[0];
    assert_eq!(&decided.value[..], b"one");
    assert_eq!(&other.value[..], b"two");
    let caught: BTreeSet<_> = sim.caught.iter().copied().collect();
    assert_eq!(caught, BTreeSet::from([acc(1), acc(2)]));
}

/// The benchmarks' honest history runs every ballot in full (a 1a, every
/// acceptor's 1b and 2a), not only the first: each 1a is referenced.
#[test]
fn honest_history_runs_every_ballot() {
    let graph = std::sync::Arc::new(hetpaxos_quorums::examples::homogeneous(4, 1).unwrap());
    let h = hetpaxos_sim::honest_history(graph, 3);
    assert_eq!(h.len(), 3 * (1 + 2 * 4), "{} messages", h.len());
    for p in h.iter().filter(|m| m.as_proposal().is_some()) {
        assert!(
            h.iter().any(|m| m.refs().contains(&p.id())),
            "a 1a nobody joined"
        );
    }
}

/// With acceptor clocks at 0, a proposer started at time 3 has its 1a held
/// by every acceptor until three ticks bring its clock there; then it
/// decides as usual. The control: the same run with clocks far ahead
/// (`Sim::new`) decides without a tick.
#[test]
fn clocks_hold_a_future_1a_until_ticks_reach_it() {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    let mut held = Sim::with_acceptor_clock(graph.clone(), Order::Rounds, 1, 0);
    let mut ahead = Sim::new(graph, Order::Rounds, 1);
    for sim in [&mut held, &mut ahead] {
        let p = sim.add_proposer(b"later", ProposerConfig::default());
        sim.start_at(p, 3, 0);
        assert_eq!(sim.proposer_sent[p].len(), 1, "one 1a at start");
        // Deliver without firing timers (`run` would).
        while sim.step() {}
    }
    assert_eq!(decided_values(&ahead), BTreeSet::from([b"later".to_vec()]));
    assert!(held.decisions.is_empty());
    for s in 0..held.slots.len() {
        assert_eq!(held.slots[s].acceptor.future_proposals(), 1);
        assert!(held.slots[s].sent.is_empty());
    }
    for _ in 0..2 {
        for s in 0..held.slots.len() {
            assert!(held.tick(s));
        }
    }
    while held.step() {}
    assert!(held.decisions.is_empty(), "clocks at 2: still held");
    for s in 0..held.slots.len() {
        assert!(held.tick(s));
    }
    while held.step() {}
    assert_eq!(decided_values(&held), BTreeSet::from([b"later".to_vec()]));
    held.crash(0);
    assert!(!held.tick(0), "a crashed slot does not tick");
}
