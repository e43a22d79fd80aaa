//! Maximal covering: open new sites to cover the most weight within the radius,
//! with at most `p` sites and/or within a budget.
//!
//! # Algorithm
//! 1. Lazy (accelerated) greedy by marginal gain, or by gain per unit cost under
//!    a budget; with a budget the best single affordable site is also tried
//!    (Khuller, Moss & Naor), which keeps the 1/2 (1 - 1/e) guarantee.
//! 2. Swap local search: each round computes, for every open site `j`, its
//!    loss (weight only it covers) and, for every closed candidate `i`, its
//!    gain and the extra weight it would take over from `j`; the best
//!    improving swap (ties by index) is made, until none improves or the time
//!    limit is reached (Resende & Werneck's fast swap, recomputed per round).

use super::Selection;
use crate::coverage::CoverageModel;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Pairs the swap search may visit in all (rounds x pairs), about 1e10.
const MOVE_BUDGET: u64 = 10_000_000_000;

/// Limits on the set of new sites.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most new sites.
    pub max_sites: Option<usize>,
    /// Budget and the cost of each candidate.
    pub budget: Option<(f64, Vec<f64>)>,
}

/// Rounding slack of a budget `b`: costs may sum this far over it and fit.
pub(crate) fn budget_slack(b: f64) -> f64 {
    1e-9 * b.abs().max(1.0)
}

impl Limits {
    fn cost(&self, j: usize) -> f64 {
        self.budget.as_ref().map_or(0.0, |(_, c)| c[j])
    }
    /// Whether `n` new sites costing `spend` in all keep to the limits.
    pub(crate) fn within(&self, n: usize, spend: f64) -> bool {
        self.max_sites.is_none_or(|p| n <= p)
            && self
                .budget
                .as_ref()
                .is_none_or(|(b, _)| spend <= b + 1e-9 * b.abs())
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
    // Max-heap on the key, then the lower index first.
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

fn gain_of(m: &CoverageModel, count: &[u32], j: usize) -> f64 {
    m.rows_of(j)
        .iter()
        .filter(|&&r| count[r as usize] == 0)
        .map(|&r| m.row_weight[r as usize])
        .sum()
}

/// Lazy greedy. `ratio` ranks by gain per cost.
fn lazy_greedy(m: &CoverageModel, limits: &Limits, ratio: bool, allowed: &[bool]) -> Selection {
    let mut count = vec![0u32; m.n_rows()];
    let key = |g: f64, j: usize| {
        if ratio {
            let c = limits.cost(j);
            if c <= 0.0 { g * 1e12 } else { g / c }
        } else {
            g
        }
    };
    let mut heap: BinaryHeap<Key> = (0..m.n_candidates)
        .filter(|&j| allowed[j])
        .map(|j| {
            let g: f64 = m.rows_of(j).iter().map(|&r| m.row_weight[r as usize]).sum();
            Key(key(g, j), j as u32)
        })
        .collect();
    let mut sel = Selection {
        chosen: Vec::new(),
        marginal: Vec::new(),
    };
    let mut spend = 0.0;
    while let Some(Key(_, j)) = heap.pop() {
        if limits.max_sites.is_some_and(|p| sel.chosen.len() >= p) {
            break;
        }
        let j = j as usize;
        if !limits.within(sel.chosen.len() + 1, spend + limits.cost(j)) {
            continue; // never affordable again: spending only grows
        }
        let g = gain_of(m, &count, j);
        let k = key(g, j);
        if let Some(top) = heap.peek()
            && Key(k, j as u32) < *top
        {
            heap.push(Key(k, j as u32));
            continue;
        }
        if g <= 0.0 {
            break;
        }
        for &r in m.rows_of(j) {
            count[r as usize] += 1;
        }
        spend += limits.cost(j);
        sel.chosen.push(j as u32);
        sel.marginal.push(g);
    }
    sel
}

/// Greedy start: by gain; under a budget the better of gain-per-cost greedy
/// and the best single affordable site.
pub fn greedy(m: &CoverageModel, limits: &Limits, allowed: &[bool]) -> Selection {
    if limits.budget.is_none() {
        return lazy_greedy(m, limits, false, allowed);
    }
    let by_ratio = lazy_greedy(m, limits, true, allowed);
    let by_gain = lazy_greedy(m, limits, false, allowed);
    let sum = |s: &Selection| s.marginal.iter().sum::<f64>();
    let mut best = if sum(&by_gain) > sum(&by_ratio) {
        by_gain
    } else {
        by_ratio
    };
    let single = (0..m.n_candidates)
        .filter(|&j| allowed[j] && limits.within(1, limits.cost(j)))
        .map(|j| {
            (
                m.rows_of(j)
                    .iter()
                    .map(|&r| m.row_weight[r as usize])
                    .sum::<f64>(),
                j,
            )
        })
        .fold((0.0, usize::MAX), |a, b| if b.0 > a.0 { b } else { a });
    if single.1 != usize::MAX && single.0 > sum(&best) {
        best = Selection {
            chosen: vec![single.1 as u32],
            marginal: vec![single.0],
        };
    }
    best
}

/// What the local search did.
#[derive(Debug, Clone, Default)]
pub struct SearchStats {
    /// Improving moves made.
    pub moves: u64,
    /// Whether it stopped at the time limit rather than at a local optimum.
    pub timed_out: bool,
}

/// Swap (and, under a budget, add) local search from `start`.
pub fn local_search(
    m: &CoverageModel,
    limits: &Limits,
    allowed: &[bool],
    start: &[u32],
    deadline: Instant,
) -> (Vec<u32>, SearchStats) {
    let n = m.n_candidates;
    let mut open = vec![false; n];
    let mut count = vec![0u32; m.n_rows()];
    let mut spend = 0.0;
    for &j in start {
        open[j as usize] = true;
        spend += limits.cost(j as usize);
        for &r in m.rows_of(j as usize) {
            count[r as usize] += 1;
        }
    }
    let eps = 1e-12 * m.coverable_weight().max(1.0);
    let mut stats = SearchStats::default();
    // Each round is about two passes over the pairs; cap the rounds by that work so the
    // answer is the same on any machine (the deadline is only a safety stop).
    let max_rounds = (MOVE_BUDGET / m.row_cands.len().max(1) as u64).clamp(50, 1_000_000);
    loop {
        if Instant::now() >= deadline {
            stats.timed_out = true;
            break;
        }
        if stats.moves >= max_rounds {
            break;
        }

        // gain of closed candidates, loss of open ones: exact, recomputed each round.
        let score: Vec<f64> = (0..n)
            .into_par_iter()
            .with_min_len(256)
            .map(|j| {
                if !allowed[j] && !open[j] {
                    return f64::NEG_INFINITY;
                }
                let want = if open[j] { 1 } else { 0 };
                m.rows_of(j)
                    .iter()
                    .filter(|&&r| count[r as usize] == want)
                    .map(|&r| m.row_weight[r as usize])
                    .sum()
            })
            .collect();
        let n_open = open.iter().filter(|&&o| o).count();
        let open_list: Vec<u32> = (0..n as u32).filter(|&j| open[j as usize]).collect();
        // Closed candidates by gain, best first (ties by index), for the "no overlap" case.
        let mut by_gain: Vec<u32> = (0..n as u32)
            .filter(|&i| !open[i as usize] && allowed[i as usize])
            .collect();
        by_gain.sort_by(|&a, &b| {
            score[b as usize]
                .total_cmp(&score[a as usize])
                .then(a.cmp(&b))
        });
        let remaining = limits.budget.as_ref().map(|(b, _)| b - spend);

        // Pure additions, when the limits leave room.
        if limits.within(n_open + 1, spend) {
            let add = by_gain
                .iter()
                .find(|&&i| limits.within(n_open + 1, spend + limits.cost(i as usize)))
                .copied();
            if let Some(i) = add
                && score[i as usize] > eps
            {
                open[i as usize] = true;
                spend += limits.cost(i as usize);
                for &r in m.rows_of(i as usize) {
                    count[r as usize] += 1;
                }
                stats.moves += 1;
                continue;
            }
        }

        // At most 8 work units per round, so each allocates its buffers once.
        let best = open_list
            .par_iter()
            .with_min_len(open_list.len().div_ceil(8).max(1))
            .map_init(
                || (vec![0.0f64; n], Vec::<u32>::new()),
                |(extra, touched), &j| {
                    let j = j as usize;
                    for &r in m.rows_of(j) {
                        if count[r as usize] == 1 {
                            let w = m.row_weight[r as usize];
                            for &i in m.cands_of(r as usize) {
                                let iu = i as usize;
                                if !open[iu] && allowed[iu] {
                                    if extra[iu] == 0.0 {
                                        touched.push(i);
                                    }
                                    extra[iu] += w;
                                }
                            }
                        }
                    }
                    let affordable = |i: usize| match remaining {
                        None => true,
                        Some(rem) => {
                            limits.cost(i) <= rem + limits.cost(j) + 1e-9 * rem.abs().max(1.0)
                        }
                    };
                    let mut best: (f64, u32) = (f64::NEG_INFINITY, u32::MAX);
                    let mut consider = |i: u32, p: f64| {
                        if p > best.0 || (p == best.0 && i < best.1) {
                            best = (p, i);
                        }
                    };
                    if let Some(&i) = by_gain.iter().find(|&&i| affordable(i as usize)) {
                        consider(i, score[i as usize] + extra[i as usize]);
                    }
                    for &i in touched.iter() {
                        if affordable(i as usize) {
                            consider(i, score[i as usize] + extra[i as usize]);
                        }
                        extra[i as usize] = 0.0;
                    }
                    touched.clear();
                    (best.0 - score[j], j as u32, best.1)
                },
            )
            .reduce(
                || (f64::NEG_INFINITY, u32::MAX, u32::MAX),
                super::better_move,
            );
        let (profit, out, inn) = best;
        if inn == u32::MAX || profit.partial_cmp(&eps) != Some(Ordering::Greater) {
            break;
        }
        open[out as usize] = false;
        spend -= limits.cost(out as usize);
        for &r in m.rows_of(out as usize) {
            count[r as usize] -= 1;
        }
        open[inn as usize] = true;
        spend += limits.cost(inn as usize);
        for &r in m.rows_of(inn as usize) {
            count[r as usize] += 1;
        }
        stats.moves += 1;
    }
    let chosen = (0..n as u32).filter(|&j| open[j as usize]).collect();
    (chosen, stats)
}

/// Exact maximal covering by depth-first enumeration, for small instances.
///
/// Visits include/exclude decisions in index order, pruning with the sum of
/// the remaining best gains. Returns `None` when more than `max_nodes` nodes
/// would be needed, so it is only used where it finishes quickly.
pub fn exact_small(
    m: &CoverageModel,
    limits: &Limits,
    allowed: &[bool],
    max_nodes: u64,
) -> Option<Vec<u32>> {
    let cands: Vec<usize> = (0..m.n_candidates)
        .filter(|&j| allowed[j] && !m.rows_of(j).is_empty())
        .collect();
    struct Dfs<'a> {
        m: &'a CoverageModel,
        limits: &'a Limits,
        cands: Vec<usize>,
        count: Vec<u32>,
        cur: Vec<u32>,
        best: (f64, Vec<u32>),
        nodes: u64,
        max_nodes: u64,
    }
    impl Dfs<'_> {
        fn go(&mut self, k: usize, value: f64, spend: f64) -> bool {
            self.nodes += 1;
            if self.nodes > self.max_nodes {
                return false;
            }
            if value > self.best.0 {
                self.best = (value, self.cur.clone());
            }
            if k == self.cands.len() || self.limits.max_sites.is_some_and(|p| self.cur.len() >= p) {
                return true;
            }
            // Bound: the best remaining gains, as many as sites are left.
            let left = self
                .limits
                .max_sites
                .map_or(usize::MAX, |p| p - self.cur.len());
            let mut gains: Vec<f64> = self.cands[k..]
                .iter()
                .map(|&j| gain_of(self.m, &self.count, j))
                .collect();
            gains.sort_by(|a, b| b.total_cmp(a));
            let optimistic: f64 = gains.iter().take(left).sum();
            if value + optimistic <= self.best.0 {
                return true;
            }
            let j = self.cands[k];
            let c = self.limits.cost(j);
            if self.limits.within(self.cur.len() + 1, spend + c) {
                let g = gain_of(self.m, &self.count, j);
                for &r in self.m.rows_of(j) {
                    self.count[r as usize] += 1;
                }
                self.cur.push(j as u32);
                let ok = self.go(k + 1, value + g, spend + c);
                self.cur.pop();
                for &r in self.m.rows_of(j) {
                    self.count[r as usize] -= 1;
                }
                if !ok {
                    return false;
                }
            }
            self.go(k + 1, value, spend)
        }
    }
    let mut d = Dfs {
        m,
        limits,
        cands,
        count: vec![0; m.n_rows()],
        cur: Vec::new(),
        best: (0.0, Vec::new()),
        nodes: 0,
        max_nodes,
    };
    if d.go(0, 0.0, 0.0) {
        Some(d.best.1)
    } else {
        None
    }
}

/// A small deterministic generator (SplitMix64) for the perturbation moves.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform index below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Iterated local search: `kicks` times, close a few random open sites of the
/// best answer, refill greedily, run local search, and keep the result if it
/// covers more. The moves depend only on `seed`, never on time or threads.
/// Returns the best answer, the rounds that improved it and the rounds run
/// (fewer than `kicks` when `deadline` stops them).
pub fn iterated_search(
    m: &CoverageModel,
    limits: &Limits,
    allowed: &[bool],
    start: &[u32],
    kicks: u32,
    seed: u64,
    deadline: Instant,
) -> (Vec<u32>, u32, u32) {
    let value = |set: &[u32]| {
        let mut open = vec![false; m.n_candidates];
        set.iter().for_each(|&j| open[j as usize] = true);
        m.covered_by(&open)
    };
    let mut best = start.to_vec();
    let mut best_value = value(&best);
    let mut rng = SplitMix(seed ^ 0x6F75_7470_6F73_7421);
    let mut wins = 0;
    let mut done = 0;
    for _ in 0..kicks {
        if Instant::now() >= deadline || best.len() < 2 {
            break;
        }
        done += 1;
        let k = (best.len() / 10).clamp(2, 25);
        let mut set = best.clone();
        for _ in 0..k {
            let i = rng.below(set.len());
            set.swap_remove(i);
        }
        set.sort_unstable();
        // Refill: greedy on what the remaining sites leave uncovered (candidates just closed excluded).
        let mut count = vec![0u32; m.n_rows()];
        for &j in &set {
            for &r in m.rows_of(j as usize) {
                count[r as usize] += 1;
            }
        }
        let mut spend: f64 = set.iter().map(|&j| limits.cost(j as usize)).sum();
        let closed: Vec<u32> = best.iter().filter(|j| !set.contains(j)).copied().collect();
        loop {
            let mut pick: Option<(f64, usize)> = None;
            for (j, &ok) in allowed.iter().enumerate() {
                if !ok || set.contains(&(j as u32)) || closed.contains(&(j as u32)) {
                    continue;
                }
                if !limits.within(set.len() + 1, spend + limits.cost(j)) {
                    continue;
                }
                let g = gain_of(m, &count, j);
                if g > 0.0 && pick.is_none_or(|(pg, _)| g > pg) {
                    pick = Some((g, j));
                }
            }
            let Some((_, j)) = pick else { break };
            for &r in m.rows_of(j) {
                count[r as usize] += 1;
            }
            spend += limits.cost(j);
            set.push(j as u32);
        }
        let (cand, _) = local_search(m, limits, allowed, &set, deadline);
        let v = value(&cand);
        if v > best_value * (1.0 + 1e-12) {
            best = cand;
            best_value = v;
            wins += 1;
        }
    }
    (best, wins, done)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::coverage::build;
    use crate::sphere::{Radius, to_unit};
    use proptest::prelude::*;

    /// The best covered weight over every set of at most `p` candidates
    /// within the budget, by enumeration (tests of other solvers use it too).
    pub(crate) fn best_exhaustive(m: &CoverageModel, p: usize, cost: Option<(&[f64], f64)>) -> f64 {
        let n = m.n_candidates;
        let mut best = 0.0f64;
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize > p {
                continue;
            }
            if let Some((c, b)) = cost {
                let s: f64 = (0..n).filter(|j| mask & (1 << j) != 0).map(|j| c[j]).sum();
                if s > b {
                    continue;
                }
            }
            let open: Vec<bool> = (0..n).map(|j| mask & (1 << j) != 0).collect();
            best = best.max(m.covered_by(&open));
        }
        best
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn local_search_is_feasible_and_near_exhaustive(
            pts in proptest::collection::vec((0.0f64..10.0, 0.0f64..10.0, 1u32..100), 5..80),
            cands in proptest::collection::vec((0.0f64..10.0, 0.0f64..10.0, 1u32..10), 2..12),
            p in 1usize..5,
            km in 80.0f64..400.0,
            use_budget in any::<bool>(),
        ) {
            let units: Vec<_> = pts.iter().map(|p| to_unit(p.0, p.1)).collect();
            let w: Vec<f64> = pts.iter().map(|p| p.2 as f64).collect();
            let cu: Vec<_> = cands.iter().map(|c| to_unit(c.0, c.1)).collect();
            let costs: Vec<f64> = cands.iter().map(|c| c.2 as f64).collect();
            let m = build(&crate::metric::GreatCircle::default(), &units, &w, &[], &cu, Radius::from_km(km));
            let budget = 12.0;
            let limits = Limits {
                max_sites: Some(p),
                budget: use_budget.then(|| (budget, costs.clone())),
            };
            let allowed = vec![true; m.n_candidates];
            let g = greedy(&m, &limits, &allowed);
            let far = Instant::now() + std::time::Duration::from_secs(10);
            let (set, _) = local_search(&m, &limits, &allowed, &g.chosen, far);
            prop_assert!(set.len() <= p);
            if use_budget {
                prop_assert!(set.iter().map(|&j| costs[j as usize]).sum::<f64>() <= budget);
            }
            let mut open = vec![false; m.n_candidates];
            for &j in &set { open[j as usize] = true; }
            let got = m.covered_by(&open);
            let opt = best_exhaustive(&m, p, use_budget.then_some((&costs[..], budget)));
            prop_assert!(got <= opt + 1e-9);
            // Local search from greedy is not exact in theory; it must at least keep the greedy guarantee.
            let factor = if use_budget { 0.5 * (1.0 - (-1.0f64).exp()) } else { 1.0 - (-1.0f64).exp() };
            prop_assert!(got >= factor * opt - 1e-9, "{} vs opt {}", got, opt);
            let gsum: f64 = g.marginal.iter().sum();
            prop_assert!(got >= gsum - 1e-9);
        }
    }
}
