//! `wmilolbas scan`: the same detection on files, without Splunk.
//!
//! Inputs (format detected from the first byte, or forced):
//! * CSV with a header of CIM names, plain or `Processes.`-prefixed;
//! * JSON lines (CIM names or Windows/Sysmon event names);
//! * Sysmon/Security XML events as Splunk's `XmlWinEventLog` stores them.
//!
//! Every row — a CSV row, or an event mapped onto CIM by [`event`] — goes
//! through the same [`Rule`] and [`Annotator`] as the search command.

pub mod event;
pub mod jsonl;
pub mod output;
pub mod xml;

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use csv::ByteRecord;

use crate::annotate::Annotator;
use crate::error::{Error, Result};
use crate::options::{Mode, Options};
use crate::records::{FieldSet, Layout, RowView, Slot};
use crate::rule::catalog;
use crate::rule::Rule;
use event::{EventBuilder, EventKind};
use output::{Format, OutRow, Output, OUTPUT_FIELDS};

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
    /// JSON lines.
    Json,
    /// XML events.
    Xml,
}

impl InputFormat {
    /// Guesses from the first bytes: `<` XML, `{` JSON, else CSV.
    pub fn sniff(head: &[u8]) -> InputFormat {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') => InputFormat::Xml,
            Some(b'{') => InputFormat::Json,
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
}

struct Scanner<'w, W: Write> {
    mode: Mode,
    rule: Rule,
    annotator: Annotator,
    fields: FieldSet,
    out_slots: Vec<Slot>,
    output: Output<W>,
    summary: Summary,
    stderr: &'w mut dyn Write,
    strict_input: bool,
    progress: Option<Progress>,
}

struct Progress {
    started: Instant,
    last: Instant,
    shown: bool,
}

/// Stop reading (after `--strict-input` errors or a dead stdout).
struct Stop;

impl<'w, W: Write> Scanner<'w, W> {
    fn new(
        config: &ScanConfig,
        catalog: crate::rule::Catalog,
        stdout: W,
        stderr: &'w mut dyn Write,
    ) -> Self {
        let mut fields = FieldSet::new();
        let options = &config.options;
        let rule = Rule::new(options.strict, &options.parents, catalog, &mut fields);
        let annotator = Annotator::new(options, &mut fields);
        let out_slots = OUTPUT_FIELDS.iter().map(|f| fields.add(f)).collect();
        let now = Instant::now();
        Scanner {
            mode: options.mode,
            rule,
            annotator,
            fields,
            out_slots,
            output: Output::new(config.format, stdout),
            summary: Summary::default(),
            stderr,
            strict_input: config.strict_input,
            progress: config.progress.then_some(Progress {
                started: now,
                last: now,
                shown: false,
            }),
        }
    }

    /// Scans in-memory inputs; true when told to stop.
    fn scan_all_bytes(&mut self, inputs: &[(&str, &[u8])], forced: Option<InputFormat>) -> bool {
        for (name, bytes) in inputs {
            self.summary.files += 1;
            let count = CountHandle::default();
            if self
                .scan_input(name, BufReader::new(*bytes), forced, &count)
                .is_err()
            {
                return true;
            }
        }
        false
    }

    fn report(&mut self, err: &Error) -> std::result::Result<(), Stop> {
        self.summary.errors += 1;
        self.clear_progress();
        let _ = writeln!(self.stderr, "wmilolbas: {err}");
        if self.strict_input {
            Err(Stop)
        } else {
            Ok(())
        }
    }

    fn tick(&mut self, bytes: u64) {
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
            bytes as f64 / 1e6
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

    /// Matches one row and prints it when it is a detection (or always in
    /// annotate mode).
    fn row(
        &mut self,
        source: &str,
        line: u64,
        layout: &Layout,
        record: &ByteRecord,
    ) -> std::result::Result<(), Stop> {
        self.summary.processes += 1;
        let view = RowView::new(record, layout);
        let hit = self.rule.evaluate(&view);
        if hit.is_some() {
            self.summary.detections += 1;
        } else if self.mode == Mode::Filter {
            return Ok(());
        }
        let base: Vec<Cow<'_, [u8]>> = self
            .out_slots
            .iter()
            .map(|s| view.first_value(*s))
            .collect();
        let base: Vec<&[u8]> = base.iter().map(|c| &c[..]).collect();
        let added = self.annotator.values(&view, hit);
        let added: Vec<&[u8]> = added.iter().map(|c| &c[..]).collect();
        let source = format!("{source}:{line}");
        self.output
            .write(&OutRow {
                source: &source,
                base: &base,
                added: &added,
            })
            .map_err(|_| Stop) // stdout closed (e.g. `| head`): stop quietly
    }

    fn scan_input<R: BufRead>(
        &mut self,
        name: &str,
        mut input: R,
        forced: Option<InputFormat>,
        size: &CountHandle,
    ) -> std::result::Result<(), Stop> {
        let head = match input.fill_buf() {
            Ok(head) => head,
            Err(e) => return self.report(&Error::io(format!("cannot read {name}"), e)),
        };
        let format = forced.unwrap_or_else(|| InputFormat::sniff(head));
        // The csv reader places a record after a CRLF terminator at the
        // terminator's `\n`, one line early; correct line numbers for CRLF files.
        let crlf = memchr::memchr(b'\n', head).is_some_and(|i| i > 0 && head[i - 1] == b'\r');
        match format {
            InputFormat::Csv => self.scan_csv(name, input, size, u64::from(crlf)),
            InputFormat::Json => self.scan_json(name, input, size),
            InputFormat::Xml => self.scan_xml(name, input, size),
        }
    }

    fn scan_csv<R: BufRead>(
        &mut self,
        name: &str,
        input: R,
        size: &CountHandle,
        line_fix: u64,
    ) -> std::result::Result<(), Stop> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut header = ByteRecord::new();
        match reader.read_byte_record(&mut header) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => {
                return self.report(&input_error(
                    name,
                    1,
                    format!("cannot read the CSV header: {e}"),
                ))
            }
        }
        if let Some(first) = header.get(0) {
            if let Some(stripped) = first.strip_prefix(b"\xEF\xBB\xBF") {
                let mut fixed = ByteRecord::new();
                fixed.push_field(stripped);
                for f in header.iter().skip(1) {
                    fixed.push_field(f);
                }
                header = fixed;
            }
        }
        let layout = Layout::resolve(&self.fields, &header);
        let mut record = ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() + line_fix);
                    self.report(&input_error(name, line, format!("malformed CSV: {e}")))?;
                    return Ok(()); // the csv reader cannot resync
                }
            }
            self.summary.events += 1;
            let line = record.position().map_or(0, |p| p.line() + line_fix);
            self.row(name, line, &layout, &record)?;
            self.tick(size.get());
        }
    }

    fn scan_json<R: BufRead>(
        &mut self,
        name: &str,
        mut input: R,
        size: &CountHandle,
    ) -> std::result::Result<(), Stop> {
        let header = event::cim_header();
        let layout = Layout::resolve(&self.fields, &header);
        let mut event = EventBuilder::new();
        let mut record = ByteRecord::new();
        let mut line = Vec::new();
        let mut line_no = 0u64;
        loop {
            line.clear();
            match input
                .by_ref()
                .take(jsonl::MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
            {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => return self.report(&Error::io(format!("reading {name}"), e)),
            }
            line_no += 1;
            if line.len() > jsonl::MAX_LINE && line.last() != Some(&b'\n') {
                self.summary.events += 1;
                let msg = format!("line is longer than {} MiB; skipped", jsonl::MAX_LINE >> 20);
                self.report(&input_error(name, line_no, msg))?;
                // Skip the rest of the line without holding it.
                loop {
                    let (done, used) = match input.fill_buf() {
                        Ok([]) => (true, 0),
                        Ok(buf) => match memchr::memchr(b'\n', buf) {
                            Some(i) => (true, i + 1),
                            None => (false, buf.len()),
                        },
                        Err(e) => return self.report(&Error::io(format!("reading {name}"), e)),
                    };
                    input.consume(used);
                    if done {
                        break;
                    }
                }
                continue;
            }
            let text = trim_ascii(&line);
            if text.is_empty() {
                continue;
            }
            self.summary.events += 1;
            if let Err(e) = jsonl::load_line(text, &mut event) {
                self.report(&input_error(name, line_no, e.0))?;
                continue;
            }
            if event.finish(&mut record) == EventKind::ProcessCreation {
                self.row(name, line_no, &layout, &record)?;
            }
            self.tick(size.get());
        }
    }

    fn scan_xml<R: BufRead>(
        &mut self,
        name: &str,
        input: R,
        size: &CountHandle,
    ) -> std::result::Result<(), Stop> {
        let header = event::cim_header();
        let layout = Layout::resolve(&self.fields, &header);
        let mut event = EventBuilder::new();
        let mut record = ByteRecord::new();
        let mut splitter = xml::EventSplitter::new(input);
        loop {
            match splitter.next_event() {
                Ok(Some((line, bytes))) => {
                    self.summary.events += 1;
                    if let Err(message) = xml::load_event(&bytes, &mut event) {
                        self.report(&input_error(name, line, message))?;
                        continue;
                    }
                    if event.finish(&mut record) == EventKind::ProcessCreation {
                        self.row(name, line, &layout, &record)?;
                    }
                    self.tick(size.get());
                }
                Ok(None) => return Ok(()),
                Err(e) => return self.report(&input_error(name, e.line, e.message)),
            }
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}

fn input_error(path: &str, line: u64, message: String) -> Error {
    Error::input(crate::error::Position::line(path, line), message)
}

/// Counts bytes read through it (for progress).
struct Counting<R> {
    inner: R,
    count: CountHandle,
}

#[derive(Clone, Default)]
struct CountHandle(std::rc::Rc<std::cell::Cell<u64>>);

impl CountHandle {
    fn get(&self) -> u64 {
        self.0.get()
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.set(self.count.0.get() + n as u64);
        Ok(n)
    }
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
    let mut scanner = Scanner::new(config, catalog, stdout, stderr);
    scanner.scan_all_bytes(inputs, config.input_format);
    scanner.clear_progress();
    let _ = scanner.output.finish();
    Ok(scanner.summary)
}

/// Runs a scan; returns the summary. Problems with inputs are printed to
/// `stderr` as they happen and counted in [`Summary::errors`]. Errors that
/// stop everything (a bad catalog) are returned.
pub fn run<W: Write>(config: &ScanConfig, stdout: W, stderr: &mut dyn Write) -> Result<Summary> {
    let catalog = catalog::load(&config.options.catalog, None)?;
    let mut scanner = Scanner::new(config, catalog, stdout, stderr);
    let mut stopped = false;
    if config.files.is_empty() {
        stopped = scanner.scan_all_bytes(&SAMPLES, None); // formats known
    }
    for file in &config.files {
        if stopped {
            break;
        }
        let count = CountHandle::default();
        let result = if file == "-" {
            scanner.summary.files += 1;
            let stdin = std::io::stdin();
            let input = BufReader::with_capacity(
                1 << 16,
                Counting {
                    inner: stdin.lock(),
                    count: count.clone(),
                },
            );
            scanner.scan_input("-", input, config.input_format, &count)
        } else {
            match std::fs::File::open(PathBuf::from(file)) {
                Ok(f) => {
                    scanner.summary.files += 1;
                    let input = BufReader::with_capacity(
                        1 << 16,
                        Counting {
                            inner: f,
                            count: count.clone(),
                        },
                    );
                    scanner.scan_input(file, input, config.input_format, &count)
                }
                Err(e) => scanner.report(&Error::io(format!("cannot open {file}"), e)),
            }
        };
        stopped = result.is_err();
    }
    scanner.clear_progress();
    let _ = scanner.output.finish();
    Ok(scanner.summary)
}

/// The summary line printed on stderr.
pub fn summary_line(s: &Summary) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "wmilolbas scan: {}, {} read ({}), {}{}",
        plural(s.files, "file", "files"),
        plural(s.events, "event", "events"),
        plural(s.processes, "process creation", "process creations"),
        plural(s.detections, "detection", "detections"),
        if s.errors > 0 {
            format!(", {}", plural(s.errors, "error", "errors"))
        } else {
            String::new()
        }
    )
}
