//! The coverage map: base map, service areas as true great-circle circles,
//! demand dots sized by weight and coloured covered/uncovered (aggregated on a
//! grid when there are many), existing and new outlets with labels, the
//! largest uncovered places, title, legend, scale bar, summary and attribution.
//!
//! Every shape (service areas, land, borders) is clipped to the map frame with
//! a polygon clipper ([`super::clip`]), so a circle across the frame edge or the
//! antimeridian is cut, never wrapped round into a band, and a country partly
//! inside the frame keeps its fill. Points outside the frame are counted in a
//! note, as are labels that found no room.
//!
//! Colours are from the Okabe-Ito palette, readable by colour-blind readers and
//! in print; text uses the generic `sans-serif` family.

use super::basemap::{BaseMap, layers};
use super::clip::{LonLatBox, Unproject, clip, clip_lines, outline, plane_area, service_area};
use super::projection::{Extent, MapSize, Projection, data_box, data_box_with, mercator, pad_box};
use crate::report::{Report, fmt_pct, fmt_weight};
use crate::sphere::trim_float;
use anyhow::{Result, anyhow};
use geo::{BooleanOps, BoundingRect, Centroid, Coord, LineString, MultiLineString, MultiPolygon};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Above this many demand points, dots are aggregated on a pixel grid.
pub const AGGREGATE_ABOVE: usize = 50_000;
/// Above this many demand points on a map wider than a continent, dots are aggregated too:
/// at that scale single dots pile up and hide each other.
const AGGREGATE_WIDE_ABOVE: usize = 5_000;
/// Grid cell of the aggregation, pixels.
const CELL_PX: f64 = 5.0;

const WIDTH: u32 = 1600;
const MAX_HEIGHT: u32 = 1100;
const MIN_HEIGHT: u32 = 700;
const COVERED: RGBColor = RGBColor(0, 114, 178);
const UNCOVERED: RGBColor = RGBColor(213, 94, 0);
const NEW_SITE: RGBColor = RGBColor(0, 158, 115);
/// Closed outlets (`--relocate`): grey, so they read as gone.
const CLOSED_SITE: RGBColor = RGBColor(110, 110, 110);
const TIER: RGBColor = RGBColor(86, 180, 233);
const LAND: RGBColor = RGBColor(243, 241, 236);
const SEA: RGBColor = RGBColor(250, 252, 255);
const BORDER: RGBColor = RGBColor(170, 170, 170);
const INK: RGBColor = RGBColor(40, 40, 40);
/// Smallest and largest dot radius, pixels.
const DOT_PX: (f64, f64) = (1.5, 8.0);
/// Dot radius when every point weighs the same.
const UNIFORM_DOT_PX: f64 = 2.0;

/// The text for a service radius on the map (title, legend, summary, subtitle): the
/// radius as the user gave it (`100 mi`, `4 h at 60 km/h`), else in km. Every radius
/// shown on the map goes through here.
pub fn radius_text(label: &str, km: f64) -> String {
    if label.is_empty() {
        format!("{} km", trim_float(km))
    } else {
        label.to_string()
    }
}

/// The map's title when `--map-title` is not given: the command, objective, number of
/// outlets and the main service radius.
pub fn default_title(report: &Report) -> String {
    let n = report.open_sites().count();
    let outlets = format!("{n} outlet{}", if n == 1 { "" } else { "s" });
    match &report.objective {
        Some(o) => format!(
            "outpost plan ({o}): {outlets}, service radius {}",
            radius_text(&report.radius_label, report.radius_km)
        ),
        None => format!(
            "outpost evaluate: {outlets}, service radius {}",
            radius_text(&report.radius_label, report.radius_km)
        ),
    }
}

/// One demand point for the map.
#[derive(Debug, Clone, Copy)]
pub struct DemandDot {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Weight.
    pub weight: f64,
    /// Within the first radius of an open site.
    pub covered: bool,
}

/// What the map shows besides the report.
pub struct MapSpec<'a> {
    /// Title line.
    pub title: String,
    /// Demand points.
    pub demand: &'a [DemandDot],
    /// Base map choice.
    pub basemap: &'a BaseMap,
    /// Extra attribution for the demand data (e.g. "demand: GeoNames (CC BY 4.0)").
    pub data_credit: String,
    /// With a projected `--crs`: metres to longitude/latitude, so service areas are
    /// drawn as the circles the planar model measures (see [`super::clip::plane_area`]).
    pub unproject: Option<&'a Unproject<'a>>,
}

/// The view of a map: extent and canvas size (`--extent`, `--size`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MapOptions {
    /// Which part of the world to show.
    pub extent: Extent,
    /// Canvas size; default 1600 pixels wide, the height fitted to the extent.
    pub size: Option<MapSize>,
}

type Area<'b> = DrawingArea<SVGBackend<'b>, plotters::coord::Shift>;

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing the map: {e:?}")
}

fn px(p: (f64, f64)) -> (i32, i32) {
    (p.0.round() as i32, p.1.round() as i32)
}

/// Places labels greedily where they overlap neither earlier labels nor markers.
struct Labeler {
    boxes: Vec<(f64, f64, f64, f64)>,
    bounds: (f64, f64, f64, f64),
}

impl Labeler {
    fn free(&self, b: (f64, f64, f64, f64)) -> bool {
        b.0 >= self.bounds.0
            && b.1 >= self.bounds.1
            && b.2 <= self.bounds.2
            && b.3 <= self.bounds.3
            && self
                .boxes
                .iter()
                .all(|o| b.2 <= o.0 || b.0 >= o.2 || b.3 <= o.1 || b.1 >= o.3)
    }

    /// Finds a spot for `text` next to (x, y); returns the text's left-centre anchor.
    fn place(&mut self, x: f64, y: f64, text: &str, size: f64, gap: f64) -> Option<(f64, f64)> {
        let w = text_w(text, size);
        let h = size * 1.1;
        let spots = [
            (x + gap, y),
            (x - gap - w, y),
            (x - w / 2.0, y - gap - h / 2.0),
            (x - w / 2.0, y + gap + h / 2.0),
            (x + gap, y - h),
            (x + gap, y + h),
            (x - gap - w, y - h),
            (x - gap - w, y + h),
        ];
        for (lx, ly) in spots {
            let b = (lx - 1.0, ly - h / 2.0, lx + w + 1.0, ly + h / 2.0);
            if self.free(b) {
                self.boxes.push(b);
                return Some((lx, ly));
            }
        }
        None
    }
}

fn text<'b>(
    area: &Area<'b>,
    s: &str,
    at: (f64, f64),
    size: f64,
    color: &RGBColor,
    anchor: Pos,
) -> Result<()> {
    // plotters writes font sizes in points (size / 1.24 px); scale so `size` is the pixel height.
    // Rounded so the SVG says `13.02`, not `13.020000000000001`.
    let pt = (size * 1.24 * 100.0).round() / 100.0;
    let style = TextStyle::from(("sans-serif", pt).into_font())
        .color(color)
        .pos(anchor);
    // Ids and titles come from the user's data: control characters would make
    // the SVG ill-formed XML, so they are shown escaped.
    area.draw(&Text::new(
        crate::report::one_line(s).into_owned(),
        px(at),
        style,
    ))
    .map_err(err)
}

/// A translucent white box behind a label, so it reads over dots and circles.
fn halo<'b>(area: &Area<'b>, s: &str, at: (f64, f64), size: f64) -> Result<()> {
    let w = text_w(s, size);
    let h = size * 1.1;
    let rect = [
        px((at.0 - 2.0, at.1 - h / 2.0)),
        px((at.0 + w + 2.0, at.1 + h / 2.0)),
    ];
    area.draw(&Rectangle::new(rect, WHITE.mix(0.65).filled()))
        .map_err(err)
}

/// Approximate width of `s` in pixels at font height `size` (DejaVu Sans averages
/// about 0.52 em per character in names and sentences; a little generous so text never
/// spills).
fn text_w(s: &str, size: f64) -> f64 {
    0.56 * size * s.chars().count() as f64
}

/// Word-wraps `s` into lines no wider than `max_w` pixels at font height `size`
/// (a single word wider than that gets a line of its own).
pub(crate) fn wrap(s: &str, size: f64, max_w: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if !cur.is_empty() && text_w(&candidate, size) > max_w {
            lines.push(std::mem::replace(&mut cur, word.to_string()));
        } else {
            cur = candidate;
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A title that fits `max_w`: shrunk from 24 px down to 18 px, then wrapped at 18 px.
fn fit_title(title: &str, max_w: f64) -> (f64, Vec<String>) {
    let full = text_w(title, 24.0);
    if full <= max_w {
        return (24.0, vec![title.to_string()]);
    }
    let size = (24.0 * max_w / full).floor();
    if size >= 18.0 {
        return (size, vec![title.to_string()]);
    }
    (18.0, at_most(wrap(title, 18.0, max_w), 3, 18.0, max_w))
}

/// The first `n` lines, the last one ending in "…" when some were cut.
fn at_most(mut lines: Vec<String>, n: usize, size: f64, max_w: f64) -> Vec<String> {
    if lines.len() > n {
        lines.truncate(n);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && text_w(last, size) + text_w("…", size) > max_w {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

/// The credit pieces joined with " · ", broken between pieces (or words) to fit `max_w`.
fn fit_credit(pieces: &[String], size: f64, max_w: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for p in pieces {
        let candidate = if cur.is_empty() {
            p.clone()
        } else {
            format!("{cur} · {p}")
        };
        if text_w(&candidate, size) <= max_w {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        let mut parts = wrap(p, size, max_w);
        cur = parts.pop().unwrap_or_default();
        lines.extend(parts);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    at_most(lines, 4, size, max_w)
}

/// Splits a polygon with holes into pieces without holes (cut through each hole), so it
/// can be filled as plain polygons without covering its holes.
fn without_holes(p: geo::Polygon<f64>, depth: u32) -> Vec<geo::Polygon<f64>> {
    if p.interiors().is_empty() || depth > 12 {
        return vec![p];
    }
    let (Some(bb), Some(c)) = (p.bounding_rect(), p.interiors()[0].centroid()) else {
        return vec![p];
    };
    let half = |x0: f64, x1: f64| {
        geo::Rect::new(
            Coord {
                x: x0,
                y: bb.min().y - 1.0,
            },
            Coord {
                x: x1,
                y: bb.max().y + 1.0,
            },
        )
        .to_polygon()
    };
    let mut out = Vec::new();
    for side in [half(bb.min().x - 1.0, c.x()), half(c.x(), bb.max().x + 1.0)] {
        for piece in p.intersection(&side) {
            out.extend(without_holes(piece, depth + 1));
        }
    }
    out
}

/// Outline rings without the edges that run along the antimeridian or a pole: base maps
/// split polygons there, and those edges are no border.
fn without_seams(rings: &[LineString<f64>]) -> MultiLineString<f64> {
    let seam = |a: &Coord<f64>, b: &Coord<f64>| {
        (a.x.abs() >= 180.0 - 1e-9 && b.x.abs() >= 180.0 - 1e-9 && a.x == b.x)
            || (a.y.abs() >= 90.0 - 1e-9 && a.y == b.y)
    };
    let mut out = Vec::new();
    for ring in rings {
        let mut run: Vec<Coord<f64>> = Vec::new();
        for w in ring.0.windows(2) {
            if seam(&w[0], &w[1]) {
                if run.len() > 1 {
                    out.push(LineString::new(std::mem::take(&mut run)));
                }
                run.clear();
                continue;
            }
            if run.is_empty() {
                run.push(w[0]);
            }
            run.push(w[1]);
        }
        if run.len() > 1 {
            out.push(LineString::new(run));
        }
    }
    MultiLineString::new(out)
}

/// The pixel polygon of a clipped ring, repeated vertices dropped.
fn ring_px(proj: &Projection, ring: &LineString<f64>) -> Vec<(i32, i32)> {
    let mut r: Vec<(i32, i32)> = Vec::with_capacity(ring.0.len());
    for c in ring.coords() {
        let p = px(proj.project_unwrapped(c.x, c.y));
        if r.last() != Some(&p) {
            r.push(p);
        }
    }
    r
}

fn fill_shape<'b>(
    area: &Area<'b>,
    proj: &Projection,
    shape: MultiPolygon<f64>,
    color: ShapeStyle,
) -> Result<()> {
    for poly in shape {
        for piece in without_holes(poly, 0) {
            let r = ring_px(proj, piece.exterior());
            if r.len() >= 3 {
                area.draw(&Polygon::new(r, color)).map_err(err)?;
            }
        }
    }
    Ok(())
}

fn stroke_lines<'b>(
    area: &Area<'b>,
    proj: &Projection,
    lines: &MultiLineString<f64>,
    style: ShapeStyle,
) -> Result<()> {
    for l in lines {
        let r = ring_px(proj, l);
        if r.len() >= 2 {
            area.draw(&PathElement::new(r, style)).map_err(err)?;
        }
    }
    Ok(())
}

/// A corner box of size (w, h) inside the frame: 0 top-left, 1 top-right, 2 bottom-left,
/// 3 bottom-right.
fn corner_box(frame: (f64, f64, f64, f64), k: usize, w: f64, h: f64) -> (f64, f64, f64, f64) {
    let x = if k.is_multiple_of(2) {
        frame.0 + 10.0
    } else {
        frame.2 - w - 10.0
    };
    let y = if k < 2 {
        frame.1 + 10.0
    } else {
        frame.3 - h - 10.0
    };
    (x, y, x + w, y + h)
}

fn overlaps(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    !(a.2 <= b.0 || a.0 >= b.2 || a.3 <= b.1 || a.1 >= b.3)
}

/// The corner (in `prefer` order on ties) whose box covers the fewest drawn things and no
/// box already placed.
fn emptiest_corner(
    frame: (f64, f64, f64, f64),
    w: f64,
    h: f64,
    prefer: [usize; 4],
    things: &[(f64, f64, f64)],
    placed: &[(f64, f64, f64, f64)],
) -> (f64, f64, f64, f64) {
    let mut best: Option<(f64, (f64, f64, f64, f64))> = None;
    for k in prefer {
        let b = corner_box(frame, k, w, h);
        if placed.iter().any(|p| overlaps(*p, b)) {
            continue;
        }
        let score: f64 = things
            .iter()
            .filter(|t| {
                t.0 >= b.0 - 4.0 && t.0 <= b.2 + 4.0 && t.1 >= b.1 - 4.0 && t.1 <= b.3 + 4.0
            })
            .map(|t| t.2)
            .sum();
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, b));
        }
    }
    best.map_or_else(|| corner_box(frame, prefer[0], w, h), |(_, b)| b)
}

/// Draws the map with the default view and returns the SVG document.
///
/// # Errors
/// A `--basemap` file that cannot be used.
pub fn render_map(report: &Report, spec: &MapSpec<'_>) -> Result<String> {
    render_map_with(report, spec, &MapOptions::default())
}

/// Draws the map with the given extent and size and returns the SVG document.
///
/// # Errors
/// A `--basemap` file that cannot be used.
pub fn render_map_with(report: &Report, spec: &MapSpec<'_>, opts: &MapOptions) -> Result<String> {
    let left = 30.0;
    let mut pts: Vec<(f64, f64)> = spec.demand.iter().map(|d| (d.lon, d.lat)).collect();
    pts.extend(report.sites.iter().map(|s| (s.lon, s.lat)));
    // A cost matrix's radii are travel costs: no circle on the map stands for them.
    let matrix = report.distance_model == "cost_matrix";
    let r_max = report
        .tiers
        .iter()
        .filter(|_| !matrix)
        .map(|t| report.crow_km(t.radius_km))
        .fold(0.0, f64::max);
    let r_deg = r_max / 111.195;
    let min_span = (4.0 * r_deg).max(2.0);
    let site_pts: Vec<(f64, f64)> = report.open_sites().map(|s| (s.lon, s.lat)).collect();
    let world = LonLatBox {
        lon_min: -180.0,
        lat_min: -60.0,
        lon_max: 180.0,
        lat_max: 75.0,
    };
    let view = match opts.extent {
        Extent::Box(b) => b,
        Extent::Sites if !site_pts.is_empty() => data_box(&site_pts, false)
            .map(|(b, _)| {
                let grown = LonLatBox {
                    lon_min: b.lon_min
                        - r_deg
                            / b.lat_max
                                .abs()
                                .max(b.lat_min.abs())
                                .to_radians()
                                .cos()
                                .max(0.2),
                    lat_min: b.lat_min - r_deg,
                    lon_max: b.lon_max
                        + r_deg
                            / b.lat_max
                                .abs()
                                .max(b.lat_min.abs())
                                .to_radians()
                                .cos()
                                .max(0.2),
                    lat_max: b.lat_max + r_deg,
                };
                pad_box(&grown, 0.04, min_span)
            })
            .unwrap_or(world),
        // The demand decides (far outliers left out); outlets near it are shown too, those far
        // from it are noted, not shown.
        Extent::Auto => {
            let (demand_pts, site_pts) = pts.split_at(spec.demand.len());
            let found = if demand_pts.is_empty() {
                data_box(site_pts, true)
            } else {
                data_box_with(demand_pts, site_pts, true)
            };
            found.map_or(world, |(b, _)| pad_box(&b, 0.06, min_span))
        }
        Extent::Data | Extent::Sites => {
            data_box(&pts, false).map_or(world, |(b, _)| pad_box(&b, 0.06, min_span))
        }
    };
    let (base, boundary_credit) = layers(spec.basemap, &pts)?;
    let mut credit = vec!["Made with outpost".to_string()];
    if !spec.data_credit.is_empty() {
        credit.push(spec.data_credit.clone());
    }
    if !boundary_credit.is_empty() {
        credit.push(boundary_credit.to_string());
    }
    let plane = spec.unproject.is_some() && report.sites.iter().any(|s| s.x.is_some());
    credit.push(match report.circuity {
        _ if matrix => {
            "service areas are not drawn: distances are travel costs from a matrix, not circles"
                .to_string()
        }
        _ if plane => format!(
            "service areas are circles of the radius{} in the plane of {}, drawn in longitude/latitude",
            report
                .circuity
                .map(|c| format!(" / {} (circuity)", crate::sphere::trim_float(c)))
                .unwrap_or_default(),
            report.crs.as_deref().unwrap_or("the projection")
        ),
        Some(c) => format!(
            "service areas are great-circle circles of the radius / {} (circuity)",
            crate::sphere::trim_float(c)
        ),
        None => "service areas are great-circle circles".to_string(),
    });
    // Height over width of the view on the map.
    let aspect =
        (mercator(view.lat_max) - mercator(view.lat_min)) / (view.lon_max - view.lon_min).max(1e-6);
    let mut width = opts.size.map_or(WIDTH, |s| s.width);
    if opts.size.is_none() && matches!(opts.extent, Extent::Box(_)) {
        // A given box is shown as given: a tall box narrows the canvas rather than widening
        // the view.
        let max_h = MAX_HEIGHT as f64 - 130.0;
        if (width as f64 - 60.0) * aspect > max_h {
            width = ((max_h / aspect + 60.0).round() as u32).max(800);
        }
    }
    let map_w = width as f64 - 60.0;

    // Header: the title shrinks, then wraps, to fit; the subtitle sits under it.
    let (title_size, title_lines) = fit_title(&spec.title, map_w);
    let title_lh = title_size * 1.25;
    let sub_y = 18.0 + title_lh * title_lines.len() as f64 + 4.0;
    let top = sub_y + 22.0;
    // Footer: the attribution, broken between its pieces to fit.
    let credit_lines = fit_credit(&credit, 12.0, map_w);
    let foot = 24.0 + 16.0 * credit_lines.len() as f64;
    let (height, map_h) = match opts.size {
        Some(s) => (s.height, (s.height as f64 - top - foot).max(100.0)),
        None => {
            let natural = map_w * aspect;
            let map_h = natural.clamp(
                MIN_HEIGHT as f64 - top - foot,
                MAX_HEIGHT as f64 - top - foot,
            );
            ((map_h + top + foot).round() as u32, map_h)
        }
    };
    let proj = Projection::fill(&view, left, top, map_w, map_h);
    let frame = proj.frame();
    let (right, bottom) = proj.extent_px();
    let frame_px = (proj.x0, proj.y0, right, bottom);
    let demand_out = spec
        .demand
        .iter()
        .filter(|d| !proj.contains(d.lon, d.lat))
        .count();
    let sites_out = report
        .open_sites()
        .filter(|s| !proj.contains(s.lon, s.lat))
        .count();

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let map_box = [px((proj.x0, proj.y0)), px((right, bottom))];
        root.draw(&Rectangle::new(map_box, SEA.filled()))
            .map_err(err)?;
        // Base map: land filled where it lies in the frame, outlines cut at the frame.
        for layer in &base {
            let border = if layer.inner {
                BORDER.mix(0.6)
            } else {
                BORDER.mix(1.0)
            };
            for poly in &layer.polygons {
                let rings: Vec<LineString<f64>> = poly
                    .iter()
                    .filter(|r| r.len() >= 3)
                    .map(|r| LineString::from(r.clone()))
                    .collect();
                let Some((outer, holes)) = rings.split_first() else {
                    continue;
                };
                if !layer.inner {
                    let shape =
                        MultiPolygon::new(vec![geo::Polygon::new(outer.clone(), holes.to_vec())]);
                    fill_shape(&root, &proj, clip(&shape, &frame), LAND.filled())?;
                }
                let lines = clip_lines(&without_seams(&rings), &frame);
                stroke_lines(&root, &proj, &lines, border.stroke_width(1))?;
            }
        }
        // Service areas, the widest tier first so the main one sits on top; outlines later,
        // above the dots.
        let alphas = [0.22, 0.12, 0.07, 0.05];
        let mut outlines: Vec<MultiLineString<f64>> = Vec::new();
        for (t, tier) in report.tiers.iter().enumerate().rev().filter(|_| !matrix) {
            let alpha = alphas[t.min(alphas.len() - 1)];
            for s in report.open_sites() {
                let km = report.crow_km(tier.radius_km);
                let area = match (spec.unproject, s.x, s.y) {
                    (Some(f), Some(x), Some(y)) => plane_area(x, y, s.lon, km, f),
                    _ => service_area(s.lon, s.lat, km),
                };
                fill_shape(&root, &proj, clip(&area, &frame), TIER.mix(alpha).filled())?;
                outlines.push(clip_lines(&outline(&area), &frame));
            }
        }
        // Demand: uncovered first, covered above, so coverage is never hidden under misses.
        let n_in = spec.demand.len() - demand_out;
        let wide = (proj.lon_max - proj.lon_min) > 60.0;
        let aggregated = n_in > AGGREGATE_ABOVE || (wide && n_in > AGGREGATE_WIDE_ABOVE);
        // Drawn things with a weight, for choosing the emptiest corner for the boxes.
        let mut things: Vec<(f64, f64, f64)> = Vec::new();
        if aggregated {
            let mut cells: std::collections::BTreeMap<(i64, i64), (f64, f64, f64, f64)> =
                Default::default();
            for d in spec.demand {
                if !proj.contains(d.lon, d.lat) {
                    continue;
                }
                let (x, y) = proj.project(d.lon, d.lat);
                let key = ((x / CELL_PX).floor() as i64, (y / CELL_PX).floor() as i64);
                let c = cells.entry(key).or_default();
                let w = d.weight.max(1e-12);
                c.0 += w;
                if d.covered {
                    c.1 += w;
                }
                c.2 += x * w;
                c.3 += y * w;
            }
            let cmax = cells.values().map(|c| c.0).fold(0.0, f64::max);
            // Cells coloured by their covered share, from vermillion (none) to blue (all);
            // the more covered drawn last, so coverage is never hidden.
            let mut order: Vec<(f64, (f64, f64), f64)> = cells
                .values()
                .map(|c| (c.1 / c.0, (c.2 / c.0, c.3 / c.0), c.0))
                .collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (share, at, w) in order {
                let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * share).round() as u8;
                let color = RGBColor(
                    mix(UNCOVERED.0, COVERED.0),
                    mix(UNCOVERED.1, COVERED.1),
                    mix(UNCOVERED.2, COVERED.2),
                );
                let r = 1.0 + 5.0 * (w / cmax).sqrt();
                root.draw(&Circle::new(
                    px(at),
                    r.round() as i32,
                    color.mix(0.8).filled(),
                ))
                .map_err(err)?;
                things.push((at.0, at.1, 1.0));
            }
        } else {
            let (wmin, wmax) = spec
                .demand
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(a, b), d| {
                    (a.min(d.weight), b.max(d.weight))
                });
            let uniform = wmax <= wmin * (1.0 + 1e-9) || wmax.is_nan();
            let radius = |w: f64| {
                if uniform {
                    UNIFORM_DOT_PX
                } else {
                    DOT_PX.0 + (DOT_PX.1 - DOT_PX.0) * (w.max(0.0) / wmax).sqrt()
                }
            };
            let mut order: Vec<usize> = (0..spec.demand.len())
                .filter(|&i| proj.contains(spec.demand[i].lon, spec.demand[i].lat))
                .collect();
            // Uncovered first, then covered; within each, heavy dots first so small ones stay
            // visible on top.
            order.sort_by(|&a, &b| {
                let (da, db) = (&spec.demand[a], &spec.demand[b]);
                da.covered
                    .cmp(&db.covered)
                    .then(db.weight.total_cmp(&da.weight))
                    .then(a.cmp(&b))
            });
            for i in order {
                let d = &spec.demand[i];
                let color = if d.covered { COVERED } else { UNCOVERED };
                let r = radius(d.weight);
                let at = proj.project(d.lon, d.lat);
                root.draw(&Circle::new(
                    px(at),
                    r.round().max(1.0) as i32,
                    color.mix(0.7).filled(),
                ))
                .map_err(err)?;
                things.push((at.0, at.1, 1.0));
            }
        }
        for o in &outlines {
            stroke_lines(&root, &proj, o, TIER.mix(0.7).stroke_width(1))?;
        }
        // Outlets: markers first (they block labels), then labels.
        let mut labels = Labeler {
            boxes: Vec::new(),
            bounds: frame_px,
        };
        // Smaller markers when there are many sites, so the demand around them stays visible.
        // Smaller too when service areas are small on the map (world scale), so the covered
        // demand inside them is not hidden under the markers.
        let by_count: f64 = match report.open_sites().count() {
            0..=40 => 1.0,
            41..=150 => 0.7,
            _ => 0.45,
        };
        let m = if matrix {
            by_count
        } else {
            let r_px = report.crow_km(report.radius_km) / proj.km_per_px();
            by_count.min((r_px / 20.0).clamp(0.45, 1.0))
        };
        for s in &report.sites {
            if !proj.contains(s.lon, s.lat) {
                continue;
            }
            let (x, y) = proj.project(s.lon, s.lat);
            labels
                .boxes
                .push((x - 6.0 * m, y - 6.0 * m, x + 6.0 * m, y + 6.0 * m));
            things.push((x, y, 25.0));
            if s.status == "closed" {
                // A closed outlet: a grey cross where it was, no service area.
                for (a, b) in [((-5.0, -5.0), (5.0, 5.0)), ((-5.0, 5.0), (5.0, -5.0))] {
                    root.draw(&PathElement::new(
                        vec![
                            px((x + a.0 * m, y + a.1 * m)),
                            px((x + b.0 * m, y + b.1 * m)),
                        ],
                        CLOSED_SITE.stroke_width(3),
                    ))
                    .map_err(err)?;
                }
            } else if s.status == "existing" {
                root.draw(&Rectangle::new(
                    [
                        px((x - 6.0 * m, y - 6.0 * m)),
                        px((x + 6.0 * m, y + 6.0 * m)),
                    ],
                    BLACK.filled(),
                ))
                .map_err(err)?;
                root.draw(&Rectangle::new(
                    [
                        px((x - 3.0 * m, y - 3.0 * m)),
                        px((x + 3.0 * m, y + 3.0 * m)),
                    ],
                    WHITE.filled(),
                ))
                .map_err(err)?;
            } else {
                let tri = vec![
                    px((x, y - 8.0 * m)),
                    px((x + 7.0 * m, y + 5.0 * m)),
                    px((x - 7.0 * m, y + 5.0 * m)),
                ];
                root.draw(&Polygon::new(tri.clone(), NEW_SITE.filled()))
                    .map_err(err)?;
                let mut outline = tri.clone();
                outline.push(tri[0]);
                root.draw(&PathElement::new(outline, BLACK.stroke_width(1)))
                    .map_err(err)?;
            }
        }
        // Shapes are clipped to the frame; dots and markers are drawn whole, so a dot or marker
        // on the frame's edge would spill over it: mask the margins.
        let (w, h) = (width as i32, height as i32);
        for mask in [
            [(0, 0), (w, map_box[0].1)],
            [(0, map_box[1].1), (w, h)],
            [(0, 0), (map_box[0].0, h)],
            [(map_box[1].0, 0), (w, h)],
        ] {
            root.draw(&Rectangle::new(mask, WHITE.filled()))
                .map_err(err)?;
        }
        // Legend, summary and scale bar go in the emptiest corners, before labels so labels
        // avoid them.
        let mut entries: Vec<(&str, String)> = vec![
            (
                "covered",
                format!(
                    "demand within {}",
                    radius_text(&report.radius_label, report.radius_km)
                ),
            ),
            ("uncovered", "demand out of reach".to_string()),
        ];
        if report.sites.iter().any(|s| s.status == "existing") {
            entries.push(("existing", "existing outlet".to_string()));
        }
        if report.sites.iter().any(|s| s.status == "new") {
            entries.push(("new", "new outlet (#rank)".to_string()));
        }
        if report.sites.iter().any(|s| s.status == "closed") {
            entries.push(("closed", "closed outlet (moved)".to_string()));
        }
        if matrix {
            entries.push(("note", "service areas not drawn: travel costs".to_string()));
        }
        for t in report.tiers.iter().filter(|_| !matrix) {
            entries.push((
                "tier",
                format!(
                    "service area {}{}",
                    radius_text(&t.label, t.radius_km),
                    report.circuity_note()
                ),
            ));
        }
        if aggregated {
            entries.push((
                "note",
                format!("dots: demand summed on a {CELL_PX:.0} px grid,"),
            ));
            entries.push(("note", "coloured by covered share".to_string()));
        }
        if demand_out + sites_out > 0 {
            let mut parts = Vec::new();
            if demand_out > 0 {
                parts.push(format!(
                    "{demand_out} demand point{}",
                    if demand_out == 1 { "" } else { "s" }
                ));
            }
            if sites_out > 0 {
                parts.push(format!(
                    "{sites_out} outlet{}",
                    if sites_out == 1 { "" } else { "s" }
                ));
            }
            entries.push(("note", format!("{} outside the map", parts.join(" and "))));
        }
        // A line for labels left out; dropped below when every label found room.
        entries.push(("note", "0000 labels left out (no room)".to_string()));
        let legend_w = entries
            .iter()
            .map(|e| text_w(&e.1, 13.0) + 44.0)
            .fold(240.0, f64::max);
        let legend_h = |n: usize| 16.0 + 22.0 * n as f64;
        let mut placed = Vec::new();
        let legend = emptiest_corner(
            frame_px,
            legend_w,
            legend_h(entries.len()),
            [1, 0, 3, 2],
            &things,
            &placed,
        );
        placed.push(legend);
        let summary = [
            format!(
                "Coverage within {}: {}",
                radius_text(&report.radius_label, report.radius_km),
                fmt_pct(report.coverage.covered_fraction)
            ),
            format!(
                "{} outlet{} ({} existing, {} new)",
                report.open_sites().count(),
                if report.open_sites().count() == 1 {
                    ""
                } else {
                    "s"
                },
                report
                    .sites
                    .iter()
                    .filter(|s| s.status == "existing")
                    .count(),
                report.sites.iter().filter(|s| s.status == "new").count()
            ),
            format!(
                "Demand: {} points, weight {}",
                report.demand.points,
                fmt_weight(report.demand.total_weight)
            ),
        ];
        let summary_w = summary
            .iter()
            .enumerate()
            .map(|(k, l)| text_w(l, if k == 0 { 15.0 } else { 13.0 }) + 20.0)
            .fold(250.0, f64::max);
        let sh = 14.0 + 20.0 * summary.len() as f64;
        let sbox = emptiest_corner(frame_px, summary_w, sh, [2, 3, 0, 1], &things, &placed);
        placed.push(sbox);
        // Scale bar: a round length near a fifth of the map's width.
        let km_px = proj.km_per_px();
        let target = km_px * (right - proj.x0) / 5.0;
        let mag = 10f64.powf(target.log10().floor());
        let nice = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .filter(|&v| v <= target)
            .fold(mag, f64::max);
        let bar = nice / km_px;
        // Mercator's scale changes with latitude: on a tall map, say where the bar holds.
        let bar_text = if proj.lat_max - proj.lat_min > 10.0 {
            let c = proj.centre_lat();
            format!(
                "{} km at {:.0}°{}",
                trim_float(nice),
                c.abs(),
                if c >= 0.0 { "N" } else { "S" }
            )
        } else {
            format!("{} km", trim_float(nice))
        };
        let scale_w = bar.max(text_w(&bar_text, 12.0)) + 16.0;
        let scale_box = emptiest_corner(frame_px, scale_w, 30.0, [3, 2, 1, 0], &things, &placed);
        placed.push(scale_box);
        labels.boxes.extend(placed.iter().copied());

        // Site labels, at most 40 so big networks stay readable: new sites by rank, then
        // existing ones by the weight they cover.
        let mut order: Vec<&crate::report::SiteReport> = report
            .sites
            .iter()
            .filter(|s| proj.contains(s.lon, s.lat))
            .collect();
        order.sort_by(|a, b| {
            (a.rank.is_none(), a.rank)
                .cmp(&(b.rank.is_none(), b.rank))
                .then(b.covered_weight.total_cmp(&a.covered_weight))
                .then(a.id.cmp(&b.id))
        });
        let mut left_out = order.len().saturating_sub(40);
        for s in order.into_iter().take(40) {
            let (x, y) = proj.project(s.lon, s.lat);
            let name = s.name.clone().unwrap_or_else(|| s.id.clone());
            let label = match s.rank {
                Some(k) => format!("#{k} {name}"),
                None => name,
            };
            if let Some(at) = labels.place(x, y, &label, 13.0, 9.0) {
                halo(&root, &label, at, 13.0)?;
                text(
                    &root,
                    &label,
                    at,
                    13.0,
                    &INK,
                    Pos::new(HPos::Left, VPos::Center),
                )?;
            } else {
                left_out += 1;
            }
        }
        // The largest uncovered places.
        for u in report
            .uncovered
            .iter()
            .filter(|u| proj.contains(u.lon, u.lat))
            .take(8)
        {
            let (x, y) = proj.project(u.lon, u.lat);
            let label = u.name.clone().unwrap_or_else(|| u.id.clone());
            if let Some(at) = labels.place(x, y, &label, 12.0, 6.0) {
                halo(&root, &label, at, 12.0)?;
                text(
                    &root,
                    &label,
                    at,
                    12.0,
                    &UNCOVERED,
                    Pos::new(HPos::Left, VPos::Center),
                )?;
            } else {
                left_out += 1;
            }
        }
        entries.pop();
        if left_out > 0 {
            entries.push((
                "note",
                format!(
                    "{left_out} label{} left out (no room)",
                    if left_out == 1 { "" } else { "s" }
                ),
            ));
        }

        // Legend.
        let (lx, ly) = (legend.0, legend.1);
        let lh = legend_h(entries.len());
        root.draw(&Rectangle::new(
            [px((lx, ly)), px((lx + legend_w, ly + lh))],
            WHITE.mix(0.92).filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [px((lx, ly)), px((lx + legend_w, ly + lh))],
            BORDER.stroke_width(1),
        ))
        .map_err(err)?;
        for (k, (kind, label)) in entries.iter().enumerate() {
            let cy = ly + 18.0 + 22.0 * k as f64;
            let cx = lx + 18.0;
            match *kind {
                "covered" => root
                    .draw(&Circle::new(px((cx, cy)), 5, COVERED.mix(0.8).filled()))
                    .map_err(err)?,
                "uncovered" => root
                    .draw(&Circle::new(px((cx, cy)), 5, UNCOVERED.mix(0.8).filled()))
                    .map_err(err)?,
                "existing" => {
                    root.draw(&Rectangle::new(
                        [px((cx - 6.0, cy - 6.0)), px((cx + 6.0, cy + 6.0))],
                        BLACK.filled(),
                    ))
                    .map_err(err)?;
                    root.draw(&Rectangle::new(
                        [px((cx - 3.0, cy - 3.0)), px((cx + 3.0, cy + 3.0))],
                        WHITE.filled(),
                    ))
                    .map_err(err)?;
                }
                "closed" => {
                    for (a, b) in [((-5.0, -5.0), (5.0, 5.0)), ((-5.0, 5.0), (5.0, -5.0))] {
                        root.draw(&PathElement::new(
                            vec![px((cx + a.0, cy + a.1)), px((cx + b.0, cy + b.1))],
                            CLOSED_SITE.stroke_width(3),
                        ))
                        .map_err(err)?;
                    }
                }
                "new" => {
                    let tri = vec![
                        px((cx, cy - 8.0)),
                        px((cx + 7.0, cy + 5.0)),
                        px((cx - 7.0, cy + 5.0)),
                    ];
                    root.draw(&Polygon::new(tri, NEW_SITE.filled()))
                        .map_err(err)?;
                }
                "tier" => {
                    let t = entries[..k].iter().filter(|e| e.0 == "tier").count();
                    let alpha = alphas[t.min(alphas.len() - 1)] + 0.1;
                    root.draw(&Rectangle::new(
                        [px((cx - 8.0, cy - 6.0)), px((cx + 8.0, cy + 6.0))],
                        TIER.mix(alpha).filled(),
                    ))
                    .map_err(err)?;
                }
                _ => {}
            }
            let x = if *kind == "note" {
                lx + 10.0
            } else {
                cx + 16.0
            };
            text(
                &root,
                label,
                (x, cy),
                13.0,
                &INK,
                Pos::new(HPos::Left, VPos::Center),
            )?;
        }
        // Summary box.
        let (sx, sy) = (sbox.0, sbox.1);
        root.draw(&Rectangle::new(
            [px((sx, sy)), px((sbox.2, sbox.3))],
            WHITE.mix(0.92).filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [px((sx, sy)), px((sbox.2, sbox.3))],
            BORDER.stroke_width(1),
        ))
        .map_err(err)?;
        for (k, line) in summary.iter().enumerate() {
            let size = if k == 0 { 15.0 } else { 13.0 };
            text(
                &root,
                line,
                (sx + 10.0, sy + 17.0 + 20.0 * k as f64),
                size,
                &INK,
                Pos::new(HPos::Left, VPos::Center),
            )?;
        }
        // Scale bar.
        let bx0 = scale_box.0 + 0.5 * (scale_w - bar);
        let bx1 = bx0 + bar;
        let by = scale_box.1 + 22.0;
        root.draw(&Rectangle::new(
            [
                px((scale_box.0, scale_box.1)),
                px((scale_box.2, scale_box.3)),
            ],
            WHITE.mix(0.85).filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [px((bx0, by - 4.0)), px((bx1, by))],
            INK.filled(),
        ))
        .map_err(err)?;
        text(
            &root,
            &bar_text,
            ((bx0 + bx1) / 2.0, by - 12.0),
            12.0,
            &INK,
            Pos::new(HPos::Center, VPos::Center),
        )?;
        // Frame, title and attribution.
        root.draw(&Rectangle::new(map_box, BORDER.stroke_width(1)))
            .map_err(err)?;
        for (k, line) in title_lines.iter().enumerate() {
            text(
                &root,
                line,
                (left, 18.0 + title_lh * (k as f64 + 0.5)),
                title_size,
                &INK,
                Pos::new(HPos::Left, VPos::Center),
            )?;
        }
        let sub = format!(
            "{} of demand weight within {}{} of an outlet",
            fmt_pct(report.coverage.covered_fraction),
            radius_text(&report.radius_label, report.radius_km),
            report.circuity_note()
        );
        let sub_size = (15.0 * map_w / text_w(&sub, 15.0)).clamp(9.0, 15.0);
        text(
            &root,
            &sub,
            (left, sub_y + 6.0),
            sub_size,
            &RGBColor(90, 90, 90),
            Pos::new(HPos::Left, VPos::Center),
        )?;
        for (k, line) in credit_lines.iter().enumerate() {
            let y = height as f64 - 18.0 - 16.0 * (credit_lines.len() - 1 - k) as f64;
            text(
                &root,
                line,
                (left, y),
                12.0,
                &RGBColor(110, 110, 110),
                Pos::new(HPos::Left, VPos::Center),
            )?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_titles_shrink_then_wrap() {
        let (s, l) = fit_title("short", 1000.0);
        assert_eq!((s, l.len()), (24.0, 1));
        let long = "word ".repeat(60);
        let (s, l) = fit_title(long.trim(), 1000.0);
        assert_eq!(s, 18.0);
        assert!(l.len() > 1);
        assert!(l.iter().all(|x| text_w(x, s) <= 1000.0));
    }

    #[test]
    fn endless_titles_and_credits_are_cut_with_an_ellipsis() {
        let (_, l) = fit_title(&"x ".repeat(5000), 500.0);
        assert_eq!(l.len(), 3);
        assert!(l[2].ends_with('…'));
        assert!(l.iter().all(|x| text_w(x, 18.0) <= 500.0));
        let pieces = vec!["word ".repeat(3000)];
        assert_eq!(fit_credit(&pieces, 12.0, 500.0).len(), 4);
    }

    #[test]
    fn credits_break_between_pieces() {
        let pieces: Vec<String> = [
            "Made with outpost",
            "demand: a long source name here",
            "boundaries",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let lines = fit_credit(&pieces, 12.0, 300.0);
        assert!(lines.len() >= 2);
        assert!(lines.iter().all(|x| text_w(x, 12.0) <= 300.0));
        assert_eq!(fit_credit(&pieces, 12.0, 5000.0).len(), 1);
    }

    #[test]
    fn outlines_skip_the_antimeridian_seam() {
        let ring = LineString::from(vec![
            (170.0, -20.0),
            (180.0, -20.0),
            (180.0, -10.0),
            (170.0, -10.0),
            (170.0, -20.0),
        ]);
        let lines = without_seams(&[ring]);
        let on_seam = lines
            .iter()
            .flat_map(|l| l.0.windows(2))
            .filter(|w| w[0].x == 180.0 && w[1].x == 180.0)
            .count();
        assert_eq!(on_seam, 0);
        assert_eq!(lines.0.len(), 2);
    }

    #[test]
    fn radius_text_is_in_km() {
        assert_eq!(radius_text("", 150.0), "150 km");
        assert_eq!(radius_text("100 mi", 160.9344), "100 mi");
    }
}
