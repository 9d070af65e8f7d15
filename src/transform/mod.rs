//! The body transform: one execute body (CSV) in, one reply body out —
//! matching rows, or every row annotated.
//!
//! # The hot path
//!
//! It is shaped by four observations:
//!
//! * most rows cannot match: every detection needs a parent name in the row,
//!   so rows whose bytes do not contain one are never parsed. One SIMD pass
//!   over the body ([`Scanner`](crate::records::spans::Scanner): AVX2, SSE2
//!   or NEON, chosen at run time) cuts it into rows and flags the rows
//!   holding a parent name ([`Prefilter`]); only flagged rows are split (as
//!   the `csv` crate would read them) into field bounds over their own
//!   bytes — a field is copied only to unescape a `""`. This is
//!   `fast.rs`;
//! * the reply's header needs the body's byte length, so the reply is built
//!   in one reused `Vec` anyway — rows are appended to it, never collected;
//! * a passed-through row must come back byte for byte, and the cheapest
//!   exact copy is the row's own bytes: a row whose quoting is canonical and
//!   whose field count is the header's is copied from the input and only the
//!   added cells are encoded (the terminator becomes `\n`). Anything else — a
//!   stray quote, a short row, a header that already has one of our field
//!   names — is parsed and re-encoded with the `csv` writer (`emit.rs`);
//! * columns are looked up once per header ([`Layout`](crate::records::Layout)); a parsed row is
//!   matched by comparing bytes, so matching allocates nothing.
//!
//! * the body need not be read whole, nor copied, before it is processed:
//!   the session hands it over as a `BufRead` bounded to the body, stdin is
//!   read ahead on a second thread ([`Prefetch`](crate::protocol::prefetch::Prefetch)),
//!   and the fast path scans each read-ahead buffer where it is; only a row
//!   cut by a buffer's end is copied, and completed from the next buffer.
//!   The kernel's copy of the next bytes overlaps the scan of these.
//!   Reading a 15 MB body into a body-sized buffer first cost more than
//!   scanning it.
//!
//! What the row scanner does not handle (a `\r` terminator, a quote left
//! open, a header with our field names, parent names with `"` or `$`) goes
//! through the `csv` reader, `full.rs`: from the row where the scanner
//! stopped (or the whole body), through the same `BodyWriter` (`emit.rs`),
//! so both paths give the same bytes (property tests — in memory, and
//! streamed in tiny pieces — and a fuzz target hold them to it).

mod emit;
mod fast;
mod full;
mod held;

use std::io::BufRead;

use csv::ByteRecord;

use crate::annotate::{Annotator, CsvLine};
use crate::error::Result;
use crate::lineage::{Limits, LineageRule, Stats as LineageStats};
use crate::options::{Mode, Options};
use crate::protocol::message::Message;
use crate::records::quoting::SplitRow;
use crate::records::spans::Span;
use crate::records::FieldSet;
use crate::rule::catalog::Catalog;
use crate::rule::prefilter::Prefilter;
use crate::rule::Rule;

/// Most rows one execute body may hold. splunkd sends at most
/// `maxresultrows` (limits.conf, 50,000 by default) per chunk; the cap keeps
/// a hostile body of tiny rows from growing an annotated reply (about 350
/// added bytes a row) far beyond what arrived.
pub const MAX_ROWS_PER_CHUNK: u64 = 1_000_000;

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

/// What a session compiles once from its options: which rows come back and
/// how they are found.
struct Matcher {
    mode: Mode,
    fields: FieldSet,
    rule: Rule,
    prefilter: Option<Prefilter>,
}

/// What writes replies, kept from body to body: the annotator, the CSV
/// encoder and, with `lineage=true`, the process tree and its held rows.
struct Writing {
    annotator: Annotator,
    line: CsvLine,
    lineage: Option<held::LineageState>,
}

/// The body transform: CSV rows in, matching (or all, annotated) rows out.
/// Its buffers are reused from body to body.
pub struct Transform {
    matcher: Matcher,
    writing: Writing,
    header: ByteRecord,
    record: ByteRecord,
    /// The scanner's batch of rows.
    spans: Vec<Span>,
    /// The fields of the candidate row being matched (bounds, and its
    /// unescaped `""` fields).
    split: SplitRow,
    /// The window of a body read in pieces (see `fast.rs`).
    buf: Vec<u8>,
    /// The header row's bytes (the window moves on).
    header_raw: Vec<u8>,
    /// Bytes read per piece.
    piece: usize,
    /// Bytes handed to the row scanner so far (rows carried from one read
    /// buffer to the next are scanned again; this keeps that bounded).
    scanned: u64,
}

impl Transform {
    /// Compiles the rule and annotator for `options`.
    pub fn new(options: &Options, catalog: Catalog) -> Transform {
        Transform::with_limits(options, catalog, Limits::default())
    }

    /// [`Transform::new`] with lineage limits other than the default (tests
    /// reach the caps with small inputs).
    pub fn with_limits(options: &Options, catalog: Catalog, limits: Limits) -> Transform {
        let mut fields = FieldSet::new();
        let rule = Rule::new(options.strict, &options.parents, catalog, &mut fields);
        let annotator = Annotator::new(options, &mut fields);
        // Lineage reads launcher rows too: a row can matter only if it
        // holds a parent or a launcher name.
        let mut needles = options.parents.clone();
        let lineage = options.lineage.then(|| {
            let launchers = options.launchers();
            needles.extend(launchers.iter().cloned());
            held::LineageState::new(LineageRule::new(&launchers, &mut fields), limits)
        });
        Transform {
            matcher: Matcher {
                mode: options.mode,
                fields,
                rule,
                prefilter: Prefilter::new(&needles),
            },
            writing: Writing {
                annotator,
                line: CsvLine::default(),
                lineage,
            },
            header: ByteRecord::new(),
            record: ByteRecord::new(),
            spans: Vec::new(),
            split: SplitRow::new(),
            buf: Vec::new(),
            header_raw: Vec::new(),
            piece: fast::PIECE,
            scanned: 0,
        }
    }

    /// Tells the transform whether the next body is the last of the input
    /// (the request with `finished: true`): with `lineage=true`, every held
    /// row is settled into that body's reply.
    pub fn set_last(&mut self, last: bool) {
        if let Some(l) = self.writing.lineage.as_mut() {
            l.last = last;
        }
    }

    /// Lineage's counts so far (`None` without `lineage=true`).
    pub fn lineage_stats(&self) -> Option<(&LineageStats, Limits)> {
        self.writing
            .lineage
            .as_ref()
            .map(|l| (l.tree.stats(), l.tree.limits()))
    }

    /// Rows held now (`lineage=true`).
    pub fn held_rows(&self) -> usize {
        self.writing.lineage.as_ref().map_or(0, |l| l.tree.held())
    }

    /// With `lineage=true`: appends to `out` the held rows that settled
    /// while no body header was written (an empty or header-only body):
    /// they bring their own header.
    fn release_headerless(&mut self, out: &mut Vec<u8>, stats: &mut BodyStats) {
        let Writing {
            annotator,
            line,
            lineage,
        } = &mut self.writing;
        let Some(state) = lineage.as_mut() else {
            return;
        };
        let settled = state.take_settled();
        if settled.is_empty() {
            return;
        }
        let mut release = held::Release {
            annotator,
            line,
            mode: self.matcher.mode,
        };
        release.write(state, settled, None, out, stats);
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
        let mut stats = if body.is_empty() {
            BodyStats::default()
        } else {
            match self.process_scanned(chunk, body, None, out, messages)? {
                fast::Scanned::Done(stats) => stats,
                fast::Scanned::FromStart => self.process_parsed(chunk, body, out, messages)?,
            }
        };
        self.release_headerless(out, &mut stats);
        Ok(stats)
    }

    /// Processes the CSV body `body` gives (to its end) as it arrives, a
    /// piece at a time, into `out` (appending): the same result as
    /// [`Transform::process`] on the whole body, in memory bounded by the
    /// piece size, the longest row and the reply.
    pub fn process_reader(
        &mut self,
        chunk: u64,
        body: &mut dyn BufRead,
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<BodyStats> {
        let mut stats = match self.process_scanned(chunk, &[], Some(body), out, messages)? {
            fast::Scanned::Done(stats) => stats,
            // (only for an in-memory body)
            fast::Scanned::FromStart => BodyStats::default(),
        };
        self.release_headerless(out, &mut stats);
        Ok(stats)
    }

    /// Bytes handed to the row scanner so far, over every body (tests check
    /// that a long row carried across read buffers is not rescanned once
    /// per buffer).
    #[doc(hidden)]
    pub fn scanned_bytes(&self) -> u64 {
        self.scanned
    }

    /// Sets the bytes read per piece by [`Transform::process_reader`] (tests
    /// use tiny pieces to cut rows everywhere).
    #[doc(hidden)]
    pub fn set_piece_size(&mut self, bytes: usize) {
        self.piece = bytes.max(1);
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod held_tests;
