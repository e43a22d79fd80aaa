//! The great-circle model: places as unit vectors in 3-D on an `rstar` R-tree.
//!
//! Because every point lies on the unit sphere, a Euclidean ball query with the
//! chord of a great-circle radius returns exactly the points within that
//! great-circle distance, and the Euclidean nearest neighbour is the
//! great-circle nearest neighbour. Keys are squared chords.

use super::cells::CellLists;
use super::{Metric, Queries, SiteIndex};
use crate::input::{Place, PlaceSet};
use crate::sphere::{EARTH_RADIUS_KM, UnitVector, chord2, chord2_for_km, km_for_chord2, to_unit};
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// Great-circle distance in kilometres on WGS84 longitude and latitude,
/// optionally scaled by a detour factor (`--circuity`): with circuity `c`, a
/// place `d` km away as the crow flies counts as `c d` km.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GreatCircle {
    circuity: f64,
}

impl Default for GreatCircle {
    fn default() -> Self {
        GreatCircle { circuity: 1.0 }
    }
}

impl GreatCircle {
    /// The model with detour factor `circuity` (finite, at least 1; checked by the caller).
    pub fn with_circuity(circuity: f64) -> Self {
        GreatCircle { circuity }
    }

    /// The detour factor (1 for plain great-circle distance).
    pub fn circuity(&self) -> f64 {
        self.circuity
    }
}

impl Metric for GreatCircle {
    type Point = UnitVector;
    type Index<'a> = PointIndex;

    fn name(&self) -> &'static str {
        "great_circle"
    }

    fn unit(&self) -> &'static str {
        "km"
    }

    fn circuity(&self) -> Option<f64> {
        (self.circuity != 1.0).then_some(self.circuity)
    }

    fn point(&self, place: &Place) -> UnitVector {
        to_unit(place.lon, place.lat)
    }

    /// In parallel: each point on its own, so the result does not depend on threads.
    fn points(&self, places: &PlaceSet) -> Vec<UnitVector> {
        use rayon::prelude::*;
        (0..places.len())
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| to_unit(places.lon(i), places.lat(i)))
            .collect()
    }

    fn index(&self, sites: &[UnitVector]) -> PointIndex {
        PointIndex::new(sites)
    }

    /// Adds per-cell candidate lists ([`super::cells`]) for the cells of
    /// `demand` when there are enough points to pay for them.
    fn index_for(
        &self,
        sites: &[UnitVector],
        demand: &[UnitVector],
        queries: Queries,
    ) -> PointIndex {
        let mut index = PointIndex::new(sites);
        if demand.len() >= CELLS_MIN_POINTS && !sites.is_empty() {
            index.prepare(demand, queries);
        }
        index
    }

    fn key(&self, km: f64) -> f64 {
        chord2_for_km(km / self.circuity)
    }

    fn distance(&self, key: f64) -> f64 {
        km_for_chord2(key) * self.circuity
    }

    fn key_between(&self, demand: &UnitVector, site: &UnitVector) -> f64 {
        chord2(demand, site)
    }

    fn farthest(&self) -> f64 {
        std::f64::consts::PI * EARTH_RADIUS_KM * self.circuity
    }
}

impl SiteIndex for PointIndex {
    type Point = UnitVector;

    fn within(&self, q: &UnitVector, key: f64, mut found: impl FnMut(u32)) {
        match self.within_list(q, key) {
            Some((list, [])) => list
                .iter()
                .filter(|&&j| chord2(&self.sites[j as usize], q) <= key)
                .for_each(|&j| found(j)),
            Some((list, lower)) => {
                for (&j, &low) in list.iter().zip(lower) {
                    if f64::from(low) > key {
                        break;
                    }
                    if chord2(&self.sites[j as usize], q) <= key {
                        found(j);
                    }
                }
            }
            None => self.locate_within(q, key).for_each(&mut found),
        }
    }

    fn any_within(&self, q: &UnitVector, key: f64) -> bool {
        match self.within_list(q, key) {
            Some((list, lower)) => list
                .iter()
                .enumerate()
                .take_while(|&(k, _)| lower.get(k).is_none_or(|&low| f64::from(low) <= key))
                .any(|(_, &j)| chord2(&self.sites[j as usize], q) <= key),
            None => self.locate_within(q, key).next().is_some(),
        }
    }

    fn nearest(&self, q: &UnitVector) -> Option<(u32, f64)> {
        PointIndex::nearest(self, q)
    }

    fn nearest_k(&self, q: &UnitVector, k: usize) -> Vec<(u32, f64)> {
        PointIndex::nearest_k(self, q, k)
    }

    fn nearest_two(&self, q: &UnitVector) -> (Option<(u32, f64)>, f64) {
        PointIndex::nearest_two(self, q)
    }
}

type Entry = GeomWithData<UnitVector, u32>;

/// Demand points from which [`Metric::index_for`] builds per-cell lists: below
/// this the R-tree alone is about as fast.
const CELLS_MIN_POINTS: usize = 50_000;

/// An R-tree over places, returning their indices, with optional per-cell
/// candidate lists that answer the same queries from fewer distances.
pub struct PointIndex {
    tree: RTree<Entry>,
    /// The indexed points, by index (the lists name sites by index).
    sites: Vec<UnitVector>,
    /// Lists for the nearest-two query.
    near: Option<CellLists>,
    /// Lists for within queries of one key.
    within: Option<(f64, CellLists)>,
    /// The key for which the nearest-two lists answer within queries too.
    near_within: Option<f64>,
}

impl PointIndex {
    /// Bulk-loads the index; point `i` is returned as index `i`.
    pub fn new(points: &[UnitVector]) -> Self {
        let entries = points
            .iter()
            .enumerate()
            .map(|(i, p)| Entry::new(*p, i as u32))
            .collect();
        PointIndex {
            tree: RTree::bulk_load(entries),
            sites: points.to_vec(),
            near: None,
            within: None,
            near_within: None,
        }
    }

    /// Builds the per-cell lists `queries` asks for, over the cells of `demand`.
    /// Both queries get one set of lists (on the nearest-two grid, each
    /// list long enough for both), so a within query costs no second grid
    /// and no tree walk.
    pub fn prepare(&mut self, demand: &[UnitVector], queries: Queries) {
        match (queries.nearest_two, queries.within) {
            (true, Some(key)) => {
                self.near = Some(CellLists::nearest_two_and_within(&self.tree, demand, key));
                self.near_within = Some(key);
            }
            (true, None) => self.near = Some(CellLists::nearest_two(&self.tree, demand)),
            (false, Some(key)) => {
                self.within = Some((key, CellLists::within(&self.tree, demand, key)));
            }
            (false, None) => {}
        }
    }

    /// The within-`key` list of `q`'s cell, when lists were built for `key` and that cell.
    #[inline]
    fn within_list(&self, q: &UnitVector, key: f64) -> Option<(&[u32], &[f32])> {
        if self.near_within == Some(key) {
            return self.near.as_ref().and_then(|n| n.list(q));
        }
        match &self.within {
            Some((k, lists)) if *k == key => lists.list(q),
            _ => None,
        }
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Indices of the points within squared chord `max_chord2` of `q` (unordered).
    ///
    /// # Units
    /// `max_chord2` is a squared chord on the unit sphere (see [`crate::sphere::chord2_for_km`]).
    pub fn locate_within(&self, q: &UnitVector, max_chord2: f64) -> impl Iterator<Item = u32> + '_ {
        let q = *q;
        // rstar computes the same squared distance; the explicit re-check keeps
        // every caller on the one formula in `sphere::chord2`.
        self.tree
            .locate_within_distance(q, max_chord2)
            .filter(move |e| chord2(e.geom(), &q) <= max_chord2)
            .map(|e| e.data)
    }

    /// The nearest point to `q` and its squared chord, ties broken by the lower index.
    pub fn nearest(&self, q: &UnitVector) -> Option<(u32, f64)> {
        if self.near.is_some() {
            return self.nearest_two(q).0;
        }
        let mut iter = self.tree.nearest_neighbor_iter_with_distance_2(*q);
        let (first, d) = iter.next()?;
        let mut best = (first.data, chord2(first.geom(), q));
        // Equal distances come out in tree order; take the lowest index among them.
        for (e, d2) in iter {
            if d2 > d {
                break;
            }
            if e.data < best.0 {
                best = (e.data, chord2(e.geom(), q));
            }
        }
        Some(best)
    }

    /// The nearest point (as [`PointIndex::nearest`]) and the squared chord
    /// of the second nearest (infinite when there is no second point).
    pub fn nearest_two(&self, q: &UnitVector) -> (Option<(u32, f64)>, f64) {
        if let Some((list, lower)) = self.near.as_ref().and_then(|n| n.list(q)) {
            // Lowest key, ties by the lower index; the second lowest key of the list
            // (the two nearest are always in it). Sites come nearest the cell's
            // centre first: once a site's bound is past the second key, so is
            // every later site's key, and none can change the two.
            let mut best = (u32::MAX, f64::INFINITY);
            let mut second = f64::INFINITY;
            for (&j, &low) in list.iter().zip(lower) {
                if f64::from(low) > second {
                    break;
                }
                let d = chord2(&self.sites[j as usize], q);
                if d < best.1 || (d == best.1 && j < best.0) {
                    second = best.1;
                    best = (j, d);
                } else if d < second {
                    second = d;
                }
            }
            return (Some(best), second);
        }
        let mut iter = self.tree.nearest_neighbor_iter_with_distance_2(*q);
        let Some((first, d)) = iter.next() else {
            return (None, f64::INFINITY);
        };
        let mut best = (first.data, chord2(first.geom(), q));
        let mut second = f64::INFINITY;
        for (e, d2) in iter {
            if second == f64::INFINITY {
                second = chord2(e.geom(), q);
            }
            if d2 > d {
                break;
            }
            if e.data < best.0 {
                best = (e.data, chord2(e.geom(), q));
            }
        }
        (Some(best), second)
    }

    /// The `k` nearest points to `q`, nearest first, with squared chords (ties by index).
    pub fn nearest_k(&self, q: &UnitVector, k: usize) -> Vec<(u32, f64)> {
        let mut out: Vec<(u32, f64)> = Vec::with_capacity(k + 4);
        let mut last = f64::NEG_INFINITY;
        for (e, d2) in self.tree.nearest_neighbor_iter_with_distance_2(*q) {
            if out.len() >= k && d2 > last {
                break;
            }
            out.push((e.data, chord2(e.geom(), q)));
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
    use crate::sphere::{chord2_for_km, haversine_km, to_unit};
    use proptest::prelude::*;

    fn globe_point() -> impl Strategy<Value = (f64, f64)> {
        // Uniform on the sphere, with extra mass near the poles and the antimeridian.
        prop_oneof![
            (-180.0f64..=180.0, -1.0f64..=1.0).prop_map(|(lon, z)| (lon, z.asin().to_degrees())),
            (179.0f64..=180.0, -90.0f64..=90.0),
            (-180.0f64..=-179.0, -90.0f64..=90.0),
            (-180.0f64..=180.0, 88.0f64..=90.0),
            (-180.0f64..=180.0, -90.0f64..=-88.0),
        ]
    }

    proptest! {
        #[test]
        fn nearest_two_agrees_with_nearest_and_nearest_k(
            points in proptest::collection::vec(globe_point(), 1..120),
            q in globe_point(),
        ) {
            let units: Vec<_> = points.iter().map(|&(lon, lat)| to_unit(lon, lat)).collect();
            let index = PointIndex::new(&units);
            let q = to_unit(q.0, q.1);
            let (first, second) = index.nearest_two(&q);
            prop_assert_eq!(first, index.nearest(&q));
            let two = index.nearest_k(&q, 2);
            prop_assert_eq!(second, two.get(1).map_or(f64::INFINITY, |e| e.1));
        }

        #[test]
        fn cell_lists_answer_as_the_tree(
            sites in proptest::collection::vec(globe_point(), 1..60),
            demand in proptest::collection::vec(globe_point(), 1..200),
            near in proptest::collection::vec((0usize..60, -0.5f64..0.5, -0.5f64..0.5), 0..100),
            km in prop_oneof![1.0f64..300.0, 300.0f64..25_000.0],
        ) {
            // Demand anywhere, and demand close to sites (ties and near-ties of
            // the nearest two); a repeated site makes exact ties.
            let mut sites: Vec<_> = sites.iter().map(|&(lon, lat)| to_unit(lon, lat)).collect();
            if sites.len() > 2 {
                sites.push(sites[1]);
            }
            let mut points: Vec<_> = demand.iter().map(|&(lon, lat)| to_unit(lon, lat)).collect();
            points.extend(near.iter().map(|&(k, dx, dy)| {
                let s = sites[k % sites.len()];
                let n = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt();
                let p = [s[0] + dx * 1e-3, s[1] + dy * 1e-3, s[2] / n];
                let m = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
                [p[0] / m, p[1] / m, p[2] / m]
            }));
            points.extend(sites.iter().copied());
            let key = chord2_for_km(km);
            let tree = PointIndex::new(&sites);
            // Both queries from one set of lists (the evaluator's), each on its own
            // (the nearest two alone; within alone, on its own grid).
            let mut cells = PointIndex::new(&sites);
            cells.prepare(&points, Queries { nearest_two: true, within: Some(key) });
            prop_assert!(cells.within.is_none() && cells.near_within == Some(key));
            let mut near = PointIndex::new(&sites);
            near.prepare(&points, Queries { nearest_two: true, within: None });
            let mut apart = PointIndex::new(&sites);
            apart.prepare(&points, Queries { nearest_two: false, within: Some(key) });
            for q in &points {
                let mut want: Vec<u32> = tree.locate_within(q, key).collect();
                want.sort_unstable();
                for index in [&cells, &near] {
                    // Bounds hold for every point of the cell, in order.
                    let (list, lower) = index.near.as_ref().unwrap().list(q).unwrap();
                    prop_assert_eq!(list.len(), lower.len());
                    for (k, (&j, &low)) in list.iter().zip(lower).enumerate() {
                        prop_assert!(f64::from(low) <= chord2(&sites[j as usize], q));
                        prop_assert!(k == 0 || lower[k - 1] <= low);
                    }
                    prop_assert_eq!(index.nearest_two(q), tree.nearest_two(q));
                    prop_assert_eq!(index.nearest(q), tree.nearest(q));
                }
                // Within-only lists may be empty (and then the tree answers).
                prop_assert!(cells.within_list(q, key).is_some());
                for index in [&cells, &apart] {
                    let mut got = Vec::new();
                    SiteIndex::within(index, q, key, |j| got.push(j));
                    got.sort_unstable();
                    prop_assert_eq!(SiteIndex::any_within(index, q, key), !want.is_empty());
                    prop_assert_eq!(got, want.clone());
                }
            }
        }

        #[test]
        fn within_matches_brute_force_haversine(
            points in proptest::collection::vec(globe_point(), 1..300),
            q in globe_point(),
            km in 1.0f64..3000.0,
        ) {
            let units: Vec<_> = points.iter().map(|&(lon, lat)| to_unit(lon, lat)).collect();
            let index = PointIndex::new(&units);
            let mut got: Vec<u32> = index.locate_within(&to_unit(q.0, q.1), chord2_for_km(km)).collect();
            got.sort_unstable();
            let dists: Vec<f64> = points.iter().map(|p| haversine_km(q.0, q.1, p.0, p.1)).collect();
            // Points within rounding of the boundary may go either way; both answers are right.
            prop_assume!(dists.iter().all(|d| (d - km).abs() > 1e-7 * km));
            let want: Vec<u32> = (0..points.len() as u32).filter(|&i| dists[i as usize] <= km).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn nearest_matches_brute_force(
            points in proptest::collection::vec(globe_point(), 1..200),
            q in globe_point(),
        ) {
            let units: Vec<_> = points.iter().map(|&(lon, lat)| to_unit(lon, lat)).collect();
            let index = PointIndex::new(&units);
            let (i, c2) = index.nearest(&to_unit(q.0, q.1)).unwrap();
            let best = points.iter().map(|p| haversine_km(q.0, q.1, p.0, p.1)).fold(f64::INFINITY, f64::min);
            let got = crate::sphere::km_for_chord2(c2);
            prop_assert!((got - best).abs() <= 1e-9 * best.max(1.0), "{} vs {}", got, best);
            prop_assert!((haversine_km(q.0, q.1, points[i as usize].0, points[i as usize].1) - best).abs() <= 1e-6);
        }
    }
}
