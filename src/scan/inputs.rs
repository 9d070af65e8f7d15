//! What to read: the command line's FILEs expanded (directories walked),
//! each input's format chosen, and the work cut into [`Unit`]s that can run
//! in parallel and whose results are written in order.
//!
//! Rules (also in the README):
//! * Every input is opened once and read once: the bytes looked at to
//!   choose its format are put back in front of the rest ([`decode`]), so a
//!   pipe, a FIFO or `<(command)` is read like a file. Only an EVTX log is
//!   opened again (one handle per unit of chunks): it must be a regular
//!   file.
//! * A FILE named on the command line is always read: as `--input-format`
//!   says, else as EVTX when it starts with `ElfFile\0` or its name ends in
//!   `.evtx` (unless it starts like a compressed file), else, once decoded
//!   (gzip, UTF-16), as XML (`<`), JSON lines (`{`) or CSV by its first
//!   byte. A named input that is empty or blank is an error. Named symlinks
//!   are followed.
//! * A directory is walked recursively, entries in byte order of their
//!   names. Entries whose name starts with `.` are skipped (hidden files and
//!   directories), and so are symlinks (never followed: no loops, nothing
//!   read twice). A file is read when its content says what it is: EVTX by
//!   its magic (or any file named `*.evtx`, so a damaged one is reported);
//!   once decoded (gzip, UTF-16), XML when its first 4 KiB hold `<Event`,
//!   JSON (or syslog lines carrying JSON) when its first record is of a
//!   layout known (or does not end within the bytes looked at), CSV when
//!   its first line (after PowerShell's `#TYPE` line) is the header of a
//!   layout known ([`crate::layouts::recognise`]). Other files are passed
//!   over with one line each on stderr saying why (not an error, counted
//!   in the summary); so is a file in a refused format (zip, xz, …, a
//!   gzip-compressed EVTX log), its line saying what it is, and a file of
//!   a known layout that, once read, holds no process creations, its line
//!   naming the layout ([`super::report`]). A file that
//!   cannot be opened or read is an error. `--input-format` does not apply
//!   inside directories.
//! * Every input read ends with a [`Unit::End`], where the rule of
//!   [`super::report`] is applied to what it held.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::decode;
use super::evtx;
use super::parallel::{CountHandle, Counting};
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
pub enum Unit<'a> {
    /// A whole text input, opened and decoded, in the given format.
    Text {
        /// Its name in messages and in `source`.
        name: String,
        /// The decoded text, from its first byte.
        text: decode::Text<'a>,
        /// Its format.
        format: InputFormat,
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
    /// A walked file passed over: the line that says why (not a problem).
    PassedOver(String),
    /// An input was opened (counted in the summary).
    Opened,
    /// An input has been read to its end: its name, and whether a folder
    /// walk found it.
    End(String, bool),
}

impl std::fmt::Debug for Unit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unit::Text { name, format, .. } => write!(f, "Text({name}, {format:?})"),
            Unit::Evtx { name, chunks, .. } => write!(f, "Evtx({name}, {chunks:?})"),
            Unit::Report(e) => write!(f, "Report({e})"),
            Unit::PassedOver(n) => write!(f, "PassedOver({n})"),
            Unit::Opened => f.write_str("Opened"),
            Unit::End(n, walked) => write!(f, "End({n}, {walked})"),
        }
    }
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

/// The format of a walked text file from its first decoded bytes, or why
/// it is passed over.
fn choose(text: &[u8]) -> Result<InputFormat, String> {
    let first = text.trim_ascii_start();
    let line = first.split(|&b| b == b'\n').next().unwrap_or_default();
    let json = super::json::syslog_json(line).is_some();
    match first.first() {
        None => Err("empty or blank".into()),
        Some(b'<') if !json => {
            if memchr::memmem::find(text, b"<Event").is_some() {
                Ok(InputFormat::Xml)
            } else {
                Err("XML without an <Event> element in its first 4 KiB".into())
            }
        }
        Some(b'{' | b'[') => first_json_record(text),
        Some(_) if json => first_json_record(text),
        Some(_) => {
            // The first line (after PowerShell's `#TYPE`), read as the CSV
            // reader will read it.
            let mut header = csv::ByteRecord::new();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text);
            let mut read = reader.read_byte_record(&mut header).unwrap_or(false);
            if read && header.len() == 1 && header[0].starts_with(b"#TYPE ") {
                read = reader.read_byte_record(&mut header).unwrap_or(false);
            }
            let names: Vec<String> = header
                .iter()
                .map(|h| String::from_utf8_lossy(h).into_owned())
                .collect();
            match crate::layouts::recognise_header(&names) {
                Some(_) if read => Ok(InputFormat::Csv),
                _ => Err(format!(
                    "not an EVTX log, XML events, JSON, or a CSV whose header is of a layout \
                     known (its first line: {})",
                    super::report::show_fields(&names)
                )),
            }
        }
    }
}

/// True when the first non-blank line of `head` ends within it.
fn whole_line(head: &[u8]) -> bool {
    memchr::memchr(b'\n', head.trim_ascii_start()).is_some()
}

/// A walked JSON file is read when its first record is of a layout known,
/// or does not end within the bytes looked at.
fn first_json_record(head: &[u8]) -> Result<InputFormat, String> {
    use super::read::{Body, Reader, Step};
    use crate::layouts::walk::{load_json, Loaded};
    let mut reader = super::json::JsonReader::new("", head, head);
    let mut event = crate::layouts::EventBuilder::new();
    match reader.next() {
        Step::Record(_, Body::Json(text)) => match load_json(text, &mut event) {
            Ok(Loaded::Record(_) | Loaded::Marker) => Ok(InputFormat::Json),
            Ok(Loaded::Unknown(keys)) => Err(format!(
                "JSON of no layout known (its first record has the fields: {})",
                super::report::show_fields(&keys)
            )),
            // A JSON line cut by the end of the bytes looked at.
            Err(_) if !super::json::is_document(head) && !whole_line(head) => Ok(InputFormat::Json),
            Err(why) => Err(why),
        },
        // A document whose first record is longer than the bytes looked at.
        _ => Ok(InputFormat::Json),
    }
}

/// Cuts inputs into units, lazily (each input is opened, once, as its
/// units are needed).
pub struct Units<'a> {
    inputs: std::vec::IntoIter<Result<Input<'a>, Error>>,
    queue: std::collections::VecDeque<Unit<'a>>,
    bytes: CountHandle,
}

/// The error for an EVTX log that is not a regular file.
fn evtx_not_a_file(name: &str) -> Error {
    evtx::error(
        name,
        None,
        None,
        "an EVTX log must be a regular file (it is read in chunks, in parallel), not a pipe \
         or standard input; save it to a file first"
            .into(),
    )
}

impl<'a> Units<'a> {
    /// Units for `inputs`, in order; bytes read are counted in `bytes`.
    pub(super) fn new(inputs: Vec<Result<Input<'a>, Error>>, bytes: CountHandle) -> Units<'a> {
        Units {
            inputs: inputs.into_iter(),
            queue: Default::default(),
            bytes,
        }
    }

    fn report(&mut self, error: Error) {
        self.queue.push_back(Unit::Opened);
        self.queue.push_back(Unit::Report(error));
    }

    /// Opens an input once and decides what it is: an EVTX file (cut into
    /// chunk units) or text (decoded, its format chosen from its first
    /// bytes, handed to one unit with the bytes already read).
    fn plan(&mut self, input: Input<'a>) {
        let Input {
            name,
            source,
            forced,
            walked,
        } = input;
        let count = self.bytes.clone();
        let peeked = match source {
            Source::Stdin => decode::peek(Box::new(Counting::new(std::io::stdin(), count))),
            Source::Bytes(bytes) => decode::peek(Box::new(bytes)),
            Source::Path(path) => {
                let mut file = match File::open(&path) {
                    Ok(file) => file,
                    Err(e) => {
                        let e = Error::io(format!("cannot open {name}"), e);
                        self.queue.push_back(Unit::Report(e));
                        return;
                    }
                };
                // A FIFO or a process substitution (/dev/fd/N) is read once,
                // as a stream; only a regular file can be read as EVTX.
                let regular = file.metadata().is_ok_and(|m| m.is_file());
                let head = match decode::read_magic(&mut file) {
                    Ok(head) => head,
                    Err(e) => {
                        self.report(Error::io(format!("cannot read {name}"), e));
                        return;
                    }
                };
                count.add(head.len() as u64);
                let compressed = decode::is_compressed(&head);
                let evtx = match forced {
                    Some(format) => format == InputFormat::Evtx,
                    None => head.starts_with(evtx::MAGIC) || (named_evtx(&path) && !compressed),
                };
                if evtx {
                    self.queue.push_back(Unit::Opened);
                    if regular {
                        self.plan_evtx(name, path, file, walked);
                    } else {
                        self.queue.push_back(Unit::Report(evtx_not_a_file(&name)));
                    }
                    return;
                }
                Ok(decode::Peeked::new(
                    head,
                    Box::new(Counting::new(file, count)),
                ))
            }
        };
        let peeked = match peeked {
            Ok(peeked) => peeked,
            Err(e) => {
                self.report(Error::io(format!("cannot read {name}"), e));
                return;
            }
        };
        if forced.is_none() && peeked.head.starts_with(evtx::MAGIC) {
            self.report(evtx_not_a_file(&name));
            return;
        }
        let look = if walked {
            decode::Look::Walk
        } else {
            decode::Look::FirstLine
        };
        let text = match decode::text(&name, peeked, look) {
            Ok(text) => text,
            // A walked file in a refused format is passed over, with why.
            Err(decode::Failure::Refused(why)) if walked => {
                self.queue
                    .push_back(Unit::PassedOver(format!("{name}: passed over: {why}")));
                return;
            }
            Err(failure) => {
                self.report(failure.into_error(&name));
                return;
            }
        };
        let format = if walked {
            match choose(&text.head) {
                Ok(format) => format,
                Err(why) => {
                    let line = format!("{name}: passed over: {why}");
                    self.queue.push_back(Unit::PassedOver(line));
                    return;
                }
            }
        } else if text.blank {
            self.report(decode::input_error(
                &name,
                "nothing to read: the input is empty or holds only blank lines".into(),
            ));
            return;
        } else {
            forced.unwrap_or_else(|| InputFormat::sniff(&text.head))
        };
        if format == InputFormat::Evtx {
            self.report(evtx_not_a_file(&name));
            return;
        }
        self.queue.push_back(Unit::Opened);
        self.queue.push_back(Unit::Text {
            name: name.clone(),
            text,
            format,
        });
        self.queue.push_back(Unit::End(name, walked));
    }

    /// Cuts an EVTX file into units of [`CHUNKS_PER_UNIT`] chunks (each
    /// unit opens the file again to read its chunks: a regular file).
    fn plan_evtx(&mut self, name: String, path: PathBuf, file: File, walked: bool) {
        let plan = match evtx::plan(&name, &mut BufReader::new(file)) {
            Ok(plan) => plan,
            Err(e) => {
                self.queue.push_back(Unit::Report(e));
                return;
            }
        };
        for chunks in plan.chunks.chunks(CHUNKS_PER_UNIT) {
            self.queue.push_back(Unit::Evtx {
                name: name.clone(),
                path: path.clone(),
                chunks: chunks.to_vec(),
            });
        }
        if let Some(e) = plan.tail {
            self.queue.push_back(Unit::Report(e));
        }
        self.queue.push_back(Unit::End(name, walked));
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
