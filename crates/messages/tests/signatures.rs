//! Decision D13: signatures are checked by the ZIP 215 rules, and a batch
//! check gives every message the answer a check of it alone gives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::SigningKey;
use hetpaxos_messages::{
    ClusterContext, Ed25519ProposalSigner, Ed25519Signer, Ed25519Verifier, Hash32, Message,
    MessageId, ProposerId, Signature, Signer, Unsigned, Verifier, signing_payload,
};
use hetpaxos_quorums::AcceptorId;
use proptest::prelude::*;
use sha2::{Digest as _, Sha512};

fn key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[i.wrapping_add(1); 32])
}

fn context() -> ClusterContext {
    ClusterContext(Hash32::of(&[b"signatures test"]))
}

fn verifier() -> Ed25519Verifier {
    Ed25519Verifier::new(
        (0..4).map(|i| key(i).verifying_key()).collect(),
        vec![key(100).verifying_key()],
        context(),
    )
}

fn acceptor(i: usize) -> AcceptorId {
    AcceptorId::new(i).unwrap()
}

/// Signs as acceptor `i` with a signature whose equation is off by a point
/// of order 8: `R = rB + T`, `S = r + k·a`. The cofactorless check
/// (`verify_strict`) refuses it; the cofactored one (ZIP 215) accepts it.
/// Only the holder of the key can make one.
struct OffByTorsion(usize);

impl Signer for OffByTorsion {
    fn acceptor(&self) -> AcceptorId {
        acceptor(self.0)
    }

    fn sign_id(&self, id: MessageId) -> Signature {
        let k = key(u8::try_from(self.0).unwrap());
        let a = k.to_scalar();
        let r = Scalar::from(123_456_789u64);
        let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
        let payload = signing_payload(context(), id);
        let h = Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(k.verifying_key().as_bytes())
            .chain_update(payload)
            .finalize();
        let s = r + Scalar::from_bytes_mod_order_wide(&h.into()) * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(big_r.as_bytes());
        sig[32..].copy_from_slice(s.as_bytes());
        Signature(sig)
    }
}

#[test]
fn a_signature_off_by_a_small_order_point_is_valid_alone_and_in_a_batch() {
    let m = Unsigned::new(acceptor(1), []).sign(&OffByTorsion(1));
    let sig = ed25519_dalek::Signature::from_bytes(&m.as_signed().unwrap().signature().0);
    let payload = signing_payload(context(), m.id());
    assert!(
        key(1)
            .verifying_key()
            .verify_strict(&payload, &sig)
            .is_err(),
        "the crafted signature is not what the test means (strict accepts it)"
    );
    let v = verifier();
    assert_eq!(v.verify(&m), Ok(()));
    let honest =
        Unsigned::new(acceptor(2), []).sign(&Ed25519Signer::new(acceptor(2), key(2), context()));
    assert_eq!(
        v.verify_many(&[honest.clone(), m.clone()]),
        vec![Ok(()), Ok(())]
    );
    assert_eq!(v.verify_many(&[m, honest]), vec![Ok(()), Ok(())]);
}

/// What each generated message is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Good,
    BadSignature,
    UnknownSigner,
    GoodProposal,
    UnsignedProposal,
    OffByTorsion,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        4 => Just(Kind::Good),
        1 => Just(Kind::BadSignature),
        1 => Just(Kind::UnknownSigner),
        1 => Just(Kind::GoodProposal),
        1 => Just(Kind::UnsignedProposal),
        1 => Just(Kind::OffByTorsion),
    ]
}

fn message(kind: Kind, i: usize) -> Message {
    let who = i % 4;
    let refs = [Message::proposal(i as u64 + 1, vec![1]).id()];
    match kind {
        Kind::Good => Unsigned::new(acceptor(who), refs).sign(&Ed25519Signer::new(
            acceptor(who),
            key(who as u8),
            context(),
        )),
        Kind::BadSignature => {
            let m = Unsigned::new(acceptor(who), refs).sign(&Ed25519Signer::new(
                acceptor(who),
                key(who as u8),
                context(),
            ));
            let s = m.as_signed().unwrap();
            let mut sig = s.signature().0;
            sig[i % 64] ^= 1 << (i % 8);
            Message::signed_checked(s.signer(), s.refs().to_vec(), Signature(sig)).unwrap()
        }
        // Signed by a key of no cluster, as acceptor 5 (unknown here).
        Kind::UnknownSigner => Unsigned::new(acceptor(5), refs).sign(&Ed25519Signer::new(
            acceptor(5),
            key(9),
            context(),
        )),
        Kind::GoodProposal => Message::signed_proposal(
            i as u64 + 7,
            vec![2],
            &Ed25519ProposalSigner::new(ProposerId(0), key(100), context()),
        ),
        Kind::UnsignedProposal => Message::proposal(i as u64 + 9, vec![3]),
        Kind::OffByTorsion => Unsigned::new(acceptor(who), refs).sign(&OffByTorsion(who)),
    }
}

proptest! {
    /// Checking together gives each message the answer checking it alone
    /// gives, whatever else is in the batch; honest ones are all accepted.
    #[test]
    fn a_batch_answers_as_single_checks(kinds in proptest::collection::vec(kind(), 1..24)) {
        let v = verifier();
        let ms: Vec<Message> = kinds.iter().enumerate().map(|(i, k)| message(*k, i)).collect();
        let alone: Vec<_> = ms.iter().map(|m| v.verify(m)).collect();
        prop_assert_eq!(v.verify_many(&ms), alone.clone());
        for (k, r) in kinds.iter().zip(&alone) {
            let valid = matches!(k, Kind::Good | Kind::GoodProposal | Kind::OffByTorsion);
            prop_assert_eq!(r.is_ok(), valid, "{:?}: {:?}", k, r);
        }
    }
}
