//! Markdown writer: the same summary and tables as the text report, ready for
//! a pull-request comment or a wiki page.

use super::Report;
use super::table::summary_lines;
use super::tabular::{Tabular, markdown_cell};
use std::io::Write;

/// Writes the report as Markdown.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_markdown<W: Write>(r: &Report, mut out: W) -> std::io::Result<()> {
    let mut lines = summary_lines(r).into_iter();
    if let Some(title) = lines.next() {
        writeln!(out, "## {title}\n")?;
    }
    for line in lines {
        writeln!(out, "- {}", markdown_cell(&line))?;
    }
    for t in r.tables() {
        writeln!(out, "\n### {}\n", t.title)?;
        super::tabular::write_markdown(&t, &mut out)?;
    }
    Ok(())
}
