//! Signatures: Ed25519 (strict verification) over a domain-separated payload
//! that binds the message id to one cluster, plus an explicit no-signature
//! scheme for the model checker, where signatures are abstracted to the signer.

use crate::hash::{Hash32, MessageId};
use crate::message::Message;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use hetpaxos_quorums::AcceptorId;
use std::fmt;
use thiserror::Error;

/// Domain separator of signatures.
const SIGNATURE_DOMAIN: &[u8] = b"hetpaxos/v1/signature\0";

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

/// Signs message ids as one acceptor.
pub trait Signer: Send + Sync {
    /// The acceptor this signer signs as.
    fn acceptor(&self) -> AcceptorId;
    /// Signs the domain-separated payload of `id`.
    fn sign_id(&self, id: MessageId) -> Signature;
}

/// Checks signatures of signed messages.
pub trait Verifier: Send + Sync {
    /// Checks that `signature` is `signer`'s over message `id`.
    fn verify_id(
        &self,
        signer: AcceptorId,
        id: MessageId,
        signature: &Signature,
    ) -> Result<(), SignatureError>;

    /// Checks a whole message: a 1a needs no signature; a signed message must
    /// carry its named signer's valid signature.
    fn verify(&self, message: &Message) -> Result<(), SignatureError> {
        match message.as_signed() {
            None => Ok(()),
            Some(s) => self.verify_id(s.signer(), message.id(), s.signature()),
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

/// The cluster's acceptor public keys, indexed by acceptor id.
#[derive(Clone, Debug)]
pub struct Ed25519Verifier {
    keys: Vec<VerifyingKey>,
    context: ClusterContext,
}

impl Ed25519Verifier {
    /// Keys in acceptor-index order.
    pub fn new(keys: Vec<VerifyingKey>, context: ClusterContext) -> Self {
        Self { keys, context }
    }
}

impl Verifier for Ed25519Verifier {
    fn verify_id(
        &self,
        signer: AcceptorId,
        id: MessageId,
        signature: &Signature,
    ) -> Result<(), SignatureError> {
        let key = self
            .keys
            .get(signer.index())
            .ok_or(SignatureError::UnknownSigner(signer))?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(&signing_payload(self.context, id), &sig)
            .map_err(|_| SignatureError::Invalid(signer))
    }
}

/// **Model checking only**: signatures abstracted to the named signer. Signing
/// yields an all-zero signature and verification accepts any signature by a
/// signer below `acceptors`. Never use it on a network.
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
}
