//! The fast path: one SIMD pass over the body (`records::spans::Scanner`:
//! AVX2, SSE2 or NEON, chosen at run time) cuts it into rows and
//! flags the rows holding a parent name (`rule::prefilter`). Only flagged
//! rows — and, in annotate mode, rows whose field count differs from the
//! header's — are split (`split_canonical`, as the `csv` crate would read
//! them: field bounds over the row's bytes, only a field with `""` copied,
//! unescaped); every other row is skipped (filter mode: the scanner only
//! counts it) or copied as it is (annotate mode).
//!
//! A body read from the session arrives through a `BufRead` and is processed
//! as it arrives. The first piece (`PIECE`, it holds the header) is read
//! into the reused buffer; after it, each of the reader's own buffers is
//! scanned where it is (windows of at most `PIECE` bytes), and only a row
//! cut by a buffer's end is copied into the reused buffer and completed
//! there from the start of the next one. The body is never held whole, and
//! its bytes are copied once, by the kernel. When the scanner
//! declines (a `\r` terminator, a quote left open, a header with our field
//! names…), the rows from there on go through the `csv` reader and the same
//! [`BodyWriter`] (`full.rs`), so the result is the full-parse path's.

use std::io::{self, BufRead};

use csv::ByteRecord;

use super::emit::{csv_error, raw_slice, BodyWriter, Collisions};
use super::full::{parse_rest, Tee};
use super::{BodyStats, Transform};
use crate::error::{Error, Result};
use crate::options::Mode;
use crate::protocol::message::Message;
use crate::records::anchors::Anchors;
use crate::records::quoting::{canonical_quoting, split_canonical, SplitRow};
use crate::records::simd::Isa;
use crate::records::spans::{Scanner, Span};

/// Bytes read into the reused buffer for the first window of a streamed
/// body, and the most scanned in place at once: a few hundred rows, small
/// enough to stay in the L2 cache while they are scanned and copied.
pub(super) const PIECE: usize = 256 << 10;

/// What the fast path did with a body.
pub(super) enum Scanned {
    /// Processed (possibly partly through the `csv` reader).
    Done(BodyStats),
    /// An in-memory body the scanner cannot start on (its header is not
    /// canonical or has our field names): parse it all.
    FromStart,
}

impl Transform {
    /// Processes a body on the fast path: all of `slice` when `reader` is
    /// `None`, else what `reader` gives, a piece at a time.
    pub(super) fn process_scanned(
        &mut self,
        chunk: u64,
        slice: &[u8],
        mut reader: Option<&mut dyn BufRead>,
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<Scanned> {
        let Transform {
            matcher,
            writing,
            header,
            record,
            spans: batch,
            split,
            buf,
            header_raw,
            piece,
            scanned,
        } = self;
        let piece = (*piece).max(1);
        // `buf[..filled]` is the window when reading; `buf` stays
        // initialised to its length, so refills write no zeros.
        let mut filled = 0usize;
        let mut eof = true;
        if let Some(r) = reader.as_deref_mut() {
            eof = fill(r, buf, &mut filled, piece).map_err(|e| read_error(chunk, 0, e))?;
        }
        // The header: the first row, whole in the window.
        let header_end = loop {
            let window = window(reader.is_some(), buf, filled, slice);
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .buffer_capacity(1024)
                .from_reader(window);
            let found = rdr
                .read_byte_record(header)
                .map_err(|e| csv_error(chunk, 0, e))?;
            let end = rdr.position().byte() as usize;
            if eof {
                if !found {
                    return Ok(Scanned::Done(BodyStats::default())); // only blank lines
                }
                break end;
            }
            if found && end < window.len() {
                break end; // a byte after it arrived: the header is complete
            }
            let Some(r) = reader.as_deref_mut() else {
                break end;
            };
            let target = filled + piece.max(filled);
            eof = fill(r, buf, &mut filled, target).map_err(|e| read_error(chunk, 0, e))?;
        };
        {
            let window = window(reader.is_some(), buf, filled, slice);
            let raw = raw_slice(window, header, header_end as u64);
            header_raw.clear();
            header_raw.extend_from_slice(raw);
        }
        let scannable = canonical_quoting(header_raw)
            && Collisions::find(header, &writing.annotator.fields()).is_empty();
        let Some(prefilter) = matcher.prefilter.as_ref().filter(|_| scannable) else {
            // The scanner cannot start on this body (no prefilter, a header
            // it does not copy as it is): the csv reader parses it all.
            let Some(reader) = reader else {
                return Ok(Scanned::FromStart);
            };
            let tee = Tee::new(buf, 0, filled, (!eof).then_some(reader));
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(tee);
            if !rdr
                .read_byte_record(header)
                .map_err(|e| csv_error(chunk, 0, e))?
            {
                return Ok(Scanned::Done(BodyStats::default())); // only blank lines
            }
            let end = rdr.position().byte();
            header_raw.clear();
            header_raw.extend_from_slice(rdr.get_ref().raw(header, end));
            rdr.get_mut().forget_before(end);
            let w = BodyWriter::new(chunk, matcher, writing, header, header_raw, out);
            return parse_rest(chunk, w, &mut rdr, record, messages).map(Scanned::Done);
        };
        let w = BodyWriter::new(chunk, matcher, writing, header, header_raw, out);
        let anchors = {
            let window = window(reader.is_some(), buf, filled, slice);
            prefilter.anchors(window, header_end)
        };
        let mut rows = RowSink {
            filter: matcher.mode == Mode::Filter,
            isa: Isa::current(),
            anchors: Some(anchors),
            batch,
            record,
            split,
            scanned,
            w,
        };
        let Some(r) = reader else {
            // In memory: one window, the whole body.
            if let WindowEnd::Declined(resume) = rows.scan(slice, header_end, true)? {
                buf.clear();
                buf.extend_from_slice(slice.get(resume..).unwrap_or(&[]));
                let n = buf.len();
                return rows.parse_rest(Tee::new(buf, 0, n, None), messages);
            }
            return Ok(Scanned::Done(rows.w.finish(messages)));
        };
        // Streamed: the first piece (it holds the header) in `buf`...
        let rest = match rows.scan(&buf[..filled], header_end, eof)? {
            WindowEnd::Declined(resume) => {
                let tee = Tee::new(buf, resume, filled, (!eof).then_some(r));
                return rows.parse_rest(tee, messages);
            }
            WindowEnd::Rest(rest) => rest,
        };
        if eof {
            return Ok(Scanned::Done(rows.w.finish(messages)));
        }
        // ...then the reader's own buffers, scanned where they are. Only a
        // row cut by the end of one is copied, into `buf`, and completed
        // there from the start of the next.
        buf.copy_within(rest..filled, 0);
        filled -= rest;
        loop {
            let error_row = rows.w.rows() + 1;
            let available = r.fill_buf().map_err(|e| read_error(chunk, error_row, e))?;
            if available.is_empty() {
                // The end of the body: what is carried is its last row.
                if let WindowEnd::Declined(resume) = rows.scan(&buf[..filled], 0, true)? {
                    return rows.parse_rest(Tee::new(buf, resume, filled, None), messages);
                }
                break;
            }
            if filled > 0 {
                // Complete the carried row: append the next line, and at
                // least as many bytes as are carried (so a field of many
                // megabytes is rescanned a logarithmic number of times).
                let line = memchr::memchr(b'\n', available).map_or(available.len(), |i| i + 1);
                let want = line.max(filled).min(piece.max(filled));
                let mut appended = 0;
                while appended < want {
                    let error_row = rows.w.rows() + 1;
                    let available = r.fill_buf().map_err(|e| read_error(chunk, error_row, e))?;
                    if available.is_empty() {
                        break;
                    }
                    let k = (want - appended).min(available.len());
                    place(buf, filled, &available[..k]);
                    filled += k;
                    appended += k;
                    r.consume(k);
                }
                match rows.scan(&buf[..filled], 0, false)? {
                    WindowEnd::Declined(resume) => {
                        let tee = Tee::new(buf, resume, filled, Some(r));
                        return rows.parse_rest(tee, messages);
                    }
                    WindowEnd::Rest(rest) => {
                        buf.copy_within(rest..filled, 0);
                        filled -= rest;
                    }
                }
                continue;
            }
            // Nothing carried: scan the reader's bytes in place.
            let window = &available[..available.len().min(piece)];
            let (keep, declined) = match rows.scan(window, 0, false)? {
                WindowEnd::Declined(resume) => (resume, true),
                WindowEnd::Rest(rest) => (rest, false),
            };
            let tail = &window[keep.min(window.len())..];
            place(buf, 0, tail);
            filled = tail.len();
            let used = window.len();
            r.consume(used);
            if declined {
                return rows.parse_rest(Tee::new(buf, 0, filled, Some(r)), messages);
            }
        }
        Ok(Scanned::Done(rows.w.finish(messages)))
    }
}

/// How the scan of one window ended.
enum WindowEnd {
    /// Every complete row was handled; the incomplete one (if any) starts
    /// here.
    Rest(usize),
    /// The scanner declined (not canonical LF CSV) from the row starting
    /// here; the rows before it were handled.
    Declined(usize),
}

/// Where the fast path's rows go: the writer and the reused buffers.
struct RowSink<'t, 'w> {
    filter: bool,
    isa: Isa,
    /// Chosen from the first window, reused for the others.
    anchors: Option<Anchors>,
    batch: &'t mut Vec<Span>,
    /// The full-parse path's record (for the rows after a decline).
    record: &'t mut ByteRecord,
    /// The fields of a candidate row, as bounds over its bytes.
    split: &'t mut SplitRow,
    /// Bytes handed to the scanner (`Transform::scanned_bytes`).
    scanned: &'t mut u64,
    w: BodyWriter<'w>,
}

impl RowSink<'_, '_> {
    /// Scans `window` from `from` (a row boundary) and handles its complete
    /// rows (with `last`, the bytes after the last terminator are a row too).
    fn scan(&mut self, window: &[u8], from: usize, last: bool) -> Result<WindowEnd> {
        *self.scanned += window.len().saturating_sub(from) as u64;
        let filter = self.filter;
        let mut scanner = Scanner::new(window, from, !filter, self.anchors.take(), self.isa);
        if filter {
            scanner = scanner.candidates_only(); // the others cannot match
        }
        if !last {
            scanner = scanner.partial();
        }
        // Rows before the window's (span rows count from 1 in it).
        let base = self.w.rows();
        let declined = loop {
            match scanner.fill(self.batch) {
                Ok(true) => {}
                Ok(false) => break false,
                Err(_) => break true, // not canonical LF CSV from here
            }
            for span in self.batch.iter() {
                let row = self.w.row_at(base + span.row)?;
                let raw = &window[span.start..span.end];
                if !span.candidate {
                    if filter {
                        continue; // cannot match: not parsed
                    }
                    if span.fields == self.w.width() {
                        self.w.copy_miss(raw, row);
                        continue;
                    }
                }
                // The scanner accepted the row's quoting: split it as csv would.
                split_canonical(raw, self.split, self.isa);
                self.w.parsed(&self.split.cells(raw), raw, row)?;
            }
        };
        // The rows up to here were written or skipped.
        let (resume, rows) = scanner.handed_out();
        self.w.row_at(base + rows)?;
        let end = if declined {
            WindowEnd::Declined(resume.min(window.len()))
        } else {
            WindowEnd::Rest(scanner.rest().min(window.len()))
        };
        self.anchors = Some(scanner.into_anchors());
        Ok(end)
    }

    /// The rows `tee` gives (from a row boundary), through the csv reader.
    fn parse_rest(self, tee: Tee<'_, '_>, messages: &mut Vec<Message>) -> Result<Scanned> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(tee);
        parse_rest(self.w.chunk(), self.w, &mut rdr, self.record, messages).map(Scanned::Done)
    }
}

/// The bytes being scanned: the read window `buf[..filled]` of a streamed
/// body, else the whole in-memory body.
fn window<'w>(streamed: bool, buf: &'w [u8], filled: usize, slice: &'w [u8]) -> &'w [u8] {
    if streamed {
        &buf[..filled]
    } else {
        slice
    }
}

/// Copies `bytes` to `buf[at..]`, growing `buf` (zero-filled) if needed.
fn place(buf: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let end = at + bytes.len();
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[at..end].copy_from_slice(bytes);
}

/// Reads into `buf[*filled..target]` until it is full or the reader ends
/// (`Ok(true)`). Grows `buf` (zero-filled once) to `target` if needed.
fn fill(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    filled: &mut usize,
    target: usize,
) -> io::Result<bool> {
    if buf.len() < target {
        buf.resize(target, 0);
    }
    while *filled < target {
        match reader.read(&mut buf[*filled..target]) {
            Ok(0) => return Ok(true),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// A failed read of the body, reported as the `csv` reader reports it.
fn read_error(chunk: u64, row: u64, e: io::Error) -> Error {
    csv_error(chunk, row, csv::Error::from(e))
}
