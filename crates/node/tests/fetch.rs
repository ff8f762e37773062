//! Fetch by id against a real acceptor process, through the hostile peer's
//! own transport (`hostile/raw.rs`), as acceptor D:
//! - A asks the sender for a reference it lacks, and accepts the waiting
//!   message only once it is answered;
//! - A answers a summary of what a peer holds with what the peer lacks
//!   (catch-up by difference), and a request for a message it holds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;
#[path = "hostile/raw.rs"]
mod raw;

use common::{acceptor_process, tmpdir, write_cluster};
use hetpaxos_config::{Role, load_acceptor, load_client};
use hetpaxos_config_gen::homogeneous;
use hetpaxos_messages::{Message, MessageId, Unsigned, wire};
use hetpaxos_node::now_nanos;
use hetpaxos_proto::v1 as pb;
use std::time::{Duration, Instant};

/// How many copies of the message `id` `raw` has received.
fn copies(s: &raw::Stream, id: MessageId) -> usize {
    let limits = hetpaxos_messages::Limits::default();
    s.received
        .kept
        .lock()
        .unwrap()
        .iter()
        .filter(|m| wire::from_proto((*m).clone(), &limits).is_ok_and(|m| m.id() == id))
        .count()
}

/// Whether `raw` has received the message `id`.
fn received(s: &raw::Stream, id: MessageId) -> bool {
    copies(s, id) > 0
}

/// The ids `raw` was asked for.
fn wanted(s: &raw::Stream) -> Vec<MessageId> {
    s.received
        .kept
        .lock()
        .unwrap()
        .iter()
        .filter_map(|m| match &m.kind {
            Some(pb::consensus_message::Kind::Want(w)) => Some(w.ids.clone()),
            _ => None,
        })
        .flatten()
        .filter_map(|b| hetpaxos_messages::Hash32::from_slice(&b).map(MessageId))
        .collect()
}

/// A summary saying the sender holds nothing.
fn holds_nothing() -> pb::ConsensusMessage {
    pb::ConsensusMessage {
        kind: Some(pb::consensus_message::Kind::Have(pb::Have::default())),
    }
}

async fn until(what: impl Fn() -> bool, within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if what() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    what()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acceptor_fetches_what_it_lacks_and_answers_what_it_has() {
    let dir = tmpdir("fetch", "raw");
    write_cluster(&dir, &homogeneous(4, 1).unwrap());
    let _a = acceptor_process(&dir, "A", &[], "warn");
    let a = load_acceptor(&dir.join("A.json")).unwrap();
    let d = load_acceptor(&dir.join("D.json")).unwrap();
    let proposer = load_client(&dir.join("proposer.json"), Role::Proposer)
        .unwrap()
        .proposal_signer()
        .unwrap();
    let signer = d.signer();
    // Two 1as, D's 1b for the first (m1), and D's 1b for the second (m2),
    // which references m1.
    let t = now_nanos() - 1_000_000_000;
    let p = Message::signed_proposal(t, &b"v"[..], &*proposer);
    let p2 = Message::signed_proposal(t + 1, &b"w"[..], &*proposer);
    let m1 = Unsigned::new(d.id, [p.id()]).sign(&*signer);
    let m2 = Unsigned::new(d.id, [m1.id(), p2.id()]).sign(&*signer);

    let start = Instant::now();
    let mut s = loop {
        match raw::open(a.address(), d.key()).await {
            Ok(s) => break s,
            Err(_) if start.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot reach A: {e}"),
        }
    };
    s.message(&wire::to_proto(&p)).await.unwrap();
    s.message(&wire::to_proto(&p2)).await.unwrap();
    s.message(&wire::to_proto(&m2)).await.unwrap();
    s.flush().await.unwrap();

    // A asks us, the sender, for m1, and does not accept m2 before it has it.
    assert!(
        until(|| wanted(&s).contains(&m1.id()), Duration::from_secs(10)).await,
        "A never asked for the missing reference"
    );
    // Told that we hold nothing, A sends what it accepted: the 1as, not m2.
    s.message(&holds_nothing()).await.unwrap();
    s.flush().await.unwrap();
    assert!(
        until(|| received(&s, p2.id()), Duration::from_secs(10)).await,
        "A did not answer the summary with the 1as it holds"
    );
    assert!(received(&s, p.id()));
    assert!(
        !received(&s, m2.id()),
        "A accepted m2 without its reference"
    );

    // Answered, both are accepted (the positive control): the next summary
    // gets them, once each.
    s.message(&wire::to_proto(&m1)).await.unwrap();
    s.flush().await.unwrap();
    let mut got = false;
    for _ in 0..50 {
        s.message(&holds_nothing()).await.unwrap();
        s.flush().await.unwrap();
        if until(|| received(&s, m2.id()), Duration::from_millis(200)).await {
            got = true;
            break;
        }
    }
    assert!(got, "A never accepted m2 after its reference arrived");
    assert_eq!(copies(&s, p.id()), 1, "a 1a was sent twice on one stream");

    // A answers a request for a message it holds, and ignores unknown ids.
    let mut asker = raw::open(a.address(), d.key()).await.unwrap();
    let unknown = Unsigned::new(d.id, [m2.id()]).sign(&*signer).id();
    let want = pb::ConsensusMessage {
        kind: Some(pb::consensus_message::Kind::Want(pb::Want {
            ids: vec![
                unknown.0.as_bytes().to_vec(),
                m1.id().0.as_bytes().to_vec(),
                vec![1, 2, 3], // not an id
            ],
        })),
    };
    // Catch-up on a new stream sends everything A has: count the copies of
    // m1 before and after asking.
    asker.message(&holds_nothing()).await.unwrap();
    asker.flush().await.unwrap();
    assert!(until(|| copies(&asker, m1.id()) == 1, Duration::from_secs(10)).await);
    asker.message(&want).await.unwrap();
    asker.flush().await.unwrap();
    assert!(
        until(|| copies(&asker, m1.id()) == 2, Duration::from_secs(10)).await,
        "A did not answer the request"
    );
    assert!(!received(&asker, unknown));
}
