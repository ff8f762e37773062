//! The reduced model's state (hashed up to R5 and R7) and actions.

use super::*;

/// A state of the reduced model.
#[derive(Clone)]
pub struct ReducedState {
    /// The real acceptor state machines, one per instance.
    pub acceptors: Vec<Arc<Instance>>,
    /// The real learner, fed every message when first sent, except those
    /// in `unfed` (see [`Self::learner`]).
    pub(super) fed: Arc<Learner>,
    /// Messages sent after `fed`, in order, not fed to it yet: none is a 2a
    /// (see "The learner is fed lazily" in the module documentation).
    pub(super) unfed: Vec<Message>,
    /// `fed` fed with `unfed`, once some reader needed it.
    pub(super) learner_cell: OnceLock<Arc<Learner>>,
    /// Every message sent so far, by id (a function of `acceptors`; not hashed).
    pub sent: Arc<BTreeMap<MessageId, Message>>,
    /// Index of the first instance of each twin pair (`i`, `i + 1`): the two
    /// are compared and hashed as an unordered pair (reduction R5).
    pub twin_pairs: Arc<[usize]>,
    /// Reduction R7: when set, the state is hashed by the hash of the least of its
    /// images under the run's acceptor automorphisms ([`crate::symmetry`]).
    pub symmetry: Option<Arc<Symmetry>>,
    /// Every forgery an arbitrary acceptor may send next, bound aside
    /// ([`crate::forge`]; a function of `sent`, not hashed).
    pub forgeable: Arc<Vec<Forgery>>,
    /// Messages signed so far by acceptors: every instance's own messages
    /// and every forgery (for [`ModelConfig::max_signed`]). A function of the
    /// state (the instances' chains and the forgeries), so neither compared
    /// nor hashed.
    pub signed: usize,
}

impl ReducedState {
    /// Each instance's acceptor and last own message: with R3 and R6, what
    /// determines its state (see [`crate::symmetry`]).
    pub fn heads(&self) -> Vec<(AcceptorId, Option<MessageId>)> {
        self.acceptors
            .iter()
            .map(|a| (a.id(), a.last_own()))
            .collect()
    }

    /// The real learner, fed every message sent so far (the messages this
    /// state deferred are fed on the first call).
    ///
    /// # Panics
    /// If feeding a deferred message changed a decision: the engine defers
    /// only messages that are not 2as, which the learner never decides on.
    pub fn learner(&self) -> &Arc<Learner> {
        if self.unfed.is_empty() {
            return &self.fed;
        }
        self.learner_cell.get_or_init(|| {
            let mut l = (*self.fed).clone();
            for m in &self.unfed {
                if !crate::model::holds(&l, &m.id()) {
                    let _ = l.receive(m.clone());
                }
            }
            assert!(
                l.decisions().eq(self.fed.decisions()),
                "the lazily fed learner assumes a message that is not a 2a changes no decision"
            );
            Arc::new(l)
        })
    }

    /// Sends `m` to the learner now, with the deferred messages before it.
    pub(super) fn feed(&mut self, m: Message) {
        if self.unfed.is_empty() && crate::model::holds(&self.fed, &m.id()) {
            return;
        }
        let mut l = (**self.learner()).clone();
        if !crate::model::holds(&l, &m.id()) {
            let _ = l.receive(m);
        }
        self.fed = Arc::new(l);
        self.unfed.clear();
        self.learner_cell = OnceLock::new();
    }

    /// Defers feeding `m`, which is not a 2a, to the learner.
    pub(super) fn defer(&mut self, m: Message) {
        if let Some(l) = self.learner_cell.take() {
            self.fed = l;
            self.unfed.clear();
        }
        self.unfed.push(m);
    }

    /// Whether instance `i` is the second of a twin pair.
    pub(super) fn second_twin(&self, i: usize) -> bool {
        i > 0 && self.twin_pairs.contains(&(i - 1))
    }
}

impl fmt::Debug for ReducedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReducedState")
            .field("acceptors", &self.acceptors)
            .field("learner", self.learner())
            .field("sent", &self.sent.len())
            .finish()
    }
}

/// Equal up to swapping the two instances of each twin pair (R5).
impl PartialEq for ReducedState {
    fn eq(&self, other: &Self) -> bool {
        if self.learner() != other.learner() || self.acceptors.len() != other.acceptors.len() {
            return false;
        }
        let (a, b) = (&self.acceptors, &other.acceptors);
        (0..a.len()).all(|i| {
            if self.twin_pairs.contains(&i) {
                (a[i] == b[i] && a[i + 1] == b[i + 1]) || (a[i] == b[i + 1] && a[i + 1] == b[i])
            } else {
                self.second_twin(i) || a[i] == b[i]
            }
        })
    }
}

impl Eq for ReducedState {}

/// Hashes what [`PartialEq`] compares: each twin pair as the sorted pair of
/// its instances' hashes (R5). With R7, the hash of the least image in the
/// state's orbit instead (equal states still hash equally; stateright keeps only hashes).
impl Hash for ReducedState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if let Some(sym) = &self.symmetry {
            // The deferred messages are not 2as: `fed` has every decision.
            state.write_u64(sym.canonical_hash(&self.heads(), &self.fed, &self.sent));
            return;
        }
        let a = &self.acceptors;
        for i in 0..a.len() {
            if self.twin_pairs.contains(&i) {
                let (x, y) = (a[i].fingerprint(), a[i + 1].fingerprint());
                (x.min(y), x.max(y)).hash(state);
            } else if !self.second_twin(i) {
                a[i].hash(state);
            }
        }
        self.learner().hash(state);
    }
}

/// An action of the reduced model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReducedAction {
    /// Deliver messages `ids` (in `sent`), in order, to acceptor instance
    /// `to`: one message, or (R6) a block whose last delivery is the first
    /// that makes the instance emit.
    Deliver {
        /// Instance index.
        to: usize,
        /// The messages, in delivery order.
        ids: Vec<MessageId>,
    },
    /// An arbitrary Byzantine acceptor sends a message ([`crate::forge`]).
    Forge(Forgery),
}

impl Observed for ReducedState {
    fn learner_of(&self, _cx: &Context) -> Option<&Learner> {
        Some(self.learner())
    }

    fn honest_acceptor_stores<'a>(&'a self, cx: &'a Context) -> Vec<(&'a str, &'a MessageStore)> {
        cx.honest_slots
            .iter()
            .filter_map(|&i| Some((cx.names.get(i)?.as_str(), self.acceptors.get(i)?.store())))
            .collect()
    }

    fn all_stores(&self, _cx: &Context) -> Vec<&MessageStore> {
        std::iter::once(self.learner().store())
            .chain(self.acceptors.iter().map(|a| a.store()))
            .collect()
    }
}
