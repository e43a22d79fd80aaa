//! Large inputs (issue 14): the parallel CSV reader gives the same report as the
//! sequential one, and progress bars never reach a log or a pipe.

mod common;
use common::*;
use std::fmt::Write as _;

/// A demand file over the parallel reader's threshold (1 MB), and a few sites.
fn big_demand(dir: &std::path::Path) {
    let mut t = String::from("id,lon,lat,weight,region\n");
    for i in 0..60_000u64 {
        let lon = 100.0 + (i * 7919 % 20_000) as f64 / 1000.0;
        let lat = 20.0 + (i * 104_729 % 20_000) as f64 / 1000.0;
        writeln!(t, "p{i},{lon},{lat},{},r{}", i % 13, i % 4).unwrap();
    }
    assert!(t.len() > 1 << 20);
    std::fs::write(dir.join("demand.csv"), &t).unwrap();
    // The same places with one quoted field: read by the sequential reader only.
    let quoted = t.replacen("p0,", "\"p0\",", 1);
    std::fs::write(dir.join("quoted.csv"), quoted).unwrap();
    std::fs::write(
        dir.join("sites.csv"),
        "id,lon,lat\na,105,25\nb,110,30\nc,118,38\n",
    )
    .unwrap();
}

#[test]
fn a_large_file_reports_as_the_sequential_reader_does() {
    let dir = tempfile::tempdir().unwrap();
    big_demand(dir.path());
    let report = |demand: &str| {
        let out = outpost()
            .current_dir(dir.path())
            .args(["evaluate", "--demand", demand, "--sites", "sites.csv"])
            .args(["--radius", "100km,300km", "--format", "json", "-q"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_object_mut().unwrap().remove("elapsed_ms");
        v.as_object_mut().unwrap().remove("inputs");
        v["notes"] = serde_json::Value::Null;
        v
    };
    let fast = report("demand.csv");
    assert_eq!(fast["demand"]["points"], 60_000);
    assert_eq!(fast, report("quoted.csv"));
}

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    big_demand(dir.path());
    // Without --quiet: stderr is a pipe here, so nothing but the report's own
    // lines may appear (no bar, no carriage return, no escape sequence).
    for args in [
        &["evaluate", "--sites", "sites.csv", "--radius", "200km"][..],
        &[
            "plan",
            "--candidates",
            "sites.csv",
            "--radius",
            "200km",
            "--add",
            "2",
        ][..],
    ] {
        let out = outpost()
            .current_dir(dir.path())
            .args(&args[..1])
            .args(["--demand", "demand.csv"])
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
        for word in ["reading", "parsing", "evaluating", "coverage", "ETA"] {
            assert!(!err.contains(word), "{word} in {err:?}");
        }
    }
}

/// `rows` demand rows (about 40 bytes each) with a weight and a region.
fn demand_rows(rows: u64) -> String {
    let mut t = String::from("id,lon,lat,weight,region\n");
    for i in 0..rows {
        let lon = 100.0 + (i * 7919 % 20_000) as f64 / 1000.0;
        let lat = 20.0 + (i * 104_729 % 20_000) as f64 / 1000.0;
        writeln!(t, "p{i},{lon},{lat},{},r{}", i % 13, i % 4).unwrap();
    }
    t
}

#[test]
fn a_file_loaded_while_it_is_read_reports_as_the_sequential_reader_does() {
    let dir = tempfile::tempdir().unwrap();
    // Over the size from which demand is loaded while it is read (4 MiB).
    let t = demand_rows(200_000);
    assert!(t.len() > 5 << 20);
    std::fs::write(dir.path().join("demand.csv"), &t).unwrap();
    std::fs::write(
        dir.path().join("quoted.csv"),
        t.replacen("p0,", "\"p0\",", 1),
    )
    .unwrap();
    // A bad latitude near the end, on line 199,991 (the header is line 1).
    let at = t.find("\np199990,").unwrap() + 1;
    let end = at + t[at..].find('\n').unwrap();
    let fields: Vec<&str> = t[at..end].split(',').collect();
    let bad = format!(
        "{}{},{},north,{},{}{}",
        &t[..at],
        fields[0],
        fields[1],
        fields[3],
        fields[4],
        &t[end..]
    );
    std::fs::write(dir.path().join("bad.csv"), &bad).unwrap();
    std::fs::write(
        dir.path().join("sites.csv"),
        "id,lon,lat\na,105,25\nb,110,30\nc,118,38\n",
    )
    .unwrap();
    let run = |demand: &str, extra: &[&str]| {
        outpost()
            .current_dir(dir.path())
            .args(["evaluate", "--demand", demand, "--sites", "sites.csv"])
            .args(["--radius", "100km,300km", "--format", "json", "-q"])
            .args(extra)
            .output()
            .unwrap()
    };
    let report = |demand: &str, extra: &[&str]| {
        let out = run(demand, extra);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_object_mut().unwrap().remove("elapsed_ms");
        v.as_object_mut().unwrap().remove("inputs");
        v["notes"] = serde_json::Value::Null;
        v
    };
    let streamed = report("demand.csv", &[]);
    assert_eq!(streamed["demand"]["points"], 200_000);
    assert_eq!(streamed, report("quoted.csv", &[]));
    // The bad row is reported as the sequential reader reports it: file, line,
    // column, value.
    let out = run("bad.csv", &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:line 199992: column `lat`: not a number: \"north\""),
        "{err}"
    );
    // Skipped under --skip-invalid, and only that row.
    let skipped = report("bad.csv", &["--skip-invalid"]);
    assert_eq!(skipped["demand"]["points"], 199_999);
}
