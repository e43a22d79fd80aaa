//! The distance objective (p-median): least weighted distance to the nearest
//! open site, on each demand point's K nearest sites.

use super::{Chosen, Sites, Task};
use crate::config::PlanConfig;
use crate::metric::Metric;
use crate::report::BoundReport;
use crate::solve::pmedian;
use std::time::{Duration, Instant};

/// Greedy, then fast-swap local search, then (with the bound) the Lagrangian
/// lower bound.
pub(super) fn plan_median<M: Metric>(
    task: &Task<'_, M>,
    sites: &Sites<'_, M::Point>,
    pc: &PlanConfig,
    deadline: Instant,
) -> Chosen {
    let Task {
        metric,
        demand,
        loaded,
        progress,
        ..
    } = *task;
    let (weights, fixed, cands, allowed) =
        (loaded.weights(), sites.fixed, sites.cands, sites.allowed);
    progress.stage("finding nearest candidates");
    let all: Vec<M::Point> = fixed.iter().chain(cands).copied().collect();
    let p = pc.add.expect("checked by the CLI");
    let k = pc
        .k_nearest
        .unwrap_or_else(|| auto_k(all.len(), p + fixed.len(), demand.len()));
    let nl = pmedian::NearestLists::build(metric, demand, weights, &all, fixed.len(), k);
    let nf = fixed.len() as u32;
    progress.stage("greedy");
    let g = pmedian::greedy(&nl, p, allowed);
    progress.stage("local search");
    let (set, moves, timed_out) =
        pmedian::local_search(metric, &nl, demand, &all, &g, allowed, deadline);
    let mut notes = vec![format!(
        "p-median on each point's {} nearest sites; greedy then {moves} improving swaps{}",
        nl.k,
        if timed_out {
            " (stopped at --time-limit)"
        } else {
            ""
        }
    )];
    let bound = if pc.bound {
        progress.stage("lower bound");
        let mut open = vec![false; nl.n_sites];
        open[..nl.n_fixed].iter_mut().for_each(|o| *o = true);
        set.iter().for_each(|&j| open[j as usize] = true);
        let upper = nl.cost(&open);
        let lb = pmedian::lower_bound(
            &nl,
            p,
            allowed,
            &set,
            upper,
            // About 3e9 entry visits in all (two passes per iteration), 30 to 400 iterations.
            (1_500_000_000 / nl.site.len().max(1)).clamp(30, 400) as u32,
            deadline + Duration::from_secs(30),
        );
        Some(lb)
    } else {
        None
    };
    if timed_out {
        notes.push("local search stopped at the time limit".into());
    }
    Chosen {
        set: set.into_iter().map(|j| j - nf).collect(),
        bound: bound.map(|lb| BoundReport {
            value: lb,
            gap: 0.0,
            method: "Lagrangian relaxation of the assignment constraints (lower bound)".into(),
            achieved: 0.0,
        }),
        passed: true,
        notes,
    }
}

/// Default K for p-median: about five times the sites each open site would
/// serve on average, within [32, 1024], and small enough that the lists stay
/// under about 64 million entries.
fn auto_k(n_sites: usize, open: usize, n_demand: usize) -> usize {
    let k = (5 * n_sites).div_ceil(open.max(1)).clamp(32, 1024);
    let by_memory = (64_000_000 / n_demand.max(1)).max(32);
    k.min(by_memory).min(n_sites.max(1))
}
