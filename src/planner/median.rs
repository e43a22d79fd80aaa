//! The distance objective (p-median): least weighted distance to the nearest
//! open site.

use super::{Chosen, Sites, Task};
use crate::config::PlanConfig;
use crate::metric::Metric;
use crate::report::BoundReport;
use crate::solve::exact::REL_TOL;
use crate::solve::{pmedian, pmexact};
use std::time::Instant;

/// Local-search starts (the lazy greedy and seeded randomised greedies).
const STARTS: usize = 8;
/// List entries the subgradient may visit in all: counted, never timed, so the
/// bound is the same on any machine.
const BOUND_WORK: u64 = 400_000_000;
/// Swaps one local search may make at most (a safety stop; searches end long before).
const SWAP_MOVES: u64 = 100_000;

/// Multi-start fast swap with path relinking, then the Lagrangian lower bound,
/// whose relaxed solution is searched from too.
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
    let mut nl =
        pmedian::NearestLists::build_until(metric, demand, weights, &all, fixed.len(), k, deadline);
    let src = pmedian::Source::new(metric, demand, &all);
    let nf = fixed.len() as u32;
    progress.stage("local search");
    let starts = STARTS;
    let found = pmedian::search(
        &mut nl, &src, p, allowed, pc.seed, starts, SWAP_MOVES, deadline,
    );
    let (mut set, mut cost) = (found.set, found.cost);
    let mut notes = vec![format!(
        "p-median: {} start{} (greedy and seeded randomised greedy), {} fast swaps, {} improved by path relinking; lists of {} nearest sites, extended for {} points{}",
        found.starts,
        if found.starts == 1 { "" } else { "s" },
        found.moves,
        found.relinked,
        nl.k,
        found.extended,
        if found.timed_out {
            " (stopped at --time-limit)"
        } else {
            ""
        }
    )];
    let bound = if pc.bound {
        progress.stage("lower bound");
        let lb = pmedian::lower_bound(
            &nl,
            &src,
            p,
            allowed,
            &found.nearest,
            cost,
            BOUND_WORK,
            deadline,
        );
        let bound_timed_out = Instant::now() >= deadline;
        // The relaxed solution is often near the optimum: search from it too.
        if !lb.sites.is_empty() && lb.sites != set && Instant::now() < deadline {
            let mut start = lb.sites.clone();
            if start.len() < p {
                start.extend(set.iter().copied().filter(|j| !lb.sites.contains(j)));
                start.truncate(p);
            }
            if let Some(mut fs) =
                pmedian::FastSwap::new_until(&nl, &src, allowed, &start, Some(deadline))
            {
                fs.search(SWAP_MOVES, deadline);
                if fs.cost() < cost {
                    cost = fs.cost();
                    set = fs.open_set();
                    notes.push("the Lagrangian relaxation's sites led to a better answer".into());
                }
            }
        }
        notes.push(if lb.iters == 0 {
            "lower bound: no subgradient iteration (--time-limit reached first): the relaxation with each point's multiplier at its second-nearest site".into()
        } else {
            format!(
                "lower bound: {} subgradient iterations{}",
                lb.iters,
                if lb.capped {
                    " (stopped where the lists it extends reached their memory cap of 40 million entries)"
                } else if bound_timed_out {
                    " (stopped at --time-limit: a longer limit may tighten it)"
                } else {
                    ""
                }
            )
        });
        // Costs are never negative: 0 bounds every plan.
        Some(lb.value.min(cost).max(0.0))
    } else {
        None
    };
    if nl.cut > 0 || found.timed_out {
        let mut cut = Vec::new();
        if nl.cut > 0 {
            cut.push(format!(
                "the nearest-site lists of {} points were cut to {} sites",
                nl.cut,
                pmedian::SHORT_K
            ));
        }
        if found.skipped > 0 {
            cut.push(format!(
                "{} of {} local-search starts were skipped",
                found.skipped, starts
            ));
        }
        if found.moves == 0 && found.starts <= 1 {
            cut.push("the greedy answer was kept without a swap search".into());
        } else if found.timed_out {
            cut.push("the swap search stopped early".into());
        }
        notes.push(format!(
            "p-median stopped at --time-limit ({} s): {}; the answer and bound are valid, a longer limit may improve them",
            pc.time_limit.as_secs_f64(),
            cut.join(", ")
        ));
    }
    let mut bound = bound.map(|lb| BoundReport {
        proven: None,
        value: lb,
        gap: 0.0,
        method: "Lagrangian relaxation of the assignment constraints (lower bound)".into(),
        achieved: 0.0,
    });
    if pc.exact {
        progress.stage("branch and bound");
        let mut polish = |plan: &[u32]| -> Vec<u32> {
            match pmedian::FastSwap::new_until(&nl, &src, allowed, plan, Some(deadline)) {
                Some(mut fs) => {
                    fs.search(SWAP_MOVES, deadline);
                    fs.open_set()
                }
                None => plan.to_vec(),
            }
        };
        let proof = pmexact::solve(
            &src,
            weights,
            nf as usize,
            p,
            allowed,
            nl.farthest,
            &set,
            &mut polish,
            deadline,
        );
        match proof {
            Ok(r) => {
                if r.cost < cost {
                    set = r.set.clone();
                }
                let tolerance = if r.integral {
                    String::new()
                } else {
                    format!(
                        ", within a relative {:e} (weights or distances are not all integers)",
                        REL_TOL
                    )
                };
                let plural = |n: u64| if n == 1 { "" } else { "s" };
                notes.push(format!(
                    "branch and bound: {} node{}; {} candidate{} fixed open and {} closed at the root by reduced costs{}",
                    r.nodes,
                    plural(r.nodes),
                    r.root_fixed.0,
                    plural(r.root_fixed.0 as u64),
                    r.root_fixed.1,
                    tolerance
                ));
                // Stopped early, the tree's bound can be looser than the
                // heuristic's (a root cut short): the larger of the two holds.
                let heuristic = bound.as_ref().map(|b| b.value).filter(|_| !r.proven);
                bound = Some(BoundReport {
                    proven: Some(r.proven),
                    value: heuristic.map_or(r.bound, |h| h.max(r.bound)),
                    gap: 0.0,
                    method: if r.proven {
                        format!("Lagrangian branch and bound: proven optimal{tolerance}")
                    } else {
                        "Lagrangian branch and bound: not proven, stopped at --time-limit (the larger of the smallest bound of the open nodes and the Lagrangian bound of the heuristic)".into()
                    },
                    achieved: 0.0,
                });
            }
            Err(skipped) => {
                notes.push(match skipped {
                    pmexact::Skipped::TooBig => format!(
                        "--exact: {} points x {} sites is more than the {} million pairs the p-median proof keeps; the answer and the Lagrangian bound are reported, not proven",
                        demand.len(),
                        all.len(),
                        pmexact::MAX_ENTRIES / 1_000_000
                    ),
                    pmexact::Skipped::OutOfTime => "--exact: --time-limit ran out before the branch and bound could start; the answer and the Lagrangian bound are reported, not proven".into(),
                });
                if let Some(b) = bound.as_mut() {
                    b.proven = Some(false);
                    b.method = format!("{}: not proven", b.method);
                }
            }
        }
    }
    Chosen {
        set: set.into_iter().map(|j| j - nf).collect(),
        bound,
        passed: true,
        notes,
    }
}

/// Default K for p-median: about three times the sites each open site would
/// serve on average, within [16, 256], and small enough that the lists stay
/// under about 32 million entries. Lists are extended where a point needs
/// more, so K sets speed and memory, never the answer's quality.
fn auto_k(n_sites: usize, open: usize, n_demand: usize) -> usize {
    let k = (3 * n_sites).div_ceil(open.max(1)).clamp(16, 256);
    let by_memory = (32_000_000 / n_demand.max(1)).max(16);
    k.min(by_memory).min(n_sites.max(1))
}
