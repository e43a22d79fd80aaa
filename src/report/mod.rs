//! One report model for every command, and the writers that render it.
//!
//! The JSON form is a public interface (see [`json`]): renaming a field is a
//! breaking change.

/// Defines a closed set of names that reports write as strings: the enum,
/// `as_str`, `Display`, and serde's `Serialize` as that string.
macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// The name written in every report.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

pub mod csv;
pub mod geojson;
pub mod json;
pub mod markdown;
pub mod sweep;
pub mod table;
pub mod tabular;

use crate::evaluate::DistanceStats;
use serde::Serialize;

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// Aligned text for a terminal.
    Table,
    /// JSON (the public interface).
    Json,
    /// Markdown, for a CI bot's comment.
    Markdown,
    /// Long-form CSV: section, key, field, value.
    Csv,
}

impl ReportFormat {
    /// The format for an output file's extension, if it names one.
    pub fn from_extension(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(ReportFormat::Json),
            "md" | "markdown" => Some(ReportFormat::Markdown),
            "csv" => Some(ReportFormat::Csv),
            "txt" => Some(ReportFormat::Table),
            _ => None,
        }
    }
}

/// Whether an open site was already open or is proposed by the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteStatus {
    /// Open before the run (`--sites`/`--existing`, or forced open in a scenario).
    Existing,
    /// Opened by the plan.
    New,
    /// An existing outlet the plan closes (`--relocate`); not open, listed so
    /// the report says what moved.
    Closed,
}

impl SiteStatus {
    /// The name used in every report (`existing`, `new`).
    pub fn as_str(self) -> &'static str {
        match self {
            SiteStatus::Existing => "existing",
            SiteStatus::New => "new",
            SiteStatus::Closed => "closed",
        }
    }
}

impl std::fmt::Display for SiteStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for SiteStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Number of demand points and their weight.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DemandSummary {
    /// Points loaded.
    pub points: u64,
    /// Their total weight.
    pub total_weight: f64,
    /// Rows skipped under `--skip-invalid`.
    pub skipped: u64,
}

/// One open site in a report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SiteReport {
    /// Site id.
    pub id: String,
    /// Display name, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Easting in metres, with `--crs` other than EPSG:4326 (then `lon`/`lat` are
    /// its WGS84 position, or `null` with `--crs planar`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    /// Northing in metres, with `--crs` other than EPSG:4326.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
    /// `existing` or `new`.
    pub status: SiteStatus,
    /// For new sites: the order a planner would open them in (1 = first).
    pub rank: Option<u32>,
    /// For new sites: covered weight gained by opening it, after the sites ranked before it.
    pub marginal_weight: Option<f64>,
    /// Weight within the first radius of this site.
    pub covered_weight: f64,
    /// Weight within the first radius of this site and of no other open
    /// site: what closing this site alone loses.
    pub unique_weight: f64,
    /// Weight for which this is the nearest open site (or, with capacities, assigned to it).
    pub assigned_weight: f64,
    /// Set-up cost, where candidates carry one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// Capacity, with capacities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<f64>,
    /// assigned / capacity, with capacities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utilisation: Option<f64>,
    /// Engineers needed (assigned / `--per-engineer`, rounded up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engineers: Option<u64>,
}

/// Coverage at the first radius.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoverageSummary {
    /// Weight within the radius of an open site (with capacities: assigned within capacity).
    pub covered_weight: f64,
    /// covered_weight / total weight.
    pub covered_fraction: f64,
    /// Points covered.
    pub covered_points: u64,
}

/// Coverage at one radius tier.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TierReport {
    /// The radius, km.
    pub radius_km: f64,
    /// The radius as the user gave it (`100 mi`, `4 h at 60 km/h`).
    pub label: String,
    /// Covered weight.
    pub covered_weight: f64,
    /// Covered share of the weight.
    pub covered_fraction: f64,
    /// Covered points.
    pub covered_points: u64,
    /// Weight within the radius of at least two open sites: still covered
    /// when any one outlet is out (backup cover).
    pub backup_weight: f64,
    /// Backup-covered share of the weight.
    pub backup_fraction: f64,
}

/// Coverage of one group (region), at the first radius.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupReport {
    /// Group name.
    pub group: String,
    /// Points in the group.
    pub points: u64,
    /// Total weight.
    pub total_weight: f64,
    /// Covered weight.
    pub covered_weight: f64,
    /// Covered share.
    pub covered_fraction: f64,
}

/// A demand point outside the first radius of every open site.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UncoveredPlace {
    /// Demand id.
    pub id: String,
    /// Display name, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Easting in metres, with `--crs` other than EPSG:4326.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    /// Northing in metres, with `--crs` other than EPSG:4326.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
    /// Weight.
    pub weight: f64,
    /// Group, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Distance to the nearest open site, km.
    pub distance_km: Option<f64>,
}

/// A proven bound on the objective and the gap of the answer to it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BoundReport {
    /// The bound (an upper bound for coverage, a lower bound for distance and site counts).
    pub value: f64,
    /// |bound - achieved| / |bound| (0 when proven optimal).
    pub gap: f64,
    /// How it was computed.
    pub method: String,
    /// The objective value the bound is compared with.
    pub achieved: f64,
    /// With `--exact`: whether the answer was proven optimal (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proven: Option<bool>,
}

/// Spending against `--budget`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetReport {
    /// The budget.
    pub budget: f64,
    /// Cost of the new sites.
    pub spent: f64,
    /// budget - spent.
    pub remaining: f64,
}

/// Capacity summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CapacityReport {
    /// Weight within reach of an open site.
    pub within_reach_weight: f64,
    /// Of that, weight assigned within capacities.
    pub assigned_weight: f64,
    /// Weight within reach but over capacity.
    pub over_capacity_weight: f64,
    /// Weight per engineer, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_engineer: Option<f64>,
    /// Engineers in total, if `--per-engineer` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engineers: Option<u64>,
}

/// A `--min-coverage` or `--target` gate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GateReport {
    /// What was asked (a fraction).
    pub min_coverage: f64,
    /// What was reached.
    pub reached: f64,
    /// Whether the run passes.
    pub passed: bool,
}

/// The report of one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// `evaluate` or `plan`.
    pub command: CommandName,
    /// The objective (`coverage`, `min-sites`, `distance`, `max-distance`); `null` for evaluate.
    pub objective: Option<String>,
    /// The first (main) radius, km.
    pub radius_km: f64,
    /// The first radius as the user gave it (`100 mi`, `4 h at 60 km/h`,
    /// `any distance` when none was needed).
    pub radius_label: String,
    /// The distance model (`great_circle`, `planar`).
    pub distance_model: &'static str,
    /// The unit of radii and distances (`km`).
    pub unit: &'static str,
    /// The detour factor great-circle distances are multiplied by, when not 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuity: Option<f64>,
    /// The coordinate system of the inputs when not WGS84 (`EPSG:32650`, `planar`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// Demand loaded.
    pub demand: DemandSummary,
    /// Candidate sites considered (0 for evaluate).
    pub candidates: u64,
    /// Open sites: existing first (file order), then new ones by rank; then
    /// the outlets `--relocate` closed (status `closed`).
    pub sites: Vec<SiteReport>,
    /// Coverage at the first radius.
    pub coverage: CoverageSummary,
    /// Coverage per radius tier.
    pub tiers: Vec<TierReport>,
    /// Weighted distance to the nearest open site.
    pub distance_km: Option<DistanceStats>,
    /// Per group, worst covered first.
    pub groups: Vec<GroupReport>,
    /// The largest uncovered places, heaviest first.
    pub uncovered: Vec<UncoveredPlace>,
    /// Bound and gap (plan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound: Option<BoundReport>,
    /// Budget use (plan with `--budget`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetReport>,
    /// Capacities (plan with capacities).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapacityReport>,
    /// The objective's value, with its unit (plan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective_value: Option<ObjectiveValue>,
    /// Gate, if one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateReport>,
    /// What `--relocate` moved (plan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relocation: Option<RelocationReport>,
    /// How demand was merged into cells before planning (`plan --aggregate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<AggregationReport>,
    /// Notes for the reader (skipped rows, truncated searches).
    pub notes: Vec<String>,
    /// Wall time of the run, ms.
    pub elapsed_ms: u64,
}

/// What `--relocate` did: how many outlets could move, which closed, and
/// what that gains over keeping every outlet.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RelocationReport {
    /// Most outlets allowed to close (`--relocate K`).
    pub relocate: usize,
    /// Existing outlets that could move.
    pub movable: usize,
    /// Existing outlets that never move (`fixed` column or `--fixed`).
    pub fixed: usize,
    /// Ids of the outlets closed, in file order.
    pub closed: Vec<String>,
    /// The objective (covered or served weight) keeping every outlet, with as many new sites as `--add`.
    pub baseline_value: f64,
    /// The objective with the relocation.
    pub value: f64,
    /// Ways of closing outlets tried.
    pub options_tried: usize,
    /// Whether every way of closing up to `relocate` outlets was tried.
    pub exhaustive: bool,
}

/// How `plan --aggregate` merged demand into cells. The plan is made on the
/// cells; every other figure of the report is measured on the points.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AggregationReport {
    /// The cell size (`5 km grid`, `H3 resolution 7`).
    pub cell: String,
    /// Demand points.
    pub points: u64,
    /// Cells they were merged into.
    pub cells: u64,
    /// Largest distance from a point to its cell's centre, km, straight line.
    pub max_error_km: f64,
    /// The objective as the planner measured it on the cells (the bound and
    /// gap refer to it).
    pub planned: Option<f64>,
}

/// An objective value with its meaning.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObjectiveValue {
    /// What is measured.
    pub measure: Measure,
    /// The value.
    pub value: f64,
}

named! {
    /// The command a report comes from (`command` in every JSON report).
    CommandName {
        /// `outpost evaluate`.
        Evaluate => "evaluate",
        /// `outpost plan`.
        Plan => "plan",
        /// `outpost sweep`.
        Sweep => "sweep",
        /// `outpost scenarios`.
        Scenarios => "scenarios",
    }
}

named! {
    /// What a plan's objective value measures (`objective_value.measure`).
    Measure {
        /// Weight within the radius of an open site (`coverage`).
        CoveredWeight => "covered_weight",
        /// New sites opened (`min-sites`).
        NewSites => "new_sites",
        /// Weighted distance to the nearest open site, summed (`distance`).
        WeightedDistanceKm => "weighted_distance_km",
        /// Largest distance to the nearest open site (`max-distance`).
        MaxDistanceKm => "max_distance_km",
        /// Weighted cost to the nearest open site, summed (`distance` on a cost matrix).
        WeightedDistance => "weighted_distance",
        /// Largest cost to the nearest open site (`max-distance` on a cost matrix).
        MaxDistance => "max_distance",
        /// Largest weight x distance to the nearest open site (`max-distance --weighted`).
        MaxWeightedDistance => "max_weighted_distance",
        /// Weight served within capacities (`coverage` with capacities).
        ServedWeight => "served_weight",
        /// Weight within reach of two open sites (`backup`).
        BackupWeight => "backup_weight",
        /// `W x backup + (1 - W) x primary` covered weight (`backup --backup-weight W`).
        BackupMix => "backup_mix",
    }
}

/// Makes text from the data safe for one line of a table, Markdown or SVG:
/// control characters (newlines, tabs, escapes) are shown as `\n`, `\t` or
/// `\u{1b}` instead of breaking the row or the document.
pub fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Rounds a sum or a ratio to 12 significant digits, removing float noise
/// (`110875917.00000003`, `30.000000000000004`) but no digit a person reads.
pub fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 11 - x.abs().log10().floor() as i32;
    // Powers of ten up to 1e22 are exact in f64, so one rounding of the
    // scaled value and one exact scale back give the nearest f64 to the
    // decimal. Beyond, scaling would move the value (1e-289 turned 1e300
    // into 1.0000000000000006e300): round through the decimal text instead.
    let r = match digits {
        0..=22 => {
            let f = 10f64.powi(digits);
            (x * f).round() / f
        }
        -22..0 => {
            let f = 10f64.powi(-digits);
            (x / f).round() * f
        }
        _ => format!("{x:.11e}").parse().unwrap_or(x),
    };
    if r.is_finite() { r } else { x }
}

/// Rounds a share (0..1) to 12 decimals: a gap of `2.7e-16` is 0.
pub fn round_share(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let r = (x * 1e12).round() / 1e12;
    if r == 0.0 { 0.0 } else { r }
}

impl Report {
    /// Whether distances are a cost matrix's travel costs (no circle stands for a radius).
    pub fn is_cost_matrix(&self) -> bool {
        self.distance_model == "cost_matrix"
    }
    /// The open sites (every site but those `--relocate` closed).
    pub fn open_sites(&self) -> impl Iterator<Item = &SiteReport> {
        self.sites.iter().filter(|s| s.status != SiteStatus::Closed)
    }

    /// The straight-line (great-circle) radius in km that a distance of `km`
    /// stands for on a map: `km` itself, or `km / circuity` with a detour factor.
    pub fn crow_km(&self, km: f64) -> f64 {
        km / self.circuity.unwrap_or(1.0)
    }

    /// ` (circuity 1.3)` when distances carry a detour factor, else nothing:
    /// appended wherever a radius is shown, so no circle passes for a road distance.
    pub fn circuity_note(&self) -> String {
        self.circuity
            .map(|c| format!(" (circuity {})", crate::sphere::trim_float(c)))
            .unwrap_or_default()
    }

    /// The report with float noise removed from sums and shares, as written.
    pub fn tidied(&self) -> Report {
        let mut r = self.clone();
        let w = round_sig;
        let s = round_share;
        r.radius_km = w(r.radius_km);
        r.demand.total_weight = w(r.demand.total_weight);
        for x in &mut r.sites {
            x.marginal_weight = x.marginal_weight.map(w);
            x.covered_weight = w(x.covered_weight);
            x.unique_weight = w(x.unique_weight);
            x.assigned_weight = w(x.assigned_weight);
            x.utilisation = x.utilisation.map(s);
        }
        r.coverage.covered_weight = w(r.coverage.covered_weight);
        r.coverage.covered_fraction = s(r.coverage.covered_fraction);
        for t in &mut r.tiers {
            t.radius_km = w(t.radius_km);
            t.covered_weight = w(t.covered_weight);
            t.backup_weight = w(t.backup_weight);
            t.backup_fraction = s(t.backup_fraction);
            t.covered_fraction = s(t.covered_fraction);
        }
        for g in &mut r.groups {
            g.total_weight = w(g.total_weight);
            g.covered_weight = w(g.covered_weight);
            g.covered_fraction = s(g.covered_fraction);
        }
        if let Some(b) = &mut r.bound {
            b.value = w(b.value);
            b.achieved = w(b.achieved);
            b.gap = s(b.gap);
        }
        if let Some(b) = &mut r.budget {
            b.spent = w(b.spent);
            b.remaining = w(b.remaining);
        }
        if let Some(c) = &mut r.capacity {
            c.within_reach_weight = w(c.within_reach_weight);
            c.assigned_weight = w(c.assigned_weight);
            c.over_capacity_weight = w(c.over_capacity_weight);
        }
        if let Some(v) = &mut r.objective_value {
            v.value = w(v.value);
        }
        if let Some(g) = &mut r.gate {
            g.reached = s(g.reached);
        }
        r
    }
}

/// Renders a report in a format.
///
/// # Errors
/// I/O errors of the writer.
pub fn write<W: std::io::Write>(
    report: &Report,
    format: ReportFormat,
    out: W,
) -> std::io::Result<()> {
    let report = &report.tidied();
    match format {
        ReportFormat::Table => table::write_table(report, out),
        ReportFormat::Json => json::write_json(report, out),
        ReportFormat::Markdown => markdown::write_markdown(report, out),
        ReportFormat::Csv => csv::write_csv(report, out),
    }
}

/// Formats a weight for people: thousands separators and no decimals from
/// 1,000 up and for whole values (a hair off whole counts as whole), two
/// decimals below, at least two significant digits below one (weights
/// given as shares: `0.00031`, not `0.00`); from 1e15 up, e-notation
/// (`1e308`).
/// Never `-0`.
pub fn fmt_weight(x: f64) -> String {
    // A sum of whole weights that rounding left a hair off a whole number
    // (838.0000000001) prints as the whole number it is.
    let whole = (x - x.round()).abs() <= 1e-9 * x.abs().max(1.0);
    if x.abs() >= 1e15 {
        // A budget of 1e308 reads better than 309 digits.
        format!("{x:e}")
    } else if x.abs() >= 1000.0 || whole {
        let s = format!("{:.0}", x.abs());
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if x < 0.0 && out != "0" {
            format!("-{out}")
        } else {
            out
        }
    } else if x.abs() < 0.995 {
        // Two significant digits: shares of a total stay readable.
        let decimals = (1 - x.abs().log10().floor() as i32).clamp(2, 12) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.2}")
    }
}

/// Formats a fraction as a percentage with two decimals.
pub fn fmt_pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

#[cfg(test)]
mod tests {
    use super::{fmt_weight, round_sig};

    #[test]
    fn rounding_to_twelve_digits_never_moves_a_clean_value() {
        assert_eq!(round_sig(110_875_917.000_000_03), 110_875_917.0);
        assert_eq!(round_sig(30.000_000_000_000_004), 30.0);
        // Huge and tiny values: scaling by 1e-289 moved 1e300.
        for x in [1e300, -1e300, 1.7e308, 2.5e-300, 1e23, 123_456_789_012.0e20] {
            assert_eq!(round_sig(x), x, "{x:e}");
        }
        assert_eq!(round_sig(1.000_000_000_000_000_6e300), 1e300);
        assert_eq!(round_sig(0.0), 0.0);
        assert!(round_sig(f64::NAN).is_nan());
    }

    #[test]
    fn weights_print_whole_when_they_are_whole() {
        assert_eq!(fmt_weight(838.0), "838");
        // A sum of whole weights a hair off by rounding.
        assert_eq!(fmt_weight(838.000_000_000_1), "838");
        assert_eq!(fmt_weight(837.999_999_999_9), "838");
        assert_eq!(fmt_weight(12.5), "12.50");
        assert_eq!(fmt_weight(0.001), "0.0010");
        assert_eq!(fmt_weight(0.000_312_4), "0.00031");
        assert_eq!(fmt_weight(0.25), "0.25");
        assert_eq!(fmt_weight(0.994), "0.99");
        assert_eq!(fmt_weight(1_234_567.4), "1,234,567");
        assert_eq!(fmt_weight(-2500.0), "-2,500");
        assert_eq!(fmt_weight(-1e-12), "0");
        assert_eq!(fmt_weight(-0.001), "-0.0010");
        assert_eq!(fmt_weight(-0.25), "-0.25");
        assert_eq!(fmt_weight(1e308), "1e308");
        assert_eq!(fmt_weight(2.5e15), "2.5e15");
        assert_eq!(fmt_weight(999_999_999_999_999.0), "999,999,999,999,999");
    }
}
