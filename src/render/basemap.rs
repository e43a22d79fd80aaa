//! Base maps: country outlines (Natural Earth 1:110m), and province or state
//! outlines where the data is in China or the USA, all public domain and
//! embedded in the binary; or any polygons from a GeoJSON file.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;

const WORLD: &str = include_str!("../../data/world_countries_110m.geojson");
const CHINA: &str = include_str!("../../data/china_provinces.geojson");
const USA: &str = include_str!("../../data/us_states.geojson");

/// A ring of lon/lat vertices.
pub type Ring = Vec<(f64, f64)>;

/// One layer of outlines.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    /// Polygons, each a list of rings (outer first).
    pub polygons: Vec<Vec<Ring>>,
    /// Draw as a fine inner boundary (provinces/states) rather than land.
    pub inner: bool,
}

/// Which base map to draw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BaseMap {
    /// Countries, plus provinces/states for data in China or the USA.
    #[default]
    Auto,
    /// Polygons from a GeoJSON file.
    File(std::path::PathBuf),
    /// None.
    None,
}

fn ring(v: &Value) -> Option<Ring> {
    v.as_array()?
        .iter()
        .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .collect()
}

/// The features of a GeoJSON document: a FeatureCollection's, or one Feature.
fn features(doc: &Value) -> Vec<&Value> {
    match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => doc
            .get("features")
            .and_then(Value::as_array)
            .map(|f| f.iter().collect())
            .unwrap_or_default(),
        Some("Feature") => vec![doc],
        _ => Vec::new(),
    }
}

fn polygons(doc: &Value) -> Vec<Vec<Ring>> {
    let mut out = Vec::new();
    let features = features(doc);
    for f in features {
        let Some(g) = f.get("geometry") else { continue };
        let coords = g.get("coordinates");
        match g.get("type").and_then(Value::as_str) {
            Some("Polygon") => {
                if let Some(rings) = coords.and_then(Value::as_array) {
                    out.push(rings.iter().filter_map(ring).collect());
                }
            }
            Some("MultiPolygon") => {
                for poly in coords.and_then(Value::as_array).into_iter().flatten() {
                    if let Some(rings) = poly.as_array() {
                        out.push(rings.iter().filter_map(ring).collect());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Checks every polygon vertex of a `--basemap` file like any other input:
/// two finite numbers, WGS84 longitude and latitude in degrees.
fn validate(path: &Path, doc: &Value) -> Result<()> {
    let features = features(doc);
    let fail = |k: usize, what: String| {
        anyhow::anyhow!(
            "--basemap {}: feature {}: {what}; base map coordinates must be WGS84 [longitude, latitude] in degrees",
            path.display(),
            k + 1
        )
    };
    for (k, f) in features.iter().enumerate() {
        let Some(g) = f.get("geometry").filter(|g| !g.is_null()) else {
            continue;
        };
        let depth = match g.get("type").and_then(Value::as_str) {
            Some("Polygon") => 2,
            Some("MultiPolygon") => 3,
            _ => continue,
        };
        let mut stack = vec![(g.get("coordinates").unwrap_or(&Value::Null), depth)];
        while let Some((v, d)) = stack.pop() {
            let Some(items) = v.as_array() else {
                return Err(fail(
                    k,
                    format!("coordinates are not nested lists: {}", short(v)),
                ));
            };
            if d > 0 {
                stack.extend(items.iter().map(|x| (x, d - 1)));
                continue;
            }
            let num = |i: usize| items.get(i).and_then(Value::as_f64);
            let (Some(lon), Some(lat)) = (num(0), num(1)) else {
                return Err(fail(
                    k,
                    format!("the position {} is not two numbers", short(v)),
                ));
            };
            if !(-180.000001..=180.000001).contains(&lon) {
                return Err(fail(
                    k,
                    format!("longitude {} is outside -180..180", crate::units::show(lon)),
                ));
            }
            if !(-90.000001..=90.000001).contains(&lat) {
                return Err(fail(
                    k,
                    format!("latitude {} is outside -90..90", crate::units::show(lat)),
                ));
            }
        }
    }
    Ok(())
}

/// A JSON value cut to a readable length for messages.
fn short(v: &Value) -> String {
    crate::sphere::clip(&v.to_string())
}

fn share_in(points: &[(f64, f64)], lon: (f64, f64), lat: (f64, f64)) -> f64 {
    if points.is_empty() {
        return 0.0;
    }
    let n = points
        .iter()
        .filter(|p| p.0 >= lon.0 && p.0 <= lon.1 && p.1 >= lat.0 && p.1 <= lat.1)
        .count();
    n as f64 / points.len() as f64
}

/// The layers to draw for `points` (demand and sites), and the attribution of their source.
///
/// # Errors
/// A `--basemap` file that cannot be read or holds no polygons.
pub fn layers(choice: &BaseMap, points: &[(f64, f64)]) -> Result<(Vec<Layer>, &'static str)> {
    match choice {
        BaseMap::None => Ok((Vec::new(), "")),
        BaseMap::File(path) => Ok((vec![load_file(path)?], "")),
        BaseMap::Auto => {
            let parse =
                |s: &str| polygons(&serde_json::from_str(s).expect("embedded GeoJSON is valid"));
            let mut out = vec![Layer {
                polygons: parse(WORLD),
                inner: false,
            }];
            let mut credit = "boundaries: Natural Earth (public domain)";
            if share_in(points, (73.0, 135.5), (18.0, 54.0)) > 0.5 {
                out.push(Layer {
                    polygons: parse(CHINA),
                    inner: true,
                });
            } else if share_in(points, (-125.0, -66.0), (24.0, 50.0)) > 0.5 {
                out.push(Layer {
                    polygons: parse(USA),
                    inner: true,
                });
                credit = "boundaries: Natural Earth, US Census Bureau (public domain)";
            }
            Ok((out, credit))
        }
    }
}

fn load_file(path: &Path) -> Result<Layer> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--basemap {}: cannot read the file", path.display()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "--basemap {}:{}:{}: not valid JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    validate(path, &doc)?;
    let polys = polygons(&doc);
    if polys.is_empty() {
        bail!(
            "--basemap {}: no Polygon or MultiPolygon features in the file",
            path.display()
        );
    }
    Ok(Layer {
        polygons: polys,
        inner: false,
    })
}
