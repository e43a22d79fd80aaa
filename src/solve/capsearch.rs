//! Capacitated maximal coverage: the weight open sites can serve within their
//! capacities, searched by swaps and bounded by a Lagrangian relaxation.
//!
//! The problem, on the rows of a [`CoverageModel`] whose first `n_fixed`
//! columns are sites already open:
//!
//! ```text
//! max Σ_r w_r y_r   s.t.  Σ_j x_rj = y_r ≤ 1,  Σ_r w_r x_rj ≤ cap_j z_j,
//!                         0 ≤ x_rj ≤ z_j,  z_j ∈ {0, 1},  z within the limits
//! ```
//!
//! (demand is divisible: `x_rj` is the share of row `r` site `j` serves).
//!
//! **Bound.** Relaxing `Σ_j x_rj ≤ 1` with multipliers `u_r ∈ [0, 1]` leaves
//! one continuous knapsack per site: `v_j(u)` is the most site `j` can earn
//! from its rows at profit `1 - u_r` per unit of weight, up to its capacity
//! (rows by profit, the last one split). Then
//! `L(u) = Σ_r w_r u_r + Σ_{fixed} v_j + max_{z within limits} Σ v_j z_j`,
//! the last term relaxed to the `p` best sites and/or the fractional knapsack
//! under a budget, is an upper bound for every `u`; subgradient steps lower it.
//!
//! **Search.** The served weight of a set of open sites is the sum, over the
//! connected pieces of the network (sites linked by rows they both reach), of
//! each piece's maximum flow. A swap (close one new site, open a candidate)
//! changes only the pieces the two touch, so it is evaluated exactly by a
//! flow on those pieces alone; a candidate's gain is at most the smaller of
//! its capacity and the weight left unserved in the pieces it reaches, which
//! orders the candidates and stops the scan once no better swap is possible.

use super::bound::relaxed_max;
use super::capacity::served_on;
use super::mclp::Limits;
use crate::coverage::CoverageModel;
use rayon::prelude::*;
use std::time::Instant;

const NONE: u32 = u32::MAX;

/// Iterations without a lower bound before the step scale is halved.
const PATIENCE: u32 = 40;
/// Iterations over which the bound must fall by 0.01% for the subgradient to go on.
const STALL_WINDOW: u32 = 300;

/// Relaxed choices kept as starting points.
const MAX_HINTS: usize = 8;

/// Whether `a` beats `b` by more than rounding.
fn improves(a: f64, b: f64) -> bool {
    a > b + 1e-10 * b.abs()
}

/// A Lagrangian upper bound on the served weight.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedBound {
    /// Upper bound on the weight the fixed sites and the chosen candidates can serve.
    pub value: f64,
    /// Subgradient iterations run.
    pub iterations: u32,
    /// Whole-site choices of the relaxed problem (candidate indices, not
    /// columns): starting points for the search.
    pub hints: Vec<Vec<u32>>,
    /// The multipliers (one per row) of the best bound.
    pub multipliers: Vec<f64>,
}

/// The continuous knapsack of site `j` at multipliers `u`: its value, and
/// (if `take` is given) the share of each row it takes, as `(row, share)`.
pub(crate) fn knapsack(
    m: &CoverageModel,
    j: usize,
    u: &[f64],
    cap: f64,
    buf: &mut Vec<(f64, u32)>,
    take: Option<&mut Vec<(u32, f64)>>,
) -> f64 {
    buf.clear();
    let (mut reach, mut all) = (0.0, 0.0);
    for &r in m.rows_of(j) {
        let w = m.row_weight[r as usize];
        let profit = 1.0 - u[r as usize];
        if w > 0.0 && profit > 0.0 {
            buf.push((profit, r));
            reach += w;
            all += w * profit;
        }
    }
    if reach <= cap {
        if let Some(t) = take {
            t.extend(buf.iter().map(|&(_, r)| (r, 1.0)));
        }
        return all;
    }
    // Fill the capacity by profit without sorting every row: split the rows
    // around a pivot profit, take the upper part whole if it fits, recurse.
    let by_profit = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    let (mut lo, mut hi) = (0, buf.len());
    let (mut left, mut value) = (cap, 0.0);
    let mut t = take;
    while hi - lo > 16 {
        let mid = lo + (hi - lo) / 2;
        buf[lo..hi].select_nth_unstable_by(mid - lo, by_profit);
        let upper: f64 = buf[lo..mid]
            .iter()
            .map(|&(_, r)| m.row_weight[r as usize])
            .sum();
        if upper <= left {
            for &(profit, r) in &buf[lo..mid] {
                value += m.row_weight[r as usize] * profit;
                if let Some(t) = t.as_deref_mut() {
                    t.push((r, 1.0));
                }
            }
            left -= upper;
            lo = mid;
        } else {
            hi = mid;
        }
    }
    buf[lo..hi].sort_unstable_by(by_profit);
    for &(profit, r) in &buf[lo..hi] {
        if left <= 0.0 {
            break;
        }
        let w = m.row_weight[r as usize];
        let x = w.min(left);
        value += x * profit;
        left -= x;
        if let Some(t) = t.as_deref_mut() {
            t.push((r, x / w));
        }
    }
    value
}

/// Lagrangian upper bound on the weight served within `caps` (one per column
/// of `m`) by the first `n_fixed` columns plus candidates (the other columns,
/// `allowed` and `limits` indexed from `n_fixed`). `lower` (a served weight
/// reached) steers the steps; `served_rows` (the share of each row a solution
/// serves) may give better starting multipliers; stops after `max_iters`, at `deadline`, or once
/// within `tol` of `lower`.
#[allow(clippy::too_many_arguments)]
pub fn lagrangian(
    m: &CoverageModel,
    caps: &[f64],
    n_fixed: usize,
    limits: &Limits,
    allowed: &[bool],
    lower: f64,
    served_rows: Option<&[f64]>,
    max_iters: u32,
    tol: f64,
    deadline: Instant,
) -> ServedBound {
    let nr = m.n_rows();
    let total = m.coverable_weight();
    let mut u = vec![0.0f64; nr];
    if let Some(served) = served_rows {
        // Start from the heuristic's service (served rows at 1) when that gives a lower bound.
        let value = |u: &[f64], chosen: &mut [f64]| {
            let v: Vec<f64> = (0..m.n_candidates)
                .into_par_iter()
                .with_min_len(64)
                .map_init(Vec::new, |buf, j| {
                    if j >= n_fixed && !allowed[j - n_fixed] {
                        return 0.0;
                    }
                    knapsack(m, j, u, caps[j], buf, None)
                })
                .collect();
            let own: f64 = m.row_weight.iter().zip(u).map(|(w, u)| w * u).sum();
            own + v[..n_fixed].iter().sum::<f64>()
                + relaxed_max(&v[n_fixed..], limits, allowed, chosen)
        };
        let mut scratch = vec![0.0f64; m.n_candidates - n_fixed];
        let warm: Vec<f64> = served.to_vec();
        if value(&warm, &mut scratch) < value(&u, &mut scratch) {
            u = warm;
        }
    }
    let mut best = f64::INFINITY;
    let mut theta: f64 = 1.0;
    let mut since = 0u32;
    let mut chosen = vec![0.0f64; m.n_candidates - n_fixed];
    let mut hints: Vec<Vec<u32>> = Vec::new();
    let mut it = 0;
    let mut checkpoint = f64::INFINITY;
    let mut best_u = u.clone();
    while it < max_iters {
        it += 1;
        let v: Vec<f64> = (0..m.n_candidates)
            .into_par_iter()
            .with_min_len(64)
            .map_init(Vec::new, |buf, j| {
                if j >= n_fixed && !allowed[j - n_fixed] {
                    return 0.0;
                }
                knapsack(m, j, &u, caps[j], buf, None)
            })
            .collect();
        let fixed: f64 = v[..n_fixed].iter().sum();
        let sites = relaxed_max(&v[n_fixed..], limits, allowed, &mut chosen);
        let own: f64 = m.row_weight.iter().zip(&u).map(|(w, u)| w * u).sum();
        let l = own + fixed + sites;
        if l < best - 1e-12 * best.abs() || !best.is_finite() {
            best = l;
            best_u.copy_from_slice(&u);
            since = 0;
            let hint: Vec<u32> = (0..chosen.len() as u32)
                .filter(|&j| chosen[j as usize] >= 1.0)
                .collect();
            if it > 10 && !hints.contains(&hint) {
                hints.push(hint);
                if hints.len() > MAX_HINTS {
                    hints.remove(0);
                }
            }
        } else {
            since += 1;
            if since >= PATIENCE {
                theta /= 2.0;
                since = 0;
            }
        }
        let b = best.min(total);
        if b - lower <= tol * b.max(1e-300) || Instant::now() >= deadline || theta < 1e-7 {
            break;
        }
        // A stall rule by iteration count (deterministic): stop when the
        // last STALL_WINDOW iterations lowered the bound by under 0.01%.
        if it % STALL_WINDOW == 0 {
            if checkpoint - best < 1e-4 * best.abs() {
                break;
            }
            checkpoint = best;
        }
        // Subgradient: 1 - (share of each row the relaxed choice serves).
        let open: Vec<(usize, f64)> = (0..n_fixed)
            .map(|j| (j, 1.0))
            .chain(
                chosen
                    .iter()
                    .enumerate()
                    .filter(|c| *c.1 > 0.0)
                    .map(|(j, &c)| (j + n_fixed, c)),
            )
            .collect();
        let (g, norm) = subgradient(m, caps, &u, &open);
        if norm <= 0.0 {
            break;
        }
        let step = theta * (l - lower).max(1e-9 * l.abs()) / norm;
        u.iter_mut()
            .zip(&g)
            .for_each(|(u, g)| *u = (*u - step * g).clamp(0.0, 1.0));
    }
    ServedBound {
        value: best.min(total).max(0.0),
        iterations: it,
        hints,
        multipliers: best_u,
    }
}

/// The projected subgradient of the served-weight bound at multipliers `u`
/// for a relaxed choice (`open`: column and the fraction of it chosen): one
/// minus the share of each row the chosen knapsacks serve, 0 where a step
/// would leave [0, 1]; and its norm weighted by the rows' weights.
pub(crate) fn subgradient(
    m: &CoverageModel,
    caps: &[f64],
    u: &[f64],
    open: &[(usize, f64)],
) -> (Vec<f64>, f64) {
    let shares: Vec<Vec<(u32, f64)>> = open
        .par_iter()
        .map_init(Vec::new, |buf, &(j, _)| {
            let mut t = Vec::new();
            knapsack(m, j, u, caps[j], buf, Some(&mut t));
            t
        })
        .collect();
    let mut served = vec![0.0f64; m.n_rows()];
    for (&(_, z), t) in open.iter().zip(&shares) {
        for &(r, x) in t {
            served[r as usize] += z * x;
        }
    }
    let mut norm = 0.0;
    let g = served
        .iter()
        .zip(u)
        .zip(&m.row_weight)
        .map(|((&s, &u), &w)| {
            let g = 1.0 - s;
            let g = if (u <= 0.0 && g > 0.0) || (u >= 1.0 && g < 0.0) {
                0.0
            } else {
                g
            };
            norm += w * g * g;
            g
        })
        .collect();
    (g, norm)
}

/// A connected piece of the network: open sites linked by rows they share.
#[derive(Debug, Clone)]
struct Piece {
    sites: Vec<u32>,
    /// Rows some site of the piece reaches, ascending.
    rows: Vec<u32>,
    served: f64,
    unserved: f64,
}

fn find(parent: &mut [u32], mut a: u32) -> u32 {
    while parent[a as usize] != a {
        let p = parent[parent[a as usize] as usize];
        parent[a as usize] = p;
        a = p;
    }
    a
}

/// Splits the open `sites` (ascending columns; `open` marks them) and the
/// `rows` (ascending) they may reach into connected pieces with their flows.
fn pieces(
    m: &CoverageModel,
    sites: &[u32],
    rows: &[u32],
    caps: &[f64],
    open: &[bool],
) -> Vec<Piece> {
    let mut parent: Vec<u32> = (0..m.n_candidates as u32).collect();
    let first_open = |r: u32| {
        m.cands_of(r as usize)
            .iter()
            .copied()
            .find(|&j| open[j as usize])
    };
    for &r in rows {
        let mut first = NONE;
        for &j in m.cands_of(r as usize) {
            if open[j as usize] {
                if first == NONE {
                    first = find(&mut parent, j);
                } else {
                    let b = find(&mut parent, j);
                    if b != first {
                        // The smaller root wins, so pieces do not depend on visiting order.
                        let (lo, hi) = (first.min(b), first.max(b));
                        parent[hi as usize] = lo;
                        first = lo;
                    }
                }
            }
        }
    }
    let mut id = vec![NONE; m.n_candidates];
    let mut out: Vec<Piece> = Vec::new();
    for &j in sites {
        let root = find(&mut parent, j) as usize;
        if id[root] == NONE {
            id[root] = out.len() as u32;
            out.push(Piece {
                sites: Vec::new(),
                rows: Vec::new(),
                served: 0.0,
                unserved: 0.0,
            });
        }
        out[id[root] as usize].sites.push(j);
    }
    for &r in rows {
        if let Some(j) = first_open(r) {
            let root = find(&mut parent, j) as usize;
            out[id[root] as usize].rows.push(r);
        }
    }
    out.par_iter_mut().for_each_init(
        || vec![usize::MAX; m.n_candidates],
        |slot, p| {
            p.served = served_on(m, &p.rows, &p.sites, caps, slot);
            let w: f64 = p.rows.iter().map(|&r| m.row_weight[r as usize]).sum();
            p.unserved = (w - p.served).max(0.0);
        },
    );
    out
}

/// An open network split into pieces.
struct Network {
    open: Vec<bool>,
    pieces: Vec<Piece>,
    piece_of_row: Vec<u32>,
    piece_of_site: Vec<u32>,
    served: f64,
}

impl Network {
    fn new(m: &CoverageModel, caps: &[f64], open: Vec<bool>) -> Network {
        let sites: Vec<u32> = (0..m.n_candidates as u32)
            .filter(|&j| open[j as usize])
            .collect();
        let rows: Vec<u32> = (0..m.n_rows() as u32)
            .filter(|&r| m.cands_of(r as usize).iter().any(|&j| open[j as usize]))
            .collect();
        let pieces = pieces(m, &sites, &rows, caps, &open);
        let mut piece_of_row = vec![NONE; m.n_rows()];
        let mut piece_of_site = vec![NONE; m.n_candidates];
        for (k, p) in pieces.iter().enumerate() {
            p.rows
                .iter()
                .for_each(|&r| piece_of_row[r as usize] = k as u32);
            p.sites
                .iter()
                .for_each(|&j| piece_of_site[j as usize] = k as u32);
        }
        let served = pieces.iter().map(|p| p.served).sum();
        Network {
            open,
            pieces,
            piece_of_row,
            piece_of_site,
            served,
        }
    }
}

/// The most opening column `col` can add: its capacity, or the weight no
/// open site reaches plus the weight left unserved in the pieces it touches
/// (`piece_of` a row, `piece` by number), whichever is less. `mark` (one entry
/// per piece number) is stamped with `col` so a piece counts once.
fn gain_bound<'p>(
    m: &CoverageModel,
    caps: &[f64],
    col: u32,
    piece_of: impl Fn(u32) -> u32,
    piece: impl Fn(u32) -> &'p Piece,
    mark: &mut [u32],
) -> f64 {
    let (mut free, mut left) = (0.0, 0.0);
    for &r in m.rows_of(col as usize) {
        let c = piece_of(r);
        if c == NONE {
            free += m.row_weight[r as usize];
        } else if mark[c as usize] != col {
            mark[c as usize] = col;
            left += piece(c).unserved;
        }
    }
    caps[col as usize].min(free + left)
}

/// What opening column `col` adds, exactly: the maximum flow on the pieces it
/// touches (and the rows only it reaches) with it open, less what those pieces
/// served. `mark` as for [`gain_bound`]; `slot` is [`served_on`]'s scratch.
fn gain_exact<'p>(
    m: &CoverageModel,
    caps: &[f64],
    col: u32,
    piece_of: impl Fn(u32) -> u32,
    piece: impl Fn(u32) -> &'p Piece,
    mark: &mut [u32],
    slot: &mut [usize],
) -> f64 {
    let (mut rows, mut sites) = (Vec::new(), vec![col]);
    let mut lost = 0.0;
    for &r in m.rows_of(col as usize) {
        let c = piece_of(r);
        if c == NONE {
            rows.push(r);
        } else if mark[c as usize] != col {
            mark[c as usize] = col;
            let p = piece(c);
            lost += p.served;
            rows.extend_from_slice(&p.rows);
            sites.extend_from_slice(&p.sites);
        }
    }
    served_on(m, &rows, &sites, caps, slot) - lost
}

/// What the search may open: the limits on new sites and which candidates.
pub struct Moves<'a> {
    /// Most new sites and/or budget (costs indexed by candidate).
    pub limits: &'a Limits,
    /// Candidates that may open (indexed by candidate).
    pub allowed: &'a [bool],
    /// Columns of `m` before the candidates: sites always open.
    pub n_fixed: usize,
}

/// How a search went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchStats {
    /// Improving moves made.
    pub moves: usize,
    /// Moves whose served weight was computed exactly.
    pub evaluated: u64,
    /// Whether the deadline stopped it.
    pub timed_out: bool,
}

/// The best move that closes `close` (or only opens, with `None`): the new
/// served weight and the candidate column to open, if it beats the network.
fn best_move(
    m: &CoverageModel,
    caps: &[f64],
    net: &Network,
    mv: &Moves<'_>,
    close: Option<u32>,
    spend: f64,
    count: usize,
) -> (Option<(f64, u32)>, u64) {
    let nf = mv.n_fixed;
    let k = net.pieces.len();
    let cost = |col: u32| {
        mv.limits
            .budget
            .as_ref()
            .map_or(0.0, |(_, c)| c[col as usize - nf])
    };
    // The network without `close`: its piece split again.
    let (sub, sub_of, closed_piece, base) = match close {
        Some(o) => {
            let co = net.piece_of_site[o as usize];
            let piece = &net.pieces[co as usize];
            let mut open = net.open.clone();
            open[o as usize] = false;
            let sites: Vec<u32> = piece.sites.iter().copied().filter(|&j| j != o).collect();
            let sub = pieces(m, &sites, &piece.rows, caps, &open);
            let mut sub_of = vec![NONE; piece.rows.len()];
            for (s, p) in sub.iter().enumerate() {
                for r in &p.rows {
                    let at = piece.rows.binary_search(r).expect("a row of the piece");
                    sub_of[at] = (k + s) as u32;
                }
            }
            let base = net.served - piece.served + sub.iter().map(|p| p.served).sum::<f64>();
            (sub, sub_of, co, base)
        }
        None => (Vec::new(), Vec::new(), NONE, net.served),
    };
    let piece_of = |r: u32| -> u32 {
        let c = net.piece_of_row[r as usize];
        if c != NONE && c == closed_piece {
            let rows = &net.pieces[c as usize].rows;
            sub_of[rows.binary_search(&r).expect("a row of the piece")]
        } else {
            c
        }
    };
    let piece = |c: u32| -> &Piece {
        if (c as usize) < k {
            &net.pieces[c as usize]
        } else {
            &sub[c as usize - k]
        }
    };
    let (spend_left, count_after) = match close {
        Some(o) => (spend - cost(o), count),
        None => (spend, count + 1),
    };
    if mv.limits.max_sites.is_some_and(|p| count_after > p) {
        return (None, 0);
    }
    let mut mark = vec![NONE; k + sub.len()];
    let mut list: Vec<(f64, u32)> = Vec::new();
    for i in 0..(m.n_candidates - nf) as u32 {
        let col = i + nf as u32;
        if !mv.allowed[i as usize] || net.open[col as usize] || Some(col) == close {
            continue;
        }
        if let Some((b, c)) = &mv.limits.budget
            && spend_left + c[i as usize] > b + 1e-9 * b.abs()
        {
            continue;
        }
        let ub = base + gain_bound(m, caps, col, piece_of, piece, &mut mark);
        if improves(ub, net.served) {
            list.push((ub, col));
        }
    }
    list.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut best: Option<(f64, u32)> = None;
    let mut slot = vec![usize::MAX; m.n_candidates];
    let mut evaluated = 0;
    mark.iter_mut().for_each(|x| *x = NONE);
    for (ub, col) in list {
        let bar = best.map_or(net.served, |b| b.0);
        if !improves(ub, bar) {
            break;
        }
        evaluated += 1;
        let value = base + gain_exact(m, caps, col, piece_of, piece, &mut mark, &mut slot);
        if improves(value, bar) {
            best = Some((value, col));
        }
    }
    (best, evaluated)
}

/// Candidates evaluated at once by [`marginal_gains`].
const GAIN_BATCH: usize = 16;

/// The weight the `open` columns serve, and for each column of `cols` an
/// upper bound on what opening it as well would add: exact (a maximum flow on
/// the pieces it touches) for the columns whose gain may be among the `k`
/// largest, `min(capacity, weight left unserved within its reach)` for the
/// others. Served weight is submodular in the open set (a maximum flow into a
/// set of sinks), so no plan holding the open columns serves more than the
/// base plus the gains of its other columns.
pub(crate) fn marginal_gains(
    m: &CoverageModel,
    caps: &[f64],
    open: Vec<bool>,
    cols: &[u32],
    k: usize,
) -> (f64, Vec<f64>) {
    let net = Network::new(m, caps, open);
    let mut mark = vec![NONE; net.pieces.len()];
    let piece_of = |r: u32| net.piece_of_row[r as usize];
    let piece = |c: u32| &net.pieces[c as usize];
    let mut gains: Vec<f64> = cols
        .iter()
        .map(|&col| gain_bound(m, caps, col, piece_of, piece, &mut mark))
        .collect();
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by(|&a, &b| gains[b].total_cmp(&gains[a]).then(a.cmp(&b)));
    // Exact gains, largest first, until the k-th largest beats every bound left.
    let mut top: Vec<f64> = Vec::new();
    for batch in order.chunks(GAIN_BATCH) {
        if k == 0 || top.len() >= k && batch.first().is_none_or(|&i| gains[i] <= top[k - 1]) {
            break;
        }
        let exact: Vec<f64> = batch
            .par_iter()
            .map_init(
                || {
                    (
                        vec![usize::MAX; m.n_candidates],
                        vec![NONE; net.pieces.len()],
                    )
                },
                |(slot, mark), &i| {
                    // Rounding can make a gain a hair negative, never below nothing.
                    gain_exact(m, caps, cols[i], piece_of, piece, mark, slot).max(0.0)
                },
            )
            .collect();
        for (&i, g) in batch.iter().zip(exact) {
            gains[i] = g.min(gains[i]);
            top.push(gains[i]);
        }
        top.sort_by(|a, b| b.total_cmp(a));
    }
    (net.served, gains)
}

/// Swap search on the served weight from `start` (candidate indices): each
/// step makes the best move over every new site to close (or none, if the
/// limits leave room to open one more) and every candidate to open, ties to
/// the lowest indices; stops when no move serves more, after `max_moves`, or
/// at `deadline`. Returns the candidates, their served weight (with the fixed
/// sites) and the statistics.
pub fn swap_search(
    m: &CoverageModel,
    caps: &[f64],
    mv: &Moves<'_>,
    start: &[u32],
    max_moves: usize,
    deadline: Instant,
) -> (Vec<u32>, f64, SearchStats) {
    let nf = mv.n_fixed;
    let mut open = vec![false; m.n_candidates];
    (0..nf).for_each(|j| open[j] = true);
    start.iter().for_each(|&i| open[i as usize + nf] = true);
    let mut net = Network::new(m, caps, open);
    let mut stats = SearchStats::default();
    let cost = |col: usize| mv.limits.budget.as_ref().map_or(0.0, |(_, c)| c[col - nf]);
    loop {
        if stats.moves >= max_moves {
            break;
        }
        if Instant::now() >= deadline {
            stats.timed_out = true;
            break;
        }
        let new: Vec<u32> = (nf as u32..m.n_candidates as u32)
            .filter(|&j| net.open[j as usize])
            .collect();
        let spend: f64 = new.iter().map(|&j| cost(j as usize)).sum();
        let closes: Vec<Option<u32>> = std::iter::once(None)
            .chain(new.iter().map(|&j| Some(j)))
            .collect();
        let results: Vec<(Option<(f64, u32)>, u64)> = closes
            .par_iter()
            .map(|&c| best_move(m, caps, &net, mv, c, spend, new.len()))
            .collect();
        let mut best: Option<(f64, Option<u32>, u32)> = None;
        for (&c, (r, e)) in closes.iter().zip(&results) {
            stats.evaluated += e;
            if let Some((v, col)) = *r
                && best.is_none_or(|b| improves(v, b.0))
            {
                best = Some((v, c, col));
            }
        }
        let Some((_, close, col)) = best else { break };
        let mut open = net.open.clone();
        if let Some(o) = close {
            open[o as usize] = false;
        }
        open[col as usize] = true;
        let next = Network::new(m, caps, open);
        if !improves(next.served, net.served) {
            break;
        }
        net = next;
        stats.moves += 1;
    }
    let set = (nf..m.n_candidates)
        .filter(|&j| net.open[j])
        .map(|j| (j - nf) as u32)
        .collect();
    (set, net.served, stats)
}

/// Iterated swap search: `rounds` times, closes a few of the best answer's
/// new sites and opens as many candidates at random (from `seed`), searches
/// from there, and keeps the result when it serves more. Returns the best
/// candidates, their served weight and how many rounds improved it.
#[allow(clippy::too_many_arguments)]
pub fn iterated_search(
    m: &CoverageModel,
    caps: &[f64],
    mv: &Moves<'_>,
    best: &[u32],
    value: f64,
    rounds: usize,
    seed: u64,
    deadline: Instant,
) -> (Vec<u32>, f64, usize) {
    let nf = mv.n_fixed;
    let n = m.n_candidates - nf;
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move |k: usize| {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % k.max(1) as u64) as usize
    };
    let cost = |i: u32| {
        mv.limits
            .budget
            .as_ref()
            .map_or(0.0, |(_, c)| c[i as usize])
    };
    let (mut set, mut value, mut wins) = (best.to_vec(), value, 0);
    for _ in 0..rounds {
        if set.is_empty() || n == 0 || Instant::now() >= deadline {
            break;
        }
        let k = (set.len() / 5).clamp(1, 3);
        let mut kick = set.clone();
        for _ in 0..k {
            let at = next(kick.len());
            kick.swap_remove(at);
        }
        let mut spend: f64 = kick.iter().map(|&i| cost(i)).sum();
        for _ in 0..k {
            let i = next(n) as u32;
            let fits = mv
                .limits
                .budget
                .as_ref()
                .is_none_or(|(b, _)| spend + cost(i) <= b + 1e-9 * b.abs());
            if mv.allowed[i as usize] && !kick.contains(&i) && !set.contains(&i) && fits {
                kick.push(i);
                spend += cost(i);
            }
        }
        kick.sort_unstable();
        let (s, v, _) = swap_search(m, caps, mv, &kick, usize::MAX, deadline);
        if improves(v, value) {
            (set, value) = (s, v);
            wins += 1;
        }
    }
    (set, value, wins)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::coverage::build;
    use crate::solve::capacity::assign;
    use crate::sphere::{Radius, to_unit};
    use proptest::prelude::*;

    /// Served weight of `fixed` + `set` columns, by one flow on the whole network.
    pub(crate) fn served(m: &CoverageModel, caps: &[f64], nf: usize, set: &[u32]) -> f64 {
        let open: Vec<u32> = (0..nf as u32)
            .chain(set.iter().map(|&i| i + nf as u32))
            .collect();
        let c: Vec<f64> = open.iter().map(|&j| caps[j as usize]).collect();
        assign(m, &open, &c).assigned
    }

    /// The best served weight over every subset within the limits, by enumeration.
    pub(crate) fn exhaustive(m: &CoverageModel, caps: &[f64], nf: usize, limits: &Limits) -> f64 {
        let n = m.n_candidates - nf;
        let mut best = served(m, caps, nf, &[]);
        for mask in 0u32..(1 << n) {
            let set: Vec<u32> = (0..n as u32).filter(|&i| mask >> i & 1 == 1).collect();
            let spend: f64 = set
                .iter()
                .map(|&i| limits.budget.as_ref().map_or(0.0, |(_, c)| c[i as usize]))
                .sum();
            if limits.max_sites.is_some_and(|p| set.len() > p)
                || limits
                    .budget
                    .as_ref()
                    .is_some_and(|(b, _)| spend > b + 1e-9 * b)
            {
                continue;
            }
            best = best.max(served(m, caps, nf, &set));
        }
        best
    }

    pub(crate) struct Instance {
        pub(crate) m: CoverageModel,
        pub(crate) caps: Vec<f64>,
        pub(crate) nf: usize,
        pub(crate) limits: Limits,
    }

    pub(crate) fn instance(seed: u64, budget: bool) -> Instance {
        // A small deterministic generator: points and sites on a 4° square.
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let n_pts = 12 + (next() * 20.0) as usize;
        let n_sites = 6 + (next() * 6.0) as usize;
        let nf = (next() * 2.5) as usize;
        let pts: Vec<_> = (0..n_pts)
            .map(|_| to_unit(next() * 4.0, next() * 4.0))
            .collect();
        let w: Vec<f64> = (0..n_pts).map(|_| 1.0 + (next() * 100.0).floor()).collect();
        let sites: Vec<_> = (0..n_sites)
            .map(|_| to_unit(next() * 4.0, next() * 4.0))
            .collect();
        let m = build(
            &crate::metric::GreatCircle::default(),
            &pts,
            &w,
            &[],
            &sites,
            Radius::from_km(100.0 + next() * 150.0),
        );
        let caps: Vec<f64> = (0..n_sites)
            .map(|_| {
                if next() < 0.15 {
                    f64::INFINITY
                } else {
                    (next() * 400.0).floor()
                }
            })
            .collect();
        let p = 1 + (next() * 3.0) as usize;
        let limits = if budget {
            let costs: Vec<f64> = (nf..n_sites)
                .map(|_| 1.0 + (next() * 9.0).floor())
                .collect();
            Limits {
                max_sites: None,
                budget: Some((6.0 + (next() * 10.0).floor(), costs)),
            }
        } else {
            Limits {
                max_sites: Some(p),
                budget: None,
            }
        };
        Instance {
            m,
            caps,
            nf,
            limits,
        }
    }

    fn solve(inst: &Instance, start: &[u32]) -> (f64, f64, f64) {
        let n = inst.m.n_candidates - inst.nf;
        let allowed = vec![true; n];
        let mv = Moves {
            limits: &inst.limits,
            allowed: &allowed,
            n_fixed: inst.nf,
        };
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let (set, value, _) = swap_search(&inst.m, &inst.caps, &mv, start, 1000, far);
        let (set, value, _) = iterated_search(&inst.m, &inst.caps, &mv, &set, value, 4, 7, far);
        let check = served(&inst.m, &inst.caps, inst.nf, &set);
        assert!(
            (check - value).abs() <= 1e-9 * check.max(1.0),
            "{check} vs {value}"
        );
        let opt = exhaustive(&inst.m, &inst.caps, inst.nf, &inst.limits);
        let b = lagrangian(
            &inst.m,
            &inst.caps,
            inst.nf,
            &inst.limits,
            &allowed,
            value,
            None,
            3000,
            0.0,
            far,
        );
        (value, opt, b.value)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// bound ≥ exhaustive optimum ≥ search result, with a site count or a budget.
        #[test]
        fn bound_above_optimum_above_search(seed in 0u64..1_000_000, budget in any::<bool>()) {
            let inst = instance(seed, budget);
            let (value, opt, bound) = solve(&inst, &[]);
            prop_assert!(value <= opt * (1.0 + 1e-9) + 1e-9, "search {value} above optimum {opt}");
            prop_assert!(bound >= opt * (1.0 - 1e-9) - 1e-9, "bound {bound} below optimum {opt}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Every gain bounds the served weight one more site adds (one flow on
        /// the whole network), the `k` largest are exact, and served weight is
        /// submodular: no pair adds more than its two gains.
        #[test]
        fn marginal_gains_bound_and_match_whole_flows(seed in 0u64..1_000_000, k in 0usize..4) {
            let inst = instance(seed, false);
            let (m, caps, nf) = (&inst.m, &inst.caps, inst.nf);
            let n = m.n_candidates - nf;
            let s: Vec<u32> = (0..n as u32).filter(|i| (seed >> i) & 1 == 1).take(2).collect();
            let mut open = vec![false; m.n_candidates];
            (0..nf).for_each(|j| open[j] = true);
            s.iter().for_each(|&i| open[i as usize + nf] = true);
            let cols: Vec<u32> = (0..n as u32).filter(|i| !s.contains(i)).map(|i| i + nf as u32).collect();
            let (base, gains) = marginal_gains(m, caps, open, &cols, k);
            let here = served(m, caps, nf, &s);
            prop_assert!((base - here).abs() <= 1e-9 * here.max(1.0));
            let truth: Vec<f64> = cols
                .iter()
                .map(|&c| {
                    let mut t = s.clone();
                    t.push(c - nf as u32);
                    served(m, caps, nf, &t) - here
                })
                .collect();
            for (g, t) in gains.iter().zip(&truth) {
                prop_assert!(*g >= t - 1e-9 * here.max(1.0), "gain {g} below {t}");
            }
            let mut sorted = gains.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let mut true_sorted = truth.clone();
            true_sorted.sort_by(|a, b| b.total_cmp(a));
            for q in 0..k.min(sorted.len()) {
                prop_assert!((sorted[q] - true_sorted[q]).abs() <= 1e-9 * here.max(1.0));
            }
            for a in 0..cols.len() {
                for b in a + 1..cols.len() {
                    let mut t = s.clone();
                    t.extend([cols[a] - nf as u32, cols[b] - nf as u32]);
                    let both = served(m, caps, nf, &t) - here;
                    prop_assert!(both <= truth[a] + truth[b] + 1e-9 * here.max(1.0));
                }
            }
        }
    }

    #[test]
    fn search_reaches_the_optimum_on_most_tiny_instances() {
        let (mut hit, mut n) = (0, 0);
        for seed in 0..200u64 {
            let inst = instance(seed, seed % 2 == 1);
            let (value, opt, _) = solve(&inst, &[]);
            n += 1;
            if value >= opt * (1.0 - 1e-9) {
                hit += 1;
            }
        }
        assert!(hit * 10 >= n * 9, "optimal on {hit} of {n}");
    }

    #[test]
    fn bound_is_tight_on_a_knapsack_that_binds() {
        // One fixed site of capacity 10 reaching a point of weight 30: 10 served, and
        // a bound of 10 (the knapsack), where "weight within reach" would give 30.
        let pts = [to_unit(0.0, 0.0)];
        let m = build(
            &crate::metric::GreatCircle::default(),
            &pts,
            &[30.0],
            &[],
            &[to_unit(0.0, 0.0), to_unit(0.1, 0.0)],
            Radius::from_km(50.0),
        );
        let limits = Limits {
            max_sites: Some(1),
            budget: None,
        };
        let far = Instant::now() + std::time::Duration::from_secs(10);
        let b = lagrangian(
            &m,
            &[10.0, 5.0],
            1,
            &limits,
            &[true],
            15.0,
            None,
            1000,
            0.0,
            far,
        );
        assert!((b.value - 15.0).abs() < 1e-6, "{}", b.value);
    }
}
