//! The message store: accepts a message only when all its references are known
//! (the delivery rule) and derives, once, every fact of digest §3.2 for it.
//!
//! No `Tran(x)` is stored and no cross product over the history is taken: each
//! message's facts are built from its direct references' facts (see
//! [`derive`](self) costs and `incremental-store.md`). The executable
//! specification in `hetpaxos-spec` is the oracle these facts are tested against.

mod ancestry;
mod burial;
mod derive;
mod facts;
mod node;

pub use derive::{MAX_SEQ, MAX_UNBURIED};
pub use facts::Facts;
pub use node::{Kind, NodeIdx, Top2a};

use crate::ballot::Ballot;
use crate::crypto::Signer;
use crate::hash::MessageId;
use crate::message::{Body, Message, Unsigned};
use ancestry::SignerState;
use derive::Shape;
use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerGraph, LearnerSet};
use node::{Derived, Front, Node};
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Rejection {
    /// Already in the store.
    #[error("duplicate message")]
    Duplicate,
    /// Some references are not (yet) known: buffer and retry later.
    #[error("{} unknown reference(s)", .0.len())]
    MissingRefs(Vec<MessageId>),
    /// It references a message known to be ill-formed (remembered by
    /// [`Pending`](crate::Pending)), so no honest party can ever accept it.
    #[error("references {0}, which is ill-formed")]
    RefersToRejected(MessageId),
    /// Not well-formed: honest parties ignore it.
    #[error("ill-formed: {0}")]
    IllFormed(IllFormed),
}

/// Why a message is not well-formed (digest §3.2 "WellFormed", decisions D2,
/// D4, D11), or exceeds a documented resource bound.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IllFormed {
    /// The signer is not an acceptor of this cluster.
    #[error("signer {0} is not an acceptor of this cluster")]
    UnknownSigner(AcceptorId),
    /// No 1a in its history (`Get1a(x)` does not exist), e.g. no references.
    #[error("no 1a in its history, so it has no ballot")]
    NoBallot,
    /// It directly references `Get1a(x)` (so it is a 1b) but also references a
    /// message of its own ballot (D4: WellFormed for 1bs).
    #[error("a 1b that also references {other}, a message of its own ballot")]
    OneBSameBallot {
        /// The offending reference.
        other: MessageId,
    },
    /// Not a 1b, and for no learner `a` do the signers of `q_a(x)` contain a
    /// quorum of `a` together with the sender's own fresh 1b (D2, D11).
    #[error(
        "not a 2a for any learner at ballot {ballot}: no quorum of fresh 1bs including the sender's own"
    )]
    NotA2a {
        /// The message's ballot.
        ballot: Ballot,
    },
    /// A documented resource bound was exceeded.
    #[error("resource limit: {0}")]
    ResourceLimit(&'static str),
}

/// Accepted messages and their derived facts, for one learner graph.
#[derive(Clone, Debug)]
pub struct MessageStore {
    graph: Arc<LearnerGraph>,
    /// Accepted messages with their facts, in acceptance order. A node never
    /// changes once accepted, so clones of a store share them (the model
    /// checker clones stores at every step).
    nodes: Vec<Arc<Node>>,
    /// Position of each accepted id. Ids are SHA-256 digests chosen by
    /// whoever builds the message, so the table is keyed with a per-process
    /// random seed (foldhash), which they cannot aim collisions at; cheaper
    /// than SipHash on the model checker's and the nodes' hottest lookup.
    index: HashMap<MessageId, NodeIdx, foldhash::fast::RandomState>,
    signers: Vec<SignerState>,
    /// `Con_a` by caught set; shared by clones of the store until one of
    /// them caches a new caught set. Read for every accepted message, so
    /// hashed with foldhash rather than SipHash (a caught set is 128 bytes).
    con_cache: Arc<HashMap<AcceptorSet, Arc<[LearnerSet]>, foldhash::fast::RandomState>>,
    empty_front: Arc<[Front]>,
    empty_fresh1b: Arc<[AcceptorSet]>,
    empty_top2a: Arc<[Top2a]>,
    /// XOR of the first 8 bytes of every accepted id: an order-independent
    /// digest of the accepted set, for hashing states in the model checker.
    set_digest: u64,
    /// A seeded fault (feature `mutants` only; see [`StoreFault`]).
    #[cfg(feature = "mutants")]
    fault: Option<StoreFault>,
}

/// Seeded faults of the store, compiled only with the feature `mutants`:
/// the model checker's mutant tests seed one to show that it is caught.
/// Nothing seeds one unless asked to; a node never does.
#[cfg(feature = "mutants")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreFault {
    /// Decision D2 dropped: a 2a for learner `a` need not have its signer's
    /// own fresh 1b among `q_a(x)`'s signers.
    WithoutD2,
}

/// Most distinct caught sets whose `Con_a` are cached.
const CON_CACHE_LIMIT: usize = 256;

impl MessageStore {
    /// An empty store for `graph`.
    pub fn new(graph: Arc<LearnerGraph>) -> Self {
        let n = graph.num_acceptors();
        let l = graph.num_learners();
        let mut store = Self {
            nodes: Vec::new(),
            index: HashMap::default(),
            signers: vec![SignerState::default(); n],
            con_cache: Arc::default(),
            empty_front: vec![Front::None; n].into(),
            empty_fresh1b: vec![AcceptorSet::EMPTY; l].into(),
            empty_top2a: vec![Top2a::default(); l].into(),
            set_digest: 0,
            #[cfg(feature = "mutants")]
            fault: None,
            graph,
        };
        let none = store.connected_for(AcceptorSet::EMPTY);
        Arc::make_mut(&mut store.con_cache).insert(AcceptorSet::EMPTY, none);
        store
    }

    /// Seeds `fault` into this store (feature `mutants`, for tests only).
    #[cfg(feature = "mutants")]
    pub fn seed_fault(&mut self, fault: StoreFault) {
        self.fault = Some(fault);
    }

    /// Whether decision D2 is in force (always, unless a test seeded
    /// [`StoreFault::WithoutD2`]).
    #[cfg(feature = "mutants")]
    pub(crate) fn d2(&self) -> bool {
        self.fault != Some(StoreFault::WithoutD2)
    }

    /// Whether decision D2 is in force: always.
    #[cfg(not(feature = "mutants"))]
    pub(crate) fn d2(&self) -> bool {
        true
    }

    /// The learner graph.
    pub fn graph(&self) -> &Arc<LearnerGraph> {
        &self.graph
    }

    /// Number of accepted messages.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no message was accepted.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether `id` was accepted.
    pub fn contains(&self, id: &MessageId) -> bool {
        self.index.contains_key(id)
    }

    /// The store index of an accepted message.
    pub fn index_of(&self, id: &MessageId) -> Option<NodeIdx> {
        self.index.get(id).copied()
    }

    /// The accepted message `id`.
    pub fn get(&self, id: &MessageId) -> Option<&Message> {
        self.index_of(id).map(|i| &self.node(i).message)
    }

    /// Accepted messages in acceptance order, which is causal: every message
    /// comes after all of its references (for replay to a late peer).
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.nodes.iter().map(|n| &n.message)
    }

    /// Accepted messages from position `from` of the acceptance order on
    /// (none if `from` is past the end): what was accepted since the store
    /// held `from` messages.
    pub fn messages_from(&self, from: usize) -> impl Iterator<Item = &Message> {
        self.nodes
            .get(from..)
            .unwrap_or_default()
            .iter()
            .map(|n| &n.message)
    }

    /// The facts of an accepted message.
    pub fn facts(&self, id: &MessageId) -> Option<Facts<'_>> {
        self.index_of(id).map(|i| self.facts_at(i))
    }

    /// The facts of the message at `idx`.
    ///
    /// # Panics
    /// If `idx` is not an index of this store.
    pub fn facts_at(&self, idx: NodeIdx) -> Facts<'_> {
        Facts::new(self, idx)
    }

    /// The facts of every accepted message, in acceptance order (no id
    /// lookups: for callers that read every message's facts).
    pub fn all_facts(&self) -> impl Iterator<Item = Facts<'_>> {
        (0..self.nodes.len()).map(|i| Facts::new(self, i as NodeIdx))
    }

    pub(crate) fn node(&self, i: NodeIdx) -> &Node {
        &self.nodes[i as usize]
    }

    /// Derives the facts `message` would have, without accepting it.
    pub fn check(&self, message: &Message) -> Result<(), Rejection> {
        if self.contains(&message.id()) {
            return Err(Rejection::Duplicate);
        }
        self.derive(message.id(), shape_of(message)).map(|_| ())
    }

    /// Accepts `message` if its references are known and it is well-formed,
    /// returning its store index. The signature must have been verified by the
    /// caller (see [`Verifier`](crate::Verifier)).
    pub fn insert(&mut self, message: Message) -> Result<NodeIdx, Rejection> {
        if self.contains(&message.id()) {
            return Err(Rejection::Duplicate);
        }
        let d = self.derive(message.id(), shape_of(&message))?;
        Ok(self.commit(message, d))
    }

    /// For an acceptor's own next message: derives the facts of `unsigned`;
    /// if it is well-formed and `emit` approves of its facts (e.g. the
    /// acceptor's redundancy rule), signs it, accepts it and returns it.
    /// `Ok(None)` when `emit` declined; the store is then unchanged.
    pub fn insert_own(
        &mut self,
        unsigned: Unsigned,
        signer: &dyn Signer,
        emit: impl FnOnce(&Self, &Candidate) -> bool,
    ) -> Result<Option<(NodeIdx, Message)>, Rejection> {
        if self.contains(&unsigned.id()) {
            return Err(Rejection::Duplicate);
        }
        let d = self.derive(
            unsigned.id(),
            Shape::Signed {
                signer: unsigned.signer(),
                refs: unsigned.refs(),
            },
        )?;
        if !emit(self, &Candidate { d: &d }) {
            return Ok(None);
        }
        let message = unsigned.sign(signer);
        let idx = self.commit(message.clone(), d);
        Ok(Some((idx, message)))
    }

    fn commit(&mut self, message: Message, d: Derived) -> NodeIdx {
        let idx = self.nodes.len() as NodeIdx;
        if let Some(s) = d.signer {
            let seq = d.seq as usize;
            let st = self.signer_state(s);
            st.messages += 1;
            if !st.forked {
                if seq < st.chain.len() {
                    // Two messages with one sequence number: the signer forked.
                    st.forked = true;
                    st.fork = Some((st.chain[seq], idx));
                    st.chain = Vec::new();
                } else {
                    st.chain.push(idx);
                }
            }
        }
        if !self.con_cache.contains_key(&d.caught) {
            let cache = Arc::make_mut(&mut self.con_cache);
            if cache.len() >= CON_CACHE_LIMIT {
                cache.retain(|k, _| k.is_empty());
            }
            cache.insert(d.caught, d.connected.clone());
        }
        self.set_digest ^= id_prefix(&message.id());
        self.index.insert(message.id(), idx);
        self.nodes.push(Arc::new(Node { message, d }));
        idx
    }

    /// An order-independent digest of the set of accepted ids (equal sets give
    /// equal digests whatever the acceptance order). O(1).
    pub fn set_digest(&self) -> u64 {
        self.set_digest
    }

    /// The accepted ids, sorted: the store's content as a set. O(n log n).
    pub fn sorted_ids(&self) -> Vec<MessageId> {
        let mut ids: Vec<MessageId> = self.index.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Whether the two stores accepted the same set of messages, whatever
    /// the order. O(n) lookups, and O(1) when the sizes or digests differ.
    pub fn same_messages(&self, other: &MessageStore) -> bool {
        self.len() == other.len()
            && self.set_digest == other.set_digest
            && self.index.keys().all(|id| other.index.contains_key(id))
    }

    /// Whether `signer` is known to have equivocated anywhere in this store.
    pub fn is_forked(&self, signer: AcceptorId) -> bool {
        self.signers.get(signer.index()).is_some_and(|s| s.forked)
    }

    /// The proof that `signer` equivocated, if the store holds one: the
    /// first two of its messages found with one sequence number (neither is
    /// in the other's `Tran`, so the pair alone convicts it; digest §3.2
    /// "Caught").
    pub fn fork_evidence(&self, signer: AcceptorId) -> Option<(MessageId, MessageId)> {
        let (a, b) = self.signers.get(signer.index())?.fork?;
        Some((self.node(a).message.id(), self.node(b).message.id()))
    }
}

/// The facts of a message being considered by [`MessageStore::insert_own`].
pub struct Candidate<'a> {
    d: &'a Derived,
}

impl Candidate<'_> {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        self.d.kind
    }

    /// Its ballot.
    pub fn ballot(&self) -> Ballot {
        self.d.ballot
    }

    /// Signers of its fresh 1bs of its ballot for learner `a` (`Sig(q_a(x))`).
    pub fn q_signers(&self, a: hetpaxos_quorums::LearnerId) -> AcceptorSet {
        self.d
            .fresh1b
            .get(a.index())
            .copied()
            .unwrap_or(AcceptorSet::EMPTY)
    }
}

fn id_prefix(id: &MessageId) -> u64 {
    let b = id.0.as_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

fn shape_of(message: &Message) -> Shape<'_> {
    match message.body() {
        Body::Proposal(p) => Shape::Proposal(p.ballot()),
        Body::Signed(s) => Shape::Signed {
            signer: s.signer(),
            refs: s.refs(),
        },
    }
}
