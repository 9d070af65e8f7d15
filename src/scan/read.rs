//! The readers: each input format yields its records one at a time, with
//! the position they came from, and knows nothing about mapping, the rule,
//! progress or error reporting (that is one loop in [`super::pipeline`]).
//!
//! A reader is a lending iterator: [`Reader::next`] returns a [`Step`] that
//! borrows the reader's buffers until the next call, so no record is copied.

use std::io::BufRead;

use csv::ByteRecord;

use super::{input_error, xml};
use crate::error::Error;

pub use crate::error::InputAt as Position;

/// The `source` column of a record: `file:line` or `file#record`.
pub fn source(name: &str, at: &Position) -> String {
    match at {
        Position::Line(line) => format!("{name}:{line}"),
        Position::Record {
            record: Some(record),
            ..
        } => format!("{name}#{record}"),
        Position::Record { record: None, .. } => name.to_string(),
    }
}

/// What a record holds, before mapping onto `Endpoint.Processes`.
#[derive(Debug)]
pub enum Body<'a> {
    /// A CSV row whose columns the last [`Step::Header`] named.
    Row(&'a ByteRecord),
    /// One JSON record (a line, an array element, a document), trimmed.
    Json(&'a [u8]),
    /// One `<Event>` element.
    Xml(&'a [u8]),
    /// A record known not to be a process creation without mapping it,
    /// with which event it is (`Security 4624`) when known.
    Other(Option<&'a str>),
}

/// One step of a reader.
#[derive(Debug)]
pub enum Step<'a> {
    /// The CSV header: the columns of the [`Body::Row`]s that follow.
    Header(&'a ByteRecord),
    /// A record.
    Record(Position, Body<'a>),
    /// A record that could not be read; it counts as read, and reading
    /// goes on.
    Skipped(Error),
    /// A problem that is not a record (a damaged EVTX chunk); reading goes
    /// on.
    Problem(Error),
    /// A problem after which this input cannot be read further.
    Failed(Error),
    /// The end of the input.
    End,
}

/// An input format's reader.
pub trait Reader {
    /// The next step; after [`Step::Failed`] or [`Step::End`] the caller
    /// stops.
    fn next(&mut self) -> Step<'_>;

    /// The layout of its [`Body::Xml`] and [`Body::Other`] records, when
    /// the format decides it.
    fn layout(&self) -> Option<&'static crate::layouts::ExportLayout> {
        None
    }
}

/// Largest CSV record accepted, like [`super::json::MAX_RECORD`] and
/// [`xml::MAX_EVENT`].
pub const MAX_CSV_RECORD: u64 = 16 << 20;

/// Shared between [`CappedRead`] and [`CsvReader`]: how far the CSV reader
/// may read before the record it is in is too large.
#[derive(Debug, Default)]
struct Cap {
    read: std::cell::Cell<u64>,
    limit: std::cell::Cell<u64>,
    hit: std::cell::Cell<bool>,
}

/// Refuses to read past `cap.limit`, so a huge CSV field cannot grow the
/// record buffer without bound.
struct CappedRead<R> {
    inner: R,
    cap: std::rc::Rc<Cap>,
}

impl<R: std::io::Read> std::io::Read for CappedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.cap.limit.get().saturating_sub(self.cap.read.get());
        if left == 0 {
            self.cap.hit.set(true);
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "record too large",
            ));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.cap.read.set(self.cap.read.get() + n as u64);
        Ok(n)
    }
}

/// CSV with a header of CIM names (the `csv` crate).
pub struct CsvReader<R> {
    name: String,
    reader: csv::Reader<CappedRead<R>>,
    cap: std::rc::Rc<Cap>,
    record: ByteRecord,
    /// Added to the `csv` crate's line numbers (see [`CsvReader::new`]).
    line_fix: u64,
    started: bool,
    done: bool,
}

impl<R: BufRead> CsvReader<R> {
    /// Reads `input`; `head` is its first buffered bytes.
    pub fn new(name: &str, input: R, head: &[u8]) -> CsvReader<R> {
        // The csv reader places a record after a CRLF terminator at the
        // terminator's `\n`, one line early; correct line numbers for CRLF files.
        let crlf = memchr::memchr(b'\n', head).is_some_and(|i| i > 0 && head[i - 1] == b'\r');
        let cap = std::rc::Rc::new(Cap::default());
        cap.limit.set(MAX_CSV_RECORD);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(CappedRead {
                inner: input,
                cap: cap.clone(),
            });
        CsvReader {
            name: name.to_string(),
            reader,
            cap,
            record: ByteRecord::new(),
            line_fix: u64::from(crlf),
            started: false,
            done: false,
        }
    }

    fn too_large(&self) -> Error {
        let line = self.reader.position().line() + self.line_fix;
        input_error(
            &self.name,
            line,
            format!(
                "CSV record is larger than {} MiB; the rest of the file is not read",
                MAX_CSV_RECORD >> 20
            ),
        )
    }

    /// Lets the next record use up to [`MAX_CSV_RECORD`] bytes.
    /// Reads the next record (the header when `header`) into `self.record`;
    /// `Some` ends the input: at its end, or with the problem (the csv
    /// reader cannot resync after a malformed or oversized record).
    fn read_record(&mut self, header: bool) -> Option<Step<'static>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => None,
            Ok(false) => Some(Step::End),
            Err(e) => {
                self.done = true;
                Some(Step::Failed(if self.cap.hit.get() {
                    self.too_large()
                } else if header {
                    input_error(&self.name, 1, format!("cannot read the CSV header: {e}"))
                } else {
                    let line = e.position().map_or(0, |p| p.line() + self.line_fix);
                    input_error(&self.name, line, format!("malformed CSV: {e}"))
                }))
            }
        }
    }

    fn rearm(&self) {
        // The csv reader buffers ahead (8 KiB): allow for that.
        let at = self.reader.position().byte();
        self.cap.limit.set(at + MAX_CSV_RECORD + (1 << 16));
    }
}

impl<R: BufRead> Reader for CsvReader<R> {
    fn next(&mut self) -> Step<'_> {
        if self.done {
            return Step::End;
        }
        if !self.started {
            self.started = true;
            if let Some(end) = self.read_record(true) {
                return end;
            }
            // Windows PowerShell 5.1's Export-Csv writes `#TYPE <class>`
            // before the header.
            if self.record.len() == 1 && self.record[0].starts_with(b"#TYPE ") {
                if let Some(end) = self.read_record(true) {
                    return end;
                }
            }
            if let Some(stripped) = self
                .record
                .get(0)
                .and_then(|f| f.strip_prefix(b"\xEF\xBB\xBF"))
            {
                let mut fixed = ByteRecord::new();
                fixed.push_field(stripped);
                for f in self.record.iter().skip(1) {
                    fixed.push_field(f);
                }
                self.record = fixed;
            }
            self.rearm();
            return Step::Header(&self.record);
        }
        if let Some(end) = self.read_record(false) {
            return end;
        }
        self.rearm();
        let line = self
            .record
            .position()
            .map_or(0, |p| p.line() + self.line_fix);
        Step::Record(Position::Line(line), Body::Row(&self.record))
    }
}

/// Windows events as XML (see [`xml::EventSplitter`]).
pub struct XmlReader<R> {
    name: String,
    splitter: xml::EventSplitter<R>,
    event: Vec<u8>,
    events: u64,
    done: bool,
}

impl<R: BufRead> XmlReader<R> {
    /// Reads `input`.
    pub fn new(name: &str, input: R) -> XmlReader<R> {
        XmlReader {
            name: name.to_string(),
            splitter: xml::EventSplitter::new(input),
            event: Vec::new(),
            events: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Reader for XmlReader<R> {
    fn layout(&self) -> Option<&'static crate::layouts::ExportLayout> {
        Some(&crate::layouts::XML_EVENTS)
    }

    fn next(&mut self) -> Step<'_> {
        if self.done {
            return Step::End;
        }
        match self.splitter.next_event() {
            Ok(Some((line, bytes))) => {
                self.events += 1;
                self.event = bytes;
                Step::Record(Position::Line(line), Body::Xml(&self.event))
            }
            Ok(None) if self.events == 0 => {
                self.done = true;
                Step::Failed(input_error(
                    &self.name,
                    1,
                    "no <Event> element: read as XML (it starts with '<'), but it holds no \
                     Windows event; nothing was read"
                        .into(),
                ))
            }
            Ok(None) => Step::End,
            Err(e) => Step::Failed(input_error(&self.name, e.line, e.message)),
        }
    }
}
