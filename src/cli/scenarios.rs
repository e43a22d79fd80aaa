//! `outpost scenarios`: its flags and their checks.

use super::*;

/// `outpost scenarios`.
#[derive(Debug, ClapArgs)]
pub struct ScenariosArgs {
    /// The scenario file (TOML).
    file: PathBuf,
    /// Write each scenario's report.json and sites.csv (and map.svg with --map) into
    /// DIR/<scenario>/, and the comparison as DIR/comparison.{md,json,csv}.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// With --output-dir: draw a map per scenario.
    #[arg(long, requires = "output_dir")]
    map: bool,
    /// Comparison format (default: from --output's extension, else table).
    #[arg(long, value_enum)]
    format: Option<OutFormat>,
    /// Write the comparison to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// No progress messages.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Checks `outpost scenarios`'s flags and builds its configuration.
///
/// # Errors
/// Flags that are inconsistent or unreadable (exit code 2).
pub fn config(a: ScenariosArgs) -> Result<Config> {
    Ok(Config {
        command: Command::Scenarios(crate::config::ScenariosConfig {
            file: a.file.clone(),
            output_dir: a.output_dir.clone(),
            maps: a.map,
            format: a.format.map(ReportFormat::from),
            output: stdout_dash(&a.output),
            quiet: a.quiet,
        }),
        demand: Vec::new(),
        sites: None,
        candidates: None,
        load: LoadOptions::default(),
        radii: Vec::new(),
        distance: Default::default(),
        min_coverage: None,
        output: OutputConfig::default(),
    })
}
