//! An acceptor instance's state with its fingerprint, computed once.

use super::*;
use std::ops::Deref;

/// An acceptor instance's state, with the deterministic hash of that state
/// (SipHash with fixed keys) computed once when the state is made. The engine hashes an
/// instance many times after making it (memo keys, the local search of R6,
/// twin pairs in the state hash), and an acceptor's hash walks its whole
/// store; the fingerprint makes each of those one word. Equality still
/// compares the states (a fingerprint collision costs nothing but time).
pub struct Instance {
    acceptor: Acceptor,
    fingerprint: u64,
}

impl Instance {
    /// Wraps `acceptor`, fingerprinting it.
    pub fn new(acceptor: Acceptor) -> Self {
        let fingerprint = hash64(&acceptor);
        Self {
            acceptor,
            fingerprint,
        }
    }

    /// The deterministic hash of the state (SipHash of the acceptor, fixed keys).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The acceptor state.
    pub fn acceptor(&self) -> &Acceptor {
        &self.acceptor
    }
}

impl Deref for Instance {
    type Target = Acceptor;
    fn deref(&self) -> &Acceptor {
        &self.acceptor
    }
}

impl PartialEq for Instance {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint && self.acceptor == other.acceptor
    }
}

impl Eq for Instance {}

/// Hashes the fingerprint: the same as hashing the acceptor, in one word.
impl Hash for Instance {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.fingerprint);
    }
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.acceptor.fmt(f)
    }
}
