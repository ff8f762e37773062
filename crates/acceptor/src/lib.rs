//! The [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253) acceptor as a
//! pure, deterministic state machine: the receive step of TR Fig. 3
//! (`acceptor_on_receipt`, digest §4), driven by [`Acceptor::handle`], with a
//! durable log and crash recovery that never forks the acceptor's chain.
//!
//! Time is an input ([`Input::Tick`]); there is no I/O, no clock and no
//! randomness inside, and collections are ordered, so the network runtime,
//! the simulator and the model checker run exactly the same code, through
//! the same effect [`driver`].
//!
//! # The step
//! On each message whose references are known (others wait in a bounded
//! buffer, decision D10) and whose signature verifies:
//! 1. a 1a is held until the clock input passes its ballot's timestamp;
//! 2. a newly accepted well-formed message is logged and relayed
//!    ([`Effect::Relay`]);
//! 3. the acceptor builds its next message over `recent` (every message
//!    accepted since, and including, its last own message), keeps it only if
//!    well-formed, signs it, receives it itself, logs it and puts it in the
//!    **outbox**.
//!
//! # Persist before send
//! Every step hands its log records to the runtime as one
//! [`Effect::Persist`] (accepted messages in acceptance order, own messages
//! included, and held 1as; appending may be lazy). An own message leaves the
//! outbox as [`Effect::Send`] only when the runtime answers
//! [`Input::Persisted`] with a durable log length that covers its record, as
//! raft-rs' `persisted_messages` do: the runtime cannot send an own message
//! too early, because it does not have it. Received messages get no sync of
//! their own, but they precede the own messages that reference them in the
//! log, so one sync makes both durable. [`Acceptor::recover`] rebuilds the
//! acceptor from any prefix of its log.
//!
//! # Recovery never forks the chain
//! An own message leaves the process only after every record up to and
//! including its own is durable ([`Effect::Send`] follows
//! [`Input::Persisted`]). So whatever prefix of the
//! log survives a crash holds every own message that was ever sent, and the
//! messages each of them references (they are earlier records). Recovery
//! replays that prefix into a fresh store and rebuilds the chain head, `recent`,
//! the highest ballot, D7's 2a bookkeeping and the held 1as exactly as the live
//! step built them. The next own message therefore has the last logged
//! own message as its predecessor (in its history, one sequence number
//! below): the chain continues. An own message signed but not logged was
//! never sent, so signing a different one in its place forks nothing anyone
//! can see; one signed and logged is re-sent as it is, never re-signed
//! differently (the acceptor is deterministic, so an emission cut off by the
//! crash is rebuilt identically).
//!
//! # Deviations from the report, and why they are safe
//! - **Redundant 2as are not emitted** (decision D7): a candidate that is a 2a
//!   only for learners this acceptor already sent a 2a for at that ballot is
//!   dropped, so an acceptor sends at most one 1b and `L` 2as per ballot.
//!   Safety depends only on every sent message being well-formed and chaining
//!   to the previous one, which still holds; a learner needs one 2a per
//!   acceptor of a quorum, which is still sent.
//! - **Stale 1as are not kept in `recent`** (decision D11): they are accepted
//!   and relayed, but a new message never references a 1a below the highest
//!   ballot already known (such a reference would not change any fact).
//! - **An attempt follows every accepted message**, not only 1as and 1bs: a
//!   received 2a can carry 1bs that complete a quorum (as in the earlier
//!   implementation). More attempts cannot break safety (see above).
//! - **Future 1as are held by the clock input** (as in the earlier
//!   implementation), in a bounded buffer that drops the farthest-future 1a
//!   when full.
//! - **One proposer raises an acceptor's ballot at most once per
//!   [`AcceptorLimits::min_proposal_interval`]** (50 ms by default, measured
//!   on ballot timestamps, which cannot run ahead of the acceptor's clock: a
//!   1a is held until then): another 1a of that proposer within the interval
//!   is accepted and relayed like a stale one, but not joined. A configured
//!   but faulty proposer that issues 1as at "now" without pause can then not
//!   pre-empt every ballot. Joining fewer 1as only removes messages, so it
//!   cannot break safety; it changes no derived fact, and recovery replays
//!   the same rule from the log.
//! - **An acceptor halts on a message signed with its own key that is not in
//!   its log** ([`Halt::ForeignOwnMessage`]): that proves another process
//!   signs as it, or that its log lost sent messages, and signing on could
//!   fork its chain. Halting only removes messages, so it cannot break safety;
//!   it changes no derived fact.
//!
//! # Bounded `recent`
//! TR Fig. 3 references every message received since the last own message.
//! The acceptor references fewer, with the same `Tran`, so that a Byzantine
//! peer cannot make its messages grow (past the wire limit, which would mute
//! it) nor every step cost O(history):
//! - a signed message entering `recent` removes the signed members already
//!   in its `Tran` (they stay in the new message's `Tran` through it), so
//!   `recent` is an antichain: at most one message per signer that never
//!   equivocated;
//! - a new highest 1a removes the older 1as (now stale: D11);
//! - of a signer the store has proven to equivocate, at most
//!   [`MAX_FORKED_IN_RECENT`] messages are kept; its further messages are
//!   accepted and relayed only, like stale 1as.
//!
//! So `recent` holds at most `1 + 2n` messages for `n` acceptors. The first
//! two rules leave the next own message's `Tran` unchanged, and with it every
//! derived fact: `Get1a` stays a direct reference (1as are only removed when
//! stale), and D4 only looks at fewer direct references. The third is what
//! the acceptor would do had the equivocator never sent it those messages,
//! which a Byzantine sender may always do; it changes no fact of any received
//! message. None of the rules can break safety.
//!
//! See `spec/README.md` for the traceability table.
#![forbid(unsafe_code)]

mod acceptor;
pub mod driver;
mod io;
mod recover;
mod state_eq;

pub use acceptor::{Acceptor, MAX_FORKED_IN_RECENT};
pub use io::{AcceptorLimits, Effect, Halt, Input, LogPosition, Record};
pub use recover::RecoveryError;
