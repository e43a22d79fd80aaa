//! A coarse land mask (Natural Earth 1:110m country outlines, the file the base map
//! embeds too), used only to notice longitude and latitude given the wrong way round
//! when both are still within range.
//!
//! Kept conservative on purpose: a false alarm teaches planners to ignore warnings,
//! so the set must be mostly off land (or near the poles) as given and mostly on land
//! when swapped before anything is said.

use super::PlaceSet;
use serde_json::Value;
use std::sync::OnceLock;

const WORLD: &str = include_str!("../../data/world_countries_110m.geojson");

/// Fewest places for a verdict: a few points in the sea (say, on small islands the
/// 1:110m outline lacks) say nothing.
const MIN_PLACES: usize = 10;
/// At most this share of places plausible as given...
const GIVEN_MAX: f64 = 0.25;
/// ...and at least this share plausible when swapped.
const SWAPPED_MIN: f64 = 0.75;
/// Most places checked (evenly sampled), to bound the cost on large files.
const SAMPLE: usize = 2000;
/// Reach in degrees of the probes around a point when it is tested swapped, so that
/// coastal towns count as land despite the 1:110m outline.
const SWAPPED_REACH: f64 = 0.5;
/// A wider reach for the places as given: a set is only called "at sea" when it is
/// far from any coast (small islands near a continent, such as Malta, count as land).
const GIVEN_REACH: f64 = 2.0;

struct Polygon {
    /// min lon, min lat, max lon, max lat
    bbox: [f64; 4],
    rings: Vec<Vec<(f64, f64)>>,
}

fn polygons() -> &'static [Polygon] {
    static POLYS: OnceLock<Vec<Polygon>> = OnceLock::new();
    POLYS.get_or_init(|| {
        let doc: Value = serde_json::from_str(WORLD).unwrap_or(Value::Null);
        let mut out = Vec::new();
        let features = doc
            .get("features")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for f in features {
            let Some(g) = f.get("geometry") else { continue };
            let coords = g.get("coordinates").and_then(Value::as_array);
            let polys: Vec<&Value> = match (g.get("type").and_then(Value::as_str), coords) {
                (Some("Polygon"), Some(_)) => vec![g.get("coordinates").unwrap_or(&Value::Null)],
                (Some("MultiPolygon"), Some(c)) => c.iter().collect(),
                _ => Vec::new(),
            };
            for p in polys {
                let rings: Vec<Vec<(f64, f64)>> = p
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|r| {
                        r.as_array()?
                            .iter()
                            .map(|v| Some((v.get(0)?.as_f64()?, v.get(1)?.as_f64()?)))
                            .collect::<Option<Vec<_>>>()
                    })
                    .collect();
                let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                for &(x, y) in rings.iter().flatten() {
                    bbox = [
                        bbox[0].min(x),
                        bbox[1].min(y),
                        bbox[2].max(x),
                        bbox[3].max(y),
                    ];
                }
                if !rings.is_empty() {
                    out.push(Polygon { bbox, rings });
                }
            }
        }
        out
    })
}

/// Even-odd test over all rings, so holes are holes.
fn inside(p: &Polygon, lon: f64, lat: f64) -> bool {
    if lon < p.bbox[0] || lon > p.bbox[2] || lat < p.bbox[1] || lat > p.bbox[3] {
        return false;
    }
    let mut odd = false;
    for ring in &p.rings {
        let n = ring.len();
        for i in 0..n {
            let (xi, yi) = ring[i];
            let (xj, yj) = ring[(i + n - 1) % n];
            if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                odd = !odd;
            }
        }
    }
    odd
}

/// Whether a place is where people plausibly are: within `reach` degrees of land, and
/// not in the polar regions (Antarctica is land in the outline, but no market).
pub(crate) fn plausible(lon: f64, lat: f64, reach: f64) -> bool {
    if !(-56.0..=75.0).contains(&lat) {
        return false;
    }
    let polys = polygons();
    let mut probes = vec![(0.0, 0.0)];
    for r in [reach / 2.0, reach] {
        for (dx, dy) in [
            (1.0, 0.0),
            (-1.0, 0.0),
            (0.0, 1.0),
            (0.0, -1.0),
            (0.7, 0.7),
            (0.7, -0.7),
            (-0.7, 0.7),
            (-0.7, -0.7),
        ] {
            probes.push((dx * r, dy * r));
        }
    }
    probes
        .iter()
        .any(|(dx, dy)| polys.iter().any(|p| inside(p, lon + dx, lat + dy)))
}

/// `Some((share plausible as given, share plausible swapped))` when the places look
/// like longitude and latitude were swapped; `None` otherwise (including when a swap
/// is impossible because some |longitude| exceeds 90).
pub(crate) fn looks_swapped(places: &PlaceSet) -> Option<(f64, f64)> {
    if places.len() < MIN_PLACES || (0..places.len()).any(|i| places.lon(i).abs() > 90.0) {
        return None;
    }
    let step = places.len().div_ceil(SAMPLE);
    let sample: Vec<(f64, f64)> = (0..places.len())
        .step_by(step)
        .map(|i| (places.lon(i), places.lat(i)))
        .collect();
    let n = sample.len() as f64;
    let given = sample
        .iter()
        .filter(|&&(lon, lat)| plausible(lon, lat, GIVEN_REACH))
        .count() as f64
        / n;
    if given > GIVEN_MAX {
        return None;
    }
    let swapped = sample
        .iter()
        .filter(|&&(lon, lat)| plausible(lat, lon, SWAPPED_REACH))
        .count() as f64
        / n;
    (swapped >= SWAPPED_MIN).then_some((given, swapped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cities_are_on_land_and_oceans_are_not() {
        // Paris, Nairobi, Madrid, Lagos, São Paulo, Kolkata
        for (lon, lat) in [
            (2.35, 48.85),
            (36.82, -1.29),
            (-3.7, 40.4),
            (3.38, 6.45),
            (-46.6, -23.5),
            (88.36, 22.57),
        ] {
            assert!(plausible(lon, lat, 0.5), "{lon},{lat}");
        }
        // Mid-Atlantic, Indian Ocean, South Pacific, Antarctica
        for (lon, lat) in [(-30.0, 30.0), (75.0, -20.0), (-130.0, -30.0), (0.0, -80.0)] {
            assert!(!plausible(lon, lat, 2.0), "{lon},{lat}");
        }
    }
}
