//! CSV loader: a header row, columns found by name (case-insensitive) or by the
//! `--*-col` overrides.

use super::{
    Builder, GROUP_NAMES, ID_NAMES, InputError, LAT_NAMES, LON_NAMES, LoadOptions, Location,
    PlaceSet, RawPlace, Role, WEIGHT_NAMES,
};
use std::path::Path;

fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(n))
    })
}

fn listed(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| format!("`{h}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves a column: an override must exist; otherwise the first known name found.
fn column(
    path: &Path,
    headers: &[String],
    overriden: Option<&String>,
    names: &[&str],
    flag: &'static str,
) -> Result<Option<usize>, InputError> {
    match overriden {
        Some(name) => {
            find(headers, &[name.as_str()])
                .map(Some)
                .ok_or_else(|| InputError::NoSuchColumn {
                    path: path.to_path_buf(),
                    flag,
                    name: name.clone(),
                    found: listed(headers),
                })
        }
        None => Ok(find(headers, names)),
    }
}

pub(super) fn load(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
) -> Result<PlaceSet, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::Csv {
            path: path.to_path_buf(),
            location: Location::Line(1),
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_string)
        .collect();
    let required = |idx: Option<usize>, what: &'static str, names: &[&str], flag: &'static str| {
        idx.ok_or_else(|| InputError::MissingColumn {
            path: path.to_path_buf(),
            what,
            looked_for: names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            found: listed(&headers),
            flag,
        })
    };
    let lon = required(
        column(
            path,
            &headers,
            opts.lon_col.as_ref(),
            LON_NAMES,
            "--lon-col",
        )?,
        "longitude",
        LON_NAMES,
        "--lon-col",
    )?;
    let lat = required(
        column(
            path,
            &headers,
            opts.lat_col.as_ref(),
            LAT_NAMES,
            "--lat-col",
        )?,
        "latitude",
        LAT_NAMES,
        "--lat-col",
    )?;
    // Sites carry no weight; a demand file without one weighs every row 1.
    let weight = if role == Role::Demand {
        column(
            path,
            &headers,
            opts.weight_col.as_ref(),
            WEIGHT_NAMES,
            "--weight-col",
        )?
    } else {
        None
    };
    let id = column(path, &headers, opts.id_col.as_ref(), ID_NAMES, "--id-col")?;
    let name = find(&headers, &["name"]);
    // Only demand must have an overridden group column; sites use it where they have it.
    let group = if role == Role::Demand {
        column(
            path,
            &headers,
            opts.group_col.as_ref(),
            GROUP_NAMES,
            "--group-col",
        )?
    } else {
        match &opts.group_col {
            Some(g) => find(&headers, &[g.as_str()]),
            None => find(&headers, GROUP_NAMES),
        }
    };
    let cost = find(&headers, &["cost"]);
    let capacity = find(&headers, &["capacity"]);

    let mut b = Builder::new(path.to_path_buf(), role, opts);
    b.cols.lon = headers[lon].clone();
    b.cols.lat = headers[lat].clone();
    b.cols.weight = weight.map(|w| headers[w].clone()).unwrap_or_default();
    b.cols.cost = cost.map(|c| headers[c].clone()).unwrap_or_default();
    b.cols.capacity = capacity.map(|c| headers[c].clone()).unwrap_or_default();

    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let get = |i: Option<usize>| i.and_then(|i| record.get(i));
                let raw = RawPlace {
                    lon: get(Some(lon)),
                    lat: get(Some(lat)),
                    weight: get(weight),
                    id: get(id).map(str::to_string),
                    name: get(name).map(str::to_string),
                    group: get(group).map(str::to_string),
                    cost: get(cost),
                    capacity: get(capacity),
                };
                b.push(Location::Line(line), raw)?;
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    ::csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "the row has {len} fields but the header has {expected_len}; quote fields that contain commas"
                    ),
                    ::csv::ErrorKind::Utf8 { .. } => {
                        "the row is not valid UTF-8; save the file as UTF-8".to_string()
                    }
                    _ => e.to_string(),
                };
                let err = InputError::Csv {
                    path: path.to_path_buf(),
                    location: Location::Line(line),
                    message,
                };
                b.skip_or_fail(err)?;
                if !matches!(
                    e.kind(),
                    ::csv::ErrorKind::UnequalLengths { .. } | ::csv::ErrorKind::Utf8 { .. }
                ) {
                    break;
                }
            }
        }
    }
    b.finish()
}
