//! The sweep report: the coverage curve over numbers of new sites and radii,
//! read by the sweep writers and the chart renderer.

use serde::Serialize;

/// One point of the curve.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SweepPoint {
    /// Radius, km.
    pub radius_km: f64,
    /// New sites.
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
    /// Coverage of the existing sites alone, per radius.
    pub baseline: Vec<(f64, f64)>,
    /// The curve, by radius then N.
    pub points: Vec<SweepPoint>,
    /// How the points were computed.
    pub method: String,
    /// Wall time, ms.
    pub elapsed_ms: u64,
}
