//! One row definition per report table, three renderings.
//!
//! Every table a report shows (sites, tiers, groups, largest holes, the sweep
//! curve, the scenario comparison, the batch summary) is built once as a
//! [`Table`]: columns with a header for people, a field name for machines and
//! an alignment, and rows of [`Cell`]s that carry both the text a person reads
//! (`60.46%`) and the value a script reads (`0.604554224250`). The renderers
//! ([`write_text`], [`write_markdown`], [`write_csv`], [`write_long_csv`])
//! only lay the table out, so the formats cannot drift apart in content: a
//! column added to the definition appears in all of them.

use std::io::Write;

/// Horizontal alignment of a column in the text and Markdown renderings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Padded on the right (names, labels).
    Left,
    /// Padded on the left (numbers).
    Right,
}

/// Which renderings show a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Text, Markdown and CSV.
    All,
    /// CSV only: figures a script needs but a reader does not (coordinates,
    /// unrounded radii, id lists).
    Machines,
}

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Header in the text and Markdown renderings (`covered weight`).
    pub header: String,
    /// Field name in the CSV renderings (`covered_weight`).
    pub field: String,
    /// Alignment in the text rendering (and in Markdown, unless overridden).
    pub align: Align,
    /// Alignment in Markdown when it differs from `align`. Kept only so the
    /// Markdown output stays byte-for-byte what it was; see the module docs.
    pub markdown_align: Option<Align>,
    /// Which renderings show the column.
    pub audience: Audience,
}

impl Column {
    /// A left-aligned column shown in every format.
    pub fn left(header: &str, field: &str) -> Column {
        Column {
            header: header.to_string(),
            field: field.to_string(),
            align: Align::Left,
            markdown_align: None,
            audience: Audience::All,
        }
    }

    /// A right-aligned column shown in every format.
    pub fn right(header: &str, field: &str) -> Column {
        Column {
            align: Align::Right,
            ..Column::left(header, field)
        }
    }

    /// A column only the CSV renderings show.
    pub fn machines(field: &str) -> Column {
        Column {
            audience: Audience::Machines,
            ..Column::left("", field)
        }
    }

    /// The same column with another alignment in Markdown.
    pub fn markdown(self, align: Align) -> Column {
        Column {
            markdown_align: Some(align),
            ..self
        }
    }

    fn for_people(&self) -> bool {
        self.audience == Audience::All
    }
}

/// One cell: what a person reads and what a script reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Text for the text and Markdown renderings (`450,750,240`, `-`).
    pub text: String,
    /// Value for the CSV renderings (`450750240`); `None` is an empty cell in
    /// a wide CSV and no row at all in the long-form CSV.
    pub value: Option<String>,
}

impl Cell {
    /// A cell that reads the same for people and scripts.
    pub fn plain(s: impl Into<String>) -> Cell {
        let s = s.into();
        Cell {
            value: Some(s.clone()),
            text: s,
        }
    }

    /// A cell with its text for people and its value for scripts.
    pub fn new(text: impl Into<String>, value: impl ToString) -> Cell {
        Cell {
            text: text.into(),
            value: Some(value.to_string()),
        }
    }

    /// A cell with text for people and no value for scripts.
    pub fn text_only(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            value: None,
        }
    }

    /// A number shown through `show`, or `-` (and no value) when absent.
    pub fn opt<T: ToString + Copy>(x: Option<T>, show: impl Fn(T) -> String) -> Cell {
        match x {
            Some(v) => Cell::new(show(v), v),
            None => Cell::text_only("-"),
        }
    }

    /// A value for scripts only (in a [`Audience::Machines`] column).
    pub fn value(v: impl ToString) -> Cell {
        Cell {
            text: String::new(),
            value: Some(v.to_string()),
        }
    }
}

/// A table: columns and rows of cells, rendered by the functions of this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Title shown above the table by the text and Markdown reports (may be empty).
    pub title: String,
    /// Section name in the long-form CSV (`site`, `tier`).
    pub section: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// Something that shows itself as tables: the one place its rows are defined.
pub trait Tabular {
    /// The tables, in the order the text and Markdown reports show them.
    fn tables(&self) -> Vec<Table>;
}

impl Table {
    /// The header and cells people see, made safe for one line.
    fn for_people(&self) -> (Vec<&Column>, Vec<Vec<String>>) {
        let shown: Vec<usize> = (0..self.columns.len())
            .filter(|&c| self.columns[c].for_people())
            .collect();
        let rows = self
            .rows
            .iter()
            .map(|r| {
                shown
                    .iter()
                    .map(|&c| super::one_line(&r[c].text).into_owned())
                    .collect()
            })
            .collect();
        (shown.iter().map(|&c| &self.columns[c]).collect(), rows)
    }
}

/// Writes the table as aligned text, each line indented two spaces and
/// trimmed at the end (widths in characters).
///
/// # Errors
/// I/O errors of the writer.
pub fn write_text<W: Write + ?Sized>(t: &Table, out: &mut W) -> std::io::Result<()> {
    let (columns, rows) = t.for_people();
    let widths: Vec<usize> = (0..columns.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([columns[c].header.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| {
        cells
            .iter()
            .enumerate()
            .map(|(c, v)| {
                let pad = " ".repeat(widths[c] - v.chars().count());
                match columns[c].align {
                    Align::Left => format!("{v}{pad}"),
                    Align::Right => format!("{pad}{v}"),
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
    writeln!(out, "  {}", line(&headers).trim_end())?;
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "  {}", line(&cells).trim_end())?;
    }
    Ok(())
}

/// Text made safe for a Markdown table cell: one line, `|` escaped.
pub fn markdown_cell(s: &str) -> String {
    super::one_line(s).replace('|', "\\|")
}

/// Writes the table as a Markdown table (no title).
///
/// # Errors
/// I/O errors of the writer.
pub fn write_markdown<W: Write + ?Sized>(t: &Table, out: &mut W) -> std::io::Result<()> {
    let (columns, rows) = t.for_people();
    let line = |cells: Vec<&str>| {
        cells
            .into_iter()
            .map(markdown_cell)
            .collect::<Vec<_>>()
            .join(" | ")
    };
    writeln!(
        out,
        "| {} |",
        line(columns.iter().map(|c| c.header.as_str()).collect())
    )?;
    let align: Vec<&str> = columns
        .iter()
        .map(|c| match c.markdown_align.unwrap_or(c.align) {
            Align::Left => "---",
            Align::Right => "---:",
        })
        .collect();
    writeln!(out, "|{}|", align.join("|"))?;
    for row in &rows {
        writeln!(
            out,
            "| {} |",
            line(row.iter().map(String::as_str).collect())
        )?;
    }
    Ok(())
}

/// Writes the table as a wide CSV: a header of field names, then one record
/// per row; absent values are empty.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_csv<W: Write + ?Sized>(t: &Table, out: &mut W) -> std::io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(t.columns.iter().map(|c| c.field.as_str()))?;
    for row in &t.rows {
        w.write_record(row.iter().map(|c| c.value.as_deref().unwrap_or("")))?;
    }
    w.flush()
}

/// Appends the table to a long-form CSV (`section,key,field,value`): the first
/// column's value is the key, every other present value is one record.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_long_csv<W: Write>(t: &Table, w: &mut ::csv::Writer<W>) -> std::io::Result<()> {
    for row in &t.rows {
        let key = row[0].value.as_deref().unwrap_or("");
        for (c, cell) in t.columns.iter().zip(row).skip(1) {
            if let Some(v) = &cell.value {
                w.write_record([t.section.as_str(), key, c.field.as_str(), v])?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Table {
        Table {
            title: "Small".into(),
            section: "thing".into(),
            columns: vec![
                Column::left("name", "id"),
                Column::machines("lon"),
                Column::right("covered weight", "covered_weight"),
                Column::right("rank", "rank").markdown(Align::Left),
            ],
            rows: vec![
                vec![
                    Cell::new("Chengdu (c1)", "c1"),
                    Cell::value(104.07),
                    Cell::new("1,234", 1234.5),
                    Cell::text_only("-"),
                ],
                vec![
                    Cell::new("a|b", "x,y"),
                    Cell::value(-0.5),
                    Cell::new("12", 12),
                    Cell::plain("2"),
                ],
            ],
        }
    }

    fn render(f: fn(&Table, &mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&small(), &mut out).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("renderers write UTF-8")
    }

    #[test]
    fn text() {
        assert_eq!(
            render(write_text),
            "  name          covered weight  rank\n  \
             Chengdu (c1)           1,234     -\n  \
             a|b                       12     2\n"
        );
    }

    #[test]
    fn markdown() {
        assert_eq!(
            render(write_markdown),
            "| name | covered weight | rank |\n\
             |---|---:|---|\n\
             | Chengdu (c1) | 1,234 | - |\n\
             | a\\|b | 12 | 2 |\n"
        );
    }

    #[test]
    fn csv_wide() {
        assert_eq!(
            render(write_csv),
            "id,lon,covered_weight,rank\nc1,104.07,1234.5,\n\"x,y\",-0.5,12,2\n"
        );
    }

    #[test]
    fn csv_long() {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        write_long_csv(&small(), &mut w).expect("writing to a Vec cannot fail");
        let out = String::from_utf8(w.into_inner().expect("flush")).expect("UTF-8");
        assert_eq!(
            out,
            "thing,c1,lon,104.07\nthing,c1,covered_weight,1234.5\n\
             thing,\"x,y\",lon,-0.5\nthing,\"x,y\",covered_weight,12\nthing,\"x,y\",rank,2\n"
        );
    }
}
