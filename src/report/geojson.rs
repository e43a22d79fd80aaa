//! GeoJSON writer for open sites: a FeatureCollection of Points whose
//! properties are the site fields of the report.

use super::SiteReport;
use serde_json::{Value, json};
use std::io::Write;

/// Writes sites as a GeoJSON FeatureCollection.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_sites_geojson<W: Write + ?Sized>(
    sites: &[SiteReport],
    out: &mut W,
) -> std::io::Result<()> {
    let features: Vec<Value> = sites
        .iter()
        .map(|s| {
            let mut props = serde_json::to_value(s).expect("site reports serialise");
            if let Some(o) = props.as_object_mut() {
                o.remove("lon");
                o.remove("lat");
                o.insert("load".into(), json!(s.assigned_weight));
            }
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": props,
            })
        })
        .collect();
    let doc = json!({"type": "FeatureCollection", "features": features});
    serde_json::to_writer(&mut *out, &doc)?;
    writeln!(out)
}
