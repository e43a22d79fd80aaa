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

/// Draws the sweep chart and returns the SVG document.
///
/// # Errors
/// Only if plotters fails to draw (it does not for valid reports).
pub fn render_sweep(r: &SweepReport, title: Option<&str>) -> Result<String> {
    let mut radii: Vec<f64> = Vec::new();
    for p in &r.points {
        if !radii.contains(&p.radius_km) {
            radii.push(p.radius_km);
        }
    }
    let kmin = r.points.iter().map(|p| p.sites).min().unwrap_or(1) as f64;
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
        let root = SVGBackend::with_string(&mut svg, (1200, 860)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (upper, rest) = root.split_vertically(560);
        let (lower, foot) = rest.split_vertically(250);
        let mut chart = ChartBuilder::on(&upper)
            .caption(&title, ("sans-serif", 24))
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
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        for (i, radius) in radii.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let pts: Vec<&crate::report::sweep::SweepPoint> =
                r.points.iter().filter(|p| p.radius_km == *radius).collect();
            let line: Vec<(f64, f64)> = pts
                .iter()
                .map(|p| (p.sites as f64, pct(p.covered_weight)))
                .collect();
            if pts.iter().all(|p| p.bound.is_some()) {
                let mut band: Vec<(f64, f64)> = pts
                    .iter()
                    .map(|p| (p.sites as f64, pct(p.bound.unwrap_or(p.covered_weight))))
                    .collect();
                band.extend(line.iter().rev().copied());
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
                .label(format!("{} km", trim_float(*radius)))
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
            .light_line_style(RGBColor(235, 235, 235))
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
        let note = "Each point: an independent plan --add N (greedy, swap local search, Lagrangian starts); \
                    shaded band: up to the proven upper bound. Made with outpost.";
        foot.draw(&Text::new(
            note,
            (90, 20),
            ("sans-serif", 13)
                .into_font()
                .color(&RGBColor(100, 100, 100)),
        ))
        .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
