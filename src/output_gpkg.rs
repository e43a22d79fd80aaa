//! GeoPackage outputs (`--sites-out`, `--assignments-out`, `--areas-out` with a
//! `.gpkg` name): one feature layer in WGS84 (EPSG:4326), so a planner opens one
//! file in QGIS or any GDAL tool.
//!
//! The layer's attributes are exactly the columns (or properties) the CSV and
//! GeoJSON writers produce, so every format says the same thing: the rows are
//! written once by those writers and carried over here, with a point geometry
//! from their `lon`/`lat` columns, or the GeoJSON geometries as they are.
//!
//! The file is built in an in-memory SQLite database (`rusqlite`, bundled SQLite)
//! and serialised to the writer, so it goes through the same atomic temp-file
//! and rename as every other output ([`crate::output::write_atomic`]). Geometry
//! blobs (the GeoPackage header, then WKB) are encoded by `geozero`. The
//! `last_change` time stamp is fixed so the same run gives the same bytes.

use geo::{BoundingRect, Geometry};
use geozero::CoordDimensions;
use geozero::ToWkb;
use rusqlite::{Connection, MAIN_DB, params_from_iter, types::Value};
use std::io::{self, Write};

const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// A time stamp for `gpkg_contents.last_change`: fixed, so outputs are reproducible.
const LAST_CHANGE: &str = "1970-01-01T00:00:00.000Z";

/// The SQL type of a column, chosen from its values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ColumnType {
    Integer,
    Real,
    Text,
}

impl ColumnType {
    fn sql(self) -> &'static str {
        match self {
            ColumnType::Integer => "INTEGER",
            ColumnType::Real => "REAL",
            ColumnType::Text => "TEXT",
        }
    }
}

fn sqlite_err(e: rusqlite::Error) -> io::Error {
    io::Error::other(format!("building the GeoPackage: {e}"))
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Ids read as numbers in one run and text in another would change a column's
/// type: columns named `id`, `*_id`, `name` and `group` are always text.
fn always_text(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id" || n.ends_with("_id") || n == "name" || n == "group" || n.ends_with("_name")
}

fn column_type(name: &str, values: &mut dyn Iterator<Item = &str>) -> ColumnType {
    if always_text(name) {
        return ColumnType::Text;
    }
    let mut ty = ColumnType::Integer;
    let mut any = false;
    for v in values.filter(|v| !v.is_empty()) {
        any = true;
        if ty == ColumnType::Integer && v.parse::<i64>().is_err() {
            ty = ColumnType::Real;
        }
        if ty == ColumnType::Real && v.parse::<f64>().is_err() {
            return ColumnType::Text;
        }
    }
    if any { ty } else { ColumnType::Text }
}

fn cell(ty: ColumnType, v: &str) -> Value {
    if v.is_empty() && ty != ColumnType::Text {
        return Value::Null;
    }
    match ty {
        ColumnType::Integer => v.parse().map_or(Value::Null, Value::Integer),
        ColumnType::Real => v.parse().map_or(Value::Null, Value::Real),
        ColumnType::Text => Value::Text(v.to_string()),
    }
}

/// One layer to write.
struct Layer<'a> {
    name: &'a str,
    /// GeoPackage geometry type name: `POINT`, `MULTIPOLYGON`, `GEOMETRY`.
    geometry_type: &'a str,
    columns: Vec<(String, ColumnType)>,
}

/// Creates the GeoPackage tables and the layer's table.
fn create(conn: &Connection, layer: &Layer<'_>) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA application_id = 1196444487; PRAGMA user_version = 10200;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
           definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
           identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL,
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
           CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
           CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
           CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
           CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));",
    )?;
    let mut srs =
        conn.prepare("INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    srs.execute((
        "Undefined cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined cartesian coordinate reference system",
    ))?;
    srs.execute((
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system",
    ))?;
    srs.execute((
        "WGS 84 geodetic",
        4326,
        "EPSG",
        4326,
        WGS84_WKT,
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
    ))?;
    let cols: String = layer
        .columns
        .iter()
        .map(|(n, t)| format!(", {} {}", quoted(n), t.sql()))
        .collect();
    conn.execute_batch(&format!(
        "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {}{cols});",
        quoted(layer.name),
        layer.geometry_type
    ))?;
    // The layer's bounds are filled in once its rows are written.
    conn.execute(
        "INSERT INTO gpkg_contents VALUES (?1, 'features', ?1, '', ?2, NULL, NULL, NULL, NULL, 4326)",
        (layer.name, LAST_CHANGE),
    )?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 4326, 0, 0)",
        (layer.name, layer.geometry_type),
    )?;
    Ok(())
}

/// A geometry as a GeoPackage blob (with its envelope, except for points).
fn blob(g: &Geometry<f64>) -> io::Result<Vec<u8>> {
    let envelope = match (g, g.bounding_rect()) {
        (Geometry::Point(_), _) | (_, None) => Vec::new(),
        (_, Some(r)) => vec![r.min().x, r.max().x, r.min().y, r.max().y],
    };
    g.to_gpkg_wkb(CoordDimensions::xy(), Some(4326), envelope)
        .map_err(|e| io::Error::other(format!("encoding a geometry: {e}")))
}

/// Writes one layer: `rows` are (geometry, one text value per column).
fn write_layer(
    name: &str,
    geometry_type: &str,
    header: &[String],
    rows: &[(Option<Geometry<f64>>, Vec<String>)],
    w: &mut dyn Write,
) -> io::Result<()> {
    let columns: Vec<(String, ColumnType)> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut values = rows.iter().map(|r| r.1[i].as_str());
            (h.clone(), column_type(h, &mut values))
        })
        .collect();
    let layer = Layer {
        name,
        geometry_type,
        columns,
    };
    let mut conn = Connection::open_in_memory().map_err(sqlite_err)?;
    create(&conn, &layer).map_err(sqlite_err)?;
    let mut bounds: Option<geo::Rect<f64>> = None;
    {
        let tx = conn.transaction().map_err(sqlite_err)?;
        {
            let placeholders: String = (0..=layer.columns.len())
                .map(|i| format!("?{}", i + 1))
                .collect::<Vec<_>>()
                .join(", ");
            let names: String = layer
                .columns
                .iter()
                .map(|(n, _)| format!(", {}", quoted(n)))
                .collect();
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO {} (geom{names}) VALUES ({placeholders})",
                    quoted(name)
                ))
                .map_err(sqlite_err)?;
            for (geom, values) in rows {
                let g = match geom {
                    Some(g) => {
                        if let Some(r) = g.bounding_rect() {
                            bounds = Some(match bounds {
                                None => r,
                                Some(b) => geo::Rect::new(
                                    (b.min().x.min(r.min().x), b.min().y.min(r.min().y)),
                                    (b.max().x.max(r.max().x), b.max().y.max(r.max().y)),
                                ),
                            });
                        }
                        Value::Blob(blob(g)?)
                    }
                    None => Value::Null,
                };
                let params = std::iter::once(g).chain(
                    layer
                        .columns
                        .iter()
                        .zip(values)
                        .map(|((_, t), v)| cell(*t, v)),
                );
                insert
                    .execute(params_from_iter(params))
                    .map_err(sqlite_err)?;
            }
        }
        let (min_x, min_y, max_x, max_y) = match bounds {
            Some(b) => (
                Some(b.min().x),
                Some(b.min().y),
                Some(b.max().x),
                Some(b.max().y),
            ),
            None => (None, None, None, None),
        };
        tx.execute(
            "UPDATE gpkg_contents SET min_x = ?2, min_y = ?3, max_x = ?4, max_y = ?5 WHERE table_name = ?1",
            rusqlite::params![name, min_x, min_y, max_x, max_y],
        )
        .map_err(sqlite_err)?;
        tx.commit().map_err(sqlite_err)?;
    }
    let data = conn.serialize(MAIN_DB).map_err(sqlite_err)?;
    w.write_all(&data)
}

/// The tables listed in an existing GeoPackage's `gpkg_contents` other than
/// `layer`: what replacing the file with a one-layer file would delete.
/// Empty when the file does not exist or is not a GeoPackage.
pub fn other_layers(path: &std::path::Path, layer: &str) -> Vec<String> {
    use rusqlite::OpenFlags;
    if !path.is_file() {
        return Vec::new();
    }
    let Ok(conn) = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return Vec::new();
    };
    let Ok(mut stmt) = conn.prepare("SELECT table_name FROM gpkg_contents ORDER BY table_name")
    else {
        return Vec::new();
    };
    let Ok(rows) = stmt.query_map([], |r| r.get::<_, String>(0)) else {
        return Vec::new();
    };
    rows.flatten().filter(|t| t != layer).collect()
}

/// Writes the rows of a CSV table (as outpost's CSV writers produce them) as a
/// point layer: each row's point from its `lon` and `lat` columns (no geometry
/// where they are empty), every column kept as an attribute.
///
/// # Errors
/// A CSV without `lon`/`lat` columns, and write errors.
pub fn write_csv_as_points(layer: &str, csv: &[u8], w: &mut dyn Write) -> io::Result<()> {
    let mut reader = ::csv::Reader::from_reader(csv);
    let header: Vec<String> = reader
        .headers()
        .map_err(io::Error::other)?
        .iter()
        .map(str::to_string)
        .collect();
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| io::Error::other(format!("the {layer} table has no `{name}` column")))
    };
    let (lon, lat) = (at("lon")?, at("lat")?);
    let mut rows = Vec::new();
    for r in reader.records() {
        let r = r.map_err(io::Error::other)?;
        let num = |i: usize| {
            r.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        let geom = match (num(lon), num(lat)) {
            (Some(x), Some(y)) => Some(Geometry::Point(geo::Point::new(x, y))),
            _ => None,
        };
        rows.push((geom, r.iter().map(str::to_string).collect()));
    }
    write_layer(layer, "POINT", &header, &rows, w)
}

/// Writes a GeoJSON FeatureCollection (as outpost's GeoJSON writers produce it)
/// as a polygon layer: each feature's geometry, and its properties as columns
/// in the order they first appear.
///
/// # Errors
/// A document that is not a FeatureCollection, and write errors.
pub fn write_geojson_as_layer(layer: &str, geojson: &[u8], w: &mut dyn Write) -> io::Result<()> {
    let fc: geojson::FeatureCollection =
        serde_json::from_slice(geojson).map_err(io::Error::other)?;
    let mut header: Vec<String> = Vec::new();
    for f in &fc.features {
        for k in f.properties.iter().flat_map(|p| p.keys()) {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }
    let mut rows = Vec::new();
    let mut polygons = true;
    for f in fc.features {
        let geom = match f.geometry {
            Some(g) => Some(Geometry::<f64>::try_from(g).map_err(io::Error::other)?),
            None => None,
        };
        // One geometry type per layer: polygons become multipolygons.
        let geom = geom.map(|g| match g {
            Geometry::Polygon(p) => Geometry::MultiPolygon(geo::MultiPolygon(vec![p])),
            other => other,
        });
        polygons &= geom
            .as_ref()
            .is_none_or(|g| matches!(g, Geometry::MultiPolygon(_)));
        let values = header
            .iter()
            .map(|k| match f.properties.as_ref().and_then(|p| p.get(k)) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            })
            .collect();
        rows.push((geom, values));
    }
    let ty = if polygons { "MULTIPOLYGON" } else { "GEOMETRY" };
    write_layer(layer, ty, &header, &rows, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_follow_the_values_and_ids_stay_text() {
        let ty = |name: &str, v: &[&str]| column_type(name, &mut v.iter().copied());
        assert_eq!(ty("rank", &["1", "", "3"]), ColumnType::Integer);
        assert_eq!(ty("lon", &["1", "2.5"]), ColumnType::Real);
        assert_eq!(ty("status", &["new", "1"]), ColumnType::Text);
        assert_eq!(ty("id", &["1", "2"]), ColumnType::Text);
        assert_eq!(ty("site_id", &["1"]), ColumnType::Text);
        assert_eq!(ty("empty", &["", ""]), ColumnType::Text);
    }

    #[test]
    fn a_point_layer_reads_back_with_its_rows_and_srs() {
        let csv = b"id,lon,lat,rank\nA,104.5,30.25,1\nB,,,2\n";
        let mut out = Vec::new();
        write_csv_as_points("sites", csv, &mut out).unwrap();
        assert!(out.starts_with(b"SQLite format 3\0"));
        let mut conn = Connection::open_in_memory().unwrap();
        conn.deserialize_read_exact(MAIN_DB, out.as_slice(), out.len(), true)
            .unwrap();
        let srs: i64 = conn
            .query_row(
                "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='sites'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(srs, 4326);
        let rows: Vec<(String, Option<Vec<u8>>, i64)> = conn
            .prepare("SELECT id, geom, rank FROM sites ORDER BY fid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, "A");
        assert_eq!(rows[1].2, 2);
        assert!(rows[1].1.is_none());
        use geozero::ToGeo;
        let g = geozero::wkb::GpkgWkb(rows[0].1.clone().unwrap())
            .to_geo()
            .unwrap();
        assert_eq!(g, Geometry::Point(geo::Point::new(104.5, 30.25)));
        // The same input gives the same bytes.
        let mut again = Vec::new();
        write_csv_as_points("sites", csv, &mut again).unwrap();
        assert_eq!(out, again);
    }
}
