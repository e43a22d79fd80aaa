//! GeoJSON loader: a FeatureCollection (or a single Feature) of Point and
//! MultiPoint features; fields are looked up in `properties` by the same names
//! as CSV columns.

use super::{
    Builder, GROUP_NAMES, ID_NAMES, InputError, LoadOptions, Location, PlaceSet, RawPlace, Role,
    WEIGHT_NAMES, clip, parse_number, weight_like,
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
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
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
                    "the top level is a {}; expected a FeatureCollection of Point features",
                    clip(other, 40)
                ),
            ));
        }
    };
    let mut b = Builder::new(path.to_path_buf(), role, opts);
    let empty = Map::new();
    let props_of = |f: &'_ Value| -> Option<Map<String, Value>> {
        f.get("properties").and_then(Value::as_object).cloned()
    };
    // The weight property of the collection: named by --weight-col, else the first
    // weight name any feature has. Once the collection has one, a feature without a
    // value for it is an empty cell, not a weight of 1.
    let weight_key: Option<String> = if role != Role::Demand {
        None
    } else if let Some(w) = &opts.weight_col {
        let found = features
            .iter()
            .filter_map(props_of)
            .find_map(|p| property(&p, Some(w), &[]).map(|(k, _)| k.to_string()));
        match found {
            Some(k) => Some(k),
            None => {
                let mut keys: Vec<String> = features
                    .iter()
                    .filter_map(props_of)
                    .flat_map(|p| p.keys().cloned().collect::<Vec<_>>())
                    .collect();
                keys.sort();
                keys.dedup();
                return Err(InputError::NoSuchColumn {
                    path: path.to_path_buf(),
                    flag: "--weight-col",
                    name: clip(w, 80),
                    found: keys
                        .iter()
                        .take(30)
                        .map(|k| format!("`{}`", clip(k, 40)))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
    } else {
        features
            .iter()
            .filter_map(props_of)
            .find_map(|p| property(&p, None, WEIGHT_NAMES).map(|(k, _)| k.to_string()))
    };
    if let Some(k) = &weight_key {
        b.cols.weight = k.clone();
    }
    let first_props = features.iter().find_map(props_of).unwrap_or_default();
    let key_of = |names: &[&str], over: Option<&String>| {
        property(&first_props, over, names).map_or("none".to_string(), |(k, _)| k.to_string())
    };
    // Every field from its own property, as for CSV columns.
    let fields = [
        (weight_key.clone(), "weight", "--weight-col"),
        (
            property(&first_props, opts.id_col.as_ref(), ID_NAMES).map(|(k, _)| k.to_string()),
            "id",
            "--id-col",
        ),
        (
            property(&first_props, opts.group_col.as_ref(), GROUP_NAMES)
                .map(|(k, _)| k.to_string()),
            "group",
            "--group-col",
        ),
    ];
    for (i, (a, what_a, flag_a)) in fields.iter().enumerate() {
        for (b, what_b, flag_b) in &fields[i + 1..] {
            if let (Some(a), Some(b)) = (a, b)
                && a.eq_ignore_ascii_case(b)
            {
                return Err(InputError::SameColumn {
                    path: path.to_path_buf(),
                    column: clip(a, 80),
                    first: what_a,
                    second: what_b,
                    flags: format!("{flag_a}, {flag_b}"),
                });
            }
        }
    }
    let mut note = if opts.crs.is_wgs84() {
        format!(
            "{role} file {} (GeoJSON): lon/lat=geometry coordinates",
            path.display()
        )
    } else {
        format!(
            "{role} file {} (GeoJSON): x/y=geometry coordinates (metres, --crs {})",
            path.display(),
            opts.crs.label()
        )
    };
    if role == Role::Demand {
        note.push_str(&match &weight_key {
            Some(k) => format!(", weight={k}"),
            None => ", weight=none (every place weighs 1)".to_string(),
        });
    }
    note.push_str(&format!(
        ", id={}, group={}",
        match key_of(ID_NAMES, opts.id_col.as_ref()).as_str() {
            "none" => "the feature id".to_string(),
            k => k.to_string(),
        },
        key_of(GROUP_NAMES, opts.group_col.as_ref())
    ));
    b.set.notes.push(note);
    if role == Role::Demand && weight_key.is_none() {
        let like = first_props.iter().find(|(k, v)| {
            weight_like(k)
                && match v {
                    Value::Number(_) => true,
                    Value::String(s) => parse_number(s, false).is_ok(),
                    _ => false,
                }
        });
        if let Some((k, _)) = like {
            b.set.warnings.push(format!(
                "demand file {}: no weight property ({}), so every place weighs 1, but property `{}` looks like one: pass --weight-col {:?} to use it",
                path.display(),
                WEIGHT_NAMES.join(", "),
                clip(k, 80),
                clip(k, 80),
            ));
        }
    }
    for (index0, feature) in features.iter().enumerate() {
        // Features are numbered from 1 in messages, as CSV lines are.
        let index = index0 + 1;
        let loc = Location::Feature(index);
        let Some(obj) = feature.as_object() else {
            b.skip_or_fail(InputError::BadValue {
                path: path.to_path_buf(),
                location: loc,
                column: "feature".into(),
                value: clip(&feature.to_string(), 40),
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
                        if coordinates.is_empty() {
                            b.skip_or_fail(InputError::BadValue {
                                path: path.to_path_buf(),
                                location: loc,
                                column: "geometry".into(),
                                value: "MultiPoint []".into(),
                                problem: "empty MultiPoint: the feature has no place".into(),
                                hint: "; give it coordinates, remove the feature, or pass --skip-invalid to skip such features".into(),
                            })?;
                            continue;
                        }
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
                        value: clip(&g.to_string(), 60),
                        problem: format!("invalid geometry ({e})"),
                        hint: "; a Point is {\"type\": \"Point\", \"coordinates\": [lon, lat]}"
                            .into(),
                    })?;
                    continue;
                }
            },
        };
        let weight = weight_key
            .as_ref()
            .map(|k| property(props, Some(k), &[]).and_then(|(_, v)| text(v)));
        let id = property(props, opts.id_col.as_ref(), ID_NAMES)
            .and_then(|(_, v)| text(v))
            .or_else(|| obj.get("id").and_then(text));
        let name = property(props, None, &["name"]).and_then(|(_, v)| text(v));
        let group =
            property(props, opts.group_col.as_ref(), GROUP_NAMES).and_then(|(_, v)| text(v));
        let cost = property(props, None, &["cost"]);
        let capacity = property(props, None, &["capacity"]);
        let fixed = property(props, None, &["fixed"]);
        b.cols.fixed = fixed.map(|(k, _)| k.to_string()).unwrap_or_default();
        b.cols.cost = cost.map(|(k, _)| k.to_string()).unwrap_or_default();
        b.cols.capacity = capacity.map(|(k, _)| k.to_string()).unwrap_or_default();
        // A MultiPoint's weight is shared equally among its points, so totals hold.
        let n = points.len().max(1);
        // A missing or null weight where the collection has a weight is an empty cell.
        let weight_text = weight.map(Option::unwrap_or_default);
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
        let fixed_text = fixed.and_then(|(_, v)| text(v));
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
                fixed: fixed_text.as_deref(),
            };
            b.push(loc.clone(), raw)?;
        }
    }
    b.finish()
}
