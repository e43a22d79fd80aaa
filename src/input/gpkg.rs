//! GeoPackage loader: a SQLite file (read through `rusqlite`'s bundled SQLite,
//! from the bytes already read, so standard input works too) whose
//! `gpkg_contents` and `gpkg_geometry_columns` tables name the feature layers and
//! their geometry columns. Geometries are GeoPackage binary blobs (a small header,
//! then WKB), decoded by `geozero`. `--layer NAME` picks a layer; a file with one
//! layer needs none; several and no `--layer` is an error listing them.

use super::features::{self, Feature, FileCrs, Table, at_record, number_text, unreadable};
use super::{InputError, LoadOptions, PlaceSet, Role, clip};
use geozero::ToGeo;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, MAIN_DB, OpenFlags};
use std::path::Path;

const FORMAT: &str = "GeoPackage";

/// A SQL identifier, quoted.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One feature layer of the file.
struct Layer {
    table: String,
    geometry: String,
    srs_id: i64,
}

fn layers(conn: &Connection) -> rusqlite::Result<Vec<Layer>> {
    let mut stmt = conn.prepare(
        "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
         JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
         WHERE lower(c.data_type) = 'features' ORDER BY c.table_name",
    )?;
    stmt.query_map([], |r| {
        Ok(Layer {
            table: r.get(0)?,
            geometry: r.get(1)?,
            srs_id: r.get(2)?,
        })
    })?
    .collect()
}

fn file_crs(conn: &Connection, srs_id: i64) -> rusqlite::Result<FileCrs> {
    // -1 and 0 are the specification's undefined Cartesian and geographic systems.
    if srs_id == -1 || srs_id == 0 {
        return Ok(FileCrs::Unknown);
    }
    let mut stmt = conn.prepare(
        "SELECT organization, organization_coordsys_id, srs_name FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
    )?;
    let mut rows = stmt.query([srs_id])?;
    let Some(row) = rows.next()? else {
        return Ok(FileCrs::Other(format!(
            "srs_id {srs_id} (not in gpkg_spatial_ref_sys)"
        )));
    };
    let org: Option<String> = row.get(0)?;
    let code: Option<i64> = row.get(1)?;
    let name: Option<String> = row.get(2)?;
    Ok(match (org, code) {
        (Some(o), Some(c)) if o.eq_ignore_ascii_case("EPSG") && c > 0 => {
            FileCrs::Epsg(u32::try_from(c).unwrap_or(0))
        }
        (o, c) => FileCrs::Other(format!(
            "{} ({}:{})",
            name.unwrap_or_else(|| format!("srs_id {srs_id}")),
            o.unwrap_or_default(),
            c.unwrap_or_default()
        )),
    })
}

fn text_of(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(number_text(f)),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Some(format!("<{} bytes>", b.len())),
    }
}

pub(super) fn load(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
) -> Result<PlaceSet, InputError> {
    let sql = |e: rusqlite::Error| {
        let message = e.to_string();
        let hint = if message.contains("not a database") || message.contains("malformed") {
            "the file is not a GeoPackage, or it is damaged or truncated: export it again (e.g. from QGIS, or `ogr2ogr -f GPKG out.gpkg in.csv`)"
        } else if message.contains("no such table") {
            "the file is a SQLite database without the GeoPackage tables (gpkg_contents, gpkg_geometry_columns): save it as a GeoPackage"
        } else {
            ""
        };
        unreadable(path, FORMAT, String::new(), message, hint)
    };
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )
    .map_err(sql)?;
    conn.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), true)
        .map_err(sql)?;
    let all = layers(&conn).map_err(sql)?;
    let names = || {
        all.iter()
            .map(|l| format!("`{}`", clip(&l.table, 60)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let layer = match &opts.layer {
        Some(want) => all
            .iter()
            .find(|l| l.table == *want)
            .or_else(|| all.iter().find(|l| l.table.eq_ignore_ascii_case(want)))
            .ok_or_else(|| {
                unreadable(
                    path,
                    FORMAT,
                    String::new(),
                    format!("--layer {:?} names no feature layer", clip(want, 60)),
                    &if all.is_empty() {
                        "the file has no feature layers".to_string()
                    } else {
                        format!("its feature layers are {}", names())
                    },
                )
            })?,
        None => match all.as_slice() {
            [one] => one,
            [] => {
                return Err(unreadable(
                    path,
                    FORMAT,
                    String::new(),
                    "the file has no feature layers (gpkg_contents lists none with data_type 'features')",
                    "save the places as a point layer",
                ));
            }
            _ => {
                return Err(unreadable(
                    path,
                    FORMAT,
                    String::new(),
                    format!("the file has {} feature layers: {}", all.len(), names()),
                    "pick one with --layer NAME",
                ));
            }
        },
    };
    let crs = file_crs(&conn, layer.srs_id).map_err(sql)?;
    let at = format!(": layer `{}`", clip(&layer.table, 60));
    let in_layer = |e: rusqlite::Error| {
        unreadable(
            path,
            FORMAT,
            at.clone(),
            e.to_string(),
            "the layer's table is missing or damaged: export the file again",
        )
    };
    // Attribute columns: all but the geometry and the integer primary key (fid).
    let mut columns: Vec<String> = Vec::new();
    let mut key: Option<String> = None;
    {
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_info({})", quoted(&layer.table)))
            .map_err(in_layer)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .map_err(in_layer)?;
        for row in rows {
            let (name, ty, pk) = row.map_err(in_layer)?;
            if name.eq_ignore_ascii_case(&layer.geometry) {
                continue;
            }
            if pk > 0 && ty.is_some_and(|t| t.eq_ignore_ascii_case("INTEGER")) {
                key = Some(name);
                continue;
            }
            columns.push(name);
        }
    }
    let select = format!(
        "SELECT {}{} FROM {}{}",
        quoted(&layer.geometry),
        columns
            .iter()
            .map(|c| format!(", {}", quoted(c)))
            .collect::<String>(),
        quoted(&layer.table),
        key.as_ref()
            .map(|k| format!(" ORDER BY {}", quoted(k)))
            .unwrap_or_default(),
    );
    let table = Table {
        format: FORMAT,
        layer: Some(layer.table.clone()),
        columns,
        crs,
    };
    let mut stmt = conn.prepare(&select).map_err(in_layer)?;
    let n = table.columns.len();
    let mut rows = stmt.query([]).map_err(in_layer)?;
    let mut index = 0usize;
    let mut next = || -> Option<Result<Feature, InputError>> {
        index += 1;
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => return None,
            Err(e) => {
                return Some(Err(unreadable(
                    path,
                    FORMAT,
                    at_record(table.layer.clone(), index),
                    e,
                    "the file may be damaged or truncated: export it again",
                )));
            }
        };
        let mut ft = Feature {
            values: (1..=n)
                .map(|i| row.get_ref(i).ok().and_then(text_of))
                .collect(),
            ..Feature::default()
        };
        match row.get_ref(0) {
            Ok(ValueRef::Blob(blob)) => match geozero::wkb::GpkgWkb(blob).to_geo() {
                Ok(g) => ft.geometry = Some(g),
                Err(e) => ft.geometry_error = Some(e.to_string()),
            },
            Ok(ValueRef::Null) | Err(_) => {}
            Ok(other) => {
                ft.geometry_error = Some(format!(
                    "the geometry column holds {:?}, not a GeoPackage geometry blob",
                    other.data_type()
                ));
            }
        }
        Some(Ok(ft))
    };
    let mut features = std::iter::from_fn(&mut next);
    features::load(path, &table, &mut features, role, opts)
}
