//! p-median: open new sites to minimise the weighted great-circle distance
//! from each demand point to its nearest open site.
//!
//! # Scaling
//! Each demand point keeps only its `K` nearest sites (fixed and candidate), so
//! memory is `O(N K)`, never demand x candidates. A point none of whose `K`
//! nearest sites is open is charged the distance to its K-th nearest site,
//! which is a lower bound on its true cost; the report always re-measures the
//! chosen sites exactly against every open site.
//!
//! # Algorithm
//! Lazy greedy (the distance saved is submodular), then swap local search with
//! the fast-swap gain/loss/extra decomposition (Resende & Werneck 2007),
//! recomputed per round. The lower bound is the Lagrangian relaxation of the
//! assignment constraints (Beasley 1985) with the K-th-nearest "far" option
//! kept, which makes it valid for the unrestricted problem.

use crate::metric::{Metric, SiteIndex};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

const NONE: u32 = u32::MAX;

/// List entries the swap search may visit in all (about 1.5e9: rounds x entries).
const ROUND_BUDGET: u64 = 1_500_000_000;

/// K-nearest lists of sites per demand point.
pub struct NearestLists {
    /// Sites: `0..n_fixed` fixed, the rest candidates.
    pub n_sites: usize,
    /// Number of fixed sites.
    pub n_fixed: usize,
    /// CSR offsets per demand point.
    pub off: Vec<usize>,
    /// Site of each entry.
    pub site: Vec<u32>,
    /// Distance of each entry, km.
    pub dist: Vec<f64>,
    /// Cost per demand point when none of its listed sites is open, km.
    pub far: Vec<f64>,
    /// Weights.
    pub weight: Vec<f64>,
    /// Entries per demand point.
    pub k: usize,
    /// Whether every list holds every site.
    pub complete: bool,
    /// A distance no pair exceeds (the distance model's [`Metric::farthest_among`]).
    pub farthest: f64,
    /// The demand point of each entry, when lists differ in length (a sparse
    /// cost matrix lists only the sites a point can reach); `None` when every
    /// list holds exactly `k` entries.
    pub owner: Option<Vec<u32>>,
    /// Reverse lists: for each site, the entry indices (into `site`/`dist`) that name it.
    pub rev_off: Vec<usize>,
    /// Entry indices.
    pub rev: Vec<u32>,
}

impl NearestLists {
    /// Builds the lists: `sites` are fixed first (`n_fixed` of them), then candidates.
    pub fn build<M: Metric>(
        metric: &M,
        demand: &[M::Point],
        weights: &[f64],
        sites: &[M::Point],
        n_fixed: usize,
        k: usize,
    ) -> Self {
        let index = metric.index(sites);
        let farthest = metric.farthest_among(demand, sites);
        let k = k.min(sites.len());
        let complete = k == sites.len();
        let per: Vec<Vec<(u32, f64)>> = demand
            .par_chunks(2048)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|u| {
                        index
                            .nearest_k(u, k)
                            .into_iter()
                            .map(|(s, key)| (s, metric.distance(key)))
                            .collect()
                    })
                    .collect::<Vec<Vec<(u32, f64)>>>()
            })
            .flatten_iter()
            .collect();
        let mut off = Vec::with_capacity(demand.len() + 1);
        off.push(0);
        let mut site = Vec::with_capacity(demand.len() * k);
        let mut dist = Vec::with_capacity(demand.len() * k);
        let mut far = Vec::with_capacity(demand.len());
        let ragged = per.iter().any(|l| l.len() != k);
        for list in per {
            // Any valid far cost works when the list is complete; the farthest distance is the
            // largest possible. A list shorter than `k` holds every site the point can reach
            // (a sparse cost matrix): the rest are unreachable, never as near as its last entry.
            far.push(if complete || list.len() < k {
                farthest
            } else {
                list.last().map_or(0.0, |e| e.1)
            });
            for (s, d) in list {
                site.push(s);
                dist.push(d);
            }
            off.push(site.len());
        }
        let mut rev_off = vec![0usize; sites.len() + 1];
        for &s in &site {
            rev_off[s as usize + 1] += 1;
        }
        for j in 0..sites.len() {
            rev_off[j + 1] += rev_off[j];
        }
        let mut fill = rev_off.clone();
        let mut rev = vec![0u32; site.len()];
        for (e, &s) in site.iter().enumerate() {
            rev[fill[s as usize]] = e as u32;
            fill[s as usize] += 1;
        }
        let owner = ragged.then(|| {
            (0..off.len() - 1)
                .flat_map(|i| std::iter::repeat_n(i as u32, off[i + 1] - off[i]))
                .collect()
        });
        NearestLists {
            owner,
            n_sites: sites.len(),
            n_fixed,
            off,
            site,
            dist,
            far,
            weight: weights.to_vec(),
            k: k.max(1),
            complete,
            farthest,
            rev_off,
            rev,
        }
    }

    #[inline]
    fn demand_of_entry(&self, e: usize) -> usize {
        match &self.owner {
            Some(owner) => owner[e] as usize,
            // Every list holds exactly `k` entries, laid out in demand order.
            None => e / self.k,
        }
    }

    /// Weighted cost of an open set under the lists' model.
    pub fn cost(&self, open: &[bool]) -> f64 {
        (0..self.far.len())
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| self.weight[i] * self.nearest_two(i, open).1)
            .collect::<Vec<f64>>()
            .iter()
            .sum()
    }

    /// (nearest open site, its distance, second distance) for point `i`.
    fn nearest_two(&self, i: usize, open: &[bool]) -> (u32, f64, f64) {
        let mut first = (NONE, self.far[i]);
        let mut second = self.far[i];
        for e in self.off[i]..self.off[i + 1] {
            let s = self.site[e];
            if open[s as usize] {
                let d = self.dist[e];
                if first.0 == NONE {
                    first = (s, d.min(self.far[i]));
                } else {
                    second = d.min(self.far[i]);
                    break;
                }
            }
        }
        (first.0, first.1, second)
    }
}

#[derive(PartialEq)]
struct Key(f64, u32);
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Key {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

/// Lazy greedy: opens `p` candidates, each saving the most weighted distance.
pub fn greedy(nl: &NearestLists, p: usize, allowed: &[bool]) -> Vec<u32> {
    let mut open = vec![false; nl.n_sites];
    open[..nl.n_fixed].iter_mut().for_each(|o| *o = true);
    // Points with no open listed site start at the largest possible distance, so
    // the greedy is drawn to remote demand rather than ignoring it.
    let unreached = nl.farthest;
    let mut cur: Vec<f64> = (0..nl.far.len())
        .map(|i| match nl.nearest_two(i, &open) {
            (NONE, _, _) => unreached,
            (_, d, _) => d,
        })
        .collect();
    let gain = |cur: &[f64], j: usize| -> f64 {
        nl.rev[nl.rev_off[j]..nl.rev_off[j + 1]]
            .iter()
            .map(|&e| {
                let i = nl.demand_of_entry(e as usize);
                nl.weight[i] * (cur[i] - nl.dist[e as usize]).max(0.0)
            })
            .sum()
    };
    let mut heap: BinaryHeap<Key> = (nl.n_fixed..nl.n_sites)
        .filter(|&j| allowed[j - nl.n_fixed])
        .map(|j| Key(gain(&cur, j), j as u32))
        .collect();
    let mut chosen = Vec::new();
    while chosen.len() < p {
        let Some(Key(_, j)) = heap.pop() else { break };
        let g = gain(&cur, j as usize);
        if let Some(top) = heap.peek()
            && Key(g, j) < *top
        {
            heap.push(Key(g, j));
            continue;
        }
        open[j as usize] = true;
        for &e in &nl.rev[nl.rev_off[j as usize]..nl.rev_off[j as usize + 1]] {
            let i = nl.demand_of_entry(e as usize);
            cur[i] = cur[i].min(nl.dist[e as usize]);
        }
        chosen.push(j);
    }
    chosen
}

/// Swap local search; returns the open candidates (site indices) and the number of moves.
///
/// `demand` and `units` (of all sites) let points whose listed sites are all
/// closed be charged their true nearest open distance.
pub fn local_search<M: Metric>(
    metric: &M,
    nl: &NearestLists,
    demand: &[M::Point],
    units: &[M::Point],
    start: &[u32],
    allowed: &[bool],
    deadline: Instant,
) -> (Vec<u32>, u64, bool) {
    let ns = nl.n_sites;
    let mut open = vec![false; ns];
    open[..nl.n_fixed].iter_mut().for_each(|o| *o = true);
    for &j in start {
        open[j as usize] = true;
    }
    let n = nl.far.len();
    let mut moves = 0;
    let mut timed_out = false;
    let total_cost_scale = nl.cost(&open).max(1e-300);
    let mut prev: Option<(f64, u32, u32)> = None;
    // A round visits every list entry a few times; cap the rounds by that work, so the
    // answer is the same on any machine (the deadline is only a safety stop).
    let max_rounds = (ROUND_BUDGET / nl.site.len().max(1) as u64).clamp(30, 100_000);
    let mut rounds = 0u64;
    loop {
        if Instant::now() >= deadline {
            timed_out = true;
            break;
        }
        rounds += 1;
        if rounds > max_rounds {
            break;
        }
        // Points none of whose listed sites is open are charged their true distance
        // to the nearest open site, so remote demand is not ignored.
        let open_sites: Vec<u32> = (0..ns as u32).filter(|&j| open[j as usize]).collect();
        let open_index = metric.index(
            &open_sites
                .iter()
                .map(|&j| units[j as usize])
                .collect::<Vec<_>>(),
        );
        let near: Vec<(u32, f64, f64)> = (0..n)
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| {
                let (s, d1, d2) = nl.nearest_two(i, &open);
                if s == NONE && !nl.complete {
                    let d = open_index
                        .nearest(&demand[i])
                        .map_or(d1, |(_, key)| metric.distance(key));
                    (NONE, d, d)
                } else {
                    (s, d1, d2)
                }
            })
            .collect();
        // The profit of a swap is estimated; undo one that did not really pay, and stop.
        let cost: f64 = near.iter().zip(&nl.weight).map(|(n, w)| w * n.1).sum();
        if let Some((before, out, inn)) = prev
            && cost >= before - 1e-12 * before.abs()
        {
            open[inn as usize] = false;
            open[out as usize] = true;
            moves -= 1;
            break;
        }
        // gain of closed candidates; loss of open, non-fixed ones.
        let score: Vec<f64> = (0..ns)
            .into_par_iter()
            .with_min_len(64)
            .map(|j| {
                if j < nl.n_fixed || (!open[j] && !allowed[j - nl.n_fixed]) {
                    return f64::NEG_INFINITY;
                }
                if open[j] {
                    0.0
                } else {
                    nl.rev[nl.rev_off[j]..nl.rev_off[j + 1]]
                        .iter()
                        .map(|&e| {
                            let i = nl.demand_of_entry(e as usize);
                            nl.weight[i] * (near[i].1 - nl.dist[e as usize]).max(0.0)
                        })
                        .sum()
                }
            })
            .collect();
        // Demand points grouped by their nearest open site.
        let mut by_site: Vec<Vec<u32>> = vec![Vec::new(); ns];
        for (i, &(s, _, _)) in near.iter().enumerate() {
            if s != NONE {
                by_site[s as usize].push(i as u32);
            }
        }
        let open_free: Vec<u32> = (nl.n_fixed as u32..ns as u32)
            .filter(|&j| open[j as usize])
            .collect();
        let mut best_gain: (f64, u32) = (f64::NEG_INFINITY, NONE);
        for j in nl.n_fixed..ns {
            if !open[j] && score[j] > best_gain.0 {
                best_gain = (score[j], j as u32);
            }
        }
        if best_gain.1 == NONE {
            break;
        }
        // At most 8 work units per round, so each allocates its buffers once.
        let best = open_free
            .par_iter()
            .with_min_len(open_free.len().div_ceil(8).max(1))
            .map_init(
                || (vec![0.0f64; ns], Vec::<u32>::new()),
                |(extra, touched), &out| {
                    let mut loss = 0.0;
                    for &i in &by_site[out as usize] {
                        let i = i as usize;
                        let (_, d1, d2) = near[i];
                        let w = nl.weight[i];
                        loss += w * (d2 - d1);
                        for e in nl.off[i]..nl.off[i + 1] {
                            let s = nl.site[e] as usize;
                            let d = nl.dist[e];
                            if d >= d2 {
                                break;
                            }
                            if !open[s] && score[s] > f64::NEG_INFINITY {
                                if extra[s] == 0.0 {
                                    touched.push(s as u32);
                                }
                                extra[s] += w * (d2 - d.max(d1));
                            }
                        }
                    }
                    let mut best = (
                        score[best_gain.1 as usize] + extra[best_gain.1 as usize],
                        best_gain.1,
                    );
                    for &s in touched.iter() {
                        let p = score[s as usize] + extra[s as usize];
                        if p > best.0 || (p == best.0 && s < best.1) {
                            best = (p, s);
                        }
                        extra[s as usize] = 0.0;
                    }
                    touched.clear();
                    (best.0 - loss, out, best.1)
                },
            )
            .reduce(|| (f64::NEG_INFINITY, NONE, NONE), super::better_move);
        let (profit, out, inn) = best;
        if profit.partial_cmp(&(1e-12 * total_cost_scale)) != Some(Ordering::Greater) || inn == NONE
        {
            break;
        }
        open[out as usize] = false;
        open[inn as usize] = true;
        moves += 1;
        prev = Some((cost, out, inn));
    }
    let chosen = (nl.n_fixed as u32..ns as u32)
        .filter(|&j| open[j as usize])
        .collect();
    (chosen, moves, timed_out)
}

/// Lagrangian lower bound on the weighted distance with `p` new sites.
///
/// `upper` (a heuristic's cost) steers the step; `solution` seeds the multipliers.
pub fn lower_bound(
    nl: &NearestLists,
    p: usize,
    allowed: &[bool],
    solution: &[u32],
    upper: f64,
    max_iters: u32,
    deadline: Instant,
) -> f64 {
    let n = nl.far.len();
    let mut open = vec![false; nl.n_sites];
    open[..nl.n_fixed].iter_mut().for_each(|o| *o = true);
    for &j in solution {
        open[j as usize] = true;
    }
    // λ_i starts at the point's cost under the heuristic (slightly raised so the relaxed choice is informative).
    let mut lambda: Vec<f64> = (0..n)
        .map(|i| nl.weight[i] * nl.nearest_two(i, &open).1 * 1.1)
        .collect();
    let mut best = f64::NEG_INFINITY;
    let mut theta = 1.0;
    let mut since = 0;
    for _ in 0..max_iters {
        // ρ_j = Σ_i min(0, w_i d_ij - λ_i)
        let rho: Vec<f64> = (0..nl.n_sites)
            .into_par_iter()
            .with_min_len(64)
            .map(|j| {
                nl.rev[nl.rev_off[j]..nl.rev_off[j + 1]]
                    .iter()
                    .map(|&e| {
                        let i = nl.demand_of_entry(e as usize);
                        (nl.weight[i] * nl.dist[e as usize] - lambda[i]).min(0.0)
                    })
                    .sum()
            })
            .collect();
        let mut free: Vec<u32> = (nl.n_fixed as u32..nl.n_sites as u32)
            .filter(|&j| allowed[j as usize - nl.n_fixed] && rho[j as usize] < 0.0)
            .collect();
        if free.len() > p {
            free.select_nth_unstable_by(p, |&a, &b| {
                rho[a as usize].total_cmp(&rho[b as usize]).then(a.cmp(&b))
            });
            free.truncate(p);
        }
        let mut y = vec![false; nl.n_sites];
        y[..nl.n_fixed].iter_mut().for_each(|o| *o = true);
        for &j in &free {
            y[j as usize] = true;
        }
        let site_part: f64 = (0..nl.n_sites).filter(|&j| y[j]).map(|j| rho[j]).sum();
        let point_part: f64 = (0..n)
            .map(|i| lambda[i] + (nl.weight[i] * nl.far[i] - lambda[i]).min(0.0))
            .sum();
        let l = site_part + point_part;
        if !best.is_finite() || l > best + 1e-12 * best.abs() {
            best = l;
            since = 0;
        } else {
            since += 1;
            if since >= 20 {
                theta /= 2.0;
                since = 0;
            }
        }
        if upper - best <= 1e-9 * upper.abs() || theta < 1e-6 || Instant::now() >= deadline {
            break;
        }
        // Subgradient: 1 - (assignments of i in the relaxed solution).
        let g: Vec<f64> = (0..n)
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| {
                let mut c = if nl.weight[i] * nl.far[i] < lambda[i] {
                    1.0
                } else {
                    0.0
                };
                for e in nl.off[i]..nl.off[i + 1] {
                    if y[nl.site[e] as usize] && nl.weight[i] * nl.dist[e] < lambda[i] {
                        c += 1.0;
                    }
                }
                1.0 - c
            })
            .collect();
        let norm: f64 = g.iter().map(|x| x * x).sum();
        if norm == 0.0 {
            break;
        }
        let step = theta * (upper - l).max(1e-9 * upper.abs()) / norm;
        lambda
            .par_iter_mut()
            .zip(&g)
            .for_each(|(l, g)| *l += step * g);
    }
    best.max(0.0)
}
