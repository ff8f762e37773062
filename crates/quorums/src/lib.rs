//! Learner graphs of [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253)
//! (Sheff, Wang, van Renesse, Myers; technical report arXiv 2011.08253).
//!
//! Every learner names its own quorums of acceptors, and every pair of learners
//! (a learner with itself included) names the safe sets under which the two must
//! agree. This crate holds that graph with dense ids and bitsets (up to 1,024
//! acceptors and 128 learners), writes each family of acceptor sets as a
//! monotone expression ([`Expr`]: listed sets, thresholds, stake weights,
//! nesting) that is never enumerated unless asked, evaluates the condensed
//! learner graph (CLG) without building it, decides validity exactly within a
//! work budget, and answers the questions the protocol asks of it:
//! [`LearnerGraph::is_quorum`], `Con_a` ([`LearnerGraph::connected`]) and
//! [`LearnerGraph::entangled`].
//!
//! Definitions follow the project's protocol digest (§2); see the traceability
//! table in `spec/README.md`.
#![forbid(unsafe_code)]

mod bitset;
mod enumerate;
mod error;
pub mod examples;
mod expr;
mod graph;
mod ids;
mod packing;
mod search;
mod symmetry;
mod trust;
mod validity;

pub use bitset::{ACCEPTOR_WORDS, AcceptorSet, LearnerSet};
pub use enumerate::minimize;
pub use error::{StructureError, Violation};
pub use expr::{Expr, FamilyDesc, LONG_LIST, Member, MemberDesc, listing};
pub use graph::{
    Edge, EdgeMatrix, Enumerated, GraphDescription, LearnerGraph, MAX_SAFE_SETS_PER_EDGE, condense,
};
pub use ids::{AcceptorId, LearnerId, MAX_ACCEPTORS, MAX_LEARNERS};
pub use search::{Search, Split};
pub use trust::Components;
pub use validity::DEFAULT_VALIDITY_BUDGET;
