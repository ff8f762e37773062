//! Cross-chain learner graphs: one learner per chain, each chain a set of
//! validators weighted by stake, under the assumption that on every chain
//! the Byzantine stake is less than a stated fraction (default 1/3) of that
//! chain's total stake.
//!
//! # The construction
//!
//! For chain `c` with total stake `T_c` and fault fraction `p/q`, let `F_c`
//! be the largest integer strictly less than `p/q · T_c` (the most stake the
//! assumption lets be Byzantine) and `W_c = T_c − F_c`. Write `c ≥ W_c` for
//! the family of acceptor sets holding at least `W_c` of chain `c`'s stake.
//!
//! - **Quorums of every learner**: `all` over every chain `c` of `c ≥ W_c`.
//!   Every learner needs a stake quorum on *every* chain, so that quorums of
//!   different learners meet inside whichever chain is honest.
//! - **Self-edge `c–c`**: `c ≥ W_c` — the actually-safe acceptors hold at
//!   least `T_c − F_c` of `c`'s stake, i.e. `c`'s Byzantine stake is at most
//!   `F_c`.
//! - **Cross edge `c–d`**: `any` of `c ≥ W_c` and `d ≥ W_d` — the two learners
//!   must agree as soon as either chain is honest.
//!
//! # Why it is valid
//!
//! Composition in the condensed graph (CLG) is conjunction and parallel
//! paths are disjunction, so every CLG edge here (self-edges included)
//! holds on `X` exactly when `X` holds `≥ W_c` of some chain `c`'s stake.
//! LG-1..LG-3 hold by construction (edges are unordered, the CLG is their
//! closure, families are upward closed), and so does D5 (every learner has
//! a self-edge). For LG-4 take quorums `q_1`, `q_2` of any two
//! learners and a safe set `s` holding `≥ W_c` of chain `c`'s stake. Within
//! chain `c`, writing `w(·)` for `c`-stake,
//!
//! ```text
//! w(q_1 ∩ q_2 ∩ s) ≥ w(q_1) + w(q_2) + w(s) − 2·T_c ≥ 3·(T_c − F_c) − 2·T_c = T_c − 3·F_c
//! ```
//!
//! (each of the three sets misses at most `F_c` of `c`'s stake). `F_c` is
//! an integer strictly below `T_c / 3` when the fraction is at most 1/3, so
//! `3·F_c ≤ T_c − 1` and the common part holds at least one unit of stake:
//! some validator with positive stake is in all three sets. A larger
//! fraction is accepted only for chains where `3·F_c < T_c` still holds
//! (checked, [`ChainsError::FaultsTooLarge`]). [`chains()`] then also checks
//! the result exactly with [`LearnerGraph::validate`]; for three or more
//! chains of unrelated stakes that check is often undecided within its
//! work budget, and [`chains_unchecked`] gives the graph without it.
//!
//! The price is liveness: a learner decides only once *every* chain has
//! `W_c` of its stake responsive.

use hetpaxos_quorums::{
    FamilyDesc, GraphDescription, LearnerGraph, MemberDesc, StructureError, Violation,
};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// Why a chains description cannot become a (valid) learner graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainsError {
    /// The JSON is not of the expected shape.
    #[error("{0}")]
    Shape(String),
    /// No chain at all.
    #[error("no chains given")]
    NoChains,
    /// A chain without validators.
    #[error("chain {chain:?} has no validators")]
    EmptyChain {
        /// The chain.
        chain: String,
    },
    /// A chain whose validators all have stake 0.
    #[error("chain {chain:?} has no stake: every validator's stake is 0")]
    NoStake {
        /// The chain.
        chain: String,
    },
    /// A chain whose total stake does not fit in 64 bits.
    #[error("chain {chain:?}: total stake exceeds 2^64 − 1")]
    StakeOverflow {
        /// The chain.
        chain: String,
    },
    /// The fault fraction is not `p/q` with `0 < p < q`.
    #[error("fault fraction {text:?}: {reason}")]
    BadFraction {
        /// What was given.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// The fraction lets a chain's Byzantine stake reach a third of its
    /// total: two quorums and a safe set could miss each other.
    #[error(
        "chain {chain:?}: Byzantine stake up to {faulty} of {total} leaves no honest overlap \
         (needs 3·{faulty} < {total}); use a fault fraction of at most 1/3"
    )]
    FaultsTooLarge {
        /// The chain.
        chain: String,
        /// Its total stake.
        total: u64,
        /// The Byzantine stake tolerated.
        faulty: u64,
    },
    /// A validator name that cannot be an acceptor's (it names the
    /// acceptor's config file).
    #[error("{0}")]
    BadName(String),
    /// The graph cannot be built (names, sizes).
    #[error(transparent)]
    Structure(#[from] StructureError),
    /// The graph is not valid, or its validity is undecided within the
    /// work budget (not expected: see the module documentation).
    #[error("the generated graph is not accepted: {0}")]
    Invalid(Box<Violation>),
}

/// A fraction `num/den` with `0 < num < den`, written `"num/den"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    /// Numerator (≥ 1).
    pub num: u64,
    /// Denominator (> numerator).
    pub den: u64,
}

impl Fraction {
    /// One third, the default fault fraction.
    pub const ONE_THIRD: Fraction = Fraction { num: 1, den: 3 };

    /// The largest integer strictly less than `self · total`.
    pub fn largest_below(self, total: u64) -> u64 {
        let product = u128::from(self.num) * u128::from(total);
        // ⌈p·T/q⌉ − 1; p·T ≥ 1 when T ≥ 1, and 0 when T = 0.
        let ceil = product.div_ceil(u128::from(self.den));
        u64::try_from(ceil.saturating_sub(1)).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl FromStr for Fraction {
    type Err = ChainsError;

    fn from_str(text: &str) -> Result<Self, ChainsError> {
        let bad = |reason: &str| ChainsError::BadFraction {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let (p, q) = text
            .split_once('/')
            .ok_or_else(|| bad("write it as \"p/q\", e.g. \"1/3\""))?;
        let digits = |s: &str| {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(
                    "numerator and denominator must be non-negative integers",
                ));
            }
            s.parse::<u64>().map_err(|_| bad("number too large"))
        };
        let (num, den) = (digits(p)?, digits(q)?);
        if num == 0 || num >= den {
            return Err(bad("must be strictly between 0 and 1"));
        }
        Ok(Fraction { num, den })
    }
}

/// One chain: a name (becomes its learner's name) and its validators with
/// their stakes, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The chain's (and its learner's) name.
    pub name: String,
    /// Validator names (acceptor names) and stakes.
    pub stakes: Vec<(String, u64)>,
}

/// Several chains and the fault assumption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainsSpec {
    /// The chains, in order (learners are numbered in this order).
    pub chains: Vec<Chain>,
    /// On every chain, the Byzantine stake is strictly less than this
    /// fraction of the chain's total stake.
    pub faults: Fraction,
}

impl ChainsSpec {
    /// Reads `{"chains": {"red": {"R1": 10, …}, …}, "faults": "1/3"}`
    /// (`faults` optional, default 1/3; stakes non-negative integers).
    pub fn from_json(v: &Value) -> Result<Self, ChainsError> {
        let shape = ChainsError::Shape;
        let top = v.as_object().ok_or_else(|| {
            shape("a chains file is an object {\"chains\": {...}, \"faults\": \"1/3\"}".into())
        })?;
        if let Some(k) = top.keys().find(|k| *k != "chains" && *k != "faults") {
            return Err(shape(format!(
                "unknown field {k:?} (expected \"chains\" and optionally \"faults\")"
            )));
        }
        let faults = match top.get("faults") {
            None => Fraction::ONE_THIRD,
            Some(Value::String(s)) => s.parse()?,
            Some(other) => {
                return Err(ChainsError::BadFraction {
                    text: other.to_string(),
                    reason: "write it as a string \"p/q\", e.g. \"1/3\"".into(),
                });
            }
        };
        let chains = top
            .get("chains")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                shape("\"chains\" must be an object of chain names to {validator: stake}".into())
            })?;
        let mut out = Vec::with_capacity(chains.len());
        for (name, validators) in chains {
            let validators = validators.as_object().ok_or_else(|| {
                shape(format!(
                    "chain {name:?} must be an object of validator names to stakes"
                ))
            })?;
            let stakes = validators
                .iter()
                .map(|(v, s)| {
                    s.as_u64().map(|s| (v.clone(), s)).ok_or_else(|| {
                        shape(format!(
                            "chain {name:?}: stake of {v:?} must be a non-negative integer, not {s}"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Chain {
                name: name.clone(),
                stakes,
            });
        }
        Ok(ChainsSpec {
            chains: out,
            faults,
        })
    }
}

/// What the fault assumption means for one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBound {
    /// The chain.
    pub name: String,
    /// Its total stake `T`.
    pub total: u64,
    /// The most Byzantine stake tolerated, `F` (largest integer below
    /// fraction · `T`).
    pub faulty: u64,
    /// The stake a quorum and a safe set need on this chain, `T − F`.
    pub quorum: u64,
}

/// Per chain: total stake, tolerated Byzantine stake and quorum weight,
/// checking the chains (non-empty, some stake, `3F < T`).
pub fn chain_bounds(spec: &ChainsSpec) -> Result<Vec<ChainBound>, ChainsError> {
    if spec.chains.is_empty() {
        return Err(ChainsError::NoChains);
    }
    spec.chains
        .iter()
        .map(|c| {
            if c.stakes.is_empty() {
                return Err(ChainsError::EmptyChain {
                    chain: c.name.clone(),
                });
            }
            let total: u128 = c.stakes.iter().map(|&(_, s)| u128::from(s)).sum();
            let total = u64::try_from(total).map_err(|_| ChainsError::StakeOverflow {
                chain: c.name.clone(),
            })?;
            if total == 0 {
                return Err(ChainsError::NoStake {
                    chain: c.name.clone(),
                });
            }
            let faulty = spec.faults.largest_below(total);
            if u128::from(faulty) * 3 >= u128::from(total) {
                return Err(ChainsError::FaultsTooLarge {
                    chain: c.name.clone(),
                    total,
                    faulty,
                });
            }
            Ok(ChainBound {
                name: c.name.clone(),
                total,
                faulty,
                quorum: total - faulty,
            })
        })
        .collect()
}

/// The cross-chain learner graph of `spec` (see the [module
/// documentation](self) for the construction and why it is valid): one
/// learner per chain, named after it; acceptors are the validators in order
/// of first appearance (a validator of several chains is one acceptor).
/// The graph is built and checked with [`LearnerGraph::validate`] before it
/// is returned; [`ChainsError::Invalid`] holds
/// [`Violation::Undecided`] when the exact check ran out of its work budget.
pub fn chains(spec: &ChainsSpec) -> Result<GraphDescription, ChainsError> {
    let desc = chains_unchecked(spec)?;
    let graph = LearnerGraph::from_description(&desc)?;
    graph
        .validate()
        .map_err(|v| ChainsError::Invalid(Box::new(v)))?;
    Ok(desc)
}

/// [`chains()`] without the validity check (the graph is still built, so
/// names and sizes are checked): for when the exact check is undecided
/// within its work budget. The graph is valid by the argument in the
/// [module documentation](self) all the same.
pub fn chains_unchecked(spec: &ChainsSpec) -> Result<GraphDescription, ChainsError> {
    let bounds = chain_bounds(spec)?;
    let mut acceptors: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for c in &spec.chains {
        for (v, _) in &c.stakes {
            if seen.insert(v.as_str()) {
                acceptors.push(v.clone());
            }
        }
    }
    // `c ≥ W_c`: at least T_c − F_c of chain c's stake.
    let honest: Vec<FamilyDesc> = spec
        .chains
        .iter()
        .zip(&bounds)
        .map(|(c, b)| FamilyDesc::Weighted {
            threshold: b.quorum,
            weights: c.stakes.clone(),
        })
        .collect();
    let quorums = if honest.len() == 1 {
        honest[0].clone()
    } else {
        FamilyDesc::All(honest.iter().cloned().map(MemberDesc::Family).collect())
    };
    let names: Vec<String> = spec.chains.iter().map(|c| c.name.clone()).collect();
    let mut safe_sets = Vec::new();
    for (i, a) in names.iter().enumerate() {
        safe_sets.push(((a.clone(), a.clone()), honest[i].clone()));
        for (j, b) in names.iter().enumerate().skip(i + 1) {
            let either = FamilyDesc::Any(vec![
                MemberDesc::Family(honest[i].clone()),
                MemberDesc::Family(honest[j].clone()),
            ]);
            safe_sets.push(((a.clone(), b.clone()), either));
        }
    }
    let desc = GraphDescription {
        acceptors,
        learners: names.iter().map(|n| (n.clone(), quorums.clone())).collect(),
        safe_sets,
    };
    LearnerGraph::from_description(&desc)?;
    hetpaxos_config::check_names(&desc).map_err(ChainsError::BadName)?;
    Ok(desc)
}
