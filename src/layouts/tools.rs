//! What forensic tools write: EvtxECmd, hayabusa, chainsaw, Velociraptor,
//! and the JSON the `evtx` crate makes of a record (chainsaw, `evtx_dump`,
//! EvtxECmd `--fj`). Most carry the EventData inside one column or object,
//! read with [`EVENT_DATA`]; what each tool puts at the top level is here.

use super::target::{Cim, FieldMap, Payload, Prio, Side, Target, TimeField};
use super::windows::EVENT_DATA;

use Prio::{Event as E, Fallback as F};

const fn time(rank: u8, utc: bool) -> Target {
    Target::Time(TimeField { rank, utc })
}

/// A record's `System` object as JSON: `_attributes` names from the `evtx`
/// crate (chainsaw, `evtx_dump`), plain objects from Velociraptor (whose
/// `SystemTime` is epoch seconds), `@` names from EvtxECmd `--fj`. The
/// `Execution` process is the *logging* one; `Security` its account.
pub static SYSTEM_JSON: FieldMap = FieldMap::new(
    &[
        ("Computer", Target::Cim(Cim::Dest), E),
        ("Channel", Target::Channel, E),
        ("EventID", Target::EventId, E),
        ("EventID.Value", Target::EventId, E),
        ("EventID.#text", Target::EventId, E),
        ("Provider_attributes.Name", Target::Provider, E),
        ("Provider.Name", Target::Provider, E),
        ("Provider.@Name", Target::Provider, E),
        ("TimeCreated_attributes.SystemTime", time(3, false), E),
        ("TimeCreated.SystemTime", time(3, false), E),
        ("TimeCreated.@SystemTime", time(3, false), E),
        ("EventRecordID", Target::RecordId, E),
        ("Execution_attributes.ProcessID", Target::Ignore, E),
        ("Execution.ProcessID", Target::Ignore, E),
        ("Execution.@ProcessID", Target::Ignore, E),
        ("Security_attributes.UserID", Target::Ignore, E),
        ("Security.UserID", Target::Ignore, E),
        ("Security.@UserID", Target::Ignore, E),
    ],
    &[],
);

/// A record as JSON with `System` and `EventData` objects (after its
/// `Event` wrapper, and chainsaw's `document.data`, are taken off).
pub static EVTX_JSON: FieldMap = FieldMap::new(
    &[
        ("System", Target::Payload(Payload::Json(&SYSTEM_JSON)), E),
        ("EventData", Target::Payload(Payload::Json(&EVENT_DATA)), E),
        ("Message", Target::Message, F),
    ],
    &[],
);

/// Velociraptor's `Windows.EventLogs.EvtxHunter` rows (and `parse_evtx`
/// rows, as [`EVTX_JSON`]). In CSV the `EventData` and `System` cells
/// hold JSON. `UserSID`/`Username` are the record's logging account.
pub static VELOCIRAPTOR: FieldMap = FieldMap::new(
    &[
        ("EventTime", time(3, false), E),
        ("TimeCreated", time(3, false), E),
        ("Computer", Target::Cim(Cim::Dest), E),
        ("Channel", Target::Channel, E),
        ("Provider", Target::Provider, E),
        ("EventID", Target::EventId, E),
        ("EventRecordID", Target::RecordId, E),
        ("UserSID", Target::Ignore, E),
        ("Username", Target::Ignore, E),
        ("OSPath", Target::Ignore, E),
    ],
    &[("", &EVTX_JSON, E)],
);

/// EvtxECmd's `Payload`: the EventData XML as Newtonsoft writes it
/// (`{"EventData":{"Data":[{"@Name":…,"#text":…}]}}`).
pub static EVTXECMD_PAYLOAD: FieldMap = FieldMap::new(
    &[("EventData", Target::Payload(Payload::Json(&EVENT_DATA)), E)],
    &[],
);

/// EvtxECmd CSV and JSON lines. The EventData is read from `Payload`;
/// `ProcessId`/`ThreadId` are the *logging* process (the record's
/// `Execution` element); `UserId` is the logging account; `UserName`,
/// `ExecutableInfo`, `MapDescription` and `PayloadData1`–`6` are the map's
/// summaries of the payload. `TimeCreated` is UTC (EvtxECmd converts it).
pub static EVTXECMD: FieldMap = FieldMap::new(
    &[
        ("TimeCreated", time(3, true), E),
        ("EventId", Target::EventId, E),
        ("Channel", Target::Channel, E),
        ("Provider", Target::Provider, E),
        ("Computer", Target::Cim(Cim::Dest), E),
        ("EventRecordId", Target::RecordId, E),
        (
            "Payload",
            Target::Payload(Payload::Json(&EVTXECMD_PAYLOAD)),
            E,
        ),
        ("ProcessId", Target::Ignore, E),
        ("ThreadId", Target::Ignore, E),
        ("UserId", Target::Ignore, E),
        ("UserName", Target::Ignore, E),
        ("ExecutableInfo", Target::Ignore, E),
        ("MapDescription", Target::Ignore, E),
        ("PayloadData1", Target::Ignore, E),
        ("PayloadData2", Target::Ignore, E),
        ("PayloadData3", Target::Ignore, E),
        ("PayloadData4", Target::Ignore, E),
        ("PayloadData5", Target::Ignore, E),
        ("PayloadData6", Target::Ignore, E),
    ],
    &[],
);

/// hayabusa's `Details` abbreviations (hayabusa-rules
/// `config/default_details.txt`; `Path`/`CmdLine` in older versions);
/// other keys are EventData names (`ExtraFieldInfo`, `AllFieldInfo`).
/// `PID` is the new process in both Sysmon 1 and 4688 (decimal); `User` is
/// Sysmon's `User` or 4688's `SubjectUserName`.
pub static HAYABUSA_FIELDS: FieldMap = FieldMap::new(
    &[
        ("Proc", Target::Path(Side::Process), E),
        ("Path", Target::Path(Side::Process), E),
        ("Cmdline", Target::Cim(Cim::Process), E),
        ("CmdLine", Target::Cim(Cim::Process), E),
        ("ParentCmdline", Target::Cim(Cim::ParentProcess), E),
        ("PID", Target::Pid(Side::Process), E),
        ("PGUID", Target::Cim(Cim::ProcessGuid), E),
        ("ParentPID", Target::Pid(Side::Parent), E),
        ("ParentPGUID", Target::Cim(Cim::ParentProcessGuid), E),
        ("User", Target::SubjectName, E),
        ("LID", Target::Ignore, E),
        ("LGUID", Target::Ignore, E),
    ],
    &[("", &EVENT_DATA, E)],
);

/// hayabusa `csv-timeline`/`json-timeline` (`dfir-timeline` in 4.x): one
/// row per record *and matching rule*. `Channel` is abbreviated (`Sec`,
/// `Sysmon`).
pub static HAYABUSA: FieldMap = FieldMap::new(
    &[
        ("Timestamp", time(3, false), E),
        ("Computer", Target::Cim(Cim::Dest), E),
        ("Channel", Target::Channel, E),
        ("EventID", Target::EventId, E),
        ("RecordID", Target::RecordId, E),
        (
            "Details",
            Target::Payload(Payload::Pairs(&HAYABUSA_FIELDS)),
            E,
        ),
        (
            "ExtraFieldInfo",
            Target::Payload(Payload::Pairs(&HAYABUSA_FIELDS)),
            E,
        ),
        (
            "AllFieldInfo",
            Target::Payload(Payload::Pairs(&HAYABUSA_FIELDS)),
            E,
        ),
        ("EvtxFile", Target::Ignore, E),
    ],
    &[],
);

/// chainsaw `hunt --csv`: the record's EventData as a YAML block in
/// `Event Data`; one row per record and mapping group.
pub static CHAINSAW_CSV: FieldMap = FieldMap::new(
    &[
        ("timestamp", time(3, false), E),
        ("Computer", Target::Cim(Cim::Dest), E),
        ("Event ID", Target::EventId, E),
        ("Record ID", Target::RecordId, E),
        ("Event.System.Provider", Target::Provider, E),
        (
            "Event Data",
            Target::Payload(Payload::Lines(&EVENT_DATA)),
            E,
        ),
        ("path", Target::Ignore, E),
    ],
    &[],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evtxecmd_process_id_is_the_logging_process_and_payload_is_read() {
        assert!(matches!(
            EVTXECMD.lookup("ProcessId"),
            Some((Target::Ignore, _))
        ));
        assert!(matches!(
            EVTXECMD.lookup("Payload"),
            Some((Target::Payload(Payload::Json(_)), _))
        ));
    }

    #[test]
    fn hayabusa_abbreviations_come_before_event_data_names() {
        assert!(matches!(
            HAYABUSA_FIELDS.lookup("PID"),
            Some((Target::Pid(Side::Process), _))
        ));
        assert!(matches!(
            HAYABUSA_FIELDS.lookup("User"),
            Some((Target::SubjectName, _))
        ));
        assert!(matches!(
            HAYABUSA_FIELDS.lookup("ParentImage"),
            Some((Target::Path(Side::Parent), _))
        ));
        // 4688's creator, under its EventData name in ExtraFieldInfo.
        assert!(matches!(
            HAYABUSA_FIELDS.lookup("ProcessId"),
            Some((Target::EventPid, _))
        ));
    }
}
