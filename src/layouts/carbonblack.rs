//! VMware Carbon Black Cloud: the Platform Search API's process search
//! results (the console's Investigate page; JSON, `{"results": […]}`, or
//! CSV) and the Data Forwarder's events (JSON lines in S3).
//!
//! The two share names with **different meanings**
//! (carbon-black-cloud-sdk-python's fixtures and models; the Data
//! Forwarder's event schema):
//!
//! * A process-search row describes one process: `process_*` is that
//!   process (`process_name` a full lower-case path, `process_pid` a list,
//!   `process_cmdline` a list), `parent_*` its parent. Each row counts as a
//!   creation of `process_*` by `parent_*`.
//! * A forwarder `endpoint.event.procstart` event is told by its actor:
//!   the **new process is `childproc_*`** (its command line is
//!   `target_cmdline`), `process_*` is its creator and `parent_*` the
//!   creator's parent, our grandparent. Only `procstart` is a process
//!   creation: in other types (`netconn`, `filemod`, `procend`, …) the
//!   same names describe the actor. `process_username` is the creator's
//!   user, not the new process's.

use super::target::{Cim, FieldMap, Prio, Side, Target, TimeField};

use Prio::{Event as E, Fallback as F};

const fn time(rank: u8) -> Target {
    Target::Time(TimeField { rank, utc: true })
}

/// `vendor_product` of these rows.
pub const VENDOR: &str = "VMware Carbon Black Cloud";

/// Process search results: one row per process.
pub static PROCESS_SEARCH: FieldMap = FieldMap::new(
    &[
        ("process_name", Target::Path(Side::Process), E),
        ("process_cmdline", Target::Cim(Cim::Process), E),
        ("process_pid", Target::Pid(Side::Process), E),
        ("process_guid", Target::Cim(Cim::ProcessGuid), E),
        ("process_username", Target::User, E),
        ("process_sha256", Target::Cim(Cim::ProcessHash), E),
        ("process_hash", Target::Cim(Cim::ProcessHash), F),
        ("parent_name", Target::Path(Side::Parent), E),
        ("parent_cmdline", Target::Cim(Cim::ParentProcess), E),
        ("parent_pid", Target::Pid(Side::Parent), E),
        ("parent_guid", Target::Cim(Cim::ParentProcessGuid), E),
        ("device_name", Target::Cim(Cim::Dest), E),
        ("process_start_time", time(2), E),
        ("device_timestamp", time(3), E),
        ("backend_timestamp", time(6), E),
        ("event_type", Target::Ignore, E),
        ("device_id", Target::Ignore, E),
    ],
    &[],
);

/// Data Forwarder events: the new process in `childproc_*`.
pub static FORWARDER: FieldMap = FieldMap::new(
    &[
        ("type", Target::Kind(&["endpoint.event.procstart"]), E),
        ("childproc_name", Target::Path(Side::Process), E),
        ("target_cmdline", Target::Cim(Cim::Process), E),
        ("childproc_pid", Target::Pid(Side::Process), E),
        ("childproc_guid", Target::Cim(Cim::ProcessGuid), E),
        ("childproc_username", Target::User, E),
        ("process_path", Target::Path(Side::Parent), E),
        ("process_cmdline", Target::Cim(Cim::ParentProcess), E),
        ("process_pid", Target::Pid(Side::Parent), E),
        ("process_guid", Target::Cim(Cim::ParentProcessGuid), E),
        ("parent_path", Target::Grandparent, E),
        ("device_name", Target::Cim(Cim::Dest), E),
        ("device_timestamp", time(3), E),
        ("backend_timestamp", time(6), E),
        // The creator's user and hashes; the grandparent's ids.
        ("process_username", Target::Ignore, E),
        ("process_hash", Target::Ignore, E),
        ("parent_pid", Target::Ignore, E),
        ("parent_guid", Target::Ignore, E),
        ("parent_cmdline", Target::Ignore, E),
        ("parent_hash", Target::Ignore, E),
        ("event_id", Target::Ignore, E),
        ("device_id", Target::Ignore, E),
        ("childproc_hash", Target::Cim(Cim::ProcessHash), F),
    ],
    &[],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarders_child_is_childproc_and_process_its_creator() {
        assert!(matches!(
            FORWARDER.lookup("childproc_name"),
            Some((Target::Path(Side::Process), _))
        ));
        assert!(matches!(
            FORWARDER.lookup("process_path"),
            Some((Target::Path(Side::Parent), _))
        ));
        assert!(matches!(
            FORWARDER.lookup("process_guid"),
            Some((Target::Cim(Cim::ParentProcessGuid), _))
        ));
        assert!(matches!(
            PROCESS_SEARCH.lookup("process_guid"),
            Some((Target::Cim(Cim::ProcessGuid), _))
        ));
        assert!(FORWARDER.lookup("childproc_cmdline").is_none());
    }
}
