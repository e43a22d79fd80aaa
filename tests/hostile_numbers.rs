//! Issue 8: random finite, non-finite, huge, tiny and negative values thrown
//! at every numeric flag and scenario key never make outpost panic or hang:
//! the run either works (exit 0 or 1) or says what is wrong (exit 2).

mod common;

use common::{data, outpost};
use proptest::prelude::*;
use std::time::Duration;

/// Thirty weighted places around Chengdu, and two outlets.
fn tiny(dir: &std::path::Path) {
    let mut d = String::from("id,lon,lat,weight,province\n");
    for i in 0..30 {
        let lon = 103.0 + (i % 6) as f64 * 0.4;
        let lat = 29.5 + (i / 6) as f64 * 0.4;
        d.push_str(&format!("p{i},{lon},{lat},{},G{}\n", 10 + i * 7, i % 3));
    }
    std::fs::write(dir.join("d.csv"), d).unwrap();
    std::fs::write(
        dir.join("s.csv"),
        "id,lon,lat,capacity\nA,104.06,30.67,300\nB,103.2,29.6,100\n",
    )
    .unwrap();
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nan".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("1e-320".to_string()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("-0".to_string()),
        Just("18446744073709551616".to_string()),
        Just("4294967296".to_string()),
        Just("".to_string()),
        Just("1e30".to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        (-1e6f64..1e6).prop_map(|v| v.to_string()),
        (0u64..100).prop_map(|v| v.to_string()),
    ]
}

/// Flags of `plan` that take a number (or a number with a unit).
const PLAN_FLAGS: &[(&str, &str)] = &[
    ("--add", ""),
    ("--budget", ""),
    ("--capacity", ""),
    ("--per-engineer", ""),
    ("--k-nearest", ""),
    ("--time-limit", ""),
    ("--seed", ""),
    ("--perturb", ""),
    ("--top", ""),
    ("--radius", "km"),
    ("--radius", "mi"),
    ("--target", ""),
    ("--min-coverage", "%"),
];

/// Keys of a scenario (or `[inputs]`, marked) that take a number.
const TOML_KEYS: &[(&str, bool)] = &[
    ("add", false),
    ("budget", false),
    ("capacity", false),
    ("per_engineer", false),
    ("target", false),
    ("min_coverage", false),
    ("time_limit", true),
    ("seed", true),
    ("top", true),
];

fn check(out: &std::process::Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{what}: exit {:?}: {err}",
        out.status.code()
    );
    assert!(!err.contains("panicked"), "{what}: {err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn r8_plan_flags_never_panic(k in 0..PLAN_FLAGS.len(), v in value(), objective in 0..4usize) {
        let dir = tempfile::tempdir().unwrap();
        tiny(dir.path());
        let (flag, unit) = PLAN_FLAGS[k];
        let objective = ["coverage", "min-sites", "distance", "max-distance"][objective];
        let mut cmd = outpost();
        cmd.current_dir(dir.path())
            .args(["plan", "--demand", "d.csv", "--existing", "s.csv", "-q"])
            .args(["--objective", objective]);
        if objective == "min-sites" {
            if flag != "--target" { cmd.args(["--target", "90%"]); }
        } else if flag != "--add" && flag != "--budget" {
            cmd.args(["--add", "2"]);
        }
        if flag != "--radius" { cmd.args(["--radius", "60km"]); }
        let arg = format!("{flag}={v}{unit}");
        let out = cmd.arg(&arg).timeout(Duration::from_secs(30)).output().unwrap();
        check(&out, &format!("plan --objective {objective} {arg}"));
    }

    #[test]
    fn r8_evaluate_and_sweep_flags_never_panic(k in 0..5usize, v in value()) {
        let dir = tempfile::tempdir().unwrap();
        tiny(dir.path());
        let mut cmd = outpost();
        cmd.current_dir(dir.path());
        let arg = match k {
            0 => format!("--radius={v}km"),
            1 => format!("--speed={v}km/h"),
            2 => format!("--min-coverage={v}"),
            3 => format!("--time-limit={v}"),
            _ => format!("--add=1..{v}"),
        };
        if k <= 2 {
            cmd.args(["evaluate", "--demand", "d.csv", "--sites", "s.csv", "-q"]);
            if k != 0 { cmd.args(["--radius", "2h"]); }
            if k != 1 { cmd.args(["--speed", "50km/h"]); }
        } else {
            cmd.args(["sweep", "--demand", "d.csv", "--radius", "40km..80km:20km", "-q"]);
            if k != 4 { cmd.args(["--add", "3"]); }
        }
        let out = cmd.arg(&arg).timeout(Duration::from_secs(30)).output().unwrap();
        check(&out, &arg);
    }

    #[test]
    fn r8_scenario_keys_never_panic(k in 0..TOML_KEYS.len(), v in value()) {
        let dir = tempfile::tempdir().unwrap();
        tiny(dir.path());
        let (key, in_inputs) = TOML_KEYS[k];
        // TOML spells the non-finite values its own way; text values go quoted.
        let toml_value = match v.as_str() {
            "nan" | "NaN" => "nan".to_string(),
            "inf" => "inf".to_string(),
            "-inf" => "-inf".to_string(),
            "" => "\"\"".to_string(),
            t if t.parse::<i64>().is_ok() || t.parse::<f64>().is_ok_and(f64::is_finite) => {
                let f: f64 = t.parse().unwrap();
                if t.contains(['.', 'e', 'E']) || f.abs() > 9e18 { format!("{f:e}") } else { t.to_string() }
            }
            t => format!("{t:?}"),
        };
        let line = format!("{key} = {toml_value}");
        let (inputs, scenario) = if in_inputs { (line.clone(), String::new()) } else { (String::new(), line.clone()) };
        let objective = if key == "target" || key == "add" { "" } else { "add = 2\n" };
        std::fs::write(
            dir.path().join("sc.toml"),
            format!("[inputs]\ndemand = \"d.csv\"\nexisting = \"s.csv\"\nradius = \"60km\"\n{inputs}\n[[scenario]]\n{objective}{scenario}\n"),
        ).unwrap();
        let out = outpost()
            .current_dir(dir.path())
            .args(["scenarios", "sc.toml", "-q"])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        check(&out, &line);
    }
}

#[test]
fn negative_counts_are_named_as_values() {
    // `--add -1` is a bad value for --add, not an unknown flag `-1`.
    for flag in ["--add", "--k-nearest", "--relocate", "--perturb", "--top"] {
        let out = outpost()
            .args(["plan", "--demand"])
            .arg(data("china_cities.csv"))
            .args(["--radius", "200km", flag, "-1", "-q"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(
            err.contains(&format!("invalid value '-1' for '{flag}")),
            "{flag}: {err}"
        );
        assert!(err.contains("cannot be negative"), "{flag}: {err}");
    }
    // A fraction and a word are said in words too, not as a digit parser's error.
    for (value, says) in [
        ("1.5", "whole number (e.g. 10), not a fraction"),
        ("ten", "written in digits"),
        ("99999999999999999999999", "too large"),
    ] {
        let out = outpost()
            .args(["plan", "--demand"])
            .arg(data("china_cities.csv"))
            .args(["--radius", "200km", "--add", value, "-q"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {err}");
        assert!(err.contains(says), "{value}: {err}");
        assert!(!err.contains("invalid digit"), "{value}: {err}");
    }
}

/// Money and capacities given as `-1` after a space reach outpost's range
/// message, and `-0` (flag or column) is zero: never `-0` in a report.
#[test]
fn negative_amounts_are_out_of_range_and_minus_zero_is_zero() {
    for flag in ["--budget", "--capacity", "--per-engineer"] {
        let out = outpost()
            .args(["plan", "--demand"])
            .arg(data("china_cities.csv"))
            .args(["--radius", "200km", "--add", "3", flag, "-1", "-q"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(
            err.contains(&format!("{flag} -1 is out of range")),
            "{flag}: {err}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.csv");
    std::fs::write(&sites, "id,lon,lat,capacity\na,104,30,-0\n").unwrap();
    let out = outpost()
        .args(["plan", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--existing")
        .arg(&sites)
        .args(["--radius", "150km", "--add", "1", "--capacity", "-0"])
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("-0.0"), "{text}");
    let r = common::json_of(&out.stdout);
    for s in r["sites"].as_array().unwrap() {
        assert_eq!(s["capacity"].as_f64(), Some(0.0), "{s}");
    }
}
