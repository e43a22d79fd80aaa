//! Issue 8: outputs never destroy anything, hostile values are errors, and
//! reports do not contradict themselves. Every case runs the real binary.

mod common;

use common::{data, outpost};
use std::path::{Path, PathBuf};

/// A scratch folder holding copies of the quick-start data as `d.csv` and `s.csv`.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().to_path_buf();
    std::fs::copy(data("china_cities.csv"), p.join("d.csv")).unwrap();
    std::fs::copy(data("china_outlets.csv"), p.join("s.csv")).unwrap();
    (dir, p)
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Runs `outpost evaluate` in `dir` on d.csv and s.csv with extra arguments.
fn evaluate_in(dir: &Path, extra: &[&str]) -> std::process::Output {
    outpost()
        .current_dir(dir)
        .args([
            "evaluate", "--demand", "d.csv", "--sites", "s.csv", "--radius", "100km", "-q",
        ])
        .args(extra)
        .output()
        .unwrap()
}

fn no_temp_files(dir: &Path) -> bool {
    walk(dir).iter().all(|p| {
        !p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".outpost-")
    })
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn r8_output_that_is_an_input_by_another_spelling_is_refused() {
    let (_t, dir) = scratch();
    let before = read(&dir.join("d.csv"));
    let abs = dir.join("s.csv");
    for (flag, path, input_flag) in [
        ("-o", "./d.csv".to_string(), "--demand"),
        ("-o", abs.display().to_string(), "--sites"),
        ("--sites-out", "sub/../d.csv".to_string(), "--demand"),
        ("--assignments-out", "./s.csv".to_string(), "--sites"),
        // Through folders that do not exist yet, then back up.
        ("-o", "nosuch/../d.csv".to_string(), "--demand"),
        ("--sites-out", "x/y/../../s.csv".to_string(), "--sites"),
    ] {
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let out = evaluate_in(&dir, &[flag, &path]);
        assert_eq!(out.status.code(), Some(2), "{flag} {path}");
        let err = stderr_of(&out);
        assert!(err.contains(input_flag), "{err}");
        assert!(err.contains("never overwrites an input"), "{err}");
    }
    assert_eq!(read(&dir.join("d.csv")), before);
    assert!(!dir.join("nosuch").exists() && !dir.join("x").exists());
    assert!(no_temp_files(&dir));
    // The same through a scenario's --output-dir.
    std::fs::create_dir_all(dir.join("od")).unwrap();
    std::fs::copy(dir.join("d.csv"), dir.join("od/comparison.csv")).unwrap();
    std::fs::write(
        dir.join("sc.toml"),
        "[inputs]\ndemand = \"od/comparison.csv\"\nradius = 100\n[[scenario]]\nadd = 1\n",
    )
    .unwrap();
    let out = scenarios_in(&dir, &["--output-dir", "od/new/.."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(read(&dir.join("od/comparison.csv")), before);
}

#[test]
fn r8_map_over_the_basemap_is_refused() {
    let (_t, dir) = scratch();
    // A basemap whose name ends in .svg, so only the file comparison can catch it.
    std::fs::copy(data("china_provinces.geojson"), dir.join("bm.svg")).unwrap();
    let before = read(&dir.join("bm.svg"));
    let out = evaluate_in(&dir, &["--map", "./bm.svg", "--basemap", "bm.svg"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("--map") && err.contains("--basemap"), "{err}");
    assert_eq!(read(&dir.join("bm.svg")), before);
    // And the spelling from the issue is refused by its extension.
    std::fs::copy(data("china_provinces.geojson"), dir.join("bm.geojson")).unwrap();
    let out = evaluate_in(&dir, &["--map", "bm.geojson", "--basemap", "bm.geojson"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(read(&dir.join("bm.geojson")), before);
}

#[test]
fn r8_two_outputs_naming_one_file_are_refused() {
    let (_t, dir) = scratch();
    let out = evaluate_in(&dir, &["-o", "x.csv", "--sites-out", "./x.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--output") && err.contains("--sites-out"),
        "{err}"
    );
    assert!(!dir.join("x.csv").exists());
}

#[test]
fn r8_unknown_output_extensions_list_the_supported_ones() {
    let (_t, dir) = scratch();
    for (flag, path, listed) in [
        ("--map", "x.jpg", ".svg, .png"),
        ("--sites-out", "s.xlsx", ".csv, .geojson"),
        ("--assignments-out", "a.geojson", ".csv"),
        ("-o", "rep.html", ".json"),
    ] {
        let out = evaluate_in(&dir, &[flag, path]);
        assert_eq!(out.status.code(), Some(2), "{flag} {path}");
        let err = stderr_of(&out);
        assert!(err.contains(path) && err.contains(listed), "{err}");
        assert!(!dir.join(path).exists());
    }
    // With --format, a report may have any name.
    let out = evaluate_in(&dir, &["-o", "rep.out", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(read(&dir.join("rep.out")).starts_with(b"{"));
}

#[cfg(unix)]
#[test]
fn r8_devices_fifos_and_symlinks_are_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let (_t, dir) = scratch();
    // A character device: written to, never replaced.
    let out = evaluate_in(&dir, &["-o", "/dev/null", "--sites-out", "/dev/null"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device());
    // A FIFO: the reader gets the report.
    let fifo = dir.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = evaluate_in(&dir, &["-o", "pipe", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = reader.join().unwrap();
    assert!(text.contains("\"command\": \"evaluate\""));
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    // A symlink to a regular file: the link stays, its target gets the report.
    std::fs::write(dir.join("target.json"), "old").unwrap();
    std::os::unix::fs::symlink("target.json", dir.join("link.json")).unwrap();
    let out = evaluate_in(&dir, &["-o", "link.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        std::fs::symlink_metadata(dir.join("link.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(read(&dir.join("target.json")).starts_with(b"{"));
    // A symlink to an input is the input.
    std::os::unix::fs::symlink("d.csv", dir.join("alias.csv")).unwrap();
    let before = read(&dir.join("d.csv"));
    let out = evaluate_in(&dir, &["-o", "alias.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(read(&dir.join("d.csv")), before);
}

#[test]
fn r8_missing_folders_are_created_and_name_is_filled_for_one_file() {
    let (_t, dir) = scratch();
    let out = evaluate_in(
        &dir,
        &[
            "-o",
            "out/{name}/report.json",
            "--sites-out",
            "out/new/{name}-sites.csv",
            "--assignments-out",
            "deep/er/a.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(dir.join("out/d/report.json").is_file());
    assert!(dir.join("out/new/d-sites.csv").is_file());
    assert!(dir.join("deep/er/a.csv").is_file());
    assert!(!walk(&dir).iter().any(|p| p.to_string_lossy().contains('{')));
}

#[test]
fn r8_batch_creates_folders_and_a_failed_file_fails_the_total() {
    let (_t, dir) = scratch();
    std::fs::write(dir.join("bad.csv"), "lon,lat\nx,1\n").unwrap();
    let out = outpost()
        .current_dir(&dir)
        .args([
            "evaluate",
            "--demand",
            "d.csv",
            "bad.csv",
            "--sites",
            "s.csv",
            "--radius",
            "100km",
            "--min-coverage",
            "1%",
            "--sites-out",
            "per/{name}.csv",
            "--format",
            "csv",
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(dir.join("per/d.csv").is_file());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let total = text.lines().find(|l| l.starts_with("total")).unwrap();
    assert!(total.ends_with(",false,"), "{total}");
}

fn scenario_file(dir: &Path, inputs: &str, scenarios: &str) -> PathBuf {
    let p = dir.join("sc.toml");
    std::fs::write(
        &p,
        format!("[inputs]\ndemand = \"d.csv\"\nradius = \"100km\"\n{inputs}\n{scenarios}"),
    )
    .unwrap();
    p
}

fn scenarios_in(dir: &Path, extra: &[&str]) -> std::process::Output {
    outpost()
        .current_dir(dir)
        .args(["scenarios", "sc.toml", "-q"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn r8_scenario_outputs_never_replace_scenario_inputs() {
    let (_t, dir) = scratch();
    let before = read(&dir.join("d.csv"));
    scenario_file(&dir, "", "[[scenario]]\nadd = 1\n");
    // -o naming the demand the TOML reads.
    let out = scenarios_in(&dir, &["-o", "d.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("[inputs] demand"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(read(&dir.join("d.csv")), before);
    // -o naming the scenario file itself.
    let toml = read(&dir.join("sc.toml"));
    let out = scenarios_in(&dir, &["-o", "./sc.toml", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(read(&dir.join("sc.toml")), toml);
    // --output-dir files that the TOML reads: a scenario's sites.csv...
    std::fs::create_dir_all(dir.join("od/a")).unwrap();
    std::fs::copy(dir.join("s.csv"), dir.join("od/a/sites.csv")).unwrap();
    let sites = read(&dir.join("od/a/sites.csv"));
    scenario_file(
        &dir,
        "existing = \"od/a/sites.csv\"",
        "[[scenario]]\nname = \"A\"\nadd = 1\n",
    );
    let out = scenarios_in(&dir, &["--output-dir", "od"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(read(&dir.join("od/a/sites.csv")), sites);
    // ...and the comparison when it is the demand.
    std::fs::create_dir_all(dir.join("od2")).unwrap();
    std::fs::copy(dir.join("d.csv"), dir.join("od2/comparison.csv")).unwrap();
    std::fs::write(
        dir.join("sc.toml"),
        "[inputs]\ndemand = \"od2/comparison.csv\"\nradius = \"100km\"\n[[scenario]]\nadd = 1\n",
    )
    .unwrap();
    let out = scenarios_in(&dir, &["--output-dir", "od2"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(read(&dir.join("od2/comparison.csv")), before);
    assert!(no_temp_files(&dir));
}

#[test]
fn r8_scenario_folders_are_unique() {
    let (_t, dir) = scratch();
    scenario_file(
        &dir,
        "",
        "[[scenario]]\nname = \"A\"\nadd = 1\n[[scenario]]\nname = \"a\"\nadd = 2\n\
         [[scenario]]\nname = \"!!!\"\nadd = 1\n[[scenario]]\nname = \"???\"\nadd = 2\n",
    );
    let out = scenarios_in(&dir, &["--output-dir", "new/od"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let mut folders: Vec<String> = std::fs::read_dir(dir.join("new/od"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with("comparison"))
        .collect();
    folders.sort();
    assert_eq!(
        folders,
        ["a", "a-2", "baseline", "scenario-3", "scenario-4"].map(String::from)
    );
    // Each folder holds its own scenario's report.
    let a2 = std::fs::read_to_string(dir.join("new/od/a-2/report.json")).unwrap();
    assert!(a2.contains("\"status\": \"new\""));
    assert!(stderr_of(&out).contains("a-2"));
}

#[test]
fn r8_interrupted_runs_leave_no_temp_file() {
    let (_t, dir) = scratch();
    // Enough points that writing the assignments takes a while.
    let mut text = String::from("id,lon,lat,weight\n");
    for i in 0..400_000u32 {
        let lon = 73.0 + (i % 997) as f64 * 0.06;
        let lat = 18.0 + (i / 997) as f64 * 0.08;
        text.push_str(&format!("p{i},{lon},{lat},{}\n", 1 + i % 7));
    }
    std::fs::write(dir.join("big.csv"), text).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("outpost");
    let mut codes = Vec::new();
    for (signal, delay_ms) in [
        ("INT", 150),
        ("TERM", 400),
        ("HUP", 700),
        ("TERM", 1000),
        ("INT", 1400),
    ] {
        let child = std::process::Command::new(&bin)
            .current_dir(&dir)
            .args([
                "evaluate",
                "--demand",
                "big.csv",
                "--sites",
                "s.csv",
                "--radius",
                "100km",
                "--assignments-out",
                "a.csv",
                "--map",
                "m.svg",
                "-o",
                "r.json",
                "-q",
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        let status = child.wait_with_output().unwrap().status;
        codes.push(status.code());
        assert!(no_temp_files(&dir), "temp file left after SIG{signal}");
        let expected = match signal {
            "INT" => 130,
            "TERM" => 143,
            _ => 129,
        };
        assert!(
            status.code() == Some(0) || status.code() == Some(expected),
            "SIG{signal}: {status:?}"
        );
    }
    // At least one run must really have been interrupted.
    assert!(codes.iter().any(|c| *c != Some(0)), "{codes:?}");
}

#[test]
fn r8_hostile_numbers_are_errors() {
    let (_t, dir) = scratch();
    let plan = |extra: &[&str]| {
        outpost()
            .current_dir(&dir)
            .args(["plan", "--demand", "d.csv", "--radius", "100km", "-q"])
            .args(extra)
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap()
    };
    for args in [
        &["--add", "2", "--time-limit", "1e30"][..],
        &["--add", "2", "--time-limit", "2e19"],
        &["--add", "2", "--time-limit", "NaN"],
        &["--add", "2", "--time-limit", "inf"],
        &["--add", "2", "--time-limit=-1"],
        &["--add", "2", "--time-limit", "0"],
        &["--add", "2", "--per-engineer", "1e-320"],
        &["--add", "2", "--per-engineer", "0"],
        &["--add", "2", "--capacity", "nan"],
        &["--add", "2", "--capacity=-1"],
        &["--budget", "inf"],
        &["--add", "2", "--radius", "1e308km"],
        &["--add", "2", "--radius", "nan"],
        &["--add", "2", "--radius", "4h", "--speed", "1e300km/h"],
    ] {
        let out = plan(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        let err = stderr_of(&out);
        assert!(
            err.starts_with("outpost: ") && err.len() < 400,
            "{args:?}: {err}"
        );
    }
    for (key, value, in_inputs) in [
        ("time_limit", "nan", true),
        ("time_limit", "inf", true),
        ("time_limit", "-1", true),
        ("time_limit", "0", true),
        ("budget", "nan", false),
        ("budget", "-5", false),
        ("capacity", "nan", false),
        ("capacity", "-1", false),
        ("per_engineer", "0", false),
        ("per_engineer", "nan", false),
        ("close", "[\"Chengdu\", \"Chengdu\"]", false),
        ("open", "[\"Shanghai\"]\nexclude = [\"Shanghai\"]", false),
        ("relocate", "-2", false),
    ] {
        let line = format!("{key} = {value}");
        if in_inputs {
            scenario_file(&dir, &line, "[[scenario]]\nadd = 1\n");
        } else {
            std::fs::write(
                dir.join("sc.toml"),
                format!(
                    "[inputs]\ndemand = \"d.csv\"\nexisting = \"s.csv\"\nradius = \"100km\"\n[[scenario]]\nadd = 1\n{line}\n"
                ),
            )
            .unwrap();
        }
        let out = scenarios_in(&dir, &[]);
        assert_eq!(out.status.code(), Some(2), "{line}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains(key), "{line}: {}", stderr_of(&out));
    }
}

#[test]
fn r8_capacities_report_real_loads_and_assignments_respect_them() {
    let (_t, dir) = scratch();
    // Candidates carry capacities; the existing outlets do not (uncapacitated).
    let mut cands = String::from("id,lon,lat,capacity\n");
    let rows = common::read_rows(&data("china_cities.csv"), Some("population"), None);
    for r in rows.iter().step_by(20) {
        cands.push_str(&format!("{},{},{},20000000\n", r.id, r.lon, r.lat));
    }
    std::fs::write(dir.join("c.csv"), cands).unwrap();
    let out = outpost()
        .current_dir(&dir)
        .args([
            "plan",
            "--demand",
            "d.csv",
            "--existing",
            "s.csv",
            "--candidates",
            "c.csv",
            "--radius",
            "150km",
            "--add",
            "4",
            "--per-engineer",
            "1000000",
            "--format",
            "json",
            "--assignments-out",
            "a.csv",
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sites = json["sites"].as_array().unwrap();
    let mut load = std::collections::HashMap::new();
    for s in sites {
        let assigned = s["assigned_weight"].as_f64().expect("a number, not null");
        assert!(assigned.is_finite());
        load.insert(s["id"].as_str().unwrap().to_string(), assigned);
        let engineers = s["engineers"].as_u64().unwrap();
        assert_eq!(engineers, (assigned / 1e6).ceil() as u64);
        if s["status"] == "existing" {
            assert!(s["capacity"].is_null());
        }
    }
    assert!(
        sites
            .iter()
            .any(|s| s["status"] == "existing" && s["assigned_weight"].as_f64().unwrap() > 0.0)
    );
    // The assignments file: per-site sums equal the loads and respect capacities;
    // each point's parts add up to its weight.
    let mut r = csv::Reader::from_path(dir.join("a.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (id, weight, site, assigned, status) = (
        col("id"),
        col("weight"),
        col("site_id"),
        col("assigned_weight"),
        col("status"),
    );
    let mut sums: std::collections::HashMap<String, f64> = Default::default();
    let mut per_point: std::collections::HashMap<String, (f64, f64)> = Default::default();
    for rec in r.records() {
        let rec = rec.unwrap();
        let a: f64 = rec[assigned].parse().unwrap();
        let e = per_point.entry(rec[id].to_string()).or_default();
        e.0 = rec[weight].parse().unwrap();
        e.1 += a;
        if rec[status] == *"served" {
            *sums.entry(rec[site].to_string()).or_default() += a;
        } else {
            assert!(rec[site].is_empty());
        }
    }
    for (site, sum) in &sums {
        let l = load[site];
        assert!((sum - l).abs() <= 1e-6 * l.max(1.0), "{site}: {sum} vs {l}");
        if site != "Chengdu" && !["Xi'an", "Jinan", "Changzhou"].contains(&site.as_str()) {
            assert!(*sum <= 2e7 * (1.0 + 1e-9), "{site}: {sum}");
        }
    }
    for (p, (w, total)) in &per_point {
        assert!(
            (w - total).abs() <= 1e-6 * w.max(1.0),
            "{p}: {w} vs {total}"
        );
    }
}

#[test]
fn r8_distance_objectives_need_no_radius_and_miles_stay_miles() {
    let (_t, dir) = scratch();
    for objective in ["distance", "max-distance"] {
        let out = outpost()
            .current_dir(&dir)
            .args(["plan", "--demand", "d.csv", "--objective", objective])
            .args(["--add", "4", "-q", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["radius_label"], "any distance");
        assert_eq!(json["sites"].as_array().unwrap().len(), 4);
    }
    let out = outpost()
        .current_dir(&dir)
        .args(["plan", "--demand", "d.csv", "--add", "2", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--radius"));
    let out = outpost()
        .current_dir(&dir)
        .args(["evaluate", "--demand", "d.csv", "--sites", "s.csv"])
        .args(["--radius", "100mi,4h", "--speed", "40mph", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("within 100 mi"), "{text}");
    assert!(text.contains("4 h at 40 mph"), "{text}");
    assert!(!text.contains("160.9344"), "{text}");
}

#[test]
fn r8_reports_carry_no_float_noise_and_ids_stay_on_one_line() {
    let (_t, dir) = scratch();
    let out = evaluate_in(&dir, &["--format", "json"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Populations are integers, so every weight sum is an integer.
    for t in json["tiers"].as_array().unwrap() {
        let w = t["covered_weight"].as_f64().unwrap();
        assert_eq!(w, w.round(), "{w}");
    }
    assert!(!text.contains("0000000"), "float noise in {text}");
    std::fs::write(
        dir.join("ctl.csv"),
        "id,lon,lat,weight\n\"a\nb\u{1b}|c\",80,30,5\nd,100,30,7\n",
    )
    .unwrap();
    let out = outpost()
        .current_dir(&dir)
        .args(["evaluate", "--demand", "ctl.csv", "--sites", "s.csv"])
        .args(["--radius", "10km", "--format", "markdown", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!text.contains('\u{1b}'));
    let row = text
        .lines()
        .find(|l| l.contains("a\\nb"))
        .expect("escaped id");
    assert!(row.contains("\\u{1b}\\|c"), "{row}");
}

#[test]
fn r8_messages_are_readable() {
    let (_t, dir) = scratch();
    // A missing scenario file is reported as such, not as an output clash.
    let out = outpost()
        .current_dir(&dir)
        .args(["scenarios", "nope.toml", "-o", "cmp.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("nope.toml") && err.contains("cannot read"),
        "{err}"
    );
    // A huge value is echoed cut to a readable length.
    // (The kernel caps one argument at 128 KiB; a 10 MB value comes from a file.)
    let huge = "9".repeat(100_000);
    let out = evaluate_in(&dir, &["--radius", &format!("{huge}x")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).len() < 600, "{}", stderr_of(&out).len());
    // A folder as output is named once.
    std::fs::create_dir(dir.join("folder")).unwrap();
    let out = evaluate_in(&dir, &["-o", "folder"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("is a folder"), "{err}");
    assert!(err.matches("Is a directory").count() <= 1, "{err}");
    // A TOML radius of the wrong type explains the accepted forms (a bare
    // number is km, as on the command line).
    std::fs::write(
        dir.join("sc.toml"),
        "[inputs]\ndemand = \"d.csv\"\nradius = true\n",
    )
    .unwrap();
    let out = scenarios_in(&dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("\"50km\"") && !err.contains("untagged"),
        "{err}"
    );
}

#[test]
fn r8_filtered_scenarios_compare_with_the_baseline_on_the_same_demand() {
    let (_t, dir) = scratch();
    std::fs::write(
        dir.join("sc.toml"),
        "[inputs]\ndemand = \"d.csv\"\nexisting = \"s.csv\"\nradius = \"150km\"\n\
         [[scenario]]\nname = \"west, today\"\ndemand_groups = [\"Sichuan\", \"Chongqing\", \"Yunnan\"]\n\
         [[scenario]]\nname = \"west, +3\"\nadd = 3\ndemand_groups = [\"Sichuan\", \"Chongqing\", \"Yunnan\"]\n",
    )
    .unwrap();
    let out = scenarios_in(&dir, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = json["rows"].as_array().unwrap();
    let west_today = rows[1]["covered_fraction"].as_f64().unwrap();
    let west_plus = rows[2]["covered_fraction"].as_f64().unwrap();
    // The baseline on western demand is the "west, today" row: its delta is 0.
    assert!(rows[1]["delta_pp"].as_f64().unwrap().abs() < 1e-9);
    let delta = rows[2]["delta_pp"].as_f64().unwrap();
    assert!(
        (delta - 100.0 * (west_plus - west_today)).abs() < 1e-6,
        "{delta}"
    );
}

#[test]
fn r8_basemap_coordinates_are_validated() {
    let (_t, dir) = scratch();
    for (bad, says) in [
        ("[1e20,30]", "longitude 1e20"),
        ("[100,200]", "latitude 200"),
        ("[\"100\",\"30\"]", "not two numbers"),
    ] {
        std::fs::write(
            dir.join("bm.geojson"),
            format!(
                "{{\"type\":\"FeatureCollection\",\"features\":[{{\"type\":\"Feature\",\"properties\":{{}},\
                 \"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[100,30],[101,30],{bad},[100,30]]]}}}}]}}"
            ),
        )
        .unwrap();
        let out = outpost()
            .current_dir(&dir)
            .args(["evaluate", "--demand", "d.csv", "--sites", "s.csv"])
            .args([
                "--radius",
                "100km",
                "--map",
                "m.svg",
                "--basemap",
                "bm.geojson",
                "-q",
            ])
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = stderr_of(&out);
        assert!(err.contains("feature 1") && err.contains(says), "{err}");
        assert!(!dir.join("m.svg").exists());
    }
}

#[test]
fn r8_defects_found_by_the_new_user_pass() {
    let (_t, dir) = scratch();
    // Weights whose weighted distances would overflow are refused at load.
    let mut big = String::from("id,lon,lat,weight\n");
    for i in 0..300 {
        big.push_str(&format!(
            "p{i},{},{},5e305\n",
            100.0 + i as f64 * 0.05,
            25.0 + i as f64 * 0.03
        ));
    }
    std::fs::write(dir.join("big.csv"), big).unwrap();
    let out = outpost()
        .current_dir(&dir)
        .args([
            "plan",
            "--demand",
            "big.csv",
            "--objective",
            "distance",
            "--add",
            "3",
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("`weight`"), "{}", stderr_of(&out));
    // `-o -` is stdout.
    let out = evaluate_in(&dir, &["-o", "-", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.starts_with(b"{"));
    assert!(!dir.join("-").exists());
    // {name} in a batch report path is an error, not a literal file name.
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::copy(dir.join("d.csv"), dir.join("a/r.csv")).unwrap();
    let out = outpost()
        .current_dir(&dir)
        .args([
            "evaluate", "--demand", "d.csv", "a/r.csv", "--sites", "s.csv",
        ])
        .args(["--radius", "100km", "-o", "out/{name}.json", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("out").exists());
    // Tiny radii and speeds are refused, a bare TOML number is km.
    for args in [
        &["--radius", "1e-320"][..],
        &["--radius", "2h", "--speed", "1e-320"],
    ] {
        let out = outpost()
            .current_dir(&dir)
            .args(["evaluate", "--demand", "d.csv", "--sites", "s.csv", "-q"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    // A very long scenario name gets a short folder; a file as --output-dir fails before work.
    let long = "L".repeat(300);
    std::fs::write(
        dir.join("sc.toml"),
        format!(
            "[inputs]\ndemand = \"d.csv\"\nradius = 100\n[[scenario]]\nname = \"{long}\"\nadd = 1\n"
        ),
    )
    .unwrap();
    let out = scenarios_in(&dir, &["--output-dir", "long"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        dir.join("long")
            .join("l".repeat(60))
            .join("report.json")
            .is_file()
    );
    let out = scenarios_in(&dir, &["--output-dir", "s.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("is a file"), "{}", stderr_of(&out));
    // A folder as --demand says "Is a directory" once; a BOM-only file is empty.
    std::fs::create_dir(dir.join("dirin")).unwrap();
    std::fs::write(dir.join("bom.csv"), b"\xef\xbb\xbf").unwrap();
    for (demand, says) in [
        ("dirin", "Is a directory"),
        ("bom.csv", "the file is empty"),
    ] {
        let out = outpost()
            .current_dir(&dir)
            .args([
                "evaluate", "--demand", demand, "--sites", "s.csv", "--radius", "9km",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = stderr_of(&out);
        assert_eq!(err.matches(says).count(), 1, "{err}");
    }
    // Sweep reports the sites it opened, not the sites asked for.
    let few: String = std::fs::read_to_string(dir.join("d.csv"))
        .unwrap()
        .lines()
        .take(40)
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("few.csv"), few + "\n").unwrap();
    let out = outpost()
        .current_dir(&dir)
        .args([
            "sweep", "--demand", "few.csv", "--radius", "150km", "--add", "60..60",
        ])
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &json["points"][0];
    assert_eq!(
        p["sites"].as_u64().unwrap() as usize,
        p["site_ids"].as_array().unwrap().len()
    );
    assert!(p["sites"].as_u64().unwrap() < 60);
}

#[test]
fn r8_maps_stay_well_formed_and_say_the_unit_given() {
    let (_t, dir) = scratch();
    std::fs::write(
        dir.join("cs.csv"),
        "id,lon,lat\n\"ctl\u{1}\u{7}\u{1b}[31mred <&> \"\"q\"\"\",104.07,30.67\n",
    )
    .unwrap();
    let out = outpost()
        .current_dir(&dir)
        .args(["evaluate", "--demand", "d.csv", "--sites", "cs.csv"])
        .args(["--radius", "100mi", "--map", "m.svg", "-q"])
        .args(["--map-title", "title \u{2} with control"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let svg = std::fs::read_to_string(dir.join("m.svg")).unwrap();
    assert!(!svg.chars().any(|c| c.is_control() && !"\n\r\t".contains(c)));
    // Parses as XML (usvg is strict about well-formedness).
    let opt = resvg::usvg::Options::default();
    resvg::usvg::Tree::from_str(&svg, &opt).expect("well-formed SVG");
    assert!(svg.contains("100 mi"), "the radius as given");
    assert!(!svg.contains("160.9344"));
}

#[test]
fn a_run_that_fails_part_way_changes_no_output() {
    let (_t, dir) = scratch();
    std::fs::write(dir.join("old_sites.csv"), "before\n").unwrap();
    // /dev/full takes the open and fails on the write, after the sites file
    // is finished: the sites file must keep its old content.
    let out = evaluate_in(
        &dir,
        &[
            "--sites-out",
            "old_sites.csv",
            "--assignments-out",
            "/dev/full",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("/dev/full"), "{}", stderr_of(&out));
    assert_eq!(read(&dir.join("old_sites.csv")), b"before\n");
    assert!(no_temp_files(&dir));
    // The same run without the failing output writes every file.
    let out = evaluate_in(&dir, &["--sites-out", "old_sites.csv", "-o", "r.json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(read(&dir.join("old_sites.csv")).starts_with(b"id,"));
    assert!(dir.join("r.json").exists());
}

#[test]
fn temporary_files_of_a_killed_run_are_swept_by_the_next() {
    let (_t, dir) = scratch();
    // No process can have a pid above the kernel's limit (at most 2^22).
    let stale = dir.join("out").join(".outpost-4194399-7.tmp");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, "half a file").unwrap();
    // A temporary file of a live process (this test) is left alone, and so
    // are files that only look alike.
    let live = dir
        .join("out")
        .join(format!(".outpost-{}-1.tmp", std::process::id()));
    std::fs::write(&live, "in use").unwrap();
    let other = dir.join("out").join(".outpost-notes.tmp");
    std::fs::write(&other, "mine").unwrap();
    let out = evaluate_in(&dir, &["--sites-out", "out/s.csv"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!stale.exists());
    assert!(live.exists() && other.exists());
}

#[test]
fn unwritable_output_paths_are_refused_before_any_work() {
    let (_t, dir) = scratch();
    std::fs::write(dir.join("afile"), "x").unwrap();
    let out = evaluate_in(
        &dir,
        &["--sites-out", "ok.csv", "--assignments-out", "afile/x.csv"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--assignments-out afile/x.csv: afile is a file, not a folder"),
        "{err}"
    );
    assert!(!dir.join("ok.csv").exists());
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("nowhere/gone.csv", dir.join("dangling.csv")).unwrap();
        let out = evaluate_in(&dir, &["--sites-out", "dangling.csv"]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr_of(&out);
        assert!(
            err.contains("--sites-out") && err.contains("symlink"),
            "{err}"
        );
    }
    let out = evaluate_in(&dir, &["--map", "/proc/outpost-map.svg"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--map /proc/outpost-map.svg: cannot write in the folder /proc"),
        "{err}"
    );
    assert!(no_temp_files(&dir));
}

#[test]
fn one_demand_file_named_twice_is_refused() {
    let (_t, dir) = scratch();
    let out = outpost()
        .current_dir(&dir)
        .args([
            "evaluate", "--demand", "d.csv", "./d.csv", "--sites", "s.csv",
        ])
        .args(["--radius", "100km"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--demand names d.csv and ./d.csv, which are one file"),
        "{err}"
    );
    // The same file as demand and as candidates is a common, valid setup.
    let out = outpost()
        .current_dir(&dir)
        .args([
            "plan",
            "--demand",
            "d.csv",
            "--candidates",
            "d.csv",
            "--add",
            "2",
        ])
        .args(["--radius", "100km", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

/// `-o /dev/stdout` and `--sites-out /dev/stdout` with stdout appended to a
/// log (`>> log.txt`): the report is added at the end, the log keeps what it
/// held, and a table needs no extension there.
#[test]
fn dev_stdout_appended_to_a_log_keeps_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    std::fs::write(&log, "PREVIOUS LOG LINE\n").unwrap();
    for extra in [
        &["-o", "/dev/stdout"][..],
        &["-o", "/dev/null", "--sites-out", "/dev/stdout"][..],
    ] {
        let out = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("outpost"))
            .args(["plan", "--demand"])
            .arg(data("china_cities.csv"))
            .args(["--radius", "150km", "--add", "3", "-q"])
            .args(extra)
            .stdout(out)
            .status()
            .unwrap();
        assert!(status.success(), "{extra:?}");
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.starts_with("PREVIOUS LOG LINE\noutpost plan (coverage)"),
        "{text}"
    );
    assert!(text.contains("\nid,name,lon,lat,status"), "{text}");
}

/// A shell's `1<> d.csv` sends standard output onto an input without
/// emptying it: the report would overwrite the demand. Refused before any
/// work, the input unchanged; standard output onto another file still works.
#[test]
fn standard_output_onto_an_input_is_refused() {
    let (_t, dir) = scratch();
    let before = read(&dir.join("d.csv"));
    let onto = |name: &str| {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(name))
            .unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"));
        cmd.current_dir(&dir)
            .args([
                "evaluate", "--demand", "d.csv", "--sites", "s.csv", "--radius", "100km", "-q",
            ])
            .stdout(std::process::Stdio::from(f))
            .output()
            .unwrap()
    };
    let out = onto("d.csv");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("standard output") && err.contains("--demand"),
        "{err}"
    );
    assert_eq!(read(&dir.join("d.csv")), before);
    let out = onto("report.txt");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(String::from_utf8_lossy(&read(&dir.join("report.txt"))).contains("coverage"));
}
