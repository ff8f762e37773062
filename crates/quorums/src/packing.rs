//! Weighted groups in the LG-4 search: a group of acceptors read only by
//! weighted thresholds (or counts) over one stake vector — a chain's
//! validators — is placed in one step instead of acceptor by acceptor.
//!
//! Every leaf over such a group is "the stake of the part is at least `t`"
//! for some level `t`, so which leaves hold on the three parts
//! (`A ∪ B`, `A ∪ C`, `B ∪ C`) depends only on which level each part's
//! stake reaches. For each triple of levels `(x_AB, x_AC, x_BC)` a placement
//! reaching them exists exactly when the acceptors can be packed into three
//! bins with `w(A) ≤ T − x_BC`, `w(B) ≤ T − x_AC`, `w(C) ≤ T − x_AB`. Every
//! placement reaches some triple, and a packing for that triple makes the
//! same or more leaves hold; the predicates are monotone, so trying one
//! packing per feasible triple loses nothing.

use crate::bitset::AcceptorSet;
use crate::expr::Expr;
use crate::ids::AcceptorId;

/// The placements to try for a weighted group: `(A, B, C)` parts of it.
pub(crate) type Placement = (AcceptorSet, AcceptorSet, AcceptorSet);

/// A group whose leaves are all stake thresholds over one stake vector.
#[derive(Debug, Clone)]
pub(crate) struct WeightedGroup {
    /// Members and stakes, heaviest first.
    items: Vec<(AcceptorId, u128)>,
    /// Distinct levels (in the group's stake units), 0 included.
    levels: Vec<u128>,
}

impl WeightedGroup {
    /// The group `members` as a weighted group, if every leaf reading it
    /// reads exactly it, with weights proportional to one stake vector.
    pub(crate) fn of(members: AcceptorSet, leaves: &[&Expr]) -> Option<Self> {
        let mut base: Option<Vec<(AcceptorId, u128)>> = None;
        let mut levels = vec![0u128];
        for leaf in leaves {
            if leaf.support().is_disjoint(members) {
                continue;
            }
            if leaf.support() != members {
                return None;
            }
            let (mut weights, threshold): (Vec<(AcceptorId, u128)>, u128) = match leaf {
                Expr::Count { k, of } => (of.iter().map(|a| (a, 1)).collect(), *k as u128),
                Expr::Weighted { threshold, weights } => (
                    weights.iter().map(|&(a, w)| (a, u128::from(w))).collect(),
                    u128::from(*threshold),
                ),
                _ => return None,
            };
            weights.sort_unstable();
            let base = base.get_or_insert_with(|| weights.clone());
            // Proportional: w = base · (w₀ / base₀) for every member.
            let (w0, b0) = (weights[0].1, base[0].1);
            if weights.len() != base.len()
                || weights
                    .iter()
                    .zip(base.iter())
                    .any(|(&(x, w), &(y, b))| x != y || w * b0 != b * w0)
            {
                return None;
            }
            // w(X) ≥ t  ⟺  base(X) · w₀ ≥ t · b₀  ⟺  base(X) ≥ ⌈t · b₀ / w₀⌉.
            levels.push((threshold * b0).div_ceil(w0));
        }
        let mut items = base?;
        items.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        levels.sort_unstable();
        levels.dedup();
        Some(Self { items, levels })
    }

    /// One placement per feasible triple of levels; `None` when `budget`
    /// (decreased by the packing steps spent) ran out.
    pub(crate) fn placements(&self, budget: &mut u64) -> Option<Vec<Placement>> {
        let total: u128 = self.items.iter().map(|i| i.1).sum();
        let mut out = Vec::new();
        for &x_ab in &self.levels {
            for &x_ac in &self.levels {
                for &x_bc in &self.levels {
                    if x_ab > total || x_ac > total || x_bc > total {
                        continue;
                    }
                    let caps = [total - x_bc, total - x_ac, total - x_ab];
                    if let Some(p) = self.pack(caps, budget)? {
                        out.push(p);
                    }
                }
            }
        }
        Some(out)
    }

    /// Packs the items into bins A, B, C with these capacities: a placement,
    /// `Some(None)` when none exists, `None` when the budget ran out.
    fn pack(&self, caps: [u128; 3], budget: &mut u64) -> Option<Option<Placement>> {
        let total: u128 = self.items.iter().map(|i| i.1).sum();
        if caps.iter().sum::<u128>() < total {
            return Some(None);
        }
        let mut suffix = vec![0u128; self.items.len() + 1];
        for i in (0..self.items.len()).rev() {
            suffix[i] = suffix[i + 1] + self.items[i].1;
        }
        let mut bins = [AcceptorSet::EMPTY; 3];
        let mut room = caps;
        let found = self.place(0, &mut room, &mut bins, &suffix, budget)?;
        Some(found.then_some((bins[0], bins[1], bins[2])))
    }

    fn place(
        &self,
        i: usize,
        room: &mut [u128; 3],
        bins: &mut [AcceptorSet; 3],
        suffix: &[u128],
        budget: &mut u64,
    ) -> Option<bool> {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        let Some(&(id, w)) = self.items.get(i) else {
            return Some(true);
        };
        // What is left must fit in the room left.
        if room.iter().sum::<u128>() < suffix[i] {
            return Some(false);
        }
        for bin in 0..3 {
            // Bins with the same room left are interchangeable: try one.
            if room[bin] < w || (0..bin).any(|o| room[o] == room[bin]) {
                continue;
            }
            room[bin] -= w;
            bins[bin].insert(id);
            if self.place(i + 1, room, bins, suffix, budget)? {
                return Some(true);
            }
            bins[bin].remove(id);
            room[bin] += w;
        }
        Some(false)
    }
}
