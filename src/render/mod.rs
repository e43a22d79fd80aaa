//! Maps and charts: SVG through `plotters`, PNG by rasterising that SVG with
//! `resvg` and a font embedded in the binary, so nothing is needed from the system.
//!
//! The renderers read the report and the demand positions; they never reach
//! into solver state.

pub mod areas;
pub mod basemap;
pub mod chart;
pub mod clip;
pub mod map;
pub mod projection;

use anyhow::{Context, Result};
use std::path::Path;

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`),
/// used to rasterise text in PNG output.
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Whether a path asks for PNG (else SVG).
pub fn is_png(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
}

/// Rasterises an SVG document to PNG bytes at its own size.
///
/// # Errors
/// When the SVG cannot be parsed (a bug) or the PNG cannot be encoded.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>> {
    let mut opt = resvg::usvg::Options::default();
    let db = opt.fontdb_mut();
    db.load_font_data(FONT.to_vec());
    // SVG text asks for the generic family; point every generic family at the embedded font.
    db.set_sans_serif_family("DejaVu Sans");
    db.set_serif_family("DejaVu Sans");
    db.set_monospace_family("DejaVu Sans");
    opt.font_family = "DejaVu Sans".to_string();
    let tree = resvg::usvg::Tree::from_str(svg, &opt).context("parsing the SVG to rasterise")?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .context("allocating the image")?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().context("encoding the PNG")
}

/// Writes an SVG document to `path` as SVG or PNG by its extension, atomically.
///
/// # Errors
/// I/O and encoding errors.
pub fn write_image(path: &Path, svg: &str) -> Result<()> {
    if is_png(path) {
        let png = svg_to_png(svg)?;
        crate::output::write_atomic(path, |w| w.write_all(&png))
    } else {
        crate::output::write_atomic(path, |w| w.write_all(svg.as_bytes()))
    }
}
