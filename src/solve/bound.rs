//! Upper bounds on coverable weight: Lagrangian relaxation of the coverage
//! constraints, optimised by subgradient.
//!
//! With multipliers `λ_r = μ_r w_r`, `μ_r ∈ [0, 1]`, the relaxed problem is
//!
//! ```text
//! L(μ) = Σ_r w_r (1 - μ_r) + max_{S feasible} Σ_{j ∈ S} v_j,   v_j = Σ_{r ∋ j} μ_r w_r
//! ```
//!
//! and every `μ` gives a valid upper bound on the covered weight (Galvao &
//! ReVelle 1996). "S feasible" is relaxed to the best `p` candidates and/or the
//! fractional knapsack under the budget, each of which can only raise `L`.
//! The search starts from the multipliers of the heuristic solution (uncovered
//! rows at `μ = 1`, covered at 0: the "current + best gains" bound) and takes
//! weight-scaled subgradient steps; the smallest `L` seen is reported.

use super::mclp::Limits;
use crate::coverage::CoverageModel;
use rayon::prelude::*;
use std::time::Instant;

/// Iterations without improvement before the step scale is halved (tuned on the
/// world instances: 50 gave tighter bounds and better Lagrangian starts than 10-20).
const PATIENCE: u32 = 50;

/// Iterations over which the bound must improve by [`STALL_FRACTION`] (relative) to go on.
const STALL_WINDOW: u32 = 100;

/// Smallest relative improvement of the bound over [`STALL_WINDOW`] iterations
/// worth more iterations: near the end the bound creeps by a few parts in a
/// million per hundred iterations, far below any gap a plan is judged by.
const STALL_FRACTION: f64 = 5e-6;

/// Relaxed choices kept as starting points (the most recent improving ones).
const MAX_HINTS: usize = 32;

/// An upper bound and how much work it took.
#[derive(Debug, Clone, PartialEq)]
pub struct UpperBound {
    /// Upper bound on the weight the candidates can cover (beyond fixed sites).
    pub value: f64,
    /// Subgradient iterations run.
    pub iterations: u32,
    /// Whole-site choices of the relaxed problem seen along the way (the last
    /// few improving ones): good starting points for local search.
    pub hints: Vec<Vec<u32>>,
}

/// The best value of the relaxed site problem (the `p` best and/or the fractional
/// knapsack under the budget), filling `chosen` with each candidate's share.
pub(crate) fn relaxed_max(v: &[f64], limits: &Limits, allowed: &[bool], chosen: &mut [f64]) -> f64 {
    // Value and the (possibly fractional) choice of the relaxed site problem.
    let mut order: Vec<u32> = (0..v.len() as u32)
        .filter(|&j| allowed[j as usize] && v[j as usize] > 0.0)
        .collect();
    chosen.iter_mut().for_each(|c| *c = 0.0);
    let card = limits.max_sites.map(|p| {
        if order.len() > p {
            order.select_nth_unstable_by(p, |&a, &b| {
                v[b as usize].total_cmp(&v[a as usize]).then(a.cmp(&b))
            });
        }
        let top = &order[..p.min(order.len())];
        (
            top.iter().map(|&j| v[j as usize]).sum::<f64>(),
            top.to_vec(),
        )
    });
    let knap = limits.budget.as_ref().map(|(b, cost)| {
        let mut o: Vec<u32> = (0..v.len() as u32)
            .filter(|&j| allowed[j as usize] && v[j as usize] > 0.0)
            .collect();
        let ratio = |j: u32| {
            let c = cost[j as usize];
            if c <= 0.0 {
                f64::INFINITY
            } else {
                v[j as usize] / c
            }
        };
        o.sort_by(|&a, &bb| ratio(bb).total_cmp(&ratio(a)).then(a.cmp(&bb)));
        let mut left = *b;
        let mut val = 0.0;
        let mut pick = Vec::new();
        for j in o {
            let c = cost[j as usize];
            if c <= left {
                left -= c;
                val += v[j as usize];
                pick.push((j, 1.0));
            } else {
                let f = if c > 0.0 { left / c } else { 1.0 };
                val += f * v[j as usize];
                pick.push((j, f));
                break;
            }
        }
        (val, pick)
    });
    match (card, knap) {
        (Some((cv, cp)), Some((kv, kp))) => {
            if cv <= kv {
                cp.iter().for_each(|&j| chosen[j as usize] = 1.0);
                cv
            } else {
                kp.iter().for_each(|&(j, f)| chosen[j as usize] = f);
                kv
            }
        }
        (Some((cv, cp)), None) => {
            cp.iter().for_each(|&j| chosen[j as usize] = 1.0);
            cv
        }
        (None, Some((kv, kp))) => {
            kp.iter().for_each(|&(j, f)| chosen[j as usize] = f);
            kv
        }
        (None, None) => {
            // No limit: every candidate may open.
            order.iter().for_each(|&j| chosen[j as usize] = 1.0);
            order.iter().map(|&j| v[j as usize]).sum()
        }
    }
}

/// `Σ values[r]` over `rows`, in four interleaved partial sums added in a fixed
/// order (so the same on every run and thread count): a single chain of
/// additions waits on each one, and this sum is the bound's inner loop.
pub(crate) fn gather_sum(rows: &[u32], values: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let quads = rows.chunks_exact(4);
    let rest = quads.remainder();
    for q in quads {
        for (a, &r) in acc.iter_mut().zip(q) {
            *a += values[r as usize];
        }
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for &r in rest {
        sum += values[r as usize];
    }
    sum
}

/// Lagrangian upper bound on the weight coverable by candidates within `limits`.
///
/// `solution` (open candidates of a heuristic) seeds the multipliers and
/// `lower` (its covered weight) steers the step size. Stops after
/// `max_iters`, at `deadline`, when the gap to `lower` is below `tol`, or when
/// the bound improved by less than 5 parts in a million (relative) over the
/// last 100 iterations. Every iteration's value is a valid bound, so where it
/// stops changes only how tight the bound is.
pub fn lagrangian(
    m: &CoverageModel,
    limits: &Limits,
    allowed: &[bool],
    solution: &[u32],
    lower: f64,
    max_iters: u32,
    tol: f64,
    deadline: Instant,
) -> UpperBound {
    let nr = m.n_rows();
    let mut covered = vec![false; nr];
    for &j in solution {
        for &r in m.rows_of(j as usize) {
            covered[r as usize] = true;
        }
    }
    let mut mu: Vec<f64> = covered.iter().map(|&c| if c { 0.0 } else { 1.0 }).collect();
    let mut best = f64::INFINITY;
    // Step scale, halved after `PATIENCE` iterations without a better bound.
    let mut theta: f64 = 1.0;
    let mut since = 0u32;
    let mut chosen = vec![0.0f64; m.n_candidates];
    let mut it = 0;
    let coverable = m.coverable_weight();
    let mut hints: Vec<Vec<u32>> = Vec::new();
    // Average of the relaxed choices (primal recovery): near the dual optimum the
    // relaxed choice flips between ties, and its average approaches an LP solution.
    let mut xbar = vec![0.0f64; m.n_candidates];
    let mut window_best = f64::INFINITY;
    while it < max_iters {
        it += 1;
        // Each row's multiplier times its weight, once per iteration (the same
        // products the sums below would form per pair).
        let mw: Vec<f64> = mu
            .par_iter()
            .with_min_len(4096)
            .zip(&m.row_weight)
            .map(|(u, w)| u * w)
            .collect();
        let v: Vec<f64> = (0..m.n_candidates)
            .into_par_iter()
            .with_min_len(256)
            .map(|j| {
                if !allowed[j] {
                    return 0.0;
                }
                gather_sum(m.rows_of(j), &mw)
            })
            .collect();
        let sites = relaxed_max(&v, limits, allowed, &mut chosen);
        for (x, c) in xbar.iter_mut().zip(&chosen) {
            *x = 0.95 * *x + 0.05 * c;
        }
        let own: f64 = m
            .row_weight
            .iter()
            .zip(&mu)
            .map(|(w, u)| w * (1.0 - u))
            .sum();
        let l = own + sites;
        if !best.is_finite() || l < best - 1e-12 * best.abs() {
            best = l;
            since = 0;
            if it % 10 == 0 || it > 20 {
                let hint: Vec<u32> = (0..m.n_candidates as u32)
                    .filter(|&j| chosen[j as usize] >= 1.0)
                    .collect();
                if !hints.contains(&hint) {
                    hints.push(hint);
                    if hints.len() > MAX_HINTS {
                        hints.remove(0);
                    }
                }
            }
        } else {
            since += 1;
            if since >= PATIENCE {
                theta /= 2.0;
                since = 0;
            }
        }
        // Stall: the bound moved by less than STALL_FRACTION over the last
        // STALL_WINDOW iterations. Counted in iterations, so where the search
        // stops does not depend on the machine's speed.
        let stalled = if it.is_multiple_of(STALL_WINDOW) {
            let stalled = window_best - best <= STALL_FRACTION * best.abs();
            window_best = best;
            stalled
        } else {
            false
        };
        if best.min(coverable) - lower <= tol * best.min(coverable).max(1e-300)
            || stalled
            || Instant::now() >= deadline
            || theta < 1e-6
        {
            break;
        }
        // Subgradient in μ: c_r - 1 where c_r is how much of r the relaxed choice covers.
        // Only the chosen sites' rows gain coverage, so start every row at -1 and add those.
        let mut cover = vec![0.0f64; nr];
        for (j, &c) in chosen.iter().enumerate() {
            if c > 0.0 {
                for &r in m.rows_of(j) {
                    cover[r as usize] += c;
                }
            }
        }
        let g: Vec<f64> = cover
            .iter()
            .zip(&mu)
            .map(|(&c, &u)| {
                let g = c - 1.0;
                // Project: μ cannot leave [0, 1].
                if (u >= 1.0 && g < 0.0) || (u <= 0.0 && g > 0.0) {
                    0.0
                } else {
                    g
                }
            })
            .collect();
        let norm: f64 = g.iter().zip(&m.row_weight).map(|(g, w)| w * g * g).sum();
        if norm <= 0.0 {
            break;
        }
        let step = theta * (l - lower).max(1e-9 * l.abs()) / norm;
        mu.par_iter_mut().zip(&g).for_each(|(u, g)| {
            *u = (*u - step * g).clamp(0.0, 1.0);
        });
    }
    // The averaged choice, rounded to its largest entries, as a last hint.
    let k = limits
        .max_sites
        .unwrap_or_else(|| xbar.iter().filter(|&&x| x >= 0.5).count());
    let mut order: Vec<u32> = (0..m.n_candidates as u32)
        .filter(|&j| xbar[j as usize] > 0.0)
        .collect();
    order.sort_by(|&a, &b| {
        xbar[b as usize]
            .total_cmp(&xbar[a as usize])
            .then(a.cmp(&b))
    });
    order.truncate(k);
    order.sort_unstable();
    hints.push(order);
    UpperBound {
        value: best.min(coverable),
        iterations: it,
        hints,
    }
}
