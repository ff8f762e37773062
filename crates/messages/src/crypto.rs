//! Signatures: Ed25519 over a domain-separated payload that binds the message
//! id to one cluster, plus an explicit no-signature scheme for the model
//! checker, where signatures are abstracted to the signer.
//!
//! **Decision D13: a signature is valid by the ZIP 215 rules** (the
//! cofactored verification equation `[8][S]B = [8]R + [8][k]A`, encodings as
//! ZIP 215 allows them; the `ed25519-zebra` crate), for one message and for a
//! batch alike. `verify_strict` (the cofactorless equation, used before) and
//! ed25519-dalek's batch check disagree on signatures whose equation is off by
//! a small-order point, which only the signer can make, and the batch's answer
//! for them depends on its random weights: a Byzantine signer could make
//! honest nodes disagree on whether its message exists. Under one cofactored
//! rule every check, batched or not, accepts the same signatures. Every
//! signature made by an honest Ed25519 signer is valid under both rules, and a
//! signature is never part of a message id, so no derived fact changes (the
//! store, the executable spec and the model, which abstracts signatures, are
//! untouched). Batches weight their equations by a generator seeded with a
//! hash of the whole batch, so that checking stays a pure function.

use crate::hash::{Hash32, MessageId};
use crate::message::{Body, Message, ProposalSignature};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use hetpaxos_quorums::AcceptorId;
use std::fmt;
use thiserror::Error;

/// Domain separator of signatures.
const SIGNATURE_DOMAIN: &[u8] = b"hetpaxos/v1/signature\0";
/// Domain separator of proposers' signatures on 1as (decision D12).
const PROPOSAL_SIGNATURE_DOMAIN: &[u8] = b"hetpaxos/v1/proposal-signature\0";

/// A proposer: its index in the cluster's list of proposers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProposerId(pub u32);

impl fmt::Display for ProposerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proposer#{}", self.0)
    }
}

/// An Ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sig:{}", hex::encode(&self.0[..6]))
    }
}

/// Identifies one cluster (e.g. a hash of its public configuration). It is
/// part of every signed payload, so a message signed for one cluster is not
/// valid in another that happens to share a key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct ClusterContext(pub Hash32);

/// The bytes that are signed for message `id` in cluster `context`.
pub fn signing_payload(context: ClusterContext, id: MessageId) -> [u8; 86] {
    let mut out = [0u8; 86];
    out[..22].copy_from_slice(SIGNATURE_DOMAIN);
    out[22..54].copy_from_slice(context.0.as_bytes());
    out[54..].copy_from_slice(id.0.as_bytes());
    out
}

/// The bytes a proposer signs for its 1a `id` in cluster `context`: its own
/// domain, the context, the proposer's index and the id.
pub fn proposal_signing_payload(
    context: ClusterContext,
    proposer: ProposerId,
    id: MessageId,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(PROPOSAL_SIGNATURE_DOMAIN.len() + 68);
    out.extend_from_slice(PROPOSAL_SIGNATURE_DOMAIN);
    out.extend_from_slice(context.0.as_bytes());
    out.extend_from_slice(&proposer.0.to_be_bytes());
    out.extend_from_slice(id.0.as_bytes());
    out
}

/// Signs 1as as one proposer.
pub trait ProposalSigner: Send + Sync {
    /// The proposer this signer signs as.
    fn proposer(&self) -> ProposerId;
    /// Signs the domain-separated payload of the 1a `id`.
    fn sign_proposal(&self, id: MessageId) -> Signature;
}

/// Signs message ids as one acceptor.
pub trait Signer: Send + Sync {
    /// The acceptor this signer signs as.
    fn acceptor(&self) -> AcceptorId;
    /// Signs the domain-separated payload of `id`.
    fn sign_id(&self, id: MessageId) -> Signature;
}

/// Checks signatures of signed messages.
pub trait Verifier: Send + Sync {
    /// Checks many messages; one result per message, in order, each the
    /// result [`Verifier::verify`] gives. An implementation may check them
    /// together (faster), as [`Ed25519Verifier`] does.
    fn verify_many(&self, messages: &[Message]) -> Vec<Result<(), SignatureError>> {
        messages.iter().map(|m| self.verify(m)).collect()
    }

    /// Checks that `signature` is `signer`'s over message `id`.
    fn verify_id(
        &self,
        signer: AcceptorId,
        id: MessageId,
        signature: &Signature,
    ) -> Result<(), SignatureError>;

    /// Checks the proposer's signature of the 1a `id` (`None`: unsigned).
    fn verify_proposal(
        &self,
        signed: Option<&ProposalSignature>,
        id: MessageId,
    ) -> Result<(), SignatureError>;

    /// Checks a whole message: a 1a must carry a configured proposer's valid
    /// signature, a signed reference set its named acceptor's.
    ///
    /// Decision D12: a 1a is signed by the proposer that made it (its index
    /// in the cluster's proposers, an Ed25519 signature over its id with a
    /// domain of its own, bound to the cluster context). The id of a 1a
    /// still covers only its ballot, so the signature changes no derived
    /// fact, and proposers still cannot be caught (D3): a 1a is refused or
    /// accepted here, before the store sees it, like a badly signed 1b.
    fn verify(&self, message: &Message) -> Result<(), SignatureError> {
        match message.body() {
            Body::Proposal(p) => self.verify_proposal(p.signed(), message.id()),
            Body::Signed(s) => self.verify_id(s.signer(), message.id(), s.signature()),
        }
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// The named signer is not an acceptor of this cluster.
    #[error("signer {0} is not an acceptor of this cluster")]
    UnknownSigner(AcceptorId),
    /// The signature does not verify under the signer's key.
    #[error("invalid signature by {0}")]
    Invalid(AcceptorId),
    /// A 1a without a proposer's signature.
    #[error("unsigned 1a: only configured proposers may propose")]
    UnsignedProposal,
    /// A 1a signed as a proposer that is not configured.
    #[error("{0} is not a proposer of this cluster")]
    UnknownProposer(ProposerId),
    /// A 1a whose signature does not verify under its proposer's key.
    #[error("invalid 1a signature by {0}")]
    InvalidProposal(ProposerId),
}

/// An acceptor's Ed25519 signing key.
pub struct Ed25519Signer {
    acceptor: AcceptorId,
    key: SigningKey,
    context: ClusterContext,
}

impl Ed25519Signer {
    /// Signs as `acceptor` with `key` in cluster `context`.
    pub fn new(acceptor: AcceptorId, key: SigningKey, context: ClusterContext) -> Self {
        Self {
            acceptor,
            key,
            context,
        }
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret key.
        f.debug_struct("Ed25519Signer")
            .field("acceptor", &self.acceptor)
            .finish_non_exhaustive()
    }
}

impl Signer for Ed25519Signer {
    fn acceptor(&self) -> AcceptorId {
        self.acceptor
    }

    fn sign_id(&self, id: MessageId) -> Signature {
        Signature(self.key.sign(&signing_payload(self.context, id)).to_bytes())
    }
}

/// The cluster's acceptor public keys, indexed by acceptor id, and its
/// proposers' keys, indexed by proposer id; checks by the ZIP 215 rules
/// (decision D13, in the module docs).
#[derive(Clone, Debug)]
pub struct Ed25519Verifier {
    keys: Vec<Option<ed25519_zebra::VerificationKey>>,
    proposers: Vec<Option<ed25519_zebra::VerificationKey>>,
    context: ClusterContext,
}

/// The ZIP 215 form of a public key (`None`: not a curve point, which a
/// [`VerifyingKey`] never is).
fn zip215_key(key: &VerifyingKey) -> Option<ed25519_zebra::VerificationKey> {
    ed25519_zebra::VerificationKey::try_from(key.to_bytes()).ok()
}

/// Fewest signatures [`Ed25519Verifier::verify_many`] checks as a batch.
const MIN_BATCH: usize = 4;

/// What one signature check needs: the key, the signature and the payload,
/// or the error to report without checking.
type Check = Result<
    (
        ed25519_zebra::VerificationKey,
        ed25519_zebra::Signature,
        Vec<u8>,
    ),
    SignatureError,
>;

impl Ed25519Verifier {
    /// The key of acceptor `signer`.
    fn acceptor_key(
        &self,
        signer: AcceptorId,
    ) -> Result<ed25519_zebra::VerificationKey, SignatureError> {
        self.keys
            .get(signer.index())
            .copied()
            .flatten()
            .ok_or(SignatureError::UnknownSigner(signer))
    }

    /// The key of proposer `proposer`.
    fn proposer_key(
        &self,
        proposer: ProposerId,
    ) -> Result<ed25519_zebra::VerificationKey, SignatureError> {
        usize::try_from(proposer.0)
            .ok()
            .and_then(|i| self.proposers.get(i))
            .copied()
            .flatten()
            .ok_or(SignatureError::UnknownProposer(proposer))
    }

    /// The check `message` needs, and the error if it fails.
    fn check_of(&self, message: &Message) -> (Check, SignatureError) {
        match message.body() {
            Body::Signed(s) => {
                let signer = s.signer();
                let bad = SignatureError::Invalid(signer);
                let check = self.acceptor_key(signer).map(|k| {
                    (
                        k,
                        ed25519_zebra::Signature::from_bytes(&s.signature().0),
                        signing_payload(self.context, message.id()).to_vec(),
                    )
                });
                (check, bad)
            }
            Body::Proposal(p) => match p.signed() {
                None => (
                    Err(SignatureError::UnsignedProposal),
                    SignatureError::UnsignedProposal,
                ),
                Some(s) => {
                    let bad = SignatureError::InvalidProposal(s.proposer);
                    let check = self.proposer_key(s.proposer).map(|k| {
                        (
                            k,
                            ed25519_zebra::Signature::from_bytes(&s.signature.0),
                            proposal_signing_payload(self.context, s.proposer, message.id())
                                .to_vec(),
                        )
                    });
                    (check, bad)
                }
            },
        }
    }
}

impl Ed25519Verifier {
    /// Acceptor keys in acceptor-index order, proposer keys in proposer-index
    /// order.
    pub fn new(
        keys: Vec<VerifyingKey>,
        proposers: Vec<VerifyingKey>,
        context: ClusterContext,
    ) -> Self {
        Self {
            keys: keys.iter().map(zip215_key).collect(),
            proposers: proposers.iter().map(zip215_key).collect(),
            context,
        }
    }
}

/// A proposer's Ed25519 signing key.
pub struct Ed25519ProposalSigner {
    proposer: ProposerId,
    key: SigningKey,
    context: ClusterContext,
}

impl Ed25519ProposalSigner {
    /// Signs as `proposer` with `key` in cluster `context`.
    pub fn new(proposer: ProposerId, key: SigningKey, context: ClusterContext) -> Self {
        Self {
            proposer,
            key,
            context,
        }
    }
}

impl fmt::Debug for Ed25519ProposalSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret key.
        f.debug_struct("Ed25519ProposalSigner")
            .field("proposer", &self.proposer)
            .finish_non_exhaustive()
    }
}

impl ProposalSigner for Ed25519ProposalSigner {
    fn proposer(&self) -> ProposerId {
        self.proposer
    }

    fn sign_proposal(&self, id: MessageId) -> Signature {
        let payload = proposal_signing_payload(self.context, self.proposer, id);
        Signature(self.key.sign(&payload).to_bytes())
    }
}

impl Verifier for Ed25519Verifier {
    fn verify_id(
        &self,
        signer: AcceptorId,
        id: MessageId,
        signature: &Signature,
    ) -> Result<(), SignatureError> {
        let sig = ed25519_zebra::Signature::from_bytes(&signature.0);
        self.acceptor_key(signer)?
            .verify(&sig, &signing_payload(self.context, id))
            .map_err(|_| SignatureError::Invalid(signer))
    }

    fn verify_proposal(
        &self,
        signed: Option<&ProposalSignature>,
        id: MessageId,
    ) -> Result<(), SignatureError> {
        let s = signed.ok_or(SignatureError::UnsignedProposal)?;
        let sig = ed25519_zebra::Signature::from_bytes(&s.signature.0);
        self.proposer_key(s.proposer)?
            .verify(
                &sig,
                &proposal_signing_payload(self.context, s.proposer, id),
            )
            .map_err(|_| SignatureError::InvalidProposal(s.proposer))
    }

    /// One batch check of every message with a known key (ZIP 215, so the
    /// same answer as checking each alone); if the batch fails, each is
    /// checked alone to find the culprits. Fewer than a few are checked
    /// alone at once.
    fn verify_many(&self, messages: &[Message]) -> Vec<Result<(), SignatureError>> {
        if messages.len() < MIN_BATCH {
            return messages.iter().map(|m| self.verify(m)).collect();
        }
        let checks: Vec<(Check, SignatureError)> =
            messages.iter().map(|m| self.check_of(m)).collect();
        let mut batch = ed25519_zebra::batch::Verifier::new();
        let mut seed = Vec::new();
        let mut queued = 0usize;
        for (check, _) in &checks {
            if let Ok((key, sig, payload)) = check {
                let key_bytes = ed25519_zebra::VerificationKeyBytes::from(*key);
                seed.extend_from_slice(key_bytes.as_ref());
                seed.extend_from_slice(&sig.to_bytes());
                seed.extend_from_slice(payload);
                batch.queue((key_bytes, *sig, payload));
                queued += 1;
            }
        }
        // Below a few signatures a batch costs more than single checks.
        let all_valid = queued >= MIN_BATCH && {
            // Weights from the batch itself: checking is a pure function.
            use rand::SeedableRng as _;
            let rng = rand::rngs::StdRng::from_seed(*Hash32::of(&[&seed]).as_bytes());
            batch.verify(rng).is_ok()
        };
        checks
            .into_iter()
            .map(|(check, bad)| {
                let (key, sig, payload) = check?;
                if all_valid {
                    return Ok(());
                }
                key.verify(&sig, &payload).map_err(|_| bad)
            })
            .collect()
    }
}

/// For a runtime that checks every received message with a real
/// [`Verifier`] before it hands it to a state machine (hetpaxos-node does,
/// in its stream tasks, so that verification runs beside the consensus task
/// rather than in it): accepts every signature. The state machine then only
/// ever sees messages that passed the real check. Never give it a message
/// that did not.
#[derive(Clone, Copy, Debug)]
pub struct PreVerified;

impl Verifier for PreVerified {
    fn verify_id(
        &self,
        _signer: AcceptorId,
        _id: MessageId,
        _signature: &Signature,
    ) -> Result<(), SignatureError> {
        Ok(())
    }

    fn verify_proposal(
        &self,
        _signed: Option<&ProposalSignature>,
        _id: MessageId,
    ) -> Result<(), SignatureError> {
        Ok(())
    }
}

/// **Model checking only**: signatures abstracted to the named signer. Signing
/// yields an all-zero signature and verification accepts any signature by a
/// signer below `acceptors`, and any 1a (signed or not: the model has no
/// outsiders). Never use it on a network.
#[derive(Clone, Copy, Debug)]
pub struct AbstractSignatures {
    /// Number of acceptors.
    pub acceptors: usize,
}

/// A signer for [`AbstractSignatures`].
#[derive(Clone, Copy, Debug)]
pub struct AbstractSigner(pub AcceptorId);

impl Signer for AbstractSigner {
    fn acceptor(&self) -> AcceptorId {
        self.0
    }

    fn sign_id(&self, _id: MessageId) -> Signature {
        Signature([0; 64])
    }
}

impl Verifier for AbstractSignatures {
    fn verify_id(
        &self,
        signer: AcceptorId,
        _id: MessageId,
        _signature: &Signature,
    ) -> Result<(), SignatureError> {
        if signer.index() < self.acceptors {
            Ok(())
        } else {
            Err(SignatureError::UnknownSigner(signer))
        }
    }

    fn verify_proposal(
        &self,
        _signed: Option<&ProposalSignature>,
        _id: MessageId,
    ) -> Result<(), SignatureError> {
        Ok(())
    }
}

/// A proposal signer for [`AbstractSignatures`]: an all-zero signature.
#[derive(Clone, Copy, Debug)]
pub struct AbstractProposalSigner(pub ProposerId);

impl ProposalSigner for AbstractProposalSigner {
    fn proposer(&self) -> ProposerId {
        self.0
    }

    fn sign_proposal(&self, _id: MessageId) -> Signature {
        Signature([0; 64])
    }
}
