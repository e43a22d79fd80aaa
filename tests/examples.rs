//! Every example command in README.md and in `outpost <command> --help` runs
//! (issue 8): a documented example that fails is a defect like any other.
//!
//! The examples run through `sh` in a scratch folder that holds the project's
//! `data/` and `examples/`, plus the placeholder files the examples name
//! (`customers.csv`, `outlets.csv`, `sites.csv`, `d.csv`, `s.csv`) made from
//! the quick-start data.

mod common;

use common::data;
use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A scratch folder with the data the examples name, and a `bin/outpost`.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&root.join("data"), &dir.join("data"));
    copy_dir(&root.join("examples"), &dir.join("examples"));
    // The GIS examples read the committed fixtures.
    copy_dir(
        &root.join("tests/fixtures/gis"),
        &dir.join("tests/fixtures/gis"),
    );
    // Placeholder demand: every fifth quick-start city, so the slower
    // objectives run in moments; examples naming data/ use the full file.
    let text = std::fs::read_to_string(data("china_cities.csv")).unwrap();
    let sample: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| i % 5 == 0)
        .map(|(_, l)| l)
        .collect();
    for name in ["customers.csv", "d.csv"] {
        std::fs::write(dir.join(name), sample.join("\n") + "\n").unwrap();
    }
    // A European spreadsheet export of the same: `;` and decimal commas.
    let export: Vec<String> = sample
        .iter()
        .map(|l| l.split(',').collect::<Vec<_>>().join(";").replace('.', ","))
        .collect();
    std::fs::write(dir.join("export.csv"), export.join("\r\n") + "\r\n").unwrap();
    for name in ["outlets.csv", "s.csv"] {
        std::fs::copy(data("china_outlets.csv"), dir.join(name)).unwrap();
    }
    // Candidates with a cost and a capacity: every tenth city.
    let rows = common::read_rows(&data("china_cities.csv"), Some("population"), None);
    let mut c = String::from("id,lon,lat,cost,capacity\n");
    for (k, r) in rows.iter().step_by(10).enumerate() {
        c.push_str(&format!(
            "{},{},{},{},{}\n",
            r.id,
            r.lon,
            r.lat,
            200_000 + 50_000 * (k % 7),
            20_000_000
        ));
    }
    std::fs::write(dir.join("sites.csv"), c).unwrap();
    // The Pacific example: places across the antimeridian, two outlets.
    let world = std::fs::read_to_string(data("world_cities.csv")).unwrap();
    let mut pacific = String::from("id,name,lon,lat,population\n");
    for line in world.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Ok(lon), Ok(lat)) = (f[4].parse::<f64>(), f[5].parse::<f64>()) else {
            continue;
        };
        if lon.abs() > 160.0 && (-50.0..0.0).contains(&lat) {
            pacific.push_str(&format!("{},{},{lon},{lat},{}\n", f[0], f[1], f[6]));
        }
    }
    std::fs::write(dir.join("pacific.csv"), pacific).unwrap();
    std::fs::write(
        dir.join("pacific_outlets.csv"),
        "id,lon,lat\nSuva,178.44,-18.14\nNoumea,166.46,-22.27\n",
    )
    .unwrap();
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("outpost"), bin.join("outpost"))
        .unwrap();
    (t, dir)
}

/// Command lines starting with `outpost ` in the fenced shell blocks of a
/// Markdown text, with `\` continuations joined.
fn markdown_examples(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && (t == "```sh" || t == "```bash" || t == "```shell");
            continue;
        }
        if !in_sh {
            continue;
        }
        if !pending.is_empty() || t.starts_with("outpost ") {
            let (body, more) = match t.strip_suffix('\\') {
                Some(b) => (b, true),
                None => (t, false),
            };
            pending.push_str(body);
            pending.push(' ');
            if !more {
                out.push(pending.trim().to_string());
                pending.clear();
            }
        }
    }
    out
}

/// Example lines (`  outpost ...`) of each command's `--help`.
fn help_examples(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for cmd in ["evaluate", "plan", "sweep", "scenarios"] {
        let o = std::process::Command::new(dir.join("bin/outpost"))
            .args([cmd, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("outpost "))
                .map(str::to_string),
        );
    }
    out
}

fn run_all(dir: &Path, examples: &[String]) {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    for ex in examples {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{ex} -q"))
            .current_dir(dir)
            .env("PATH", &path)
            .output()
            .unwrap();
        // 0 is success and 1 a gate the example asks for; 2 is a failure.
        if !matches!(out.status.code(), Some(0) | Some(1)) {
            failures.push(format!(
                "{ex}\n  exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "failing examples:\n{}",
        failures.join("\n")
    );
}

#[cfg(unix)]
#[test]
fn r8_every_readme_example_runs() {
    let (_t, dir) = workspace();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let examples = markdown_examples(&readme);
    assert!(examples.len() >= 10, "{examples:?}");
    run_all(&dir, &examples);
}

#[cfg(unix)]
#[test]
fn r8_every_help_example_runs() {
    let (_t, dir) = workspace();
    let examples = help_examples(&dir);
    assert!(examples.len() >= 8, "{examples:?}");
    run_all(&dir, &examples);
}
