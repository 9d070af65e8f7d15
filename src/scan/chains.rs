//! `scan --lineage`: one process tree for the whole run, kept by the
//! writer.
//!
//! The readers stay parallel: each worker maps its records and matches them
//! as without lineage, and hands the rows lineage must see (WMI hosts,
//! launchers, catalog binaries under a launcher) to the writer as
//! [`LineageRow`]s, in input order with everything else. The writer — one
//! thread, taking the units in input order — feeds them to one [`Tree`], so
//! a chain may span the files of a run, and the output does not depend on
//! the number of threads: a row is printed where its chain settles (at
//! once when it is known through GUIDs, else after every input has been
//! read, in input order).

use super::pipeline::{Detector, LineageRow, Row};
use super::ScanConfig;
use crate::annotate::Hit;
use crate::lineage::stats::{self, Level};
use crate::lineage::{Limits, Observed, Settled, Stats, Tree, Verdict, Weigh};
use crate::options::Mode;
use crate::rule::Catalog;

/// A held row (always `Some`: the option lets the tree take it from the
/// caller only when it holds it).
struct Held(Option<Box<LineageRow>>);

impl Weigh for Held {
    fn weight(&self) -> usize {
        let Some(r) = &self.0 else { return 0 };
        let row = r.row.as_ref().map_or(0, |r| {
            r.base.iter().chain(&r.added).map(|v| v.len() + 24).sum()
        });
        r.record.as_slice().len() + 16 * r.record.len() + r.source.len() + row + 256
    }
}

/// The writer's lineage state.
pub(super) struct ScanLineage {
    tree: Tree<Held>,
    /// Renders rows with a lineage verdict (the workers' detectors are on
    /// their threads).
    detector: Detector,
    mode: Mode,
    /// The counts when the caps were last checked.
    warned: Stats,
}

impl ScanLineage {
    pub(super) fn new(config: &ScanConfig, catalog: Catalog) -> ScanLineage {
        ScanLineage {
            tree: Tree::new(Limits::default()),
            detector: Detector::new(config, catalog),
            mode: config.options.mode,
            warned: Stats::default(),
        }
    }

    /// Takes in one row; returns the rows to print now (its own, and held
    /// rows its arrival settled), with whether each is a lineage detection.
    pub(super) fn observe(&mut self, row: Box<LineageRow>) -> Vec<(Row, bool)> {
        let facts = row.facts.clone();
        let mut slot = Some(row);
        let observed = self.tree.observe(&facts, || Held(slot.take()));
        let mut out = Vec::new();
        match (observed, slot) {
            (Observed::Pass, Some(r)) => out.extend(r.row.map(|row| (row, false))),
            (Observed::Detected(v), Some(r)) => out.push((self.render(&r, &v), true)),
            _ => {} // held
        }
        let settled = self.tree.drain();
        self.print_settled(settled, &mut out);
        out
    }

    /// Settles everything held (the input has ended); returns the rows to
    /// print.
    pub(super) fn finish(&mut self) -> Vec<(Row, bool)> {
        let settled = self.tree.finish();
        let mut out = Vec::new();
        self.print_settled(settled, &mut out);
        out
    }

    /// The caps reached since the last call: a line each, said when it
    /// happens.
    pub(super) fn caps_reached(&mut self) -> Vec<String> {
        let now = self.tree.stats();
        if now.nodes_dropped == self.warned.nodes_dropped
            && now.held_dropped + now.launchers_early
                == self.warned.held_dropped + self.warned.launchers_early
        {
            return Vec::new();
        }
        let lines = stats::caps_reached(&self.warned, now, &self.tree.limits());
        self.warned = now.clone();
        lines.into_iter().map(|(_, text)| text).collect()
    }

    /// The end-of-scan lines: the caps reached, rows that could not be
    /// linked, values not read, times read without a zone.
    pub(super) fn summary(&self) -> Vec<(Level, String)> {
        stats::summary(self.tree.stats(), &self.tree.limits())
    }

    fn print_settled(&self, settled: Vec<Settled<Held>>, out: &mut Vec<(Row, bool)>) {
        for s in settled {
            let Some(payload) = s.payload.0 else { continue };
            match &s.verdict {
                Some(v) => out.push((self.render(&payload, v), true)),
                None if self.mode == Mode::Annotate => {
                    out.extend(payload.row.map(|row| (row, false)));
                }
                None => {}
            }
        }
    }

    fn render(&self, r: &LineageRow, verdict: &Verdict) -> Row {
        let mut row = self
            .detector
            .render(&r.layout, &r.record, Some(Hit::Lineage(verdict)));
        row.source.clone_from(&r.source);
        row
    }
}
