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

Runs the detection on files: Windows event logs (.evtx), XML events as Splunk's
XmlWinEventLog stores them, and CSV or JSON exports in the layouts below. JSON may be
JSON lines, one array, pretty-printed objects one after another, an Elasticsearch
_search or scroll response (hits.hits[]._source, or fields), an Azure {\"records\": [...]}
envelope, Splunk REST results or export JSON, a {\"results\": [...]} or {\"data\": [...]} API
response, or syslog lines carrying JSON; it is read as a stream (records of at most 16 MiB).
Each record's layout is recognised by its field names:

  CIM Endpoint.Processes   process_name, parent_process_path, ... plain or Processes.-prefixed
                           (Splunk; a tstats export's firstTime is its time)
  Windows event fields     Image, ParentImage, NewProcessName, ParentProcessName, or EventID with
                           Computer/Channel (XML, .evtx, raw Sysmon/4688 searches, Sentinel)
  ECS                      process.executable/name/pid/entity_id, process.parent.executable ...,
                           winlog.channel, event.code (Winlogbeat 7/8, Elastic Agent, Kibana
                           Discover CSV); the host from winlog.computer_name
  Winlogbeat 5/6           event_data.* with computer_name
  HELK                     process_parent_path, process_parent_name, process_command_line, ...
  NXLog                    EventTime, Hostname, SourceName (im_msvistalog to_json, via Logstash or
                           syslog); a ProcessId NXLog CE dropped is read from Message
  PowerShell Get-WinEvent  MachineName, Id, TimeCreated; the event's fields from Message (Sysmon 1,
                           4688) and ConvertTo-Json's Properties (Export-Csv's #TYPE line skipped)
  EvtxECmd                 Payload (the EventData as JSON), with PayloadData1 or MapDescription
  hayabusa timeline        RuleTitle with Details/ExtraFieldInfo/AllFieldInfo (Key: value pairs,
                           its abbreviations); rows repeating a record are counted once
  chainsaw hunt CSV        detections with Event Data (a YAML block)
  event record JSON        System with EventData (chainsaw hunt/search --json, evtx_dump,
                           EvtxECmd --fj, Velociraptor parse_evtx)
  Velociraptor             EventData with EventTime or OSPath (EvtxHunter CSV or JSON)
  Splunk _raw              _raw holding XmlWinEventLog XML, classic WinEventLog text, or JSON

EDR process telemetry: each layout says which fields are the new process, which its creator
and, where the vendor names it, its grandparent (grandparent_process_name, read by --lineage:
a LOLBAS binary under a shell whose grandparent is WmiPrvSE.exe is a detection on its own row);
only the process-creation event types count, the others are counted as other events:
  Defender for Endpoint advanced hunting
                           portal CSV (or API rows) of DeviceProcessEvents: FileName, FolderPath,
                           ProcessId (new), InitiatingProcessFileName/Id (creator),
                           InitiatingProcessParentFileName (grandparent), DeviceName, Timestamp;
                           ActionType ProcessCreated
  Defender for Endpoint in Log Analytics
                           Sentinel CSV: the same with TenantId, Type, and time headers ending
                           [UTC] or [Local Time] (Timestamp [Local Time] is read in --timezone)
  Defender for Endpoint streaming API
                           category AdvancedHunting-DeviceProcessEvents with properties.*
                           (properties.DeviceName ...), Event Hub or storage records
  CrowdStrike Falcon       event_simpleName ProcessRollup2 with aid (FDR JSON, Event Search CSV):
                           ImageFileName, RawProcessId (the PID), TargetProcessId/ParentProcessId
                           (Falcon ids, read as process_guid/parent_process_guid, never as a
                           PID), ParentBaseFileName, GrandParentBaseFileName, ComputerName,
                           ProcessStartTime, timestamp (ms); _decimal twins
  Carbon Black Cloud event forwarder
                           type endpoint.event.procstart with org_key and device_timestamp: the
                           new process is childproc_name (command line target_cmdline), its
                           creator process_path, the grandparent parent_path
  Carbon Black Cloud process search
                           process_guid, parent_guid, process_pid, device_name, device_timestamp:
                           process_name is the process, parent_name its parent
  SentinelOne Deep Visibility
                           eventType \"Process Creation\": tgtProcName, tgtProcPid ... (new),
                           srcProcName (creator), srcProcParentName (grandparent); PascalCase
                           TgtProcName, SrcProcName, EventType too
  SentinelOne SDL          event.type with tgt.process.name, src.process.name,
                           src.process.parent.name (SDL, Cloud Funnel; timestamp in ns)
  Cortex XDR xdr_data      event_type PROCESS, event_sub_type PROCESS_START:
                           action_process_image_name (new), actor_process_image_name (creator),
                           agent_hostname; no grandparent (causality_actor_* is not one)

The PID of the process that logged an event (Winlogbeat 5/6 process_id, EvtxECmd's
ProcessId column, NXLog ProcessID/ExecutionProcessID, PowerShell's ProcessId) is never read
as the event's; Security 4688's ProcessId is the creator (the parent).

A directory is walked (hidden entries and symlinks skipped; files chosen by content, one
line on stderr for each file passed over, counted in the summary: a file not ours, or one
of a known layout that holds no process creations, its line naming the layout). FILE -
reads stdin.
With no FILE, scans the built-in sample of real Sysmon events. Files and chunks of large
.evtx files are read on every core; output is in path order, then record order. With
--lineage, a row that waits for its chain (a child seen before its shell) is printed
where the chain settles: when the shell's row arrives (GUID links), else after every
input is read, those rows in input order among themselves.

No silent zeros: once read, an input of a known layout with no process creations gets one
line naming its layout and the events it holds (not an error; \"passed over\" in a folder
walk); records of no layout known, and process
creations with neither a process nor a parent name or path read, are errors naming the
file and the fields seen.

Text inputs may be gzip-compressed (by content, not name; several members too) and
UTF-8 or UTF-16 with a byte-order mark (as Windows PowerShell 5.1 writes); pipes,
FIFOs and <(command) are read once, as they arrive. zip, xz, zstd, 7z, bzip2 and tar
are refused with their name: unpack them first. An .evtx log must be a regular,
uncompressed file. Invalid UTF-16 is read as U+FFFD and reported (an error).

Input and output:
  --input-format auto|csv|json|xml|evtx
                                     force the format of named FILEs (default: from content;
                                     json is any of the JSON shapes above)
  --format table|csv|json            output format (default: table on a terminal, else csv); CSV
                                     and JSON carry process_guid and parent_process_guid, and in
                                     JSON the annotations.mitre_attack* fields are arrays
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
on stderr: a file that cannot be opened or read, a malformed record, invalid UTF-16, a
FILE named here that is in a refused format, empty, or XML without an <Event>, records
of no layout known, or process creations whose process fields were not read. A file a
directory walk passes over (not ours, a refused format, or no process creations) gets one
line on stderr and is not an error. 2 for bad options.
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
