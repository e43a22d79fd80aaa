//! Places from a GIS feature table: the part that GeoPackage, Shapefile,
//! FlatGeobuf and GeoParquet share once each format's reader has turned its file
//! into columns, a coordinate system and a stream of features.
//!
//! Attributes are found by the same names, with the same `--*-col` overrides and
//! the same header matching as CSV columns (the matching lives in `csv.rs` and is
//! called from here, not repeated). Coordinates come from the geometry:
//! - Point: one place; MultiPoint: one place per point, the weight shared equally
//!   (as for GeoJSON).
//! - Polygon and MultiPolygon (service territories, store footprints): one place
//!   at the centroid, computed in the file's own coordinates, with a note saying
//!   how many features were taken so. A planner who exports districts expects
//!   them to count as the places they are; the note keeps it visible.
//! - Lines, empty and missing geometries: a located error (or skipped with
//!   `--skip-invalid`).
//!
//! A file that declares a coordinate system other than WGS84 is reprojected to
//! longitude/latitude through [`super::Crs`] when the system is an EPSG code it
//! knows, or read as metres when `--crs` names the same system; any other system
//! is refused by name.

use super::csv::{column, find};
use super::{
    Builder, Crs, GROUP_NAMES, ID_NAMES, InputError, LoadOptions, Location, PlaceSet, RawPlace,
    Role, WEIGHT_NAMES, clip, parse_number, weight_like,
};
use geo::{Centroid, Geometry};
use std::path::Path;

/// The coordinate system a file declares.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FileCrs {
    /// None declared (a Shapefile without `.prj`, an undefined GeoPackage SRS):
    /// read as `--crs` says, as for CSV.
    Unknown,
    /// An EPSG code.
    Epsg(u32),
    /// A system with no EPSG code outpost can find, by its name or definition.
    Other(String),
}

impl FileCrs {
    fn label(&self) -> String {
        match self {
            FileCrs::Unknown => "none declared".into(),
            FileCrs::Epsg(c) => format!("EPSG:{c}"),
            FileCrs::Other(name) => clip(name, 120),
        }
    }
}

/// What a reader found about a file before its features.
#[derive(Debug, Clone)]
pub(super) struct Table {
    /// The format's name for messages: `GeoPackage`, `Shapefile`...
    pub format: &'static str,
    /// The layer (GeoPackage table) read, for messages.
    pub layer: Option<String>,
    /// Attribute column names, in file order.
    pub columns: Vec<String>,
    /// The coordinate system of the geometries.
    pub crs: FileCrs,
}

/// One feature: its geometry (`None` when missing) and its attribute values as
/// text (`None` for null), one per [`Table::columns`].
#[derive(Debug, Clone, Default)]
pub(super) struct Feature {
    /// The geometry, in the file's coordinates.
    pub geometry: Option<Geometry<f64>>,
    /// The geometry could not be decoded: the decoder's words.
    pub geometry_error: Option<String>,
    /// The attribute values.
    pub values: Vec<Option<String>>,
}

/// Text for a finite or non-finite number, read back exactly by [`parse_number`].
pub(super) fn number_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else {
        v.to_string()
    }
}

/// Where a feature that could not be read sits, for [`unreadable`]: `:layer `x`, feature N`.
pub(super) fn at_record(layer: Option<String>, index: usize) -> String {
    format!(
        ":{}",
        Location::Record {
            layer,
            index,
            id: None
        }
    )
}

/// An error for a file that cannot be read as its format says.
pub(super) fn unreadable(
    path: &Path,
    format: &'static str,
    location: String,
    message: impl std::fmt::Display,
    hint: &str,
) -> InputError {
    InputError::Unreadable {
        path: path.to_path_buf(),
        format,
        location,
        message: clip(&message.to_string(), 300),
        hint: if hint.is_empty() {
            String::new()
        } else {
            format!("; {hint}")
        },
    }
}

/// How a file's coordinates become what the [`Builder`] reads.
enum Coords {
    /// Passed on as they are: degrees with a WGS84 run, metres with a `--crs` run.
    AsIs,
    /// Metres of this system, turned into WGS84 longitude/latitude here.
    Reproject(Crs),
}

/// Decides how to read the file's coordinates against `--crs`.
fn coords(path: &Path, table: &Table, opts: &LoadOptions) -> Result<(Coords, String), InputError> {
    let run = opts.crs.label();
    let refuse = |message: String, hint: &str| {
        Err(unreadable(
            path,
            table.format,
            layer_suffix(table),
            message,
            hint,
        ))
    };
    let fix = "reproject the file to WGS84 longitude/latitude (e.g. `ogr2ogr -t_srs EPSG:4326 out.gpkg in.gpkg`), or to a projected EPSG system in metres outpost knows (UTM zones EPSG:326xx/327xx, national grids)";
    match &table.crs {
        FileCrs::Unknown => Ok((
            Coords::AsIs,
            format!("no coordinate system declared: read as {run}"),
        )),
        // OGC:CRS84 is WGS84 with longitude first, as outpost reads it.
        FileCrs::Epsg(4326) => {
            if opts.crs.is_wgs84() {
                Ok((Coords::AsIs, "EPSG:4326".into()))
            } else {
                refuse(
                    format!(
                        "the file is in WGS84 longitude/latitude (EPSG:4326) but --crs says {run}"
                    ),
                    "leave out --crs to read it, or reproject the file to that system first",
                )
            }
        }
        FileCrs::Epsg(code) => {
            let file_label = format!("EPSG:{code}");
            if file_label == run {
                return Ok((Coords::AsIs, format!("{file_label}, metres as --crs says")));
            }
            if matches!(opts.crs, Crs::Planar) {
                return Ok((
                    Coords::AsIs,
                    format!("{file_label}, read as planar metres (--crs planar)"),
                ));
            }
            if !opts.crs.is_wgs84() {
                return refuse(
                    format!("the file is in {file_label} but --crs says {run}"),
                    &format!(
                        "leave out --crs to read it as longitude/latitude, pass --crs {file_label} to measure in its metres, or reproject the file to {run}"
                    ),
                );
            }
            match Crs::parse(&file_label) {
                Ok(crs @ Crs::Projected(_)) => Ok((
                    Coords::Reproject(crs),
                    format!("{file_label}, reprojected to WGS84 longitude/latitude"),
                )),
                Ok(_) => Ok((Coords::AsIs, file_label)),
                Err(why) => refuse(
                    format!("its coordinate system {file_label} cannot be read: {why}"),
                    fix,
                ),
            }
        }
        FileCrs::Other(_) => {
            if !opts.crs.is_wgs84() {
                // The user named the system; the file's own name for it had no code.
                Ok((
                    Coords::AsIs,
                    format!("declared as {}, read as {run} (--crs)", table.crs.label()),
                ))
            } else {
                refuse(
                    format!(
                        "its coordinate system has no EPSG code outpost knows: {}",
                        table.crs.label()
                    ),
                    &format!(
                        "{fix}; or, if it is a projected EPSG system, name it with --crs EPSG:CODE"
                    ),
                )
            }
        }
    }
}

fn layer_suffix(table: &Table) -> String {
    match &table.layer {
        Some(l) => format!(": layer `{}`", clip(l, 60)),
        None => String::new(),
    }
}

/// The points a geometry gives, and whether they are a centroid.
fn points_of(g: &Geometry<f64>) -> Result<(Vec<(f64, f64)>, bool), String> {
    let centroid = |c: Option<geo::Point<f64>>, kind: &str| {
        c.map(|p| (vec![(p.x(), p.y())], true))
            .ok_or_else(|| format!("empty {kind}"))
    };
    match g {
        Geometry::Point(p) => Ok((vec![(p.x(), p.y())], false)),
        Geometry::MultiPoint(mp) if mp.0.is_empty() => Err("empty MultiPoint".into()),
        Geometry::MultiPoint(mp) => Ok((mp.0.iter().map(|p| (p.x(), p.y())).collect(), false)),
        Geometry::Polygon(p) => centroid(p.centroid(), "Polygon"),
        Geometry::MultiPolygon(p) => centroid(p.centroid(), "MultiPolygon"),
        Geometry::Rect(r) => Ok((vec![(r.center().x, r.center().y)], true)),
        Geometry::GeometryCollection(gc) => {
            // A collection of points (as some writers store a MultiPoint).
            let mut out = Vec::new();
            for g in gc.iter() {
                match g {
                    Geometry::Point(p) => out.push((p.x(), p.y())),
                    other => return Err(format!("GeometryCollection with a {}", kind(other))),
                }
            }
            if out.is_empty() {
                Err("empty GeometryCollection".into())
            } else {
                Ok((out, false))
            }
        }
        other => Err(kind(other).to_string()),
    }
}

fn kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// The columns a feature table's fields come from.
struct Fields {
    weight: Option<usize>,
    id: Option<usize>,
    name: Option<usize>,
    group: Option<usize>,
    cost: Option<usize>,
    capacity: Option<usize>,
    fixed: Option<usize>,
}

/// Finds the fields' columns as the CSV loader does, by name or by override.
fn fields(
    path: &Path,
    headers: &[String],
    role: Role,
    opts: &LoadOptions,
) -> Result<Fields, InputError> {
    let weight = if role == Role::Demand {
        column(
            path,
            headers,
            opts.weight_col.as_ref(),
            WEIGHT_NAMES,
            "--weight-col",
        )?
    } else {
        None
    };
    let id = column(path, headers, opts.id_col.as_ref(), ID_NAMES, "--id-col")?;
    let group = if role == Role::Demand {
        column(
            path,
            headers,
            opts.group_col.as_ref(),
            GROUP_NAMES,
            "--group-col",
        )?
    } else {
        match &opts.group_col {
            Some(g) => find(headers, &[g.as_str()]),
            None => find(headers, GROUP_NAMES),
        }
    };
    let f = Fields {
        weight,
        id,
        name: find(headers, &["name"]),
        group,
        cost: find(headers, &["cost"]),
        capacity: find(headers, &["capacity"]),
        fixed: find(headers, &["fixed"]),
    };
    let named = [
        (f.weight, "weight", "--weight-col"),
        (f.id, "id", "--id-col"),
        (f.group, "group", "--group-col"),
        (f.cost, "cost", "a `cost` column"),
        (f.capacity, "capacity", "a `capacity` column"),
        (f.fixed, "fixed", "a `fixed` column"),
    ];
    for (i, &(a, what_a, flag_a)) in named.iter().enumerate() {
        let Some(a) = a else { continue };
        for &(b, what_b, flag_b) in &named[i + 1..] {
            if b == Some(a) {
                return Err(InputError::SameColumn {
                    path: path.to_path_buf(),
                    column: clip(&headers[a], 80),
                    first: what_a,
                    second: what_b,
                    flags: format!("{flag_a}, {flag_b}"),
                });
            }
        }
    }
    Ok(f)
}

/// Loads the places of a feature table.
///
/// # Errors
/// [`InputError`] naming the file, layer, feature (position and id), column and value.
pub(super) fn load(
    path: &Path,
    table: &Table,
    features: &mut dyn Iterator<Item = Result<Feature, InputError>>,
    role: Role,
    opts: &LoadOptions,
) -> Result<PlaceSet, InputError> {
    let headers = &table.columns;
    let f = fields(path, headers, role, opts).map_err(|e| match e {
        // A missing override names the layer too: a GeoPackage has several.
        InputError::NoSuchColumn {
            path,
            flag,
            name,
            found,
        } => InputError::NoSuchColumn {
            path,
            flag,
            name,
            found: format!("{found}{}", layer_suffix(table).replace(": ", " in ")),
        },
        other => other,
    })?;
    let (mode, crs_note) = coords(path, table, opts)?;
    // The Builder reads degrees unless `--crs` names metres; reprojected
    // coordinates are degrees, so the run's CRS applies as it is.
    let mut b = Builder::new(path.to_path_buf(), role, opts);
    b.cols.lon = "geometry x".into();
    b.cols.lat = "geometry y".into();
    let col = |i: Option<usize>| i.map(|i| headers[i].clone()).unwrap_or_default();
    b.cols.weight = col(f.weight);
    b.cols.cost = col(f.cost);
    b.cols.capacity = col(f.capacity);
    b.cols.fixed = col(f.fixed);
    let named = |i: Option<usize>| i.map_or("none".to_string(), |i| headers[i].clone());
    let mut note = format!(
        "{role} file {} ({}{}): coordinates=geometry ({crs_note})",
        path.display(),
        table.format,
        table
            .layer
            .as_ref()
            .map(|l| format!(", layer `{}`", clip(l, 60)))
            .unwrap_or_default(),
    );
    if role == Role::Demand {
        note.push_str(&match f.weight {
            Some(w) => format!(", weight={}", headers[w]),
            None => ", weight=none (every place weighs 1)".to_string(),
        });
    }
    note.push_str(&format!(", id={}, group={}", named(f.id), named(f.group)));
    b.set.notes.push(note);

    // The first features decide the weight-column warning, as the first rows do for CSV.
    let mut first: Vec<Result<Feature, InputError>> = Vec::new();
    if role == Role::Demand && f.weight.is_none() {
        while first.len() < 50 {
            match features.next() {
                Some(f) => first.push(f),
                None => break,
            }
        }
        let used = [f.id, f.name, f.group, f.cost, f.capacity, f.fixed];
        let like = headers.iter().enumerate().find(|(i, h)| {
            !used.contains(&Some(*i)) && weight_like(h) && {
                let vals: Vec<&str> = first
                    .iter()
                    .filter_map(|r| r.as_ref().ok())
                    .filter_map(|ft| ft.values.get(*i)?.as_deref())
                    .filter(|v| !v.trim().is_empty())
                    .collect();
                !vals.is_empty() && vals.iter().all(|v| parse_number(v, false).is_ok())
            }
        });
        if let Some((_, h)) = like {
            b.set.warnings.push(format!(
                "demand file {}: no weight column ({}), so every place weighs 1, but column `{}` looks like one: pass --weight-col {:?} to use it",
                path.display(),
                WEIGHT_NAMES.join(", "),
                clip(h, 80),
                clip(h, 80),
            ));
        }
    }

    let mut centroids = 0usize;
    for (index0, feature) in first.into_iter().chain(features).enumerate() {
        let index = index0 + 1;
        let feature = match feature {
            Ok(ft) => ft,
            Err(e) => {
                b.skip_or_fail(e)?;
                continue;
            }
        };
        let get = |i: Option<usize>| i.and_then(|i| feature.values.get(i)?.as_deref());
        let id = get(f.id).map(str::to_string);
        let loc = Location::Record {
            layer: table.layer.clone(),
            index,
            id: id.clone().filter(|s| !s.trim().is_empty()),
        };
        let bad = |problem: String, value: String, hint: &str| InputError::BadValue {
            path: path.to_path_buf(),
            location: loc.clone(),
            column: "geometry".into(),
            value: clip(&value, 80),
            problem,
            hint: format!("; {hint}"),
        };
        let skip_hint = "outpost reads Point and MultiPoint features, and Polygon and MultiPolygon features at their centroid; fix or remove the feature, or pass --skip-invalid to skip such features";
        let points = match (&feature.geometry, &feature.geometry_error) {
            // GeoPackage and WKB write an empty point as NaN coordinates.
            (_, Some(err)) if err.contains("empty Point") => Err(bad(
                "an empty Point (no coordinates, or NaN)".into(),
                "POINT EMPTY".into(),
                skip_hint,
            )),
            (_, Some(err)) => Err(bad(
                "the geometry cannot be decoded".into(),
                err.clone(),
                "the file may be damaged or truncated: export it again",
            )),
            (None, None) => Err(bad("no geometry".into(), "NULL".into(), skip_hint)),
            (Some(g), None) => {
                points_of(g).map_err(|k| bad(format!("a {k}"), k.clone(), skip_hint))
            }
        };
        let (points, centroid) = match points {
            Ok(p) => p,
            Err(e) => {
                b.skip_or_fail(e)?;
                continue;
            }
        };
        centroids += usize::from(centroid);
        let n = points.len();
        let weight = get(f.weight)
            .map(str::to_string)
            .or_else(|| f.weight.map(|_| String::new()));
        // A MultiPoint's weight is shared equally among its points, so totals hold.
        let share = match (&weight, n) {
            (Some(t), n) if n > 1 => t
                .trim()
                .parse::<f64>()
                .ok()
                .map(|w| (w / n as f64).to_string()),
            _ => None,
        };
        for (k, &(x, y)) in points.iter().enumerate() {
            let (lon, lat) = match &mode {
                Coords::Reproject(crs) if x.is_finite() && y.is_finite() => {
                    match crs.to_lon_lat(x, y) {
                        Some((lon, lat)) => (number_text(lon), number_text(lat)),
                        None => {
                            b.skip_or_fail(bad(
                                format!("cannot be turned into longitude/latitude from {}", crs.label()),
                                format!("{} {}", number_text(x), number_text(y)),
                                "check that the point lies in the area of the file's coordinate system",
                            ))?;
                            continue;
                        }
                    }
                }
                _ => (number_text(x), number_text(y)),
            };
            let pid = match (&id, n) {
                (Some(id), 1) => Some(id.clone()),
                (Some(id), _) => Some(format!("{}#{k}", id.trim())),
                (None, 1) => None,
                (None, _) => Some(format!("feature{index}#{k}")),
            };
            let raw = RawPlace {
                lon: Some(&lon),
                lat: Some(&lat),
                weight: share.as_deref().or(weight.as_deref()),
                id: pid,
                name: get(f.name).map(str::to_string),
                group: get(f.group).map(str::to_string),
                cost: get(f.cost),
                capacity: get(f.capacity),
                fixed: get(f.fixed),
            };
            b.push(loc.clone(), raw)?;
        }
    }
    if centroids > 0 {
        b.set.notes.push(format!(
            "{role} file {}: {centroids} polygon feature(s) taken at their centroid",
            path.display()
        ));
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPoint, Point, polygon};

    #[test]
    fn points_polygons_and_what_is_refused() {
        let p: Geometry<f64> = Point::new(1.0, 2.0).into();
        assert_eq!(points_of(&p).unwrap(), (vec![(1.0, 2.0)], false));
        let mp: Geometry<f64> = MultiPoint::from(vec![(1.0, 2.0), (3.0, 4.0)]).into();
        assert_eq!(points_of(&mp).unwrap().0.len(), 2);
        // A unit square's centroid is its middle, by hand.
        let sq: Geometry<f64> =
            polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)].into();
        assert_eq!(points_of(&sq).unwrap(), (vec![(1.0, 1.0)], true));
        let line: Geometry<f64> = geo::LineString::from(vec![(0.0, 0.0), (1.0, 1.0)]).into();
        assert_eq!(points_of(&line).unwrap_err(), "LineString");
        let empty: Geometry<f64> = MultiPoint::<f64>(vec![]).into();
        assert!(points_of(&empty).unwrap_err().contains("empty"));
    }

    #[test]
    fn numbers_read_back_exactly() {
        for v in [0.1, 104.06667, -1e-300, 5e20, 123_456_789.123_456_79] {
            assert_eq!(parse_number(&number_text(v), false).unwrap(), v);
        }
        assert!(
            parse_number(&number_text(f64::NAN), false)
                .unwrap()
                .is_nan()
        );
    }
}
