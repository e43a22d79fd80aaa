//! The world-to-pixel transform of maps: equirectangular, with longitude
//! scaled by the cosine of the middle latitude so shapes stay honest at the
//! data's latitude, fitted to the data's extent, and unwrapped so that data
//! crossing the antimeridian stays in one piece.

/// A fitted projection from lon/lat degrees to pixels (y grows downwards).
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Westmost longitude of the view, degrees (the view spans east from here, maybe past 180).
    pub lon_min: f64,
    /// Eastern end, degrees, in the unwrapped frame (may exceed 180).
    pub lon_max: f64,
    /// Southern edge.
    pub lat_min: f64,
    /// Northern edge.
    pub lat_max: f64,
    /// Horizontal stretch: cos of the middle latitude.
    pub kx: f64,
    /// Pixels per degree of latitude.
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
        let lons: Vec<f64> = points.iter().map(|p| p.0).collect();
        let (start, span) = lon_extent(&lons);
        let (mut lat_min, mut lat_max) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        if !lat_min.is_finite() {
            (lat_min, lat_max) = (-60.0, 75.0);
        }
        let mut lon_min = start;
        let mut lon_max = start + span;
        // Margins and a minimum size, so a single point still gets a readable map.
        let pad_lon = (span * margin).max((min_span_deg - span).max(0.0) / 2.0);
        let pad_lat =
            ((lat_max - lat_min) * margin).max((min_span_deg - (lat_max - lat_min)).max(0.0) / 2.0);
        lon_min -= pad_lon;
        lon_max += pad_lon;
        lat_min = (lat_min - pad_lat).max(-85.0);
        lat_max = (lat_max + pad_lat).min(85.0);
        if lon_max - lon_min > 360.0 {
            lon_min = -180.0;
            lon_max = 180.0;
        }
        let mid = 0.5 * (lat_min + lat_max);
        let kx = mid.to_radians().cos().max(0.2);
        let scale = (width / ((lon_max - lon_min) * kx)).min(height / (lat_max - lat_min));
        // Centre the map in the box.
        let x0 = left + 0.5 * (width - (lon_max - lon_min) * kx * scale);
        let y0 = top + 0.5 * (height - (lat_max - lat_min) * scale);
        Projection {
            lon_min,
            lon_max,
            lat_min,
            lat_max,
            kx,
            scale,
            x0,
            y0,
        }
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
        let x = self.x0 + (self.unwrap(lon) - self.lon_min) * self.kx * self.scale;
        let y = self.y0 + (self.lat_max - lat) * self.scale;
        (x, y)
    }

    /// Kilometres per pixel along the middle latitude.
    pub fn km_per_px(&self) -> f64 {
        // One degree of latitude is 111.195 km on the mean sphere; x is scaled to match.
        (std::f64::consts::PI * crate::sphere::EARTH_RADIUS_KM / 180.0) / self.scale
    }

    /// Right and bottom pixel edges of the fitted map.
    pub fn extent_px(&self) -> (f64, f64) {
        (
            self.x0 + (self.lon_max - self.lon_min) * self.kx * self.scale,
            self.y0 + (self.lat_max - self.lat_min) * self.scale,
        )
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
        // A 10° x 10° box at the equator into 1000 x 1000 px, no margin.
        let p = Projection::fit(
            &[(0.0, -5.0), (10.0, 5.0)],
            0.0,
            0.0,
            1000.0,
            1000.0,
            0.0,
            0.0,
        );
        assert_relative_eq!(p.kx, 1.0);
        let (x, y) = p.project(0.0, 5.0);
        assert_relative_eq!(x, 0.0, epsilon = 1e-9);
        assert_relative_eq!(y, 0.0, epsilon = 1e-9);
        let (x, y) = p.project(10.0, -5.0);
        assert_relative_eq!(x, 1000.0, epsilon = 1e-9);
        assert_relative_eq!(y, 1000.0, epsilon = 1e-9);
        let (x, y) = p.project(5.0, 0.0);
        assert_relative_eq!(x, 500.0, epsilon = 1e-9);
        assert_relative_eq!(y, 500.0, epsilon = 1e-9);
    }

    #[test]
    fn longitudes_are_shrunk_by_the_middle_latitude_and_unwrapped() {
        // 60°N: a degree of longitude is half a degree of latitude.
        let p = Projection::fit(
            &[(178.0, 59.0), (-178.0, 61.0)],
            0.0,
            0.0,
            1000.0,
            1000.0,
            0.0,
            0.0,
        );
        assert_relative_eq!(p.lon_min, 178.0);
        assert_relative_eq!(p.kx, 0.5, epsilon = 1e-9);
        let (xa, _) = p.project(178.0, 60.0);
        let (xb, _) = p.project(-178.0, 60.0);
        let (_, ya) = p.project(178.0, 61.0);
        let (_, yb) = p.project(178.0, 59.0);
        // 4° of longitude at cos 60° = 2 "degrees", the same pixels as 2° of latitude.
        assert_relative_eq!(xb - xa, yb - ya, epsilon = 1e-6);
        assert!(xb > xa);
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
