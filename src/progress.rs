//! Progress messages on stderr, only when stderr is a terminal and not `--quiet`;
//! with `OUTPOST_TIMINGS=1` in the environment, each stage's wall time is
//! printed to stderr instead (for benchmarks).

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Instant;

/// Stage-by-stage progress for long runs.
pub struct Progress {
    enabled: bool,
    timings: bool,
    start: Instant,
    current: RefCell<Option<(String, Instant)>>,
}

impl Progress {
    /// Progress that prints only to a terminal, unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        let timings = std::env::var_os("OUTPOST_TIMINGS").is_some_and(|v| v == "1");
        Progress {
            enabled: !quiet && !timings && std::io::stderr().is_terminal(),
            timings,
            start: Instant::now(),
            current: RefCell::new(None),
        }
    }

    fn close(&self) {
        if let Some((what, t)) = self.current.borrow_mut().take()
            && self.timings
        {
            eprintln!(
                "timing: {what}: {:.1} ms",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
    }

    /// Announces a stage.
    pub fn stage(&self, what: &str) {
        self.close();
        *self.current.borrow_mut() = Some((what.to_string(), Instant::now()));
        if self.enabled {
            eprint!(
                "\r\x1b[2K[{:>6.1}s] {what}...",
                self.start.elapsed().as_secs_f64()
            );
        }
    }

    /// Clears the progress line.
    pub fn done(&self) {
        self.close();
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}
