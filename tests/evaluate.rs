//! `outpost evaluate` end to end, checked against an independent haversine
//! computation on the real data in `data/`.

mod common;
use common::*;
use predicates::prelude::*;

/// Brute-force reference for one evaluation.
struct Reference {
    nearest: Vec<(usize, f64)>,
    total: f64,
}

fn reference(demand: &[Row], sites: &[Row]) -> Reference {
    let nearest = demand
        .iter()
        .map(|d| {
            sites
                .iter()
                .enumerate()
                .map(|(j, s)| (j, haversine(d.lon, d.lat, s.lon, s.lat)))
                .fold(
                    (usize::MAX, f64::INFINITY),
                    |a, b| if b.1 < a.1 { b } else { a },
                )
        })
        .collect();
    Reference {
        nearest,
        total: demand.iter().map(|d| d.weight).sum(),
    }
}

fn weighted_quantile(pairs: &mut [(f64, f64)], q: f64) -> f64 {
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for p in pairs.iter() {
        acc += p.1;
        if acc >= q * total {
            return p.0;
        }
    }
    pairs.last().unwrap().0
}

fn check_against_reference(
    demand: &[Row],
    sites: &[Row],
    radii: &[f64],
    report: &serde_json::Value,
) {
    let r = reference(demand, sites);
    let tol = 1e-9;
    assert_eq!(
        report["demand"]["points"].as_u64().unwrap() as usize,
        demand.len()
    );
    assert!(rel_close(
        report["demand"]["total_weight"].as_f64().unwrap(),
        r.total,
        tol
    ));
    for (t, &km) in radii.iter().enumerate() {
        let (w, n) = demand
            .iter()
            .zip(&r.nearest)
            .filter(|(_, (_, d))| *d <= km)
            .fold((0.0, 0u64), |(w, n), (p, _)| (w + p.weight, n + 1));
        let tier = &report["tiers"][t];
        assert_eq!(tier["radius_km"].as_f64().unwrap(), km);
        assert!(
            rel_close(tier["covered_weight"].as_f64().unwrap(), w, tol),
            "tier {km}: {} vs {w}",
            tier["covered_weight"]
        );
        assert_eq!(tier["covered_points"].as_u64().unwrap(), n);
    }
    let mean = demand
        .iter()
        .zip(&r.nearest)
        .map(|(p, (_, d))| p.weight * d)
        .sum::<f64>()
        / r.total;
    let mut pairs: Vec<(f64, f64)> = demand
        .iter()
        .zip(&r.nearest)
        .map(|(p, (_, d))| (*d, p.weight))
        .collect();
    let dist = &report["distance_km"];
    assert!(rel_close(dist["mean"].as_f64().unwrap(), mean, tol));
    assert!(rel_close(
        dist["p50"].as_f64().unwrap(),
        weighted_quantile(&mut pairs, 0.5),
        tol
    ));
    assert!(rel_close(
        dist["p90"].as_f64().unwrap(),
        weighted_quantile(&mut pairs, 0.9),
        tol
    ));
    assert!(rel_close(
        dist["max"].as_f64().unwrap(),
        pairs.iter().map(|p| p.0).fold(0.0, f64::max),
        tol
    ));
    // Per site: weight for which it is nearest, and weight within the first radius.
    for (j, s) in sites.iter().enumerate() {
        let site = report["sites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == s.id.as_str())
            .unwrap();
        let assigned: f64 = demand
            .iter()
            .zip(&r.nearest)
            .filter(|(_, (k, _))| *k == j)
            .map(|(p, _)| p.weight)
            .sum();
        let covered: f64 = demand
            .iter()
            .filter(|p| haversine(p.lon, p.lat, s.lon, s.lat) <= radii[0])
            .map(|p| p.weight)
            .sum();
        assert!(
            rel_close(site["assigned_weight"].as_f64().unwrap(), assigned, tol),
            "site {}",
            s.id
        );
        assert!(
            rel_close(site["covered_weight"].as_f64().unwrap(), covered, tol) || covered == 0.0,
            "site {}",
            s.id
        );
    }
    // Per group.
    for g in report["groups"].as_array().unwrap() {
        let name = g["group"].as_str().unwrap();
        let members: Vec<usize> = (0..demand.len())
            .filter(|&i| demand[i].group == name)
            .collect();
        let total: f64 = members.iter().map(|&i| demand[i].weight).sum();
        let covered: f64 = members
            .iter()
            .filter(|&&i| r.nearest[i].1 <= radii[0])
            .map(|&i| demand[i].weight)
            .sum();
        assert!(rel_close(g["total_weight"].as_f64().unwrap(), total, tol));
        assert!(rel_close(g["covered_weight"].as_f64().unwrap(), covered, tol) || covered == 0.0);
        assert_eq!(g["points"].as_u64().unwrap() as usize, members.len());
    }
}

#[test]
fn china_evaluation_matches_brute_force_haversine() {
    let out = outpost()
        .args(["evaluate", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .args(["--radius", "100km,250km,500km", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report = json_of(&out);
    let demand = read_rows(
        &data("china_cities.csv"),
        Some("population"),
        Some("province"),
    );
    let sites = read_rows(&data("china_outlets.csv"), None, None);
    check_against_reference(&demand, &sites, &[100.0, 250.0, 500.0], &report);
    // Worst group first.
    let fr: Vec<f64> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["covered_fraction"].as_f64().unwrap())
        .collect();
    assert!(fr.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn polar_and_antimeridian_evaluation_matches_brute_force() {
    // World cities above 55°N or within 20° of the antimeridian; sites among them.
    let all = read_rows(
        &data("world_cities.csv"),
        Some("population"),
        Some("country"),
    );
    let demand: Vec<Row> = all
        .into_iter()
        .filter(|r| r.lat.abs() > 55.0 || r.lon.abs() > 160.0)
        .collect();
    assert!(demand.len() > 500);
    let sites: Vec<Row> = demand.iter().step_by(37).cloned().collect();
    let dir = tempfile::tempdir().unwrap();
    let (dp, sp) = (dir.path().join("d.csv"), dir.path().join("s.csv"));
    write_rows(&dp, &demand);
    write_rows(&sp, &sites);
    let out = outpost()
        .args(["evaluate", "--group-col", "region", "--demand"])
        .arg(&dp)
        .arg("--sites")
        .arg(&sp)
        .args(["--radius", "80km,300km", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    check_against_reference(&demand, &sites, &[80.0, 300.0], &json_of(&out));
}

fn strip_elapsed(v: &[u8]) -> String {
    let mut j = json_of(v);
    j["elapsed_ms"] = serde_json::Value::Null;
    j.to_string()
}

#[test]
fn same_bytes_whatever_the_thread_count() {
    let run = |threads: &str, cmd: &[&str]| {
        outpost()
            .env("RAYON_NUM_THREADS", threads)
            .args(cmd)
            .arg("--demand")
            .arg(data("world_cities.csv"))
            .arg(if cmd[0] == "evaluate" {
                "--sites"
            } else {
                "--candidates"
            })
            .arg(data("china_cities.csv"))
            .args(["--radius", "50km,150km", "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    for cmd in [
        &["evaluate"][..],
        &["plan", "--add", "30", "--time-limit", "100"][..],
    ] {
        assert_eq!(
            strip_elapsed(&run("1", cmd)),
            strip_elapsed(&run("2", cmd)),
            "{cmd:?}"
        );
    }
}

#[test]
fn min_coverage_gate_exit_codes() {
    let base = |min: &str| {
        let mut c = outpost();
        c.args(["evaluate", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--sites")
            .arg(data("china_outlets.csv"))
            .args(["--radius", "200km", "--min-coverage", min]);
        c
    };
    base("20%").assert().code(0);
    base("0.9")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("below --min-coverage 90.00%"))
        .stdout(predicate::str::contains("FAIL"));
}

#[test]
fn every_format_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    for (ext, needle) in [
        ("json", "\"covered_fraction\""),
        ("md", "| radius |"),
        ("csv", "tier,200,covered_weight"),
        ("txt", "Coverage by radius"),
    ] {
        let out = dir.path().join(format!("report.{ext}"));
        outpost()
            .args(["evaluate", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--sites")
            .arg(data("china_outlets.csv"))
            .args(["--radius", "200km", "--output"])
            .arg(&out)
            .assert()
            .success()
            .stdout("");
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(needle), "{ext}: {text}");
    }
    // Sites and assignments.
    let (so, ao) = (
        dir.path().join("sites.geojson"),
        dir.path().join("assign.csv"),
    );
    outpost()
        .args(["evaluate", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .args(["--radius", "200km,400km", "--sites-out"])
        .arg(&so)
        .arg("--assignments-out")
        .arg(&ao)
        .assert()
        .success();
    let gj = json_of(&std::fs::read(&so).unwrap());
    assert_eq!(gj["features"].as_array().unwrap().len(), 4);
    let rows = read_rows(&ao, Some("weight"), None);
    assert_eq!(rows.len(), 2106);
    let mut r = csv::Reader::from_path(&ao).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "lon",
            "lat",
            "weight",
            "group",
            "site_id",
            "distance_km",
            "covered_200km",
            "covered_400km"
        ]
    );
    // No temporary files left behind.
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp"))
    );
}

#[test]
fn geojson_and_stdin_inputs_give_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let sites = read_rows(&data("china_outlets.csv"), None, None);
    let features: Vec<serde_json::Value> = sites
        .iter()
        .map(|s| serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]}, "properties": {"id": s.id}}))
        .collect();
    let gp = dir.path().join("outlets.geojson");
    std::fs::write(
        &gp,
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    let run = |sites: &std::path::Path, stdin: bool| {
        let mut c = outpost();
        c.args([
            "evaluate", "--radius", "150km", "--format", "json", "--sites",
        ])
        .arg(sites)
        .arg("--demand");
        if stdin {
            c.arg("-")
                .write_stdin(std::fs::read(data("china_cities.csv")).unwrap());
        } else {
            c.arg(data("china_cities.csv"));
        }
        let mut j = json_of(&c.assert().success().get_output().stdout);
        j["elapsed_ms"] = serde_json::Value::Null;
        // Display names differ (the GeoJSON has ids only); compare the numbers.
        (
            j["tiers"].clone(),
            j["distance_km"].clone(),
            j["groups"].clone(),
        )
    };
    assert_eq!(run(&data("china_outlets.csv"), false), run(&gp, false));
    assert_eq!(
        run(&data("china_outlets.csv"), false),
        run(&data("china_outlets.csv"), true)
    );
}

#[test]
fn time_radius_with_speed() {
    let out = outpost()
        .args(["evaluate", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .args(["--radius", "4h", "--speed", "60km/h", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json_of(&out)["radius_km"].as_f64().unwrap(), 240.0);
    outpost()
        .args(["evaluate", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .args(["--radius", "4h"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--speed"));
}
