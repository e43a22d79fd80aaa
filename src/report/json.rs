//! JSON writer.
//!
//! The document is one object with the fields of [`Report`]: `command`,
//! `objective`, `radius_km`, `radius_label` (the radius as given: `100 mi`), `demand {points, total_weight, skipped}`,
//! `candidates`, `sites [{id, name?, lon, lat, status, rank, marginal_weight,
//! covered_weight, assigned_weight, cost?, capacity?, utilisation?, engineers?}]`,
//! `coverage {covered_weight, covered_fraction, covered_points}`,
//! `tiers [{radius_km, label, covered_weight, covered_fraction, covered_points}]`,
//! `distance_km {mean, p50, p90, max}` (null without sites), `groups [{group,
//! points, total_weight, covered_weight, covered_fraction}]`, `uncovered [...]`,
//! and for plans `bound {value, gap, method, achieved, proven}` (`proven` only with `--exact`), `objective_value`,
//! `budget`, `capacity`; `gate` when one was asked for; `notes`; `elapsed_ms`.
//! Renaming a field is a breaking change.
//!
//! A run on a travel-cost matrix (`distance_model` `cost_matrix`) measures in
//! the matrix's unit (`unit`: `min`, `s`, `km`, ...), not in great-circle
//! kilometres, so its document says `radius` and `distance` where other runs
//! say `radius_km` and `distance_km` (in `tiers` and `uncovered` too), and
//! the other command documents (batch, sweep, scenarios) likewise.

use super::Report;
use std::io::Write;

/// Writes the report as pretty-printed JSON with a trailing newline.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_json<W: Write>(report: &Report, mut out: W) -> std::io::Result<()> {
    if report.is_cost_matrix() {
        let text = serde_json::to_string_pretty(report)?;
        out.write_all(unit_free(&text).as_bytes())?;
    } else {
        serde_json::to_writer_pretty(&mut out, report)?;
    }
    writeln!(out)
}

/// Renames the km-named keys of a JSON document to their unit-free names
/// (`radius_km` -> `radius`, `distance_km` -> `distance`,
/// `mean_distance_km` -> `mean_distance`), at every depth and in place, for
/// runs whose unit is not great-circle km (a cost matrix). Only keys change:
/// inside a JSON string every `"` is escaped, so `"radius_km":` with a bare
/// quote is always a key.
pub fn unit_free(json: &str) -> String {
    json.replace("\"radius_km\":", "\"radius\":")
        .replace("\"distance_km\":", "\"distance\":")
        .replace("\"mean_distance_km\":", "\"mean_distance\":")
}
