//! Proven optima for maximal covering with a site count, part by part.
//!
//! Candidates that share no demand row with each other fall into independent
//! *parts* (the connected pieces of the candidate-row graph): 50 km around the
//! world's cities makes over a thousand of them. A branch and bound over the
//! whole instance multiplies the parts' choices (a tree that must settle two
//! fractional spots in different continents visits both orders); solving them
//! apart adds them instead.
//!
//! # Algorithm
//! Let `f_k(q)` be the best weight part `k` can cover with `q` sites. The
//! optimum is the largest `sum_k f_k(q_k)` with `sum_k q_k <= p`, a
//! multiple-choice knapsack solved by dynamic programming over the parts.
//! `f_k` is known only where it was solved, so each part keeps, for every `q`,
//! - a lower bound with a plan: the best plan of at most `q` of its sites
//!   seen so far (the heuristic answer's sites in the part, and every solve);
//! - an upper bound: the Lagrangian bound of the root multipliers `u` of the
//!   whole instance, which splits by part (the part's `sum w_r max(0, 1 - u_r)`
//!   plus its `q` largest candidate sums `sum w_r u_r`), lowered by every
//!   solve, and by `f_k(q) <= f_k(q')` for `q <= q'`.
//!
//! The dynamic programme over the lower bounds gives the incumbent; over the
//! upper bounds, a bound on every plan. Each round solves (by the branch and
//! bound of [`super::exact`] on the part alone) the points `(k, q_k)` of the
//! upper programme's choice not known exactly yet, fewest attempts first,
//! then smallest part first; the first attempt at a point may bound
//! [`NODE_SLICE`] nodes and each later one twice the last, so one hard part
//! does not hold the easy ones up. It ends when the two programmes meet
//! (proven optimal, within [`exact::REL_TOL`] unless the weights are whole) or
//! at the deadline.
//!
//! # Determinism
//! Parts are numbered by their smallest candidate, solved in a fixed order
//! with limits on nodes (not time), and the programmes break ties to the
//! smaller count; each solve is itself deterministic. Only the deadline (a
//! safety stop) can end the search early.

use super::exact::{self, ExactResult};
use super::mclp::Limits;
use crate::coverage::CoverageModel;
use std::time::Instant;

/// Largest share of the usable candidates one part may hold for the split to
/// pay: with one part holding most of the instance, its solves at several
/// counts cost more than one tree over everything.
const MAX_SHARE: f64 = 0.5;
/// Nodes of a part's first solve at a count; each later one doubles them.
const NODE_SLICE: u64 = 256;
/// Most cells (parts times counts) of one dynamic programme.
const MAX_CELLS: usize = 20_000_000;

/// One part: candidates and the rows they cover, ascending (model indices).
pub(crate) struct Part {
    pub(crate) cands: Vec<u32>,
    pub(crate) rows: Vec<u32>,
}

/// The independent parts of the usable candidates (allowed, covering
/// something), numbered by their smallest candidate.
pub(crate) fn parts(m: &CoverageModel, allowed: &[bool]) -> Vec<Part> {
    let n = m.n_candidates;
    let usable = |j: usize| allowed[j] && !m.rows_of(j).is_empty();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for r in 0..m.n_rows() {
        let mut first = None;
        for &j in m.cands_of(r).iter().filter(|&&j| usable(j as usize)) {
            match first {
                None => first = Some(find(&mut parent, j)),
                Some(a) => {
                    let b = find(&mut parent, j);
                    if a != b {
                        // The smaller index becomes the root.
                        let (lo, hi) = (a.min(b), a.max(b));
                        parent[hi as usize] = lo;
                        first = Some(lo);
                    }
                }
            }
        }
    }
    let mut id = vec![u32::MAX; n];
    let mut out: Vec<Part> = Vec::new();
    for j in 0..n {
        if !usable(j) {
            continue;
        }
        let root = find(&mut parent, j as u32) as usize;
        if id[root] == u32::MAX {
            id[root] = out.len() as u32;
            out.push(Part {
                cands: Vec::new(),
                rows: Vec::new(),
            });
        }
        id[j] = id[root];
        out[id[root] as usize].cands.push(j as u32);
    }
    for r in 0..m.n_rows() {
        if let Some(&j) = m.cands_of(r).iter().find(|&&j| usable(j as usize)) {
            out[id[j as usize] as usize].rows.push(r as u32);
        }
    }
    out
}

/// Whether solving `parts` apart is likely to pay for a budget of `p` sites.
pub(crate) fn worth_it(parts: &[Part], p: usize) -> bool {
    let total: usize = parts.iter().map(|q| q.cands.len()).sum();
    let largest = parts.iter().map(|q| q.cands.len()).max().unwrap_or(0);
    let work: usize = parts
        .iter()
        .map(|q| (q.cands.len().min(p) + 1).saturating_mul(p + 1))
        .fold(0usize, usize::saturating_add);
    parts.len() >= 2
        && (largest as f64) <= MAX_SHARE * total as f64
        && parts.len().saturating_mul(p + 1) <= MAX_CELLS
        && work <= 10 * MAX_CELLS
}

/// The model of one part alone (local indices, every candidate usable).
fn sub_model(m: &CoverageModel, part: &Part, local: &mut [u32]) -> CoverageModel {
    for (i, &r) in part.rows.iter().enumerate() {
        local[r as usize] = i as u32;
    }
    let mut cand_off = vec![0];
    let mut cand_rows = Vec::new();
    for &j in &part.cands {
        cand_rows.extend(m.rows_of(j as usize).iter().map(|&r| local[r as usize]));
        cand_off.push(cand_rows.len());
    }
    // Rows' candidates, ascending: the part's candidates are ascending too.
    let mut row_off = vec![0usize; part.rows.len() + 1];
    for &r in &cand_rows {
        row_off[r as usize + 1] += 1;
    }
    for r in 0..part.rows.len() {
        row_off[r + 1] += row_off[r];
    }
    let mut fill = row_off.clone();
    let mut row_cands = vec![0u32; cand_rows.len()];
    for c in 0..part.cands.len() {
        for &r in &cand_rows[cand_off[c]..cand_off[c + 1]] {
            row_cands[fill[r as usize]] = c as u32;
            fill[r as usize] += 1;
        }
    }
    let row_weight: Vec<f64> = part
        .rows
        .iter()
        .map(|&r| m.row_weight[r as usize])
        .collect();
    let total: f64 = row_weight.iter().sum();
    CoverageModel {
        n_candidates: part.cands.len(),
        row_weight,
        row_off,
        row_cands,
        cand_off,
        pairs: cand_rows.len() as u64,
        cand_rows,
        demand_row: Vec::new(),
        fixed_weight: 0.0,
        unreachable_weight: 0.0,
        total_weight: total,
    }
}

/// What is known of one part's `f(q)`, for `q` up to `top`.
struct Table {
    model: CoverageModel,
    /// Global candidate of each local one.
    pub(crate) cands: Vec<u32>,
    /// Best plan seen using at most `q` sites (local candidates) and its weight.
    found: Vec<Option<(f64, Vec<u32>)>>,
    /// Upper bounds on `f(q)` as computed (before monotone tightening).
    raw_ub: Vec<f64>,
    /// Solves of each count so far (each stopped by [`NODE_SLICE`] doubling, or proven).
    attempts: Vec<u32>,
    /// Lower bound of `f(q)` and the count whose plan reaches it.
    lb: Vec<(f64, usize)>,
    /// Upper bound of `f(q)`, monotone.
    ub: Vec<f64>,
}

impl Table {
    fn covered(&self, set: &[u32]) -> f64 {
        let mut open = vec![false; self.model.n_candidates];
        set.iter().for_each(|&c| open[c as usize] = true);
        self.model.covered_by(&open)
    }

    fn offer(&mut self, set: Vec<u32>) {
        let q = set.len();
        debug_assert!(
            q < self.found.len(),
            "a plan of {q} sites for a part of at most {}",
            self.found.len() - 1
        );
        let q = q.min(self.found.len() - 1);
        let v = self.covered(&set);
        if self.found[q].as_ref().is_none_or(|(w, _)| v > *w) {
            self.found[q] = Some((v, set));
        }
    }

    /// Recomputes the monotone bounds; integer weights round upper bounds down.
    fn settle(&mut self, integral: bool) {
        let mut best = (0.0, 0);
        for q in 0..self.found.len() {
            if let Some((v, _)) = &self.found[q]
                && *v > best.0
            {
                best = (*v, q);
            }
            self.lb[q] = best;
        }
        let tau = 1e-10 * self.model.total_weight.max(1.0);
        let mut low = f64::INFINITY;
        for q in (0..self.raw_ub.len()).rev() {
            low = low.min(self.raw_ub[q]);
            self.ub[q] = if integral { (low + tau).floor() } else { low }.max(self.lb[q].0);
        }
    }

    /// Whether `f(q)` is known (within the proof's tolerance).
    fn closed(&self, q: usize, integral: bool) -> bool {
        let lb = self.lb[q].0;
        if integral {
            self.ub[q] <= lb
        } else {
            self.ub[q] <= lb + exact::tolerance(lb)
        }
    }
}

/// The best `sum_k v(k, q_k)` with `sum_k q_k <= p`, and the counts `q_k`
/// (ties to the smaller count).
fn allocate(tables: &[Table], p: usize, v: impl Fn(&Table, usize) -> f64) -> (f64, Vec<usize>) {
    let mut cur = vec![0.0f64; p + 1];
    let mut next = vec![0.0f64; p + 1];
    let mut choice: Vec<Vec<u32>> = Vec::with_capacity(tables.len());
    for t in tables {
        let top = t.ub.len() - 1;
        let mut pick = vec![0u32; p + 1];
        for b in 0..=p {
            let mut best = (cur[b] + v(t, 0), 0);
            for q in 1..=top.min(b) {
                let x = cur[b - q] + v(t, q);
                if x > best.0 {
                    best = (x, q);
                }
            }
            next[b] = best.0;
            pick[b] = best.1 as u32;
        }
        std::mem::swap(&mut cur, &mut next);
        choice.push(pick);
    }
    let mut counts = vec![0; tables.len()];
    let mut b = p;
    for k in (0..tables.len()).rev() {
        counts[k] = choice[k][b] as usize;
        b -= counts[k];
    }
    (cur[p], counts)
}

/// Solves the maximal-covering instance `m` with at most `p` new sites part
/// by part, from the root multipliers `mu` (one per row of `m`) and the best
/// plan `start`. `nodes` counts the nodes bounded before (the root), whose
/// bound `root_bound` holds as well.
#[allow(clippy::too_many_arguments)] // the root's state, handed over whole
pub(crate) fn solve(
    m: &CoverageModel,
    parts: &[Part],
    p: usize,
    start: &[u32],
    mu: &[f32],
    root_bound: f64,
    integral: bool,
    nodes: u64,
    deadline: Instant,
) -> ExactResult {
    let mut local = vec![u32::MAX; m.n_rows()];
    let mut in_start = vec![false; m.n_candidates];
    start.iter().for_each(|&j| in_start[j as usize] = true);
    let mut tables: Vec<Table> = parts
        .iter()
        .map(|part| {
            let model = sub_model(m, part, &mut local);
            let top = part.cands.len().min(p);
            // The Lagrangian bound of the root multipliers, split by part.
            let u = |r: u32| f64::from(mu[r as usize]).max(0.0);
            let base: f64 = part
                .rows
                .iter()
                .map(|&r| m.row_weight[r as usize] * (1.0 - u(r)).max(0.0))
                .sum();
            let mut sums: Vec<f64> = part
                .cands
                .iter()
                .map(|&j| {
                    m.rows_of(j as usize)
                        .iter()
                        .map(|&r| m.row_weight[r as usize] * u(r))
                        .sum()
                })
                .collect();
            sums.sort_by(|a, b| b.total_cmp(a));
            let whole = model.total_weight;
            let mut raw_ub = vec![0.0; top + 1];
            let mut acc = base;
            for q in 1..=top {
                acc += sums[q - 1];
                raw_ub[q] = acc.min(whole);
            }
            let mut t = Table {
                cands: part.cands.clone(),
                found: vec![None; top + 1],
                raw_ub,
                attempts: vec![0; top + 1],
                lb: vec![(0.0, 0); top + 1],
                ub: vec![0.0; top + 1],
                model,
            };
            t.found[0] = Some((0.0, Vec::new()));
            let mine: Vec<u32> = (0..part.cands.len() as u32)
                .filter(|&c| in_start[part.cands[c as usize] as usize])
                .collect();
            t.offer(mine);
            if top == part.cands.len() {
                // Every site of the part fits: it covers the whole part.
                t.offer((0..top as u32).collect());
            }
            t.settle(integral);
            t
        })
        .collect();
    let mut nodes = nodes;
    let mut proven = false;
    let tau = 1e-10 * m.coverable_weight().max(1.0);
    loop {
        let (upper, counts) = allocate(&tables, p, |t, q| t.ub[q]);
        let (lower, _) = allocate(&tables, p, |t, q| t.lb[q].0);
        // Every count of the best share of the bounds known: that share is
        // a plan, so no plan beats the best share of the plans.
        let known = (0..tables.len()).all(|k| tables[k].closed(counts[k], integral));
        let met = known
            || if integral {
                upper < lower + 1.0 - tau
            } else {
                upper <= lower + exact::tolerance(lower)
            };
        if met {
            proven = true;
            break;
        }
        let mut pending: Vec<usize> = (0..tables.len())
            .filter(|&k| !tables[k].closed(counts[k], integral))
            .collect();
        if pending.is_empty() {
            break;
        }
        // Fewest attempts first, then the smallest part.
        pending.sort_by_key(|&k| (tables[k].attempts[counts[k]], tables[k].cands.len(), k));
        let mut stopped = false;
        for k in pending {
            if Instant::now() >= deadline {
                stopped = true;
                break;
            }
            let q = counts[k];
            let t = &mut tables[k];
            let limits = Limits {
                max_sites: Some(q),
                budget: None,
            };
            let all = vec![true; t.model.n_candidates];
            let (_, from) = t.lb[q];
            let seed = t.found[from]
                .as_ref()
                .map(|f| f.1.clone())
                .unwrap_or_default();
            // Each attempt at a count may take twice the nodes of the last: a
            // hard part does not hold the others up (and a limit on nodes, not
            // time, keeps the answer the same on every run).
            let slice = NODE_SLICE << t.attempts[q].min(40);
            let r = exact::solve_within(&t.model, &limits, &all, &seed, slice, deadline);
            nodes += r.nodes;
            t.attempts[q] += 1;
            t.raw_ub[q] = t.raw_ub[q].min(r.bound);
            t.offer(r.set);
            t.settle(integral);
            if r.proven {
                // Known: the plan's own recount is the value (within the
                // tolerance of the proof when weights are fractional), so the
                // point is closed whatever order the sums ran in.
                t.raw_ub[q] = t.lb[q].0;
                t.settle(integral);
            }
            if !r.proven && Instant::now() >= deadline {
                stopped = true;
                break;
            }
        }
        if stopped {
            break;
        }
    }
    let (upper, _) = allocate(&tables, p, |t, q| t.ub[q]);
    let (_, counts) = allocate(&tables, p, |t, q| t.lb[q].0);
    let mut set: Vec<u32> = Vec::new();
    for (t, &q) in tables.iter().zip(&counts) {
        let (_, from) = t.lb[q];
        if let Some((_, plan)) = &t.found[from] {
            set.extend(plan.iter().map(|&c| t.cands[c as usize]));
        }
    }
    set.sort_unstable();
    let mut open = vec![false; m.n_candidates];
    set.iter().for_each(|&j| open[j as usize] = true);
    let value = m.covered_by(&open);
    let bound = if proven {
        if integral {
            value
        } else {
            value + exact::tolerance(value)
        }
    } else {
        upper.min(root_bound).max(value)
    };
    ExactResult {
        set,
        value,
        bound,
        proven,
        integral,
        nodes,
        root_fixed: (0, 0),
        dominated: 0,
        parts: parts.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::build;
    use crate::solve::mclp::tests::best_exhaustive;
    use crate::sphere::{Radius, to_unit};
    use proptest::prelude::*;

    /// Points and candidates in clusters 10 degrees apart, so a radius under
    /// about 500 km leaves the clusters independent.
    fn clustered(pts: &[(u8, f64, f64, u32)], cands: &[(u8, f64, f64)], km: f64) -> CoverageModel {
        let at = |c: u8, x: f64, y: f64| to_unit(10.0 * f64::from(c) + x, y);
        let units: Vec<_> = pts.iter().map(|p| at(p.0, p.1, p.2)).collect();
        let w: Vec<f64> = pts.iter().map(|p| f64::from(p.3)).collect();
        let cu: Vec<_> = cands.iter().map(|c| at(c.0, c.1, c.2)).collect();
        build(
            &crate::metric::GreatCircle::default(),
            &units,
            &w,
            &[],
            &cu,
            Radius::from_km(km),
        )
    }

    #[test]
    fn parts_are_the_pieces_of_the_candidate_row_graph() {
        // Clusters 0 and 2 have two candidates sharing a point; cluster 1 has
        // one candidate; the far candidate covers nothing.
        let m = clustered(
            &[
                (0, 0.0, 0.0, 5),
                (0, 1.2, 0.0, 3),
                (1, 0.0, 0.0, 7),
                (2, 0.0, 0.0, 1),
            ],
            &[
                (2, 0.1, 0.0),
                (0, 0.0, 0.0),
                (1, 0.0, 0.0),
                (0, 0.5, 0.0),
                (2, 0.0, 0.1),
                (5, 0.0, 0.0),
            ],
            100.0,
        );
        let allowed = vec![true; m.n_candidates];
        let got: Vec<(Vec<u32>, usize)> = parts(&m, &allowed)
            .iter()
            .map(|p| (p.cands.clone(), p.rows.len()))
            .collect();
        assert_eq!(got, vec![(vec![0, 4], 1), (vec![1, 3], 2), (vec![2], 1)]);
        // A candidate not allowed leaves its part.
        let mut allowed = allowed;
        allowed[4] = false;
        assert_eq!(parts(&m, &allowed)[0].cands, vec![0]);
        assert!(worth_it(&parts(&m, &vec![true; m.n_candidates]), 2));
    }

    #[test]
    fn the_programme_spends_sites_where_they_pay_most() {
        let table = |ub: Vec<f64>| Table {
            model: clustered(&[], &[], 1.0),
            cands: Vec::new(),
            found: vec![None; ub.len()],
            raw_ub: ub.clone(),
            attempts: vec![0; ub.len()],
            lb: vec![(0.0, 0); ub.len()],
            ub,
        };
        // f1 = 0, 10, 11, 12; f2 = 0, 4, 9 (not concave from 0); f3 = 0, 6.
        let t = vec![
            table(vec![0.0, 10.0, 11.0, 12.0]),
            table(vec![0.0, 4.0, 9.0]),
            table(vec![0.0, 6.0]),
        ];
        let by_hand = [
            (1, 10.0, vec![1, 0, 0]),
            (2, 16.0, vec![1, 0, 1]),
            (3, 20.0, vec![1, 1, 1]),
            (4, 25.0, vec![1, 2, 1]),
            (5, 26.0, vec![2, 2, 1]),
            (9, 27.0, vec![3, 2, 1]),
        ];
        for (p, value, counts) in by_hand {
            assert_eq!(allocate(&t, p, |t, q| t.ub[q]), (value, counts), "p = {p}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(150))]
        #[test]
        fn parts_solved_apart_match_exhaustive_search(
            pts in proptest::collection::vec((0u8..4, 0.0f64..3.0, 0.0f64..3.0, 1u32..100), 4..50),
            cands in proptest::collection::vec((0u8..4, 0.0f64..3.0, 0.0f64..3.0), 2..13),
            p in 1usize..7,
            km in 50.0f64..300.0,
            scale in 0u8..4,
        ) {
            let mut m = clustered(&pts, &cands, km);
            // Whole weights, fractions, and shares summing below 1 or far
            // below (where an absolute tolerance would swallow whole rows).
            let div = [1.0, 7.0, 7e5, 1e15][scale as usize];
            m.row_weight.iter_mut().for_each(|w| *w /= div);
            let allowed = vec![true; m.n_candidates];
            let limits = Limits { max_sites: Some(p), budget: None };
            let far = Instant::now() + std::time::Duration::from_secs(60);
            let r = exact::solve(&m, &limits, &allowed, &[], far);
            let opt = best_exhaustive(&m, p, None);
            let tol = 1e-9 * opt;
            prop_assert!(r.proven);
            prop_assert!(r.set.len() <= p);
            let mut open = vec![false; m.n_candidates];
            r.set.iter().for_each(|&j| open[j as usize] = true);
            prop_assert!((m.covered_by(&open) - r.value).abs() <= tol);
            prop_assert!((r.value - opt).abs() <= tol, "{} vs {}", r.value, opt);
            prop_assert!(r.bound >= opt - tol);
            // The split alone, from multipliers that bound loosely (0: every
            // part bounded by its whole weight) or arbitrarily (0.5, 1), and
            // from no plan: its search must find and prove the optimum.
            let pieces = parts(&m, &allowed);
            let integral = exact::integral_weights(&m);
            for u in [0.0f32, 0.5, 1.0] {
                let mu = vec![u; m.n_rows()];
                let r = solve(&m, &pieces, p, &[], &mu, f64::INFINITY, integral, 0, far);
                prop_assert!(r.proven, "mu {u}");
                prop_assert_eq!(r.parts, pieces.len());
                prop_assert!(r.set.len() <= p);
                prop_assert!((r.value - opt).abs() <= tol, "mu {}: {} vs {}", u, r.value, opt);
                prop_assert!(r.bound >= opt - tol);
            }
        }
    }
}
