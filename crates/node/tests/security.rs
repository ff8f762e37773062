//! Authenticated transport: a generated cluster decides over mutual TLS out
//! of the box; outsiders, impostors, unlisted clients, unsigned and
//! non-proposer 1as are refused, each with the line the acceptor logs;
//! `--insecure` on one end only gives a clear error, not a hang; a
//! configured proposer that floods 1as does not keep the cluster from
//! deciding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{Proc, acceptor_process, net, proposer_process, tls_client, watch, write_cluster};
use ed25519_dalek::SigningKey;
use futures_util::StreamExt as _;
use hetpaxos_config::{Role, load_acceptor, load_client};
use hetpaxos_config_gen::{add_client, homogeneous};
use hetpaxos_learner::LearnerEvent;
use hetpaxos_messages::{Ed25519ProposalSigner, Message, ProposerId, wire};
use hetpaxos_node::local::LocalCluster;
use hetpaxos_node::{now_nanos, spawn_learner, spawn_proposer};
use hetpaxos_proposer::ProposerConfig;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const LEARNER: &str = env!("CARGO_BIN_EXE_hetpaxos-learner");

/// Starts acceptor `name` of the cluster in `dir`, stderr to `DIR/<name>.log`.
fn acceptor(dir: &Path, name: &str, extra: &[&str]) -> Proc {
    acceptor_process(
        dir,
        name,
        extra,
        "warn,hetpaxos_node::roles=debug,hetpaxos_node::net=info",
    )
}

fn tmpdir(tag: &str) -> PathBuf {
    common::tmpdir("security", tag)
}

fn acceptors(dir: &Path, extra: &[&str]) -> Vec<Proc> {
    ["A", "B", "C", "D"]
        .iter()
        .map(|n| acceptor(dir, n, extra))
        .collect()
}

/// Waits until acceptor `name`'s log contains `needle`; returns the log.
fn log_contains(dir: &Path, name: &str, needle: &str) -> String {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
        if log.contains(needle) || Instant::now() > end {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn learner(dir: &Path, config: &str, extra: &[&str]) -> Output {
    Command::new(LEARNER)
        .args([
            "--config",
            dir.join(config).to_str().unwrap(),
            "--until-decided",
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// A cluster from the generator decides over TLS with no option at all, and
/// with --insecure on every node too.
#[test]
fn generated_clusters_decide_with_tls_and_with_insecure_everywhere() {
    for extra in [&[][..], &["--insecure"][..]] {
        let d = tmpdir(if extra.is_empty() { "tls" } else { "insecure" });
        write_cluster(&d, &homogeneous(4, 1).unwrap());
        let _acceptors = acceptors(&d, extra);
        let _proposer = proposer_process(&d, "v", extra);
        let mut args = vec!["--timeout", "20"];
        args.extend_from_slice(extra);
        let out = learner(&d, "learner.json", &args);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("decided \"v\""));
        let log = log_contains(&d, "A", "serving");
        assert!(log.contains(&format!("tls={}", extra.is_empty())), "{log}");
    }
}

/// `--insecure` on one end only: the client gives up at its timeout with a
/// line saying what is wrong, and the acceptor logs why it refused.
#[test]
fn insecure_on_one_end_only_is_a_clear_error() {
    let d = tmpdir("mismatch");
    write_cluster(&d, &homogeneous(4, 1).unwrap());
    {
        let _acceptors = acceptors(&d, &["--insecure"]);
        log_contains(&d, "D", "serving");
        let out = learner(&d, "learner.json", &["--timeout", "3"]);
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("runs with --insecure"), "learner: {err}");
        let log = log_contains(&d, "A", "refused");
        assert!(log.contains("this acceptor runs with --insecure"), "{log}");
    }
    let d = tmpdir("mismatch2");
    write_cluster(&d, &homogeneous(4, 1).unwrap());
    let _acceptors = acceptors(&d, &[]);
    log_contains(&d, "D", "serving");
    let out = learner(&d, "learner.json", &["--timeout", "3", "--insecure"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("without --insecure"), "learner: {err}");
    let log = log_contains(&d, "A", "refused");
    assert!(log.contains("this acceptor requires TLS"), "{log}");
}

/// Outsiders and impostors: a plaintext client, a TLS client whose key is
/// not in the config, a learner added to the config after the acceptors
/// started (so not in theirs), a member claiming to be another, and an
/// acceptor presenting another acceptor's certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outsiders_and_impostors_are_refused() {
    let d = tmpdir("outsiders");
    write_cluster(&d, &homogeneous(4, 1).unwrap());
    let _acceptors = acceptors(&d, &[]);
    let cluster = load_acceptor(&d.join("A.json")).unwrap().cluster;
    let b = load_acceptor(&d.join("B.json")).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Plaintext.
    let plain = format!("http://{}", cluster.config.acceptors[0].address);
    let mut client = hetpaxos_node::rpc::acceptor_client::AcceptorClient::connect(plain)
        .await
        .unwrap();
    assert!(
        client
            .exchange(futures_util::stream::pending())
            .await
            .is_err()
    );
    let log = log_contains(&d, "A", "a plaintext connection");
    assert!(log.contains("refused: a plaintext connection"), "{log}");
    // A self-signed certificate of a key that is not in the config.
    let stranger = SigningKey::from_bytes(&[42; 32]);
    let refused = match tls_client(&cluster, &stranger, 0).await {
        Err(_) => true,
        Ok(mut c) => c.exchange(futures_util::stream::pending()).await.is_err(),
    };
    assert!(refused, "a stranger got a stream");
    let log = log_contains(&d, "A", "TLS handshake failed");
    assert!(log.contains("must present the key of a member"), "{log}");
    // A learner added after the acceptors started: not in their config.
    add_client(&d, Role::Learner, "late").unwrap();
    let out = learner(&d, "late.json", &["--timeout", "2"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is this node's key in"), "{err}");
    // B's key, claiming to be C.
    let mut c = tls_client(&cluster, b.key(), 0).await.unwrap();
    let mut request = tonic::Request::new(futures_util::stream::pending());
    request
        .metadata_mut()
        .insert("hetpaxos-member", "acceptor/C".parse().unwrap());
    let status = c.exchange(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert!(status.message().contains("authenticated as acceptor/B"));
    log_contains(&d, "A", "claims another member");
    // A server presenting B's certificate where A should be: a learner
    // that dials A pins A's key and refuses it.
    drop(_acceptors);
    let addr_a = cluster.config.acceptors[0].address.clone();
    let _impostor = acceptor(&d, "B", &["--listen", &addr_a]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let a_key = load_acceptor(&d.join("A.json")).unwrap().key().clone();
    let refused = match tls_client(&cluster, &a_key, 0).await {
        Err(e) => format!("{e:?}"),
        Ok(mut c) => format!(
            "{:?}",
            c.exchange(futures_util::stream::pending()).await.err()
        ),
    };
    assert!(
        refused.contains("certificate") || refused.contains("Certificate"),
        "{refused}"
    );
}

/// 1as: an unsigned one, and one signed with a key that is not a
/// proposer's, are refused by the acceptor (it logs why) even on a stream it
/// takes everything from; a proposer's stream may carry only its own 1as.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_and_non_proposer_1as_are_refused() {
    let d = tmpdir("proposals");
    write_cluster(&d, &homogeneous(4, 1).unwrap());
    let _acceptors = acceptors(&d, &[]);
    let b = load_acceptor(&d.join("B.json")).unwrap();
    let cluster = b.cluster.clone();
    let learner = load_client(&d.join("learner.json"), Role::Learner).unwrap();
    let proposer = load_client(&d.join("proposer.json"), Role::Proposer).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let unsigned = Message::proposal(1, &b"anyone"[..]);
    let fake = Ed25519ProposalSigner::new(ProposerId(0), learner.key().clone(), cluster.context);
    let not_a_proposer = Message::signed_proposal(2, &b"learner"[..], &fake);
    let msgs = vec![wire::to_proto(&unsigned), wire::to_proto(&not_a_proposer)];
    // On a stream authenticated as acceptor B (everything is taken from it).
    let mut c = tls_client(&cluster, b.key(), 0).await.unwrap();
    let _s = c
        .exchange(futures_util::stream::iter(msgs).chain(futures_util::stream::pending()))
        .await
        .unwrap();
    let log = log_contains(&d, "A", "invalid 1a signature");
    assert!(log.contains("unsigned 1a"), "{log}");
    assert!(log.contains("invalid 1a signature by proposer#0"), "{log}");
    // On the proposer's stream, a 1a signed as another proposer is dropped.
    let other = Ed25519ProposalSigner::new(ProposerId(5), proposer.key().clone(), cluster.context);
    let m = wire::to_proto(&Message::signed_proposal(3, &b"x"[..], &other));
    let mut c = tls_client(&cluster, proposer.key(), 0).await.unwrap();
    let _s = c
        .exchange(futures_util::stream::iter(vec![m]).chain(futures_util::stream::pending()))
        .await
        .unwrap();
    let log = log_contains(&d, "A", "may not send");
    assert!(log.contains("proposer/proposer"), "{log}");
}

/// A configured proposer that floods every acceptor with 1as at "now" (one
/// per millisecond, rising timestamps) does not keep the cluster from
/// deciding while another proposer proposes; acceptors join few of its
/// ballots (one per 50 ms each), though they take them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_proposer_does_not_stop_decisions() {
    let mut local = LocalCluster::bind(&homogeneous(4, 1).unwrap())
        .await
        .unwrap();
    local.start_all_but(&[], net()).await.unwrap();
    let flooder = local.proposer(0).clone();
    let signer = flooder.proposal_signer().unwrap();
    let cluster = local.cluster.clone();
    // Watch everything acceptor A sends, as the learner.
    let (seen, watcher) = watch(&cluster, local.learner.key(), 0);
    let mut floods = Vec::new();
    for i in 0..cluster.keys.len() {
        let (c2, key, signer) = (cluster.clone(), flooder.key().clone(), signer.clone());
        floods.push(tokio::spawn(async move {
            let mut c = tls_client(&c2, &key, i).await.unwrap();
            let stream = futures_util::stream::unfold(0u64, move |k| {
                let signer = signer.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let m = Message::signed_proposal(now_nanos() + k, &b"flood"[..], &*signer);
                    Some((wire::to_proto(&m), k + 1))
                }
            });
            let _ = c.exchange(stream).await;
            futures_util::future::pending::<()>().await;
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_learner, mut events) = spawn_learner(&local.learner, net()).unwrap();
    let _honest = spawn_proposer(
        local.proposer(1),
        b"honest".to_vec(),
        ProposerConfig::default(),
        net(),
    )
    .unwrap();
    let decided = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Some(LearnerEvent::Decided(d)) => return d,
                Some(_) => {}
                None => panic!("the learner stopped"),
            }
        }
    })
    .await
    .expect("no decision while a proposer floods");
    eprintln!("decided {:?}", String::from_utf8_lossy(&decided.value));
    // The watcher gets what A holds once A held it for the difference grace
    // (1 s): wait past it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for f in floods {
        f.abort();
    }
    watcher.abort();
    let seen = seen.lock().unwrap().clone();
    let flood_ids: std::collections::HashSet<_> = seen
        .iter()
        .filter(|m| {
            m.as_proposal()
                .and_then(|p| p.signed())
                .is_some_and(|s| s.proposer == ProposerId(0))
        })
        .map(Message::id)
        .collect();
    // Joined: a 1a that some acceptor's message references directly.
    let joined: std::collections::HashSet<_> = seen
        .iter()
        .filter(|m| m.signer().is_some())
        .flat_map(|m| m.refs().to_vec())
        .filter(|r| flood_ids.contains(r))
        .collect();
    eprintln!(
        "{} flooding 1as held by A, {} joined",
        flood_ids.len(),
        joined.len()
    );
    // A proposer stream is read at 100 messages per second, and A joins at
    // most one of its ballots per 50 ms.
    assert!(flood_ids.len() > 100, "the flood did not happen");
    assert!(
        joined.len() * 3 < flood_ids.len(),
        "most flooding 1as must not be joined"
    );
}
