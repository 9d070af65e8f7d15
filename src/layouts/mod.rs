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
//! Adding a layout is a new table module, one [`ExportLayout`] entry in
//! [`LAYOUTS`] before the generic ones, and its sample and test: readers,
//! the pipeline and the report need no change. The EDR vendors
//! ([`defender`], [`crowdstrike`], [`carbonblack`], [`sentinelone`],
//! [`cortex`]) came that way: their tables say which fields are the new
//! process and which its creator, and which event types are process
//! creations ([`Target::Kind`]); their rows carry a `vendor_product` and,
//! where the vendor names it, the grandparent.

pub mod builder;
pub mod carbonblack;
pub mod cortex;
pub mod crowdstrike;
pub mod defender;
pub mod elastic;
pub mod exports;
pub mod row;
pub mod sentinelone;
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
    /// The product its records come from, as `vendor_product` (when a
    /// record names none). Lineage reads ids by it: see
    /// `crate::lineage::facts::IdShape`.
    pub vendor_product: Option<&'static str>,
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
pub static LAYOUTS: [&ExportLayout; 22] = [
    &ExportLayout {
        name: "hayabusa timeline",
        written_by: "hayabusa csv-timeline/json-timeline/dfir-timeline",
        signatures: &[&["RuleTitle", "Details"], &["RuleTitle", "AllFieldInfo"]],
        map: &tools::HAYABUSA,
        repeats: true,
        cim: false,
        vendor_product: None,
    },
    &ExportLayout {
        name: "chainsaw hunt CSV",
        written_by: "chainsaw hunt --csv",
        signatures: &[&["detections", "Event Data"]],
        map: &tools::CHAINSAW_CSV,
        repeats: true,
        cim: false,
        vendor_product: None,
    },
    &ExportLayout {
        name: "EvtxECmd",
        written_by: "EvtxECmd --csv/--json",
        signatures: &[&["PayloadData1", "Payload"], &["MapDescription", "Payload"]],
        map: &tools::EVTXECMD,
        repeats: false,
        cim: false,
        vendor_product: None,
    },
    &ExportLayout {
        name: "event record JSON",
        written_by:
            "chainsaw search/hunt --json, evtx_dump, EvtxECmd --fj, Velociraptor parse_evtx",
        signatures: &[&["System", "EventData"]],
        map: &tools::EVTX_JSON,
        repeats: true,
        cim: false,
        vendor_product: None,
    },
    &ExportLayout {
        name: "Velociraptor",
        written_by: "Velociraptor Windows.EventLogs.EvtxHunter (CSV, JSON)",
        signatures: &[&["EventData", "EventTime"], &["EventData", "OSPath"]],
        map: &tools::VELOCIRAPTOR,
        repeats: false,
        cim: false,
        vendor_product: None,
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
        vendor_product: None,
    },
    &ExportLayout {
        name: "Defender for Endpoint in Log Analytics",
        written_by: "Microsoft Sentinel / Log Analytics export of DeviceProcessEvents",
        signatures: &[
            &["InitiatingProcessFileName", "TenantId"],
            &["InitiatingProcessFileName", "Timestamp [UTC]"],
            &["InitiatingProcessFileName", "Timestamp [Local Time]"],
        ],
        map: &defender::LOG_ANALYTICS,
        repeats: false,
        cim: false,
        vendor_product: Some(defender::VENDOR),
    },
    &ExportLayout {
        name: "Defender for Endpoint streaming API",
        written_by: "Defender streaming API to an Event Hub or storage account",
        signatures: &[
            &["category", "properties.DeviceName"],
            &["body.category", "body.properties.DeviceName"],
        ],
        map: &defender::STREAMING,
        repeats: false,
        cim: false,
        vendor_product: Some(defender::VENDOR),
    },
    &ExportLayout {
        name: "Defender for Endpoint advanced hunting",
        written_by: "Microsoft Defender portal advanced hunting export (CSV), its API",
        signatures: &[
            &["InitiatingProcessFileName", "ActionType", "DeviceName"],
            &["InitiatingProcessParentFileName", "DeviceName"],
        ],
        map: &defender::DEVICE_PROCESS_EVENTS,
        repeats: false,
        cim: false,
        vendor_product: Some(defender::VENDOR),
    },
    &ExportLayout {
        name: "CrowdStrike Falcon",
        written_by: "Falcon Data Replicator (JSON), Falcon Event Search (CSV)",
        signatures: &[
            &["event_simpleName", "aid"],
            &["#event_simpleName", "aid"],
            &["event_simpleName", "TargetProcessId_decimal"],
        ],
        map: &crowdstrike::FALCON,
        repeats: false,
        cim: false,
        vendor_product: Some(crowdstrike::VENDOR),
    },
    &ExportLayout {
        name: "Carbon Black Cloud event forwarder",
        written_by: "Carbon Black Cloud Data Forwarder (JSON lines)",
        signatures: &[
            &["type", "org_key", "device_timestamp"],
            &["type", "childproc_name"],
        ],
        map: &carbonblack::FORWARDER,
        repeats: false,
        cim: false,
        vendor_product: Some(carbonblack::VENDOR),
    },
    &ExportLayout {
        name: "Carbon Black Cloud process search",
        written_by: "Carbon Black Cloud process search (API JSON, console CSV)",
        signatures: &[
            &["process_guid", "parent_guid", "device_timestamp"],
            &["process_guid", "process_pid", "device_name"],
        ],
        map: &carbonblack::PROCESS_SEARCH,
        repeats: false,
        cim: false,
        vendor_product: Some(carbonblack::VENDOR),
    },
    &ExportLayout {
        name: "SentinelOne Deep Visibility",
        written_by: "SentinelOne Deep Visibility API (JSON), queries and exports (CSV)",
        signatures: &[
            &["srcProcName", "eventType"],
            &["tgtProcName", "eventType"],
            &["SrcProcName", "EventType"],
            &["TgtProcName", "EventType"],
        ],
        map: &sentinelone::DEEP_VISIBILITY,
        repeats: false,
        cim: false,
        vendor_product: Some(sentinelone::VENDOR),
    },
    &ExportLayout {
        name: "SentinelOne SDL",
        written_by: "SentinelOne Singularity Data Lake, Cloud Funnel, PowerQuery",
        signatures: &[
            &["src.process.name", "event.type"],
            &["tgt.process.name", "event.type"],
        ],
        map: &sentinelone::SDL,
        repeats: false,
        cim: false,
        vendor_product: Some(sentinelone::VENDOR),
    },
    &ExportLayout {
        name: "Cortex XDR xdr_data",
        written_by: "Cortex XDR XQL on xdr_data (API JSON, console exports)",
        signatures: &[
            &["event_type", "actor_process_image_name"],
            &["action_process_image_name", "agent_hostname"],
            &["event_sub_type", "agent_hostname"],
        ],
        map: &cortex::XDR_DATA,
        repeats: false,
        cim: false,
        vendor_product: Some(cortex::VENDOR),
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
        vendor_product: None,
    },
    &ExportLayout {
        name: "CIM Endpoint.Processes",
        written_by: "Splunk (tstats, the data model, the command's output)",
        signatures: CIM_SIGNATURES,
        map: &windows::WINDOWS,
        repeats: false,
        cim: true,
        vendor_product: None,
    },
    &ExportLayout {
        name: "Splunk _raw",
        written_by: "Splunk exports of events (CSV, JSON, REST results)",
        signatures: &[&["_raw"]],
        map: &exports::SPLUNK,
        repeats: false,
        cim: false,
        vendor_product: None,
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
        vendor_product: None,
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
        vendor_product: None,
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
        vendor_product: None,
    },
    &ExportLayout {
        name: "Windows event fields",
        written_by: "XML and .evtx records, raw Sysmon/4688 searches, Sentinel SecurityEvent",
        signatures: WINDOWS_SIGNATURES,
        map: &windows::WINDOWS,
        repeats: false,
        cim: false,
        vendor_product: None,
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
    vendor_product: None,
};

/// `<Event>` elements: told by the input's first byte, not a signature.
pub static XML_EVENTS: ExportLayout = ExportLayout {
    name: "Windows events as XML",
    written_by: "Splunk XmlWinEventLog, wevtutil qe /f:xml, Get-WinEvent ToXml()",
    signatures: &[],
    map: &windows::WINDOWS,
    repeats: false,
    cim: false,
    vendor_product: None,
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

#[cfg(test)]
#[path = "edr_tests.rs"]
mod edr_tests;
