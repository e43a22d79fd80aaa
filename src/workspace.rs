//! The workspace of a run: inputs loaded once (demand places, weights and
//! groups; open sites; candidates) and the distance model, shared by every
//! command, batch file and scenario. Points are prepared for the model once
//! per task ([`crate::metric::Metric::points`]).

use crate::config::{Config, OutputConfig};
use crate::evaluate::DemandView;
use crate::input::{self, LoadOptions, Place, PlaceSet, Role};
use crate::metric::{CostMatrix, GreatCircle, Model, Planar};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Inputs loaded and converted once.
pub struct Loaded {
    /// Demand places.
    pub demand: PlaceSet,
    /// Demand groups (`u32::MAX` for none); empty when the demand has no groups.
    pub groups: Vec<u32>,
    /// Open outlets (may be empty).
    pub existing: PlaceSet,
    /// The distance model of the run.
    pub model: Model,
    /// With `plan --aggregate`: the demand merged into cells, which the plan
    /// is made on (the report then measures it on `demand`).
    pub aggregated: Option<Box<Aggregated>>,
}

/// The demand of a run merged into cells (`plan --aggregate`).
pub struct Aggregated {
    /// The cells as demand, with the run's open outlets.
    pub loaded: Loaded,
    /// The heaviest point of each cell: the default candidates.
    pub candidates: PlaceSet,
    /// How the cells were made and how far a point lies from its cell's centre.
    pub summary: crate::report::AggregationReport,
}

impl Loaded {
    /// Demand weights (the demand set's own, not a copy).
    pub fn weights(&self) -> &[f64] {
        self.demand.weights()
    }

    /// The demand as the evaluator sees it, with its points as prepared by the distance model.
    pub fn view<'a, P>(&'a self, points: &'a [P]) -> DemandView<'a, P> {
        DemandView {
            points,
            weights: self.demand.weights(),
            groups: &self.groups,
            n_groups: self.demand.groups.len(),
        }
    }
}

fn load_set(path: &Path, role: Role, opts: &LoadOptions, show: bool) -> Result<PlaceSet> {
    input::load_with_progress(path, role, opts, show)
        .with_context(|| format!("loading {role} places"))
}

/// Loads demand (all files) and the open sites.
///
/// # Errors
/// Input errors with the file, line and value.
pub fn load_inputs(cfg: &Config) -> Result<Loaded> {
    let mut demand = PlaceSet::default();
    for (i, path) in cfg.demand.iter().enumerate() {
        let show = crate::progress::visible(cfg.output.quiet);
        let set = load_set(path, Role::Demand, &cfg.load, show)?;
        if i == 0 {
            demand = set;
        } else {
            demand.extend(set);
        }
    }
    let existing = load_existing(cfg)?;
    check_outputs(
        cfg.distance.costs.is_some(),
        &cfg.output,
        &[&demand, &existing],
    )?;
    let mut loaded = Loaded::new(demand, existing);
    loaded.model = model(cfg)?;
    aggregate(cfg, &mut loaded)?;
    Ok(loaded)
}

/// With `plan --aggregate`, merges the loaded demand into cells
/// ([`Loaded::aggregated`]); otherwise does nothing.
///
/// # Errors
/// Aggregation asked with a cost matrix or of demand without coordinates.
pub fn aggregate(cfg: &Config, loaded: &mut Loaded) -> Result<()> {
    let crate::config::Command::Plan(pc) = &cfg.command else {
        return Ok(());
    };
    let Some(size) = pc.aggregate else {
        return Ok(());
    };
    if cfg.distance.costs.is_some() {
        anyhow::bail!(
            "--aggregate {size}: with --costs every demand id has its own row of travel costs, which cells would not have: drop --aggregate (or aggregate the demand before building the matrix)"
        );
    }
    let mut agg = crate::aggregate::aggregate(
        &loaded.demand,
        size,
        &cfg.load.crs,
        cfg.candidates.is_none(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let summary = crate::report::AggregationReport {
        cell: size.to_string(),
        points: loaded.demand.len() as u64,
        cells: agg.cells.len() as u64,
        max_error_km: agg.max_error_km,
        planned: None,
    };
    let cells = std::mem::take(&mut agg.cells);
    loaded.aggregated = Some(Box::new(Aggregated {
        loaded: Loaded::new(cells, loaded.existing.clone()),
        candidates: agg.candidates,
        summary,
    }));
    Ok(())
}

/// The candidates of a plan without a candidate file: the demand locations,
/// or with `--aggregate` the heaviest point of each cell.
pub fn default_candidates(loaded: &Loaded) -> PlaceSet {
    match &loaded.aggregated {
        Some(a) => a.candidates.clone(),
        None => candidates_from_demand(&loaded.demand),
    }
}

/// The distance model the configuration asks for: great circles, or the
/// travel-cost matrix of `--costs`, loaded here.
///
/// # Errors
/// The cost matrix's input errors, with the file, line, column and value.
pub fn model(cfg: &Config) -> Result<Model> {
    if let Some(c) = &cfg.distance.costs {
        let table = input::costs::load_costs_in(&c.path, &c.options, c.unit)
            .context("loading the cost matrix (--costs)")?;
        return Ok(Model::CostMatrix(CostMatrix::new(table, c.unit)));
    }
    if !cfg.load.crs.is_wgs84() {
        // Projected or planar coordinates: Euclidean metres.
        return Ok(Model::Planar(Planar::with_circuity(cfg.distance.circuity)));
    }
    Ok(Model::GreatCircle(GreatCircle::with_circuity(
        cfg.distance.circuity,
    )))
}

/// Refuses, before any work, the outputs a run cannot draw honestly: with a
/// cost matrix (`matrix`), service areas (`--areas-out`), which would be
/// circles while travel costs make no circles; and without coordinates
/// (ids-only files), maps and GeoJSON sites.
///
/// # Errors
/// The output flag, the file without coordinates, and what to do.
pub fn check_outputs(matrix: bool, out: &OutputConfig, sets: &[&PlaceSet]) -> Result<()> {
    if matrix && let Some(p) = &out.areas_out {
        anyhow::bail!(
            "--areas-out {}: with --costs, distances are travel costs from the matrix, whose service areas are not circles: drop --areas-out (the report, --sites-out and --assignments-out say which demand each site reaches)",
            p.display()
        );
    }
    let Some(bare) = sets.iter().find(|s| s.unlocated) else {
        return Ok(());
    };
    let why = |flag: &str, p: &Path| {
        anyhow::anyhow!(
            "{flag} {}: needs coordinates, but {} has ids only (lon/lat are optional with --costs); add longitude and latitude columns to every input to draw it",
            p.display(),
            bare.source
        )
    };
    if let Some(p) = &out.map {
        return Err(why("--map", p));
    }
    if let Some(p) = &out.sites_out
        && p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "geojson" | "json"))
    {
        return Err(why("--sites-out", p));
    }
    Ok(())
}

/// With a cost matrix: how the run's places meet it (notes for the report),
/// and the outputs that need coordinates checked against the candidates too.
/// Nothing for other models.
///
/// # Errors
/// No demand or no site id in the matrix (with a hint when the columns look
/// swapped); outputs refused by [`check_outputs`].
pub fn matrix_notes(
    model: &Model,
    out: &OutputConfig,
    demand: &PlaceSet,
    existing: &PlaceSet,
    candidates: Option<&PlaceSet>,
) -> Result<Vec<String>> {
    let Model::CostMatrix(m) = model else {
        return Ok(Vec::new());
    };
    let mut sets = vec![demand, existing];
    sets.extend(candidates);
    check_outputs(true, out, &sets)?;
    let sites: Vec<&PlaceSet> = sets[1..].to_vec();
    m.check_places(demand, &sites, "")
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Loads the open sites (`--sites`/`--existing`), or none.
///
/// # Errors
/// Input errors with the file, line and value.
pub fn load_existing(cfg: &Config) -> Result<PlaceSet> {
    Ok(match &cfg.sites {
        Some(p) => load_set(p, Role::Sites, &cfg.load.for_sites(), false)?,
        None => PlaceSet::default(),
    })
}

/// Loads one demand file.
///
/// # Errors
/// Input errors with the file, line and value.
pub fn load_demand(path: &Path, opts: &LoadOptions) -> Result<PlaceSet> {
    load_set(path, Role::Demand, opts, false)
}

impl Loaded {
    /// Takes the weights and groups of demand once for every later use.
    pub fn new(demand: PlaceSet, existing: PlaceSet) -> Self {
        // Ten million points without groups need no ten million "none"s.
        let groups = if demand.groups.is_empty() {
            Vec::new()
        } else {
            demand.group_indices()
        };
        Loaded {
            demand,
            groups,
            existing,
            model: Model::default(),
            aggregated: None,
        }
    }
}

/// Expands glob patterns among the demand paths (for shells that do not), in sorted order.
///
/// # Errors
/// A pattern that is malformed or matches nothing.
pub fn expand_globs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let text = p.to_string_lossy();
        if p.exists() || text == "-" || !text.contains(['*', '?', '[']) {
            out.push(p.clone());
            continue;
        }
        let mut matched: Vec<PathBuf> = glob::glob(&text)
            .map_err(|e| anyhow::anyhow!("--demand {text:?}: not a valid pattern: {e}"))?
            .filter_map(|r| r.ok())
            .collect();
        matched.sort();
        if matched.is_empty() {
            anyhow::bail!("--demand {text:?}: no file matches the pattern");
        }
        out.extend(matched);
    }
    Ok(out)
}

/// Candidates at the demand locations (the default when no candidate file is given).
pub fn candidates_from_demand(demand: &PlaceSet) -> PlaceSet {
    let mut set = PlaceSet::default();
    set.source = format!("{} (demand locations)", demand.source);
    set.groups = demand.groups.clone();
    set.crs = demand.crs.clone();
    set.unlocated = demand.unlocated;
    for p in demand.iter() {
        set.push(Place {
            weight: 1.0,
            cost: None,
            capacity: None,
            ..p
        });
    }
    set
}

/// The candidate sites: `--candidates`, else the demand locations.
///
/// # Errors
/// Input errors of the candidate file.
pub fn load_candidates(cfg: &Config, loaded: &Loaded) -> Result<PlaceSet> {
    Ok(match load_candidate_file(cfg)? {
        Some(c) => c,
        None => default_candidates(loaded),
    })
}

/// The `--candidates` file, if one is given.
///
/// # Errors
/// Input errors of the candidate file.
pub fn load_candidate_file(cfg: &Config) -> Result<Option<PlaceSet>> {
    cfg.candidates
        .as_ref()
        .map(|p| {
            input::load(p, Role::Candidates, &cfg.load.for_sites())
                .context("loading candidate places")
        })
        .transpose()
}
