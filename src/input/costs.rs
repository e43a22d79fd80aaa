//! Loading a travel-cost matrix (`--costs FILE`): the origin-destination
//! table a routing engine or GIS exports (OSRM's table service, Valhalla's
//! matrix, r5, ArcGIS OD Cost Matrix, pgRouting) as *long* CSV, one row per
//! (demand, site) pair.
//!
//! The loader lives with the other inputs because it is one: a file a planner
//! hands over, read with the same care (the delimiter sniffed, a BOM and CRLF
//! taken as they are, every bad value named by file, line, column and value).
//! It knows nothing of distance models: it returns a [`CostTable`], the
//! sparse matrix in CSR form keyed by the matrix's own origin and destination
//! indices, and `metric::matrix` maps places onto it.
//!
//! Memory is proportional to the pairs: 16 bytes a pair while loading (the
//! triples, sorted in place), 16 bytes a pair kept (site, cost, and the
//! position of each entry in site order for lookups), plus the ids.

use super::csv::sniff_delimiter;
use super::{
    InputError, Location, clip, has_decimal_comma, has_decimal_point, parse_number, reads_two_ways,
};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::Path;

/// Column names looked for, in order, for the demand (origin) id.
pub const FROM_NAMES: &[&str] = &[
    "origin",
    "origin_id",
    "from",
    "from_id",
    "demand_id",
    "demand",
    "originid",
];

/// Column names looked for, in order, for the site (destination) id.
pub const TO_NAMES: &[&str] = &[
    "destination",
    "destination_id",
    "to",
    "to_id",
    "site_id",
    "candidate_id",
    "site",
    "candidate",
    "destinationid",
];

/// Column names looked for, in order, for the cost.
pub const COST_NAMES: &[&str] = &[
    "cost",
    "time",
    "travel_time",
    "duration",
    "minutes",
    "distance",
    "total_time",
    // ArcGIS Network Analyst's OD cost matrix.
    "total_traveltime",
    "traveltime",
    "total_minutes",
];

/// Column overrides and CSV settings for a cost matrix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostOptions {
    /// Demand id column (`--cost-from-col`).
    pub from_col: Option<String>,
    /// Site id column (`--cost-to-col`).
    pub to_col: Option<String>,
    /// Cost column (`--cost-col`).
    pub cost_col: Option<String>,
    /// Field delimiter; `None` sniffs it from the header line.
    pub delimiter: Option<u8>,
    /// Costs are written with a decimal comma (detected without it in `;` files).
    pub decimal_comma: bool,
}

/// A sparse origin-destination cost matrix in CSR form.
///
/// Row `r` (origin `origins[r]`) holds entries `off[r]..off[r + 1]` of `site`
/// and `cost`, sorted by cost, ties by site. A pair that is not stored is
/// unreachable.
#[derive(Debug, Clone, Default)]
pub struct CostTable {
    /// The file, for messages.
    pub source: String,
    /// Origin (demand) ids, by row index.
    pub origins: Vec<String>,
    /// Destination (site) ids, by column index.
    pub destinations: Vec<String>,
    /// Row offsets into `site` and `cost` (`origins.len() + 1` of them).
    pub off: Vec<usize>,
    /// Destination index of each entry.
    pub site: Vec<u32>,
    /// Cost of each entry, in the file's unit.
    pub cost: Vec<f64>,
    /// Per row, the entries' positions within the row in destination order,
    /// for [`CostTable::lookup`].
    pub by_site: Vec<u32>,
    /// The largest cost stored (0 when empty).
    pub max_cost: f64,
    /// How the file was read and what was merged, for the report's notes.
    pub notes: Vec<String>,
    /// The cost column's header, as written.
    pub cost_column: String,
}

impl CostTable {
    /// Number of stored pairs.
    pub fn pairs(&self) -> usize {
        self.site.len()
    }

    /// The entries of row `r`: destinations and costs, sorted by cost.
    pub fn row(&self, r: u32) -> (&[u32], &[f64]) {
        let (a, b) = (self.off[r as usize], self.off[r as usize + 1]);
        (&self.site[a..b], &self.cost[a..b])
    }

    /// The cost from origin row `r` to destination `s`, if the pair is stored.
    pub fn lookup(&self, r: u32, s: u32) -> Option<f64> {
        let a = self.off[r as usize];
        let order = &self.by_site[a..self.off[r as usize + 1]];
        let k = order
            .binary_search_by(|&p| self.site[a + p as usize].cmp(&s))
            .ok()?;
        Some(self.cost[a + order[k] as usize])
    }
}

#[derive(Clone, Copy)]
struct Triple {
    row: u32,
    site: u32,
    cost: f64,
}

/// Loads a cost matrix from a file.
///
/// # Errors
/// [`InputError`] naming the file, line, column and value: unreadable,
/// negative, NaN or infinite costs, empty ids, missing columns (listing the
/// header), rows with the wrong number of fields, a file without rows.
pub fn load_costs(path: &Path, opts: &CostOptions) -> Result<CostTable, InputError> {
    let bytes = std::fs::read(path).map_err(|reason| InputError::Io {
        path: path.to_path_buf(),
        reason,
    })?;
    load_costs_bytes(path, &bytes, opts)
}

struct Columns {
    from: usize,
    to: usize,
    cost: usize,
    names: [String; 3],
}

fn columns(path: &Path, headers: &[String], opts: &CostOptions) -> Result<Columns, InputError> {
    let listed = || {
        clip(
            &headers
                .iter()
                .take(30)
                .map(|h| format!("`{}`", clip(h, 40)))
                .collect::<Vec<_>>()
                .join(", "),
            400,
        )
    };
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
    };
    let one = |given: &Option<String>,
               names: &[&str],
               what: &'static str,
               flag: &'static str|
     -> Result<usize, InputError> {
        match given {
            Some(n) => find(n).ok_or_else(|| InputError::NoSuchColumn {
                path: path.to_path_buf(),
                flag,
                name: clip(n, 80),
                found: listed(),
            }),
            None => names
                .iter()
                .find_map(|n| find(n))
                .ok_or_else(|| InputError::MissingColumn {
                    path: path.to_path_buf(),
                    what,
                    looked_for: names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    found: listed(),
                    flag,
                    hint: if headers.len() == 1 {
                        "; the header has a single column: if fields are separated by another character, pass --delimiter".into()
                    } else {
                        "; a cost matrix is long CSV with one row per (demand, site) pair".into()
                    },
                }),
        }
    };
    let from = one(
        &opts.from_col,
        FROM_NAMES,
        "demand id (origin)",
        "--cost-from-col",
    )?;
    let to = one(
        &opts.to_col,
        TO_NAMES,
        "site id (destination)",
        "--cost-to-col",
    )?;
    let cost = one(&opts.cost_col, COST_NAMES, "cost", "--cost-col")?;
    let fields = [
        (from, "demand id", "--cost-from-col"),
        (to, "site id", "--cost-to-col"),
        (cost, "cost", "--cost-col"),
    ];
    for (i, &(a, wa, fa)) in fields.iter().enumerate() {
        for &(b, wb, fb) in &fields[i + 1..] {
            if a == b {
                return Err(InputError::SameColumn {
                    path: path.to_path_buf(),
                    column: clip(&headers[a], 80),
                    first: wa,
                    second: wb,
                    flags: format!("{fa}, {fb}"),
                });
            }
        }
    }
    Ok(Columns {
        from,
        to,
        cost,
        names: [
            headers[from].clone(),
            headers[to].clone(),
            headers[cost].clone(),
        ],
    })
}

/// Reads every record after the header, giving `sink` its line and fields.
fn scan(
    path: &Path,
    body: &[u8],
    delimiter: u8,
    sink: &mut dyn FnMut(u64, &::csv::ByteRecord) -> Result<bool, InputError>,
) -> Result<(), InputError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(body);
    let _ = reader.byte_headers();
    let mut record = ::csv::ByteRecord::new();
    // Physical lines, as an editor counts them (blank lines, CRLF and a lone CR
    // included), counted incrementally since records come in file order.
    let (mut at, mut current) = (0usize, 1u64);
    let mut line_of = |offset: u64| -> u64 {
        let mut end = (offset as usize).min(body.len());
        while end < body.len() && (body[end] == b'\r' || body[end] == b'\n') {
            end += 1;
        }
        for i in at..end.max(at) {
            let b = body[i];
            if b == b'\n' || (b == b'\r' && body.get(i + 1) != Some(&b'\n')) {
                current += 1;
            }
        }
        at = at.max(end);
        current
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                let line = record.position().map_or(0, |p| line_of(p.byte()));
                if !sink(line, &record)? {
                    return Ok(());
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_of(p.byte()));
                let message = match e.kind() {
                    ::csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "the row has {len} fields but the header has {expected_len}; quote fields that contain the delimiter {}",
                        super::delimiter_name(delimiter)
                    ),
                    _ => clip(&e.to_string(), 200),
                };
                return Err(InputError::Csv {
                    path: path.to_path_buf(),
                    location: Location::Line(line),
                    message,
                });
            }
        }
    }
}

fn text(field: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(field)
}

/// Loads a cost matrix from bytes already read; `path` names them in messages.
///
/// # Errors
/// As [`load_costs`].
pub fn load_costs_bytes(
    path: &Path,
    bytes: &[u8],
    opts: &CostOptions,
) -> Result<CostTable, InputError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let no_pairs = || InputError::NoPairs {
        path: path.to_path_buf(),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(no_pairs());
    }
    let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(body));
    let headers: Vec<String> = {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .delimiter(delimiter)
            .from_reader(body);
        reader
            .headers()
            .map_err(|e| InputError::Csv {
                path: path.to_path_buf(),
                location: Location::Line(1),
                message: clip(&e.to_string(), 200),
            })?
            .iter()
            .map(str::to_string)
            .collect()
    };
    let cols = columns(path, &headers, opts)?;
    let mut origins: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut destinations: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut origin_ids: Vec<String> = Vec::new();
    let mut destination_ids: Vec<String> = Vec::new();
    let mut triples: Vec<Triple> = Vec::new();
    let mut comma = opts.decimal_comma;
    let bad =
        |line: u64, column: &str, value: &str, problem: &str, hint: &str| InputError::BadValue {
            path: path.to_path_buf(),
            location: Location::Line(line),
            column: clip(column, 80),
            value: clip(value, 80),
            problem: problem.to_string(),
            hint: format!("; {hint}"),
        };
    let intern = |map: &mut FxHashMap<Box<str>, u32>, ids: &mut Vec<String>, id: &str| -> u32 {
        if let Some(&i) = map.get(id) {
            return i;
        }
        let i = ids.len() as u32;
        map.insert(id.into(), i);
        ids.push(id.to_string());
        i
    };
    if !comma && delimiter == b';' {
        // `;` files from European spreadsheets write decimal commas: one in
        // the cost column decides the mark for the whole file (read before
        // any row, so `1.234` means the same on every line).
        let (mut has_point, mut two_ways) = (false, None);
        scan(path, body, delimiter, &mut |line, rec| {
            let t = text(rec.get(cols.cost).unwrap_or(b""));
            if has_decimal_comma(&t) {
                comma = true;
                return Ok(false);
            }
            has_point = has_point || has_decimal_point(&t);
            if two_ways.is_none() && reads_two_ways(&t) {
                two_ways = Some((line, t.trim().to_string()));
            }
            Ok(true)
        })?;
        if let (false, false, Some((line, value))) = (comma, has_point, two_ways) {
            return Err(bad(
                line,
                &cols.names[2],
                &value,
                "ambiguous number in a `;`-separated file",
                "no cost in the file settles whether `.` is a decimal point or groups thousands: write 1234 if it groups thousands, or 1.2340 if it is a decimal point (one cost such as 12,5 or 12.25 anywhere in the file settles it for all)",
            ));
        }
    }
    scan(path, body, delimiter, &mut |line, rec| {
        let field = |i: usize| rec.get(i).unwrap_or(b"");
        let from = text(field(cols.from));
        let to = text(field(cols.to));
        let (from, to) = (from.trim(), to.trim());
        for (id, c) in [(from, &cols.names[0]), (to, &cols.names[1])] {
            if id.is_empty() {
                return Err(bad(
                    line,
                    c,
                    id,
                    "empty id",
                    "every row needs a demand id, a site id and a cost",
                ));
            }
        }
        let t = text(field(cols.cost));
        let c = &cols.names[2];
        let v =
            parse_number(&t, comma).map_err(|(problem, hint)| bad(line, c, &t, problem, &hint))?;
        if v.is_nan() {
            return Err(bad(
                line,
                c,
                &t,
                "not a number (NaN)",
                "write the travel cost as a number; leave out pairs that cannot be travelled (a missing pair is unreachable)",
            ));
        }
        if v.is_infinite() {
            return Err(bad(
                line,
                c,
                &t,
                "infinite cost",
                "leave out pairs that cannot be travelled instead (a missing pair is unreachable)",
            ));
        }
        if v < 0.0 {
            return Err(bad(
                line,
                c,
                &t,
                "negative cost",
                "travel costs are zero or more; check the column (--cost-col) and the export",
            ));
        }
        let row = intern(&mut origins, &mut origin_ids, from);
        let site = intern(&mut destinations, &mut destination_ids, to);
        triples.push(Triple { row, site, cost: v });
        Ok(true)
    })?;
    if triples.is_empty() {
        return Err(no_pairs());
    }
    // Sorted in place by (row, site, cost): duplicates sit together, the cheapest first.
    triples.par_sort_unstable_by(|a, b| {
        (a.row, a.site)
            .cmp(&(b.row, b.site))
            .then(a.cost.total_cmp(&b.cost))
    });
    let mut dup_pairs: FxHashSet<(u32, u32)> = FxHashSet::default();
    let mut kept = 0usize;
    for i in 0..triples.len() {
        let t = triples[i];
        if kept > 0 {
            let last = triples[kept - 1];
            if last.row == t.row && last.site == t.site {
                dup_pairs.insert((t.row, t.site));
                continue;
            }
        }
        triples[kept] = t;
        kept += 1;
    }
    let duplicates = triples.len() - kept;
    triples.truncate(kept);
    triples.shrink_to_fit();
    let n_rows = origin_ids.len();
    let mut off = vec![0usize; n_rows + 1];
    for t in &triples {
        off[t.row as usize + 1] += 1;
    }
    for r in 0..n_rows {
        off[r + 1] += off[r];
    }
    // Each row by (cost, site); each row's site order for lookups. Rows are
    // contiguous, so they are sorted in parallel on disjoint slices.
    let mut by_site: Vec<u32> = triples
        .par_iter()
        .enumerate()
        .map(|(i, t)| (i - off[t.row as usize]) as u32)
        .collect();
    {
        let mut slices: Vec<&mut [Triple]> = Vec::with_capacity(n_rows);
        let mut rest: &mut [Triple] = &mut triples;
        for r in 0..n_rows {
            let (a, b) = rest.split_at_mut(off[r + 1] - off[r]);
            slices.push(a);
            rest = b;
        }
        slices.par_iter_mut().for_each(|s| {
            s.sort_unstable_by(|a, b| a.cost.total_cmp(&b.cost).then(a.site.cmp(&b.site)))
        });
    }
    {
        let mut slices: Vec<&mut [u32]> = Vec::with_capacity(n_rows);
        let mut rest: &mut [u32] = &mut by_site;
        for r in 0..n_rows {
            let (a, b) = rest.split_at_mut(off[r + 1] - off[r]);
            slices.push(a);
            rest = b;
        }
        let tr = &triples;
        slices.par_iter_mut().enumerate().for_each(|(r, s)| {
            let base = off[r];
            s.sort_unstable_by_key(|&p| tr[base + p as usize].site)
        });
    }
    let site: Vec<u32> = triples.par_iter().map(|t| t.site).collect();
    let cost: Vec<f64> = triples.par_iter().map(|t| t.cost).collect();
    drop(triples);
    let max_cost = cost.iter().copied().fold(0.0, f64::max);
    let mut notes = vec![format!(
        "cost matrix {}: demand id=`{}`, site id=`{}`, cost=`{}`; delimiter {}{}; {} pairs from {} demand ids to {} site ids",
        path.display(),
        cols.names[0],
        cols.names[1],
        cols.names[2],
        super::delimiter_name(delimiter),
        if comma { ", decimal commas" } else { "" },
        site.len(),
        n_rows,
        destination_ids.len()
    )];
    if duplicates > 0 {
        let lines = first_duplicate(
            path,
            body,
            delimiter,
            &cols,
            &origins,
            &destinations,
            &dup_pairs,
        );
        notes.push(format!(
            "cost matrix {}: {duplicates} duplicate (demand, site) pair(s) merged, keeping the smaller cost{}",
            path.display(),
            match lines {
                Some((from, to, a, b)) => format!(
                    "; the first: {:?} to {:?} on lines {a} and {b}",
                    clip(&from, 40),
                    clip(&to, 40)
                ),
                None => String::new(),
            }
        ));
    }
    Ok(CostTable {
        source: path.display().to_string(),
        origins: origin_ids,
        destinations: destination_ids,
        off,
        site,
        cost,
        by_site,
        max_cost,
        notes,
        cost_column: cols.names[2].clone(),
    })
}

/// [`load_costs`] for a run that reads the costs in `unit`: a cost column
/// whose name contradicts the unit (see [`unit_mismatch`]) is warned about on
/// stderr and in the notes.
///
/// # Errors
/// As [`load_costs`].
pub fn load_costs_in(
    path: &Path,
    opts: &CostOptions,
    unit: crate::sphere::CostUnit,
) -> Result<CostTable, InputError> {
    let mut table = load_costs(path, opts)?;
    if let Some(w) = unit_mismatch(&table.cost_column, unit) {
        // A warning, not progress: --quiet does not hide it.
        eprintln!("outpost: warning: cost matrix {}: {w}", path.display());
        table
            .notes
            .push(format!("warning: cost matrix {}: {w}", path.display()));
    }
    Ok(table)
}

/// A warning when the cost column's name contradicts `unit`: its last word
/// names another unit (`minutes`, `dist_m`, `time_s` read as km, `km` read as
/// minutes), or it says time where `unit` is a distance, or the reverse (a
/// column `minutes` read with the default `--cost-unit km` makes every radius
/// and figure wrong by the unit). Words are split at non-letters and at
/// camelCase (`TotalTravelTime`); a unit word elsewhere (`min_cost`,
/// `peak_hour_time`, `last_mile_cost`) does not count, nor does a unit word
/// whose kind the rest of the name contradicts (`travel_time_m`), nor a rate
/// (`km_h`, `cost_per_km`).
pub fn unit_mismatch(column: &str, unit: crate::sphere::CostUnit) -> Option<String> {
    use crate::sphere::CostUnit;
    let mut spaced = String::new();
    let mut prev_lower = false;
    for c in column.trim().chars() {
        if c.is_ascii_uppercase() && prev_lower {
            spaced.push(' ');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        spaced.push(c.to_ascii_lowercase());
    }
    let words: Vec<&str> = spaced
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    let says_time = has(&["time", "duration", "traveltime"]);
    let says_distance = has(&["distance", "dist", "length"]);
    // A unit of the other kind earlier in the name, or `per`, makes a rate
    // (`km_h`, `cost_per_km`).
    let rate = |u: &CostUnit| {
        words.contains(&"per")
            || words[..words.len().saturating_sub(1)]
                .iter()
                .any(|w| CostUnit::parse(w).is_some_and(|x| x.is_time() != u.is_time()))
    };
    let named = words
        .last()
        .and_then(|w| CostUnit::parse(w))
        .filter(|u| !((u.is_time() && says_distance) || (!u.is_time() && says_time) || rate(u)));
    let long = |u: CostUnit| match u {
        CostUnit::Km => "kilometres",
        CostUnit::M => "metres",
        CostUnit::Mi => "miles",
        CostUnit::S => "seconds",
        CostUnit::Min => "minutes",
        CostUnit::H => "hours",
    };
    let read = format!(
        "costs are read as {} (--cost-unit{})",
        long(unit),
        if unit == CostUnit::default() {
            ", default km"
        } else {
            ""
        }
    );
    match named {
        Some(named) if named != unit => Some(format!(
            "the cost column `{column}` looks like {}, but {read}: pass --cost-unit {} if the costs are in {}",
            long(named),
            named.symbol(),
            long(named)
        )),
        Some(_) => None,
        None if says_time && !says_distance && !unit.is_time() => Some(format!(
            "the cost column `{column}` looks like travel times, but {read}: pass --cost-unit min (or s, h) if they are times"
        )),
        None if says_distance && !says_time && unit.is_time() => Some(format!(
            "the cost column `{column}` looks like distances, but {read}: pass --cost-unit km (or m, mi) if they are distances"
        )),
        None => None,
    }
}

/// The first pair of the file that repeats an earlier one: its ids and the two lines.
fn first_duplicate(
    path: &Path,
    body: &[u8],
    delimiter: u8,
    cols: &Columns,
    origins: &FxHashMap<Box<str>, u32>,
    destinations: &FxHashMap<Box<str>, u32>,
    dups: &FxHashSet<(u32, u32)>,
) -> Option<(String, String, u64, u64)> {
    let mut seen: FxHashMap<(u32, u32), u64> = FxHashMap::default();
    let mut found = None;
    let _ = scan(path, body, delimiter, &mut |line, rec| {
        let id = |i: usize| text(rec.get(i).unwrap_or(b"")).trim().to_string();
        let (from, to) = (id(cols.from), id(cols.to));
        let (Some(&r), Some(&s)) = (origins.get(from.as_str()), destinations.get(to.as_str()))
        else {
            return Ok(true);
        };
        if !dups.contains(&(r, s)) {
            return Ok(true);
        }
        if let Some(&first) = seen.get(&(r, s)) {
            found = Some((from, to, first, line));
            return Ok(false);
        }
        seen.insert((r, s), line);
        Ok(true)
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn load(text: &str) -> Result<CostTable, InputError> {
        load_costs_bytes(Path::new("m.csv"), text.as_bytes(), &CostOptions::default())
    }

    #[test]
    fn the_decimal_mark_is_decided_for_the_whole_file() {
        let cost = |t: &CostTable, row: usize| t.cost[t.off[row]];
        // A decimal comma on a later line makes `.` group thousands on every line.
        let t = load("origin;destination;distance\na;x;1.234\nb;y;12,5\n").unwrap();
        assert_eq!(cost(&t, 0), 1234.0);
        assert_eq!(cost(&t, 1), 12.5);
        // An unmistakable decimal point settles it the other way.
        let t = load("origin;destination;cost\na;x;1.234\nb;y;12.25\n").unwrap();
        assert_eq!(cost(&t, 0), 1.234);
        // Nothing settles it: refused, not guessed.
        let e = load("origin;destination;cost\na;x;7\nb;y;1.234\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("ambiguous"), "{e}");
        // A decimal point among decimal commas is refused at its line.
        let e = load("origin;destination;cost\na;x;12.5\nb;y;1,5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("decimal point"), "{e}");
    }

    #[test]
    fn cost_columns_named_against_the_unit_are_warned_about() {
        use crate::sphere::CostUnit;
        // (name, unit read, what the warning suggests)
        for (name, read, suggest) in [
            ("minutes", CostUnit::Km, "min"),
            ("Min", CostUnit::Km, "min"),
            ("cost_min", CostUnit::Km, "min"),
            ("time_s", CostUnit::Km, "s"),
            ("time_s", CostUnit::Min, "s"),
            ("duration_s", CostUnit::Min, "s"),
            ("travel_time_minutes", CostUnit::Km, "min"),
            ("Hours", CostUnit::Min, "h"),
            ("travel_time", CostUnit::Km, "min (or s, h)"),
            ("Total_TravelTime", CostUnit::Km, "min (or s, h)"),
            ("Duration", CostUnit::Mi, "min (or s, h)"),
            ("distance", CostUnit::S, "km (or m, mi)"),
            ("travel_distance", CostUnit::Min, "km (or m, mi)"),
            ("km", CostUnit::Min, "km"),
            ("Distance (km)", CostUnit::Min, "km"),
            ("dist_m", CostUnit::Km, "m"),
            ("distanceMeters", CostUnit::Km, "m"),
            ("length_m", CostUnit::Km, "m"),
            ("Miles", CostUnit::Km, "mi"),
            ("kilometres", CostUnit::M, "km"),
        ] {
            let w = unit_mismatch(name, read).unwrap_or_default();
            assert!(
                w.contains(&format!("--cost-unit {suggest} ")),
                "{name}: {w}"
            );
        }
        // Names that agree with the unit, say neither or name two units, and
        // short unit words that are not the last word, are left alone.
        for (name, read) in [
            ("minutes", CostUnit::Min),
            ("travel_time", CostUnit::S),
            ("dist_m", CostUnit::M),
            ("distance", CostUnit::Km),
            ("cost", CostUnit::Km),
            ("impedance", CostUnit::Min),
            ("min_cost", CostUnit::Km),
            ("minimum", CostUnit::Km),
            ("m_value", CostUnit::Min),
            ("peak_hour_time", CostUnit::Min),
            ("second_leg_cost", CostUnit::Km),
            ("last_mile_cost", CostUnit::Min),
            ("travel_cost", CostUnit::Km),
            ("driving_cost", CostUnit::Km),
            ("travel_time_m", CostUnit::Min),
            ("speed_kmh", CostUnit::Min),
            ("km_h", CostUnit::Km),
            ("cost_per_km", CostUnit::Min),
        ] {
            assert!(
                unit_mismatch(name, read).is_none(),
                "{name} read as {read:?}"
            );
        }
    }

    #[test]
    fn arcgis_od_cost_matrices_are_found_by_name() {
        let t = load(
            "ObjectID,Name,OriginID,DestinationID,DestinationRank,Total_TravelTime\n\
             1,a - x,a,x,1,12.5\n2,a - y,a,y,2,30\n",
        )
        .unwrap();
        assert_eq!(t.cost_column, "Total_TravelTime");
        assert_eq!(t.origins, ["a"]);
        assert_eq!(t.destinations, ["x", "y"]);
        assert_eq!(t.lookup(0, 1), Some(30.0));
        // Read as km (the default), the name says minutes' kind: warned about.
        assert!(unit_mismatch(&t.cost_column, crate::sphere::CostUnit::Km).is_some());
    }

    #[test]
    fn rows_sorted_by_cost_then_site() {
        let t =
            load("\u{feff}origin;destination;minutes\r\na;y;5\r\na;x;5\r\na;z;1,5\r\nb;x;0\r\n")
                .unwrap();
        assert_eq!(t.origins, ["a", "b"]);
        assert_eq!(t.destinations, ["y", "x", "z"]);
        let (s, c) = t.row(0);
        assert_eq!(s, [2, 0, 1]);
        assert_eq!(c, [1.5, 5.0, 5.0]);
        assert_eq!(t.lookup(0, 1), Some(5.0));
        assert_eq!(t.lookup(1, 2), None);
        assert_eq!(t.max_cost, 5.0);
    }

    #[test]
    fn duplicates_keep_the_smaller_cost_and_are_noted() {
        let t = load("from,to,cost\na,x,7\nb,x,1\na,x,3\na,x,9\n").unwrap();
        assert_eq!(t.lookup(0, 0), Some(3.0));
        assert_eq!(t.pairs(), 2);
        let note = &t.notes[1];
        assert!(note.contains("2 duplicate"), "{note}");
        assert!(note.contains("lines 2 and 4"), "{note}");
    }

    #[test]
    fn bad_values_are_located() {
        for (cost, want) in [
            ("-1", "negative cost"),
            ("NaN", "NaN"),
            ("inf", "infinite"),
            ("abc", "not a number"),
        ] {
            let e = load(&format!("from,to,cost\na,x,1\na,y,{cost}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("m.csv:line 3: column `cost`"), "{e}");
            assert!(e.contains(want), "{e}");
        }
        let e = load("a,b,c\n1,2,3\n").unwrap_err().to_string();
        assert!(e.contains("no demand id (origin) column"), "{e}");
        assert!(e.contains("`a`, `b`, `c`"), "{e}");
        assert!(matches!(
            load("from,to,cost\n"),
            Err(InputError::NoPairs { .. })
        ));
    }

    proptest! {
        #[test]
        fn lookup_and_rows_match_the_pairs(
            pairs in proptest::collection::vec((0u8..6, 0u8..8, 0u16..50), 1..80)
        ) {
            let mut text = String::from("origin,destination,cost\n");
            for (a, b, c) in &pairs {
                text.push_str(&format!("o{a},d{b},{c}\n"));
            }
            let t = load(&text).unwrap();
            let mut best: std::collections::BTreeMap<(String, String), f64> = Default::default();
            for (a, b, c) in &pairs {
                let e = best.entry((format!("o{a}"), format!("d{b}"))).or_insert(f64::INFINITY);
                *e = e.min(*c as f64);
            }
            prop_assert_eq!(t.pairs(), best.len());
            for r in 0..t.origins.len() as u32 {
                let (s, c) = t.row(r);
                for k in 1..s.len() {
                    prop_assert!((c[k - 1], s[k - 1]) < (c[k], s[k]));
                }
                for d in 0..t.destinations.len() as u32 {
                    let want = best.get(&(t.origins[r as usize].clone(), t.destinations[d as usize].clone())).copied();
                    prop_assert_eq!(t.lookup(r, d), want);
                }
            }
        }
    }
}
