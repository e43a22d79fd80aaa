//! The sweep chart: covered share against the number of new sites, one line
//! per radius, the bound drawn as a band above each line, and the marginal
//! gain of each step as bars underneath.

use crate::report::sweep::SweepReport;
use crate::sphere::trim_float;
use anyhow::{Result, anyhow};
use plotters::prelude::*;

/// Okabe-Ito colours, one per radius.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing the chart: {e:?}")
}

/// The default chart size, pixels.
pub const CHART_SIZE: (u32, u32) = (1200, 860);

/// A gap between the bound and the curve smaller than this (percentage points) is no gap:
/// the band is drawn only where the bound says more could be reached.
const BAND_EPS_PCT: f64 = 0.05;

/// Draws the sweep chart at the default size and returns the SVG document.
///
/// # Errors
/// Only if plotters fails to draw (it does not for valid reports).
pub fn render_sweep(r: &SweepReport, title: Option<&str>) -> Result<String> {
    render_sweep_sized(r, title, CHART_SIZE)
}

/// Draws the sweep chart at `size` (width, height in pixels) and returns
/// the SVG document. Today's network (N = 0, the existing outlets alone) is the first point
/// of each curve.
///
/// # Errors
/// Only if plotters fails to draw (it does not for valid reports).
pub fn render_sweep_sized(
    r: &SweepReport,
    title: Option<&str>,
    size: (u32, u32),
) -> Result<String> {
    let mut radii: Vec<f64> = Vec::new();
    for p in &r.points {
        if !radii.contains(&p.radius_km) {
            radii.push(p.radius_km);
        }
    }
    let baseline = |radius: f64| {
        r.baseline
            .iter()
            .find(|b| b.0 == radius)
            .map(|b| 100.0 * b.1)
    };
    let has_zero = radii.iter().any(|&k| baseline(k).is_some());
    let kmin_points = r.points.iter().map(|p| p.sites).min().unwrap_or(1) as f64;
    let kmin = if has_zero { 0.0 } else { kmin_points };
    let kmax = r.points.iter().map(|p| p.sites).max().unwrap_or(1) as f64;
    let pct = |w: f64| {
        if r.total_weight > 0.0 {
            100.0 * w / r.total_weight
        } else {
            0.0
        }
    };
    let top = r
        .points
        .iter()
        .map(|p| pct(p.bound.unwrap_or(p.covered_weight)))
        .fold(0.0, f64::max);
    let bottom = r
        .points
        .iter()
        .map(|p| pct(p.covered_weight))
        .chain(r.baseline.iter().map(|b| 100.0 * b.1))
        .fold(100.0, f64::min);
    let ymax = ((top / 10.0).ceil() * 10.0).clamp(10.0, 100.0);
    let ymin = ((bottom / 10.0).floor() * 10.0).max(0.0).min(ymax - 10.0);
    let mmax = r
        .points
        .iter()
        .map(|p| pct(p.marginal_weight))
        .fold(0.0, f64::max)
        .max(1e-6)
        * 1.1;
    let title = title
        .map(str::to_string)
        .unwrap_or_else(|| "Coverage against the number of new outlets".to_string());

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        // The notes under the charts wrap to the width; the charts share what is left.
        let notes_text = [
            "Each point: an independent plan --add N (greedy, swap local search, Lagrangian starts); \
             N = 0: today's network.",
            "Shaded band: up to the proven upper bound, where it is above the curve. Made with outpost.",
        ];
        let notes: Vec<String> = notes_text
            .iter()
            .flat_map(|n| super::map::wrap(n, 13.0, size.0 as f64 - 110.0))
            .collect();
        let foot_h = 14.0 + 18.0 * notes.len() as f64;
        let rest_h = size.1 as f64 - foot_h;
        let (upper, rest) = root.split_vertically((rest_h * 560.0 / 810.0).round() as u32);
        let (lower, foot) = rest.split_vertically((rest_h * 250.0 / 810.0).round() as u32);
        let mut chart = ChartBuilder::on(&upper)
            .caption(crate::report::one_line(&title), ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((kmin - 0.5)..(kmax + 0.5), ymin..ymax)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("new sites")
            .y_desc("covered share of demand weight (%)")
            .x_labels(((kmax - kmin) as usize + 1).min(25))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .bold_line_style(RGBColor(222, 222, 222))
            .light_line_style(RGBColor(246, 246, 246))
            .draw()
            .map_err(err)?;
        for (i, radius) in radii.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let pts: Vec<&crate::report::sweep::SweepPoint> =
                r.points.iter().filter(|p| p.radius_km == *radius).collect();
            // (N, covered %, bound %); N = 0 is today's network, exact, so its bound is itself.
            let mut curve: Vec<(f64, f64, Option<f64>)> = Vec::new();
            if let Some(b) = baseline(*radius) {
                curve.push((0.0, b, Some(b)));
            }
            curve.extend(pts.iter().map(|p| {
                (
                    p.sites as f64,
                    pct(p.covered_weight),
                    p.bound.map(|b| pct(b).max(pct(p.covered_weight))),
                )
            }));
            let line: Vec<(f64, f64)> = curve.iter().map(|c| (c.0, c.1)).collect();
            // The band only over stretches where the bound is above the curve: runs of
            // segments with a gap at either end.
            let gap = |c: &(f64, f64, Option<f64>)| c.2.map(|b| b - c.1);
            let mut k = 0;
            while k + 1 < curve.len() {
                let open = |j: usize| {
                    j + 1 < curve.len()
                        && gap(&curve[j]).is_some()
                        && gap(&curve[j + 1]).is_some()
                        && gap(&curve[j])
                            .unwrap_or(0.0)
                            .max(gap(&curve[j + 1]).unwrap_or(0.0))
                            > BAND_EPS_PCT
                };
                if !open(k) {
                    k += 1;
                    continue;
                }
                let start = k;
                while open(k) {
                    k += 1;
                }
                let run = &curve[start..=k];
                let mut band: Vec<(f64, f64)> =
                    run.iter().map(|c| (c.0, c.2.unwrap_or(c.1))).collect();
                band.extend(run.iter().rev().map(|c| (c.0, c.1)));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        band,
                        color.mix(0.18).filled(),
                    )))
                    .map_err(err)?;
            }
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                .map_err(err)?
                .label(
                    r.points
                        .iter()
                        .find(|p| p.radius_km == *radius && !p.radius_label.is_empty())
                        .map_or_else(
                            || format!("{} km", trim_float(*radius)),
                            |p| crate::report::one_line(&p.radius_label).into_owned(),
                        ),
                )
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
            chart
                .draw_series(line.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(170, 170, 170))
            .draw()
            .map_err(err)?;

        let mut bars = ChartBuilder::on(&lower)
            .margin_left(20)
            .margin_right(20)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d((kmin - 0.5)..(kmax + 0.5), 0.0..mmax)
            .map_err(err)?;
        bars.configure_mesh()
            .disable_x_mesh()
            .x_desc("new sites")
            .y_desc("marginal gain (%)")
            .x_labels(((kmax - kmin) as usize + 1).min(25))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .bold_line_style(RGBColor(222, 222, 222))
            .light_line_style(RGBColor(246, 246, 246))
            .draw()
            .map_err(err)?;
        let w = 0.8 / radii.len() as f64;
        for (i, radius) in radii.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            bars.draw_series(r.points.iter().filter(|p| p.radius_km == *radius).map(|p| {
                let x0 = p.sites as f64 - 0.4 + i as f64 * w;
                Rectangle::new(
                    [(x0, 0.0), (x0 + w * 0.9, pct(p.marginal_weight))],
                    color.mix(0.8).filled(),
                )
            }))
            .map_err(err)?;
        }
        for (k, note) in notes.iter().enumerate() {
            foot.draw(&Text::new(
                note.as_str(),
                (90, 12 + 18 * k as i32),
                ("sans-serif", 13)
                    .into_font()
                    .color(&RGBColor(100, 100, 100)),
            ))
            .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}
