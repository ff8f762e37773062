//! Fuzzing the network input path on the stable toolchain: mutated protobuf
//! bytes are decoded the way the node decodes them (prost, then
//! `wire::from_proto` with `Limits`), and whatever decodes is verified with the
//! real Ed25519 verifier and delivered through `Pending` into a
//! `MessageStore`, as sent and re-signed by its (Byzantine) signer.
//!
//! Seeds: `fuzz/corpus/wire/`, the encoded messages of a small run (two
//! signed 1as, 1bs and 2as of four acceptors), in delivery order. Regenerate
//! with `cargo test -p hetpaxos-messages --test fuzz_wire -- --ignored`.
//! Longer runs: `PROPTEST_CASES=100000 cargo test -p hetpaxos-messages --test
//! fuzz_wire` (see `fuzz/README.md`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use ed25519_dalek::SigningKey;
use hetpaxos_messages::wire::{self, DecodeError, Limits};
use hetpaxos_messages::{
    AbstractSigner, Body, ClusterContext, Ed25519ProposalSigner, Ed25519Signer, Ed25519Verifier,
    Hash32, Message, MessageId, MessageStore, Pending, PendingLimits, ProposerId, Rejection,
    Unsigned, Verifier,
};
use hetpaxos_proto::v1 as pb;
use hetpaxos_quorums::{AcceptorId, LearnerGraph, examples};
use mutate::Mutation;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseResult;
use prost::Message as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Default number of fuzz cases (a few seconds in debug).
const DEFAULT_CASES: u32 = 10_000;
/// Acceptors of the corpus's cluster (`homogeneous(4, 1)`).
const ACCEPTORS: usize = 4;

fn acceptor_key(i: usize) -> SigningKey {
    SigningKey::from_bytes(&[0x11 * (i as u8 + 1); 32])
}

fn proposer_key() -> SigningKey {
    SigningKey::from_bytes(&[0x70; 32])
}

fn context() -> ClusterContext {
    ClusterContext(Hash32::of(&[b"hetpaxos fuzz corpus"]))
}

fn graph() -> Arc<LearnerGraph> {
    Arc::new(examples::homogeneous(ACCEPTORS, 1).unwrap())
}

fn verifier() -> Ed25519Verifier {
    Ed25519Verifier::new(
        (0..ACCEPTORS)
            .map(|i| acceptor_key(i).verifying_key())
            .collect(),
        vec![proposer_key().verifying_key()],
        context(),
    )
}

fn signer(a: AcceptorId) -> Ed25519Signer {
    Ed25519Signer::new(a, acceptor_key(a.index()), context())
}

fn proposer() -> Ed25519ProposalSigner {
    Ed25519ProposalSigner::new(ProposerId(0), proposer_key(), context())
}

fn acc(i: usize) -> AcceptorId {
    AcceptorId::new(i).unwrap()
}

/// The corpus: a run of `homogeneous(4, 1)` in delivery order — two 1as, a
/// 1b of every acceptor for the first, a 2a of every acceptor, and a 1b of
/// `A` for the second 1a on top of its 2a. Ed25519 signing is
/// deterministic, so these bytes are too.
fn corpus_messages() -> Vec<(String, Message)> {
    let p1 = Message::signed_proposal(1_000, &b"alpha"[..], &proposer());
    let p2 = Message::signed_proposal(2_000, &b"beta"[..], &proposer());
    let mut out = vec![("1a-alpha".to_string(), p1.clone())];
    out.push(("1a-beta".to_string(), p2.clone()));
    let one_bs: Vec<Message> = (0..ACCEPTORS)
        .map(|i| Unsigned::new(acc(i), [p1.id()]).sign(&signer(acc(i))))
        .collect();
    for (i, m) in one_bs.iter().enumerate() {
        out.push((format!("1b-{i}"), m.clone()));
    }
    let mut two_as = Vec::new();
    for i in 0..ACCEPTORS {
        let refs = one_bs.iter().map(Message::id);
        let m = Unsigned::new(acc(i), refs).sign(&signer(acc(i)));
        two_as.push(m.clone());
        out.push((format!("2a-{i}"), m));
    }
    let again = Unsigned::new(acc(0), [p2.id(), two_as[0].id()]).sign(&signer(acc(0)));
    out.push(("1b-0-beta".to_string(), again));
    out.into_iter()
        .enumerate()
        .map(|(k, (name, m))| (format!("{k:02}-{name}.bin"), m))
        .collect()
}

fn corpus_files() -> Vec<(String, Vec<u8>)> {
    corpus_messages()
        .into_iter()
        .map(|(name, m)| (name, wire::encode(&m)))
        .collect()
}

/// Writes `fuzz/corpus/wire/` (run once after a format change).
#[test]
#[ignore = "writes fuzz/corpus/wire; run by hand after a wire format change"]
fn write_corpus() {
    mutate::write_corpus("wire", &corpus_files());
}

/// The committed corpus is what the generator makes, and every entry is a
/// valid, correctly signed message; delivered in order, the store accepts all.
#[test]
fn corpus_is_current_and_valid() {
    let files = mutate::read_corpus("wire");
    let expected = corpus_files();
    assert_eq!(
        files.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        expected.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "fuzz/corpus/wire is stale: run `cargo test -p hetpaxos-messages --test fuzz_wire -- --ignored`"
    );
    assert!(
        files == expected,
        "fuzz/corpus/wire is stale: run `cargo test -p hetpaxos-messages --test fuzz_wire -- --ignored`"
    );
    let mut store = MessageStore::new(graph());
    for (name, bytes) in &files {
        let m = wire::decode(bytes, &Limits::default()).unwrap();
        verifier().verify(&m).unwrap();
        store.insert(m).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(store.len(), files.len());
    assert!(
        store
            .messages()
            .any(|m| !store.facts(&m.id()).unwrap().two_a_learners().is_empty()),
        "the corpus has no 2a"
    );
}

/// One fuzz input.
#[derive(Clone, Debug)]
enum Input {
    /// Corpus entry `entry`, mutated.
    Mutated { entry: Index, edits: Vec<Mutation> },
    /// Corpus entry `entry` with unknown top-level fields appended (same
    /// message, other bytes: the signature must still verify).
    Extended {
        entry: Index,
        extra: Vec<(u32, Vec<u8>)>,
    },
    /// A signed message of `signer` (unknown to the cluster from
    /// [`ACCEPTORS`] on) referencing corpus entries `refs` (and an unknown
    /// id if `phantom`), signed with the signer's key, then mutated by `edits`.
    Recombined {
        signer: usize,
        refs: Vec<Index>,
        phantom: bool,
        edits: Vec<Mutation>,
    },
    /// Arbitrary bytes.
    Raw(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Case {
    input: Input,
    /// How many corpus messages (in order) the store holds before.
    prefix: Index,
    /// Tight limits instead of the defaults.
    tight: bool,
}

fn case() -> impl Strategy<Value = Case> {
    let input = prop_oneof![
        6 => (any::<Index>(), mutate::mutations(6))
            .prop_map(|(entry, edits)| Input::Mutated { entry, edits }),
        1 => (
            any::<Index>(),
            prop::collection::vec((3u32..2000, prop::collection::vec(any::<u8>(), 0..16)), 1..3),
        )
            .prop_map(|(entry, extra)| Input::Extended { entry, extra }),
        2 => (
            0..ACCEPTORS + 2,
            prop::collection::vec(any::<Index>(), 0..6),
            prop::bool::weighted(0.1),
            prop::collection::vec(mutate::mutation(), 0..2),
        )
            .prop_map(|(signer, refs, phantom, edits)| Input::Recombined {
                signer,
                refs,
                phantom,
                edits,
            }),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Input::Raw),
    ];
    (input, any::<Index>(), prop::bool::weighted(0.2)).prop_map(|(input, prefix, tight)| Case {
        input,
        prefix,
        tight,
    })
}

#[derive(Default)]
struct Counts {
    decoded: AtomicUsize,
    refused: AtomicUsize,
    verified: AtomicUsize,
    mutated_but_verified: AtomicUsize,
    resigned_accepted: AtomicUsize,
    resigned_ill_formed: AtomicUsize,
    held: AtomicUsize,
}

fn bump(c: &AtomicUsize) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Delivers `m` (already verified) and checks what became of it: accepted
/// (with facts that say its references are in its history), held, rejected,
/// or a duplicate of an accepted message; the buffer stays within its bound.
fn deliver(
    store: &mut MessageStore,
    pending: &mut Pending,
    limits: PendingLimits,
    m: Message,
) -> Result<Option<Rejection>, TestCaseError> {
    let id = m.id();
    let was_there = store.contains(&id);
    let d = pending.deliver(store, m.clone());
    let acceptors = store.graph().acceptors();
    for &idx in &d.accepted {
        let f = store.facts_at(idx);
        prop_assert_eq!(f.id(), f.message().id());
        for &r in f.message().refs() {
            prop_assert!(f.has_in_history(r), "an accepted ref is not in Tran");
            let rb = store.facts(&r).unwrap().ballot();
            prop_assert!(rb <= f.ballot(), "a ref has a higher ballot than b(x)");
        }
        prop_assert!(f.caught().is_subset(acceptors));
        if f.is_1b() {
            prop_assert!(f.message().refs().contains(&f.get1a()));
        }
    }
    let rejected = d
        .rejected
        .iter()
        .find(|(r, _)| *r == id)
        .map(|(_, why)| why.clone());
    prop_assert!(
        was_there || store.contains(&id) || pending.holds(&id) || rejected.is_some(),
        "{id} was neither accepted, held nor rejected"
    );
    prop_assert_eq!(d.held, pending.holds(&id));
    prop_assert!(pending.len() <= limits.max_messages);
    if store.contains(&id) {
        prop_assert_eq!(store.check(&m), Err(Rejection::Duplicate));
    }
    Ok(rejected)
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

fn run_case(c: &Case, corpus: &[(String, Vec<u8>)], counts: &Counts) -> TestCaseResult {
    let seeds: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    let (bytes, original) = match &c.input {
        Input::Mutated { entry, edits } => {
            let seed = &seeds[entry.index(seeds.len())];
            (mutate::mutate(seed, edits, &seeds), Some(seed.clone()))
        }
        Input::Extended { entry, extra } => {
            let seed = &seeds[entry.index(seeds.len())];
            let mut bytes = seed.clone();
            for (field, body) in extra {
                let key = u64::from(field << 3 | 2);
                bytes.extend(varint(key));
                bytes.extend(varint(body.len() as u64));
                bytes.extend_from_slice(body);
            }
            (bytes, Some(seed.clone()))
        }
        Input::Recombined {
            signer: who,
            refs,
            phantom,
            edits,
        } => {
            let mut ids: Vec<MessageId> = refs
                .iter()
                .map(|r| wire::decode(&seeds[r.index(seeds.len())], &Limits::default()))
                .map(|m| m.unwrap().id())
                .collect();
            if *phantom {
                ids.push(MessageId(Hash32::of(&[b"phantom"])));
            }
            let a = acc(*who);
            let unsigned = Unsigned::new(a, ids);
            let m = if *who < ACCEPTORS {
                unsigned.sign(&signer(a))
            } else {
                unsigned.sign(&AbstractSigner(a))
            };
            let bytes = wire::encode(&m);
            (mutate::mutate(&bytes, edits, &seeds), None)
        }
        Input::Raw(b) => (b.clone(), None),
    };
    let limits = if c.tight {
        Limits {
            max_encoded_bytes: 300,
            max_value_bytes: 4,
            max_refs: 3,
        }
    } else {
        Limits::default()
    };

    // The node's path: prost, then from_proto. `wire::decode` must agree.
    let via_node = match pb::ConsensusMessage::decode(bytes.as_slice()) {
        Ok(p) => wire::from_proto(p, &limits),
        Err(e) => Err(DecodeError::Protobuf(e.to_string())),
    };
    let direct = wire::decode(&bytes, &limits);
    match (&via_node, &direct) {
        (_, Err(DecodeError::TooLarge { len, max })) => {
            prop_assert!(bytes.len() == *len && len > max);
        }
        (Ok(a), Ok(b)) => prop_assert_eq!(a.id(), b.id()),
        (a, b) => prop_assert_eq!(a.as_ref().err(), b.as_ref().err()),
    }
    let m = match via_node {
        Ok(m) => m,
        Err(_) => {
            bump(&counts.refused);
            return Ok(());
        }
    };
    bump(&counts.decoded);

    // What decodes is within the limits, canonical, and round-trips.
    match m.body() {
        Body::Proposal(p) => prop_assert!(p.value().len() <= limits.max_value_bytes),
        Body::Signed(s) => {
            prop_assert!(s.refs().len() <= limits.max_refs);
            prop_assert!(s.refs().windows(2).all(|w| w[0] < w[1]));
        }
    }
    let again = wire::decode(&wire::encode(&m), &Limits::default()).unwrap();
    prop_assert_eq!(again.id(), m.id());
    prop_assert!(again.body() == m.body(), "re-encoding changed the message");

    // A store holding a prefix of the corpus run, then the decoded message.
    let plimits = PendingLimits {
        max_messages: 8,
        ..PendingLimits::default()
    };
    let mut store = MessageStore::new(graph());
    let mut pending = Pending::new(plimits);
    let prefix = c.prefix.index(corpus.len() + 1);
    let v = verifier();
    for (_, b) in &corpus[..prefix] {
        let cm = wire::decode(b, &Limits::default()).unwrap();
        deliver(&mut store, &mut pending, plimits, cm)?;
    }
    if v.verify(&m).is_ok() {
        bump(&counts.verified);
        if original.as_ref().is_some_and(|o| *o != bytes) {
            bump(&counts.mutated_but_verified);
        }
        deliver(&mut store, &mut pending, plimits, m.clone())?;
    }

    // The same content signed by its signer (a Byzantine acceptor or
    // proposer may sign anything): verification must pass, and the store
    // must take it or refuse it without panicking.
    let resigned = match m.body() {
        Body::Proposal(p) => {
            Message::signed_proposal(p.ballot().timestamp, p.value().clone(), &proposer())
        }
        Body::Signed(s) if s.signer().index() < ACCEPTORS => {
            Unsigned::new(s.signer(), s.refs().iter().copied()).sign(&signer(s.signer()))
        }
        Body::Signed(_) => {
            prop_assert!(v.verify(&m).is_err(), "unknown signer verified");
            return Ok(());
        }
    };
    prop_assert_eq!(resigned.id(), m.id());
    prop_assert!(
        v.verify(&resigned).is_ok(),
        "a re-signed message fails to verify"
    );
    let rejected = deliver(&mut store, &mut pending, plimits, resigned.clone())?;
    if store.contains(&resigned.id()) {
        bump(&counts.resigned_accepted);
    } else if let Some(Rejection::IllFormed(_)) = rejected {
        bump(&counts.resigned_ill_formed);
    } else if pending.holds(&resigned.id()) {
        bump(&counts.held);
    }
    // Once the rest of the corpus run arrives, everything held whose
    // references are now known is accepted or refused.
    for (_, b) in &corpus[prefix..] {
        let cm = wire::decode(b, &Limits::default()).unwrap();
        deliver(&mut store, &mut pending, plimits, cm)?;
    }
    let stale: Vec<_> = pending.missing().filter(|m| store.contains(m)).collect();
    prop_assert!(
        stale.is_empty(),
        "messages are held for references the store accepted: {:?}",
        stale
    );
    Ok(())
}

/// Mutated and arbitrary bytes never make decoding, verification or
/// ingestion panic; whatever decodes respects the limits and round-trips,
/// and every delivered message ends accepted, held or refused.
#[test]
fn mutated_wire_bytes_decode_verify_and_ingest_without_panic() {
    let corpus = mutate::read_corpus("wire");
    let counts = Counts::default();
    let cases = mutate::cases(DEFAULT_CASES);
    let ran = mutate::run(cases, case(), |c| run_case(&c, &corpus, &counts));
    assert!(ran >= cases);
    let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    let summary = format!(
        "decoded {}, refused {}, verified {} ({} mutated), re-signed accepted {}, ill-formed {}, held {}",
        get(&counts.decoded),
        get(&counts.refused),
        get(&counts.verified),
        get(&counts.mutated_but_verified),
        get(&counts.resigned_accepted),
        get(&counts.resigned_ill_formed),
        get(&counts.held),
    );
    eprintln!("{cases} cases: {summary}");
    if cases >= DEFAULT_CASES / 2 {
        // Not vacuous: every outcome was reached.
        for c in [
            &counts.decoded,
            &counts.refused,
            &counts.verified,
            &counts.mutated_but_verified,
            &counts.resigned_accepted,
            &counts.resigned_ill_formed,
            &counts.held,
        ] {
            assert!(get(c) > 0, "an outcome was never reached: {summary}");
        }
    }
}
