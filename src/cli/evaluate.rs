//! `outpost evaluate`: its flags and their checks.

use super::*;

/// `outpost evaluate`.
#[derive(Debug, ClapArgs)]
pub struct EvaluateArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Open outlets (CSV or GeoJSON).
    #[arg(long, visible_alias = "existing", required = true, value_name = "FILE")]
    sites: PathBuf,
    #[command(flatten)]
    radius: RadiusArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Checks `outpost evaluate`'s flags and builds its configuration.
///
/// # Errors
/// Flags that are inconsistent or unreadable (exit code 2).
pub fn config(a: EvaluateArgs) -> Result<Config> {
    let mut all: Vec<&PathBuf> = a.inputs.demand.iter().collect();
    all.push(&a.sites);
    check_stdin(&all)?;
    Ok(Config {
        command: Command::Evaluate,
        demand: a.inputs.demand.clone(),
        sites: Some(a.sites.clone()),
        candidates: None,
        load: load_options(&a.inputs),
        distance: distance_config(&a.inputs.distance)?,
        radii: radii(&a.radius, &a.inputs.distance)?,
        min_coverage: min_coverage(&a.output)?,
        output: output_config(&a.output),
    })
}
