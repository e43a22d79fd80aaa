//! Coordinate reference systems of input files (`--crs`).
//!
//! Coordinates are WGS84 longitude/latitude by default (`EPSG:4326`). A file in
//! a projected system (UTM, a national grid) gives metres; with `EPSG:CODE`
//! outpost measures Euclidean distances on those metres and turns each place
//! back into WGS84 longitude/latitude for maps and reports, with the pure-Rust
//! `proj4rs` and the EPSG definitions it embeds (no system PROJ library).
//! `planar` is metres with no geographic reference: distances only, no maps.
//!
//! The CRS lives here, beside the loaders, because reading a file is where
//! metres are checked and turned into longitude/latitude.

use std::fmt;
use std::sync::Arc;

/// How the coordinates of input files are to be read.
#[derive(Clone, Default)]
pub enum Crs {
    /// WGS84 longitude/latitude in degrees (`EPSG:4326`): great-circle distances.
    #[default]
    Wgs84,
    /// Metres in a plane with no geographic reference (`planar`).
    Planar,
    /// Metres in a projected EPSG system, turned into WGS84 for maps.
    Projected(Projected),
}

/// A projected EPSG system in metres, with its inverse to WGS84.
#[derive(Clone)]
pub struct Projected {
    code: u16,
    proj: Arc<proj4rs::Proj>,
    wgs84: Arc<proj4rs::Proj>,
}

impl fmt::Debug for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl PartialEq for Crs {
    fn eq(&self, other: &Self) -> bool {
        self.label() == other.label()
    }
}

/// The accepted values, for messages.
const ACCEPTED: &str = "use EPSG:4326 (the default: WGS84 longitude/latitude in degrees), EPSG:CODE of a projected system in metres (e.g. EPSG:32650 for UTM zone 50N, EPSG:27700 for the British National Grid), or planar (metres with no geographic reference)";

impl Crs {
    /// Reads a `--crs` value: `EPSG:4326`, `EPSG:CODE` of a projected system in
    /// metres, or `planar` (case-insensitive).
    ///
    /// # Errors
    /// A message naming the value and saying what is accepted: an unknown code,
    /// a geographic system other than WGS84, a system not in metres, or one whose
    /// conversion to WGS84 needs datum grid files.
    pub fn parse(text: &str) -> Result<Crs, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("planar") {
            return Ok(Crs::Planar);
        }
        let Some(code) = t
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("EPSG:"))
            .map(|_| t[5..].trim())
        else {
            return Err(format!(
                "{:?} is not a coordinate system outpost reads: {ACCEPTED}",
                super::clip(t, 40)
            ));
        };
        let unknown = || {
            format!(
                "EPSG:{} is not an EPSG code outpost knows: check the code (projected systems in metres such as UTM zones 326xx/327xx or national grids), or {ACCEPTED}",
                super::clip(code, 20)
            )
        };
        let n: u32 = code.parse().map_err(|_| unknown())?;
        if n == 4326 {
            return Ok(Crs::Wgs84);
        }
        let code = u16::try_from(n).map_err(|_| unknown())?;
        let proj = proj4rs::Proj::from_epsg_code(code).map_err(|_| unknown())?;
        if proj.is_latlong() {
            return Err(format!(
                "EPSG:{code} is a geographic system (longitude/latitude in degrees) other than WGS84: convert the coordinates to WGS84 (EPSG:4326), or, if its datum differs from WGS84 by less than matters to you (NAD83 and ETRS89 are within a couple of metres), read them as EPSG:4326 by leaving out --crs"
            ));
        }
        if proj.is_geocent() {
            return Err(format!(
                "EPSG:{code} is a geocentric (3-D) system: outpost reads 2-D coordinates; {ACCEPTED}"
            ));
        }
        if (proj.to_meter() - 1.0).abs() > 1e-12 {
            return Err(format!(
                "EPSG:{code} measures coordinates in {} (1 unit = {} m), not metres: convert them to metres or to WGS84 longitude/latitude first",
                proj.units(),
                proj.to_meter()
            ));
        }
        let wgs84 = proj4rs::Proj::from_epsg_code(4326).expect("EPSG:4326 is always defined");
        let p = Projected {
            code,
            proj: Arc::new(proj),
            wgs84: Arc::new(wgs84),
        };
        // Systems whose datum shift needs grid files (which outpost does not ship)
        // fail on every point: say so once, here.
        let (x0, y0) = (p.proj.false_easting(), p.proj.false_northing());
        if p.to_lon_lat(x0, y0).is_none() && p.to_lon_lat(x0 + 1000.0, y0 + 1000.0).is_none() {
            return Err(format!(
                "EPSG:{code}: its coordinates cannot be turned into WGS84 longitude/latitude here (the datum shift may need grid files, which outpost does not ship): convert the file to WGS84 (EPSG:4326) or to a UTM zone first, or use --crs planar for distances without maps"
            ));
        }
        Ok(Crs::Projected(p))
    }

    /// The CRS as written on the command line: `EPSG:4326`, `EPSG:32650`, `planar`.
    pub fn label(&self) -> String {
        match self {
            Crs::Wgs84 => "EPSG:4326".into(),
            Crs::Planar => "planar".into(),
            Crs::Projected(p) => format!("EPSG:{}", p.code),
        }
    }

    /// Whether coordinates are WGS84 longitude/latitude (the default).
    pub fn is_wgs84(&self) -> bool {
        matches!(self, Crs::Wgs84)
    }

    /// Whether places have a longitude and latitude (every CRS but `planar`).
    pub fn has_lon_lat(&self) -> bool {
        !matches!(self, Crs::Planar)
    }

    /// The WGS84 longitude/latitude (degrees) of metres `x`, `y` in a projected
    /// system; `None` for the other systems and for points the projection cannot
    /// invert.
    pub fn to_lon_lat(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        match self {
            Crs::Projected(p) => p.to_lon_lat(x, y),
            _ => None,
        }
    }
}

impl Projected {
    /// The EPSG code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// Metres on this system's plane per metre on the ground at the point
    /// `(x, y)`: 1 where the projection is true to scale, 1 / cos(latitude)
    /// for Web Mercator (EPSG:3857). Measured over a step of 100 m east and
    /// north, against great-circle distances; `None` where the projection
    /// cannot invert the points.
    pub fn scale_at(&self, x: f64, y: f64) -> Option<f64> {
        const STEP_M: f64 = 100.0;
        let (lon, lat) = self.to_lon_lat(x, y)?;
        let ground = |dx: f64, dy: f64| -> Option<f64> {
            let (lo, la) = self.to_lon_lat(x + dx, y + dy)?;
            let km = crate::sphere::haversine_km(lon, lat, lo, la);
            (km > 0.0).then_some(km * 1000.0)
        };
        let east = ground(STEP_M, 0.0)?;
        let north = ground(0.0, STEP_M)?;
        Some(2.0 * STEP_M / (east + north))
    }

    fn to_lon_lat(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(&self.proj, &self.wgs84, &mut p).ok()?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        (lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 540.0).then(|| {
            // proj4rs may return longitudes beyond ±180 near the antimeridian.
            let lon = if lon > 180.0 {
                lon - 360.0
            } else if lon < -180.0 {
                lon + 360.0
            } else {
                lon
            };
            (lon, lat)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_accepted_values() {
        assert!(Crs::parse("EPSG:4326").unwrap().is_wgs84());
        assert!(Crs::parse("epsg:4326").unwrap().is_wgs84());
        assert_eq!(Crs::parse(" Planar ").unwrap().label(), "planar");
        assert_eq!(Crs::parse("EPSG:32650").unwrap().label(), "EPSG:32650");
        assert_eq!(Crs::parse("EPSG:27700").unwrap().label(), "EPSG:27700");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let e = Crs::parse("EPSG:999999").unwrap_err();
        assert!(e.contains("not an EPSG code"), "{e}");
        assert!(
            Crs::parse("EPSG:12")
                .unwrap_err()
                .contains("not an EPSG code")
        );
        assert!(
            Crs::parse("EPSG:abc")
                .unwrap_err()
                .contains("not an EPSG code")
        );
        let e = Crs::parse("EPSG:4269").unwrap_err();
        assert!(e.contains("geographic"), "{e}");
        let e = Crs::parse("EPSG:2227").unwrap_err();
        assert!(e.contains("us-ft"), "{e}");
        let e = Crs::parse("nonsense").unwrap_err();
        assert!(e.contains("planar") && e.contains("EPSG:CODE"), "{e}");
    }

    #[test]
    fn scale_is_one_over_cos_latitude_on_web_mercator() {
        let Crs::Projected(p) = Crs::parse("EPSG:3857").unwrap() else {
            panic!("projected")
        };
        // Web Mercator y of latitude 60°: R ln tan(45° + 30°).
        let r = 6_378_137.0;
        let y = r
            * (std::f64::consts::FRAC_PI_4 + 30f64.to_radians())
                .tan()
                .ln();
        let k = p.scale_at(1_000_000.0, y).unwrap();
        // 1 / cos 60° = 2, within the sphere-vs-ellipsoid difference.
        assert!((k - 2.0).abs() < 0.01, "{k}");
        assert!((p.scale_at(0.0, 0.0).unwrap() - 1.0).abs() < 0.002);
        // UTM 50N on its central meridian is 0.9996 to scale.
        let Crs::Projected(u) = Crs::parse("EPSG:32650").unwrap() else {
            panic!("projected")
        };
        let k = u.scale_at(500_000.0, 3_500_000.0).unwrap();
        assert!((k - 0.9996).abs() < 0.003, "{k}");
    }

    #[test]
    fn utm_50n_central_meridian_on_the_equator() {
        let utm = Crs::parse("EPSG:32650").unwrap();
        let (lon, lat) = utm.to_lon_lat(500_000.0, 0.0).unwrap();
        approx::assert_abs_diff_eq!(lon, 117.0, epsilon = 1e-9);
        approx::assert_abs_diff_eq!(lat, 0.0, epsilon = 1e-9);
        assert!(Crs::Planar.to_lon_lat(0.0, 0.0).is_none());
    }
}
