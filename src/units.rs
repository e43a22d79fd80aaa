//! Reading and checking the numbers people type: fractions, seconds, weights
//! and counts. Flags and scenario-file keys go through the same functions, so
//! a value is accepted or refused the same way wherever it is given.
//!
//! Every function takes `what`, the name of the flag or key as the user wrote
//! it (`--time-limit`, or `sc.toml: scenario "west": key `time_limit``), and
//! returns an error that names it, the value, and the accepted range.

use anyhow::{Result, bail};
use std::time::Duration;

/// The longest `--time-limit` accepted: 30 days.
pub const MAX_SECONDS: f64 = 30.0 * 24.0 * 3600.0;

/// Reads a fraction: `0.95`, `95%`.
///
/// # Errors
/// When it is not a number in [0, 1].
pub fn parse_fraction(what: &str, s: &str) -> Result<f64> {
    let t = s.trim();
    let v = if let Some(p) = t.strip_suffix('%') {
        p.trim().parse::<f64>().map(|v| v / 100.0)
    } else {
        t.parse::<f64>()
    };
    let shown = crate::sphere::clip(s);
    match v {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Ok(v) if v > 1.0 && v <= 100.0 && !t.ends_with('%') => {
            bail!("{what} {shown:?} is above 1: write a fraction (0.95) or a percentage (95%)")
        }
        _ => bail!("{what} {shown:?} is not a fraction between 0 and 1: write 0.95 or 95%"),
    }
}

/// A number as a person reads it: plain when moderate, else in e-notation.
pub fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A time limit in seconds: finite, above 0, at most 30 days.
///
/// # Errors
/// When out of range.
pub fn seconds(what: &str, v: f64) -> Result<Duration> {
    if !(v.is_finite() && v > 0.0 && v <= MAX_SECONDS) {
        bail!(
            "{what} {} is out of range: give a number of seconds above 0 and at most {MAX_SECONDS} (30 days)",
            show(v)
        );
    }
    Ok(Duration::from_secs_f64(v))
}

/// A quantity that may be zero (a budget, a capacity): finite and >= 0.
///
/// # Errors
/// When negative, NaN or infinite.
pub fn non_negative(what: &str, v: f64) -> Result<f64> {
    if !(v.is_finite() && v >= 0.0) {
        bail!(
            "{what} {} is out of range: give a finite number, 0 or more",
            show(v)
        );
    }
    Ok(v)
}

/// The weight one engineer serves: finite and at least 1e-9, so that the
/// number of engineers stays a count a person can read.
///
/// # Errors
/// When zero, negative, tiny, NaN or infinite.
pub fn per_engineer(what: &str, v: f64) -> Result<f64> {
    if !(v.is_finite() && v >= 1e-9) {
        bail!(
            "{what} {} is out of range: give the weight one engineer can serve, a finite number of at least 1e-9, in the unit of the weights",
            show(v)
        );
    }
    Ok(v)
}

/// The largest detour factor accepted: beyond it, distances are no longer
/// roads but a wrong unit.
pub const MAX_CIRCUITY: f64 = 10.0;

/// A detour factor (`--circuity`): a number from 1 to 10. Road networks are
/// typically 1.2-1.4; below 1 roads would be shorter than straight lines.
///
/// # Errors
/// When it is not a number in [1, 10].
pub fn circuity(what: &str, s: &str) -> Result<f64> {
    let shown = crate::sphere::clip(s);
    match s.trim().parse::<f64>() {
        Ok(v) if (1.0..=MAX_CIRCUITY).contains(&v) => Ok(v),
        Ok(v) if v.is_finite() && v > 0.0 && v < 1.0 => bail!(
            "{what} {shown:?} is below 1: a detour factor says how much longer the road is than the straight line; give 1 (none) or more, typically 1.2-1.4"
        ),
        _ => bail!(
            "{what} {shown:?} is not a detour factor: give a number from 1 to {MAX_CIRCUITY}, typically 1.2-1.4 for road networks"
        ),
    }
}

/// Engineers needed for `load` at `per` weight each.
///
/// # Errors
/// When the count is beyond any workforce (more than a billion), which means
/// `per` is in another unit than the weights.
pub fn engineers(what: &str, load: f64, per: f64, site: &str) -> Result<u64> {
    let n = (load / per).ceil();
    if !(n.is_finite() && n <= 1e9) {
        bail!(
            "{what} {}: site {site:?} would need {} engineers for a load of {}; give the weight one engineer serves in the unit of the weights",
            show(per),
            show(n),
            show(load)
        );
    }
    Ok(n.max(0.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions() {
        assert_eq!(parse_fraction("--x", "0.95").unwrap(), 0.95);
        assert!((parse_fraction("--x", "95%").unwrap() - 0.95).abs() < 1e-12);
        assert!(parse_fraction("--x", "95").is_err());
        assert!(parse_fraction("--x", "abc").is_err());
        assert!(parse_fraction("--x", "-0.1").is_err());
        assert!(parse_fraction("--x", "nan").is_err());
    }

    #[test]
    fn hostile_seconds() {
        for v in [f64::NAN, f64::INFINITY, -1.0, 0.0, 1e30, 2e19] {
            assert!(seconds("--time-limit", v).is_err(), "{v}");
        }
        assert_eq!(seconds("--t", 1.5).unwrap(), Duration::from_millis(1500));
    }

    #[test]
    fn hostile_circuity() {
        for v in ["nan", "inf", "-1", "0", "0.5", "1e308", "11", "", "1.3x"] {
            assert!(circuity("--circuity", v).is_err(), "{v}");
        }
        assert_eq!(circuity("--circuity", "1.3").unwrap(), 1.3);
        assert_eq!(circuity("--circuity", "1").unwrap(), 1.0);
    }

    #[test]
    fn engineers_are_counts() {
        assert_eq!(engineers("--p", 10.0, 3.0, "a").unwrap(), 4);
        assert!(engineers("--p", 1e300, 1e-9, "a").is_err());
    }
}
