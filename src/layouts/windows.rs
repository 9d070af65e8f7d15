//! Windows event names: the EventData of Sysmon 1 and Security 4688, the
//! `<System>` element, and the flat exports that keep those names (XML and
//! `.evtx` records, NXLog, Sentinel's `SecurityEvent`, CSV from a raw
//! search), mapped onto `Endpoint.Processes` as `docs/detection.md` §7
//! describes. Also the CIM names themselves, and the rendered texts
//! (`Message`, PowerShell's `Properties`) that stand for EventData.

use super::target::{Cim, FieldMap, Prio, Side, Target, TimeField};

use Prio::{Cim as C, Event as E, Fallback as F};

const fn time(rank: u8, utc: bool) -> Target {
    Target::Time(TimeField { rank, utc })
}

/// EventData names of Sysmon 1 and Security 4688 (under any prefix a
/// layout puts them: `event_data.`, `winlog.event_data.`, `EventData.`, a
/// payload cell, a message line).
pub static EVENT_DATA: FieldMap = FieldMap::new(
    &[
        ("Image", Target::Path(Side::Process), E),
        ("NewProcessName", Target::Path(Side::Process), E),
        ("ParentImage", Target::Path(Side::Parent), E),
        ("ParentProcessName", Target::Path(Side::Parent), E),
        ("OriginalFileName", Target::Cim(Cim::OriginalFileName), E),
        ("CommandLine", Target::Cim(Cim::Process), E),
        ("ParentCommandLine", Target::Cim(Cim::ParentProcess), E),
        ("User", Target::User, E),
        ("SubjectUserName", Target::SubjectName, E),
        ("SubjectDomainName", Target::SubjectDomain, E),
        ("SubjectUserSid", Target::SubjectSid, E),
        ("ProcessId", Target::EventPid, E),
        ("NewProcessId", Target::NewProcessId, E),
        ("ParentProcessId", Target::Pid(Side::Parent), E),
        ("ProcessGuid", Target::Cim(Cim::ProcessGuid), E),
        ("ParentProcessGuid", Target::Cim(Cim::ParentProcessGuid), E),
        ("IntegrityLevel", Target::Integrity, E),
        ("MandatoryLabel", Target::Integrity, E),
        ("Hashes", Target::Cim(Cim::ProcessHash), E),
        (
            "CurrentDirectory",
            Target::Cim(Cim::ProcessCurrentDirectory),
            E,
        ),
        ("UtcTime", time(2, true), E),
    ],
    &[],
);

/// CIM `Endpoint.Processes` names, plain or `Processes.`-prefixed, a
/// tstats export's `firstTime`, and our grandparent fields.
pub static CIM: FieldMap = FieldMap::new(
    &[
        ("_time", time(0, false), C),
        ("firstTime", time(1, false), E),
        ("dest", Target::Cim(Cim::Dest), C),
        ("user", Target::Cim(Cim::User), C),
        ("parent_process", Target::Cim(Cim::ParentProcess), C),
        (
            "parent_process_name",
            Target::Cim(Cim::ParentProcessName),
            C,
        ),
        (
            "parent_process_path",
            Target::Cim(Cim::ParentProcessPath),
            C,
        ),
        ("parent_process_id", Target::Cim(Cim::ParentProcessId), C),
        (
            "parent_process_guid",
            Target::Cim(Cim::ParentProcessGuid),
            C,
        ),
        ("process", Target::Cim(Cim::Process), C),
        ("process_name", Target::Cim(Cim::ProcessName), C),
        ("process_path", Target::Cim(Cim::ProcessPath), C),
        ("process_id", Target::Cim(Cim::ProcessId), C),
        ("process_guid", Target::Cim(Cim::ProcessGuid), C),
        ("original_file_name", Target::Cim(Cim::OriginalFileName), C),
        (
            "process_integrity_level",
            Target::Cim(Cim::ProcessIntegrityLevel),
            C,
        ),
        ("process_hash", Target::Cim(Cim::ProcessHash), C),
        (
            "process_current_directory",
            Target::Cim(Cim::ProcessCurrentDirectory),
            C,
        ),
        ("vendor_product", Target::Cim(Cim::VendorProduct), C),
        ("signature_id", Target::Cim(Cim::SignatureId), C),
        // Ours, not CIM: the grandparent lineage reads (EDR rows).
        (
            "grandparent_process_name",
            Target::Cim(Cim::GrandparentProcessName),
            C,
        ),
        ("grandparent_process_path", Target::Grandparent, E),
    ],
    &[],
);

/// The `<System>` names of an XML record, and the names flat exports give
/// the same values (NXLog, Splunk's Windows add-on, Sentinel).
pub static SYSTEM_FLAT: FieldMap = FieldMap::new(
    &[
        ("Computer", Target::Cim(Cim::Dest), E),
        ("Hostname", Target::Cim(Cim::Dest), E),
        ("ComputerName", Target::Cim(Cim::Dest), E),
        ("computer_name", Target::Cim(Cim::Dest), E),
        ("EventID", Target::EventId, E),
        ("EventCode", Target::EventId, E),
        ("EventId", Target::EventId, E),
        ("event_id", Target::EventId, E),
        ("Channel", Target::Channel, E),
        ("channel", Target::Channel, E),
        ("Provider", Target::Provider, E),
        ("ProviderName", Target::Provider, E),
        ("SourceName", Target::Provider, E),
        ("provider_name", Target::Provider, E),
        ("EventRecordID", Target::RecordId, E),
        ("RecordNumber", Target::RecordId, E),
        ("Process_Command_Line", Target::Cim(Cim::Process), E),
        ("SystemTime", time(3, false), E),
        ("TimeCreated", time(3, false), E),
        ("EventTime", time(4, false), E),
        ("TimeGenerated", time(4, false), E),
        ("@timestamp", time(5, false), E),
        ("EventReceivedTime", time(6, false), E),
    ],
    &[],
);

/// Windows event names as flat fields, and CIM names: XML and `.evtx`
/// records, CSV from a raw Sysmon or 4688 search, Sentinel's
/// `SecurityEvent`, JSON with those names.
pub static WINDOWS: FieldMap = FieldMap::new(
    &[],
    &[
        ("", &EVENT_DATA, E),
        ("", &SYSTEM_FLAT, E),
        ("", &CIM, C),
        ("Processes.", &CIM, C),
    ],
);

/// NXLog `im_msvistalog` JSON (`to_json()`, also through Logstash or
/// wrapped in syslog): EventData at the top level with the Windows names.
/// `ProcessID` (CE) and `ExecutionProcessID` (EE) are the *logging*
/// process; CE drops the EventData `ProcessId` that collides with it, so
/// the `Message` text is read for what is missing. `AccountName`, `Domain`
/// and `UserID` are the record's logging account; `host` is the sender
/// as Logstash saw it.
pub static NXLOG: FieldMap = FieldMap::new(
    &[
        ("ProcessID", Target::Ignore, E),
        ("ExecutionProcessID", Target::Ignore, E),
        ("AccountName", Target::Ignore, E),
        ("Domain", Target::Ignore, E),
        ("UserID", Target::Ignore, E),
        ("host", Target::Ignore, E),
        ("Message", Target::Message, F),
    ],
    &[("", &WINDOWS, C)],
);

/// Security 4688's rendered message: labels to EventData names. `Security
/// ID`, `Account Name` and `Account Domain` are read from the first block
/// (the creator's subject), not from `Target Subject`.
pub const MESSAGE_4688: [(&str, &str); 9] = [
    ("New Process ID", "NewProcessId"),
    ("New Process Name", "NewProcessName"),
    ("Creator Process ID", "ProcessId"),
    ("Creator Process Name", "ParentProcessName"),
    ("Process Command Line", "CommandLine"),
    ("Mandatory Label", "MandatoryLabel"),
    ("Security ID", "SubjectUserSid"),
    ("Account Name", "SubjectUserName"),
    ("Account Domain", "SubjectDomainName"),
];

/// Sysmon 1's EventData in order, as PowerShell's `Properties` lists the
/// values: Sysmon 8–9 (21 values), 10–13.2x (22, `OriginalFileName`), 13.30
/// and later (23, `ParentUser`).
const SYSMON_1: [&str; 23] = [
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "FileVersion",
    "Description",
    "Product",
    "Company",
    "OriginalFileName",
    "CommandLine",
    "CurrentDirectory",
    "User",
    "LogonGuid",
    "LogonId",
    "TerminalSessionId",
    "IntegrityLevel",
    "Hashes",
    "ParentProcessGuid",
    "ParentProcessId",
    "ParentImage",
    "ParentCommandLine",
    "ParentUser",
];

/// Security 4688's EventData in order: version 0 has the first 8, version
/// 1 adds `CommandLine`, version 2 (Windows 10 / Server 2016) the rest.
const SECURITY_4688: [&str; 15] = [
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "NewProcessId",
    "NewProcessName",
    "TokenElevationType",
    "ProcessId",
    "CommandLine",
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetLogonId",
    "ParentProcessName",
    "MandatoryLabel",
];

/// The EventData names of `count` positional values of event `id`, when a
/// template has exactly that many; `None` otherwise (the values are then
/// not read: a guess by position could swap parent and child).
pub fn positional_names(id: u32, count: usize) -> Option<Vec<&'static str>> {
    match (id, count) {
        (1, 23) => Some(SYSMON_1.to_vec()),
        (1, 22) => Some(SYSMON_1[..22].to_vec()),
        (1, 21) => Some(
            SYSMON_1[..22]
                .iter()
                .copied()
                .filter(|n| *n != "OriginalFileName")
                .collect(),
        ),
        (4688, 8 | 9 | 15) => Some(SECURITY_4688[..count].to_vec()),
        _ => None,
    }
}

/// Classic `WinEventLog` text (Splunk `_raw` with `renderXml=0`): the
/// `Key=Value` header lines before `Message=`. The first line, the
/// forwarder's local time without a zone, is read as `WinEventLog time`.
pub static CLASSIC: FieldMap = FieldMap::new(
    &[
        ("LogName", Target::Channel, E),
        ("EventCode", Target::EventId, E),
        ("ComputerName", Target::Cim(Cim::Dest), E),
        ("SourceName", Target::Provider, E),
        ("RecordNumber", Target::RecordId, E),
        ("WinEventLog time", time(3, false), E),
        ("User", Target::Ignore, E),
        ("Sid", Target::Ignore, E),
    ],
    &[],
);

/// Channel names as some tools abbreviate them (hayabusa), for the
/// sentence that says which events a file holds.
pub const CHANNEL_NAMES: [(&str, &str); 5] = [
    ("Microsoft-Windows-Sysmon/Operational", "Sysmon"),
    ("Microsoft-Windows-Sysmon", "Sysmon"),
    ("Sec", "Security"),
    ("Microsoft-Windows-Security-Auditing", "Security"),
    ("Sys", "System"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_names_map_4688_and_sysmon_ids_by_role() {
        assert!(matches!(
            WINDOWS.lookup("ProcessId"),
            Some((Target::EventPid, Prio::Event))
        ));
        assert!(matches!(
            WINDOWS.lookup("Processes.process_id"),
            Some((Target::Cim(Cim::ProcessId), Prio::Cim))
        ));
        // The logging process's PID is never the event's.
        assert!(matches!(
            NXLOG.lookup("ProcessID"),
            Some((Target::Ignore, _))
        ));
        assert!(WINDOWS.lookup("ProcessID").is_none());
    }

    #[test]
    fn positional_templates_only_for_known_counts() {
        let v = positional_names(1, 22).unwrap();
        assert_eq!(v[9], "OriginalFileName");
        assert_eq!(v[21], "ParentCommandLine");
        let v = positional_names(1, 21).unwrap();
        assert_eq!(v[9], "CommandLine");
        assert_eq!(v[20], "ParentCommandLine");
        assert_eq!(positional_names(4688, 9).unwrap()[7], "ProcessId");
        assert_eq!(positional_names(4688, 15).unwrap()[13], "ParentProcessName");
        assert!(positional_names(1, 17).is_none());
        assert!(positional_names(4624, 9).is_none());
    }
}
