//! `scan` output: an aligned table for people, CSV or JSON lines for tools.
//!
//! Every format gets the same fields: `source` (file:line), the CIM fields
//! in [`OUTPUT_FIELDS`], then the fields the search command adds.

use std::io::Write;

use crate::annotate::{CsvLine, ADDED_FIELDS};
use crate::scan::event::epoch_to_display;

/// CIM fields shown for each row, after `source`.
pub const OUTPUT_FIELDS: [&str; 12] = [
    "_time",
    "dest",
    "user",
    "parent_process_name",
    "parent_process_path",
    "parent_process",
    "process_name",
    "process_path",
    "process",
    "original_file_name",
    "parent_process_id",
    "process_id",
];

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// CSV with a header.
    Csv,
    /// One JSON object per line.
    Json,
}

/// One row to print: `source`, then [`OUTPUT_FIELDS`] values, then
/// [`ADDED_FIELDS`] values.
pub struct OutRow<'a> {
    /// `file:line`.
    pub source: &'a str,
    /// Values of [`OUTPUT_FIELDS`].
    pub base: &'a [&'a [u8]],
    /// Values of [`ADDED_FIELDS`].
    pub added: &'a [&'a [u8]],
}

/// Writes rows in one format.
pub struct Output<W: Write> {
    format: Format,
    out: W,
    line: CsvLine,
    buf: Vec<u8>,
    wrote_header: bool,
    table: Vec<[String; 7]>,
}

const TABLE_HEADER: [&str; 7] = [
    "time (UTC)",
    "host",
    "user",
    "parent → child",
    "command line",
    "reason",
    "score",
];
const TABLE_MAX: [usize; 7] = [19, 28, 28, 44, 60, 18, 5];
/// Table rows held to compute column widths before printing.
const TABLE_BATCH: usize = 1000;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn shorten(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let mut t: String = flat.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

impl<W: Write> Output<W> {
    /// An output writing `format` to `out`.
    pub fn new(format: Format, out: W) -> Output<W> {
        Output {
            format,
            out,
            line: CsvLine::default(),
            buf: Vec::new(),
            wrote_header: false,
            table: Vec::new(),
        }
    }

    /// Writes one row.
    pub fn write(&mut self, row: &OutRow<'_>) -> std::io::Result<()> {
        match self.format {
            Format::Csv => {
                self.buf.clear();
                if !self.wrote_header {
                    self.wrote_header = true;
                    let names = std::iter::once("source")
                        .chain(OUTPUT_FIELDS)
                        .chain(ADDED_FIELDS);
                    self.line.encode_into(names, &mut self.buf);
                    self.buf.push(b'\n');
                }
                let cells = std::iter::once(row.source.as_bytes())
                    .chain(row.base.iter().copied())
                    .chain(row.added.iter().copied());
                self.line.encode_into(cells, &mut self.buf);
                self.buf.push(b'\n');
                self.out.write_all(&self.buf)
            }
            Format::Json => {
                self.buf.clear();
                self.buf.push(b'{');
                let names = std::iter::once("source")
                    .chain(OUTPUT_FIELDS)
                    .chain(ADDED_FIELDS);
                let values = std::iter::once(row.source.as_bytes())
                    .chain(row.base.iter().copied())
                    .chain(row.added.iter().copied());
                for (i, (name, value)) in names.zip(values).enumerate() {
                    if i > 0 {
                        self.buf.push(b',');
                    }
                    serde_json::to_writer(&mut self.buf, name)?;
                    self.buf.push(b':');
                    serde_json::to_writer(&mut self.buf, &String::from_utf8_lossy(value))?;
                }
                self.buf.extend_from_slice(b"}\n");
                self.out.write_all(&self.buf)
            }
            Format::Table => {
                let get = |name: &str| {
                    OUTPUT_FIELDS
                        .iter()
                        .position(|f| *f == name)
                        .map_or(String::new(), |i| text(row.base[i]))
                };
                let reason = text(row.added[4]);
                let score = text(row.added[0]);
                let parent = get("parent_process_name");
                let child = get("process_name");
                let child = if reason == "original_file_name" {
                    format!("{child} (= {})", get("original_file_name"))
                } else if child.is_empty() {
                    crate::rule::basename(get("process_path").as_bytes())
                        .iter()
                        .map(|&b| b as char)
                        .collect()
                } else {
                    child
                };
                let cells = [
                    epoch_to_display(&get("_time")),
                    get("dest"),
                    get("user"),
                    format!("{parent} → {child}"),
                    get("process"),
                    if reason.is_empty() {
                        "-".to_string()
                    } else {
                        reason
                    },
                    score,
                ];
                self.table.push(cells.map(|c| c));
                for (c, max) in self
                    .table
                    .last_mut()
                    .into_iter()
                    .flat_map(|r| r.iter_mut())
                    .zip(TABLE_MAX)
                {
                    *c = shorten(c, max);
                }
                if self.table.len() >= TABLE_BATCH {
                    self.flush_table()?;
                }
                Ok(())
            }
        }
    }

    fn flush_table(&mut self) -> std::io::Result<()> {
        if self.table.is_empty() {
            return Ok(());
        }
        let mut widths = TABLE_HEADER.map(|h| h.chars().count());
        for row in &self.table {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let pad = |out: &mut String, cells: &[String; 7]| {
            for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
                out.push_str(c);
                if i + 1 < cells.len() {
                    out.extend(std::iter::repeat_n(' ', w - c.chars().count() + 2));
                }
            }
            out.push('\n');
        };
        if !self.wrote_header {
            self.wrote_header = true;
            pad(&mut out, &TABLE_HEADER.map(String::from));
            let rule: [String; 7] = widths.map(|w| "─".repeat(w));
            pad(&mut out, &rule);
        }
        for row in std::mem::take(&mut self.table) {
            pad(&mut out, &row);
        }
        self.out.write_all(out.as_bytes())
    }

    /// Flushes buffered table rows and the writer.
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.flush_table()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(base: &'a [&'a [u8]], added: &'a [&'a [u8]]) -> OutRow<'a> {
        OutRow {
            source: "f.xml:3",
            base,
            added,
        }
    }

    fn sample() -> (Vec<&'static [u8]>, Vec<&'static [u8]>) {
        let mut base: Vec<&[u8]> = vec![b""; OUTPUT_FIELDS.len()];
        base[0] = b"1579034690.348";
        base[1] = b"WS1";
        base[2] = b"CORP\\bob";
        base[3] = b"WmiPrvSE.exe";
        base[6] = b"rundll32.exe";
        base[8] = b"rundll32 url.dll,FileProtocolHandler \"x\"";
        let mut added: Vec<&[u8]> = vec![b""; ADDED_FIELDS.len()];
        added[0] = b"54";
        added[4] = b"process_name";
        (base, added)
    }

    #[test]
    fn csv_has_one_header_and_quoted_cells() {
        let (base, added) = sample();
        let mut out = Output::new(Format::Csv, Vec::new());
        out.write(&row(&base, &added)).unwrap();
        out.write(&row(&base, &added)).unwrap();
        out.finish().unwrap();
        let text = String::from_utf8(out.out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("source,_time,dest,user,"));
        assert!(lines[1].contains("\"rundll32 url.dll,FileProtocolHandler \"\"x\"\"\""));
    }

    #[test]
    fn json_lines_keep_field_order() {
        let (base, added) = sample();
        let mut out = Output::new(Format::Json, Vec::new());
        out.write(&row(&base, &added)).unwrap();
        let text = String::from_utf8(out.out).unwrap();
        assert!(
            text.starts_with(
                "{\"source\":\"f.xml:3\",\"_time\":\"1579034690.348\",\"dest\":\"WS1\""
            ),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["risk_score"], "54");
    }

    #[test]
    fn table_is_aligned() {
        let (base, added) = sample();
        let mut out = Output::new(Format::Table, Vec::new());
        out.write(&row(&base, &added)).unwrap();
        out.finish().unwrap();
        let text = String::from_utf8(out.out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with("2020-01-14 20:44:50  WS1"), "{text}");
        let col = |l: &str| l.find("WmiPrvSE").or_else(|| l.find("parent")).unwrap();
        assert_eq!(
            lines[0].chars().take(col(lines[0])).count(),
            lines[2].chars().take(col(lines[2])).count()
        );
    }
}
