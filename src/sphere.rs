//! Geometry on the sphere: lon/lat to unit vectors, great-circle distances and
//! the chord lengths that make an R-tree query exact at any latitude.
//!
//! A great-circle distance `d` on a sphere of radius `R` corresponds to the
//! straight-line chord `c = 2 sin(d / 2R)` between the two unit vectors. The
//! chord grows monotonically with `d` up to the antipode, so "within `d`" is the
//! same test as "chord within `c`", with no projection and no special case at
//! the poles or across the antimeridian.

use std::fmt;

/// Mean Earth radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point on the unit sphere, as Cartesian coordinates.
pub type UnitVector = [f64; 3];

/// Converts longitude and latitude in degrees (WGS84) to a unit vector.
pub fn to_unit(lon_deg: f64, lat_deg: f64) -> UnitVector {
    let (lon, lat) = (lon_deg.to_radians(), lat_deg.to_radians());
    let (slat, clat) = lat.sin_cos();
    let (slon, clon) = lon.sin_cos();
    [clat * clon, clat * slon, slat]
}

/// Squared straight-line distance between two unit vectors.
///
/// This is the one formula every coverage test in outpost goes through, so the
/// index, the evaluator and the solvers always agree on who is covered.
#[inline]
pub fn chord2(a: &UnitVector, b: &UnitVector) -> f64 {
    let dx = a[0] - b[0];
    let dy = a[1] - b[1];
    let dz = a[2] - b[2];
    dx * dx + dy * dy + dz * dz
}

/// Squared chord length for a great-circle distance.
///
/// # Units
/// `km` is a great-circle distance in kilometres; the result is on the unit sphere.
/// Distances at or beyond half the circumference give 4 (the antipode).
pub fn chord2_for_km(km: f64) -> f64 {
    let half_angle = (km / (2.0 * EARTH_RADIUS_KM)).min(std::f64::consts::FRAC_PI_2);
    let c = 2.0 * half_angle.sin();
    c * c
}

/// Great-circle distance in kilometres for a squared chord length.
pub fn km_for_chord2(c2: f64) -> f64 {
    let half = (c2.max(0.0).sqrt() / 2.0).min(1.0);
    2.0 * EARTH_RADIUS_KM * half.asin()
}

/// Great-circle distance in kilometres by the haversine formula.
///
/// Independent of the chord path; the tests use it as the reference.
pub fn haversine_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.min(1.0).sqrt().asin()
}

/// A travel speed's unit, kept so that reports say it as the user did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpeedUnit {
    /// Kilometres per hour.
    Kmh,
    /// Miles per hour.
    Mph,
    /// Metres per second.
    Ms,
}

/// A travel speed that turns a time radius into a distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed {
    /// Kilometres per hour.
    pub kmh: f64,
    /// The unit the speed was given in.
    pub unit: SpeedUnit,
}

/// The slowest speed accepted: anything slower is a typo or a unit mix-up.
const MIN_SPEED_KMH: f64 = 0.001;

/// The fastest speed accepted: anything faster is a typo.
const MAX_SPEED_KMH: f64 = 100_000.0;

impl Speed {
    /// Reads a speed such as `60km/h`, `40mph` or `15m/s`.
    ///
    /// # Errors
    /// [`UnitError`] when the text is not a positive speed with a known unit.
    pub fn parse(s: &str) -> Result<Speed, UnitError> {
        let bad = || UnitError::Unreadable {
            what: "speed",
            value: clip(s),
            example: "60km/h, 40mph, 15m/s",
        };
        let (v, unit) = split_number(s).ok_or_else(bad)?;
        let (kmh, unit) = match unit.as_str() {
            "km/h" | "kmh" | "kph" | "" => (v, SpeedUnit::Kmh),
            "mph" | "mi/h" => (v * 1.609344, SpeedUnit::Mph),
            "m/s" => (v * 3.6, SpeedUnit::Ms),
            _ => return Err(bad()),
        };
        if !(kmh.is_finite() && kmh > 0.0) {
            return Err(UnitError::NotPositive {
                what: "speed",
                value: clip(s),
            });
        }
        if kmh < MIN_SPEED_KMH {
            return Err(UnitError::OutOfRange {
                what: "speed",
                value: clip(s),
                range: "at least 0.001 km/h",
            });
        }
        if kmh > MAX_SPEED_KMH {
            return Err(UnitError::OutOfRange {
                what: "speed",
                value: clip(s),
                range: "at most 100,000 km/h",
            });
        }
        Ok(Speed { kmh, unit })
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            SpeedUnit::Kmh => write!(f, "{} km/h", trim_float(self.kmh)),
            SpeedUnit::Mph => write!(f, "{} mph", trim_float(self.kmh / 1.609344)),
            SpeedUnit::Ms => write!(f, "{} m/s", trim_float(self.kmh / 3.6)),
        }
    }
}

/// How a radius was given, so that titles, legends and tables say it the
/// same way (`100 mi`, `4 h at 60 km/h`); computation always uses km.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RadiusUnit {
    /// Kilometres.
    Km,
    /// Metres.
    M,
    /// Statute miles.
    Mi,
    /// Nautical miles.
    Nmi,
    /// A travel time in hours at a speed.
    Hours(Speed),
    /// A travel time in minutes at a speed.
    Minutes(Speed),
    /// No radius was given: every distance counts (objectives that need none).
    Any,
    /// A radius in a travel-cost matrix's unit (`--costs`): [`Radius::km`]
    /// then holds the value in `matrix`'s unit, shown in the unit it was given in.
    Cost {
        /// The unit of the matrix's cost column.
        matrix: CostUnit,
        /// The unit the radius was written in (same kind as `matrix`).
        shown: CostUnit,
    },
}

/// What a travel-cost matrix's cost column holds (`--cost-unit`): a distance
/// or a travel time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CostUnit {
    /// Kilometres (the default).
    #[default]
    Km,
    /// Metres.
    M,
    /// Statute miles.
    Mi,
    /// Seconds.
    S,
    /// Minutes.
    Min,
    /// Hours.
    H,
}

impl CostUnit {
    /// Reads `km`, `m`, `mi`, `s`, `min` or `h` (a few spellings of each).
    pub fn parse(s: &str) -> Option<CostUnit> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "km" | "kilometre" | "kilometres" | "kilometer" | "kilometers" => CostUnit::Km,
            "m" | "metre" | "metres" | "meter" | "meters" => CostUnit::M,
            "mi" | "mile" | "miles" => CostUnit::Mi,
            "s" | "sec" | "secs" | "second" | "seconds" => CostUnit::S,
            "min" | "mins" | "minute" | "minutes" => CostUnit::Min,
            "h" | "hr" | "hrs" | "hour" | "hours" => CostUnit::H,
            _ => return None,
        })
    }

    /// The unit's symbol in reports (`km`, `m`, `mi`, `s`, `min`, `h`).
    pub fn symbol(self) -> &'static str {
        match self {
            CostUnit::Km => "km",
            CostUnit::M => "m",
            CostUnit::Mi => "mi",
            CostUnit::S => "s",
            CostUnit::Min => "min",
            CostUnit::H => "h",
        }
    }

    /// Whether the unit is a travel time (else a distance).
    pub fn is_time(self) -> bool {
        matches!(self, CostUnit::S | CostUnit::Min | CostUnit::H)
    }

    /// The size of one unit in the kind's base unit (km for distances, seconds for times).
    fn base(self) -> f64 {
        match self {
            CostUnit::Km => 1.0,
            CostUnit::M => 0.001,
            CostUnit::Mi => 1.609344,
            CostUnit::S => 1.0,
            CostUnit::Min => 60.0,
            CostUnit::H => 3600.0,
        }
    }

    /// `v` of this unit in unit `to` (of the same kind).
    pub fn convert(self, v: f64, to: CostUnit) -> f64 {
        if self == to {
            v
        } else {
            v * self.base() / to.base()
        }
    }
}

impl fmt::Display for CostUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A service radius, as a great-circle distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radius {
    /// The distance in kilometres (for a time, the distance covered at its speed).
    pub km: f64,
    /// How the user gave it, for display.
    pub unit: RadiusUnit,
}

impl Radius {
    /// A radius of `km` kilometres.
    pub fn from_km(km: f64) -> Self {
        Self::with_unit(km, RadiusUnit::Km)
    }

    /// A radius of `km` kilometres, shown in `unit`.
    pub fn with_unit(km: f64, unit: RadiusUnit) -> Self {
        Radius { km, unit }
    }

    /// A radius that reaches every point on Earth (half the circumference),
    /// for objectives run without `--radius`.
    pub fn any() -> Self {
        Self::with_unit(std::f64::consts::PI * EARTH_RADIUS_KM, RadiusUnit::Any)
    }
}

impl fmt::Display for Radius {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let km = self.km;
        match self.unit {
            RadiusUnit::Km => write!(f, "{} km", trim_float(km)),
            RadiusUnit::M => write!(f, "{} m", trim_float(km * 1000.0)),
            RadiusUnit::Mi => write!(f, "{} mi", trim_float(km / 1.609344)),
            RadiusUnit::Nmi => write!(f, "{} nmi", trim_float(km / 1.852)),
            RadiusUnit::Hours(s) => write!(f, "{} h at {s}", trim_float(km / s.kmh)),
            RadiusUnit::Minutes(s) => write!(f, "{} min at {s}", trim_float(60.0 * km / s.kmh)),
            RadiusUnit::Any => write!(f, "any distance"),
            RadiusUnit::Cost { matrix, shown } => {
                write!(f, "{} {shown}", trim_float(matrix.convert(km, shown)))
            }
        }
    }
}

/// Cuts a value echoed in a message to 80 characters.
pub fn clip(s: &str) -> String {
    clip_to(s, 80)
}

/// Cuts text echoed in a message to `max` characters, the last one `…`.
pub fn clip_to(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Formats a float without trailing zeros (`50`, `80.5`).
pub fn trim_float(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Why a distance, time or speed could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnitError {
    /// The text has no number or an unknown unit.
    #[error("cannot read {value:?} as a {what}: write a number and a unit, e.g. {example}")]
    Unreadable {
        /// What was being read (distance, speed).
        what: &'static str,
        /// The text given.
        value: String,
        /// Examples of valid input.
        example: &'static str,
    },
    /// A time was given but no speed to turn it into a distance.
    #[error(
        "{value:?} is a travel time: add --speed (e.g. --speed 60km/h) to turn it into a distance"
    )]
    TimeWithoutSpeed {
        /// The text given.
        value: String,
    },
    /// Beyond any sensible value.
    #[error("{what} {value:?} is out of range: it must be {range}")]
    OutOfRange {
        /// What was being read.
        what: &'static str,
        /// The text given.
        value: String,
        /// The accepted range, in words.
        range: &'static str,
    },
    /// A distance radius against a time matrix, or the reverse.
    #[error(
        "radius {value:?} is {given}, but the cost matrix holds {holds} (--cost-unit {matrix}): give it as e.g. {example}; or, if the matrix holds {other}, pass {fix}"
    )]
    CostKind {
        /// The text given.
        value: String,
        /// What it is (`a travel time`, `a distance`).
        given: &'static str,
        /// The matrix's unit.
        matrix: CostUnit,
        /// What the matrix holds, in words.
        holds: &'static str,
        /// Examples of valid input.
        example: &'static str,
        /// What the matrix may hold instead, in words.
        other: &'static str,
        /// The flag that reads it so.
        fix: &'static str,
    },
    /// Zero, negative or non-finite.
    #[error("{what} {value:?} must be a positive, finite number")]
    NotPositive {
        /// What was being read.
        what: &'static str,
        /// The text given.
        value: String,
    },
}

fn split_number(s: &str) -> Option<(f64, String)> {
    let s = s.trim();
    let end = s
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')
        })
        .unwrap_or(s.len());
    // `e` may start a unit name; only accept it as an exponent when digits follow.
    let (mut num, mut unit) = (&s[..end], &s[end..]);
    while num.ends_with(['e', 'E']) {
        num = &num[..num.len() - 1];
        unit = &s[num.len()..];
    }
    let value: f64 = num.parse().ok()?;
    Some((value, unit.trim().to_ascii_lowercase()))
}

/// Reads a speed such as `60km/h`, `40mph` or `15m/s`, in km per hour.
///
/// # Errors
/// [`UnitError`] when the text is not a positive speed with a known unit.
pub fn parse_speed(s: &str) -> Result<f64, UnitError> {
    Speed::parse(s).map(|v| v.kmh)
}

/// Reads a distance (`50km`, `30mi`, `800m`, a bare number is km) or a travel
/// time (`4h`, `90min`) turned into a distance by `speed_kmh`, in km.
///
/// # Errors
/// [`UnitError`] when the text is unreadable, not positive, or a time without a speed.
pub fn parse_distance_km(s: &str, speed_kmh: Option<f64>) -> Result<f64, UnitError> {
    let speed = speed_kmh.map(|kmh| Speed {
        kmh,
        unit: SpeedUnit::Kmh,
    });
    parse_radius(s, speed).map(|r| r.km)
}

/// The shortest radius accepted, km: 1 mm.
const MIN_RADIUS_KM: f64 = 1e-6;

/// The longest radius accepted, km: four times round the Earth. Anything
/// beyond half the circumference already reaches every point.
const MAX_RADIUS_KM: f64 = 160_000.0;

/// Reads a radius: a distance (`50km`, `30mi`, `800m`, `5nmi`, a bare number
/// is km) or a travel time (`4h`, `90min`) at `speed`, keeping the unit given.
///
/// # Errors
/// [`UnitError`] when the text is unreadable, not positive, too large, or a
/// time without a speed.
pub fn parse_radius(s: &str, speed: Option<Speed>) -> Result<Radius, UnitError> {
    let bad = || UnitError::Unreadable {
        what: "distance",
        value: clip(s),
        example: "50km, 30mi, 800m, or a time such as 4h or 90min with --speed",
    };
    let (v, unit) = split_number(s).ok_or_else(bad)?;
    let time = |v: f64, minutes: bool| -> Result<(f64, RadiusUnit), UnitError> {
        let sp = speed.ok_or_else(|| UnitError::TimeWithoutSpeed { value: clip(s) })?;
        Ok(if minutes {
            (v / 60.0 * sp.kmh, RadiusUnit::Minutes(sp))
        } else {
            (v * sp.kmh, RadiusUnit::Hours(sp))
        })
    };
    let (km, unit) = match unit.as_str() {
        "h" | "hr" | "hrs" | "hour" | "hours" => time(v, false)?,
        "min" | "mins" | "minute" | "minutes" => time(v, true)?,
        "km" | "" => (v, RadiusUnit::Km),
        "m" => (v / 1000.0, RadiusUnit::M),
        "mi" | "mile" | "miles" => (v * 1.609344, RadiusUnit::Mi),
        "nmi" => (v * 1.852, RadiusUnit::Nmi),
        _ => return Err(bad()),
    };
    if !(km.is_finite() && km > 0.0) {
        return Err(UnitError::NotPositive {
            what: "distance",
            value: clip(s),
        });
    }
    if km < MIN_RADIUS_KM {
        return Err(UnitError::OutOfRange {
            what: "distance",
            value: clip(s),
            range: "at least 1 mm (0.000001 km)",
        });
    }
    if km > MAX_RADIUS_KM {
        return Err(UnitError::OutOfRange {
            what: "distance",
            value: clip(s),
            range: "at most 160,000 km (half the Earth's circumference, 20,015 km, already reaches everywhere)",
        });
    }
    Ok(Radius::with_unit(km, unit))
}

/// Reads a radius against a travel-cost matrix whose costs are in `unit`: a
/// bare number is in `unit`; otherwise the radius must be of the same kind
/// (a time such as `30min`, `1.5h`, `90s` for a time matrix; a distance such
/// as `5km`, `800m`, `3mi` for a distance matrix). No speed is involved.
///
/// # Errors
/// [`UnitError`] when unreadable, not positive, or of the other kind.
pub fn parse_cost_radius(s: &str, unit: CostUnit) -> Result<Radius, UnitError> {
    let example = if unit.is_time() {
        "30min, 1.5h, 90s, or a bare number in the matrix's unit"
    } else {
        "5km, 800m, 3mi, or a bare number in the matrix's unit"
    };
    let bad = || UnitError::Unreadable {
        what: "radius",
        value: clip(s),
        example,
    };
    let (v, text) = split_number(s).ok_or_else(bad)?;
    let shown = if text.is_empty() {
        unit
    } else {
        CostUnit::parse(&text).ok_or_else(bad)?
    };
    if shown.is_time() != unit.is_time() {
        return Err(UnitError::CostKind {
            value: clip(s),
            given: if shown.is_time() {
                "a travel time"
            } else {
                "a distance"
            },
            matrix: unit,
            holds: if unit.is_time() {
                "travel times"
            } else {
                "distances"
            },
            example,
            other: if unit.is_time() {
                "distances"
            } else {
                "travel times"
            },
            fix: if unit.is_time() {
                "--cost-unit km (or m, mi)"
            } else {
                "--cost-unit min (or s, h)"
            },
        });
    }
    let value = shown.convert(v, unit);
    if !(value.is_finite() && value > 0.0) {
        return Err(UnitError::NotPositive {
            what: "radius",
            value: clip(s),
        });
    }
    Ok(Radius::with_unit(
        value,
        RadiusUnit::Cost {
            matrix: unit,
            shown,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn cost_radii_in_the_matrix_unit() {
        let min = CostUnit::Min;
        let r = parse_cost_radius("1.5h", min).unwrap();
        assert_relative_eq!(r.km, 90.0);
        assert_eq!(r.to_string(), "1.5 h");
        assert_eq!(parse_cost_radius("30min", min).unwrap().km, 30.0);
        assert_eq!(parse_cost_radius("90", min).unwrap().to_string(), "90 min");
        assert_relative_eq!(parse_cost_radius("90s", min).unwrap().km, 1.5);
        assert!(matches!(
            parse_cost_radius("5km", min),
            Err(UnitError::CostKind { .. })
        ));
        assert_relative_eq!(parse_cost_radius("800m", CostUnit::Km).unwrap().km, 0.8);
        assert!(parse_cost_radius("2h", CostUnit::M).is_err());
        assert!(parse_cost_radius("-3", min).is_err());
        assert!(parse_cost_radius("nan", min).is_err());
        assert!(parse_cost_radius("3 parsecs", min).is_err());
    }

    #[test]
    fn chord_round_trip() {
        for km in [0.001, 1.0, 50.0, 1000.0, 15000.0] {
            assert_relative_eq!(km_for_chord2(chord2_for_km(km)), km, max_relative = 1e-9);
        }
    }

    #[test]
    fn chord_matches_haversine_across_antimeridian_and_poles() {
        let pairs = [
            (179.9, 10.0, -179.9, 10.0),
            (0.0, 89.99, 180.0, 89.99),
            (10.0, -45.0, 11.0, -46.0),
        ];
        for (a, b, c, d) in pairs {
            let km = km_for_chord2(chord2(&to_unit(a, b), &to_unit(c, d)));
            assert_relative_eq!(km, haversine_km(a, b, c, d), max_relative = 1e-9);
        }
    }

    #[test]
    fn parses_units() {
        assert_eq!(parse_distance_km("50km", None), Ok(50.0));
        assert_eq!(parse_distance_km("800m", None), Ok(0.8));
        assert_relative_eq!(parse_distance_km("30mi", None).unwrap(), 48.28032);
        assert_eq!(parse_distance_km("4h", Some(60.0)), Ok(240.0));
        assert_eq!(parse_distance_km("90min", Some(60.0)), Ok(90.0));
        assert_eq!(parse_distance_km("1.5e2km", None), Ok(150.0));
        assert!(matches!(
            parse_distance_km("4h", None),
            Err(UnitError::TimeWithoutSpeed { .. })
        ));
        assert!(parse_distance_km("-5km", None).is_err());
        assert!(parse_distance_km("fifty", None).is_err());
        assert!(parse_distance_km("5 parsecs", None).is_err());
        assert_relative_eq!(parse_speed("40mph").unwrap(), 64.37376);
        assert!(parse_distance_km("1e308km", None).is_err());
        assert!(parse_distance_km("nan", None).is_err());
    }

    #[test]
    fn radii_keep_their_unit() {
        let show = |s: &str, sp: Option<&str>| {
            let speed = sp.map(|t| Speed::parse(t).unwrap());
            parse_radius(s, speed).unwrap().to_string()
        };
        assert_eq!(show("100mi", None), "100 mi");
        assert_eq!(show("800m", None), "800 m");
        assert_eq!(show("50", None), "50 km");
        assert_eq!(show("4h", Some("60km/h")), "4 h at 60 km/h");
        assert_eq!(show("90min", Some("40mph")), "90 min at 40 mph");
        assert_eq!(Radius::any().to_string(), "any distance");
    }
}
