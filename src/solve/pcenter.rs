//! p-center: open new sites to minimise the largest distance (optionally
//! weight x distance) from a demand point to its nearest open site.
//!
//! # Algorithm
//! Gonzalez's farthest-first traversal gives a first answer and an upper end.
//! The lower end is the largest distance from a point to its nearest site of
//! all (no plan can do better). Bisection over the radius then asks, at each
//! radius, whether `p` sites can cover every point: a covering model at that
//! radius, decided by the set-covering search ([`setcover::decide`]: its
//! heuristic, then branch and bound with every node that needs more than `p`
//! sites pruned). A radius at which some point is out of reach of every site,
//! or at which no `p` sites cover, is proven infeasible and raises the
//! reported lower bound; the bisection closes to a relative 1e-7. A test
//! stopped at its time share (a quarter of the time left) is counted as
//! undecided: the answer is searched above it, and the bound between the
//! last radius proven infeasible and the smallest undecided one (smaller
//! radii are easier to rule out), the wider of the two intervals first.

use super::setcover::{self, Decision, Settings};
use crate::coverage::{CoverageModel, build_with};
use crate::metric::{Metric, SiteIndex};
use rayon::prelude::*;
use std::time::Instant;

/// Radius tests at most.
const MAX_TESTS: u32 = 80;

/// A p-center answer.
#[derive(Debug, Clone)]
pub struct PCenter {
    /// Chosen candidates.
    pub chosen: Vec<u32>,
    /// Proven lower bound on the objective (km, or weight x km when weighted).
    pub lower_bound: f64,
    /// Radius tests run.
    pub tests: u32,
    /// Tests stopped at their time share without an answer either way.
    pub undecided: u32,
    /// Whether the plan reaches every point some site reaches (`false`: no
    /// plan does, `None`: not found in time; only a sparse cost matrix can
    /// leave points unreached). Without it the bound means nothing.
    pub reaches_all: Option<bool>,
    /// Whether the search stopped at the deadline with the answer and the
    /// bound still apart.
    pub timed_out: bool,
}

fn score(d_km: f64, w: f64, weighted: bool) -> f64 {
    if weighted { w * d_km } else { d_km }
}

/// Largest (weighted) distance to the nearest of `sites` (infinite when there
/// are none); a point none of `sites` reaches (a sparse cost matrix) counts
/// as `unreached` (infinite in the search; the report leaves such points
/// out with 0, as its distance statistics do).
pub fn objective<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    weights: &[f64],
    sites: &[M::Point],
    weighted: bool,
    unreached: f64,
) -> f64 {
    if sites.is_empty() {
        return f64::INFINITY;
    }
    let index = metric.index(sites);
    demand
        .par_iter()
        .enumerate()
        .map(|(i, u)| {
            index.nearest(u).map_or(unreached, |(_, key)| {
                score(metric.distance(key), weights[i], weighted)
            })
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
    seed: u64,
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
        return solve(
            metric, &d, &w, fixed, cands, allowed, p, weighted, seed, deadline,
        );
    }
    // Lower end: nobody can be served closer than their nearest site of all.
    let lb0 = objective(metric, demand, weights, &all, weighted, f64::INFINITY);
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
    let largest = |set: &[u32]| {
        objective(
            metric,
            demand,
            weights,
            &units_of(set),
            weighted,
            f64::INFINITY,
        )
    };
    // Can `p` sites cover `need` of the model? Each test may take a quarter
    // of the time left, so later ones still run.
    let decide = |model: &CoverageModel, need: f64| {
        let share = deadline.saturating_duration_since(Instant::now()) / 4;
        let settings = Settings {
            seed,
            deadline: Instant::now() + share,
            with_bound: false,
        };
        setcover::decide(model, allowed, need, p, &settings)
    };
    let mut hi = largest(&best_sites);
    let mut lo = lb0;
    let mut proven = lb0;
    let ones = vec![1.0; demand.len()];
    let mut tests = 0;
    let mut undecided = 0;
    // The smallest radius whose test was undecided.
    let mut unknown_at = f64::INFINITY;
    let close = |a: f64, b: f64| b - a <= 1e-7 * b.max(1e-9);
    // A start that leaves a point unreached (a sparse cost matrix): can any
    // `p` sites reach every point at all? The bisection starts from that plan.
    let mut reaches_all = Some(true);
    if hi.is_infinite() && !all.is_empty() {
        tests += 1;
        let model = build_with(metric, demand, &ones, fixed, cands, |_| {
            metric.key(f64::INFINITY)
        });
        match decide(&model, model.coverable_weight()) {
            Decision::Yes(set) => {
                hi = largest(&set);
                best_sites = set;
            }
            Decision::No => reaches_all = Some(false),
            Decision::Unknown => {
                undecided += 1;
                reaches_all = None;
            }
        }
    }
    while hi.is_finite() && Instant::now() < deadline && tests < MAX_TESTS {
        // Bisect for the answer between the last infeasible (or undecided)
        // radius and the best answer and, once a test is undecided, for the
        // bound between the last radius proven infeasible and the smallest
        // undecided one: the wider of the two intervals first.
        let answer = if close(lo, hi) { 0.0 } else { hi - lo };
        let top = unknown_at.min(hi);
        let bound = if unknown_at.is_infinite() || close(proven, top) {
            0.0
        } else {
            top - proven
        };
        let r = if bound > answer {
            0.5 * (proven + top)
        } else if answer > 0.0 {
            0.5 * (lo + hi)
        } else {
            break;
        };
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
            lo = lo.max(r);
            proven = proven.max(r);
            continue;
        }
        let need = model.coverable_weight();
        match decide(&model, need) {
            Decision::Yes(set) => {
                let value = largest(&set);
                if value <= hi {
                    hi = value;
                    best_sites = set;
                } else {
                    hi = r.max(lo);
                }
            }
            Decision::No => {
                proven = proven.max(r);
                lo = lo.max(r);
            }
            Decision::Unknown => {
                // Not shown either way in time: the answer is searched above,
                // the bound below.
                undecided += 1;
                lo = lo.max(r);
                unknown_at = unknown_at.min(r);
            }
        }
    }

    best_sites.sort_unstable();
    PCenter {
        chosen: best_sites,
        lower_bound: proven,
        tests,
        undecided,
        reaches_all,
        timed_out: Instant::now() >= deadline && !close(proven, hi),
    }
}
