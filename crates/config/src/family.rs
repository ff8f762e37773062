//! Families of acceptor sets (quorums, safe sets) in the two written forms:
//! the graph-file JSON language and its protobuf mirror in cluster configs
//! (`proto/config.proto`, message `Family`). Both become a
//! [`FamilyDesc`]; the meaning of each form is
//! documented in `hetpaxos_quorums::Expr`.
//!
//! Graph files:
//!
//! ```text
//! E := [[name, ...], ...]                          the listed minimal sets
//!    | {"threshold": k, "of": [M, ...]}            at least k of the members hold
//!    | {"threshold": W, "weights": {name: w, ...}} the weights present sum to ≥ W
//!    | {"all": [M, ...]}  |  {"any": [M, ...]}
//! M := name | E
//! ```

use crate::pb;
use hetpaxos_quorums::{FamilyDesc, MemberDesc};
use serde_json::Value;

/// Parses a family written in the graph-file language.
pub fn family_from_json(v: &Value) -> Result<FamilyDesc, String> {
    match v {
        Value::Array(sets) => {
            let mut out = Vec::with_capacity(sets.len());
            for s in sets {
                let names = s
                    .as_array()
                    .ok_or_else(|| {
                        format!("a listed set must be a list of acceptor names, not {s}")
                    })?
                    .iter()
                    .map(|n| {
                        n.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| format!("an acceptor name must be a string, not {n}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(names);
            }
            Ok(FamilyDesc::Sets(out))
        }
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            let members = |key: &str| -> Result<Vec<MemberDesc>, String> {
                let list = map
                    .get(key)
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("{key:?} must be a list of members"))?;
                list.iter().map(member_from_json).collect()
            };
            match keys.as_slice() {
                ["all"] => Ok(FamilyDesc::All(members("all")?)),
                ["any"] => Ok(FamilyDesc::Any(members("any")?)),
                ["of", "threshold"] | ["threshold", "of"] => Ok(FamilyDesc::Threshold {
                    k: integer(map.get("threshold"), "threshold")?,
                    of: members("of")?,
                }),
                ["threshold", "weights"] | ["weights", "threshold"] => {
                    let weights = map
                        .get("weights")
                        .and_then(Value::as_object)
                        .ok_or("\"weights\" must be an object of acceptor names and weights")?
                        .iter()
                        .map(|(n, w)| Ok((n.clone(), integer(Some(w), &format!("weight of {n}"))?)))
                        .collect::<Result<Vec<_>, String>>()?;
                    Ok(FamilyDesc::Weighted {
                        threshold: integer(map.get("threshold"), "threshold")?,
                        weights,
                    })
                }
                _ => Err(format!(
                    "a family object has either \"threshold\" with \"of\" or \"weights\", or \"all\", or \"any\"; found keys {keys:?}"
                )),
            }
        }
        other => Err(format!(
            "a family is a list of sets or an object (threshold, weights, all, any), not {other}"
        )),
    }
}

fn member_from_json(v: &Value) -> Result<MemberDesc, String> {
    match v {
        Value::String(n) => Ok(MemberDesc::Acceptor(n.clone())),
        other => family_from_json(other).map(MemberDesc::Family),
    }
}

fn integer(v: Option<&Value>, what: &str) -> Result<u64, String> {
    v.and_then(Value::as_u64)
        .ok_or_else(|| format!("{what} must be a non-negative integer"))
}

/// A family from its protobuf form: exactly one of `threshold`, `weighted`,
/// `all`, `any`, or else the listed `sets`.
pub fn family_from_pb(f: &pb::Family) -> Result<FamilyDesc, String> {
    let forms = [
        f.threshold.is_some(),
        f.weighted.is_some(),
        f.all.is_some(),
        f.any.is_some(),
        !f.sets.is_empty(),
    ];
    if forms.iter().filter(|&&x| x).count() > 1 {
        return Err("a family has exactly one of sets, threshold, weighted, all, any".to_string());
    }
    if let Some(t) = &f.threshold {
        return Ok(FamilyDesc::Threshold {
            k: t.k,
            of: members_from_pb(&t.of)?,
        });
    }
    if let Some(w) = &f.weighted {
        return Ok(FamilyDesc::Weighted {
            threshold: w.threshold,
            weights: w
                .weights
                .iter()
                .map(|x| (x.acceptor.clone(), x.weight))
                .collect(),
        });
    }
    if let Some(m) = &f.all {
        return Ok(FamilyDesc::All(members_from_pb(&m.members)?));
    }
    if let Some(m) = &f.any {
        return Ok(FamilyDesc::Any(members_from_pb(&m.members)?));
    }
    Ok(FamilyDesc::Sets(
        f.sets.iter().map(|s| s.acceptors.clone()).collect(),
    ))
}

fn members_from_pb(ms: &[pb::Member]) -> Result<Vec<MemberDesc>, String> {
    ms.iter()
        .map(|m| match (&m.family, m.acceptor.is_empty()) {
            (None, false) => Ok(MemberDesc::Acceptor(m.acceptor.clone())),
            (Some(f), true) => family_from_pb(f).map(MemberDesc::Family),
            _ => Err("a member is exactly one of an acceptor name or a family".to_string()),
        })
        .collect()
}

/// The protobuf form of a family (listed sets stay listed).
pub fn family_to_pb(f: &FamilyDesc) -> pb::Family {
    let mut out = pb::Family::default();
    match f {
        FamilyDesc::Sets(sets) => {
            out.sets = sets
                .iter()
                .map(|s| pb::AcceptorNames {
                    acceptors: s.clone(),
                })
                .collect();
        }
        FamilyDesc::Threshold { k, of } => {
            out.threshold = Some(pb::Threshold {
                k: *k,
                of: members_to_pb(of),
            });
        }
        FamilyDesc::Weighted { threshold, weights } => {
            out.weighted = Some(pb::Weighted {
                threshold: *threshold,
                weights: weights
                    .iter()
                    .map(|(a, w)| pb::Weight {
                        acceptor: a.clone(),
                        weight: *w,
                    })
                    .collect(),
            });
        }
        FamilyDesc::All(of) => {
            out.all = Some(pb::Members {
                members: members_to_pb(of),
            });
        }
        FamilyDesc::Any(of) => {
            out.any = Some(pb::Members {
                members: members_to_pb(of),
            });
        }
    }
    out
}

fn members_to_pb(ms: &[MemberDesc]) -> Vec<pb::Member> {
    ms.iter()
        .map(|m| match m {
            MemberDesc::Acceptor(a) => pb::Member {
                acceptor: a.clone(),
                family: None,
            },
            MemberDesc::Family(f) => pb::Member {
                acceptor: String::new(),
                family: Some(family_to_pb(f)),
            },
        })
        .collect()
}

/// The graph-file JSON form of a family (the inverse of [`family_from_json`]).
pub fn family_to_json(f: &FamilyDesc) -> Value {
    let members = |ms: &[MemberDesc]| -> Value {
        Value::Array(
            ms.iter()
                .map(|m| match m {
                    MemberDesc::Acceptor(a) => Value::String(a.clone()),
                    MemberDesc::Family(f) => family_to_json(f),
                })
                .collect(),
        )
    };
    match f {
        FamilyDesc::Sets(sets) => serde_json::json!(sets),
        FamilyDesc::Threshold { k, of } => serde_json::json!({"threshold": k, "of": members(of)}),
        FamilyDesc::Weighted { threshold, weights } => {
            let w: serde_json::Map<String, Value> = weights
                .iter()
                .map(|(a, w)| (a.clone(), Value::from(*w)))
                .collect();
            serde_json::json!({"threshold": threshold, "weights": w})
        }
        FamilyDesc::All(of) => serde_json::json!({"all": members(of)}),
        FamilyDesc::Any(of) => serde_json::json!({"any": members(of)}),
    }
}

/// One learner's quorums from its protobuf form: `quorums` or
/// `quorum_family`, not both.
pub fn quorums_of(l: &pb::LearnerInfo) -> Result<FamilyDesc, String> {
    match (&l.quorum_family, l.quorums.is_empty()) {
        (Some(_), false) => Err(format!(
            "learner {}: give quorums or quorumFamily, not both",
            l.name
        )),
        (Some(f), true) => family_from_pb(f).map_err(|m| format!("learner {}: {m}", l.name)),
        (None, _) => Ok(FamilyDesc::Sets(
            l.quorums.iter().map(|q| q.acceptors.clone()).collect(),
        )),
    }
}

/// One edge's safe sets from its protobuf form: `sets` or `family`, not both.
pub fn safe_sets_of(s: &pb::SafeSets) -> Result<FamilyDesc, String> {
    let edge = format!("safe sets between {} and {}", s.learner_a, s.learner_b);
    match (&s.family, s.sets.is_empty()) {
        (Some(_), false) => Err(format!("{edge}: give sets or family, not both")),
        (Some(f), true) => family_from_pb(f).map_err(|m| format!("{edge}: {m}")),
        (None, _) => Ok(FamilyDesc::Sets(
            s.sets.iter().map(|q| q.acceptors.clone()).collect(),
        )),
    }
}
