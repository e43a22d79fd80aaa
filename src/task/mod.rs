//! One task of a run (evaluate or plan on loaded inputs) and its artifacts:
//! the output plan of every path a run writes, and the sites, assignments and
//! map files, written safely. Every command goes through here.

use crate::assemble::{OpenSite, evaluate_network};
use crate::config::{Command, Config, OutputConfig, fill_name};
use crate::evaluate::{Evaluation, NO_SITE};
use crate::input::PlaceSet;
use crate::metric::Metric;
use crate::output::{OutputKind, OutputPlan, write_atomic};
use crate::report::Report;
use crate::sphere::{Radius, trim_float};
use crate::workspace::Loaded;
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs evaluate or plan on inputs already loaded; the last value says why
/// the plan fails its own gate (an unreachable target), if it does.
///
/// # Errors
/// As [`crate::planner::plan_with`].
pub fn run_one(
    cfg: &Config,
    loaded: &Loaded,
    candidates: Option<&PlaceSet>,
    progress: &crate::progress::Progress,
) -> Result<(Report, Vec<OpenSite>, Evaluation, Option<String>)> {
    let notes = crate::workspace::matrix_notes(
        &loaded.model,
        &cfg.output,
        &loaded.demand,
        &loaded.existing,
        candidates,
    )?;
    let (mut report, open, eval, failure) = crate::with_metric!(&loaded.model, m => run_one_with(m, cfg, loaded, candidates, progress))?;
    report.notes.extend(notes);
    if let Some(note) = unreached_note(&loaded.model, &eval, loaded.weights()) {
        report.notes.push(note);
    }
    if let Some(by) = cfg.output.sites_by {
        order_sites(&mut report, by);
    }
    Ok((report, open, eval, failure))
}

/// Orders the report's open sites least valuable first (`--sites-by`), ties
/// in the usual order; closed sites stay last. Only the report's list moves
/// (the evaluation keeps indexing the open sites as planned), so the tables,
/// JSON, `--sites-out` and map all follow it.
fn order_sites(report: &mut Report, by: crate::config::SitesBy) {
    use crate::config::SitesBy;
    let key = |s: &crate::report::SiteReport| match by {
        SitesBy::Unique => s.unique_weight,
        SitesBy::Covered => s.covered_weight,
        SitesBy::Assigned => s.assigned_weight,
    };
    let n = report.open_sites().count();
    let mut open: Vec<_> = report.sites.drain(..n).collect();
    open.sort_by(|a, b| key(a).total_cmp(&key(b)));
    report.sites.splice(..0, open);
}

/// With a sparse cost matrix, demand no open site reaches: how much, and
/// that the distance statistics leave it out.
pub fn unreached_note(
    model: &crate::metric::Model,
    eval: &Evaluation,
    weights: &[f64],
) -> Option<String> {
    if !matches!(model, crate::metric::Model::CostMatrix(_)) {
        return None;
    }
    let (n, w) = eval
        .nearest
        .iter()
        .zip(weights)
        .filter(|(n, _)| n.0 == NO_SITE)
        .fold((0u64, 0.0), |(n, s), (_, w)| (n + 1, s + w));
    (n > 0 && (n as usize) < eval.nearest.len()).then(|| {
        format!(
            "{n} demand point(s) (weight {}) reach no open site in the cost matrix: they count as uncovered, the distance statistics leave them out, and the distance objective charges each the matrix's largest cost",
            crate::report::fmt_weight(crate::report::round_sig(w))
        )
    })
}

/// [`run_one`] for one distance model.
fn run_one_with<M: Metric>(
    metric: &M,
    cfg: &Config,
    loaded: &Loaded,
    candidates: Option<&PlaceSet>,
    progress: &crate::progress::Progress,
) -> Result<(Report, Vec<OpenSite>, Evaluation, Option<String>)> {
    let demand = metric.points(&loaded.demand);
    match &cfg.command {
        Command::Plan(pc) => {
            let cands = candidates.expect("plans load their candidates");
            if let Some(agg) = &loaded.aggregated {
                return plan_aggregated(metric, cfg, pc, loaded, agg, &demand, cands, progress);
            }
            let out = crate::planner::plan_with(
                metric,
                &demand,
                &cfg.radii,
                cfg.output.top,
                pc,
                loaded,
                cands,
                progress,
            )?;
            Ok((out.report, out.open, out.eval, out.failure))
        }
        _ => {
            progress.stage("evaluating coverage");
            let bar = progress.count(demand.len() as u64, "evaluating (demand points)");
            let (report, open, eval) =
                evaluate_network(metric, &demand, loaded, &cfg.radii, cfg.output.top, &bar);
            drop(bar);
            Ok((report, open, eval, None))
        }
    }
}

/// `plan --aggregate`: plans on the cells, then measures the plan on every
/// demand point. The bound and gap stay those of the cell instance (the
/// report's `aggregation.planned` is the objective they refer to); coverage,
/// distances, loads and the gate are the points'.
///
/// # Errors
/// As [`crate::planner::plan_with`]; capacities and relocation, which this
/// does not carry over to the points yet.
#[allow(clippy::too_many_arguments)]
fn plan_aggregated<M: Metric>(
    metric: &M,
    cfg: &Config,
    pc: &crate::config::PlanConfig,
    loaded: &Loaded,
    agg: &crate::workspace::Aggregated,
    demand: &[M::Point],
    cands: &PlaceSet,
    progress: &crate::progress::Progress,
) -> Result<(Report, Vec<OpenSite>, Evaluation, Option<String>)> {
    let capacitated = pc.capacity.is_some()
        || pc.per_engineer.is_some()
        || cands.has_capacity()
        || loaded.existing.has_capacity();
    if capacitated {
        anyhow::bail!(
            "--aggregate {}: capacities and --per-engineer assign demand point by point, which a plan on cells cannot do yet: drop --aggregate, or plan on cells without capacities",
            agg.summary.cell
        );
    }
    progress.stage(&format!(
        "planning on {} cells ({})",
        agg.summary.cells, agg.summary.cell
    ));
    let cells = metric.points(&agg.loaded.demand);
    let out = crate::planner::plan_with(
        metric,
        &cells,
        &cfg.radii,
        cfg.output.top,
        pc,
        &agg.loaded,
        cands,
        progress,
    )?;
    progress.stage("measuring the plan on every demand point");
    let open_units: Vec<M::Point> = out.open.iter().map(|s| metric.point(&s.place)).collect();
    let bar = progress.count(demand.len() as u64, "evaluating (demand points)");
    let eval =
        crate::evaluate::evaluate(metric, loaded.view(demand), &open_units, &cfg.radii, &bar);
    drop(bar);
    let new_sites = out.open.iter().filter(|s| s.rank.is_some()).count();
    let mut report = crate::assemble::build_report(
        metric,
        crate::report::CommandName::Plan,
        Some(pc.objective.name()),
        loaded,
        &out.open,
        &eval,
        cands.len() as u64,
        cfg.output.top,
    );
    let (value, measure) =
        crate::planner::measured(metric, demand, loaded, pc, &eval, &open_units, new_sites);
    let planned = out.report.objective_value.as_ref().map(|v| v.value);
    report.objective_value = Some(crate::report::ObjectiveValue { measure, value });
    report.bound = out.report.bound.map(|mut b| {
        b.method = format!("{}, on the {} cells", b.method, agg.summary.cells);
        b
    });
    report.budget = out.report.budget;
    let mut summary = agg.summary.clone();
    summary.planned = planned;
    report
        .notes
        .push(aggregation_note(&summary, report.unit, planned, value));
    if let Some(warning) = coarse_cells_warning(&summary, &cfg.radii) {
        // A warning, not progress: --quiet does not hide it.
        eprintln!("outpost: warning: {warning}");
        report.notes.push(format!("warning: {warning}"));
    }
    // The cells' plan repeats the input notes the points' report already has:
    // any note already there is dropped.
    for note in out.report.notes {
        if !report.notes.contains(&note) {
            report.notes.push(note);
        }
    }
    report.aggregation = Some(summary);
    // A target is judged on the points: the cells may reach it where the points do not.
    let failure = out.failure.or_else(|| {
        let target = pc.target?;
        let got = report.coverage.covered_fraction;
        (got + 1e-12 < target).then(|| {
            format!(
                "--target {:.2}%: the plan reaches it on the cells but covers {:.2}% of the demand points' weight; try a finer --aggregate",
                target * 100.0,
                got * 100.0
            )
        })
    });
    Ok((report, out.open, eval, failure))
}

/// What aggregation means for the figures of the report.
fn aggregation_note(
    s: &crate::report::AggregationReport,
    unit: &str,
    planned: Option<f64>,
    measured: f64,
) -> String {
    let planned = planned.map_or(String::new(), |p| {
        format!(
            "; the objective was {} on the cells and is {} on the points (the bound and gap refer to the cells)",
            crate::report::fmt_weight(crate::report::round_sig(p)),
            crate::report::fmt_weight(crate::report::round_sig(measured))
        )
    });
    let error = error_distance(s.max_error_km);
    format!(
        "aggregated {} demand points into {} cells ({}) before planning; every figure is measured on the points. A point lies at most {error} from its cell's centre, so a point whose cell is within the radius r of a site is within r + {error}{}{}",
        s.points,
        s.cells,
        s.cell,
        if unit == "km" { "" } else { " (straight line)" },
        planned
    )
}

/// An aggregation error for a sentence: metres below 1 km (H3 resolution 15
/// cells are a few metres), km with three decimals above.
fn error_distance(km: f64) -> String {
    if km < 1.0 {
        format!("{} m", trim_float((km * 10_000.0).round() / 10.0))
    } else {
        format!("{} km", trim_float((km * 1000.0).round() / 1000.0))
    }
}

/// A warning when cells are coarse against the smallest radius: a point can
/// then lie more than half a radius from the centre the plan measured, and
/// the cells' coverage and gap say little about the points'.
fn coarse_cells_warning(
    s: &crate::report::AggregationReport,
    radii: &[crate::sphere::Radius],
) -> Option<String> {
    let smallest = radii.iter().map(|r| r.km).fold(f64::INFINITY, f64::min);
    (smallest.is_finite() && s.max_error_km > 0.5 * smallest).then(|| {
        format!(
            "--aggregate with {} cells: a point lies up to {} from its cell's centre, more than half the {} km radius, so the plan on the cells may be far from the best plan for the points: give a finer cell (at most a tenth of the radius is a safe start)",
            s.cell,
            error_distance(s.max_error_km),
            trim_float(smallest)
        )
    })
}

/// Writes `--sites-out`, `--assignments-out`, `--map` and `--areas-out` as `out` names them.
///
/// # Errors
/// I/O errors.
pub fn write_extras(
    cfg: &Config,
    out: &OutputConfig,
    report: &Report,
    loaded: &Loaded,
    open: &[OpenSite],
    eval: &Evaluation,
    progress: &crate::progress::Progress,
) -> Result<()> {
    if let Some(path) = &out.sites_out {
        let tidy = report.tidied();
        write_atomic(path, |w| write_sites(path, &tidy, w))?;
    }
    if let Some(path) = &out.assignments_out {
        write_atomic(path, |w| {
            if is_gpkg(path) {
                let mut csv = Vec::new();
                write_assignments(loaded, open, eval, &cfg.radii, &mut csv)?;
                crate::output_gpkg::write_csv_as_points("assignments", &csv, w)
            } else {
                write_assignments(loaded, open, eval, &cfg.radii, w)
            }
        })?;
    }
    if let Some(path) = &out.map {
        progress.stage("drawing the map");
        write_map(path, cfg, report, loaded, eval)?;
    }
    if let Some(path) = &out.areas_out {
        let crs = &cfg.load.crs;
        let unproject = |x: f64, y: f64| crs.to_lon_lat(x, y);
        let unproject: Option<&crate::render::clip::Unproject<'_>> =
            crs.has_lon_lat().then_some(&unproject);
        write_atomic(path, |w| {
            if is_gpkg(path) {
                let mut json = Vec::new();
                crate::render::areas::write_areas_geojson_with(report, unproject, &mut json)?;
                crate::output_gpkg::write_geojson_as_layer("areas", &json, w)
            } else {
                crate::render::areas::write_areas_geojson_with(report, unproject, w)
            }
        })?;
    }
    Ok(())
}

/// The one output plan of an evaluate, plan, sweep or batch run over the
/// demand `files`: every input and every output path, `{name}` filled in per
/// file, checked together before any work.
pub fn output_plan(cfg: &Config, files: &[PathBuf]) -> OutputPlan {
    let mut plan = OutputPlan::new();
    for f in files {
        plan.input("--demand", f);
    }
    let sites_flag = match cfg.command {
        Command::Evaluate => "--sites",
        _ => "--existing",
    };
    if let Some(p) = &cfg.sites {
        plan.input(sites_flag, p);
    }
    if let Some(p) = &cfg.candidates {
        plan.input("--candidates", p);
    }
    if let Some(c) = &cfg.distance.costs {
        plan.input("--costs", &c.path);
    }
    if let crate::render::basemap::BaseMap::File(p) = &cfg.output.basemap {
        plan.input("--basemap", p);
    }
    let out = &cfg.output;
    let single = files.len() == 1;
    if let Some(p) = &out.output {
        let p = match files.first() {
            Some(f) if single => fill_name(p, f),
            _ => p.clone(),
        };
        plan.output(
            "--output",
            &p,
            OutputKind::Report {
                format_given: out.format.is_some(),
            },
        );
    }
    for f in files {
        let per = out.for_file(f);
        if let Some(p) = &per.sites_out {
            plan.output("--sites-out", p, OutputKind::Sites);
        }
        if let Some(p) = &per.assignments_out {
            plan.output("--assignments-out", p, OutputKind::Assignments);
        }
        if let Some(p) = &per.map {
            plan.output("--map", p, OutputKind::Image);
        }
        if let Some(p) = &per.areas_out {
            plan.output("--areas-out", p, OutputKind::Areas);
        }
    }
    if let Command::Sweep(sc) = &cfg.command
        && let Some(p) = &sc.chart
    {
        plan.output("--chart", p, OutputKind::Image);
    }
    plan
}

fn write_map(
    path: &Path,
    cfg: &Config,
    report: &Report,
    loaded: &Loaded,
    eval: &Evaluation,
) -> Result<()> {
    use crate::render::map::{DemandDot, MapSpec, render_map_with};
    let unproject = |x: f64, y: f64| cfg.load.crs.to_lon_lat(x, y);
    let demand: Vec<DemandDot> = loaded
        .demand
        .lons_lats_weights()
        .enumerate()
        .map(|(i, (lon, lat, weight))| DemandDot {
            lon,
            lat,
            weight,
            covered: eval.covered(i, 0),
        })
        .collect();
    let title = cfg
        .output
        .map_title
        .clone()
        .unwrap_or_else(|| crate::render::map::default_title(report));
    let spec = MapSpec {
        title,
        demand: &demand,
        basemap: &cfg.output.basemap,
        data_credit: cfg.output.credit.clone().unwrap_or_default(),
        unproject: (!cfg.load.crs.is_wgs84()).then_some(&unproject),
    };
    let svg = render_map_with(report, &spec, &cfg.output.map_view)?;
    crate::render::write_image(path, &svg)
}

/// Whether an output is a GeoPackage (`.gpkg`), written by [`crate::output_gpkg`].
fn is_gpkg(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
}

fn write_sites(path: &Path, report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    if is_gpkg(path) {
        let mut csv = Vec::new();
        write_sites_csv(&report.sites, &mut csv)?;
        return crate::output_gpkg::write_csv_as_points("sites", &csv, w);
    }
    let geojson = matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("geojson" | "json")
    );
    if geojson {
        crate::report::geojson::write_sites_geojson(&report.sites, w)
    } else {
        write_sites_csv(&report.sites, w)
    }
}

/// The open sites as CSV ([`crate::report::csv::write_sites_csv`]); with
/// projected coordinates (`--crs` other than EPSG:4326) two more columns, `x`
/// and `y` in metres, follow `lat`, and `lon`/`lat` are empty with `--crs planar`.
///
/// # Errors
/// Write errors.
pub fn write_sites_csv(
    sites: &[crate::report::SiteReport],
    w: &mut dyn Write,
) -> std::io::Result<()> {
    if sites.iter().all(|s| s.x.is_none()) {
        return crate::report::csv::write_sites_csv(sites, w);
    }
    let mut plain = Vec::new();
    crate::report::csv::write_sites_csv(sites, &mut plain)?;
    let mut rows = ::csv::Reader::from_reader(plain.as_slice());
    let header = rows.headers().map_err(std::io::Error::other)?.clone();
    let at = header
        .iter()
        .position(|h| h == "lat")
        .expect("the sites CSV has a lat column")
        + 1;
    let widen = |r: &::csv::StringRecord, x: String, y: String| -> Vec<String> {
        let mut v: Vec<String> = r
            .iter()
            .map(|f| if f == "NaN" { String::new() } else { f.into() })
            .collect();
        v.splice(at..at, [x, y]);
        v
    };
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record(widen(&header, "x".into(), "y".into()))?;
    for (r, s) in rows.records().zip(sites) {
        let r = r.map_err(std::io::Error::other)?;
        let num = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        out.write_record(widen(&r, num(s.x), num(s.y)))?;
    }
    out.flush()
}

fn write_assignments(
    loaded: &Loaded,
    open: &[OpenSite],
    eval: &Evaluation,
    radii: &[Radius],
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let mut out = ::csv::Writer::from_writer(w);
    // Projected coordinates add `x` and `y` (metres) after `lat`.
    let xy = loaded.demand.has_xy();
    let mut header: Vec<String> = ["id", "lon", "lat"].map(String::from).to_vec();
    if xy {
        header.extend(["x", "y"].map(String::from));
    }
    header.extend(["weight", "group", "site_id"].map(String::from));
    if eval.allocation.is_some() {
        header.extend(["assigned_weight", "share", "status"].map(String::from));
    }
    // A cost matrix's distances are costs in its unit: the columns say so.
    let matrix = matches!(loaded.model, crate::metric::Model::CostMatrix(_));
    if matrix {
        header.push("distance".into());
        header.extend(
            radii
                .iter()
                .map(|r| format!("covered_{}", r.to_string().replace(' ', ""))),
        );
    } else {
        header.push("distance_km".into());
        header.extend(
            radii
                .iter()
                .map(|r| format!("covered_{}km", trim_float(r.km))),
        );
    }
    let coord = |v: f64| {
        if v.is_nan() {
            String::new()
        } else {
            v.to_string()
        }
    };
    out.write_record(&header)?;
    // With capacities a point may be served by a site other than its nearest:
    // the distance to each serving site, by the run's distance model.
    let distance = |i: usize, k: usize| -> f64 {
        crate::with_metric!(&loaded.model, m => m.distance_between(
            &m.point(&loaded.demand.place(i)),
            &m.point(&open[k].place),
        ))
    };
    for (i, p) in loaded.demand.iter().enumerate() {
        let mut base = vec![p.id.clone(), coord(p.lon), coord(p.lat)];
        if xy {
            let [x, y] = p.xy.unwrap_or([f64::NAN; 2]);
            base.extend([x.to_string(), y.to_string()]);
        }
        base.extend([
            p.weight.to_string(),
            loaded.demand.group_name(&p).unwrap_or("").to_string(),
        ]);
        let covered: Vec<String> = (0..radii.len())
            .map(|t| if eval.covered(i, t) { "1" } else { "0" }.to_string())
            .collect();
        let Some(alloc) = &eval.allocation else {
            let (s, d) = eval.nearest[i];
            let mut rec = base.to_vec();
            if s == NO_SITE {
                rec.extend([String::new(), String::new()]);
            } else {
                rec.push(open[s as usize].place.id.clone());
                rec.push(format!("{d:.6}"));
            }
            rec.extend(covered);
            out.write_record(&rec)?;
            continue;
        };
        // One row per site serving part of the point, then the unserved rest.
        let parts = alloc.parts(i, p.weight);
        let served: f64 = parts.iter().map(|x| x.1).sum();
        let share = |x: f64| {
            if p.weight > 0.0 {
                crate::report::round_sig(x / p.weight).to_string()
            } else {
                "0".into()
            }
        };
        for (k, part) in &parts {
            let d = distance(i, *k as usize);
            let mut rec = base.to_vec();
            rec.extend([
                open[*k as usize].place.id.clone(),
                crate::report::round_sig(*part).to_string(),
                share(*part),
                "served".into(),
                format!("{d:.6}"),
            ]);
            rec.extend(covered.iter().cloned());
            out.write_record(&rec)?;
        }
        let rest = p.weight - served;
        if parts.is_empty() || rest > 1e-9 * p.weight.abs().max(1.0) {
            let status = if alloc.demand_row[i] == u32::MAX {
                "out_of_reach"
            } else {
                "over_capacity"
            };
            let mut rec = base.to_vec();
            rec.extend([
                String::new(),
                crate::report::round_sig(rest.max(0.0)).to_string(),
                share(rest.max(0.0)),
                status.into(),
                String::new(),
            ]);
            rec.extend(covered.iter().cloned());
            out.write_record(&rec)?;
        }
    }
    out.flush()
}
