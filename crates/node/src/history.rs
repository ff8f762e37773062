//! What a node holds, as its peers see it: the basis of catch-up by
//! difference and of anti-entropy.
//!
//! The relay rule of the protocol (digest §2: what one safe acceptor accepted,
//! every safe acceptor and learner eventually receives) is kept without
//! relaying every message on every stream. An acceptor sends its own
//! messages to every peer; everything else travels by difference: each end
//! of a stream tells the other what it holds ([`pb::Have`]) when the stream
//! opens and whenever its holdings changed (or the other's did), and the
//! other sends what it holds beyond that, in its acceptance order (causal, so
//! nothing waits for references). Missing references are fetched by id as
//! before ([`crate::fetch`]).
//!
//! **What is summarised.** Messages are grouped by *origin*: the acceptor
//! that signed them, or the proposer of a 1a. Per origin, a node keeps its
//! messages in the order it accepted them and a chained digest of their ids.
//! A safe acceptor's messages form a chain (each references the previous),
//! so every node accepts them in the same order and "the peer holds my first
//! `c` messages of `s`" is decided exactly by comparing the digest of my
//! first `c`. An equivocator's forks, and a proposer's 1as, may be accepted
//! in different orders by different nodes; then the digests differ and the
//! whole of that origin is sent once per stream (the receiver drops
//! duplicates), never again on that stream.
//!
//! **Not what is on its way.** Under load a summary is late: it may say the
//! peer lacks messages that their signers already sent it. So the difference
//! holds only messages this node has held for a grace period
//! ([`crate::NetConfig::difference_grace`]); younger ones wait (and are sent
//! then, without a new summary, if still planned).
//!
//! **Cost.** Opening a stream costs a summary (O(origins)) and the
//! difference, found from the first message the peer lacks, not by replaying
//! the history; the work runs in the stream's task, not in the role task.
//! A steady-state reconnect sends what happened while the stream was down.

use hetpaxos_messages::{Hash32, Message, MessageId};
use hetpaxos_proto::v1 as pb;
use std::collections::{HashMap, VecDeque};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// A digest of an origin's first messages (see [`pb::Held`]).
pub(crate) type Digest = [u8; 16];

const ZERO: Digest = [0; 16];

/// The digest after `prev` when `id` is accepted next.
fn chain(prev: &Digest, id: &MessageId) -> Digest {
    let h = Hash32::of(&[b"hetpaxos/held/v1", prev, id.0.as_bytes()]);
    let mut d = ZERO;
    d.copy_from_slice(&h.as_bytes()[..16]);
    d
}

/// One held message.
struct Entry {
    message: Message,
    /// When it was added.
    at: Instant,
    /// Its origin slot, and its position among that origin's messages.
    slot: u32,
    pos: u32,
}

/// The messages of one origin.
#[derive(Default)]
struct OriginLog {
    /// Global positions (in [`Held::all`]) in acceptance order.
    at: Vec<u32>,
    /// `digests[i]`: the digest of the first `i + 1` messages.
    digests: Vec<Digest>,
}

impl OriginLog {
    fn digest(&self, count: usize) -> Option<Digest> {
        match count {
            0 => Some(ZERO),
            c => self.digests.get(c - 1).copied(),
        }
    }
}

#[derive(Default)]
struct Held {
    all: Vec<Entry>,
    origins: Vec<OriginLog>,
    index: HashMap<MessageId, u32>,
}

/// Every message a node holds and may show, shared between its role task
/// (which adds) and its stream tasks (which read): slots `0..acceptors` are
/// acceptors, then proposers, then one slot for 1as of no proposer.
pub(crate) struct History {
    acceptors: usize,
    proposers: usize,
    held: RwLock<Held>,
}

impl History {
    /// An empty history for a cluster of `acceptors` and `proposers`.
    pub(crate) fn new(acceptors: usize, proposers: usize) -> Self {
        let held = Held {
            origins: (0..acceptors + proposers + 1)
                .map(|_| OriginLog::default())
                .collect(),
            ..Held::default()
        };
        Self {
            acceptors,
            proposers,
            held: RwLock::new(held),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Held> {
        self.held
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Held> {
        self.held
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn slot(&self, m: &Message) -> usize {
        let other = self.acceptors + self.proposers;
        if let Some(s) = m.signer() {
            return if s.index() < self.acceptors {
                s.index()
            } else {
                other
            };
        }
        match m.as_proposal().and_then(|p| p.signed()) {
            Some(s) if (s.proposer.0 as usize) < self.proposers => {
                self.acceptors + s.proposer.0 as usize
            }
            _ => other,
        }
    }

    /// Adds messages, in the order the node accepted them (which must be
    /// causal); ones already held are skipped.
    pub(crate) fn extend<'a>(&self, messages: impl IntoIterator<Item = &'a Message>) {
        let now = Instant::now();
        let mut held = self.write();
        for m in messages {
            let id = m.id();
            if held.index.contains_key(&id) {
                continue;
            }
            let slot = self.slot(m);
            let global = u32::try_from(held.all.len()).unwrap_or(u32::MAX);
            let log = &mut held.origins[slot];
            let prev = log.digests.last().copied().unwrap_or(ZERO);
            let pos = u32::try_from(log.at.len()).unwrap_or(u32::MAX);
            log.at.push(global);
            log.digests.push(chain(&prev, &id));
            held.index.insert(id, global);
            held.all.push(Entry {
                message: m.clone(),
                at: now,
                slot: u32::try_from(slot).unwrap_or(u32::MAX),
                pos,
            });
        }
    }

    /// How many messages are held (it only grows).
    pub(crate) fn len(&self) -> usize {
        self.read().all.len()
    }

    /// Whether `id` is held.
    pub(crate) fn contains(&self, id: &MessageId) -> bool {
        self.read().index.contains_key(id)
    }

    /// The held message `id`.
    pub(crate) fn get(&self, id: &MessageId) -> Option<Message> {
        let held = self.read();
        let at = *held.index.get(id)?;
        Some(held.all[at as usize].message.clone())
    }

    /// What this node holds, to send to a peer, and how many messages that
    /// is.
    pub(crate) fn summary(&self) -> (pb::Have, usize) {
        let held = self.read();
        let entry = |log: &OriginLog| pb::Held {
            count: log.at.len() as u64,
            digest: log.digests.last().map_or_else(Vec::new, |d| d.to_vec()),
        };
        let origins = &held.origins;
        let have = pb::Have {
            acceptors: origins[..self.acceptors].iter().map(entry).collect(),
            proposers: origins[self.acceptors..self.acceptors + self.proposers]
                .iter()
                .map(entry)
                .collect(),
        };
        (have, held.all.len())
    }

    /// Entries of a peer's summary by slot, at most one per slot of this
    /// history (extra ones are ignored; a digest of the wrong length reads
    /// as all zeroes, which matches only an empty prefix).
    fn peer_slots(&self, have: &pb::Have) -> Vec<(u64, Digest)> {
        let read = |h: &pb::Held| {
            let mut d = ZERO;
            if h.digest.len() == d.len() {
                d.copy_from_slice(&h.digest);
            }
            (h.count, d)
        };
        let mut slots = vec![(0, ZERO); self.acceptors + self.proposers + 1];
        for (i, h) in have.acceptors.iter().take(self.acceptors).enumerate() {
            slots[i] = read(h);
        }
        for (i, h) in have.proposers.iter().take(self.proposers).enumerate() {
            slots[self.acceptors + i] = read(h);
        }
        slots
    }
}

/// Most messages asked for by id and not yet sent, per stream; further
/// requests are ignored until they drain.
pub(crate) const MAX_ASKED: usize = 4096;

/// One stream's view of its peer: what the peer is known to hold or was
/// sent, and what to send it next. Shared by the stream's reading side
/// (which learns from the peer's summaries) and its writing side.
#[derive(Default)]
pub(crate) struct Exchange {
    /// Per slot: how many of this node's messages of that origin the peer
    /// holds or was sent on this stream (a prefix of this node's order).
    sent: Vec<u32>,
    /// Per slot: the peer's summary once showed another set or order, and
    /// everything of that origin was planned to be sent again.
    resent: Vec<bool>,
    /// Global positions still to look at, to send what the peer lacks.
    scan: std::ops::Range<usize>,
    /// Messages asked for by id.
    asked: VecDeque<Message>,
    /// The peer's last summary, by slot.
    peer: Vec<(u64, Digest)>,
    /// The peer said it holds something this node may lack, since this
    /// node last sent a summary.
    peer_has_more: bool,
    /// [`History::len`] when this node last sent its summary.
    summarised_at: Option<usize>,
}

impl Exchange {
    /// Learns the peer's summary. When this node `serves` the peer, plans
    /// to send everything of each origin past the longest prefix the peer
    /// is known to hold.
    pub(crate) fn on_have(&mut self, have: &pb::Have, history: &History, serves: bool) {
        let peer = history.peer_slots(have);
        let held = history.read();
        let slots = held.origins.len();
        self.sent.resize(slots, 0);
        self.resent.resize(slots, false);
        self.peer.resize(slots, (0, ZERO));
        for (slot, &(count, digest)) in peer.iter().enumerate() {
            let log = &held.origins[slot];
            let mine = log.at.len() as u64;
            let changed = self.peer[slot] != (count, digest);
            self.peer[slot] = (count, digest);
            let prefix = usize::try_from(count).ok().and_then(|c| log.digest(c));
            if count <= mine && prefix == Some(digest) {
                // The peer holds exactly my first `count`.
                let count = u32::try_from(count).unwrap_or(u32::MAX);
                self.sent[slot] = self.sent[slot].max(count);
            } else {
                // More than I have, or another order or set: tell it what I
                // hold, so that it sends what I lack.
                self.peer_has_more |= changed;
                if count > mine {
                    // A safe acceptor's chain is accepted in one order by
                    // everyone, so the peer holds all of mine. (If not, its
                    // order differs, and its summary of what I send back
                    // shows it: the next branch.)
                    self.sent[slot] = self.sent[slot].max(u32::try_from(mine).unwrap_or(u32::MAX));
                } else if !self.resent[slot] {
                    // Forks, or 1as accepted in another order: send the
                    // whole origin, once per stream.
                    self.resent[slot] = true;
                    self.sent[slot] = 0;
                }
            }
            if serves && let Some(&first) = log.at.get(self.sent[slot] as usize) {
                let first = first as usize;
                self.scan = if self.scan.is_empty() {
                    first..held.all.len()
                } else {
                    self.scan.start.min(first)..held.all.len()
                };
            }
        }
    }

    /// Queues the held messages among `ids` (a peer's request by id), up to
    /// [`MAX_ASKED`] waiting.
    pub(crate) fn on_want(&mut self, ids: &[MessageId], history: &History) {
        for id in ids {
            if self.asked.len() >= MAX_ASKED {
                return;
            }
            if let Some(m) = history.get(id) {
                self.asked.push_back(m);
            }
        }
    }

    /// The next messages to send (at most `max`): those asked for by id,
    /// then the difference planned by [`Exchange::on_have`], in this node's
    /// acceptance order, but only messages held for at least `grace` by
    /// `now` (a younger one is most likely on its way to the peer from its
    /// signer; a summary that says the peer lacks it is only late). Looks at
    /// a bounded number of held messages per call. Also returns when more
    /// will be ready: `None` if nothing waits, a time not after `now` if
    /// more is ready now.
    pub(crate) fn next_batch(
        &mut self,
        history: &History,
        max: usize,
        now: Instant,
        grace: Duration,
    ) -> (Vec<Message>, Option<Instant>) {
        let mut out: Vec<Message> = Vec::new();
        while out.len() < max {
            match self.asked.pop_front() {
                Some(m) => out.push(m),
                None => break,
            }
        }
        if !self.asked.is_empty() {
            return (out, Some(now));
        }
        if out.len() >= max || self.scan.is_empty() {
            return (out, (!self.scan.is_empty()).then_some(now));
        }
        let held = history.read();
        let mut looked = 0;
        while out.len() < max && looked < 16 * max && !self.scan.is_empty() {
            let e = &held.all[self.scan.start];
            let ready = e.at + grace;
            if ready > now {
                return (out, Some(ready));
            }
            self.scan.start += 1;
            looked += 1;
            let slot = e.slot as usize;
            if self.sent.get(slot).is_some_and(|&s| e.pos >= s) {
                self.sent[slot] = e.pos + 1;
                out.push(e.message.clone());
            }
        }
        (out, (!self.scan.is_empty()).then_some(now))
    }

    /// Whether this node should send its summary now: its holdings changed
    /// since it last did (or it never did), or the peer's did in a way that
    /// suggests the peer holds more.
    pub(crate) fn summary_due(&self, history_len: usize) -> bool {
        self.summarised_at != Some(history_len) || self.peer_has_more
    }

    /// Records that the summary of a history of `history_len` messages was
    /// sent.
    pub(crate) fn summarised(&mut self, history_len: usize) {
        self.summarised_at = Some(history_len);
        self.peer_has_more = false;
    }
}

#[cfg(test)]
mod tests;
