//! The backup objective (Hogan & ReVelle 1986): most weight within reach of
//! at least two open outlets, so that it stays covered while any one is out,
//! with primary coverage (at least one outlet) breaking ties; or, with
//! `--backup-weight W`, the mix `W x backup + (1 - W) x primary`.
//!
//! The search works on the coverage structure with the existing outlets as
//! candidates that are always open (a point one outlet covers still needs a
//! second). Tiny instances are enumerated (proven optimal); otherwise a
//! greedy start is improved by swaps. The bound counts covers: every
//! backup-covered point is counted at least twice in the weight the open
//! sites reach, so backup weight is at most half the weight the existing
//! outlets and the `p` best candidates reach (and at most the weight two
//! sites can reach at all).

use super::Chosen;
use crate::coverage::{self, CoverageModel};
use crate::metric::Metric;
use crate::progress::Progress;
use crate::report::BoundReport;
use crate::solve::exhaustive::binomial;
use crate::sphere::Radius;
use std::time::Instant;

/// Row visits up to which every set of new sites is enumerated.
const EXHAUSTIVE_WORK: u64 = 60_000_000;
/// Row visits the swap search may spend, so answers do not depend on the machine.
const SWAP_WORK: u64 = 2_000_000_000;

/// A set's value: the objective, then primary coverage as the tie-breaker.
type Score = (f64, f64);

/// The demand, sites and settings of one backup plan.
pub(super) struct Backup<'a, M: Metric> {
    pub(super) metric: &'a M,
    pub(super) demand: &'a [M::Point],
    pub(super) weights: &'a [f64],
    pub(super) fixed: &'a [M::Point],
    pub(super) cands: &'a [M::Point],
    /// Which candidates may open (not those on an existing outlet's spot).
    pub(super) allowed: &'a [bool],
    pub(super) radius: Radius,
    /// Weight of backup cover in the objective (1: backup only).
    pub(super) mix: f64,
    pub(super) add: usize,
}

/// Plans `add` new sites for backup cover.
pub(super) fn plan_backup<M: Metric>(
    b: &Backup<'_, M>,
    deadline: Instant,
    progress: &Progress,
) -> Chosen {
    progress.stage("building the coverage structure (backup)");
    let nf = b.fixed.len();
    let all: Vec<M::Point> = b.fixed.iter().chain(b.cands).copied().collect();
    let m = coverage::build(b.metric, b.demand, b.weights, &[], &all, b.radius);
    let search = Search::new(&m, nf, b.mix);
    let useful: Vec<u32> = (nf..m.n_candidates)
        .filter(|&j| b.allowed[j - nf] && !m.rows_of(j).is_empty())
        .map(|j| j as u32)
        .collect();
    let p = b.add.min(useful.len());
    let per_set = (p.max(1) * m.row_cands.len() / m.n_candidates.max(1)).max(1) as u64;
    let sets = binomial(useful.len(), p);
    let (set, score, exact) = if sets.saturating_mul(per_set) <= EXHAUSTIVE_WORK {
        progress.stage("backup: every set of new sites");
        let (set, score) = search.enumerate(&useful, p);
        (set, score, true)
    } else {
        progress.stage("backup: greedy");
        let start = search.greedy(&useful, p);
        progress.stage("backup: swaps");
        let (set, score) = search.swaps(&useful, start, deadline);
        (set, score, false)
    };
    let bound = if exact {
        BoundReport {
            proven: None,
            value: score.0,
            gap: 0.0,
            method: "exhaustive search (proven optimal)".into(),
            achieved: score.0,
        }
    } else {
        BoundReport {
            proven: None,
            value: search.counting_bound(&useful, p).max(score.0),
            gap: 0.0,
            method: if b.mix > 0.0 {
                "counting bound: a backup-covered point is reached at least twice (upper bound)"
            } else {
                "counting bound: a covered point is reached at least once (upper bound)"
            }
            .into(),
            achieved: 0.0,
        }
    };
    Chosen {
        set: set.iter().map(|&j| j - nf as u32).collect(),
        bound: Some(bound),
        passed: true,
        notes: vec![format!(
            "backup: {} rows from {} pairs; {}",
            m.n_rows(),
            m.pairs,
            if exact {
                format!("all {sets} sets of {p} new sites compared")
            } else {
                "greedy, then swaps".to_string()
            }
        )],
    }
}

/// Backup search state over one coverage structure: sites `0..nf` are the
/// existing outlets, always open.
struct Search<'m> {
    m: &'m CoverageModel,
    nf: usize,
    mix: f64,
    /// Cover counts of the rows with only the existing outlets open.
    base: Vec<u32>,
}

impl<'m> Search<'m> {
    fn new(m: &'m CoverageModel, nf: usize, mix: f64) -> Self {
        let mut base = vec![0u32; m.n_rows()];
        for j in 0..nf {
            for &r in m.rows_of(j) {
                base[r as usize] += 1;
            }
        }
        Search { m, nf, mix, base }
    }

    /// The score of rows with `count` covers.
    fn score(&self, count: &[u32]) -> Score {
        let (mut backup, mut primary) = (0.0, 0.0);
        for (r, &c) in count.iter().enumerate() {
            let w = self.m.row_weight[r];
            if c >= 1 {
                primary += w;
            }
            if c >= 2 {
                backup += w;
            }
        }
        (self.mix * backup + (1.0 - self.mix) * primary, primary)
    }

    /// The change in score from opening `i` (`sign` 1) or closing it (`sign` -1).
    fn delta(&self, count: &[u32], i: usize, open: bool) -> Score {
        let (mut backup, mut primary) = (0.0, 0.0);
        for &r in self.m.rows_of(i) {
            let w = self.m.row_weight[r as usize];
            match (open, count[r as usize]) {
                (true, 0) => primary += w,
                (true, 1) => backup += w,
                (false, 1) => primary -= w,
                (false, 2) => backup -= w,
                _ => {}
            }
        }
        (self.mix * backup + (1.0 - self.mix) * primary, primary)
    }

    /// Every `p`-subset of `useful`, the best by score (ties: the first in order).
    fn enumerate(&self, useful: &[u32], p: usize) -> (Vec<u32>, Score) {
        let mut count = self.base.clone();
        let mut pick: Vec<usize> = (0..p).collect();
        let mut best: (Vec<u32>, Score) = (Vec::new(), (f64::NEG_INFINITY, 0.0));
        let n = useful.len();
        loop {
            for &k in &pick {
                for &r in self.m.rows_of(useful[k] as usize) {
                    count[r as usize] += 1;
                }
            }
            let s = self.score(&count);
            if better(s, best.1) {
                best = (pick.iter().map(|&k| useful[k]).collect(), s);
            }
            for &k in &pick {
                for &r in self.m.rows_of(useful[k] as usize) {
                    count[r as usize] -= 1;
                }
            }
            let Some(i) = (0..p).rev().find(|&i| pick[i] < n - p + i) else {
                break;
            };
            pick[i] += 1;
            for j in i + 1..p {
                pick[j] = pick[j - 1] + 1;
            }
        }
        best
    }

    /// Opens `p` sites one at a time, each the best gain (ties by index).
    fn greedy(&self, useful: &[u32], p: usize) -> Vec<u32> {
        let mut count = self.base.clone();
        let mut open: Vec<u32> = Vec::with_capacity(p);
        for _ in 0..p {
            let mut best: Option<(Score, u32)> = None;
            for &i in useful {
                if open.contains(&i) {
                    continue;
                }
                let d = self.delta(&count, i as usize, true);
                if best.is_none_or(|(s, _)| better(d, s)) {
                    best = Some((d, i));
                }
            }
            let Some((_, i)) = best else { break };
            for &r in self.m.rows_of(i as usize) {
                count[r as usize] += 1;
            }
            open.push(i);
        }
        open
    }

    /// Best-improvement swaps (close one new site, open another) until none helps.
    fn swaps(&self, useful: &[u32], start: Vec<u32>, deadline: Instant) -> (Vec<u32>, Score) {
        let mut open = start;
        let mut count = self.base.clone();
        for &j in &open {
            for &r in self.m.rows_of(j as usize) {
                count[r as usize] += 1;
            }
        }
        let mut work = 0u64;
        let per_round = (open.len() * self.m.row_cands.len()) as u64;
        while work + per_round <= SWAP_WORK && Instant::now() < deadline {
            work += per_round.max(1);
            let mut best: Option<(Score, usize, u32)> = None;
            for (k, &j) in open.iter().enumerate() {
                let out = self.delta(&count, j as usize, false);
                for &r in self.m.rows_of(j as usize) {
                    count[r as usize] -= 1;
                }
                for &i in useful {
                    if open.contains(&i) {
                        continue;
                    }
                    let inn = self.delta(&count, i as usize, true);
                    let d = (out.0 + inn.0, out.1 + inn.1);
                    if best.is_none_or(|(s, _, _)| better(d, s)) {
                        best = Some((d, k, i));
                    }
                }
                for &r in self.m.rows_of(j as usize) {
                    count[r as usize] += 1;
                }
            }
            match best {
                Some((d, k, i)) if better(d, (0.0, 0.0)) => {
                    for &r in self.m.rows_of(open[k] as usize) {
                        count[r as usize] -= 1;
                    }
                    for &r in self.m.rows_of(i as usize) {
                        count[r as usize] += 1;
                    }
                    open[k] = i;
                }
                _ => break,
            }
        }
        let s = self.score(&count);
        (open, s)
    }

    /// An upper bound on the objective with `p` new sites from `useful`.
    fn counting_bound(&self, useful: &[u32], p: usize) -> f64 {
        let reach = |j: usize| -> f64 {
            self.m
                .rows_of(j)
                .iter()
                .map(|&r| self.m.row_weight[r as usize])
                .sum()
        };
        let mut free: Vec<f64> = useful.iter().map(|&j| reach(j as usize)).collect();
        free.sort_by(|a, b| b.total_cmp(a));
        let fixed: f64 = (0..self.nf).map(reach).sum();
        let covers = fixed + free.iter().take(p).sum::<f64>();
        // Weight any open set could reach once, and twice.
        let mut sites = self.base.clone();
        for &j in useful {
            for &r in self.m.rows_of(j as usize) {
                sites[r as usize] += 1;
            }
        }
        let (mut once, mut twice) = (0.0, 0.0);
        for (r, &c) in sites.iter().enumerate() {
            let w = self.m.row_weight[r];
            if c >= 1 {
                once += w;
            }
            if c >= 2 {
                twice += w;
            }
        }
        let backup = twice.min(covers / 2.0);
        let primary = once.min(covers);
        self.mix * backup + (1.0 - self.mix) * primary
    }
}

/// Whether score `a` beats `b`: a higher objective, then higher primary coverage.
fn better(a: Score, b: Score) -> bool {
    let tol = 1e-12 * a.0.abs().max(b.0.abs()).max(1.0);
    if (a.0 - b.0).abs() > tol {
        a.0 > b.0
    } else {
        a.1 > b.1 + 1e-12 * a.1.abs().max(b.1.abs()).max(1.0)
    }
}
