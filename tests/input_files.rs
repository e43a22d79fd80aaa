//! Inputs as planners' files are (issue 8, section 3): Excel exports with `;` and
//! decimal commas, tabs, CRLF, a BOM, blank lines, totals rows, GeoJSON with nulls,
//! stdin of either format, header-only site files. Every test runs the real binary
//! and checks the loaded values against an independent reading of the same data.

mod common;
use common::*;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn run(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Out {
    let mut cmd = outpost();
    cmd.current_dir(dir).args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr,
    }
}

/// `evaluate` with a JSON report; must succeed. Returns the report and stderr.
fn eval(
    dir: &Path,
    demand: &str,
    sites: &str,
    extra: &[&str],
    stdin: Option<&[u8]>,
) -> (Value, String) {
    let mut args = vec![
        "evaluate", "--radius", "100km", "--format", "json", "--demand", demand, "--sites", sites,
    ];
    args.extend_from_slice(extra);
    let out = run(dir, &args, stdin);
    assert_eq!(out.code, 0, "{}", out.stderr);
    (json_of(&out.stdout), out.stderr)
}

/// `evaluate` that must fail with exit 2; returns stderr.
fn fail(dir: &Path, demand: &str, sites: &str, extra: &[&str], stdin: Option<&[u8]>) -> String {
    let mut args = vec![
        "evaluate", "--radius", "100km", "--format", "json", "--demand", demand, "--sites", sites,
    ];
    args.extend_from_slice(extra);
    let out = run(dir, &args, stdin);
    assert_eq!(out.code, 2, "expected exit 2: {}", out.stderr);
    assert!(out.stderr.starts_with("outpost: "), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    out.stderr
}

fn has_all(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "expected {n:?} in: {text}");
    }
}

fn notes(report: &Value) -> String {
    report["notes"].to_string()
}

/// The first `n` Chinese cities, read independently with the csv crate.
fn cities(n: usize) -> Vec<Row> {
    let mut rows = read_rows(
        &data("china_cities.csv"),
        Some("population"),
        Some("province"),
    );
    rows.truncate(n);
    rows
}

fn total(rows: &[Row]) -> f64 {
    rows.iter().map(|r| r.weight).sum()
}

/// The figures that depend on every loaded coordinate and weight.
fn figures(report: &Value) -> Value {
    serde_json::json!({
        "demand": report["demand"]["points"],
        "total": report["demand"]["total_weight"],
        "coverage": report["coverage"],
        "distance": report["distance_km"],
        "groups": report["groups"],
    })
}

/// The same rows as a plain comma CSV, the reference every variant must match.
fn plain_report(dir: &Path, rows: &[Row]) -> Value {
    let path = dir.join("plain.csv");
    let mut text = String::from("id,lon,lat,population,province\n");
    for r in rows {
        text.push_str(&format!(
            "{},{},{},{},{}\n",
            r.id, r.lon, r.lat, r.weight, r.group
        ));
    }
    std::fs::write(&path, text).unwrap();
    let sites = data("china_outlets.csv");
    let (report, _) = eval(dir, "plain.csv", sites.to_str().unwrap(), &[], None);
    assert_eq!(report["demand"]["points"], rows.len());
    assert!(rel_close(
        report["demand"]["total_weight"].as_f64().unwrap(),
        total(rows),
        1e-12
    ));
    report
}

fn comma(x: f64) -> String {
    x.to_string().replace('.', ",")
}

#[test]
fn excel_export_with_semicolons_decimal_commas_crlf_bom_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let rows = cities(40);
    let reference = plain_report(dir.path(), &rows);
    // Lines: header 1, rows 1-10 on 2-11, blank 12, rows 11-20 on 13-22, an empty
    // Excel row 23, rows 21-40 on 24-43, the totals row 44.
    let mut text = String::from("\u{feff}Name;Longitude;Latitude;Population;Province\r\n");
    for (i, r) in rows.iter().enumerate() {
        if i == 10 {
            text.push_str("\r\n");
        }
        if i == 20 {
            text.push_str(";;;;\r\n");
        }
        text.push_str(&format!(
            "{};{};{};{};{}\r\n",
            r.id,
            comma(r.lon),
            comma(r.lat),
            r.weight,
            r.group
        ));
    }
    text.push_str(&format!("Total;;;{};\r\n", total(&rows)));
    std::fs::write(dir.path().join("export.csv"), &text).unwrap();
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();

    let err = fail(dir.path(), "export.csv", sites, &[], None);
    has_all(
        &err,
        &[
            "export.csv:line 44",
            "column `Name`",
            "\"Total\"",
            "its `Longitude` is empty",
            "--skip-invalid",
        ],
    );

    let (report, _) = eval(dir.path(), "export.csv", sites, &["--skip-invalid"], None);
    assert_eq!(figures(&report), figures(&reference));
    assert_eq!(report["demand"]["skipped"], 1);
    has_all(
        &notes(&report),
        &[
            "lon=Longitude, lat=Latitude, weight=Population, id=Name, group=Province; delimiter ';' (sniffed), decimal commas (detected)",
            "line 44",
        ],
    );

    // Forced, the same answer.
    let (forced, _) = eval(
        dir.path(),
        "export.csv",
        sites,
        &["--skip-invalid", "--delimiter", ";", "--decimal-comma"],
        None,
    );
    assert_eq!(figures(&forced), figures(&reference));
    has_all(
        &notes(&forced),
        &["delimiter ';' (--delimiter), decimal commas (--decimal-comma)"],
    );
}

#[test]
fn tab_separated_files_sniffed_or_forced() {
    let dir = tempfile::tempdir().unwrap();
    let rows = cities(25);
    let reference = plain_report(dir.path(), &rows);
    let mut text = String::from("id\tlon\tlat\tpopulation\tprovince\n");
    for r in &rows {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            r.id, r.lon, r.lat, r.weight, r.group
        ));
    }
    std::fs::write(dir.path().join("d.tsv"), &text).unwrap();
    std::fs::write(dir.path().join("d.txt"), &text).unwrap();
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();
    for (file, extra) in [
        ("d.tsv", &[][..]),
        ("d.txt", &[][..]),
        ("d.txt", &["--delimiter", "tab"][..]),
        ("d.txt", &["--delimiter", "\\t"][..]),
    ] {
        let (report, _) = eval(dir.path(), file, sites, extra, None);
        assert_eq!(figures(&report), figures(&reference), "{file} {extra:?}");
        has_all(&notes(&report), &["delimiter tab"]);
    }
    // --delimiter applies to the files whose header has it; the others keep their own.
    let (report, _) = eval(dir.path(), "d.tsv", sites, &["--delimiter", ","], None);
    assert_eq!(figures(&report), figures(&reference));
    has_all(
        &notes(&report),
        &["delimiter tab (sniffed: the header has no ',' for --delimiter)"],
    );
    let out = run(dir.path(), &["evaluate", "--delimiter", "|"], None);
    assert_eq!(out.code, 2);
    has_all(&out.stderr, &["--delimiter", "tab"]);
}

#[test]
fn line_numbers_are_physical_lines() {
    let dir = tempfile::tempdir().unwrap();
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();
    let head = "id,name,lon,lat,weight\r\n\
                a,\"two\r\nlines\",104,30,5\r\n\
                \r\n\
                b,plain,104.1,30.1,5\r\n\
                c,\"x\ny\nz\",104.2,30.2,5\r\n\
                \r\n\r\n";
    // The bad row is physical line 11 whatever the line endings.
    for (bad, needles) in [
        ("d,bad,abc,30.3,5\r\n", &["line 11", "`lon`", "\"abc\""][..]),
        (
            "d,bad,1,2\r\n",
            &["line 11", "4 fields but the header has 5"][..],
        ),
        (
            "d,bad,104.3,30.3,-5\r\n",
            &["line 11", "negative weight"][..],
        ),
    ] {
        std::fs::write(dir.path().join("crlf.csv"), format!("{head}{bad}")).unwrap();
        let err = fail(dir.path(), "crlf.csv", sites, &[], None);
        has_all(&err, needles);
        let lf = format!("{head}{bad}").replace("\r\n", "\n");
        std::fs::write(dir.path().join("lf.csv"), lf).unwrap();
        let err = fail(dir.path(), "lf.csv", sites, &[], None);
        has_all(&err, needles);
    }
    // Skipped rows are named by their physical line too, and the good rows all count.
    std::fs::write(
        dir.path().join("crlf.csv"),
        format!("{head}d,bad,abc,30.3,5\r\ne,ok,104.4,30.4,7\r\n"),
    )
    .unwrap();
    let (report, _) = eval(dir.path(), "crlf.csv", sites, &["--skip-invalid"], None);
    assert_eq!(report["demand"]["points"], 4);
    assert_eq!(report["demand"]["total_weight"], 22.0);
    has_all(&notes(&report), &["crlf.csv:line 11"]);
}

#[test]
fn decimal_commas_with_thousands_and_ambiguous_values() {
    let dir = tempfile::tempdir().unwrap();
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();

    write(
        "eu.csv",
        "id;lon;lat;sales\na;104,1;30,2;1.234,5\nb;104,2;30,3;2.000,25\nc;-0,5;51,5;7\n",
    );
    for extra in [&[][..], &["--decimal-comma"][..]] {
        let (report, _) = eval(dir.path(), "eu.csv", sites, extra, None);
        assert_eq!(report["demand"]["total_weight"], 1234.5 + 2000.25 + 7.0);
        assert_eq!(report["demand"]["points"], 3);
    }

    // Quoted decimal commas in a comma file need the flag; without it, a hint.
    write("q.csv", "id,lon,lat,sales\na,\"104,1\",\"30,2\",\"12,5\"\n");
    let (report, _) = eval(dir.path(), "q.csv", sites, &["--decimal-comma"], None);
    assert_eq!(report["demand"]["total_weight"], 12.5);
    let err = fail(dir.path(), "q.csv", sites, &[], None);
    has_all(&err, &["q.csv:line 2", "\"104,1\"", "--decimal-comma"]);

    // Once the file's commas make `,` the decimal mark, `.` can only group
    // thousands: `51.477` is 51477, detected or with --decimal-comma.
    write(
        "thousands.csv",
        "id;lon;lat;sales\na;104,1;30,2;51.477\nb;104,2;30,3;2.000,25\nc;104,3;30,4;9\n",
    );
    for extra in [&[][..], &["--decimal-comma"][..], &["--skip-invalid"][..]] {
        let (report, _) = eval(dir.path(), "thousands.csv", sites, extra, None);
        assert_eq!(report["demand"]["total_weight"], 51_477.0 + 2000.25 + 9.0);
        assert_eq!(report["demand"]["points"], 3);
    }
    // Degrees written with a `.` in a file whose numbers have decimal commas:
    // refused up front (reading them with commas would make them a thousand
    // times too large), even with --skip-invalid, naming both cells.
    write(
        "mixdeg.csv",
        "id;lon;lat;sales\na;104.06;30.67;12,5\nb;104.2;30.3;51.477\n",
    );
    for extra in [&[][..], &["--skip-invalid"][..]] {
        let err = fail(dir.path(), "mixdeg.csv", sites, extra, None);
        has_all(
            &err,
            &[
                "mixdeg.csv:line 2",
                "`lon`",
                "\"104.06\"",
                "degrees with a decimal point",
                "`sales` has \"12,5\"",
            ],
        );
    }
    // `0.500` is a decimal point, never 500: refused among decimal commas.
    write("zero.csv", "id;lon;lat;sales\na;104,1;30,2;0.500\n");
    let err = fail(dir.path(), "zero.csv", sites, &[], None);
    has_all(&err, &["zero.csv:line 2", "\"0.500\"", "decimal point"]);
    // Two dots cannot be one decimal point: `1.234.567` groups thousands.
    write(
        "grouped.csv",
        "id;lon;lat;sales\na;104,1;30,2;1.234.567\nb;104,2;30,3;2,5\n",
    );
    for extra in [&[][..], &["--decimal-comma"][..]] {
        let (report, _) = eval(dir.path(), "grouped.csv", sites, extra, None);
        assert_eq!(report["demand"]["total_weight"], 1_234_567.0 + 2.5);
    }

    // A decimal point in a file read with decimal commas is refused, not misread.
    write(
        "mixed.csv",
        "id;lon;lat;sales\na;104,1;30,2;5\nb;104.25;30,3;5\n",
    );
    let err = fail(dir.path(), "mixed.csv", sites, &[], None);
    has_all(
        &err,
        &["mixed.csv:line 3", "`lon`", "\"104.25\"", "decimal point"],
    );

    // `;` files with decimal points stay decimal points.
    write("pt.csv", "id;lon;lat;sales\na;104.1;30.2;1234.5\n");
    let (report, err) = eval(dir.path(), "pt.csv", sites, &[], None);
    assert_eq!(report["demand"]["total_weight"], 1234.5);
    assert!(!err.contains("--decimal-comma"), "{err}");
    // ... even with --decimal-comma, which the file contradicts: a warning
    // on stderr (the sites file, plain CSV, gets none).
    let (report, err) = eval(dir.path(), "pt.csv", sites, &["--decimal-comma"], None);
    assert_eq!(report["demand"]["total_weight"], 1234.5);
    has_all(&err, &["warning", "pt.csv", "--decimal-comma is not used"]);
    assert_eq!(
        err.matches("--decimal-comma is not used").count(),
        1,
        "{err}"
    );
    has_all(
        &notes(&report),
        &["delimiter ';' (sniffed), decimal points"],
    );

    // A quote the file never closes would swallow the rest of the file into
    // one field: refused at the line that opens it, even with --skip-invalid.
    write(
        "open_quote.csv",
        "id,lon,lat\na,104.1,30.2\nb,104.2,\"30.3\n",
    );
    for extra in [&[][..], &["--skip-invalid"][..]] {
        let err = fail(dir.path(), "open_quote.csv", sites, extra, None);
        has_all(&err, &["open_quote.csv:line 3", "never closed"]);
    }

    // A `;` file where no number settles the mark: `1.234` is refused, not
    // read as 1.234 (it may be 1234).
    write(
        "unsettled.csv",
        "id;lon;lat;sales\na;104;30;7\nb;105;31;1.234\n",
    );
    let err = fail(dir.path(), "unsettled.csv", sites, &[], None);
    has_all(
        &err,
        &[
            "unsettled.csv:line 3",
            "`sales`",
            "\"1.234\"",
            "ambiguous",
            "1.2340",
        ],
    );
    // One unmistakable decimal point settles it for the whole file ...
    write(
        "settled.csv",
        "id;lon;lat;sales\na;104;30;2.5\nb;105;31;1.234\n",
    );
    let (report, _) = eval(dir.path(), "settled.csv", sites, &[], None);
    assert_eq!(report["demand"]["total_weight"], 2.5 + 1.234);
    // ... and so do coordinates in degrees, which cannot group thousands
    // (three decimals each: 104.125 cannot be 104125 degrees).
    write(
        "degrees.csv",
        "id;lon;lat;sales\na;104.125;30.250;1.234\nb;105.500;31.125;7\n",
    );
    let (report, _) = eval(dir.path(), "degrees.csv", sites, &[], None);
    assert_eq!(report["demand"]["total_weight"], 1.234 + 7.0);
}

fn feature_collection(rows: &[Row]) -> String {
    let features: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"id":"{}","population":{},"province":"{}"}}}}"#,
                r.lon, r.lat, r.id, r.weight, r.group
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",\n")
    )
}

#[test]
fn input_format_applies_per_file_and_stdin_geojson_is_sniffed() {
    let dir = tempfile::tempdir().unwrap();
    let rows = cities(30);
    let reference = plain_report(dir.path(), &rows);
    let gj = feature_collection(&rows);
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();
    // The flag applies to stdin; the .csv sites keep their own format.
    let (a, _) = eval(
        dir.path(),
        "-",
        sites,
        &["--input-format", "geojson"],
        Some(gj.as_bytes()),
    );
    assert_eq!(figures(&a), figures(&reference));
    // Without the flag, GeoJSON on stdin is recognised by its first byte (after a BOM).
    let (b, _) = eval(
        dir.path(),
        "-",
        sites,
        &[],
        Some(format!("\u{feff}\n  {gj}").as_bytes()),
    );
    assert_eq!(figures(&b), figures(&reference));
    has_all(&notes(&b), &["(GeoJSON)", "weight=population"]);
    // A .csv demand file stays CSV under --input-format geojson.
    let (c, _) = eval(
        dir.path(),
        "plain.csv",
        sites,
        &["--input-format", "geojson"],
        None,
    );
    assert_eq!(figures(&c), figures(&reference));
    // Unknown extensions follow the flag, else the content.
    std::fs::write(dir.path().join("d.data"), &gj).unwrap();
    let (d, _) = eval(dir.path(), "d.data", sites, &[], None);
    assert_eq!(figures(&d), figures(&reference));
}

#[test]
fn an_error_never_quotes_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let rows = cities(400);
    let gj = feature_collection(&rows).replace('\n', "");
    assert!(gj.len() > 50_000);
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();
    let err = fail(
        dir.path(),
        "-",
        sites,
        &["--input-format", "csv"],
        Some(gj.as_bytes()),
    );
    assert!(err.len() < 3000, "{} bytes: {err}", err.len());
    has_all(&err, &["looks like JSON", "--input-format geojson", "…"]);
    // A huge value is cut too.
    let huge = "9".repeat(100_000);
    std::fs::write(
        dir.path().join("h.csv"),
        format!("id,lon,lat\na,x{huge},30\n"),
    )
    .unwrap();
    let err = fail(dir.path(), "h.csv", sites, &[], None);
    assert!(err.len() < 1000, "{} bytes", err.len());
    has_all(&err, &["h.csv:line 2", "`lon`", "…"]);
}

#[test]
fn a_weight_like_column_that_was_not_used_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();
    let rows = cities(12);
    let mut text = String::from("id,lon,lat,Order Status,Sales (EUR)\n");
    for r in &rows {
        text.push_str(&format!(
            "{},{},{},shipped,{}\n",
            r.id, r.lon, r.lat, r.weight
        ));
    }
    std::fs::write(dir.path().join("d.csv"), &text).unwrap();
    let (report, stderr) = eval(dir.path(), "d.csv", sites, &[], None);
    assert_eq!(report["demand"]["total_weight"], rows.len() as f64);
    has_all(
        &stderr,
        &[
            "outpost: warning:",
            "d.csv",
            "`Sales (EUR)`",
            "--weight-col \"Sales (EUR)\"",
        ],
    );
    assert!(!stderr.contains("Order Status"), "{stderr}");
    has_all(&notes(&report), &["weight=none (every place weighs 1)"]);
    let (report, stderr) = eval(
        dir.path(),
        "d.csv",
        sites,
        &["--weight-col", "Sales (EUR)"],
        None,
    );
    assert!(rel_close(
        report["demand"]["total_weight"].as_f64().unwrap(),
        total(&rows),
        1e-12
    ));
    assert!(!stderr.contains("warning"), "{stderr}");
    has_all(&notes(&report), &["weight=Sales (EUR)"]);

    // Uniform weights by design: no weight-like column, no warning, every place 1.
    let mut text = String::from("id,name,lon,lat,country\n");
    for r in &rows {
        text.push_str(&format!("{},n{},{},{},CN\n", r.id, r.id, r.lon, r.lat));
    }
    std::fs::write(dir.path().join("u.csv"), &text).unwrap();
    let (report, stderr) = eval(dir.path(), "u.csv", sites, &[], None);
    assert_eq!(report["demand"]["total_weight"], rows.len() as f64);
    assert!(!stderr.contains("warning"), "{stderr}");

    // GeoJSON properties too.
    let gj = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[104,30]},"properties":{"TotalRevenue":120}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[105,31]},"properties":{"TotalRevenue":80}}]}"#;
    std::fs::write(dir.path().join("d.geojson"), gj).unwrap();
    let (report, stderr) = eval(dir.path(), "d.geojson", sites, &[], None);
    assert_eq!(report["demand"]["total_weight"], 2.0);
    has_all(
        &stderr,
        &["outpost: warning:", "`TotalRevenue`", "--weight-col"],
    );
    let (report, _) = eval(
        dir.path(),
        "d.geojson",
        sites,
        &["--weight-col", "totalrevenue"],
        None,
    );
    assert_eq!(report["demand"]["total_weight"], 200.0);
}

#[test]
fn one_column_for_two_fields_and_duplicate_headers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();
    let err = fail(
        dir.path(),
        data("china_cities.csv").to_str().unwrap(),
        sites,
        &["--lon-col", "lat", "--lat-col", "lat"],
        None,
    );
    has_all(
        &err,
        &[
            "china_cities.csv",
            "column `lat`",
            "longitude",
            "latitude",
            "--lon-col",
        ],
    );
    let err = fail(
        dir.path(),
        data("china_cities.csv").to_str().unwrap(),
        sites,
        &["--weight-col", "LON"],
        None,
    );
    has_all(&err, &["column `lon`", "longitude", "weight"]);

    std::fs::write(
        dir.path().join("dup.csv"),
        "\u{feff}id,lon,lat,Lat\r\na,104,30,31\r\n",
    )
    .unwrap();
    let err = fail(dir.path(), "dup.csv", sites, &[], None);
    has_all(
        &err,
        &[
            "dup.csv:line 1",
            "two columns named `lat`",
            "columns 3 and 4",
        ],
    );
    // A repeated column nobody reads is fine.
    std::fs::write(
        dir.path().join("ok.csv"),
        "id,lon,lat,note,note\na,104,30,x,y\n",
    )
    .unwrap();
    eval(dir.path(), "ok.csv", sites, &[], None);
}

#[test]
fn geojson_nulls_bom_and_empty_multipoints_are_empty_cells() {
    let dir = tempfile::tempdir().unwrap();
    let sites = data("china_outlets.csv");
    let sites = sites.to_str().unwrap();
    let f = |geom: &str, props: &str| {
        format!(r#"{{"type":"Feature","geometry":{geom},"properties":{props}}}"#)
    };
    let point = r#"{"type":"Point","coordinates":[104,30]}"#;
    let good = f(point, r#"{"weight":3}"#);
    let multi = f(
        r#"{"type":"MultiPoint","coordinates":[[104.5,30.5],[105,31]]}"#,
        r#"{"weight":4}"#,
    );
    let cases = [
        (
            f(point, r#"{"weight":null}"#),
            &["feature 2", "`weight`", "fill in"][..],
        ),
        (f(point, "null"), &["feature 2", "`weight`"][..]),
        (f(point, "{}"), &["feature 2", "`weight`"][..]),
        (
            f(
                r#"{"type":"MultiPoint","coordinates":[]}"#,
                r#"{"weight":9}"#,
            ),
            &["feature 2", "empty MultiPoint"][..],
        ),
    ];
    for (bad, needles) in &cases {
        let fc = format!(
            "\u{feff}{{\"type\":\"FeatureCollection\",\"features\":[{good},{bad},{multi}]}}"
        );
        std::fs::write(dir.path().join("d.geojson"), &fc).unwrap();
        let err = fail(dir.path(), "d.geojson", sites, &[], None);
        has_all(&err, needles);
        has_all(&err, &["d.geojson"]);
        let (report, _) = eval(dir.path(), "d.geojson", sites, &["--skip-invalid"], None);
        assert_eq!(report["demand"]["points"], 3, "{bad}");
        assert_eq!(report["demand"]["total_weight"], 7.0, "{bad}");
        assert_eq!(report["demand"]["skipped"], 1, "{bad}");
    }
    // A collection without any weight weighs every point 1, BOM and all.
    let fc = format!(
        "\u{feff}{{\"type\":\"FeatureCollection\",\"features\":[{},{}]}}",
        f(point, "null"),
        f(point, r#"{"name":"x"}"#)
    );
    std::fs::write(dir.path().join("w.geojson"), &fc).unwrap();
    let (report, _) = eval(dir.path(), "w.geojson", sites, &[], None);
    assert_eq!(report["demand"]["total_weight"], 2.0);
    // One property for two fields is refused, as for CSV.
    let err = fail(
        dir.path(),
        "d.geojson",
        sites,
        &["--id-col", "weight", "--skip-invalid"],
        None,
    );
    has_all(&err, &["d.geojson", "`weight`", "weight", "id"]);
    // --weight-col naming no property is an error, as for CSV.
    let err = fail(
        dir.path(),
        "w.geojson",
        sites,
        &["--weight-col", "sales"],
        None,
    );
    has_all(
        &err,
        &["w.geojson", "--weight-col \"sales\" names no column"],
    );
}

#[test]
fn a_site_file_with_only_a_header_means_no_outlets_yet() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("none.csv"), "\u{feff}id,lon,lat\r\n").unwrap();
    let demand = data("china_cities.csv");
    let demand = demand.to_str().unwrap();
    let (report, _) = eval(dir.path(), demand, "none.csv", &[], None);
    assert_eq!(report["coverage"]["covered_weight"], 0.0);
    assert_eq!(report["sites"].as_array().map(Vec::len), Some(0));
    has_all(&notes(&report), &["none.csv has no rows: no outlets yet"]);
    let out = run(
        dir.path(),
        &[
            "plan",
            "--radius",
            "100km",
            "--add",
            "3",
            "--format",
            "json",
            "--demand",
            demand,
            "--existing",
            "none.csv",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        json_of(&out.stdout)["sites"].as_array().map(Vec::len),
        Some(3)
    );
    // Demand with no rows stays an error.
    let err = fail(dir.path(), "none.csv", "none.csv", &[], None);
    has_all(&err, &["none.csv", "no demand places"]);
}

#[test]
fn swapped_longitude_and_latitude_are_warned_about_without_false_alarms() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = csv::Reader::from_path(data("world_cities.csv")).unwrap();
    let mut gb = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[2] == "GB" {
            gb.push((
                rec[0].to_string(),
                rec[4].to_string(),
                rec[5].to_string(),
                rec[6].to_string(),
            ));
        }
    }
    assert!(gb.len() >= 10);
    let write = |name: &str, swap: bool| {
        let mut f = std::fs::File::create(dir.path().join(name)).unwrap();
        writeln!(f, "id,lon,lat,population").unwrap();
        for (id, lon, lat, pop) in &gb {
            let (x, y) = if swap { (lat, lon) } else { (lon, lat) };
            writeln!(f, "{id},{x},{y},{pop}").unwrap();
        }
    };
    write("right.csv", false);
    write("swapped.csv", true);
    let (_, stderr) = eval(dir.path(), "swapped.csv", "swapped.csv", &[], None);
    has_all(
        &stderr,
        &[
            "outpost: warning: demand file swapped.csv",
            "look swapped",
            "--lon-col/--lat-col",
            "site file swapped.csv",
        ],
    );
    let (_, stderr) = eval(dir.path(), "right.csv", "right.csv", &[], None);
    assert!(!stderr.contains("warning"), "{stderr}");
    // One row typed the wrong way round among right ones is named.
    {
        let mut f = std::fs::File::create(dir.path().join("one.csv")).unwrap();
        writeln!(f, "id,lon,lat,population").unwrap();
        for (i, (id, lon, lat, pop)) in gb.iter().enumerate() {
            let (x, y) = if i == 3 { (lat, lon) } else { (lon, lat) };
            writeln!(f, "{id},{x},{y},{pop}").unwrap();
        }
    }
    let (_, stderr) = eval(dir.path(), "one.csv", "right.csv", &[], None);
    has_all(
        &stderr,
        &[
            "outpost: warning: demand file one.csv: 1 place(s)",
            &gb[3].0,
            "are swapped",
        ],
    );
    let cities = data("world_cities.csv");
    let (_, stderr) = eval(dir.path(), cities.to_str().unwrap(), "right.csv", &[], None);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn weights_that_add_up_to_infinity_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("big.csv"),
        "id,lon,lat,sales\na,104,30,1e308\nb,104.1,30.1,1e308\n",
    )
    .unwrap();
    let sites = data("china_outlets.csv");
    let err = fail(dir.path(), "big.csv", sites.to_str().unwrap(), &[], None);
    has_all(
        &err,
        &["big.csv", "column `sales`", "too large to compute with"],
    );
}

mod variants {
    use outpost::input::{InputError, LoadOptions, Location, Role, load_bytes};
    use proptest::prelude::*;
    use std::path::Path;

    /// Writes rows in one of the shapes planners' files come in, and returns the text
    /// and the physical line of each row.
    fn write(
        rows: &[(f64, f64, f64)],
        delim: char,
        crlf: bool,
        bom: bool,
        blanks: &[bool],
        quoted_newline: bool,
    ) -> (String, Vec<u64>) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let comma = delim == ';';
        let num = |x: f64| {
            let s = x.to_string();
            if comma { s.replace('.', ",") } else { s }
        };
        let d = delim.to_string();
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        text.push_str(&["id", "note", "lon", "lat", "weight"].join(&d));
        text.push_str(nl);
        let mut line = 2;
        let mut lines = Vec::new();
        for (i, &(lon, lat, w)) in rows.iter().enumerate() {
            if blanks.get(i).copied().unwrap_or(false) {
                text.push_str(nl);
                line += 1;
            }
            let note = if quoted_newline && i % 2 == 0 {
                format!("\"a{nl}b\"")
            } else {
                "n".to_string()
            };
            lines.push(line);
            line += if quoted_newline && i % 2 == 0 { 2 } else { 1 };
            text.push_str(&[format!("r{i}"), note, num(lon), num(lat), num(w)].join(&d));
            text.push_str(nl);
        }
        (text, lines)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn every_shape_loads_the_same_places_and_names_the_physical_line(
            rows in proptest::collection::vec((-179.0f64..179.0, -89.0f64..89.0, 0.0f64..1e6), 1..20),
            delim in prop_oneof![Just(','), Just(';'), Just('\t')],
            crlf in any::<bool>(),
            bom in any::<bool>(),
            blanks in proptest::collection::vec(any::<bool>(), 0..20),
            quoted_newline in any::<bool>(),
            bad in any::<prop::sample::Index>(),
        ) {
            let (text, lines) = write(&rows, delim, crlf, bom, &blanks, quoted_newline);
            let set = load_bytes(Path::new("x.csv"), text.as_bytes(), Role::Demand, &LoadOptions::default())
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(set.len(), rows.len());
            for (p, &(lon, lat, w)) in set.iter().zip(&rows) {
                prop_assert_eq!((p.lon, p.lat, p.weight), (lon, lat, w));
            }
            // Spoil one row's latitude: the error names its physical line.
            let k = bad.index(rows.len());
            let mut spoiled = rows.clone();
            spoiled[k].1 = 91.5;
            let (text, _) = write(&spoiled, delim, crlf, bom, &blanks, quoted_newline);
            let err = load_bytes(Path::new("x.csv"), text.as_bytes(), Role::Demand, &LoadOptions::default())
                .expect_err("latitude 91.5");
            match err {
                InputError::BadValue { location, .. } => prop_assert_eq!(location, Location::Line(lines[k])),
                other => prop_assert!(false, "unexpected error {other}"),
            }
        }
    }
}

#[test]
fn demand_whose_weights_are_all_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("zero.csv");
    std::fs::write(&f, "id,lon,lat,sales\na,104.1,30.2,0\nb,104.2,30.3,0\n").unwrap();
    let out = outpost()
        .args(["evaluate", "--demand"])
        .arg(&f)
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .args(["--radius", "50km"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("zero.csv: every weight in column `sales` is 0 (2 points)")
            && err.contains("--weight-col"),
        "{err}"
    );
}
