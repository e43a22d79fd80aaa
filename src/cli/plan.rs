//! `outpost plan`: its flags and their checks.

use super::*;

/// `outpost plan`.
#[derive(Debug, ClapArgs)]
pub struct PlanArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Candidate sites (default: the demand locations); may carry `cost` and `capacity` columns.
    #[arg(long, value_name = "FILE")]
    candidates: Option<PathBuf>,
    /// Outlets that are open and stay open in every plan (head office, stations).
    #[arg(long, visible_alias = "sites", value_name = "FILE")]
    existing: Option<PathBuf>,
    #[command(flatten)]
    radius: RadiusArgs,
    /// What to optimise.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Coverage, help_heading = "Objective")]
    objective: ObjectiveArg,
    /// Number of new sites to open (coverage, distance, max-distance).
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        value_parser = parse_count::<usize>,
        help_heading = "Objective"
    )]
    add: Option<usize>,
    /// Coverage fraction to reach with the fewest sites (min-sites): 0.95 or 95%.
    #[arg(
        long,
        value_name = "F",
        allow_hyphen_values = true,
        help_heading = "Objective"
    )]
    target: Option<String>,
    /// Most the new sites may cost in total (candidates need a `cost` column).
    #[arg(
        long,
        value_name = "B",
        allow_hyphen_values = true,
        help_heading = "Constraints"
    )]
    budget: Option<f64>,
    /// Capacity of every site, in weight units (overrides a `capacity` column where it is missing).
    #[arg(
        long,
        value_name = "W",
        allow_hyphen_values = true,
        help_heading = "Constraints"
    )]
    capacity: Option<f64>,
    /// Weight one engineer can serve: reports engineers needed per site.
    #[arg(
        long,
        value_name = "W",
        allow_hyphen_values = true,
        help_heading = "Constraints"
    )]
    per_engineer: Option<f64>,
    /// max-distance: weight the distances (minimise the largest weight x distance).
    #[arg(long, help_heading = "Objective")]
    weighted: bool,
    /// distance: sites each demand point's list starts with (its K nearest); a list is extended
    /// wherever the search or the bound needs more, so K sets speed and memory, never the answer.
    /// Default: 3 x sites / (new + existing sites), between 16 and 256, and at most 32 million /
    /// demand points.
    #[arg(
        long,
        value_name = "K",
        allow_negative_numbers = true,
        value_parser = parse_count::<usize>,
        help_heading = "Solver"
    )]
    k_nearest: Option<usize>,
    /// Safety stop for the searches, in seconds (the answer so far is reported, with a note).
    /// Searches normally end on their own after a fixed amount of work, so the answer does not
    /// depend on the machine's speed.
    #[arg(
        long,
        default_value_t = 60.0,
        value_name = "SECONDS",
        allow_hyphen_values = true,
        help_heading = "Solver"
    )]
    time_limit: f64,
    /// Seed for every random choice; the same inputs and seed give the same bytes.
    #[arg(long, default_value_t = 0, help_heading = "Solver")]
    seed: u64,
    /// coverage: extra rounds of iterated local search (close a few random sites, refill, search
    /// again) after the Lagrangian starts; more rounds may find a better answer, never a worse one.
    /// Added to the up to 300 rounds the planner runs by itself where the bound leaves a gap above
    /// 0.1%. With capacities, rounds added to the capacitated search's 8.
    #[arg(
        long,
        default_value_t = 0,
        value_name = "N",
        allow_negative_numbers = true,
        value_parser = parse_count::<u32>,
        help_heading = "Solver"
    )]
    perturb: u32,
    /// Skip the bound computation (faster; the report then has no gap).
    #[arg(long, help_heading = "Solver")]
    no_bound: bool,
    /// coverage, min-sites and distance: keep searching (branch and bound on the Lagrangian
    /// bound) until the answer is proven optimal, gap 0, or --time-limit stops it; the report
    /// says which ("proven": true in JSON), with the best bound left. Existing sites, --add,
    /// --budget and --target are all honoured, and capacities for coverage (the weight served
    /// is proven). Not for max-distance or backup; distance up to 40 million (point, site)
    /// pairs.
    #[arg(long, help_heading = "Solver")]
    exact: bool,
    /// coverage: up to K existing outlets may close and as many new sites open (on top of
    /// --add), where that covers more. Outlets with a `fixed` column of true/yes/1, or named
    /// in --fixed, never move. The report lists closed outlets with status `closed`.
    #[arg(
        long,
        value_name = "K",
        default_value_t = 0,
        allow_negative_numbers = true,
        value_parser = parse_count::<usize>,
        help_heading = "Objective"
    )]
    relocate: usize,
    /// backup: maximise W x backup + (1 - W) x primary covered weight instead (W from 0 to 1).
    #[arg(
        long,
        value_name = "W",
        allow_negative_numbers = true,
        help_heading = "Objective"
    )]
    backup_weight: Option<f64>,
    /// With --relocate: ids of existing outlets that never move (e.g. the head office).
    #[arg(
        long,
        value_name = "ID[,ID...]",
        value_delimiter = ',',
        help_heading = "Objective"
    )]
    fixed: Vec<String>,
    /// Merge demand points into weighted cells before planning: a grid side (5km, 500m) or an
    /// H3 resolution (h3:7). The plan is then measured on every point; the report gives the
    /// largest distance from a point to its cell's centre. For millions of points; see README.
    #[arg(
        long,
        value_name = "CELL",
        allow_hyphen_values = true,
        help_heading = "Solver"
    )]
    aggregate: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Objectives.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ObjectiveArg {
    /// Maximal covering: most weight within the radius with --add N new sites.
    Coverage,
    /// Fewest new sites to reach --target.
    MinSites,
    /// p-median: least weighted distance to the nearest outlet with --add N new sites.
    Distance,
    /// p-center: least largest distance to the nearest outlet with --add N new sites.
    MaxDistance,
    /// Backup cover: most weight within the radius of at least two outlets (covered while any
    /// one is out) with --add N new sites; primary coverage breaks ties (see --backup-weight).
    Backup,
}

/// Checks `outpost plan`'s flags and builds its configuration.
///
/// # Errors
/// Flags that are inconsistent or unreadable (exit code 2).
pub fn config(a: PlanArgs) -> Result<Config> {
    let mut all: Vec<&PathBuf> = a.inputs.demand.iter().collect();
    all.extend(a.candidates.iter());
    all.extend(a.existing.iter());
    check_stdin(&all)?;
    let objective = match a.objective {
        ObjectiveArg::Coverage => Objective::Coverage,
        ObjectiveArg::MinSites => Objective::MinSites,
        ObjectiveArg::Distance => Objective::Distance,
        ObjectiveArg::MaxDistance => Objective::MaxDistance,
        ObjectiveArg::Backup => Objective::Backup,
    };
    if a.relocate > 0 && a.existing.is_none() {
        warn_unused(
            "--relocate",
            "there are no existing outlets to move (--existing)",
        );
    }
    if !a.fixed.is_empty() && a.relocate == 0 {
        warn_unused("--fixed", "without --relocate no existing outlet moves");
    }
    if a.perturb > 0 && !matches!(objective, Objective::Coverage) {
        warn_unused(
            "--perturb",
            "it adds search rounds to --objective coverage (with or without capacities) only",
        );
    }
    if a.no_bound && matches!(objective, Objective::MaxDistance) {
        warn_unused(
            "--no-bound",
            "max-distance's bound comes with its radius search at no extra cost",
        );
    }
    if a.weighted && !matches!(objective, Objective::MaxDistance) {
        warn_unused(
            "--weighted",
            "it weighs distances for --objective max-distance only",
        );
    }
    if a.k_nearest.is_some() && !matches!(objective, Objective::Distance) {
        warn_unused(
            "--k-nearest",
            "it sizes the p-median lists (--objective distance)",
        );
    }
    let target = a
        .target
        .as_deref()
        .map(|s| parse_fraction("--target", s))
        .transpose()?;
    let pc = PlanConfig {
        objective,
        add: a.add,
        target,
        budget: a.budget.map(|b| b + 0.0),
        // `-0` is zero, and reads as 0 in every report.
        capacity: a.capacity.map(|c| c + 0.0),
        per_engineer: a.per_engineer,
        weighted: a.weighted,
        k_nearest: a.k_nearest,
        time_limit: seconds("--time-limit", a.time_limit)?,
        seed: a.seed,
        perturb: a.perturb,
        bound: !a.no_bound,
        exact: a.exact,
        relocate: a.relocate,
        fixed: a.fixed.clone(),
        backup_weight: a.backup_weight,
        aggregate: a
            .aggregate
            .as_deref()
            .map(|s| {
                crate::aggregate::CellSize::parse(s).map_err(|e| anyhow::anyhow!("--aggregate {e}"))
            })
            .transpose()?,
    };
    pc.validate(&flag)?;
    let radii = if a.radius.radius.is_empty() {
        if objective.needs_radius() {
            bail!(
                "--objective {} needs --radius (e.g. --radius 50km, or 4h with --speed 60km/h)",
                objective.name()
            );
        }
        vec![Radius::any()]
    } else {
        radii(&a.radius, &a.inputs.distance)?
    };
    Ok(Config {
        command: Command::Plan(pc),
        demand: a.inputs.demand.clone(),
        sites: a.existing.clone(),
        candidates: a.candidates.clone(),
        load: load_options(&a.inputs),
        distance: distance_config(&a.inputs.distance)?,
        radii,
        min_coverage: min_coverage(&a.output)?,
        output: output_config(&a.output),
    })
}
