//! The pending buffer's bounds and its memory of ill-formed ids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_messages::{
    AbstractSigner, IllFormed, Message, MessageId, MessageStore, Pending, PendingLimits, Rejection,
    Unsigned, signed_id,
};
use hetpaxos_quorums::{AcceptorId, examples};
use std::sync::Arc;

fn acc(i: usize) -> AcceptorId {
    AcceptorId::new(i).unwrap()
}

fn store() -> MessageStore {
    MessageStore::new(Arc::new(examples::homogeneous(4, 1).unwrap()))
}

fn signed(i: usize, refs: impl IntoIterator<Item = MessageId>) -> Message {
    Unsigned::new(acc(i), refs).sign(&AbstractSigner(acc(i)))
}

/// An id nobody will ever send (a reference that stays unknown).
fn phantom(k: u64) -> MessageId {
    signed_id(acc(0), &[Message::proposal(k, &b"x"[..]).id()])
}

/// 2,000 messages of one signer with 64 unknown references each never hold
/// more bytes than the bounds, total or for that signer; the drops are
/// counted; and another signer's held message is not pushed out by them.
#[test]
fn bytes_are_bounded_in_total_and_per_signer() {
    let limits = PendingLimits {
        max_messages: 1_000_000,
        max_bytes: 512 << 10,
        max_bytes_per_signer: 256 << 10,
        max_rejected: 16,
    };
    let mut pending = Pending::new(limits);
    let mut s = store();
    let honest = signed(1, [phantom(0)]);
    assert!(pending.deliver(&mut s, honest.clone()).held);
    let mut k = 1;
    for _ in 0..2_000 {
        let refs: Vec<MessageId> = (0..64)
            .map(|_| {
                k += 1;
                phantom(k)
            })
            .collect();
        pending.deliver(&mut s, signed(3, refs));
        assert!(pending.bytes() <= limits.max_bytes);
    }
    let drops = pending.drops();
    assert!(drops.per_signer > 1_000, "{drops:?}");
    assert!(
        pending.holds(&honest.id()),
        "the honest message was dropped"
    );
    // The flooder holds at most its share.
    assert!(pending.bytes() <= limits.max_bytes_per_signer + honest.approx_bytes() + 96);
    // Many flooding signers together stay within the total.
    for i in 0..4 {
        for _ in 0..200 {
            k += 1;
            pending.deliver(&mut s, signed(i, (0..64).map(|j| phantom(k * 100 + j))));
            assert!(pending.bytes() <= limits.max_bytes);
            assert!(pending.len() <= limits.max_messages);
        }
    }
    assert!(pending.drops().total > 0, "{:?}", pending.drops());
}

/// A message count bound holds too, dropping the oldest.
#[test]
fn messages_are_bounded_in_number() {
    let limits = PendingLimits {
        max_messages: 10,
        ..PendingLimits::default()
    };
    let mut pending = Pending::new(limits);
    let mut s = store();
    let first = signed(1, [phantom(0)]);
    pending.deliver(&mut s, first.clone());
    for k in 1..=30 {
        pending.deliver(&mut s, signed(2, [phantom(k)]));
        assert!(pending.len() <= 10);
    }
    assert!(!pending.holds(&first.id()));
    assert_eq!(pending.drops().total, 21);
}

/// A held message waiting for a message that turns out ill-formed is
/// refused with it; a later message referencing it is refused at once,
/// without being held.
#[test]
fn dependents_of_an_ill_formed_message_are_refused_at_once() {
    let mut pending = Pending::new(PendingLimits::default());
    let mut s = store();
    // No 1a in its history: ill-formed (no ballot).
    let bad = signed(2, []);
    let child = signed(1, [bad.id()]);
    let grandchild = signed(3, [child.id()]);
    assert!(pending.deliver(&mut s, grandchild.clone()).held);
    assert!(pending.deliver(&mut s, child.clone()).held);
    let d = pending.deliver(&mut s, bad.clone());
    let rejected: Vec<(MessageId, Rejection)> = d.rejected;
    assert_eq!(
        rejected,
        vec![
            (bad.id(), Rejection::IllFormed(IllFormed::NoBallot)),
            (child.id(), Rejection::RefersToRejected(bad.id())),
            (grandchild.id(), Rejection::RefersToRejected(child.id())),
        ]
    );
    assert!(pending.is_empty());
    assert_eq!(pending.bytes(), 0);
    let late = signed(0, [bad.id()]);
    let d = pending.deliver(&mut s, late.clone());
    assert!(!d.held);
    assert_eq!(
        d.rejected,
        vec![(late.id(), Rejection::RefersToRejected(bad.id()))]
    );
    assert!(pending.is_empty());
}

/// The memory of ill-formed ids is bounded: the oldest are forgotten.
#[test]
fn remembered_ill_formed_ids_are_bounded() {
    let limits = PendingLimits {
        max_rejected: 8,
        ..PendingLimits::default()
    };
    let mut pending = Pending::new(limits);
    let mut s = store();
    // Signers 4.. are not acceptors of the 4-acceptor graph: ill-formed.
    let bad: Vec<Message> = (4..24).map(|i| signed(i, [])).collect();
    for m in &bad {
        let d = pending.deliver(&mut s, m.clone());
        assert!(matches!(
            d.rejected.as_slice(),
            [(_, Rejection::IllFormed(IllFormed::UnknownSigner(_)))]
        ));
    }
    let remembered: Vec<bool> = bad.iter().map(|m| pending.is_rejected(&m.id())).collect();
    assert_eq!(remembered[..12], [false; 12]);
    assert_eq!(remembered[12..], [true; 8]);
}
