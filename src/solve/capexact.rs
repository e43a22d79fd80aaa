//! Proven optima (or a tighter bound) for capacitated coverage: branch and
//! bound on the Lagrangian bound of [`super::capsearch`].
//!
//! # Algorithm
//! Each node fixes some candidates open and some closed. Its bound is the
//! relaxation of [`super::capsearch::lagrangian`] on what is left: the fixed
//! sites and the candidates fixed open add their continuous knapsacks whole,
//! the free candidates compete for the sites (and budget) left, and
//! subgradient steps from the parent's multipliers lower it. The relaxation
//! gives the same value as the linear programme with `x_rj ≤ z_j` (each
//! site's knapsack scales with `z_j`), so branching is what takes the bound
//! below it: on the quick-start data (China, 150 km, capacity 50 M, 10 new
//! sites) the root bound sits 2% above the best plan, as the LP does.
//! Along the way:
//! - every relaxed choice is a plan: its served weight (a maximum flow) may
//!   become the incumbent, and the root and every [`POLISH_EVERY`]-th node
//!   polish theirs with the swap search;
//! - *reduced-cost fixing* (with a site count and no budget): forcing a free
//!   candidate open (closed) changes the relaxed value by a known amount;
//!   when that falls below the cut-off, it is fixed closed (open) for the
//!   subtree;
//! - a node whose bound falls below the cut-off is pruned.
//!
//! Nodes are taken best bound first by [`super::exact::branch_and_bound`],
//! branching on the free candidate the relaxed choices disagree on most.
//!
//! # Cut-off
//! With integer weights and capacities (totals under 9e9), a maximum flow is a
//! whole number, so a better plan serves at least one more unit; otherwise a
//! bound within a relative [`super::exact::REL_TOL`] of the incumbent counts
//! as proof.
//!
//! # Determinism
//! The parallel loops compute each candidate's knapsack on its own; sums run
//! in a fixed order, so the search does not depend on the thread count. A
//! node limit (not time) bounds the default run.

use super::capacity::assign;
use super::capsearch::{Moves, knapsack, marginal_gains, subgradient, swap_search};
use super::exact::{
    Bounded, FREE, IN, OUT, Outcome, REL_TOL, branch_and_bound, integral_weights, whole,
};
use super::mclp::{Limits, budget_slack};
use crate::coverage::CoverageModel;
use rayon::prelude::*;
use std::sync::Arc;
use std::time::Instant;

/// Subgradient iterations at the root and at any other node.
const ROOT_ITERS: u32 = 600;
const NODE_ITERS: u32 = 120;
/// Iterations in a row without a better bound before the step scale halves.
const PATIENCE: u32 = 15;
/// Smallest step scale before a node stops iterating.
const MIN_THETA: f64 = 1e-4;
/// Step scale at the root; children start from their parent's last one,
/// times 4, within [0.02, 1].
const ROOT_THETA: f64 = 0.25;
/// Nodes whose relaxed choice is polished by the swap search: the root, and
/// every this many after it.
const POLISH_EVERY: u64 = 25;
/// Most improving moves of a polishing swap search.
const POLISH_MOVES: usize = 200;

/// Gains evaluated exactly per node under a budget (with a site count, as
/// many as the sites left need).
const GAIN_EVALS: usize = 32;

/// Reduced-cost fixing for a relaxation worth `bound` that takes the `k`
/// free candidates of largest `values`: a candidate outside them forced open
/// gives at most `bound - (k-th value) + its value`, one of them forced closed
/// `bound - its value + (k+1-th value)`; below `cut`, it is fixed the other
/// way in `state`. Lowers `bound_in`/`bound_out`; false when a candidate would
/// be fixed both ways (no better plan in the node).
#[allow(clippy::too_many_arguments)]
fn fix_by_count(
    values: &[f64],
    bound: f64,
    k: usize,
    free: &[bool],
    cut: f64,
    state: &mut [i8],
    bound_in: &mut [f64],
    bound_out: &mut [f64],
) -> bool {
    let n = values.len();
    let mut order: Vec<u32> = (0..n as u32).filter(|&i| free[i as usize]).collect();
    order.sort_by(|&a, &b| {
        values[b as usize]
            .total_cmp(&values[a as usize])
            .then(a.cmp(&b))
    });
    let last = if k > 0 && order.len() >= k {
        values[order[k - 1] as usize].max(0.0)
    } else {
        0.0
    };
    let next = order.get(k).map_or(0.0, |&i| values[i as usize].max(0.0));
    for (rank, &i) in order.iter().enumerate() {
        let i = i as usize;
        let v = values[i].max(0.0);
        if rank < k && v > 0.0 {
            let b = bound - v + next;
            bound_out[i] = bound_out[i].min(b);
            if b < cut {
                if state[i] == OUT {
                    return false;
                }
                state[i] = IN;
            }
        } else {
            let b = bound - last + v;
            bound_in[i] = bound_in[i].min(b);
            if b < cut {
                if state[i] == IN {
                    return false;
                }
                state[i] = OUT;
            }
        }
    }
    true
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub struct CapExact {
    /// New sites of the best plan (candidate indices, not columns), ascending.
    pub set: Vec<u32>,
    /// Weight it serves, fixed sites included.
    pub value: f64,
    /// Upper bound on the weight any plan serves; `value` when proven.
    pub bound: f64,
    /// Whether the search proved `set` optimal.
    pub proven: bool,
    /// Whether the proof counts whole units (integer weights and capacities).
    pub integral: bool,
    /// Nodes bounded, the root included.
    pub nodes: u64,
    /// Candidates fixed at the root (open, closed) by reduced costs.
    pub root_fixed: (usize, usize),
}

struct Search<'a> {
    m: &'a CoverageModel,
    caps: &'a [f64],
    nf: usize,
    limits: &'a Limits,
    /// Every candidate may be opened by the polishing search.
    allowed: Vec<bool>,
    integral: bool,
    /// Slack for rounding in the bound's sums.
    tau: f64,
    best: f64,
    best_set: Vec<u32>,
    max_nodes: u64,
    /// The node being bounded (1 for the root).
    count: u64,
    /// Whether relaxed choices are polished by the swap search (the tests
    /// turn it off to make the tree find the optimum itself).
    polish: bool,
}

/// Per-row weights times multipliers, summed in row order.
fn own(m: &CoverageModel, u: &[f64]) -> f64 {
    m.row_weight.iter().zip(u).map(|(w, u)| w * u).sum()
}

impl Search<'_> {
    fn cost(&self, i: usize) -> f64 {
        self.limits.budget.as_ref().map_or(0.0, |(_, c)| c[i])
    }

    fn cutoff(&self) -> f64 {
        if self.integral {
            self.best + 1.0 - self.tau
        } else {
            self.best + REL_TOL * self.best.abs()
        }
    }

    /// Served weight of the fixed sites and candidates `set`.
    fn served(&self, set: &[u32]) -> f64 {
        let open: Vec<u32> = (0..self.nf as u32)
            .chain(set.iter().map(|&i| i + self.nf as u32))
            .collect();
        let c: Vec<f64> = open.iter().map(|&j| self.caps[j as usize]).collect();
        assign(self.m, &open, &c).assigned
    }

    /// Whether a plan keeps to the site count and the budget.
    fn fits(&self, set: &[u32]) -> bool {
        let spend = set.iter().map(|&i| self.cost(i as usize)).sum();
        self.limits.within(set.len(), spend)
    }

    /// Makes `set` the incumbent if it serves more and keeps to the limits.
    fn offer(&mut self, set: &[u32], value: f64) {
        if !self.fits(set) {
            return;
        }
        if !self.best.is_finite() || value > self.best + REL_TOL * self.best.abs() {
            self.best = value;
            let mut s = set.to_vec();
            s.sort_unstable();
            self.best_set = s;
        }
    }

    /// Knapsack values at `u` of the candidates not fixed closed (0 for the others).
    fn values(&self, state: &[i8], u: &[f64]) -> (f64, Vec<f64>) {
        let (m, caps, nf) = (self.m, self.caps, self.nf);
        let all: Vec<f64> = (0..m.n_candidates)
            .into_par_iter()
            .with_min_len(32)
            .map_init(Vec::new, |buf, j| {
                if j >= nf && state[j - nf] == OUT {
                    return 0.0;
                }
                knapsack(m, j, u, caps[j], buf, None)
            })
            .collect();
        let fixed: f64 = all[..nf].iter().sum::<f64>()
            + (0..state.len())
                .filter(|&i| state[i] == IN)
                .map(|i| all[nf + i])
                .sum::<f64>();
        (fixed, all[nf..].to_vec())
    }

    fn bound_node(
        &mut self,
        state: &mut [i8],
        mu: &[f32],
        theta0: f64,
        iters: u32,
        deadline: Instant,
    ) -> Outcome {
        let (m, nf) = (self.m, self.nf);
        let n = state.len();
        let open_in: Vec<u32> = (0..n as u32).filter(|&i| state[i as usize] == IN).collect();
        let sites = match self.limits.max_sites {
            Some(p) => match p.checked_sub(open_in.len()) {
                Some(left) => Some(left),
                None => return Outcome::Pruned,
            },
            None => None,
        };
        let budget = match &self.limits.budget {
            Some((b, c)) => {
                let left = b - open_in.iter().map(|&i| self.cost(i as usize)).sum::<f64>();
                if left < -budget_slack(*b) {
                    return Outcome::Pruned;
                }
                Some((left.max(0.0), c.clone()))
            }
            None => None,
        };
        let node_limits = Limits {
            max_sites: sites,
            budget,
        };
        let free: Vec<bool> = state.iter().map(|&s| s == FREE).collect();
        if !free.iter().any(|&f| f) || sites == Some(0) {
            let v = self.served(&open_in);
            self.offer(&open_in, v);
            return Outcome::Leaf;
        }
        // The submodular bound: served weight is submodular in the open set,
        // so a plan holding the fixed-open sites serves at most what they
        // serve plus the gains of its free sites, each alone on top of them.
        let open_cols: Vec<bool> = (0..m.n_candidates)
            .map(|j| j < nf || state[j - nf] == IN)
            .collect();
        let cols: Vec<u32> = (0..n as u32)
            .filter(|&i| free[i as usize])
            .map(|i| i + nf as u32)
            .collect();
        let (base, g) = marginal_gains(m, self.caps, open_cols, &cols, sites.unwrap_or(GAIN_EVALS));
        let mut gains = vec![0.0f64; n];
        for (&c, g) in cols.iter().zip(g) {
            gains[c as usize - nf] = g;
        }
        let mut scratch = vec![0.0f64; n];
        let submod = base + super::bound::relaxed_max(&gains, &node_limits, &free, &mut scratch);
        self.offer(&open_in, base);
        if sites == Some(1) && node_limits.budget.is_none() {
            // One site left: the largest gain is exact, and no plan of the
            // subtree serves more than the fixed-open sites plus it.
            if let Some(i) = (0..n)
                .filter(|&i| free[i] && gains[i] > 0.0)
                .min_by(|&a, &b| gains[b].total_cmp(&gains[a]).then(a.cmp(&b)))
            {
                let mut plan = open_in.clone();
                plan.push(i as u32);
                self.offer(&plan, base + gains[i]);
            }
            return Outcome::Leaf;
        }
        if submod < self.cutoff() {
            return Outcome::Pruned;
        }
        let mut u: Vec<f64> = mu.iter().map(|&x| f64::from(x)).collect();
        let mut theta = theta0;
        let (mut best_l, mut best_u) = (f64::INFINITY, u.clone());
        let mut best_v: Vec<f64> = Vec::new();
        let mut best_choice: Vec<f64> = vec![0.0; n];
        let mut xbar = vec![0.0f64; n];
        let mut chosen = vec![0.0f64; n];
        let mut since = 0;
        let target = self.best;
        for it in 0..iters {
            if Instant::now() >= deadline {
                break;
            }
            let (fixed, v) = self.values(state, &u);
            let l = own(m, &u)
                + fixed
                + super::bound::relaxed_max(&v, &node_limits, &free, &mut chosen);
            // A running average of the relaxed choices (for branching).
            let a = if it == 0 { 1.0 } else { 0.1 };
            xbar.iter_mut()
                .zip(&chosen)
                .for_each(|(x, c)| *x = (1.0 - a) * *x + a * c);
            if !best_l.is_finite() || l < best_l - 1e-12 * best_l.abs() {
                best_l = l;
                best_u.copy_from_slice(&u);
                best_v = v;
                best_choice.copy_from_slice(&chosen);
                since = 0;
            } else {
                since += 1;
                if since >= PATIENCE {
                    theta /= 2.0;
                    since = 0;
                }
            }
            if best_l < self.cutoff() || theta < MIN_THETA {
                break;
            }
            // Subgradient: 1 - the share of each row the relaxed choice serves.
            let open: Vec<(usize, f64)> = (0..nf)
                .map(|j| (j, 1.0))
                .chain(open_in.iter().map(|&i| (i as usize + nf, 1.0)))
                .chain(
                    chosen
                        .iter()
                        .enumerate()
                        .filter(|c| *c.1 > 0.0)
                        .map(|(i, &c)| (i + nf, c)),
                )
                .collect();
            let (g, norm) = subgradient(m, self.caps, &u, &open);
            if norm <= 0.0 {
                break;
            }
            let step = theta * (l - target).max(1e-6 * l.abs()) / norm;
            u.iter_mut()
                .zip(&g)
                .for_each(|(u, g)| *u = (*u - step * g).clamp(0.0, 1.0));
        }
        if !best_l.is_finite() {
            // Stopped before any iteration (deadline): the parent's bound stands.
            return Outcome::Branch {
                bound: submod,
                var: (0..n as u32).find(|&i| free[i as usize]).unwrap_or(0),
                bound_in: submod,
                bound_out: submod,
                mu: Arc::new(mu.to_vec()),
                theta: theta0,
            };
        }
        // The relaxed choice as a plan (whole sites only).
        let mut plan: Vec<u32> = open_in.clone();
        plan.extend((0..n as u32).filter(|&i| best_choice[i as usize] >= 1.0));
        plan.sort_unstable();
        let v = self.served(&plan);
        self.offer(&plan, v);
        if self.polish
            && (self.count == 1 || self.count.is_multiple_of(POLISH_EVERY))
            && Instant::now() < deadline
        {
            let mv = Moves {
                limits: self.limits,
                allowed: &self.allowed,
                n_fixed: nf,
            };
            let (s, v, _) = swap_search(m, self.caps, &mv, &plan, POLISH_MOVES, deadline);
            self.offer(&s, v);
        }
        let bound = best_l.min(submod);
        if bound < self.cutoff() {
            return Outcome::Pruned;
        }
        // Reduced-cost fixing with a site count, by either relaxation.
        let (mut bound_of_in, mut bound_of_out) = (vec![bound; n], vec![bound; n]);
        if let (Some(k), None) = (sites, &node_limits.budget) {
            let cut = self.cutoff();
            for (values, b) in [(&best_v, best_l), (&gains, submod)] {
                if !fix_by_count(
                    values,
                    b,
                    k,
                    &free,
                    cut,
                    state,
                    &mut bound_of_in,
                    &mut bound_of_out,
                ) {
                    return Outcome::Pruned;
                }
            }
        }
        // The two relaxations may fix more candidates open together than the
        // limits allow: then no better plan is left in the node.
        let fixed_open: Vec<u32> = (0..n as u32).filter(|&i| state[i as usize] == IN).collect();
        if !self.fits(&fixed_open) {
            return Outcome::Pruned;
        }
        // Branch on the free candidate the relaxed choices disagree on most,
        // ties to the larger knapsack value, then the index.
        let Some(var) = (0..n as u32)
            .filter(|&i| state[i as usize] == FREE)
            .min_by(|&a, &b| {
                let da = (xbar[a as usize] - 0.5).abs();
                let db = (xbar[b as usize] - 0.5).abs();
                da.total_cmp(&db)
                    .then(best_v[b as usize].total_cmp(&best_v[a as usize]))
                    .then(a.cmp(&b))
            })
        else {
            // Every candidate fixed: the plan of the fixed-open ones.
            let v = self.served(&fixed_open);
            self.offer(&fixed_open, v);
            return Outcome::Leaf;
        };
        Outcome::Branch {
            bound,
            var,
            bound_in: bound_of_in[var as usize],
            bound_out: bound_of_out[var as usize],
            mu: Arc::new(best_u.iter().map(|&x| x as f32).collect()),
            theta: (theta * 4.0).clamp(0.02, 1.0),
        }
    }
}

impl Bounded for Search<'_> {
    fn node(
        &mut self,
        count: u64,
        state: &mut [i8],
        mu: &[f32],
        theta: f64,
        deadline: Instant,
    ) -> Outcome {
        self.count = count;
        let iters = if count == 1 { ROOT_ITERS } else { NODE_ITERS };
        self.bound_node(state, mu, theta, iters, deadline)
    }

    fn cutoff(&self) -> f64 {
        Search::cutoff(self)
    }

    fn node_limit(&self) -> u64 {
        self.max_nodes
    }
}

/// Searches capacitated coverage from the plan `start` (candidate indices,
/// serving `start_value`) and the multipliers `u0` (one per row, e.g. those of
/// [`super::capsearch::lagrangian`]), until proven optimal, after `max_nodes`
/// nodes or at `deadline`. `m` holds the `n_fixed` fixed sites first, `caps`
/// one capacity per column.
#[allow(clippy::too_many_arguments)]
pub fn solve(
    m: &CoverageModel,
    caps: &[f64],
    n_fixed: usize,
    limits: &Limits,
    start: &[u32],
    start_value: f64,
    u0: &[f64],
    max_nodes: u64,
    deadline: Instant,
) -> CapExact {
    search(
        m,
        caps,
        n_fixed,
        limits,
        (start, start_value),
        u0,
        max_nodes,
        true,
        deadline,
    )
}

/// [`solve`], with or without polishing relaxed choices.
#[allow(clippy::too_many_arguments)]
fn search(
    m: &CoverageModel,
    caps: &[f64],
    n_fixed: usize,
    limits: &Limits,
    (start, start_value): (&[u32], f64),
    u0: &[f64],
    max_nodes: u64,
    polish: bool,
    deadline: Instant,
) -> CapExact {
    let n = m.n_candidates - n_fixed;
    let integral = integral_weights(m) && caps.iter().all(|&c| !c.is_finite() || whole(c));
    let mut s = Search {
        m,
        caps,
        nf: n_fixed,
        limits,
        allowed: vec![true; n],
        integral,
        tau: 1e-10 * m.coverable_weight(),
        best: f64::NEG_INFINITY,
        best_set: Vec::new(),
        max_nodes,
        count: 1,
        polish,
    };
    let none = s.served(&[]);
    s.offer(&[], none);
    s.offer(start, start_value);
    let root: Vec<i8> = (0..n)
        .map(|i| {
            if m.rows_of(i + n_fixed).is_empty() {
                OUT
            } else {
                FREE
            }
        })
        .collect();
    let mu0: Vec<f32> = u0.iter().map(|&x| x as f32).collect();
    let closed = root.iter().filter(|&&x| x == OUT).count();
    let tree = branch_and_bound(&mut s, root, &mu0, ROOT_THETA, deadline);
    let bound = if tree.proven {
        s.best
    } else {
        tree.open_bound.max(s.best)
    };
    CapExact {
        set: s.best_set.clone(),
        value: s.best,
        bound,
        proven: tree.proven,
        integral,
        nodes: tree.nodes,
        root_fixed: (
            tree.root.iter().filter(|&&x| x == IN).count(),
            tree.root.iter().filter(|&&x| x == OUT).count() - closed,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::capsearch::tests::{exhaustive, instance, served};
    use proptest::prelude::*;
    use std::time::Duration;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// On tiny instances (site counts or budgets, fixed sites, capacities
        /// that bind or not) the search proves the optimum exhaustive search
        /// finds, from an empty start, with or without polishing; stopped after two nodes, its bound is
        /// still above the optimum and its plan serves what it says.
        #[test]
        fn proves_the_exhaustive_optimum(seed in 0u64..1_000_000, budget in any::<bool>(), polish in any::<bool>()) {
            let inst = instance(seed, budget);
            let opt = exhaustive(&inst.m, &inst.caps, inst.nf, &inst.limits);
            let far = Instant::now() + Duration::from_secs(60);
            let zero = vec![0.0; inst.m.n_rows()];
            let start = served(&inst.m, &inst.caps, inst.nf, &[]);
            // Without polishing: the tree itself must find the optimum.
            let r = search(&inst.m, &inst.caps, inst.nf, &inst.limits, (&[], start), &zero, u64::MAX, polish, far);
            prop_assert!(r.proven);
            prop_assert!((r.value - opt).abs() <= 1e-9 * opt.max(1.0), "{} vs {opt}", r.value);
            let check = served(&inst.m, &inst.caps, inst.nf, &r.set);
            prop_assert!((check - r.value).abs() <= 1e-9 * check.max(1.0));
            prop_assert!(inst.limits.max_sites.is_none_or(|p| r.set.len() <= p));
            if let Some((b, c)) = &inst.limits.budget {
                let spend: f64 = r.set.iter().map(|&i| c[i as usize]).sum();
                prop_assert!(spend <= b * (1.0 + 1e-9));
            }
            let cut = solve(&inst.m, &inst.caps, inst.nf, &inst.limits, &[], start, &zero, 2, far);
            prop_assert!(cut.bound >= opt * (1.0 - 1e-9) - 1e-9, "bound {} below {opt}", cut.bound);
            prop_assert!(cut.value <= opt * (1.0 + 1e-9) + 1e-9);
        }
    }
}
