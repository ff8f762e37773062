//! The checked properties, each citing the item of digest §7 it implements.
//!
//! Every property reads the real state machines' stores: the learner's
//! [`hetpaxos_messages::MessageStore`] and its decisions, and the
//! acceptors' stores. Each `*_violation` function returns a human-readable
//! description of the first violation in a state, or `None`.

use crate::memo::FastSet;
use crate::model::{Context, HetModel, HetState, NodeState};
use hetpaxos_learner::Learner;
use hetpaxos_messages::{Ballot, MessageId, MessageStore, ValueHash};
use hetpaxos_quorums::{AcceptorSet, LearnerId};
use hetpaxos_spec::{Spec, compare_facts};
use stateright::Expectation;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

/// Always: entangled learners (a = b included) never decide differently (§7.1).
pub const AGREEMENT: &str = "agreement (§7.1)";
/// Always: every decided value was proposed (§7.2).
pub const VALIDITY: &str = "validity (§7.2)";
/// Always: decisions are justified by a quorum of well-formed 2as (§7.3).
pub const JUSTIFIED: &str = "decisions justified (§7.3)";
/// Always: safe acceptors are never caught (§7.4, which implies §7.5).
pub const NEVER_CAUGHT: &str = "safe acceptors never caught (§7.4)";
/// Always: the store's derived facts equal the executable spec's (§3.2, §7.6).
pub const STORE_EQ_SPEC: &str = "store = spec (§3.2, §7.6)";
/// Sometimes (required): some learner decides (§7.8, non-vacuity).
pub const SOME_DECISION: &str = "a learner decides (§7.8)";
/// Sometimes (reported): two learners decide differently (§7.9, UniqueDecision violated).
pub const DISAGREEMENT: &str = "two learners decide differently (§7.9)";

/// The Always properties, in report order.
pub const ALWAYS: [&str; 5] = [AGREEMENT, VALIDITY, JUSTIFIED, NEVER_CAUGHT, STORE_EQ_SPEC];

/// Adds every property to `model`.
pub fn add_all(model: HetModel) -> HetModel {
    model
        .property(Expectation::Always, AGREEMENT, |m, s| {
            agreement_violation(&m.cfg, s).is_none()
        })
        .property(Expectation::Always, VALIDITY, |m, s| {
            validity_violation(&m.cfg, s).is_none()
        })
        .property(Expectation::Always, JUSTIFIED, |m, s| {
            justification_violation(&m.cfg, s).is_none()
        })
        .property(Expectation::Always, NEVER_CAUGHT, |m, s| {
            caught_violation(&m.cfg, s).is_none()
        })
        .property(Expectation::Always, STORE_EQ_SPEC, |m, s| {
            store_spec_violation(&m.cfg, s).is_none()
        })
        .property(Expectation::Sometimes, SOME_DECISION, |m, s| {
            some_decision(&m.cfg, s)
        })
        .property(Expectation::Sometimes, DISAGREEMENT, |m, s| {
            disagreement(&m.cfg, s)
        })
}

/// Sometimes, with real proposers (decision D9): every proposer's last 1a
/// carries the same value, although they started with different values (so
/// some proposer adopted another's value from a 2a it saw).
pub const PROPOSERS_CONVERGE: &str = "competing proposers converge (D9)";

/// Sometimes (actor engine, [`crate::ModelConfig::acceptor_clock`]): an
/// acceptor instance holds a 1a from the future while another instance has
/// already accepted a 1a, i.e. the clocks disagree and holding matters.
pub const FUTURE_1A_HELD: &str = "a 1a is held for the future while another acceptor took one";

/// Whether some acceptor instance of an actor-engine state holds a future 1a
/// while another has accepted a 1a (see [`FUTURE_1A_HELD`]).
pub fn future_1a_held(s: &HetState) -> bool {
    let acceptors = || {
        s.actor_states.iter().filter_map(|a| match &**a {
            NodeState::Acceptor(acc) => Some(acc),
            _ => None,
        })
    };
    acceptors().enumerate().any(|(i, a)| {
        a.future_proposals() > 0
            && acceptors()
                .enumerate()
                .any(|(j, b)| j != i && b.max_ballot().is_some())
    })
}

/// Whether the real proposers of an actor-engine state have converged (see
/// [`PROPOSERS_CONVERGE`]).
pub fn proposers_converged(s: &HetState) -> bool {
    let values: Vec<Option<ValueHash>> = s
        .actor_states
        .iter()
        .filter_map(|a| match &**a {
            NodeState::RealProposer(p) => Some(p.current_ballot().map(|b| b.value)),
            _ => None,
        })
        .collect();
    values.len() > 1 && values[0].is_some() && values.iter().all(|v| *v == values[0])
}

/// §7.8 (Sometimes): some learner has decided.
pub fn some_decision<S: Observed>(cx: &Context, s: &S) -> bool {
    learner(cx, s).is_some_and(|l| l.decisions().next().is_some())
}

/// §7.9 (Sometimes, reported): two different values are chosen (for any learners).
pub fn disagreement<S: Observed>(cx: &Context, s: &S) -> bool {
    let c = chosen(cx, s);
    let values: BTreeSet<ValueHash> = c.iter().map(|c| c.value).collect();
    values.len() > 1
}

/// The Always property `name` as a function of a state (for either model).
pub fn always_violation<S: Observed>(name: &str, cx: &Context, s: &S) -> Option<String> {
    match name {
        AGREEMENT => agreement_violation(cx, s),
        VALIDITY => validity_violation(cx, s),
        JUSTIFIED => justification_violation(cx, s),
        NEVER_CAUGHT => caught_violation(cx, s),
        STORE_EQ_SPEC => store_spec_violation(cx, s),
        _ => None,
    }
}

/// What the properties read from a state of either model (the stateright
/// [`HetModel`] or the reduced [`crate::reduced::ReducedModel`]): the real
/// learner and the real acceptors' stores.
pub trait Observed {
    /// The learner process (all learners of the graph).
    fn learner_of(&self, cx: &Context) -> Option<&Learner>;
    /// The stores of the safe acceptors' instances, with display names.
    fn honest_acceptor_stores<'a>(&'a self, cx: &'a Context) -> Vec<(&'a str, &'a MessageStore)>;
    /// Every store in the state (the learner's first), to describe messages.
    fn all_stores(&self, cx: &Context) -> Vec<&MessageStore>;
}

impl Observed for HetState {
    fn learner_of(&self, cx: &Context) -> Option<&Learner> {
        match cx.learner_slot {
            Some(i) => match self.actor_states.get(i).map(|a| &**a) {
                Some(NodeState::Learner(l)) => Some(l),
                _ => None,
            },
            None => self.history.learner.as_deref(),
        }
    }

    fn honest_acceptor_stores<'a>(&'a self, cx: &'a Context) -> Vec<(&'a str, &'a MessageStore)> {
        let mut out = Vec::new();
        for &i in &cx.honest_slots {
            if let Some(NodeState::Acceptor(a)) = self.actor_states.get(i).map(|a| &**a) {
                out.push((cx.names[i].as_str(), a.store()));
            }
        }
        out
    }

    fn all_stores(&self, cx: &Context) -> Vec<&MessageStore> {
        let mut out: Vec<&MessageStore> =
            self.learner_of(cx).map(|l| l.store()).into_iter().collect();
        for a in &self.actor_states {
            match &**a {
                NodeState::Acceptor(acc) => out.push(acc.store()),
                NodeState::Learner(l) => out.push(l.store()),
                NodeState::RealProposer(p) => out.push(p.observer().store()),
                NodeState::Proposer => {}
            }
        }
        out
    }
}

/// The learner process of a state (network actor or observer).
pub fn learner<'a, S: Observed>(cx: &Context, s: &'a S) -> Option<&'a Learner> {
    s.learner_of(cx)
}

/// Stores of honest parties: the safe acceptors' instances and the learner.
pub fn honest_stores<'a, S: Observed>(
    cx: &'a Context,
    s: &'a S,
) -> Vec<(&'a str, &'a MessageStore)> {
    let mut out = s.honest_acceptor_stores(cx);
    if let Some(l) = learner(cx, s) {
        out.push(("learner", l.store()));
    }
    out
}

/// A (learner, ballot, value) for which the learner holds well-formed 2as
/// whose signers contain a quorum of it (TLA `ChosenIn`, digest §3.2 Decision).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Chosen {
    /// The learner.
    pub learner: LearnerId,
    /// The ballot.
    pub ballot: Ballot,
    /// The value's hash.
    pub value: ValueHash,
    /// Signers of the learner's 2as of that ballot.
    pub signers: AcceptorSet,
}

/// Everything chosen in the learner's store: a superset of its decisions
/// (the learner machine decides once per learner; this also catches a
/// learner that could decide a second, different value).
pub fn chosen<S: Observed>(cx: &Context, s: &S) -> Vec<Chosen> {
    let Some(l) = learner(cx, s) else {
        return Vec::new();
    };
    let store = l.store();
    let mut tallies: BTreeMap<(LearnerId, Ballot), AcceptorSet> = BTreeMap::new();
    for f in store.all_facts() {
        let Some(signer) = f.signer() else { continue };
        for a in f.two_a_learners().iter() {
            tallies.entry((a, f.ballot())).or_default().insert(signer);
        }
    }
    let graph = &cx.config.graph;
    tallies
        .into_iter()
        .filter(|((a, _), signers)| graph.is_quorum(*a, *signers))
        .map(|((learner, ballot), signers)| Chosen {
            learner,
            ballot,
            value: ballot.value,
            signers,
        })
        .collect()
}

/// §7.1 Agreement: for every entangled pair `(a, b)` (computed from the run's
/// safe set over the condensed graph; `a = b` included), everything chosen
/// for `a` and `b` has one value.
pub fn agreement_violation<S: Observed>(cx: &Context, s: &S) -> Option<String> {
    let graph = &cx.config.graph;
    let c = chosen(cx, s);
    for x in &c {
        for y in &c {
            if x.value != y.value && x <= y && graph.entangled(x.learner, y.learner, cx.safe) {
                return Some(format!(
                    "entangled learners {} and {} chose different values: {} at ballot {} (signers {}) and {} at ballot {} (signers {})",
                    graph.learner_name(x.learner),
                    graph.learner_name(y.learner),
                    value_name(cx, x.value),
                    x.ballot.timestamp,
                    graph.format_set(x.signers),
                    value_name(cx, y.value),
                    y.ballot.timestamp,
                    graph.format_set(y.signers),
                ));
            }
        }
    }
    None
}

/// §7.2 Validity: every decided (or chosen) value was proposed.
pub fn validity_violation<S: Observed>(cx: &Context, s: &S) -> Option<String> {
    let l = learner(cx, s)?;
    for d in l.decisions() {
        let v = ValueHash::of(&d.value);
        if !cx.proposed.contains(&v) {
            return Some(format!("decided value {v} was never proposed"));
        }
    }
    chosen(cx, s)
        .into_iter()
        .find(|c| !cx.proposed.contains(&c.value))
        .map(|c| format!("chosen value {} was never proposed", c.value))
}

/// §7.3 Decisions are justified: each decision's ballot and value match 2as
/// for that learner, held by the learner, whose signers contain a quorum.
pub fn justification_violation<S: Observed>(cx: &Context, s: &S) -> Option<String> {
    let l = learner(cx, s)?;
    let graph = &cx.config.graph;
    let store = l.store();
    for d in l.decisions() {
        let mut signers = AcceptorSet::EMPTY;
        for f in store.all_facts() {
            if f.two_a_learners().contains(d.learner)
                && f.ballot() == d.ballot
                && f.value() == &d.value
                && let Some(sg) = f.signer()
            {
                signers.insert(sg);
            }
        }
        if !graph.is_quorum(d.learner, signers) || !d.signers.is_subset(signers) {
            return Some(format!(
                "learner {} decided at ballot {} but its 2as there are signed by {} only",
                graph.learner_name(d.learner),
                d.ballot.timestamp,
                graph.format_set(signers)
            ));
        }
    }
    None
}

/// §7.4 Safe acceptors are never caught, in any message an honest party holds
/// (each id once per run: its `Caught` depends only on its history).
pub fn caught_violation<S: Observed>(cx: &Context, s: &S) -> Option<String> {
    for (who, store) in honest_stores(cx, s) {
        let Some(unchecked) = cx.caught_checked.unchecked(store) else {
            return Some("caught cache poisoned".into());
        };
        for &id in &unchecked {
            if let Some(f) = store.facts(&id) {
                let bad = f.caught().intersection(cx.safe);
                if !bad.is_empty() {
                    return Some(format!(
                        "{who} holds {id} whose history catches safe acceptor(s) {}",
                        cx.config.graph.format_set(bad)
                    ));
                }
            }
        }
        cx.caught_checked.mark(unchecked);
    }
    None
}

/// Most ids a [`CheckedIds`] keeps: past it the set starts over (those ids
/// are checked again when met), so its memory is bounded however long the
/// run (32 MB of ids at most).
const CHECKED_LIMIT: usize = 1 << 20;

/// Ids of messages already checked for one per-message property during a
/// run (shared by the worker threads, and by the clones of the context).
/// Read-mostly (every state reads it; only a state with a new message
/// writes), hence a read-write lock and the model's cheap Fx hash.
#[derive(Clone, Default)]
pub struct CheckedIds(Arc<RwLock<FastSet<MessageId>>>);

impl CheckedIds {
    /// The ids `store` holds that were not checked yet (`None` if the lock
    /// is poisoned, which cannot happen: nothing panics while holding it).
    fn unchecked(&self, store: &MessageStore) -> Option<Vec<MessageId>> {
        let done = self.0.read().ok()?;
        Some(
            store
                .messages()
                .map(|m| m.id())
                .filter(|id| !done.contains(id))
                .collect(),
        )
    }

    /// Records `ids` as checked, within [`CHECKED_LIMIT`].
    fn mark(&self, ids: Vec<MessageId>) {
        if ids.is_empty() {
            return;
        }
        if let Ok(mut done) = self.0.write() {
            if done.len() + ids.len() > CHECKED_LIMIT {
                done.clear();
            }
            done.extend(ids);
        }
    }
}

/// §3.2 / §7.6 store = spec: for every message an honest party holds, the
/// store's derived facts equal those of the executable specification
/// (`hetpaxos-spec`) over the same messages, and the spec finds it
/// well-formed. Facts depend only on a message's history, so each id is
/// compared once per run (cached in the context).
pub fn store_spec_violation<S: Observed>(cx: &Context, s: &S) -> Option<String> {
    for (who, store) in honest_stores(cx, s) {
        let Some(unchecked) = cx.spec_checked.unchecked(store) else {
            return Some("spec cache poisoned".into());
        };
        if unchecked.is_empty() {
            continue;
        }
        let graph = &*cx.config.graph;
        let mut spec = Spec::new(graph);
        for m in store.messages() {
            spec.insert(m.clone());
        }
        for &x in &unchecked {
            let diffs = compare_facts(&spec, store, x);
            if !diffs.is_empty() {
                let diff: Vec<String> = diffs.iter().map(ToString::to_string).collect();
                return Some(format!(
                    "{who}: facts of {x} differ from the spec: {}",
                    diff.join("; ")
                ));
            }
        }
        cx.spec_checked.mark(unchecked);
    }
    None
}

/// A readable name for a proposed value (`v1`, …), else its hash.
pub fn value_name(cx: &Context, v: ValueHash) -> String {
    (0..cx.config.proposals)
        .map(crate::model::proposal_value)
        .find(|name| ValueHash::of(name.as_bytes()) == v)
        .unwrap_or_else(|| v.to_string())
}
