//! CrowdStrike Falcon sensor events: Falcon Data Replicator (FDR) JSON
//! lines, and Falcon Event Search CSV exports of the same events.
//!
//! A process creation is `event_simpleName` `ProcessRollup2` (or
//! `SyntheticProcessRollup2`, the same record for a process the sensor
//! found running; `#event_simpleName` in Falcon's LogScale search). Its
//! fields (Splunk's security_content data source *CrowdStrike
//! ProcessRollup2* and its `example_log`; Panther's Falcon schema):
//!
//! * `ImageFileName`, the new process's `\Device\HarddiskVolumeN\…` path
//!   (its file name is taken); `CommandLine`; `RawProcessId`, the
//!   **operating system's PID**;
//! * `TargetProcessId` and `ParentProcessId`: Falcon's **unique ids** of
//!   the process and of its parent (unique per sensor, `aid`), read as the
//!   GUID pair — never as `parent_process_id`, as the Splunk add-on maps
//!   it: a PR2 event has no OS PID of its parent;
//! * `ParentBaseFileName`, the parent's file name; `GrandParentBaseFileName`
//!   (when present), the grandparent's;
//! * `ComputerName` (else the sensor id `aid`), `UserName` (else
//!   `UserSid`);
//! * `ProcessStartTime` (epoch seconds, when the process started) before
//!   `timestamp` (epoch **milliseconds**, when Falcon's cloud received the
//!   event). Event Search's `_time` is display text.
//!
//! Event Search writes `_decimal` twins of the ids; they win, so a row's
//! ids are all of one form.

use super::target::{Cim, FieldMap, Prio, Side, Target, TimeField};

use Prio::{Event as E, Fallback as F};

const fn time(rank: u8) -> Target {
    Target::Time(TimeField { rank, utc: false })
}

const fn epoch_ms(rank: u8) -> Target {
    Target::EpochTime(TimeField { rank, utc: true }, 3)
}

/// `vendor_product` of these rows: names CrowdStrike, so lineage never
/// reads a `parent_process_id` of theirs as a PID.
pub const VENDOR: &str = "CrowdStrike Falcon";

/// The process-creation event names.
const PROCESS_ROLLUP: &[&str] = &["ProcessRollup2", "SyntheticProcessRollup2"];

/// Falcon sensor events (FDR, Event Search, LogScale).
pub static FALCON: FieldMap = FieldMap::new(
    &[
        ("event_simpleName", Target::Kind(PROCESS_ROLLUP), E),
        ("#event_simpleName", Target::Kind(PROCESS_ROLLUP), E),
        ("ImageFileName", Target::Path(Side::Process), E),
        ("FileName", Target::Cim(Cim::ProcessName), E),
        ("CommandLine", Target::Cim(Cim::Process), E),
        ("RawProcessId", Target::Pid(Side::Process), F),
        ("RawProcessId_decimal", Target::Pid(Side::Process), E),
        ("TargetProcessId", Target::Cim(Cim::ProcessGuid), F),
        ("TargetProcessId_decimal", Target::Cim(Cim::ProcessGuid), E),
        ("ParentProcessId", Target::Cim(Cim::ParentProcessGuid), F),
        (
            "ParentProcessId_decimal",
            Target::Cim(Cim::ParentProcessGuid),
            E,
        ),
        ("ParentBaseFileName", Target::Cim(Cim::ParentProcessName), E),
        ("GrandParentBaseFileName", Target::Grandparent, E),
        ("ComputerName", Target::Cim(Cim::Dest), E),
        ("aid", Target::Cim(Cim::Dest), F),
        ("UserName", Target::User, E),
        ("UserSid", Target::User, F),
        ("SHA256HashData", Target::Cim(Cim::ProcessHash), E),
        (
            "ProcessStartTime",
            Target::Time(TimeField { rank: 2, utc: true }),
            E,
        ),
        ("ContextTimeStamp", time(3), E),
        ("_time", time(4), E),
        ("@timestamp", epoch_ms(5), E),
        ("timestamp", epoch_ms(6), E),
        // The creating process (the parent, in PR2) and the sensor.
        ("SourceProcessId", Target::Ignore, E),
        ("SourceProcessId_decimal", Target::Ignore, E),
        ("FilePath", Target::Ignore, E),
        ("cid", Target::Ignore, E),
    ],
    &[],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falcon_ids_are_the_guid_pair_and_raw_process_id_the_pid() {
        assert!(matches!(
            FALCON.lookup("ParentProcessId"),
            Some((Target::Cim(Cim::ParentProcessGuid), _))
        ));
        assert!(matches!(
            FALCON.lookup("TargetProcessId"),
            Some((Target::Cim(Cim::ProcessGuid), _))
        ));
        assert!(matches!(
            FALCON.lookup("RawProcessId"),
            Some((Target::Pid(Side::Process), _))
        ));
        assert!(FALCON
            .fields
            .iter()
            .all(|(_, t, _)| !matches!(t, Target::Pid(Side::Parent))));
    }
}
