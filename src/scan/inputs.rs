//! What to read: the command line's FILEs expanded (directories walked),
//! each input's format chosen, and the work cut into [`Unit`]s that can run
//! in parallel and whose results are written in order.
//!
//! Rules (also in the README):
//! * A FILE named on the command line is always read: as `--input-format`
//!   says, else as EVTX when it starts with `ElfFile\0` or its name ends in
//!   `.evtx`, else as XML (`<`), JSON lines (`{`) or CSV by its first byte.
//!   Named symlinks are followed.
//! * A directory is walked recursively, entries in byte order of their
//!   names. Entries whose name starts with `.` are skipped (hidden files and
//!   directories), and so are symlinks (never followed: no loops, nothing
//!   read twice). A file is read when its content says what it is: EVTX by
//!   its magic (or any file named `*.evtx`, so a damaged one is reported),
//!   XML when its first 4 KiB hold `<Event`, JSON lines when it starts with
//!   `{`, CSV when its first line names a process field (CIM names such as
//!   `process_name` or `parent_process_path`, or Windows event names such as
//!   `Image` or `NewProcessName`: [`event::header_shape`]). Other files are
//!   passed over with one line each on stderr (not an error).
//!   `--input-format` does not apply inside directories.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::event::{self, HeaderShape};
use super::evtx;
use super::InputFormat;
use crate::error::Error;

/// Where an input's bytes come from.
#[derive(Debug)]
pub enum Source<'a> {
    /// Standard input.
    Stdin,
    /// A file.
    Path(PathBuf),
    /// Bytes in memory.
    Bytes(&'a [u8]),
}

/// One input before it is opened.
#[derive(Debug)]
pub struct Input<'a> {
    /// Its name in messages and in `source`.
    pub name: String,
    /// Where to read.
    pub source: Source<'a>,
    /// Forced format.
    pub forced: Option<InputFormat>,
    /// Found by walking a directory (chosen by content).
    pub walked: bool,
}

/// A piece of work: its messages come out in the order of units.
#[derive(Debug)]
pub enum Unit<'a> {
    /// A whole text input (or stdin or bytes) in the given format.
    Text {
        /// The input.
        input: Input<'a>,
        /// Its format (`None`: sniffed from its first bytes).
        format: Option<InputFormat>,
    },
    /// Some chunks of an EVTX file.
    Evtx {
        /// Name in messages.
        name: String,
        /// The file.
        path: PathBuf,
        /// Chunk numbers, in order.
        chunks: Vec<u64>,
    },
    /// A problem to report.
    Report(Error),
    /// A line to show that is not a problem (a walked file passed over).
    Note(String),
    /// An input was opened (counted in the summary).
    Opened,
}

/// EVTX chunks per unit (1 MiB of file).
const CHUNKS_PER_UNIT: usize = 16;

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn named_evtx(name: &Path) -> bool {
    name.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
}

/// Expands FILE arguments into inputs, walking directories; problems
/// (a missing file, an unreadable directory) come out in place as `Err`.
pub fn expand(files: &[String], forced: Option<InputFormat>) -> Vec<Result<Input<'static>, Error>> {
    let mut out = Vec::new();
    for file in files {
        if file == "-" {
            out.push(Ok(Input {
                name: "-".into(),
                source: Source::Stdin,
                forced,
                walked: false,
            }));
            continue;
        }
        let path = PathBuf::from(file);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, &mut out),
            Ok(_) => out.push(Ok(Input {
                name: file.clone(),
                source: Source::Path(path),
                forced,
                walked: false,
            })),
            Err(e) => out.push(Err(Error::io(format!("cannot open {file}"), e))),
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Result<Input<'static>, Error>>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.push(Err(Error::io(
                format!("cannot read directory {}", dir.display()),
                e,
            )));
            return;
        }
    };
    let mut list = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => list.push(entry),
            Err(e) => out.push(Err(Error::io(
                format!("cannot read directory {}", dir.display()),
                e,
            ))),
        }
    }
    list.sort_by_key(|e| e.file_name());
    for entry in list {
        if is_hidden(&entry.file_name()) {
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, out),
            Ok(t) if t.is_file() => out.push(Ok(Input {
                name: path.display().to_string(),
                source: Source::Path(path),
                forced: None,
                walked: true,
            })),
            Ok(_) => {} // symlinks, sockets, devices
            Err(e) => out.push(Err(Error::io(format!("cannot read {}", path.display()), e))),
        }
    }
}

/// The format of a walked file from its name and first bytes; `None` to
/// pass it over.
fn choose(name: &Path, head: &[u8]) -> Option<InputFormat> {
    if head.starts_with(evtx::MAGIC) || named_evtx(name) {
        return Some(InputFormat::Evtx);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') if memchr::memmem::find(text, b"<Event").is_some() => Some(InputFormat::Xml),
        Some(b'{') => Some(InputFormat::Json),
        Some(_) => {
            // The first line, read as the CSV reader will read it.
            let mut header = csv::ByteRecord::new();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text);
            let read = reader.read_byte_record(&mut header).unwrap_or(false);
            (read && event::header_shape(header.iter()) != HeaderShape::NoProcessField)
                .then_some(InputFormat::Csv)
        }
        None => None,
    }
}

/// The line shown for a walked file that is passed over.
fn passed_over(name: &str) -> String {
    format!(
        "{name}: passed over: not an EVTX log, XML events, JSON lines or a CSV with a \
         process field"
    )
}

/// Cuts inputs into units, lazily (files are opened as units are needed).
pub struct Units<'a> {
    inputs: std::vec::IntoIter<Result<Input<'a>, Error>>,
    queue: std::collections::VecDeque<Unit<'a>>,
}

impl<'a> Units<'a> {
    /// Units for `inputs`, in order.
    pub fn new(inputs: Vec<Result<Input<'a>, Error>>) -> Units<'a> {
        Units {
            inputs: inputs.into_iter(),
            queue: Default::default(),
        }
    }

    fn plan(&mut self, input: Input<'a>) {
        let path = match input.source {
            Source::Path(ref p) => p.clone(),
            Source::Stdin | Source::Bytes(_) => {
                // Streams: sniffed by the text reader (EVTX needs a file).
                let format = input.forced;
                self.queue.push_back(Unit::Opened);
                self.queue.push_back(Unit::Text { input, format });
                return;
            }
        };
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                let e = Error::io(format!("cannot open {}", input.name), e);
                self.queue.push_back(Unit::Report(e));
                return;
            }
        };
        let mut head = Vec::with_capacity(4096);
        if let Err(e) = file.by_ref().take(4096).read_to_end(&mut head) {
            self.queue.push_back(Unit::Opened);
            let e = Error::io(format!("cannot read {}", input.name), e);
            self.queue.push_back(Unit::Report(e));
            return;
        }
        let format = if input.walked {
            match choose(&path, &head) {
                Some(f) => f,
                None => {
                    self.queue.push_back(Unit::Note(passed_over(&input.name)));
                    return;
                }
            }
        } else {
            match input.forced {
                Some(f) => f,
                None if head.starts_with(evtx::MAGIC) || named_evtx(&path) => InputFormat::Evtx,
                None => InputFormat::sniff(&head),
            }
        };
        self.queue.push_back(Unit::Opened);
        if format != InputFormat::Evtx {
            let format = Some(format);
            self.queue.push_back(Unit::Text { input, format });
            return;
        }
        let plan = match evtx::plan(&input.name, &mut BufReader::new(file)) {
            Ok(plan) => plan,
            Err(e) => {
                self.queue.push_back(Unit::Report(e));
                return;
            }
        };
        for chunks in plan.chunks.chunks(CHUNKS_PER_UNIT) {
            self.queue.push_back(Unit::Evtx {
                name: input.name.clone(),
                path: path.clone(),
                chunks: chunks.to_vec(),
            });
        }
        if let Some(e) = plan.tail {
            self.queue.push_back(Unit::Report(e));
        }
    }
}

impl<'a> Iterator for Units<'a> {
    type Item = Unit<'a>;

    fn next(&mut self) -> Option<Unit<'a>> {
        loop {
            if let Some(unit) = self.queue.pop_front() {
                return Some(unit);
            }
            match self.inputs.next()? {
                Ok(input) => self.plan(input),
                Err(e) => return Some(Unit::Report(e)),
            }
        }
    }
}
