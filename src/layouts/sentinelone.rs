//! SentinelOne Deep Visibility events, in the three spellings of one
//! schema: the Deep Visibility API's JSON (camelCase `srcProc*`,
//! `tgtProc*`), the Deep Visibility query language and console exports
//! (PascalCase `SrcProc*`, `TgtProc*`), and the Singularity Data Lake
//! (SDL), Cloud Funnel and PowerQuery (dotted `src.process.*`,
//! `tgt.process.*`).
//!
//! In a `Process Creation` event (`eventType`, `EventType`, `event.type`;
//! with a space) `tgt.process` is the **new** process, `src.process` its
//! creator and `src.process.parent` the creator's parent, our grandparent
//! (SentinelOne's own hunting queries: `src.process.parent.name contains
//! "svchost.exe" and src.process.name contains "w3wp.exe" and
//! tgt.process.name contains "cmd.exe"`). In other events `src.process` is
//! the actor: they are other events. `*Uid` is SentinelOne's process id
//! (the GUID pair). The API record's legacy duplicates (`processName`,
//! `pid`, `parentPid`, `processUniqueKey`, `parentProcessUniqueKey`, …)
//! describe the actor and are not read. SDL's `timestamp` is epoch
//! nanoseconds.

use super::target::{Cim, FieldMap, Prio, Side, Target, TimeField};

use Prio::{Event as E, Fallback as F};

const fn time(rank: u8) -> Target {
    Target::Time(TimeField { rank, utc: true })
}

/// `vendor_product` of these rows.
pub const VENDOR: &str = "SentinelOne Singularity";

/// The process-creation event type (SentinelOne writes it with a space;
/// the run-together form is accepted too).
const CREATION: &[&str] = &["Process Creation", "ProcessCreation"];

/// Deep Visibility, camelCase (API) and PascalCase (query language,
/// exports).
pub static DEEP_VISIBILITY: FieldMap = FieldMap::new(
    &[
        ("eventType", Target::Kind(CREATION), E),
        ("EventType", Target::Kind(CREATION), E),
        ("tgtProcName", Target::Cim(Cim::ProcessName), E),
        ("TgtProcName", Target::Cim(Cim::ProcessName), E),
        ("tgtProcImagePath", Target::Path(Side::Process), F),
        ("TgtProcImagePath", Target::Path(Side::Process), F),
        ("tgtProcCmdLine", Target::Cim(Cim::Process), E),
        ("TgtProcCmdLine", Target::Cim(Cim::Process), E),
        ("TgtProcCmdline", Target::Cim(Cim::Process), E),
        ("tgtProcPid", Target::Pid(Side::Process), E),
        ("TgtProcPID", Target::Pid(Side::Process), E),
        ("TgtProcPid", Target::Pid(Side::Process), E),
        ("tgtProcUid", Target::Cim(Cim::ProcessGuid), E),
        ("TgtProcUID", Target::Cim(Cim::ProcessGuid), E),
        ("TgtProcUid", Target::Cim(Cim::ProcessGuid), E),
        ("tgtProcUser", Target::User, E),
        ("TgtProcUser", Target::User, E),
        ("tgtProcIntegrityLevel", Target::Integrity, E),
        ("tgtProcImageSha256", Target::Cim(Cim::ProcessHash), E),
        ("srcProcName", Target::Cim(Cim::ParentProcessName), E),
        ("SrcProcName", Target::Cim(Cim::ParentProcessName), E),
        ("srcProcImagePath", Target::Path(Side::Parent), F),
        ("SrcProcImagePath", Target::Path(Side::Parent), F),
        ("srcProcCmdLine", Target::Cim(Cim::ParentProcess), E),
        ("SrcProcCmdLine", Target::Cim(Cim::ParentProcess), E),
        ("SrcProcCmdline", Target::Cim(Cim::ParentProcess), E),
        ("srcProcPid", Target::Pid(Side::Parent), E),
        ("SrcProcPID", Target::Pid(Side::Parent), E),
        ("SrcProcPid", Target::Pid(Side::Parent), E),
        ("srcProcUid", Target::Cim(Cim::ParentProcessGuid), E),
        ("SrcProcUID", Target::Cim(Cim::ParentProcessGuid), E),
        ("SrcProcUid", Target::Cim(Cim::ParentProcessGuid), E),
        ("srcProcParentName", Target::Grandparent, E),
        ("SrcProcParentName", Target::Grandparent, E),
        ("srcProcParentImagePath", Target::Grandparent, F),
        ("SrcProcParentImagePath", Target::Grandparent, F),
        ("endpointName", Target::Cim(Cim::Dest), E),
        ("EndpointName", Target::Cim(Cim::Dest), E),
        ("agentName", Target::Cim(Cim::Dest), F),
        ("eventTime", time(3), E),
        ("EventTime", time(3), E),
        ("createdAt", time(6), E),
        ("CreatedAt", time(6), E),
        // The legacy duplicates: the actor's, not read.
        ("processName", Target::Ignore, E),
        ("pid", Target::Ignore, E),
        ("parentPid", Target::Ignore, E),
        ("parentProcessName", Target::Ignore, E),
        ("processUniqueKey", Target::Ignore, E),
        ("parentProcessUniqueKey", Target::Ignore, E),
        ("user", Target::Ignore, E),
    ],
    &[],
);

/// Singularity Data Lake, Cloud Funnel, PowerQuery: dotted names (nested
/// objects or dotted keys).
pub static SDL: FieldMap = FieldMap::new(
    &[
        ("event.type", Target::Kind(CREATION), E),
        ("tgt.process.name", Target::Cim(Cim::ProcessName), E),
        ("tgt.process.image.path", Target::Path(Side::Process), F),
        ("tgt.process.cmdline", Target::Cim(Cim::Process), E),
        ("tgt.process.pid", Target::Pid(Side::Process), E),
        ("tgt.process.uid", Target::Cim(Cim::ProcessGuid), E),
        ("tgt.process.user", Target::User, E),
        ("tgt.process.integrityLevel", Target::Integrity, E),
        ("tgt.process.image.sha256", Target::Cim(Cim::ProcessHash), E),
        ("src.process.name", Target::Cim(Cim::ParentProcessName), E),
        ("src.process.image.path", Target::Path(Side::Parent), F),
        ("src.process.cmdline", Target::Cim(Cim::ParentProcess), E),
        ("src.process.pid", Target::Pid(Side::Parent), E),
        ("src.process.uid", Target::Cim(Cim::ParentProcessGuid), E),
        ("src.process.parent.name", Target::Grandparent, E),
        ("src.process.parent.image.path", Target::Grandparent, F),
        ("endpoint.name", Target::Cim(Cim::Dest), E),
        ("agent.name", Target::Cim(Cim::Dest), F),
        (
            "timestamp",
            Target::EpochTime(TimeField { rank: 3, utc: true }, 9),
            E,
        ),
        (
            "event.time",
            Target::EpochTime(TimeField { rank: 4, utc: true }, 3),
            E,
        ),
        ("src.process.user", Target::Ignore, E),
    ],
    &[],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_the_new_process_and_the_source_its_creator() {
        for (map, name, side) in [
            (&DEEP_VISIBILITY, "tgtProcPid", Side::Process),
            (&DEEP_VISIBILITY, "TgtProcPID", Side::Process),
            (&DEEP_VISIBILITY, "srcProcPid", Side::Parent),
            (&DEEP_VISIBILITY, "SrcProcPID", Side::Parent),
            (&SDL, "tgt.process.pid", Side::Process),
            (&SDL, "src.process.pid", Side::Parent),
        ] {
            assert!(
                matches!(map.lookup(name), Some((Target::Pid(s), _)) if s == side),
                "{name}"
            );
        }
        assert!(matches!(
            SDL.lookup("src.process.parent.name"),
            Some((Target::Grandparent, _))
        ));
        assert!(matches!(
            DEEP_VISIBILITY.lookup("pid"),
            Some((Target::Ignore, _))
        ));
    }
}
