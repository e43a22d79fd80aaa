//! Report assembly: the open sites of a run, evaluated against the demand,
//! turned into the one [`Report`] every writer and renderer reads; and the
//! coverage gate.

use crate::evaluate::{Evaluation, NO_SITE, evaluate};
use crate::input::Place;
use crate::metric::Metric;
use crate::report::{
    CoverageSummary, DemandSummary, GateReport, GroupReport, Report, SiteReport, SiteStatus,
    TierReport, UncoveredPlace,
};
use crate::sphere::Radius;
use crate::workspace::Loaded;

/// One open site as the report shows it.
#[derive(Debug, Clone)]
pub struct OpenSite {
    /// The place.
    pub place: Place,
    /// `existing` or `new`.
    pub status: SiteStatus,
    /// Opening order for new sites.
    pub rank: Option<u32>,
    /// Marginal covered weight for new sites.
    pub marginal: Option<f64>,
}

impl OpenSite {
    /// An existing (always open) site.
    pub fn existing(place: &Place) -> Self {
        OpenSite {
            place: place.clone(),
            status: SiteStatus::Existing,
            rank: None,
            marginal: None,
        }
    }
}

/// Builds the report from an evaluation of `open` sites.
#[allow(clippy::too_many_arguments)]
pub fn build_report<M: Metric>(
    metric: &M,
    command: crate::report::CommandName,
    objective: Option<&str>,
    loaded: &Loaded,
    open: &[OpenSite],
    eval: &Evaluation,
    candidates: u64,
    top: usize,
) -> Report {
    let total = eval.total_weight;
    let frac = |w: f64| if total > 0.0 { w / total } else { 0.0 };
    let tiers: Vec<TierReport> = eval
        .tiers
        .iter()
        .map(|t| TierReport {
            radius_km: t.radius.km,
            label: t.radius.to_string(),
            covered_weight: t.covered_weight,
            covered_fraction: frac(t.covered_weight),
            covered_points: t.covered_points,
            backup_weight: t.backup_weight,
            backup_fraction: frac(t.backup_weight),
        })
        .collect();
    let first = &eval.tiers[0];
    let mut groups: Vec<GroupReport> = eval
        .groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.points > 0)
        .map(|(i, g)| GroupReport {
            group: loaded.demand.groups[i].clone(),
            points: g.points,
            total_weight: g.total_weight,
            covered_weight: g.covered_weight,
            covered_fraction: if g.total_weight > 0.0 {
                g.covered_weight / g.total_weight
            } else {
                0.0
            },
        })
        .collect();
    groups.sort_by(|a, b| {
        a.covered_fraction
            .total_cmp(&b.covered_fraction)
            .then(b.total_weight.total_cmp(&a.total_weight))
            .then(a.group.cmp(&b.group))
    });
    let mut uncovered: Vec<u32> = (0..loaded.weights().len() as u32)
        .filter(|&i| !eval.covered(i as usize, 0))
        .collect();
    uncovered.sort_by(|&a, &b| {
        loaded.weights()[b as usize]
            .total_cmp(&loaded.weights()[a as usize])
            .then(a.cmp(&b))
    });
    uncovered.truncate(top);
    let uncovered = uncovered
        .into_iter()
        .map(|i| {
            let p = &loaded.demand.place(i as usize);
            let (s, d) = eval.nearest[i as usize];
            UncoveredPlace {
                id: p.id.clone(),
                name: p.name.clone(),
                lon: p.lon,
                lat: p.lat,
                x: p.xy.map(|v| v[0]),
                y: p.xy.map(|v| v[1]),
                weight: p.weight,
                group: loaded.demand.group_name(p).map(str::to_string),
                distance_km: (s != NO_SITE).then_some(d),
            }
        })
        .collect();
    let sites = open
        .iter()
        .enumerate()
        .map(|(j, s)| SiteReport {
            id: s.place.id.clone(),
            name: s.place.name.clone(),
            lon: s.place.lon,
            lat: s.place.lat,
            x: s.place.xy.map(|v| v[0]),
            y: s.place.xy.map(|v| v[1]),
            status: s.status,
            rank: s.rank,
            marginal_weight: s.marginal,
            covered_weight: eval.site_covered[j],
            unique_weight: eval.site_unique[j],
            assigned_weight: eval.site_assigned[j],
            cost: s.place.cost,
            capacity: None,
            utilisation: None,
            engineers: None,
        })
        .collect();
    Report {
        command,
        objective: objective.map(str::to_string),
        radius_km: first.radius.km,
        radius_label: first.radius.to_string(),
        distance_model: metric.name(),
        unit: metric.unit(),
        circuity: metric.circuity(),
        crs: loaded.demand.crs.clone(),
        demand: DemandSummary {
            points: loaded.weights().len() as u64,
            total_weight: total,
            skipped: loaded.demand.skipped.len() as u64,
        },
        candidates,
        sites,
        coverage: CoverageSummary {
            covered_weight: first.covered_weight,
            covered_fraction: frac(first.covered_weight),
            covered_points: first.covered_points,
        },
        tiers,
        distance_km: eval.distance,
        groups,
        uncovered,
        bound: None,
        budget: None,
        capacity: None,
        objective_value: None,
        gate: None,
        relocation: None,
        aggregation: None,
        notes: [
            &loaded.demand.notes[..],
            &loaded.existing.notes,
            &skipped_notes(loaded),
        ]
        .concat(),
        elapsed_ms: 0,
    }
}

fn skipped_notes(loaded: &Loaded) -> Vec<String> {
    let skipped = &loaded.demand.skipped;
    if skipped.is_empty() {
        return Vec::new();
    }
    let mut notes = vec![format!(
        "{} invalid demand rows skipped (--skip-invalid); the first:",
        skipped.len()
    )];
    notes.extend(skipped.iter().take(3).map(|s| s.reason.clone()));
    notes
}

/// Evaluates the open sites of `loaded` (its `existing` set): the core of `evaluate`.
pub fn evaluate_network<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    loaded: &Loaded,
    radii: &[Radius],
    top: usize,
    bar: &crate::progress::Bar,
) -> (Report, Vec<OpenSite>, Evaluation) {
    let open: Vec<OpenSite> = loaded
        .existing
        .iter()
        .map(|p| OpenSite::existing(&p))
        .collect();
    let units: Vec<M::Point> = open.iter().map(|s| metric.point(&s.place)).collect();
    let eval = evaluate(metric, loaded.view(demand), &units, radii, bar);
    let report = build_report(
        metric,
        crate::report::CommandName::Evaluate,
        None,
        loaded,
        &open,
        &eval,
        0,
        top,
    );
    (report, open, eval)
}

/// Applies `--min-coverage` to a report; returns whether it passed.
pub fn apply_gate(report: &mut Report, min: Option<f64>) -> bool {
    let Some(min) = min else { return true };
    let reached = report.coverage.covered_fraction;
    let passed = reached + 1e-12 >= min;
    report.gate = Some(GateReport {
        min_coverage: min,
        reached,
        passed,
    });
    passed
}
