//! The commands: [`run`] is the one match over them; each command is a short
//! module of its own (evaluate and plan on one file share [`run`]'s single
//! path), and no command imports another.

pub mod batch;
pub mod scenarios;
pub mod sweep;

use crate::assemble::apply_gate;
use crate::config::{Command, Config, Outcome};
use crate::report::{self};
use crate::task::{output_plan, run_one, write_extras};
use crate::workspace::{expand_globs, load_inputs};
use anyhow::Result;
use std::time::Instant;

/// Runs a command.
///
/// # Errors
/// Bad input, bad usage or I/O errors (exit code 2).
pub fn run(cfg: &Config) -> Result<Outcome> {
    let start = Instant::now();
    if let Command::Scenarios(sc) = &cfg.command {
        return crate::cmd::scenarios::run_scenarios(sc);
    }
    let files = expand_globs(&cfg.demand)?;
    if files.len() > 1 {
        if let Command::Sweep(_) = &cfg.command {
            anyhow::bail!(
                "sweep draws one curve for one demand file, and {} were given ({}): run one sweep per file, or merge the files first",
                files.len(),
                files
                    .iter()
                    .take(3)
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        return crate::cmd::batch::run_batch(cfg, &files);
    }
    output_plan(cfg, &files).check()?;
    let cfg = &cfg.for_file(&files[0]);
    if let Command::Sweep(sc) = &cfg.command {
        return crate::cmd::sweep::run_sweep(cfg, sc);
    }

    let progress = crate::progress::Progress::new(cfg.output.quiet);
    progress.stage("loading inputs");
    let loaded = load_inputs(cfg)?;
    let candidates = match &cfg.command {
        Command::Plan(_) => Some(crate::workspace::load_candidates(cfg, &loaded)?),
        _ => None,
    };
    let (mut report, open, eval, failure) = run_one(cfg, &loaded, candidates.as_ref(), &progress)?;
    let passed = apply_gate(&mut report, cfg.min_coverage) && failure.is_none();
    report.elapsed_ms = start.elapsed().as_millis() as u64;
    progress.stage("writing outputs");
    write_extras(cfg, &cfg.output, &report, &loaded, &open, &eval, &progress)?;
    crate::output::emit(cfg.output.output.as_deref(), cfg.output.format, |f, w| {
        report::write(&report, f, w)
    })?;
    progress.done();
    if let Some(msg) = &failure {
        eprintln!("outpost: {msg}");
    }
    if let Some(g) = &report.gate
        && !g.passed
    {
        eprintln!(
            "outpost: coverage {} within {} is below --min-coverage {} (short by {:.2} points)",
            report::fmt_pct(g.reached),
            cfg.radii[0],
            report::fmt_pct(g.min_coverage),
            100.0 * (g.min_coverage - g.reached),
        );
    }
    Ok(if passed {
        Outcome::Success
    } else {
        Outcome::GateFailed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Outcome::Success.code(), 0);
        assert_eq!(Outcome::GateFailed.code(), 1);
    }
}
