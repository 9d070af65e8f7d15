//! Exports made by hand or by a platform: PowerShell's `Get-WinEvent`
//! through `Export-Csv`/`ConvertTo-Json`, and Splunk exports whose rows
//! hold the event only in `_raw`.

use super::target::{Cim, FieldMap, Payload, Prio, Target, TimeField};
use super::windows::CIM;

use Prio::{Cim as C, Event as E, Fallback as F};

/// PowerShell `Get-WinEvent` objects (`EventLogRecord`): the event's
/// computer is `MachineName`, its ID `Id`; `ProcessId`/`ThreadId` are the
/// *logging* process, `UserId` the logging account. The EventData is
/// only in the rendered `Message` (all `Export-Csv` keeps: `Properties`
/// becomes a type name) and, with `ConvertTo-Json -Depth 3` or more, the
/// positional `Properties` values. `TimeCreated` is local time without a
/// zone in CSV, `/Date(ms)/` (5.1) or ISO with an offset (7) in JSON.
pub static POWERSHELL: FieldMap = FieldMap::new(
    &[
        ("MachineName", Target::Cim(Cim::Dest), E),
        ("Id", Target::EventId, E),
        (
            "TimeCreated",
            Target::Time(TimeField {
                rank: 3,
                utc: false,
            }),
            E,
        ),
        ("LogName", Target::Channel, E),
        ("ProviderName", Target::Provider, E),
        ("RecordId", Target::RecordId, E),
        ("Message", Target::Message, F),
        ("Properties", Target::Properties, E),
        ("ProcessId", Target::Ignore, E),
        ("ThreadId", Target::Ignore, E),
        ("UserId", Target::Ignore, E),
    ],
    &[],
);

/// A Splunk export (CSV, the `export` endpoint's JSON lines, the REST
/// `results` JSON) of events: `_raw` is the event as indexed —
/// `XmlWinEventLog` XML, classic `WinEventLog` text, or JSON — and
/// `_time` the event's time as Splunk read it. `host` is the forwarder's
/// host name: it fills the host only when the event names none.
pub static SPLUNK: FieldMap = FieldMap::new(
    &[
        ("_raw", Target::Payload(Payload::Raw), E),
        (
            "_time",
            Target::Time(TimeField {
                rank: 0,
                utc: false,
            }),
            C,
        ),
        ("host", Target::Cim(Cim::Dest), F),
        ("source", Target::Ignore, E),
        ("sourcetype", Target::Ignore, E),
        ("index", Target::Ignore, E),
        ("splunk_server", Target::Ignore, E),
    ],
    &[("", &CIM, C)],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_process_id_is_the_logging_process() {
        assert!(matches!(
            POWERSHELL.lookup("ProcessId"),
            Some((Target::Ignore, _))
        ));
        assert!(matches!(
            POWERSHELL.lookup("MachineName"),
            Some((Target::Cim(Cim::Dest), Prio::Event))
        ));
    }

    #[test]
    fn splunk_host_only_fills_an_empty_host() {
        assert!(matches!(
            SPLUNK.lookup("host"),
            Some((Target::Cim(Cim::Dest), Prio::Fallback))
        ));
        assert!(matches!(
            SPLUNK.lookup("_time"),
            Some((Target::Time(TimeField { rank: 0, .. }), _))
        ));
    }
}
