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
//! and for plans `bound {value, gap, method, achieved}`, `objective_value`,
//! `budget`, `capacity`; `gate` when one was asked for; `notes`; `elapsed_ms`.
//! Renaming a field is a breaking change.

use super::Report;
use std::io::Write;

/// Writes the report as pretty-printed JSON with a trailing newline.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_json<W: Write>(report: &Report, mut out: W) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)
}
