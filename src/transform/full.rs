//! The full-parse path: every row through the `csv` reader. It handles
//! what the row scanner declines (a `\r` terminator, a quote left open, a
//! header with our field names, parent names with `"` or `$`), and it is the
//! reference the fast path is tested against.

use super::emit::{csv_error, raw_slice, BodyWriter};
use super::{BodyStats, Transform};
use crate::error::Result;
use crate::protocol::message::Message;
use crate::records::spans::ends_inside_quotes;

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
            annotator,
            line,
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
        let mut w = BodyWriter::new(chunk, matcher, annotator, line, header, header_raw, out);
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
