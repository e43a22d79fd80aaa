//! Loading places (demand points, candidate sites, open outlets) from CSV,
//! GeoJSON and the GIS formats (GeoPackage, Shapefile, FlatGeobuf, GeoParquet),
//! with the checks that turn a bad file into a message a planner can act on.
//!
//! Every loader produces the same [`PlaceSet`]; everything downstream works on it
//! and never sees a file format. [`load_bytes`] is the one place that picks the
//! loader.

pub mod costs;
mod crs;
mod csv;
mod features;
mod fgb;
mod geojson;
mod geoparquet;
mod gpkg;
mod land;
mod shp;

pub use crs::{Crs, Projected};

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a file holds; decides which columns are required and whether ids must be unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Customers or sales, weighted.
    Demand,
    /// Possible new sites.
    Candidates,
    /// Outlets that are open.
    Sites,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Demand => "demand",
            Role::Candidates => "candidate",
            Role::Sites => "site",
        })
    }
}

/// The file format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// A GeoJSON FeatureCollection of Point/MultiPoint features.
    GeoJson,
    /// A GeoPackage (`.gpkg`): one feature layer, `--layer` picks it.
    GeoPackage,
    /// An ESRI Shapefile (`.shp`, with its `.dbf` and optional `.prj`).
    Shapefile,
    /// A FlatGeobuf file (`.fgb`).
    FlatGeobuf,
    /// A GeoParquet file (`.parquet`, `.geoparquet`): WKB geometries.
    GeoParquet,
}

impl Format {
    /// The format's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::GeoJson => "GeoJSON",
            Format::GeoPackage => "GeoPackage",
            Format::Shapefile => "Shapefile",
            Format::FlatGeobuf => "FlatGeobuf",
            Format::GeoParquet => "GeoParquet",
        }
    }
}

/// Column-name overrides and loading policy, shared by every input.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Longitude column name.
    pub lon_col: Option<String>,
    /// Latitude column name.
    pub lat_col: Option<String>,
    /// Weight column name.
    pub weight_col: Option<String>,
    /// Id column name.
    pub id_col: Option<String>,
    /// Group (region) column name.
    pub group_col: Option<String>,
    /// Force a format instead of deciding by extension.
    pub format: Option<Format>,
    /// The GeoPackage layer to read (`--layer`); without it, the file's only layer.
    pub layer: Option<String>,
    /// Skip bad rows instead of failing.
    pub skip_invalid: bool,
    /// In a batch of files, stop at the first bad file.
    pub fail_fast: bool,
    /// CSV field delimiter (`,`, `;` or tab); `None` sniffs it from the header line.
    pub delimiter: Option<u8>,
    /// CSV numbers are written with a decimal comma (`12,5`). Without it, decimal commas
    /// are still detected in files whose delimiter is `;`.
    pub decimal_comma: bool,
    /// The coordinate system of every file (`--crs`): WGS84 degrees by default, else metres.
    pub crs: Crs,
    /// Places may come without coordinates (distances come from a cost matrix,
    /// `--costs`): a CSV file with neither a longitude nor a latitude column
    /// loads ids (and weights) only; see [`PlaceSet::unlocated`].
    pub coordinates_optional: bool,
}

/// Parses a `--delimiter` value: `,`, `;`, a tab (`\t` or `tab`), or their names.
///
/// # Errors
/// A message listing the accepted values, for clap.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "\\t" | "tab" | "TAB" => Ok(b'\t'),
        _ => Err(format!(
            "{:?} is not a delimiter outpost reads: use ',', ';' or tab ('\\t' or tab)",
            clip(s, 20)
        )),
    }
}

/// A readable label for a delimiter byte, for notes and messages.
pub(crate) fn delimiter_name(d: u8) -> &'static str {
    match d {
        b',' => "','",
        b';' => "';'",
        b'\t' => "tab",
        _ => "other",
    }
}

/// Values echoed in messages are cut to a readable length, so that an error never
/// quotes a whole file.
pub(crate) use crate::sphere::clip_to as clip;

impl LoadOptions {
    /// The options for site files (existing outlets, candidates): sites carry no weight.
    pub fn for_sites(&self) -> LoadOptions {
        LoadOptions {
            weight_col: None,
            ..self.clone()
        }
    }
}

/// One located, weighted place.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Identifier (the id column, else the row or feature number).
    pub id: String,
    /// Display name, where the file has a `name` column distinct from the id.
    pub name: Option<String>,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Projected coordinates in metres (x/easting, y/northing) when the input's
    /// CRS is projected or `planar` (see [`Crs`]); `None` for WGS84 input. With
    /// `planar`, `lon` and `lat` are NaN: such places have no geographic position.
    pub xy: Option<[f64; 2]>,
    /// Weight (sales, population); 1 when the file has none.
    pub weight: f64,
    /// Index into [`PlaceSet::groups`], if the place has a group.
    pub group: Option<u32>,
    /// Set-up cost, for candidates.
    pub cost: Option<f64>,
    /// Capacity in weight units, for candidates and sites.
    pub capacity: Option<f64>,
    /// An existing site that never moves under `--relocate` (a `fixed` column: true/yes/1).
    pub fixed: bool,
}

impl Place {
    /// The name if there is one, else the id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A row or feature that was skipped under `--skip-invalid`.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// Why, as the error message would have said it.
    pub reason: String,
}

/// Strings stored end to end in one buffer: one allocation for millions of ids
/// instead of one each.
#[derive(Debug, Clone, Default)]
struct Arena {
    text: String,
    /// End offset of each string in `text`.
    ends: Vec<u64>,
}

impl Arena {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u64);
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }
}

/// The places of one input file, stored by column: ids in one string arena,
/// coordinates, weights and group indices in flat arrays, and the columns few
/// files have (name, projected metres, cost, capacity, fixed) only once a place
/// has one. Ten million demand points hold about 50 bytes each.
///
/// Read one field with [`PlaceSet::id`], [`PlaceSet::lon`], ..., or a whole
/// [`Place`] (owned) with [`PlaceSet::place`] and [`PlaceSet::iter`]; add places
/// with [`PlaceSet::push`].
#[derive(Debug, Clone, Default)]
pub struct PlaceSet {
    /// Where they came from, for messages.
    pub source: String,
    /// Group names; [`Place::group`] indexes into this.
    pub groups: Vec<String>,
    /// Rows skipped under `--skip-invalid`.
    pub skipped: Vec<Skipped>,
    /// How the file was read, for the report's notes: which columns gave lon, lat,
    /// weight, id and group, the delimiter and decimal mark, an empty site file.
    pub notes: Vec<String>,
    /// Things that look wrong but do not stop the run (a weight-like column that was
    /// not used, longitude and latitude that look swapped); [`load`] prints them to
    /// stderr as `outpost: warning: ...`.
    pub warnings: Vec<String>,
    /// The coordinate system the file was read in, when not WGS84 (`EPSG:32650`, `planar`).
    pub crs: Option<String>,
    /// The places have no coordinates (ids only, loaded with
    /// [`LoadOptions::coordinates_optional`]): their `lon` and `lat` are NaN.
    pub unlocated: bool,
    ids: Arena,
    /// Empty until a place has a name; then `""` for places without one.
    names: Arena,
    lon: Vec<f64>,
    lat: Vec<f64>,
    /// Empty until a place has projected metres; then NaN for places without.
    xy: Vec<[f64; 2]>,
    weight: Vec<f64>,
    /// Empty until a place has a group; then `u32::MAX` for places without.
    group: Vec<u32>,
    /// Empty until a place has a cost; then NaN for places without.
    cost: Vec<f64>,
    /// Empty until a place has a capacity; then NaN for places without.
    capacity: Vec<f64>,
    /// Empty until a place is fixed.
    fixed: Vec<bool>,
}

/// A column that is filled only once some place has a value: `pad` for the places
/// before.
fn put<T: Clone>(col: &mut Vec<T>, len: usize, value: Option<T>, pad: T) {
    match value {
        Some(v) => {
            col.resize(len, pad);
            col.push(v);
        }
        None if !col.is_empty() => col.push(pad),
        None => {}
    }
}

fn some_f64(v: Option<&f64>) -> Option<f64> {
    v.copied().filter(|v| !v.is_nan())
}

impl PlaceSet {
    /// A set of `places` (in that order) with no source, groups or notes.
    pub fn from_places(places: impl IntoIterator<Item = Place>) -> PlaceSet {
        let mut set = PlaceSet::default();
        for p in places {
            set.push(p);
        }
        set
    }

    /// An empty set with the same source, groups, notes and coordinate system as
    /// `self` (no places, nothing skipped): the start of a subset.
    pub fn empty_like(&self) -> PlaceSet {
        PlaceSet {
            source: self.source.clone(),
            groups: self.groups.clone(),
            notes: self.notes.clone(),
            warnings: self.warnings.clone(),
            crs: self.crs.clone(),
            unlocated: self.unlocated,
            ..PlaceSet::default()
        }
    }

    /// The places `indices` of `self`, in that order, with its groups and notes.
    pub fn subset(&self, indices: impl IntoIterator<Item = usize>) -> PlaceSet {
        let mut out = self.empty_like();
        out.skipped = self.skipped.clone();
        for i in indices {
            out.push(self.place(i));
        }
        out
    }

    /// Replaces the places with `places` (groups, notes and the rest stay).
    pub fn set_places(&mut self, places: impl IntoIterator<Item = Place>) {
        let meta = PlaceSet {
            source: std::mem::take(&mut self.source),
            groups: std::mem::take(&mut self.groups),
            skipped: std::mem::take(&mut self.skipped),
            notes: std::mem::take(&mut self.notes),
            warnings: std::mem::take(&mut self.warnings),
            crs: self.crs.take(),
            unlocated: self.unlocated,
            ..PlaceSet::default()
        };
        *self = meta;
        for p in places {
            self.push(p);
        }
    }

    /// Number of places.
    pub fn len(&self) -> usize {
        self.lon.len()
    }

    /// No places.
    pub fn is_empty(&self) -> bool {
        self.lon.is_empty()
    }

    /// Adds a place at the end; its group indexes [`PlaceSet::groups`].
    pub fn push(&mut self, p: Place) {
        let n = self.len();
        self.ids.push(&p.id);
        match p.name.as_deref() {
            Some(name) => {
                while self.names.len() < n {
                    self.names.push("");
                }
                self.names.push(name);
            }
            None if self.names.len() > 0 => self.names.push(""),
            None => {}
        }
        self.lon.push(p.lon);
        self.lat.push(p.lat);
        put(&mut self.xy, n, p.xy, [f64::NAN; 2]);
        self.weight.push(p.weight);
        put(&mut self.group, n, p.group, u32::MAX);
        put(&mut self.cost, n, p.cost, f64::NAN);
        put(&mut self.capacity, n, p.capacity, f64::NAN);
        put(&mut self.fixed, n, p.fixed.then_some(true), false);
    }

    /// A located place with nothing but an id, coordinates, a weight and a
    /// group, without building a [`Place`] (the fast CSV path).
    pub(crate) fn push_plain(&mut self, id: &str, lon: f64, lat: f64, weight: f64, group: u32) {
        let n = self.len();
        self.ids.push(id);
        if self.names.len() > 0 {
            self.names.push("");
        }
        self.lon.push(lon);
        self.lat.push(lat);
        if !self.xy.is_empty() {
            self.xy.push([f64::NAN; 2]);
        }
        self.weight.push(weight);
        put(
            &mut self.group,
            n,
            (group != u32::MAX).then_some(group),
            u32::MAX,
        );
        for col in [&mut self.cost, &mut self.capacity] {
            if !col.is_empty() {
                col.push(f64::NAN);
            }
        }
        if !self.fixed.is_empty() {
            self.fixed.push(false);
        }
    }

    /// Located places with nothing but ids, coordinates, weights and groups,
    /// given by column (the fast CSV path): as [`PlaceSet::push_plain`] for
    /// each, in order. `ids` holds the ids end to end, `id_ends[k]` the end of
    /// the `k`-th in it; `group(k)` is the `k`-th place's group (`u32::MAX`
    /// for none).
    pub(crate) fn append_plain(
        &mut self,
        ids: &str,
        id_ends: &[usize],
        lon: &[f64],
        lat: &[f64],
        weight: &[f64],
        group: impl Fn(usize) -> u32,
    ) {
        let count = id_ends.len();
        debug_assert!(lon.len() == count && lat.len() == count && weight.len() == count);
        let sparse = !self.names.ends.is_empty()
            || !self.xy.is_empty()
            || !self.cost.is_empty()
            || !self.capacity.is_empty()
            || !self.fixed.is_empty();
        if sparse {
            let mut from = 0;
            for (k, &to) in id_ends.iter().enumerate() {
                self.push_plain(&ids[from..to], lon[k], lat[k], weight[k], group(k));
                from = to;
            }
            return;
        }
        let n = self.len();
        let base = self.ids.text.len() as u64;
        self.ids.text.push_str(ids);
        self.ids
            .ends
            .extend(id_ends.iter().map(|&e| base + e as u64));
        self.lon.extend_from_slice(lon);
        self.lat.extend_from_slice(lat);
        self.weight.extend_from_slice(weight);
        if self.group.is_empty() {
            match (0..count).find(|&k| group(k) != u32::MAX) {
                None => return,
                Some(_) => self.group.resize(n, u32::MAX),
            }
        }
        self.group.extend((0..count).map(group));
    }

    /// Room for `n` more places with ids of about `id_bytes` bytes in all.
    pub(crate) fn reserve(&mut self, n: usize, id_bytes: usize) {
        self.ids.text.reserve(id_bytes);
        self.ids.ends.reserve(n);
        self.lon.reserve(n);
        self.lat.reserve(n);
        self.weight.reserve(n);
    }

    /// Place `i`, as an owned value.
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn place(&self, i: usize) -> Place {
        Place {
            id: self.id(i).to_string(),
            name: self.name(i).map(str::to_string),
            lon: self.lon[i],
            lat: self.lat[i],
            xy: self.xy(i),
            weight: self.weight[i],
            group: self.group(i),
            cost: self.cost(i),
            capacity: self.capacity(i),
            fixed: self.fixed(i),
        }
    }

    /// Every place, in order, as owned values.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Place> + '_ {
        (0..self.len()).map(|i| self.place(i))
    }

    /// The id of place `i`.
    pub fn id(&self, i: usize) -> &str {
        self.ids.get(i)
    }

    /// Every place's longitude, latitude and weight, in order.
    pub fn lons_lats_weights(&self) -> impl ExactSizeIterator<Item = (f64, f64, f64)> + '_ {
        (0..self.len()).map(|i| (self.lon[i], self.lat[i], self.weight[i]))
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.id(i))
    }

    /// The display name of place `i`, where it has one distinct from its id.
    pub fn name(&self, i: usize) -> Option<&str> {
        (i < self.names.len())
            .then(|| self.names.get(i))
            .filter(|n| !n.is_empty())
    }

    /// The name of place `i` if there is one, else its id.
    pub fn label(&self, i: usize) -> &str {
        self.name(i).unwrap_or_else(|| self.id(i))
    }

    /// Longitude of place `i`, degrees (NaN without coordinates).
    pub fn lon(&self, i: usize) -> f64 {
        self.lon[i]
    }

    /// Latitude of place `i`, degrees (NaN without coordinates).
    pub fn lat(&self, i: usize) -> f64 {
        self.lat[i]
    }

    /// Projected metres of place `i` (see [`Place::xy`]).
    pub fn xy(&self, i: usize) -> Option<[f64; 2]> {
        self.xy.get(i).copied().filter(|v| !v[0].is_nan())
    }

    /// Whether some place has projected metres.
    pub fn has_xy(&self) -> bool {
        self.xy.iter().any(|v| !v[0].is_nan())
    }

    /// Weight of place `i`.
    pub fn weight(&self, i: usize) -> f64 {
        self.weight[i]
    }

    /// Every weight, in order.
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// Group index of place `i` (into [`PlaceSet::groups`]).
    pub fn group(&self, i: usize) -> Option<u32> {
        self.group.get(i).copied().filter(|&g| g != u32::MAX)
    }

    /// Every place's group index, `u32::MAX` for none.
    pub fn group_indices(&self) -> Vec<u32> {
        if self.group.is_empty() {
            vec![u32::MAX; self.len()]
        } else {
            self.group.clone()
        }
    }

    /// Set-up cost of place `i`.
    pub fn cost(&self, i: usize) -> Option<f64> {
        some_f64(self.cost.get(i))
    }

    /// Capacity of place `i`.
    pub fn capacity(&self, i: usize) -> Option<f64> {
        some_f64(self.capacity.get(i))
    }

    /// Whether some place has a capacity.
    pub fn has_capacity(&self) -> bool {
        self.capacity.iter().any(|c| !c.is_nan())
    }

    /// Whether place `i` is fixed (never moves under `--relocate`).
    pub fn fixed(&self, i: usize) -> bool {
        self.fixed.get(i).copied().unwrap_or(false)
    }

    /// The places as unit vectors, in order.
    pub fn units(&self) -> Vec<crate::sphere::UnitVector> {
        self.lon
            .iter()
            .zip(&self.lat)
            .map(|(&lon, &lat)| crate::sphere::to_unit(lon, lat))
            .collect()
    }

    /// Total weight.
    pub fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// The group name of a place.
    pub fn group_name(&self, place: &Place) -> Option<&str> {
        place.group.map(|g| self.groups[g as usize].as_str())
    }

    /// The group name of place `i`.
    pub fn group_name_of(&self, i: usize) -> Option<&str> {
        self.group(i).map(|g| self.groups[g as usize].as_str())
    }

    /// Appends the places of `other`, remapping groups.
    pub fn extend(&mut self, other: PlaceSet) {
        let mut map: HashMap<String, u32> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.clone(), i as u32))
            .collect();
        let remap: Vec<u32> = other
            .groups
            .iter()
            .map(|g| {
                let next = self.groups.len() as u32;
                *map.entry(g.clone()).or_insert_with(|| {
                    self.groups.push(g.clone());
                    next
                })
            })
            .collect();
        for mut p in other.iter() {
            p.group = p.group.map(|g| remap[g as usize]);
            self.push(p);
        }
        self.unlocated |= other.unlocated;
        self.skipped.extend(other.skipped);
        self.notes.extend(other.notes);
        self.warnings.extend(other.warnings);
    }
}

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A physical CSV line (1-based, counting every line break: CRLF, blank lines and
    /// line breaks inside quoted fields), where the record starts.
    Line(u64),
    /// A GeoJSON feature (1-based position in `features`, as CSV lines are counted).
    Feature(usize),
    /// A feature of a GIS file (GeoPackage, Shapefile, FlatGeobuf, GeoParquet):
    /// its layer where the format has several, its 1-based position in file
    /// order, and the value of its id column, if any.
    Record {
        /// The layer (GeoPackage table).
        layer: Option<String>,
        /// 1-based position.
        index: usize,
        /// The id column's value.
        id: Option<String>,
    },
    /// The file as a whole.
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(l) => write!(f, "line {l}"),
            Location::Feature(i) => write!(f, "feature {i}"),
            Location::Record { layer, index, id } => {
                if let Some(l) = layer {
                    write!(f, "layer `{}`, ", clip(l, 60))?;
                }
                write!(f, "feature {index}")?;
                match id {
                    Some(id) => write!(f, " (id {:?})", clip(id, 40)),
                    None => Ok(()),
                }
            }
            Location::File => Ok(()),
        }
    }
}

/// Everything that can be wrong with an input file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read the file: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's reason (in the message, not chained, so it is said once).
        reason: std::io::Error,
    },
    /// Nothing in it.
    #[error(
        "{path}: the file is empty: a {role} file needs a header row and at least one row of places"
    )]
    Empty {
        /// The file.
        path: PathBuf,
        /// What it was loaded as.
        role: Role,
    },
    /// A header but no data rows / a collection with no features.
    #[error("{path}: no {role} places in the file (only a header, or an empty FeatureCollection)")]
    NoPlaces {
        /// The file.
        path: PathBuf,
        /// What it was loaded as.
        role: Role,
    },
    /// A needed column is missing.
    #[error(
        "{path}: no {what} column: looked for {looked_for}; the header has {found}. Name the column with {flag}{hint}"
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// lon/lat/...
        what: &'static str,
        /// Names tried.
        looked_for: String,
        /// Names present.
        found: String,
        /// The override flag.
        flag: &'static str,
        /// More advice (starts with "; " when present), e.g. that the file looks like GeoJSON.
        hint: String,
    },
    /// An override names a column that is not there.
    #[error("{path}: {flag} {name:?} names no column; the header has {found}")]
    NoSuchColumn {
        /// The file.
        path: PathBuf,
        /// The flag.
        flag: &'static str,
        /// The name given.
        name: String,
        /// Names present.
        found: String,
    },
    /// A value that is wrong, with where and how to fix it.
    #[error("{path}:{location}: column `{column}`: {problem}: {value:?}{hint}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// Line or feature.
        location: Location,
        /// Column or property.
        column: String,
        /// The text found.
        value: String,
        /// What is wrong with it.
        problem: String,
        /// How to fix it (starts with "; " when present).
        hint: String,
    },
    /// Not valid CSV (e.g. a row with the wrong number of fields).
    #[error("{path}:{location}: not valid CSV: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// Where.
        location: Location,
        /// The parser's words.
        message: String,
    },
    /// Not valid JSON or not GeoJSON.
    #[error("{path}{location}: not valid GeoJSON: {message}")]
    GeoJson {
        /// The file.
        path: PathBuf,
        /// Where (line/column of the JSON, or a feature).
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A GIS file that cannot be read as its format (damaged, truncated, not that
    /// format), or whose layer or coordinate system outpost cannot use.
    #[error("{path}{location}: cannot read the {format} file: {message}{hint}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The format it was read as.
        format: &'static str,
        /// Where (`: layer ...`), or empty.
        location: String,
        /// What is wrong.
        message: String,
        /// How to fix it (starts with "; " when present).
        hint: String,
    },
    /// A file in longitude/latitude degrees under a projected `--crs`, which
    /// reads every file in metres.
    #[error(
        "{path}: every place has {x}/{y} within 180/90, which look like longitude/latitude in degrees, but --crs {crs} reads every file in metres (these would all lie within 200 m of the system's origin); give this file in the same metres as the others (e.g. `ogr2ogr -t_srs {crs}`, or the tool that projected them), or drop --crs if every file is in degrees"
    )]
    DegreesAsMetres {
        /// The file.
        path: PathBuf,
        /// The `--crs` label.
        crs: String,
        /// The x (easting) column.
        x: String,
        /// The y (northing) column.
        y: String,
    },
    /// A geometry that is not a point.
    #[error(
        "{path}: feature {index} is a {found}; outpost reads Point and MultiPoint features (use a centroid for areas)"
    )]
    UnsupportedGeometry {
        /// The file.
        path: PathBuf,
        /// Feature index.
        index: usize,
        /// The geometry kind.
        found: String,
    },
    /// Two sites share an id.
    #[error(
        "{path}:{second}: duplicate {role} id {id:?} (first seen at {first}); site ids must be unique so reports can name them"
    )]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// What it was loaded as.
        role: Role,
        /// The id.
        id: String,
        /// Where first seen.
        first: Location,
        /// Where seen again.
        second: Location,
    },
    /// One column would give two fields (e.g. `--lon-col lat --lat-col lat`).
    #[error(
        "{path}: column `{column}` would be read both as the {first} and as the {second}; give each field its own column ({flags})"
    )]
    SameColumn {
        /// The file.
        path: PathBuf,
        /// The column or property.
        column: String,
        /// The first field (longitude, latitude, weight, id, group).
        first: &'static str,
        /// The second field.
        second: &'static str,
        /// The flags that name these fields.
        flags: String,
    },
    /// Two header columns share the name of a column that would be read.
    #[error(
        "{path}:{location}: the header has two columns named `{name}` (columns {first} and {second}); outpost would read the {what} from it: rename one of them, or name another column with {flag}"
    )]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The header line.
        location: Location,
        /// The column name.
        name: String,
        /// The field it would give.
        what: &'static str,
        /// 1-based position of the first column with the name.
        first: usize,
        /// 1-based position of the second.
        second: usize,
        /// The flag that picks the column.
        flag: &'static str,
    },
    /// A cost matrix with no pairs.
    #[error(
        "{path}: the cost matrix has no rows: it needs a header and one row per (demand, site) pair, e.g. `origin,destination,minutes`"
    )]
    NoPairs {
        /// The file.
        path: PathBuf,
    },
    /// Every demand weight is 0: coverage shares and weighted distances
    /// would be 0/0.
    #[error(
        "{path}: every weight in column `{column}` is 0 ({points} points), so there is no demand to cover: name the column with the sales or population with --weight-col, or give the file without a weight column to count every point as 1"
    )]
    ZeroWeight {
        /// The file.
        path: PathBuf,
        /// The weight column or property.
        column: String,
        /// Places in the file.
        points: usize,
    },
    /// The weights add up to more than a number can hold.
    #[error(
        "{path}: the weights in column `{column}` add up to {total:e}, too large to compute with (weighted distances must stay finite; at most 1e300 in all): scale them down (e.g. thousands instead of units) or fix the values that are far too large"
    )]
    WeightTotal {
        /// The file.
        path: PathBuf,
        /// The weight column or property.
        column: String,
        /// The sum as computed.
        total: f64,
    },
}

/// The largest coordinate accepted in projected metres: well beyond any real
/// easting or northing (zone-prefixed Gauss-Krüger eastings reach 4e7), so that
/// distances and their squares stay far from overflow.
pub const MAX_METRES: f64 = 2.5e8;

/// The largest total weight accepted: far below f64's limit, so that weight x
/// distance sums stay finite.
pub const MAX_TOTAL_WEIGHT: f64 = 1e300;

impl InputError {
    fn path(&self) -> &Path {
        match self {
            InputError::Io { path, .. }
            | InputError::Empty { path, .. }
            | InputError::NoPlaces { path, .. }
            | InputError::MissingColumn { path, .. }
            | InputError::NoSuchColumn { path, .. }
            | InputError::BadValue { path, .. }
            | InputError::Csv { path, .. }
            | InputError::GeoJson { path, .. }
            | InputError::Unreadable { path, .. }
            | InputError::UnsupportedGeometry { path, .. }
            | InputError::DuplicateId { path, .. }
            | InputError::SameColumn { path, .. }
            | InputError::DuplicateColumn { path, .. }
            | InputError::WeightTotal { path, .. }
            | InputError::DegreesAsMetres { path, .. }
            | InputError::ZeroWeight { path, .. }
            | InputError::NoPairs { path, .. } => path,
        }
    }

    /// Whether this error concerns one row only, so `--skip-invalid` may skip it.
    fn is_row_level(&self) -> bool {
        matches!(
            self,
            InputError::BadValue { .. }
                | InputError::UnsupportedGeometry { .. }
                | InputError::Csv { .. }
        )
    }
}

/// Names looked for, in order, for each field.
pub(crate) const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude", "x"];
pub(crate) const LAT_NAMES: &[&str] = &["lat", "latitude", "y"];
/// With a projected or planar `--crs`: x (easting) first, then the longitude names.
pub(crate) const X_NAMES: &[&str] = &["x", "easting", "east", "lon", "lng", "long", "longitude"];
/// With a projected or planar `--crs`: y (northing) first, then the latitude names.
pub(crate) const Y_NAMES: &[&str] = &["y", "northing", "north", "lat", "latitude"];
pub(crate) const WEIGHT_NAMES: &[&str] = &["weight", "sales", "demand", "population", "pop"];
pub(crate) const ID_NAMES: &[&str] = &["id", "name"];
pub(crate) const GROUP_NAMES: &[&str] = &["region", "province", "group", "state", "country"];

/// The raw text of one record's fields, before checks.
pub(crate) struct RawPlace<'a> {
    pub lon: Option<&'a str>,
    pub lat: Option<&'a str>,
    pub weight: Option<&'a str>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub group: Option<String>,
    pub cost: Option<&'a str>,
    pub capacity: Option<&'a str>,
    pub fixed: Option<&'a str>,
}

/// Builds places from raw records, checking every value; shared by both formats.
pub(crate) struct Builder<'o> {
    pub path: PathBuf,
    pub role: Role,
    pub opts: &'o LoadOptions,
    pub set: PlaceSet,
    group_ids: HashMap<String, u32>,
    seen_ids: HashMap<String, Location>,
    /// Column names actually used, for messages.
    pub cols: ColumnNames,
    /// Numbers are read with a decimal comma (given or detected).
    pub decimal_comma: bool,
    /// The file has coordinates (false: ids only, lon and lat are NaN).
    pub located: bool,
}

/// The column names a file's fields were found under.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnNames {
    pub lon: String,
    pub lat: String,
    pub weight: String,
    pub cost: String,
    pub capacity: String,
    pub fixed: String,
}

impl<'o> Builder<'o> {
    pub fn new(path: PathBuf, role: Role, opts: &'o LoadOptions) -> Self {
        let source = path.display().to_string();
        Builder {
            path,
            role,
            opts,
            set: PlaceSet {
                source,
                crs: (!opts.crs.is_wgs84()).then(|| opts.crs.label()),
                ..PlaceSet::default()
            },
            group_ids: HashMap::new(),
            seen_ids: HashMap::new(),
            cols: ColumnNames::default(),
            decimal_comma: false,
            located: true,
        }
    }

    fn bad(
        &self,
        loc: &Location,
        column: &str,
        value: &str,
        problem: &str,
        hint: &str,
    ) -> InputError {
        InputError::BadValue {
            path: self.path.clone(),
            location: loc.clone(),
            column: clip(column, 80),
            value: clip(value, 80),
            problem: problem.to_string(),
            hint: if hint.is_empty() {
                String::new()
            } else {
                format!("; {hint}")
            },
        }
    }

    fn number(&self, loc: &Location, column: &str, text: &str) -> Result<f64, InputError> {
        let v = parse_number(text, self.decimal_comma)
            .map_err(|(problem, hint)| self.bad(loc, column, text, problem, &hint))?;
        if !v.is_finite() {
            return Err(self.bad(
                loc,
                column,
                text,
                "not a finite number",
                "write a decimal number",
            ));
        }
        Ok(v)
    }

    /// Checks WGS84 longitude and latitude in degrees.
    fn degrees(
        &self,
        loc: &Location,
        lon: f64,
        lon_t: &str,
        lat: f64,
        lat_t: &str,
    ) -> Result<(f64, f64, Option<[f64; 2]>), InputError> {
        let cols = &self.cols;
        if lon.abs() > 1000.0 || lat.abs() > 1000.0 {
            let (col, val) = if lat.abs() > 1000.0 {
                (&cols.lat, lat_t)
            } else {
                (&cols.lon, lon_t)
            };
            return Err(self.bad(
                loc,
                col,
                val,
                "out of range for degrees",
                "the values look like projected metres (e.g. UTM or a national grid): name their system with --crs EPSG:CODE (e.g. --crs EPSG:32650 for UTM zone 50N), or pass --crs planar for metres with no geographic reference; without --crs outpost reads WGS84 longitude/latitude in degrees (EPSG:4326)",
            ));
        }
        if !(-90.0..=90.0).contains(&lat) {
            let hint = if (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat) {
                format!(
                    "longitude and latitude look swapped ({lon_col}={lon_t}, {lat_col}={lat_t}); check the column order or name them with --lon-col/--lat-col",
                    lon_col = cols.lon,
                    lat_col = cols.lat
                )
            } else {
                "latitude must be within [-90, 90]".to_string()
            };
            return Err(self.bad(loc, &cols.lat, lat_t, "latitude outside [-90, 90]", &hint));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(self.bad(
                loc,
                &cols.lon,
                lon_t,
                "longitude outside [-180, 180]",
                "longitude must be within [-180, 180] (wrap values such as 190 to -170)",
            ));
        }
        Ok((lon, lat, None))
    }

    /// Checks projected metres (`--crs` other than EPSG:4326) and turns them into
    /// WGS84 longitude/latitude where the system allows (NaN for `planar`).
    fn metres(
        &self,
        loc: &Location,
        x: f64,
        x_t: &str,
        y: f64,
        y_t: &str,
    ) -> Result<(f64, f64, Option<[f64; 2]>), InputError> {
        let cols = &self.cols;
        for (v, col, t) in [(x, &cols.lon, x_t), (y, &cols.lat, y_t)] {
            if v.abs() > MAX_METRES {
                return Err(self.bad(
                    loc,
                    col,
                    t,
                    "out of range for projected metres",
                    &format!(
                        "with --crs {} coordinates are metres, at most {MAX_METRES:e} in size (a quarter of a million km); check the column and its unit",
                        self.opts.crs.label()
                    ),
                ));
            }
        }
        if !self.opts.crs.has_lon_lat() {
            return Ok((f64::NAN, f64::NAN, Some([x, y])));
        }
        match self.opts.crs.to_lon_lat(x, y) {
            Some((lon, lat)) => Ok((lon, lat, Some([x, y]))),
            None => Err(self.bad(
                loc,
                &format!("{}/{}", cols.lon, cols.lat),
                &format!("{x_t} {y_t}"),
                &format!(
                    "cannot be turned into longitude/latitude with {}",
                    self.opts.crs.label()
                ),
                "check that the point lies in the system's area and that x and y are not swapped",
            )),
        }
    }

    /// Checks one record and adds its place (or records the skip).
    pub fn push(&mut self, loc: Location, raw: RawPlace<'_>) -> Result<(), InputError> {
        match self.check(&loc, raw) {
            Ok(place) => {
                if self.role != Role::Demand {
                    if let Some(first) = self.seen_ids.get(&place.id) {
                        return Err(InputError::DuplicateId {
                            path: self.path.clone(),
                            role: self.role,
                            id: place.id.clone(),
                            first: first.clone(),
                            second: loc,
                        });
                    }
                    self.seen_ids.insert(place.id.clone(), loc);
                }
                self.set.push(place);
                Ok(())
            }
            Err(e) => self.skip_or_fail(e),
        }
    }

    /// Records a row-level error as skipped under `--skip-invalid`, else returns it.
    pub fn skip_or_fail(&mut self, e: InputError) -> Result<(), InputError> {
        if self.opts.skip_invalid && e.is_row_level() {
            self.set.skipped.push(Skipped {
                reason: e.to_string(),
            });
            Ok(())
        } else {
            Err(e)
        }
    }

    fn check(&mut self, loc: &Location, raw: RawPlace<'_>) -> Result<Place, InputError> {
        let cols = self.cols.clone();
        let lon_t = raw.lon.unwrap_or("");
        let lat_t = raw.lat.unwrap_or("");
        let (lon, lat, xy) = if !self.located {
            (f64::NAN, f64::NAN, None)
        } else {
            let lon = self.number(loc, &cols.lon, lon_t)?;
            let lat = self.number(loc, &cols.lat, lat_t)?;
            if self.opts.crs.is_wgs84() {
                self.degrees(loc, lon, lon_t, lat, lat_t)?
            } else {
                self.metres(loc, lon, lon_t, lat, lat_t)?
            }
        };
        let weight = match raw.weight {
            None => 1.0,
            Some(t) => {
                let w = self.number(loc, &cols.weight, t)?;
                if w < 0.0 {
                    return Err(self.bad(
                        loc,
                        &cols.weight,
                        t,
                        "negative weight",
                        "weights are sales or population and must be zero or more",
                    ));
                }
                w
            }
        };
        let positive =
            |b: &Self, col: &str, t: Option<&str>, what: &str| -> Result<Option<f64>, InputError> {
                match t {
                    None => Ok(None),
                    Some(t) if t.trim().is_empty() => Ok(None),
                    Some(t) => {
                        let v = b.number(loc, col, t)?;
                        if v < 0.0 {
                            return Err(b.bad(
                                loc,
                                col,
                                t,
                                &format!("negative {what}"),
                                &format!("a {what} must be zero or more"),
                            ));
                        }
                        // `-0` is zero, and reads as 0 in every report.
                        Ok(Some(v + 0.0))
                    }
                }
            };
        let cost = positive(self, &cols.cost, raw.cost, "cost")?;
        let capacity = positive(self, &cols.capacity, raw.capacity, "capacity")?;
        let fixed = match raw.fixed.map(|t| (t, t.trim().to_ascii_lowercase())) {
            None => false,
            Some((_, v)) if matches!(v.as_str(), "" | "false" | "no" | "n" | "0" | "f") => false,
            Some((_, v)) if matches!(v.as_str(), "true" | "yes" | "y" | "1" | "t") => true,
            Some((t, _)) => {
                return Err(self.bad(
                    loc,
                    &cols.fixed,
                    t,
                    "not a yes/no value",
                    "a `fixed` value is true, yes or 1 (the site never moves under --relocate), or false, no, 0 or empty",
                ));
            }
        };
        let id = match raw.id {
            Some(id) if !id.trim().is_empty() => id.trim().to_string(),
            _ => match loc {
                Location::Line(l) => format!("line{l}"),
                Location::Feature(n) | Location::Record { index: n, .. } => format!("feature{n}"),
                Location::File => format!("{}", self.set.len()),
            },
        };
        let group = raw.group.filter(|g| !g.trim().is_empty()).map(|g| {
            let next = self.set.groups.len() as u32;
            *self.group_ids.entry(g.clone()).or_insert_with(|| {
                self.set.groups.push(g);
                next
            })
        });
        let name = raw.name.filter(|n| !n.is_empty() && *n != id);
        Ok(Place {
            id,
            name,
            lon,
            lat,
            xy,
            weight,
            group,
            cost,
            capacity,
            fixed,
        })
    }

    /// Whether every place of a projected file lies within 180 m east-west and
    /// 90 m north-south of the system's origin: longitude and latitude in
    /// degrees read as metres. No real network of a national grid or UTM
    /// zone fits in that square (UTM's false easting alone is 500 km).
    fn looks_like_degrees(&self) -> bool {
        (0..self.set.len()).all(|i| {
            self.set
                .xy(i)
                .is_some_and(|[x, y]| x.abs() <= 180.0 && y.abs() <= 90.0)
        })
    }

    /// Ends the file: a site file with no rows means no outlets yet; any other
    /// empty set is an error; the weights must add up to a finite number; and a set
    /// whose places would lie on land only with longitude and latitude swapped is warned about.
    pub fn finish(mut self) -> Result<PlaceSet, InputError> {
        if self.set.is_empty() {
            if self.role == Role::Sites && self.set.skipped.is_empty() {
                self.set.notes.push(format!(
                    "site file {} has no rows: no outlets yet",
                    self.path.display()
                ));
                return Ok(self.set);
            }
            return Err(InputError::NoPlaces {
                path: self.path,
                role: self.role,
            });
        }
        let total = self.set.total_weight();
        // Weighted distances (weight x up to 20,015 km, summed) must stay
        // finite too, so the total keeps a margin below f64's largest value.
        if !(total.is_finite() && total <= MAX_TOTAL_WEIGHT) {
            return Err(InputError::WeightTotal {
                path: self.path,
                column: self.cols.weight,
                total,
            });
        }
        if self.role == Role::Demand && total == 0.0 {
            return Err(InputError::ZeroWeight {
                path: self.path,
                column: self.cols.weight,
                points: self.set.len(),
            });
        }
        self.set.unlocated = !self.located;
        if self.located && matches!(self.opts.crs, Crs::Projected(_)) && self.looks_like_degrees() {
            return Err(InputError::DegreesAsMetres {
                path: self.path,
                crs: self.opts.crs.label(),
                x: self.cols.lon,
                y: self.cols.lat,
            });
        }
        if self.located
            && let Crs::Projected(p) = &self.opts.crs
            && let Some((lo, hi)) = scale_range(&self.set, p)
            && (hi > 1.0 + SCALE_WARN || lo < 1.0 - SCALE_WARN)
        {
            self.set.warnings.push(format!(
                "{role} file {path}: {crs} is not true to scale over these places: 1 km on the ground measures {lo:.3}-{hi:.3} km on its plane, and outpost measures the plane given, so a 100 km radius reaches {near:.0}-{far:.0} km on the ground; for ground distances give the file in longitude/latitude (the default: great circles; a GIS file that declares its system is reprojected when --crs is left out) or in a projection local to the data (a UTM zone)",
                role = self.role,
                path = self.path.display(),
                crs = self.opts.crs.label(),
                near = 100.0 / hi,
                far = 100.0 / lo,
            ));
        }
        // Swapped longitude and latitude can only be told from WGS84 degrees.
        if !self.located || !self.opts.crs.is_wgs84() {
            return Ok(self.set);
        }
        if let Some((given, swapped)) = land::looks_swapped(&self.set) {
            let how = if self.cols.lon.starts_with("coordinates") {
                "GeoJSON coordinates are [longitude, latitude]; check the order in the file"
                    .to_string()
            } else {
                format!(
                    "check the columns (lon=`{}`, lat=`{}`) or name them with --lon-col/--lat-col",
                    self.cols.lon, self.cols.lat
                )
            };
            self.set.warnings.push(format!(
                "{role} file {path}: longitude and latitude look swapped: {given:.0}% of the places lie on land as given, {swapped:.0}% with the two swapped; {how}",
                role = self.role,
                path = self.path.display(),
                given = given * 100.0,
                swapped = swapped * 100.0,
            ));
        }
        let odd = swapped_rows(&self.set);
        if !odd.is_empty() {
            let listed: Vec<String> = odd
                .iter()
                .take(3)
                .map(|&i| {
                    format!(
                        "{} ({}={}, {}={})",
                        self.set.id(i),
                        self.cols.lon,
                        self.set.lon(i),
                        self.cols.lat,
                        self.set.lat(i)
                    )
                })
                .collect();
            self.set.warnings.push(format!(
                "{role} file {path}: {n} place(s) look like longitude and latitude are swapped: far from all the others as given, among them the other way round: {list}{more}; check these rows (or --lon-col/--lat-col)",
                role = self.role,
                path = self.path.display(),
                n = odd.len(),
                list = listed.join(", "),
                more = if odd.len() > 3 { ", ..." } else { "" },
            ));
        }
        Ok(self.set)
    }
}

/// Places that are far from all the others as given but among them with longitude
/// and latitude swapped: a few rows typed the wrong way round in a file that is
/// otherwise right. Conservative: at least 10 places, a minority flagged (at most
/// one in ten), "far" is over 1000 km and 8 times the median distance to the centre,
/// "among them" within twice that median (or 200 km).
fn swapped_rows(places: &PlaceSet) -> Vec<usize> {
    use rayon::prelude::*;
    let n = places.len();
    if n < 10 {
        return Vec::new();
    }
    // The middle value by selection, O(n): this runs on every file loaded.
    let median = |mut v: Vec<f64>| {
        let mid = v.len() / 2;
        *v.select_nth_unstable_by(mid, f64::total_cmp).1
    };
    let (lons, lats) = (&places.lon, &places.lat);
    let lon0 = median(lons.clone());
    let lat0 = median(lats.clone());
    let dist = |lon: f64, lat: f64| crate::sphere::haversine_km(lon, lat, lon0, lat0);
    // Each point's distance on its own: the same numbers whatever the thread count.
    let r50 = median(
        lons.par_iter()
            .zip(lats.par_iter())
            .map(|(&lon, &lat)| dist(lon, lat))
            .collect(),
    );
    let far = (8.0 * r50).max(1000.0);
    let near = (2.0 * r50).max(200.0);
    let odd: Vec<usize> = (0..n)
        .into_par_iter()
        .filter(|&i| {
            let (lon, lat) = (lons[i], lats[i]);
            lon.abs() <= 90.0 && dist(lon, lat) > far && dist(lat, lon) <= near
        })
        .collect();
    if odd.len() * 10 > n { Vec::new() } else { odd }
}

/// Reads a number as written in a planner's file: a decimal point, or with
/// `decimal_comma` a decimal comma (`12,5`, and `1.234,5` or `1.234` with `.`
/// grouping thousands; `0.500` is refused as a decimal point). The caller
/// decides the mark for the whole file first, so that a value that could be
/// read two ways is refused there rather than guessed.
///
/// # Errors
/// The problem and a hint, for a located message.
pub(crate) fn parse_number(text: &str, decimal_comma: bool) -> Result<f64, (&'static str, String)> {
    let t = text.trim();
    if t.is_empty() {
        return Err((
            "not a number",
            "fill in the value, or pass --skip-invalid to skip such rows".into(),
        ));
    }
    if !decimal_comma {
        return t.parse::<f64>().map_err(|_| {
            let hint = if grouped(t.split('.').next().unwrap_or(""), ',')
                && t.split_once('.').is_none_or(|(_, f)| f.bytes().all(|b| b.is_ascii_digit()))
            {
                // 1,234,567 or 1,234.5: commas grouping thousands. Only a
                // single comma (1,234) may be a decimal comma instead.
                if t.matches(',').count() == 1 && !t.contains('.') {
                    "write numbers without thousands separators, with `.` as the decimal point (or pass --decimal-comma if `,` is the decimal separator)"
                } else {
                    "write numbers without thousands separators, with `.` as the decimal point"
                }
            } else if t.contains(',') && comma_value(t).is_some() {
                "the value has a decimal comma: pass --decimal-comma (with --delimiter ';' if fields are separated by semicolons)"
            } else {
                "write a decimal number"
            };
            ("not a number", hint.to_string())
        });
    }
    if t.contains(',') {
        return comma_value(t).ok_or((
            "not a number",
            "write a number with a decimal comma, such as 12,5 or 1.234,5".into(),
        ));
    }
    let digits = t.trim_start_matches(['+', '-']);
    if digits.contains('.') {
        // With `,` as the decimal mark, `.` can only group thousands:
        // 1.234 is 1234 and 1.234.567 is 1234567.
        if grouped(digits, '.') {
            return t
                .replace('.', "")
                .parse::<f64>()
                .map_err(|_| ("not a number", "write a decimal number".to_string()));
        }
        return Err((
            "decimal point in a file read with decimal commas",
            "write the value with a decimal comma (12,5), as the file's other numbers are written (or write every number with a decimal point, without --decimal-comma)".into(),
        ));
    }
    t.parse::<f64>()
        .map_err(|_| ("not a number", "write a decimal number".to_string()))
}

/// Whether `s` is digits grouped by threes with `sep` (`1.234`, `12.345.678`).
/// A leading zero is not a group (`0.500` and `012.345` are never thousands).
fn grouped(s: &str, sep: char) -> bool {
    let s = s.trim_start_matches(['+', '-']);
    let mut parts = s.split(sep);
    let first = parts.next().unwrap_or("");
    let mut rest = parts.peekable();
    rest.peek().is_some()
        && (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest.all(|p| p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A value with one decimal comma, optionally with `.` grouping thousands: `-12,5`,
/// `1.234,5`.
fn comma_value(t: &str) -> Option<f64> {
    let (sign, body) = match t.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = body.split_once(',')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(frac) {
        return None;
    }
    let int = if digits(int) {
        int.to_string()
    } else if grouped(int, '.') {
        int.replace('.', "")
    } else {
        return None;
    };
    format!("{sign}{int}.{frac}").parse().ok()
}

/// Whether a CSV cell is written with a decimal comma (`12,5`, `-0,25`, `1.234,5`):
/// the sign that a `;`-separated file uses decimal commas.
pub(crate) fn has_decimal_comma(t: &str) -> bool {
    let t = t.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    match body.split_once(',') {
        Some((i, f)) => {
            !i.is_empty()
                && !f.is_empty()
                && (i.bytes().all(|b| b.is_ascii_digit()) || grouped(i, '.'))
                && f.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Whether a cell reads two ways: one `.` followed by exactly three digits
/// (`1.234`, `-12.500`), a decimal point or `.` grouping thousands.
pub(crate) fn reads_two_ways(t: &str) -> bool {
    let t = t.trim();
    grouped(t, '.') && t.matches('.').count() == 1
}

/// Whether a cell is unmistakably written with a decimal point: digits, `.`, and
/// digits that cannot be a group of thousands (`104.06667`, `12.5`, `0.25`).
pub(crate) fn has_decimal_point(t: &str) -> bool {
    let t = t.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    match body.split_once('.') {
        Some((i, f)) => {
            !f.is_empty()
                && i.bytes().all(|b| b.is_ascii_digit())
                && f.bytes().all(|b| b.is_ascii_digit())
                && (f.len() != 3 || i.is_empty() || i == "0" || i.len() > 3)
        }
        None => false,
    }
}

/// Words in column names that suggest a weight the file did not name as one.
const WEIGHT_LIKE: &[&str] = &[
    "revenue",
    "sale",
    "sales",
    "turnover",
    "amount",
    "value",
    "volume",
    "qty",
    "quantity",
    "customer",
    "order",
    "spend",
    "spending",
    "income",
    "visit",
    "unit",
    "count",
    "footfall",
    "weight",
    "demand",
    "population",
    "pop",
    "inhabitants",
    "residents",
    "households",
];

/// Whether a column name reads like a weight: one of its words (split at
/// punctuation, spaces and camelCase) is a weight word or its plural.
pub(crate) fn weight_like(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.iter().any(|w| {
        WEIGHT_LIKE
            .iter()
            .any(|k| w == k || w.strip_suffix('s') == Some(k))
    })
}

/// Decides the format of a path: a `.csv`/`.tsv`, `.geojson`/`.json`, `.gpkg`, `.shp`,
/// `.fgb` or `.parquet`/`.geoparquet` extension keeps its own format; otherwise
/// `--input-format`; otherwise CSV (see [`load_bytes`], which also sniffs the other
/// formats from the content).
pub fn format_of(path: &Path, forced: Option<Format>) -> Format {
    extension_format(path).or(forced).unwrap_or(Format::Csv)
}

fn extension_format(path: &Path) -> Option<Format> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("geojson" | "json") => Some(Format::GeoJson),
        Some("csv" | "tsv") => Some(Format::Csv),
        Some("gpkg") => Some(Format::GeoPackage),
        Some("shp") => Some(Format::Shapefile),
        Some("fgb") => Some(Format::FlatGeobuf),
        Some("parquet" | "geoparquet") => Some(Format::GeoParquet),
        _ => None,
    }
}

/// The format of bytes whose name says nothing: a binary format by its magic
/// bytes (SQLite for GeoPackage, `fgb` for FlatGeobuf, `PAR1` for Parquet); GeoJSON
/// when the first byte that is not a space (after a UTF-8 BOM) is `{`; else CSV.
fn sniff_format(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"SQLite format 3\0") {
        return Format::GeoPackage;
    }
    if bytes.starts_with(b"fgb\x03") {
        return Format::FlatGeobuf;
    }
    if bytes.starts_with(b"PAR1") {
        return Format::GeoParquet;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Format::GeoJson,
        _ => Format::Csv,
    }
}

/// Loads places from a file (`-` is standard input), and prints the set's warnings to
/// stderr (`outpost: warning: ...`).
///
/// # Errors
/// [`InputError`] naming the file, the line or feature, the column and the value.
pub fn load(path: &Path, role: Role, opts: &LoadOptions) -> Result<PlaceSet, InputError> {
    load_with_progress(path, role, opts, false)
}

/// [`load`], with a progress bar on stderr (bytes read, then parsed) when `show`
/// (see [`crate::progress::visible`]).
///
/// # Errors
/// As [`load`].
pub fn load_with_progress(
    path: &Path,
    role: Role,
    opts: &LoadOptions,
    show: bool,
) -> Result<PlaceSet, InputError> {
    let name = path
        .file_name()
        .map_or_else(|| "<stdin>".into(), |n| n.to_string_lossy().into_owned());
    let mut bytes = Vec::new();
    let mut streamed = None;
    let read = if path == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| {
            let meta = f.metadata().ok();
            let len = meta.as_ref().map_or(0, |m| m.len());
            if role == Role::Demand
                && meta.is_some_and(|m| m.is_file())
                && len > STREAM_HEAD_BYTES as u64
            {
                let bar = crate::progress::Bar::bytes(show, len, &format!("loading {name}"));
                if let Some(set) = load_streaming(path, &mut f, len, role, opts, &bar) {
                    streamed = Some(set);
                    return Ok(());
                }
                // Read again from the start, whole, for the reader that reports.
                std::io::Seek::rewind(&mut f)?;
            }
            let bar = crate::progress::Bar::bytes(show, len, &format!("reading {name}"));
            // Read in blocks so the bar moves, each straight into the buffer
            // that is kept for parsing.
            bytes.reserve(len as usize);
            loop {
                let n = (&mut f).take(1 << 22).read_to_end(&mut bytes)?;
                if n == 0 {
                    break;
                }
                bar.inc(n as u64);
            }
            Ok(())
        })
    };
    read.map_err(|reason| InputError::Io {
        path: path.to_path_buf(),
        reason,
    })?;
    if let Some(set) = streamed {
        return Ok(warned(set));
    }
    let bar = crate::progress::Bar::bytes(show, bytes.len() as u64, &format!("parsing {name}"));
    let set = load_bytes_with(path, &bytes, role, opts, &bar)?;
    bar.finish();
    Ok(warned(set))
}

/// Prints the set's warnings to stderr and keeps them among its notes, so
/// that a report written to a file (JSON, CSV, Markdown) carries them too.
fn warned(mut set: PlaceSet) -> PlaceSet {
    for w in &set.warnings {
        eprintln!("outpost: warning: {w}");
        set.notes.push(format!("warning: {w}"));
    }
    set
}

/// Demand files larger than this are loaded while they are read, when they
/// are CSV the parallel reader takes whole; this much is read first, to find
/// the format, the header and the first rows.
const STREAM_HEAD_BYTES: usize = 1 << 22;

/// Loads a large CSV demand file from `file` while reading it (see
/// [`csv::load_streaming`]); `None` when it must be read whole first (another
/// format, anything the parallel reader does not take, a read error).
fn load_streaming(
    path: &Path,
    file: &mut std::fs::File,
    len: u64,
    role: Role,
    opts: &LoadOptions,
    bar: &crate::progress::Bar,
) -> Option<PlaceSet> {
    let mut head = Vec::with_capacity(STREAM_HEAD_BYTES);
    (&mut *file)
        .take(STREAM_HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .ok()?;
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    let format = extension_format(path)
        .or(opts.format)
        .unwrap_or_else(|| sniff_format(&head));
    if format != Format::Csv || body.iter().all(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let rest = csv::Rest {
        reader: file,
        len,
        block: csv::BLOCK_BYTES,
    };
    csv::load_streaming(path, &head, rest, role, opts, bar)
}

/// Loads places from bytes already read; `path` names them in messages and picks the
/// format by extension; without a known extension `opts.format` decides, else the content
/// (GeoJSON when it starts with `{`). Warnings are left in [`PlaceSet::warnings`].
///
/// # Errors
/// As [`load`].
pub fn load_bytes(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
) -> Result<PlaceSet, InputError> {
    load_bytes_with(path, bytes, role, opts, &crate::progress::Bar::hidden())
}

fn load_bytes_with(
    path: &Path,
    bytes: &[u8],
    role: Role,
    opts: &LoadOptions,
    bar: &crate::progress::Bar,
) -> Result<PlaceSet, InputError> {
    let display = if path == Path::new("-") {
        PathBuf::from("<stdin>")
    } else {
        path.to_path_buf()
    };
    // A byte-order mark alone is an empty file too.
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputError::Empty {
            path: display,
            role,
        });
    }
    let format = extension_format(path)
        .or(opts.format)
        .unwrap_or_else(|| sniff_format(bytes));
    let result = match format {
        Format::Csv => csv::load(&display, bytes, role, opts, bar),
        Format::GeoJson => geojson::load(&display, bytes, role, opts),
        Format::GeoPackage => gpkg::load(&display, bytes, role, opts),
        Format::Shapefile => shp::load(path, &display, bytes, role, opts),
        Format::FlatGeobuf => fgb::load(&display, bytes, role, opts),
        Format::GeoParquet => geoparquet::load(&display, bytes, role, opts),
    };
    debug_assert!(result.as_ref().err().is_none_or(|e| e.path() == display));
    result
}

/// Distortion of scale (metres on the plane per metre on the ground, away
/// from 1) beyond which a projected file is warned about: 1%.
const SCALE_WARN: f64 = 0.01;

/// Places sampled for [`scale_range`]: a projection's scale varies smoothly,
/// so the extremes of the coordinates and a spread of places find its range.
const SCALE_SAMPLES: usize = 256;

/// The smallest and largest scale of the projection `p` (see
/// [`Projected::scale_at`]) over the places of `set`: at the places with the
/// smallest and largest x and y, and at up to [`SCALE_SAMPLES`] places spread
/// over the file. `None` when no place can be measured.
fn scale_range(set: &PlaceSet, p: &Projected) -> Option<(f64, f64)> {
    let n = set.len();
    let mut picks: Vec<usize> = (0..SCALE_SAMPLES.min(n))
        .map(|k| k * n / SCALE_SAMPLES.min(n))
        .collect();
    for axis in 0..2 {
        let key = |i: &usize| set.xy(*i).map_or(f64::NAN, |v| v[axis]);
        let located = (0..n).filter(|i| !key(i).is_nan());
        if let Some(i) = located.clone().min_by(|a, b| key(a).total_cmp(&key(b))) {
            picks.push(i);
        }
        if let Some(i) = located.max_by(|a, b| key(a).total_cmp(&key(b))) {
            picks.push(i);
        }
    }
    picks
        .into_iter()
        .filter_map(|i| set.xy(i))
        .filter_map(|[x, y]| p.scale_at(x, y))
        .fold(None, |acc, k| match acc {
            None => Some((k, k)),
            Some((lo, hi)) => Some((f64::min(lo, k), f64::max(hi, k))),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    #[test]
    fn numbers_with_decimal_points_and_commas() {
        assert_relative_eq!(parse_number(" 12.5 ", false).unwrap(), 12.5);
        assert_relative_eq!(parse_number("12,5", true).unwrap(), 12.5);
        assert_relative_eq!(parse_number("-0,25", true).unwrap(), -0.25);
        assert_relative_eq!(parse_number("1.234,5", true).unwrap(), 1234.5);
        assert_relative_eq!(parse_number("12.345.678,9", true).unwrap(), 12_345_678.9);
        assert_relative_eq!(parse_number("1234", true).unwrap(), 1234.0);
        assert_relative_eq!(parse_number("1.234.567", true).unwrap(), 1_234_567.0);
        assert_relative_eq!(parse_number("-12.345.678", true).unwrap(), -12_345_678.0);
        assert!(parse_number("1.234.56", true).is_err());
        // With decimal commas, `.` groups thousands.
        assert_relative_eq!(parse_number("1.234", true).unwrap(), 1234.0);
        assert_relative_eq!(parse_number("-51.477", true).unwrap(), -51477.0);
        // A leading zero is a decimal point, never thousands.
        for t in ["0.500", "-0.127", "00.123", "012.345", "0.123.456"] {
            assert!(parse_number(t, true).is_err(), "{t}");
        }
        assert!(
            parse_number("12.5", true)
                .unwrap_err()
                .0
                .contains("decimal point")
        );
        assert!(parse_number("1.23,5", true).is_err());
        assert!(parse_number("1,2,3", true).is_err());
        assert!(
            parse_number("12,5", false)
                .unwrap_err()
                .1
                .contains("--decimal-comma")
        );
        for t in ["1,234", "1,234,567", "-12,345,678.25", "1,234.5"] {
            let hint = parse_number(t, false).unwrap_err().1;
            assert!(hint.contains("thousands separators"), "{t}");
            // Only a single comma could be a decimal comma.
            assert_eq!(
                hint.contains("--decimal-comma"),
                t == "1,234",
                "{t}: {hint}"
            );
        }
        // Not groups of three: no thousands hint.
        assert!(
            !parse_number("1,23,456", false)
                .unwrap_err()
                .1
                .contains("thousands separators")
        );
        assert!(
            parse_number("", true)
                .unwrap_err()
                .1
                .contains("--skip-invalid")
        );
    }

    #[test]
    fn decimal_marks_are_recognised() {
        for t in ["12,5", "-0,25", "1.234,5", " 3,0 "] {
            assert!(has_decimal_comma(t), "{t}");
        }
        for t in ["12", "1,", ",5", "a,b", "12.5", "1,2,3"] {
            assert!(!has_decimal_comma(t), "{t}");
        }
        for t in ["104.06667", "12.5", "0.125", "-3.25", "1234.567"] {
            assert!(has_decimal_point(t), "{t}");
        }
        for t in ["1.234", "12", "12,5", "1.2.3"] {
            assert!(!has_decimal_point(t), "{t}");
        }
    }

    #[test]
    fn weight_like_names() {
        for n in [
            "Revenue",
            "Sales (EUR)",
            "turnover",
            "amount",
            "value",
            "Volume",
            "qty",
            "customers",
            "orders",
            "TotalRevenue",
            "num_customers",
        ] {
            assert!(weight_like(n), "{n}");
        }
        for n in [
            "country",
            "Order Status Code",
            "name",
            "lon",
            "valuation",
            "ordering",
        ] {
            assert!(!weight_like(n) || n == "Order Status Code", "{n}");
        }
        assert!(!weight_like("country"));
        assert!(!weight_like("valuation"));
    }

    fn at(id: &str, lon: f64, lat: f64) -> Place {
        Place {
            id: id.into(),
            name: None,
            lon,
            lat,
            xy: None,
            weight: 1.0,
            group: None,
            cost: None,
            capacity: None,
            fixed: false,
        }
    }

    #[test]
    fn a_few_swapped_rows_among_right_ones_are_found() {
        // German towns, one typed the wrong way round.
        let mut places: Vec<Place> = (0..20)
            .map(|i| {
                at(
                    &format!("t{i}"),
                    7.0 + 0.4 * i as f64,
                    48.0 + 0.3 * i as f64,
                )
            })
            .collect();
        places.push(at("odd", 52.5, 13.4));
        let set = PlaceSet::from_places(places.clone());
        let odd = swapped_rows(&set);
        assert_eq!(odd.len(), 1);
        assert_eq!(set.id(odd[0]), "odd");
        // A real far-away outlet that is not a mirror image is left alone.
        places.pop();
        places.push(at("far", -74.0, 40.7));
        assert!(swapped_rows(&PlaceSet::from_places(places.clone())).is_empty());
        // Too few places: no verdict.
        assert!(swapped_rows(&PlaceSet::from_places(places[..5].to_vec())).is_empty());
    }

    #[test]
    fn delimiters_and_clipping() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        assert!(parse_delimiter("|").is_err());
        assert_eq!(clip("abc", 80), "abc");
        let long = "x".repeat(1000);
        assert_eq!(clip(&long, 80).chars().count(), 80);
        assert!(clip(&long, 80).ends_with('…'));
    }

    #[test]
    fn format_by_extension_then_flag_then_content() {
        let gj = Some(Format::GeoJson);
        assert_eq!(format_of(Path::new("a.csv"), gj), Format::Csv);
        assert_eq!(
            format_of(Path::new("a.JSON"), Some(Format::Csv)),
            Format::GeoJson
        );
        assert_eq!(format_of(Path::new("-"), gj), Format::GeoJson);
        assert_eq!(sniff_format(b"\xEF\xBB\xBF \n {\"type\""), Format::GeoJson);
        assert_eq!(sniff_format(b"id,lon,lat"), Format::Csv);
    }

    proptest! {
        #[test]
        fn decimal_comma_reads_what_a_decimal_point_reads(x in -1e9f64..1e9) {
            let point = format!("{x}");
            let comma = point.replace('.', ",");
            let a = parse_number(&point, false).unwrap();
            let b = parse_number(&comma, true);
            if point.contains('.') {
                prop_assert_eq!(b.unwrap(), a);
            } else if let Ok(b) = b {
                // An integer reads the same either way.
                prop_assert_eq!(b, a);
            }
        }

        #[test]
        fn grouped_thousands_with_a_decimal_comma(int in 0u64..1_000_000_000_000, frac in 0u32..1000) {
            let digits = int.to_string();
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push('.');
                }
                grouped.push(c);
            }
            let text = format!("{grouped},{frac:03}");
            let want: f64 = format!("{int}.{frac:03}").parse().unwrap();
            prop_assert_eq!(parse_number(&text, true).unwrap(), want);
        }

        #[test]
        fn parse_number_never_panics(s in "\\PC{0,30}", dc in any::<bool>()) {
            let _ = parse_number(&s, dc);
            let _ = has_decimal_comma(&s);
            let _ = has_decimal_point(&s);
            let _ = weight_like(&s);
            let _ = clip(&s, 5);
        }
    }
}
