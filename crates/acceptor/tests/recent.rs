//! `recent` stays bounded whatever peers send ("Bounded `recent`" in the
//! crate documentation): long chains and equivocations of a Byzantine
//! acceptor neither grow it nor the acceptor's own messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Effect, Input, MAX_FORKED_IN_RECENT};
use hetpaxos_messages::{AbstractSignatures, AbstractSigner, Kind, Message, Unsigned};
use hetpaxos_quorums::{AcceptorId, examples};
use std::sync::Arc;

const N: usize = 4;

fn acc(i: usize) -> AcceptorId {
    AcceptorId::new(i).unwrap()
}

fn acceptor() -> Acceptor {
    let graph = Arc::new(examples::homogeneous(N, 1).unwrap());
    let mut a = Acceptor::new(
        graph,
        Arc::new(AbstractSigner(acc(0))),
        Arc::new(AbstractSignatures { acceptors: N }),
        AcceptorLimits::default(),
    );
    a.handle(Input::Tick { now: u64::MAX });
    a
}

fn signed(i: usize, refs: &[&Message]) -> Message {
    Unsigned::new(acc(i), refs.iter().map(|m| m.id())).sign(&AbstractSigner(acc(i)))
}

/// Acceptor 0's messages among the records the step asks to persist.
fn own(effects: &[Effect]) -> Vec<Message> {
    common::own(acc(0), effects)
}

/// `recent` is an antichain: no member is in another member's `Tran`.
fn assert_antichain(a: &Acceptor) {
    for x in a.recent() {
        let fx = a.store().facts(x).unwrap();
        for y in a.recent() {
            assert!(x == y || !fx.has_in_history(*y), "{y} is below {x}");
        }
    }
}

/// Acceptor 0 and the others' 1bs for one ballot, ending with acceptor 0's
/// own 2a: returns the 1a and the others' 1bs.
fn ballot_done(a: &mut Acceptor) -> (Message, Vec<Message>) {
    let p = Message::proposal(10, &b"v"[..]);
    let mut mine = own(&a.handle(Input::Receive(p.clone())));
    let others: Vec<Message> = (1..N).map(|i| signed(i, &[&p])).collect();
    for m in &others {
        mine.extend(own(&a.handle(Input::Receive(m.clone()))));
    }
    let kinds: Vec<Kind> = mine
        .iter()
        .map(|m| a.store().facts(&m.id()).unwrap().kind())
        .collect();
    assert_eq!(kinds.first(), Some(&Kind::OneB));
    assert!(matches!(kinds.last(), Some(Kind::TwoA(_))), "{kinds:?}");
    (p, others)
}

/// A Byzantine acceptor's chain of 200 2as, each referencing only its
/// predecessor, leaves one entry of it in `recent`, and the acceptor's next
/// message (a 1b for a new ballot) stays small and is still a 1b.
#[test]
fn a_long_chain_leaves_one_entry() {
    let mut a = acceptor();
    let (_, others) = ballot_done(&mut a);
    let mut head = others[2].clone();
    for _ in 0..200 {
        head = signed(3, &[&head, &others[0], &others[1]]);
        let e = a.handle(Input::Receive(head.clone()));
        assert!(own(&e).is_empty(), "a redundant 2a was emitted");
        assert!(matches!(
            a.store().facts(&head.id()).unwrap().kind(),
            Kind::TwoA(_)
        ));
        assert!(a.recent().len() <= 1 + 2 * N, "{}", a.recent().len());
        assert_antichain(&a);
    }
    assert!(a.recent().contains(&head.id()));
    let next = Message::proposal(20, &b"w"[..]);
    let mine = own(&a.handle(Input::Receive(next.clone())));
    assert_eq!(mine.len(), 1);
    let facts = a.store().facts(&mine[0].id()).unwrap();
    assert_eq!(facts.kind(), Kind::OneB);
    assert!(facts.has_in_history(head.id()));
    assert!(mine[0].refs().len() <= 1 + 2 * N, "{:?}", mine[0].refs());
}

/// 50 forks of one Byzantine acceptor (1bs with one sequence number) leave
/// at most [`MAX_FORKED_IN_RECENT`] of them in `recent`; the others are
/// accepted (and relayed) all the same, and the proof of the fork is kept.
#[test]
fn forks_beyond_the_proof_stay_out_of_recent() {
    let mut a = acceptor();
    let high = Message::proposal(1_000, &b"v"[..]);
    a.handle(Input::Receive(high.clone()));
    let mut relayed = 0;
    for i in 0..50u64 {
        let low = Message::proposal(i + 1, &b"low"[..]);
        a.handle(Input::Receive(low.clone()));
        let fork = signed(3, &[&high, &low]);
        let e = a.handle(Input::Receive(fork.clone()));
        relayed += e
            .iter()
            .filter(|e| **e == Effect::Relay(fork.clone()))
            .count();
        assert!(a.store().contains(&fork.id()));
        assert!(a.recent().len() <= 1 + 2 * N, "{}", a.recent().len());
        assert_antichain(&a);
    }
    assert_eq!(relayed, 50);
    assert!(a.store().is_forked(acc(3)));
    let of_3 = a
        .recent()
        .iter()
        .filter(|r| a.store().get(r).unwrap().signer() == Some(acc(3)))
        .count();
    assert_eq!(of_3, MAX_FORKED_IN_RECENT);
    // The acceptor's next message carries the proof: acceptor 3 is caught.
    let others: Vec<Message> = (1..3).map(|i| signed(i, &[&high])).collect();
    let mut mine = Vec::new();
    for m in others {
        mine.extend(own(&a.handle(Input::Receive(m))));
    }
    let last = mine.last().expect("acceptor 0 sent a 2a");
    assert!(
        a.store()
            .facts(&last.id())
            .unwrap()
            .caught()
            .contains(acc(3))
    );
    assert!(last.refs().len() <= 1 + 2 * N);
}
