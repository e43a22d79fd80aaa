//! The coverage map: base map, service areas as true great-circle circles,
//! demand dots sized by weight and coloured covered/uncovered (aggregated on a
//! grid when there are many), existing and new outlets with labels, the
//! largest uncovered places, title, legend, scale bar, summary and attribution.
//!
//! Colours are from the Okabe-Ito palette, readable by colour-blind readers and
//! in print; text uses the generic `sans-serif` family.

use super::basemap::{BaseMap, layers};
use super::projection::{Projection, destination};
use crate::report::{Report, fmt_pct, fmt_weight};
use crate::sphere::trim_float;
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Above this many demand points, dots are aggregated on a pixel grid.
pub const AGGREGATE_ABOVE: usize = 50_000;
/// Grid cell of the aggregation, pixels.
const CELL_PX: f64 = 5.0;

const WIDTH: u32 = 1600;
const MAX_HEIGHT: u32 = 1100;
const MIN_HEIGHT: u32 = 700;
const COVERED: RGBColor = RGBColor(0, 114, 178);
const UNCOVERED: RGBColor = RGBColor(213, 94, 0);
const NEW_SITE: RGBColor = RGBColor(0, 158, 115);
const TIER: RGBColor = RGBColor(86, 180, 233);
const LAND: RGBColor = RGBColor(243, 241, 236);
const SEA: RGBColor = RGBColor(250, 252, 255);
const BORDER: RGBColor = RGBColor(170, 170, 170);
const INK: RGBColor = RGBColor(40, 40, 40);

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
        let w = 0.6 * size * text.chars().count() as f64;
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
    let style = TextStyle::from(("sans-serif", size * 1.24).into_font())
        .color(color)
        .pos(anchor);
    area.draw(&Text::new(s.to_string(), px(at), style))
        .map_err(err)
}

/// A translucent white box behind a label, so it reads over dots and circles.
fn halo<'b>(area: &Area<'b>, s: &str, at: (f64, f64), size: f64) -> Result<()> {
    let w = 0.6 * size * s.chars().count() as f64;
    let h = size * 1.1;
    let rect = [
        px((at.0 - 2.0, at.1 - h / 2.0)),
        px((at.0 + w + 2.0, at.1 + h / 2.0)),
    ];
    area.draw(&Rectangle::new(rect, WHITE.mix(0.65).filled()))
        .map_err(err)
}

/// Draws the map and returns the SVG document.
///
/// # Errors
/// A `--basemap` file that cannot be used.
pub fn render_map(report: &Report, spec: &MapSpec<'_>) -> Result<String> {
    let left = 30.0;
    let top = 80.0;
    let map_w = WIDTH as f64 - 60.0;
    let mut pts: Vec<(f64, f64)> = spec.demand.iter().map(|d| (d.lon, d.lat)).collect();
    pts.extend(report.sites.iter().map(|s| (s.lon, s.lat)));
    // Leave room for the service areas around the sites.
    let r_deg = report.tiers.iter().map(|t| t.radius_km).fold(0.0, f64::max) / 111.0;
    // Fit into the widest box first, then size the canvas to the map so wide extents leave no blank band.
    let max_h = MAX_HEIGHT as f64 - 130.0;
    let trial = Projection::fit(&pts, left, top, map_w, max_h, 0.06, (4.0 * r_deg).max(2.0));
    let map_h = (trial.extent_px().1 - trial.y0).clamp(MIN_HEIGHT as f64 - 130.0, max_h);
    let height = (map_h + 130.0).round() as u32;
    let proj = Projection::fit(&pts, left, top, map_w, map_h, 0.06, (4.0 * r_deg).max(2.0));
    let (right, bottom) = proj.extent_px();
    let (base, boundary_credit) = layers(spec.basemap, &pts)?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let map_box = [px((proj.x0, proj.y0)), px((right, bottom))];
        root.draw(&Rectangle::new(map_box, SEA.filled()))
            .map_err(err)?;
        let visible = |ring: &[(i32, i32)]| {
            let (mut a, mut b, mut c, mut d) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
            for p in ring {
                a = a.min(p.0);
                b = b.min(p.1);
                c = c.max(p.0);
                d = d.max(p.1);
            }
            c >= map_box[0].0 && a <= map_box[1].0 && d >= map_box[0].1 && b <= map_box[1].1
        };
        for layer in &base {
            for poly in &layer.polygons {
                for (k, ring) in poly.iter().enumerate() {
                    let mut r: Vec<(i32, i32)> = Vec::with_capacity(ring.len());
                    for &(lon, lat) in ring {
                        let p = px(proj.project(lon, lat.clamp(-85.0, 85.0)));
                        if r.last() != Some(&p) {
                            r.push(p);
                        }
                    }
                    if r.len() < 3 || !visible(&r) {
                        continue;
                    }
                    // A ring whose unwrapped longitudes jump across the view is split at the seam: skip its fill.
                    let jumps = r
                        .windows(2)
                        .any(|w| (w[0].0 - w[1].0).abs() as f64 > 0.5 * (right - proj.x0));
                    if !layer.inner && k == 0 && !jumps {
                        root.draw(&Polygon::new(r.clone(), LAND.filled()))
                            .map_err(err)?;
                    }
                    if !jumps {
                        let mut closed = r.clone();
                        closed.push(r[0]);
                        let color = if layer.inner {
                            BORDER.mix(0.6)
                        } else {
                            BORDER.mix(1.0)
                        };
                        root.draw(&PathElement::new(closed, color.stroke_width(1)))
                            .map_err(err)?;
                    }
                }
            }
        }
        // Service areas, the widest tier first so the main one sits on top.
        let alphas = [0.22, 0.12, 0.07, 0.05];
        for (t, tier) in report.tiers.iter().enumerate().rev() {
            let alpha = alphas[t.min(alphas.len() - 1)];
            for s in &report.sites {
                let ring: Vec<(i32, i32)> = (0..96)
                    .map(|k| {
                        let (lon, lat) = destination(s.lon, s.lat, tier.radius_km, k as f64 * 3.75);
                        px(proj.project(lon, lat.clamp(-85.0, 85.0)))
                    })
                    .collect();
                root.draw(&Polygon::new(ring.clone(), TIER.mix(alpha).filled()))
                    .map_err(err)?;
                let mut closed = ring.clone();
                closed.push(ring[0]);
                root.draw(&PathElement::new(closed, TIER.mix(0.7).stroke_width(1)))
                    .map_err(err)?;
            }
        }
        // Mask what spills over the frame (base map and service areas), leaving the margins white.
        let (w, h) = (WIDTH as i32, height as i32);
        for mask in [
            [(0, 0), (w, map_box[0].1)],
            [(0, map_box[1].1), (w, h)],
            [(0, 0), (map_box[0].0, h)],
            [(map_box[1].0, 0), (w, h)],
        ] {
            root.draw(&Rectangle::new(mask, WHITE.filled()))
                .map_err(err)?;
        }
        // Demand.
        let wmax = spec
            .demand
            .iter()
            .map(|d| d.weight)
            .fold(0.0, f64::max)
            .max(1e-300);
        let radius = |w: f64, wmax: f64| 1.3 + 7.0 * (w / wmax).sqrt();
        let aggregated = spec.demand.len() > AGGREGATE_ABOVE;
        if aggregated {
            let mut cells: std::collections::BTreeMap<(i64, i64), (f64, f64, f64, f64)> =
                Default::default();
            for d in spec.demand {
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
            for c in cells.values() {
                let color = if c.1 >= 0.5 * c.0 { COVERED } else { UNCOVERED };
                let r = 1.0 + 5.0 * (c.0 / cmax).sqrt();
                root.draw(&Circle::new(
                    px((c.2 / c.0, c.3 / c.0)),
                    r.round() as i32,
                    color.mix(0.75).filled(),
                ))
                .map_err(err)?;
            }
        } else {
            let mut order: Vec<usize> = (0..spec.demand.len()).collect();
            // Heavy dots first, so small ones stay visible on top.
            order.sort_by(|&a, &b| {
                spec.demand[b]
                    .weight
                    .total_cmp(&spec.demand[a].weight)
                    .then(a.cmp(&b))
            });
            for i in order {
                let d = &spec.demand[i];
                let color = if d.covered { COVERED } else { UNCOVERED };
                let r = radius(d.weight, wmax);
                root.draw(&Circle::new(
                    px(proj.project(d.lon, d.lat)),
                    r.round().max(1.0) as i32,
                    color.mix(0.7).filled(),
                ))
                .map_err(err)?;
            }
        }
        // Outlets: markers first (they block labels), then labels.
        let mut labels = Labeler {
            boxes: Vec::new(),
            bounds: (proj.x0, proj.y0, right, bottom),
        };
        // Smaller markers when there are many sites, so the demand around them stays visible.
        let m = match report.sites.len() {
            0..=40 => 1.0,
            41..=150 => 0.7,
            _ => 0.45,
        };
        for s in &report.sites {
            let (x, y) = proj.project(s.lon, s.lat);
            labels
                .boxes
                .push((x - 6.0 * m, y - 6.0 * m, x + 6.0 * m, y + 6.0 * m));
            if s.status == "existing" {
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
        let mut reserved = Vec::new();
        // Legend, summary and scale bar are placed before labels so labels avoid them.
        let legend_w = 300.0;
        let mut entries: Vec<(&str, String)> = vec![
            (
                "covered",
                format!("demand within {} km", trim_float(report.radius_km)),
            ),
            ("uncovered", "demand out of reach".to_string()),
            ("existing", "existing outlet".to_string()),
        ];
        if report.sites.iter().any(|s| s.status == "new") {
            entries.push(("new", "new outlet (#rank)".to_string()));
        }
        for t in &report.tiers {
            entries.push((
                "tier",
                format!("service area {} km", trim_float(t.radius_km)),
            ));
        }
        if aggregated {
            entries.push((
                "note",
                format!("dots: demand summed on a {CELL_PX:.0} px grid"),
            ));
        }
        let legend_h = 16.0 + 22.0 * entries.len() as f64;
        let lx = right - legend_w - 10.0;
        let ly = proj.y0 + 10.0;
        reserved.push((lx, ly, lx + legend_w, ly + legend_h));
        let summary = [
            format!(
                "Coverage within {} km: {}",
                trim_float(report.radius_km),
                fmt_pct(report.coverage.covered_fraction)
            ),
            format!(
                "{} outlets ({} existing, {} new)",
                report.sites.len(),
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
        let sx = proj.x0 + 10.0;
        let sh = 14.0 + 20.0 * summary.len() as f64;
        let sy = bottom - sh - 10.0;
        reserved.push((sx, sy, sx + 330.0, sy + sh));
        labels.boxes.extend(reserved.iter().copied());

        // Site labels, at most 40 so big networks stay readable: new sites by rank, then
        // existing ones by the weight they cover.
        let mut order: Vec<&crate::report::SiteReport> = report.sites.iter().collect();
        order.sort_by(|a, b| {
            (a.rank.is_none(), a.rank)
                .cmp(&(b.rank.is_none(), b.rank))
                .then(b.covered_weight.total_cmp(&a.covered_weight))
                .then(a.id.cmp(&b.id))
        });
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
            }
        }
        // The largest uncovered places.
        for u in report.uncovered.iter().take(8) {
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
            }
        }

        // Legend.
        root.draw(&Rectangle::new(
            [px((lx, ly)), px((lx + legend_w, ly + legend_h))],
            WHITE.mix(0.92).filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [px((lx, ly)), px((lx + legend_w, ly + legend_h))],
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
            text(
                &root,
                label,
                (cx + 16.0, cy),
                13.0,
                &INK,
                Pos::new(HPos::Left, VPos::Center),
            )?;
        }
        // Summary box.
        root.draw(&Rectangle::new(
            [px((sx, sy)), px((sx + 330.0, sy + sh))],
            WHITE.mix(0.92).filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [px((sx, sy)), px((sx + 330.0, sy + sh))],
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
        let bx1 = right - 20.0;
        let bx0 = bx1 - bar;
        let by = bottom - 22.0;
        root.draw(&Rectangle::new(
            [px((bx0 - 8.0, by - 22.0)), px((bx1 + 8.0, by + 8.0))],
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
            &format!("{} km", trim_float(nice)),
            ((bx0 + bx1) / 2.0, by - 12.0),
            12.0,
            &INK,
            Pos::new(HPos::Center, VPos::Center),
        )?;
        // Frame, title and attribution.
        root.draw(&Rectangle::new(map_box, BORDER.stroke_width(1)))
            .map_err(err)?;
        text(
            &root,
            &spec.title,
            (left, 30.0),
            24.0,
            &INK,
            Pos::new(HPos::Left, VPos::Center),
        )?;
        let sub = format!(
            "{} of demand weight within {} km of an outlet",
            fmt_pct(report.coverage.covered_fraction),
            trim_float(report.radius_km)
        );
        text(
            &root,
            &sub,
            (left, 58.0),
            15.0,
            &RGBColor(90, 90, 90),
            Pos::new(HPos::Left, VPos::Center),
        )?;
        let mut credit = vec!["Made with outpost".to_string()];
        if !spec.data_credit.is_empty() {
            credit.push(spec.data_credit.clone());
        }
        if !boundary_credit.is_empty() {
            credit.push(boundary_credit.to_string());
        }
        credit.push("service areas are great-circle circles".to_string());
        text(
            &root,
            &credit.join(" · "),
            (left, height as f64 - 18.0),
            12.0,
            &RGBColor(110, 110, 110),
            Pos::new(HPos::Left, VPos::Center),
        )?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
