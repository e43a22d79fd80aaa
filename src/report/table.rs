//! The report's summary lines and its tables (one definition each, see
//! [`super::tabular`]), and the aligned-text writer ([`write_table`]).

use super::tabular::{Cell, Column, Table, Tabular, write_text};
use super::{Measure, Report, fmt_pct, fmt_weight};
use std::io::Write;

fn opt_km(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |d| {
        if d.is_finite() {
            format!("{d:.1}")
        } else {
            "-".into()
        }
    })
}

/// The summary lines shown above the tables.
pub fn summary_lines(r: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    let what = match &r.objective {
        Some(o) => format!("outpost {} ({o})", r.command),
        None => format!("outpost {}", r.command),
    };
    lines.push(what);
    lines.push(format!(
        "demand: {} points, weight {}{}",
        r.demand.points,
        fmt_weight(r.demand.total_weight),
        if r.demand.skipped > 0 {
            format!(" ({} rows skipped)", r.demand.skipped)
        } else {
            String::new()
        }
    ));
    let existing = r
        .sites
        .iter()
        .filter(|s| s.status == crate::report::SiteStatus::Existing)
        .count();
    let open = r.open_sites().count();
    let new = open - existing;
    lines.push(format!(
        "sites: {open} open ({existing} existing, {new} new){}",
        if r.candidates > 0 {
            format!(", from {} candidates", r.candidates)
        } else {
            String::new()
        }
    ));
    lines.push(format!(
        "coverage within {}{}: {} of weight ({} of {} points)",
        r.radius_label,
        r.circuity_note(),
        fmt_pct(r.coverage.covered_fraction),
        r.coverage.covered_points,
        r.demand.points
    ));
    if let Some(d) = &r.distance_km {
        lines.push(format!(
            "distance to nearest outlet ({}, weighted): mean {:.1}, p50 {:.1}, p90 {:.1}, max {:.1}",
            r.unit, d.mean, d.p50, d.p90, d.max
        ));
    }
    let measure = r.objective_value.as_ref().map(|v| v.measure);
    let value = |x: f64| match measure {
        Some(
            Measure::CoveredWeight
            | Measure::ServedWeight
            | Measure::WeightedDistanceKm
            | Measure::WeightedDistance
            | Measure::MaxWeightedDistance
            | Measure::BackupWeight
            | Measure::BackupMix,
        ) => fmt_weight(x),
        Some(Measure::NewSites) => format!("{x:.0}"),
        _ => format!("{x:.3}"),
    };
    if let Some(v) = &r.objective_value {
        lines.push(format!("objective: {} = {}", v.measure, value(v.value)));
    }
    if let Some(b) = &r.bound {
        lines.push(format!(
            "bound: {} ({}), gap {}",
            value(b.value),
            b.method,
            fmt_pct(b.gap)
        ));
    }
    if let Some(b) = &r.budget {
        lines.push(format!(
            "budget: {} spent of {}, {} remaining",
            fmt_weight(b.spent),
            fmt_weight(b.budget),
            fmt_weight(b.remaining)
        ));
    }
    if let Some(c) = &r.capacity {
        lines.push(format!(
            "capacity: {} within reach, {} assigned, {} over capacity{}",
            fmt_weight(c.within_reach_weight),
            fmt_weight(c.assigned_weight),
            fmt_weight(c.over_capacity_weight),
            c.engineers
                .map_or(String::new(), |e| format!(", {e} engineers"))
        ));
    }
    if let Some(g) = &r.gate {
        lines.push(format!(
            "gate: coverage {} against minimum {}: {}",
            fmt_pct(g.reached),
            fmt_pct(g.min_coverage),
            if g.passed {
                "PASS".to_string()
            } else {
                format!("FAIL, short by {}", fmt_pct(g.min_coverage - g.reached))
            }
        ));
    }
    for n in &r.notes {
        lines.push(format!("note: {n}"));
    }
    lines
}

/// The coverage per radius tier (long-form CSV section `tier`, keyed by km).
pub fn tiers_table(r: &Report) -> Table {
    Table {
        title: "Coverage by radius".into(),
        section: "tier".into(),
        columns: vec![
            Column::machines("radius_km"),
            Column::left("radius", "label"),
            Column::right("covered weight", "covered_weight"),
            Column::right("covered", "covered_fraction"),
            Column::right("points", "covered_points"),
            Column::right("backup (2+ outlets)", "backup_fraction"),
        ],
        rows: r
            .tiers
            .iter()
            .map(|t| {
                vec![
                    Cell::value(t.radius_km),
                    Cell::plain(t.label.clone()),
                    Cell::new(fmt_weight(t.covered_weight), t.covered_weight),
                    Cell::new(fmt_pct(t.covered_fraction), t.covered_fraction),
                    Cell::plain(t.covered_points.to_string()),
                    Cell::new(fmt_pct(t.backup_fraction), t.backup_fraction),
                ]
            })
            .collect(),
    }
}

/// The open sites (long-form CSV section `site`, keyed by id). Cost,
/// capacity and engineer columns appear when any site has them.
pub fn sites_table(r: &Report) -> Table {
    let with_cap = r.sites.iter().any(|s| s.capacity.is_some());
    let with_eng = r.sites.iter().any(|s| s.engineers.is_some());
    let with_cost = r.sites.iter().any(|s| s.cost.is_some());
    let mut columns = vec![
        Column::left("site", "id"),
        Column::machines("name"),
        Column::right("status", "status"),
        Column::machines("lon"),
        Column::machines("lat"),
        Column::right("rank", "rank"),
        Column::right("marginal", "marginal_weight"),
        Column::right("covered", "covered_weight"),
        Column::right("unique", "unique_weight"),
        Column::right("assigned", "assigned_weight"),
    ];
    if with_cost {
        columns.push(Column::right("cost", "cost"));
    }
    if with_cap {
        columns.push(Column::right("capacity", "capacity"));
        columns.push(Column::right("utilisation", "utilisation"));
    }
    if with_eng {
        columns.push(Column::right("engineers", "engineers"));
    }
    let rows = r
        .sites
        .iter()
        .map(|s| {
            let mut row = vec![
                Cell::new(labelled(s.name.as_deref(), &s.id), &s.id),
                Cell {
                    text: String::new(),
                    value: s.name.clone(),
                },
                Cell::plain(s.status.to_string()),
                Cell::value(s.lon),
                Cell::value(s.lat),
                Cell::opt(s.rank, |k| k.to_string()),
                Cell::opt(s.marginal_weight, fmt_weight),
                Cell::new(fmt_weight(s.covered_weight), s.covered_weight),
                Cell::new(fmt_weight(s.unique_weight), s.unique_weight),
                Cell::new(fmt_weight(s.assigned_weight), s.assigned_weight),
            ];
            if with_cost {
                row.push(Cell::opt(s.cost, fmt_weight));
            }
            if with_cap {
                row.push(Cell::opt(s.capacity, fmt_weight));
                row.push(Cell::opt(s.utilisation, fmt_pct));
            }
            if with_eng {
                row.push(Cell::opt(s.engineers, |e| e.to_string()));
            }
            row
        })
        .collect();
    Table {
        title: if r.sites.len() > r.open_sites().count() {
            "Sites (open, then closed)".into()
        } else {
            "Open sites".into()
        },
        section: "site".into(),
        columns,
        rows,
    }
}

/// Coverage per group, worst first (long-form CSV section `group`).
pub fn groups_table(r: &Report) -> Table {
    Table {
        title: format!("Coverage by group within {} (worst first)", r.radius_label),
        section: "group".into(),
        columns: vec![
            Column::left("group", "group"),
            Column::right("points", "points"),
            Column::right("weight", "total_weight"),
            Column::right("covered weight", "covered_weight"),
            Column::right("covered", "covered_fraction"),
        ],
        rows: r
            .groups
            .iter()
            .map(|g| {
                vec![
                    Cell::plain(g.group.clone()),
                    Cell::plain(g.points.to_string()),
                    Cell::new(fmt_weight(g.total_weight), g.total_weight),
                    Cell::new(fmt_weight(g.covered_weight), g.covered_weight),
                    Cell::new(fmt_pct(g.covered_fraction), g.covered_fraction),
                ]
            })
            .collect(),
    }
}

/// The largest uncovered places (long-form CSV section `uncovered`, keyed by id).
pub fn uncovered_table(r: &Report) -> Table {
    Table {
        title: "Largest uncovered places".into(),
        section: "uncovered".into(),
        columns: vec![
            Column::left("place", "id"),
            Column::machines("name"),
            Column::right("group", "group"),
            Column::right("weight", "weight"),
            Column::right(
                if r.unit == "km" {
                    "nearest km"
                } else {
                    "nearest"
                },
                "distance_km",
            ),
        ],
        rows: r
            .uncovered
            .iter()
            .map(|u| {
                vec![
                    Cell::new(labelled(u.name.as_deref(), &u.id), &u.id),
                    Cell {
                        text: String::new(),
                        value: u.name.clone(),
                    },
                    Cell {
                        text: u.group.clone().unwrap_or_default(),
                        value: u.group.clone(),
                    },
                    Cell::new(fmt_weight(u.weight), u.weight),
                    Cell {
                        text: opt_km(u.distance_km),
                        value: u.distance_km.map(|d| d.to_string()),
                    },
                ]
            })
            .collect(),
    }
}

/// `name (id)`, or the id alone.
fn labelled(name: Option<&str>, id: &str) -> String {
    name.map_or(id.to_string(), |n| format!("{n} ({id})"))
}

impl Tabular for Report {
    /// Tiers, sites, then groups and uncovered places when there are any.
    fn tables(&self) -> Vec<Table> {
        let mut out = vec![tiers_table(self), sites_table(self)];
        if !self.groups.is_empty() {
            out.push(groups_table(self));
        }
        if !self.uncovered.is_empty() {
            out.push(uncovered_table(self));
        }
        out
    }
}

/// Writes the report as aligned text tables.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_table<W: Write>(r: &Report, mut out: W) -> std::io::Result<()> {
    for line in summary_lines(r) {
        writeln!(out, "{line}")?;
    }
    for t in r.tables() {
        writeln!(out)?;
        writeln!(out, "{}", t.title)?;
        write_text(&t, &mut out)?;
    }
    Ok(())
}
