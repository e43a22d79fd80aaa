//! CSV loader: a header row, columns found by name (case-insensitive) or by the
//! `--*-col` overrides.
//!
//! Planners' files come from Excel as often as from scripts, so the loader takes
//! them as they are: the delimiter (comma, semicolon or tab) is sniffed from the
//! header line unless `--delimiter` names it, decimal commas are read with
//! `--decimal-comma` or detected in `;` files, a UTF-8 BOM is dropped, and every
//! message counts physical lines (CRLF, blank lines and line breaks inside quoted
//! fields included), so the line number is the one an editor shows.

use super::{
    Builder, GROUP_NAMES, ID_NAMES, InputError, LAT_NAMES, LON_NAMES, LoadOptions, Location,
    PlaceSet, RawPlace, Role, WEIGHT_NAMES, X_NAMES, Y_NAMES, clip, delimiter_name,
    has_decimal_comma, has_decimal_point, parse_number, reads_two_ways, weight_like,
};
use std::path::{Path, PathBuf};

/// Files smaller than this are read by the sequential reader alone.
const FAST_MIN_BYTES: usize = 1 << 20;

/// Bytes per part of the parallel reader (each ends at a line end).
const PART_BYTES: usize = 1 << 20;

/// Parts parsed at once, while the batch before them is appended in file
/// order: bounds the memory held by parsed rows not yet stored (two batches).
const PARTS_AT_ONCE: usize = 8;

/// Most header columns listed in a message.
const LISTED_MAX: usize = 30;

fn find_all(headers: &[String], name: &str) -> Vec<usize> {
    headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.trim().eq_ignore_ascii_case(name.trim()))
        .map(|(i, _)| i)
        .collect()
}

pub(super) fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| find_all(headers, n).first().copied())
}

fn listed(headers: &[String]) -> String {
    let mut out = headers
        .iter()
        .take(LISTED_MAX)
        .map(|h| format!("`{}`", clip(h, 40)))
        .collect::<Vec<_>>()
        .join(", ");
    if headers.len() > LISTED_MAX {
        out.push_str(&format!(" and {} more", headers.len() - LISTED_MAX));
    }
    clip(&out, 400)
}

/// Resolves a column: an override must exist; otherwise the first known name found.
/// Shared with the GIS loaders (`features.rs`), which match attribute names the same way.
pub(super) fn column(
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
                    name: clip(name, 80),
                    found: listed(headers),
                })
        }
        None => Ok(find(headers, names)),
    }
}

/// Counts of `,`, `;` and tab outside quotes on the header line (the first line that
/// is not blank).
fn header_counts(bytes: &[u8]) -> [usize; 3] {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    let start = bytes
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(bytes.len());
    for &b in &bytes[start..] {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    counts
}

const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The delimiter of a file: the most frequent of `,`, `;` and tab outside quotes on
/// the header line (comma on ties and when there is none).
pub(crate) fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let counts = header_counts(bytes);
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// The delimiter to use and how it was chosen. `--delimiter` applies to every file
/// whose header line has it; a file whose header does not (say, a comma file of
/// sites next to a `;` export of demand) keeps its own, sniffed.
fn choose_delimiter(bytes: &[u8], forced: Option<u8>) -> (u8, String) {
    let sniffed = sniff_delimiter(bytes);
    match forced {
        None => (sniffed, "sniffed".into()),
        Some(d) => {
            let counts = header_counts(bytes);
            let present = DELIMITERS
                .iter()
                .position(|&x| x == d)
                .is_some_and(|i| counts[i] > 0);
            if present || counts.iter().all(|&c| c == 0) {
                (d, "--delimiter".into())
            } else {
                (
                    sniffed,
                    format!(
                        "sniffed: the header has no {} for --delimiter",
                        delimiter_name(d)
                    ),
                )
            }
        }
    }
}

/// Excel's optional first line `sep=X`: the delimiter and where the header starts.
fn excel_sep(bytes: &[u8]) -> Option<(u8, usize)> {
    if !bytes.get(..4)?.eq_ignore_ascii_case(b"sep=") {
        return None;
    }
    let d = *bytes.get(4)?;
    let end = match (bytes.get(5), bytes.get(6)) {
        (Some(b'\r'), Some(b'\n')) => 7,
        (Some(b'\r' | b'\n'), _) => 6,
        _ => return None,
    };
    DELIMITERS.contains(&d).then_some((d, end))
}

/// Physical line numbers for byte offsets: `\n`, `\r\n` and a lone `\r` each end a line.
struct Lines {
    /// Byte offset at which each line starts.
    starts: Vec<usize>,
}

impl Lines {
    fn new(bytes: &[u8]) -> Self {
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        Lines { starts }
    }

    /// The 1-based line of the first byte at or after `offset` that is not a line
    /// break: the parser's position of a record may sit before the blank lines it skipped.
    fn of_record(&self, bytes: &[u8], offset: usize) -> u64 {
        let mut at = offset.min(bytes.len());
        while at < bytes.len() && (bytes[at] == b'\r' || bytes[at] == b'\n') {
            at += 1;
        }
        self.starts.partition_point(|&s| s <= at) as u64
    }
}

/// Labels of the totals rows spreadsheets add under the data.
const TOTAL_LABELS: &[&str] = &[
    "total",
    "totals",
    "grand total",
    "subtotal",
    "sum",
    "summe",
    "gesamt",
    "totaal",
    "totale",
    "somme",
    "suma",
    "totaal generaal",
];

fn is_total_label(cell: &str) -> bool {
    let c = cell.trim().trim_end_matches(':').to_lowercase();
    TOTAL_LABELS.contains(&c.as_str())
}

/// One record read, or the error it gave.
enum Item<'r> {
    Record(u64, &'r ::csv::StringRecord),
    Bad(InputError),
}

/// Reads the records after the header in file order, giving `sink` each
/// non-blank record with its physical line, or each bad row's error; stops
/// after an error that leaves the rest unreadable. Records are not kept, so a
/// file can be read twice (once to decide the decimal mark, once to load)
/// without holding it in memory.
fn scan(
    path: &Path,
    bytes: &[u8],
    start: usize,
    lines: &Lines,
    delimiter: u8,
    sink: &mut dyn FnMut(Item<'_>) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(&bytes[start..]);
    // The header was read and checked by the caller.
    let _ = reader.headers();
    let mut record = ::csv::StringRecord::new();
    // Where the last record starts, and its line: a quote it opens and the
    // file never closes swallows the rest of the file into one field.
    let mut last: Option<(usize, u64)> = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => {
                if let Some((at, line)) = last
                    && ends_inside_quotes(&bytes[at..], delimiter)
                {
                    return Err(InputError::Csv {
                        path: path.to_path_buf(),
                        location: Location::Line(line),
                        message: "a quoted field on this line is never closed: the file ends inside the quotes; add the closing `\"` (or remove the opening one)".into(),
                    });
                }
                break;
            }
            Ok(true) => {
                let line = record
                    .position()
                    .map_or(0, |p| lines.of_record(bytes, start + p.byte() as usize));
                last = record.position().map(|p| (start + p.byte() as usize, line));
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                sink(Item::Record(line, &record))?;
            }
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| lines.of_record(bytes, start + p.byte() as usize));
                last = e.position().map(|p| (start + p.byte() as usize, line));
                let message = match e.kind() {
                    ::csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "the row has {len} fields but the header has {expected_len}; quote fields that contain the delimiter {}",
                        delimiter_name(delimiter)
                    ),
                    ::csv::ErrorKind::Utf8 { .. } => {
                        "the row is not valid UTF-8; save the file as UTF-8".to_string()
                    }
                    _ => clip(&e.to_string(), 200),
                };
                let go_on = matches!(
                    e.kind(),
                    ::csv::ErrorKind::UnequalLengths { .. } | ::csv::ErrorKind::Utf8 { .. }
                );
                sink(Item::Bad(InputError::Csv {
                    path: path.to_path_buf(),
                    location: Location::Line(line),
                    message,
                }))?;
                if !go_on {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Whether `raw` (one record to the end of the file) ends inside a quoted
/// field: a `"` opening a field, never closed (`""` inside is an escaped quote).
fn ends_inside_quotes(raw: &[u8], delimiter: u8) -> bool {
    let (mut quoted, mut field_start) = (false, true);
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if quoted {
            if b == b'"' {
                if raw.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' && field_start {
            quoted = true;
        }
        field_start = !quoted && (b == delimiter || b == b'\n' || b == b'\r');
        i += 1;
    }
    quoted
}

pub(super) fn load(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
    progress: &crate::progress::Bar,
) -> Result<PlaceSet, InputError> {
    load_core(path, bytes, role, opts, progress, FAST_MIN_BYTES, None)
        .map(|set| set.expect("a whole file is always loaded"))
}

/// The rest of a file read while it loads.
pub(super) struct Rest<'r> {
    /// Reads the bytes after the head.
    pub reader: &'r mut (dyn std::io::Read + Send),
    /// The whole file's size in bytes, head included.
    pub len: u64,
    /// Bytes read at once, and parsed as one batch ([`BLOCK_BYTES`]).
    pub block: usize,
}

/// Loads a large demand file while it is read: `head` is its first bytes
/// (the header and at least [`HEAD_MIN_ROWS`] rows' worth) and `rest` the
/// reader of everything after them. Blocks are parsed on the pool while the
/// next is read, so the file is never held whole.
///
/// `None` when the file is not one the parallel reader takes whole (any value
/// it would have to report, quotes, decimal commas, ...), or when reading
/// fails: the caller then reads the whole file and loads it with [`load`],
/// which reports exactly as always.
pub(super) fn load_streaming(
    path: &Path,
    head: &[u8],
    rest: Rest<'_>,
    role: Role,
    opts: &LoadOptions,
    progress: &crate::progress::Bar,
) -> Option<PlaceSet> {
    load_core(path, head, role, opts, progress, 0, Some(rest))
        .ok()
        .flatten()
}

/// [`load`], with the size from which the parallel reader is tried.
#[cfg(test)]
fn load_impl(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
    progress: &crate::progress::Bar,
    fast_min: usize,
) -> Result<PlaceSet, InputError> {
    load_core(path, bytes, role, opts, progress, fast_min, None)
        .map(|set| set.expect("a whole file is always loaded"))
}

/// [`load`] when `rest` is `None` (then the result is always `Some`), and
/// [`load_streaming`]'s work when it is the reader of what follows `bytes`:
/// then `None` whenever the parallel reader does not load the file whole.
fn load_core(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
    progress: &crate::progress::Bar,
    fast_min: usize,
    rest: Option<Rest<'_>>,
) -> Result<Option<PlaceSet>, InputError> {
    let streaming = rest.is_some();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Excel may write a `sep=;` line before the header; it names the delimiter.
    let sep = excel_sep(bytes);
    let start = sep.map_or(0, |(_, end)| end);
    // The line table up to the header's first byte: enough to place the header.
    // The whole file's table is built only by the sequential reader.
    let head_end = bytes[start..]
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .map_or(bytes.len(), |i| start + i + 1);
    let lines_head = Lines::new(&bytes[..head_end]);
    let (delimiter, delimiter_how) = match (sep, opts.delimiter) {
        (Some((d, _)), None) => (d, "Excel's sep= line".to_string()),
        _ => choose_delimiter(&bytes[start..], opts.delimiter),
    };
    let header_line = lines_head.of_record(bytes, start);
    let body = &bytes[start..];
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::Csv {
            path: path.to_path_buf(),
            location: Location::Line(header_line),
            message: match e.kind() {
                ::csv::ErrorKind::Utf8 { .. } => {
                    "the header is not valid UTF-8; save the file as UTF-8".to_string()
                }
                _ => clip(&e.to_string(), 200),
            },
        })?
        .iter()
        .map(str::to_string)
        .collect();
    let looks_json = matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    );
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
            hint: if looks_json {
                "; the file looks like JSON: give it a .geojson extension or pass --input-format geojson".into()
            } else if headers.len() == 1 && opts.delimiter.is_none() {
                "; the header has a single column: if fields are separated by another character, pass --delimiter".into()
            } else if opts.crs.is_wgs84()
                && headers.iter().any(|h| {
                    let h = h.trim().to_ascii_lowercase();
                    matches!(h.as_str(), "easting" | "northing" | "east" | "north")
                })
            {
                "; the header has easting/northing columns: if the file is in projected metres, name their system with --crs EPSG:CODE (e.g. --crs EPSG:32650 for UTM zone 50N), or --crs planar".into()
            } else {
                String::new()
            },
        })
    };
    // Projected metres are found under x/easting and y/northing too.
    let (lon_names, lat_names, lon_what, lat_what) = if opts.crs.is_wgs84() {
        (LON_NAMES, LAT_NAMES, "longitude", "latitude")
    } else {
        (X_NAMES, Y_NAMES, "x (easting)", "y (northing)")
    };
    let lon_found = column(
        path,
        &headers,
        opts.lon_col.as_ref(),
        lon_names,
        "--lon-col",
    )?;
    let lat_found = column(
        path,
        &headers,
        opts.lat_col.as_ref(),
        lat_names,
        "--lat-col",
    )?;
    // With a cost matrix, a file with no coordinate column at all is ids only.
    let ids_only = opts.coordinates_optional && lon_found.is_none() && lat_found.is_none();
    let (lon, lat) = if ids_only {
        (None, None)
    } else {
        (
            Some(required(lon_found, lon_what, lon_names, "--lon-col")?),
            Some(required(lat_found, lat_what, lat_names, "--lat-col")?),
        )
    };
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
    let fixed = find(&headers, &["fixed"]);

    // Every field comes from its own column, and that column's name is not repeated.
    let fields: [(Option<usize>, &'static str, &'static str); 8] = [
        (lon, "longitude", "--lon-col"),
        (lat, "latitude", "--lat-col"),
        (weight, "weight", "--weight-col"),
        (id, "id", "--id-col"),
        (group, "group", "--group-col"),
        (cost, "cost", "a `cost` column"),
        (capacity, "capacity", "a `capacity` column"),
        (fixed, "fixed", "a `fixed` column"),
    ];
    for (i, &(a, what_a, flag_a)) in fields.iter().enumerate() {
        let Some(a) = a else { continue };
        for &(b, what_b, flag_b) in &fields[i + 1..] {
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
        let same = find_all(&headers, &headers[a]);
        if same.len() > 1 {
            return Err(InputError::DuplicateColumn {
                path: path.to_path_buf(),
                location: Location::Line(header_line),
                name: clip(&headers[a], 80),
                what: what_a,
                first: same[0] + 1,
                second: same[1] + 1,
                flag: flag_a,
            });
        }
    }

    let setup = |decimal_comma: bool,
                 decimal_how: &str,
                 first_rows: &[::csv::StringRecord]|
     -> Result<Builder<'_>, InputError> {
        let records = || first_rows.iter();
        let mut b = Builder::new(path.to_path_buf(), role, opts);
        b.decimal_comma = decimal_comma;
        b.located = !ids_only;
        b.cols.lon = lon.map(|i| headers[i].clone()).unwrap_or_default();
        b.cols.lat = lat.map(|i| headers[i].clone()).unwrap_or_default();
        b.cols.weight = weight.map(|w| headers[w].clone()).unwrap_or_default();
        b.cols.cost = cost.map(|c| headers[c].clone()).unwrap_or_default();
        b.cols.capacity = capacity.map(|c| headers[c].clone()).unwrap_or_default();
        b.cols.fixed = fixed.map(|c| headers[c].clone()).unwrap_or_default();

        let named = |i: Option<usize>| i.map_or("none".to_string(), |i| headers[i].clone());
        let mut note = match (lon, lat) {
            (Some(lon), Some(lat)) if opts.crs.is_wgs84() => format!(
                "{role} file {path}: lon={}, lat={}",
                headers[lon],
                headers[lat],
                path = path.display()
            ),
            (Some(lon), Some(lat)) => format!(
                "{role} file {path}: x={}, y={} (metres, --crs {})",
                headers[lon],
                headers[lat],
                opts.crs.label(),
                path = path.display()
            ),
            _ => format!(
                "{role} file {path}: no coordinates (ids only; distances come from the cost matrix)",
                path = path.display()
            ),
        };
        if role == Role::Demand {
            note.push_str(&match weight {
                Some(w) => format!(", weight={}", headers[w]),
                None => ", weight=none (every place weighs 1)".to_string(),
            });
        }
        note.push_str(&format!(", id={}, group={}", named(id), named(group)));
        note.push_str(&format!(
            "; delimiter {} ({delimiter_how}), {decimal_how}",
            delimiter_name(delimiter),
        ));
        b.set.notes.push(note);

        if role == Role::Demand && weight.is_none() {
            let used = [lon, lat, id, name, group, cost, capacity, fixed];
            let candidates: Vec<&String> = headers
                .iter()
                .enumerate()
                .filter(|(i, h)| !used.contains(&Some(*i)) && weight_like(h))
                .filter(|(i, _)| {
                    let mut seen = 0;
                    records()
                        .filter_map(|r| r.get(*i))
                        .filter(|v| !v.trim().is_empty())
                        .take(50)
                        .all(|v| {
                            seen += 1;
                            parse_number(v, decimal_comma).is_ok()
                        })
                        && seen > 0
                })
                .map(|(_, h)| h)
                .collect();
            if let Some(first) = candidates.first() {
                b.set.warnings.push(format!(
                "demand file {}: no weight column ({}), so every place weighs 1, but column `{}` looks like one: pass --weight-col {:?} to use it",
                path.display(),
                WEIGHT_NAMES.join(", "),
                clip(first, 80),
                clip(first, 80),
            ));
            }
        }
        Ok(b)
    };
    // Large demand files without a quote character take the parallel path: every
    // record is one line, so the file splits at line ends and each part is parsed
    // on its own. It handles clean files only; at the first thing it would have to
    // report or that needs the full reader (a bad value, a totals row, a name
    // column, decimal commas, projected coordinates), it gives up and the
    // sequential reader below reads the file and reports exactly as always.
    // A file read while it loads is checked for quotes block by block.
    if role == Role::Demand
        && bytes.len() >= fast_min
        && opts.crs.is_wgs84()
        && !opts.decimal_comma
        && cost.is_none()
        && capacity.is_none()
        && fixed.is_none()
        && memchr::memchr(b'"', bytes).is_none()
        && let (Some(lon), Some(lat)) = (lon, lat)
    {
        let cols = FastColumns {
            delimiter,
            fields: headers.len(),
            lon,
            lat,
            weight,
            id,
            name,
            group,
        };
        let mut first_rows = Vec::new();
        if weight.is_none() {
            // Only the first rows: the sink stops the reader with an error that
            // is dropped (record lines are not used, so the short table serves).
            // Read while loading, the head may end inside a record.
            let complete = if streaming {
                memchr::memrchr(b'\n', bytes).map_or(0, |e| e + 1)
            } else {
                bytes.len()
            };
            let _ = scan(
                path,
                &bytes[..complete],
                start,
                &lines_head,
                delimiter,
                &mut |item| {
                    if let Item::Record(_, r) = item {
                        first_rows.push(r.clone());
                    }
                    if first_rows.len() < 200 {
                        Ok(())
                    } else {
                        Err(InputError::NoPairs {
                            path: PathBuf::new(),
                        })
                    }
                },
            );
        }
        let mut b = setup(false, "decimal points", &first_rows)?;
        match rest {
            None => {
                if fast_fill(&mut b, bytes, start, &cols, progress) {
                    return b.finish().map(Some);
                }
            }
            // The weight-column warning reads the first 200 rows, so they
            // must all be in the head.
            Some(_) if weight.is_none() && first_rows.len() < 200 => return Ok(None),
            Some(rest) => {
                return Ok(
                    if stream_fill(&mut b, bytes, start, rest, &cols, progress) {
                        Some(b.finish()?)
                    } else {
                        None
                    },
                );
            }
        }
    }
    if streaming {
        return Ok(None);
    }
    let lines = Lines::new(bytes);
    // The decimal mark is decided per file from its own numbers: with --decimal-comma a
    // file that has decimal points and not one decimal comma (a plain CSV of sites next
    // to a European export of demand) keeps its points; without it, decimal commas are
    // detected in `;` files. A first pass over the file finds them (and keeps the first
    // rows for the weight-column warning); the second loads.
    let numeric = [lon, lat, weight, cost, capacity];
    let numeric: Vec<usize> = numeric.into_iter().flatten().collect();
    let (mut has_comma, mut has_point) = (false, false);
    // Where the first decimal comma and the first degree with a `.` are
    // (line, column, value): a file with both is refused. (Other cells with
    // an unmistakable decimal point are refused row by row, so that
    // --skip-invalid can skip them.)
    let (mut first_comma, mut first_point): (Option<(u64, usize, String)>, _) = (None, None);
    // The first value that reads two ways (`1.234`: a decimal point, or 1234
    // with `.` grouping thousands), and where it is.
    let mut two_ways: Option<(u64, usize, String)> = None;
    // Degrees below 1000 cannot group thousands: a longitude or latitude with
    // a `.` shows the file's decimal mark.
    let degrees = [lon, lat]
        .into_iter()
        .flatten()
        .filter(|_| opts.crs.is_wgs84())
        .collect::<Vec<usize>>();
    let mut first_rows: Vec<::csv::StringRecord> = Vec::new();
    scan(path, bytes, start, &lines, delimiter, &mut |item| {
        if let Item::Record(line, r) = item {
            for &i in &numeric {
                if let Some(v) = r.get(i) {
                    if !has_comma && has_decimal_comma(v) {
                        has_comma = true;
                        first_comma = Some((line, i, v.trim().to_string()));
                    }
                    let degree_point = degrees.contains(&i)
                        && !v.contains(',')
                        && v.contains('.')
                        && v.trim().parse::<f64>().is_ok();
                    has_point = has_point || has_decimal_point(v) || degree_point;
                    if degree_point && first_point.is_none() {
                        first_point = Some((line, i, v.trim().to_string()));
                    }
                    if delimiter == b';' && two_ways.is_none() && reads_two_ways(v) {
                        two_ways = Some((line, i, v.trim().to_string()));
                    }
                }
            }
            // Only the weight-column warning reads them.
            if role == Role::Demand && weight.is_none() && first_rows.len() < 200 {
                first_rows.push(r.clone());
            }
        }
        Ok(())
    })?;
    if let (Some((pl, pi, pv)), Some((cl, ci, cv))) = (&first_point, &first_comma) {
        // Degrees with a `.` and decimal commas: reading the commas would make
        // every such degree a thousand times too large.
        return Err(InputError::BadValue {
            path: path.to_path_buf(),
            location: Location::Line(*pl),
            column: clip(&headers[*pi], 80),
            value: clip(pv, 80),
            problem: "degrees with a decimal point in a file that also has decimal commas".into(),
            hint: format!(
                "; line {cl} column `{}` has {:?} with a decimal comma: write every number with the same decimal mark",
                clip(&headers[*ci], 80),
                clip(cv, 80)
            ),
        });
    }
    let (decimal_comma, decimal_how) = if opts.decimal_comma {
        if !has_comma && has_point {
            (
                false,
                "decimal points (the file has no decimal commas for --decimal-comma)",
            )
        } else {
            (true, "decimal commas (--decimal-comma)")
        }
    } else if delimiter == b';' && has_comma {
        (true, "decimal commas (detected)")
    } else if delimiter == b';'
        && !has_point
        && let Some((line, i, value)) = two_ways
    {
        // A `;` file is where decimal commas and `.` thousands live; with no
        // number that settles the mark, guessing could read 1.234 for 1234.
        return Err(InputError::BadValue {
            path: path.to_path_buf(),
            location: Location::Line(line),
            column: clip(&headers[i], 80),
            value: clip(&value, 80),
            problem: "ambiguous number in a `;`-separated file".into(),
            hint: "; no number in the file settles whether `.` is a decimal point or groups thousands: write 1234 if it groups thousands, or 1.2340 if it is a decimal point (one value such as 12,5 or 12.25 anywhere in the file settles it for all)".into(),
        });
    } else {
        (false, "decimal points")
    };

    let mut b = setup(decimal_comma, decimal_how, &first_rows)?;
    if opts.decimal_comma && !decimal_comma && role == Role::Demand {
        // The flag asked for commas the demand file does not have: say so
        // where it is seen. (Site files next to a European export often keep
        // decimal points: no warning for them.)
        b.set.warnings.push(format!(
            "demand file {}: --decimal-comma is not used: no number in it has a decimal comma, so `.` is read as the decimal point (51.477 stays 51.477, not 51477)",
            path.display()
        ));
    }

    scan(path, bytes, start, &lines, delimiter, &mut |item| {
        match item {
            Item::Record(line, record) => {
                let get = |i: Option<usize>| i.and_then(|i| record.get(i));
                let blank = |i: usize| record.get(i).is_none_or(|v| v.trim().is_empty());
                if let (Some(lon), Some(lat)) = (lon, lat)
                    && (blank(lon) || blank(lat))
                    && let Some(label) = record.iter().position(is_total_label)
                {
                    // Named by its label ("Total"), the field a reader recognises.
                    let empty = if blank(lon) {
                        &headers[lon]
                    } else {
                        &headers[lat]
                    };
                    b.skip_or_fail(InputError::BadValue {
                        path: path.to_path_buf(),
                        location: Location::Line(line),
                        column: clip(headers.get(label).map_or("", String::as_str), 80),
                        value: clip(record.get(label).unwrap_or("").trim(), 80),
                        problem: format!(
                            "a totals row, not a place (its `{}` is empty)",
                            clip(empty, 80)
                        ),
                        hint: "; delete the row, or pass --skip-invalid to skip it".into(),
                    })?;
                    return Ok(());
                }
                let raw = RawPlace {
                    lon: get(lon),
                    lat: get(lat),
                    weight: get(weight),
                    id: get(id).map(str::to_string),
                    name: get(name).map(str::to_string),
                    group: get(group).map(str::to_string),
                    cost: get(cost),
                    capacity: get(capacity),
                    fixed: get(fixed),
                };
                b.push(Location::Line(line), raw)?;
            }
            Item::Bad(err) => b.skip_or_fail(err)?,
        }
        Ok(())
    })?;
    b.finish().map(Some)
}

/// Where the fields of a demand file are, for the parallel reader.
struct FastColumns {
    delimiter: u8,
    fields: usize,
    lon: usize,
    lat: usize,
    weight: Option<usize>,
    id: Option<usize>,
    name: Option<usize>,
    group: Option<usize>,
}

/// The rows of one part, parsed.
#[derive(Default)]
struct Part {
    ids: String,
    id_ends: Vec<usize>,
    lon: Vec<f64>,
    lat: Vec<f64>,
    weight: Vec<f64>,
    /// Index into `groups`, `u32::MAX` for none.
    group: Vec<u32>,
    /// Group names in the order the part first has them.
    groups: Vec<String>,
    /// Rows with no id: (row, line breaks in the part before it); their id is
    /// `line{N}`, which needs the part's first line.
    unnamed: Vec<(usize, u64)>,
    /// Line breaks in the part.
    breaks: u64,
}

/// A number as [`super::parse_number`] reads it with decimal points, finite; `None`
/// for anything the sequential reader would have to report.
#[inline]
fn fast_number(text: &str) -> Option<f64> {
    if let Some(v) = plain_decimal(text.as_bytes()) {
        return Some(v);
    }
    let v: f64 = text.trim().parse().ok()?;
    v.is_finite().then_some(v)
}

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of a plain decimal, `-?[0-9]+(\.[0-9]+)?` with at most 19 digits
/// whose digits, read as one integer, are at most 2^53; `None` for anything
/// else (signs `+`, spaces, exponents, more digits), which `str::parse` reads.
///
/// Such a number is `m / 10^f` with `m` and `10^f` (`f` <= 19) exact in an
/// `f64`, so one division rounds it correctly: the value `str::parse` gives
/// (Clinger's fast path, the first step of the standard library's parser),
/// without its general syntax.
#[inline]
fn plain_decimal(text: &[u8]) -> Option<f64> {
    let (negative, digits) = match text.first()? {
        b'-' => (true, &text[1..]),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut i = 0;
    while let Some(&d) = digits.get(i).filter(|d| d.is_ascii_digit()) {
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
        i += 1;
    }
    let whole = i;
    let mut fraction = 0;
    if i < digits.len() {
        if digits[i] != b'.' {
            return None;
        }
        i += 1;
        while let Some(&d) = digits.get(i).filter(|d| d.is_ascii_digit()) {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            i += 1;
        }
        fraction = i - whole - 1;
        if fraction == 0 || i != digits.len() {
            return None;
        }
    }
    // 19 digits cannot overflow a u64 (whose largest value has 20).
    if whole == 0 || whole + fraction > 19 || mantissa > 1 << 53 {
        return None;
    }
    let v = mantissa as f64 / EXACT_POWERS_OF_TEN[fraction];
    Some(if negative { -v } else { v })
}

/// `s` without leading and trailing whitespace, as `str::trim`, with no work
/// when it starts and ends with printable ASCII (every whitespace character
/// is a control or space byte, or starts with a byte of 0x80 or more).
#[inline]
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&b)) if (0x21..0x80).contains(&a) && (0x21..0x80).contains(&b) => s,
        _ => s.trim(),
    }
}

/// Parses one part (whole lines, no quotes); `None` at the first record the
/// sequential reader must handle. The checks are [`Builder::push`]'s for clean
/// WGS84 demand rows: numbers, the ranges of degrees, weights of zero or more.
fn parse_part(text: &[u8], c: &FastColumns) -> Option<Part> {
    let text = std::str::from_utf8(text).ok()?;
    let bytes = text.as_bytes();
    // Sized for rows of 20 bytes or more, so the columns do not regrow.
    let rows = text.len() / 20 + 1;
    let mut part = Part {
        ids: String::with_capacity(if c.id.is_some() { text.len() / 2 } else { 0 }),
        id_ends: Vec::with_capacity(rows),
        lon: Vec::with_capacity(rows),
        lat: Vec::with_capacity(rows),
        weight: Vec::with_capacity(rows),
        group: Vec::with_capacity(rows),
        ..Part::default()
    };
    let mut group_ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    // Field k of the record is `record[starts[k]..starts[k + 1] - 1]`.
    let mut starts: Vec<usize> = Vec::with_capacity(c.fields + 1);
    let mut pos = 0;
    while pos < bytes.len() {
        match bytes[pos] {
            b'\n' => {
                part.breaks += 1;
                pos += 1;
                continue;
            }
            b'\r' => {
                if bytes.get(pos + 1) != Some(&b'\n') {
                    part.breaks += 1;
                }
                pos += 1;
                continue;
            }
            _ => {}
        }
        let end = memchr::memchr2(b'\n', b'\r', &bytes[pos..]).map_or(bytes.len(), |e| pos + e);
        let record = &text[pos..end];
        let line = part.breaks;
        pos = end;
        starts.clear();
        starts.push(0);
        starts.extend(
            record
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == c.delimiter)
                .map(|(k, _)| k + 1),
        );
        starts.push(record.len() + 1);
        if starts.len() != c.fields + 1 {
            return None;
        }
        // The delimiter is ASCII, so every bound is a character boundary.
        let field = |k: usize| &record[starts[k]..starts[k + 1] - 1];
        let lon_text = field(c.lon);
        if lon_text.trim().is_empty() && (0..c.fields).all(|k| field(k).trim().is_empty()) {
            continue;
        }
        let lon = fast_number(lon_text)?;
        let lat = fast_number(field(c.lat))?;
        if lon.abs() > 1000.0
            || lat.abs() > 1000.0
            || !(-90.0..=90.0).contains(&lat)
            || !(-180.0..=180.0).contains(&lon)
        {
            return None;
        }
        let weight = match c.weight {
            None => 1.0,
            Some(w) => {
                let w = fast_number(field(w))?;
                if w < 0.0 {
                    return None;
                }
                w
            }
        };
        let id = c.id.map_or("", |i| trim(field(i)));
        if let Some(n) = c.name {
            // A name distinct from the id is kept by the sequential reader.
            let name = field(n);
            if !name.is_empty() && (id.is_empty() || name != id) {
                return None;
            }
        }
        if id.is_empty() {
            part.unnamed.push((part.lon.len(), line));
        }
        part.ids.push_str(id);
        part.id_ends.push(part.ids.len());
        part.lon.push(lon);
        part.lat.push(lat);
        part.weight.push(weight);
        let group = match c.group.map(field) {
            Some(g) if !g.trim().is_empty() => {
                let next = part.groups.len() as u32;
                *group_ids.entry(g).or_insert_with(|| {
                    part.groups.push(g.to_string());
                    next
                })
            }
            _ => u32::MAX,
        };
        part.group.push(group);
    }
    Some(part)
}

/// Where the rows of a demand file start: the line break that ends the header
/// line (`None` when the header is not followed by one), and the physical
/// lines before it.
fn data_start(bytes: &[u8], start: usize) -> Option<(usize, u64)> {
    let first = bytes[start..]
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')?;
    let data = memchr::memchr2(b'\n', b'\r', &bytes[start + first..])
        .map_or(bytes.len(), |e| start + first + e);
    let breaks = Lines::new(&bytes[..data]).starts.len() as u64 - 1;
    Some((data, breaks))
}

/// Parses `text` (whole lines) in parts of about [`PART_BYTES`] on the pool;
/// a `None` part stops the parallel reader.
fn parse_parts(text: &[u8], c: &FastColumns) -> Vec<Option<Part>> {
    use rayon::prelude::*;
    // Parts end just after a `\n`, so a CRLF pair never straddles two.
    let mut bounds = vec![0];
    let mut at = 0;
    while at < text.len() {
        let want = (at + PART_BYTES).min(text.len());
        at = match memchr::memchr(b'\n', &text[want..]) {
            Some(e) if want < text.len() => want + e + 1,
            _ => text.len(),
        };
        bounds.push(at);
    }
    bounds
        .par_windows(2)
        .map(|w| parse_part(&text[w[0]..w[1]], c))
        .collect()
}

/// Appends parsed parts to `b` in order; `breaks` counts the line breaks
/// before the first part and is moved past each. False at a `None` part.
fn append_parts(b: &mut Builder<'_>, parts: Vec<Option<Part>>, breaks: &mut u64) -> bool {
    for part in parts {
        let Some(part) = part else {
            return false;
        };
        let remap: Vec<u32> = part
            .groups
            .into_iter()
            .map(|g| {
                let next = b.set.groups.len() as u32;
                *b.group_ids.entry(g.clone()).or_insert_with(|| {
                    b.set.groups.push(g);
                    next
                })
            })
            .collect();
        let group = |row: usize| {
            let g = part.group[row];
            if g == u32::MAX { g } else { remap[g as usize] }
        };
        if part.unnamed.is_empty() {
            // Whole columns at once: the ids are the part's as they stand.
            b.set.append_plain(
                &part.ids,
                &part.id_ends,
                &part.lon,
                &part.lat,
                &part.weight,
                group,
            );
            *breaks += part.breaks;
            continue;
        }
        let mut unnamed = part.unnamed.iter().peekable();
        let mut from = 0;
        for (row, &to) in part.id_ends.iter().enumerate() {
            let default;
            let id = match unnamed.peek() {
                Some(&&(r, line)) if r == row => {
                    unnamed.next();
                    default = format!("line{}", *breaks + line + 1);
                    default.as_str()
                }
                _ => &part.ids[from..to],
            };
            from = to;
            b.set.push_plain(
                id,
                part.lon[row],
                part.lat[row],
                part.weight[row],
                group(row),
            );
        }
        *breaks += part.breaks;
    }
    true
}

/// Fills `b` with the rows of a clean, quote-free demand file, parsing parts of
/// it in parallel and appending them in file order (so the places, their group
/// numbers and ids are the sequential reader's whatever the thread count).
/// A batch of parts is appended while the next is parsed.
/// Returns false, with `b` to be dropped, as soon as one record needs the
/// sequential reader.
fn fast_fill(
    b: &mut Builder<'_>,
    bytes: &[u8],
    start: usize,
    c: &FastColumns,
    progress: &crate::progress::Bar,
) -> bool {
    let Some((data, mut breaks)) = data_start(bytes, start) else {
        return false;
    };
    let rows_guess = (bytes.len() - data) / 24;
    b.set.reserve(rows_guess, bytes.len() / 4);
    let mut pending = Vec::new();
    let mut at = data;
    while at < bytes.len() {
        let want = (at + PART_BYTES * PARTS_AT_ONCE).min(bytes.len());
        let end = match memchr::memchr(b'\n', &bytes[want..]) {
            Some(e) if want < bytes.len() => want + e + 1,
            _ => bytes.len(),
        };
        let done = std::mem::take(&mut pending);
        let (parsed, appended) = rayon::join(
            || parse_parts(&bytes[at..end], c),
            || append_parts(b, done, &mut breaks),
        );
        if !appended {
            return false;
        }
        pending = parsed;
        progress.set(at as u64);
        at = end;
    }
    append_parts(b, pending, &mut breaks)
}

/// Bytes read at once by [`stream_fill`], and parsed as one batch.
pub(super) const BLOCK_BYTES: usize = PART_BYTES * PARTS_AT_ONCE;

/// Reads from `rest` onto the end of `buf` until `block` more bytes are in or
/// the file ends; true at the end of the file.
fn read_block(
    rest: &mut (dyn std::io::Read + Send),
    buf: &mut Vec<u8>,
    block: usize,
) -> std::io::Result<bool> {
    use std::io::Read;
    let want = buf.len() + block;
    buf.reserve(block);
    while buf.len() < want {
        let n = rest.take((want - buf.len()) as u64).read_to_end(buf)?;
        if n == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// [`fast_fill`] for a file read while it loads: `head` is its start (the
/// header included) and `rest` reads what follows. Each block is parsed on the
/// pool while the next is read and the one before is appended, so the whole
/// file is never in memory. False, with `b` to be dropped, at the first record
/// the sequential reader must handle, at a quote, or when reading fails.
fn stream_fill(
    b: &mut Builder<'_>,
    head: &[u8],
    start: usize,
    rest: Rest<'_>,
    c: &FastColumns,
    progress: &crate::progress::Bar,
) -> bool {
    let Rest {
        reader: rest,
        len: total,
        block: block_bytes,
    } = rest;
    let Some((data, mut breaks)) = data_start(head, start) else {
        return false;
    };
    let mut read = head.len() as u64;
    progress.set(read);
    let rows_guess = (total.saturating_sub(data as u64) / 24) as usize;
    b.set.reserve(rows_guess, total as usize / 4);
    let mut block = head[data..].to_vec();
    let mut next: Vec<u8> = Vec::with_capacity(block.len() + block_bytes);
    let mut pending = Vec::new();
    let mut ended = false;
    loop {
        // The block's whole lines; the rest opens the next block.
        let lines = if ended {
            block.len()
        } else {
            match memchr::memrchr(b'\n', &block) {
                Some(e) => e + 1,
                // Lines longer than blocks (or a file with lone `\r` line
                // ends) are the sequential reader's; a short line that a small
                // block cut is carried into the next.
                None if block.len() > 4 * block_bytes.max(PART_BYTES) => return false,
                None => 0,
            }
        };
        let done = std::mem::take(&mut pending);
        let (got, (parsed, appended)) = rayon::join(
            || {
                if ended {
                    return Ok(true);
                }
                next.clear();
                next.extend_from_slice(&block[lines..]);
                read_block(rest, &mut next, block_bytes)
            },
            || {
                rayon::join(
                    || {
                        let text = &block[..lines];
                        if memchr::memchr(b'"', text).is_some() {
                            vec![None]
                        } else {
                            parse_parts(text, c)
                        }
                    },
                    || append_parts(b, done, &mut breaks),
                )
            },
        );
        if !appended {
            return false;
        }
        pending = parsed;
        if ended {
            break;
        }
        let Ok(at_end) = got else {
            return false;
        };
        read += (next.len() - (block.len() - lines)) as u64;
        progress.set(read);
        std::mem::swap(&mut block, &mut next);
        ended = at_end;
    }
    append_parts(b, pending, &mut breaks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_open_at_the_end_of_the_file_is_found() {
        for (raw, open) in [
            ("b,11.5,\"51.1\n", true),
            ("\"b,11.5,51.1\n", true),
            ("b,\"x \"\"y\"\" z\",1\n", false),
            ("b,\"x \"\"y\n", true),
            ("b,12\" pipe,1\n", false),
            ("b,\"a\nb\",1\n", false),
            ("", false),
        ] {
            assert_eq!(ends_inside_quotes(raw.as_bytes(), b','), open, "{raw:?}");
        }
    }

    #[test]
    fn sniffs_the_most_frequent_delimiter_outside_quotes() {
        assert_eq!(sniff_delimiter(b"id,lon,lat\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter(b"id;lon;lat\r\n1;2,5;3\r\n"), b';');
        assert_eq!(sniff_delimiter(b"id\tlon\tlat\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",lon,lat\n"), b',');
        assert_eq!(sniff_delimiter(b"\r\n\nname;lon;lat"), b';');
        assert_eq!(sniff_delimiter(b"lon"), b',');
    }

    #[test]
    fn excel_sep_line() {
        assert_eq!(excel_sep(b"sep=;\r\nid;lon"), Some((b';', 7)));
        assert_eq!(excel_sep(b"SEP=\t\nid"), Some((b'\t', 6)));
        assert_eq!(excel_sep(b"sep=;"), None);
        assert_eq!(excel_sep(b"sep,lon,lat\n"), None);
        assert_eq!(excel_sep(b"sep=|\n"), None);
    }

    use crate::progress::Bar;

    /// Everything a place holds, for comparing two readings of one file.
    fn dump(set: &PlaceSet) -> Vec<String> {
        let mut out: Vec<String> = set
            .iter()
            .map(|p| format!("{p:?} {:?}", set.group_name(&p)))
            .collect();
        out.push(format!("{:?}", set.groups));
        out.push(format!("{:?}", set.notes));
        out.push(format!("{:?}", set.warnings));
        out
    }

    fn both(text: &str, opts: &LoadOptions) -> (PlaceSet, PlaceSet) {
        let path = Path::new("d.csv");
        let hidden = Bar::hidden();
        let sequential = load_impl(
            path,
            text.as_bytes(),
            Role::Demand,
            opts,
            &hidden,
            usize::MAX,
        )
        .unwrap();
        let fast = load_impl(path, text.as_bytes(), Role::Demand, opts, &hidden, 0).unwrap();
        (sequential, fast)
    }

    /// A demand file with the features the parallel reader must keep: CRLF and
    /// LF mixed, blank and all-empty lines, missing ids, padded fields, groups,
    /// a `sep=` line; long enough to be split into several parts.
    fn messy(rows: usize) -> String {
        let mut t = String::from("sep=;\r\nid;name;lon;lat;weight;region\r\n");
        for i in 0..rows {
            let lon = -179.5 + (i * 7919 % 359_000) as f64 / 1000.0;
            let lat = -89.5 + (i * 104_729 % 179_000) as f64 / 1000.0;
            let id = if i % 11 == 0 {
                String::new()
            } else {
                format!(" p{i} ")
            };
            let name = if i % 3 == 0 {
                id.trim().to_string()
            } else {
                String::new()
            };
            let region = ["north", "", "south", " east", "west "][i % 5];
            t.push_str(&format!("{id};{name};{lon};{lat}; {}.5 ;{region}", i % 97));
            t.push_str(if i % 2 == 0 { "\r\n" } else { "\n" });
            if i % 1000 == 7 {
                t.push_str("\n;;;;;\r\n\r\n");
            }
        }
        t
    }

    #[test]
    fn the_parallel_reader_gives_the_sequential_readers_places() {
        let text = messy(60_000);
        assert!(text.len() > 2 * PART_BYTES, "several parts");
        let opts = LoadOptions::default();
        // The parallel path must take this file, not hand it back.
        let bytes = text.as_bytes();
        let mut b = Builder::new("d.csv".into(), Role::Demand, &opts);
        let cols = FastColumns {
            delimiter: b';',
            fields: 6,
            lon: 2,
            lat: 3,
            weight: Some(4),
            id: Some(0),
            name: Some(1),
            group: Some(5),
        };
        assert!(fast_fill(&mut b, bytes, 7, &cols, &Bar::hidden()));
        let (sequential, fast) = both(&text, &opts);
        assert_eq!(sequential.len(), 60_000);
        assert_eq!(dump(&sequential), dump(&fast));
        // Ids of rows without one name their physical line.
        assert_eq!(fast.id(0), "line3");
        assert_eq!(fast.id(11), "line17");
    }

    #[test]
    fn the_parallel_reader_is_the_same_on_one_thread_and_on_three() {
        let text = messy(30_000);
        let opts = LoadOptions::default();
        let on = |n: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap();
            pool.install(|| {
                let set = load_impl(
                    Path::new("d.csv"),
                    text.as_bytes(),
                    Role::Demand,
                    &opts,
                    &Bar::hidden(),
                    0,
                )
                .unwrap();
                dump(&set)
            })
        };
        assert_eq!(on(1), on(3));
    }

    /// The file `text` loaded while read: `head` bytes first, then blocks of
    /// `block` bytes from a reader.
    fn streamed(text: &str, opts: &LoadOptions, head: usize, block: usize) -> Option<PlaceSet> {
        let bytes = text.as_bytes();
        let mut reader = &bytes[head..];
        let rest = Rest {
            reader: &mut reader,
            len: bytes.len() as u64,
            block,
        };
        load_streaming(
            Path::new("d.csv"),
            &bytes[..head],
            rest,
            Role::Demand,
            opts,
            &Bar::hidden(),
        )
    }

    #[test]
    fn a_file_read_while_it_loads_gives_the_sequential_readers_places() {
        let text = messy(20_000);
        let opts = LoadOptions::default();
        let (sequential, _) = both(&text, &opts);
        let want = dump(&sequential);
        // Heads and blocks that end anywhere: inside a CRLF pair, a field, a
        // blank line; blocks of a few bytes to more than the file.
        for (head, block) in [
            (20_000, 1),
            (20_000, 7),
            (30_001, 4_096),
            (65_536, 100_003),
            (100_000, 1 << 20),
            (text.len() - 5, 3),
            (50_000, text.len()),
        ] {
            let got = streamed(&text, &opts, head, block)
                .unwrap_or_else(|| panic!("head {head}, block {block}: not taken"));
            assert_eq!(dump(&got), want, "head {head}, block {block}");
            assert_eq!(got.notes, sequential.notes);
            assert_eq!(got.warnings, sequential.warnings);
        }
        // And the same on one thread as on three.
        let on = |n: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap();
            pool.install(|| dump(&streamed(&text, &opts, 40_000, 9_999).unwrap()))
        };
        assert_eq!(on(1), want);
        assert_eq!(on(3), want);
    }

    #[test]
    fn a_file_read_while_it_loads_is_handed_back_when_the_parallel_reader_cannot_take_it() {
        let base = messy(20_000);
        let opts = LoadOptions::default();
        let at = base.len() - 2_000;
        let line_start = at + base[at..].find('\n').unwrap() + 1;
        let with = |insert: &str| format!("{}{insert}{}", &base[..line_start], &base[line_start..]);
        // After the head: a quote, a bad value, a totals row.
        for text in [
            with("\"p x\";;1;2;3;north\n"),
            with("p y;;1;north;3;north\n"),
            with("Total;;;;99;\n"),
        ] {
            assert!(streamed(&text, &opts, 100_000, 8_192).is_none());
        }
        assert!(streamed(&base, &opts, 100_000, 8_192).is_some());
        // Without a weight column, the warning about a weight-like column reads
        // the first 200 rows: a head with fewer is handed back.
        let mut plain = String::from("id,lon,lat,revenue\n");
        for i in 0..1_000 {
            plain.push_str(&format!("p{i},{}.5,{}.25,{i}\n", i % 170, i % 80));
        }
        assert!(streamed(&plain, &opts, 2_000, 1_000).is_none());
        let got = streamed(&plain, &opts, 12_000, 1_000).unwrap();
        let (sequential, _) = both(&plain, &opts);
        assert_eq!(dump(&got), dump(&sequential));
        assert_eq!(got.warnings, sequential.warnings);
        assert!(
            got.warnings[0].contains("`revenue` looks like one"),
            "{:?}",
            got.warnings
        );
    }

    #[test]
    fn files_the_parallel_reader_cannot_take_are_read_and_reported_as_before() {
        let base = messy(20_000);
        let opts = LoadOptions::default();
        let path = Path::new("d.csv");
        let hidden = Bar::hidden();
        // A bad value deep in the file, a totals row, a quoted field, a name that
        // is not the id, a decimal comma: each is handed to the sequential reader,
        // which loads or reports exactly as it does alone.
        let bad_lon = format!("{base}x;;abc;1;1;north\n");
        let totals = format!("{base}Total;;;;5;\n");
        let quoted = format!("{base}\"q\";;1;2;3;north\n");
        let named = format!("{base}a;Alpha;1;2;3;north\n");
        let comma = format!("{base}a;;1,5;2;3;north\n");
        let ragged = format!("{base}a;;1;2\n");
        for text in [&bad_lon, &totals, &quoted, &named, &comma, &ragged] {
            let seq = load_impl(
                path,
                text.as_bytes(),
                Role::Demand,
                &opts,
                &hidden,
                usize::MAX,
            );
            let fast = load_impl(path, text.as_bytes(), Role::Demand, &opts, &hidden, 0);
            match (seq, fast) {
                (Ok(a), Ok(b)) => assert_eq!(dump(&a), dump(&b)),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{:?} vs {:?}", a.err(), b.err()),
            }
        }
        let err = load_impl(path, bad_lon.as_bytes(), Role::Demand, &opts, &hidden, 0)
            .unwrap_err()
            .to_string();
        let line = bad_lon.lines().count();
        assert!(
            err.contains(&format!("d.csv:line {line}: column `lon`")),
            "{err}"
        );
        assert!(err.contains("\"abc\""), "{err}");
    }

    /// What the parallel reader accepted before the plain-decimal path: the
    /// standard parser's finite values.
    fn by_std(text: &str) -> Option<f64> {
        let v: f64 = text.trim().parse().ok()?;
        v.is_finite().then_some(v)
    }

    #[test]
    fn plain_decimals_and_hostile_strings_read_as_the_standard_parser_reads_them() {
        for text in [
            "0",
            "-0",
            "-0.0",
            "00.5",
            "12.5",
            "-73.906991",
            "180",
            "-180.000000",
            "90.0",
            "9007199254740992",
            "9007199254740993",
            "0.9007199254740993",
            "1234567890123456789",
            "12345678901234567890",
            "0.0000000000000000001",
            "1.00000000000000000000001",
            "",
            " ",
            "-",
            ".",
            "5.",
            ".5",
            "-.5",
            "+5",
            "+-5",
            "--5",
            "1e5",
            "1E-3",
            "1e308",
            "1e309",
            "-1e400",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "infinity",
            "1,5",
            "1.234,5",
            "1,234.5",
            "1 234",
            "1_000",
            " 7.25 ",
            "7.25\t",
            "\u{a0}7.25",
            "0x10",
            "1.2.3",
            "12a",
            "١٢",
            "4.9e-324",
            "2.2250738585072014e-308",
        ] {
            let want = by_std(text);
            let got = fast_number(text);
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "{text:?}: {got:?} vs {want:?}"
            );
            if let Some(v) = plain_decimal(text.as_bytes()) {
                assert_eq!(Some(v.to_bits()), want.map(f64::to_bits), "{text:?}");
            }
        }
        // The plain path takes the usual coordinates and counts.
        for text in [
            "-73.906991",
            "0",
            "-0.5",
            "9007199254740992",
            "12.345678901234",
        ] {
            assert!(plain_decimal(text.as_bytes()).is_some(), "{text:?}");
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\r",
            "\u{a0}a",
            "a\u{2003}",
            "é",
            "ab c",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn numbers_read_as_the_standard_parser_reads_them(
            text in proptest::prop_oneof![
                "-?[0-9]{1,12}(\\.[0-9]{1,12})?",
                "-?[0-9]{0,22}\\.?[0-9]{0,22}",
                "[-+ ]?[0-9.,eE_ +-]{0,14}",
                "\\PC{0,12}",
            ],
        ) {
            let want = by_std(&text);
            proptest::prop_assert_eq!(fast_number(&text).map(f64::to_bits), want.map(f64::to_bits));
        }

        #[test]
        fn plain_decimals_near_the_exact_limit_round_as_the_standard_parser(
            m in (1u64 << 50)..=(1u64 << 53) + 5,
            point in 0usize..17,
            negative in proptest::bool::ANY,
        ) {
            let digits = m.to_string();
            let at = digits.len() - point.min(digits.len() - 1);
            let text = format!(
                "{}{}{}{}",
                if negative { "-" } else { "" },
                &digits[..at],
                if at < digits.len() { "." } else { "" },
                &digits[at..]
            );
            let want: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(
                fast_number(&text).map(f64::to_bits),
                Some(want.to_bits()),
                "{}", text
            );
        }
    }

    #[test]
    fn physical_lines_count_crlf_lone_cr_and_blank_lines() {
        let b = b"h\r\n\r\nx\ry\n\nz";
        let l = Lines::new(b);
        assert_eq!(l.of_record(b, 0), 1);
        assert_eq!(l.of_record(b, 3), 3); // skips the blank line 2
        assert_eq!(l.of_record(b, 7), 4);
        assert_eq!(l.of_record(b, 9), 6);
    }
}
