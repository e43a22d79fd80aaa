//! GeoParquet loader, through the `parquet` crate (built without Arrow, with
//! Snappy, the compression pyarrow, GeoPandas and GDAL write by default). The
//! file's `geo` metadata names the primary geometry column, its encoding (WKB is
//! read) and its coordinate system (PROJJSON; absent means OGC:CRS84, i.e. WGS84
//! longitude/latitude); the WKB is decoded by `geozero`. Other columns are read as
//! attributes, looked up by name as CSV columns are.

use super::features::{self, Feature, FileCrs, Table, at_record, number_text, unreadable};
use super::{InputError, LoadOptions, PlaceSet, Role, clip};
use geozero::ToGeo;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde_json::Value;
use std::path::Path;

const FORMAT: &str = "GeoParquet";

/// The coordinate system of a GeoParquet column's `crs` (PROJJSON).
fn crs_of(column: &Value) -> FileCrs {
    match column.get("crs") {
        // The specification's default: OGC:CRS84.
        None => FileCrs::Epsg(4326),
        Some(Value::Null) => FileCrs::Unknown,
        Some(crs) => {
            let id = crs.get("id");
            let authority = id
                .and_then(|i| i.get("authority"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let code = id.and_then(|i| i.get("code"));
            let code_text = match code {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            if authority.eq_ignore_ascii_case("EPSG")
                && let Ok(c) = code_text.parse::<u32>()
            {
                return FileCrs::Epsg(c);
            }
            if authority.eq_ignore_ascii_case("OGC") && code_text.eq_ignore_ascii_case("CRS84") {
                return FileCrs::Epsg(4326);
            }
            let name = crs
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| crs.to_string());
            FileCrs::Other(name)
        }
    }
}

fn text_of(f: &Field) -> Option<String> {
    Some(match f {
        Field::Null => return None,
        Field::Str(s) => s.clone(),
        Field::Double(d) => number_text(*d),
        Field::Float(v) => v.to_string(),
        Field::Bool(b) => b.to_string(),
        Field::Byte(v) => v.to_string(),
        Field::Short(v) => v.to_string(),
        Field::Int(v) => v.to_string(),
        Field::Long(v) => v.to_string(),
        Field::UByte(v) => v.to_string(),
        Field::UShort(v) => v.to_string(),
        Field::UInt(v) => v.to_string(),
        Field::ULong(v) => v.to_string(),
        Field::Bytes(b) => format!("<{} bytes>", b.len()),
        other => other.to_string(),
    })
}

pub(super) fn load(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
) -> Result<PlaceSet, InputError> {
    let refuse =
        |message: String, hint: &str| unreadable(path, FORMAT, String::new(), message, hint);
    let damaged = "the file is not Parquet, or it is damaged or truncated: export it again";
    let reader = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes))
        .map_err(|e| refuse(e.to_string(), damaged))?;
    let meta = reader.metadata().file_metadata();
    let geo = meta
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.clone())
        .ok_or_else(|| {
            refuse(
                "no `geo` metadata: a Parquet file without GeoParquet's geometry description".into(),
                "write it as GeoParquet (GeoPandas `to_parquet`, `ogr2ogr -f Parquet`), or export the places as CSV with lon/lat columns",
            )
        })?;
    let geo: Value = serde_json::from_str(&geo)
        .map_err(|e| refuse(format!("the `geo` metadata is not JSON: {e}"), damaged))?;
    let primary = geo
        .get("primary_column")
        .and_then(Value::as_str)
        .ok_or_else(|| refuse("the `geo` metadata names no primary_column".into(), damaged))?
        .to_string();
    let column = geo
        .get("columns")
        .and_then(|c| c.get(&primary))
        .cloned()
        .unwrap_or(Value::Null);
    let encoding = column
        .get("encoding")
        .and_then(Value::as_str)
        .unwrap_or("WKB");
    if !encoding.eq_ignore_ascii_case("WKB") {
        return Err(refuse(
            format!(
                "geometry column `{}` is encoded as {}; outpost reads WKB geometries",
                clip(&primary, 60),
                clip(encoding, 40)
            ),
            "write the file with WKB geometries (the GeoParquet default: GeoPandas `to_parquet(geometry_encoding=\"WKB\")`, GDAL `-lco GEOMETRY_ENCODING=WKB`)",
        ));
    }
    let crs = crs_of(&column);
    let all: Vec<String> = meta
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let Some(geom_at) = all.iter().position(|c| *c == primary) else {
        return Err(refuse(
            format!(
                "the `geo` metadata names geometry column `{}`, which the file does not have",
                clip(&primary, 60)
            ),
            damaged,
        ));
    };
    let columns: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != geom_at)
        .map(|(_, c)| c.clone())
        .collect();
    let table = Table {
        format: FORMAT,
        layer: None,
        columns,
        crs,
    };
    let mut rows = reader
        .get_row_iter(None)
        .map_err(|e| refuse(e.to_string(), damaged))?;
    let mut index = 0usize;
    let mut done = false;
    let mut next = || -> Option<Result<Feature, InputError>> {
        if done {
            return None;
        }
        index += 1;
        let row = match rows.next()? {
            Ok(r) => r,
            Err(e) => {
                done = true;
                let at = at_record(None, index);
                return Some(Err(unreadable(path, FORMAT, at, e, damaged)));
            }
        };
        let mut ft = Feature {
            values: Vec::with_capacity(all.len().saturating_sub(1)),
            ..Feature::default()
        };
        for (i, (_, field)) in row.get_column_iter().enumerate() {
            if i == geom_at {
                match field {
                    Field::Bytes(b) => match geozero::wkb::Wkb(b.data()).to_geo() {
                        Ok(g) => ft.geometry = Some(g),
                        Err(e) => ft.geometry_error = Some(e.to_string()),
                    },
                    Field::Null => {}
                    other => {
                        ft.geometry_error = Some(format!(
                            "the geometry column holds {}, not WKB",
                            clip(&other.to_string(), 40)
                        ));
                    }
                }
            } else {
                ft.values.push(text_of(field));
            }
        }
        Some(Ok(ft))
    };
    let mut features = std::iter::from_fn(&mut next);
    features::load(path, &table, &mut features, role, opts)
}
