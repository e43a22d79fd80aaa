//! Human-readable writers: the report laid out as a few titled tables, rendered
//! as aligned text ([`write_table`]) or Markdown (see [`super::markdown`]).

use super::{Report, fmt_pct, fmt_weight};
use std::io::Write;

/// A titled table of text cells; the first column is left-aligned, the rest right-aligned.
pub struct Section {
    /// Title.
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

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
            "distance to nearest outlet (km, weighted): mean {:.1}, p50 {:.1}, p90 {:.1}, max {:.1}",
            d.mean, d.p50, d.p90, d.max
        ));
    }
    let measure = r.objective_value.as_ref().map_or("", |v| v.measure);
    let value = |x: f64| match measure {
        "covered_weight" | "served_weight" | "weighted_distance_km" => fmt_weight(x),
        "new_sites" => format!("{x:.0}"),
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

/// The report's tables.
pub fn sections(r: &Report) -> Vec<Section> {
    let mut out = Vec::new();
    out.push(Section {
        title: "Coverage by radius".into(),
        headers: vec![
            "radius".into(),
            "covered weight".into(),
            "covered".into(),
            "points".into(),
        ],
        rows: r
            .tiers
            .iter()
            .map(|t| {
                vec![
                    t.label.clone(),
                    fmt_weight(t.covered_weight),
                    fmt_pct(t.covered_fraction),
                    t.covered_points.to_string(),
                ]
            })
            .collect(),
    });
    let with_cap = r.sites.iter().any(|s| s.capacity.is_some());
    let with_eng = r.sites.iter().any(|s| s.engineers.is_some());
    let with_cost = r.sites.iter().any(|s| s.cost.is_some());
    let mut headers: Vec<String> = ["site", "status", "rank", "marginal", "covered", "assigned"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if with_cost {
        headers.push("cost".into());
    }
    if with_cap {
        headers.extend(["capacity".into(), "utilisation".into()]);
    }
    if with_eng {
        headers.push("engineers".into());
    }
    out.push(Section {
        title: "Open sites".into(),
        headers,
        rows: r
            .sites
            .iter()
            .map(|s| {
                let mut row = vec![
                    s.name
                        .clone()
                        .map_or(s.id.clone(), |n| format!("{n} ({})", s.id)),
                    s.status.to_string(),
                    s.rank.map_or("-".into(), |k| k.to_string()),
                    s.marginal_weight.map_or("-".into(), fmt_weight),
                    fmt_weight(s.covered_weight),
                    fmt_weight(s.assigned_weight),
                ];
                if with_cost {
                    row.push(s.cost.map_or("-".into(), fmt_weight));
                }
                if with_cap {
                    row.push(s.capacity.map_or("-".into(), fmt_weight));
                    row.push(s.utilisation.map_or("-".into(), fmt_pct));
                }
                if with_eng {
                    row.push(s.engineers.map_or("-".into(), |e| e.to_string()));
                }
                row
            })
            .collect(),
    });
    if !r.groups.is_empty() {
        out.push(Section {
            title: format!("Coverage by group within {} (worst first)", r.radius_label),
            headers: vec![
                "group".into(),
                "points".into(),
                "weight".into(),
                "covered weight".into(),
                "covered".into(),
            ],
            rows: r
                .groups
                .iter()
                .map(|g| {
                    vec![
                        g.group.clone(),
                        g.points.to_string(),
                        fmt_weight(g.total_weight),
                        fmt_weight(g.covered_weight),
                        fmt_pct(g.covered_fraction),
                    ]
                })
                .collect(),
        });
    }
    if !r.uncovered.is_empty() {
        out.push(Section {
            title: "Largest uncovered places".into(),
            headers: vec![
                "place".into(),
                "group".into(),
                "weight".into(),
                "nearest km".into(),
            ],
            rows: r
                .uncovered
                .iter()
                .map(|u| {
                    vec![
                        u.name
                            .clone()
                            .map_or(u.id.clone(), |n| format!("{n} ({})", u.id)),
                        u.group.clone().unwrap_or_default(),
                        fmt_weight(u.weight),
                        opt_km(u.distance_km),
                    ]
                })
                .collect(),
        });
    }
    out
}

/// Writes the report as aligned text tables.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_table<W: Write>(r: &Report, mut out: W) -> std::io::Result<()> {
    for line in summary_lines(r) {
        writeln!(out, "{line}")?;
    }
    for s in sections(r) {
        writeln!(out)?;
        writeln!(out, "{}", s.title)?;
        write_aligned(&mut out, &s.headers, &s.rows, &[0])?;
    }
    Ok(())
}

/// Writes `rows` under `headers` as aligned text, each line indented two spaces,
/// the columns in `left` left-aligned and the rest right-aligned (widths in characters).
///
/// # Errors
/// I/O errors of the writer.
pub fn write_aligned<W: Write + ?Sized, H: AsRef<str>>(
    out: &mut W,
    headers: &[H],
    rows: &[Vec<String>],
    left: &[usize],
) -> std::io::Result<()> {
    let headers: Vec<&str> = headers.iter().map(AsRef::as_ref).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| super::one_line(c).into_owned()).collect())
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([headers[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| {
        cells
            .iter()
            .enumerate()
            .map(|(c, v)| {
                let pad = " ".repeat(widths[c] - v.chars().count());
                if left.contains(&c) {
                    format!("{v}{pad}")
                } else {
                    format!("{pad}{v}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(out, "  {}", line(&headers).trim_end())?;
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "  {}", line(&cells).trim_end())?;
    }
    Ok(())
}
