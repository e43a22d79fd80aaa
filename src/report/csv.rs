//! Long-form CSV writer: one row per value, `section,key,field,value`, so a
//! script can pick any figure with a filter (e.g. `section=tier,key=50`).

use super::Report;
use super::table::{groups_table, sites_table, tiers_table, uncovered_table};
use super::tabular::write_long_csv;
use std::io::Write;

/// Writes the report as long-form CSV.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_csv<W: Write>(r: &Report, out: W) -> std::io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    fn rec<W: Write>(
        w: &mut ::csv::Writer<W>,
        section: &str,
        key: &str,
        field: &str,
        value: String,
    ) -> std::io::Result<()> {
        Ok(w.write_record([section, key, field, &value])?)
    }
    rec(&mut w, "section", "key", "field", "value".into())?;
    rec(&mut w, "run", "", "command", r.command.to_string())?;
    rec(
        &mut w,
        "run",
        "",
        "objective",
        r.objective.clone().unwrap_or_default(),
    )?;
    rec(&mut w, "run", "", "radius_km", r.radius_km.to_string())?;
    rec(&mut w, "run", "", "radius_label", r.radius_label.clone())?;
    rec(
        &mut w,
        "run",
        "",
        "distance_model",
        r.distance_model.to_string(),
    )?;
    rec(&mut w, "run", "", "unit", r.unit.to_string())?;
    if let Some(c) = r.circuity {
        rec(&mut w, "run", "", "circuity", c.to_string())?;
    }
    rec(&mut w, "demand", "", "points", r.demand.points.to_string())?;
    rec(
        &mut w,
        "demand",
        "",
        "total_weight",
        r.demand.total_weight.to_string(),
    )?;
    rec(&mut w, "run", "", "candidates", r.candidates.to_string())?;
    rec(
        &mut w,
        "coverage",
        "",
        "covered_weight",
        r.coverage.covered_weight.to_string(),
    )?;
    rec(
        &mut w,
        "coverage",
        "",
        "covered_fraction",
        r.coverage.covered_fraction.to_string(),
    )?;
    rec(
        &mut w,
        "coverage",
        "",
        "covered_points",
        r.coverage.covered_points.to_string(),
    )?;
    write_long_csv(&tiers_table(r), &mut w)?;
    if let Some(d) = &r.distance_km {
        for (f, v) in [
            ("mean", d.mean),
            ("p50", d.p50),
            ("p90", d.p90),
            ("max", d.max),
        ] {
            rec(&mut w, "distance_km", "", f, v.to_string())?;
        }
    }
    write_long_csv(&sites_table(r), &mut w)?;
    write_long_csv(&groups_table(r), &mut w)?;
    write_long_csv(&uncovered_table(r), &mut w)?;
    if let Some(b) = &r.bound {
        rec(&mut w, "bound", "", "value", b.value.to_string())?;
        rec(&mut w, "bound", "", "gap", b.gap.to_string())?;
        rec(&mut w, "bound", "", "method", b.method.clone())?;
        rec(&mut w, "bound", "", "achieved", b.achieved.to_string())?;
        if let Some(p) = b.proven {
            rec(&mut w, "bound", "", "proven", p.to_string())?;
        }
    }
    if let Some(v) = &r.objective_value {
        rec(
            &mut w,
            "objective",
            "",
            v.measure.as_str(),
            v.value.to_string(),
        )?;
    }
    if let Some(b) = &r.budget {
        rec(&mut w, "budget", "", "budget", b.budget.to_string())?;
        rec(&mut w, "budget", "", "spent", b.spent.to_string())?;
        rec(&mut w, "budget", "", "remaining", b.remaining.to_string())?;
    }
    if let Some(c) = &r.capacity {
        rec(
            &mut w,
            "capacity",
            "",
            "within_reach_weight",
            c.within_reach_weight.to_string(),
        )?;
        rec(
            &mut w,
            "capacity",
            "",
            "assigned_weight",
            c.assigned_weight.to_string(),
        )?;
        rec(
            &mut w,
            "capacity",
            "",
            "over_capacity_weight",
            c.over_capacity_weight.to_string(),
        )?;
    }
    if let Some(g) = &r.gate {
        rec(
            &mut w,
            "gate",
            "",
            "min_coverage",
            g.min_coverage.to_string(),
        )?;
        rec(&mut w, "gate", "", "reached", g.reached.to_string())?;
        rec(&mut w, "gate", "", "passed", g.passed.to_string())?;
    }
    rec(&mut w, "run", "", "elapsed_ms", r.elapsed_ms.to_string())?;
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
        "unique_weight",
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
            s.unique_weight.to_string(),
        ])?;
    }
    w.flush()
}
