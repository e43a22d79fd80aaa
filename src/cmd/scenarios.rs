//! `outpost scenarios FILE.toml`: what-if scenarios over shared inputs, run
//! after loading the inputs once, compared side by side against a baseline.
//!
//! # File format
//! ```toml
//! [inputs]                       # shared by every scenario; paths relative to this file
//! demand = "data/china_cities.csv"
//! existing = "data/china_outlets.csv"
//! candidates = "..."             # default: the demand locations
//! radius = "150km"               # or ["150km", "300km"] (tiers)
//!
//! [baseline]                     # optional: default is the existing network, evaluated
//! name = "today"
//!
//! [[scenario]]
//! name = "add five outlets"
//! add = 5
//! ```
//! Scenario keys (each overrides the baseline's): `name`, `objective`
//! (`evaluate`, `coverage`, `min-sites`, `distance`, `max-distance`; default
//! `evaluate`, or `coverage`/`min-sites` when `add`/`budget`/`target` is
//! given), `radius`, `speed`, `add`, `target`, `budget`, `capacity`,
//! `per_engineer`, `weighted`, `close` (existing site ids), `open`
//! (candidate ids forced open), `exclude`/`keep` (candidate ids),
//! `exclude_groups`/`keep_groups` (candidate groups), `demand_groups` (only
//! demand in these groups), `min_coverage` (a gate).

use crate::assemble::{OpenSite, apply_gate, evaluate_network};
pub use crate::config::ScenariosConfig;
use crate::evaluate::Evaluation;
use crate::input::{self, LoadOptions, Place, PlaceSet, Role};
use crate::metric::Metric;
use crate::output::{OutputKind, OutputPlan, write_atomic};
use crate::planner::{Objective, PlanConfig, plan_with};
use crate::progress::Progress;
use crate::report::tabular::{self, Cell, Column, Table, Tabular};
use crate::report::{self, Report, ReportFormat, fmt_pct, fmt_weight};
use crate::sphere::{Radius, Speed, parse_radius, trim_float};
use crate::workspace::Loaded;
use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    inputs: Inputs,
    #[serde(default)]
    baseline: Option<Spec>,
    #[serde(default, rename = "scenario")]
    scenarios: Vec<Spec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inputs {
    demand: String,
    candidates: Option<String>,
    existing: Option<String>,
    radius: OneOrMany,
    speed: Option<String>,
    lon_col: Option<String>,
    lat_col: Option<String>,
    weight_col: Option<String>,
    id_col: Option<String>,
    group_col: Option<String>,
    layer: Option<String>,
    top: Option<usize>,
    time_limit: Option<f64>,
    seed: Option<u64>,
    circuity: Option<f64>,
    crs: Option<String>,
    costs: Option<String>,
    cost_unit: Option<String>,
    cost_from_col: Option<String>,
    cost_to_col: Option<String>,
    cost_col: Option<String>,
}

#[derive(Debug, Clone)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a radius such as \"50km\", \"30mi\", \"800m\", \"4h\" (with `speed`) or a number of km, or a list of them such as [\"100km\", \"200km\"]",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            // A bare number is km, as on the command line.
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    out.push(v);
                }
                Ok(OneOrMany::Many(out))
            }
        }
        d.deserialize_any(Visit)
    }
}

impl OneOrMany {
    fn items(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Fraction {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    name: Option<String>,
    objective: Option<String>,
    radius: Option<OneOrMany>,
    speed: Option<String>,
    add: Option<usize>,
    target: Option<Fraction>,
    budget: Option<f64>,
    capacity: Option<f64>,
    per_engineer: Option<f64>,
    weighted: Option<bool>,
    relocate: Option<usize>,
    backup_weight: Option<f64>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    close: Vec<String>,
    #[serde(default)]
    open: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    keep: Vec<String>,
    #[serde(default)]
    exclude_groups: Vec<String>,
    #[serde(default)]
    keep_groups: Vec<String>,
    #[serde(default)]
    demand_groups: Vec<String>,
    min_coverage: Option<Fraction>,
}

impl Spec {
    /// This spec's fields over `base`'s.
    fn over(&self, base: &Spec) -> Spec {
        fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
            a.clone().or_else(|| b.clone())
        }
        fn list(a: &[String], b: &[String]) -> Vec<String> {
            if a.is_empty() { b.to_vec() } else { a.to_vec() }
        }
        Spec {
            name: self.name.clone(),
            objective: pick(&self.objective, &base.objective),
            radius: pick(&self.radius, &base.radius),
            speed: pick(&self.speed, &base.speed),
            add: pick(&self.add, &base.add),
            target: pick(&self.target, &base.target),
            budget: pick(&self.budget, &base.budget),
            capacity: pick(&self.capacity, &base.capacity),
            per_engineer: pick(&self.per_engineer, &base.per_engineer),
            weighted: pick(&self.weighted, &base.weighted),
            relocate: pick(&self.relocate, &base.relocate),
            backup_weight: pick(&self.backup_weight, &base.backup_weight),
            fixed: list(&self.fixed, &base.fixed),
            close: list(&self.close, &base.close),
            open: list(&self.open, &base.open),
            exclude: list(&self.exclude, &base.exclude),
            keep: list(&self.keep, &base.keep),
            exclude_groups: list(&self.exclude_groups, &base.exclude_groups),
            keep_groups: list(&self.keep_groups, &base.keep_groups),
            demand_groups: list(&self.demand_groups, &base.demand_groups),
            min_coverage: pick(&self.min_coverage, &base.min_coverage),
        }
    }
}

/// One row of the comparison.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComparisonRow {
    /// Scenario name.
    pub scenario: String,
    /// `evaluate` or the plan objective.
    pub objective: String,
    /// Main radius, km.
    pub radius_km: f64,
    /// Covered share per tier.
    pub tiers: Vec<(f64, f64)>,
    /// Covered weight at the main radius.
    pub covered_weight: f64,
    /// Covered share at the main radius.
    pub covered_fraction: f64,
    /// Change in covered share against the baseline, percentage points.
    pub delta_pp: f64,
    /// Open sites.
    pub sites: usize,
    /// New sites opened.
    pub opened: usize,
    /// Existing sites closed.
    pub closed: usize,
    /// Cost of the new sites, with a budget.
    pub spend: Option<f64>,
    /// Objective value (plans).
    pub objective_value: Option<f64>,
    /// Gap to the bound (plans).
    pub gap: Option<f64>,
    /// Weighted mean distance to the nearest outlet, km.
    pub mean_distance_km: Option<f64>,
    /// Weight within reach but over capacity (with capacities).
    pub over_capacity_weight: Option<f64>,
    /// The gate, if any: passed?
    pub gate: Option<bool>,
    /// Demand points in the scenario.
    pub demand_points: u64,
}

/// The comparison of all scenarios.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    /// Always `scenarios`.
    pub command: report::CommandName,
    /// The scenario file.
    pub file: String,
    /// Baseline first, then scenarios in file order.
    pub rows: Vec<ComparisonRow>,
    /// Scenarios whose gate failed.
    pub failed_gates: Vec<String>,
    /// Wall time, ms.
    pub elapsed_ms: u64,
}

fn fraction(file: &Path, scen: &str, key: &str, f: &Fraction) -> Result<f64> {
    let text = match f {
        Fraction::Number(x) => x.to_string(),
        Fraction::Text(t) => t.clone(),
    };
    crate::units::parse_fraction(&format!("key `{key}`:"), &text)
        .map_err(|e| anyhow!("{}: scenario {scen:?}: {e}", file.display()))
}

/// The scenario name in force at `line` (1-based) of the TOML text, for parse errors.
fn scenario_at_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut start = None;
    for i in (0..line.min(lines.len())).rev() {
        let t = lines[i].trim();
        if t.starts_with("[[scenario]]") || t.starts_with("[baseline]") || t.starts_with("[inputs]")
        {
            start = Some(i);
            break;
        }
    }
    let s = start?;
    if lines[s].trim().starts_with("[inputs]") {
        return Some("[inputs]".into());
    }
    for l in &lines[s + 1..] {
        let t = l.trim();
        if t.starts_with('[') {
            break;
        }
        if let Some(v) = t.strip_prefix("name") {
            let v = v.trim_start().strip_prefix('=')?.trim().trim_matches('"');
            return Some(v.to_string());
        }
    }
    Some(if lines[s].trim().starts_with("[baseline]") {
        "baseline".into()
    } else {
        "(unnamed)".into()
    })
}

fn parse_file(path: &Path) -> Result<FileSpec> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the scenario file", path.display()))?;
    toml::from_str::<FileSpec>(&text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|sp| {
                let before = &text[..sp.start.min(text.len())];
                (
                    before.matches('\n').count() + 1,
                    before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1,
                )
            })
            .unwrap_or((0, 0));
        let scen = scenario_at_line(&text, line)
            .map(|s| format!(" (in {s})"))
            .unwrap_or_default();
        // The key on that line, when the value is what is wrong.
        let key = text
            .lines()
            .nth(line.saturating_sub(1))
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| format!(" key `{}`:", k.trim()))
            .unwrap_or_default();
        let hint = if e.message().contains("expected usize") {
            ": give a whole number, 0 or more"
        } else {
            ""
        };
        anyhow!(
            "{}:{line}:{col}{scen}:{key} {}{hint}",
            path.display(),
            e.message()
        )
    })
}

struct Shared {
    demand: PlaceSet,
    existing: PlaceSet,
    cands: PlaceSet,
    model: crate::metric::Model,
}

/// Runs the scenarios and writes the comparison.
///
/// # Errors
/// A bad scenario file or inputs (exit 2).
pub fn run_scenarios(sc: &ScenariosConfig) -> Result<crate::config::Outcome> {
    let start = Instant::now();
    let progress = Progress::new(sc.quiet);
    progress.stage("reading the scenario file");
    let file = &sc.file;
    let spec = parse_file(file)?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &str| {
        if Path::new(p).is_absolute() {
            PathBuf::from(p)
        } else {
            dir.join(p)
        }
    };
    let inp = &spec.inputs;
    let opts = LoadOptions {
        lon_col: inp.lon_col.clone(),
        lat_col: inp.lat_col.clone(),
        weight_col: inp.weight_col.clone(),
        id_col: inp.id_col.clone(),
        group_col: inp.group_col.clone(),
        layer: inp.layer.clone(),
        format: None,
        skip_invalid: false,
        fail_fast: false,
        crs: match &inp.crs {
            Some(c) => input::Crs::parse(c)
                .map_err(|e| anyhow!("{}: [inputs] key `crs`: {e}", file.display()))?,
            None => input::Crs::default(),
        },
        coordinates_optional: inp.costs.is_some(),
        ..LoadOptions::default()
    };
    if sc.maps && !opts.crs.has_lon_lat() {
        bail!(
            "{}: [inputs] key `crs` is \"planar\": such coordinates have no geographic reference, so --map cannot draw them; name the projected system (crs = \"EPSG:CODE\") to get maps, or leave out --map",
            file.display()
        );
    }
    let need = |key: &str, p: &str| -> Result<PathBuf> {
        let path = resolve(p);
        if !path.exists() {
            bail!(
                "{}: [inputs] key `{key}`: {} does not exist",
                file.display(),
                path.display()
            );
        }
        Ok(path)
    };
    progress.stage("loading inputs");
    let demand_path = need("demand", &inp.demand)?;
    let demand = input::load(&demand_path, Role::Demand, &opts).context("loading demand places")?;
    let site_opts = opts.for_sites();
    let existing = match &inp.existing {
        Some(p) => input::load(&need("existing", p)?, Role::Sites, &site_opts)
            .context("loading existing sites")?,
        None => PlaceSet::default(),
    };
    let cands = match &inp.candidates {
        Some(p) => input::load(&need("candidates", p)?, Role::Candidates, &site_opts)
            .context("loading candidate places")?,
        None => crate::workspace::candidates_from_demand(&demand),
    };
    let model = match &inp.costs {
        Some(p) => {
            if inp.circuity.is_some() {
                bail!(
                    "{}: [inputs] key `circuity` scales great-circle distances and does not apply with `costs`: the matrix already holds travel costs",
                    file.display()
                );
            }
            let unit = crate::config::cost_unit(
                &format!("{}: [inputs] key `cost_unit`", file.display()),
                inp.cost_unit.as_deref(),
            )?;
            let opts = crate::input::costs::CostOptions {
                from_col: inp.cost_from_col.clone(),
                to_col: inp.cost_to_col.clone(),
                cost_col: inp.cost_col.clone(),
                ..Default::default()
            };
            let table = crate::input::costs::load_costs_in(&need("costs", p)?, &opts, unit)
                .context("loading the cost matrix ([inputs] costs)")?;
            Some(crate::metric::Model::CostMatrix(
                crate::metric::CostMatrix::new(table, unit),
            ))
        }
        None => {
            if inp.cost_unit.is_some()
                || inp.cost_from_col.is_some()
                || inp.cost_to_col.is_some()
                || inp.cost_col.is_some()
            {
                bail!(
                    "{}: [inputs] keys `cost_unit`, `cost_from_col`, `cost_to_col` and `cost_col` go with `costs` (a travel-cost matrix)",
                    file.display()
                );
            }
            None
        }
    };
    if let Some(m) = &model {
        let out = crate::config::OutputConfig {
            map: sc.maps.then(|| PathBuf::from("map.svg")),
            ..Default::default()
        };
        for note in crate::workspace::matrix_notes(m, &out, &demand, &existing, Some(&cands))? {
            // Warnings were printed when they were found (even with --quiet).
            if !sc.quiet && !note.starts_with("warning: ") {
                eprintln!("outpost: note: {note}");
            }
        }
    }
    let shared = Shared {
        demand,
        existing,
        cands,
        model: match model {
            Some(m) => m,
            None => {
                let c = match inp.circuity {
                    Some(c) => crate::units::circuity(
                        &format!("{}: [inputs] key `circuity`", file.display()),
                        &c.to_string(),
                    )?,
                    None => 1.0,
                };
                if opts.crs.is_wgs84() {
                    crate::metric::Model::GreatCircle(crate::metric::GreatCircle::with_circuity(c))
                } else {
                    crate::metric::Model::Planar(crate::metric::Planar::with_circuity(c))
                }
            }
        },
    };
    let base = spec.baseline.clone().unwrap_or_default();
    let mut all: Vec<(String, Spec)> = vec![(
        base.name.clone().unwrap_or_else(|| "baseline".into()),
        base.clone(),
    )];
    for (k, s) in spec.scenarios.iter().enumerate() {
        let name = s
            .name
            .clone()
            .unwrap_or_else(|| format!("scenario {}", k + 1));
        if all.iter().any(|(n, _)| *n == name) {
            bail!(
                "{}: scenario {name:?}: key `name`: the name is used twice; give each scenario its own name",
                file.display()
            );
        }
        all.push((name, s.over(&base)));
    }
    let folders = unique_folders(&all.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>());
    let mut plan = OutputPlan::new();
    plan.input("the scenario file", file);
    plan.input("[inputs] demand", &demand_path);
    if let Some(p) = &inp.existing {
        plan.input("[inputs] existing", &resolve(p));
    }
    if let Some(p) = &inp.candidates {
        plan.input("[inputs] candidates", &resolve(p));
    }
    if let Some(p) = &inp.costs {
        plan.input("[inputs] costs", &resolve(p));
    }
    if let Some(p) = &sc.output {
        plan.output(
            "--output",
            p,
            OutputKind::Report {
                format_given: sc.format.is_some(),
            },
        );
    }
    if let Some(out) = &sc.output_dir {
        for ((name, _), folder) in all.iter().zip(&folders) {
            let d = out.join(folder);
            let flag = format!("--output-dir (scenario {name:?})");
            plan.output(flag.clone(), &d.join("report.json"), OutputKind::Fixed);
            plan.output(flag.clone(), &d.join("sites.csv"), OutputKind::Fixed);
            if sc.maps {
                plan.output(flag, &d.join("map.svg"), OutputKind::Fixed);
            }
        }
        for f in ["comparison.md", "comparison.json", "comparison.csv"] {
            plan.output("--output-dir", &out.join(f), OutputKind::Fixed);
        }
    }
    plan.check()?;
    if let Some(out) = &sc.output_dir {
        // Made now, so a folder that cannot exist fails before any work.
        if out.exists() && !out.is_dir() {
            bail!(
                "--output-dir {} is a file, not a folder: give a folder name",
                out.display()
            );
        }
        std::fs::create_dir_all(out)
            .with_context(|| format!("--output-dir {}: cannot create the folder", out.display()))?;
    }
    for ((name, _), folder) in all.iter().zip(&folders) {
        if *folder != slug(name)
            && let Some(out) = &sc.output_dir
        {
            eprintln!(
                "outpost: note: scenario {name:?} is written to {} (its plain folder name is empty or taken)",
                out.join(folder).display()
            );
        }
    }
    // Check every scenario before running any, so a typo fails fast.
    let jobs: Vec<Job> = all
        .iter()
        .map(|(name, s)| job(file, inp, name, s, &shared))
        .collect::<Result<_>>()?;
    // A scenario that filters demand is compared with the baseline run on the
    // same demand, not with the baseline's share of all demand.
    let n = jobs.len();
    let mut shadows: Vec<Job> = Vec::new();
    let mut shadow_of: Vec<Option<usize>> = vec![None; n];
    for k in 1..n {
        if jobs[k].demand != jobs[0].demand {
            let mut b = all[0].1.clone();
            b.demand_groups = all[k].1.demand_groups.clone();
            shadows.push(job(file, inp, &all[0].0, &b, &shared)?);
            shadow_of[k] = Some(shadows.len() - 1);
        }
    }
    progress.stage(&format!("running {} scenarios", jobs.len()));
    let top = inp.top.unwrap_or(10);
    let mut results: Vec<Result<JobResult>> = jobs
        .par_iter()
        .chain(shadows.par_iter())
        .map(|j| run_job(j, &shared, top))
        .collect();
    let shadow_fractions: Vec<Option<f64>> = results
        .split_off(n)
        .into_iter()
        .map(|r| r.ok().map(|(rep, ..)| rep.coverage.covered_fraction))
        .collect();
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    let mut baseline_fraction = None;
    for (k, (((job, res), (name, _)), folder)) in
        jobs.iter().zip(results).zip(&all).zip(&folders).enumerate()
    {
        let (mut report, open, eval, loaded) = res.with_context(|| format!("scenario {name:?}"))?;
        let passed = apply_gate(&mut report, job.min_coverage);
        if !passed {
            failed.push(name.clone());
        }
        let frac = report.coverage.covered_fraction;
        let base_all = *baseline_fraction.get_or_insert(frac);
        let base_f = shadow_of[k]
            .and_then(|i| shadow_fractions[i])
            .unwrap_or(base_all);
        rows.push(ComparisonRow {
            scenario: name.clone(),
            objective: report
                .objective
                .clone()
                .unwrap_or_else(|| "evaluate".into()),
            radius_km: report::round_sig(report.radius_km),
            tiers: report
                .tiers
                .iter()
                .map(|t| (t.radius_km, t.covered_fraction))
                .collect(),
            covered_weight: report::round_sig(report.coverage.covered_weight),
            covered_fraction: report::round_share(frac),
            delta_pp: report::round_sig(100.0 * report::round_share(frac - base_f)),
            sites: report.open_sites().count(),
            opened: report
                .sites
                .iter()
                .filter(|s| s.status == crate::report::SiteStatus::New)
                .count(),
            // Closed by the scenario's `close`, and moved by `relocate`.
            closed: job.closed + report.relocation.as_ref().map_or(0, |r| r.closed.len()),
            spend: report.budget.as_ref().map(|b| b.spent),
            objective_value: report
                .objective_value
                .as_ref()
                .map(|v| report::round_sig(v.value)),
            gap: report.bound.as_ref().map(|b| report::round_share(b.gap)),
            mean_distance_km: report.distance_km.map(|d| d.mean),
            over_capacity_weight: report.capacity.as_ref().map(|c| c.over_capacity_weight),
            gate: report.gate.as_ref().map(|g| g.passed),
            demand_points: report.demand.points,
        });
        if let Some(out) = &sc.output_dir {
            let d = out.join(folder);
            report.elapsed_ms = 0;
            write_atomic(&d.join("report.json"), |w| {
                report::write(&report, ReportFormat::Json, w)
            })?;
            write_atomic(&d.join("sites.csv"), |w| {
                crate::task::write_sites_csv(&report.sites, w)
            })?;
            if sc.maps {
                let unproject = |x: f64, y: f64| opts.crs.to_lon_lat(x, y);
                let demand: Vec<crate::render::map::DemandDot> = loaded
                    .demand
                    .lons_lats_weights()
                    .enumerate()
                    .map(|(i, (lon, lat, weight))| crate::render::map::DemandDot {
                        lon,
                        lat,
                        weight,
                        covered: eval.covered(i, 0),
                    })
                    .collect();
                let spec = crate::render::map::MapSpec {
                    title: format!(
                        "{name}: {} outlets, service radius {}",
                        open.len(),
                        job.radii[0]
                    ),
                    demand: &demand,
                    basemap: &crate::render::basemap::BaseMap::Auto,
                    data_credit: String::new(),
                    unproject: (!opts.crs.is_wgs84()).then_some(&unproject),
                };
                let svg = crate::render::map::render_map(&report, &spec)?;
                crate::render::write_image(&d.join("map.svg"), &svg)?;
            }
        }
    }
    let cmp = Comparison {
        command: report::CommandName::Scenarios,
        file: file.display().to_string(),
        rows,
        failed_gates: failed.clone(),
        elapsed_ms: start.elapsed().as_millis() as u64,
    };
    progress.done();
    if let Some(out) = &sc.output_dir {
        write_atomic(&out.join("comparison.md"), |w| {
            write_comparison(&cmp, ReportFormat::Markdown, w)
        })?;
        write_atomic(&out.join("comparison.json"), |w| {
            write_comparison(&cmp, ReportFormat::Json, w)
        })?;
        write_atomic(&out.join("comparison.csv"), |w| {
            write_comparison(&cmp, ReportFormat::Csv, w)
        })?;
    }
    crate::output::emit(sc.output.as_deref(), sc.format, |f, w| {
        write_comparison(&cmp, f, w)
    })?;
    if !failed.is_empty() {
        let detail: Vec<String> = cmp
            .rows
            .iter()
            .filter(|r| r.gate == Some(false))
            .map(|r| {
                format!(
                    "{:?} ({} of weight covered)",
                    r.scenario,
                    fmt_pct(r.covered_fraction)
                )
            })
            .collect();
        eprintln!(
            "outpost: --min-coverage gate failed in {} scenario(s): {}",
            failed.len(),
            detail.join(", ")
        );
        return Ok(crate::config::Outcome::GateFailed);
    }
    Ok(crate::config::Outcome::Success)
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s.trim_matches('_').to_string()
}

/// One folder name per scenario: its slug, made unique ignoring case (for
/// case-insensitive file systems) with `-2`, `-3`...; an empty slug becomes
/// `scenario-N` (N its place in the file, the baseline being 0).
fn unique_folders(names: &[&str]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (k, name) in names.iter().enumerate() {
        // File systems refuse names over 255 bytes; 60 characters read well.
        let mut base: String = slug(name).chars().take(60).collect();
        base = base.trim_end_matches('_').to_string();
        if base.is_empty() {
            base = format!("scenario-{k}");
        }
        let mut folder = base.clone();
        let mut n = 2;
        while taken.iter().any(|t| t.eq_ignore_ascii_case(&folder)) {
            folder = format!("{base}-{n}");
            n += 1;
        }
        taken.push(folder.clone());
        out.push(folder);
    }
    out
}

struct Job {
    radii: Vec<Radius>,
    plan: Option<PlanConfig>,
    min_coverage: Option<f64>,
    closed: usize,
    /// Demand indices in the scenario.
    demand: Vec<u32>,
    /// Open sites: existing minus closed, plus forced-open candidates.
    existing: PlaceSet,
    /// Candidate indices available.
    cands: Vec<u32>,
}

fn job(file: &Path, inp: &Inputs, name: &str, s: &Spec, sh: &Shared) -> Result<Job> {
    let where_ = |key: &str| format!("{}: scenario {name:?}: key `{key}`", file.display());
    let speed = match s.speed.as_ref().or(inp.speed.as_ref()) {
        Some(t) => Some(Speed::parse(t).map_err(|e| anyhow!("{}: {e}", where_("speed")))?),
        None => None,
    };
    let radius_items = s.radius.as_ref().unwrap_or(&inp.radius).items();
    let cost = match &sh.model {
        crate::metric::Model::CostMatrix(m) => Some(m.cost_unit()),
        _ => None,
    };
    if cost.is_some() && speed.is_some() {
        bail!(
            "{}: a speed does not apply to a cost matrix: give radii in its unit (`cost_unit`), e.g. \"30min\"",
            where_("speed")
        );
    }
    let radii = radius_items
        .iter()
        .map(|r| {
            match cost {
                Some(unit) => crate::sphere::parse_cost_radius(r, unit),
                None => parse_radius(r, speed),
            }
            .map_err(|e| anyhow!("{}: {e}", where_("radius")))
        })
        .collect::<Result<Vec<_>>>()?;
    if radii.is_empty() {
        bail!("{}: give at least one radius", where_("radius"));
    }
    let target = s
        .target
        .as_ref()
        .map(|f| fraction(file, name, "target", f))
        .transpose()?;
    let min_coverage = s
        .min_coverage
        .as_ref()
        .map(|f| fraction(file, name, "min_coverage", f))
        .transpose()?;
    let objective = match s.objective.as_deref() {
        Some("evaluate") => None,
        Some("coverage") => Some(Objective::Coverage),
        Some("min-sites") => Some(Objective::MinSites),
        Some("distance") => Some(Objective::Distance),
        Some("max-distance") => Some(Objective::MaxDistance),
        Some("backup") => Some(Objective::Backup),
        Some(other) => bail!(
            "{}: unknown objective {other:?}; use evaluate, coverage, min-sites, distance, max-distance or backup",
            where_("objective")
        ),
        None if target.is_some() => Some(Objective::MinSites),
        None if s.add.is_some() || s.budget.is_some() => Some(Objective::Coverage),
        None => None,
    };
    if let Some(o) = objective {
        match o {
            Objective::MinSites if target.is_none() => {
                bail!("{}: min-sites needs `target`", where_("objective"))
            }
            Objective::Coverage if s.add.is_none() && s.budget.is_none() => {
                bail!("{}: coverage needs `add` or `budget`", where_("objective"))
            }
            Objective::Distance | Objective::MaxDistance if s.add.is_none() => {
                bail!("{}: {} needs `add`", where_("objective"), o.name())
            }
            _ => {}
        }
    }
    for (key, list) in [
        ("close", &s.close),
        ("open", &s.open),
        ("exclude", &s.exclude),
        ("keep", &s.keep),
    ] {
        if let Some((k, id)) = list
            .iter()
            .enumerate()
            .find(|(k, id)| list[..*k].contains(id))
        {
            bail!(
                "{}: {id:?} is listed twice (entries {} and {}); list each site once",
                where_(key),
                list.iter().position(|x| x == id).map_or(0, |p| p + 1),
                k + 1
            );
        }
    }
    if let Some(id) = s.open.iter().find(|id| s.exclude.contains(id)) {
        bail!(
            "{}: {id:?} is also in `exclude`; a site cannot be both forced open and excluded",
            where_("open")
        );
    }
    // Sites to close must exist; sites to open and candidates named must be candidates.
    for id in &s.close {
        if !sh
            .existing
            .iter()
            .any(|p| p.id == *id || p.name.as_deref() == Some(id))
        {
            let ids: Vec<&str> = sh.existing.ids().collect();
            bail!(
                "{}: no existing site is called {id:?}; existing sites: {}",
                where_("close"),
                ids.join(", ")
            );
        }
    }
    let cand_named = |id: &str| {
        sh.cands
            .iter()
            .position(|p| p.id == id || p.name.as_deref() == Some(id))
    };
    for (key, list) in [
        ("open", &s.open),
        ("exclude", &s.exclude),
        ("keep", &s.keep),
    ] {
        for id in list {
            if cand_named(id).is_none() {
                bail!("{}: no candidate site is called {id:?}", where_(key));
            }
        }
    }
    let cand_groups = &sh.cands.groups;
    for (key, list) in [
        ("exclude_groups", &s.exclude_groups),
        ("keep_groups", &s.keep_groups),
    ] {
        for g in list {
            if !cand_groups.contains(g) {
                bail!(
                    "{}: no candidate is in group {g:?}; groups: {}",
                    where_(key),
                    cand_groups.join(", ")
                );
            }
        }
    }
    for g in &s.demand_groups {
        if !sh.demand.groups.contains(g) {
            bail!(
                "{}: no demand is in group {g:?}; groups: {}",
                where_("demand_groups"),
                sh.demand.groups.join(", ")
            );
        }
    }
    let demand: Vec<u32> = (0..sh.demand.len() as u32)
        .filter(|&i| {
            s.demand_groups.is_empty()
                || sh
                    .demand
                    .group_name_of(i as usize)
                    .is_some_and(|g| s.demand_groups.iter().any(|x| x == g))
        })
        .collect();
    if demand.is_empty() {
        bail!("{}: the filter leaves no demand", where_("demand_groups"));
    }
    let forced: Vec<usize> = s.open.iter().filter_map(|id| cand_named(id)).collect();
    let mut existing = PlaceSet::default();
    existing.source = sh.existing.source.clone();
    // Sites a scenario opens by name stay where they are, also under `relocate`.
    existing.set_places(
        sh.existing
            .iter()
            .filter(|p| {
                !s.close
                    .iter()
                    .any(|c| *c == p.id || p.name.as_deref() == Some(c))
            })
            .chain(forced.iter().map(|&j| Place {
                fixed: true,
                ..sh.cands.place(j)
            })),
    );
    let in_group = |p: &Place, list: &[String]| {
        sh.cands
            .group_name(p)
            .is_some_and(|g| list.iter().any(|x| x == g))
    };
    let cands: Vec<u32> = (0..sh.cands.len() as u32)
        .filter(|&j| {
            let p = &sh.cands.place(j as usize);
            let named = |list: &[String]| {
                list.iter()
                    .any(|x| *x == p.id || p.name.as_deref() == Some(x))
            };
            !forced.contains(&(j as usize))
                && !named(&s.exclude)
                && (s.keep.is_empty() || named(&s.keep))
                && !in_group(p, &s.exclude_groups)
                && (s.keep_groups.is_empty() || in_group(p, &s.keep_groups))
        })
        .collect();
    let time_limit = crate::units::seconds(
        &format!("{}: [inputs] key `time_limit`", file.display()),
        inp.time_limit.unwrap_or(60.0),
    )?;
    let plan = objective.map(|o| PlanConfig {
        objective: o,
        add: s.add,
        target,
        // `-0` is zero, and reads as 0 in every report (as on the command line).
        budget: s.budget.map(|b| b + 0.0),
        capacity: s.capacity.map(|c| c + 0.0),
        per_engineer: s.per_engineer,
        weighted: s.weighted.unwrap_or(false),
        k_nearest: None,
        time_limit,
        seed: inp.seed.unwrap_or(0),
        perturb: 0,
        bound: true,
        exact: false,
        relocate: s.relocate.unwrap_or(0),
        fixed: s.fixed.clone(),
        backup_weight: s.backup_weight,
        aggregate: None,
    });
    match &plan {
        Some(pc) => pc.validate(&|k: &str| where_(k))?,
        None => {
            // An evaluation uses none of the plan keys; say so rather than ignore them.
            for (key, given) in [
                ("budget", s.budget.is_some()),
                ("capacity", s.capacity.is_some()),
                ("per_engineer", s.per_engineer.is_some()),
            ] {
                if given {
                    bail!(
                        "{}: this scenario evaluates the network (no `add`, `budget` or `target`); {key} applies to plans only",
                        where_(key)
                    );
                }
            }
        }
    }
    Ok(Job {
        radii,
        plan,
        min_coverage,
        closed: s.close.len(),
        demand,
        existing,
        cands,
    })
}

/// A scenario's report, open sites, evaluation and the demand it ran on.
type JobResult = (Report, Vec<OpenSite>, Evaluation, Loaded);

fn run_job(j: &Job, sh: &Shared, top: usize) -> Result<JobResult> {
    let mut demand = PlaceSet::default();
    demand.source = sh.demand.source.clone();
    demand.groups = sh.demand.groups.clone();
    demand.crs = sh.demand.crs.clone();
    demand.set_places(j.demand.iter().map(|&i| sh.demand.place(i as usize)));
    let loaded = Loaded {
        groups: if demand.groups.is_empty() {
            Vec::new()
        } else {
            demand.group_indices()
        },
        demand,
        existing: j.existing.clone(),
        model: sh.model.clone(),
        aggregated: None,
    };
    crate::with_metric!(&sh.model, m => run_job_with(m, j, sh, top, loaded))
}

/// [`run_job`] for one distance model.
fn run_job_with<M: Metric>(
    metric: &M,
    j: &Job,
    sh: &Shared,
    top: usize,
    loaded: Loaded,
) -> Result<JobResult> {
    let points = metric.points(&loaded.demand);
    let quiet = Progress::new(true);
    match &j.plan {
        None => {
            let (report, open, eval) = evaluate_network(
                metric,
                &points,
                &loaded,
                &j.radii,
                top,
                &crate::progress::Bar::hidden(),
            );
            Ok((report, open, eval, loaded))
        }
        Some(pc) => {
            let mut cands = PlaceSet::default();
            cands.source = sh.cands.source.clone();
            cands.groups = sh.cands.groups.clone();
            cands.set_places(j.cands.iter().map(|&c| sh.cands.place(c as usize)));
            let out = plan_with(metric, &points, &j.radii, top, pc, &loaded, &cands, &quiet)?;
            Ok((out.report, out.open, out.eval, loaded))
        }
    }
}

impl Tabular for Comparison {
    /// One row per scenario, the baseline first. Per-tier columns appear when
    /// every scenario has the same number of tiers (more than one), headed by
    /// the first row's radii.
    fn tables(&self) -> Vec<Table> {
        let tiers: Vec<f64> = self
            .rows
            .first()
            .map(|r| r.tiers.iter().map(|t| t.0).collect())
            .unwrap_or_default();
        let same_tiers = self.rows.iter().all(|r| r.tiers.len() == tiers.len());
        let with_tiers = same_tiers && tiers.len() > 1;
        let mut columns = vec![
            Column::left("scenario", "scenario"),
            Column::left("objective", "objective"),
            Column::right("radius km", "radius_km"),
        ];
        if with_tiers {
            columns.extend(tiers.iter().map(|t| {
                let km = trim_float(*t);
                Column::right(
                    &format!("tier {km} km"),
                    &format!("tier_{km}_km_covered_fraction"),
                )
            }));
        }
        columns.extend([
            Column::right("covered weight", "covered_weight"),
            Column::right("covered", "covered_fraction"),
            Column::right("vs baseline", "delta_pp"),
            Column::right("sites", "sites"),
            Column::right("opened", "opened"),
            Column::right("closed", "closed"),
            Column::right("spend", "spend"),
            Column::right("objective", "objective_value"),
            Column::right("gap", "gap"),
            Column::right("mean km", "mean_distance_km"),
            Column::right("over capacity", "over_capacity_weight"),
            Column::right("gate", "gate"),
            Column::machines("demand_points"),
        ]);
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    Cell::plain(r.scenario.clone()),
                    Cell::plain(r.objective.clone()),
                    Cell::new(trim_float(r.radius_km), r.radius_km),
                ];
                if with_tiers {
                    row.extend(r.tiers.iter().map(|t| Cell::new(fmt_pct(t.1), t.1)));
                }
                row.extend([
                    Cell::new(fmt_weight(r.covered_weight), r.covered_weight),
                    Cell::new(fmt_pct(r.covered_fraction), r.covered_fraction),
                    Cell::new(format!("{:+.2} pp", r.delta_pp), r.delta_pp),
                    Cell::plain(r.sites.to_string()),
                    Cell::plain(r.opened.to_string()),
                    Cell::plain(r.closed.to_string()),
                    Cell::opt(r.spend, fmt_weight),
                    Cell::opt(r.objective_value, |v| {
                        if v.abs() >= 1000.0 {
                            fmt_weight(v)
                        } else {
                            trim_float((v * 1000.0).round() / 1000.0)
                        }
                    }),
                    Cell::opt(r.gap, fmt_pct),
                    Cell::opt(r.mean_distance_km, |d| format!("{d:.1}")),
                    Cell::opt(r.over_capacity_weight, fmt_weight),
                    Cell::opt(r.gate, |g| if g { "pass".into() } else { "FAIL".into() }),
                    Cell::value(r.demand_points),
                ]);
                row
            })
            .collect();
        vec![Table {
            title: format!("outpost scenarios: {}", self.file),
            section: "scenario".into(),
            columns,
            rows,
        }]
    }
}

/// Writes the comparison in a format: JSON is the comparison itself; text,
/// Markdown and CSV show its table ([`Tabular`]).
///
/// # Errors
/// I/O errors.
pub fn write_comparison<W: Write + ?Sized>(
    c: &Comparison,
    format: ReportFormat,
    out: &mut W,
) -> std::io::Result<()> {
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, c)?;
            writeln!(out)
        }
        ReportFormat::Csv => {
            for t in c.tables() {
                tabular::write_csv(&t, out)?;
            }
            Ok(())
        }
        ReportFormat::Markdown => {
            for t in c.tables() {
                writeln!(out, "## {}\n", t.title)?;
                tabular::write_markdown(&t, out)?;
            }
            if !c.failed_gates.is_empty() {
                writeln!(out, "\nGate failed: {}", c.failed_gates.join(", "))?;
            }
            Ok(())
        }
        ReportFormat::Table => {
            for t in c.tables() {
                writeln!(out, "{}", t.title)?;
                tabular::write_text(&t, out)?;
            }
            if !c.failed_gates.is_empty() {
                writeln!(out, "gate failed: {}", c.failed_gates.join(", "))?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, over: Option<f64>) -> ComparisonRow {
        ComparisonRow {
            scenario: name.into(),
            objective: "coverage".into(),
            radius_km: 150.0,
            tiers: vec![(150.0, 0.5), (300.0, 0.75)],
            covered_weight: 50.0,
            covered_fraction: 0.5,
            delta_pp: 0.0,
            sites: 2,
            opened: 1,
            closed: 0,
            spend: None,
            objective_value: Some(50.0),
            gap: Some(0.0),
            mean_distance_km: Some(12.5),
            over_capacity_weight: over,
            gate: None,
            demand_points: 3,
        }
    }

    /// The CSV once lacked the tier and over-capacity columns its table and JSON had.
    #[test]
    fn comparison_csv_has_tiers_and_over_capacity() {
        let c = Comparison {
            command: report::CommandName::Scenarios,
            file: "s.toml".into(),
            rows: vec![row("today", None), row("capped", Some(7.0))],
            failed_gates: vec![],
            elapsed_ms: 0,
        };
        let mut out = Vec::new();
        write_comparison(&c, ReportFormat::Csv, &mut out).expect("writing to a Vec");
        let text = String::from_utf8(out).expect("UTF-8");
        assert_eq!(
            text,
            "scenario,objective,radius_km,tier_150_km_covered_fraction,tier_300_km_covered_fraction,\
             covered_weight,covered_fraction,delta_pp,sites,opened,closed,spend,objective_value,gap,\
             mean_distance_km,over_capacity_weight,gate,demand_points\n\
             today,coverage,150,0.5,0.75,50,0.5,0,2,1,0,,50,0,12.5,,,3\n\
             capped,coverage,150,0.5,0.75,50,0.5,0,2,1,0,,50,0,12.5,7,,3\n"
        );
        let mut table = Vec::new();
        write_comparison(&c, ReportFormat::Table, &mut table).expect("writing to a Vec");
        let table = String::from_utf8(table).expect("UTF-8");
        assert!(table.contains("tier 150 km  tier 300 km"), "{table}");
        assert!(table.contains("over capacity"), "{table}");
    }
}
