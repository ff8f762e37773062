//! The acceptor's receive step (TR Fig. 3), input by input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Effect, Input};
use hetpaxos_messages::{AbstractSignatures, AbstractSigner, Kind, Message, Unsigned};
use hetpaxos_quorums::{AcceptorId, examples};
use std::sync::Arc;

fn acceptor(i: usize, limits: AcceptorLimits) -> Acceptor {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    Acceptor::new(
        graph,
        Arc::new(AbstractSigner(AcceptorId::new(i).unwrap())),
        Arc::new(AbstractSignatures { acceptors: 4 }),
        limits,
    )
}

fn own(effects: &[Effect]) -> Vec<&Message> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Persist(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// A 1a is held until the clock input passes its timestamp, and the wake-up
/// time is exposed for the runtime's timer.
#[test]
fn future_1a_is_held_until_the_clock_passes_it() {
    let mut a = acceptor(0, AcceptorLimits::default());
    let p = Message::proposal(1_000, &b"v"[..]);
    let e = a.handle(Input::Tick { now: 10 });
    assert!(e.is_empty());
    assert!(a.handle(Input::Receive(p.clone())).is_empty());
    assert_eq!(a.next_wakeup(), Some(1_000));
    assert!(a.handle(Input::Tick { now: 999 }).is_empty());
    let e = a.handle(Input::Tick { now: 1_000 });
    assert_eq!(
        e.first(),
        Some(&Effect::Broadcast(p.clone())),
        "relay first"
    );
    let sent = own(&e);
    assert_eq!(sent.len(), 1);
    assert_eq!(a.store().facts(&sent[0].id()).unwrap().kind(), Kind::OneB);
    assert_eq!(a.next_wakeup(), None);
}

/// Every own message is persisted before it is broadcast.
#[test]
fn persist_precedes_broadcast() {
    let mut a = acceptor(0, AcceptorLimits::default());
    a.handle(Input::Tick { now: u64::MAX });
    let e = a.handle(Input::Receive(Message::proposal(5, &b"v"[..])));
    let m = own(&e)[0].clone();
    let persist = e
        .iter()
        .position(|x| *x == Effect::Persist(m.clone()))
        .unwrap();
    let send = e
        .iter()
        .position(|x| *x == Effect::Broadcast(m.clone()))
        .unwrap();
    assert!(persist < send);
}

/// A stale 1a (below the highest ballot already known) is accepted and
/// relayed, but produces no message and is not referenced later (D11).
#[test]
fn stale_1a_is_relayed_but_not_referenced() {
    let mut a = acceptor(0, AcceptorLimits::default());
    a.handle(Input::Tick { now: u64::MAX });
    let high = Message::proposal(20, &b"high"[..]);
    let low = Message::proposal(10, &b"low"[..]);
    a.handle(Input::Receive(high.clone()));
    let e = a.handle(Input::Receive(low.clone()));
    assert_eq!(e, vec![Effect::Broadcast(low.clone())]);
    // The next own message (after another acceptor's 1b) does not reference it.
    let other = Unsigned::new(AcceptorId::new(1).unwrap(), [high.id()])
        .sign(&AbstractSigner(AcceptorId::new(1).unwrap()));
    let e = a.handle(Input::Receive(other));
    for m in own(&e) {
        assert!(!m.refs().contains(&low.id()));
    }
}

/// The 1as held for the future are bounded; the farthest-future one is dropped.
#[test]
fn future_buffer_is_bounded() {
    let limits = AcceptorLimits {
        max_future_proposals: 3,
        ..AcceptorLimits::default()
    };
    let mut a = acceptor(0, limits);
    for t in 100..110 {
        a.handle(Input::Receive(Message::proposal(t, &b"v"[..])));
    }
    assert_eq!(a.future_proposals(), 3);
    assert_eq!(a.next_wakeup(), Some(100));
}

/// A message whose references are unknown waits, and is accepted (and
/// relayed) once they arrive.
#[test]
fn messages_wait_for_their_references() {
    let mut a = acceptor(0, AcceptorLimits::default());
    a.handle(Input::Tick { now: u64::MAX });
    let p = Message::proposal(5, &b"v"[..]);
    let b1 = AcceptorId::new(1).unwrap();
    let onebee = Unsigned::new(b1, [p.id()]).sign(&AbstractSigner(b1));
    assert!(a.handle(Input::Receive(onebee.clone())).is_empty());
    assert_eq!(a.pending().len(), 1);
    let e = a.handle(Input::Receive(p.clone()));
    assert!(e.contains(&Effect::Broadcast(p)));
    assert!(e.contains(&Effect::Broadcast(onebee)));
    assert!(a.pending().is_empty());
}
