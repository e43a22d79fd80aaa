//! The planar model: Euclidean distance on projected coordinates in metres
//! (`--crs EPSG:CODE` of a projected system, or `--crs planar`), on a 2-D
//! `rstar` R-tree.
//!
//! Keys are squared metres, so ball queries and nearest-neighbour searches
//! compare the squares rstar computes and never take a root. Radii and
//! distances in reports stay in kilometres, as for great circles. A projection
//! distorts ground distances away from its true-scale lines (UTM by at most
//! about 0.1% within its zone, Web Mercator by 1 / cos(latitude)): the model
//! measures the plane as given, which is what planners with data in a national
//! grid or UTM zone expect.

use super::{Metric, SiteIndex};
use crate::input::{Place, PlaceSet};
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// A point in the plane, metres (x/easting, y/northing).
pub type PlanePoint = [f64; 2];

/// Euclidean distance in the plane of a projected system, reported in km,
/// optionally scaled by a detour factor (`--circuity`) as great circles are.
///
/// # Units
/// Points are metres; keys are squared metres; distances and radii are km.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Planar {
    circuity: f64,
}

impl Default for Planar {
    fn default() -> Self {
        Planar { circuity: 1.0 }
    }
}

impl Planar {
    /// The model with detour factor `circuity` (finite, at least 1; checked by the caller).
    pub fn with_circuity(circuity: f64) -> Self {
        Planar { circuity }
    }
}

/// Squared Euclidean distance, m².
#[inline]
fn dist2(a: &PlanePoint, b: &PlanePoint) -> f64 {
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    dx * dx + dy * dy
}

impl Metric for Planar {
    type Point = PlanePoint;
    type Index<'a> = PlaneIndex;

    fn name(&self) -> &'static str {
        "planar"
    }

    fn unit(&self) -> &'static str {
        "km"
    }

    fn circuity(&self) -> Option<f64> {
        (self.circuity != 1.0).then_some(self.circuity)
    }

    /// The place's projected metres. Every place of a planar run carries them:
    /// the loaders fill [`Place::xy`] whenever `--crs` is not EPSG:4326, and the
    /// model is planar only then; NaN (reaching nothing) otherwise.
    fn point(&self, place: &Place) -> PlanePoint {
        debug_assert!(place.xy.is_some(), "a planar run loads projected metres");
        place.xy.unwrap_or([f64::NAN, f64::NAN])
    }

    fn points(&self, places: &PlaceSet) -> Vec<PlanePoint> {
        (0..places.len())
            .map(|i| places.xy(i).unwrap_or([f64::NAN, f64::NAN]))
            .collect()
    }

    fn index(&self, sites: &[PlanePoint]) -> PlaneIndex {
        PlaneIndex::new(sites)
    }

    fn key(&self, km: f64) -> f64 {
        let m = km / self.circuity * 1000.0;
        m * m
    }

    fn distance(&self, key: f64) -> f64 {
        key.sqrt() / 1000.0 * self.circuity
    }

    fn key_between(&self, demand: &PlanePoint, site: &PlanePoint) -> f64 {
        dist2(demand, site)
    }

    /// The diagonal of the largest square the loaders accept
    /// ([`crate::input::MAX_METRES`] on each side of 0): finite, and no pair of
    /// loaded places is farther apart. [`Metric::farthest_among`] gives the
    /// tight bound of actual points.
    fn farthest(&self) -> f64 {
        2.0 * crate::input::MAX_METRES * std::f64::consts::SQRT_2 / 1000.0 * self.circuity
    }

    /// The diagonal of the bounding box of `demand` and `sites`, km.
    fn farthest_among(&self, demand: &[PlanePoint], sites: &[PlanePoint]) -> f64 {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for p in demand.iter().chain(sites).filter(|p| p[0].is_finite()) {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        if lo[0] > hi[0] {
            return 0.0;
        }
        self.distance(dist2(&lo, &hi))
    }
}

type Entry = GeomWithData<PlanePoint, u32>;

/// An R-tree over points in the plane, returning their indices.
pub struct PlaneIndex {
    tree: RTree<Entry>,
}

impl PlaneIndex {
    /// Bulk-loads the index; point `i` is returned as index `i`.
    pub fn new(points: &[PlanePoint]) -> Self {
        let entries = points
            .iter()
            .enumerate()
            .filter(|(_, p)| p[0].is_finite() && p[1].is_finite())
            .map(|(i, p)| Entry::new(*p, i as u32))
            .collect();
        PlaneIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Indices of the points within squared distance `max_m2` (m²) of `q`, unordered.
    pub fn locate_within(&self, q: &PlanePoint, max_m2: f64) -> impl Iterator<Item = u32> + '_ {
        let q = *q;
        // The re-check keeps every caller on the one formula, `dist2`.
        self.tree
            .locate_within_distance(q, max_m2)
            .filter(move |e| dist2(e.geom(), &q) <= max_m2)
            .map(|e| e.data)
    }
}

impl SiteIndex for PlaneIndex {
    type Point = PlanePoint;

    fn within(&self, q: &PlanePoint, key: f64, mut found: impl FnMut(u32)) {
        self.locate_within(q, key).for_each(&mut found);
    }

    fn any_within(&self, q: &PlanePoint, key: f64) -> bool {
        self.locate_within(q, key).next().is_some()
    }

    fn nearest(&self, q: &PlanePoint) -> Option<(u32, f64)> {
        let mut iter = self.tree.nearest_neighbor_iter_with_distance_2(*q);
        let (first, d) = iter.next()?;
        let mut best = (first.data, dist2(first.geom(), q));
        // Equal distances come out in tree order; take the lowest index among them.
        for (e, d2) in iter {
            if d2 > d {
                break;
            }
            if e.data < best.0 {
                best = (e.data, dist2(e.geom(), q));
            }
        }
        Some(best)
    }

    fn nearest_k(&self, q: &PlanePoint, k: usize) -> Vec<(u32, f64)> {
        let mut out: Vec<(u32, f64)> = Vec::with_capacity(k + 4);
        let mut last = f64::NEG_INFINITY;
        for (e, d2) in self.tree.nearest_neighbor_iter_with_distance_2(*q) {
            if out.len() >= k && d2 > last {
                break;
            }
            out.push((e.data, dist2(e.geom(), q)));
            last = d2;
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out.truncate(k);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Points on a coarse grid as well as anywhere, so ties are common.
    fn plane_point() -> impl Strategy<Value = PlanePoint> {
        prop_oneof![
            (-5.0e5f64..5.0e5, 4.0e6f64..5.0e6).prop_map(|(x, y)| [x, y]),
            (-5i32..5, -5i32..5).prop_map(|(x, y)| [x as f64 * 1000.0, y as f64 * 1000.0]),
        ]
    }

    fn brute(points: &[PlanePoint], q: &PlanePoint) -> Vec<(u32, f64)> {
        let mut all: Vec<(u32, f64)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u32, dist2(p, q)))
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all
    }

    proptest! {
        #[test]
        fn within_matches_brute_force(
            points in proptest::collection::vec(plane_point(), 1..300),
            q in plane_point(),
            km in 0.5f64..800.0,
        ) {
            let m = Planar::default();
            let index = m.index(&points);
            let key = m.key(km);
            let mut got = Vec::new();
            index.within(&q, key, |i| got.push(i));
            got.sort_unstable();
            let want: Vec<u32> = (0..points.len() as u32)
                .filter(|&i| dist2(&points[i as usize], &q) <= key)
                .collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(index.any_within(&q, key), !want.is_empty());
        }

        #[test]
        fn nearest_and_k_nearest_match_brute_force(
            points in proptest::collection::vec(plane_point(), 1..200),
            q in plane_point(),
            k in 1usize..20,
        ) {
            let index = PlaneIndex::new(&points);
            let want = brute(&points, &q);
            prop_assert_eq!(index.nearest(&q), Some(want[0]));
            let got = index.nearest_k(&q, k);
            prop_assert_eq!(&got[..], &want[..k.min(points.len())]);
        }

        #[test]
        fn farthest_bounds_every_pair(
            demand in proptest::collection::vec(plane_point(), 1..50),
            sites in proptest::collection::vec(plane_point(), 1..50),
        ) {
            let m = Planar::with_circuity(1.3);
            let far = m.farthest_among(&demand, &sites);
            prop_assert!(far.is_finite() && far <= m.farthest());
            for d in &demand {
                for s in &sites {
                    prop_assert!(m.distance_between(d, s) <= far * (1.0 + 1e-12));
                }
            }
        }
    }

    #[test]
    fn keys_and_distances_are_inverse_in_km() {
        let m = Planar::default();
        approx::assert_relative_eq!(m.key(1.5), 1500.0 * 1500.0);
        approx::assert_relative_eq!(m.distance(m.key(123.25)), 123.25);
        approx::assert_relative_eq!(m.distance_between(&[0.0, 0.0], &[3000.0, 4000.0]), 5.0);
    }
}
