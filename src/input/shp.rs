//! Shapefile loader, through the `shapefile` crate: the `.shp` geometries with
//! the attributes of the `.dbf` beside it, and the coordinate system of the
//! `.prj` when there is one.
//!
//! A `.prj` is WKT, often in ESRI's dialect with no EPSG code in it. The code is
//! taken from the definition's own `AUTHORITY`/`ID` when it has one; otherwise
//! the common ESRI names are recognised (WGS84 longitude/latitude, WGS84 UTM
//! zones, Web Mercator); any other system is refused by name, with the fix.

use super::features::{self, Feature, FileCrs, Table, at_record, number_text, unreadable};
use super::{InputError, LoadOptions, PlaceSet, Role};
use shapefile::dbase::{self, FieldValue};
use std::io::Cursor;
use std::path::{Path, PathBuf};

const FORMAT: &str = "Shapefile";

/// The file beside `shp` with extension `ext` (also in upper case, as some
/// writers name them).
fn sidecar(shp: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_string(), ext.to_ascii_uppercase()]
        .iter()
        .map(|e| shp.with_extension(e))
        .find(|p| p.is_file())
}

/// The outermost `NAME["...` of a WKT definition.
fn root(wkt: &str) -> Option<(&str, &str)> {
    let t = wkt.trim_start();
    let open = t.find('[')?;
    let kind = t[..open].trim();
    let rest = &t[open + 1..];
    let rest = rest.trim_start().strip_prefix('"')?;
    let name = &rest[..rest.find('"')?];
    Some((kind, name))
}

/// The EPSG code a WKT definition names for itself: the last `AUTHORITY["EPSG","N"]`
/// (WKT1, where the outermost one comes last) or `ID["EPSG",N]` (WKT2).
fn authority_code(wkt: &str) -> Option<u32> {
    let upper = wkt.to_ascii_uppercase();
    let last = ["AUTHORITY[\"EPSG\",", "ID[\"EPSG\","]
        .iter()
        .filter_map(|k| upper.rfind(k).map(|i| i + k.len()))
        .max()?;
    // Only when that is the closing part of the definition (the outer system's).
    let tail = wkt[last..].trim_start().trim_start_matches('"');
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    let closes = tail[digits.len()..]
        .chars()
        .all(|c| c == '"' || c == ']' || c.is_whitespace());
    if closes { digits.parse().ok() } else { None }
}

/// Reads a `.prj`.
pub(super) fn crs_of_wkt(wkt: &str) -> FileCrs {
    if let Some(code) = authority_code(wkt) {
        return FileCrs::Epsg(code);
    }
    let Some((kind, name)) = root(wkt) else {
        return FileCrs::Other(wkt.trim().to_string());
    };
    let norm = name.to_ascii_uppercase().replace([' ', '-'], "_");
    let geographic = matches!(kind.to_ascii_uppercase().as_str(), "GEOGCS" | "GEOGCRS");
    if geographic
        && matches!(
            norm.as_str(),
            "GCS_WGS_1984" | "WGS_84" | "WGS84" | "WGS_1984"
        )
    {
        return FileCrs::Epsg(4326);
    }
    if let Some(zone) = norm
        .strip_prefix("WGS_1984_UTM_ZONE_")
        .or_else(|| norm.strip_prefix("WGS_84_UTM_ZONE_"))
    {
        let digits: String = zone.chars().take_while(char::is_ascii_digit).collect();
        let hemi = &zone[digits.len()..];
        if let Ok(z) = digits.parse::<u32>()
            && (1..=60).contains(&z)
        {
            match hemi {
                "N" => return FileCrs::Epsg(32600 + z),
                "S" => return FileCrs::Epsg(32700 + z),
                _ => {}
            }
        }
    }
    if matches!(
        norm.as_str(),
        "WGS_1984_WEB_MERCATOR_AUXILIARY_SPHERE"
            | "WGS_84_PSEUDO_MERCATOR"
            | "WGS_84___PSEUDO_MERCATOR"
    ) {
        return FileCrs::Epsg(3857);
    }
    FileCrs::Other(format!("{kind}[\"{name}\"]"))
}

fn text_of(v: &FieldValue) -> Option<String> {
    match v {
        FieldValue::Character(s) => s.clone(),
        FieldValue::Memo(s) => Some(s.clone()),
        FieldValue::Numeric(n) => n.map(number_text),
        FieldValue::Float(f) => f.map(|f| f.to_string()),
        FieldValue::Double(d) | FieldValue::Currency(d) => Some(number_text(*d)),
        FieldValue::Integer(i) => Some(i.to_string()),
        FieldValue::Logical(b) => b.map(|b| b.to_string()),
        FieldValue::Date(d) => {
            d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
        FieldValue::DateTime(dt) => {
            let d = dt.date();
            Some(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
    }
}

pub(super) fn load(
    real: &Path,
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
) -> Result<PlaceSet, InputError> {
    let refuse =
        |message: String, hint: &str| unreadable(path, FORMAT, String::new(), message, hint);
    if real == Path::new("-") {
        return Err(refuse(
            "a Shapefile cannot be read from standard input".into(),
            "its attributes are in a .dbf file beside the .shp: give the .shp file's path",
        ));
    }
    let dbf_path = sidecar(real, "dbf").ok_or_else(|| {
        refuse(
            format!("no {} beside it", real.with_extension("dbf").display()),
            "a Shapefile is a .shp with its .dbf (attributes) in the same folder, same name: copy the .dbf too",
        )
    })?;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |reason| InputError::Io { path: p, reason }
    };
    let dbf = std::fs::read(&dbf_path).map_err(io(&dbf_path))?;
    let crs = match sidecar(real, "prj") {
        Some(prj) => {
            let text = std::fs::read(&prj).map_err(io(&prj))?;
            crs_of_wkt(&String::from_utf8_lossy(&text))
        }
        None => FileCrs::Unknown,
    };
    let damaged = "the .shp or .dbf is not a Shapefile, or is damaged or truncated: export it again (e.g. `ogr2ogr out.shp in.gpkg`)";
    let shapes = shapefile::ShapeReader::new(Cursor::new(bytes))
        .map_err(|e| refuse(e.to_string(), damaged))?;
    let records = dbase::Reader::new(Cursor::new(dbf.as_slice()))
        .map_err(|e| unreadable(&dbf_path, FORMAT, String::new(), e, damaged))?;
    let columns: Vec<String> = records
        .fields()
        .iter()
        .map(|f| f.name().to_string())
        .filter(|n| n != "DeletionFlag")
        .collect();
    let table = Table {
        format: FORMAT,
        layer: None,
        columns,
        crs,
    };
    let mut reader = shapefile::Reader::new(shapes, records);
    let mut iter = reader.iter_shapes_and_records();
    let mut index = 0usize;
    let mut done = false;
    let cols = table.columns.clone();
    let mut next = || -> Option<Result<Feature, InputError>> {
        if done {
            return None;
        }
        index += 1;
        let (shape, record) = match iter.next()? {
            Ok(sr) => sr,
            Err(e) => {
                done = true;
                let at = at_record(None, index);
                return Some(Err(unreadable(path, FORMAT, at, e, damaged)));
            }
        };
        let values = cols
            .iter()
            .map(|c| record.get(c).and_then(text_of))
            .collect();
        let mut ft = Feature {
            values,
            ..Feature::default()
        };
        if !matches!(shape, shapefile::Shape::NullShape) {
            match geo::Geometry::<f64>::try_from(shape) {
                Ok(g) => ft.geometry = Some(g),
                Err(e) => ft.geometry_error = Some(e.to_string()),
            }
        }
        Some(Ok(ft))
    };
    let mut features = std::iter::from_fn(&mut next);
    features::load(path, &table, &mut features, role, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prj_definitions_give_their_codes() {
        let esri_wgs84 = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(crs_of_wkt(esri_wgs84), FileCrs::Epsg(4326));
        let utm = r#"PROJCS["WGS_1984_UTM_Zone_50N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]"#;
        assert_eq!(crs_of_wkt(utm), FileCrs::Epsg(32650));
        let south = utm.replace("50N", "33S");
        assert_eq!(crs_of_wkt(&south), FileCrs::Epsg(32733));
        let merc = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984"]]"#;
        assert_eq!(crs_of_wkt(merc), FileCrs::Epsg(3857));
        let with_code = r#"PROJCS["Beijing 1954 / 3-degree Gauss-Kruger CM 117E",GEOGCS["Beijing 1954",AUTHORITY["EPSG","4214"]],AUTHORITY["EPSG","2435"]]"#;
        assert_eq!(crs_of_wkt(with_code), FileCrs::Epsg(2435));
        let local =
            r#"PROJCS["Local_Grid",GEOGCS["GCS_WGS_1984"],PROJECTION["Transverse_Mercator"]]"#;
        match crs_of_wkt(local) {
            FileCrs::Other(n) => assert!(n.contains("Local_Grid"), "{n}"),
            other => panic!("{other:?}"),
        }
    }
}
