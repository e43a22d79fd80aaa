//! Demand aggregation (`plan --aggregate`): demand points merged into
//! weighted cells before planning, for customer bases too large to plan on
//! point by point. A cell is a square of a given size (a band of latitude cut
//! into equal-width columns on the sphere; a square of the plane with `--crs`)
//! or an H3 cell of a given resolution. Points of different groups (regions)
//! never share a cell, so per-region reports stay exact.
//!
//! Each cell is represented by the weighted centroid of its points (the
//! normalised mean of their unit vectors on the sphere, which `geo`'s planar
//! centroid of degrees would get wrong across the antimeridian), and the
//! largest distance from a point to its cell's representative is measured
//! exactly: a point is within `r - e` of a site whenever its cell is within
//! `r`, and within `r + e` at most.

use crate::input::{Crs, Place, PlaceSet};
use crate::sphere::{EARTH_RADIUS_KM, haversine_km, to_unit};
use rustc_hash::FxHashMap;
use std::fmt;

/// How demand points are grouped into cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellSize {
    /// Squares of this side, in kilometres.
    Grid {
        /// Side of a cell, km.
        km: f64,
    },
    /// H3 cells of this resolution (0, coarsest, to 15).
    H3 {
        /// The H3 resolution.
        resolution: u8,
    },
}

impl fmt::Display for CellSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellSize::Grid { km } => write!(f, "{} km grid", crate::sphere::trim_float(*km)),
            CellSize::H3 { resolution } => write!(f, "H3 resolution {resolution}"),
        }
    }
}

/// Smallest grid cell side, km (finer merges almost nothing and costs memory).
const MIN_GRID_KM: f64 = 0.01;
/// Largest grid cell side, km (a quarter of the equator).
const MAX_GRID_KM: f64 = 10_000.0;

impl CellSize {
    /// Parses `5km`, `500m`, `2.5` (km) or `h3:7`.
    ///
    /// # Errors
    /// The text and what is accepted.
    pub fn parse(text: &str) -> Result<CellSize, String> {
        let t = text.trim().to_ascii_lowercase();
        let hint =
            "give a grid cell side such as 5km or 500m, or an H3 resolution such as h3:7 (0 to 15)";
        if let Some(r) = t.strip_prefix("h3:").or_else(|| t.strip_prefix("h3=")) {
            return match r.trim().parse::<u8>() {
                Ok(resolution) if resolution <= 15 => Ok(CellSize::H3 { resolution }),
                _ => Err(format!("{text:?} is not an H3 resolution: {hint}")),
            };
        }
        let (num, scale) = if let Some(n) = t.strip_suffix("km") {
            (n, 1.0)
        } else if let Some(n) = t.strip_suffix('m') {
            (n, 0.001)
        } else {
            (t.as_str(), 1.0)
        };
        let km = num
            .trim()
            .parse::<f64>()
            .map(|v| v * scale)
            .map_err(|_| format!("{text:?} is not a cell size: {hint}"))?;
        if !km.is_finite() || !(MIN_GRID_KM..=MAX_GRID_KM).contains(&km) {
            return Err(format!(
                "{text:?} is out of range: a grid cell side is from 10m to 10000km ({hint})"
            ));
        }
        Ok(CellSize::Grid { km })
    }
}

/// The demand merged into cells.
#[derive(Debug, Clone)]
pub struct Aggregation {
    /// One place per cell: the weighted centroid, the summed weight, the group.
    pub cells: PlaceSet,
    /// The heaviest point of each cell (the first among equals), as a
    /// candidate site; empty unless asked for.
    pub candidates: PlaceSet,
    /// For each demand point, its cell.
    pub cell_of: Vec<u32>,
    /// Largest distance from a point to its cell's representative, km
    /// (straight line: great circle, or metres in the plane / 1000).
    pub max_error_km: f64,
    /// The cell size asked for.
    pub size: CellSize,
}

/// A cell's key: the group and the cell's own number.
type Key = (u32, u64);

/// Merges `demand` into cells of `size`. Cells are numbered in the order of
/// their first point, so the result does not depend on hashing or threads.
/// The candidates (each cell's heaviest point) are made only when
/// `with_candidates` asks for them.
///
/// # Errors
/// Demand without coordinates, or an H3 grid asked of plane coordinates.
pub fn aggregate(
    demand: &PlaceSet,
    size: CellSize,
    crs: &Crs,
    with_candidates: bool,
) -> Result<Aggregation, String> {
    if demand.unlocated {
        return Err(format!(
            "--aggregate merges demand by position, but {} has ids only: add longitude and latitude columns",
            demand.source
        ));
    }
    let planar = !crs.is_wgs84();
    if planar && matches!(size, CellSize::H3 { .. }) {
        return Err(format!(
            "--aggregate {size}: H3 cells are defined on longitude and latitude, but the demand is in {} coordinates: give a grid size such as 5km",
            crs.label()
        ));
    }
    let mut index: FxHashMap<Key, u32> = FxHashMap::default();
    let mut cell_of = Vec::with_capacity(demand.len());
    for i in 0..demand.len() {
        let key = (
            demand.group(i).unwrap_or(u32::MAX),
            cell_key(demand, i, size, planar),
        );
        let next = index.len() as u32;
        cell_of.push(*index.entry(key).or_insert(next));
    }
    let n_cells = index.len();
    drop(index);
    // The points of each cell, in file order (a counting sort by cell).
    let mut start = vec![0u32; n_cells + 1];
    for &c in &cell_of {
        start[c as usize + 1] += 1;
    }
    for c in 0..n_cells {
        start[c + 1] += start[c];
    }
    let mut fill = start.clone();
    let mut order = vec![0u32; cell_of.len()];
    for (i, &c) in cell_of.iter().enumerate() {
        order[fill[c as usize] as usize] = i as u32;
        fill[c as usize] += 1;
    }
    drop(fill);
    let mut cells = Vec::with_capacity(n_cells);
    let mut candidates = Vec::with_capacity(n_cells);
    let mut max_error_km: f64 = 0.0;
    for c in 0..n_cells {
        let m = &order[start[c] as usize..start[c + 1] as usize];
        let rep = representative(demand, m, planar, crs, c);
        for &i in m {
            max_error_km = max_error_km.max(distance_km(demand, i as usize, &rep, planar));
        }
        if !with_candidates {
            cells.push(rep);
            continue;
        }
        let heaviest = m
            .iter()
            .copied()
            .reduce(|a, b| {
                if demand.weight(b as usize) > demand.weight(a as usize) {
                    b
                } else {
                    a
                }
            })
            .expect("a cell has a point");
        candidates.push(Place {
            weight: 1.0,
            cost: None,
            capacity: None,
            ..demand.place(heaviest as usize)
        });
        cells.push(rep);
    }
    let set = |source: String, places: Vec<Place>| {
        let mut set = demand.empty_like();
        set.source = source;
        set.set_places(places);
        set
    };
    Ok(Aggregation {
        cells: set(format!("{} ({size} cells)", demand.source), cells),
        candidates: set(
            format!("{} (heaviest point of each {size} cell)", demand.source),
            candidates,
        ),
        cell_of,
        max_error_km,
        size,
    })
}

/// The cell a place falls in (within its group).
fn cell_key(set: &PlaceSet, i: usize, size: CellSize, planar: bool) -> u64 {
    let (lon, lat) = (set.lon(i), set.lat(i));
    match size {
        CellSize::H3 { resolution } => {
            let res = h3o::Resolution::try_from(resolution).expect("checked when parsed");
            // Coordinates were checked finite and in range when loaded.
            match h3o::LatLng::new(lat, lon) {
                Ok(ll) => u64::from(ll.to_cell(res)),
                Err(_) => u64::MAX,
            }
        }
        CellSize::Grid { km } if planar => {
            let [x, y] = set.xy(i).unwrap_or([lon, lat]);
            let side = km * 1000.0;
            let col = (x / side).floor() as i64 as u64;
            let row = (y / side).floor() as i64 as u64;
            row.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ col
        }
        CellSize::Grid { km } => {
            let km_per_degree = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;
            let dlat = km / km_per_degree;
            let rows = (180.0 / dlat).ceil().max(1.0);
            let row = ((lat + 90.0) / dlat).floor().clamp(0.0, rows - 1.0);
            let mid = (-90.0 + (row + 0.5) * dlat).clamp(-90.0, 90.0);
            let cols = (360.0 * mid.to_radians().cos() * km_per_degree / km)
                .floor()
                .max(1.0);
            let col = ((lon + 180.0) / 360.0 * cols)
                .floor()
                .clamp(0.0, cols - 1.0);
            ((row as u64) << 32) | col as u64
        }
    }
}

/// The weighted centroid of a cell's points (unweighted when they weigh
/// nothing), carrying the cell's total weight and group.
fn representative(set: &PlaceSet, members: &[u32], planar: bool, crs: &Crs, c: usize) -> Place {
    let total: f64 = members.iter().map(|&i| set.weight(i as usize)).sum();
    let w = |i: usize| if total > 0.0 { set.weight(i) } else { 1.0 };
    let first = members[0] as usize;
    let (lon, lat, xy) = if members.len() == 1 {
        // A lone point is its own centre, exactly.
        (set.lon(first), set.lat(first), set.xy(first))
    } else if planar {
        let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
        for &i in members {
            let i = i as usize;
            let [x, y] = set.xy(i).unwrap_or([set.lon(i), set.lat(i)]);
            sx += w(i) * x;
            sy += w(i) * y;
            sw += w(i);
        }
        let (x, y) = (sx / sw, sy / sw);
        let (lon, lat) = crs.to_lon_lat(x, y).unwrap_or((f64::NAN, f64::NAN));
        (lon, lat, Some([x, y]))
    } else {
        let mut s = [0.0f64; 3];
        for &i in members {
            let i = i as usize;
            let u = to_unit(set.lon(i), set.lat(i));
            for (a, b) in s.iter_mut().zip(u) {
                *a += w(i) * b;
            }
        }
        let norm = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt();
        if norm < 1e-12 {
            // Points spread evenly around the globe: keep the first.
            (set.lon(first), set.lat(first), None)
        } else {
            let lat = (s[2] / norm).clamp(-1.0, 1.0).asin().to_degrees();
            let lon = s[1].atan2(s[0]).to_degrees();
            (lon, lat, None)
        }
    };
    Place {
        id: format!("cell-{}", c + 1),
        name: None,
        lon,
        lat,
        xy,
        weight: total,
        group: set.group(first),
        cost: None,
        capacity: None,
        fixed: false,
    }
}

/// Straight-line distance between point `i` of `set` and a representative, km.
fn distance_km(set: &PlaceSet, i: usize, q: &Place, planar: bool) -> f64 {
    if planar {
        let ([ax, ay], [bx, by]) = (set.xy(i).unwrap_or_default(), q.xy.unwrap_or_default());
        ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt() / 1000.0
    } else {
        haversine_km(set.lon(i), set.lat(i), q.lon, q.lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(id: &str, lon: f64, lat: f64, weight: f64, group: Option<u32>) -> Place {
        Place {
            id: id.into(),
            name: None,
            lon,
            lat,
            xy: None,
            weight,
            group,
            cost: None,
            capacity: None,
            fixed: false,
        }
    }

    fn set(places: Vec<Place>) -> PlaceSet {
        let mut set = PlaceSet::from_places(places);
        set.source = "t.csv".into();
        set.groups = vec!["a".into(), "b".into()];
        set
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(CellSize::parse("5km"), Ok(CellSize::Grid { km: 5.0 }));
        assert_eq!(CellSize::parse("500m"), Ok(CellSize::Grid { km: 0.5 }));
        assert_eq!(CellSize::parse("2.5"), Ok(CellSize::Grid { km: 2.5 }));
        assert_eq!(CellSize::parse("H3:7"), Ok(CellSize::H3 { resolution: 7 }));
        for bad in [
            "0", "-5km", "nan", "inf", "1e308", "h3:16", "h3:x", "km", "",
        ] {
            assert!(CellSize::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn merges_by_cell_and_group_and_measures_error() {
        // Two points 1 km apart merge; a third of another group at the same
        // spot stays apart; a point 100 km away gets its own cell.
        let a = place("a", 10.0, 45.0, 3.0, Some(0));
        let b = place("b", 10.0 + 1.0 / 78.7, 45.0, 1.0, Some(0));
        let c = place("c", 10.0, 45.0, 5.0, Some(1));
        let d = place("d", 11.3, 45.0, 2.0, Some(0));
        let demand = set(vec![a.clone(), b.clone(), c, d]);
        let agg = aggregate(&demand, CellSize::Grid { km: 20.0 }, &Crs::Wgs84, true).unwrap();
        assert_eq!(agg.cell_of, vec![0, 0, 1, 2]);
        assert_eq!(agg.cells.len(), 3);
        let cell = &agg.cells.place(0);
        assert_eq!(cell.weight, 4.0);
        // The weighted centroid sits a quarter of the way from a to b.
        let ab = haversine_km(a.lon, a.lat, b.lon, b.lat);
        let from_a = haversine_km(a.lon, a.lat, cell.lon, cell.lat);
        assert!((from_a - ab / 4.0).abs() < 1e-6, "{from_a} vs {}", ab / 4.0);
        assert!((agg.max_error_km - 0.75 * ab).abs() < 1e-6);
        assert_eq!(agg.candidates.id(0), "a");
        let total: f64 = agg.cells.total_weight();
        assert_eq!(total, 11.0);
    }

    #[test]
    fn error_is_within_the_cell_diagonal() {
        let mut places = Vec::new();
        for i in 0..400 {
            let lon = -179.9 + (i as f64 * 7.31) % 359.8;
            let lat = -80.0 + (i as f64 * 3.17) % 160.0;
            places.push(place(&i.to_string(), lon, lat, 1.0 + (i % 3) as f64, None));
        }
        for size in [CellSize::Grid { km: 300.0 }, CellSize::H3 { resolution: 2 }] {
            let agg = aggregate(&set(places.clone()), size, &Crs::Wgs84, false).unwrap();
            for (i, p) in places.iter().enumerate() {
                let rep = &agg.cells.place(agg.cell_of[i] as usize);
                let d = haversine_km(p.lon, p.lat, rep.lon, rep.lat);
                assert!(d <= agg.max_error_km + 1e-9);
            }
            // A 300 km square's diagonal is 425 km; H3 resolution 2 cells
            // are about 160 km across their longest edge-to-edge line.
            assert!(agg.max_error_km < 430.0, "{size}: {}", agg.max_error_km);
        }
    }
}
