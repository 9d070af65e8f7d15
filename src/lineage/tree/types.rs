//! What the tree takes and gives: its limits, how a held row is weighed,
//! a detection ([`Verdict`]), what became of a row ([`Observed`],
//! [`Settled`]), and the counts for the end-of-search messages.

/// How much the tree may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nodes (WMI hosts and launchers) kept for linking.
    pub max_nodes: usize,
    /// Rows held while their chain is open.
    pub max_held: usize,
    /// Bytes of held rows (as their owner weighs them).
    pub max_held_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_nodes: 500_000,
            max_held: 100_000,
            max_held_bytes: 64 << 20,
        }
    }
}

/// A held row's size in memory, for [`Limits::max_held_bytes`].
pub trait Weigh {
    /// Bytes this value holds (approximately, never less than its heap
    /// bytes).
    fn weight(&self) -> usize;
}

/// A lineage detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A catalog binary started by a chain of launchers from the WMI
    /// parent: `match_reason=lineage`.
    Lineage {
        /// The names from the WMI parent down to the process, as observed,
        /// joined by ` > `.
        path: Vec<u8>,
    },
    /// A launcher started by the WMI parent whose command line runs a
    /// catalog binary that is not in the data: `match_reason=launcher_command_line`.
    LauncherCommandLine {
        /// `WmiPrvSE.exe > cmd.exe > rundll32.exe`: the last name is the
        /// program as its command line names it.
        path: Vec<u8>,
        /// That program (the threat object).
        program: Vec<u8>,
    },
}

impl Verdict {
    /// The `match_reason` value.
    pub fn reason(&self) -> &'static str {
        match self {
            Verdict::Lineage { .. } => "lineage",
            Verdict::LauncherCommandLine { .. } => "launcher_command_line",
        }
    }

    /// The `lineage_path` value.
    pub fn path(&self) -> &[u8] {
        match self {
            Verdict::Lineage { path } | Verdict::LauncherCommandLine { path, .. } => path,
        }
    }
}

/// What [`Tree::observe`](super::Tree::observe) did with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// No lineage detection (now or ever, for this row): the plain rule's
    /// verdict stands.
    Pass,
    /// A lineage detection, settled now.
    Detected(Verdict),
    /// Held: the row comes back from [`Tree::drain`](super::Tree::drain) or [`Tree::finish`](super::Tree::finish).
    Held,
}

/// A held row settled: its payload and, if it is one, its detection.
#[derive(Debug)]
pub struct Settled<P> {
    /// What the caller handed over.
    pub payload: P,
    /// `None`: no lineage detection.
    pub verdict: Option<Verdict>,
}

/// Counts for the end-of-search messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
    /// Candidate rows with neither a parent GUID nor a parent PID: they
    /// cannot be linked.
    pub unlinkable: u64,
    /// Lineage detections (both reasons).
    pub detections: u64,
    /// Candidates settled as no detection (their chain ends elsewhere, or
    /// their parent never arrived).
    pub unresolved: u64,
}
