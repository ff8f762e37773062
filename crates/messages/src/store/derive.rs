//! Deriving every fact of a new message from its direct references' facts
//! (digest §3.2 with `decisions.md`; design in `incremental-store.md`).
//!
//! Costs, for `r` direct references, `n` acceptors, `L` learners and `k` own
//! unburied 2a entries (at most one per learner and value in honest runs):
//! - Get1a, b, V: O(r).
//! - 1b-ness and 1b well-formedness: O(r) (refs of a 1b other than `Get1a(x)`
//!   must have smaller ballots, which bounds their whole `Tran`).
//! - Frontiers `F_s`, Caught, sequence number: O(r · n) (forked signers: times
//!   their message count).
//! - `Con_a` for all `a`: O(1) from a cache keyed by the caught set.
//! - fresh1b (signers of `q_a`) and 2a learners: O(r · L) bitset unions.
//! - Top-2a summaries: O(r · L).
//! - Unburied own 2as, Buried, Con2as, fresh: O(k · n).

use super::MessageStore;
use super::ancestry::SignerState;
use super::node::{Derived, Front, Kind, NodeIdx, Top2a, Unburied};
use super::{IllFormed, Rejection};
use crate::ballot::Ballot;
use crate::hash::MessageId;
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerSet};
use std::sync::Arc;

/// Most unburied own-2a entries one message may carry. An honest acceptor has
/// at most one per (learner, value) it sent a 2a for; only a signer that sends
/// 2as for very many values without burying them can reach this, and its
/// messages are then refused (deterministically, from `Tran(x)` alone).
pub const MAX_UNBURIED: usize = 1024;

/// Most messages of one signer's chain (sequence numbers stay in `u32`).
pub const MAX_SEQ: u32 = u32::MAX - 1;

/// The shape of a message being derived: what its facts depend on.
pub(crate) enum Shape<'a> {
    Proposal(Ballot),
    Signed {
        signer: AcceptorId,
        refs: &'a [MessageId],
    },
}

impl MessageStore {
    pub(crate) fn derive(&self, id: MessageId, shape: Shape<'_>) -> Result<Derived, Rejection> {
        let self_idx = self.nodes.len() as NodeIdx;
        match shape {
            Shape::Proposal(ballot) => Ok(Derived {
                id,
                signer: None,
                seq: 0,
                ballot,
                get1a: self_idx,
                kind: Kind::OneA,
                caught: AcceptorSet::EMPTY,
                connected: self.connected_for(AcceptorSet::EMPTY),
                fresh: LearnerSet::EMPTY,
                fresh1b: self.empty_fresh1b.clone(),
                front: self.empty_front.clone(),
                prev: Front::None,
                top2a: self.empty_top2a.clone(),
                unburied: Arc::from([]),
            }),
            Shape::Signed { signer, refs } => self.derive_signed(id, self_idx, signer, refs),
        }
    }

    fn derive_signed(
        &self,
        id: MessageId,
        self_idx: NodeIdx,
        signer: AcceptorId,
        refs: &[MessageId],
    ) -> Result<Derived, Rejection> {
        if !self.graph.has_acceptor(signer) {
            return Err(Rejection::IllFormed(IllFormed::UnknownSigner(signer)));
        }
        // Delivery rule: every reference known.
        let missing: Vec<MessageId> = refs
            .iter()
            .filter(|r| !self.index.contains_key(r))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(Rejection::MissingRefs(missing));
        }
        let ref_idx: Vec<NodeIdx> = refs
            .iter()
            .filter_map(|r| self.index.get(r))
            .copied()
            .collect();

        // Get1a, b, V: the highest-ballot Get1a among the references.
        let get1a = ref_idx
            .iter()
            .map(|&r| self.node(r).d.get1a)
            .max_by_key(|&g| self.node(g).d.ballot)
            .ok_or(Rejection::IllFormed(IllFormed::NoBallot))?;
        let ballot = self.node(get1a).d.ballot;

        // D11: a 1b iff Get1a(x) is a direct reference; then WellFormed(1b).
        let is_1b = ref_idx.contains(&get1a);
        if is_1b
            && let Some(&other) = ref_idx
                .iter()
                .find(|&&r| r != get1a && self.node(r).d.ballot >= ballot)
        {
            return Err(Rejection::IllFormed(IllFormed::OneBSameBallot {
                other: self.node(other).d.id,
            }));
        }

        // Frontiers F_s(x), Caught(x), seq(x).
        let n = self.graph.num_acceptors();
        let mut caught = AcceptorSet::EMPTY;
        for &r in &ref_idx {
            caught = caught.union(self.node(r).d.caught);
        }
        let mut front: Vec<Front> = Vec::with_capacity(n);
        for s in self.graph.acceptor_ids() {
            let f = self.merge_fronts(s, ref_idx.iter().map(|&r| &self.node(r).d.front[s.index()]));
            if f.as_slice().len() > 1 {
                caught.insert(s);
            }
            front.push(f);
        }
        let prev = std::mem::replace(&mut front[signer.index()], Front::One(self_idx));
        let seq = match prev.as_slice().iter().map(|&p| self.node(p).d.seq).max() {
            None => 0,
            Some(s) if s >= MAX_SEQ => {
                return Err(Rejection::IllFormed(IllFormed::ResourceLimit(
                    "signer chain too long",
                )));
            }
            Some(s) => s + 1,
        };
        let connected = self.connected_for(caught);

        // Own 2as inherited from the signer's frontier (not only direct refs).
        let mut inherited: Vec<Unburied> = prev
            .as_slice()
            .iter()
            .flat_map(|&p| self.node(p).d.unburied.iter().copied())
            .collect();
        inherited.sort_unstable();
        inherited.dedup();

        let l = self.graph.num_learners();
        let mut fresh = LearnerSet::EMPTY;
        let mut fresh1b = vec![AcceptorSet::EMPTY; l];
        let mut top2a = self.merge_top2a(&ref_idx);
        let kind;
        let mut unburied;
        if is_1b {
            kind = Kind::OneB;
            unburied = self.filter_unburied(inherited, &front, signer, &top2a);
            // fresh_a(x): every connected own unburied 2a has x's value.
            for a in self.graph.learner_ids() {
                let con = connected[a.index()];
                let ok = unburied.iter().all(|&(m, lrn)| {
                    !con.contains(lrn) || self.node(m).d.ballot.value == ballot.value
                });
                if ok {
                    fresh.insert(a);
                    fresh1b[a.index()] = AcceptorSet::singleton(signer);
                }
            }
        } else {
            // q_a(x) signers: fresh 1bs of ballot b(x), through same-ballot refs.
            for &r in &ref_idx {
                let rn = &self.node(r).d;
                if rn.ballot == ballot {
                    for (acc, add) in fresh1b.iter_mut().zip(rn.fresh1b.iter()) {
                        *acc = acc.union(*add);
                    }
                }
            }
            let learners: LearnerSet = self
                .graph
                .learner_ids()
                .filter(|&a| {
                    let q = fresh1b[a.index()];
                    // D2: the signer's own fresh 1b is among q_a(x).
                    (q.contains(signer) || !self.d2()) && self.graph.is_quorum(a, q)
                })
                .collect();
            if learners.is_empty() {
                return Err(Rejection::IllFormed(IllFormed::NotA2a { ballot }));
            }
            kind = Kind::TwoA(learners);
            for a in learners.iter() {
                let t = top2a[a.index()];
                top2a[a.index()] = Top2a::best([t.top, t.second, Some(ballot)]);
            }
            unburied = self.filter_unburied(inherited, &front, signer, &top2a);
            // x dominates its own same-value entries for its learners.
            unburied.retain(|&(m, lrn)| {
                !(learners.contains(lrn) && self.node(m).d.ballot.value == ballot.value)
            });
            unburied.extend(learners.iter().map(|a| (self_idx, a)));
        }
        if unburied.len() > MAX_UNBURIED {
            return Err(Rejection::IllFormed(IllFormed::ResourceLimit(
                "too many unburied own 2as",
            )));
        }
        Ok(Derived {
            id,
            signer: Some(signer),
            seq,
            ballot,
            get1a,
            kind,
            caught,
            connected,
            fresh,
            fresh1b: fresh1b.into(),
            front: front.into(),
            prev,
            top2a: top2a.into(),
            unburied: unburied.into(),
        })
    }

    /// Keeps the inherited own-2a entries not buried at the new message, then
    /// prunes, per (learner, value), entries below another kept entry.
    fn filter_unburied(
        &self,
        inherited: Vec<Unburied>,
        front: &[Front],
        signer: AcceptorId,
        top2a: &[Top2a],
    ) -> Vec<Unburied> {
        let kept: Vec<Unburied> = inherited
            .into_iter()
            .filter(|&(m, lrn)| {
                let summary = top2a[lrn.index()];
                if !summary.conflicts_with(self.node(m).d.ballot) {
                    return true;
                }
                let w = self.witnesses(m, lrn, front, Some((signer, summary)));
                !self.graph.is_quorum(lrn, w)
            })
            .collect();
        // Prune by value: (m, ℓ) is dominated by (m', ℓ) of the same value with
        // m ∈ Tran(m'); Buried_ℓ(m', y) implies Buried_ℓ(m, y).
        kept.iter()
            .copied()
            .filter(|&(m, lrn)| {
                let v = self.node(m).d.ballot.value;
                !kept.iter().any(|&(m2, l2)| {
                    l2 == lrn && m2 != m && self.node(m2).d.ballot.value == v && self.in_tran(m, m2)
                })
            })
            .collect()
    }

    /// Top-2a summaries of the union of the references' histories.
    fn merge_top2a(&self, refs: &[NodeIdx]) -> Vec<Top2a> {
        (0..self.graph.num_learners())
            .map(|a| {
                let cands = refs.iter().flat_map(|&r| {
                    let t = self.node(r).d.top2a[a];
                    [t.top, t.second]
                });
                Top2a::best(cands)
            })
            .collect()
    }

    /// `Con_a(caught)` for every learner `a`, from the cache when present.
    pub(crate) fn connected_for(&self, caught: AcceptorSet) -> Arc<[LearnerSet]> {
        if let Some(c) = self.con_cache.get(&caught) {
            return c.clone();
        }
        // One evaluation of the condensed learner graph answers every learner.
        self.graph.connected_all(caught).into()
    }

    pub(crate) fn signer_state(&mut self, s: AcceptorId) -> &mut SignerState {
        &mut self.signers[s.index()]
    }
}
