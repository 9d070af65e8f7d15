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
//! (mixed sources, e.g. Security 4688 parents of Sysmon children). More than
//! [`MAX_SAME_PID`] processes with one PID on one host (a flood) make no
//! link: each lookup looks at that many at most.

mod store;
mod types;
mod walk;

pub use types::{Limits, Observed, Settled, Stats, Verdict, Weigh};

use std::collections::HashMap;

use super::facts::{Facts, ParentKind};
use store::{lower, pid32, GuidKey, Held, Interner, Kind, Link, Nodes, NONE};
use walk::Walk;

/// Most launchers between the WMI parent and the detected process
/// (`wmiprvse > cmd > cmd > mshta` has 2).
pub const MAX_LAUNCHERS: usize = 4;

/// Most processes with the same host and PID a PID link looks at: with
/// more (a flood), the link is not made.
pub const MAX_SAME_PID: usize = 64;

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
    /// [`pid_key`] of host + PID → the newest node with it (older ones
    /// through [`Node::same_pid`]).
    by_pid: HashMap<u64, u32>,
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
            by_pid: HashMap::new(),
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
            return match self.walk(&link, false) {
                Walk::Rooted { nodes, root_name } => {
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
                Walk::Open(wait) => {
                    if self.full() {
                        self.stats.held_dropped += 1;
                        self.stats.unresolved += 1;
                        return Observed::Pass;
                    }
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
                if node
                    .and_then(|n| self.nodes.get(n))
                    .is_some_and(|n| n.has_detection)
                {
                    return Observed::Pass;
                }
                if self.full() {
                    // It cannot wait for its descendants: it is a detection
                    // on its own, reported now.
                    self.stats.launchers_early += 1;
                    self.stats.detections += 1;
                    let verdict = self.launcher_verdict(&facts.parent_name, node, program);
                    return Observed::Detected(verdict);
                }
                self.store_link(&mut link, &host_key, &facts.parent_name);
                let program = self.names.intern(program);
                return self.hold(link, Kind::Launcher { node, program }, None, payload);
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

    /// Settles every held row (the input has ended): catalog candidates
    /// first (their detections mark the launchers they run through), then
    /// launchers. Returns them all, [`Tree::drain`]'s first, then in the
    /// order they arrived.
    pub fn finish(&mut self) -> Vec<Settled<P>> {
        let mut order: Vec<u32> = (0..self.held.len() as u32)
            .filter(|&i| self.held[i as usize].is_some())
            .collect();
        order.sort_by_key(|&i| self.held[i as usize].as_ref().map_or(0, |h| h.seq));
        let mut settled: Vec<(u64, Settled<P>)> = Vec::new();
        for &i in &order {
            let Some(h) = self.held[i as usize].as_ref() else {
                continue;
            };
            let Kind::Catalog { name } = h.kind else {
                continue;
            };
            let verdict = match self.walk(&h.link, true) {
                Walk::Rooted { nodes, root_name } => {
                    let root = self.names.get(root_name).to_vec();
                    let name = self.names.get(name).to_vec();
                    Some(self.detect(&nodes, &root, &name))
                }
                Walk::Dead | Walk::Open(_) => {
                    self.stats.unresolved += 1;
                    None
                }
            };
            if let Some(h) = self.take(i) {
                settled.push((
                    h.seq,
                    Settled {
                        payload: h.payload,
                        verdict,
                    },
                ));
            }
        }
        for &i in &order {
            let Some(h) = self.take(i) else { continue };
            let verdict = match h.kind {
                Kind::Launcher { node, program } => {
                    if node
                        .and_then(|n| self.nodes.get(n))
                        .is_some_and(|n| n.has_detection)
                    {
                        None
                    } else {
                        self.stats.detections += 1;
                        let parent = self.names.get(h.link.parent_name).to_vec();
                        let program = self.names.get(program).to_vec();
                        Some(self.launcher_verdict(&parent, node, &program))
                    }
                }
                Kind::Catalog { .. } => None,
            };
            settled.push((
                h.seq,
                Settled {
                    payload: h.payload,
                    verdict,
                },
            ));
        }
        settled.sort_by_key(|(seq, _)| *seq);
        let mut out = self.drain();
        out.extend(settled.into_iter().map(|(_, s)| s));
        self.waiting.clear();
        out
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
        let launcher_node = match kind {
            Kind::Launcher { node, .. } => node,
            Kind::Catalog { .. } => None,
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

    /// Re-walks the rows waiting on `key` (a node with that GUID arrived).
    fn wake(&mut self, key: GuidKey) {
        let Some(ids) = self.waiting.remove(&key) else {
            return;
        };
        for id in ids {
            let Some(h) = self.held.get(id as usize).and_then(Option::as_ref) else {
                continue;
            };
            if h.waits_on != Some(key) {
                continue;
            }
            let Kind::Catalog { name } = h.kind else {
                continue;
            };
            let link = h.link;
            match self.walk(&link, false) {
                Walk::Open(wait) => {
                    if let Some(h) = self.held[id as usize].as_mut() {
                        h.waits_on = wait;
                    }
                    if let Some(next) = wait {
                        self.waiting.entry(next).or_default().push(id);
                    }
                }
                Walk::Rooted { nodes, root_name } => {
                    let root = self.names.get(root_name).to_vec();
                    let name = self.names.get(name).to_vec();
                    let verdict = self.detect(&nodes, &root, &name);
                    if let Some(h) = self.take(id) {
                        self.ready.push(Settled {
                            payload: h.payload,
                            verdict: Some(verdict),
                        });
                    }
                }
                Walk::Dead => {
                    self.stats.unresolved += 1;
                    if let Some(h) = self.take(id) {
                        self.ready.push(Settled {
                            payload: h.payload,
                            verdict: None,
                        });
                    }
                }
            }
        }
    }

    /// A lineage detection through `nodes` (nearest launcher first), from
    /// the WMI parent named `root` to the process named `name`: marks the
    /// nodes, settles their held launcher rows as no detection, and builds
    /// the path.
    fn detect(&mut self, nodes: &[u32], root: &[u8], name: &[u8]) -> Verdict {
        self.stats.detections += 1;
        let mut path = root.to_vec();
        for &n in nodes.iter().rev() {
            if let Some(node) = self.nodes.get(n) {
                path.extend_from_slice(b" > ");
                path.extend_from_slice(self.names.get(node.name));
            }
        }
        path.extend_from_slice(b" > ");
        path.extend_from_slice(name);
        for &n in nodes {
            let Some(node) = self.nodes.get_mut(n) else {
                continue;
            };
            node.has_detection = true;
            let held = std::mem::replace(&mut node.held, NONE);
            if held != NONE {
                if let Some(h) = self.take(held) {
                    self.ready.push(Settled {
                        payload: h.payload,
                        verdict: None,
                    });
                }
            }
        }
        Verdict::Lineage { path }
    }

    /// The detection of a launcher started by the WMI parent named
    /// `parent`, whose command line runs `program`.
    fn launcher_verdict(&self, parent: &[u8], node: Option<u32>, program: &[u8]) -> Verdict {
        let mut path = parent.to_vec();
        if let Some(node) = node.and_then(|n| self.nodes.get(n)) {
            path.extend_from_slice(b" > ");
            path.extend_from_slice(self.names.get(node.name));
        }
        path.extend_from_slice(b" > ");
        path.extend_from_slice(program);
        Verdict::LauncherCommandLine {
            path,
            program: program.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests;
