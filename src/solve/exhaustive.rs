//! Exhaustive search over sets of `p` candidates, for tiny instances: used to
//! prove optimality where enumeration is cheap, and as the reference the
//! heuristics are tested against.

use crate::metric::Metric;

/// Number of `p`-subsets of `n`, saturating.
pub fn binomial(n: usize, p: usize) -> u64 {
    if p > n {
        return 0;
    }
    let p = p.min(n - p);
    let mut acc: u128 = 1;
    for i in 0..p {
        acc = acc * (n - i) as u128 / (i + 1) as u128;
        if acc > u64::MAX as u128 {
            return u64::MAX;
        }
    }
    acc as u64
}

/// The best `p`-subset of candidates (ascending, ties to the first in
/// lexicographic order) for a distance objective: `sum` minimises the weighted
/// sum of nearest distances, otherwise the largest (optionally weighted) one.
#[allow(clippy::too_many_arguments)]
pub fn best_subset<M: Metric>(
    metric: &M,
    demand: &[M::Point],
    weights: &[f64],
    fixed: &[M::Point],
    cands: &[M::Point],
    p: usize,
    sum: bool,
    weighted: bool,
) -> (Vec<u32>, f64) {
    let n = cands.len();
    let p = p.min(n);
    let base: Vec<f64> = demand
        .iter()
        .map(|u| {
            fixed
                .iter()
                .map(|f| metric.distance_between(u, f))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let d: Vec<Vec<f64>> = cands
        .iter()
        .map(|c| {
            demand
                .iter()
                .map(|u| metric.distance_between(u, c))
                .collect()
        })
        .collect();
    let score = |set: &[usize]| -> f64 {
        let mut acc = 0.0f64;
        for i in 0..demand.len() {
            let mut best = base[i];
            for &j in set {
                best = best.min(d[j][i]);
            }
            if sum {
                acc += weights[i] * best;
            } else {
                let v = if weighted { weights[i] * best } else { best };
                acc = acc.max(v);
            }
        }
        acc
    };
    let mut idx: Vec<usize> = (0..p).collect();
    let mut best = (score(&idx), idx.clone());
    if p == 0 {
        return (Vec::new(), best.0);
    }
    loop {
        // Next combination in lexicographic order.
        let mut k = p;
        while k > 0 && idx[k - 1] == n - p + k - 1 {
            k -= 1;
        }
        if k == 0 {
            break;
        }
        idx[k - 1] += 1;
        for t in k..p {
            idx[t] = idx[t - 1] + 1;
        }
        let s = score(&idx);
        if s < best.0 {
            best = (s, idx.clone());
        }
    }
    (best.1.into_iter().map(|j| j as u32).collect(), best.0)
}
