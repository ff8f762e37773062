//! Wire encoding: [`Message`] to and from the protobuf types of
//! `hetpaxos-proto`, with hard size limits checked before any allocation that
//! depends on the input.

use crate::ballot::Ballot;
use crate::crypto::{ProposerId, Signature};
use crate::hash::{Hash32, MessageId, ValueHash};
use crate::message::{Body, Message, ProposalSignature};
use bytes::Bytes;
use hetpaxos_proto::v1 as pb;
use hetpaxos_quorums::AcceptorId;
use prost::Message as _;
use thiserror::Error;

/// Hard limits on decoded messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest encoded message accepted, in bytes.
    pub max_encoded_bytes: usize,
    /// Largest proposed value, in bytes.
    pub max_value_bytes: usize,
    /// Most references in one signed message.
    pub max_refs: usize,
}

impl Default for Limits {
    /// 4 MiB messages, 1 MiB values, 65,536 references (2 MiB of ids).
    fn default() -> Self {
        Self {
            max_encoded_bytes: 4 << 20,
            max_value_bytes: 1 << 20,
            max_refs: 1 << 16,
        }
    }
}

/// Why bytes from the network are not a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Longer than [`Limits::max_encoded_bytes`].
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not valid protobuf for `ConsensusMessage`.
    #[error("not a consensus message: {0}")]
    Protobuf(String),
    /// Neither a proposal nor a signed reference set.
    #[error("message has no content")]
    Empty,
    /// A proposal without a ballot.
    #[error("proposal without a ballot")]
    MissingBallot,
    /// A hash field that is not 32 bytes.
    #[error("{field} must be 32 bytes, got {len}")]
    BadHashLength {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// The ballot's value hash is not the SHA-256 of the value.
    #[error("proposal value does not match the ballot's value hash")]
    ValueHashMismatch,
    /// Value longer than [`Limits::max_value_bytes`].
    #[error("value of {len} bytes exceeds the limit of {max} bytes")]
    ValueTooLarge {
        /// Value length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More references than [`Limits::max_refs`].
    #[error("{count} references exceed the limit of {max}")]
    TooManyRefs {
        /// Reference count.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// References not strictly increasing (duplicated or out of order).
    #[error("references are not in strictly increasing order")]
    RefsNotCanonical,
    /// A signer index beyond any possible cluster.
    #[error("signer index {0} is out of range")]
    SignerOutOfRange(u32),
    /// A request ([`pb::Want`]), not a consensus message.
    #[error("a request for messages, not a consensus message")]
    NotAMessage,
    /// A signature that is not 64 bytes.
    #[error("signature must be 64 bytes, got {0}")]
    BadSignatureLength(usize),
}

/// Decodes one protobuf-encoded `ConsensusMessage`.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Message, DecodeError> {
    if bytes.len() > limits.max_encoded_bytes {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: limits.max_encoded_bytes,
        });
    }
    let pb =
        pb::ConsensusMessage::decode(bytes).map_err(|e| DecodeError::Protobuf(e.to_string()))?;
    from_proto(pb, limits)
}

/// Encodes a message as a protobuf `ConsensusMessage`.
pub fn encode(message: &Message) -> Vec<u8> {
    to_proto(message).encode_to_vec()
}

/// Converts a decoded protobuf message, enforcing the limits and canonical form.
pub fn from_proto(pb: pb::ConsensusMessage, limits: &Limits) -> Result<Message, DecodeError> {
    match pb.kind.ok_or(DecodeError::Empty)? {
        pb::consensus_message::Kind::Proposal(p) => {
            let b = p.ballot.ok_or(DecodeError::MissingBallot)?;
            let value_hash = hash_field("ballot.value_hash", &b.value_hash)?;
            if p.value.len() > limits.max_value_bytes {
                return Err(DecodeError::ValueTooLarge {
                    len: p.value.len(),
                    max: limits.max_value_bytes,
                });
            }
            let ballot = Ballot::new(b.timestamp_nanos, ValueHash(value_hash));
            let signed = if p.signature.is_empty() {
                None
            } else {
                let signature = <[u8; 64]>::try_from(p.signature.as_slice())
                    .map_err(|_| DecodeError::BadSignatureLength(p.signature.len()))?;
                Some(ProposalSignature {
                    proposer: ProposerId(p.proposer),
                    signature: Signature(signature),
                })
            };
            Message::proposal_checked(ballot, Bytes::from(p.value), signed)
                .ok_or(DecodeError::ValueHashMismatch)
        }
        pb::consensus_message::Kind::Want(_) | pb::consensus_message::Kind::Have(_) => {
            Err(DecodeError::NotAMessage)
        }
        pb::consensus_message::Kind::Signed(s) => {
            if s.refs.len() > limits.max_refs {
                return Err(DecodeError::TooManyRefs {
                    count: s.refs.len(),
                    max: limits.max_refs,
                });
            }
            let signer = usize::try_from(s.signer)
                .ok()
                .and_then(AcceptorId::new)
                .ok_or(DecodeError::SignerOutOfRange(s.signer))?;
            let signature = <[u8; 64]>::try_from(s.signature.as_slice())
                .map_err(|_| DecodeError::BadSignatureLength(s.signature.len()))?;
            let refs = s
                .refs
                .iter()
                .map(|r| hash_field("refs", r).map(MessageId))
                .collect::<Result<Vec<_>, _>>()?;
            Message::signed_checked(signer, refs, Signature(signature))
                .ok_or(DecodeError::RefsNotCanonical)
        }
    }
}

/// The protobuf form of a message.
pub fn to_proto(message: &Message) -> pb::ConsensusMessage {
    let kind = match message.body() {
        Body::Proposal(p) => pb::consensus_message::Kind::Proposal(pb::Proposal {
            ballot: Some(pb::Ballot {
                timestamp_nanos: p.ballot().timestamp,
                value_hash: p.ballot().value.0.as_bytes().to_vec(),
            }),
            value: p.value().to_vec(),
            proposer: p.signed().map_or(0, |s| s.proposer.0),
            signature: p.signed().map_or_else(Vec::new, |s| s.signature.0.to_vec()),
        }),
        Body::Signed(s) => pb::consensus_message::Kind::Signed(pb::SignedReferences {
            signer: s.signer().index() as u32,
            refs: s.refs().iter().map(|r| r.0.as_bytes().to_vec()).collect(),
            signature: s.signature().0.to_vec(),
        }),
    };
    pb::ConsensusMessage { kind: Some(kind) }
}

fn hash_field(field: &'static str, bytes: &[u8]) -> Result<Hash32, DecodeError> {
    Hash32::from_slice(bytes).ok_or(DecodeError::BadHashLength {
        field,
        len: bytes.len(),
    })
}
