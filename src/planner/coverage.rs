//! The coverage objective (maximal covering, with a site count or a budget).

use super::{Chosen, EXACT_MAX_CANDIDATES, EXACT_NODES, LAGRANGIAN_STARTS, START_BUDGET};
use crate::config::{Objective, PlanConfig};
use crate::coverage::CoverageModel;
use crate::progress::Progress;
use crate::report::BoundReport;
use crate::solve::mclp::{Limits, exact_small, greedy, iterated_search, local_search};
use crate::solve::{bound, exact};
use std::time::{Duration, Instant};

/// Relative gap to the bound above which perturbation rounds are added (0.1%:
/// below it the answer is usually already optimal and the bound is what lags).
const AUTO_KICK_GAP: f64 = 1e-3;
/// Work of the added perturbation rounds, in (pairs x tens of sites) per
/// round: about a second on the 2,106 Chinese cities at 200 km, 50 sites
/// (300 rounds); a few rounds on the world's cities, none at millions of points.
const KICK_BUDGET: usize = 330_000_000;
/// At most this many added rounds.
const AUTO_KICKS_MAX: usize = 300;

/// Maximal coverage: exhaustive search on tiny instances; otherwise greedy,
/// local search, and (with the bound) the Lagrangian bound, its starts and
/// the perturbation rounds.
pub(crate) fn plan_coverage(
    model: &CoverageModel,
    limits: &Limits,
    allowed: &[bool],
    pc: &PlanConfig,
    deadline: Instant,
    progress: &Progress,
) -> Chosen {
    let useful = (0..model.n_candidates)
        .filter(|&j| !model.rows_of(j).is_empty())
        .count();
    if useful <= EXACT_MAX_CANDIDATES
        && let Some(set) = exact_small(model, limits, allowed, EXACT_NODES)
    {
        let set = drop_idle(model, limits, set);
        let mut open = vec![false; model.n_candidates];
        set.iter().for_each(|&j| open[j as usize] = true);
        let value = model.fixed_weight + model.covered_by(&open);
        return Chosen {
            set,
            bound: Some(BoundReport {
                proven: pc.exact.then_some(true),
                value,
                gap: 0.0,
                method: "exhaustive search (proven optimal)".into(),
                achieved: value,
            }),
            passed: true,
            notes: Vec::new(),
        };
    }
    progress.stage("greedy");
    let g = greedy(model, limits, allowed);
    progress.stage("local search");
    let (set, stats) = local_search(model, limits, allowed, &g.chosen, deadline);
    let mut open = vec![false; model.n_candidates];
    set.iter().for_each(|&j| open[j as usize] = true);
    let covered = model.covered_by(&open);
    let mut notes = vec![format!(
        "coverage: {} rows from {} pairs; greedy {}, then {} improving moves{}",
        model.n_rows(),
        model.pairs,
        crate::report::fmt_weight(model.fixed_weight + g.marginal.iter().sum::<f64>()),
        stats.moves,
        if stats.timed_out {
            " (stopped at --time-limit)"
        } else {
            ""
        }
    )];
    let (mut set, mut covered) = (set, covered);
    let mut bound = pc.bound.then(|| {
        progress.stage("upper bound");
        let ub = bound::lagrangian(
            model,
            limits,
            allowed,
            &set,
            covered,
            2000,
            1e-5,
            // --time-limit stops the bound too (after at least one
            // iteration, so it stays valid); 60 s at most in any case.
            deadline.min(Instant::now() + Duration::from_secs(60)),
        );
        progress.stage("Lagrangian starts");
        // Lagrangian heuristic: the relaxed problem's site choices, polished by local search.
        let mut improved = 0;
        // Polish the two hints that already cover the most.
        let mut hints: Vec<(f64, &Vec<u32>)> = ub
            .hints
            .iter()
            .map(|h| {
                let mut open = vec![false; model.n_candidates];
                h.iter().for_each(|&j| open[j as usize] = true);
                (model.covered_by(&open), h)
            })
            .collect();
        hints.sort_by(|a, b| b.0.total_cmp(&a.0));
        // Small instances afford more starts. A start's local search costs about a pass over
        // the pairs per move, and moves grow with the number of sites; spend START_BUDGET.
        let per_start =
            model.row_cands.len().max(1) * limits.max_sites.unwrap_or(10).div_ceil(10).max(1);
        let starts = (START_BUDGET / per_start).clamp(LAGRANGIAN_STARTS, 32);
        for (_, hint) in hints.into_iter().take(starts) {
            if Instant::now() >= deadline {
                break;
            }
            let spend: f64 = hint
                .iter()
                .map(|&j| limits.budget.as_ref().map_or(0.0, |(_, c)| c[j as usize]))
                .sum();
            if limits.max_sites.is_some_and(|p| hint.len() > p)
                || limits.budget.as_ref().is_some_and(|(b, _)| spend > *b)
            {
                continue;
            }
            let (cand, _) = local_search(model, limits, allowed, hint, deadline);
            let mut open = vec![false; model.n_candidates];
            cand.iter().for_each(|&j| open[j as usize] = true);
            let c = model.covered_by(&open);
            if c > covered * (1.0 + 1e-12) {
                covered = c;
                set = cand;
                improved += 1;
            }
        }
        progress.stage("iterated local search");
        // Where the bound leaves a gap, instances small enough for it get
        // perturbation rounds on top of --perturb (a count, so the answer
        // does not depend on the machine).
        let upper = model.fixed_weight + ub.value.max(covered);
        let gap = (ub.value.max(covered) - covered) / upper.max(f64::MIN_POSITIVE);
        // (Not when min-sites calls this planner: it sets its own rounds.)
        let auto = if pc.objective == Objective::Coverage && gap > AUTO_KICK_GAP {
            // A round costs about what a start does.
            (KICK_BUDGET / per_start).min(AUTO_KICKS_MAX) as u32
        } else {
            0
        };
        let rounds = pc.perturb.saturating_add(auto);
        if rounds > 0 {
            let (kicked, wins, done) =
                iterated_search(model, limits, allowed, &set, rounds, pc.seed, deadline);
            if wins > 0 {
                set = kicked;
                let mut open = vec![false; model.n_candidates];
                set.iter().for_each(|&j| open[j as usize] = true);
                covered = model.covered_by(&open);
            }
            let stopped = if done < rounds {
                format!(" ({done} run before --time-limit stopped them)")
            } else {
                String::new()
            };
            notes.push(format!(
                "{rounds} perturbation rounds{stopped} (seed {}{}), {wins} improved the answer",
                pc.seed,
                if auto > 0 {
                    format!(
                        "; {auto} of them because the bound left a gap of {:.2}%",
                        100.0 * gap
                    )
                } else {
                    String::new()
                }
            ));
        }
        notes.push(format!(
            "bound after {} subgradient iterations; {} of {} Lagrangian start{} improved the answer",
            ub.iterations,
            improved,
            ub.hints.len(),
            if ub.hints.len() == 1 { "" } else { "s" }
        ));
        BoundReport {
            proven: None,
            value: model.fixed_weight + ub.value.max(covered),
            gap: 0.0,
            method: "Lagrangian relaxation of the coverage constraints (upper bound)".into(),
            achieved: 0.0,
        }
    });
    if pc.exact {
        progress.stage("branch and bound");
        let r = exact::solve(model, limits, allowed, &set, deadline);
        if r.value > covered {
            set = r.set.clone();
        }
        let tolerance = if r.integral {
            String::new()
        } else {
            format!(
                ", within a relative {:e} (weights are not all integers, or total 9e9 or more)",
                exact::REL_TOL
            )
        };
        let how = if r.parts > 1 && r.nodes <= 1 && !r.proven {
            format!(
                "{} independent parts found, but --time-limit ran out before any was searched",
                r.parts
            )
        } else if r.parts > 1 {
            format!(
                "over {} independent parts (groups of candidates no demand point links to another group), the sites shared out between them by dynamic programming and a part searched apart where its bound left doubt",
                r.parts
            )
        } else {
            format!(
                "{} candidates fixed open and {} closed at the root by reduced costs",
                r.root_fixed.0, r.root_fixed.1
            )
        };
        let dominated = if r.dominated > 0 {
            format!(
                "; {} candidate{} left out as dominated (another covers all {} demand at no more cost)",
                r.dominated,
                if r.dominated == 1 { "" } else { "s" },
                if r.dominated == 1 { "its" } else { "their" },
            )
        } else {
            String::new()
        };
        notes.push(format!(
            "branch and bound: {} node{}; {how}{dominated}{tolerance}",
            r.nodes,
            if r.nodes == 1 { "" } else { "s" },
        ));
        // Stopped early, the tree's bound can be looser than the heuristic's
        // (a root cut short): the smaller of the two holds.
        let tree = model.fixed_weight + r.bound;
        let heuristic = bound.as_ref().map(|b| b.value).filter(|_| !r.proven);
        bound = Some(BoundReport {
            value: heuristic.map_or(tree, |h| h.min(tree)),
            gap: 0.0,
            method: if r.proven {
                format!("Lagrangian branch and bound: proven optimal{tolerance}")
            } else if r.parts > 1 {
                "Lagrangian branch and bound by parts: not proven, stopped at --time-limit (the smallest of the best share of the parts' bounds, the root's bound and the Lagrangian bound of the heuristic)".into()
            } else {
                "Lagrangian branch and bound: not proven, stopped at --time-limit (the smaller of the largest bound of the open nodes and the Lagrangian bound of the heuristic)".into()
            },
            achieved: 0.0,
            proven: Some(r.proven),
        });
    } else if Instant::now() >= deadline {
        // Some search (local search, a Lagrangian start, the bound, the
        // perturbation rounds) was cut short: the answer can change with the limit.
        notes.push(format!(
            "the searches stopped at --time-limit ({} s): the answer and bound are valid, a longer limit may improve them",
            pc.time_limit.as_secs_f64()
        ));
    }
    let asked = set.len();
    let set = drop_idle(model, limits, set);
    if set.len() < asked {
        notes.push(format!(
            "{} of the {asked} sites chosen would cover nothing another open site does not: not opened (the covered weight is the same)",
            asked - set.len()
        ));
    }
    Chosen {
        set,
        bound,
        passed: true,
        notes,
    }
}

/// Closes the sites of `set` that cover nothing no other open site covers
/// (under a budget the dearest first, else the last by index): the covered
/// weight stays, the spend or the count falls. A budget or `--add N` larger
/// than the demand needs otherwise opens sites that add nothing.
fn drop_idle(model: &CoverageModel, limits: &Limits, mut set: Vec<u32>) -> Vec<u32> {
    let cost = |j: u32| limits.budget.as_ref().map_or(0.0, |(_, c)| c[j as usize]);
    let mut count = vec![0u32; model.n_rows()];
    for &j in &set {
        for &r in model.rows_of(j as usize) {
            count[r as usize] += 1;
        }
    }
    let mut order = set.clone();
    order.sort_by(|&a, &b| cost(b).total_cmp(&cost(a)).then(b.cmp(&a)));
    for j in order {
        let rows = model.rows_of(j as usize);
        if rows
            .iter()
            .all(|&r| count[r as usize] > 1 || model.row_weight[r as usize] <= 0.0)
        {
            rows.iter().for_each(|&r| count[r as usize] -= 1);
            set.retain(|&k| k != j);
        }
    }
    set
}
