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
use crate::sphere::Radius;
use anyhow::Result;

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

/// With capacities, the coverage objective is the weight served within
/// capacity: also tries a capacity-aware greedy, keeps whichever serves more
/// (saying so in a note), and returns the bound on the weight served.
pub(super) fn choose_capacitated<M: Metric>(
    net: &Network<'_, M>,
    chosen: &mut Chosen,
    p: usize,
    r0: Radius,
    pc: &PlanConfig,
) -> f64 {
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
            fmt_weight(s_aware),
            fmt_weight(s_blind)
        ));
    } else {
        chosen.notes.push(format!(
            "the coverage-first choice serves {} within capacities, the capacity-aware greedy {}; kept the first",
            fmt_weight(s_blind),
            fmt_weight(s_aware)
        ));
    }
    capacity::served_bound(&m_all, &caps, nf, p)
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
/// and keeps the smaller of the coverage bound and `cap_bound` (each site
/// serves at most min(capacity, weight within reach)), both valid for it.
pub(super) fn served_objective(report: &mut Report, cap_bound: f64) {
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
        if cap_bound < b.value {
            b.value = cap_bound;
            b.method =
                "capacities: each site serves at most min(capacity, weight within reach)".into();
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
