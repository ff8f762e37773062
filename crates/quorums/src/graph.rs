//! The learner graph: each learner's quorums and each learner pair's safe sets,
//! condensed (the CLG) at construction. Digest §2.

use crate::bitset::{AcceptorSet, LearnerSet, minimize};
use crate::error::StructureError;
use crate::ids::{AcceptorId, LearnerId, MAX_MEMBERS};
use std::collections::BTreeMap;

/// Upper bound on the minimal safe sets of one learner pair after condensation.
pub const MAX_SAFE_SETS_PER_EDGE: usize = 4096;

/// A learner-graph description by names, as written by hand (and in the JSON
/// graph files of the node crate). Quorums and safe sets are minimal sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphDescription {
    /// Acceptor names, in dense-index order.
    pub acceptors: Vec<String>,
    /// Learners in dense-index order: name and minimal quorums.
    pub learners: Vec<(String, Vec<Vec<String>>)>,
    /// Minimal safe sets per unordered learner pair (self-pairs allowed).
    #[allow(clippy::type_complexity)] // plain data mirroring the JSON shape
    pub safe_sets: Vec<((String, String), Vec<Vec<String>>)>,
}

/// Minimal sets per ordered learner pair: `edges[a][b]` is the edge `a–b`.
pub type EdgeMatrix = Vec<Vec<Vec<AcceptorSet>>>;

/// A learner graph with its condensed learner graph (CLG) computed.
///
/// Structure is checked at construction; the validity conditions LG-1..LG-4 and
/// decision D5 by [`LearnerGraph::validate`](crate::LearnerGraph::validate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerGraph {
    pub(crate) acceptor_names: Vec<String>,
    pub(crate) learner_names: Vec<String>,
    /// Minimal quorums per learner (`Q_a`).
    pub(crate) quorums: Vec<Vec<AcceptorSet>>,
    /// The edges as given (symmetric), minimal sets.
    pub(crate) given: EdgeMatrix,
    /// The condensed edges (CLG), minimal sets.
    pub(crate) condensed: EdgeMatrix,
}

impl LearnerGraph {
    /// Builds a graph from names, checking names and sizes and computing the CLG.
    /// Validity is checked separately by [`LearnerGraph::validate`](crate::LearnerGraph::validate).
    pub fn from_description(desc: &GraphDescription) -> Result<Self, StructureError> {
        check_names("acceptor", &desc.acceptors)?;
        let learner_names: Vec<String> = desc.learners.iter().map(|(n, _)| n.clone()).collect();
        check_names("learner", &learner_names)?;
        if desc.acceptors.is_empty() {
            return Err(StructureError::NoAcceptors);
        }
        if learner_names.is_empty() {
            return Err(StructureError::NoLearners);
        }
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
        let to_set = |names: &[String], context: &str| -> Result<AcceptorSet, StructureError> {
            if names.is_empty() {
                return Err(StructureError::EmptySet {
                    context: context.to_string(),
                });
            }
            names
                .iter()
                .map(|n| {
                    acceptor_index
                        .get(n.as_str())
                        .and_then(|&i| AcceptorId::new(i))
                        .ok_or_else(|| StructureError::UnknownName {
                            what: "acceptor",
                            name: n.clone(),
                            context: context.to_string(),
                        })
                })
                .collect()
        };
        let mut quorums = Vec::with_capacity(desc.learners.len());
        for (name, qs) in &desc.learners {
            let context = format!("quorums of learner {name:?}");
            let sets = qs
                .iter()
                .map(|q| to_set(q, &context))
                .collect::<Result<Vec<_>, _>>()?;
            quorums.push(sets);
        }
        let lookup = |name: &str, context: &str| -> Result<LearnerId, StructureError> {
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
        for ((a, b), sets) in &desc.safe_sets {
            let context = format!("safe sets between {a:?} and {b:?}");
            let la = lookup(a, &context)?;
            let lb = lookup(b, &context)?;
            let sets = sets
                .iter()
                .map(|s| to_set(s, &context))
                .collect::<Result<Vec<_>, _>>()?;
            edges.push((la, lb, sets));
        }
        Self::new(desc.acceptors.clone(), learner_names, quorums, edges)
    }

    /// Builds a graph from dense indices: acceptor names, learner names, each
    /// learner's quorums, and safe sets per unordered learner pair (each pair at
    /// most once; `(a, a)` allowed). Sets need not be minimal; they are minimized.
    pub fn new(
        acceptor_names: Vec<String>,
        learner_names: Vec<String>,
        quorums: Vec<Vec<AcceptorSet>>,
        edges: Vec<(LearnerId, LearnerId, Vec<AcceptorSet>)>,
    ) -> Result<Self, StructureError> {
        check_names("acceptor", &acceptor_names)?;
        check_names("learner", &learner_names)?;
        if acceptor_names.is_empty() {
            return Err(StructureError::NoAcceptors);
        }
        if learner_names.is_empty() {
            return Err(StructureError::NoLearners);
        }
        let all = AcceptorSet::first(acceptor_names.len());
        let n_learners = learner_names.len();
        if quorums.len() != n_learners {
            return Err(StructureError::QuorumListCount {
                learners: n_learners,
                lists: quorums.len(),
            });
        }
        let mut minimal_quorums = Vec::with_capacity(n_learners);
        for (name, qs) in learner_names.iter().zip(quorums) {
            if qs.is_empty() {
                return Err(StructureError::NoQuorums {
                    learner: name.clone(),
                });
            }
            check_sets(&qs, all, &format!("quorums of learner {name:?}"))?;
            minimal_quorums.push(minimize(qs));
        }
        let mut given: EdgeMatrix = vec![vec![Vec::new(); n_learners]; n_learners];
        let mut seen = vec![vec![false; n_learners]; n_learners];
        for (a, b, sets) in edges {
            let (ai, bi) = (a.index(), b.index());
            if ai >= n_learners || bi >= n_learners {
                return Err(StructureError::UnknownName {
                    what: "learner",
                    name: format!("{}", a.max(b)),
                    context: "safe sets".to_string(),
                });
            }
            let context = format!(
                "safe sets between {:?} and {:?}",
                learner_names[ai], learner_names[bi]
            );
            if seen[ai][bi] {
                return Err(StructureError::DuplicateEdge {
                    a: learner_names[ai].clone(),
                    b: learner_names[bi].clone(),
                });
            }
            check_sets(&sets, all, &context)?;
            seen[ai][bi] = true;
            seen[bi][ai] = true;
            let sets = minimize(sets);
            given[ai][bi] = sets.clone();
            given[bi][ai] = sets;
        }
        let condensed =
            condense(&given).map_err(|(a, b)| StructureError::CondensationTooLarge {
                a: learner_names[a].clone(),
                b: learner_names[b].clone(),
                max: MAX_SAFE_SETS_PER_EDGE,
            })?;
        Ok(Self {
            acceptor_names,
            learner_names,
            quorums: minimal_quorums,
            given,
            condensed,
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
    pub fn learners(&self) -> LearnerSet {
        LearnerSet::first(self.num_learners())
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

    /// The minimal quorums `Q_a` of learner `a` (empty for an unknown learner).
    pub fn quorums(&self, a: LearnerId) -> &[AcceptorSet] {
        self.quorums.get(a.index()).map_or(&[], Vec::as_slice)
    }

    /// The minimal safe sets of the edge `a–b` of the **condensed** learner graph.
    pub fn safe_sets(&self, a: LearnerId, b: LearnerId) -> &[AcceptorSet] {
        edge(&self.condensed, a, b)
    }

    /// The minimal safe sets of `a–b` as given, before condensation.
    pub fn given_safe_sets(&self, a: LearnerId, b: LearnerId) -> &[AcceptorSet] {
        edge(&self.given, a, b)
    }

    /// Whether the graph as given was already condensed (the CLG added nothing).
    pub fn given_is_condensed(&self) -> bool {
        self.given == self.condensed
    }

    /// Formats a set of acceptors with names, e.g. `{A, B, C}`.
    pub fn format_set(&self, set: AcceptorSet) -> String {
        let names: Vec<&str> = set.iter().map(|a| self.acceptor_name(a)).collect();
        format!("{{{}}}", names.join(", "))
    }

    /// Formats a set of learners with names.
    pub fn format_learners(&self, set: LearnerSet) -> String {
        let names: Vec<&str> = set.iter().map(|l| self.learner_name(l)).collect();
        format!("{{{}}}", names.join(", "))
    }
}

fn edge(m: &EdgeMatrix, a: LearnerId, b: LearnerId) -> &[AcceptorSet] {
    m.get(a.index())
        .and_then(|row| row.get(b.index()))
        .map_or(&[], Vec::as_slice)
}

fn check_names(what: &'static str, names: &[String]) -> Result<(), StructureError> {
    if names.len() > MAX_MEMBERS {
        return Err(StructureError::TooMany {
            what: if what == "acceptor" {
                "acceptors"
            } else {
                "learners"
            },
            count: names.len(),
            max: MAX_MEMBERS,
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

fn check_sets(sets: &[AcceptorSet], all: AcceptorSet, context: &str) -> Result<(), StructureError> {
    for s in sets {
        if s.is_empty() {
            return Err(StructureError::EmptySet {
                context: context.to_string(),
            });
        }
        if !s.is_subset(all) {
            return Err(StructureError::UnknownName {
                what: "acceptor",
                name: format!("{:?}", s.difference(all)),
                context: context.to_string(),
            });
        }
    }
    Ok(())
}

/// Computes the condensed learner graph: the closure of the edges under
/// "`s ∈ a–k` and `s' ∈ k–b` imply `s ∪ s' ∈ a–b`" (digest §2.3, LG-2 with LG-3),
/// by a Floyd–Warshall pass over intermediate learners, keeping minimal sets.
///
/// One pass suffices: composing with `∪` only grows sets, so paths that repeat a
/// learner yield supersets of what the simple path gives, which minimization
/// drops. Cost O(L³ · S²) for `S` minimal sets per edge; bounded by
/// [`MAX_SAFE_SETS_PER_EDGE`]. On overflow returns the offending pair.
pub fn condense(given: &EdgeMatrix) -> Result<EdgeMatrix, (usize, usize)> {
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
                let mut sets = m[a][b].clone();
                for &s in &m[a][k] {
                    for &t in &m[k][b] {
                        sets.push(s.union(t));
                    }
                }
                let sets = minimize(sets);
                if sets.len() > MAX_SAFE_SETS_PER_EDGE {
                    return Err((a, b));
                }
                m[a][b] = sets;
            }
        }
    }
    Ok(m)
}
