//! Shapes on the map as real polygons, clipped to a lon/lat box with a
//! polygon clipper (geo's `BooleanOps`), so nothing is ever wrapped round or
//! pinned to the frame edge.
//!
//! Longitudes here are *unwrapped*: a shape keeps continuous longitudes (a
//! service circle near the antimeridian may reach 185°), and a box may start
//! anywhere and span up to 360°. Clipping a shape against a box also clips its
//! copies shifted by ±360°, so a circle that crosses the antimeridian comes out
//! as pieces on both sides of the box, each still round. The map clips against
//! its frame; `--areas-out` clips against the world box [-180, 180], which
//! splits service areas at the antimeridian for GIS software.

use geo::{
    BooleanOps, BoundingRect, Coord, Destination, Haversine, LineString, MultiLineString,
    MultiPolygon, Polygon, Rect, Translate,
};

/// Vertices of a service circle: one every 2°, fine enough that the polygon's
/// area is within 0.03 % of the spherical cap's.
pub const CIRCLE_VERTICES: usize = 180;

/// A lon/lat box in degrees, longitudes unwrapped (`lon_max` may exceed 180).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLatBox {
    /// Western edge.
    pub lon_min: f64,
    /// Southern edge.
    pub lat_min: f64,
    /// Eastern edge (greater than `lon_min`, at most `lon_min + 360`).
    pub lon_max: f64,
    /// Northern edge.
    pub lat_max: f64,
}

impl LonLatBox {
    /// The whole world, [-180, 180] x [-90, 90].
    pub const WORLD: LonLatBox = LonLatBox {
        lon_min: -180.0,
        lat_min: -90.0,
        lon_max: 180.0,
        lat_max: 90.0,
    };

    fn rect(&self) -> Rect<f64> {
        Rect::new(
            Coord {
                x: self.lon_min,
                y: self.lat_min,
            },
            Coord {
                x: self.lon_max,
                y: self.lat_max,
            },
        )
    }

    fn relation(&self, r: &Rect<f64>) -> Relation {
        let (a, b) = (r.min(), r.max());
        if b.x < self.lon_min || a.x > self.lon_max || b.y < self.lat_min || a.y > self.lat_max {
            Relation::Outside
        } else if a.x >= self.lon_min
            && b.x <= self.lon_max
            && a.y >= self.lat_min
            && b.y <= self.lat_max
        {
            Relation::Inside
        } else {
            Relation::Crossing
        }
    }
}

enum Relation {
    Outside,
    Inside,
    Crossing,
}

/// Wraps a longitude difference into (-180, 180].
fn wrap180(d: f64) -> f64 {
    let w = (d + 180.0).rem_euclid(360.0) - 180.0;
    if w == -180.0 { 180.0 } else { w }
}

/// Turns projected metres (x, y) into WGS84 longitude/latitude in degrees, or
/// `None` where the projection cannot; given by the caller, which knows the CRS.
pub type Unproject<'a> = dyn Fn(f64, f64) -> Option<(f64, f64)> + Sync + 'a;

/// The service area of a site in a projected system: the circle of `km` around
/// (`x`, `y`) metres *in the plane*, which is what the planar model measures,
/// traced by 256 points turned into longitude/latitude. Longitudes are kept
/// within 180° of the site's `lon`, and a ring that crosses the antimeridian is
/// also given shifted by 360°, as [`service_area`] does, so clipping to any frame works.
pub fn plane_area(
    x: f64,
    y: f64,
    lon: f64,
    km: f64,
    unproject: &Unproject<'_>,
) -> MultiPolygon<f64> {
    const N: usize = 256;
    if km.is_nan() || km <= 0.0 || !lon.is_finite() {
        return MultiPolygon::new(Vec::new());
    }
    let r = km * 1000.0;
    let mut ring: Vec<(f64, f64)> = (0..N)
        .filter_map(|i| {
            let t = std::f64::consts::TAU * i as f64 / N as f64;
            let (plon, plat) = unproject(x + r * t.cos(), y + r * t.sin())?;
            let shift = ((lon - plon) / 360.0).round() * 360.0;
            Some((plon + shift, plat))
        })
        .collect();
    if ring.len() < 3 {
        return MultiPolygon::new(Vec::new());
    }
    ring.push(ring[0]);
    let poly = |dx: f64| {
        Polygon::new(
            LineString::from(ring.iter().map(|&(a, b)| (a + dx, b)).collect::<Vec<_>>()),
            Vec::new(),
        )
    };
    let (lo, hi) = ring
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.0), hi.max(p.0))
        });
    let mut polys = vec![poly(0.0)];
    if hi > 180.0 {
        polys.push(poly(-360.0));
    }
    if lo < -180.0 {
        polys.push(poly(360.0));
    }
    MultiPolygon::new(polys)
}

/// The service area of a site: every point within great-circle distance `km`
/// of (`lon`, `lat`), as a polygon in continuous (unwrapped) longitudes around
/// the site's own longitude.
///
/// A circle that holds a pole is closed along that pole, so it spans exactly
/// 360° of longitude; a circle that holds both poles is the world minus the
/// antipodal circle.
///
/// # Units
/// Degrees and great-circle kilometres on the mean sphere (R = 6371.0088 km).
pub fn service_area(lon: f64, lat: f64, km: f64) -> MultiPolygon<f64> {
    let r = crate::sphere::EARTH_RADIUS_KM;
    let half_circumference = std::f64::consts::PI * r;
    if km.is_nan() || km <= 0.0 || !lon.is_finite() || !lat.is_finite() {
        return MultiPolygon::new(Vec::new());
    }
    let world = |lon: f64| {
        Polygon::new(
            LineString::from(vec![
                (lon - 180.0, -90.0),
                (lon + 180.0, -90.0),
                (lon + 180.0, 90.0),
                (lon - 180.0, 90.0),
                (lon - 180.0, -90.0),
            ]),
            Vec::new(),
        )
    };
    if km >= half_circumference {
        return MultiPolygon::new(vec![world(lon)]);
    }
    let to_north_pole = (90.0 - lat).to_radians() * r;
    let to_south_pole = (90.0 + lat).to_radians() * r;
    if km > to_north_pole && km > to_south_pole {
        // Both poles inside: the complement of the circle around the antipode.
        let anti = service_area(lon + 180.0, -lat, half_circumference - km);
        let w = MultiPolygon::new(vec![world(lon)]);
        return w.difference(&clip(&anti, &bounds_of(lon)));
    }
    let origin = geo::Point::new(lon, lat);
    let mut ring: Vec<Coord<f64>> = Vec::with_capacity(CIRCLE_VERTICES + 4);
    let mut prev = lon;
    for k in 0..CIRCLE_VERTICES {
        let bearing = k as f64 * 360.0 / CIRCLE_VERTICES as f64;
        let p = Haversine.destination(origin, bearing, km * 1000.0);
        // Unwrap each vertex against the one before, so the ring stays continuous.
        let x = prev + wrap180(p.x() - prev);
        prev = x;
        ring.push(Coord { x, y: p.y() });
    }
    let first = ring[0];
    let last_x = prev + wrap180(first.x - prev);
    if (last_x - first.x).abs() > 180.0 {
        // The ring winds round a pole: close it along the pole.
        let pole = if km > to_north_pole { 90.0 } else { -90.0 };
        ring.push(Coord {
            x: last_x,
            y: first.y,
        });
        ring.push(Coord { x: last_x, y: pole });
        ring.push(Coord {
            x: first.x,
            y: pole,
        });
    }
    ring.push(first);
    MultiPolygon::new(vec![Polygon::new(LineString::new(ring), Vec::new())])
}

/// The world box centred on `lon` (360° wide).
fn bounds_of(lon: f64) -> LonLatBox {
    LonLatBox {
        lon_min: lon - 180.0,
        lat_min: -90.0,
        lon_max: lon + 180.0,
        lat_max: 90.0,
    }
}

/// The parts of `shape` (and of its copies shifted by ±360°) inside `frame`.
pub fn clip(shape: &MultiPolygon<f64>, frame: &LonLatBox) -> MultiPolygon<f64> {
    let Some(bb) = shape.bounding_rect() else {
        return MultiPolygon::new(Vec::new());
    };
    let frame_poly = frame.rect().to_polygon();
    let mut out: Vec<Polygon<f64>> = Vec::new();
    for shift in [-720.0, -360.0, 0.0, 360.0, 720.0] {
        let moved = bb.translate(shift, 0.0);
        match frame.relation(&moved) {
            Relation::Outside => {}
            Relation::Inside => out.extend(shape.translate(shift, 0.0)),
            Relation::Crossing => {
                let s = shape.translate(shift, 0.0);
                out.extend(s.intersection(&frame_poly));
            }
        }
    }
    MultiPolygon::new(out)
}

/// The parts of the lines (and of their copies shifted by ±360°) inside `frame`.
pub fn clip_lines(lines: &MultiLineString<f64>, frame: &LonLatBox) -> MultiLineString<f64> {
    let Some(bb) = lines.bounding_rect() else {
        return MultiLineString::new(Vec::new());
    };
    let frame_poly = frame.rect().to_polygon();
    let mut out: Vec<LineString<f64>> = Vec::new();
    for shift in [-720.0, -360.0, 0.0, 360.0, 720.0] {
        let moved = bb.translate(shift, 0.0);
        match frame.relation(&moved) {
            Relation::Outside => {}
            Relation::Inside => out.extend(lines.translate(shift, 0.0)),
            Relation::Crossing => {
                let s = lines.translate(shift, 0.0);
                out.extend(frame_poly.clip(&s, false));
            }
        }
    }
    MultiLineString::new(out)
}

/// The boundary of a service area without the segments that only close it
/// along a pole or the world's edge, for drawing its outline.
pub fn outline(shape: &MultiPolygon<f64>) -> MultiLineString<f64> {
    let mut out = Vec::new();
    for p in shape {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            let mut run: Vec<Coord<f64>> = Vec::new();
            for c in ring.coords() {
                if c.y.abs() >= 90.0 - 1e-9 {
                    if run.len() > 1 {
                        out.push(LineString::new(std::mem::take(&mut run)));
                    }
                    run.clear();
                } else {
                    run.push(*c);
                }
            }
            if run.len() > 1 {
                out.push(LineString::new(run));
            }
        }
    }
    MultiLineString::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::{ChamberlainDuquetteArea, Contains};

    /// The area of a spherical cap of great-circle radius `km`, km².
    fn cap_km2(km: f64) -> f64 {
        let r = crate::sphere::EARTH_RADIUS_KM;
        2.0 * std::f64::consts::PI * r * r * (1.0 - (km / r).cos())
    }

    /// geo's Chamberlain-Duquette area uses the equatorial radius; rescale to the mean sphere.
    fn area_km2(m: &MultiPolygon<f64>) -> f64 {
        let k = crate::sphere::EARTH_RADIUS_KM / 6378.137;
        // Exterior less holes, whatever the rings' orientation.
        let ring = |r: &LineString<f64>| {
            Polygon::new(r.clone(), Vec::new()).chamberlain_duquette_unsigned_area()
        };
        m.iter()
            .map(|p| ring(p.exterior()) - p.interiors().iter().map(ring).sum::<f64>())
            .sum::<f64>()
            * 1e-6
            * k
            * k
    }

    #[test]
    fn a_circle_has_the_area_of_its_cap() {
        for (lon, lat, km) in [(104.0, 30.0, 150.0), (10.0, 65.0, 500.0), (0.0, 0.0, 50.0)] {
            let a = service_area(lon, lat, km);
            assert_relative_eq!(area_km2(&a), cap_km2(km), max_relative = 1e-3);
            assert!(a.contains(&geo::Point::new(lon, lat)));
        }
    }

    #[test]
    fn a_circle_across_the_antimeridian_splits_into_two_round_pieces() {
        // Fiji, 400 km.
        let a = service_area(178.4, -18.1, 400.0);
        let world = clip(&a, &LonLatBox::WORLD);
        assert_eq!(world.0.len(), 2);
        for p in &world {
            let bb = p.bounding_rect().expect("non-empty");
            assert!(bb.min().x >= -180.0 - 1e-6 && bb.max().x <= 180.0 + 1e-6);
        }
        assert_relative_eq!(area_km2(&world), cap_km2(400.0), max_relative = 1e-3);
        // A view across the antimeridian keeps it in one piece.
        let pacific = LonLatBox {
            lon_min: 160.0,
            lat_min: -40.0,
            lon_max: 200.0,
            lat_max: 0.0,
        };
        assert_eq!(clip(&a, &pacific).0.len(), 1);
        // A view that ends at the antimeridian gets only the western half.
        let west = LonLatBox {
            lon_min: 160.0,
            lat_min: -40.0,
            lon_max: 180.0,
            lat_max: 0.0,
        };
        let half = clip(&a, &west);
        assert_eq!(half.0.len(), 1);
        let bb = half.bounding_rect().expect("non-empty");
        assert!(bb.max().x <= 180.0 + 1e-6);
    }

    #[test]
    fn circles_round_a_pole_close_along_it() {
        let a = service_area(20.0, 88.0, 500.0);
        let w = clip(&a, &LonLatBox::WORLD);
        assert_relative_eq!(area_km2(&w), cap_km2(500.0), max_relative = 2e-3);
        assert!(outline(&a).0.iter().all(|l| l.coords().all(|c| c.y < 90.0)));
        // Both poles inside: the world less the antipodal circle.
        let big = service_area(0.0, 0.0, 15_000.0);
        let w = clip(&big, &LonLatBox::WORLD);
        assert_relative_eq!(area_km2(&w), cap_km2(15_000.0), max_relative = 5e-3);
    }

    #[test]
    fn clipping_cuts_at_the_frame_and_never_wraps() {
        let a = service_area(104.0, 30.0, 300.0);
        let frame = LonLatBox {
            lon_min: 105.0,
            lat_min: 20.0,
            lon_max: 115.0,
            lat_max: 40.0,
        };
        let c = clip(&a, &frame);
        let bb = c.bounding_rect().expect("non-empty");
        assert_relative_eq!(bb.min().x, 105.0, epsilon = 1e-6);
        assert!(bb.max().x < 108.0);
        let l = clip_lines(&outline(&a), &frame);
        assert!(
            l.0.iter()
                .flat_map(|s| s.coords())
                .all(|c| c.x >= 105.0 - 1e-9)
        );
    }

    #[test]
    fn bad_values_give_nothing() {
        assert!(service_area(f64::NAN, 0.0, 10.0).0.is_empty());
        assert!(service_area(0.0, 0.0, 0.0).0.is_empty());
        assert!(
            clip(&MultiPolygon::new(Vec::new()), &LonLatBox::WORLD)
                .0
                .is_empty()
        );
    }
}
