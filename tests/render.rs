//! Maps and charts: every SVG parses and renders at its size, PNGs are real,
//! the sweep is monotone and agrees with `plan`, and large maps stay light.

mod common;
use common::*;

fn parse_svg(text: &str) -> resvg::usvg::Tree {
    let opt = resvg::usvg::Options::default();
    resvg::usvg::Tree::from_str(text, &opt).expect("the SVG parses")
}

fn render_size(tree: &resvg::usvg::Tree) -> (u32, u32) {
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("pixmap");
    resvg::render(
        tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    // Something was drawn: not every pixel is transparent.
    assert!(pixmap.pixels().iter().any(|p| p.alpha() > 0));
    (pixmap.width(), pixmap.height())
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn quick_start_map_as_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["svg", "png"] {
        let path = dir.path().join(format!("map.{ext}"));
        outpost()
            .args(["plan", "--radius", "150km,300km", "--add", "10", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--existing")
            .arg(data("china_outlets.csv"))
            .arg("--map")
            .arg(&path)
            .args(["--credit", "demand: GeoNames (CC BY 4.0)"])
            .assert()
            .success();
        let bytes = std::fs::read(&path).unwrap();
        if ext == "svg" {
            let text = String::from_utf8(bytes).unwrap();
            for needle in [
                "Chengdu",
                "#1 ",
                "service area 150 km",
                "service area 300 km",
                "GeoNames",
                "Natural Earth",
                "1000 km",
            ] {
                assert!(text.contains(needle), "map lacks {needle:?}");
            }
            let tree = parse_svg(&text);
            assert_eq!(render_size(&tree), (1600, tree.size().height() as u32));
        } else {
            let (w, h) = png_size(&bytes);
            assert_eq!(w, 1600);
            assert!((700..=1100).contains(&h));
        }
    }
}

#[test]
fn map_with_custom_basemap_and_without() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.geojson");
    std::fs::write(&base, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[100,20],[120,20],[120,40],[100,40],[100,20]]]}}]}"#).unwrap();
    for extra in [
        vec!["--basemap", base.to_str().unwrap()],
        vec!["--no-basemap"],
    ] {
        let path = dir.path().join("m.svg");
        outpost()
            .args(["evaluate", "--radius", "200km", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--sites")
            .arg(data("china_outlets.csv"))
            .arg("--map")
            .arg(&path)
            .args(&extra)
            .assert()
            .success();
        render_size(&parse_svg(&std::fs::read_to_string(&path).unwrap()));
    }
    // A basemap that is not GeoJSON is an input error, and no map is left behind.
    std::fs::write(&base, "not json").unwrap();
    let path = dir.path().join("bad.svg");
    outpost()
        .args(["evaluate", "--radius", "200km", "--demand"])
        .arg(data("china_cities.csv"))
        .arg("--sites")
        .arg(data("china_outlets.csv"))
        .arg("--map")
        .arg(&path)
        .arg("--basemap")
        .arg(&base)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--basemap"));
    assert!(!path.exists());
}

#[test]
fn a_million_point_map_stays_light() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d.csv");
    let mut g = Lcg(7);
    let mut text = String::with_capacity(30_000_000);
    text.push_str("lon,lat\n");
    // Clustered like real demand: around 300 centres across Europe and Asia.
    let centres: Vec<(f64, f64)> = (0..300)
        .map(|_| (g.range(-10.0, 140.0), g.range(5.0, 60.0)))
        .collect();
    for _ in 0..1_000_000 {
        let c = centres[(g.next() * 300.0) as usize];
        text.push_str(&format!(
            "{:.4},{:.4}\n",
            c.0 + g.range(-1.5, 1.5),
            c.1 + g.range(-1.0, 1.0)
        ));
    }
    std::fs::write(&d, text).unwrap();
    let s = dir.path().join("s.csv");
    let mut sites = String::from("id,lon,lat\n");
    for (k, c) in centres.iter().step_by(3).enumerate() {
        sites.push_str(&format!("S{k},{},{}\n", c.0, c.1));
    }
    std::fs::write(&s, sites).unwrap();
    let map = dir.path().join("m.svg");
    outpost()
        .args(["evaluate", "--radius", "100km", "--quiet", "--demand"])
        .arg(&d)
        .arg("--sites")
        .arg(&s)
        .arg("--map")
        .arg(&map)
        .assert()
        .success();
    let size = std::fs::metadata(&map).unwrap().len();
    assert!(size < 5_000_000, "map is {size} bytes");
    let text = std::fs::read_to_string(&map).unwrap();
    assert!(text.contains("summed on a"));
    render_size(&parse_svg(&text));
    // Issue 9: every service area a round shape (no band), and cells coloured by their
    // covered share, so partly covered places show between blue and vermillion.
    let bboxes: Vec<(f64, f64)> = text
        .split("<polygon ")
        .skip(1)
        .filter(|t| t.starts_with("opacity") && t[..t.find('>').unwrap()].contains("#56B4E9"))
        .map(|t| {
            let pts = t.split("points=\"").nth(1).unwrap();
            let pts = &pts[..pts.find('"').unwrap()];
            let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
            for p in pts.split_whitespace() {
                let (x, y) = p.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
            }
            (x1 - x0, y1 - y0)
        })
        .collect();
    assert!(bboxes.len() >= 90, "{} service areas", bboxes.len());
    let tallest = bboxes.iter().map(|b| b.1).fold(0.0, f64::max);
    assert!(bboxes.iter().all(|b| b.0 <= 1.6 * tallest));
    let mixed = text
        .split("<circle ")
        .skip(1)
        .filter(|t| {
            let tag = &t[..t.find('>').unwrap()];
            tag.contains("opacity=\"0.8\"") && !tag.contains("#0072B2") && !tag.contains("#D55E00")
        })
        .count();
    assert!(mixed > 0, "no partly covered cells");
}

#[test]
fn sweep_is_monotone_agrees_with_plan_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("curve.svg");
    let out = outpost()
        .args([
            "sweep",
            "--radius",
            "100km,150km",
            "--add",
            "1..8",
            "--format",
            "json",
            "--demand",
        ])
        .arg(data("china_cities.csv"))
        .arg("--existing")
        .arg(data("china_outlets.csv"))
        .arg("--chart")
        .arg(&chart)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    let pts = j["points"].as_array().unwrap();
    assert_eq!(pts.len(), 16);
    for r in [100.0, 150.0] {
        let curve: Vec<&serde_json::Value> = pts.iter().filter(|p| p["radius_km"] == r).collect();
        let vals: Vec<f64> = curve
            .iter()
            .map(|p| p["covered_weight"].as_f64().unwrap())
            .collect();
        assert!(
            vals.windows(2).all(|w| w[1] >= w[0]),
            "not monotone at {r}: {vals:?}"
        );
        for p in &curve {
            assert!(p["bound"].as_f64().unwrap() >= p["covered_weight"].as_f64().unwrap());
        }
        // The same N with plan gives the same coverage.
        for n in [3usize, 8] {
            let plan = outpost()
                .args([
                    "plan",
                    "--format",
                    "json",
                    "--radius",
                    &format!("{r}km"),
                    "--add",
                    &n.to_string(),
                    "--demand",
                ])
                .arg(data("china_cities.csv"))
                .arg("--existing")
                .arg(data("china_outlets.csv"))
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            let plan = json_of(&plan);
            assert_eq!(
                plan["coverage"]["covered_weight"],
                curve[n - 1]["covered_weight"],
                "radius {r}, N = {n}"
            );
        }
    }
    let tree = parse_svg(&std::fs::read_to_string(&chart).unwrap());
    assert_eq!(render_size(&tree), (1200, 860));
    // PNG too.
    let png = dir.path().join("curve.png");
    outpost()
        .args([
            "sweep",
            "--radius",
            "100km",
            "--add",
            "3",
            "--no-bound",
            "--quiet",
            "--demand",
        ])
        .arg(data("china_cities.csv"))
        .arg("--chart")
        .arg(&png)
        .assert()
        .success();
    assert_eq!(png_size(&std::fs::read(&png).unwrap()), (1200, 860));
}

#[test]
fn sweep_radius_ranges_and_bad_ranges() {
    let out = outpost()
        .args([
            "sweep",
            "--radius",
            "100km..300km:100km",
            "--add",
            "2",
            "--no-bound",
            "--format",
            "csv",
            "--demand",
        ])
        .arg(data("china_cities.csv"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1 + 3 * 2);
    for (args, needle) in [
        (
            vec!["--radius", "100km..300km", "--add", "2"],
            "needs a step",
        ),
        (vec!["--radius", "100km", "--add", "5..2"], "--add"),
        (vec!["--radius", "100km", "--add", "x"], "--add"),
    ] {
        outpost()
            .arg("sweep")
            .args(&args)
            .arg("--demand")
            .arg(data("china_cities.csv"))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(needle));
    }
}
