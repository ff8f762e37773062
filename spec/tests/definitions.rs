//! Table tests: one small hand-built message DAG per definition of digest
//! §3.2, asserting the executable specification's answer **and** the message
//! store's answer. Acceptors are `A = 0`, `B = 1`, `C = 2`, `D = 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Net, acc, accs, lrn, vh};
use hetpaxos_messages::{Hash32, IllFormed, Kind, MessageId, Rejection};
use hetpaxos_quorums::{LearnerGraph, LearnerSet, examples};
use hetpaxos_spec::{MessageSet, NotWellFormed};
use std::collections::BTreeSet;
use std::sync::Arc;

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: usize = 3;

fn homogeneous() -> Arc<LearnerGraph> {
    Arc::new(examples::homogeneous(4, 1).unwrap())
}

fn red_blue() -> Arc<LearnerGraph> {
    Arc::new(examples::red_blue().unwrap())
}

fn set(ids: &[MessageId]) -> MessageSet {
    ids.iter().copied().collect()
}

fn learners(ids: &[usize]) -> LearnerSet {
    ids.iter().map(|&i| lrn(i)).collect()
}

/// "Sig": the signer of a signed message; none for a 1a (D3); lifted to sets.
#[test]
fn sig_is_the_signer() {
    let g = homogeneous();
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let b1 = net.ok(B, &[p1]);
    assert_eq!(net.spec.sig(p1), None);
    assert_eq!(net.store.facts(&p1).unwrap().signer(), None);
    assert_eq!(net.spec.sig(b1), Some(acc(B)));
    assert_eq!(net.store.facts(&b1).unwrap().signer(), Some(acc(B)));
    assert_eq!(net.spec.sig_set(&set(&[p1, b1])), accs(&[B]));
}

/// "Tran": `x` itself plus everything reachable through references, and
/// nothing else.
#[test]
fn tran_is_reflexive_and_transitive() {
    let g = homogeneous();
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let a1 = net.ok(A, &[p1]);
    let p2 = net.propose(2, "v2");
    let b2 = net.ok(B, &[p2, a1]);
    let p3 = net.propose(3, "v3");
    let c3 = net.ok(C, &[p3, b2]);
    assert_eq!(net.spec.tran(a1), Some(set(&[a1, p1])));
    assert_eq!(net.spec.tran(b2), Some(set(&[b2, p2, a1, p1])));
    assert_eq!(net.spec.tran(c3), Some(set(&[c3, p3, b2, p2, a1, p1])));
    let all = [p1, a1, p2, b2, p3, c3];
    for &y in &all {
        let f = net.store.facts(&y).unwrap();
        for &m in &all {
            let expected = net.spec.tran(y).unwrap().contains(&m);
            assert_eq!(net.spec.in_tran(m, y), Some(expected));
            assert_eq!(f.has_in_history(m), expected, "{m:?} in Tran({y:?})");
        }
    }
    assert!(!net.store.facts(&a1).unwrap().has_in_history(p2));
}

/// "Get1a", "b(x)", "V(x)": the highest-ballot 1a anywhere in `Tran(x)`.
#[test]
fn get1a_ballot_value_take_the_highest_1a() {
    let g = homogeneous();
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let p2 = net.propose(2, "v2");
    let a1 = net.ok(A, &[p1]);
    // B's 1b for p2 also references A's 1b for p1 (lower ballot: allowed).
    let b2 = net.ok(B, &[p2, a1]);
    // A 1b referencing two 1as directly: Get1a is the higher one.
    let c2 = net.ok(C, &[p1, p2]);
    for (x, p, v) in [
        (p1, p1, "v1"),
        (a1, p1, "v1"),
        (b2, p2, "v2"),
        (c2, p2, "v2"),
    ] {
        let f = net.store.facts(&x).unwrap();
        assert_eq!(net.spec.get1a(x), Some(p));
        assert_eq!(f.get1a(), p);
        let ballot = net.spec.ballot(p).unwrap();
        assert_eq!(net.spec.ballot(x), Some(ballot));
        assert_eq!(f.ballot(), ballot);
        assert_eq!(net.spec.value(x), Some(vh(v)));
        assert_eq!(f.value_hash(), vh(v));
    }
}

/// "Caught" (D3): two `Tran`-incomparable messages of one signer catch it; a
/// message referencing several 1as catches nobody; a signer whose own new
/// message references both branches of its fork is caught at that message.
#[test]
fn caught_from_equivocating_pair() {
    let g = homogeneous();
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let p2 = net.propose(2, "v2");
    let p3 = net.propose(3, "v3");
    // D forks: two 1bs, neither referencing the other.
    let d1 = net.ok(D, &[p1]);
    let d2 = net.ok(D, &[p2]);
    for x in [d1, d2] {
        assert_eq!(net.spec.caught(x), Some(accs(&[])));
        assert_eq!(net.store.facts(&x).unwrap().caught(), accs(&[]));
    }
    // 1as are unsigned: referencing many catches nobody (D3).
    let a = net.ok(A, &[p1, p2, p3]);
    assert_eq!(net.spec.caught(a), Some(accs(&[])));
    assert_eq!(net.store.facts(&a).unwrap().caught(), accs(&[]));
    // Anyone who sees both branches has D caught.
    let b3 = net.ok(B, &[p3, d1, d2]);
    assert_eq!(net.spec.caught(b3), Some(accs(&[D])));
    assert_eq!(net.store.facts(&b3).unwrap().caught(), accs(&[D]));
    // So does D's own message joining its branches.
    let d3 = net.ok(D, &[p3, d1, d2]);
    assert_eq!(net.spec.caught(d3), Some(accs(&[D])));
    assert_eq!(net.store.facts(&d3).unwrap().caught(), accs(&[D]));
    // And every later message seeing it.
    let p4 = net.propose(4, "v1");
    let c4 = net.ok(C, &[p4, d3]);
    assert_eq!(net.spec.caught(c4), Some(accs(&[D])));
    assert_eq!(net.store.facts(&c4).unwrap().caught(), accs(&[D]));
}

/// "Con_a" (D5): over the condensed graph; shrinks when every safe set of an
/// edge has a caught member. In `red_blue`, `blue–blue = red–blue = {ABC}`,
/// so catching `C` disconnects `blue` from everyone, while `red–red` keeps
/// `ABD`; catching `D` changes nothing.
#[test]
fn con_shrinks_when_safe_set_caught() {
    let g = red_blue();
    let (red, blue) = (lrn(0), lrn(1));
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let p2 = net.propose(2, "v2");
    let p3 = net.propose(3, "v3");
    let c1 = net.ok(C, &[p1]);
    let c2 = net.ok(C, &[p2]);
    let d1 = net.ok(D, &[p1]);
    let d2 = net.ok(D, &[p2]);
    let both = learners(&[0, 1]);
    for (a, expect) in [(red, both), (blue, both)] {
        assert_eq!(net.spec.con(a, c1), Some(expect));
        assert_eq!(net.store.facts(&c1).unwrap().connected(a), expect);
    }
    // C caught.
    let x = net.ok(A, &[p3, c1, c2]);
    assert_eq!(net.spec.caught(x), Some(accs(&[C])));
    for (a, expect) in [(red, learners(&[0])), (blue, learners(&[]))] {
        assert_eq!(net.spec.con(a, x), Some(expect));
        assert_eq!(net.store.facts(&x).unwrap().connected(a), expect);
        assert_eq!(g.connected(a, accs(&[C])), expect);
    }
    // D caught: ABC is still clear.
    let y = net.ok(B, &[p3, d1, d2]);
    assert_eq!(net.spec.caught(y), Some(accs(&[D])));
    for a in [red, blue] {
        assert_eq!(net.spec.con(a, y), Some(both));
        assert_eq!(net.store.facts(&y).unwrap().connected(a), both);
    }
}

/// 1b classification (D11): a signed message is a 1b iff `Get1a(x)` is one of
/// its direct references. Directly referencing some lower 1a does not make a
/// 1b.
#[test]
fn is_1b_iff_get1a_is_a_direct_ref() {
    let g = homogeneous();
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let a1 = net.ok(A, &[p1]);
    let b1 = net.ok(B, &[p1]);
    let c1 = net.ok(C, &[p1]);
    assert_eq!(net.spec.is_1b(a1), Some(true));
    assert!(net.store.facts(&a1).unwrap().is_1b());
    assert_eq!(net.store.facts(&a1).unwrap().kind(), Kind::OneB);
    // A's 2a: p1 only transitively.
    let m = net.ok(A, &[a1, b1, c1]);
    assert_eq!(net.spec.is_1b(m), Some(false));
    assert!(!net.store.facts(&m).unwrap().is_1b());
    assert_eq!(
        net.store.facts(&m).unwrap().kind(),
        Kind::TwoA(learners(&[0]))
    );
    // Not a 1b: its direct 1a p1 is not Get1a (p2 is, transitively); and not
    // a 2a either.
    let p2 = net.propose(2, "v2");
    let d2 = net.ok(D, &[p2]);
    let (e, r) = net.rejected(B, &[p1, d2]);
    let ballot = net.spec.ballot(p2).unwrap();
    assert_eq!(e, NotWellFormed::NotA2a { ballot });
    assert_eq!(r, Rejection::IllFormed(IllFormed::NotA2a { ballot }));
    assert_eq!(net.spec.is_1a(p1), Some(true));
    assert_eq!(net.spec.is_1b(p1), Some(false));
}

/// WellFormed for 1bs (D4): a 1b references nothing else of its own ballot.
#[test]
fn one_b_referencing_same_ballot_is_rejected() {
    let g = homogeneous();
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let a1 = net.ok(A, &[p1]);
    let (e, r) = net.rejected(B, &[p1, a1]);
    assert_eq!(e, NotWellFormed::OneBSameBallot { other: a1 });
    assert_eq!(
        r,
        Rejection::IllFormed(IllFormed::OneBSameBallot { other: a1 })
    );
    // Also when the same-ballot message is only reached transitively through
    // a same-ballot 2a.
    let b1 = net.ok(B, &[p1]);
    let c1 = net.ok(C, &[p1]);
    let m = net.ok(A, &[a1, b1, c1]);
    let (e, r) = net.rejected(D, &[p1, m]);
    assert!(matches!(e, NotWellFormed::OneBSameBallot { .. }), "{e:?}");
    assert!(
        matches!(r, Rejection::IllFormed(IllFormed::OneBSameBallot { .. })),
        "{r:?}"
    );
    // Lower-ballot history is fine.
    let p2 = net.propose(2, "v2");
    let d2 = net.ok(D, &[p2, m, a1]);
    assert_eq!(net.spec.is_1b(d2), Some(true));
    assert!(net.store.facts(&d2).unwrap().is_1b());
}

/// WellFormed for 2as (D2, D11): `Sig(q_l(x))` contains a quorum of `l` and
/// the sender's own fresh 1b.
#[test]
fn two_a_needs_own_fresh_1b() {
    let g = homogeneous();
    let l0 = lrn(0);
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let a1 = net.ok(A, &[p1]);
    let b1 = net.ok(B, &[p1]);
    let c1 = net.ok(C, &[p1]);
    let ballot = net.spec.ballot(p1).unwrap();
    // A quorum of 1bs, but not D's own: not a 2a (D2).
    let (e, r) = net.rejected(D, &[a1, b1, c1]);
    assert_eq!(e, NotWellFormed::NotA2a { ballot });
    assert_eq!(r, Rejection::IllFormed(IllFormed::NotA2a { ballot }));
    // Own 1b but no quorum.
    let (e, r) = net.rejected(A, &[a1, b1]);
    assert_eq!(e, NotWellFormed::NotA2a { ballot });
    assert_eq!(r, Rejection::IllFormed(IllFormed::NotA2a { ballot }));
    // Own 1b and a quorum.
    let m = net.ok(A, &[a1, b1, c1]);
    assert_eq!(net.spec.two_a_learners(m), Some(learners(&[0])));
    assert_eq!(net.spec.is_2a_for(m, l0), Some(true));
    assert_eq!(
        net.store.facts(&m).unwrap().two_a_learners(),
        learners(&[0])
    );
    assert!(net.spec.contains_quorum(l0, accs(&[A, B, C])));
    assert!(g.is_quorum(l0, accs(&[A, B, C])));
}

/// "q(x)" (per learner): the fresh 1bs of ballot `b(x)` in `Tran(x)`; lower
/// ballots' 1bs do not count.
#[test]
fn q_holds_fresh_same_ballot_1bs() {
    let g = homogeneous();
    let l0 = lrn(0);
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let a1 = net.ok(A, &[p1]);
    let b1 = net.ok(B, &[p1]);
    let d1 = net.ok(D, &[p1]);
    let p2 = net.propose(2, "v2");
    let a2 = net.ok(A, &[p2, a1, b1, d1]);
    let b2 = net.ok(B, &[p2, b1]);
    let c2 = net.ok(C, &[p2]);
    let m = net.ok(A, &[a2, b2, c2]);
    assert_eq!(net.spec.q(l0, m), Some(set(&[a2, b2, c2])));
    assert_eq!(net.store.facts(&m).unwrap().q_signers(l0), accs(&[A, B, C]));
    // A 1b's q is itself (when fresh); a 1a's is empty.
    assert_eq!(net.spec.q(l0, a2), Some(set(&[a2])));
    assert_eq!(net.store.facts(&a2).unwrap().q_signers(l0), accs(&[A]));
    assert_eq!(net.spec.q(l0, p2), Some(set(&[])));
    assert_eq!(net.store.facts(&p2).unwrap().q_signers(l0), accs(&[]));
}

/// The shared setup of the burial tests (homogeneous, one learner `L0`):
/// A, B, C send 1bs for `p1 = (1, v1)`; only A sends the 2a `m`. Returns
/// `(net, p1, m, [a1, b1, c1])`.
fn one_2a_at_ballot_1(g: &Arc<LearnerGraph>) -> (Net<'_>, MessageId, MessageId, [MessageId; 3]) {
    let mut net = Net::new(g);
    let p1 = net.propose(1, "v1");
    let a1 = net.ok(A, &[p1]);
    let b1 = net.ok(B, &[p1]);
    let c1 = net.ok(C, &[p1]);
    let m = net.ok(A, &[a1, b1, c1]);
    (net, p1, m, [a1, b1, c1])
}

/// "Buried" (D1): once the signers of messages that have seen both `m` and a
/// higher-ballot, different-value 2a for `L0` contain a quorum, `m` is
/// buried; the message `y` itself counts as a witness.
#[test]
fn buried_after_quorum_sees_higher_conflicting_2a() {
    let g = homogeneous();
    let l0 = lrn(0);
    let (mut net, _, m, [_, b1, c1]) = one_2a_at_ballot_1(&g);
    let p2 = net.propose(2, "v2");
    let b2 = net.ok(B, &[p2, b1, m]);
    let c2 = net.ok(C, &[p2, c1, m]);
    let d2 = net.ok(D, &[p2, m]);
    let zb = net.ok(B, &[b2, c2, d2]);
    let zc = net.ok(C, &[c2, b2, d2]);
    // One witness: not buried.
    assert_eq!(net.spec.witnesses(m, l0, zb), Some(accs(&[B])));
    assert_eq!(net.spec.buried(m, l0, zb), Some(false));
    assert!(!net.store.facts(&zb).unwrap().buries(m, l0));
    // D's 2a sees B's and C's: with itself, a quorum of witnesses.
    let zd = net.ok(D, &[d2, b2, c2, zb, zc]);
    assert_eq!(net.spec.witnesses(m, l0, zd), Some(accs(&[B, C, D])));
    assert_eq!(net.spec.buried(m, l0, zd), Some(true));
    assert!(net.store.facts(&zd).unwrap().buries(m, l0));
    // Burial is only about 2as for the learner: a 1b is never buried.
    assert_eq!(net.spec.buried(b2, l0, zd), Some(false));
    assert!(!net.store.facts(&zd).unwrap().buries(b2, l0));
}

/// "Buried" (D1): a witness must itself have seen `m`. A quorum that sent
/// higher conflicting 2as without seeing `m` does not bury it (it would
/// under the variant without the `x ∈ Tran(m)` conjunct).
#[test]
fn buried_needs_witnesses_that_saw_the_2a() {
    let g = homogeneous();
    let l0 = lrn(0);
    let (mut net, _, m, [_, b1, c1]) = one_2a_at_ballot_1(&g);
    let p2 = net.propose(2, "v2");
    let b2 = net.ok(B, &[p2, b1]);
    let c2 = net.ok(C, &[p2, c1]);
    let d2 = net.ok(D, &[p2]);
    let zb = net.ok(B, &[b2, c2, d2]);
    let zc = net.ok(C, &[c2, b2, d2]);
    let zd = net.ok(D, &[d2, b2, c2]);
    let p3 = net.propose(3, "v3");
    let a3 = net.ok(A, &[p3, m, zb, zc, zd]);
    assert_eq!(net.spec.witnesses(m, l0, a3), Some(accs(&[A])));
    assert_eq!(net.spec.buried(m, l0, a3), Some(false));
    assert!(!net.store.facts(&a3).unwrap().buries(m, l0));
    // B and C now see m after their 2as; D sees it through them.
    let b3 = net.ok(B, &[p3, zb, m]);
    let c3 = net.ok(C, &[p3, zc, m]);
    let p4 = net.propose(4, "v4");
    let d4 = net.ok(D, &[p4, zd, b3, c3]);
    assert_eq!(net.spec.witnesses(m, l0, d4), Some(accs(&[B, C, D])));
    assert_eq!(net.spec.buried(m, l0, d4), Some(true));
    assert!(net.store.facts(&d4).unwrap().buries(m, l0));
}

/// "fresh_a" and "Con2as_a": a 1b whose sender has an unburied 2a of another
/// value is not fresh; it is again once that 2a is buried; a 1b of the 2a's
/// own value is fresh.
#[test]
fn non_fresh_1b_then_fresh_after_burial() {
    let g = homogeneous();
    let l0 = lrn(0);
    let (mut net, _, m, [_, b1, c1]) = one_2a_at_ballot_1(&g);
    let p2 = net.propose(2, "v2");
    // A's own 1b for v2 while its v1 2a is unburied: not fresh.
    let a2 = net.ok(A, &[p2, m]);
    assert_eq!(net.spec.con2as(l0, a2), Some(set(&[m])));
    assert_eq!(
        net.store.facts(&a2).unwrap().con2as_values(l0),
        BTreeSet::from([vh("v1")])
    );
    assert_eq!(net.spec.fresh(l0, a2), Some(false));
    assert!(!net.store.facts(&a2).unwrap().fresh().contains(l0));
    // So it does not count towards q at ballot 2.
    let b2 = net.ok(B, &[p2, b1, m]);
    let c2 = net.ok(C, &[p2, c1, m]);
    let d2 = net.ok(D, &[p2, m]);
    let (e, _) = net.rejected(A, &[a2, b2, c2, d2]);
    assert!(matches!(e, NotWellFormed::NotA2a { .. }), "{e:?}");
    // B, C, D bury m at ballot 2.
    let zb = net.ok(B, &[b2, c2, d2]);
    let zc = net.ok(C, &[c2, b2, d2, zb]);
    let zd = net.ok(D, &[d2, b2, c2, zb, zc]);
    let p3 = net.propose(3, "v3");
    let a3 = net.ok(A, &[p3, a2, zd]);
    assert_eq!(net.spec.buried(m, l0, a3), Some(true));
    assert_eq!(net.spec.con2as(l0, a3), Some(set(&[])));
    assert_eq!(
        net.store.facts(&a3).unwrap().con2as_values(l0),
        BTreeSet::new()
    );
    assert_eq!(net.spec.fresh(l0, a3), Some(true));
    assert!(net.store.facts(&a3).unwrap().fresh().contains(l0));
    // Without burial, a 1b of the 2a's own value is fresh.
    let (mut net, _, m, _) = one_2a_at_ballot_1(&g);
    let p4 = net.propose(4, "v1");
    let a4 = net.ok(A, &[p4, m]);
    assert_eq!(net.spec.con2as(l0, a4), Some(set(&[m])));
    assert_eq!(net.spec.fresh(l0, a4), Some(true));
    assert!(net.store.facts(&a4).unwrap().fresh().contains(l0));
}

/// "Con2as_a" (D6): a 2a for several learners stays in `Con2as_a(x)` while it
/// is unburied for *some* learner it is a 2a for that is in `Con_a(x)` — here
/// buried for `blue` but not for `red`, so a 1b of another value is not
/// fresh for `blue` either.
#[test]
fn con2as_keeps_2a_unburied_for_another_connected_learner() {
    let g = red_blue();
    let (red, blue) = (lrn(0), lrn(1));
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let a1 = net.ok(A, &[p1]);
    let b1 = net.ok(B, &[p1]);
    let c1 = net.ok(C, &[p1]);
    let m = net.ok(A, &[a1, b1, c1]);
    assert_eq!(net.spec.two_a_learners(m), Some(learners(&[0, 1])));
    assert_eq!(
        net.store.facts(&m).unwrap().two_a_learners(),
        learners(&[0, 1])
    );
    // Ballot 2: B and C only — 2as for blue (quorum BC), not for red.
    let p2 = net.propose(2, "v2");
    let b2 = net.ok(B, &[p2, b1, m]);
    let c2 = net.ok(C, &[p2, c1, m]);
    let zb = net.ok(B, &[b2, c2]);
    let zc = net.ok(C, &[c2, b2]);
    assert_eq!(net.spec.two_a_learners(zb), Some(learners(&[1])));
    assert_eq!(
        net.store.facts(&zb).unwrap().two_a_learners(),
        learners(&[1])
    );
    let p3 = net.propose(3, "v3");
    let a3 = net.ok(A, &[p3, m, zb, zc]);
    let f = net.store.facts(&a3).unwrap();
    assert_eq!(net.spec.buried(m, blue, a3), Some(true));
    assert!(f.buries(m, blue));
    assert_eq!(net.spec.buried(m, red, a3), Some(false));
    assert!(!f.buries(m, red));
    for a in [red, blue] {
        assert_eq!(net.spec.con(a, a3), Some(learners(&[0, 1])));
        assert_eq!(net.spec.con2as(a, a3), Some(set(&[m])));
        assert_eq!(f.con2as_values(a), BTreeSet::from([vh("v1")]));
        assert_eq!(net.spec.fresh(a, a3), Some(false));
        assert!(!f.fresh().contains(a));
    }
}

/// WellFormed, the general conditions: known signer, known and well-formed
/// references, a ballot.
#[test]
fn well_formed_needs_known_refs_signer_and_ballot() {
    let g = homogeneous();
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    assert_eq!(net.spec.well_formed(p1), Ok(()));
    // No references: no Get1a.
    let (e, r) = net.rejected(A, &[]);
    assert_eq!(e, NotWellFormed::NoBallot);
    assert_eq!(r, Rejection::IllFormed(IllFormed::NoBallot));
    // An unknown reference.
    let phantom = MessageId(Hash32::of(&[b"phantom"]));
    let (e, r) = net.rejected(A, &[p1, phantom]);
    assert_eq!(e, NotWellFormed::MissingRefs(vec![phantom]));
    assert_eq!(r, Rejection::MissingRefs(vec![phantom]));
    // A reference the spec knows to be ill-formed: never in the store.
    let a1 = net.ok(A, &[p1]);
    let (bad, _) = {
        let m = common::signed(B, &[p1, a1]);
        let id = m.id();
        (id, net.feed(m).unwrap_err())
    };
    let (e, r) = net.rejected(C, &[p1, bad]);
    assert_eq!(e, NotWellFormed::IllFormedRef(bad));
    assert_eq!(r, Rejection::MissingRefs(vec![bad]));
    // A signer outside the graph.
    let outsider = hetpaxos_quorums::AcceptorId::new(4).unwrap();
    let m = hetpaxos_messages::Unsigned::new(outsider, [p1])
        .sign(&hetpaxos_messages::AbstractSigner(outsider));
    let (e, r) = net.feed(m).unwrap_err();
    assert_eq!(e, NotWellFormed::UnknownSigner(outsider));
    assert_eq!(r, Rejection::IllFormed(IllFormed::UnknownSigner(outsider)));
    // Unknown to the spec at all.
    assert_eq!(
        net.spec.well_formed(phantom),
        Err(NotWellFormed::Unknown(phantom))
    );
}

/// "Decision" (D8): 2as for the learner, one ballot, signers containing a
/// quorum. The store holds the ingredients (2a learners, ballots, signers);
/// the learner crate decides.
#[test]
fn decision_needs_quorum_of_same_ballot_2as() {
    let g = homogeneous();
    let l0 = lrn(0);
    let mut net = Net::new(&g);
    let p1 = net.propose(1, "v1");
    let a1 = net.ok(A, &[p1]);
    let b1 = net.ok(B, &[p1]);
    let c1 = net.ok(C, &[p1]);
    let ma = net.ok(A, &[a1, b1, c1]);
    let mb = net.ok(B, &[b1, a1, c1]);
    let mc = net.ok(C, &[c1, a1, b1]);
    let quorum = set(&[ma, mb, mc]);
    assert_eq!(net.spec.decision(l0, &quorum), Some(vh("v1")));
    let ballot = net.spec.ballot(p1).unwrap();
    let mut signers = hetpaxos_quorums::AcceptorSet::EMPTY;
    for x in &quorum {
        let f = net.store.facts(x).unwrap();
        assert!(f.two_a_learners().contains(l0));
        assert_eq!(f.ballot(), ballot);
        signers.insert(f.signer().unwrap());
    }
    assert!(g.is_quorum(l0, signers));
    // Too few signers; a 1b among them; the empty set.
    assert_eq!(net.spec.decision(l0, &set(&[ma, mb])), None);
    assert_eq!(net.spec.decision(l0, &set(&[ma, mb, c1])), None);
    assert_eq!(net.spec.decision(l0, &set(&[])), None);
    // Mixed ballots: a quorum of signers, but not at one ballot.
    let p2 = net.propose(2, "v1");
    let a2 = net.ok(A, &[p2, ma]);
    let b2 = net.ok(B, &[p2, mb]);
    let d2 = net.ok(D, &[p2]);
    let za = net.ok(A, &[a2, b2, d2]);
    assert_eq!(net.spec.decision(l0, &set(&[za, mb, mc])), None);
    assert!(net.store.facts(&za).unwrap().ballot() != ballot);
}
