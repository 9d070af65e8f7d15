//! Command-line parsing for the subcommands (`scan`), with `lexopt`.

use std::io::IsTerminal;

use lexopt::prelude::*;

use crate::error::{Error, Result};
use crate::options::{CatalogChoice, Options};
use crate::scan::output::Format;
use crate::scan::{InputFormat, ScanConfig};

/// `wmilolbas scan --help`.
pub const SCAN_USAGE: &str = "\
usage: wmilolbas scan [OPTIONS] [FILE...]

Runs the detection on files: Windows event logs (.evtx), CSV exports (CIM names,
plain or Processes.-prefixed), JSON lines (CIM or Windows/Sysmon event names) and
Sysmon XML events. A directory is walked (hidden entries and symlinks skipped; files
chosen by content). FILE - reads stdin. With no FILE, scans the built-in sample of
real Sysmon events. Files and chunks of large .evtx files are read on every core;
output is in path order, then record order.

Input and output:
  --input-format auto|csv|json|xml|evtx
                                     force the format of named FILEs (default: from content)
  --format table|csv|json            output format (default: table on a terminal, else csv)
  --strict-input                     stop at the first malformed line, record or chunk
  --progress / --no-progress         progress on stderr (default: when stderr is a terminal)

Detection (the same as the search command's options):
  --mode filter|annotate             detections only (default), or every row
  --strict                           exactly the ESCU search (no path/renamed-binary checks)
  --impact N                         0-100 (default 90)
  --confidence N                     0-100 (default 60); risk_score = impact*confidence/100
  --parent NAMES                     comma-separated parent names (default wmiprvse.exe)
  --message TEXT                     risk message with $field$ tokens
  --catalog FILE                     CSV whose process_name column replaces the 55 ESCU names
";

fn value_of(parser: &mut lexopt::Parser, flag: &str) -> Result<String> {
    let v = parser
        .value()
        .map_err(|e| Error::option(flag, format!("{flag}: {e}")))?;
    v.into_string()
        .map_err(|_| Error::option(flag, format!("{flag}: the value is not valid UTF-8")))
}

fn set(options: &mut Options, key: &str, value: &str) -> Result<()> {
    options.set(key, value).map_err(|e| match e {
        Error::Options { option, message } => Error::Options {
            message: message.replacen(&format!(" for {key}:"), &format!(" for --{key}:"), 1),
            option,
        },
        other => other,
    })
}

/// What `scan` was asked to do.
#[derive(Debug)]
pub enum ScanRequest {
    /// Run.
    Run(ScanConfig),
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
    while let Some(arg) = parser
        .next()
        .map_err(|e| Error::option("", e.to_string()))?
    {
        match arg {
            Short('h') | Long("help") => return Ok(ScanRequest::Help),
            Long("input-format") => {
                input_format = match value_of(&mut parser, "--input-format")?.as_str() {
                    "auto" => None,
                    "csv" => Some(InputFormat::Csv),
                    "json" | "jsonl" => Some(InputFormat::Json),
                    "xml" => Some(InputFormat::Xml),
                    "evtx" => Some(InputFormat::Evtx),
                    other => {
                        return Err(Error::option(
                            "input-format",
                            format!("invalid value \"{other}\" for --input-format: expected auto, csv, json, xml or evtx"),
                        ))
                    }
                }
            }
            Long("format") => {
                format = Some(match value_of(&mut parser, "--format")?.as_str() {
                    "table" => Format::Table,
                    "csv" => Format::Csv,
                    "json" | "jsonl" => Format::Json,
                    other => {
                        return Err(Error::option(
                            "format",
                            format!("invalid value \"{other}\" for --format: expected table, csv or json"),
                        ))
                    }
                })
            }
            Long("strict-input") => strict_input = true,
            Long("progress") => progress = Some(true),
            Long("no-progress") => progress = Some(false),
            Long("strict") => options.strict = true,
            Long("mode") => set(&mut options, "mode", &value_of(&mut parser, "--mode")?)?,
            Long("impact") => set(&mut options, "impact", &value_of(&mut parser, "--impact")?)?,
            Long("confidence") => set(&mut options, "confidence", &value_of(&mut parser, "--confidence")?)?,
            Long("parent") => set(&mut options, "parent", &value_of(&mut parser, "--parent")?)?,
            Long("message") => set(&mut options, "message", &value_of(&mut parser, "--message")?)?,
            Long("catalog") => {
                options.catalog = CatalogChoice::File(value_of(&mut parser, "--catalog")?.into());
            }
            Value(v) => files.push(
                v.into_string()
                    .map_err(|_| Error::option("", "a FILE name is not valid UTF-8"))?,
            ),
            other => {
                return Err(Error::option(
                    "",
                    format!("{}; see wmilolbas scan --help", other.unexpected()),
                ))
            }
        }
    }
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Csv
    });
    Ok(ScanRequest::Run(ScanConfig {
        files,
        input_format,
        format,
        options,
        strict_input,
        progress: progress.unwrap_or_else(|| std::io::stderr().is_terminal()),
    }))
}

/// `wmilolbas package --help`.
pub const PACKAGE_USAGE: &str = "\
usage: wmilolbas package [--distributed] [--all-platforms] [--binary FILE [--allow-new-glibc]] [--out DIR]

Builds the installable Splunk app dist/wmilolbas-<version>.tgz from default/, app/ and the
release binaries, and prints its path. Run it from the repository (cargo run --release -- package).

  --distributed      the on-premises variant: type streaming, binaries replicated to the
                     indexers (dist/wmilolbas-<version>-distributed.tgz)
  --all-platforms    also build Linux aarch64 and Windows x86-64 binaries
                     (tools: scripts/install-tools.sh --cross)
  --binary FILE      package FILE as the Linux x86-64 binary instead of building one
  --allow-new-glibc  with --binary: accept a binary that needs glibc newer than 2.17
                     (development only; it will not start on RHEL 7/8)
  --out DIR          write the package to DIR (default: dist/)

The Linux x86-64 binary is built with zig against glibc 2.17; install the tools once with
scripts/install-tools.sh.
";

/// What `package` was asked to do.
#[derive(Debug)]
pub enum PackageRequest {
    /// Build.
    Run(crate::package::PackageOptions),
    /// Print usage.
    Help,
}

/// Parses `package` arguments (after the word `package`).
pub fn parse_package(args: Vec<std::ffi::OsString>) -> Result<PackageRequest> {
    use crate::package::{BinarySource, PackageOptions};
    let mut parser = lexopt::Parser::from_args(args);
    let mut options = PackageOptions {
        distributed: false,
        linux_x86_64: BinarySource::Build,
        all_platforms: false,
        allow_new_glibc: false,
        out_dir: None,
    };
    while let Some(arg) = parser
        .next()
        .map_err(|e| Error::option("", e.to_string()))?
    {
        match arg {
            Short('h') | Long("help") => return Ok(PackageRequest::Help),
            Long("distributed") => options.distributed = true,
            Long("all-platforms") => options.all_platforms = true,
            Long("allow-new-glibc") => options.allow_new_glibc = true,
            Long("binary") => {
                options.linux_x86_64 = BinarySource::File(value_of(&mut parser, "--binary")?.into())
            }
            Long("out") => options.out_dir = Some(value_of(&mut parser, "--out")?.into()),
            other => {
                return Err(Error::option(
                    "",
                    format!("{}; see wmilolbas package --help", other.unexpected()),
                ))
            }
        }
    }
    if options.allow_new_glibc && options.linux_x86_64 == BinarySource::Build {
        return Err(Error::option(
            "allow-new-glibc",
            "--allow-new-glibc only applies to --binary FILE",
        ));
    }
    Ok(PackageRequest::Run(options))
}
