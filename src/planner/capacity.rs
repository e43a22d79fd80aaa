//! Capacities: the capacity-aware choice of new sites for the coverage
//! objective, and the capacity-respecting assignment every capacitated plan
//! is reported with.

use super::Chosen;
use crate::assemble::OpenSite;
use crate::config::PlanConfig;
use crate::coverage;
use crate::evaluate::Allocation;
use crate::input::PlaceSet;
use crate::metric::Metric;
use crate::report::{CapacityReport, Measure, ObjectiveValue, Report, fmt_weight};
use crate::solve::capacity;
use crate::solve::capexact;
use crate::solve::capsearch;
use crate::solve::mclp::Limits;
use crate::sphere::Radius;
use anyhow::Result;
use std::time::{Duration, Instant};

/// The sites and demand a capacitated choice works on.
pub(super) struct Network<'a, M: Metric> {
    pub(super) metric: &'a M,
    pub(super) demand: &'a [M::Point],
    pub(super) weights: &'a [f64],
    pub(super) fixed: &'a [M::Point],
    pub(super) cands: &'a [M::Point],
    pub(super) existing: &'a PlaceSet,
    pub(super) cand_places: &'a PlaceSet,
}

/// Most improving swaps of a capacitated search (counted, never timed).
const MAX_SWAPS: usize = 10_000;
/// Subgradient iterations of the served-weight bound.
const BOUND_ITERATIONS: u32 = 3000;
/// Seeded perturbation rounds of the capacitated search (plus `--perturb`).
const PERTURB_ROUNDS: usize = 8;
/// Relaxed choices of the bound polished by the swap search.
const BOUND_STARTS: usize = 2;

/// How the weight served is bounded.
const METHOD: &str = "Lagrangian relaxation of the assignment within capacities (upper bound)";

/// A bound on the weight served within capacities.
pub(super) struct ServedBound {
    /// Upper bound (infinite without one).
    value: f64,
    /// How it was computed.
    method: String,
    /// With `--exact`: whether the answer was proven optimal.
    proven: Option<bool>,
}

/// With capacities, the coverage objective is the weight served within
/// capacity: starts from the better of the coverage-first choice and (with a
/// site count) a capacity-aware greedy, improves it by swaps evaluated on the
/// served weight, and (unless `--no-bound`) bounds it by the Lagrangian
/// relaxation of the assignment, whose relaxed choices are searched from too.
/// With `--exact`, a branch and bound then searches for a proof.
/// Returns the bound on the weight served (infinite without one).
pub(super) fn choose_capacitated<M: Metric>(
    net: &Network<'_, M>,
    chosen: &mut Chosen,
    limits: &Limits,
    r0: Radius,
    pc: &PlanConfig,
    deadline: Instant,
) -> ServedBound {
    let nf = net.fixed.len();
    let all_units: Vec<M::Point> = net.fixed.iter().chain(net.cands).copied().collect();
    let m_all = coverage::build(net.metric, net.demand, net.weights, &[], &all_units, r0);
    let caps: Vec<f64> = net
        .existing
        .iter()
        .chain(net.cand_places.iter())
        .map(|s| s.capacity.or(pc.capacity).unwrap_or(f64::INFINITY))
        .collect();
    let served = |new: &[u32]| {
        let open: Vec<u32> = (0..nf as u32)
            .chain(new.iter().map(|&j| j + nf as u32))
            .collect();
        let c: Vec<f64> = open.iter().map(|&j| caps[j as usize]).collect();
        capacity::assign(&m_all, &open, &c).assigned
    };
    let s_blind = served(&chosen.set);
    let mut start = chosen.set.clone();
    let mut s_start = s_blind;
    if let (Some(p), None) = (limits.max_sites, &limits.budget) {
        let aware: Vec<u32> = capacity::greedy_capacitated(&m_all, &caps, nf, p)
            .iter()
            .map(|&j| j - nf as u32)
            .collect();
        let s_aware = served(&aware);
        if s_aware > s_blind * (1.0 + 1e-12) {
            chosen.notes.push(format!(
                "capacity-aware greedy serves {} against {} for the coverage-first choice; searched from it",
                fmt_weight(s_aware),
                fmt_weight(s_blind)
            ));
            (start, s_start) = (aware, s_aware);
        } else {
            chosen.notes.push(format!(
                "the coverage-first choice serves {} within capacities, the capacity-aware greedy {}; searched from the first",
                fmt_weight(s_blind),
                fmt_weight(s_aware)
            ));
        }
    }
    let allowed = vec![true; net.cands.len()];
    let moves = capsearch::Moves {
        limits,
        allowed: &allowed,
        n_fixed: nf,
    };
    let (mut set, mut value, stats) =
        capsearch::swap_search(&m_all, &caps, &moves, &start, MAX_SWAPS, deadline);
    chosen.notes.push(format!(
        "capacitated swap search: {} improving moves ({} swaps evaluated exactly), {} to {} served{}",
        stats.moves,
        stats.evaluated,
        fmt_weight(s_start),
        fmt_weight(value),
        if stats.timed_out {
            " (stopped at --time-limit)"
        } else {
            ""
        }
    ));
    let rounds = PERTURB_ROUNDS + pc.perturb as usize;
    let (kicked, v, wins) = capsearch::iterated_search(
        &m_all, &caps, &moves, &set, value, rounds, pc.seed, deadline,
    );
    chosen.notes.push(format!(
        "{rounds} perturbation rounds of the capacitated search (seed {}), {wins} improved the answer",
        pc.seed
    ));
    if wins > 0 && v > value {
        (set, value) = (kicked, v);
    }
    let mut out = ServedBound {
        value: f64::INFINITY,
        method: METHOD.into(),
        proven: None,
    };
    if pc.bound {
        let mut bound;
        // The share of each row the answer serves: starting multipliers for the bound.
        let open: Vec<u32> = (0..nf as u32)
            .chain(set.iter().map(|&j| j + nf as u32))
            .collect();
        let c: Vec<f64> = open.iter().map(|&j| caps[j as usize]).collect();
        let a = capacity::assign(&m_all, &open, &c);
        let shares: Vec<f64> = a
            .row_flows
            .iter()
            .zip(&m_all.row_weight)
            .map(|(f, &w)| {
                if w > 0.0 {
                    (f.iter().map(|x| x.1).sum::<f64>() / w).clamp(0.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect();
        let b = capsearch::lagrangian(
            &m_all,
            &caps,
            nf,
            limits,
            &allowed,
            value,
            Some(&shares),
            BOUND_ITERATIONS,
            1e-6,
            deadline.min(Instant::now() + Duration::from_secs(60)),
        );
        let mut starts: Vec<(f64, &Vec<u32>)> = b
            .hints
            .iter()
            .filter(|h| h.as_slice() != set.as_slice())
            .map(|h| (served(h), h))
            .collect();
        starts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut improved = 0;
        for (_, h) in starts.into_iter().take(BOUND_STARTS) {
            let (s, v, _) = capsearch::swap_search(&m_all, &caps, &moves, h, MAX_SWAPS, deadline);
            if v > value * (1.0 + 1e-12) {
                (set, value) = (s, v);
                improved += 1;
            }
        }
        chosen.notes.push(format!(
            "served-weight bound after {} subgradient iterations; {improved} of its relaxed choices improved the answer",
            b.iterations
        ));
        bound = b.value;
        if let (Some(p), None) = (limits.max_sites, &limits.budget) {
            bound = bound.min(capacity::served_bound(&m_all, &caps, nf, p));
        }
        if pc.exact {
            let t = capexact::solve(
                &m_all,
                &caps,
                nf,
                limits,
                &set,
                value,
                &b.multipliers,
                u64::MAX,
                deadline,
            );
            chosen.notes.push(format!(
                "capacitated branch and bound: {} node{}, {} candidates fixed open and {} closed at the root by reduced costs{}",
                t.nodes,
                if t.nodes == 1 { "" } else { "s" },
                t.root_fixed.0,
                t.root_fixed.1,
                if t.proven {
                    ""
                } else {
                    "; stopped at --time-limit"
                }
            ));
            if t.value > value * (1.0 + 1e-12) {
                (set, value) = (t.set, t.value);
            }
            let tolerance = if t.integral {
                String::new()
            } else {
                format!(
                    ", within a relative {:e} (weights or capacities are not all integers, or total 9e9 or more)",
                    crate::solve::exact::REL_TOL
                )
            };
            if t.proven {
                out.value = value;
                out.method = format!("capacitated branch and bound: proven optimal{tolerance}");
            } else {
                out.value = bound.min(t.bound).max(value);
                out.method = "capacitated branch and bound: not proven, stopped at --time-limit (the smaller of the largest bound of the open nodes and the Lagrangian bound)".into();
            }
            out.proven = Some(t.proven);
            chosen.set = set;
            return out;
        }
        out.value = bound;
    }
    chosen.set = set;
    out
}

/// Assigns demand to the open sites within their capacities and puts the
/// loads, utilisation and engineers into the report.
///
/// # Errors
/// An engineer count too large to report.
pub(super) fn apply_capacities<M: Metric>(
    metric: &M,
    report: &mut Report,
    demand: (&[M::Point], &[f64]),
    open_units: &[M::Point],
    open: &[OpenSite],
    radius: Radius,
    pc: &PlanConfig,
) -> Result<Allocation> {
    let model = coverage::build(metric, demand.0, demand.1, &[], open_units, radius);
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

/// With capacities, the coverage objective is the weight served: reports it,
/// and keeps the smaller of the coverage bound and `cap` (both valid for it),
/// with the proof `--exact` found or not.
pub(super) fn served_objective(report: &mut Report, cap: &ServedBound) {
    let Some(c) = report.capacity.clone() else {
        return;
    };
    // The objective is the weight served; both bounds are valid for it, keep the smaller.
    let served = c.assigned_weight;
    report.objective_value = Some(ObjectiveValue {
        measure: Measure::ServedWeight,
        value: served,
    });
    if let Some(b) = &mut report.bound {
        if cap.value < b.value || cap.proven.is_some() {
            b.value = cap.value.min(b.value);
            b.method.clone_from(&cap.method);
        }
        b.proven = cap.proven;
        if cap.proven == Some(true) {
            b.value = served;
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
