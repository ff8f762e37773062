//! The proposer: ballots from the clock input, jittered exponential back-off
//! from the random input, adopting the highest 2a's value (D9), stopping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_messages::{
    AbstractProposalSigner, AbstractSignatures, AbstractSigner, Message, ProposerId, Unsigned,
    ValueHash,
};
use hetpaxos_proposer::{Effect, Input, Proposer, ProposerConfig, StopRule};
use hetpaxos_quorums::{AcceptorId, examples};
use std::sync::Arc;

fn proposer(stop: StopRule) -> Proposer {
    let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
    Proposer::new(
        graph,
        Arc::new(AbstractSignatures { acceptors: 4 }),
        Arc::new(AbstractProposalSigner(ProposerId(3))),
        &b"mine"[..],
        ProposerConfig {
            initial_backoff: 100,
            max_backoff: 1_000,
            stop,
        },
    )
}

fn proposal(effects: &[Effect]) -> Message {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Broadcast(m) => Some(m.clone()),
            _ => None,
        })
        .unwrap()
}

fn timer(effects: &[Effect]) -> u64 {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::SetTimer { at } => Some(*at),
            _ => None,
        })
        .unwrap()
}

/// Ballots are (clock input, hash of the value), strictly increasing even if
/// the clock does not move; back-off doubles up to the cap, with jitter in
/// [backoff/2, backoff).
#[test]
fn ballots_and_backoff() {
    let mut p = proposer(StopRule::Never);
    let e = p.handle(Input::Start { now: 50, random: 0 });
    let b = proposal(&e).as_proposal().unwrap().ballot();
    assert_eq!(b.timestamp, 50);
    assert_eq!(b.value, ValueHash::of(b"mine"));
    assert_eq!(timer(&e), 50 + 50);
    let mut last = 50;
    for (i, expected_backoff) in [200u64, 400, 800, 1_000, 1_000].into_iter().enumerate() {
        let e = p.handle(Input::Timer {
            now: 50,
            random: u64::MAX,
        });
        let ts = proposal(&e).as_proposal().unwrap().ballot().timestamp;
        assert!(ts > last, "attempt {i}: timestamp did not grow");
        last = ts;
        let delay = timer(&e) - 50;
        assert!(
            delay >= expected_backoff / 2 && delay < expected_backoff,
            "attempt {i}: {delay}"
        );
    }
    assert_eq!(p.attempts(), 6);
}

/// A proposer that saw a 2a re-proposes the value of the highest-ballot 2a
/// (decision D9), and stops after a decision.
#[test]
fn adopts_the_highest_2a_value_and_stops_on_decision() {
    let mut p = proposer(StopRule::AnyDecision);
    p.handle(Input::Start { now: 1, random: 0 });
    let theirs = Message::proposal(10, &b"theirs"[..]);
    p.handle(Input::Receive(theirs.clone()));
    assert_eq!(&p.next_value()[..], b"mine", "a 1a alone is not adopted");
    let acc = |i| AcceptorId::new(i).unwrap();
    let onebs: Vec<Message> = (0..3)
        .map(|i| Unsigned::new(acc(i), [theirs.id()]).sign(&AbstractSigner(acc(i))))
        .collect();
    for m in &onebs {
        p.handle(Input::Receive(m.clone()));
    }
    let ids: Vec<_> = onebs.iter().map(Message::id).collect();
    let mut decided = false;
    for (i, own_1b) in onebs.iter().enumerate() {
        let mut refs = ids.clone();
        refs.retain(|r| *r != own_1b.id());
        refs.push(own_1b.id());
        let twoa = Unsigned::new(acc(i), refs).sign(&AbstractSigner(acc(i)));
        let e = p.handle(Input::Receive(twoa));
        assert_eq!(&p.next_value()[..], b"theirs");
        if e.contains(&Effect::Stopped) {
            decided = true;
            assert!(
                e.iter()
                    .any(|x| matches!(x, Effect::Decided(d) if &d.value[..] == b"theirs"))
            );
        }
    }
    assert!(decided && p.stopped());
    assert!(
        p.handle(Input::Timer { now: 99, random: 1 }).is_empty(),
        "stopped proposers are quiet"
    );
}

/// Every 1a is signed as the proposer's own id (decision D12).
#[test]
fn proposals_are_signed_as_this_proposer() {
    let mut p = proposer(StopRule::AllDecided);
    let m = proposal(&p.handle(Input::Start { now: 5, random: 0 }));
    let signed = m.as_proposal().unwrap().signed().expect("signed");
    assert_eq!(signed.proposer, ProposerId(3));
}

/// A ballot that progresses is not pre-empted: when the back-off ends after
/// an acceptor not heard from before sent a message of the current ballot,
/// the timer is set again for the same delay instead; more messages from an
/// acceptor already heard from do not count, so the next timer proposes.
#[test]
fn a_progressing_ballot_is_not_pre_empted() {
    let mut p = proposer(StopRule::Never);
    let e = p.handle(Input::Start { now: 0, random: 0 });
    let first = proposal(&e);
    let delay = timer(&e);
    let acc = |i| AcceptorId::new(i).unwrap();
    let one_b = Unsigned::new(acc(0), [first.id()]).sign(&AbstractSigner(acc(0)));
    p.handle(Input::Receive(one_b.clone()));

    let e = p.handle(Input::Timer {
        now: 1_000,
        random: 0,
    });
    assert!(
        !e.iter().any(|x| matches!(x, Effect::Broadcast(_))),
        "pre-empted a ballot that progressed"
    );
    assert_eq!(timer(&e), 1_000 + delay, "the wait is the ballot's delay");
    assert_eq!(p.attempts(), 1);

    // Acceptor 0 again: no progress.
    let again = Unsigned::new(acc(0), [one_b.id(), first.id()]).sign(&AbstractSigner(acc(0)));
    p.handle(Input::Receive(again));
    let e = p.handle(Input::Timer {
        now: 2_000,
        random: 0,
    });
    let second = proposal(&e);
    assert!(second.as_proposal().unwrap().ballot() > first.as_proposal().unwrap().ballot());
    assert_eq!(p.attempts(), 2);
}
