//! Per-region candidate lists over the unit sphere, for many queries against
//! few sites.
//!
//! The sphere is cut into cells by the cube map: a unit vector belongs to the
//! face of its largest coordinate, and on that face to the square cell of
//! `(other coordinates) / |largest|`, a grid of `m x m` squares per face. A
//! cell is a spherical quadrilateral whose edges are great-circle arcs, so it
//! lies in the cap (the 3-D ball) around its centre that holds its four
//! corners. With `r` that ball's radius and `c` the centre, the triangle
//! inequality bounds every point `q` of the cell: `|q - s| >= |c - s| - r`.
//!
//! * Nearest two: for any `q` in the cell, its second-nearest site is no
//!   farther than `D2 + r`, where `D2` is the centre's second-nearest distance;
//!   so its first and second nearest are within `D2 + 2r` of the centre, and the
//!   cell's list holds exactly the sites that are.
//! * Within a squared chord `K`: the sites within `sqrt(K) + r` of the centre.
//! * Both (the evaluator's queries): the sites within the larger of the two.
//!
//! A query then checks the sites of its cell's list with the one distance
//! formula ([`chord2`]), so it gives the same keys, the same nearest site and
//! the same tie-breaking (lower index) as the R-tree; only the work differs.
//! Nearest-two lists are ordered by distance from the centre, each site with
//! a lower bound on its key from any point of the cell (`(|c - s| - r)^2`),
//! so a query stops at the first site that cannot be nearer than the two it
//! holds, or within the radius it asks.
//! The bounds are widened by a margin far above floating-point rounding (a
//! point whose rounded face coordinates put it in a neighbouring cell is
//! within rounding of that cell). Lists are built only for the cells that
//! the given demand points fall in; a query from any other cell returns
//! `None` and the caller asks the tree.

use crate::sphere::{UnitVector, chord2};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::sync::atomic::{AtomicBool, Ordering};

type Entry = GeomWithData<UnitVector, u32>;

/// Most cells per face side (6 x 1024^2 cells, 25 MB of offsets).
const MAX_SIDE: usize = 1024;

/// Relative widening of a cell's radius and of the list radius.
const WIDEN: f64 = 1e-7;
/// Absolute widening (in chord units on the unit sphere, about 6 mm on Earth).
const SLACK: f64 = 1e-9;

/// Candidate lists for the cells some demand falls in.
#[derive(Debug, Clone)]
pub struct CellLists {
    side: usize,
    /// CSR offsets per cell; a cell with no list has an empty range.
    off: Vec<u32>,
    /// Site indices: ascending within each cell, or, for lists with bounds,
    /// nearest the cell's centre first (ties by index).
    items: Vec<u32>,
    /// Empty, or per entry of `items` a key (squared chord) that no point of
    /// the cell is nearer the site than: non-decreasing along each list, so
    /// a query stops at the first bound beyond the keys it still wants.
    lower: Vec<f32>,
}

/// Shrinks a lower bound well past the rounding of the distances it bounds
/// and of its conversion to `f32` (relative 6e-8).
const LOWER_SHRINK: f64 = 1.0 - 1e-6;

/// The cell of a unit vector on a grid of `side x side` cells per cube face.
#[inline]
pub fn cell_of(q: &UnitVector, side: usize) -> usize {
    let (ax, ay, az) = (q[0].abs(), q[1].abs(), q[2].abs());
    let (face, a, u, v) = if ax >= ay && ax >= az {
        (usize::from(q[0] < 0.0), ax, q[1], q[2])
    } else if ay >= az {
        (2 + usize::from(q[1] < 0.0), ay, q[0], q[2])
    } else {
        (4 + usize::from(q[2] < 0.0), az, q[0], q[1])
    };
    let half = side as f64 / 2.0;
    // `as` saturates (and maps NaN to 0); the clamp keeps the edge u = 1 in the last cell.
    let i = (((u / a) + 1.0) * half) as usize;
    let j = (((v / a) + 1.0) * half) as usize;
    (face * side + i.min(side - 1)) * side + j.min(side - 1)
}

/// The unit vector with face coordinates `(u, v)` on `face`.
fn on_face(face: usize, u: f64, v: f64) -> UnitVector {
    let sign = if face.is_multiple_of(2) { 1.0 } else { -1.0 };
    let p = match face / 2 {
        0 => [sign, u, v],
        1 => [u, sign, v],
        _ => [u, v, sign],
    };
    let n = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
    [p[0] / n, p[1] / n, p[2] / n]
}

/// Centre of cell `cell` and the (widened) chord radius of a ball holding it.
fn cell_ball(cell: usize, side: usize) -> (UnitVector, f64) {
    let face = cell / (side * side);
    let i = (cell / side) % side;
    let j = cell % side;
    let step = 2.0 / side as f64;
    let (u0, v0) = (-1.0 + i as f64 * step, -1.0 + j as f64 * step);
    let c = on_face(face, u0 + step / 2.0, v0 + step / 2.0);
    let r2 = [(0.0, 0.0), (step, 0.0), (0.0, step), (step, step)]
        .iter()
        .map(|&(du, dv)| chord2(&c, &on_face(face, u0 + du, v0 + dv)))
        .fold(0.0f64, f64::max);
    (c, r2.sqrt() * (1.0 + WIDEN) + SLACK)
}

/// Cells per face side so that a cell's half-diagonal is about `chord`
/// (cells are at most about `2 sqrt(2) / side` across at the face centres).
pub fn side_for_chord(chord: f64) -> usize {
    if chord.is_nan() || chord <= 0.0 {
        return MAX_SIDE;
    }
    ((std::f64::consts::SQRT_2 / chord).ceil() as usize).clamp(4, MAX_SIDE)
}

/// Cells per face side for nearest-site queries against `n` sites: about 64
/// cells a site, so a cell is small beside the distance between sites.
pub fn side_for_sites(n: usize) -> usize {
    (((64 * n.max(1)) as f64 / 6.0).sqrt().ceil() as usize).clamp(4, MAX_SIDE)
}

impl CellLists {
    /// Lists for the cells of `demand`: for each, the sites (of `tree`) within
    /// `radius(centre, cell radius)` of the cell's centre, or every site when
    /// that is infinite or `None`.
    fn build(
        tree: &RTree<Entry>,
        demand: &[UnitVector],
        side: usize,
        bounds: bool,
        radius: impl Fn(&UnitVector, f64) -> Option<f64> + Sync,
    ) -> Self {
        let n_cells = 6 * side * side;
        let used: Vec<AtomicBool> = (0..n_cells).map(|_| AtomicBool::new(false)).collect();
        demand.par_iter().with_min_len(4096).for_each(|q| {
            let c = cell_of(q, side);
            if !used[c].load(Ordering::Relaxed) {
                used[c].store(true, Ordering::Relaxed);
            }
        });
        let cells: Vec<u32> = (0..n_cells as u32)
            .filter(|&c| used[c as usize].load(Ordering::Relaxed))
            .collect();
        drop(used);
        let lists: Vec<Vec<(u32, f32)>> = cells
            .par_iter()
            .with_min_len(64)
            .map(|&cell| {
                let (c, r) = cell_ball(cell as usize, side);
                let mut list: Vec<(u32, f64)> = match radius(&c, r) {
                    Some(reach) if reach.is_finite() => {
                        let reach2 = reach * reach * (1.0 + WIDEN) + SLACK;
                        tree.locate_within_distance(c, reach2)
                            .map(|e| (e.data, chord2(e.geom(), &c)))
                            .collect()
                    }
                    _ => tree
                        .iter()
                        .map(|e| (e.data, chord2(e.geom(), &c)))
                        .collect(),
                };
                if !bounds {
                    list.sort_unstable_by_key(|e| e.0);
                    return list.into_iter().map(|e| (e.0, 0.0)).collect();
                }
                // A point of the cell is within r of the centre, so at least
                // (|c - s| - r)^2 from the site.
                list.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                list.into_iter()
                    .map(|(j, d2)| {
                        let gap = (d2.sqrt() - r).max(0.0);
                        (j, (gap * gap * LOWER_SHRINK) as f32)
                    })
                    .collect()
            })
            .collect();
        let mut off = vec![0u32; n_cells + 1];
        let total: usize = lists.iter().map(Vec::len).sum();
        let mut items = Vec::with_capacity(total);
        let mut lower = Vec::with_capacity(if bounds { total } else { 0 });
        let mut next = 0;
        for c in 0..n_cells {
            if cells.get(next).is_some_and(|&k| k as usize == c) {
                items.extend(lists[next].iter().map(|e| e.0));
                if bounds {
                    lower.extend(lists[next].iter().map(|e| e.1));
                }
                next += 1;
            }
            off[c + 1] = u32::try_from(items.len()).expect("fewer than 2^32 list entries");
        }
        CellLists {
            side,
            off,
            items,
            lower,
        }
    }

    /// Lists for nearest-two queries from the points of `demand`.
    pub fn nearest_two(tree: &RTree<Entry>, demand: &[UnitVector]) -> Self {
        let side = side_for_sites(tree.size());
        Self::build(tree, demand, side, true, |c, r| {
            // The centre's second-nearest distance; with fewer than two sites, every site.
            let d2 = tree.nearest_neighbor_iter_with_distance_2(*c).nth(1)?.1;
            Some(d2.sqrt() + 2.0 * r)
        })
    }

    /// Lists for both nearest-two queries and within-`key` queries (`key` a
    /// squared chord) from the points of `demand`: a cell's list holds the
    /// sites of either list, so one list answers both (the evaluator's
    /// queries), on the grid of the nearest-two lists.
    pub fn nearest_two_and_within(tree: &RTree<Entry>, demand: &[UnitVector], key: f64) -> Self {
        let side = side_for_sites(tree.size());
        let within = key.max(0.0).sqrt();
        Self::build(tree, demand, side, true, |c, r| {
            let d2 = tree.nearest_neighbor_iter_with_distance_2(*c).nth(1)?.1;
            Some((d2.sqrt() + 2.0 * r).max(within + r))
        })
    }

    /// Lists for within-`key` queries (`key` a squared chord) from the points of `demand`.
    pub fn within(tree: &RTree<Entry>, demand: &[UnitVector], key: f64) -> Self {
        let side = side_for_chord(key.max(0.0).sqrt());
        Self::build(tree, demand, side, false, |_, r| {
            Some(key.max(0.0).sqrt() + r)
        })
    }

    /// The list of the cell of `q`, if it has one, with its lower bounds
    /// (empty for lists without them).
    #[inline]
    pub fn list(&self, q: &UnitVector) -> Option<(&[u32], &[f32])> {
        let c = cell_of(q, self.side);
        let (lo, hi) = (self.off[c] as usize, self.off[c + 1] as usize);
        (lo < hi).then(|| {
            let lower = if self.lower.is_empty() {
                &[][..]
            } else {
                &self.lower[lo..hi]
            };
            (&self.items[lo..hi], lower)
        })
    }

    /// Entries in all lists (for tests and timings).
    pub fn entries(&self) -> usize {
        self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sphere::to_unit;
    use proptest::prelude::*;

    fn globe_point() -> impl Strategy<Value = (f64, f64)> {
        prop_oneof![
            (-180.0f64..=180.0, -1.0f64..=1.0).prop_map(|(lon, z)| (lon, z.asin().to_degrees())),
            (-180.0f64..=180.0, 88.0f64..=90.0),
            (44.0f64..=46.0, -1.0f64..=1.0),
            (-180.0f64..=180.0, 34.0f64..=36.0),
        ]
    }

    proptest! {
        #[test]
        fn every_point_is_in_its_cells_ball(p in globe_point(), side in 1usize..300) {
            let q = to_unit(p.0, p.1);
            let (c, r) = cell_ball(cell_of(&q, side), side);
            prop_assert!(chord2(&q, &c).sqrt() <= r, "{:?} side {}", p, side);
        }
    }

    #[test]
    fn cube_edges_and_corners_fall_in_a_cell() {
        for q in [
            [1.0, 0.0, 0.0],
            [-1.0, 0.0, 0.0],
            [0.0, 0.0, -1.0],
            to_unit(45.0, 0.0),
            to_unit(-135.0, 35.264389682754654),
        ] {
            for side in [1, 2, 7, 1024] {
                let c = cell_of(&q, side);
                assert!(c < 6 * side * side);
                let (centre, r) = cell_ball(c, side);
                assert!(chord2(&q, &centre).sqrt() <= r);
            }
        }
    }
}
