//! Windows events as XML, the way Splunk's `XmlWinEventLog` stores them:
//! `<Event>…</Event>` one per line or concatenated (a `<Events>` wrapper or
//! an XML declaration around them is ignored). Each event is cut out of the
//! stream first and parsed on its own with `quick-xml`, so one malformed
//! event is reported with its line and the next one is still read.

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};

use super::event::EventBuilder;

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

/// Loads one `<Event>` element into `event`.
pub fn load_event(xml: &[u8], event: &mut EventBuilder) -> Result<(), String> {
    event.clear();
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut data_name: Option<String> = None;
    let mut text: Vec<u8> = Vec::new();
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "malformed XML at byte {} of the event: {e}",
                reader.buffer_position()
            )
        })?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                start_element(&name, &e, event, &mut data_name)?;
                text.clear();
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_vec();
                let mut dn = None;
                start_element(&name, &e, event, &mut dn)?;
                if let Some(n) = dn {
                    event.set(&n, &[b""]);
                }
            }
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|e| format!("bad character reference: {e}"))?;
                text.extend_from_slice(s.as_bytes());
            }
            Event::CData(c) => text.extend_from_slice(&c),
            Event::End(_) => {
                let Some(name) = stack.pop() else {
                    return Err("unbalanced closing tag".into());
                };
                let parent = stack.last().map(Vec::as_slice);
                match (name.as_slice(), parent) {
                    (b"Data", _) => {
                        if let Some(n) = data_name.take() {
                            event.set(&n, &[&text]);
                        }
                    }
                    (b"EventID" | b"Computer" | b"Channel", Some(b"System")) => {
                        let n = String::from_utf8_lossy(&name).into_owned();
                        event.set(&n, &[&text]);
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err("an element is not closed".into());
    }
    Ok(())
}

fn start_element(
    name: &[u8],
    e: &BytesStart<'_>,
    event: &mut EventBuilder,
    data_name: &mut Option<String>,
) -> Result<(), String> {
    let attr = |key: &[u8]| -> Result<Option<String>, String> {
        for a in e.attributes() {
            let a = a.map_err(|e| format!("malformed attribute: {e}"))?;
            if a.key.local_name().as_ref() == key {
                let v = a
                    .unescape_value()
                    .map_err(|e| format!("bad attribute value: {e}"))?;
                return Ok(Some(v.into_owned()));
            }
        }
        Ok(None)
    };
    match name {
        b"Data" => *data_name = attr(b"Name")?,
        b"TimeCreated" => {
            if let Some(t) = attr(b"SystemTime")? {
                event.set("SystemTime", &[t.as_bytes()]);
            }
        }
        b"Provider" => {
            if let Some(p) = attr(b"Name")? {
                event.set("Provider", &[p.as_bytes()]);
            }
        }
        _ => {}
    }
    Ok(())
}

/// True when `event` (one `<Event>` element) is surely not a process
/// creation, judged from its text without parsing it: its `<System>` has
/// one `<EventID>` whose number is neither 1 nor 4688, and no other field
/// [`EventBuilder::set`] would take as the event ID is there. When unsure it
/// says false, and the event is parsed and mapped.
pub fn surely_not_process_creation(event: &[u8]) -> bool {
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
        return false;
    }
    let mut tags = memmem::find_iter(event, b"<EventID");
    let (Some(at), None) = (tags.next(), tags.next()) else {
        return false;
    };
    let (Some(system), Some(system_end)) = (
        memmem::find(event, b"<System>"),
        memmem::find(event, b"</System>"),
    ) else {
        return false;
    };
    if !(system < at && at < system_end) {
        return false;
    }
    let rest = &event[at + b"<EventID".len()..];
    if !matches!(rest.first(), Some(b'>' | b' ')) {
        return false;
    }
    let Some(gt) = memchr::memchr(b'>', rest) else {
        return false;
    };
    let text = &rest[gt + 1..];
    let Some(lt) = memchr::memchr(b'<', text) else {
        return false;
    };
    let id = std::str::from_utf8(&text[..lt])
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    matches!(id, Some(id) if id != 1 && id != 4688)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(system: &str, data: &str) -> Vec<u8> {
        format!("<Event><System>{system}<Channel>Security</Channel></System><EventData>{data}</EventData></Event>").into_bytes()
    }

    #[test]
    fn only_other_event_ids_are_surely_not_process_creations() {
        assert!(surely_not_process_creation(&ev(
            "<EventID>4624</EventID>",
            ""
        )));
        assert!(surely_not_process_creation(&ev(
            "<EventID Qualifiers=\"\">3</EventID>",
            "<Data Name=\"Image\">x</Data>"
        )));
        // Process creations, and anything unsure, are parsed.
        assert!(!surely_not_process_creation(&ev(
            "<EventID>1</EventID>",
            ""
        )));
        assert!(!surely_not_process_creation(&ev(
            "<EventID>4688</EventID>",
            ""
        )));
        assert!(!surely_not_process_creation(&ev("", "")));
        assert!(!surely_not_process_creation(&ev(
            "<EventID>x</EventID>",
            ""
        )));
        assert!(!surely_not_process_creation(&ev(
            "<EventID>3</EventID>",
            "<Data Name=\"EventCode\">1</Data>"
        )));
        assert!(!surely_not_process_creation(
            b"<Event><EventID>3</EventID></Event>"
        ));
    }
}
