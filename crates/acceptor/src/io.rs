//! What goes into and comes out of the acceptor: inputs, effects and the
//! records of its log.

use hetpaxos_messages::{Message, MessageId, PendingLimits, Refusal};
use thiserror::Error;

/// Bounds of an acceptor's buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcceptorLimits {
    /// Messages waiting for unknown references.
    pub pending: PendingLimits,
    /// 1as held until the clock passes their timestamp.
    pub max_future_proposals: usize,
    /// Bytes of the 1as held until the clock passes their timestamp
    /// (values included).
    pub max_future_bytes: usize,
    /// Least time, in nanoseconds of ballot timestamps, between two 1as of
    /// one proposer that this acceptor joins (see
    /// [`Acceptor`](crate::Acceptor), "Rate of ballots").
    pub min_proposal_interval: u64,
}

impl Default for AcceptorLimits {
    /// Pending buffer as [`PendingLimits::default`], 1,024 future 1as of
    /// at most 64 MiB in all, 50 ms between one proposer's ballots.
    fn default() -> Self {
        Self {
            pending: PendingLimits::default(),
            max_future_proposals: 1024,
            max_future_bytes: 64 << 20,
            min_proposal_interval: 50_000_000,
        }
    }
}

/// A position in the acceptor's log: the number of records before it. The
/// log is append-only, so positions only grow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogPosition(pub u64);

/// One record of the acceptor's log. The records, in order, are everything
/// [`Acceptor::recover`](crate::Acceptor::recover) needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Record {
    /// A message accepted into the store, in acceptance order (which is
    /// causal). The acceptor's own messages are accepted records too: they
    /// are recognised by their signer.
    Accepted(Message),
    /// A 1a held until the clock passes its ballot's timestamp.
    Held(Message),
}

impl Record {
    /// The message of the record.
    pub fn message(&self) -> &Message {
        match self {
            Record::Accepted(m) | Record::Held(m) => m,
        }
    }
}

/// An input to the acceptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A message from the network (signature not yet checked).
    Receive(Message),
    /// The local clock now reads `now` (nanoseconds since the Unix epoch).
    Tick {
        /// Clock reading.
        now: u64,
    },
    /// The log is durable up to `up_to` (every record before it is on
    /// stable storage): own messages held in the outbox up to there may go.
    Persisted {
        /// The durable length of the log.
        up_to: LogPosition,
    },
}

/// An effect the runtime must carry out, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Append `records` to the log, in order; the log then holds `up_to`
    /// records. Appending may be lazy (no sync of its own). Own messages among
    /// these or earlier records stay in the outbox until the runtime has made
    /// the log durable and answered [`Input::Persisted`]; see
    /// [`Acceptor::awaiting_persist`](crate::Acceptor::awaiting_persist).
    Persist {
        /// The new records.
        records: Vec<Record>,
        /// The log length after them.
        up_to: LogPosition,
    },
    /// Relay an accepted message to every acceptor and learner (no
    /// durability needed: it is someone else's, or already sent).
    Relay(Message),
    /// Send an own message to every acceptor and learner. Only ever emitted
    /// after an [`Input::Persisted`] covering its record: persist-before-send
    /// is a property of the acceptor, not a duty of the runtime.
    Send(Message),
    /// A message was refused (bad signature or ill-formed), for logs and
    /// counters.
    Refused {
        /// The message.
        id: MessageId,
        /// Why.
        reason: Refusal,
    },
    /// The acceptor stopped for good and ignores every later input; the
    /// runtime should stop it and alert the operator.
    Halted(Halt),
}

/// Why an acceptor stopped.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Error)]
pub enum Halt {
    /// A validly signed message of this acceptor that is not in its log: some
    /// other process signs with this acceptor's key (two instances on one
    /// key), or the log lost messages that were sent (a deleted or restored
    /// data directory). Signing on could fork this acceptor's chain, which
    /// would make every peer hold it as caught, so it stops instead.
    #[error(
        "received message {id} signed with this acceptor's key but absent from its log: \
         another process signs as this acceptor, or its data directory lost messages; \
         refusing to sign anything more"
    )]
    ForeignOwnMessage {
        /// The message.
        id: MessageId,
    },
}
