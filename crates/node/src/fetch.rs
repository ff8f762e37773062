//! Fetching missing references by id (decision D10: a message whose
//! references are unknown waits, and the references are fetched from peers).
//!
//! When a received message is held for references, each unknown id is asked
//! for first from the peer that sent the message (it accepted the message, so
//! it holds its references), then, every [`FetchLimits::retry`], from one more
//! peer, until it arrives or [`FetchLimits::give_up`] passes. Ids in flight
//! are bounded ([`FetchLimits::max_wanted`]), as are ids per request
//! ([`MAX_WANT_IDS`], which the answering side enforces too).

use hetpaxos_messages::{Message, MessageId, MessageStore, Pending};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::time::Instant;

/// One stream, as a role task knows it (unique in the process).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub u64);

/// Most ids in one request; the answering side looks at no more.
pub const MAX_WANT_IDS: usize = 256;

/// Bounds of a [`Fetcher`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchLimits {
    /// Most ids asked for and not yet arrived.
    pub max_wanted: usize,
    /// How long one peer is given to answer before the next is asked.
    pub retry: Duration,
    /// How long an id is asked for at all.
    pub give_up: Duration,
}

impl Default for FetchLimits {
    /// 4,096 ids in flight; 1 s per peer; 30 s in all.
    fn default() -> Self {
        Self {
            max_wanted: 4096,
            retry: Duration::from_secs(1),
            give_up: Duration::from_secs(30),
        }
    }
}

#[derive(Debug)]
struct Wanted {
    since: Instant,
    last_ask: Instant,
    asked: Vec<PeerId>,
}

/// Counters of a [`Fetcher`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// Ids asked for (each ask of each peer counts).
    pub asked: u64,
    /// Ids that arrived while wanted.
    pub arrived: u64,
    /// Ids given up on.
    pub given_up: u64,
    /// Ids not asked for because [`FetchLimits::max_wanted`] were in flight.
    pub over_limit: u64,
}

/// The ids this node wants, and whom it asked.
#[derive(Debug, Default)]
pub struct Fetcher {
    limits: FetchLimits,
    wanted: HashMap<MessageId, Wanted>,
    stats: FetchStats,
}

/// Requests to send: ids per peer.
pub type Asks = BTreeMap<PeerId, Vec<MessageId>>;

impl Fetcher {
    /// An empty fetcher.
    pub fn new(limits: FetchLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// The bounds.
    pub fn limits(&self) -> FetchLimits {
        self.limits
    }

    /// Counters.
    pub fn stats(&self) -> FetchStats {
        self.stats
    }

    /// Ids wanted now.
    pub fn len(&self) -> usize {
        self.wanted.len()
    }

    /// Whether nothing is wanted.
    pub fn is_empty(&self) -> bool {
        self.wanted.is_empty()
    }

    /// `id` is missing, referenced by a message that `from` sent: asks `from`
    /// for it (into `asks`) unless it is already wanted or too many are.
    pub fn want(&mut self, id: MessageId, from: PeerId, now: Instant, asks: &mut Asks) {
        if self.wanted.contains_key(&id) {
            return;
        }
        if self.wanted.len() >= self.limits.max_wanted {
            self.stats.over_limit += 1;
            return;
        }
        self.wanted.insert(
            id,
            Wanted {
                since: now,
                last_ask: now,
                asked: vec![from],
            },
        );
        self.stats.asked += 1;
        asks.entry(from).or_default().push(id);
    }

    /// `message` came from `from` and was offered to `store` through
    /// `pending`: if accepted, it is no longer wanted; if held, its
    /// references that are neither accepted, held nor known ill-formed are
    /// asked for (into `asks`).
    pub fn received(
        &mut self,
        message: &Message,
        from: PeerId,
        store: &MessageStore,
        pending: &Pending,
        asks: &mut Asks,
    ) {
        let id = message.id();
        if store.contains(&id) {
            self.arrived(&id);
        } else if pending.holds(&id) {
            let now = Instant::now();
            for r in message.refs() {
                if !store.contains(r) && !pending.holds(r) && !pending.is_rejected(r) {
                    self.want(*r, from, now, asks);
                }
            }
        }
    }

    /// [`Fetcher::tick`] now, keeping the ids some message held in
    /// `pending` still waits for.
    pub fn retry(&mut self, peers: &[PeerId], pending: &Pending, asks: &mut Asks) {
        if !self.is_empty() {
            let needed = |id: &MessageId| pending.waiting_for(id).next().is_some();
            self.tick(Instant::now(), peers, needed, asks);
        }
    }

    /// `id` arrived (accepted, or known otherwise): no longer wanted.
    pub fn arrived(&mut self, id: &MessageId) {
        if self.wanted.remove(id).is_some() {
            self.stats.arrived += 1;
        }
    }

    /// Re-asks, from one more of `peers`, each id whose last ask is older
    /// than the retry interval and that `still_missing` says is still
    /// missing; forgets the others and those past the give-up time.
    pub fn tick(
        &mut self,
        now: Instant,
        peers: &[PeerId],
        still_missing: impl Fn(&MessageId) -> bool,
        asks: &mut Asks,
    ) {
        let limits = self.limits;
        let mut given_up = 0;
        let mut asked = 0;
        self.wanted.retain(|id, w| {
            if !still_missing(id) {
                return false;
            }
            if now.saturating_duration_since(w.since) >= limits.give_up {
                given_up += 1;
                return false;
            }
            if now.saturating_duration_since(w.last_ask) < limits.retry {
                return true;
            }
            let next = peers
                .iter()
                .find(|p| !w.asked.contains(p))
                .or_else(|| peers.get(w.asked.len() % peers.len().max(1)));
            if let Some(&p) = next {
                if !w.asked.contains(&p) {
                    w.asked.push(p);
                }
                w.last_ask = now;
                asked += 1;
                asks.entry(p).or_default().push(*id);
            }
            true
        });
        self.stats.given_up += given_up;
        self.stats.asked += asked;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use hetpaxos_messages::Message;

    fn id(k: u64) -> MessageId {
        Message::proposal(k, &b"v"[..]).id()
    }

    #[test]
    fn asks_the_sender_then_each_other_peer_then_gives_up() {
        let limits = FetchLimits {
            max_wanted: 2,
            retry: Duration::from_secs(1),
            give_up: Duration::from_secs(10),
        };
        let mut f = Fetcher::new(limits);
        let t0 = Instant::now();
        let (a, b, c) = (PeerId(1), PeerId(2), PeerId(3));
        let mut asks = Asks::new();
        f.want(id(1), b, t0, &mut asks);
        f.want(id(1), c, t0, &mut asks); // already wanted
        f.want(id(2), a, t0, &mut asks);
        f.want(id(3), a, t0, &mut asks); // over the limit
        assert_eq!(asks, Asks::from([(a, vec![id(2)]), (b, vec![id(1)])]));
        assert_eq!(f.stats().over_limit, 1);
        f.arrived(&id(2));
        assert_eq!(f.len(), 1);

        let peers = [a, b, c];
        let mut asks = Asks::new();
        f.tick(t0 + Duration::from_millis(500), &peers, |_| true, &mut asks);
        assert!(asks.is_empty(), "too early");
        f.tick(t0 + Duration::from_secs(1), &peers, |_| true, &mut asks);
        assert_eq!(asks, Asks::from([(a, vec![id(1)])]));
        let mut asks = Asks::new();
        f.tick(t0 + Duration::from_secs(2), &peers, |_| true, &mut asks);
        assert_eq!(asks, Asks::from([(c, vec![id(1)])]));
        let mut asks = Asks::new();
        f.tick(t0 + Duration::from_secs(10), &peers, |_| true, &mut asks);
        assert!(asks.is_empty());
        assert!(f.is_empty());
        assert_eq!(f.stats().given_up, 1);
        assert_eq!(f.stats().arrived, 1);
    }

    #[test]
    fn an_id_no_longer_missing_is_forgotten() {
        let mut f = Fetcher::new(FetchLimits::default());
        let t0 = Instant::now();
        let mut asks = Asks::new();
        f.want(id(1), PeerId(1), t0, &mut asks);
        assert_eq!(f.len(), 1);
        f.tick(t0, &[PeerId(1)], |_| false, &mut asks);
        assert!(f.is_empty());
    }
}
