//! `| wmilolbas`: the search command that ties the protocol, the records, the
//! rule and the annotator together.
//!
//! # The hot path ([`Transform::process`])
//!
//! One execute body (CSV) in, one reply body out. It is shaped by four
//! observations:
//!
//! * most rows cannot match: every detection needs a parent name in the row,
//!   so rows whose bytes do not contain one are never parsed. One SIMD pass
//!   over the body ([`Scanner`]: AVX2, SSE2 or NEON, chosen at run time)
//!   cuts it into rows and flags the rows holding a parent name
//!   ([`Prefilter`]); only flagged rows are split into one reused
//!   `ByteRecord` ([`split_canonical`], as the `csv` crate would read them);
//! * the reply's header needs the body's byte length, so the reply is built
//!   in one reused `Vec` anyway — rows are appended to it, never collected;
//! * a passed-through row must come back byte for byte, and the cheapest
//!   exact copy is the row's own bytes: a row whose quoting is canonical and
//!   whose field count is the header's is copied from the input and only the
//!   added cells are encoded (the terminator becomes `\n`). Anything else — a
//!   stray quote, a short row, a header that already has one of our field
//!   names — is parsed and re-encoded with the `csv` writer;
//! * columns are looked up once per header ([`Layout`]); a parsed row is
//!   matched by comparing bytes, so matching allocates nothing.
//!
//! Bodies the row scanner does not handle (a `\r` terminator, a quote left open, a
//! header with our field names, parent names with `"` or `$`) take the
//! full-parse path: every row through the `csv` reader. Both paths emit
//! rows through the same code and give the same bytes.

use std::borrow::Cow;
use std::path::PathBuf;

use csv::ByteRecord;

use crate::annotate::{Annotator, CsvLine, ADDED_FIELDS};
use crate::error::{Error, Location, Result};
use crate::options::{CatalogChoice, Mode, Options};
use crate::protocol::message::{GetInfo, Message};
use crate::protocol::session::Command;
use crate::records::simd::Isa;
use crate::records::spans::{
    canonical_quoting, ends_inside_quotes, split_canonical, Scanner, Span,
};
use crate::records::{FieldSet, Layout, RowView, MV_PREFIX};
use crate::rule::catalog::{self, Catalog};
use crate::rule::prefilter::Prefilter;
use crate::rule::Rule;

/// The getinfo `type` the command declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandType {
    /// May run on indexers (distributable streaming).
    Streaming,
    /// Search head only (Splunk Cloud-safe package).
    Stateful,
}

impl CommandType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandType::Streaming => "streaming",
            CommandType::Stateful => "stateful",
        }
    }
}

/// Most rows one execute body may hold. splunkd sends at most
/// `maxresultrows` (limits.conf, 50,000 by default) per chunk; the cap keeps
/// a hostile body of tiny rows from growing an annotated reply (about 350
/// added bytes a row) far beyond what arrived.
pub const MAX_ROWS_PER_CHUNK: u64 = 1_000_000;

fn too_many_rows(chunk: u64) -> Error {
    Error::Body {
        location: Location { chunk, row: MAX_ROWS_PER_CHUNK + 1, field: None },
        message: format!(
            "more than {MAX_ROWS_PER_CHUNK} rows in one chunk; splunkd sends at most maxresultrows (50,000 by default) per chunk"
        ),
    }
}

/// Counts from one body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BodyStats {
    /// Data rows read.
    pub rows: u64,
    /// Rows that matched.
    pub hits: u64,
    /// Rows written.
    pub rows_out: u64,
    /// The header had a parent field (plain or prefixed).
    pub parent_fields: bool,
    /// The header had a child field.
    pub child_fields: bool,
}

/// The body transform: CSV rows in, matching (or all, annotated) rows out.
pub struct Transform {
    mode: Mode,
    fields: FieldSet,
    rule: Rule,
    annotator: Annotator,
    prefilter: Option<Prefilter>,
    header: ByteRecord,
    record: ByteRecord,
    line: CsvLine,
    spans: Vec<Span>,
}

/// Per-body output state shared by both paths.
struct Emit<'b> {
    chunk: u64,
    header_raw: &'b [u8],
    header_written: bool,
    width: usize,
    short_rows: (u64, u64),
    /// Where the first returned invalid UTF-8 is.
    bad_utf8: Option<Location>,
}

/// Loads the catalog an option set asks for.
pub fn load_catalog(options: &Options, app_dir: Option<&std::path::Path>) -> Result<Catalog> {
    match &options.catalog {
        CatalogChoice::Escu => Ok(Catalog::escu()),
        CatalogChoice::Lookup(name) => {
            let path = catalog::lookup_path(app_dir, name)?;
            Catalog::from_path(&path, name)
        }
        CatalogChoice::File(path) => Catalog::from_path(path, &path.display().to_string()),
    }
}

impl Transform {
    /// Compiles the rule and annotator for `options`.
    pub fn new(options: &Options, catalog: Catalog) -> Transform {
        let mut fields = FieldSet::new();
        let rule = Rule::new(options.strict, &options.parents, catalog, &mut fields);
        let annotator = Annotator::new(options, &mut fields);
        Transform {
            mode: options.mode,
            fields,
            rule,
            annotator,
            prefilter: Prefilter::new(&options.parents),
            header: ByteRecord::new(),
            record: ByteRecord::new(),
            line: CsvLine::default(),
            spans: Vec::new(),
        }
    }

    /// Processes one CSV body into `out` (appending). Empty output when no
    /// row is written. `chunk` is used in error positions and warnings.
    pub fn process(
        &mut self,
        chunk: u64,
        body: &[u8],
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<BodyStats> {
        if body.is_empty() {
            return Ok(BodyStats::default());
        }
        if self.prefilter.is_some() {
            let (out_len, msg_len) = (out.len(), messages.len());
            if let Some(stats) = self.process_scanned(chunk, body, out, messages)? {
                return Ok(stats);
            }
            // The scanner declined this body: parse it all instead.
            out.truncate(out_len);
            messages.truncate(msg_len);
        }
        self.process_parsed(chunk, body, out, messages)
    }

    /// The fast path: row spans + prefilter. Only candidate rows — and, in
    /// annotate mode, rows whose field count differs from the header's — are
    /// parsed. `Ok(None)` when the body needs the full-parse path.
    fn process_scanned(
        &mut self,
        chunk: u64,
        body: &[u8],
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<Option<BodyStats>> {
        let mut stats = BodyStats::default();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1024)
            .from_reader(body);
        if !reader
            .read_byte_record(&mut self.header)
            .map_err(|e| csv_error(chunk, 0, e))?
        {
            return Ok(Some(stats)); // only blank lines
        }
        let header_end = reader.position().byte() as usize;
        let header_raw = raw_slice(body, &self.header, header_end as u64);
        let collisions = Collisions::find(&self.header);
        if !collisions.is_empty() || !canonical_quoting(header_raw) {
            return Ok(None);
        }
        let layout = Layout::resolve(&self.fields, &self.header);
        stats.note_header(&layout, &self.rule);
        let mut emit = Emit::new(chunk, header_raw, layout.width());
        let anchors = self.prefilter.as_ref().map(|p| p.anchors(body, header_end));
        let filter = self.mode == Mode::Filter;
        let scanner = Scanner::new(body, header_end, !filter, anchors, Isa::current());
        let mut batch = std::mem::take(&mut self.spans);
        let scanned = self.scan_rows(
            scanner,
            &mut batch,
            body,
            &mut emit,
            &layout,
            &collisions,
            out,
            &mut stats,
        );
        self.spans = batch; // keep the allocation for the next body
        if scanned? {
            emit.finish(messages);
            Ok(Some(stats))
        } else {
            Ok(None)
        }
    }

    /// The row loop of the fast path; false when the scanner declined the
    /// body (not canonical LF CSV) and the full-parse path must decide.
    #[allow(clippy::too_many_arguments)]
    fn scan_rows(
        &mut self,
        mut scanner: Scanner<'_>,
        batch: &mut Vec<Span>,
        body: &[u8],
        emit: &mut Emit<'_>,
        layout: &Layout,
        collisions: &Collisions,
        out: &mut Vec<u8>,
        stats: &mut BodyStats,
    ) -> Result<bool> {
        let filter = self.mode == Mode::Filter;
        let mut unescaped = Vec::new();
        loop {
            match scanner.fill(batch) {
                Ok(true) => {}
                Ok(false) => return Ok(true),
                Err(_) => return Ok(false),
            }
            for span in batch.iter() {
                stats.rows += 1;
                if stats.rows > MAX_ROWS_PER_CHUNK {
                    return Err(too_many_rows(emit.chunk));
                }
                let raw = &body[span.start..span.end];
                if !span.candidate {
                    if filter {
                        continue; // cannot match: not parsed
                    }
                    if span.fields == emit.width {
                        emit.check_utf8(raw, stats.rows);
                        write_header(
                            emit,
                            collisions,
                            &self.header,
                            &self.annotator,
                            &mut self.line,
                            out,
                        );
                        out.extend_from_slice(raw);
                        self.annotator.write_miss(out);
                        out.push(b'\n');
                        stats.rows_out += 1;
                        continue;
                    }
                }
                // The scanner accepted the row's quoting: split it as csv would.
                split_canonical(raw, &mut self.record, &mut unescaped);
                self.emit_parsed(emit, layout, collisions, raw, stats.rows, out, stats)?;
            }
        }
    }

    /// The full-parse path alone: every row through the `csv` reader.
    /// [`Transform::process`] gives the same result; this exists so tests and
    /// fuzzers can compare the two.
    pub fn process_parsed(
        &mut self,
        chunk: u64,
        body: &[u8],
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<BodyStats> {
        let mut stats = BodyStats::default();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body);
        if !reader
            .read_byte_record(&mut self.header)
            .map_err(|e| csv_error(chunk, 0, e))?
        {
            return Ok(stats); // only blank lines
        }
        let header_raw = raw_slice(body, &self.header, reader.position().byte());
        let layout = Layout::resolve(&self.fields, &self.header);
        stats.note_header(&layout, &self.rule);
        let collisions = Collisions::find(&self.header);
        let mut emit = Emit::new(chunk, header_raw, layout.width());
        loop {
            if !reader
                .read_byte_record(&mut self.record)
                .map_err(|e| csv_error(chunk, stats.rows + 1, e))?
            {
                break;
            }
            stats.rows += 1;
            if stats.rows > MAX_ROWS_PER_CHUNK {
                return Err(too_many_rows(chunk));
            }
            let raw = raw_slice(body, &self.record, reader.position().byte());
            self.emit_parsed(
                &mut emit,
                &layout,
                &collisions,
                raw,
                stats.rows,
                out,
                &mut stats,
            )?;
        }
        emit.finish(messages);
        if ends_inside_quotes(body) {
            messages.push(Message::warn(format!(
                "wmilolbas: chunk {chunk}: the body ends inside a quoted field (a quote is never closed); row {} ran to the end of the body",
                stats.rows
            )));
        }
        Ok(stats)
    }

    /// Matches the parsed row in `self.record` and writes it if it is
    /// returned (a detection, or any row in annotate mode).
    #[allow(clippy::too_many_arguments)]
    fn emit_parsed(
        &mut self,
        emit: &mut Emit<'_>,
        layout: &Layout,
        collisions: &Collisions,
        raw: &[u8],
        row: u64,
        out: &mut Vec<u8>,
        stats: &mut BodyStats,
    ) -> Result<()> {
        let view = RowView::new(&self.record, layout);
        let hit = self.rule.evaluate(&view);
        if hit.is_some() {
            stats.hits += 1;
        } else if self.mode == Mode::Filter {
            return Ok(());
        }
        let width = emit.width;
        if self.record.len() > width {
            return Err(Error::Body {
                location: Location { chunk: emit.chunk, row, field: None },
                message: format!(
                    "row has {} fields but the header has {width}; the extra values have no field name",
                    self.record.len()
                ),
            });
        }
        let short = self.record.len() < width;
        if short {
            emit.short_rows.0 += 1;
            if emit.short_rows.1 == 0 {
                emit.short_rows.1 = row;
            }
        }
        emit.check_utf8(raw, row);
        write_header(
            emit,
            collisions,
            &self.header,
            &self.annotator,
            &mut self.line,
            out,
        );
        if !short && collisions.is_empty() && canonical_quoting(raw) {
            // The row's own bytes, then the added cells.
            out.extend_from_slice(raw);
            match hit {
                Some(reason) => self.annotator.write_hit(&view, reason, out),
                None => self.annotator.write_miss(out),
            }
        } else {
            let added = self.annotator.values(&view, hit);
            let cells = collisions.row(&self.record, width, &added);
            self.line.encode_into(cells.iter().map(|c| &c[..]), out);
        }
        out.push(b'\n');
        stats.rows_out += 1;
        Ok(())
    }
}

impl BodyStats {
    fn note_header(&mut self, layout: &Layout, rule: &Rule) {
        let [pn, pp] = rule.parent_slots();
        self.parent_fields = layout.has(pn) || layout.has(pp);
        self.child_fields = rule.child_slots().iter().any(|s| layout.has(*s));
    }
}

impl<'b> Emit<'b> {
    fn new(chunk: u64, header_raw: &'b [u8], width: usize) -> Emit<'b> {
        Emit {
            chunk,
            header_raw,
            header_written: false,
            width,
            short_rows: (0, 0),
            bad_utf8: None,
        }
    }

    /// Notes the first returned row (0 = header) holding invalid UTF-8, and
    /// which field it is in (parsed only then: this is the rare case).
    fn check_utf8(&mut self, raw: &[u8], row: u64) {
        if self.bad_utf8.is_some() || std::str::from_utf8(raw).is_ok() {
            return;
        }
        let first = |bytes: &[u8]| {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes);
            let mut rec = ByteRecord::new();
            r.read_byte_record(&mut rec).ok().map(|_| rec)
        };
        let field = first(raw).and_then(|cells| {
            let i = cells.iter().position(|c| std::str::from_utf8(c).is_err())?;
            let name = first(self.header_raw).and_then(|h| h.get(i).map(<[u8]>::to_vec));
            Some(match name {
                Some(n) if row > 0 => String::from_utf8_lossy(&n).into_owned(),
                _ => format!("#{}", i + 1),
            })
        });
        self.bad_utf8 = Some(Location {
            chunk: self.chunk,
            row,
            field,
        });
    }

    fn finish(&self, messages: &mut Vec<Message>) {
        let chunk = self.chunk;
        if let Some(at) = &self.bad_utf8 {
            messages.push(Message::warn(format!(
                "wmilolbas: {at}: invalid UTF-8; the bytes were passed through unchanged"
            )));
        }
        if self.short_rows.0 > 0 {
            messages.push(Message::warn(format!(
                "wmilolbas: chunk {chunk}: {} row(s) had fewer fields than the header (first: row {}); the missing fields were left empty",
                self.short_rows.0, self.short_rows.1
            )));
        }
    }
}

/// Writes the reply's header line before the first row.
fn write_header(
    emit: &mut Emit<'_>,
    collisions: &Collisions,
    header: &ByteRecord,
    annotator: &Annotator,
    line: &mut CsvLine,
    out: &mut Vec<u8>,
) {
    if emit.header_written {
        return;
    }
    emit.header_written = true;
    emit.check_utf8(emit.header_raw, 0);
    if collisions.is_empty() && canonical_quoting(emit.header_raw) {
        out.extend_from_slice(emit.header_raw);
        out.extend_from_slice(annotator.header_suffix());
    } else {
        let names = collisions.header(header);
        line.encode_into(names.iter().map(|n| &n[..]), out);
    }
    out.push(b'\n');
}

fn csv_error(chunk: u64, row: u64, e: csv::Error) -> Error {
    Error::Body {
        location: Location {
            chunk,
            row,
            field: None,
        },
        message: format!("cannot read CSV: {e}"),
    }
}

/// The bytes of a record in `body`, without the blank lines the reader
/// skipped before it and without its terminator. Records never start or
/// end with CR/LF outside quotes, so trimming them is exact.
fn raw_slice<'b>(body: &'b [u8], record: &ByteRecord, end: u64) -> &'b [u8] {
    let start = record.position().map_or(0, |p| p.byte()) as usize;
    let end = (end as usize).min(body.len());
    let slice = body.get(start..end).unwrap_or(&[]);
    let first = slice
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(slice.len());
    let last = slice
        .iter()
        .rposition(|&b| b != b'\r' && b != b'\n')
        .map_or(first, |i| i + 1);
    &slice[first..last.max(first)]
}

/// Input columns that already carry one of our field names (running the
/// command twice, or an upstream `eval risk_score=…`). Their values are
/// replaced, their `__mv_` companions blanked, instead of writing a second
/// column of the same name.
struct Collisions {
    /// For each added field, the input column it replaces.
    replace: [Option<usize>; ADDED_FIELDS.len()],
    /// Input `__mv_` columns of replaced fields.
    blank: Vec<usize>,
}

impl Collisions {
    fn find(header: &ByteRecord) -> Collisions {
        let mut replace = [None; ADDED_FIELDS.len()];
        let mut blank = Vec::new();
        for (k, name) in ADDED_FIELDS.iter().enumerate() {
            replace[k] = header.iter().position(|h| h == name.as_bytes());
            if replace[k].is_some() {
                let mv = format!("{MV_PREFIX}{name}");
                blank.extend(header.iter().position(|h| h == mv.as_bytes()));
            }
        }
        Collisions { replace, blank }
    }

    fn is_empty(&self) -> bool {
        self.replace.iter().all(Option::is_none)
    }

    fn header<'h>(&self, header: &'h ByteRecord) -> Vec<&'h [u8]> {
        let mut names: Vec<&[u8]> = header.iter().collect();
        for (k, name) in ADDED_FIELDS.iter().enumerate() {
            if self.replace[k].is_none() {
                names.push(name.as_bytes());
            }
        }
        names
    }

    fn row<'r>(
        &self,
        record: &'r ByteRecord,
        width: usize,
        added: &'r [Cow<'r, [u8]>],
    ) -> Vec<&'r [u8]> {
        let mut cells: Vec<&[u8]> = (0..width).map(|i| record.get(i).unwrap_or(b"")).collect();
        for &i in &self.blank {
            cells[i] = b"";
        }
        for (k, value) in added.iter().enumerate() {
            match self.replace[k] {
                Some(i) => cells[i] = value,
                None => cells.push(value),
            }
        }
        cells
    }
}

/// The SCPv2 command: options from getinfo, then one [`Transform`] per
/// session.
pub struct SearchCommand {
    kind: CommandType,
    app_dir: Option<PathBuf>,
    transform: Option<Transform>,
    rows: u64,
    parent_fields: bool,
    child_fields: bool,
}

impl SearchCommand {
    /// A command that declares `kind` and finds lookups under `app_dir`.
    pub fn new(kind: CommandType, app_dir: Option<PathBuf>) -> SearchCommand {
        SearchCommand {
            kind,
            app_dir,
            transform: None,
            rows: 0,
            parent_fields: false,
            child_fields: false,
        }
    }
}

impl Command for SearchCommand {
    fn getinfo(&mut self, info: &GetInfo, _messages: &mut Vec<Message>) -> Result<&'static str> {
        let options = Options::from_args(&info.search_info.args)?;
        let catalog = load_catalog(&options, self.app_dir.as_deref())?;
        self.transform = Some(Transform::new(&options, catalog));
        Ok(self.kind.as_str())
    }

    fn execute(
        &mut self,
        chunk: u64,
        _finished: bool,
        body: &[u8],
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<()> {
        let Some(transform) = self.transform.as_mut() else {
            return Err(Error::Request {
                chunk,
                message: "execute before a successful getinfo".into(),
            });
        };
        let stats = transform.process(chunk, body, out, messages)?;
        if stats.rows > 0 {
            self.rows += stats.rows;
            self.parent_fields |= stats.parent_fields;
            self.child_fields |= stats.child_fields;
        }
        Ok(())
    }

    fn finish(&mut self, messages: &mut Vec<Message>) {
        if self.rows == 0 {
            return;
        }
        let mut missing = Vec::new();
        if !self.parent_fields {
            missing.push("parent_process_name or parent_process_path");
        }
        if !self.child_fields {
            missing.push("process_name, process_path or original_file_name");
        }
        if !missing.is_empty() {
            messages.push(Message::warn(format!(
                "wmilolbas: none of the {} input rows had the fields {} (plain or Processes.-prefixed), so none could match. \
                 Feed it Endpoint.Processes rows, for example: | tstats summariesonly=false count from datamodel=Endpoint.Processes \
                 by Processes.dest Processes.user Processes.parent_process_name Processes.parent_process_path \
                 Processes.process_name Processes.process_path Processes.original_file_name Processes.process | wmilolbas",
                self.rows,
                missing.join(", nor ")
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn transform(args: &[&str]) -> Transform {
        let options =
            Options::from_args(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        Transform::new(&options, Catalog::escu())
    }

    fn run(args: &[&str], body: &str) -> (String, BodyStats, Vec<Message>) {
        let mut t = transform(args);
        let mut out = Vec::new();
        let mut msgs = Vec::new();
        let stats = t.process(3, body.as_bytes(), &mut out, &mut msgs).unwrap();
        (String::from_utf8(out).unwrap(), stats, msgs)
    }

    const SUFFIX: &str = ",system,process_name,95a455f0-4c04-11ec-b8ac-3e22fbd008af,Wmiprsve LOLBAS Execution Process Spawn,\
        Active Directory Lateral Movement,T1047,T1047,Windows Management Instrumentation,TA0002,Execution,Installation,DE.CM,CIS 10";

    fn header_suffix() -> String {
        format!(",{}", ADDED_FIELDS.join(","))
    }

    #[test]
    fn filter_mode_returns_hits_with_their_bytes_unchanged() {
        let body = "\"dest\",\"parent_process_name\",\"process_name\",\"__mv_dest\"\n\
                    \"h1\",\"WmiPrvSE.exe\",\"rundll32.exe\",\n\
                    \"h2\",\"explorer.exe\",\"rundll32.exe\",\n";
        let (out, stats, msgs) = run(&[], body);
        assert_eq!(
            stats,
            BodyStats {
                rows: 2,
                hits: 1,
                rows_out: 1,
                parent_fields: true,
                child_fields: true
            }
        );
        assert!(msgs.is_empty());
        assert_eq!(
            out,
            format!(
                "\"dest\",\"parent_process_name\",\"process_name\",\"__mv_dest\"{}\n\
                 \"h1\",\"WmiPrvSE.exe\",\"rundll32.exe\",,54,Wmiprsve.exe spawned a LOLBAS process on h1.,h1{SUFFIX}\n",
                header_suffix()
            )
        );
    }

    #[test]
    fn annotate_mode_returns_every_row_and_crlf_becomes_lf() {
        let body = "a,parent_process_name\r\n\"x\r\ny\",wmiprvse.exe\r\n\r\nz,\r\n";
        let (out, stats, _) = run(&["mode=annotate"], body);
        assert_eq!((stats.rows, stats.rows_out, stats.hits), (2, 2, 0));
        let empty = ",".repeat(16);
        assert_eq!(
            out,
            format!(
                "a,parent_process_name{}\n\"x\r\ny\",wmiprvse.exe{empty}\nz,{empty}\n",
                header_suffix()
            )
        );
    }

    #[test]
    fn empty_and_header_only_bodies_give_no_output() {
        assert_eq!(run(&["mode=annotate"], "").0, "");
        assert_eq!(run(&["mode=annotate"], "a,b\n").0, "");
        assert_eq!(run(&["mode=annotate"], "\n\n").0, "");
    }

    #[test]
    fn no_hits_in_filter_mode_gives_an_empty_body() {
        let (out, stats, _) = run(
            &[],
            "parent_process_name,process_name\nexplorer.exe,cmd.exe\n",
        );
        assert_eq!(out, "");
        assert_eq!(stats.rows, 1);
    }

    #[test]
    fn short_rows_are_padded_and_reported_long_rows_are_errors() {
        let (out, _, msgs) = run(&["mode=annotate"], "a,b,c\n1,2\n");
        assert_eq!(
            out,
            format!("a,b,c{}\n1,2,{}\n", header_suffix(), ",".repeat(16))
        );
        assert_eq!(msgs.len(), 1);
        assert!(
            msgs[0]
                .1
                .contains("chunk 3: 1 row(s) had fewer fields than the header (first: row 1)"),
            "{msgs:?}"
        );

        let mut t = transform(&["mode=annotate"]);
        let err = t
            .process(4, b"a,b\n1,2\n1,2,3\n", &mut Vec::new(), &mut Vec::new())
            .unwrap_err();
        assert_eq!(err.to_string(), "chunk 4, row 2: row has 3 fields but the header has 2; the extra values have no field name");
    }

    #[test]
    fn stray_quotes_take_the_re_encoding_path() {
        let (out, _, _) = run(&["mode=annotate"], "a,b\nx\"y,\"q\"z\n");
        // csv reads `x"y` and `qz`; they come back properly quoted.
        assert_eq!(
            out,
            format!("a,b{}\n\"x\"\"y\",qz{}\n", header_suffix(), ",".repeat(16))
        );
    }

    #[test]
    fn unterminated_quote_does_not_swallow_the_added_fields() {
        let (out, _, _) = run(&["mode=annotate"], "a\n\"open\n");
        let mut r = csv::ReaderBuilder::new().from_reader(out.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), 17);
        assert_eq!(&rows[0][0], "open\n");
    }

    #[test]
    fn existing_fields_of_our_names_are_replaced_not_duplicated() {
        let body = "risk_score,parent_process_name,process_name,__mv_risk_score\n7,wmiprvse.exe,mshta.exe,$7$;$8$\n";
        let (out, _, _) = run(&[], body);
        let mut r = csv::ReaderBuilder::new().from_reader(out.as_bytes());
        let header = r.headers().unwrap().clone();
        assert_eq!(header.len(), 4 + 15);
        assert_eq!(header.iter().filter(|h| *h == "risk_score").count(), 1);
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "54");
        assert_eq!(&row[3], "");
    }

    #[test]
    fn invalid_utf8_is_passed_through_and_reported() {
        let mut t = transform(&["mode=annotate"]);
        let mut out = Vec::new();
        let mut msgs = Vec::new();
        t.process(2, b"a\nok\nbad\xff\n", &mut out, &mut msgs)
            .unwrap();
        assert!(out.windows(4).any(|w| w == b"bad\xff"));
        assert_eq!(msgs.len(), 1);
        assert!(
            msgs[0].1.contains("chunk 2, row 2, field a: invalid UTF-8"),
            "{msgs:?}"
        );
    }

    #[test]
    fn invalid_utf8_in_a_field_name_is_located() {
        let mut t = transform(&["mode=annotate"]);
        let mut msgs = Vec::new();
        t.process(7, b"a,b\xff\nx,y\n", &mut Vec::new(), &mut msgs)
            .unwrap();
        assert_eq!(msgs.len(), 1);
        assert!(
            msgs[0]
                .1
                .contains("chunk 7, CSV header, field #2: invalid UTF-8"),
            "{msgs:?}"
        );
    }

    #[test]
    fn canonical_quoting_cases() {
        assert!(canonical_quoting(b"a,\"b,c\",\"\"\"\",d"));
        assert!(canonical_quoting(b"\"\",\"\""));
        assert!(canonical_quoting(b""));
        assert!(!canonical_quoting(b"a\"b"));
        assert!(!canonical_quoting(b"\"a\"b"));
        assert!(!canonical_quoting(b"\"open"));
        assert!(!canonical_quoting(b"\"a\"\""));
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("wmiprvse.exe".to_string()),
            Just("Rundll32.exe".to_string()),
            "[a-z,\"\r\n ท$;]{0,8}",
        ]
    }

    fn row_field() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("wmiprvse.exe".to_string()),
            Just("WMIPRVSE.EXE".to_string()),
            Just("C:\\Windows\\wbem\\WmiPrvSE.exe".to_string()),
            Just("mshta.exe".to_string()),
            Just("unknown".to_string()),
            "[a-z,\"\r\n ]{0,6}",
        ]
    }

    /// Renders rows as a body: a csv writer (canonical), optionally with a
    /// raw tail (stray quotes, ragged rows, CR terminators…).
    fn render(rows: &[Vec<String>], crlf: bool, tail: &str) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(if crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(Vec::new());
        w.write_record([
            "parent_process_name",
            "process_name",
            "parent_process_path",
            "x",
        ])
        .unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        let mut body = w.into_inner().unwrap();
        body.extend_from_slice(tail.as_bytes());
        body
    }

    proptest! {
        /// The fast path (row spans + prefilter) and the full-parse path give
        /// the same bytes, the same counts and the same messages (or the same
        /// error), in both modes.
        #[test]
        fn fast_and_full_parse_paths_agree(
            rows in proptest::collection::vec(proptest::collection::vec(row_field(), 1..6), 0..12),
            crlf in any::<bool>(),
            tail in prop_oneof![Just(String::new()), "[a-z,\"\n]{0,12}", Just("wmiprvse.exe,mshta.exe,a,b,c\n".to_string())],
            annotate in any::<bool>(),
        ) {
            let body = render(&rows, crlf, &tail);
            let args: &[&str] = if annotate { &["mode=annotate"] } else { &[] };
            let mut fast = transform(args);
            let mut full = transform(args);
            let (mut out_a, mut msg_a, mut out_b, mut msg_b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let a = fast.process(5, &body, &mut out_a, &mut msg_a);
            let b = full.process_parsed(5, &body, &mut out_b, &mut msg_b);
            match (a, b) {
                (Ok(sa), Ok(sb)) => {
                    prop_assert_eq!(sa, sb);
                    prop_assert_eq!(String::from_utf8_lossy(&out_a), String::from_utf8_lossy(&out_b));
                    prop_assert_eq!(msg_a, msg_b);
                }
                (Err(ea), Err(eb)) => prop_assert_eq!(ea.to_string(), eb.to_string()),
                (a, b) => prop_assert!(false, "paths disagree: {:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
            }
        }
    }

    proptest! {
        /// Whatever the quoting, annotate mode returns every input row with
        /// every field value unchanged, plus the 16 added fields.
        #[test]
        fn annotate_round_trips_every_field(
            rows in proptest::collection::vec(proptest::collection::vec(field(), 3), 0..6),
            crlf in any::<bool>(),
            quote_all in any::<bool>(),
        ) {
            let header = ["parent_process_name", "process_name", "x"];
            let mut w = csv::WriterBuilder::new()
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .quote_style(if quote_all { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary })
                .from_writer(Vec::new());
            w.write_record(header).unwrap();
            for r in &rows { w.write_record(r).unwrap(); }
            let body = w.into_inner().unwrap();
            let mut t = transform(&["mode=annotate"]);
            let mut out = Vec::new();
            t.process(2, &body, &mut out, &mut Vec::new()).unwrap();
            let nonblank: Vec<&Vec<String>> = rows.iter().filter(|r| !(r.len() == 1 && r[0].is_empty())).collect();
            if nonblank.is_empty() {
                prop_assert!(out.is_empty());
            } else {
                let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(&out[..]);
                prop_assert_eq!(r.headers().unwrap().len(), 19);
                let got: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
                prop_assert_eq!(got.len(), nonblank.len());
                for (g, want) in got.iter().zip(&nonblank) {
                    for i in 0..3 {
                        prop_assert_eq!(&g[i], want[i].as_str());
                    }
                }
            }
        }
    }
}
