//! `scan` output: an aligned table for people, CSV or JSON lines for tools.
//!
//! Every format gets the same fields: `source` (file:line), the CIM fields
//! in [`OUTPUT_FIELDS`] (with the process GUIDs, so a chain can be checked),
//! then the fields the search command adds (by default [`ADDED_FIELDS`];
//! see [`Output::with_added_fields`]) — without the `__mv_` companions,
//! which are the search protocol's encoding of multivalue fields: in CSV a
//! multivalue field's values are one cell, one per line, and in JSON the
//! annotation fields that can hold several values ([`MULTIVALUE`]) are
//! always arrays. The table reads the added fields it shows by name, never
//! by position, so fields inserted or appended there cannot shift its
//! columns.

use std::io::Write;

use crate::annotate::{CsvLine, ADDED_FIELDS};
use crate::layouts::builder::epoch_to_display;
use crate::rule::MatchReason;

/// Added fields that may hold several values (a lineage detection's
/// techniques): JSON arrays in `scan`'s JSON output.
pub const MULTIVALUE: [&str; 3] = [
    "annotations.mitre_attack",
    "annotations.mitre_attack.mitre_technique_id",
    "annotations.mitre_attack.mitre_technique",
];

/// CIM fields shown for each row, after `source`.
pub const OUTPUT_FIELDS: [&str; 14] = [
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
    "parent_process_guid",
    "process_guid",
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

/// One row to print: `source`, then [`OUTPUT_FIELDS`] values, then the
/// added fields' values (in the order of the [`Output`]'s added fields).
pub struct OutRow<'a> {
    /// `file:line`.
    pub source: &'a str,
    /// Values of [`OUTPUT_FIELDS`].
    pub base: &'a [&'a [u8]],
    /// Values of the added fields.
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
    /// Names of the added fields, in the order of [`OutRow::added`].
    added_names: Vec<&'static str>,
    /// Per added field: written (not an `__mv_` companion), and a JSON
    /// array.
    added_shown: Vec<(bool, bool)>,
    /// Where the table's added columns are in [`OutRow::added`].
    score_at: Option<usize>,
    reason_at: Option<usize>,
    path_at: Option<usize>,
    threat_at: Option<usize>,
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
const TABLE_MAX: [usize; 7] = [19, 28, 28, 60, 60, 21, 5];
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
    /// An output writing `format` to `out`; rows carry [`ADDED_FIELDS`].
    pub fn new(format: Format, out: W) -> Output<W> {
        Output::with_added_fields(format, ADDED_FIELDS.to_vec(), out)
    }

    /// An output whose rows carry the added fields `names`, in that order
    /// (for CSV and JSON headers; the table finds `risk_score` and
    /// `match_reason` among them by name).
    pub fn with_added_fields(format: Format, names: Vec<&'static str>, out: W) -> Output<W> {
        let at = |name: &str| names.iter().position(|n| *n == name);
        Output {
            format,
            out,
            line: CsvLine::default(),
            buf: Vec::new(),
            wrote_header: false,
            table: Vec::new(),
            score_at: at("risk_score"),
            reason_at: at("match_reason"),
            path_at: at("lineage_path"),
            threat_at: at("threat_object"),
            added_shown: names
                .iter()
                .map(|n| (!n.starts_with("__mv_"), MULTIVALUE.contains(n)))
                .collect(),
            added_names: names,
        }
    }

    /// Writes one row.
    pub fn write(&mut self, row: &OutRow<'_>) -> std::io::Result<()> {
        match self.format {
            Format::Csv => {
                self.buf.clear();
                let shown = &self.added_shown;
                if !self.wrote_header {
                    self.wrote_header = true;
                    let names = std::iter::once("source").chain(OUTPUT_FIELDS).chain(
                        self.added_names
                            .iter()
                            .zip(shown)
                            .filter(|(_, s)| s.0)
                            .map(|(n, _)| *n),
                    );
                    self.line.encode_into(names, &mut self.buf);
                    self.buf.push(b'\n');
                }
                let cells = std::iter::once(row.source.as_bytes())
                    .chain(row.base.iter().copied())
                    .chain(
                        row.added
                            .iter()
                            .zip(shown)
                            .filter(|(_, s)| s.0)
                            .map(|(v, _)| *v),
                    );
                self.line.encode_into(cells, &mut self.buf);
                self.buf.push(b'\n');
                self.out.write_all(&self.buf)
            }
            Format::Json => {
                self.buf.clear();
                self.buf.push(b'{');
                let plain = (true, false);
                let names = std::iter::once("source")
                    .chain(OUTPUT_FIELDS)
                    .chain(self.added_names.iter().copied());
                let values = std::iter::once(row.source.as_bytes())
                    .chain(row.base.iter().copied())
                    .chain(row.added.iter().copied());
                let shown = std::iter::repeat_n(&plain, 1 + OUTPUT_FIELDS.len())
                    .chain(self.added_shown.iter());
                let mut first = true;
                for ((name, value), (written, array)) in names.zip(values).zip(shown) {
                    if !written {
                        continue;
                    }
                    if !std::mem::take(&mut first) {
                        self.buf.push(b',');
                    }
                    serde_json::to_writer(&mut self.buf, name)?;
                    self.buf.push(b':');
                    let text = String::from_utf8_lossy(value);
                    if *array {
                        let items: Vec<&str> = if text.is_empty() {
                            Vec::new()
                        } else {
                            text.split('\n').collect()
                        };
                        serde_json::to_writer(&mut self.buf, &items)?;
                    } else {
                        serde_json::to_writer(&mut self.buf, &text)?;
                    }
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
                let added = |at: Option<usize>| {
                    at.and_then(|i| row.added.get(i))
                        .map_or(String::new(), |v| text(v))
                };
                let reason = added(self.reason_at);
                let score = added(self.score_at);
                let parent = get("parent_process_name");
                let child = get("process_name");
                let child = if reason == MatchReason::OriginalFileName.as_str() {
                    format!("{child} (= {})", get("original_file_name"))
                } else if child.is_empty() {
                    crate::rule::basename(get("process_path").as_bytes())
                        .iter()
                        .map(|&b| b as char)
                        .collect()
                } else {
                    child
                };
                // A lineage detection shows its chain; a launcher shows the
                // program its command line runs.
                let chain = match reason.as_str() {
                    "lineage" => added(self.path_at).replace(" > ", " → "),
                    "launcher_command_line" => {
                        format!("{parent} → {child} (runs {})", added(self.threat_at))
                    }
                    _ => format!("{parent} → {child}"),
                };
                let cells = [
                    epoch_to_display(&get("_time")),
                    get("dest"),
                    get("user"),
                    chain,
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

    /// A row's values: [`OUTPUT_FIELDS`], then [`ADDED_FIELDS`].
    type Values = (Vec<&'static [u8]>, Vec<&'static [u8]>);

    /// A row's values by field name.
    fn values(cim: &[(&str, &'static str)], added: &[(&str, &'static str)]) -> Values {
        let mut base: Vec<&[u8]> = vec![b""; OUTPUT_FIELDS.len()];
        for (name, value) in cim {
            let i = OUTPUT_FIELDS.iter().position(|f| f == name).unwrap();
            base[i] = value.as_bytes();
        }
        let mut add: Vec<&[u8]> = vec![b""; ADDED_FIELDS.len()];
        for (name, value) in added {
            let i = ADDED_FIELDS.iter().position(|f| f == name).unwrap();
            add[i] = value.as_bytes();
        }
        (base, add)
    }

    const HIT: [(&str, &str); 3] = [
        ("risk_score", "54"),
        ("threat_object", "rundll32.exe"),
        ("match_reason", "process_name"),
    ];

    fn sample() -> Values {
        values(
            &[
                ("_time", "1579034690.348"),
                ("dest", "WS1"),
                ("user", "CORP\\bob"),
                ("parent_process_name", "WmiPrvSE.exe"),
                ("process_name", "rundll32.exe"),
                ("process", "rundll32 url.dll,FileProtocolHandler \"x\""),
            ],
            &HIT,
        )
    }

    /// The table's data lines, each cut into its columns (two spaces or
    /// more apart).
    fn table_cells(out: Output<Vec<u8>>) -> Vec<Vec<String>> {
        let text = String::from_utf8(out.out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0].split("  ").filter(|c| !c.is_empty()).count(),
            7,
            "{text}"
        );
        lines[2..]
            .iter()
            .map(|l| {
                l.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect()
    }

    fn table(rows: &[Values]) -> Vec<Vec<String>> {
        let mut out = Output::new(Format::Table, Vec::new());
        for (base, added) in rows {
            out.write(&row(base, added)).unwrap();
        }
        out.finish().unwrap();
        table_cells(out)
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
        assert_eq!(v["match_reason"], "process_name");
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

    #[test]
    fn table_shows_every_column_of_a_detection_with_match_reason_not_threat_object() {
        assert_eq!(
            table(&[sample()]),
            [[
                "2020-01-14 20:44:50",
                "WS1",
                "CORP\\bob",
                "WmiPrvSE.exe → rundll32.exe",
                "rundll32 url.dll,FileProtocolHandler \"x\"",
                "process_name",
                "54",
            ]]
        );
    }

    #[test]
    fn table_shows_a_renamed_binary_with_its_original_name() {
        let renamed = values(
            &[
                ("_time", "1700000540"),
                ("dest", "host-1"),
                ("user", "EXAMPLE\\alice"),
                ("parent_process_name", "WmiPrvSE.exe"),
                ("process_name", "notavirus.exe"),
                ("process_path", "C:\\Users\\Public\\notavirus.exe"),
                ("process", "notavirus.exe http://x/a.hta"),
                ("original_file_name", "MSHTA.EXE"),
            ],
            &[
                ("risk_score", "54"),
                ("threat_object", "notavirus.exe"),
                ("match_reason", "original_file_name"),
            ],
        );
        assert_eq!(
            table(&[renamed]),
            [[
                "2023-11-14 22:22:20",
                "host-1",
                "EXAMPLE\\alice",
                "WmiPrvSE.exe → notavirus.exe (= MSHTA.EXE)",
                "notavirus.exe http://x/a.hta",
                "original_file_name",
                "54",
            ]]
        );
    }

    #[test]
    fn table_names_the_child_from_its_path_when_process_name_is_absent() {
        let by_path = values(
            &[
                ("parent_process_name", "WmiPrvSE.exe"),
                ("process_path", "C:\\Windows\\System32\\mshta.exe"),
                ("process", "mshta x"),
            ],
            &[("risk_score", "54"), ("match_reason", "process_path")],
        );
        assert_eq!(
            table(&[by_path]),
            [["WmiPrvSE.exe → mshta.exe", "mshta x", "process_path", "54"]]
        );
    }

    #[test]
    fn table_shows_a_dash_for_an_annotated_row_that_did_not_match() {
        let miss = values(
            &[
                ("_time", "1700000180"),
                ("dest", "host-1"),
                ("user", "alice"),
                ("parent_process_name", "WmiPrvSE.exe"),
                ("process_name", "powershell.exe"),
                ("process", "powershell -nop"),
            ],
            &[],
        );
        assert_eq!(
            table(&[miss]),
            [[
                "2023-11-14 22:16:20",
                "host-1",
                "alice",
                "WmiPrvSE.exe → powershell.exe",
                "powershell -nop",
                "-",
            ]]
        );
    }

    #[test]
    fn mv_companions_are_not_written_and_json_annotations_are_arrays() {
        let (base, _) = sample();
        let names = vec![
            "annotations.mitre_attack.mitre_technique_id",
            "__mv_annotations.mitre_attack.mitre_technique_id",
            "match_reason",
        ];
        let added: Vec<&[u8]> = vec![b"T1047\nT1059.003", b"$T1047$;$T1059.003$", b"lineage"];
        let mut out = Output::with_added_fields(Format::Csv, names.clone(), Vec::new());
        out.write(&row(&base, &added)).unwrap();
        let text = String::from_utf8(out.out).unwrap();
        assert!(
            !text.contains("__mv_") && !text.contains("$T1047$"),
            "{text}"
        );
        assert!(text.contains(",\"T1047\nT1059.003\",lineage\n"), "{text}");
        let mut out = Output::with_added_fields(Format::Json, names, Vec::new());
        out.write(&row(&base, &added)).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.out).unwrap();
        assert_eq!(
            v["annotations.mitre_attack.mitre_technique_id"],
            serde_json::json!(["T1047", "T1059.003"])
        );
        assert!(v
            .get("__mv_annotations.mitre_attack.mitre_technique_id")
            .is_none());
        assert_eq!(v["process_guid"], "");
    }

    #[test]
    fn table_reads_added_fields_by_name_whatever_their_order_or_number() {
        let (base, _) = sample();
        // Reordered, with one more field appended (as an option may add).
        let names = vec![
            "match_reason",
            "threat_object",
            "risk_score",
            "lineage_path",
        ];
        let added: Vec<&[u8]> = vec![b"process_name", b"rundll32.exe", b"54", b"a > b"];
        let mut out = Output::with_added_fields(Format::Table, names.clone(), Vec::new());
        out.write(&row(&base, &added)).unwrap();
        out.finish().unwrap();
        let cells = table_cells(out);
        assert_eq!(cells[0][5..], ["process_name", "54"]);

        let mut out = Output::with_added_fields(Format::Csv, names, Vec::new());
        out.write(&row(&base, &added)).unwrap();
        let text = String::from_utf8(out.out).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with("process_guid,match_reason,threat_object,risk_score,lineage_path"),
            "{text}"
        );
    }
}
