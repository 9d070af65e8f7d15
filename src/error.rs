//! The library's error type.
//!
//! Like the `csv` crate's errors, every variant says *where* the problem is:
//! the chunk number of the SCPv2 stream (1 = the getinfo request), the data
//! row inside a chunk body (1 = the first row after the CSV header), the
//! field, or the file and line of a `scan` input. The messages are written to
//! be shown to a Splunk user as they are (inspector ERROR text), so they say
//! what was wrong and what was expected, and they never quote bytes that could
//! belong to the getinfo metadata (which holds the session key).

use std::io;

use crate::protocol::frame::FrameError;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in wmilolbas.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The chunk framing itself is broken (bad header line, truncated chunk,
    /// length over the cap, I/O failure on stdin). No reply can be trusted to
    /// reach splunkd in step, so the session reports this on stderr only.
    #[error("chunk {chunk}: {source}")]
    Frame {
        /// 1-based number of the chunk being read.
        chunk: u64,
        /// What was wrong with the frame.
        #[source]
        source: FrameError,
    },

    /// The chunk was framed correctly but its metadata is unusable (invalid
    /// JSON, not an object, wrong types) or the request is out of order.
    #[error("chunk {chunk}: {message}")]
    Request {
        /// 1-based chunk number.
        chunk: u64,
        /// Human-readable description.
        message: String,
    },

    /// A search-time option (`key=value`) or scan flag is unknown or has a bad
    /// value.
    #[error("{message}")]
    Options {
        /// The option's name as the user typed it (empty for a positional).
        option: String,
        /// Human-readable description, naming the allowed values.
        message: String,
    },

    /// An execute request's CSV body is malformed.
    #[error("{location}: {message}")]
    Body {
        /// Where: chunk, row, field.
        location: Location,
        /// Human-readable description.
        message: String,
    },

    /// A catalog lookup could not be loaded.
    #[error("catalog {name}: {message}")]
    Catalog {
        /// The lookup's file name (or path for `scan --catalog`).
        name: String,
        /// Human-readable description.
        message: String,
    },

    /// A `scan` input line could not be parsed.
    #[error("{path}:{line}: {message}")]
    Input {
        /// The file name as given on the command line (`-` for stdin).
        path: String,
        /// 1-based line number.
        line: u64,
        /// Human-readable description.
        message: String,
    },

    /// A problem in a Windows event log file (`.evtx`): the file header, a
    /// chunk, or a record, where known.
    #[error("{path}: {}{message}", evtx_position(*chunk, *record))]
    Evtx {
        /// The file's path as given or found.
        path: String,
        /// The chunk's number in the file (0-based, as the `evtx` crate counts).
        chunk: Option<u64>,
        /// The record's EventRecordID.
        record: Option<u64>,
        /// Human-readable description.
        message: String,
    },

    /// An I/O error outside the framed stream (output, files).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// Building the app package failed.
    #[error("package: {0}")]
    Package(String),
}

impl Error {
    /// True when the SCPv2 framing is still in step, so the error can be sent
    /// to splunkd as an error reply; false when only stderr is left.
    pub fn framing_intact(&self) -> bool {
        !matches!(self, Error::Frame { .. })
    }

    /// Helper for I/O errors with context.
    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Helper for option errors.
    pub fn option(option: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Options {
            option: option.into(),
            message: message.into(),
        }
    }
}

/// `chunk 3, record 17: `, `chunk 3: `, `record 17: ` or nothing.
fn evtx_position(chunk: Option<u64>, record: Option<u64>) -> String {
    match (chunk, record) {
        (Some(c), Some(r)) => format!("chunk {c}, record {r}: "),
        (Some(c), None) => format!("chunk {c}: "),
        (None, Some(r)) => format!("record {r}: "),
        (None, None) => String::new(),
    }
}

/// Where in an SCPv2 stream a body error sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based chunk number in the stream.
    pub chunk: u64,
    /// 1-based data row (0 = the header row).
    pub row: u64,
    /// The field, when one field is to blame.
    pub field: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "chunk {}, CSV header", self.chunk)?;
        } else {
            write!(f, "chunk {}, row {}", self.chunk, self.row)?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        Ok(())
    }
}
