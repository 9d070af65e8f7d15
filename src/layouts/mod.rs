//! Export layouts: how each tool or platform writes Windows process
//! creations, and how each one's fields map onto CIM `Endpoint.Processes`.
//!
//! One [`ExportLayout`] per family, each with one [`FieldMap`] table
//! ([`target`] says what a field can be; the tables hold no code), in
//! [`LAYOUTS`], the order they are recognised in. A record (a CSV header,
//! a JSON object once its envelope is off) is of the first layout whose
//! *signature* — all names of one of its name lists — it has
//! ([`recognise`]). [`builder::EventBuilder`] is the one place that acts
//! on what a table says, whatever the input format.
//!
//! Adding a layout (issue 24's EDR vendors) is a new table module, one
//! [`ExportLayout`] entry in [`LAYOUTS`] before the generic ones, and its
//! sample and test: readers, the pipeline and the report need no change.

pub mod builder;
pub mod elastic;
pub mod exports;
pub mod row;
pub mod target;
pub mod text;
pub mod tools;
pub mod walk;
pub mod windows;
pub mod xml;

pub use builder::{EventBuilder, EventKind};
pub use target::{Cim, FieldMap, Prio, Target, CIM_FIELDS};

/// One export layout.
#[derive(Debug)]
pub struct ExportLayout {
    /// Short name, in messages (`ECS`, `hayabusa timeline`).
    pub name: &'static str,
    /// Who writes it.
    pub written_by: &'static str,
    /// The name lists it is recognised by: a record is of this layout when
    /// it has every name of one list.
    pub signatures: &'static [&'static [&'static str]],
    /// Its fields.
    pub map: &'static FieldMap,
    /// One row per record *and matching rule* (hayabusa, chainsaw): rows
    /// repeating a record (same host, channel and record number) are
    /// counted once.
    pub repeats: bool,
    /// Rows are CIM `Endpoint.Processes` rows as they are (a CSV of them is
    /// read by the rule without mapping).
    pub cim: bool,
}

/// Names a recogniser looks for.
pub trait Keys {
    /// True when the record has a field of this name (a dotted path for
    /// nested JSON).
    fn has(&self, name: &str) -> bool;
}

/// Envelopes taken off a JSON record, in order: when the object has all
/// the names, its record is the object under the last one.
pub const UNWRAP: &[(&[&str], &str)] = &[
    (&["preview", "result"], "result"),
    (&["_source"], "_source"),
    (&["_index", "fields"], "fields"),
    (&["_id", "fields"], "fields"),
    (&["group", "document"], "document"),
    (&["kind", "path", "data"], "data"),
    (&["Event"], "Event"),
];

/// The CIM names the rule reads, plain and `Processes.`-prefixed: a row
/// with one of them is a CIM row.
const CIM_SIGNATURES: &[&[&str]] = &[
    &["parent_process_name"],
    &["parent_process_path"],
    &["process_name"],
    &["process_path"],
    &["original_file_name"],
    &["Processes.parent_process_name"],
    &["Processes.parent_process_path"],
    &["Processes.process_name"],
    &["Processes.process_path"],
    &["Processes.original_file_name"],
];

/// The Windows event names that name a process, and the pairs that make a
/// flat record a Windows event.
const WINDOWS_SIGNATURES: &[&[&str]] = &[
    &["Image"],
    &["ParentImage"],
    &["NewProcessName"],
    &["ParentProcessName"],
    &["EventID", "Computer"],
    &["EventID", "Channel"],
    &["EventCode", "ComputerName"],
    &["EventID", "Hostname"],
];

/// Every layout, in the order they are recognised (the specific before
/// the generic).
pub static LAYOUTS: [&ExportLayout; 13] = [
    &ExportLayout {
        name: "hayabusa timeline",
        written_by: "hayabusa csv-timeline/json-timeline/dfir-timeline",
        signatures: &[&["RuleTitle", "Details"], &["RuleTitle", "AllFieldInfo"]],
        map: &tools::HAYABUSA,
        repeats: true,
        cim: false,
    },
    &ExportLayout {
        name: "chainsaw hunt CSV",
        written_by: "chainsaw hunt --csv",
        signatures: &[&["detections", "Event Data"]],
        map: &tools::CHAINSAW_CSV,
        repeats: true,
        cim: false,
    },
    &ExportLayout {
        name: "EvtxECmd",
        written_by: "EvtxECmd --csv/--json",
        signatures: &[&["PayloadData1", "Payload"], &["MapDescription", "Payload"]],
        map: &tools::EVTXECMD,
        repeats: false,
        cim: false,
    },
    &ExportLayout {
        name: "event record JSON",
        written_by:
            "chainsaw search/hunt --json, evtx_dump, EvtxECmd --fj, Velociraptor parse_evtx",
        signatures: &[&["System", "EventData"]],
        map: &tools::EVTX_JSON,
        repeats: true,
        cim: false,
    },
    &ExportLayout {
        name: "Velociraptor",
        written_by: "Velociraptor Windows.EventLogs.EvtxHunter (CSV, JSON)",
        signatures: &[&["EventData", "EventTime"], &["EventData", "OSPath"]],
        map: &tools::VELOCIRAPTOR,
        repeats: false,
        cim: false,
    },
    &ExportLayout {
        name: "PowerShell Get-WinEvent",
        written_by: "Get-WinEvent | Export-Csv / ConvertTo-Csv / ConvertTo-Json",
        signatures: &[
            &["MachineName", "TimeCreated", "Id"],
            &["MachineName", "RecordId", "ProviderName"],
        ],
        map: &exports::POWERSHELL,
        repeats: false,
        cim: false,
    },
    &ExportLayout {
        name: "HELK",
        written_by: "HELK (OSSEM names) in Elasticsearch",
        signatures: &[
            &["process_parent_path"],
            &["process_parent_name"],
            &["process_parent_guid"],
            &["process_command_line"],
            &["host_name", "event_id"],
        ],
        map: &elastic::HELK,
        repeats: false,
        cim: false,
    },
    &ExportLayout {
        name: "CIM Endpoint.Processes",
        written_by: "Splunk (tstats, the data model, the command's output)",
        signatures: CIM_SIGNATURES,
        map: &windows::WINDOWS,
        repeats: false,
        cim: true,
    },
    &ExportLayout {
        name: "Splunk _raw",
        written_by: "Splunk exports of events (CSV, JSON, REST results)",
        signatures: &[&["_raw"]],
        map: &exports::SPLUNK,
        repeats: false,
        cim: false,
    },
    &ExportLayout {
        name: "ECS",
        written_by: "Winlogbeat 7/8, Elastic Agent, Kibana Discover CSV",
        signatures: &[
            &["process.executable"],
            &["process.parent.executable"],
            &["process.name"],
            &["process.parent.name"],
            &["winlog.event_id"],
            &["winlog.channel"],
            &["event.code"],
            &["ecs.version"],
        ],
        map: &elastic::ECS,
        repeats: false,
        cim: false,
    },
    &ExportLayout {
        name: "Winlogbeat 5/6",
        written_by: "Winlogbeat 5.x/6.x (before ECS)",
        signatures: &[
            &["event_data", "computer_name"],
            &["computer_name", "log_name", "event_id"],
        ],
        map: &elastic::WINLOGBEAT_LEGACY,
        repeats: false,
        cim: false,
    },
    &ExportLayout {
        name: "NXLog",
        written_by: "NXLog im_msvistalog to_json() (also via Logstash or syslog)",
        signatures: &[
            &["EventTime", "Hostname", "SourceName"],
            &["SourceModuleType", "Hostname"],
            &["ExecutionProcessID", "Hostname"],
        ],
        map: &windows::NXLOG,
        repeats: false,
        cim: false,
    },
    &ExportLayout {
        name: "Windows event fields",
        written_by: "XML and .evtx records, raw Sysmon/4688 searches, Sentinel SecurityEvent",
        signatures: WINDOWS_SIGNATURES,
        map: &windows::WINDOWS,
        repeats: false,
        cim: false,
    },
];

/// The layout of flat records with Windows event names (the last one
/// recognised).
pub fn windows_events() -> &'static ExportLayout {
    LAYOUTS[LAYOUTS.len() - 1]
}

/// `.evtx` records, as the `evtx` crate renders them (XML): told by the
/// file's magic, not by a signature.
pub static EVTX_LOG: ExportLayout = ExportLayout {
    name: "Windows event log (.evtx)",
    written_by: "Windows",
    signatures: &[],
    map: &windows::WINDOWS,
    repeats: false,
    cim: false,
};

/// `<Event>` elements: told by the input's first byte, not a signature.
pub static XML_EVENTS: ExportLayout = ExportLayout {
    name: "Windows events as XML",
    written_by: "Splunk XmlWinEventLog, wevtutil qe /f:xml, Get-WinEvent ToXml()",
    signatures: &[],
    map: &windows::WINDOWS,
    repeats: false,
    cim: false,
};

/// The first layout whose signature `keys` has.
pub fn recognise(keys: &dyn Keys) -> Option<&'static ExportLayout> {
    LAYOUTS.iter().copied().find(|layout| {
        layout
            .signatures
            .iter()
            .any(|sig| sig.iter().all(|name| keys.has(name)))
    })
}

/// A CSV header's names as [`Keys`].
pub struct HeaderKeys<'a>(pub &'a [String]);

impl Keys for HeaderKeys<'_> {
    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|h| h == name)
    }
}

/// The layout of a CSV header.
pub fn recognise_header(names: &[String]) -> Option<&'static ExportLayout> {
    recognise(&HeaderKeys(names))
}

/// The layouts' names, for messages: `hayabusa timeline, chainsaw …`.
pub fn known() -> String {
    LAYOUTS
        .iter()
        .map(|l| l.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
