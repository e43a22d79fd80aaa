//! Markdown writer: the same summary and tables as the text report, ready for
//! a pull-request comment or a wiki page.

use super::Report;
use super::table::{sections, summary_lines};
use std::io::Write;

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

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
        writeln!(out, "- {}", cell(&line))?;
    }
    for s in sections(r) {
        writeln!(out, "\n### {}\n", s.title)?;
        writeln!(
            out,
            "| {} |",
            s.headers
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        )?;
        let align: Vec<&str> = (0..s.headers.len())
            .map(|c| if c == 0 { "---" } else { "---:" })
            .collect();
        writeln!(out, "|{}|", align.join("|"))?;
        for row in &s.rows {
            writeln!(
                out,
                "| {} |",
                row.iter().map(|v| cell(v)).collect::<Vec<_>>().join(" | ")
            )?;
        }
    }
    Ok(())
}
