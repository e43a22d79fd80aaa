//! Distance models end to end: the detour factor (`--circuity`) against the
//! plain great-circle model it scales, and the model named in every report.

mod common;
use common::*;
use predicates::prelude::*;

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = outpost()
        .args(args)
        .args(["--format", "json", "-q"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out.stdout)
}

#[test]
fn circuity_is_the_great_circle_model_scaled() {
    let (d, s) = (data("china_cities.csv"), data("china_outlets.csv"));
    let (d, s) = (d.to_str().unwrap(), s.to_str().unwrap());
    let c = 1.3;
    let road = run_json(&[
        "evaluate",
        "--demand",
        d,
        "--sites",
        s,
        "--radius",
        "200km,400km",
        "--circuity",
        "1.3",
    ]);
    // 200 km by road at circuity 1.3 is 200 / 1.3 km as the crow flies.
    let crow = run_json(&[
        "evaluate",
        "--demand",
        d,
        "--sites",
        s,
        "--radius",
        &format!("{}km,{}km", 200.0 / c, 400.0 / c),
    ]);
    assert_eq!(road["distance_model"], "great_circle");
    assert_eq!(road["unit"], "km");
    assert_eq!(road["circuity"], 1.3);
    assert_eq!(road["radius_km"], 200.0);
    assert!(crow.get("circuity").is_none(), "no detour, no key");
    for t in 0..2 {
        assert_eq!(
            road["tiers"][t]["covered_weight"], crow["tiers"][t]["covered_weight"],
            "tier {t}"
        );
    }
    assert_eq!(
        road["coverage"]["covered_points"],
        crow["coverage"]["covered_points"]
    );
    for k in ["mean", "p50", "p90", "max"] {
        let (r, g) = (
            road["distance_km"][k].as_f64().unwrap(),
            crow["distance_km"][k].as_f64().unwrap(),
        );
        assert!(rel_close(r, c * g, 1e-9), "{k}: {r} vs 1.3 x {g}");
    }
}

#[test]
fn circuity_plans_as_the_shorter_straight_radius() {
    let (d, s) = (data("china_cities.csv"), data("china_outlets.csv"));
    let (d, s) = (d.to_str().unwrap(), s.to_str().unwrap());
    let sites = |r: &serde_json::Value| -> Vec<String> {
        r["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let road = run_json(&[
        "plan",
        "--demand",
        d,
        "--existing",
        s,
        "--radius",
        "150km",
        "--circuity",
        "1.25",
        "--add",
        "6",
    ]);
    let crow = run_json(&[
        "plan",
        "--demand",
        d,
        "--existing",
        s,
        "--radius",
        "120km",
        "--add",
        "6",
    ]);
    assert_eq!(sites(&road), sites(&crow));
    assert_eq!(
        road["coverage"]["covered_weight"],
        crow["coverage"]["covered_weight"]
    );
}

#[test]
fn hostile_circuity_is_refused_with_the_flag_named() {
    let (d, s) = (data("china_cities.csv"), data("china_outlets.csv"));
    for v in ["0.5", "0", "nan", "inf", "1e308", "abc", "10.5"] {
        outpost()
            .args(["evaluate", "--demand"])
            .arg(&d)
            .arg("--sites")
            .arg(&s)
            .args(["--radius", "100km", &format!("--circuity={v}")])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--circuity"));
    }
}

#[test]
fn scenario_files_take_circuity_and_check_it() {
    let dir = tempfile::tempdir().unwrap();
    let toml = |c: &str| {
        format!(
            "[inputs]\ndemand = {:?}\nexisting = {:?}\nradius = \"200km\"\ncircuity = {c}\n\n[[scenario]]\nname = \"more\"\nadd = 2\n",
            data("china_cities.csv").to_str().unwrap(),
            data("china_outlets.csv").to_str().unwrap()
        )
    };
    let good = dir.path().join("good.toml");
    std::fs::write(&good, toml("1.3")).unwrap();
    let out = outpost()
        .args(["scenarios"])
        .arg(&good)
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, toml("0.8")).unwrap();
    outpost()
        .args(["scenarios"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("circuity"));
}
