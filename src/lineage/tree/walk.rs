//! The walk from a candidate up to the WMI parent, and how a parent is
//! found: by GUID, or at the end by host + PID + time (see the module docs
//! of [`super`]).

use super::store::{key, GuidKey, Link, NONE};
use super::{Tree, Weigh, MAX_INELIGIBLE, MAX_LAUNCHERS, TWIN_MICROS};
use crate::lineage::facts::ParentKind;

/// Where a walk ended.
pub(super) enum Walk {
    /// At the WMI parent: the nodes from the nearest launcher up, and the
    /// WMI parent's observed name.
    Rooted { nodes: Vec<u32>, root_name: u32 },
    /// Not at the WMI parent, for certain.
    Dead,
    /// A parent is not known yet; with a GUID key when it is known by GUID.
    Open(Option<GuidKey>),
}

impl<P: Weigh> Tree<P> {
    /// The node with `guid` on `host`, if kept.
    pub(super) fn node_by_guid(&self, host: u32, guid: u128) -> Option<u32> {
        let &n = self.by_guid.get(&key(host, guid))?;
        let node = self.nodes.get(n)?;
        (node.link.host == host && node.guid == guid).then_some(n)
    }

    /// Walks up from `start` (see the module docs). `last`: the input has
    /// ended, so PID links may be followed. `start_parent` is the parent
    /// name `start` gives, as observed (a row that is not stored has no
    /// interned name to compare).
    pub(super) fn walk(&self, start: &Link, last: bool, start_parent: &[u8]) -> Walk {
        let mut nodes: Vec<u32> = Vec::new();
        let mut link = *start;
        let mut parent_name: &[u8] = start_parent;
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
                && !parent_name.eq_ignore_ascii_case(self.names.get(node.name))
            {
                return Walk::Dead; // the node is not the parent the child names
            }
            nodes.push(n);
            link = Link {
                own: n,
                ..node.link
            };
            parent_name = self.names.get(link.parent_name);
        }
    }

    /// The parent node of `link`: by GUID; at the end, by host + PID +
    /// time. `Err` when it is not known (with the GUID key to wait on).
    ///
    /// By PID, the parent is the node on the child's host with the child's
    /// parent PID created at or before the child, the latest (ties: the
    /// last row seen) — one range query in the PID index. A child with a
    /// parent GUID looks only at nodes without a GUID; the child itself is
    /// never its parent. When a time is missing (the child's, or a node's
    /// with that PID), the link is made only if exactly one node is
    /// eligible.
    pub(super) fn parent_of(&self, link: &Link, last: bool) -> Result<u32, Option<GuidKey>> {
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
        let (host, none) = (link.host, i64::MIN);
        let eligible = |n: u32| {
            let Some(node) = self.nodes.get(n) else {
                return false;
            };
            link.own() != Some(n) && !(link.parent_guid().is_some() && node.guid != 0)
        };
        let all = (host, ppid, none, 0)..=(host, ppid, i64::MAX, NONE);
        let untimed = link.time().is_none()
            || self
                .by_pid
                .range((host, ppid, none, 0)..=(host, ppid, none, NONE))
                .next()
                .is_some();
        if untimed {
            // Only a single eligible node is a link.
            let mut found = self
                .by_pid
                .range(all)
                .filter(|k| eligible(k.3))
                .take(2)
                .map(|k| k.3);
            return match (found.next(), found.next()) {
                (Some(n), None) => Ok(n),
                _ => Err(wait),
            };
        }
        // The latest created at or before the child; skipping a few
        // ineligible nodes (the child itself, nodes with a GUID).
        self.by_pid
            .range((host, ppid, none, 0)..=(host, ppid, link.time, NONE))
            .rev()
            .take(MAX_INELIGIBLE)
            .map(|k| k.3)
            .find(|&n| eligible(n))
            .ok_or(wait)
    }

    /// The node itself, and the rows of the same process logged by another
    /// source (Sysmon and Security 4688 both log every process): same host
    /// and PID, the same name, created within [`TWIN_MICROS`] of it.
    pub(super) fn twins(&self, n: u32) -> Vec<u32> {
        let mut out = vec![n];
        let Some(node) = self.nodes.get(n) else {
            return out;
        };
        let Some(time) = node.link.time() else {
            return out;
        };
        if !node.has_pid {
            return out;
        }
        let host = node.link.host;
        let lo = (host, node.pid, time.saturating_sub(TWIN_MICROS), 0);
        let hi = (host, node.pid, time.saturating_add(TWIN_MICROS), NONE);
        let name = self.names.get(node.name);
        out.extend(
            self.by_pid
                .range(lo..=hi)
                .map(|k| k.3)
                .filter(|&m| m != n)
                .filter(|&m| {
                    self.nodes
                        .get(m)
                        .is_some_and(|o| self.names.get(o.name).eq_ignore_ascii_case(name))
                })
                .take(MAX_INELIGIBLE),
        );
        out
    }
}
