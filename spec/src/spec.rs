//! The definitions of digest §3.2, one method per definition, over explicit
//! `Tran` sets. See the crate documentation for the traceability table.

use crate::error::NotWellFormed;
use hetpaxos_messages::{Ballot, Body, Message, MessageId, ValueHash};
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph, LearnerId, LearnerSet};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;
use std::rc::Rc;

/// A set of message ids, e.g. `Tran(x)`, `q_a(x)` or `Con2as_a(x)`.
pub type MessageSet = BTreeSet<MessageId>;

/// The executable specification: a learner graph and the messages known so
/// far (well-formed or not), with every definition of digest §3.2 as a method.
///
/// Every method that takes a message `x` depends only on `Tran(x)` and the
/// graph, and answers `None` when `x` or some member of `Tran(x)` is not
/// known. Adding messages never changes an answer that was `Some`.
///
/// # Memoization
/// Results are cached per argument tuple, and only once `Tran(x)` of the
/// message argument(s) is complete, so a cached answer is exactly what the
/// uncached definition would return. The cache does not change any definition;
/// it only keeps the recursion (2a → q → fresh → Con2as → Buried → 2a of lower
/// messages) from being exponential.
///
/// # Cost
/// Deliberately literal and slow (polynomial, with high degree in `|Tran|`),
/// and recursive down the history: meant for test-sized message DAGs only.
pub struct Spec<'g> {
    graph: &'g LearnerGraph,
    messages: BTreeMap<MessageId, Message>,
    memo: Memo,
}

#[derive(Default)]
struct Memo {
    tran: RefCell<HashMap<MessageId, Rc<MessageSet>>>,
    caught: RefCell<HashMap<MessageId, AcceptorSet>>,
    two_a: RefCell<HashMap<MessageId, LearnerSet>>,
    fresh: RefCell<HashMap<(LearnerId, MessageId), bool>>,
    buried: RefCell<HashMap<(MessageId, LearnerId, MessageId), bool>>,
    well_formed: RefCell<HashMap<MessageId, Result<(), NotWellFormed>>>,
}

/// Looks `key` up in `cell`, or computes it; stores only `Some` answers (the
/// callers return `None` exactly when some `Tran` is incomplete).
fn memo<K: Eq + Hash + Copy, V: Clone>(
    cell: &RefCell<HashMap<K, V>>,
    key: K,
    compute: impl FnOnce() -> Option<V>,
) -> Option<V> {
    if let Some(v) = cell.borrow().get(&key) {
        return Some(v.clone());
    }
    let v = compute()?;
    cell.borrow_mut().insert(key, v.clone());
    Some(v)
}

impl<'g> Spec<'g> {
    /// A specification over `graph` knowing no message yet.
    pub fn new(graph: &'g LearnerGraph) -> Self {
        Self {
            graph,
            messages: BTreeMap::new(),
            memo: Memo::default(),
        }
    }

    /// The learner graph.
    pub fn graph(&self) -> &'g LearnerGraph {
        self.graph
    }

    /// Makes `message` known (whether or not it is well-formed). Returns
    /// `false` if a message with its id was already known.
    pub fn insert(&mut self, message: Message) -> bool {
        let id = message.id();
        if self.messages.contains_key(&id) {
            return false;
        }
        self.messages.insert(id, message);
        true
    }

    /// The known message `x`.
    pub fn message(&self, x: MessageId) -> Option<&Message> {
        self.messages.get(&x)
    }

    /// All known messages, by id.
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.messages.values()
    }

    /// Whether `x` is known.
    pub fn knows(&self, x: MessageId) -> bool {
        self.messages.contains_key(&x)
    }

    // ----------------------------------------------------------------------
    // Learner graph (digest §2)
    // ----------------------------------------------------------------------

    /// "`set` contains a quorum of `a`" (digest §2.1, `Q_a`): some quorum of
    /// `a` is a subset of `set`. Quorums are upward closed; the graph lists the
    /// minimal ones, and a superset of a member of `Q_a` is in `Q_a`.
    ///
    /// By the enumerated minimal quorums when the graph is small enough to
    /// enumerate (every graph the oracle generates is); otherwise by the
    /// graph's own evaluation of its quorum expression.
    pub fn contains_quorum(&self, a: LearnerId, set: AcceptorSet) -> bool {
        match self.graph.minimal_quorums(a) {
            Some(qs) => qs.iter().any(|q| q.is_subset(set)),
            None => self.graph.is_quorum(a, set),
        }
    }

    // ----------------------------------------------------------------------
    // Sig, Tran (digest §3.2)
    // ----------------------------------------------------------------------

    /// `Sig(x)` (digest §3.2, "Sig"): the acceptor that signed `x`; `None` for
    /// a 1a (1as are unsigned in our wire format, decision D3) or an unknown `x`.
    pub fn sig(&self, x: MessageId) -> Option<AcceptorId> {
        self.message(x)?.signer()
    }

    /// `Sig(S) = {Sig(m) | m ∈ S}` (digest §3.2, "Sig" lifted to sets);
    /// unsigned and unknown members contribute nothing.
    pub fn sig_set<'a>(&self, set: impl IntoIterator<Item = &'a MessageId>) -> AcceptorSet {
        set.into_iter().filter_map(|&m| self.sig(m)).collect()
    }

    /// `Tran(x) = {x} ∪ ⋃_{r ∈ x.refs} Tran(r)` (digest §3.2, "Tran"): `x` and
    /// everything reachable from it through references. `None` if `x` or some
    /// reachable reference is unknown.
    pub fn tran(&self, x: MessageId) -> Option<MessageSet> {
        self.tran_rc(x).map(|t| (*t).clone())
    }

    /// `m ∈ Tran(x)`; `None` if `Tran(x)` is incomplete.
    pub fn in_tran(&self, m: MessageId, x: MessageId) -> Option<bool> {
        Some(self.tran_rc(x)?.contains(&m))
    }

    /// [`Spec::tran`], shared. Computed as the closure under "references"
    /// with an explicit work list (no recursion), which is the same set.
    fn tran_rc(&self, x: MessageId) -> Option<Rc<MessageSet>> {
        memo(&self.memo.tran, x, || {
            let mut set = MessageSet::new();
            let mut todo = vec![x];
            while let Some(m) = todo.pop() {
                if set.insert(m) {
                    todo.extend(self.message(m)?.refs().iter().copied());
                }
            }
            Some(Rc::new(set))
        })
    }

    // ----------------------------------------------------------------------
    // Get1a, b, V (digest §3.2)
    // ----------------------------------------------------------------------

    /// Whether `x` is a 1a (a proposal). `None` if unknown.
    pub fn is_1a(&self, x: MessageId) -> Option<bool> {
        Some(self.message(x)?.as_proposal().is_some())
    }

    /// `Get1a(x)` (digest §3.2, "Get1a"): the 1a with the greatest ballot in
    /// `Tran(x)` (for a 1a, itself). Unique, because a ballot identifies its
    /// 1a. `None` if `Tran(x)` is incomplete or holds no 1a.
    pub fn get1a(&self, x: MessageId) -> Option<MessageId> {
        let t = self.tran_rc(x)?;
        t.iter()
            .filter_map(|&m| Some((self.message(m)?.as_proposal()?.ballot(), m)))
            .max()
            .map(|(_, m)| m)
    }

    /// `b(x)` (digest §3.2, "Ballot Numbers"): the ballot of `Get1a(x)`.
    pub fn ballot(&self, x: MessageId) -> Option<Ballot> {
        let g = self.get1a(x)?;
        Some(self.message(g)?.as_proposal()?.ballot())
    }

    /// `V(x)` (digest §3.2, "Value of a Message"): the value of `Get1a(x)`,
    /// as its hash (the ballot names it).
    pub fn value(&self, x: MessageId) -> Option<ValueHash> {
        Some(self.ballot(x)?.value)
    }

    // ----------------------------------------------------------------------
    // Caught, Con_a (digest §3.2)
    // ----------------------------------------------------------------------

    /// `Caught(x)` (digest §3.2, "Caught"; decision D3: signed messages only):
    /// `{Sig(m) | m, m' ∈ Tran(x) signed, Sig(m) = Sig(m'), m ∉ Tran(m'),
    /// m' ∉ Tran(m)}` — signers with two `Tran`-incomparable messages.
    pub fn caught(&self, x: MessageId) -> Option<AcceptorSet> {
        memo(&self.memo.caught, x, || {
            let t = self.tran_rc(x)?;
            let signed: Vec<(MessageId, AcceptorId)> =
                t.iter().filter_map(|&m| Some((m, self.sig(m)?))).collect();
            let mut caught = AcceptorSet::EMPTY;
            for &(m, s) in &signed {
                for &(m2, s2) in &signed {
                    if s == s2 && !self.in_tran(m, m2)? && !self.in_tran(m2, m)? {
                        caught.insert(s);
                    }
                }
            }
            Some(caught)
        })
    }

    /// `Con_a(x)` (digest §3.2, "Con_a"; decision D5: over the condensed
    /// learner graph, self-edges included): `{b | ∃ s ∈ a–b with
    /// s ∩ Caught(x) = ∅}`. Testing the listed minimal safe sets suffices: a
    /// safe set disjoint from `Caught(x)` contains a minimal one that is too.
    ///
    /// The CLG's minimal safe sets come from enumerating the closure
    /// (`hetpaxos_quorums::condense`), independently of the store, which
    /// evaluates the CLG by connected components; graphs too large to
    /// enumerate fall back to the graph's own evaluation.
    pub fn con(&self, a: LearnerId, x: MessageId) -> Option<LearnerSet> {
        let caught = self.caught(x)?;
        if self.graph.enumerated().is_none() {
            return Some(self.graph.connected(a, caught));
        }
        Some(
            self.graph
                .learner_ids()
                .filter(|&b| {
                    self.graph
                        .minimal_safe_sets(a, b)
                        .unwrap_or_default()
                        .iter()
                        .any(|s| s.intersection(caught).is_empty())
                })
                .collect(),
        )
    }

    // ----------------------------------------------------------------------
    // Kinds: 1b, 2a, q (digest §3.1, §3.2)
    // ----------------------------------------------------------------------

    /// Whether `x` is a 1b (decision D11): `x` is signed and one of its direct
    /// references is `Get1a(x)`. `None` if `Tran(x)` is incomplete.
    pub fn is_1b(&self, x: MessageId) -> Option<bool> {
        self.tran_rc(x)?;
        let msg = self.message(x)?;
        if msg.signer().is_none() {
            return Some(false);
        }
        Some(self.get1a(x).is_some_and(|g| msg.refs().contains(&g)))
    }

    /// `q_l(x)` (digest §3.2, "q(x)", per learner as in HP2.0): the 1bs in
    /// `Tran(x)` that are fresh for `l` and have ballot `b(x)`:
    /// `{m ∈ Tran(x) | m is a 1b, fresh_l(m), b(m) = b(x)}`.
    pub fn q(&self, l: LearnerId, x: MessageId) -> Option<MessageSet> {
        let t = self.tran_rc(x)?;
        let bx = self.ballot(x);
        let mut out = MessageSet::new();
        for &m in t.iter() {
            if self.is_1b(m)? && self.fresh(l, m)? && bx.is_some() && self.ballot(m) == bx {
                out.insert(m);
            }
        }
        Some(out)
    }

    /// The learners `x` is a 2a for (digest §3.2 "WellFormed" for 2as, with
    /// decisions D2 and D11): empty for a 1a and for a 1b; otherwise every
    /// learner `l` such that `Sig(q_l(x))` contains a quorum of `l` **and**
    /// `Sig(x) ∈ Sig(q_l(x))`.
    pub fn two_a_learners(&self, x: MessageId) -> Option<LearnerSet> {
        memo(&self.memo.two_a, x, || {
            self.tran_rc(x)?;
            if self.is_1a(x)? || self.is_1b(x)? {
                return Some(LearnerSet::EMPTY);
            }
            let sx = self.sig(x)?;
            let mut out = LearnerSet::EMPTY;
            for l in self.graph.learner_ids() {
                let signers = self.sig_set(&self.q(l, x)?);
                if self.contains_quorum(l, signers) && signers.contains(sx) {
                    out.insert(l);
                }
            }
            Some(out)
        })
    }

    /// Whether `x` is a 2a for learner `l`: `l ∈` [`Spec::two_a_learners`]`(x)`.
    pub fn is_2a_for(&self, x: MessageId, l: LearnerId) -> Option<bool> {
        Some(self.two_a_learners(x)?.contains(l))
    }

    /// Whether `x` is a 2a (for at least one learner).
    pub fn is_2a(&self, x: MessageId) -> Option<bool> {
        Some(!self.two_a_learners(x)?.is_empty())
    }

    // ----------------------------------------------------------------------
    // Buried, Con2as, fresh (digest §3.2)
    // ----------------------------------------------------------------------

    /// The witness set `W(x, y)` of "Buried" for learner `l` (digest §3.2,
    /// "Buried"; decision D1): `{Sig(w) | w ∈ Tran(y) (y included), x ∈ Tran(w),
    /// ∃ z ∈ Tran(w): z is a 2a for l, b(z) > b(x), V(z) ≠ V(x)}`.
    pub fn witnesses(&self, x: MessageId, l: LearnerId, y: MessageId) -> Option<AcceptorSet> {
        let ty = self.tran_rc(y)?;
        let bx = self.ballot(x)?;
        let vx = self.value(x)?;
        let mut w_set = AcceptorSet::EMPTY;
        for &w in ty.iter() {
            let Some(sw) = self.sig(w) else { continue };
            if !self.in_tran(x, w)? {
                continue;
            }
            let tw = self.tran_rc(w)?;
            let mut seen_conflict = false;
            for &z in tw.iter() {
                if self.is_2a_for(z, l)? && self.ballot(z)? > bx && self.value(z)? != vx {
                    seen_conflict = true;
                    break;
                }
            }
            if seen_conflict {
                w_set.insert(sw);
            }
        }
        Some(w_set)
    }

    /// `Buried(x, y)` for learner `l` (digest §3.2, "Buried"; decision D1):
    /// `x` is a 2a for `l` and [`Spec::witnesses`]`(x, l, y)` contains a quorum
    /// of `l`. `false` when `x` is not a 2a for `l` (the definition is about
    /// 2as for `l`).
    pub fn buried(&self, x: MessageId, l: LearnerId, y: MessageId) -> Option<bool> {
        memo(&self.memo.buried, (x, l, y), || {
            self.tran_rc(y)?;
            if !self.is_2a_for(x, l)? {
                return Some(false);
            }
            Some(self.contains_quorum(l, self.witnesses(x, l, y)?))
        })
    }

    /// `Con2as_a(x)` (digest §3.2, "Con2as_a"; decision D6): the 2as `m` in
    /// `Tran(x)` with `Sig(m) = Sig(x)` such that some learner
    /// `l ∈ two_a_learners(m) ∩ Con_a(x)` has `¬Buried(m, l, x)`.
    pub fn con2as(&self, a: LearnerId, x: MessageId) -> Option<MessageSet> {
        let t = self.tran_rc(x)?;
        let con = self.con(a, x)?;
        let Some(sx) = self.sig(x) else {
            return Some(MessageSet::new());
        };
        let mut out = MessageSet::new();
        for &m in t.iter() {
            if self.sig(m) != Some(sx) {
                continue;
            }
            let learners = self.two_a_learners(m)?;
            let mut unburied_for_connected = false;
            for l in learners.intersection(con).iter() {
                if !self.buried(m, l, x)? {
                    unburied_for_connected = true;
                }
            }
            if unburied_for_connected {
                out.insert(m);
            }
        }
        Some(out)
    }

    /// `fresh_a(x)` (digest §3.2, "fresh_a"): `x` is a 1b and
    /// `∀ m ∈ Con2as_a(x): V(m) = V(x)`. `false` for a message that is not a 1b.
    pub fn fresh(&self, a: LearnerId, x: MessageId) -> Option<bool> {
        memo(&self.memo.fresh, (a, x), || {
            if !self.is_1b(x)? {
                return Some(false);
            }
            let vx = self.value(x)?;
            let mut all_same = true;
            for m in self.con2as(a, x)? {
                if self.value(m)? != vx {
                    all_same = false;
                }
            }
            Some(all_same)
        })
    }

    // ----------------------------------------------------------------------
    // WellFormed, Decision (digest §3.2)
    // ----------------------------------------------------------------------

    /// `WellFormed(x)` (digest §3.2, "WellFormed"; decisions D2, D4, D11), the
    /// conditions checked in this order:
    /// 1. a 1a is well-formed (its value hash is the hash of its value by
    ///    construction of [`Message`]);
    /// 2. the signer is an acceptor of the graph;
    /// 3. every direct reference is known and well-formed;
    /// 4. `Get1a(x)` exists;
    /// 5. a 1b (D11) satisfies `∀ y ∈ Tran(x): y ≠ x ∧ y ≠ Get1a(x) ⇒
    ///    b(y) ≠ b(x)` (D4);
    /// 6. any other signed message is a 2a for at least one learner (D2, D11).
    pub fn well_formed(&self, x: MessageId) -> Result<(), NotWellFormed> {
        let msg = self.message(x).ok_or(NotWellFormed::Unknown(x))?;
        let compute = || -> Result<(), NotWellFormed> {
            let signed = match msg.body() {
                Body::Proposal(_) => return Ok(()),
                Body::Signed(s) => s,
            };
            if !self.graph.has_acceptor(signed.signer()) {
                return Err(NotWellFormed::UnknownSigner(signed.signer()));
            }
            let missing: Vec<MessageId> = signed
                .refs()
                .iter()
                .copied()
                .filter(|&r| !self.knows(r))
                .collect();
            if !missing.is_empty() {
                return Err(NotWellFormed::MissingRefs(missing));
            }
            for &r in signed.refs() {
                if self.well_formed(r).is_err() {
                    return Err(NotWellFormed::IllFormedRef(r));
                }
            }
            // From here on Tran(x) is complete: every reference is well-formed,
            // hence (inductively) all of its own references are known.
            let g = self.get1a(x).ok_or(NotWellFormed::NoBallot)?;
            let bx = self.ballot(x).ok_or(NotWellFormed::NoBallot)?;
            if self.is_1b(x) == Some(true) {
                let t = self.tran_rc(x).ok_or(NotWellFormed::NoBallot)?;
                for &y in t.iter() {
                    if y != x && y != g && self.ballot(y) == Some(bx) {
                        return Err(NotWellFormed::OneBSameBallot { other: y });
                    }
                }
                Ok(())
            } else if self.is_2a(x) == Some(true) {
                Ok(())
            } else {
                Err(NotWellFormed::NotA2a { ballot: bx })
            }
        };
        if let Some(r) = self.memo.well_formed.borrow().get(&x) {
            return r.clone();
        }
        let r = compute();
        if self.tran_rc(x).is_some() {
            self.memo.well_formed.borrow_mut().insert(x, r.clone());
        }
        r
    }

    /// `Decision_l(S)` (digest §3.2, "Decision"): `S` is a decision for `l`
    /// when it is non-empty, every `x ∈ S` is a 2a for `l`, all have the same
    /// ballot, and `Sig(S)` contains a quorum of `l`. Returns the decided value
    /// `V(x)` (the same for all, as the ballot names it), or `None`.
    pub fn decision(&self, l: LearnerId, set: &MessageSet) -> Option<ValueHash> {
        let first = *set.iter().next()?;
        let b = self.ballot(first)?;
        for &x in set {
            if !self.is_2a_for(x, l)? || self.ballot(x)? != b {
                return None;
            }
        }
        self.contains_quorum(l, self.sig_set(set))
            .then_some(b.value)
    }
}
