//! outpost plans and checks service-outlet networks: where to put after-sales
//! outlets so that customers, weighted by sales, are within a service radius of one.
//!
//! The crate is a library with a thin command line. Data flows one way:
//! [`input`] (CSV, GeoJSON) → [`sphere`] and [`index`] (exact great-circle
//! geometry on an R-tree) → [`evaluate`] (coverage of open sites) and
//! [`coverage`] / [`solve`] (planning) → [`report`] (one model, many writers).
#![deny(missing_docs)]

pub mod aggregate;
pub mod assemble;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod coverage;
pub mod evaluate;
pub mod input;
pub mod metric;
pub mod output;
pub mod output_gpkg;
pub mod planner;
pub mod progress;
pub mod render;
pub mod report;
pub mod solve;
pub mod sphere;
pub mod task;
pub mod units;
pub mod workspace;

pub use cmd::run;
pub use config::{Config, Outcome};
