//! Solvers: each objective in its own file, all working on the structures of
//! [`crate::coverage`] (covering objectives) or K-nearest lists (distance
//! objectives). Every tie is broken by index and every reduction runs in a
//! fixed order, so results do not depend on the thread count.

pub mod bound;
pub mod capacity;
pub mod capexact;
pub mod capsearch;
pub mod exact;
pub mod exhaustive;
pub mod mclp;
pub mod minsites;
pub mod pcenter;
pub mod pmedian;
pub mod pmexact;
pub(crate) mod reduce;
pub mod setcover;
mod simplex;
mod split;
mod volume;

/// A covering solution: open candidates in the order they were opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Chosen candidates, in rank order.
    pub chosen: Vec<u32>,
    /// Marginal weight of each, after the ones before it.
    pub marginal: Vec<f64>,
}

/// Orders a set of open candidates the way a planner would open them: each
/// step takes the one that adds the most covered weight (ties by index).
pub fn rank_by_marginal(model: &crate::coverage::CoverageModel, set: &[u32]) -> Selection {
    let mut count = vec![0u32; model.n_rows()];
    let mut left: Vec<u32> = set.to_vec();
    left.sort_unstable();
    let mut chosen = Vec::with_capacity(set.len());
    let mut marginal = Vec::with_capacity(set.len());
    while !left.is_empty() {
        let mut best = (f64::NEG_INFINITY, usize::MAX);
        for (k, &j) in left.iter().enumerate() {
            let g: f64 = model
                .rows_of(j as usize)
                .iter()
                .filter(|&&r| count[r as usize] == 0)
                .map(|&r| model.row_weight[r as usize])
                .sum();
            if g > best.0 {
                best = (g, k);
            }
        }
        let j = left.remove(best.1);
        for &r in model.rows_of(j as usize) {
            count[r as usize] += 1;
        }
        chosen.push(j);
        marginal.push(best.0);
    }
    Selection { chosen, marginal }
}

/// The better of two candidate moves `(profit, out, in)`: higher profit, then
/// the lower indices, so parallel reductions pick the same move on any thread count.
pub(crate) fn better_move(a: (f64, u32, u32), b: (f64, u32, u32)) -> (f64, u32, u32) {
    match a.0.total_cmp(&b.0) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal => {
            if (a.1, a.2) <= (b.1, b.2) {
                a
            } else {
                b
            }
        }
    }
}
