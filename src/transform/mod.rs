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

use std::io::BufRead;

use csv::ByteRecord;

use crate::annotate::{Annotator, CsvLine};
use crate::error::Result;
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

/// The body transform: CSV rows in, matching (or all, annotated) rows out.
/// Its buffers are reused from body to body.
pub struct Transform {
    matcher: Matcher,
    annotator: Annotator,
    line: CsvLine,
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
        let mut fields = FieldSet::new();
        let rule = Rule::new(options.strict, &options.parents, catalog, &mut fields);
        let annotator = Annotator::new(options, &mut fields);
        Transform {
            matcher: Matcher {
                mode: options.mode,
                fields,
                rule,
                prefilter: Prefilter::new(&options.parents),
            },
            annotator,
            line: CsvLine::default(),
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
        match self.process_scanned(chunk, body, None, out, messages)? {
            fast::Scanned::Done(stats) => Ok(stats),
            fast::Scanned::FromStart => self.process_parsed(chunk, body, out, messages),
        }
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
        match self.process_scanned(chunk, &[], Some(body), out, messages)? {
            fast::Scanned::Done(stats) => Ok(stats),
            // (only for an in-memory body)
            fast::Scanned::FromStart => Ok(BodyStats::default()),
        }
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
