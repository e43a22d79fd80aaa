//! Criterion benches on the world cities of `data/`: index build and queries,
//! evaluation, coverage build, greedy, local search and the bound.

use criterion::{Criterion, criterion_group, criterion_main};
use outpost::coverage;
use outpost::evaluate::{DemandView, evaluate};
use outpost::input::{LoadOptions, Role, load};
use outpost::metric::Queries;
use outpost::metric::great_circle::PointIndex;
use outpost::solve::bound::lagrangian;
use outpost::solve::mclp::{Limits, greedy, local_search};
use outpost::sphere::{Radius, UnitVector, to_unit};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

struct World {
    units: Vec<UnitVector>,
    weights: Vec<f64>,
    groups: Vec<u32>,
    cands: Vec<UnitVector>,
    /// Each city ten times, shifted by up to 0.09 degrees (340k points).
    many: Vec<UnitVector>,
}

fn world() -> World {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/world_cities.csv");
    let set =
        load(&path, Role::Demand, &LoadOptions::default()).expect("data/world_cities.csv loads");
    let units: Vec<UnitVector> = set.units();
    let weights: Vec<f64> = set.weights().to_vec();
    let cands = set
        .iter()
        .filter(|p| p.weight >= 200_000.0)
        .map(|p| to_unit(p.lon, p.lat))
        .collect();
    let many = set
        .iter()
        .flat_map(|p| {
            (0..10).map(move |k| to_unit(p.lon + 0.009 * k as f64, p.lat - 0.007 * k as f64))
        })
        .collect();
    World {
        many,
        groups: vec![u32::MAX; units.len()],
        units,
        weights,
        cands,
    }
}

fn benches(c: &mut Criterion) {
    let w = world();
    let r50 = Radius::from_km(50.0);
    c.bench_function("index build (34k cities)", |b| {
        b.iter(|| PointIndex::new(black_box(&w.units)))
    });
    let index = PointIndex::new(&w.units);
    c.bench_function("index: 3k radius queries at 50 km", |b| {
        b.iter(|| {
            w.cands
                .iter()
                .map(|q| {
                    index
                        .locate_within(q, outpost::sphere::chord2_for_km(r50.km))
                        .count()
                })
                .sum::<usize>()
        })
    });
    let view = DemandView {
        points: &w.units,
        weights: &w.weights,
        groups: &w.groups,
        n_groups: 0,
    };
    let sites: Vec<UnitVector> = w.cands.iter().step_by(3).copied().collect();
    c.bench_function("evaluate 34k x 1k sites, 3 radii", |b| {
        b.iter(|| {
            evaluate(
                &outpost::metric::GreatCircle::default(),
                view,
                &sites,
                &[r50, Radius::from_km(100.0), Radius::from_km(200.0)],
                &outpost::progress::Bar::hidden(),
            )
        })
    });
    c.bench_function("coverage build 34k x 3k at 150 km", |b| {
        b.iter(|| {
            coverage::build(
                &outpost::metric::GreatCircle::default(),
                &w.units,
                &w.weights,
                &[],
                &w.cands,
                Radius::from_km(150.0),
            )
        })
    });
    let model = coverage::build(
        &outpost::metric::GreatCircle::default(),
        &w.units,
        &w.weights,
        &[],
        &w.cands,
        Radius::from_km(150.0),
    );
    let allowed = vec![true; model.n_candidates];
    let limits = Limits {
        max_sites: Some(100),
        budget: None,
    };
    c.bench_function("greedy p=100 at 150 km", |b| {
        b.iter(|| greedy(&model, &limits, &allowed))
    });
    let g = greedy(&model, &limits, &allowed);
    let far = || Instant::now() + Duration::from_secs(60);
    c.bench_function("local search p=100 at 150 km", |b| {
        b.iter(|| local_search(&model, &limits, &allowed, &g.chosen, far()))
    });
    let (set, _) = local_search(&model, &limits, &allowed, &g.chosen, far());
    let mut open = vec![false; model.n_candidates];
    set.iter().for_each(|&j| open[j as usize] = true);
    let covered = model.covered_by(&open);
    // Many points against few sites: one R-tree search per point, or the
    // per-cell candidate lists (built for the points' cells, then queried).
    let mut group = c.benchmark_group("many points");
    group.sample_size(10);
    let nearest_two_sum = |index: &PointIndex| {
        w.many
            .iter()
            .map(|q| index.nearest_two(q).1.min(4.0))
            .sum::<f64>()
    };
    group.bench_function("nearest two, 340k points x 1k sites, R-tree", |b| {
        b.iter(|| nearest_two_sum(&PointIndex::new(&sites)))
    });
    group.bench_function("nearest two, 340k points x 1k sites, cell lists", |b| {
        b.iter(|| {
            let mut index = PointIndex::new(&sites);
            index.prepare(
                &w.many,
                Queries {
                    nearest_two: true,
                    within: None,
                },
            );
            nearest_two_sum(&index)
        })
    });
    let many_weights = vec![1.0; w.many.len()];
    group.bench_function("coverage build 340k x 3k at 50 km", |b| {
        b.iter(|| {
            coverage::build(
                &outpost::metric::GreatCircle::default(),
                &w.many,
                &many_weights,
                &[],
                &w.cands,
                r50,
            )
        })
    });
    group.finish();
    let mut group = c.benchmark_group("bound");
    group.sample_size(10);
    group.bench_function("Lagrangian bound p=100 at 150 km", |b| {
        b.iter(|| lagrangian(&model, &limits, &allowed, &set, covered, 2000, 1e-5, far()))
    });
    group.finish();
}

criterion_group!(solve, benches);
criterion_main!(solve);
