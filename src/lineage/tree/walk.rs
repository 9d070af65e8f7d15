//! The walk from a candidate up to the WMI parent, and how a parent is
//! found: by GUID, or at the end by host + PID + time (see the module docs
//! of [`super`]).

use super::store::{key, pid_key, GuidKey, Link, NONE};
use super::{Tree, Weigh, MAX_LAUNCHERS, MAX_SAME_PID};
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
    /// ended, so PID links may be followed.
    pub(super) fn walk(&self, start: &Link, last: bool) -> Walk {
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
