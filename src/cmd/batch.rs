//! Batch runs: `evaluate` or `plan` over several demand files (repeated
//! `--demand`, or a glob), one row per file plus a total. Sites and candidates
//! are loaded once; a file with bad input is reported with its name and does
//! not stop the others unless `--fail-fast`.

use crate::assemble::apply_gate;
use crate::config::{Command, Config, Outcome};
use crate::progress::Progress;
use crate::report::tabular::{self, Align, Cell, Column, Table, Tabular};
use crate::report::{CommandName, ReportFormat, fmt_pct, fmt_weight};
use crate::task::{run_one, write_extras};
use crate::workspace::{Loaded, load_demand, load_existing};
use anyhow::{Result, bail};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// One file's row.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BatchRow {
    /// The demand file.
    pub file: String,
    /// Demand points.
    pub points: u64,
    /// Total weight.
    pub total_weight: f64,
    /// Covered weight at the first radius.
    pub covered_weight: f64,
    /// Covered share.
    pub covered_fraction: f64,
    /// Open sites.
    pub sites: usize,
    /// New sites (plans).
    pub opened: usize,
    /// Gap to the bound (plans).
    pub gap: Option<f64>,
    /// Weight served within capacities (plans with capacities, whose
    /// objective and gap it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_weight: Option<f64>,
    /// With `--exact`: whether the plan was proven optimal (the total: every file's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proven: Option<bool>,
    /// Gate result, with `--min-coverage` or `--target`.
    pub gate: Option<bool>,
    /// The error, when the file could not be used.
    pub error: Option<String>,
}

/// The batch report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BatchReport {
    /// `evaluate` or `plan`.
    pub command: CommandName,
    /// Main radius, km.
    pub radius_km: f64,
    /// One row per file, in the order given.
    pub rows: Vec<BatchRow>,
    /// All files that worked, summed.
    pub total: BatchRow,
    /// Files whose gate failed.
    pub failed_gates: Vec<String>,
    /// Files with errors.
    pub errors: Vec<String>,
    /// Wall time, ms.
    pub elapsed_ms: u64,
}

/// Runs the command once per demand file.
///
/// # Errors
/// Bad usage, or the first bad file under `--fail-fast`.
pub fn run_batch(cfg: &Config, files: &[PathBuf]) -> Result<Outcome> {
    let start = Instant::now();
    let per_file_outputs = [
        ("--sites-out", &cfg.output.sites_out),
        ("--assignments-out", &cfg.output.assignments_out),
        ("--map", &cfg.output.map),
        ("--areas-out", &cfg.output.areas_out),
    ];
    for (flag, p) in per_file_outputs {
        if let Some(p) = p
            && !p.to_string_lossy().contains("{name}")
        {
            bail!(
                "{flag} {}: with several demand files, put {{name}} in the path (e.g. out/{{name}}.svg) so each file gets its own",
                p.display()
            );
        }
    }
    if let Some(p) = &cfg.output.output
        && p.to_string_lossy().contains("{name}")
    {
        bail!(
            "--output {}: with several demand files the report is one table for all of them; {{name}} goes in per-file outputs (--sites-out, --assignments-out, --map)",
            p.display()
        );
    }
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 0 {
        bail!("a batch of demand files cannot read stdin (`-`)");
    }
    crate::task::output_plan(cfg, files).check()?;

    let progress = Progress::new(cfg.output.quiet);
    progress.stage("loading sites");
    let existing = load_existing(cfg)?;
    let model = crate::workspace::model(cfg)?;
    let shared_cands = match &cfg.command {
        Command::Plan(_) => crate::workspace::load_candidate_file(cfg)?,
        _ => None,
    };
    let command = match &cfg.command {
        Command::Plan(_) => CommandName::Plan,
        _ => CommandName::Evaluate,
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut failed = Vec::new();
    for f in files {
        progress.stage(&format!("{}", f.display()));
        let name = f.display().to_string();
        let result = (|| -> Result<BatchRow> {
            let demand = load_demand(f, &cfg.load)?;
            let mut loaded = Loaded::new(demand, existing.clone());
            loaded.model = model.clone();
            crate::workspace::aggregate(cfg, &mut loaded)?;
            let cands = match &cfg.command {
                Command::Plan(_) => Some(match &shared_cands {
                    Some(c) => c.clone(),
                    None => crate::workspace::default_candidates(&loaded),
                }),
                _ => None,
            };
            let (mut report, open, eval, failure) =
                run_one(cfg, &loaded, cands.as_ref(), &Progress::new(true))?;
            let passed = apply_gate(&mut report, cfg.min_coverage) && failure.is_none();
            let out = cfg.output.for_file(f);
            write_extras(
                cfg,
                &out,
                &report,
                &loaded,
                &open,
                &eval,
                &Progress::new(true),
            )?;
            let gated = cfg.min_coverage.is_some() || !passed;
            Ok(BatchRow {
                file: name.clone(),
                points: report.demand.points,
                total_weight: crate::report::round_sig(report.demand.total_weight),
                covered_weight: crate::report::round_sig(report.coverage.covered_weight),
                covered_fraction: crate::report::round_share(report.coverage.covered_fraction),
                sites: report.sites.len(),
                opened: report
                    .sites
                    .iter()
                    .filter(|s| s.status == crate::report::SiteStatus::New)
                    .count(),
                gap: report.bound.as_ref().map(|b| b.gap),
                served_weight: report
                    .objective_value
                    .as_ref()
                    .filter(|o| o.measure == crate::report::Measure::ServedWeight)
                    .map(|o| crate::report::round_sig(o.value)),
                proven: report.bound.as_ref().and_then(|b| b.proven),
                gate: gated.then_some(passed),
                error: None,
            })
        })();
        // Each file's outputs are its own: kept when the file succeeds,
        // dropped when it fails part way (see `output::defer_commits`).
        let result = result.and_then(|row| crate::output::commit_staged().map(|()| row));
        match result {
            Ok(row) => {
                if row.gate == Some(false) {
                    failed.push(name.clone());
                }
                rows.push(row);
            }
            Err(e) => {
                crate::output::discard_staged();
                if cfg.load.fail_fast {
                    return Err(e);
                }
                let msg = format!("{e:#}");
                eprintln!("outpost: {msg}");
                errors.push(name.clone());
                rows.push(BatchRow {
                    file: name,
                    points: 0,
                    total_weight: 0.0,
                    covered_weight: 0.0,
                    covered_fraction: 0.0,
                    sites: 0,
                    opened: 0,
                    gap: None,
                    served_weight: None,
                    proven: None,
                    gate: None,
                    error: Some(msg),
                });
            }
        }
    }
    let ok: Vec<&BatchRow> = rows.iter().filter(|r| r.error.is_none()).collect();
    let tw: f64 = ok.iter().map(|r| r.total_weight).sum();
    let cw: f64 = ok.iter().map(|r| r.covered_weight).sum();
    let total = BatchRow {
        file: "total".into(),
        points: ok.iter().map(|r| r.points).sum(),
        total_weight: crate::report::round_sig(tw),
        covered_weight: crate::report::round_sig(cw),
        covered_fraction: if tw > 0.0 {
            crate::report::round_share(cw / tw)
        } else {
            0.0
        },
        // Every file shares the existing network (counted once); plans
        // open their own new sites per file.
        sites: ok.first().map_or(0, |r| r.sites - r.opened)
            + ok.iter().map(|r| r.opened).sum::<usize>(),
        opened: ok.iter().map(|r| r.opened).sum(),
        gap: None,
        served_weight: ok.iter().any(|r| r.served_weight.is_some()).then(|| {
            crate::report::round_sig(ok.iter().filter_map(|r| r.served_weight).sum::<f64>())
        }),
        proven: ok
            .iter()
            .map(|r| r.proven)
            .collect::<Option<Vec<bool>>>()
            .filter(|v| !v.is_empty())
            .map(|v| v.iter().all(|&p| p)),
        // A file that could not be used cannot pass a gate.
        gate: cfg
            .min_coverage
            .map(|_| failed.is_empty() && errors.is_empty()),
        error: None,
    };
    let report = BatchReport {
        command,
        radius_km: cfg.radii[0].km,
        rows,
        total,
        failed_gates: failed.clone(),
        errors: errors.clone(),
        elapsed_ms: start.elapsed().as_millis() as u64,
    };
    progress.done();
    crate::output::emit(cfg.output.output.as_deref(), cfg.output.format, |f, w| {
        write_batch(&report, f, w)
    })?;
    // The report and the good files' outputs stand even when a file failed.
    crate::output::commit_staged()?;
    if !errors.is_empty() {
        bail!(
            "{} of {} demand files could not be used: {}",
            errors.len(),
            files.len(),
            errors.join(", ")
        );
    }
    if !failed.is_empty() {
        eprintln!(
            "outpost: the coverage gate failed for {} file(s): {}",
            failed.len(),
            failed.join(", ")
        );
        return Ok(Outcome::GateFailed);
    }
    Ok(Outcome::Success)
}

impl Tabular for BatchReport {
    /// One row per file, then the total. A file that could not be used has
    /// no figures (`-`, empty in CSV) and its error in the gate column of the
    /// text and Markdown tables and in `error` in CSV.
    fn tables(&self) -> Vec<Table> {
        // With capacities the gap is the served weight's, and with --exact
        // each file says whether it was proven: those columns then show.
        let all = || self.rows.iter().chain(std::iter::once(&self.total));
        let served = all().any(|r| r.served_weight.is_some());
        let proven = all().any(|r| r.proven.is_some());
        let mut columns = vec![
            Column::left("file", "file"),
            Column::right("points", "points"),
            Column::right("weight", "total_weight"),
            Column::right("covered weight", "covered_weight"),
            Column::right("covered", "covered_fraction"),
            Column::right("sites", "sites"),
            Column::right("new", "opened"),
        ];
        if served {
            columns.push(Column::right("served weight", "served_weight"));
        }
        columns.push(Column::right("gap", "gap"));
        if proven {
            columns.push(Column::right("proven", "proven"));
        }
        // Left-aligned in the text table but right in Markdown, as before.
        columns.push(Column::left("gate", "gate").markdown(Align::Right));
        columns.push(Column::machines("error"));
        let cells = |x: &BatchRow| -> Vec<Cell> {
            let gate = Cell::opt(x.gate, |g| if g { "pass".into() } else { "FAIL".into() });
            let yes_no = |p: bool| if p { "yes".into() } else { "no".into() };
            match &x.error {
                Some(e) => {
                    let mut row = vec![Cell::plain(x.file.clone())];
                    row.extend((0..6 + usize::from(served)).map(|_| Cell::text_only("-")));
                    row.push(Cell::opt(x.gap, fmt_pct));
                    if proven {
                        row.push(Cell::text_only("-"));
                    }
                    row.push(Cell {
                        text: format!("ERROR: {e}"),
                        value: gate.value,
                    });
                    row.push(Cell::value(e));
                    row
                }
                None => {
                    let mut row = vec![
                        Cell::plain(x.file.clone()),
                        Cell::plain(x.points.to_string()),
                        Cell::new(fmt_weight(x.total_weight), x.total_weight),
                        Cell::new(fmt_weight(x.covered_weight), x.covered_weight),
                        Cell::new(fmt_pct(x.covered_fraction), x.covered_fraction),
                        Cell::plain(x.sites.to_string()),
                        Cell::plain(x.opened.to_string()),
                    ];
                    if served {
                        row.push(Cell::opt(x.served_weight, fmt_weight));
                    }
                    row.push(Cell::opt(x.gap, fmt_pct));
                    if proven {
                        row.push(Cell::opt(x.proven, yes_no));
                    }
                    row.push(gate);
                    row.push(Cell::value(""));
                    row
                }
            }
        };
        vec![Table {
            title: String::new(),
            section: "file".into(),
            columns,
            rows: self
                .rows
                .iter()
                .chain(std::iter::once(&self.total))
                .map(cells)
                .collect(),
        }]
    }
}

/// Writes the batch report in a format: JSON is the report itself; text,
/// Markdown and CSV show its table ([`Tabular`]).
///
/// # Errors
/// I/O errors.
pub fn write_batch<W: Write + ?Sized>(
    r: &BatchReport,
    format: ReportFormat,
    out: &mut W,
) -> std::io::Result<()> {
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, r)?;
            writeln!(out)
        }
        ReportFormat::Csv => {
            for t in r.tables() {
                tabular::write_csv(&t, out)?;
            }
            Ok(())
        }
        ReportFormat::Markdown => {
            writeln!(
                out,
                "## outpost {} over {} files (radius {} km)\n",
                r.command,
                r.rows.len(),
                crate::sphere::trim_float(r.radius_km)
            )?;
            for t in r.tables() {
                tabular::write_markdown(&t, out)?;
            }
            Ok(())
        }
        ReportFormat::Table => {
            writeln!(
                out,
                "outpost {} over {} files, radius {} km",
                r.command,
                r.rows.len(),
                crate::sphere::trim_float(r.radius_km)
            )?;
            for t in r.tables() {
                tabular::write_text(&t, out)?;
            }
            Ok(())
        }
    }
}
