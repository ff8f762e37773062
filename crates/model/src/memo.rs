//! Memos of the reduced engine's pure steps, and the hashes they are keyed by.

use hetpaxos_messages::MessageId;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A deterministic 64-bit hash (the standard library's SipHash, fixed keys).
pub(crate) fn hash64<T: Hash + ?Sized>(x: &T) -> u64 {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// A fast, weak 64-bit hash (multiply-rotate, as in rustc's `FxHasher`) for
/// memo keys only: memo hits are confirmed with `Eq`.
pub(crate) fn fast_hash<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = Fx::default();
    x.hash(&mut h);
    h.finish()
}

/// The hasher of [`fast_hash`], for the model's own hash tables: their keys
/// are digests, fingerprints or whole states compared with `Eq` on a hit,
/// so a weak hash costs at most a collision, never a wrong result.
#[derive(Default)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A hash map with the [`Fx`] hasher.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;
/// A hash set with the [`Fx`] hasher.
pub(crate) type FastSet<K> = std::collections::HashSet<K, BuildHasherDefault<Fx>>;

/// A memo of a pure function of a state machine's state and a message: a
/// speed-up only. Entries are keyed by (hash of the state, message id) and
/// keep the state they were computed from; a hit is used only when that state
/// is equal (`Eq`) to the queried one, so a hash collision costs a
/// recomputation, never a wrong result. One shard per worker thread
/// ([`thread_slot`]), each cleared when it grows past a bound.
pub(crate) struct Memo<S, R> {
    shards: Vec<Shard<S, R>>,
}

/// This thread's slot among the shards of the model's memos: each worker
/// thread reads and writes its own shard. Shared shards cost more than they
/// shared: two threads spent a fifth of their memo lookups contending for
/// shard locks and for the reference counts of hot entries (perf, n = 4
/// with a twin), while each thread's depth-first search mostly revisits its
/// own recent states.
pub(crate) fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    SLOT.with(|s| *s)
}

/// One shard of a [`Memo`].
type Shard<S, R> = Mutex<FastMap<(u64, MessageId), (Arc<S>, R)>>;

/// Shards: threads beyond this many share them (correct, but contended).
pub(crate) const MEMO_SHARDS: usize = 16;
/// Entries per shard (so per thread) before it is cleared. Each entry holds
/// a whole acceptor, so this bounds the memos' memory. Before stores shared
/// their messages' facts, 2^13 entries per shard held 2.07 GB in a 5-second
/// run (n = 4, D twin, `--max-messages 2`); now that run holds 69 MB on one
/// thread. On n = 4 with a twin at 11 signed messages, one thread, 2^13
/// entries peak at 68 MB, and 2^16 cut misses by only a quarter (1.08 M to
/// 0.82 M) at 364 MB (docs/model-checking.md).
const MEMO_SHARD_LIMIT: usize = 1 << 13;

impl<S, R> Default for Memo<S, R> {
    fn default() -> Self {
        Self {
            shards: (0..MEMO_SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl<S: Eq, R: Clone> Memo<S, R> {
    fn shard(&self) -> Option<&Shard<S, R>> {
        self.shards.get(thread_slot() % MEMO_SHARDS)
    }

    pub(crate) fn get(&self, key: &(u64, MessageId), from: &Arc<S>) -> Option<R> {
        let map = self.shard()?.lock().ok()?;
        let (src, r) = map.get(key)?;
        (Arc::ptr_eq(src, from) || **src == **from).then(|| r.clone())
    }

    pub(crate) fn put(&self, key: (u64, MessageId), from: Arc<S>, r: R) {
        if let Some(Ok(mut map)) = self.shard().map(|m| m.lock()) {
            if map.len() >= MEMO_SHARD_LIMIT {
                map.clear();
            }
            map.insert(key, (from, r));
        }
    }
}
