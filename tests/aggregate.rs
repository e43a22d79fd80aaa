//! `plan --aggregate`: plans on demand merged into cells, measured on every
//! point. Checked against brute-force haversine counts over the raw points.

mod common;
use common::*;
use predicates::prelude::*;

fn plan_json(extra: &[&str]) -> serde_json::Value {
    let out = outpost()
        .args(["plan", "--demand"])
        .arg(data("china_cities.csv"))
        .args(["--format", "json", "-q"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out.stdout)
}

fn open_sites(report: &serde_json::Value) -> Vec<(f64, f64)> {
    report["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] != "closed")
        .map(|s| (s["lon"].as_f64().unwrap(), s["lat"].as_f64().unwrap()))
        .collect()
}

fn covered_by_brute_force(demand: &[Row], sites: &[(f64, f64)], km: f64) -> f64 {
    demand
        .iter()
        .filter(|d| {
            sites
                .iter()
                .any(|&(lon, lat)| haversine(d.lon, d.lat, lon, lat) <= km)
        })
        .map(|d| d.weight)
        .sum()
}

#[test]
fn the_plan_is_measured_on_every_point_and_bracketed_by_the_error() {
    let demand = read_rows(&data("china_cities.csv"), Some("population"), None);
    for cell in ["20km", "h3:5"] {
        let r = plan_json(&["--radius", "150km", "--add", "12", "--aggregate", cell]);
        let agg = &r["aggregation"];
        assert_eq!(agg["points"], 2106, "{cell}");
        let cells = agg["cells"].as_u64().unwrap();
        assert!(cells > 100 && cells < 2106, "{cell}: {cells} cells");
        let err = agg["max_error_km"].as_f64().unwrap();
        assert!(err > 0.0 && err < 30.0, "{cell}: error {err}");
        let sites = open_sites(&r);
        assert_eq!(sites.len(), 12);
        // The report's coverage is the raw points'.
        let covered = r["tiers"][0]["covered_weight"].as_f64().unwrap();
        let want = covered_by_brute_force(&demand, &sites, 150.0);
        assert!(
            rel_close(covered, want, 1e-9),
            "{cell}: {covered} vs {want}"
        );
        assert_eq!(r["objective_value"]["value"].as_f64().unwrap(), covered);
        // Every point of a cell within 150 km lies within 150 km + error.
        let planned = agg["planned"].as_f64().unwrap();
        let wide = covered_by_brute_force(&demand, &sites, 150.0 + err + 1e-6);
        assert!(
            wide >= planned * (1.0 - 1e-12),
            "{cell}: {wide} < {planned}"
        );
        assert!(
            r["bound"]["method"]
                .as_str()
                .unwrap()
                .contains(&format!("on the {cells} cells"))
        );
        // Each note once: the cells' plan does not repeat the input notes.
        let notes: Vec<&str> = r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        let demand_notes = notes
            .iter()
            .filter(|n| n.starts_with("demand file"))
            .count();
        assert_eq!(demand_notes, 1, "{notes:?}");
        let aggregated = notes
            .iter()
            .find(|n| n.starts_with("aggregated 2106 demand points"))
            .unwrap();
        assert!(aggregated.contains(" on the cells and is "), "{aggregated}");
        assert!(
            aggregated.contains(&crate_fmt(covered)),
            "{aggregated}: {covered}"
        );
    }
}

/// A weight as the notes print it: whole, with thousands separators.
fn crate_fmt(x: f64) -> String {
    let s = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn cells_finer_than_the_data_give_the_plan_without_aggregation() {
    let plain = plan_json(&["--radius", "100km", "--add", "8"]);
    let fine = plan_json(&["--radius", "100km", "--add", "8", "--aggregate", "10m"]);
    assert_eq!(fine["aggregation"]["max_error_km"], 0.0);
    assert_eq!(
        fine["tiers"][0]["covered_weight"],
        plain["tiers"][0]["covered_weight"]
    );
    assert_eq!(open_sites(&fine), open_sites(&plain));
}

#[test]
fn aggregation_is_the_same_with_one_thread_or_two() {
    let run = |threads: &str| {
        let out = outpost()
            .env("RAYON_NUM_THREADS", threads)
            .args(["plan", "--demand"])
            .arg(data("china_cities.csv"))
            .args([
                "--radius",
                "200km",
                "--add",
                "10",
                "--aggregate",
                "h3:4",
                "--format",
                "json",
                "-q",
            ])
            .output()
            .unwrap();
        let mut v = json_of(&out.stdout);
        v["elapsed_ms"] = 0.into();
        v.to_string()
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn projected_demand_aggregates_on_a_metre_grid() {
    let out = outpost()
        .args(["plan", "--demand"])
        .arg(data("china_utm50.csv"))
        .args([
            "--crs",
            "EPSG:32650",
            "--radius",
            "80km",
            "--add",
            "5",
            "--aggregate",
            "15km",
            "--format",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out.stdout);
    let err = r["aggregation"]["max_error_km"].as_f64().unwrap();
    // A 15 km square's half diagonal is 10.6 km; a weighted centre can sit
    // anywhere in it, so a point is at most a full diagonal away.
    assert!(err > 0.0 && err <= 15.0 * 2f64.sqrt() + 1e-9, "{err}");
    assert!((r["aggregation"]["cells"].as_u64().unwrap()) < 513);
}

#[test]
fn aggregation_refuses_what_it_cannot_carry() {
    let cases: &[(&[&str], &str)] = &[
        (&["--aggregate", "0"], "out of range"),
        (&["--aggregate", "-5km"], "out of range"),
        (&["--aggregate", "nan"], "out of range"),
        (&["--aggregate", "1e308"], "out of range"),
        (&["--aggregate", "h3:16"], "not an H3 resolution"),
        (&["--aggregate", "five"], "not a cell size"),
        (&["--aggregate", "10km", "--capacity", "1e6"], "capacities"),
        (
            &[
                "--aggregate",
                "10km",
                "--existing",
                "data/china_outlets.csv",
                "--relocate",
                "1",
            ],
            "relocation is not planned on cells",
        ),
    ];
    for (extra, want) in cases {
        outpost()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "plan",
                "--demand",
                "data/china_cities.csv",
                "--radius",
                "100km",
                "--add",
                "3",
            ])
            .args(*extra)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*want).and(predicate::str::contains("panick").not()));
    }
    outpost()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "plan",
            "--demand",
            "data/china_cities.csv",
            "--candidates",
            "data/china_cities.csv",
            "--costs",
            "data/china_drive_minutes.csv",
            "--cost-unit",
            "min",
            "--radius",
            "2h",
            "--add",
            "3",
            "--aggregate",
            "10km",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--costs"));
    outpost()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "plan",
            "--demand",
            "data/china_utm50.csv",
            "--crs",
            "EPSG:32650",
            "--radius",
            "100km",
            "--add",
            "3",
            "--aggregate",
            "h3:5",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("grid size"));
}

#[test]
fn a_target_is_judged_on_the_points() {
    // On 30 km cells the fewest sites reaching 60% of the cells' weight
    // reach a little less of the points' weight: the run says so and fails.
    let out = outpost()
        .args(["plan", "--demand"])
        .arg(data("china_cities.csv"))
        .args([
            "--objective",
            "min-sites",
            "--target",
            "60%",
            "--radius",
            "100km",
        ])
        .args(["--aggregate", "30km", "--format", "json", "-q"])
        .output()
        .unwrap();
    let r = json_of(&out.stdout);
    let got = r["coverage"]["covered_fraction"].as_f64().unwrap();
    let demand = read_rows(&data("china_cities.csv"), Some("population"), None);
    let total: f64 = demand.iter().map(|d| d.weight).sum();
    let want = covered_by_brute_force(&demand, &open_sites(&r), 100.0) / total;
    assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if got < 0.60 {
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("try a finer --aggregate"), "{stderr}");
    } else {
        assert!(out.status.success(), "{stderr}");
    }
}

#[test]
fn coarse_cells_are_warned_about_and_fine_ones_are_not() {
    // H3 resolution 0 cells are continents: points lie hundreds of km from
    // their cell's centre, far beyond half of a 150 km radius.
    let out = outpost()
        .args(["plan", "--demand"])
        .arg(data("china_cities.csv"))
        .args(["--radius", "150km", "--add", "5", "--aggregate", "h3:0"])
        // A warning is not progress: --quiet keeps it.
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("outpost: warning: --aggregate with H3 resolution 0 cells")
            && stderr.contains("more than half the 150 km radius"),
        "{stderr}"
    );
    let r = json_of(&out.stdout);
    let err = r["aggregation"]["max_error_km"].as_f64().unwrap();
    assert!(err > 75.0, "{err}");
    let notes = r["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("warning: --aggregate"))
    );

    // 2 km cells against a 150 km radius: no warning; an error under 1 km
    // is given in metres.
    let out = outpost()
        .args(["plan", "--demand"])
        .arg(data("china_cities.csv"))
        .args(["--radius", "150km", "--add", "5", "--aggregate", "500m"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
    let r = json_of(&out.stdout);
    let err = r["aggregation"]["max_error_km"].as_f64().unwrap();
    assert!(err < 1.0, "{err}");
    let note = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .find(|n| n.starts_with("aggregated"))
        .unwrap()
        .to_string();
    let metres = format!("at most {} m from", (err * 10_000.0).round() / 10.0);
    assert!(
        note.contains(&metres.replace(".0 m", " m")),
        "{note} / {metres}"
    );
}
