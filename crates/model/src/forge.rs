//! Arbitrary Byzantine acceptors (digest §7, the TLA specs' `FakeSend`): an
//! acceptor that may sign, as itself, any well-formed message over what has
//! been sent, not only what an honest copy of itself (a twin) would sign.
//!
//! # What a forger may send (the bound)
//! In the reduced engine an arbitrary acceptor has no instance. Instead, in
//! every state, each forger may send one *forgery*: a message signed as
//! itself whose references are, out of the messages sent so far,
//! - at most one 1a,
//! - at most one message of each other acceptor, and
//! - at most one of its own earlier forgeries (any of them, so it may fork),
//!
//! not all empty, and which is well-formed: the learner's store, which holds
//! every message sent, accepts it ([`MessageStore::check`]; an ill-formed
//! message is dropped by every honest party, so it adds no behaviour). At
//! most [`ModelConfig::max_forged`] forgeries are sent per run, by all
//! forgers together. A search that completes therefore covers every
//! execution in which the arbitrary acceptors together sign at most that
//! many messages, each of that shape; referencing two messages of one signer
//! (only useful against a signer that forked) is outside the bound.
//!
//! A forger reads `sent`, not what it has been delivered: delivering to it
//! is instant (any message sent may already have reached it), which only
//! adds behaviours.
//!
//! # Why the reductions still hold
//! A forgery reads only the set of messages sent, never an acceptor's
//! state, so moving a non-emitting delivery past it (R6) changes nothing it
//! can do; it sends one message that every instance is then sent, exactly
//! like an emission. It signs no 1a, so the stale-1a argument (R3) and the
//! highest ballot `b_max` of R4 are unchanged. States stay determined by the
//! acceptors and the learner: `sent` is the proposals, the instances' own
//! messages and the forgeries, and the forgeries are in the learner's store,
//! which its `Hash`/`Eq` cover. R7 maps arbitrary acceptors onto
//! themselves and hashes the renamed set of forgeries
//! ([`crate::symmetry`]); the enumeration above is equivariant (references
//! are grouped by signer, well-formedness is the store's).
//!
//! [`ModelConfig::max_forged`]: crate::ModelConfig::max_forged

use hetpaxos_messages::{AbstractSigner, Message, MessageId, MessageStore, Unsigned};
use hetpaxos_quorums::{AcceptorId, AcceptorSet};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::memo::{FastMap, fast_hash};

/// One forgery: the message `by` signs over `refs` (sorted).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Forgery {
    /// The arbitrary acceptor that signs it.
    pub by: AcceptorId,
    /// Its references, sorted and without repeats (shared: the engine keeps
    /// every state's forgeries).
    pub refs: Arc<[MessageId]>,
    /// The message's id.
    pub id: MessageId,
}

/// Verdicts on forgeries already derived (their id, and whether they are
/// well-formed), shared by a whole search: a verdict depends only on the
/// references' histories. Keyed by the forger and the sorted references;
/// sharded, and each shard is cleared when it grows past a bound.
#[derive(Default)]
pub struct Verdicts {
    shards: [Mutex<FastMap<u64, Verdict>>; VERDICT_SHARDS],
}

/// One entry of [`Verdicts`]: the key it was computed for, and the verdict.
struct Verdict {
    by: AcceptorId,
    refs: Vec<MessageId>,
    id: MessageId,
    well_formed: bool,
}

const VERDICT_SHARDS: usize = 16;
/// Entries per shard before it is cleared (each is a few hundred bytes).
const VERDICT_SHARD_LIMIT: usize = 1 << 14;

impl Verdicts {
    /// The id of `by`'s message over `refs` (sorted), and whether it is
    /// well-formed over `store`'s messages (which must hold every reference).
    fn verdict(
        &self,
        by: AcceptorId,
        refs: &[MessageId],
        store: &MessageStore,
    ) -> (MessageId, bool) {
        let key = fast_hash(&(by, refs));
        let shard = &self.shards[(key as usize) % VERDICT_SHARDS];
        if let Ok(m) = shard.lock()
            && let Some(v) = m.get(&key)
            && v.by == by
            && v.refs == refs
        {
            return (v.id, v.well_formed);
        }
        let message = signed_by(by, refs);
        let (id, well_formed) = (message.id(), store.check(&message).is_ok());
        if let Ok(mut m) = shard.lock() {
            if m.len() >= VERDICT_SHARD_LIMIT {
                m.clear();
            }
            let refs = refs.to_vec();
            m.insert(
                key,
                Verdict {
                    by,
                    refs,
                    id,
                    well_formed,
                },
            );
        }
        (id, well_formed)
    }
}

impl Forgery {
    /// The signed message.
    pub fn message(&self) -> Message {
        signed_by(self.by, &self.refs)
    }
}

/// The message `by` signs over `refs` (signatures are abstract in the model).
fn signed_by(by: AcceptorId, refs: &[MessageId]) -> Message {
    Unsigned::new(by, refs.iter().copied()).sign(&AbstractSigner(by))
}

/// How many messages the acceptors in `forgers` have sent.
pub fn forged_count(sent: &BTreeMap<MessageId, Message>, forgers: AcceptorSet) -> usize {
    sent.values()
        .filter(|m| m.signer().is_some_and(|s| forgers.contains(s)))
        .count()
}

/// Every forgery `by` may send now (see the module documentation), given
/// the messages sent so far and a store that holds all of them. Distinct
/// results are distinct messages; none was sent already.
pub fn forgeries(
    by: AcceptorId,
    sent: &BTreeMap<MessageId, Message>,
    store: &MessageStore,
) -> Vec<Forgery> {
    forgeries_touching(by, sent, &|_| true, store, &Verdicts::default())
}

/// The forgeries of [`forgeries`] that reference at least one message for
/// which `new` holds. Whether a forgery is well-formed depends only on the
/// histories of its references, so after messages are sent, the forgeries
/// are the earlier ones not sent since, and those that reference a new
/// message (how the reduced engine keeps them up to date).
pub fn forgeries_touching(
    by: AcceptorId,
    sent: &BTreeMap<MessageId, Message>,
    new: &dyn Fn(&MessageId) -> bool,
    store: &MessageStore,
    verdicts: &Verdicts,
) -> Vec<Forgery> {
    // One group per origin (proposals, each acceptor): at most one
    // reference is taken from each.
    let mut groups: BTreeMap<Option<AcceptorId>, Vec<MessageId>> = BTreeMap::new();
    for (id, m) in sent {
        groups.entry(m.signer()).or_default().push(*id);
    }
    let groups: Vec<Vec<MessageId>> = groups.into_values().collect();
    let mut out = Vec::new();
    let mut refs = Vec::with_capacity(groups.len());
    let mut sorted = Vec::with_capacity(groups.len());
    let mut offer = |refs: &[MessageId]| {
        sorted.clear();
        sorted.extend_from_slice(refs);
        sorted.sort_unstable();
        let (id, well_formed) = verdicts.verdict(by, &sorted, store);
        if well_formed && !sent.contains_key(&id) {
            out.push(Forgery {
                by,
                refs: sorted.as_slice().into(),
                id,
            });
        }
    };
    // Whether a later group holds a new message (to prune choices that
    // can no longer include one).
    let mut new_after = vec![false; groups.len() + 1];
    for (g, ids) in groups.iter().enumerate().rev() {
        new_after[g] = new_after[g + 1] || ids.iter().any(new);
    }
    let walk = Walk {
        groups: &groups,
        new_after: &new_after,
        new,
    };
    walk.choose(0, &mut refs, false, &mut offer);
    out
}

/// The groups of references a forgery chooses from (see [`Walk::choose`]).
struct Walk<'a> {
    groups: &'a [Vec<MessageId>],
    /// `new_after[g]`: whether group `g` or a later one holds a new message.
    new_after: &'a [bool],
    new: &'a dyn Fn(&MessageId) -> bool,
}

impl Walk<'_> {
    /// Calls `offer` with every choice of at most one message per group
    /// from group `g` on (in `refs`, after what is already there) that
    /// includes a new message (or did before: `has_new`).
    fn choose(
        &self,
        g: usize,
        refs: &mut Vec<MessageId>,
        has_new: bool,
        offer: &mut dyn FnMut(&[MessageId]),
    ) {
        if !has_new && !self.new_after.get(g).copied().unwrap_or(false) {
            return;
        }
        let Some(group) = self.groups.get(g) else {
            if has_new && !refs.is_empty() {
                offer(refs);
            }
            return;
        };
        self.choose(g + 1, refs, has_new, offer);
        for id in group {
            refs.push(*id);
            self.choose(g + 1, refs, has_new || (self.new)(id), offer);
            refs.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hetpaxos_messages::Kind;
    use hetpaxos_quorums::examples;

    /// Over one 1a, a forger can sign exactly one message: the 1b that
    /// references it (a message referencing nothing is not offered); and
    /// over the 1a and that 1b, nothing.
    #[test]
    fn over_one_1a_the_only_forgery_is_its_1b() {
        let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
        let mut store = MessageStore::new(graph.clone());
        let p = Message::proposal(1, "v1");
        store.insert(p.clone()).unwrap();
        let sent: BTreeMap<_, _> = [(p.id(), p.clone())].into();
        let d = graph.acceptor_by_name("D").unwrap();
        let f = forgeries(d, &sent, &store);
        assert_eq!(f.len(), 1);
        assert_eq!(*f[0].refs, [p.id()]);
        let one_b = f[0].message();
        store.insert(one_b.clone()).unwrap();
        assert_eq!(store.facts(&one_b.id()).unwrap().kind(), Kind::OneB);
        // Then nothing: the 1b is sent (not offered again), the 1b alone is
        // no 2a (no quorum of 1bs), and a second 1b of the ballot over it
        // is ill-formed (D4).
        let mut sent = sent;
        sent.insert(one_b.id(), one_b.clone());
        assert!(forgeries(d, &sent, &store).is_empty());
        assert_eq!(forged_count(&sent, AcceptorSet::singleton(d)), 1);
    }

    /// Only well-formed messages are offered: with three 1bs of one ballot
    /// from A, B and C and none of its own, D cannot sign a 2a (D2 needs
    /// its own 1b in the quorum), but it can once it has signed its 1b.
    #[test]
    fn a_forged_2a_needs_the_forgers_own_1b() {
        let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
        let mut store = MessageStore::new(graph.clone());
        let p = Message::proposal(1, "v1");
        store.insert(p.clone()).unwrap();
        let mut sent: BTreeMap<_, _> = [(p.id(), p.clone())].into();
        for name in ["A", "B", "C"] {
            let a = graph.acceptor_by_name(name).unwrap();
            let m = Unsigned::new(a, [p.id()]).sign(&AbstractSigner(a));
            store.insert(m.clone()).unwrap();
            sent.insert(m.id(), m);
        }
        let d = graph.acceptor_by_name("D").unwrap();
        let two_as = |store: &MessageStore, sent: &BTreeMap<MessageId, Message>| {
            let mut s = store.clone();
            forgeries(d, sent, store)
                .into_iter()
                .filter(|f| {
                    let m = f.message();
                    s.insert(m.clone()).is_ok()
                        && matches!(s.facts(&m.id()).unwrap().kind(), Kind::TwoA(_))
                })
                .count()
        };
        assert_eq!(two_as(&store, &sent), 0);
        let own = Unsigned::new(d, [p.id()]).sign(&AbstractSigner(d));
        store.insert(own.clone()).unwrap();
        sent.insert(own.id(), own);
        assert!(two_as(&store, &sent) > 0);
    }

    /// Kept up to date incrementally, the forgeries are those computed
    /// afresh: the earlier ones not sent since, and those touching a new
    /// message.
    #[test]
    fn incremental_forgeries_equal_fresh_ones() {
        let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
        let mut store = MessageStore::new(graph.clone());
        let mut sent = BTreeMap::new();
        for m in [Message::proposal(1, "v1"), Message::proposal(2, "v2")] {
            store.insert(m.clone()).unwrap();
            sent.insert(m.id(), m);
        }
        let d = graph.acceptor_by_name("D").unwrap();
        let mut kept = forgeries(d, &sent, &store);
        let verdicts = Verdicts::default();
        // Send, one after another, a 1b by A, by B, and a forgery of D.
        let p1 = *sent.keys().next().unwrap();
        let mut news = Vec::new();
        for name in ["A", "B"] {
            let a = graph.acceptor_by_name(name).unwrap();
            news.push(Unsigned::new(a, [p1]).sign(&AbstractSigner(a)));
        }
        news.push(kept[0].message());
        for m in news {
            store.insert(m.clone()).unwrap();
            sent.insert(m.id(), m.clone());
            kept.retain(|f| !sent.contains_key(&f.id));
            let touching = |id: &MessageId| *id == m.id();
            kept.extend(forgeries_touching(d, &sent, &touching, &store, &verdicts));
            let mut fresh = forgeries(d, &sent, &store);
            let mut incremental = kept.clone();
            fresh.sort_by(|a, b| a.refs.cmp(&b.refs));
            incremental.sort_by(|a, b| a.refs.cmp(&b.refs));
            assert!(!fresh.is_empty());
            assert_eq!(incremental, fresh);
        }
    }
}
