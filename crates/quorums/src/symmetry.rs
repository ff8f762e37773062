//! Classes of interchangeable acceptors for the LG-4 search (`search.rs`):
//! acceptors that every expression of the graph treats alike — the same
//! weights in the same places, and listed sets unchanged when two are
//! swapped — so that the search chooses how many of a class go where, not
//! which.

use crate::bitset::AcceptorSet;
use crate::expr::Expr;
use crate::graph::LearnerGraph;
use crate::ids::AcceptorId;
use std::collections::BTreeMap;

/// Classes of interchangeable acceptors (module docs), each in index order,
/// heavier classes first and the largest last.
pub(crate) fn classes(graph: &LearnerGraph) -> Vec<Vec<AcceptorId>> {
    let exprs: Vec<&Expr> = graph
        .quorums
        .iter()
        .chain(graph.edges.iter().map(|e| &e.safe))
        .collect();
    // Signature: the (node number, coefficient) places an acceptor occurs.
    let mut signature: Vec<Vec<(usize, u64)>> = vec![Vec::new(); graph.num_acceptors()];
    let mut listed: Vec<&[AcceptorSet]> = Vec::new();
    let mut node = 0usize;
    for e in &exprs {
        sign(e, &mut node, &mut signature, &mut listed);
    }
    let mut groups: BTreeMap<&Vec<(usize, u64)>, Vec<AcceptorId>> = BTreeMap::new();
    for a in graph.acceptor_ids() {
        groups.entry(&signature[a.index()]).or_default().push(a);
    }
    let mut out = Vec::new();
    for (_, members) in groups {
        // Listed sets must be unchanged by swapping two class members.
        let mut classes: Vec<Vec<AcceptorId>> = Vec::new();
        for a in members {
            match classes
                .iter_mut()
                .find(|c| listed.iter().all(|sets| swap_invariant(sets, a, c[0])))
            {
                Some(c) => c.push(a),
                None => classes.push(vec![a]),
            }
        }
        out.extend(classes);
    }
    // Heavier classes first: they decide the most. The largest class goes
    // last, where it costs O(log size) evaluations instead of O(size²).
    out.sort_by_key(|c| std::cmp::Reverse((weight_of(&signature, c[0]), c.len())));
    if let Some(largest) = (0..out.len()).max_by_key(|&i| (out[i].len(), std::cmp::Reverse(i))) {
        let c = out.remove(largest);
        out.push(c);
    }
    out
}

fn weight_of(signature: &[Vec<(usize, u64)>], a: AcceptorId) -> u64 {
    signature[a.index()]
        .iter()
        .map(|&(_, w)| w)
        .max()
        .unwrap_or(0)
}

fn sign<'e>(
    e: &'e Expr,
    node: &mut usize,
    signature: &mut [Vec<(usize, u64)>],
    listed: &mut Vec<&'e [AcceptorSet]>,
) {
    let here = *node;
    *node += 1;
    match e {
        Expr::Sets(sets) => {
            listed.push(sets);
            for a in e.support().iter() {
                signature[a.index()].push((here, 0));
            }
        }
        Expr::Count { of, .. } => {
            for a in of.iter() {
                signature[a.index()].push((here, 1));
            }
        }
        Expr::Weighted { weights, .. } => {
            for &(a, w) in weights {
                signature[a.index()].push((here, w));
            }
        }
        Expr::Threshold { of, .. } => {
            for child in of {
                sign(child, node, signature, listed);
            }
        }
    }
}

fn swap_invariant(sets: &[AcceptorSet], x: AcceptorId, y: AcceptorId) -> bool {
    sets.iter().all(|&s| {
        let t = swap(s, x, y);
        t == s || sets.binary_search(&t).is_ok()
    })
}

fn swap(mut s: AcceptorSet, x: AcceptorId, y: AcceptorId) -> AcceptorSet {
    let (hx, hy) = (s.contains(x), s.contains(y));
    if hx != hy {
        if hx {
            s.remove(x);
            s.insert(y);
        } else {
            s.remove(y);
            s.insert(x);
        }
    }
    s
}
