//! p-center: open new sites to minimise the largest distance (optionally
//! weight x distance) from a demand point to its nearest open site.
//!
//! # Algorithm
//! Gonzalez's farthest-first traversal gives a first answer and an upper end.
//! The lower end is the largest distance from a point to its nearest site of
//! all (no plan can do better). Bisection over the radius then asks, at each
//! radius, whether `p` sites can cover every point: a covering model at that
//! radius, solved by the fewest-sites heuristic. A radius at which some point
//! is out of reach of every site, or at which the fewest-sites lower bound
//! exceeds `p`, is proven infeasible and raises the reported lower bound.

use super::bound::lagrangian;
use super::mclp::Limits;
use super::minsites;
use crate::coverage::build_with;
use crate::metric::{Metric, SiteIndex};
use rayon::prelude::*;
use std::time::Instant;

/// A p-center answer.
#[derive(Debug, Clone)]
pub struct PCenter {
    /// Chosen candidates.
    pub chosen: Vec<u32>,
    /// Proven lower bound on the objective (km, or weight x km when weighted).
    pub lower_bound: f64,
    /// Radius tests run.
    pub tests: u32,
}

fn score(d_km: f64, w: f64, weighted: bool) -> f64 {
    if weighted { w * d_km } else { d_km }
}

/// Largest (weighted) distance to the nearest of `sites` (infinite when there are none).
pub fn objective<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    weights: &[f64],
    sites: &[M::Point],
    weighted: bool,
) -> f64 {
    if sites.is_empty() {
        return f64::INFINITY;
    }
    let index = metric.index(sites);
    demand
        .par_iter()
        .enumerate()
        .map(|(i, u)| {
            let d = index
                .nearest(u)
                .map_or(f64::INFINITY, |(_, key)| metric.distance(key));
            score(d, weights[i], weighted)
        })
        .reduce(|| 0.0, f64::max)
}

/// Solves p-center with `p` new candidates on top of `fixed`.
#[allow(clippy::too_many_arguments)]
pub fn solve<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    weights: &[f64],
    fixed: &[M::Point],
    cands: &[M::Point],
    allowed: &[bool],
    p: usize,
    weighted: bool,
    deadline: Instant,
) -> PCenter {
    let allowed_units: Vec<(u32, M::Point)> = cands
        .iter()
        .enumerate()
        .filter(|(j, _)| allowed[*j])
        .map(|(j, u)| (j as u32, *u))
        .collect();
    let all: Vec<M::Point> = fixed
        .iter()
        .copied()
        .chain(allowed_units.iter().map(|x| x.1))
        .collect();
    // With a sparse cost matrix a point may be out of reach of every site: no
    // plan serves it, so the search is over the points some site can reach.
    let reachable: Vec<bool> = {
        let index = metric.index(&all);
        demand
            .par_iter()
            .map(|u| index.nearest(u).is_some())
            .collect()
    };
    if !all.is_empty() && reachable.iter().any(|r| !r) {
        let (d, w): (Vec<M::Point>, Vec<f64>) = demand
            .iter()
            .zip(weights)
            .zip(&reachable)
            .filter(|(_, r)| **r)
            .map(|((d, w), _)| (*d, *w))
            .unzip();
        return solve(metric, &d, &w, fixed, cands, allowed, p, weighted, deadline);
    }
    // Lower end: nobody can be served closer than their nearest site of all.
    let lb0 = objective(metric, demand, weights, &all, weighted);
    let lb0 = if lb0.is_finite() { lb0 } else { 0.0 };

    // Farthest-first start.
    let cand_index = metric.index(&allowed_units.iter().map(|x| x.1).collect::<Vec<_>>());
    let mut cur: Vec<f64> = if fixed.is_empty() {
        vec![f64::INFINITY; demand.len()]
    } else {
        let fi = metric.index(fixed);
        demand
            .par_iter()
            .map(|u| {
                fi.nearest(u)
                    .map_or(f64::INFINITY, |(_, key)| metric.distance(key))
            })
            .collect()
    };
    let mut chosen: Vec<u32> = Vec::new();
    for _ in 0..p.min(allowed_units.len()) {
        let far = (0..demand.len())
            .map(|i| (score(cur[i], weights[i], weighted), i))
            .fold(
                (f64::NEG_INFINITY, 0usize),
                |a, b| if b.0 > a.0 { b } else { a },
            );
        if far.0 <= 0.0 {
            break;
        }
        let Some((k, _)) = cand_index.nearest(&demand[far.1]) else {
            break;
        };
        let (j, u) = allowed_units[k as usize];
        if chosen.contains(&j) {
            break;
        }
        chosen.push(j);
        cur.par_iter_mut()
            .zip(demand.par_iter())
            .for_each(|(c, d)| *c = c.min(metric.distance_between(d, &u)));
    }
    let mut best_sites = chosen;
    let units_of = |set: &[u32]| -> Vec<M::Point> {
        fixed
            .iter()
            .copied()
            .chain(set.iter().map(|&j| cands[j as usize]))
            .collect()
    };
    let mut hi = objective(metric, demand, weights, &units_of(&best_sites), weighted);
    let mut lo = lb0;
    let mut proven = lb0;
    let ones = vec![1.0; demand.len()];
    let mut tests = 0;
    while hi - lo > 1e-7 * hi.max(1e-9) && Instant::now() < deadline && tests < 60 {
        let r = 0.5 * (lo + hi);
        tests += 1;
        let model = build_with(metric, demand, &ones, fixed, cands, |i| {
            if weighted {
                if weights[i] <= 0.0 {
                    metric.key(f64::INFINITY)
                } else {
                    metric.key(r / weights[i])
                }
            } else {
                metric.key(r)
            }
        });
        if model.unreachable_weight > 0.0 {
            lo = r;
            proven = proven.max(r);
            continue;
        }
        let need = model.coverable_weight();
        let remaining = deadline.saturating_duration_since(Instant::now()) / 4;
        match minsites::solve(&model, allowed, need, Instant::now() + remaining, false) {
            Some(ms) if ms.chosen.len() <= p => {
                let value = objective(metric, demand, weights, &units_of(&ms.chosen), weighted);
                if value <= hi {
                    hi = value;
                    best_sites = ms.chosen;
                } else {
                    hi = r.max(lo);
                }
            }
            Some(ms) => {
                // Prove it: can any p candidates cover everything at this radius?
                let limits = Limits {
                    max_sites: Some(p),
                    budget: None,
                };
                let seed: Vec<u32> = ms.chosen.iter().take(p).copied().collect();
                let mut open = vec![false; model.n_candidates];
                seed.iter().for_each(|&j| open[j as usize] = true);
                let lower = model.covered_by(&open);
                let ub = lagrangian(&model, &limits, allowed, &seed, lower, 300, 0.0, deadline);
                if ms.lower_bound > p || ub.value < need * (1.0 - 1e-9) {
                    proven = proven.max(r);
                }
                lo = r;
            }
            None => {
                proven = proven.max(r);
                lo = r;
            }
        }
    }
    best_sites.sort_unstable();
    PCenter {
        chosen: best_sites,
        lower_bound: proven,
        tests,
    }
}
