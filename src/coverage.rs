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
//! built in fixed-size chunks and merged in demand order (one batch merged on
//! one thread while the next is queried on the others), so the structure is
//! the same whatever the thread count. Rows are then renumbered so that each
//! candidate's rows lie close together in memory, which the solvers' passes
//! over a candidate's rows need to stay in cache. Memory is proportional to
//! the number of distinct (row, candidate) pairs, never to demand x candidates.

use crate::metric::{Metric, Queries, SiteIndex};
use crate::progress::Bar;
use crate::sphere::Radius;
use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// Marks a demand point that is in no row.
pub const NO_ROW: u32 = u32::MAX;

/// Demand points handled per batch; bounds the memory of the raw pair lists.
const BATCH: usize = 1 << 16;
/// Demand points per parallel work unit.
const CHUNK: usize = 2048;

/// Rows from which [`renumber_rows`] pays: below, the solvers' per-row arrays
/// (8 bytes a row) stay in the core's cache in any order. Smaller models keep
/// their rows in demand order, which the heuristics' ties follow (the
/// min-sites search is sensitive to that order: on the China cities at 200 km
/// and 95% a breadth-first order costs it three sites).
const RENUMBER_MIN_ROWS: usize = 1 << 15;

/// A point's list length meaning "covered by a fixed site" (no list).
const COVERED_BY_FIXED: u32 = u32::MAX;

/// One parallel work unit's covering lists, before merging into rows.
struct Chunk {
    /// Per point: the length of its list in `flat`, or [`COVERED_BY_FIXED`].
    lens: Vec<u32>,
    /// Per point: the hash of its list.
    hashes: Vec<u64>,
    /// The lists, one after another, each sorted.
    flat: Vec<u32>,
}

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
    // Distinct candidate lists, as (hash, row); the lists themselves are the
    // rows' slices of `row_cands`.
    let mut rows: HashTable<(u64, u32)> = HashTable::new();
    // One batch's parallel part: each point's covering candidates, sorted, and
    // their hash.
    let query = |batch_start: usize, batch_end: usize| -> Vec<Chunk> {
        (batch_start..batch_end)
            .step_by(CHUNK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|lo| {
                let hi = (lo + CHUNK).min(batch_end);
                let mut chunk = Chunk {
                    lens: Vec::with_capacity(hi - lo),
                    hashes: Vec::with_capacity(hi - lo),
                    flat: Vec::new(),
                };
                for (k, u) in demand[lo..hi].iter().enumerate() {
                    let key = key_of(lo + k);
                    if fixed_index.any_within(u, key) {
                        chunk.lens.push(COVERED_BY_FIXED);
                        chunk.hashes.push(0);
                        continue;
                    }
                    let start = chunk.flat.len();
                    cand_index.within(u, key, |j| chunk.flat.push(j));
                    let list = &mut chunk.flat[start..];
                    list.sort_unstable();
                    chunk.hashes.push(FxBuildHasher.hash_one(&*list));
                    chunk.lens.push((chunk.flat.len() - start) as u32);
                }
                chunk
            })
            .collect()
    };
    // The serial part, in demand order: merge a batch's lists into rows.
    let merge = |model: &mut CoverageModel,
                 rows: &mut HashTable<(u64, u32)>,
                 batch_start: usize,
                 chunks: Vec<Chunk>| {
        let mut i = batch_start;
        for chunk in chunks {
            let mut at = 0usize;
            for (len, hash) in chunk.lens.into_iter().zip(chunk.hashes) {
                let w = weights[i];
                model.total_weight += w;
                if len == COVERED_BY_FIXED {
                    model.fixed_weight += w;
                } else if len == 0 {
                    model.unreachable_weight += w;
                } else {
                    let list = &chunk.flat[at..at + len as usize];
                    model.pairs += len as u64;
                    let found = rows.find(hash, |&(h, r)| {
                        h == hash && model.cands_of(r as usize) == list
                    });
                    let row = match found {
                        Some(&(_, r)) => r,
                        None => {
                            let next = model.row_weight.len() as u32;
                            rows.insert_unique(hash, (hash, next), |&(h, _)| h);
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
    };
    // Batch k is merged on one thread while batch k + 1 is queried on the
    // others: the merge is serial (it numbers rows in demand order), the
    // queries are not.
    let mut pending: Option<(usize, Vec<Chunk>)> = None;
    for batch_start in (0..demand.len()).step_by(BATCH) {
        let batch_end = (batch_start + BATCH).min(demand.len());
        let previous = pending.take();
        let ((), chunks) = rayon::join(
            || {
                if let Some((start, chunks)) = previous {
                    merge(&mut model, &mut rows, start, chunks);
                }
            },
            || query(batch_start, batch_end),
        );
        pending = Some((batch_start, chunks));
        bar.set(batch_start as u64);
    }
    if let Some((start, chunks)) = pending {
        merge(&mut model, &mut rows, start, chunks);
    }
    bar.set(demand.len() as u64);
    drop(rows);
    transpose(&mut model);
    if model.n_rows() >= RENUMBER_MIN_ROWS {
        renumber_rows(&mut model);
    }
    model
}

/// Renumbers the rows so that each candidate's rows lie close together
/// (models of [`RENUMBER_MIN_ROWS`] rows or more).
///
/// Rows are first numbered in demand order, which in a real file (or a
/// shuffled one) scatters a candidate's rows over the whole row range: every
/// pass over a candidate's rows (the bound's site values, local search's
/// gains) then misses the cache on nearly every row. A breadth-first walk over
/// the candidate-row graph, from candidate 0 and then from each candidate not
/// yet reached, numbers the rows in the order it reaches them: a candidate's
/// rows are reached by it or by its neighbours, a short while apart. The walk
/// uses only the graph, so it serves every metric, and it is deterministic.
fn renumber_rows(m: &mut CoverageModel) {
    let nr = m.n_rows();
    let mut new_of = vec![NO_ROW; nr];
    let mut old_of: Vec<u32> = Vec::with_capacity(nr);
    let mut queued = vec![false; m.n_candidates];
    let mut queue = std::collections::VecDeque::new();
    for start in 0..m.n_candidates {
        if queued[start] {
            continue;
        }
        queued[start] = true;
        queue.push_back(start);
        while let Some(j) = queue.pop_front() {
            for &r in m.rows_of(j) {
                if new_of[r as usize] != NO_ROW {
                    continue;
                }
                new_of[r as usize] = old_of.len() as u32;
                old_of.push(r);
                for &k in m.cands_of(r as usize) {
                    if !queued[k as usize] {
                        queued[k as usize] = true;
                        queue.push_back(k as usize);
                    }
                }
            }
        }
    }
    // Every row has a candidate, so the walk reaches every row.
    debug_assert_eq!(old_of.len(), nr);
    let row_weight = old_of.iter().map(|&r| m.row_weight[r as usize]).collect();
    let mut row_off = Vec::with_capacity(nr + 1);
    row_off.push(0);
    let mut row_cands = Vec::with_capacity(m.row_cands.len());
    for &r in &old_of {
        row_cands.extend_from_slice(m.cands_of(r as usize));
        row_off.push(row_cands.len());
    }
    m.row_weight = row_weight;
    m.row_off = row_off;
    m.row_cands = row_cands;
    for row in m.demand_row.iter_mut().filter(|r| **r != NO_ROW) {
        *row = new_of[*row as usize];
    }
    transpose(m);
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

    /// Spread points and candidates over a few thousand km, deterministically.
    fn scattered(n: usize, seed: u64) -> Vec<(f64, f64)> {
        let mut x = seed;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| (-10.0 + 30.0 * next(), 35.0 + 20.0 * next()))
            .collect()
    }

    /// Several batches (so the merge runs beside the next batch's queries):
    /// the same model on 1 and 3 threads; then, renumbered, the two CSR
    /// directions against each other and the coverage of open sets against
    /// brute force.
    #[test]
    fn batches_merge_like_brute_force_on_any_thread_count() {
        let pts = scattered(2 * BATCH + 1234, 7);
        let cands = scattered(40, 99);
        let units: Vec<_> = pts.iter().map(|p| to_unit(p.0, p.1)).collect();
        let weights: Vec<f64> = (0..pts.len()).map(|i| 1.0 + (i % 7) as f64).collect();
        let fixed = vec![to_unit(cands[0].0, cands[0].1)];
        let free: Vec<_> = cands[1..].iter().map(|c| to_unit(c.0, c.1)).collect();
        let km = 400.0;
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    build(
                        &crate::metric::GreatCircle::default(),
                        &units,
                        &weights,
                        &fixed,
                        &free,
                        Radius::from_km(km),
                    )
                })
        };
        let mut m = on(3);
        let one = on(1);
        assert_eq!(m.row_weight, one.row_weight);
        assert_eq!(m.row_cands, one.row_cands);
        assert_eq!(m.cand_rows, one.cand_rows);
        assert_eq!(m.demand_row, one.demand_row);
        // Too few rows to be renumbered by `build`: renumber here, and check
        // the renumbered model below.
        assert!(m.n_rows() < RENUMBER_MIN_ROWS);
        renumber_rows(&mut m);
        assert_ne!(m.row_cands, one.row_cands, "the walk changed nothing");
        // Both directions hold the same pairs, and each list is ascending.
        let mut from_rows: Vec<(u32, u32)> = (0..m.n_rows())
            .flat_map(|r| m.cands_of(r).iter().map(move |&j| (r as u32, j)))
            .collect();
        let mut from_cands: Vec<(u32, u32)> = (0..m.n_candidates)
            .flat_map(|j| m.rows_of(j).iter().map(move |&r| (r, j as u32)))
            .collect();
        from_rows.sort_unstable();
        from_cands.sort_unstable();
        assert_eq!(from_rows, from_cands);
        assert!((0..m.n_candidates).all(|j| m.rows_of(j).is_sorted()));
        for mask in [0u64, 0x5555_5555_5555, 0xffff_ffff_ffff, 0x0f0f_0f0f_0f0f] {
            let open: Vec<bool> = (0..free.len()).map(|j| mask & (1 << j) != 0).collect();
            let mut want = 0.0;
            for (i, p) in pts.iter().enumerate() {
                let near = |c: &(f64, f64)| haversine_km(p.0, p.1, c.0, c.1) <= km;
                if near(&cands[0]) || cands[1..].iter().zip(&open).any(|(c, &o)| o && near(c)) {
                    want += weights[i];
                }
            }
            let got = m.fixed_weight + m.covered_by(&open);
            assert!((got - want).abs() <= 1e-9 * want, "{got} vs {want}");
        }
    }

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
