//! Running a command: load the inputs once, compute, build the report, write
//! every output atomically, and say which exit code the run earned.

use crate::evaluate::{DemandView, Evaluation, NO_SITE, evaluate};
use crate::input::{self, LoadOptions, Place, PlaceSet, Role};
use crate::output::{check_outputs, write_atomic};
use crate::report::{
    self, CoverageSummary, DemandSummary, GateReport, GroupReport, Report, ReportFormat,
    SiteReport, TierReport, UncoveredPlace,
};
use crate::sphere::{Radius, UnitVector, to_unit, trim_float};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// How a run ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked and every gate passed: exit 0.
    Success,
    /// The run worked but a gate failed (coverage below the minimum, target unreachable): exit 1.
    GateFailed,
}

impl Outcome {
    /// The process exit code: 0 for success, 1 for a failed gate (errors are 2).
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(self.code())
    }

    /// The exit code as a number.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::GateFailed => 1,
        }
    }
}

/// Where results go.
#[derive(Debug, Clone, Default)]
pub struct OutputConfig {
    /// Report format; default from `--output`'s extension, else table.
    pub format: Option<ReportFormat>,
    /// Report file instead of stdout.
    pub output: Option<PathBuf>,
    /// Open sites as CSV or GeoJSON.
    pub sites_out: Option<PathBuf>,
    /// Each demand point with its nearest site.
    pub assignments_out: Option<PathBuf>,
    /// How many uncovered places to list.
    pub top: usize,
    /// Coverage map (.svg or .png).
    pub map: Option<PathBuf>,
    /// Base map for `map`.
    pub basemap: crate::render::basemap::BaseMap,
    /// Map title (default: from the command).
    pub map_title: Option<String>,
    /// Attribution line for the data on maps.
    pub credit: Option<String>,
    /// Extent and size of `map`.
    pub map_view: crate::render::map::MapOptions,
    /// Service areas per open site and tier (.geojson).
    pub areas_out: Option<PathBuf>,
    /// No progress messages.
    pub quiet: bool,
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The command.
    pub command: Command,
    /// Demand files.
    pub demand: Vec<PathBuf>,
    /// Open outlets (`--sites`/`--existing`).
    pub sites: Option<PathBuf>,
    /// Candidate sites (plan); default the demand locations.
    pub candidates: Option<PathBuf>,
    /// Column overrides and policy.
    pub load: LoadOptions,
    /// Service radii; the first is the main one.
    pub radii: Vec<Radius>,
    /// Coverage gate on the first radius.
    pub min_coverage: Option<f64>,
    /// Outputs.
    pub output: OutputConfig,
}

impl Config {
    /// Every input a run reads: the demand files given, the sites and the candidates.
    pub fn input_paths<'a>(&'a self, demand: &'a [PathBuf]) -> Vec<&'a Path> {
        demand
            .iter()
            .map(PathBuf::as_path)
            .chain(self.sites.as_deref())
            .chain(self.candidates.as_deref())
            .collect()
    }
}

/// The subcommand.
#[derive(Debug, Clone)]
pub enum Command {
    /// Coverage of the open sites.
    Evaluate,
    /// Propose sites.
    Plan(crate::plan::PlanConfig),
    /// Coverage curve over numbers of sites and radii.
    Sweep(crate::sweep::SweepConfig),
    /// What-if scenarios from a file.
    Scenarios(crate::scenarios::ScenariosConfig),
}

/// Inputs loaded and converted once.
pub struct Loaded {
    /// Demand places.
    pub demand: PlaceSet,
    /// Unit vectors of demand.
    pub units: Vec<UnitVector>,
    /// Demand weights.
    pub weights: Vec<f64>,
    /// Demand groups (`u32::MAX` for none).
    pub groups: Vec<u32>,
    /// Open outlets (may be empty).
    pub existing: PlaceSet,
}

impl Loaded {
    /// The demand as the evaluator sees it.
    pub fn view(&self) -> DemandView<'_> {
        DemandView {
            units: &self.units,
            weights: &self.weights,
            groups: &self.groups,
            n_groups: self.demand.groups.len(),
        }
    }
}

fn load_set(path: &Path, role: Role, opts: &LoadOptions) -> Result<PlaceSet> {
    input::load(path, role, opts).with_context(|| format!("loading {role} places"))
}

/// Loads demand (all files) and the open sites.
///
/// # Errors
/// Input errors with the file, line and value.
pub fn load_inputs(cfg: &Config) -> Result<Loaded> {
    let mut demand = PlaceSet::default();
    for (i, path) in cfg.demand.iter().enumerate() {
        let set = load_set(path, Role::Demand, &cfg.load)?;
        if i == 0 {
            demand = set;
        } else {
            demand.extend(set);
        }
    }
    Ok(Loaded::new(demand, load_existing(cfg)?))
}

/// Loads the open sites (`--sites`/`--existing`), or none.
///
/// # Errors
/// Input errors with the file, line and value.
pub fn load_existing(cfg: &Config) -> Result<PlaceSet> {
    Ok(match &cfg.sites {
        Some(p) => load_set(p, Role::Sites, &cfg.load.for_sites())?,
        None => PlaceSet::default(),
    })
}

/// Loads one demand file.
///
/// # Errors
/// Input errors with the file, line and value.
pub fn load_demand(path: &Path, opts: &LoadOptions) -> Result<PlaceSet> {
    load_set(path, Role::Demand, opts)
}

impl Loaded {
    /// Converts demand once for every later use.
    pub fn new(demand: PlaceSet, existing: PlaceSet) -> Self {
        let units = demand.units();
        let weights = demand.places.iter().map(|p| p.weight).collect();
        let groups = demand
            .places
            .iter()
            .map(|p| p.group.unwrap_or(u32::MAX))
            .collect();
        Loaded {
            demand,
            units,
            weights,
            groups,
            existing,
        }
    }
}

/// One open site as the report shows it.
#[derive(Debug, Clone)]
pub struct OpenSite {
    /// The place.
    pub place: Place,
    /// `existing` or `new`.
    pub status: &'static str,
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
            status: "existing",
            rank: None,
            marginal: None,
        }
    }
}

/// Builds the report from an evaluation of `open` sites.
pub fn build_report(
    command: &str,
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
            covered_weight: t.covered_weight,
            covered_fraction: frac(t.covered_weight),
            covered_points: t.covered_points,
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
    let mut uncovered: Vec<u32> = (0..loaded.units.len() as u32)
        .filter(|&i| !eval.covered(i as usize, &first.radius))
        .collect();
    uncovered.sort_by(|&a, &b| {
        loaded.weights[b as usize]
            .total_cmp(&loaded.weights[a as usize])
            .then(a.cmp(&b))
    });
    uncovered.truncate(top);
    let uncovered = uncovered
        .into_iter()
        .map(|i| {
            let p = &loaded.demand.places[i as usize];
            let (s, d) = eval.nearest[i as usize];
            UncoveredPlace {
                id: p.id.clone(),
                name: p.name.clone(),
                lon: p.lon,
                lat: p.lat,
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
            status: s.status,
            rank: s.rank,
            marginal_weight: s.marginal,
            covered_weight: eval.site_covered[j],
            assigned_weight: eval.site_assigned[j],
            cost: s.place.cost,
            capacity: None,
            utilisation: None,
            engineers: None,
        })
        .collect();
    Report {
        command: command.to_string(),
        objective: objective.map(str::to_string),
        radius_km: first.radius.km,
        demand: DemandSummary {
            points: loaded.units.len() as u64,
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
        notes: skipped_notes(loaded),
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

/// Expands glob patterns among the demand paths (for shells that do not), in sorted order.
///
/// # Errors
/// A pattern that is malformed or matches nothing.
pub fn expand_globs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let text = p.to_string_lossy();
        if p.exists() || text == "-" || !text.contains(['*', '?', '[']) {
            out.push(p.clone());
            continue;
        }
        let mut matched: Vec<PathBuf> = glob::glob(&text)
            .map_err(|e| anyhow::anyhow!("--demand {text:?}: not a valid pattern: {e}"))?
            .filter_map(|r| r.ok())
            .collect();
        matched.sort();
        if matched.is_empty() {
            anyhow::bail!("--demand {text:?}: no file matches the pattern");
        }
        out.extend(matched);
    }
    Ok(out)
}

/// Runs evaluate or plan on inputs already loaded.
///
/// # Errors
/// As [`crate::plan::plan_with`].
pub fn run_one(
    cfg: &Config,
    loaded: &Loaded,
    candidates: Option<&PlaceSet>,
    progress: &crate::progress::Progress,
) -> Result<(Report, Vec<OpenSite>, Evaluation, bool)> {
    match &cfg.command {
        Command::Plan(pc) => {
            let cands = candidates.expect("plans load their candidates");
            let out =
                crate::plan::plan_with(&cfg.radii, cfg.output.top, pc, loaded, cands, progress)?;
            Ok((out.report, out.open, out.eval, out.passed))
        }
        _ => {
            progress.stage("evaluating coverage");
            let (report, open, eval) = evaluate_network(loaded, &cfg.radii, cfg.output.top);
            Ok((report, open, eval, true))
        }
    }
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
        write_atomic(path, |w| write_sites(path, report, w))?;
    }
    if let Some(path) = &out.assignments_out {
        write_atomic(path, |w| {
            write_assignments(loaded, open, eval, &cfg.radii, w)
        })?;
    }
    if let Some(path) = &out.map {
        progress.stage("drawing the map");
        write_map(path, cfg, report, loaded, eval)?;
    }
    if let Some(path) = &out.areas_out {
        crate::render::areas::check_path(path)?;
        write_atomic(path, |w| {
            crate::render::areas::write_areas_geojson(report, w)
        })?;
    }
    Ok(())
}

/// Evaluates the open sites of `loaded` (its `existing` set): the core of `evaluate`.
pub fn evaluate_network(
    loaded: &Loaded,
    radii: &[Radius],
    top: usize,
) -> (Report, Vec<OpenSite>, Evaluation) {
    let open: Vec<OpenSite> = loaded
        .existing
        .places
        .iter()
        .map(OpenSite::existing)
        .collect();
    let units: Vec<UnitVector> = open
        .iter()
        .map(|s| to_unit(s.place.lon, s.place.lat))
        .collect();
    let eval = evaluate(loaded.view(), &units, radii);
    let report = build_report("evaluate", None, loaded, &open, &eval, 0, top);
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

/// Runs a command.
///
/// # Errors
/// Bad input, bad usage or I/O errors (exit code 2).
pub fn run(cfg: &Config) -> Result<Outcome> {
    let start = Instant::now();
    if let Command::Scenarios(sc) = &cfg.command {
        if let Some(out) = &sc.output
            && sc.file.canonicalize().ok() == out.canonicalize().ok()
        {
            anyhow::bail!(
                "--output {} is the scenario file; outpost never overwrites an input",
                out.display()
            );
        }
        return crate::scenarios::run_scenarios(sc);
    }
    if let Command::Sweep(sc) = &cfg.command {
        let inputs = cfg.input_paths(&cfg.demand);
        let outputs: Vec<(&str, &Path)> = [
            ("--output", cfg.output.output.as_deref()),
            ("--chart", sc.chart.as_deref()),
        ]
        .into_iter()
        .filter_map(|(f, p)| p.map(|p| (f, p)))
        .collect();
        check_outputs(&inputs, &outputs)?;
        return crate::sweep::run_sweep(cfg, sc);
    }
    let files = expand_globs(&cfg.demand)?;
    if files.len() > 1 {
        return crate::batch::run_batch(cfg, &files);
    }
    let inputs = cfg.input_paths(&cfg.demand);
    let mut outputs: Vec<(&str, &Path)> = Vec::new();
    if let Some(p) = &cfg.output.output {
        outputs.push(("--output", p));
    }
    if let Some(p) = &cfg.output.sites_out {
        outputs.push(("--sites-out", p));
    }
    if let Some(p) = &cfg.output.assignments_out {
        outputs.push(("--assignments-out", p));
    }
    if let Some(p) = &cfg.output.map {
        outputs.push(("--map", p));
    }
    if let Some(p) = &cfg.output.areas_out {
        crate::render::areas::check_path(p)?;
        outputs.push(("--areas-out", p));
    }
    check_outputs(&inputs, &outputs)?;

    let progress = crate::progress::Progress::new(cfg.output.quiet);
    progress.stage("loading inputs");
    let loaded = load_inputs(cfg)?;
    let candidates = match &cfg.command {
        Command::Plan(_) => Some(crate::plan::load_candidates(cfg, &loaded)?),
        _ => None,
    };
    let (mut report, open, eval, mut passed) =
        run_one(cfg, &loaded, candidates.as_ref(), &progress)?;
    passed &= apply_gate(&mut report, cfg.min_coverage);
    report.elapsed_ms = start.elapsed().as_millis() as u64;
    progress.stage("writing outputs");
    write_extras(cfg, &cfg.output, &report, &loaded, &open, &eval, &progress)?;
    crate::output::emit(cfg.output.output.as_deref(), cfg.output.format, |f, w| {
        report::write(&report, f, w)
    })?;
    progress.done();
    if let Some(g) = &report.gate
        && !g.passed
    {
        eprintln!(
            "outpost: coverage {} within {} km is below --min-coverage {} (short by {:.2} points)",
            report::fmt_pct(g.reached),
            trim_float(report.radius_km),
            report::fmt_pct(g.min_coverage),
            100.0 * (g.min_coverage - g.reached),
        );
    }
    Ok(if passed {
        Outcome::Success
    } else {
        Outcome::GateFailed
    })
}

fn write_map(
    path: &Path,
    cfg: &Config,
    report: &Report,
    loaded: &Loaded,
    eval: &Evaluation,
) -> Result<()> {
    use crate::render::map::{DemandDot, MapSpec, render_map_with};
    let first = &cfg.radii[0];
    let demand: Vec<DemandDot> = loaded
        .demand
        .places
        .iter()
        .enumerate()
        .map(|(i, p)| DemandDot {
            lon: p.lon,
            lat: p.lat,
            weight: p.weight,
            covered: eval.covered(i, first),
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
    };
    let svg = render_map_with(report, &spec, &cfg.output.map_view)?;
    crate::render::write_image(path, &svg)
}

fn write_sites(path: &Path, report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
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
        crate::report::csv::write_sites_csv(&report.sites, w)
    }
}

fn write_assignments(
    loaded: &Loaded,
    open: &[OpenSite],
    eval: &Evaluation,
    radii: &[Radius],
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let mut out = ::csv::Writer::from_writer(w);
    let mut header: Vec<String> = [
        "id",
        "lon",
        "lat",
        "weight",
        "group",
        "site_id",
        "distance_km",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(
        radii
            .iter()
            .map(|r| format!("covered_{}km", trim_float(r.km))),
    );
    out.write_record(&header)?;
    for (i, p) in loaded.demand.places.iter().enumerate() {
        let (s, d) = eval.nearest[i];
        let mut rec = vec![
            p.id.clone(),
            p.lon.to_string(),
            p.lat.to_string(),
            p.weight.to_string(),
            loaded.demand.group_name(p).unwrap_or("").to_string(),
        ];
        if s == NO_SITE {
            rec.extend([String::new(), String::new()]);
        } else {
            rec.push(open[s as usize].place.id.clone());
            rec.push(format!("{d:.6}"));
        }
        for r in radii {
            rec.push(if eval.covered(i, r) {
                "1".into()
            } else {
                "0".into()
            });
        }
        out.write_record(&rec)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Outcome::Success.code(), 0);
        assert_eq!(Outcome::GateFailed.code(), 1);
    }
}
