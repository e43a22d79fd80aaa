//! Service areas as data (`--areas-out FILE.geojson`): each open site's
//! service area per radius tier as a GeoJSON Polygon or MultiPolygon, the same
//! geodesic circles the map draws, split at the antimeridian (clipped to the
//! world box with its ±360° copies) so GIS software such as QGIS opens them
//! unchanged.

use super::clip::{LonLatBox, clip, service_area};
use crate::report::Report;
use anyhow::{Result, bail};
use geo::orient::{Direction, Orient};
use geo::{LineString, MultiPolygon};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

/// Checks that `--areas-out` names a file type it can write (`.geojson` or `.json`).
///
/// # Errors
/// Any other extension: an unknown extension is never written as something else.
pub fn check_path(path: &Path) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("geojson" | "json") => Ok(()),
        _ => bail!(
            "--areas-out {}: service areas are written as GeoJSON; name the file .geojson",
            path.display()
        ),
    }
}

/// Coordinates at 1e-6° (about 0.1 m), so output is compact and stable.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn ring_json(ring: &LineString<f64>) -> Value {
    Value::Array(
        ring.coords()
            .map(|c| {
                // The clipper works in fixed point: keep its last-digit noise off the seams.
                json!([
                    round6(c.x).clamp(-180.0, 180.0),
                    round6(c.y).clamp(-90.0, 90.0)
                ])
            })
            .collect(),
    )
}

/// The service area of a site at `km` as it is written: split at the antimeridian,
/// exteriors counter-clockwise (RFC 7946).
pub fn area_shape(lon: f64, lat: f64, km: f64) -> MultiPolygon<f64> {
    clip(&service_area(lon, lat, km), &LonLatBox::WORLD).orient(Direction::Default)
}

fn geometry(shape: &MultiPolygon<f64>) -> Value {
    let polys: Vec<Value> = shape
        .iter()
        .map(|p| {
            Value::Array(
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(ring_json)
                    .collect(),
            )
        })
        .collect();
    if polys.len() == 1 {
        json!({"type": "Polygon", "coordinates": polys[0]})
    } else {
        json!({"type": "MultiPolygon", "coordinates": polys})
    }
}

/// Writes the service areas of every open site in `report`, one feature per site and
/// tier, as a GeoJSON FeatureCollection.
///
/// Properties: `site_id`, `name` (when the site has one), `status` (`existing` or `new`),
/// `rank` (new sites), `tier` (1 = the main radius) and `radius_km`; with a
/// detour factor also `circuity` and `straight_line_km`, the circle drawn.
///
/// # Errors
/// I/O errors.
pub fn write_areas_geojson<W: Write>(report: &Report, out: W) -> std::io::Result<()> {
    write_areas_geojson_with(report, None, out)
}

/// [`write_areas_geojson`], with sites in a projected system: given `unproject`,
/// a site with projected metres gets the circle in the plane, turned into
/// longitude/latitude ([`crate::render::clip::plane_area`]), and the properties
/// add `crs`.
///
/// # Errors
/// I/O errors.
pub fn write_areas_geojson_with<W: Write>(
    report: &Report,
    unproject: Option<&crate::render::clip::Unproject<'_>>,
    mut out: W,
) -> std::io::Result<()> {
    let mut features = Vec::new();
    for s in report.open_sites() {
        for (t, tier) in report.tiers.iter().enumerate() {
            let km = report.crow_km(tier.radius_km);
            let shape = match (unproject, s.x, s.y) {
                (Some(f), Some(x), Some(y)) => clip(
                    &crate::render::clip::plane_area(x, y, s.lon, km, f),
                    &LonLatBox::WORLD,
                )
                .orient(Direction::Default),
                _ => area_shape(s.lon, s.lat, km),
            };
            if shape.0.is_empty() {
                continue;
            }
            let mut props = serde_json::Map::new();
            props.insert("site_id".into(), json!(s.id));
            if let Some(n) = &s.name {
                props.insert("name".into(), json!(n));
            }
            props.insert("status".into(), json!(s.status));
            if let Some(r) = s.rank {
                props.insert("rank".into(), json!(r));
            }
            props.insert("tier".into(), json!(t + 1));
            props.insert("radius_km".into(), json!(tier.radius_km));
            if unproject.is_some()
                && let Some(c) = &report.crs
            {
                props.insert("crs".into(), json!(c));
            }
            if let Some(c) = report.circuity {
                // The polygon is the straight-line circle the detoured radius stands for.
                props.insert("circuity".into(), json!(c));
                props.insert(
                    "straight_line_km".into(),
                    json!(report.crow_km(tier.radius_km)),
                );
            }
            features.push(json!({
                "type": "Feature",
                "properties": Value::Object(props),
                "geometry": geometry(&shape),
            }));
        }
    }
    let doc = json!({"type": "FeatureCollection", "features": features});
    serde_json::to_writer(&mut out, &doc)?;
    writeln!(out)
}
