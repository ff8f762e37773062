//! Messages: a proposal (1a) or a signed reference set (1b / 2a, decided when the
//! message is accepted into a [`MessageStore`](crate::MessageStore)).

use crate::ballot::Ballot;
use crate::crypto::{ProposalSigner, ProposerId, Signature, Signer};
use crate::hash::{Hash32, MessageId, ValueHash};
use bytes::Bytes;
use hetpaxos_quorums::AcceptorId;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Domain separator of a proposal's id.
const PROPOSAL_DOMAIN: &[u8] = b"hetpaxos/v1/message/1a\0";
/// Domain separator of a signed reference set's id.
const SIGNED_DOMAIN: &[u8] = b"hetpaxos/v1/message/signed\0";

/// A 1a: a ballot and its value, signed by the proposer that made it. Its id
/// depends only on the ballot, which commits to the value through the value
/// hash, so one ballot is one message (whoever signed it).
#[derive(Clone, PartialEq, Eq)]
pub struct Proposal {
    ballot: Ballot,
    value: Bytes,
    signed: Option<ProposalSignature>,
}

/// Who signed a 1a, and the signature (decision D12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProposalSignature {
    /// The proposer, by its index in the cluster configuration.
    pub proposer: ProposerId,
    /// Its Ed25519 signature over the 1a's id, domain-separated.
    pub signature: Signature,
}

impl Proposal {
    /// The ballot.
    pub fn ballot(&self) -> Ballot {
        self.ballot
    }

    /// The proposed value.
    pub fn value(&self) -> &Bytes {
        &self.value
    }

    /// The proposer's signature (`None` for an unsigned 1a, which a network
    /// verifier refuses).
    pub fn signed(&self) -> Option<&ProposalSignature> {
        self.signed.as_ref()
    }
}

/// A signed reference set: a 1b or a 2a, decided from the message DAG.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRefs {
    signer: AcceptorId,
    refs: Arc<[MessageId]>,
    signature: Signature,
}

impl SignedRefs {
    /// The acceptor that signed the message (named in it; never found by trying keys).
    pub fn signer(&self) -> AcceptorId {
        self.signer
    }

    /// Ids of the referenced messages, strictly increasing.
    pub fn refs(&self) -> &[MessageId] {
        &self.refs
    }

    /// The signature over the domain-separated id.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }
}

/// The two kinds of message on the wire.
#[derive(Clone, PartialEq, Eq)]
pub enum Body {
    /// A 1a.
    Proposal(Proposal),
    /// A 1b or 2a.
    Signed(SignedRefs),
}

#[derive(PartialEq, Eq)]
struct Inner {
    id: MessageId,
    body: Body,
}

/// A consensus message with its id computed once. Cheap to clone (shared).
/// Equality, hashing and order are by id.
#[derive(Clone)]
pub struct Message(Arc<Inner>);

impl Message {
    /// An unsigned 1a proposing `value` at ballot `(timestamp,
    /// SHA-256(value))`: for tests and the model, whose verifiers abstract
    /// signatures; a network verifier refuses it. Proposers use
    /// [`Message::signed_proposal`].
    pub fn proposal(timestamp: u64, value: impl Into<Bytes>) -> Self {
        let value = value.into();
        let ballot = Ballot::new(timestamp, ValueHash::of(&value));
        Self::from_parts(Body::Proposal(Proposal {
            ballot,
            value,
            signed: None,
        }))
    }

    /// A 1a proposing `value` at ballot `(timestamp, SHA-256(value))`, signed
    /// by `signer`.
    pub fn signed_proposal(
        timestamp: u64,
        value: impl Into<Bytes>,
        signer: &dyn ProposalSigner,
    ) -> Self {
        let value = value.into();
        let ballot = Ballot::new(timestamp, ValueHash::of(&value));
        let id = proposal_id(ballot);
        let signed = ProposalSignature {
            proposer: signer.proposer(),
            signature: signer.sign_proposal(id),
        };
        Self::from_parts(Body::Proposal(Proposal {
            ballot,
            value,
            signed: Some(signed),
        }))
    }

    /// A 1a from decoded parts; `None` when the ballot's value hash is not the
    /// hash of `value`. The signature is not checked here.
    pub fn proposal_checked(
        ballot: Ballot,
        value: Bytes,
        signed: Option<ProposalSignature>,
    ) -> Option<Self> {
        (ValueHash::of(&value) == ballot.value).then(|| {
            Self::from_parts(Body::Proposal(Proposal {
                ballot,
                value,
                signed,
            }))
        })
    }

    /// A signed reference set from decoded parts. `refs` must be strictly
    /// increasing (the canonical order); the signature is not checked here.
    pub fn signed_checked(
        signer: AcceptorId,
        refs: Vec<MessageId>,
        signature: Signature,
    ) -> Option<Self> {
        if refs.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        Some(Self::from_parts(Body::Signed(SignedRefs {
            signer,
            refs: refs.into(),
            signature,
        })))
    }

    fn from_parts(body: Body) -> Self {
        let id = match &body {
            Body::Proposal(p) => proposal_id(p.ballot),
            Body::Signed(s) => signed_id(s.signer, &s.refs),
        };
        Self(Arc::new(Inner { id, body }))
    }

    /// The message id: SHA-256 of a domain-separated canonical encoding. For a
    /// 1a: the domain and the ballot. For a signed reference set: the domain,
    /// the signer and the sorted references — the signature is not part of the
    /// id, so a second signature over the same content is the same message.
    pub fn id(&self) -> MessageId {
        self.0.id
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.0.body
    }

    /// The proposal, if this is a 1a.
    pub fn as_proposal(&self) -> Option<&Proposal> {
        match &self.0.body {
            Body::Proposal(p) => Some(p),
            Body::Signed(_) => None,
        }
    }

    /// The signed part, if this is not a 1a.
    pub fn as_signed(&self) -> Option<&SignedRefs> {
        match &self.0.body {
            Body::Signed(s) => Some(s),
            Body::Proposal(_) => None,
        }
    }

    /// The signer (`Sig(x)`, digest §3.2); `None` for a 1a.
    pub fn signer(&self) -> Option<AcceptorId> {
        self.as_signed().map(SignedRefs::signer)
    }

    /// Direct references (empty for a 1a).
    pub fn refs(&self) -> &[MessageId] {
        self.as_signed().map_or(&[], SignedRefs::refs)
    }

    /// The memory a copy of this message holds, approximately: a fixed part
    /// (id, signature, bookkeeping), its references and its value. For
    /// charging buffers.
    pub fn approx_bytes(&self) -> usize {
        let value = self.as_proposal().map_or(0, |p| p.value().len());
        160 + std::mem::size_of_val(self.refs()) + value
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for Message {}

impl Hash for Message {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id.hash(state);
    }
}

impl PartialOrd for Message {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Message {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.id.cmp(&other.0.id)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.body {
            Body::Proposal(p) => write!(f, "1a[{} b={:?}]", self.0.id, p.ballot),
            Body::Signed(s) => write!(
                f,
                "signed[{} by {} refs={}]",
                self.0.id,
                s.signer,
                s.refs.len()
            ),
        }
    }
}

/// The id of the 1a with `ballot`.
pub fn proposal_id(ballot: Ballot) -> MessageId {
    MessageId(Hash32::of(&[
        PROPOSAL_DOMAIN,
        &ballot.timestamp.to_be_bytes(),
        ballot.value.0.as_bytes(),
    ]))
}

/// The id of a signed reference set (refs sorted, deduplicated).
pub fn signed_id(signer: AcceptorId, refs: &[MessageId]) -> MessageId {
    let signer = (signer.index() as u32).to_be_bytes();
    let count = (refs.len() as u64).to_be_bytes();
    let mut h = sha2::Sha256::default();
    sha2::Digest::update(&mut h, SIGNED_DOMAIN);
    sha2::Digest::update(&mut h, signer);
    sha2::Digest::update(&mut h, count);
    for r in refs {
        sha2::Digest::update(&mut h, r.0.as_bytes());
    }
    MessageId(Hash32(sha2::Digest::finalize(h).into()))
}

/// A signed reference set before signing: the content whose id gets signed.
/// An acceptor builds one, checks it would be well-formed, and only then signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsigned {
    signer: AcceptorId,
    refs: Vec<MessageId>,
    id: MessageId,
}

impl Unsigned {
    /// Content signed by `signer` referencing `refs` (sorted and deduplicated here).
    pub fn new(signer: AcceptorId, refs: impl IntoIterator<Item = MessageId>) -> Self {
        let mut refs: Vec<MessageId> = refs.into_iter().collect();
        refs.sort_unstable();
        refs.dedup();
        let id = signed_id(signer, &refs);
        Self { signer, refs, id }
    }

    /// The id the message will have.
    pub fn id(&self) -> MessageId {
        self.id
    }

    /// The signer.
    pub fn signer(&self) -> AcceptorId {
        self.signer
    }

    /// The references.
    pub fn refs(&self) -> &[MessageId] {
        &self.refs
    }

    /// Signs with `signer` (which must sign as this content's signer).
    pub fn sign(self, signer: &dyn Signer) -> Message {
        let signature = signer.sign_id(self.id);
        Message(Arc::new(Inner {
            id: self.id,
            body: Body::Signed(SignedRefs {
                signer: self.signer,
                refs: self.refs.into(),
                signature,
            }),
        }))
    }
}
