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

use std::collections::HashMap;

use super::facts::{Facts, ParentKind};

/// Most launchers between the WMI parent and the detected process
/// (`wmiprvse > cmd > cmd > mshta` has 2).
pub const MAX_LAUNCHERS: usize = 4;

/// Most processes with the same host and PID a PID link looks at: with
/// more (a flood), the link is not made.
pub const MAX_SAME_PID: usize = 64;

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

/// A host and a GUID.
type GuidKey = (u32, u128);

/// "None" for the compact fields below.
const NONE: u32 = u32::MAX;

/// How a row names its parent. Compact: 48 bytes (sentinels instead of
/// `Option`s), since half a million nodes each carry one.
#[derive(Debug, Clone, Copy)]
struct Link {
    /// 0: none (the all-zero GUID is never an identifier).
    parent_guid: u128,
    /// `i64::MIN`: none.
    time: i64,
    host: u32,
    parent_pid: u32,
    parent_name: u32,
    /// The node of the row itself (a cycle that returns to it ends the
    /// walk); [`NONE`] when it is none.
    own: u32,
    has_parent_pid: bool,
    parent_kind: ParentKind,
}

impl Link {
    fn parent_guid(&self) -> Option<u128> {
        (self.parent_guid != 0).then_some(self.parent_guid)
    }

    fn parent_pid(&self) -> Option<u32> {
        self.has_parent_pid.then_some(self.parent_pid)
    }

    fn time(&self) -> Option<i64> {
        (self.time != i64::MIN).then_some(self.time)
    }

    fn own(&self) -> Option<u32> {
        (self.own != NONE).then_some(self.own)
    }
}

/// A host name as the tree compares it: ASCII case ignored.
fn lower(host: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if host.iter().any(u8::is_ascii_uppercase) {
        std::borrow::Cow::Owned(host.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(host)
    }
}

/// A PID as the tree keeps it: Windows PIDs are 32-bit; a larger value is
/// no PID.
fn pid32(pid: Option<u64>) -> Option<u32> {
    pid.and_then(|p| u32::try_from(p).ok())
}

/// A kept process: 80 bytes.
#[derive(Debug, Clone)]
struct Node {
    link: Link,
    /// 0: none.
    guid: u128,
    name: u32,
    /// The previous node with the same host and PID ([`NONE`]: none).
    same_pid: u32,
    /// This launcher's own held row, a `LauncherCommandLine` candidate
    /// ([`NONE`]: none).
    held: u32,
    root: bool,
    /// A lineage detection runs through this node.
    has_detection: bool,
}

/// Nodes in segments of [`Nodes::SEGMENT`]: growing never copies the nodes
/// already kept (a doubling `Vec` would briefly hold both copies).
#[derive(Debug, Default)]
struct Nodes {
    segments: Vec<Vec<Node>>,
    len: usize,
}

impl Nodes {
    const SEGMENT: usize = 4096;

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, node: Node) -> u32 {
        if self.len % Self::SEGMENT == 0 {
            self.segments.push(Vec::with_capacity(Self::SEGMENT));
        }
        if let Some(last) = self.segments.last_mut() {
            last.push(node);
        }
        self.len += 1;
        (self.len - 1) as u32
    }

    fn get(&self, id: u32) -> Option<&Node> {
        let i = id as usize;
        self.segments
            .get(i / Self::SEGMENT)
            .and_then(|s| s.get(i % Self::SEGMENT))
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut Node> {
        let i = id as usize;
        self.segments
            .get_mut(i / Self::SEGMENT)
            .and_then(|s| s.get_mut(i % Self::SEGMENT))
    }
}

/// The index key of a host and a GUID, or a host and a PID: 64 bits of a
/// hash (the node it finds is checked, so a collision can only hide a
/// link, never make a false one).
fn key(host: u32, id: u128) -> u64 {
    let mut x = (id as u64) ^ ((id >> 64) as u64).rotate_left(29) ^ (u64::from(host) << 17);
    // splitmix64's finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

fn pid_key(host: u32, pid: u32) -> u64 {
    (u64::from(host) << 32) | u64::from(pid)
}

#[derive(Debug)]
enum Kind {
    /// A catalog binary; its own name.
    Catalog { name: u32 },
    /// A WMI-started launcher naming `program`.
    Launcher { node: Option<u32>, program: u32 },
}

#[derive(Debug)]
struct Held<P> {
    payload: P,
    weight: usize,
    link: Link,
    kind: Kind,
    seq: u64,
    /// The GUID key it waits on (it is in `waiting` under it).
    waits_on: Option<GuidKey>,
}

/// Byte strings stored once, by number.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Box<[u8]>, u32>,
    strings: Vec<Box<[u8]>>,
}

impl Interner {
    fn intern(&mut self, s: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).unwrap_or(NONE - 1);
        self.strings.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// The number of `s` if it is stored, else [`NONE`] (nothing is
    /// stored: a row that is neither kept nor held leaves no trace).
    fn find(&self, s: &[u8]) -> u32 {
        self.ids.get(s).copied().unwrap_or(NONE)
    }

    fn get(&self, id: u32) -> &[u8] {
        self.strings.get(id as usize).map_or(&[], |s| s)
    }
}

/// Where a walk ended.
enum Walk {
    /// At the WMI parent: the nodes from the nearest launcher up, and the
    /// WMI parent's observed name.
    Rooted { nodes: Vec<u32>, root_name: u32 },
    /// Not at the WMI parent, for certain.
    Dead,
    /// A parent is not known yet; with a GUID key when it is known by GUID.
    Open(Option<GuidKey>),
}

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

    /// Stores the host and parent name of a row that is kept or held.
    fn store_link(&mut self, link: &mut Link, host: &[u8], parent_name: &[u8]) {
        link.host = self.hosts.intern(host);
        link.parent_name = self.names.intern(parent_name);
    }

    /// The node with `guid` on `host`, if kept.
    fn node_by_guid(&self, host: u32, guid: u128) -> Option<u32> {
        let &n = self.by_guid.get(&key(host, guid))?;
        let node = self.nodes.get(n)?;
        (node.link.host == host && node.guid == guid).then_some(n)
    }

    /// Keeps the row as a node (a launcher or WMI host), storing its
    /// link's host and parent name in `link`; `None` when the node cap is
    /// reached. A second row of a process already kept is that node.
    fn add_node(&mut self, facts: &Facts<'_>, link: &mut Link, host_key: &[u8]) -> Option<u32> {
        if let Some(guid) = facts.guid {
            if let Some(n) = self.node_by_guid(link.host, guid) {
                self.store_link(link, host_key, &facts.parent_name);
                return Some(n); // the same process again (a duplicate row)
            }
        }
        if self.nodes.len() >= self.limits.max_nodes {
            self.stats.nodes_dropped += 1;
            return None;
        }
        self.store_link(link, host_key, &facts.parent_name);
        let host = link.host;
        let id = self.nodes.len() as u32;
        let same_pid = match pid32(facts.pid) {
            Some(pid) => self.by_pid.insert(pid_key(host, pid), id).unwrap_or(NONE),
            None => NONE,
        };
        if let Some(guid) = facts.guid {
            // A 64-bit key collision keeps the first node (a link lost,
            // never a false one).
            self.by_guid.entry(key(host, guid)).or_insert(id);
        }
        let name = self.names.intern(&facts.name);
        self.nodes.push(Node {
            link: *link,
            guid: facts.guid.unwrap_or(0),
            name,
            same_pid,
            held: NONE,
            root: facts.root && !facts.launcher,
            has_detection: false,
        });
        self.stats.nodes += 1;
        Some(id)
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

    /// Walks up from `start` (see the module docs). `last`: the input has
    /// ended, so PID links may be followed.
    fn walk(&self, start: &Link, last: bool) -> Walk {
        let mut nodes: Vec<u32> = Vec::new();
        let mut link = *start;
        loop {
            match link.parent_kind {
                ParentKind::Wmi => {
                    return Walk::Rooted {
                        nodes,
                        root_name: link.parent_name,
                    }
                }
                ParentKind::Other => return Walk::Dead,
                ParentKind::Launcher | ParentKind::Absent => {}
            }
            if nodes.len() == MAX_LAUNCHERS {
                return Walk::Dead; // too deep
            }
            let n = match self.parent_of(&link, last) {
                Ok(n) => n,
                Err(wait) => return Walk::Open(wait),
            };
            if nodes.contains(&n) || start.own() == Some(n) || link.own() == Some(n) {
                return Walk::Dead; // a cycle
            }
            let Some(node) = self.nodes.get(n) else {
                return Walk::Dead;
            };
            if node.root {
                // The WMI host's own row: the parent when no name says
                // otherwise.
                return if link.parent_kind == ParentKind::Absent {
                    Walk::Rooted {
                        nodes,
                        root_name: node.name,
                    }
                } else {
                    Walk::Dead
                };
            }
            if link.parent_kind == ParentKind::Launcher
                && !self
                    .names
                    .get(link.parent_name)
                    .eq_ignore_ascii_case(self.names.get(node.name))
            {
                return Walk::Dead; // the node is not the parent the child names
            }
            nodes.push(n);
            link = Link {
                own: n,
                ..node.link
            };
        }
    }

    /// The parent node of `link`: by GUID; at the end, by host + PID +
    /// time. `Err` when it is not known (with the GUID key to wait on).
    fn parent_of(&self, link: &Link, last: bool) -> Result<u32, Option<GuidKey>> {
        let wait = link.parent_guid().map(|g| (link.host, g));
        if let Some(g) = link.parent_guid() {
            if let Some(n) = self.node_by_guid(link.host, g) {
                return Ok(n);
            }
        }
        if !last {
            return Err(wait);
        }
        let Some(ppid) = link.parent_pid() else {
            return Err(wait);
        };
        let mut best: Option<(u32, Option<i64>)> = None;
        let mut eligible = 0usize;
        let mut untimed = false;
        let mut at = self.by_pid.get(&pid_key(link.host, ppid)).copied();
        let mut steps = 0usize;
        while let Some(n) = at {
            steps += 1;
            if steps > MAX_SAME_PID {
                // A flood of processes with one PID: no link (and no
                // quadratic walk over them).
                return Err(wait);
            }
            let Some(node) = self.nodes.get(n) else { break };
            if node.link.host != link.host {
                break; // never: the chain is per host and PID
            }
            at = (node.same_pid != NONE).then_some(node.same_pid);
            if link.own() == Some(n) || (link.parent_guid().is_some() && node.guid != 0) {
                continue;
            }
            let t = node.link.time();
            match (t, link.time()) {
                (Some(nt), Some(ct)) if nt > ct => continue, // created after the child
                (Some(_), Some(_)) => {}
                _ => untimed = true,
            }
            eligible += 1;
            // Walking from the newest row back: the first wins a tie.
            let better = match best {
                None => true,
                Some((_, bt)) => t > bt,
            };
            if better {
                best = Some((n, t));
            }
        }
        match best {
            Some((n, _)) if !untimed || eligible == 1 => Ok(n),
            _ => Err(wait),
        }
    }
}

#[cfg(test)]
mod tests;
