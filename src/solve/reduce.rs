//! Dominated candidates: a candidate whose rows all lie within another's, at
//! no lower cost, can be swapped for it without losing covered weight or
//! breaking a site count or budget, so covering searches may leave it out.
//!
//! Used by the set-covering search (fewest sites) and by the branch and bound
//! of maximal covering, where each dominated candidate is one branch fewer
//! and one fewer place for the relaxation to spread its sites thinly.

use crate::coverage::CoverageModel;

/// Work (row comparisons) after which the remaining candidates are kept
/// unchecked: wide radii give lists of thousands of rows, and the reduction
/// must stay a small part of the run. A count, not a time, so every run
/// keeps the same candidates.
const MAX_STEPS: u64 = 400_000_000;

/// Which candidates survive: `allowed`, covering at least one row, and not
/// dominated. Candidate `j` is dominated by `k` (also allowed) when every row
/// of `j` is a row of `k` and `k` costs no more (`cost`, when given), and
/// either `k` has more rows, costs less, or has the same rows and cost and a
/// lower index. The relation is a strict order, so each dropped candidate has
/// a kept one dominating it.
pub(crate) fn undominated(m: &CoverageModel, allowed: &[bool], cost: Option<&[f64]>) -> Vec<bool> {
    let price = |j: usize| cost.map_or(0.0, |c| c[j]);
    // Rows of each allowed candidate.
    let count: Vec<usize> = (0..m.n_candidates)
        .map(|j| if allowed[j] { m.rows_of(j).len() } else { 0 })
        .collect();
    let mut keep: Vec<bool> = count.iter().map(|&c| c > 0).collect();
    let mut steps = 0u64;
    for j in 0..m.n_candidates {
        if !keep[j] {
            continue;
        }
        if steps > MAX_STEPS {
            break;
        }
        let mine = m.rows_of(j);
        // The row of j with the fewest candidates: any dominating one covers it.
        let pivot = *mine
            .iter()
            .min_by_key(|&&r| (m.cands_of(r as usize).len(), r))
            .expect("kept candidates cover a row");
        let cj = price(j);
        let dominated = m.cands_of(pivot as usize).iter().any(|&k| {
            let k = k as usize;
            let ck = price(k);
            if k == j || count[k] < count[j] || ck > cj {
                return false;
            }
            if count[k] == count[j] && ck == cj && k > j {
                return false;
            }
            let theirs = m.rows_of(k);
            steps += (mine.len() + theirs.len()) as u64;
            is_subset(mine, theirs)
        });
        keep[j] = !dominated;
    }
    keep
}

/// Whether every element of the ascending list `a` is in the ascending list `b`.
fn is_subset(a: &[u32], b: &[u32]) -> bool {
    let mut i = 0;
    for &x in a {
        while i < b.len() && b[i] < x {
            i += 1;
        }
        if i == b.len() || b[i] != x {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::CoverageModel;
    use proptest::prelude::*;

    #[test]
    fn subsets() {
        assert!(is_subset(&[], &[1]));
        assert!(is_subset(&[1, 3], &[0, 1, 2, 3]));
        assert!(!is_subset(&[1, 4], &[0, 1, 2, 3]));
        assert!(!is_subset(&[0], &[]));
    }

    /// A model with `rows` rows of weight 1 where candidate `j` covers `lists[j]`.
    pub(crate) fn from_lists(lists: &[Vec<u32>], rows: usize) -> CoverageModel {
        let mut row_lists = vec![Vec::new(); rows];
        let (mut cand_off, mut cand_rows) = (vec![0], Vec::new());
        for (j, l) in lists.iter().enumerate() {
            for &r in l {
                row_lists[r as usize].push(j as u32);
            }
            cand_rows.extend_from_slice(l);
            cand_off.push(cand_rows.len());
        }
        let (mut row_off, mut row_cands) = (vec![0], Vec::new());
        for l in &row_lists {
            row_cands.extend_from_slice(l);
            row_off.push(row_cands.len());
        }
        CoverageModel {
            n_candidates: lists.len(),
            row_weight: vec![1.0; rows],
            row_off,
            row_cands,
            cand_off,
            cand_rows,
            total_weight: rows as f64,
            ..CoverageModel::default()
        }
    }

    /// Every dropped candidate has a kept one covering all its rows at no more
    /// cost, and a kept candidate is never dominated by another kept one.
    fn check(m: &CoverageModel, allowed: &[bool], cost: Option<&[f64]>) {
        let keep = undominated(m, allowed, cost);
        let price = |j: usize| cost.map_or(0.0, |c| c[j]);
        let rows = |j: usize| m.rows_of(j).to_vec();
        for j in 0..m.n_candidates {
            let usable = allowed[j] && !m.rows_of(j).is_empty();
            if !usable {
                assert!(!keep[j]);
                continue;
            }
            let covers = |k: usize| {
                k != j
                    && keep[k]
                    && price(k) <= price(j)
                    && rows(j).iter().all(|r| rows(k).contains(r))
            };
            if keep[j] {
                // A kept candidate with another kept one covering it: only
                // with the same rows and cost, and then the lower index is kept.
                if let Some(k) = (0..m.n_candidates).find(|&k| covers(k)) {
                    panic!("{j} kept though {k} dominates it");
                }
            } else {
                assert!(
                    (0..m.n_candidates).any(covers),
                    "{j} dropped without a cover"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn dropped_candidates_have_a_kept_cover(
            lists in prop::collection::vec(prop::collection::btree_set(0u32..12, 0..6), 1..14),
            costs in prop::collection::vec(0u8..3, 14),
            allowed in prop::collection::vec(any::<bool>(), 14),
            priced in any::<bool>(),
        ) {
            let n = lists.len();
            let lists: Vec<Vec<u32>> = lists.into_iter().map(|s| s.into_iter().collect()).collect();
            let m = from_lists(&lists, 12);
            let costs: Vec<f64> = costs[..n].iter().map(|&c| f64::from(c)).collect();
            check(&m, &allowed[..n], priced.then_some(&costs[..]));
        }
    }
}
