//! The questions a network owner asks, end to end: what each outlet alone is
//! worth (`unique_weight`), checked against an independent haversine count.

mod common;
use common::*;
use predicates::prelude::*;

/// Weight within `km` of exactly one of `sites`, per site, by brute force.
fn unique_by_brute_force(demand: &[Row], sites: &[Row], km: f64) -> Vec<f64> {
    let mut unique = vec![0.0; sites.len()];
    for d in demand {
        let near: Vec<usize> = (0..sites.len())
            .filter(|&j| haversine(d.lon, d.lat, sites[j].lon, sites[j].lat) <= km)
            .collect();
        if let [only] = near[..] {
            unique[only] += d.weight;
        }
    }
    unique
}

#[test]
fn unique_weight_is_what_only_that_outlet_reaches() {
    let demand = read_rows(&data("china_cities.csv"), Some("population"), None);
    let sites = read_rows(&data("china_outlets.csv"), None, None);
    // At 700 km the four outlets overlap a lot: Jinan and Changzhou, Chengdu and Xi'an.
    for km in [200.0, 700.0] {
        let out = outpost()
            .args(["evaluate", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--sites")
            .arg(data("china_outlets.csv"))
            .args(["--radius", &format!("{km}km"), "--format", "json", "-q"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let report = json_of(&out.stdout);
        let want = unique_by_brute_force(&demand, &sites, km);
        let mut overlap = false;
        for (j, s) in sites.iter().enumerate() {
            let got = report["sites"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == s.id.as_str())
                .unwrap();
            let (u, c) = (
                got["unique_weight"].as_f64().unwrap(),
                got["covered_weight"].as_f64().unwrap(),
            );
            // The report rounds to 6 significant digits.
            assert!(
                rel_close(u, want[j], 1e-5),
                "{km} km, {}: {u} vs {}",
                s.id,
                want[j]
            );
            assert!(u <= c);
            overlap |= u < c;
        }
        assert_eq!(
            overlap,
            km > 500.0,
            "{km} km: overlap expected only at 700 km"
        );
    }
}

/// An East-China instance: the cities in a box around the Yangtze delta and
/// Shandong, the 40 largest of them as candidates, and four outlets, the
/// first fixed (the head office).
struct EastChina {
    dir: tempfile::TempDir,
    demand: Vec<Row>,
    cands: Vec<Row>,
    outlets: Vec<Row>,
}

fn east_china() -> EastChina {
    let all = read_rows(&data("china_cities.csv"), Some("population"), None);
    let demand: Vec<Row> = all
        .into_iter()
        .filter(|r| (114.0..=122.0).contains(&r.lon) && (28.0..=37.0).contains(&r.lat))
        .collect();
    let mut by_weight = demand.clone();
    by_weight.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.id.cmp(&b.id)));
    let cands: Vec<Row> = by_weight[4..44].to_vec();
    let outlets: Vec<Row> = [
        (0usize, "Jinan-HQ"),
        (1, "Nanjing-S"),
        (2, "Hefei-S"),
        (3, "Wenzhou-S"),
    ]
    .iter()
    .map(|&(k, id)| Row {
        id: id.to_string(),
        ..by_weight[[7, 15, 25, 35][k] + 10].clone()
    })
    .collect();
    let dir = tempfile::tempdir().unwrap();
    write_rows(&dir.path().join("demand.csv"), &demand);
    write_rows(&dir.path().join("cands.csv"), &cands);
    let mut w = csv::Writer::from_path(dir.path().join("outlets.csv")).unwrap();
    w.write_record(["id", "lon", "lat", "fixed"]).unwrap();
    for (k, o) in outlets.iter().enumerate() {
        w.write_record([
            o.id.clone(),
            o.lon.to_string(),
            o.lat.to_string(),
            (if k == 0 { "yes" } else { "" }).to_string(),
        ])
        .unwrap();
    }
    w.flush().unwrap();
    EastChina {
        dir,
        demand,
        cands,
        outlets,
    }
}

/// Covered weight of a set of open sites, by haversine.
fn covered(demand: &[Row], open: &[&Row], km: f64) -> f64 {
    demand
        .iter()
        .filter(|d| {
            open.iter()
                .any(|s| haversine(d.lon, d.lat, s.lon, s.lat) <= km)
        })
        .map(|d| d.weight)
        .sum()
}

/// The best coverage closing at most `k` of the movable outlets (all but the
/// first) and opening as many candidates plus `add`, by enumeration.
fn best_by_enumeration(e: &EastChina, k: usize, add: usize, km: f64) -> f64 {
    let movable = [1usize, 2, 3];
    let mut best = 0.0f64;
    for mask in 0u32..8 {
        let closed: Vec<usize> = movable
            .iter()
            .copied()
            .filter(|&m| mask & (1 << (m - 1)) != 0)
            .collect();
        if closed.len() > k {
            continue;
        }
        let kept: Vec<&Row> = (0..4)
            .filter(|i| !closed.contains(i))
            .map(|i| &e.outlets[i])
            .collect();
        let p = closed.len() + add;
        // Every p-subset of the candidates.
        let n = e.cands.len();
        let mut pick: Vec<usize> = (0..p).collect();
        loop {
            let mut open = kept.clone();
            open.extend(pick.iter().map(|&j| &e.cands[j]));
            best = best.max(covered(&e.demand, &open, km));
            let Some(i) = (0..p).rev().find(|&i| pick[i] < n - p + i) else {
                break;
            };
            pick[i] += 1;
            for j in i + 1..p {
                pick[j] = pick[j - 1] + 1;
            }
        }
    }
    best
}

#[test]
fn relocation_equals_enumeration_and_never_moves_the_fixed_outlet() {
    let e = east_china();
    assert!(e.demand.len() > 150, "{} cities", e.demand.len());
    for (k, add) in [(0, 0), (1, 0), (2, 0), (1, 1)] {
        let out = outpost()
            .current_dir(e.dir.path())
            .args([
                "plan",
                "--demand",
                "demand.csv",
                "--existing",
                "outlets.csv",
                "--candidates",
                "cands.csv",
                "--radius",
                "80km",
                "--relocate",
                &k.to_string(),
                "--add",
                &add.to_string(),
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
        let want = best_by_enumeration(&e, k, add, 80.0);
        let got = r["coverage"]["covered_weight"].as_f64().unwrap();
        assert!(
            rel_close(got, want, 1e-5),
            "relocate {k}, add {add}: {got} vs {want}"
        );
        // Without --relocate there is no relocation section.
        assert_eq!(r.get("relocation").is_some(), k > 0);
        let closed: Vec<&str> = r["relocation"]["closed"]
            .as_array()
            .map(|a| a.iter().map(|c| c.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert!(closed.len() <= k);
        assert!(!closed.contains(&"Jinan-HQ"), "the fixed outlet closed");
        let statuses: Vec<&str> = r["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == "closed").count(),
            closed.len()
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == "new").count(),
            closed.len() + add
        );
        let b = &r["bound"];
        assert!(b["value"].as_f64().unwrap() >= got * (1.0 - 1e-9));
    }
}

#[test]
fn fixed_by_flag_and_bad_fixed_values_are_errors_that_say_so() {
    let e = east_china();
    // --fixed names an outlet that does not exist.
    outpost()
        .current_dir(e.dir.path())
        .args([
            "plan",
            "--demand",
            "demand.csv",
            "--existing",
            "outlets.csv",
            "--radius",
            "80km",
            "--add",
            "1",
            "--relocate",
            "1",
            "--fixed",
            "Nowhere",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--fixed \"Nowhere\""));
    // --relocate with another objective.
    outpost()
        .current_dir(e.dir.path())
        .args([
            "plan",
            "--demand",
            "demand.csv",
            "--existing",
            "outlets.csv",
            "--objective",
            "distance",
            "--add",
            "1",
            "--relocate",
            "1",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--relocate"));
    // A `fixed` cell that is not yes/no.
    std::fs::write(
        e.dir.path().join("bad.csv"),
        "id,lon,lat,fixed\nA,118,32,maybe\n",
    )
    .unwrap();
    outpost()
        .current_dir(e.dir.path())
        .args([
            "plan",
            "--demand",
            "demand.csv",
            "--existing",
            "bad.csv",
            "--radius",
            "80km",
            "--add",
            "1",
            "--relocate",
            "1",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("maybe").and(predicates::str::contains("fixed")));
    // Every outlet fixed by flag: nothing may move, the plan is the plain one.
    let out = outpost()
        .current_dir(e.dir.path())
        .args([
            "plan",
            "--demand",
            "demand.csv",
            "--existing",
            "outlets.csv",
            "--candidates",
            "cands.csv",
            "--radius",
            "80km",
            "--add",
            "1",
            "--relocate",
            "2",
            "--fixed",
            "Nanjing-S,Hefei-S,Wenzhou-S",
            "--format",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    let r = json_of(&out.stdout);
    assert_eq!(r["relocation"]["movable"], 0);
    assert_eq!(r["relocation"]["closed"].as_array().unwrap().len(), 0);
}

#[test]
fn backup_weight_per_tier_is_the_weight_two_outlets_reach() {
    let demand = read_rows(&data("china_cities.csv"), Some("population"), None);
    let sites = read_rows(&data("china_outlets.csv"), None, None);
    let out = outpost()
        .args(["evaluate", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .args(["--radius", "400km,700km", "--format", "json", "-q"])
        .output()
        .unwrap();
    let r = json_of(&out.stdout);
    for (t, km) in [400.0, 700.0].iter().enumerate() {
        let want: f64 = demand
            .iter()
            .filter(|d| {
                sites
                    .iter()
                    .filter(|s| haversine(d.lon, d.lat, s.lon, s.lat) <= *km)
                    .count()
                    >= 2
            })
            .map(|d| d.weight)
            .sum();
        let got = r["tiers"][t]["backup_weight"].as_f64().unwrap();
        assert!(want > 0.0);
        assert!(rel_close(got, want, 1e-5), "{km} km: {got} vs {want}");
    }
}

#[test]
fn backup_plan_equals_enumeration() {
    let e = east_china();
    let km = 80.0;
    let near = |s: &Row| -> Vec<bool> {
        e.demand
            .iter()
            .map(|d| haversine(d.lon, d.lat, s.lon, s.lat) <= km)
            .collect()
    };
    let base: Vec<Vec<bool>> = e.outlets.iter().map(near).collect();
    // A candidate on an outlet's spot is that outlet, not a second one: it
    // may not open (three of the outlets stand on candidates here).
    let twin = |c: &Row| e.outlets.iter().any(|o| o.lon == c.lon && o.lat == c.lat);
    assert_eq!(e.cands.iter().filter(|c| twin(c)).count(), 3);
    let cand: Vec<Vec<bool>> = e.cands.iter().map(near).collect();
    let open: Vec<usize> = (0..e.cands.len()).filter(|&j| !twin(&e.cands[j])).collect();
    // Best (backup, primary) over every 3 new sites, lexicographically.
    let mut best = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (x, &a) in open.iter().enumerate() {
        for (y, &b) in open.iter().enumerate().skip(x + 1) {
            for &c in &open[y + 1..] {
                let (mut backup, mut primary) = (0.0, 0.0);
                for (i, d) in e.demand.iter().enumerate() {
                    let count = base.iter().filter(|s| s[i]).count()
                        + [a, b, c].iter().filter(|&&j| cand[j][i]).count();
                    if count >= 1 {
                        primary += d.weight;
                    }
                    if count >= 2 {
                        backup += d.weight;
                    }
                }
                let tol = 1e-9 * backup.max(1.0);
                if backup > best.0 + tol || ((backup - best.0).abs() <= tol && primary > best.1) {
                    best = (backup, primary);
                }
            }
        }
    }
    let out = outpost()
        .current_dir(e.dir.path())
        .args([
            "plan",
            "--demand",
            "demand.csv",
            "--existing",
            "outlets.csv",
            "--candidates",
            "cands.csv",
            "--radius",
            "80km",
            "--objective",
            "backup",
            "--add",
            "3",
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
    assert_eq!(r["objective_value"]["measure"], "backup_weight");
    let got = r["objective_value"]["value"].as_f64().unwrap();
    assert!(rel_close(got, best.0, 1e-6), "{got} vs {}", best.0);
    assert!(rel_close(
        r["tiers"][0]["backup_weight"].as_f64().unwrap(),
        best.0,
        1e-5
    ));
    assert!(rel_close(
        r["coverage"]["covered_weight"].as_f64().unwrap(),
        best.1,
        1e-5
    ));
    assert_eq!(r["bound"]["gap"], 0.0);
}

/// The README's backup example: the candidates are every city, the four
/// outlets among them. No new outlet may stand on an outlet's spot (a twin
/// would count as a second outlet there and back up nothing).
#[test]
fn backup_opens_no_twin_of_an_existing_outlet() {
    let outlets = read_rows(&data("china_outlets.csv"), None, None);
    let r = ok_json(
        &outpost()
            .args(["plan", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--existing")
            .arg(data("china_outlets.csv"))
            .args(["--radius=300km", "--objective=backup", "--add=3"])
            .args(["--format=json", "-q"])
            .output()
            .unwrap(),
    );
    let new: Vec<&serde_json::Value> = r["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "new")
        .collect();
    assert_eq!(new.len(), 3);
    for s in new {
        let (lon, lat) = (s["lon"].as_f64().unwrap(), s["lat"].as_f64().unwrap());
        assert!(
            outlets
                .iter()
                .all(|o| haversine(o.lon, o.lat, lon, lat) > 1.0),
            "new site {} stands on an existing outlet",
            s["id"]
        );
        assert!(s["marginal_weight"].as_f64().unwrap() > 0.0, "{s}");
    }
}

#[test]
fn sites_by_unique_lists_the_least_valuable_first() {
    let out = outpost()
        .args(["evaluate", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .args([
            "--radius",
            "500km",
            "--sites-by",
            "unique",
            "--format",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    let r = json_of(&out.stdout);
    let unique: Vec<f64> = r["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["unique_weight"].as_f64().unwrap())
        .collect();
    assert_eq!(unique.len(), 4);
    assert!(unique.windows(2).all(|w| w[0] <= w[1]), "{unique:?}");
    assert_eq!(r["sites"][0]["id"], "Xi'an");
}

#[test]
fn flags_that_do_nothing_are_named_on_stderr() {
    // Each flag shapes something this run does not produce: the run goes on
    // (exit 0, same report) and stderr says which flag and why.
    let cases: &[(&[&str], &str)] = &[
        (&["evaluate", "--size", "800x600"], "--size is not used"),
        (&["evaluate", "--extent", "data"], "--extent is not used"),
        (&["evaluate", "--no-basemap"], "--no-basemap is not used"),
        (
            &["plan", "--add", "2", "--relocate", "1"],
            "--relocate is not used",
        ),
        (
            &["plan", "--add", "2", "--k-nearest", "8"],
            "--k-nearest is not used",
        ),
        (
            &[
                "plan",
                "--objective",
                "max-distance",
                "--add",
                "2",
                "--no-bound",
            ],
            "--no-bound is not used",
        ),
        (
            &[
                "plan",
                "--objective",
                "distance",
                "--add",
                "2",
                "--perturb",
                "5",
            ],
            "--perturb is not used",
        ),
        (
            &[
                "plan",
                "--objective",
                "distance",
                "--add",
                "2",
                "--weighted",
            ],
            "--weighted is not used",
        ),
    ];
    for (args, want) in cases {
        let mut cmd = outpost();
        cmd.arg(args[0])
            .arg("--demand")
            .arg(data("china_cities.csv"));
        if args[0] == "evaluate" {
            cmd.arg("--sites").arg(data("china_outlets.csv"));
        }
        cmd.args(&args[1..]).args(["--radius", "200km", "-q"]);
        cmd.assert().code(0).stderr(predicate::str::contains(*want));
    }
    // With --map they are used, and nothing is said.
    let dir = tempfile::tempdir().unwrap();
    outpost()
        .args(["evaluate", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .args(["--radius", "200km", "-q", "--size", "800x600", "--map"])
        .arg(dir.path().join("m.svg"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("not used").not());
}
