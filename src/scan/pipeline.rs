//! The one loop every input goes through: records from a [`Reader`] are
//! mapped onto `Endpoint.Processes` (CSV rows as they are, events through
//! [`EventBuilder`]), matched by the [`Rule`], annotated, and handed with
//! their counts and problems, in input order, to a [`Sink`].

use std::borrow::Cow;

use csv::ByteRecord;

use super::event::{self, EventBuilder, EventKind};
use super::output::{OutRow, OUTPUT_FIELDS};
use super::read::{Body, Position, Reader, Step};
use super::{jsonl, xml};
use crate::annotate::Annotator;
use crate::error::Error;
use crate::options::{Mode, Options};
use crate::records::{FieldSet, Layout, RowView, Slot};
use crate::rule::{Catalog, Rule};

/// Counts for the summary line, sent as they grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read (rows, events).
    pub events: u64,
    /// Process creations among them.
    pub processes: u64,
    /// Detections among those.
    pub detections: u64,
}

impl Counts {
    /// Adds `other`.
    pub fn add(&mut self, other: Counts) {
        self.events += other.events;
        self.processes += other.processes;
        self.detections += other.detections;
    }

    fn is_zero(&self) -> bool {
        *self == Counts::default()
    }
}

/// A row to print, owned (it may cross threads).
#[derive(Debug, Clone)]
pub struct Row {
    /// `file:line` or `file#record`.
    pub source: String,
    /// Values of [`OUTPUT_FIELDS`].
    pub base: Vec<Vec<u8>>,
    /// Values of the added fields.
    pub added: Vec<Vec<u8>>,
}

impl Row {
    /// Borrowed for [`super::output::Output::write`].
    pub fn write_to<W: std::io::Write>(
        &self,
        out: &mut super::output::Output<W>,
    ) -> std::io::Result<()> {
        let base: Vec<&[u8]> = self.base.iter().map(Vec::as_slice).collect();
        let added: Vec<&[u8]> = self.added.iter().map(Vec::as_slice).collect();
        out.write(&OutRow {
            source: &self.source,
            base: &base,
            added: &added,
        })
    }
}

/// Reading stops: `--strict-input` after an error, or stdout is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

/// Receives what the loop produces, in input order.
pub trait Sink {
    /// Counts since the last call (always sent before a row or an error).
    fn counts(&mut self, counts: Counts) -> Result<(), Stop>;
    /// A detection (or, in annotate mode, any process row).
    fn row(&mut self, row: Row) -> Result<(), Stop>;
    /// A problem with the input.
    fn error(&mut self, error: Error) -> Result<(), Stop>;
}

/// Records between two [`Sink::counts`] calls when nothing else is sent.
const COUNTS_EVERY: u64 = 1024;

/// The rule, the annotator and the fields they read: everything the loop
/// needs, built once per thread.
pub struct Detector {
    mode: Mode,
    rule: Rule,
    annotator: Annotator,
    fields: FieldSet,
    out_slots: Vec<Slot>,
    cim_layout: Layout,
}

impl Detector {
    /// Compiles the options and catalog.
    pub fn new(options: &Options, catalog: Catalog) -> Detector {
        let mut fields = FieldSet::new();
        let rule = Rule::new(options.strict, &options.parents, catalog, &mut fields);
        let annotator = Annotator::new(options, &mut fields);
        let out_slots = OUTPUT_FIELDS.iter().map(|f| fields.add(f)).collect();
        let cim_layout = Layout::resolve(&fields, &event::cim_header());
        Detector {
            mode: options.mode,
            rule,
            annotator,
            fields,
            out_slots,
            cim_layout,
        }
    }

    /// Matches one row; `Some` when it is to be printed.
    fn check(&self, layout: &Layout, record: &ByteRecord, counts: &mut Counts) -> Option<Row> {
        counts.processes += 1;
        let view = RowView::new(record, layout);
        let hit = self.rule.evaluate(&view);
        if hit.is_some() {
            counts.detections += 1;
        } else if self.mode == Mode::Filter {
            return None;
        }
        let base: Vec<Vec<u8>> = self
            .out_slots
            .iter()
            .map(|s| view.first_value(*s).into_owned())
            .collect();
        let added = self
            .annotator
            .values(&view, hit)
            .into_iter()
            .map(Cow::into_owned)
            .collect();
        Some(Row {
            source: String::new(),
            base,
            added,
        })
    }

    /// Maps a loaded event; `Some` when it is a process creation to print.
    fn map_event(
        &self,
        event: &mut EventBuilder,
        record: &mut ByteRecord,
        counts: &mut Counts,
    ) -> Option<Row> {
        if event.finish(record) != EventKind::ProcessCreation {
            return None;
        }
        self.check(&self.cim_layout, record, counts)
    }

    /// Reads `reader` to its end (or a stop), sending rows, counts and
    /// problems to `sink`. `name` is the input's name in messages.
    pub fn scan(
        &self,
        name: &str,
        reader: &mut dyn Reader,
        sink: &mut dyn Sink,
    ) -> Result<(), Stop> {
        let mut counts = Counts::default();
        let mut layout: Option<Layout> = None;
        let mut event = EventBuilder::new();
        let mut record = ByteRecord::new();
        loop {
            let (pos, body) = match reader.next() {
                Step::End => break,
                Step::Header(header) => {
                    layout = Some(Layout::resolve(&self.fields, header));
                    continue;
                }
                Step::Failed(e) => {
                    flush(&mut counts, sink)?;
                    sink.error(e)?;
                    break;
                }
                Step::Skipped(e) => {
                    counts.events += 1;
                    flush(&mut counts, sink)?;
                    sink.error(e)?;
                    continue;
                }
                Step::Problem(e) => {
                    flush(&mut counts, sink)?;
                    sink.error(e)?;
                    continue;
                }
                Step::Record(pos, body) => (pos, body),
            };
            counts.events += 1;
            let mapped = match body {
                Body::Row(row) => Ok(layout
                    .as_ref()
                    .and_then(|layout| self.check(layout, row, &mut counts))),
                Body::Json(text) => jsonl::load_line(text, &mut event)
                    .map_err(|e| e.0)
                    .map(|()| self.map_event(&mut event, &mut record, &mut counts)),
                Body::Xml(text) => xml::load_event(text, &mut event)
                    .map(|()| self.map_event(&mut event, &mut record, &mut counts)),
                Body::Other => Ok(None),
            };
            match mapped {
                Err(message) => {
                    flush(&mut counts, sink)?;
                    sink.error(error_at(name, pos, message))?;
                }
                Ok(Some(mut row)) => {
                    row.source = super::read::source(name, &pos);
                    flush(&mut counts, sink)?;
                    sink.row(row)?;
                }
                Ok(None) => {
                    if counts.events >= COUNTS_EVERY {
                        flush(&mut counts, sink)?;
                    }
                }
            }
        }
        flush(&mut counts, sink)
    }
}

fn flush(counts: &mut Counts, sink: &mut dyn Sink) -> Result<(), Stop> {
    if counts.is_zero() {
        return Ok(());
    }
    sink.counts(std::mem::take(counts))
}

/// An error at a position of input `name`.
pub fn error_at(name: &str, pos: Position, message: String) -> Error {
    Error::input(crate::error::Position::input(name, pos), message)
}
