//! The learner graph: each learner's quorums and each learner pair's safe sets
//! as monotone expressions (digest §2). The condensed learner graph (CLG) is
//! not materialised: [`LearnerGraph::condensed_holds`] evaluates it on demand
//! (see `trust.rs`), and small graphs can still be enumerated
//! ([`LearnerGraph::enumerated`]).

use crate::bitset::AcceptorSet;
use crate::error::StructureError;
use crate::expr::{Expr, FamilyDesc};
use crate::ids::{AcceptorId, LearnerId, MAX_ACCEPTORS, MAX_LEARNERS};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Upper bound on the minimal sets of one family when a graph is enumerated
/// ([`LearnerGraph::enumerated`]): beyond it the graph is only evaluated.
pub const MAX_SAFE_SETS_PER_EDGE: usize = 4096;

/// A learner-graph description by names, as written by hand (and in the JSON
/// graph files and cluster configs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphDescription {
    /// Acceptor names, in dense-index order.
    pub acceptors: Vec<String>,
    /// Learners in dense-index order: name and quorums.
    pub learners: Vec<(String, FamilyDesc)>,
    /// Safe sets per unordered learner pair (self-pairs allowed).
    pub safe_sets: Vec<((String, String), FamilyDesc)>,
}

/// Minimal sets per ordered learner pair: `edges[a][b]` is the edge `a–b`.
pub type EdgeMatrix = Vec<Vec<Vec<AcceptorSet>>>;

/// A given edge of the learner graph: learners `a ≤ b` and its safe sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// One end (the smaller index).
    pub a: LearnerId,
    /// The other end (`a` itself for a self-edge).
    pub b: LearnerId,
    /// The safe sets.
    pub safe: Expr,
}

/// A small graph's families as minimal sets: quorums, the edges as given and
/// the CLG (by the closure of digest §2.3, computed by [`condense`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enumerated {
    /// Minimal quorums per learner.
    pub quorums: Vec<Vec<AcceptorSet>>,
    /// Minimal safe sets per ordered pair, as given.
    pub given: EdgeMatrix,
    /// Minimal safe sets per ordered pair of the CLG.
    pub condensed: EdgeMatrix,
}

/// A learner graph. Structure is checked at construction; the validity
/// conditions LG-1..LG-4 and decision D5 by
/// [`LearnerGraph::validity`](crate::LearnerGraph::validity).
#[derive(Debug, Clone)]
pub struct LearnerGraph {
    pub(crate) acceptor_names: Vec<String>,
    pub(crate) learner_names: Vec<String>,
    /// Quorums per learner (`Q_a`).
    pub(crate) quorums: Vec<Expr>,
    /// The given edges, each unordered pair at most once.
    pub(crate) edges: Vec<Edge>,
    /// Edge indices per learner (a self-edge listed once).
    pub(crate) incident: Vec<Vec<usize>>,
    enumerated: OnceLock<Option<Enumerated>>,
}

impl PartialEq for LearnerGraph {
    fn eq(&self, other: &Self) -> bool {
        self.acceptor_names == other.acceptor_names
            && self.learner_names == other.learner_names
            && self.quorums == other.quorums
            && self.edges == other.edges
    }
}

impl Eq for LearnerGraph {}

impl LearnerGraph {
    /// Builds a graph from names, checking names, sizes and expressions.
    /// Validity is checked separately by
    /// [`LearnerGraph::validity`](crate::LearnerGraph::validity).
    pub fn from_description(desc: &GraphDescription) -> Result<Self, StructureError> {
        check_names("acceptor", &desc.acceptors, MAX_ACCEPTORS)?;
        let learner_names: Vec<String> = desc.learners.iter().map(|(n, _)| n.clone()).collect();
        check_names("learner", &learner_names, MAX_LEARNERS)?;
        let acceptor_index: BTreeMap<&str, usize> = desc
            .acceptors
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let learner_index: BTreeMap<&str, usize> = learner_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let lookup = |n: &str| acceptor_index.get(n).and_then(|&i| AcceptorId::new(i));
        let mut quorums = Vec::with_capacity(desc.learners.len());
        for (name, family) in &desc.learners {
            let context = format!("quorums of learner {name:?}");
            // An empty list compiles to a family nothing meets: `from_exprs`
            // refuses it as no quorums.
            quorums.push(Expr::compile(family, &lookup, &context)?);
        }
        let learner = |name: &str, context: &str| -> Result<LearnerId, StructureError> {
            learner_index
                .get(name)
                .and_then(|&i| LearnerId::new(i))
                .ok_or_else(|| StructureError::UnknownName {
                    what: "learner",
                    name: name.to_string(),
                    context: context.to_string(),
                })
        };
        let mut edges = Vec::with_capacity(desc.safe_sets.len());
        for ((a, b), family) in &desc.safe_sets {
            let context = format!("safe sets between {a:?} and {b:?}");
            let la = learner(a, &context)?;
            let lb = learner(b, &context)?;
            // An empty list compiles to an edge with no safe sets at all.
            edges.push((la, lb, Expr::compile(family, &lookup, &context)?));
        }
        Self::from_exprs(desc.acceptors.clone(), learner_names, quorums, edges)
    }

    /// Builds a graph from dense indices and enumerated families: each
    /// learner's quorums and the safe sets per unordered learner pair (each
    /// pair at most once; `(a, a)` allowed). Sets need not be minimal.
    pub fn new(
        acceptor_names: Vec<String>,
        learner_names: Vec<String>,
        quorums: Vec<Vec<AcceptorSet>>,
        edges: Vec<(LearnerId, LearnerId, Vec<AcceptorSet>)>,
    ) -> Result<Self, StructureError> {
        for (name, qs) in learner_names.iter().zip(&quorums) {
            if qs.is_empty() {
                return Err(StructureError::NoQuorums {
                    learner: name.clone(),
                });
            }
            check_sets(qs, &format!("quorums of learner {name:?}"))?;
        }
        for (a, b, sets) in &edges {
            let name = |l: &LearnerId| {
                learner_names
                    .get(l.index())
                    .map_or_else(|| l.to_string(), |n| format!("{n:?}"))
            };
            check_sets(
                sets,
                &format!("safe sets between {} and {}", name(a), name(b)),
            )?;
        }
        let quorums = quorums
            .into_iter()
            .map(|qs| Expr::Sets(crate::enumerate::minimize(qs)))
            .collect();
        let edges = edges
            .into_iter()
            .map(|(a, b, sets)| (a, b, Expr::Sets(crate::enumerate::minimize(sets))))
            .collect();
        Self::from_exprs(acceptor_names, learner_names, quorums, edges)
    }

    /// Builds a graph from compiled expressions: each learner's quorums and
    /// the safe sets per unordered learner pair (each pair at most once).
    pub fn from_exprs(
        acceptor_names: Vec<String>,
        learner_names: Vec<String>,
        quorums: Vec<Expr>,
        given: Vec<(LearnerId, LearnerId, Expr)>,
    ) -> Result<Self, StructureError> {
        check_names("acceptor", &acceptor_names, MAX_ACCEPTORS)?;
        check_names("learner", &learner_names, MAX_LEARNERS)?;
        let all = AcceptorSet::first(acceptor_names.len());
        let n_learners = learner_names.len();
        if quorums.len() != n_learners {
            return Err(StructureError::QuorumListCount {
                learners: n_learners,
                lists: quorums.len(),
            });
        }
        for (name, q) in learner_names.iter().zip(&quorums) {
            let context = format!("quorums of learner {name:?}");
            check_expr(q, all, &context)?;
            if !q.holds(all) {
                return Err(StructureError::NoQuorums {
                    learner: name.clone(),
                });
            }
        }
        let mut seen = vec![vec![false; n_learners]; n_learners];
        let mut edges = Vec::with_capacity(given.len());
        let mut incident = vec![Vec::new(); n_learners];
        for (a, b, safe) in given {
            let (a, b) = (a.min(b), a.max(b));
            let (ai, bi) = (a.index(), b.index());
            if bi >= n_learners {
                return Err(StructureError::UnknownName {
                    what: "learner",
                    name: format!("{b}"),
                    context: "safe sets".to_string(),
                });
            }
            if seen[ai][bi] {
                return Err(StructureError::DuplicateEdge {
                    a: learner_names[ai].clone(),
                    b: learner_names[bi].clone(),
                });
            }
            seen[ai][bi] = true;
            let context = format!(
                "safe sets between {:?} and {:?}",
                learner_names[ai], learner_names[bi]
            );
            check_expr(&safe, all, &context)?;
            let index = edges.len();
            incident[ai].push(index);
            if ai != bi {
                incident[bi].push(index);
            }
            edges.push(Edge { a, b, safe });
        }
        Ok(Self {
            acceptor_names,
            learner_names,
            quorums,
            edges,
            incident,
            enumerated: OnceLock::new(),
        })
    }

    /// Number of acceptors.
    pub fn num_acceptors(&self) -> usize {
        self.acceptor_names.len()
    }

    /// Number of learners.
    pub fn num_learners(&self) -> usize {
        self.learner_names.len()
    }

    /// All acceptors.
    pub fn acceptors(&self) -> AcceptorSet {
        AcceptorSet::first(self.num_acceptors())
    }

    /// All learners.
    pub fn learners(&self) -> crate::LearnerSet {
        crate::LearnerSet::first(self.num_learners())
    }

    /// Acceptor ids in index order.
    pub fn acceptor_ids(&self) -> impl Iterator<Item = AcceptorId> + '_ {
        self.acceptors().iter()
    }

    /// Learner ids in index order.
    pub fn learner_ids(&self) -> impl Iterator<Item = LearnerId> + '_ {
        self.learners().iter()
    }

    /// The name of acceptor `id` (`"?"` if out of range).
    pub fn acceptor_name(&self, id: AcceptorId) -> &str {
        self.acceptor_names
            .get(id.index())
            .map_or("?", |s| s.as_str())
    }

    /// The name of learner `id` (`"?"` if out of range).
    pub fn learner_name(&self, id: LearnerId) -> &str {
        self.learner_names
            .get(id.index())
            .map_or("?", |s| s.as_str())
    }

    /// The acceptor called `name`.
    pub fn acceptor_by_name(&self, name: &str) -> Option<AcceptorId> {
        let i = self.acceptor_names.iter().position(|n| n == name)?;
        AcceptorId::new(i)
    }

    /// The learner called `name`.
    pub fn learner_by_name(&self, name: &str) -> Option<LearnerId> {
        let i = self.learner_names.iter().position(|n| n == name)?;
        LearnerId::new(i)
    }

    /// Whether `id` is an acceptor of this graph.
    pub fn has_acceptor(&self, id: AcceptorId) -> bool {
        id.index() < self.num_acceptors()
    }

    /// Whether `id` is a learner of this graph.
    pub fn has_learner(&self, id: LearnerId) -> bool {
        id.index() < self.num_learners()
    }

    /// The quorum expression `Q_a` of learner `a`.
    pub fn quorum_expr(&self, a: LearnerId) -> Option<&Expr> {
        self.quorums.get(a.index())
    }

    /// The given edges (each unordered pair once).
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The safe-set expression of the given edge `a–b`, if there is one.
    pub fn given_edge(&self, a: LearnerId, b: LearnerId) -> Option<&Expr> {
        let (a, b) = (a.min(b), a.max(b));
        let list = self.incident.get(a.index())?;
        list.iter()
            .map(|&i| &self.edges[i])
            .find(|e| e.a == a && e.b == b)
            .map(|e| &e.safe)
    }

    /// The graph's families as minimal sets, if every family (and every CLG
    /// edge) has at most [`MAX_SAFE_SETS_PER_EDGE`] minimal sets. Computed
    /// once, on first use; large graphs answer `None` without enumerating far.
    pub fn enumerated(&self) -> Option<&Enumerated> {
        self.enumerated
            .get_or_init(|| self.enumerate(MAX_SAFE_SETS_PER_EDGE))
            .as_ref()
    }

    fn enumerate(&self, cap: usize) -> Option<Enumerated> {
        let n = self.num_learners();
        let quorums = self
            .quorums
            .iter()
            .map(|q| q.minimal_sets(cap))
            .collect::<Option<Vec<_>>>()?;
        let mut given: EdgeMatrix = vec![vec![Vec::new(); n]; n];
        for e in &self.edges {
            let sets = e.safe.minimal_sets(cap)?;
            given[e.a.index()][e.b.index()] = sets.clone();
            given[e.b.index()][e.a.index()] = sets;
        }
        let condensed = condense_within(&given, cap, ENUMERATION_WORK).ok()?;
        Some(Enumerated {
            quorums,
            given,
            condensed,
        })
    }

    /// The minimal quorums of `a`, when the graph is small enough to
    /// enumerate ([`LearnerGraph::enumerated`]).
    pub fn minimal_quorums(&self, a: LearnerId) -> Option<&[AcceptorSet]> {
        self.enumerated()?.quorums.get(a.index()).map(Vec::as_slice)
    }

    /// The minimal safe sets of the CLG edge `a–b`, when enumerable.
    pub fn minimal_safe_sets(&self, a: LearnerId, b: LearnerId) -> Option<&[AcceptorSet]> {
        Some(edge(&self.enumerated()?.condensed, a, b))
    }

    /// The minimal safe sets of `a–b` as given, when enumerable.
    pub fn minimal_given_safe_sets(&self, a: LearnerId, b: LearnerId) -> Option<&[AcceptorSet]> {
        Some(edge(&self.enumerated()?.given, a, b))
    }

    /// Formats a set of acceptors with names, e.g. `{A, B, C}`.
    pub fn format_set(&self, set: AcceptorSet) -> String {
        let names: Vec<&str> = set.iter().map(|a| self.acceptor_name(a)).collect();
        format!("{{{}}}", names.join(", "))
    }

    /// Formats a set of learners with names.
    pub fn format_learners(&self, set: crate::LearnerSet) -> String {
        let names: Vec<&str> = set.iter().map(|l| self.learner_name(l)).collect();
        format!("{{{}}}", names.join(", "))
    }

    /// An expression in words with this graph's acceptor names.
    pub fn describe(&self, e: &Expr) -> String {
        e.describe(&|a| self.acceptor_name(a).to_string())
    }
}

pub(crate) fn edge(m: &EdgeMatrix, a: LearnerId, b: LearnerId) -> &[AcceptorSet] {
    m.get(a.index())
        .and_then(|row| row.get(b.index()))
        .map_or(&[], Vec::as_slice)
}

fn check_names(what: &'static str, names: &[String], max: usize) -> Result<(), StructureError> {
    if names.is_empty() {
        return Err(if what == "acceptor" {
            StructureError::NoAcceptors
        } else {
            StructureError::NoLearners
        });
    }
    if names.len() > max {
        return Err(StructureError::TooMany {
            what: if what == "acceptor" {
                "acceptors"
            } else {
                "learners"
            },
            count: names.len(),
            max,
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if n.trim().is_empty() {
            return Err(StructureError::EmptyName { what });
        }
        if !seen.insert(n.as_str()) {
            return Err(StructureError::DuplicateName {
                what,
                name: n.clone(),
            });
        }
    }
    Ok(())
}

fn check_sets(sets: &[AcceptorSet], context: &str) -> Result<(), StructureError> {
    if sets.iter().any(|s| s.is_empty()) {
        return Err(StructureError::EmptySet {
            context: context.to_string(),
        });
    }
    Ok(())
}

/// An expression may only mention the graph's acceptors and must not hold on
/// the empty set (then every set would be a quorum, or a safe set).
fn check_expr(e: &Expr, all: AcceptorSet, context: &str) -> Result<(), StructureError> {
    e.check().map_err(|reason| StructureError::BadExpression {
        context: context.to_string(),
        reason,
    })?;
    let support = e.support();
    if let Some(unknown) = support.difference(all).iter().next() {
        return Err(StructureError::UnknownName {
            what: "acceptor",
            name: unknown.to_string(),
            context: context.to_string(),
        });
    }
    if e.holds(AcceptorSet::EMPTY) {
        return Err(StructureError::EmptySet {
            context: context.to_string(),
        });
    }
    Ok(())
}

/// Computes the condensed learner graph of enumerated edges: the closure under
/// "`s ∈ a–k` and `s' ∈ k–b` imply `s ∪ s' ∈ a–b`" (digest §2.3, LG-2 with
/// LG-3), by a Floyd–Warshall pass over intermediate learners, keeping minimal
/// sets. This is the definition by enumeration; the graph itself evaluates
/// the CLG without enumerating ([`LearnerGraph::condensed_holds`]).
///
/// One pass suffices: composing with `∪` only grows sets, so paths that repeat a
/// learner yield supersets of what the simple path gives, which minimization
/// drops. Cost O(L³ · S²) for `S` minimal sets per edge; bounded by `cap` sets
/// per edge. On overflow returns the offending pair.
pub fn condense(given: &EdgeMatrix, cap: usize) -> Result<EdgeMatrix, (usize, usize)> {
    condense_within(given, cap, u64::MAX)
}

/// Set unions [`LearnerGraph::enumerated`] may spend condensing: beyond it
/// the graph is evaluated only, never enumerated.
const ENUMERATION_WORK: u64 = 1 << 32;

/// [`condense`] that also gives up (with the pair at hand) after about
/// `work` set operations.
fn condense_within(
    given: &EdgeMatrix,
    cap: usize,
    work: u64,
) -> Result<EdgeMatrix, (usize, usize)> {
    let mut spent: u64 = 0;
    let n = given.len();
    let mut m = given.clone();
    for k in 0..n {
        for a in 0..n {
            if m[a][k].is_empty() {
                continue;
            }
            for b in 0..n {
                if m[k][b].is_empty() {
                    continue;
                }
                let products = (m[a][k].len() * m[k][b].len() + m[a][b].len()) as u64;
                // Unions, then minimizing them (quadratic in their number).
                spent = spent.saturating_add(products.saturating_mul(products.min(cap as u64)));
                if spent > work {
                    return Err((a, b));
                }
                let mut sets = m[a][b].clone();
                for &s in &m[a][k] {
                    for &t in &m[k][b] {
                        sets.push(s.union(t));
                    }
                }
                let sets = crate::enumerate::minimize(sets);
                if sets.len() > cap {
                    return Err((a, b));
                }
                m[a][b] = sets;
            }
        }
    }
    Ok(m)
}
