//! Progress on stderr, only when stderr is a terminal and not `--quiet`: a
//! stage line ([`Progress::stage`]) and, for the long stages, bars with a rate
//! and an ETA ([`Bar`]: reading bytes, indexing and coverage by count, spinners
//! for searches). With `OUTPOST_TIMINGS=1` in the environment, each stage's wall
//! time is printed to stderr instead (for benchmarks). Nothing is drawn in CI
//! logs or pipes: a stage asks for a bar with one line and gets a hidden one.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether bars may be drawn: not quiet, not timing, and stderr a terminal.
pub fn visible(quiet: bool) -> bool {
    !quiet
        && std::env::var_os("OUTPOST_TIMINGS").is_none_or(|v| v != "1")
        && std::io::stderr().is_terminal()
}

/// A progress bar on stderr, or nothing. Hidden bars cost a branch per update,
/// so hot loops may call [`Bar::inc`] freely (indicatif limits redraws to a
/// few per second).
#[derive(Debug, Default)]
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar that draws nothing.
    pub fn hidden() -> Bar {
        Bar { bar: None }
    }

    fn make(show: bool, len: Option<u64>, template: &str, what: &str) -> Bar {
        if !show {
            return Bar::hidden();
        }
        // Every bar of the run goes under one MultiProgress, so a stage line
        // and the bars of that stage share the terminal without overwriting.
        static LINES: OnceLock<MultiProgress> = OnceLock::new();
        let lines =
            LINES.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let bar = lines.add(ProgressBar::new(len.unwrap_or(0)));
        if len.is_none() {
            bar.unset_length();
        }
        let style = ProgressStyle::with_template(template)
            .expect("the templates are fixed and valid")
            .with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", s.per_sec());
                },
            )
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar { bar: Some(bar) }
    }

    /// A bar over `total` bytes (reading a file), with the rate in bytes per second.
    pub fn bytes(show: bool, total: u64, what: &str) -> Bar {
        Bar::make(
            show,
            Some(total),
            "{spinner} {msg:<28!} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
            what,
        )
    }

    /// A bar over `total` items (points indexed, candidates covered), with the rate.
    pub fn count(show: bool, total: u64, what: &str) -> Bar {
        Bar::make(
            show,
            Some(total),
            "{spinner} {msg:<28!} [{bar:30}] {human_pos}/{human_len} {rate} ETA {eta}",
            what,
        )
    }

    /// A spinner with the time spent (searches, bounds).
    pub fn spinner(show: bool, what: &str) -> Bar {
        Bar::make(show, None, "{spinner} {msg:<28!} {elapsed}", what)
    }

    /// Moves the bar to `pos`.
    pub fn set(&self, pos: u64) {
        if let Some(b) = &self.bar {
            b.set_position(pos);
        }
    }

    /// Advances the bar by `n`.
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Renames the stage the bar shows and starts it again from zero.
    pub fn restart(&self, what: &str) {
        if let Some(b) = &self.bar {
            b.set_message(what.to_string());
            b.reset();
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Stage-by-stage progress for long runs: a spinner line with the stage's
/// name and the run's elapsed time, above any bar the stage draws.
pub struct Progress {
    enabled: bool,
    timings: bool,
    current: RefCell<Option<(String, Instant)>>,
    line: Bar,
}

impl Progress {
    /// Progress that prints only to a terminal, unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        let timings = std::env::var_os("OUTPOST_TIMINGS").is_some_and(|v| v == "1");
        let enabled = visible(quiet);
        Progress {
            enabled,
            timings,
            current: RefCell::new(None),
            line: Bar::make(enabled, None, "{spinner} [{elapsed:>4}] {msg}", ""),
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
        if let Some(b) = &self.line.bar {
            b.set_message(format!("{what}..."));
        }
    }

    /// A bar over `total` bytes, shown when this run's progress is.
    pub fn bytes(&self, total: u64, what: &str) -> Bar {
        Bar::bytes(self.enabled, total, what)
    }

    /// A bar over `total` items, shown when this run's progress is.
    pub fn count(&self, total: u64, what: &str) -> Bar {
        Bar::count(self.enabled, total, what)
    }

    /// A spinner with a count, shown when this run's progress is.
    pub fn spinner(&self, what: &str) -> Bar {
        Bar::spinner(self.enabled, what)
    }

    /// Clears the progress lines.
    pub fn done(&self) {
        self.close();
        self.line.finish();
    }
}
