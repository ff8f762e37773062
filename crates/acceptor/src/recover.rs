//! Restarting an acceptor from its log without equivocating.
//!
//! (The argument is in the crate documentation, "Recovery".)

use crate::acceptor::Acceptor;
use crate::io::{AcceptorLimits, Effect, LogPosition, Record};
use hetpaxos_messages::{MessageId, Rejection, Signer, Verifier};
use hetpaxos_quorums::LearnerGraph;
use std::sync::Arc;
use thiserror::Error;

/// Why a log cannot be recovered: it does not belong to this acceptor and
/// cluster, or it is damaged in a way its checksums did not catch.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecoveryError {
    /// A logged message the store does not accept.
    #[error(
        "log record {position} (message {id}) is not acceptable ({reason}): the log does not \
         belong to this cluster's configuration, or it is damaged"
    )]
    Refused {
        /// Its position in the log.
        position: u64,
        /// The message.
        id: MessageId,
        /// Why the store refused it.
        reason: Rejection,
    },
    /// A held record that is not a 1a.
    #[error("log record {position} (message {id}) is held but is not a 1a")]
    HeldNotAProposal {
        /// Its position in the log.
        position: u64,
        /// The message.
        id: MessageId,
    },
    /// The log holds two own messages that fork this acceptor's chain.
    #[error(
        "the log holds own messages {first} and {second}, which fork this acceptor's chain: \
         it has equivocated before; refusing to sign more"
    )]
    OwnFork {
        /// One message of the fork.
        first: MessageId,
        /// The other.
        second: MessageId,
    },
}

impl Acceptor {
    /// Rebuilds acceptor `signer.acceptor()` from the records of its log, in
    /// order (any prefix of a log this acceptor wrote), and returns it with the
    /// effects to carry out first: a possible [`Effect::Persist`] of an own
    /// message that the crash cut off. Every own message in the log waits in
    /// the outbox: the records read may not have been synced yet, so the
    /// runtime syncs and answers [`Input::Persisted`](crate::Input::Persisted),
    /// and they are re-sent (peers ignore copies). The clock starts at zero:
    /// deliver an [`Input::Tick`](crate::Input::Tick) next.
    ///
    /// Signatures of logged messages are not verified again (the log's
    /// checksums and the data directory's identity check cover them).
    pub fn recover(
        graph: Arc<LearnerGraph>,
        signer: Arc<dyn Signer>,
        verifier: Arc<dyn Verifier>,
        limits: AcceptorLimits,
        records: impl IntoIterator<Item = Record>,
    ) -> Result<(Self, Vec<Effect>), RecoveryError> {
        let mut a = Acceptor::new(graph, signer, verifier, limits);
        let mut position = 0u64;
        for record in records {
            position += 1;
            match record {
                Record::Accepted(m) => {
                    let id = m.id();
                    if let Some(p) = m.as_proposal() {
                        a.unhold_future(&(p.ballot().timestamp, id));
                    }
                    let own = m.signer() == Some(a.id);
                    let idx =
                        a.store
                            .insert(m.clone())
                            .map_err(|reason| RecoveryError::Refused {
                                position: position - 1,
                                id,
                                reason,
                            })?;
                    a.log_order.push(idx);
                    if own {
                        a.note_own(idx);
                        a.outbox.push_back((LogPosition(position), m));
                    } else {
                        a.note_accepted(idx);
                    }
                }
                Record::Held(m) => {
                    let id = m.id();
                    let Some(p) = m.as_proposal() else {
                        return Err(RecoveryError::HeldNotAProposal {
                            position: position - 1,
                            id,
                        });
                    };
                    if !a.store.contains(&id) {
                        a.hold_future((p.ballot().timestamp, id), m);
                    }
                }
            }
        }
        if let Some((first, second)) = a.store.fork_evidence(a.id) {
            return Err(RecoveryError::OwnFork { first, second });
        }
        a.log_end = LogPosition(position);
        // An emission the crash may have cut off: rebuilt identically, or
        // (if its inputs were lost) a message that chains after the last
        // logged one.
        a.emit();
        let mut effects = Vec::new();
        a.end_step(&mut effects);
        Ok((a, effects))
    }

    /// A log from which [`Acceptor::recover`] rebuilds this acceptor's
    /// store, chain head, `recent`, ballots and held 1as: the accepted
    /// messages in the order of their records, then the 1as still held. (The
    /// log the acceptor wrote may interleave held records differently;
    /// recovery does not depend on where they stand.)
    pub fn log_image(&self) -> Vec<Record> {
        self.log_order
            .iter()
            .map(|&i| Record::Accepted(self.store.facts_at(i).message().clone()))
            .chain(self.future.values().cloned().map(Record::Held))
            .collect()
    }
}
