//! What a run is asked to do, checked: the configuration the command line (or
//! a scenario file, for plans) builds and every command reads. Data and the
//! rules that check it; it imports nothing above the library's leaves.

use crate::input::LoadOptions;
use crate::render::basemap::BaseMap;
use crate::report::ReportFormat;
use crate::sphere::Radius;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// How a run ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked and every gate passed: exit 0.
    Success,
    /// The run worked but a gate failed (coverage below the minimum, target unreachable): exit 1.
    GateFailed,
}

impl Outcome {
    /// The process exit code: 0 for success, 1 for a failed gate (errors are 2).
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(self.code())
    }

    /// The exit code as a number.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::GateFailed => 1,
        }
    }
}

/// An order for the sites of a report (`--sites-by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitesBy {
    /// Least unique weight first: the outlets whose closing loses least.
    Unique,
    /// Least covered weight first.
    Covered,
    /// Least assigned (nearest-site) weight first.
    Assigned,
}

/// Where results go.
#[derive(Debug, Clone, Default)]
pub struct OutputConfig {
    /// Report format; default from `--output`'s extension, else table.
    pub format: Option<ReportFormat>,
    /// Report file instead of stdout.
    pub output: Option<PathBuf>,
    /// Open sites as CSV or GeoJSON.
    pub sites_out: Option<PathBuf>,
    /// Each demand point with its nearest site.
    pub assignments_out: Option<PathBuf>,
    /// How many uncovered places to list.
    pub top: usize,
    /// Order of the open sites in reports (`--sites-by`); `None`: existing, then new by rank.
    pub sites_by: Option<SitesBy>,
    /// Coverage map (.svg or .png).
    pub map: Option<PathBuf>,
    /// Base map for `map`.
    pub basemap: BaseMap,
    /// Map title (default: from the command).
    pub map_title: Option<String>,
    /// Attribution line for the data on maps.
    pub credit: Option<String>,
    /// Extent and size of `map`.
    pub map_view: crate::render::map::MapOptions,
    /// Service areas per open site and tier (.geojson).
    pub areas_out: Option<PathBuf>,
    /// No progress messages.
    pub quiet: bool,
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The command.
    pub command: Command,
    /// Demand files.
    pub demand: Vec<PathBuf>,
    /// Open outlets (`--sites`/`--existing`).
    pub sites: Option<PathBuf>,
    /// Candidate sites (plan); default the demand locations.
    pub candidates: Option<PathBuf>,
    /// Column overrides and policy.
    pub load: LoadOptions,
    /// Service radii; the first is the main one.
    pub radii: Vec<Radius>,
    /// How distances are measured.
    pub distance: DistanceConfig,
    /// Coverage gate on the first radius.
    pub min_coverage: Option<f64>,
    /// Outputs.
    pub output: OutputConfig,
}

/// How distances are measured: the distance model's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceConfig {
    /// Detour factor for great-circle distances (1: none).
    pub circuity: f64,
    /// A travel-cost matrix instead of great-circle distances (`--costs`).
    pub costs: Option<CostsConfig>,
}

impl Default for DistanceConfig {
    fn default() -> Self {
        DistanceConfig {
            circuity: 1.0,
            costs: None,
        }
    }
}

/// A travel-cost matrix to measure distances with (`--costs`).
#[derive(Debug, Clone, PartialEq)]
pub struct CostsConfig {
    /// The long CSV file, one row per (demand, site) pair.
    pub path: PathBuf,
    /// What its cost column holds.
    pub unit: crate::sphere::CostUnit,
    /// Column overrides.
    pub options: crate::input::costs::CostOptions,
}

/// Reads a `--cost-unit` (or scenario `cost_unit`); none means km.
///
/// # Errors
/// An unknown unit, naming `what` and the accepted ones.
pub fn cost_unit(what: &str, s: Option<&str>) -> Result<crate::sphere::CostUnit> {
    match s {
        None => Ok(crate::sphere::CostUnit::Km),
        Some(t) => crate::sphere::CostUnit::parse(t).ok_or_else(|| {
            anyhow::anyhow!(
                "{what} {:?} is not a cost unit: give km, m or mi for distances, or s, min or h for travel times",
                crate::sphere::clip(t)
            )
        }),
    }
}

/// The subcommand.
#[derive(Debug, Clone)]
pub enum Command {
    /// Coverage of the open sites.
    Evaluate,
    /// Propose sites.
    Plan(PlanConfig),
    /// Coverage curve over numbers of sites and radii.
    Sweep(SweepConfig),
    /// What-if scenarios from a file.
    Scenarios(ScenariosConfig),
}

/// Puts the demand file's stem where `{name}` stands in an output path
/// (`stdin` for `-`).
pub fn fill_name(path: &Path, demand_file: &Path) -> PathBuf {
    let text = path.to_string_lossy();
    if !text.contains("{name}") {
        return path.to_path_buf();
    }
    let stem = if demand_file.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        demand_file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "demand".into())
    };
    PathBuf::from(text.replace("{name}", &stem))
}

impl Config {
    /// The run on one demand file: `{name}` filled in every output path
    /// (the report's too, as there is no batch table).
    pub fn for_file(&self, demand_file: &Path) -> Config {
        let mut cfg = self.clone();
        cfg.output = self.output.for_file(demand_file);
        cfg.output.output = self
            .output
            .output
            .as_deref()
            .map(|p| fill_name(p, demand_file));
        cfg.demand = vec![demand_file.to_path_buf()];
        cfg
    }
}

impl OutputConfig {
    /// The per-file outputs with `{name}` filled in for one demand file.
    pub fn for_file(&self, demand_file: &Path) -> OutputConfig {
        let fill = |p: &Option<PathBuf>| p.as_deref().map(|p| fill_name(p, demand_file));
        OutputConfig {
            sites_out: fill(&self.sites_out),
            assignments_out: fill(&self.assignments_out),
            map: fill(&self.map),
            areas_out: fill(&self.areas_out),
            ..self.clone()
        }
    }
}

/// What a plan optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// Most weight within the radius.
    Coverage,
    /// Fewest sites reaching a coverage target.
    MinSites,
    /// Least weighted distance (p-median).
    Distance,
    /// Least largest distance (p-center).
    MaxDistance,
    /// Most weight within reach of two open sites (backup cover).
    Backup,
}

impl Objective {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Coverage => "coverage",
            Objective::MinSites => "min-sites",
            Objective::Distance => "distance",
            Objective::MaxDistance => "max-distance",
            Objective::Backup => "backup",
        }
    }
}

/// Settings of a plan.
#[derive(Debug, Clone)]
pub struct PlanConfig {
    /// The objective.
    pub objective: Objective,
    /// New sites to open.
    pub add: Option<usize>,
    /// Coverage target (min-sites).
    pub target: Option<f64>,
    /// Budget for new sites.
    pub budget: Option<f64>,
    /// Capacity for sites without a `capacity` column.
    pub capacity: Option<f64>,
    /// Weight one engineer serves.
    pub per_engineer: Option<f64>,
    /// p-center on weight x distance.
    pub weighted: bool,
    /// Sites per demand point for p-median (`None`: automatic).
    pub k_nearest: Option<usize>,
    /// Local search time limit.
    pub time_limit: Duration,
    /// Seed for the perturbation moves.
    pub seed: u64,
    /// Rounds of iterated local search after the Lagrangian starts (coverage).
    pub perturb: u32,
    /// Compute the bound.
    pub bound: bool,
    /// Search until the optimum is proven or the time limit (coverage).
    pub exact: bool,
    /// Existing outlets that may close and reopen elsewhere (coverage; 0: none).
    pub relocate: usize,
    /// Ids of existing outlets that never move, on top of a `fixed` column.
    pub fixed: Vec<String>,
    /// backup: weight of backup cover against primary cover in the objective
    /// (`None`: backup only, primary breaking ties).
    pub backup_weight: Option<f64>,
    /// Plan on demand merged into cells of this size, then measure on every point.
    pub aggregate: Option<crate::aggregate::CellSize>,
}

impl Objective {
    /// Whether the objective is defined by a service radius (the distance
    /// objectives need none; with one, it only sets the reported coverage).
    pub fn needs_radius(self) -> bool {
        matches!(
            self,
            Objective::Coverage | Objective::MinSites | Objective::Backup
        )
    }
}

impl PlanConfig {
    /// Checks that the settings make one well-defined plan: the flags or keys
    /// the objective needs are there, those it does not use are not, and every
    /// number is in range. The command line and scenario files both call this,
    /// with `key` turning a setting's name (`add`, `per_engineer`) into the
    /// flag (`--add`) or the file, scenario and key where it was given.
    ///
    /// # Errors
    /// The first problem, naming the flag or key and the value.
    pub fn validate(&self, key: &dyn Fn(&str) -> String) -> Result<()> {
        let o = self.objective;
        match o {
            Objective::MinSites => {
                if self.target.is_none() {
                    bail!(
                        "{} min-sites needs {} (e.g. 95%)",
                        key("objective"),
                        key("target")
                    );
                }
                if self.add.is_some() {
                    bail!(
                        "{} min-sites finds the number of sites itself: drop {}",
                        key("objective"),
                        key("add")
                    );
                }
            }
            _ => {
                if self.add.is_none() && !(o == Objective::Coverage && self.budget.is_some()) {
                    bail!(
                        "{} {} needs {} (the number of new sites){}",
                        key("objective"),
                        o.name(),
                        key("add"),
                        if o == Objective::Coverage {
                            format!(" or {}", key("budget"))
                        } else {
                            String::new()
                        }
                    );
                }
                if self.target.is_some() {
                    bail!("{} goes with {} min-sites", key("target"), key("objective"));
                }
            }
        }
        if self.relocate > 0 && o != Objective::Coverage {
            bail!(
                "{} goes with {} coverage (moving outlets to cover more)",
                key("relocate"),
                key("objective")
            );
        }
        if self.relocate > MAX_ADD {
            bail!(
                "{} {} is out of range: at most {MAX_ADD} outlets",
                key("relocate"),
                self.relocate
            );
        }
        if let Some(size) = self.aggregate
            && self.relocate > 0
        {
            bail!(
                "{} {size} with {}: relocation is not planned on cells yet: drop one",
                key("aggregate"),
                key("relocate")
            );
        }
        if !self.fixed.is_empty() && self.relocate == 0 {
            bail!(
                "{} says which outlets never move under {}: give {} too",
                key("fixed"),
                key("relocate"),
                key("relocate")
            );
        }
        if self.capacity.is_some() && o == Objective::MaxDistance {
            bail!(
                "{} is not planned for {} max-distance (the largest distance ignores how much a site serves): drop it, or use coverage or distance",
                key("capacity"),
                key("objective")
            );
        }
        if self.exact {
            if !matches!(
                o,
                Objective::Coverage | Objective::MinSites | Objective::Distance
            ) {
                bail!(
                    "{} proves optima for {} coverage, min-sites and distance only (for now), not {}: drop it or use one of those",
                    key("exact"),
                    key("objective"),
                    o.name()
                );
            }
            if !self.bound {
                bail!("{} needs the bound: drop {}", key("exact"), key("no_bound"));
            }
            if self.relocate > 0 {
                bail!(
                    "{} with {}: relocation is not searched exactly yet: drop one",
                    key("exact"),
                    key("relocate")
                );
            }
            if let Some(size) = self.aggregate {
                bail!(
                    "{} with {} {size}: the proof would hold for the cells, not for every point: drop one",
                    key("exact"),
                    key("aggregate")
                );
            }
        }
        if let Some(w) = self.backup_weight {
            if o != Objective::Backup {
                bail!(
                    "{} goes with {} backup",
                    key("backup_weight"),
                    key("objective")
                );
            }
            if !(0.0..=1.0).contains(&w) {
                bail!(
                    "{} {} is out of range: give a share from 0 (primary cover only) to 1 (backup only)",
                    key("backup_weight"),
                    crate::units::show(w)
                );
            }
        }
        if self.budget.is_some() && o != Objective::Coverage {
            bail!("{} goes with {} coverage", key("budget"), key("objective"));
        }
        if let Some(v) = self.budget {
            crate::units::non_negative(&key("budget"), v)?;
        }
        if let Some(v) = self.capacity {
            crate::units::non_negative(&key("capacity"), v)?;
        }
        if let Some(v) = self.per_engineer {
            crate::units::per_engineer(&key("per_engineer"), v)?;
        }
        if self.k_nearest == Some(0) {
            bail!("{} must be at least 1", key("k_nearest"));
        }
        if self.perturb > MAX_PERTURB {
            bail!(
                "{} {} is out of range: at most {MAX_PERTURB} rounds",
                key("perturb"),
                self.perturb
            );
        }
        if let Some(n) = self.add
            && n > MAX_ADD
        {
            bail!(
                "{} {n} is out of range: at most {MAX_ADD} new sites",
                key("add")
            );
        }
        Ok(())
    }
}

/// The most perturbation rounds one plan may ask for.
pub const MAX_PERTURB: u32 = 10_000;

/// The most new sites one plan may open.
pub const MAX_ADD: usize = 1_000_000;

/// Settings of a sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Smallest and largest number of new sites.
    pub adds: (usize, usize),
    /// Compute bounds.
    pub bound: bool,
    /// Chart file (.svg or .png).
    pub chart: Option<PathBuf>,
    /// Solver settings shared with `plan`.
    pub solver: PlanConfig,
}

/// Settings of a scenarios run.
#[derive(Debug, Clone)]
pub struct ScenariosConfig {
    /// The TOML file.
    pub file: PathBuf,
    /// Folder for each scenario's report, sites and map, and the comparison.
    pub output_dir: Option<PathBuf>,
    /// Draw a map per scenario (needs `output_dir`).
    pub maps: bool,
    /// Comparison format.
    pub format: Option<ReportFormat>,
    /// Comparison file.
    pub output: Option<PathBuf>,
    /// No progress.
    pub quiet: bool,
}
