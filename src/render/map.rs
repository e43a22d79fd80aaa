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

use super::basemap::{BaseMap, Layer, layers};
use super::clip::{LonLatBox, Unproject, clip, clip_lines, outline, plane_area, service_area};
use super::projection::{Extent, MapSize, Projection, data_box, data_box_with, mercator, pad_box};
use crate::report::{Report, SiteReport, SiteStatus, fmt_pct, fmt_weight};
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
    let pts = map_points(report, spec);
    let view = choose_view(report, spec, opts, &pts);
    let (base, boundary_credit) = layers(spec.basemap, &pts)?;
    let credit = credit_pieces(report, spec, boundary_credit);
    let layout = Layout::new(report, spec, opts, &view, &credit);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (layout.width, layout.height)).into_drawing_area();
        draw_map(&root, report, spec, &layout, &base)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

// ---------------------------------------------------------------------------------------
// Layout: everything decided before the first shape is drawn.
// ---------------------------------------------------------------------------------------

/// Left margin of the map frame, title and credit, pixels.
const LEFT: f64 = 30.0;

/// The view when the data gives none: the inhabited world.
const WORLD: LonLatBox = LonLatBox {
    lon_min: -180.0,
    lat_min: -60.0,
    lon_max: 180.0,
    lat_max: 75.0,
};

/// A pixel box: left, top, right, bottom.
type PxBox = (f64, f64, f64, f64);

/// Something drawn on the map, for choosing the emptiest corner: x, y (pixels) and weight.
type Thing = (f64, f64, f64);

/// Every place on the map: the demand first, then the sites (closed ones too).
fn map_points(report: &Report, spec: &MapSpec<'_>) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = spec.demand.iter().map(|d| (d.lon, d.lat)).collect();
    pts.extend(report.sites.iter().map(|s| (s.lon, s.lat)));
    pts
}

/// The part of the world to show (`--extent`); `pts` is [`map_points`].
fn choose_view(
    report: &Report,
    spec: &MapSpec<'_>,
    opts: &MapOptions,
    pts: &[(f64, f64)],
) -> LonLatBox {
    let matrix = report.is_cost_matrix();
    let r_max = report
        .tiers
        .iter()
        .filter(|_| !matrix)
        .map(|t| report.crow_km(t.radius_km))
        .fold(0.0, f64::max);
    let r_deg = r_max / 111.195;
    let min_span = (4.0 * r_deg).max(2.0);
    let site_pts: Vec<(f64, f64)> = report.open_sites().map(|s| (s.lon, s.lat)).collect();
    match opts.extent {
        Extent::Box(b) => b,
        Extent::Sites if !site_pts.is_empty() => data_box(&site_pts, false)
            .map(|(b, _)| pad_box(&grown(&b, r_deg), 0.04, min_span))
            .unwrap_or(WORLD),
        // The demand decides (far outliers left out); outlets near it are shown too, those far
        // from it are noted, not shown.
        Extent::Auto => {
            let (demand_pts, site_pts) = pts.split_at(spec.demand.len());
            let found = if demand_pts.is_empty() {
                data_box(site_pts, true)
            } else {
                data_box_with(demand_pts, site_pts, true)
            };
            found.map_or(WORLD, |(b, _)| pad_box(&b, 0.06, min_span))
        }
        Extent::Data | Extent::Sites => {
            data_box(pts, false).map_or(WORLD, |(b, _)| pad_box(&b, 0.06, min_span))
        }
    }
}

/// `b` grown by `r_deg` degrees of latitude on every side, so whole service areas show;
/// in longitude by as many degrees at the latitude furthest from the equator (capped at
/// five times `r_deg` near the poles).
fn grown(b: &LonLatBox, r_deg: f64) -> LonLatBox {
    LonLatBox {
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
    }
}

/// The attribution pieces: outpost, the data, the boundaries and how service areas are drawn.
fn credit_pieces(report: &Report, spec: &MapSpec<'_>, boundary_credit: &str) -> Vec<String> {
    let mut credit = vec!["Made with outpost".to_string()];
    if !spec.data_credit.is_empty() {
        credit.push(spec.data_credit.clone());
    }
    if !boundary_credit.is_empty() {
        credit.push(boundary_credit.to_string());
    }
    let matrix = report.is_cost_matrix();
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
    credit
}

/// Canvas width: `--size`, else 1600 px, narrowed for an `--extent` box whose map would
/// be taller than [`MAX_HEIGHT`] allows at that width. `aspect` is
/// the view's height over its width on the map.
fn canvas_width(opts: &MapOptions, aspect: f64) -> u32 {
    let mut width = opts.size.map_or(WIDTH, |s| s.width);
    if opts.size.is_none() && matches!(opts.extent, Extent::Box(_)) {
        // A given box is shown as given: a tall box narrows the canvas rather than widening
        // the view.
        let max_h = MAX_HEIGHT as f64 - 130.0;
        if (width as f64 - 60.0) * aspect > max_h {
            width = ((max_h / aspect + 60.0).round() as u32).max(800);
        }
    }
    width
}

/// Where everything goes on the canvas, and what is out of the frame.
struct Layout {
    /// Canvas width, pixels.
    width: u32,
    /// Canvas height, pixels.
    height: u32,
    /// Width of the map frame, pixels.
    map_w: f64,
    /// Title font height, pixels.
    title_size: f64,
    /// The title, shrunk or wrapped to fit.
    title_lines: Vec<String>,
    /// Line height of the title, pixels.
    title_lh: f64,
    /// Top of the subtitle line, pixels.
    sub_y: f64,
    /// The attribution, broken to fit.
    credit_lines: Vec<String>,
    /// Longitude/latitude to pixels.
    proj: Projection,
    /// The frame in longitude/latitude, for clipping shapes.
    frame: LonLatBox,
    /// The frame in pixels.
    frame_px: PxBox,
    /// The frame in whole pixels: top-left and bottom-right corners.
    map_box: [(i32, i32); 2],
    /// Demand points outside the frame.
    demand_out: usize,
    /// Open outlets outside the frame.
    sites_out: usize,
    /// Demand dots are summed on a grid (many points, or many on a wide map).
    aggregated: bool,
}

impl Layout {
    fn new(
        report: &Report,
        spec: &MapSpec<'_>,
        opts: &MapOptions,
        view: &LonLatBox,
        credit: &[String],
    ) -> Layout {
        // Height over width of the view on the map.
        let aspect = (mercator(view.lat_max) - mercator(view.lat_min))
            / (view.lon_max - view.lon_min).max(1e-6);
        let width = canvas_width(opts, aspect);
        let map_w = width as f64 - 60.0;

        // Header: the title shrinks, then wraps, to fit; the subtitle sits under it.
        let (title_size, title_lines) = fit_title(&spec.title, map_w);
        let title_lh = title_size * 1.25;
        let sub_y = 18.0 + title_lh * title_lines.len() as f64 + 4.0;
        let top = sub_y + 22.0;
        // Footer: the attribution, broken between its pieces to fit.
        let credit_lines = fit_credit(credit, 12.0, map_w);
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
        let proj = Projection::fill(view, LEFT, top, map_w, map_h);
        let frame = proj.frame();
        let (right, bottom) = proj.extent_px();
        let demand_out = spec
            .demand
            .iter()
            .filter(|d| !proj.contains(d.lon, d.lat))
            .count();
        let sites_out = report
            .open_sites()
            .filter(|s| !proj.contains(s.lon, s.lat))
            .count();
        let n_in = spec.demand.len() - demand_out;
        let wide = (proj.lon_max - proj.lon_min) > 60.0;
        Layout {
            width,
            height,
            map_w,
            title_size,
            title_lines,
            title_lh,
            sub_y,
            credit_lines,
            frame,
            frame_px: (proj.x0, proj.y0, right, bottom),
            map_box: [px((proj.x0, proj.y0)), px((right, bottom))],
            demand_out,
            sites_out,
            aggregated: n_in > AGGREGATE_ABOVE || (wide && n_in > AGGREGATE_WIDE_ABOVE),
            proj,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Drawing, one layer at a time.
// ---------------------------------------------------------------------------------------

/// Draws every layer, bottom to top: sea, base map, service areas, demand, service-area
/// outlines, outlet markers, margin masks, labels, legend, summary, scale bar, frame,
/// header and credit.
fn draw_map(
    root: &Area<'_>,
    report: &Report,
    spec: &MapSpec<'_>,
    layout: &Layout,
    base: &[Layer],
) -> Result<()> {
    let proj = &layout.proj;
    root.fill(&WHITE).map_err(err)?;
    root.draw(&Rectangle::new(layout.map_box, SEA.filled()))
        .map_err(err)?;
    draw_basemap(root, proj, &layout.frame, base)?;
    // Service areas are filled first; their outlines go later, above the dots.
    let outlines = draw_service_areas(root, report, spec, proj, &layout.frame)?;
    let mut things = if layout.aggregated {
        draw_demand_cells(root, spec.demand, proj)?
    } else {
        draw_demand_dots(root, spec.demand, proj)?
    };
    for o in &outlines {
        stroke_lines(root, proj, o, TIER.mix(0.7).stroke_width(1))?;
    }
    // Outlets: markers first (they block labels), then labels.
    let mut labels = Labeler {
        boxes: Vec::new(),
        bounds: layout.frame_px,
    };
    draw_sites(root, report, proj, &mut labels, &mut things)?;
    mask_margins(root, layout)?;
    // Legend, summary and scale bar go in the emptiest corners, before labels so labels
    // avoid them.
    let mut entries = legend_entries(report, layout);
    let legend_w = entries
        .iter()
        .map(|e| text_w(&e.1, 13.0) + 44.0)
        .fold(240.0, f64::max);
    let summary = summary_lines(report);
    let scale = ScaleBar::new(proj, layout.frame_px);
    let boxes = corner_boxes(
        layout.frame_px,
        [
            (legend_w, legend_h(entries.len())),
            summary_size(&summary),
            (scale.w, 30.0),
        ],
        &things,
    );
    labels.boxes.extend(boxes.iter().copied());
    let mut left_out = draw_site_labels(root, report, proj, &mut labels)?;
    left_out += draw_uncovered_labels(root, report, proj, &mut labels)?;
    entries.pop();
    if left_out > 0 {
        entries.push((
            Legend::Note,
            format!(
                "{left_out} label{} left out (no room)",
                if left_out == 1 { "" } else { "s" }
            ),
        ));
    }
    draw_legend(root, boxes[0], legend_w, &entries)?;
    draw_summary(root, boxes[1], &summary)?;
    draw_scale_bar(root, boxes[2], &scale)?;
    root.draw(&Rectangle::new(layout.map_box, BORDER.stroke_width(1)))
        .map_err(err)?;
    draw_header(root, report, layout)?;
    draw_credit(root, layout)
}

/// Base map: land filled where it lies in the frame, outlines cut at the frame.
fn draw_basemap(
    root: &Area<'_>,
    proj: &Projection,
    frame: &LonLatBox,
    base: &[Layer],
) -> Result<()> {
    for layer in base {
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
                fill_shape(root, proj, clip(&shape, frame), LAND.filled())?;
            }
            let lines = clip_lines(&without_seams(&rings), frame);
            stroke_lines(root, proj, &lines, border.stroke_width(1))?;
        }
    }
    Ok(())
}

/// Fill opacity of the service areas of tier `t` (the main tier is 0).
fn tier_alpha(t: usize) -> f64 {
    const ALPHAS: [f64; 4] = [0.22, 0.12, 0.07, 0.05];
    ALPHAS[t.min(ALPHAS.len() - 1)]
}

/// Fills the service areas, the widest tier first so the main one sits on top, and returns
/// their outlines (clipped to the frame) to be drawn above the dots. None for a cost matrix.
fn draw_service_areas(
    root: &Area<'_>,
    report: &Report,
    spec: &MapSpec<'_>,
    proj: &Projection,
    frame: &LonLatBox,
) -> Result<Vec<MultiLineString<f64>>> {
    let matrix = report.is_cost_matrix();
    let mut outlines: Vec<MultiLineString<f64>> = Vec::new();
    for (t, tier) in report.tiers.iter().enumerate().rev().filter(|_| !matrix) {
        let alpha = tier_alpha(t);
        for s in report.open_sites() {
            let km = report.crow_km(tier.radius_km);
            let area = match (spec.unproject, s.x, s.y) {
                (Some(f), Some(x), Some(y)) => plane_area(x, y, s.lon, km, f),
                _ => service_area(s.lon, s.lat, km),
            };
            fill_shape(root, proj, clip(&area, frame), TIER.mix(alpha).filled())?;
            outlines.push(clip_lines(&outline(&area), frame));
        }
    }
    Ok(outlines)
}

/// A grid cell of demand: covered share, weighted centre (pixels) and weight.
type Cell = (f64, (f64, f64), f64);

/// Demand summed on a grid of [`CELL_PX`] cells: per cell its covered share, the
/// weighted centre and the weight, the least covered first; and the heaviest cell's weight.
fn demand_cells(demand: &[DemandDot], proj: &Projection) -> (Vec<Cell>, f64) {
    let mut cells: std::collections::BTreeMap<(i64, i64), (f64, f64, f64, f64)> =
        Default::default();
    for d in demand {
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
    let mut order: Vec<Cell> = cells
        .values()
        .map(|c| (c.1 / c.0, (c.2 / c.0, c.3 / c.0), c.0))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    (order, cmax)
}

/// Demand aggregated on a grid: cells coloured by their covered share, from vermillion
/// (none) to blue (all), the more covered drawn last so coverage is never hidden. Returns
/// the cells drawn.
fn draw_demand_cells(
    root: &Area<'_>,
    demand: &[DemandDot],
    proj: &Projection,
) -> Result<Vec<Thing>> {
    let (order, cmax) = demand_cells(demand, proj);
    let mut things = Vec::new();
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
    Ok(things)
}

/// Dot radius by weight, pixels: area proportional to weight between [`DOT_PX`], or
/// [`UNIFORM_DOT_PX`] when every point weighs the same.
fn dot_radius(demand: &[DemandDot]) -> impl Fn(f64) -> f64 {
    let (wmin, wmax) = demand.iter().fold((f64::INFINITY, 0.0f64), |(a, b), d| {
        (a.min(d.weight), b.max(d.weight))
    });
    let uniform = wmax <= wmin * (1.0 + 1e-9) || wmax.is_nan();
    move |w: f64| {
        if uniform {
            UNIFORM_DOT_PX
        } else {
            DOT_PX.0 + (DOT_PX.1 - DOT_PX.0) * (w.max(0.0) / wmax).sqrt()
        }
    }
}

/// One dot per demand point in the frame: uncovered first, covered above, so coverage is
/// never hidden under misses; within each, heavy dots first so small ones stay visible on
/// top. Returns the dots drawn.
fn draw_demand_dots(
    root: &Area<'_>,
    demand: &[DemandDot],
    proj: &Projection,
) -> Result<Vec<Thing>> {
    let radius = dot_radius(demand);
    let mut order: Vec<usize> = (0..demand.len())
        .filter(|&i| proj.contains(demand[i].lon, demand[i].lat))
        .collect();
    order.sort_by(|&a, &b| {
        let (da, db) = (&demand[a], &demand[b]);
        da.covered
            .cmp(&db.covered)
            .then(db.weight.total_cmp(&da.weight))
            .then(a.cmp(&b))
    });
    let mut things = Vec::new();
    for i in order {
        let d = &demand[i];
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
    Ok(things)
}

/// Size factor of the outlet markers: smaller when there are many sites, so the demand
/// around them stays visible, and smaller when service areas are small on the map (world
/// scale), so the covered demand inside them is not hidden under the markers (unless
/// there are none: a cost matrix).
fn marker_scale(report: &Report, proj: &Projection) -> f64 {
    let by_count: f64 = match report.open_sites().count() {
        0..=40 => 1.0,
        41..=150 => 0.7,
        _ => 0.45,
    };
    if report.is_cost_matrix() {
        by_count
    } else {
        let r_px = report.crow_km(report.radius_km) / proj.km_per_px();
        by_count.min((r_px / 20.0).clamp(0.45, 1.0))
    }
}

/// Outlet markers for every site in the frame; each marker blocks labels and counts
/// towards the corner choice.
fn draw_sites(
    root: &Area<'_>,
    report: &Report,
    proj: &Projection,
    labels: &mut Labeler,
    things: &mut Vec<Thing>,
) -> Result<()> {
    let m = marker_scale(report, proj);
    for s in &report.sites {
        if !proj.contains(s.lon, s.lat) {
            continue;
        }
        let (x, y) = proj.project(s.lon, s.lat);
        labels
            .boxes
            .push((x - 6.0 * m, y - 6.0 * m, x + 6.0 * m, y + 6.0 * m));
        things.push((x, y, 25.0));
        match s.status {
            // A closed outlet: a grey cross where it was, no service area.
            SiteStatus::Closed => draw_closed_marker(root, (x, y), m)?,
            SiteStatus::Existing => draw_existing_marker(root, (x, y), m)?,
            SiteStatus::New => {
                let tri = new_marker(x, y, m);
                root.draw(&Polygon::new(tri.clone(), NEW_SITE.filled()))
                    .map_err(err)?;
                let mut outline = tri.clone();
                outline.push(tri[0]);
                root.draw(&PathElement::new(outline, BLACK.stroke_width(1)))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// A closed outlet's grey cross at `(x, y)`, scaled by `m`.
fn draw_closed_marker(root: &Area<'_>, (x, y): (f64, f64), m: f64) -> Result<()> {
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
    Ok(())
}

/// An existing outlet's hollow black square at `(x, y)`, scaled by `m`.
fn draw_existing_marker(root: &Area<'_>, (x, y): (f64, f64), m: f64) -> Result<()> {
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
    .map_err(err)
}

/// The triangle of a new outlet at `(x, y)`, scaled by `m`.
fn new_marker(x: f64, y: f64, m: f64) -> Vec<(i32, i32)> {
    vec![
        px((x, y - 8.0 * m)),
        px((x + 7.0 * m, y + 5.0 * m)),
        px((x - 7.0 * m, y + 5.0 * m)),
    ]
}

/// Shapes are clipped to the frame; dots and markers are drawn whole, so a dot or marker
/// on the frame's edge would spill over it: mask the margins.
fn mask_margins(root: &Area<'_>, layout: &Layout) -> Result<()> {
    let (w, h) = (layout.width as i32, layout.height as i32);
    let map_box = layout.map_box;
    for mask in [
        [(0, 0), (w, map_box[0].1)],
        [(0, map_box[1].1), (w, h)],
        [(0, 0), (map_box[0].0, h)],
        [(map_box[1].0, 0), (w, h)],
    ] {
        root.draw(&Rectangle::new(mask, WHITE.filled()))
            .map_err(err)?;
    }
    Ok(())
}

/// The symbol of a legend line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Legend {
    Covered,
    Uncovered,
    Existing,
    New,
    Closed,
    /// Service area of tier `t` (the main tier is 0).
    Tier(usize),
    /// Text only.
    Note,
}

/// Legend height for `n` lines, pixels.
fn legend_h(n: usize) -> f64 {
    16.0 + 22.0 * n as f64
}

/// The legend lines: symbols for what the map shows, notes on aggregation and on what is
/// outside the frame, and a placeholder for the left-out-labels note (long enough for any
/// count), replaced once the labels are placed.
fn legend_entries(report: &Report, layout: &Layout) -> Vec<(Legend, String)> {
    let mut entries: Vec<(Legend, String)> = vec![
        (
            Legend::Covered,
            format!(
                "demand within {}",
                radius_text(&report.radius_label, report.radius_km)
            ),
        ),
        (Legend::Uncovered, "demand out of reach".to_string()),
    ];
    if report.sites.iter().any(|s| s.status == "existing") {
        entries.push((Legend::Existing, "existing outlet".to_string()));
    }
    if report.sites.iter().any(|s| s.status == "new") {
        entries.push((Legend::New, "new outlet (#rank)".to_string()));
    }
    if report.sites.iter().any(|s| s.status == "closed") {
        entries.push((Legend::Closed, "closed outlet (moved)".to_string()));
    }
    let matrix = report.is_cost_matrix();
    if matrix {
        entries.push((
            Legend::Note,
            "service areas not drawn: travel costs".to_string(),
        ));
    }
    for (t, tier) in report.tiers.iter().enumerate().filter(|_| !matrix) {
        entries.push((
            Legend::Tier(t),
            format!(
                "service area {}{}",
                radius_text(&tier.label, tier.radius_km),
                report.circuity_note()
            ),
        ));
    }
    if layout.aggregated {
        entries.push((
            Legend::Note,
            format!("dots: demand summed on a {CELL_PX:.0} px grid,"),
        ));
        entries.push((Legend::Note, "coloured by covered share".to_string()));
    }
    if let Some(note) = outside_note(layout.demand_out, layout.sites_out) {
        entries.push((Legend::Note, note));
    }
    entries.push((Legend::Note, "0000 labels left out (no room)".to_string()));
    entries
}

/// "N demand points and M outlets outside the map", or nothing when all are inside.
fn outside_note(demand_out: usize, sites_out: usize) -> Option<String> {
    if demand_out + sites_out == 0 {
        return None;
    }
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
    Some(format!("{} outside the map", parts.join(" and ")))
}

/// The summary box's lines: coverage, outlets, demand.
fn summary_lines(report: &Report) -> [String; 3] {
    [
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
            fmt_weight(report.demand.points as f64),
            fmt_weight(report.demand.total_weight)
        ),
    ]
}

/// Font height of summary line `k`: the first is larger.
fn summary_font(k: usize) -> f64 {
    if k == 0 { 15.0 } else { 13.0 }
}

/// Width and height of the summary box, pixels.
fn summary_size(summary: &[String]) -> (f64, f64) {
    let w = summary
        .iter()
        .enumerate()
        .map(|(k, l)| text_w(l, summary_font(k)) + 20.0)
        .fold(250.0, f64::max);
    (w, 14.0 + 20.0 * summary.len() as f64)
}

/// A scale bar of a round length near a fifth of the map's width.
struct ScaleBar {
    /// Length of the bar, pixels.
    bar: f64,
    /// Its caption.
    text: String,
    /// Width of its box, pixels.
    w: f64,
}

impl ScaleBar {
    fn new(proj: &Projection, frame_px: PxBox) -> ScaleBar {
        let km_px = proj.km_per_px();
        let target = km_px * (frame_px.2 - proj.x0) / 5.0;
        let mag = 10f64.powf(target.log10().floor());
        let nice = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .filter(|&v| v <= target)
            .fold(mag, f64::max);
        let bar = nice / km_px;
        // Mercator's scale changes with latitude: on a tall map, say where the bar holds.
        let text = if proj.lat_max - proj.lat_min > 10.0 {
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
        let w = bar.max(text_w(&text, 12.0)) + 16.0;
        ScaleBar { bar, text, w }
    }
}

/// Boxes of the given sizes for the legend, summary and scale bar, in that order, each in
/// the emptiest corner the earlier ones left (the legend prefers the top right, the summary
/// the bottom left, the scale bar the bottom right).
fn corner_boxes(frame_px: PxBox, sizes: [(f64, f64); 3], things: &[Thing]) -> [PxBox; 3] {
    let prefer = [[1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]];
    let mut placed: Vec<PxBox> = Vec::new();
    for ((w, h), prefer) in sizes.into_iter().zip(prefer) {
        let b = emptiest_corner(frame_px, w, h, prefer, things, &placed);
        placed.push(b);
    }
    [placed[0], placed[1], placed[2]]
}

/// Left-aligned, vertically centred text.
fn left_center() -> Pos {
    Pos::new(HPos::Left, VPos::Center)
}

/// Places `label` next to `(x, y)` if it finds room, drawn over a halo; returns whether it did.
fn draw_label(
    root: &Area<'_>,
    labels: &mut Labeler,
    (x, y): (f64, f64),
    label: &str,
    (size, gap): (f64, f64),
    color: &RGBColor,
) -> Result<bool> {
    let Some(at) = labels.place(x, y, label, size, gap) else {
        return Ok(false);
    };
    halo(root, label, at, size)?;
    text(root, label, at, size, color, left_center())?;
    Ok(true)
}

/// Site labels, at most 40 so big networks stay readable: new sites by rank, then existing
/// ones by the weight they cover. Returns how many sites in the frame got no label.
fn draw_site_labels(
    root: &Area<'_>,
    report: &Report,
    proj: &Projection,
    labels: &mut Labeler,
) -> Result<usize> {
    let mut order: Vec<&SiteReport> = report
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
        let at = proj.project(s.lon, s.lat);
        let name = s.name.clone().unwrap_or_else(|| s.id.clone());
        let label = match s.rank {
            Some(k) => format!("#{k} {name}"),
            None => name,
        };
        if !draw_label(root, labels, at, &label, (13.0, 9.0), &INK)? {
            left_out += 1;
        }
    }
    Ok(left_out)
}

/// Labels for the largest uncovered places in the frame (at most 8). Returns how many
/// found no room.
fn draw_uncovered_labels(
    root: &Area<'_>,
    report: &Report,
    proj: &Projection,
    labels: &mut Labeler,
) -> Result<usize> {
    let mut left_out = 0;
    for u in report
        .uncovered
        .iter()
        .filter(|u| proj.contains(u.lon, u.lat))
        .take(8)
    {
        let at = proj.project(u.lon, u.lat);
        let label = u.name.clone().unwrap_or_else(|| u.id.clone());
        if !draw_label(root, labels, at, &label, (12.0, 6.0), &UNCOVERED)? {
            left_out += 1;
        }
    }
    Ok(left_out)
}

/// A translucent white panel with a thin border, from `corners[0]` to `corners[1]`.
fn draw_panel(root: &Area<'_>, corners: [(i32, i32); 2]) -> Result<()> {
    root.draw(&Rectangle::new(corners, WHITE.mix(0.92).filled()))
        .map_err(err)?;
    root.draw(&Rectangle::new(corners, BORDER.stroke_width(1)))
        .map_err(err)
}

/// The legend in a panel `w` pixels wide at the top-left corner of `at`.
fn draw_legend(root: &Area<'_>, at: PxBox, w: f64, entries: &[(Legend, String)]) -> Result<()> {
    let (lx, ly) = (at.0, at.1);
    let lh = legend_h(entries.len());
    draw_panel(root, [px((lx, ly)), px((lx + w, ly + lh))])?;
    for (k, (kind, label)) in entries.iter().enumerate() {
        let cy = ly + 18.0 + 22.0 * k as f64;
        let cx = lx + 18.0;
        draw_legend_symbol(root, *kind, (cx, cy))?;
        let x = if *kind == Legend::Note {
            lx + 10.0
        } else {
            cx + 16.0
        };
        text(root, label, (x, cy), 13.0, &INK, left_center())?;
    }
    Ok(())
}

/// The symbol of a legend line, centred on `(cx, cy)`: the markers at full size.
fn draw_legend_symbol(root: &Area<'_>, kind: Legend, (cx, cy): (f64, f64)) -> Result<()> {
    match kind {
        Legend::Covered => root
            .draw(&Circle::new(px((cx, cy)), 5, COVERED.mix(0.8).filled()))
            .map_err(err),
        Legend::Uncovered => root
            .draw(&Circle::new(px((cx, cy)), 5, UNCOVERED.mix(0.8).filled()))
            .map_err(err),
        Legend::Existing => draw_existing_marker(root, (cx, cy), 1.0),
        Legend::Closed => draw_closed_marker(root, (cx, cy), 1.0),
        Legend::New => root
            .draw(&Polygon::new(new_marker(cx, cy, 1.0), NEW_SITE.filled()))
            .map_err(err),
        Legend::Tier(t) => root
            .draw(&Rectangle::new(
                [px((cx - 8.0, cy - 6.0)), px((cx + 8.0, cy + 6.0))],
                TIER.mix(tier_alpha(t) + 0.1).filled(),
            ))
            .map_err(err),
        Legend::Note => Ok(()),
    }
}

/// The summary box at `at`.
fn draw_summary(root: &Area<'_>, at: PxBox, summary: &[String]) -> Result<()> {
    let (sx, sy) = (at.0, at.1);
    draw_panel(root, [px((sx, sy)), px((at.2, at.3))])?;
    for (k, line) in summary.iter().enumerate() {
        text(
            root,
            line,
            (sx + 10.0, sy + 17.0 + 20.0 * k as f64),
            summary_font(k),
            &INK,
            left_center(),
        )?;
    }
    Ok(())
}

/// The scale bar, centred in its box `at`, caption above the bar.
fn draw_scale_bar(root: &Area<'_>, at: PxBox, scale: &ScaleBar) -> Result<()> {
    let bx0 = at.0 + 0.5 * (scale.w - scale.bar);
    let bx1 = bx0 + scale.bar;
    let by = at.1 + 22.0;
    root.draw(&Rectangle::new(
        [px((at.0, at.1)), px((at.2, at.3))],
        WHITE.mix(0.85).filled(),
    ))
    .map_err(err)?;
    root.draw(&Rectangle::new(
        [px((bx0, by - 4.0)), px((bx1, by))],
        INK.filled(),
    ))
    .map_err(err)?;
    text(
        root,
        &scale.text,
        ((bx0 + bx1) / 2.0, by - 12.0),
        12.0,
        &INK,
        Pos::new(HPos::Center, VPos::Center),
    )
}

/// The title lines and, under them, the subtitle with the coverage, shrunk to fit.
fn draw_header(root: &Area<'_>, report: &Report, layout: &Layout) -> Result<()> {
    for (k, line) in layout.title_lines.iter().enumerate() {
        text(
            root,
            line,
            (LEFT, 18.0 + layout.title_lh * (k as f64 + 0.5)),
            layout.title_size,
            &INK,
            left_center(),
        )?;
    }
    let sub = format!(
        "{} of demand weight within {}{} of an outlet",
        fmt_pct(report.coverage.covered_fraction),
        radius_text(&report.radius_label, report.radius_km),
        report.circuity_note()
    );
    let sub_size = (15.0 * layout.map_w / text_w(&sub, 15.0)).clamp(9.0, 15.0);
    text(
        root,
        &sub,
        (LEFT, layout.sub_y + 6.0),
        sub_size,
        &RGBColor(90, 90, 90),
        left_center(),
    )
}

/// The attribution lines at the foot of the canvas.
fn draw_credit(root: &Area<'_>, layout: &Layout) -> Result<()> {
    let lines = &layout.credit_lines;
    for (k, line) in lines.iter().enumerate() {
        let y = layout.height as f64 - 18.0 - 16.0 * (lines.len() - 1 - k) as f64;
        text(
            root,
            line,
            (LEFT, y),
            12.0,
            &RGBColor(110, 110, 110),
            left_center(),
        )?;
    }
    Ok(())
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
