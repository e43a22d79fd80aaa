//! Progress messages on stderr, only when stderr is a terminal and not `--quiet`.

use std::io::IsTerminal;
use std::time::Instant;

/// Stage-by-stage progress for long runs.
pub struct Progress {
    enabled: bool,
    start: Instant,
}

impl Progress {
    /// Progress that prints only to a terminal, unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            start: Instant::now(),
        }
    }

    /// Announces a stage.
    pub fn stage(&self, what: &str) {
        if self.enabled {
            eprint!(
                "\r\x1b[2K[{:>6.1}s] {what}...",
                self.start.elapsed().as_secs_f64()
            );
        }
    }

    /// Clears the progress line.
    pub fn done(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}
