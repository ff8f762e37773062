//! Comparing the optimized store with the specification, fact by fact: the
//! one comparison used by the oracle (`tests/oracle.rs`) and by the model
//! checker's "store = spec" property.

use crate::spec::Spec;
use hetpaxos_messages::{Kind, MessageId, MessageStore, ValueHash};
use std::collections::BTreeSet;
use std::fmt;

/// A derived fact on which the store and the specification disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The fact, e.g. `Caught` or `fresh_red`.
    pub fact: String,
    /// The specification's answer.
    pub spec: String,
    /// The store's answer.
    pub store: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: spec {} / store {}",
            self.fact, self.spec, self.store
        )
    }
}

#[derive(Default)]
struct Differences(Vec<Difference>);

impl Differences {
    fn check(&mut self, fact: impl Into<String>, spec: impl fmt::Debug, store: impl fmt::Debug) {
        let (spec, store) = (format!("{spec:?}"), format!("{store:?}"));
        if spec != store {
            self.0.push(Difference {
                fact: fact.into(),
                spec,
                store,
            });
        }
    }
}

/// Compares every per-message fact of the traceability table for message `x`,
/// accepted by `store`, with `spec` (which must know `x`'s history):
/// WellFormed, Sig, Get1a, b, V (hash and bytes), Caught, 1b-ness, 2a learners,
/// kind, and for every learner `a`: `Con_a`, `fresh_a`, `Sig(q_a)` and the
/// values of `Con2as_a` (the store keeps only those). Empty when they agree.
pub fn compare_facts(spec: &Spec<'_>, store: &MessageStore, x: MessageId) -> Vec<Difference> {
    let mut d = Differences::default();
    let Some(f) = store.facts(&x) else {
        d.check("accepted", true, false);
        return d.0;
    };
    if let Err(e) = spec.well_formed(x) {
        d.check("WellFormed", e.to_string(), "accepted");
    }
    d.check("Sig", spec.sig(x), f.signer());
    d.check("Get1a", spec.get1a(x), Some(f.get1a()));
    d.check("b", spec.ballot(x), Some(f.ballot()));
    d.check("V", spec.value(x), Some(f.value_hash()));
    d.check("V (bytes)", spec.value(x), Some(ValueHash::of(f.value())));
    d.check("Caught", spec.caught(x), Some(f.caught()));
    d.check("is_1b", spec.is_1b(x), Some(f.is_1b()));
    d.check(
        "2a learners",
        spec.two_a_learners(x),
        Some(f.two_a_learners()),
    );
    let spec_kind = match (spec.is_1a(x), spec.is_1b(x), spec.two_a_learners(x)) {
        (Some(true), _, _) => Some(Kind::OneA),
        (_, Some(true), _) => Some(Kind::OneB),
        (_, _, Some(ls)) => Some(Kind::TwoA(ls)),
        _ => None,
    };
    d.check("kind", spec_kind, Some(f.kind()));
    let graph = spec.graph();
    for a in graph.learner_ids() {
        let an = graph.learner_name(a);
        d.check(format!("Con_{an}"), spec.con(a, x), Some(f.connected(a)));
        d.check(
            format!("fresh_{an}"),
            spec.fresh(a, x),
            Some(f.fresh().contains(a)),
        );
        d.check(
            format!("Sig(q_{an})"),
            spec.q(a, x).map(|q| spec.sig_set(&q)),
            Some(f.q_signers(a)),
        );
        let values: Option<BTreeSet<ValueHash>> = spec
            .con2as(a, x)
            .map(|s| s.iter().filter_map(|&m| spec.value(m)).collect());
        d.check(format!("V(Con2as_{an})"), values, Some(f.con2as_values(a)));
    }
    d.0
}

/// Compares the pair facts of `(m, x)`, both accepted by `store`: whether
/// `m ∈ Tran(x)`, and `Buried(m, x)` for every learner. Empty when they agree.
pub fn compare_pair(
    spec: &Spec<'_>,
    store: &MessageStore,
    m: MessageId,
    x: MessageId,
) -> Vec<Difference> {
    let mut d = Differences::default();
    let Some(f) = store.facts(&x) else {
        d.check("accepted", true, false);
        return d.0;
    };
    d.check(
        format!("{m} ∈ Tran"),
        spec.in_tran(m, x),
        Some(f.has_in_history(m)),
    );
    let graph = spec.graph();
    for l in graph.learner_ids() {
        let ln = graph.learner_name(l);
        d.check(
            format!("Buried({m}, {ln})"),
            spec.buried(m, l, x),
            Some(f.buries(m, l)),
        );
    }
    d.0
}
