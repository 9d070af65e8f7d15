//! wmilolbas: a Splunk custom search command (SCPv2, `chunked = true`) that
//! finds WMI lateral movement — `wmiprvse.exe` spawning a LOLBAS binary — and
//! annotates each hit for risk-based alerting. The same detection runs on
//! files with `wmilolbas scan`.
//!
//! # Layout
//!
//! Data flows one way: stdin bytes → [`protocol::frame`] → [`protocol::message`]
//! → [`protocol::session`] → [`command`] → [`transform`] (the body) → back out.
//! `wmilolbas scan` reads files instead: [`scan`] → the same rule and
//! annotator.
//!
//! The modules form layers; each uses only those below it (no arrow runs back
//! up, no cycle):
//!
//! | layer | modules | uses |
//! | --- | --- | --- |
//! | 1 | [`error`] — one error model: a kind and a position (chunk/row/field, file:line); `hash` — the seeded hasher of the hot-path maps (catalog, lineage indexes) | — |
//! | 2 | [`records`] — CSV rows, the `__mv_` codec, column lookup (plain or `Processes.`-prefixed), the row scanner and the anchor bytes it finds needles by ([`records::anchors`]) | — |
//! | 3 | [`rule`] — the detection (strict ESCU and default), its [`rule::catalog`], [`rule::prefilter`] (which rows can match: the needles the row scanner looks for) and the published [`rule::profile`]s | error, records |
//! | 4 | [`lineage`] — the process tree across rows: [`lineage::facts`] (what a row tells), [`lineage::cmdline`] (the program a launcher's command line runs), [`lineage::tree`] (links by GUID or host + PID + time, held rows, caps, settlement) | records, rule |
//! | 4 | [`layouts`] — export layouts: one field table per family (Windows event names, CIM, ECS, Winlogbeat 5/6, HELK, PowerShell, EvtxECmd, hayabusa, chainsaw, Velociraptor, Splunk `_raw`, NXLog), how each is recognised, and the one builder that maps a record onto CIM `Endpoint.Processes` | records, rule, time, notes |
//! | 5 | [`options`] — typed, validated options from `key=value` or flags | error, rule, lineage |
//! | 6 | [`annotate`] — risk, threat object and ES annotation fields (plain and lineage detections) | options, records, rule, lineage |
//! | 6 | [`protocol`] — SCPv2: [`protocol::frame`] (headers, bounded reads), [`protocol::message`] (getinfo/execute JSON), [`protocol::session`] (getinfo → execute* → EOF, error replies; hands each body to the command as a bounded `BufRead`; knows nothing of CSV), [`protocol::prefetch`] (stdin read ahead on a second thread) | error |
//! | 7 | [`transform`] — the hot path from an execute body, scanned in the read-ahead buffers as it arrives, to the reply body (fast and full-parse paths, one writer; with `lineage=true`, rows held from body to body) | error … annotate, protocol::message |
//! | 8 | [`command`] — `\| wmilolbas`: the thin adapter between the session and the transform | protocol, transform, options, rule, lineage |
//! | 8 | [`scan`] — `wmilolbas scan`: `.evtx` logs, CSV, JSON (lines, arrays, documents, envelopes, syslog-wrapped) and XML files and folders, pipes and FIFOs (decoding gzip and UTF-16, readers, one pipeline mapping through [`layouts`], the no-silent-zero rule, parallel units written in order, output) | error … annotate, layouts |
//! | 9 | [`cli`] — command-line parsing for `scan` | options, scan |
//!
//! Packaging (tar, gzip, ELF/PE checks, cross builds) is not here: it is the
//! `xtask` workspace member (`cargo xtask package`), never in the shipped binary.

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
mod hash;
pub mod layouts;
pub mod lineage;
pub mod notes;
pub mod options;
pub mod protocol;
pub mod records;
pub mod rule;
pub mod scan;
pub mod time;
pub mod transform;

pub use error::{Error, Result};
