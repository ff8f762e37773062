//! The reduced model's steps: R4 (finished acceptors), R6 blocks, one
//! acceptor step with R3, sending, forgeries and coverage bookkeeping.

use super::*;

/// Memoized R6 blocks: the messages available, and the blocks.
pub(super) type BlocksMemo = (Arc<Vec<MessageId>>, Arc<Vec<Vec<MessageId>>>);

/// The result of one acceptor step (see `ReducedModel::local_step`).
pub(super) struct LocalStep {
    pub(super) next: Arc<Instance>,
    pub(super) emitted: Vec<Message>,
    /// The stale 1as delivered after it (R3), in order.
    pub(super) stale: Vec<MessageId>,
}

/// Most instance states one R6 local search (`ReducedModel::blocks`)
/// expands, by default ([`ModelConfig::max_local_search`]), before the
/// engine gives up on the run
/// ([`ReducedModel::expansion_limit_hit`]). The search ranges over which of
/// the messages in flight an instance has received before it next signs, so
/// it grows exponentially with the acceptors: at most 84 states on the key
/// configurations of docs/model-checking.md and 220 on 30 acceptors under
/// the default bound, but past this limit within seconds on 12 acceptors
/// without it, where one state's expansion would not finish.
pub const MAX_LOCAL_SEARCH: usize = 1 << 12;

/// The highest ballot of a 1a in `store`: the acceptor's highest known ballot
/// (1as are never held, and are accepted as soon as delivered).
fn max_1a(store: &MessageStore) -> Option<Ballot> {
    store
        .messages()
        .filter_map(|m| m.as_proposal().map(|p| p.ballot()))
        .max()
}

impl ReducedModel {
    /// Reduction R4: whether instance `acc` can never emit again.
    pub fn finished(&self, acc: &Acceptor) -> bool {
        if !self.cx.config.reductions.absorb_finished {
            return false;
        }
        let store = acc.store();
        let Some(b_max) = self.b_max else {
            return false;
        };
        if max_1a(store) != Some(b_max) {
            return false;
        }
        let Some(last) = acc.last_own().and_then(|id| store.facts(&id)) else {
            return false;
        };
        if last.ballot() != b_max || !matches!(last.kind(), Kind::TwoA(_)) {
            return false;
        }
        let mut done = LearnerSet::EMPTY;
        for m in store.messages() {
            if m.signer() == Some(acc.id())
                && let Some(f) = store.facts(&m.id())
                && f.ballot() == b_max
            {
                done = done.union(f.two_a_learners());
            }
        }
        self.cx.config.graph.learners().is_subset(done)
    }

    /// Whether `m` is sent to instance `i` (by its signer, or a proposer).
    pub(super) fn addressed_to(&self, i: usize, m: &Message) -> bool {
        m.signer() != Some(self.ids[i])
    }

    /// Records `m` as sent (once per id) and feeds it to the learner, or,
    /// when `deferrable` (`m` is not a 2a) and R7 hashes the state without
    /// the learner's store, defers feeding it (see "The learner is fed
    /// lazily").
    pub(super) fn send(&self, state: &mut ReducedState, m: Message, deferrable: bool) {
        if state.sent.contains_key(&m.id()) {
            return;
        }
        Arc::make_mut(&mut state.sent).insert(m.id(), m.clone());
        if deferrable && state.symmetry.is_some() {
            state.defer(m);
        } else {
            state.feed(m);
        }
    }

    /// Reduction R6: every block of deliveries to instance `i` (each message
    /// sent to it, not yet held, with its references held) whose last
    /// delivery is the first that emits; one block per distinct resulting
    /// instance state. A local search over the instance's states reachable
    /// by non-emitting deliveries, the rest of the state fixed.
    pub(super) fn blocks(
        &self,
        i: usize,
        acc: &Arc<Instance>,
        sent: &BTreeMap<MessageId, Message>,
    ) -> Arc<Vec<Vec<MessageId>>> {
        let avail: Vec<&Message> = sent
            .values()
            .filter(|m| self.addressed_to(i, m) && !acc.store().contains(&m.id()))
            .collect();
        let avail_ids: Vec<MessageId> = avail.iter().map(|m| m.id()).collect();
        let key = (
            acc.fingerprint() ^ fast_hash(&avail_ids).rotate_left(17),
            MessageId::default(),
        );
        if let Some((ids, r)) = self.blocks_memo.get(&key, acc)
            && *ids == avail_ids
        {
            return r;
        }
        let mut out = Vec::new();
        // Instance states are told apart by their fingerprints, as the
        // search tells whole states apart by theirs (stateright keeps only
        // fingerprints): comparing whole stores on every repeat cost more
        // than a twentieth of the run.
        let mut ends: FastSet<u64> = FastSet::default();
        let mut seen: FastSet<u64> = FastSet::default();
        let mut stack: Vec<(Arc<Instance>, Vec<MessageId>)> = vec![(acc.clone(), Vec::new())];
        let mut expanded = 0usize;
        while let Some((l, path)) = stack.pop() {
            expanded += 1;
            if expanded > self.cx.config.max_local_search {
                self.expansion_limit_hit.store(true, Ordering::Relaxed);
                return Arc::new(Vec::new());
            }
            let store = l.store();
            for m in &avail {
                if store.contains(&m.id()) || !m.refs().iter().all(|r| store.contains(r)) {
                    continue;
                }
                let r = self.local_step(i, &l, m);
                let mut p = path.clone();
                p.push(m.id());
                if !r.emitted.is_empty() {
                    if ends.insert(r.next.fingerprint()) {
                        out.push(p);
                    }
                } else if seen.insert(r.next.fingerprint()) {
                    stack.push((r.next.clone(), p));
                }
            }
        }
        let out = Arc::new(out);
        self.blocks_memo
            .put(key, acc.clone(), (Arc::new(avail_ids), out.clone()));
        out
    }

    /// One step of instance `i`'s real state machine on `m`, followed (R3) by
    /// the delivery of every 1a that is then stale at it. Returns the new
    /// state and the own messages emitted, in order. A pure function of the
    /// acceptor's state and `m` (every 1a is sent at start), memoized.
    pub(super) fn local_step(&self, i: usize, acc: &Arc<Instance>, m: &Message) -> Arc<LocalStep> {
        let key = (acc.fingerprint(), m.id());
        if let Some(r) = self.step_memo.get(&key, acc) {
            return r;
        }
        let mut next = acc.acceptor().clone();
        let mut io = ModelIo::default();
        let Ok(_) = driver::step(&mut next, Input::Receive(m.clone()), &mut io);
        let emitted = io.sent;
        let mut stale_ids = Vec::new();
        if self.cx.config.reductions.eager_stale_1a
            && let Some(max) = max_1a(next.store())
        {
            let stale: Vec<Message> = self
                .proposals
                .iter()
                .filter(|p| {
                    p.as_proposal().is_some_and(|p| p.ballot() <= max)
                        && !next.store().contains(&p.id())
                        && self.addressed_to(i, p)
                })
                .cloned()
                .collect();
            for p in stale {
                stale_ids.push(p.id());
                let mut io = ModelIo::default();
                let Ok(_) = driver::step(&mut next, Input::Receive(p), &mut io);
                assert!(
                    io.sent.is_empty() && next.outbox_len() == 0,
                    "reduction R3 assumes a stale 1a emits nothing (acceptor rule D11)"
                );
            }
        }
        let r = Arc::new(LocalStep {
            next: Arc::new(Instance::new(next)),
            emitted,
            stale: stale_ids,
        });
        self.step_memo.put(key, acc.clone(), r.clone());
        r
    }

    /// Every message block `ids` delivers to instance `to` in `state`, in
    /// order: each of `ids`, followed by the stale 1as the engine's own step
    /// (`local_step`) delivers right after it (R3). For trace files, which
    /// must deliver exactly what the model did.
    pub fn delivered_in_block(
        &self,
        state: &ReducedState,
        to: usize,
        ids: &[MessageId],
    ) -> Vec<MessageId> {
        let mut out = Vec::new();
        let Some(mut acc) = state.acceptors.get(to).cloned() else {
            return out;
        };
        for id in ids {
            let Some(m) = state.sent.get(id) else { break };
            let r = self.local_step(to, &acc, m);
            out.push(*id);
            out.extend(r.stale.iter().copied());
            acc = r.next.clone();
        }
        out
    }

    /// Checks that instance `i` recovers from its log (all it appended) to an
    /// equal state, re-sending only messages already sent (see "Crashes").
    pub(super) fn check_recovery(&self, i: usize, acc: &Acceptor, state: &ReducedState) {
        let Some(init) = self.init_acceptors.get(i) else {
            return;
        };
        let (recovered, resent) = model_recover(init, self.ids[i], &DurableLog::of(acc));
        assert!(
            recovered == *acc,
            "recovery from the log does not rebuild the acceptor state"
        );
        assert!(
            resent.iter().all(|m| state.sent.contains_key(&m.id())),
            "recovery sent a message that was never sent before"
        );
    }

    /// Whether instance `i` in state `acc` holds more own messages than
    /// [`ModelConfig::max_own_messages`] allows (checked before the step's
    /// messages are sent, so a cut block costs no learner step).
    pub(super) fn over_bound(&self, i: usize, acc: &Acceptor) -> bool {
        let (Some(bound), Some(&id)) = (self.cx.config.max_own_messages, self.ids.get(i)) else {
            return false;
        };
        let own = acc
            .store()
            .messages()
            .filter(|m| m.signer() == Some(id))
            .count();
        own > bound
    }

    /// Whether a state that signed `signed` messages is beyond
    /// [`ModelConfig::max_signed`] (and then records that the bound cut a
    /// step).
    pub(super) fn over_signed_bound(&self, signed: usize) -> bool {
        let over = self.cx.config.max_signed.is_some_and(|n| signed > n);
        if over {
            self.signed_bound_hit.store(true, Ordering::Relaxed);
        }
        over
    }

    /// `state.forgeable` after an action that sent the messages not in
    /// `before`: the earlier forgeries not sent since, and those that
    /// reference a new message (see [`forgeries_touching`]).
    pub(super) fn update_forgeable(
        &self,
        state: &mut ReducedState,
        before: &BTreeMap<MessageId, Message>,
    ) {
        let arbitrary = self.cx.config.arbitrary;
        if arbitrary.is_empty() || state.sent.len() == before.len() {
            return;
        }
        let sent = &state.sent;
        let mut next: Vec<Forgery> = state
            .forgeable
            .iter()
            .filter(|f| !sent.contains_key(&f.id))
            .cloned()
            .collect();
        let new = |id: &MessageId| !before.contains_key(id);
        for by in arbitrary.iter() {
            next.extend(forgeries_touching(
                by,
                sent,
                &new,
                state.learner().store(),
                &self.verdicts,
            ));
        }
        state.forgeable = Arc::new(next);
    }

    /// Whether deliveries are explored as R6 blocks, each ending with an
    /// emission (otherwise one delivery at a time, to test R3 and R4).
    pub(super) fn actions_are_blocks(&self) -> bool {
        self.cx.config.reductions.batch_to_emission && !self.check_reductions
    }

    /// Every action enabled in `state`, bounds other than
    /// [`ModelConfig::max_signed`] applied.
    pub(super) fn enabled(&self, state: &ReducedState, actions: &mut Vec<ReducedAction>) {
        for (i, acc) in state.acceptors.iter().enumerate() {
            if self.check_reductions {
                self.check_recovery(i, acc, state);
            }
            if self.actions_are_blocks() {
                if !self.finished(acc) {
                    for ids in self.blocks(i, acc, &state.sent).iter() {
                        actions.push(ReducedAction::Deliver {
                            to: i,
                            ids: ids.clone(),
                        });
                    }
                }
                continue;
            }
            let store = acc.store();
            let finished = self.finished(acc);
            for (id, m) in state.sent.iter() {
                if self.addressed_to(i, m)
                    && !store.contains(id)
                    && m.refs().iter().all(|r| store.contains(r))
                {
                    if !finished {
                        actions.push(ReducedAction::Deliver {
                            to: i,
                            ids: vec![*id],
                        });
                    } else if self.check_reductions {
                        let mut copy = acc.acceptor().clone();
                        let mut io = ModelIo::default();
                        let Ok(_) = driver::step(&mut copy, Input::Receive(m.clone()), &mut io);
                        assert!(
                            io.sent.is_empty() && copy.outbox_len() == 0,
                            "reduction R4: a finished acceptor emitted"
                        );
                    }
                }
            }
        }
        let arbitrary = self.cx.config.arbitrary;
        if arbitrary.is_empty() {
            return;
        }
        if forged_count(&state.sent, arbitrary) >= self.cx.config.max_forged {
            if !state.forgeable.is_empty() {
                self.forge_bound_hit.store(true, Ordering::Relaxed);
            }
            return;
        }
        for f in state.forgeable.iter() {
            actions.push(ReducedAction::Forge(f.clone()));
        }
    }

    /// What follows every step from `last` to `s`: the forgeries are
    /// updated, and the state is recorded for coverage (sampled searches).
    pub(super) fn finish_step(&self, last: &ReducedState, mut s: ReducedState) -> ReducedState {
        self.update_forgeable(&mut s, &last.sent);
        if let Some(c) = &self.coverage {
            let new: Vec<MessageId> = s
                .sent
                .keys()
                .filter(|id| !last.sent.contains_key(id))
                .copied()
                .collect();
            c.record(hash64(&s), &s, &new);
        }
        s
    }

    /// What a sampled search covered, against the events this run has
    /// (`None` unless [`Self::coverage`] was set).
    pub fn coverage_report(&self) -> Option<CoverageReport> {
        let c = self.coverage.as_ref()?;
        let config = &self.cx.config;
        let signers = self
            .ids
            .iter()
            .copied()
            .chain(config.arbitrary.iter())
            .collect();
        let ballots: Vec<u64> = self
            .proposals
            .iter()
            .filter_map(|m| m.as_proposal().map(|p| p.ballot().timestamp))
            .collect();
        let byzantine = config.twins.union(config.arbitrary).iter().collect();
        Some(c.report(&config.graph, &signers, &ballots, &byzantine))
    }
}
