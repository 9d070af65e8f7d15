//! Writing one body's reply: the per-body [`BodyWriter`] owns the reply
//! buffer, the input header and its [`Layout`], the [`Collisions`] with our
//! field names, the counts, and what is reported at the end (short rows,
//! invalid UTF-8). Both the fast and the full-parse path write every row
//! through it, so they give the same bytes.

use std::borrow::Cow;

use csv::ByteRecord;

use super::held::{LineageState, Release, Written};
use super::{BodyStats, Matcher, Writing, MAX_ROWS_PER_CHUNK};
use crate::annotate::{Annotator, CsvLine, Hit};
use crate::error::{Error, Position};
use crate::lineage::Observed;
use crate::options::Mode;
use crate::protocol::message::Message;
use crate::records::quoting::canonical_quoting;
use crate::records::{Fields, Layout, RowView, MV_PREFIX};
use crate::rule::MatchReason;

/// Rows with fewer fields than the header: how many, and the first.
#[derive(Debug, Clone, Copy, Default)]
struct ShortRows {
    count: u64,
    first: u64,
}

/// The output of one body.
pub(super) struct BodyWriter<'a> {
    chunk: u64,
    matcher: &'a Matcher,
    annotator: &'a mut Annotator,
    line: &'a mut CsvLine,
    header: &'a ByteRecord,
    header_raw: &'a [u8],
    layout: Layout,
    collisions: Collisions,
    out: &'a mut Vec<u8>,
    header_written: bool,
    short_rows: ShortRows,
    /// Where the first returned invalid UTF-8 is.
    bad_utf8: Option<Position>,
    stats: BodyStats,
    /// With `lineage=true`: the session's tree and held rows.
    lineage: Option<&'a mut LineageState>,
    /// Where this body's reply starts in `out`, where its header line ends,
    /// and where each row ends and its place in the input (kept with
    /// `lineage=true`, to put released rows among them in input order, and
    /// to widen the reply when a released row brings fields it lacks).
    start: usize,
    header_end: usize,
    row_ends: Vec<usize>,
    row_ords: Vec<u64>,
    /// The number the held rows' header has (the first held row of the
    /// body registers it).
    held_header: Option<u32>,
}

impl<'a> BodyWriter<'a> {
    /// A writer for the body whose header row is `header` (its bytes
    /// `header_raw`), appending to `out`.
    pub(super) fn new(
        chunk: u64,
        matcher: &'a Matcher,
        writing: &'a mut Writing,
        header: &'a ByteRecord,
        header_raw: &'a [u8],
        out: &'a mut Vec<u8>,
    ) -> BodyWriter<'a> {
        let Writing {
            annotator,
            line,
            lineage,
        } = writing;
        let layout = Layout::resolve(&matcher.fields, header);
        let [pn, pp] = matcher.rule.parent_slots();
        let stats = BodyStats {
            parent_fields: layout.has(pn) || layout.has(pp),
            child_fields: matcher.rule.child_slots().iter().any(|s| layout.has(*s)),
            ..BodyStats::default()
        };
        let collisions = Collisions::find(header, &annotator.fields());
        let start = out.len();
        BodyWriter {
            chunk,
            matcher,
            annotator,
            line,
            header,
            header_raw,
            layout,
            collisions,
            out,
            header_written: false,
            short_rows: ShortRows::default(),
            bad_utf8: None,
            stats,
            lineage: lineage.as_mut(),
            start,
            header_end: start,
            row_ends: Vec::new(),
            row_ords: Vec::new(),
            held_header: None,
        }
    }

    /// Number of data rows counted so far.
    pub(super) fn rows(&self) -> u64 {
        self.stats.rows
    }

    /// Number of fields in the header.
    pub(super) fn width(&self) -> usize {
        self.layout.width()
    }

    /// Counts one more data row; an error past [`MAX_ROWS_PER_CHUNK`].
    /// Returns the row's number.
    pub(super) fn chunk(&self) -> u64 {
        self.chunk
    }

    pub(super) fn next_row(&mut self) -> Result<u64, Error> {
        self.row_at(self.stats.rows + 1)
    }

    /// Counts the rows up to `row` (the rows between were skipped: they
    /// cannot match), and returns it.
    pub(super) fn row_at(&mut self, row: u64) -> Result<u64, Error> {
        self.stats.rows = row;
        if self.stats.rows > MAX_ROWS_PER_CHUNK {
            return Err(Error::body(
                Position::row(self.chunk, MAX_ROWS_PER_CHUNK + 1),
                format!(
                    "more than {MAX_ROWS_PER_CHUNK} rows in one chunk; splunkd sends at most maxresultrows (50,000 by default) per chunk"
                ),
            ));
        }
        Ok(self.stats.rows)
    }

    /// Copies a row that cannot match (annotate mode; its field count is the
    /// header's and it was not parsed): its own bytes, then empty cells.
    pub(super) fn copy_miss(&mut self, raw: &[u8], row: u64) {
        self.check_utf8(raw, row);
        self.write_header();
        self.out.extend_from_slice(raw);
        self.annotator.write_miss(self.out);
        self.end_row(row);
    }

    /// Ends written row number `row`.
    fn end_row(&mut self, row: u64) {
        self.out.push(b'\n');
        self.stats.rows_out += 1;
        if let Some(state) = self.lineage.as_deref() {
            self.row_ends.push(self.out.len());
            self.row_ords.push(state.ordinal(row));
        }
    }

    /// With `lineage=true`, shows the row to the tree: held (it comes back
    /// later), a lineage detection now, or neither. A row lineage reads (it
    /// may come back later) with more fields than the header is an error,
    /// as a returned row is; a row it does not read is left to the plain
    /// rule (both paths parse every row lineage reads: each holds a parent
    /// or launcher name).
    fn observe(
        &mut self,
        record: &dyn Fields,
        raw: &[u8],
        hit: Option<MatchReason>,
        row: u64,
    ) -> Result<Observed, Error> {
        let width = self.layout.width();
        let Some(state) = self.lineage.as_deref_mut() else {
            return Ok(Observed::Pass);
        };
        let view = RowView::new(record, &self.layout);
        let ordinal = state.ordinal(row);
        let (rule, tree, headers) = state.parts();
        let Some(facts) = rule.facts(&view, &self.matcher.rule, hit.is_some()) else {
            return Ok(Observed::Pass);
        };
        if record.count() > width {
            return Err(too_many_fields(self.chunk, row, record.count(), width));
        }
        let (raw_header, header, fields) = (self.header_raw, self.header, &self.matcher.fields);
        let body_header = &mut self.held_header;
        let observed = tree.observe(&facts, || {
            LineageState::held_row(
                headers,
                body_header,
                raw_header,
                header,
                fields,
                raw,
                ordinal,
            )
        });
        if observed == Observed::Held {
            state.account();
        }
        Ok(observed)
    }

    /// Matches the parsed `record` (whose bytes are `raw`: a `ByteRecord`, or
    /// the split row's cells) and writes it if
    /// it is returned: a detection, or any row in annotate mode.
    pub(super) fn parsed(
        &mut self,
        record: &dyn Fields,
        raw: &[u8],
        row: u64,
    ) -> Result<(), Error> {
        let hit = self
            .matcher
            .rule
            .evaluate(&RowView::new(record, &self.layout));
        let width = self.width();
        let verdict = match self.observe(record, raw, hit, row)? {
            Observed::Held => return Ok(()), // it comes back later
            Observed::Detected(v) => Some(v),
            Observed::Pass => None,
        };
        if hit.is_some() || verdict.is_some() {
            self.stats.hits += 1;
        } else if self.matcher.mode == Mode::Filter {
            return Ok(());
        }
        if record.count() > width {
            return Err(too_many_fields(self.chunk, row, record.count(), width));
        }
        let short = record.count() < width;
        if short {
            self.short_rows.count += 1;
            if self.short_rows.first == 0 {
                self.short_rows.first = row;
            }
        }
        self.check_utf8(raw, row);
        self.write_header();
        let view = RowView::new(record, &self.layout);
        if !short && self.collisions.is_empty() && canonical_quoting(raw) {
            // The row's own bytes, then the added cells.
            self.out.extend_from_slice(raw);
            match (hit, &verdict) {
                (Some(reason), _) => self.annotator.write_hit(&view, reason, self.out),
                (None, Some(v)) => self.annotator.write_lineage(&view, v, self.out),
                (None, None) => self.annotator.write_miss(self.out),
            }
        } else {
            let hit = hit.map(Hit::Plain).or(verdict.as_ref().map(Hit::Lineage));
            let added = self.annotator.hit_values(&view, hit);
            let cells = self.collisions.row(record, width, &added);
            self.line
                .encode_into(cells.iter().map(|c| &c[..]), self.out);
        }
        self.end_row(row);
        Ok(())
    }

    /// Ends the body: the held rows that settled (all of them at the last
    /// request) are appended, then the counts, and the body's warnings added
    /// to `messages`.
    pub(super) fn finish(mut self, messages: &mut Vec<Message>) -> BodyStats {
        if let Some(state) = self.lineage.take() {
            let settled = state.take_settled();
            if !settled.is_empty() {
                let written = self.header_written.then(|| Written {
                    start: self.start,
                    header_end: self.header_end,
                    names: self
                        .collisions
                        .header(self.header, &self.annotator.fields())
                        .into_iter()
                        .map(<[u8]>::to_vec)
                        .collect(),
                    row_ends: std::mem::take(&mut self.row_ends),
                    row_ords: std::mem::take(&mut self.row_ords),
                });
                let mut release = Release {
                    annotator: self.annotator,
                    line: self.line,
                    mode: self.matcher.mode,
                };
                release.write(state, settled, written, self.out, &mut self.stats);
            }
            state.end_body(self.stats.rows);
        }
        if let Some(at) = &self.bad_utf8 {
            messages.push(Message::warn(format!(
                "wmilolbas: {at}: invalid UTF-8; the bytes were passed through unchanged"
            )));
        }
        let ShortRows { count, first } = self.short_rows;
        if count > 0 {
            messages.push(Message::warn(format!(
                "wmilolbas: chunk {}: {count} row(s) had fewer fields than the header (first: row {first}); the missing fields were left empty",
                self.chunk
            )));
        }
        self.stats
    }

    /// Writes the reply's header line before the first row.
    fn write_header(&mut self) {
        if self.header_written {
            return;
        }
        self.header_written = true;
        self.check_utf8(self.header_raw, 0);
        self.start = self.out.len();
        if self.collisions.is_empty() && canonical_quoting(self.header_raw) {
            self.out.extend_from_slice(self.header_raw);
            self.out.extend_from_slice(self.annotator.header_suffix());
        } else {
            let added = self.annotator.fields();
            let names = self.collisions.header(self.header, &added);
            self.line
                .encode_into(names.iter().map(|n| &n[..]), self.out);
        }
        self.out.push(b'\n');
        self.header_end = self.out.len();
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
        self.bad_utf8 = Some(Position::Chunk {
            chunk: self.chunk,
            row: Some(row),
            field,
        });
    }
}

/// A row with more fields than its header.
fn too_many_fields(chunk: u64, row: u64, count: usize, width: usize) -> Error {
    Error::body(
        Position::row(chunk, row),
        format!("row has {count} fields but the header has {width}; the extra values have no field name"),
    )
}

/// A `csv` reading error at `row` of `chunk` (0 = the header).
pub(super) fn csv_error(chunk: u64, row: u64, e: csv::Error) -> Error {
    Error::body(Position::row(chunk, row), format!("cannot read CSV: {e}"))
}

/// The bytes of a record in `body`, without the blank lines the reader
/// skipped before it and without its terminator. Records never start or
/// end with CR/LF outside quotes, so trimming them is exact.
pub(super) fn raw_slice<'b>(body: &'b [u8], record: &ByteRecord, end: u64) -> &'b [u8] {
    let start = record.position().map_or(0, |p| p.byte()) as usize;
    let end = (end as usize).min(body.len());
    trim_line(body.get(start..end).unwrap_or(&[]))
}

/// `slice` without leading and trailing CR/LF bytes.
pub(super) fn trim_line(slice: &[u8]) -> &[u8] {
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
pub(super) struct Collisions {
    /// For each added field, the input column it replaces.
    replace: Vec<Option<usize>>,
    /// Input `__mv_` columns of replaced fields.
    blank: Vec<usize>,
}

impl Collisions {
    /// The collisions of `header` with the `added` field names.
    pub(super) fn find(header: &ByteRecord, added: &[&str]) -> Collisions {
        let mut replace = vec![None; added.len()];
        let mut blank = Vec::new();
        for (k, name) in added.iter().enumerate() {
            replace[k] = header.iter().position(|h| h == name.as_bytes());
            if replace[k].is_some() {
                let mv = format!("{MV_PREFIX}{name}");
                blank.extend(header.iter().position(|h| h == mv.as_bytes()));
            }
        }
        Collisions { replace, blank }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.replace.iter().all(Option::is_none)
    }

    /// The reply's field names: the input's, then the added ones that no
    /// input column carries.
    pub(super) fn header<'h>(&self, header: &'h ByteRecord, added: &[&'h str]) -> Vec<&'h [u8]> {
        let mut names: Vec<&[u8]> = header.iter().collect();
        for (k, name) in added.iter().enumerate() {
            if self.replace.get(k).copied().flatten().is_none() {
                names.push(name.as_bytes());
            }
        }
        names
    }

    fn row<'r>(
        &self,
        record: &'r dyn Fields,
        width: usize,
        added: &'r [Cow<'r, [u8]>],
    ) -> Vec<&'r [u8]> {
        let mut cells: Vec<&[u8]> = (0..width).map(|i| record.field(i).unwrap_or(b"")).collect();
        for &i in &self.blank {
            cells[i] = b"";
        }
        for (k, value) in added.iter().enumerate() {
            match self.replace.get(k).copied().flatten() {
                Some(i) => cells[i] = value,
                None => cells.push(value),
            }
        }
        cells
    }
}
