//! **The lineage rule**, top to bottom: what a row is to lineage, what links
//! two rows, what is reported, and how one chain gives one lineage
//! detection. Everything else in [`crate::lineage`] reads rows
//! ([`super::facts`]), stores what is kept ([`super::tree`]) or counts and
//! words messages ([`super::stats`]); the decisions are here.
//!
//! # 1. What a row is
//!
//! [`Role::of`]: a row whose process is a **launcher** (`cmd.exe`,
//! `powershell.exe`, `pwsh.exe`, or `launchers=`) or a **WMI host** (the
//! rule's parent, `wmiprvse.exe`) is a **node**: kept so that children can
//! be linked to it. A row is a **candidate** when
//!
//! * its process is a catalog binary (matched as the plain rule matches it)
//!   whose parent, by the name or path the row gives, is a launcher, and it
//!   is not a plain detection (*catalog candidate*); or
//! * its process is a launcher, its parent is the WMI host, it is not a
//!   plain detection, and its command line runs a catalog binary
//!   ([`super::cmdline`]; *command-line candidate*).
//!
//! A candidate that is also a node — every command-line candidate, and a
//! launcher that is itself a catalog binary (the full LOLBAS list has
//! `cmd.exe`) — is an **ancestor candidate**: a chain may run through it.
//! Direct children of the WMI host are the plain rule's: a plain detection
//! is never a lineage candidate, but may be a node.
//!
//! # 2. What links two rows
//!
//! [`parent`]: a child's parent is found
//!
//! * **by GUID**: the node with the child's parent GUID on the child's host
//!   (a GUID names one process: certain). Found as soon as the node
//!   arrives.
//! * **by PID**, only once the input has ended (a later row may show a
//!   closer process with that PID): the child must name its parent (by
//!   name, or the file name of its path), give its host and its parent PID.
//!   **Timed** (the child and every node with that PID have a creation
//!   time): the latest node on that host with that PID created at or before
//!   the child held the PID when the child started, so it decides — it is
//!   the parent if its name is the name the child gives; a node of another
//!   name, or (for a child whose parent GUID matched no node: a Sysmon
//!   child of a Security 4688 parent) a node with a GUID, which would have
//!   matched were it the parent, means the parent is not in the data.
//!   **Untimed** (the child, or a node with that PID, has no time): the link
//!   is made only when exactly one node on that host with that PID has that
//!   name among those that may be older than the child (created at or
//!   before it, or with no time); it is counted, and said in a WARN.
//!
//! **Why a timed PID link cannot run through a process lineage does not
//! track.** Lineage keeps only launchers and WMI hosts — and the shipped
//! search's tstats returns only launchers and their catalog children, so
//! most processes are never seen. A PID link is made only to a node whose
//! name is the parent name the child gives, and that name is a launcher's
//! (a WMI parent ends the walk without a lookup). Every process of a
//! launcher's name in the data is a node. The child's real parent was alive
//! when the child started, so no other process had its PID between the
//! parent's creation and the child's: if the parent is in the data, it is
//! the latest node with that PID at or before the child. If it is not (it
//! started before the data's time range), every earlier process with that
//! PID started before it, so none is in the data either: nothing is
//! linked. An untracked process in between (Notepad reusing the PID) can
//! only cut a link, never make one, since the child would then name
//! Notepad. This holds while the data is every launcher of one time range
//! (what the correlation search reads) and the node cap is not reached; it
//! is why PID links are refused once nodes were dropped. **An untimed
//! link is weaker**: it holds when the parent is in the data; with no time
//! to order them, a shell of the same name that reused the PID could be
//! taken, which is why such links are said.
//! Rows that cannot be linked soundly are counted by [`Unlinkable`] reason
//! and named in the end-of-search warning.
//!
//! # 3. What is reported
//!
//! [`walk`] follows parents up from a candidate: each parent must be a
//! launcher node (or, reached by GUID from a row that names no parent, the
//! WMI host's own row), until a row names the WMI host as its parent —
//! within [`MAX_LAUNCHERS`] launchers. A parent named otherwise, a chain too
//! deep, a cycle, a self-parent, or a GUID-linked node whose name
//! contradicts the child's parent name ends the walk with no detection.
//! A walk that reaches the WMI host is a [`Verdict`]: `lineage` on a
//! catalog candidate's row (`lineage_path` from the WMI host down to it),
//! `launcher_command_line` on a command-line candidate's row.
//!
//! **The grandparent in the row.** EDR rows name their process's
//! grandparent ([`GRANDPARENT_FIELDS`](super::facts::GRANDPARENT_FIELDS):
//! Defender, CrowdStrike, SentinelOne, Carbon Black). When a catalog
//! candidate's grandparent is the WMI host and its parent (a launcher)
//! cannot be followed — no node for it once the input has ended, or a
//! parent node that names no parent of its own — the grandparent roots the
//! chain: a lineage detection on that row alone, `lineage_path` from the
//! three names. It is the same walk, so the same mechanism (§4) keeps it to
//! one detection per chain: when the parent's row is in the data and can
//! be linked, it is followed and marked as any other. A row with no parent
//! id at all, which nothing can link, is decided at once.
//!
//! # 4. One lineage detection per chain: one mechanism
//!
//! Every detection marks the nodes its chain runs through. An **ancestor
//! candidate is reported only if no detection runs through its process**
//! — its node or the node of its *twin*, the same process logged by
//! another source (Sysmon and Security 4688: same host, PID and name,
//! created within [`TWIN_MICROS`]) — so it waits for the end of the input,
//! and ancestor candidates are settled **deepest first**, after every
//! other candidate ([`settle_order`]). So `WmiPrvSE > cmd /c … mshta >
//! mshta` is reported once, on mshta's row; without mshta's row, once on
//! cmd's; `WmiPrvSE > cmd > cmd(catalog) > cmd(catalog)` once, on the
//! deepest. "Once" is per row of the deepest process: Sysmon and Security
//! 4688 log it twice, and each row is reported, as the plain rule reports
//! both rows of a direct child.
//!
//! What this cannot join: rows that cannot be linked are not known to be
//! one chain. A row rooted by its grandparent field whose parent cannot be
//! linked (no parent id, no host, the node cap) marks no shell, so the
//! shell's own `launcher_command_line` detection is reported too. And the
//! held-row cap: a command-line candidate that cannot be held is reported at
//! once, a catalog candidate that cannot be held gets no verdict (both
//! counted in the cap warning).
//!
//! Plain detections are not lineage detections and are untouched: with a
//! catalog that lists a launcher (the full LOLBAS list has `cmd.exe`),
//! `WmiPrvSE > cmd > cmd > mshta` gives the plain hit on the outer cmd.exe
//! (a direct child) and the lineage hit on mshta.

use super::facts::ParentKind;
use super::stats::Unlinkable;
use super::tree::graph::{Graph, GuidKey, Link, NONE};

/// Most launchers between the WMI parent and the detected process
/// (`wmiprvse > cmd > cmd > mshta` has 2).
pub const MAX_LAUNCHERS: usize = 4;

/// Most nodes an untimed PID lookup (the child, or a node with its parent
/// PID, has no creation time) looks at before it gives up
/// ([`Unlinkable::PidFlood`]); also the most twins looked for.
pub const MAX_PID_SCAN: usize = 256;

/// How close in time two rows of one process, logged by two sources
/// (Sysmon and Security 4688), are taken to be: 2 seconds.
pub const TWIN_MICROS: i64 = 2_000_000;

/// What a row is to lineage (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// A launcher or WMI host: kept for linking.
    pub node: bool,
    /// A candidate, and which.
    pub candidate: Option<Candidate>,
}

/// Which kind of candidate (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidate {
    /// A catalog binary under a launcher.
    Catalog,
    /// A WMI-started launcher whose command line runs a catalog binary.
    CommandLine,
}

impl Role {
    /// The role of a row whose process is a launcher (`launcher`), a WMI
    /// host (`wmi_host`), a catalog binary under a launcher that is not a
    /// plain detection (`catalog_child`), or a WMI-started launcher, not a
    /// plain detection, whose command line runs a catalog binary
    /// (`names_program`).
    pub fn of(launcher: bool, wmi_host: bool, catalog_child: bool, names_program: bool) -> Role {
        let candidate = if catalog_child {
            Some(Candidate::Catalog)
        } else if launcher && names_program {
            Some(Candidate::CommandLine)
        } else {
            None
        };
        Role {
            node: launcher || wmi_host,
            candidate,
        }
    }

    /// The row plays no part.
    pub fn is_none(&self) -> bool {
        !self.node && self.candidate.is_none()
    }

    /// A candidate that is also a node: reported only if no detection runs
    /// through it (§4).
    pub fn is_ancestor_candidate(&self) -> bool {
        self.node && self.candidate.is_some()
    }
}

/// A lineage detection (§3).
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
    /// catalog binary that is not in the data:
    /// `match_reason=launcher_command_line`.
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

    /// The path of a chain: the WMI parent `root`, the parent known only
    /// by name (`through`, a chain rooted by the grandparent field), the
    /// names of `nodes` (nearest launcher first, so written in reverse),
    /// the process.
    pub(crate) fn lineage(
        g: &Graph,
        root: &[u8],
        through: Option<&[u8]>,
        nodes: &[u32],
        name: &[u8],
    ) -> Verdict {
        let mut path = root.to_vec();
        if let Some(parent) = through {
            path.extend_from_slice(b" > ");
            path.extend_from_slice(parent);
        }
        for &n in nodes.iter().rev() {
            if let Some(node) = g.node(n) {
                path.extend_from_slice(b" > ");
                path.extend_from_slice(g.name(node.name));
            }
        }
        path.extend_from_slice(b" > ");
        path.extend_from_slice(name);
        Verdict::Lineage { path }
    }

    /// The detection of a launcher named `name`, started by the WMI
    /// parent named `parent`, whose command line runs `program`.
    pub(crate) fn command_line(parent: &[u8], name: &[u8], program: &[u8]) -> Verdict {
        let mut path = parent.to_vec();
        for part in [name, program] {
            path.extend_from_slice(b" > ");
            path.extend_from_slice(part);
        }
        Verdict::LauncherCommandLine {
            path,
            program: program.to_vec(),
        }
    }
}

/// Where a walk ended (§3).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    /// At the WMI parent: the nodes from the nearest launcher up, and the
    /// WMI parent's observed name (interned; `NONE`: the start's own
    /// parent name). `through_parent`: rooted by the start's grandparent
    /// field with no node for its parent, whose name goes in the path.
    /// `untimed`: a link on the way was made by the untimed rule.
    Rooted {
        nodes: Vec<u32>,
        root_name: u32,
        through_parent: bool,
        untimed: bool,
    },
    /// Not at the WMI parent: the chain ends elsewhere, or a parent is not
    /// in the data.
    Dead,
    /// A parent is not known yet; with a GUID key when it may still arrive
    /// by GUID.
    Open(Option<GuidKey>),
    /// A parent exists but cannot be told soundly.
    Unlinkable(Unlinkable),
}

/// How a parent lookup ended (§2).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parent {
    /// This node.
    Node(u32),
    /// This node, by the untimed rule (the only node of that name).
    Untimed(u32),
    /// Not in the data.
    Absent,
    /// Not known yet (PID links wait for the end).
    Wait(Option<GuidKey>),
    /// Cannot be told soundly.
    Unlinkable(Unlinkable),
}

/// Walks up from `start`, whose parent name (as observed) is
/// `start_parent` (§3). `grandparent`: the start row's grandparent name
/// (interned) when it is the WMI host, else `NONE`. `last`: the input has
/// ended, so PID links may be made.
pub(crate) fn walk(
    g: &Graph,
    start: &Link,
    start_parent: &[u8],
    grandparent: u32,
    last: bool,
) -> Walk {
    let mut nodes: Vec<u32> = Vec::new();
    let mut link = *start;
    let mut parent_name: &[u8] = start_parent;
    let mut untimed = false;
    // The start row's own grandparent field roots the chain when its
    // parent cannot be followed (§3): at the end, with no node for the
    // parent, or a parent node that names no parent of its own.
    let by_grandparent = |nodes: &Vec<u32>, link: &Link, untimed: bool| {
        let applies = grandparent != NONE
            && last
            && match nodes.len() {
                0 => start.parent_kind == ParentKind::Launcher,
                1 => link.parent_kind == ParentKind::Absent,
                _ => false,
            };
        applies.then(|| Walk::Rooted {
            nodes: nodes.clone(),
            root_name: grandparent,
            through_parent: nodes.is_empty(),
            untimed,
        })
    };
    loop {
        match link.parent_kind {
            ParentKind::Wmi => {
                return Walk::Rooted {
                    nodes,
                    root_name: link.parent_name,
                    through_parent: false,
                    untimed,
                }
            }
            ParentKind::Other => return Walk::Dead,
            ParentKind::Launcher | ParentKind::Absent => {}
        }
        if nodes.len() == MAX_LAUNCHERS {
            return Walk::Dead; // too deep
        }
        let n = match parent(g, &link, parent_name, last) {
            Parent::Node(n) => n,
            Parent::Untimed(n) => {
                untimed = true;
                n
            }
            Parent::Absent => return by_grandparent(&nodes, &link, untimed).unwrap_or(Walk::Dead),
            Parent::Wait(key) => return Walk::Open(key),
            Parent::Unlinkable(why) => {
                return by_grandparent(&nodes, &link, untimed).unwrap_or(Walk::Unlinkable(why))
            }
        };
        if nodes.contains(&n) || start.own() == Some(n) || link.own() == Some(n) {
            return Walk::Dead; // a cycle
        }
        let Some(node) = g.node(n) else {
            return Walk::Dead;
        };
        if node.root {
            // The WMI host's own row, reached by GUID from a row that names
            // no parent (a PID link needs a name, and a row naming the WMI
            // host is rooted above).
            return if link.parent_kind == ParentKind::Absent {
                Walk::Rooted {
                    nodes,
                    root_name: node.name,
                    through_parent: false,
                    untimed,
                }
            } else {
                Walk::Dead
            };
        }
        if link.parent_kind == ParentKind::Launcher
            && !parent_name.eq_ignore_ascii_case(g.name(node.name))
        {
            return Walk::Dead; // the node is not the parent the child names
        }
        nodes.push(n);
        link = Link {
            own: n,
            ..node.link
        };
        parent_name = g.name(link.parent_name);
    }
}

/// The parent of `link`, whose parent name is `parent_name` (§2).
pub(crate) fn parent(g: &Graph, link: &Link, parent_name: &[u8], last: bool) -> Parent {
    let wait = link.parent_guid().map(|guid| (link.host, guid));
    if let Some(guid) = link.parent_guid() {
        if let Some(n) = g.node_by_guid(link.host, guid) {
            return Parent::Node(n);
        }
    }
    if !last {
        return Parent::Wait(wait);
    }
    let Some(ppid) = link.parent_pid() else {
        return match wait {
            Some(_) => Parent::Absent, // its GUID matched no node
            None => Parent::Unlinkable(Unlinkable::NoParentId),
        };
    };
    if parent_name.is_empty() {
        return Parent::Unlinkable(Unlinkable::ParentUnnamed);
    }
    if !link.has_host {
        return Parent::Unlinkable(Unlinkable::NoHost);
    }
    if g.dropped > 0 {
        return Parent::Unlinkable(Unlinkable::NodeCap);
    }
    let named = |n: u32| {
        g.node(n)
            .is_some_and(|node| g.name(node.name).eq_ignore_ascii_case(parent_name))
    };
    if link.time().is_none() || g.has_untimed(link.host, ppid) {
        // Untimed: exactly one node of that name, among those that may have
        // been created before the child (at or before its time, or with no
        // time), the child itself and, for a child with a parent GUID,
        // nodes with a GUID (not its parent, or that GUID would have
        // matched) left out.
        let eligible = |n: u32| {
            g.node(n).is_some_and(|node| {
                link.own() != Some(n) && !(link.parent_guid().is_some() && node.guid != 0)
            })
        };
        let mut found = None;
        for (i, n) in g.with_pid(link.host, ppid, link.time()).enumerate() {
            if i == MAX_PID_SCAN {
                return Parent::Unlinkable(Unlinkable::PidFlood);
            }
            if eligible(n) && named(n) {
                if found.is_some() {
                    return Parent::Unlinkable(Unlinkable::NoTime);
                }
                found = Some(n);
            }
        }
        return found.map_or(Parent::Absent, Parent::Untimed);
    }
    // Timed: the latest node with that PID created at or before the child
    // (the child itself passed over) held the PID when the child started,
    // so it decides.
    for n in g.with_pid(link.host, ppid, link.time()).rev() {
        if link.own() == Some(n) {
            continue;
        }
        let Some(node) = g.node(n) else { continue };
        if link.parent_guid().is_some() && node.guid != 0 {
            // A process with a GUID held the PID after any older holder and
            // is not the parent (its GUID would have matched): the parent
            // is not in the data.
            return Parent::Absent;
        }
        return if named(n) {
            Parent::Node(n)
        } else {
            Parent::Absent // the process with that PID then was another
        };
    }
    Parent::Absent
}

/// The node itself, and the rows of the same process logged by another
/// source (Sysmon and Security 4688 both log every process): same host and
/// PID, the same name, created within [`TWIN_MICROS`] of it.
pub(crate) fn twins(g: &Graph, n: u32) -> Vec<u32> {
    let mut out = vec![n];
    let Some(node) = g.node(n) else {
        return out;
    };
    let Some(time) = node.link.time() else {
        return out;
    };
    if !node.has_pid {
        return out;
    }
    let name = g.name(node.name);
    out.extend(
        g.around(node.link.host, node.pid, time, TWIN_MICROS)
            .filter(|&m| m != n)
            .filter(|&m| {
                g.node(m)
                    .is_some_and(|o| g.name(o.name).eq_ignore_ascii_case(name))
            })
            .take(MAX_PID_SCAN),
    );
    out
}

/// Whether a lineage detection runs through node `n`'s process (its node
/// or a twin's): then an ancestor candidate on it is not reported (§4).
pub(crate) fn chain_detected(g: &Graph, n: u32) -> bool {
    twins(g, n)
        .iter()
        .any(|&m| g.node(m).is_some_and(|node| node.has_detection))
}

/// Marks the nodes a detection runs through (§4).
pub(crate) fn mark(g: &mut Graph, nodes: &[u32]) {
    for &n in nodes {
        if let Some(node) = g.nodes.get_mut(n) {
            node.has_detection = true;
        }
    }
}

/// The order held rows are settled in at the end (§4): other candidates
/// first, in arrival order (their detections mark the chains), then
/// ancestor candidates deepest first (`depth`: launchers between it and the
/// WMI host), in arrival order at equal depth. Items: (ancestor?, depth,
/// arrival, id).
pub(crate) fn settle_order(items: &mut [(bool, usize, u64, u32)]) {
    items.sort_by_key(|&(ancestor, depth, seq, _)| (ancestor, std::cmp::Reverse(depth), seq));
}
