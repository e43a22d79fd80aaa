//! Long-form CSV writer: one row per value, `section,key,field,value`, so a
//! script can pick any figure with a filter (e.g. `section=tier,key=50`).

use super::Report;
use std::io::Write;

/// Writes the report as long-form CSV.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_csv<W: Write>(r: &Report, out: W) -> std::io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    let mut row = |section: &str, key: &str, field: &str, value: String| {
        w.write_record([section, key, field, &value])
    };
    row("section", "key", "field", "value".into())?;
    row("run", "", "command", r.command.clone())?;
    row(
        "run",
        "",
        "objective",
        r.objective.clone().unwrap_or_default(),
    )?;
    row("run", "", "radius_km", r.radius_km.to_string())?;
    row("run", "", "radius_label", r.radius_label.clone())?;
    row("run", "", "distance_model", r.distance_model.to_string())?;
    row("run", "", "unit", r.unit.to_string())?;
    if let Some(c) = r.circuity {
        row("run", "", "circuity", c.to_string())?;
    }
    row("demand", "", "points", r.demand.points.to_string())?;
    row(
        "demand",
        "",
        "total_weight",
        r.demand.total_weight.to_string(),
    )?;
    row("run", "", "candidates", r.candidates.to_string())?;
    row(
        "coverage",
        "",
        "covered_weight",
        r.coverage.covered_weight.to_string(),
    )?;
    row(
        "coverage",
        "",
        "covered_fraction",
        r.coverage.covered_fraction.to_string(),
    )?;
    row(
        "coverage",
        "",
        "covered_points",
        r.coverage.covered_points.to_string(),
    )?;
    for t in &r.tiers {
        let k = t.radius_km.to_string();
        row("tier", &k, "label", t.label.clone())?;
        row("tier", &k, "covered_weight", t.covered_weight.to_string())?;
        row(
            "tier",
            &k,
            "covered_fraction",
            t.covered_fraction.to_string(),
        )?;
        row("tier", &k, "covered_points", t.covered_points.to_string())?;
    }
    if let Some(d) = &r.distance_km {
        for (f, v) in [
            ("mean", d.mean),
            ("p50", d.p50),
            ("p90", d.p90),
            ("max", d.max),
        ] {
            row("distance_km", "", f, v.to_string())?;
        }
    }
    for s in &r.sites {
        row("site", &s.id, "status", s.status.to_string())?;
        row("site", &s.id, "lon", s.lon.to_string())?;
        row("site", &s.id, "lat", s.lat.to_string())?;
        if let Some(k) = s.rank {
            row("site", &s.id, "rank", k.to_string())?;
        }
        if let Some(m) = s.marginal_weight {
            row("site", &s.id, "marginal_weight", m.to_string())?;
        }
        row(
            "site",
            &s.id,
            "covered_weight",
            s.covered_weight.to_string(),
        )?;
        row(
            "site",
            &s.id,
            "assigned_weight",
            s.assigned_weight.to_string(),
        )?;
        for (f, v) in [
            ("cost", s.cost),
            ("capacity", s.capacity),
            ("utilisation", s.utilisation),
        ] {
            if let Some(v) = v {
                row("site", &s.id, f, v.to_string())?;
            }
        }
        if let Some(e) = s.engineers {
            row("site", &s.id, "engineers", e.to_string())?;
        }
    }
    for g in &r.groups {
        row("group", &g.group, "points", g.points.to_string())?;
        row(
            "group",
            &g.group,
            "total_weight",
            g.total_weight.to_string(),
        )?;
        row(
            "group",
            &g.group,
            "covered_weight",
            g.covered_weight.to_string(),
        )?;
        row(
            "group",
            &g.group,
            "covered_fraction",
            g.covered_fraction.to_string(),
        )?;
    }
    for u in &r.uncovered {
        row("uncovered", &u.id, "weight", u.weight.to_string())?;
        if let Some(d) = u.distance_km {
            row("uncovered", &u.id, "distance_km", d.to_string())?;
        }
    }
    if let Some(b) = &r.bound {
        row("bound", "", "value", b.value.to_string())?;
        row("bound", "", "gap", b.gap.to_string())?;
        row("bound", "", "method", b.method.clone())?;
    }
    if let Some(v) = &r.objective_value {
        row("objective", "", v.measure, v.value.to_string())?;
    }
    if let Some(b) = &r.budget {
        row("budget", "", "budget", b.budget.to_string())?;
        row("budget", "", "spent", b.spent.to_string())?;
        row("budget", "", "remaining", b.remaining.to_string())?;
    }
    if let Some(c) = &r.capacity {
        row(
            "capacity",
            "",
            "within_reach_weight",
            c.within_reach_weight.to_string(),
        )?;
        row(
            "capacity",
            "",
            "assigned_weight",
            c.assigned_weight.to_string(),
        )?;
        row(
            "capacity",
            "",
            "over_capacity_weight",
            c.over_capacity_weight.to_string(),
        )?;
    }
    if let Some(g) = &r.gate {
        row("gate", "", "min_coverage", g.min_coverage.to_string())?;
        row("gate", "", "reached", g.reached.to_string())?;
        row("gate", "", "passed", g.passed.to_string())?;
    }
    row("run", "", "elapsed_ms", r.elapsed_ms.to_string())?;
    w.flush()
}

/// Writes open sites as CSV: `id,name,lon,lat,status,rank,marginal_weight,
/// covered_weight,assigned_weight,load,cost,capacity,utilisation,engineers`.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_sites_csv<W: Write + ?Sized>(
    sites: &[super::SiteReport],
    out: &mut W,
) -> std::io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "name",
        "lon",
        "lat",
        "status",
        "rank",
        "marginal_weight",
        "covered_weight",
        "assigned_weight",
        "load",
        "cost",
        "capacity",
        "utilisation",
        "engineers",
    ])?;
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    for s in sites {
        w.write_record([
            s.id.clone(),
            s.name.clone().unwrap_or_default(),
            s.lon.to_string(),
            s.lat.to_string(),
            s.status.to_string(),
            s.rank.map_or(String::new(), |k| k.to_string()),
            opt(s.marginal_weight),
            s.covered_weight.to_string(),
            s.assigned_weight.to_string(),
            s.assigned_weight.to_string(),
            opt(s.cost),
            opt(s.capacity),
            opt(s.utilisation),
            s.engineers.map_or(String::new(), |e| e.to_string()),
        ])?;
    }
    w.flush()
}
