//! `outpost sweep`: its flags and their checks.

use super::*;

/// `outpost sweep`.
#[derive(Debug, ClapArgs)]
pub struct SweepArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Candidate sites (default: the demand locations).
    #[arg(long, value_name = "FILE")]
    candidates: Option<PathBuf>,
    /// Outlets open at every point of the curve.
    #[arg(long, visible_alias = "sites", value_name = "FILE")]
    existing: Option<PathBuf>,
    /// Radii, one curve each: a list (100km,150km) and/or ranges FROM..TO:STEP (50km..300km:50km).
    #[arg(long, required = true, value_delimiter = ',', value_name = "R[,R...]")]
    radius: Vec<String>,
    /// Travel speed for time radii (60km/h).
    #[arg(long, value_name = "SPEED")]
    speed: Option<String>,
    /// New sites: N (meaning 1..N) or FROM..TO.
    #[arg(long, required = true, value_name = "N|FROM..TO")]
    add: String,
    /// Draw the curve to FILE (.svg or .png).
    #[arg(long, value_name = "FILE")]
    chart: Option<PathBuf>,
    /// Chart title.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Size of --chart in pixels, e.g. --size 1600x1000 (default 1200x860; 800x560 to 6000x6000).
    #[arg(long, value_name = "WxH", value_parser = parse_chart_size)]
    size: Option<crate::render::projection::MapSize>,
    /// Skip the bounds (faster; no band on the chart).
    #[arg(long)]
    no_bound: bool,
    /// Local search time limit per point, seconds.
    #[arg(
        long,
        default_value_t = 60.0,
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    time_limit: f64,
    /// Seed for random choices.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Report format (default: from --output's extension, else table).
    #[arg(long, value_enum)]
    format: Option<OutFormat>,
    /// Write the table to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// No progress messages.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Reads `N` (1..N) or `FROM..TO` for `--add`.
fn add_range(s: &str) -> Result<(usize, usize)> {
    let bad = || {
        anyhow::anyhow!(
            "--add {s:?}: write a number of sites (20, meaning 1..20) or a range (5..20)"
        )
    };
    let (lo, hi) = match s.split_once("..") {
        Some((a, b)) => (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        ),
        None => (1, s.trim().parse().map_err(|_| bad())?),
    };
    if lo == 0 || hi < lo {
        bail!("--add {s:?}: the range must run from 1 or more up to at least its start");
    }
    if hi - lo > 500 {
        bail!("--add {s:?}: at most 501 points per curve");
    }
    Ok((lo, hi))
}

/// Expands radius items, each a distance or a range FROM..TO:STEP.
fn radius_list(
    items: &[String],
    speed: Option<Speed>,
    cost: Option<crate::sphere::CostUnit>,
) -> Result<Vec<Radius>> {
    let mut out = Vec::new();
    for item in items {
        let one =
            |t: &str| one_radius(t, speed, cost).map_err(|e| anyhow::anyhow!("--radius: {e}"));
        match item.split_once("..") {
            Some((lo, rest)) => {
                let (hi, step) = rest.split_once(':').ok_or_else(|| {
                    anyhow::anyhow!(
                        "--radius {item:?}: a range needs a step, e.g. 50km..300km:50km"
                    )
                })?;
                let (first, hi, step) = (one(lo)?, one(hi)?.km, one(step)?.km);
                let lo = first.km;
                if hi < lo {
                    bail!("--radius {item:?}: the range ends before it starts");
                }
                let n = ((hi - lo) / step + 1e-9).floor();
                if n > 50.0 {
                    bail!("--radius {item:?}: at most 51 radii");
                }
                out.extend(
                    (0..=n as usize).map(|k| Radius::with_unit(lo + k as f64 * step, first.unit)),
                );
            }
            None => out.push(one(item)?),
        }
    }
    Ok(out)
}

/// Checks `outpost sweep`'s flags and builds its configuration.
///
/// # Errors
/// Flags that are inconsistent or unreadable (exit code 2).
pub fn config(a: SweepArgs) -> Result<Config> {
    let mut all: Vec<&PathBuf> = a.inputs.demand.iter().collect();
    all.extend(a.candidates.iter());
    all.extend(a.existing.iter());
    check_stdin(&all)?;
    let time_limit = seconds("--time-limit", a.time_limit)?;
    let speed = speed(a.speed.as_deref())?;
    let adds = add_range(&a.add)?;
    let solver = PlanConfig {
        objective: Objective::Coverage,
        add: Some(adds.1),
        target: None,
        budget: None,
        capacity: None,
        per_engineer: None,
        weighted: false,
        k_nearest: None,
        time_limit,
        seed: a.seed,
        perturb: 0,
        bound: !a.no_bound,
        exact: false,
        relocate: 0,
        fixed: Vec::new(),
        backup_weight: None,
        aggregate: None,
    };
    Ok(Config {
        command: Command::Sweep(crate::config::SweepConfig {
            adds,
            bound: !a.no_bound,
            chart: a.chart.clone(),
            solver,
        }),
        demand: a.inputs.demand.clone(),
        sites: a.existing.clone(),
        candidates: a.candidates.clone(),
        load: load_options(&a.inputs),
        distance: distance_config(&a.inputs.distance)?,
        radii: {
            let cost = cost_unit(&a.inputs.distance)?;
            if cost.is_some() && speed.is_some() {
                bail!(
                    "--speed does not apply to --costs: give radii in the matrix's unit, e.g. --radius 30min"
                );
            }
            let r = radius_list(&a.radius, speed, cost)?;
            warn_unused_speed(a.speed.as_deref(), &r);
            r
        },
        min_coverage: None,
        output: OutputConfig {
            format: a.format.map(ReportFormat::from),
            output: stdout_dash(&a.output),
            quiet: a.quiet,
            map_title: a.title.clone(),
            map_view: crate::render::map::MapOptions {
                size: a.size,
                ..Default::default()
            },
            ..OutputConfig::default()
        },
    })
}
