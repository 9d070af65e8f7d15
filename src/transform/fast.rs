//! The fast path: one SIMD pass over the body (`records::spans::Scanner`:
//! AVX2, SSE2 or NEON, chosen at run time) cuts it into rows and flags the
//! rows holding a parent name (`rule::prefilter`). Only flagged rows — and,
//! in annotate mode, rows whose field count differs from the header's — are
//! split into the reused record (`split_canonical`, as the `csv` crate would
//! read them); every other row is skipped (filter mode) or copied as it is
//! (annotate mode).

use super::emit::{csv_error, raw_slice, BodyWriter};
use super::{BodyStats, Transform};
use crate::error::Result;
use crate::options::Mode;
use crate::protocol::message::Message;
use crate::records::simd::Isa;
use crate::records::spans::{canonical_quoting, split_canonical, Scanner};

impl Transform {
    /// Processes `body` on the fast path. `Ok(None)` when the body needs the
    /// full-parse path (the caller then discards what was written).
    pub(super) fn process_scanned(
        &mut self,
        chunk: u64,
        body: &[u8],
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<Option<BodyStats>> {
        let Transform {
            matcher,
            annotator,
            line,
            header,
            record,
            spans: batch,
            unescaped,
        } = self;
        let Some(prefilter) = &matcher.prefilter else {
            return Ok(None);
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1024)
            .from_reader(body);
        if !reader
            .read_byte_record(header)
            .map_err(|e| csv_error(chunk, 0, e))?
        {
            return Ok(Some(BodyStats::default())); // only blank lines
        }
        let header_end = reader.position().byte() as usize;
        let header_raw = raw_slice(body, header, header_end as u64);
        if !canonical_quoting(header_raw) {
            return Ok(None);
        }
        let mut w = BodyWriter::new(chunk, matcher, annotator, line, header, header_raw, out);
        if w.has_collisions() {
            return Ok(None);
        }
        let filter = matcher.mode == Mode::Filter;
        let anchors = prefilter.anchors(body, header_end);
        let mut scanner = Scanner::new(body, header_end, !filter, Some(anchors), Isa::current());
        loop {
            match scanner.fill(batch) {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => return Ok(None), // not canonical LF CSV
            }
            for span in batch.iter() {
                let row = w.next_row()?;
                let raw = &body[span.start..span.end];
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
                split_canonical(raw, record, unescaped);
                w.parsed(record, raw, row)?;
            }
        }
        Ok(Some(w.finish(messages)))
    }
}
