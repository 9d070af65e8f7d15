//! wmilolbas: a Splunk custom search command (SCPv2, `chunked = true`) that
//! finds WMI lateral movement — `wmiprvse.exe` spawning a LOLBAS binary — and
//! annotates each hit for risk-based alerting. The same detection runs on
//! files with `wmilolbas scan`.
//!
//! # Layout
//!
//! Data flows one way: stdin bytes → [`protocol::frame`] → [`protocol::message`]
//! → [`protocol::session`] → [`command`] (the body transform) → back out.
//!
//! * [`protocol::frame`] — the `chunked 1.0,<m>,<b>` header and exact-length,
//!   bounded payload reads; chunk writing.
//! * [`protocol::message`] — getinfo/execute requests and replies (JSON).
//! * [`protocol::session`] — getinfo → execute* → EOF, one reply per request,
//!   error replies; knows nothing about CSV or the rule.
//! * [`records`] — CSV rows, the `__mv_` codec, column lookup (plain or
//!   `Processes.`-prefixed) resolved once per header.
//! * [`options`] — typed, validated options from `key=value` or flags.
//! * [`rule`] — the detection (strict ESCU and default) and its catalog.
//! * [`annotate`] — risk score, message, object and ES annotation fields.
//! * [`command`] — `| wmilolbas`: the hot path from an execute body to the
//!   reply body.
//! * [`scan`] — `wmilolbas scan`: the detection on `.evtx` logs, CSV, JSON
//!   lines and Sysmon XML files and folders (readers, one pipeline, CIM
//!   mapping, parallel units written in order, table/CSV/JSON output).
//! * [`package`] — `wmilolbas package`: the Splunk app archive, cross builds,
//!   binary checks.
//! * [`cli`] — command-line parsing for the subcommands.
//! * [`error`] — the error type, carrying chunk/row/field or file/line.

#![deny(missing_docs)]
// Input must never panic the command: no unwrap/expect/panic outside tests.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod annotate;
pub mod cli;
pub mod command;
pub mod error;
pub mod options;
pub mod package;
pub mod protocol;
pub mod records;
pub mod rule;
pub mod scan;

pub use error::{Error, Result};
