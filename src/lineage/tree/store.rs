//! How the tree stores what it keeps: compact links and nodes (sentinels
//! instead of `Option`s), nodes in segments, checked 64-bit index keys, and
//! the names and hosts stored once each.

use std::collections::HashMap;

use super::super::facts::{Facts, ParentKind};
use super::{Tree, Weigh};

/// A host and a GUID.
pub(super) type GuidKey = (u32, u128);

/// "None" for the compact fields below.
pub(super) const NONE: u32 = u32::MAX;

/// How a row names its parent. Compact: 48 bytes (sentinels instead of
/// `Option`s), since half a million nodes each carry one.
#[derive(Debug, Clone, Copy)]
pub(super) struct Link {
    /// 0: none (the all-zero GUID is never an identifier).
    pub(super) parent_guid: u128,
    /// `i64::MIN`: none.
    pub(super) time: i64,
    pub(super) host: u32,
    pub(super) parent_pid: u32,
    pub(super) parent_name: u32,
    /// The node of the row itself (a cycle that returns to it ends the
    /// walk); [`NONE`] when it is none.
    pub(super) own: u32,
    pub(super) has_parent_pid: bool,
    pub(super) parent_kind: ParentKind,
}

impl Link {
    pub(super) fn parent_guid(&self) -> Option<u128> {
        (self.parent_guid != 0).then_some(self.parent_guid)
    }

    pub(super) fn parent_pid(&self) -> Option<u32> {
        self.has_parent_pid.then_some(self.parent_pid)
    }

    pub(super) fn time(&self) -> Option<i64> {
        (self.time != i64::MIN).then_some(self.time)
    }

    pub(super) fn own(&self) -> Option<u32> {
        (self.own != NONE).then_some(self.own)
    }
}

/// A host name as the tree compares it: ASCII case ignored.
pub(super) fn lower(host: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if host.iter().any(u8::is_ascii_uppercase) {
        std::borrow::Cow::Owned(host.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(host)
    }
}

/// A PID as the tree keeps it: Windows PIDs are 32-bit; a larger value is
/// no PID.
pub(super) fn pid32(pid: Option<u64>) -> Option<u32> {
    pid.and_then(|p| u32::try_from(p).ok())
}

/// A kept process: 80 bytes.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) link: Link,
    /// 0: none.
    pub(super) guid: u128,
    pub(super) name: u32,
    /// Its PID (when `has_pid`).
    pub(super) pid: u32,
    pub(super) has_pid: bool,
    /// This launcher's own held row, a `LauncherCommandLine` candidate
    /// ([`NONE`]: none).
    pub(super) held: u32,
    pub(super) root: bool,
    /// A lineage detection runs through this node.
    pub(super) has_detection: bool,
}

/// Nodes in segments of [`Nodes::SEGMENT`]: growing never copies the nodes
/// already kept (a doubling `Vec` would briefly hold both copies).
#[derive(Debug, Default)]
pub(super) struct Nodes {
    pub(super) segments: Vec<Vec<Node>>,
    pub(super) len: usize,
}

impl Nodes {
    pub(super) const SEGMENT: usize = 4096;

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, node: Node) -> u32 {
        if self.len % Self::SEGMENT == 0 {
            self.segments.push(Vec::with_capacity(Self::SEGMENT));
        }
        if let Some(last) = self.segments.last_mut() {
            last.push(node);
        }
        self.len += 1;
        (self.len - 1) as u32
    }

    pub(super) fn get(&self, id: u32) -> Option<&Node> {
        let i = id as usize;
        self.segments
            .get(i / Self::SEGMENT)
            .and_then(|s| s.get(i % Self::SEGMENT))
    }

    pub(super) fn get_mut(&mut self, id: u32) -> Option<&mut Node> {
        let i = id as usize;
        self.segments
            .get_mut(i / Self::SEGMENT)
            .and_then(|s| s.get_mut(i % Self::SEGMENT))
    }
}

/// The index key of a host and a GUID, or a host and a PID: 64 bits of a
/// hash (the node it finds is checked, so a collision can only hide a
/// link, never make a false one).
pub(super) fn key(host: u32, id: u128) -> u64 {
    let mut x = (id as u64) ^ ((id >> 64) as u64).rotate_left(29) ^ (u64::from(host) << 17);
    // splitmix64's finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

/// The PID index's key of a node: host, PID, creation time (`i64::MIN`
/// when unknown), node (the arrival order breaks ties).
pub(super) type PidKey = (u32, u32, i64, u32);

#[derive(Debug)]
pub(super) enum Kind {
    /// A catalog binary; its own name.
    Catalog { name: u32 },
    /// A WMI-started launcher (`name`, its node if kept) naming `program`.
    Launcher {
        node: Option<u32>,
        name: u32,
        program: u32,
    },
}

#[derive(Debug)]
pub(super) struct Held<P> {
    pub(super) payload: P,
    pub(super) weight: usize,
    pub(super) link: Link,
    pub(super) kind: Kind,
    pub(super) seq: u64,
    /// The GUID key it waits on (it is in `waiting` under it).
    pub(super) waits_on: Option<GuidKey>,
}

/// Byte strings stored once, by number.
#[derive(Debug, Default)]
pub(super) struct Interner {
    pub(super) ids: HashMap<Box<[u8]>, u32>,
    pub(super) strings: Vec<Box<[u8]>>,
}

impl Interner {
    pub(super) fn intern(&mut self, s: &[u8]) -> u32 {
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
    pub(super) fn find(&self, s: &[u8]) -> u32 {
        self.ids.get(s).copied().unwrap_or(NONE)
    }

    pub(super) fn get(&self, id: u32) -> &[u8] {
        self.strings.get(id as usize).map_or(&[], |s| s)
    }
}

impl<P: Weigh> Tree<P> {
    /// Stores the host and parent name of a row that is kept or held.
    pub(super) fn store_link(&mut self, link: &mut Link, host: &[u8], parent_name: &[u8]) {
        link.host = self.hosts.intern(host);
        link.parent_name = self.names.intern(parent_name);
    }

    /// Keeps the row as a node (a launcher or WMI host), storing its
    /// link's host and parent name in `link`; `None` when the node cap is
    /// reached. A second row of a process already kept is that node.
    pub(super) fn add_node(
        &mut self,
        facts: &Facts<'_>,
        link: &mut Link,
        host_key: &[u8],
    ) -> Option<u32> {
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
        let pid = pid32(facts.pid);
        if let Some(pid) = pid {
            self.by_pid.insert((host, pid, link.time, id));
        }
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
            pid: pid.unwrap_or(0),
            has_pid: pid.is_some(),
            held: NONE,
            root: facts.root && !facts.launcher,
            has_detection: false,
        });
        self.stats.nodes += 1;
        Some(id)
    }
}
