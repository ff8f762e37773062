//! Why the executable specification finds a message not well-formed.

use hetpaxos_messages::{Ballot, IllFormed, MessageId, Rejection};
use hetpaxos_quorums::AcceptorId;
use std::fmt;

/// Why [`Spec::well_formed`](crate::Spec::well_formed) rejects a message: the
/// first violated condition of digest §3.2 "WellFormed" (with decisions D2, D4,
/// D11), checked in the order listed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotWellFormed {
    /// The message itself is not known to the specification.
    Unknown(MessageId),
    /// Signed by someone who is not an acceptor of the learner graph (messages
    /// are signed by acceptors, digest §1).
    UnknownSigner(AcceptorId),
    /// Some direct references are not known (delivery rule, digest §1).
    MissingRefs(Vec<MessageId>),
    /// A direct reference is known but not well-formed ("all refs well-formed").
    IllFormedRef(MessageId),
    /// `Get1a(x)` does not exist: no 1a in `Tran(x)`, so no ballot.
    NoBallot,
    /// A 1b (decision D11) whose history holds `other`, a message of its own
    /// ballot other than itself and `Get1a(x)` (decision D4).
    OneBSameBallot {
        /// A message `y ∈ Tran(x)`, `y ≠ x`, `y ≠ Get1a(x)`, with `b(y) = b(x)`.
        other: MessageId,
    },
    /// Not a 1b, and a 2a for no learner (decisions D2, D11).
    NotA2a {
        /// `b(x)`.
        ballot: Ballot,
    },
}

impl NotWellFormed {
    /// Whether the message store's rejection `r` is of the same class as this
    /// reason. The store never holds an ill-formed message, so a reference the
    /// specification knows to be ill-formed is a *missing* reference to the
    /// store. The offending message named by
    /// [`NotWellFormed::OneBSameBallot`] is not compared: the store names a
    /// direct reference, the specification any member of `Tran(x)`.
    pub fn agrees_with(&self, r: &Rejection) -> bool {
        match (self, r) {
            (NotWellFormed::Unknown(_), _) => false,
            (
                NotWellFormed::UnknownSigner(a),
                Rejection::IllFormed(IllFormed::UnknownSigner(b)),
            ) => a == b,
            (
                NotWellFormed::MissingRefs(_) | NotWellFormed::IllFormedRef(_),
                Rejection::MissingRefs(_),
            ) => true,
            (NotWellFormed::IllFormedRef(_), Rejection::RefersToRejected(_)) => true,
            (NotWellFormed::NoBallot, Rejection::IllFormed(IllFormed::NoBallot)) => true,
            (
                NotWellFormed::OneBSameBallot { .. },
                Rejection::IllFormed(IllFormed::OneBSameBallot { .. }),
            ) => true,
            (
                NotWellFormed::NotA2a { ballot: a },
                Rejection::IllFormed(IllFormed::NotA2a { ballot: b }),
            ) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for NotWellFormed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotWellFormed::Unknown(x) => write!(f, "message {x} is not known"),
            NotWellFormed::UnknownSigner(a) => write!(f, "signer {a} is not an acceptor"),
            NotWellFormed::MissingRefs(v) => write!(f, "{} unknown reference(s)", v.len()),
            NotWellFormed::IllFormedRef(r) => write!(f, "reference {r} is not well-formed"),
            NotWellFormed::NoBallot => write!(f, "no 1a in its history (no Get1a)"),
            NotWellFormed::OneBSameBallot { other } => {
                write!(f, "a 1b whose history holds {other} of its own ballot")
            }
            NotWellFormed::NotA2a { ballot } => {
                write!(f, "not a 1b and a 2a for no learner at ballot {ballot}")
            }
        }
    }
}

impl std::error::Error for NotWellFormed {}
