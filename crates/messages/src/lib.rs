//! Messages of [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253) (Sheff,
//! Wang, van Renesse, Myers; technical report arXiv 2011.08253): ids, ballots,
//! signatures, wire decoding with hard limits, and the [`MessageStore`] that
//! derives every fact of the report (Get1a, b, V, Caught, Con_a, Buried,
//! Con2as_a, fresh_a, q, 1b-ness, 2a learners, WellFormed) once per message,
//! in time that does not grow with the history in honest runs.
//!
//! Definitions follow the project's protocol digest §3 and decisions D1–D12
//! (D12, 1as signed by configured proposers, is stated in `spec/README.md`
//! and at [`Verifier::verify`]);
//! the traceability table is `spec/README.md`, and the executable
//! specification `hetpaxos-spec` is the oracle the store is tested against.
#![forbid(unsafe_code)]

mod ballot;
mod crypto;
mod hash;
mod message;
mod pending;
mod refusal;
mod store;
pub mod wire;

pub use ballot::Ballot;
pub use bytes::Bytes;
pub use crypto::{
    AbstractProposalSigner, AbstractSignatures, AbstractSigner, ClusterContext,
    Ed25519ProposalSigner, Ed25519Signer, Ed25519Verifier, PreVerified, ProposalSigner, ProposerId,
    Signature, SignatureError, Signer, Verifier, proposal_signing_payload, signing_payload,
};
pub use hash::{Hash32, MessageId, ValueHash};
pub use message::{
    Body, Message, Proposal, ProposalSignature, SignedRefs, Unsigned, proposal_id, signed_id,
};
pub use pending::{BYTES_PER_MISSING_REF, Delivery, Pending, PendingDrops, PendingLimits};
pub use refusal::Refusal;
#[cfg(feature = "mutants")]
pub use store::StoreFault;
pub use store::{
    Candidate, Facts, IllFormed, Kind, MAX_SEQ, MAX_UNBURIED, MessageStore, NodeIdx, Rejection,
    Top2a,
};
pub use wire::{DecodeError, Limits};
