//! Coverage of a given set of open sites: the pure evaluation that every
//! command reports through, so `evaluate` and `plan` can never disagree.
//!
//! Work is split into fixed-size chunks of demand, evaluated in parallel and
//! reduced in chunk order, so sums are identical whatever the thread count.

use crate::metric::{Metric, Queries, SiteIndex};
use crate::progress::Bar;
use crate::sphere::Radius;
use rayon::prelude::*;

/// Demand points per parallel work unit; fixed so float sums do not depend on threads.
pub const CHUNK: usize = 4096;

/// Sentinel for "no site".
pub const NO_SITE: u32 = u32::MAX;

/// Chunks evaluated at once before their sums are added in order: bounds the
/// partial sums held (each has a few numbers per site).
const CHUNKS_AT_ONCE: usize = 64;

/// Demand as the evaluator needs it: points of the distance model, weights and groups.
#[derive(Debug)]
pub struct DemandView<'a, P> {
    /// Points, prepared by the distance model.
    pub points: &'a [P],
    /// Weights.
    pub weights: &'a [f64],
    /// Group index per point (`u32::MAX` for none); empty when no point has a group.
    pub groups: &'a [u32],
    /// Number of groups.
    pub n_groups: usize,
}

impl<P> Clone for DemandView<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for DemandView<'_, P> {}

/// Weighted distance statistics, in the distance model's unit (km for great circles).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct DistanceStats {
    /// Weighted mean.
    pub mean: f64,
    /// Weighted median.
    pub p50: f64,
    /// Weighted 90th percentile.
    pub p90: f64,
    /// Largest.
    pub max: f64,
}

/// Totals for one service radius.
#[derive(Debug, Clone, PartialEq)]
pub struct TierTotals {
    /// The radius.
    pub radius: Radius,
    /// The radius as the distance model's key.
    pub key: f64,
    /// Weight within the radius of an open site.
    pub covered_weight: f64,
    /// Points within the radius of an open site.
    pub covered_points: u64,
    /// Weight within the radius of at least two open sites (cover while one is out).
    pub backup_weight: f64,
}

/// Totals for one group, at the first radius.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupTotals {
    /// Total weight.
    pub total_weight: f64,
    /// Covered weight.
    pub covered_weight: f64,
    /// Points.
    pub points: u64,
    /// Covered points.
    pub covered_points: u64,
}

/// The result of evaluating open sites against demand.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Per demand point: its nearest open site and the distance to it
    /// (km for great circles), infinite when no site is reachable.
    pub nearest: Vec<(u32, f64)>,
    /// Per demand point: the distance model's key to its nearest open site (the coverage test).
    pub nearest_key: Vec<f64>,
    /// Per tier totals, in the order the radii were given.
    pub tiers: Vec<TierTotals>,
    /// Per site: weight for which it is the nearest open site.
    pub site_assigned: Vec<f64>,
    /// Per site: weight within the first radius of it.
    pub site_covered: Vec<f64>,
    /// Per site: weight within the first radius of it and of no other open site.
    pub site_unique: Vec<f64>,
    /// Per group totals at the first radius.
    pub groups: Vec<GroupTotals>,
    /// Total demand weight.
    pub total_weight: f64,
    /// Weighted distance to the nearest open site.
    pub distance: Option<DistanceStats>,
    /// With capacities: how each point's weight is split among the open sites
    /// (filled by the capacitated assignment; `None` means nearest site).
    pub allocation: Option<Allocation>,
}

/// A capacity-respecting split of demand among open sites. Demand points
/// with the same sites within reach share one *row*; each row's weight is
/// split among its sites, and every point of the row is split in the same
/// proportions, so per-site sums equal the sites' loads.
#[derive(Debug, Clone, Default)]
pub struct Allocation {
    /// Row of each demand point, or `u32::MAX` when no open site is within reach.
    pub demand_row: Vec<u32>,
    /// Total weight of each row.
    pub row_weight: Vec<f64>,
    /// Per row: (open site index, weight served by it), in site order.
    pub row_flows: Vec<Vec<(u32, f64)>>,
}

impl Allocation {
    /// The parts of point `i` (of weight `w`): (open site index, weight served).
    pub fn parts(&self, i: usize, w: f64) -> Vec<(u32, f64)> {
        let r = self.demand_row[i];
        if r == u32::MAX {
            return Vec::new();
        }
        let total = self.row_weight[r as usize];
        if total <= 0.0 {
            return Vec::new();
        }
        self.row_flows[r as usize]
            .iter()
            .map(|&(k, f)| (k, w * (f / total).min(1.0)))
            .collect()
    }
}

impl Partial {
    fn zero(tiers: usize, sites: usize, groups: usize) -> Self {
        Partial {
            tiers_w: vec![0.0; tiers],
            tiers_b: vec![0.0; tiers],
            tiers_n: vec![0; tiers],
            site_assigned: vec![0.0; sites],
            site_covered: vec![0.0; sites],
            site_unique: vec![0.0; sites],
            groups: vec![GroupTotals::default(); groups],
            total: 0.0,
        }
    }
}

impl Partial {
    /// Adds demand point `i`, whose nearest open site is `s` (or [`NO_SITE`])
    /// at `key` and whose second nearest is at `second`; `within(found)`
    /// calls `found` with every site within the first radius (`keys[0]`), and
    /// is asked only when the nearest two are both within it.
    #[inline]
    fn add_point<P>(
        &mut self,
        demand: &DemandView<'_, P>,
        i: usize,
        (s, key, second): (u32, f64, f64),
        keys: &[f64],
        within: impl FnOnce(&mut dyn FnMut(u32)),
    ) {
        let first = keys[0];
        let w = demand.weights[i];
        self.total += w;
        for (t, &k) in keys.iter().enumerate() {
            if key <= k {
                self.tiers_w[t] += w;
                self.tiers_n[t] += 1;
            }
            if second <= k {
                self.tiers_b[t] += w;
            }
        }
        if s != NO_SITE {
            self.site_assigned[s as usize] += w;
            // Sites within the first radius: each covers the point; the
            // point is unique to a site when it is the only one. The
            // nearest two keys already say how many there are unless
            // both are within it: only then is the index asked.
            if key > first {
                // No site covers the point.
            } else if second > first {
                self.site_covered[s as usize] += w;
                self.site_unique[s as usize] += w;
            } else {
                let covered = &mut self.site_covered;
                within(&mut |j| covered[j as usize] += w);
            }
        }
        let g = demand.groups.get(i).copied().unwrap_or(u32::MAX);
        if g != u32::MAX {
            let gt = &mut self.groups[g as usize];
            gt.total_weight += w;
            gt.points += 1;
            if key <= first {
                gt.covered_weight += w;
                gt.covered_points += 1;
            }
        }
    }

    /// Adds the sums of `p` to these.
    fn add(&mut self, p: &Partial) {
        self.total += p.total;
        for t in 0..self.tiers_w.len() {
            self.tiers_w[t] += p.tiers_w[t];
            self.tiers_b[t] += p.tiers_b[t];
            self.tiers_n[t] += p.tiers_n[t];
        }
        for s in 0..self.site_assigned.len() {
            self.site_assigned[s] += p.site_assigned[s];
            self.site_covered[s] += p.site_covered[s];
            self.site_unique[s] += p.site_unique[s];
        }
        for (g, pg) in self.groups.iter_mut().zip(&p.groups) {
            g.total_weight += pg.total_weight;
            g.covered_weight += pg.covered_weight;
            g.points += pg.points;
            g.covered_points += pg.covered_points;
        }
    }
}

impl Evaluation {
    /// Whether demand point `i` is within the radius of tier `tier` of an open site.
    pub fn covered(&self, i: usize, tier: usize) -> bool {
        self.nearest_key[i] <= self.tiers[tier].key
    }
}

#[derive(Clone)]
struct Partial {
    tiers_w: Vec<f64>,
    tiers_b: Vec<f64>,
    tiers_n: Vec<u64>,
    site_assigned: Vec<f64>,
    site_covered: Vec<f64>,
    site_unique: Vec<f64>,
    groups: Vec<GroupTotals>,
    total: f64,
}

/// Evaluates open `sites` against `demand` for each radius in `radii` (at least one).
///
/// # Panics
/// If `radii` is empty (the CLI always supplies one).
pub fn evaluate<M: Metric>(
    metric: &M,
    demand: DemandView<'_, M::Point>,
    sites: &[M::Point],
    radii: &[Radius],
    bar: &Bar,
) -> Evaluation {
    assert!(!radii.is_empty(), "at least one radius");
    let n_sites = sites.len();
    let keys: Vec<f64> = radii.iter().map(|r| metric.radius_key(r)).collect();
    let first = keys[0];
    // The sites within the first radius are asked only of points whose two
    // nearest are both within it.
    let index = metric.index_for(
        sites,
        demand.points,
        Queries {
            nearest_two: true,
            within: Some(first),
        },
    );
    // One pass: each chunk of points finds its nearest two sites, records
    // the nearest, and sums its share of the totals. Chunks run in parallel a
    // batch at a time and their sums are added in chunk order, so the totals
    // do not depend on threads and only a batch of partial sums is held.
    let mut nearest = vec![(NO_SITE, f64::INFINITY); demand.points.len()];
    let mut total = Partial::zero(radii.len(), n_sites, demand.n_groups);
    for (b, batch) in nearest.chunks_mut(CHUNK * CHUNKS_AT_ONCE).enumerate() {
        let partials: Vec<Partial> = batch
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(c, out)| {
                let lo = (b * CHUNKS_AT_ONCE + c) * CHUNK;
                let mut p = Partial::zero(radii.len(), n_sites, demand.n_groups);
                for (k, slot) in out.iter_mut().enumerate() {
                    let i = lo + k;
                    let q = &demand.points[i];
                    let (s, key, second) = match index.nearest_two(q) {
                        (Some((s, key)), second) => (s, key, second),
                        (None, _) => (NO_SITE, f64::INFINITY, f64::INFINITY),
                    };
                    *slot = (s, key);
                    p.add_point(&demand, i, (s, key, second), &keys, |found| {
                        index.within(q, first, found);
                    });
                }
                bar.inc(out.len() as u64);
                p
            })
            .collect();
        for p in &partials {
            total.add(p);
        }
    }

    let nearest_key: Vec<f64> = nearest
        .par_iter()
        .with_min_len(CHUNK)
        .map(|&(_, key)| key)
        .collect();
    // Keys to distances in place (no second copy of the largest array), each
    // point on its own, so the order of work does not matter.
    nearest
        .par_iter_mut()
        .with_min_len(CHUNK)
        .for_each(|(s, key)| {
            *key = if *s == NO_SITE {
                f64::INFINITY
            } else {
                metric.distance(*key)
            };
        });
    let distance = distance_stats(&nearest, demand.weights);
    Evaluation {
        tiers: radii
            .iter()
            .enumerate()
            .map(|(t, r)| TierTotals {
                radius: *r,
                key: keys[t],
                covered_weight: total.tiers_w[t],
                covered_points: total.tiers_n[t],
                backup_weight: total.tiers_b[t],
            })
            .collect(),
        nearest,
        nearest_key,
        site_assigned: total.site_assigned,
        site_covered: total.site_covered,
        site_unique: total.site_unique,
        groups: total.groups,
        total_weight: total.total,
        distance,
        allocation: None,
    }
}

/// Weighted mean and percentiles of the nearest-site distances.
///
/// Percentiles are the smallest distance at which the cumulative weight reaches
/// the share; with all weights zero, every point counts once. Points no open
/// site reaches (a sparse cost matrix) are left out; `None` when no point is reached.
pub fn distance_stats(nearest: &[(u32, f64)], weights: &[f64]) -> Option<DistanceStats> {
    if nearest.iter().all(|(s, _)| *s == NO_SITE) {
        return None;
    }
    if nearest.iter().any(|(s, _)| *s == NO_SITE) {
        let (n, w): (Vec<(u32, f64)>, Vec<f64>) = nearest
            .iter()
            .zip(weights)
            .filter(|(n, _)| n.0 != NO_SITE)
            .map(|(n, w)| (*n, *w))
            .unzip();
        return distance_stats(&n, &w);
    }
    let total: f64 = weights.iter().sum();
    let unweighted = total <= 0.0;
    let w = |i: usize| if unweighted { 1.0 } else { weights[i] };
    let total = if unweighted {
        nearest.len() as f64
    } else {
        total
    };
    let mean = nearest
        .iter()
        .enumerate()
        .map(|(i, (_, d))| w(i) * d)
        .sum::<f64>()
        / total;
    // The first point, in (distance, index) order, at which the running
    // weight reaches each goal.
    let goals = [0.5 * total, 0.9 * total];
    let (found, last) = if unweighted || sums_are_exact(weights, total) {
        shares_by_buckets(nearest, w, goals)
    } else {
        shares_by_full_order(nearest, w, goals)
    };
    Some(DistanceStats {
        mean,
        p50: found[0].unwrap_or(last),
        p90: found[1].unwrap_or(last),
        max: last,
    })
}

/// Whether every sum of `weights` (of any of them, in any order) is exact:
/// whole, non-negative weights whose `total` (summed in index order) is below
/// 2^53, as counts and most sales figures are. A partial sum that went past
/// 2^53 would leave the (rounded, non-decreasing) running total at 2^53 or
/// above, so the check on the total covers every partial sum.
fn sums_are_exact(weights: &[f64], total: f64) -> bool {
    const EXACT_BELOW: f64 = 9_007_199_254_740_992.0; // 2^53
    total < EXACT_BELOW
        && weights
            .par_iter()
            .with_min_len(1 << 14)
            .all(|&w| w >= 0.0 && w.fract() == 0.0)
}

/// The shares of [`distance_stats`] by one walk over every point in
/// (distance, index) order, and the largest distance.
fn shares_by_full_order(
    nearest: &[(u32, f64)],
    w: impl Fn(usize) -> f64,
    goals: [f64; 2],
) -> ([Option<f64>; 2], f64) {
    let order = sorted_by_distance(nearest);
    let mut found = [None; 2];
    let mut acc = 0.0;
    for &i in &order {
        acc += w(i as usize);
        for (f, goal) in found.iter_mut().zip(goals) {
            if f.is_none() && acc >= goal {
                *f = Some(nearest[i as usize].1);
            }
        }
        if found[1].is_some() {
            break;
        }
    }
    let last = nearest[*order.last().expect("non-empty") as usize].1;
    (found, last)
}

/// As [`shares_by_full_order`] when every sum of weights is exact
/// ([`sums_are_exact`]): the running weight at a point is then the total of
/// the buckets of distance before its own plus the weight before it in its
/// bucket, whatever order the sums were taken in. So the buckets' weights are
/// summed in parallel and only the bucket in which a goal falls is sorted.
fn shares_by_buckets(
    nearest: &[(u32, f64)],
    w: impl Fn(usize) -> f64 + Sync,
    goals: [f64; 2],
) -> ([Option<f64>; 2], f64) {
    const PART: usize = 1 << 20;
    let buckets = Buckets::new(nearest);
    let sums = nearest
        .par_chunks(PART)
        .enumerate()
        .map(|(c, chunk)| {
            let mut sums = vec![0.0f64; buckets.len];
            for (k, &(_, d)) in chunk.iter().enumerate() {
                sums[buckets.of(d)] += w(c * PART + k);
            }
            sums
        })
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        })
        .expect("non-empty");
    let mut found = [None; 2];
    let mut before = 0.0;
    for (bucket, &sum) in sums.iter().enumerate() {
        let here: Vec<usize> = (0..goals.len())
            .filter(|&g| found[g].is_none() && before + sum >= goals[g])
            .collect();
        if !here.is_empty() {
            let mut members: Vec<u32> = (0..nearest.len() as u32)
                .into_par_iter()
                .with_min_len(1 << 14)
                .filter(|&i| buckets.of(nearest[i as usize].1) == bucket)
                .collect();
            members.sort_unstable_by(|&a, &b| {
                nearest[a as usize]
                    .1
                    .total_cmp(&nearest[b as usize].1)
                    .then(a.cmp(&b))
            });
            let mut acc = before;
            for &i in &members {
                acc += w(i as usize);
                for &g in &here {
                    if found[g].is_none() && acc >= goals[g] {
                        found[g] = Some(nearest[i as usize].1);
                    }
                }
            }
        }
        before += sum;
        if found.iter().all(Option::is_some) {
            break;
        }
    }
    let last = nearest
        .par_iter()
        .with_min_len(1 << 14)
        .map(|n| n.1)
        .reduce(
            || f64::NEG_INFINITY,
            |a, b| if b.total_cmp(&a).is_gt() { b } else { a },
        );
    (found, last)
}

/// Distances in ascending buckets of their ordered bit patterns
/// (`f64::total_cmp`'s order as unsigned integers), about [`SORT_BUCKETS`] of them.
struct Buckets {
    lo: u64,
    shift: u32,
    len: usize,
}

impl Buckets {
    #[inline]
    fn ordered(d: f64) -> u64 {
        let b = d.to_bits();
        if b >> 63 == 1 { !b } else { b | 1 << 63 }
    }

    fn new(nearest: &[(u32, f64)]) -> Self {
        let (lo, hi) = nearest
            .par_iter()
            .with_min_len(1 << 14)
            .map(|&(_, d)| (Self::ordered(d), Self::ordered(d)))
            .reduce(|| (u64::MAX, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
        let mut shift = 0;
        while (hi - lo) >> shift >= SORT_BUCKETS {
            shift += 1;
        }
        Buckets {
            lo,
            shift,
            len: ((hi - lo) >> shift) as usize + 1,
        }
    }

    #[inline]
    fn of(&self, d: f64) -> usize {
        ((Self::ordered(d) - self.lo) >> self.shift) as usize
    }
}

/// Buckets for [`sorted_by_distance`]: about this many, so a bucket's sort
/// works in cache.
const SORT_BUCKETS: u64 = 1 << 16;

/// The points in (distance, index) order, as a full sort gives it, but
/// sorted as buckets of distance: a counting pass puts the points in
/// ascending buckets of the distance's ordered bit pattern (in index order
/// within a bucket), then each bucket is sorted on its own, in parallel.
fn sorted_by_distance(nearest: &[(u32, f64)]) -> Vec<u32> {
    let buckets = Buckets::new(nearest);
    let bucket = |d: f64| buckets.of(d);
    let n_buckets = buckets.len;
    let mut start = vec![0usize; n_buckets + 1];
    for &(_, d) in nearest {
        start[bucket(d) + 1] += 1;
    }
    for b in 0..n_buckets {
        start[b + 1] += start[b];
    }
    let mut order = vec![0u32; nearest.len()];
    let mut fill = start.clone();
    for (i, &(_, d)) in nearest.iter().enumerate() {
        let b = bucket(d);
        order[fill[b]] = i as u32;
        fill[b] += 1;
    }
    drop(fill);
    let mut slices = Vec::with_capacity(n_buckets);
    let mut rest = order.as_mut_slice();
    for b in 0..n_buckets {
        let (head, tail) = rest.split_at_mut(start[b + 1] - start[b]);
        slices.push(head);
        rest = tail;
    }
    slices.into_par_iter().with_min_len(64).for_each(|s| {
        s.sort_unstable_by(|&a, &b| {
            nearest[a as usize]
                .1
                .total_cmp(&nearest[b as usize].1)
                .then(a.cmp(&b))
        });
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Weighted percentiles by a full sort and a walk per share: the definition.
    fn stats_by_full_sort(nearest: &[(u32, f64)], weights: &[f64]) -> (f64, f64, f64) {
        let mut order: Vec<usize> = (0..nearest.len()).collect();
        order.sort_by(|&a, &b| nearest[a].1.total_cmp(&nearest[b].1).then(a.cmp(&b)));
        let total: f64 = weights.iter().sum();
        let quantile = |q: f64| {
            let mut acc = 0.0;
            for &i in &order {
                acc += weights[i];
                if acc >= q * total {
                    return nearest[i].1;
                }
            }
            nearest[*order.last().unwrap()].1
        };
        (
            quantile(0.5),
            quantile(0.9),
            nearest[*order.last().unwrap()].1,
        )
    }

    #[test]
    fn only_whole_weights_with_a_small_total_count_as_exact() {
        assert!(sums_are_exact(&[1.0, 0.0, 3.0], 4.0));
        assert!(!sums_are_exact(&[1.0, 0.5], 1.5));
        assert!(!sums_are_exact(&[1.0, -1.0], 0.0));
        assert!(!sums_are_exact(&[f64::NAN], f64::NAN));
        assert!(!sums_are_exact(&[f64::INFINITY], f64::INFINITY));
        let big = 2f64.powi(52);
        assert!(sums_are_exact(&[big, big - 1.0], 2.0 * big - 1.0));
        assert!(!sums_are_exact(&[big, big], 2.0 * big));
    }

    proptest! {
        #[test]
        fn bucketed_order_is_the_full_sort(
            d in proptest::collection::vec(
                prop_oneof![Just(0.0f64), Just(7.5), 0.0f64..1e4, -1.0f64..1.0, Just(f64::INFINITY), 1e-300f64..1e-290],
                1..3000,
            ),
        ) {
            let nearest: Vec<(u32, f64)> = d.iter().map(|&x| (0, x)).collect();
            let mut want: Vec<u32> = (0..d.len() as u32).collect();
            want.sort_by(|&a, &b| d[a as usize].total_cmp(&d[b as usize]).then(a.cmp(&b)));
            prop_assert_eq!(sorted_by_distance(&nearest), want);
        }

        #[test]
        fn percentiles_with_whole_weights_match_a_full_sort(
            pts in proptest::collection::vec((0.0f64..500.0, 0u32..20), 1..3000),
            coarse in any::<bool>(),
            zero in any::<bool>(),
            big in any::<bool>(),
        ) {
            // Whole weights (large ones too) and all-zero weights (every point
            // counts once) take the bucket walk; the reference sorts everything.
            let nearest: Vec<(u32, f64)> = pts
                .iter()
                .map(|&(d, _)| (0, if coarse { d.floor() } else { d }))
                .collect();
            let scale = if big { 1e11 } else { 1.0 };
            let weights: Vec<f64> = pts
                .iter()
                .map(|p| if zero { 0.0 } else { f64::from(p.1) * scale })
                .collect();
            prop_assume!(zero || weights.iter().sum::<f64>() > 0.0);
            let ones = vec![1.0; weights.len()];
            let counted = if zero { &ones } else { &weights };
            prop_assert!(sums_are_exact(counted, counted.iter().sum()));
            let got = distance_stats(&nearest, &weights).unwrap();
            let (p50, p90, max) = stats_by_full_sort(&nearest, counted);
            prop_assert_eq!((got.p50, got.p90, got.max), (p50, p90, max));
            let total: f64 = counted.iter().sum();
            let goals = [0.5 * total, 0.9 * total];
            let w = |i: usize| counted[i];
            prop_assert_eq!(
                shares_by_buckets(&nearest, w, goals),
                shares_by_full_order(&nearest, w, goals)
            );
        }

        #[test]
        fn percentiles_match_a_full_sort(
            pts in proptest::collection::vec((0.0f64..500.0, 0.0f64..10.0), 1..2000),
            coarse in any::<bool>(),
        ) {
            // Coarse distances give many ties.
            let nearest: Vec<(u32, f64)> = pts
                .iter()
                .map(|&(d, _)| (0, if coarse { d.floor() } else { d }))
                .collect();
            let weights: Vec<f64> = pts.iter().map(|p| p.1).collect();
            prop_assume!(weights.iter().sum::<f64>() > 0.0);
            let got = distance_stats(&nearest, &weights).unwrap();
            let (p50, p90, max) = stats_by_full_sort(&nearest, &weights);
            prop_assert_eq!((got.p50, got.p90, got.max), (p50, p90, max));
        }
    }
}
