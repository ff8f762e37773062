//! Monotone expressions over acceptors: how a learner's quorums and an edge's
//! safe sets are written down without enumerating them.
//!
//! A family of acceptor sets is *upward closed* (digest §2.3, LG-3): a superset
//! of a quorum is a quorum, a superset of a safe set is a safe set. Every
//! expression here denotes such a family by construction, because each form is
//! monotone: adding an acceptor to a set never makes an expression false.
//!
//! | form (graph files)                           | holds on a set `X` when           |
//! |----------------------------------------------|-----------------------------------|
//! | `[[A, B], [C]]`                              | `X` contains a listed set         |
//! | `{"threshold": k, "of": [M, …]}`             | at least `k` members hold         |
//! | `{"threshold": W, "weights": {A: w, …}}`     | the weights in `X` sum to ≥ `W`   |
//! | `{"all": [M, …]}` / `{"any": [M, …]}`        | every / some member holds         |
//!
//! A member `M` is an acceptor name (it holds when that acceptor is in `X`) or
//! another expression. [`FamilyDesc`] is the form by names; [`Expr`] the
//! compiled form by dense ids, evaluated in O(expression size) word operations.

use crate::bitset::AcceptorSet;
use crate::enumerate::{binomial_at_most, choose, choose_indices, minimal_weighted, minimize};
use crate::error::StructureError;
use crate::ids::AcceptorId;
use std::collections::BTreeMap;

/// A family of acceptor sets by names, as written in graph files and cluster
/// configs. See [`Expr`] for the meaning of each form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FamilyDesc {
    /// The listed minimal sets (the enumerated form).
    Sets(Vec<Vec<String>>),
    /// At least `k` of the members hold.
    Threshold {
        /// How many members must hold.
        k: u64,
        /// The members.
        of: Vec<MemberDesc>,
    },
    /// The weights of the acceptors present sum to at least `threshold`.
    Weighted {
        /// The least total weight.
        threshold: u64,
        /// Acceptor names and their non-negative weights.
        weights: Vec<(String, u64)>,
    },
    /// Every member holds.
    All(Vec<MemberDesc>),
    /// Some member holds.
    Any(Vec<MemberDesc>),
}

/// A member of a threshold, `all` or `any`: an acceptor or a nested family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberDesc {
    /// Holds when this acceptor is in the set.
    Acceptor(String),
    /// Holds when the nested family holds.
    Family(FamilyDesc),
}

impl From<Vec<Vec<String>>> for FamilyDesc {
    fn from(sets: Vec<Vec<String>>) -> Self {
        FamilyDesc::Sets(sets)
    }
}

impl FamilyDesc {
    /// The enumerated form, if this is one.
    pub fn as_sets(&self) -> Option<&[Vec<String>]> {
        match self {
            FamilyDesc::Sets(s) => Some(s),
            _ => None,
        }
    }
}

/// A compiled family of acceptor sets (upward closed by construction: every
/// form is monotone, so adding an acceptor never makes it false).
///
/// | form (graph files)                           | holds on a set `X` when           |
/// |----------------------------------------------|-----------------------------------|
/// | `[[A, B], [C]]`                              | `X` contains a listed set         |
/// | `{"threshold": k, "of": [M, …]}`             | at least `k` members hold         |
/// | `{"threshold": W, "weights": {A: w, …}}`     | the weights in `X` sum to ≥ `W`   |
/// | `{"all": [M, …]}` / `{"any": [M, …]}`        | every / some member holds         |
///
/// A member `M` is an acceptor name (it holds when that acceptor is in `X`)
/// or another expression. `all` and `any` compile to thresholds; thresholds
/// over acceptors only, and weights that are all equal, compile to
/// [`Expr::Count`] (a popcount).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// Holds on a set containing one of these (minimal, sorted) sets.
    Sets(Vec<AcceptorSet>),
    /// Holds when at least `k` members of `of` are present (a popcount).
    Count {
        /// How many must be present (≥ 1).
        k: usize,
        /// The acceptors counted.
        of: AcceptorSet,
    },
    /// Holds when the weights present sum to at least `threshold`.
    Weighted {
        /// The least total weight (≥ 1).
        threshold: u64,
        /// Positive weights, sorted by acceptor.
        weights: Vec<(AcceptorId, u64)>,
    },
    /// Holds when at least `k` of the sub-expressions hold.
    Threshold {
        /// How many must hold (≥ 1).
        k: usize,
        /// The sub-expressions.
        of: Vec<Expr>,
    },
}

impl Expr {
    /// Whether `set` belongs to the family.
    pub fn holds(&self, set: AcceptorSet) -> bool {
        match self {
            Expr::Sets(sets) => sets.iter().any(|s| s.is_subset(set)),
            Expr::Count { k, of } => set.intersection(*of).len() >= *k,
            Expr::Weighted { threshold, weights } => {
                let mut sum: u128 = 0;
                for &(a, w) in weights {
                    if set.contains(a) {
                        sum += u128::from(w);
                        if sum >= u128::from(*threshold) {
                            return true;
                        }
                    }
                }
                false
            }
            Expr::Threshold { k, of } => {
                let mut held = 0;
                for (i, e) in of.iter().enumerate() {
                    if e.holds(set) {
                        held += 1;
                        if held >= *k {
                            return true;
                        }
                    }
                    // Not enough left to reach k.
                    if held + (of.len() - i - 1) < *k {
                        return false;
                    }
                }
                false
            }
        }
    }

    /// Checks the invariants every constructor establishes, for expressions
    /// built by hand: thresholds of at least 1 and at most what their members
    /// can reach, positive weights, something to count.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Expr::Sets(_) => Ok(()),
            Expr::Count { k, of } => {
                if *k == 0 || *k > of.len() {
                    return Err(format!("count {k} of {} acceptors", of.len()));
                }
                Ok(())
            }
            Expr::Weighted { threshold, weights } => {
                let total: u128 = weights.iter().map(|&(_, w)| u128::from(w)).sum();
                if *threshold == 0 || u128::from(*threshold) > total {
                    return Err(format!("weight threshold {threshold} of total {total}"));
                }
                if weights.iter().any(|&(_, w)| w == 0) {
                    return Err("a zero weight".to_string());
                }
                Ok(())
            }
            Expr::Threshold { k, of } => {
                if *k == 0 || *k > of.len() {
                    return Err(format!("threshold {k} of {} members", of.len()));
                }
                of.iter().try_for_each(Expr::check)
            }
        }
    }

    /// The acceptors the expression mentions.
    pub fn support(&self) -> AcceptorSet {
        match self {
            Expr::Sets(sets) => sets.iter().fold(AcceptorSet::EMPTY, |acc, s| acc.union(*s)),
            Expr::Count { of, .. } => *of,
            Expr::Weighted { weights, .. } => weights.iter().map(|&(a, _)| a).collect(),
            Expr::Threshold { of, .. } => of
                .iter()
                .fold(AcceptorSet::EMPTY, |acc, e| acc.union(e.support())),
        }
    }

    /// Number of nodes and leaves (listed sets, counted acceptors, weights).
    pub fn size(&self) -> usize {
        match self {
            Expr::Sets(sets) => sets.len().max(1),
            Expr::Count { .. } => 1,
            Expr::Weighted { weights, .. } => weights.len().max(1),
            Expr::Threshold { of, .. } => 1 + of.iter().map(Expr::size).sum::<usize>(),
        }
    }

    /// The family's minimal sets, if there are at most `cap` of them at every
    /// step of the enumeration; `None` otherwise. Never enumerates more than
    /// about `cap` sets per node.
    pub fn minimal_sets(&self, cap: usize) -> Option<Vec<AcceptorSet>> {
        match self {
            Expr::Sets(sets) => (sets.len() <= cap).then(|| sets.clone()),
            Expr::Count { k, of } => {
                let members: Vec<AcceptorId> = of.iter().collect();
                binomial_at_most(members.len(), *k, cap)?;
                let mut out = Vec::new();
                choose(&members, *k, 0, AcceptorSet::EMPTY, &mut out);
                out.sort();
                Some(out)
            }
            Expr::Weighted { threshold, weights } => minimal_weighted(*threshold, weights, cap),
            Expr::Threshold { k, of } => {
                let children: Vec<Vec<AcceptorSet>> = of
                    .iter()
                    .map(|e| e.minimal_sets(cap))
                    .collect::<Option<_>>()?;
                // OR over the k-subsets of children of the AND of the chosen.
                let index: Vec<usize> = (0..children.len()).collect();
                let mut picks = Vec::new();
                choose_indices(&index, *k, 0, &mut Vec::new(), &mut picks, cap)?;
                let mut out = Vec::new();
                for pick in picks {
                    let mut acc = vec![AcceptorSet::EMPTY];
                    for &c in &pick {
                        // Unions to minimize: beyond a few times the cap the
                        // family is not worth listing (and minimizing them is
                        // quadratic); give up rather than spend.
                        if acc.len().saturating_mul(children[c].len()) > cap.saturating_mul(4) {
                            return None;
                        }
                        let mut next = Vec::new();
                        for &x in &acc {
                            for &y in &children[c] {
                                next.push(x.union(y));
                            }
                        }
                        acc = minimize(next);
                        if acc.len() > cap {
                            return None;
                        }
                    }
                    out.extend(acc);
                    if out.len() > cap.saturating_mul(4) {
                        out = minimize(out);
                        if out.len() > cap {
                            return None;
                        }
                    }
                }
                let out = minimize(out);
                (out.len() <= cap).then_some(out)
            }
        }
    }

    /// The expression in words with acceptor names from `name`, e.g.
    /// `at least 3 of {A, B, C, D}`; lists of more than [`LONG_LIST`]
    /// acceptors, sets or members are abbreviated ([`listing`]).
    pub fn describe(&self, name: &dyn Fn(AcceptorId) -> String) -> String {
        let braces = |items: Vec<String>| match listing(&items, ", ", "acceptors") {
            (list, None) => format!("{{{list}}}"),
            (list, Some(count)) => format!("{{{list}}} {count}"),
        };
        let set = |s: AcceptorSet| braces(s.iter().map(name).collect());
        match self {
            Expr::Sets(sets) if sets.is_empty() => "no set at all".to_string(),
            Expr::Sets(sets) => {
                let listed: Vec<String> = sets.iter().map(|s| set(*s)).collect();
                match listing(&listed, ", ", "sets") {
                    (one, None) if listed.len() == 1 => format!("all of {one}"),
                    (list, None) => format!("one of the sets {list}"),
                    (list, Some(count)) => format!("one of the sets {list} {count}"),
                }
            }
            Expr::Count { k, of } if *k == of.len() => format!("all of {}", set(*of)),
            Expr::Count { k, of } => format!("at least {k} of {}", set(*of)),
            Expr::Weighted { threshold, weights } => {
                let total: u128 = weights.iter().map(|&(_, w)| u128::from(w)).sum();
                let listed = weights
                    .iter()
                    .map(|&(a, w)| format!("{}: {w}", name(a)))
                    .collect();
                format!(
                    "weight at least {threshold} of {total} in {}",
                    braces(listed)
                )
            }
            Expr::Threshold { k, of } => {
                let parts: Vec<String> = of.iter().map(|e| e.describe(name)).collect();
                let head = if *k == of.len() {
                    "all of".to_string()
                } else if *k == 1 {
                    "any of".to_string()
                } else {
                    format!("at least {k} of")
                };
                match listing(&parts, "; ", "members") {
                    (list, None) => format!("{head} ({list})"),
                    (list, Some(count)) => format!("{head} ({list}) {count}"),
                }
            }
        }
    }

    /// Compiles a description by names; `lookup` maps acceptor names to ids.
    /// `context` names the place for error messages.
    pub fn compile(
        desc: &FamilyDesc,
        lookup: &dyn Fn(&str) -> Option<AcceptorId>,
        context: &str,
    ) -> Result<Expr, StructureError> {
        let acceptor = |n: &str| {
            lookup(n).ok_or_else(|| StructureError::UnknownName {
                what: "acceptor",
                name: n.to_string(),
                context: context.to_string(),
            })
        };
        let bad = |reason: String| StructureError::BadExpression {
            context: context.to_string(),
            reason,
        };
        match desc {
            FamilyDesc::Sets(sets) => {
                let mut out = Vec::with_capacity(sets.len());
                for names in sets {
                    if names.is_empty() {
                        return Err(StructureError::EmptySet {
                            context: context.to_string(),
                        });
                    }
                    out.push(
                        names
                            .iter()
                            .map(|n| acceptor(n))
                            .collect::<Result<_, _>>()?,
                    );
                }
                Ok(Expr::Sets(minimize(out)))
            }
            FamilyDesc::Weighted { threshold, weights } => {
                let mut by_id: BTreeMap<AcceptorId, u64> = BTreeMap::new();
                for (n, w) in weights {
                    if by_id.insert(acceptor(n)?, *w).is_some() {
                        return Err(bad(format!("acceptor {n:?} is weighted twice")));
                    }
                }
                Expr::weighted(*threshold, by_id.into_iter().collect()).map_err(bad)
            }
            FamilyDesc::Threshold { k, of } => {
                let members = compile_members(of, lookup, context)?;
                let k = usize::try_from(*k).unwrap_or(usize::MAX);
                Expr::threshold(k, members).map_err(bad)
            }
            FamilyDesc::All(of) => {
                let members = compile_members(of, lookup, context)?;
                Expr::threshold(members.len(), members).map_err(bad)
            }
            FamilyDesc::Any(of) => {
                let members = compile_members(of, lookup, context)?;
                Expr::threshold(1, members).map_err(bad)
            }
        }
    }

    /// At least `threshold` total weight; zero weights are dropped. Refuses a
    /// threshold of 0 (the empty set would belong) or above the total weight
    /// (nothing would).
    pub fn weighted(threshold: u64, weights: Vec<(AcceptorId, u64)>) -> Result<Expr, String> {
        let mut weights: Vec<(AcceptorId, u64)> =
            weights.into_iter().filter(|&(_, w)| w > 0).collect();
        weights.sort();
        let total: u128 = weights.iter().map(|&(_, w)| u128::from(w)).sum();
        if threshold == 0 {
            return Err("a weight threshold of 0 is met by the empty set".to_string());
        }
        if u128::from(threshold) > total {
            return Err(format!(
                "weight threshold {threshold} exceeds the total weight {total}: never met"
            ));
        }
        let w0 = weights[0].1;
        if weights.iter().all(|&(_, w)| w == w0) {
            // Equal weights: a count, a popcount away.
            let k = threshold.div_ceil(w0);
            let of = weights.iter().map(|&(a, _)| a).collect();
            return Ok(Expr::Count {
                k: usize::try_from(k).unwrap_or(usize::MAX),
                of,
            });
        }
        Ok(Expr::Weighted { threshold, weights })
    }

    /// At least `k` of `members`. Refuses `k = 0` (the empty set would belong),
    /// no members, and `k` above the number of members (never met).
    pub fn threshold(k: usize, members: Vec<Member>) -> Result<Expr, String> {
        let n = members.len();
        if n == 0 {
            return Err("no members".to_string());
        }
        if k == 0 {
            return Err("a threshold of 0 is met by the empty set".to_string());
        }
        if k > n {
            return Err(format!("threshold {k} of {n} members: never met"));
        }
        let atoms: Vec<AcceptorId> = members
            .iter()
            .filter_map(|m| match m {
                Member::Acceptor(a) => Some(*a),
                Member::Expr(_) => None,
            })
            .collect();
        if atoms.len() == n {
            let of: AcceptorSet = atoms.iter().copied().collect();
            if of.len() == n {
                return Ok(Expr::Count { k, of });
            }
            // An acceptor listed twice counts twice.
            let mut w: BTreeMap<AcceptorId, u64> = BTreeMap::new();
            for a in atoms {
                *w.entry(a).or_default() += 1;
            }
            return Expr::weighted(k as u64, w.into_iter().collect());
        }
        let mut of: Vec<Expr> = members
            .into_iter()
            .map(|m| match m {
                Member::Acceptor(a) => Expr::Count {
                    k: 1,
                    of: AcceptorSet::singleton(a),
                },
                Member::Expr(e) => e,
            })
            .collect();
        if of.len() == 1 {
            return Ok(of.remove(0));
        }
        Ok(Expr::Threshold { k, of })
    }
}

/// Lists longer than this are abbreviated in words ([`listing`]).
pub const LONG_LIST: usize = 8;

/// `items` joined with `sep`; more than [`LONG_LIST`] of them are shown as
/// the first three, "…" and the last two, with the count (`(100 what)`)
/// returned beside.
pub fn listing(items: &[String], sep: &str, what: &str) -> (String, Option<String>) {
    if items.len() <= LONG_LIST {
        return (items.join(sep), None);
    }
    let n = items.len();
    let mut shown: Vec<&str> = items[..3].iter().map(String::as_str).collect();
    shown.push("…");
    shown.extend(items[n - 2..].iter().map(String::as_str));
    (shown.join(sep), Some(format!("({n} {what})")))
}

/// A compiled member of a threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// An acceptor.
    Acceptor(AcceptorId),
    /// A nested expression.
    Expr(Expr),
}

fn compile_members(
    of: &[MemberDesc],
    lookup: &dyn Fn(&str) -> Option<AcceptorId>,
    context: &str,
) -> Result<Vec<Member>, StructureError> {
    of.iter()
        .map(|m| match m {
            MemberDesc::Acceptor(n) => {
                lookup(n)
                    .map(Member::Acceptor)
                    .ok_or_else(|| StructureError::UnknownName {
                        what: "acceptor",
                        name: n.clone(),
                        context: context.to_string(),
                    })
            }
            MemberDesc::Family(f) => Expr::compile(f, lookup, context).map(Member::Expr),
        })
        .collect()
}
