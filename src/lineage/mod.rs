//! Lineage: the LOLBAS binary that the WMI provider host starts *through a
//! shell* — `WmiPrvSE.exe > cmd.exe > MSBuild.exe` (Empire),
//! `WmiPrvSE.exe > powershell.exe > rundll32.exe` (lsassy) — which the plain
//! rule, seeing one edge, cannot see.
//!
//! **The rule is in one file, [`rule`]**: what a row is (node, candidate),
//! what links two rows (GUID; host + PID + time, and why that never links
//! through a process lineage does not track), what is reported, and how one
//! chain gives one lineage detection.
//!
//! # Any order
//!
//! Rows come in any order (an event search returns the newest first, tstats
//! sorts by its BY fields, chunks cut anywhere), so a child may arrive
//! before its parent. The [`Tree`] keeps the nodes it has seen and holds the
//! rows that wait for one, under [`Limits`]; rows are settled as soon as
//! their chain is certain (GUID links), and at the end of the input at the
//! latest (PID links, ancestor candidates, chains never completed).
//!
//! # Parts
//!
//! * [`rule`] — the rule;
//! * [`facts`] — what one row tells lineage (host, GUIDs, PIDs, time,
//!   names; unreadable values noted), read through the same
//!   [`RowView`](crate::records::RowView) as the plain rule;
//! * [`ids`] — GUIDs and PIDs as rows write them;
//! * [`cmdline`] — the catalog binary a launcher's command line runs;
//! * [`tree`] — nodes and their indexes, held rows, settlement;
//! * [`stats`] — the counts, and the one wording of every message;
//! * [`identity`] — the lineage detection's own identity and annotations.

pub mod cmdline;
pub mod facts;
pub mod ids;
pub mod rule;
pub mod stats;
pub mod tree;

pub use facts::{Facts, LineageRule, ParentKind, DEFAULT_LAUNCHERS};
pub use rule::{Candidate, Role, Verdict, MAX_LAUNCHERS, MAX_PID_SCAN, TWIN_MICROS};
pub use stats::{Stats, Unlinkable};
pub use tree::{Limits, Observed, Settled, Tree, Weigh};

/// The lineage detection's identity: its own, not ESCU's (no ESCU detection
/// follows the tree). Its ATT&CK techniques — T1047 (WMI) and each
/// launcher's T1059 sub-technique — are read from the chain by
/// [`crate::annotate::technique`].
pub mod identity {
    /// `detection_id` (also the correlation search's `detection_id`).
    pub const ID: &str = "18c7474d-dc38-4e8c-9687-0bee44df759e";
    /// `detection_name`.
    pub const NAME: &str = "Wmiprvse LOLBAS Execution Through a Shell";
    /// The default risk message.
    pub const MESSAGE: &str = "Wmiprvse.exe started a LOLBAS process through a shell on $dest$.";
}
