//! A read-only view of one accepted message's derived facts (digest §3.2).

use super::MessageStore;
use super::node::{Kind, NodeIdx};
use crate::ballot::Ballot;
use crate::hash::{MessageId, ValueHash};
use crate::message::Message;
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerId, LearnerSet};
use std::collections::BTreeSet;

/// The derived facts of an accepted message. Every accessor is O(1) unless
/// stated otherwise.
#[derive(Clone, Copy)]
pub struct Facts<'a> {
    store: &'a MessageStore,
    idx: NodeIdx,
}

impl<'a> Facts<'a> {
    pub(crate) fn new(store: &'a MessageStore, idx: NodeIdx) -> Self {
        Self { store, idx }
    }

    fn d(&self) -> &'a super::node::Derived {
        &self.store.node(self.idx).d
    }

    /// The store index.
    pub fn index(&self) -> NodeIdx {
        self.idx
    }

    /// The message.
    pub fn message(&self) -> &'a Message {
        &self.store.node(self.idx).message
    }

    /// Its id.
    pub fn id(&self) -> MessageId {
        self.d().id
    }

    /// `Sig(x)`: the signer, `None` for a 1a.
    pub fn signer(&self) -> Option<AcceptorId> {
        self.d().signer
    }

    /// `Get1a(x)`: the highest-ballot 1a in `Tran(x)` (itself for a 1a).
    pub fn get1a(&self) -> MessageId {
        self.store.node(self.d().get1a).d.id
    }

    /// `b(x)`: the ballot of `Get1a(x)`.
    pub fn ballot(&self) -> Ballot {
        self.d().ballot
    }

    /// `V(x)`: the hash of the value of `Get1a(x)`.
    pub fn value_hash(&self) -> ValueHash {
        self.d().ballot.value
    }

    /// The value bytes of `Get1a(x)`.
    pub fn value(&self) -> &'a bytes::Bytes {
        let g = self.d().get1a;
        match self.store.node(g).message.as_proposal() {
            Some(p) => p.value(),
            None => unreachable_value(),
        }
    }

    /// The kind (decision D11): 1a, 1b, or 2a for a set of learners.
    pub fn kind(&self) -> Kind {
        self.d().kind
    }

    /// Whether this is a 1b.
    pub fn is_1b(&self) -> bool {
        self.d().kind.is_1b()
    }

    /// The learners this message is a 2a for.
    pub fn two_a_learners(&self) -> LearnerSet {
        self.d().kind.two_a_learners()
    }

    /// `Caught(x)`: acceptors with two `Tran`-incomparable messages in `Tran(x)`.
    pub fn caught(&self) -> AcceptorSet {
        self.d().caught
    }

    /// `Con_a(x)` over the condensed learner graph.
    pub fn connected(&self, a: LearnerId) -> LearnerSet {
        self.d()
            .connected
            .get(a.index())
            .copied()
            .unwrap_or(LearnerSet::EMPTY)
    }

    /// `fresh_a(x)` for every learner `a` (meaningful for 1bs; empty otherwise).
    pub fn fresh(&self) -> LearnerSet {
        self.d().fresh
    }

    /// `Sig(q_a(x))`: signers of the fresh-for-`a` 1bs of ballot `b(x)` in `Tran(x)`.
    pub fn q_signers(&self, a: LearnerId) -> AcceptorSet {
        self.d()
            .fresh1b
            .get(a.index())
            .copied()
            .unwrap_or(AcceptorSet::EMPTY)
    }

    /// Sequence number in the signer's chain (0 for its first message).
    pub fn seq(&self) -> u32 {
        self.d().seq
    }

    /// The values of `Con2as_a(x)`: own 2as of the signer in `Tran(x)`,
    /// unburied at `x` for some learner they are a 2a for that is in `Con_a(x)`
    /// (decision D6). The store keeps only what `fresh` needs — one entry per
    /// (learner, value) — so the values, not the set of 2as, are returned.
    /// O(k) for `k` unburied own entries.
    pub fn con2as_values(&self, a: LearnerId) -> BTreeSet<ValueHash> {
        let con = self.connected(a);
        self.d()
            .unburied
            .iter()
            .filter(|(_, l)| con.contains(*l))
            .map(|&(m, _)| self.store.node(m).d.ballot.value)
            .collect()
    }

    /// `Buried(m, x)` for learner `ℓ` (decisions D1, D6): `m` is a 2a for `ℓ`
    /// in `Tran(x)` and the witnesses in `Tran(x)` contain a quorum of `ℓ`.
    /// O(n) for signers that never forked.
    pub fn buries(&self, m: MessageId, learner: LearnerId) -> bool {
        self.store
            .index_of(&m)
            .is_some_and(|mi| self.store.buried_at(mi, learner, self.idx))
    }

    /// Whether the accepted message `m` is in `Tran(x)`. O(1) for signed `m`
    /// whose signer never forked; for a 1a, O(1) only if it is `Get1a(x)`.
    pub fn has_in_history(&self, m: MessageId) -> bool {
        let Some(mi) = self.store.index_of(&m) else {
            return false;
        };
        if mi == self.idx {
            return true;
        }
        if self.store.node(mi).d.signer.is_some() {
            self.store.in_tran(mi, self.idx)
        } else {
            self.store.proposal_in_tran(mi, self.idx)
        }
    }
}

#[cold]
fn unreachable_value() -> &'static bytes::Bytes {
    static EMPTY: bytes::Bytes = bytes::Bytes::new();
    &EMPTY
}
