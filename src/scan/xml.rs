//! Windows events as XML, the way Splunk's `XmlWinEventLog` stores them:
//! `<Event>…</Event>` one per line or concatenated (a `<Events>` wrapper or
//! an XML declaration around them is ignored). Each event is cut out of the
//! stream first and parsed on its own ([`crate::layouts::xml`]), so one
//! malformed event is reported with its line and the next one is still
//! read.

use std::io::BufRead;

/// Largest single event accepted.
pub const MAX_EVENT: usize = 16 << 20;

/// A problem with the input around one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// 1-based line where the event starts.
    pub line: u64,
    /// What was wrong. Reading the stream cannot go on after this.
    pub message: String,
}

/// Cuts `<Event …>…</Event>` elements out of a byte stream.
pub struct EventSplitter<R> {
    reader: R,
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`.
    pos: usize,
    /// Line number at `pos`.
    line: u64,
    eof: bool,
}

impl<R: BufRead> EventSplitter<R> {
    /// Wraps a reader.
    pub fn new(reader: R) -> EventSplitter<R> {
        EventSplitter {
            reader,
            buf: Vec::new(),
            pos: 0,
            line: 1,
            eof: false,
        }
    }

    /// Appends the reader's next block; false at EOF. Never moves bytes, so
    /// offsets into `buf` stay valid.
    fn fill(&mut self) -> Result<bool, std::io::Error> {
        if self.eof {
            return Ok(false);
        }
        let chunk = loop {
            match self.reader.fill_buf() {
                Ok(chunk) => break chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if chunk.is_empty() {
            self.eof = true;
            return Ok(false);
        }
        let n = chunk.len();
        self.buf.extend_from_slice(chunk);
        self.reader.consume(n);
        Ok(true)
    }

    /// Drops consumed bytes (only between events).
    fn compact(&mut self) {
        if self.pos > (64 << 10) || (self.pos > 0 && self.pos * 2 >= self.buf.len()) {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    fn advance(&mut self, to: usize) {
        self.line += memchr::memchr_iter(b'\n', &self.buf[self.pos..to]).count() as u64;
        self.pos = to;
    }

    /// The next event's bytes and its starting line; `Ok(None)` at the end.
    pub fn next_event(&mut self) -> Result<Option<(u64, Vec<u8>)>, XmlError> {
        let io = |line, e: std::io::Error| XmlError {
            line,
            message: format!("read error: {e}"),
        };
        self.compact();
        // 1. The next <Event> start tag (not <EventData>, <EventID>, …).
        let start = loop {
            let hay = &self.buf[self.pos..];
            match find_event_start(hay) {
                Some(off) => break self.pos + off,
                None => {
                    // Skip what cannot hold the start of "<Event" + 1 byte.
                    let skip_to = self.pos + hay.len().saturating_sub(6);
                    self.advance(skip_to);
                    if !self.fill().map_err(|e| io(self.line, e))? {
                        self.advance(self.buf.len());
                        return Ok(None); // text outside events is ignored
                    }
                }
            }
        };
        self.advance(start);
        let line = self.line;
        // 2. Its end tag.
        let mut searched = start;
        loop {
            if let Some(off) = memchr::memmem::find(&self.buf[searched..], b"</Event>") {
                let end = searched + off + b"</Event>".len();
                let event = self.buf[start..end].to_vec();
                self.advance(end);
                return Ok(Some((line, event)));
            }
            if self.buf.len() - start > MAX_EVENT {
                return Err(XmlError {
                    line,
                    message: format!(
                        "event is larger than {} MiB (or its </Event> is missing)",
                        MAX_EVENT >> 20
                    ),
                });
            }
            searched = self.buf.len().saturating_sub(7).max(start);
            if !self.fill().map_err(|e| io(line, e))? {
                return Err(XmlError {
                    line,
                    message: "input ends inside an <Event> element (no </Event>)".into(),
                });
            }
        }
    }
}

fn find_event_start(hay: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(off) = memchr::memmem::find(&hay[from..], b"<Event") {
        let at = from + off;
        match hay.get(at + 6) {
            Some(b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/') => return Some(at),
            None => return None, // maybe split; caller reads more
            _ => from = at + 6,
        }
    }
    None
}

/// The event ID of `event` (one `<Event>` element) when it is surely not
/// a process creation, judged from its text without parsing it: its
/// `<System>` has one `<EventID>` whose number is neither 1 nor 4688, and
/// no other field the Windows map takes as the event ID is there. When
/// unsure it says `None`, and the event is parsed and mapped.
pub fn surely_not_process_creation(event: &[u8]) -> Option<u32> {
    use memchr::memmem;
    // Names that EventBuilder also takes as the event ID (as a Data Name).
    const ALIASES: [&[u8]; 10] = [
        b"code\"",
        b"code'",
        b"Code\"",
        b"Code'",
        b"event_id\"",
        b"event_id'",
        b"EventId\"",
        b"EventId'",
        b"EventID\"",
        b"EventID'",
    ];
    if ALIASES.iter().any(|a| memmem::find(event, a).is_some()) {
        return None;
    }
    let mut tags = memmem::find_iter(event, b"<EventID");
    let (Some(at), None) = (tags.next(), tags.next()) else {
        return None;
    };
    let (Some(system), Some(system_end)) = (
        memmem::find(event, b"<System>"),
        memmem::find(event, b"</System>"),
    ) else {
        return None;
    };
    if !(system < at && at < system_end) {
        return None;
    }
    let rest = &event[at + b"<EventID".len()..];
    if !matches!(rest.first(), Some(b'>' | b' ')) {
        return None;
    }
    let gt = memchr::memchr(b'>', rest)?;
    let text = &rest[gt + 1..];
    let lt = memchr::memchr(b'<', text)?;
    let id = std::str::from_utf8(&text[..lt])
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    id.filter(|id| *id != 1 && *id != 4688)
}

/// Which event a record surely not a process creation is: its channel
/// (`<Channel>`) and event ID, as [`crate::layouts::EventBuilder::label`]
/// words it.
pub fn label(event: &[u8], event_id: u32) -> String {
    use memchr::memmem;
    let channel = memmem::find(event, b"<Channel>").and_then(|at| {
        let rest = &event[at + b"<Channel>".len()..];
        let end = memchr::memchr(b'<', rest)?;
        std::str::from_utf8(&rest[..end]).ok()
    });
    crate::layouts::builder::event_label(channel, Some(event_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(system: &str, data: &str) -> Vec<u8> {
        format!("<Event><System>{system}<Channel>Security</Channel></System><EventData>{data}</EventData></Event>").into_bytes()
    }

    #[test]
    fn only_other_event_ids_are_surely_not_process_creations() {
        let surely = |e: &[u8]| surely_not_process_creation(e);
        assert_eq!(surely(&ev("<EventID>4624</EventID>", "")), Some(4624));
        assert_eq!(
            surely(&ev(
                "<EventID Qualifiers=\"\">3</EventID>",
                "<Data Name=\"Image\">x</Data>"
            )),
            Some(3)
        );
        // Process creations, and anything unsure, are parsed.
        assert_eq!(surely(&ev("<EventID>1</EventID>", "")), None);
        assert_eq!(surely(&ev("<EventID>4688</EventID>", "")), None);
        assert_eq!(surely(&ev("", "")), None);
        assert_eq!(surely(&ev("<EventID>x</EventID>", "")), None);
        assert_eq!(
            surely(&ev(
                "<EventID>3</EventID>",
                "<Data Name=\"EventCode\">1</Data>"
            )),
            None
        );
        assert_eq!(surely(b"<Event><EventID>3</EventID></Event>"), None);
    }

    #[test]
    fn a_skipped_record_is_labelled_by_channel_and_event_id() {
        assert_eq!(
            label(&ev("<EventID>4624</EventID>", ""), 4624),
            "Security 4624"
        );
        assert_eq!(
            label(
                b"<Event><System><EventID>3</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel></System></Event>",
                3
            ),
            "Sysmon 3"
        );
        assert_eq!(label(b"<Event></Event>", 7), "event ID 7");
    }
}
