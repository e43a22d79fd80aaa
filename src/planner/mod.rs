//! Planning: choose new sites for an objective, then report them through the
//! same evaluation as `outpost evaluate`, with the bound that says how far
//! from optimal the answer can be. One file per objective's pipeline; this
//! one holds what they share. Plans return data and print nothing.

mod backup;
mod capacity;
mod center;
mod coverage;
mod median;
mod min_sites;
mod relocate;

pub(crate) use self::coverage::plan_coverage;
use crate::assemble::{OpenSite, build_report};
pub use crate::config::{MAX_ADD, MAX_PERTURB, Objective, PlanConfig};
use crate::coverage::CoverageModel;
use crate::evaluate::{Evaluation, evaluate};
use crate::input::PlaceSet;
use crate::metric::Metric;
use crate::progress::{Bar, Progress};
use crate::report::{BoundReport, BudgetReport, Measure, ObjectiveValue, Report};
use crate::solve::mclp::{Limits, budget_slack};
use crate::solve::{exhaustive, pcenter, rank_by_marginal};
use crate::sphere::{Radius, RadiusUnit};
use crate::workspace::Loaded;
use anyhow::{Result, bail};
use std::time::Instant;

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
/// `demand` is the loaded demand prepared by `metric`.
///
/// # Errors
/// Inputs that cannot support the objective (e.g. `--budget` without costs).
#[allow(clippy::too_many_arguments)]
pub fn plan_with<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    radii: &[Radius],
    top: usize,
    pc: &PlanConfig,
    loaded: &Loaded,
    cands: &PlaceSet,
    progress: &Progress,
) -> Result<PlanOutput> {
    let task = Task {
        metric,
        demand,
        radii,
        top,
        loaded,
        cands,
        progress,
    };
    if matches!(pc.objective, Objective::Distance | Objective::MaxDistance)
        && pc.add == Some(0)
        && loaded.existing.is_empty()
    {
        bail!(
            "--objective {} with --add 0 and no existing sites: nothing would be open to measure distances to; give --add 1 or more, or --existing FILE",
            pc.objective.name()
        );
    }
    if pc.objective == Objective::Distance {
        let total: f64 = loaded.weights().iter().sum();
        let far = metric.farthest();
        if !(far * total).is_finite() {
            bail!(
                "the largest distance ({far:e} {}) times the total weight ({total:e}) is too large to compute with: rescale the costs (e.g. another --cost-unit) or the weights",
                metric.unit()
            );
        }
    }
    let mut out = if pc.relocate > 0 {
        relocate::plan_relocating(&task, pc)?
    } else {
        plan_network(&task, pc, &loaded.existing)?
    };
    // Asked for more new sites than were opened: say why, not only in the count.
    if let Some(n) = pc.add {
        let opened = out.open.iter().filter(|s| s.rank.is_some()).count();
        if opened < n {
            let usable =
                distinct_from_existing(metric.name() == "cost_matrix", pc, cands, &loaded.existing)
                    .iter()
                    .filter(|&&a| a)
                    .count();
            let why = if cands.len() <= opened {
                format!("there are only {} candidates", cands.len())
            } else if usable <= opened {
                format!(
                    "the other {} candidate{} stand{} where existing sites stand",
                    cands.len() - usable,
                    if cands.len() - usable == 1 { "" } else { "s" },
                    if cands.len() - usable == 1 { "s" } else { "" }
                )
            } else if pc.budget.is_some() {
                "the budget allows no more, or no other candidate improves the objective"
                    .to_string()
            } else {
                "no other candidate improves the objective (each would cover no demand that is not covered already)".to_string()
            };
            out.report.notes.push(format!(
                "--add {n}: {opened} new site{} opened: {why}",
                if opened == 1 { "" } else { "s" }
            ));
        }
    }
    Ok(out)
}

/// What every plan of one run shares: the demand as the metric sees it, the
/// radii, the loaded inputs and the candidates.
pub(crate) struct Task<'a, M: Metric> {
    pub(crate) metric: &'a M,
    pub(crate) demand: &'a [M::Point],
    pub(crate) radii: &'a [Radius],
    pub(crate) top: usize,
    pub(crate) loaded: &'a Loaded,
    pub(crate) cands: &'a PlaceSet,
    pub(crate) progress: &'a Progress,
}

impl<M: Metric> Clone for Task<'_, M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M: Metric> Copy for Task<'_, M> {}

/// For the distance, max-distance and backup objectives, candidates
/// standing where an existing site stands (the same coordinates; with a cost matrix, the same
/// id) are left out: opening one again changes no distance, and it would
/// "back up" the existing outlet with a twin on the same spot, which no
/// planner means by a second outlet. The searches would otherwise take such
/// a twin on a tie (distance) or for the counted second cover (backup).
/// Every candidate is allowed otherwise.
fn distinct_from_existing(
    matrix: bool,
    pc: &PlanConfig,
    cands: &PlaceSet,
    existing: &PlaceSet,
) -> Vec<bool> {
    let twins_matter = matches!(
        pc.objective,
        Objective::Distance | Objective::MaxDistance | Objective::Backup
    );
    if !twins_matter || existing.is_empty() {
        return vec![true; cands.len()];
    }
    let spot = |p: &crate::input::Place| -> Option<(u64, u64)> {
        match p.xy {
            Some([x, y]) => Some((x.to_bits(), y.to_bits())),
            None if p.lon.is_finite() && p.lat.is_finite() => {
                Some((p.lon.to_bits(), p.lat.to_bits()))
            }
            None => None,
        }
    };
    let ids: std::collections::HashSet<String> = existing.iter().map(|p| p.id).collect();
    let spots: std::collections::HashSet<(u64, u64)> =
        existing.iter().filter_map(|p| spot(&p)).collect();
    cands
        .iter()
        .map(|c| {
            let same_id = matrix && ids.contains(&c.id);
            let same_spot = !matrix && spot(&c).is_some_and(|s| spots.contains(&s));
            !(same_id || same_spot)
        })
        .collect()
}

/// Plans with `existing` as the open outlets (all of them stay open).
///
/// # Errors
/// As [`plan_with`].
pub(crate) fn plan_network<M: Metric>(
    task: &Task<'_, M>,
    pc: &PlanConfig,
    existing: &PlaceSet,
) -> Result<PlanOutput> {
    let Task {
        metric,
        demand,
        radii,
        top,
        loaded,
        cands,
        progress,
    } = *task;
    let costs = candidate_costs(pc, cands)?;
    let capacitated = pc.capacity.is_some()
        || cands.iter().any(|p| p.capacity.is_some())
        || existing.iter().any(|p| p.capacity.is_some());
    let fixed_units = metric.points(existing);
    let cand_units = metric.points(cands);
    let mut allowed = distinct_from_existing(metric.name() == "cost_matrix", pc, cands, existing);
    // A candidate costing more than the whole budget can never open: left
    // out of the searches and of the bound (which would otherwise count it).
    let mut budget_note = None;
    if let Some(b) = pc.budget {
        for (a, &c) in allowed.iter_mut().zip(&costs) {
            *a &= c <= b + budget_slack(b);
        }
        if !allowed.iter().any(|&a| a)
            && let Some(cheapest) = costs.iter().copied().min_by(f64::total_cmp)
        {
            budget_note = Some(format!(
                "no candidate fits --budget {}: the cheapest costs {}; nothing new can open",
                crate::report::fmt_weight(b),
                crate::report::fmt_weight(cheapest)
            ));
        }
    }
    let deadline = Instant::now() + pc.time_limit;
    let r0 = radii[0];

    // Without a radius (distance objectives need none) every site reaches
    // every point: no coverage structure, and new sites are ranked by the
    // weight they serve instead of by covered weight.
    let model = (r0.unit != RadiusUnit::Any).then(|| {
        progress.stage("building the coverage structure");
        let bar = progress.count(demand.len() as u64, "coverage (demand points)");
        crate::coverage::build_reporting(
            metric,
            demand,
            loaded.weights(),
            &fixed_units,
            &cand_units,
            r0,
            &bar,
        )
    });
    let limits = Limits {
        max_sites: pc.add,
        budget: pc.budget.map(|b| (b, costs.clone())),
    };
    let sites = Sites {
        fixed: &fixed_units,
        cands: &cand_units,
        allowed: &allowed,
    };
    let served_objective = capacitated
        && pc.objective == Objective::Coverage
        && (pc.add.is_some() || pc.budget.is_some());
    if pc.exact && capacitated && !served_objective {
        bail!(
            "--exact with capacities proves the weight served of --objective coverage with --add or --budget only, not {}: drop --exact or the capacities",
            pc.objective.name()
        );
    }
    // With capacities the proof is of the weight served, searched below: the
    // coverage-first choice is only a start.
    let uncapacitated;
    let pc_choose = if served_objective && pc.exact {
        uncapacitated = PlanConfig {
            exact: false,
            ..pc.clone()
        };
        &uncapacitated
    } else {
        pc
    };
    let mut chosen = choose(task, pc_choose, model.as_ref(), &limits, &sites, deadline);

    // With capacities, the coverage objective is the weight served within capacity.
    let mut served_bound = None;
    if served_objective {
        progress.stage("capacity-aware selection");
        let net = capacity::Network {
            metric,
            demand,
            weights: loaded.weights(),
            fixed: &fixed_units,
            cands: &cand_units,
            existing,
            cand_places: cands,
        };
        served_bound = Some(capacity::choose_capacitated(
            &net,
            &mut chosen,
            &limits,
            r0,
            pc,
            deadline,
        ));
    }

    progress.stage("evaluating the plan");
    let ranked = match &model {
        Some(m) => rank_by_marginal(m, &chosen.set),
        None => rank_by_served(
            metric,
            demand,
            loaded,
            &fixed_units,
            &cand_units,
            &chosen.set,
            radii,
        ),
    };
    let mut open: Vec<OpenSite> = existing.iter().map(|p| OpenSite::existing(&p)).collect();
    for (k, &j) in ranked.chosen.iter().enumerate() {
        open.push(OpenSite {
            place: cands.place(j as usize),
            status: crate::report::SiteStatus::New,
            rank: Some(k as u32 + 1),
            marginal: ranked.marginal.get(k).copied(),
        });
    }
    let open_units: Vec<M::Point> = open.iter().map(|s| metric.point(&s.place)).collect();
    let bar = progress.count(demand.len() as u64, "evaluating (demand points)");
    let mut eval = evaluate(metric, loaded.view(demand), &open_units, radii, &bar);
    drop(bar);
    let mut report = build_report(
        metric,
        crate::report::CommandName::Plan,
        Some(pc.objective.name()),
        loaded,
        &open,
        &eval,
        cands.len() as u64,
        top,
    );
    let failure_note = chosen.notes.first().cloned();
    report.notes.extend(cands.notes.iter().cloned());
    report.notes.extend(budget_note);
    report.notes.extend(chosen.notes);

    // The objective as measured by the evaluator, and the bound against it.
    let (achieved, measure) = measured(
        metric,
        demand,
        loaded,
        pc,
        &eval,
        &open_units,
        ranked.chosen.len(),
    );
    report.objective_value = Some(ObjectiveValue {
        measure,
        value: achieved,
    });
    report.bound = chosen.bound.map(|mut b| {
        b.achieved = achieved;
        b.gap = gap(pc.objective, b.value, achieved);
        b
    });
    if let Some(b) = pc.budget {
        // From +0: an empty sum of floats is -0, which would print as "-0".
        let spent = ranked
            .chosen
            .iter()
            .fold(0.0, |s: f64, &j| s + costs[j as usize]);
        report.budget = Some(BudgetReport {
            budget: b,
            spent,
            // Costs summing a hair over the budget (0.1 + 0.2 on 0.3) fit
            // within the plan's rounding slack: nothing is left, not -5.6e-17.
            remaining: if b - spent < 0.0 && spent - b <= budget_slack(b) {
                0.0
            } else {
                b - spent
            },
        });
    }
    if capacitated {
        progress.stage("assigning demand within capacities");
        eval.allocation = Some(capacity::apply_capacities(
            metric,
            &mut report,
            (demand, loaded.weights()),
            &open_units,
            &open,
            radii[0],
            pc,
        )?);
        if let Some(cap_bound) = served_bound {
            capacity::served_objective(&mut report, &cap_bound);
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
    // With whole-number weights (and capacities) every plan covers or serves
    // a whole number, so the fraction of a bound is slack: rounded down.
    // (Capacities of any size: a flow through whole capacities is whole.)
    let whole_cap = |c: f64| c.fract() == 0.0;
    let whole_numbers = loaded
        .weights()
        .iter()
        .all(|&w| crate::solve::exact::whole(w))
        && loaded.weights().iter().sum::<f64>() < crate::solve::exact::MAX_EXACT_TOTAL
        && pc.capacity.is_none_or(whole_cap)
        && cands
            .iter()
            .chain(existing.iter())
            .filter_map(|p| p.capacity)
            .all(whole_cap);
    if matches!(pc.objective, Objective::Coverage | Objective::Backup)
        && whole_numbers
        && let Some(b) = &mut report.bound
    {
        let down = (b.value + exact_slack(b.value)).floor();
        if down < b.value && down >= b.achieved {
            b.value = down;
            b.gap = gap(pc.objective, b.value, b.achieved);
        }
    }
    Ok(PlanOutput {
        report,
        open,
        eval,
        failure: (!chosen.passed).then(|| failure_note.unwrap_or_default()),
    })
}

/// The open outlets and the candidates of one plan, as the metric sees them.
struct Sites<'a, P> {
    fixed: &'a [P],
    cands: &'a [P],
    allowed: &'a [bool],
}

/// Runs the objective's pipeline: which new sites, with their bound and notes.
fn choose<M: Metric>(
    task: &Task<'_, M>,
    pc: &PlanConfig,
    model: Option<&CoverageModel>,
    limits: &Limits,
    sites: &Sites<'_, M::Point>,
    deadline: Instant,
) -> Chosen {
    let Task {
        metric,
        demand,
        loaded,
        progress,
        radii,
        ..
    } = *task;
    let (fixed_units, cand_units, allowed) = (sites.fixed, sites.cands, sites.allowed);
    let r0 = radii[0];
    let covering = || model.expect("coverage objectives are checked to have a radius");
    match pc.objective {
        Objective::Coverage => plan_coverage(covering(), limits, allowed, pc, deadline, progress),
        Objective::MinSites => {
            min_sites::plan_min_sites(covering(), allowed, pc, deadline, progress)
        }
        Objective::Distance | Objective::MaxDistance
            if tiny(demand.len(), cand_units.len(), pc.add.unwrap_or(0)) =>
        {
            let p = pc.add.expect("checked by the CLI");
            let sum = pc.objective == Objective::Distance;
            // The allowed candidates only, and their indices back.
            let index: Vec<u32> = (0..cand_units.len() as u32)
                .filter(|&j| allowed[j as usize])
                .collect();
            let open_to: Vec<M::Point> = index.iter().map(|&j| cand_units[j as usize]).collect();
            let (set, value) = exhaustive::best_subset(
                metric,
                demand,
                loaded.weights(),
                fixed_units,
                &open_to,
                p,
                sum,
                pc.weighted,
            );
            let mut set: Vec<u32> = set.into_iter().map(|k| index[k as usize]).collect();
            if !sum {
                // A largest distance does not grow when a site it does not
                // hinge on closes: open only the sites it needs (as the
                // radius search does), last chosen first.
                let largest = |set: &[u32]| {
                    let units: Vec<M::Point> = fixed_units
                        .iter()
                        .copied()
                        .chain(set.iter().map(|&j| cand_units[j as usize]))
                        .collect();
                    pcenter::objective(
                        metric,
                        demand,
                        loaded.weights(),
                        &units,
                        pc.weighted,
                        f64::INFINITY,
                    )
                };
                for k in (0..set.len()).rev() {
                    let mut fewer = set.clone();
                    fewer.remove(k);
                    if largest(&fewer) <= value {
                        set = fewer;
                    }
                }
            }
            Chosen {
                set,
                bound: Some(BoundReport {
                    proven: pc.exact.then_some(true),
                    value,
                    gap: 0.0,
                    method: "exhaustive search (proven optimal)".into(),
                    achieved: 0.0,
                }),
                passed: true,
                notes: Vec::new(),
            }
        }
        Objective::Distance => median::plan_median(task, sites, pc, deadline),
        Objective::Backup => backup::plan_backup(
            &backup::Backup {
                metric,
                demand,
                weights: loaded.weights(),
                fixed: fixed_units,
                cands: cand_units,
                allowed,
                radius: r0,
                mix: pc.backup_weight.unwrap_or(1.0),
                add: pc.add.expect("checked by the CLI"),
            },
            deadline,
            progress,
        ),
        Objective::MaxDistance => center::plan_center(task, sites, pc, deadline),
    }
}

/// Each candidate's cost; with `--budget`, every candidate must have one.
///
/// # Errors
/// A candidate without a cost under a budget.
fn candidate_costs(pc: &PlanConfig, cands: &PlaceSet) -> Result<Vec<f64>> {
    Ok(if pc.budget.is_some() {
        let mut c = Vec::with_capacity(cands.len());
        for p in cands.iter() {
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
        cands.iter().map(|p| p.cost.unwrap_or(0.0)).collect()
    })
}

/// The objective's value as the evaluator measured the plan, and its name.
pub fn measured<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    loaded: &Loaded,
    pc: &PlanConfig,
    eval: &Evaluation,
    open_units: &[M::Point],
    new_sites: usize,
) -> (f64, Measure) {
    let achieved = match pc.objective {
        Objective::Coverage => eval.tiers[0].covered_weight,
        Objective::Backup => {
            let mix = pc.backup_weight.unwrap_or(1.0);
            mix * eval.tiers[0].backup_weight + (1.0 - mix) * eval.tiers[0].covered_weight
        }
        Objective::MinSites => new_sites as f64,
        // The weighted sum of nearest-site distances, as p-median defines it.
        // A point no open site reaches (a sparse cost matrix) is charged the
        // largest cost, as the solver charged it.
        Objective::Distance => eval
            .nearest
            .iter()
            .zip(loaded.weights())
            .map(|(n, w)| {
                w * if n.1.is_finite() {
                    n.1
                } else {
                    metric.farthest()
                }
            })
            .sum(),
        Objective::MaxDistance => {
            if pc.weighted {
                // Points no open site reaches are left out, as in the distance statistics.
                pcenter::objective(metric, demand, loaded.weights(), open_units, true, 0.0)
            } else {
                eval.distance.map_or(0.0, |d| d.max)
            }
        }
    };
    let matrix = metric.name() == "cost_matrix";
    let measure = match pc.objective {
        Objective::Coverage => Measure::CoveredWeight,
        Objective::Backup => match pc.backup_weight {
            None => Measure::BackupWeight,
            Some(_) => Measure::BackupMix,
        },
        Objective::MinSites => Measure::NewSites,
        // Distances are in the model's unit; km is named only where it is km.
        Objective::Distance if matrix => Measure::WeightedDistance,
        Objective::Distance => Measure::WeightedDistanceKm,
        Objective::MaxDistance => {
            if pc.weighted {
                Measure::MaxWeightedDistance
            } else if matrix {
                Measure::MaxDistance
            } else {
                Measure::MaxDistanceKm
            }
        }
    };
    (achieved, measure)
}

/// Rounding slack of a bound computed in floating point: a relative 1e-9.
fn exact_slack(x: f64) -> f64 {
    crate::solve::exact::REL_TOL * x.abs()
}

/// The relative gap between a bound and the value reached: a maximised
/// objective's bound is above it, a minimised one's below.
fn gap(objective: Objective, bound: f64, achieved: f64) -> f64 {
    match objective {
        Objective::Coverage | Objective::Backup => {
            if bound > 0.0 {
                ((bound - achieved) / bound).max(0.0)
            } else {
                0.0
            }
        }
        _ => {
            if achieved > 0.0 {
                ((achieved - bound) / achieved).max(0.0)
            } else {
                0.0
            }
        }
    }
}

/// New sites in order of the weight each is nearest for (ties by index), with
/// no marginal coverage: the ranking when no radius was given.
fn rank_by_served<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    loaded: &Loaded,
    fixed: &[M::Point],
    cands: &[M::Point],
    set: &[u32],
    radii: &[Radius],
) -> crate::solve::Selection {
    let units: Vec<M::Point> = fixed
        .iter()
        .copied()
        .chain(set.iter().map(|&j| cands[j as usize]))
        .collect();
    let eval = evaluate(metric, loaded.view(demand), &units, radii, &Bar::hidden());
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

/// Whether enumerating every set of `p` candidates is cheap enough to prove optimality.
fn tiny(n_demand: usize, n_cands: usize, p: usize) -> bool {
    let sets = exhaustive::binomial(n_cands, p.min(n_cands));
    n_cands <= 24 && sets.saturating_mul((n_demand * p.max(1)) as u64) <= 50_000_000
}
