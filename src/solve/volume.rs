//! The volume algorithm's step rule (Barahona & Anbil 2000), shared by the
//! Lagrangian branch and bounds of maximal coverage ([`super::exact`]) and
//! set covering ([`super::setcover`]).
//!
//! Plain subgradient steps follow the subgradient of the latest relaxed
//! choice, which flips between ties near the dual optimum. The volume
//! algorithm instead keeps a running average of the subgradients (the
//! subgradient of the averaged relaxed choices, since they are linear in the
//! choice), with the newest one's share chosen to make the average shortest,
//! and steps from the best multipliers so far along it. The step scale grows
//! after a better bound whose subgradient still points along the average and
//! shrinks after `patience` iterations in a row without a better bound. On the
//! dense coverage instances it ends much nearer the LP bound than plain
//! subgradient steps (see BENCHMARKS.md).

/// Step scale change after `patience` iterations in a row without a better bound.
const THETA_SHRINK: f64 = 0.66;
/// Step scale change after a better bound whose subgradient still points the same way.
const THETA_GROW: f64 = 1.1;
/// Largest step scale.
const THETA_MAX: f64 = 2.0;
/// Largest share of the newest subgradient in the average, at the start.
const ALPHA_START: f64 = 0.1;
/// Smallest value the largest share halves down to.
const ALPHA_FLOOR: f64 = 1e-5;
/// Iterations without a better bound before the largest share halves.
const ALPHA_WAIT: u32 = 100;

/// The running average and its share limits, for one node's iterations.
#[derive(Debug, Default)]
pub(crate) struct Volume {
    avg: Vec<f64>,
    alpha_max: f64,
    last_gain: u32,
}

impl Volume {
    /// A fresh average.
    pub(crate) fn new() -> Volume {
        Volume {
            avg: Vec::new(),
            alpha_max: ALPHA_START,
            last_gain: 0,
        }
    }

    /// Forgets the average (the problem changed under it).
    pub(crate) fn reset(&mut self) {
        self.avg.clear();
    }

    /// Folds iteration `it`'s subgradient `g` into the average (with
    /// per-entry `weight`s in the norm, or 1) and updates the step scale
    /// `theta`: `improved` says whether this iteration's bound was better,
    /// `since` how many iterations in a row were not. Returns the average,
    /// the direction to step along (unprojected).
    pub(crate) fn fold(
        &mut self,
        g: &[f64],
        weight: Option<&[f64]>,
        it: u32,
        improved: bool,
        since: u32,
        patience: u32,
        theta: &mut f64,
    ) -> &[f64] {
        if self.avg.len() != g.len() {
            self.avg.clear();
            self.avg.extend_from_slice(g);
            return &self.avg;
        }
        // The share of the newest subgradient that makes the average
        // shortest, within [alpha_max / 10, alpha_max].
        let (mut aa, mut ab, mut dot) = (0.0, 0.0, 0.0);
        for (k, (&gt, &gb)) in g.iter().zip(&self.avg).enumerate() {
            let w = weight.map_or(1.0, |w| w[k]);
            let d = gt - gb;
            aa += w * d * d;
            ab += w * gb * d;
            dot += w * gt * gb;
        }
        let alpha = if aa > 0.0 { -ab / aa } else { self.alpha_max };
        let alpha = alpha.clamp(self.alpha_max / 10.0, self.alpha_max);
        for (a, &gt) in self.avg.iter_mut().zip(g) {
            *a = alpha * gt + (1.0 - alpha) * *a;
        }
        if improved {
            self.last_gain = it;
            if dot > 0.0 {
                // Still going the same way: longer steps.
                *theta = (*theta * THETA_GROW).min(THETA_MAX);
            }
        } else if patience > 0 && since.is_multiple_of(patience) {
            *theta *= THETA_SHRINK;
        }
        if it.saturating_sub(self.last_gain) > ALPHA_WAIT {
            self.alpha_max = (self.alpha_max / 2.0).max(ALPHA_FLOOR);
            self.last_gain = it;
        }
        &self.avg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_takes_the_share_that_makes_it_shortest() {
        let mut v = Volume::new();
        let mut theta = 1.0;
        assert_eq!(
            v.fold(&[1.0, 0.0], None, 1, true, 0, 10, &mut theta),
            [1.0, 0.0]
        );
        // Opposite subgradients: the shortest average would take half of the
        // new one, but the share is capped at 0.1.
        let avg = v
            .fold(&[-1.0, 0.0], None, 2, false, 1, 10, &mut theta)
            .to_vec();
        assert!((avg[0] - 0.8).abs() < 1e-12, "{avg:?}");
        assert_eq!(theta, 1.0);
        // `patience` iterations without a better bound shrink the scale.
        v.fold(&[-1.0, 0.0], None, 3, false, 10, 10, &mut theta);
        assert!((theta - THETA_SHRINK).abs() < 1e-12);
        // A better bound along the average grows it, up to the cap.
        for it in 4..100 {
            v.fold(&[1.0, 0.0], None, it, true, 0, 10, &mut theta);
        }
        assert_eq!(theta, THETA_MAX);
        // A new length starts a new average.
        assert_eq!(v.fold(&[3.0], None, 100, true, 0, 10, &mut theta), [3.0]);
        v.reset();
        assert_eq!(v.fold(&[2.0], None, 101, true, 0, 10, &mut theta), [2.0]);
    }
}
