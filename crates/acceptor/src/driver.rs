//! The one driver of the acceptor's effects, shared by the simulator, both
//! model-checking engines and the network node: what an effect means, in
//! which order effects are carried out, and when the log is synced.
//!
//! A runtime implements [`Io`] (its log and its network) and feeds inputs
//! through [`input`]; after a batch of inputs it calls [`flush`], which, if
//! own messages wait in the outbox, syncs the log once and releases them
//! (group commit). [`step`] is one input followed by a flush. The order is:
//! relays and refusals as they happen; the step's records appended (lazily,
//! no sync) at its end; and own messages sent only after a successful sync
//! that covers their records. A failed append or sync is returned and the
//! runtime must stop the acceptor: it must never retry a failed sync (the
//! state of the page cache is unknown after one) nor go on without it.

use crate::acceptor::Acceptor;
use crate::io::{Effect, Halt, Input, LogPosition, Record};
use hetpaxos_messages::{Message, MessageId, Refusal};

/// The outside world of an acceptor: its log and its network.
pub trait Io {
    /// A storage failure.
    type Error;
    /// Appends `records` to the log; it then holds `up_to` records. May stay
    /// in memory or the page cache until [`Io::sync`].
    fn append(&mut self, records: &[Record], up_to: LogPosition) -> Result<(), Self::Error>;
    /// Makes the log durable up to `up_to` (everything appended so far).
    fn sync(&mut self, up_to: LogPosition) -> Result<(), Self::Error>;
    /// Relays someone else's accepted message to every peer.
    fn relay(&mut self, message: &Message);
    /// Sends an own message (durable by now) to every peer.
    fn send(&mut self, message: &Message);
    /// A message was refused (for logs and counters).
    fn refused(&mut self, _id: MessageId, _reason: &Refusal) {}
    /// The acceptor halted for good (see [`Halt`]).
    fn halted(&mut self, _why: &Halt) {}
}

/// Carries out `effects` in order (as returned by [`Acceptor::handle`] or
/// [`Acceptor::recover`]); never syncs.
pub fn apply<I: Io>(effects: Vec<Effect>, io: &mut I) -> Result<(), I::Error> {
    for e in effects {
        match e {
            Effect::Persist { records, up_to } => io.append(&records, up_to)?,
            Effect::Relay(m) => io.relay(&m),
            Effect::Send(m) => io.send(&m),
            Effect::Refused { id, reason } => io.refused(id, &reason),
            Effect::Halted(why) => io.halted(&why),
        }
    }
    Ok(())
}

/// Handles one input and carries out its effects, without syncing: own
/// messages it signs wait in the outbox until [`flush`].
pub fn input<I: Io>(acceptor: &mut Acceptor, input: Input, io: &mut I) -> Result<(), I::Error> {
    apply(acceptor.handle(input), io)
}

/// If own messages wait in the outbox: syncs the log once, up to everything
/// appended, reports it durable and sends them. Returns whether it synced.
pub fn flush<I: Io>(acceptor: &mut Acceptor, io: &mut I) -> Result<bool, I::Error> {
    if acceptor.awaiting_persist().is_none() {
        return Ok(false);
    }
    let up_to = acceptor.log_end();
    io.sync(up_to)?;
    apply(acceptor.handle(Input::Persisted { up_to }), io)?;
    Ok(true)
}

/// One input, then [`flush`]. Returns whether it synced.
pub fn step<I: Io>(acceptor: &mut Acceptor, i: Input, io: &mut I) -> Result<bool, I::Error> {
    input(acceptor, i, io)?;
    flush(acceptor, io)
}

/// An in-memory log, for the simulator and the model checker: the records
/// appended, and how many of them a sync made durable. A crash keeps the
/// durable ones and may lose any part of the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemLog {
    /// Every record appended, in order.
    pub records: Vec<Record>,
    /// How many of them are durable.
    pub durable: usize,
}

impl MemLog {
    /// Appends records (not durable yet).
    pub fn append(&mut self, records: &[Record]) {
        self.records.extend_from_slice(records);
    }

    /// Makes every record appended so far durable.
    pub fn sync(&mut self) {
        self.durable = self.records.len();
    }

    /// A crash that keeps the durable records and the next `kept` of the
    /// others (an unsynced write may or may not have reached the disk).
    pub fn crash(&mut self, kept: usize) {
        let keep = self.durable.saturating_add(kept).min(self.records.len());
        self.records.truncate(keep);
        self.durable = keep;
    }
}
