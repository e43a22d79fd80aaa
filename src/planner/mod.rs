//! `outpost plan`: choose new sites for an objective, then report them through
//! the same evaluation as `outpost evaluate`, with the bound that says how far
//! from optimal the answer can be.

use crate::assemble::{OpenSite, build_report};
pub use crate::config::{MAX_ADD, MAX_PERTURB, Objective, PlanConfig};
use crate::coverage::{self, CoverageModel};
use crate::evaluate::{Allocation, Evaluation, evaluate};
use crate::input::PlaceSet;
use crate::progress::Progress;
use crate::report::{BoundReport, BudgetReport, CapacityReport, ObjectiveValue, Report, fmt_pct};
use crate::solve::mclp::{Limits, exact_small, greedy, iterated_search, local_search};
use crate::solve::{bound, capacity, exhaustive, minsites, pcenter, pmedian, rank_by_marginal};
use crate::sphere::{Radius, RadiusUnit, UnitVector, to_unit};
use crate::workspace::Loaded;
use anyhow::{Result, bail};
use std::time::{Duration, Instant};

/// What a plan run produces.
pub struct PlanOutput {
    /// The report.
    pub report: Report,
    /// Open sites, existing then new.
    pub open: Vec<OpenSite>,
    /// Their evaluation.
    pub eval: Evaluation,
    /// Why the plan fails its objective's gate (an unreachable `--target`).
    pub failure: Option<String>,
}

/// Largest number of search nodes for the exhaustive path on small instances.
const EXACT_NODES: u64 = 2_000_000;
/// How many of the Lagrangian relaxation's site choices are polished by local search.
const LAGRANGIAN_STARTS: usize = 4;
/// Pair visits (pairs x sites / 10 per start) the Lagrangian starts may spend; counted, never timed.
const START_BUDGET: usize = 10_000_000;
/// Candidates up to which the exhaustive path is tried.
const EXACT_MAX_CANDIDATES: usize = 24;

/// A solver's answer before it is evaluated and reported.
pub(crate) struct Chosen {
    /// New sites (candidate indices), any order.
    pub(crate) set: Vec<u32>,
    pub(crate) bound: Option<BoundReport>,
    passed: bool,
    pub(crate) notes: Vec<String>,
}

/// Plans on inputs already loaded: the core of `plan`, shared with scenarios.
///
/// # Errors
/// Inputs that cannot support the objective (e.g. `--budget` without costs).
pub fn plan_with(
    radii: &[Radius],
    top: usize,
    pc: &PlanConfig,
    loaded: &Loaded,
    cands: &PlaceSet,
    progress: &Progress,
) -> Result<PlanOutput> {
    let costs: Vec<f64> = if pc.budget.is_some() {
        let mut c = Vec::with_capacity(cands.places.len());
        for p in &cands.places {
            match p.cost {
                Some(v) => c.push(v),
                None => bail!(
                    "{}: candidate {:?} has no cost: --budget needs a `cost` column with a value for every candidate",
                    cands.source,
                    p.id
                ),
            }
        }
        c
    } else {
        cands.places.iter().map(|p| p.cost.unwrap_or(0.0)).collect()
    };
    let capacitated = pc.capacity.is_some()
        || cands.places.iter().any(|p| p.capacity.is_some())
        || loaded.existing.places.iter().any(|p| p.capacity.is_some());
    let fixed_units = loaded.existing.units();
    let cand_units = cands.units();
    let allowed = vec![true; cand_units.len()];
    let deadline = Instant::now() + pc.time_limit;
    let r0 = radii[0];

    // Without a radius (distance objectives need none) every site reaches
    // every point: no coverage structure, and new sites are ranked by the
    // weight they serve instead of by covered weight.
    let model = (r0.unit != RadiusUnit::Any).then(|| {
        progress.stage("building the coverage structure");
        coverage::build(
            &loaded.units,
            &loaded.weights,
            &fixed_units,
            &cand_units,
            r0,
        )
    });
    let covering = || {
        model
            .as_ref()
            .expect("coverage objectives are checked to have a radius")
    };
    let limits = Limits {
        max_sites: pc.add,
        budget: pc.budget.map(|b| (b, costs.clone())),
    };

    let chosen = match pc.objective {
        Objective::Coverage => plan_coverage(covering(), &limits, &allowed, pc, deadline, progress),
        Objective::MinSites => plan_min_sites(covering(), &allowed, pc, deadline, progress),
        Objective::Distance | Objective::MaxDistance
            if tiny(loaded.units.len(), cand_units.len(), pc.add.unwrap_or(0)) =>
        {
            let p = pc.add.expect("checked by the CLI");
            let sum = pc.objective == Objective::Distance;
            let (set, value) = exhaustive::best_subset(
                &loaded.units,
                &loaded.weights,
                &fixed_units,
                &cand_units,
                p,
                sum,
                pc.weighted,
            );
            Chosen {
                set,
                bound: Some(BoundReport {
                    value,
                    gap: 0.0,
                    method: "exhaustive search (proven optimal)".into(),
                    achieved: 0.0,
                }),
                passed: true,
                notes: Vec::new(),
            }
        }
        Objective::Distance => {
            progress.stage("finding nearest candidates");
            let all: Vec<UnitVector> = fixed_units.iter().chain(&cand_units).copied().collect();
            let p = pc.add.expect("checked by the CLI");
            let k = pc
                .k_nearest
                .unwrap_or_else(|| auto_k(all.len(), p + fixed_units.len(), loaded.units.len()));
            let nl = pmedian::NearestLists::build(
                &loaded.units,
                &loaded.weights,
                &all,
                fixed_units.len(),
                k,
            );
            let nf = fixed_units.len() as u32;
            progress.stage("greedy");
            let g = pmedian::greedy(&nl, p, &allowed);
            progress.stage("local search");
            let (set, moves, timed_out) =
                pmedian::local_search(&nl, &loaded.units, &all, &g, &allowed, deadline);
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
                    &allowed,
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
                    method: "Lagrangian relaxation of the assignment constraints (lower bound)"
                        .into(),
                    achieved: 0.0,
                }),
                passed: true,
                notes,
            }
        }
        Objective::MaxDistance => {
            progress.stage("p-center radius search");
            let p = pc.add.expect("checked by the CLI");
            let res = pcenter::solve(
                &loaded.units,
                &loaded.weights,
                &fixed_units,
                &cand_units,
                &allowed,
                p,
                pc.weighted,
                deadline,
            );
            Chosen {
                set: res.chosen,
                bound: Some(BoundReport {
                    value: res.lower_bound,
                    gap: 0.0,
                    method: "radius proven infeasible (lower bound)".into(),
                    achieved: 0.0,
                }),
                passed: true,
                notes: vec![format!(
                    "p-center: farthest-first start, then {} radius tests",
                    res.tests
                )],
            }
        }
    };

    // With capacities, the coverage objective is the weight served within capacity:
    // also try a capacity-aware greedy and keep whichever serves more.
    let mut chosen = chosen;
    let mut served_bound = None;
    if capacitated
        && pc.objective == Objective::Coverage
        && pc.budget.is_none()
        && let Some(p) = pc.add
    {
        progress.stage("capacity-aware selection");
        let nf = fixed_units.len();
        let all_units: Vec<UnitVector> = fixed_units.iter().chain(&cand_units).copied().collect();
        let m_all = coverage::build(&loaded.units, &loaded.weights, &[], &all_units, r0);
        let caps: Vec<f64> = loaded
            .existing
            .places
            .iter()
            .chain(&cands.places)
            .map(|s| s.capacity.or(pc.capacity).unwrap_or(f64::INFINITY))
            .collect();
        let served = |new: &[u32]| {
            let open: Vec<u32> = (0..nf as u32).chain(new.iter().copied()).collect();
            let c: Vec<f64> = open.iter().map(|&j| caps[j as usize]).collect();
            capacity::assign(&m_all, &open, &c).assigned
        };
        let blind: Vec<u32> = chosen.set.iter().map(|&j| j + nf as u32).collect();
        let aware = capacity::greedy_capacitated(&m_all, &caps, nf, p);
        let (s_blind, s_aware) = (served(&blind), served(&aware));
        if s_aware > s_blind * (1.0 + 1e-12) {
            chosen.set = aware.iter().map(|&j| j - nf as u32).collect();
            chosen.notes.push(format!(
                "capacity-aware greedy serves {} against {} for the coverage-first choice; kept",
                crate::report::fmt_weight(s_aware),
                crate::report::fmt_weight(s_blind)
            ));
        } else {
            chosen.notes.push(format!(
                "the coverage-first choice serves {} within capacities, the capacity-aware greedy {}; kept the first",
                crate::report::fmt_weight(s_blind),
                crate::report::fmt_weight(s_aware)
            ));
        }
        served_bound = Some(capacity::served_bound(&m_all, &caps, nf, p));
    }

    progress.stage("evaluating the plan");
    let ranked = match &model {
        Some(m) => rank_by_marginal(m, &chosen.set),
        None => rank_by_served(loaded, &fixed_units, &cand_units, &chosen.set, radii),
    };
    let mut open: Vec<OpenSite> = loaded
        .existing
        .places
        .iter()
        .map(OpenSite::existing)
        .collect();
    for (k, &j) in ranked.chosen.iter().enumerate() {
        open.push(OpenSite {
            place: cands.places[j as usize].clone(),
            status: crate::report::SiteStatus::New,
            rank: Some(k as u32 + 1),
            marginal: ranked.marginal.get(k).copied(),
        });
    }
    let open_units: Vec<UnitVector> = open
        .iter()
        .map(|s| to_unit(s.place.lon, s.place.lat))
        .collect();
    let mut eval = evaluate(loaded.view(), &open_units, radii);
    let mut report = build_report(
        "plan",
        Some(pc.objective.name()),
        loaded,
        &open,
        &eval,
        cands.places.len() as u64,
        top,
    );
    let failure_note = chosen.notes.first().cloned();
    report.notes.extend(cands.notes.iter().cloned());
    report.notes.extend(chosen.notes);

    // The objective as measured by the evaluator, and the bound against it.
    let achieved = match pc.objective {
        Objective::Coverage => eval.tiers[0].covered_weight,
        Objective::MinSites => ranked.chosen.len() as f64,
        // The weighted sum of nearest-site distances, as p-median defines it.
        Objective::Distance => eval
            .nearest
            .iter()
            .zip(&loaded.weights)
            .map(|(n, w)| w * n.1)
            .sum(),
        Objective::MaxDistance => {
            if pc.weighted {
                pcenter::objective(&loaded.units, &loaded.weights, &open_units, true)
            } else {
                eval.distance.map_or(0.0, |d| d.max)
            }
        }
    };
    let measure = match pc.objective {
        Objective::Coverage => "covered_weight",
        Objective::MinSites => "new_sites",
        Objective::Distance => "weighted_distance_km",
        Objective::MaxDistance => {
            if pc.weighted {
                "max_weighted_distance"
            } else {
                "max_distance_km"
            }
        }
    };
    report.objective_value = Some(ObjectiveValue {
        measure,
        value: achieved,
    });
    report.bound = chosen.bound.map(|mut b| {
        b.achieved = achieved;
        b.gap = match pc.objective {
            Objective::Coverage => {
                if b.value > 0.0 {
                    ((b.value - achieved) / b.value).max(0.0)
                } else {
                    0.0
                }
            }
            _ => {
                if achieved > 0.0 {
                    ((achieved - b.value) / achieved).max(0.0)
                } else {
                    0.0
                }
            }
        };
        b
    });
    if let Some(b) = pc.budget {
        let spent: f64 = ranked.chosen.iter().map(|&j| costs[j as usize]).sum();
        report.budget = Some(BudgetReport {
            budget: b,
            spent,
            remaining: b - spent,
        });
    }
    if capacitated {
        progress.stage("assigning demand within capacities");
        eval.allocation = Some(apply_capacities(
            &mut report,
            loaded,
            &open_units,
            &open,
            radii[0],
            pc,
        )?);
        if let (Some(cap_bound), Some(c)) = (served_bound, report.capacity.clone()) {
            // The objective is the weight served; both bounds are valid for it, keep the smaller.
            let served = c.assigned_weight;
            report.objective_value = Some(ObjectiveValue {
                measure: "served_weight",
                value: served,
            });
            if let Some(b) = &mut report.bound {
                if cap_bound < b.value {
                    b.value = cap_bound;
                    b.method =
                        "capacities: each site serves at most min(capacity, weight within reach)"
                            .into();
                }
                b.value = b.value.max(served);
                b.achieved = served;
                b.gap = if b.value > 0.0 {
                    (b.value - served) / b.value
                } else {
                    0.0
                };
            }
        }
    } else if let Some(per) = pc.per_engineer {
        for s in &mut report.sites {
            s.engineers = Some(crate::units::engineers(
                "per-engineer",
                s.assigned_weight,
                per,
                &s.id,
            )?);
        }
        report.capacity = None;
    }
    Ok(PlanOutput {
        report,
        open,
        eval,
        failure: (!chosen.passed).then(|| failure_note.unwrap_or_default()),
    })
}

/// New sites in order of the weight each is nearest for (ties by index), with
/// no marginal coverage: the ranking when no radius was given.
fn rank_by_served(
    loaded: &Loaded,
    fixed: &[UnitVector],
    cands: &[UnitVector],
    set: &[u32],
    radii: &[Radius],
) -> crate::solve::Selection {
    let units: Vec<UnitVector> = fixed
        .iter()
        .copied()
        .chain(set.iter().map(|&j| cands[j as usize]))
        .collect();
    let eval = evaluate(loaded.view(), &units, radii);
    let mut order: Vec<(u32, f64)> = set
        .iter()
        .enumerate()
        .map(|(k, &j)| (j, eval.site_assigned[fixed.len() + k]))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    crate::solve::Selection {
        chosen: order.iter().map(|o| o.0).collect(),
        marginal: Vec::new(),
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

/// Whether enumerating every set of `p` candidates is cheap enough to prove optimality.
fn tiny(n_demand: usize, n_cands: usize, p: usize) -> bool {
    let sets = exhaustive::binomial(n_cands, p.min(n_cands));
    n_cands <= 24 && sets.saturating_mul((n_demand * p.max(1)) as u64) <= 50_000_000
}

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
        let mut open = vec![false; model.n_candidates];
        set.iter().for_each(|&j| open[j as usize] = true);
        let value = model.fixed_weight + model.covered_by(&open);
        return Chosen {
            set,
            bound: Some(BoundReport {
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
    let bound = pc.bound.then(|| {
        progress.stage("upper bound");
        let ub = bound::lagrangian(
            model,
            limits,
            allowed,
            &set,
            covered,
            2000,
            1e-5,
            Instant::now() + Duration::from_secs(60),
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
        if pc.perturb > 0 {
            let (kicked, wins) =
                iterated_search(model, limits, allowed, &set, pc.perturb, pc.seed, deadline);
            if wins > 0 {
                set = kicked;
                let mut open = vec![false; model.n_candidates];
                set.iter().for_each(|&j| open[j as usize] = true);
                covered = model.covered_by(&open);
            }
            notes.push(format!(
                "{} perturbation rounds (seed {}), {wins} improved the answer",
                pc.perturb, pc.seed
            ));
        }
        notes.push(format!(
            "bound after {} subgradient iterations; {} of {} Lagrangian starts improved the answer",
            ub.iterations,
            improved,
            ub.hints.len()
        ));
        BoundReport {
            value: model.fixed_weight + ub.value.max(covered),
            gap: 0.0,
            method: "Lagrangian relaxation of the coverage constraints (upper bound)".into(),
            achieved: 0.0,
        }
    });
    Chosen {
        set,
        bound,
        passed: true,
        notes,
    }
}

fn plan_min_sites(
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
    match minsites::solve(model, allowed, need, deadline, pc.bound) {
        Some(ms) => Chosen {
            bound: Some(BoundReport {
                value: ms.lower_bound as f64,
                gap: 0.0,
                method: "Lagrangian bound on coverage with fewer sites (lower bound on sites)"
                    .into(),
                achieved: 0.0,
            }),
            set: ms.chosen,
            passed: true,
            notes: Vec::new(),
        },
        None => {
            let reachable = model.fixed_weight + model.coverable_weight();
            let best = minsites::solve(model, allowed, model.coverable_weight(), deadline, false)
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

fn apply_capacities(
    report: &mut Report,
    loaded: &Loaded,
    open_units: &[UnitVector],
    open: &[OpenSite],
    radius: Radius,
    pc: &PlanConfig,
) -> Result<Allocation> {
    let model = coverage::build(&loaded.units, &loaded.weights, &[], open_units, radius);
    let caps: Vec<f64> = open
        .iter()
        .map(|s| s.place.capacity.or(pc.capacity).unwrap_or(f64::INFINITY))
        .collect();
    let all: Vec<u32> = (0..open.len() as u32).collect();
    let a = capacity::assign(&model, &all, &caps);
    let mut engineers_total = 0;
    for (k, s) in report.sites.iter_mut().enumerate() {
        s.assigned_weight = a.load[k];
        if caps[k].is_finite() {
            s.capacity = Some(caps[k]);
            s.utilisation = Some(if caps[k] > 0.0 {
                a.load[k] / caps[k]
            } else {
                0.0
            });
        }
        if let Some(per) = pc.per_engineer {
            let e = crate::units::engineers("per-engineer", a.load[k], per, &s.id)?;
            engineers_total += e;
            s.engineers = Some(e);
        }
    }
    report.capacity = Some(CapacityReport {
        within_reach_weight: a.within_reach,
        assigned_weight: a.assigned,
        over_capacity_weight: (a.within_reach - a.assigned).max(0.0),
        per_engineer: pc.per_engineer,
        engineers: pc.per_engineer.map(|_| engineers_total),
    });
    Ok(Allocation {
        demand_row: model.demand_row,
        row_weight: model.row_weight,
        row_flows: a.row_flows,
    })
}
