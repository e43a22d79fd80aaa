//! Projected coordinates end to end (`--crs planar`, `--crs EPSG:CODE`):
//! coverage and plans against brute-force Euclidean computations on the
//! metres, the inverse projection against an independent UTM formula, and
//! the refusals.

mod common;
use common::*;
use predicates::prelude::*;
use std::path::Path;

/// A place in metres with its original lon/lat and weight.
#[derive(Debug, Clone)]
struct Pt {
    id: String,
    lon: f64,
    lat: f64,
    x: f64,
    y: f64,
    w: f64,
}

/// Equirectangular metres around 105°E, 35°N: a plane with no geographic reference.
fn equirectangular(lon: f64, lat: f64) -> (f64, f64) {
    let r = 6_371_008.8;
    (
        r * (lon - 105.0).to_radians() * 35f64.to_radians().cos(),
        r * lat.to_radians(),
    )
}

/// WGS84 / UTM forward (Krüger's series to n⁴, accurate to well under a
/// millimetre within a zone), written independently of the crate and of proj4rs.
fn utm(lon: f64, lat: f64, lon0: f64) -> (f64, f64) {
    let a = 6_378_137.0;
    let f = 1.0 / 298.257_223_563;
    let k0 = 0.9996;
    let n: f64 = f / (2.0 - f);
    let big_a = a / (1.0 + n) * (1.0 + n * n / 4.0 + n.powi(4) / 64.0);
    let al = [
        n / 2.0 - 2.0 * n * n / 3.0 + 5.0 * n.powi(3) / 16.0 + 41.0 * n.powi(4) / 180.0,
        13.0 * n * n / 48.0 - 3.0 * n.powi(3) / 5.0 + 557.0 * n.powi(4) / 1440.0,
        61.0 * n.powi(3) / 240.0 - 103.0 * n.powi(4) / 140.0,
        49561.0 * n.powi(4) / 161_280.0,
    ];
    let e = (f * (2.0 - f)).sqrt();
    let (phi, lam) = (lat.to_radians(), (lon - lon0).to_radians());
    let t = (phi.sin().atanh() - e * (e * phi.sin()).atanh()).sinh();
    let xi = t.atan2(lam.cos());
    let eta = (lam.sin() / (1.0 + t * t).sqrt()).atanh();
    let (mut east, mut north) = (eta, xi);
    for (j, a) in al.iter().enumerate() {
        let k = 2.0 * (j + 1) as f64;
        east += a * (k * xi).cos() * (k * eta).sinh();
        north += a * (k * xi).sin() * (k * eta).cosh();
    }
    (500_000.0 + k0 * big_a * east, k0 * big_a * north)
}

fn cities(keep: impl Fn(usize, &Row) -> bool, project: impl Fn(f64, f64) -> (f64, f64)) -> Vec<Pt> {
    read_rows(&data("china_cities.csv"), Some("population"), None)
        .into_iter()
        .enumerate()
        .filter(|(i, r)| keep(*i, r))
        .map(|(_, r)| {
            let (x, y) = project(r.lon, r.lat);
            Pt {
                id: r.id,
                lon: r.lon,
                lat: r.lat,
                x,
                y,
                w: r.weight,
            }
        })
        .collect()
}

/// Writes `id,<xname>,<yname>,population` in metres (to the 0.1 mm).
fn write_metres(path: &Path, pts: &[Pt], xname: &str, yname: &str) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(["id", xname, yname, "population"]).unwrap();
    for p in pts {
        w.write_record([
            p.id.clone(),
            format!("{:.4}", p.x),
            format!("{:.4}", p.y),
            p.w.to_string(),
        ])
        .unwrap();
    }
    w.flush().unwrap();
}

/// The metres as the file holds them (rounded as written).
fn as_written(p: &Pt) -> (f64, f64) {
    (
        format!("{:.4}", p.x).parse().unwrap(),
        format!("{:.4}", p.y).parse().unwrap(),
    )
}

fn dist_km(a: &Pt, b: &Pt) -> f64 {
    let ((ax, ay), (bx, by)) = (as_written(a), as_written(b));
    ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt() / 1000.0
}

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = outpost()
        .args(args)
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out.stdout)
}

fn covered(demand: &[Pt], sites: &[&Pt], km: f64) -> f64 {
    demand
        .iter()
        .filter(|d| sites.iter().any(|s| dist_km(d, s) <= km))
        .map(|d| d.w)
        .sum()
}

fn subsets(n: usize, p: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn go(start: usize, n: usize, p: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == p {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            go(i + 1, n, p, cur, out);
            cur.pop();
        }
    }
    go(0, n, p, &mut cur, &mut out);
    out
}

#[test]
fn planar_plans_match_exhaustive_euclidean_search() {
    let t = tempfile::tempdir().unwrap();
    // 60 cities spread over China, 12 of them candidates, in a plane.
    let demand = cities(|i, _| i % 35 == 0, equirectangular);
    let demand = &demand[..60];
    let cands: Vec<Pt> = demand.iter().step_by(5).cloned().collect();
    assert_eq!(cands.len(), 12);
    let (d, c) = (t.path().join("d.csv"), t.path().join("c.csv"));
    write_metres(&d, demand, "x", "y");
    write_metres(&c, &cands, "easting", "northing");
    let (d, c) = (d.to_str().unwrap(), c.to_str().unwrap());
    let all = subsets(cands.len(), 3);

    // Maximal coverage at 400 km.
    let km = 400.0;
    let best = all
        .iter()
        .map(|s| {
            covered(
                demand,
                &s.iter().map(|&i| &cands[i]).collect::<Vec<_>>(),
                km,
            )
        })
        .fold(0.0, f64::max);
    let r = run_json(&[
        "plan",
        "--crs",
        "planar",
        "--demand",
        d,
        "--candidates",
        c,
        "--radius",
        "400km",
        "--add",
        "3",
    ]);
    assert_eq!(r["distance_model"], "planar");
    assert_eq!(r["unit"], "km");
    assert_eq!(r["crs"], "planar");
    let got = r["coverage"]["covered_weight"].as_f64().unwrap();
    assert!(rel_close(got, best, 1e-12), "{got} vs exhaustive {best}");
    // The chosen sites cover what the report says, by brute force.
    let chosen: Vec<&Pt> = r["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert!(
                s["lon"].is_null() && s["lat"].is_null(),
                "planar: no lon/lat"
            );
            let id = s["id"].as_str().unwrap();
            let p = cands.iter().find(|p| p.id == id).unwrap();
            assert_eq!(s["x"].as_f64().unwrap(), as_written(p).0);
            p
        })
        .collect();
    assert!(rel_close(covered(demand, &chosen, km), got, 1e-12));

    // p-median: least weighted Euclidean distance.
    let cost = |s: &[usize]| -> f64 {
        demand
            .iter()
            .map(|d| {
                d.w * s
                    .iter()
                    .map(|&i| dist_km(d, &cands[i]))
                    .fold(f64::INFINITY, f64::min)
            })
            .sum()
    };
    let best = all.iter().map(|s| cost(s)).fold(f64::INFINITY, f64::min);
    let r = run_json(&[
        "plan",
        "--crs",
        "planar",
        "--demand",
        d,
        "--candidates",
        c,
        "--objective",
        "distance",
        "--add",
        "3",
    ]);
    let got = r["objective_value"]["value"].as_f64().unwrap();
    assert!(rel_close(got, best, 1e-9), "{got} vs exhaustive {best}");

    // p-center: least largest distance.
    let worst = |s: &[usize]| -> f64 {
        demand
            .iter()
            .map(|d| {
                s.iter()
                    .map(|&i| dist_km(d, &cands[i]))
                    .fold(f64::INFINITY, f64::min)
            })
            .fold(0.0, f64::max)
    };
    let best = all.iter().map(|s| worst(s)).fold(f64::INFINITY, f64::min);
    let r = run_json(&[
        "plan",
        "--crs",
        "planar",
        "--demand",
        d,
        "--candidates",
        c,
        "--objective",
        "max-distance",
        "--add",
        "3",
    ]);
    let got = r["distance_km"]["max"].as_f64().unwrap();
    assert!(rel_close(got, best, 1e-9), "{got} vs exhaustive {best}");
}

#[test]
fn utm_50n_coverage_is_euclidean_and_places_come_back_to_their_lon_lat() {
    let t = tempfile::tempdir().unwrap();
    // Cities within 3° of UTM zone 50N's central meridian, 117°E.
    let demand = cities(
        |_, r| (114.0..=120.0).contains(&r.lon),
        |lon, lat| utm(lon, lat, 117.0),
    );
    assert!(demand.len() > 300);
    let sites: Vec<Pt> = demand.iter().step_by(40).cloned().collect();
    let (d, s) = (t.path().join("d.csv"), t.path().join("s.csv"));
    write_metres(&d, &demand, "easting", "northing");
    write_metres(&s, &sites, "x", "y");
    let (d, s) = (d.to_str().unwrap(), s.to_str().unwrap());
    let r = run_json(&[
        "evaluate",
        "--crs",
        "EPSG:32650",
        "--demand",
        d,
        "--sites",
        s,
        "--radius",
        "30km,80km",
    ]);
    assert_eq!(r["distance_model"], "planar");
    assert_eq!(r["crs"], "EPSG:32650");
    let refs: Vec<&Pt> = sites.iter().collect();
    for (k, km) in [30.0, 80.0].into_iter().enumerate() {
        let want = covered(&demand, &refs, km);
        let got = r["tiers"][k]["covered_weight"].as_f64().unwrap();
        assert!(rel_close(got, want, 1e-12), "{km} km: {got} vs {want}");
    }
    // The inverse projection gives back the original lon/lat.
    for (js, p) in r["sites"].as_array().unwrap().iter().zip(&sites) {
        assert_eq!(js["id"].as_str().unwrap(), p.id);
        let (lon, lat) = (js["lon"].as_f64().unwrap(), js["lat"].as_f64().unwrap());
        assert!(
            (lon - p.lon).abs() < 1e-6 && (lat - p.lat).abs() < 1e-6,
            "{}: {lon},{lat} vs {},{}",
            p.id,
            p.lon,
            p.lat
        );
    }
    // A plan's new sites too, and the maps and areas are drawn in lon/lat.
    let map = t.path().join("m.svg");
    let areas = t.path().join("a.geojson");
    let sites_csv = t.path().join("s_out.csv");
    let r = run_json(&[
        "plan",
        "--crs",
        "EPSG:32650",
        "--demand",
        d,
        "--radius",
        "50km",
        "--add",
        "4",
        "--map",
        map.to_str().unwrap(),
        "--areas-out",
        areas.to_str().unwrap(),
        "--sites-out",
        sites_csv.to_str().unwrap(),
    ]);
    for js in r["sites"].as_array().unwrap() {
        let p = demand.iter().find(|p| p.id == js["id"]).unwrap();
        assert!((js["lon"].as_f64().unwrap() - p.lon).abs() < 1e-6);
        assert!((js["lat"].as_f64().unwrap() - p.lat).abs() < 1e-6);
    }
    let svg = std::fs::read_to_string(&map).unwrap();
    assert!(
        svg.contains("in the plane of EPSG:32650"),
        "the map says what it draws"
    );
    // Each area is the 50 km circle in the plane: every vertex, projected back
    // with the independent formula, is 50 km from its site.
    let gj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&areas).unwrap()).unwrap();
    for f in gj["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["crs"], "EPSG:32650");
        let p = demand
            .iter()
            .find(|p| p.id == f["properties"]["site_id"])
            .unwrap();
        let (sx, sy) = as_written(p);
        for v in f["geometry"]["coordinates"][0].as_array().unwrap() {
            let (x, y) = utm(v[0].as_f64().unwrap(), v[1].as_f64().unwrap(), 117.0);
            let r_km = ((x - sx).powi(2) + (y - sy).powi(2)).sqrt() / 1000.0;
            // Vertices are written to 1e-6° (about 0.1 m).
            assert!((r_km - 50.0).abs() < 5e-4, "{r_km}");
        }
    }
    let text = std::fs::read_to_string(&sites_csv).unwrap();
    assert!(text.starts_with("id,name,lon,lat,x,y,status"), "{text}");
}

#[test]
fn planar_refuses_maps_and_geojson_and_says_what_to_do() {
    let t = tempfile::tempdir().unwrap();
    let demand = cities(|i, _| i % 20 == 0, equirectangular);
    let d = t.path().join("d.csv");
    write_metres(&d, &demand, "x", "y");
    let d = d.to_str().unwrap();
    for (flag, file) in [
        ("--map", "m.svg"),
        ("--areas-out", "a.geojson"),
        ("--sites-out", "s.geojson"),
    ] {
        let out = t.path().join(file);
        outpost()
            .args([
                "plan", "--crs", "planar", "--demand", d, "--radius", "100km",
            ])
            .args(["--add", "2", flag, out.to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains(flag)
                    .and(predicate::str::contains("no geographic reference"))
                    .and(predicate::str::contains("--crs EPSG:CODE")),
            );
        assert!(!out.exists(), "{flag}: nothing written");
    }
    // CSV outputs carry x and y, with empty lon/lat.
    let (s, a) = (t.path().join("s.csv"), t.path().join("a.csv"));
    outpost()
        .args([
            "plan", "--crs", "planar", "--demand", d, "--radius", "100km",
        ])
        .args(["--add", "2", "-q", "--sites-out", s.to_str().unwrap()])
        .args(["--assignments-out", a.to_str().unwrap()])
        .assert()
        .success();
    let sites = std::fs::read_to_string(&s).unwrap();
    let mut lines = sites.lines();
    assert!(lines.next().unwrap().starts_with("id,name,lon,lat,x,y,"));
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!((row[2], row[3]), ("", ""));
    assert!(row[4].parse::<f64>().is_ok() && row[5].parse::<f64>().is_ok());
    let assignments = std::fs::read_to_string(&a).unwrap();
    assert!(assignments.starts_with("id,lon,lat,x,y,weight,"));
}

#[test]
fn hostile_coordinate_systems_and_metres_in_degrees_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let demand = cities(|i, _| i % 50 == 0, |lon, lat| utm(lon, lat, 117.0));
    let d = t.path().join("d.csv");
    write_metres(&d, &demand, "x", "y");
    let d = d.to_str().unwrap();
    for (crs, says) in [
        ("EPSG:999999", "not an EPSG code"),
        ("EPSG:12", "not an EPSG code"),
        ("EPSG:4269", "geographic system"),
        ("EPSG:2227", "not metres"),
        ("nonsense", "EPSG:CODE"),
    ] {
        outpost()
            .args(["evaluate", "--demand", d, "--sites", d, "--radius", "50km"])
            .args(["--crs", crs])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    // Metres read as degrees: the message names the file, line, column and value,
    // and the two ways out.
    outpost()
        .args(["evaluate", "--demand", d, "--sites", d, "--radius", "50km"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("d.csv:line 2")
                .and(predicate::str::contains("--crs EPSG:CODE"))
                .and(predicate::str::contains("--crs planar")),
        );
    // A site file in lon/lat degrees beside demand in UTM metres: refused by
    // name, not read as points a few metres from the zone's origin.
    let lonlat = t.path().join("sites_lonlat.csv");
    std::fs::write(&lonlat, "id,lon,lat\nhq,116.40,39.90\nsh,121.47,31.23\n").unwrap();
    outpost()
        .args([
            "evaluate",
            "--demand",
            d,
            "--radius",
            "50km",
            "--crs",
            "EPSG:32650",
        ])
        .arg("--sites")
        .arg(&lonlat)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("sites_lonlat.csv: every place has lon/lat within 180/90")
                .and(predicate::str::contains("ogr2ogr -t_srs EPSG:32650")),
        );
    // Planar metres may be small numbers: no such check there.
    outpost()
        .args([
            "evaluate",
            "--demand",
            lonlat.to_str().unwrap(),
            "--radius",
            "5km",
        ])
        .args(["--crs", "planar", "--sites"])
        .arg(&lonlat)
        .assert()
        .success();
    // Absurd and non-finite metres.
    for bad in ["1e12", "inf", "NaN"] {
        let f = t.path().join("bad.csv");
        std::fs::write(&f, format!("id,x,y\na,1000,2000\nb,{bad},3000\n")).unwrap();
        outpost()
            .args(["evaluate", "--crs", "planar", "--demand"])
            .arg(&f)
            .args(["--sites"])
            .arg(&f)
            .args(["--radius", "5km"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("bad.csv:line 3").and(predicate::str::contains(bad)));
    }
}

#[test]
fn scenario_files_take_a_crs() {
    let t = tempfile::tempdir().unwrap();
    let demand = cities(|i, _| i % 10 == 0, equirectangular);
    write_metres(&t.path().join("d.csv"), &demand, "x", "y");
    let toml = t.path().join("s.toml");
    std::fs::write(
        &toml,
        "[inputs]\ndemand = \"d.csv\"\nradius = \"150km\"\ncrs = \"planar\"\n\n[[scenario]]\nname = \"five\"\nadd = 5\n",
    )
    .unwrap();
    outpost()
        .args(["scenarios", "-q"])
        .arg(&toml)
        .assert()
        .success()
        .stdout(predicate::str::contains("five"));
    std::fs::write(
        &toml,
        "[inputs]\ndemand = \"d.csv\"\nradius = \"150km\"\ncrs = \"EPSG:4269\"\n",
    )
    .unwrap();
    outpost()
        .args(["scenarios", "-q"])
        .arg(&toml)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("[inputs] key `crs`"));
}

#[test]
fn easting_and_northing_without_crs_point_to_crs() {
    outpost()
        .args(["evaluate", "--demand"])
        .arg(data("china_utm50.csv"))
        .arg("--sites")
        .arg(data("china_utm50.csv"))
        .args(["--radius", "50km"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("china_utm50.csv: no longitude column")
                .and(predicate::str::contains("easting/northing columns"))
                .and(predicate::str::contains("--crs EPSG:32650")),
        );
}

/// Web Mercator (spherical formula, written here) metres of a lon/lat.
fn web_mercator(lon: f64, lat: f64) -> (f64, f64) {
    let r = 6_378_137.0;
    (
        r * lon.to_radians(),
        r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln(),
    )
}

#[test]
fn a_projection_not_true_to_scale_over_the_places_is_warned_about() {
    let t = tempfile::tempdir().unwrap();
    // All of China in Web Mercator: the plane is 1/cos(lat) too long.
    let demand = cities(|_, _| true, web_mercator);
    let d = t.path().join("merc.csv");
    write_metres(&d, &demand, "x", "y");
    let (lo, hi) = demand.iter().fold((90.0f64, -90.0f64), |(lo, hi), p| {
        (lo.min(p.lat), hi.max(p.lat))
    });
    let out = outpost()
        .args([
            "plan",
            "--crs",
            "EPSG:3857",
            "--demand",
            d.to_str().unwrap(),
        ])
        .args(["--radius", "150km", "--add", "3", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    // Expected scale range from the latitudes: 1/cos(lo) to 1/cos(hi).
    let want = format!(
        "1 km on the ground measures {:.3}-{:.3} km on its plane",
        1.0 / lo.to_radians().cos(),
        1.0 / hi.to_radians().cos()
    );
    assert!(
        err.contains("merc.csv: EPSG:3857 is not true to scale"),
        "{err}"
    );
    // The ellipsoid differs from the sphere by a few parts in a thousand:
    // compare the figures to two decimals.
    let got: Vec<f64> = err
        .split("measures ")
        .nth(1)
        .and_then(|s| s.split(" km").next())
        .unwrap()
        .split('-')
        .map(|v| v.parse().unwrap())
        .collect();
    let exp = [1.0 / lo.to_radians().cos(), 1.0 / hi.to_radians().cos()];
    for (g, e) in got.iter().zip(exp) {
        assert!((g - e).abs() < 0.01, "{want}: {err}");
    }
    assert!(err.contains("longitude/latitude (the default"), "{err}");
    // A report written to a file carries the warning too.
    let notes = json_of(&out.stdout)["notes"].to_string();
    assert!(
        notes.contains("warning: demand file") && notes.contains("not true to scale"),
        "{notes}"
    );

    // UTM 50N within its zone is true to scale within 0.1%: no warning.
    let east = cities(
        |_, r| (114.0..=120.0).contains(&r.lon),
        |lon, lat| utm(lon, lat, 117.0),
    );
    let u = t.path().join("utm.csv");
    write_metres(&u, &east, "x", "y");
    outpost()
        .args([
            "plan",
            "--crs",
            "EPSG:32650",
            "--demand",
            u.to_str().unwrap(),
        ])
        .args(["--radius", "50km", "--add", "3"])
        .assert()
        .success()
        .stderr(predicate::str::contains("true to scale").not());
}
