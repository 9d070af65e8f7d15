//! `wmilolbas scan`: the same detection on files, without Splunk.
//!
//! Inputs (format detected from content, or forced; folders walked, see
//! [`inputs`]):
//! * Windows event logs (`.evtx`, [`evtx`]), rendered as XML by the `evtx`
//!   crate and mapped as XML events are;
//! * CSV and JSON (lines, arrays, pretty-printed documents, Elasticsearch,
//!   Azure and Splunk envelopes, syslog-wrapped lines: [`json`]) in any
//!   export layout [`crate::layouts`] knows;
//! * Sysmon/Security XML events as Splunk's `XmlWinEventLog` stores them.
//!
//! Text inputs may be gzip-compressed and UTF-8 or UTF-16 with a BOM; each
//! is opened and read once, so pipes and FIFOs work ([`decode`]).
//!
//! Each format is a [`read::Reader`] yielding records with their position;
//! one loop ([`pipeline::Detector::scan`]) maps every record onto CIM
//! through its layout's table, runs the same rule and annotator as the
//! search command, and reports; every input then goes through one rule
//! ([`report`]): no silent zeros. [`run`] cuts the inputs into units run
//! on every core and writes their results in input order.

mod chains;
pub mod decode;
pub mod evtx;
pub mod inputs;
pub mod json;
pub mod output;
mod parallel;
pub mod pipeline;
pub mod read;
pub mod report;
pub mod xml;

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::options::Options;
use crate::rule::catalog::{self, Catalog};
use inputs::{Input, Source, Units};
use output::{Format, Output};
use parallel::{run_units, CountHandle};
use pipeline::{Counts, Detector, Row, Sink, Stop};

/// The built-in sample: real Sysmon events (see `src/scan/samples/README.md`).
pub const SAMPLES: [(&str, &[u8]); 2] = [
    (
        "sample:sysmon_eid1_wmi_related.xml.log",
        include_bytes!("samples/sysmon_eid1_wmi_related.xml.log"),
    ),
    (
        "sample:sysmon_eid1_wmiprvse_lineage.jsonl",
        include_bytes!("samples/sysmon_eid1_wmiprvse_lineage.jsonl"),
    ),
];

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// CSV with a header.
    Csv,
    /// JSON: lines, arrays, documents (see [`json`]).
    Json,
    /// XML events.
    Xml,
    /// Windows event log files (`.evtx`).
    Evtx,
}

impl InputFormat {
    /// Guesses from the first bytes: `ElfFile\0` EVTX, a syslog line
    /// carrying JSON, `<` XML, `{` or `[` JSON, else CSV.
    pub fn sniff(head: &[u8]) -> InputFormat {
        if head.starts_with(evtx::MAGIC) {
            return InputFormat::Evtx;
        }
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let first = head.trim_ascii_start();
        let line = first.split(|&b| b == b'\n').next().unwrap_or_default();
        if json::syslog_json(line).is_some() {
            return InputFormat::Json;
        }
        match first.first() {
            Some(b'<') => InputFormat::Xml,
            Some(b'{' | b'[') => InputFormat::Json,
            _ => InputFormat::Csv,
        }
    }
}

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Files (`-` = stdin); empty = the built-in sample.
    pub files: Vec<String>,
    /// Forced input format.
    pub input_format: Option<InputFormat>,
    /// Output format.
    pub format: Format,
    /// Detection options (same as the search command).
    pub options: Options,
    /// Stop at the first malformed line.
    pub strict_input: bool,
    /// Show progress on stderr.
    pub progress: bool,
    /// The zone times without one are read in (`--timezone`); UTC when
    /// `None`.
    pub timezone: Option<crate::time::LocalZone>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Inputs opened.
    pub files: u64,
    /// Rows or events read.
    pub events: u64,
    /// Process-creation rows among them.
    pub processes: u64,
    /// Detections.
    pub detections: u64,
    /// Problems reported.
    pub errors: u64,
    /// Files a folder walk passed over: not read (not ours, a refused
    /// format), or read and holding no process creations.
    pub passed_over: u64,
    /// With `--lineage`: the detections lineage found (counted in
    /// `detections` too).
    pub lineage: Option<u64>,
}

/// Writes what the readers produce: rows to stdout, problems and progress
/// to stderr, counts into the summary.
struct Writer<'w, W: Write> {
    output: Output<W>,
    summary: Summary,
    stderr: &'w mut dyn Write,
    strict_input: bool,
    progress: Option<Progress>,
    /// Bytes read so far (for progress).
    bytes: CountHandle,
    /// With `--lineage`: the one process tree of the run.
    lineage: Option<chains::ScanLineage>,
    /// Times present but unreadable, and times read without a zone, over
    /// every input.
    notes: crate::notes::FieldNotes,
    /// What the input being written held so far (its units' tallies).
    tally: report::Tally,
}

struct Progress {
    started: Instant,
    last: Instant,
    shown: bool,
}

impl<'w, W: Write> Writer<'w, W> {
    fn new(config: &ScanConfig, catalog: &Catalog, stdout: W, stderr: &'w mut dyn Write) -> Self {
        let now = Instant::now();
        let lineage = config
            .options
            .lineage
            .then(|| chains::ScanLineage::new(config, catalog.clone()));
        let added = crate::annotate::added_fields(config.options.lineage);
        Writer {
            output: Output::with_added_fields(config.format, added, stdout),
            summary: Summary {
                lineage: lineage.as_ref().map(|_| 0),
                ..Summary::default()
            },
            stderr,
            strict_input: config.strict_input,
            progress: config.progress.then_some(Progress {
                started: now,
                last: now,
                shown: false,
            }),
            bytes: CountHandle::default(),
            lineage,
            notes: crate::notes::FieldNotes::default(),
            tally: report::Tally::default(),
        }
    }

    /// Prints rows lineage settled; counts its detections.
    fn print(&mut self, rows: Vec<(Row, bool)>) -> std::result::Result<(), Stop> {
        for (row, lineage) in rows {
            if lineage {
                self.summary.detections += 1;
                if let Some(n) = self.summary.lineage.as_mut() {
                    *n += 1;
                }
            }
            self.row(row)?;
        }
        Ok(())
    }

    fn tick(&mut self) {
        let Some(p) = self.progress.as_mut() else {
            return;
        };
        let now = Instant::now();
        if now.duration_since(p.last) < Duration::from_millis(250)
            || now.duration_since(p.started) < Duration::from_millis(500)
        {
            return;
        }
        p.last = now;
        p.shown = true;
        let _ = write!(
            self.stderr,
            "\r\x1b[Kscanning: {} events, {} detections, {:.1} MB",
            self.summary.events,
            self.summary.detections,
            self.bytes.get() as f64 / 1e6
        );
    }

    fn clear_progress(&mut self) {
        if let Some(p) = self.progress.as_mut() {
            if p.shown {
                let _ = write!(self.stderr, "\r\x1b[K");
                p.shown = false;
            }
        }
    }

    /// Shows a line that is not a problem (not counted as an error).
    fn note(&mut self, note: &str) {
        self.clear_progress();
        let _ = writeln!(self.stderr, "wmilolbas: {note}");
    }

    /// An input has been read: the rule of [`report`] on what it held
    /// (`walked`: a folder walk found it).
    fn end_of_input(&mut self, name: &str, walked: bool) -> std::result::Result<(), Stop> {
        let tally = std::mem::take(&mut self.tally);
        for said in report::verdict(name, &tally, walked) {
            match said {
                report::Said::Error(e) => self.error(e)?,
                report::Said::Note(n) => self.note(&n),
                report::Said::PassedOver(n) => {
                    self.summary.passed_over += 1;
                    self.note(&n);
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Summary {
        self.clear_progress();
        for (kind, text) in self.notes.sentences() {
            let line = match kind {
                crate::notes::NoteKind::Unreadable => {
                    format!("times present but not readable were left empty: {text}")
                }
                crate::notes::NoteKind::ZonelessUtc => format!(
                    "times without a zone were read as UTC (give --timezone with the hosts' zone if they are local times): {text}"
                ),
                crate::notes::NoteKind::ZonelessLocal => {
                    format!("times without a zone were read in the --timezone zone: {text}")
                }
            };
            let _ = writeln!(self.stderr, "wmilolbas: {line}");
        }
        if let Some(mut lineage) = self.lineage.take() {
            let rows = lineage.finish();
            let _ = self.print(rows);
            for (_, line) in lineage.summary() {
                let _ = writeln!(self.stderr, "wmilolbas: {line}");
            }
        }
        let _ = self.output.finish();
        self.summary
    }
}

impl<W: Write> Sink for Writer<'_, W> {
    fn counts(&mut self, counts: Counts) -> std::result::Result<(), Stop> {
        self.summary.events += counts.events;
        self.summary.processes += counts.processes;
        self.summary.detections += counts.detections;
        self.tick();
        Ok(())
    }

    fn notes(&mut self, notes: crate::notes::FieldNotes) -> std::result::Result<(), Stop> {
        self.notes.merge(&notes);
        Ok(())
    }

    fn tally(&mut self, tally: report::Tally) -> std::result::Result<(), Stop> {
        self.tally.merge(tally);
        Ok(())
    }

    fn row(&mut self, row: Row) -> std::result::Result<(), Stop> {
        // stdout closed (e.g. `| head`): stop quietly.
        row.write_to(&mut self.output).map_err(|_| Stop)
    }

    fn lineage(&mut self, row: Box<pipeline::LineageRow>) -> std::result::Result<(), Stop> {
        let (rows, caps) = match self.lineage.as_mut() {
            Some(lineage) => {
                let rows = lineage.observe(row);
                (rows, lineage.caps_reached())
            }
            None => (
                row.row.into_iter().map(|r| (r, false)).collect(),
                Vec::new(),
            ),
        };
        for line in caps {
            self.note(&line);
        }
        self.print(rows)
    }

    fn error(&mut self, err: Error) -> std::result::Result<(), Stop> {
        self.summary.errors += 1;
        self.clear_progress();
        let _ = writeln!(self.stderr, "wmilolbas: {err}");
        if self.strict_input {
            Err(Stop)
        } else {
            Ok(())
        }
    }
}

/// Scans one decoded input in `format` (chosen from `head`, its first
/// bytes) through the detector's loop.
fn scan_input<R: BufRead>(
    detector: &Detector,
    name: &str,
    input: R,
    head: &[u8],
    format: InputFormat,
    sink: &mut dyn Sink,
) -> std::result::Result<(), Stop> {
    match format {
        InputFormat::Csv => detector.scan(name, &mut read::CsvReader::new(name, input, head), sink),
        InputFormat::Json => {
            detector.scan(name, &mut json::JsonReader::new(name, input, head), sink)
        }
        InputFormat::Xml => detector.scan(name, &mut read::XmlReader::new(name, input), sink),
        // Refused when the input was planned; never reaches here.
        InputFormat::Evtx => sink.error(evtx::error(
            name,
            None,
            None,
            "an EVTX log must be a regular file".into(),
        )),
    }
}

pub(crate) fn input_error(path: &str, line: u64, message: String) -> Error {
    Error::input(
        crate::error::Position::input(path, crate::error::InputAt::Line(line)),
        message,
    )
}

/// Runs the detection over in-memory inputs (name, bytes) instead of
/// `config.files`: for embedding and fuzzing.
pub fn run_on_bytes<W: Write>(
    config: &ScanConfig,
    inputs: &[(&str, &[u8])],
    stdout: W,
    stderr: &mut dyn Write,
) -> Result<Summary> {
    let catalog = catalog::load(&config.options.catalog, None)?;
    let mut writer = Writer::new(config, &catalog, stdout, stderr);
    let inputs = bytes_inputs(inputs, config.input_format);
    let units = Units::new(inputs, writer.bytes.clone());
    run_units(config, &catalog, units, &mut writer);
    Ok(writer.finish())
}

fn bytes_inputs<'a>(
    inputs: &[(&str, &'a [u8])],
    forced: Option<InputFormat>,
) -> Vec<Result<Input<'a>>> {
    inputs
        .iter()
        .map(|(name, bytes)| {
            Ok(Input {
                name: name.to_string(),
                source: Source::Bytes(bytes),
                forced,
                walked: false,
            })
        })
        .collect()
}

/// Runs a scan; returns the summary. Problems with inputs are printed to
/// `stderr` as they happen and counted in [`Summary::errors`]. Errors that
/// stop everything (a bad catalog) are returned.
pub fn run<W: Write>(config: &ScanConfig, stdout: W, stderr: &mut dyn Write) -> Result<Summary> {
    let catalog = catalog::load(&config.options.catalog, None)?;
    let mut writer = Writer::new(config, &catalog, stdout, stderr);
    let inputs = if config.files.is_empty() {
        bytes_inputs(&SAMPLES, None) // formats known
    } else {
        inputs::expand(&config.files, config.input_format)
    };
    let units = Units::new(inputs, writer.bytes.clone());
    run_units(config, &catalog, units, &mut writer);
    Ok(writer.finish())
}

/// The summary line printed on stderr.
pub fn summary_line(s: &Summary) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "wmilolbas scan: {}, {} read ({}), {}{}{}{}",
        plural(s.files, "file", "files"),
        plural(s.events, "event", "events"),
        plural(s.processes, "process creation", "process creations"),
        plural(s.detections, "detection", "detections"),
        match s.lineage {
            Some(n) => format!(" ({n} through a shell)"),
            None => String::new(),
        },
        if s.errors > 0 {
            format!(", {}", plural(s.errors, "error", "errors"))
        } else {
            String::new()
        },
        if s.passed_over > 0 {
            format!("; {} passed over", plural(s.passed_over, "file", "files"))
        } else {
            String::new()
        }
    )
}
