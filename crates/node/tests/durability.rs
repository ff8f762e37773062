//! Durable acceptors in one process: a failed sync stops the acceptor before
//! its message leaves, and acceptors killed and restarted at random from
//! their logs (`hetpaxos-cluster --chaos`) never equivocate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{net, red_blue};
use hetpaxos_config_gen::homogeneous;
use hetpaxos_learner::LearnerEvent;
use hetpaxos_node::acceptor_log::AcceptorLog;
use hetpaxos_node::chaos::{ChaosConfig, run_chaos};
use hetpaxos_node::local::LocalCluster;
use hetpaxos_node::{recover_acceptor, serve_acceptor, spawn_learner, spawn_proposer};
use hetpaxos_proposer::ProposerConfig;
use hetpaxos_wal::{LogFile, Wal};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A log file in memory whose `fdatasync` always fails.
#[derive(Clone, Default)]
struct FailingSync {
    bytes: Arc<Mutex<Vec<u8>>>,
    syncs: Arc<AtomicUsize>,
}

impl LogFile for FailingSync {
    fn read_all(&mut self) -> io::Result<Vec<u8>> {
        Ok(self.bytes.lock().unwrap().clone())
    }
    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let mut b = self.bytes.lock().unwrap();
        let end = offset as usize + buf.len();
        if b.len() < end {
            b.resize(end, 0);
        }
        b[offset as usize..end].copy_from_slice(buf);
        Ok(())
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.bytes.lock().unwrap().resize(len as usize, 0);
        Ok(())
    }
    fn sync_data(&mut self) -> io::Result<()> {
        self.syncs.fetch_add(1, Ordering::SeqCst);
        Err(io::Error::other("injected fsync failure"))
    }
}

/// Acceptor A's fsync fails at its first own message: A stops with an error
/// naming the sync, and nothing it signed ever leaves it; it does not retry
/// the sync. B, C and D decide without it (the control: the run works).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_stops_the_acceptor_before_it_sends() {
    let mut local = LocalCluster::bind(&homogeneous(4, 1).unwrap())
        .await
        .unwrap();
    local.start_all_but(&[0], net()).await.unwrap();
    let setup = local.setups[0].clone();
    let file = FailingSync::default();
    // Creating the log writes its magic and syncs: let that pass.
    let (wal, payloads, _) = {
        let f = file.clone();
        f.bytes
            .lock()
            .unwrap()
            .extend_from_slice(&hetpaxos_wal::MAGIC);
        Wal::open_with(Box::new(f), "injected.wal".into()).unwrap()
    };
    let (log, records) = AcceptorLog::on_wal(wal, &payloads).unwrap();
    let opened = recover_acceptor(&setup, log, records, Default::default()).unwrap();
    let listener = hetpaxos_node::bind(setup.address()).await.unwrap();
    let mut a = serve_acceptor(opened, listener, net()).unwrap();

    // Watch everything A sends on a stream of its own, and B's likewise
    // (the control: the watcher sees B's own messages).
    let (seen, watcher) = common::watch(&local.cluster, local.learner.key(), 0);
    let (seen_b, watcher_b) = common::watch(&local.cluster, local.learner.key(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_learner, mut events) = spawn_learner(&local.learner, net()).unwrap();
    let _proposer = spawn_proposer(
        local.proposer(0),
        b"v".to_vec(),
        ProposerConfig::default(),
        net(),
    )
    .unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(10), a.wait())
        .await
        .expect("A kept running after its sync failed");
    let err = format!("{:#}", stopped.unwrap_err());
    assert!(err.contains("sync"), "{err}");
    let decided = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("B, C and D did not decide");
    assert!(matches!(decided, Some(LearnerEvent::Decided(_))));
    let b = local.setups[1].id;
    let mut b_signed = false;
    for _ in 0..50 {
        b_signed = seen_b.lock().unwrap().iter().any(|m| m.signer() == Some(b));
        if b_signed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(b_signed, "the watcher of B saw none of B's own messages");
    watcher_b.abort();
    let seen = seen.lock().unwrap().clone();
    let me = setup.id;
    assert!(
        seen.iter().all(|m| m.signer() != Some(me)),
        "A sent an own message whose record was not durable"
    );
    assert_eq!(
        file.syncs.load(Ordering::SeqCst),
        1,
        "a failed sync was retried"
    );
    watcher.abort();
}

/// In one process: acceptors killed and restarted at random for a few
/// seconds while two proposers compete (homogeneous and red/blue): every
/// learner decides, they agree, nobody is caught, and a new learner learns
/// the same decisions after every acceptor was restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_in_process() {
    for (seed, desc) in [(1, homogeneous(4, 1).unwrap()), (2, red_blue())] {
        let mut local = LocalCluster::bind(&desc).await.unwrap();
        local.start_all_but(&[], net()).await.unwrap();
        let report = run_chaos(
            &mut local,
            &ChaosConfig {
                duration: Duration::from_secs(3),
                seed,
                values: vec![b"x".to_vec(), b"y".to_vec()],
                settle: Duration::from_secs(20),
                net: net(),
            },
        )
        .await
        .unwrap();
        eprintln!(
            "seed {seed}: {} kills, {} restarts, {:?}",
            report.kills,
            report.restarts,
            report
                .decisions
                .values()
                .map(|d| d.value.clone())
                .collect::<Vec<_>>()
        );
        assert!(report.kills >= 5, "{report:?}");
        assert!(report.ok(local.cluster.graph.num_learners()), "{report:?}");
        assert_eq!(report.relearned, Some(true));
    }
}
