//! Markdown writer: the same summary and tables as the text report, ready for
//! a pull-request comment or a wiki page.

use super::Report;
use super::table::{sections, summary_lines};
use std::io::Write;

fn cell(s: &str) -> String {
    super::one_line(s).replace('|', "\\|")
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
        write_md_table(&mut out, &s.headers, &s.rows, &[0])?;
    }
    Ok(())
}

/// Writes `rows` under `headers` as a Markdown table, the columns in `left`
/// left-aligned and the rest right-aligned; `|` in cells is escaped.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_md_table<W: Write + ?Sized, H: AsRef<str>>(
    out: &mut W,
    headers: &[H],
    rows: &[Vec<String>],
    left: &[usize],
) -> std::io::Result<()> {
    let line = |cells: Vec<&str>| cells.into_iter().map(cell).collect::<Vec<_>>().join(" | ");
    writeln!(
        out,
        "| {} |",
        line(headers.iter().map(AsRef::as_ref).collect())
    )?;
    let align: Vec<&str> = (0..headers.len())
        .map(|c| if left.contains(&c) { "---" } else { "---:" })
        .collect();
    writeln!(out, "|{}|", align.join("|"))?;
    for row in rows {
        writeln!(
            out,
            "| {} |",
            line(row.iter().map(String::as_str).collect())
        )?;
    }
    Ok(())
}
