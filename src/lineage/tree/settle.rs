//! Settling held rows: when the node a row waits for arrives
//! ([`Tree::wake`]), and at the end of the input ([`Tree::finish`]), in the
//! order [the rule](crate::lineage::rule) sets.

use super::graph::{GuidKey, NONE};
use super::held::Kind;
use super::{Settled, Tree, Weigh};
use crate::lineage::rule::{self, Verdict, Walk};

impl<P: Weigh> Tree<P> {
    /// Settles every held row (the input has ended) and returns them, with
    /// those settled since the last [`Tree::drain`], in the order they
    /// arrived.
    pub fn finish(&mut self) -> Vec<Settled<P>> {
        let mut order: Vec<(bool, usize, u64, u32)> = Vec::new();
        let mut walks: Vec<Option<Walk>> = Vec::new();
        for id in self.held.in_arrival_order() {
            let Some(h) = self.held.get(id) else { continue };
            let ancestor =
                h.kind.ancestor().is_some() || matches!(h.kind, Kind::CommandLine { .. });
            let walk = match h.kind {
                Kind::Catalog { grandparent, .. } => {
                    let start = self.graph.name(h.link.parent_name).to_vec();
                    rule::walk(&self.graph, &h.link, &start, grandparent, true)
                }
                // Its parent is the WMI host: depth 0.
                Kind::CommandLine { .. } => Walk::Rooted {
                    nodes: Vec::new(),
                    root_name: NONE,
                    through_parent: false,
                    untimed: false,
                },
            };
            let depth = match &walk {
                Walk::Rooted { nodes, .. } => nodes.len(),
                _ => 0,
            };
            // The walk's index, in the place of the arrival (kept by the sort).
            order.push((ancestor, depth, walks.len() as u64, id));
            walks.push(Some(walk));
        }
        rule::settle_order(&mut order);
        for (_, _, at, id) in order {
            let Some(walk) = walks.get_mut(at as usize).and_then(Option::take) else {
                continue;
            };
            let Some(h) = self.held.take(id) else {
                continue;
            };
            let verdict = self.settle(&h.kind, &h.link, walk);
            self.ready.push((
                h.seq,
                Settled {
                    payload: h.payload,
                    verdict,
                },
            ));
        }
        self.held.waiting.clear();
        self.drain()
    }

    /// The verdict of a held row at the end.
    fn settle(&mut self, kind: &Kind, link: &super::graph::Link, walk: Walk) -> Option<Verdict> {
        if kind
            .ancestor()
            .is_some_and(|n| rule::chain_detected(&self.graph, n))
        {
            // A detection runs through it: the chain is reported there.
            if matches!(kind, Kind::Catalog { .. }) {
                self.stats.unresolved += 1;
            }
            return None;
        }
        match (*kind, walk) {
            (Kind::CommandLine { name, program, .. }, _) => {
                self.stats.detections += 1;
                let parent = self.graph.name(link.parent_name).to_vec();
                let name = self.graph.name(name).to_vec();
                let program = self.graph.name(program).to_vec();
                Some(Verdict::command_line(&parent, &name, &program))
            }
            (
                Kind::Catalog { name, .. },
                Walk::Rooted {
                    nodes,
                    root_name,
                    through_parent,
                    untimed,
                },
            ) => {
                self.stats.untimed_links += u64::from(untimed);
                let root_name = if root_name == NONE {
                    link.parent_name
                } else {
                    root_name
                };
                let root = self.graph.name(root_name).to_vec();
                let through = through_parent.then(|| self.graph.name(link.parent_name).to_vec());
                let name = self.graph.name(name).to_vec();
                Some(self.detect(&nodes, &root, through.as_deref(), &name))
            }
            (Kind::Catalog { .. }, Walk::Unlinkable(why)) => {
                self.stats.unlinkable(why);
                None
            }
            (Kind::Catalog { .. }, Walk::Dead | Walk::Open(_)) => {
                self.stats.unresolved += 1;
                None
            }
        }
    }

    /// Re-walks the rows waiting on `key` (a node with that GUID arrived):
    /// a chain now complete is detected, one now dead is settled as none,
    /// one still open waits on its next key.
    pub(super) fn wake(&mut self, key: GuidKey) {
        if self.held.waiting.is_empty() {
            return;
        }
        let Some(ids) = self.held.waiting.remove(&key) else {
            return;
        };
        for id in ids {
            let Some(h) = self.held.get(id) else { continue };
            if h.waits_on != Some(key) {
                continue;
            }
            let Kind::Catalog {
                name, node: None, ..
            } = h.kind
            else {
                continue;
            };
            let link = h.link;
            let start = self.graph.name(link.parent_name).to_vec();
            let verdict = match rule::walk(&self.graph, &link, &start, NONE, false) {
                Walk::Open(wait) => {
                    if let Some(h) = self.held.get_mut(id) {
                        h.waits_on = wait;
                    }
                    if let Some(next) = wait {
                        self.held.waiting.entry(next).or_default().push(id);
                    }
                    continue;
                }
                Walk::Rooted {
                    nodes, root_name, ..
                } => {
                    let root_name = if root_name == NONE {
                        link.parent_name
                    } else {
                        root_name
                    };
                    let root = self.graph.name(root_name).to_vec();
                    let name = self.graph.name(name).to_vec();
                    Some(self.detect(&nodes, &root, None, &name))
                }
                Walk::Dead => {
                    self.stats.unresolved += 1;
                    None
                }
                Walk::Unlinkable(why) => {
                    self.stats.unlinkable(why);
                    None
                }
            };
            if let Some(h) = self.held.take(id) {
                self.ready.push((
                    h.seq,
                    Settled {
                        payload: h.payload,
                        verdict,
                    },
                ));
            }
        }
    }
}
