//! The `outpost` binary: parse the flags, run, turn the result into an exit code.

use clap::Parser;
use outpost::cli;
use std::process::ExitCode;

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| {
            // CSV writers wrap the I/O error in their own, inside an io::Error of kind Other.
            let wrapped = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<csv::Error>())
                .is_some_and(
                    |c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
                );
            e.kind() == BrokenPipe || wrapped
        })
}

fn main() -> ExitCode {
    let args = cli::Args::parse();
    // Interrupted runs remove their temporary files; failing to install the
    // handlers only loses that cleanup, so the run goes on.
    if let Err(err) = outpost::output::install_signal_cleanup() {
        eprintln!("outpost: warning: {err:#}");
    }
    // Outputs are renamed into place together once the run has succeeded
    // (a gate that fails, exit 1, still writes them): a run that fails part
    // way changes no file.
    outpost::output::defer_commits();
    let result = cli::into_config(args).and_then(|c| outpost::run(&c));
    let result = match result {
        Ok(outcome) => outpost::output::commit_staged().map(|()| outcome),
        Err(err) if is_broken_pipe(&err) => {
            outpost::output::commit_staged().map(|()| outpost::Outcome::Success)
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            outpost::output::discard_staged();
            eprintln!("outpost: {err:#}");
            ExitCode::from(2)
        }
    }
}
