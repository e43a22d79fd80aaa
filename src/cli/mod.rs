//! The command line: clap's raw flags, and the one function that checks them
//! and builds the library's [`Config`]. Only this file and `main.rs` know clap.

use crate::config::{Command, Config, OutputConfig};
use crate::config::{Objective, PlanConfig};
use crate::input::{Format, LoadOptions};
use crate::render::basemap::BaseMap;
use crate::report::ReportFormat;
use crate::sphere::{Radius, Speed, parse_radius};
use crate::units::seconds;
use anyhow::{Result, bail};

mod evaluate;
mod plan;
mod scenarios;
mod sweep;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
pub use evaluate::EvaluateArgs;
pub use plan::{ObjectiveArg, PlanArgs};
pub use scenarios::ScenariosArgs;
use std::path::PathBuf;
pub use sweep::SweepArgs;

const ABOUT: &str = "Plan and check service-outlet networks: how much demand is within reach of an outlet, and where to open new ones.";

const AFTER: &str = "\
Inputs are CSV (header row), GeoJSON (Point/MultiPoint features), or GIS files: GeoPackage
(.gpkg, --layer NAME), Shapefile (.shp + .dbf, .prj), FlatGeobuf (.fgb), GeoParquet (.parquet).
GIS points are read from the geometry, polygons at their centroid, and a file in a projected
EPSG system is reprojected to lon/lat. Coordinates are WGS84 lon/lat in degrees, or metres of
a projected system with --crs EPSG:CODE (or --crs planar); with --costs (a travel-cost matrix
from a routing engine), ids only are enough.
Columns are found by name, case-insensitive: lon|lng|long|longitude|x, lat|latitude|y,
weight|sales|demand|population|pop (default 1), id|name (default the row number),
region|province|group|state|country; candidate files may carry cost and capacity.

Outputs never replace an input (compared as files, whatever the spelling), two outputs never
name one file, devices and FIFOs are written in place, and an interrupted run leaves no
temporary file.

Exit codes: 0 success; 1 the run worked but a gate failed (--min-coverage, an unreachable
--target); 2 bad usage, bad input or an I/O error (the message names the file, line or
feature, column and value); 129/130/143 interrupted by SIGHUP/SIGINT/SIGTERM.";

/// outpost: plan and check service-outlet networks.
#[derive(Debug, Parser)]
#[command(name = "outpost", version, about = ABOUT, after_help = AFTER)]
pub struct Args {
    /// The command.
    #[command(subcommand)]
    pub command: Cmd,
}

/// Subcommands.
// Parsed once per process; boxing the large variant would save nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Coverage of an existing network: share of demand within each radius, distances,
    /// load per outlet, per-group breakdown, the largest uncovered places.
    #[command(
        after_help = "Example:\n  outpost evaluate --demand data/china_cities.csv --sites data/china_outlets.csv --radius 200km,400km\n  outpost evaluate --demand d.csv --sites s.csv --radius 4h --speed 60km/h --min-coverage 80% --format json"
    )]
    Evaluate(EvaluateArgs),
    /// Propose outlet sites: maximal coverage, fewest sites for a target, p-median, p-center,
    /// with existing sites, budgets and capacities, and a bound on how far from optimal the answer is.
    #[command(
        after_help = "Examples:\n  outpost plan --demand data/china_cities.csv --existing data/china_outlets.csv --radius 150km --add 10\n  outpost plan --demand d.csv --objective min-sites --target 95% --radius 100km\n  outpost plan --demand d.csv --objective distance --add 20\n  outpost plan --demand d.csv --objective max-distance --add 8"
    )]
    Plan(PlanArgs),
    /// The coverage curve: best coverage for 1..N new sites, over one or several radii, as a
    /// table and a chart ("how many outlets do we need?").
    #[command(
        after_help = "Examples:\n  outpost sweep --demand data/china_cities.csv --existing data/china_outlets.csv --radius 150km --add 1..20 --chart curve.svg\n  outpost sweep --demand d.csv --radius 50km..300km:50km --add 10 --format csv"
    )]
    Sweep(SweepArgs),
    /// What-if scenarios from a TOML file over shared inputs (loaded once), compared side by
    /// side against a baseline; exits 1 when a scenario's min_coverage gate fails.
    #[command(
        after_help = "Example:\n  outpost scenarios examples/china_scenarios.toml\n  outpost scenarios examples/china_scenarios.toml --output-dir out --map --format markdown\n\nSee examples/china_scenarios.toml for every key."
    )]
    Scenarios(ScenariosArgs),
}

/// Input flags shared by every command.
#[derive(Debug, ClapArgs)]
pub struct InputArgs {
    /// Demand points (customers, sales): CSV, GeoJSON, GeoPackage, Shapefile, FlatGeobuf or
    /// GeoParquet (by extension, or --input-format); `-` reads stdin. For evaluate and plan,
    /// several files (repeat the flag, or a glob such as 'regions/*.csv') run one by one: one row
    /// per file plus a total; sweep takes one file.
    #[arg(long, required = true, value_name = "FILE", num_args = 1..)]
    pub demand: Vec<PathBuf>,
    /// Longitude column (default: lon, lng, long, longitude or x).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub lon_col: Option<String>,
    /// Latitude column (default: lat, latitude or y).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub lat_col: Option<String>,
    /// Weight column (default: weight, sales, demand, population or pop; else every point weighs 1).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub weight_col: Option<String>,
    /// Id column (default: id or name; else the row number).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub id_col: Option<String>,
    /// Group column for the per-region breakdown (default: region, province, group, state or country).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub group_col: Option<String>,
    /// Format of inputs whose name does not say (`-` for stdin, or no .csv/.tsv/.geojson/.json/
    /// .gpkg/.shp/.fgb/.parquet extension); files with such an extension keep their own. Without
    /// it, GeoPackage, FlatGeobuf and Parquet are known by their first bytes, content starting
    /// with `{` is GeoJSON, else CSV. E.g. `--demand - --input-format geojson --sites s.csv`.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// GeoPackage layer to read from every .gpkg input (default: the file's only feature layer;
    /// a file with several needs --layer, and the message lists them).
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// CSV field delimiter: ',' ';' or tab ('\t' or tab) (default: sniffed from the header line).
    /// E.g. an Excel export from a European locale: `--delimiter ';' --decimal-comma`.
    #[arg(long, value_name = "CHAR", value_parser = crate::input::parse_delimiter)]
    pub delimiter: Option<u8>,
    /// CSV numbers use a decimal comma (12,5; 1.234,5 and 51.477 with `.` grouping thousands).
    /// Detected without the flag in ';'-separated files that have one; in a ';' file where no
    /// number settles the mark, values that could be read two ways (1.234) are errors.
    #[arg(long)]
    pub decimal_comma: bool,
    /// Skip invalid rows instead of failing; the report says how many and shows the first few.
    #[arg(long)]
    pub skip_invalid: bool,
    /// With several demand files: stop at the first file that cannot be used (default: report
    /// it and go on with the others).
    #[arg(long)]
    pub fail_fast: bool,
    /// How distances are measured.
    #[command(flatten)]
    pub distance: DistanceArgs,
}

/// `--sites-by` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SitesByArg {
    /// Least unique weight first.
    Unique,
    /// Least covered weight first.
    Covered,
    /// Least assigned weight first.
    Assigned,
}

/// Distance-model flags.
#[derive(Debug, ClapArgs)]
pub struct DistanceArgs {
    /// Detour factor for great-circle distances: a place d km away as the crow flies counts as
    /// F x d km, so radii and distances approximate road distance (and maps draw the circle
    /// of radius / F). Road networks are typically 1.2-1.4; default 1, straight lines.
    #[arg(
        long,
        value_name = "F",
        allow_hyphen_values = true,
        help_heading = "Distance model"
    )]
    pub circuity: Option<String>,
    /// Coordinate system of every input file: EPSG:4326 (default: WGS84 lon/lat in degrees,
    /// great-circle distances); EPSG:CODE of a projected system in metres (UTM zones
    /// EPSG:326xx/327xx, national grids such as EPSG:27700): straight-line distances in the
    /// plane, places turned into lon/lat for maps and reports; or planar: metres with no
    /// geographic reference (no --map, --areas-out or GeoJSON --sites-out). Coordinates in
    /// metres are read from x|easting|east and y|northing|north columns (or the lon/lat names).
    #[arg(long, value_name = "CRS", value_parser = parse_crs, help_heading = "Distance model")]
    pub crs: Option<crate::input::Crs>,
    /// Travel costs from a routing engine or GIS instead of great-circle distances: long CSV
    /// with one row per (demand, site) pair, columns origin|from|demand_id, destination|to|
    /// site_id, cost|time|duration|minutes|distance. A pair missing is unreachable. Demand and
    /// site files then need only ids (coordinates, if present, are used for maps). Radii are in
    /// the cost unit: e.g. `--costs od.csv --cost-unit min --radius 30min` (or 0.5h, or 30).
    #[arg(long, value_name = "FILE", help_heading = "Distance model")]
    pub costs: Option<PathBuf>,
    /// What the --costs column holds: km (default), m, mi, or a travel time s, min, h.
    #[arg(
        long,
        value_name = "UNIT",
        help_heading = "Distance model",
        requires = "costs"
    )]
    pub cost_unit: Option<String>,
    /// Demand id column of --costs (default: origin, origin_id, from, from_id, demand_id, demand).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Distance model",
        requires = "costs"
    )]
    pub cost_from_col: Option<String>,
    /// Site id column of --costs (default: destination, destination_id, to, to_id, site_id,
    /// candidate_id, site, candidate).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Distance model",
        requires = "costs"
    )]
    pub cost_to_col: Option<String>,
    /// Cost column of --costs (default: cost, time, travel_time, duration, minutes, distance,
    /// total_time).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Distance model",
        requires = "costs"
    )]
    pub cost_col: Option<String>,
}

fn parse_crs(s: &str) -> std::result::Result<crate::input::Crs, String> {
    crate::input::Crs::parse(s)
}

/// Refuses, before any work, the outputs that need a geographic position when
/// the coordinates have none (`--crs planar`).
///
/// # Errors
/// The flag and what to do instead.
pub(super) fn check_crs_outputs(cfg: &Config) -> Result<()> {
    if cfg.load.crs.has_lon_lat() {
        return Ok(());
    }
    let why = "--crs planar coordinates have no geographic reference (metres in an unnamed plane), so they cannot be placed on a map or written as GeoJSON or GeoPackage, which are in longitude/latitude";
    let fix = "name the projected system with --crs EPSG:CODE (e.g. EPSG:32650 for UTM zone 50N) to get maps, GeoJSON and GeoPackage in longitude/latitude";
    let out = &cfg.output;
    let geographic = |p: Option<&std::path::Path>| {
        p.is_some_and(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["geojson", "json", "gpkg"]
                    .iter()
                    .any(|x| e.eq_ignore_ascii_case(x))
            })
        })
    };
    let geojson_sites = geographic(out.sites_out.as_deref());
    let gpkg_assignments = out.assignments_out.as_deref().is_some_and(|p| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
    });
    for (flag, given, alt) in [
        ("--map", out.map.is_some(), ""),
        ("--areas-out", out.areas_out.is_some(), ""),
        (
            "--sites-out",
            geojson_sites,
            "; or write the sites as CSV (--sites-out sites.csv), which carries x and y",
        ),
        (
            "--assignments-out",
            gpkg_assignments,
            "; or write the assignments as CSV (--assignments-out a.csv), which carries x and y",
        ),
    ] {
        if given {
            bail!("{flag}: {why}: {fix}{alt}");
        }
    }
    Ok(())
}

/// The cost unit of `--costs`, if a matrix is given.
///
/// # Errors
/// An unknown `--cost-unit`.
pub(super) fn cost_unit(a: &DistanceArgs) -> Result<Option<crate::sphere::CostUnit>> {
    if a.costs.is_none() {
        return Ok(None);
    }
    crate::config::cost_unit("--cost-unit", a.cost_unit.as_deref()).map(Some)
}

/// The distance model's settings from the flags.
///
/// # Errors
/// A detour factor out of range.
pub(super) fn distance_config(a: &DistanceArgs) -> Result<crate::config::DistanceConfig> {
    Ok(crate::config::DistanceConfig {
        circuity: match &a.circuity {
            Some(s) => crate::units::circuity("--circuity", s)?,
            None => 1.0,
        },
        costs: match (&a.costs, &a.circuity) {
            (Some(_), Some(_)) => bail!(
                "--circuity scales great-circle distances and does not apply to --costs: the matrix already holds travel costs"
            ),
            (Some(path), None) => Some(crate::config::CostsConfig {
                path: path.clone(),
                unit: cost_unit(a)?.expect("a matrix is given"),
                options: crate::input::costs::CostOptions {
                    from_col: a.cost_from_col.clone(),
                    to_col: a.cost_to_col.clone(),
                    cost_col: a.cost_col.clone(),
                    delimiter: None,
                    decimal_comma: false,
                },
            }),
            (None, _) => None,
        },
    })
}

/// Radius flags.
#[derive(Debug, ClapArgs)]
pub struct RadiusArgs {
    /// Service radius, or several comma-separated tiers (the first is the main one):
    /// 50km, 30mi, 800m, or a travel time such as 4h or 90min with --speed. Required, except
    /// for plan --objective distance and max-distance, where it only sets the coverage reported.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "R[,R...]",
        allow_hyphen_values = true
    )]
    pub radius: Vec<String>,
    /// Travel speed that turns a time radius into a distance (60km/h, 40mph).
    #[arg(long, value_name = "SPEED", allow_hyphen_values = true)]
    pub speed: Option<String>,
}

/// Output flags shared by every command.
#[derive(Debug, ClapArgs)]
pub struct OutputArgs {
    /// Report format (default: from --output's extension, else table).
    #[arg(long, value_enum, help_heading = "Output")]
    pub format: Option<OutFormat>,
    /// Write the report to FILE instead of stdout (.json, .md, .csv, .txt; other names need
    /// --format). Written atomically; never over an input; {name} is the demand file's name.
    #[arg(long, short = 'o', value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// Write the open sites to FILE (.csv, .geojson, or .gpkg: a GeoPackage point layer `sites`
    /// in EPSG:4326 with the CSV's columns).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub sites_out: Option<PathBuf>,
    /// Write every demand point with its nearest open site, distance and coverage per tier (.csv,
    /// or .gpkg: a point layer `assignments` in EPSG:4326 at each demand point, same columns).
    /// With capacities: the capacity-respecting split, one row per serving site plus any unserved
    /// rest (columns assigned_weight, share, status).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub assignments_out: Option<PathBuf>,
    /// How many of the largest uncovered places to list.
    #[arg(
        long,
        default_value_t = 10,
        value_name = "N",
        allow_negative_numbers = true,
        value_parser = parse_count::<usize>,
        help_heading = "Output"
    )]
    pub top: usize,
    /// List the open sites least valuable first: by unique weight (what closing each alone
    /// loses), covered or assigned weight (default: existing, then new by rank).
    #[arg(long, value_enum, value_name = "BY", help_heading = "Output")]
    pub sites_by: Option<SitesByArg>,
    /// Draw a coverage map to FILE (.svg, or .png): base map, service areas, demand, outlets, legend.
    #[arg(long, value_name = "FILE", help_heading = "Map")]
    pub map: Option<PathBuf>,
    /// Base map polygons for --map from a GeoJSON file (default: country outlines, with provinces
    /// or states for data in China or the USA).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Map",
        conflicts_with = "no_basemap"
    )]
    pub basemap: Option<PathBuf>,
    /// Draw --map without a base map.
    #[arg(long, help_heading = "Map")]
    pub no_basemap: bool,
    /// Title of --map.
    #[arg(long, value_name = "TEXT", help_heading = "Map")]
    pub map_title: Option<String>,
    /// Attribution line for your data on --map, e.g. "demand: GeoNames (CC BY 4.0)".
    #[arg(long, value_name = "TEXT", help_heading = "Map")]
    pub credit: Option<String>,
    /// Part of the world --map shows: auto (the demand, leaving out a few far outliers, which
    /// the map counts in a note), data (every point), sites (the outlets and their service
    /// areas), or a box lon_min,lat_min,lon_max,lat_max in degrees, e.g. --extent 102,21,118,27;
    /// to cross the antimeridian give lon_max above 180, e.g. --extent 160,-30,195,-10.
    /// Latitudes beyond ±85° are cut (the Mercator projection stops there).
    #[arg(long, value_name = "auto|data|sites|BOX", value_parser = parse_extent, allow_hyphen_values = true, help_heading = "Map")]
    pub extent: Option<crate::render::projection::Extent>,
    /// Canvas size of --map in pixels, e.g. --size 1200x800 (default 1600 wide, the height
    /// fitted to the extent; 640x480 to 6000x6000).
    #[arg(long, value_name = "WxH", value_parser = parse_map_size, help_heading = "Map")]
    pub size: Option<crate::render::projection::MapSize>,
    /// Write each open site's service area per radius tier to FILE (.geojson, or .gpkg: a
    /// multipolygon layer `areas` in EPSG:4326): polygons split at the antimeridian, with site_id,
    /// status, tier and radius_km, e.g. --areas-out areas.geojson.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub areas_out: Option<PathBuf>,
    /// Exit 1 when coverage within the first radius is below F (0.95 or 95%).
    #[arg(long, value_name = "F", allow_hyphen_values = true)]
    pub min_coverage: Option<String>,
    /// No progress on stderr (stage line and bars; they are drawn only when stderr is a terminal).
    #[arg(long, short = 'q', help_heading = "Output")]
    pub quiet: bool,
}

/// Input formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InputFormat {
    /// CSV with a header row.
    Csv,
    /// GeoJSON FeatureCollection.
    Geojson,
    /// GeoPackage (--layer picks the layer).
    Gpkg,
    /// ESRI Shapefile (.shp with its .dbf beside it, and .prj if any).
    Shp,
    /// FlatGeobuf.
    Fgb,
    /// GeoParquet (WKB geometries).
    Parquet,
}

/// Report formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutFormat {
    /// Aligned text.
    Table,
    /// JSON (stable field names).
    Json,
    /// Markdown.
    Markdown,
    /// Long-form CSV (section,key,field,value).
    Csv,
}

impl From<OutFormat> for ReportFormat {
    fn from(f: OutFormat) -> Self {
        match f {
            OutFormat::Table => ReportFormat::Table,
            OutFormat::Json => ReportFormat::Json,
            OutFormat::Markdown => ReportFormat::Markdown,
            OutFormat::Csv => ReportFormat::Csv,
        }
    }
}

pub use crate::units::parse_fraction;

pub(super) fn radii(args: &RadiusArgs, d: &DistanceArgs) -> Result<Vec<Radius>> {
    let speed = speed(args.speed.as_deref())?;
    if args.radius.is_empty() {
        bail!("--radius is required: give one or more radii, e.g. --radius 50km or 100km,200km");
    }
    let cost = cost_unit(d)?;
    if cost.is_some() && speed.is_some() {
        bail!(
            "--speed turns times into great-circle distances and does not apply to --costs: give radii in the matrix's unit (--cost-unit), e.g. --radius 30min"
        );
    }
    let mut out = Vec::new();
    for r in &args.radius {
        out.push(one_radius(r, speed, cost).map_err(|e| anyhow::anyhow!("--radius: {e}"))?);
    }
    warn_unused_speed(args.speed.as_deref(), &out);
    Ok(out)
}

/// One radius: in the cost matrix's unit with `--costs`, else a distance or a time at `speed`.
pub(super) fn one_radius(
    r: &str,
    speed: Option<Speed>,
    cost: Option<crate::sphere::CostUnit>,
) -> std::result::Result<Radius, crate::sphere::UnitError> {
    match cost {
        Some(unit) => crate::sphere::parse_cost_radius(r, unit),
        None => parse_radius(r, speed),
    }
}

/// A speed only turns time radii into distances; say so when none is a time.
pub(super) fn warn_unused_speed(speed: Option<&str>, radii: &[Radius]) {
    use crate::sphere::RadiusUnit;
    if let Some(s) = speed
        && !radii
            .iter()
            .any(|r| matches!(r.unit, RadiusUnit::Hours(_) | RadiusUnit::Minutes(_)))
    {
        warn_unused(
            &format!("--speed {s}"),
            "no radius is a travel time (such as 4h or 90min)",
        );
    }
}

pub(super) fn speed(text: Option<&str>) -> Result<Option<Speed>> {
    text.map(|t| Speed::parse(t).map_err(|e| anyhow::anyhow!("--speed: {e}")))
        .transpose()
}

/// `-o -` means stdout, as `--demand -` means stdin.
pub(super) fn stdout_dash(p: &Option<PathBuf>) -> Option<PathBuf> {
    p.clone().filter(|p| p.as_os_str() != "-")
}

/// The flag for a setting's name: `per_engineer` -> `--per-engineer`.
pub(super) fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

pub(super) fn load_options(a: &InputArgs) -> LoadOptions {
    LoadOptions {
        lon_col: a.lon_col.clone(),
        lat_col: a.lat_col.clone(),
        weight_col: a.weight_col.clone(),
        id_col: a.id_col.clone(),
        group_col: a.group_col.clone(),
        format: a.input_format.map(|f| match f {
            InputFormat::Csv => Format::Csv,
            InputFormat::Geojson => Format::GeoJson,
            InputFormat::Gpkg => Format::GeoPackage,
            InputFormat::Shp => Format::Shapefile,
            InputFormat::Fgb => Format::FlatGeobuf,
            InputFormat::Parquet => Format::GeoParquet,
        }),
        layer: a.layer.clone(),
        skip_invalid: a.skip_invalid,
        fail_fast: a.fail_fast,
        delimiter: a.delimiter,
        decimal_comma: a.decimal_comma,
        crs: a.distance.crs.clone().unwrap_or_default(),
        coordinates_optional: a.distance.costs.is_some(),
    }
}

/// `--min-coverage`, read as a fraction.
pub(super) fn min_coverage(a: &OutputArgs) -> Result<Option<f64>> {
    a.min_coverage
        .as_deref()
        .map(|s| parse_fraction("--min-coverage", s))
        .transpose()
}

/// Says on stderr that `flag` was given but does nothing in this run, and why.
pub(super) fn warn_unused(flag: &str, why: &str) {
    eprintln!("outpost: warning: {flag} is not used: {why}");
}

pub(super) fn output_config(a: &OutputArgs) -> OutputConfig {
    if a.map.is_none() {
        let given = [
            ("--basemap", a.basemap.is_some()),
            ("--no-basemap", a.no_basemap),
            ("--map-title", a.map_title.is_some()),
            ("--credit", a.credit.is_some()),
            ("--extent", a.extent.is_some()),
            ("--size", a.size.is_some()),
        ];
        for (flag, _) in given.iter().filter(|(_, on)| *on) {
            warn_unused(flag, "it shapes the map, and no --map FILE was asked for");
        }
    }
    OutputConfig {
        format: a.format.map(ReportFormat::from),
        output: stdout_dash(&a.output),
        sites_out: a.sites_out.clone(),
        assignments_out: a.assignments_out.clone(),
        top: a.top,
        sites_by: a.sites_by.map(|b| match b {
            SitesByArg::Unique => crate::config::SitesBy::Unique,
            SitesByArg::Covered => crate::config::SitesBy::Covered,
            SitesByArg::Assigned => crate::config::SitesBy::Assigned,
        }),
        quiet: a.quiet,
        map: a.map.clone(),
        basemap: match (&a.basemap, a.no_basemap) {
            (_, true) => BaseMap::None,
            (Some(p), false) => BaseMap::File(p.clone()),
            (None, false) => BaseMap::Auto,
        },
        map_title: a.map_title.clone(),
        credit: a.credit.clone(),
        map_view: crate::render::map::MapOptions {
            extent: a.extent.unwrap_or_default(),
            size: a.size,
        },
        areas_out: a.areas_out.clone(),
    }
}

pub(super) fn parse_extent(
    s: &str,
) -> std::result::Result<crate::render::projection::Extent, String> {
    crate::render::projection::Extent::parse(s)
}

/// A count flag (`--add`, `--top`, ...): a whole number, 0 or more, said in
/// words rather than as a digit parser's error.
pub(super) fn parse_count<T: std::str::FromStr>(s: &str) -> std::result::Result<T, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<T>() {
        return Ok(n);
    }
    let as_number = t.parse::<f64>();
    Err(match as_number {
        Ok(x) if x < 0.0 => "a count cannot be negative: give a whole number, 0 or more".into(),
        Ok(x) if x.is_finite() && x.fract() != 0.0 => {
            "a count must be a whole number (e.g. 10), not a fraction".into()
        }
        Ok(x) if x.is_finite() && x.fract() == 0.0 && t.bytes().all(|b| b.is_ascii_digit()) => {
            "too large for a count".into()
        }
        _ => "expected a whole number, 0 or more (e.g. 10), written in digits".into(),
    })
}

pub(super) fn parse_map_size(
    s: &str,
) -> std::result::Result<crate::render::projection::MapSize, String> {
    crate::render::projection::MapSize::parse(s)
}

pub(super) fn parse_chart_size(
    s: &str,
) -> std::result::Result<crate::render::projection::MapSize, String> {
    crate::render::projection::MapSize::parse_at_least(s, (800, 560))
}

pub(super) fn check_stdin(inputs: &[&PathBuf]) -> Result<()> {
    if inputs.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        bail!("only one input can be read from stdin (`-`)");
    }
    Ok(())
}

/// Checks the flags and builds the run's configuration: one function per
/// subcommand, in its own file.
///
/// # Errors
/// Flags that are inconsistent or unreadable (exit code 2).
pub fn into_config(args: Args) -> Result<Config> {
    let cfg = match args.command {
        Cmd::Evaluate(a) => evaluate::config(a),
        Cmd::Plan(a) => plan::config(a),
        Cmd::Sweep(a) => sweep::config(a),
        Cmd::Scenarios(a) => scenarios::config(a),
    }?;
    check_crs_outputs(&cfg)?;
    Ok(cfg)
}
