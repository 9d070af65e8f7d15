//! The fast path: one SIMD pass over the body (`records::spans::Scanner`:
//! AVX2, SSE2 or NEON, chosen at run time) cuts it into rows and flags the
//! rows holding a parent name (`rule::prefilter`). Only flagged rows — and,
//! in annotate mode, rows whose field count differs from the header's — are
//! split into the reused record (`split_canonical`, as the `csv` crate would
//! read them); every other row is skipped (filter mode) or copied as it is
//! (annotate mode).
//!
//! A body read from the session arrives through a reader and is processed
//! as it arrives, a piece (`PIECE`) at a time: the scanner takes the
//! complete rows of the window, the incomplete last row moves to the front
//! of the reused buffer, and the next piece is read after it. The window
//! stays in cache, and the body is never held whole. When the scanner
//! declines (a `\r` terminator, a quote left open, a header with our field
//! names…), the rows from there on go through the `csv` reader and the same
//! [`BodyWriter`] (`full.rs`), so the result is the full-parse path's.

use std::io::{self, Read};

use super::emit::{csv_error, raw_slice, BodyWriter, Collisions};
use super::full::{parse_rest, Tee};
use super::{BodyStats, Transform};
use crate::error::{Error, Result};
use crate::options::Mode;
use crate::protocol::message::Message;
use crate::records::quoting::{canonical_quoting, split_canonical};
use crate::records::simd::Isa;
use crate::records::spans::Scanner;

/// Bytes read per piece of a streamed body: a few hundred rows, small
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
        mut reader: Option<&mut dyn Read>,
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<Scanned> {
        let Transform {
            matcher,
            annotator,
            line,
            header,
            record,
            spans: batch,
            unescaped,
            buf,
            header_raw,
            piece,
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
        let scannable = canonical_quoting(header_raw) && Collisions::find(header).is_empty();
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
            let w = BodyWriter::new(chunk, matcher, annotator, line, header, header_raw, out);
            return parse_rest(chunk, w, &mut rdr, record, messages).map(Scanned::Done);
        };
        let mut w = BodyWriter::new(chunk, matcher, annotator, line, header, header_raw, out);
        let filter = matcher.mode == Mode::Filter;
        let isa = Isa::current();
        let mut anchors = {
            let window = window(reader.is_some(), buf, filled, slice);
            Some(prefilter.anchors(window, header_end))
        };
        let mut from = header_end;
        loop {
            let window = window(reader.is_some(), buf, filled, slice);
            let mut scanner = Scanner::new(window, from, !filter, anchors.take(), isa);
            if filter {
                scanner = scanner.candidates_only(); // the others cannot match
            }
            if !eof {
                scanner = scanner.partial();
            }
            // Rows before the window's (span rows count from 1 in it).
            let base = w.rows();
            let declined = loop {
                match scanner.fill(batch) {
                    Ok(true) => {}
                    Ok(false) => break false,
                    Err(_) => break true, // not canonical LF CSV from here
                }
                for span in batch.iter() {
                    let row = w.row_at(base + span.row)?;
                    let raw = &window[span.start..span.end];
                    if !span.candidate {
                        if filter {
                            continue; // cannot match: not parsed
                        }
                        if span.fields == w.width() {
                            w.copy_miss(raw, row);
                            continue;
                        }
                    }
                    // The scanner accepted the row's quoting: split it as csv would.
                    split_canonical(raw, record, unescaped, isa);
                    w.parsed(record, raw, row)?;
                }
            };
            // The rows up to here were written or skipped.
            let (resume, rows) = scanner.handed_out();
            w.row_at(base + rows)?;
            if declined {
                // The rows from `resume` on, through the csv reader.
                let tee = match reader {
                    Some(r) => Tee::new(buf, resume.min(filled), filled, (!eof).then_some(r)),
                    None => {
                        buf.clear();
                        buf.extend_from_slice(slice.get(resume..).unwrap_or(&[]));
                        let n = buf.len();
                        Tee::new(buf, 0, n, None)
                    }
                };
                let mut rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(tee);
                return parse_rest(chunk, w, &mut rdr, record, messages).map(Scanned::Done);
            }
            let rest = scanner.rest().min(window.len());
            anchors = Some(scanner.into_anchors());
            let Some(r) = reader.as_deref_mut().filter(|_| !eof) else {
                break;
            };
            // Keep the incomplete row, read the next piece after it (at
            // least as much again when the row is longer than a piece).
            buf.copy_within(rest..filled, 0);
            filled -= rest;
            from = 0;
            let target = filled + piece.max(filled);
            eof = fill(r, buf, &mut filled, target)
                .map_err(|e| read_error(chunk, w.rows() + 1, e))?;
        }
        Ok(Scanned::Done(w.finish(messages)))
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

/// Reads into `buf[*filled..target]` until it is full or the reader ends
/// (`Ok(true)`). Grows `buf` (zero-filled once) to `target` if needed.
fn fill(
    reader: &mut dyn Read,
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
