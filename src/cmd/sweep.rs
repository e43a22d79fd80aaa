//! `outpost sweep`: the coverage curve — the best coverage for 1..N new sites,
//! over one or several radii — as a table and a chart. It answers "how many
//! outlets do we need?".
//!
//! # How each point is computed
//! Every (radius, N) point is an independent solve with the same solver as
//! `outpost plan --objective coverage --add N` (greedy, swap local search,
//! local search from the Lagrangian relaxation's choices), so the curve agrees
//! with `plan` run alone. Should a solve come out below the point before it
//! (heuristics are not monotone by nature), the previous answer plus its best
//! additional site is polished by local search and used instead, marked
//! `extended`: the curve never goes down. The bound band uses, at each N, the
//! smallest bound found at any N' >= N (optimal coverage grows with N, so each
//! is valid for N as well).

pub use crate::config::SweepConfig;
use crate::config::{Config, Outcome};
use crate::coverage;
use crate::input::PlaceSet;
use crate::metric::Metric;
use crate::planner::plan_coverage;
use crate::progress::Progress;
pub use crate::report::sweep::{SweepMethod, SweepPoint, SweepReport, write_sweep};
use crate::solve::mclp::{Limits, local_search};
use crate::workspace::Loaded;
use crate::workspace::{load_candidates, load_inputs};
use anyhow::Result;
use std::time::Instant;

/// Runs a sweep.
///
/// # Errors
/// Input and I/O errors.
pub fn run_sweep(cfg: &Config, sc: &SweepConfig) -> Result<Outcome> {
    let start = Instant::now();
    let progress = Progress::new(cfg.output.quiet);
    progress.stage("loading inputs");
    let loaded = load_inputs(cfg)?;
    let cands = load_candidates(cfg, &loaded)?;
    // The sweep's report has no notes: how the places meet a cost matrix goes to stderr.
    for note in crate::workspace::matrix_notes(
        &loaded.model,
        &cfg.output,
        &loaded.demand,
        &loaded.existing,
        Some(&cands),
    )? {
        // Warnings were printed when they were found (even with --quiet).
        if !cfg.output.quiet && !note.starts_with("warning: ") {
            eprintln!("outpost: note: {note}");
        }
    }
    crate::with_metric!(&loaded.model, m => sweep_with(m, cfg, sc, &loaded, &cands, &progress, start))
}

/// [`run_sweep`] for one distance model.
fn sweep_with<M: Metric>(
    metric: &M,
    cfg: &Config,
    sc: &SweepConfig,
    loaded: &Loaded,
    cands: &PlaceSet,
    progress: &Progress,
    start: Instant,
) -> Result<Outcome> {
    let demand = metric.points(&loaded.demand);
    let fixed = metric.points(&loaded.existing);
    let cand_units = metric.points(cands);
    let allowed = vec![true; cand_units.len()];
    let total: f64 = loaded.weights().iter().sum();
    let frac = |w: f64| if total > 0.0 { w / total } else { 0.0 };
    let mut points = Vec::new();
    let mut baseline = Vec::new();
    for radius in &cfg.radii {
        progress.stage(&format!("coverage structure at {radius}"));
        let model = coverage::build(
            metric,
            &demand,
            loaded.weights(),
            &fixed,
            &cand_units,
            *radius,
        );
        baseline.push((radius.km, frac(model.fixed_weight)));
        let mut curve: Vec<SweepPoint> = Vec::new();
        let mut prev: Option<(Vec<u32>, f64)> = None;
        for k in sc.adds.0..=sc.adds.1 {
            progress.stage(&format!("{radius}, {k} new sites"));
            let limits = Limits {
                max_sites: Some(k),
                budget: None,
            };
            let mut pc = sc.solver.clone();
            pc.bound = sc.bound;
            pc.add = Some(k);
            let deadline = Instant::now() + pc.time_limit;
            let chosen = plan_coverage(&model, &limits, &allowed, &pc, deadline, progress);
            let value = |set: &[u32]| {
                let mut open = vec![false; model.n_candidates];
                set.iter().for_each(|&j| open[j as usize] = true);
                model.fixed_weight + model.covered_by(&open)
            };
            let mut set = chosen.set;
            let mut covered = value(&set);
            let mut method = SweepMethod::Solved;
            if let Some((pset, pval)) = &prev
                && covered < *pval
            {
                // Extend the previous answer by its best extra site, then polish.
                let (ext, _) = local_search(&model, &limits, &allowed, pset, deadline);
                let ext_val = value(&ext);
                if ext_val >= *pval {
                    set = ext;
                    covered = ext_val;
                    method = SweepMethod::Extended;
                } else {
                    set = pset.clone();
                    covered = *pval;
                    method = SweepMethod::Extended;
                }
            }
            let ranked = crate::solve::rank_by_marginal(&model, &set);
            let marginal = covered - prev.as_ref().map_or(model.fixed_weight, |p| p.1);
            curve.push(SweepPoint {
                radius_km: radius.km,
                radius_label: radius.to_string(),
                sites: ranked.chosen.len(),
                covered_weight: covered,
                covered_fraction: frac(covered),
                marginal_weight: marginal,
                bound: chosen.bound.map(|b| b.value.max(covered)),
                gap: None,
                method,
                site_ids: ranked
                    .chosen
                    .iter()
                    .map(|&j| cands.place(j as usize).id.clone())
                    .collect(),
            });
            prev = Some((set, covered));
        }
        // A bound at a larger N is a bound here too: keep the smallest from the right.
        let mut best: Option<f64> = None;
        for p in curve.iter_mut().rev() {
            if let Some(b) = p.bound {
                best = Some(best.map_or(b, |x: f64| x.min(b)));
            }
            if let Some(b) = best {
                let b = b.max(p.covered_weight);
                p.bound = Some(b);
                p.gap = Some(if b > 0.0 {
                    (b - p.covered_weight) / b
                } else {
                    0.0
                });
            }
        }
        points.extend(curve);
    }
    let report = SweepReport {
        command: crate::report::CommandName::Sweep,
        demand_points: loaded.weights().len() as u64,
        total_weight: total,
        candidates: cands.len() as u64,
        existing: loaded.existing.len() as u64,
        baseline,
        radius_labels: cfg.radii.iter().map(ToString::to_string).collect(),
        points,
        method: "independent solve per point (greedy, swap local search, Lagrangian starts), as plan --add N; \
                 'extended' where the previous point plus one site was better; bound band = smallest bound at any N' >= N"
            .to_string(),
        elapsed_ms: start.elapsed().as_millis() as u64,
    };
    if let Some(path) = &sc.chart {
        progress.stage("drawing the chart");
        let size = cfg
            .output
            .map_view
            .size
            .map_or(crate::render::chart::CHART_SIZE, |s| (s.width, s.height));
        let svg = crate::render::chart::render_sweep_sized(
            &report,
            cfg.output.map_title.as_deref(),
            size,
        )?;
        crate::render::write_image(path, &svg)?;
    }
    progress.done();
    crate::output::emit(cfg.output.output.as_deref(), cfg.output.format, |f, w| {
        write_sweep(&report, f, w)
    })?;
    Ok(Outcome::Success)
}
