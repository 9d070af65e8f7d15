//! The Elastic family: ECS documents (Winlogbeat 7/8 with its module
//! pipelines, Elastic Agent, Kibana Discover CSV), Winlogbeat 5/6 before
//! ECS, and HELK's OSSEM-style names. Field names and what they mean are
//! from the Beats documentation and the HELK Logstash pipeline (cited in
//! `docs/detection.md` §7.4).

use super::target::{Cim, FieldMap, Payload, Prio, Side, Target, TimeField};
use super::windows::EVENT_DATA;

use Prio::{Event as E, Fallback as F};

const fn time(rank: u8) -> Target {
    Target::Time(TimeField { rank, utc: false })
}

/// ECS. The process and its parent are `process.*` and `process.parent.*`;
/// the event's computer is `winlog.computer_name` (on a collector fed by
/// Windows event forwarding `host.name` is the collector, so it only fills
/// an empty host); `winlog.process.pid` is the *logging* process. What the
/// ingest pipeline left in `winlog.event_data` (all of it without the
/// pipeline) fills what the ECS names did not give.
pub static ECS: FieldMap = FieldMap::new(
    &[
        ("process.executable", Target::Path(Side::Process), E),
        ("process.name", Target::Cim(Cim::ProcessName), E),
        ("process.command_line", Target::Cim(Cim::Process), E),
        ("process.pid", Target::Pid(Side::Process), E),
        ("process.entity_id", Target::Cim(Cim::ProcessGuid), E),
        (
            "process.pe.original_file_name",
            Target::Cim(Cim::OriginalFileName),
            E,
        ),
        (
            "process.working_directory",
            Target::Cim(Cim::ProcessCurrentDirectory),
            E,
        ),
        ("process.hash.sha256", Target::Cim(Cim::ProcessHash), E),
        ("process.parent.executable", Target::Path(Side::Parent), E),
        (
            "process.parent.name",
            Target::Cim(Cim::ParentProcessName),
            E,
        ),
        (
            "process.parent.command_line",
            Target::Cim(Cim::ParentProcess),
            E,
        ),
        ("process.parent.pid", Target::Pid(Side::Parent), E),
        (
            "process.parent.entity_id",
            Target::Cim(Cim::ParentProcessGuid),
            E,
        ),
        ("winlog.computer_name", Target::Cim(Cim::Dest), E),
        ("host.name", Target::Cim(Cim::Dest), F),
        ("host.hostname", Target::Cim(Cim::Dest), F),
        ("user.name", Target::UserName, E),
        ("user.domain", Target::UserDomain, E),
        ("user.id", Target::Ignore, E),
        ("@timestamp", time(5), E),
        ("event.code", Target::EventId, E),
        ("winlog.event_id", Target::EventId, E),
        ("winlog.channel", Target::Channel, E),
        ("winlog.provider_name", Target::Provider, E),
        ("event.provider", Target::Provider, E),
        ("event.type", Target::EventType, E),
        ("winlog.record_id", Target::RecordId, E),
        ("winlog.process.pid", Target::Ignore, E),
        ("winlog.process.thread.id", Target::Ignore, E),
        ("_source", Target::Payload(Payload::Json(&ECS)), E),
    ],
    &[("winlog.event_data.", &EVENT_DATA, F)],
);

/// Winlogbeat 5.x/6.x before ECS: EventData under `event_data`, the
/// event's computer in `computer_name`. The top-level `process_id` and
/// `thread_id` are the *logging* process's, and `user.*` the record's
/// logging account.
pub static WINLOGBEAT_LEGACY: FieldMap = FieldMap::new(
    &[
        ("computer_name", Target::Cim(Cim::Dest), E),
        ("event_id", Target::EventId, E),
        ("log_name", Target::Channel, E),
        ("source_name", Target::Provider, E),
        ("record_number", Target::RecordId, E),
        ("@timestamp", time(5), E),
        ("process_id", Target::Ignore, E),
        ("thread_id", Target::Ignore, E),
        ("user.identifier", Target::Ignore, E),
        ("user.name", Target::Ignore, E),
        ("user.domain", Target::Ignore, E),
        ("user.type", Target::Ignore, E),
    ],
    &[("event_data.", &EVENT_DATA, E)],
);

/// HELK's names (Logstash pipeline `1531`, `1532`, `1590`–`1593`), as
/// OSSEM's data dictionary named them before its 2022 camel-case rename.
/// HELK already turned 4688's `NewProcessId`/`ProcessId` into
/// `process_id`/`process_parent_id` (decimal); `host_name` is the event's
/// computer (`host.name` is the collector); `user_reporter_*` the logging
/// account.
pub static HELK: FieldMap = FieldMap::new(
    &[
        ("process_path", Target::Path(Side::Process), E),
        ("process_name", Target::Cim(Cim::ProcessName), E),
        ("process_command_line", Target::Cim(Cim::Process), E),
        ("process_id", Target::Pid(Side::Process), E),
        ("process_guid", Target::Cim(Cim::ProcessGuid), E),
        ("process_integrity_level", Target::Integrity, E),
        (
            "process_current_directory",
            Target::Cim(Cim::ProcessCurrentDirectory),
            E,
        ),
        ("file_name_original", Target::Cim(Cim::OriginalFileName), E),
        ("process_parent_path", Target::Path(Side::Parent), E),
        (
            "process_parent_name",
            Target::Cim(Cim::ParentProcessName),
            E,
        ),
        (
            "process_parent_command_line",
            Target::Cim(Cim::ParentProcess),
            E,
        ),
        ("process_parent_id", Target::Pid(Side::Parent), E),
        (
            "process_parent_guid",
            Target::Cim(Cim::ParentProcessGuid),
            E,
        ),
        ("host_name", Target::Cim(Cim::Dest), E),
        ("user_name", Target::UserName, E),
        ("user_domain", Target::UserDomain, E),
        ("user_account", Target::User, F),
        ("event_id", Target::EventId, E),
        ("log_name", Target::Channel, E),
        ("source_name", Target::Provider, E),
        ("record_number", Target::RecordId, E),
        ("@event_date_creation", time(2), E),
        ("event_date_creation", time(2), E),
        ("@timestamp", time(5), E),
        ("host.name", Target::Ignore, E),
        ("user_reporter_name", Target::Ignore, E),
        ("user_reporter_sid", Target::Ignore, E),
        ("user_reporter_domain", Target::Ignore, E),
    ],
    &[],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_names_win_over_leftover_event_data() {
        assert!(matches!(
            ECS.lookup("process.parent.executable"),
            Some((Target::Path(Side::Parent), Prio::Event))
        ));
        assert!(matches!(
            ECS.lookup("winlog.event_data.ParentImage"),
            Some((Target::Path(Side::Parent), Prio::Fallback))
        ));
        assert!(matches!(
            ECS.lookup("host.name"),
            Some((Target::Cim(Cim::Dest), Prio::Fallback))
        ));
    }

    #[test]
    fn winlogbeat_5_6_process_id_is_the_logging_process() {
        assert!(matches!(
            WINLOGBEAT_LEGACY.lookup("process_id"),
            Some((Target::Ignore, _))
        ));
        assert!(matches!(
            WINLOGBEAT_LEGACY.lookup("event_data.ProcessId"),
            Some((Target::EventPid, Prio::Event))
        ));
    }
}
