//! The sweep report: the coverage curve over numbers of new sites and radii,
//! read by the sweep writers and the chart renderer.

use serde::Serialize;

/// One point of the curve.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SweepPoint {
    /// Radius, km.
    pub radius_km: f64,
    /// The radius as the user gave it (`100 mi`).
    pub radius_label: String,
    /// New sites opened (fewer than asked when no more candidates help).
    pub sites: usize,
    /// Covered weight (existing sites included).
    pub covered_weight: f64,
    /// Covered share of the total weight.
    pub covered_fraction: f64,
    /// Gain over the point with one site fewer (over the existing sites alone for the first).
    pub marginal_weight: f64,
    /// Upper bound on the covered weight at this N, if computed.
    pub bound: Option<f64>,
    /// (bound - covered) / bound.
    pub gap: Option<f64>,
    /// `solved` or `extended` (see the module docs).
    pub method: &'static str,
    /// Ids of the new sites, by rank.
    pub site_ids: Vec<String>,
}

/// The sweep report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SweepReport {
    /// Always `sweep`.
    pub command: &'static str,
    /// Demand points.
    pub demand_points: u64,
    /// Total demand weight.
    pub total_weight: f64,
    /// Candidate sites.
    pub candidates: u64,
    /// Existing sites (open at every point).
    pub existing: u64,
    /// Coverage of the existing sites alone, per radius: (km, share).
    pub baseline: Vec<(f64, f64)>,
    /// The radii as the user gave them, in the order of `baseline`.
    pub radius_labels: Vec<String>,
    /// The curve, by radius then N.
    pub points: Vec<SweepPoint>,
    /// How the points were computed.
    pub method: String,
    /// Wall time, ms.
    pub elapsed_ms: u64,
}

impl SweepReport {
    /// The report with float noise removed from sums, shares and gaps, as written.
    pub fn tidied(&self) -> SweepReport {
        use super::{round_share, round_sig};
        let mut r = self.clone();
        r.total_weight = round_sig(r.total_weight);
        for b in &mut r.baseline {
            b.0 = round_sig(b.0);
            b.1 = round_share(b.1);
        }
        for p in &mut r.points {
            p.radius_km = round_sig(p.radius_km);
            p.covered_weight = round_sig(p.covered_weight);
            p.covered_fraction = round_share(p.covered_fraction);
            p.marginal_weight = round_sig(p.marginal_weight);
            p.bound = p.bound.map(round_sig);
            p.gap = p.gap.map(round_share);
        }
        r
    }
}
