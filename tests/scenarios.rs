//! `outpost scenarios` and batch runs over several demand files, end to end.

mod common;
use common::*;
use predicates::prelude::*;
use std::path::Path;

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/china_scenarios.toml")
}

fn covered(j: &serde_json::Value) -> f64 {
    j["coverage"]["covered_weight"].as_f64().unwrap()
}

fn cli_json(args: &[&str]) -> serde_json::Value {
    json_of(
        &outpost()
            .args(args)
            .args(["--format", "json"])
            .assert()
            .get_output()
            .stdout
            .clone(),
    )
}

#[test]
fn example_rows_equal_the_same_cases_run_one_by_one() {
    let out = outpost()
        .arg("scenarios")
        .arg(example())
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let cmp = json_of(&out);
    let rows = cmp["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["scenario"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
    };
    let d = data("china_cities.csv");
    let s = data("china_outlets.csv");
    let (d, s) = (d.to_str().unwrap(), s.to_str().unwrap());

    let today = cli_json(&[
        "evaluate",
        "--demand",
        d,
        "--sites",
        s,
        "--radius",
        "150km,300km",
    ]);
    assert_eq!(
        row("today")["covered_weight"].as_f64().unwrap(),
        covered(&today)
    );
    assert_eq!(row("today")["delta_pp"].as_f64().unwrap(), 0.0);

    let add5 = cli_json(&[
        "plan",
        "--demand",
        d,
        "--existing",
        s,
        "--radius",
        "150km,300km",
        "--add",
        "5",
    ]);
    assert_eq!(
        row("add five outlets")["covered_weight"].as_f64().unwrap(),
        covered(&add5)
    );

    let tight = cli_json(&[
        "plan",
        "--demand",
        d,
        "--existing",
        s,
        "--radius",
        "100km,300km",
        "--add",
        "10",
    ]);
    assert_eq!(
        row("radius tightens to 100 km")["covered_weight"]
            .as_f64()
            .unwrap(),
        covered(&tight)
    );

    let time = cli_json(&[
        "plan",
        "--demand",
        d,
        "--existing",
        s,
        "--radius",
        "4h",
        "--speed",
        "60km/h",
        "--add",
        "10",
    ]);
    assert_eq!(
        row("engineer on site within 4 h")["covered_weight"]
            .as_f64()
            .unwrap(),
        covered(&time)
    );

    let fewest = cli_json(&[
        "plan",
        "--demand",
        d,
        "--existing",
        s,
        "--radius",
        "150km,300km",
        "--objective",
        "min-sites",
        "--target",
        "80%",
    ]);
    assert_eq!(
        row("reach 80% with the fewest outlets")["covered_weight"]
            .as_f64()
            .unwrap(),
        covered(&fewest)
    );

    // Closing Jinan is evaluating the network without it.
    let dir = tempfile::tempdir().unwrap();
    let no_jinan = dir.path().join("no_jinan.csv");
    let text = std::fs::read_to_string(s).unwrap();
    std::fs::write(
        &no_jinan,
        text.lines()
            .filter(|l| !l.starts_with("Jinan,"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let closed = cli_json(&[
        "evaluate",
        "--demand",
        d,
        "--sites",
        no_jinan.to_str().unwrap(),
        "--radius",
        "150km,300km",
    ]);
    assert_eq!(
        row("close Jinan")["covered_weight"].as_f64().unwrap(),
        covered(&closed)
    );
    assert_eq!(row("close Jinan")["closed"], 1);

    // Demand and candidates filtered to the west: the same as planning on a file of the west.
    let west = [
        "Sichuan",
        "Chongqing",
        "Yunnan",
        "Guizhou",
        "Xizang",
        "Qinghai",
        "Gansu",
        "Xinjiang",
        "Shaanxi",
        "Ningxia",
    ];
    let mut reader = csv::Reader::from_path(d).unwrap();
    let wp = dir.path().join("west.csv");
    let mut writer = csv::Writer::from_path(&wp).unwrap();
    writer.write_record(reader.headers().unwrap()).unwrap();
    for rec in reader.records() {
        let rec = rec.unwrap();
        if west.contains(&&rec[2]) {
            writer.write_record(&rec).unwrap();
        }
    }
    writer.flush().unwrap();
    let w = cli_json(&[
        "plan",
        "--demand",
        wp.to_str().unwrap(),
        "--existing",
        s,
        "--radius",
        "150km,300km",
        "--add",
        "5",
    ]);
    assert_eq!(
        row("west only")["covered_weight"].as_f64().unwrap(),
        covered(&w)
    );
}

/// A scenario file in `dir`: the quick-start inputs (China's cities and
/// outlets, 150 km) followed by `body`.
fn china_scenarios(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let f = dir.join(name);
    std::fs::write(
        &f,
        format!(
            "[inputs]\ndemand = {:?}\nexisting = {:?}\nradius = \"150km\"\n{body}",
            data("china_cities.csv"),
            data("china_outlets.csv")
        ),
    )
    .unwrap();
    f
}

/// Runs the scenario file `f` quietly with `--output-dir` beside it (and
/// `extra` flags), which must succeed; returns the folder.
fn run_to_dir(f: &Path, extra: &[&str]) -> std::path::PathBuf {
    let out = f.with_file_name("out");
    outpost()
        .arg("scenarios")
        .arg(f)
        .arg("--output-dir")
        .arg(&out)
        .args(extra)
        .arg("--quiet")
        .assert()
        .success();
    out
}

#[test]
fn gates_fail_by_name_and_the_rest_still_report() {
    let dir = tempfile::tempdir().unwrap();
    let f = china_scenarios(
        dir.path(),
        "s.toml",
        "\n[[scenario]]\nname = \"too ambitious\"\nadd = 2\nmin_coverage = 0.9\n\n[[scenario]]\nname = \"fine\"\nadd = 10\nmin_coverage = \"50%\"\n",
    );
    outpost()
        .arg("scenarios")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "gate failed in 1 scenario(s): \"too ambitious\"",
        ))
        .stdout(
            predicate::str::contains("fine")
                .and(predicate::str::contains("FAIL"))
                .and(predicate::str::contains("pass")),
        );
}

fn bad_file(body: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let f = china_scenarios(dir.path(), "bad.toml", body);
    let out = outpost()
        .arg("scenarios")
        .arg(&f)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml"), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in {err}");
    }
}

#[test]
fn scenario_file_errors_name_the_file_scenario_and_key() {
    bad_file(
        "\n[[scenario]]\nname = \"typo\"\nadd = 3\nbudgett = 5\n",
        &["bad.toml:9:1", "(in typo)", "budgett"],
    );
    bad_file(
        "\n[[scenario]]\nname = \"wrong type\"\nadd = \"three\"\n",
        &["bad.toml:8", "(in wrong type)"],
    );
    bad_file(
        "\n[[scenario]]\nname = \"closing\"\nclose = [\"Jinann\"]\n",
        &["scenario \"closing\"", "key `close`", "\"Jinann\"", "Jinan"],
    );
    bad_file(
        "\n[[scenario]]\nname = \"west\"\ndemand_groups = [\"Atlantis\"]\n",
        &["scenario \"west\"", "key `demand_groups`", "Atlantis"],
    );
    bad_file(
        "\n[[scenario]]\nname = \"r\"\nradius = \"far\"\n",
        &["scenario \"r\"", "key `radius`"],
    );
    bad_file(
        "\n[[scenario]]\nname = \"g\"\nadd = 2\nmin_coverage = 1.5\n",
        &["scenario \"g\"", "key `min_coverage`"],
    );
    bad_file(
        "\n[[scenario]]\nname = \"o\"\nobjective = \"best\"\n",
        &["scenario \"o\"", "key `objective`", "\"best\""],
    );
    // A missing input file.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("missing.toml");
    std::fs::write(
        &f,
        "[inputs]\ndemand = \"nowhere.csv\"\nradius = \"100km\"\n",
    )
    .unwrap();
    outpost().arg("scenarios").arg(&f).assert().code(2).stderr(
        predicate::str::contains("key `demand`").and(predicate::str::contains("nowhere.csv")),
    );
}

#[test]
fn output_dir_holds_each_scenario_and_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let f = china_scenarios(
        dir.path(),
        "s.toml",
        "\n[[scenario]]\nname = \"Add 3\"\nadd = 3\n",
    );
    let out = run_to_dir(&f, &["--map"]);
    for p in [
        "comparison.md",
        "comparison.json",
        "comparison.csv",
        "baseline/report.json",
        "baseline/sites.csv",
        "add_3/report.json",
        "add_3/sites.csv",
        "add_3/map.svg",
    ] {
        assert!(out.join(p).exists(), "missing {p}");
    }
    let r = json_of(&std::fs::read(out.join("add_3/report.json")).unwrap());
    assert_eq!(
        r["sites"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == "new")
            .count(),
        3
    );
}

fn regions(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for p in ["Sichuan", "Guangdong", "Jiangsu"] {
        let mut reader = csv::Reader::from_path(data("china_cities.csv")).unwrap();
        let f = dir.join(format!("{p}.csv"));
        let mut writer = csv::Writer::from_path(&f).unwrap();
        writer.write_record(reader.headers().unwrap()).unwrap();
        for rec in reader.records() {
            let rec = rec.unwrap();
            if &rec[2] == p {
                writer.write_record(&rec).unwrap();
            }
        }
        writer.flush().unwrap();
        files.push(f);
    }
    files
}

#[test]
fn batch_reports_a_row_per_file_and_a_total() {
    let dir = tempfile::tempdir().unwrap();
    let files = regions(dir.path());
    let pattern = dir.path().join("*.csv");
    let out = outpost()
        .args([
            "evaluate", "--radius", "200km", "--format", "json", "--demand",
        ])
        .arg(&pattern)
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    // Each row equals the file run alone.
    let mut tw = 0.0;
    let mut cw = 0.0;
    for (row, f) in rows.iter().zip(["Guangdong", "Jiangsu", "Sichuan"]) {
        let alone = cli_json(&[
            "evaluate",
            "--radius",
            "200km",
            "--demand",
            dir.path().join(format!("{f}.csv")).to_str().unwrap(),
            "--sites",
            data("china_outlets.csv").to_str().unwrap(),
        ]);
        assert_eq!(row["covered_weight"].as_f64().unwrap(), covered(&alone));
        tw += row["total_weight"].as_f64().unwrap();
        cw += row["covered_weight"].as_f64().unwrap();
    }
    assert!(rel_close(
        j["total"]["covered_fraction"].as_f64().unwrap(),
        cw / tw,
        1e-12
    ));
    // Plans per file, with per-file maps.
    let maps = dir.path().join("{name}-map.svg");
    outpost()
        .args([
            "plan", "--radius", "100km", "--add", "2", "--quiet", "--demand",
        ])
        .args(&files)
        .arg("--map")
        .arg(&maps)
        .assert()
        .success();
    assert!(
        dir.path().join("Sichuan-map.svg").exists()
            && dir.path().join("Guangdong-map.svg").exists()
    );
    // Without {name}, a per-file output is refused.
    outpost()
        .args(["plan", "--radius", "100km", "--add", "2", "--demand"])
        .args(&files)
        .arg("--map")
        .arg(dir.path().join("one.svg"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("{name}"));
}

#[test]
fn batch_bad_file_does_not_stop_the_others_unless_fail_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = regions(dir.path());
    let bad = dir.path().join("Broken.csv");
    std::fs::write(&bad, "id,lon,lat\nx,abc,1\n").unwrap();
    files.insert(1, bad);
    let out = outpost()
        .args([
            "evaluate",
            "--radius",
            "200km",
            "--format",
            "csv",
            "--min-coverage",
            "60%",
            "--demand",
        ])
        .args(&files)
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("Broken.csv:line 2").and(predicate::str::contains(
                "1 of 4 demand files could not be used",
            )),
        )
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1 + 4 + 1, "{text}");
    assert!(text.contains("Jiangsu.csv") && text.contains("Sichuan.csv"));
    outpost()
        .args(["evaluate", "--radius", "200km", "--fail-fast", "--demand"])
        .args(&files)
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("Broken.csv:line 2"));
    // Gates per file: exit 1 naming the files that failed.
    files.remove(1);
    outpost()
        .args([
            "evaluate",
            "--radius",
            "200km",
            "--min-coverage",
            "60%",
            "--demand",
        ])
        .args(&files)
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("gate failed for 1 file(s)")
                .and(predicate::str::contains("Guangdong.csv")),
        );
}

/// `capacity = -0.0` in a scenario is zero, as `--capacity -0` is on the
/// command line: no `-0` in the scenario's report or site table (both had it).
#[test]
fn negative_zero_capacity_key_reads_as_zero() {
    let dir = tempfile::tempdir().unwrap();
    let f = china_scenarios(
        dir.path(),
        "s.toml",
        "\n[[scenario]]\nname = \"zero cap\"\nadd = 3\ncapacity = -0.0\n",
    );
    let out = run_to_dir(&f, &[]);
    let report = std::fs::read_to_string(out.join("zero_cap/report.json")).unwrap();
    let sites = std::fs::read_to_string(out.join("zero_cap/sites.csv")).unwrap();
    assert!(report.contains("\"capacity\": 0.0"), "{report}");
    assert!(!report.contains("-0.0"), "{report}");
    assert!(!sites.contains(",-0,"), "{sites}");
}
