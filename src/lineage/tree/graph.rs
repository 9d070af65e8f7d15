//! The process graph: the kept processes (nodes: compact links, stored in
//! segments), the names and hosts they carry (stored once each), and the
//! two indexes a parent is found by — host + GUID, and host + PID +
//! creation time. What counts as a link is decided in
//! [`rule`](crate::lineage::rule); this is where nodes are kept and looked
//! up.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

pub(crate) use crate::hash::MixState;

use super::super::facts::{Facts, ParentKind};
use super::Limits;

/// A host and a GUID.
pub(crate) type GuidKey = (u32, u128);

/// "None" for the compact fields below.
pub(crate) const NONE: u32 = u32::MAX;

/// The GUID index's entry for a GUID given to two processes: no node.
pub(crate) const AMBIGUOUS: u32 = u32::MAX - 1;

/// How a row names its parent. Compact: 48 bytes (sentinels instead of
/// `Option`s), since half a million nodes each carry one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    /// 0: none (the all-zero GUID is never an identifier).
    pub(crate) parent_guid: u128,
    /// `i64::MIN`: none.
    pub(crate) time: i64,
    pub(crate) host: u32,
    pub(crate) parent_pid: u32,
    pub(crate) parent_name: u32,
    /// The node of the row itself (a cycle that returns to it ends the
    /// walk); [`NONE`] when it is none.
    pub(crate) own: u32,
    pub(crate) has_parent_pid: bool,
    /// The row names its host (PID links need one).
    pub(crate) has_host: bool,
    pub(crate) parent_kind: ParentKind,
}

impl Link {
    pub(crate) fn parent_guid(&self) -> Option<u128> {
        (self.parent_guid != 0).then_some(self.parent_guid)
    }

    pub(crate) fn parent_pid(&self) -> Option<u32> {
        self.has_parent_pid.then_some(self.parent_pid)
    }

    pub(crate) fn time(&self) -> Option<i64> {
        (self.time != i64::MIN).then_some(self.time)
    }

    pub(crate) fn own(&self) -> Option<u32> {
        (self.own != NONE).then_some(self.own)
    }
}

/// A host name as the tree compares it: ASCII case ignored.
pub(crate) fn lower(host: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if host.iter().any(u8::is_ascii_uppercase) {
        std::borrow::Cow::Owned(host.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(host)
    }
}

/// A kept process: 80 bytes.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) link: Link,
    /// 0: none.
    pub(crate) guid: u128,
    pub(crate) name: u32,
    /// Its PID (when `has_pid`).
    pub(crate) pid: u32,
    pub(crate) has_pid: bool,
    pub(crate) root: bool,
    /// A lineage detection runs through this node.
    pub(crate) has_detection: bool,
}

/// Nodes in segments of [`Nodes::SEGMENT`]: growing never copies the nodes
/// already kept (a doubling `Vec` would briefly hold both copies).
#[derive(Debug, Default)]
pub(crate) struct Nodes {
    pub(crate) segments: Vec<Vec<Node>>,
    pub(crate) len: usize,
}

impl Nodes {
    pub(crate) const SEGMENT: usize = 4096;

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push(&mut self, node: Node) -> u32 {
        if self.len % Self::SEGMENT == 0 {
            self.segments.push(Vec::with_capacity(Self::SEGMENT));
        }
        if let Some(last) = self.segments.last_mut() {
            last.push(node);
        }
        self.len += 1;
        (self.len - 1) as u32
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Node> {
        let i = id as usize;
        self.segments
            .get(i / Self::SEGMENT)
            .and_then(|s| s.get(i % Self::SEGMENT))
    }

    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut Node> {
        let i = id as usize;
        self.segments
            .get_mut(i / Self::SEGMENT)
            .and_then(|s| s.get_mut(i % Self::SEGMENT))
    }
}

/// The index key of a host and a GUID, or a host and a PID: 64 bits of a
/// hash (the node it finds is checked, so a collision can only hide a
/// link, never make a false one).
pub(crate) fn key(host: u32, id: u128) -> u64 {
    let mut x = (id as u64) ^ ((id >> 64) as u64).rotate_left(29) ^ (u64::from(host) << 17);
    // splitmix64's finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

/// The PID index's key of a node: host, PID, creation time (`i64::MIN`
/// when unknown), node (the arrival order breaks ties).
pub(crate) type PidKey = (u32, u32, i64, u32);

/// Byte strings stored once, by number, in one buffer (no allocation per
/// string, nothing to free one by one).
#[derive(Debug, Default)]
pub(crate) struct Interner {
    /// Hash of the bytes → number. A second string with the same hash goes
    /// to `collided` (64-bit hashes: that is never expected, but handled).
    ids: HashMap<u64, u32, MixState>,
    collided: HashMap<Box<[u8]>, u32, MixState>,
    bytes: Vec<u8>,
    /// Where string `i` ends in `bytes` (it starts where `i - 1` ends).
    ends: Vec<usize>,
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &[u8]) -> u32 {
        let hash = self.ids.hasher().hash_one(s);
        match self.ids.get(&hash) {
            Some(&id) if self.get(id) == s => return id,
            Some(_) => {
                if let Some(&id) = self.collided.get(s) {
                    return id;
                }
            }
            None => {}
        }
        let id = u32::try_from(self.ends.len()).unwrap_or(NONE - 1);
        self.bytes.extend_from_slice(s);
        self.ends.push(self.bytes.len());
        if let std::collections::hash_map::Entry::Vacant(e) = self.ids.entry(hash) {
            e.insert(id);
        } else {
            self.collided.insert(s.into(), id);
        }
        id
    }

    /// The number of `s` if it is stored, else [`NONE`] (nothing is
    /// stored: a row that is neither kept nor held leaves no trace).
    pub(crate) fn find(&self, s: &[u8]) -> u32 {
        match self.ids.get(&self.ids.hasher().hash_one(s)) {
            Some(&id) if self.get(id) == s => id,
            Some(_) => self.collided.get(s).copied().unwrap_or(NONE),
            None => NONE,
        }
    }

    pub(crate) fn get(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let Some(&end) = self.ends.get(i) else {
            return &[];
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.bytes.get(start..end).unwrap_or(&[])
    }

    /// How many strings are stored.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// The kept processes and their indexes.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub(crate) hosts: Interner,
    pub(crate) names: Interner,
    pub(crate) nodes: Nodes,
    /// [`key`] of host + GUID → node.
    pub(crate) by_guid: HashMap<u64, u32, MixState>,
    /// Host, PID, creation time and node of every node with a PID, in
    /// that order: the parent of a child is found by a range query.
    pub(crate) by_pid: BTreeSet<PidKey>,
    /// Nodes not kept (the node cap was reached): the graph no longer
    /// holds every launcher of the data, so PID links are refused.
    pub(crate) dropped: u64,
    /// Rows that gave a GUID already kept for another process (another
    /// name or PID): that GUID is no process id; it links nothing.
    pub(crate) guid_conflicts: u64,
}

impl Graph {
    /// The node `id`.
    pub(crate) fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// A name by number.
    pub(crate) fn name(&self, id: u32) -> &[u8] {
        self.names.get(id)
    }

    /// The node with `guid` on `host`, if kept (and the GUID named one
    /// process).
    pub(crate) fn node_by_guid(&self, host: u32, guid: u128) -> Option<u32> {
        let &n = self.by_guid.get(&key(host, guid))?;
        let node = self.nodes.get(n)?;
        (node.link.host == host && node.guid == guid).then_some(n)
    }

    /// The nodes with `pid` on `host` created at or before `time` (`None`:
    /// any time, those without a time first), the latest last.
    pub(crate) fn with_pid(
        &self,
        host: u32,
        pid: u32,
        time: Option<i64>,
    ) -> impl DoubleEndedIterator<Item = u32> + '_ {
        let end = time.unwrap_or(i64::MAX);
        self.by_pid
            .range((host, pid, i64::MIN, 0)..=(host, pid, end, NONE))
            .map(|k| k.3)
    }

    /// Whether a node with `pid` on `host` has no creation time.
    pub(crate) fn has_untimed(&self, host: u32, pid: u32) -> bool {
        self.by_pid
            .range((host, pid, i64::MIN, 0)..=(host, pid, i64::MIN, NONE))
            .next()
            .is_some()
    }

    /// The nodes with `pid` on `host` created within `window` microseconds
    /// of `time`.
    pub(crate) fn around(
        &self,
        host: u32,
        pid: u32,
        time: i64,
        window: i64,
    ) -> impl Iterator<Item = u32> + '_ {
        let lo = (host, pid, time.saturating_sub(window), 0);
        let hi = (host, pid, time.saturating_add(window), NONE);
        self.by_pid.range(lo..=hi).map(|k| k.3)
    }

    /// Whether a row with node `n`'s GUID is that process again: the same
    /// name, and the same PID when both have one.
    fn same_process(&self, n: u32, facts: &Facts<'_>) -> bool {
        self.node(n).is_some_and(|node| {
            self.name(node.name).eq_ignore_ascii_case(&facts.name)
                && match (node.has_pid, facts.pid) {
                    (true, Some(pid)) => node.pid == pid,
                    _ => true,
                }
        })
    }

    /// Stores the host and parent name of a row that is kept or held.
    pub(crate) fn store_link(&mut self, link: &mut Link, host: &[u8], parent_name: &[u8]) {
        link.host = self.hosts.intern(host);
        link.parent_name = self.names.intern(parent_name);
    }

    /// Keeps the row as a node (a launcher or WMI host), storing its
    /// link's host and parent name in `link`; `None` when the node cap is
    /// reached. A second row of a process already kept is that node.
    pub(crate) fn add_node(
        &mut self,
        facts: &Facts<'_>,
        link: &mut Link,
        host_key: &[u8],
        limits: &Limits,
    ) -> Option<u32> {
        let mut guid = facts.guid;
        if let Some(g) = guid {
            let host = self.hosts.find(host_key);
            if let Some(n) = self.node_by_guid(host, g) {
                if self.same_process(n, facts) {
                    self.store_link(link, host_key, &facts.parent_name);
                    return Some(n); // the same process again (a duplicate row)
                }
                // Another process with that GUID: the GUIDs of this data are
                // no process ids. Neither is found by it from now on.
                self.guid_conflicts += 1;
                self.by_guid.insert(key(host, g), AMBIGUOUS);
                guid = None;
            } else if self.by_guid.get(&key(host, g)) == Some(&AMBIGUOUS) {
                self.guid_conflicts += 1;
                guid = None;
            }
        }
        if self.nodes.len() >= limits.max_nodes {
            self.dropped += 1;
            // Not kept: looked up only, for this row's own walk.
            link.host = self.hosts.find(host_key);
            link.parent_name = self.names.find(&facts.parent_name);
            return None;
        }
        self.store_link(link, host_key, &facts.parent_name);
        let host = link.host;
        let id = self.nodes.len() as u32;
        if let Some(pid) = facts.pid {
            self.by_pid.insert((host, pid, link.time, id));
        }
        if let Some(guid) = guid {
            // A 64-bit key collision keeps the first node (a link lost,
            // never a false one).
            self.by_guid.entry(key(host, guid)).or_insert(id);
        }
        let name = self.names.intern(&facts.name);
        self.nodes.push(Node {
            link: *link,
            guid: guid.unwrap_or(0),
            name,
            pid: facts.pid.unwrap_or(0),
            has_pid: facts.pid.is_some(),
            root: facts.root,
            has_detection: false,
        });
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_numbers_each_distinct_string_once() {
        let mut i = Interner::default();
        let words: Vec<Vec<u8>> = (0..1000)
            .map(|n| format!("host-{n}.example").into_bytes())
            .chain([Vec::new(), b"x".to_vec(), b"12345678".to_vec()])
            .collect();
        let ids: Vec<u32> = words.iter().map(|w| i.intern(w)).collect();
        assert_eq!(ids, (0..1003).collect::<Vec<u32>>());
        for (w, &id) in words.iter().zip(&ids) {
            assert_eq!(i.intern(w), id);
            assert_eq!(i.find(w), id);
            assert_eq!(i.get(id), &w[..]);
        }
        assert_eq!(i.len(), 1003);
        assert_eq!(i.find(b"host-1000.example"), NONE);
        assert_eq!(i.get(NONE), b"");
    }

    #[test]
    fn interner_keeps_strings_whose_hashes_collide_apart() {
        let mut i = Interner::default();
        let a = i.intern(b"a");
        // Make "b" hash to "a"'s slot, as a 64-bit collision would.
        let hash_b = i.ids.hasher().hash_one(&b"b"[..]);
        i.ids.insert(hash_b, a);
        assert_eq!(i.find(b"b"), NONE);
        let b = i.intern(b"b");
        assert_ne!(a, b);
        assert_eq!((i.find(b"a"), i.find(b"b")), (a, b));
        assert_eq!((i.intern(b"a"), i.intern(b"b")), (a, b));
        assert_eq!((i.get(a), i.get(b)), (&b"a"[..], &b"b"[..]));
    }
}
