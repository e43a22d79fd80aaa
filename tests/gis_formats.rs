//! GIS inputs and outputs (issue 14): GeoPackage, Shapefile, FlatGeobuf and
//! GeoParquet read as the CSV they were made from, reprojected files, polygon
//! centroids, located errors, and GeoPackage outputs read back.
//!
//! The fixtures in `tests/fixtures/gis/` were written by GDAL and pyarrow from
//! `tests/fixtures/gis/cities.csv` (scripts/make_gis_fixtures.py); the tests only
//! read them, so neither tool is needed here. Truth is the CSV itself: every
//! format must give the same report, and the reprojected copies the same
//! longitude/latitude.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gis")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let out = outpost().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr,
    }
}

fn ok_json(args: &[&str]) -> Value {
    let out = run(args);
    assert_eq!(out.code, 0, "{:?}: {}", args, out.stderr);
    json_of(&out.stdout)
}

/// The report without what names the input file or the clock: `elapsed_ms`
/// and the notes saying how each file was read.
fn comparable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("elapsed_ms");
                m.remove("notes");
                for x in m.values_mut() {
                    strip(x);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn notes(v: &Value) -> String {
    v["notes"].to_string()
}

fn error(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.code, 2, "{args:?} should fail with 2: {}", out.stderr);
    out.stderr
}

const FORMATS: [&str; 4] = ["cities.gpkg", "cities.shp", "cities.fgb", "cities.parquet"];

#[test]
fn every_format_gives_the_report_of_its_csv() {
    let csv = fixture("cities.csv");
    let outlets = data("china_outlets.csv");
    let evaluate = |demand: &Path| {
        ok_json(&[
            "evaluate",
            "--demand",
            s(demand),
            "--sites",
            s(&outlets),
            "--radius",
            "200km,400km",
            "--format",
            "json",
        ])
    };
    let plan = |demand: &Path| {
        ok_json(&[
            "plan",
            "--demand",
            s(demand),
            "--existing",
            s(&outlets),
            "--radius",
            "150km",
            "--add",
            "5",
            "--format",
            "json",
        ])
    };
    let want_eval = evaluate(&csv);
    let want_plan = plan(&csv);
    assert_eq!(want_eval["demand"]["points"], 301);
    for f in FORMATS {
        let p = fixture(f);
        let got = evaluate(&p);
        assert_eq!(
            comparable(got.clone()),
            comparable(want_eval.clone()),
            "{f}"
        );
        // The notes say where the coordinates and the weight came from.
        let n = notes(&got);
        assert!(n.contains("coordinates=geometry"), "{f}: {n}");
        assert!(n.contains("weight=population"), "{f}: {n}");
        assert_eq!(
            comparable(plan(&p)),
            comparable(want_plan.clone()),
            "{f}: plan"
        );
    }
}

#[test]
fn the_format_flag_reads_a_file_whose_name_does_not_say() {
    let dir = tempfile::tempdir().unwrap();
    let want = ok_json(&[
        "evaluate",
        "--demand",
        s(&fixture("cities.csv")),
        "--sites",
        s(&data("china_outlets.csv")),
        "--radius",
        "300km",
        "--format",
        "json",
    ]);
    for (f, flag) in [
        ("cities.gpkg", "gpkg"),
        ("cities.fgb", "fgb"),
        ("cities.parquet", "parquet"),
    ] {
        let renamed = dir.path().join(format!("export_{flag}.dat"));
        std::fs::copy(fixture(f), &renamed).unwrap();
        let got = ok_json(&[
            "evaluate",
            "--demand",
            s(&renamed),
            "--input-format",
            flag,
            "--sites",
            s(&data("china_outlets.csv")),
            "--radius",
            "300km",
            "--format",
            "json",
        ]);
        assert_eq!(comparable(got), comparable(want.clone()), "{f}");
    }
}

#[test]
fn sites_from_a_geopackage_are_the_csv_sites() {
    let demand = fixture("cities.csv");
    let run_with = |sites: &Path, extra: &[&str]| {
        let mut a = vec![
            "evaluate",
            "--demand",
            s(&demand),
            "--sites",
            s(sites),
            "--radius",
            "250km",
            "--format",
            "json",
        ];
        a.extend_from_slice(extra);
        ok_json(&a)
    };
    let want = run_with(&data("china_outlets.csv"), &[]);
    let got = run_with(&fixture("outlets.gpkg"), &[]);
    assert_eq!(comparable(got), comparable(want.clone()));
    // The same layer picked out of a file with two.
    let got = run_with(&fixture("two_layers.gpkg"), &["--layer", "outlets"]);
    assert_eq!(comparable(got), comparable(want));
}

/// Every demand point's lon/lat as the run read it, from `--assignments-out`.
fn places_read(demand: &Path, extra: &[&str]) -> Vec<(String, f64, f64, f64)> {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let outlets = data("china_outlets.csv");
    let mut args = vec![
        "evaluate",
        "--demand",
        s(demand),
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
        "--assignments-out",
        s(&a),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    ok_json(&args);
    let mut r = csv::Reader::from_path(&a).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                rec[1].parse().unwrap(),
                rec[2].parse().unwrap(),
                rec[3].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn reprojected_files_give_the_same_longitude_and_latitude() {
    let want = read_rows(&fixture("cities.csv"), Some("population"), None);
    for f in ["cities_3857.gpkg", "cities_3857.parquet"] {
        let got = places_read(&fixture(f), &[]);
        assert_eq!(got.len(), want.len(), "{f}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.id, "{f}");
            assert!(
                (g.1 - w.lon).abs() < 1e-7,
                "{f} {}: lon {} vs {}",
                w.id,
                g.1,
                w.lon
            );
            assert!(
                (g.2 - w.lat).abs() < 1e-7,
                "{f} {}: lat {} vs {}",
                w.id,
                g.2,
                w.lat
            );
            assert_eq!(g.3, w.weight, "{f}");
        }
    }
    // UTM zone 50N from a .prj in ESRI's words (no EPSG code in it): the cities
    // between 114 and 120 degrees east.
    let east: Vec<&Row> = want
        .iter()
        .filter(|r| (114.0..=120.0).contains(&r.lon))
        .collect();
    let got = places_read(&fixture("east_utm50.shp"), &[]);
    assert_eq!(got.len(), east.len());
    assert!(got.len() > 20);
    for (g, w) in got.iter().zip(east) {
        assert_eq!(g.0, w.id);
        assert!(
            (g.1 - w.lon).abs() < 1e-7,
            "{}: lon {} vs {}",
            w.id,
            g.1,
            w.lon
        );
        assert!(
            (g.2 - w.lat).abs() < 1e-7,
            "{}: lat {} vs {}",
            w.id,
            g.2,
            w.lat
        );
    }
}

#[test]
fn a_projected_file_can_be_measured_in_its_own_metres() {
    // --crs naming the file's own system keeps its metres (planar distances).
    let v = ok_json(&[
        "evaluate",
        "--demand",
        s(&fixture("east_utm50.shp")),
        "--sites",
        s(&fixture("east_utm50.shp")),
        "--crs",
        "EPSG:32650",
        "--radius",
        "10km",
        "--format",
        "json",
    ]);
    assert_eq!(v["coverage"]["covered_fraction"], 1.0);
    // Another system than the file's is refused, naming both.
    let e = error(&[
        "evaluate",
        "--demand",
        s(&fixture("east_utm50.shp")),
        "--sites",
        s(&data("china_outlets.csv")),
        "--crs",
        "EPSG:32651",
        "--radius",
        "10km",
    ]);
    assert!(e.contains("EPSG:32650") && e.contains("EPSG:32651"), "{e}");
}

#[test]
fn polygons_count_at_their_centroid() {
    let got = places_read(&fixture("regions.gpkg"), &[]);
    // Squares of 0.2 degrees around these centres (scripts/make_gis_fixtures.py).
    let want = [
        ("r1", 104.0, 30.0, 100.0),
        ("r2", 106.0, 31.0, 200.0),
        ("r3", 108.0, 32.0, 300.0),
    ];
    assert_eq!(got.len(), 3);
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0);
        assert!(
            (g.1 - w.1).abs() < 1e-9 && (g.2 - w.2).abs() < 1e-9,
            "{g:?}"
        );
        assert_eq!(g.3, w.3);
    }
    let v = ok_json(&[
        "evaluate",
        "--demand",
        s(&fixture("regions.gpkg")),
        "--sites",
        s(&data("china_outlets.csv")),
        "--radius",
        "100km",
        "--format",
        "json",
    ]);
    assert!(
        notes(&v).contains("3 polygon feature(s) taken at their centroid"),
        "{v}"
    );
}

#[test]
fn layers_are_chosen_or_listed() {
    let outlets = data("china_outlets.csv");
    let two = fixture("two_layers.gpkg");
    let e = error(&[
        "evaluate",
        "--demand",
        s(&two),
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
    ]);
    assert!(e.contains("two_layers.gpkg"), "{e}");
    assert!(e.contains("2 feature layers: `cities`, `outlets`"), "{e}");
    assert!(e.contains("--layer NAME"), "{e}");
    let e = error(&[
        "evaluate",
        "--demand",
        s(&two),
        "--layer",
        "customers",
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
    ]);
    assert!(
        e.contains("--layer \"customers\" names no feature layer"),
        "{e}"
    );
    assert!(e.contains("`cities`, `outlets`"), "{e}");
    // The right layer reads as the single-layer file does.
    let a = ok_json(&[
        "evaluate",
        "--demand",
        s(&two),
        "--layer",
        "cities",
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
        "--format",
        "json",
    ]);
    let b = ok_json(&[
        "evaluate",
        "--demand",
        s(&fixture("cities.gpkg")),
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
        "--format",
        "json",
    ]);
    assert_eq!(comparable(a), comparable(b));
}

#[test]
fn bad_features_are_located() {
    let outlets = data("china_outlets.csv");
    // A line is not a place: the file, layer, feature and id are named.
    let e = error(&[
        "evaluate",
        "--demand",
        s(&fixture("roads.gpkg")),
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
    ]);
    assert!(
        e.contains("roads.gpkg:layer `roads`, feature 1 (id \"road1\")"),
        "{e}"
    );
    assert!(
        e.contains("LineString") && e.contains("--skip-invalid"),
        "{e}"
    );
    // NaN coordinates.
    let e = error(&[
        "evaluate",
        "--demand",
        s(&fixture("nan_point.gpkg")),
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
    ]);
    let fifth = &read_rows(&fixture("cities.csv"), None, None)[4].id;
    assert!(
        e.contains(&format!("layer `cities`, feature 5 (id \"{fifth}\")")),
        "{e}"
    );
    // GeoPackage writes an empty point as NaN coordinates.
    assert!(e.contains("an empty Point (no coordinates, or NaN)"), "{e}");
    // ... which --skip-invalid skips, keeping the other 300.
    let v = ok_json(&[
        "evaluate",
        "--demand",
        s(&fixture("nan_point.gpkg")),
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
        "--skip-invalid",
        "--format",
        "json",
    ]);
    assert_eq!(v["demand"]["points"], 300);
    // A weight column that is not there.
    let e = error(&[
        "evaluate",
        "--demand",
        s(&fixture("cities.fgb")),
        "--weight-col",
        "sales",
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
    ]);
    assert!(
        e.contains("cities.fgb") && e.contains("--weight-col \"sales\" names no column"),
        "{e}"
    );
    assert!(e.contains("`population`"), "{e}");
}

#[test]
fn unknown_coordinate_systems_are_refused_by_name() {
    let e = error(&[
        "evaluate",
        "--demand",
        s(&fixture("local_grid.gpkg")),
        "--sites",
        s(&data("china_outlets.csv")),
        "--radius",
        "100km",
    ]);
    assert!(e.contains("local_grid.gpkg: layer `outlets`"), "{e}");
    assert!(e.contains("no EPSG code outpost knows"), "{e}");
    assert!(e.contains("ogr2ogr -t_srs EPSG:4326"), "{e}");
}

#[test]
fn truncated_and_incomplete_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outlets = data("china_outlets.csv");
    for (f, what) in [
        ("cities.gpkg", "GeoPackage"),
        ("cities.fgb", "FlatGeobuf"),
        ("cities.parquet", "GeoParquet"),
        ("cities.shp", "Shapefile"),
    ] {
        let bytes = std::fs::read(fixture(f)).unwrap();
        let cut = dir.path().join(f);
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        if f.ends_with(".shp") {
            std::fs::copy(fixture("cities.dbf"), dir.path().join("cities.dbf")).unwrap();
        }
        let e = error(&[
            "evaluate",
            "--demand",
            s(&cut),
            "--sites",
            s(&outlets),
            "--radius",
            "100km",
        ]);
        assert!(e.contains(s(&cut)), "{f}: {e}");
        assert!(
            e.contains(&format!("cannot read the {what} file")),
            "{f}: {e}"
        );
    }
    // A Shapefile without its .dbf.
    let lone = dir.path().join("lone.shp");
    std::fs::copy(fixture("cities.shp"), &lone).unwrap();
    let e = error(&[
        "evaluate",
        "--demand",
        s(&lone),
        "--sites",
        s(&outlets),
        "--radius",
        "100km",
    ]);
    assert!(e.contains("lone.dbf") && e.contains("copy the .dbf"), "{e}");
}

/// Rows of a layer of a GeoPackage written by outpost, read with SQLite directly.
fn gpkg_layer(path: &Path, layer: &str) -> (i64, String, i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let (ty, srs): (String, i64) = conn
        .query_row(
            "SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
            [layer],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let n: i64 = conn
        .query_row(&format!("SELECT count(*) FROM \"{layer}\""), [], |r| {
            r.get(0)
        })
        .unwrap();
    (n, ty, srs)
}

#[test]
fn geopackage_outputs_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demand = fixture("cities.csv");
    let outlets = data("china_outlets.csv");
    let (sites, assign, areas) = (d.join("sites.gpkg"), d.join("a.gpkg"), d.join("areas.gpkg"));
    let plan = ok_json(&[
        "plan",
        "--demand",
        s(&demand),
        "--existing",
        s(&outlets),
        "--radius",
        "150km,300km",
        "--add",
        "4",
        "--sites-out",
        s(&sites),
        "--assignments-out",
        s(&assign),
        "--areas-out",
        s(&areas),
        "--format",
        "json",
    ]);
    let open = plan["sites"].as_array().unwrap().len() as i64;
    assert_eq!(gpkg_layer(&sites, "sites"), (open, "POINT".into(), 4326));
    assert_eq!(
        gpkg_layer(&assign, "assignments"),
        (301, "POINT".into(), 4326)
    );
    assert_eq!(
        gpkg_layer(&areas, "areas"),
        (open * 2, "MULTIPOLYGON".into(), 4326)
    );
    // outpost reads its own sites back: the plan's coverage, from the written file.
    let again = ok_json(&[
        "evaluate",
        "--demand",
        s(&demand),
        "--sites",
        s(&sites),
        "--radius",
        "150km,300km",
        "--format",
        "json",
    ]);
    assert_eq!(again["coverage"], plan["coverage"]);
    assert_eq!(again["sites"].as_array().unwrap().len() as i64, open);
    // ... and the assignments as demand: the same places and weights.
    let a = ok_json(&[
        "evaluate",
        "--demand",
        s(&assign),
        "--sites",
        s(&sites),
        "--radius",
        "150km,300km",
        "--format",
        "json",
    ]);
    assert_eq!(a["demand"], plan["demand"]);
    assert_eq!(a["coverage"], plan["coverage"]);
    // The same run writes the same bytes.
    let sites2 = d.join("sites2.gpkg");
    ok_json(&[
        "plan",
        "--demand",
        s(&demand),
        "--existing",
        s(&outlets),
        "--radius",
        "150km,300km",
        "--add",
        "4",
        "--sites-out",
        s(&sites2),
        "--format",
        "json",
    ]);
    assert_eq!(
        std::fs::read(&sites).unwrap(),
        std::fs::read(&sites2).unwrap()
    );
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty());
}

#[test]
fn planar_coordinates_cannot_be_written_as_a_geopackage() {
    let dir = tempfile::tempdir().unwrap();
    let e = error(&[
        "evaluate",
        "--demand",
        s(&data("china_utm50.csv")),
        "--sites",
        s(&data("china_utm50.csv")),
        "--crs",
        "planar",
        "--radius",
        "10km",
        "--sites-out",
        s(&dir.path().join("s.gpkg")),
    ]);
    assert!(e.contains("--sites-out") && e.contains("planar"), "{e}");
}

#[test]
fn a_geopackage_with_other_layers_is_never_replaced() {
    let t = tempfile::tempdir().unwrap();
    let project = t.path().join("project.gpkg");
    std::fs::copy(fixture("two_layers.gpkg"), &project).unwrap();
    let before = std::fs::read(&project).unwrap();
    let cities = fixture("cities.csv");
    let r = run(&[
        "plan",
        "--demand",
        s(&cities),
        "--radius",
        "100km",
        "--add",
        "2",
        "-q",
        "--sites-out",
        s(&project),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("project.gpkg: the GeoPackage holds other layers (")
            && r.stderr.contains("give another file name"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&project).unwrap(), before);
    // outpost's own one-layer file is replaced by the next run.
    let own = t.path().join("sites.gpkg");
    for _ in 0..2 {
        let r = run(&[
            "plan",
            "--demand",
            s(&cities),
            "--radius",
            "100km",
            "--add",
            "2",
            "-q",
            "--sites-out",
            s(&own),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
}
