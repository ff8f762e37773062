//! Equality and hashing of proposer states, for model checking (the
//! proposer is a state of `hetpaxos-model`'s actor engine). Two proposers
//! are equal when they sign as the same proposer and every field that
//! shapes what they do next is equal; the signer itself is compared by the
//! proposer it signs as.

use crate::Proposer;
use std::hash::{Hash, Hasher};

impl PartialEq for Proposer {
    fn eq(&self, other: &Self) -> bool {
        self.signer.proposer() == other.signer.proposer()
            && self.config == other.config
            && self.value == other.value
            && self.adopted == other.adopted
            && self.last_timestamp == other.last_timestamp
            && self.attempts == other.attempts
            && self.started == other.started
            && self.stopped == other.stopped
            && self.current == other.current
            && self.heard == other.heard
            && self.heard_when_set == other.heard_when_set
            && self.observer == other.observer
    }
}

impl Eq for Proposer {}

/// Hashes what [`PartialEq`] compares (the observer by its own `Hash`).
impl Hash for Proposer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.signer.proposer().hash(state);
        self.value.hash(state);
        self.adopted.hash(state);
        self.last_timestamp.hash(state);
        self.attempts.hash(state);
        self.started.hash(state);
        self.stopped.hash(state);
        self.current.hash(state);
        self.heard.hash(state);
        self.heard_when_set.hash(state);
        self.observer.hash(state);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::{Input, Proposer, ProposerConfig};
    use hetpaxos_messages::{AbstractProposalSigner, AbstractSignatures, ProposerId};
    use hetpaxos_quorums::examples;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    use std::sync::Arc;

    fn proposer(id: u32, value: &str) -> Proposer {
        let graph = Arc::new(examples::homogeneous(4, 1).unwrap());
        Proposer::new(
            graph,
            Arc::new(AbstractSignatures { acceptors: 4 }),
            Arc::new(AbstractProposalSigner(ProposerId(id))),
            value.as_bytes().to_vec(),
            ProposerConfig::default(),
        )
    }

    fn hash(p: &Proposer) -> u64 {
        let mut h = DefaultHasher::new();
        p.hash(&mut h);
        h.finish()
    }

    /// Equal states hash equally; a step, another value or another signer
    /// makes them differ.
    #[test]
    fn equality_follows_the_state() {
        let (a, b) = (proposer(0, "v1"), proposer(0, "v1"));
        assert!(a == b && hash(&a) == hash(&b));
        assert!(a != proposer(1, "v1"));
        assert!(a != proposer(0, "v2"));
        let mut c = a.clone();
        c.handle(Input::Start { now: 5, random: 0 });
        assert!(a != c);
        let mut d = b.clone();
        d.handle(Input::Start { now: 5, random: 0 });
        assert!(c == d && hash(&c) == hash(&d));
    }
}
