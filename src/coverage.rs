//! The sparse coverage structure the covering solvers work on.
//!
//! For one radius, every demand point's set of covering candidates is found
//! with the spherical index. Demand already covered by a fixed (existing) site
//! is counted once and dropped; demand no candidate reaches is counted and
//! dropped; demand points with the same set of covering candidates are merged
//! into one *row* whose weight is their sum. This shrinking is lossless: every
//! covering objective has the same value on rows as on the original points.
//!
//! Rows and candidates are linked both ways in CSR arrays (offsets + indices),
//! built in fixed-size chunks and merged in demand order, so the structure is
//! the same whatever the thread count. Memory is proportional to the number of
//! distinct (row, candidate) pairs, never to demand x candidates.

use crate::metric::{Metric, Queries, SiteIndex};
use crate::progress::Bar;
use crate::sphere::Radius;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Marks a demand point that is in no row.
pub const NO_ROW: u32 = u32::MAX;

/// Demand points handled per batch; bounds the memory of the raw pair lists.
const BATCH: usize = 1 << 16;
/// Demand points per parallel work unit.
const CHUNK: usize = 2048;

/// Rows of merged demand, linked to the candidates that cover them.
#[derive(Debug, Clone, Default)]
pub struct CoverageModel {
    /// Number of candidate sites (columns).
    pub n_candidates: usize,
    /// Weight of each row.
    pub row_weight: Vec<f64>,
    /// CSR offsets of row -> candidates.
    pub row_off: Vec<usize>,
    /// Candidates covering each row, ascending.
    pub row_cands: Vec<u32>,
    /// CSR offsets of candidate -> rows.
    pub cand_off: Vec<usize>,
    /// Rows each candidate covers, ascending.
    pub cand_rows: Vec<u32>,
    /// Row of each demand point, or [`NO_ROW`].
    pub demand_row: Vec<u32>,
    /// Weight within the radius of a fixed site.
    pub fixed_weight: f64,
    /// Weight out of reach of every site.
    pub unreachable_weight: f64,
    /// Total demand weight.
    pub total_weight: f64,
    /// Number of (demand point, candidate) pairs within the radius, before merging.
    pub pairs: u64,
}

impl CoverageModel {
    /// Candidates covering row `r`.
    #[inline]
    pub fn cands_of(&self, r: usize) -> &[u32] {
        &self.row_cands[self.row_off[r]..self.row_off[r + 1]]
    }

    /// Rows covered by candidate `j`.
    #[inline]
    pub fn rows_of(&self, j: usize) -> &[u32] {
        &self.cand_rows[self.cand_off[j]..self.cand_off[j + 1]]
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.row_weight.len()
    }

    /// Weight the candidates can still add on top of the fixed sites.
    pub fn coverable_weight(&self) -> f64 {
        self.row_weight.iter().sum()
    }

    /// Covered weight (beyond the fixed sites) of a set of open candidates, by a plain scan.
    pub fn covered_by(&self, open: &[bool]) -> f64 {
        (0..self.n_rows())
            .filter(|&r| self.cands_of(r).iter().any(|&j| open[j as usize]))
            .map(|r| self.row_weight[r])
            .sum()
    }
}

/// Builds the coverage model for `radius`.
///
/// `fixed` are the units of sites that are always open; `candidates` those
/// that may be opened (index = candidate number).
pub fn build<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    weights: &[f64],
    fixed: &[M::Point],
    candidates: &[M::Point],
    radius: Radius,
) -> CoverageModel {
    build_reporting(
        metric,
        demand,
        weights,
        fixed,
        candidates,
        radius,
        &Bar::hidden(),
    )
}

/// As [`build`], moving `bar` (counting demand points) as batches are done.
pub fn build_reporting<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    weights: &[f64],
    fixed: &[M::Point],
    candidates: &[M::Point],
    radius: Radius,
    bar: &Bar,
) -> CoverageModel {
    let key = metric.radius_key(&radius);
    build_impl(
        metric,
        demand,
        weights,
        fixed,
        candidates,
        |_| key,
        Some(key),
        bar,
    )
}

/// As [`build`], with a radius (as the metric's key) per demand point; used by
/// the weighted p-center test, where point `i` is covered within `r / w_i`.
pub fn build_with<M: Metric, F>(
    metric: &M,
    demand: &[M::Point],
    weights: &[f64],
    fixed: &[M::Point],
    candidates: &[M::Point],
    key_of: F,
) -> CoverageModel
where
    F: Fn(usize) -> f64 + Sync,
{
    build_impl(
        metric,
        demand,
        weights,
        fixed,
        candidates,
        key_of,
        None,
        &Bar::hidden(),
    )
}

fn build_impl<M: Metric, F>(
    metric: &M,
    demand: &[M::Point],
    weights: &[f64],
    fixed: &[M::Point],
    candidates: &[M::Point],
    key_of: F,
    uniform_key: Option<f64>,
    bar: &Bar,
) -> CoverageModel
where
    F: Fn(usize) -> f64 + Sync,
{
    // With one radius for every point, the indexes prepare lists for it.
    let queries = Queries {
        nearest_two: false,
        within: uniform_key,
    };
    let fixed_index = metric.index_for(fixed, demand, queries);
    let cand_index = metric.index_for(candidates, demand, queries);
    let mut model = CoverageModel {
        n_candidates: candidates.len(),
        demand_row: vec![NO_ROW; demand.len()],
        row_off: vec![0],
        ..CoverageModel::default()
    };
    let mut rows: FxHashMap<Box<[u32]>, u32> = FxHashMap::default();
    for batch_start in (0..demand.len()).step_by(BATCH) {
        let batch_end = (batch_start + BATCH).min(demand.len());
        // Per chunk: for each point, None = covered by a fixed site, Some(list) otherwise.
        let chunks: Vec<(Vec<u8>, Vec<u32>, Vec<u32>)> = (batch_start..batch_end)
            .step_by(CHUNK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|lo| {
                let hi = (lo + CHUNK).min(batch_end);
                let mut kind = Vec::with_capacity(hi - lo);
                let mut lens = Vec::with_capacity(hi - lo);
                let mut flat = Vec::new();
                for (k, u) in demand[lo..hi].iter().enumerate() {
                    let key = key_of(lo + k);
                    if fixed_index.any_within(u, key) {
                        kind.push(1u8);
                        lens.push(0);
                        continue;
                    }
                    let start = flat.len();
                    cand_index.within(u, key, |j| flat.push(j));
                    flat[start..].sort_unstable();
                    kind.push(0);
                    lens.push((flat.len() - start) as u32);
                }
                (kind, lens, flat)
            })
            .collect();
        let mut i = batch_start;
        for (kind, lens, flat) in chunks {
            let mut at = 0usize;
            for (k, len) in kind.into_iter().zip(lens) {
                let w = weights[i];
                model.total_weight += w;
                if k == 1 {
                    model.fixed_weight += w;
                } else if len == 0 {
                    model.unreachable_weight += w;
                } else {
                    let list = &flat[at..at + len as usize];
                    model.pairs += len as u64;
                    let next = model.row_weight.len() as u32;
                    let row = match rows.get(list) {
                        Some(&r) => r,
                        None => {
                            rows.insert(list.into(), next);
                            model.row_weight.push(0.0);
                            model.row_cands.extend_from_slice(list);
                            model.row_off.push(model.row_cands.len());
                            next
                        }
                    };
                    model.row_weight[row as usize] += w;
                    model.demand_row[i] = row;
                    at += len as usize;
                }
                i += 1;
            }
        }
        bar.set(batch_end as u64);
    }
    drop(rows);
    transpose(&mut model);
    model
}

/// Fills candidate -> rows from row -> candidates (counting sort, rows ascending).
fn transpose(m: &mut CoverageModel) {
    let mut count = vec![0usize; m.n_candidates + 1];
    for &j in &m.row_cands {
        count[j as usize + 1] += 1;
    }
    for j in 0..m.n_candidates {
        count[j + 1] += count[j];
    }
    let mut fill = count.clone();
    let mut rows = vec![0u32; m.row_cands.len()];
    for r in 0..m.n_rows() {
        for &j in &m.row_cands[m.row_off[r]..m.row_off[r + 1]] {
            rows[fill[j as usize]] = r as u32;
            fill[j as usize] += 1;
        }
    }
    m.cand_off = count;
    m.cand_rows = rows;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sphere::{haversine_km, to_unit};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn rows_preserve_coverage(
            pts in proptest::collection::vec((-20.0f64..20.0, -20.0f64..20.0, 0.0f64..100.0), 1..150),
            cands in proptest::collection::vec((-20.0f64..20.0, -20.0f64..20.0), 1..12),
            nfixed in 0usize..3,
            km in 100.0f64..1500.0,
            mask in any::<u16>(),
        ) {
            let nfixed = nfixed.min(cands.len() - 1);
            let units: Vec<_> = pts.iter().map(|p| to_unit(p.0, p.1)).collect();
            let weights: Vec<_> = pts.iter().map(|p| p.2).collect();
            let fixed: Vec<_> = cands[..nfixed].iter().map(|c| to_unit(c.0, c.1)).collect();
            let free: Vec<_> = cands[nfixed..].iter().map(|c| to_unit(c.0, c.1)).collect();
            let m = build(&crate::metric::GreatCircle::default(), &units, &weights, &fixed, &free, Radius::from_km(km));
            let open: Vec<bool> = (0..free.len()).map(|j| mask & (1 << j) != 0).collect();
            // Brute force by haversine over the original points.
            let mut want = 0.0;
            for (i, p) in pts.iter().enumerate() {
                let near = |c: &(f64, f64)| haversine_km(p.0, p.1, c.0, c.1) <= km;
                let by_fixed = cands[..nfixed].iter().any(near);
                let by_open = cands[nfixed..].iter().enumerate().any(|(j, c)| open[j] && near(c));
                if by_fixed || by_open { want += weights[i]; }
            }
            let got = m.fixed_weight + m.covered_by(&open);
            prop_assert!((got - want).abs() <= 1e-9 * want.max(1.0), "{} vs {}", got, want);
            let total: f64 = weights.iter().sum();
            prop_assert!((m.fixed_weight + m.unreachable_weight + m.coverable_weight() - total).abs() <= 1e-9 * total.max(1.0));
        }
    }
}
