//! Issue 9: maps never draw something untrue. The SVG of edge cases is parsed
//! and its geometry checked: service areas that cross a frame edge or the
//! antimeridian are cut, never wrapped into a band; land keeps its fill when
//! the map is zoomed inside a country; uniform weights draw small dots;
//! labels and points left off the map are counted; `--extent`, `--size` and
//! `--areas-out` behave, and bad values are refused.

mod common;
use common::*;
use std::path::Path;

const TIER_FILL: &str = "fill=\"#56B4E9\"";
const TIER_STROKE: &str = "stroke=\"#56B4E9\"";

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(&tag[start..end])
}

fn tags<'a>(svg: &'a str, element: &str) -> Vec<&'a str> {
    let open = format!("<{element} ");
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find(&open) {
        let tail = &rest[i..];
        let end = tail.find('>').expect("tag ends");
        out.push(&tail[..=end]);
        rest = &tail[end..];
    }
    out
}

fn points(tag: &str) -> Vec<(f64, f64)> {
    attr(tag, "points")
        .expect("points")
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

/// (min x, min y, max x, max y).
fn bbox(pts: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    pts.iter().fold(
        (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
        |(a, b, c, d), p| (a.min(p.0), b.min(p.1), c.max(p.0), d.max(p.1)),
    )
}

fn shoelace(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len();
    (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum::<f64>()
        .abs()
        / 2.0
}

/// The map frame: the sea-coloured rectangle.
fn frame(svg: &str) -> (f64, f64, f64, f64) {
    let r = tags(svg, "rect")
        .into_iter()
        .find(|t| t.contains("fill=\"#FAFCFF\""))
        .expect("the map frame");
    let n = |k| {
        attr(r, k)
            .expect("rect attr")
            .parse::<f64>()
            .expect("number")
    };
    (n("x"), n("y"), n("x") + n("width"), n("y") + n("height"))
}

/// Service-area fills and outlines, checked: every fill is a closed shape with area,
/// inside the frame, and no fill or outline is wider than 1.6 times the tallest circle
/// (a band across the map would be). Returns the fills' bounding boxes.
fn check_service_areas(svg: &str) -> Vec<(f64, f64, f64, f64)> {
    let f = frame(svg);
    let fills: Vec<Vec<(f64, f64)>> = tags(svg, "polygon")
        .into_iter()
        .filter(|t| t.contains(TIER_FILL))
        .map(points)
        .collect();
    let lines: Vec<Vec<(f64, f64)>> = tags(svg, "polyline")
        .into_iter()
        .filter(|t| t.contains(TIER_STROKE))
        .map(points)
        .collect();
    assert!(!fills.is_empty(), "no service areas drawn");
    let tallest = fills
        .iter()
        .map(|p| {
            let b = bbox(p);
            b.3 - b.1
        })
        .fold(0.0, f64::max);
    for p in &fills {
        assert!(p.len() >= 3, "a service area with {} points", p.len());
        assert!(shoelace(p) > 0.0, "a service area without area");
        let b = bbox(p);
        assert!(
            b.2 - b.0 <= 1.6 * tallest,
            "a service area {:.0} px wide, the tallest circle is {tallest:.0} px: a band",
            b.2 - b.0
        );
        assert!(
            b.0 >= f.0 - 1.0 && b.1 >= f.1 - 1.0 && b.2 <= f.2 + 1.0 && b.3 <= f.3 + 1.0,
            "a service area outside the frame: {b:?} vs {f:?}"
        );
    }
    for l in &lines {
        let b = bbox(l);
        assert!(
            b.2 - b.0 <= 1.6 * tallest,
            "an outline {:.0} px wide",
            b.2 - b.0
        );
        assert!(b.0 >= f.0 - 1.0 && b.2 <= f.2 + 1.0 && b.1 >= f.1 - 1.0 && b.3 <= f.3 + 1.0);
    }
    fills.iter().map(|p| bbox(p)).collect()
}

fn map_svg(dir: &Path, args: &[&str]) -> String {
    let path = dir.join("map.svg");
    outpost()
        .args(args)
        .arg("--map")
        .arg(&path)
        .arg("--quiet")
        .assert()
        .success();
    std::fs::read_to_string(&path).expect("the map")
}

fn filter_csv(src: &Path, dst: &Path, column: usize, keep: &[&str]) {
    let text = std::fs::read_to_string(src).expect("data");
    let mut lines = text.lines();
    let mut out = String::from(lines.next().expect("header"));
    out.push('\n');
    for l in lines {
        if keep.contains(&l.split(',').nth(column).unwrap_or("")) {
            out.push_str(l);
            out.push('\n');
        }
    }
    std::fs::write(dst, out).expect("write");
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn r9_circles_across_each_frame_edge_are_cut_not_banded() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.csv");
    std::fs::write(
        &sites,
        "id,name,lon,lat\nW,West,104.5,28\nE,East,120.4,30\nN,North,112,35.4\nS,South,112,21.6\nC,Centre,113,28\n",
    )
    .unwrap();
    let demand = data("china_cities.csv");
    let svg = map_svg(
        dir.path(),
        &[
            "evaluate",
            "--radius",
            "300km,150km",
            "--demand",
            s(&demand),
            "--sites",
            s(&sites),
            "--extent",
            "105,22,120,35",
        ],
    );
    let f = frame(&svg);
    let boxes = check_service_areas(&svg);
    // Some service area is cut at each of the four edges.
    let near = |a: f64, b: f64| (a - b).abs() <= 1.5;
    assert!(boxes.iter().any(|b| near(b.0, f.0)), "none cut at the left");
    assert!(
        boxes.iter().any(|b| near(b.2, f.2)),
        "none cut at the right"
    );
    assert!(boxes.iter().any(|b| near(b.1, f.1)), "none cut at the top");
    assert!(
        boxes.iter().any(|b| near(b.3, f.3)),
        "none cut at the bottom"
    );
    // The given box is shown as given: its aspect in Mercator, 15° wide, 22°N to 35°N.
    let aspect = (f.3 - f.1) / (f.2 - f.0);
    let merc = |lat: f64| (45.0 + lat / 2.0).to_radians().tan().ln().to_degrees();
    let expect = (merc(35.0) - merc(22.0)) / 15.0;
    assert!(
        (aspect / expect - 1.0).abs() < 0.03,
        "aspect {aspect} vs {expect}"
    );
    // The same inputs give the same bytes.
    assert_eq!(
        svg,
        map_svg(
            dir.path(),
            &[
                "evaluate",
                "--radius",
                "300km,150km",
                "--demand",
                s(&demand),
                "--sites",
                s(&sites),
                "--extent",
                "105,22,120,35",
            ],
        )
    );
}

fn pacific(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let demand = dir.join("pacific.csv");
    // world_cities.csv: id,name,country,admin1,lon,lat,population
    filter_csv(
        &data("world_cities.csv"),
        &demand,
        2,
        &["FJ", "NC", "VU", "TO", "WS", "NZ"],
    );
    let sites = dir.join("sites.csv");
    std::fs::write(
        &sites,
        "id,name,lon,lat\nsuva,Suva,178.42531,-18.13683\nnou,Noumea,166.44884,-22.27407\ntonga,Nukualofa,-175.20114,-21.13683\napia,Apia,-171.76666,-13.83333\n",
    )
    .unwrap();
    (demand, sites)
}

#[test]
fn r9_pacific_circles_across_the_antimeridian_stay_round() {
    let dir = tempfile::tempdir().unwrap();
    let (demand, sites) = pacific(dir.path());
    let base = [
        "evaluate",
        "--radius",
        "300km,600km",
        "--demand",
        s(&demand),
        "--sites",
        s(&sites),
    ];
    // The automatic extent spans the antimeridian: every circle whole and round.
    let svg = map_svg(dir.path(), &base);
    let boxes = check_service_areas(&svg);
    assert_eq!(boxes.len(), 8, "one piece per site and tier");
    // A frame that ends at the antimeridian cuts Suva's and Tonga's circles there.
    let mut args = base.to_vec();
    args.extend(["--extent", "160,-30,180,-8"]);
    let svg = map_svg(dir.path(), &args);
    check_service_areas(&svg);
    // And one across it, written with lon_max above 180.
    let mut args = base.to_vec();
    args.extend(["--extent", "170,-25,190,-10"]);
    let svg = map_svg(dir.path(), &args);
    check_service_areas(&svg);
    assert!(svg.contains("Suva") && svg.contains("Nukualofa"));
}

/// Share of pixels that differ between two renderings of the same size.
fn changed_share(a: &str, b: &str) -> f64 {
    let render = |svg: &str| {
        let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).unwrap();
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::default(),
            &mut pixmap.as_mut(),
        );
        pixmap
    };
    let (pa, pb) = (render(a), render(b));
    assert_eq!(pa.width(), pb.width());
    assert_eq!(pa.height(), pb.height());
    let diff = pa
        .pixels()
        .iter()
        .zip(pb.pixels())
        .filter(|(x, y)| x != y)
        .count();
    diff as f64 / pa.pixels().len() as f64
}

#[test]
fn r9_a_map_inside_one_province_has_land() {
    let dir = tempfile::tempdir().unwrap();
    for province in ["Sichuan", "Guangdong"] {
        let demand = dir.path().join(format!("{province}.csv"));
        // china_cities.csv: id,name,province,lon,lat,population
        filter_csv(&data("china_cities.csv"), &demand, 2, &[province]);
        // The quick-start outlets (Chengdu in Sichuan; the others outside both provinces, some
        // cut at the frame) and one in Guangzhou.
        let outlets = dir.path().join("outlets.csv");
        let mut text = std::fs::read_to_string(data("china_outlets.csv")).unwrap();
        text.push_str("Guangzhou,Guangzhou,regional station,113.25,23.11667\n");
        std::fs::write(&outlets, text).unwrap();
        let args = [
            "evaluate",
            "--radius",
            "150km,300km",
            "--demand",
            s(&demand),
            "--sites",
            s(&outlets),
        ];
        let with = map_svg(dir.path(), &args);
        check_service_areas(&with);
        let mut bare = args.to_vec();
        bare.push("--no-basemap");
        let without = map_svg(dir.path(), &bare);
        let share = changed_share(&with, &without);
        assert!(
            share >= 0.10,
            "{province}: the base map changes only {:.1}% of the picture",
            100.0 * share
        );
    }
}

#[test]
fn r9_uniform_weights_draw_small_dots_and_counts_what_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.csv");
    std::fs::write(
        &sites,
        "id,lon,lat\nNYC,-74.0,40.7\nPHL,-75.16,39.95\nBOS,-71.06,42.36\n",
    )
    .unwrap();
    let zips = data("us_zipcodes.csv");
    let svg = map_svg(
        dir.path(),
        &[
            "evaluate",
            "--radius",
            "50km",
            "--demand",
            s(&zips),
            "--sites",
            s(&sites),
            "--extent",
            "-80,38,-69,44",
        ],
    );
    let dots: Vec<&str> = tags(&svg, "circle")
        .into_iter()
        .filter(|t| t.contains("#D55E00") || t.contains("#0072B2"))
        .collect();
    assert!(dots.len() > 5000, "{} dots", dots.len());
    // Every point weighs 1: all dots small (the legend's key dots are 5 px).
    let big = dots
        .iter()
        .filter(|t| attr(t, "r").unwrap().parse::<f64>().unwrap() > 2.0)
        .count();
    assert!(big <= 2, "{big} large dots");
    // Points outside the box are counted on the map.
    assert!(svg.contains("demand points outside the map"));
    check_service_areas(&svg);
    // Uncovered dots first, covered on top, both under the service-area outlines.
    let pos = |needle: &str| -> Vec<usize> {
        svg.match_indices("<circle ")
            .filter(|(i, _)| {
                let tag = &svg[*i..*i + svg[*i..].find('>').unwrap()];
                tag.contains(needle) && tag.contains("r=\"2\"")
            })
            .map(|(i, _)| i)
            .collect()
    };
    let (uncovered, covered) = (pos("#D55E00"), pos("#0072B2"));
    assert!(!uncovered.is_empty() && !covered.is_empty());
    assert!(uncovered.iter().max() < covered.iter().min());
    let first_outline = svg.find(TIER_STROKE).unwrap();
    assert!(covered.iter().all(|&i| i < first_outline));
}

#[test]
fn r9_far_outliers_do_not_stretch_the_automatic_extent() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.csv");
    std::fs::write(&sites, "id,lon,lat\nKC,-94.6,39.1\n").unwrap();
    let zips = data("us_zipcodes.csv");
    let args = [
        "evaluate",
        "--radius",
        "300km",
        "--demand",
        s(&zips),
        "--sites",
        s(&sites),
        "--size",
        "1200x800",
    ];
    let svg = map_svg(dir.path(), &args);
    // Alaska, Hawaii, Guam and the like are left out and counted, not drawn over the Pacific.
    assert!(svg.contains("demand points outside the map"), "no note");
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).unwrap();
    assert_eq!(tree.size().to_int_size().width(), 1200);
    assert_eq!(tree.size().to_int_size().height(), 800);
    // `--extent data` shows them all, and has nothing outside.
    let mut all = args.to_vec();
    all.extend(["--extent", "data"]);
    let svg = map_svg(dir.path(), &all);
    assert!(!svg.contains("outside the map"));
    check_service_areas(&svg);
}

#[test]
fn r9_labels_that_find_no_room_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    // 60 outlets in the quick-start data: more labels than the map can hold.
    let sites = dir.path().join("sites.csv");
    let text = std::fs::read_to_string(data("china_cities.csv")).unwrap();
    let mut out = String::new();
    for (k, l) in text.lines().enumerate() {
        if k == 0 || k % 35 == 1 {
            out.push_str(l);
            out.push('\n');
        }
    }
    std::fs::write(&sites, out).unwrap();
    let demand = data("china_cities.csv");
    let svg = map_svg(
        dir.path(),
        &[
            "evaluate",
            "--radius",
            "100km",
            "--demand",
            s(&demand),
            "--sites",
            s(&sites),
        ],
    );
    assert!(
        svg.contains("labels left out"),
        "no note of labels left out"
    );
    check_service_areas(&svg);
}

#[test]
fn r9_long_titles_and_credits_fit_the_canvas() {
    let dir = tempfile::tempdir().unwrap();
    let title = "A very long title for a board meeting ".repeat(5);
    let credit = "demand: a long list of sources, each with a licence ".repeat(4);
    let demand = data("china_cities.csv");
    let outlets = data("china_outlets.csv");
    let svg = map_svg(
        dir.path(),
        &[
            "evaluate",
            "--radius",
            "150km",
            "--demand",
            s(&demand),
            "--sites",
            s(&outlets),
            "--size",
            "800x700",
            "--map-title",
            title.trim(),
            "--credit",
            credit.trim(),
        ],
    );
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).unwrap();
    assert_eq!(tree.size().to_int_size().width(), 800);
    // No text line runs past the right edge (DejaVu Sans: about 0.55 em a character).
    let mut lines = 0;
    for t in tags(&svg, "text") {
        let x: f64 = attr(t, "x").unwrap().parse().unwrap();
        let size: f64 = attr(t, "font-size").unwrap().parse().unwrap();
        let start = svg.find(t).unwrap() + t.len();
        let content = &svg[start..start + svg[start..].find('<').unwrap()];
        let w = 0.55 * size / 1.24 * content.chars().count() as f64;
        assert!(x + w <= 800.0, "{content:?} runs to {:.0} px", x + w);
        if content.contains("very long title") || content.contains("licence") {
            lines += 1;
        }
    }
    // Both wrapped onto several lines.
    assert!(lines >= 4, "{lines} lines of title and credit");
}

#[test]
fn r9_areas_out_writes_caps_split_at_the_antimeridian() {
    let dir = tempfile::tempdir().unwrap();
    let (demand, sites) = pacific(dir.path());
    let areas = dir.path().join("areas.geojson");
    outpost()
        .args(["evaluate", "--radius", "300km,600km", "--quiet", "--demand"])
        .arg(&demand)
        .arg("--sites")
        .arg(&sites)
        .arg("--areas-out")
        .arg(&areas)
        .assert()
        .success();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&areas).unwrap()).unwrap();
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), 8);
    let mut split = 0;
    for f in features {
        let p = &f["properties"];
        let km = p["radius_km"].as_f64().unwrap();
        assert_eq!(p["status"], "existing");
        let id = p["site_id"].as_str().unwrap();
        let site = match id {
            "suva" => (178.42531, -18.13683),
            "nou" => (166.44884, -22.27407),
            "tonga" => (-175.20114, -21.13683),
            "apia" => (-171.76666, -13.83333),
            other => panic!("unknown site {other}"),
        };
        let polys: Vec<Vec<Vec<(f64, f64)>>> = match f["geometry"]["type"].as_str().unwrap() {
            "Polygon" => vec![rings(&f["geometry"]["coordinates"])],
            "MultiPolygon" => f["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(rings)
                .collect(),
            other => panic!("{other}"),
        };
        if polys.len() > 1 {
            split += 1;
        }
        for p in &polys {
            for r in p {
                assert!(r.iter().all(|c| (-180.0..=180.0).contains(&c.0)));
                assert_eq!(r.first(), r.last(), "ring not closed");
            }
        }
        // The site is inside one of the pieces.
        assert!(
            polys.iter().any(|p| inside(&p[0], site)),
            "{id} is not inside its area"
        );
        // The area is the spherical cap's, within 1 %.
        let area: f64 = polys.iter().map(|p| ring_area_km2(&p[0])).sum();
        let r = 6371.0088f64;
        let cap = 2.0 * std::f64::consts::PI * r * r * (1.0 - (km / r).cos());
        assert!(
            (area / cap - 1.0).abs() < 0.01,
            "{id} at {km} km: {area:.0} km² vs cap {cap:.0} km²"
        );
    }
    // Suva's area crosses the antimeridian at both radii, Tonga's at 600 km.
    assert!(split >= 3, "{split} areas split at the antimeridian");
    // Another extension is refused before anything runs.
    outpost()
        .args(["evaluate", "--radius", "300km", "--demand"])
        .arg(&demand)
        .arg("--sites")
        .arg(&sites)
        .arg("--areas-out")
        .arg(dir.path().join("areas.shp"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--areas-out"));
}

fn rings(v: &serde_json::Value) -> Vec<Vec<(f64, f64)>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                .collect()
        })
        .collect()
}

fn polygon(rings: &[Vec<(f64, f64)>]) -> geo::Polygon<f64> {
    let ls = |r: &Vec<(f64, f64)>| geo::LineString::from(r.clone());
    geo::Polygon::new(ls(&rings[0]), rings[1..].iter().map(ls).collect())
}

/// Even-odd point in polygon, in lon/lat (geo's `Contains`).
fn inside(ring: &[(f64, f64)], p: (f64, f64)) -> bool {
    use geo::Contains;
    polygon(&[ring.to_vec()]).contains(&geo::Point::new(p.0, p.1))
}

/// Area of a lon/lat ring on the mean sphere, km²: geo's Chamberlain & Duquette area, which
/// uses the equatorial radius, rescaled to R = 6371.0088 km.
fn ring_area_km2(ring: &[(f64, f64)]) -> f64 {
    use geo::ChamberlainDuquetteArea;
    let k = 6371.0088 / 6378.137;
    polygon(&[ring.to_vec()]).chamberlain_duquette_unsigned_area() * 1e-6 * k * k
}

#[test]
fn r9_bad_extent_and_size_values_are_refused() {
    let demand = data("china_cities.csv");
    let outlets = data("china_outlets.csv");
    for (flag, value) in [
        ("--extent", "nan,0,10,10"),
        ("--extent", "0,0,inf,10"),
        ("--extent", "0,-91,10,10"),
        ("--extent", "0,0,10,95"),
        ("--extent", "10,0,10,20"),
        ("--extent", "20,0,10,20"),
        ("--extent", "0,20,10,10"),
        ("--extent", "1,2,3"),
        ("--extent", "everywhere"),
        ("--size", "0x0"),
        ("--size", "100000x100000"),
        ("--size", "1200"),
        ("--size", "-1x800"),
        ("--size", "12.5x800"),
    ] {
        outpost()
            .args(["evaluate", "--radius", "150km", "--demand"])
            .arg(&demand)
            .arg("--sites")
            .arg(&outlets)
            .args(["--map", "never.svg"])
            .arg(format!("{flag}={value}"))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(flag))
            .stderr(predicates::str::contains(value))
            .stderr(predicates::str::contains("panicked").not());
    }
    assert!(!Path::new("never.svg").exists());
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn r9_summary_and_legend_leave_the_dots_visible() {
    let dir = tempfile::tempdir().unwrap();
    let demand = dir.path().join("nz.csv");
    filter_csv(&data("world_cities.csv"), &demand, 2, &["NZ"]);
    let sites = dir.path().join("sites.csv");
    std::fs::write(
        &sites,
        "id,name,lon,lat\nakl,Auckland,174.76,-36.85\nwlg,Wellington,174.78,-41.29\nchc,Christchurch,172.63,-43.53\n",
    )
    .unwrap();
    let svg = map_svg(
        dir.path(),
        &[
            "evaluate",
            "--radius",
            "150km",
            "--demand",
            s(&demand),
            "--sites",
            s(&sites),
        ],
    );
    let boxes: Vec<(f64, f64, f64, f64)> = tags(&svg, "rect")
        .into_iter()
        .filter(|t| t.contains("opacity=\"0.92\""))
        .map(|t| {
            let n = |k| attr(t, k).unwrap().parse::<f64>().unwrap();
            (n("x"), n("y"), n("x") + n("width"), n("y") + n("height"))
        })
        .collect();
    assert_eq!(boxes.len(), 2, "legend and summary");
    let hidden = tags(&svg, "circle")
        .into_iter()
        .filter(|t| t.contains("#D55E00") || t.contains("#0072B2"))
        .filter(|t| {
            let (x, y): (f64, f64) = (
                attr(t, "cx").unwrap().parse().unwrap(),
                attr(t, "cy").unwrap().parse().unwrap(),
            );
            let r: f64 = attr(t, "r").unwrap().parse().unwrap();
            // The legend's own key dots (5 px) sit inside it.
            r != 5.0
                && boxes
                    .iter()
                    .any(|b| x >= b.0 && x <= b.2 && y >= b.1 && y <= b.3)
        })
        .count();
    assert_eq!(
        hidden, 0,
        "{hidden} demand dots under the legend or summary"
    );
    // Dunedin and Invercargill, the southernmost uncovered cities, are labelled.
    assert!(svg.contains("Dunedin") && svg.contains("Invercargill"));
}

#[test]
fn r9_sweep_chart_takes_a_size_and_starts_at_today() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("curve.svg");
    outpost()
        .args([
            "sweep", "--radius", "150km", "--add", "1..3", "--quiet", "--size", "1000x700",
            "--demand",
        ])
        .arg(data("china_cities.csv"))
        .arg("--existing")
        .arg(data("china_outlets.csv"))
        .arg("--chart")
        .arg(&chart)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&chart).unwrap();
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).unwrap();
    assert_eq!(tree.size().to_int_size().width(), 1000);
    assert_eq!(tree.size().to_int_size().height(), 700);
    // N = 0 (today's network) is on the axis and in the note.
    assert!(svg.contains("today's network") || svg.contains("today&apos;s network"));
    for bad in ["0x0", "100000x100000", "300x200"] {
        outpost()
            .args(["sweep", "--radius", "150km", "--add", "2", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--chart")
            .arg(&chart)
            .arg(format!("--size={bad}"))
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--size"));
    }
}
