//! The process tree seen so far, and the rows that wait on it: the
//! machinery under [the rule](super::rule), which makes every decision.
//!
//! * [`graph`] — the kept processes (nodes) and the indexes a parent is
//!   found by (host + GUID; host + PID + creation time, a range query
//!   however often a PID was reused);
//! * [`held`] — the rows that wait, under a row cap and a byte cap;
//! * `settle` — settling held rows: when the node a row waits for arrives
//!   (GUID links), and at the end of the input (PID links, ancestor
//!   candidates, chains never completed).
//!
//! **Memory** is the nodes, the held rows and the names and hosts they
//! carry (stored once each): a row that is neither kept as a node nor held
//! leaves nothing behind, so rows past the caps cost no memory.

pub(crate) mod graph;
pub(crate) mod held;
mod settle;

pub use held::{Limits, Weigh};

use graph::{lower, Graph, Link, NONE};
use held::{HeldRows, Kind};

use super::facts::{Facts, ParentKind};
use super::rule::{self, Candidate, Verdict, Walk};
use super::stats::{Stats, Unlinkable};

/// What [`Tree::observe`] did with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// No lineage detection (now or ever, for this row): the plain rule's
    /// verdict stands.
    Pass,
    /// A lineage detection, settled now.
    Detected(Verdict),
    /// Held: the row comes back from [`Tree::drain`] or [`Tree::finish`].
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

/// The process tree and the rows waiting on it. `P` is the caller's held
/// row.
#[derive(Debug)]
pub struct Tree<P> {
    graph: Graph,
    held: HeldRows<P>,
    /// Rows settled since the last [`Tree::drain`], with their arrival.
    ready: Vec<(u64, Settled<P>)>,
    seq: u64,
    stats: Stats,
}

impl<P: Weigh> Tree<P> {
    /// An empty tree.
    pub fn new(limits: Limits) -> Tree<P> {
        Tree {
            graph: Graph::default(),
            held: HeldRows::new(limits),
            ready: Vec::new(),
            seq: 0,
            stats: Stats::default(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.held.limits
    }

    /// Counts so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Sets the bytes the owner keeps on behalf of the held rows (shared
    /// parts, such as the header each row came with): they count against
    /// [`Limits::max_held_bytes`] with the rows' own weight.
    pub fn set_external_bytes(&mut self, bytes: usize) {
        self.held.external_bytes = bytes;
    }

    /// Rows held now.
    pub fn held(&self) -> usize {
        self.held.count()
    }

    /// Distinct names and hosts stored (they are stored only for kept
    /// nodes and held rows).
    pub fn stored_strings(&self) -> usize {
        self.graph.names.len() + self.graph.hosts.len()
    }

    /// Takes in one row's facts. `payload` makes the row to hold; it is
    /// called only when the row is held.
    pub fn observe(&mut self, facts: &Facts<'_>, payload: impl FnOnce() -> P) -> Observed {
        self.seq += 1;
        for (kind, field, value) in &facts.notes {
            self.stats.notes.add(*kind, field, value);
        }
        self.stats.falcon_parent_ids += u64::from(facts.ids.falcon_parent_id);
        self.stats.account_guids += u64::from(facts.ids.account_guids);
        let host_key = lower(&facts.host);
        // Names and hosts are looked up, not stored, until the row is kept
        // or held: rows that leave no node or held row cost no memory. A
        // node stores them at once (`add_node`).
        let (host, parent_name) = if facts.role.node {
            (NONE, NONE)
        } else {
            (
                self.graph.hosts.find(&host_key),
                self.graph.names.find(&facts.parent_name),
            )
        };
        let mut link = Link {
            parent_guid: facts.parent_guid.unwrap_or(0),
            time: facts.time.unwrap_or(i64::MIN),
            host,
            parent_pid: facts.parent_pid.unwrap_or(0),
            parent_name,
            own: NONE,
            has_parent_pid: facts.parent_pid.is_some(),
            has_host: !facts.host.is_empty(),
            parent_kind: facts.parent_kind,
        };
        let limits = self.held.limits;
        let node = if facts.role.node {
            self.graph.add_node(facts, &mut link, &host_key, &limits)
        } else {
            None
        };
        self.stats.nodes = self.graph.nodes.len() as u64;
        self.stats.nodes_dropped = self.graph.dropped;
        self.stats.guid_conflicts = self.graph.guid_conflicts;
        link.own = node.unwrap_or(NONE);
        if let (Some(_), Some(guid)) = (node, facts.guid) {
            self.wake((link.host, guid));
        }
        match facts.role.candidate {
            None => Observed::Pass,
            Some(Candidate::Catalog) => self.catalog(facts, link, node, &host_key, payload),
            Some(Candidate::CommandLine) => {
                self.command_line(facts, link, node, &host_key, payload)
            }
        }
    }

    /// A catalog binary under a launcher: detected now when its chain is
    /// known through GUIDs (unless it is an ancestor candidate), else held.
    fn catalog(
        &mut self,
        facts: &Facts<'_>,
        mut link: Link,
        node: Option<u32>,
        host_key: &[u8],
        payload: impl FnOnce() -> P,
    ) -> Observed {
        let wmi_grandparent = facts.grandparent_kind == ParentKind::Wmi;
        if link.parent_guid().is_none() && link.parent_pid().is_none() {
            if wmi_grandparent && node.is_none() {
                // Nothing can link it: its grandparent field decides now.
                let verdict = self.detect(
                    &[],
                    &facts.grandparent_name,
                    Some(&facts.parent_name),
                    &facts.name,
                );
                return Observed::Detected(verdict);
            }
            if !wmi_grandparent {
                self.stats.unlinkable(Unlinkable::NoParentId);
                return Observed::Pass;
            }
        }
        if node.is_some_and(|n| rule::chain_detected(&self.graph, n)) {
            self.stats.unresolved += 1;
            return Observed::Pass; // a detection already runs through it
        }
        let wait = match rule::walk(&self.graph, &link, &facts.parent_name, NONE, false) {
            Walk::Rooted {
                nodes, root_name, ..
            } if node.is_none() => {
                let root = match root_name {
                    NONE => facts.parent_name.to_vec(),
                    id => self.graph.name(id).to_vec(),
                };
                return Observed::Detected(self.detect(&nodes, &root, None, &facts.name));
            }
            Walk::Dead => {
                self.stats.unresolved += 1;
                return Observed::Pass;
            }
            Walk::Unlinkable(why) => {
                self.stats.unlinkable(why);
                return Observed::Pass;
            }
            // An ancestor candidate waits for the end, rooted or not.
            Walk::Rooted { .. } => None,
            Walk::Open(wait) => wait,
        };
        if self.held.full() {
            self.stats.held_dropped += 1;
            self.stats.unresolved += 1;
            return Observed::Pass;
        }
        self.graph
            .store_link(&mut link, host_key, &facts.parent_name);
        // A parent on a host not seen yet: wait under its id now.
        let wait = wait
            .filter(|_| node.is_none())
            .map(|(h, g)| (if h == NONE { link.host } else { h }, g));
        let name = self.graph.names.intern(&facts.name);
        let grandparent = if wmi_grandparent {
            self.graph.names.intern(&facts.grandparent_name)
        } else {
            NONE
        };
        let kind = Kind::Catalog {
            name,
            node,
            grandparent,
        };
        self.hold(payload, link, kind, wait)
    }

    /// A WMI-started launcher whose command line runs a catalog binary:
    /// held to the end (an ancestor candidate), or reported at once when
    /// it cannot be held.
    fn command_line(
        &mut self,
        facts: &Facts<'_>,
        mut link: Link,
        node: Option<u32>,
        host_key: &[u8],
        payload: impl FnOnce() -> P,
    ) -> Observed {
        let Some(program) = &facts.program else {
            return Observed::Pass;
        };
        if node.is_some_and(|n| rule::chain_detected(&self.graph, n)) {
            return Observed::Pass; // a detection already runs through it
        }
        if self.held.full() {
            // It cannot wait for its descendants: a detection on its own.
            self.stats.launchers_early += 1;
            self.stats.detections += 1;
            let verdict = Verdict::command_line(&facts.parent_name, &facts.name, program);
            return Observed::Detected(verdict);
        }
        self.graph
            .store_link(&mut link, host_key, &facts.parent_name);
        let program = self.graph.names.intern(program);
        let name = self.graph.names.intern(&facts.name);
        let kind = Kind::CommandLine {
            node,
            name,
            program,
        };
        self.hold(payload, link, kind, None)
    }

    /// Held rows settled since the last call (their chain completed through
    /// GUIDs), in the order they arrived.
    pub fn drain(&mut self) -> Vec<Settled<P>> {
        let mut ready = std::mem::take(&mut self.ready);
        ready.sort_by_key(|(seq, _)| *seq);
        ready.into_iter().map(|(_, s)| s).collect()
    }

    fn hold(
        &mut self,
        payload: impl FnOnce() -> P,
        link: Link,
        kind: Kind,
        wait: Option<graph::GuidKey>,
    ) -> Observed {
        self.held.hold(payload(), link, kind, self.seq, wait);
        self.stats.held_peak = self.stats.held_peak.max(self.held.count() as u64);
        Observed::Held
    }

    /// A lineage detection through `nodes` (nearest launcher first), from
    /// the WMI parent named `root` (then the parent known only by name,
    /// `through`) to the process named `name`.
    fn detect(
        &mut self,
        nodes: &[u32],
        root: &[u8],
        through: Option<&[u8]>,
        name: &[u8],
    ) -> Verdict {
        self.stats.detections += 1;
        rule::mark(&mut self.graph, nodes);
        Verdict::lineage(&self.graph, root, through, nodes, name)
    }
}

#[cfg(test)]
mod tests;
