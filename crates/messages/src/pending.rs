//! Messages whose references are not yet known, held in a bounded buffer until
//! they arrive (decision D10). Nothing waits by blocking.
//!
//! # Bounds
//! Everything a peer can make this buffer hold is bounded ([`PendingLimits`]):
//! held messages in number and in bytes (a message's bytes count its
//! unknown references too, which the buffer indexes), both in total and per
//! signer, so one Byzantine acceptor fills at most its own share. When a
//! bound is reached the oldest held message (of that signer, or overall) is
//! dropped and counted ([`PendingDrops`]); a dropped honest message comes
//! back by relay, fetch or reconnection.
//!
//! Ids of messages refused as ill-formed are remembered (the most recent
//! [`PendingLimits::max_rejected`]): ill-formedness is a function of the id
//! (signer and references), so a message that references one can never be
//! accepted by anyone, and it is refused at once
//! ([`Rejection::RefersToRejected`]) instead of waiting, together with every
//! held message waiting for it.

use crate::hash::MessageId;
use crate::message::Message;
use crate::store::{MessageStore, NodeIdx, Rejection};
use std::collections::{HashMap, HashSet, VecDeque};

/// Bounds of a [`Pending`] buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingLimits {
    /// Most messages held in all.
    pub max_messages: usize,
    /// Most bytes held in all ([`Message::approx_bytes`] plus
    /// [`BYTES_PER_MISSING_REF`] per unknown reference).
    pub max_bytes: usize,
    /// Most bytes held for one signer (1as have no references, so they are
    /// never held).
    pub max_bytes_per_signer: usize,
    /// Most ids of ill-formed messages remembered.
    pub max_rejected: usize,
}

impl Default for PendingLimits {
    /// 16,384 messages and 64 MiB in all, 16 MiB per signer, 65,536
    /// remembered ill-formed ids (2 MiB).
    fn default() -> Self {
        Self {
            max_messages: 16_384,
            max_bytes: 64 << 20,
            max_bytes_per_signer: 16 << 20,
            max_rejected: 1 << 16,
        }
    }
}

/// What the buffer charges for each unknown reference of a held message (the
/// id in its list and in the index of waiters).
pub const BYTES_PER_MISSING_REF: usize = 96;

/// Held messages dropped, by the bound that dropped them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PendingDrops {
    /// [`PendingLimits::max_messages`] or [`PendingLimits::max_bytes`].
    pub total: u64,
    /// [`PendingLimits::max_bytes_per_signer`].
    pub per_signer: u64,
}

/// One held message.
#[derive(Clone, Debug)]
struct Held {
    message: Message,
    missing: Vec<MessageId>,
    bytes: usize,
}

/// A bounded buffer of messages waiting for references.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    limits: PendingLimits,
    held: HashMap<MessageId, Held>,
    /// Held ids, oldest first (with stale ids of released messages).
    order: VecDeque<MessageId>,
    /// Per signer index: held ids, oldest first (with stale ids).
    order_by_signer: HashMap<usize, VecDeque<MessageId>>,
    bytes: usize,
    bytes_by_signer: HashMap<usize, usize>,
    waiters: HashMap<MessageId, Vec<MessageId>>,
    rejected: HashSet<MessageId>,
    rejected_order: VecDeque<MessageId>,
    drops: PendingDrops,
}

/// What one delivery did.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Store indices of newly accepted messages, in acceptance order.
    pub accepted: Vec<NodeIdx>,
    /// Messages refused as ill-formed, or as referencing an ill-formed
    /// message (duplicates are not listed).
    pub rejected: Vec<(MessageId, Rejection)>,
    /// Whether the delivered message itself is now held for references.
    pub held: bool,
}

impl Pending {
    /// An empty buffer.
    pub fn new(limits: PendingLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Number of held messages.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Bytes held (as charged against [`PendingLimits::max_bytes`]).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many messages were dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.drops.total + self.drops.per_signer
    }

    /// Dropped messages, by bound.
    pub fn drops(&self) -> PendingDrops {
        self.drops
    }

    /// The held ids, sorted (for comparing states).
    pub fn sorted_ids(&self) -> Vec<MessageId> {
        let mut ids: Vec<MessageId> = self.held.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Whether `id` is held.
    pub fn holds(&self, id: &MessageId) -> bool {
        self.held.contains_key(id)
    }

    /// Whether `id` is remembered as ill-formed.
    pub fn is_rejected(&self, id: &MessageId) -> bool {
        self.rejected.contains(id)
    }

    /// Ids that held messages are waiting for (to fetch from peers).
    pub fn missing(&self) -> impl Iterator<Item = &MessageId> {
        self.waiters.keys()
    }

    /// The held messages waiting for `id` (to ask their senders for it).
    pub fn waiting_for(&self, id: &MessageId) -> impl Iterator<Item = &Message> {
        self.waiters
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|w| self.held.get(w).map(|h| &h.message))
    }

    /// Holds `message` until every id in `missing` has been accepted, within
    /// the bounds (dropping the oldest held messages to make room). Returns
    /// the refusal when `missing` names a remembered ill-formed message.
    pub fn hold(&mut self, message: Message, missing: &[MessageId]) -> Result<(), Rejection> {
        if let Some(bad) = missing.iter().find(|m| self.rejected.contains(m)) {
            return Err(Rejection::RefersToRejected(*bad));
        }
        let id = message.id();
        if self.held.contains_key(&id) || self.limits.max_messages == 0 {
            return Ok(());
        }
        let bytes = message.approx_bytes() + missing.len() * BYTES_PER_MISSING_REF;
        let signer = message.signer().map(|s| s.index());
        if bytes > self.limits.max_bytes_per_signer.min(self.limits.max_bytes) {
            self.drops.per_signer += 1;
            return Ok(());
        }
        if let Some(s) = signer {
            while self.bytes_by_signer.get(&s).copied().unwrap_or(0) + bytes
                > self.limits.max_bytes_per_signer
            {
                let oldest = self
                    .order_by_signer
                    .get_mut(&s)
                    .and_then(VecDeque::pop_front);
                match oldest {
                    Some(old) => {
                        if self.remove(&old).is_some() {
                            self.drops.per_signer += 1;
                        }
                    }
                    None => break,
                }
            }
        }
        while self.held.len() >= self.limits.max_messages
            || self.bytes + bytes > self.limits.max_bytes
        {
            match self.order.pop_front() {
                Some(old) => {
                    if self.remove(&old).is_some() {
                        self.drops.total += 1;
                    }
                }
                None => break,
            }
        }
        for m in missing {
            self.waiters.entry(*m).or_default().push(id);
        }
        self.held.insert(
            id,
            Held {
                message,
                missing: missing.to_vec(),
                bytes,
            },
        );
        self.bytes += bytes;
        self.order.push_back(id);
        if let Some(s) = signer {
            *self.bytes_by_signer.entry(s).or_default() += bytes;
            self.order_by_signer.entry(s).or_default().push_back(id);
        }
        self.compact();
        Ok(())
    }

    /// Keeps the order queues from growing with stale ids of released
    /// messages.
    fn compact(&mut self) {
        let held = &self.held;
        if self.order.len() > 2 * held.len().max(16) {
            self.order.retain(|i| held.contains_key(i));
        }
        for q in self.order_by_signer.values_mut() {
            if q.len() > 16 && q.len() > 2 * held.len() {
                q.retain(|i| held.contains_key(i));
            }
        }
        self.order_by_signer.retain(|_, q| !q.is_empty());
    }

    /// Removes a held message and its bookkeeping.
    fn remove(&mut self, id: &MessageId) -> Option<Message> {
        let h = self.held.remove(id)?;
        self.bytes -= h.bytes;
        if let Some(s) = h.message.signer().map(|s| s.index())
            && let Some(b) = self.bytes_by_signer.get_mut(&s)
        {
            *b -= h.bytes;
            if *b == 0 {
                self.bytes_by_signer.remove(&s);
            }
        }
        for m in &h.missing {
            if let Some(list) = self.waiters.get_mut(m) {
                list.retain(|w| w != id);
                if list.is_empty() {
                    self.waiters.remove(m);
                }
            }
        }
        Some(h.message)
    }

    /// Removes and returns the held messages waiting for `id`.
    fn release(&mut self, id: &MessageId) -> Vec<Message> {
        let Some(ws) = self.waiters.remove(id) else {
            return Vec::new();
        };
        // Each no longer waits for its other missing ids either; if still
        // incomplete it is held again with a fresh list.
        ws.iter().filter_map(|w| self.remove(w)).collect()
    }

    /// Remembers that `id` is ill-formed (bounded: the oldest is forgotten).
    fn remember_rejected(&mut self, id: MessageId) {
        if self.limits.max_rejected == 0 || !self.rejected.insert(id) {
            return;
        }
        self.rejected_order.push_back(id);
        while self.rejected_order.len() > self.limits.max_rejected {
            if let Some(old) = self.rejected_order.pop_front() {
                self.rejected.remove(&old);
            }
        }
    }

    /// Offers `message` to `store`: accepts it if its references are known,
    /// holds it otherwise, and then retries every held message it unblocks,
    /// transitively. A message found ill-formed is remembered, and the held
    /// messages waiting for it are refused with it.
    pub fn deliver(&mut self, store: &mut MessageStore, message: Message) -> Delivery {
        let mut out = Delivery::default();
        let first = message.id();
        let mut queue = VecDeque::from([message]);
        while let Some(m) = queue.pop_front() {
            let id = m.id();
            if store.contains(&id) {
                continue;
            }
            match store.insert(m.clone()) {
                Ok(idx) => {
                    out.accepted.push(idx);
                    queue.extend(self.release(&id));
                }
                Err(Rejection::MissingRefs(missing)) => match self.hold(m, &missing) {
                    Ok(()) => out.held |= id == first && self.holds(&id),
                    Err(why) => self.refuse(id, why, &mut out),
                },
                Err(Rejection::Duplicate) => {}
                Err(why) => self.refuse(id, why, &mut out),
            }
        }
        out
    }

    /// Refuses `id` for `why`, and with it every held message that waits
    /// for it, transitively.
    fn refuse(&mut self, id: MessageId, why: Rejection, out: &mut Delivery) {
        let mut queue = VecDeque::from([(id, why)]);
        while let Some((id, why)) = queue.pop_front() {
            self.remember_rejected(id);
            for w in self.release(&id) {
                queue.push_back((w.id(), Rejection::RefersToRejected(id)));
            }
            out.rejected.push((id, why));
        }
    }
}
