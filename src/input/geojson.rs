//! GeoJSON loader: a FeatureCollection (or a single Feature) of Point and
//! MultiPoint features; fields are looked up in `properties` by the same names
//! as CSV columns.

use super::{
    Builder, GROUP_NAMES, ID_NAMES, InputError, LoadOptions, Location, PlaceSet, RawPlace, Role,
    WEIGHT_NAMES,
};
use serde_json::{Map, Value};
use std::path::Path;

fn property<'a>(
    props: &'a Map<String, Value>,
    overriden: Option<&String>,
    names: &[&str],
) -> Option<(&'a str, &'a Value)> {
    let lookup = |n: &str| {
        props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(k, v)| (k.as_str(), v))
    };
    match overriden {
        Some(name) => lookup(name),
        None => names.iter().find_map(|n| lookup(n)),
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

pub(super) fn load(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
) -> Result<PlaceSet, InputError> {
    let gj_err = |location: String, message: String| InputError::GeoJson {
        path: path.to_path_buf(),
        location,
        message,
    };
    let root: Value = serde_json::from_slice(bytes)
        .map_err(|e| gj_err(format!(":{}:{}", e.line(), e.column()), e.to_string()))?;
    let kind = root.get("type").and_then(Value::as_str).unwrap_or("");
    let features: Vec<Value> = match kind {
        "FeatureCollection" => match root.get("features") {
            Some(Value::Array(f)) => f.clone(),
            _ => {
                return Err(gj_err(
                    String::new(),
                    "a FeatureCollection needs a `features` array".into(),
                ));
            }
        },
        "Feature" => vec![root.clone()],
        "" => {
            return Err(gj_err(
                String::new(),
                "the top level has no `type`; expected a FeatureCollection".into(),
            ));
        }
        other => {
            return Err(gj_err(
                String::new(),
                format!(
                    "the top level is a {other}; expected a FeatureCollection of Point features"
                ),
            ));
        }
    };
    let mut b = Builder::new(path.to_path_buf(), role, opts);
    let empty = Map::new();
    for (index, feature) in features.iter().enumerate() {
        let loc = Location::Feature(index);
        let Some(obj) = feature.as_object() else {
            b.skip_or_fail(InputError::BadValue {
                path: path.to_path_buf(),
                location: loc,
                column: "feature".into(),
                value: feature.to_string().chars().take(40).collect(),
                problem: "not a JSON object".into(),
                hint: "; each entry of `features` must be a Feature object".into(),
            })?;
            continue;
        };
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let points: Vec<Vec<f64>> = match obj.get("geometry") {
            None | Some(Value::Null) => {
                b.skip_or_fail(InputError::UnsupportedGeometry {
                    path: path.to_path_buf(),
                    index,
                    found: "feature without geometry".into(),
                })?;
                continue;
            }
            Some(g) => match serde_json::from_value::<::geojson::Geometry>(g.clone()) {
                Ok(geom) => match geom.value {
                    ::geojson::GeometryValue::Point { coordinates } => {
                        vec![coordinates.as_slice().to_vec()]
                    }
                    ::geojson::GeometryValue::MultiPoint { coordinates } => {
                        coordinates.iter().map(|c| c.as_slice().to_vec()).collect()
                    }
                    other => {
                        b.skip_or_fail(InputError::UnsupportedGeometry {
                            path: path.to_path_buf(),
                            index,
                            found: other.type_name().to_string(),
                        })?;
                        continue;
                    }
                },
                Err(e) => {
                    b.skip_or_fail(InputError::BadValue {
                        path: path.to_path_buf(),
                        location: loc,
                        column: "geometry".into(),
                        value: g.to_string().chars().take(60).collect(),
                        problem: format!("invalid geometry ({e})"),
                        hint: "; a Point is {\"type\": \"Point\", \"coordinates\": [lon, lat]}"
                            .into(),
                    })?;
                    continue;
                }
            },
        };
        let weight = if role == Role::Demand {
            property(props, opts.weight_col.as_ref(), WEIGHT_NAMES)
        } else {
            None
        };
        if let Some((k, _)) = weight {
            b.cols.weight = k.to_string();
        }
        let id = property(props, opts.id_col.as_ref(), ID_NAMES)
            .and_then(|(_, v)| text(v))
            .or_else(|| obj.get("id").and_then(text));
        let name = property(props, None, &["name"]).and_then(|(_, v)| text(v));
        let group =
            property(props, opts.group_col.as_ref(), GROUP_NAMES).and_then(|(_, v)| text(v));
        let cost = property(props, None, &["cost"]);
        let capacity = property(props, None, &["capacity"]);
        b.cols.cost = cost.map(|(k, _)| k.to_string()).unwrap_or_default();
        b.cols.capacity = capacity.map(|(k, _)| k.to_string()).unwrap_or_default();
        // A MultiPoint's weight is shared equally among its points, so totals hold.
        let n = points.len().max(1);
        let weight_text = weight.and_then(|(_, v)| text(v));
        let share = match (&weight_text, n) {
            (Some(t), n) if n > 1 => t
                .trim()
                .parse::<f64>()
                .ok()
                .map(|w| (w / n as f64).to_string()),
            _ => None,
        };
        let cost_text = cost.and_then(|(_, v)| text(v));
        let cap_text = capacity.and_then(|(_, v)| text(v));
        for (k, p) in points.iter().enumerate() {
            b.cols.lon = "coordinates[0]".into();
            b.cols.lat = "coordinates[1]".into();
            let lon = p.first().map(|v| v.to_string());
            let lat = p.get(1).map(|v| v.to_string());
            let pid = match (&id, n) {
                (Some(id), 1) => Some(id.clone()),
                (Some(id), _) => Some(format!("{id}#{k}")),
                (None, 1) => None,
                (None, _) => Some(format!("feature{index}#{k}")),
            };
            let raw = RawPlace {
                lon: lon.as_deref(),
                lat: lat.as_deref(),
                weight: share.as_deref().or(weight_text.as_deref()),
                id: pid,
                name: name.clone(),
                group: group.clone(),
                cost: cost_text.as_deref(),
                capacity: cap_text.as_deref(),
            };
            b.push(loc.clone(), raw)?;
        }
    }
    b.finish()
}
