//! The travel-cost matrix model (`--costs`): distances are the costs a routing
//! engine or GIS computed for each (demand, site) pair (minutes, seconds,
//! road kilometres), and a pair the matrix does not hold is unreachable.
//!
//! A place becomes a [`MatrixPoint`]: its row (as a demand point) and its
//! column (as a site) in the matrix, found by id, with [`NOT_IN_MATRIX`] for
//! an id the matrix does not name. Keys are the costs themselves. Each row is
//! stored sorted by cost, so "sites within `r`" is a scan of the row's head
//! and the nearest indexed site is the first entry whose site is in the index:
//! no geometry is involved anywhere.

use super::{Metric, SiteIndex};
use crate::input::costs::CostTable;
use crate::input::{Place, PlaceSet};
use crate::sphere::CostUnit;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// The row or column of a place that the matrix does not name.
pub const NOT_IN_MATRIX: u32 = u32::MAX;

/// A place as the matrix sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatrixPoint {
    /// Row of the place as a demand point (origin), or [`NOT_IN_MATRIX`].
    pub row: u32,
    /// Column of the place as a site (destination), or [`NOT_IN_MATRIX`].
    pub col: u32,
}

struct Inner {
    table: CostTable,
    unit: CostUnit,
    rows: FxHashMap<String, u32>,
    cols: FxHashMap<String, u32>,
}

/// A sparse travel-cost matrix as a distance model. Cheap to clone (the
/// table is shared).
///
/// # Units
/// Keys and distances are costs in the matrix's unit ([`CostUnit`]).
#[derive(Clone)]
pub struct CostMatrix {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CostMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CostMatrix")
            .field("source", &self.inner.table.source)
            .field("unit", &self.inner.unit)
            .field("pairs", &self.inner.table.pairs())
            .finish()
    }
}

impl CostMatrix {
    /// The model over a loaded table whose costs are in `unit`.
    pub fn new(table: CostTable, unit: CostUnit) -> Self {
        let index = |ids: &[String]| -> FxHashMap<String, u32> {
            ids.iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i as u32))
                .collect()
        };
        let rows = index(&table.origins);
        let cols = index(&table.destinations);
        CostMatrix {
            inner: Arc::new(Inner {
                table,
                unit,
                rows,
                cols,
            }),
        }
    }

    /// The table.
    pub fn table(&self) -> &CostTable {
        &self.inner.table
    }

    /// The unit of the costs.
    pub fn cost_unit(&self) -> CostUnit {
        self.inner.unit
    }

    /// How the run's places meet the matrix, as notes for the report: the
    /// loader's notes, demand ids with no row, sites (existing or candidate)
    /// with no column, and matrix ids that name no place.
    ///
    /// # Errors
    /// When no demand id or no site id is in the matrix (nothing could be
    /// measured), saying whether the demand and site columns look swapped.
    pub fn check_places(
        &self,
        demand: &PlaceSet,
        sites: &[&PlaceSet],
        opts_hint: &str,
    ) -> Result<Vec<String>, String> {
        let t = &self.inner.table;
        let src = &t.source;
        let mut notes = t.notes.clone();
        let examples = |ids: &mut dyn Iterator<Item = &str>| -> (usize, String) {
            let mut n = 0;
            let mut shown = Vec::new();
            for id in ids {
                if shown.len() < 3 {
                    shown.push(format!("{:?}", crate::sphere::clip_to(id, 40)));
                }
                n += 1;
            }
            (n, shown.join(", "))
        };
        // The matrix keys its rows by demand id: two places with one id would
        // share one row of travel costs, whichever place the row was meant for.
        let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
        for (n, id) in demand.ids().enumerate() {
            if let Some(first) = seen.insert(id, n) {
                return Err(format!(
                    "{}: demand id {:?} names two places (the {} and the {} place of the file), and the cost matrix {src} keys its rows by id, so both would get one row of travel costs; give every demand place its own id (the id column, --id-col)",
                    demand.source,
                    crate::sphere::clip_to(id, 40),
                    ordinal(first + 1),
                    ordinal(n + 1),
                ));
            }
        }
        let site_places: Vec<&str> = sites.iter().flat_map(|s| s.ids()).collect();
        let demand_in_rows = demand
            .ids()
            .filter(|p| self.inner.rows.contains_key(*p))
            .count();
        let sites_in_cols = site_places
            .iter()
            .filter(|p| self.inner.cols.contains_key(**p))
            .count();
        let nothing_demand = !demand.is_empty() && demand_in_rows == 0;
        let nothing_sites = !site_places.is_empty() && sites_in_cols == 0;
        if nothing_demand || nothing_sites {
            let demand_in_cols = demand
                .ids()
                .filter(|p| self.inner.cols.contains_key(*p))
                .count();
            let sites_in_rows = site_places
                .iter()
                .filter(|p| self.inner.rows.contains_key(**p))
                .count();
            let first = |v: &[String]| {
                v.iter()
                    .take(3)
                    .map(|s| format!("{:?}", crate::sphere::clip_to(s, 40)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let swapped = (nothing_demand && demand_in_cols > 0)
                || (nothing_sites && sites_in_rows > 0 && demand_in_rows < demand.len());
            if swapped {
                return Err(format!(
                    "{src}: the demand and site columns look swapped: {demand_in_cols} of {} demand ids are in the matrix's site column and {sites_in_rows} of {} site ids in its demand column, but {demand_in_rows} demand ids and {sites_in_cols} site ids are where they belong; name the columns the other way round with --cost-from-col and --cost-to-col{opts_hint}",
                    demand.len(),
                    site_places.len(),
                ));
            }
            let (what, ids, matrix_ids) = if nothing_demand {
                (
                    "demand",
                    demand.ids().map(str::to_string).collect::<Vec<_>>(),
                    &t.origins,
                )
            } else {
                (
                    "site",
                    site_places.iter().map(|p| p.to_string()).collect(),
                    &t.destinations,
                )
            };
            return Err(format!(
                "{src}: no {what} id is in the cost matrix: the {what} file's ids ({}) match none of the matrix's ({}); the matrix must use the ids of the demand and site files (their id column, --id-col)",
                first(&ids),
                first(matrix_ids)
            ));
        }
        let (n, ex) = examples(&mut demand.ids().filter(|p| !self.inner.rows.contains_key(*p)));
        if n > 0 {
            notes.push(format!(
                "cost matrix {src}: {n} demand point(s) have no row, so no site reaches them: {ex}"
            ));
        }
        let (n, ex) = examples(
            &mut site_places
                .iter()
                .filter(|p| !self.inner.cols.contains_key(**p))
                .copied(),
        );
        if n > 0 {
            notes.push(format!(
                "cost matrix {src}: {n} site(s) have no row at all, so they reach no demand: {ex}"
            ));
        }
        let demand_ids: FxHashSet<&str> = demand.ids().collect();
        let (n, ex) = examples(
            &mut t
                .origins
                .iter()
                .filter(|id| !demand_ids.contains(id.as_str()))
                .map(String::as_str),
        );
        if n > 0 {
            notes.push(format!(
                "cost matrix {src}: {n} demand id(s) match no demand point and are not used: {ex}"
            ));
        }
        let site_ids: FxHashSet<&str> = site_places.iter().copied().collect();
        let (n, ex) = examples(
            &mut t
                .destinations
                .iter()
                .filter(|id| !site_ids.contains(id.as_str()))
                .map(String::as_str),
        );
        if n > 0 && !site_places.is_empty() {
            notes.push(format!(
                "cost matrix {src}: {n} site id(s) match no site or candidate and are not used: {ex}"
            ));
        }
        Ok(notes)
    }
}

impl Metric for CostMatrix {
    type Point = MatrixPoint;
    type Index<'a> = MatrixIndex<'a>;

    fn name(&self) -> &'static str {
        "cost_matrix"
    }

    fn unit(&self) -> &'static str {
        self.inner.unit.symbol()
    }

    fn point(&self, place: &Place) -> MatrixPoint {
        MatrixPoint {
            row: self
                .inner
                .rows
                .get(&place.id)
                .copied()
                .unwrap_or(NOT_IN_MATRIX),
            col: self
                .inner
                .cols
                .get(&place.id)
                .copied()
                .unwrap_or(NOT_IN_MATRIX),
        }
    }

    fn index<'a>(&'a self, sites: &[MatrixPoint]) -> MatrixIndex<'a> {
        MatrixIndex::new(&self.inner.table, sites)
    }

    fn key(&self, distance: f64) -> f64 {
        distance
    }

    fn distance(&self, key: f64) -> f64 {
        key
    }

    fn key_between(&self, demand: &MatrixPoint, site: &MatrixPoint) -> f64 {
        if demand.row == NOT_IN_MATRIX || site.col == NOT_IN_MATRIX {
            return f64::INFINITY;
        }
        self.inner
            .table
            .lookup(demand.row, site.col)
            .unwrap_or(f64::INFINITY)
    }

    /// The largest cost in the matrix: the cost p-median charges a point none
    /// of whose reachable sites is open (unreachable is never cheaper than
    /// the dearest pair).
    fn farthest(&self) -> f64 {
        self.inner.table.max_cost
    }
}

const NONE: u32 = u32::MAX;

/// A set of sites over the matrix: for each matrix column, the indexed
/// positions that hold it (a column may be indexed twice, e.g. an existing
/// site that is also a candidate).
pub struct MatrixIndex<'a> {
    table: &'a CostTable,
    /// Per matrix column, the lowest indexed position holding it, or `NONE`.
    first: Vec<u32>,
    /// Per indexed position, the next position holding the same column, or `NONE`.
    next: Vec<u32>,
}

impl<'a> MatrixIndex<'a> {
    fn new(table: &'a CostTable, sites: &[MatrixPoint]) -> Self {
        let mut first = vec![NONE; table.destinations.len()];
        let mut next = vec![NONE; sites.len()];
        // Walked backwards, so each column's chain is in increasing position.
        for (p, s) in sites.iter().enumerate().rev() {
            if s.col != NOT_IN_MATRIX {
                next[p] = first[s.col as usize];
                first[s.col as usize] = p as u32;
            }
        }
        MatrixIndex { table, first, next }
    }

    fn row(&self, q: &MatrixPoint) -> (&'a [u32], &'a [f64]) {
        if q.row == NOT_IN_MATRIX {
            (&[], &[])
        } else {
            self.table.row(q.row)
        }
    }
}

impl SiteIndex for MatrixIndex<'_> {
    type Point = MatrixPoint;

    fn within(&self, q: &MatrixPoint, key: f64, mut found: impl FnMut(u32)) {
        let (sites, costs) = self.row(q);
        for (s, &c) in sites.iter().zip(costs) {
            if c > key {
                break;
            }
            let mut p = self.first[*s as usize];
            while p != NONE {
                found(p);
                p = self.next[p as usize];
            }
        }
    }

    fn any_within(&self, q: &MatrixPoint, key: f64) -> bool {
        let (sites, costs) = self.row(q);
        sites
            .iter()
            .zip(costs)
            .take_while(|(_, c)| **c <= key)
            .any(|(s, _)| self.first[*s as usize] != NONE)
    }

    fn nearest(&self, q: &MatrixPoint) -> Option<(u32, f64)> {
        let (sites, costs) = self.row(q);
        let mut best: Option<(u32, f64)> = None;
        for (s, &c) in sites.iter().zip(costs) {
            if let Some((_, b)) = best
                && c > b
            {
                break;
            }
            let p = self.first[*s as usize];
            // Equal costs: the lowest indexed position wins.
            if p != NONE && best.is_none_or(|(bp, _)| p < bp) {
                best = Some((p, c));
            }
        }
        best
    }

    fn nearest_k(&self, q: &MatrixPoint, k: usize) -> Vec<(u32, f64)> {
        let (sites, costs) = self.row(q);
        let mut out: Vec<(u32, f64)> = Vec::with_capacity(k.min(sites.len()) + 4);
        let mut last = f64::NEG_INFINITY;
        for (s, &c) in sites.iter().zip(costs) {
            if out.len() >= k && c > last {
                break;
            }
            let mut p = self.first[*s as usize];
            while p != NONE {
                out.push((p, c));
                last = c;
                p = self.next[p as usize];
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out.truncate(k);
        out
    }
}

/// `1st`, `2nd`, `3rd`, `11th`, `22nd`...
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::costs::{CostOptions, load_costs_bytes};
    use proptest::prelude::*;
    use std::path::Path;

    fn place(id: &str) -> Place {
        Place {
            id: id.into(),
            name: None,
            lon: f64::NAN,
            lat: f64::NAN,
            weight: 1.0,
            group: None,
            cost: None,
            capacity: None,
            fixed: false,
            xy: None,
        }
    }

    /// A random sparse matrix over `n_rows` x `n_cols` ids, as (row, col, cost) with small
    /// integer costs so that ties happen.
    fn matrix(pairs: &[(u8, u8, u8)]) -> CostMatrix {
        let mut text = String::from("from,to,minutes\n");
        for (r, c, v) in pairs {
            text.push_str(&format!("d{r},s{c},{v}\n"));
        }
        let t =
            load_costs_bytes(Path::new("m.csv"), text.as_bytes(), &CostOptions::default()).unwrap();
        CostMatrix::new(t, CostUnit::Min)
    }

    proptest! {
        #[test]
        fn queries_match_brute_force(
            pairs in proptest::collection::vec((0u8..5, 0u8..10, 0u8..20), 1..60),
            indexed in proptest::collection::vec(0u8..12, 0..15),
            key in 0.0f64..22.0,
            k in 1usize..8,
        ) {
            let m = matrix(&pairs);
            let sites: Vec<MatrixPoint> = indexed.iter().map(|c| m.point(&place(&format!("s{c}")))).collect();
            let index = m.index(&sites);
            for r in 0..6u8 {
                let q = m.point(&place(&format!("d{r}")));
                let all: Vec<(u32, f64)> = (0..sites.len() as u32)
                    .map(|p| (p, m.key_between(&q, &sites[p as usize])))
                    .filter(|(_, c)| c.is_finite())
                    .collect();
                let mut got = Vec::new();
                index.within(&q, key, |p| got.push(p));
                got.sort_unstable();
                let want: Vec<u32> = all.iter().filter(|(_, c)| *c <= key).map(|x| x.0).collect();
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(index.any_within(&q, key), !want.is_empty());
                let mut sorted = all.clone();
                sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                prop_assert_eq!(index.nearest(&q), sorted.first().copied());
                sorted.truncate(k);
                prop_assert_eq!(index.nearest_k(&q, k), sorted);
            }
        }
    }

    #[test]
    fn swapped_columns_are_detected() {
        let m = matrix(&[(0, 0, 1), (1, 1, 2)]);
        // The demand is named like the matrix's sites, the sites like its demand.
        let demand = PlaceSet::from_places(vec![place("s0"), place("s1")]);
        let sites = PlaceSet::from_places(vec![place("d0")]);
        let e = m.check_places(&demand, &[&sites], "").unwrap_err();
        assert!(e.contains("look swapped"), "{e}");
        let demand = PlaceSet::from_places(vec![place("d0"), place("d7")]);
        let sites = PlaceSet::from_places(vec![place("s0"), place("s5")]);
        let notes = m.check_places(&demand, &[&sites], "").unwrap();
        let all = notes.join("\n");
        assert!(all.contains("1 demand point(s) have no row"), "{all}");
        assert!(all.contains("1 site(s) have no row at all"), "{all}");
        assert!(
            all.contains("1 demand id(s) match no demand point"),
            "{all}"
        );
        assert!(all.contains("1 site id(s) match no site"), "{all}");
    }
}
