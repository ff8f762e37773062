//! Comparing and hashing acceptor states (for the model checker).

use crate::acceptor::Acceptor;

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor")
            .field("id", &self.id)
            .field("messages", &self.store.len())
            .field("pending", &self.pending.len())
            .field("future", &self.future.len())
            .field("recent", &self.recent.len())
            .field("max_ballot", &self.max_ballot)
            .field("log_end", &self.log_end)
            .field("outbox", &self.outbox.len())
            .field("halted", &self.halted)
            .finish_non_exhaustive()
    }
}

/// States are equal when they would behave the same: same accepted set, held
/// messages, clock, `recent`, highest ballot, 2a bookkeeping, last own
/// message, outbox and halt. The acceptance order inside the store does not
/// matter, nor do the log positions: they only number the records (two
/// states that differ there emit the same messages, in the same order, under
/// the same inputs; every outbox entry always waits for a position beyond
/// the durable one, so the durable position never changes what is sent).
impl PartialEq for Acceptor {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.now == other.now
            && self.recent == other.recent
            && self.max_ballot == other.max_ballot
            && self.joined == other.joined
            && self.sent_2a == other.sent_2a
            && self.last_own == other.last_own
            && self.halted == other.halted
            && self
                .outbox
                .iter()
                .map(|(_, m)| m.id())
                .eq(other.outbox.iter().map(|(_, m)| m.id()))
            && self.future.keys().eq(other.future.keys())
            && self.store.same_messages(&other.store)
            && self.pending.sorted_ids() == other.pending.sorted_ids()
    }
}

impl Eq for Acceptor {}

/// Hashes what [`PartialEq`] compares (the store by its set digest), in
/// O(|recent| + |future| + |pending| + |outbox|).
impl std::hash::Hash for Acceptor {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        self.now.hash(state);
        self.recent.hash(state);
        self.max_ballot.hash(state);
        self.joined.hash(state);
        self.sent_2a.hash(state);
        self.last_own.hash(state);
        self.halted.hash(state);
        for (_, m) in &self.outbox {
            m.id().hash(state);
        }
        for k in self.future.keys() {
            k.hash(state);
        }
        self.store.len().hash(state);
        self.store.set_digest().hash(state);
        // Held messages change future behaviour: hash which (usually none).
        if !self.pending.is_empty() {
            self.pending.sorted_ids().hash(state);
        }
    }
}
