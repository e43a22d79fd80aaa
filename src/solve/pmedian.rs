//! p-median: open new sites to minimise the weighted distance from each
//! demand point to its nearest open site.
//!
//! # Scaling
//! Each demand point starts with only its `K` nearest sites (fixed and
//! candidate), so memory is `O(N K)`, never demand x candidates. The lists
//! are a shortcut, never an approximation: a point whose list does not hold
//! its two nearest open sites (the search) or every site nearer than its
//! multiplier (the bound) has its list extended ([`Rows`]), so every cost the
//! search compares and every term of the bound is exact over all sites.
//!
//! # Algorithm
//! Lazy greedy and seeded randomised greedy starts, each improved by
//! Resende & Werneck's fast swap ([`FastSwap`]: nearest and second-nearest
//! open site per point, per-candidate gain, per-site loss and the pairwise
//! `extra`, updated only for the points a swap affects), then path relinking
//! between the best local optimum and the others ([`search`]). The lower bound
//! is the Lagrangian relaxation of the assignment constraints (Beasley 1985)
//! on the untruncated problem ([`lower_bound`]).

use super::mclp::SplitMix;
use crate::metric::{Metric, SiteIndex};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

const NONE: u32 = u32::MAX;

/// List length for the points whose lists are built after the deadline.
pub const SHORT_K: usize = 8;

/// A relink's result: the best solution searched from its path (cost, open
/// candidates), if the path held one.
type Relinked = Option<(f64, Vec<u32>)>;

/// An extended list: sites, distances, and whether it holds every reachable site.
type Extended = (Vec<u32>, Vec<f64>, bool);

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
    /// Whether point `i`'s list holds every site it can reach.
    pub full: Vec<bool>,
    /// A distance no pair exceeds (the distance model's [`Metric::farthest_among`]).
    pub farthest: f64,
    /// The demand point of each entry, when lists differ in length (a sparse
    /// cost matrix lists only the sites a point can reach); `None` when every
    /// list holds exactly `k` entries.
    pub owner: Option<Vec<u32>>,
    /// Points whose lists were cut to [`SHORT_K`] sites by the deadline of
    /// [`NearestLists::build_until`].
    pub cut: usize,
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
        let later = Instant::now() + std::time::Duration::from_secs(86_400 * 365);
        Self::build_until(metric, demand, weights, sites, n_fixed, k, later)
    }

    /// As [`NearestLists::build`], but the chunks of points begun after
    /// `deadline` get lists of at most [`SHORT_K`] sites (the lists are only
    /// a shortcut: a short list is extended where it is too short, and the
    /// cost of a truncated list never undercuts the exact one).
    /// [`NearestLists::cut`] says how many points got short lists.
    pub fn build_until<M: Metric>(
        metric: &M,
        demand: &[M::Point],
        weights: &[f64],
        sites: &[M::Point],
        n_fixed: usize,
        k: usize,
        deadline: Instant,
    ) -> Self {
        let index = metric.index(sites);
        let farthest = metric.farthest_among(demand, sites);
        let k = k.min(sites.len());
        let complete = k == sites.len();
        let short = SHORT_K.min(k);
        // (list, the length asked for) per point, in point order whatever the thread count.
        let per: Vec<(Vec<(u32, f64)>, usize)> = demand
            .par_chunks(512)
            .map(|chunk| {
                let want = if Instant::now() >= deadline { short } else { k };
                chunk
                    .iter()
                    .map(|u| {
                        let list = index
                            .nearest_k(u, want)
                            .into_iter()
                            .map(|(s, key)| (s, metric.distance(key)))
                            .collect();
                        (list, want)
                    })
                    .collect::<Vec<_>>()
            })
            .flatten_iter()
            .collect();
        let cut = per.iter().filter(|l| l.1 < k).count();
        let mut off = Vec::with_capacity(demand.len() + 1);
        off.push(0);
        let mut site = Vec::with_capacity(demand.len() * k);
        let mut dist = Vec::with_capacity(demand.len() * k);
        let mut far = Vec::with_capacity(demand.len());
        let ragged = per.iter().any(|l| l.0.len() != k);
        // A list shorter than asked for holds every site the point can reach
        // (a sparse cost matrix): the rest are unreachable, never as near as its last entry.
        let full: Vec<bool> = per
            .iter()
            .map(|(l, want)| *want == sites.len() || l.len() < *want)
            .collect();
        for (i, (list, _)) in per.into_iter().enumerate() {
            // Any valid far cost works when the list is complete; the farthest distance is the
            // largest possible.
            far.push(if full[i] {
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
            cut,
            n_sites: sites.len(),
            n_fixed,
            off,
            site,
            dist,
            far,
            weight: weights.to_vec(),
            k: k.max(1),
            complete: complete && cut == 0,
            full,
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

    /// Replaces the lists of the points a search extended by their longer
    /// ones, so later searches start from them (the lists become ragged).
    pub fn absorb(&mut self, long: Vec<(usize, Vec<u32>, Vec<f64>, bool)>) {
        if long.is_empty() {
            return;
        }
        let n = self.far.len();
        let mut by_point: Vec<Option<Extended>> = vec![None; n];
        for (i, s, d, c) in long {
            by_point[i] = Some((s, d, c));
        }
        let mut off = Vec::with_capacity(n + 1);
        off.push(0);
        let mut site = Vec::with_capacity(self.site.len());
        let mut dist = Vec::with_capacity(self.dist.len());
        for (i, l) in by_point.iter().enumerate() {
            match l {
                Some((s, d, c)) => {
                    site.extend_from_slice(s);
                    dist.extend_from_slice(d);
                    self.full[i] = *c;
                    self.far[i] = if *c {
                        self.farthest
                    } else {
                        d.last().copied().unwrap_or(self.farthest)
                    };
                }
                None => {
                    site.extend_from_slice(&self.site[self.off[i]..self.off[i + 1]]);
                    dist.extend_from_slice(&self.dist[self.off[i]..self.off[i + 1]]);
                }
            }
            off.push(site.len());
        }
        self.off = off;
        self.site = site;
        self.dist = dist;
        self.owner = Some(
            (0..n)
                .flat_map(|i| std::iter::repeat_n(i as u32, self.off[i + 1] - self.off[i]))
                .collect(),
        );
        let ns = self.n_sites;
        let mut rev_off = vec![0usize; ns + 1];
        for &s in &self.site {
            rev_off[s as usize + 1] += 1;
        }
        for j in 0..ns {
            rev_off[j + 1] += rev_off[j];
        }
        let mut fill = rev_off.clone();
        let mut rev = vec![0u32; self.site.len()];
        for (e, &s) in self.site.iter().enumerate() {
            rev[fill[s as usize]] = e as u32;
            fill[s as usize] += 1;
        }
        self.rev_off = rev_off;
        self.rev = rev;
    }

    /// Extends, in parallel, the lists of the points that do not hold two of
    /// the open sites (the fixed ones and `set`), doubling each as
    /// [`FastSwap`] would one at a time, and keeps the longer lists: the
    /// fast-swap set-up that follows finds every point's two nearest open
    /// sites on the lists, instead of extending them one by one.
    pub fn extend_for<M: Metric>(&mut self, src: &Source<'_, M>, set: &[u32]) {
        let ns = self.n_sites;
        let mut open = vec![false; ns];
        open[..self.n_fixed].iter_mut().for_each(|o| *o = true);
        set.iter().for_each(|&j| open[j as usize] = true);
        let holds_two = |s: &[u32]| s.iter().filter(|&&j| open[j as usize]).take(2).count() == 2;
        let short: Vec<usize> = (0..self.far.len())
            .filter(|&i| !self.full[i] && !holds_two(&self.site[self.off[i]..self.off[i + 1]]))
            .collect();
        let long: Vec<(usize, Vec<u32>, Vec<f64>, bool)> = short
            .par_iter()
            .with_max_len(64)
            .map(|&i| {
                let mut len = self.off[i + 1] - self.off[i];
                loop {
                    let want = (len * 2).max(16).min(ns);
                    let list = src.nearest(i, want);
                    let complete = list.len() < want || want >= ns;
                    let (site, dist): (Vec<u32>, Vec<f64>) = list.into_iter().unzip();
                    if complete || holds_two(&site) {
                        return (i, site, dist, complete);
                    }
                    len = site.len();
                }
            })
            .collect();
        self.absorb(long);
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
        .into_par_iter()
        .with_min_len(64)
        .filter(|&j| allowed[j - nl.n_fixed])
        .map(|j| Key(gain(&cur, j), j as u32))
        .collect::<Vec<Key>>()
        .into();
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

/// Randomised greedy for the multi-start search (Resende & Werneck's "sample"
/// construction): each step evaluates a random sample of the unopened
/// candidates on the lists and opens the best of them.
pub fn sample_greedy(nl: &NearestLists, p: usize, allowed: &[bool], seed: u64) -> Vec<u32> {
    let mut rng = SplitMix(seed);
    let mut open = vec![false; nl.n_sites];
    open[..nl.n_fixed].iter_mut().for_each(|o| *o = true);
    let unreached = nl.farthest;
    let mut cur: Vec<f64> = (0..nl.far.len())
        .map(|i| match nl.nearest_two(i, &open) {
            (NONE, _, _) => unreached,
            (_, d, _) => d,
        })
        .collect();
    let mut pool: Vec<u32> = (nl.n_fixed..nl.n_sites)
        .filter(|&j| allowed[j - nl.n_fixed])
        .map(|j| j as u32)
        .collect();
    let ratio = (pool.len() as f64 / p.max(1) as f64).max(2.0);
    let sample = (ratio.log2().ceil() as usize).max(2);
    let mut chosen = Vec::with_capacity(p);
    while chosen.len() < p && !pool.is_empty() {
        let q = sample.min(pool.len());
        // Move q random members of the pool to its front.
        for t in 0..q {
            let k = t + rng.below(pool.len() - t);
            pool.swap(t, k);
        }
        let mut best = (f64::NEG_INFINITY, 0usize);
        for (t, &j) in pool[..q].iter().enumerate() {
            let g: f64 = nl.rev[nl.rev_off[j as usize]..nl.rev_off[j as usize + 1]]
                .iter()
                .map(|&e| {
                    let i = nl.demand_of_entry(e as usize);
                    nl.weight[i] * (cur[i] - nl.dist[e as usize]).max(0.0)
                })
                .sum();
            if g > best.0 || (g == best.0 && j < pool[best.1]) {
                best = (g, t);
            }
        }
        let j = pool.swap_remove(best.1);
        for &e in &nl.rev[nl.rev_off[j as usize]..nl.rev_off[j as usize + 1]] {
            let i = nl.demand_of_entry(e as usize);
            cur[i] = cur[i].min(nl.dist[e as usize]);
        }
        chosen.push(j);
    }
    chosen
}

/// The demand points and sites of a run, with the sites indexed once, from
/// which a point's candidate list is extended when the search or the bound
/// needs sites beyond its first `K`.
pub struct Source<'a, M: Metric> {
    metric: &'a M,
    demand: &'a [M::Point],
    sites: &'a [M::Point],
    index: M::Index<'a>,
}

impl<'a, M: Metric> Source<'a, M> {
    /// Indexes `sites` (fixed first, then candidates, as in [`NearestLists`]).
    pub fn new(metric: &'a M, demand: &'a [M::Point], sites: &'a [M::Point]) -> Self {
        Source {
            metric,
            demand,
            sites,
            index: metric.index(sites),
        }
    }

    /// Number of sites (fixed and candidates).
    pub fn n_sites(&self) -> usize {
        self.sites.len()
    }

    /// Every site demand point `i` can reach, nearest first, ties by index.
    pub fn all_sites(&self, i: usize) -> Vec<(u32, f64)> {
        self.nearest(i, self.sites.len())
    }

    /// The `k` nearest reachable sites of demand point `i`, nearest first, ties by index.
    fn nearest(&self, i: usize, k: usize) -> Vec<(u32, f64)> {
        if 4 * k >= self.sites.len() {
            // A large share of the sites: measuring all and sorting beats the tree walk.
            let u = &self.demand[i];
            let mut all: Vec<(u32, f64)> = self
                .sites
                .iter()
                .enumerate()
                .map(|(j, s)| (j as u32, self.metric.key_between(u, s)))
                .filter(|e| e.1.is_finite())
                .collect();
            all.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            all.truncate(k);
            return all
                .into_iter()
                .map(|(s, key)| (s, self.metric.distance(key)))
                .collect();
        }
        self.index
            .nearest_k(&self.demand[i], k)
            .into_iter()
            .map(|(s, key)| (s, self.metric.distance(key)))
            .collect()
    }
}

impl<M: Metric> Source<'_, M> {
    /// Each point's distance to its nearest open site (the fixed sites, the
    /// first `n_fixed`, and `set`), at most `farthest`, and the weighted sum:
    /// exact over every site, from an index of the open sites only, so it
    /// needs no list and no time beyond one nearest query per point.
    pub fn evaluate(
        &self,
        weight: &[f64],
        n_fixed: usize,
        set: &[u32],
        farthest: f64,
    ) -> (f64, Vec<f64>) {
        let ids: Vec<u32> = (0..n_fixed as u32).chain(set.iter().copied()).collect();
        let open: Vec<M::Point> = ids.iter().map(|&j| self.sites[j as usize]).collect();
        let index = self.metric.index(&open);
        let near: Vec<f64> = self
            .demand
            .par_iter()
            .with_min_len(1024)
            .map(|u| {
                index
                    .nearest(u)
                    .map_or(farthest, |(_, key)| self.metric.distance(key).min(farthest))
            })
            .collect();
        // Summed in point order, as [`FastSwap::cost`] does.
        let cost = near.iter().zip(weight).map(|(d, w)| w * d).sum();
        (cost, near)
    }
}

/// A point's list after it was extended beyond the shared lists.
struct Long {
    site: Vec<u32>,
    dist: Vec<f64>,
    complete: bool,
}

/// Each demand point's sites, nearest first: the shared K-nearest lists, with
/// the points whose search needs more sites extended (doubling, up to every
/// reachable site). A list holds every site nearer than its last entry, so a
/// point whose list holds its two nearest open sites (or every site) is
/// evaluated exactly: the truncation never changes a cost.
pub struct Rows<'s, 'a, M: Metric> {
    nl: &'s NearestLists,
    src: &'s Source<'a, M>,
    long_of: Vec<u32>,
    long: Vec<Long>,
    rev_long: Vec<Vec<(u32, f64)>>,
    /// Entries held by the extended lists, in all.
    entries: usize,
}

impl<'s, 'a, M: Metric> Rows<'s, 'a, M> {
    /// The shared lists, none extended yet.
    pub fn new(nl: &'s NearestLists, src: &'s Source<'a, M>) -> Self {
        Rows {
            nl,
            src,
            long_of: vec![NONE; nl.far.len()],
            long: Vec::new(),
            rev_long: vec![Vec::new(); nl.n_sites],
            entries: 0,
        }
    }

    /// Points whose lists were extended.
    pub fn extended(&self) -> usize {
        self.long.len()
    }

    /// The extended lists, as (point, sites, distances, complete).
    fn into_long(self) -> Vec<(usize, Vec<u32>, Vec<f64>, bool)> {
        let mut out = Vec::with_capacity(self.long.len());
        let mut long: Vec<Option<Long>> = self.long.into_iter().map(Some).collect();
        for (i, &l) in self.long_of.iter().enumerate() {
            if l != NONE {
                let r = long[l as usize]
                    .take()
                    .expect("each extended list belongs to one point");
                out.push((i, r.site, r.dist, r.complete));
            }
        }
        out
    }

    /// The sites, distances and completeness of point `i`'s list.
    #[inline]
    fn row(&self, i: usize) -> (&[u32], &[f64], bool) {
        let l = self.long_of[i];
        if l == NONE {
            let (a, b) = (self.nl.off[i], self.nl.off[i + 1]);
            (&self.nl.site[a..b], &self.nl.dist[a..b], self.nl.full[i])
        } else {
            let r = &self.long[l as usize];
            (&r.site, &r.dist, r.complete)
        }
    }

    /// Doubles point `i`'s list (at least 16 sites, at most all of them).
    fn extend(&mut self, i: usize) {
        let (s, _, complete) = self.row(i);
        if complete {
            return;
        }
        let old = s.len();
        let want = (old * 2).max(16).min(self.nl.n_sites);
        let list = self.src.nearest(i, want);
        let complete = list.len() < want || want >= self.nl.n_sites;
        self.store(i, &list, old, complete);
    }

    /// Makes `list` (nearest first) point `i`'s list, of which the first
    /// `old` entries were already listed.
    fn store(&mut self, i: usize, list: &[(u32, f64)], old: usize, complete: bool) {
        for &(j, d) in &list[old.min(list.len())..] {
            self.rev_long[j as usize].push((i as u32, d));
        }
        let long = Long {
            site: list.iter().map(|e| e.0).collect(),
            dist: list.iter().map(|e| e.1).collect(),
            complete,
        };
        self.entries += long.site.len();
        if self.long_of[i] == NONE {
            self.long_of[i] = self.long.len() as u32;
            self.long.push(long);
        } else {
            let was = std::mem::replace(&mut self.long[self.long_of[i] as usize], long);
            self.entries -= was.site.len();
        }
    }

    /// Extends point `i`'s list to every site within `radius` (and a quarter
    /// more, so that a slowly growing radius rarely extends it again).
    fn extend_to(&mut self, i: usize, radius: f64) {
        let (s, _, complete) = self.row(i);
        if complete {
            return;
        }
        let old = s.len();
        let reach = radius * 1.25;
        let list = if reach >= self.nl.farthest {
            self.src.nearest(i, self.nl.n_sites)
        } else {
            let src = self.src;
            let u = &src.demand[i];
            let mut found = Vec::new();
            src.index
                .within(u, src.metric.key(reach), |j| found.push(j));
            let mut list: Vec<(u32, f64)> = found
                .into_iter()
                .map(|j| (j, src.metric.key_between(u, &src.sites[j as usize])))
                .collect();
            list.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            list.into_iter()
                .map(|(j, key)| (j, src.metric.distance(key)))
                .collect()
        };
        if list.len() <= old {
            // Nothing new within reach (only possible through rounding): take the next size up.
            self.extend(i);
            return;
        }
        let complete = list.len() >= self.nl.n_sites || reach >= self.nl.farthest;
        self.store(i, &list, old, complete);
    }

    /// Calls `f(point, distance)` for every list entry naming site `j`.
    #[inline]
    fn rev_each(&self, j: usize, mut f: impl FnMut(usize, f64)) {
        let nl = self.nl;
        for &e in &nl.rev[nl.rev_off[j]..nl.rev_off[j + 1]] {
            f(nl.demand_of_entry(e as usize), nl.dist[e as usize]);
        }
        for &(i, d) in &self.rev_long[j] {
            f(i as usize, d);
        }
    }
}

/// Resende & Werneck's fast swap: each point's nearest and second-nearest
/// open site, and the swap profit split into a per-candidate gain, a per-open
/// site loss and an `extra` term per (open, candidate) pair, all kept up to
/// date for the points a swap affects only.
///
/// For a swap (close `r`, open `j`): `profit = gain[j] - loss[r] + extra[r][j]`
/// with `gain[j] = Σ w (d1 - d(j))⁺`, `loss[r] = Σ_{φ1 = r} w (d2 - d1)` and
/// `extra[r][j] = Σ_{φ1 = r, d(j) < d2} w (d2 - max(d(j), d1))`.
pub struct FastSwap<'s, 'a, M: Metric> {
    rows: Rows<'s, 'a, M>,
    allowed: &'s [bool],
    nf: usize,
    ns: usize,
    far: f64,
    open: Vec<bool>,
    c1: Vec<u32>,
    d1: Vec<f64>,
    c2: Vec<u32>,
    d2: Vec<f64>,
    gain: Vec<f64>,
    loss: Vec<f64>,
    slot_of: Vec<u32>,
    slot_site: Vec<u32>,
    extra: Vec<f64>,
    listed: Vec<bool>,
    touched: Vec<Vec<u32>>,
    mark: Vec<bool>,
    tiny: f64,
}

impl<'s, 'a, M: Metric> FastSwap<'s, 'a, M> {
    /// The state with the fixed sites and `start` (candidate sites, as site indices) open.
    pub fn new(
        nl: &'s NearestLists,
        src: &'s Source<'a, M>,
        allowed: &'s [bool],
        start: &[u32],
    ) -> Self {
        Self::new_until(nl, src, allowed, start, None)
            .expect("only a deadline abandons the construction")
    }

    /// As [`FastSwap::new`], abandoned (`None`) once `deadline` passes: on a
    /// large instance, finding every point's two nearest open sites on the
    /// lists (extending those that lack them) is itself long.
    pub fn new_until(
        nl: &'s NearestLists,
        src: &'s Source<'a, M>,
        allowed: &'s [bool],
        start: &[u32],
        deadline: Option<Instant>,
    ) -> Option<Self> {
        let (n, ns, nf) = (nl.far.len(), nl.n_sites, nl.n_fixed);
        let mut open = vec![false; ns];
        open[..nf].iter_mut().for_each(|o| *o = true);
        let mut slot_of = vec![NONE; ns];
        let mut slot_site = Vec::new();
        for &j in start {
            if !open[j as usize] {
                open[j as usize] = true;
                slot_of[j as usize] = slot_site.len() as u32;
                slot_site.push(j);
            }
        }
        let slots = slot_site.len();
        let mut s = FastSwap {
            rows: Rows::new(nl, src),
            allowed,
            nf,
            ns,
            far: nl.farthest,
            open,
            c1: vec![NONE; n],
            d1: vec![0.0; n],
            c2: vec![NONE; n],
            d2: vec![0.0; n],
            gain: vec![0.0; ns],
            loss: vec![0.0; ns],
            slot_of,
            slot_site,
            extra: vec![0.0; slots * ns],
            listed: vec![false; slots * ns],
            touched: vec![Vec::new(); slots],
            mark: vec![false; n],
            tiny: 0.0,
        };
        for i in 0..n {
            if i % 1024 == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            s.locate(i);
        }
        s.tiny = 1e-12 * s.cost().abs() / n.max(1) as f64;
        for i in 0..n {
            s.contribute(i, 1.0);
        }
        Some(s)
    }

    /// The exact weighted distance of the open sites (every point's list holds its nearest).
    pub fn cost(&self) -> f64 {
        self.d1
            .iter()
            .zip(&self.rows.nl.weight)
            .map(|(d, w)| w * d)
            .sum()
    }

    /// The open candidates (site indices), ascending.
    pub fn open_set(&self) -> Vec<u32> {
        (self.nf..self.ns)
            .filter(|&j| self.open[j])
            .map(|j| j as u32)
            .collect()
    }

    /// Each point's distance to its nearest open site.
    pub fn nearest(&self) -> &[f64] {
        &self.d1
    }

    /// Points whose lists had to be extended so far.
    pub fn extended(&self) -> usize {
        self.rows.extended()
    }

    /// The lists this search extended (see [`NearestLists::absorb`]).
    pub fn into_long(self) -> Vec<(usize, Vec<u32>, Vec<f64>, bool)> {
        self.rows.into_long()
    }

    #[inline]
    fn cand_ok(&self, j: usize) -> bool {
        j >= self.nf && self.allowed[j - self.nf]
    }

    /// Finds point `i`'s two nearest open sites, extending its list until it
    /// holds both (or every site; a missing second site costs the farthest distance).
    fn locate(&mut self, i: usize) {
        loop {
            let (s, d, complete) = self.rows.row(i);
            let mut a = (NONE, self.far);
            let mut b = (NONE, self.far);
            let mut found = 0;
            for (&j, &dj) in s.iter().zip(d) {
                if self.open[j as usize] {
                    if found == 0 {
                        a = (j, dj.min(self.far));
                        found = 1;
                    } else {
                        b = (j, dj.min(self.far));
                        found = 2;
                        break;
                    }
                }
            }
            if found == 2 || complete {
                (self.c1[i], self.d1[i], self.c2[i], self.d2[i]) = (a.0, a.1, b.0, b.1);
                return;
            }
            self.rows.extend(i);
        }
    }

    /// Adds (`sign` 1) or removes (-1) point `i`'s terms in gain, loss and extra.
    fn contribute(&mut self, i: usize, sign: f64) {
        let w = self.rows.nl.weight[i];
        if w == 0.0 {
            return;
        }
        let (c1, d1, d2) = (self.c1[i], self.d1[i], self.d2[i]);
        let slot = if c1 != NONE && (c1 as usize) >= self.nf {
            self.loss[c1 as usize] += sign * w * (d2 - d1);
            self.slot_of[c1 as usize] as usize
        } else {
            usize::MAX
        };
        let ns = self.ns;
        let (sites, dists, _) = self.rows.row(i);
        for (&j, &d) in sites.iter().zip(dists) {
            if d >= d2 {
                break;
            }
            let j = j as usize;
            if self.open[j] || !(j >= self.nf && self.allowed[j - self.nf]) {
                continue;
            }
            if d < d1 {
                self.gain[j] += sign * w * (d1 - d);
            }
            if slot != usize::MAX {
                let k = slot * ns + j;
                if !self.listed[k] {
                    self.listed[k] = true;
                    self.touched[slot].push(j as u32);
                }
                self.extra[k] += sign * w * (d2 - d.max(d1));
            }
        }
    }

    /// Recomputes gain, loss and extra from scratch (clears rounding drift).
    pub fn refresh(&mut self) {
        self.gain.iter_mut().for_each(|g| *g = 0.0);
        self.loss.iter_mut().for_each(|l| *l = 0.0);
        for s in 0..self.touched.len() {
            for j in std::mem::take(&mut self.touched[s]) {
                self.extra[s * self.ns + j as usize] = 0.0;
                self.listed[s * self.ns + j as usize] = false;
            }
        }
        for i in 0..self.c1.len() {
            self.contribute(i, 1.0);
        }
    }

    /// The profit of swapping `out` (open) for `inn` (closed).
    pub fn profit(&self, out: u32, inn: u32) -> f64 {
        let s = self.slot_of[out as usize] as usize;
        self.gain[inn as usize] - self.loss[out as usize] + self.extra[s * self.ns + inn as usize]
    }

    /// The most profitable swap `(profit, out, in)`, ties by the lower indices.
    pub fn best_move(&mut self) -> Option<(f64, u32, u32)> {
        let mut best_gain = (f64::NEG_INFINITY, NONE);
        for j in self.nf..self.ns {
            if !self.open[j] && self.cand_ok(j) && self.gain[j] > best_gain.0 {
                best_gain = (self.gain[j], j as u32);
            }
        }
        if best_gain.1 == NONE || self.slot_site.is_empty() {
            return None;
        }
        let ns = self.ns;
        let (gain, loss, open, tiny, slot_site) = (
            &self.gain,
            &self.loss,
            &self.open,
            self.tiny,
            &self.slot_site,
        );
        let best = self
            .extra
            .par_chunks_mut(ns)
            .zip(self.listed.par_chunks_mut(ns))
            .zip(self.touched.par_iter_mut())
            .enumerate()
            .map(|(s, ((extra, listed), touched))| {
                let mut best = (gain[best_gain.1 as usize], best_gain.1);
                touched.retain(|&j| {
                    let v = extra[j as usize];
                    if v <= tiny || open[j as usize] {
                        extra[j as usize] = 0.0;
                        listed[j as usize] = false;
                        return false;
                    }
                    let p = gain[j as usize] + v;
                    if p > best.0 || (p == best.0 && j < best.1) {
                        best = (p, j);
                    }
                    true
                });
                let out = slot_site[s];
                (best.0 - loss[out as usize], out, best.1)
            })
            .reduce(|| (f64::NEG_INFINITY, NONE, NONE), super::better_move);
        (best.1 != NONE).then_some(best)
    }

    /// Closes `out` and opens `inn`, updating only the points whose nearest
    /// two open sites involve either.
    pub fn swap(&mut self, out: u32, inn: u32) {
        let (o, n) = (out as usize, inn as usize);
        let mut aff: Vec<u32> = Vec::new();
        {
            let (rows, c1, c2, d2, mark) =
                (&self.rows, &self.c1, &self.c2, &self.d2, &mut self.mark);
            rows.rev_each(o, |i, _| {
                if !mark[i] && (c1[i] == out || c2[i] == out) {
                    mark[i] = true;
                    aff.push(i as u32);
                }
            });
            rows.rev_each(n, |i, d| {
                if !mark[i] && d < d2[i] {
                    mark[i] = true;
                    aff.push(i as u32);
                }
            });
        }
        for &i in &aff {
            self.contribute(i as usize, -1.0);
        }
        self.open[o] = false;
        self.open[n] = true;
        let s = self.slot_of[o] as usize;
        self.slot_of[o] = NONE;
        self.slot_of[n] = s as u32;
        self.slot_site[s] = inn;
        for j in std::mem::take(&mut self.touched[s]) {
            self.extra[s * self.ns + j as usize] = 0.0;
            self.listed[s * self.ns + j as usize] = false;
        }
        for t in 0..self.slot_site.len() {
            self.extra[t * self.ns + n] = 0.0;
        }
        self.gain[n] = 0.0;
        self.gain[o] = 0.0;
        self.loss[o] = 0.0;
        self.loss[n] = 0.0;
        for &i in &aff {
            self.locate(i as usize);
            self.contribute(i as usize, 1.0);
            self.mark[i as usize] = false;
        }
    }

    /// Best-improvement swaps until none pays (checked again after clearing
    /// rounding drift), at most `max_moves`; returns the moves made and
    /// whether the deadline stopped it.
    pub fn search(&mut self, max_moves: u64, deadline: Instant) -> (u64, bool) {
        let mut moves = 0;
        let mut fresh = true;
        loop {
            if moves >= max_moves {
                return (moves, false);
            }
            if Instant::now() >= deadline {
                return (moves, true);
            }
            let eps = 1e-10 * self.cost().abs();
            match self.best_move() {
                Some((profit, out, inn)) if profit > eps => {
                    self.swap(out, inn);
                    moves += 1;
                    fresh = false;
                }
                _ if !fresh => {
                    self.refresh();
                    fresh = true;
                }
                _ => return (moves, false),
            }
        }
    }

    /// Path relinking: walks from this solution toward `target` one swap at a
    /// time (each the best swap of a site not in `target` for one in it), and
    /// returns the best solution strictly between the two, if any.
    pub fn relink(&mut self, target: &[u32]) -> Option<(f64, Vec<u32>)> {
        let mut best: Option<(f64, Vec<u32>)> = None;
        loop {
            let in_target = |j: u32| target.binary_search(&j).is_ok();
            let outs: Vec<u32> = self
                .slot_site
                .iter()
                .copied()
                .filter(|&j| !in_target(j))
                .collect();
            let ins: Vec<u32> = target
                .iter()
                .copied()
                .filter(|&j| !self.open[j as usize])
                .collect();
            if outs.len() <= 1 || ins.is_empty() {
                return best;
            }
            let mut mv = (f64::NEG_INFINITY, NONE, NONE);
            for &o in &outs {
                for &i in &ins {
                    mv = super::better_move(mv, (self.profit(o, i), o, i));
                }
            }
            self.swap(mv.1, mv.2);
            let c = self.cost();
            if best.as_ref().is_none_or(|b| c < b.0) {
                best = Some((c, self.open_set()));
            }
        }
    }
}

/// The answer of [`search`].
pub struct Searched {
    /// Open candidates (site indices), ascending.
    pub set: Vec<u32>,
    /// Their exact weighted distance.
    pub cost: f64,
    /// Each point's distance to its nearest open site.
    pub nearest: Vec<f64>,
    /// Swaps made in all starts.
    pub moves: u64,
    /// Starts run.
    pub starts: usize,
    /// Starts not begun because the deadline had passed.
    pub skipped: usize,
    /// Relinked solutions that improved on the best start.
    pub relinked: usize,
    /// Whether the deadline stopped or skipped any search.
    pub timed_out: bool,
    /// Most points whose lists one search extended.
    pub extended: usize,
}

/// Multi-start fast swap (a GRASP with path relinking, after Resende &
/// Werneck): start 0 is the lazy greedy, the others a seeded randomised
/// greedy; each is improved by fast-swap search, then the best is relinked
/// with each other distinct local optimum and the best point on each path
/// searched again. Starts run in parallel and the best is chosen by cost
/// then start number, so the answer does not depend on the thread count.
///
/// Past `deadline` nothing new begins: starts and relinks not yet begun
/// are skipped, a search under way stops after its current swap, and a
/// search whose set-up outlasts the deadline is abandoned for its start as
/// it stands (the greedy answer at least is always kept).
#[allow(clippy::too_many_arguments)]
pub fn search<M: Metric>(
    nl: &mut NearestLists,
    src: &Source<'_, M>,
    p: usize,
    allowed: &[bool],
    seed: u64,
    starts: usize,
    max_moves: u64,
    deadline: Instant,
) -> Searched {
    let late = || Instant::now() >= deadline;
    // The greedy start runs first; the lists it had to extend are kept, so
    // the other starts (and the bound) do not extend them again.
    let greedy_set = greedy(nl, p, allowed);
    if !late() {
        nl.extend_for(src, &greedy_set);
    }
    let first = if late() {
        None
    } else {
        FastSwap::new_until(nl, src, allowed, &greedy_set, Some(deadline))
    };
    let first = match first {
        Some(mut fs) => {
            let (moves, timed_out) = fs.search(max_moves, deadline);
            let r = (fs.cost(), fs.open_set(), moves, timed_out, fs.extended());
            nl.absorb(fs.into_long());
            r
        }
        None => {
            let mut set = greedy_set;
            set.sort_unstable();
            let (cost, _) = src.evaluate(&nl.weight, nl.n_fixed, &set, nl.farthest);
            (cost, set, 0, true, 0)
        }
    };
    let nl = &*nl;
    let mut runs = vec![first];
    runs.extend(
        (1..starts.max(1))
            .into_par_iter()
            .with_max_len(1)
            .filter_map(|s| {
                if late() {
                    return None;
                }
                let mut mix = SplitMix(seed ^ (s as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let start = sample_greedy(nl, p, allowed, mix.next_u64());
                let mut fs = FastSwap::new_until(nl, src, allowed, &start, Some(deadline))?;
                let (moves, timed_out) = fs.search(max_moves, deadline);
                Some((fs.cost(), fs.open_set(), moves, timed_out, fs.extended()))
            })
            .collect::<Vec<_>>(),
    );
    let skipped = starts.max(1) - runs.len();
    let mut best = 0;
    for (k, r) in runs.iter().enumerate() {
        if r.0 < runs[best].0 {
            best = k;
        }
    }
    let moves: u64 = runs.iter().map(|r| r.2).sum();
    let mut timed_out = skipped > 0 || runs.iter().any(|r| r.3);
    let extended = runs.iter().map(|r| r.4).max().unwrap_or(0);
    let mut elite: Vec<&Vec<u32>> = Vec::new();
    for (k, r) in runs.iter().enumerate() {
        if k != best && !elite.contains(&&r.1) && r.1 != runs[best].1 {
            elite.push(&r.1);
        }
    }
    // Per relink: `None` when the deadline cut it, `Some(None)` when the path
    // held nothing better than its ends.
    let relinks: Vec<Option<Relinked>> = elite
        .par_iter()
        .with_max_len(1)
        .map(|target| {
            if late() {
                return None;
            }
            let mut fs = FastSwap::new_until(nl, src, allowed, &runs[best].1, Some(deadline))?;
            let Some((_, mid)) = fs.relink(target) else {
                return Some(None);
            };
            let mut fs = FastSwap::new_until(nl, src, allowed, &mid, Some(deadline))?;
            fs.search(max_moves, deadline);
            Some(Some((fs.cost(), fs.open_set())))
        })
        .collect();
    let (mut cost, mut set) = (runs[best].0, runs[best].1.clone());
    let mut relinked = 0;
    for r in relinks {
        match r {
            None => timed_out = true,
            Some(Some((c, s))) if c < cost => {
                (cost, set) = (c, s);
                relinked += 1;
            }
            Some(_) => {}
        }
    }
    let (cost, nearest) = src.evaluate(&nl.weight, nl.n_fixed, &set, nl.farthest);
    Searched {
        cost,
        nearest,
        set,
        moves,
        starts: runs.len(),
        skipped,
        relinked,
        timed_out,
        extended,
    }
}

/// How far point `i`'s list reaches: every site nearer than this is listed.
fn reach<M: Metric>(rows: &Rows<'_, '_, M>, i: usize) -> f64 {
    let (_, d, complete) = rows.row(i);
    if complete {
        f64::INFINITY
    } else {
        d.last().copied().unwrap_or(f64::NEG_INFINITY)
    }
}

/// The subgradient stops once the bound is this close to the answer (0.3%):
/// well inside the 1% a planner needs, and the last tenths of a percent cost
/// the most iterations (world cities x 3,043 candidates, p = 100: 240
/// iterations to 0.3%, 336 to 0.07%). The relaxed solution the bound stops at
/// is still searched from (see the planner).
const GAP_TARGET: f64 = 3e-3;

/// On instances of at most [`SMALL_POINTS`] demand points the iterations are
/// cheap, and the bound goes on to this gap (0.01%): China's 2,106 cities x
/// 300 candidates, p = 30, are certified within 0.01% in half a second.
const GAP_TARGET_SMALL: f64 = 1e-4;

/// Demand points up to which [`GAP_TARGET_SMALL`] applies.
const SMALL_POINTS: usize = 10_000;

/// A short row of the bound copies its point's sites out to this multiple of
/// r_i (and to this multiple of its last reach when r_i outgrows it), so a
/// slowly growing r_i rarely needs its row copied again.
const SLACK: f64 = 1.25;

/// Points per chunk of the bound's parallel pass.
const CHUNK: usize = 2048;

/// The first step size of the subgradient, as a share of the Polyak step
/// toward the answer; halved each time [`STALL`] iterations pass without a
/// better bound. Starting at 4 (rather than 1) reaches the same bound in far
/// fewer iterations: on world cities x 3,043 candidates, p = 100, a gap of
/// 0.07% in 336 iterations where 466 gave 0.58%.
const THETA0: f64 = 4.0;

/// Iterations without a better bound before the step is halved.
const STALL: u32 = 15;

/// The subgradient stops once the step share falls below this (after four
/// halvings from [`THETA0`]): smaller steps only creep.
const THETA_MIN: f64 = 0.4;

/// At most this many list entries are added, in all, to the lists the bound
/// extends (about 1.1 GB): with every point a candidate, the sites nearer
/// than r_i would otherwise approach demand x candidates. The bound stops
/// there, still valid.
const BOUND_ENTRIES: usize = 40_000_000;

/// A Lagrangian lower bound and what produced it.
pub struct Bound {
    /// The bound on the weighted distance, valid for the whole problem (every
    /// point, every site), never for the truncated lists only.
    pub value: f64,
    /// Subgradient iterations run.
    pub iters: u32,
    /// The free sites the best relaxed solution opens (a start for the search).
    pub sites: Vec<u32>,
    /// Whether the lists the bound extended reached their memory cap.
    pub capped: bool,
}

/// Lagrangian lower bound on the weighted distance with `p` new sites
/// (Beasley 1985): relax "each point is assigned once" with a multiplier
/// `λ_i = w_i r_i` per point. The relaxed problem opens the fixed sites and the
/// `p` allowed candidates with the most negative `ρ_j = Σ_i w_i min(0, d_ij - r_i)`,
/// and `L = Σ_i w_i r_i + Σ_open ρ_j` bounds every solution from below. Each
/// point's list is extended until it holds every site nearer than `r_i`, so
/// `ρ` is exact over all sites, not only the first K. A point may also be
/// left unserved at the farthest distance, which makes the bound valid under
/// every distance model (sparse cost matrices included).
///
/// The multipliers start at the heuristic's nearest distances and follow
/// subgradient steps scaled by weight (every `r_i` moves by the same distance),
/// with the Polyak step toward `upper`; at most `max_work` list entries are
/// visited, so the value does not depend on the machine.
#[allow(clippy::too_many_arguments)]
pub fn lower_bound<M: Metric>(
    nl: &NearestLists,
    src: &Source<'_, M>,
    p: usize,
    allowed: &[bool],
    nearest: &[f64],
    upper: f64,
    max_work: u64,
    deadline: Instant,
) -> Bound {
    let n = nl.far.len();
    let (nf, ns) = (nl.n_fixed, nl.n_sites);
    let far = nl.farthest;
    let mut rows = Rows::new(nl, src);
    // Raising r_i past the nearest fixed site (always open) or past the
    // farthest distance cannot raise L; lowering it below the nearest site cannot either.
    let fixed_index = src.metric.index(&src.sites[..nf]);
    let hi: Vec<f64> = (0..n)
        .map(|i| {
            fixed_index
                .nearest(&src.demand[i])
                .map_or(far, |(_, k)| src.metric.distance(k).min(far))
        })
        .collect();
    let lo: Vec<f64> = (0..n)
        .map(|i| {
            let (_, d, complete) = rows.row(i);
            d.first()
                .copied()
                .unwrap_or(if complete { far } else { 0.0 })
                .min(hi[i])
        })
        .collect();
    let w = &nl.weight;
    let mut r: Vec<f64> = (0..n).map(|i| nearest[i].clamp(lo[i], hi[i])).collect();
    // Each point's sites nearer than `cut[i]` (never less than its r_i), copied
    // out of the K-long lists into short rows laid end to end: the passes
    // below read only these, streaming through memory instead of missing the
    // cache at the start of every long list.
    let mut cut = vec![f64::NEG_INFINITY; n];
    let (mut start, mut end) = (vec![0usize; n], vec![0usize; n]);
    let mut live = 0usize;
    let (mut near_site, mut near_dist): (Vec<u32>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut best = (f64::NEG_INFINITY, Vec::new());
    let mut theta = THETA0;
    let mut since = 0;
    let mut work = 0u64;
    let mut iters = 0;
    let mut rho = vec![0.0f64; ns];
    let mut y = vec![false; ns];
    let mut g = vec![0.0f64; n];
    let mut under = vec![0u32; n];
    let mut stale = vec![false; n];
    let first = first_bound(&rows, p, allowed, &lo, &hi);
    let mut capped = false;
    'iterations: while work < max_work && Instant::now() < deadline {
        iters += 1;
        // Extend (serially, in point order) every list that does not reach its
        // r_i, and copy again the short rows that do not reach it.
        let mut any = false;
        for i in 0..n {
            if w[i] == 0.0 || r[i] <= cut[i] {
                continue;
            }
            if i % 256 == 0 && Instant::now() >= deadline {
                iters -= 1;
                break 'iterations;
            }
            if rows.entries > BOUND_ENTRIES {
                iters -= 1;
                capped = true;
                break 'iterations;
            }
            while reach(&rows, i) < r[i] {
                rows.extend_to(i, r[i]);
            }
            cut[i] = (SLACK * r[i]).max(SLACK * cut[i]).min(reach(&rows, i));
            stale[i] = true;
            any = true;
        }
        if any {
            // Stale rows go to the end; the rows are laid out again in point
            // order once the abandoned ones outweigh the live ones.
            for i in 0..n {
                if stale[i] {
                    let (s, d, _) = rows.row(i);
                    let m = d.partition_point(|&x| x < cut[i]);
                    live = live + m - (end[i] - start[i]);
                    start[i] = near_site.len();
                    near_site.extend_from_slice(&s[..m]);
                    near_dist.extend_from_slice(&d[..m]);
                    end[i] = near_site.len();
                    stale[i] = false;
                }
            }
            if near_site.len() > 2 * live + 4096 {
                let (mut s2, mut d2) = (Vec::with_capacity(2 * live), Vec::with_capacity(2 * live));
                for i in 0..n {
                    let (a, b) = (start[i], end[i]);
                    start[i] = s2.len();
                    s2.extend_from_slice(&near_site[a..b]);
                    d2.extend_from_slice(&near_dist[a..b]);
                    end[i] = s2.len();
                }
                (near_site, near_dist) = (s2, d2);
            }
        }
        // ρ over fixed chunks of points, summed in chunk order: the same on any thread count.
        // Each chunk also notes, per point, how many of its row's sites are
        // nearer than r_i (`under`), so the subgradient pass below reads only
        // those sites, not their distances.
        let parts: Vec<(Vec<f64>, f64, u64)> = under
            .par_chunks_mut(CHUNK)
            .enumerate()
            .with_max_len(1)
            .map(|(c, under)| {
                let mut rho = vec![0.0f64; ns];
                let (mut lsum, mut work) = (0.0, 0u64);
                for (k, u) in under.iter_mut().enumerate() {
                    let i = c * CHUNK + k;
                    *u = 0;
                    if w[i] == 0.0 {
                        continue;
                    }
                    lsum += w[i] * r[i] + w[i] * (far - r[i]).min(0.0);
                    let (a, b) = (start[i], end[i]);
                    let mut m = 0u32;
                    for (&j, &dj) in near_site[a..b].iter().zip(&near_dist[a..b]) {
                        if dj >= r[i] {
                            break;
                        }
                        m += 1;
                        rho[j as usize] += w[i] * (dj - r[i]);
                    }
                    *u = m;
                    work += u64::from(m);
                }
                (rho, lsum, work)
            })
            .collect();
        rho.iter_mut().for_each(|x| *x = 0.0);
        let mut lsum = 0.0;
        for (part, l, wk) in &parts {
            rho.iter_mut().zip(part).for_each(|(a, b)| *a += b);
            lsum += l;
            work += wk;
        }
        let mut free: Vec<u32> = (nf as u32..ns as u32)
            .filter(|&j| allowed[j as usize - nf] && rho[j as usize] < 0.0)
            .collect();
        if free.len() > p {
            free.select_nth_unstable_by(p, |&a, &b| {
                rho[a as usize].total_cmp(&rho[b as usize]).then(a.cmp(&b))
            });
            free.truncate(p);
        }
        free.sort_unstable();
        y.iter_mut().for_each(|o| *o = false);
        y[..nf].iter_mut().for_each(|o| *o = true);
        free.iter().for_each(|&j| y[j as usize] = true);
        let l = lsum
            + (0..nf).map(|j| rho[j]).sum::<f64>()
            + free.iter().map(|&j| rho[j as usize]).sum::<f64>();
        if !best.0.is_finite() || l > best.0 + 1e-12 * best.0.abs() {
            best = (l, free.clone());
            since = 0;
        } else {
            since += 1;
            if since >= STALL {
                theta /= 2.0;
                since = 0;
            }
        }
        let target = if n <= SMALL_POINTS {
            GAP_TARGET_SMALL
        } else {
            GAP_TARGET
        };
        if upper - best.0 <= target * upper.abs() || theta < THETA_MIN {
            break;
        }
        // g_i = 1 - (open sites of the relaxed solution nearer than r_i), from
        // the short rows (each holds every site nearer than r_i).
        // ‖g‖² (weighted) per chunk, summed in chunk order: the same on any thread count.
        let norms: Vec<f64> = g
            .par_chunks_mut(CHUNK)
            .enumerate()
            .with_max_len(1)
            .map(|(c, gs)| {
                let mut norm = 0.0;
                for (k, gi) in gs.iter_mut().enumerate() {
                    let i = c * CHUNK + k;
                    *gi = if w[i] == 0.0 {
                        0.0
                    } else {
                        let base = if far < r[i] { 0.0 } else { 1.0 };
                        let a = start[i];
                        let open = near_site[a..a + under[i] as usize]
                            .iter()
                            .filter(|&&j| y[j as usize])
                            .count();
                        base - open as f64
                    };
                    norm += w[i] * *gi * *gi;
                }
                norm
            })
            .collect();
        let norm: f64 = norms.iter().sum();
        if norm == 0.0 {
            break;
        }
        let t = theta * (upper - l).max(1e-9 * upper.abs()) / norm;
        for i in 0..n {
            r[i] = (r[i] + t * g[i]).clamp(lo[i], hi[i]);
        }
    }
    Bound {
        value: best.0.max(first).max(0.0),
        iters,
        sites: best.1,
        capped,
    }
}

/// The relaxation's value with each r_i at the distance of point `i`'s
/// second listed site (clamped to `lo..=hi`), from the shared lists alone: at
/// most the first listed site is nearer, so ρ needs no list extended. A
/// valid bound at the cost of one pass, kept when --time-limit leaves no time
/// for an iteration (with every point a candidate, each point's nearest site
/// is itself and the bound at r_i = lo_i would be 0).
fn first_bound<M: Metric>(
    rows: &Rows<'_, '_, M>,
    p: usize,
    allowed: &[bool],
    lo: &[f64],
    hi: &[f64],
) -> f64 {
    let nl = rows.nl;
    let (nf, ns) = (nl.n_fixed, nl.n_sites);
    let mut rho = vec![0.0f64; ns];
    let mut l = 0.0;
    for i in 0..nl.far.len() {
        let w = nl.weight[i];
        if w == 0.0 {
            continue;
        }
        let (s, d, _) = rows.row(i);
        let r = if d.len() >= 2 {
            d[1].min(hi[i]).max(lo[i])
        } else {
            lo[i]
        };
        l += w * r;
        if let (Some(&j), Some(&d0)) = (s.first(), d.first())
            && d0 < r
        {
            rho[j as usize] += w * (d0 - r);
        }
    }
    let mut free: Vec<f64> = (nf..ns)
        .filter(|&j| allowed[j - nf] && rho[j] < 0.0)
        .map(|j| rho[j])
        .collect();
    free.sort_unstable_by(f64::total_cmp);
    l + rho[..nf].iter().sum::<f64>() + free.iter().take(p).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Planar;
    use crate::metric::planar::PlanePoint;
    use proptest::prelude::*;
    use std::time::Duration;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    /// Weighted distance of an open set by brute force over every pair.
    fn naive_cost<M: Metric>(
        m: &M,
        demand: &[M::Point],
        w: &[f64],
        sites: &[M::Point],
        open: &[u32],
        far: f64,
    ) -> f64 {
        demand
            .iter()
            .zip(w)
            .map(|(u, w)| {
                w * open
                    .iter()
                    .map(|&j| m.distance_between(u, &sites[j as usize]))
                    .fold(far, f64::min)
            })
            .sum()
    }

    /// The best set of `p` candidates (after the fixed sites) by enumeration.
    fn exhaustive<M: Metric>(
        m: &M,
        demand: &[M::Point],
        w: &[f64],
        sites: &[M::Point],
        nf: usize,
        p: usize,
        far: f64,
    ) -> f64 {
        let nc = sites.len() - nf;
        let mut best = f64::INFINITY;
        for mask in 0u32..(1 << nc) {
            if mask.count_ones() as usize != p.min(nc) {
                continue;
            }
            let open: Vec<u32> = (0..nf as u32)
                .chain(
                    (0..nc as u32)
                        .filter(|c| mask >> c & 1 == 1)
                        .map(|c| c + nf as u32),
                )
                .collect();
            best = best.min(naive_cost(m, demand, w, sites, &open, far));
        }
        best
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    fn points(raw: &[(u16, u16)]) -> Vec<PlanePoint> {
        raw.iter()
            .map(|&(x, y)| [f64::from(x) * 10.0, f64::from(y) * 10.0])
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// After random swaps, gain/loss/extra give exactly the change in cost
        /// of every possible swap, as a full recomputation measures it, and the
        /// cost is exact although the lists start truncated.
        #[test]
        fn fast_swap_bookkeeping_matches_recomputation(
            dem in proptest::collection::vec((0u16..100, 0u16..100, 1u8..20), 5..40),
            sit in proptest::collection::vec((0u16..100, 0u16..100), 4..14),
            nf in 0usize..3,
            k in 1usize..5,
            swaps in proptest::collection::vec((0usize..64, 0usize..64), 1..8),
        ) {
            let m = Planar::default();
            let demand = points(&dem.iter().map(|d| (d.0, d.1)).collect::<Vec<_>>());
            let w: Vec<f64> = dem.iter().map(|d| f64::from(d.2)).collect();
            let sites = points(&sit);
            let nf = nf.min(sites.len() - 2);
            let nc = sites.len() - nf;
            let allowed = vec![true; nc];
            let nl = NearestLists::build(&m, &demand, &w, &sites, nf, k);
            let src = Source::new(&m, &demand, &sites);
            let p = (nc / 2).max(1);
            let start: Vec<u32> = (nf as u32..(nf + p) as u32).collect();
            let mut fs = FastSwap::new(&nl, &src, &allowed, &start);
            for (a, b) in swaps {
                let open = fs.open_set();
                let closed: Vec<u32> = (nf as u32..sites.len() as u32).filter(|j| !open.contains(j)).collect();
                if closed.is_empty() {
                    break;
                }
                let all_open: Vec<u32> = (0..nf as u32).chain(open.iter().copied()).collect();
                let before = naive_cost(&m, &demand, &w, &sites, &all_open, nl.farthest);
                prop_assert!(close(fs.cost(), before), "{} vs {}", fs.cost(), before);
                for &o in &open {
                    for &i in &closed {
                        let after_set: Vec<u32> = all_open.iter().map(|&x| if x == o { i } else { x }).collect();
                        let after = naive_cost(&m, &demand, &w, &sites, &after_set, nl.farthest);
                        prop_assert!(close(fs.profit(o, i), before - after),
                            "swap {o}->{i}: profit {} vs {}", fs.profit(o, i), before - after);
                    }
                }
                fs.swap(open[a % open.len()], closed[b % closed.len()]);
            }
        }

        /// The bound never exceeds the exhaustive optimum, and the search
        /// never does worse than it, whatever the list length.
        #[test]
        fn bound_below_optimum_below_search(
            dem in proptest::collection::vec((0u16..100, 0u16..100, 1u8..20), 3..30),
            sit in proptest::collection::vec((0u16..100, 0u16..100), 3..11),
            nf in 0usize..2,
            p in 1usize..4,
            k in 1usize..6,
            seed in 0u64..4,
        ) {
            let m = Planar::default();
            let demand = points(&dem.iter().map(|d| (d.0, d.1)).collect::<Vec<_>>());
            let w: Vec<f64> = dem.iter().map(|d| f64::from(d.2)).collect();
            let sites = points(&sit);
            let nc = sites.len() - nf;
            let allowed = vec![true; nc];
            let mut nl = NearestLists::build(&m, &demand, &w, &sites, nf, k);
            let src = Source::new(&m, &demand, &sites);
            let opt = exhaustive(&m, &demand, &w, &sites, nf, p, nl.farthest);
            let found = search(&mut nl, &src, p, &allowed, seed, 4, 10_000, later());
            let open: Vec<u32> = (0..nf as u32).chain(found.set.iter().copied()).collect();
            prop_assert!(close(found.cost, naive_cost(&m, &demand, &w, &sites, &open, nl.farthest)));
            prop_assert!(found.cost >= opt - 1e-9 * opt);
            let lb = lower_bound(&nl, &src, p, &allowed, &found.nearest, found.cost, 1_000_000, later());
            prop_assert!(lb.value <= opt + 1e-9 * opt, "bound {} above optimum {}", lb.value, opt);
        }
    }

    /// On tiny instances (12 candidates, every p-subset enumerated) the search
    /// finds the optimum, from lists of 3 sites.
    #[test]
    fn search_equals_exhaustive_optimum() {
        let m = Planar::default();
        let mut rng = SplitMix(7);
        for case in 0..40 {
            let demand: Vec<PlanePoint> = (0..60)
                .map(|_| [rng.below(10_000) as f64, rng.below(10_000) as f64])
                .collect();
            let w: Vec<f64> = (0..60).map(|_| 1.0 + rng.below(50) as f64).collect();
            let sites: Vec<PlanePoint> = (0..12)
                .map(|_| [rng.below(10_000) as f64, rng.below(10_000) as f64])
                .collect();
            let nf = case % 2;
            let p = 1 + case % 5;
            let allowed = vec![true; sites.len() - nf];
            let mut nl = NearestLists::build(&m, &demand, &w, &sites, nf, 3);
            let src = Source::new(&m, &demand, &sites);
            let opt = exhaustive(&m, &demand, &w, &sites, nf, p, nl.farthest);
            let found = search(&mut nl, &src, p, &allowed, case as u64, 8, 10_000, later());
            assert!(
                close(found.cost, opt),
                "case {case}: {} vs optimum {opt}",
                found.cost
            );
            let lb = lower_bound(
                &nl,
                &src,
                p,
                &allowed,
                &found.nearest,
                found.cost,
                10_000_000,
                later(),
            );
            assert!(lb.value <= opt * (1.0 + 1e-9), "case {case}");
        }
    }

    /// The bound is the same whether the lists start complete or one site
    /// long (extended lazily and copied into the bound's short rows as its
    /// multipliers grow): the truncation never changes a term.
    #[test]
    fn bound_same_from_short_and_complete_lists() {
        let m = Planar::default();
        let mut rng = SplitMix(23);
        for case in 0..30 {
            let demand: Vec<PlanePoint> = (0..80)
                .map(|_| [rng.below(10_000) as f64, rng.below(10_000) as f64])
                .collect();
            let w: Vec<f64> = (0..80).map(|_| 1.0 + rng.below(50) as f64).collect();
            let sites: Vec<PlanePoint> = (0..14)
                .map(|_| [rng.below(10_000) as f64, rng.below(10_000) as f64])
                .collect();
            let nf = case % 3;
            let p = 1 + case % 6;
            let allowed = vec![true; sites.len() - nf];
            let src = Source::new(&m, &demand, &sites);
            let mut full = NearestLists::build(&m, &demand, &w, &sites, nf, sites.len());
            let found = search(&mut full, &src, p, &allowed, 0, 2, 10_000, later());
            let short = NearestLists::build(&m, &demand, &w, &sites, nf, 1);
            let a = lower_bound(
                &full,
                &src,
                p,
                &allowed,
                &found.nearest,
                found.cost,
                2_000_000,
                later(),
            );
            let b = lower_bound(
                &short,
                &src,
                p,
                &allowed,
                &found.nearest,
                found.cost,
                2_000_000,
                later(),
            );
            assert!(
                close(a.value, b.value),
                "case {case}: {} vs {}",
                a.value,
                b.value
            );
            assert_eq!(a.iters, b.iters, "case {case}");
            let opt = exhaustive(&m, &demand, &w, &sites, nf, p, full.farthest);
            assert!(b.value <= opt * (1.0 + 1e-9), "case {case}");
        }
    }

    /// With no time left the bound runs no iteration and keeps the relaxation
    /// at each point's second-nearest site: never above the exhaustive
    /// optimum, and above 0 although every demand point is also a candidate
    /// (each point's nearest site is itself, so r_i at the nearest site gives 0).
    #[test]
    fn bound_without_iterations_is_valid_and_positive() {
        let m = Planar::default();
        let mut rng = SplitMix(5);
        for case in 0..30 {
            let demand: Vec<PlanePoint> = (0..12)
                .map(|_| [rng.below(10_000) as f64, rng.below(10_000) as f64])
                .collect();
            let w: Vec<f64> = (0..12).map(|_| 1.0 + rng.below(50) as f64).collect();
            let sites = demand.clone();
            let nf = case % 2;
            let p = 1 + case % 4;
            let allowed = vec![true; sites.len() - nf];
            let nl = NearestLists::build(&m, &demand, &w, &sites, nf, 2 + case % 4);
            let src = Source::new(&m, &demand, &sites);
            let opt = exhaustive(&m, &demand, &w, &sites, nf, p, nl.farthest);
            let near = vec![0.0; demand.len()];
            let past = Instant::now();
            let lb = lower_bound(&nl, &src, p, &allowed, &near, opt, 1_000_000, past);
            assert_eq!(lb.iters, 0, "case {case}");
            assert!(
                lb.value <= opt * (1.0 + 1e-9),
                "case {case}: {} above {opt}",
                lb.value
            );
            assert!(lb.value > 0.0, "case {case}");
        }
    }

    /// A sparse cost matrix: unreachable pairs cost the largest cost, in the
    /// search and the bound alike.
    #[test]
    fn cost_matrix_with_unreachable_pairs() {
        use crate::input::Place;
        use crate::input::costs::{CostOptions, load_costs_bytes};
        use crate::metric::CostMatrix;
        use crate::sphere::CostUnit;
        let mut rng = SplitMix(11);
        for case in 0..20 {
            let mut text = String::from("from,to,minutes\n");
            for d in 0..25 {
                for s in 0..9 {
                    if rng.below(3) > 0 {
                        text.push_str(&format!("d{d},s{s},{}\n", 1 + rng.below(90)));
                    }
                }
            }
            let t = load_costs_bytes(
                std::path::Path::new("m.csv"),
                text.as_bytes(),
                &CostOptions::default(),
            )
            .unwrap();
            let m = CostMatrix::new(t, CostUnit::Min);
            let place = |id: String| Place {
                id,
                name: None,
                lon: f64::NAN,
                lat: f64::NAN,
                weight: 1.0,
                group: None,
                cost: None,
                capacity: None,
                fixed: false,
                xy: None,
            };
            let demand: Vec<_> = (0..25).map(|d| m.point(&place(format!("d{d}")))).collect();
            let sites: Vec<_> = (0..9).map(|s| m.point(&place(format!("s{s}")))).collect();
            let w: Vec<f64> = (0..25).map(|_| 1.0 + rng.below(9) as f64).collect();
            let p = 1 + case % 4;
            let allowed = vec![true; 9];
            let mut nl = NearestLists::build(&m, &demand, &w, &sites, 0, 2);
            let src = Source::new(&m, &demand, &sites);
            let opt = exhaustive(&m, &demand, &w, &sites, 0, p, m.farthest());
            let found = search(&mut nl, &src, p, &allowed, 0, 8, 10_000, later());
            assert!(
                close(found.cost, opt),
                "case {case}: {} vs {opt}",
                found.cost
            );
            let lb = lower_bound(
                &nl,
                &src,
                p,
                &allowed,
                &found.nearest,
                found.cost,
                1_000_000,
                later(),
            );
            assert!(lb.value <= opt * (1.0 + 1e-9), "case {case}");
        }
    }
}
