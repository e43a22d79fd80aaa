//! The sweep report: the coverage curve over numbers of new sites and radii,
//! read by the sweep writer ([`write_sweep`]) and the chart renderer.

use super::tabular::{self, Align, Cell, Column, Table, Tabular};
use super::{CommandName, ReportFormat, fmt_pct, fmt_weight};
use serde::Serialize;
use std::io::Write;

named! {
    /// How a point of the curve was found.
    SweepMethod {
        /// Its own solve, as `plan --add N`.
        Solved => "solved",
        /// The previous point plus its best extra site, polished (its own solve came out lower).
        Extended => "extended",
    }
}

/// One point of the curve.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SweepPoint {
    /// Radius, km.
    pub radius_km: f64,
    /// The radius as the user gave it (`100 mi`).
    pub radius_label: String,
    /// New sites opened (fewer than asked when no more candidates help).
    pub sites: usize,
    /// Covered weight (existing sites included).
    pub covered_weight: f64,
    /// Covered share of the total weight.
    pub covered_fraction: f64,
    /// Gain over the point with one site fewer (over the existing sites alone for the first).
    pub marginal_weight: f64,
    /// Upper bound on the covered weight at this N, if computed.
    pub bound: Option<f64>,
    /// (bound - covered) / bound.
    pub gap: Option<f64>,
    /// `solved` or `extended` (see `cmd::sweep`).
    pub method: SweepMethod,
    /// Ids of the new sites, by rank.
    pub site_ids: Vec<String>,
}

/// The sweep report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SweepReport {
    /// Always `sweep`.
    pub command: CommandName,
    /// Demand points.
    pub demand_points: u64,
    /// Total demand weight.
    pub total_weight: f64,
    /// Candidate sites.
    pub candidates: u64,
    /// Existing sites (open at every point).
    pub existing: u64,
    /// Coverage of the existing sites alone, per radius: (km, share).
    pub baseline: Vec<(f64, f64)>,
    /// The radii as the user gave them, in the order of `baseline`.
    pub radius_labels: Vec<String>,
    /// The curve, by radius then N.
    pub points: Vec<SweepPoint>,
    /// How the points were computed.
    pub method: String,
    /// Wall time, ms.
    pub elapsed_ms: u64,
}

impl SweepReport {
    /// The report with float noise removed from sums, shares and gaps, as written.
    pub fn tidied(&self) -> SweepReport {
        use super::{round_share, round_sig};
        let mut r = self.clone();
        r.total_weight = round_sig(r.total_weight);
        for b in &mut r.baseline {
            b.0 = round_sig(b.0);
            b.1 = round_share(b.1);
        }
        for p in &mut r.points {
            p.radius_km = round_sig(p.radius_km);
            p.covered_weight = round_sig(p.covered_weight);
            p.covered_fraction = round_share(p.covered_fraction);
            p.marginal_weight = round_sig(p.marginal_weight);
            p.bound = p.bound.map(round_sig);
            p.gap = p.gap.map(round_share);
        }
        r
    }
}

impl Tabular for SweepReport {
    /// The curve, one row per (radius, N).
    fn tables(&self) -> Vec<Table> {
        vec![Table {
            title: String::new(),
            section: "sweep".into(),
            columns: vec![
                Column::machines("radius_km"),
                // Right-aligned in the text table but left in Markdown, as before.
                Column::right("radius", "radius_label").markdown(Align::Left),
                Column::right("new sites", "sites"),
                Column::right("covered weight", "covered_weight"),
                Column::right("covered", "covered_fraction"),
                Column::right("marginal", "marginal_weight"),
                Column::right("bound", "bound"),
                Column::right("gap", "gap"),
                Column::right("method", "method"),
                Column::machines("site_ids"),
            ],
            rows: self
                .points
                .iter()
                .map(|p| {
                    vec![
                        Cell::value(p.radius_km),
                        Cell::plain(p.radius_label.clone()),
                        Cell::plain(p.sites.to_string()),
                        Cell::new(fmt_weight(p.covered_weight), p.covered_weight),
                        Cell::new(fmt_pct(p.covered_fraction), p.covered_fraction),
                        Cell::new(fmt_weight(p.marginal_weight), p.marginal_weight),
                        Cell::opt(p.bound, fmt_weight),
                        Cell::opt(p.gap, fmt_pct),
                        Cell::plain(p.method.to_string()),
                        Cell::value(p.site_ids.join(" ")),
                    ]
                })
                .collect(),
        }]
    }
}

/// Writes the sweep in a format: JSON is the report itself; text, Markdown
/// and CSV show the curve ([`Tabular`]), the first two under a few summary lines.
///
/// # Errors
/// I/O errors.
pub fn write_sweep<W: Write + ?Sized>(
    r: &SweepReport,
    format: ReportFormat,
    out: &mut W,
) -> std::io::Result<()> {
    let r = &r.tidied();
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
            writeln!(out, "## outpost sweep\n")?;
            writeln!(
                out,
                "- demand: {} points, weight {}",
                r.demand_points,
                fmt_weight(r.total_weight)
            )?;
            writeln!(
                out,
                "- {} candidates, {} existing sites",
                r.candidates, r.existing
            )?;
            writeln!(out, "- {}\n", r.method)?;
            for t in r.tables() {
                tabular::write_markdown(&t, out)?;
            }
            Ok(())
        }
        ReportFormat::Table => {
            writeln!(out, "outpost sweep")?;
            writeln!(
                out,
                "demand: {} points, weight {}",
                r.demand_points,
                fmt_weight(r.total_weight)
            )?;
            writeln!(
                out,
                "sites: {} candidates, {} existing",
                r.candidates, r.existing
            )?;
            for ((_, f), label) in r.baseline.iter().zip(&r.radius_labels) {
                writeln!(out, "existing sites alone within {label}: {}", fmt_pct(*f))?;
            }
            writeln!(out, "method: {}", r.method)?;
            writeln!(out)?;
            for t in r.tables() {
                tabular::write_text(&t, out)?;
            }
            Ok(())
        }
    }
}
