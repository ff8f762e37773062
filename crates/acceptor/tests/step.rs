//! The acceptor's receive step (TR Fig. 3), input by input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Effect, Input, LogPosition, Record};
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

/// Own messages among the records the step asks to persist.
fn own(a: &Acceptor, effects: &[Effect]) -> Vec<Message> {
    common::own(a.id(), effects)
}

fn sends(effects: &[Effect]) -> Vec<Message> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// A 1a is held until the clock input passes its timestamp (and logged as
/// held), and the wake-up time is exposed for the runtime's timer.
#[test]
fn future_1a_is_held_until_the_clock_passes_it() {
    let mut a = acceptor(0, AcceptorLimits::default());
    let p = Message::proposal(1_000, &b"v"[..]);
    let e = a.handle(Input::Tick { now: 10 });
    assert!(e.is_empty());
    assert_eq!(
        a.handle(Input::Receive(p.clone())),
        vec![Effect::Persist {
            records: vec![Record::Held(p.clone())],
            up_to: LogPosition(1)
        }]
    );
    assert_eq!(a.next_wakeup(), Some(1_000));
    // The same 1a again is not logged twice.
    assert!(a.handle(Input::Receive(p.clone())).is_empty());
    assert!(a.handle(Input::Tick { now: 999 }).is_empty());
    let e = a.handle(Input::Tick { now: 1_000 });
    assert_eq!(e.first(), Some(&Effect::Relay(p.clone())), "relay first");
    let signed = own(&a, &e);
    assert_eq!(signed.len(), 1);
    assert_eq!(a.store().facts(&signed[0].id()).unwrap().kind(), Kind::OneB);
    assert_eq!(a.next_wakeup(), None);
}

/// An own message is never sent before the runtime reports its record
/// durable: it waits in the outbox, and is not replayed to peers either.
#[test]
fn own_messages_wait_for_persisted() {
    let mut a = acceptor(0, AcceptorLimits::default());
    a.handle(Input::Tick { now: u64::MAX });
    let p = Message::proposal(5, &b"v"[..]);
    let e = a.handle(Input::Receive(p.clone()));
    let m = own(&a, &e).pop().expect("a 1b");
    assert_eq!(
        e,
        vec![
            Effect::Relay(p.clone()),
            Effect::Persist {
                records: vec![Record::Accepted(p.clone()), Record::Accepted(m.clone())],
                up_to: LogPosition(2)
            }
        ]
    );
    assert_eq!(a.awaiting_persist(), Some(LogPosition(2)));
    assert!(!a.sendable().any(|x| x.id() == m.id()));
    assert!(a.sendable().any(|x| x.id() == p.id()));
    // Durable up to the 1a only: the 1b still waits.
    assert!(
        a.handle(Input::Persisted {
            up_to: LogPosition(1)
        })
        .is_empty()
    );
    assert_eq!(a.outbox_len(), 1);
    assert_eq!(
        a.handle(Input::Persisted {
            up_to: LogPosition(2)
        }),
        vec![Effect::Send(m.clone())]
    );
    assert_eq!(a.awaiting_persist(), None);
    assert!(a.sendable().any(|x| x.id() == m.id()));
    // Sent once only.
    assert!(
        a.handle(Input::Persisted {
            up_to: LogPosition(2)
        })
        .is_empty()
    );
}

/// A durable position beyond what was handed out is clamped: it cannot
/// release a message whose record comes later.
#[test]
fn persisted_beyond_the_log_end_is_clamped() {
    let mut a = acceptor(0, AcceptorLimits::default());
    a.handle(Input::Tick { now: u64::MAX });
    a.handle(Input::Persisted {
        up_to: LogPosition(100),
    });
    assert_eq!(a.durable(), LogPosition(0));
    let e = a.handle(Input::Receive(Message::proposal(5, &b"v"[..])));
    assert_eq!(own(&a, &e).len(), 1);
    assert!(sends(&e).is_empty());
    assert_eq!(a.outbox_len(), 1);
}

/// A stale 1a (below the highest ballot already known) is accepted, logged
/// and relayed, but produces no message and is not referenced later (D11).
#[test]
fn stale_1a_is_relayed_but_not_referenced() {
    let mut a = acceptor(0, AcceptorLimits::default());
    a.handle(Input::Tick { now: u64::MAX });
    let high = Message::proposal(20, &b"high"[..]);
    let low = Message::proposal(10, &b"low"[..]);
    a.handle(Input::Receive(high.clone()));
    let e = a.handle(Input::Receive(low.clone()));
    assert_eq!(
        e,
        vec![
            Effect::Relay(low.clone()),
            Effect::Persist {
                records: vec![Record::Accepted(low.clone())],
                up_to: LogPosition(3)
            }
        ]
    );
    // The next own message (a 2a, after two other acceptors' 1bs complete a
    // quorum) does not reference it.
    let mut signed = Vec::new();
    for i in 1..=2 {
        let b = AcceptorId::new(i).unwrap();
        let other = Unsigned::new(b, [high.id()]).sign(&AbstractSigner(b));
        let e = a.handle(Input::Receive(other));
        signed.extend(own(&a, &e));
    }
    assert!(!signed.is_empty());
    for m in signed {
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

/// The bytes of held 1as are bounded too (values count): large values
/// keep fewer 1as, the nearest ones; delivering them frees their bytes.
#[test]
fn future_buffer_is_bounded_in_bytes() {
    let value = vec![7u8; 100_000];
    let one = Message::proposal(0, value.clone()).approx_bytes();
    let limits = AcceptorLimits {
        max_future_bytes: 5 * one,
        ..AcceptorLimits::default()
    };
    let mut a = acceptor(0, limits);
    for t in (100..120).rev() {
        a.handle(Input::Receive(Message::proposal(t, value.clone())));
    }
    assert_eq!(a.future_proposals(), 5);
    assert_eq!(a.next_wakeup(), Some(100));
    a.handle(Input::Tick { now: 104 });
    assert_eq!(a.future_proposals(), 0);
    for t in 200..205 {
        a.handle(Input::Receive(Message::proposal(t, value.clone())));
    }
    assert_eq!(a.future_proposals(), 5, "delivered 1as freed their bytes");
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
    assert!(e.contains(&Effect::Relay(p)));
    assert!(e.contains(&Effect::Relay(onebee)));
    assert!(a.pending().is_empty());
}

/// A validly signed message of this acceptor that it never logged halts it
/// for good; the same message signed by another acceptor does not.
#[test]
fn a_foreign_own_message_halts_the_acceptor() {
    let p = Message::proposal(5, &b"v"[..]);
    let a0 = AcceptorId::new(0).unwrap();
    let a1 = AcceptorId::new(1).unwrap();
    // Control: another acceptor's 1b is accepted, and this one answers.
    let mut control = acceptor(0, AcceptorLimits::default());
    control.handle(Input::Tick { now: u64::MAX });
    control.handle(Input::Receive(p.clone()));
    let theirs = Unsigned::new(a1, [p.id()]).sign(&AbstractSigner(a1));
    control.handle(Input::Receive(theirs));
    assert!(control.halted().is_none());

    let mut a = acceptor(0, AcceptorLimits::default());
    a.handle(Input::Tick { now: u64::MAX });
    // Signed with its key elsewhere; it never signed (nor saw) it.
    let mine_elsewhere = Unsigned::new(a0, [p.id()]).sign(&AbstractSigner(a0));
    assert!(a.last_own().is_none());
    let e = a.handle(Input::Receive(mine_elsewhere.clone()));
    assert!(
        matches!(e.as_slice(), [Effect::Halted(hetpaxos_acceptor::Halt::ForeignOwnMessage { id })] if *id == mine_elsewhere.id()),
        "{e:?}"
    );
    assert!(a.halted().is_some());
    // Halted for good: nothing more, not even the release of its outbox.
    assert!(
        a.handle(Input::Receive(Message::proposal(9, &b"w"[..])))
            .is_empty()
    );
    assert!(a.handle(Input::Persisted { up_to: a.log_end() }).is_empty());
}

/// One proposer raises the ballot at most once per interval (by ballot
/// timestamps): a 1a of the same proposer sooner than that is accepted and
/// relayed, but not joined (no 1b); one of another proposer is joined; and
/// one of the first proposer past the interval is joined again.
#[test]
fn one_proposer_raises_the_ballot_at_most_once_per_interval() {
    use hetpaxos_messages::{AbstractProposalSigner, ProposerId};
    let limits = AcceptorLimits {
        min_proposal_interval: 100,
        ..AcceptorLimits::default()
    };
    let mut a = acceptor(0, limits);
    a.handle(Input::Tick { now: u64::MAX });
    let (p0, p1) = (
        AbstractProposalSigner(ProposerId(0)),
        AbstractProposalSigner(ProposerId(1)),
    );
    let mut joined = |m: Message| {
        let e = a.handle(Input::Receive(m.clone()));
        assert!(
            e.contains(&Effect::Relay(m.clone())),
            "accepted and relayed"
        );
        !own(&a, &e).is_empty()
    };
    assert!(joined(Message::signed_proposal(1_000, &b"v"[..], &p0)));
    assert!(
        !joined(Message::signed_proposal(1_050, &b"v"[..], &p0)),
        "too soon"
    );
    assert!(
        joined(Message::signed_proposal(1_060, &b"w"[..], &p1)),
        "another proposer"
    );
    assert!(
        !joined(Message::signed_proposal(1_099, &b"v"[..], &p0)),
        "still too soon"
    );
    assert!(
        joined(Message::signed_proposal(1_100, &b"v"[..], &p0)),
        "a full interval later"
    );
}
