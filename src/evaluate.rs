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
    let index = metric.index_for(
        sites,
        demand.points,
        Queries {
            nearest_two: true,
            within: None,
        },
    );
    let n_sites = sites.len();
    let keys: Vec<f64> = radii.iter().map(|r| metric.radius_key(r)).collect();
    let first = keys[0];
    // Per point: nearest open site and its key, and the second nearest's key.
    let (nearest, second): (Vec<(u32, f64)>, Vec<f64>) = demand
        .points
        .par_chunks(CHUNK)
        .flat_map_iter(|chunk| {
            let found = chunk
                .iter()
                .map(|u| match index.nearest_two(u) {
                    (Some((s, key)), second) => ((s, key), second),
                    (None, _) => ((NO_SITE, f64::INFINITY), f64::INFINITY),
                })
                .collect::<Vec<_>>();
            bar.inc(chunk.len() as u64);
            found
        })
        .unzip();

    let partials: Vec<Partial> = (0..demand.points.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let lo = c * CHUNK;
            let hi = (lo + CHUNK).min(demand.points.len());
            let mut p = Partial::zero(radii.len(), n_sites, demand.n_groups);
            for (i, &(s, key)) in nearest.iter().enumerate().take(hi).skip(lo) {
                let w = demand.weights[i];
                p.total += w;
                let second = second[i];
                for (t, &k) in keys.iter().enumerate() {
                    if key <= k {
                        p.tiers_w[t] += w;
                        p.tiers_n[t] += 1;
                    }
                    if second <= k {
                        p.tiers_b[t] += w;
                    }
                }
                if s != NO_SITE {
                    p.site_assigned[s as usize] += w;
                    // Sites within the first radius: each covers the point; the
                    // point is unique to a site when it is the only one. The
                    // nearest two keys already say how many there are unless
                    // both are within it: only then is the index asked.
                    if key > first {
                        // No site covers the point.
                    } else if second > first {
                        p.site_covered[s as usize] += w;
                        p.site_unique[s as usize] += w;
                    } else {
                        index.within(&demand.points[i], first, |j| {
                            p.site_covered[j as usize] += w;
                        });
                    }
                }
                let g = demand.groups.get(i).copied().unwrap_or(u32::MAX);
                if g != u32::MAX {
                    let gt = &mut p.groups[g as usize];
                    gt.total_weight += w;
                    gt.points += 1;
                    if key <= first {
                        gt.covered_weight += w;
                        gt.covered_points += 1;
                    }
                }
            }
            p
        })
        .collect();
    drop(second);

    let mut total = Partial::zero(radii.len(), n_sites, demand.n_groups);
    for p in &partials {
        total.total += p.total;
        for t in 0..radii.len() {
            total.tiers_w[t] += p.tiers_w[t];
            total.tiers_b[t] += p.tiers_b[t];
            total.tiers_n[t] += p.tiers_n[t];
        }
        for s in 0..n_sites {
            total.site_assigned[s] += p.site_assigned[s];
            total.site_covered[s] += p.site_covered[s];
            total.site_unique[s] += p.site_unique[s];
        }
        for (g, pg) in total.groups.iter_mut().zip(&p.groups) {
            g.total_weight += pg.total_weight;
            g.covered_weight += pg.covered_weight;
            g.points += pg.points;
            g.covered_points += pg.covered_points;
        }
    }

    let nearest_key: Vec<f64> = nearest.iter().map(|&(_, key)| key).collect();
    let nearest: Vec<(u32, f64)> = nearest
        .into_iter()
        .map(|(s, key)| {
            (
                s,
                if s == NO_SITE {
                    f64::INFINITY
                } else {
                    metric.distance(key)
                },
            )
        })
        .collect();
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
    let order = sorted_by_distance(nearest);
    let mean = nearest
        .iter()
        .enumerate()
        .map(|(i, (_, d))| w(i) * d)
        .sum::<f64>()
        / total;
    // One walk in (distance, index) order for both shares: the first point at
    // which the running weight reaches each goal.
    let goals = [0.5 * total, 0.9 * total];
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
    Some(DistanceStats {
        mean,
        p50: found[0].unwrap_or(last),
        p90: found[1].unwrap_or(last),
        max: last,
    })
}

/// Buckets for [`sorted_by_distance`]: about this many, so a bucket's sort
/// works in cache.
const SORT_BUCKETS: u64 = 1 << 16;

/// The points in (distance, index) order, as a full sort gives it, but
/// sorted as buckets of distance: a counting pass puts the points in
/// ascending buckets of the distance's ordered bit pattern (in index order
/// within a bucket), then each bucket is sorted on its own, in parallel.
fn sorted_by_distance(nearest: &[(u32, f64)]) -> Vec<u32> {
    // `f64::total_cmp`'s order as unsigned integers.
    let ordered = |d: f64| {
        let b = d.to_bits();
        if b >> 63 == 1 { !b } else { b | 1 << 63 }
    };
    let (lo, hi) = nearest
        .par_iter()
        .with_min_len(1 << 14)
        .map(|&(_, d)| (ordered(d), ordered(d)))
        .reduce(|| (u64::MAX, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    let mut shift = 0;
    while (hi - lo) >> shift >= SORT_BUCKETS {
        shift += 1;
    }
    let bucket = |d: f64| ((ordered(d) - lo) >> shift) as usize;
    let n_buckets = ((hi - lo) >> shift) as usize + 1;
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
