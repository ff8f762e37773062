//! Decoding from the network: hard limits, canonical form, and signatures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::SigningKey;
use hetpaxos_messages::wire::{self, DecodeError, Limits};
use hetpaxos_messages::{
    ClusterContext, Ed25519ProposalSigner, Ed25519Signer, Ed25519Verifier, Hash32, Message,
    ProposerId, SignatureError, Unsigned, Verifier,
};
use hetpaxos_proto::v1 as pb;
use hetpaxos_quorums::AcceptorId;
use proptest::prelude::*;
use prost::Message as _;

fn key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[i; 32])
}

fn ctx(tag: &[u8]) -> ClusterContext {
    ClusterContext(Hash32::of(&[tag]))
}

fn acc(i: usize) -> AcceptorId {
    AcceptorId::new(i).unwrap()
}

#[test]
fn roundtrip_preserves_ids() {
    let p = Message::proposal(42, &b"value"[..]);
    let s = Unsigned::new(acc(1), [p.id()]).sign(&Ed25519Signer::new(acc(1), key(1), ctx(b"c")));
    for m in [p, s] {
        let back = wire::decode(&wire::encode(&m), &Limits::default()).unwrap();
        assert_eq!(back.id(), m.id());
        assert_eq!(back.refs(), m.refs());
    }
}

#[test]
fn oversized_messages_are_rejected_before_parsing() {
    let limits = Limits {
        max_encoded_bytes: 100,
        ..Limits::default()
    };
    let big = Message::proposal(1, vec![7u8; 200]);
    let err = wire::decode(&wire::encode(&big), &limits).unwrap_err();
    assert!(
        matches!(err, DecodeError::TooLarge { max: 100, .. }),
        "{err}"
    );
}

#[test]
fn oversized_values_and_reference_lists_are_rejected() {
    let limits = Limits {
        max_value_bytes: 10,
        max_refs: 2,
        ..Limits::default()
    };
    let big = Message::proposal(1, vec![7u8; 11]);
    assert!(matches!(
        wire::decode(&wire::encode(&big), &limits),
        Err(DecodeError::ValueTooLarge { len: 11, max: 10 })
    ));
    let ids: Vec<_> = (0..3)
        .map(|i| Message::proposal(i, &b"x"[..]).id())
        .collect();
    let s = Unsigned::new(acc(0), ids).sign(&Ed25519Signer::new(acc(0), key(0), ctx(b"c")));
    assert!(matches!(
        wire::decode(&wire::encode(&s), &limits),
        Err(DecodeError::TooManyRefs { count: 3, max: 2 })
    ));
}

#[test]
fn malformed_fields_get_typed_errors() {
    let l = Limits::default();
    let decode = |m: pb::ConsensusMessage| wire::decode(&m.encode_to_vec(), &l);
    assert_eq!(
        decode(pb::ConsensusMessage { kind: None }),
        Err(DecodeError::Empty)
    );
    let prop = |ballot, value: &[u8]| pb::ConsensusMessage {
        kind: Some(pb::consensus_message::Kind::Proposal(pb::Proposal {
            ballot,
            value: value.to_vec(),
            proposer: 0,
            signature: Vec::new(),
        })),
    };
    assert_eq!(decode(prop(None, b"v")), Err(DecodeError::MissingBallot));
    let short = pb::Ballot {
        timestamp_nanos: 1,
        value_hash: vec![0; 31],
    };
    assert!(matches!(
        decode(prop(Some(short), b"v")),
        Err(DecodeError::BadHashLength { len: 31, .. })
    ));
    let wrong = pb::Ballot {
        timestamp_nanos: 1,
        value_hash: vec![0; 32],
    };
    assert_eq!(
        decode(prop(Some(wrong), b"v")),
        Err(DecodeError::ValueHashMismatch)
    );
    let signed = |signer, refs: Vec<Vec<u8>>, sig: usize| pb::ConsensusMessage {
        kind: Some(pb::consensus_message::Kind::Signed(pb::SignedReferences {
            signer,
            refs,
            signature: vec![0; sig],
        })),
    };
    assert_eq!(
        decode(signed(0, vec![], 63)),
        Err(DecodeError::BadSignatureLength(63))
    );
    assert_eq!(
        decode(signed(4000, vec![], 64)),
        Err(DecodeError::SignerOutOfRange(4000))
    );
    let (a, b) = (vec![1u8; 32], vec![2u8; 32]);
    assert_eq!(
        decode(signed(0, vec![b.clone(), a.clone()], 64)),
        Err(DecodeError::RefsNotCanonical)
    );
    assert_eq!(
        decode(signed(0, vec![a.clone(), a], 64)),
        Err(DecodeError::RefsNotCanonical)
    );
    assert!(matches!(
        wire::decode(&[0xff, 0xff, 0xff], &l),
        Err(DecodeError::Protobuf(_))
    ));
}

#[test]
fn signatures_are_strict_and_domain_separated() {
    let keys: Vec<_> = (0..3).map(key).collect();
    let proposer_key = key(7);
    let verifier = Ed25519Verifier::new(
        keys.iter().map(SigningKey::verifying_key).collect(),
        vec![proposer_key.verifying_key()],
        ctx(b"one"),
    );
    let p = Message::proposal(1, &b"v"[..]);
    let good = Unsigned::new(acc(1), [p.id()]).sign(&Ed25519Signer::new(
        acc(1),
        keys[1].clone(),
        ctx(b"one"),
    ));
    assert_eq!(verifier.verify(&good), Ok(()));
    // Signed with another acceptor's key.
    let forged = Unsigned::new(acc(1), [p.id()]).sign(&Ed25519Signer::new(
        acc(1),
        keys[2].clone(),
        ctx(b"one"),
    ));
    assert_eq!(
        verifier.verify(&forged),
        Err(SignatureError::Invalid(acc(1)))
    );
    // Signed for another cluster with the right key.
    let replayed = Unsigned::new(acc(1), [p.id()]).sign(&Ed25519Signer::new(
        acc(1),
        keys[1].clone(),
        ctx(b"two"),
    ));
    assert_eq!(
        verifier.verify(&replayed),
        Err(SignatureError::Invalid(acc(1)))
    );
    // A signer the cluster does not have.
    let outsider = Unsigned::new(acc(5), [p.id()]).sign(&Ed25519Signer::new(
        acc(5),
        keys[0].clone(),
        ctx(b"one"),
    ));
    assert_eq!(
        verifier.verify(&outsider),
        Err(SignatureError::UnknownSigner(acc(5)))
    );
    // 1as must be signed by a configured proposer (decision D12), for this
    // cluster, and the signature survives the wire.
    let proposer = |k: &SigningKey, i: u32, c: &[u8]| {
        Ed25519ProposalSigner::new(ProposerId(i), k.clone(), ctx(c))
    };
    assert_eq!(verifier.verify(&p), Err(SignatureError::UnsignedProposal));
    let signed = Message::signed_proposal(1, &b"v"[..], &proposer(&proposer_key, 0, b"one"));
    assert_eq!(signed.id(), p.id(), "the signature is not part of the id");
    assert_eq!(verifier.verify(&signed), Ok(()));
    let decoded = wire::decode(&wire::encode(&signed), &Limits::default()).unwrap();
    assert_eq!(verifier.verify(&decoded), Ok(()));
    let unknown = Message::signed_proposal(1, &b"v"[..], &proposer(&proposer_key, 1, b"one"));
    assert_eq!(
        verifier.verify(&unknown),
        Err(SignatureError::UnknownProposer(ProposerId(1)))
    );
    let acceptor_key = Message::signed_proposal(1, &b"v"[..], &proposer(&keys[0], 0, b"one"));
    assert_eq!(
        verifier.verify(&acceptor_key),
        Err(SignatureError::InvalidProposal(ProposerId(0)))
    );
    let other_cluster = Message::signed_proposal(1, &b"v"[..], &proposer(&proposer_key, 0, b"two"));
    assert_eq!(
        verifier.verify(&other_cluster),
        Err(SignatureError::InvalidProposal(ProposerId(0)))
    );
}

proptest! {
    /// Decoding arbitrary bytes never panics, and whatever decodes re-encodes
    /// to a message with the same id.
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(m) = wire::decode(&bytes, &Limits::default()) {
            let again = wire::decode(&wire::encode(&m), &Limits::default()).unwrap();
            prop_assert_eq!(again.id(), m.id());
        }
    }
}
