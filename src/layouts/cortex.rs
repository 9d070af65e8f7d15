//! Palo Alto Networks Cortex XDR's `xdr_data` dataset, as XQL returns it
//! (API rows, console exports; every value may be a string).
//!
//! A process creation is `event_type` `PROCESS` with `event_sub_type`
//! `PROCESS_START` (XQL ENUMs; other pairs are other events). In it
//! `action_process_*` is the **new** process and `actor_process_*` its
//! creator (stix-shifter's Cortex XDR mapping; Palo Alto's XQL schema).
//! `action_process_instance_id` / `actor_process_instance_id` are Cortex's
//! process ids (the GUID pair); `*_os_pid` the operating system's PIDs.
//! There is **no grandparent**: `causality_actor_process_*` is the
//! causality group owner, "the parent process in the execution chain …
//! responsible for initiating the process tree", and `os_actor_process_*`
//! the process that created an OS process on another's behalf — neither is
//! read. `event_timestamp` is epoch milliseconds.

use super::target::{Cim, FieldMap, Prio, Side, Target, TimeField};

use Prio::{Event as E, Fallback as F};

const fn epoch_ms(rank: u8) -> Target {
    Target::EpochTime(TimeField { rank, utc: true }, 3)
}

/// `vendor_product` of these rows.
pub const VENDOR: &str = "Palo Alto Networks Cortex XDR";

/// `xdr_data` rows.
pub static XDR_DATA: FieldMap = FieldMap::new(
    &[
        ("event_type", Target::Kind(&["PROCESS"]), E),
        ("event_sub_type", Target::Kind(&["PROCESS_START"]), E),
        (
            "action_process_image_name",
            Target::Cim(Cim::ProcessName),
            E,
        ),
        ("action_process_image_path", Target::Path(Side::Process), F),
        (
            "action_process_image_command_line",
            Target::Cim(Cim::Process),
            E,
        ),
        ("action_process_os_pid", Target::Pid(Side::Process), E),
        (
            "action_process_instance_id",
            Target::Cim(Cim::ProcessGuid),
            E,
        ),
        ("action_process_username", Target::User, E),
        (
            "action_process_image_sha256",
            Target::Cim(Cim::ProcessHash),
            E,
        ),
        (
            "actor_process_image_name",
            Target::Cim(Cim::ParentProcessName),
            E,
        ),
        ("actor_process_image_path", Target::Path(Side::Parent), F),
        (
            "actor_process_command_line",
            Target::Cim(Cim::ParentProcess),
            E,
        ),
        ("actor_process_os_pid", Target::Pid(Side::Parent), E),
        (
            "actor_process_instance_id",
            Target::Cim(Cim::ParentProcessGuid),
            E,
        ),
        ("agent_hostname", Target::Cim(Cim::Dest), E),
        ("event_timestamp", epoch_ms(3), E),
        ("_time", epoch_ms(4), E),
        // The creator's user; the causality and OS actors.
        ("actor_effective_username", Target::Ignore, E),
        ("actor_primary_username", Target::Ignore, E),
        ("causality_actor_process_image_name", Target::Ignore, E),
        ("causality_actor_process_image_path", Target::Ignore, E),
        ("causality_actor_process_command_line", Target::Ignore, E),
        ("causality_actor_process_os_pid", Target::Ignore, E),
        ("os_actor_process_image_name", Target::Ignore, E),
        ("os_actor_process_image_path", Target::Ignore, E),
        ("os_actor_process_os_pid", Target::Ignore, E),
        ("event_id", Target::Ignore, E),
    ],
    &[],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_process_is_new_the_actor_its_creator_and_no_grandparent() {
        assert!(matches!(
            XDR_DATA.lookup("action_process_os_pid"),
            Some((Target::Pid(Side::Process), _))
        ));
        assert!(matches!(
            XDR_DATA.lookup("actor_process_os_pid"),
            Some((Target::Pid(Side::Parent), _))
        ));
        assert!(XDR_DATA
            .fields
            .iter()
            .all(|(_, t, _)| !matches!(t, Target::Grandparent)));
        assert!(matches!(
            XDR_DATA.lookup("causality_actor_process_image_name"),
            Some((Target::Ignore, _))
        ));
    }
}
