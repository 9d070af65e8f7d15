//! JSON as exports write it, cut into records as a stream: memory holds
//! one record (at most [`MAX_RECORD`]), never the file.
//!
//! * **JSON lines**: one record per line; a line that is not JSON is
//!   reported and the next one is read. A line may carry a syslog prefix
//!   (`<14>Mar  5 10:15:02 host nxWinEvt[3028]: {…}`, NXLog's
//!   `to_syslog_bsd()`, or a receiver's own timestamp and host): the JSON
//!   after it is the record.
//! * **A document**: one top-level array (its elements are the records),
//!   pretty-printed objects one after another (hayabusa `-t json`), or
//!   both — chosen when the first line is `[` or `{` alone (or the input
//!   starts with `[`). A syntax error between records ends the input.
//! * **Envelopes**, in either: a top-level object whose `records` (Azure
//!   Monitor, Event Hub), `results` (Splunk REST, Carbon Black Cloud's
//!   search API) or `data` (SentinelOne's API) is an array, or whose
//!   `hits` holds a `hits` array (Elasticsearch `_search` and scroll
//!   responses): the array's elements are the records, read as they come.
//!   Any other top-level object is one record.

use std::io::BufRead;

mod shape;

use super::read::{Body, Position, Reader, Step};
use crate::error::Error;
use shape::{append, key_is, Captured, ValueScan};
pub use shape::{is_document, syslog_json};

/// Largest record accepted (a JSON line, an array element).
pub const MAX_RECORD: usize = 16 << 20;

/// Keys of a top-level object whose array holds the records.
const ENVELOPES: [&[u8]; 3] = [b"records", b"results", b"data"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// An array whose elements are records.
    Records,
    /// An object read member by member, looking for an envelope array:
    /// the top-level one (`depth` 0) or Elasticsearch's `hits` (1).
    Object { depth: u8, streamed: bool },
}

/// Where captured bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Record,
    Pending,
    Key,
    Nowhere,
}

/// What a step found.
enum Ready {
    /// A record in `record`, starting on this line.
    Record(u64),
    Skipped(Error),
    Failed(Error),
    End,
}

/// Records of a JSON input (see the module's description).
pub struct JsonReader<R> {
    name: String,
    input: R,
    /// Line of the next byte (1-based).
    line: u64,
    /// JSON lines (else a document).
    lines: bool,
    stack: Vec<Frame>,
    /// The record being returned.
    record: Vec<u8>,
    /// A top-level object's bytes while it may still be a record.
    pending: Vec<u8>,
    pending_line: u64,
    /// The key of the member being read.
    key: Vec<u8>,
    too_large: bool,
    done: bool,
}

impl<R: BufRead> JsonReader<R> {
    /// Reads `input`; `head` is its first bytes (to tell JSON lines from a
    /// document).
    pub fn new(name: &str, input: R, head: &[u8]) -> JsonReader<R> {
        JsonReader {
            name: name.to_string(),
            input,
            line: 1,
            lines: !is_document(head),
            stack: Vec::new(),
            record: Vec::new(),
            pending: Vec::new(),
            pending_line: 0,
            key: Vec::new(),
            too_large: false,
            done: false,
        }
    }

    fn error(&self, line: u64, message: String) -> Error {
        super::input_error(&self.name, line, message)
    }

    fn read_error(&self, e: std::io::Error) -> Error {
        Error::io(format!("reading {}", self.name), e)
    }

    fn peek(&mut self) -> Result<Option<u8>, Error> {
        loop {
            match self.input.fill_buf() {
                Ok(buf) => return Ok(buf.first().copied()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(e)),
            }
        }
    }

    fn bump(&mut self) {
        if let Ok([b, ..]) = self.input.fill_buf() {
            if *b == b'\n' {
                self.line += 1;
            }
            self.input.consume(1);
        }
    }

    /// Skips blanks (copying them to `pending` when `keep`); in JSON lines
    /// stops at a newline when `in_record`.
    fn skip_blank(&mut self, keep: bool, in_record: bool) -> Result<Option<u8>, Error> {
        loop {
            match self.peek()? {
                Some(b'\n') if in_record && self.lines => return Ok(Some(b'\n')),
                Some(b) if b.is_ascii_whitespace() => {
                    if keep {
                        self.pending.push(b);
                    }
                    self.bump();
                }
                other => return Ok(other),
            }
        }
    }

    /// Appends to `dest` unless the record is already too large.
    fn keep(&mut self, dest: Dest, bytes: &[u8]) {
        let out = match dest {
            Dest::Record => &mut self.record,
            Dest::Pending => &mut self.pending,
            Dest::Key => &mut self.key,
            Dest::Nowhere => return,
        };
        append(out, &mut self.too_large, bytes);
    }

    /// Reads one JSON value of any kind into `dest`, tracking only strings
    /// and brackets (the parser checks the rest).
    fn capture(&mut self, dest: Dest) -> Result<Captured, Error> {
        let mut scan = ValueScan::default();
        let mut total = 0;
        loop {
            let buf = match self.input.fill_buf() {
                Ok([]) => return Ok(Captured::Eof),
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(e)),
            };
            let (used, end) = scan.scan(buf, self.lines);
            let newlines = memchr::memchr_iter(b'\n', &buf[..used]).count() as u64;
            let out = match dest {
                Dest::Record => Some(&mut self.record),
                Dest::Pending => Some(&mut self.pending),
                Dest::Key => Some(&mut self.key),
                Dest::Nowhere => None,
            };
            if let Some(out) = out {
                append(out, &mut self.too_large, &buf[..used]);
            }
            self.input.consume(used);
            self.line += newlines;
            total += used;
            match end {
                // `,`, `}` or `]` where a value should start.
                Some(Captured::Done) if total == 0 => return Ok(Captured::Nothing),
                Some(end) => return Ok(end),
                None => {}
            }
        }
    }

    /// The rest of the line (a syslog-wrapped record, or a line that is
    /// not JSON) into `record`.
    fn rest_of_line(&mut self) -> Result<(), Error> {
        self.record.clear();
        loop {
            let buf = match self.input.fill_buf() {
                Ok([]) => return Ok(()),
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(e)),
            };
            let (used, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            append(&mut self.record, &mut self.too_large, &buf[..used]);
            self.input.consume(used);
            if done {
                return Ok(());
            }
        }
    }

    /// The record in `record` (or `pending`), or the error for one too
    /// large.
    fn emit(&mut self, line: u64, from_pending: bool) -> Ready {
        if std::mem::take(&mut self.too_large) {
            self.record.clear();
            self.pending.clear();
            let msg = format!("record is larger than {} MiB; skipped", MAX_RECORD >> 20);
            return Ready::Skipped(self.error(line, msg));
        }
        if from_pending {
            std::mem::swap(&mut self.record, &mut self.pending);
            self.pending.clear();
        }
        Ready::Record(line)
    }

    /// Ends the input after a structural error in a document.
    fn broken(&mut self, what: &str) -> Ready {
        self.done = true;
        let line = self.line;
        Ready::Failed(self.error(
            line,
            format!("{what}; the rest of the input is not read (a JSON document is read whole)"),
        ))
    }

    fn top(&mut self) -> Result<Option<Ready>, Error> {
        let Some(b) = self.skip_blank(false, false)? else {
            self.done = true;
            return Ok(Some(Ready::End));
        };
        let line = self.line;
        match b {
            b'[' => {
                self.bump();
                self.stack.push(Frame::Records);
                Ok(None)
            }
            b'{' => {
                self.bump();
                self.pending.clear();
                self.pending.push(b'{');
                self.pending_line = line;
                self.stack.push(Frame::Object {
                    depth: 0,
                    streamed: false,
                });
                Ok(None)
            }
            _ if self.lines => {
                self.rest_of_line()?;
                if let Some(at) = syslog_json(&self.record) {
                    self.record.drain(..at);
                }
                Ok(Some(self.emit(line, false)))
            }
            other => Ok(Some(self.broken(&format!(
                "expected a JSON object or array, found {:?}",
                other as char
            )))),
        }
    }

    fn step(&mut self) -> Result<Option<Ready>, Error> {
        let Some(&frame) = self.stack.last() else {
            return self.top();
        };
        match frame {
            Frame::Records => {
                let next = self.skip_blank(false, true)?;
                let line = self.line;
                match next {
                    Some(b']') => {
                        self.bump();
                        self.stack.pop();
                        Ok(None)
                    }
                    Some(b',') => {
                        self.bump();
                        Ok(None)
                    }
                    Some(b'\n') | None => Ok(Some(self.cut(line))),
                    Some(_) => {
                        self.record.clear();
                        match self.capture(Dest::Record)? {
                            Captured::Done => Ok(Some(self.emit(line, false))),
                            Captured::Nothing => Ok(Some(self.misplaced(line))),
                            Captured::LineEnd | Captured::Eof => Ok(Some(self.cut(line))),
                        }
                    }
                }
            }
            Frame::Object { depth, streamed } => {
                let keep = !streamed;
                let next = self.skip_blank(keep, true)?;
                let line = self.line;
                match next {
                    Some(b'}') => {
                        self.bump();
                        self.stack.pop();
                        if keep && depth == 0 {
                            self.pending.push(b'}');
                            let at = self.pending_line;
                            return Ok(Some(self.emit(at, true)));
                        }
                        Ok(None)
                    }
                    Some(b',') => {
                        self.bump();
                        if keep {
                            self.pending.push(b',');
                        }
                        Ok(None)
                    }
                    Some(b'"') => self.member(depth, streamed),
                    Some(b'\n') | None => Ok(Some(self.cut(line))),
                    Some(other) => {
                        if self.lines {
                            return Ok(Some(self.cut(line)));
                        }
                        Ok(Some(self.broken(&format!(
                            "malformed JSON object: {:?} where a member was expected",
                            other as char
                        ))))
                    }
                }
            }
        }
    }

    /// One member of an object frame: its key, then its value, which may
    /// be an envelope array (or, at the top, Elasticsearch's `hits`).
    fn member(&mut self, depth: u8, streamed: bool) -> Result<Option<Ready>, Error> {
        self.key.clear();
        if !matches!(self.capture(Dest::Key)?, Captured::Done) {
            let line = self.line;
            return Ok(Some(self.cut(line)));
        }
        if !streamed {
            let key = std::mem::take(&mut self.key);
            self.keep(Dest::Pending, &key);
            self.key = key;
        }
        if self.skip_blank(!streamed, true)? != Some(b':') {
            let line = self.line;
            return Ok(Some(self.cut(line)));
        }
        self.bump();
        if !streamed {
            self.pending.push(b':');
        }
        let value = self.skip_blank(!streamed, true)?;
        let envelope = match (depth, value) {
            (0, Some(b'[')) if !streamed => ENVELOPES.iter().any(|e| key_is(&self.key, e)),
            (1, Some(b'[')) => key_is(&self.key, b"hits"),
            _ => false,
        };
        if envelope {
            self.bump();
            self.set_streamed();
            self.stack.push(Frame::Records);
            return Ok(None);
        }
        if depth == 0 && !streamed && value == Some(b'{') && key_is(&self.key, b"hits") {
            self.bump();
            self.set_streamed();
            self.stack.push(Frame::Object {
                depth: 1,
                streamed: true,
            });
            return Ok(None);
        }
        let dest = if streamed {
            Dest::Nowhere
        } else {
            Dest::Pending
        };
        let line = self.line;
        match self.capture(dest)? {
            Captured::Done => Ok(None),
            Captured::Nothing => Ok(Some(self.misplaced(line))),
            Captured::LineEnd | Captured::Eof => Ok(Some(self.cut(line))),
        }
    }

    /// Marks the innermost object as an envelope: it is not a record.
    fn set_streamed(&mut self) {
        if let Some(Frame::Object { streamed, .. }) = self.stack.last_mut() {
            *streamed = true;
        }
        self.pending.clear();
    }

    /// A `,`, `}` or `]` where a value should start: in JSON lines the line
    /// is returned as it is (the parser says what is wrong), in a document
    /// reading ends.
    fn misplaced(&mut self, line: u64) -> Ready {
        if !self.lines {
            let found = self.peek().ok().flatten().map_or('?', char::from);
            return self.broken(&format!(
                "malformed JSON: {found:?} where a value was expected"
            ));
        }
        self.stack.clear();
        let from_pending = !self.pending.is_empty();
        let mut start = std::mem::take(if from_pending {
            &mut self.pending
        } else {
            &mut self.record
        });
        if let Err(e) = self.rest_of_line() {
            self.done = true;
            return Ready::Failed(e);
        }
        start.extend_from_slice(&self.record);
        self.record = start;
        self.emit(
            if from_pending {
                self.pending_line
            } else {
                line
            },
            false,
        )
    }

    /// A record cut short: in JSON lines by the end of its line (returned
    /// as it is, for the parser to say what is wrong; the next line is
    /// read next), in a document by the end of the input.
    fn cut(&mut self, line: u64) -> Ready {
        self.stack.clear();
        if !self.lines {
            return self.broken("the input ends inside a JSON value");
        }
        if self.peek().ok().flatten() == Some(b'\n') {
            self.bump();
        }
        let from_pending = !self.pending.is_empty();
        let line = if from_pending {
            self.pending_line
        } else {
            line
        };
        self.emit(line, from_pending)
    }
}

impl<R: BufRead> Reader for JsonReader<R> {
    fn next(&mut self) -> Step<'_> {
        let ready = loop {
            if self.done {
                return Step::End;
            }
            match self.step() {
                Err(e) => {
                    self.done = true;
                    break Ready::Failed(e);
                }
                Ok(None) => continue,
                Ok(Some(ready)) => break ready,
            }
        };
        match ready {
            Ready::Record(line) => {
                Step::Record(Position::Line(line), Body::Json(self.record.trim_ascii()))
            }
            Ready::Skipped(e) => Step::Skipped(e),
            Ready::Failed(e) => Step::Failed(e),
            Ready::End => Step::End,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every step of `text` read as `name`: records as (line, text), other
    /// steps by name.
    fn steps(text: &str) -> Vec<String> {
        let mut r = JsonReader::new("t", text.as_bytes(), text.as_bytes());
        let mut out = Vec::new();
        loop {
            match r.next() {
                Step::Record(Position::Line(l), Body::Json(t)) => {
                    out.push(format!("{l}:{}", String::from_utf8_lossy(t)))
                }
                Step::Skipped(e) => out.push(format!("skipped {e}")),
                Step::Failed(e) => out.push(format!("failed {e}")),
                Step::End => return out,
                other => out.push(format!("{other:?}")),
            }
        }
    }

    #[test]
    fn json_lines_are_one_record_a_line_and_a_bad_line_does_not_stop_them() {
        assert_eq!(
            steps("{\"a\":1}\n\n{\"b\":\"x}\"}\r\n{\"c\":\n{\"d\":[1,2]}\n"),
            [
                "1:{\"a\":1}",
                "3:{\"b\":\"x}\"}",
                "4:{\"c\":",
                "5:{\"d\":[1,2]}"
            ]
        );
    }

    #[test]
    fn arrays_and_pretty_objects_are_documents() {
        assert_eq!(
            steps("[\n  {\"a\": 1},\n  {\n    \"b\": [2]\n  }\n]\n"),
            ["2:{\"a\": 1}", "3:{\n    \"b\": [2]\n  }"]
        );
        // hayabusa -t json: pretty objects one after another.
        assert_eq!(
            steps("{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n"),
            ["1:{\n  \"a\": 1\n}", "4:{\n  \"b\": 2\n}"]
        );
    }

    #[test]
    fn envelopes_yield_their_records() {
        let es = r#"{
  "took": 5, "timed_out": false, "_shards": {"total": 1},
  "hits": {"total": {"value": 2, "relation": "eq"}, "max_score": 1.0,
    "hits": [
      {"_index": "i", "_id": "1", "_source": {"a": 1}},
      {"_index": "i", "_id": "2", "fields": {"b": [2]}}
    ]},
  "aggregations": {"x": {"buckets": []}}
}"#;
        assert_eq!(
            steps(es),
            [
                "5:{\"_index\": \"i\", \"_id\": \"1\", \"_source\": {\"a\": 1}}",
                "6:{\"_index\": \"i\", \"_id\": \"2\", \"fields\": {\"b\": [2]}}"
            ]
        );
        let azure = "{\"records\": [{\"a\": 1}, {\"b\": 2}]}";
        assert_eq!(steps(azure), ["1:{\"a\": 1}", "1:{\"b\": 2}"]);
        let splunk = r#"{"preview":false,"init_offset":0,"messages":[],"fields":[{"name":"_raw"}],"results":[{"_raw":"x"}],"highlighted":{}}"#;
        assert_eq!(steps(splunk), ["1:{\"_raw\":\"x\"}"]);
        // Any other object is one record, even with nested arrays.
        assert_eq!(
            steps("{\"tags\": [\"a\"], \"hits\": 3}\n"),
            ["1:{\"tags\": [\"a\"], \"hits\": 3}"]
        );
    }

    #[test]
    fn syslog_prefixes_are_taken_off() {
        assert_eq!(
            steps("<14>Mar  5 10:15:02 WS1 nxWinEvt[3028]: {\"EventID\":1}\nSep 16 12:39:18 host Microsoft-Windows-Sysmon[3524] {\"b\":2}\n"),
            ["1:{\"EventID\":1}", "2:{\"b\":2}"]
        );
        assert_eq!(
            syslog_json(b"<13>1 2026-05-07T09:49:31.308+00:00 h app 1 - - {\"a\":1}"),
            Some(48)
        );
        assert_eq!(syslog_json(b"hello {\"a\":1}"), None);
        assert_eq!(syslog_json(b"<x>Mar 5 {}"), None);
    }

    #[test]
    fn a_broken_document_ends_with_an_error_naming_the_line() {
        // An element that is not JSON is a record the parser refuses.
        assert_eq!(steps("[\n{\"a\":1}\nx\n]"), ["2:{\"a\":1}", "3:x"]);
        let s = steps("[\n{\"a\":1},\n{\"b\":");
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(
            s[1].starts_with("failed t:3: the input ends inside"),
            "{s:?}"
        );
        let s = steps("{\n  \"a\": 1 x\n}\n{\"b\":2}");
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(
            s[0].starts_with("failed t:2: malformed JSON object"),
            "{s:?}"
        );
    }

    /// A `}` where an element should start ends a document, and is one bad
    /// line in JSON lines: never a loop (found by the scan_input fuzzer).
    #[test]
    fn a_closing_bracket_where_a_value_starts_is_reported_not_looped_on() {
        let s = steps("[{\"a\":{}}},{\"b\":1}]");
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0], "1:{\"a\":{}}");
        assert!(
            s[1].starts_with("failed t:1: malformed JSON: '}' where a value"),
            "{s:?}"
        );
        assert_eq!(
            steps("{\"a\":} x\n{\"b\":1}\n"),
            ["1:{\"a\":} x", "2:{\"b\":1}"]
        );
    }

    /// An array of `n` elements, produced as it is read.
    struct Elements {
        left: usize,
        started: bool,
        pending: Vec<u8>,
    }

    impl std::io::Read for Elements {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() {
                if !self.started {
                    self.started = true;
                    self.pending.extend_from_slice(b"[\n");
                } else if self.left == 0 && self.started {
                    self.left = usize::MAX;
                    self.pending.extend_from_slice(b"]\n");
                } else if self.left > 0 && self.left != usize::MAX {
                    self.left -= 1;
                    let comma = if self.left > 0 { "," } else { "" };
                    let pad = "x".repeat(200);
                    self.pending.extend_from_slice(
                        format!("{{\"Image\":\"C:\\\\{pad}.exe\"}}{comma}\n").as_bytes(),
                    );
                } else {
                    return Ok(0);
                }
            }
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn a_large_array_is_read_one_element_at_a_time() {
        let n = 100_000; // about 22 MB
        let input = std::io::BufReader::new(Elements {
            left: n,
            started: false,
            pending: Vec::new(),
        });
        let mut r = JsonReader::new("big", input, b"[\n");
        let mut records = 0;
        loop {
            match r.next() {
                Step::Record(..) => records += 1,
                Step::End => break,
                other => panic!("{other:?}"),
            }
            assert!(r.record.capacity() < 4096 && r.pending.capacity() < 4096);
        }
        assert_eq!(records, n);
    }

    #[test]
    fn a_record_over_the_cap_is_skipped_and_the_next_is_read() {
        let big = format!("[{{\"a\":\"{}\"}},{{\"b\":1}}]", "y".repeat(MAX_RECORD));
        let s = steps(&big);
        assert!(
            s[0].starts_with("skipped t:1: record is larger than 16 MiB"),
            "{}",
            &s[0][..80]
        );
        assert_eq!(s[1], "1:{\"b\":1}");
    }
}
