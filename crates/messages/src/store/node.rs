//! What the store keeps per accepted message: the message and its derived facts.

use crate::ballot::Ballot;
use crate::hash::MessageId;
use crate::message::Message;
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerId, LearnerSet};
use std::sync::Arc;

/// Dense index of an accepted message in its store (insertion order, which is
/// a causal order: every message comes after all its references).
pub type NodeIdx = u32;

/// The kind of an accepted message (decision D11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A proposal.
    OneA,
    /// A signed message one of whose direct references is `Get1a(x)`.
    OneB,
    /// A signed message that is a well-formed 2a for these learners (never empty).
    TwoA(LearnerSet),
}

impl Kind {
    /// Whether this is a 1b.
    pub fn is_1b(self) -> bool {
        matches!(self, Kind::OneB)
    }

    /// The learners this message is a 2a for (empty unless a 2a).
    pub fn two_a_learners(self) -> LearnerSet {
        match self {
            Kind::TwoA(l) => l,
            _ => LearnerSet::EMPTY,
        }
    }
}

/// A per-signer frontier: the maximal messages of one signer in some `Tran`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Front {
    /// No message of this signer.
    #[default]
    None,
    /// One maximal message (always the case for a signer that never forked).
    One(NodeIdx),
    /// Several pairwise incomparable maximal messages (an equivocating signer).
    Many(Arc<[NodeIdx]>),
}

impl Front {
    /// The members.
    pub fn as_slice(&self) -> &[NodeIdx] {
        match self {
            Front::None => &[],
            Front::One(i) => std::slice::from_ref(i),
            Front::Many(v) => v,
        }
    }

    /// Builds from a list of pairwise incomparable members.
    pub fn from_vec(mut v: Vec<NodeIdx>) -> Self {
        match v.len() {
            0 => Front::None,
            1 => Front::One(v[0]),
            _ => {
                v.sort_unstable();
                Front::Many(v.into())
            }
        }
    }
}

/// Highest-ballot 2a for one learner in a `Tran`, and the highest among those
/// whose value differs from it (digest §3.2 "Buried"; sketch in
/// `incremental-store.md`). Entries are the ballots of those 2as (a ballot
/// names its value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Top2a {
    /// Ballot of the highest-ballot 2a for the learner.
    pub top: Option<Ballot>,
    /// Highest ballot of a 2a for the learner with a value other than `top`'s.
    pub second: Option<Ballot>,
}

impl Top2a {
    /// The summary of the union of the candidates: the highest ballot, and the
    /// highest with a different value. O(candidates), in two passes over
    /// them and without allocating (it runs per learner for every message).
    pub fn best<I>(cands: I) -> Self
    where
        I: IntoIterator<Item = Option<Ballot>>,
        I::IntoIter: Clone,
    {
        let cands = cands.into_iter().flatten();
        let top = cands.clone().max();
        let second = top.and_then(|t| cands.filter(|c| c.value != t.value).max());
        Self { top, second }
    }

    /// Whether the summarised history holds a 2a with ballot above `b` and a
    /// value other than `b`'s. O(1).
    pub fn conflicts_with(self, b: Ballot) -> bool {
        match self.top {
            None => false,
            Some(t) if t.value != b.value => t > b,
            Some(_) => self.second.is_some_and(|s| s > b),
        }
    }
}

/// One of a signer's own 2as that is not yet buried for one learner it is a 2a for.
pub type Unburied = (NodeIdx, LearnerId);

/// Everything derived for one message, computed once from its references.
#[derive(Clone, Debug)]
pub struct Derived {
    pub(crate) id: MessageId,
    pub(crate) signer: Option<AcceptorId>,
    pub(crate) seq: u32,
    pub(crate) ballot: Ballot,
    pub(crate) get1a: NodeIdx,
    pub(crate) kind: Kind,
    pub(crate) caught: AcceptorSet,
    pub(crate) connected: Arc<[LearnerSet]>,
    pub(crate) fresh: LearnerSet,
    pub(crate) fresh1b: Arc<[AcceptorSet]>,
    /// `front_s(x)` for every acceptor `s` (the signer's entry is `{x}`).
    pub(crate) front: Arc<[Front]>,
    /// `F_s(x)` for the signer `s` of `x`: its own maximal earlier messages.
    pub(crate) prev: Front,
    pub(crate) top2a: Arc<[Top2a]>,
    pub(crate) unburied: Arc<[Unburied]>,
}

/// An accepted message and its facts.
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) message: Message,
    pub(crate) d: Derived,
}
