//! Microsoft Defender for Endpoint's `DeviceProcessEvents`, as the
//! advanced-hunting portal exports it (CSV, or the API's JSON rows), as
//! Sentinel/Log Analytics exports it (CSV whose time headers carry ` [UTC]`
//! or ` [Local Time]`), and as the streaming API sends it to an Event Hub
//! or a storage account (`category`, `properties.*`).
//!
//! Column meanings from Microsoft's table reference
//! (<https://learn.microsoft.com/en-us/defender-xdr/advanced-hunting-deviceprocessevents-table>):
//! the row's process is the **new** one (`FileName`, `FolderPath` — the
//! full path despite its name —, `ProcessId`, `ProcessCommandLine`, the
//! `Account*` user); `InitiatingProcess*` is its **creator**, and
//! `InitiatingProcessParent*` the creator's parent, our grandparent (its
//! file name: some rows give a `\Device\HarddiskVolumeN\…` path). A process
//! creation is `ActionType` `ProcessCreated`; other action types (a union
//! export of several tables) are other events. `ProcessUniqueId` and
//! `InitiatingProcessUniqueId` (newer columns) are real process ids, so
//! these rows' `vendor_product` is not the Splunk add-on's (whose GUIDs are
//! account ids and are ignored by lineage).

use super::target::{Cim, FieldMap, Prio, Side, Target, TimeField};

use Prio::{Event as E, Fallback as F};

const fn time(rank: u8, utc: bool) -> Target {
    Target::Time(TimeField { rank, utc })
}

/// `vendor_product` of these rows.
pub const VENDOR: &str = "Microsoft Defender for Endpoint (advanced hunting)";

/// The columns of `DeviceProcessEvents`, as the portal names them.
pub static DEVICE_PROCESS_EVENTS: FieldMap = FieldMap::new(
    &[
        ("ActionType", Target::Kind(&["ProcessCreated"]), E),
        ("Timestamp", time(3, true), E),
        ("ProcessCreationTime", time(4, true), E),
        ("DeviceName", Target::Cim(Cim::Dest), E),
        ("FileName", Target::Cim(Cim::ProcessName), E),
        ("FolderPath", Target::Path(Side::Process), F),
        ("ProcessCommandLine", Target::Cim(Cim::Process), E),
        ("ProcessId", Target::Pid(Side::Process), E),
        ("ProcessUniqueId", Target::Cim(Cim::ProcessGuid), E),
        ("ProcessIntegrityLevel", Target::Integrity, E),
        (
            "ProcessVersionInfoOriginalFileName",
            Target::Cim(Cim::OriginalFileName),
            E,
        ),
        ("SHA256", Target::Cim(Cim::ProcessHash), E),
        ("AccountName", Target::UserName, E),
        ("AccountDomain", Target::UserDomain, E),
        ("AccountSid", Target::SubjectSid, E),
        (
            "InitiatingProcessFileName",
            Target::Cim(Cim::ParentProcessName),
            E,
        ),
        ("InitiatingProcessFolderPath", Target::Path(Side::Parent), F),
        (
            "InitiatingProcessCommandLine",
            Target::Cim(Cim::ParentProcess),
            E,
        ),
        ("InitiatingProcessId", Target::Pid(Side::Parent), E),
        (
            "InitiatingProcessUniqueId",
            Target::Cim(Cim::ParentProcessGuid),
            E,
        ),
        ("InitiatingProcessParentFileName", Target::Grandparent, E),
        // The creator's, not the new process's (the Splunk add-on maps it
        // to `original_file_name`); account object ids are not process ids.
        (
            "InitiatingProcessVersionInfoOriginalFileName",
            Target::Ignore,
            E,
        ),
        ("AccountObjectId", Target::Ignore, E),
        ("InitiatingProcessAccountObjectId", Target::Ignore, E),
    ],
    &[],
);

/// A Sentinel/Log Analytics export: the same columns, with `TenantId`,
/// `Type` (the table) and time headers suffixed ` [UTC]` or
/// ` [Local Time]` (en-US text such as `10/25/2023, 9:43:21.994 AM`: read
/// in `--timezone`). `TimeGenerated` is when Sentinel ingested the row.
pub static LOG_ANALYTICS: FieldMap = FieldMap::new(
    &[
        ("Type", Target::Kind(&["DeviceProcessEvents"]), E),
        ("Timestamp [UTC]", time(3, true), E),
        ("Timestamp [Local Time]", time(3, false), E),
        ("ProcessCreationTime [UTC]", time(4, true), E),
        ("ProcessCreationTime [Local Time]", time(4, false), E),
        ("TimeGenerated [UTC]", time(6, true), E),
        ("TimeGenerated [Local Time]", time(6, false), E),
        ("TimeGenerated", time(6, true), E),
        ("TenantId", Target::Ignore, E),
    ],
    &[("", &DEVICE_PROCESS_EVENTS, E)],
);

/// A streaming-API record (Event Hub, storage account; also inside
/// `{"records": […]}`): the table in `category`, the row in `properties`.
/// The record's `time` is when Defender received the event. Older Splunk
/// MSCS inputs wrapped the record in `body`.
pub static STREAMING: FieldMap = FieldMap::new(
    &[
        (
            "category",
            Target::Kind(&["AdvancedHunting-DeviceProcessEvents"]),
            E,
        ),
        (
            "body.category",
            Target::Kind(&["AdvancedHunting-DeviceProcessEvents"]),
            E,
        ),
        ("time", time(6, true), E),
        ("body.time", time(6, true), E),
        ("tenantId", Target::Ignore, E),
        ("operationName", Target::Ignore, E),
    ],
    &[
        ("properties.", &DEVICE_PROCESS_EVENTS, E),
        ("body.properties.", &DEVICE_PROCESS_EVENTS, E),
    ],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initiating_process_is_the_parent_and_its_parent_the_grandparent() {
        assert!(matches!(
            DEVICE_PROCESS_EVENTS.lookup("InitiatingProcessId"),
            Some((Target::Pid(Side::Parent), _))
        ));
        assert!(matches!(
            DEVICE_PROCESS_EVENTS.lookup("InitiatingProcessParentFileName"),
            Some((Target::Grandparent, _))
        ));
        assert!(matches!(
            STREAMING.lookup("properties.ProcessId"),
            Some((Target::Pid(Side::Process), Prio::Event))
        ));
        assert!(matches!(
            LOG_ANALYTICS.lookup("Timestamp [Local Time]"),
            Some((Target::Time(TimeField { utc: false, .. }), _))
        ));
    }
}
