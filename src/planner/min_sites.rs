//! The min-sites objective: the fewest new sites that reach a coverage target.

use super::coverage::plan_coverage;
use super::{Chosen, EXACT_MAX_CANDIDATES, EXACT_NODES};
use crate::config::PlanConfig;
use crate::coverage::CoverageModel;
use crate::progress::Progress;
use crate::report::{BoundReport, fmt_pct};
use crate::solve::mclp::{Limits, exact_small, iterated_search, local_search};
use crate::solve::setcover::{self, Settings};
use std::time::Instant;

/// Fewest sites reaching `--target`: exhaustive search on tiny instances,
/// otherwise the set-covering heuristic with its Lagrangian lower bound, and
/// with `--exact` the branch and bound that proves it. An unreachable target
/// is a failed plan, with the reason as its first note.
pub(super) fn plan_min_sites(
    model: &CoverageModel,
    allowed: &[bool],
    pc: &PlanConfig,
    deadline: Instant,
    progress: &Progress,
) -> Chosen {
    let target = pc.target.expect("checked by the CLI");
    let total = model.total_weight;
    let need = target * total - model.fixed_weight;
    progress.stage("fewest sites");
    let useful = (0..model.n_candidates)
        .filter(|&j| !model.rows_of(j).is_empty())
        .count();
    if useful <= EXACT_MAX_CANDIDATES && model.coverable_weight() >= need * (1.0 - 1e-12) {
        // Smallest k whose best k sites reach the target, by exhaustive search.
        let mut proven: Option<Vec<u32>> = None;
        for k in 0..=useful {
            let limits = Limits {
                max_sites: Some(k),
                budget: None,
            };
            match exact_small(model, &limits, allowed, EXACT_NODES) {
                Some(set) => {
                    let mut open = vec![false; model.n_candidates];
                    set.iter().for_each(|&j| open[j as usize] = true);
                    if model.covered_by(&open) >= need - 1e-12 * need.abs() {
                        proven = Some(set);
                        break;
                    }
                }
                None => break,
            }
        }
        if let Some(set) = proven {
            let n = set.len() as f64;
            return Chosen {
                set,
                bound: Some(BoundReport {
                    proven: pc.exact.then_some(true),
                    value: n,
                    gap: 0.0,
                    method: "exhaustive search (proven optimal)".into(),
                    achieved: n,
                }),
                passed: true,
                notes: Vec::new(),
            };
        }
    }
    let settings = Settings {
        seed: pc.seed,
        deadline,
        with_bound: pc.bound,
    };
    let mut shrunk = 0;
    let found = if pc.exact {
        progress.stage("branch and bound");
        setcover::solve_exact(model, allowed, need, &settings)
    } else {
        setcover::solve(model, allowed, need, &settings)
    };
    // Unless proven, one site fewer by the coverage search (a tree cut short
    // by --time-limit keeps its bound; a smaller answer may meet it).
    let found = found.map(|mut ms| {
        if ms.chosen.len() > ms.lower_bound {
            progress.stage("fewer sites by coverage search");
            let fewer = fewer_by_coverage(
                model,
                allowed,
                need,
                &ms.chosen,
                ms.lower_bound,
                pc,
                deadline,
                progress,
            );
            shrunk = ms.chosen.len() - fewer.len();
            ms.chosen = fewer;
            if let Some(proof) = &mut ms.proof {
                proof.proven |= ms.chosen.len() <= ms.lower_bound;
            }
        }
        ms
    });
    match found {
        Some(ms) => {
            let proven = ms.lower_bound == ms.chosen.len();
            let mut notes = Vec::new();
            if shrunk > 0 {
                notes.push(format!(
                    "the maximal-coverage search on one site fewer improved the set-covering answer by {shrunk} site{}",
                    if shrunk == 1 { "" } else { "s" }
                ));
            }
            let method = match &ms.proof {
                Some(proof) => {
                    notes.push(format!(
                        "branch and bound: {} node{}; {} sites fixed open and {} closed at the root (needed by a row, dominated by another site, or by reduced costs)",
                        proof.nodes,
                        if proof.nodes == 1 { "" } else { "s" },
                        proof.root_fixed.0,
                        proof.root_fixed.1
                    ));
                    if proof.proven {
                        "Lagrangian branch and bound on the set cover (LP duals as multipliers): proven optimal".into()
                    } else {
                        "Lagrangian branch and bound on the set cover (LP duals as multipliers): not proven, stopped at --time-limit (smallest bound of the open nodes, rounded up)".into()
                    }
                }
                None if proven => {
                    "Lagrangian dual of the set cover, rounded up (proven optimal)".into()
                }
                None => "Lagrangian dual of the set cover, rounded up (the LP bound)".into(),
            };
            Chosen {
                bound: Some(BoundReport {
                    proven: ms.proof.as_ref().map(|p| p.proven),
                    value: ms.lower_bound as f64,
                    gap: 0.0,
                    method,
                    achieved: 0.0,
                }),
                set: ms.chosen,
                passed: true,
                notes,
            }
        }
        None => {
            let reachable = model.fixed_weight + model.coverable_weight();
            let quick = Settings {
                with_bound: false,
                ..settings
            };
            let best = setcover::solve(model, allowed, model.coverable_weight(), &quick)
                .expect("the coverable weight is reachable");
            let most = if total > 0.0 { reachable / total } else { 0.0 };
            // The first note says why; the command prints it (plans print nothing).
            let n = best.chosen.len();
            Chosen {
                set: best.chosen,
                bound: None,
                passed: false,
                notes: vec![format!(
                    "--target {} cannot be reached: with every candidate open, coverage is at most {}; the plan reaches it with {n} new sites",
                    fmt_pct(target),
                    fmt_pct(most)
                )],
            }
        }
    }
}

/// Perturbation rounds per attempt of [`fewer_by_coverage`].
const FEWER_KICKS: u32 = 20;

/// Tries the set-covering answer `cover` with one site fewer, and again while
/// that works: `k - 1` sites start from `cover` without its site that covers
/// the least weight alone, the maximal-coverage local search (then its
/// perturbation rounds) moves them, and the target is reached or not. The
/// maximal-coverage search is the stronger of the two (it is judged by the
/// weight covered, not by the count of sites), and on partial targets the
/// set-covering search depends on ties. When the quick searches fail, the
/// coverage planner (greedy, local search, Lagrangian starts, perturbation
/// rounds) tries once more. Stops at the first size that fails,
/// at the lower bound `lower`, or at `deadline`.
fn fewer_by_coverage(
    model: &CoverageModel,
    allowed: &[bool],
    need: f64,
    cover: &[u32],
    lower: usize,
    pc: &PlanConfig,
    deadline: Instant,
    progress: &Progress,
) -> Vec<u32> {
    let covered = |set: &[u32]| {
        let mut open = vec![false; model.n_candidates];
        set.iter().for_each(|&j| open[j as usize] = true);
        model.covered_by(&open)
    };
    let reaches = |set: &[u32]| covered(set) >= need - 1e-12 * need.abs();
    let mut best = cover.to_vec();
    while best.len() > lower.max(1) && Instant::now() < deadline {
        let limits = Limits {
            max_sites: Some(best.len() - 1),
            budget: None,
        };
        // The site whose rows no other open site covers weigh least.
        let mut count = vec![0u32; model.n_rows()];
        for &j in &best {
            for &r in model.rows_of(j as usize) {
                count[r as usize] += 1;
            }
        }
        let drop = best
            .iter()
            .map(|&j| {
                let alone: f64 = model
                    .rows_of(j as usize)
                    .iter()
                    .filter(|&&r| count[r as usize] == 1)
                    .map(|&r| model.row_weight[r as usize])
                    .sum();
                (alone, j)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, j)| j)
            .expect("at least two sites");
        let start: Vec<u32> = best.iter().copied().filter(|&j| j != drop).collect();
        let (set, _) = local_search(model, &limits, allowed, &start, deadline);
        if reaches(&set) {
            best = set;
            continue;
        }
        let (kicked, _, _) = iterated_search(
            model,
            &limits,
            allowed,
            &set,
            FEWER_KICKS,
            pc.seed,
            deadline,
        );
        if reaches(&kicked) {
            best = kicked;
            continue;
        }
        // The whole coverage planner, from its own greedy start, with its
        // bound's Lagrangian starts.
        let coverage = PlanConfig {
            bound: true,
            exact: false,
            perturb: FEWER_KICKS,
            ..pc.clone()
        };
        let planned = plan_coverage(model, &limits, allowed, &coverage, deadline, progress);
        if reaches(&planned.set) {
            best = planned.set;
            continue;
        }
        break;
    }
    best.sort_unstable();
    best
}
