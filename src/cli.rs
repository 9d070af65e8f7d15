//! Command-line parsing for `wmilolbas scan`, with `lexopt`.

use std::io::IsTerminal;

use lexopt::prelude::*;

use crate::error::{Error, Front, OptionError, OptionProblem, Result};
use crate::options::Options;
use crate::scan::output::Format;
use crate::scan::{InputFormat, ScanConfig};

/// `wmilolbas scan --help`.
pub const SCAN_USAGE: &str = "\
usage: wmilolbas scan [OPTIONS] [FILE...]

Runs the detection on files: Windows event logs (.evtx), CSV exports (CIM names,
plain or Processes.-prefixed, or Windows event names: Image, ParentImage, ... as a
raw Sysmon search exports them; NewProcessName, NewProcessId, ... as Security 4688
does: without an EventID/EventCode column, those two names mean 4688, whose
ProcessId is the parent), JSON lines (CIM or Windows/Sysmon event names) and
Sysmon XML events. A
directory is walked (hidden entries and symlinks skipped; files chosen by content,
one line on stderr for each file passed over). FILE - reads stdin. With no FILE,
scans the built-in sample of real Sysmon events. Files and chunks of large .evtx
files are read on every core; output is in path order, then record order. With
--lineage, a row that waits for its chain (a child seen before its shell) is printed
where the chain settles: when the shell's row arrives (GUID links), else after every
input is read, those rows in input order among themselves.

Text inputs may be gzip-compressed (by content, not name; several members too) and
UTF-8 or UTF-16 with a byte-order mark (as Windows PowerShell 5.1 writes); pipes,
FIFOs and <(command) are read once, as they arrive. zip, xz, zstd, 7z, bzip2 and tar
are refused with their name: unpack them first. An .evtx log must be a regular,
uncompressed file. Invalid UTF-16 is read as U+FFFD and reported (an error).

Input and output:
  --input-format auto|csv|json|xml|evtx
                                     force the format of named FILEs (default: from content)
  --format table|csv|json            output format (default: table on a terminal, else csv)
  --strict-input                     stop at the first malformed line, record or chunk
  --progress / --no-progress         progress on stderr (default: when stderr is a terminal)
  --timezone ZONE                    read times written without a zone (NXLog EventTime, PowerShell
                                     TimeCreated, convert ctime() text) in ZONE: an IANA name
                                     (Europe/Berlin) or +HH:MM; default UTC. Times with a zone or
                                     offset, epoch times and Sysmon UtcTime are never shifted

Detection (the same as the search command's options):
  --mode filter|annotate             detections only (default), or every row
  --strict                           exactly the ESCU search (no path/renamed-binary checks)
  --profile escu2021|escu2025        the detection's identity, score and message (default
                                     escu2021: 95a455f0, score 54; escu2025: b7e11721, score 50)
  --impact N                         0-100; with --confidence, risk_score = impact*confidence/100
  --confidence N                     0-100 (the other defaults to 90 or 60)
  --score N                          0-100: the risk score itself (not with --impact/--confidence)
  --parent NAMES                     comma-separated parent names (default wmiprvse.exe)
  --message TEXT                     risk message with $field$ tokens
  --catalog FILE                     CSV whose process_name column replaces the 55 ESCU names
  --lineage                          also follow process trees: a LOLBAS binary WMI starts through
                                     a shell, linked by process GUID, or by host + PID + time when
                                     the child names its parent, across all FILEs (match_reason
                                     lineage or launcher_command_line)
  --launchers NAMES                  the shells a chain may run through, with --lineage
                                     (default cmd.exe,powershell.exe,pwsh.exe)

Exit status: 0 when every input was read; 1 when something was reported as an error
on stderr: a file that cannot be opened or read, a malformed record, invalid UTF-16,
or a FILE named here that is in a refused format, empty, or has no process field (a
CSV header with neither CIM nor event process names; its rows are not counted as
process creations). A file a directory walk passes over (not ours, or a refused
format) gets one line on stderr and is not an error. 2 for bad options.
";

fn usage(option: &str, why: impl Into<String>) -> Error {
    OptionError {
        front: Front::Cli,
        option: option.to_string(),
        problem: OptionProblem::Unreadable(why.into()),
    }
    .into()
}

fn value_of(parser: &mut lexopt::Parser, flag: &str) -> Result<String> {
    let v = parser.value().map_err(|e| usage(flag, e.to_string()))?;
    v.into_string()
        .map_err(|_| usage(flag, "the value is not valid UTF-8"))
}

/// Passes `--key VALUE` to [`Options::set`], the one door for options.
fn set(options: &mut Options, parser: &mut lexopt::Parser, key: &str) -> Result<()> {
    let value = value_of(parser, key)?;
    options.set(Front::Cli, key, &value)
}

fn bad_choice(option: &str, value: &str, expected: &str) -> Error {
    OptionError {
        front: Front::Cli,
        option: option.to_string(),
        problem: OptionProblem::BadValue {
            value: value.to_string(),
            expected: expected.to_string(),
        },
    }
    .into()
}

/// What `scan` was asked to do.
#[derive(Debug)]
pub enum ScanRequest {
    /// Run.
    Run(Box<ScanConfig>),
    /// Print usage.
    Help,
}

/// Parses `scan` arguments (after the word `scan`).
pub fn parse_scan(args: Vec<std::ffi::OsString>) -> Result<ScanRequest> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut options = Options::default();
    let mut files = Vec::new();
    let mut input_format = None;
    let mut format = None;
    let mut strict_input = false;
    let mut progress = None;
    let mut timezone = None;
    while let Some(arg) = parser.next().map_err(|e| usage("", e.to_string()))? {
        match arg {
            Short('h') | Long("help") => return Ok(ScanRequest::Help),
            Long("input-format") => {
                input_format = match value_of(&mut parser, "input-format")?.as_str() {
                    "auto" => None,
                    "csv" => Some(InputFormat::Csv),
                    "json" | "jsonl" => Some(InputFormat::Json),
                    "xml" => Some(InputFormat::Xml),
                    "evtx" => Some(InputFormat::Evtx),
                    other => {
                        return Err(bad_choice(
                            "input-format",
                            other,
                            "auto, csv, json, xml or evtx",
                        ))
                    }
                }
            }
            Long("format") => {
                format = Some(match value_of(&mut parser, "format")?.as_str() {
                    "table" => Format::Table,
                    "csv" => Format::Csv,
                    "json" | "jsonl" => Format::Json,
                    other => return Err(bad_choice("format", other, "table, csv or json")),
                })
            }
            Long("strict-input") => strict_input = true,
            Long("timezone") => {
                let value = value_of(&mut parser, "timezone")?;
                timezone = Some(
                    crate::time::LocalZone::from_arg(&value).map_err(|e| usage("timezone", e))?,
                );
            }
            Long("progress") => progress = Some(true),
            Long("no-progress") => progress = Some(false),
            Long("strict") => options.set(Front::Cli, "strict", "true")?,
            Long("lineage") => options.set(Front::Cli, "lineage", "true")?,
            Long(
                key @ ("mode" | "profile" | "impact" | "confidence" | "score" | "parent"
                | "message" | "catalog" | "launchers"),
            ) => {
                let key = key.to_string();
                set(&mut options, &mut parser, &key)?
            }
            Value(v) => files.push(
                v.into_string()
                    .map_err(|_| usage("", "a FILE name is not valid UTF-8"))?,
            ),
            other => {
                return Err(usage(
                    "",
                    format!("{}; see wmilolbas scan --help", other.unexpected()),
                ))
            }
        }
    }
    options.check(Front::Cli)?;
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Csv
    });
    Ok(ScanRequest::Run(Box::new(ScanConfig {
        files,
        input_format,
        format,
        options,
        strict_input,
        progress: progress.unwrap_or_else(|| std::io::stderr().is_terminal()),
        timezone,
    })))
}
