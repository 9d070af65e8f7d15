//! The process tree seen so far, and the rows that wait on it.
//!
//! **Nodes.** Every WMI host and launcher row becomes a node: host, GUID,
//! PID, creation time, names, and how to find its parent. Nodes are small
//! (about 100 bytes with their index entries); at most
//! [`Limits::max_nodes`] are kept.
//!
//! **Held rows.** A catalog candidate (a catalog binary whose parent is a
//! launcher) is settled at once when its whole chain is known through GUIDs;
//! otherwise its row is held, under [`Limits::max_held`] rows and
//! [`Limits::max_held_bytes`] bytes, until the node it waits for arrives
//! (GUID links) or the input ends (PID links, and chains never completed).
//! A WMI-started launcher whose command line names a catalog binary is held
//! until the input ends, unless a lineage detection runs through it first
//! (then it is settled as no detection: one detection per chain).
//!
//! **The walk.** From a candidate up: its parent must be a launcher node
//! (found by GUID, or at the end by host + PID + time), whose parent is a
//! launcher node, … until a parent name is the rule's parent (`wmiprvse.exe`)
//! — at most [`MAX_LAUNCHERS`] launchers. A parent named otherwise, a chain
//! too deep, a cycle (a node met twice, a process that is its own parent) or
//! a node whose name contradicts the name its child gives ends the walk with
//! no detection. A walk visits at most `MAX_LAUNCHERS` nodes, so no input
//! makes it loop or grow.
//!
//! **Memory** is the nodes, the held rows and the names and hosts they
//! carry (stored once each): a row that is neither kept as a node nor held
//! leaves nothing behind, so rows past the caps cost no memory.
//!
//! **PID links** are settled only at the end: a later row may reveal a
//! process with the same PID created closer before the child, which is then
//! the parent. The parent of a child is the node on the child's host with
//! the child's parent PID, created at or before the child, the latest such
//! (ties: the last row seen). When a time is missing on either side, the
//! link is made only if exactly one node has that PID on that host. A child
//! with a parent GUID is linked by PID only to nodes that have no GUID
//! (mixed sources, e.g. Security 4688 parents of Sysmon children). The PID
//! index is ordered by host, PID and time, so a lookup is one range query
//! however often a PID was reused.
//!
//! **One detection per chain.** A launcher whose command line names a
//! LOLBAS binary, and a launcher that is itself a catalog binary (the full
//! LOLBAS list has `cmd.exe`), are held to the end and reported only if no
//! lineage detection runs through them — or through their twin: the same
//! process logged by another source (same host, PID and name, created
//! within [`TWIN_MICROS`]).

mod settle;
mod store;
mod types;
mod walk;

pub use types::{Limits, Observed, Settled, Stats, Verdict, Weigh};

use std::collections::{BTreeSet, HashMap};

use super::facts::{Facts, ParentKind};
use store::{lower, pid32, GuidKey, Held, Interner, Kind, Link, Nodes, PidKey, NONE};
use walk::Walk;

/// A walk that reached the WMI parent: the nodes from the nearest launcher
/// up, and the WMI parent's name.
type Rooted = (Vec<u32>, u32);

/// Most launchers between the WMI parent and the detected process
/// (`wmiprvse > cmd > cmd > mshta` has 2).
pub const MAX_LAUNCHERS: usize = 4;

/// Most ineligible nodes (the child itself, nodes with a GUID for a child
/// with a parent GUID) a PID lookup skips before it gives up.
pub const MAX_INELIGIBLE: usize = 64;

/// How close in time two rows of one process, logged by two sources
/// (Sysmon and Security 4688), are taken to be: 2 seconds.
pub const TWIN_MICROS: i64 = 2_000_000;

/// The process tree and the rows waiting on it. `P` is the caller's held
/// row.
#[derive(Debug)]
pub struct Tree<P> {
    limits: Limits,
    hosts: Interner,
    names: Interner,
    nodes: Nodes,
    /// [`key`] of host + GUID → node.
    by_guid: HashMap<u64, u32>,
    /// Host, PID, creation time and node of every node with a PID, in
    /// that order: the parent of a child is found by a range query.
    by_pid: BTreeSet<PidKey>,
    held: Vec<Option<Held<P>>>,
    free: Vec<u32>,
    held_count: usize,
    held_bytes: usize,
    /// Bytes the owner keeps on behalf of held rows (see
    /// [`Tree::set_external_bytes`]).
    external_bytes: usize,
    waiting: HashMap<GuidKey, Vec<u32>>,
    ready: Vec<Settled<P>>,
    seq: u64,
    stats: Stats,
}

impl<P: Weigh> Tree<P> {
    /// An empty tree.
    pub fn new(limits: Limits) -> Tree<P> {
        Tree {
            limits,
            hosts: Interner::default(),
            names: Interner::default(),
            nodes: Nodes::default(),
            by_guid: HashMap::new(),
            by_pid: BTreeSet::new(),
            held: Vec::new(),
            free: Vec::new(),
            held_count: 0,
            held_bytes: 0,
            external_bytes: 0,
            waiting: HashMap::new(),
            ready: Vec::new(),
            seq: 0,
            stats: Stats::default(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Counts so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Sets the bytes the owner keeps on behalf of the held rows (shared
    /// parts, such as the header each row came with): they count against
    /// [`Limits::max_held_bytes`] with the rows' own weight.
    pub fn set_external_bytes(&mut self, bytes: usize) {
        self.external_bytes = bytes;
    }

    /// Rows held now.
    pub fn held(&self) -> usize {
        self.held_count
    }

    /// Distinct names and hosts stored (they are stored only for kept
    /// nodes and held rows).
    pub fn stored_strings(&self) -> usize {
        self.names.strings.len() + self.hosts.strings.len()
    }

    /// Takes in one row's facts. `payload` makes the row to hold; it is
    /// called only when the row is held.
    pub fn observe(&mut self, facts: &Facts<'_>, payload: impl FnOnce() -> P) -> Observed {
        self.seq += 1;
        let host_key = lower(&facts.host);
        let parent_pid = pid32(facts.parent_pid);
        // Names and hosts are looked up, not stored, until the row is kept
        // or held: rows that leave no node or held row cost no memory.
        let mut link = Link {
            parent_guid: facts.parent_guid.unwrap_or(0),
            time: facts.time.unwrap_or(i64::MIN),
            host: self.hosts.find(&host_key),
            parent_pid: parent_pid.unwrap_or(0),
            parent_name: self.names.find(&facts.parent_name),
            own: NONE,
            has_parent_pid: parent_pid.is_some(),
            parent_kind: facts.parent_kind,
        };
        let node = if facts.launcher || facts.root {
            self.add_node(facts, &mut link, &host_key)
        } else {
            None
        };
        link.own = node.unwrap_or(NONE);
        if let (Some(_), Some(guid)) = (node, facts.guid) {
            self.wake((link.host, guid));
        }
        if facts.catalog {
            if link.parent_guid().is_none() && link.parent_pid().is_none() {
                self.stats.unlinkable += 1;
                self.stats.unresolved += 1;
                return Observed::Pass;
            }
            // A launcher that is a catalog binary waits for the end: a
            // detection may still run through it.
            let is_link = node.is_some();
            return match self.walk(&link, false, &facts.parent_name) {
                Walk::Rooted { nodes, root_name } if !is_link => {
                    let root = match root_name {
                        NONE => facts.parent_name.to_vec(),
                        id => self.names.get(id).to_vec(),
                    };
                    Observed::Detected(self.detect(&nodes, &root, &facts.name))
                }
                Walk::Dead => {
                    self.stats.unresolved += 1;
                    Observed::Pass
                }
                Walk::Rooted { .. } | Walk::Open(_) if self.full() => {
                    self.stats.held_dropped += 1;
                    self.stats.unresolved += 1;
                    Observed::Pass
                }
                Walk::Rooted { .. } | Walk::Open(_) if is_link => {
                    self.store_link(&mut link, &host_key, &facts.parent_name);
                    let name = self.names.intern(&facts.name);
                    self.hold(link, Kind::Catalog { name }, None, payload)
                }
                Walk::Rooted { .. } => Observed::Pass, // (not reached)
                Walk::Open(wait) => {
                    self.store_link(&mut link, &host_key, &facts.parent_name);
                    // A parent on a host not seen yet: wait under its id now.
                    let wait = wait.map(|(h, g)| (if h == NONE { link.host } else { h }, g));
                    let name = self.names.intern(&facts.name);
                    self.hold(link, Kind::Catalog { name }, wait, payload)
                }
            };
        }
        if let Some(program) = &facts.program {
            if facts.parent_kind == ParentKind::Wmi {
                if node.is_some_and(|n| self.chain_detected(n)) {
                    return Observed::Pass;
                }
                if self.full() {
                    // It cannot wait for its descendants: it is a detection
                    // on its own, reported now.
                    self.stats.launchers_early += 1;
                    self.stats.detections += 1;
                    let verdict = self.launcher_verdict(&facts.parent_name, &facts.name, program);
                    return Observed::Detected(verdict);
                }
                self.store_link(&mut link, &host_key, &facts.parent_name);
                let program = self.names.intern(program);
                let name = self.names.intern(&facts.name);
                let kind = Kind::Launcher {
                    node,
                    name,
                    program,
                };
                return self.hold(link, kind, None, payload);
            }
        }
        Observed::Pass
    }

    /// Held rows settled since the last call (their chain completed through
    /// GUIDs, or a detection ran through a held launcher), in the order they
    /// were settled.
    pub fn drain(&mut self) -> Vec<Settled<P>> {
        std::mem::take(&mut self.ready)
    }

    fn hold(
        &mut self,
        link: Link,
        kind: Kind,
        wait: Option<GuidKey>,
        payload: impl FnOnce() -> P,
    ) -> Observed {
        let payload = payload();
        let weight = payload.weight() + std::mem::size_of::<Held<P>>();
        // A held launcher row (naming a LOLBAS binary, or a catalog binary
        // itself) is settled as no detection when one runs through it.
        let launcher_node = match kind {
            Kind::Launcher { node, .. } => node,
            Kind::Catalog { .. } => link.own(),
        };
        let item = Held {
            payload,
            weight,
            link,
            kind,
            seq: self.seq,
            waits_on: wait,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.held[id as usize] = Some(item);
                id
            }
            None => {
                self.held.push(Some(item));
                (self.held.len() - 1) as u32
            }
        };
        if let Some(key) = wait {
            self.waiting.entry(key).or_default().push(id);
        }
        if let Some(node) = launcher_node.and_then(|n| self.nodes.get_mut(n)) {
            node.held = id;
        }
        self.held_count += 1;
        self.held_bytes += weight;
        self.stats.held_peak = self.stats.held_peak.max(self.held_count as u64);
        Observed::Held
    }

    /// The held-row cap is reached.
    fn full(&self) -> bool {
        self.held_count >= self.limits.max_held
            || self.held_bytes + self.external_bytes >= self.limits.max_held_bytes
    }

    fn take(&mut self, id: u32) -> Option<Held<P>> {
        let h = self.held.get_mut(id as usize)?.take()?;
        self.free.push(id);
        self.held_count -= 1;
        self.held_bytes -= h.weight;
        Some(h)
    }
}

#[cfg(test)]
mod tests;
