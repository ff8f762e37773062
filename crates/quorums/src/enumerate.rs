//! Enumeration of an expression's minimal sets, for graphs small enough to
//! list (the spec, the model's symmetry, the per-triple LG-4 check): every
//! step gives up, rather than spend, once a family passes its cap.

use crate::bitset::AcceptorSet;
use crate::ids::AcceptorId;

/// Keeps only the minimal sets of `sets` (no listed set is a strict superset of
/// another), sorted and deduplicated. Upward-closed families are represented by
/// their minimal sets wherever they are enumerated.
pub fn minimize(mut sets: Vec<AcceptorSet>) -> Vec<AcceptorSet> {
    sets.sort_by_key(|s| (s.len(), *s));
    sets.dedup();
    let mut out: Vec<AcceptorSet> = Vec::with_capacity(sets.len());
    for s in sets {
        if !out.iter().any(|m| m.is_subset(s)) {
            out.push(s);
        }
    }
    out.sort();
    out
}

/// `C(n, k)` if it is at most `cap`.
pub(crate) fn binomial_at_most(n: usize, k: usize, cap: usize) -> Option<usize> {
    if k > n {
        return Some(0);
    }
    let k = k.min(n - k);
    let mut acc: u128 = 1;
    for i in 0..k {
        acc = acc * (n - i) as u128 / (i + 1) as u128;
        if acc > cap as u128 {
            return None;
        }
    }
    usize::try_from(acc).ok()
}

pub(crate) fn choose(
    members: &[AcceptorId],
    k: usize,
    from: usize,
    acc: AcceptorSet,
    out: &mut Vec<AcceptorSet>,
) {
    if k == 0 {
        out.push(acc);
        return;
    }
    for i in from..members.len() {
        if members.len() - i < k {
            break;
        }
        let mut next = acc;
        next.insert(members[i]);
        choose(members, k - 1, i + 1, next, out);
    }
}

pub(crate) fn choose_indices(
    index: &[usize],
    k: usize,
    from: usize,
    acc: &mut Vec<usize>,
    out: &mut Vec<Vec<usize>>,
    cap: usize,
) -> Option<()> {
    if k == 0 {
        out.push(acc.clone());
        return (out.len() <= cap).then_some(());
    }
    for i in from..index.len() {
        if index.len() - i < k {
            break;
        }
        acc.push(index[i]);
        choose_indices(index, k - 1, i + 1, acc, out, cap)?;
        acc.pop();
    }
    Some(())
}

/// Minimal sets of acceptors whose weights reach `threshold`: a depth-first
/// search over acceptors in decreasing weight, keeping a set when dropping its
/// lightest member falls below the threshold.
pub(crate) fn minimal_weighted(
    threshold: u64,
    weights: &[(AcceptorId, u64)],
    cap: usize,
) -> Option<Vec<AcceptorSet>> {
    let mut sorted = weights.to_vec();
    sorted.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let mut suffix = vec![0u128; sorted.len() + 1];
    for i in (0..sorted.len()).rev() {
        suffix[i] = suffix[i + 1] + u128::from(sorted[i].1);
    }
    let mut out = Vec::new();
    let mut steps = 0usize;
    let budget = cap.saturating_mul(64).max(1 << 16);
    #[allow(clippy::too_many_arguments)]
    fn go(
        sorted: &[(AcceptorId, u64)],
        suffix: &[u128],
        t: u128,
        i: usize,
        acc: AcceptorSet,
        sum: u128,
        lightest: u64,
        out: &mut Vec<AcceptorSet>,
        cap: usize,
        steps: &mut usize,
        budget: usize,
    ) -> Option<()> {
        *steps += 1;
        if *steps > budget {
            return None;
        }
        if sum >= t {
            // Members come in decreasing weight: the last added is lightest.
            if sum - u128::from(lightest) < t {
                out.push(acc);
                if out.len() > cap {
                    return None;
                }
            }
            return Some(());
        }
        if i == sorted.len() || sum + suffix[i] < t {
            return Some(());
        }
        let (a, w) = sorted[i];
        let mut with = acc;
        with.insert(a);
        go(
            sorted,
            suffix,
            t,
            i + 1,
            with,
            sum + u128::from(w),
            w,
            out,
            cap,
            steps,
            budget,
        )?;
        go(
            sorted,
            suffix,
            t,
            i + 1,
            acc,
            sum,
            lightest,
            out,
            cap,
            steps,
            budget,
        )
    }
    go(
        &sorted,
        &suffix,
        u128::from(threshold),
        0,
        AcceptorSet::EMPTY,
        0,
        0,
        &mut out,
        cap,
        &mut steps,
        budget,
    )?;
    // A set kept above can still contain another kept set when weights tie;
    // minimize to be exact.
    Some(minimize(out))
}
