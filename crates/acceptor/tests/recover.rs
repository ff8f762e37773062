//! Recovery of an acceptor from its log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_acceptor::driver::{self, Io, MemLog};
use hetpaxos_acceptor::{
    Acceptor, AcceptorLimits, Effect, Input, LogPosition, Record, RecoveryError,
};
use hetpaxos_messages::{AbstractSignatures, AbstractSigner, Message, Unsigned};
use hetpaxos_quorums::{AcceptorId, LearnerGraph, examples};
use std::sync::Arc;

fn graph() -> Arc<LearnerGraph> {
    Arc::new(examples::homogeneous(4, 1).unwrap())
}

fn acc(i: usize) -> AcceptorId {
    AcceptorId::new(i).unwrap()
}

fn fresh(i: usize) -> Acceptor {
    Acceptor::new(
        graph(),
        Arc::new(AbstractSigner(acc(i))),
        Arc::new(AbstractSignatures { acceptors: 4 }),
        AcceptorLimits::default(),
    )
}

fn recover(i: usize, records: Vec<Record>) -> Result<(Acceptor, Vec<Effect>), RecoveryError> {
    Acceptor::recover(
        graph(),
        Arc::new(AbstractSigner(acc(i))),
        Arc::new(AbstractSignatures { acceptors: 4 }),
        AcceptorLimits::default(),
        records,
    )
}

/// An in-memory log and a record of what was sent.
#[derive(Default)]
struct Rig {
    log: MemLog,
    sent: Vec<Message>,
}

impl Rig {
    /// The rig of an acceptor recovered from `records` (they are its log).
    fn resumed(records: &[Record]) -> Self {
        let mut rig = Rig::default();
        rig.log.append(records);
        rig
    }
}

impl Io for Rig {
    type Error = std::convert::Infallible;
    fn append(&mut self, records: &[Record], up_to: LogPosition) -> Result<(), Self::Error> {
        self.log.append(records);
        assert_eq!(self.log.records.len() as u64, up_to.0);
        Ok(())
    }
    fn sync(&mut self, _: LogPosition) -> Result<(), Self::Error> {
        self.log.sync();
        Ok(())
    }
    fn relay(&mut self, _: &Message) {}
    fn send(&mut self, m: &Message) {
        self.sent.push(m.clone());
    }
}

fn one_b(i: usize, refs: &[&Message]) -> Message {
    Unsigned::new(acc(i), refs.iter().map(|m| m.id())).sign(&AbstractSigner(acc(i)))
}

/// Acceptor 0 through a 1b, a 2a and a higher ballot's 1b.
fn scenario() -> (Acceptor, Rig) {
    let mut a = fresh(0);
    let mut rig = Rig::default();
    let p = Message::proposal(5, &b"v"[..]);
    let q = Message::proposal(7, &b"w"[..]);
    driver::step(&mut a, Input::Tick { now: u64::MAX }, &mut rig).unwrap();
    driver::step(&mut a, Input::Receive(p.clone()), &mut rig).unwrap();
    for i in 1..=2 {
        driver::step(&mut a, Input::Receive(one_b(i, &[&p])), &mut rig).unwrap();
    }
    driver::step(&mut a, Input::Receive(q), &mut rig).unwrap();
    (a, rig)
}

/// From its whole log an acceptor comes back in the same state, re-sends
/// what it signed (nothing re-signed differently), and its next message
/// continues its chain.
#[test]
fn recovery_from_the_whole_log_restores_the_state() {
    let (a, rig) = scenario();
    assert_eq!(rig.sent.len(), 3, "a 1b, a 2a and a 1b");
    let (mut b, effects) = recover(0, rig.log.records.clone()).unwrap();
    assert!(effects.is_empty(), "nothing new to sign: {effects:?}");
    assert_eq!(b.outbox_len(), 3);
    let mut again = Rig::resumed(&rig.log.records);
    driver::flush(&mut b, &mut again).unwrap();
    assert_eq!(again.sent, rig.sent, "re-sent as they were");
    driver::step(&mut b, Input::Tick { now: u64::MAX }, &mut again).unwrap();
    assert_eq!(b, a);
    assert_eq!(b.log_end(), a.log_end());
    // The image of a state recovers that state too.
    let (c, _) = recover(0, a.log_image()).unwrap();
    assert_eq!(c.last_own(), a.last_own());
    assert_eq!(c.recent(), a.recent());
    assert_eq!(c.sent_2a(), a.sent_2a());
    assert_eq!(c.max_ballot(), a.max_ballot());
}

/// A crash after an own message was signed but before its record was
/// written: recovery signs the very same message again.
#[test]
fn an_emission_cut_off_by_the_crash_is_rebuilt_identically() {
    let (a, rig) = scenario();
    let mut records = rig.log.records.clone();
    let last = records.pop().unwrap();
    assert_eq!(last.message().id(), a.last_own().unwrap());
    let (_, effects) = recover(0, records).unwrap();
    assert_eq!(
        effects,
        vec![Effect::Persist {
            records: vec![last],
            up_to: a.log_end()
        }]
    );
}

/// Records lost after the last own message: the next own message still
/// references the last logged one.
#[test]
fn the_next_message_chains_after_the_last_logged_one() {
    let (_, rig) = scenario();
    let records = rig.log.records.clone();
    // Cut right after the 2a (the second own message).
    let own: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.message().signer() == Some(acc(0)))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(own.len(), 3);
    let cut = own[1] + 1;
    let head = records[own[1]].message().id();
    let (mut b, effects) = recover(0, records[..cut].to_vec()).unwrap();
    assert!(effects.is_empty());
    assert_eq!(b.last_own(), Some(head));
    let mut rig = Rig::resumed(&records[..cut]);
    driver::step(&mut b, Input::Tick { now: u64::MAX }, &mut rig).unwrap();
    driver::step(
        &mut b,
        Input::Receive(Message::proposal(9, &b"x"[..])),
        &mut rig,
    )
    .unwrap();
    let next = rig.sent.last().unwrap();
    assert!(next.refs().contains(&head), "{next:?} does not chain");
}

/// A log that forks the acceptor's own chain is refused.
#[test]
fn a_log_with_an_own_fork_is_refused() {
    let p = Message::proposal(5, &b"v"[..]);
    let q = Message::proposal(7, &b"w"[..]);
    let good = vec![
        Record::Accepted(p.clone()),
        Record::Accepted(q.clone()),
        Record::Accepted(one_b(0, &[&p])),
    ];
    assert!(recover(0, good.clone()).is_ok(), "control");
    let mut forked = good;
    forked.push(Record::Accepted(one_b(0, &[&q])));
    assert!(matches!(
        recover(0, forked),
        Err(RecoveryError::OwnFork { .. })
    ));
}

/// A record whose references come later, or a held record that is not a
/// 1a, is refused with its position.
#[test]
fn an_inconsistent_log_is_refused_with_the_position() {
    let p = Message::proposal(5, &b"v"[..]);
    let b = one_b(1, &[&p]);
    match recover(
        0,
        vec![Record::Accepted(b.clone()), Record::Accepted(p.clone())],
    ) {
        Err(RecoveryError::Refused { position, id, .. }) => {
            assert_eq!((position, id), (0, b.id()));
        }
        other => panic!("{other:?}"),
    }
    match recover(0, vec![Record::Accepted(p), Record::Held(b.clone())]) {
        Err(RecoveryError::HeldNotAProposal { position, id }) => {
            assert_eq!((position, id), (1, b.id()));
        }
        other => panic!("{other:?}"),
    }
}

/// Held 1as come back held, and are delivered when the clock passes them.
#[test]
fn held_1as_are_recovered() {
    let mut a = fresh(0);
    let mut rig = Rig::default();
    let p = Message::proposal(1_000, &b"v"[..]);
    driver::step(&mut a, Input::Tick { now: 10 }, &mut rig).unwrap();
    driver::step(&mut a, Input::Receive(p.clone()), &mut rig).unwrap();
    let (mut b, _) = recover(0, rig.log.records.clone()).unwrap();
    assert_eq!(b.next_wakeup(), Some(1_000));
    let mut rig = Rig::resumed(&rig.log.records);
    driver::step(&mut b, Input::Tick { now: 1_000 }, &mut rig).unwrap();
    assert!(b.store().contains(&p.id()));
    assert_eq!(rig.sent.len(), 1, "its 1b");
}

/// The log keeps the order in which the acceptor took its steps, which is
/// not the store's insertion order when a delivery unblocks held messages:
/// another acceptor's 1b that waited for the 1a is inserted with it, but
/// taken after this acceptor's own 1b. Recovery from the log (and from the
/// log image) keeps that 1b in `recent`. (Found by the model checker.)
#[test]
fn recovery_keeps_the_step_order_of_unblocked_messages() {
    let mut a = fresh(0);
    let mut rig = Rig::default();
    let p = Message::proposal(5, &b"v"[..]);
    let theirs = one_b(1, &[&p]);
    driver::step(&mut a, Input::Tick { now: u64::MAX }, &mut rig).unwrap();
    driver::step(&mut a, Input::Receive(theirs.clone()), &mut rig).unwrap();
    driver::step(&mut a, Input::Receive(p.clone()), &mut rig).unwrap();
    let mine = a.last_own().unwrap();
    assert!(a.recent().contains(&theirs.id()) && a.recent().contains(&mine));
    let store_order: Vec<_> = a.store().messages().map(Message::id).collect();
    assert_eq!(
        store_order,
        vec![p.id(), theirs.id(), mine],
        "inserted together"
    );
    for log in [rig.log.records.clone(), a.log_image()] {
        let order: Vec<_> = log.iter().map(|r| r.message().id()).collect();
        assert_eq!(
            order,
            vec![p.id(), mine, theirs.id()],
            "taken in this order"
        );
        let (b, _) = recover(0, log).unwrap();
        assert_eq!(b.recent(), a.recent());
    }
}
