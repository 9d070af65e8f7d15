//! Lineage: the LOLBAS binary that the WMI provider host starts *through a
//! shell* — `WmiPrvSE.exe > cmd.exe > MSBuild.exe` (Empire),
//! `WmiPrvSE.exe > powershell.exe > rundll32.exe` (lsassy) — which the plain
//! rule, seeing one edge, cannot see.
//!
//! # The rule
//!
//! A row is a **lineage detection** (`match_reason=lineage`) when
//!
//! * its process is a catalog binary, matched as the plain rule matches it
//!   (name, path fallback, original file name; name only when strict);
//! * its parent is a *launcher* ([`DEFAULT_LAUNCHERS`], or `launchers=`),
//!   by the parent name or path the row gives;
//! * following parents up — each a launcher's own row, linked by GUID or by
//!   host + PID + time — a parent name is the rule's parent (`wmiprvse.exe`
//!   or `parent=`) after at most [`MAX_LAUNCHERS`] launchers.
//!
//! A launcher started directly by the WMI parent whose command line runs a
//! catalog binary ([`cmdline`]) is a detection too
//! (`match_reason=launcher_command_line`), **unless** a lineage detection
//! runs through it: one detection per chain, on the LOLBAS binary's own row
//! when it is in the data, on the launcher's row only when it is not.
//! Direct children of the WMI parent stay the plain rule's detections.
//!
//! # Any order
//!
//! Rows come in any order (an event search returns the newest first, tstats
//! sorts by its BY fields, chunks cut anywhere), so a child may arrive
//! before its parent. The [`Tree`] keeps the links it has seen and holds the
//! rows that wait for one, under [`Limits`]; rows are settled as soon as
//! their chain is certain (GUID links), and at the end of the input at the
//! latest (PID links, launcher rows, chains never completed). See
//! [`tree`] for the walk, the caps and what happens when they are reached.
//!
//! # Parts
//!
//! * [`facts`] — what one row tells lineage (its role, host, GUIDs, PIDs,
//!   time, names), read through the same [`RowView`](crate::records::RowView)
//!   as the rule;
//! * [`cmdline`] — the catalog binary a launcher's command line runs;
//! * [`tree`] — nodes, held rows, the walk, settlement;
//! * [`identity`] — the lineage detection's own identity and annotations.

pub mod cmdline;
pub mod facts;
pub mod tree;

pub use facts::{Facts, LineageRule, ParentKind, DEFAULT_LAUNCHERS};
pub use tree::{Limits, Observed, Settled, Stats, Tree, Verdict, Weigh, MAX_LAUNCHERS};

/// The lineage detection's identity: its own, not ESCU's (no ESCU detection
/// follows the tree), with ATT&CK T1047 (WMI) and T1059 (Command and
/// Scripting Interpreter), both tactic TA0002 (Execution).
pub mod identity {
    /// `detection_id` (also the correlation search's `detection_id`).
    pub const ID: &str = "18c7474d-dc38-4e8c-9687-0bee44df759e";
    /// `detection_name`.
    pub const NAME: &str = "Wmiprvse LOLBAS Execution Through a Shell";
    /// The default risk message.
    pub const MESSAGE: &str = "Wmiprvse.exe started a LOLBAS process through a shell on $dest$.";
    /// ATT&CK technique ids.
    pub const TECHNIQUE_IDS: [&str; 2] = ["T1047", "T1059"];
    /// ATT&CK technique names, in the same order.
    pub const TECHNIQUES: [&str; 2] = [
        "Windows Management Instrumentation",
        "Command and Scripting Interpreter",
    ];
}
