//! Windows event log files (`.evtx`), read with the `evtx` crate.
//!
//! A file is a 4 KiB header and 64 KiB chunks, each chunk holding whole
//! records. [`plan`] reads the header and the chunk headers and lists the
//! chunks in the order the `evtx` crate reads them (from the chunk with the
//! oldest records, wrapping around). The chunks can then be read apart, in
//! parallel: an [`EvtxReader`] reads some of them. Each record is rendered
//! as XML by the crate and goes through the same mapping as the XML reader
//! ([`crate::layouts::xml::load_fields`]), unless its `<EventID>` already
//! says it is not a process creation
//! ([`super::xml::surely_not_process_creation`]); such a record is counted
//! by its channel and event ID.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use evtx::{EvtxChunkData, EvtxChunkHeader, EvtxFileHeader, ParserSettings};

use super::read::{Body, Position, Reader, Step};
use super::xml;
use crate::error::Error;

/// The first 8 bytes of every `.evtx` file.
pub const MAGIC: &[u8; 8] = b"ElfFile\0";
/// The file header block the chunks start after.
pub const HEADER_SIZE: u64 = 4096;
/// Every chunk's size.
pub const CHUNK_SIZE: u64 = 65536;

/// An error about `path` at a chunk and record where known.
pub fn error(path: &str, chunk: Option<u64>, record: Option<u64>, message: String) -> Error {
    Error::input(
        crate::error::Position::input(path, Position::Record { chunk, record }),
        message,
    )
}

/// An error and its sources, as one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.ends_with(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Which chunks of a file to read, in order.
#[derive(Debug)]
pub struct Plan {
    /// Chunk numbers, in the order the `evtx` crate reads them.
    pub chunks: Vec<u64>,
    /// A problem with the file's end (a cut chunk), reported after its
    /// records.
    pub tail: Option<Error>,
}

/// Reads the file header and the chunk headers of `file`.
pub fn plan<F: Read + Seek>(path: &str, file: &mut F) -> Result<Plan, Error> {
    let io = |e: std::io::Error| error(path, None, None, format!("read error: {e}"));
    let size = file.seek(SeekFrom::End(0)).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    if size == 0 {
        return Err(error(
            path,
            None,
            None,
            "empty file, not a Windows event log".into(),
        ));
    }
    let mut head = Vec::with_capacity(HEADER_SIZE as usize);
    file.by_ref()
        .take(HEADER_SIZE)
        .read_to_end(&mut head)
        .map_err(io)?;
    if !head.starts_with(MAGIC) {
        return Err(error(
            path,
            None,
            None,
            "not a Windows event log (the file does not start with \"ElfFile\\0\")".into(),
        ));
    }
    if size < HEADER_SIZE {
        return Err(error(
            path,
            None,
            None,
            format!("file is cut: {size} bytes, shorter than the {HEADER_SIZE}-byte file header"),
        ));
    }
    let header = EvtxFileHeader::from_bytes(&head).map_err(|e| {
        error(
            path,
            None,
            None,
            format!("bad file header: {}", describe(&e)),
        )
    })?;
    let block = u64::from(header.header_block_size);
    let count = size.saturating_sub(block) / CHUNK_SIZE;
    // The chunk with the lowest first record ID holds the oldest records
    // (as the `evtx` crate decides).
    let mut oldest = (u64::MAX, 0);
    let mut chunk_head = [0u8; 512];
    for n in 0..count {
        file.seek(SeekFrom::Start(HEADER_SIZE + n * CHUNK_SIZE))
            .map_err(io)?;
        if file.read_exact(&mut chunk_head).is_err() {
            break;
        }
        if let Ok(h) = EvtxChunkHeader::from_bytes(&chunk_head) {
            if h.first_event_record_id <= h.last_event_record_id
                && h.first_event_record_id < oldest.0
            {
                oldest = (h.first_event_record_id, n);
            }
        }
    }
    let chunks = (oldest.1..count).chain(0..oldest.1).collect();
    let cut = size.saturating_sub(HEADER_SIZE) % CHUNK_SIZE;
    let tail = (size > HEADER_SIZE && cut != 0 && block == HEADER_SIZE).then(|| {
        let chunk = (size - HEADER_SIZE) / CHUNK_SIZE;
        error(
            path,
            Some(chunk),
            None,
            format!(
                "file is cut {cut} bytes into this chunk (of {CHUNK_SIZE}); its records are not read"
            ),
        )
    });
    Ok(Plan { chunks, tail })
}

/// One record of the current chunk.
enum Item {
    /// A rendered record: its ID and where its XML ends in `data`.
    Record(u64, usize),
    /// A record that is surely not a process creation: its ID and which
    /// event it is.
    Other(u64, String),
    /// A problem in the chunk or a record.
    Problem(Error),
}

/// Reads some chunks of one `.evtx` file.
pub struct EvtxReader<F> {
    path: String,
    file: F,
    chunks: std::vec::IntoIter<u64>,
    settings: Arc<ParserSettings>,
    chunk: u64,
    data: Vec<u8>,
    items: std::collections::VecDeque<Item>,
    /// Where the next record's XML starts in `data`.
    start: usize,
    buf: Vec<u8>,
    bytes_read: Arc<std::sync::atomic::AtomicU64>,
    /// Which event the last [`Item::Other`] was.
    label: String,
}

impl<F: Read + Seek> EvtxReader<F> {
    /// Reads `chunks` (numbers from [`plan`]) of `file`; counts the bytes
    /// into `bytes_read`.
    pub fn new(
        path: &str,
        file: F,
        chunks: Vec<u64>,
        bytes_read: Arc<std::sync::atomic::AtomicU64>,
    ) -> EvtxReader<F> {
        EvtxReader {
            path: path.to_string(),
            file,
            chunks: chunks.into_iter(),
            settings: Arc::new(ParserSettings::default()),
            chunk: 0,
            data: Vec::new(),
            items: Default::default(),
            start: 0,
            buf: Vec::with_capacity(CHUNK_SIZE as usize),
            bytes_read,
            label: String::new(),
        }
    }

    fn problem(&mut self, record: Option<u64>, message: String) {
        let e = error(&self.path, Some(self.chunk), record, message);
        self.items.push_back(Item::Problem(e));
    }

    /// Reads and renders chunk `n` into `items`.
    fn load(&mut self, n: u64) {
        self.chunk = n;
        self.data.clear();
        self.start = 0;
        self.buf.clear();
        let read = self
            .file
            .seek(SeekFrom::Start(HEADER_SIZE + n * CHUNK_SIZE))
            .and_then(|_| {
                self.file
                    .by_ref()
                    .take(CHUNK_SIZE)
                    .read_to_end(&mut self.buf)
            });
        self.bytes_read
            .fetch_add(self.buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        match read {
            Err(e) => return self.problem(None, format!("read error: {e}")),
            Ok(len) if len as u64 != CHUNK_SIZE => {
                return self.problem(None, format!("only {len} of {CHUNK_SIZE} bytes"))
            }
            Ok(_) => {}
        }
        // Empty chunks sit in logs that were not closed cleanly.
        if self.buf.iter().all(|&b| b == 0) {
            return;
        }
        let mut chunk_data = match EvtxChunkData::new(std::mem::take(&mut self.buf), false) {
            Ok(c) => c,
            Err(e) => return self.problem(None, format!("bad chunk: {}", describe(&e))),
        };
        let mut chunk = match chunk_data.parse(Arc::clone(&self.settings)) {
            Ok(c) => c,
            Err(e) => return self.problem(None, format!("bad chunk: {}", describe(&e))),
        };
        for record in chunk.iter() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let id = match &e {
                        evtx::err::EvtxError::FailedToParseRecord { record_id, .. } => {
                            Some(*record_id)
                        }
                        _ => None,
                    };
                    self.problem(id, format!("bad record: {}", describe(&e)));
                    continue;
                }
            };
            let id = record.event_record_id;
            match record.into_xml_bytes() {
                Ok(rendered) => match xml::surely_not_process_creation(&rendered.data) {
                    Some(event_id) => {
                        let label = xml::label(&rendered.data, event_id);
                        self.items.push_back(Item::Other(id, label));
                    }
                    None => {
                        self.data.extend_from_slice(&rendered.data);
                        self.items.push_back(Item::Record(id, self.data.len()));
                    }
                },
                Err(e) => self.problem(
                    Some(id),
                    format!("record cannot be rendered: {}", describe(&e)),
                ),
            }
        }
    }
}

impl<F: Read + Seek> Reader for EvtxReader<F> {
    fn layout(&self) -> Option<&'static crate::layouts::ExportLayout> {
        Some(&crate::layouts::EVTX_LOG)
    }

    fn next(&mut self) -> Step<'_> {
        loop {
            match self.items.pop_front() {
                Some(Item::Problem(e)) => return Step::Problem(e),
                Some(Item::Other(record, label)) => {
                    let pos = Position::Record {
                        chunk: Some(self.chunk),
                        record: Some(record),
                    };
                    self.label = label;
                    return Step::Record(pos, Body::Other(Some(&self.label)));
                }
                Some(Item::Record(record, end)) => {
                    let pos = Position::Record {
                        chunk: Some(self.chunk),
                        record: Some(record),
                    };
                    let start = std::mem::replace(&mut self.start, end);
                    return Step::Record(pos, Body::Xml(&self.data[start..end]));
                }
                None => match self.chunks.next() {
                    Some(n) => self.load(n),
                    None => return Step::End,
                },
            }
        }
    }
}
