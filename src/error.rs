//! The library's one error model, at the bottom of the house: every other
//! module may use it, it uses none of them.
//!
//! Modelled on the `csv` crate: an [`Error`] is a typed [`ErrorKind`] plus,
//! where known, one [`Position`] — chunk, row and field of an SCPv2 stream,
//! or file and line (or chunk and record) of a `scan` input — read with
//! [`Error::position`]. The search command and the CLI render the same error
//! in their own vocabulary from these fields (an option is `mode=` in a
//! search and `--mode` on the command line), never by editing message text.
//!
//! Messages are written to be shown to a Splunk user as they are (inspector
//! ERROR text): they say what was wrong and what was expected, and they
//! never quote bytes that could belong to the getinfo metadata (which holds
//! the session key).

use std::fmt;
use std::io;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in wmilolbas: what, and where. Boxed, as
/// the `csv` crate's error is, so a `Result` stays one pointer wide.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    position: Option<Position>,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The chunk framing itself is broken (bad header line, truncated chunk,
    /// length over the cap, I/O failure on stdin or stdout). No reply can be
    /// trusted to reach splunkd in step, so the session reports this on
    /// stderr only.
    Frame(FrameError),
    /// The chunk was framed correctly but its metadata is unusable (invalid
    /// JSON, not an object, wrong types) or the request is out of order.
    Request(String),
    /// A search-time option (`key=value`) or scan flag is unknown or has a
    /// bad value.
    Option(OptionError),
    /// An execute request's CSV body is malformed.
    Body(String),
    /// A catalog lookup could not be loaded.
    Catalog {
        /// The lookup's file name (or path for `scan --catalog`).
        name: String,
        /// What was wrong with it.
        message: String,
    },
    /// A `scan` input could not be parsed at its position.
    Input(String),
    /// An I/O error outside the framed stream (output, files).
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
}

/// Where an error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// In an SCPv2 stream.
    Chunk {
        /// 1-based number of the chunk (1 = the getinfo request).
        chunk: u64,
        /// The data row inside the body (1 = the first row after the CSV
        /// header, 0 = the header itself), when one row is to blame.
        row: Option<u64>,
        /// The field, when one field is to blame.
        field: Option<String>,
    },
    /// In a `scan` input.
    Input {
        /// The file as given or found (`-` for stdin).
        path: String,
        /// Where in it.
        at: InputAt,
    },
}

/// Where in a `scan` input: what its readers report with each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputAt {
    /// 1-based line of a text input (CSV, JSON lines, XML).
    Line(u64),
    /// In a Windows event log file: the chunk (0-based, as the `evtx` crate
    /// counts) and the record's EventRecordID, where known; neither for the
    /// file as a whole.
    Record {
        /// Chunk number.
        chunk: Option<u64>,
        /// EventRecordID.
        record: Option<u64>,
    },
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Chunk { chunk, row, field } => {
                write!(f, "chunk {chunk}")?;
                match row {
                    Some(0) => f.write_str(", CSV header")?,
                    Some(row) => write!(f, ", row {row}")?,
                    None => {}
                }
                if let Some(field) = field {
                    write!(f, ", field {field}")?;
                }
                Ok(())
            }
            Position::Input {
                path,
                at: InputAt::Line(line),
            } => write!(f, "{path}:{line}"),
            Position::Input {
                path,
                at: InputAt::Record { chunk, record },
            } => {
                f.write_str(path)?;
                if let Some(chunk) = chunk {
                    write!(f, ", chunk {chunk}")?;
                }
                if let Some(record) = record {
                    write!(f, ", record {record}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = &self.0.position {
            write!(f, "{at}: ")?;
        }
        match &self.0.kind {
            ErrorKind::Frame(e) => write!(f, "{e}"),
            ErrorKind::Request(m) | ErrorKind::Body(m) | ErrorKind::Input(m) => f.write_str(m),
            ErrorKind::Option(e) => write!(f, "{e}"),
            ErrorKind::Catalog { name, message } => write!(f, "catalog {name}: {message}"),
            ErrorKind::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Frame(e) => Some(e),
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Error {
    /// An error of `kind` at `position`.
    pub fn new(kind: ErrorKind, position: Option<Position>) -> Error {
        Error(Box::new(Inner { kind, position }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Where, when known.
    pub fn position(&self) -> Option<&Position> {
        self.0.position.as_ref()
    }

    /// True when the SCPv2 framing is still in step, so the error can be sent
    /// to splunkd as an error reply; false when only stderr is left.
    pub fn framing_intact(&self) -> bool {
        !matches!(self.0.kind, ErrorKind::Frame(_))
    }

    /// A framing error while reading or writing chunk `chunk`.
    pub fn frame(chunk: u64, source: FrameError) -> Error {
        Error::new(ErrorKind::Frame(source), Some(Position::chunk(chunk)))
    }

    /// A bad request (metadata, order) in chunk `chunk`.
    pub fn request(chunk: u64, message: impl Into<String>) -> Error {
        Error::new(
            ErrorKind::Request(message.into()),
            Some(Position::chunk(chunk)),
        )
    }

    /// A malformed execute body at `position`.
    pub fn body(position: Position, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Body(message.into()), Some(position))
    }

    /// A catalog that cannot be used.
    pub fn catalog(name: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(
            ErrorKind::Catalog {
                name: name.into(),
                message: message.into(),
            },
            None,
        )
    }

    /// A `scan` input problem at `position`.
    pub fn input(position: Position, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Input(message.into()), Some(position))
    }

    /// Helper for I/O errors with context.
    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::new(
            ErrorKind::Io {
                context: context.into(),
                source,
            },
            None,
        )
    }
}

impl From<OptionError> for Error {
    fn from(e: OptionError) -> Error {
        Error::new(ErrorKind::Option(e), None)
    }
}

impl Position {
    /// A whole chunk.
    pub fn chunk(chunk: u64) -> Position {
        Position::Chunk {
            chunk,
            row: None,
            field: None,
        }
    }

    /// A row of a chunk's body (0 = the CSV header).
    pub fn row(chunk: u64, row: u64) -> Position {
        Position::Chunk {
            chunk,
            row: Some(row),
            field: None,
        }
    }

    /// A place in a `scan` input.
    pub fn input(path: impl Into<String>, at: InputAt) -> Position {
        Position::Input {
            path: path.into(),
            at,
        }
    }
}

/// A framing failure. After one of these the stream cannot be trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The header line does not have the form `chunked 1.0,<m>,<b>`.
    #[error(
        "malformed chunk header: {0} (expected \"chunked 1.0,<metadata bytes>,<body bytes>\")"
    )]
    BadHeader(&'static str),
    /// No newline within the longest header line accepted.
    #[error("chunk header line is longer than {0} bytes")]
    HeaderTooLong(usize),
    /// A declared length is over the cap.
    #[error("{what} length {len} exceeds the limit of {max} bytes")]
    TooLarge {
        /// `metadata` or `body`.
        what: &'static str,
        /// The declared length.
        len: u64,
        /// The cap.
        max: usize,
    },
    /// EOF after part of a header line.
    #[error("input ended inside a chunk header")]
    TruncatedHeader,
    /// EOF before the declared number of bytes arrived.
    #[error("input ended inside the {what}: expected {expected} bytes, got {got}")]
    Truncated {
        /// `metadata` or `body`.
        what: &'static str,
        /// Declared length.
        expected: usize,
        /// Bytes received before EOF.
        got: usize,
    },
    /// Reading stdin failed.
    #[error("reading input: {0}")]
    Io(#[from] io::Error),
    /// Writing a reply to stdout failed (splunkd gone, pipe closed).
    #[error("writing the reply: {0}")]
    Write(io::Error),
}

/// Which front end an option came through: it decides how the option is
/// named in messages (`mode=` or `--mode`) and how `catalog` is read (a
/// lookup in the app, or a file path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// `| wmilolbas key=value` in a search.
    Search,
    /// `wmilolbas scan --key value`.
    Cli,
}

impl Front {
    /// How the option `name` is written: `mode` or `--mode`.
    pub fn name(self, name: &str) -> String {
        match self {
            Front::Search => name.to_string(),
            Front::Cli => format!("--{name}"),
        }
    }

    /// How `name` is given the value `value`: `mode=filter` or
    /// `--mode filter`.
    pub fn setting(self, name: &str, value: &str) -> String {
        match self {
            Front::Search => format!("{name}={value}"),
            Front::Cli => format!("--{name} {value}"),
        }
    }
}

/// An option that cannot be used, with what is wrong in structured form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The front end it came through.
    pub front: Front,
    /// The option's name as typed (empty for an argument that is no option).
    pub option: String,
    /// What is wrong.
    pub problem: OptionProblem,
}

/// What is wrong with an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionProblem {
    /// An argument that is not `key=value` (search only).
    NotKeyValue {
        /// The argument.
        arg: String,
        /// The valid option names, comma-separated.
        valid: String,
    },
    /// No option of that name.
    Unknown {
        /// The valid option names, comma-separated.
        valid: String,
    },
    /// Given more than once.
    Repeated,
    /// The value is not one of the allowed ones.
    BadValue {
        /// The value given.
        value: String,
        /// What is allowed, in words.
        expected: String,
    },
    /// A lookup name that is not a plain `.csv` file name.
    BadLookupName {
        /// The value given.
        value: String,
        /// Why not, in words (`must name a .csv lookup file`).
        why: String,
        /// A valid example value.
        example: String,
    },
    /// Given without the option it must come with.
    Missing {
        /// That option, as the front end writes it (`detection_id`).
        with: String,
    },
    /// The front end could not read the value at all.
    Unreadable(String),
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.front.name(&self.option);
        match &self.problem {
            OptionProblem::NotKeyValue { arg, valid } => write!(
                f,
                "wmilolbas takes key=value options, got {} (options: {valid}; write them without spaces around =)",
                quote(arg)
            ),
            OptionProblem::Unknown { valid } => write!(
                f,
                "unknown option {}; wmilolbas takes {valid}",
                quote(&self.option)
            ),
            OptionProblem::Repeated => write!(f, "option {name} is given more than once"),
            OptionProblem::BadValue { value, expected } => write!(
                f,
                "invalid value {} for {name}: expected {expected}",
                quote(value)
            ),
            OptionProblem::BadLookupName {
                value,
                why,
                example,
            } => write!(
                f,
                "invalid value {} for {name}: the name {why} (for example {})",
                quote(value),
                self.front.setting(&self.option, example)
            ),
            OptionProblem::Missing { with } => {
                write!(f, "{with} is given without {name}: give both, or neither")
            }
            OptionProblem::Unreadable(why) => write!(f, "{name}: {why}"),
        }
    }
}

/// Quotes a user-supplied token for a message: at most 40 characters,
/// control characters escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        if i == 40 {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_render_chunk_row_field_or_file_line_or_record() {
        let at = |p: Position| p.to_string();
        assert_eq!(at(Position::chunk(3)), "chunk 3");
        assert_eq!(at(Position::row(3, 0)), "chunk 3, CSV header");
        assert_eq!(
            at(Position::Chunk {
                chunk: 2,
                row: Some(17),
                field: Some("process_name".into())
            }),
            "chunk 2, row 17, field process_name"
        );
        assert_eq!(at(Position::input("a.csv", InputAt::Line(9))), "a.csv:9");
        let record = |chunk, record| Position::input("s.evtx", InputAt::Record { chunk, record });
        assert_eq!(at(record(Some(1), Some(42))), "s.evtx, chunk 1, record 42");
        assert_eq!(at(record(Some(1), None)), "s.evtx, chunk 1");
        assert_eq!(at(record(None, None)), "s.evtx");
    }

    #[test]
    fn an_option_error_is_rendered_in_each_front_ends_vocabulary() {
        let e = |front| OptionError {
            front,
            option: "mode".into(),
            problem: OptionProblem::BadValue {
                value: "all".into(),
                expected: "filter or annotate".into(),
            },
        };
        assert_eq!(
            e(Front::Search).to_string(),
            "invalid value \"all\" for mode: expected filter or annotate"
        );
        assert_eq!(
            e(Front::Cli).to_string(),
            "invalid value \"all\" for --mode: expected filter or annotate"
        );
        let err = Error::from(e(Front::Cli));
        assert!(matches!(err.kind(), ErrorKind::Option(o) if o.option == "mode"));
        assert_eq!(err.position(), None);
    }

    #[test]
    fn errors_carry_their_position_and_framing_state() {
        let e = Error::frame(4, FrameError::TruncatedHeader);
        assert!(!e.framing_intact());
        assert_eq!(e.position(), Some(&Position::chunk(4)));
        assert_eq!(e.to_string(), "chunk 4: input ended inside a chunk header");
        let e = Error::body(Position::row(2, 5), "row has 3 fields");
        assert!(e.framing_intact());
        assert_eq!(e.to_string(), "chunk 2, row 5: row has 3 fields");
    }

    #[test]
    fn quote_shortens_and_escapes() {
        assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(quote(&"x".repeat(50)), format!("\"{}…\"", "x".repeat(40)));
    }
}
