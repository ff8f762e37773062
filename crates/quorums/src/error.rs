//! Errors: structural problems in a graph description, and violations of the
//! learner-graph validity conditions (digest §2.3, LG-1..LG-4).

use thiserror::Error;

/// A learner-graph description that cannot even be built (names, sizes).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StructureError {
    /// No acceptors.
    #[error("the graph has no acceptors")]
    NoAcceptors,
    /// No learners.
    #[error("the graph has no learners")]
    NoLearners,
    /// More members than the bitsets hold.
    #[error("too many {what}: {count} (at most {max})")]
    TooMany {
        /// "acceptors" or "learners".
        what: &'static str,
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A name used twice.
    #[error("{what} name {name:?} is listed twice")]
    DuplicateName {
        /// "acceptor" or "learner".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// An empty or blank name.
    #[error("an {what} has an empty name")]
    EmptyName {
        /// "acceptor" or "learner".
        what: &'static str,
    },
    /// A name that is not declared.
    #[error("unknown {what} {name:?} (in {context})")]
    UnknownName {
        /// "acceptor" or "learner".
        what: &'static str,
        /// The name.
        name: String,
        /// Where it was used.
        context: String,
    },
    /// A learner without quorums.
    #[error("learner {learner:?} has no quorums")]
    NoQuorums {
        /// The learner.
        learner: String,
    },
    /// Not exactly one list of quorums per learner.
    #[error("{lists} quorum lists given for {learners} learners")]
    QuorumListCount {
        /// Number of learners.
        learners: usize,
        /// Number of quorum lists.
        lists: usize,
    },
    /// An empty quorum or safe set.
    #[error("{context} contains an empty set of acceptors")]
    EmptySet {
        /// Where.
        context: String,
    },
    /// The same learner pair given twice.
    #[error("safe sets between {a:?} and {b:?} are listed twice")]
    DuplicateEdge {
        /// One learner.
        a: String,
        /// The other.
        b: String,
    },
    /// An expression that cannot denote a family of acceptor sets (a zero
    /// threshold, one above its members or total weight, no members, an
    /// acceptor weighted twice).
    #[error("{context}: {reason}")]
    BadExpression {
        /// Where.
        context: String,
        /// What is wrong.
        reason: String,
    },
    /// Condensation produced more minimal safe sets than the bound.
    #[error(
        "condensing the learner graph gives more than {max} minimal safe sets between {a:?} and {b:?}"
    )]
    CondensationTooLarge {
        /// One learner.
        a: String,
        /// The other.
        b: String,
        /// The bound.
        max: usize,
    },
}

impl Violation {
    /// Whether this is [`Violation::Undecided`] (no violation was found, but
    /// the search did not finish).
    pub fn is_undecided(&self) -> bool {
        matches!(self, Violation::Undecided { .. })
    }
}

/// A violated learner-graph validity condition, naming the learners, quorums and
/// safe set involved (digest §2.3). Sets are written with acceptor names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Violation {
    /// LG-1 Symmetry: `s ∈ a–b` but not `s ∈ b–a`.
    #[error("LG-1 symmetry: safe set {set} is in {a}–{b} but not in {b}–{a}")]
    Asymmetric {
        /// First learner.
        a: String,
        /// Second learner.
        b: String,
        /// The safe set.
        set: String,
    },
    /// LG-2 Transitivity (condensation): `s ∈ a–b`, `s' ∈ b–c` but `s ∪ s' ∉ a–c`.
    #[error("LG-2 condensation: {s1} ∈ {a}–{b} and {s2} ∈ {b}–{c}, but {union} ∉ {a}–{c}")]
    NotCondensed {
        /// First learner.
        a: String,
        /// Middle learner.
        b: String,
        /// Last learner.
        c: String,
        /// Safe set of a–b.
        s1: String,
        /// Safe set of b–c.
        s2: String,
        /// Their union.
        union: String,
    },
    /// LG-3 upward closure, as represented by minimal sets: a listed family is
    /// not an antichain (one listed set contains another), so the listing is
    /// not the minimal representation of an upward-closed family.
    #[error("LG-3 closure: in {context}, {bigger} contains {smaller}; list minimal sets only")]
    NotMinimal {
        /// The family.
        context: String,
        /// The listed superset.
        bigger: String,
        /// The listed subset.
        smaller: String,
    },
    /// LG-4 Validity: quorums of `a` and `b` do not meet inside a safe set of `a–b`.
    #[error(
        "LG-4 quorum intersection: quorum {qa} of {a} and quorum {qb} of {b} do not intersect inside safe set {safe_set} of {a}–{b}"
    )]
    QuorumsMissSafeSet {
        /// First learner.
        a: String,
        /// Second learner.
        b: String,
        /// The quorum of `a`.
        qa: String,
        /// The quorum of `b`.
        qb: String,
        /// The safe set of `a–b`.
        safe_set: String,
    },
    /// LG-4 could not be decided for `a`, `b` within the work budget: the
    /// graph may be valid or not.
    #[error(
        "LG-4 quorum intersection for {a}–{b} is undecided within the work budget (the graph may or may not be valid)"
    )]
    Undecided {
        /// First learner.
        a: String,
        /// Second learner.
        b: String,
    },
    /// Decision D5: a learner with no safe set with itself, even after
    /// condensation, has no safety guarantee at all.
    #[error(
        "learner {learner} has no safe set with itself ({learner}–{learner}), even after condensation: it could never be accurate"
    )]
    NoSelfEdge {
        /// The learner.
        learner: String,
    },
}
