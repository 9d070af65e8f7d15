//! What lineage counts, and the one wording of what it tells the user —
//! used by the command (WARN and INFO messages) and by `scan` (stderr
//! lines) alike.

use super::tree::Limits;
use crate::notes::{FieldNotes, NoteKind};

/// Why a chain could not be followed from a row (counted once per
/// candidate whose final walk stopped there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinkable {
    /// Neither a parent GUID nor a parent PID.
    NoParentId,
    /// A PID link needs the parent's name, and the row gives none.
    ParentUnnamed,
    /// A PID link needs the host, and the row gives none.
    NoHost,
    /// No creation time, and more than one process of that name had the
    /// parent PID on that host.
    NoTime,
    /// More than [`super::MAX_PID_SCAN`] processes had the parent PID (an
    /// untimed lookup).
    PidFlood,
    /// The node cap was reached, so the data kept is no longer every
    /// launcher: PID links are refused.
    NodeCap,
}

impl Unlinkable {
    /// Every reason, in the order the warning lists them.
    pub const ALL: [Unlinkable; 6] = [
        Unlinkable::NoParentId,
        Unlinkable::ParentUnnamed,
        Unlinkable::NoHost,
        Unlinkable::NoTime,
        Unlinkable::PidFlood,
        Unlinkable::NodeCap,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The words of the warning.
    pub fn describe(self) -> &'static str {
        match self {
            Unlinkable::NoParentId => "neither parent_process_guid nor parent_process_id",
            Unlinkable::ParentUnnamed => {
                "a parent PID but no parent name (a PID link needs parent_process_name or parent_process_path)"
            }
            Unlinkable::NoHost => "a parent PID but no host (dest) to scope it",
            Unlinkable::NoTime => {
                "no creation time (_time or firstTime) while several processes of that name had the parent PID"
            }
            Unlinkable::PidFlood => {
                "no creation time, and a parent PID that more than 256 processes had"
            }
            Unlinkable::NodeCap => "a parent PID after the cap of processes kept was reached",
        }
    }
}

/// Counts for the messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Nodes kept.
    pub nodes: u64,
    /// Nodes not kept: the node cap was reached.
    pub nodes_dropped: u64,
    /// Rows held at most at once.
    pub held_peak: u64,
    /// Candidate rows not held (the held-row cap was reached): no lineage
    /// verdict.
    pub held_dropped: u64,
    /// Launcher rows reported at once because the cap was reached, without
    /// waiting for their descendants.
    pub launchers_early: u64,
    /// Candidates whose chain could not be followed, by [`Unlinkable`].
    pub unlinkable: [u64; 6],
    /// Lineage detections (both reasons).
    pub detections: u64,
    /// Candidates settled as no detection (their chain ends elsewhere, or
    /// their parent is not in the data).
    pub unresolved: u64,
    /// PIDs and times present but unreadable; times read without a zone.
    pub notes: FieldNotes,
    /// Rows whose `parent_process_id` is a CrowdStrike Falcon process id,
    /// not a PID (see [`IdShape`](super::facts::IdShape)).
    pub falcon_parent_ids: u64,
    /// Rows whose GUIDs are account ids (Microsoft 365 Defender add-on),
    /// not read.
    pub account_guids: u64,
    /// Rows that gave a process GUID already kept for a process of another
    /// name or PID: such GUIDs are not process ids, and nothing is linked
    /// through them.
    pub guid_conflicts: u64,
    /// Detections whose chain was linked by PID without creation times (the
    /// one process of that name with that PID on the host).
    pub untimed_links: u64,
}

impl Stats {
    /// Counts a candidate whose chain could not be followed.
    pub fn unlinkable(&mut self, why: Unlinkable) {
        self.unlinkable[why.index()] += 1;
        self.unresolved += 1;
    }

    /// Candidates that could not be linked, for `why`.
    pub fn unlinkable_for(&self, why: Unlinkable) -> u64 {
        self.unlinkable[why.index()]
    }

    /// Candidates that could not be linked, for any reason.
    pub fn unlinkable_total(&self) -> u64 {
        self.unlinkable.iter().sum()
    }
}

/// How loud a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something was not followed or not read: the user should know.
    Warn,
    /// Counts.
    Info,
}

/// The caps reached since `before` (the counts at the end of the previous
/// chunk): one warning each, said where it happens.
pub fn caps_reached(before: &Stats, now: &Stats, limits: &Limits) -> Vec<(Level, String)> {
    let mut out = Vec::new();
    if before.nodes_dropped == 0 && now.nodes_dropped > 0 {
        out.push((
            Level::Warn,
            format!(
                "lineage: the cap of {} processes kept for linking was reached: launcher and WMI host rows past it are not kept, chains through them are not followed, and links by PID are refused from here on",
                limits.max_nodes
            ),
        ));
    }
    if before.held_dropped + before.launchers_early == 0
        && now.held_dropped + now.launchers_early > 0
    {
        out.push((
            Level::Warn,
            format!(
                "lineage: the cap of {} held rows ({} MiB) was reached: rows waiting for a parent past it get no lineage verdict (mode=filter does not return them), and launcher rows naming a LOLBAS binary are reported at once",
                limits.max_held,
                limits.max_held_bytes >> 20
            ),
        ));
    }
    out
}

/// The end-of-search messages: a warning per cap reached (with the final
/// counts), for rows that could not be linked (by reason) and for values
/// that could not be read; a note on times read without a zone. The
/// counts are [`counts`].
pub fn summary(stats: &Stats, limits: &Limits) -> Vec<(Level, String)> {
    let mut out = Vec::new();
    if stats.nodes_dropped > 0 {
        out.push((
            Level::Warn,
            format!(
                "lineage: the cap of {} processes kept for linking was reached; {} more launcher or WMI host rows were not kept, so chains through them could not be followed",
                limits.max_nodes, stats.nodes_dropped
            ),
        ));
    }
    if stats.held_dropped > 0 || stats.launchers_early > 0 {
        out.push((
            Level::Warn,
            format!(
                "lineage: the cap of {} held rows ({} MiB) was reached; {} rows waiting for a parent could not be held and were given no lineage verdict (mode=filter does not return them), and {} launcher rows were reported as launcher_command_line at once, without waiting for their descendants",
                limits.max_held,
                limits.max_held_bytes >> 20,
                stats.held_dropped,
                stats.launchers_early
            ),
        ));
    }
    let total = stats.unlinkable_total();
    if total > 0 {
        let reasons: Vec<String> = Unlinkable::ALL
            .iter()
            .filter(|w| stats.unlinkable_for(**w) > 0)
            .map(|w| format!("{} had {}", stats.unlinkable_for(*w), w.describe()))
            .collect();
        let mut text = format!(
            "lineage: {total} candidate rows (a LOLBAS binary under a launcher) could not be linked to their WMI parent: {}",
            reasons.join("; ")
        );
        if stats.unlinkable_for(Unlinkable::NoParentId) > 0
            || stats.unlinkable_for(Unlinkable::NoTime) > 0
        {
            text.push_str(". Add Processes.process_guid Processes.parent_process_guid Processes.process_id Processes.parent_process_id to the tstats BY clause, and min(_time) as firstTime");
        }
        out.push((Level::Warn, text));
    }
    if stats.untimed_links > 0 {
        out.push((
            Level::Warn,
            format!(
                "lineage: {} lineage detections were linked by PID without a creation time on the child or on a process with that PID (the one process of that name with that PID on the host was taken; a shell of that name started after the child and reusing the PID would be taken too): add min(_time) as firstTime to the tstats search",
                stats.untimed_links
            ),
        ));
    }
    if stats.falcon_parent_ids > 0 {
        out.push((
            Level::Warn,
            format!(
                "lineage: {} rows had a parent_process_id that is no Windows PID (a decimal above 2^32, or vendor_product CrowdStrike) while their process_id is one: these look like CrowdStrike Falcon process ids (the Falcon add-on fills parent_process_id from ParentProcessId, a Falcon id, and process_id from RawProcessId, the PID), so they cannot link by PID. Raw ProcessRollup2 events link: TargetProcessId and ParentProcessId are the process's and its parent's Falcon ids, and the `wmilolbas_crowdstrike_fields` macro renames them to process_guid and parent_process_guid",
                stats.falcon_parent_ids
            ),
        ));
    }
    if stats.account_guids > 0 {
        out.push((
            Level::Warn,
            format!(
                "lineage: {} rows from Microsoft Defender for Endpoint (vendor_product) had their process_guid/parent_process_guid ignored: the Microsoft 365 Defender add-on fills them with the account's object id, not a process id; those rows link by host + PID + time",
                stats.account_guids
            ),
        ));
    }
    if stats.guid_conflicts > 0 {
        out.push((
            Level::Warn,
            format!(
                "lineage: {} rows gave a process_guid already seen for a process of another name or PID on the same host: those GUIDs are not process ids, and nothing is linked through them",
                stats.guid_conflicts
            ),
        ));
    }
    for (kind, text) in stats.notes.sentences() {
        let line = match kind {
            NoteKind::Unreadable => format!(
                "lineage: values present but not readable were used as absent: {text}"
            ),
            NoteKind::ZonelessUtc => format!(
                "lineage: times without a zone were read as UTC (every such row moves by the same amount, so their order holds): {text}"
            ),
            NoteKind::ZonelessLocal => {
                format!("lineage: times without a zone were read in the zone given: {text}")
            }
        };
        let level = if kind == NoteKind::Unreadable {
            Level::Warn
        } else {
            Level::Info
        };
        out.push((level, line));
    }
    out
}

/// The counts, for the end of a search.
pub fn counts(stats: &Stats) -> String {
    format!(
        "lineage: {} processes kept for linking, {} rows held at most, {} lineage detections, {} candidates not reported (not on a WMI chain, not linked, or a detection runs through them)",
        stats.nodes, stats.held_peak, stats.detections, stats.unresolved
    )
}
