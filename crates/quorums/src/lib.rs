//! Learner graphs of [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253)
//! (Sheff, Wang, van Renesse, Myers; technical report arXiv 2011.08253).
//!
//! Every learner names its own quorums of acceptors, and every pair of learners
//! (a learner with itself included) names the safe sets under which the two must
//! agree. This crate holds that graph with dense ids and bitsets, computes the
//! condensed learner graph (CLG), checks its validity, and answers the questions
//! the protocol asks of it: [`LearnerGraph::is_quorum`], `Con_a`
//! ([`LearnerGraph::connected`]) and [`LearnerGraph::entangled`].
//!
//! Definitions follow the project's protocol digest (§2); see the traceability
//! table in `spec/README.md`.
#![forbid(unsafe_code)]

mod bitset;
mod error;
pub mod examples;
mod graph;
mod ids;
mod trust;
mod validity;

pub use bitset::{AcceptorSet, LearnerSet, minimize};
pub use error::{StructureError, Violation};
pub use graph::{EdgeMatrix, GraphDescription, LearnerGraph, MAX_SAFE_SETS_PER_EDGE, condense};
pub use ids::{AcceptorId, LearnerId, MAX_MEMBERS};
