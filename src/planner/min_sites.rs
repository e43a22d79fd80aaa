//! The min-sites objective: the fewest new sites that reach a coverage target.

use super::{Chosen, EXACT_MAX_CANDIDATES, EXACT_NODES};
use crate::config::PlanConfig;
use crate::coverage::CoverageModel;
use crate::progress::Progress;
use crate::report::{BoundReport, fmt_pct};
use crate::solve::mclp::{Limits, exact_small};
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
    let found = if pc.exact {
        progress.stage("branch and bound");
        setcover::solve_exact(model, allowed, need, &settings)
    } else {
        setcover::solve(model, allowed, need, &settings)
    };
    match found {
        Some(ms) => {
            let proven = ms.lower_bound == ms.chosen.len();
            let mut notes = Vec::new();
            let method = match &ms.proof {
                Some(proof) => {
                    notes.push(format!(
                        "branch and bound: {} nodes; {} sites fixed open and {} closed at the root by reduced costs",
                        proof.nodes, proof.root_fixed.0, proof.root_fixed.1
                    ));
                    if proof.proven {
                        "Lagrangian branch and bound on the set cover: proven optimal".into()
                    } else {
                        "Lagrangian branch and bound on the set cover: not proven, stopped at --time-limit (smallest bound of the open nodes, rounded up)".into()
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
