//! A dense bounded dual simplex for the set-covering LP relaxation at the
//! nodes of the exact set-cover search:
//!
//! ```text
//! min Σ_j x_j   s.t.  Σ_{j ∋ r} x_j - s_r = 1,   lo_j ≤ x_j ≤ up_j,   s_r ≥ 0
//! ```
//!
//! Branching only changes bounds (`[0,1]` free, `[1,1]` open, `[0,0]`
//! closed), and a bound change keeps the reduced costs dual feasible (a
//! nonbasic column moves to the bound its reduced cost's sign asks for), so
//! each node re-optimises from the last basis in a few pivots instead of
//! solving from scratch.
//!
//! The tableau `B⁻¹[A | -I]` is kept whole (rows in parallel): the cores
//! this runs on are a few hundred to a few thousand rows, where a dense
//! pivot costs about a millisecond and needs no factorisation.
//!
//! Nothing here is trusted for a proof: the caller takes the duals (the
//! slacks' reduced costs) as Lagrangian multipliers, whose bound is valid
//! for any non-negative multipliers whatever the rounding in this module.

use rayon::prelude::*;
use std::time::Instant;

/// Primal infeasibility below which a basic value counts as within its bounds.
const PRIMAL_TOL: f64 = 1e-9;
/// Smallest pivot element accepted in the ratio test.
const PIVOT_TOL: f64 = 1e-9;
/// Pivots between recomputations of the basic values and reduced costs from
/// the tableau (against drift).
const REFRESH_EVERY: u64 = 64;
/// Tableau entries above which row updates run in parallel.
const PARALLEL_ENTRIES: usize = 1 << 16;
/// Marks a nonbasic variable in `row_of`.
const NONBASIC: u32 = u32::MAX;

/// How [`CoverLp::solve`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LpEnd {
    /// Primal and dual feasible: the LP optimum.
    Optimal,
    /// No column can repair an uncoverable row: the LP has no solution.
    Infeasible,
    /// The deadline or the pivot limit came first (the duals are still
    /// feasible, so their bound is valid, only not the best).
    Stopped,
}

/// The LP of one set-covering instance, with its current basis.
#[derive(Clone)]
pub(super) struct CoverLp {
    /// Rows.
    m: usize,
    /// Structural columns (the slacks follow them).
    n: usize,
    /// The tableau `B⁻¹[A | -I]`, row-major, `m x (n + m)`.
    t: Vec<f64>,
    /// Reduced costs of every variable.
    d: Vec<f64>,
    /// Values of the basic variables, by row.
    beta: Vec<f64>,
    /// The basic variable of each row.
    basic: Vec<u32>,
    /// The row of each basic variable ([`NONBASIC`] otherwise).
    row_of: Vec<u32>,
    lo: Vec<f64>,
    up: Vec<f64>,
    /// Whether a nonbasic variable sits at its upper bound.
    at_up: Vec<bool>,
    /// Costs: 1 for columns, slightly perturbed (against the stalling of
    /// dual degenerate pivots); 0 for slacks.
    c: Vec<f64>,
    /// Squared norms of the rows of `B⁻¹` (dual steepest-edge weights).
    norms: Vec<f64>,
    /// Pivots since the last refresh.
    since_refresh: u64,
}

impl CoverLp {
    /// The LP with `m` rows and the columns' row lists `cols` (every row
    /// must be in some column), all columns free in `[0, 1]`, from the slack
    /// basis (dual feasible: every reduced cost is the column's cost, 1).
    pub(super) fn new(m: usize, cols: &[Vec<u32>]) -> CoverLp {
        let n = cols.len();
        let w = n + m;
        let mut t = vec![0.0; m * w];
        for (j, rows) in cols.iter().enumerate() {
            for &r in rows {
                t[r as usize * w + j] = -1.0;
            }
        }
        for r in 0..m {
            t[r * w + n + r] = 1.0;
        }
        // Distinct costs in [1, 1 + 1e-7): a column's perturbation moves the
        // LP value by at most 1e-7 per unit, and the caller's bound uses the
        // true costs anyway.
        let mut c: Vec<f64> = (0..n as u64)
            .map(|j| {
                let h = j.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
                1.0 + 1e-7 * (h as f64 / (1u64 << 53) as f64)
            })
            .collect();
        c.resize(w, 0.0);
        let d = c.clone();
        let lo = vec![0.0; w];
        let mut up = vec![1.0; n];
        up.resize(w, f64::INFINITY);
        let mut row_of = vec![NONBASIC; n];
        row_of.extend(0..m as u32);
        CoverLp {
            m,
            n,
            t,
            d,
            beta: vec![-1.0; m],
            basic: (n as u32..w as u32).collect(),
            row_of,
            lo,
            up,
            at_up: vec![false; w],
            c,
            norms: vec![1.0; m],
            since_refresh: 0,
        }
    }

    /// Makes `self` a copy of `other` (same shape), reusing its buffers.
    pub(super) fn copy_from(&mut self, other: &CoverLp) {
        self.t.clone_from(&other.t);
        self.d.clone_from(&other.d);
        self.beta.clone_from(&other.beta);
        self.basic.clone_from(&other.basic);
        self.row_of.clone_from(&other.row_of);
        self.lo.clone_from(&other.lo);
        self.up.clone_from(&other.up);
        self.at_up.clone_from(&other.at_up);
        self.c.clone_from(&other.c);
        self.norms.clone_from(&other.norms);
        (self.m, self.n) = (other.m, other.n);
        self.since_refresh = other.since_refresh;
    }

    /// Sets column `j`'s bounds; a nonbasic column moves to the bound its
    /// reduced cost asks for, so the basis stays dual feasible. Call
    /// [`CoverLp::solve`] after the last change.
    pub(super) fn set_bounds(&mut self, j: usize, lo: f64, up: f64) {
        if self.lo[j] == lo && self.up[j] == up {
            return;
        }
        self.lo[j] = lo;
        self.up[j] = up;
        if self.row_of[j] == NONBASIC {
            self.at_up[j] = self.d[j] < 0.0;
        }
        // The basic values depend on every nonbasic value.
        self.since_refresh = REFRESH_EVERY;
    }

    /// The value of a nonbasic variable.
    fn nonbasic_value(&self, j: usize) -> f64 {
        if self.at_up[j] {
            self.up[j]
        } else {
            self.lo[j]
        }
    }

    /// Column `j`'s value in the current basic solution.
    pub(super) fn value(&self, j: usize) -> f64 {
        match self.row_of[j] {
            NONBASIC => self.nonbasic_value(j),
            r => self.beta[r as usize],
        }
    }

    /// The row duals (the slacks' reduced costs), clipped at zero, into `y`.
    pub(super) fn duals(&self, y: &mut [f64]) {
        for (r, v) in y.iter_mut().enumerate().take(self.m) {
            *v = self.d[self.n + r].max(0.0);
        }
    }

    /// Recomputes the basic values `B⁻¹(b - N x_N)` and the reduced costs
    /// `c - c_B B⁻¹ A` from the tableau.
    fn refresh(&mut self) {
        let (n, w) = (self.n, self.n + self.m);
        let moved: Vec<(usize, f64)> = (0..w)
            .filter(|&j| self.row_of[j] == NONBASIC)
            .map(|j| (j, self.nonbasic_value(j)))
            .filter(|&(_, v)| v != 0.0)
            .collect();
        for r in 0..self.m {
            let row = &self.t[r * w..(r + 1) * w];
            // B⁻¹ = -(the slack part of the tableau); b is all ones.
            let mut v = -row[n..].iter().sum::<f64>();
            for &(j, x) in &moved {
                v -= row[j] * x;
            }
            self.beta[r] = v;
        }
        let mut d = self.c.clone();
        for r in 0..self.m {
            let cb = self.c[self.basic[r] as usize];
            if cb != 0.0 {
                let row = &self.t[r * w..(r + 1) * w];
                d.iter_mut().zip(row).for_each(|(d, &a)| *d -= cb * a);
            }
        }
        for r in 0..self.m {
            let row = &self.t[r * w + n..(r + 1) * w];
            self.norms[r] = row.iter().map(|a| a * a).sum::<f64>().max(1e-12);
        }
        for r in 0..self.m {
            d[self.basic[r] as usize] = 0.0;
        }
        self.d = d;
        self.since_refresh = 0;
    }

    /// Dual simplex pivots until the basis is primal feasible (optimal),
    /// a row cannot be repaired (infeasible), or `deadline` or `max_pivots`.
    pub(super) fn solve(&mut self, deadline: Instant, max_pivots: u64) -> LpEnd {
        let w = self.n + self.m;
        let mut done = 0u64;
        loop {
            if self.since_refresh >= REFRESH_EVERY {
                self.refresh();
            }
            // Leaving row: dual steepest edge, the largest squared bound
            // violation over the squared norm of the row of B⁻¹; ties to the
            // first row.
            let mut leave = None;
            let mut worst = 0.0;
            for r in 0..self.m {
                let k = self.basic[r] as usize;
                let below = self.lo[k] - self.beta[r];
                let above = self.beta[r] - self.up[k];
                let v = below.max(above);
                if v > PRIMAL_TOL && v * v / self.norms[r] > worst {
                    worst = v * v / self.norms[r];
                    leave = Some((r, below > above));
                }
            }
            let Some((r, below)) = leave else {
                return LpEnd::Optimal;
            };
            if done >= max_pivots || (done.is_multiple_of(16) && Instant::now() >= deadline) {
                return LpEnd::Stopped;
            }
            // Entering column: the smallest |d_j / α_j| among the columns
            // that move the leaving value towards its bound; ties to the
            // larger |α_j| (steadier), then the first.
            let row = &self.t[r * w..(r + 1) * w];
            let mut enter = None;
            let mut best = (f64::INFINITY, 0.0);
            for (j, &alpha) in row.iter().enumerate() {
                if self.row_of[j] != NONBASIC
                    || self.lo[j] == self.up[j]
                    || alpha.abs() <= PIVOT_TOL
                {
                    continue;
                }
                // x_B[r] = beta[r] - α_j Δx_j: raising it needs α_j Δx_j < 0.
                let up_side = self.at_up[j];
                let moves = if below {
                    (!up_side && alpha < 0.0) || (up_side && alpha > 0.0)
                } else {
                    (!up_side && alpha > 0.0) || (up_side && alpha < 0.0)
                };
                if !moves {
                    continue;
                }
                let dj = if up_side {
                    (-self.d[j]).max(0.0)
                } else {
                    self.d[j].max(0.0)
                };
                let ratio = dj / alpha.abs();
                if ratio < best.0 - 1e-12 || (ratio <= best.0 + 1e-12 && alpha.abs() > best.1) {
                    best = (ratio, alpha.abs());
                    enter = Some(j);
                }
            }
            let Some(q) = enter else {
                return LpEnd::Infeasible;
            };
            let k = self.basic[r] as usize;
            let target = if below { self.lo[k] } else { self.up[k] };
            self.pivot(r, q, target);
            self.at_up[k] = !below;
            done += 1;
        }
    }

    /// Column `q` enters the basis in row `r`, whose variable leaves at `target`.
    fn pivot(&mut self, r: usize, q: usize, target: f64) {
        let w = self.n + self.m;
        let alpha = self.t[r * w + q];
        let dx = (self.beta[r] - target) / alpha;
        let xq = self.nonbasic_value(q);
        // Reduced costs: d -= (d_q / α) · row r.
        let ratio = self.d[q] / alpha;
        {
            let row = &self.t[r * w..(r + 1) * w];
            self.d
                .iter_mut()
                .zip(row)
                .for_each(|(d, &a)| *d -= ratio * a);
        }
        self.d[q] = 0.0;
        // Basic values.
        for i in 0..self.m {
            if i != r {
                self.beta[i] -= self.t[i * w + q] * dx;
            }
        }
        self.beta[r] = xq + dx;
        // Tableau: row r scaled to a unit pivot, then eliminated from the others.
        let mut pivot_row: Vec<f64> = self.t[r * w..(r + 1) * w].to_vec();
        pivot_row.iter_mut().for_each(|a| *a /= alpha);
        pivot_row[q] = 1.0;
        let n = self.n;
        // The pivot row's nonzeros, when few: rows then update only those.
        let nonzero: Vec<u32> = (0..w as u32)
            .filter(|&j| pivot_row[j as usize] != 0.0)
            .collect();
        let sparse = nonzero.len() * 3 < w;
        // Each row's update, returning the new squared norm of its B⁻¹ part.
        let update = |(i, row): (usize, &mut [f64])| -> Option<f64> {
            let f = row[q];
            if i == r {
                row.copy_from_slice(&pivot_row);
            } else if f == 0.0 {
                return None;
            } else if sparse {
                for &j in &nonzero {
                    row[j as usize] -= f * pivot_row[j as usize];
                }
                row[q] = 0.0;
            } else {
                // One pass: the update, and the squared norm of the B⁻¹ part.
                let (head, tail) = row.split_at_mut(n);
                head.iter_mut()
                    .zip(&pivot_row[..n])
                    .for_each(|(a, &p)| *a -= f * p);
                if q < n {
                    head[q] = 0.0;
                }
                let mut norm = 0.0;
                for (a, &p) in tail.iter_mut().zip(&pivot_row[n..]) {
                    *a -= f * p;
                    norm += *a * *a;
                }
                if q >= n {
                    let v = tail[q - n];
                    tail[q - n] = 0.0;
                    norm -= v * v;
                }
                return Some(norm.max(1e-12));
            }
            Some(row[n..].iter().map(|a| a * a).sum::<f64>().max(1e-12))
        };
        let norms: Vec<Option<f64>> = if self.t.len() >= PARALLEL_ENTRIES {
            self.t.par_chunks_mut(w).enumerate().map(update).collect()
        } else {
            self.t.chunks_mut(w).enumerate().map(update).collect()
        };
        for (old, new) in self.norms.iter_mut().zip(norms) {
            if let Some(v) = new {
                *old = v;
            }
        }
        let k = self.basic[r] as usize;
        self.row_of[k] = NONBASIC;
        self.row_of[q] = r as u32;
        self.basic[r] = q as u32;
        self.since_refresh += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::mclp::SplitMix;
    use std::time::Duration;

    /// The smallest fractional cover by brute force is not at hand, but the
    /// LP optimum is certified by duality: a feasible primal and a feasible
    /// dual of equal value.
    fn check_optimal(lp: &CoverLp, cols: &[Vec<u32>], m: usize, lo: &[f64], up: &[f64]) {
        let n = cols.len();
        let x: Vec<f64> = (0..n).map(|j| lp.value(j)).collect();
        for j in 0..n {
            assert!(
                x[j] >= lo[j] - 1e-7 && x[j] <= up[j] + 1e-7,
                "x[{j}] = {}",
                x[j]
            );
        }
        let mut cover = vec![0.0; m];
        for (j, rows) in cols.iter().enumerate() {
            for &r in rows {
                cover[r as usize] += x[j];
            }
        }
        assert!(cover.iter().all(|&c| c >= 1.0 - 1e-7), "primal infeasible");
        let primal: f64 = x.iter().sum();
        // Lagrangian bound of the duals with the columns' bounds.
        let mut y = vec![0.0; m];
        lp.duals(&mut y);
        let mut dual: f64 = y.iter().sum();
        for (j, rows) in cols.iter().enumerate() {
            let rc = 1.0 - rows.iter().map(|&r| y[r as usize]).sum::<f64>();
            dual += rc * if rc < 0.0 { up[j] } else { lo[j] };
        }
        assert!(
            (primal - dual).abs() <= 1e-6 * primal.max(1.0),
            "primal {primal} dual {dual}"
        );
    }

    #[test]
    fn solves_random_covers_and_rebounds_to_the_same_optimum_as_a_fresh_start() {
        let mut g = SplitMix(7);
        for case in 0..200 {
            let m = 3 + (g.next_u64() % 40) as usize;
            let n = 2 + (g.next_u64() % 40) as usize;
            let density = 0.05 + (g.next_u64() % 30) as f64 / 100.0;
            let mut cols: Vec<Vec<u32>> = (0..n)
                .map(|_| {
                    (0..m as u32)
                        .filter(|_| (g.next_u64() % 1000) as f64 / 1000.0 < density)
                        .collect()
                })
                .collect();
            // Every row in some column.
            for r in 0..m as u32 {
                if !cols.iter().any(|c| c.contains(&r)) {
                    let j = (g.next_u64() % n as u64) as usize;
                    cols[j].push(r);
                    cols[j].sort_unstable();
                }
            }
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut lp = CoverLp::new(m, &cols);
            assert_eq!(lp.solve(deadline, u64::MAX), LpEnd::Optimal, "case {case}");
            let (mut lo, mut up) = (vec![0.0; n], vec![1.0; n]);
            check_optimal(&lp, &cols, m, &lo, &up);
            // Walk through bound changes as a tree search would, and compare
            // each warm-started optimum with a fresh solve of the same bounds.
            for _ in 0..6 {
                let j = (g.next_u64() % n as u64) as usize;
                let (l, u) = match g.next_u64() % 3 {
                    0 => (0.0, 0.0),
                    1 => (1.0, 1.0),
                    _ => (0.0, 1.0),
                };
                lo[j] = l;
                up[j] = u;
                lp.set_bounds(j, l, u);
                let warm = lp.solve(deadline, u64::MAX);
                let mut fresh = CoverLp::new(m, &cols);
                for k in 0..n {
                    fresh.set_bounds(k, lo[k], up[k]);
                }
                let cold = fresh.solve(deadline, u64::MAX);
                assert_eq!(warm, cold, "case {case}");
                if warm == LpEnd::Optimal {
                    check_optimal(&lp, &cols, m, &lo, &up);
                    let a: f64 = (0..n).map(|k| lp.value(k)).sum();
                    let b: f64 = (0..n).map(|k| fresh.value(k)).sum();
                    assert!(
                        (a - b).abs() <= 1e-6 * a.max(1.0),
                        "case {case}: {a} vs {b}"
                    );
                } else {
                    // Infeasible only when some row has every column closed.
                    assert!((0..m as u32).any(|r| {
                        cols.iter()
                            .enumerate()
                            .filter(|(_, c)| c.contains(&r))
                            .all(|(k, _)| up[k] == 0.0)
                    }));
                }
            }
        }
    }
}
