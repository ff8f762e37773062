//! Messages whose references are not yet known, held in a bounded buffer until
//! they arrive (decision D10). Nothing waits by blocking.

use crate::hash::MessageId;
use crate::message::Message;
use crate::store::{MessageStore, NodeIdx, Rejection};
use std::collections::{HashMap, VecDeque};

/// Bounds of a [`Pending`] buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingLimits {
    /// Most messages held; beyond it the oldest is dropped (and counted).
    pub max_messages: usize,
}

impl Default for PendingLimits {
    fn default() -> Self {
        Self {
            max_messages: 16_384,
        }
    }
}

/// A bounded buffer of messages waiting for references.
///
/// Memory is O(`max_messages` · message size). When full, the oldest held
/// message is dropped: a peer that floods messages with unknown references
/// can delay, but not block, others' messages, which are re-sent by relays
/// and on reconnection.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    limits: PendingLimits,
    held: HashMap<MessageId, (Message, Vec<MessageId>)>,
    order: VecDeque<MessageId>,
    waiters: HashMap<MessageId, Vec<MessageId>>,
    dropped: u64,
}

/// What one delivery did.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Store indices of newly accepted messages, in acceptance order.
    pub accepted: Vec<NodeIdx>,
    /// Messages refused as ill-formed (duplicates are not listed).
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

    /// How many messages were dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
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

    /// Ids that held messages are waiting for (to fetch from peers).
    pub fn missing(&self) -> impl Iterator<Item = &MessageId> {
        self.waiters.keys()
    }

    /// Holds `message` until every id in `missing` has been accepted.
    pub fn hold(&mut self, message: Message, missing: &[MessageId]) {
        let id = message.id();
        if self.held.contains_key(&id) || self.limits.max_messages == 0 {
            return;
        }
        while self.held.len() >= self.limits.max_messages {
            match self.order.pop_front() {
                Some(old) => {
                    if let Some((_, missing)) = self.held.remove(&old) {
                        self.dropped += 1;
                        self.forget_waiter(old, &missing);
                    }
                }
                None => break,
            }
        }
        for m in missing {
            self.waiters.entry(*m).or_default().push(id);
        }
        self.held.insert(id, (message, missing.to_vec()));
        self.order.push_back(id);
        // Keep `order` from growing with stale ids of released messages.
        if self.order.len() > 2 * self.limits.max_messages.max(16) {
            let held = &self.held;
            self.order.retain(|i| held.contains_key(i));
        }
    }

    /// Removes and returns the held messages waiting for `id`.
    fn release(&mut self, id: &MessageId) -> Vec<Message> {
        let Some(ws) = self.waiters.remove(id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for w in ws {
            if let Some((m, missing)) = self.held.remove(&w) {
                // It no longer waits for its other missing ids either; if still
                // incomplete it is held again with a fresh list.
                self.forget_waiter(w, &missing);
                out.push(m);
            }
        }
        out
    }

    fn forget_waiter(&mut self, waiter: MessageId, missing: &[MessageId]) {
        for m in missing {
            if let Some(list) = self.waiters.get_mut(m) {
                list.retain(|w| *w != waiter);
                if list.is_empty() {
                    self.waiters.remove(m);
                }
            }
        }
    }

    /// Offers `message` to `store`: accepts it if its references are known,
    /// holds it otherwise, and then retries every held message it unblocks,
    /// transitively.
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
                Err(Rejection::MissingRefs(missing)) => {
                    if id == first {
                        out.held = true;
                    }
                    self.hold(m, &missing);
                }
                Err(Rejection::Duplicate) => {}
                Err(e) => out.rejected.push((id, e)),
            }
        }
        out
    }
}
