//! Fewest new sites to reach a covered weight (partial set covering).
//!
//! # Algorithm
//! Greedy until the target is met, then alternate redundancy removal (drop the
//! site whose loss is smallest while the target still holds) with swap local
//! search at the current count (which frees slack for the next removal), until
//! neither helps. The lower bound is the smallest count whose Lagrangian upper
//! bound on coverable weight reaches the target.

use super::bound::lagrangian;
use super::mclp::{Limits, greedy, local_search};
use crate::coverage::CoverageModel;
use std::time::Instant;

/// A fewest-sites answer.
#[derive(Debug, Clone)]
pub struct MinSites {
    /// Chosen candidates.
    pub chosen: Vec<u32>,
    /// Proven lower bound on the number of new sites.
    pub lower_bound: usize,
}

/// Removes sites, smallest loss first (ties by index), while coverage stays at
/// least `floor`; returns how many were removed.
fn remove_redundant(m: &CoverageModel, set: &mut Vec<u32>, floor: f64) -> usize {
    let mut count = vec![0u32; m.n_rows()];
    for &j in set.iter() {
        for &r in m.rows_of(j as usize) {
            count[r as usize] += 1;
        }
    }
    let mut total = covered(m, set);
    let mut removed = 0;
    loop {
        let mut best: Option<(f64, usize)> = None;
        for (k, &j) in set.iter().enumerate() {
            let loss: f64 = m
                .rows_of(j as usize)
                .iter()
                .filter(|&&r| count[r as usize] == 1)
                .map(|&r| m.row_weight[r as usize])
                .sum();
            if total - loss >= floor && best.is_none_or(|(bl, _)| loss < bl) {
                best = Some((loss, k));
            }
        }
        let Some((loss, k)) = best else { break };
        let j = set.remove(k);
        for &r in m.rows_of(j as usize) {
            count[r as usize] -= 1;
        }
        total -= loss;
        removed += 1;
    }
    removed
}

fn covered(m: &CoverageModel, set: &[u32]) -> f64 {
    let mut open = vec![false; m.n_candidates];
    for &j in set {
        open[j as usize] = true;
    }
    m.covered_by(&open)
}

/// Finds few sites covering at least `need` weight of the model's rows.
/// Returns `None` when even every allowed candidate falls short.
pub fn solve(
    m: &CoverageModel,
    allowed: &[bool],
    need: f64,
    deadline: Instant,
    with_bound: bool,
) -> Option<MinSites> {
    if need <= 0.0 {
        return Some(MinSites {
            chosen: Vec::new(),
            lower_bound: 0,
        });
    }
    let all: Vec<bool> = allowed.to_vec();
    if m.covered_by(&all) < need * (1.0 - 1e-12) {
        return None;
    }
    let eps = 1e-12 * need;
    // Greedy with no count limit, stopped at the target.
    let g = greedy(
        m,
        &Limits {
            max_sites: None,
            budget: None,
        },
        allowed,
    );
    let mut set = Vec::new();
    let mut acc = 0.0;
    for (&j, &gain) in g.chosen.iter().zip(&g.marginal) {
        if acc >= need - eps {
            break;
        }
        set.push(j);
        acc += gain;
    }
    loop {
        // Redundancy removal: drop the site with the smallest loss while the target holds.
        let removed = remove_redundant(m, &mut set, need - eps);
        if Instant::now() >= deadline || set.is_empty() {
            break;
        }
        // Swap search at this count can raise coverage above the target, opening room to remove one more.
        let limits = Limits {
            max_sites: Some(set.len()),
            budget: None,
        };
        let (next, stats) = local_search(m, &limits, allowed, &set, deadline);
        if stats.moves == 0 && removed == 0 {
            break;
        }
        let before = set.len();
        set = next;
        if remove_redundant(m, &mut set, need - eps) == 0 && set.len() == before {
            break;
        }
    }
    set.sort_unstable();
    let lower_bound = if with_bound {
        lower_bound(m, allowed, need, &set, deadline)
    } else {
        cheap_lower_bound(m, allowed, need)
    };
    Some(MinSites {
        chosen: set,
        lower_bound,
    })
}

/// Smallest k whose k largest single-site coverages reach `need`: valid, as k
/// sites never cover more than the sum of what each covers alone.
fn cheap_lower_bound(m: &CoverageModel, allowed: &[bool], need: f64) -> usize {
    let mut single: Vec<f64> = (0..m.n_candidates)
        .filter(|&j| allowed[j])
        .map(|j| m.rows_of(j).iter().map(|&r| m.row_weight[r as usize]).sum())
        .collect();
    single.sort_by(|a, b| b.total_cmp(a));
    let mut acc = 0.0;
    for (k, s) in single.iter().enumerate() {
        acc += s;
        if acc >= need * (1.0 - 1e-12) {
            return k + 1;
        }
    }
    single.len()
}

fn lower_bound(
    m: &CoverageModel,
    allowed: &[bool],
    need: f64,
    set: &[u32],
    deadline: Instant,
) -> usize {
    let mut lo = cheap_lower_bound(m, allowed, need).max(1); // a count known to be possibly enough
    let hi = set.len();
    // Invariant: every k < lo is proven infeasible. Try to prove k = lo .. hi-1 infeasible by bisection.
    let (mut a, mut b) = (lo, hi);
    while a < b {
        if Instant::now() >= deadline {
            break;
        }
        let k = (a + b) / 2;
        let limits = Limits {
            max_sites: Some(k),
            budget: None,
        };
        let seed: Vec<u32> = set.iter().take(k).copied().collect();
        let lower = covered(m, &seed);
        let ub = lagrangian(m, &limits, allowed, &seed, lower, 300, 0.0, deadline);
        if ub.value < need * (1.0 - 1e-9) {
            // k sites cannot reach the target: nor can fewer.
            lo = lo.max(k + 1);
            a = k + 1;
        } else {
            b = k;
        }
    }
    lo.min(hi)
}
