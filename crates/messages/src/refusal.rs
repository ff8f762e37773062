//! Why a received message was refused, as a type (for logs and counters).

use crate::crypto::SignatureError;
use crate::store::{IllFormed, Rejection};
use thiserror::Error;

/// Why a state machine refused a received message. Duplicates and messages
/// waiting for references are not refusals.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// The signature does not verify, or the signer is unknown.
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// The store refused it (ill-formed, or beyond a resource bound).
    #[error("{0}")]
    Store(#[from] Rejection),
}

impl Refusal {
    /// A short, stable name of the refusal class, for counters.
    pub fn class(&self) -> &'static str {
        match self {
            Refusal::Signature(_) => "signature",
            Refusal::Store(Rejection::IllFormed(IllFormed::ResourceLimit(_))) => "resource_limit",
            Refusal::Store(Rejection::IllFormed(_)) => "ill_formed",
            Refusal::Store(Rejection::RefersToRejected(_)) => "refers_to_ill_formed",
            Refusal::Store(_) => "other",
        }
    }
}
