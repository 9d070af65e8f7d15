//! The fast path: row spans + the parent-name prefilter. Only candidate
//! rows — and, in annotate mode, rows whose field count differs from the
//! header's — are parsed; every other row is skipped (filter mode) or copied
//! as it is (annotate mode).

use std::io::Cursor;

use super::emit::{csv_error, raw_slice, BodyWriter};
use super::{BodyStats, Transform};
use crate::error::Result;
use crate::options::Mode;
use crate::protocol::message::Message;
use crate::records::spans::{canonical_quoting, spans};

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
            candidates,
        } = self;
        let Some(prefilter) = &matcher.prefilter else {
            return Ok(None);
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1024)
            .from_reader(Cursor::new(body));
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
        prefilter.find(body, header_end, candidates);
        let filter = matcher.mode == Mode::Filter;
        let mut next_candidate = 0usize;
        for span in spans(body, header_end, !filter) {
            let Ok(span) = span else {
                return Ok(None); // not canonical LF CSV
            };
            let row = w.next_row()?;
            while candidates
                .get(next_candidate)
                .is_some_and(|&c| c < span.start)
            {
                next_candidate += 1;
            }
            let candidate = candidates
                .get(next_candidate)
                .is_some_and(|&c| c < span.end);
            let raw = &body[span.start..span.end];
            if !candidate {
                if filter {
                    continue; // cannot match: not parsed
                }
                if span.fields == w.width() {
                    w.copy_miss(raw, row);
                    continue;
                }
            }
            // Parse this row: seek the reader to it.
            let mut pos = csv::Position::new();
            pos.set_byte(span.start as u64);
            let parsed = reader
                .seek(pos)
                .and_then(|()| reader.read_byte_record(record))
                .map_err(|e| csv_error(chunk, row, e))?;
            let ends_at = reader.position().byte() as usize;
            if !parsed || ends_at < span.end || ends_at > span.end + 1 {
                return Ok(None); // the scanner and csv disagree: let csv decide
            }
            w.parsed(record, raw, row)?;
        }
        Ok(Some(w.finish(messages)))
    }
}
