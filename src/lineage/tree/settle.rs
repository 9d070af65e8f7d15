//! How held rows are settled: when the node a row waits for arrives
//! ([`Tree::wake`]), when a detection runs through a held launcher
//! ([`Tree::detect`]), and at the end of the input ([`Tree::finish`]).

use super::store::{GuidKey, Kind, NONE};
use super::walk::Walk;
use super::{Rooted, Settled, Tree, Verdict, Weigh};

impl<P: Weigh> Tree<P> {
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
        // 1. Catalog binaries that are not launchers: their detections mark
        // the launchers they run through.
        let mut links: Vec<(usize, u32, Option<Rooted>)> = Vec::new();
        for &i in &order {
            let Some(h) = self.held[i as usize].as_ref() else {
                continue;
            };
            let Kind::Catalog { name } = h.kind else {
                continue;
            };
            let (link, start) = (h.link, self.names.get(h.link.parent_name).to_vec());
            let walk = match self.walk(&link, true, &start) {
                Walk::Rooted { nodes, root_name } => Some((nodes, root_name)),
                Walk::Dead | Walk::Open(_) => None,
            };
            if link.own().is_some() {
                // 2. (below) a launcher that is a catalog binary
                links.push((walk.as_ref().map_or(0, |w| w.0.len()), i, walk));
                continue;
            }
            let verdict = self.settle_catalog(walk, name);
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
        // 2. Launchers that are catalog binaries, the deepest first: one
        // is reported when no detection runs through it (or its twin).
        links.sort_by_key(|l| std::cmp::Reverse(l.0));
        for (_, i, walk) in links {
            let Some(h) = self.held[i as usize].as_ref() else {
                continue; // settled by a detection through it
            };
            let (own, Kind::Catalog { name }) = (h.link.own(), &h.kind) else {
                continue;
            };
            let name = *name;
            let verdict = if own.is_some_and(|n| self.chain_detected(n)) {
                self.stats.unresolved += 1;
                None
            } else {
                self.settle_catalog(walk, name)
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
        // 3. Launchers naming a LOLBAS binary.
        for &i in &order {
            let Some(h) = self.take(i) else { continue };
            let verdict = match h.kind {
                Kind::Launcher {
                    node,
                    name,
                    program,
                } => {
                    if node.is_some_and(|n| self.chain_detected(n)) {
                        None
                    } else {
                        self.stats.detections += 1;
                        let parent = self.names.get(h.link.parent_name).to_vec();
                        let name = self.names.get(name).to_vec();
                        let program = self.names.get(program).to_vec();
                        Some(self.launcher_verdict(&parent, &name, &program))
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

    /// The verdict of a held catalog row whose final walk gave `walk`.
    pub(super) fn settle_catalog(&mut self, walk: Option<Rooted>, name: u32) -> Option<Verdict> {
        match walk {
            Some((nodes, root_name)) => {
                let root = self.names.get(root_name).to_vec();
                let name = self.names.get(name).to_vec();
                Some(self.detect(&nodes, &root, &name))
            }
            None => {
                self.stats.unresolved += 1;
                None
            }
        }
    }

    /// Whether a lineage detection runs through node `n`, or through a
    /// twin of it (the same process logged by another source).
    pub(super) fn chain_detected(&self, n: u32) -> bool {
        self.twins(n)
            .iter()
            .any(|&m| self.nodes.get(m).is_some_and(|node| node.has_detection))
    }

    /// Re-walks the rows waiting on `key` (a node with that GUID arrived).
    pub(super) fn wake(&mut self, key: GuidKey) {
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
            let start = self.names.get(link.parent_name).to_vec();
            match self.walk(&link, false, &start) {
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
    pub(super) fn detect(&mut self, nodes: &[u32], root: &[u8], name: &[u8]) -> Verdict {
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

    /// The detection of a launcher named `name`, started by the WMI
    /// parent named `parent`, whose command line runs `program`.
    pub(super) fn launcher_verdict(&self, parent: &[u8], name: &[u8], program: &[u8]) -> Verdict {
        let mut path = parent.to_vec();
        path.extend_from_slice(b" > ");
        path.extend_from_slice(name);
        path.extend_from_slice(b" > ");
        path.extend_from_slice(program);
        Verdict::LauncherCommandLine {
            path,
            program: program.to_vec(),
        }
    }
}
