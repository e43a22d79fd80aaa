//! The travel-cost matrix model (`--costs`) end to end: a matrix holding the
//! great-circle distances plans exactly like the great-circle model, a sparse
//! matrix cut beyond the radius covers the same, ids-only inputs work, and
//! every bad matrix is refused with a located message and exit code 2.

mod common;
use common::*;
use std::path::{Path, PathBuf};

struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

impl Fixture {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.dir.join(name), text).unwrap();
        self.path(name)
    }
}

/// About 300 cities, 40 candidates, the 4 outlets, and a matrix of their
/// haversine distances in km, cut at `cut` km (all pairs when infinite).
fn fixture(cut: f64) -> Fixture {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().to_path_buf();
    let f = Fixture { _dir: t, dir };
    let rows = read_rows(
        &data("china_cities.csv"),
        Some("population"),
        Some("province"),
    );
    let demand: Vec<&Row> = rows.iter().step_by(7).take(300).collect();
    let cands: Vec<&Row> = rows.iter().step_by(53).take(40).collect();
    let outlets = read_rows(&data("china_outlets.csv"), None, None);
    let mut d = String::from("id,province,lon,lat,population\n");
    let mut d_ids = String::from("id,population\n");
    for r in &demand {
        d.push_str(&format!(
            "{},{},{},{},{}\n",
            r.id, r.group, r.lon, r.lat, r.weight
        ));
        d_ids.push_str(&format!("{},{}\n", r.id, r.weight));
    }
    let mut c = String::from("id,lon,lat\n");
    let mut c_ids = String::from("id\n");
    for r in &cands {
        c.push_str(&format!("{},{},{}\n", r.id, r.lon, r.lat));
        c_ids.push_str(&format!("{}\n", r.id));
    }
    let mut m = String::from("origin,destination,distance\n");
    for r in &demand {
        for s in cands.iter().copied().chain(outlets.iter()) {
            let km = haversine(r.lon, r.lat, s.lon, s.lat);
            if km <= cut {
                m.push_str(&format!("{},{},{km:?}\n", r.id, s.id));
            }
        }
    }
    f.write("demand.csv", &d);
    f.write("demand_ids.csv", &d_ids);
    f.write("cands.csv", &c);
    f.write("cands_ids.csv", &c_ids);
    f.write("od.csv", &m);
    f
}

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = outpost()
        .args(args)
        .args(["--format", "json", "-q"])
        .output()
        .expect("runs");
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out.stdout)
}

fn site_ids(r: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = r["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn fails(args: &[&str]) -> String {
    let out = outpost().args(args).arg("-q").output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn exact_matrix_plans_like_great_circles() {
    let f = fixture(f64::INFINITY);
    let outlets = data("china_outlets.csv");
    let base = [
        "plan",
        "--demand",
        &f.path("demand.csv"),
        "--candidates",
        &f.path("cands.csv"),
        "--existing",
        outlets.to_str().unwrap(),
        "--radius",
        "300km",
    ];
    for objective in [
        &["--objective", "coverage", "--add", "5"][..],
        &["--objective", "min-sites", "--target", "70%"],
        &["--objective", "distance", "--add", "5"],
        &["--objective", "max-distance", "--add", "5"],
    ] {
        let gc = run_json(&[&base[..], objective].concat());
        let od = f.path("od.csv");
        let mx = run_json(&[&base[..], objective, &["--costs", &od]].concat());
        assert_eq!(mx["distance_model"], "cost_matrix");
        assert_eq!(mx["unit"], "km");
        assert_eq!(site_ids(&gc), site_ids(&mx), "{objective:?}");
        assert_eq!(gc["coverage"], mx["coverage"], "{objective:?}");
        assert_eq!(gc["radius_km"], mx["radius"]);
        for k in ["mean", "p50", "p90", "max"] {
            let (a, b) = (
                gc["distance_km"][k].as_f64().unwrap(),
                mx["distance"][k].as_f64().unwrap(),
            );
            assert!(rel_close(a, b, 1e-9), "{objective:?} {k}: {a} vs {b}");
        }
        let (a, b) = (
            gc["objective_value"]["value"].as_f64().unwrap(),
            mx["objective_value"]["value"].as_f64().unwrap(),
        );
        assert!(rel_close(a, b, 1e-9), "{objective:?}: {a} vs {b}");
    }
}

#[test]
fn sparse_matrix_covers_the_same_below_the_cut() {
    let f = fixture(500.0);
    let outlets = data("china_outlets.csv");
    let (d, c, o) = (f.path("demand.csv"), f.path("cands.csv"), f.path("od.csv"));
    let base = [
        "plan",
        "--demand",
        &d,
        "--candidates",
        &c,
        "--existing",
        outlets.to_str().unwrap(),
        "--radius",
        "250km,400km",
        "--add",
        "6",
    ];
    let gc = run_json(&base);
    let mx = run_json(&[&base[..], &["--costs", &o]].concat());
    assert_eq!(site_ids(&gc), site_ids(&mx));
    for t in 0..2 {
        assert_eq!(
            gc["tiers"][t]["covered_weight"],
            mx["tiers"][t]["covered_weight"]
        );
    }
    // Points beyond the cut reach nothing, and the report says so.
    let notes = mx["notes"].to_string();
    assert!(notes.contains("reach no open site"), "{notes}");
    // p-median on the sparse matrix never charges an unreachable point less
    // than a reachable one: its objective is at least the great-circle one.
    let pm = |extra: &[&str]| {
        run_json(
            &[
                &[
                    "plan",
                    "--demand",
                    &d,
                    "--candidates",
                    &c,
                    "--objective",
                    "distance",
                    "--add",
                    "6",
                ][..],
                extra,
            ]
            .concat(),
        )
    };
    let gc = pm(&[]);
    let mx = pm(&["--costs", &o]);
    assert!(mx["objective_value"]["value"].as_f64().unwrap().is_finite());
    assert!(
        mx["coverage"]["covered_points"].as_u64().unwrap()
            >= gc["coverage"]["covered_points"].as_u64().unwrap() / 2
    );
}

#[test]
fn ids_only_inputs_and_time_radii() {
    let f = fixture(f64::INFINITY);
    // The same numbers read as minutes: radii are then times.
    let od = f.path("od.csv");
    let located = run_json(&[
        "plan",
        "--demand",
        &f.path("demand.csv"),
        "--candidates",
        &f.path("cands.csv"),
        "--radius",
        "300",
        "--add",
        "4",
        "--costs",
        &od,
        "--cost-unit",
        "min",
    ]);
    let bare = run_json(&[
        "plan",
        "--demand",
        &f.path("demand_ids.csv"),
        "--candidates",
        &f.path("cands_ids.csv"),
        "--radius",
        "5h",
        "--add",
        "4",
        "--costs",
        &od,
        "--cost-unit",
        "min",
    ]);
    assert_eq!(site_ids(&located), site_ids(&bare));
    assert_eq!(located["coverage"], bare["coverage"]);
    assert_eq!(bare["unit"], "min");
    assert_eq!(bare["radius"], 300.0);
    assert_eq!(bare["radius_label"], "5 h");
    assert!(bare.get("radius_km").is_none());
    // A distance radius against a time matrix is refused, saying why.
    let e = fails(&[
        "evaluate",
        "--demand",
        &f.path("demand_ids.csv"),
        "--sites",
        &f.path("cands_ids.csv"),
        "--radius",
        "50km",
        "--costs",
        &od,
        "--cost-unit",
        "min",
    ]);
    assert!(
        e.contains("is a distance, but the cost matrix holds travel times"),
        "{e}"
    );
    // No coordinates, no map.
    let e = fails(&[
        "evaluate",
        "--demand",
        &f.path("demand_ids.csv"),
        "--sites",
        &f.path("cands_ids.csv"),
        "--radius",
        "30",
        "--costs",
        &od,
        "--map",
        &f.path("m.svg"),
    ]);
    assert!(e.contains("--map") && e.contains("ids only"), "{e}");
    assert!(!Path::new(&f.path("m.svg")).exists());
}

#[test]
fn bad_matrices_are_located() {
    let f = fixture(f64::INFINITY);
    let d = f.path("demand_ids.csv");
    let s = f.path("cands_ids.csv");
    let first = std::fs::read_to_string(f.path("od.csv")).unwrap();
    // The second demand point and the second candidate: ids that name one place only.
    let line2 = first.lines().nth(46).unwrap().to_string();
    let (o, dest, _) = {
        let v: Vec<&str> = line2.split(',').collect();
        (v[0].to_string(), v[1].to_string(), v[2].to_string())
    };
    let run = |name: &str, text: &str| {
        let p = f.write(name, text);
        fails(&[
            "evaluate", "--demand", &d, "--sites", &s, "--radius", "300", "--costs", &p,
        ])
    };
    for (value, want) in [
        ("-4", "negative cost"),
        ("NaN", "NaN"),
        ("inf", "infinite cost"),
        ("12 min", "not a number"),
    ] {
        let e = run(
            "bad.csv",
            &format!("origin,destination,minutes\n{o},{dest},3\n\n{o},x,{value}\n"),
        );
        assert!(
            e.contains("bad.csv:line 4: column `minutes`"),
            "{value}: {e}"
        );
        assert!(e.contains(want), "{value}: {e}");
    }
    let e = run("cols.csv", "a,b,c\n1,2,3\n");
    assert!(e.contains("no demand id (origin) column"), "{e}");
    assert!(e.contains("the header has `a`, `b`, `c`"), "{e}");
    assert!(e.contains("--cost-from-col"), "{e}");
    // Swapped columns: the demand ids are in the site column.
    let e = run("swapped.csv", &format!("from,to,cost\n{dest},{o},3\n"));
    assert!(e.contains("look swapped"), "{e}");
    assert!(e.contains("--cost-from-col and --cost-to-col"), "{e}");
    // Duplicates: the smaller cost is kept, and a note says where.
    let text = format!("origin,destination,cost\r\n{o},{dest},9\r\n{o},{dest},2\r\n");
    let p = f.write("dup.csv", &text);
    let r = run_json(&[
        "evaluate", "--demand", &d, "--sites", &s, "--radius", "5", "--costs", &p,
    ]);
    let notes = r["notes"].to_string();
    assert!(notes.contains("1 duplicate"), "{notes}");
    assert!(notes.contains("lines 2 and 3"), "{notes}");
    assert!(notes.contains("have no row"), "{notes}");
    assert_eq!(r["uncovered"][0]["distance"], serde_json::Value::Null);
}

#[test]
fn the_matrix_is_an_input() {
    let f = fixture(f64::INFINITY);
    let od = f.path("od.csv");
    let e = fails(&[
        "evaluate",
        "--demand",
        &f.path("demand_ids.csv"),
        "--sites",
        &f.path("cands_ids.csv"),
        "--radius",
        "300",
        "--costs",
        &od,
        "--assignments-out",
        &od,
    ]);
    assert!(e.contains("--costs"), "{e}");
    assert!(std::fs::read_to_string(&od).unwrap().starts_with("origin,"));
}

#[test]
fn duplicate_demand_ids_are_refused_with_a_matrix() {
    // The matrix keys rows by demand id: two places sharing an id would share
    // one row of travel costs, so the run is refused, naming the id and both places.
    let f = fixture(f64::INFINITY);
    let text = std::fs::read_to_string(f.path("demand_ids.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let first_id = lines[1].split(',').next().unwrap().to_string();
    let copy = format!("{first_id},5");
    lines.insert(4, &copy);
    let dup = f.write("dup.csv", &(lines.join("\n") + "\n"));
    let od = f.path("od.csv");
    let err = fails(&[
        "evaluate",
        "--demand",
        &dup,
        "--sites",
        &f.path("cands_ids.csv"),
        "--radius",
        "300",
        "--costs",
        &od,
    ]);
    for want in [
        first_id.as_str(),
        "1st",
        "4th",
        "names two places",
        "own id",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    // Without the matrix, ids are labels only and the run goes on.
    let located = std::fs::read_to_string(f.path("demand.csv")).unwrap();
    let second = located.lines().nth(1).unwrap().to_string();
    let dup_located = f.write("dup_located.csv", &format!("{located}{second}\n"));
    let ok = outpost()
        .args([
            "evaluate",
            "--demand",
            &dup_located,
            "--sites",
            &f.path("cands.csv"),
        ])
        .args(["--radius", "300km", "-q"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
}

/// Without a radius ("within any distance"), demand no open site reaches in
/// a sparse matrix counts as uncovered in the coverage line and the JSON,
/// as the note says; p-median charges it the largest cost.
#[test]
fn unreachable_demand_is_uncovered_within_any_distance() {
    let dir = tempfile::tempdir().unwrap();
    let demand = dir.path().join("demand.csv");
    std::fs::write(&demand, "id,weight\na,10\nb,20\nc,30\n").unwrap();
    let sites = dir.path().join("sites.csv");
    std::fs::write(&sites, "id\ns1\ns2\n").unwrap();
    let costs = dir.path().join("costs.csv");
    // c reaches no site.
    std::fs::write(
        &costs,
        "origin,destination,minutes\na,s1,5\nb,s1,7\nb,s2,3\n",
    )
    .unwrap();
    let out = outpost()
        .args(["plan", "--demand"])
        .arg(&demand)
        .arg("--candidates")
        .arg(&sites)
        .arg("--costs")
        .arg(&costs)
        .args([
            "--cost-unit",
            "min",
            "--objective",
            "distance",
            "--add",
            "2",
        ])
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out.stdout);
    assert_eq!(
        r["coverage"]["covered_weight"].as_f64(),
        Some(30.0),
        "{}",
        r["coverage"]
    );
    // 10 x 5 + 20 x 3, and c at the largest cost, 7.
    assert_eq!(
        r["objective_value"]["value"].as_f64(),
        Some(50.0 + 60.0 + 30.0 * 7.0)
    );
}
