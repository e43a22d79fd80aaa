//! The world-to-pixel transform of maps: Mercator, which is conformal, so a
//! service circle stays round at every latitude of the map (an equirectangular
//! map stretches circles far from its middle latitude), fitted to the extent,
//! and unwrapped so that data crossing the antimeridian stays in one piece.
//! Being cylindrical, it maps a lon/lat box to a rectangle, so shapes are
//! clipped in lon/lat. Also the choice of extent (`--extent`, with a robust
//! default that leaves out far outliers) and size.

pub use super::clip::LonLatBox;

/// A fitted projection from lon/lat degrees to pixels (y grows downwards).
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Westmost longitude of the view, degrees (the view spans east from here, maybe past 180).
    pub lon_min: f64,
    /// Eastern end, degrees, in the unwrapped frame (may exceed 180).
    pub lon_max: f64,
    /// Southern edge.
    pub lat_min: f64,
    /// Northern edge (the view stays within ±85°).
    pub lat_max: f64,
    /// Pixels per degree of longitude (and per Mercator degree of latitude, see [`mercator`]).
    pub scale: f64,
    /// Pixel offset of `lon_min`.
    pub x0: f64,
    /// Pixel offset of `lat_max`.
    pub y0: f64,
}

/// The smallest longitude interval holding every longitude: (start, span), start in [-180, 180).
pub fn lon_extent(lons: &[f64]) -> (f64, f64) {
    if lons.is_empty() {
        return (-180.0, 360.0);
    }
    let mut v: Vec<f64> = lons.iter().map(|l| l.rem_euclid(360.0)).collect();
    v.sort_by(f64::total_cmp);
    // The largest empty arc between neighbours (wrapping round) is left out of the view.
    let mut best_gap = v[0] + 360.0 - v[v.len() - 1];
    let mut start = v[0];
    for w in v.windows(2) {
        let gap = w[1] - w[0];
        if gap > best_gap {
            best_gap = gap;
            start = w[1];
        }
    }
    let start = if start >= 180.0 { start - 360.0 } else { start };
    (start, 360.0 - best_gap)
}

/// The Mercator ordinate of a latitude, in degrees (equal to the latitude near the equator).
pub fn mercator(lat: f64) -> f64 {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT);
    (45.0 + lat / 2.0).to_radians().tan().ln().to_degrees()
}

/// The latitude of a Mercator ordinate in degrees (the inverse of [`mercator`]).
pub fn inverse_mercator(y: f64) -> f64 {
    (2.0 * y.to_radians().exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees()
}

/// The map never reaches closer to a pole than this latitude (Mercator cannot).
pub const MAX_LAT: f64 = 85.0;

impl Projection {
    /// Fits the points into a `width` x `height` pixel box with `margin` (a share
    /// of the extent, at least `min_span_deg` degrees wide), starting at (`left`, `top`).
    pub fn fit(
        points: &[(f64, f64)],
        left: f64,
        top: f64,
        width: f64,
        height: f64,
        margin: f64,
        min_span_deg: f64,
    ) -> Self {
        let b = data_box(points, false).map_or(
            LonLatBox {
                lon_min: -180.0,
                lat_min: -60.0,
                lon_max: 180.0,
                lat_max: 75.0,
            },
            |(b, _)| b,
        );
        Projection::fill(&pad_box(&b, margin, min_span_deg), left, top, width, height)
    }

    /// A longitude moved into the view's unwrapped frame.
    pub fn unwrap(&self, lon: f64) -> f64 {
        let mut l = lon;
        while l < self.lon_min - 1e-9 {
            l += 360.0;
        }
        while l >= self.lon_min + 360.0 {
            l -= 360.0;
        }
        l
    }

    /// Pixel position of a point.
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        self.project_unwrapped(self.unwrap(lon), lat)
    }

    /// Kilometres per pixel at the map's centre latitude (Mercator's scale grows with the
    /// secant of the latitude).
    pub fn km_per_px(&self) -> f64 {
        // One degree of longitude at latitude φ is 111.195 cos φ km on the mean sphere.
        (std::f64::consts::PI * crate::sphere::EARTH_RADIUS_KM / 180.0)
            * self.centre_lat().to_radians().cos()
            / self.scale
    }

    /// The latitude in the middle of the map (by Mercator ordinate).
    pub fn centre_lat(&self) -> f64 {
        inverse_mercator(0.5 * (mercator(self.lat_min) + mercator(self.lat_max)))
    }

    /// Right and bottom pixel edges of the fitted map.
    pub fn extent_px(&self) -> (f64, f64) {
        (
            self.x0 + (self.lon_max - self.lon_min) * self.scale,
            self.y0 + (mercator(self.lat_max) - mercator(self.lat_min)) * self.scale,
        )
    }
}

impl Projection {
    /// A projection showing `b` in the `width` x `height` pixel box at (`left`, `top`),
    /// filling the box: the extent grows in the short direction (centred, within ±85° of
    /// latitude and 360° of longitude) rather than leaving blank bands.
    pub fn fill(b: &LonLatBox, left: f64, top: f64, width: f64, height: f64) -> Self {
        let lon_span = (b.lon_max - b.lon_min).max(1e-6);
        let (y_lo, y_hi) = (
            mercator(b.lat_min.min(MAX_LAT - 1e-3)),
            mercator(b.lat_max.max(-MAX_LAT + 1e-3)),
        );
        let y_span = (y_hi - y_lo).max(1e-6);
        let scale = (width / lon_span).min(height / y_span);
        let new_lon = (width / scale).min(360.0).max(lon_span);
        let y_max_all = mercator(MAX_LAT);
        let new_y = (height / scale).min(2.0 * y_max_all).max(y_span);
        let lon_c = 0.5 * (b.lon_min + b.lon_max);
        let mut lon_min = lon_c - new_lon / 2.0;
        let mut lon_max = lon_c + new_lon / 2.0;
        if new_lon >= 360.0 - 1e-9 && b.lon_min >= -180.0 && b.lon_max <= 180.0 {
            // A whole-world view reads best from -180 to 180.
            (lon_min, lon_max) = (-180.0, 180.0);
        }
        let y_c = 0.5 * (y_lo + y_hi);
        let mut top_y = (y_c + new_y / 2.0).min(y_max_all);
        let mut bottom_y = top_y - new_y;
        if bottom_y < -y_max_all {
            bottom_y = -y_max_all;
            top_y = (bottom_y + new_y).min(y_max_all);
        }
        let x0 = left + 0.5 * (width - (lon_max - lon_min) * scale);
        let y0 = top + 0.5 * (height - (top_y - bottom_y) * scale);
        Projection {
            lon_min,
            lon_max,
            lat_min: inverse_mercator(bottom_y),
            lat_max: inverse_mercator(top_y),
            scale,
            x0,
            y0,
        }
    }

    /// The view as a lon/lat box, the frame every shape is clipped to.
    pub fn frame(&self) -> LonLatBox {
        LonLatBox {
            lon_min: self.lon_min,
            lat_min: self.lat_min,
            lon_max: self.lon_max,
            lat_max: self.lat_max,
        }
    }

    /// Pixel position of an already unwrapped longitude and a latitude (no wrapping:
    /// for vertices of shapes clipped to [`Projection::frame`]).
    pub fn project_unwrapped(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.x0 + (lon - self.lon_min) * self.scale,
            self.y0 + (mercator(self.lat_max) - mercator(lat)) * self.scale,
        )
    }

    /// Whether a point lies inside the view.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let l = self.unwrap(lon);
        l <= self.lon_max + 1e-9 && lat >= self.lat_min - 1e-9 && lat <= self.lat_max + 1e-9
    }
}

/// Which part of the world a map shows (`--extent`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Extent {
    /// The demand and sites, leaving out a few far outliers (they are counted in a note).
    #[default]
    Auto,
    /// Every demand point and site.
    Data,
    /// The sites and their service areas.
    Sites,
    /// A given box.
    Box(LonLatBox),
}

impl Extent {
    /// Parses `auto`, `data`, `sites` or `lon_min,lat_min,lon_max,lat_max` (degrees; to cross
    /// the antimeridian give `lon_max` above 180, e.g. `170,-30,190,-10`).
    ///
    /// # Errors
    /// A message saying what is wrong with the value.
    pub fn parse(s: &str) -> Result<Extent, String> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "auto" => return Ok(Extent::Auto),
            "data" => return Ok(Extent::Data),
            "sites" => return Ok(Extent::Sites),
            _ => {}
        }
        let parts: Vec<&str> = t.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(
                "expected lon_min,lat_min,lon_max,lat_max (e.g. 73,18,135,54), \
                        or auto, data or sites"
                    .to_string(),
            );
        }
        let mut v = [0.0; 4];
        for (slot, p) in v.iter_mut().zip(&parts) {
            *slot = match p.parse::<f64>() {
                Ok(x) if x.is_finite() => x,
                _ => return Err(format!("{p:?} is not a finite number of degrees")),
            };
        }
        let [lon_min, lat_min, lon_max, lat_max] = v;
        for lat in [lat_min, lat_max] {
            if !(-90.0..=90.0).contains(&lat) {
                return Err(format!("latitude {lat} is outside -90..90"));
            }
        }
        if !(-180.0..=180.0).contains(&lon_min) {
            return Err(format!("lon_min {lon_min} is outside -180..180"));
        }
        if lon_max <= lon_min || lon_max > lon_min + 360.0 {
            return Err(format!(
                "lon_max {lon_max} must be above lon_min {lon_min} and at most 360° east of it \
                 (to cross the antimeridian give lon_max above 180, e.g. 170,-30,190,-10)"
            ));
        }
        if lat_max <= lat_min {
            return Err(format!("lat_max {lat_max} must be above lat_min {lat_min}"));
        }
        if lon_max - lon_min < 0.01 || lat_max - lat_min < 0.01 {
            return Err("the box must be at least 0.01° wide and tall".to_string());
        }
        if lat_min >= MAX_LAT - 0.01 || lat_max <= -MAX_LAT + 0.01 {
            return Err(format!(
                "the box lies (all but less than 0.01° of it) beyond {MAX_LAT}° of latitude, where the map's Mercator projection stops: \
                 give a box reaching nearer the equator (latitudes beyond ±{MAX_LAT}° are cut)"
            ));
        }
        Ok(Extent::Box(LonLatBox {
            lon_min,
            lat_min,
            lon_max,
            lat_max,
        }))
    }
}

/// The smallest box holding `points` (longitudes unwrapped the short way round); with
/// `robust`, points far outside the bulk are left out: a point is kept when it lies within
/// a quarter of the 1%..99% quantile range (and at least 2°) of that range, in both
/// directions. Returns the box and which points are left out, or `None` without points.
pub fn data_box(points: &[(f64, f64)], robust: bool) -> Option<(LonLatBox, Vec<bool>)> {
    data_box_with(points, &[], robust)
}

/// [`data_box`] of `points`, also holding those of `extra` (e.g. outlets) that lie within
/// the range kept for `points`; `extra` never moves the quantiles. The flags cover
/// `points` then `extra`.
pub fn data_box_with(
    points: &[(f64, f64)],
    extra: &[(f64, f64)],
    robust: bool,
) -> Option<(LonLatBox, Vec<bool>)> {
    let all: Vec<(f64, f64)> = points.iter().chain(extra).copied().collect();
    let finite: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite())
        .collect();
    if finite.is_empty() {
        return None;
    }
    let mut out = vec![true; all.len()];
    for &i in &finite {
        out[i] = false;
    }
    if robust && finite.len() >= 20 {
        let lons: Vec<f64> = finite.iter().map(|&i| points[i].0).collect();
        let (start, _) = lon_extent(&lons);
        let u = |l: f64| start + (l - start).rem_euclid(360.0);
        let mut us: Vec<f64> = lons.iter().map(|&l| u(l)).collect();
        let mut ls: Vec<f64> = finite.iter().map(|&i| points[i].1).collect();
        us.sort_by(f64::total_cmp);
        ls.sort_by(f64::total_cmp);
        let q = |v: &[f64], f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
        let keep_range = |v: &[f64]| {
            let (lo, hi) = (q(v, 0.01), q(v, 0.99));
            let pad = (0.25 * (hi - lo)).max(2.0);
            (lo - pad, hi + pad)
        };
        let (ua, ub) = keep_range(&us);
        let (la, lb) = keep_range(&ls);
        for (i, p) in all.iter().enumerate() {
            let finite_p = p.0.is_finite() && p.1.is_finite();
            let (x, y) = (u(p.0), p.1);
            out[i] = !(finite_p && x >= ua && x <= ub && y >= la && y <= lb);
        }
    } else {
        for (i, p) in all.iter().enumerate().skip(points.len()) {
            out[i] = !(p.0.is_finite() && p.1.is_finite());
        }
    }
    let kept: Vec<(f64, f64)> = (0..all.len())
        .filter(|&i| !out[i])
        .map(|i| all[i])
        .collect();
    let lons: Vec<f64> = kept.iter().map(|p| p.0).collect();
    let (start, span) = lon_extent(&lons);
    let (lat_min, lat_max) = kept
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    Some((
        LonLatBox {
            lon_min: start,
            lat_min,
            lon_max: start + span,
            lat_max,
        },
        out,
    ))
}

/// `b` grown by `margin` (a share of its size) and to at least `min_span_deg` in each
/// direction, within ±85° of latitude and 360° of longitude.
pub fn pad_box(b: &LonLatBox, margin: f64, min_span_deg: f64) -> LonLatBox {
    let span = b.lon_max - b.lon_min;
    let hspan = b.lat_max - b.lat_min;
    let pad_lon = (span * margin).max((min_span_deg - span).max(0.0) / 2.0);
    let pad_lat = (hspan * margin).max((min_span_deg - hspan).max(0.0) / 2.0);
    let mut lon_min = b.lon_min - pad_lon;
    let mut lon_max = b.lon_max + pad_lon;
    if lon_max - lon_min > 360.0 {
        let c = 0.5 * (lon_min + lon_max);
        (lon_min, lon_max) = (c - 180.0, c + 180.0);
        if b.lon_min >= -180.0 && b.lon_max <= 180.0 {
            (lon_min, lon_max) = (-180.0, 180.0);
        }
    }
    let lat_min = (b.lat_min - pad_lat).max(-85.0);
    let lat_max = (b.lat_max + pad_lat).min(85.0);
    let (lat_min, lat_max) = if lat_max - lat_min < 1e-6 {
        (lat_min - 1.0, lat_max + 1.0)
    } else {
        (lat_min, lat_max)
    };
    LonLatBox {
        lon_min,
        lat_min,
        lon_max,
        lat_max,
    }
}

/// The canvas size of a map (`--size WIDTHxHEIGHT`), in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapSize {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

impl MapSize {
    /// Smallest width and height accepted.
    pub const MIN: (u32, u32) = (640, 480);
    /// Largest width and height accepted (a 6000 x 6000 PNG is 144 MB in memory).
    pub const MAX: u32 = 6000;

    /// Parses `WIDTHxHEIGHT`, e.g. `1200x800`.
    ///
    /// # Errors
    /// A message saying what is wrong with the value.
    pub fn parse(s: &str) -> Result<MapSize, String> {
        Self::parse_at_least(s, Self::MIN)
    }

    /// Parses `WIDTHxHEIGHT` with at least `min` pixels each way (and at most [`Self::MAX`]).
    ///
    /// # Errors
    /// A message saying what is wrong with the value.
    pub fn parse_at_least(s: &str, min: (u32, u32)) -> Result<MapSize, String> {
        let t = s.trim().to_ascii_lowercase();
        let Some((w, h)) = t.split_once(['x', '×']) else {
            return Err("expected WIDTHxHEIGHT in pixels, e.g. 1200x800".to_string());
        };
        let num = |p: &str| {
            p.trim()
                .parse::<u32>()
                .map_err(|_| format!("{p:?} is not a whole number of pixels"))
        };
        let (width, height) = (num(w)?, num(h)?);
        if width < min.0 || height < min.1 || width > Self::MAX || height > Self::MAX {
            return Err(format!(
                "{width}x{height} is outside {}x{}..{}x{}",
                min.0,
                min.1,
                Self::MAX,
                Self::MAX
            ));
        }
        Ok(MapSize { width, height })
    }
}

/// The point at great-circle distance `km` from (lon, lat) along `bearing_deg`.
pub fn destination(lon: f64, lat: f64, km: f64, bearing_deg: f64) -> (f64, f64) {
    let d = km / crate::sphere::EARTH_RADIUS_KM;
    let (p1, l1, th) = (lat.to_radians(), lon.to_radians(), bearing_deg.to_radians());
    let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * th.cos())
        .clamp(-1.0, 1.0)
        .asin();
    let l2 = l1 + (th.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
    (l2.to_degrees(), p2.to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn extent_takes_the_short_way_round_the_antimeridian() {
        let (start, span) = lon_extent(&[170.0, 175.0, -175.0, -170.0]);
        assert_relative_eq!(start, 170.0);
        assert_relative_eq!(span, 20.0);
        let (start, span) = lon_extent(&[-10.0, 20.0]);
        assert_relative_eq!(start, -10.0);
        assert_relative_eq!(span, 30.0);
    }

    #[test]
    fn known_points_land_on_known_pixels() {
        // A 10° x 10° box at the equator into 1000 x 1000 px, no margin: Mercator is
        // nearly linear there (5°N is at 5.006 Mercator degrees).
        let p = Projection::fit(
            &[(0.0, -5.0), (10.0, 5.0)],
            0.0,
            0.0,
            1000.0,
            1000.0,
            0.0,
            0.0,
        );
        let (x, y) = p.project(0.0, 5.0);
        assert_relative_eq!(x, 0.0, epsilon = 1.0);
        assert_relative_eq!(y, 0.0, epsilon = 1e-9);
        let (x, y) = p.project(10.0, -5.0);
        assert_relative_eq!(x, 1000.0, epsilon = 1.0);
        assert_relative_eq!(y, 1000.0, epsilon = 1e-9);
        let (x, y) = p.project(5.0, 0.0);
        assert_relative_eq!(x, 500.0, epsilon = 1e-9);
        assert_relative_eq!(y, 500.0, epsilon = 1e-9);
        assert_relative_eq!(inverse_mercator(mercator(37.0)), 37.0, epsilon = 1e-9);
    }

    #[test]
    fn circles_stay_round_at_any_latitude_and_views_unwrap() {
        // 60°N: a degree of longitude is half as long as a degree of latitude, and
        // Mercator draws it half as long, so 4° of longitude take the pixels of 2° of latitude.
        let p = Projection::fit(
            &[(178.0, 59.0), (-178.0, 61.0)],
            0.0,
            0.0,
            1000.0,
            1000.0,
            0.0,
            0.0,
        );
        assert!((p.lon_min - 178.0).abs() < 0.1);
        let (xa, _) = p.project(178.0, 60.0);
        let (xb, _) = p.project(-178.0, 60.0);
        let (_, ya) = p.project(178.0, 61.0);
        let (_, yb) = p.project(178.0, 59.0);
        assert_relative_eq!(xb - xa, yb - ya, max_relative = 0.01);
        assert!(xb > xa);
        // A service circle's width and height on the map agree at 70°N as at the equator.
        let q = Projection::fill(
            &LonLatBox {
                lon_min: -20.0,
                lat_min: -10.0,
                lon_max: 40.0,
                lat_max: 75.0,
            },
            0.0,
            0.0,
            1000.0,
            1000.0,
        );
        for lat in [0.0, 70.0] {
            let c = crate::render::clip::service_area(10.0, lat, 200.0);
            let pts: Vec<(f64, f64)> = c.0[0]
                .exterior()
                .coords()
                .map(|c| q.project(c.x, c.y))
                .collect();
            let w = pts.iter().map(|p| p.0).fold(f64::MIN, f64::max)
                - pts.iter().map(|p| p.0).fold(f64::MAX, f64::min);
            let h = pts.iter().map(|p| p.1).fold(f64::MIN, f64::max)
                - pts.iter().map(|p| p.1).fold(f64::MAX, f64::min);
            assert_relative_eq!(w / h, 1.0, max_relative = 0.05);
        }
    }

    #[test]
    fn extents_parse_and_bad_ones_say_why() {
        assert_eq!(Extent::parse(" Auto "), Ok(Extent::Auto));
        assert_eq!(Extent::parse("data"), Ok(Extent::Data));
        assert_eq!(Extent::parse("sites"), Ok(Extent::Sites));
        assert_eq!(
            Extent::parse("170,-30,190,-10"),
            Ok(Extent::Box(LonLatBox {
                lon_min: 170.0,
                lat_min: -30.0,
                lon_max: 190.0,
                lat_max: -10.0
            }))
        );
        for (bad, why) in [
            ("nan,0,1,1", "finite"),
            ("0,0,1,inf", "finite"),
            ("0,-91,1,1", "-90..90"),
            ("1,0,1,1", "lon_max"),
            ("-170,0,200,1", "lon_max"),
            ("0,1,1,1", "lat_max"),
            ("0,0,0.001,1", "0.01"),
            ("200,0,210,1", "lon_min"),
            ("1,2,3", "expected"),
            ("0,86,10,89", "beyond 85°"),
            ("0,-90,10,-85", "beyond 85°"),
        ] {
            let e = Extent::parse(bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn sizes_parse_within_bounds() {
        assert_eq!(
            MapSize::parse("1200x800"),
            Ok(MapSize {
                width: 1200,
                height: 800
            })
        );
        assert!(MapSize::parse("1200X800").is_ok());
        for bad in [
            "0x0",
            "100000x100000",
            "399x300",
            "x",
            "12",
            "1.5x800",
            "-1x800",
        ] {
            assert!(MapSize::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_robust_box_leaves_far_outliers_out() {
        // 100 points in the lower 48 and Guam.
        let mut pts: Vec<(f64, f64)> = (0..100)
            .map(|k| (-120.0 + 0.5 * k as f64, 30.0 + 0.15 * k as f64))
            .collect();
        pts.push((144.8, 13.4));
        let (b, out) = data_box(&pts, true).expect("points");
        assert_eq!(out.iter().filter(|&&o| o).count(), 1);
        assert!(out[100]);
        assert_relative_eq!(b.lon_min, -120.0);
        assert_relative_eq!(b.lon_max, -70.5);
        // Without robustness the box takes the short way round to Guam.
        let (b, out) = data_box(&pts, false).expect("points");
        assert!(out.iter().all(|&o| !o));
        assert!(b.lon_max - b.lon_min > 100.0);
        assert!(data_box(&[], true).is_none());
    }

    #[test]
    fn filling_keeps_the_box_and_grows_the_short_side() {
        let b = LonLatBox {
            lon_min: 100.0,
            lat_min: 20.0,
            lon_max: 110.0,
            lat_max: 30.0,
        };
        let p = Projection::fill(&b, 0.0, 0.0, 2000.0, 1000.0);
        assert!(p.lon_min < 100.0 && p.lon_max > 110.0);
        assert_relative_eq!(p.lat_min, 20.0, epsilon = 1e-9);
        assert_relative_eq!(p.lat_max, 30.0, epsilon = 1e-9);
        let (r, bt) = p.extent_px();
        assert_relative_eq!(r - p.x0, 2000.0, epsilon = 1e-6);
        assert_relative_eq!(bt - p.y0, 1000.0, epsilon = 1e-6);
        // A world view never exceeds 360° or the poles.
        let w = Projection::fill(&LonLatBox::WORLD, 0.0, 0.0, 500.0, 2000.0);
        assert!(w.lon_max - w.lon_min <= 360.0 + 1e-9);
        assert!(w.lat_min >= -MAX_LAT - 1e-9 && w.lat_max <= MAX_LAT + 1e-9);
    }

    #[test]
    fn destination_is_at_the_distance() {
        for b in [0.0, 45.0, 90.0, 200.0] {
            let (lon, lat) = destination(104.0, 30.0, 150.0, b);
            assert_relative_eq!(
                crate::sphere::haversine_km(104.0, 30.0, lon, lat),
                150.0,
                max_relative = 1e-9
            );
        }
    }
}
