//! The `outpost` binary: parse the flags, run, turn the result into an exit code.

use clap::Parser;
use outpost::cli;
use std::process::ExitCode;

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::into_config(args).and_then(|c| outpost::run(&c)) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("outpost: {err:#}");
            ExitCode::from(2)
        }
    }
}
