//! The full-parse path: every row through the `csv` reader. It handles
//! what the row scanner declines (a `\r` terminator, a quote left open, a
//! header with our field names, parent names with `"` or `$`), and it is the
//! reference the fast path is tested against. [`Tee`] and [`parse_rest`]
//! are the same parse over a reader: for a streamed body, from its start or
//! from the row where the fast path stopped (`fast.rs` reads the header).

use std::io::{self, BufRead, Read};

use csv::ByteRecord;

use super::emit::{csv_error, raw_slice, trim_line, BodyWriter};
use super::{BodyStats, Transform};
use crate::error::Result;
use crate::protocol::message::Message;
use crate::records::quoting::{ends_inside_quotes, QuoteState};

impl Transform {
    /// Processes `body` on the full-parse path alone. [`Transform::process`]
    /// gives the same result; this is public so tests and fuzzers can
    /// compare the two.
    pub fn process_parsed(
        &mut self,
        chunk: u64,
        body: &[u8],
        out: &mut Vec<u8>,
        messages: &mut Vec<Message>,
    ) -> Result<BodyStats> {
        let Transform {
            matcher,
            writing,
            header,
            record,
            ..
        } = self;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body);
        if !reader
            .read_byte_record(header)
            .map_err(|e| csv_error(chunk, 0, e))?
        {
            return Ok(BodyStats::default()); // only blank lines
        }
        let header_raw = raw_slice(body, header, reader.position().byte());
        let mut w = BodyWriter::new(chunk, matcher, writing, header, header_raw, out);
        let mut rows = 0;
        while reader
            .read_byte_record(record)
            .map_err(|e| csv_error(chunk, rows + 1, e))?
        {
            rows = w.next_row()?;
            let raw = raw_slice(body, record, reader.position().byte());
            w.parsed(record, raw, rows)?;
        }
        let stats = w.finish(messages);
        if ends_inside_quotes(body) {
            messages.push(Message::warn(format!(
                "wmilolbas: chunk {chunk}: the body ends inside a quoted field (a quote is never closed); row {rows} ran to the end of the body"
            )));
        }
        Ok(stats)
    }
}

/// Bytes read per refill of a [`Tee`].
const TEE_READ: usize = 64 << 10;

/// The `csv` reader's input when rows are parsed from a reader: the bytes
/// already in the buffer, then the rest of the body. Keeps what it handed
/// out since the last row, so each row's own bytes can be copied to the
/// reply, and follows the quoting to the end (for the end-of-body warning).
pub(super) struct Tee<'b, 'r> {
    /// `seen[..len]`: bytes from stream offset `base`; `seen` stays
    /// initialised to its length.
    seen: &'b mut Vec<u8>,
    len: usize,
    /// Offset in `seen` of the next byte to hand out.
    pos: usize,
    base: u64,
    inner: Option<&'b mut (dyn BufRead + 'r)>,
    quotes: QuoteState,
}

impl<'b, 'r> Tee<'b, 'r> {
    /// `buf[start..end]` (moved to the front of `buf`), then what `inner`
    /// gives. `start` must be a row boundary (or the body's start).
    pub(super) fn new(
        buf: &'b mut Vec<u8>,
        start: usize,
        end: usize,
        inner: Option<&'b mut (dyn BufRead + 'r)>,
    ) -> Tee<'b, 'r> {
        let end = end.min(buf.len());
        let start = start.min(end);
        buf.copy_within(start..end, 0);
        Tee {
            seen: buf,
            len: end - start,
            pos: 0,
            base: 0,
            inner,
            quotes: QuoteState::new(),
        }
    }

    /// The bytes of `record`, which ends at stream offset `end`, without
    /// leading blank lines and its terminator (as [`raw_slice`]).
    pub(super) fn raw(&self, record: &ByteRecord, end: u64) -> &[u8] {
        let start = record.position().map_or(0, |p| p.byte());
        let at = |offset: u64| {
            usize::try_from(offset.saturating_sub(self.base))
                .unwrap_or(usize::MAX)
                .min(self.len)
        };
        trim_line(&self.seen[at(start)..at(end).max(at(start))])
    }

    /// Drops the bytes before stream offset `end` (the rows already
    /// written) once they are many.
    pub(super) fn forget_before(&mut self, end: u64) {
        let k = usize::try_from(end.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .min(self.pos);
        if k >= TEE_READ {
            self.seen.copy_within(k..self.len, 0);
            self.len -= k;
            self.pos -= k;
            self.base += k as u64;
        }
    }

    /// The body (as far as it was read) ends inside a quoted field, by
    /// [`ends_inside_quotes`]' rules.
    fn ends_inside_quotes(&self) -> bool {
        self.quotes.ends_inside()
    }
}

impl Read for Tee<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.len {
            let Some(inner) = self.inner.as_deref_mut() else {
                return Ok(0);
            };
            if self.seen.len() < self.len + TEE_READ {
                self.seen.resize(self.len + TEE_READ, 0);
            }
            let n = loop {
                match inner.read(&mut self.seen[self.len..self.len + TEE_READ]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            if n == 0 {
                self.inner = None;
                return Ok(0);
            }
            self.len += n;
        }
        let n = out.len().min(self.len - self.pos);
        let bytes = &self.seen[self.pos..self.pos + n];
        out[..n].copy_from_slice(bytes);
        self.quotes.feed(bytes);
        self.pos += n;
        Ok(n)
    }
}

/// The rows from the reader's position (a row boundary) to the end, through
/// `w` (which has written the rows before), then the end-of-body warning —
/// as [`Transform::process_parsed`] gives them for the whole body.
pub(super) fn parse_rest(
    chunk: u64,
    mut w: BodyWriter<'_>,
    rdr: &mut csv::Reader<Tee<'_, '_>>,
    record: &mut ByteRecord,
    messages: &mut Vec<Message>,
) -> Result<BodyStats> {
    let mut rows = w.rows();
    while rdr
        .read_byte_record(record)
        .map_err(|e| csv_error(chunk, rows + 1, e))?
    {
        rows = w.next_row()?;
        let end = rdr.position().byte();
        w.parsed(record, rdr.get_ref().raw(record, end), rows)?;
        rdr.get_mut().forget_before(end);
    }
    let stats = w.finish(messages);
    if rdr.get_ref().ends_inside_quotes() {
        messages.push(Message::warn(format!(
            "wmilolbas: chunk {chunk}: the body ends inside a quoted field (a quote is never closed); row {rows} ran to the end of the body"
        )));
    }
    Ok(stats)
}
