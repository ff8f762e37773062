//! Recovery from every prefix of an acceptor's log, over random runs: the
//! recovered acceptor has the facts and state the live one had at that
//! point, and whatever it signs afterwards never forks its chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Input, Record};
use hetpaxos_messages::{Message, MessageStore};
use hetpaxos_proposer::ProposerConfig;
use hetpaxos_quorums::{AcceptorId, LearnerGraph, examples};
use hetpaxos_sim::{Order, Sim};
use proptest::prelude::*;
use std::sync::Arc;

const VALUES: [&[u8]; 3] = [b"alpha", b"beta", b"gamma"];

fn graph(i: usize) -> Arc<LearnerGraph> {
    Arc::new(if i == 0 {
        examples::homogeneous(4, 2).unwrap()
    } else {
        examples::red_blue().unwrap()
    })
}

/// A live acceptor at a step boundary with nothing in its outbox, and the
/// length of its log then.
struct Snapshot {
    log_len: usize,
    acceptor: Acceptor,
}

/// A random scenario: `phases` successive proposers (each a new ballot;
/// competing ones when `competing`), run to quiescence in a random order,
/// with one crash of `slot` after `crash.0` deliveries that keeps `crash.1`
/// unsynced records, and an immediate restart from its log.
#[derive(Clone, Copy, Debug)]
struct Scenario {
    graph: usize,
    seed: u64,
    phases: usize,
    competing: bool,
    slot: usize,
    crash: Option<(u16, u8)>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        0..2usize,
        any::<u64>(),
        1..=4usize,
        any::<bool>(),
        0..4usize,
        proptest::option::of((0..200u16, 0..4u8)),
    )
        .prop_map(|(graph, seed, phases, competing, slot, crash)| Scenario {
            graph,
            seed,
            phases,
            competing,
            slot,
            crash,
        })
}

/// Runs `sc`, snapshotting slot `sc.slot` whenever its log grew.
fn run(sc: Scenario) -> (Sim, Vec<Snapshot>) {
    let mut sim = Sim::new(graph(sc.graph), Order::Random, sc.seed);
    let slot = sc.slot;
    let mut snapshots: Vec<Snapshot> = Vec::new();
    let mut last = 0;
    let mut delivered = 0u16;
    for phase in 0..sc.phases {
        let starts = if sc.competing { 2 } else { 1 };
        for k in 0..starts {
            let v = VALUES[(phase + k) % VALUES.len()];
            let p = sim.add_proposer(v, ProposerConfig::default());
            sim.start(p);
        }
        for _ in 0..4_000 {
            if sim.run(1) == 0 {
                break;
            }
            delivered = delivered.saturating_add(1);
            if let Some((at, kept)) = sc.crash
                && at == delivered
            {
                sim.crash_keeping(slot, usize::from(kept));
                let len = sim.slots[slot].log.records.len();
                snapshots.retain(|s| s.log_len <= len);
                last = len;
                sim.restart(slot).expect("restart");
            }
            let s = &sim.slots[slot];
            if s.log.records.len() != last && s.acceptor.outbox_len() == 0 {
                last = s.log.records.len();
                snapshots.push(Snapshot {
                    log_len: last,
                    acceptor: s.acceptor.clone(),
                });
            }
        }
    }
    (sim, snapshots)
}

fn recover(sim: &Sim, slot: usize, records: &[Record]) -> Acceptor {
    let id = sim.slots[slot].acceptor.id();
    let (mut a, _) = Acceptor::recover(
        sim.graph.clone(),
        Arc::new(sim.signer(id)),
        sim.verifier(),
        AcceptorLimits::default(),
        records.to_vec(),
    )
    .expect("a log the acceptor wrote recovers");
    let _ = a.handle(Input::Tick { now: u64::MAX / 2 });
    a
}

/// Every derived fact of every message of `recovered` equals its fact in
/// `live` (facts depend only on a message's history, which both hold).
fn same_facts(recovered: &MessageStore, live: &MessageStore) -> Result<(), TestCaseError> {
    let graph = live.graph().clone();
    for m in recovered.messages() {
        let r = recovered.facts(&m.id()).unwrap();
        let l = live.facts(&m.id()).unwrap();
        prop_assert_eq!(r.kind(), l.kind());
        prop_assert_eq!(r.ballot(), l.ballot());
        prop_assert_eq!(r.value_hash(), l.value_hash());
        prop_assert_eq!(r.caught(), l.caught());
        prop_assert_eq!(r.fresh(), l.fresh());
        prop_assert_eq!(r.seq(), l.seq());
        for a in graph.learner_ids() {
            prop_assert_eq!(r.connected(a), l.connected(a));
            prop_assert_eq!(r.q_signers(a), l.q_signers(a));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("HETPAXOS_SIM_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(24)
    ))]

    /// For random runs and every cut point of one acceptor's log: recovery
    /// accepts the prefix, reproduces every fact, equals the live acceptor
    /// where the cut is a step boundary, and after being fed every message of
    /// the run that it could have been sent, has signed nothing that forks
    /// its chain.
    #[test]
    fn recovery_from_every_prefix(sc in scenario()) {
        let slot = sc.slot;
        let (sim, snapshots) = run(sc);
        let records = sim.slots[slot].log.records.clone();
        let me = sim.slots[slot].acceptor.id();
        prop_assert!(records.len() > 2, "the acceptor took part");
        prop_assert!(!snapshots.is_empty());
        // Everything sent in the run, in an order that respects references.
        let everything: Vec<Message> = sim.learner.store().messages().cloned().collect();
        let live = sim.slots[slot].acceptor.store();
        for cut in 0..=records.len() {
            let mut r = recover(&sim, slot, &records[..cut]);
            let logged = records[..cut].iter().filter(|x| matches!(x, Record::Accepted(_))).count();
            let logged_head = records[..cut]
                .iter()
                .rev()
                .map(Record::message)
                .find(|m| m.signer() == Some(me))
                .map(Message::id);
            if r.store().len() == logged {
                prop_assert_eq!(r.last_own(), logged_head);
                same_facts(r.store(), live)?;
            } else {
                // The crash cut off an emission: recovery signed one more
                // message, which continues the chain from the logged head.
                prop_assert_eq!(r.store().len(), logged + 1);
                let head = r.last_own().unwrap();
                let f = r.store().facts(&head).unwrap();
                let expected_seq = logged_head.map_or(0, |h| r.store().facts(&h).unwrap().seq() + 1);
                prop_assert_eq!(f.seq(), expected_seq);
                // Its predecessor is the logged head: in its history, one
                // sequence number below (a direct reference, unless a
                // message of another acceptor that has the head in its own
                // history stands for it: "Bounded `recent`").
                if let Some(h) = logged_head {
                    prop_assert!(f.has_in_history(h));
                }
            }
            if let Some(s) = snapshots.iter().find(|s| s.log_len == cut) {
                prop_assert_eq!(r.store().sorted_ids(), s.acceptor.store().sorted_ids());
                prop_assert_eq!(r.recent(), s.acceptor.recent());
                prop_assert_eq!(r.sent_2a(), s.acceptor.sent_2a());
                prop_assert_eq!(r.max_ballot(), s.acceptor.max_ballot());
                prop_assert_eq!(r.last_own(), s.acceptor.last_own());
            }
            // Own messages after the cut were never sent (their records were
            // not durable), so no peer has them: feed everything else.
            let lost: Vec<_> = records[cut..]
                .iter()
                .map(Record::message)
                .filter(|m| m.signer() == Some(me))
                .map(Message::id)
                .collect();
            for m in &everything {
                if !lost.contains(&m.id()) {
                    let _ = r.handle(Input::Receive(m.clone()));
                    let _ = r.handle(Input::Persisted { up_to: r.log_end() });
                }
            }
            prop_assert!(r.halted().is_none(), "halted at cut {}", cut);
            prop_assert_eq!(r.store().fork_evidence(me), None, "forked at cut {}", cut);
            let own_after = r.store().messages().filter(|m| m.signer() == Some(me)).count();
            let own_before = records[..cut].iter().filter(|x| x.message().signer() == Some(me)).count();
            prop_assert!(own_after >= own_before);
        }
    }
}

/// The negative control of the property above: an acceptor that lost its
/// log (a wiped data directory) signs a first message for a new ballot, then
/// is fed the run's messages. Its new message forks its old chain, and it
/// halts on its own earlier messages: the checks above would fail.
#[test]
fn a_lost_log_forks_the_chain_and_halts() {
    let (sim, _) = run(Scenario {
        graph: 0,
        seed: 3,
        phases: 2,
        competing: true,
        slot: 0,
        crash: None,
    });
    let me: AcceptorId = sim.slots[0].acceptor.id();
    let mut r = recover(&sim, 0, &[]);
    let new = Message::signed_proposal(u64::MAX / 4, &b"new"[..], &sim.proposal_signer(0));
    let _ = r.handle(Input::Receive(new));
    let _ = r.handle(Input::Persisted { up_to: r.log_end() });
    let everything: Vec<Message> = sim.learner.store().messages().cloned().collect();
    assert!(everything.iter().any(|m| m.signer() == Some(me)));
    let mut learner_view = MessageStore::new(sim.graph.clone());
    for m in everything.iter().chain(r.store().messages()) {
        let _ = learner_view.insert(m.clone());
    }
    assert!(learner_view.fork_evidence(me).is_some(), "the chain forked");
    for m in &everything {
        let _ = r.handle(Input::Receive(m.clone()));
    }
    assert!(r.halted().is_some(), "it saw its own earlier messages");
}
