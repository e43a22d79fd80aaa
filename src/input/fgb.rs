//! FlatGeobuf loader, through the `flatgeobuf` crate: the header gives the
//! columns and the coordinate system (an EPSG code, or a WKT definition), and
//! each feature its geometry and properties, read in file order.

use super::features::{self, Feature, FileCrs, Table, at_record, unreadable};
use super::{InputError, LoadOptions, PlaceSet, Role};
use flatgeobuf::{FallibleStreamingIterator, FeatureProperties, FgbReader};
use geozero::{ColumnValue, PropertyProcessor, ToGeo};
use std::path::Path;

const FORMAT: &str = "FlatGeobuf";

/// Collects one feature's properties by column position.
struct Values(Vec<Option<String>>);

impl PropertyProcessor for Values {
    fn property(
        &mut self,
        i: usize,
        _name: &str,
        v: &ColumnValue<'_>,
    ) -> geozero::error::Result<bool> {
        if let Some(slot) = self.0.get_mut(i) {
            *slot = Some(match v {
                ColumnValue::Float(f) => f.to_string(),
                ColumnValue::Double(f) => features::number_text(*f),
                other => other.to_string(),
            });
        }
        Ok(false)
    }
}

pub(super) fn load(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
) -> Result<PlaceSet, InputError> {
    let broken = |e: &dyn std::fmt::Display, location: String| {
        unreadable(
            path,
            FORMAT,
            location,
            e,
            "the file is not FlatGeobuf, or it is damaged or truncated: export it again (e.g. `ogr2ogr -f FlatGeobuf out.fgb in.gpkg`)",
        )
    };
    let reader =
        FgbReader::open(std::io::Cursor::new(bytes)).map_err(|e| broken(&e, String::new()))?;
    let header = reader.header();
    let columns: Vec<String> = header
        .columns()
        .map(|cols| cols.iter().map(|c| c.name().to_string()).collect())
        .unwrap_or_default();
    let crs = match header.crs() {
        None => FileCrs::Unknown,
        Some(c) => {
            let org = c.org().unwrap_or("EPSG");
            if c.code() > 0 && org.eq_ignore_ascii_case("EPSG") {
                FileCrs::Epsg(c.code() as u32)
            } else if c.code() == 0 && c.wkt().is_none() && c.name().is_none() {
                FileCrs::Unknown
            } else {
                FileCrs::Other(
                    c.name()
                        .or(c.wkt())
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{org}:{}", c.code())),
                )
            }
        }
    };
    let table = Table {
        format: FORMAT,
        layer: None,
        columns,
        crs,
    };
    let mut iter = reader
        .select_all_seq()
        .map_err(|e| broken(&e, String::new()))?;
    let n = table.columns.len();
    let mut index = 0usize;
    let mut done = false;
    let mut next = || -> Option<Result<Feature, InputError>> {
        if done {
            return None;
        }
        index += 1;
        let feature = match iter.next() {
            Ok(Some(f)) => f,
            Ok(None) => return None,
            Err(e) => {
                done = true;
                return Some(Err(broken(&e, at_record(None, index))));
            }
        };
        let mut values = Values(vec![None; n]);
        if let Err(e) = feature.process_properties(&mut values) {
            done = true;
            return Some(Err(broken(&e, at_record(None, index))));
        }
        let mut ft = Feature {
            values: values.0,
            ..Feature::default()
        };
        if feature.geometry().is_some() {
            match feature.to_geo() {
                Ok(g) => ft.geometry = Some(g),
                Err(e) => ft.geometry_error = Some(e.to_string()),
            }
        }
        Some(Ok(ft))
    };
    let mut features = std::iter::from_fn(&mut next);
    features::load(path, &table, &mut features, role, opts)
}
