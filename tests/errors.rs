//! Bad input: exit code 2, one message naming the file, the place in it, the
//! column and the value, no panic and no output file left behind.

mod common;
use common::*;
use outpost::input::{Format, LoadOptions, Role, load_bytes};
use proptest::prelude::*;
use std::path::Path;

fn sites() -> std::path::PathBuf {
    data("china_outlets.csv")
}

/// Runs evaluate with `demand_text` as the demand file; expects exit 2 and each needle in stderr.
fn expect_error(name: &str, demand_text: &str, extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let demand = dir.path().join(name);
    std::fs::write(&demand, demand_text).unwrap();
    let report = dir.path().join("report.json");
    let out = outpost()
        .args(["evaluate", "--radius", "100km", "--demand"])
        .arg(&demand)
        .arg("--sites")
        .arg(sites())
        .arg("--output")
        .arg(&report)
        .args(extra)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("outpost: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in: {err}");
    }
    assert!(err.contains(name), "file not named: {err}");
    assert!(!report.exists(), "a report was written");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "left behind: {left:?}");
}

#[test]
fn not_a_number() {
    expect_error(
        "d.csv",
        "id,lon,lat,weight\na,10,20,5\nb,abc,20,5\n",
        &[],
        &["line 3", "`lon`", "\"abc\"", "not a number"],
    );
}

#[test]
fn thousands_separator_hint() {
    expect_error(
        "d.csv",
        "id,lon,lat,weight\na,10,20,\"1,000\"\n",
        &[],
        &["line 2", "`weight`", "thousands separators"],
    );
}

#[test]
fn nan_and_infinity() {
    expect_error(
        "d.csv",
        "id,lon,lat,weight\na,10,20,NaN\n",
        &[],
        &["line 2", "`weight`", "not a finite number"],
    );
    expect_error(
        "d.csv",
        "id,lon,lat,weight\na,inf,20,1\n",
        &[],
        &["line 2", "`lon`", "\"inf\""],
    );
}

#[test]
fn latitude_out_of_range_suggests_swapped_columns() {
    expect_error(
        "d.csv",
        "id,lon,lat\na,45.5,120.3\n",
        &[],
        &["line 2", "`lat`", "\"120.3\"", "swapped"],
    );
    expect_error(
        "d.csv",
        "id,lon,lat\na,-190,10\n",
        &[],
        &["`lon`", "\"-190\"", "[-180, 180]"],
    );
}

#[test]
fn projected_metres_are_recognised() {
    expect_error(
        "d.csv",
        "id,x,y\na,11584402.5,3590434.1\n",
        &[],
        &["line 2", "projected metres", "EPSG:4326"],
    );
}

#[test]
fn negative_weight() {
    expect_error(
        "d.csv",
        "id,lon,lat,sales\na,10,20,-3\n",
        &[],
        &["line 2", "`sales`", "\"-3\"", "negative weight"],
    );
}

#[test]
fn empty_file_and_header_only() {
    expect_error("d.csv", "", &[], &["empty"]);
    expect_error("d.csv", "id,lon,lat\n", &[], &["no demand places"]);
}

#[test]
fn missing_columns_list_what_was_found() {
    expect_error(
        "d.csv",
        "id,east,north\na,1,2\n",
        &[],
        &[
            "no longitude column",
            "`east`, `north`",
            "`lon`",
            "--lon-col",
        ],
    );
    expect_error(
        "d.csv",
        "id,lon,lat\na,1,2\n",
        &["--weight-col", "revenue"],
        &["--weight-col \"revenue\" names no column"],
    );
}

#[test]
fn ragged_rows() {
    expect_error(
        "d.csv",
        "id,lon,lat\na,1,2\nb,1,2,3\n",
        &[],
        &["line 3", "4 fields but the header has 3", "quote"],
    );
}

#[test]
fn malformed_geojson() {
    expect_error(
        "d.geojson",
        "{\"type\": \"FeatureCollection\", \"features\": [",
        &[],
        &["not valid GeoJSON", ":1:"],
    );
    expect_error("d.geojson", "{\"type\": \"Topology\"}", &[], &["Topology"]);
}

#[test]
fn non_point_geometry_names_the_kind() {
    let fc = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[10,20]},"properties":{"weight":3}},
        {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{}}]}"#;
    expect_error(
        "d.geojson",
        fc,
        &[],
        &["feature 2", "Polygon", "Point and MultiPoint"],
    );
}

#[test]
fn bad_geojson_property_names_feature_and_property() {
    let fc = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[10,20]},"properties":{"population":"many"}}]}"#;
    expect_error(
        "d.geojson",
        fc,
        &[],
        &["feature 1", "`population`", "\"many\""],
    );
}

#[test]
fn duplicate_site_ids() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("s.csv");
    std::fs::write(&s, "id,lon,lat\nX,10,20\nY,11,21\nX,12,22\n").unwrap();
    outpost()
        .args(["evaluate", "--radius", "100km", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "line 4: duplicate site id \"X\" (first seen at line 2)",
        ));
}

#[test]
fn skip_invalid_skips_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d.csv");
    std::fs::write(
        &d,
        "id,lon,lat,weight\na,104,30,5\nb,abc,20,5\nc,104.1,30.1,-1\nd,104.2,30.2,2\n",
    )
    .unwrap();
    let out = outpost()
        .args([
            "evaluate",
            "--radius",
            "100km",
            "--format",
            "json",
            "--skip-invalid",
            "--demand",
        ])
        .arg(&d)
        .arg("--sites")
        .arg(sites())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    assert_eq!(j["demand"]["points"], 2);
    assert_eq!(j["demand"]["skipped"], 2);
    let notes = j["notes"].to_string();
    assert!(
        notes.contains("2 invalid demand rows skipped") && notes.contains("line 3"),
        "{notes}"
    );
}

#[test]
fn missing_file_and_output_over_input() {
    outpost()
        .args([
            "evaluate",
            "--radius",
            "100km",
            "--demand",
            "no/such/file.csv",
            "--sites",
        ])
        .arg(sites())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no/such/file.csv"));
    // The output may never be an input.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d.csv");
    std::fs::copy(data("china_cities.csv"), &d).unwrap();
    let before = std::fs::read(&d).unwrap();
    outpost()
        .args(["evaluate", "--radius", "100km", "--demand"])
        .arg(&d)
        .arg("--sites")
        .arg(sites())
        .arg("--assignments-out")
        .arg(&d)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("never overwrites an input"));
    assert_eq!(std::fs::read(&d).unwrap(), before);
}

#[test]
fn bad_flags() {
    for (args, needle) in [
        (
            &["--radius", "fifty"][..],
            "cannot read \"fifty\" as a distance",
        ),
        (&["--radius=-5km"][..], "must be a positive"),
        // A negative value after a space is the value, not a flag.
        (&["--radius", "-5km"][..], "must be a positive"),
        (
            &["--radius", "50km", "--min-coverage", "-0.5"][..],
            "--min-coverage",
        ),
        (
            &["--radius", "50km", "--min-coverage", "95"][..],
            "percentage (95%)",
        ),
    ] {
        outpost()
            .args(["evaluate", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--sites")
            .arg(sites())
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(needle));
    }
}

fn all_loads(bytes: &[u8]) {
    for (name, format) in [("x.csv", Format::Csv), ("x.geojson", Format::GeoJson)] {
        for role in [Role::Demand, Role::Candidates, Role::Sites] {
            for skip in [false, true] {
                let opts = LoadOptions {
                    format: Some(format),
                    skip_invalid: skip,
                    ..LoadOptions::default()
                };
                // Any result is fine; a panic fails the test.
                let _ = load_bytes(Path::new(name), bytes, role, &opts);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn loaders_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        all_loads(&bytes);
    }

    #[test]
    fn loaders_never_panic_on_truncated_or_garbled_files(cut in 0usize..4000, flips in proptest::collection::vec((0usize..4000, any::<u8>()), 0..8)) {
        let csv = std::fs::read(data("china_outlets.csv")).unwrap();
        let gj = br#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[10,20],[11,21]]},"properties":{"id":"a","weight":4,"cost":2}},{"type":"Feature","geometry":{"type":"Point","coordinates":[12,22]},"properties":{"name":"b"}}]}"#.to_vec();
        for mut file in [csv, gj] {
            file.truncate(cut.min(file.len()));
            for &(at, b) in &flips {
                if !file.is_empty() {
                    let i = at % file.len();
                    file[i] = b;
                }
            }
            all_loads(&file);
        }
    }
}

/// Capacities are not planned for p-center: `--capacity` with
/// `--objective max-distance` is refused by name (it was silently ignored).
#[test]
fn capacity_with_max_distance_is_refused() {
    outpost()
        .args(["plan", "--demand"])
        .arg(data("china_cities.csv"))
        .args([
            "--objective",
            "max-distance",
            "--add",
            "3",
            "--capacity",
            "100",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--capacity is not planned for --objective max-distance",
        ));
}
