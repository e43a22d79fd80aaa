//! Distance models: how far a demand point is from a site.
//!
//! A model is a value chosen once per run ([`Model`]), in the spirit of geo's
//! metric spaces (`Haversine.distance(a, b)`) and rstar's `PointDistance`:
//! it prepares places as points, indexes sets of sites, and answers the
//! queries every objective needs (sites within a radius, nearest, k nearest,
//! one distance). Coverage, evaluation and the distance solvers are generic
//! over [`Metric`]; the command layer matches on [`Model`] once
//! ([`with_metric!`]) and runs the generic code, as ripgrep matches once on
//! its matcher. A new model is one file here plus one variant of [`Model`]
//! and one arm of the macro.
//!
//! Queries work on *keys*: any cheap, strictly increasing function of the
//! distance (the squared chord for great circles, the squared length for
//! planar coordinates, the cost itself for a matrix). Radii are turned into
//! keys once, so the inner loops compare numbers and never take roots.

pub mod cells;
pub mod great_circle;
pub mod matrix;
pub mod planar;

pub use great_circle::GreatCircle;
pub use matrix::CostMatrix;
pub use planar::Planar;

use crate::input::{Place, PlaceSet};
use crate::sphere::{Radius, RadiusUnit};

/// A distance model over demand points and sites.
pub trait Metric: Sync {
    /// A place prepared for queries.
    type Point: Copy + Send + Sync;
    /// An index over a set of sites.
    type Index<'a>: SiteIndex<Point = Self::Point>
    where
        Self: 'a;

    /// The model's name in reports (`great_circle`, ...).
    fn name(&self) -> &'static str;

    /// The unit of radii and distances in reports (`km`, or a matrix's cost unit).
    fn unit(&self) -> &'static str;

    /// The detour factor distances are scaled by, when there is one.
    fn circuity(&self) -> Option<f64> {
        None
    }

    /// Prepares one place.
    fn point(&self, place: &Place) -> Self::Point;

    /// Prepares every place, in order.
    fn points(&self, places: &PlaceSet) -> Vec<Self::Point> {
        places.iter().map(|p| self.point(&p)).collect()
    }

    /// Indexes `sites`; site `i` is returned by queries as `i`.
    fn index<'a>(&'a self, sites: &[Self::Point]) -> Self::Index<'a>;

    /// As [`Metric::index`], prepared for many `queries` from the points of
    /// `demand` (a model may build per-region candidate lists). Answers are
    /// exactly those of [`Metric::index`]; only the work differs.
    fn index_for<'a>(
        &'a self,
        sites: &[Self::Point],
        demand: &[Self::Point],
        queries: Queries,
    ) -> Self::Index<'a> {
        let _ = (demand, queries);
        self.index(sites)
    }

    /// The key of a distance (in the model's unit).
    fn key(&self, distance: f64) -> f64;

    /// The distance of a key: the inverse of [`Metric::key`].
    fn distance(&self, key: f64) -> f64;

    /// The key of the distance from a demand point to a site
    /// (infinite when the site cannot be reached).
    fn key_between(&self, demand: &Self::Point, site: &Self::Point) -> f64;

    /// The distance from a demand point to a site.
    fn distance_between(&self, demand: &Self::Point, site: &Self::Point) -> f64 {
        self.distance(self.key_between(demand, site))
    }

    /// A distance no reachable pair exceeds (the cost charged to a point
    /// whose candidate list holds every site, in the p-median bound).
    fn farthest(&self) -> f64;

    /// A distance no pair of `demand` and `sites` exceeds: [`Metric::farthest`]
    /// unless the model can give a tighter bound from the points themselves.
    fn farthest_among(&self, demand: &[Self::Point], sites: &[Self::Point]) -> f64 {
        let _ = (demand, sites);
        self.farthest()
    }

    /// The key of a service radius; a radius of any distance reaches every
    /// reachable site (the largest finite key: a point no site reaches, whose
    /// key is infinite, stays uncovered).
    fn radius_key(&self, radius: &Radius) -> f64 {
        if radius.unit == RadiusUnit::Any {
            f64::MAX
        } else {
            self.key(radius.km)
        }
    }
}

/// The queries an index will mostly be asked ([`Metric::index_for`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Queries {
    /// [`SiteIndex::nearest_two`] (and [`SiteIndex::nearest`]).
    pub nearest_two: bool,
    /// [`SiteIndex::within`] and [`SiteIndex::any_within`] with this key.
    /// Asked together with `nearest_two` (as the evaluator does: the sites
    /// within the first radius of a point its two nearest do not settle), a
    /// model may answer both from one structure.
    pub within: Option<f64>,
}

/// Queries over an indexed set of sites. Sites are named by their position
/// in the indexed slice; distances are given as keys.
pub trait SiteIndex: Sync {
    /// The model's point type.
    type Point;

    /// Calls `found` with every site whose key from `q` is at most `key`, in no set order.
    fn within(&self, q: &Self::Point, key: f64, found: impl FnMut(u32));

    /// Whether some site's key from `q` is at most `key`.
    fn any_within(&self, q: &Self::Point, key: f64) -> bool;

    /// The nearest site and its key, ties broken by the lower index; `None`
    /// when no site is reachable.
    fn nearest(&self, q: &Self::Point) -> Option<(u32, f64)>;

    /// The nearest site (as [`SiteIndex::nearest`]) and the key of the second
    /// nearest (infinite when fewer than two sites are reachable): one query
    /// gives both primary and backup cover.
    fn nearest_two(&self, q: &Self::Point) -> (Option<(u32, f64)>, f64) {
        let two = self.nearest_k(q, 2);
        (self.nearest(q), two.get(1).map_or(f64::INFINITY, |e| e.1))
    }

    /// The `k` nearest reachable sites with their keys, nearest first, ties by index.
    fn nearest_k(&self, q: &Self::Point, k: usize) -> Vec<(u32, f64)>;
}

/// The distance model of a run, chosen once.
#[derive(Debug, Clone)]
pub enum Model {
    /// Great circle on WGS84 longitude and latitude.
    GreatCircle(GreatCircle),
    /// Euclidean distance on projected metres (`--crs EPSG:CODE` or `--crs planar`).
    Planar(Planar),
    /// A travel-cost matrix from a routing engine (`--costs`).
    CostMatrix(CostMatrix),
}

impl Default for Model {
    fn default() -> Self {
        Model::GreatCircle(GreatCircle::default())
    }
}

/// Runs `$body` with `$m` bound to the concrete metric of a [`Model`]: the one
/// place a run dispatches on its distance model.
#[macro_export]
macro_rules! with_metric {
    ($model:expr, $m:ident => $body:expr) => {
        match $model {
            $crate::metric::Model::GreatCircle($m) => $body,
            $crate::metric::Model::Planar($m) => $body,
            $crate::metric::Model::CostMatrix($m) => $body,
        }
    };
}
