//! The rows that wait: held candidates, under a row cap and a byte cap, and
//! which GUID each waits for.

use std::collections::HashMap;

use super::graph::{GuidKey, Link, MixState};

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

/// What a held row is waiting to become.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A catalog binary under a launcher (its own name); `node`: the row
    /// is a launcher itself, kept as that node (an ancestor candidate);
    /// `grandparent`: its grandparent's name when that is the WMI host
    /// (`NONE` otherwise).
    Catalog {
        name: u32,
        node: Option<u32>,
        grandparent: u32,
    },
    /// A WMI-started launcher (`name`, its node if kept) whose command
    /// line runs `program` (an ancestor candidate).
    CommandLine {
        node: Option<u32>,
        name: u32,
        program: u32,
    },
}

impl Kind {
    /// The node of an ancestor candidate: a detection through it settles
    /// the row as none.
    pub(crate) fn ancestor(&self) -> Option<u32> {
        match *self {
            Kind::Catalog { node, .. } | Kind::CommandLine { node, .. } => node,
        }
    }
}

/// A held row.
#[derive(Debug)]
pub(crate) struct Held<P> {
    pub(crate) payload: P,
    pub(crate) weight: usize,
    pub(crate) link: Link,
    pub(crate) kind: Kind,
    /// Arrival order among the rows the tree saw.
    pub(crate) seq: u64,
    /// The GUID key it waits on (it is in `waiting` under it).
    pub(crate) waits_on: Option<GuidKey>,
}

/// The held rows, by number.
#[derive(Debug)]
pub(crate) struct HeldRows<P> {
    pub(crate) limits: Limits,
    slots: Vec<Option<Held<P>>>,
    free: Vec<u32>,
    count: usize,
    bytes: usize,
    /// Bytes the owner keeps on behalf of held rows (see
    /// [`Tree::set_external_bytes`](super::Tree::set_external_bytes)).
    pub(crate) external_bytes: usize,
    /// GUID key → the rows waiting for it.
    pub(crate) waiting: HashMap<GuidKey, Vec<u32>, MixState>,
}

impl<P: Weigh> HeldRows<P> {
    pub(crate) fn new(limits: Limits) -> HeldRows<P> {
        HeldRows {
            limits,
            slots: Vec::new(),
            free: Vec::new(),
            count: 0,
            bytes: 0,
            external_bytes: 0,
            waiting: HashMap::default(),
        }
    }

    /// Rows held now.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The row cap or the byte cap is reached.
    pub(crate) fn full(&self) -> bool {
        self.count >= self.limits.max_held
            || self.bytes + self.external_bytes >= self.limits.max_held_bytes
    }

    /// Holds a row; returns its number.
    pub(crate) fn hold(
        &mut self,
        payload: P,
        link: Link,
        kind: Kind,
        seq: u64,
        wait: Option<GuidKey>,
    ) -> u32 {
        let weight = payload.weight() + std::mem::size_of::<Held<P>>();
        let item = Held {
            payload,
            weight,
            link,
            kind,
            seq,
            waits_on: wait,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = Some(item);
                id
            }
            None => {
                self.slots.push(Some(item));
                (self.slots.len() - 1) as u32
            }
        };
        if let Some(key) = wait {
            self.waiting.entry(key).or_default().push(id);
        }
        self.count += 1;
        self.bytes += weight;
        id
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Held<P>> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut Held<P>> {
        self.slots.get_mut(id as usize).and_then(Option::as_mut)
    }

    /// Takes row `id` out.
    pub(crate) fn take(&mut self, id: u32) -> Option<Held<P>> {
        let h = self.slots.get_mut(id as usize)?.take()?;
        self.free.push(id);
        self.count -= 1;
        self.bytes -= h.weight;
        Some(h)
    }

    /// The numbers of the rows held now, in arrival order.
    pub(crate) fn in_arrival_order(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..self.slots.len() as u32)
            .filter(|&i| self.slots[i as usize].is_some())
            .collect();
        ids.sort_by_key(|&i| self.slots[i as usize].as_ref().map_or(0, |h| h.seq));
        ids
    }
}
